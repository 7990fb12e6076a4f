"""Columnar offline-RL datasets with episode boundaries, stored as ``.npz`` without pickle.

A :class:`Dataset` holds N transitions ``(s_t, a_t, r_t, s_{t+1})`` as parallel arrays
whose leading axis has length N. Transitions of one episode are contiguous and in time
order; ``episode_ids`` is non-decreasing and ``timesteps`` counts ``0, 1, 2, ...``
inside each episode. ``terminated`` marks a transition into a terminal state (no
bootstrapping from ``next_observations``), ``truncated`` one cut by a time limit; only
the last transition of an episode may carry either flag, never both. A last transition
with neither flag is allowed (the data were cut while the episode was running).

File format (version 1)
-----------------------
:meth:`Dataset.save` writes an uncompressed NumPy ``.npz`` archive (a zip file) with
one ``.npy`` member per column, named as the dataclass fields, plus ``__schema__``: a
0-d unicode array holding the JSON document ::

    {"format": "rlcore.Dataset", "version": 1,
     "columns": [{"name": ..., "dtype": "<f8", "shape": [...], "sha256": "..."}, ...],
     "metadata": {...}}

where ``sha256`` is the hex digest of the column's C-contiguous bytes. Nothing is ever
pickled: every column has a plain numeric or bool dtype, and :meth:`Dataset.load` reads
the archive itself (no ``np.load``, no unpickling; object dtypes are refused). It reads
the zip directory, then the ``.npy`` header of each member (a few hundred bytes,
without inflating the data; a length- and nesting-checked Python literal), and
checks the member names, dtypes and shapes against the schema and the sizes against
the zip directory and :data:`MAX_LOAD_BYTES` before it decompresses anything; the schema
JSON is parsed only after its size and nesting depth are checked. Then the digests,
then the constructor's validation. Any defect (a missing file, not a zip, truncated or
empty, a flipped byte, a missing or extra column, a foreign format, an oversized or
garbled header, a zip bomb) is an :class:`~rlcore.validation.InvalidParameterError`
whose message starts with ``path:`` and names the file. A round trip is bit-exact,
``-0.0`` and subnormal floats included.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import struct
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Union, cast

import numpy as np

from .validation import (
    Bool,
    Constraint,
    InvalidParameterError,
    InvalidParameterTypeError,
    Path as _PathConstraint,
    check_discount,
    validate_params,
)

__all__ = ["Dataset"]

FORMAT_NAME = "rlcore.Dataset"
FORMAT_VERSION = 1
_COLUMNS = (
    "observations",
    "actions",
    "rewards",
    "next_observations",
    "terminated",
    "truncated",
    "episode_ids",
    "timesteps",
)
_SCHEMA_KEY = "__schema__"

#: Deepest nesting of metadata (a flat dict is depth 1): JSON parsers recurse per level.
MAX_METADATA_DEPTH: int = 64
#: Longest metadata, as compact JSON text (characters).
MAX_METADATA_CHARS: int = 1 << 22
#: Most array bytes :meth:`Dataset.load` (and :func:`rlcore.load_bridge_mdp`) will
#: decompress from one file (16 GiB), checked against the sizes the file declares
#: before anything is decompressed.
MAX_LOAD_BYTES: int = 1 << 34
#: Longest ``.npy`` header accepted: a plain array's header is under 200 bytes.
_MAX_NPY_HEADER = 4096
#: Most members of an archive that is read.
_MAX_MEMBERS = 1024
#: Most dimensions of a stored array (numpy's own limit is 64).
_MAX_NDIM = 32
#: What damaged bytes can raise while zipfile decodes them (RuntimeError: a flipped
#: "encrypted" flag; NotImplementedError: an unknown compression method).
_LOW_LEVEL_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    ValueError,
    struct.error,
    NotImplementedError,
    OverflowError,
    MemoryError,
    RuntimeError,
    UnicodeDecodeError,
)
PathLike = Union[str, "os.PathLike[str]"]


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


class _Column(Constraint):
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


def _json_depth(text: str) -> int:
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


def _as_metadata(metadata: Any, name: str = "metadata") -> dict[str, Any]:
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


class _Metadata(Constraint):
    """A dict of plain JSON values: str keys, finite numbers, at most
    :data:`MAX_METADATA_DEPTH` levels deep and :data:`MAX_METADATA_CHARS` characters long."""

    def accepts_kind(self, value: Any) -> bool:
        return isinstance(value, Mapping)

    def check(self, value: Any, name: str, args: dict | None = None) -> dict[str, Any]:
        return _as_metadata(value, name)

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


def _canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, allow_nan=False)


def _sha256(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def _npz_path(path: Path) -> Path:
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


# ----------------------------------------------------------------------- safe .npz reading
class _Member(NamedTuple):
    """A member of an ``.npz`` archive, described by its ``.npy`` header (data not read)."""

    info: zipfile.ZipInfo
    dtype: np.dtype
    shape: tuple[int, ...]
    fortran: bool
    offset: int  # bytes before the data (magic, version, header)

    @property
    def nbytes(self) -> int:
        n = self.dtype.itemsize
        for d in self.shape:
            n *= d
        return n


def _bad(p: Path, message: str) -> InvalidParameterError:
    return InvalidParameterError("path", f"{p}: {message}")


def _read_exact(fh: IO[bytes], n: int) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise EOFError(f"expected {n} bytes, got {len(data)}")
    return data


def _parse_npy_header(fh: IO[bytes], key: str, p: Path, kinds: str) -> tuple[np.dtype, tuple[int, ...], bool, int]:
    """``(dtype, shape, fortran_order, offset)`` from the start of a ``.npy`` stream.

    The header is a short Python dict literal; it is parsed only after its length and
    bracket nesting are checked, and only plain dtypes of the given ``kinds`` pass
    (object arrays, which hold pickles, never do).
    """
    prefix = _read_exact(fh, 8)
    if prefix[:6] != b"\x93NUMPY":
        raise _bad(p, f"member {key!r} is not a .npy array (bad magic bytes)")
    major = prefix[6]
    if major not in (1, 2, 3):
        raise _bad(p, f"member {key!r} has an unknown .npy format version {major}.{prefix[7]}")
    size_bytes = 2 if major == 1 else 4
    (length,) = struct.unpack("<H" if major == 1 else "<I", _read_exact(fh, size_bytes))
    if length > _MAX_NPY_HEADER:
        raise _bad(
            p,
            f"member {key!r} declares a .npy header of {length} bytes, more than the "
            f"{_MAX_NPY_HEADER} a plain array's header takes; not a file this library wrote",
        )
    raw = _read_exact(fh, length)
    offset = 8 + size_bytes + length
    try:
        text = raw.decode("utf-8" if major == 3 else "latin1")
    except UnicodeDecodeError:
        raise _bad(p, f"member {key!r} has an undecodable .npy header") from None
    if _BRACKETS.findall(text).count("{") > 1 or text.count("(") > 1 or "[" in text:
        raise _bad(p, f"member {key!r} has a .npy header that does not describe a plain array")
    try:
        header = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise _bad(p, f"member {key!r} has a garbled .npy header") from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise _bad(p, f"member {key!r} has a .npy header without exactly the keys descr, fortran_order, shape")
    descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    if not isinstance(descr, str) or not isinstance(fortran, bool) or not isinstance(shape, tuple):
        raise _bad(p, f"member {key!r} has a garbled .npy header")
    if len(shape) > _MAX_NDIM or not all(type(d) is int and d >= 0 for d in shape):
        raise _bad(p, f"member {key!r} declares an invalid shape {shape!r}")
    try:
        dtype = np.dtype(descr)
    except (TypeError, ValueError, SyntaxError):
        raise _bad(p, f"member {key!r} has an unknown dtype {descr!r}") from None
    if dtype.hasobject:
        raise _bad(p, f"member {key!r} is a pickled object array, which is never loaded")
    if dtype.kind not in kinds or dtype.fields is not None or dtype.subdtype is not None:
        raise _bad(
            p,
            f"member {key!r} has dtype {dtype.str}; expected a plain array of kind {', '.join(repr(k) for k in kinds)}",
        )
    return dtype, tuple(shape), fortran, offset


def _scan_npz(zf: zipfile.ZipFile, p: Path, wanted: dict[str, str]) -> dict[str, _Member]:
    """Describe the members ``wanted`` (``{key: allowed dtype kinds}``) of an open archive.

    Only the zip directory and each member's ``.npy`` header are read. Every declared
    size is checked against the zip directory's uncompressed size, and the total
    against :data:`MAX_LOAD_BYTES`, so nothing is decompressed for a file that lies
    about its sizes (a zip bomb) or that is too large.
    """
    infos = zf.infolist()
    if len(infos) > _MAX_MEMBERS:
        raise _bad(p, f"the archive has {len(infos)} members, more than the limit {_MAX_MEMBERS}")
    by_key: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if key in by_key:
            raise _bad(p, f"the archive holds member {key!r} twice")
        by_key[key] = info
    members: dict[str, _Member] = {}
    total = 0
    for key, kinds in wanted.items():
        found = by_key.get(key)
        if found is None:
            continue
        info = found
        if info.flag_bits & 0x1:
            raise _bad(p, f"member {key!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _bad(
                p,
                f"member {key!r} uses compression method {info.compress_type}; "
                "only stored and deflated .npz members are read",
            )
        if info.file_size > MAX_LOAD_BYTES:
            raise _bad(
                p, f"member {key!r} declares {info.file_size} uncompressed bytes, more than the limit {MAX_LOAD_BYTES}"
            )
        with zf.open(info) as fh:
            dtype, shape, fortran, offset = _parse_npy_header(fh, key, p, kinds)
        member = _Member(info, dtype, shape, fortran, offset)
        if offset + member.nbytes != info.file_size:
            raise _bad(
                p,
                f"member {key!r} declares shape {shape} and dtype {dtype.str} ({member.nbytes} bytes "
                f"of data) but the zip directory records {info.file_size - offset} bytes",
            )
        total += member.nbytes
        if total > MAX_LOAD_BYTES:
            raise _bad(p, f"the arrays declare more than {MAX_LOAD_BYTES} bytes in all, the limit of one load")
        members[key] = member
    return members


class _SafeNpz:
    """An ``.npz`` archive opened for reading without unpickling or unbounded inflation.

    Use as a context manager: :meth:`scan` describes members from the zip directory and
    their ``.npy`` headers (see :func:`_scan_npz`), :meth:`read` reads one scanned
    member's data. Every failure, a missing or unreadable file included, is an
    :class:`InvalidParameterError` for ``path`` naming the file; ``what`` describes
    the expected content in messages.
    """

    def __init__(self, p: Path, what: str) -> None:
        self.p = p
        self.bad = f"truncated or corrupted {what} file"
        self._fh: IO[bytes] | None = None
        self._zf: zipfile.ZipFile | None = None

    def __enter__(self) -> _SafeNpz:
        p = self.p
        if not p.exists():
            raise _bad(p, "no such file")
        if p.is_dir():
            raise _bad(p, "is a directory, not a file")
        try:
            self._fh = open(p, "rb")
            if os.fstat(self._fh.fileno()).st_size == 0:
                raise _bad(p, f"{self.bad} (the file is empty)")
            if self._fh.read(6) == b"\x93NUMPY":
                raise _bad(p, "a single .npy array, not an .npz archive")
            self._fh.seek(0)
            self._zf = zipfile.ZipFile(self._fh)
        except InvalidParameterError:
            self.close()
            raise
        except _LOW_LEVEL_ERRORS as exc:
            self.close()
            raise _bad(p, f"{self.bad} ({type(exc).__name__}: {exc})") from None
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._zf is not None:
            self._zf.close()
        if self._fh is not None:
            self._fh.close()
        self._zf = self._fh = None

    @property
    def keys(self) -> set[str]:
        """The keys of all members (file names without ``.npy``)."""
        assert self._zf is not None
        return {i.filename[:-4] if i.filename.endswith(".npy") else i.filename for i in self._zf.infolist()}

    def scan(self, wanted: dict[str, str]) -> dict[str, _Member]:
        assert self._zf is not None
        try:
            return _scan_npz(self._zf, self.p, wanted)
        except InvalidParameterError:
            raise
        except _LOW_LEVEL_ERRORS as exc:
            raise _bad(self.p, f"{self.bad} ({type(exc).__name__}: {exc})") from None

    def read(self, m: _Member) -> np.ndarray:
        """The array of a scanned member: exactly its declared bytes (the CRC is checked)."""
        assert self._zf is not None
        try:
            with self._zf.open(m.info) as fh:
                _read_exact(fh, m.offset)
                data = _read_exact(fh, m.nbytes)
        except _LOW_LEVEL_ERRORS as exc:
            raise _bad(self.p, f"{self.bad} (member {m.info.filename!r}: {type(exc).__name__}: {exc})") from None
        return np.frombuffer(data, dtype=m.dtype).reshape(m.shape, order="F" if m.fortran else "C")


@validate_params(
    observations=_Column("any"),
    actions=_Column("any"),
    rewards=_Column("rewards"),
    next_observations=_Column("any"),
    terminated=_Column("flags"),
    truncated=_Column("flags"),
    episode_ids=_Column("ints"),
    timesteps=_Column("ints"),
    metadata=_Metadata(),
)
@dataclass(frozen=True, eq=False)
class Dataset:
    """A validated, read-only table of transitions with episode boundaries.

    Parameters
    ----------
    observations : ndarray of shape (N,) or ``(N, *obs_shape)``
        States ``s_t``: integers for tabular states, or bool/int/float features.
    actions : ndarray of shape (N,) or ``(N, *act_shape)``
        Actions ``a_t``: integers for discrete actions, floats for continuous ones.
    rewards : ndarray of shape (N,)
        Rewards ``r_t``, finite; stored as float64.
    next_observations : ndarray, same shape and dtype as ``observations``
        States ``s_{t+1}``.
    terminated : ndarray of bool, shape (N,)
        The transition entered a terminal state: do not bootstrap from it.
    truncated : ndarray of bool, shape (N,)
        The episode was cut by a time limit after this transition.
    episode_ids : ndarray of int, shape (N,)
        Non-decreasing episode labels; stored as int64.
    timesteps : ndarray of int, shape (N,)
        The index ``t`` of each transition in its episode (0, 1, 2, ...); int64.
    metadata : dict, optional
        JSON-serialisable plain values (str keys, finite numbers), at most 64 levels
        deep and 2**22 characters of JSON (``MAX_METADATA_DEPTH``,
        ``MAX_METADATA_CHARS``). A normalised deep copy is stored.

    Every array is copied and made read-only, so the caller's arrays are untouched
    and the dataset cannot change afterwards. N = 0 is allowed; methods that need
    transitions then raise ``ValueError``.

    Raises
    ------
    InvalidParameterTypeError
        A column of the wrong kind (strings, objects, float ids, int flags, ...) or
        metadata that is not plain JSON.
    InvalidParameterError
        Wrong shapes or lengths, non-finite floats, a broken episode structure, or
        metadata too deep or too long.

    Examples
    --------
    >>> import numpy as np
    >>> ds = Dataset(
    ...     observations=np.array([0, 1, 2, 0, 1]),
    ...     actions=np.array([1, 1, 0, 1, 0]),
    ...     rewards=np.array([1.0, 1.0, 1.0, 0.0, 2.0]),
    ...     next_observations=np.array([1, 2, 3, 1, 0]),
    ...     terminated=np.array([False, False, True, False, False]),
    ...     truncated=np.array([False, False, False, False, True]),
    ...     episode_ids=np.array([0, 0, 0, 1, 1]),
    ...     timesteps=np.array([0, 1, 2, 0, 1]),
    ...     metadata={"env": "chain"},
    ... )
    >>> len(ds), ds.n_episodes
    (5, 2)
    >>> print(ds.episode_returns(), ds.episode_returns(gamma=0.5))
    [3. 2.] [1.75 1.  ]
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = ds.save(os.path.join(d, "chain"))  # ".npz" is appended
    ...     ds.equals(Dataset.load(os.path.join(d, "chain")))
    True
    """

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_observations: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    episode_ids: np.ndarray
    timesteps: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)
    if TYPE_CHECKING:  # set by __post_init__; not a dataclass field (init=False keeps mypy's
        # dataclass plugin from treating it as a required constructor argument)
        _starts: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Each column was checked and copied by the declaration (validate_params); what
        # is left is how the columns relate.
        obs = cast(np.ndarray, self.observations)
        n = obs.shape[0]

        def check_len(arr: np.ndarray, name: str, what: str) -> None:
            if arr.shape[0] != n:
                raise InvalidParameterError(
                    name,
                    f"expected {what} with leading length N = {n} (the length of observations), got shape {arr.shape}",
                )

        nxt = cast(np.ndarray, self.next_observations)
        if nxt.shape != obs.shape or nxt.dtype != obs.dtype:
            raise InvalidParameterError(
                "next_observations",
                f"expected the shape {obs.shape} and dtype {obs.dtype} "
                f"of observations, got shape {nxt.shape} and dtype {nxt.dtype}",
            )
        act = cast(np.ndarray, self.actions)
        check_len(act, "actions", "an array")
        rew = cast(np.ndarray, self.rewards)
        check_len(rew, "rewards", "a finite float array of shape (N,)")
        flags = {}
        for name in ("terminated", "truncated"):
            arr = cast(np.ndarray, getattr(self, name))
            check_len(arr, name, "a bool array of shape (N,)")
            flags[name] = arr
        ids = cast(np.ndarray, self.episode_ids)
        check_len(ids, "episode_ids", "an integer array of shape (N,)")
        ts = cast(np.ndarray, self.timesteps)
        check_len(ts, "timesteps", "an integer array of shape (N,)")
        meta = self.metadata

        if n:
            step = np.diff(ids)
            if (step < 0).any():
                i = int(np.flatnonzero(step < 0)[0]) + 1
                raise InvalidParameterError(
                    "episode_ids",
                    f"expected non-decreasing ids (each episode contiguous), "
                    f"but episode_ids[{i}] = {ids[i]} follows episode_ids[{i - 1}] = {ids[i - 1]}",
                )
            is_start = np.concatenate(([True], step != 0))
            starts = np.flatnonzero(is_start)
            expected_t = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
            if (ts != expected_t).any():
                i = int(np.flatnonzero(ts != expected_t)[0])
                raise InvalidParameterError(
                    "timesteps",
                    f"expected 0, 1, 2, ... within each episode, got timesteps[{i}] = "
                    f"{ts[i]} where {expected_t[i]} was expected (episode id {ids[i]})",
                )
            both = flags["terminated"] & flags["truncated"]
            if both.any():
                i = int(np.flatnonzero(both)[0])
                raise InvalidParameterError(
                    "truncated",
                    f"terminated, truncated: transition {i} has both flags set; "
                    "an episode ends either in a terminal state or by a time limit",
                )
            is_last = np.append(is_start[1:], True)
            for name, arr in flags.items():
                early = arr & ~is_last
                if early.any():
                    i = int(np.flatnonzero(early)[0])
                    raise InvalidParameterError(
                        name,
                        f"transition {i} (episode id {ids[i]}, t = {ts[i]}) is flagged "
                        "but is not the last transition of its episode",
                    )
        else:
            starts = np.zeros(0, dtype=np.int64)

        columns = {
            "observations": obs,
            "actions": act,
            "rewards": rew,
            "next_observations": nxt,
            **flags,
            "episode_ids": ids,
            "timesteps": ts,
        }
        for name, arr in columns.items():
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        starts = starts.astype(np.int64)
        starts.flags.writeable = False
        object.__setattr__(self, "_starts", starts)
        object.__setattr__(self, "metadata", meta)

    # ------------------------------------------------------------------ structure
    def __len__(self) -> int:
        return int(self.rewards.shape[0])

    def __repr__(self) -> str:
        cols = ", ".join(
            f"{name}={getattr(self, name).dtype}{getattr(self, name).shape}" for name in ("observations", "actions")
        )
        return f"Dataset(n_transitions={len(self)}, n_episodes={self.n_episodes}, {cols})"

    @property
    def n_episodes(self) -> int:
        """Number of episodes (0 for an empty dataset)."""
        return int(self._starts.shape[0])

    @property
    def episode_starts(self) -> np.ndarray:
        """Read-only int64 ndarray of shape (n_episodes,): index of each episode's first transition."""
        return self._starts

    def episode_slices(self) -> list[slice]:
        """Return one ``slice`` per episode, in storage order (``[]`` when empty)."""
        ends = np.append(self._starts[1:], len(self))
        return [slice(int(a), int(b)) for a, b in zip(self._starts, ends)]

    def _require_data(self, what: str) -> None:
        if len(self) == 0:
            raise ValueError(f"{what}: the dataset is empty (N = 0); expected at least one transition")

    def episode_lengths(self) -> np.ndarray:
        """Return the int64 ndarray of shape (n_episodes,) of transitions per episode."""
        self._require_data("episode_lengths")
        return np.diff(np.append(self._starts, len(self)))

    def episode_returns(self, gamma: float = 1.0) -> np.ndarray:
        """Discounted return of each episode from its first transition.

        ``G_e = sum_{t=0}^{T_e - 1} gamma**t * r_t`` over the transitions of episode e.

        Parameters
        ----------
        gamma : float in [0, 1]
            Discount factor (``0**0 = 1``, so ``gamma=0`` gives the first rewards).

        Returns
        -------
        ndarray of float64, shape (n_episodes,)

        Raises
        ------
        InvalidParameterError
            For ``gamma`` outside ``[0, 1]``, or (naming ``rewards``) a return that
            overflows float64.
        """
        gamma = check_discount(gamma, "gamma", allow_one=True)
        self._require_data("episode_returns")
        weights = np.power(gamma, self.timesteps.astype(np.float64))
        with np.errstate(over="ignore"):
            returns = np.add.reduceat(weights * self.rewards, self._starts)
        if not np.all(np.isfinite(returns)):
            e = int(np.flatnonzero(~np.isfinite(returns))[0])
            raise InvalidParameterError(
                "rewards",
                f"the return of episode {e} (id {self.episode_ids[self._starts[e]]}) "
                "overflows float64; rescale the rewards",
            )
        return returns

    def select_episodes(self, selection: Any, *, renumber: bool = False) -> Dataset:
        """Return a new dataset holding the chosen episodes.

        Parameters
        ----------
        selection : bool ndarray of shape (n_episodes,) or int ndarray of shape (k,)
            A mask over episodes, or episode positions ``0 <= i < n_episodes`` (positions
            in storage order, not ``episode_ids``).
        renumber : bool
            If False, the original ``episode_ids`` are kept, so positions must be strictly
            increasing. If True, the output ids are ``0 .. k-1`` in the order given, and
            positions may come in any order and repeat (e.g. a bootstrap resample).

        Returns
        -------
        Dataset
            The episodes in the order selected, with the same metadata.
        """
        renumber = Bool().check(renumber, "renumber")
        self._require_data("select_episodes")
        if selection is None or isinstance(selection, (str, bytes)):
            raise InvalidParameterTypeError(
                "selection", f"expected a bool mask or integer positions, got {type(selection).__name__}"
            )
        try:
            sel = np.asarray(selection)
        except (ValueError, TypeError) as exc:
            raise InvalidParameterTypeError("selection", f"expected a bool mask or integer positions ({exc})") from None
        e = self.n_episodes
        if sel.dtype == np.bool_:
            if sel.shape != (e,):
                raise InvalidParameterError("selection", f"expected a bool mask of shape ({e},), got shape {sel.shape}")
            pos = np.flatnonzero(sel)
        elif sel.dtype.kind in "iu" or (sel.size == 0 and sel.dtype.kind == "f"):
            if sel.ndim != 1:
                raise InvalidParameterError(
                    "selection", f"expected episode positions of shape (k,), got shape {sel.shape}"
                )
            bad = (sel < 0) | (sel >= e)
            if bad.any():
                raise InvalidParameterError(
                    "selection", f"episode positions must lie in [0, {e}), found {sel[np.flatnonzero(bad)[0]]}"
                )
            pos = sel.astype(np.int64)
        else:
            raise InvalidParameterTypeError(
                "selection", f"expected a bool mask or integer positions, got dtype {sel.dtype}"
            )
        if not renumber and (np.diff(pos) <= 0).any():
            raise InvalidParameterError(
                "selection",
                "positions must be strictly increasing to keep the original "
                "episode_ids; pass renumber=True to reorder or repeat episodes",
            )
        lengths = self.episode_lengths()[pos]
        offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
        idx = np.arange(int(lengths.sum())) - offsets + np.repeat(self._starts[pos], lengths)
        ids = np.repeat(np.arange(pos.size), lengths) if renumber else self.episode_ids[idx]
        return type(self)(
            **{name: getattr(self, name)[idx] for name in _COLUMNS if name != "episode_ids"},
            episode_ids=ids,
            metadata=self.metadata,
        )

    @classmethod
    def concatenate(cls, datasets: Iterable[Dataset], *, metadata: Mapping[str, Any] | None = None) -> Dataset:
        """Stack datasets end to end, renumbering episodes ``0 .. E-1`` in order.

        Parameters
        ----------
        datasets : iterable of Dataset
            At least one; all must share observation and action shapes (after the
            leading axis) and dtypes.
        metadata : dict, optional
            Metadata of the result. By default, the inputs' metadata if they all
            agree, else ``{}``.

        Returns
        -------
        Dataset
            ``N = sum of N_i`` transitions and ``E = sum of E_i`` episodes.
        """
        if isinstance(datasets, (str, bytes, Mapping)) or not isinstance(datasets, Iterable):
            raise InvalidParameterTypeError(
                "datasets", f"expected a sequence of Dataset, got {type(datasets).__name__}"
            )
        parts = list(datasets)
        if not parts:
            raise InvalidParameterError("datasets", "expected a non-empty sequence of Dataset")
        for i, ds in enumerate(parts):
            if not isinstance(ds, Dataset):
                raise InvalidParameterTypeError(f"datasets[{i}]", f"expected a Dataset, got {type(ds).__name__}")
            for name in ("observations", "actions"):
                a, b = getattr(parts[0], name), getattr(ds, name)
                if a.shape[1:] != b.shape[1:] or a.dtype != b.dtype:
                    raise InvalidParameterError(
                        f"datasets[{i}]",
                        f"{name} have per-transition shape {b.shape[1:]} and "
                        f"dtype {b.dtype}, expected {a.shape[1:]} and {a.dtype} as in datasets[0]",
                    )
        if metadata is not None:
            metadata = _as_metadata(metadata)
        else:
            same = all(_canonical_json(ds.metadata) == _canonical_json(parts[0].metadata) for ds in parts)
            metadata = parts[0].metadata if same else {}
        offsets = np.cumsum([0] + [ds.n_episodes for ds in parts])
        ids = [
            np.repeat(np.arange(ds.n_episodes) + off, ds.episode_lengths() if len(ds) else 0)
            for ds, off in zip(parts, offsets)
        ]
        columns = {
            name: np.concatenate([getattr(ds, name) for ds in parts]) for name in _COLUMNS if name != "episode_ids"
        }
        return cls(
            **columns, episode_ids=np.concatenate(ids).astype(np.int64), metadata=cast(dict[str, Any], metadata)
        )  # __post_init__ copies any Mapping into a dict

    def equals(self, other: object) -> bool:
        """True if ``other`` is a Dataset with bit-identical columns and equal metadata.

        Columns must agree in dtype, shape and raw bytes (so ``-0.0 != 0.0`` here);
        metadata are compared as canonical JSON (so ``1 != 1.0 != True``).
        """
        if not isinstance(other, Dataset):
            return False
        for name in _COLUMNS:
            a, b = getattr(self, name), getattr(other, name)
            if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
                return False
        return _canonical_json(self.metadata) == _canonical_json(other.metadata)

    # ------------------------------------------------------------------ storage
    def save(self, path: PathLike) -> Path:
        """Write the dataset to an uncompressed ``.npz`` file (format in the module docstring).

        Parameters
        ----------
        path : str or os.PathLike
            Target file; ``.npz`` is appended when the name does not end with it, exactly
            as :meth:`load` does, so ``load(path)`` reads what ``save(path)`` wrote. The
            file is written to a temporary name and moved into place.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        target = _npz_path(_PathConstraint().check(path, "path"))
        arrays = {name: getattr(self, name) for name in _COLUMNS}
        schema = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "columns": [
                {"name": name, "dtype": arr.dtype.str, "shape": list(arr.shape), "sha256": _sha256(arr)}
                for name, arr in arrays.items()
            ],
            "metadata": self.metadata,
        }
        arrays[_SCHEMA_KEY] = np.array(json.dumps(schema, allow_nan=False))
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            with open(tmp, "xb") as fh:
                np.savez(fh, **arrays)  # every dtype is plain numeric/bool: nothing is pickled
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
        return target

    @classmethod
    @validate_params(path=_PathConstraint())
    def load(cls, path: PathLike) -> Dataset:
        """Read a dataset written by :meth:`save`, never unpickling.

        The zip directory and each member's ``.npy`` header are read first and checked
        against the schema (names, dtypes, shapes) and against the uncompressed sizes
        the zip directory records, so a file that lies about its sizes (a zip bomb) is
        refused before anything is decompressed; at most ``MAX_LOAD_BYTES`` (16 GiB)
        of array data are read. The schema JSON is parsed only after its size and
        nesting depth are checked (at most 2**22 characters of metadata, 64 levels).

        Parameters
        ----------
        path : str or os.PathLike
            The file; ``.npz`` is appended when the name does not end with it.

        Returns
        -------
        Dataset
            Bit-identical to the saved one, validated like a constructed one.

        Raises
        ------
        InvalidParameterError
            A ``ValueError`` whose message starts with ``path:`` and names the file, for
            anything wrong with it: missing, empty, not an ``.npz`` archive, truncated
            or corrupted bytes, a digest mismatch, a missing or extra column, a foreign
            format or version, a dtype or shape differing from the schema or from the
            zip directory, an oversized header or archive, an object (pickled) array,
            or data that fail validation.
        """
        p = _npz_path(Path(path))  # a pathlib.Path already (the declaration converts it)
        bad = f"truncated or corrupted {FORMAT_NAME} file"
        wanted = {name: "biuf" for name in _COLUMNS}
        wanted[_SCHEMA_KEY] = "biufU"
        with _SafeNpz(p, FORMAT_NAME) as npz:
            members = npz.scan(wanted)  # zip directory and .npy headers only
            schema_member = members.get(_SCHEMA_KEY)
            if schema_member is None or schema_member.dtype.kind != "U" or schema_member.shape != ():
                raise _bad(p, f"no {_SCHEMA_KEY} record (a 0-d unicode array); not a {FORMAT_NAME} file")
            chars = schema_member.dtype.itemsize // 4
            if chars > 2 * MAX_METADATA_CHARS:
                raise _bad(
                    p,
                    f"the {_SCHEMA_KEY} record has {chars} characters, more than a {FORMAT_NAME} "
                    f"schema takes (metadata are at most {MAX_METADATA_CHARS})",
                )
            text = str(npz.read(schema_member)[()])
            if _json_depth(text) > MAX_METADATA_DEPTH + 1:
                raise _bad(
                    p, f"the {_SCHEMA_KEY} record is nested deeper than metadata may be ({MAX_METADATA_DEPTH} levels)"
                )
            try:
                schema = json.loads(text)
                fmt, version, specs = schema["format"], schema["version"], schema["columns"]
                meta = schema["metadata"]
                specs = {c["name"]: (c["dtype"], tuple(c["shape"]), c["sha256"]) for c in specs}
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise _bad(p, f"{bad} (unreadable {_SCHEMA_KEY}: {type(exc).__name__}: {exc})") from None
            if fmt != FORMAT_NAME:
                raise _bad(p, f"format {fmt!r} is not {FORMAT_NAME!r}")
            if type(version) is not int or version != FORMAT_VERSION:
                raise _bad(
                    p,
                    f"unsupported {FORMAT_NAME} format version {version!r} "
                    f"(this library reads version {FORMAT_VERSION})",
                )
            for label, names in (("schema", set(specs)), ("file", npz.keys - {_SCHEMA_KEY})):
                missing, extra = sorted(set(_COLUMNS) - names), sorted(names - set(_COLUMNS))
                if missing or extra:
                    raise _bad(
                        p, f"{label} columns differ from {list(_COLUMNS)}: missing {missing}, unexpected {extra}"
                    )
            for name in _COLUMNS:  # every declared shape and dtype agrees before any data is read
                m, (dtype, shape, _) = members[name], specs[name]
                if m.dtype.str != dtype or m.shape != shape:
                    raise _bad(
                        p,
                        f"column {name!r} has dtype {m.dtype.str} and shape {m.shape}, "
                        f"but the schema records {dtype} and {shape}",
                    )
            arrays = {name: npz.read(members[name]) for name in _COLUMNS}
        for name in _COLUMNS:
            if _sha256(arrays[name]) != specs[name][2]:
                raise _bad(p, f"{bad} (SHA-256 digest mismatch in column {name!r})")
        try:
            return cls(**arrays, metadata=meta)
        except (TypeError, ValueError) as exc:
            raise _bad(p, f"stored data fail validation: {exc}") from None
