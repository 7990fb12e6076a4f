"""Exact policy evaluation, occupancy measures and Bellman operators against
independent oracles (naive iteration, trajectory enumeration, power series, QuantEcon,
pymdptoolbox) and closed forms."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import rlcore
from rlcore import FiniteMDP, bellman_expectation, bellman_optimality, evaluate_policy, occupancy, q_from_v
from rlcore.testing import finite_mdps, mdps_and_policies, policies

from ._oracles import (
    exact_policy_values,
    iterative_evaluation,
    power_series_occupancy,
    stochastic,
    trajectory_enumeration_value,
)


def _scale(mdp):
    """Magnitude of returns, for relative tolerances."""
    rmax = float(np.max(np.abs(mdp.R))) + 1.0
    return rmax / (1.0 - mdp.gamma) if mdp.gamma is not None else rmax * mdp.horizon


def _to_sparse(mdp):
    S, _A = mdp.n_states, mdp.n_actions
    P = mdp.P.reshape(-1, S) if not mdp.is_sparse else mdp.P
    return FiniteMDP(sp.csr_matrix(P), mdp.R, gamma=mdp.gamma, horizon=mdp.horizon, initial=mdp.initial)


# ---------------------------------------------------------------- closed forms
def test_single_state_closed_form():
    mdp = FiniteMDP(np.ones((1, 2, 1)), [[1.0, 3.0]], gamma=0.75)
    ev = evaluate_policy(mdp, np.array([1]))
    np.testing.assert_allclose(ev.V, [3.0 / 0.25], rtol=1e-14)
    np.testing.assert_allclose(ev.Q, [[1.0 + 0.75 * 12.0, 12.0]], rtol=1e-14)


def test_two_state_cycle_closed_form():
    # s0 -> s1 -> s0 deterministically, reward r0 in s0 and r1 in s1:
    # V0 = (r0 + g r1) / (1 - g^2).
    g, r0, r1 = 0.9, 1.0, -2.0
    P = np.zeros((2, 1, 2))
    P[0, 0, 1] = 1.0
    P[1, 0, 0] = 1.0
    mdp = FiniteMDP(P, [[r0], [r1]], gamma=g)
    V = evaluate_policy(mdp, np.array([0, 0])).V
    np.testing.assert_allclose(V, [(r0 + g * r1) / (1 - g * g), (r1 + g * r0) / (1 - g * g)], rtol=1e-13)


# ---------------------------------------------------------------- discounted
@given(mdps_and_policies(finite_mdps(discounted=True)))
def test_bellman_equation_holds(pair):
    mdp, pi = pair
    ev = evaluate_policy(mdp, pi)
    tol = 1e-9 * _scale(mdp)
    np.testing.assert_allclose(bellman_expectation(mdp, pi, ev.V), ev.V, atol=tol)
    np.testing.assert_allclose(q_from_v(mdp, ev.V), ev.Q, atol=tol)
    v_from_q = np.einsum("sa,sa->s", stochastic(pi, mdp.n_actions), ev.Q)
    np.testing.assert_allclose(v_from_q, ev.V, atol=tol)


@given(mdps_and_policies(finite_mdps(discounted=True, n_states=st.integers(1, 4), n_actions=st.integers(1, 3))))
@settings(max_examples=25)
def test_matches_naive_iteration(pair):
    mdp, pi = pair
    V_ref, bound = iterative_evaluation(mdp, pi)
    V = evaluate_policy(mdp, pi).V
    assert np.max(np.abs(V - V_ref)) <= bound + 1e-9 * _scale(mdp)


@given(mdps_and_policies(finite_mdps(discounted=True), deterministic=True))
@settings(max_examples=25)
def test_matches_quantecon(pair):
    quantecon = pytest.importorskip("quantecon")
    mdp, pi = pair
    P = mdp.P.toarray().reshape(mdp.n_states, mdp.n_actions, -1) if mdp.is_sparse else np.array(mdp.P)
    ddp = quantecon.markov.DiscreteDP(np.array(mdp.R), P, mdp.gamma)
    np.testing.assert_allclose(evaluate_policy(mdp, pi).V, ddp.evaluate_policy(np.asarray(pi)), atol=1e-9 * _scale(mdp))


@given(mdps_and_policies(finite_mdps(discounted=True)))
def test_dense_and_sparse_agree(pair):
    mdp, pi = pair
    other = _to_sparse(mdp)
    a, b = evaluate_policy(mdp, pi), evaluate_policy(other, pi)
    tol = 1e-10 * _scale(mdp)
    np.testing.assert_allclose(a.V, b.V, atol=tol)
    np.testing.assert_allclose(a.Q, b.Q, atol=tol)
    np.testing.assert_allclose(occupancy(mdp, pi), occupancy(other, pi), atol=1e-10 / (1 - mdp.gamma))
    v = np.linspace(-1.0, 1.0, mdp.n_states)
    np.testing.assert_allclose(bellman_optimality(mdp, v), bellman_optimality(other, v), atol=1e-12 * _scale(mdp))


@given(mdps_and_policies(finite_mdps(discounted=True)))
def test_occupancy_sums_and_reproduces_value(pair):
    mdp, pi = pair
    d = occupancy(mdp, pi)
    assert d.shape == (mdp.n_states, mdp.n_actions)
    assert np.all(d >= -1e-12)
    np.testing.assert_allclose(d.sum(), 1.0 / (1.0 - mdp.gamma), rtol=1e-10)
    V = evaluate_policy(mdp, pi).V
    np.testing.assert_allclose(np.sum(d * mdp.R), mdp.initial @ V, atol=1e-9 * _scale(mdp))
    np.testing.assert_allclose(occupancy(mdp, pi, normalize=True).sum(), 1.0, rtol=1e-10)


@given(mdps_and_policies(finite_mdps(discounted=True, n_states=st.integers(1, 4), gamma=st.floats(0.0, 0.9))))
@settings(max_examples=25)
def test_occupancy_matches_power_series(pair):
    mdp, pi = pair
    n_terms = 400  # gamma <= 0.9: the tail is at most 0.9**400 / 0.1 < 1e-16
    np.testing.assert_allclose(occupancy(mdp, pi), power_series_occupancy(mdp, pi, n_terms), atol=1e-12)


@given(finite_mdps(discounted=True), st.data())
def test_bellman_optimality_dominates_every_expectation(mdp, data):
    """T V >= T^pi V for every policy pi (definition of the max), with equality for greedy."""
    pi = data.draw(policies(mdp))
    v = np.cos(np.arange(mdp.n_states, dtype=float))
    TV = bellman_optimality(mdp, v)
    assert np.all(TV >= bellman_expectation(mdp, pi, v) - 1e-12 * _scale(mdp))
    greedy = rlcore.greedy(q_from_v(mdp, v))
    np.testing.assert_allclose(bellman_expectation(mdp, greedy, v), TV, atol=1e-12 * _scale(mdp))


@given(finite_mdps(discounted=True))
def test_bellman_operator_is_gamma_contraction(mdp):
    rng = np.random.default_rng(0)
    u, w = rng.normal(size=mdp.n_states), rng.normal(size=mdp.n_states)
    lhs = np.max(np.abs(bellman_optimality(mdp, u) - bellman_optimality(mdp, w)))
    assert lhs <= mdp.gamma * np.max(np.abs(u - w)) + 1e-12


# ---------------------------------------------------------------- certified error bound
@given(
    mdps_and_policies(
        finite_mdps(n_states=st.integers(1, 4), n_actions=st.integers(1, 3), reward_scale=st.sampled_from([1.0, 1e3]))
    )
)
@settings(max_examples=40)
def test_error_bound_contains_the_exact_value(pair):
    """``max |V - V^pi| <= error_bound`` against V^pi of the stored MDP in exact rationals.

    No tolerance: every stored float is converted to a Fraction exactly, V^pi is solved
    over the rationals (discounted) or recursed backwards exactly (finite horizon, every
    step), and the computed values must lie within the certified bound.
    """
    mdp, pi = pair
    ev = evaluate_policy(mdp, pi)
    exact = exact_policy_values(mdp, pi)
    rows = [exact] if mdp.horizon is None else exact
    computed = [ev.V] if mdp.horizon is None else list(ev.V)
    bound = Fraction(float(ev.error_bound))
    for t, (V, truth) in enumerate(zip(computed, rows)):
        err = max(abs(Fraction(float(v)) - x) for v, x in zip(V, truth))
        assert err <= bound, f"t={t}: |V - V^pi| = {float(err)!r} > error_bound {ev.error_bound!r}"
    assert ev.bounds() == {"error_bound": ev.error_bound}


# ---------------------------------------------------------------- finite horizon
@given(mdps_and_policies(finite_mdps(discounted=False)))
def test_finite_horizon_backward_recursion(pair):
    mdp, pi = pair
    ev = evaluate_policy(mdp, pi)
    H = mdp.horizon
    assert ev.V.shape == (H, mdp.n_states) and ev.Q.shape == (H, mdp.n_states, mdp.n_actions)
    v_next = np.zeros(mdp.n_states)
    for t in range(H - 1, -1, -1):
        np.testing.assert_allclose(bellman_expectation(mdp, pi, v_next, t=t), ev.V[t], atol=1e-10 * _scale(mdp))
        v_next = ev.V[t]


@given(
    mdps_and_policies(
        finite_mdps(
            discounted=False, n_states=st.integers(1, 3), n_actions=st.integers(1, 2), horizon=st.integers(1, 3)
        )
    )
)
@settings(max_examples=25)
def test_finite_horizon_matches_trajectory_enumeration(pair):
    mdp, pi = pair
    V = evaluate_policy(mdp, pi).V
    for s0 in range(mdp.n_states):
        np.testing.assert_allclose(V[0, s0], trajectory_enumeration_value(mdp, pi, s0), atol=1e-10 * _scale(mdp))


@given(mdps_and_policies(finite_mdps(discounted=False)))
def test_finite_horizon_occupancy(pair):
    mdp, pi = pair
    d = occupancy(mdp, pi)
    np.testing.assert_allclose(d.sum(axis=(1, 2)), np.ones(mdp.horizon), rtol=1e-12)
    R = np.broadcast_to(mdp.R, (mdp.horizon, mdp.n_states, mdp.n_actions))
    V0 = evaluate_policy(mdp, pi).V[0]
    np.testing.assert_allclose(np.sum(d * R), mdp.initial @ V0, atol=1e-10 * _scale(mdp))


@given(mdps_and_policies(finite_mdps(discounted=False)))
def test_finite_horizon_dense_and_sparse_agree(pair):
    mdp, pi = pair
    other = _to_sparse(mdp)
    np.testing.assert_allclose(evaluate_policy(mdp, pi).V, evaluate_policy(other, pi).V, atol=1e-10 * _scale(mdp))
    np.testing.assert_allclose(occupancy(mdp, pi), occupancy(other, pi), atol=1e-12)


def test_pymdptoolbox_forest_policy_value():
    """pymdptoolbox's forest example: its PolicyIteration value of its optimal policy."""
    example = pytest.importorskip("mdptoolbox.example")
    mdp_mod = pytest.importorskip("mdptoolbox.mdp")
    P, R = example.forest(S=5, r1=4, r2=2, p=0.1)
    pi_solver = mdp_mod.PolicyIteration(P, R, 0.9)
    pi_solver.run()
    mdp = FiniteMDP(np.transpose(P, (1, 0, 2)), R, gamma=0.9)
    V = evaluate_policy(mdp, np.array(pi_solver.policy)).V
    np.testing.assert_allclose(V, np.array(pi_solver.V), rtol=1e-10)
