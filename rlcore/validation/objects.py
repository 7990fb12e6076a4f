"""Constraints on objects: instances, protocols and callables, random generators, MDPs and
their policies, sequences, paths, torch devices and dtypes."""

from __future__ import annotations

import sys
import numbers
from typing import Any

import numpy as np

from rlcore.validation.errors import InvalidParameterError, InvalidParameterTypeError
from rlcore.validation.constraint import Args, Constraint, _not_kind, _resolve

__all__ = [
    "MDP",
    "RNG",
    "Device",
    "FloatDtype",
    "Implements",
    "Instance",
    "IsCallable",
    "Path",
    "Policy",
    "Regressor",
    "Sequence_",
    "Simulator",
    "TorchModule",
]


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


class TorchModule(Constraint):
    """A ``torch.nn.Module`` (checked without importing torch: a module implies torch is loaded).

    Examples
    --------
    >>> TorchModule().invalid_values()[0][1].__name__
    'TypeError'
    """

    def accepts_kind(self, value: Any) -> bool:
        torch = sys.modules.get("torch")
        return torch is not None and isinstance(value, torch.nn.Module)

    def check(self, value: Any, name: str, args: Any = None) -> Any:
        if not self.accepts_kind(value):
            raise InvalidParameterTypeError(name, f"expected a torch.nn.Module, got {type(value).__name__}")
        return value

    def __str__(self) -> str:
        return "a torch.nn.Module"

    def invalid_values(self, args: Any = None) -> list[tuple[Any, type[Exception]]]:
        return [(object(), TypeError), (1.5, TypeError), (None, TypeError), ("net", TypeError)]
