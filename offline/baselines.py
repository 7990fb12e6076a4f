"""Baselines on the same data: behavior cloning and the plug-in (certainty-equivalent) policy.

* :func:`behavior_cloning` plays the most frequent logged action of each state (per
  step under a finite horizon): the minimax-optimal imitation learner on expert data
  (Rajaraman et al. 2020), blind to rewards.
* :func:`plug_in_policy` plans in the empirical MDP as if it were the truth: optimal
  with uniform coverage, but misled by rarely seen pairs on partial coverage.

References
----------
N. Rajaraman, L. Yang, J. Jiao, K. Ramchandran, "Toward the fundamental limits of
imitation learning", NeurIPS 2020.
P. Rashidinejad et al., "Bridging offline reinforcement learning and imitation
learning: a tale of pessimism", NeurIPS 2021.
"""

from __future__ import annotations

import numpy as np

from rlcore.validation import check_positive_int
from rlcore.dataset import Dataset
from offline._common import tabular_columns, tie_break_argmax
from offline.pessimism import PessimisticResult, pessimistic_value_iteration

__all__ = ["behavior_cloning", "plug_in_policy"]


def behavior_cloning(data: Dataset, n_states: int, n_actions: int, *, horizon: int | None = None) -> np.ndarray:
    """Most frequent action per state (per ``(h, s)`` when ``horizon`` is given).

    Ties go to the lowest action; unvisited states get action 0.

    Parameters
    ----------
    data : Dataset
        Integer observations and actions.
    n_states, n_actions : int
    horizon : int, optional

    Returns
    -------
    ndarray of int64, shape (S,) or (H, S)

    Examples
    --------
    >>> from rlcore import Dataset
    >>> ds = Dataset(observations=np.array([0, 0, 0, 1]), actions=np.array([1, 1, 0, 0]),
    ...              rewards=np.zeros(4), next_observations=np.array([0, 0, 1, 1]),
    ...              terminated=np.zeros(4, bool), truncated=np.zeros(4, bool),
    ...              episode_ids=np.arange(4), timesteps=np.zeros(4, np.int64))
    >>> behavior_cloning(ds, 3, 2).tolist()
    [1, 0, 0]
    """
    S = check_positive_int(n_states, "n_states")
    A = check_positive_int(n_actions, "n_actions")
    H = None if horizon is None else check_positive_int(horizon, "horizon")
    s, a, _, _, t = tabular_columns(data, S, A, H)
    lead = 1 if H is None else H
    h = np.zeros_like(s) if H is None else t
    counts = np.bincount((h * S + s) * A + a, minlength=lead * S * A).reshape(lead, S, A)
    policy = tie_break_argmax(counts.astype(np.float64), np.zeros_like(counts))
    return policy[0] if H is None else policy


def plug_in_policy(data: Dataset, n_states: int, n_actions: int, *, gamma: float | None = None,
                   horizon: int | None = None, tol: float = 1e-10, max_iter: int = 100_000) -> PessimisticResult:
    """Certainty-equivalent planning in the empirical MDP (no penalty, no clipping).

    Unvisited pairs have ``P_hat = 0`` and ``R_hat = 0``, i.e. value 0. Equivalent to
    :func:`offline.pessimistic_value_iteration` with ``penalty="none"``.

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> from offline.data import sample_transitions, optimal_policy
    >>> mdp = chain(3, gamma=0.5)
    >>> data = sample_transitions(mdp, np.full((3, 2), 1 / 6), 2000, rng=0)
    >>> bool((plug_in_policy(data, 3, 2, gamma=0.5).policy == optimal_policy(mdp)).all())
    True
    """
    return pessimistic_value_iteration(data, n_states, n_actions, gamma=gamma, horizon=horizon, penalty="none",
                                       tol=tol, max_iter=max_iter)
