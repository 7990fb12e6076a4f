"""FiniteMDP construction, storage and accessors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from rlcore import PROBABILITY_ATOL, FiniteMDP


def _simple(S=3, A=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(S), size=(S, A)), rng.random((S, A))


def test_stores_read_only_copies():
    P, R = _simple()
    mdp = FiniteMDP(P, R, gamma=0.9)
    P[0, 0, :] = [1.0, 0.0, 0.0]
    R[0, 0] = 99.0
    assert mdp.R[0, 0] != 99.0 and mdp.P[0, 0, 1] > 0
    for arr in (mdp.P, mdp.R, mdp.initial, mdp.terminal):
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr.flat[0] = 0
    smdp = FiniteMDP(sp.csr_matrix(mdp.P.reshape(6, 3)), R, gamma=0.9)
    for arr in (smdp.P.data, smdp.P.indices, smdp.P.indptr):
        assert not arr.flags.writeable


def test_accessors_and_defaults():
    P, R = _simple(4, 3)
    mdp = FiniteMDP(P, R, gamma=0.5)
    assert (mdp.n_states, mdp.n_actions, mdp.is_discounted, mdp.is_time_dependent) == (4, 3, True, False)
    np.testing.assert_array_equal(mdp.initial, np.full(4, 0.25))
    assert mdp.transitions_at(0) is mdp.P and mdp.rewards_at(0) is mdp.R
    assert "S=4" in repr(mdp) and "gamma=0.5" in repr(mdp)
    H = 3
    tmdp = FiniteMDP(np.stack([P] * H), np.stack([R * t for t in range(H)]), horizon=H)
    assert tmdp.is_time_dependent and not tmdp.is_discounted
    np.testing.assert_array_equal(tmdp.rewards_at(2), 2 * R)
    with pytest.raises(ValueError, match="t: expected a time step in"):
        tmdp.rewards_at(3)


def test_sparse_time_dependent_slices():
    P, R = _simple(3, 2)
    H = 2
    big = sp.csr_array(np.concatenate([P.reshape(6, 3), np.roll(P, 1, axis=2).reshape(6, 3)]))
    mdp = FiniteMDP(big, R, horizon=H)
    assert mdp.is_sparse and mdp.is_time_dependent
    np.testing.assert_allclose(mdp.transitions_at(1).toarray(), np.roll(P, 1, axis=2).reshape(6, 3))


def test_tolerance_is_stated_and_not_a_silent_fix():
    P, R = _simple()
    P[1, 1] *= 1 + 0.5 * PROBABILITY_ATOL  # within tolerance: accepted, stored unchanged
    mdp = FiniteMDP(P, R, gamma=0.9)
    assert mdp.P[1, 1].sum() != 1.0 or PROBABILITY_ATOL == 0
    P[1, 1] *= 1 + 10 * PROBABILITY_ATOL
    with pytest.raises(ValueError, match=r"P: each row must sum to 1 within 1e-08, row \(1, 1\)"):
        FiniteMDP(P, R, gamma=0.9)


def test_terminal_states_must_be_absorbing_with_zero_reward():
    P = np.zeros((2, 1, 2))
    P[0, 0, 1] = 1.0
    P[1, 0, 1] = 1.0
    FiniteMDP(P, [[1.0], [0.0]], gamma=0.9, terminal=np.array([False, True]))
    with pytest.raises(ValueError, match="terminal: state 1"):
        FiniteMDP(P, [[1.0], [0.5]], gamma=0.9, terminal=np.array([False, True]))
    with pytest.raises(ValueError, match="terminal: state 0"):
        FiniteMDP(P, [[1.0], [0.0]], gamma=0.9, terminal=np.array([True, False]))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"gamma": 0.9, "horizon": 3}, "exactly one"),
        ({}, "exactly one"),
        ({"gamma": 1.0}, r"gamma: expected a discount factor in \[0, 1\)"),
        ({"gamma": -0.1}, "gamma"),
        ({"gamma": float("nan")}, "gamma"),
        ({"horizon": 0}, "horizon"),
        ({"gamma": 0.9, "initial": [0.5, 0.5]}, r"initial: expected shape \(3,\)"),
        ({"gamma": 0.9, "initial": [0.5, 0.6, -0.1]}, "initial: probabilities must be non-negative"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    P, R = _simple()
    with pytest.raises((ValueError, TypeError), match=match):
        FiniteMDP(P, R, **kwargs)


def test_bad_transition_entries_are_located():
    P, R = _simple()
    P[2, 1, 0] = np.nan
    with pytest.raises(ValueError, match=r"P: entries must be finite, found nan at index \(2, 1, 0\)"):
        FiniteMDP(P, R, gamma=0.5)
    P, R = _simple()
    P[0, 1] = [1.5, -0.5, 0.0]
    with pytest.raises(ValueError, match=r"P: probabilities must be non-negative, found -0.5 at index \(0, 1, 1\)"):
        FiniteMDP(P, R, gamma=0.5)
    S = sp.csr_matrix(_simple()[0].reshape(6, 3))
    S[3, 0] = -0.1
    with pytest.raises(ValueError, match=r"P: probabilities must be non-negative.*state 1, action 1"):
        FiniteMDP(S, R, gamma=0.5)
