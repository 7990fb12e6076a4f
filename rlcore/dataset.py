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

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, cast

import numpy as np

from .validation import (
    Bool,
    InvalidParameterError,
    InvalidParameterTypeError,
    Path as _PathConstraint,
    check_discount,
    validate_params,
)
from rlcore._dataset_columns import COLUMNS, Column, Metadata, as_metadata, canonical_json
from rlcore._npz import MAX_LOAD_BYTES as MAX_LOAD_BYTES  # documented here, enforced there
from rlcore._npz import npz_path, path_error
from rlcore._dataset_format import FORMAT_NAME as FORMAT_NAME
from rlcore._dataset_format import FORMAT_VERSION as FORMAT_VERSION
from rlcore._dataset_format import read_dataset_file, write_dataset_file

__all__ = ["Dataset"]

PathLike = Union[str, "os.PathLike[str]"]


@validate_params(
    observations=Column("any"),
    actions=Column("any"),
    rewards=Column("rewards"),
    next_observations=Column("any"),
    terminated=Column("flags"),
    truncated=Column("flags"),
    episode_ids=Column("ints"),
    timesteps=Column("ints"),
    metadata=Metadata(),
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
            **{name: getattr(self, name)[idx] for name in COLUMNS if name != "episode_ids"},
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
            metadata = as_metadata(metadata)
        else:
            same = all(canonical_json(ds.metadata) == canonical_json(parts[0].metadata) for ds in parts)
            metadata = parts[0].metadata if same else {}
        offsets = np.cumsum([0] + [ds.n_episodes for ds in parts])
        ids = [
            np.repeat(np.arange(ds.n_episodes) + off, ds.episode_lengths() if len(ds) else 0)
            for ds, off in zip(parts, offsets)
        ]
        columns = {
            name: np.concatenate([getattr(ds, name) for ds in parts]) for name in COLUMNS if name != "episode_ids"
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
        for name in COLUMNS:
            a, b = getattr(self, name), getattr(other, name)
            if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
                return False
        return canonical_json(self.metadata) == canonical_json(other.metadata)

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
        target = npz_path(_PathConstraint().check(path, "path"))
        return write_dataset_file({name: getattr(self, name) for name in COLUMNS}, self.metadata, target)

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
        p = npz_path(Path(path))  # a pathlib.Path already (the declaration converts it)
        arrays, meta = read_dataset_file(p)
        try:
            return cls(**arrays, metadata=meta)
        except (TypeError, ValueError) as exc:
            raise path_error(p, f"stored data fail validation: {exc}") from None
