"""P&L accounting against an explicit double loop over paths and dates, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from finance_apps.pnl import call_payoff, hedging_pnl, transaction_costs, turnover


@pytest.mark.parametrize("liquidate", [False, True])
def test_pnl_matches_explicit_loop(liquidate):
    rng = np.random.default_rng(0)
    n, m, d = 7, 5, 2
    S = np.exp(0.1 * rng.standard_normal((n, m + 1, d)))
    D = rng.standard_normal((n, m, d))
    Z = rng.random(n)
    c = np.array([0.01, 0.03])
    expected, expected_costs, expected_turnover = np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        total, paid, traded, prev = -Z[i] + 0.2, 0.0, 0.0, np.zeros(d)
        for k in range(m):
            for j in range(d):
                total += D[i, k, j] * (S[i, k + 1, j] - S[i, k, j])
                paid += c[j] * abs(D[i, k, j] - prev[j]) * S[i, k, j]
                traded += abs(D[i, k, j] - prev[j])
            prev = D[i, k]
        if liquidate:
            paid += float(np.sum(c * np.abs(prev) * S[i, m]))
            traded += float(np.sum(np.abs(prev)))
        expected[i], expected_costs[i], expected_turnover[i] = total - paid, paid, traded
    got = hedging_pnl(S, D, Z, cost=c, premium=0.2, liquidate=liquidate)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(transaction_costs(S, D, c, liquidate=liquidate), expected_costs, atol=1e-12)
    np.testing.assert_allclose(turnover(D, liquidate=liquidate), expected_turnover, atol=1e-12)


def test_one_asset_arrays_and_the_call_payoff():
    S = np.array([[1.0, 1.2, 0.9], [1.0, 1.1, 1.3]])
    D = np.array([[0.5, 0.4], [0.5, 0.6]])
    np.testing.assert_allclose(hedging_pnl(S, D, np.zeros(2)), hedging_pnl(S[:, :, None], D[:, :, None], np.zeros(2)))
    np.testing.assert_allclose(call_payoff(S, 1.0), [0.0, 0.3], atol=1e-15)
    two = np.stack([S, 2 * S], axis=2)
    np.testing.assert_allclose(call_payoff(two, 1.0, asset=1), [0.8, 1.6], atol=1e-15)


@pytest.mark.parametrize(
    "call,exc,name",
    [
        (lambda: hedging_pnl(np.ones((2, 3, 1)), np.ones((2, 3, 1)), np.ones(2)), ValueError, "deltas"),
        (lambda: hedging_pnl(-np.ones((2, 3)), np.ones((2, 2)), np.ones(2)), ValueError, "prices"),
        (lambda: hedging_pnl(np.ones((2, 3)), np.ones((2, 2)), np.ones(3)), ValueError, "payoff"),
        (lambda: hedging_pnl(np.ones((2, 3)), np.ones((2, 2)), np.ones(2), cost=-0.1), ValueError, "cost"),
        (lambda: hedging_pnl(np.ones((2, 3)), np.ones((2, 2)), np.ones(2), cost=2.0), ValueError, "cost"),
        (lambda: hedging_pnl(np.ones((2, 3)), np.ones((2, 2)), np.ones(2), premium="1"), TypeError, "premium"),
        (lambda: transaction_costs(np.ones((2, 1)), np.ones((2, 1)), 0.0), ValueError, "prices"),
        (lambda: turnover(np.array([[1e308, -1e308]])), ValueError, "deltas"),
        (lambda: call_payoff(np.ones((2, 3)), 1.0, asset=True), TypeError, "asset"),
        (lambda: call_payoff(np.ones((2, 3)), 1.0, asset=1), ValueError, "asset"),
    ],
)
def test_bad_input_is_refused_by_name(call, exc, name):
    with pytest.raises(exc, match=rf"^{name}\b"):
        call()
