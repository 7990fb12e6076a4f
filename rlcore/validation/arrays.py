"""Constraints on arrays: kind, rank, shape (possibly another argument's) and entry bounds;
probability vectors and arrays of probability rows."""

from __future__ import annotations

import math
from typing import Any
from collections.abc import Sequence

import numpy as np

from rlcore.validation.errors import InvalidParameterError, InvalidParameterTypeError, _describe
from rlcore.validation.checks import PROBABILITY_ATOL, _interval, _is_real_scalar, as_float_array, check_stochastic_rows
from rlcore.validation.constraint import Args, Constraint, _resolve

__all__ = ["Array", "ProbabilityRows", "ProbabilityVector"]

_DTYPES = ("float", "int", "bool")


class Array(Constraint):
    """An array of a given kind, rank and shape, every entry checked.

    Parameters
    ----------
    dtype : {"float", "int", "bool"}
        ``"float"``: any real numeric array, returned as a float64 copy; ``"int"``:
        an integer array (no floats, no bools), returned as int64; ``"bool"``: a
        boolean mask.
    ndim : int or tuple of int, optional
    shape : tuple, optional
        Entries are ints, ``None`` (any length) or a reference ``"param"`` /
        ``"param.attr"`` to an argument validated before this one (e.g.
        ``("mdp.n_states",)``); a reference to a missing or ``None`` argument is not
        checked.
    finite : bool
        Refuse NaN and infinities (float arrays; NaN is always refused).
    low, high : float or reference, optional
        Bounds on every entry; ``closed`` as in :class:`Real`.
    min_size : int
        Fewest entries (default 1: empty arrays are refused).
    """

    def __init__(
        self,
        dtype: str = "float",
        *,
        ndim: int | tuple[int, ...] | None = None,
        shape: Sequence[Any] | None = None,
        finite: bool = True,
        low: Any = None,
        high: Any = None,
        closed: str = "both",
        min_size: int = 1,
    ) -> None:
        if dtype not in _DTYPES:
            raise ValueError(f"dtype: expected one of {_DTYPES}, got {dtype!r}")
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        if ndim is None and self.shape is not None:
            ndim = len(self.shape)
        self.ndim = ndim
        self.finite = finite
        self.low, self.high = low, high
        self.low_open = closed in ("right", "neither")
        self.high_open = closed in ("left", "neither")
        self.min_size = min_size

    def accepts_kind(self, value: Any) -> bool:
        if isinstance(value, (str, bytes)) or value is None:
            return False
        if isinstance(value, np.ndarray):
            return True
        return isinstance(value, (list, tuple)) or (self.dtype == "float" and _is_real_scalar(value))

    def __str__(self) -> str:
        nd = "" if self.ndim is None else f"{self.ndim}-d "
        sh = "" if self.shape is None else f" of shape {self.shape}"
        return f"a {nd}{self.dtype} array{sh}"

    def expected_shape(self, args: Args | None) -> tuple[Any, ...] | None:
        if self.shape is None:
            return None
        return tuple(_resolve(d, args) for d in self.shape)

    def check(self, value: Any, name: str, args: Args | None = None) -> np.ndarray:
        if isinstance(value, (str, bytes)) or value is None:
            raise InvalidParameterTypeError(name, f"expected {self}, got {_describe(value)}")
        try:
            arr = np.asarray(value)
        except Exception as exc:  # ragged nested lists
            raise InvalidParameterTypeError(name, f"expected {self} ({exc})") from None
        if self.dtype == "bool":
            if arr.dtype != bool:
                raise InvalidParameterTypeError(name, f"expected a boolean array, got {_describe(arr)}")
            arr = arr.copy()
        elif self.dtype == "int":
            if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
                if arr.size == 0 and arr.dtype == np.float64:  # [] is an empty int list too
                    arr = arr.astype(np.int64)
                else:
                    raise InvalidParameterTypeError(name, f"expected an integer array, got {_describe(arr)}")
            if arr.dtype.kind == "u" and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
                raise InvalidParameterError(name, f"entries must fit in int64, found {int(arr.max())}")
            arr = arr.astype(np.int64, copy=True)
        else:
            arr = as_float_array(arr, name, finite=self.finite)
        if self.ndim is not None:
            allowed = (self.ndim,) if isinstance(self.ndim, int) else self.ndim
            if arr.ndim not in allowed:
                want = " or ".join(str(d) for d in allowed)
                raise InvalidParameterError(name, f"expected a {want}-dimensional array, got shape {arr.shape}")
        want_shape = self.expected_shape(args)
        if want_shape is not None:
            if len(want_shape) != arr.ndim or any(w is not None and w != g for w, g in zip(want_shape, arr.shape)):
                shown = tuple("any" if w is None else int(w) for w in want_shape)
                raise InvalidParameterError(name, f"expected shape {shown}, got {arr.shape}")
        if arr.size < self.min_size:
            raise InvalidParameterError(name, f"expected at least {self.min_size} entries, got shape {arr.shape}")
        lo, hi = _resolve(self.low, args), _resolve(self.high, args)
        if arr.size and (lo is not None or hi is not None):
            bad = np.zeros(arr.shape, dtype=bool)
            if lo is not None:
                bad |= (arr <= lo) if self.low_open else (arr < lo)
            if hi is not None:
                bad |= (arr >= hi) if self.high_open else (arr > hi)
            if bad.any():
                idx = tuple(int(i) for i in np.argwhere(bad)[0])
                interval = _interval(lo, hi, self.low_open, self.high_open)
                raise InvalidParameterError(name, f"entries must lie in {interval}, found {arr[idx]!r} at index {idx}")
        return arr

    def _example(self, args: Args | None) -> np.ndarray | None:
        """A valid array (for deriving invalid ones), or None when the shape is unknown."""
        shape = self.expected_shape(args)
        if shape is None:
            if self.ndim is None:
                shape = (2,)
            else:
                nd = self.ndim if isinstance(self.ndim, int) else self.ndim[0]
                shape = (2,) * nd
        if any(d is None for d in shape):
            shape = tuple(2 if d is None else d for d in shape)
        lo, hi = _resolve(self.low, args), _resolve(self.high, args)
        if self.dtype == "bool":
            return np.zeros(shape, dtype=bool)
        value = 0.0
        if lo is not None and hi is not None:
            value = 0.5 * (lo + hi)
        elif lo is not None:
            value = lo + 1.0
        elif hi is not None:
            value = hi - 1.0
        if self.dtype == "int":
            value = math.floor(value) if hi is None or math.floor(value) < hi else math.ceil(value)
            return np.full(shape, int(value), dtype=np.int64)
        return np.full(shape, value)

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        out: list[tuple[Any, type[Exception]]] = [
            ("x", TypeError),
            (None, TypeError),
            (np.array(["a", "b"]), TypeError),
            (np.array([1 + 1j, 2.0]), TypeError),
            (np.array([1, "a"], dtype=object), TypeError),
        ]
        ex = self._example(args)
        if ex is None:
            return out
        if ex.size == 0:  # an expected shape with a zero dimension: only the kind can be wrong
            out.append((ex[..., None], ValueError))
            return out
        if self.dtype == "float":
            out.append((ex.astype(bool), TypeError))
            bad = ex.copy()
            bad.flat[0] = np.nan
            out.append((bad, ValueError))
            if self.finite:
                bad = ex.copy()
                bad.flat[0] = np.inf
                out.append((bad, ValueError))
        elif self.dtype == "int":
            out.append((ex.astype(np.float64) + 0.5, TypeError))
            out.append((ex.astype(bool), TypeError))
        else:
            out.append((ex.astype(np.int64), TypeError))
        out.append((ex[..., None], ValueError))  # one dimension too many
        if self.shape is not None and ex.ndim >= 1:
            grown = np.concatenate([ex, ex[-1:]], axis=0) if ex.shape[0] else ex
            want = self.expected_shape(args)
            if want is not None and want[0] is not None:
                out.append((grown, ValueError))
        if self.min_size >= 1:
            out.append((np.zeros((0,) + ex.shape[1:], dtype=ex.dtype), ValueError))
        lo, hi = _resolve(self.low, args), _resolve(self.high, args)
        if self.dtype != "bool":
            for edge, sign, is_open in ((lo, -1, self.low_open), (hi, 1, self.high_open)):
                if edge is None:
                    continue
                bad = ex.copy()
                if self.dtype == "int":
                    bad.flat[0] = int(edge) + sign if not is_open else int(edge)
                else:
                    bad.flat[0] = edge if is_open else edge + sign * max(1.0, abs(edge))
                out.append((bad, ValueError))
        return out

    def valid_values(self, args: Args | None = None) -> list[Any]:
        ex = self._example(args)
        return [] if ex is None else [ex]


class ProbabilityVector(Array):
    """A probability vector: non-negative entries summing to 1 within ``atol``.

    ``size`` is an int or a reference (see :class:`Array`).
    """

    def __init__(self, size: Any = None, *, atol: float = PROBABILITY_ATOL) -> None:
        super().__init__("float", ndim=1, shape=(size,))
        self.atol = atol

    def __str__(self) -> str:
        return "a probability vector"

    def check(self, value: Any, name: str, args: Args | None = None) -> np.ndarray:
        arr = super().check(value, name, args)
        check_stochastic_rows(arr, name, atol=self.atol)
        return arr

    def _example(self, args: Args | None) -> np.ndarray | None:
        shape = self.expected_shape(args)
        n = 2 if shape is None or shape[0] is None else int(shape[0])
        return np.full(n, 1.0 / n)

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        out = super().invalid_values(args)
        ex = self._example(args)
        if ex is not None:
            out.append((ex * 0.5, ValueError))
            out.append((ex * 2.0, ValueError))
            if ex.size > 1:
                neg = ex.copy()
                neg[0], neg[1] = -ex[0], ex[1] + 2.0 * ex[0]  # sums to 1, one entry negative
                out.append((neg, ValueError))
        return out


class ProbabilityRows(Array):
    """An array whose last axis holds probability vectors (a row-stochastic matrix, ...).

    ``shape`` as in :class:`Array`; every row must be non-negative and sum to 1 within
    ``atol``.
    """

    def __init__(
        self,
        *,
        ndim: int | tuple[int, ...] | None = 2,
        shape: Sequence[Any] | None = None,
        atol: float = PROBABILITY_ATOL,
    ) -> None:
        super().__init__("float", ndim=ndim, shape=shape)
        self.atol = atol

    def __str__(self) -> str:
        return "an array of probability rows"

    def check(self, value: Any, name: str, args: Args | None = None) -> np.ndarray:
        arr = super().check(value, name, args)
        check_stochastic_rows(arr, name, atol=self.atol)
        return arr

    def _example(self, args: Args | None) -> np.ndarray | None:
        ex = super()._example(args)
        if ex is None:
            return None
        return np.full(ex.shape, 1.0 / ex.shape[-1])

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        out = super().invalid_values(args)
        ex = self._example(args)
        if ex is not None:
            out.append((ex * 0.5, ValueError))
        return out
