"""The outcome of :func:`tabular.exploration.explore`: exact regret, per run and episode."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from rlcore.results import Result
from rlcore.validation import Integer, Real, validate_params

__all__ = ["ExplorationResult"]


@dataclass(frozen=True, repr=False)
class ExplorationResult(Result):
    """Regret of an online learner over ``n_runs`` independent runs of ``K`` episodes.

    Attributes
    ----------
    learner : str
        The learner's name.
    pseudo_regret : ndarray of float64, shape (n_runs, K)
        ``V*_0(rho) - V^{pi_k}_0(rho)`` for the policy ``pi_k`` played in episode ``k``,
        evaluated exactly on the true MDP (no Monte Carlo noise); NaN when no reference
        model was given.
    returns : ndarray of float64, shape (n_runs, K)
        The realised return of each episode.
    value_estimates : ndarray of float64, shape (n_runs, K)
        ``rho . value_estimate`` of the learner when it planned episode ``k`` (NaN when it
        has none).
    optimism_margins : ndarray of float64, shape (n_runs, K)
        ``min_s (value_estimate(s) - V*_0(s))``: non-negative exactly when the estimate
        is optimistic in every state (NaN when there is no estimate or no reference).
    initial_states : ndarray of int64, shape (n_runs, K)
    optimal_values : ndarray of float64, shape (S,)
        ``V*_0`` of the reference MDP (empty without one).
    optimal_value : float
        ``rho . V*_0``.
    bound : ndarray of float64, shape (K,), or None
        The learner's stated bound on the cumulative pseudo-regret after ``k + 1``
        episodes.
    horizon : int
    engine : str
        ``"compiled"`` or ``"python"``.

    Examples
    --------
    >>> from rlcore.generators import river_swim
    >>> from tabular.exploration import UCBVI, explore
    >>> mdp = river_swim(4, horizon=8)
    >>> res = explore(mdp, UCBVI(4, 2, 8, n_episodes=50), 50, n_runs=2, rng=0)
    >>> res.pseudo_regret.shape, bool(np.all(res.cumulative_regret() <= res.bound))
    ((2, 50), True)
    """

    learner: str
    pseudo_regret: np.ndarray
    returns: np.ndarray
    value_estimates: np.ndarray
    optimism_margins: np.ndarray
    initial_states: np.ndarray
    optimal_values: np.ndarray
    optimal_value: float
    bound: np.ndarray | None
    horizon: int
    engine: str

    @property
    def n_runs(self) -> int:
        """Number of independent runs."""
        return int(self.pseudo_regret.shape[0])

    @property
    def n_episodes(self) -> int:
        """Episodes per run, ``K``."""
        return int(self.pseudo_regret.shape[1])

    def cumulative_regret(self) -> np.ndarray:
        """Cumulative pseudo-regret ``sum_{j <= k}`` per run, shape (n_runs, K)."""
        return np.cumsum(self.pseudo_regret, axis=1)

    def realised_regret(self) -> np.ndarray:
        """Cumulative realised regret ``sum_{j <= k} (V*_0(s_0^j) - G^j)``, shape (n_runs, K).

        Uses the episode's actual initial state and return, so it carries the noise of
        the transitions that the pseudo-regret averages out.
        """
        if self.optimal_values.size == 0:
            return np.full(self.returns.shape, np.nan)
        return np.cumsum(self.optimal_values[self.initial_states] - self.returns, axis=1)

    @validate_params(level=Real(0, 1, closed="neither"))
    def regret_band(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean cumulative pseudo-regret over runs with a normal confidence band.

        Parameters
        ----------
        level : float in (0, 1)
            Two-sided coverage of ``mean +- z * standard error``.

        Returns
        -------
        mean, lower, upper : ndarray of shape (K,)
            With one run the band has zero width.
        """
        c = self.cumulative_regret()
        mean = c.mean(axis=0)
        if c.shape[0] < 2:
            return mean, mean.copy(), mean.copy()
        se = c.std(axis=0, ddof=1) / math.sqrt(c.shape[0])
        z = float(stats.norm.ppf(0.5 + level / 2))
        return mean, mean - z * se, mean + z * se

    @validate_params(start=Integer(1, None) | None)
    def regret_slope(self, start: int | None = None) -> float:
        """Least-squares slope of ``log(mean cumulative regret)`` on ``log k``, for ``k >= start``.

        About 1/2 for a ``sqrt(K)`` regret, 0 for a bounded one, 1 for a linear one.

        Parameters
        ----------
        start : int >= 1, optional
            First episode (1-based) of the fit; default ``K // 10`` (the early, transient
            episodes left out).

        Returns
        -------
        float
            NaN when the mean regret is not positive on the whole window.
        """
        K = self.n_episodes
        first = max(1, K // 10) if start is None else min(int(start), K)
        mean = self.cumulative_regret().mean(axis=0)[first - 1 :]
        k = np.arange(first, K + 1, dtype=np.float64)
        if mean.size < 2 or not np.all(mean > 0):
            return math.nan
        return float(np.polyfit(np.log(k), np.log(mean), 1)[0])
