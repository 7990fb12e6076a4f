"""The online learners' shared interface: their result and their default observation map.

Every online learner of the library (:func:`~tabular.q_learning`, and the deep learners
:func:`tabular.deep.dqn` and :func:`tabular.deep.ppo`) runs the same episodic protocol
and returns a :class:`LearnerResult`:

* episodes of at most ``horizon`` steps, run ``n_envs`` at a time in lock-step through
  the batched :class:`~rlcore.Simulator` (``reset(n, rng)`` / ``step(states, actions,
  rng, t=t)``);
* an episode ends on ``terminated`` or after step ``t = horizon - 1``, and nothing is
  bootstrapped beyond either (the value after the last step of a finite-horizon problem
  is zero by definition);
* after every ``eval_every`` training episodes (and after the last one), when an
  ``evaluate(policy) -> float`` callable is given, the current greedy policy is
  evaluated, ``(episodes, steps, value)`` is recorded, and training stops as soon as
  ``value >= target_value - target_atol``.

The deep learners read observations through a feature map ``features(states, t) ->
ndarray of shape (n, d)``; :func:`one_hot_time_features` is the default one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

import numpy as np

from rlcore.results import Result
from rlcore.validation import Integer, validate_params
from tabular._learner_common import HORIZON, MAX_TABLE, check_state_indices

__all__ = ["LearnerResult", "one_hot_time_features"]


@dataclass(frozen=True, repr=False)
class LearnerResult(Result):
    """Outcome of an online learner (:func:`~tabular.q_learning`, :func:`tabular.deep.dqn`,
    :func:`tabular.deep.ppo`).

    Attributes
    ----------
    policy : ndarray of int64, shape (H, S), or None
        Final greedy policy (``policy[t, s]``, ties to the lowest action); None when the
        number of states is unknown (a deep learner on a non-tabular simulator).
    Q : ndarray of shape (H, S, A), or None
        Final tabular Q-table (:func:`~tabular.q_learning` only).
    n_episodes : int
        Training episodes run (fewer than requested when a target was reached early).
    n_steps : int
        Training transitions simulated (evaluation is not counted).
    eval_episodes, eval_steps : ndarray of int64, shape (n_evals,)
        Episodes and transitions done at each evaluation.
    eval_values : ndarray of float64, shape (n_evals,)
        ``evaluate(policy)`` at each evaluation.
    episodes_to_target, steps_to_target : int or None
        Episodes and transitions done at the first evaluation whose value reached
        ``target_value - target_atol``; None when no target was given or it was never
        reached.
    model : torch.nn.Module or None
        The trained network(s) of a deep learner (the Q-network of
        :func:`tabular.deep.dqn`, a ``ModuleDict`` with ``"actor"`` and ``"critic"`` for
        :func:`tabular.deep.ppo`).

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> from tabular import q_learning
    >>> res = q_learning(combination_lock(2, 2, combination=[1, 0]), horizon=2, n_states=4, n_actions=2,
    ...                  n_episodes=50, rng=0)
    >>> res.Q.shape, res.n_episodes, res.reached_target
    ((2, 4, 2), 50, False)
    """

    policy: np.ndarray | None
    Q: np.ndarray | None
    n_episodes: int
    n_steps: int
    eval_episodes: np.ndarray
    eval_steps: np.ndarray
    eval_values: np.ndarray
    episodes_to_target: int | None
    steps_to_target: int | None
    model: Any = None

    @property
    def reached_target(self) -> bool:
        """True when a target value was given and reached."""
        return self.episodes_to_target is not None


@validate_params(n_states=Integer(1, MAX_TABLE), horizon=HORIZON)
def one_hot_time_features(n_states: int, horizon: int) -> Callable[[np.ndarray, int], np.ndarray]:
    """The default observation map of the deep learners: ``one_hot(s)`` concatenated with ``one_hot(t)``.

    In a finite horizon the optimal action depends on the time step, so the step is
    part of the observation.

    Parameters
    ----------
    n_states : int in [1, 10**8]
        ``S``.
    horizon : int in [1, 10**6]
        ``H``.

    Returns
    -------
    callable
        ``features(states, t) -> ndarray of shape (n, n_states + horizon)`` for integer
        ``states`` of shape (n,) in ``[0, n_states)`` and ``0 <= t < horizon``.

    Examples
    --------
    >>> f = one_hot_time_features(3, 2)
    >>> f(np.array([2, 0]), 1).tolist()
    [[0.0, 0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0, 1.0]]
    """
    S, H = int(n_states), int(horizon)

    def features(states: np.ndarray, t: int) -> np.ndarray:
        s = check_state_indices(np.asarray(states), S)
        out = np.zeros((s.shape[0], S + H))
        out[np.arange(s.shape[0]), s] = 1.0
        out[:, S + t] = 1.0
        return out

    return features
