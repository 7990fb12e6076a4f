"""Private helpers shared by the :mod:`offline` modules (relation checks done after validation)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rlcore.dataset import Dataset
from rlcore.policies import validate_policy
from rlcore.validation import InvalidParameterError, InvalidParameterTypeError
from offline._constraints import MAX_MODEL_ENTRIES

__all__: list[str] = []


def exactly_one(gamma: float | None, horizon: int | None) -> None:
    """Refuse unless exactly one of ``gamma`` and ``horizon`` is given (the error names ``gamma``)."""
    if (gamma is None) == (horizon is None):
        raise InvalidParameterError(
            "gamma",
            "give exactly one of gamma (a discount in [0, 1)) and horizon (H >= 1), "
            f"got gamma={gamma!r}, horizon={horizon!r}",
        )


def check_model_size(S: int, A: int, H: int | None, name: str = "n_states") -> None:
    """Refuse an empirical model with more than :data:`MAX_MODEL_ENTRIES` transition entries."""
    entries = (1 if H is None else H) * S * A * S
    if entries > MAX_MODEL_ENTRIES:
        raise InvalidParameterError(
            name,
            f"the empirical model needs H*S*A*S = {entries} transition entries, more than the limit "
            f"{MAX_MODEL_ENTRIES}",
        )


def tabular_columns(data: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(s, a, r, s', t)`` of a dataset already validated as tabular (int64 copies of the indices)."""
    return (
        data.observations.astype(np.int64),
        data.actions.astype(np.int64),
        data.rewards,
        data.next_observations.astype(np.int64),
        data.timesteps,
    )


def check_rewards_in(r: np.ndarray, r_max: float, name: str = "data") -> None:
    """Rewards in ``[0, r_max]`` (the pessimistic methods' assumption), else an error naming ``name``."""
    bad = (r < 0.0) | (r > r_max)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidParameterError(
            name,
            f"pessimistic methods need rewards in [0, r_max] = [0, {r_max:g}] (values are clipped at 0 "
            f"from below), found rewards[{i}] = {r[i]!r}; shift and scale the rewards or pass a larger r_max",
        )


def check_v_max(r_max: float, gamma: float) -> float:
    """``V_max = r_max / (1 - gamma)``, refused (naming ``r_max``) when it overflows float64."""
    v_max = r_max / (1.0 - gamma)
    if not math.isfinite(v_max):
        raise InvalidParameterError(
            "r_max", f"V_max = r_max / (1 - gamma) = {r_max:g} / {1.0 - gamma:g} overflows float64; rescale the rewards"
        )
    return v_max


def episode_returns(data: Dataset, gamma: float, name: str = "data") -> np.ndarray:
    """Discounted episode returns, an overflow refused by naming ``name``."""
    try:
        return data.episode_returns(gamma)
    except ValueError as exc:  # "rewards: the return of episode e overflows float64; rescale the rewards"
        raise InvalidParameterError(name, str(exc)) from None


def tie_break_argmax(Q: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Greedy action along the last axis; exact ties go to the most-visited action, then the lowest index."""
    best = Q.max(axis=-1, keepdims=True)
    key = np.where(Q == best, counts.astype(np.float64), -1.0)
    return np.argmax(key, axis=-1).astype(np.int64)


def as_policy(policy: Any, S: int, A: int, H: int | None, name: str) -> np.ndarray:
    """:func:`rlcore.validate_policy`, its errors as the library's parameter errors naming ``name``."""
    try:
        return validate_policy(policy, S, A, H, name=name)
    except (InvalidParameterError, InvalidParameterTypeError):
        raise
    except TypeError as exc:
        raise InvalidParameterTypeError(name, _strip(str(exc), name)) from None
    except ValueError as exc:
        raise InvalidParameterError(name, _strip(str(exc), name)) from None


def _strip(message: str, name: str) -> str:
    prefix = f"{name}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
