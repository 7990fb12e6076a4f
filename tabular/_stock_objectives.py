"""The objectives of stock-augmented DP (re-exported by :mod:`tabular.stock_augmented`).

Each is a small frozen dataclass naming a statistic of the return ``G`` to maximise:
:class:`ExpectedUtility`, :class:`ThresholdProbability`, :class:`CVaR`,
:class:`ValueAtRisk`, and :class:`MeanVariance`, which exists to be refused with the
reason (it is not optimizable by dynamic programming).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union
from collections.abc import Callable

import numpy as np

from rlcore.validation import Instance, IsCallable, Real, validate_params

__all__ = ["CVaR", "ExpectedUtility", "MeanVariance", "Objective", "ThresholdProbability", "ValueAtRisk"]

_LEVEL = Real(0, 1, closed="right")


# ---------------------------------------------------------------------------------
# objectives
# ---------------------------------------------------------------------------------
@validate_params(utility=IsCallable("a callable utility(returns) -> array"))
@dataclass(frozen=True)
class ExpectedUtility:
    """Maximise ``E[utility(G)]``; ``utility`` maps an array of returns to an array.

    Examples
    --------
    >>> obj = ExpectedUtility(lambda g: -np.exp(-0.5 * g))   # exponential utility
    """

    utility: Callable[[np.ndarray], Any]


@validate_params(threshold=Real())
@dataclass(frozen=True)
class ThresholdProbability:
    """Maximise ``P(G >= threshold)``.

    Examples
    --------
    >>> ThresholdProbability(3)
    ThresholdProbability(threshold=3.0)
    """

    threshold: float


@validate_params(alpha=_LEVEL)
@dataclass(frozen=True)
class CVaR:
    """Maximise the lower-tail ``CVaR_alpha(G)``, the mean of the worst ``alpha`` fraction.

    ``alpha`` in (0, 1]; ``CVaR(1.0)`` is the mean.

    Examples
    --------
    >>> CVaR(0.1)
    CVaR(alpha=0.1)
    """

    alpha: float


@validate_params(alpha=_LEVEL)
@dataclass(frozen=True)
class ValueAtRisk:
    """Maximise the lower quantile ``q_alpha(G) = inf {x : P(G <= x) >= alpha}``, ``alpha`` in (0, 1].

    Examples
    --------
    >>> ValueAtRisk(0.05)
    ValueAtRisk(alpha=0.05)
    """

    alpha: float


@validate_params(risk_aversion=Real())
@dataclass(frozen=True)
class MeanVariance:
    """``E[G] - risk_aversion * Var[G]``: **not** DP-optimizable; solvers raise an
    :class:`~rlcore.validation.InvalidParameterError` (a ValueError) that says why.

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> from tabular import optimize_return_distribution
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], horizon=2)
    >>> optimize_return_distribution(mdp, MeanVariance(1.0))
    Traceback (most recent call last):
    ...
    rlcore.validation.InvalidParameterError: objective: the mean-variance criterion E[G] - lambda Var[G] is not optimizable by dynamic programming, ...
    """

    risk_aversion: float


Objective = Union[ExpectedUtility, ThresholdProbability, CVaR, ValueAtRisk, MeanVariance]
_OBJECTIVE = Instance(
    ExpectedUtility,
    ThresholdProbability,
    CVaR,
    ValueAtRisk,
    MeanVariance,
    what="an objective (ExpectedUtility, ThresholdProbability, CVaR or ValueAtRisk)",
)
