"""The decorator that declares and enforces every parameter's constraint, and its introspection."""

from __future__ import annotations

import functools
import inspect
from typing import Any, TypeVar
from collections.abc import Callable, Iterable

from rlcore.validation.constraint import Args, Constraint, _accepts

__all__ = ["constraints_of", "declare_params", "iter_invalid", "validate_params"]

F = TypeVar("F", bound=Callable[..., Any])

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
    >>> from rlcore.validation import Integer, Real
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
