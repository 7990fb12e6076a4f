"""Closed forms under Black-Scholes: European prices, the call's Greeks, the perpetual American put.

This module is the library's one implementation of the Black-Scholes formulas: the
pricers, the hedging baselines (:mod:`finance_apps.hedging_baselines`) and the tutorials
all call it. Under geometric Brownian motion with rate ``r``, dividend yield ``q`` and
volatility ``sigma``:

* the European call and put (Black and Scholes 1973, Merton 1973),
  ``C = S e^{-qT} N(d1) - K e^{-rT} N(d2)``, ``P = K e^{-rT} N(-d2) - S e^{-qT} N(-d1)``;
* the call's price and Greeks as functions of the time to maturity ``tau`` (an array,
  ``tau = 0`` allowed: the payoff), for hedging: :func:`bs_call_price`, the delta
  ``N(d1)`` (:func:`bs_call_delta`), the gamma ``phi(d1) / (S sigma sqrt(tau))``
  (:func:`bs_call_gamma`) and the vega ``S phi(d1) sqrt(tau)`` (:func:`bs_call_vega`);
* the perpetual American put (McKean 1965, Merton 1973): exercise at the first
  passage below ``S* = K beta / (beta - 1)`` where ``beta < 0`` solves
  ``sigma^2 beta (beta - 1) / 2 + (r - q) beta - r = 0``; the value is ``K - S`` for
  ``S <= S*`` and ``(K - S*) (S / S*)^beta`` above.

Numerics. Both are evaluated so that every valid input gives a finite answer, however
small the volatility or the maturity:

* Black-Scholes: ``d1 = x + sd/2``, ``d2 = x - sd/2`` with ``x = (log(S/K) + (r-q)T) / sd``
  and ``sd = sigma sqrt(T)``; when ``sd`` underflows to 0, ``x`` is its limit
  (``+-inf`` or 0), which gives the deterministic price ``(S e^{-qT} - K e^{-rT})^+``
  (call). Each term is ``S exp(-qT + log N(d1))`` (``scipy.special.log_ndtr``), taken
  entirely in logarithms where the exponential alone would overflow.
* Perpetual put: the root is carried as ``L = log(-1/beta)``, from cancellation-free
  forms of the quadratic's negative root (``-1/beta = sigma^2 / (sqrt(D) + b)`` when
  ``b = r - q - sigma^2/2 >= 0``, ``(sqrt(D) - b) / (2r)`` otherwise, ``D = b^2 + 2
  sigma^2 r``, all in logarithms). Then ``S* = K / (1 + e^L)``, ``K - S* = K / (1 +
  e^{-L})`` and ``(S/S*)^beta = exp(-e^{-L} log(S/S*))``: ``sigma = 1e-300`` gives the
  ``sigma -> 0`` limit (``S* = min(K, rK/q)``), ``rate -> 0`` the limit ``K``.
* Greeks: the gamma and the vega are computed in logarithms (``log phi(d1) - log S -
  log(sigma sqrt(tau))``), so a vanishing ``sigma sqrt(tau)`` gives the limits (delta a
  step, gamma 0 away from the money and ``+inf`` at it, vega ``S sqrt(tau / 2 pi)`` at
  the money) instead of NaN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import expit, log_ndtr, ndtr

from finance_apps._constraints import DIVIDEND, MATURITY, MAX_MATURITY, MAX_RATE, RATE, STRIKE, VOL
from rlcore.validation import Array, InvalidParameterError, Options, Real, refuse_nonfinite, validate_params

__all__ = [
    "black_scholes",
    "bs_call_delta",
    "bs_call_gamma",
    "bs_call_price",
    "bs_call_vega",
    "perpetual_american_put",
    "perpetual_put_boundary",
]

SPOTS = Array(low=0.0, closed="neither")
#: Times to maturity of the Greeks, in [0, 1000] years (0: at maturity).
TAUS = Array(low=0.0, high=MAX_MATURITY)
#: The strike of the call Greeks: > 0 (they take its logarithm).
_POSITIVE_STRIKE = Real(0.0, None, closed="neither")
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _out(x: np.ndarray) -> Any:
    return float(x) if x.ndim == 0 else x


def bs_d(num: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(d1, d2) = (num/sd + sd/2, num/sd - sd/2)`` with the ``sd -> 0`` limit where ``sd`` is 0.

    ``num = log(S/K) + (r - q) T`` and ``sd = sigma sqrt(T) >= 0``; where ``sd == 0``
    the ratio is ``+inf``, ``-inf`` or 0 with the sign of ``num``.
    """
    num, sd = np.broadcast_arrays(np.asarray(num, dtype=np.float64), np.asarray(sd, dtype=np.float64))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        x = num / sd
    limit = np.where(num > 0, np.inf, np.where(num < 0, -np.inf, 0.0))
    x = np.where(sd > 0, x, limit)
    return x + 0.5 * sd, x - 0.5 * sd


def _times_exp(scale: Any, log_factor: np.ndarray) -> np.ndarray:
    """``scale * exp(log_factor)`` for ``scale > 0``, in logarithms only where ``exp`` alone
    would overflow (so ordinary inputs keep full precision)."""
    scale = np.asarray(scale, dtype=np.float64)
    with np.errstate(over="ignore"):
        direct = scale * np.exp(np.minimum(log_factor, 700.0))
        in_logs = np.exp(np.log(scale) + log_factor)
    return np.asarray(np.where(log_factor < 700.0, direct, in_logs))


def bs_price(call: bool, S: np.ndarray, K: float, T: Any, r: float, sig: float, q: float = 0.0) -> np.ndarray:
    """Black-Scholes-Merton price (no validation: the public functions validate first).

    ``S`` and ``T`` broadcast; ``T >= 0`` (``T = 0`` gives the payoff). Raises
    :class:`InvalidParameterError` when a term of the price overflows float64.
    """
    S = np.asarray(S, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    if K == 0.0:
        out = _times_exp(S, -q * T) if call else np.zeros(np.broadcast(S, T).shape)
        refuse_nonfinite(out, "spot", "the forward price S e^{-qT} overflows float64; rescale the inputs")
        return np.asarray(out, dtype=np.float64)
    sd = sig * np.sqrt(T)
    d1, d2 = bs_d(np.log(S) - math.log(K) + (r - q) * T, sd)
    if call:
        plus, minus = _times_exp(S, -q * T + log_ndtr(d1)), _times_exp(K, -r * T + log_ndtr(d2))
        refuse_nonfinite(plus, "spot", "the price term S e^{-qT} N(d1) overflows float64; rescale the inputs")
        refuse_nonfinite(minus, "strike", "the price term K e^{-rT} N(d2) overflows float64; rescale the inputs")
    else:
        plus, minus = _times_exp(K, -r * T + log_ndtr(-d2)), _times_exp(S, -q * T + log_ndtr(-d1))
        refuse_nonfinite(plus, "strike", "the price term K e^{-rT} N(-d2) overflows float64; rescale the inputs")
        refuse_nonfinite(minus, "spot", "the price term S e^{-qT} N(-d1) overflows float64; rescale the inputs")
    return np.asarray(plus - minus, dtype=np.float64)


@validate_params(
    kind=Options("call", "put"), spot=SPOTS, strike=STRIKE, maturity=MATURITY, rate=RATE, vol=VOL, dividend=DIVIDEND
)
def black_scholes(
    kind: str, spot: Any, strike: float, maturity: float, rate: float, vol: float, dividend: float = 0.0
) -> Any:
    """Black-Scholes-Merton price of a European call or put.

    Parameters
    ----------
    kind : {"call", "put"}
    spot : float or array_like
        Today's price(s), > 0.
    strike : float >= 0
    maturity : float in (0, 1000]
        Years.
    rate, dividend : float in [-1, 1]
        Continuously compounded rate and dividend yield.
    vol : float in (0, 10]
        Any positive volatility, however small (``vol -> 0`` gives the discounted
        intrinsic value of the forward).

    Returns
    -------
    float or ndarray of the shape of ``spot``

    Raises
    ------
    InvalidParameterError
        If a term of the price exceeds the float64 range (``spot`` or ``strike`` near
        ``1e308`` with a negative rate or dividend): rescale the prices.

    References
    ----------
    .. [1] Black, F. and Scholes, M. (1973). The pricing of options and corporate
       liabilities. *Journal of Political Economy* 81(3), 637-654.
    .. [2] Merton, R. C. (1973). Theory of rational option pricing. *Bell Journal of
       Economics and Management Science* 4(1), 141-183.

    Examples
    --------
    >>> round(black_scholes("call", 100.0, 100.0, 1.0, 0.05, 0.2), 4)
    10.4506
    >>> black_scholes("put", 90.0, 100.0, 1.0, 0.0, 1e-300)  # vol -> 0: the intrinsic value
    10.0
    """
    return _out(bs_price(kind == "call", spot, strike, maturity, rate, vol, dividend))


# ----------------------------------------------------------------------------- the call's Greeks
def call_d1(s: Any, k: float, t: Any, v: float, r: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``(d1, sd)`` of a call with ``sd = v sqrt(t)``, with the ``sd -> 0`` limit (no validation).

    ``s`` and ``t`` broadcast; see :func:`bs_d` for the limit.
    """
    t = np.asarray(t, dtype=np.float64)
    sd = v * np.sqrt(t)
    d1, _ = bs_d(np.log(s) - math.log(k) + r * t, sd)
    return d1, sd


def call_delta(s: Any, k: float, t: Any, v: float, r: float = 0.0) -> np.ndarray:
    """Black-Scholes call delta ``N(d1)``, ``1{S > K}`` at ``t = 0`` (no validation)."""
    t = np.asarray(t, dtype=np.float64)
    d1, _ = call_d1(s, k, t, v, r)
    return np.asarray(np.where(t > 0, ndtr(d1), (np.asarray(s) > k).astype(float)))


def log_call_gamma(s: Any, k: float, t: Any, v: float, r: float = 0.0) -> np.ndarray:
    """``log Gamma`` of a call (no validation).

    ``-inf`` where the gamma is 0 (``t = 0``, or ``d1 = +-inf``), ``+inf`` at the money
    when ``v sqrt(t)`` underflows (the Dirac limit).
    """
    t = np.asarray(t, dtype=np.float64)
    d1, sd = call_d1(s, k, t, v, r)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lg = -0.5 * d1 * d1 - _LOG_SQRT_2PI - np.log(s) - np.log(sd)
    lg = np.where(np.isinf(d1), -np.inf, lg)
    return np.asarray(np.where(t > 0, lg, -np.inf))


def log_call_vega(s: Any, k: float, t: Any, v: float, r: float = 0.0) -> np.ndarray:
    """``log vega`` of a call, ``log S + log phi(d1) + log(t) / 2`` (``-inf`` where it is 0; no validation)."""
    t = np.asarray(t, dtype=np.float64)
    d1, _ = call_d1(s, k, t, v, r)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        lv = np.log(s) - 0.5 * d1 * d1 - _LOG_SQRT_2PI + 0.5 * np.log(t)
    return np.asarray(np.where(np.isinf(d1) | (t <= 0), -np.inf, lv))


def exp_or_inf(log_value: np.ndarray) -> np.ndarray:
    """``exp(log_value)``, ``+inf`` (without a warning) beyond the float64 range."""
    with np.errstate(over="ignore"):
        return np.asarray(np.exp(log_value))


def check_broadcast(spot: np.ndarray, tau: np.ndarray) -> None:
    """Refuse (naming ``tau``) times to maturity that do not broadcast against the spots."""
    try:
        np.broadcast_shapes(spot.shape, tau.shape)
    except ValueError:
        raise InvalidParameterError(
            "tau", f"shape {tau.shape} does not broadcast against spot of shape {spot.shape}"
        ) from None


_SPOT_TAU = dict(spot=SPOTS, strike=_POSITIVE_STRIKE, tau=TAUS, vol=VOL, rate=RATE)


@validate_params(**_SPOT_TAU)
def bs_call_price(spot: Any, strike: float, tau: Any, vol: float, rate: float = 0.0) -> np.ndarray:
    r"""Black-Scholes price of a European call, :math:`S N(d_1) - K e^{-r\tau} N(d_2)`.

    The same formula as :func:`black_scholes` (no dividend), written as a function of the
    time to maturity ``tau`` so that a whole grid of dates is one call, with the payoff
    at ``tau = 0``.

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
    check_broadcast(spot, tau)
    price = bs_price(True, spot, strike, tau, rate, vol)
    return np.asarray(np.where(tau > 0, price, np.maximum(spot - strike, 0.0)))


@validate_params(**_SPOT_TAU)
def bs_call_delta(spot: Any, strike: float, tau: Any, vol: float, rate: float = 0.0) -> np.ndarray:
    r"""Black-Scholes delta :math:`N(d_1)` of a call (at ``tau = 0``: :math:`1\{S > K\}`).

    Parameters as :func:`bs_call_price`.

    Examples
    --------
    >>> round(float(bs_call_delta(100.0, 100.0, 1.0, 0.2)), 4)
    0.5398
    """
    check_broadcast(spot, tau)
    return call_delta(spot, strike, tau, vol, rate)


@validate_params(**_SPOT_TAU)
def bs_call_gamma(spot: Any, strike: float, tau: Any, vol: float, rate: float = 0.0) -> np.ndarray:
    r"""Black-Scholes gamma :math:`\varphi(d_1) / (S \sigma \sqrt{\tau})` of a call (0 at ``tau = 0``).

    Parameters as :func:`bs_call_price`. Computed in logarithms. At the money, as
    :math:`\sigma\sqrt{\tau} \to 0` the gamma tends to infinity (the delta becomes a
    step): where it exceeds the float64 range (about ``1e308``) the result is ``+inf``.

    Examples
    --------
    >>> round(float(bs_call_gamma(100.0, 100.0, 1.0, 0.2)), 5)
    0.01985
    """
    check_broadcast(spot, tau)
    return exp_or_inf(log_call_gamma(spot, strike, tau, vol, rate))


@validate_params(**_SPOT_TAU)
def bs_call_vega(spot: Any, strike: float, tau: Any, vol: float, rate: float = 0.0) -> np.ndarray:
    r"""Black-Scholes vega :math:`S \varphi(d_1) \sqrt{\tau}` of a call (per unit of volatility).

    Parameters as :func:`bs_call_price`.

    Raises
    ------
    InvalidParameterError
        When the vega exceeds the float64 range (names ``spot``): rescale the prices.

    Examples
    --------
    >>> round(float(bs_call_vega(100.0, 100.0, 1.0, 0.2)), 4)
    39.6953
    """
    check_broadcast(spot, tau)
    out = exp_or_inf(log_call_vega(spot, strike, tau, vol, rate))
    refuse_nonfinite(out, "spot", "the vega overflows float64; rescale the inputs")
    return out


# ----------------------------------------------------------------------------- perpetual put
def _log_neg_inv_beta(r: float, sig: float, q: float) -> float:
    """``L = log(-1/beta)`` of the negative root ``beta`` (see the module docstring)."""
    b = r - q - 0.5 * sig * sig
    log_sig2 = 2.0 * math.log(sig)
    lb2 = 2.0 * math.log(abs(b)) if b != 0.0 else -math.inf
    lsqd = 0.5 * float(np.logaddexp(lb2, math.log(2.0) + log_sig2 + math.log(r)))  # log sqrt(D)
    if b >= 0.0:
        return log_sig2 - float(np.logaddexp(lsqd, math.log(b) if b > 0.0 else -math.inf))
    return float(np.logaddexp(lsqd, math.log(-b))) - math.log(2.0 * r)


_POS_RATE = Real(0.0, MAX_RATE, closed="right")
_NONNEG_DIV = Real(0.0, MAX_RATE)


@validate_params(strike=STRIKE, rate=_POS_RATE, vol=VOL, dividend=_NONNEG_DIV)
def perpetual_put_boundary(strike: float, rate: float, vol: float, dividend: float = 0.0) -> float:
    """Exercise boundary ``S* = K beta / (beta - 1)`` of the perpetual American put.

    Parameters
    ----------
    strike : float >= 0
    rate : float in (0, 1]
    vol : float in (0, 10]
        Any positive volatility: as ``vol -> 0`` the boundary tends to ``min(K, rK/q)``.
    dividend : float in [0, 1]

    Examples
    --------
    >>> round(perpetual_put_boundary(100.0, 0.05, 0.2), 4)   # beta = -2r/sigma^2 = -2.5
    71.4286
    """
    return float(strike * expit(-_log_neg_inv_beta(rate, vol, dividend)))


@validate_params(spot=SPOTS, strike=STRIKE, rate=_POS_RATE, vol=VOL, dividend=_NONNEG_DIV)
def perpetual_american_put(spot: Any, strike: float, rate: float, vol: float, dividend: float = 0.0) -> Any:
    """Value of the perpetual American put under GBM.

    Parameters
    ----------
    spot : float or array_like, > 0
    strike : float >= 0
    rate : float in (0, 1]
        (With ``rate <= 0`` waiting costs nothing and the problem degenerates; as
        ``rate -> 0`` the value tends to ``K``.)
    vol : float in (0, 10]
        Any positive volatility, however small (``1e-300`` gives the ``vol -> 0``
        limit, the deterministic exercise problem).
    dividend : float in [0, 1]

    Returns
    -------
    float or ndarray of the shape of ``spot``

    References
    ----------
    .. [1] McKean, H. P. (1965). Appendix: a free boundary problem for the heat
       equation arising from a problem in mathematical economics. *Industrial
       Management Review* 6(2), 32-39.
    .. [2] Merton, R. C. (1973), op. cit., section 8.

    Examples
    --------
    >>> round(perpetual_american_put(100.0, 100.0, 0.05, 0.2), 2)
    12.32
    >>> perpetual_american_put(90.0, 100.0, 0.05, 1e-300)  # vol -> 0: exercise now
    10.0
    """
    S = np.asarray(spot, dtype=np.float64)
    K = float(strike)
    if K == 0.0:
        return _out(np.zeros_like(S))
    L = _log_neg_inv_beta(rate, vol, dividend)
    b = K * float(expit(-L))
    ex = S <= b
    log_ratio = np.log(S) - math.log(K) + float(np.logaddexp(0.0, L))  # log(S / S*)
    with np.errstate(over="ignore", invalid="ignore"):
        expo = np.where(log_ratio > 0, -math.exp(-L) * log_ratio if L > -700 else -np.inf, 0.0)
    val = np.where(ex, K - S, K * float(expit(L)) * np.exp(expo))
    return _out(np.asarray(val, dtype=np.float64))
