"""Tests of tabular.learning: the online learners' result and default observation map.

Oracles: the one-hot encoding written out with ``np.eye``; the learners' results are
checked in tests/tabular/test_q_learning.py and tests/tabular/deep/test_dqn_ppo.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from rlcore import Result
from rlcore.generators import combination_lock
from tabular import LearnerResult, one_hot_time_features, q_learning


def test_one_hot_time_features_is_the_concatenation_of_two_one_hots():
    S, H = 5, 4
    f = one_hot_time_features(S, H)
    states = np.array([4, 0, 2, 2, 1])
    for t in range(H):
        expected = np.concatenate([np.eye(S)[states], np.tile(np.eye(H)[t], (len(states), 1))], axis=1)
        np.testing.assert_array_equal(f(states, t), expected)


@pytest.mark.parametrize(
    ("states", "exc"), [(np.array([0, 5]), ValueError), (np.array([-1]), ValueError), (np.array([0.5]), TypeError)]
)
def test_one_hot_time_features_refuses_states_it_cannot_encode(states, exc):
    with pytest.raises(exc, match=r"^sim\b"):
        one_hot_time_features(5, 2)(states, 0)


def test_one_hot_time_features_validates_its_sizes():
    with pytest.raises(ValueError, match=r"^n_states\b"):
        one_hot_time_features(0, 2)
    with pytest.raises(TypeError, match=r"^horizon\b"):
        one_hot_time_features(3, 2.5)


def test_learner_result_is_a_result_that_prints_concisely():
    lock = combination_lock(2, 2, combination=[1, 0])
    res = q_learning(lock, horizon=2, n_states=4, n_actions=2, n_episodes=20, rng=0)
    assert isinstance(res, LearnerResult) and isinstance(res, Result)
    text = repr(res)
    assert text.startswith("LearnerResult(policy=<(2, 4) int64>, Q=<(2, 4, 2) float64>, n_episodes=20")
    assert "array(" not in text and "\n" not in text and len(text) < 400  # no array is dumped
    summary = res.summary().splitlines()
    assert summary[0] == "LearnerResult" and any(line.split()[0] == "Q" for line in summary[1:])
    assert not res.reached_target
