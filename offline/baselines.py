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

from rlcore.dataset import Dataset
from rlcore.validation import MAX_ITERATIONS, Integer, Real, validate_params
from offline._common import check_model_size, tabular_columns, tie_break_argmax
from offline._constraints import TOL_FLOOR, OfflineData
from offline.pessimism import GAMMA, HORIZON, N_ACTIONS, N_STATES, PessimisticResult, _pessimistic_value_iteration

TABULAR_DATA = OfflineData(states="n_states", actions="n_actions", horizon="horizon")

__all__ = ["behavior_cloning", "plug_in_policy"]


@validate_params(data=TABULAR_DATA, n_states=N_STATES, n_actions=N_ACTIONS, horizon=HORIZON | None)
def behavior_cloning(data: Dataset, n_states: int, n_actions: int, *, horizon: int | None = None) -> np.ndarray:
    """Most frequent action per state (per ``(h, s)`` when ``horizon`` is given).

    Ties go to the lowest action; unvisited states get action 0.

    Parameters
    ----------
    data : Dataset
        Non-empty; integer observations in ``[0, S)`` and actions in ``[0, A)``
        (timesteps below ``horizon`` when given).
    n_states, n_actions : int in [1, 10**6]
        At most ``10**8`` entries ``H * S * A * S`` (``H = 1`` without a horizon), the
        limit of every tabular model of the package.
    horizon : int in [1, 10**6], optional

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
    S, A, H = n_states, n_actions, horizon
    check_model_size(S, A, H)
    s, a, _, _, t = tabular_columns(data)
    lead = 1 if H is None else H
    h = np.zeros_like(s) if H is None else t
    counts = np.bincount((h * S + s) * A + a, minlength=lead * S * A).reshape(lead, S, A)
    policy = tie_break_argmax(counts.astype(np.float64), np.zeros_like(counts))
    return policy[0] if H is None else policy


@validate_params(
    data=TABULAR_DATA,
    n_states=N_STATES,
    n_actions=N_ACTIONS,
    gamma=GAMMA | None,
    horizon=HORIZON | None,
    epsilon=Real(TOL_FLOOR, None),
    max_iter=Integer(1, MAX_ITERATIONS),
)
def plug_in_policy(
    data: Dataset,
    n_states: int,
    n_actions: int,
    *,
    gamma: float | None = None,
    horizon: int | None = None,
    epsilon: float = 1e-10,
    max_iter: int = 100_000,
) -> PessimisticResult:
    """Certainty-equivalent planning in the empirical MDP (no penalty, no clipping).

    Unvisited pairs have ``P_hat = 0`` and ``R_hat = 0``, i.e. value 0. Equivalent to
    :func:`offline.pessimistic_value_iteration` with ``penalty="none"`` (same
    parameters and limits; rewards may be any finite reals).

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> from offline.data import sample_transitions, optimal_policy
    >>> mdp = chain(3, gamma=0.5)
    >>> data = sample_transitions(mdp, np.full((3, 2), 1 / 6), 2000, rng=0)
    >>> bool((plug_in_policy(data, 3, 2, gamma=0.5).policy == optimal_policy(mdp)).all())
    True
    """
    return _pessimistic_value_iteration(
        data,
        n_states,
        n_actions,
        gamma=gamma,
        horizon=horizon,
        penalty="none",
        splitting="none",
        tol=epsilon,
        max_iter=max_iter,
    )
