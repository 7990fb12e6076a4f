"""Constraints on scalars: real numbers and discounts, integers, bools and options."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from rlcore.validation.errors import InvalidParameterError, _short
from rlcore.validation.checks import _interval, _is_real_scalar, check_discount, check_int, check_real
from rlcore.validation.constraint import Args, Constraint, _not_kind, _resolve

__all__ = ["Bool", "Discount", "Integer", "Options", "Real"]

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
