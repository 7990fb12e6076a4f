"""Tests of tabular.lp: the LP formulation of a discounted MDP and its dual.

Oracles: Howard's policy iteration (a second algorithm), rlcore.evaluate_policy and
rlcore.occupancy (exact linear solves, independent of the LP), and the dual constraints
written out with explicit loops over a dense copy of P.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rlcore import FiniteMDP, evaluate_policy, occupancy
from rlcore.generators import forest, random_mdp
from rlcore.testing import finite_mdps
from tabular import PlanningResult, policy_iteration
from tabular.lp import LPResult, linear_programming

SMALL = dict(n_states=st.integers(1, 5), n_actions=st.integers(1, 3), discounted=True)


def dense_P(mdp):
    S, A = mdp.n_states, mdp.n_actions
    return mdp.P.toarray().reshape(S, A, S) if mdp.is_sparse else np.asarray(mdp.P)


def flow_residual_loops(mdp, d, mu):
    """max_s' |sum_a d(s', a) - gamma sum_{s,a} P(s'|s, a) d(s, a) - mu(s')|, by loops."""
    P = dense_P(mdp)
    S, A = mdp.n_states, mdp.n_actions
    worst = 0.0
    for s2 in range(S):
        inflow = 0.0
        for s in range(S):
            for a in range(A):
                inflow += P[s, a, s2] * d[s, a]
        worst = max(worst, abs(d[s2].sum() - mdp.gamma * inflow - mu[s2]))
    return worst


def optimal_value(mdp):
    """V* from policy iteration, with its certified error."""
    pi = policy_iteration(mdp, epsilon=1e-9)
    return pi.V, pi.value_bound


# ---------------------------------------------------------------------------- primal
@settings(max_examples=15)
@given(finite_mdps(**SMALL))
def test_lp_agrees_with_policy_iteration_within_certified_bounds(mdp):
    res = linear_programming(mdp)
    assert isinstance(res, LPResult) and isinstance(res, PlanningResult)
    V_star, pi_err = optimal_value(mdp)
    scale = 1.0 + np.max(np.abs(V_star))
    slack = pi_err + 1e-12 * scale
    # the certified statements, against an independent V*
    assert np.max(np.abs(res.V - V_star)) <= res.value_bound + slack
    assert np.all(res.V_lower <= V_star + slack) and np.all(V_star <= res.V_upper + slack)
    V_pi = evaluate_policy(mdp, res.policy).V
    assert np.max(V_star - V_pi) <= res.suboptimality_bound + slack
    # HiGHS's simplex solves these tiny LPs essentially exactly
    assert res.solver == "HIGHS" and res.solver_status == "optimal"
    assert res.converged and res.value_bound <= 1e-6


# ------------------------------------------------------------------------------ dual
@settings(max_examples=15)
@given(finite_mdps(**SMALL), st.data())
def test_dual_is_the_occupancy_measure_of_an_optimal_policy(mdp, data):
    S = mdp.n_states
    if data.draw(st.booleans(), label="custom weights"):
        w = np.array(data.draw(st.lists(st.floats(0.1, 3.0), min_size=S, max_size=S), label="weights"))
    else:
        w = None
    res = linear_programming(mdp, weights=w)
    mu = res.weights
    assert np.all(mu > 0)
    if w is None:
        expected = mdp.initial if np.all(mdp.initial > 0) else np.full(S, 1.0 / S)
        np.testing.assert_array_equal(mu, expected)
    else:
        np.testing.assert_array_equal(mu, w)
    d = res.occupancy
    k = 1.0 / (1.0 - mdp.gamma)
    V_star, pi_err = optimal_value(mdp)
    r_scale = 1.0 + float(np.max(np.abs(mdp.R)))
    tol = 1e-7 * k * mu.sum() * r_scale

    assert d.shape == (S, mdp.n_actions)
    assert d.min() >= -1e-9 * k
    assert abs(d.sum() - mu.sum() * k) <= 1e-7 * k * mu.sum()
    assert flow_residual_loops(mdp, d, mu) <= 1e-7 * k * mu.sum()
    assert res.flow_residual == pytest.approx(flow_residual_loops(mdp, d, mu), abs=1e-12 * k * mu.sum())
    # strong duality: mu^T V* = <d, r>
    assert abs(mu @ V_star - np.sum(d * mdp.R)) <= tol + mu.sum() * pi_err
    # the dual policy: rows are distributions, its occupancy (independent linear solve) is d
    pi_d = res.dual_policy
    np.testing.assert_allclose(pi_d.sum(axis=1), 1.0, atol=1e-12)
    d_check = mu.sum() * occupancy(mdp, pi_d, initial=mu / mu.sum())
    np.testing.assert_allclose(d, d_check, atol=tol)
    # ... and it is optimal on every state (mu > 0 makes every state reachable)
    V_d = evaluate_policy(mdp, pi_d).V
    gap = float(np.max(V_star - V_d))
    assert gap <= res.dual_policy_suboptimality_bound + pi_err + 1e-12 * k * r_scale
    assert gap <= 1e-6 * k * r_scale


def test_dense_and_sparse_give_the_same_answer():
    dense = random_mdp(30, 3, branching=4, gamma=0.95, rng=3)
    sparse = random_mdp(30, 3, branching=4, sparse=True, gamma=0.95, rng=3)
    a, b = linear_programming(dense), linear_programming(sparse)
    assert a.converged and b.converged
    assert np.max(np.abs(a.V - b.V)) <= a.value_bound + b.value_bound
    np.testing.assert_array_equal(a.policy, b.policy)
    np.testing.assert_allclose(a.occupancy, b.occupancy, atol=1e-7)


def test_large_lp_uses_interior_point_and_is_still_certified():
    mdp = random_mdp(600, 4, branching=5, sparse=True, gamma=0.95, rng=0)  # 2400 pairs > 2000
    res = linear_programming(mdp)
    ref = policy_iteration(mdp, epsilon=1e-9)
    assert res.solver_status == "optimal"
    assert np.max(np.abs(res.V - ref.V)) <= res.value_bound + ref.value_bound
    assert res.converged
    assert res.flow_residual <= 1e-6
    V_d = evaluate_policy(mdp, res.dual_policy).V
    assert np.max(ref.V - V_d) <= res.dual_policy_suboptimality_bound + ref.value_bound


def test_textbook_value_and_clarabel():
    # forest management (pymdptoolbox's example), V* known from the other planners' doctests
    res = linear_programming(forest(gamma=0.9), solver="clarabel")
    assert res.solver == "CLARABEL" and res.converged
    np.testing.assert_allclose(res.V, [26.244, 29.484, 33.484], atol=1e-3)
    assert res.policy.tolist() == [0, 0, 0]


# ------------------------------------------------------------------ certification
def test_certification_catches_a_solver_that_returns_a_wrong_value(monkeypatch):
    mdp = random_mdp(8, 3, gamma=0.9, rng=5)
    V_star = policy_iteration(mdp, epsilon=1e-10).V
    real_solve = cp.Problem.solve

    def lying_solve(self, *args, **kwargs):
        out = real_solve(self, *args, **kwargs)
        var = self.variables()[0]
        var.value = var.value + np.where(np.arange(var.shape[0]) == 2, 0.01, 0.0)
        # move half of state 4's occupancy onto its worst action
        con = self.constraints[0]
        d = np.array(con.dual_value).reshape(8, 3)
        worst = int(np.argmin(mdp.R[4] + mdp.gamma * mdp.P[4] @ V_star))
        d[4, worst] += d[4].sum()
        con.save_dual_value(d.ravel())
        return out

    monkeypatch.setattr(cp.Problem, "solve", lying_solve)
    res = linear_programming(mdp)
    assert res.solver_status == "optimal"  # the solver claims success ...
    assert not res.converged  # ... but the certificate does not
    assert res.value_bound >= 0.001
    assert np.all(res.V_lower <= V_star + 1e-12) and np.all(V_star <= res.V_upper + 1e-12)
    assert np.max(np.abs(res.V - V_star)) <= res.value_bound
    # the corrupted dual policy is suboptimal, and its certified bound says by how much at most
    gap = float(np.max(V_star - evaluate_policy(mdp, res.dual_policy).V))
    assert gap > 1e-3
    assert gap <= res.dual_policy_suboptimality_bound
    assert res.flow_residual > 0.1


def test_converged_needs_an_optimal_status(monkeypatch):
    real_solve = cp.Problem.solve

    def inaccurate_solve(self, *args, **kwargs):
        out = real_solve(self, *args, **kwargs)
        self._status = "optimal_inaccurate"  # exact values, but the solver is unsure
        return out

    monkeypatch.setattr(cp.Problem, "solve", inaccurate_solve)
    res = linear_programming(forest(gamma=0.9))
    assert res.solver_status == "optimal_inaccurate"
    assert res.value_bound <= 1e-9 and not res.converged


def test_loose_solver_tolerance_gives_honest_bounds_and_polish_repairs_them():
    mdp = random_mdp(30, 3, gamma=0.999, rng=2)
    V_star = policy_iteration(mdp, epsilon=1e-9).V
    loose = linear_programming(mdp, solver="SCS", eps_abs=1e-3, eps_rel=1e-3)
    assert not loose.converged
    assert loose.value_bound > 1e-6
    assert np.all(loose.V_lower <= V_star + 1e-9) and np.all(V_star <= loose.V_upper + 1e-9)
    polished = linear_programming(mdp, solver="SCS", eps_abs=1e-3, eps_rel=1e-3, polish=True)
    assert polished.method.endswith("polished]")
    assert polished.value_bound < loose.value_bound
    assert np.max(np.abs(polished.V - V_star)) <= polished.value_bound + 1e-9


def test_iteration_limit_is_reported_as_not_converged():
    mdp = random_mdp(40, 3, gamma=0.95, rng=1)
    V_star = policy_iteration(mdp, epsilon=1e-10).V
    with pytest.warns(UserWarning):  # cvxpy warns that the solution may be inaccurate
        res = linear_programming(mdp, highs_options={"simplex_iteration_limit": 2})
    assert res.solver_status != "optimal"
    assert not res.converged
    assert np.all(res.V_lower <= V_star + 1e-9) and np.all(V_star <= res.V_upper + 1e-9)


def test_solver_failure_raises(monkeypatch):
    def failing_solve(self, *args, **kwargs):
        raise cp.error.SolverError("boom")

    monkeypatch.setattr(cp.Problem, "solve", failing_solve)
    with pytest.raises(RuntimeError, match="HIGHS failed"):
        linear_programming(forest(gamma=0.9))


def test_status_without_solution_raises(monkeypatch):
    def infeasible_solve(self, *args, **kwargs):
        self._status = "infeasible"
        return np.inf

    monkeypatch.setattr(cp.Problem, "solve", infeasible_solve)
    with pytest.raises(RuntimeError, match="'infeasible'"):
        linear_programming(forest(gamma=0.9))


# ------------------------------------------------------------------------- errors
def test_rejects_finite_horizon():
    mdp = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], horizon=3)
    with pytest.raises(ValueError, match="^mdp"):
        linear_programming(mdp)
    with pytest.raises(TypeError, match="^mdp"):
        linear_programming("not an mdp")


@pytest.mark.parametrize(
    "weights, exc",
    [
        ([0.5, 0.5, 0.0], ValueError),
        ([0.5, -0.5, 1.0], ValueError),
        ([1.0, 1.0], ValueError),
        ([1.0, np.nan, 1.0], ValueError),
        ("abc", TypeError),
    ],
)
def test_rejects_bad_weights(weights, exc):
    with pytest.raises(exc, match="^weights"):
        linear_programming(forest(gamma=0.9), weights=weights)


def test_rejects_bad_solver_and_options():
    with pytest.raises(ValueError, match="^solver"):
        linear_programming(forest(gamma=0.9), solver="NO_SUCH_SOLVER")
    with pytest.raises(TypeError, match="^solver"):
        linear_programming(forest(gamma=0.9), solver=3)
    with pytest.raises(ValueError, match="^epsilon"):
        linear_programming(forest(gamma=0.9), epsilon=0.0)
    with pytest.raises(TypeError, match="^polish"):
        linear_programming(forest(gamma=0.9), polish="yes")


def test_point_mass_initial_falls_back_to_uniform_weights():
    P = np.zeros((2, 1, 2))
    P[0, 0, 1] = P[1, 0, 1] = 1.0
    mdp = FiniteMDP(P, [[1.0], [2.0]], gamma=0.5, initial=[1.0, 0.0])
    res = linear_programming(mdp)
    np.testing.assert_array_equal(res.weights, [0.5, 0.5])
    np.testing.assert_allclose(res.V, [1.0 + 0.5 * 4.0, 4.0], atol=1e-9)
    # csr P of the same MDP
    sparse = FiniteMDP(sp.csr_array(P.reshape(2, 2)), [[1.0], [2.0]], gamma=0.5, initial=[1.0, 0.0])
    np.testing.assert_allclose(linear_programming(sparse).V, res.V, atol=1e-9)
