"""Regret trajectories: the one result shape of the two bandit engines.

The library runs bandit policies with two engines, one per feedback model:

* :func:`bandits.simulate` runs any :class:`~bandits.BanditPolicy` (the built-in index
  policies compiled, any other in Python) on a :class:`~bandits.BanditEnvironment`:
  ``K`` arms, the pulled arm's reward observed (stochastic, piecewise-stationary,
  adversarial and linear bandits). It returns a :class:`~bandits.SimulationResult`.
* :func:`bandits.simulate_cascade` runs :class:`~bandits.CascadeUCB1` and
  :class:`~bandits.CascadeKLUCB` on a :class:`~bandits.CascadeBandit`: ordered lists of
  items, partial click feedback. It returns a :class:`~bandits.CascadeSimulationResult`.

They stay two engines because the feedback differs (one reward per round against a
click position that reveals a prefix of the list), but both follow the same random-stream
rule (the root ``rng`` spawns one child per run, so run ``i`` depends only on the seed and
``i``) and return a :class:`RegretResult`: the same names for the same notions, the same
summaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlcore.results import Result
from rlcore.validation import Bool, Real

__all__ = ["RegretResult"]


@dataclass(frozen=True, repr=False)
class RegretResult(Result):
    """Regret trajectories of ``n_runs`` runs of ``horizon`` rounds (base of both engines' results).

    Attributes
    ----------
    pseudo_regret : ndarray of shape (n_runs, horizon)
        Cumulative ``sum_{s <= t} (oracle(s) - mean reward of the action at s)``.
    regret : ndarray of shape (n_runs, horizon)
        Cumulative realised regret ``sum_{s <= t} (oracle(s) - X_s)``, ``X_s`` the
        observed reward.
    counts : ndarray of shape (n_runs, K)
        Observations of each arm (or item) at the end of each run.
    """

    pseudo_regret: np.ndarray
    regret: np.ndarray
    counts: np.ndarray

    @property
    def horizon(self) -> int:
        """Number of rounds per run."""
        return int(self.pseudo_regret.shape[1])

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return int(self.pseudo_regret.shape[0])

    def mean_regret(self, *, pseudo: bool = True) -> np.ndarray:
        """Mean cumulative regret over the runs, ndarray of shape (horizon,).

        Parameters
        ----------
        pseudo : bool, default True
            The pseudo-regret (True) or the realised regret (False).
        """
        return (self.pseudo_regret if Bool().check(pseudo, "pseudo") else self.regret).mean(axis=0)

    def confidence_band(self, *, level: float = 0.95, pseudo: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Normal-approximation confidence band of the mean regret, two arrays (horizon,).

        ``mean +- z sd / sqrt(n_runs)`` with ``z`` the ``(1 + level) / 2`` normal quantile.

        Parameters
        ----------
        level : float in (0, 1), default 0.95
        pseudo : bool, default True
            The pseudo-regret (True) or the realised regret (False).
        """
        from scipy.stats import norm

        level = Real(0, 1, closed="neither").check(level, "level")
        pseudo = Bool().check(pseudo, "pseudo")
        x = self.pseudo_regret if pseudo else self.regret
        m = x.mean(axis=0)
        sd = x.std(axis=0, ddof=1) if x.shape[0] > 1 else np.zeros_like(m)
        half = float(norm.ppf(0.5 + level / 2)) * sd / np.sqrt(x.shape[0])
        return m - half, m + half

    def _summary_rows(self) -> list[tuple[str, str]]:
        rows = super()._summary_rows()
        final = self.pseudo_regret[:, -1]
        rows.insert(0, ("runs x rounds", f"{self.n_runs} x {self.horizon}"))
        rows.insert(1, ("final pseudo-regret", f"{final.mean():.6g} (mean over runs)"))
        return rows
