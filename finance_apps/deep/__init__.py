"""finance_apps.deep: deep hedging, the torch variants of the finance applications.

By the library's rule, deep variants live in a ``deep`` subpackage of the package they
extend (see :mod:`rlcore.deep`). Here:

* :mod:`finance_apps.deep.hedging`: the training loop (:func:`train_hedger`, returning a
  :class:`TrainingResult`), the default hedger inputs (:func:`hedging_features`) and a
  trained hedger's holdings on numpy features (:func:`hedge_ratios`);
* :mod:`finance_apps.deep.hedgers`: the networks (:func:`feedforward_hedger`,
  :func:`lstm_hedger`), built and seeded through :func:`rlcore.deep.build_mlp` and
  :func:`rlcore.deep.init_linear_`;
* :mod:`finance_apps.deep.kfac`: the K-FAC optimiser (:class:`KFAC`);
* :mod:`finance_apps.deep.pnl` and :mod:`finance_apps.deep.risk_measures`: the
  differentiable twins of :func:`finance_apps.hedging_pnl` and of the entropic and
  expected-shortfall risk measures (the training losses).

The numpy side of hedging (P&L accounting :mod:`finance_apps.pnl`, baselines and the
discrete-hedging error :mod:`finance_apps.hedging_baselines`, the simulator
:mod:`finance_apps.hedging_env`) needs no torch. Importing this package never imports
torch; it is imported, through :func:`rlcore.deep.require_torch`, when a function that
needs it is called. The public names of the deep hedging API are also exported from
:mod:`finance_apps`.
"""

from __future__ import annotations

from finance_apps.deep.hedgers import feedforward_hedger, lstm_hedger
from finance_apps.deep.hedging import TrainingResult, hedge_ratios, hedging_features, train_hedger
from finance_apps.deep.kfac import KFAC
from finance_apps.deep.pnl import hedging_pnl_torch
from finance_apps.deep.risk_measures import entropic_risk_torch, expected_shortfall_torch, oce_objective_torch

__all__ = [
    "KFAC",
    "TrainingResult",
    "entropic_risk_torch",
    "expected_shortfall_torch",
    "feedforward_hedger",
    "hedge_ratios",
    "hedging_features",
    "hedging_pnl_torch",
    "lstm_hedger",
    "oce_objective_torch",
    "train_hedger",
]
