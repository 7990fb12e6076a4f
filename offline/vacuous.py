"""The offline checks that warn of results that say nothing (:class:`rlcore.VacuousResultWarning`).

A pessimistic method can return an answer that is formally correct and useless: every
value clipped at the pessimistic floor (so the policy is decided by the tie-break
alone), or a certificate above the trivial bound ``V_max = r_max / (1 - gamma)`` (or
``H r_max``), which any policy meets. Such results usually come from a default that
does not fit the data, most often a reward range ``r_max`` far above the rewards
observed, or from too little data for the confidence level. The library warns with
:class:`VacuousResultWarning` instead of returning them silently; filter it with
:mod:`warnings` where a vacuous answer is expected.
"""

from __future__ import annotations

import warnings

import numpy as np

from rlcore.results import VacuousResultWarning, warn_if_vacuous

__all__: list[str] = []  # private helpers; the warning class is rlcore.VacuousResultWarning


def warn_all_clipped(values: np.ndarray, rewards: np.ndarray, who: str, hint: str, stacklevel: int = 3) -> None:
    """Warn when every value sits at the floor 0 although some observed reward is positive."""
    if values.size and not np.any(values > 0.0) and np.any(rewards > 0.0):
        warnings.warn(
            f"{who}: every pessimistic value is clipped at the floor 0 although the data hold positive rewards, "
            f"so the values carry no information and the policy is decided by the tie-break alone; {hint}",
            VacuousResultWarning,
            stacklevel=stacklevel,
        )


def warn_above_trivial(bound: float, trivial: float, who: str, hint: str, stacklevel: int = 3) -> None:
    """Warn when a suboptimality bound reaches the trivial bound ``trivial`` (:func:`rlcore.results.warn_if_vacuous`)."""
    warn_if_vacuous(bound, trivial, who=who, hint=hint, stacklevel=stacklevel + 1)
