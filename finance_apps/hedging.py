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

import math
import numbers
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import integrate
from scipy.special import ndtr

from rlcore.validation import as_float_array, check_positive_int, check_real
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


def _std_normal_pdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * np.square(x)) / np.sqrt(2.0 * np.pi)


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ImportError(_TORCH_HINT) from exc
    return torch


# ----------------------------------------------------------------------------- checks
def _real(x: Any, name: str, *, positive: bool = False, nonneg: bool = False) -> float:
    v = check_real(x, name)
    if positive and v <= 0:
        raise ValueError(f"{name}: expected a positive number, got {x!r}")
    if nonneg and v < 0:
        raise ValueError(f"{name}: expected a non-negative number, got {x!r}")
    return v


def _prices(prices: Any) -> np.ndarray:
    S = as_float_array(prices, "prices", ndim=(2, 3))
    if S.ndim == 2:
        S = S[:, :, None]
    if S.shape[0] < 1 or S.shape[1] < 2 or S.shape[2] < 1:
        raise ValueError(
            f"prices: expected shape (n_paths >= 1, n_steps + 1 >= 2, n_assets >= 1), got {S.shape}"
        )
    if np.any(S <= 0):
        idx = tuple(int(i) for i in np.argwhere(S <= 0)[0])
        raise ValueError(f"prices: expected positive prices, found {float(S[idx])!r} at index {idx}")
    return S


def _deltas(deltas: Any, S: np.ndarray) -> np.ndarray:
    D = as_float_array(deltas, "deltas", ndim=(2, 3))
    if D.ndim == 2:
        D = D[:, :, None]
    want = (S.shape[0], S.shape[1] - 1, S.shape[2])
    if D.shape != want:
        raise ValueError(f"deltas: expected shape {want} (n_paths, n_steps, n_assets), got {D.shape}")
    return D


def _cost(cost: Any, d: int) -> np.ndarray:
    c = as_float_array(cost, "cost", ndim=(0, 1))
    c = np.broadcast_to(c, (d,)).astype(float) if c.ndim == 0 else c
    if c.shape != (d,):
        raise ValueError(f"cost: expected a scalar or shape ({d},), got {c.shape}")
    if np.any(c < 0):
        raise ValueError(f"cost: proportional costs must be >= 0, got {c.tolist()}")
    return c


def _payoff(payoff: Any, n: int) -> np.ndarray:
    Z = as_float_array(payoff, "payoff", ndim=1)
    if Z.shape != (n,):
        raise ValueError(f"payoff: expected shape ({n},) (one value per path), got {Z.shape}")
    return Z


def _asset(asset: Any, d: int) -> int:
    if isinstance(asset, (bool, np.bool_)) or not isinstance(asset, (numbers.Integral, np.integer)):
        raise TypeError(f"asset: expected an integer index, got {asset!r}")
    if not 0 <= int(asset) < d:
        raise ValueError(f"asset: expected an index in [0, {d}), got {asset!r}")
    return int(asset)


def _times(times: Any, n_dates: int) -> np.ndarray:
    t = as_float_array(times, "times", ndim=1)
    if t.shape != (n_dates,):
        raise ValueError(f"times: expected shape ({n_dates},) (one per price date), got {t.shape}")
    if np.any(np.diff(t) <= 0):
        raise ValueError("times: expected strictly increasing dates")
    return t


# ----------------------------------------------------------------------------- P&L
def _trades(D: np.ndarray, liquidate: bool) -> np.ndarray:
    prev = np.concatenate([np.zeros_like(D[:, :1]), D[:, :-1]], axis=1)
    trades = D - prev
    if liquidate:
        trades = np.concatenate([trades, -D[:, -1:]], axis=1)
    return trades


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
    D = as_float_array(deltas, "deltas", ndim=(2, 3))
    if D.ndim == 2:
        D = D[:, :, None]
    return np.abs(_trades(D, liquidate)).sum(axis=(1, 2))


def transaction_costs(prices: Any, deltas: Any, cost: Any, *, liquidate: bool = False) -> np.ndarray:
    r"""Proportional costs :math:`\sum_k c\,|\delta_k - \delta_{k-1}|\,S_k` per path.

    Parameters
    ----------
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
    deltas : array_like of shape (n_paths, n_steps, n_assets)
    cost : float or array_like of shape (n_assets,)
        Cost per unit of traded value, >= 0.
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
    S = _prices(prices)
    D = _deltas(deltas, S)
    c = _cost(cost, S.shape[2])
    trades = _trades(D, liquidate)
    P = S if liquidate else S[:, :-1]
    return np.asarray((np.abs(trades) * P * c).sum(axis=(1, 2)))


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
        Proportional transaction cost rate.
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
    S = _prices(prices)
    D = _deltas(deltas, S)
    Z = _payoff(payoff, S.shape[0])
    p0 = _real(premium, "premium")
    gains = (D * np.diff(S, axis=1)).sum(axis=(1, 2))
    costs = transaction_costs(S, D, cost, liquidate=liquidate)
    return np.asarray(-Z + p0 + gains - costs)


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
def _d1(spot: np.ndarray, strike: float, tau: np.ndarray, vol: float, rate: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray((np.log(spot / strike) + (rate + 0.5 * vol**2) * tau) / (vol * np.sqrt(tau)))


def _bs_args(spot: Any, strike: float, tau: Any, vol: float) -> tuple[np.ndarray, float, np.ndarray, float]:
    s = as_float_array(spot, "spot")
    if np.any(s <= 0):
        raise ValueError("spot: expected positive prices")
    t = as_float_array(tau, "tau")
    if np.any(t < 0):
        raise ValueError("tau: expected times to maturity >= 0")
    return s, _real(strike, "strike", positive=True), t, _real(vol, "vol", positive=True)


def bs_call_price(spot: Any, strike: float, tau: Any, vol: float, rate: float = 0.0) -> np.ndarray:
    r"""Black-Scholes price of a European call, :math:`S N(d_1) - K e^{-r\tau} N(d_2)`.

    Parameters
    ----------
    spot : array_like
        Spot prices, > 0.
    strike : float
    tau : array_like
        Times to maturity in years, >= 0 (broadcast against ``spot``); at ``tau = 0``
        the payoff.
    vol : float
        Volatility, > 0.
    rate : float, default 0

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
    s, k, t, v = _bs_args(spot, strike, tau, vol)
    r = _real(rate, "rate")
    d1 = _d1(s, k, t, v, r)
    d2 = d1 - v * np.sqrt(t)
    price = s * ndtr(d1) - k * np.exp(-r * t) * ndtr(d2)
    return np.asarray(np.where(t > 0, price, np.maximum(s - k, 0.0)))


def bs_call_delta(spot: Any, strike: float, tau: Any, vol: float, rate: float = 0.0) -> np.ndarray:
    r"""Black-Scholes delta :math:`N(d_1)` of a call (at ``tau = 0``: :math:`1\{S > K\}`).

    Examples
    --------
    >>> round(float(bs_call_delta(100.0, 100.0, 1.0, 0.2)), 4)
    0.5398
    """
    s, k, t, v = _bs_args(spot, strike, tau, vol)
    d1 = _d1(s, k, t, v, _real(rate, "rate"))
    return np.asarray(np.where(t > 0, ndtr(d1), (s > k).astype(float)))


def bs_call_gamma(spot: Any, strike: float, tau: Any, vol: float, rate: float = 0.0) -> np.ndarray:
    r"""Black-Scholes gamma :math:`\varphi(d_1) / (S \sigma \sqrt{\tau})` (0 at ``tau = 0``).

    Examples
    --------
    >>> round(float(bs_call_gamma(100.0, 100.0, 1.0, 0.2)), 5)
    0.01985
    """
    s, k, t, v = _bs_args(spot, strike, tau, vol)
    d1 = _d1(s, k, t, v, _real(rate, "rate"))
    with np.errstate(divide="ignore", invalid="ignore"):
        g = _std_normal_pdf(d1) / (s * v * np.sqrt(t))
    return np.asarray(np.where(t > 0, g, 0.0))


def bs_call_vega(spot: Any, strike: float, tau: Any, vol: float, rate: float = 0.0) -> np.ndarray:
    r"""Black-Scholes vega :math:`S \varphi(d_1) \sqrt{\tau}` (per unit of volatility).

    Examples
    --------
    >>> round(float(bs_call_vega(100.0, 100.0, 1.0, 0.2)), 4)
    39.6953
    """
    s, k, t, v = _bs_args(spot, strike, tau, vol)
    d1 = _d1(s, k, t, v, _real(rate, "rate"))
    return np.asarray(np.where(t > 0, s * _std_normal_pdf(d1) * np.sqrt(t), 0.0))


def call_payoff(prices: Any, strike: float, asset: int = 0) -> np.ndarray:
    r"""European call payoff :math:`(S_n - K)^+` of one asset at the last date.

    Parameters
    ----------
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
    strike : float
    asset : int, default 0

    Returns
    -------
    ndarray of shape (n_paths,)

    Examples
    --------
    >>> call_payoff(np.array([[1.0, 1.3], [1.0, 0.8]]), 1.0).round(12).tolist()
    [0.3, 0.0]
    """
    S = _prices(prices)
    k = _real(strike, "strike", positive=True)
    return np.asarray(np.maximum(S[:, -1, _asset(asset, S.shape[2])] - k, 0.0))


# ----------------------------------------------------------------------------- baselines
def no_hedge(prices: Any) -> np.ndarray:
    """Zero holdings, shape (n_paths, n_steps, n_assets).

    Examples
    --------
    >>> no_hedge(np.ones((2, 4, 1))).shape
    (2, 3, 1)
    """
    S = _prices(prices)
    return np.zeros((S.shape[0], S.shape[1] - 1, S.shape[2]))


def bs_delta_hedge(prices: Any, times: Any, strike: float, vol: float, *, asset: int = 0) -> np.ndarray:
    r"""Black-Scholes delta hedge of a call: :math:`\delta_k = N(d_1(S_k, T - t_k))`.

    Parameters
    ----------
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
    times : array_like of shape (n_steps + 1,)
        The price dates; maturity is ``times[-1]``.
    strike, vol : float
        Strike and the volatility used for the delta (zero rate).
    asset : int, default 0
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
    S = _prices(prices)
    t = _times(times, S.shape[1])
    asset = _asset(asset, S.shape[2])
    tau = t[-1] - t[:-1]
    D = np.zeros((S.shape[0], S.shape[1] - 1, S.shape[2]))
    D[:, :, asset] = bs_call_delta(S[:, :-1, asset], strike, tau[None, :], vol)
    return D


def whalley_wilmott_width(spot: Any, strike: float, tau: Any, vol: float, cost: float, risk_aversion: float) -> np.ndarray:
    r"""Half-width :math:`(\tfrac{3}{2}\,c\,S\,\Gamma^2 / a)^{1/3}` of the Whalley-Wilmott band.

    Parameters
    ----------
    spot, tau : array_like
        Spot and time to maturity (broadcast).
    strike, vol : float
    cost : float
        Proportional cost rate :math:`c \ge 0`.
    risk_aversion : float
        Exponential-utility risk aversion :math:`a > 0`, in units of 1 / P&L.

    Returns
    -------
    ndarray

    References
    ----------
    A. E. Whalley and P. Wilmott, Mathematical Finance 7(3), 1997, eq. (4.3).

    Examples
    --------
    >>> float(whalley_wilmott_width(1.0, 1.0, 0.1, 0.2, 0.0, 1.0))
    0.0
    """
    c = _real(cost, "cost", nonneg=True)
    a = _real(risk_aversion, "risk_aversion", positive=True)
    s = as_float_array(spot, "spot")
    gamma = bs_call_gamma(s, strike, tau, vol)
    return np.asarray(np.cbrt(1.5 * c * s * gamma**2 / a))


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
    strike, vol : float
    cost : float
        Proportional cost rate.
    risk_aversion : float
        Exponential-utility risk aversion :math:`a` (1 / P&L units).
    asset : int, default 0

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
    S = _prices(prices)
    t = _times(times, S.shape[1])
    asset = _asset(asset, S.shape[2])
    tau = t[-1] - t[:-1]
    delta = bs_call_delta(S[:, :-1, asset], strike, tau[None, :], vol)
    width = whalley_wilmott_width(S[:, :-1, asset], strike, tau[None, :], vol, cost, risk_aversion)
    D = np.zeros((S.shape[0], S.shape[1] - 1, S.shape[2]))
    prev = np.zeros(S.shape[0])
    for k in range(S.shape[1] - 1):
        prev = np.clip(prev, delta[:, k] - width[:, k], delta[:, k] + width[:, k])
        D[:, k, asset] = prev
    return D


def discrete_hedging_variance(
    spot: float, strike: float, maturity: float, vol: float, n_steps: int
) -> float:
    r"""Leading-order variance of the P&L of a discretely rebalanced BS delta hedge.

    .. math:: \mathrm{Var} \approx \frac{T}{2n}\,\sigma^4 \int_0^T
              E\big[\Gamma(t, S_t)^2 S_t^4\big]\,dt,

    for ``n`` equal rebalancing intervals, zero rate, no costs, Black-Scholes dynamics
    with the hedging volatility. It comes from the local error
    :math:`-\tfrac12\Gamma_k S_k^2\big((\Delta S_k/S_k)^2 - \sigma^2\Delta t\big)`, whose
    variance is :math:`\tfrac12\Gamma_k^2 S_k^4\sigma^4\Delta t^2` and which is
    uncorrelated across dates. The expectation over the lognormal :math:`S_t` is a
    Gaussian integral in closed form; the time integral is computed by adaptive
    quadrature after the substitution :math:`t = T - u^2`.

    Parameters
    ----------
    spot, strike, maturity, vol : float
    n_steps : int

    Returns
    -------
    float

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
    s0 = _real(spot, "spot", positive=True)
    k = _real(strike, "strike", positive=True)
    T = _real(maturity, "maturity", positive=True)
    v = _real(vol, "vol", positive=True)
    n = check_positive_int(n_steps, "n_steps")
    lk = math.log(k)

    def expected_gs2_sq(t: float) -> float:
        # E[(Gamma S^2)^2] = E[S^2 phi(d1)^2] / (v^2 tau), with x = log S_t ~ N(m, s^2) and
        # d1 = (x - c) / b linear in x: a Gaussian integral in closed form.
        tau = T - t
        b2 = v * v * tau
        c = lk - 0.5 * v * v * tau
        m = math.log(s0) - 0.5 * v * v * t
        s2 = v * v * t
        if s2 <= 0.0:
            log_e = 2.0 * m - (m - c) ** 2 / b2
        else:
            P = 1.0 / s2 + 2.0 / b2
            L = m / s2 + 2.0 * c / b2 + 2.0
            log_e = 0.5 * math.log(1.0 / (s2 * P)) + L * L / (2.0 * P) - m * m / (2.0 * s2) - c * c / b2
        return math.exp(log_e) / (2.0 * math.pi * b2)

    def inner(u: float) -> float:
        # t = T - u^2 removes the 1/sqrt(T - t) singularity: dt = 2u du
        if u <= 0.0:
            return 0.0
        return expected_gs2_sq(T - u * u) * 2.0 * u

    integral, _ = integrate.quad(inner, 0.0, math.sqrt(T), limit=200)
    return T / (2.0 * n) * v**4 * integral


def derman_kamal_variance(spot: float, strike: float, maturity: float, vol: float, n_steps: int) -> float:
    r"""Derman-Kamal approximation :math:`\frac{\pi}{4}\,\mathrm{vega}^2\sigma^2 / n`.

    The at-the-money, small-:math:`\sigma^2 T` form of
    :func:`discrete_hedging_variance`: with :math:`S \approx K` the time integral is
    :math:`\int_0^T dt / \sqrt{T^2 - t^2} = \pi/2`, which gives
    :math:`K^2 \sigma^2 T / (8n) = \frac{\pi}{4}\mathrm{vega}^2\sigma^2/n` with
    :math:`\mathrm{vega} = K\sqrt{T/(2\pi)}`.

    Parameters
    ----------
    spot, strike, maturity, vol : float
    n_steps : int

    Returns
    -------
    float

    References
    ----------
    E. Derman and M. Kamal, "When you cannot hedge continuously: the corrections of
    Black-Scholes", Risk 12, 82-85, 1999.

    Examples
    --------
    >>> round(derman_kamal_variance(1.0, 1.0, 1.0, 0.2, 1) / (0.2**2 / 8), 2)  # vega ~ sqrt(T/2pi)
    0.99
    """
    n = check_positive_int(n_steps, "n_steps")
    T = _real(maturity, "maturity", positive=True)
    vega = float(bs_call_vega(spot, strike, T, vol))
    return math.pi / 4.0 * vega**2 * _real(vol, "vol", positive=True) ** 2 / n


# ----------------------------------------------------------------------------- simulator
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
        The scenario set; :meth:`reset` draws paths from it uniformly with replacement.
    payoff : array_like of shape (n_paths,)
    cost : float or array_like of shape (n_assets,), default 0
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
        self.prices = _prices(prices)
        self.payoff = _payoff(payoff, self.prices.shape[0])
        self.n_paths, n_dates, self.n_assets = self.prices.shape
        self.n_steps = n_dates - 1
        self.cost = _cost(cost, self.n_assets)
        self.liquidate = bool(liquidate)
        self.horizon = self.n_steps

    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """Draw ``n`` scenario paths; return states of shape (n, 2 + 2 * n_assets)."""
        n = check_positive_int(n, "n")
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
            raise ValueError(f"states: expected shape (n, {2 + 2 * d}), got {x.shape}")
        a = as_float_array(actions, "actions", ndim=(1, 2)).reshape(x.shape[0], -1)
        if a.shape[1] != d:
            raise ValueError(f"actions: expected shape ({x.shape[0]}, {d}), got {a.shape}")
        idx = x[:, 0].astype(np.int64)
        k = x[:, 1].astype(np.int64)
        if t is not None and np.any(k != t):
            raise ValueError(f"t: the states are at date {int(k[0])}, got t={t}")
        if np.any(k >= self.n_steps) or np.any(k < 0):
            raise ValueError("states: the episode has already terminated")
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
        Dates from ``times[0]`` to maturity ``times[-1]``.
    strike : float
    normalize : bool, default True

    Returns
    -------
    ndarray of shape (n_paths, n_steps, n_assets + 1)

    Examples
    --------
    >>> hedging_features(np.ones((1, 3, 1)), [0.0, 0.5, 1.0], 1.0).tolist()
    [[[0.0, 1.0], [0.0, 0.5]]]
    """
    S = _prices(prices)
    t = _times(times, S.shape[1])
    k = _real(strike, "strike", positive=True)
    n, m, _ = S.shape
    T = t[-1] - t[0]
    tau = t[-1] - t[:-1]
    logm = np.log(S[:, :-1] / k)
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
    X = as_float_array(features, "features", ndim=3)
    dtype = next(hedger.parameters()).dtype
    with torch.no_grad():
        out = hedger(torch.as_tensor(X, dtype=dtype))
    return np.asarray(out.detach().cpu().numpy(), dtype=np.float64)


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
    cost : float or array_like of shape (n_assets,), default 0
    liquidate : bool, default False
    optimizer : {"adam", "kfac"}, default "adam"
    n_iterations : int, default 200
    batch_size : int, default 1024
    lr : float, default 1e-3
        Learning rate of either optimiser.
    kfac_options : dict or None
        Extra keyword arguments of :class:`~finance_apps.kfac.KFAC` (``damping``,
        ``factor_decay``, ``inverse_update_freq``, ``momentum``, ``kl_clip``, ...).
    eval_every : int, default 10
        Evaluate the risk of the whole evaluation set every ``eval_every`` updates.
    eval_data : tuple (prices, payoff, features) or None
        Evaluation scenarios; default the training scenarios.
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
    S = _prices(prices)
    Z = _payoff(payoff, S.shape[0])
    X = as_float_array(features, "features", ndim=3)
    if X.shape[:2] != (S.shape[0], S.shape[1] - 1):
        raise ValueError(
            f"features: expected shape ({S.shape[0]}, {S.shape[1] - 1}, n_features), got {X.shape}"
        )
    c = _cost(cost, S.shape[2])
    if not callable(getattr(risk, "torch", None)) or not callable(risk):
        raise TypeError("risk: expected a risk measure with a torch(pnl) method, e.g. EntropicRisk(a)")
    if optimizer not in ("adam", "kfac"):
        raise ValueError(f"optimizer: expected 'adam' or 'kfac', got {optimizer!r}")
    n_iterations = check_positive_int(n_iterations, "n_iterations")
    batch_size = check_positive_int(batch_size, "batch_size")
    eval_every = check_positive_int(eval_every, "eval_every")
    lr = _real(lr, "lr", positive=True)
    gen = as_generator(rng)

    params = list(hedger.parameters())
    if not params:
        raise ValueError("hedger: the module has no parameters to train")
    dtype = params[0].dtype
    tS = torch.as_tensor(S, dtype=dtype)
    tZ = torch.as_tensor(Z, dtype=dtype)
    tX = torch.as_tensor(X, dtype=dtype)
    tc = torch.as_tensor(c, dtype=dtype)
    if eval_data is None:
        eS, eZ, eX, ec = tS, tZ, tX, tc
    else:
        S2 = _prices(eval_data[0])
        eS = torch.as_tensor(S2, dtype=dtype)
        eZ = torch.as_tensor(_payoff(eval_data[1], S2.shape[0]), dtype=dtype)
        eX = torch.as_tensor(as_float_array(eval_data[2], "eval_data[2]", ndim=3), dtype=dtype)
        ec = tc

    def evaluate() -> float:
        with torch.no_grad():
            pnl = hedging_pnl_torch(eS, hedger(eX), eZ, ec, liquidate=liquidate)
            return float(risk(pnl.double().cpu().numpy()))

    opt: Any
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr)
    else:
        from finance_apps.kfac import KFAC

        opt = KFAC(hedger, lr=lr, **(kfac_options or {}))

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
                raise FloatingPointError(f"training diverged at iteration {it} (risk {history[it]})")
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
