r"""Profit and loss of a hedged short position in a claim, under proportional transaction costs.

A seller of a claim :math:`Z` (payoff at maturity :math:`T`) trades ``d`` hedging
instruments with prices :math:`S_k`, ``k = 0..n``, on the dates
:math:`t_0 < \dots < t_n = T`, holding :math:`\delta_k` units over
:math:`[t_k, t_{k+1})`. With proportional costs :math:`c` per unit of traded value the
terminal P&L is (Buehler, Gonon, Teichmann and Wood 2019, eq. (2.1))

.. math:: \mathrm{PL}(\delta) = -Z + p_0 + \sum_{k=0}^{n-1} \delta_k \cdot (S_{k+1} - S_k)
          - \sum_{k=0}^{n-1} c \cdot |\delta_k - \delta_{k-1}| \, S_k
          \;[- c\,|\delta_{n-1}|\,S_n],

with :math:`\delta_{-1} = 0`, a zero interest rate (prices are discounted), and the
bracketed final liquidation only when ``liquidate=True`` (a cash-settled claim whose
hedge is unwound at maturity). Everything here takes the prices as an array of shape
``(n_paths, n_steps + 1, n_assets)``, whatever simulated them
(:class:`finance_apps.GeometricBrownianMotion`, :class:`finance_apps.Heston`,
historical data), and hedge ratios as an array of shape ``(n_paths, n_steps, n_assets)``:

* :func:`hedging_pnl`: the P&L above; :func:`transaction_costs` and :func:`turnover`
  its cost term and the units traded;
* :func:`call_payoff`: the claim of a European call on one of the assets.

The hedges themselves come from :mod:`finance_apps.hedging_baselines` (delta,
Whalley-Wilmott, none) or from a trained network (:mod:`finance_apps.deep.hedging`,
whose differentiable twin of :func:`hedging_pnl` is
:func:`finance_apps.deep.hedging_pnl_torch`); :class:`finance_apps.HedgingEnv` presents
the same accounting one period at a time.

References
----------
H. Buehler, L. Gonon, J. Teichmann and B. Wood, "Deep hedging", Quantitative Finance
19(8), 1271-1291, 2019.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from finance_apps._hedging_inputs import (
    ASSET,
    CLAIM,
    COST,
    DELTAS,
    PRICES,
    STRIKE,
    as3,
    check_asset,
    check_claim,
    check_costs,
    check_holdings,
    check_paths,
)
from rlcore.validation import Bool, Real, refuse_nonfinite, validate_params

__all__ = ["call_payoff", "hedging_pnl", "transaction_costs", "turnover"]


def _trades(D: np.ndarray, liquidate: bool) -> np.ndarray:
    prev = np.concatenate([np.zeros_like(D[:, :1]), D[:, :-1]], axis=1)
    trades = D - prev
    if liquidate:
        trades = np.concatenate([trades, -D[:, -1:]], axis=1)
    return trades


@validate_params(deltas=DELTAS, liquidate=Bool())
def turnover(deltas: Any, *, liquidate: bool = False) -> np.ndarray:
    r"""Total units traded per path, :math:`\sum_k |\delta_k - \delta_{k-1}|` (summed over assets).

    Parameters
    ----------
    deltas : array_like of shape (n_paths, n_steps, n_assets) or (n_paths, n_steps)
    liquidate : bool, default False
        Add the final unwind :math:`|\delta_{n-1}|`.

    Returns
    -------
    ndarray of shape (n_paths,)

    Examples
    --------
    >>> turnover(np.array([[0.5, 0.2, 0.2]])).tolist()
    [0.8]
    """
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.abs(_trades(as3(deltas), liquidate)).sum(axis=(1, 2))
    refuse_nonfinite(out, "deltas", "the turnover overflows float64; rescale the inputs")
    return out


@validate_params(prices=PRICES, deltas=DELTAS, cost=COST, liquidate=Bool())
def transaction_costs(prices: Any, deltas: Any, cost: Any, *, liquidate: bool = False) -> np.ndarray:
    r"""Proportional costs :math:`\sum_k c\,|\delta_k - \delta_{k-1}|\,S_k` per path.

    Parameters
    ----------
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
    deltas : array_like of shape (n_paths, n_steps, n_assets)
    cost : float or array_like of shape (n_assets,)
        Cost per unit of traded value, in [0, 1].
    liquidate : bool, default False
        Also pay :math:`c\,|\delta_{n-1}|\,S_n` to unwind at maturity.

    Returns
    -------
    ndarray of shape (n_paths,)

    Examples
    --------
    >>> transaction_costs(np.array([[1.0, 2.0]]), np.array([[3.0]]), 0.01).tolist()
    [0.03]
    """
    S = check_paths(prices)
    D = check_holdings(deltas, S)
    return _transaction_costs(S, D, check_costs(cost, S.shape[2]), liquidate)


def _transaction_costs(S: np.ndarray, D: np.ndarray, c: np.ndarray, liquidate: bool) -> np.ndarray:
    trades = _trades(D, liquidate)
    P = S if liquidate else S[:, :-1]
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.asarray((np.abs(trades) * P * c).sum(axis=(1, 2)))
    refuse_nonfinite(out, "prices", "the transaction cost overflows float64; rescale the inputs")
    return out


@validate_params(prices=PRICES, deltas=DELTAS, payoff=CLAIM, cost=COST, premium=Real(), liquidate=Bool())
def hedging_pnl(
    prices: Any,
    deltas: Any,
    payoff: Any,
    *,
    cost: Any = 0.0,
    premium: float = 0.0,
    liquidate: bool = False,
) -> np.ndarray:
    r"""Terminal P&L of a seller who hedges: :math:`-Z + p_0 + \sum_k \delta_k \cdot \Delta S_k - C`.

    Parameters
    ----------
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
        Discounted prices of the hedging instruments (a 2-d array is one asset).
    deltas : array_like of shape (n_paths, n_steps, n_assets)
        Holdings over each period, decided at its start.
    payoff : array_like of shape (n_paths,)
        The claim :math:`Z` paid by the seller at maturity.
    cost : float or array_like of shape (n_assets,), default 0
        Proportional transaction cost rate, in [0, 1].
    premium : float, default 0
        Cash :math:`p_0` received at time 0.
    liquidate : bool, default False
        Unwind the final position at maturity (and pay its cost).

    Returns
    -------
    ndarray of shape (n_paths,)

    References
    ----------
    Buehler et al., "Deep hedging", Quantitative Finance 19(8), 2019, eq. (2.1).

    Examples
    --------
    >>> S = np.array([[1.0, 1.1, 1.2]])
    >>> hedging_pnl(S, np.array([[1.0, 1.0]]), np.array([0.3]), premium=0.25).round(12).tolist()
    [0.15]
    """
    S = check_paths(prices)
    D = check_holdings(deltas, S)
    Z = check_claim(payoff, S.shape[0])
    c = check_costs(cost, S.shape[2])
    with np.errstate(over="ignore", invalid="ignore"):
        gains = (D * np.diff(S, axis=1)).sum(axis=(1, 2))
        out = np.asarray(-Z + premium + gains - _transaction_costs(S, D, c, liquidate))
    refuse_nonfinite(out, "prices", "the P&L overflows float64; rescale the inputs")
    return out


@validate_params(prices=PRICES, strike=STRIKE, asset=ASSET)
def call_payoff(prices: Any, strike: float, asset: int = 0) -> np.ndarray:
    r"""European call payoff :math:`(S_n - K)^+` of one asset at the last date.

    Parameters
    ----------
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
    strike : float > 0
    asset : int in [0, n_assets), default 0

    Returns
    -------
    ndarray of shape (n_paths,)

    Examples
    --------
    >>> call_payoff(np.array([[1.0, 1.3], [1.0, 0.8]]), 1.0).round(12).tolist()
    [0.3, 0.0]
    """
    S = check_paths(prices)
    return np.asarray(np.maximum(S[:, -1, check_asset(asset, S.shape[2])] - strike, 0.0))
