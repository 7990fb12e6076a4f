"""sticky_actions against a second construction (the BRIDGE loader), brute force and
a hand-written sticky simulator."""

from __future__ import annotations


import numpy as np
import pytest

from rlcore import FiniteMDP, bridge_data_dir, evaluate_policy, load_bridge_mdp
from rlcore.generators import combination_lock, random_mdp, sticky_actions
from tabular import backward_induction

BRIDGE = bridge_data_dir()


def _value(mdp: FiniteMDP, policy: np.ndarray) -> float:
    return float(evaluate_policy(mdp, policy).V[0] @ mdp.initial)


@pytest.mark.parametrize("name", ["freeway_10_fs30.npz", "MiniGrid-KeyCorridorS3R1-v0.npz"])
def test_matches_bridge_loader_sticky_construction(name: str) -> None:
    # The loader builds its sticky MDP directly from the file (state = (s, last action)
    # plus one start state); sticky_actions transforms the deterministic MDP. Optimal
    # and random-policy values must agree.
    H = 8
    det = load_bridge_mdp(BRIDGE / name, H)
    a = load_bridge_mdp(BRIDGE / name, H, sticky_prob=0.25)
    b = sticky_actions(det, 0.25)
    assert backward_induction(b).V[0] @ b.initial == pytest.approx(backward_induction(a).V[0] @ a.initial, abs=1e-12)
    ua = np.full((H, a.n_states, a.n_actions), 1.0 / a.n_actions)
    ub = np.full((H, b.n_states, b.n_actions), 1.0 / b.n_actions)
    assert _value(b, ub) == pytest.approx(_value(a, ua), abs=1e-12)


def _brute_force_sticky_value(mdp: FiniteMDP, policy: np.ndarray, q: float) -> float:
    """Expected return of a policy on original states under sticky actions, by
    enumerating every (state, executed action) path: an independent recursion."""
    H = mdp.horizon
    P = np.asarray(mdp.P)

    def rec(t: int, s: int, prev: int | None) -> float:
        if t == H or mdp.terminal[s]:
            return 0.0
        a = int(policy[t, s])
        execs = [(a, 1.0)] if prev is None else [(a, 1.0 - q), (prev, q)]
        total = 0.0
        for e, pe in execs:
            if pe == 0.0:
                continue
            total += pe * mdp.R[s, e]
            for s2 in np.flatnonzero(P[s, e] > 0):
                total += pe * P[s, e, s2] * rec(t + 1, int(s2), e)
        return total

    return sum(float(mdp.initial[s]) * rec(0, s, None) for s in np.flatnonzero(mdp.initial > 0))


@pytest.mark.parametrize("seed", range(4))
def test_policy_values_match_path_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    mdp = random_mdp(3, 2, horizon=3, rng=seed)
    q = float(rng.uniform(0.05, 0.9))
    pol = rng.integers(0, 2, size=(3, 3))
    st = sticky_actions(mdp, q)
    # the same policy on the sticky MDP: it looks only at the original state
    S, A = 3, 2
    orig = np.concatenate([np.repeat(np.arange(S), A), np.arange(S)])
    lifted = pol[:, orig]
    assert _value(st, lifted) == pytest.approx(_brute_force_sticky_value(mdp, pol, q), abs=1e-12)


def test_prob_zero_keeps_values_and_time_dependent_models() -> None:
    mdp = random_mdp(4, 3, horizon=4, time_dependent=True, rng=3)
    st = sticky_actions(mdp, 0.0)
    assert st.is_time_dependent and st.n_states == 4 * 3 + 4
    assert backward_induction(st).V[0] @ st.initial == pytest.approx(
        backward_induction(mdp).V[0] @ mdp.initial, abs=1e-12
    )


def test_discounted_and_sparse_inputs() -> None:
    mdp = random_mdp(5, 2, gamma=0.9, sparse=True, branching=2, rng=1)
    st = sticky_actions(mdp, 0.5)
    assert st.gamma == 0.9 and st.is_sparse
    # sticky with prob 1 from a non-start state repeats the previous action for ever
    st1 = sticky_actions(combination_lock(3, 2, combination=[1, 0, 1]), 1.0)
    assert backward_induction(st1).V[0] @ st1.initial == 0.0


def test_terminal_copies_are_absorbing() -> None:
    lock = combination_lock(2, 2, combination=[0, 1])
    st = sticky_actions(lock, 0.25)
    assert st.terminal.sum() == 2 * (2 + 1)  # opened and dead, each with A + 1 copies


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"mdp": "x"}, TypeError, "mdp"),
        ({"prob": 1.5}, ValueError, "prob"),
        ({"prob": -0.1}, ValueError, "prob"),
        ({"prob": "a"}, TypeError, "prob"),
        ({"prob": True}, TypeError, "prob"),
    ],
)
def test_bad_arguments(kwargs: dict, exc: type, match: str) -> None:
    args = {"mdp": combination_lock(2, 2, combination=[0, 1]), "prob": 0.25}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        sticky_actions(args["mdp"], args["prob"])
