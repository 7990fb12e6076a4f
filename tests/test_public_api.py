"""The generated walk of the public API: every callable, every parameter, every bad value.

For each name in the ``__all__`` of ``rlcore``, ``tabular``, ``bandits``, ``offline``
and ``finance_apps``, and of their ``deep`` subpackages (names a package also exports at
its top level are walked once, there):

1. it is either declared with :func:`rlcore.validation.validate_params` and has a valid
   example call in ``tests/api_examples``, or exempt with a reason (result types,
   protocols, exceptions, aliases);
2. for every parameter, every invalid value its declared constraint derives
   (:meth:`~rlcore.validation.Constraint.invalid_values`: strings, bools, NaN, inf, out
   of range, wrong shape, ...) is refused with the expected ``TypeError``/``ValueError``
   whose message starts with the parameter's name, and without running for ever;
3. the valid example call, and the same call with each scalar parameter at each of its
   constraint's valid edge values (interval ends, the smallest positive float, ...),
   returns no NaN and no infinity except in the output fields the example documents,
   and raises nothing but the library's own parameter errors.

The counts are printed at the end of the run (``tests/conftest.py``).
"""

from __future__ import annotations

import dataclasses
import faulthandler
import importlib
import inspect
import math
import time
import warnings
from typing import Any
from collections.abc import Iterator

import numpy as np
import pytest

from rlcore.validation import (
    AnyOf,
    Bool,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    Options,
    Real,
    Unchecked,
    constraints_of,
    iter_invalid,
)
from tests.api_examples import Example

PACKAGES = ("rlcore", "tabular", "bandits", "offline", "finance_apps")
_REGISTRY_MODULES = {
    "rlcore": "tests.api_examples.rlcore_examples",
    "tabular": "tests.api_examples.tabular_examples",
    "bandits": "tests.api_examples.bandits_examples",
    "offline": "tests.api_examples.offline_examples",
    "finance_apps": "tests.api_examples.finance_examples",
}
#: The namespaces walked: the packages, their deep subpackages and ``tabular.exploration``
#: (the registry of a ``pkg.sub`` namespace is ``SUB_EXAMPLES`` / ``SUB_EXEMPT`` in the
#: package's module).
NAMESPACES = PACKAGES + tuple(f"{p}.deep" for p in PACKAGES) + ("tabular.exploration",)
#: A call that runs longer than this is a hang: the process dumps every thread's stack
#: and exits, so CI fails loudly instead of waiting for its own time limit.
HANG_SECONDS = 300

#: Counts for the end-of-run summary (read by tests/conftest.py).
SUMMARY: dict[str, Any] = {
    "callables": set(),
    "parameters": set(),
    "invalid_tried": 0,
    "invalid_failures": 0,
    "valid_calls": 0,
    "valid_failures": 0,
    "relation_refusals": 0,
    "slowest": [],
}


def _registry(ns: str) -> tuple[dict[str, Example], dict[str, str]]:
    top, _, sub = ns.partition(".")
    prefix = sub.upper().replace(".", "_") + "_" if sub else ""
    try:
        mod = importlib.import_module(_REGISTRY_MODULES[top])
    except ModuleNotFoundError:
        return {}, {}
    return dict(getattr(mod, prefix + "EXAMPLES", {})), dict(getattr(mod, prefix + "EXEMPT", {}))


def _public(ns: str) -> Iterator[tuple[str, Any]]:
    """The names a namespace exports, less those its top-level package already exports."""
    mod = importlib.import_module(ns)
    top = importlib.import_module(ns.partition(".")[0])
    seen = {id(getattr(top, n)) for n in top.__all__} if top is not mod else set()
    for name in mod.__all__:
        obj = getattr(mod, name)
        if id(obj) not in seen:
            yield name, obj


def _cases() -> list[Any]:
    out = []
    for ns in NAMESPACES:
        examples, _ = _registry(ns)
        mod = importlib.import_module(ns)
        for name in sorted(examples):
            out.append(pytest.param(ns, name, getattr(mod, name, None), examples[name], id=f"{ns}.{name}"))
    return out


CASES = _cases()


# ------------------------------------------------------------------------ coverage
def _exempt_kind_ok(obj: Any) -> bool:
    """Exemptions are for things not called with user input: never plain functions."""
    if inspect.ismodule(obj) or not callable(obj):
        return True
    if inspect.isclass(obj):
        try:
            takes_nothing = not inspect.signature(obj).parameters  # e.g. a base class such as rlcore.Result
        except ValueError:  # builtin-derived classes (exceptions) have no signature
            takes_nothing = False
        return (
            issubclass(obj, BaseException)
            or getattr(obj, "_is_protocol", False)
            or dataclasses.is_dataclass(obj)
            or takes_nothing
        )
    return not (inspect.isfunction(obj) or inspect.isbuiltin(obj))  # typing aliases


@pytest.mark.parametrize("pkg", NAMESPACES)
def test_every_public_callable_is_declared(pkg: str) -> None:
    examples, exempt = _registry(pkg)
    problems = []
    for name, obj in _public(pkg):
        if name in exempt:
            if not _exempt_kind_ok(obj):
                problems.append(f"{name}: exempt ({exempt[name]!r}) but it is a function that takes user input")
            continue
        if inspect.ismodule(obj) or not callable(obj):
            continue
        if constraints_of(obj) is None:
            problems.append(f"{name}: no @validate_params declaration")
        if name not in examples:
            problems.append(f"{name}: no example call in the registry of {pkg}")
    public = dict(_public(pkg))
    for name in list(examples) + list(exempt):
        if name not in public:
            problems.append(f"{name}: listed in the registry of {pkg} but not exported (only) by {pkg}")
    for name, why in exempt.items():
        if not isinstance(why, str) or len(why.strip()) < 8:
            problems.append(f"{name}: an exemption needs its reason")
    assert not problems, f"{len(problems)} problem(s) in {pkg}:\n" + "\n".join(problems)


# ------------------------------------------------------------------------ helpers
def _signature_defaults(obj: Any) -> dict[str, Any]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    sig = inspect.signature(target)
    return {
        p.name: p.default
        for p in sig.parameters.values()
        if p.default is not inspect.Parameter.empty and p.name not in ("self", "cls")
    }


def _call(obj: Any, kwargs: dict[str, Any]) -> Any:
    target = obj.__init__ if inspect.isclass(obj) else obj
    sig = inspect.signature(target)
    args: list[Any] = []
    kw = dict(kwargs)
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL and p.name in kw:
            args.extend(kw.pop(p.name))
        elif p.kind is p.POSITIONAL_ONLY and p.name in kw:
            args.append(kw.pop(p.name))
        elif p.kind is p.VAR_KEYWORD and p.name in kw:
            kw.update(kw.pop(p.name))
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return obj(*args, **kw)
    finally:
        faulthandler.cancel_dump_traceback_later()


def _names_param(exc: BaseException, param: str, kind: Any) -> bool:
    msg = str(exc)
    if kind is inspect.Parameter.VAR_POSITIONAL:
        return msg.startswith(f"{param}[")
    return msg.startswith(f"{param}:") or msg.startswith(f"{param}[") or msg.startswith(f"{param}.")


def _param_kinds(obj: Any) -> dict[str, Any]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    return {p.name: p.kind for p in inspect.signature(target).parameters.values()}


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype}, first={value.ravel()[:1].tolist()})"
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def _nonfinite(obj: Any, path: str = "", depth: int = 0, seen: set[int] | None = None) -> Iterator[tuple[str, str]]:
    """``(path, "nan"|"inf")`` for every non-finite float reachable in a result."""
    seen = set() if seen is None else seen
    if depth > 4 or id(obj) in seen:
        return
    if isinstance(obj, (bool, np.bool_, int, np.integer, str, bytes)) or obj is None:
        return
    if isinstance(obj, (float, np.floating)):
        if math.isnan(obj):
            yield path or "*", "nan"
        elif math.isinf(obj):
            yield path or "*", "inf"
        return
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc" and obj.size:
            if np.isnan(obj).any():
                yield path or "*", "nan"
            elif np.isinf(obj).any():
                yield path or "*", "inf"
        return
    if inspect.ismodule(obj):
        return
    if hasattr(obj, "detach") and hasattr(obj, "cpu"):  # a torch tensor
        yield from _nonfinite(obj.detach().cpu().numpy(), path, depth + 1, seen)
        return
    seen.add(id(obj))
    prefix = f"{path}." if path else ""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _nonfinite(v, f"{prefix}{k}", depth + 1, seen)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj[:64]):
            yield from _nonfinite(v, f"{prefix}{i}", depth + 1, seen)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _nonfinite(getattr(obj, f.name), f"{prefix}{f.name}", depth + 1, seen)
    elif type(obj).__module__.split(".")[0] in PACKAGES and hasattr(obj, "__dict__"):
        for k, v in vars(obj).items():
            if not k.startswith("_"):
                yield from _nonfinite(v, f"{prefix}{k}", depth + 1, seen)


def _allowed(path: str, allowed: dict[str, str]) -> bool:
    return "*" in allowed or any(path == p or path.startswith(p + ".") for p in allowed)


def _scalar_constraint(c: Any) -> bool:
    if isinstance(c, AnyOf):
        return all(_scalar_constraint(a) for a in c.alternatives)
    return isinstance(c, (Real, Integer, Bool, Options))


# ------------------------------------------------------------------------ the walk
@pytest.mark.parametrize(("pkg", "name", "obj", "example"), CASES)
def test_bad_arguments_are_refused_by_name(pkg: str, name: str, obj: Any, example: Example) -> None:
    constraints = constraints_of(obj)
    assert constraints is not None, f"{pkg}.{name}: no @validate_params declaration"
    kinds = _param_kinds(obj)
    base = example.make()
    args = {**_signature_defaults(obj), **base}
    failures = []
    SUMMARY["callables"].add(f"{pkg}.{name}")
    for param, constraint in constraints.items():
        SUMMARY["parameters"].add(f"{pkg}.{name}.{param}")
        if isinstance(constraint, Unchecked):
            continue
        for value, expected in iter_invalid(constraint, args):
            SUMMARY["invalid_tried"] += 1
            call = dict(example.make())
            if kinds[param] is inspect.Parameter.VAR_POSITIONAL:
                call[param] = (value,) + tuple(call.get(param, ()))[1:]
            elif kinds[param] is inspect.Parameter.VAR_KEYWORD:
                continue  # keyword catch-alls are forwarded, and checked where they land
            else:
                call[param] = value
            start = time.perf_counter()
            try:
                _call(obj, call)
            except (ValueError, TypeError) as exc:
                ok_type = isinstance(exc, expected)
                if not (ok_type and _names_param(exc, param, kinds[param])):
                    failures.append(
                        f"{param}={_show(value)}: expected {expected.__name__} naming {param!r}, got "
                        f"{type(exc).__name__}: {str(exc)[:160]}"
                    )
            except Exception as exc:
                failures.append(f"{param}={_show(value)}: wrong exception {type(exc).__name__}: {str(exc)[:160]}")
            else:
                failures.append(f"{param}={_show(value)}: silently accepted")
            elapsed = time.perf_counter() - start
            if elapsed > 5.0:
                failures.append(f"{param}={_show(value)}: took {elapsed:.1f} s to refuse (validation must come first)")
    SUMMARY["invalid_failures"] += len(failures)
    assert not failures, f"{pkg}.{name}: {len(failures)} bad argument(s) not refused properly:\n" + "\n".join(failures)


@pytest.mark.parametrize(("pkg", "name", "obj", "example"), CASES)
def test_valid_arguments_give_finite_results(pkg: str, name: str, obj: Any, example: Example) -> None:
    constraints = constraints_of(obj) or {}
    failures = []

    def run(call: dict[str, Any], label: str) -> None:
        SUMMARY["valid_calls"] += 1
        start = time.perf_counter()
        try:
            out = _call(obj, call)
        except (InvalidParameterError, InvalidParameterTypeError) as exc:
            if label == "example":
                failures.append(f"{label}: the valid example call was refused: {exc}")
            else:
                SUMMARY["relation_refusals"] += 1
            return
        except Exception as exc:
            failures.append(f"{label}: raised {type(exc).__name__}: {str(exc)[:200]}")
            return
        finally:
            SUMMARY["slowest"].append((time.perf_counter() - start, f"{pkg}.{name} [{label}]"))
        for path, kind in _nonfinite(out):
            if kind == "nan" or not _allowed(path, example.nonfinite):
                failures.append(f"{label}: output {path or '*'} is {kind}")

    run(example.make(), "example")
    if example.sweep:
        args = {**_signature_defaults(obj), **example.make()}
        for param, constraint in constraints.items():
            if param in example.skip_params or not _scalar_constraint(constraint):
                continue
            for value in constraint.valid_values(args):
                call = dict(example.make())
                call[param] = value
                run(call, f"{param}={_show(value)}")
    SUMMARY["valid_failures"] += len(failures)
    assert not failures, f"{pkg}.{name}: {len(failures)} problem(s) on valid input:\n" + "\n".join(failures)
