"""Private input checks and small helpers shared by the :mod:`offline` modules."""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcore.validation import check_discount, check_positive_int, check_real
from rlcore.dataset import Dataset
from rlcore.mdp import FiniteMDP

__all__: list[str] = []


def check_dataset(data: Any, name: str = "data") -> Dataset:
    if not isinstance(data, Dataset):
        raise TypeError(f"{name}: expected a rlcore.Dataset, got {type(data).__name__}")
    if len(data) == 0:
        raise ValueError(f"{name}: the dataset is empty (N = 0); expected at least one transition")
    return data


def check_mdp(mdp: Any, name: str = "mdp") -> FiniteMDP:
    if not isinstance(mdp, FiniteMDP):
        raise TypeError(f"{name}: expected a rlcore.FiniteMDP, got {type(mdp).__name__}")
    return mdp



def check_delta(delta: Any) -> float:
    return check_real(delta, "delta", low=0.0, high=1.0, low_open=True, high_open=True)


def check_criterion(gamma: Any, horizon: Any) -> tuple[float | None, int | None]:
    """Exactly one of ``gamma`` (discount in [0, 1)) and ``horizon`` (int >= 1)."""
    if (gamma is None) == (horizon is None):
        raise ValueError(f"gamma, horizon: give exactly one (a discount in [0, 1) or a horizon H >= 1), "
                         f"got gamma={gamma!r}, horizon={horizon!r}")
    if gamma is not None:
        return check_discount(gamma, "gamma"), None
    return None, check_positive_int(horizon, "horizon")


def tabular_columns(data: Dataset, n_states: int, n_actions: int, horizon: int | None = None,
                    name: str = "data") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(s, a, r, s', t)`` of a tabular dataset, checked against ``S``, ``A`` (and ``H``)."""
    data = check_dataset(data, name)
    S = check_positive_int(n_states, "n_states")
    A = check_positive_int(n_actions, "n_actions")
    cols = {}
    for col, size, what in (("observations", S, "n_states"), ("next_observations", S, "n_states"),
                            ("actions", A, "n_actions")):
        arr = getattr(data, col)
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise TypeError(f"{name}: tabular methods need integer {col} of shape (N,), "
                            f"got dtype {arr.dtype} and shape {arr.shape}")
        bad = (arr < 0) | (arr >= size)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name}: {col}[{i}] = {arr[i]} lies outside [0, {size}) ({what} = {size})")
        cols[col] = arr.astype(np.int64)
    t = data.timesteps
    if horizon is not None and t.max() >= horizon:
        i = int(np.argmax(t))
        raise ValueError(f"{name}: timesteps[{i}] = {t[i]} is not below horizon = {horizon}")
    return cols["observations"], cols["actions"], data.rewards, cols["next_observations"], t


def check_rewards_in(r: np.ndarray, r_max: float, name: str = "data") -> None:
    bad = (r < 0.0) | (r > r_max)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}: pessimistic methods need rewards in [0, r_max] = [0, {r_max:g}] (values are "
                         f"clipped at 0 from below), found rewards[{i}] = {r[i]!r}; shift and scale the "
                         "rewards or pass a larger r_max")


def tie_break_argmax(Q: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Greedy action along the last axis; exact ties go to the most-visited action, then the lowest index."""
    best = Q.max(axis=-1, keepdims=True)
    key = np.where(Q == best, counts.astype(np.float64), -1.0)
    return np.argmax(key, axis=-1).astype(np.int64)
