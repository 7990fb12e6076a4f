"""Regressors following the scikit-learn protocol ``fit(X, y, sample_weight=None)``.

Fitted-Q iteration, SQIRL, least-squares Monte Carlo and the offline learners take any
object with ``fit(X, y, sample_weight=None) -> self`` and ``predict(X) -> ndarray``
(the :class:`Regressor` protocol): the two small estimators here, a torch MLP, or any
scikit-learn estimator. scikit-learn itself is *not* required.

Conventions (as in scikit-learn): ``__init__`` checks its parameters (the declared
constraints of :mod:`rlcore.validation`) and stores them as given, so
``sklearn.base.clone`` works; ``fit`` checks them again (they may have been set since),
validates the data and learns; learned attributes end with an underscore, ``fit``
returns ``self``, and ``predict`` before ``fit`` raises :class:`NotFittedError`.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol, TypeVar, cast, runtime_checkable
from collections.abc import Callable

import numpy as np

from rlcore.validation import (
    AnyOf,
    Bool,
    Constraint,
    Integer,
    InvalidParameterError,
    Real,
    as_float_array,
    validate_params,
)

__all__ = [
    "NotFittedError",
    "Regressor",
    "RidgeRegression",
    "TabularMean",
]


class NotFittedError(ValueError, AttributeError):
    """Raised when ``predict`` is called on an estimator before ``fit``.

    Subclasses both :class:`ValueError` and :class:`AttributeError`, as scikit-learn's
    exception of the same name does.
    """


@runtime_checkable
class Regressor(Protocol):
    """Anything with scikit-learn's ``fit`` / ``predict`` regression interface.

    ``isinstance(obj, Regressor)`` checks only that both methods exist (a runtime
    protocol cannot check signatures).

    Examples
    --------
    >>> isinstance(RidgeRegression(), Regressor)
    True
    >>> isinstance(object(), Regressor)
    False
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Regressor:
        """Fit to inputs ``X`` of shape (n, d) and targets ``y`` of shape (n,); return self."""
        ...

    def predict(self, X: Any) -> np.ndarray:
        """Return predictions of shape (m,) for inputs ``X`` of shape (m, d)."""
        ...


# --------------------------------------------------------------------------- checks
#: Upper limit of a declared number of input features.
MAX_FEATURES: int = 10**9

_T = TypeVar("_T")


def _as_given(c: Constraint) -> Constraint:
    """``c``, but returning the value as given (after checking it) instead of normalised.

    Estimators store their constructor arguments unchanged (scikit-learn's ``clone``
    checks that they are the very objects passed), and normalise them in ``fit``.
    """
    if isinstance(c, AnyOf):
        return AnyOf(*(_as_given(a) for a in c.alternatives), *([None] if c.none_ok else []))
    base = type(c)

    def check(self: Constraint, value: Any, name: str, args: dict | None = None) -> Any:
        base.check(self, value, name, args)
        return value

    keep = copy.copy(c)
    keep.__class__ = type(f"AsGiven{base.__name__}", (base,), {"check": check, "__module__": __name__})
    return keep


def _declare(params: dict[str, Constraint]) -> Callable[[_T], _T]:
    """``validate_params`` for an estimator's ``__init__``: checked, stored as given."""
    return cast("Callable[[_T], _T]", validate_params(**{name: _as_given(c) for name, c in params.items()}))


def _check_y(y: Any, n: int) -> np.ndarray:
    arr = as_float_array(y, "y", ndim=1)
    if arr.shape[0] != n:
        raise InvalidParameterError("y", f"expected {n} targets to match X's {n} rows, got shape {arr.shape}")
    return arr


def _check_sample_weight(sample_weight: Any, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    w = as_float_array(sample_weight, "sample_weight", ndim=1)
    if w.shape[0] != n:
        raise InvalidParameterError("sample_weight", f"expected {n} weights to match X's {n} rows, got shape {w.shape}")
    if np.any(w < 0):
        i = int(np.flatnonzero(w < 0)[0])
        raise InvalidParameterError("sample_weight", f"weights must be >= 0, found {w[i]!r} at index {i}")
    if not np.any(w > 0):
        raise InvalidParameterError("sample_weight", "at least one weight must be positive, all are zero")
    return w


def _pow2_scale(x: np.ndarray) -> float:
    """A power of two ``> max |x| / 2`` (1.0 for all zeros): dividing by it is exact (for
    normal numbers) and brings every entry into ``(-2, 2)``, so sums of ``n`` entries
    cannot overflow."""
    m = float(np.max(np.abs(x), initial=0.0))
    return 1.0 if m == 0.0 else float(np.ldexp(1.0, int(np.frexp(m)[1]) - 1))


def _not_fitted(obj: object, method: str) -> NotFittedError:
    cls = type(obj).__name__
    return NotFittedError(f"{cls}.{method}: this {cls} instance is not fitted yet; call fit(X, y) first")


def _check_n_features(X: np.ndarray, expected: int, cls: str) -> None:
    if X.shape[1] != expected:
        raise InvalidParameterError(
            "X", f"{cls} was fitted with {expected} features, got X with {X.shape[1]} (shape {X.shape})"
        )


# --------------------------------------------------------------------------- tabular


def _as_int_rows(X: Any) -> np.ndarray:
    """``X`` of shape (n,) or (n, d), integer-valued, as an int64 array of shape (n, d)."""
    if isinstance(X, np.ndarray) and np.issubdtype(X.dtype, np.integer) and X.ndim in (1, 2):
        out = X.astype(np.int64, copy=False)
    else:
        f = as_float_array(X, "X", ndim=(1, 2))
        if np.any(f != np.round(f)):
            i = tuple(int(k) for k in np.argwhere(f != np.round(f))[0])
            raise InvalidParameterError(
                "X", f"TabularMean needs integer-valued (discrete) inputs, found {f[i]!r} at index {i}"
            )
        if np.any(np.abs(f) > 2.0**53):
            raise InvalidParameterError("X", "integer-valued entries must have magnitude <= 2**53")
        out = f.astype(np.int64)
    if out.ndim == 1:
        out = out[:, None]
    return out


_TABULAR_PARAMS: dict[str, Constraint] = {
    "default": Real() | None,
    "n_features": Integer(1, MAX_FEATURES) | None,
}


@_declare(_TABULAR_PARAMS)
class TabularMean:
    """Weighted mean of ``y`` for each distinct (discrete) row of ``X``.

    The regressor of tabular fitted-Q iteration: with one-hot or integer state-action
    inputs, fitting a least-squares model with one free parameter per distinct input
    gives exactly the (weighted) sample mean of the targets for that input.

    Parameters
    ----------
    default : float or None, default 0.0
        Finite prediction for a row not seen in ``fit`` (or seen only with zero total
        weight). ``None`` makes :meth:`predict` raise :class:`ValueError` on such rows
        instead.
    n_features : int in [1, 10**9] or None, default None
        If given, ``fit`` checks that ``X`` has this many columns.

    Attributes
    ----------
    keys_ : ndarray of shape (K, d), int64
        The distinct rows of ``X`` with positive total weight, lexicographically sorted.
    means_ : ndarray of shape (K,)
        Weighted mean of ``y`` over the samples equal to each key.
    weights_ : ndarray of shape (K,)
        Total sample weight of each key (the count when unweighted).
    n_features_in_ : int
        Number of columns ``d`` of ``X`` seen in ``fit`` (1 for 1-D ``X``).

    Notes
    -----
    Inputs must be integer-valued (an integer dtype, or floats with integral values).
    The means are computed on targets and weights scaled by powers of two (exactly), so
    they never overflow for finite targets. Fit and predict are vectorised (``np.unique`` with ``return_inverse`` and
    ``np.bincount``); cost :math:`O(n d \\log n)`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0, 1], [0, 1], [2, 0]])
    >>> model = TabularMean().fit(X, [1.0, 3.0, 5.0])
    >>> model.predict(np.array([[0, 1], [2, 0], [9, 9]]))
    array([2., 5., 0.])
    >>> TabularMean().fit([0, 0, 1], [1.0, 2.0, 4.0], sample_weight=[1.0, 3.0, 1.0]).predict([0, 1])
    array([1.75, 4.  ])
    """

    keys_: np.ndarray
    means_: np.ndarray
    weights_: np.ndarray
    n_features_in_: int

    def __init__(self, default: float | None = 0.0, n_features: int | None = None) -> None:
        self.default = default
        self.n_features = n_features

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> TabularMean:
        """Learn the weighted mean of ``y`` per distinct row of ``X``.

        Parameters
        ----------
        X : array_like of shape (n, d) or (n,), integer-valued
            Discrete inputs (e.g. state-action index pairs).
        y : array_like of shape (n,)
            Finite targets.
        sample_weight : array_like of shape (n,), optional
            Non-negative finite weights, not all zero. Default: all ones.

        Returns
        -------
        TabularMean
            ``self``, fitted.
        """
        for name, c in _TABULAR_PARAMS.items():
            c.check(getattr(self, name), name)
        Xi = _as_int_rows(X)
        n = Xi.shape[0]
        if n == 0:
            raise InvalidParameterError("X", "expected at least one sample, got 0 rows")
        if self.n_features is not None and Xi.shape[1] != self.n_features:
            raise InvalidParameterError("X", f"expected n_features={self.n_features} columns, got shape {Xi.shape}")
        yv = _check_y(y, n)
        w = _check_sample_weight(sample_weight, n)
        keys, inverse = np.unique(Xi, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        k = keys.shape[0]
        # exact power-of-two scaling: sums of up to n entries in [-1, 1] cannot overflow
        w_scale, y_scale = _pow2_scale(w), _pow2_scale(yv)
        ws, ys = w / w_scale, yv / y_scale
        wsum = np.bincount(inverse, weights=ws, minlength=k)
        wysum = np.bincount(inverse, weights=ws * ys, minlength=k)
        keep = wsum > 0
        with np.errstate(over="ignore"):
            weights = wsum[keep] * w_scale
        if not np.all(np.isfinite(weights)):
            raise InvalidParameterError("sample_weight", "a row's total weight overflows float64; rescale the weights")
        self.keys_ = keys[keep]
        self.weights_ = weights
        self.means_ = (wysum[keep] / wsum[keep]) * y_scale
        self.n_features_in_ = int(Xi.shape[1])
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Return the fitted mean for each row of ``X``.

        Parameters
        ----------
        X : array_like of shape (m, d) or (m,), integer-valued
            Query rows; ``d`` must equal ``n_features_in_``.

        Returns
        -------
        ndarray of shape (m,)
            The mean for seen rows; ``default`` for unseen ones.

        Raises
        ------
        NotFittedError
            If called before :meth:`fit`.
        ValueError
            On a feature-count mismatch, or an unseen row when ``default`` is None.
        """
        if not hasattr(self, "means_"):
            raise _not_fitted(self, "predict")
        Xi = _as_int_rows(X)
        _check_n_features(Xi, self.n_features_in_, "TabularMean")
        m = Xi.shape[0]
        K = self.keys_.shape[0]
        if m == 0:
            return np.empty(0, dtype=np.float64)
        # Unique over keys and queries together: the queries whose group contains a
        # key are seen, and read that key's mean.
        both = np.concatenate([self.keys_, Xi], axis=0)
        _, inverse = np.unique(both, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        n_groups = int(inverse.max()) + 1
        table = np.full(n_groups, np.nan)
        seen = np.zeros(n_groups, dtype=bool)
        table[inverse[:K]] = self.means_
        seen[inverse[:K]] = True
        q = inverse[K:]
        out = table[q]
        unseen = ~seen[q]
        if np.any(unseen):
            if self.default is None:
                i = int(np.flatnonzero(unseen)[0])
                raise InvalidParameterError("X", f"row {i} ({Xi[i].tolist()}) was not seen in fit and default is None")
            out[unseen] = float(self.default)
        return out

    def __repr__(self) -> str:
        return f"TabularMean(default={self.default!r}, n_features={self.n_features!r})"


# --------------------------------------------------------------------------- ridge


_RIDGE_PARAMS: dict[str, Constraint] = {"alpha": Real(0, None), "fit_intercept": Bool()}


@_declare(_RIDGE_PARAMS)
class RidgeRegression:
    """Weighted ridge least squares with an unpenalised intercept.

    Minimises

    .. math:: \\sum_i w_i (y_i - b - x_i^\\top \\beta)^2 + \\alpha \\lVert\\beta\\rVert^2

    over :math:`\\beta \\in \\mathbb{R}^d` and (when ``fit_intercept``) :math:`b`.

    Parameters
    ----------
    alpha : float, default 1.0
        Finite non-negative penalty on the coefficients (not on the intercept). With
        ``alpha=0`` this is ordinary (weighted) least squares; on rank-deficient data
        the minimum-norm solution is returned.
    fit_intercept : bool, default True
        Whether to fit an (unpenalised) intercept; otherwise ``intercept_ = 0``.

    Attributes
    ----------
    coef_ : ndarray of shape (d,)
        Coefficients :math:`\\beta`.
    intercept_ : float
        Intercept :math:`b` (0.0 when ``fit_intercept`` is False).
    n_features_in_ : int
        Number of columns ``d`` of ``X`` seen in ``fit``.

    Notes
    -----
    Solved as one least-squares problem on the augmented system
    :math:`[\\sqrt{W}[X, 1]; [\\sqrt{\\alpha} I, 0]]` against :math:`[\\sqrt{W} y; 0]`
    with an SVD-based solver (``numpy.linalg.lstsq``), which avoids squaring the
    condition number as the normal equations :math:`X^\\top W X + \\alpha I` would.

    References
    ----------
    .. [1] Hoerl, A. E. and Kennard, R. W. (1970). Ridge regression: biased estimation
       for nonorthogonal problems. *Technometrics* 12(1), 55-67.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = RidgeRegression(alpha=0.0).fit(X, 2.0 * X[:, 0] + 1.0)
    >>> np.round(model.coef_, 6), round(model.intercept_, 6)
    (array([2.]), 1.0)
    >>> np.round(model.predict(np.array([[10.0]])), 6)
    array([21.])
    """

    coef_: np.ndarray
    intercept_: float
    n_features_in_: int

    def __init__(self, alpha: float = 1.0, fit_intercept: bool = True) -> None:
        self.alpha = alpha
        self.fit_intercept = fit_intercept

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> RidgeRegression:
        """Fit the coefficients and intercept.

        Parameters
        ----------
        X : array_like of shape (n, d)
            Finite real inputs.
        y : array_like of shape (n,)
            Finite targets.
        sample_weight : array_like of shape (n,), optional
            Non-negative finite weights, not all zero. Default: all ones. Integer
            weights are equivalent to repeating the rows.

        Returns
        -------
        RidgeRegression
            ``self``, fitted.
        """
        alpha = _RIDGE_PARAMS["alpha"].check(self.alpha, "alpha")
        fit_intercept = _RIDGE_PARAMS["fit_intercept"].check(self.fit_intercept, "fit_intercept")
        Xf = as_float_array(X, "X", ndim=2)
        n, d = Xf.shape
        if n == 0:
            raise InvalidParameterError("X", "expected at least one sample, got 0 rows")
        if d == 0:
            raise InvalidParameterError("X", "expected at least one feature column, got shape (n, 0)")
        yv = _check_y(y, n)
        w = _check_sample_weight(sample_weight, n)
        sw = np.sqrt(w)
        design = np.hstack([Xf, np.ones((n, 1))]) if fit_intercept else Xf
        p = design.shape[1]
        with np.errstate(over="ignore", invalid="ignore"):
            top = sw[:, None] * design
            rhs = sw * yv
            if alpha > 0:
                penalty = np.zeros((d, p))
                penalty[:, :d] = np.sqrt(alpha) * np.eye(d)
                top = np.vstack([top, penalty])
                rhs = np.concatenate([rhs, np.zeros(d)])
            finite = np.all(np.isfinite(top)) and np.all(np.isfinite(rhs))
            sol = np.linalg.lstsq(top, rhs, rcond=None)[0] if finite else np.full(p, np.nan)
        if not np.all(np.isfinite(sol)):
            raise InvalidParameterError(
                "X", "the weighted least-squares problem overflows float64; rescale X, y and sample_weight"
            )
        self.coef_ = np.asarray(sol[:d], dtype=np.float64)
        self.intercept_ = float(sol[d]) if fit_intercept else 0.0
        self.n_features_in_ = int(d)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Return ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : array_like of shape (m, d)
            Finite inputs; ``d`` must equal ``n_features_in_``.

        Returns
        -------
        ndarray of shape (m,)
        """
        if not hasattr(self, "coef_"):
            raise _not_fitted(self, "predict")
        Xf = as_float_array(X, "X", ndim=2)
        _check_n_features(Xf, self.n_features_in_, "RidgeRegression")
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.asarray(Xf @ self.coef_ + self.intercept_, dtype=np.float64)
        if not np.all(np.isfinite(out)):
            raise InvalidParameterError("X", "the predictions overflow float64; rescale X")
        return out

    def __repr__(self) -> str:
        return f"RidgeRegression(alpha={self.alpha!r}, fit_intercept={self.fit_intercept!r})"
