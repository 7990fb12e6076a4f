r"""Hedging a derivative under transaction costs: P&L, baselines and deep hedging.

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
(:class:`finance_apps.paths.GeometricBrownianMotion`, :class:`finance_apps.paths.Heston`,
historical data), and hedge ratios as an array of shape ``(n_paths, n_steps, n_assets)``.

Baselines
---------
* :func:`bs_delta_hedge`: Black-Scholes delta of a call, rebalanced at every date;
* :func:`whalley_wilmott_hedge`: the asymptotically optimal no-trade band around the
  delta under small proportional costs and exponential utility (Whalley and Wilmott
  1997), half-width :math:`H = (\tfrac{3}{2} c S \Gamma^2 / a)^{1/3}`; trade to the
  nearest edge of the band when outside it;
* :func:`no_hedge`.

Discrete-hedging error
----------------------
Under Black-Scholes dynamics without costs, the P&L of a delta hedge rebalanced on
``n`` equal dates has variance
:math:`\frac{T}{2n}\sigma^4 \int_0^T E[\Gamma_t^2 S_t^4]\,dt + o(1/n)`
(:func:`discrete_hedging_variance`), which for an at-the-money option and small
:math:`\sigma^2 T` is the Derman-Kamal approximation
:math:`\frac{\pi}{4}\,\mathrm{vega}^2\sigma^2 / n` (:func:`derman_kamal_variance`).

Deep hedging
------------
:func:`train_hedger` minimises a convex risk measure (:mod:`finance_apps.risk_measures`)
of the P&L over the parameters of a torch hedger (:mod:`finance_apps.deep_hedgers`) with
Adam or with :class:`finance_apps.kfac.KFAC`. :class:`HedgingEnv` presents the same
problem through the :class:`rlcore.Simulator` protocol.

References
----------
H. Buehler, L. Gonon, J. Teichmann and B. Wood, "Deep hedging", Quantitative Finance
19(8), 1271-1291, 2019.

A. E. Whalley and P. Wilmott, "An asymptotic analysis of an optimal hedging model for
option pricing with transaction costs", Mathematical Finance 7(3), 307-324, 1997.

E. Derman and M. Kamal, "When you cannot hedge continuously: the corrections of
Black-Scholes", Risk 12, 82-85, 1999.

D. Bertsimas, L. Kogan and A. W. Lo, "When is time continuous?", Journal of Financial
Economics 55, 173-204, 2000.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import integrate
from scipy.special import ndtr

from finance_apps._constraints import (
    MATURITY,
    MAX_DATES,
    MAX_MATURITY,
    MAX_PATHS,
    RATE,
    VOL,
    Dates,
    TorchModule,
)
from finance_apps.closed_form import bs_d, bs_price
from rlcore.validation import (
    Array,
    Bool,
    Implements,
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    MAX_ITERATIONS,
    Options,
    RNG,
    Real,
    Sequence_,
    as_float_array,
    check_entries,
    check_int,
    refuse_nonfinite,
    validate_params,
)
from rlcore.randomness import RNGLike, as_generator

__all__ = [
    "HedgingEnv",
    "TrainingResult",
    "bs_call_delta",
    "bs_call_gamma",
    "bs_call_price",
    "bs_call_vega",
    "bs_delta_hedge",
    "call_payoff",
    "derman_kamal_variance",
    "discrete_hedging_variance",
    "hedge_ratios",
    "hedging_features",
    "hedging_pnl",
    "hedging_pnl_torch",
    "no_hedge",
    "train_hedger",
    "transaction_costs",
    "turnover",
    "whalley_wilmott_hedge",
    "whalley_wilmott_width",
]

_TORCH_HINT = "deep hedging needs torch; install the 'torch' extra: pip install torch==2.13.0"


_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ImportError(_TORCH_HINT) from exc
    return torch


# ----------------------------------------------------------------------------- checks
#: Price paths: (n_paths, n_steps + 1, n_assets), or (n_paths, n_steps + 1) for one asset; > 0.
PRICES = Array(ndim=(2, 3), low=0.0, closed="neither")
#: Holdings: (n_paths, n_steps, n_assets), or (n_paths, n_steps) for one asset.
DELTAS = Array(ndim=(2, 3))
#: Proportional cost per unit of traded value, a scalar or one per asset, in [0, 1].
COST = Array(ndim=(0, 1), low=0.0, high=1.0)
#: The claim paid at maturity, one value per path.
CLAIM = Array(ndim=1)
#: Price dates: strictly increasing, in [0, 1000] years.
DATES = Dates(start_at_zero=False, min_len=2, high=MAX_MATURITY)
STRIKE = Real(0.0, None, closed="neither")
SPOTS = Array(low=0.0, closed="neither")
TAUS = Array(low=0.0, high=MAX_MATURITY)
ASSET = Integer(0, None)
RISK_AVERSION = Real(0.0, None, closed="neither")
COST_RATE = Real(0.0, 1.0)


def _as3(arr: np.ndarray) -> np.ndarray:
    return arr[:, :, None] if arr.ndim == 2 else arr


def _paths(S: np.ndarray, name: str = "prices") -> np.ndarray:
    """Validated prices as (n_paths, n_dates, n_assets), with at least two dates."""
    S = _as3(S)
    if S.shape[1] < 2:
        raise InvalidParameterError(name, f"expected at least two dates (axis 1), got shape {S.shape}")
    return S


def _holdings(D: np.ndarray, S: np.ndarray, name: str = "deltas") -> np.ndarray:
    D = _as3(D)
    want = (S.shape[0], S.shape[1] - 1, S.shape[2])
    if D.shape != want:
        raise InvalidParameterError(name, f"expected shape {want} (n_paths, n_steps, n_assets), got {D.shape}")
    return D


def _costs(c: Any, d: int, name: str = "cost") -> np.ndarray:
    c = np.asarray(c, dtype=np.float64)  # validated (or the default 0.0)
    c = np.broadcast_to(c, (d,)).astype(float) if c.ndim == 0 else c
    if c.shape != (d,):
        raise InvalidParameterError(name, f"expected a scalar or shape ({d},), got {c.shape}")
    return c


def _claim(Z: np.ndarray, n: int, name: str = "payoff") -> np.ndarray:
    if Z.shape != (n,):
        raise InvalidParameterError(name, f"expected shape ({n},) (one value per path), got {Z.shape}")
    return Z


def _asset(asset: int, d: int) -> int:
    if asset >= d:
        raise InvalidParameterError("asset", f"expected an index in [0, {d}), got {asset}")
    return asset


def _dates_for(t: np.ndarray, n_dates: int, name: str = "times") -> np.ndarray:
    if t.shape != (n_dates,):
        raise InvalidParameterError(name, f"expected shape ({n_dates},) (one per price date), got {t.shape}")
    return t


def _broadcast(spot: np.ndarray, tau: np.ndarray) -> None:
    try:
        np.broadcast_shapes(spot.shape, tau.shape)
    except ValueError:
        raise InvalidParameterError(
            "tau", f"shape {tau.shape} does not broadcast against spot of shape {spot.shape}"
        ) from None


# ----------------------------------------------------------------------------- P&L
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
        out = np.abs(_trades(_as3(deltas), liquidate)).sum(axis=(1, 2))
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
    S = _paths(prices)
    D = _holdings(deltas, S)
    return _transaction_costs(S, D, _costs(cost, S.shape[2]), liquidate)


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
    S = _paths(prices)
    D = _holdings(deltas, S)
    Z = _claim(payoff, S.shape[0])
    c = _costs(cost, S.shape[2])
    with np.errstate(over="ignore", invalid="ignore"):
        gains = (D * np.diff(S, axis=1)).sum(axis=(1, 2))
        out = np.asarray(-Z + premium + gains - _transaction_costs(S, D, c, liquidate))
    refuse_nonfinite(out, "prices", "the P&L overflows float64; rescale the inputs")
    return out


def hedging_pnl_torch(prices: Any, deltas: Any, payoff: Any, cost: Any = 0.0, *, liquidate: bool = False) -> Any:
    r"""Differentiable P&L (premium 0) of torch tensors, same formula as :func:`hedging_pnl`.

    Parameters
    ----------
    prices : torch.Tensor of shape (n_paths, n_steps + 1, n_assets)
    deltas : torch.Tensor of shape (n_paths, n_steps, n_assets)
    payoff : torch.Tensor of shape (n_paths,)
    cost : float or torch.Tensor of shape (n_assets,)
    liquidate : bool, default False

    Returns
    -------
    torch.Tensor of shape (n_paths,)

    Examples
    --------
    >>> import torch
    >>> S = torch.tensor([[[1.0], [1.1], [1.2]]])
    >>> float(hedging_pnl_torch(S, torch.ones(1, 2, 1), torch.tensor([0.2])).abs()) < 1e-6
    True
    """
    torch = _torch()
    gains = (deltas * (prices[:, 1:] - prices[:, :-1])).sum(dim=(1, 2))
    prev = torch.cat([torch.zeros_like(deltas[:, :1]), deltas[:, :-1]], dim=1)
    trades = deltas - prev
    P = prices[:, :-1]
    if liquidate:
        trades = torch.cat([trades, -deltas[:, -1:]], dim=1)
        P = prices
    costs = (trades.abs() * P * cost).sum(dim=(1, 2))
    return -payoff + gains - costs


# ----------------------------------------------------------------------------- Black-Scholes
def _d1(s: np.ndarray, k: float, t: np.ndarray, v: float, r: float) -> tuple[np.ndarray, np.ndarray]:
    """``(d1, sd)`` with the ``sd = v sqrt(t) -> 0`` limit (see :func:`finance_apps.closed_form.bs_d`)."""
    sd = v * np.sqrt(t)
    d1, _ = bs_d(np.log(s) - math.log(k) + r * t, sd)
    return d1, sd


def _call_delta(s: np.ndarray, k: float, t: np.ndarray, v: float, r: float = 0.0) -> np.ndarray:
    d1, _ = _d1(s, k, t, v, r)
    return np.asarray(np.where(t > 0, ndtr(d1), (s > k).astype(float)))


def _log_gamma(s: np.ndarray, k: float, t: np.ndarray, v: float, r: float = 0.0) -> np.ndarray:
    """``log Gamma``: ``-inf`` where gamma is 0 (``tau = 0``, or ``d1 = +-inf``), ``+inf``
    at the money when ``v sqrt(tau)`` underflows (the Dirac limit)."""
    d1, sd = _d1(s, k, t, v, r)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lg = -0.5 * d1 * d1 - _LOG_SQRT_2PI - np.log(s) - np.log(sd)
    lg = np.where(np.isinf(d1), -np.inf, lg)
    return np.asarray(np.where(t > 0, lg, -np.inf))


def _exp(log_value: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.asarray(np.exp(log_value))


_SPOT_TAU = dict(spot=SPOTS, strike=STRIKE, tau=TAUS, vol=VOL, rate=RATE)


@validate_params(**_SPOT_TAU)
def bs_call_price(spot: Any, strike: float, tau: Any, vol: float, rate: float = 0.0) -> np.ndarray:
    r"""Black-Scholes price of a European call, :math:`S N(d_1) - K e^{-r\tau} N(d_2)`.

    Parameters
    ----------
    spot : array_like
        Spot prices, > 0.
    strike : float > 0
    tau : array_like
        Times to maturity in years, in [0, 1000] (broadcast against ``spot``); at
        ``tau = 0`` the payoff.
    vol : float in (0, 10]
        Volatility; any positive value, however small (``vol -> 0``: the discounted
        intrinsic value of the forward).
    rate : float in [-1, 1], default 0

    The same parameters (and ``tau = 0`` conventions) hold for :func:`bs_call_delta`,
    :func:`bs_call_gamma` and :func:`bs_call_vega`.

    Returns
    -------
    ndarray, the broadcast shape of ``spot`` and ``tau``

    References
    ----------
    F. Black and M. Scholes, "The pricing of options and corporate liabilities", Journal
    of Political Economy 81(3), 637-654, 1973.

    Examples
    --------
    >>> round(float(bs_call_price(100.0, 100.0, 1.0, 0.2)), 4)
    7.9656
    """
    _broadcast(spot, tau)
    price = bs_price(True, spot, strike, tau, rate, vol)
    return np.asarray(np.where(tau > 0, price, np.maximum(spot - strike, 0.0)))


@validate_params(**_SPOT_TAU)
def bs_call_delta(spot: Any, strike: float, tau: Any, vol: float, rate: float = 0.0) -> np.ndarray:
    r"""Black-Scholes delta :math:`N(d_1)` of a call (at ``tau = 0``: :math:`1\{S > K\}`).

    Examples
    --------
    >>> round(float(bs_call_delta(100.0, 100.0, 1.0, 0.2)), 4)
    0.5398
    """
    _broadcast(spot, tau)
    return _call_delta(spot, strike, tau, vol, rate)


@validate_params(**_SPOT_TAU)
def bs_call_gamma(spot: Any, strike: float, tau: Any, vol: float, rate: float = 0.0) -> np.ndarray:
    r"""Black-Scholes gamma :math:`\varphi(d_1) / (S \sigma \sqrt{\tau})` (0 at ``tau = 0``).

    Computed in logarithms. At the money, as :math:`\sigma\sqrt{\tau} \to 0` the gamma
    tends to infinity (the delta becomes a step): where it exceeds the float64 range
    (about ``1e308``) the result is ``+inf``.

    Examples
    --------
    >>> round(float(bs_call_gamma(100.0, 100.0, 1.0, 0.2)), 5)
    0.01985
    """
    _broadcast(spot, tau)
    return _exp(_log_gamma(spot, strike, tau, vol, rate))


@validate_params(**_SPOT_TAU)
def bs_call_vega(spot: Any, strike: float, tau: Any, vol: float, rate: float = 0.0) -> np.ndarray:
    r"""Black-Scholes vega :math:`S \varphi(d_1) \sqrt{\tau}` (per unit of volatility).

    Examples
    --------
    >>> round(float(bs_call_vega(100.0, 100.0, 1.0, 0.2)), 4)
    39.6953
    """
    _broadcast(spot, tau)
    return _vega(spot, strike, tau, vol, rate)


def _vega(s: np.ndarray, k: float, t: np.ndarray, v: float, r: float = 0.0) -> np.ndarray:
    d1, _ = _d1(s, k, t, v, r)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        lv = np.log(s) - 0.5 * d1 * d1 - _LOG_SQRT_2PI + 0.5 * np.log(t)
    out = _exp(np.where(np.isinf(d1) | (t <= 0), -np.inf, lv))
    refuse_nonfinite(out, "spot", "the vega overflows float64; rescale the inputs")
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
    S = _paths(prices)
    return np.asarray(np.maximum(S[:, -1, _asset(asset, S.shape[2])] - strike, 0.0))


# ----------------------------------------------------------------------------- baselines
@validate_params(prices=PRICES)
def no_hedge(prices: Any) -> np.ndarray:
    """Zero holdings, shape (n_paths, n_steps, n_assets).

    Examples
    --------
    >>> no_hedge(np.ones((2, 4, 1))).shape
    (2, 3, 1)
    """
    S = _paths(prices)
    return np.zeros((S.shape[0], S.shape[1] - 1, S.shape[2]))


@validate_params(prices=PRICES, times=DATES, strike=STRIKE, vol=VOL, asset=ASSET)
def bs_delta_hedge(prices: Any, times: Any, strike: float, vol: float, *, asset: int = 0) -> np.ndarray:
    r"""Black-Scholes delta hedge of a call: :math:`\delta_k = N(d_1(S_k, T - t_k))`.

    Parameters
    ----------
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
    times : array_like of shape (n_steps + 1,)
        The price dates (strictly increasing, in [0, 1000] years); maturity is
        ``times[-1]``.
    strike, vol : float
        Strike (> 0) and the volatility (in (0, 10]) used for the delta (zero rate).
    asset : int in [0, n_assets), default 0
        The asset the call is written on; the other holdings are zero.

    Returns
    -------
    ndarray of shape (n_paths, n_steps, n_assets)

    Examples
    --------
    >>> S = np.array([[1.0, 1.05, 1.1]])
    >>> bs_delta_hedge(S, [0.0, 0.5, 1.0], 1.0, 0.2).round(4).tolist()
    [[[0.5398], [0.6612]]]
    """
    S = _paths(prices)
    t = _dates_for(times, S.shape[1])
    asset = _asset(asset, S.shape[2])
    tau = t[-1] - t[:-1]
    D = np.zeros((S.shape[0], S.shape[1] - 1, S.shape[2]))
    D[:, :, asset] = _call_delta(S[:, :-1, asset], strike, tau[None, :], vol)
    return D


@validate_params(spot=SPOTS, strike=STRIKE, tau=TAUS, vol=VOL, cost=COST_RATE, risk_aversion=RISK_AVERSION)
def whalley_wilmott_width(
    spot: Any, strike: float, tau: Any, vol: float, cost: float, risk_aversion: float
) -> np.ndarray:
    r"""Half-width :math:`(\tfrac{3}{2}\,c\,S\,\Gamma^2 / a)^{1/3}` of the Whalley-Wilmott band.

    Parameters
    ----------
    spot, tau : array_like
        Spot (> 0) and time to maturity (in [0, 1000]), broadcast.
    strike, vol : float
        Strike (> 0) and volatility (in (0, 10]).
    cost : float in [0, 1]
        Proportional cost rate :math:`c`.
    risk_aversion : float
        Exponential-utility risk aversion :math:`a > 0`, in units of 1 / P&L.

    Returns
    -------
    ndarray
        Computed in logarithms, so a tiny ``risk_aversion`` or ``vol`` gives a wide
        but finite band; ``+inf`` only where the width itself exceeds the float64
        range (gamma at the money as ``vol sqrt(tau) -> 0``, see
        :func:`bs_call_gamma`): an infinitely wide band, never traded out of.

    References
    ----------
    A. E. Whalley and P. Wilmott, Mathematical Finance 7(3), 1997, eq. (4.3).

    Examples
    --------
    >>> float(whalley_wilmott_width(1.0, 1.0, 0.1, 0.2, 0.0, 1.0))
    0.0
    """
    _broadcast(spot, tau)
    return _ww_width(spot, strike, tau, vol, cost, risk_aversion)


def _ww_width(s: np.ndarray, k: float, t: np.ndarray, v: float, c: float, a: float) -> np.ndarray:
    if c == 0.0:
        return np.zeros(np.broadcast(s, t).shape)
    lg = _log_gamma(s, k, t, v)
    return _exp((math.log(1.5 * c) + np.log(s) + 2.0 * lg - math.log(a)) / 3.0)


@validate_params(
    prices=PRICES, times=DATES, strike=STRIKE, vol=VOL, cost=COST_RATE, risk_aversion=RISK_AVERSION, asset=ASSET
)
def whalley_wilmott_hedge(
    prices: Any, times: Any, strike: float, vol: float, cost: float, risk_aversion: float, *, asset: int = 0
) -> np.ndarray:
    r"""No-trade-band hedge of a call (Whalley and Wilmott 1997).

    Starting from no position, at each date the holding is moved to the nearest point
    of :math:`[\Delta_{BS} - H, \Delta_{BS} + H]` (:func:`whalley_wilmott_width`), and
    left unchanged when already inside the band. With ``cost = 0`` it is the delta hedge.

    Parameters
    ----------
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
    times : array_like of shape (n_steps + 1,)
        Strictly increasing, in [0, 1000] years.
    strike, vol : float
        Strike (> 0) and volatility (in (0, 10]).
    cost : float in [0, 1]
        Proportional cost rate.
    risk_aversion : float > 0
        Exponential-utility risk aversion :math:`a` (1 / P&L units).
    asset : int in [0, n_assets), default 0

    Returns
    -------
    ndarray of shape (n_paths, n_steps, n_assets)

    References
    ----------
    A. E. Whalley and P. Wilmott, "An asymptotic analysis of an optimal hedging model
    for option pricing with transaction costs", Mathematical Finance 7(3), 1997.

    Examples
    --------
    >>> S = np.array([[1.0, 1.05, 1.1]])
    >>> D = whalley_wilmott_hedge(S, [0.0, 0.5, 1.0], 1.0, 0.2, 0.0, 1.0)
    >>> np.allclose(D, bs_delta_hedge(S, [0.0, 0.5, 1.0], 1.0, 0.2))
    True
    """
    S = _paths(prices)
    t = _dates_for(times, S.shape[1])
    asset = _asset(asset, S.shape[2])
    tau = t[-1] - t[:-1]
    delta = _call_delta(S[:, :-1, asset], strike, tau[None, :], vol)
    width = _ww_width(S[:, :-1, asset], strike, tau[None, :], vol, cost, risk_aversion)
    D = np.zeros((S.shape[0], S.shape[1] - 1, S.shape[2]))
    prev = np.zeros(S.shape[0])
    for k in range(S.shape[1] - 1):
        prev = np.clip(prev, delta[:, k] - width[:, k], delta[:, k] + width[:, k])
        D[:, k, asset] = prev
    return D


_SCALAR_SPOT = Real(0.0, None, closed="neither")


@validate_params(spot=_SCALAR_SPOT, strike=STRIKE, maturity=MATURITY, vol=VOL, n_steps=Integer(1, MAX_DATES))
def discrete_hedging_variance(spot: float, strike: float, maturity: float, vol: float, n_steps: int) -> float:
    r"""Leading-order variance of the P&L of a discretely rebalanced BS delta hedge.

    .. math:: \mathrm{Var} \approx \frac{T}{2n}\,\sigma^4 \int_0^T
              E\big[\Gamma(t, S_t)^2 S_t^4\big]\,dt,

    for ``n`` equal rebalancing intervals, zero rate, no costs, Black-Scholes dynamics
    with the hedging volatility. It comes from the local error
    :math:`-\tfrac12\Gamma_k S_k^2\big((\Delta S_k/S_k)^2 - \sigma^2\Delta t\big)`, whose
    variance is :math:`\tfrac12\Gamma_k^2 S_k^4\sigma^4\Delta t^2` and which is
    uncorrelated across dates. The expectation over the lognormal :math:`S_t` is a
    Gaussian integral in closed form,

    .. math:: \sigma^4 E[\Gamma^2 S^4] = \frac{\sigma^2 K^2}{2\pi\sqrt{\tau (T + t)}}
              \exp\Big(\frac{2\tau\ell - \sigma^2\tau t - (\delta/\sigma)^2}{T + t}\Big),

    with :math:`\tau = T - t`, :math:`\ell = \log(S_0/K)` and :math:`\delta = \ell +
    \sigma^2(\tau - t)/2`, written so that nothing divides by a small ``sigma`` but
    :math:`\delta/\sigma` (whose square only drives the exponential to 0); the time
    integral is computed by adaptive quadrature after the substitution
    :math:`t = T - u^2`, and the constant factor :math:`\sigma^2 K^2` is applied in
    logarithms.

    Parameters
    ----------
    spot, strike : float > 0
    maturity : float in (0, 1000]
    vol : float in (0, 10]
        Any positive volatility (the variance tends to 0 with it).
    n_steps : int in [1, 10**6]

    Returns
    -------
    float

    Raises
    ------
    InvalidParameterError
        When the variance exceeds the float64 range (``strike`` near ``1e154``):
        rescale the prices.

    Guarantee
    ---------
    ``n_steps * Var[PL_n]`` converges to ``n_steps *`` this value as ``n_steps`` grows
    (Bertsimas, Kogan and Lo 2000, Thm. 2; Toft 1996).

    References
    ----------
    D. Bertsimas, L. Kogan and A. W. Lo, "When is time continuous?", Journal of
    Financial Economics 55, 173-204, 2000.

    Examples
    --------
    >>> v = discrete_hedging_variance(1.0, 1.0, 1.0, 0.2, 100)
    >>> abs(v / derman_kamal_variance(1.0, 1.0, 1.0, 0.2, 100) - 1) < 0.05
    True
    """
    T, v = maturity, vol
    ell = math.log(spot) - math.log(strike)
    v2 = v * v

    def inner(u: float) -> float:
        # t = T - u^2 removes the 1/sqrt(T - t) singularity: dt = 2u du, sqrt(tau) = u
        tau = u * u
        t = T - tau
        delta_over_v = ell / v + 0.5 * v * (tau - t)
        expo = (2.0 * tau * ell - v2 * tau * t - delta_over_v * delta_over_v) / (T + t)
        return math.exp(expo) / (math.pi * math.sqrt(T + t))  # expo <= 0 (maximised over ell: 0)

    integral, _ = integrate.quad(inner, 0.0, math.sqrt(T), limit=200)
    if integral <= 0.0:
        return 0.0
    log_var = math.log(T) - math.log(2.0 * n_steps) + 2.0 * math.log(v) + 2.0 * math.log(strike) + math.log(integral)
    if log_var > 709.0:
        raise InvalidParameterError("strike", "the hedging variance overflows float64; rescale the prices")
    return math.exp(log_var)


@validate_params(spot=_SCALAR_SPOT, strike=STRIKE, maturity=MATURITY, vol=VOL, n_steps=Integer(1, MAX_DATES))
def derman_kamal_variance(spot: float, strike: float, maturity: float, vol: float, n_steps: int) -> float:
    r"""Derman-Kamal approximation :math:`\frac{\pi}{4}\,\mathrm{vega}^2\sigma^2 / n`.

    The at-the-money, small-:math:`\sigma^2 T` form of
    :func:`discrete_hedging_variance`: with :math:`S \approx K` the time integral is
    :math:`\int_0^T dt / \sqrt{T^2 - t^2} = \pi/2`, which gives
    :math:`K^2 \sigma^2 T / (8n) = \frac{\pi}{4}\mathrm{vega}^2\sigma^2/n` with
    :math:`\mathrm{vega} = K\sqrt{T/(2\pi)}`.

    Parameters
    ----------
    spot, strike : float > 0
    maturity : float in (0, 1000]
    vol : float in (0, 10]
    n_steps : int in [1, 10**6]

    Returns
    -------
    float
        Computed in logarithms; an :class:`InvalidParameterError` (naming ``spot``)
        when it exceeds the float64 range.

    References
    ----------
    E. Derman and M. Kamal, "When you cannot hedge continuously: the corrections of
    Black-Scholes", Risk 12, 82-85, 1999.

    Examples
    --------
    >>> round(derman_kamal_variance(1.0, 1.0, 1.0, 0.2, 1) / (0.2**2 / 8), 2)  # vega ~ sqrt(T/2pi)
    0.99
    """
    s = np.asarray(spot, dtype=np.float64)
    d1, _ = _d1(s, strike, np.asarray(maturity), vol, 0.0)
    d1f = float(d1)
    if math.isinf(d1f):
        return 0.0
    log_vega = math.log(spot) - 0.5 * d1f * d1f - _LOG_SQRT_2PI + 0.5 * math.log(maturity)
    log_var = math.log(math.pi / 4.0) + 2.0 * log_vega + 2.0 * math.log(vol) - math.log(n_steps)
    if log_var > 709.0:
        raise InvalidParameterError("spot", "the variance overflows float64; rescale the prices")
    return math.exp(log_var)


# ----------------------------------------------------------------------------- simulator
@validate_params(prices=PRICES, payoff=CLAIM, cost=COST, liquidate=Bool())
class HedgingEnv:
    r"""The hedging problem as a batched :class:`rlcore.Simulator`.

    A state is a row ``(path, k, S_k (d entries), delta_{k-1} (d entries))``; the
    action is the new holding :math:`\delta_k` of shape ``(n, d)``; the reward of step
    ``k`` is :math:`\delta_k \cdot (S_{k+1} - S_k) - c\,|\delta_k - \delta_{k-1}|\,S_k`,
    and the last step also pays :math:`-Z` (and the unwind cost if ``liquidate``), so
    that the undiscounted return of an episode is :func:`hedging_pnl` with premium 0.

    Parameters
    ----------
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
        The scenario set (prices > 0); :meth:`reset` draws paths from it uniformly with
        replacement.
    payoff : array_like of shape (n_paths,)
    cost : float or array_like of shape (n_assets,), in [0, 1], default 0
    liquidate : bool, default False

    Examples
    --------
    >>> S = np.array([[[1.0], [1.1]], [[1.0], [0.9]]])
    >>> env = HedgingEnv(S, np.array([0.1, 0.0]))
    >>> s = env.reset(2, rng=0)
    >>> _, r, done = env.step(s, np.full((2, 1), 0.5), t=0)
    >>> bool(done.all())
    True
    """

    def __init__(self, prices: Any, payoff: Any, cost: Any = 0.0, *, liquidate: bool = False) -> None:
        self.prices = _paths(prices)
        self.payoff = _claim(payoff, self.prices.shape[0])
        self.n_paths, n_dates, self.n_assets = self.prices.shape
        self.n_steps = n_dates - 1
        self.cost = _costs(cost, self.n_assets)
        self.liquidate = liquidate
        self.horizon = self.n_steps

    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """Draw ``n`` (in [1, 10**8]) scenario paths; return states of shape (n, 2 + 2 * n_assets)."""
        n = check_int(n, "n", low=1, high=MAX_PATHS)
        gen = as_generator(rng)
        idx = gen.integers(self.n_paths, size=n)
        d = self.n_assets
        states = np.zeros((n, 2 + 2 * d))
        states[:, 0] = idx
        states[:, 2 : 2 + d] = self.prices[idx, 0]
        return states

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Hold ``actions`` (shape (n, n_assets)) over one period; see the class docstring."""
        x = as_float_array(states, "states", ndim=2)
        d = self.n_assets
        if x.shape[1] != 2 + 2 * d:
            raise InvalidParameterError("states", f"expected shape (n, {2 + 2 * d}), got {x.shape}")
        a = as_float_array(actions, "actions", ndim=(1, 2))
        if a.size != x.shape[0] * d:
            raise InvalidParameterError("actions", f"expected shape ({x.shape[0]}, {d}), got {a.shape}")
        a = a.reshape(x.shape[0], d)
        idx = x[:, 0].astype(np.int64)
        k = x[:, 1].astype(np.int64)
        if np.any(idx < 0) or np.any(idx >= self.n_paths) or np.any(x[:, 0] != idx):
            raise InvalidParameterError("states", f"column 0 must hold scenario indices in [0, {self.n_paths})")
        if t is not None and np.any(k != t):
            raise InvalidParameterError("t", f"the states are at date {int(k[0])}, got t={t}")
        if np.any(k >= self.n_steps) or np.any(k < 0):
            raise InvalidParameterError("states", "the episode has already terminated")
        S0 = self.prices[idx, k]
        S1 = self.prices[idx, k + 1]
        prev = x[:, 2 + d :]
        reward = (a * (S1 - S0)).sum(axis=1) - (self.cost * np.abs(a - prev) * S0).sum(axis=1)
        done = k + 1 == self.n_steps
        reward = reward - np.where(done, self.payoff[idx], 0.0)
        if self.liquidate:
            reward = reward - np.where(done, (self.cost * np.abs(a) * S1).sum(axis=1), 0.0)
        nxt = x.copy()
        nxt[:, 1] = k + 1
        nxt[:, 2 : 2 + d] = S1
        nxt[:, 2 + d :] = a
        return nxt, reward, done


# ----------------------------------------------------------------------------- deep hedging
@validate_params(prices=PRICES, times=DATES, strike=STRIKE, normalize=Bool())
def hedging_features(prices: Any, times: Any, strike: float, *, normalize: bool = True) -> np.ndarray:
    r"""Default hedger inputs: log-moneyness and time to maturity at each decision date.

    With ``normalize=True`` the features are :math:`\log(S_k / K) / \sqrt{T}` and
    :math:`(T - t_k) / T`, both of order one whatever the maturity (raw features of a
    one-month option are of order 0.05, which slows first-order training several-fold);
    with ``normalize=False`` they are :math:`\log(S_k / K)` and :math:`T - t_k`.

    Parameters
    ----------
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
    times : array_like of shape (n_steps + 1,)
        Dates from ``times[0]`` to maturity ``times[-1]`` (strictly increasing, in
        [0, 1000] years).
    strike : float > 0
    normalize : bool, default True

    Returns
    -------
    ndarray of shape (n_paths, n_steps, n_assets + 1)

    Examples
    --------
    >>> hedging_features(np.ones((1, 3, 1)), [0.0, 0.5, 1.0], 1.0).tolist()
    [[[0.0, 1.0], [0.0, 0.5]]]
    """
    S = _paths(prices)
    t = _dates_for(times, S.shape[1])
    n, m, _ = S.shape
    T = t[-1] - t[0]
    tau = t[-1] - t[:-1]
    logm = np.log(S[:, :-1]) - math.log(strike)
    if normalize:
        tau = tau / T
        logm = logm / math.sqrt(T)
    return np.concatenate([logm, np.broadcast_to(tau[None, :, None], (n, m - 1, 1))], axis=2)


@dataclass(frozen=True)
class TrainingResult:
    """Outcome of :func:`train_hedger`.

    Attributes
    ----------
    hedger : torch.nn.Module
        The trained hedger (the same object that was passed in, trained in place).
    risk_history : ndarray of shape (n_iterations,)
        Risk of the training minibatch before each update.
    eval_steps : ndarray of shape (n_evals,)
        Update counts at which the evaluation risk was computed (0 = before training).
    eval_risk : ndarray of shape (n_evals,)
        Risk of the whole evaluation set (no premium) at those counts.
    final_risk : float
        ``eval_risk[-1]``: :math:`\\pi(-Z)` estimated on the evaluation set.
    seconds : float
        Wall time of the training loop.
    optimizer : str
        ``"adam"`` or ``"kfac"``.
    extra : dict
        Free-form diagnostics (empty unless a caller adds to it).
    """

    hedger: Any
    risk_history: np.ndarray
    eval_steps: np.ndarray
    eval_risk: np.ndarray
    final_risk: float
    seconds: float
    optimizer: str
    extra: dict[str, Any] = field(default_factory=dict)

    def steps_to_reach(self, level: float) -> int | None:
        """First evaluation step at which ``eval_risk <= level``, or None if never."""
        hit = np.nonzero(self.eval_risk <= level)[0]
        return int(self.eval_steps[hit[0]]) if hit.size else None


def _apply_hedger(torch: Any, hedger: Any, X: Any, name: str = "features") -> Any:
    """``hedger(X)``, refusing features the module cannot take (shape) and non-finite holdings."""
    try:
        out = hedger(X)
    except (RuntimeError, ValueError, IndexError) as exc:  # torch's shape errors
        raise InvalidParameterError(
            name, f"the hedger cannot be applied to features of shape {tuple(X.shape)} ({exc})"
        ) from None
    return out


def _positive(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.ndim not in (2, 3):
        raise InvalidParameterError(name, f"expected a 2- or 3-dimensional array, got shape {arr.shape}")
    if np.any(arr <= 0):
        raise InvalidParameterError(name, "expected positive prices")
    return arr


def _param_dtype(hedger: Any) -> Any:
    params = list(hedger.parameters())
    if not params:
        raise InvalidParameterError("hedger", "the module has no parameters")
    return params[0].dtype


@validate_params(hedger=TorchModule(), features=Array(ndim=3))
def hedge_ratios(hedger: Any, features: Any) -> np.ndarray:
    """Run a torch hedger on numpy features; return the holdings as numpy.

    Parameters
    ----------
    hedger : torch.nn.Module
        Maps features of shape (n_paths, n_steps, n_features) to holdings of shape
        (n_paths, n_steps, n_assets), e.g. :func:`finance_apps.deep_hedgers.feedforward_hedger`.
    features : array_like of shape (n_paths, n_steps, n_features)

    Returns
    -------
    ndarray of shape (n_paths, n_steps, n_assets)

    Examples
    --------
    >>> from finance_apps.deep_hedgers import feedforward_hedger
    >>> h = feedforward_hedger(2, rng=0)
    >>> hedge_ratios(h, np.zeros((3, 4, 2))).shape
    (3, 4, 1)
    """
    torch = _torch()
    dtype = _param_dtype(hedger)
    with torch.no_grad():
        out = _apply_hedger(torch, hedger, torch.as_tensor(features, dtype=dtype))
    D = np.asarray(out.detach().cpu().numpy(), dtype=np.float64)
    refuse_nonfinite(D, "hedger", "the holdings (the hedger's output) overflows float64; rescale the inputs")
    return D


def _kfac_option_names() -> set[str]:
    from finance_apps.kfac import KFAC

    return {p for p in inspect.signature(KFAC.__init__).parameters if p not in ("self", "model", "lr")}


@validate_params(
    hedger=TorchModule(),
    prices=PRICES,
    payoff=CLAIM,
    features=Array(ndim=3),
    risk=Implements("torch", "__call__", what="a risk measure with a torch(pnl) method, e.g. EntropicRisk(a)"),
    cost=COST,
    liquidate=Bool(),
    optimizer=Options("adam", "kfac"),
    n_iterations=Integer(1, MAX_ITERATIONS),
    batch_size=Integer(1, MAX_PATHS),
    lr=Real(0.0, 100.0, closed="right"),
    kfac_options=Instance(dict, what="a dict of KFAC keyword arguments") | None,
    eval_every=Integer(1, MAX_ITERATIONS),
    eval_data=Sequence_(Array(), length=3) | None,
    rng=RNG(),
    callback=IsCallable("a callable callback(iteration, batch_risk)") | None,
)
def train_hedger(
    hedger: Any,
    prices: Any,
    payoff: Any,
    features: Any,
    risk: Any,
    *,
    cost: Any = 0.0,
    liquidate: bool = False,
    optimizer: str = "adam",
    n_iterations: int = 200,
    batch_size: int = 1024,
    lr: float = 1e-3,
    kfac_options: dict[str, Any] | None = None,
    eval_every: int = 10,
    eval_data: tuple[Any, Any, Any] | None = None,
    rng: RNGLike = None,
    callback: Callable[[int, float], None] | None = None,
) -> TrainingResult:
    r"""Deep hedging: minimise a convex risk measure of the hedged P&L by stochastic gradient.

    Each iteration draws a minibatch of ``batch_size`` scenario paths (with replacement,
    from ``rng``), computes the holdings ``hedger(features)``, the P&L of
    :func:`hedging_pnl_torch` with premium 0 and the loss ``risk.torch(pnl)``, and takes
    one step of Adam or of :class:`finance_apps.kfac.KFAC`.

    Parameters
    ----------
    hedger : torch.nn.Module
        Maps (n, n_steps, n_features) features to (n, n_steps, n_assets) holdings.
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
    payoff : array_like of shape (n_paths,)
    features : array_like of shape (n_paths, n_steps, n_features)
        For example :func:`hedging_features`.
    risk : object with a ``torch(pnl)`` method and a numpy ``__call__``
        :class:`~finance_apps.risk_measures.EntropicRisk` or
        :class:`~finance_apps.risk_measures.ExpectedShortfall`.
    cost : float or array_like of shape (n_assets,), in [0, 1], default 0
    liquidate : bool, default False
    optimizer : {"adam", "kfac"}, default "adam"
    n_iterations : int in [1, 10**9], default 200
    batch_size : int in [1, 10**8], default 1024
        At most ``10**9`` floats of minibatch features.
    lr : float in (0, 100], default 1e-3
        Learning rate of either optimiser (a larger step overflows float32
        parameters).
    kfac_options : dict or None
        Extra keyword arguments of :class:`~finance_apps.kfac.KFAC` (``damping``,
        ``factor_decay``, ``inverse_update_freq``, ``momentum``, ``kl_clip``, ...);
        an unknown or invalid option is refused naming ``kfac_options``.
    eval_every : int in [1, 10**9], default 10
        Evaluate the risk of the whole evaluation set every ``eval_every`` updates.
    eval_data : tuple (prices, payoff, features) or None
        Evaluation scenarios, shaped as the training ones; default the training
        scenarios.
    rng : Generator, int or None
        Seeds the minibatch draws (the hedger's initial weights are seeded where it is
        built).
    callback : callable or None
        Called as ``callback(iteration, batch_risk)`` after each update.

    Returns
    -------
    TrainingResult

    References
    ----------
    H. Buehler, L. Gonon, J. Teichmann and B. Wood, "Deep hedging", Quantitative
    Finance 19(8), 2019, §4.

    Examples
    --------
    >>> from finance_apps.deep_hedgers import feedforward_hedger
    >>> from finance_apps.risk_measures import EntropicRisk
    >>> rng = np.random.default_rng(0)
    >>> S = np.exp(np.cumsum(np.c_[np.zeros(64), 0.02 * rng.standard_normal((64, 4))], axis=1))[:, :, None]
    >>> Z = call_payoff(S, 1.0)
    >>> X = hedging_features(S, np.linspace(0, 0.04, 5), 1.0)
    >>> res = train_hedger(feedforward_hedger(2, rng=0), S, Z, X, EntropicRisk(10.0),
    ...                    n_iterations=5, batch_size=32, rng=0)
    >>> res.risk_history.shape
    (5,)
    """
    torch = _torch()
    S = _paths(prices)
    Z = _claim(payoff, S.shape[0])
    X = features
    if X.shape[:2] != (S.shape[0], S.shape[1] - 1):
        raise InvalidParameterError(
            "features", f"expected shape ({S.shape[0]}, {S.shape[1] - 1}, n_features), got {X.shape}"
        )
    c = _costs(cost, S.shape[2])
    check_entries(batch_size * X.shape[1] * max(X.shape[2], S.shape[2]), "batch_size", "a minibatch")
    opts = dict(kfac_options or {})
    unknown = sorted(set(opts) - _kfac_option_names())
    if unknown:
        raise InvalidParameterError(
            "kfac_options", f"unknown KFAC option {unknown[0]!r}; expected some of {sorted(_kfac_option_names())}"
        )
    if eval_data is not None:
        S2 = _paths(_positive(eval_data[0], "eval_data[0]"), "eval_data[0]")
        if S2.shape[1:] != S.shape[1:]:
            raise InvalidParameterError(
                "eval_data", f"eval_data[0]: expected shape (n, {S.shape[1]}, {S.shape[2]}), got {S2.shape}"
            )
        Z2 = _claim(eval_data[1], S2.shape[0], "eval_data[1]")
        X2 = eval_data[2]
        if X2.ndim != 3 or X2.shape != (S2.shape[0], S.shape[1] - 1, X.shape[2]):
            raise InvalidParameterError(
                "eval_data",
                f"eval_data[2]: expected shape ({S2.shape[0]}, {S.shape[1] - 1}, {X.shape[2]}), got {X2.shape}",
            )
    gen = as_generator(rng)

    dtype = _param_dtype(hedger)
    params = list(hedger.parameters())
    tS = torch.as_tensor(S, dtype=dtype)
    tZ = torch.as_tensor(Z, dtype=dtype)
    tX = torch.as_tensor(X, dtype=dtype)
    tc = torch.as_tensor(c, dtype=dtype)
    if eval_data is None:
        eS, eZ, eX, ec = tS, tZ, tX, tc
    else:
        eS = torch.as_tensor(S2, dtype=dtype)
        eZ = torch.as_tensor(Z2, dtype=dtype)
        eX = torch.as_tensor(X2, dtype=dtype)
        ec = tc
    with torch.no_grad():
        out = _apply_hedger(torch, hedger, tX[:1])
    if tuple(out.shape) != (1, S.shape[1] - 1, S.shape[2]):
        raise InvalidParameterError(
            "hedger",
            f"maps features to holdings of shape {tuple(out.shape[1:])}, expected "
            f"{(S.shape[1] - 1, S.shape[2])} (n_steps, n_assets)",
        )

    def evaluate() -> float:
        with torch.no_grad():
            pnl = hedging_pnl_torch(eS, hedger(eX), eZ, ec, liquidate=liquidate)
            return float(risk(pnl.double().cpu().numpy()))

    opt: Any
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr)
    else:
        from finance_apps.kfac import KFAC

        try:
            opt = KFAC(hedger, lr=lr, **opts)
        except (InvalidParameterError, InvalidParameterTypeError) as exc:
            raise type(exc)("kfac_options", str(exc)) from None

    history = np.empty(n_iterations)
    eval_steps, eval_risk = [0], [evaluate()]
    t0 = time.perf_counter()
    try:
        for it in range(n_iterations):
            idx = torch.as_tensor(gen.integers(S.shape[0], size=batch_size))
            opt.zero_grad()
            pnl = hedging_pnl_torch(tS[idx], hedger(tX[idx]), tZ[idx], tc, liquidate=liquidate)
            loss = risk.torch(pnl)
            loss.backward()
            opt.step()
            history[it] = float(loss.detach())
            if not math.isfinite(history[it]):
                raise FloatingPointError(
                    f"training diverged at iteration {it} (risk {history[it]}); lower lr (it is {lr:g})"
                )
            if (it + 1) % eval_every == 0 or it + 1 == n_iterations:
                eval_steps.append(it + 1)
                eval_risk.append(evaluate())
            if callback is not None:
                callback(it, history[it])
    finally:
        if optimizer == "kfac":
            opt.remove_hooks()
    seconds = time.perf_counter() - t0
    return TrainingResult(
        hedger=hedger,
        risk_history=history,
        eval_steps=np.asarray(eval_steps),
        eval_risk=np.asarray(eval_risk),
        final_risk=float(eval_risk[-1]),
        seconds=seconds,
        optimizer=optimizer,
    )
