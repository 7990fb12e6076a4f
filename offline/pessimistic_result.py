"""What pessimistic value iteration returns: :class:`PessimisticResult`.

Every driver of :mod:`offline.pessimism` (discounted VI-LCB to a fixed point, the
sample-split VI-LCB, finite-horizon backward induction) and the plug-in baseline
:func:`offline.plug_in_policy` return this one result. Which algorithm produced it is
recorded in typed fields (``penalty_kind``, ``n_folds``, ``gamma``/``horizon``), which
:func:`offline.pessimism_certificate` reads; ``method`` is a label for people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlcore.results import Result

__all__ = ["PessimisticResult"]


@dataclass(frozen=True, repr=False)
class PessimisticResult(Result):
    """Output of :func:`offline.pessimistic_value_iteration` and its special cases.

    Attributes
    ----------
    V : ndarray of shape (S,) or (H, S)
        Pessimistic values; on the concentration event of the penalty they lower-bound
        the true values of ``policy`` (see :func:`offline.pessimism_certificate`).
    Q : ndarray of shape (S, A) or (H, S, A)
        The (last) pessimistic Q estimate.
    policy : ndarray of int64, shape (S,) or (H, S)
    iterations : int
        Backups applied: fixed-point iterations (discounted), the ``T`` iterations of
        the split algorithm, or the ``H`` steps of backward induction.
    converged : bool
        Fixed-point iteration met ``tol`` (always True for a fixed schedule:
        backward induction, or the ``T`` iterations of the split algorithm).
    method : str
        A label for people, e.g. ``"pessimistic_vi[hoeffding, split=18]"``; code reads
        the typed fields below instead.
    penalty_kind : {"hoeffding", "bernstein", "none", "fixed"}
        The penalty rule (``"fixed"``: an array of penalties given by the caller).
    n_folds : int
        Independent parts the data were split into: ``T + 1`` for the split VI-LCB
        (fold 0 gives the initial policy), 2 for two-fold subsampling, 1 without
        splitting.
    penalty : ndarray of shape (S, A) or (H, S, A)
        The penalty of the last iteration (per step under a finite horizon).
    penalty_max : ndarray, same shape as ``penalty``
        The largest penalty of each pair over all iterations (with splitting, each
        iteration has its own counts); equal to ``penalty`` otherwise.
    counts : ndarray of int64, shape (S, A) or (H, S, A)
        Visit counts of the data the method used (all folds together).
    log_term : float
        The logarithmic factor ``L`` inside the penalty (0 for fixed penalties).
    n_samples : int
        Transitions used (two-fold subsampling discards some).
    gamma : float or None
    horizon : int or None
    v_max : float
        The value range: ``r_max / (1 - gamma)``, or ``H r_max``.
    residual : float
        Discounted fixed-point iteration: ``max |Q_k - Q_{k-1}|`` at the last iteration
        (the returned ``Q`` is a fixed point only up to it, and
        :func:`offline.pessimism_certificate` pays for it); 0 for fixed schedules.
    r_max : float
        The reward range ``[0, r_max]`` the penalties, the clipping and ``v_max`` were
        computed with (1 for the unpenalised plug-in, where it only scales ``tol``).
    r_max_inferred : bool
        True when ``r_max`` was not given but inferred as the largest observed reward.
        That is only a lower bound on the true range: the penalties, and every
        certificate computed from this result, *assume* rewards never exceed it.

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> from offline import sample_transitions, vi_lcb
    >>> mdp = chain(3, small_reward=0.2, large_reward=1.0, gamma=0.5)
    >>> res = vi_lcb(sample_transitions(mdp, np.full((3, 2), 1 / 6), 3000, rng=0), 3, 2, 0.5, rng=0)
    >>> res.penalty_kind, res.n_folds, res.iterations, round(res.r_max, 2), res.r_max_inferred
    ('hoeffding', 18, 17, 0.84, True)
    """

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    iterations: int
    converged: bool
    method: str
    penalty_kind: str
    n_folds: int
    penalty: np.ndarray
    penalty_max: np.ndarray
    counts: np.ndarray
    log_term: float
    n_samples: int
    gamma: float | None
    horizon: int | None
    v_max: float
    residual: float = 0.0
    r_max: float = 1.0
    r_max_inferred: bool = False
