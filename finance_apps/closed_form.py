"""Closed-form option prices: Black-Scholes-Merton Europeans and the perpetual American put.

Under geometric Brownian motion with rate ``r``, dividend yield ``q`` and volatility
``sigma``:

* the European call and put (Black and Scholes 1973, Merton 1973),
  ``C = S e^{-qT} N(d1) - K e^{-rT} N(d2)``, ``P = K e^{-rT} N(-d2) - S e^{-qT} N(-d1)``;
* the perpetual American put (McKean 1965, Merton 1973): exercise at the first
  passage below ``S* = K beta / (beta - 1)`` where ``beta < 0`` solves
  ``sigma^2 beta (beta - 1) / 2 + (r - q) beta - r = 0``; the value is ``K - S`` for
  ``S <= S*`` and ``(K - S*) (S / S*)^beta`` above.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtr

from finance_apps.payoffs import check_strike
from finance_apps.paths import _real
from rlcore.validation import as_float_array

__all__ = ["black_scholes", "perpetual_put_boundary", "perpetual_american_put"]


def _spot(spot: Any) -> np.ndarray:
    s = as_float_array(spot, "spot")
    if np.any(s <= 0):
        raise ValueError("spot: prices must be > 0")
    return s


def _out(x: np.ndarray) -> Any:
    return float(x) if x.ndim == 0 else x


def black_scholes(kind: str, spot: Any, strike: float, maturity: float, rate: float, vol: float,
                  dividend: float = 0.0) -> Any:
    """Black-Scholes-Merton price of a European call or put.

    Parameters
    ----------
    kind : {"call", "put"}
    spot : float or array_like
        Today's price(s), > 0.
    strike : float >= 0
    maturity : float > 0
    rate, dividend : float
        Continuously compounded rate and dividend yield.
    vol : float > 0

    Returns
    -------
    float or ndarray of the shape of ``spot``

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
    """
    if kind not in ("call", "put"):
        raise ValueError(f"kind: expected 'call' or 'put', got {kind!r}")
    S = _spot(spot)
    K = check_strike(strike)
    T = _real(maturity, "maturity", low=0.0, strict=True)
    r, q = _real(rate, "rate"), _real(dividend, "dividend")
    sig = _real(vol, "vol", low=0.0, strict=True)
    fwd_s, fwd_k = S * np.exp(-q * T), K * np.exp(-r * T)
    if K == 0.0:
        return _out(fwd_s if kind == "call" else np.zeros_like(S))
    sd = sig * np.sqrt(T)
    d1 = (np.log(S / K) + (r - q + 0.5 * sig**2) * T) / sd
    d2 = d1 - sd
    if kind == "call":
        return _out(fwd_s * ndtr(d1) - fwd_k * ndtr(d2))
    return _out(fwd_k * ndtr(-d2) - fwd_s * ndtr(-d1))


def _beta(rate: float, vol: float, dividend: float) -> float:
    r = _real(rate, "rate", low=0.0, strict=True)
    sig = _real(vol, "vol", low=0.0, strict=True)
    q = _real(dividend, "dividend", low=0.0)
    b = r - q - 0.5 * sig**2
    return float((-b - np.sqrt(b * b + 2.0 * sig**2 * r)) / sig**2)


def perpetual_put_boundary(strike: float, rate: float, vol: float, dividend: float = 0.0) -> float:
    """Exercise boundary ``S* = K beta / (beta - 1)`` of the perpetual American put.

    Examples
    --------
    >>> round(perpetual_put_boundary(100.0, 0.05, 0.2), 4)   # beta = -2r/sigma^2 = -2.5
    71.4286
    """
    K = check_strike(strike)
    beta = _beta(rate, vol, dividend)
    return K * beta / (beta - 1.0)


def perpetual_american_put(spot: Any, strike: float, rate: float, vol: float, dividend: float = 0.0) -> Any:
    """Value of the perpetual American put under GBM.

    Parameters
    ----------
    spot : float or array_like, > 0
    strike : float >= 0
    rate : float > 0
        (With ``rate <= 0`` waiting costs nothing and the problem degenerates.)
    vol : float > 0
    dividend : float >= 0

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
    """
    S = _spot(spot)
    K = check_strike(strike)
    beta = _beta(rate, vol, dividend)
    b = K * beta / (beta - 1.0)
    val = np.where(S <= b, K - S, (K - b) * (np.maximum(S, 1e-300) / b) ** beta)
    return _out(np.asarray(val, dtype=np.float64))
