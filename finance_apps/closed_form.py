"""Closed-form option prices: Black-Scholes-Merton Europeans and the perpetual American put.

Under geometric Brownian motion with rate ``r``, dividend yield ``q`` and volatility
``sigma``:

* the European call and put (Black and Scholes 1973, Merton 1973),
  ``C = S e^{-qT} N(d1) - K e^{-rT} N(d2)``, ``P = K e^{-rT} N(-d2) - S e^{-qT} N(-d1)``;
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
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import expit, log_ndtr

from finance_apps._constraints import DIVIDEND, MATURITY, MAX_RATE, RATE, STRIKE, VOL
from rlcore.validation import Array, Options, Real, refuse_nonfinite, validate_params

__all__ = ["black_scholes", "perpetual_put_boundary", "perpetual_american_put"]

_SPOTS = Array(low=0.0, closed="neither")


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
    kind=Options("call", "put"), spot=_SPOTS, strike=STRIKE, maturity=MATURITY, rate=RATE, vol=VOL, dividend=DIVIDEND
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


@validate_params(spot=_SPOTS, strike=STRIKE, rate=_POS_RATE, vol=VOL, dividend=_NONNEG_DIV)
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
