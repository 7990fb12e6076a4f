"""Lattice (tree) pricers: the exact references for one and two assets.

* :func:`binomial_price`: the Cox-Ross-Rubinstein (1979) binomial tree,
  ``u = exp(sigma sqrt(dt)) = 1/d``, risk-neutral ``p = (e^{(r-q) dt} - d) / (u - d)``,
  with backward induction ``V_i = max(h, e^{-r dt} (p V_{i+1}^u + (1-p) V_{i+1}^d))``
  on exercise steps. It also returns the exercise boundary (lowest and highest node
  price where exercise is optimal, at each step).
* :func:`product_lattice_price`: the two-asset lattice of Boyle, Evnine and Gibbs
  (1989), four branches per step with probabilities matching the means, variances and
  correlation of the log-prices to first order in ``dt``.

Both converge to the continuous-time value as ``n_steps`` grows (first order in
``1/n``, with the CRR's familiar odd-even oscillation); both accept any payoff callable
(the payoff is evaluated once on the ``2n + 1`` (or ``(2n+1)^2``) distinct node prices
and the backward induction runs in a compiled kernel). Exercise is allowed at every
step (``exercise="american"``), only at maturity (``"european"``), or on given
Bermudan dates, each of which must fall on a step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from finance_apps._lattice_kernels import binomial_backward, product_backward
from finance_apps.paths import _correlation, _real, _vector
from rlcore.validation import as_float_array, check_positive_int

__all__ = ["LatticeResult", "binomial_price", "product_lattice_price"]


@dataclass(frozen=True)
class LatticeResult:
    """Price and exercise region of a binomial tree.

    Attributes
    ----------
    price : float
        Value at time 0.
    times : ndarray of shape (n_steps + 1,)
        Step dates.
    boundary_low, boundary_high : ndarray of shape (n_steps + 1,)
        Lowest and highest node price at which exercise is optimal at each step (NaN
        where exercise is nowhere optimal or not allowed). For a put the exercise region
        is ``S <= boundary_high`` (the critical price); for a call ``S >= boundary_low``.
    n_steps : int
    """

    price: float
    times: np.ndarray
    boundary_low: np.ndarray
    boundary_high: np.ndarray
    n_steps: int


def _exercise_flags(exercise: Any, maturity: float, n: int) -> np.ndarray:
    flags = np.zeros(n + 1, dtype=np.bool_)
    if isinstance(exercise, str):
        if exercise == "american":
            flags[:] = True
        elif exercise == "european":
            flags[n] = True
        else:
            raise ValueError(f"exercise: expected 'american', 'european' or an array of dates, got {exercise!r}")
        return flags
    dates = as_float_array(exercise, "exercise", ndim=1)
    if dates.size == 0 or np.any(np.diff(dates) <= 0):
        raise ValueError("exercise: expected a non-empty strictly increasing array of dates")
    if dates[0] < 0 or abs(dates[-1] - maturity) > 1e-9 * max(1.0, maturity):
        raise ValueError(f"exercise: dates must lie in [0, maturity] and end at the maturity {maturity!r}")
    steps = dates / maturity * n
    on = np.abs(steps - np.round(steps)) <= 1e-6
    if not np.all(on):
        bad = float(dates[int(np.flatnonzero(~on)[0])])
        raise ValueError(
            f"exercise: date {bad!r} is not a step of the {n}-step lattice; choose n_steps so that "
            "every exercise date is a multiple of maturity / n_steps"
        )
    flags[np.round(steps).astype(np.int64)] = True
    return flags


def binomial_price(payoff: Any, spot: float, vol: float, rate: float, maturity: float, n_steps: int = 1000,
                   *, dividend: float = 0.0, exercise: Any = "american") -> LatticeResult:
    """Price an option on one asset on the Cox-Ross-Rubinstein tree.

    Parameters
    ----------
    payoff : callable
        ``payoff(prices (..., 1)) -> (...)``, e.g. :class:`~finance_apps.Put`.
    spot : float > 0
    vol : float > 0
    rate : float
    maturity : float > 0
    n_steps : int >= 1, default 1000
    dividend : float, default 0
        Continuous dividend yield.
    exercise : {"american", "european"} or array_like of dates
        Exercise at every step, at maturity only, or on Bermudan dates (each a step of
        the tree, the last equal to ``maturity``), e.g. ``problem.exercise_dates``.

    Returns
    -------
    LatticeResult

    Raises
    ------
    ValueError
        On invalid inputs, or when ``n_steps`` is too small for ``p`` to be a
        probability (``sigma sqrt(dt) <= |r - q| dt``).

    Guarantee
    ---------
    For each fixed ``n`` the tree value is the exact value of the discrete-time
    (binomial) problem; as ``n -> inf`` it converges to the Black-Scholes-Merton
    American (resp. European, Bermudan) value (Amin and Khanna 1994; Lamberton 1998:
    error ``O(1/n)`` for the European, at most ``O(n^{-1/2})`` proven for the American
    put, ``O(1/n)`` observed).

    References
    ----------
    .. [1] Cox, J. C., Ross, S. A. and Rubinstein, M. (1979). Option pricing: a
       simplified approach. *Journal of Financial Economics* 7(3), 229-263.
    .. [2] Lamberton, D. (1998). Error estimates for the binomial approximation of
       American put options. *Annals of Applied Probability* 8(1), 206-233.

    Examples
    --------
    >>> from finance_apps import Put
    >>> res = binomial_price(Put(100.0), 100.0, 0.2, 0.05, 1.0, n_steps=500)
    >>> round(res.price, 2)
    6.09
    """
    if not callable(payoff):
        raise TypeError(f"payoff: expected a callable, got {payoff!r}")
    S0 = _real(spot, "spot", low=0.0, strict=True)
    sig = _real(vol, "vol", low=0.0, strict=True)
    r = _real(rate, "rate")
    q = _real(dividend, "dividend")
    T = _real(maturity, "maturity", low=0.0, strict=True)
    n = check_positive_int(n_steps, "n_steps")
    flags = _exercise_flags(exercise, T, n)
    dt = T / n
    u = np.exp(sig * np.sqrt(dt))
    p = (np.exp((r - q) * dt) - 1.0 / u) / (u - 1.0 / u)
    if not 0.0 < p < 1.0:
        raise ValueError(f"n_steps: {n} steps are too few, the up-probability is {p!r}; use more steps")
    m = np.arange(-n, n + 1)
    nodes = S0 * np.exp(m * sig * np.sqrt(dt))
    pay = np.ascontiguousarray(np.asarray(payoff(nodes[:, None]), dtype=np.float64).reshape(-1))
    if pay.shape != (2 * n + 1,):
        raise ValueError(f"payoff: expected one value per price, got shape {pay.shape}")
    lo = np.empty(n + 1, dtype=np.int64)
    hi = np.empty(n + 1, dtype=np.int64)
    price = binomial_backward(pay, n, float(p), float(np.exp(-r * dt)), flags, lo, hi)
    none = lo == n + 1
    b_lo = np.where(none, np.nan, S0 * np.exp(np.where(none, 0, lo) * sig * np.sqrt(dt)))
    b_hi = np.where(none, np.nan, S0 * np.exp(np.where(none, 0, hi) * sig * np.sqrt(dt)))
    return LatticeResult(float(price), np.linspace(0.0, T, n + 1), b_lo, b_hi, n)


def product_lattice_price(payoff: Any, spot: Any, vol: Any, rate: float, maturity: float, n_steps: int = 200,
                          *, corr: float = 0.0, dividend: Any = 0.0, exercise: Any = "american") -> float:
    """Price an option on two assets on the Boyle-Evnine-Gibbs product lattice.

    Parameters
    ----------
    payoff : callable
        ``payoff(prices (..., 2)) -> (...)``, e.g. :class:`~finance_apps.MaxCall`,
        :class:`~finance_apps.BasketPut`.
    spot, vol : array_like of shape (2,)
        Prices (> 0) and volatilities (> 0).
    rate : float
    maturity : float > 0
    n_steps : int >= 1, default 200
        Cost ``O(n^3)`` time and ``O(n^2)`` memory.
    corr : float in [-1, 1], default 0
    dividend : float or array_like of shape (2,), default 0
    exercise : {"american", "european"} or array_like of dates
        As in :func:`binomial_price`.

    Returns
    -------
    float

    Guarantee
    ---------
    The four-branch probabilities match the first two moments of the log-price
    increments to ``O(dt)``; the lattice value converges to the continuous-time value as
    ``n -> inf`` (Boyle, Evnine and Gibbs 1989, section II; weak convergence of the
    Markov chain to the diffusion).

    References
    ----------
    .. [1] Boyle, P. P., Evnine, J. and Gibbs, S. (1989). Numerical evaluation of
       multivariate contingent claims. *Review of Financial Studies* 2(2), 241-250.

    Examples
    --------
    >>> from finance_apps import MaxCall
    >>> p = product_lattice_price(MaxCall(100.0), [100.0, 100.0], [0.2, 0.2], 0.05, 3.0,
    ...                           n_steps=90, dividend=0.1, exercise=[i / 3 for i in range(1, 10)])
    >>> round(p, 1)
    13.9
    """
    if not callable(payoff):
        raise TypeError(f"payoff: expected a callable, got {payoff!r}")
    S0 = _vector(spot, "spot", 2, positive=True)
    sig = _vector(vol, "vol", 2, positive=True)
    q = _vector(dividend, "dividend", 2)
    r = _real(rate, "rate")
    T = _real(maturity, "maturity", low=0.0, strict=True)
    rho = _real(corr, "corr")
    if not -1.0 <= rho <= 1.0:
        raise ValueError(f"corr: expected a correlation in [-1, 1], got {corr!r}")
    _correlation(rho, 2)
    n = check_positive_int(n_steps, "n_steps")
    flags = _exercise_flags(exercise, T, n)
    dt = T / n
    nu = (r - q - 0.5 * sig**2) / sig * np.sqrt(dt)
    puu = 0.25 * (1 + rho + nu[0] + nu[1])
    pud = 0.25 * (1 - rho + nu[0] - nu[1])
    pdu = 0.25 * (1 - rho - nu[0] + nu[1])
    pdd = 0.25 * (1 + rho - nu[0] - nu[1])
    if min(puu, pud, pdu, pdd) < 0:
        raise ValueError(
            f"n_steps: with {n} steps (and corr={rho}) a branch probability is negative; use more steps"
        )
    m = np.arange(-n, n + 1)
    x1 = S0[0] * np.exp(m * sig[0] * np.sqrt(dt))
    x2 = S0[1] * np.exp(m * sig[1] * np.sqrt(dt))
    grid = np.stack(np.meshgrid(x1, x2, indexing="ij"), axis=-1)
    pay = np.ascontiguousarray(np.asarray(payoff(grid), dtype=np.float64))
    if pay.shape != (2 * n + 1, 2 * n + 1):
        raise ValueError(f"payoff: expected one value per price pair, got shape {pay.shape}")
    return float(product_backward(pay, n, puu, pud, pdu, pdd, float(np.exp(-r * dt)), flags))
