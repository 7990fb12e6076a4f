"""Reading ``.npz`` archives safely (private): never unpickling, never inflating blindly.

:class:`SafeNpz` reads the zip directory and each member's ``.npy`` header (a few
hundred bytes, a length- and nesting-checked Python literal) and checks every declared
dtype, shape and size against the zip directory and :data:`MAX_LOAD_BYTES` before
anything is decompressed; object (pickled) arrays are refused. Every failure is an
:class:`~rlcore.validation.InvalidParameterError` for ``path`` whose message names the
file. Used by :meth:`rlcore.Dataset.load` and :func:`rlcore.load_bridge_mdp`.
"""

from __future__ import annotations

import ast
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

from .validation import InvalidParameterError

#: Most array bytes :meth:`Dataset.load` (and :func:`rlcore.load_bridge_mdp`) will
#: decompress from one file (16 GiB), checked against the sizes the file declares
#: before anything is decompressed.
MAX_LOAD_BYTES: int = 1 << 34
#: Longest ``.npy`` header accepted: a plain array's header is under 200 bytes.
MAX_NPY_HEADER = 4096
#: Most members of an archive that is read.
MAX_MEMBERS = 1024
#: Most dimensions of a stored array (numpy's own limit is 64).
MAX_NDIM = 32
#: What damaged bytes can raise while zipfile decodes them (RuntimeError: a flipped
#: "encrypted" flag; NotImplementedError: an unknown compression method).
LOW_LEVEL_ERRORS = (
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

_BRACKETS = re.compile(r"[\[\]{}]")


def npz_path(path: Path) -> Path:
    """``path`` with ``.npz`` appended unless its name ends with it (as :func:`numpy.savez` does)."""
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


class Member(NamedTuple):
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


def path_error(p: Path, message: str) -> InvalidParameterError:
    return InvalidParameterError("path", f"{p}: {message}")


def read_exact(fh: IO[bytes], n: int) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise EOFError(f"expected {n} bytes, got {len(data)}")
    return data


def parse_npy_header(fh: IO[bytes], key: str, p: Path, kinds: str) -> tuple[np.dtype, tuple[int, ...], bool, int]:
    """``(dtype, shape, fortran_order, offset)`` from the start of a ``.npy`` stream.

    The header is a short Python dict literal; it is parsed only after its length and
    bracket nesting are checked, and only plain dtypes of the given ``kinds`` pass
    (object arrays, which hold pickles, never do).
    """
    prefix = read_exact(fh, 8)
    if prefix[:6] != b"\x93NUMPY":
        raise path_error(p, f"member {key!r} is not a .npy array (bad magic bytes)")
    major = prefix[6]
    if major not in (1, 2, 3):
        raise path_error(p, f"member {key!r} has an unknown .npy format version {major}.{prefix[7]}")
    size_bytes = 2 if major == 1 else 4
    (length,) = struct.unpack("<H" if major == 1 else "<I", read_exact(fh, size_bytes))
    if length > MAX_NPY_HEADER:
        raise path_error(
            p,
            f"member {key!r} declares a .npy header of {length} bytes, more than the "
            f"{MAX_NPY_HEADER} a plain array's header takes; not a file this library wrote",
        )
    raw = read_exact(fh, length)
    offset = 8 + size_bytes + length
    try:
        text = raw.decode("utf-8" if major == 3 else "latin1")
    except UnicodeDecodeError:
        raise path_error(p, f"member {key!r} has an undecodable .npy header") from None
    if _BRACKETS.findall(text).count("{") > 1 or text.count("(") > 1 or "[" in text:
        raise path_error(p, f"member {key!r} has a .npy header that does not describe a plain array")
    try:
        header = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise path_error(p, f"member {key!r} has a garbled .npy header") from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise path_error(p, f"member {key!r} has a .npy header without exactly the keys descr, fortran_order, shape")
    descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    if not isinstance(descr, str) or not isinstance(fortran, bool) or not isinstance(shape, tuple):
        raise path_error(p, f"member {key!r} has a garbled .npy header")
    if len(shape) > MAX_NDIM or not all(type(d) is int and d >= 0 for d in shape):
        raise path_error(p, f"member {key!r} declares an invalid shape {shape!r}")
    try:
        dtype = np.dtype(descr)
    except (TypeError, ValueError, SyntaxError):
        raise path_error(p, f"member {key!r} has an unknown dtype {descr!r}") from None
    if dtype.hasobject:
        raise path_error(p, f"member {key!r} is a pickled object array, which is never loaded")
    if dtype.kind not in kinds or dtype.fields is not None or dtype.subdtype is not None:
        raise path_error(
            p,
            f"member {key!r} has dtype {dtype.str}; expected a plain array of kind {', '.join(repr(k) for k in kinds)}",
        )
    return dtype, tuple(shape), fortran, offset


def scan_npz(zf: zipfile.ZipFile, p: Path, wanted: dict[str, str]) -> dict[str, Member]:
    """Describe the members ``wanted`` (``{key: allowed dtype kinds}``) of an open archive.

    Only the zip directory and each member's ``.npy`` header are read. Every declared
    size is checked against the zip directory's uncompressed size, and the total
    against :data:`MAX_LOAD_BYTES`, so nothing is decompressed for a file that lies
    about its sizes (a zip bomb) or that is too large.
    """
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise path_error(p, f"the archive has {len(infos)} members, more than the limit {MAX_MEMBERS}")
    by_key: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if key in by_key:
            raise path_error(p, f"the archive holds member {key!r} twice")
        by_key[key] = info
    members: dict[str, Member] = {}
    total = 0
    for key, kinds in wanted.items():
        found = by_key.get(key)
        if found is None:
            continue
        info = found
        if info.flag_bits & 0x1:
            raise path_error(p, f"member {key!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise path_error(
                p,
                f"member {key!r} uses compression method {info.compress_type}; "
                "only stored and deflated .npz members are read",
            )
        if info.file_size > MAX_LOAD_BYTES:
            raise path_error(
                p, f"member {key!r} declares {info.file_size} uncompressed bytes, more than the limit {MAX_LOAD_BYTES}"
            )
        with zf.open(info) as fh:
            dtype, shape, fortran, offset = parse_npy_header(fh, key, p, kinds)
        member = Member(info, dtype, shape, fortran, offset)
        if offset + member.nbytes != info.file_size:
            raise path_error(
                p,
                f"member {key!r} declares shape {shape} and dtype {dtype.str} ({member.nbytes} bytes "
                f"of data) but the zip directory records {info.file_size - offset} bytes",
            )
        total += member.nbytes
        if total > MAX_LOAD_BYTES:
            raise path_error(p, f"the arrays declare more than {MAX_LOAD_BYTES} bytes in all, the limit of one load")
        members[key] = member
    return members


class SafeNpz:
    """An ``.npz`` archive opened for reading without unpickling or unbounded inflation.

    Use as a context manager: :meth:`scan` describes members from the zip directory and
    their ``.npy`` headers (see :func:`scan_npz`), :meth:`read` reads one scanned
    member's data. Every failure, a missing or unreadable file included, is an
    :class:`InvalidParameterError` for ``path`` naming the file; ``what`` describes
    the expected content in messages.
    """

    def __init__(self, p: Path, what: str) -> None:
        self.p = p
        self.bad = f"truncated or corrupted {what} file"
        self._fh: IO[bytes] | None = None
        self._zf: zipfile.ZipFile | None = None

    def __enter__(self) -> SafeNpz:
        p = self.p
        if not p.exists():
            raise path_error(p, "no such file")
        if p.is_dir():
            raise path_error(p, "is a directory, not a file")
        try:
            self._fh = open(p, "rb")
            if os.fstat(self._fh.fileno()).st_size == 0:
                raise path_error(p, f"{self.bad} (the file is empty)")
            if self._fh.read(6) == b"\x93NUMPY":
                raise path_error(p, "a single .npy array, not an .npz archive")
            self._fh.seek(0)
            self._zf = zipfile.ZipFile(self._fh)
        except InvalidParameterError:
            self.close()
            raise
        except LOW_LEVEL_ERRORS as exc:
            self.close()
            raise path_error(p, f"{self.bad} ({type(exc).__name__}: {exc})") from None
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

    def scan(self, wanted: dict[str, str]) -> dict[str, Member]:
        assert self._zf is not None
        try:
            return scan_npz(self._zf, self.p, wanted)
        except InvalidParameterError:
            raise
        except LOW_LEVEL_ERRORS as exc:
            raise path_error(self.p, f"{self.bad} ({type(exc).__name__}: {exc})") from None

    def read(self, m: Member) -> np.ndarray:
        """The array of a scanned member: exactly its declared bytes (the CRC is checked)."""
        assert self._zf is not None
        try:
            with self._zf.open(m.info) as fh:
                read_exact(fh, m.offset)
                data = read_exact(fh, m.nbytes)
        except LOW_LEVEL_ERRORS as exc:
            raise path_error(self.p, f"{self.bad} (member {m.info.filename!r}: {type(exc).__name__}: {exc})") from None
        return np.frombuffer(data, dtype=m.dtype).reshape(m.shape, order="F" if m.fortran else "C")
