"""Shared input checks for the public boundary of the library.

Every check raises :class:`ValueError` or :class:`TypeError` with a message that names
the argument, the offending entry where there is one, and what was expected. None of
them clips, renormalises or otherwise "fixes" its input.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "PROBABILITY_ATOL",
    "as_float_array",
    "check_discount",
    "check_int",
    "check_positive_int",
    "check_probability_vector",
    "check_stochastic_rows",
]

#: Absolute tolerance on the sum of a probability row: ``|sum(p) - 1| <= PROBABILITY_ATOL``.
#: Entries must be ``>= 0`` exactly (no tolerance on negativity).
PROBABILITY_ATOL: float = 1e-8


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    return type(x).__name__


def as_float_array(x: Any, name: str, *, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Convert ``x`` to a float64 array, checking its rank and that every entry is finite.

    Raises
    ------
    TypeError
        If ``x`` is not numeric (strings, objects, complex numbers).
    ValueError
        If the rank is wrong or an entry is NaN or infinite.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name}: expected a real numeric array, got {_describe(x)}")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged nested lists and the like
        raise TypeError(f"{name}: expected a real numeric array ({exc})") from None
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(f"{name}: expected a real numeric array, got {_describe(arr)}")
    arr = arr.astype(np.float64, copy=True)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise ValueError(f"{name}: expected a {want}-dimensional array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name}: entries must be finite, found {float(arr[bad])!r} at index {bad}")
    return arr


def check_real(
    x: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``x`` as a finite float, optionally within ``[low, high]`` (ends open on request).

    Booleans are rejected (``True`` is not a real number here); so are strings and
    arrays. The error names the argument.
    """
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name}: expected a real number, got {x!r} of type {type(x).__name__}")
    v = float(x)
    if not np.isfinite(v):
        raise ValueError(f"{name}: expected a finite number, got {x!r}")
    below = low is not None and (v <= low if low_open else v < low)
    above = high is not None and (v >= high if high_open else v > high)
    if below or above:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        interval = ("(" if low_open or low is None else "[") + f"{lo}, {hi}" + (")" if high_open or high is None else "]")
        raise ValueError(f"{name}: expected a finite number in {interval}, got {x!r}")
    return v


def check_int(x: Any, name: str) -> int:
    """Return ``x`` as a Python int; reject bools, floats and other types."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Integral, np.integer)):
        raise TypeError(f"{name}: expected an integer, got {x!r} of type {type(x).__name__}")
    return int(x)


def check_positive_int(x: Any, name: str) -> int:
    """Return ``x`` as a Python int ``>= 1``."""
    value = check_int(x, name)
    if value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value}")
    return value


def check_discount(gamma: Any, name: str = "gamma", *, allow_one: bool = False) -> float:
    """Return ``gamma`` as a float in ``[0, 1)`` (or ``[0, 1]`` when ``allow_one``)."""
    if isinstance(gamma, (bool, np.bool_)) or not isinstance(gamma, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name}: expected a real number, got {gamma!r} of type {type(gamma).__name__}")
    value = float(gamma)
    upper_ok = value <= 1.0 if allow_one else value < 1.0
    if not (np.isfinite(value) and value >= 0.0 and upper_ok):
        interval = "[0, 1]" if allow_one else "[0, 1)"
        raise ValueError(f"{name}: expected a discount factor in {interval}, got {gamma!r}")
    return value


def check_stochastic_rows(arr: np.ndarray, name: str, *, atol: float = PROBABILITY_ATOL) -> None:
    """Check that the last axis of ``arr`` holds probability vectors.

    Entries must be non-negative and each row must sum to one within ``atol``.
    The error names the first offending row by its full index.
    """
    if arr.shape[-1] == 0:
        raise ValueError(f"{name}: probability rows must have at least one entry, got shape {arr.shape}")
    negative = arr < 0
    if negative.any():
        idx = tuple(int(i) for i in np.argwhere(negative)[0])
        raise ValueError(f"{name}: probabilities must be non-negative, found {float(arr[idx])!r} at index {idx}")
    sums = arr.sum(axis=-1)
    off = np.abs(sums - 1.0) > atol
    if off.any():
        if arr.ndim == 1:
            raise ValueError(f"{name}: entries must sum to 1 within {atol:g}, they sum to {float(sums)!r}")
        idx = tuple(int(i) for i in np.argwhere(off)[0])
        raise ValueError(
            f"{name}: each row must sum to 1 within {atol:g}, row {idx} sums to {float(sums[idx])!r}"
        )


def check_probability_vector(x: Any, name: str, size: int, *, atol: float = PROBABILITY_ATOL) -> np.ndarray:
    """Return ``x`` as a float64 probability vector of length ``size``."""
    arr = as_float_array(x, name, ndim=1)
    if arr.shape != (size,):
        raise ValueError(f"{name}: expected shape ({size},), got {arr.shape}")
    check_stochastic_rows(arr, name, atol=atol)
    return arr
