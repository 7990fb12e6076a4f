"""Regression features of price histories for exercise policies.

A feature map is a callable ``features(history, k, times) -> X`` where ``history`` has
shape ``(n, k + 1, d)`` (the prices of ``n`` paths on the grid dates ``times[0..k]``:
the present and the past, never the future) and ``X`` has shape ``(n, p)``. Prices are
scaled by today's price ``history[:, 0]`` so that the features are of order one.

* :class:`PolynomialBasis`: functions of today's prices only (the Markov state of a
  GBM), Laguerre polynomials as in Longstaff and Schwartz (2001) or monomials, with
  optional cross terms and the payoff; no constant column (the regressor fits the
  intercept).
* :class:`HistoryFeatures`: the state augmentation of Felizardo et al.: the last
  ``window`` scaled prices and the time to maturity, optionally expanded into
  monomials; the input of a neural (or any) regressor shared across dates.

**Lookback.** A feature map may declare an integer attribute ``lookback = L >= 1``:
it then reads only the first date ``history[:, 0]`` (the scale) and the last ``L``
dates ``history[:, -L:]``, indexing from the end. Callers (the least-squares Monte
Carlo backward pass, :func:`~finance_apps.evaluate_exercise_policy`) may then hand it
a *shortened* history of shape ``(n, L + 1, d)``, the date 0 followed by the dates
``k - L + 1 .. k``, instead of copying all ``k + 1`` dates of every path at every
exercise date (work ``n * dates**2`` over a backward pass). Markov features (functions of today's state) have
``lookback = 1``; a map without the attribute receives the whole history.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, ClassVar
from collections.abc import Callable

import numpy as np

from rlcore.validation import Bool, Integer, InvalidParameterError, IsCallable, Options, check_int, validate_params

__all__ = ["FeatureMap", "HistoryFeatures", "PolynomialBasis"]

#: ``features(history (n, k+1, d), k, times) -> (n, p)``.
FeatureMap = Callable[[np.ndarray, int, np.ndarray], np.ndarray]

#: Largest polynomial degree of a basis.
MAX_DEGREE = 10
#: Largest number of columns a feature map may produce (the regressions solve dense
#: least-squares problems with this many unknowns).
MAX_FEATURES = 10**4


def _lookback_of(obj: Any) -> int | None:
    """The ``lookback`` an object declares (an int ``>= 1``), else None (the whole history).

    Examples
    --------
    >>> _lookback_of(PolynomialBasis()), _lookback_of(HistoryFeatures(window=4)), _lookback_of(len)
    (1, 4, None)
    """
    L = getattr(obj, "lookback", None)
    if isinstance(L, (bool, np.bool_)) or not isinstance(L, (int, np.integer)) or L < 1:
        return None
    return int(L)


def _history_columns(k: int, lookback: int | None) -> np.ndarray | None:
    """Date indices of the shortened history at date index ``k`` (None: all of ``0..k``).

    With a lookback ``L`` and ``k >= L + 1``: ``[0, k - L + 1, ..., k]`` (``L + 1``
    dates); otherwise the whole history ``0..k`` is as short, and None is returned.

    Examples
    --------
    >>> _history_columns(10, 1)
    array([ 0, 10])
    >>> _history_columns(10, 3)
    array([ 0,  8,  9, 10])
    >>> _history_columns(2, 3) is None
    True
    """
    if lookback is None or k + 1 <= lookback + 1:
        return None
    return np.concatenate([[0], np.arange(k - lookback + 1, k + 1)]).astype(np.int64)


def _check_n_features(p: int, name: str) -> None:
    if p > MAX_FEATURES:
        raise InvalidParameterError(
            name, f"the basis would have {p} columns (more than {MAX_FEATURES}); lower the degree or the window"
        )


def _laguerre(x: np.ndarray, degree: int) -> list[np.ndarray]:
    """Weighted Laguerre functions ``exp(-x/2) L_j(x)``, ``j = 0..degree`` (LS 2001, eq. 2)."""
    w = np.exp(-0.5 * x)
    out = [np.ones_like(x), 1.0 - x]
    for j in range(1, degree):
        out.append(((2 * j + 1 - x) * out[j] - j * out[j - 1]) / (j + 1))
    return [w * L for L in out[: degree + 1]]


def _monomials(cols: np.ndarray, degree: int, cross: bool) -> np.ndarray:
    n, m = cols.shape
    feats = []
    if cross:
        for deg in range(1, degree + 1):
            for combo in itertools.combinations_with_replacement(range(m), deg):
                feats.append(np.prod(cols[:, list(combo)], axis=1))
    else:
        for j in range(m):
            for deg in range(1, degree + 1):
                feats.append(cols[:, j] ** deg)
    return np.column_stack(feats) if feats else np.empty((n, 0))


@validate_params(
    degree=Integer(1, MAX_DEGREE),
    kind=Options("laguerre", "monomial"),
    cross=Bool(),
    sort_assets=Bool(),
    payoff=IsCallable("a callable payoff(prices) -> values") | None,
)
@dataclass(frozen=True)
class PolynomialBasis:
    """Polynomials of today's (scaled) prices, ``x = S_k / S_0``.

    A Markov feature map: ``lookback = 1`` (it reads ``history[:, 0]`` and
    ``history[:, -1]`` only; see the module docstring).

    Parameters
    ----------
    degree : int in [1, 10], default 3
    kind : {"laguerre", "monomial"}, default "laguerre"
        ``"laguerre"``: ``exp(-x/2) L_j(x)`` for ``j = 0..degree`` and each asset (the
        basis of Longstaff and Schwartz 2001, section 3); ``"monomial"``: ``x^j``,
        ``j = 1..degree``.
    cross : bool, default True
        For several assets and ``"monomial"``: all monomials of total degree
        ``<= degree`` (else powers of each asset only).
    sort_assets : bool, default False
        Sort the assets' scaled prices first (symmetric payoffs such as the max-call).
    payoff : callable or None, default None
        If given, append ``payoff(S_k) / S_0[0]`` as a column.

    Examples
    --------
    >>> import numpy as np
    >>> hist = np.array([[[100.0], [50.0]]])
    >>> PolynomialBasis(2, "monomial")(hist, 1, np.array([0.0, 1.0]))
    array([[-0.5 ,  0.25]])
    """

    #: Dates read besides the first: today only (a Markov feature map).
    lookback: ClassVar[int] = 1

    degree: int = 3
    kind: str = "laguerre"
    cross: bool = True
    sort_assets: bool = False
    payoff: Any = None

    def __call__(self, history: np.ndarray, k: int, times: np.ndarray) -> np.ndarray:
        """Features of shape (n, p) of the prices ``history[:, k]``."""
        d = history.shape[2]
        if self.kind == "monomial" and self.cross:
            _check_n_features(math.comb(d + self.degree, self.degree) - 1, "degree")
        s = history[:, -1]
        x = s / history[:, 0]
        if self.sort_assets:
            x = np.sort(x, axis=1)
        if self.kind == "laguerre":
            cols = [f for j in range(x.shape[1]) for f in _laguerre(x[:, j], self.degree)]
            X = np.column_stack(cols)
        else:
            X = _monomials(x - 1.0, self.degree, self.cross)
        if self.payoff is not None:
            X = np.column_stack([X, np.asarray(self.payoff(s)) / history[:, 0, 0]])
        return X


@validate_params(window=Integer(1, 1000), include_time=Bool(), degree=Integer(1, MAX_DEGREE))
@dataclass(frozen=True)
class HistoryFeatures:
    """The last ``window`` scaled prices and the time to maturity (state augmentation).

    Columns: ``S_{k-window+1} / S_0, ..., S_k / S_0`` for each asset (dates before 0
    repeat ``S_0``), then ``(T - t_k) / T`` when ``include_time`` (``T`` the last date
    of the grid ``times``); with ``degree > 1``
    every monomial of total degree ``<= degree`` of those columns (for linear
    regressors; a neural network wants ``degree=1``).

    Parameters
    ----------
    window : int in [1, 1000], default 3
    include_time : bool, default True
    degree : int in [1, 10], default 1
        At most 10**4 feature columns in all (``comb(m + degree, degree) - 1`` for
        ``m`` raw columns).

    References
    ----------
    .. [1] Felizardo, L. K. et al. Solving the optimal stopping problem with
       reinforcement learning: an application in financial option exercise.

    Examples
    --------
    >>> import numpy as np
    >>> hist = np.array([[[100.0], [110.0], [99.0]]])
    >>> HistoryFeatures(window=2)(hist, 2, np.array([0.0, 0.5, 1.0]))
    array([[1.1 , 0.99, 0.  ]])
    """

    window: int = 3
    include_time: bool = True
    degree: int = 1

    @property
    def lookback(self) -> int:
        """Dates read besides the first: the last ``window`` (see the module docstring)."""
        return int(self.window)

    def __call__(self, history: np.ndarray, k: int, times: np.ndarray) -> np.ndarray:
        """Features of shape (n, p) of ``history[:, max(0, k-window+1) : k+1]``."""
        k = check_int(k, "k", low=0)
        n, _, d = history.shape
        if self.degree > 1:
            m = self.window * d + int(self.include_time)
            _check_n_features(math.comb(m + self.degree, self.degree) - 1, "degree")
        # dates k-window+1..k (before 0: date 0), indexed from the end of a history
        # that may be shortened to date 0 and its last `window` dates
        dates = np.arange(k - self.window + 1, k + 1)
        idx = np.where(dates <= 0, 0, history.shape[1] - 1 - (k - dates))
        x = (history[:, idx, :] / history[:, :1, :]).reshape(n, self.window * d)
        if self.include_time:
            T = float(times[-1])
            x = np.column_stack([x, np.full(n, (T - float(times[k])) / T)])
        if self.degree > 1:
            x = _monomials(x, self.degree, True)
        return x
