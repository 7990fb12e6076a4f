"""The ``.npz`` file format of :class:`~rlcore.Dataset` (private): writing and checked reading.

The format (version 1) is described in :mod:`rlcore.dataset`'s docstring. Reading goes
through :class:`rlcore._npz.SafeNpz`: the zip directory and ``.npy`` headers are checked
against the schema before any data is decompressed, nothing is unpickled, and every
failure is an :class:`~rlcore.validation.InvalidParameterError` for ``path`` naming the
file.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from rlcore._dataset_columns import COLUMNS, MAX_METADATA_CHARS, MAX_METADATA_DEPTH, json_depth
from rlcore._npz import SafeNpz, path_error

FORMAT_NAME = "rlcore.Dataset"
FORMAT_VERSION = 1
SCHEMA_KEY = "__schema__"


def sha256(arr: np.ndarray) -> str:
    """Hex SHA-256 digest of an array's C-contiguous bytes."""
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def write_dataset_file(columns: dict[str, np.ndarray], metadata: dict[str, Any], target: Path) -> Path:
    """Write the columns and metadata to ``target`` (a temporary name moved into place)."""
    arrays: dict[str, Any] = dict(columns)
    schema = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "columns": [
            {"name": name, "dtype": arr.dtype.str, "shape": list(arr.shape), "sha256": sha256(arr)}
            for name, arr in arrays.items()
        ],
        "metadata": metadata,
    }
    arrays[SCHEMA_KEY] = np.array(json.dumps(schema, allow_nan=False))
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(tmp, "xb") as fh:
            np.savez(fh, **arrays)  # every dtype is plain numeric/bool: nothing is pickled
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def read_dataset_file(p: Path) -> tuple[dict[str, np.ndarray], Any]:
    """The columns (read-only arrays, digests checked) and the metadata stored in ``p``."""
    bad = f"truncated or corrupted {FORMAT_NAME} file"
    wanted = {name: "biuf" for name in COLUMNS}
    wanted[SCHEMA_KEY] = "biufU"
    with SafeNpz(p, FORMAT_NAME) as npz:
        members = npz.scan(wanted)  # zip directory and .npy headers only
        schema_member = members.get(SCHEMA_KEY)
        if schema_member is None or schema_member.dtype.kind != "U" or schema_member.shape != ():
            raise path_error(p, f"no {SCHEMA_KEY} record (a 0-d unicode array); not a {FORMAT_NAME} file")
        chars = schema_member.dtype.itemsize // 4
        if chars > 2 * MAX_METADATA_CHARS:
            raise path_error(
                p,
                f"the {SCHEMA_KEY} record has {chars} characters, more than a {FORMAT_NAME} "
                f"schema takes (metadata are at most {MAX_METADATA_CHARS})",
            )
        text = str(npz.read(schema_member)[()])
        if json_depth(text) > MAX_METADATA_DEPTH + 1:
            raise path_error(
                p, f"the {SCHEMA_KEY} record is nested deeper than metadata may be ({MAX_METADATA_DEPTH} levels)"
            )
        try:
            schema = json.loads(text)
            fmt, version, specs = schema["format"], schema["version"], schema["columns"]
            meta = schema["metadata"]
            specs = {c["name"]: (c["dtype"], tuple(c["shape"]), c["sha256"]) for c in specs}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise path_error(p, f"{bad} (unreadable {SCHEMA_KEY}: {type(exc).__name__}: {exc})") from None
        if fmt != FORMAT_NAME:
            raise path_error(p, f"format {fmt!r} is not {FORMAT_NAME!r}")
        if type(version) is not int or version != FORMAT_VERSION:
            raise path_error(
                p,
                f"unsupported {FORMAT_NAME} format version {version!r} (this library reads version {FORMAT_VERSION})",
            )
        for label, names in (("schema", set(specs)), ("file", npz.keys - {SCHEMA_KEY})):
            missing, extra = sorted(set(COLUMNS) - names), sorted(names - set(COLUMNS))
            if missing or extra:
                raise path_error(
                    p, f"{label} columns differ from {list(COLUMNS)}: missing {missing}, unexpected {extra}"
                )
        for name in COLUMNS:  # every declared shape and dtype agrees before any data is read
            m, (dtype, shape, _) = members[name], specs[name]
            if m.dtype.str != dtype or m.shape != shape:
                raise path_error(
                    p,
                    f"column {name!r} has dtype {m.dtype.str} and shape {m.shape}, "
                    f"but the schema records {dtype} and {shape}",
                )
        arrays = {name: npz.read(members[name]) for name in COLUMNS}
    for name in COLUMNS:
        if sha256(arrays[name]) != specs[name][2]:
            raise path_error(p, f"{bad} (SHA-256 digest mismatch in column {name!r})")
    return arrays, meta
