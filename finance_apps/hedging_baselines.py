r"""Classical hedges of a call, and the theory of the error of discrete delta hedging.

Baselines
---------
Each takes price paths of shape ``(n_paths, n_steps + 1, n_assets)`` and returns
holdings of shape ``(n_paths, n_steps, n_assets)``, for :func:`finance_apps.hedging_pnl`:

* :func:`bs_delta_hedge`: Black-Scholes delta of a call
  (:func:`finance_apps.bs_call_delta`), rebalanced at every date;
* :func:`whalley_wilmott_hedge`: the asymptotically optimal no-trade band around the
  delta under small proportional costs and exponential utility (Whalley and Wilmott
  1997), half-width :math:`H = (\tfrac{3}{2} c S \Gamma^2 / a)^{1/3}`
  (:func:`whalley_wilmott_width`); trade to the nearest edge of the band when outside it;
* :func:`no_hedge`.

Discrete-hedging error
----------------------
Under Black-Scholes dynamics without costs, the P&L of a delta hedge rebalanced on
``n`` equal dates has variance
:math:`\frac{T}{2n}\sigma^4 \int_0^T E[\Gamma_t^2 S_t^4]\,dt + o(1/n)`
(:func:`discrete_hedging_variance`), which for an at-the-money option and small
:math:`\sigma^2 T` is the Derman-Kamal approximation
:math:`\frac{\pi}{4}\,\mathrm{vega}^2\sigma^2 / n` (:func:`derman_kamal_variance`).

The Black-Scholes formulas (delta, gamma, vega) are those of
:mod:`finance_apps.closed_form`, the library's one implementation.

References
----------
A. E. Whalley and P. Wilmott, "An asymptotic analysis of an optimal hedging model for
option pricing with transaction costs", Mathematical Finance 7(3), 307-324, 1997.

E. Derman and M. Kamal, "When you cannot hedge continuously: the corrections of
Black-Scholes", Risk 12, 82-85, 1999.

D. Bertsimas, L. Kogan and A. W. Lo, "When is time continuous?", Journal of Financial
Economics 55, 173-204, 2000.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import integrate

from finance_apps._constraints import MATURITY, MAX_DATES, VOL
from finance_apps._hedging_inputs import (
    ASSET,
    DATES,
    PRICES,
    STRIKE,
    check_asset,
    check_dates,
    check_paths,
)
from finance_apps.closed_form import (
    SPOTS,
    TAUS,
    call_delta,
    check_broadcast,
    exp_or_inf,
    log_call_gamma,
    log_call_vega,
)
from rlcore.validation import Integer, InvalidParameterError, Real, validate_params

__all__ = [
    "bs_delta_hedge",
    "derman_kamal_variance",
    "discrete_hedging_variance",
    "no_hedge",
    "whalley_wilmott_hedge",
    "whalley_wilmott_width",
]

RISK_AVERSION = Real(0.0, None, closed="neither")
COST_RATE = Real(0.0, 1.0)


@validate_params(prices=PRICES)
def no_hedge(prices: Any) -> np.ndarray:
    """Zero holdings, shape (n_paths, n_steps, n_assets).

    Examples
    --------
    >>> no_hedge(np.ones((2, 4, 1))).shape
    (2, 3, 1)
    """
    S = check_paths(prices)
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
    S = check_paths(prices)
    t = check_dates(times, S.shape[1])
    asset = check_asset(asset, S.shape[2])
    tau = t[-1] - t[:-1]
    D = np.zeros((S.shape[0], S.shape[1] - 1, S.shape[2]))
    D[:, :, asset] = call_delta(S[:, :-1, asset], strike, tau[None, :], vol)
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
        :func:`finance_apps.bs_call_gamma`): an infinitely wide band, never traded out of.

    References
    ----------
    A. E. Whalley and P. Wilmott, Mathematical Finance 7(3), 1997, eq. (4.3).

    Examples
    --------
    >>> float(whalley_wilmott_width(1.0, 1.0, 0.1, 0.2, 0.0, 1.0))
    0.0
    """
    check_broadcast(spot, tau)
    return _ww_width(spot, strike, tau, vol, cost, risk_aversion)


def _ww_width(s: np.ndarray, k: float, t: np.ndarray, v: float, c: float, a: float) -> np.ndarray:
    if c == 0.0:
        return np.zeros(np.broadcast(s, t).shape)
    lg = log_call_gamma(s, k, t, v)
    return exp_or_inf((math.log(1.5 * c) + np.log(s) + 2.0 * lg - math.log(a)) / 3.0)


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
    S = check_paths(prices)
    t = check_dates(times, S.shape[1])
    asset = check_asset(asset, S.shape[2])
    tau = t[-1] - t[:-1]
    delta = call_delta(S[:, :-1, asset], strike, tau[None, :], vol)
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
    (Bertsimas, Kogan and Lo 2000, Thm. 2; Toft 1996). Tested by
    ``tests/finance_apps/test_hedging_baselines.py::test_delta_hedging_error_variance_falls_like_one_over_n``
    (the Monte Carlo variance over 16 to 256 dates: slope -1 in ``n``, and the formula at
    the money) and
    ``tests/finance_apps/test_hedging_baselines.py::test_discrete_hedging_variance_away_from_the_money``.

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
    log_vega = float(log_call_vega(np.float64(spot), strike, maturity, vol, 0.0))
    if math.isinf(log_vega):  # d1 = +-inf: the vega is 0
        return 0.0
    log_var = math.log(math.pi / 4.0) + 2.0 * log_vega + 2.0 * math.log(vol) - math.log(n_steps)
    if log_var > 709.0:
        raise InvalidParameterError("spot", "the variance overflows float64; rescale the prices")
    return math.exp(log_var)
