"""The :class:`Constraint` base class, its union ``a | b`` and references to other arguments.

A constraint states what one parameter accepts. :class:`AnyOf` accepts what any of its
alternatives accepts (``c | None`` also accepts ``None``); :class:`Unchecked` records
why a parameter is left to someone else. A shape entry or bound may refer to another
argument: a string ``"param.attr"``, or :func:`shape_of` / :func:`value_of`.
"""

from __future__ import annotations

import numbers
from typing import Any
from collections.abc import Callable

import numpy as np

from rlcore.validation.errors import InvalidParameterError, InvalidParameterTypeError, _short

__all__ = ["AnyOf", "Constraint", "Unchecked", "shape_of", "value_of"]

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
        from rlcore.validation.scalars import Options  # not at the top: scalars builds on this module

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


def shape_of(param: str, axis: int = 0, offset: int = 0) -> Callable[[Args], int | None]:
    """A reference to another argument's length along ``axis`` (plus ``offset``), for shapes and bounds.

    Works on the normalised array and on the argument as given (a nested list); gives
    ``None`` (that end unchecked) when the argument is absent or has no such axis.

    Examples
    --------
    >>> from rlcore.validation import Integer
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
    >>> from rlcore.validation import Integer
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
