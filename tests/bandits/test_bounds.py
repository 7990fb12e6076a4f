"""The bound functions against the formulas of their papers, written out independently."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bandits as b


def test_ucb1_bound_matches_theorem_1():
    mu = [0.9, 0.8, 0.5, 0.9]
    n = 12345
    expected = 8 * math.log(n) * (1 / 0.1 + 1 / 0.4) + (1 + math.pi**2 / 3) * (0.1 + 0.4)
    assert b.ucb1_regret_bound(mu, n) == pytest.approx(expected, rel=1e-14)
    curve = b.ucb1_regret_bound(mu, [10, 100])
    assert curve.shape == (2,) and curve[1] > curve[0]


def test_etc_bound_matches_theorem_6_1():
    mu, n, m = [0.5, 0.3, 0.0], 1000, 20
    gaps = np.array([0.0, 0.2, 0.5])
    expected = m * gaps.sum() + (n - 3 * m) * np.sum(gaps * np.exp(-m * gaps**2 / 4))
    assert b.etc_regret_bound(mu, n, m) == pytest.approx(expected)
    assert b.etc_regret_bound(mu, 30, m) == pytest.approx(30 * 0.5)  # never commits


def test_lai_robbins_and_klucb_constants():
    mu = [0.3, 0.5, 0.1]
    kl = lambda p, q: p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))  # noqa: E731
    expected = 0.2 / kl(0.3, 0.5) + 0.4 / kl(0.1, 0.5)
    assert b.lai_robbins_constant(mu) == pytest.approx(expected)
    assert b.klucb_asymptotic_constant(mu) == b.lai_robbins_constant(mu)
    assert b.lai_robbins_constant([0.0, 1.0], family="gaussian", sigma=2.0) == pytest.approx(8.0)
    assert b.lai_robbins_lower_bound(mu, 100) == pytest.approx(expected * math.log(100))
    assert b.lai_robbins_constant([0.4, 0.4]) == 0.0


@given(n=st.integers(10, 10**7), K=st.integers(2, 50))
def test_exp3_tuned_bound_is_theorem_3_1_at_the_tuned_gamma(n, K):
    gamma = b.exp3_gamma(n, K)
    thm31 = b.exp3_regret_bound(n, K, gamma=gamma)
    cor32 = b.exp3_regret_bound(n, K)
    if gamma < 1:
        # at the minimiser the two terms of Theorem 3.1 are equal, giving Corollary 3.2
        assert cor32 == pytest.approx(thm31, rel=1e-10)
        assert cor32 == pytest.approx(2 * math.sqrt(math.e - 1) * math.sqrt(n * K * math.log(K)), rel=1e-12)
        for g in (gamma / 2, min(1.0, gamma * 2)):
            assert b.exp3_regret_bound(n, K, gamma=g) >= thm31 * (1 - 1e-12)
    else:
        assert cor32 == n


def test_moss_and_oful_bounds():
    assert b.moss_regret_bound(10_000, 10) == pytest.approx(49 * math.sqrt(1e5))
    n, d, lam, S, R, L, delta = 5000, 3, 2.0, 1.5, 0.5, 1.0, 0.01
    expected = 4 * math.sqrt(n * d * math.log(lam + n * L / d)) * (
        math.sqrt(lam) * S + R * math.sqrt(2 * math.log(1 / delta) + d * math.log(1 + n * L / (lam * d))))
    assert b.oful_regret_bound(n, d, delta=delta, lam=lam, S=S, R=R, L=L) == pytest.approx(expected)


def test_bounds_reject_bad_input():
    with pytest.raises(ValueError, match="means"):
        b.ucb1_regret_bound([0.5, 1.5], 10)
    with pytest.raises(ValueError, match="horizon"):
        b.ucb1_regret_bound([0.5, 0.4], 0)
    with pytest.raises(ValueError, match="family"):
        b.lai_robbins_constant([0.5, 0.4], family="poisson")
    with pytest.raises(ValueError, match="delta"):
        b.oful_regret_bound(10, 2, delta=1.5)
    with pytest.raises(ValueError, match="gamma"):
        b.exp3_regret_bound(10, 2, gamma=0.0)
    with pytest.raises(ValueError, match="n_arms"):
        b.moss_regret_bound(10, 0)
