"""The checks of a :class:`~rlcore.Dataset`'s columns and metadata (private).

Each column is checked and copied by a constraint of the validation layer (so the
generated API walk derives invalid columns from it); metadata must be plain, bounded
JSON, checked iteratively (no recursion, whatever the nesting).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, cast

import numpy as np

from .validation import Constraint, InvalidParameterError, InvalidParameterTypeError

#: The columns of a :class:`~rlcore.Dataset`, in storage order.
COLUMNS = (
    "observations",
    "actions",
    "rewards",
    "next_observations",
    "terminated",
    "truncated",
    "episode_ids",
    "timesteps",
)
#: Deepest nesting of metadata (a flat dict is depth 1): JSON parsers recurse per level.
MAX_METADATA_DEPTH: int = 64
#: Longest metadata, as compact JSON text (characters).
MAX_METADATA_CHARS: int = 1 << 22


# ----------------------------------------------------------------------- columns
def _as_array(x: Any, name: str) -> np.ndarray:
    """Return a C-contiguous copy of ``x``: bool, integer or finite float, at least 1-D."""
    if x is None or isinstance(x, (str, bytes)):
        raise InvalidParameterTypeError(name, f"expected an array, got {type(x).__name__}")
    try:
        arr = np.array(x, copy=True, order="C")
    except (ValueError, TypeError) as exc:
        raise InvalidParameterTypeError(
            name, f"expected an array, could not convert {type(x).__name__} ({exc})"
        ) from None
    if arr.dtype.kind not in "biuf":
        raise InvalidParameterTypeError(name, f"expected a bool, integer or float array, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise InvalidParameterError(name, "expected an array with a leading axis of length N, got a scalar")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise InvalidParameterError(name, f"entries must be finite, found {arr[bad]} at index {bad}")
    return arr


def _as_int64(x: Any, name: str) -> np.ndarray:
    arr = _as_array(x, name)
    if arr.dtype.kind not in "iu":
        raise InvalidParameterTypeError(name, f"expected an integer array of shape (N,), got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise InvalidParameterError(name, f"expected an integer array of shape (N,), got shape {arr.shape}")
    if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise InvalidParameterError(name, f"entries must fit in int64, found {arr.max()}")
    return arr.astype(np.int64)


def _as_rewards(x: Any, name: str) -> np.ndarray:
    rew = _as_array(x, name)
    if rew.dtype.kind == "b":
        raise InvalidParameterTypeError(name, f"expected a finite float array of shape (N,), got dtype {rew.dtype}")
    if rew.ndim != 1:
        raise InvalidParameterError(name, f"expected a finite float array of shape (N,), got shape {rew.shape}")
    return rew.astype(np.float64)


def _as_flags(x: Any, name: str) -> np.ndarray:
    arr = _as_array(x, name)
    if arr.dtype != np.bool_:
        raise InvalidParameterTypeError(
            name, f"expected a bool array of shape (N,), got dtype {arr.dtype} (convert 0/1 flags with .astype(bool))"
        )
    if arr.ndim != 1:
        raise InvalidParameterError(name, f"expected a bool array of shape (N,), got shape {arr.shape}")
    return arr


class Column(Constraint):
    """One column of a :class:`Dataset`, checked and copied (C-contiguous, at least 1-D).

    ``kind``: ``"any"`` (bool, integer or finite float, any trailing shape),
    ``"rewards"`` (finite real, shape (N,), stored as float64), ``"flags"`` (bool,
    shape (N,)) or ``"ints"`` (integer, shape (N,), stored as int64). Lengths are
    compared in the constructor.
    """

    _CHECKS = {"any": _as_array, "rewards": _as_rewards, "flags": _as_flags, "ints": _as_int64}

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def accepts_kind(self, value: Any) -> bool:
        return value is not None and not isinstance(value, (str, bytes))

    def check(self, value: Any, name: str, args: dict | None = None) -> np.ndarray:
        return self._CHECKS[self.kind](value, name)

    def __str__(self) -> str:
        return {
            "any": "a bool, integer or finite float array",
            "rewards": "a finite float array of shape (N,)",
            "flags": "a bool array of shape (N,)",
            "ints": "an integer array of shape (N,)",
        }[self.kind]

    def invalid_values(self, args: dict | None = None) -> list[tuple[Any, type[Exception]]]:
        out: list[tuple[Any, type[Exception]]] = [
            ("x", TypeError),
            (None, TypeError),
            (np.array(["a", "b"]), TypeError),
            (np.array([1 + 1j, 0j]), TypeError),
            (np.array([0, "a"], dtype=object), TypeError),
            ([[0.0, 1.0], [0.0]], TypeError),
            (np.float64(1.0) if self.kind != "flags" else np.True_, ValueError),
        ]
        if self.kind in ("any", "rewards"):
            out += [(np.array([np.nan, 0.0]), ValueError), (np.array([np.inf, 0.0]), ValueError)]
        if self.kind == "rewards":
            out += [(np.array([True, False]), TypeError), (np.zeros((2, 2)), ValueError)]
        if self.kind == "flags":
            out += [(np.array([0, 1]), TypeError), (np.zeros((2, 1), bool), ValueError)]
        if self.kind == "ints":
            out += [
                (np.array([0.0, 1.0]), TypeError),
                (np.array([2**63, 2**63], np.uint64), ValueError),
                (np.zeros((2, 1), np.int64), ValueError),
            ]
        return out


# ----------------------------------------------------------------------- metadata
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """Deepest nesting of ``[`` / ``{`` in a JSON text (strings skipped), in linear time."""
    depth = deepest = 0
    for b in _BRACKETS.findall(_JSON_STRING.sub("", text)):
        depth += 1 if b in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _metadata_problem(obj: Any) -> tuple[type[Exception], str] | None:
    """The first reason ``obj`` is not plain, bounded JSON (iterative: no recursion)."""
    stack: list[tuple[Any, str, int]] = [(obj, "metadata", 1)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, Mapping) or isinstance(value, (list, tuple)):
            if depth > MAX_METADATA_DEPTH:
                return ValueError, f"nested deeper than {MAX_METADATA_DEPTH} levels at {where}"
            if isinstance(value, Mapping):
                for key, item in value.items():
                    if not isinstance(key, str):
                        return TypeError, f"keys must be str, got {key!r} at {where}"
                    stack.append((item, f"{where}[{key!r}]", depth + 1))
            else:
                stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, float):
            if not np.isfinite(value):
                return ValueError, f"numbers must be finite (JSON has no NaN or infinity), got {value!r} at {where}"
        elif not (value is None or isinstance(value, (str, bool, int))):
            return TypeError, (
                "expected JSON-serialisable plain values (str, int, finite float, bool, None, lists and dicts "
                f"of those), got {type(value).__name__} at {where}"
            )
    return None


def as_metadata(metadata: Any, name: str = "metadata") -> dict[str, Any]:
    if not isinstance(metadata, Mapping):
        raise InvalidParameterTypeError(name, f"expected a dict of JSON values, got {type(metadata).__name__}")
    problem = _metadata_problem(metadata)
    if problem is not None:
        kind, message = problem
        raise (InvalidParameterTypeError if kind is TypeError else InvalidParameterError)(name, message)
    text = json.dumps(dict(metadata), allow_nan=False)
    if len(text) > MAX_METADATA_CHARS:
        raise InvalidParameterError(
            name, f"the metadata take {len(text)} characters of JSON, more than the limit {MAX_METADATA_CHARS}"
        )
    return cast(dict[str, Any], json.loads(text))  # a deep, normalised copy: tuples become lists


class Metadata(Constraint):
    """A dict of plain JSON values: str keys, finite numbers, at most
    :data:`MAX_METADATA_DEPTH` levels deep and :data:`MAX_METADATA_CHARS` characters long."""

    def accepts_kind(self, value: Any) -> bool:
        return isinstance(value, Mapping)

    def check(self, value: Any, name: str, args: dict | None = None) -> dict[str, Any]:
        return as_metadata(value, name)

    def __str__(self) -> str:
        return "a dict of plain JSON values"

    def invalid_values(self, args: dict | None = None) -> list[tuple[Any, type[Exception]]]:
        deep: Any = 0
        for _ in range(MAX_METADATA_DEPTH + 1):
            deep = [deep]
        return [
            (["a"], TypeError),
            ("x", TypeError),
            (None, TypeError),
            ({"x": np.int64(1)}, TypeError),
            ({1: "a"}, TypeError),
            ({"x": float("nan")}, ValueError),
            ({"x": deep}, ValueError),
            ({"x": object()}, TypeError),
        ]


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, allow_nan=False)
