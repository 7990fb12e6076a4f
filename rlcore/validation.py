"""Declarative parameter validation: one constraint per parameter, one kind of error.

Every public function and class of the library states, next to its signature, what
each parameter accepts, and :func:`validate_params` enforces it before the body runs::

    @validate_params(
        mdp=MDP(discounted=True),
        epsilon=Real(0, None, closed="neither"),
        max_iter=Integer(1, MAX_ITERATIONS),
        stopping=Options("span", "sup"),
        V0=Array(ndim=1, shape=("mdp.n_states",)) | None,
        callback=IsCallable() | None,
    )
    def value_iteration(mdp, *, epsilon=1e-6, max_iter=100_000, ...): ...

Bad input gets an :class:`InvalidParameterError` (a :class:`ValueError`: the value has
the right kind but is out of range, the wrong shape, NaN, ...) or an
:class:`InvalidParameterTypeError` (a :class:`TypeError`: the wrong kind of object),
and the message always starts with the parameter's name:
``"epsilon: expected a real number in (0, inf), got -1.0"``. The rules the whole
library keeps:

* bools are not numbers and numeric strings are not numbers;
* NaN is never accepted, infinity only where a constraint says so (``finite=False``);
* integer budgets have a documented upper limit (:data:`MAX_ITERATIONS` and friends),
  so no argument can make a call run for ever;
* nothing is clipped, rounded or renormalised: a value is accepted as it is (converted
  to ``float``/``int``/a float64 array) or refused.

The constraints are data: the library's generated API test walks every public callable,
reads its constraints (:func:`constraints_of`), derives invalid values from them
(:meth:`Constraint.invalid_values`) and checks the uniform error; they also give
hypothesis strategies of valid values (:meth:`Constraint.strategy`). Use the same layer
for your own algorithms.

The private helpers (:func:`check_real`, :func:`as_float_array`, ...) are the
primitives the constraints are built from; methods on hot paths call them directly.
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
import numbers
from typing import Any, TypeVar
from collections.abc import Callable, Iterable, Sequence

import numpy as np

__all__ = [
    "MAX_ENTRIES",
    "MAX_ITERATIONS",
    "MAX_SAMPLES",
    "PROBABILITY_ATOL",
    "AnyOf",
    "Array",
    "Bool",
    "Constraint",
    "Device",
    "FloatDtype",
    "Discount",
    "Implements",
    "Instance",
    "Integer",
    "InvalidParameterError",
    "InvalidParameterTypeError",
    "IsCallable",
    "MDP",
    "Options",
    "Path",
    "Policy",
    "ProbabilityRows",
    "ProbabilityVector",
    "RNG",
    "Real",
    "Regressor",
    "Sequence_",
    "Simulator",
    "Unchecked",
    "as_float_array",
    "check_discount",
    "check_entries",
    "check_int",
    "check_positive_int",
    "check_probability_vector",
    "check_real",
    "check_stochastic_rows",
    "constraints_of",
    "declare_params",
    "iter_invalid",
    "refuse_nonfinite",
    "shape_of",
    "validate_params",
    "value_of",
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

F = TypeVar("F", bound=Callable[..., Any])


# =====================================================================================
# errors
# =====================================================================================
class InvalidParameterError(ValueError):
    """A parameter of the right kind with an unacceptable value.

    The message starts with the parameter's name; :attr:`param` holds it.
    """

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param


class InvalidParameterTypeError(TypeError):
    """A parameter of the wrong kind (a string where a number is expected, ...).

    The message starts with the parameter's name; :attr:`param` holds it.
    """

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    return type(x).__name__


def _short(x: Any) -> str:
    """``repr`` of a value, cut to a readable length (arrays print as their shape)."""
    if isinstance(x, np.ndarray):
        return _describe(x)
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


# =====================================================================================
# primitives
# =====================================================================================
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


# =====================================================================================
# constraints
# =====================================================================================
Args = dict  # the arguments validated so far, by name (references resolve against it)


class Constraint:
    """What one parameter accepts.

    Subclasses implement :meth:`check` (validate and normalise, or raise an error whose
    message starts with the parameter's name), :meth:`invalid_values` (values the
    constraint must refuse, with the exception type expected) and
    :meth:`strategy` (a hypothesis strategy of accepted values). ``a | b`` accepts
    what either accepts; ``c | None`` also accepts ``None``.
    """

    def check(self, value: Any, name: str, args: Args | None = None) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def accepts_kind(self, value: Any) -> bool:
        """Whether ``value`` is of the kind this constraint is about (used by :class:`AnyOf`)."""
        return True

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        """Values this constraint refuses, each with the exception type it raises."""
        return []

    def valid_values(self, args: Args | None = None) -> list[Any]:
        """A few accepted values, including the edges of the accepted range."""
        return []

    def strategy(self, args: Args | None = None) -> Any:
        """A hypothesis strategy of accepted values (needs the ``test`` extra)."""
        from hypothesis import strategies as st

        values = self.valid_values(args)
        if not values:
            raise NotImplementedError(f"{type(self).__name__} has no generic strategy")
        return st.sampled_from(values)

    def __or__(self, other: Any) -> AnyOf:
        return AnyOf(self, other)

    def __ror__(self, other: Any) -> AnyOf:
        return AnyOf(other, self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self}>"


def _not_kind(value: Any, name: str, what: str) -> InvalidParameterTypeError:
    return InvalidParameterTypeError(name, f"expected {what}, got {_short(value)} of type {type(value).__name__}")


#: Values of the wrong kind for a number (each is a TypeError).
_NOT_NUMBERS: tuple[Any, ...] = ("1.0", True, complex(1.0, 1.0), [1.0], np.array([1.0, 2.0]), object())


class Real(Constraint):
    """A real number (float, int or numpy scalar; not a bool), in an interval.

    Parameters
    ----------
    low, high : float, optional
        Ends of the interval; ``None`` is unbounded.
    closed : {"both", "left", "right", "neither"}
        Which finite ends belong to the interval.
    finite : bool
        When False, ``inf``/``-inf`` are accepted (if inside the interval); NaN never is.

    Examples
    --------
    >>> Real(0, 1, closed="left").check(0.5, "gamma")
    0.5
    >>> Real(0, 1, closed="left").check(1, "gamma")
    Traceback (most recent call last):
    ...
    rlcore.validation.InvalidParameterError: gamma: expected a real number in [0, 1), got 1
    """

    def __init__(
        self,
        low: float | None = None,
        high: float | None = None,
        *,
        closed: str = "both",
        finite: bool = True,
        hint: str | None = None,
    ) -> None:
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed: expected 'both', 'left', 'right' or 'neither', got {closed!r}")
        self.low = None if low is None else float(low)
        self.high = None if high is None else float(high)
        self.low_open = closed in ("right", "neither")
        self.high_open = closed in ("left", "neither")
        self.finite = finite
        self.hint = hint

    def check(self, value: Any, name: str, args: Args | None = None) -> float:
        try:
            return check_real(
                value,
                name,
                low=self.low,
                high=self.high,
                low_open=self.low_open,
                high_open=self.high_open,
                finite=self.finite,
            )
        except InvalidParameterError as exc:
            if self.hint is None:
                raise
            raise InvalidParameterError(name, f"{str(exc)[len(name) + 2 :]}; {self.hint}") from None

    def accepts_kind(self, value: Any) -> bool:
        return _is_real_scalar(value)

    def __str__(self) -> str:
        return f"a real number in {_interval(self.low, self.high, self.low_open, self.high_open)}"

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        out: list[tuple[Any, type[Exception]]] = [(v, TypeError) for v in _NOT_NUMBERS]
        out.append((None, TypeError))
        out.append((math.nan, ValueError))
        if self.finite:
            out += [(math.inf, ValueError), (-math.inf, ValueError)]
        if self.low is not None:
            out += [(self.low - max(1.0, abs(self.low)), ValueError), (-math.inf, ValueError)]
            if self.low_open:
                out.append((self.low, ValueError))
        if self.high is not None:
            out += [(self.high + max(1.0, abs(self.high)), ValueError), (math.inf, ValueError)]
            if self.high_open:
                out.append((self.high, ValueError))
        # dedupe (inf may appear twice)
        seen: list[tuple[Any, type[Exception]]] = []
        for v, e in out:
            if not any(v is w or (isinstance(v, float) and isinstance(w, float) and v == w) for w, _ in seen):
                seen.append((v, e))
        return seen

    def valid_values(self, args: Args | None = None) -> list[Any]:
        lo = self.low if self.low is not None else -1e6
        hi = self.high if self.high is not None else 1e6
        out: list[float] = []
        if self.low is not None:
            out.append(math.nextafter(lo, math.inf) if self.low_open else lo)
        if self.high is not None:
            out.append(math.nextafter(hi, -math.inf) if self.high_open else hi)
        mid = (
            0.5 * (lo + hi)
            if (self.low is not None and self.high is not None)
            else (lo + 1.0 if self.low is not None else (hi - 1.0 if self.high is not None else 0.5))
        )
        out.append(mid)
        return [v for v in out if math.isfinite(v)]

    def strategy(self, args: Args | None = None) -> Any:
        from hypothesis import strategies as st

        return st.floats(
            min_value=self.low,
            max_value=self.high,
            exclude_min=self.low_open and self.low is not None,
            exclude_max=self.high_open and self.high is not None,
            allow_nan=False,
            allow_infinity=not self.finite,
        )


class Discount(Real):
    """A discount factor in ``[0, 1)`` (``[0, 1]`` with ``allow_one=True``).

    Examples
    --------
    >>> Discount().check(0.9, "gamma")
    0.9
    """

    def __init__(self, *, allow_one: bool = False) -> None:
        super().__init__(0.0, 1.0, closed="both" if allow_one else "left")
        self.allow_one = allow_one

    def check(self, value: Any, name: str, args: Args | None = None) -> float:
        return check_discount(value, name, allow_one=self.allow_one)

    def __str__(self) -> str:
        return "a discount factor in " + ("[0, 1]" if self.allow_one else "[0, 1)")


class Integer(Constraint):
    """An integer (Python or numpy; not a bool, not a float) in ``[low, high]``.

    Budgets (iterations, samples, depths) always give ``high``, so that no value can
    make a call run for ever; see :data:`MAX_ITERATIONS` and :data:`MAX_SAMPLES`. A bound
    may also refer to another argument, as a string ``"param"``/``"param.attr"`` or a
    callable of the arguments (:func:`shape_of`, :func:`value_of`): ``Integer(1,
    shape_of("means"))`` accepts ``1 <= k <= len(means)``. An unresolvable reference
    (the argument missing, ``None`` or malformed) leaves that end unchecked; the other
    argument's own constraint reports it.
    """

    def __init__(self, low: Any = None, high: Any = None) -> None:
        self.low = low
        self.high = high

    def _ends(self, args: Args | None) -> tuple[int | None, int | None]:
        def as_bound(x: Any) -> int | None:  # a malformed reference leaves that end unchecked
            if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Integral, np.integer)):
                return None
            return int(x)

        return as_bound(_resolve(self.low, args)), as_bound(_resolve(self.high, args))

    def check(self, value: Any, name: str, args: Args | None = None) -> int:
        lo, hi = self._ends(args)
        return check_int(value, name, low=lo, high=hi)

    def accepts_kind(self, value: Any) -> bool:
        return not isinstance(value, (bool, np.bool_)) and isinstance(value, (numbers.Integral, np.integer))

    def __str__(self) -> str:
        def show(ref: Any, default: str) -> str:
            if ref is None:
                return default
            if isinstance(ref, (int, np.integer, str)):
                return str(ref)
            return getattr(ref, "__name__", "?")

        return f"an integer in [{show(self.low, '-inf')}, {show(self.high, 'inf')}]"

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        out: list[tuple[Any, type[Exception]]] = [
            ("3", TypeError),
            (True, TypeError),
            (2.0, TypeError),
            (2.5, TypeError),
            (math.nan, TypeError),
            (None, TypeError),
            (np.array([1, 2]), TypeError),
            (complex(1, 0), TypeError),
        ]
        lo, hi = self._ends(args)
        if lo is not None:
            out.append((lo - 1, ValueError))
            out.append((min(-(2**63), lo - 2**63), ValueError))
        if hi is not None:
            out.append((hi + 1, ValueError))
            out.append((2**63 if hi < 2**63 else hi + 2**63, ValueError))
        return out

    def valid_values(self, args: Args | None = None) -> list[Any]:
        lo, hi = self._ends(args)
        out = []
        if lo is not None:
            out.append(lo)
        if hi is not None and hi <= 10**4 and (lo is None or hi >= lo):
            out.append(hi)
        if not out:
            out.append(0)
        return out

    def strategy(self, args: Args | None = None) -> Any:
        from hypothesis import strategies as st

        lo, hi = self._ends(args)
        return st.integers(min_value=lo, max_value=hi)


def shape_of(param: str, axis: int = 0, offset: int = 0) -> Callable[[Args], int | None]:
    """A reference to another argument's length along ``axis`` (plus ``offset``), for shapes and bounds.

    Works on the normalised array and on the argument as given (a nested list); gives
    ``None`` (that end unchecked) when the argument is absent or has no such axis.

    Examples
    --------
    >>> Integer(1, shape_of("means")).check(2, "k", {"means": [0.1, 0.5, 0.9]})
    2
    """

    def ref(args: Args) -> int | None:
        value = args.get(param)
        if value is None:
            return None
        try:
            shape = np.shape(value)
        except Exception:
            return None
        if not -len(shape) <= axis < len(shape):
            return None
        return int(shape[axis]) + offset

    ref.__name__ = f"len({param})" if axis == 0 else f"{param}.shape[{axis}]"
    ref.__name__ += f" + {offset}" if offset > 0 else (f" - {-offset}" if offset < 0 else "")
    return ref


def value_of(param: str, offset: int = 0) -> Callable[[Args], int | None]:
    """A reference to another integer argument (plus ``offset``); ``None`` when it is absent
    or not an integer (its own constraint reports that).

    Examples
    --------
    >>> Integer(0, value_of("n_states", -1)).check(4, "state", {"n_states": 5})
    4
    """

    def ref(args: Args) -> int | None:
        value = args.get(param)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
            return None
        return int(value) + offset

    ref.__name__ = param + (f" + {offset}" if offset > 0 else f" - {-offset}" if offset < 0 else "")
    return ref


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


#: Upper limit of the floats one call may allocate for an array it builds (8 GB).
MAX_ENTRIES: int = 10**9


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


class Bool(Constraint):
    """``True`` or ``False`` (Python or numpy bool); ``0``, ``1`` and ``"True"`` are refused."""

    def check(self, value: Any, name: str, args: Args | None = None) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise _not_kind(value, name, "True or False")
        return bool(value)

    def accepts_kind(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))

    def __str__(self) -> str:
        return "a bool"

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        return [(1, TypeError), (0, TypeError), ("True", TypeError), (None, TypeError), (1.0, TypeError)]

    def valid_values(self, args: Args | None = None) -> list[Any]:
        return [False, True]


class Options(Constraint):
    """One of a fixed set of values (usually strings).

    Examples
    --------
    >>> Options("span", "sup").check("sup", "stopping")
    'sup'
    """

    def __init__(self, *values: Any) -> None:
        if not values:
            raise ValueError("Options: give at least one value")
        self.values = tuple(values)

    def accepts_kind(self, value: Any) -> bool:
        return any(type(value) is type(v) for v in self.values)

    def check(self, value: Any, name: str, args: Args | None = None) -> Any:
        if not self.accepts_kind(value):
            raise _not_kind(value, name, f"one of {self._listing()}")
        for v in self.values:
            if value == v:
                return v
        raise InvalidParameterError(name, f"expected one of {self._listing()}, got {_short(value)}")

    def _listing(self) -> str:
        return ", ".join(repr(v) for v in self.values)

    def __str__(self) -> str:
        return f"one of {self._listing()}"

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        out: list[tuple[Any, type[Exception]]] = [(object(), TypeError), (None, TypeError)]
        if all(isinstance(v, str) for v in self.values):
            out += [("no-such-option", ValueError), (1, TypeError), (self.values[0].upper() + "!", ValueError)]
        return out

    def valid_values(self, args: Args | None = None) -> list[Any]:
        return list(self.values)


class Instance(Constraint):
    """An instance of one of the given types (``what`` describes it in messages)."""

    def __init__(self, *types: type, what: str | None = None) -> None:
        self.types = types
        self.what = what or " or ".join(f"a {t.__name__}" for t in types)

    def accepts_kind(self, value: Any) -> bool:
        return isinstance(value, self.types)

    def check(self, value: Any, name: str, args: Args | None = None) -> Any:
        if not isinstance(value, self.types):
            raise _not_kind(value, name, self.what)
        return value

    def __str__(self) -> str:
        return self.what

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        cands = [object(), 1.5, "x", None]
        return [(v, TypeError) for v in cands if not isinstance(v, self.types)]


class Implements(Constraint):
    """Any object with the given callable methods (a structural protocol check)."""

    def __init__(self, *methods: str, what: str | None = None) -> None:
        self.methods = methods
        self.what = what or "an object with methods " + ", ".join(f"{m}()" for m in methods)

    def accepts_kind(self, value: Any) -> bool:
        return all(callable(getattr(value, m, None)) for m in self.methods)

    def check(self, value: Any, name: str, args: Args | None = None) -> Any:
        missing = [m for m in self.methods if not callable(getattr(value, m, None))]
        if missing:
            raise InvalidParameterTypeError(
                name, f"expected {self.what}; {type(value).__name__} has no method {missing[0]}()"
            )
        return value

    def __str__(self) -> str:
        return self.what

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        return [(object(), TypeError), (1.5, TypeError), (None, TypeError)]


class IsCallable(Constraint):
    """A callable (function, lambda, object with ``__call__``)."""

    def __init__(self, what: str = "a callable") -> None:
        self.what = what

    def accepts_kind(self, value: Any) -> bool:
        return callable(value)

    def check(self, value: Any, name: str, args: Args | None = None) -> Any:
        if not callable(value):
            raise _not_kind(value, name, self.what)
        return value

    def __str__(self) -> str:
        return self.what

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        return [(1, TypeError), ("f", TypeError), (None, TypeError)]


class RNG(Constraint):
    """What every ``rng`` argument accepts: a numpy Generator, a seed ``>= 0`` or ``None``.

    The value is checked, not converted (an int seed stays an int, so code that records
    seeds keeps seeing them); :func:`rlcore.as_generator` turns it into a generator.
    """

    def accepts_kind(self, value: Any) -> bool:
        return (
            value is None
            or isinstance(value, np.random.Generator)
            or (not isinstance(value, (bool, np.bool_)) and isinstance(value, (numbers.Integral, np.integer)))
        )

    def check(self, value: Any, name: str, args: Args | None = None) -> Any:
        if value is None or isinstance(value, np.random.Generator):
            return value
        if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_)):
            if int(value) < 0:
                raise InvalidParameterError(name, f"a seed must be non-negative, got {int(value)}")
            return value
        if isinstance(value, np.random.RandomState):
            raise InvalidParameterTypeError(
                name, "legacy numpy RandomState is not supported; pass np.random.default_rng(seed), an int seed or None"
            )
        raise _not_kind(value, name, str(self))

    def __str__(self) -> str:
        return "a numpy Generator, a seed >= 0 or None"

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        return [
            (-1, ValueError),
            (True, TypeError),
            (1.5, TypeError),
            ("0", TypeError),
            (np.random.RandomState(0), TypeError),
        ]

    def valid_values(self, args: Args | None = None) -> list[Any]:
        return [0, 2**63, None]


class MDP(Constraint):
    """A :class:`rlcore.FiniteMDP`, optionally required to be discounted or finite-horizon.

    Parameters
    ----------
    discounted : bool, optional
        True: the MDP must have a discount ``gamma``; False: a finite ``horizon``.
    hint : str, optional
        What to use instead, appended to the error for the wrong criterion.
    """

    def __init__(self, discounted: bool | None = None, *, hint: str | None = None) -> None:
        self.discounted = discounted
        self.hint = hint

    def accepts_kind(self, value: Any) -> bool:
        from rlcore.mdp import FiniteMDP

        return isinstance(value, FiniteMDP)

    def check(self, value: Any, name: str, args: Args | None = None) -> Any:
        if not self.accepts_kind(value):
            raise _not_kind(value, name, "a rlcore.FiniteMDP")
        if self.discounted is True and value.gamma is None:
            hint = self.hint or "for a finite horizon use tabular.backward_induction"
            raise InvalidParameterError(name, f"needs a discounted MDP (gamma in [0, 1)); {hint}")
        if self.discounted is False and value.horizon is None:
            hint = self.hint or "for a discounted MDP use a discounted planner"
            raise InvalidParameterError(name, f"needs a finite-horizon MDP (horizon H >= 1); {hint}")
        return value

    def __str__(self) -> str:
        kind = {None: "", True: "discounted ", False: "finite-horizon "}[self.discounted]
        return f"a {kind}rlcore.FiniteMDP"

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        out: list[tuple[Any, type[Exception]]] = [(object(), TypeError), (None, TypeError), ("mdp", TypeError)]
        from rlcore.mdp import FiniteMDP

        one = np.ones((1, 1, 1))
        if self.discounted is True:
            out.append((FiniteMDP(one, [[0.0]], horizon=2), ValueError))
        elif self.discounted is False:
            out.append((FiniteMDP(one, [[0.0]], gamma=0.5), ValueError))
        return out


class Unchecked(Constraint):
    """A parameter the layer does not check here, with the reason written down.

    For arguments forwarded elsewhere (``**kwargs`` passed to a solver that validates
    them) or objects checked by the protocol they are used through.
    """

    def __init__(self, reason: str) -> None:
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("reason: say why the parameter is not checked here")
        self.reason = reason

    def check(self, value: Any, name: str, args: Args | None = None) -> Any:
        return value

    def __str__(self) -> str:
        return f"anything ({self.reason})"


class AnyOf(Constraint):
    """Accepts what any of its alternatives accepts (``None`` stands for the value ``None``)."""

    def __init__(self, *alternatives: Any) -> None:
        flat: list[Constraint] = []
        self.none_ok = False
        for alt in alternatives:
            if alt is None:
                self.none_ok = True
            elif isinstance(alt, AnyOf):
                flat.extend(alt.constraints())
                self.none_ok = self.none_ok or alt.none_ok
            elif isinstance(alt, Constraint):
                flat.append(alt)
            else:
                raise TypeError(f"AnyOf: expected constraints or None, got {alt!r}")
        self.alternatives: tuple[Constraint, ...] = tuple(flat)

    def constraints(self) -> tuple[Constraint, ...]:
        """The alternatives other than ``None``."""
        return self.alternatives

    def accepts_kind(self, value: Any) -> bool:
        return (value is None and self.none_ok) or any(c.accepts_kind(value) for c in self.alternatives)

    def check(self, value: Any, name: str, args: Args | None = None) -> Any:
        if value is None and self.none_ok:
            return None
        kinds = [c for c in self.alternatives if c.accepts_kind(value)]
        if not kinds:
            raise _not_kind(value, name, str(self))
        first: Exception | None = None
        for c in kinds:
            try:
                return c.check(value, name, args)
            except (InvalidParameterError, InvalidParameterTypeError) as exc:
                first = first or exc
        assert first is not None
        if isinstance(kinds[0], Options) and len(self.alternatives) > 1:
            # "expected one of 'auto'" would hide the other alternatives: name them all
            raise type(first)(name, f"expected {self}, got {_short(value)}") from None
        raise first

    def __str__(self) -> str:
        parts = [str(c) for c in self.alternatives] + (["None"] if self.none_ok else [])
        return " or ".join(parts)

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        out: list[tuple[Any, type[Exception]]] = []
        for c in self.alternatives:
            for v, exc in c.invalid_values(args):
                if v is None and self.none_ok:
                    continue
                if any(d is not c and d.accepts_kind(v) and _accepts(d, v, args) for d in self.alternatives):
                    continue
                kind_owners = [d for d in self.alternatives if d.accepts_kind(v)]
                if not kind_owners:
                    exc = TypeError
                elif kind_owners[0] is not c:
                    continue  # another alternative judges this value first
                out.append((v, exc))
        return out

    def valid_values(self, args: Args | None = None) -> list[Any]:
        out = [v for c in self.alternatives for v in c.valid_values(args)]
        return out + ([None] if self.none_ok else [])

    def strategy(self, args: Args | None = None) -> Any:
        from hypothesis import strategies as st

        strategies = [c.strategy(args) for c in self.alternatives]
        if self.none_ok:
            strategies.append(st.none())
        return st.one_of(*strategies)


def _accepts(c: Constraint, value: Any, args: Args | None) -> bool:
    try:
        c.check(value, "x", args)
    except (ValueError, TypeError):
        return False
    return True


# ------------------------------------------------------------------------------- arrays
def _resolve(ref: Any, args: Args | None) -> Any:
    """A shape entry or bound: an int, ``None``, or ``"param.attr"`` read from the arguments."""
    if ref is None or isinstance(ref, (int, float, np.integer, np.floating)):
        return ref
    if callable(ref):
        return ref(args or {})
    if isinstance(ref, str):
        root, *attrs = ref.split(".")
        if args is None or root not in args or args[root] is None:
            return None
        value = args[root]
        for a in attrs:
            if a in ("shape", "ndim", "size") and isinstance(value, (list, tuple)):
                value = np.asarray(value)  # a raw list argument, not yet converted
            try:
                value = getattr(value, a)
            except AttributeError:
                return None  # the argument is of the wrong kind: its own constraint says so
        return value
    raise TypeError(f"cannot resolve {ref!r}")


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


class Policy(Constraint):
    """A tabular policy for an MDP given by another argument (see :func:`rlcore.validate_policy`).

    Parameters
    ----------
    mdp : str
        Name of the argument holding the :class:`rlcore.FiniteMDP`.
    deterministic : bool, optional
        True: only ``int`` arrays of shape (S,) / (H, S); False: only stochastic ones.
    """

    def __init__(self, mdp: str = "mdp", *, deterministic: bool | None = None) -> None:
        self.mdp = mdp
        self.deterministic = deterministic

    def accepts_kind(self, value: Any) -> bool:
        return isinstance(value, (np.ndarray, list, tuple))

    def check(self, value: Any, name: str, args: Args | None = None) -> np.ndarray:
        from rlcore.policies import validate_policy

        mdp = _resolve(self.mdp, args)
        if mdp is None:
            raise InvalidParameterError(name, f"needs the MDP argument {self.mdp!r} to check the policy")
        pi = validate_policy(value, mdp.n_states, mdp.n_actions, mdp.horizon, name=name)
        if self.deterministic is True and not np.issubdtype(pi.dtype, np.integer):
            raise InvalidParameterTypeError(name, "expected a deterministic policy (an int array of actions)")
        if self.deterministic is False and np.issubdtype(pi.dtype, np.integer):
            raise InvalidParameterTypeError(name, "expected a stochastic policy (rows of action probabilities)")
        return pi

    def __str__(self) -> str:
        kind = {None: "", True: "deterministic ", False: "stochastic "}[self.deterministic]
        return f"a {kind}tabular policy"

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        out: list[tuple[Any, type[Exception]]] = [("x", TypeError), (None, TypeError), (1.5, TypeError)]
        mdp = _resolve(self.mdp, args)
        if mdp is not None:
            S, A = mdp.n_states, mdp.n_actions
            out.append((np.full(S, A, dtype=np.int64), ValueError))  # action out of range
            out.append((np.full(S + 1, 0, dtype=np.int64), ValueError))  # wrong length
            if self.deterministic is not True:
                out.append((np.full((S, A), 0.5 / A), ValueError))  # rows sum to 1/2
        return out


class Sequence_(Constraint):
    """A list or tuple whose items each satisfy ``item`` (checked and normalised).

    ``length`` fixes the number of items, or ``min_len``/``max_len`` bound it. Returns
    a tuple.
    """

    def __init__(
        self, item: Constraint, *, length: int | None = None, min_len: int = 1, max_len: int | None = None
    ) -> None:
        self.item = item
        self.length = length
        self.min_len = min_len if length is None else length
        self.max_len = max_len if length is None else length

    def accepts_kind(self, value: Any) -> bool:
        return isinstance(value, (list, tuple))

    def check(self, value: Any, name: str, args: Args | None = None) -> tuple[Any, ...]:
        if not isinstance(value, (list, tuple)):
            raise _not_kind(value, name, f"a list of {self.item}")
        n = len(value)
        if n < self.min_len or (self.max_len is not None and n > self.max_len):
            want = (
                f"{self.length}"
                if self.length is not None
                else f"at least {self.min_len}" + ("" if self.max_len is None else f" and at most {self.max_len}")
            )
            raise InvalidParameterError(name, f"expected {want} items, got {n}")
        return tuple(self.item.check(v, f"{name}[{i}]", args) for i, v in enumerate(value))

    def __str__(self) -> str:
        return f"a list of {self.item}"

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        out: list[tuple[Any, type[Exception]]] = [("x", TypeError), (None, TypeError), (1.5, TypeError)]
        good = self.item.valid_values(args)
        if good:
            n = max(self.min_len, 1)
            if self.max_len is not None:
                out.append(([good[0]] * (self.max_len + 1), ValueError))
            if self.min_len > 0:
                out.append(([], ValueError))
            for bad, exc in self.item.invalid_values(args)[:3]:
                out.append(([bad] + [good[0]] * (n - 1), exc))
        return out

    def valid_values(self, args: Args | None = None) -> list[Any]:
        good = self.item.valid_values(args)
        return [[good[0]] * max(self.min_len, 1)] if good else []


class Path(Constraint):
    """A file-system path: a ``str`` or an ``os.PathLike`` (returned as ``pathlib.Path``)."""

    def accepts_kind(self, value: Any) -> bool:
        import os

        return isinstance(value, (str, os.PathLike))

    def check(self, value: Any, name: str, args: Args | None = None) -> Any:
        import pathlib

        if not self.accepts_kind(value):
            raise _not_kind(value, name, "a path (str or os.PathLike)")
        if isinstance(value, str) and not value:
            raise InvalidParameterError(name, "expected a path, got an empty string")
        return pathlib.Path(value)

    def __str__(self) -> str:
        return "a path"

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        return [(1, TypeError), (None, TypeError), ("", ValueError)]


class Device(Constraint):
    """A torch device: ``"cpu"``, ``"cuda"``, ``"cuda:0"`` ... or a ``torch.device``.

    Checked by parsing (``torch.device(value)``), not by looking for the hardware; torch is
    imported (through :func:`rlcore.deep.require_torch`) only when a value is checked.
    Without torch installed a string is accepted as it is: the call that needs torch then
    raises the ``ImportError`` naming the extra.
    """

    def accepts_kind(self, value: Any) -> bool:
        return isinstance(value, str) or type(value).__name__ == "device"

    def check(self, value: Any, name: str, args: Args | None = None) -> Any:
        if not self.accepts_kind(value):
            raise _not_kind(value, name, "a torch device such as 'cpu' or 'cuda'")
        from rlcore.deep.layer import require_torch, torch_available

        if isinstance(value, str) and not torch_available():
            return value
        torch = require_torch(name)
        try:
            return torch.device(value)
        except (RuntimeError, ValueError, TypeError) as exc:
            raise InvalidParameterError(name, f"not a torch device: {value!r} ({exc})") from None

    def __str__(self) -> str:
        return "a torch device"

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        return [(1, TypeError), (None, TypeError), ("no-such-device", ValueError)]


class FloatDtype(Constraint):
    """A floating-point ``torch.dtype`` (``torch.float32``, ``torch.float64``, ...)."""

    def accepts_kind(self, value: Any) -> bool:
        torch = sys.modules.get("torch")
        return torch is not None and isinstance(value, torch.dtype)

    def check(self, value: Any, name: str, args: Args | None = None) -> Any:
        if not self.accepts_kind(value):
            raise InvalidParameterTypeError(
                name, f"expected a floating-point torch.dtype such as torch.float32, got {type(value).__name__}"
            )
        if not value.is_floating_point:
            raise InvalidParameterError(name, f"expected a floating-point torch.dtype, got {value}")
        return value

    def __str__(self) -> str:
        return "a floating-point torch.dtype"

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        out: list[tuple[Any, type[Exception]]] = [("float32", TypeError), (1, TypeError), (object(), TypeError)]
        torch = sys.modules.get("torch")
        if torch is not None:
            out.append((torch.int64, ValueError))
        return out


def Regressor() -> Implements:
    """Any object following the regressor protocol (``fit`` and ``predict`` methods)."""
    return Implements("fit", "predict", what="a regressor with fit() and predict() (scikit-learn protocol)")


def Simulator() -> Implements:
    """Any object following :class:`rlcore.Simulator` (``reset`` and ``step`` methods)."""
    return Implements("reset", "step", what="a simulator with reset() and step() (rlcore.Simulator)")


# =====================================================================================
# the decorator
# =====================================================================================
_SKIP = ("self", "cls")


def validate_params(**constraints: Constraint) -> Callable[[F], F]:
    """Declare and enforce a constraint for every parameter of a function or class.

    Applied to a class, it wraps ``__init__`` (a dataclass's generated one too: put it
    above ``@dataclass``). Every parameter of the signature (but ``self``) must be given
    a constraint, and every constraint must name a parameter: both are checked when the
    module is imported. Arguments are checked in signature order, each replaced by its
    normalised value (``float``, ``int``, float64 array ...), so the body can trust
    them and a shape may refer to an earlier argument (``shape=("mdp.n_states",)``).
    A reference resolves against the arguments as they stand when the constraint runs:
    the normalised value of an earlier argument, the value as given of a later one (its
    own constraint has not run yet: read it defensively), and nothing for a later one left
    to its default.
    Defaults are trusted and passed as they are.

    Examples
    --------
    >>> @validate_params(x=Real(0, None, closed="neither"), n=Integer(1, 100))
    ... def f(x, n=2):
    ...     return x ** n
    >>> f(3, 2)
    9.0
    >>> f("3")
    Traceback (most recent call last):
    ...
    rlcore.validation.InvalidParameterTypeError: x: expected a real number, got '3' of type str
    """
    for key, c in constraints.items():
        if not isinstance(c, Constraint):
            raise TypeError(f"validate_params: the constraint for {key!r} is not a Constraint: {c!r}")

    def decorate(obj: F) -> F:
        if isinstance(obj, type):
            cls = obj
            init = cls.__dict__.get("__init__", object.__init__)
            wrapped = _wrap(init, constraints, cls.__qualname__)
            cls.__init__ = wrapped  # type: ignore[misc]
            return obj
        return _wrap(obj, constraints, getattr(obj, "__qualname__", repr(obj)))

    return decorate


def _wrap(fn: F, constraints: dict[str, Constraint], owner: str) -> F:
    sig = inspect.signature(fn)
    params = [p for p in sig.parameters.values() if p.name not in _SKIP]
    names = [p.name for p in params]
    missing = [n for n in names if n not in constraints]
    extra = [n for n in constraints if n not in names]
    if missing or extra:
        raise TypeError(
            f"validate_params({owner}): "
            + (f"no constraint for {missing}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"constraints for unknown parameters {extra}" if extra else "")
        )
    defaults = {p.name: p.default for p in params}
    var_pos = {p.name for p in params if p.kind is p.VAR_POSITIONAL}
    var_kw = {p.name for p in params if p.kind is p.VAR_KEYWORD}
    order = [(n, constraints[n]) for n in names]
    # Fast path (no *args/**kwargs, no positional-only parameters): bind by hand, which is
    # several times cheaper than Signature.bind; anything unusual takes the general path,
    # whose errors (a missing or unexpected argument) are Python's own.
    pos_names = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    kw_names = set(names)
    required = {p.name for p in params if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    has_self = len(params) != len(sig.parameters)
    simple = not var_pos and not var_kw and all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in params)

    def general(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        bound = sig.bind(*args, **kwargs)
        arguments = bound.arguments
        checked: dict[str, Any] = dict(arguments)
        for name, c in order:
            if name not in arguments:
                checked[name] = defaults[name]
                continue
            value = arguments[name]
            if value is defaults[name]:
                continue
            if name in var_pos:
                value = tuple(c.check(v, f"{name}[{i}]", checked) for i, v in enumerate(value))
            elif name in var_kw:
                value = {k: c.check(v, k, checked) for k, v in value.items()}
            else:
                value = c.check(value, name, checked)
            arguments[name] = checked[name] = value
        return fn(*bound.args, **bound.kwargs)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        head = args[:1] if has_self else ()
        rest = args[1:] if has_self else args
        n = len(rest)
        if not simple or n > len(pos_names):
            return general(args, kwargs)
        checked: dict[str, Any] = dict(zip(pos_names, rest))
        for k in kwargs:
            if k in checked or k not in kw_names:
                return general(args, kwargs)  # Python's own TypeError
        checked.update(kwargs)
        if not required.issubset(checked):
            return general(args, kwargs)
        given = set(checked)
        for name, c in order:
            if name not in given:
                checked[name] = defaults[name]
                continue
            value = checked[name]
            if value is not defaults[name]:
                checked[name] = c.check(value, name, checked)
        return fn(*head, *(checked[k] for k in pos_names[:n]), **{k: checked[k] for k in kwargs})

    wrapper.__validated_params__ = dict(constraints)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def declare_params(**constraints: Constraint) -> Callable[[F], F]:
    """Declare a function's constraints without wrapping it, for functions on hot paths.

    For a public function that per-step code calls millions of times (e.g.
    :func:`rlcore.as_generator`), even the wrapper of :func:`validate_params` costs
    noticeable time. Such a function checks its arguments itself, with the same
    primitives, and declares the constraints it enforces: the generated API walk then
    holds it to them exactly as it holds a wrapped function (every derived invalid value
    must be refused by name), so the declaration cannot drift from the behaviour
    unnoticed.
    """
    for key, c in constraints.items():
        if not isinstance(c, Constraint):
            raise TypeError(f"declare_params: the constraint for {key!r} is not a Constraint: {c!r}")

    def decorate(fn: F) -> F:
        params = [p.name for p in inspect.signature(fn).parameters.values() if p.name not in _SKIP]
        if sorted(params) != sorted(constraints):
            raise TypeError(f"declare_params({fn.__qualname__}): declare exactly the parameters {params}")
        fn.__validated_params__ = dict(constraints)  # type: ignore[attr-defined]
        return fn

    return decorate


def constraints_of(obj: Any) -> dict[str, Constraint] | None:
    """The declared constraints of a function, or of a class's constructor; None if none."""
    target = obj
    if isinstance(obj, type):  # the constructor that runs: the first __init__ along the MRO
        target = next((k.__dict__["__init__"] for k in obj.__mro__ if "__init__" in k.__dict__), None)
    found = getattr(target, "__validated_params__", None)
    return None if found is None else dict(found)


def iter_invalid(constraint: Constraint, args: Args | None = None) -> Iterable[tuple[Any, type[Exception]]]:
    """The invalid values of a constraint that it really refuses (sanity filter)."""
    for value, exc in constraint.invalid_values(args):
        if not _accepts(constraint, value, args):
            yield value, exc
