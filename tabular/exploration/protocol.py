"""The online-learner protocol: propose a policy, watch the episode, update.

Every learner of :mod:`tabular.exploration`, and any learner a user writes, is a stateful
object with this interface; :func:`tabular.exploration.explore` runs it on an MDP and
measures its regret exactly. Episodes are finite-horizon: at the start of episode ``k``
the learner commits to a deterministic Markov policy ``pi_k`` of shape (H, S); the
episode is played from the simulator; the learner then sees the trajectory.

An algorithm that updates within an episode fits too when its update at step ``h`` only
changes what it does at step ``h`` (tabular Q-learning with per-step tables: an episode
visits step ``h`` once, so updating in forward order at the end of the episode is the
same as updating online).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["OnlineLearner"]


@runtime_checkable
class OnlineLearner(Protocol):
    """A learner for episodic finite-horizon MDPs with ``S`` states and ``A`` actions.

    Attributes
    ----------
    n_states, n_actions, horizon : int
        ``S``, ``A`` and ``H``.
    name : str
        Shown in results and plots.
    value_estimate : ndarray of float64, shape (S,), or None
        The learner's estimate of ``V*_0`` made when it planned the last episode (for an
        optimistic learner, an upper bound on ``V*_0`` on its good event); None when it
        has none.

    Methods
    -------
    reset()
        Forget all data. Draws no random numbers.
    begin_episode(episode, rng) -> ndarray of int64, shape (H, S)
        The policy for episode ``episode`` (0-based), ``policy[t, s]`` in ``[0, A)``. May
        draw from ``rng`` (posterior sampling, randomised value functions).
    end_episode(states, actions, rewards)
        The episode just played: ``states`` of shape (L+1,), ``actions`` and ``rewards``
        of shape (L,), ``1 <= L <= H`` (``L < H`` only when a terminal state was hit).
    regret_bound(n_episodes) -> float or None
        The learner's stated bound on its cumulative pseudo-regret after ``n_episodes``
        episodes, for rewards in [0, 1]; None when it states none.

    Built-in learners also have ``_run_compiled(tables, n_episodes, gen, log)``: the same
    episodes in one Numba loop kernel, bit-identical to the protocol path.

    Examples
    --------
    A learner that always plays action 0 (no estimate, no bound):

    >>> class AlwaysZero:
    ...     name = "always 0"
    ...     value_estimate = None
    ...     def __init__(self, n_states, n_actions, horizon):
    ...         self.n_states, self.n_actions, self.horizon = n_states, n_actions, horizon
    ...     def reset(self): pass
    ...     def begin_episode(self, episode, rng):
    ...         return np.zeros((self.horizon, self.n_states), dtype=np.int64)
    ...     def end_episode(self, states, actions, rewards): pass
    ...     def regret_bound(self, n_episodes): return None
    >>> isinstance(AlwaysZero(3, 2, 4), OnlineLearner)
    True
    """

    n_states: int
    n_actions: int
    horizon: int
    name: str
    value_estimate: np.ndarray | None

    def reset(self) -> None: ...

    def begin_episode(self, episode: int, rng: np.random.Generator) -> np.ndarray: ...

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None: ...

    def regret_bound(self, n_episodes: int) -> Any: ...
