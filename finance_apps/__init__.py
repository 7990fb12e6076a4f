"""finance_apps: applications on the common interface; optimal stopping, option exercise, hedging.

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

Hedging a claim under transaction costs:

* P&L accounting (:func:`hedging_pnl`, :func:`transaction_costs`, :func:`turnover`,
  :func:`call_payoff`; module :mod:`finance_apps.pnl`) and the same problem as a
  batched simulator (:class:`HedgingEnv`; :mod:`finance_apps.hedging_env`);
* convex risk measures (:func:`entropic_risk`, :func:`expected_shortfall`,
  :func:`oce_risk`) and the indifference price (:mod:`finance_apps.risk_measures`);
* baselines and the error of discrete delta hedging (:func:`bs_delta_hedge`,
  :func:`whalley_wilmott_hedge`, :func:`discrete_hedging_variance`;
  :mod:`finance_apps.hedging_baselines`) on the Black-Scholes formulas of
  :mod:`finance_apps.closed_form` (:func:`bs_call_delta`, :func:`bs_call_gamma`, ...);
* deep hedging, in the :mod:`finance_apps.deep` subpackage (:func:`train_hedger`,
  :func:`feedforward_hedger`, :func:`lstm_hedger`, :class:`KFAC`), torch imported only
  when called.

The theory is on the :doc:`stopping </theory/stopping>` and
:doc:`hedging </theory/hedging>` theory pages.
"""

from __future__ import annotations

from rlcore import _numba_cache  # noqa: F401  (first: gives Numba a cache location before any kernel is defined)
from functools import partial
from importlib import import_module
from typing import TYPE_CHECKING

from rlcore._lazy import attach, when_imported

if TYPE_CHECKING:  # these names load on first access (rlcore._lazy.attach)
    from finance_apps.closed_form import (
        black_scholes,
        bs_call_delta,
        bs_call_gamma,
        bs_call_price,
        bs_call_vega,
        perpetual_american_put,
        perpetual_put_boundary,
    )
    from finance_apps.deep import (
        KFAC,
        TrainingResult,
        feedforward_hedger,
        hedge_ratios,
        hedging_features,
        lstm_hedger,
        train_hedger,
    )
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
    from finance_apps.hedging_baselines import (
        bs_delta_hedge,
        derman_kamal_variance,
        discrete_hedging_variance,
        no_hedge,
        whalley_wilmott_hedge,
        whalley_wilmott_width,
    )
    from finance_apps.hedging_env import HedgingEnv
    from finance_apps.paths import AutoregressiveGARCH, GeometricBrownianMotion, Heston, time_grid
    from finance_apps.pnl import call_payoff, hedging_pnl, transaction_costs, turnover
    from finance_apps.risk_measures import (
        EntropicRisk,
        ExpectedShortfall,
        OCERisk,
        entropic_loss,
        entropic_risk,
        expected_shortfall,
        indifference_price,
        oce_risk,
        shortfall_loss,
    )
    from finance_apps.payoffs import BasketCall, BasketPut, Call, MaxCall, Put
    from finance_apps.stopping import StoppingEnv, StoppingProblem

__all__ = [
    "AutoregressiveGARCH",
    "BasketCall",
    "BasketPut",
    "BoundaryPolicy",
    "Call",
    "DualBound",
    "EntropicRisk",
    "ExercisePolicy",
    "ExpectedShortfall",
    "FeatureMap",
    "FittedQResult",
    "GeometricBrownianMotion",
    "HedgingEnv",
    "Heston",
    "HistoryFeatures",
    "KFAC",
    "LSMCResult",
    "LatticeResult",
    "MaxCall",
    "OCERisk",
    "PolicyValue",
    "PolynomialBasis",
    "PriceBracket",
    "Put",
    "RegressionExercisePolicy",
    "StoppingEnv",
    "StoppingProblem",
    "TrainingResult",
    "andersen_broadie",
    "binomial_price",
    "black_scholes",
    "bs_call_delta",
    "bs_call_gamma",
    "bs_call_price",
    "bs_call_vega",
    "bs_delta_hedge",
    "call_payoff",
    "derman_kamal_variance",
    "discrete_hedging_variance",
    "entropic_loss",
    "entropic_risk",
    "evaluate_exercise_policy",
    "expected_shortfall",
    "feedforward_hedger",
    "fitted_q_stopping",
    "hedge_ratios",
    "hedging_features",
    "hedging_pnl",
    "indifference_price",
    "longstaff_schwartz",
    "lstm_hedger",
    "no_hedge",
    "oce_risk",
    "perpetual_american_put",
    "perpetual_put_boundary",
    "price_bracket",
    "product_lattice_price",
    "shortfall_loss",
    "time_grid",
    "train_hedger",
    "transaction_costs",
    "turnover",
    "whalley_wilmott_hedge",
    "whalley_wilmott_width",
]

attach(__name__)
# the rlref/ finance ids join Gymnasium's registry when Gymnasium is imported
when_imported("gymnasium", partial(import_module, "finance_apps.gym_registry"))
