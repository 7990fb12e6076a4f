"""The hedging simulator: its episode returns are the P&L of :func:`hedging_pnl`, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from finance_apps import HedgingEnv, bs_delta_hedge, call_payoff, hedging_pnl
from rlcore import Simulator
from tests.finance_apps._market import gbm


def test_env_returns_equal_pnl():
    S, t = gbm(50, 6, 0.5, 0.3, rng=1)
    Z = call_payoff(S, 1.0)
    env = HedgingEnv(S, Z, cost=0.01, liquidate=True)
    assert isinstance(env, Simulator) and env.horizon == 6
    states = env.reset(20, rng=5)
    idx = states[:, 0].astype(int)
    D = bs_delta_hedge(S, t, 1.0, 0.3)
    total = np.zeros(20)
    for k in range(6):
        states, r, done = env.step(states, D[idx, k], t=k)
        total += r
        assert bool(done.all()) == (k == 5)
    np.testing.assert_allclose(total, hedging_pnl(S[idx], D[idx], Z[idx], cost=0.01, liquidate=True), atol=1e-12)
    with pytest.raises(ValueError, match="terminated"):
        env.step(states, D[idx, 0])


@pytest.mark.parametrize(
    "call,exc,name",
    [
        (lambda: HedgingEnv(np.ones((2, 3)), np.ones(3)), ValueError, "payoff"),
        (lambda: HedgingEnv(np.ones((2, 3)), np.ones(2), liquidate=1), TypeError, "liquidate"),
        (lambda: HedgingEnv(np.ones((2, 3)), np.ones(2)).reset(0), ValueError, "n"),
        (lambda: HedgingEnv(np.ones((2, 3)), np.ones(2)).reset(2**63), ValueError, "n"),
        (
            lambda: HedgingEnv(np.ones((2, 3)), np.ones(2)).step(np.zeros((1, 3)), np.zeros((1, 1))),
            ValueError,
            "states",
        ),
        (
            lambda: HedgingEnv(np.ones((2, 3)), np.ones(2)).step(np.zeros((1, 4)), np.zeros((1, 2))),
            ValueError,
            "actions",
        ),
    ],
)
def test_bad_input_is_refused_by_name(call, exc, name):
    with pytest.raises(exc, match=rf"^{name}\b"):
        call()
