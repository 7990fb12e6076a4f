"""Parameter constraints of the :mod:`offline` package (private): datasets, distributions, weights.

The generic constraints live in :mod:`rlcore.validation`; these add what only offline
RL needs: a non-empty :class:`rlcore.Dataset` (optionally tabular, checked against the
sizes given by other arguments), state-action distributions of an MDP, non-negative
weights with a positive sum, penalty arrays, and Minari-style episodes. The limits
below are the documented upper limits of the package's sizes and budgets.
"""

from __future__ import annotations

import numbers
from typing import Any
from collections.abc import Callable

import numpy as np

from rlcore.dataset import Dataset
from rlcore.mdp import FiniteMDP
from rlcore.validation import (
    PROBABILITY_ATOL,
    Array,
    Constraint,
    InvalidParameterError,
    InvalidParameterTypeError,
    check_stochastic_rows,
)

__all__: list[str] = []

#: Upper limit of ``n_states``, ``n_contexts`` and ``n_actions``/``n_arms`` (each).
MAX_STATES = 10**6
MAX_ACTIONS = 10**6
#: Upper limit of every ``horizon`` of the package.
MAX_HORIZON = 10**6
#: Upper limit of the entries of an empirical model, ``H * S * A * S`` (each count or
#: probability array of that size takes 8 bytes an entry: 0.8 GB at the limit).
MAX_MODEL_ENTRIES = 10**8
#: Upper limit of the transitions a call may generate or assemble (sampled datasets,
#: rollouts, resamples, Minari conversions).
MAX_TRANSITIONS = 10**8
#: Upper limit of the iterations ``T`` of the split VI-LCB (each builds one model).
MAX_SPLIT_ITERATIONS = 10**6
#: Upper limit of the gradient steps of the deep learners (a loss is stored per step).
MAX_GRADIENT_STEPS = 10**7
#: Upper limit of a minibatch size, of a hidden layer's width, of the number of layers.
MAX_BATCH = 10**6
MAX_WIDTH = 2**16
MAX_LAYERS = 64
#: Floor of the relative fixed-point tolerance of pessimistic value iteration: a smaller
#: change of ``Q`` (relative to ``max(1, V_max)``) is below float64 resolution.
TOL_FLOOR = 1e-15
#: Floor of every confidence level ``delta``/``xi``: a failure probability below it has no
#: statistical meaning, and it keeps the log factors ``log(K / delta)`` of every penalty
#: and bound far inside float64 range.
DELTA_FLOOR = 1e-100
#: Upper limit of ``r_max`` (and of the penalty constants): rewards beyond it must be
#: rescaled, so that ``V_max = r_max / (1 - gamma)`` and ``V_max**2`` (the Bernstein
#: penalty's variance) stay within float64.
R_MAX_LIMIT = 1e100
#: Floor of the ridge parameter of PEVI: below it ``Lambda^{-1}`` of unit-scale features
#: is not resolvable (condition numbers beyond 1e12).
RIDGE_FLOOR = 1e-12


def ref_int(args: dict[str, Any] | None, ref: str | None) -> int | None:
    """The integer argument ``ref`` when it holds a valid size (>= 1), else None.

    Constraints of a dataset may name size arguments that come *later* in the signature
    (``data, n_states, n_actions``): those are read here only when they are proper
    integers; any other value is left to the later argument's own constraint.
    """
    if ref is None or not args:
        return None
    v = args.get(ref)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)):
        return None
    v = int(v)
    return v if 1 <= v <= 2**62 else None


def _column_error(
    name: str, col: str, arr: np.ndarray, bad: np.ndarray, low: int, high: int | None, what: str | None
) -> InvalidParameterError:
    i = int(np.flatnonzero(bad)[0])
    interval = f"[{low}, {high})" if high is not None else f"[{low}, inf)"
    extra = f" ({what} = {high})" if what is not None and high is not None else ""
    return InvalidParameterError(name, f"{col}[{i}] = {arr[i]} lies outside {interval}{extra}")


def _small_dataset(n: int = 2, **override: Any) -> Dataset:
    cols: dict[str, Any] = dict(
        observations=np.zeros(n, dtype=np.int64),
        actions=np.zeros(n, dtype=np.int64),
        rewards=np.zeros(n),
        next_observations=np.zeros(n, dtype=np.int64),
        terminated=np.zeros(n, dtype=bool),
        truncated=np.zeros(n, dtype=bool),
        episode_ids=np.zeros(n, dtype=np.int64),
        timesteps=np.arange(n, dtype=np.int64),
    )
    cols.update(override)
    return Dataset(**cols)


class OfflineData(Constraint):
    """A non-empty :class:`rlcore.Dataset`, optionally tabular.

    Parameters
    ----------
    states : str, optional
        Name of the ``n_states`` argument: observations and next observations must be
        integers of shape (N,) in ``[0, n_states)``.
    actions : str, optional
        Name of the ``n_actions`` argument: actions must be integers of shape (N,) in
        ``[0, n_actions)``.
    horizon : str, optional
        Name of the ``horizon`` argument: ``timesteps`` must lie below it (when given).
    integer_states, integer_actions : bool
        Require integer states / actions even without a size argument.
    unit_rewards : bool
        Rewards must lie in ``[0, 1]``.

    The size arguments may come later in the signature; they are read only when they
    hold a valid integer (see :func:`ref_int`).
    """

    def __init__(
        self,
        *,
        states: str | None = None,
        actions: str | None = None,
        horizon: str | None = None,
        integer_states: bool = False,
        integer_actions: bool = False,
        unit_rewards: bool = False,
    ) -> None:
        self.states = states
        self.actions = actions
        self.horizon = horizon
        self.integer_states = integer_states or states is not None
        self.integer_actions = integer_actions or actions is not None
        self.unit_rewards = unit_rewards

    def accepts_kind(self, value: Any) -> bool:
        return isinstance(value, Dataset)

    def __str__(self) -> str:
        return "a non-empty rlcore.Dataset" + (" of tabular transitions" if self.integer_states else "")

    def check(self, value: Any, name: str, args: dict[str, Any] | None = None) -> Dataset:
        if not isinstance(value, Dataset):
            raise InvalidParameterTypeError(name, f"expected a rlcore.Dataset, got {type(value).__name__}")
        if len(value) == 0:
            raise InvalidParameterError(name, "the dataset is empty (N = 0); expected at least one transition")
        checks: list[tuple[str, bool, str | None, str]] = [
            ("observations", self.integer_states, self.states, "n_states"),
            ("next_observations", self.integer_states, self.states, "n_states"),
            ("actions", self.integer_actions, self.actions, "n_actions"),
        ]
        for col, needed, ref, what in checks:
            if not needed:
                continue
            arr = getattr(value, col)
            if arr.dtype.kind not in "iu":
                raise InvalidParameterTypeError(
                    name, f"expected integer {col} (tabular indices), got dtype {arr.dtype}"
                )
            if arr.ndim != 1:
                raise InvalidParameterError(name, f"expected integer {col} of shape (N,), got shape {arr.shape}")
            size = ref_int(args, ref)
            bad = arr < 0 if size is None else (arr < 0) | (arr >= size)
            if bad.any():
                raise _column_error(name, col, arr, bad, 0, size, what if size is not None else None)
        H = ref_int(args, self.horizon)
        if H is not None and value.timesteps.max() >= H:
            i = int(np.argmax(value.timesteps))
            raise InvalidParameterError(name, f"timesteps[{i}] = {value.timesteps[i]} is not below horizon = {H}")
        if self.unit_rewards:
            r = value.rewards
            bad = (r < 0.0) | (r > 1.0)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InvalidParameterError(name, f"rewards must lie in [0, 1], found rewards[{i}] = {r[i]!r}")
        return value

    def invalid_values(self, args: dict[str, Any] | None = None) -> list[tuple[Any, type[Exception]]]:
        out: list[tuple[Any, type[Exception]]] = [
            (object(), TypeError),
            (None, TypeError),
            ("data", TypeError),
            (np.zeros(3), TypeError),
            (_small_dataset(0), ValueError),
        ]
        if self.integer_states:
            out.append((_small_dataset(observations=np.zeros(2), next_observations=np.zeros(2)), TypeError))
            out.append(
                (
                    _small_dataset(
                        observations=np.zeros((2, 2), np.int64), next_observations=np.zeros((2, 2), np.int64)
                    ),
                    ValueError,
                )
            )
            out.append((_small_dataset(observations=np.array([0, -1])), ValueError))
            S = ref_int(args, self.states)
            if S is not None:
                out.append((_small_dataset(observations=np.array([0, S])), ValueError))
                out.append((_small_dataset(next_observations=np.array([S, 0])), ValueError))
        if self.integer_actions:
            out.append((_small_dataset(actions=np.zeros(2)), TypeError))
            out.append((_small_dataset(actions=np.array([-1, 0])), ValueError))
            A = ref_int(args, self.actions)
            if A is not None:
                out.append((_small_dataset(actions=np.array([0, A])), ValueError))
        H = ref_int(args, self.horizon)
        if H is not None and H < 10**4:
            out.append((_small_dataset(H + 1), ValueError))
        if self.unit_rewards:
            out.append((_small_dataset(rewards=np.array([0.5, 1.5])), ValueError))
            out.append((_small_dataset(rewards=np.array([-0.5, 0.5])), ValueError))
        return out


class StateActionDistribution(Array):
    """A data distribution over the state-action pairs of the MDP argument ``mdp``.

    Shape (S, A) for a discounted MDP and (H, S, A) (one distribution per step) under a
    finite horizon; entries non-negative, each distribution summing to 1 within
    :data:`rlcore.PROBABILITY_ATOL`.
    """

    def __init__(self, mdp: str = "mdp") -> None:
        super().__init__("float", ndim=(2, 3), low=0.0)
        self.mdp = mdp

    def __str__(self) -> str:
        return "a state-action distribution of the MDP"

    def expected_shape(self, args: dict[str, Any] | None) -> tuple[Any, ...] | None:
        mdp = (args or {}).get(self.mdp)
        if not isinstance(mdp, FiniteMDP):
            return None
        S, A = mdp.n_states, mdp.n_actions
        return (S, A) if mdp.horizon is None else (mdp.horizon, S, A)

    def check(self, value: Any, name: str, args: dict[str, Any] | None = None) -> np.ndarray:
        arr = super().check(value, name, args)
        flat = arr.reshape(-1, arr.shape[-2] * arr.shape[-1])
        check_stochastic_rows(flat[0] if arr.ndim == 2 else flat, name, atol=PROBABILITY_ATOL)
        return arr

    def _example(self, args: dict[str, Any] | None) -> np.ndarray | None:
        shape = self.expected_shape(args)
        if shape is None:
            return None
        return np.full(shape, 1.0 / (shape[-1] * shape[-2]))

    def invalid_values(self, args: dict[str, Any] | None = None) -> list[tuple[Any, type[Exception]]]:
        out = super().invalid_values(args)
        ex = self._example(args)
        if ex is not None:
            out.append((ex * 0.5, ValueError))
            out.append((ex[..., :1, :] if ex.shape[-2] > 1 else ex[..., :1], ValueError))
        return out


class Weights(Array):
    """Non-negative finite weights of shape ``(size,)`` with a positive sum."""

    def __init__(self, size: Any) -> None:
        super().__init__("float", ndim=1, shape=(size,), low=0.0)

    def __str__(self) -> str:
        return "non-negative weights with a positive sum"

    def check(self, value: Any, name: str, args: dict[str, Any] | None = None) -> np.ndarray:
        arr = super().check(value, name, args)
        if not arr.any():
            raise InvalidParameterError(name, "expected weights with a positive sum, got all zeros")
        return arr

    def invalid_values(self, args: dict[str, Any] | None = None) -> list[tuple[Any, type[Exception]]]:
        out = super().invalid_values(args)
        ex = self._example(args)
        if ex is not None:
            out.append((np.zeros_like(ex), ValueError))
        return out


class PenaltyArray(Array):
    """Fixed non-negative penalties: shape (S, A), or (H, S, A) when a horizon is given."""

    def __init__(self) -> None:
        super().__init__("float", ndim=(2, 3), low=0.0)

    def __str__(self) -> str:
        return "an array of non-negative penalties of shape (S, A) or (H, S, A)"

    def expected_shape(self, args: dict[str, Any] | None) -> tuple[Any, ...] | None:
        args = args or {}
        S, A, H = ref_int(args, "n_states"), ref_int(args, "n_actions"), ref_int(args, "horizon")
        if S is None or A is None:
            return None
        return (S, A) if H is None else (H, S, A)


def weights_sum_to_one(w: np.ndarray) -> np.ndarray:
    """``w / sum(w)`` for validated weights, without overflow (scaled by the largest first)."""
    scaled = w / w.max()
    return scaled / scaled.sum()


# ------------------------------------------------------------------------ Minari episodes
_EPISODE_KEYS = ("observations", "actions", "rewards", "terminations", "truncations")


def _episode_field(ep: Any, key: str) -> Any:
    if isinstance(ep, dict):
        return ep[key]
    return getattr(ep, key)


def _has_field(ep: Any, key: str) -> bool:
    return key in ep if isinstance(ep, dict) else hasattr(ep, key)


class MinariEpisodes(Constraint):
    """An iterable of Minari-style episodes (dicts or objects with the episode fields).

    Each episode has ``observations`` of length ``T + 1`` and ``actions``, ``rewards``
    (finite reals), ``terminations`` and ``truncations`` (bools) of length ``T >= 1``,
    at most one flag, on the last step; optionally an integer ``id``. All episodes share
    the observation and action shapes and dtypes. At most :data:`MAX_TRANSITIONS`
    transitions in all (which also bounds an endless generator). Returns a tuple of
    normalised episode dicts.
    """

    def accepts_kind(self, value: Any) -> bool:
        if isinstance(value, (str, bytes, dict)) or isinstance(value, np.ndarray):
            return False
        return hasattr(value, "__iter__")

    def __str__(self) -> str:
        return "an iterable of Minari-style episodes"

    def check(self, value: Any, name: str, args: dict[str, Any] | None = None) -> tuple[dict[str, Any], ...]:
        if not self.accepts_kind(value):
            raise InvalidParameterTypeError(
                name,
                f"expected an iterable of episodes (dicts or objects with fields {_EPISODE_KEYS}), "
                f"got {type(value).__name__}",
            )
        out: list[dict[str, Any]] = []
        total = 0
        first: dict[str, Any] | None = None
        for i, ep in enumerate(value):
            item = f"{name}[{i}]"
            missing = [k for k in _EPISODE_KEYS if not _has_field(ep, k)]
            if missing:
                raise InvalidParameterTypeError(
                    item, f"expected an episode with fields {_EPISODE_KEYS}; {type(ep).__name__} lacks {missing[0]!r}"
                )
            cols: dict[str, Any] = {k: self._array(_episode_field(ep, k), f"{item}.{k}") for k in _EPISODE_KEYS}
            obs, act = cols["observations"], cols["actions"]
            T = act.shape[0] if act.ndim else 0
            if T < 1 or obs.ndim == 0 or obs.shape[0] != T + 1:
                raise InvalidParameterError(
                    item,
                    "expected observations of length T + 1 and actions, rewards, terminations, truncations "
                    f"of length T >= 1; got {obs.shape[0] if obs.ndim else 0} observations and {T} actions",
                )
            for k in ("rewards", "terminations", "truncations"):
                if cols[k].shape != (T,):
                    raise InvalidParameterError(
                        f"{item}.{k}", f"expected shape ({T},) (one per action), got {cols[k].shape}"
                    )
            if cols["rewards"].dtype.kind == "b":
                raise InvalidParameterTypeError(f"{item}.rewards", "expected real rewards, got a bool array")
            for k in ("terminations", "truncations"):
                if cols[k].dtype != np.bool_:
                    raise InvalidParameterTypeError(f"{item}.{k}", f"expected a bool array, got dtype {cols[k].dtype}")
                if cols[k][:-1].any():
                    raise InvalidParameterError(f"{item}.{k}", "only the last step of an episode may be flagged")
            if cols["terminations"][-1] and cols["truncations"][-1]:
                raise InvalidParameterError(item, "the last step is both terminated and truncated")
            if first is None:
                first = cols
            else:
                for k in ("observations", "actions"):
                    a, b = first[k], cols[k]
                    if a.shape[1:] != b.shape[1:] or a.dtype.kind != b.dtype.kind:
                        raise InvalidParameterError(
                            f"{item}.{k}",
                            f"expected the shape {a.shape[1:]} and kind of dtype {a.dtype} of the "
                            f"first episode's {k} (per step), got {b.shape[1:]} and {b.dtype}",
                        )
            ep_id: int | None = None
            if _has_field(ep, "id"):
                raw = _episode_field(ep, "id")
                if isinstance(raw, (bool, np.bool_)) or not isinstance(raw, (numbers.Integral, np.integer)):
                    raise InvalidParameterTypeError(f"{item}.id", f"expected an integer id, got {type(raw).__name__}")
                ep_id = int(raw)
                if not -(2**63) <= ep_id < 2**63:
                    raise InvalidParameterError(f"{item}.id", f"expected an id within int64 range, got {ep_id}")
            cols["rewards"] = cols["rewards"].astype(np.float64)
            cols["id"] = ep_id
            out.append(cols)
            total += T
            if total > MAX_TRANSITIONS:
                raise InvalidParameterError(name, f"more than {MAX_TRANSITIONS} transitions in all")
        if not out:
            raise InvalidParameterError(name, "expected at least one episode")
        return tuple(out)

    @staticmethod
    def _array(x: Any, name: str) -> np.ndarray:
        try:
            arr = np.array(x, copy=True)
        except (ValueError, TypeError) as exc:
            raise InvalidParameterTypeError(name, f"expected an array ({exc})") from None
        if arr.dtype.kind not in "biuf":
            raise InvalidParameterTypeError(name, f"expected a bool, integer or float array, got dtype {arr.dtype}")
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
            raise InvalidParameterError(name, f"entries must be finite, found {arr[idx]!r} at index {idx}")
        return arr

    def invalid_values(self, args: dict[str, Any] | None = None) -> list[tuple[Any, type[Exception]]]:
        def ep(**kw: Any) -> dict[str, Any]:
            base = {
                "observations": np.array([0, 1, 2]),
                "actions": np.array([0, 1]),
                "rewards": np.array([0.0, 1.0]),
                "terminations": np.array([False, True]),
                "truncations": np.array([False, False]),
            }
            base.update(kw)
            return base

        missing = ep()
        del missing["rewards"]
        return [
            ("x", TypeError),
            (None, TypeError),
            (1.5, TypeError),
            ({"observations": [0]}, TypeError),
            ([], ValueError),
            ([missing], TypeError),
            ([ep(rewards=np.array([np.nan, 0.0]))], ValueError),
            ([ep(observations=np.array([0, 1]))], ValueError),
            ([ep(terminations=np.array([0.0, 1.0]))], TypeError),
            ([ep(terminations=np.array([True, False]))], ValueError),
            ([ep(observations=np.array(["a", "b", "c"]))], TypeError),
            ([ep(), ep(observations=np.zeros((3, 2)))], ValueError),
            ([ep(id="zero")], TypeError),
            (
                [
                    ep(
                        actions=np.zeros(0, np.int64),
                        rewards=np.zeros(0),
                        terminations=np.zeros(0, bool),
                        truncations=np.zeros(0, bool),
                        observations=np.array([0]),
                    )
                ],
                ValueError,
            ),
            ([ep(truncations=np.array([False, True]))], ValueError),
        ]


def n_items(ref: str) -> Callable[[dict[str, Any]], int | None]:
    """A size reference: the number of items of the (already validated) sequence argument ``ref``."""

    def size(args: dict[str, Any]) -> int | None:
        value = args.get(ref)
        return len(value) if isinstance(value, (list, tuple)) else None

    return size


# ------------------------------------------------------------------------ Minari dataset ids
#: Minari's dataset id, ``(namespace/)name-v<version>`` (its ``DATASET_ID_RE``, with the
#: version required: Minari cannot load an id without one). Letters, digits, ``-`` and
#: ``_`` only (``/`` separates namespace levels), so an id never leaves the datasets root.
MINARI_ID_PATTERN = r"^(?:(?P<namespace>[-_\w][-_\w/]*[-_\w]+)/)?(?P<name>[-_\w]+?)-v(?P<version>\d+)$"


class MinariDatasetId(Constraint):
    """A Minari dataset id ``namespace/name-v0`` (namespace optional; version required)."""

    def accepts_kind(self, value: Any) -> bool:
        return isinstance(value, str)

    def check(self, value: Any, name: str, args: dict[str, Any] | None = None) -> str:
        if not isinstance(value, str):
            raise InvalidParameterTypeError(
                name, f"expected a Minari dataset id (a str 'namespace/name-v0'), got {type(value).__name__}"
            )
        import re  # here, not at the top: this section only adds to the module

        if len(value) > 255 or re.fullmatch(MINARI_ID_PATTERN, value) is None:
            raise InvalidParameterError(
                name,
                f"expected a Minari dataset id '(namespace/)name-v<version>' of letters, digits, '-', '_' "
                f"(and '/' between namespace levels), e.g. 'rlref/riverswim/random-v0'; got {value[:80]!r}",
            )
        return value

    def __str__(self) -> str:
        return "a Minari dataset id 'namespace/name-v0'"

    def invalid_values(self, args: dict[str, Any] | None = None) -> list[tuple[Any, type[Exception]]]:
        return [
            (1, TypeError),
            (None, TypeError),
            (b"rlref/x-v0", TypeError),
            ("", ValueError),
            ("rlref/no-version", ValueError),
            ("rlref/x-vA", ValueError),
            ("../x-v0", ValueError),
            ("/abs/x-v0", ValueError),
            ("rlref//x-v0", ValueError),
            ("rlref/x y-v0", ValueError),
            ("rlref/x-v0/", ValueError),
        ]

    def valid_values(self, args: dict[str, Any] | None = None) -> list[Any]:
        return ["rlref/x-v0", "x-v12"]
