"""Tests of tabular.average_reward: relative value iteration and its certified gain bracket.

Oracles (independent of the library): brute-force enumeration of all deterministic
stationary policies, each policy's gain from

* its stationary distribution, the left eigenvector of ``P_pi`` for eigenvalue 1
  (``numpy.linalg.eig``), for unichain policies; or
* its Cesaro limit matrix ``P_pi^*`` computed as ``lim_n ((I + P_pi) / 2)^n`` by
  repeated squaring, which is valid for every chain structure (multichain included),
  so ``g*(s) = max_pi (P_pi^* r_pi)(s)`` (a deterministic stationary policy attains
  ``g*`` in all states simultaneously, Puterman 1994, section 9.1).

Plus Howard's policy iteration at gamma -> 1 for the Blackwell connection.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rlcore import FiniteMDP
from rlcore.generators import random_mdp, river_swim
from rlcore.testing import finite_mdps
from tabular import policy_iteration
from tabular.average_reward import AverageRewardResult, relative_value_iteration


# ---------------------------------------------------------------------------- oracles
def dense_P(mdp):
    S, A = mdp.n_states, mdp.n_actions
    return mdp.P.toarray().reshape(S, A, S) if mdp.is_sparse else np.asarray(mdp.P)


def all_policies(mdp):
    return [np.array(p) for p in itertools.product(range(mdp.n_actions), repeat=mdp.n_states)]


def chain(mdp, pi):
    P = dense_P(mdp)
    idx = np.arange(mdp.n_states)
    return P[idx, pi], np.asarray(mdp.R)[idx, pi]


def gain_by_eigenvector(mdp, pi):
    """Gain of a unichain policy: stationary distribution (eigenvector) times r_pi."""
    P_pi, r_pi = chain(mdp, pi)
    w, vecs = np.linalg.eig(P_pi.T)
    ones = np.abs(w - 1.0) < 1e-9
    assert ones.sum() == 1, "not unichain"
    stat = np.real(vecs[:, np.argmax(ones)])
    stat = stat / stat.sum()
    return float(stat @ r_pi)


def gain_vector_by_cesaro_limit(mdp, pi):
    """Gain vector P_pi^* r_pi of any policy: ((I + P_pi) / 2)^(2^60) by repeated squaring."""
    P_pi, r_pi = chain(mdp, pi)
    M = 0.5 * (np.eye(mdp.n_states) + P_pi)
    for _ in range(60):
        M = M @ M
        M /= M.sum(axis=1, keepdims=True)  # keep it stochastic: rounding would grow like (1+eps)^(2^k)
    return M @ r_pi


def optimal_gain_brute_force(mdp):
    """Per-state optimal gain g*(s) = max over deterministic stationary policies."""
    return np.max([gain_vector_by_cesaro_limit(mdp, pi) for pi in all_policies(mdp)], axis=0)


# ----------------------------------------------------------------------------- tests
@pytest.mark.parametrize("seed", range(4))
def test_gain_and_policy_against_brute_force(seed):
    mdp = random_mdp(4, 3, gamma=0.5, rng=seed)  # Dirichlet rows: every policy ergodic
    gains = {tuple(pi): gain_by_eigenvector(mdp, pi) for pi in all_policies(mdp)}
    g_star = max(gains.values())
    res = relative_value_iteration(mdp, epsilon=1e-10)
    assert isinstance(res, AverageRewardResult)
    assert res.converged
    assert res.gain_lower <= g_star + 1e-12 and g_star <= res.gain_upper + 1e-12
    assert abs(res.gain - g_star) <= 1e-10
    assert gains[tuple(res.policy)] >= g_star - 1e-10
    # (gain, bias) solves the optimality equation g + h = max_a (r + P h)
    P = dense_P(mdp)
    lhs = np.max(mdp.R + P @ res.bias, axis=1)
    np.testing.assert_allclose(lhs, res.gain + res.bias, atol=1e-9)
    np.testing.assert_allclose(res.Q.max(axis=1), res.bias, atol=1e-9)
    assert res.bias[0] == 0.0


@settings(max_examples=30)
@given(
    finite_mdps(n_states=st.integers(1, 4), n_actions=st.integers(1, 3), discounted=True),
    st.sampled_from([0.0, 0.3, 0.5, 0.9]),
    st.integers(1, 300),
)
def test_gain_bracket_holds_on_every_mdp(mdp, tau, max_iter):
    """min(Lh - h) <= g^policy(s) <= g*(s) <= max(Lh - h) for any chain structure, any stop."""
    g_star = optimal_gain_brute_force(mdp)
    res = relative_value_iteration(mdp, tau=tau, max_iter=max_iter, epsilon=1e-9)
    g_pi = gain_vector_by_cesaro_limit(mdp, res.policy)
    tol = 1e-9
    assert np.all(res.gain_lower <= g_star + tol) and np.all(g_star <= res.gain_upper + tol)
    assert np.all(g_pi >= res.gain_lower - tol)
    assert np.max(g_star - g_pi) <= res.suboptimality_bound + tol
    assert res.iterations <= max_iter
    assert len(res.history["span"]) == res.iterations
    if res.converged:
        assert np.ptp(g_star) <= res.epsilon + tol  # a converged run means g* is constant
        assert np.all(np.abs(res.gain - g_star) <= res.epsilon / 2 + tol)


def two_cycle(sparse=False):
    P = np.array([[[0.0, 1.0]], [[1.0, 0.0]]])
    P = sp.csr_array(P.reshape(2, 2)) if sparse else P
    return FiniteMDP(P, [[1.0], [0.0]], gamma=0.9)


@pytest.mark.parametrize("sparse", [False, True])
def test_periodic_two_cycle_needs_the_aperiodicity_transformation(sparse):
    mdp = two_cycle(sparse)
    plain = relative_value_iteration(mdp, tau=0.0, max_iter=1000)
    assert not plain.converged
    assert plain.gain_upper - plain.gain_lower == pytest.approx(1.0)  # oscillates forever
    assert plain.gain_lower <= 0.5 <= plain.gain_upper  # but stays honest
    res = relative_value_iteration(mdp, tau=0.5, epsilon=1e-12)
    assert res.converged
    assert res.gain == pytest.approx(0.5, abs=1e-12)
    np.testing.assert_allclose(res.bias, [0.0, -0.5], atol=1e-12)


def test_multichain_mdp_is_never_reported_converged():
    # two absorbing states paying 1 and 0: g* = (1, 0) is not a constant
    P = np.zeros((3, 1, 3))
    P[0, 0, 0] = P[1, 0, 1] = 1.0
    P[2, 0, :2] = 0.5
    mdp = FiniteMDP(P, [[1.0], [0.0], [0.3]], gamma=0.9)
    res = relative_value_iteration(mdp, max_iter=5000)
    assert not res.converged
    assert res.gain_lower <= 0.0 and res.gain_upper >= 1.0


def test_blackwell_connection_discounted_values_approach_the_gain():
    """(1 - gamma) V*_gamma = g* + (1 - gamma) h_B + O((1 - gamma)^2) (Puterman 1994, section 8.2).

    h_B (the bias of the Blackwell-optimal policy) has stationary mean 0, so |h_B| <=
    sp(h_B) = sp(bias); the discounted value differences converge to the bias differences.
    """
    mdp = random_mdp(5, 3, gamma=0.999, rng=11)
    res = relative_value_iteration(mdp, epsilon=1e-12)
    V = policy_iteration(mdp, epsilon=1e-9).V
    one_minus = 1.0 - mdp.gamma
    err = np.abs(one_minus * V - res.gain)
    assert np.max(err) <= one_minus * (np.ptp(res.bias) + 0.01)
    rel = (V - V[0]) - res.bias  # bias differences
    assert np.max(np.abs(rel)) <= 10 * one_minus * (1.0 + np.max(np.abs(res.bias)))
    # and a wrong gain would be caught: the check is tight at the 1e-3 level
    assert np.max(np.abs(one_minus * V - (res.gain + 1e-3))) > one_minus * (np.ptp(res.bias) + 0.01)


def test_river_swim_against_brute_force():
    mdp = river_swim(6)
    gains = {tuple(pi): gain_by_eigenvector(mdp, pi) for pi in all_policies(mdp)}
    g_star = max(gains.values())
    res = relative_value_iteration(mdp, epsilon=1e-11)
    assert res.converged
    assert abs(res.gain - g_star) <= 1e-11
    assert res.policy.tolist() == [1, 1, 1, 1, 1, 1]  # always swim right
    assert gains[tuple(res.policy)] == pytest.approx(g_star, abs=1e-12)
    assert g_star > gains[(0,) * 6] == pytest.approx(0.005)  # beats staying at the left bank


def test_sparse_and_dense_agree():
    dense = random_mdp(40, 3, branching=5, gamma=0.9, rng=7)
    sparse = random_mdp(40, 3, branching=5, sparse=True, gamma=0.9, rng=7)
    a = relative_value_iteration(dense, epsilon=1e-10)
    b = relative_value_iteration(sparse, epsilon=1e-10)
    assert a.converged and b.converged
    assert abs(a.gain - b.gain) <= 1e-10
    np.testing.assert_allclose(a.bias, b.bias, atol=1e-8)
    np.testing.assert_array_equal(a.policy, b.policy)


def test_gamma_is_ignored_and_ref_state_pins_the_bias():
    a = relative_value_iteration(random_mdp(6, 2, gamma=0.1, rng=3), epsilon=1e-10)
    b = relative_value_iteration(random_mdp(6, 2, gamma=0.99, rng=3), epsilon=1e-10, ref_state=4)
    assert a.gain == pytest.approx(b.gain, abs=1e-10)
    assert b.bias[4] == 0.0
    np.testing.assert_allclose(a.bias - a.bias[4], b.bias, atol=1e-8)


def test_max_iter_too_small_is_not_converged():
    mdp = random_mdp(10, 3, gamma=0.9, rng=0)
    g_star = relative_value_iteration(mdp, epsilon=1e-12).gain
    res = relative_value_iteration(mdp, max_iter=2, epsilon=1e-12)
    assert res.iterations == 2 and not res.converged
    assert res.gain_lower <= g_star <= res.gain_upper
    spans = relative_value_iteration(mdp, max_iter=50, epsilon=1e-14).history["span"]
    assert spans[-1] < spans[0]


# -------------------------------------------------------------------------- errors
def test_rejects_bad_input():
    mdp = random_mdp(3, 2, gamma=0.9, rng=0)
    with pytest.raises(ValueError, match="^mdp"):
        relative_value_iteration(FiniteMDP(np.ones((1, 1, 1)), [[1.0]], horizon=2))
    with pytest.raises(TypeError, match="^mdp"):
        relative_value_iteration(None)
    for tau in (1.0, -0.1, np.nan):
        with pytest.raises(ValueError, match="^tau"):
            relative_value_iteration(mdp, tau=tau)
    with pytest.raises(TypeError, match="^tau"):
        relative_value_iteration(mdp, tau=True)
    with pytest.raises(ValueError, match="^ref_state"):
        relative_value_iteration(mdp, ref_state=3)
    with pytest.raises(TypeError, match="^ref_state"):
        relative_value_iteration(mdp, ref_state=1.0)
    with pytest.raises(ValueError, match="^h0"):
        relative_value_iteration(mdp, h0=np.zeros(4))
    with pytest.raises(ValueError, match="^epsilon"):
        relative_value_iteration(mdp, epsilon=-1.0)
    with pytest.raises(ValueError, match="^max_iter"):
        relative_value_iteration(mdp, max_iter=0)
