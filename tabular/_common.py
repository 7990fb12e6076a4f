"""Argument checks shared by the planners (private)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from rlcore.validation import as_float_array, check_positive_int
from rlcore.mdp import FiniteMDP

__all__ = [
    "check_callback", "check_mdp", "check_epsilon", "check_max_iter", "check_stopping", "check_v0", "check_discounted",
    "discount_of",
]


def check_mdp(mdp: Any) -> FiniteMDP:
    if not isinstance(mdp, FiniteMDP):
        raise TypeError(f"mdp: expected a rlcore.FiniteMDP, got {type(mdp).__name__}")
    return mdp


def check_discounted(mdp: Any, who: str, finite_horizon_alternative: str = "tabular.backward_induction") -> FiniteMDP:
    mdp = check_mdp(mdp)
    if mdp.gamma is None:
        raise ValueError(
            f"mdp: {who} needs a discounted MDP (gamma in [0, 1)); for a finite horizon use "
            f"{finite_horizon_alternative}"
        )
    return mdp


def discount_of(mdp: FiniteMDP) -> float:
    """``mdp.gamma`` as a ``float``, for an MDP that passed :func:`check_discounted`."""
    gamma = mdp.gamma
    if gamma is None:  # not reached after check_discounted; narrows ``float | None``
        raise ValueError("mdp: expected a discounted MDP (gamma in [0, 1))")
    return gamma


def check_epsilon(epsilon: Any) -> float:
    if isinstance(epsilon, (bool, np.bool_)) or not isinstance(epsilon, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"epsilon: expected a positive real tolerance, got {epsilon!r}")
    eps = float(epsilon)
    if not (np.isfinite(eps) and eps > 0.0):
        raise ValueError(f"epsilon: expected a finite tolerance > 0, got {epsilon!r}")
    return eps


def check_max_iter(max_iter: Any) -> int:
    return check_positive_int(max_iter, "max_iter")


def check_stopping(stopping: Any) -> str:
    if stopping not in ("span", "sup"):
        raise ValueError(f"stopping: expected 'span' or 'sup', got {stopping!r}")
    return str(stopping)


def check_v0(mdp: FiniteMDP, V0: Any) -> np.ndarray:
    """Initial value: given, or the constant ``min R / (1 - gamma)`` (then ``T V0 >= V0``)."""
    if V0 is None:
        return np.full(mdp.n_states, float(mdp.R.min()) / (1.0 - discount_of(mdp)))
    v = as_float_array(V0, "V0", ndim=1)
    if v.shape != (mdp.n_states,):
        raise ValueError(f"V0: expected shape ({mdp.n_states},), got {v.shape}")
    return v


def check_callback(callback: Any) -> None:
    if callback is not None and not callable(callback):
        raise TypeError(f"callback: expected a callable (iteration, V) or None, got {type(callback).__name__}")
