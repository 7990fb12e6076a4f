"""``modified_policy_iteration(arithmetic="mixed")``: float32 sweeps, float64 certificate (issue 23).

Oracles: the value of policy iteration's final policy by a linear solve
(:func:`rlcore.evaluate_policy`, certified optimal by one backup) and the brute-force
``V*`` of tiny MDPs; the float64 Bellman operator of :mod:`rlcore.bellman` for the
float32 backup.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tabular
from rlcore import FiniteMDP, bellman_optimality, evaluate_policy, q_from_v
from rlcore.generators import random_mdp
from rlcore.testing import finite_mdps
from tabular._mixed_precision import float32_backup, float32_rows
from tabular.testing import brute_force_solution

REL_TOL = 1e-9


def reference_v_star(mdp: FiniteMDP) -> np.ndarray:
    V = evaluate_policy(mdp, tabular.policy_iteration(mdp).policy).V
    assert float(np.max(np.abs(bellman_optimality(mdp, V) - V))) <= 1e-9 * (1.0 - float(mdp.gamma))
    return V


def assert_certified(res, mdp: FiniteMDP, V_star: np.ndarray) -> None:
    tol = REL_TOL * max(1.0, float(np.max(np.abs(V_star))))
    assert res.converged
    assert res.value_bound <= res.epsilon and res.suboptimality_bound <= res.epsilon
    assert np.max(np.abs(res.V - V_star)) <= res.value_bound + tol
    assert np.max(V_star - evaluate_policy(mdp, res.policy).V) <= res.suboptimality_bound + tol
    assert np.all(res.V_lower <= V_star + tol) and np.all(V_star <= res.V_upper + tol)


@pytest.mark.parametrize("stopping", ["span", "sup"])
@pytest.mark.parametrize("epsilon", [1e-4, 1e-6, 1e-8])
@pytest.mark.parametrize("size", [(50, 3, 0.9), (400, 8, 0.99)])
def test_mixed_certifies_the_same_epsilon_as_double(size, epsilon, stopping):
    """The float32 phase changes where the float64 iteration starts, never what is
    certified: both paths meet epsilon against an independent V*."""
    S, A, gamma = size
    mdp = random_mdp(S, A, gamma=gamma, rng=S)
    V_star = reference_v_star(mdp)
    mixed = tabular.modified_policy_iteration(mdp, m="auto", epsilon=epsilon, stopping=stopping, arithmetic="mixed")
    double = tabular.modified_policy_iteration(mdp, m="auto", epsilon=epsilon, stopping=stopping)
    assert_certified(mixed, mdp, V_star)
    assert_certified(double, mdp, V_star)
    assert mixed.method.endswith(", mixed]")
    assert len(mixed.history["float32_residual"]) >= 1
    # the hand-over is to float64: the certificate is that of the float64 operator at V
    cert = tabular.certify(mdp, mixed.V)
    assert cert.suboptimality_bound <= 2 * epsilon + REL_TOL * max(1.0, float(np.max(np.abs(V_star))))


@given(mdp=finite_mdps(n_states=st.integers(1, 4), n_actions=st.integers(1, 3), discounted=True, sparse=False))
def test_mixed_is_certified_on_drawn_dense_mdps(mdp):
    """Against the brute-force V* of tiny MDPs (rows anywhere inside the tolerance)."""
    V_star = brute_force_solution(mdp).V
    res = tabular.modified_policy_iteration(mdp, m="auto", epsilon=1e-7, arithmetic="mixed")
    assert_certified(res, mdp, V_star)


def test_mixed_with_fixed_m_and_value_iteration_steps():
    """arithmetic="mixed" applies whatever m is (m=0: the float64 part is value iteration)."""
    mdp = random_mdp(80, 4, gamma=0.95, rng=3)
    V_star = reference_v_star(mdp)
    for m in (0, 5):
        assert_certified(tabular.modified_policy_iteration(mdp, m=m, arithmetic="mixed", epsilon=1e-8), mdp, V_star)


def test_sparse_mdps_ignore_mixed():
    mdp = random_mdp(500, 3, branching=5, sparse=True, gamma=0.95, rng=1)
    a = tabular.modified_policy_iteration(mdp, m="auto", arithmetic="mixed")
    b = tabular.modified_policy_iteration(mdp, m="auto")
    assert a.method == b.method == "modified_policy_iteration[m=auto, span]"
    np.testing.assert_array_equal(a.V, b.V)


def test_float32_backup_approximates_the_float64_operator():
    """The float32 rows are a cached read-only copy, and the backup is close to the
    float64 one (rounding relative to the spread of V, not its level)."""
    mdp = random_mdp(300, 5, gamma=0.99, rng=4)
    rows = float32_rows(mdp)
    assert rows.dtype == np.float32 and rows.shape == (1500, 300) and not rows.flags.writeable
    assert float32_rows(mdp) is rows
    V = 1000.0 + np.random.default_rng(0).random(300)  # a large level, a spread of 1
    Q, TV, pi = float32_backup(mdp, V)
    Q64 = q_from_v(mdp, V)
    np.testing.assert_allclose(Q, Q64, rtol=0, atol=1e-5)
    np.testing.assert_allclose(TV, Q64.max(axis=1), rtol=0, atol=1e-5)
    assert pi.shape == (300,)


def test_solve_forwards_arithmetic():
    mdp = random_mdp(100, 4, gamma=0.99, rng=6)
    res = tabular.solve(mdp, arithmetic="mixed", epsilon=1e-8)
    assert res.method == "modified_policy_iteration[m=auto, span, mixed]"
    assert_certified(res, mdp, reference_v_star(mdp))


@pytest.mark.parametrize(("arithmetic", "exc"), [("single", ValueError), ("float32", ValueError), (32, TypeError)])
def test_arithmetic_is_validated(arithmetic, exc):
    with pytest.raises(exc, match=r"^arithmetic\b"):
        tabular.modified_policy_iteration(random_mdp(5, 2, gamma=0.9, rng=0), arithmetic=arithmetic)
