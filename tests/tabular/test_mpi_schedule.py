"""The adaptive schedule of ``modified_policy_iteration(m="auto")`` (issue 23).

Oracles, none of which is the planner under test:

* the exact ``V*`` of tiny MDPs by enumeration of deterministic policies
  (:func:`tabular.testing.brute_force_solution`);
* for larger MDPs, the value of policy iteration's final policy by a linear solve
  (:func:`rlcore.evaluate_policy`), certified optimal by one Bellman backup;
* QuantEcon's ``DiscreteDP.solve("modified_policy_iteration")`` (an established
  library) for the number of greedy backups the same certified accuracy needs.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import tabular
from rlcore import FiniteMDP, bellman_optimality, evaluate_policy
from rlcore.generators import random_mdp, river_swim
from rlcore.testing import finite_mdps
from tabular.testing import brute_force_solution

REL_TOL = 1e-9


def slack(V_star: np.ndarray) -> float:
    return REL_TOL * max(1.0, float(np.max(np.abs(V_star))))


def reference_v_star(mdp: FiniteMDP) -> np.ndarray:
    """V* as the value of policy iteration's policy (a linear solve), checked by one backup."""
    V = evaluate_policy(mdp, tabular.policy_iteration(mdp).policy).V
    residual = float(np.max(np.abs(bellman_optimality(mdp, V) - V)))
    assert residual <= 1e-9 * (1.0 - float(mdp.gamma)), residual
    return V


def assert_certified(res, mdp: FiniteMDP, V_star: np.ndarray) -> None:
    tol = slack(V_star)
    assert res.converged
    assert res.value_bound <= res.epsilon and res.suboptimality_bound <= res.epsilon
    assert np.max(np.abs(res.V - V_star)) <= res.value_bound + tol
    assert np.max(V_star - evaluate_policy(mdp, res.policy).V) <= res.suboptimality_bound + tol
    assert np.all(res.V_lower <= V_star + tol) and np.all(V_star <= res.V_upper + tol)


@given(
    mdp=finite_mdps(n_states=st.integers(1, 4), n_actions=st.integers(1, 3), discounted=True),
    stopping=st.sampled_from(["span", "sup"]),
    epsilon=st.sampled_from([1e-3, 1e-8]),
)
def test_auto_schedule_is_monotone_and_certified_against_enumeration(mdp, stopping, epsilon):
    """From the default start the iterates increase and stay below V* (Puterman 1994,
    Thm. 6.5.5, any sequence m_k), and the bounds hold against the brute-force V*."""
    V_star = brute_force_solution(mdp).V
    V0 = np.full(mdp.n_states, mdp.R.min() / (1 - mdp.gamma))
    iterates = [V0]
    res = tabular.modified_policy_iteration(
        mdp, m="auto", epsilon=epsilon, stopping=stopping, callback=lambda it, V: iterates.append(np.array(V))
    )
    assert_certified(res, mdp, V_star)
    tol = slack(V_star)
    if stopping == "sup":  # the span rule may move an iterate to its bracket's centre (a shift)
        for k in range(1, len(iterates)):
            assert np.all(iterates[k] >= iterates[k - 1] - tol), f"iterate {k} decreased"
            assert np.all(iterates[k] <= V_star + tol), f"iterate {k} exceeds V*"


@pytest.mark.parametrize(
    "mdp",
    [
        random_mdp(300, 8, gamma=0.99, rng=0),
        random_mdp(3000, 4, branching=10, sparse=True, gamma=0.99, rng=1),
        random_mdp(2000, 4, branching=1, sparse=True, gamma=0.99, rng=1),  # slow mixing: deterministic rows
        river_swim(20, gamma=0.99),
    ],
    ids=["dense-300", "garnet-3000-b10", "garnet-2000-b1", "river-swim-20"],
)
def test_auto_schedule_needs_no_more_greedy_backups_than_quantecon_mpi(mdp):
    """Issue 23: no more full Bellman sweeps than QuantEcon's MPI (k = 20) for the same
    certified epsilon, and the answer certified against an independent V*."""
    DiscreteDP = pytest.importorskip("quantecon.markov").DiscreteDP
    S, A = mdp.n_states, mdp.n_actions
    P = sp.csr_matrix(mdp.P) if mdp.is_sparse else sp.csr_matrix(np.asarray(mdp.P).reshape(S * A, S))
    ddp = DiscreteDP(np.asarray(mdp.R).ravel(), P, mdp.gamma, np.repeat(np.arange(S), A), np.tile(np.arange(A), S))
    epsilon = 1e-6
    qe = ddp.solve("modified_policy_iteration", epsilon=epsilon, max_iter=100_000)
    res = tabular.modified_policy_iteration(mdp, m="auto", epsilon=epsilon)
    assert_certified(res, mdp, reference_v_star(mdp))
    assert res.iterations <= qe.num_iter, (res.iterations, qe.num_iter)
    np.testing.assert_array_equal(res.policy, np.asarray(qe.sigma))


def test_evaluation_backups_are_recorded_and_fixed_m_is_exact():
    """history["evaluation_backups"] has one entry per non-final step; fixed m runs m."""
    mdp = random_mdp(40, 3, gamma=0.95, rng=2)
    for m in (0, 3):
        res = tabular.modified_policy_iteration(mdp, m=m, epsilon=1e-8)
        backups = res.history["evaluation_backups"]
        assert len(backups) == res.iterations - 1
        assert np.all(backups == m)
    res = tabular.modified_policy_iteration(mdp, m="auto", epsilon=1e-8)
    backups = res.history["evaluation_backups"]
    assert len(backups) == res.iterations - 1 and np.all((backups >= 1) & (backups <= 1000))


def test_auto_schedule_dense_and_sparse_agree():
    """The same MDP stored dense and sparse: the same policy, both certified."""
    dense = random_mdp(60, 4, gamma=0.97, rng=5)
    sparse = FiniteMDP(sp.csr_array(np.asarray(dense.P).reshape(-1, 60)), np.array(dense.R), gamma=dense.gamma)
    V_star = reference_v_star(dense)
    a = tabular.modified_policy_iteration(dense, m="auto", epsilon=1e-9)
    b = tabular.modified_policy_iteration(sparse, m="auto", epsilon=1e-9)
    assert_certified(a, dense, V_star)
    assert_certified(b, sparse, V_star)
    np.testing.assert_array_equal(a.policy, b.policy)


def test_policy_rows_are_recopied_when_row_lengths_change():
    """Sparse rows of different lengths: a policy change that alters P_pi's layout is
    rebuilt, not patched (checked against policy iteration's V*)."""
    rng = np.random.default_rng(7)
    S, A = 30, 3
    P = np.zeros((S, A, S))
    for s in range(S):
        for a in range(A):
            succ = rng.choice(S, size=1 + (s + a) % 5, replace=False)
            P[s, a, succ] = rng.dirichlet(np.ones(succ.size))
    mdp = FiniteMDP(sp.csr_array(P.reshape(S * A, S)), rng.random((S, A)), gamma=0.9)
    res = tabular.modified_policy_iteration(mdp, m="auto", epsilon=1e-9)
    assert_certified(res, mdp, reference_v_star(mdp))
