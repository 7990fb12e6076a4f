"""Plain-data conversion shared by the sweep description and the record store (private).

Two conversions, both strict (anything they do not know is an
:class:`~rlcore.validation.InvalidParameterTypeError` naming the offending path, never a
silent ``str(obj)``; data nested deeper than :data:`MAX_DEPTH` levels is refused, so
nothing recurses without bound):

* :func:`canonical_config` turns a configuration into JSON-native data (dicts with str
  keys, lists, str, int, finite float, bool, None), so that its canonical JSON text
  (:func:`canonical_json`: sorted keys, no spaces) identifies it;
* :func:`to_jsonable` turns a run's result into JSON-native data, converting NumPy
  arrays and scalars on the way. ``ndarray.tolist()`` turns float64 entries into
  Python floats exactly, and :func:`json.dumps` writes a float with :func:`repr`, the
  shortest string that reads back to the same double, so a float64 survives the trip
  to disk and back bit for bit. Non-finite floats are written as ``NaN``,
  ``Infinity`` and ``-Infinity`` (what :mod:`json` reads back; strict JSON has no
  spelling for them).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from rlcore.validation import InvalidParameterError, InvalidParameterTypeError

__all__ = ["MAX_DEPTH", "canonical_config", "canonical_json", "dumps_record", "to_jsonable"]

#: Deepest nesting of a configuration or a result (a flat dict is depth 1).
MAX_DEPTH: int = 64


def _convert(obj: Any, where: str, *, allow_arrays: bool, allow_nonfinite: bool, depth: int = 1) -> Any:
    if depth > MAX_DEPTH + 1:
        raise InvalidParameterError(where, f"nested deeper than {MAX_DEPTH} levels")
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        if not allow_nonfinite and not math.isfinite(value):
            raise InvalidParameterError(where, f"expected a finite number, got {value!r}")
        return value
    if isinstance(obj, Mapping):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise InvalidParameterTypeError(
                    where,
                    f"dict keys must be str (JSON would turn {k!r} into a string), "
                    f"got a key of type {type(k).__name__}",
                )
            out[k] = _convert(
                v, f"{where}[{k!r}]", allow_arrays=allow_arrays, allow_nonfinite=allow_nonfinite, depth=depth + 1
            )
        return out
    if isinstance(obj, (list, tuple)):
        return [
            _convert(v, f"{where}[{i}]", allow_arrays=allow_arrays, allow_nonfinite=allow_nonfinite, depth=depth + 1)
            for i, v in enumerate(obj)
        ]
    if isinstance(obj, np.ndarray) and allow_arrays:
        if obj.dtype.kind not in "biuf":
            raise InvalidParameterTypeError(
                where, f"only bool, integer and real float arrays can be stored, got dtype {obj.dtype}"
            )
        if obj.dtype.kind == "f" and not allow_nonfinite and not np.isfinite(obj).all():
            raise InvalidParameterError(where, "expected finite entries")
        if obj.ndim + depth > MAX_DEPTH + 1:
            raise InvalidParameterError(
                where, f"an array of {obj.ndim} dimensions nests deeper than {MAX_DEPTH} levels"
            )
        return obj.tolist()
    kind = "a NumPy array (use a list)" if isinstance(obj, np.ndarray) else f"an object of type {type(obj).__name__}"
    raise InvalidParameterTypeError(
        where,
        f"expected JSON-like plain data (dict with str keys, list, tuple, str, int, float, bool, None), got {kind}",
    )


def canonical_config(config: Any, where: str) -> dict[str, Any]:
    """A configuration as JSON-native data: a dict of str keys, finite numbers, no arrays."""
    if not isinstance(config, Mapping):
        raise InvalidParameterTypeError(where, f"expected a dict of settings, got {type(config).__name__}")
    return _convert(config, where, allow_arrays=False, allow_nonfinite=False)


def canonical_json(data: Any) -> str:
    """Canonical JSON text of JSON-native data: sorted keys, no whitespace, ASCII."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def to_jsonable(obj: Any, where: str = "result") -> Any:
    """A run's result as JSON-native data; NumPy arrays and scalars become lists and numbers."""
    return _convert(obj, where, allow_arrays=True, allow_nonfinite=True)


def dumps_record(record: Mapping[str, Any]) -> str:
    """One record as a single JSON line (no trailing newline); key order is kept."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=True, allow_nan=True)
