"""Tests of tabular.soft (KL-regularised value iteration and backward induction) and
tabular.regularisation (a policy's regularised value, the gap to the hard optimum).

Oracles, none of which shares code with the module under test:

* closed forms: a one-state MDP (a bandit played forever, or for H steps), evaluated
  in 60-digit decimal arithmetic (float64 log-sum-exp itself errs by ``~eps * beta``);
* an independent soft *policy iteration* written here with dense NumPy linear solves
  (evaluate the Gibbs policy exactly, improve, repeat) for the exact ``V_beta``;
* the exact regularised value of a policy through :func:`rlcore.evaluate_policy` on the
  KL-penalised MDP built here;
* the hard optimum from :func:`tabular.policy_iteration` for the ``beta -> 0`` bounds;
* an explicit-loop (scalar ``math``) implementation of the finite-horizon recursion.
"""

from __future__ import annotations

import decimal
import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

from rlcore import FiniteMDP, evaluate_policy, validate_policy
from rlcore.generators import random_mdp
from rlcore.testing import finite_mdps, policies
from rlcore.results import CertifiedResult
from tabular import PlanningResult, policy_iteration
from tabular.regularisation import regularisation_gap_bound, regularised_policy_value
from tabular.soft import (
    SoftPlanningResult,
    soft_backward_induction,
    soft_bellman_backup,
    soft_value_iteration,
)

TOL = 1e-9  # slack for rounding in the oracles themselves (values are O(1 / (1 - gamma)))


# ----------------------------------------------------------------------------- helpers
def dense_P(mdp: FiniteMDP) -> np.ndarray:
    """(S, A, S) transitions of a stationary discounted MDP, from either layout."""
    S, A = mdp.n_states, mdp.n_actions
    P = mdp.P.toarray() if mdp.is_sparse else np.asarray(mdp.P)
    return P.reshape(S, A, S)


def ref_or_uniform(mdp: FiniteMDP, reference: np.ndarray | None) -> np.ndarray:
    return np.full((mdp.n_states, mdp.n_actions), 1.0 / mdp.n_actions) if reference is None else reference


def gibbs(Q: np.ndarray, pi0: np.ndarray, beta: float) -> np.ndarray:
    """pi0 exp(Q / beta), normalised, via scipy's softmax on the support of pi0."""
    from scipy.special import softmax

    logits = np.full(Q.shape, -np.inf)
    pos = pi0 > 0
    logits[pos] = Q[pos] / beta + np.log(pi0[pos])
    return softmax(logits, axis=-1)


def kl_rows(pi: np.ndarray, pi0: np.ndarray) -> np.ndarray:
    pos = pi > 0
    out = np.zeros(pi.shape)
    out[pos] = pi[pos] * (np.log(pi[pos]) - np.log(pi0[pos]))
    return out.sum(axis=-1)


def penalised_value(mdp: FiniteMDP, pi: np.ndarray, pi0: np.ndarray, beta: float) -> np.ndarray:
    """Regularised value of ``pi``: rlcore.evaluate_policy on rewards R - beta KL(pi || pi0)."""
    R_pen = np.asarray(mdp.R) - beta * kl_rows(pi, pi0)[:, None]
    return evaluate_policy(FiniteMDP(mdp.P, R_pen, gamma=mdp.gamma), pi).V


def soft_policy_iteration(mdp: FiniteMDP, beta: float, pi0: np.ndarray, iters: int = 200) -> np.ndarray:
    """Exact V_beta by soft policy iteration with dense NumPy solves (independent oracle)."""
    S, _A = mdp.n_states, mdp.n_actions
    P, R, g = dense_P(mdp), np.asarray(mdp.R), mdp.gamma
    pi = pi0.copy()
    V = np.zeros(S)
    for _ in range(iters):
        r_pi = (pi * R).sum(axis=1) - beta * kl_rows(pi, pi0)
        V_new = np.linalg.solve(np.eye(S) - g * np.einsum("sa,sat->st", pi, P), r_pi)
        Q = R + g * P @ V_new
        pi = gibbs(Q, pi0, beta)
        if np.max(np.abs(V_new - V)) <= 1e-14 * (1.0 + np.max(np.abs(V_new))):
            break
        V = V_new
    return V_new


_CTX = decimal.Context(prec=60, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def exact_soft_max(q, pi0, beta: float) -> float:
    """beta log sum_a pi0(a) exp(q(a) / beta) in 60-digit decimal arithmetic.

    ``pi0`` is normalised exactly first: float rows such as ``[1/3] * 3`` sum to
    ``1 - 2**-54``, and ``beta log(sum pi0)`` is then ``-5.5e-11`` for ``beta = 1e6``.
    """
    D = _CTX.create_decimal
    pairs = [(D(float(p)), D(float(x))) for p, x in zip(pi0, q) if p > 0]
    mass = sum((p for p, _ in pairs), D(0))
    m = max(x for _, x in pairs)
    b = D(beta)
    total = sum((_CTX.divide(p, mass) * _CTX.exp(_CTX.divide(x - m, b)) for p, x in pairs), D(0))
    return float(m + b * _CTX.ln(total))


@st.composite
def instances(
    draw, *, gamma=st.floats(0.0, 0.95), betas=(0.05, 0.5, 3.0), sparse=None, zeros=True, n_actions=st.integers(1, 4)
):
    """(mdp, reference or None, beta): references drawn with zero entries."""
    mdp = draw(finite_mdps(discounted=True, gamma=gamma, sparse=sparse, n_actions=n_actions))
    reference = None
    if zeros and draw(st.booleans()):
        reference = draw(policies(mdp, deterministic=False))
    return mdp, reference, draw(st.sampled_from(betas))


# ----------------------------------------------------------------------------- (1) closed forms
@pytest.mark.parametrize("beta", [1e-8, 1e-2, 1.0, 50.0, 1e6])
@pytest.mark.parametrize("pi0", [None, [0.5, 0.3, 0.2], [0.0, 0.25, 0.75], [1 - 1e-12, 0.0, 1e-12]])
@pytest.mark.parametrize("gamma", [0.0, 0.9])
def test_bandit_closed_form(beta, pi0, gamma):
    r = np.array([0.3, -1.0, 1.2])
    ref = np.full(3, 1 / 3) if pi0 is None else np.asarray(pi0, dtype=float)
    mdp = FiniteMDP(np.ones((1, 3, 1)), r[None, :], gamma=gamma)
    res = soft_value_iteration(mdp, beta, reference=None if pi0 is None else ref[None, :], epsilon=1e-9)
    pos = ref > 0
    V_exact = exact_soft_max(r, ref, beta) / (1 - gamma)
    pi_exact = np.zeros(3)
    w = np.log(ref[pos]) + r[pos] / beta
    pi_exact[pos] = np.exp(w - logsumexp(w))
    assert isinstance(res, SoftPlanningResult) and res.converged
    assert abs(res.V[0] - V_exact) <= res.value_bound + 1e-12 * max(1.0, abs(V_exact))
    assert res.V_lower[0] - 1e-12 <= V_exact <= res.V_upper[0] + 1e-12
    np.testing.assert_allclose(res.policy[0], pi_exact, rtol=1e-9, atol=1e-12)
    assert res.greedy_policy[0] == int(np.argmax(np.where(pos, r, -np.inf)))
    assert res.value_bound <= 1e-9 and res.beta == beta


def test_soft_result_is_a_planning_result():
    mdp = FiniteMDP(np.ones((1, 2, 1)), [[0.0, 1.0]], gamma=0.5)
    res = soft_value_iteration(mdp, 0.5)
    assert isinstance(res, PlanningResult) and isinstance(res, CertifiedResult)
    assert res.bounds() == {"value_bound": res.value_bound, "suboptimality_bound": res.suboptimality_bound}
    assert repr(res).startswith("SoftPlanningResult(V=<(1,) float64>, Q=<(1, 2) float64>, policy=<(1, 2) float64>")
    assert repr(res).endswith("greedy_policy=<(1,) int64>, beta=0.5)")


def test_bandit_gap_bound_is_attained():
    """One good arm among A: V* - V_beta -> beta log A / (1 - gamma), the bound is tight."""
    A, gamma, beta = 5, 0.8, 0.01
    r = np.full(A, -50.0)
    r[2] = 1.0
    mdp = FiniteMDP(np.ones((1, A, 1)), r[None, :], gamma=gamma)
    res = soft_value_iteration(mdp, beta, epsilon=1e-10)
    gap = 1.0 / (1 - gamma) - res.V[0]
    bound = regularisation_gap_bound(mdp, beta)
    assert bound == pytest.approx(beta * math.log(A) / (1 - gamma))
    assert gap <= bound + 1e-9
    assert gap >= 0.999 * bound  # attained to 0.1%: the constant log A is not loose


def test_finite_horizon_bandit_closed_form():
    r = np.array([[0.0, math.log(3.0), -2.0]])
    mdp = FiniteMDP(np.ones((1, 3, 1)), r, horizon=4)
    for beta in (1e-8, 0.7, 1e5):
        res = soft_backward_induction(mdp, beta)
        per_step = exact_soft_max(r[0], np.full(3, 1 / 3), beta)
        np.testing.assert_allclose(res.V[:, 0], per_step * np.arange(4, 0, -1), rtol=1e-12, atol=1e-12)
        assert res.policy.shape == (4, 1, 3) and res.greedy_policy.tolist() == [[1]] * 4


# ----------------------------------------------------------------------------- (2)-(4) fixed point, policy, value
@settings(max_examples=40)
@given(instances())
def test_fixed_point_policy_and_bounds(case):
    mdp, reference, beta = case
    res = soft_value_iteration(mdp, beta, reference=reference, epsilon=1e-8)
    pi0 = ref_or_uniform(mdp, reference)
    P, R, g = dense_P(mdp), np.asarray(mdp.R), mdp.gamma
    scale = 1.0 + np.max(np.abs(res.V))
    assert res.converged and res.value_bound <= 1e-8 and res.suboptimality_bound <= 1e-8
    # (2) Q = R + gamma P V and V = sum_a pi (Q - beta log(pi / pi0)) within the bound
    np.testing.assert_allclose(res.Q, R + g * P @ res.V, rtol=0, atol=TOL * scale)
    pos = res.policy > 0
    log_ratio = np.zeros(res.policy.shape)
    log_ratio[pos] = np.log(res.policy[pos]) - np.log(pi0[pos])
    V_fp = np.einsum("sa,sa->s", res.policy, res.Q - beta * log_ratio)
    assert np.max(np.abs(V_fp - res.V)) <= res.value_bound + TOL * scale
    # (3) a valid stochastic policy, proportional to pi0 exp(Q / beta), zero off the support
    validate_policy(res.policy, mdp.n_states, mdp.n_actions)
    np.testing.assert_allclose(res.policy, gibbs(res.Q, pi0, beta), rtol=1e-8, atol=1e-12)
    assert np.all(res.policy[pi0 == 0] == 0.0)
    assert np.all(pi0[np.arange(mdp.n_states), res.greedy_policy] > 0)
    # the certified bracket holds against the exact V_beta (independent soft PI)
    V_beta = soft_policy_iteration(mdp, beta, pi0)
    assert np.all(res.V_lower <= V_beta + TOL * scale) and np.all(V_beta <= res.V_upper + TOL * scale)
    assert np.max(np.abs(res.V - V_beta)) <= res.value_bound + TOL * scale
    # (4) the regularised value of the returned policy, computed independently
    V_pi = penalised_value(mdp, res.policy, pi0, beta)
    assert np.all(V_pi <= V_beta + TOL * scale)  # V_beta is optimal
    assert np.all(V_beta - V_pi <= res.suboptimality_bound + TOL * scale)
    assert np.all(res.V_lower <= V_pi + TOL * scale)
    assert np.max(np.abs(res.V - V_pi)) <= res.value_bound + TOL * scale


@settings(max_examples=25)
@given(instances(betas=(0.3, 2.0)), st.data())
def test_regret_is_beta_times_discounted_kl_to_posterior(case, data):
    """Korbak et al. (2022): V_beta - V^pi_beta = beta (I - gamma P_pi)^{-1} KL(pi || pi_beta)."""
    mdp, reference, beta = case
    pi0 = ref_or_uniform(mdp, reference)
    raw = data.draw(policies(mdp, deterministic=False))
    pi = np.where(pi0 > 0, raw + pi0, 0.0)  # any policy absolutely continuous w.r.t. pi0
    pi /= pi.sum(axis=1, keepdims=True)
    res = soft_value_iteration(mdp, beta, reference=reference, epsilon=1e-11)
    V_pi = regularised_policy_value(mdp, pi, beta, reference=reference).V
    np.testing.assert_allclose(V_pi, penalised_value(mdp, pi, pi0, beta), rtol=0, atol=1e-9)
    P, g, S = dense_P(mdp), mdp.gamma, mdp.n_states
    rhs = beta * np.linalg.solve(np.eye(S) - g * np.einsum("sa,sat->st", pi, P), kl_rows(pi, res.policy))
    tol = 4 * res.value_bound / (1 - g) + 1e-8
    np.testing.assert_allclose(res.V - V_pi, rhs, rtol=0, atol=tol)
    assert np.all(res.V - V_pi >= -res.value_bound - 1e-9)


# ----------------------------------------------------------------------------- operator properties
@settings(max_examples=40)
@given(instances(gamma=st.floats(0.0, 0.99), betas=(1e-3, 0.5, 20.0)), st.data())
def test_operator_monotone_translation_contraction_sandwich(case, data):
    mdp, reference, beta = case
    S = mdp.n_states
    vec = st.lists(st.floats(-5, 5, allow_subnormal=False), min_size=S, max_size=S).map(np.array)
    V, U = data.draw(vec), data.draw(vec)
    c = data.draw(st.floats(-3, 3, allow_subnormal=False))
    Q, TV, pi = soft_bellman_backup(mdp, V, beta, reference=reference)
    _, TU, _ = soft_bellman_backup(mdp, U, beta, reference=reference)
    _, TVc, _ = soft_bellman_backup(mdp, V + c, beta, reference=reference)
    _, TW, _ = soft_bellman_backup(mdp, np.maximum(V, U), beta, reference=reference)
    tol = 1e-12 * (1 + 5 + abs(c) + beta)
    g = mdp.gamma
    assert np.max(np.abs(TV - TU)) <= g * np.max(np.abs(V - U)) + tol  # contraction
    np.testing.assert_allclose(TVc, TV + g * c, rtol=0, atol=tol)  # distributes over constants
    assert np.all(TW >= np.maximum(TV, TU) - tol)  # monotone
    # log-sum-exp sandwich: max_a Q + beta log pi0(a*) <= T_beta V <= max_a Q
    pi0 = ref_or_uniform(mdp, reference)
    Qs = np.where(pi0 > 0, Q, -np.inf)
    a_star = np.argmax(Qs, axis=1)
    hard = Qs[np.arange(S), a_star]
    assert np.all(TV <= hard + tol)
    assert np.all(TV >= hard + beta * np.log(pi0[np.arange(S), a_star]) - tol)
    # the Gibbs policy attains the maximum of the regularised one-step objective
    pos = pi > 0
    log_ratio = np.zeros(pi.shape)
    log_ratio[pos] = np.log(pi[pos]) - np.log(pi0[pos])
    objective = np.einsum("sa,sa->s", pi, Q - beta * log_ratio)
    np.testing.assert_allclose(objective, TV, rtol=0, atol=tol + 1e-12 * np.abs(Q).max())


# ----------------------------------------------------------------------------- (5) beta -> 0
@settings(max_examples=30)
@given(instances(gamma=st.floats(0.0, 0.9), betas=(1.0, 1e-1, 1e-2, 1e-4)))
def test_small_beta_recovers_hard_solution(case):
    mdp, reference, beta = case
    pi0 = ref_or_uniform(mdp, reference)
    # the restricted MDP: actions outside the support of pi0 become a copy of the
    # state's first supported action (its value set equals that of the restricted MDP)
    first = np.argmax(pi0 > 0, axis=1)
    P, R = dense_P(mdp).copy(), np.array(mdp.R)
    for s, a in zip(*np.nonzero(pi0 == 0)):
        P[s, a], R[s, a] = P[s, first[s]], R[s, first[s]]
    hard = policy_iteration(FiniteMDP(P, R, gamma=mdp.gamma), epsilon=1e-10)
    res = soft_value_iteration(mdp, beta, reference=reference, epsilon=1e-10)
    bound = regularisation_gap_bound(mdp, beta, reference=reference)
    ell = max(float(-np.log(pi0[pi0 > 0].reshape(-1).min())), 0.0)
    if reference is None:
        # the closed form for exactly stochastic rows, widened by the certified row-sum factor
        assert bound >= beta * math.log(mdp.n_actions) / (1 - mdp.gamma)
        assert bound == pytest.approx(beta * math.log(mdp.n_actions) / (1 - mdp.gamma), rel=1e-13)
    assert bound <= beta * ell / (1 - mdp.gamma) * (1 + 1e-13) + 1e-15
    slack = res.value_bound + hard.value_bound + TOL
    gap = hard.V - res.V
    assert np.all(gap >= -slack) and np.all(gap <= bound + slack)  # V_beta <= V* <= V_beta + bound
    # the soft policy is bound-optimal for the *hard* problem
    V_soft_hard = evaluate_policy(mdp, res.policy).V
    assert np.all(hard.V - V_soft_hard <= bound + slack)


@settings(max_examples=30)
@given(instances(gamma=st.floats(0.0, 0.9), zeros=False, betas=(0.0,), n_actions=st.integers(2, 4)))
def test_small_beta_greedy_policy_is_optimal(case):
    mdp, _, _ = case
    hard = policy_iteration(mdp, epsilon=1e-12)
    Qs = np.sort(hard.Q, axis=1)
    gap = float(np.min(Qs[:, -1] - Qs[:, -2]))
    assume(gap > 1e-4)  # a unique optimal action in every state
    g = mdp.gamma
    # greedy(Q_beta) is optimal once gamma * beta log A / (1 - gamma) < gap / 2
    beta = min(0.25 * gap * (1 - g) / max(g * math.log(mdp.n_actions), 1e-12), 10.0)
    res = soft_value_iteration(mdp, beta, epsilon=1e-10)
    assert res.greedy_policy.tolist() == hard.policy.tolist()
    # and the soft policy concentrates on it: pi(a)/pi(a*) <= exp(-gap/beta + gamma log A/(1-gamma)),
    # which is <= 0.01 / A at this beta
    A = mdp.n_actions
    tiny_beta = 0.5 * gap / (g * math.log(A) / (1 - g) + math.log(100 * A))
    tiny = soft_value_iteration(mdp, tiny_beta, epsilon=1e-10)
    assert np.all(tiny.policy[np.arange(mdp.n_states), hard.policy] >= 0.99)


# ----------------------------------------------------------------------------- (6) beta -> infinity
@settings(max_examples=30)
@given(instances(gamma=st.floats(0.0, 0.9), betas=(10.0, 1e3, 1e6)))
def test_large_beta_recovers_reference(case):
    mdp, reference, beta = case
    pi0 = ref_or_uniform(mdp, reference)
    res = soft_value_iteration(mdp, beta, reference=reference, epsilon=1e-9)
    g = mdp.gamma
    delta_r = float(np.max(mdp.R) - np.min(mdp.R))
    # the policy is close to the prior: |log(pi / pi0)| <= Delta / (beta (1 - gamma))
    pos = pi0 > 0
    assert np.all(res.policy[~pos] == 0.0)
    log_ratio = np.abs(np.log(res.policy[pos]) - np.log(pi0[pos]))
    assert np.max(log_ratio) <= delta_r / (beta * (1 - g)) + 1e-9
    # the value: Jensen below, Hoeffding's lemma above
    V_ref = evaluate_policy(mdp, pi0).V
    slack = res.value_bound + TOL * (1 + np.max(np.abs(V_ref)))
    assert np.all(res.V >= V_ref - slack)
    assert np.all(res.V <= V_ref + delta_r**2 / (8 * beta * (1 - g) ** 3) + slack)


# ----------------------------------------------------------------------------- (7) dense vs sparse
@settings(max_examples=30)
@given(instances(sparse=False, gamma=st.floats(0.0, 0.99)))
def test_dense_and_sparse_agree(case):
    mdp, reference, beta = case
    S, A = mdp.n_states, mdp.n_actions
    sparse = FiniteMDP(sp.csr_array(np.asarray(mdp.P).reshape(S * A, S)), mdp.R, gamma=mdp.gamma)
    a = soft_value_iteration(mdp, beta, reference=reference, epsilon=1e-8)
    b = soft_value_iteration(sparse, beta, reference=reference, epsilon=1e-8)
    assert a.converged and b.converged
    scale = 1.0 + np.max(np.abs(a.V))
    assert np.max(np.abs(a.V - b.V)) <= a.value_bound + b.value_bound + TOL * scale
    np.testing.assert_allclose(a.policy, b.policy, rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------------------- (8) zeros in the reference
def test_reference_zeros_are_never_taken():
    """The excluded arm pays 100 and would dominate; the soft optimum ignores it."""
    P = np.zeros((2, 3, 2))
    P[:, :, 1] = 1.0  # everything moves to state 1
    R = np.array([[100.0, 1.0, 0.0], [100.0, 0.0, 1.0]])
    ref = np.array([[0.0, 0.5, 0.5], [0.0, 0.9, 0.1]])
    mdp = FiniteMDP(P, R, gamma=0.9)
    for beta in (1e-6, 0.5, 1e4):
        res = soft_value_iteration(mdp, beta, reference=ref, epsilon=1e-9)
        assert np.all(res.policy[:, 0] == 0.0) and np.all(res.greedy_policy != 0)
        v1 = exact_soft_max(R[1], ref[1], beta) / (1 - 0.9)  # state 1 loops to itself
        v0 = exact_soft_max(R[0] + 0.9 * v1, ref[0], beta)
        np.testing.assert_allclose(res.V, [v0, v1], rtol=0, atol=res.value_bound + 1e-12 * abs(v1))
    with pytest.raises(ValueError, match=r"^policy\b.*infinite KL"):
        regularised_policy_value(mdp, np.array([0, 1]), 1.0, reference=ref)


# ----------------------------------------------------------------------------- (9) budget and bad input
def test_not_converged_is_reported_and_bounds_still_hold():
    mdp = random_mdp(8, 3, gamma=0.99, reward="normal", rng=3)
    pi0 = np.full((8, 3), 1 / 3)
    V_beta = soft_policy_iteration(mdp, 0.2, pi0)
    for max_iter, v0 in [(1, 500.0), (2, -500.0), (5, 500.0), (5, -500.0)]:  # start above and below
        res = soft_value_iteration(mdp, 0.2, max_iter=max_iter, V0=np.full(8, v0))
        assert not res.converged and res.iterations == max_iter
        assert len(res.history["residual"]) == max_iter
        assert res.value_bound > 1e-6
        assert np.all(res.V_lower <= V_beta + 1e-9) and np.all(V_beta <= res.V_upper + 1e-9)
        assert np.max(np.abs(res.V - V_beta)) <= res.value_bound + 1e-9
    res = soft_value_iteration(mdp, 0.2)
    assert res.converged and res.history["value_bound"][-1] == res.value_bound


def test_reference_rows_within_tolerance_are_used_normalised():
    """Rows summing to 1 + 5e-9 are valid input; read literally they would shift V by
    beta * 5e-9 / (1 - gamma) = 0.05 at beta = 1e6."""
    mdp = random_mdp(4, 3, gamma=0.9, rng=7)
    pi0 = np.array([[0.2, 0.3, 0.5]] * 4)
    exact = soft_value_iteration(mdp, 1e6, reference=pi0, epsilon=1e-9)
    loose = soft_value_iteration(mdp, 1e6, reference=pi0 * (1 + 5e-9), epsilon=1e-9)
    np.testing.assert_allclose(loose.V, exact.V, rtol=0, atol=exact.value_bound + loose.value_bound)


def test_extreme_magnitudes_do_not_overflow():
    P = np.zeros((2, 2, 2))
    P[0, :, 1] = 1.0
    P[1, :, 0] = 1.0
    R = np.array([[1e6, -1e6], [0.0, 3e5]])
    mdp = FiniteMDP(P, R, gamma=0.5)
    with np.errstate(all="raise"):
        res = soft_value_iteration(mdp, 1e-8)
        big = soft_value_iteration(mdp, 1e12)
    hard = policy_iteration(mdp)
    assert np.all(np.isfinite(res.V)) and np.all(np.isfinite(res.policy))
    np.testing.assert_allclose(res.V, hard.V, rtol=1e-12)
    assert res.greedy_policy.tolist() == hard.policy.tolist()
    np.testing.assert_array_equal(res.policy, np.eye(2)[hard.policy])
    np.testing.assert_allclose(big.policy, 0.5, rtol=1e-5)


_MDP = FiniteMDP(np.ones((1, 2, 1)), [[0.0, 1.0]], gamma=0.5)
_FH = FiniteMDP(np.ones((1, 2, 1)), [[0.0, 1.0]], horizon=3)


@pytest.mark.parametrize(
    "kwargs, exc, pattern",
    [
        ({"beta": 0.0}, ValueError, r"^beta\b.*tabular\.solve"),
        ({"beta": -1.0}, ValueError, r"^beta\b"),
        ({"beta": float("nan")}, ValueError, r"^beta\b"),
        ({"beta": float("inf")}, ValueError, r"^beta\b"),
        ({"beta": True}, TypeError, r"^beta\b"),
        ({"beta": "1"}, TypeError, r"^beta\b"),
        ({"beta": 1.0, "reference": [[0.5, 0.6]]}, ValueError, r"^reference\b.*sum to 1"),
        ({"beta": 1.0, "reference": [[0.5, 0.5 - 1e-6]]}, ValueError, r"^reference\b"),
        ({"beta": 1.0, "reference": [[-0.5, 1.5]]}, ValueError, r"^reference\b"),
        ({"beta": 1.0, "reference": [[np.nan, 1.0]]}, ValueError, r"^reference\b"),
        ({"beta": 1.0, "reference": np.full((2, 2), 0.5)}, ValueError, r"^reference\b"),
        ({"beta": 1.0, "epsilon": 0.0}, ValueError, r"^epsilon\b"),
        ({"beta": 1.0, "max_iter": 0}, ValueError, r"^max_iter\b"),
        ({"beta": 1.0, "V0": [0.0, 0.0]}, ValueError, r"^V0\b"),
    ],
)
def test_bad_input_names_the_argument(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        soft_value_iteration(_MDP, **kwargs)


def test_wrong_criterion_or_object_is_rejected():
    with pytest.raises(ValueError, match=r"^mdp\b.*discounted.*soft_backward_induction"):
        soft_value_iteration(_FH, 1.0)
    with pytest.raises(ValueError, match=r"^mdp\b.*finite-horizon"):
        soft_backward_induction(_MDP, 1.0)
    with pytest.raises(TypeError, match=r"^mdp\b"):
        soft_value_iteration("not an mdp", 1.0)
    with pytest.raises(ValueError, match=r"^beta\b"):
        soft_backward_induction(_FH, 0.0)
    with pytest.raises(ValueError, match=r"^reference\b"):
        soft_backward_induction(_FH, 1.0, reference=np.full((2, 1, 2), 0.5))  # wrong H
    with pytest.raises(ValueError, match=r"^V\b"):
        soft_bellman_backup(_MDP, [0.0, 1.0], 1.0)


# ----------------------------------------------------------------------------- (10) finite horizon
def loop_soft_backward_induction(mdp: FiniteMDP, beta: float, pi0: np.ndarray):
    """Scalar-loop soft recursion (independent of the module's vectorised code)."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    V = [[0.0] * S for _ in range(H + 1)]
    Q = [[[0.0] * A for _ in range(S)] for _ in range(H)]
    pol = [[[0.0] * A for _ in range(S)] for _ in range(H)]
    for t in range(H - 1, -1, -1):
        Pt = mdp.transitions_at(t)
        Pt = Pt.toarray().reshape(S, A, S) if mdp.is_sparse else np.asarray(Pt)
        Rt = mdp.rewards_at(t)
        p0 = pi0[t] if pi0.ndim == 3 else pi0
        for s in range(S):
            for a in range(A):
                Q[t][s][a] = float(Rt[s, a]) + sum(float(Pt[s, a, k]) * V[t + 1][k] for k in range(S))
            Z = sum(float(p0[s, a]) * math.exp(Q[t][s][a] / beta) for a in range(A))
            V[t][s] = beta * math.log(Z)
            for a in range(A):
                pol[t][s][a] = float(p0[s, a]) * math.exp(Q[t][s][a] / beta) / Z
    return np.array(V[:H]), np.array(Q), np.array(pol)


@st.composite
def finite_horizon_instances(draw):
    mdp = draw(finite_mdps(discounted=False, horizon=st.integers(1, 4)))
    reference = None
    if draw(st.booleans()):
        reference = draw(policies(mdp, deterministic=False))  # stationary or (H, S, A)
    return mdp, reference, draw(st.sampled_from((0.3, 1.0, 4.0)))


@settings(max_examples=40)
@given(finite_horizon_instances(), st.data())
def test_soft_backward_induction_matches_loops_and_is_optimal(case, data):
    mdp, reference, beta = case
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    pi0 = np.full((S, A), 1.0 / A) if reference is None else reference
    res = soft_backward_induction(mdp, beta, reference=reference)
    V, Q, pol = loop_soft_backward_induction(mdp, beta, pi0)
    assert res.V.shape == (H, S) and res.Q.shape == (H, S, A) and res.policy.shape == (H, S, A)
    assert res.converged and res.iterations == H
    np.testing.assert_allclose(res.V, V, rtol=0, atol=res.value_bound + 1e-12)
    np.testing.assert_allclose(res.Q, Q, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.policy, pol, rtol=1e-9, atol=1e-12)
    assert np.all(res.V_lower <= V + 1e-12) and np.all(V <= res.V_upper + 1e-12)  # the loops round too
    # optimality: the returned policy's regularised value is V, any other policy's is lower
    V_pi = regularised_policy_value(mdp, res.policy, beta, reference=reference).V
    np.testing.assert_allclose(V_pi, res.V, rtol=0, atol=1e-9)
    pi0_full = np.broadcast_to(pi0, (H, S, A))
    other = data.draw(policies(mdp, deterministic=False, time_dependent=True))
    other = np.where(pi0_full > 0, other + pi0_full, 0.0)
    other /= other.sum(axis=-1, keepdims=True)
    assert np.all(regularised_policy_value(mdp, other, beta, reference=reference).V <= res.V + 1e-9)
    # beta -> 0 bound against hard backward induction on the support of pi0 (own recursion)
    v_hard = np.zeros(S)
    for t in range(H - 1, -1, -1):
        Pt = mdp.transitions_at(t)
        Qt = mdp.rewards_at(t) + (Pt @ v_hard if mdp.is_sparse else np.asarray(Pt) @ v_hard).reshape(S, A)
        v_hard = np.where(pi0_full[t] > 0, Qt, -np.inf).max(axis=1)
    gap = v_hard - res.V[0]
    assert np.all(gap >= -1e-9) and np.all(gap <= regularisation_gap_bound(mdp, beta, reference=reference) + 1e-9)
