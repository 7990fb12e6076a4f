"""k-QVI solvability (Laidlaw, Russell and Dragan, NeurIPS 2023, Section 5) against oracles.

Oracles, none of which is :mod:`tabular.effective_horizon`:

* ``Q^rand`` and ``Q^k`` recomputed here by plain loops over dense transition tensors;
* "every greedy policy is optimal", decided by enumerating every deterministic Markov
  policy that is greedy w.r.t. ``Q^k`` and evaluating it with
  :func:`rlcore.evaluate_policy` against :func:`tabular.backward_induction`'s ``V*``;
  when there are too many such policies, by the worst greedy policy found by a
  min-over-greedy-actions backward recursion (both methods run, and agree, when the
  enumeration is small);
* closed forms derived below for a combination lock and hand-built MDPs.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rlcore import FiniteMDP, evaluate_policy
from rlcore.generators import combination_lock
from rlcore.testing import finite_mdps
from tabular import backward_induction
from tabular.effective_horizon import (
    KQVIResult,
    is_k_qvi_solvable,
    k_qvi,
    k_qvi_check,
    min_k,
    random_policy_q,
)

SMALL: dict[str, Any] = dict(
    discounted=False,
    n_states=st.integers(1, 4),
    n_actions=st.integers(1, 3),
    horizon=st.integers(1, 4),
)
# the same bounds, but away from the trivial corners (H = 1 or A = 1 is always
# 1-QVI-solvable), so that unsolvable k occur often
NONTRIVIAL: dict[str, Any] = dict(
    discounted=False,
    n_states=st.integers(2, 4),
    n_actions=st.integers(2, 3),
    horizon=st.integers(2, 4),
)


@st.composite
def integer_reward_mdps(draw: Any) -> FiniteMDP:
    """Deterministic dynamics, time-dependent integer rewards in [-3, 3], start in state 0:
    misleading random-policy values and exact ties are both common."""
    S = draw(st.integers(2, 4), label="S")
    A = draw(st.integers(2, 3), label="A")
    H = draw(st.integers(2, 4), label="H")
    nxt = np.array(draw(st.lists(st.integers(0, S - 1), min_size=S * A, max_size=S * A))).reshape(S, A)
    R = np.array(draw(st.lists(st.integers(-3, 3), min_size=H * S * A, max_size=H * S * A)), dtype=float)
    P = np.zeros((S, A, S))
    P[np.arange(S)[:, None], np.arange(A)[None, :], nxt] = 1.0
    return FiniteMDP(P, R.reshape(H, S, A), horizon=H, initial=np.eye(S)[0])


MDPS = st.one_of(finite_mdps(**SMALL), finite_mdps(**NONTRIVIAL), integer_reward_mdps())
ENUM_CAP = 3000  # enumerate greedy policies only up to this many


# ----------------------------------------------------------------------------- oracles
def dense_model(mdp: FiniteMDP) -> tuple[np.ndarray, np.ndarray]:
    """P of shape (H, S, A, S) and R of shape (H, S, A), whatever the storage."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    assert H is not None
    P = np.empty((H, S, A, S))
    R = np.empty((H, S, A))
    for t in range(H):
        Pt = mdp.transitions_at(t)
        Pt = Pt.toarray() if hasattr(Pt, "toarray") else np.asarray(Pt)
        P[t] = Pt.reshape(S, A, S)
        R[t] = mdp.rewards_at(t)
    return P, R


def oracle_q_k(mdp: FiniteMDP, k: int) -> np.ndarray:
    """Q^1 = Q^rand by the uniform-policy recursion, then k - 1 optimality backups."""
    P, R = dense_model(mdp)
    H, S, A = R.shape
    Q = np.zeros((H, S, A))
    for t in reversed(range(H)):
        for s in range(S):
            for a in range(A):
                nxt = 0.0 if t == H - 1 else sum(P[t, s, a, s2] * Q[t + 1, s2].mean() for s2 in range(S))
                Q[t, s, a] = R[t, s, a] + nxt
    for _ in range(k - 1):
        new = np.zeros_like(Q)
        for t in range(H):
            for s in range(S):
                for a in range(A):
                    nxt = 0.0 if t == H - 1 else sum(P[t, s, a, s2] * Q[t + 1, s2].max() for s2 in range(S))
                    new[t, s, a] = R[t, s, a] + nxt
        Q = new
    return Q


def worst_greedy_value_dp(mdp: FiniteMDP, greedy_mask: np.ndarray) -> float:
    """min over greedy deterministic Markov policies of V^pi(initial), by backward recursion."""
    P, R = dense_model(mdp)
    H, S, A = R.shape
    v = np.zeros(S)
    for t in reversed(range(H)):
        q = R[t] + P[t] @ v
        v = np.where(greedy_mask[t], q, np.inf).min(axis=1)
    return float(mdp.initial @ v)


def worst_greedy_value_enum(mdp: FiniteMDP, greedy_mask: np.ndarray) -> float:
    H, S, _ = greedy_mask.shape
    choices = [np.flatnonzero(greedy_mask[t, s]) for t in range(H) for s in range(S)]
    worst = np.inf
    for combo in itertools.product(*choices):
        pi = np.array(combo, dtype=np.int64).reshape(H, S)
        worst = min(worst, float(mdp.initial @ evaluate_policy(mdp, pi).V[0]))
    return worst


# ----------------------------------------------------------------------- property tests
@settings(max_examples=40)
@given(data=st.data(), mdp=MDPS)
def test_q_k_matches_independent_recursion(data, mdp):
    k = data.draw(st.integers(1, mdp.horizon), label="k")
    np.testing.assert_allclose(k_qvi(mdp, k), oracle_q_k(mdp, k), rtol=0, atol=1e-10)
    np.testing.assert_allclose(random_policy_q(mdp), oracle_q_k(mdp, 1), rtol=0, atol=1e-10)


@settings(max_examples=60)
@given(mdp=MDPS)
def test_solvable_iff_every_greedy_policy_is_optimal(mdp):
    v_star = float(mdp.initial @ backward_induction(mdp).V[0])
    for k in range(1, mdp.horizon + 1):
        res = k_qvi_check(mdp, k)
        assert isinstance(res, KQVIResult) and res.k == k
        # greedy sets: exact argmax ties of Q^k (the library's default greedy_atol = 0)
        mask = res.Q >= res.Q.max(axis=2, keepdims=True)
        np.testing.assert_array_equal(res.greedy, mask)
        worst = worst_greedy_value_dp(mdp, mask)
        n_greedy = int(np.prod(mask.sum(axis=2), dtype=np.float64))
        if n_greedy <= ENUM_CAP:
            assert worst == pytest.approx(worst_greedy_value_enum(mdp, mask), abs=1e-10)
        gap = v_star - worst
        assert gap >= -1e-10
        # gaps in (1e-12, 1e-6) are within reach of rounding / the 1e-9 per-state tolerance
        assume(not (1e-12 < gap < 1e-6))
        assert res.solvable == (gap <= 1e-12), (k, gap, res.violation)
        assert is_k_qvi_solvable(mdp, k) == res.solvable
        assert (res.violation is None) == res.solvable


@settings(max_examples=40)
@given(mdp=MDPS)
def test_min_k_is_the_first_solvable_k_and_k_equal_h_always_works(mdp):
    H = mdp.horizon
    m = min_k(mdp)
    assert 1 <= m <= H
    assert is_k_qvi_solvable(mdp, m)
    assert not any(is_k_qvi_solvable(mdp, k) for k in range(1, m))
    assert is_k_qvi_solvable(mdp, H)
    # Q^H = Q*
    np.testing.assert_allclose(k_qvi(mdp, H), backward_induction(mdp).Q, rtol=0, atol=1e-10)


@settings(max_examples=25)
@given(data=st.data(), mdp=MDPS)
def test_backups_are_exact_near_the_horizon(data, mdp):
    # Q^k_t = Q*_t whenever t + k - 1 >= H - 1 (the backups reach the last step)
    H = mdp.horizon
    k = data.draw(st.integers(1, H), label="k")
    Q_star = backward_induction(mdp).Q
    Qk = k_qvi(mdp, k)
    for t in range(max(0, H - k), H):
        np.testing.assert_allclose(Qk[t], Q_star[t], rtol=0, atol=1e-10)


# ------------------------------------------------------------------------ closed forms
def _two_step_mdp(r_left: list[float], r_right: list[float]) -> FiniteMDP:
    """Step 0 in state 0: action 0 -> state 1 (reward 0), action 1 -> state 2 (reward 1).
    Step 1: rewards r_left in state 1, r_right in state 2; H = 2."""
    P = np.zeros((3, 2, 3))
    P[0, 0, 1] = P[0, 1, 2] = 1.0
    P[1:, :, 0] = 1.0
    R = np.array([[0.0, 1.0], r_left, r_right])
    return FiniteMDP(P, R, horizon=2, initial=[1.0, 0.0, 0.0])


def test_random_q_already_orders_actions_so_k_is_one():
    # Q^rand_0(0, .) = [0 + mean(0, 0), 1 + mean(-3, -3)] = [0, -2] = Q*_0(0, .):
    # the random policy's Q already prefers the optimal action 0.
    mdp = _two_step_mdp([0.0, 0.0], [-3.0, -3.0])
    np.testing.assert_allclose(random_policy_q(mdp)[0, 0], [0.0, -2.0])
    assert min_k(mdp) == 1 and is_k_qvi_solvable(mdp, 1)


def test_random_q_misleads_so_k_is_two():
    # Q^rand_0(0, .) = [0 + mean(0, -4), 1 + mean(-3, -1.5)] = [-2, -1.25]: prefers 1;
    # Q*_0(0, .) = [0 + 0, 1 - 1.5] = [0, -0.5]: action 0 is optimal; one backup fixes it.
    mdp = _two_step_mdp([0.0, -4.0], [-3.0, -1.5])
    np.testing.assert_allclose(random_policy_q(mdp)[0, 0], [-2.0, -1.25])
    res = k_qvi_check(mdp, 1)
    assert not res.solvable and res.violation == (0, 0, 1)
    assert min_k(mdp) == 2
    np.testing.assert_allclose(k_qvi(mdp, 2)[0, 0], [0.0, -0.5])


def test_only_states_reached_by_greedy_policies_matter():
    # The misleading two-step gadget (states 0, 1, 2 of the previous test) behind a new
    # start state 4 (H = 3): action 0 -> absorbing zero-reward state 3 with reward 1,
    # action 1 -> gadget state 0 with reward 0. Q^rand_0(4, .) = [1, mean(-2, -1.25)]
    # and Q*_0(4, .) = [1, max(0, -0.5)] = [1, 0]: greedy goes to state 3, so the gadget,
    # where Q^rand misleads, is reachable by some policy but by no greedy one.
    P = np.zeros((5, 2, 5))
    P[0, 0, 1] = P[0, 1, 2] = 1.0
    P[1:4, :, 3] = 1.0
    P[4, 0, 3] = P[4, 1, 0] = 1.0
    R = np.array([[0.0, 1.0], [0.0, -4.0], [-3.0, -1.5], [0.0, 0.0], [1.0, 0.0]])
    mdp = FiniteMDP(P, R, horizon=3, initial=[0, 0, 0, 0, 1.0])
    np.testing.assert_allclose(random_policy_q(mdp)[0, 4], [1.0, -1.625])
    res = k_qvi_check(mdp, 1)
    assert res.solvable and min_k(mdp) == 1
    assert not res.reachable[1, 0] and res.reachable[1, 3]
    # starting in the gadget instead, Q^rand misleads on the path: k = 2 is needed
    mdp0 = FiniteMDP(P, R, horizon=3, initial=[1.0, 0, 0, 0, 0])
    assert min_k(mdp0) == 2


def test_all_argmax_actions_must_be_optimal():
    # Q^rand ties both actions at the start but only action 0 is optimal:
    # Q^rand_0(0, .) = [0 + mean(2, 0), 1 + mean(0, 0)] = [1, 1]; Q*_0(0, .) = [2, 1].
    # "Every greedy policy is optimal" fails (the greedy policy taking action 1 is not).
    mdp = _two_step_mdp([2.0, 0.0], [0.0, 0.0])
    np.testing.assert_allclose(random_policy_q(mdp)[0, 0], [1.0, 1.0])
    assert not is_k_qvi_solvable(mdp, 1)
    assert min_k(mdp) == 2


@pytest.mark.parametrize(
    ("H", "A", "combination"),
    [(1, 2, [1]), (3, 2, [0, 1, 1]), (5, 3, [2, 0, 1, 1, 0]), (8, 4, [3, 1, 0, 2, 2, 1, 0, 3])],
)
def test_combination_lock_is_one_qvi_solvable(H, A, combination):
    # Derivation: in good state t the right digit keeps the chain alive and the random
    # policy then opens the lock w.p. A**-(H-1-t), so Q^rand_t(t, right) = A**-(H-1-t) > 0,
    # while every wrong digit leads to the dead state: Q^rand_t(t, wrong) = 0. Greedy
    # policies thus follow the chain and are optimal: min_k = 1. (k-QVI-solvability says
    # nothing about sample cost: the gap A**-(H-1) is what makes the lock hard.)
    mdp = combination_lock(H, A, combination=combination)
    Q1 = random_policy_q(mdp)
    for t in range(H):
        expected = np.zeros(A)
        expected[combination[t]] = float(A) ** -(H - 1 - t)
        np.testing.assert_allclose(Q1[t, t], expected, rtol=1e-12, atol=0)
    assert min_k(mdp) == 1
    res = k_qvi_check(mdp, 1)
    assert res.solvable
    np.testing.assert_array_equal(np.flatnonzero(res.reachable.any(axis=0)), np.arange(H))


# ------------------------------------------------------------------------------ errors
def test_bad_inputs():
    mdp = combination_lock(3, 2, combination=[0, 1, 1])
    with pytest.raises(TypeError, match="mdp"):
        k_qvi("not an mdp", 1)
    P = np.zeros((1, 1, 1))
    P[0, 0, 0] = 1.0
    with pytest.raises(ValueError, match="finite-horizon"):
        min_k(FiniteMDP(P, [[0.0]], gamma=0.9))
    for bad in (0, 4):
        with pytest.raises(ValueError, match="k"):
            k_qvi(mdp, bad)
    with pytest.raises(TypeError, match="k"):
        is_k_qvi_solvable(mdp, 1.5)
    with pytest.raises(ValueError, match="optimal_atol"):
        min_k(mdp, optimal_atol=-1.0)
    with pytest.raises(TypeError, match="greedy_atol"):
        k_qvi_check(mdp, 1, greedy_atol="0")
