"""A sweep as plain data: configurations times seeds.

A :class:`Sweep` is a tuple of small dicts of settings (one per configuration: a
hyper-parameter setting, a problem instance, an algorithm) crossed with ``n_seeds``
seed indices. Each pair ``(config, seed_index)`` is one *run*, named by a stable *run
key* and given a seed that depends on nothing but the sweep's ``root_seed``, the
configuration and the seed index, so that a run computes the same thing whichever
backend executes it, on however many workers, in whatever order, today or when an
interrupted sweep is resumed next week.

Identity
--------
* The *canonical JSON* of a configuration is its JSON text with sorted keys and no
  whitespace (tuples become lists; NumPy scalars become numbers). Two configurations
  with the same canonical JSON are the same configuration (a sweep refuses
  duplicates); ``1`` and ``1.0`` are different ones.
* The *config key* is the first 16 hex digits (64 bits) of the SHA-256 of the
  canonical JSON; the *run key* is ``f"{config_key}-{seed_index}"``.
* The *fingerprint* of a sweep is the SHA-256 of its seeding scheme, root seed,
  ``common_seeds`` flag, number of seeds and the set of its configurations (their
  order and the sweep's ``name`` do not matter). The record store refuses a
  directory whose sweep has another fingerprint.

Seeds
-----
Run ``(config, j)`` gets the :class:`numpy.random.SeedSequence` with entropy
``root_seed`` and spawn key ``(k0, k1, j)``, where ``k0, k1`` are the two 32-bit
halves of the config key; that is child ``j`` of ``SeedSequence(root_seed,
spawn_key=(k0, k1)).spawn(n_seeds)``, a spawn tree with one branch per
configuration. With ``common_seeds=True`` the spawn key is ``(j,)`` instead, i.e.
``SeedSequence(root_seed).spawn(n_seeds)[j]``: seed index ``j`` then gets the same
seed in every configuration (common random numbers, for paired comparisons of
algorithms on the same random instances). The run function receives
``int(seq.generate_state(1, numpy.uint64)[0]) >> 1``, a non-negative int below
``2**63`` (so it fits every API that takes a signed 64-bit seed); pass it to
:func:`numpy.random.default_rng` or :func:`rlcore.as_generator`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rlcore.experiments._json import canonical_config, canonical_json
from rlcore.validation import (
    Bool,
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    validate_params,
)

__all__ = ["Run", "Sweep", "grid"]

_SEEDING_SCHEME = "rlcore.experiments.seeding/1"
#: Most runs of one sweep (configurations times seeds), and most configurations
#: :func:`grid` builds: the list of runs is held in memory.
MAX_RUNS: int = 10**7


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _derive_seed(root_seed: int, config_key: str, seed_index: int, common_seeds: bool) -> int:
    if common_seeds:
        spawn_key: tuple[int, ...] = (seed_index,)
    else:
        spawn_key = (int(config_key[:8], 16), int(config_key[8:16], 16), seed_index)
    seq = np.random.SeedSequence(root_seed, spawn_key=spawn_key)
    return int(seq.generate_state(1, np.uint64)[0]) >> 1


@dataclass(frozen=True)
class Run:
    """One run of a sweep: a configuration and a seed index.

    Attributes
    ----------
    key : str
        The run key, ``f"{config_key}-{seed_index}"``: stable across processes,
        machines and library versions that keep the seeding scheme.
    config_key : str
        16 hex digits identifying the configuration (a hash of its canonical JSON).
    config : dict
        The configuration as the run function receives it (JSON-native: tuples are
        lists, keys sorted).
    seed_index : int
        ``0 <= seed_index < n_seeds``.
    seed : int
        The seed handed to the run function, in ``[0, 2**63)``.
    """

    key: str
    config_key: str
    config: dict[str, Any] = field(compare=False)
    seed_index: int
    seed: int


@validate_params(
    configs=Instance(Sequence, what="a list or tuple of dicts (wrap a single dict in a list)"),
    n_seeds=Integer(1, MAX_RUNS),
    root_seed=Integer(0, None),
    common_seeds=Bool(),
    name=Instance(str),
)
class Sweep:
    """Configurations times seeds, as plain data.

    Parameters
    ----------
    configs : sequence of dict
        One dict of settings per configuration: str keys; values None, bool, int,
        finite float, str, or lists, tuples and dicts of those (NumPy scalars are
        converted). At least one; no two with the same canonical JSON.
    n_seeds : int in [1, 10**7]
        Seeds per configuration; the sweep has at most ``MAX_RUNS`` (10**7) runs.
    root_seed : int
        Non-negative root of every run's seed (see the module docstring). Required:
        a sweep's results are reproducible only if its root seed is written down.
    common_seeds : bool, default False
        Give seed index ``j`` the same seed in every configuration (common random
        numbers), instead of independent seeds per configuration.
    name : str, default ""
        A label (progress bar, manifest); not part of the fingerprint.

    Attributes
    ----------
    n_seeds, root_seed, common_seeds, name
        As given.

    Raises
    ------
    InvalidParameterTypeError
        If ``configs`` is not a sequence of dicts of plain data, or another argument
        has the wrong type.
    InvalidParameterError
        If ``configs`` is empty or holds duplicates, a float in it is not finite, it
        nests deeper than 64 levels, ``n_seeds`` is out of range, the sweep would have
        more than 10**7 runs, or ``root_seed < 0``.

    See Also
    --------
    grid : the configurations of a Cartesian product of settings.
    run_sweep : execute a sweep.

    Examples
    --------
    >>> sweep = Sweep([{"S": 10}, {"S": 20}], n_seeds=3, root_seed=0)
    >>> len(sweep), [r.seed_index for r in sweep.runs()]
    (6, [0, 1, 2, 0, 1, 2])
    >>> sweep.runs()[0].seed == Sweep([{"S": 10}], n_seeds=1, root_seed=0).runs()[0].seed
    True
    >>> Sweep([{"S": 10}, {"S": 10}], n_seeds=1, root_seed=0)
    Traceback (most recent call last):
    ...
    rlcore.validation.InvalidParameterError: configs: configs[0] and configs[1] are the same configuration {"S":10}
    """

    __slots__ = ("_canonical", "_config_keys", "_full_hashes", "n_seeds", "root_seed", "common_seeds", "name")

    def __init__(
        self,
        configs: Sequence[Mapping[str, Any]],
        *,
        n_seeds: int,
        root_seed: int,
        common_seeds: bool = False,
        name: str = "",
    ) -> None:
        if isinstance(configs, (str, bytes)):
            raise InvalidParameterTypeError(
                "configs", f"expected a sequence (list or tuple) of dicts, got a {type(configs).__name__}"
            )
        if len(configs) == 0:
            raise InvalidParameterError("configs", "expected at least one configuration, got an empty sequence")
        if len(configs) * n_seeds > MAX_RUNS:
            raise InvalidParameterError(
                "n_seeds",
                f"{len(configs)} configurations x {n_seeds} seeds = {len(configs) * n_seeds} runs, "
                f"more than the limit {MAX_RUNS} of one sweep",
            )
        canonical = []
        seen: dict[str, int] = {}
        for i, cfg in enumerate(configs):
            text = canonical_json(canonical_config(cfg, f"configs[{i}]"))
            if text in seen:
                raise InvalidParameterError(
                    "configs", f"configs[{seen[text]}] and configs[{i}] are the same configuration {text}"
                )
            seen[text] = i
            canonical.append(text)
        full = tuple(_sha256(text) for text in canonical)
        self._canonical = tuple(canonical)
        self._full_hashes = full
        self._config_keys = tuple(h[:16] for h in full)
        if len(set(self._config_keys)) != len(full):  # pragma: no cover - a 64-bit collision
            raise InvalidParameterError("configs", "two configurations share a 64-bit config key; rename a setting")
        self.n_seeds = n_seeds
        self.root_seed = root_seed
        self.common_seeds = bool(common_seeds)
        self.name = name

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, "name"):  # fully constructed: read-only
            raise AttributeError(f"Sweep is read-only; build a new one instead of setting {name!r}")
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ description
    @property
    def configs(self) -> list[dict[str, Any]]:
        """The configurations, JSON-native (fresh copies), in the order given."""
        return [json.loads(text) for text in self._canonical]

    @property
    def config_keys(self) -> tuple[str, ...]:
        """The config key of each configuration, in the order given."""
        return self._config_keys

    @property
    def fingerprint(self) -> str:
        """SHA-256 hex digest identifying the set of runs and their seeds."""
        payload = {
            "scheme": _SEEDING_SCHEME,
            "root_seed": self.root_seed,
            "common_seeds": self.common_seeds,
            "n_seeds": self.n_seeds,
            "configs": sorted(self._full_hashes),
        }
        return _sha256(canonical_json(payload))

    def __len__(self) -> int:
        return len(self._canonical) * self.n_seeds

    def runs(self) -> list[Run]:
        """Every run, configuration by configuration, seed indices in increasing order.

        Returns
        -------
        list of Run
            ``len(sweep)`` runs; run ``i * n_seeds + j`` is configuration ``i`` with
            seed index ``j``.
        """
        out = []
        for text, ckey in zip(self._canonical, self._config_keys):
            for j in range(self.n_seeds):
                seed = _derive_seed(self.root_seed, ckey, j, self.common_seeds)
                out.append(Run(f"{ckey}-{j}", ckey, json.loads(text), j, seed))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The sweep as JSON-native data; :meth:`from_dict` rebuilds it."""
        return {
            "configs": self.configs,
            "n_seeds": self.n_seeds,
            "root_seed": self.root_seed,
            "common_seeds": self.common_seeds,
            "name": self.name,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sweep:
        """Rebuild a sweep from :meth:`to_dict`'s output.

        Raises
        ------
        InvalidParameterError
            If a field is missing (or, naming the field, has an invalid value).
        """
        if not isinstance(data, Mapping):
            raise InvalidParameterTypeError("data", f"expected a dict, got {type(data).__name__}")
        missing = [k for k in ("configs", "n_seeds", "root_seed") if k not in data]
        if missing:
            raise InvalidParameterError("data", f"missing field(s) {missing}")
        return cls(
            data["configs"],
            n_seeds=data["n_seeds"],
            root_seed=data["root_seed"],
            common_seeds=data.get("common_seeds", False),
            name=data.get("name", ""),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sweep):
            return NotImplemented
        return self._canonical == other._canonical and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self._canonical, self.n_seeds, self.root_seed, self.common_seeds, self.name))

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        common = ", common_seeds=True" if self.common_seeds else ""
        return (
            f"Sweep({len(self._canonical)} configs, n_seeds={self.n_seeds}, root_seed={self.root_seed}{common}{label})"
        )


@validate_params(
    axes=Instance(Mapping, what="a dict of setting name to values"),
    base=Instance(Mapping, what="a dict") | None,
)
def grid(axes: Mapping[str, Sequence[Any]], *, base: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The configurations of a Cartesian product of settings.

    Parameters
    ----------
    axes : dict of str to sequence
        Each setting and the values it takes; the last setting varies fastest.
    base : dict, optional
        Settings shared by every configuration (a name in both ``base`` and ``axes``
        is an error).

    Returns
    -------
    list of dict
        ``prod(len(v) for v in axes.values())`` configurations, at most ``MAX_RUNS``
        (10**7).

    Examples
    --------
    >>> grid({"S": [10, 20], "method": ["vi", "pi"]}, base={"gamma": 0.9})  # doctest: +NORMALIZE_WHITESPACE
    [{'gamma': 0.9, 'S': 10, 'method': 'vi'}, {'gamma': 0.9, 'S': 10, 'method': 'pi'},
     {'gamma': 0.9, 'S': 20, 'method': 'vi'}, {'gamma': 0.9, 'S': 20, 'method': 'pi'}]
    """
    base = {} if base is None else base
    count = 1
    for k, values in axes.items():
        if not isinstance(k, str):
            raise InvalidParameterTypeError("axes", f"setting names must be str, got {k!r}")
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Sequence):
            raise InvalidParameterTypeError(
                f"axes[{k!r}]", f"expected a list or tuple of values, got {type(values).__name__}"
            )
        if len(values) == 0:
            raise InvalidParameterError(f"axes[{k!r}]", "expected at least one value")
        if k in base:
            raise InvalidParameterError(f"axes[{k!r}]", "also set in base; give each setting in one place")
        count *= len(values)
    if count > MAX_RUNS:
        raise InvalidParameterError("axes", f"the grid has {count} configurations, more than the limit {MAX_RUNS}")
    names = list(axes)
    return [{**base, **dict(zip(names, combo))} for combo in itertools.product(*(axes[k] for k in names))]
