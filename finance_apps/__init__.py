"""finance_apps: applications on the common interface; optimal stopping and option exercise.

Optimal stopping (American, Bermudan and European options) from exact references to
simulation and reinforcement learning, every Monte Carlo policy with a price bracket:

* path simulators (:class:`GeometricBrownianMotion` with correlated assets and
  dividends, :class:`Heston`, :class:`AutoregressiveGARCH`), batched, implementing the
  :class:`rlcore.Simulator` protocol;
* the problem type (:class:`StoppingProblem`, built-in payoffs :class:`Put`,
  :class:`Call`, :class:`MaxCall`, :class:`BasketPut`, :class:`BasketCall`) and its
  stop/continue decision process (:class:`StoppingEnv`);
* references: the CRR tree (:func:`binomial_price`), the two-asset product lattice
  (:func:`product_lattice_price`), Black-Scholes (:func:`black_scholes`) and the
  perpetual American put (:func:`perpetual_american_put`);
* least-squares Monte Carlo (:func:`longstaff_schwartz`) with any regressor and basis
  (:class:`PolynomialBasis`, :class:`HistoryFeatures`);
* the Andersen-Broadie dual upper bound (:func:`andersen_broadie`,
  :func:`price_bracket`);
* fitted-Q iteration with history-augmented states (:func:`fitted_q_stopping`);
* exercise policies and their out-of-sample value (:func:`evaluate_exercise_policy`).

The theory is on the :doc:`stopping theory page </theory/stopping>`.
"""

from __future__ import annotations

from finance_apps.closed_form import black_scholes, perpetual_american_put, perpetual_put_boundary
from finance_apps.duality import DualBound, PriceBracket, andersen_broadie, price_bracket
from finance_apps.exercise import (
    BoundaryPolicy,
    ExercisePolicy,
    PolicyValue,
    RegressionExercisePolicy,
    evaluate_exercise_policy,
)
from finance_apps.features import FeatureMap, HistoryFeatures, PolynomialBasis
from finance_apps.fitted_q import FittedQResult, fitted_q_stopping
from finance_apps.lattice import LatticeResult, binomial_price, product_lattice_price
from finance_apps.lsmc import LSMCResult, longstaff_schwartz
from finance_apps.paths import AutoregressiveGARCH, GeometricBrownianMotion, Heston, time_grid
from finance_apps.payoffs import BasketCall, BasketPut, Call, MaxCall, Put
from finance_apps.stopping import StoppingEnv, StoppingProblem

__all__ = [
    "AutoregressiveGARCH",
    "BasketCall",
    "BasketPut",
    "BoundaryPolicy",
    "Call",
    "DualBound",
    "ExercisePolicy",
    "FeatureMap",
    "FittedQResult",
    "GeometricBrownianMotion",
    "Heston",
    "HistoryFeatures",
    "LSMCResult",
    "LatticeResult",
    "MaxCall",
    "PolicyValue",
    "PolynomialBasis",
    "PriceBracket",
    "Put",
    "RegressionExercisePolicy",
    "StoppingEnv",
    "StoppingProblem",
    "andersen_broadie",
    "binomial_price",
    "black_scholes",
    "evaluate_exercise_policy",
    "fitted_q_stopping",
    "longstaff_schwartz",
    "perpetual_american_put",
    "perpetual_put_boundary",
    "price_bracket",
    "product_lattice_price",
    "time_grid",
]
