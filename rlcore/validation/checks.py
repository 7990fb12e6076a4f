"""The documented limits and the primitive checks the constraints are built from.

Each check returns the value normalised (``float``, ``int``, a float64 array) or raises
an :class:`~rlcore.validation.InvalidParameterError` /
:class:`~rlcore.validation.InvalidParameterTypeError` naming the parameter. Methods on
hot paths call them directly instead of going through :func:`validate_params`.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from rlcore.validation.errors import InvalidParameterError, InvalidParameterTypeError, _describe, _short

__all__ = [
    "MAX_ENTRIES",
    "MAX_ITERATIONS",
    "MAX_SAMPLES",
    "PROBABILITY_ATOL",
    "as_float_array",
    "check_discount",
    "check_entries",
    "check_int",
    "check_positive_int",
    "check_probability_vector",
    "check_real",
    "check_stochastic_rows",
    "refuse_nonfinite",
]

#: Absolute tolerance on the sum of a probability row: ``|sum(p) - 1| <= PROBABILITY_ATOL``.
#: Entries must be ``>= 0`` exactly (no tolerance on negativity).
PROBABILITY_ATOL: float = 1e-8

#: Upper limit of every iteration budget (sweeps, improvement steps, bisection steps,
#: evaluation backups per step): large enough for any convergent run, small enough
#: that a typo such as ``2**63`` is refused instead of running for ever.
MAX_ITERATIONS: int = 10**9

#: Upper limit of sample, episode, path and round counts.
MAX_SAMPLES: int = 10**12

#: Upper limit of the floats one call may allocate for an array it builds (8 GB).
MAX_ENTRIES: int = 10**9


def _is_real_scalar(x: Any) -> bool:
    return not isinstance(x, (bool, np.bool_)) and isinstance(x, (numbers.Real, np.floating, np.integer))


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return ("(" if low_open or low is None else "[") + f"{lo}, {hi}" + (")" if high_open or high is None else "]")


def check_real(
    x: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
) -> float:
    """Return ``x`` as a float, optionally within ``[low, high]`` (ends open on request).

    Booleans, strings, complex numbers and arrays are refused with a
    :class:`InvalidParameterTypeError`; NaN always, and infinities unless
    ``finite=False``, with an :class:`InvalidParameterError`.
    """
    if not _is_real_scalar(x):
        raise InvalidParameterTypeError(name, f"expected a real number, got {_short(x)} of type {type(x).__name__}")
    try:
        v = float(x)
    except OverflowError:  # an int beyond float range
        raise InvalidParameterError(name, f"expected a number within float64 range, got {_short(x)}") from None
    if math.isnan(v) or (finite and math.isinf(v)):
        raise InvalidParameterError(name, f"expected a finite number, got {x!r}")
    below = low is not None and (v <= low if low_open else v < low)
    above = high is not None and (v >= high if high_open else v > high)
    if below or above:
        raise InvalidParameterError(
            name, f"expected a real number in {_interval(low, high, low_open, high_open)}, got {x!r}"
        )
    return v


def check_int(x: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``x`` as a Python int, optionally in ``[low, high]``; bools and floats are refused."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Integral, np.integer)):
        raise InvalidParameterTypeError(name, f"expected an integer, got {_short(x)} of type {type(x).__name__}")
    v = int(x)
    if (low is not None and v < low) or (high is not None and v > high):
        lo = "-inf" if low is None else str(low)
        hi = "inf" if high is None else str(high)
        raise InvalidParameterError(name, f"expected an integer in [{lo}, {hi}], got {v}")
    return v


def check_positive_int(x: Any, name: str, *, high: int | None = None) -> int:
    """Return ``x`` as a Python int ``>= 1`` (and ``<= high`` when given)."""
    value = check_int(x, name)
    if value < 1:
        raise InvalidParameterError(name, f"expected a positive integer, got {value}")
    if high is not None and value > high:
        raise InvalidParameterError(name, f"expected a positive integer <= {high}, got {value}")
    return value


def check_discount(gamma: Any, name: str = "gamma", *, allow_one: bool = False) -> float:
    """Return ``gamma`` as a float in ``[0, 1)`` (or ``[0, 1]`` when ``allow_one``)."""
    if not _is_real_scalar(gamma):
        raise InvalidParameterTypeError(
            name, f"expected a real number, got {_short(gamma)} of type {type(gamma).__name__}"
        )
    value = float(gamma)
    upper_ok = value <= 1.0 if allow_one else value < 1.0
    if not (math.isfinite(value) and value >= 0.0 and upper_ok):
        interval = "[0, 1]" if allow_one else "[0, 1)"
        raise InvalidParameterError(name, f"expected a discount factor in {interval}, got {gamma!r}")
    return value


def as_float_array(x: Any, name: str, *, ndim: int | tuple[int, ...] | None = None, finite: bool = True) -> np.ndarray:
    """Convert ``x`` to a float64 array (a copy), checking its rank and that every entry is finite.

    Raises
    ------
    InvalidParameterTypeError
        If ``x`` is not numeric (strings, objects, complex numbers, booleans).
    InvalidParameterError
        If the rank is wrong or an entry is NaN or infinite.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise InvalidParameterTypeError(name, f"expected a real numeric array, got {_describe(x)}")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged nested lists and the like
        raise InvalidParameterTypeError(name, f"expected a real numeric array ({exc})") from None
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise InvalidParameterTypeError(name, f"expected a real numeric array, got {_describe(arr)}")
    arr = arr.astype(np.float64, copy=True)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise InvalidParameterError(name, f"expected a {want}-dimensional array, got shape {arr.shape}")
    bad = np.isnan(arr) if not finite else ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        what = "finite" if finite else "numbers (not NaN)"
        raise InvalidParameterError(name, f"entries must be {what}, found {float(arr[idx])!r} at index {idx}")
    return arr


def check_stochastic_rows(arr: np.ndarray, name: str, *, atol: float = PROBABILITY_ATOL) -> None:
    """Check that the last axis of ``arr`` holds probability vectors.

    Entries must be non-negative and each row must sum to one within ``atol``.
    The error names the first offending row by its full index.
    """
    if arr.shape[-1] == 0:
        raise InvalidParameterError(name, f"probability rows must have at least one entry, got shape {arr.shape}")
    negative = arr < 0
    if negative.any():
        idx = tuple(int(i) for i in np.argwhere(negative)[0])
        raise InvalidParameterError(
            name, f"probabilities must be non-negative, found {float(arr[idx])!r} at index {idx}"
        )
    sums = arr.sum(axis=-1)
    off = np.abs(sums - 1.0) > atol
    if off.any():
        if arr.ndim == 1:
            raise InvalidParameterError(name, f"entries must sum to 1 within {atol:g}, they sum to {float(sums)!r}")
        idx = tuple(int(i) for i in np.argwhere(off)[0])
        raise InvalidParameterError(
            name, f"each row must sum to 1 within {atol:g}, row {idx} sums to {float(sums[idx])!r}"
        )


def check_probability_vector(x: Any, name: str, size: int | None, *, atol: float = PROBABILITY_ATOL) -> np.ndarray:
    """Return ``x`` as a float64 probability vector (of length ``size`` when given)."""
    arr = as_float_array(x, name, ndim=1)
    if size is not None and arr.shape != (size,):
        raise InvalidParameterError(name, f"expected shape ({size},), got {arr.shape}")
    check_stochastic_rows(arr, name, atol=atol)
    return arr


def refuse_nonfinite(value: Any, name: str, what: str) -> Any:
    """Return ``value`` if every entry is finite; else refuse the input ``name`` with ``what``.

    For results that overflow float64 on input that passed its constraints (rewards near
    ``1e308``, say): the overflow is reported as a parameter error naming the input to
    rescale, never returned as an infinity or a NaN.

    Examples
    --------
    >>> refuse_nonfinite(2.0, "R", "the values overflow float64; rescale the rewards")
    2.0
    """
    arr = np.asarray(value, dtype=np.float64)
    if arr.size and not np.all(np.isfinite(arr)):
        raise InvalidParameterError(name, what)
    return value


def check_entries(n_entries: int, name: str, what: str, limit: int = MAX_ENTRIES) -> None:
    """Refuse a call that would allocate more than ``limit`` floats for ``what``, naming ``name``.

    Examples
    --------
    >>> check_entries(10**12, "n_paths", "the simulated paths")
    Traceback (most recent call last):
    ...
    rlcore.validation.InvalidParameterError: n_paths: the simulated paths would hold 1e+12 floats (more than 1e+09, 8 GB at 1e9); use fewer
    """
    if n_entries > limit:
        raise InvalidParameterError(
            name, f"{what} would hold {n_entries:.3g} floats (more than {limit:.0e}, 8 GB at 1e9); use fewer"
        )
