"""Conversion between :class:`rlcore.Dataset` and the Minari (Farama) episode layout.

Minari stores each episode as arrays ``observations`` of length ``T + 1`` (the final
observation included), ``actions``, ``rewards``, ``terminations`` and ``truncations``
of length ``T``, and an integer ``id`` (its ``EpisodeData``; on disk, one HDF5 group
``episode_{id}`` per episode). :func:`to_minari_episodes` and
:func:`from_minari_episodes` convert to and from a list of such dictionaries of NumPy
arrays, so that data can move between the two libraries through Minari's own API
(``minari.DataCollector`` / ``MinariDataset.iterate_episodes``) without this library
depending on Minari or h5py. A round trip is exact.

References
----------
Farama Foundation, Minari documentation, "Dataset standards" (episode data layout).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcore.dataset import Dataset
from rlcore.validation import Instance, InvalidParameterError, InvalidParameterTypeError, validate_params
from offline._constraints import MinariEpisodes, OfflineData

__all__ = ["from_minari_episodes", "to_minari_episodes"]


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
