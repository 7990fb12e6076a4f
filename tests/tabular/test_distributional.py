"""Distributional policy evaluation against independent sources.

* exact finite-support laws against brute-force enumeration of every trajectory
  (hypothesis-drawn finite-horizon MDPs and policies, dense and sparse);
* categorical and quantile fixed points against the enumerated (finite horizon) or
  enumerated-and-truncated (discounted) true law, within the stated bounds;
* means against ``rlcore.evaluate_policy``;
* the contraction of the projected operators (sup-Cramér with modulus sqrt(gamma) for
  categorical, sup-W_inf with modulus gamma for quantile) on hypothesis-drawn MDPs;
* Monte Carlo rollouts (DKW band with failure probability 1e-6 per check);
* statistics against closed forms (binomial return) and the Rockafellar-Uryasev
  representation of CVaR.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rlcore import FiniteMDP, evaluate_policy, rollout
from rlcore.generators import random_mdp
from rlcore.testing import finite_mdps, mdps_and_policies
from rlcore.validation import InvalidParameterError, InvalidParameterTypeError
from rlcore import DiscreteDistribution
from tabular.distributional import (
    DistributionalEvaluation,
    categorical_bellman_operator,
    distributional_evaluation,
    projection_error_bound,
    quantile_bellman_operator,
)

SMALL_FINITE = finite_mdps(
    n_states=st.integers(1, 3), n_actions=st.integers(1, 2), discounted=False, horizon=st.integers(1, 3)
)
SMALL_DISCOUNTED = finite_mdps(
    n_states=st.integers(1, 4), n_actions=st.integers(1, 3), discounted=True, gamma=st.floats(0.0, 0.95)
)


# ----------------------------------------------------------------------------- test oracles
def _stochastic(mdp: FiniteMDP, policy: np.ndarray) -> np.ndarray:
    """Policy as (H, S, A) probabilities (written out here, not via rlcore)."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    pol = np.asarray(policy)
    if np.issubdtype(pol.dtype, np.integer):
        pol = np.eye(A)[pol]
    return np.broadcast_to(pol, (H, S, A)) if pol.ndim == 2 else pol


def _dense_P(mdp: FiniteMDP, t: int) -> np.ndarray:
    Pt = mdp.transitions_at(t)
    return Pt.toarray().reshape(mdp.n_states, mdp.n_actions, mdp.n_states) if mdp.is_sparse else np.asarray(Pt)


def _brute_force_law(mdp: FiniteMDP, policy: np.ndarray, s0: int, rewards=None) -> tuple[np.ndarray, np.ndarray]:
    """Law of the finite-horizon return from s0: enumerate every (action, reward, state) path.

    ``rewards``: optional (atoms, probs) of shape (S, A, n) for random rewards.
    """
    pi = _stochastic(mdp, policy)
    paths = [(s0, 0.0, 1.0)]
    for t in range(mdp.horizon):
        P, R = _dense_P(mdp, t), mdp.rewards_at(t)
        nxt = []
        for s, g, p in paths:
            for a in range(mdp.n_actions):
                outcomes = [(R[s, a], 1.0)] if rewards is None else list(zip(rewards[0][s, a], rewards[1][s, a]))
                for r, pr in outcomes:
                    for s2 in range(mdp.n_states):
                        q = p * pi[t, s, a] * pr * P[s, a, s2]
                        if q > 0:
                            nxt.append((s2, g + r, q))
        paths = nxt
    g = np.array([x[1] for x in paths])
    p = np.array([x[2] for x in paths])
    return g, p


def _discounted_truth(P: np.ndarray, R: np.ndarray, gamma: float, policy: np.ndarray, s0: int, depth: int):
    """Law of sum_{t<depth} gamma^t r_t from s0 (deterministic policy), every path enumerated."""
    S = P.shape[0]
    s = np.array([s0])
    g = np.zeros(1)
    p = np.ones(1)
    for t in range(depth):
        a = policy[s]
        g = g + gamma**t * R[s, a]
        trans = P[s, a]  # (n, S)
        s = np.tile(np.arange(S), s.size)
        g = np.repeat(g, S)
        p = (p[:, None] * trans).ravel()
        keep = p > 0
        s, g, p = s[keep], g[keep], p[keep]
    return g, p


def _cdf(x, p, at):
    order = np.argsort(x)
    cum = np.concatenate(([0.0], np.cumsum(p[order])))
    return cum[np.searchsorted(x[order], at, side="right")]


def _w1(x1, p1, x2, p2) -> float:
    xs = np.union1d(x1, x2)
    return float(np.sum(np.abs(_cdf(x1, p1, xs) - _cdf(x2, p2, xs))[:-1] * np.diff(xs)))


def _l2(x1, p1, x2, p2) -> float:
    xs = np.union1d(x1, x2)
    return float(np.sqrt(np.sum((_cdf(x1, p1, xs) - _cdf(x2, p2, xs))[:-1] ** 2 * np.diff(xs))))


# ----------------------------------------------------------------------------- exact law
@settings(max_examples=40)
@given(mdps_and_policies(SMALL_FINITE))
def test_exact_law_matches_enumeration_of_all_trajectories(pair):
    mdp, policy = pair
    ev = distributional_evaluation(mdp, policy, representation="exact")
    for s in range(mdp.n_states):
        g, p = _brute_force_law(mdp, policy, s)
        d = ev.distribution(s)
        assert _w1(d.atoms, d.probs, g, p) <= 1e-9 * (1 + mdp.horizon)
        # the merged atoms are exactly the distinct returns
        distinct = np.unique(np.round(g[p > 1e-15], 9))
        assert np.array_equal(np.unique(np.round(d.atoms[d.probs > 0], 9)), distinct)


@settings(max_examples=40)
@given(mdps_and_policies(SMALL_FINITE))
def test_projected_finite_horizon_laws_within_bounds(pair):
    mdp, policy = pair
    cat = distributional_evaluation(mdp, policy, representation="categorical", n_atoms=21)
    qua = distributional_evaluation(mdp, policy, representation="quantile", n_atoms=8)
    b_cat = projection_error_bound(mdp, "categorical", n_atoms=21)
    b_qua = projection_error_bound(mdp, "quantile", n_atoms=8)
    V = evaluate_policy(mdp, policy).V
    for s in range(mdp.n_states):
        g, p = _brute_force_law(mdp, policy, s)
        dc, dq = cat.distribution(s), qua.distribution(s)
        assert _l2(dc.atoms, dc.probs, g, p) <= b_cat + 1e-9
        assert _w1(dq.atoms, dq.probs, g, p) <= b_qua + 1e-9
    # the categorical projection keeps the mean exactly when the support covers the returns
    np.testing.assert_allclose(cat.mean(), V, atol=1e-9)


# ----------------------------------------------------------------------------- random rewards
STATIONARY_FINITE = finite_mdps(
    n_states=st.integers(1, 3),
    n_actions=st.integers(1, 2),
    discounted=False,
    horizon=st.integers(1, 3),
    time_dependent=False,
)


def _two_point_rewards(mdp: FiniteMDP, seed: int):
    """R(s, a) +- d(s, a) with probability 1/2 each: mean R, as the MDP says."""
    d = np.random.default_rng(seed).uniform(0.0, 1.0, size=mdp.R.shape)
    return np.stack([mdp.R - d, mdp.R + d], axis=-1), np.full(mdp.R.shape + (2,), 0.5)


@settings(max_examples=30)
@given(mdps_and_policies(STATIONARY_FINITE), st.integers(0, 2**32 - 1))
def test_random_rewards_match_enumeration(pair, seed):
    mdp, policy = pair
    law = _two_point_rewards(mdp, seed)
    ex = distributional_evaluation(mdp, policy, representation="exact", reward_distribution=law)
    cat = distributional_evaluation(mdp, policy, n_atoms=21, reward_distribution=law)
    qua = distributional_evaluation(mdp, policy, representation="quantile", n_atoms=8, reward_distribution=law)
    b_cat = projection_error_bound(mdp, "categorical", n_atoms=21, reward_distribution=law)
    b_qua = projection_error_bound(mdp, "quantile", n_atoms=8, reward_distribution=law)
    for s in range(mdp.n_states):
        g, p = _brute_force_law(mdp, policy, s, law)
        d = ex.distribution(s)
        assert _w1(d.atoms, d.probs, g, p) <= 1e-9 * (1 + mdp.horizon)
        dc, dq = cat.distribution(s), qua.distribution(s)
        assert _l2(dc.atoms, dc.probs, g, p) <= b_cat + 1e-9
        assert _w1(dq.atoms, dq.probs, g, p) <= b_qua + 1e-9
    np.testing.assert_allclose(ex.mean(), evaluate_policy(mdp, policy).V, atol=1e-9)


def test_random_rewards_discounted_variance_closed_form():
    # one state, one action, R ~ {0, 2} fair: G = sum_t gamma^t R_t, Var = 1 / (1 - gamma^2)
    gamma = 0.6
    mdp = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=gamma)
    law = (np.array([[[0.0, 2.0]]]), np.array([[[0.5, 0.5]]]))
    ev = distributional_evaluation(mdp, np.array([0]), n_atoms=801, reward_distribution=law, epsilon=1e-12)
    assert ev.mean()[0] == pytest.approx(1 / (1 - gamma), abs=1e-8)
    # the categorical variance is within the projection's variance inflation of the truth:
    # each projection adds at most varsigma^2 / 4 of variance, summed with weights gamma^(2t)
    step = float(ev.support[1] - ev.support[0])
    true_var = 1 / (1 - gamma**2)
    assert true_var - 1e-8 <= ev.variance()[0] <= true_var + step**2 / 4 / (1 - gamma**2) + 1e-8
    # the contraction holds with random rewards too
    rng = np.random.default_rng(0)
    z = ev.support
    e1, e2 = rng.dirichlet(np.ones(z.size), size=1), rng.dirichlet(np.ones(z.size), size=1)
    t1 = categorical_bellman_operator(mdp, np.array([0]), e1, z, reward_distribution=law)
    t2 = categorical_bellman_operator(mdp, np.array([0]), e2, z, reward_distribution=law)
    assert _l2(z, t1[0], z, t2[0]) <= np.sqrt(gamma) * _l2(z, e1[0], z, e2[0]) + 1e-12


def test_reward_distribution_is_validated():
    mdp = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=0.5)
    with pytest.raises(InvalidParameterError, match=r"^reward_distribution: .*mean must equal"):
        distributional_evaluation(
            mdp, np.array([0]), reward_distribution=(np.array([[[0.0, 1.0]]]), np.array([[[0.5, 0.5]]]))
        )
    with pytest.raises(InvalidParameterError, match=r"^reward_distribution: .*shape"):
        distributional_evaluation(
            mdp, np.array([0]), reward_distribution=(np.zeros((2, 1, 2)), np.full((2, 1, 2), 0.5))
        )
    with pytest.raises(InvalidParameterError, match=r"^reward_distribution\[1\]: .*sum to 1"):  # the probs
        distributional_evaluation(
            mdp, np.array([0]), reward_distribution=(np.array([[[1.0, 1.0]]]), np.array([[[0.5, 0.6]]]))
        )
    with pytest.raises(InvalidParameterTypeError, match=r"^reward_distribution: expected a pair"):
        distributional_evaluation(mdp, np.array([0]), reward_distribution=np.ones((1, 1, 1)))
    with pytest.raises(InvalidParameterError, match=r"^reward_distribution\[0\]: .*finite"):
        distributional_evaluation(
            mdp, np.array([0]), reward_distribution=(np.full((1, 1, 1), np.nan), np.ones((1, 1, 1)))
        )


# ----------------------------------------------------------------------------- means
@settings(max_examples=30)
@given(
    mdps_and_policies(
        finite_mdps(
            n_states=st.integers(1, 4),
            n_actions=st.integers(1, 3),
            gamma=st.floats(0.0, 0.95),
            horizon=st.integers(1, 4),
        )
    )
)
def test_mean_equals_evaluate_policy(pair):
    mdp, policy = pair
    V = evaluate_policy(mdp, policy).V
    cat = distributional_evaluation(mdp, policy, epsilon=1e-10)
    assert cat.converged
    # |mean difference| <= W_1 <= sqrt(range) * Cramer error (Cauchy-Schwarz on the CDFs)
    width = float(np.ptp(cat.support))
    np.testing.assert_allclose(cat.mean(), V, atol=np.sqrt(width) * cat.error_bound + 1e-9)
    if mdp.horizon is not None:
        ex = distributional_evaluation(mdp, policy, representation="exact")
        np.testing.assert_allclose(ex.mean(), V, atol=1e-9)
    else:
        qua = distributional_evaluation(mdp, policy, representation="quantile", n_atoms=16, epsilon=1e-10)
        assert qua.converged
        bound = projection_error_bound(mdp, "quantile", n_atoms=16) + qua.error_bound
        assert np.all(np.abs(qua.mean() - V) <= bound + 1e-9)


# ----------------------------------------------------------------------------- contraction
@settings(max_examples=40)
@given(mdps_and_policies(SMALL_DISCOUNTED), st.integers(0, 2**32 - 1))
def test_categorical_operator_is_sqrt_gamma_contraction_in_sup_cramer(pair, seed):
    mdp, policy = pair
    rng = np.random.default_rng(seed)
    z = np.linspace(-1.0 / (1 - mdp.gamma), 1.0 / (1 - mdp.gamma), 15)
    eta1, eta2 = (rng.dirichlet(np.full(z.size, 0.3), size=mdp.n_states) for _ in range(2))

    def sup_cramer(p, q):
        return max(_l2(z, p[s], z, q[s]) for s in range(mdp.n_states))

    before = sup_cramer(eta1, eta2)
    after = sup_cramer(
        categorical_bellman_operator(mdp, policy, eta1, z), categorical_bellman_operator(mdp, policy, eta2, z)
    )
    assert after <= np.sqrt(mdp.gamma) * before + 1e-10


@settings(max_examples=40)
@given(mdps_and_policies(SMALL_DISCOUNTED), st.integers(0, 2**32 - 1))
def test_quantile_operator_is_gamma_contraction_in_sup_w_inf(pair, seed):
    mdp, policy = pair
    rng = np.random.default_rng(seed)
    th1, th2 = (np.sort(rng.normal(scale=3.0, size=(mdp.n_states, 7)), axis=1) for _ in range(2))
    before = np.max(np.abs(th1 - th2))  # W_inf of equal-weight sorted atoms
    out1 = quantile_bellman_operator(mdp, policy, th1)
    out2 = quantile_bellman_operator(mdp, policy, th2)
    assert np.all(np.diff(out1, axis=1) >= 0)
    assert np.max(np.abs(out1 - out2)) <= mdp.gamma * before + 1e-10


# ----------------------------------------------------------------------------- discounted truth
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("sparse", [False, True])
def test_discounted_fixed_points_within_bound_of_true_law(seed, sparse):
    rng = np.random.default_rng(seed)
    S, A, gamma, depth = 2, 2, 0.5, 16
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.uniform(-1, 1, size=(S, A))
    policy = rng.integers(0, A, size=S)
    mdp = FiniteMDP(sp.csr_array(P.reshape(S * A, S)) if sparse else P, R, gamma=gamma)
    # truncation: the dropped tail moves every return by at most gamma^depth max|R| / (1 - gamma),
    # so W_1 <= that, and l_2^2 <= W_1 (CDF differences are at most 1)
    tail_w1 = gamma**depth * np.max(np.abs(R)) / (1 - gamma)
    for m in (11, 101):
        cat = distributional_evaluation(mdp, policy, n_atoms=m, epsilon=1e-10)
        bound = projection_error_bound(mdp, "categorical", n_atoms=m)
        for s in range(S):
            g, p = _discounted_truth(P, R, gamma, policy, s, depth)
            d = cat.distribution(s)
            assert _l2(d.atoms, d.probs, g, p) <= bound + np.sqrt(tail_w1) + cat.error_bound
    for N in (4, 32):
        qua = distributional_evaluation(mdp, policy, representation="quantile", n_atoms=N, epsilon=1e-10)
        bound = projection_error_bound(mdp, "quantile", n_atoms=N)
        for s in range(S):
            g, p = _discounted_truth(P, R, gamma, policy, s, depth)
            d = qua.distribution(s)
            assert _w1(d.atoms, d.probs, g, p) <= bound + tail_w1 + qua.error_bound


def test_fixed_point_error_shrinks_with_resolution():
    rng = np.random.default_rng(7)
    S, A, gamma = 3, 2, 0.6
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.uniform(-1, 1, size=(S, A))
    policy = np.zeros(S, dtype=np.int64)
    mdp = FiniteMDP(P, R, gamma=gamma)
    g, p = _discounted_truth(P, R, gamma, policy, 0, 12)
    errs = []
    for m in (5, 50, 500):
        d = distributional_evaluation(mdp, policy, n_atoms=m, epsilon=1e-10).distribution(0)
        errs.append(_l2(d.atoms, d.probs, g, p))
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 0.1 * errs[0]


# ----------------------------------------------------------------------------- Monte Carlo
def test_exact_law_matches_monte_carlo_rollouts():
    mdp = random_mdp(4, 2, horizon=4, rng=3)
    policy = np.array([0, 1, 1, 0])
    law = distributional_evaluation(mdp, policy, representation="exact").initial_distribution(mdp.initial)
    n = 5000
    returns = rollout(mdp, policy, n, rng=5).episode_returns()
    eps = np.sqrt(np.log(2 / 1e-6) / (2 * n))  # DKW: P(sup |F_n - F| > eps) <= 1e-6
    xs = law.atoms
    emp = (returns[:, None] <= xs[None, :] + 1e-9).mean(axis=0)
    assert np.max(np.abs(emp - law.cdf(xs))) <= eps


def test_discounted_laws_match_monte_carlo_rollouts():
    mdp = random_mdp(5, 2, gamma=0.7, rng=4)
    policy = np.array([0, 1, 0, 1, 1])
    T = 60  # gamma^T * max|R| / (1 - gamma) < 1e-8
    returns = rollout(mdp, policy, 5000, max_steps=T, rng=6).episode_returns(gamma=0.7)
    cat = distributional_evaluation(mdp, policy, n_atoms=401, epsilon=1e-10)
    d = cat.initial_distribution(mdp.initial)
    # mean: 6 standard errors (two-sided normal tail ~2e-9), plus truncation
    se = returns.std() / np.sqrt(returns.size)
    assert abs(returns.mean() - d.mean()) <= 6 * se + 1e-8
    # distribution: W_1(empirical, eta_C) <= W_1(empirical, truth) + W_1(truth, eta_C). The first term is
    # at most (b - a) * sup|F_n - F| <= (b - a) * eps (DKW, failure 1e-6); the second at most
    # sqrt(b - a) * Cramer error (Cauchy-Schwarz), bounded via projection_error_bound.
    a, b = cat.support[0], cat.support[-1]
    eps = np.sqrt(np.log(2 / 1e-6) / (2 * returns.size))
    bound = (b - a) * eps + np.sqrt(b - a) * (projection_error_bound(mdp, "categorical", n_atoms=401) + cat.error_bound)
    assert _w1(d.atoms, d.probs, returns, np.full(returns.size, 1 / returns.size)) <= bound
    # and a sharper, statistical check: the empirical W_1 is far smaller than that bound
    assert _w1(d.atoms, d.probs, returns, np.full(returns.size, 1 / returns.size)) <= 0.1


# ----------------------------------------------------------------------------- layouts
@pytest.mark.parametrize("horizon", [None, 3])
def test_dense_and_sparse_agree(horizon):
    kw = dict(gamma=0.8) if horizon is None else dict(horizon=horizon, time_dependent=True)
    dense = random_mdp(6, 3, branching=3, rng=8, **kw)
    sparse = random_mdp(6, 3, branching=3, sparse=True, rng=8, **kw)
    np.testing.assert_allclose(_dense_P(dense, 0), _dense_P(sparse, 0))
    policy = np.random.default_rng(0).dirichlet(np.ones(3), size=6)
    for rep in ("categorical", "quantile"):
        e1 = distributional_evaluation(dense, policy, representation=rep, n_atoms=17)
        e2 = distributional_evaluation(sparse, policy, representation=rep, n_atoms=17)
        np.testing.assert_allclose(e1.atoms, e2.atoms, atol=1e-12)
        np.testing.assert_allclose(e1.probs, e2.probs, atol=1e-12)


# ----------------------------------------------------------------------------- statistics
def test_statistics_of_a_binomial_return():
    # three fair coins paying 1 each: G ~ Binomial(3, 1/2)
    P = np.full((2, 1, 2), 0.5)
    mdp = FiniteMDP(P, np.array([[0.0], [1.0]]), horizon=3, initial=[0.5, 0.5])
    d = distributional_evaluation(mdp, np.zeros(2, dtype=np.int64), representation="exact").initial_distribution(
        mdp.initial
    )
    np.testing.assert_allclose(d.atoms, [0, 1, 2, 3])
    np.testing.assert_allclose(d.probs, [1 / 8, 3 / 8, 3 / 8, 1 / 8])
    assert d.mean() == pytest.approx(1.5) and d.variance() == pytest.approx(0.75)
    assert d.quantile(0.125) == 0.0 and d.quantile(0.13) == 1.0 and d.quantile(0.5) == 1.0 and d.quantile(1.0) == 3.0
    assert d.prob_at_least(2.0) == pytest.approx(0.5) and d.prob_at_least(3.5) == 0.0
    assert d.cvar(0.25) == pytest.approx((0 * 1 / 8 + 1 * 1 / 8) / 0.25)
    assert d.cvar(1.0) == pytest.approx(1.5)
    for alpha in (0.05, 0.2, 0.5, 0.9):  # Rockafellar-Uryasev: max_c c - E(c - G)^+ / alpha
        cs = np.linspace(-1, 4, 5001)
        ru = np.max(cs - np.sum(d.probs * np.maximum(cs[:, None] - d.atoms, 0.0), axis=1) / alpha)
        assert d.cvar(alpha) == pytest.approx(ru, abs=1e-9)


# ----------------------------------------------------------------------------- errors
def test_invalid_inputs():
    disc = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=0.5)
    fin = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], horizon=2)
    with pytest.raises(InvalidParameterError, match=r"^representation: .*finite-horizon"):
        distributional_evaluation(disc, np.array([0]), representation="exact")
    with pytest.raises(InvalidParameterError, match=r"^representation\b"):
        distributional_evaluation(disc, np.array([0]), representation="gaussian")
    with pytest.raises(InvalidParameterTypeError, match=r"^representation\b"):
        distributional_evaluation(disc, np.array([0]), representation=None)
    with pytest.raises(InvalidParameterError, match=r"^support: expected evenly spaced"):
        distributional_evaluation(disc, np.array([0]), support=[0.0, 1.0, 3.0])
    with pytest.raises(InvalidParameterError, match=r"^support: only the categorical"):
        distributional_evaluation(disc, np.array([0]), representation="quantile", support=[0.0, 1.0])
    with pytest.raises(InvalidParameterError, match=r"^policy\b"):
        distributional_evaluation(disc, np.array([1]))
    with pytest.raises(InvalidParameterError, match=r"^n_atoms\b"):
        distributional_evaluation(disc, np.array([0]), n_atoms=0)
    with pytest.raises(InvalidParameterError, match=r"^n_atoms: a categorical support needs at least 2"):
        distributional_evaluation(disc, np.array([0]), n_atoms=1)
    with pytest.raises(InvalidParameterError, match=r"^epsilon\b"):
        distributional_evaluation(disc, np.array([0]), epsilon=0.0)
    with pytest.raises(InvalidParameterError, match=r"^epsilon\b"):
        distributional_evaluation(disc, np.array([0]), epsilon=float("nan"))
    with pytest.raises(InvalidParameterError, match=r"^max_iter\b"):
        distributional_evaluation(disc, np.array([0]), max_iter=2**63)
    with pytest.raises(InvalidParameterTypeError, match=r"^mdp\b"):
        distributional_evaluation("mdp", np.array([0]))
    with pytest.raises(InvalidParameterError, match=r"^max_atoms\b"):
        distributional_evaluation(
            random_mdp(3, 2, horizon=6, rng=0), np.zeros(3, dtype=np.int64), representation="exact", max_atoms=4
        )
    with pytest.raises(InvalidParameterError, match=r"^support: \[0, 1\] may not contain"):
        projection_error_bound(fin, "categorical", support=[0.0, 1.0])  # returns reach 2
    with pytest.raises(InvalidParameterError, match=r"^t\b"):
        distributional_evaluation(fin, np.array([0])).distribution(0, t=5)
    with pytest.raises(InvalidParameterError, match=r"^s\b"):
        distributional_evaluation(fin, np.array([0])).distribution(1)
    with pytest.raises(InvalidParameterError, match=r"^t: expected a step in \[0, 2\)"):
        quantile_bellman_operator(fin, np.array([0]), np.zeros((1, 2)), t=2)
    with pytest.raises(InvalidParameterError, match=r"^probs\b"):  # rows must be distributions
        categorical_bellman_operator(disc, np.array([0]), [[0.5, 0.0]], [0.0, 1.0])
    # a non-converged discounted evaluation says so
    ev = distributional_evaluation(FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=0.99), np.array([0]), max_iter=3)
    assert not ev.converged and ev.iterations == 3 and ev.error_bound > 1e-8


def test_tolerance_at_the_smallest_float_runs_to_the_budget_with_an_honest_bound():
    mdp = FiniteMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], gamma=0.5)
    ev = distributional_evaluation(mdp, np.array([0, 0]), n_atoms=5, epsilon=5e-324, max_iter=50)
    assert ev.iterations <= 50 and np.isfinite(ev.error_bound)
    assert ev.converged == (ev.error_bound <= 5e-324)


# ----------------------------------------------------------------------------- rows within tolerance
@pytest.mark.parametrize("seed", range(12))
def test_rows_within_tolerance_give_the_normalised_law(seed):
    """Stored rows summing to ``rho = 1 + d`` (``|d| < 1e-8``, the MDP's tolerance).

    The law computed is that of the normalised kernel ``P / rho``: every return
    distribution is a probability vector, and the mean is within
    ``gamma max|rho - 1| max|V| / (1 - gamma (1 + max|rho - 1|))`` (the perturbation of
    the stored rows' linear system) plus the iteration error of ``evaluate_policy`` on the
    stored rows; the exact law of a finite horizon is compared with the normalised
    rows' ``evaluate_policy`` outright.
    """
    rng = np.random.default_rng(seed)
    S, A = int(rng.integers(2, 5)), int(rng.integers(1, 3))
    w = rng.random((S, A, S)) + 0.05
    P = w / w.sum(axis=-1, keepdims=True)
    d = rng.uniform(-0.99e-8, 0.99e-8, size=(S, A, 1))
    P_stored = P * (1.0 + d)
    R = rng.uniform(-1.0, 1.0, size=(S, A))
    gamma = float(rng.choice([0.3, 0.6, 0.9]))
    pi = rng.dirichlet(np.ones(A), size=S)
    mdp = FiniteMDP(P_stored, R, gamma=gamma)
    delta = float(np.max(np.abs(mdp.row_sums - 1.0)))
    V = evaluate_policy(mdp, pi).V
    for rep in ("categorical", "quantile"):
        ev = distributional_evaluation(mdp, pi, representation=rep, n_atoms=21, epsilon=1e-12)
        np.testing.assert_allclose(ev.probs.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
        assert isinstance(ev.distributions(), DiscreteDistribution)
    cat = distributional_evaluation(mdp, pi, n_atoms=21, epsilon=1e-12)
    width = float(np.ptp(cat.support))
    gap = gamma * delta * float(np.max(np.abs(V))) / (1.0 - gamma * (1.0 + delta))
    assert np.all(np.abs(cat.mean() - V) <= gap + np.sqrt(width) * cat.error_bound + 1e-12)
    # finite horizon: the exact law's mean is V of the normalised rows (up to rounding)
    fin = FiniteMDP(P_stored, R, horizon=3)
    ex = distributional_evaluation(fin, pi, representation="exact")
    np.testing.assert_allclose(ex.probs.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    V_norm = evaluate_policy(FiniteMDP(P_stored / fin.row_sums[..., None], R, horizon=3), pi).V
    np.testing.assert_allclose(ex.mean(), V_norm, rtol=0, atol=1e-12)


def test_evaluation_is_a_result_with_its_laws_as_one_batch():
    mdp = FiniteMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], horizon=2)
    ev = distributional_evaluation(mdp, np.zeros(2, dtype=np.int64), representation="exact")
    assert isinstance(ev, DistributionalEvaluation) and ev.method == "exact" and ev.bounds() == {"error_bound": 0.0}
    assert "array(" not in repr(ev) and ev.summary().startswith("DistributionalEvaluation (exact)")
    batch = ev.distributions()
    assert batch.batch_shape == (2, 2)
    for t in range(2):
        for s in range(2):
            one = ev.distribution(s, t)
            assert batch[t, s].mean() == one.mean() and batch.cvar(0.5)[t, s] == one.cvar(0.5)
    np.testing.assert_array_equal(batch.mean(), ev.mean())
