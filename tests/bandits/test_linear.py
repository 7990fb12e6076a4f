"""Linear bandits: the inequalities behind OFUL's bound on hypothesis-drawn feature
sequences, the confidence ellipsoid's coverage, and OFUL's regret against Theorem 3."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import bandits as b

feature_sequences = st.integers(1, 4).flatmap(
    lambda d: arrays(
        np.float64,
        st.tuples(st.integers(1, 40), st.just(d)),
        elements=st.floats(-3.0, 3.0, allow_nan=False, allow_subnormal=False),
    )
)


@given(X=feature_sequences, lam=st.floats(0.05, 10.0))
def test_elliptical_potential_lemma(X, lam):
    ep = b.elliptical_potential(X, lam)
    # independent recomputation of the widths with explicit inverses
    d = X.shape[1]
    V = lam * np.eye(d)
    for t, x in enumerate(X):
        assert ep.widths[t] == pytest.approx(x @ np.linalg.solve(V, x), rel=1e-7, abs=1e-9)
        V = V + np.outer(x, x)
    # sum min(1, w) <= 2 ln(det V_n / det lam I)   (Lemma 11 of Abbasi-Yadkori et al.)
    assert ep.potential <= 2 * ep.log_det_ratio + 1e-9
    # and the exact identity behind it: ln det V_n - d ln lam = sum ln(1 + w_t)
    assert ep.log_det_ratio == pytest.approx(np.log1p(ep.widths).sum(), rel=1e-8, abs=1e-9)


@given(X=feature_sequences, lam=st.floats(0.05, 10.0))
def test_determinant_trace_inequality(X, lam):
    ep = b.elliptical_potential(X, lam)
    n, d = X.shape
    sign, logdet = np.linalg.slogdet(lam * np.eye(d) + X.T @ X)
    assert sign > 0 and ep.logdet == pytest.approx(logdet)
    assert ep.logdet <= ep.trace_bound + 1e-9 <= ep.norm_bound + 2e-9


def test_confidence_ellipsoid_covers_theta():
    # Theorem 2: P(exists t: ||theta_t - theta*||_{V_t} > sqrt(beta_t)) <= delta.
    # 200 independent sequences with delta = 0.1: expected <= 20 violations; the bound is
    # loose (the true rate is ~0), so allowing 20 is a very safe failure budget.
    rng = np.random.default_rng(0)
    d, lam, R, delta = 3, 1.0, 0.5, 0.1
    theta = np.array([0.3, -0.4, 0.5])
    S = float(np.linalg.norm(theta))
    violations = 0
    for _ in range(200):
        V, bb, logdet = lam * np.eye(d), np.zeros(d), d * math.log(lam)
        bad = False
        for _t in range(100):
            x = rng.normal(size=d) / math.sqrt(d)
            y = x @ theta + R * rng.standard_normal()
            logdet += math.log1p(x @ np.linalg.solve(V, x))
            V += np.outer(x, x)
            bb += y * x
            err = np.linalg.solve(V, bb) - theta
            if math.sqrt(err @ V @ err) > b.oful_radius(logdet, d, lam=lam, delta=delta, S=S, R=R):
                bad = True
        violations += bad
    assert violations <= 20


@pytest.mark.slow
def test_oful_and_linear_thompson_regret_below_theorem_3():
    rng = np.random.default_rng(1)
    K, d, T = 20, 3, 1500
    F = rng.normal(size=(K, d))
    F /= np.linalg.norm(F, axis=1, keepdims=True)  # L = 1
    theta = np.array([0.5, -0.3, 0.4])  # S = ||theta|| < 1, |<x, theta>| <= 1
    env = b.LinearBandit(F, theta, sigma=0.3)
    S = float(np.linalg.norm(theta))
    delta = 0.05
    res = b.simulate(env, b.OFUL(F, lam=1.0, delta=delta, S=S, R=0.3), T, 10, rng=2)
    bound = b.oful_regret_bound(np.arange(1, T + 1), d, delta=delta, lam=1.0, S=S, R=0.3, L=1.0)
    # high-probability bound, per run and per round: all 10 runs must be below it
    # (failure probability <= 10 delta if the theorem held with equality; it is loose)
    assert np.all(res.pseudo_regret <= bound)
    ts = b.simulate(env, b.LinearThompson(F, v=0.3), T, 10, rng=3)
    assert np.all(ts.pseudo_regret <= bound)
    # both learn: the regret of the second half is a small share of the total
    for r in (res, ts):
        m = r.mean_regret()
        assert m[-1] - m[T // 2] < 0.5 * m[-1]


@pytest.mark.slow
def test_linear_thompson_with_the_theorems_inflation_has_sublinear_regret():
    # Agrawal and Goyal 2013, Theorem 1: with v = R sqrt(24 d ln(1/delta) / eps), the
    # regret is O(d^2 / eps sqrt(n^(1 + eps)) ln(n d) ln(1/delta)) w.p. 1 - delta, with an
    # unstated constant: the checkable part is the growth. Over 10 runs (eps = 1/2), the
    # mean regret's log-log slope from n = 2000 to 8000 must stay below (1 + eps) / 2 =
    # 0.75, the theorem's exponent without its logarithmic factor (measured 0.51; linear
    # regret: 1), and the per-round regret must fall.
    rng = np.random.default_rng(1)
    K, d, T = 20, 3, 8000
    F = rng.normal(size=(K, d))
    F /= np.linalg.norm(F, axis=1, keepdims=True)
    env = b.LinearBandit(F, np.array([0.5, -0.3, 0.4]), sigma=0.3)
    R, delta, eps = 0.3, 0.05, 0.5
    v = R * math.sqrt(24 * d * math.log(1 / delta) / eps)
    m = b.simulate(env, b.LinearThompson(F, v=v), T, 10, rng=3).mean_regret()
    slope = math.log(m[T - 1] / m[T // 4 - 1]) / math.log(4)
    assert 0 < slope < (1 + eps) / 2
    assert m[T - 1] / T < m[T // 4 - 1] / (T // 4) < m[T // 16 - 1] / (T // 16)


def test_linear_invalid_input_names_the_argument():
    with pytest.raises(ValueError, match="theta"):
        b.LinearBandit(np.eye(3), [1.0, 2.0])
    with pytest.raises(ValueError, match="sigma"):
        b.LinearBandit(np.eye(2), [1.0, 2.0], sigma=-1.0)
    with pytest.raises(ValueError, match="features"):
        b.simulate(b.LinearBandit(np.eye(2), [0.1, 0.2]), b.OFUL(np.eye(3)), 10)
    with pytest.raises(ValueError, match="delta"):
        b.OFUL(np.eye(2), delta=1.0)
    with pytest.raises(ValueError, match="X"):
        b.elliptical_potential(np.zeros((0, 2)))


# --------------------------------------------------- regression: refused input, named
def test_oful_radius_refuses_nan_and_impossible_log_determinants():
    with pytest.raises(ValueError, match=r"^logdet_V\b"):
        b.oful_radius(float("nan"), 2, lam=1.0, delta=0.05, S=1.0, R=1.0)  # used to return nan
    with pytest.raises(ValueError, match=r"^logdet_V\b"):
        b.oful_radius(-1.0, 2, lam=1.0, delta=0.05, S=1.0, R=1.0)  # V >= lam I forbids it (was nan)
    with pytest.raises(TypeError, match=r"^dim\b"):
        b.oful_radius(0.0, 2.0, lam=1.0, delta=0.05, S=1.0, R=1.0)
    # delta = 5e-324 overflowed 1 / delta (inf): the radius is finite
    assert math.isfinite(b.oful_radius(1.0, 2, lam=1.0, delta=5e-324, S=1.0, R=1.0))


def test_policy_parameters_are_typed():
    with pytest.raises(TypeError, match=r"^lam\b"):
        b.OFUL(np.eye(2), lam="2")  # used to be accepted as 2.0
    with pytest.raises(TypeError, match=r"^v\b"):
        b.LinearThompson(np.eye(2), v=True)  # used to be accepted as 1.0
    with pytest.raises(TypeError, match=r"^R\b"):
        b.OFUL(np.eye(2), R=None)
    with pytest.raises(ValueError, match=r"^features\b"):
        b.OFUL(np.array([[1.0, np.nan]]))


def test_ridge_regulariser_has_a_floor():
    # lam = 5e-324 made V^{-1} = I / lam overflow: the potential came out nan
    with pytest.raises(ValueError, match=r"^lam\b"):
        b.elliptical_potential(np.eye(3), 5e-324)
    with pytest.raises(ValueError, match=r"^lam\b"):
        b.OFUL(np.eye(2), lam=1e-9)
    ep = b.elliptical_potential(np.eye(3), 1e-8)
    assert np.all(np.isfinite(ep.widths)) and ep.potential == 3.0
    with pytest.raises(ValueError, match=r"^X\b"):
        b.elliptical_potential(np.full((2, 2), 1e200))  # X^T X overflows
