"""Pieces the deep learners of :mod:`tabular.deep` share (private).

The constraints of their network arguments, the observation map (the user's
``features`` or :func:`tabular.learning.one_hot_time_features`) and its checks, and
the greedy policy table of a network. Networks are built by :func:`rlcore.deep.build_mlp`
and torch is imported through :func:`rlcore.deep.require_torch` only.
"""

from __future__ import annotations

from typing import Any, cast
from collections.abc import Callable

import numpy as np

from rlcore.deep.layer import MAX_LAYERS, MAX_WIDTH
from rlcore.validation import (
    Device,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    Sequence_,
)
from tabular.learning import one_hot_time_features

__all__ = [
    "DEVICE",
    "FEATURES",
    "HIDDEN_SIZES",
    "check_features_output",
    "greedy_policy_from_scores",
    "hidden_tuple",
    "resolve_features",
]

FEATURES = IsCallable("a callable features(states, t) -> array of shape (n, d)") | None
#: Hidden widths of a deep learner's networks: the limits of :func:`rlcore.deep.build_mlp`.
HIDDEN_SIZES = Sequence_(Integer(1, MAX_WIDTH), min_len=0, max_len=MAX_LAYERS) | Integer(1, MAX_WIDTH)
DEVICE = Device()


def check_features_output(x: Any, n: int, d: int | None) -> np.ndarray:
    """``features(states, t)`` must return a finite float array of shape (n, d)."""
    if isinstance(x, (str, bytes)):
        raise InvalidParameterTypeError("features", f"expected a real array of shape (n, d), got {type(x).__name__}")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterTypeError(
            "features", f"expected a real array of shape (n, d), got {type(x).__name__} ({exc})"
        ) from None
    if arr.ndim != 2 or arr.shape[0] != n or (d is not None and arr.shape[1] != d):
        want = f"({n}, {d})" if d is not None else f"({n}, d)"
        raise InvalidParameterError(
            "features", f"expected an array of shape {want} for {n} states, got shape {arr.shape}"
        )
    if arr.shape[1] == 0:
        raise InvalidParameterError("features", f"expected at least one feature (d >= 1), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError("features", "returned non-finite entries")
    return arr


def greedy_policy_from_scores(score_fn: Callable[[np.ndarray, int], np.ndarray], S: int, H: int) -> np.ndarray:
    """``policy[t, s] = argmax_a score_fn(arange(S), t)[s, a]`` (ties to the lowest action)."""
    states = np.arange(S, dtype=np.int64)
    return np.stack([np.argmax(score_fn(states, t), axis=1) for t in range(H)]).astype(np.int64)


def greedy_policy(score_fn: Callable[[np.ndarray, int], np.ndarray], S: int | None, H: int) -> Any:
    """The greedy policy of ``score_fn``: its (H, S) table when ``S`` is known, else ``act(states, t, rng)``.

    The function form scores the states it is given at call time, so it follows the
    network as training goes on.
    """
    if S is not None:
        return greedy_policy_from_scores(score_fn, S, H)

    def act(states: np.ndarray, t: int, rng: Any = None) -> np.ndarray:
        return np.argmax(score_fn(np.asarray(states), t), axis=1).astype(np.int64)

    return act


class FeatureMap:
    """``features(states, t)``, each output checked against the width ``d`` fixed by the first call."""

    def __init__(self, features: Callable[[np.ndarray, int], np.ndarray]) -> None:
        self.features = features
        self.d: int | None = None

    def __call__(self, states: np.ndarray, t: int) -> np.ndarray:
        x = check_features_output(self.features(states, t), states.shape[0], self.d)
        self.d = x.shape[1]
        return x


def hidden_tuple(hidden_sizes: Any) -> tuple[int, ...]:
    """The validated ``hidden_sizes`` (an int or a tuple of ints) as a tuple."""
    return (int(hidden_sizes),) if isinstance(hidden_sizes, (int, np.integer)) else tuple(hidden_sizes)


def resolve_features(features: Any, S: int | None, H: int) -> Callable[[np.ndarray, int], np.ndarray]:
    """The observation map: the user's ``features`` (a validated callable) or the one-hot default (needs ``S``)."""
    if features is None:
        if S is None:
            raise InvalidParameterError(
                "features",
                "required when the number of states is unknown (pass n_states for the one-hot default, or "
                "features(states, t) -> array of shape (n, d))",
            )
        return one_hot_time_features(S, H)
    return cast(Callable[[np.ndarray, int], np.ndarray], features)
