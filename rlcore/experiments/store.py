"""The on-disk record store of a sweep: a manifest and an append-only JSON-lines file.

A sweep's output directory holds

``manifest.json``
    Written once, atomically (temporary file, ``fsync``, rename), before any record:
    the format version, the sweep's :attr:`~rlcore.experiments.Sweep.fingerprint`,
    the sweep itself (:meth:`~rlcore.experiments.Sweep.to_dict`) and the name of the
    run function. A directory whose manifest has another fingerprint is refused, so
    the records of two different sweeps are never mixed.
``records.jsonl``
    One JSON object per line, one line per finished run (successful or failed),
    appended by a single ``write`` as each run finishes (from then on a crash of the
    process cannot lose it) and ``fsync``-ed to the disk (so that a crash of the
    machine cannot either; by default after every record, see the ``sync_interval``
    argument of :func:`~rlcore.experiments.run_sweep`). A crash can
    therefore only ever leave a *torn last line*: it is detected on
    opening, reported with a :class:`RuntimeWarning` and cut off (the run it
    belonged to had not been recorded, so it runs again). A malformed line anywhere
    else is not something this module writes; it is reported as an error rather
    than skipped. A complete last record that lost only its newline is kept.
``.lock``
    Held (``flock``) while a sweep writes to the directory, so that two processes
    cannot run the same sweep into it at once.

A run that failed and was retried has several lines; the record that counts is the
latest one, except that a successful record is never superseded.

A record is a dict with the fields

* ``key``, ``config_key``, ``config``, ``seed_index``, ``seed``: which run it is
  (see :class:`~rlcore.experiments.Run`);
* ``status``: ``"ok"`` or ``"failed"``;
* ``result``: what the run function returned (JSON-native), ``None`` when failed;
* ``error``, ``traceback``: ``"ExcType: message"`` and the formatted traceback of a
  failed run, ``None`` otherwise;
* ``meta``: everything that varies from one execution to the next and nothing else:
  ``wall_s`` (seconds spent in the run function), ``finished_at`` (Unix time),
  ``host``, ``pid``, ``backend``. Records of the same sweep are bit-identical once
  ``meta`` is removed, whatever the backend (:func:`strip_meta`).
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rlcore._dataset_columns import json_depth
from rlcore.experiments._json import MAX_DEPTH, canonical_json, dumps_record
from rlcore.experiments.sweep import Sweep
from rlcore.validation import (
    Bool,
    Instance,
    InvalidParameterError,
    Path as _PathConstraint,
    validate_params,
)

__all__ = ["MANIFEST_FILE", "RECORDS_FILE", "load_records", "strip_meta"]

#: Name of the manifest file in a sweep's output directory.
MANIFEST_FILE = "manifest.json"
#: Name of the JSON-lines record file in a sweep's output directory.
RECORDS_FILE = "records.jsonl"
_LOCK_FILE = ".lock"
_FORMAT = "rlcore.experiments.store/1"
_REQUIRED_FIELDS = ("key", "status")


#: Deepest nesting of a stored JSON document (a record wraps a result of depth MAX_DEPTH).
_MAX_STORED_DEPTH = MAX_DEPTH + 4


def _loads(raw: str | bytes) -> Any:
    """``json.loads`` after bounding the nesting depth (no RecursionError on hostile files)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if json_depth(text) > _MAX_STORED_DEPTH:
        raise ValueError(f"nested deeper than {_MAX_STORED_DEPTH} levels")
    return json.loads(text)


@validate_params(record=Instance(Mapping, what="a record dict"))
def strip_meta(record: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``record`` without its ``meta`` field (timings, host, process).

    What remains is what a run computed, identical across backends and reruns.

    Examples
    --------
    >>> strip_meta({"key": "k", "status": "ok", "meta": {"wall_s": 0.1}})
    {'key': 'k', 'status': 'ok'}
    """
    return {k: v for k, v in record.items() if k != "meta"}


# ----------------------------------------------------------------------------- reading
def _parse_records(path: Path, *, repair: bool) -> list[dict[str, Any]]:
    """Every record in ``path``, in file order; deals with a torn last line.

    With ``repair``, a torn last line is cut off the file and a complete last line
    without its newline gets one, so that the next append starts on a fresh line.
    """
    if not path.exists():
        return []
    data = path.read_bytes()
    if not data:
        return []
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    records = []
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        records.append(_parse_line(raw, path, lineno))
    if tail.strip():
        try:
            rec = _loads(tail)
            complete = isinstance(rec, dict) and all(f in rec for f in _REQUIRED_FIELDS)
        except ValueError:
            complete = False
        if complete:
            records.append(rec)
            if repair:
                with open(path, "ab") as fh:
                    fh.write(b"\n")
                    fh.flush()
                    os.fsync(fh.fileno())
        else:
            action = "cutting it off" if repair else "ignoring it"
            warnings.warn(
                f"{path}: the last line ({len(tail)} bytes) is an incomplete record (torn by an "
                f"interrupted write, or being written right now); {action} (a torn record's run "
                "was not recorded and runs again on resume)",
                RuntimeWarning,
                stacklevel=3,
            )
            if repair:
                with open(path, "r+b") as fh:
                    fh.truncate(len(data) - len(tail))
                    fh.flush()
                    os.fsync(fh.fileno())
    return records


def _parse_line(raw: bytes, path: Path, lineno: int) -> dict[str, Any]:
    try:
        rec = _loads(raw)
    except ValueError as exc:
        raise InvalidParameterError(
            "out_dir",
            f"{path}: line {lineno} is not valid JSON ({exc}); only the last line of a record "
            "file can be torn by a crash, so the file was modified by something else. Remove "
            "the line (its run will run again) and retry",
        ) from None
    if not isinstance(rec, dict) or any(f not in rec for f in _REQUIRED_FIELDS):
        raise InvalidParameterError(
            "out_dir", f"{path}: line {lineno} is not a record (needs the fields {list(_REQUIRED_FIELDS)})"
        )
    return rec


def _latest(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The record that counts for each key: the latest, but an ``ok`` is never superseded."""
    out: dict[str, dict[str, Any]] = {}
    for rec in records:
        old = out.get(rec["key"])
        if old is not None and old["status"] == "ok":
            continue
        out[rec["key"]] = rec
    return out


def _read_manifest(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / MANIFEST_FILE
    if not path.exists():
        return None
    try:
        manifest = _loads(path.read_bytes())
    except ValueError as exc:
        raise InvalidParameterError("out_dir", f"{path} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT or "fingerprint" not in manifest:
        raise InvalidParameterError("out_dir", f"{path} is not a manifest written by rlcore.experiments ({_FORMAT})")
    return manifest


def _check_out_dir(out_dir: Any) -> Path:
    path = _PathConstraint().check(out_dir, "out_dir")
    if path.exists() and not path.is_dir():
        raise InvalidParameterError("out_dir", f"{path} exists and is not a directory")
    return path


@validate_params(out_dir=_PathConstraint(), latest=Bool())
def load_records(out_dir: str | os.PathLike[str], *, latest: bool = True) -> list[dict[str, Any]]:
    """Read the records of a sweep's output directory (read-only; safe during a sweep).

    Parameters
    ----------
    out_dir : str or path
        A directory written by :func:`~rlcore.experiments.run_sweep`.
    latest : bool, default True
        One record per run (the one that counts, see the module docstring), in the
        sweep's order; runs that have not finished are absent. With ``False``: every
        line of the file in the order written, including failed attempts that were
        retried later.

    Returns
    -------
    list of dict

    Raises
    ------
    InvalidParameterError
        Naming ``out_dir``, if it holds no sweep manifest, or a record line other than
        the last is malformed.

    Warns
    -----
    RuntimeWarning
        If the last line is a torn record (ignored here, cut off by the next
        :func:`~rlcore.experiments.run_sweep` on the directory).
    """
    path = _check_out_dir(out_dir)
    manifest = _read_manifest(path)
    if manifest is None:
        raise InvalidParameterError("out_dir", f"{path} holds no {MANIFEST_FILE}; it is not the output of run_sweep")
    records = _parse_records(path / RECORDS_FILE, repair=False)
    if not latest:
        return records
    by_key = _latest(records)
    order = [run.key for run in Sweep.from_dict(manifest["sweep"]).runs()]
    out = [by_key.pop(k) for k in order if k in by_key]
    out.extend(by_key.values())  # records of no run of the manifest's sweep (hand-edited files)
    return out


# ----------------------------------------------------------------------------- writing
def _describe_difference(old: Mapping[str, Any], new: Sweep) -> str:
    try:
        before = Sweep.from_dict(old)
    except (TypeError, ValueError):
        return "its manifest describes an unreadable sweep"
    parts = []
    for attr in ("root_seed", "n_seeds", "common_seeds"):
        a, b = getattr(before, attr), getattr(new, attr)
        if a != b:
            parts.append(f"{attr} {a!r} there, {b!r} here")
    old_keys, new_keys = set(before.config_keys), set(new.config_keys)
    if old_keys != new_keys:
        parts.append(
            f"{len(new_keys - old_keys)} configuration(s) here not there, {len(old_keys - new_keys)} there not here"
        )
    return "; ".join(parts) or "another seeding scheme"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class _RecordStore:
    """The writer side of a sweep's output directory (private; one per running sweep)."""

    def __init__(self, out_dir: Path, sweep: Sweep, run_fn_name: str, sync_interval: float = 0.0) -> None:
        self.out_dir = out_dir
        self.sync_interval = sync_interval
        self._last_sync = time.monotonic()
        self._unsynced = False
        self.records_path = out_dir / RECORDS_FILE
        out_dir.mkdir(parents=True, exist_ok=True)
        self._lock_fd: int | None = None
        self._fd: int | None = None
        self._acquire_lock()
        try:
            self._check_or_write_manifest(sweep, run_fn_name)
            self.existing = _latest(_parse_records(self.records_path, repair=True))
            self._fd = os.open(self.records_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except BaseException:
            self.close()
            raise

    def _acquire_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock
            return
        fd = os.open(self.out_dir / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise RuntimeError(
                f"out_dir: {self.out_dir} is in use by another running sweep (process {holder}); "
                "wait for it to finish or use another directory"
            ) from None
        except OSError as exc:  # pragma: no cover - file systems without flock
            warnings.warn(
                f"out_dir: cannot lock {self.out_dir} ({exc}); running unlocked", RuntimeWarning, stacklevel=4
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        self._lock_fd = fd

    def _check_or_write_manifest(self, sweep: Sweep, run_fn_name: str) -> None:
        manifest = _read_manifest(self.out_dir)
        if manifest is None:
            if self.records_path.exists() and self.records_path.stat().st_size > 0:
                raise InvalidParameterError(
                    "out_dir",
                    f"{self.out_dir} holds a {RECORDS_FILE} but no {MANIFEST_FILE}, so "
                    "whose records they are is unknown; use another directory",
                )
            self._write_manifest(sweep, run_fn_name)
            return
        if manifest["fingerprint"] != sweep.fingerprint:
            diff = _describe_difference(manifest.get("sweep", {}), sweep)
            raise InvalidParameterError(
                "out_dir",
                f"{self.out_dir} holds the records of another sweep ({diff}); use a new "
                "directory for this sweep (or delete that one to start over)",
            )
        if manifest.get("run_fn") != run_fn_name:
            warnings.warn(
                f"out_dir: the records in {self.out_dir} were written by run_fn "
                f"{manifest.get('run_fn')!r}, the sweep now runs {run_fn_name!r}; "
                "finished runs are not run again",
                RuntimeWarning,
                stacklevel=4,
            )

    def _write_manifest(self, sweep: Sweep, run_fn_name: str) -> None:
        import datetime

        manifest = {
            "format": _FORMAT,
            "fingerprint": sweep.fingerprint,
            "run_fn": run_fn_name,
            "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "sweep": sweep.to_dict(),
        }
        tmp = self.out_dir / f".{MANIFEST_FILE}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(json.loads(canonical_json(manifest)), fh, indent=1, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.out_dir / MANIFEST_FILE)
        _fsync_dir(self.out_dir)

    def append(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Write one record durably; return it as read back from its JSON line."""
        if self._fd is None:
            raise RuntimeError("the record store is closed")
        line = dumps_record(record)
        data = (line + "\n").encode("ascii")
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        # the line is now in the kernel: a crash of this process cannot lose it; fsync
        # makes it survive a crash of the machine too
        now = time.monotonic()
        if now - self._last_sync >= self.sync_interval:
            os.fsync(self._fd)
            self._last_sync, self._unsynced = now, False
        else:
            self._unsynced = True
        return json.loads(line)

    def close(self) -> None:
        if self._fd is not None:
            if self._unsynced:
                os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    def __enter__(self) -> _RecordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
