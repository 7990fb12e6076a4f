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

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from finance_apps._constraints import (
    DIVIDEND,
    MATURITY,
    MAX_PRODUCT_STEPS,
    MAX_RATE,
    MAX_TREE_STEPS,
    MAX_VOL,
    RATE,
    SPOT,
    VOL,
    Dates,
)
from finance_apps._lattice_kernels import binomial_backward, product_backward
from finance_apps.closed_form import _times_exp
from finance_apps.paths import per_asset
from rlcore.progress import PROGRESS, compile_notice, progress_bar, resolve_progress
from rlcore.results import Result
from rlcore.validation import (
    Array,
    Integer,
    InvalidParameterError,
    IsCallable,
    Options,
    Real,
    validate_params,
)

_PAYOFF = IsCallable("a callable payoff(prices) -> values")
#: "american", "european", or Bermudan dates in [0, maturity], increasing, ending at the maturity.
_EXERCISE = Options("american", "european") | Dates(start_at_zero=False, min_len=1, high="maturity")
#: Lattice nodes ``S0 exp(+-n sigma sqrt(dt))`` must stay within float64 (``exp(709)``).
_LOG_RANGE = 700.0

__all__ = ["LatticeResult", "binomial_price", "product_lattice_price"]


@dataclass(frozen=True, repr=False)
class LatticeResult(Result):
    """Price and exercise region of a binomial tree.

    Attributes
    ----------
    price : float
        Value at time 0.
    times : ndarray of shape (n_steps + 1,)
        Step dates.
    boundary_low, boundary_high : ndarray of shape (n_steps + 1,)
        Lowest and highest node price at which exercise is optimal at each step. Where
        exercise is nowhere optimal or not allowed they are the bounds of the empty set,
        ``boundary_low = +inf`` and ``boundary_high = -inf``, so that the exercise region
        of a put, ``S <= boundary_high``, and of a call, ``S >= boundary_low``, is empty
        there (and :class:`~finance_apps.BoundaryPolicy` never stops).
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
        else:
            flags[n] = True
        return flags
    dates = np.asarray(exercise, dtype=np.float64)  # validated: increasing, in [0, maturity]
    if abs(dates[-1] - maturity) > 1e-9 * max(1.0, maturity):
        raise InvalidParameterError("exercise", f"the last date must be the maturity {maturity!r}, got {dates[-1]!r}")
    steps = dates / maturity * n
    on = np.abs(steps - np.round(steps)) <= 1e-6
    if not np.all(on):
        bad = float(dates[int(np.flatnonzero(~on)[0])])
        raise InvalidParameterError(
            "exercise",
            f"date {bad!r} is not a step of the {n}-step lattice; choose n_steps so that "
            "every exercise date is a multiple of maturity / n_steps",
        )
    flags[np.round(steps).astype(np.int64)] = True
    return flags


def _check_nodes(log_spot: float, spread: float, name: str) -> None:
    """Refuse a lattice whose highest node ``S0 exp(spread)`` overflows float64 (low nodes
    that underflow to 0 are harmless prices)."""
    if log_spot + spread > _LOG_RANGE:
        raise InvalidParameterError(
            name,
            f"the lattice's highest node S0 exp(n vol sqrt(dt)) = exp({log_spot:.3g} + {spread:.3g}) "
            f"overflows float64; use fewer steps (or a smaller vol / maturity)",
        )


def _run_backward(
    kernel: Any, args: tuple[Any, ...], V: np.ndarray, top: int, what: str, progress: bool | None
) -> float:
    """``kernel(*args, V, top, bottom)`` over the steps ``top..0``.

    In one call; or, with progress on, in about 50 consecutive ranges of steps counted by
    a bar (the kernels perform the same operations either way, so the value is the same
    bit for bit). The first call runs under the compile notice.
    """
    n_steps = top + 1
    size = max(1, -(-n_steps // 50)) if resolve_progress(progress) else n_steps
    with compile_notice([kernel], what, progress=progress):
        value = kernel(*args, V, top, max(top - size + 1, 0))
    hi = top - size
    with progress_bar(n_steps, desc=what, progress=progress, unit="step", initial=min(size, n_steps)) as bar:
        while hi >= 0:
            lo = max(hi - size + 1, 0)
            value = kernel(*args, V, hi, lo)
            bar.update(hi - lo + 1)
            hi = lo - 1
    return float(value)


def _node_payoffs(payoff: Any, nodes: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    pay = np.ascontiguousarray(np.asarray(payoff(nodes), dtype=np.float64))
    if pay.shape != shape:
        pay = pay.reshape(-1) if pay.size == int(np.prod(shape)) and len(shape) == 1 else pay
    if pay.shape != shape:
        raise InvalidParameterError("payoff", f"expected one value per node, shape {shape}, got shape {pay.shape}")
    if not np.all(np.isfinite(pay)):
        raise InvalidParameterError("payoff", "returned a non-finite value at a node of the lattice")
    return pay


@validate_params(
    payoff=_PAYOFF,
    spot=SPOT,
    vol=VOL,
    rate=RATE,
    maturity=MATURITY,
    n_steps=Integer(1, MAX_TREE_STEPS),
    dividend=DIVIDEND,
    exercise=_EXERCISE,
    progress=PROGRESS,
)
def binomial_price(
    payoff: Any,
    spot: float,
    vol: float,
    rate: float,
    maturity: float,
    n_steps: int = 1000,
    *,
    dividend: float = 0.0,
    exercise: Any = "american",
    progress: bool | None = None,
) -> LatticeResult:
    """Price an option on one asset on the Cox-Ross-Rubinstein tree.

    Parameters
    ----------
    payoff : callable
        ``payoff(prices (..., 1)) -> (...)``, e.g. :class:`~finance_apps.Put`.
    spot : float > 0
    vol : float in (0, 10]
    rate : float in [-1, 1]
    maturity : float in (0, 1000]
    n_steps : int in [1, 10**5], default 1000
        ``O(n^2)`` time (about 10 s at the limit), ``O(n)`` memory.
    dividend : float in [-1, 1], default 0
        Continuous dividend yield.
    exercise : {"american", "european"} or array_like of dates
        Exercise at every step, at maturity only, or on Bermudan dates (each a step of
        the tree, the last equal to ``maturity``), e.g. ``problem.exercise_dates``.
    progress : bool or None, default None
        Show a progress bar over the lattice steps on standard error (see
        :mod:`rlcore.progress`), and say so before the first call compiles the lattice
        kernel; None follows :func:`rlcore.set_progress` (off by default). The value
        does not depend on it.

    Returns
    -------
    LatticeResult

    Raises
    ------
    InvalidParameterError
        On invalid inputs; when ``n_steps`` is too small for ``p`` to be a probability
        (``sigma sqrt(dt) <= |r - q| dt``: the drift outruns the tree's step, which
        needs ``n_steps > T ((r - q) / sigma)^2``; a tiny ``vol`` therefore works when
        ``rate == dividend``); when the highest node ``S0 exp(sigma sqrt(n T))``
        overflows float64; or when the price overflows float64.

    Guarantee
    ---------
    For each fixed ``n`` the tree value is the exact value of the discrete-time
    (binomial) problem; as ``n -> inf`` it converges to the Black-Scholes-Merton
    American (resp. European, Bermudan) value (Amin and Khanna 1994; Lamberton 1998:
    error ``O(1/n)`` for the European, at most ``O(n^{-1/2})`` proven for the American
    put, ``O(1/n)`` observed). Tested by
    ``tests/finance_apps/test_lattice.py::test_tree_is_the_exact_binomial_value_and_converges_to_black_scholes``
    (brute force over all paths of a 10-step tree, and the European's ``O(1/n)`` error
    against Black-Scholes), ``tests/finance_apps/test_lattice.py::test_crr_converges_to_quantlib``
    and ``tests/finance_apps/test_lattice.py::test_american_crr_matches_quantlib_fd`` (the
    American against QuantLib's finite differences).

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
    S0, sig, r, q, T, n = spot, vol, rate, dividend, maturity, n_steps
    flags = _exercise_flags(exercise, T, n)
    dt = T / n
    x = sig * math.sqrt(dt)  # log step of the tree
    drift = (r - q) * dt
    if x == 0.0 and drift == 0.0:  # dt underflows to 0: every node is S0, p -> 1/2
        p = 0.5
    elif not x > abs(drift):
        ratio = abs(r - q) / sig  # may be inf: a float product overflows to inf, a power would raise
        need = T * ratio * ratio
        raise InvalidParameterError(
            "n_steps" if need < MAX_TREE_STEPS else "vol",
            f"with {n} steps the CRR up-probability is not in (0, 1): vol sqrt(dt) = {x:.3g} <= |rate - dividend| dt "
            f"= {abs(drift):.3g}; it needs n_steps > T ((rate - dividend) / vol)^2 = {need:.3g}",
        )
    else:
        # p = (e^{(r-q)dt} - d) / (u - d), d = 1/u, without cancellation for tiny steps
        p = (math.expm1(drift) - math.expm1(-x)) / (math.expm1(x) - math.expm1(-x))
    _check_nodes(math.log(S0), n * x, "n_steps")
    if -r * dt > _LOG_RANGE:
        raise InvalidParameterError(
            "n_steps",
            f"the one-step growth factor exp(-rate dt) = exp({-r * dt:.3g}) overflows float64; use more steps",
        )
    m = np.arange(-n, n + 1)
    nodes = _times_exp(S0, m * x)
    pay = _node_payoffs(payoff, nodes[:, None], (2 * n + 1,))
    lo = np.empty(n + 1, dtype=np.int64)
    hi = np.empty(n + 1, dtype=np.int64)
    V = pay[::2].copy() if flags[n] else np.zeros(n + 1)
    args = (pay, n, float(p), math.exp(-r * dt), flags, lo, hi)
    price = _run_backward(binomial_backward, args, V, n, "finance_apps.binomial_price", progress)
    if not math.isfinite(price):
        raise InvalidParameterError(
            "payoff",
            "the lattice value overflows float64 (a negative rate grows it by up to exp(-rate T)); "
            "rescale the payoff or shorten the maturity",
        )
    none = lo == n + 1
    b_lo = np.where(none, np.inf, _times_exp(S0, np.where(none, 0, lo) * x))
    b_hi = np.where(none, -np.inf, _times_exp(S0, np.where(none, 0, hi) * x))
    return LatticeResult(
        price=price, times=np.linspace(0.0, T, n + 1), boundary_low=b_lo, boundary_high=b_hi, n_steps=n
    )


@validate_params(
    payoff=_PAYOFF,
    spot=Array(ndim=1, shape=(2,), low=0.0, closed="neither"),
    vol=Array(ndim=1, shape=(2,), low=0.0, high=MAX_VOL, closed="right"),
    rate=RATE,
    maturity=MATURITY,
    n_steps=Integer(1, MAX_PRODUCT_STEPS),
    corr=Real(-1.0, 1.0),
    dividend=Array(ndim=(0, 1), low=-MAX_RATE, high=MAX_RATE),
    exercise=_EXERCISE,
    progress=PROGRESS,
)
def product_lattice_price(
    payoff: Any,
    spot: Any,
    vol: Any,
    rate: float,
    maturity: float,
    n_steps: int = 200,
    *,
    corr: float = 0.0,
    dividend: Any = 0.0,
    exercise: Any = "american",
    progress: bool | None = None,
) -> float:
    """Price an option on two assets on the Boyle-Evnine-Gibbs product lattice.

    Parameters
    ----------
    payoff : callable
        ``payoff(prices (..., 2)) -> (...)``, e.g. :class:`~finance_apps.MaxCall`,
        :class:`~finance_apps.BasketPut`.
    spot, vol : array_like of shape (2,)
        Prices (> 0) and volatilities (in (0, 10]).
    rate : float in [-1, 1]
    maturity : float in (0, 1000]
    n_steps : int in [1, 2000], default 200
        Cost ``O(n^3)`` time (about 10 s at the limit) and ``O(n^2)`` memory.
    corr : float in [-1, 1], default 0
    dividend : float or array_like of shape (2,), entries in [-1, 1], default 0
    exercise : {"american", "european"} or array_like of dates
        As in :func:`binomial_price`.
    progress : bool or None, default None
        Show a progress bar over the lattice steps on standard error (see
        :mod:`rlcore.progress`), and say so before the first call compiles the lattice
        kernel; None follows :func:`rlcore.set_progress` (off by default). The value
        does not depend on it.

    Raises
    ------
    InvalidParameterError
        On invalid inputs; when a branch probability is negative (too few steps for
        the drift ``(r - q - sigma^2/2)`` against the step ``sigma sqrt(dt)``, or
        ``|corr|`` too close to 1 for it); when the highest nodes overflow float64;
        or when the price overflows float64.

    Returns
    -------
    float

    Guarantee
    ---------
    The four-branch probabilities match the first two moments of the log-price
    increments to ``O(dt)``; the lattice value converges to the continuous-time value as
    ``n -> inf`` (Boyle, Evnine and Gibbs 1989, section II; weak convergence of the
    Markov chain to the diffusion). Tested by
    ``tests/finance_apps/test_lattice.py::test_product_lattice_matches_the_log_price_moments``
    (the moments, through European payoffs),
    ``tests/finance_apps/test_lattice.py::test_product_lattice_bermudan_max_call_published_values``
    and ``tests/finance_apps/test_lattice.py::test_product_lattice_european_max_call_matches_quantlib_stulz``.

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
    S0, sig, r, T, rho, n = spot, vol, rate, maturity, corr, n_steps
    q = per_asset(dividend, "dividend", 2)
    flags = _exercise_flags(exercise, T, n)
    dt = T / n
    x = sig * math.sqrt(dt)
    # nu_i = a_i sqrt(dt) with a_i = (r - q_i - sigma_i^2/2) / sigma_i (a product: dt = 0 gives 0)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
        a = np.where((r - q - 0.5 * sig**2) == 0.0, 0.0, (r - q - 0.5 * sig**2) / sig)
        nu = np.where(a == 0.0, 0.0, a * math.sqrt(dt))
    if not np.all(np.isfinite(nu)):
        raise InvalidParameterError(
            "vol",
            f"vol = {sig.min():.3g} is too small against the drift r - q - vol^2/2: the branch "
            "probabilities are not in [0, 1] for any feasible number of steps",
        )
    puu = 0.25 * (1 + rho + nu[0] + nu[1])
    pud = 0.25 * (1 - rho + nu[0] - nu[1])
    pdu = 0.25 * (1 - rho - nu[0] + nu[1])
    pdd = 0.25 * (1 + rho - nu[0] - nu[1])
    probs = np.array([puu, pud, pdu, pdd])
    if not np.all(probs >= 0):
        # nonnegative iff |nu0 + nu1| <= 1 + rho and |nu0 - nu1| <= 1 - rho, nu ~ sqrt(T / n)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            ratios = [
                float(np.divide(abs(a[0] + a[1]), 1.0 + rho)) if a[0] + a[1] else 0.0,
                float(np.divide(abs(a[0] - a[1]), 1.0 - rho)) if a[0] - a[1] else 0.0,
            ]
            need = T * max(v * v for v in ratios)  # products: inf, never an OverflowError
        if need < MAX_PRODUCT_STEPS:
            raise InvalidParameterError(
                "n_steps",
                f"with {n} steps (and corr={rho}) a branch probability is negative; it needs "
                f"n_steps >= {math.ceil(need)}",
            )
        total = abs(float(a[0])) + abs(float(a[1]))
        if T * total * total >= MAX_PRODUCT_STEPS:  # even uncorrelated assets would need too many steps
            raise InvalidParameterError(
                "vol",
                f"vol = {sig.tolist()} is too small against the drifts r - q - vol^2/2: a branch "
                f"probability is negative unless n_steps >= {T * total * total:.3g} (at most {MAX_PRODUCT_STEPS})",
            )
        raise InvalidParameterError(
            "corr",
            f"corr={rho} is too close to +-1 for the drifts (r - q - vol^2/2) / vol = {a.tolist()}: a "
            f"branch probability is negative unless n_steps >= {need:.3g} (at most {MAX_PRODUCT_STEPS})",
        )
    for i in range(2):
        _check_nodes(math.log(S0[i]), n * float(x[i]), "n_steps")
    if -r * dt > _LOG_RANGE:
        raise InvalidParameterError(
            "n_steps",
            f"the one-step growth factor exp(-rate dt) = exp({-r * dt:.3g}) overflows float64; use more steps",
        )
    m = np.arange(-n, n + 1)
    x1 = _times_exp(S0[0], m * x[0])
    x2 = _times_exp(S0[1], m * x[1])
    grid = np.stack(np.meshgrid(x1, x2, indexing="ij"), axis=-1)
    pay = _node_payoffs(payoff, grid, (2 * n + 1, 2 * n + 1))
    V = pay[::2, ::2].copy() if flags[n] else np.zeros((n + 1, n + 1))
    args = (pay, n, float(puu), float(pud), float(pdu), float(pdd), math.exp(-r * dt), flags)
    price = _run_backward(product_backward, args, V, n - 1, "finance_apps.product_lattice_price", progress)
    if not math.isfinite(price):
        raise InvalidParameterError(
            "payoff",
            "the lattice value overflows float64 (a negative rate grows it by up to exp(-rate T)); "
            "rescale the payoff or shorten the maturity",
        )
    return price
