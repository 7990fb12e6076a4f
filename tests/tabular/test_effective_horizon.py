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
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rlcore import FiniteMDP, bridge_data_dir, evaluate_policy
from rlcore.generators import combination_lock
from rlcore.testing import finite_mdps
from tabular import backward_induction
from tabular.effective_horizon import (
    KQVIResult,
    effective_planning_window,
    is_k_qvi_solvable,
    k_qvi,
    k_qvi_check,
    min_k,
    random_policy_q,
)
from tabular.effective_horizon_bound import EffectiveHorizonBound, EffectiveHorizonK, effective_horizon_bound

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
    with pytest.raises(TypeError, match=r"^mdp\b"):
        k_qvi("not an mdp", 1)
    P = np.zeros((1, 1, 1))
    P[0, 0, 0] = 1.0
    with pytest.raises(ValueError, match=r"^mdp: .*finite-horizon"):
        min_k(FiniteMDP(P, [[0.0]], gamma=0.9))
    for bad in (0, 4, 2**63):
        with pytest.raises(ValueError, match=r"^k\b"):
            k_qvi(mdp, bad)
    with pytest.raises(TypeError, match=r"^k\b"):
        is_k_qvi_solvable(mdp, 1.5)
    with pytest.raises(TypeError, match=r"^k\b"):
        is_k_qvi_solvable(mdp, True)
    with pytest.raises(ValueError, match=r"^optimal_atol\b"):
        min_k(mdp, optimal_atol=-1.0)
    with pytest.raises(ValueError, match=r"^optimal_atol\b"):  # NaN is never a tolerance
        min_k(mdp, optimal_atol=float("nan"))
    with pytest.raises(ValueError, match=r"^greedy_atol\b"):
        is_k_qvi_solvable(mdp, 1, greedy_atol=float("inf"))
    with pytest.raises(TypeError, match=r"^greedy_atol\b"):
        k_qvi_check(mdp, 1, greedy_atol="0")


# ====================================================== effective planning window (EPW)
def oracle_q_k_from_rewards(mdp: FiniteMDP, k: int) -> np.ndarray:
    """Q^1 = r, then k - 1 optimality backups, by plain loops (the EPW iteration)."""
    P, R = dense_model(mdp)
    H, S, A = R.shape
    Q = R.copy()
    for _ in range(k - 1):
        new = np.zeros_like(Q)
        for t in range(H):
            for s in range(S):
                for a in range(A):
                    nxt = 0.0 if t == H - 1 else sum(P[t, s, a, s2] * Q[t + 1, s2].max() for s2 in range(S))
                    new[t, s, a] = R[t, s, a] + nxt
        Q = new
    return Q


@settings(max_examples=40)
@given(mdp=MDPS)
def test_epw_is_the_first_k_whose_lookahead_greedy_policies_are_all_optimal(mdp):
    # brute force: for each k, the worst policy greedy w.r.t. the k-step lookahead Q
    # (exact argmax ties), by enumeration when small and by the min-recursion always
    H = mdp.horizon
    v_star = float(mdp.initial @ backward_induction(mdp).V[0])
    first = None
    for k in range(1, H + 1):
        Q = oracle_q_k_from_rewards(mdp, k)
        mask = Q >= Q.max(axis=2, keepdims=True)
        worst = worst_greedy_value_dp(mdp, mask)
        if int(np.prod(mask.sum(axis=2), dtype=np.float64)) <= ENUM_CAP:
            assert worst == pytest.approx(worst_greedy_value_enum(mdp, mask), abs=1e-10)
        gap = v_star - worst
        assume(not (1e-12 < gap < 1e-6))  # within reach of rounding / the 1e-9 tolerance
        if gap <= 1e-12:
            first = k
            break
    assert first is not None  # k = H: Q^H = Q*
    assert effective_planning_window(mdp) == first


@pytest.mark.parametrize(("H", "A"), [(1, 2), (3, 2), (5, 3), (8, 4)])
def test_epw_of_a_combination_lock_is_its_length(H, A):
    # Q^k_t(t, .) = r looked ahead k steps: the reward sits at step H-1, so for k < H
    # Q^k_0(0, .) = 0 for every action; the wrong digits tie with the right one and are
    # greedy but lead to the dead state: not solvable. Q^H = Q*: W = H (while min_k = 1).
    mdp = combination_lock(H, A, combination=[(3 * t + 1) % A for t in range(H)])
    assert effective_planning_window(mdp) == H
    assert min_k(mdp) == 1


def test_epw_closed_forms_on_hand_built_mdps():
    # immediate reward [0, 1] at the start misleads (Q*_0(0, .) = [0, -0.5]): W = 2
    assert effective_planning_window(_two_step_mdp([0.0, -4.0], [-3.0, -1.5])) == 2
    # immediate reward [0, 1] and nothing later: already optimal, W = 1
    assert effective_planning_window(_two_step_mdp([0.0, 0.0], [0.0, 0.0])) == 1
    # the single-state chain below pays for action 0 at every step: W = 1
    assert effective_planning_window(_chain(6, 3)) == 1


# ========================================================= effective-horizon bound
def _chain(H: int, A: int) -> FiniteMDP:
    """One state, A actions, action 0 pays 1 and the others 0, at every step; H steps."""
    P = np.ones((1, A, 1))
    R = np.zeros((1, A))
    R[0, 0] = 1.0
    return FiniteMDP(P, R, horizon=H, initial=[1.0])


def oracle_bound(mdp: FiniteMDP, optimal_atol: float = 1e-9) -> dict[str, Any]:
    """The bound by straight loops over (t, s, a), transcribed from the definition (module
    docstring of effective_horizon_bound / the authors' compute_simple_effective_horizon)."""
    P, R = dense_model(mdp)
    H, S, A = R.shape
    nxt = P.argmax(axis=3)
    assert np.all(P.max(axis=3) == 1.0)
    Qr, Qs, Qw = (np.zeros((H, S, A)) for _ in range(3))
    for t in reversed(range(H)):
        for s in range(S):
            for a in range(A):
                if t == H - 1:
                    Qr[t, s, a] = Qs[t, s, a] = Qw[t, s, a] = R[t, s, a]
                else:
                    n = nxt[t, s, a]
                    Qs[t, s, a] = R[t, s, a] + max(Qs[t + 1, n])
                    Qw[t, s, a] = R[t, s, a] + min(Qw[t + 1, n])
                    vr = min(max(sum(Qr[t + 1, n]) / A, min(Qw[t + 1, n])), max(Qs[t + 1, n]))
                    Qr[t, s, a] = R[t, s, a] + vr
    var = (Qr - Qw) * (Qs - Qw)
    Q = Qr.copy()
    h_bar, out = float(H), []
    k = 1
    while k < h_bar:
        L = math.log(2 * H * A**k)
        m = {}
        info = {}
        works = True
        visited = {s for s in range(S) if mdp.initial[s] > 0}
        for t in range(H):
            nxt_visited = set()
            for s in sorted(visited):
                vstar = max(Qs[t, s])
                sub = [a for a in range(A) if Qs[t, s, a] < vstar - optimal_atol]
                mq = max(Q[t, s])
                ms = max((Q[t, s, a] for a in sub), default=-math.inf)
                if ms == mq:
                    works = False
                gap = mq - ms
                mv = max(var[t, s])
                m[(t, s)] = max(1, math.ceil(16 * mv / gap**2 * L)) if 0 < gap < math.inf else 1
                info[(t, s)] = (gap, mv)
                nxt_visited |= {int(nxt[t, s, a]) for a in range(A) if Q[t, s, a] > ms}
            if not works:
                break
            visited = nxt_visited
        if works:
            best = max(m.values())
            t_s = min((ts for ts in m if m[ts] == best), key=lambda ts: (ts[1], ts[0]))
            hk = k + (0.0 if best == 1 else math.log(best, A))
            per_step = [max([m[ts] for ts in m if ts[0] == t], default=0) for t in range(H)]
            out.append((k, best, hk, info[t_s], t_s, per_step))
            h_bar = min(h_bar, hk)
        newQ, newvar = Q.copy(), var.copy()
        for t in range(H - 1):
            for s in range(S):
                for a in range(A):
                    n = nxt[t, s, a]
                    newQ[t, s, a] = R[t, s, a] + max(Q[t + 1, n])
                    newvar[t, s, a] = max(var[t + 1, n])
        Q, var = newQ, newvar
        k += 1
    return {"h_bar": h_bar, "rows": out}


@st.composite
def deterministic_mdps(draw: Any) -> FiniteMDP:
    """Deterministic (possibly time-dependent) dynamics, integer rewards, any start support."""
    S = draw(st.integers(1, 4), label="S")
    A = draw(st.integers(1, 3), label="A")
    H = draw(st.integers(1, 6), label="H")
    timed = draw(st.booleans(), label="time-dependent")
    T = H if timed else 1
    nxt = np.array(draw(st.lists(st.integers(0, S - 1), min_size=T * S * A, max_size=T * S * A))).reshape(T, S, A)
    R = np.array(draw(st.lists(st.integers(-2, 3), min_size=T * S * A, max_size=T * S * A)), dtype=float)
    P = np.zeros((T, S, A, S))
    for i in range(T):
        P[i, np.arange(S)[:, None], np.arange(A)[None, :], nxt[i]] = 1.0
    init = np.array(draw(st.lists(st.integers(0, 2), min_size=S, max_size=S)), dtype=float)
    assume(init.sum() > 0)
    if timed:
        return FiniteMDP(P, R.reshape(H, S, A), horizon=H, initial=init / init.sum())
    return FiniteMDP(P[0], R.reshape(S, A), horizon=H, initial=init / init.sum())


def _assert_matches_oracle(b: EffectiveHorizonBound, mdp: FiniteMDP) -> None:
    o = oracle_bound(mdp)
    assert b.effective_horizon == pytest.approx(o["h_bar"], rel=1e-12)
    assert len(b.k_results) == len(o["rows"])
    for r, (k, m, hk, (gap, mv), ts, per_step) in zip(b.k_results, o["rows"]):
        assert isinstance(r, EffectiveHorizonK)
        assert (r.k, r.m, r.argmax) == (k, m, ts)
        assert r.horizon_k == pytest.approx(hk, rel=1e-12)
        assert r.gap == pytest.approx(gap, rel=1e-12) and r.variance == pytest.approx(mv, rel=1e-12, abs=1e-15)
        np.testing.assert_array_equal(r.m_per_step, per_step)


@settings(max_examples=60)
@given(mdp=deterministic_mdps())
def test_bound_matches_a_loop_implementation_and_implies_k_qvi_solvability(mdp):
    b = effective_horizon_bound(mdp)
    _assert_matches_oracle(b, mdp)
    H = mdp.horizon
    assert 1.0 <= b.effective_horizon <= H and b.horizon == H
    # every k the bound uses is k-QVI-solvable (its visited set contains every state a
    # greedy policy reaches, and a strict gap means every argmax action is optimal)
    for k in b.ks:
        assert is_k_qvi_solvable(mdp, k)
    if b.ks:
        assert min(b.ks) >= min_k(mdp)
    assert min_k(mdp) <= b.effective_horizon
    if b.best_k is not None:
        assert b.effective_horizon == min(r.horizon_k for r in b.k_results) < H


@pytest.mark.parametrize(("H", "A"), [(1, 2), (2, 2), (4, 2), (5, 3), (7, 4)])
def test_bound_of_a_combination_lock_closed_form(H, A):
    # Derivation (good state t at step t, right digit c_t; everything else pays 0):
    # Q*_t(t, c_t) = 1, Q^worst = 0 except Q^worst_{H-1}(H-1, c) = 1, Q^rand_t(t, c_t) =
    # A**-(H-1-t), wrong digits 0 under all three. After k - 1 backups, at (t, t):
    # Q^k(c_t) = A**-max(0, H-t-k), wrong digits 0 => gap = A**-max(0, H-t-k);
    # sigma^2 = sigma^2_1 at step min(t+k-1, H-1) = A**-(H-t-k) if t + k < H else 0.
    # Only the right digit is followed, so m_{k,t} = ceil(16 A**(H-t-k) log(2 H A**k))
    # for t < H - k and 1 otherwise; m_k = m_{k,0}, at (t, s) = (0, 0), and
    # H_k = k + log_A m_k > k + (H - k) = H: H-bar = H, no best k, k = 1 .. H-1 scanned.
    mdp = combination_lock(H, A, combination=[(2 * t + 1) % A for t in range(H)])
    b = effective_horizon_bound(mdp)
    assert b.effective_horizon == H and b.best_k is None
    assert b.ks == tuple(range(1, H))
    for r in b.k_results:
        k = r.k
        L = math.log(2 * H * A**k)
        expect = [math.ceil(16 * A ** (H - t - k) * L) if t < H - k else 1 for t in range(H)]
        np.testing.assert_array_equal(r.m_per_step, expect)
        assert r.m == expect[0] and r.argmax == (0, 0)
        assert r.gap == pytest.approx(float(A) ** -(H - k), rel=1e-12)
        assert r.variance == pytest.approx(float(A) ** -(H - k), rel=1e-12)
        assert r.horizon_k == pytest.approx(k + math.log(expect[0], A), rel=1e-12) and r.horizon_k > H


@pytest.mark.parametrize(("H", "A"), [(30, 2), (12, 3), (60, 5)])
def test_bound_of_a_reward_chain_closed_form(H, A):
    # One state; action 0 pays 1 per step. Q*_t(a) = r(a) + (H-1-t), Q^worst_t(a) = r(a),
    # Q^rand_t(a) = r(a) + (H-1-t)/A: sigma^2_1 = (H-1-t)**2 / A for every action and,
    # after k - 1 backups, sigma^2_k(t) = (H-k-t)**2 / A (0 once t + k >= H); the gap is
    # always 1 (only action 0 is followed). So m_k = max(1, ceil(16 (H-k)**2 / A
    # log(2 H A**k))) at t = 0, H_k = k + log_A m_k, and H-bar = min(H, min_k H_k) over
    # k = 1, 2, ... while k < the running minimum.
    b = effective_horizon_bound(_chain(H, A))
    h_bar, rows, k = float(H), [], 1
    while k < h_bar:
        m = max(1, math.ceil(16 * (H - k) ** 2 / A * math.log(2 * H * A**k)))
        hk = k + math.log(m, A)
        rows.append((k, m, hk))
        h_bar = min(h_bar, hk)
        k += 1
    assert h_bar < H  # the bound is informative here
    assert [(r.k, r.m) for r in b.k_results] == [(k, m) for k, m, _ in rows]
    np.testing.assert_allclose([r.horizon_k for r in b.k_results], [hk for *_, hk in rows], rtol=1e-12)
    assert b.effective_horizon == pytest.approx(h_bar, rel=1e-12)
    assert b.best_k == min(rows, key=lambda row: row[2])[0]
    np.testing.assert_allclose([r.gap for r in b.k_results], 1.0, rtol=1e-12)


def test_one_action_gives_h_bar_one():
    b = effective_horizon_bound(_chain(5, 1))
    assert b.effective_horizon == 1.0 and b.ks == (1,) and b.ms == (1,) and b.best_k == 1


# ----------------------------------------------------------------------- BRIDGE data
BRIDGE = bridge_data_dir()
# From the authors' analysis files, cassidylaidlaw/effective-horizon at 1a83eb7,
# data/mdps/<name>/consolidated_analyzed.json: "epw" and "effective_horizon_results"
# ({ks, ms, gaps, vars, effective_horizon}; written by compute_simple_effective_horizon,
# "a bound on the effective horizon using Theorem 5.4" in their README; gap null = no
# suboptimal action), and consolidated_analyzed_sticky_0.25.json: "epw" (sticky actions,
# probability 0.25). Not the tighter Appendix-C bounds of consolidated_gorp_bounds.json.
PUBLISHED_BRIDGE = [
    (
        "freeway_10_fs30.npz",
        10,
        6,
        6,
        8.0,
        [5307, 2244, 1020, 505, 262, 69, 57, 1],
        [3**-4, 3**-3, 8 / 81, 19 / 81, 42 / 81, 1.0, 1.0, None],
        [3**-4, 3**-3, 8 / 81, 19 / 81, 42 / 81, 4 / 9, 1 / 3, 4 / 9],
    ),
    (
        "maze_easy_l0_30_fs1.npz",
        30,
        1,
        1,
        5.0,
        [73385, 11002, 4617, 1856, 1],
        [0.013717421124828533, 0.1234567901234568, 0.3703703703703704, 1.1111111111111112, None],
        [0.13717421124828533, 1.234567901234568, 3.703703703703704, 11.11111111111111, 57.24248088445204],
    ),
    (
        "MiniGrid-KeyCorridorS3R1-v0.npz",
        100,
        15,
        16,
        16.0,
        [
            6667295335345,
            1392035355359,
            278809136916,
            54268730212,
            10344878490,
            3881656204,
            719169930,
            131899527,
            23989567,
            4332647,
            1555678,
            277857,
            49406,
            17501,
            3089,
            1,
        ],
        [
            1.7014579925843832e-11,
            1.02087479555063e-10,
            6.12524877330378e-10,
            3.6751492639822676e-09,
            2.2050895583893606e-08,
            6.615268675168082e-08,
            3.9691612051008487e-07,
            2.381496723060509e-06,
            1.4288980338363054e-05,
            8.573388203017832e-05,
            0.00025720164609053495,
            0.0015432098765432098,
            0.009259259259259259,
            0.027777777777777776,
            0.16666666666666666,
            None,
        ],
        [
            1.7014579925843832e-11,
            1.02087479555063e-10,
            6.12524877330378e-10,
            3.6751492639822676e-09,
            2.2050895583893606e-08,
            6.615268675168082e-08,
            3.9691612051008487e-07,
            2.381496723060509e-06,
            1.4288980338363054e-05,
            8.573388203017832e-05,
            0.00025720164609053495,
            0.0015432098765432098,
            0.009259259259259259,
            0.027777777777777776,
            0.16666666666666666,
            0.771653863289306,
        ],
    ),
]


def _bridge(name: str) -> Path:
    p = BRIDGE / name
    assert p.is_file(), f"BRIDGE data file {p} is missing from the package (rlcore/data/bridge)"
    return p


@pytest.mark.parametrize(("name", "H", "epw", "epw_sticky", "h_bar", "ms", "gaps", "variances"), PUBLISHED_BRIDGE)
def test_bridge_matches_the_published_analysis(name, H, epw, epw_sticky, h_bar, ms, gaps, variances):
    from rlcore.bridge import load_bridge_mdp

    path = _bridge(name)
    mdp = load_bridge_mdp(path, H)
    assert effective_planning_window(mdp) == epw
    assert effective_planning_window(load_bridge_mdp(path, H, sticky_prob=0.25)) == epw_sticky
    b = effective_horizon_bound(mdp)
    assert b.effective_horizon == h_bar
    assert b.ks == tuple(range(1, len(ms) + 1)) and b.ms == tuple(ms)
    assert b.best_k == len(ms)  # each time the last k, where m_k = 1 and H_k = k
    for r, gap, v in zip(b.k_results, gaps, variances):
        assert r.gap == (math.inf if gap is None else pytest.approx(gap, rel=1e-9))
        assert r.variance == pytest.approx(v, rel=1e-9)
    # the authors' 1e-4 optimality tolerance gives the same numbers
    assert effective_horizon_bound(mdp, optimal_atol=1e-4).ms == tuple(ms)


def test_bound_and_epw_bad_inputs():
    P = np.zeros((2, 2, 2))
    P[:, :, 0] = 0.5
    P[:, :, 1] = 0.5
    with pytest.raises(ValueError, match=r"^mdp: .*deterministic"):
        effective_horizon_bound(FiniteMDP(P, np.zeros((2, 2)), horizon=3, initial=[1.0, 0.0]))
    with pytest.raises(ValueError, match=r"^mdp: .*finite-horizon"):
        effective_horizon_bound(FiniteMDP(P, np.zeros((2, 2)), gamma=0.9))
    with pytest.raises(TypeError, match=r"^mdp\b"):
        effective_planning_window("not an mdp")
    lock = combination_lock(3, 2, combination=[0, 1, 1])
    with pytest.raises(ValueError, match=r"^optimal_atol\b"):
        effective_horizon_bound(lock, optimal_atol=-1.0)
    with pytest.raises(ValueError, match=r"^optimal_atol\b"):
        effective_horizon_bound(lock, optimal_atol=float("nan"))
    with pytest.raises(TypeError, match=r"^greedy_atol\b"):
        effective_planning_window(lock, greedy_atol=None)
