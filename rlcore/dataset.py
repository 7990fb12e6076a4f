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
with ``allow_pickle=False``, checks the member names, dtypes, shapes and digests against
the schema, then runs the constructor's validation. Any defect (not a zip, truncated,
a flipped byte, a missing or extra column, a foreign format) is a ``ValueError`` naming
the file. A round trip is bit-exact, ``-0.0`` and subnormal floats included.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tokenize
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, cast

import numpy as np

from .validation import check_discount

__all__ = ["Dataset"]

FORMAT_NAME = "rlcore.Dataset"
FORMAT_VERSION = 1
_COLUMNS = (
    "observations", "actions", "rewards", "next_observations",
    "terminated", "truncated", "episode_ids", "timesteps",
)
_SCHEMA_KEY = "__schema__"
# What damaged bytes can raise while zipfile and numpy decode them (RuntimeError: a flipped
# "encrypted" flag; SyntaxError and TokenError: a garbled .npy header). Found by flipping
# every byte of a saved file, see tests/rlcore/test_dataset.py.
_LOW_LEVEL_ERRORS = (
    zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError, struct.error,
    NotImplementedError, OverflowError, MemoryError, RuntimeError, SyntaxError, tokenize.TokenError,
)
PathLike = Union[str, "os.PathLike[str]"]


def _as_array(x: Any, name: str) -> np.ndarray:
    """Return a C-contiguous copy of ``x``: bool, integer or finite float, at least 1-D."""
    try:
        arr = np.array(x, copy=True, order="C")
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name}: expected an array, could not convert {type(x).__name__} ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a bool, integer or float array, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name}: expected an array with a leading axis of length N, got a scalar")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name}: entries must be finite, found {arr[bad]} at index {bad}")
    return arr


def _as_int64(x: Any, name: str) -> np.ndarray:
    arr = _as_array(x, name)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected an integer array of shape (N,), got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected an integer array of shape (N,), got shape {arr.shape}")
    if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name}: entries must fit in int64, found {arr.max()}")
    return arr.astype(np.int64)


def _check_json_keys(obj: Any, where: str) -> None:
    """json.dumps silently turns int/float/bool/None keys into strings; reject them."""
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"metadata: keys must be str, got {key!r} at {where}")
            _check_json_keys(value, f"{where}[{key!r}]")
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            _check_json_keys(value, f"{where}[{i}]")


def _as_metadata(metadata: Any) -> dict[str, Any]:
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata: expected a dict of JSON values, got {type(metadata).__name__}")
    _check_json_keys(metadata, "metadata")
    try:
        text = json.dumps(dict(metadata), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"metadata: expected JSON-serialisable plain values (str, int, finite float, "
                        f"bool, None, lists and dicts of those): {exc}") from None
    return json.loads(text)  # a deep, normalised copy: tuples become lists


def _canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, allow_nan=False)


def _sha256(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def _npz_path(path: PathLike) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a str or os.PathLike, got {type(path).__name__}")
    p = Path(os.fspath(path))
    return p if p.suffix == ".npz" else p.with_name(p.name + ".npz")


def _read_npz(p: Path, bad: str) -> dict[str, np.ndarray]:
    """Read every member of an ``.npz`` file with ``allow_pickle=False``.

    Opening errors (missing file, permissions) propagate unchanged; every failure to
    decode the bytes becomes a ``ValueError`` starting with ``bad``.
    """
    arrays: dict[str, np.ndarray] = {}
    with open(p, "rb") as fh:
        try:
            loaded = np.load(fh, allow_pickle=False)
        except _LOW_LEVEL_ERRORS as exc:
            raise ValueError(f"{bad}: not a readable .npz archive ({type(exc).__name__}: {exc})") from exc
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError(f"{bad}: a single .npy array, not an .npz archive")
        with loaded:
            for name in loaded.files:
                try:
                    member = loaded[name]
                except ValueError as exc:
                    if "allow_pickle" in str(exc):
                        raise ValueError(f"{p}: member {name!r} is a pickled object array, "
                                         f"which is never loaded ({exc})") from exc
                    raise ValueError(f"{bad} (member {name!r}: ValueError: {exc})") from exc
                except _LOW_LEVEL_ERRORS as exc:
                    raise ValueError(f"{bad} (member {name!r}: {type(exc).__name__}: {exc})") from exc
                if not isinstance(member, np.ndarray):
                    raise ValueError(f"{bad} (member {name!r} is not a .npy array)")
                arrays[name] = member
    return arrays


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
        JSON-serialisable plain values (str keys). A normalised deep copy is stored.

    Every array is copied and made read-only, so the caller's arrays are untouched
    and the dataset cannot change afterwards. N = 0 is allowed; methods that need
    transitions then raise ``ValueError``.

    Raises
    ------
    TypeError
        A column of the wrong kind (strings, objects, float ids, int flags, ...) or
        metadata that is not plain JSON.
    ValueError
        Wrong shapes or lengths, non-finite floats, or a broken episode structure.

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
        obs = _as_array(self.observations, "observations")
        n = obs.shape[0]

        def check_len(arr: np.ndarray, name: str, what: str) -> None:
            if arr.shape[0] != n:
                raise ValueError(f"{name}: expected {what} with leading length N = {n} "
                                 f"(the length of observations), got shape {arr.shape}")

        nxt = _as_array(self.next_observations, "next_observations")
        if nxt.shape != obs.shape or nxt.dtype != obs.dtype:
            raise ValueError(f"next_observations: expected the shape {obs.shape} and dtype {obs.dtype} "
                             f"of observations, got shape {nxt.shape} and dtype {nxt.dtype}")
        act = _as_array(self.actions, "actions")
        check_len(act, "actions", "an array")
        rew = _as_array(self.rewards, "rewards")
        if rew.dtype.kind == "b" or rew.ndim != 1:
            raise (TypeError if rew.dtype.kind == "b" else ValueError)(
                "rewards: expected a finite float array of shape (N,), "
                f"got shape {rew.shape} and dtype {rew.dtype}")
        check_len(rew, "rewards", "a finite float array of shape (N,)")
        rew = rew.astype(np.float64)
        flags = {}
        for name in ("terminated", "truncated"):
            arr = _as_array(getattr(self, name), name)
            if arr.dtype != np.bool_:
                raise TypeError(f"{name}: expected a bool array of shape (N,), got dtype {arr.dtype} "
                                "(convert 0/1 flags with .astype(bool))")
            if arr.ndim != 1:
                raise ValueError(f"{name}: expected a bool array of shape (N,), got shape {arr.shape}")
            check_len(arr, name, "a bool array of shape (N,)")
            flags[name] = arr
        ids = _as_int64(self.episode_ids, "episode_ids")
        check_len(ids, "episode_ids", "an integer array of shape (N,)")
        ts = _as_int64(self.timesteps, "timesteps")
        check_len(ts, "timesteps", "an integer array of shape (N,)")
        meta = _as_metadata(self.metadata)

        if n:
            step = np.diff(ids)
            if (step < 0).any():
                i = int(np.flatnonzero(step < 0)[0]) + 1
                raise ValueError(f"episode_ids: expected non-decreasing ids (each episode contiguous), "
                                 f"but episode_ids[{i}] = {ids[i]} follows episode_ids[{i - 1}] = {ids[i - 1]}")
            is_start = np.concatenate(([True], step != 0))
            starts = np.flatnonzero(is_start)
            expected_t = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
            if (ts != expected_t).any():
                i = int(np.flatnonzero(ts != expected_t)[0])
                raise ValueError(f"timesteps: expected 0, 1, 2, ... within each episode, got timesteps[{i}] = "
                                 f"{ts[i]} where {expected_t[i]} was expected (episode id {ids[i]})")
            both = flags["terminated"] & flags["truncated"]
            if both.any():
                i = int(np.flatnonzero(both)[0])
                raise ValueError(f"terminated, truncated: transition {i} has both flags set; "
                                 "an episode ends either in a terminal state or by a time limit")
            is_last = np.append(is_start[1:], True)
            for name, arr in flags.items():
                early = arr & ~is_last
                if early.any():
                    i = int(np.flatnonzero(early)[0])
                    raise ValueError(f"{name}: transition {i} (episode id {ids[i]}, t = {ts[i]}) is flagged "
                                     "but is not the last transition of its episode")
        else:
            starts = np.zeros(0, dtype=np.int64)

        columns = {"observations": obs, "actions": act, "rewards": rew, "next_observations": nxt,
                   **flags, "episode_ids": ids, "timesteps": ts}
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
        cols = ", ".join(f"{name}={getattr(self, name).dtype}{getattr(self, name).shape}"
                         for name in ("observations", "actions"))
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
        """
        gamma = check_discount(gamma, "gamma", allow_one=True)
        self._require_data("episode_returns")
        weights = np.power(gamma, self.timesteps.astype(np.float64))
        with np.errstate(over="ignore"):
            returns = np.add.reduceat(weights * self.rewards, self._starts)
        if not np.all(np.isfinite(returns)):
            e = int(np.flatnonzero(~np.isfinite(returns))[0])
            raise ValueError(f"rewards: the return of episode {e} (id {self.episode_ids[self._starts[e]]}) "
                             "overflows float64; rescale the rewards")
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
        self._require_data("select_episodes")
        sel = np.asarray(selection)
        e = self.n_episodes
        if sel.dtype == np.bool_:
            if sel.shape != (e,):
                raise ValueError(f"selection: expected a bool mask of shape ({e},), got shape {sel.shape}")
            pos = np.flatnonzero(sel)
        elif sel.dtype.kind in "iu" or sel.size == 0:
            if sel.ndim != 1:
                raise ValueError(f"selection: expected episode positions of shape (k,), got shape {sel.shape}")
            pos = sel.astype(np.int64)
            bad = (pos < 0) | (pos >= e)
            if bad.any():
                raise ValueError(f"selection: episode positions must lie in [0, {e}), "
                                 f"found {sel[np.flatnonzero(bad)[0]]}")
        else:
            raise TypeError(f"selection: expected a bool mask or integer positions, got dtype {sel.dtype}")
        if not renumber and (np.diff(pos) <= 0).any():
            raise ValueError("selection: positions must be strictly increasing to keep the original "
                             "episode_ids; pass renumber=True to reorder or repeat episodes")
        lengths = self.episode_lengths()[pos]
        offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
        idx = np.arange(int(lengths.sum())) - offsets + np.repeat(self._starts[pos], lengths)
        ids = np.repeat(np.arange(pos.size), lengths) if renumber else self.episode_ids[idx]
        return type(self)(**{name: getattr(self, name)[idx] for name in _COLUMNS if name != "episode_ids"},
                          episode_ids=ids, metadata=self.metadata)

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
        try:
            parts = list(datasets)
        except TypeError:
            raise TypeError(f"datasets: expected a sequence of Dataset, got {type(datasets).__name__}") from None
        if not parts:
            raise ValueError("datasets: expected a non-empty sequence of Dataset")
        for i, ds in enumerate(parts):
            if not isinstance(ds, Dataset):
                raise TypeError(f"datasets[{i}]: expected a Dataset, got {type(ds).__name__}")
            for name in ("observations", "actions"):
                a, b = getattr(parts[0], name), getattr(ds, name)
                if a.shape[1:] != b.shape[1:] or a.dtype != b.dtype:
                    raise ValueError(f"datasets[{i}]: {name} have per-transition shape {b.shape[1:]} and "
                                     f"dtype {b.dtype}, expected {a.shape[1:]} and {a.dtype} as in datasets[0]")
        if metadata is None:
            same = all(_canonical_json(ds.metadata) == _canonical_json(parts[0].metadata) for ds in parts)
            metadata = parts[0].metadata if same else {}
        offsets = np.cumsum([0] + [ds.n_episodes for ds in parts])
        ids = [np.repeat(np.arange(ds.n_episodes) + off, ds.episode_lengths() if len(ds) else 0)
               for ds, off in zip(parts, offsets)]
        columns = {name: np.concatenate([getattr(ds, name) for ds in parts])
                   for name in _COLUMNS if name != "episode_ids"}
        return cls(**columns, episode_ids=np.concatenate(ids).astype(np.int64),
                   metadata=cast(dict[str, Any], metadata))  # __post_init__ copies any Mapping into a dict

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
        target = _npz_path(path)
        arrays = {name: getattr(self, name) for name in _COLUMNS}
        schema = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "columns": [{"name": name, "dtype": arr.dtype.str, "shape": list(arr.shape),
                         "sha256": _sha256(arr)} for name, arr in arrays.items()],
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
    def load(cls, path: PathLike) -> Dataset:
        """Read a dataset written by :meth:`save`, never unpickling.

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
        FileNotFoundError
            If the file does not exist.
        ValueError
            Naming the file, for anything else wrong with it: not an ``.npz`` archive,
            truncated or corrupted bytes, a digest mismatch, a missing or extra column,
            a foreign format or version, a dtype or shape differing from the schema,
            an object (pickled) array, or data that fail validation.
        """
        p = _npz_path(path)
        bad = f"{p}: truncated or corrupted {FORMAT_NAME} file"
        arrays = _read_npz(p, bad)
        raw = arrays.pop(_SCHEMA_KEY, None)
        if raw is None or raw.dtype.kind != "U" or raw.size != 1:
            raise ValueError(f"{p}: no {_SCHEMA_KEY} record (a 0-d unicode array); not a {FORMAT_NAME} file")
        try:
            schema = json.loads(str(raw.reshape(())[()]))
            fmt, version, specs = schema["format"], schema["version"], schema["columns"]
            meta = schema["metadata"]
            specs = {c["name"]: (c["dtype"], tuple(c["shape"]), c["sha256"]) for c in specs}
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{bad} (unreadable {_SCHEMA_KEY}: {type(exc).__name__}: {exc})") from exc
        if fmt != FORMAT_NAME:
            raise ValueError(f"{p}: format {fmt!r} is not {FORMAT_NAME!r}")
        if type(version) is not int or version != FORMAT_VERSION:
            raise ValueError(f"{p}: unsupported {FORMAT_NAME} format version {version!r} "
                             f"(this library reads version {FORMAT_VERSION})")
        for label, names in (("schema", set(specs)), ("file", set(arrays))):
            missing, extra = sorted(set(_COLUMNS) - names), sorted(names - set(_COLUMNS))
            if missing or extra:
                raise ValueError(f"{p}: {label} columns differ from {list(_COLUMNS)}: "
                                 f"missing {missing}, unexpected {extra}")
        for name in _COLUMNS:
            arr, (dtype, shape, digest) = arrays[name], specs[name]
            if arr.dtype.str != dtype or arr.shape != shape:
                raise ValueError(f"{p}: column {name!r} has dtype {arr.dtype.str} and shape {arr.shape}, "
                                 f"but the schema records {dtype} and {shape}")
            if _sha256(arr) != digest:
                raise ValueError(f"{bad} (SHA-256 digest mismatch in column {name!r})")
        try:
            return cls(**arrays, metadata=meta)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{p}: stored data fail validation: {exc}") from exc
