"""Conversion between :class:`rlcore.Dataset` and Minari (Farama) datasets.

Minari stores each episode as arrays ``observations`` of length ``T + 1`` (the final
observation included), ``actions``, ``rewards``, ``terminations`` and ``truncations``
of length ``T``, and an integer ``id`` (its ``EpisodeData``; on disk, one HDF5 group
``episode_{id}`` per episode). Two levels:

* :func:`to_minari_episodes` and :func:`from_minari_episodes` convert to and from a list
  of such dictionaries of NumPy arrays, without depending on Minari or h5py;
* :func:`to_minari_dataset` and :func:`from_minari_dataset` go through Minari's own
  files: they write a local Minari dataset with ``minari.create_dataset_from_buffers``
  and read one (``minari.load_dataset`` or a ``MinariDataset``) into a
  :class:`rlcore.Dataset`. They need the optional ``minari`` extra
  (``pip install 'rlref[minari]'``), imported only when called.

Both round trips are exact (bit-identical columns, the same episode ids and metadata).
Datasets live under Minari's datasets root: the ``root`` argument, else the
environment variable ``MINARI_DATASETS_PATH``, else ``~/.minari/datasets``. Nothing is
ever downloaded, and reading never unpickles (Minari keeps its metadata in JSON and
the episodes in HDF5 arrays).

References
----------
Farama Foundation, Minari documentation, "Dataset standards" (episode data layout) and
"Basic usage" (``DataCollector``, ``create_dataset_from_buffers``, ``load_dataset``).
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path as _FsPath
from typing import Any

import gymnasium
import numpy as np

from rlcore.dataset import Dataset
from rlcore.validation import (
    Implements,
    Instance,
    InvalidParameterError,
    InvalidParameterTypeError,
    Path,
    validate_params,
)
from offline._constraints import MinariDatasetId, MinariEpisodes, OfflineData

__all__ = ["from_minari_dataset", "from_minari_episodes", "to_minari_dataset", "to_minari_episodes"]


@validate_params(data=OfflineData())
def to_minari_episodes(data: Dataset) -> list[dict[str, Any]]:
    """Split a dataset into Minari-style episode dictionaries.

    Parameters
    ----------
    data : Dataset
        Non-empty. Within each episode, ``next_observations[t]`` must equal ``observations[t + 1]``
        (checked): Minari stores each observation once.

    Returns
    -------
    list of dict
        One per episode: ``id`` (the episode id), ``observations`` (``T + 1``),
        ``actions``, ``rewards``, ``terminations``, ``truncations`` (``T``).

    Examples
    --------
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> data = rollout(chain(3, horizon=2), np.full((3, 2), 0.5), 2, rng=0)
    >>> eps = to_minari_episodes(data)
    >>> len(eps), eps[0]["observations"].shape, eps[0]["actions"].shape
    (2, (3,), (2,))
    >>> from_minari_episodes(eps).equals(data)
    True
    """
    episodes = []
    for sl in data.episode_slices():
        obs, nxt = data.observations[sl], data.next_observations[sl]
        if obs.shape[0] > 1 and not np.array_equal(nxt[:-1], obs[1:]):
            i = int(np.flatnonzero((nxt[:-1] != obs[1:]).reshape(obs.shape[0] - 1, -1).any(axis=1))[0])
            raise InvalidParameterError(
                "data",
                f"episode id {int(data.episode_ids[sl.start])} is not contiguous "
                f"(next_observations[{sl.start + i}] != observations[{sl.start + i + 1}]); "
                "Minari stores each observation once",
            )
        episodes.append(
            {
                "id": int(data.episode_ids[sl.start]),
                "observations": np.concatenate([obs, nxt[-1:]]),
                "actions": data.actions[sl].copy(),
                "rewards": data.rewards[sl].copy(),
                "terminations": data.terminated[sl].copy(),
                "truncations": data.truncated[sl].copy(),
            }
        )
    return episodes


@validate_params(episodes=MinariEpisodes(), metadata=Instance(dict, what="a dict of JSON values") | None)
def from_minari_episodes(episodes: Any, *, metadata: dict[str, Any] | None = None) -> Dataset:
    """Build a dataset from Minari-style episodes (dicts or objects with those attributes).

    Parameters
    ----------
    episodes : iterable
        At least one; each with ``observations`` (``T + 1``), ``actions``, ``rewards``
        (finite), ``terminations``, ``truncations`` (bool arrays, at most one flag, on
        the last step; ``T >= 1``) and optionally an integer ``id``; dicts or Minari
        ``EpisodeData`` objects, all with the same observation and action shapes.
        At most ``10**8`` transitions in all.
    metadata : dict, optional
        JSON-serialisable plain values (see :class:`rlcore.Dataset`).

    Returns
    -------
    Dataset
        Episode ids from ``id`` when every episode has one and they increase, else
        ``0 .. E-1``.
    """
    cols: dict[str, list[np.ndarray]] = {
        k: []
        for k in (
            "observations",
            "next_observations",
            "actions",
            "rewards",
            "terminated",
            "truncated",
            "timesteps",
            "ids",
        )
    }
    ids = []
    for i, ep in enumerate(episodes):
        obs, T = ep["observations"], ep["actions"].shape[0]
        cols["observations"].append(obs[:-1])
        cols["next_observations"].append(obs[1:])
        cols["actions"].append(ep["actions"])
        cols["rewards"].append(ep["rewards"])
        cols["terminated"].append(ep["terminations"])
        cols["truncated"].append(ep["truncations"])
        cols["timesteps"].append(np.arange(T))
        cols["ids"].append(np.full(T, i))
        ids.append(ep["id"])
    use_ids = all(x is not None for x in ids) and all(a < b for a, b in zip(ids, ids[1:]))  # type: ignore[operator]
    pos = np.concatenate(cols.pop("ids"))
    episode_ids = np.asarray(ids, dtype=np.int64)[pos] if use_ids else pos
    try:
        return Dataset(
            **{k: np.concatenate(v) for k, v in cols.items()}, episode_ids=episode_ids, metadata=metadata or {}
        )
    except (ValueError, TypeError) as exc:  # what the episode checks cannot see (metadata, dtypes)
        msg = str(exc)
        name = "metadata" if msg.startswith("metadata") else "episodes"
        raise (InvalidParameterTypeError if isinstance(exc, TypeError) else InvalidParameterError)(
            name, msg[len(name) + 2 :] if msg.startswith(name + ": ") else msg
        ) from None


# ------------------------------------------------------------------ Minari's own files
#: The key of a Minari dataset's metadata (its ``metadata.json``) under which
#: :func:`to_minari_dataset` keeps what Minari has no field for: the
#: :class:`rlcore.Dataset`'s episode ids (Minari numbers episodes ``0 .. E-1``) and its
#: metadata.
RLREF_KEY = "rlref"
_RLREF_FORMAT = 1
_MINARI_HINT = "install the optional 'minari' extra: pip install 'rlref[minari]'"
#: Serialises the calls that point ``MINARI_DATASETS_PATH`` at a ``root`` for a moment.
_ROOT_LOCK = threading.Lock()
#: Minari's reminders about optional descriptive fields left out (not errors).
_MINARI_NONE_FIELDS = r"`(code_permalink|author|author_email|algorithm_name|description|eval_env)` is set to None"

_SPACE = Instance(gymnasium.spaces.Discrete, gymnasium.spaces.Box, what="a gymnasium Discrete or Box space") | None
_ENV = Instance(str, gymnasium.envs.registration.EnvSpec, gymnasium.Env, what="a Gymnasium env id, EnvSpec or Env")
_TEXT = Instance(str, what="a str") | None


def _require_minari(who: str) -> Any:
    """Import ``minari`` (and check its HDF5 backend) at call time, or raise an ImportError naming the extra."""
    import importlib.util

    try:
        import minari
    except ImportError as exc:
        raise ImportError(f"{who} needs Minari, which is not installed; {_MINARI_HINT}") from exc
    if importlib.util.find_spec("h5py") is None:
        raise ImportError(f"{who} needs h5py (Minari's HDF5 storage), which is not installed; {_MINARI_HINT}")
    return minari


def _datasets_root(root: _FsPath | None) -> _FsPath:
    """Minari's datasets root: ``root``, else ``MINARI_DATASETS_PATH``, else ``~/.minari/datasets``."""
    if root is not None:
        return root
    env = os.environ.get("MINARI_DATASETS_PATH")
    return _FsPath(env) if env else _FsPath.home() / ".minari" / "datasets"


@contextlib.contextmanager
def _root_in_environment(root: _FsPath | None) -> Iterator[None]:
    """Point ``MINARI_DATASETS_PATH`` at ``root`` while Minari writes (restored after)."""
    if root is None:
        yield
        return
    with _ROOT_LOCK:
        old = os.environ.get("MINARI_DATASETS_PATH")
        os.environ["MINARI_DATASETS_PATH"] = str(root)
        try:
            yield
        finally:
            if old is None:
                del os.environ["MINARI_DATASETS_PATH"]
            else:
                os.environ["MINARI_DATASETS_PATH"] = old


def _infer_space(col: np.ndarray, what: str) -> Any:
    """The Minari space of a dataset column: ``Discrete`` for non-negative integer indices, else ``Box``."""
    spaces = gymnasium.spaces
    if col.dtype.kind in "iu" and col.ndim == 1 and col.min() >= 0:
        return spaces.Discrete(int(col.max()) + 1)
    if col.dtype.kind == "f":
        return spaces.Box(-np.inf, np.inf, shape=col.shape[1:], dtype=col.dtype)
    if col.dtype.kind in "iu":
        info = np.iinfo(col.dtype)
        return spaces.Box(info.min, info.max, shape=col.shape[1:], dtype=col.dtype)
    raise InvalidParameterError(
        "data", f"{what} of dtype {col.dtype} have no Minari space here (integers or floats only)"
    )


def _check_fits(space: Any, col: np.ndarray, name: str, what: str) -> None:
    """``space`` (Discrete from 0, or Box) contains every row of the column ``what``."""
    if isinstance(space, gymnasium.spaces.Discrete):
        if int(space.start) != 0:
            raise InvalidParameterError(name, f"expected a Discrete space starting at 0, got {space}")
        if col.dtype.kind not in "iu" or col.ndim != 1:
            raise InvalidParameterError(
                name, f"{space} needs integer {what} of shape (N,), got dtype {col.dtype} and shape {col.shape}"
            )
        bad = (col < 0) | (col >= int(space.n))
    else:
        if col.shape[1:] != space.shape:
            raise InvalidParameterError(name, f"{space} has shape {space.shape}; {what} have shape {col.shape[1:]}")
        if space.dtype is not None and space.dtype.kind in "iu" and col.dtype.kind not in "iu":
            raise InvalidParameterError(name, f"{space} holds integers; {what} have dtype {col.dtype}")
        bad = ((col < space.low) | (col > space.high)).reshape(col.shape[0], -1).any(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidParameterError(name, f"{space} does not contain {what}[{i}] = {col[i]!r}")


@validate_params(
    data=OfflineData(),
    dataset_id=MinariDatasetId(),
    env=_ENV | None,
    observation_space=_SPACE,
    action_space=_SPACE,
    root=Path() | None,
    algorithm_name=_TEXT,
    author=_TEXT,
    author_email=_TEXT,
    code_permalink=_TEXT,
    description=_TEXT,
)
def to_minari_dataset(
    data: Dataset,
    dataset_id: str,
    *,
    env: Any = None,
    observation_space: Any = None,
    action_space: Any = None,
    root: Any = None,
    algorithm_name: str | None = None,
    author: str | None = None,
    author_email: str | None = None,
    code_permalink: str | None = None,
    description: str | None = None,
) -> Any:
    """Write a dataset as a local Minari dataset (Minari's own HDF5 files).

    The episodes of :func:`to_minari_episodes` are handed to
    ``minari.create_dataset_from_buffers``, which writes
    ``<root>/<dataset_id>/data/`` (``main_data.hdf5`` and ``metadata.json``) exactly as
    Minari's ``DataCollector`` would; ``minari.load_dataset(dataset_id)`` reads it back.
    The dataset's episode ids and metadata are kept in Minari's metadata under the
    key ``"rlref"`` (Minari numbers episodes ``0 .. E-1``), so that
    :func:`from_minari_dataset` restores the dataset exactly.

    Parameters
    ----------
    data : Dataset
        Non-empty; within each episode ``next_observations[t] == observations[t + 1]``
        (Minari stores each observation once). Observations and actions of integer or
        float dtype.
    dataset_id : str
        Minari's id ``(namespace/)name-v<version>``, e.g. ``"rlref/riverswim/random-v0"``:
        letters, digits, ``-`` and ``_``, ``/`` between namespace levels, a version.
        No dataset of that id may exist under ``root`` yet.
    env : str, gymnasium.envs.registration.EnvSpec or gymnasium.Env, optional
        The environment that generated the data (a registered id such as
        ``"rlref/RiverSwim-v0"``): recorded in the dataset (``recover_environment``)
        and the source of the spaces not given.
    observation_space, action_space : gymnasium.spaces.Discrete or Box, optional
        The spaces recorded. ``Discrete(n)`` (``start = 0``) needs integer columns of
        shape (N,) in ``[0, n)``; ``Box`` needs rows of its shape within its bounds.
        By default those of ``env``, else inferred: ``Discrete(max + 1)`` for
        non-negative integer indices of shape (N,), else an unbounded ``Box`` of the
        column's per-step shape and dtype.
    root : str or os.PathLike, optional
        Minari's datasets root. By default ``MINARI_DATASETS_PATH``, else
        ``~/.minari/datasets``. While Minari writes, ``MINARI_DATASETS_PATH`` is set
        to ``root`` (under a lock; restored afterwards).
    algorithm_name, author, author_email, code_permalink, description : str, optional
        Minari's descriptive metadata.

    Returns
    -------
    minari.MinariDataset
        The dataset just written.

    Raises
    ------
    ImportError
        Minari or h5py is not installed (``pip install 'rlref[minari]'``).

    Guarantee
    ---------
    ``from_minari_dataset(to_minari_dataset(data, id))`` equals ``data`` (every column
    bit-identical, same episode ids and metadata), and ``minari.load_dataset(id)``
    sees the episodes of :func:`to_minari_episodes`.
    Tested by ``tests/offline/test_minari.py::test_round_trip_through_minari_files``.

    Examples
    --------
    >>> import tempfile
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> data = rollout(chain(3, horizon=4), np.full((3, 2), 0.5), 5, rng=0)
    >>> with tempfile.TemporaryDirectory() as root:
    ...     mds = to_minari_dataset(data, "rlref/chain/random-v0", root=root)
    ...     back = from_minari_dataset("rlref/chain/random-v0", root=root)
    ...     print(mds.total_episodes, mds.total_steps, mds.observation_space, mds.action_space)
    5 20 Discrete(3) Discrete(2)
    >>> back.equals(data)
    True
    """
    minari = _require_minari("to_minari_dataset")
    episodes = to_minari_episodes(data)
    spaces: dict[str, Any] = {"observation_space": observation_space, "action_space": action_space}
    env_spec = None
    if env is not None:
        made = None
        try:
            if isinstance(env, gymnasium.Env):
                made, env_spec = env, env.spec
            else:
                env_spec = gymnasium.spec(env) if isinstance(env, str) else env
                if observation_space is None or action_space is None:
                    made = gymnasium.make(env_spec)
        except Exception as exc:  # gymnasium's own errors (unknown id, bad entry point) are not ValueErrors
            raise InvalidParameterError("env", f"cannot make the environment {env!r}: {exc}") from None
        for key in spaces:
            if spaces[key] is None:
                spaces[key] = getattr(made, key)
                if not isinstance(spaces[key], (gymnasium.spaces.Discrete, gymnasium.spaces.Box)):
                    raise InvalidParameterError(
                        "env", f"its {key} {spaces[key]} is not a Discrete or Box space; give {key}"
                    )
        if made is not None and not isinstance(env, gymnasium.Env):
            made.close()
    all_obs = np.concatenate([data.observations, data.next_observations])
    for key, col, what in (
        ("observation_space", all_obs, "observations"),
        ("action_space", data.actions, "actions"),
    ):
        given = observation_space if key == "observation_space" else action_space
        where = key if given is not None or env is None else "env"
        if spaces[key] is None:
            spaces[key] = _infer_space(col, what)
        _check_fits(spaces[key], data.observations if what == "observations" else col, where, what)
        if what == "observations":
            _check_fits(spaces[key], data.next_observations, where, "next_observations")
    base = _datasets_root(root)
    if (base / dataset_id).exists():
        raise InvalidParameterError(
            "dataset_id", f"a Minari dataset {dataset_id!r} already exists under {base}; choose another name or version"
        )
    from minari.data_collector import EpisodeBuffer

    buffers = [
        EpisodeBuffer(
            id=i,
            observations=ep["observations"],
            actions=ep["actions"],
            rewards=ep["rewards"],
            terminations=ep["terminations"],
            truncations=ep["truncations"],
        )
        for i, ep in enumerate(episodes)
    ]
    described = {
        "algorithm_name": algorithm_name,
        "author": author,
        "author_email": author_email,
        "code_permalink": code_permalink,
        "description": description,
    }
    with _root_in_environment(root), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_MINARI_NONE_FIELDS, category=UserWarning)
        warnings.filterwarnings("ignore", message="env_spec is None", category=UserWarning)
        mds = minari.create_dataset_from_buffers(
            dataset_id,
            buffers,
            env=env_spec,
            observation_space=spaces["observation_space"],
            action_space=spaces["action_space"],
            **{k: v for k, v in described.items() if v is not None},
        )
    mds.storage.update_metadata(
        {
            RLREF_KEY: {
                "format": _RLREF_FORMAT,
                "episode_ids": [ep["id"] for ep in episodes],
                "metadata": data.metadata,
            }
        }
    )
    return mds


def _rlref_record(raw: Any, total: int) -> tuple[list[int] | None, dict[str, Any] | None]:
    """The episode ids and metadata kept by :func:`to_minari_dataset`, or ``(None, None)``."""
    if raw is None:
        return None, None
    ids = raw.get("episode_ids") if isinstance(raw, dict) else None
    meta = raw.get("metadata") if isinstance(raw, dict) else None
    ok = (
        isinstance(raw, dict)
        and raw.get("format") == _RLREF_FORMAT
        and isinstance(ids, list)
        and len(ids) == total
        and all(isinstance(x, int) and not isinstance(x, bool) for x in ids)
        and all(a < b for a, b in zip(ids, ids[1:]))
        and isinstance(meta, dict)
    )
    if not ok:
        raise InvalidParameterError(
            "dataset",
            f"its metadata entry {RLREF_KEY!r} is not the one to_minari_dataset writes "
            f"(format {_RLREF_FORMAT}, {total} increasing integer episode ids, a metadata dict)",
        )
    return ids, meta


@validate_params(
    dataset=MinariDatasetId() | Implements("iterate_episodes", what="a minari.MinariDataset"),
    root=Path() | None,
)
def from_minari_dataset(dataset: Any, *, root: Any = None) -> Dataset:
    """Read a local Minari dataset into a :class:`rlcore.Dataset`.

    Parameters
    ----------
    dataset : str or minari.MinariDataset
        A dataset id ``(namespace/)name-v<version>`` of a dataset under ``root``
        (never downloaded), or a loaded ``MinariDataset`` (e.g. from
        ``minari.load_dataset``; a filtered one gives its episodes in its order).
        Accepted spaces, for observations and actions alike: ``Discrete(n)`` with
        ``start = 0`` (integer indices, what the tabular learners need) and ``Box``
        (arrays of its shape). Others (``Dict``, ``Tuple``, ``Text``,
        ``MultiDiscrete``, ``MultiBinary``, a shifted ``Discrete``) are refused.
    root : str or os.PathLike, optional
        Minari's datasets root for an id. By default ``MINARI_DATASETS_PATH``, else
        ``~/.minari/datasets``.

    Returns
    -------
    Dataset
        One transition per step, episodes in Minari's order, ``timesteps`` from 0.
        When the dataset was written by :func:`to_minari_dataset`, its original
        episode ids and metadata; otherwise Minari's episode ids and the metadata
        ``{"minari_dataset_id": id}``.

    Raises
    ------
    ImportError
        Minari or h5py is not installed (``pip install 'rlref[minari]'``).

    Guarantee
    ---------
    The columns equal Minari's own episodes (``MinariDataset.iterate_episodes``):
    ``observations[:-1]``, ``observations[1:]``, ``actions``, ``rewards``,
    ``terminations``, ``truncations`` of each, in order.
    Tested by ``tests/offline/test_minari.py::test_data_collector_recording_matches_stepping``.

    Examples
    --------
    See :func:`to_minari_dataset`.
    """
    minari = _require_minari("from_minari_dataset")
    if isinstance(dataset, str):
        path = _datasets_root(root) / dataset / "data"
        if not (path / "metadata.json").is_file():
            raise InvalidParameterError(
                "dataset", f"no local Minari dataset {dataset!r} under {_datasets_root(root)} (nothing is downloaded)"
            )
        dataset = minari.MinariDataset(path)
    elif root is not None:
        raise InvalidParameterError("root", "give root only with a dataset id, not with a loaded MinariDataset")
    if not isinstance(dataset, minari.MinariDataset):
        raise InvalidParameterTypeError("dataset", f"expected a minari.MinariDataset, got {type(dataset).__name__}")
    for key in ("observation_space", "action_space"):
        space = getattr(dataset, key)
        ok = isinstance(space, gymnasium.spaces.Box) or (
            isinstance(space, gymnasium.spaces.Discrete) and int(space.start) == 0
        )
        if not ok:
            raise InvalidParameterError(
                "dataset",
                f"its {key} {space} is not supported; accepted: Discrete(n) starting at 0, or Box",
            )
    raw = dataset.storage.metadata
    ids, meta = _rlref_record(raw.get(RLREF_KEY), int(dataset.storage.total_episodes))
    episodes = []
    for ep in dataset.iterate_episodes():
        episodes.append(
            {
                "id": int(ep.id) if ids is None else ids[int(ep.id)],
                "observations": ep.observations,
                "actions": ep.actions,
                "rewards": ep.rewards,
                "terminations": ep.terminations,
                "truncations": ep.truncations,
            }
        )
    if not episodes:
        raise InvalidParameterError("dataset", "it has no episodes")
    try:
        return from_minari_episodes(episodes, metadata=meta if meta is not None else {"minari_dataset_id": dataset.id})
    except (InvalidParameterError, InvalidParameterTypeError) as exc:  # the episodes Minari returned
        raise type(exc)("dataset", f"its episodes are not a valid dataset: {exc}") from None
