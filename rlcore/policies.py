"""Tabular policies as plain arrays, with validation and the usual constructors.

Four layouts, told apart by dtype and rank:

==========================  =====================  ============================
policy                      stationary             time-dependent (horizon H)
==========================  =====================  ============================
deterministic (int dtype)   ``(S,)``: action of s  ``(H, S)``
stochastic (float dtype)    ``(S, A)``: pi(a|s)    ``(H, S, A)``
==========================  =====================  ============================

Stochastic rows must be non-negative and sum to one within
:data:`rlcore.PROBABILITY_ATOL`; nothing is renormalised. A stationary policy may be
used on a finite-horizon MDP (it is applied at every step); a time-dependent one only on
a finite-horizon MDP with the same ``H``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from rlcore.validation import (
    PROBABILITY_ATOL,
    as_float_array,
    check_positive_int,
    check_stochastic_rows,
)

__all__ = [
    "as_stochastic",
    "epsilon_greedy",
    "greedy",
    "is_deterministic",
    "softmax",
    "uniform",
    "validate_policy",
]


def is_deterministic(policy: np.ndarray) -> bool:
    """True when ``policy`` is an integer (deterministic) policy array."""
    return np.issubdtype(np.asarray(policy).dtype, np.integer)


def validate_policy(
    policy: Any,
    n_states: int,
    n_actions: int,
    horizon: int | None = None,
    *,
    name: str = "policy",
    atol: float = PROBABILITY_ATOL,
) -> np.ndarray:
    """Check a tabular policy and return it as a read-only array.

    Parameters
    ----------
    policy : array_like
        Deterministic ``int`` array of shape (S,) or (H, S), or stochastic float
        array of shape (S, A) or (H, S, A).
    n_states, n_actions : int
    horizon : int, optional
        The MDP's horizon; time-dependent policies are accepted only when it is set
        and matches their leading axis.
    name : str
        Argument name used in error messages.

    Returns
    -------
    ndarray
        ``int64`` copy for a deterministic policy, ``float64`` copy for a stochastic
        one, read-only, same shape as the input.

    Raises
    ------
    TypeError
        Non-numeric or boolean input, or a float array of deterministic shape.
    ValueError
        Wrong shape, action index out of range, negative or non-normalised row.

    Examples
    --------
    >>> validate_policy([0, 1, 1], n_states=3, n_actions=2)
    array([0, 1, 1])
    >>> validate_policy([0, 2, 1], n_states=3, n_actions=2)
    Traceback (most recent call last):
    ...
    ValueError: policy: actions must lie in [0, 2), found 2 at index (1,)
    """
    n_states = check_positive_int(n_states, "n_states")
    n_actions = check_positive_int(n_actions, "n_actions")
    if horizon is not None:
        horizon = check_positive_int(horizon, "horizon")
    try:
        arr = np.asarray(policy)
    except (ValueError, TypeError) as exc:  # ragged nested sequences
        raise TypeError(f"{name}: expected a rectangular int or float array ({exc})") from None
    if arr.dtype == bool or arr.dtype == object:
        raise TypeError(f"{name}: expected an int array (deterministic) or a float array (stochastic), got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.integer):
        if arr.ndim == 1:
            expected: tuple[int, ...] = (n_states,)
        elif arr.ndim == 2:
            if horizon is None:
                raise ValueError(
                    f"{name}: a time-dependent deterministic policy of shape {arr.shape} needs a "
                    "finite-horizon MDP; stationary deterministic policies have shape (S,)"
                )
            expected = (horizon, n_states)
        else:
            raise ValueError(f"{name}: a deterministic policy has shape (S,) or (H, S), got {arr.shape}")
        if arr.shape != expected:
            raise ValueError(f"{name}: expected shape {expected}, got {arr.shape}")
        bad = (arr < 0) | (arr >= n_actions)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{name}: actions must lie in [0, {n_actions}), found {int(arr[idx])} at index {idx}")
        out = arr.astype(np.int64, copy=True)
    else:
        arr = as_float_array(arr, name)
        if arr.ndim == 1:
            raise TypeError(
                f"{name}: a 1-D policy must be an integer array of actions, got dtype "
                f"{np.asarray(policy).dtype}; convert with .astype(int) if that is what you mean"
            )
        if arr.ndim == 2:
            expected = (n_states, n_actions)
        elif arr.ndim == 3:
            if horizon is None:
                raise ValueError(
                    f"{name}: a time-dependent stochastic policy of shape {arr.shape} needs a "
                    "finite-horizon MDP; stationary stochastic policies have shape (S, A)"
                )
            expected = (horizon, n_states, n_actions)
        else:
            raise ValueError(f"{name}: a stochastic policy has shape (S, A) or (H, S, A), got {arr.shape}")
        if arr.shape != expected:
            raise ValueError(f"{name}: expected shape {expected}, got {arr.shape}")
        check_stochastic_rows(arr, name, atol=atol)
        out = arr
    out.flags.writeable = False
    return out


def as_stochastic(policy: np.ndarray, n_actions: int) -> np.ndarray:
    """Return the stochastic form ``(..., S, A)`` of a validated policy.

    A deterministic policy becomes one-hot rows; a stochastic one is returned as is.

    Examples
    --------
    >>> as_stochastic(np.array([1, 0]), 2)
    array([[0., 1.],
           [1., 0.]])
    """
    arr = np.asarray(policy)
    if not np.issubdtype(arr.dtype, np.integer):
        return arr
    n_actions = check_positive_int(n_actions, "n_actions")
    out = np.zeros(arr.shape + (n_actions,))
    np.put_along_axis(out, arr[..., None].astype(np.int64), 1.0, axis=-1)
    return out


def _check_q(Q: Any, name: str = "Q") -> np.ndarray:
    arr = as_float_array(Q, name, ndim=(2, 3))
    if arr.shape[-1] == 0 or arr.shape[-2] == 0:
        raise ValueError(f"{name}: need at least one state and one action, got shape {arr.shape}")
    return arr


def _check_real(x: Any, name: str) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name}: expected a real number, got {x!r} of type {type(x).__name__}")
    return float(x)


def greedy(Q: Any) -> np.ndarray:
    """Deterministic greedy policy ``argmax_a Q[..., s, a]`` (ties to the lowest action).

    Parameters
    ----------
    Q : array_like of shape (S, A) or (H, S, A)

    Returns
    -------
    ndarray of int64, shape (S,) or (H, S)

    Examples
    --------
    >>> greedy([[1.0, 2.0], [3.0, 3.0]])
    array([1, 0])
    """
    return np.argmax(_check_q(Q), axis=-1).astype(np.int64)


def epsilon_greedy(Q: Any, epsilon: float) -> np.ndarray:
    """Stochastic policy: uniform with probability ``epsilon``, else greedy.

    Ties are broken to the lowest action, as in :func:`greedy`.

    Parameters
    ----------
    Q : array_like of shape (S, A) or (H, S, A)
    epsilon : float in [0, 1]

    Returns
    -------
    ndarray of float64, shape of ``Q``

    Examples
    --------
    >>> epsilon_greedy([[0.0, 1.0]], 0.5)
    array([[0.25, 0.75]])
    """
    q = _check_q(Q)
    eps = _check_real(epsilon, "epsilon")
    if not (0.0 <= eps <= 1.0):
        raise ValueError(f"epsilon: expected a probability in [0, 1], got {epsilon!r}")
    A = q.shape[-1]
    out = np.full(q.shape, eps / A)
    idx = np.argmax(q, axis=-1)[..., None]
    np.put_along_axis(out, idx, 1.0 - eps + eps / A, axis=-1)
    return out


def softmax(Q: Any, temperature: float = 1.0) -> np.ndarray:
    """Boltzmann policy ``pi(a|s) ∝ exp(Q[s, a] / temperature)``, computed stably.

    Parameters
    ----------
    Q : array_like of shape (S, A) or (H, S, A)
    temperature : float > 0

    Returns
    -------
    ndarray of float64, shape of ``Q``

    Examples
    --------
    >>> softmax([[0.0, np.log(3.0)]])
    array([[0.25, 0.75]])
    """
    q = _check_q(Q)
    tau = _check_real(temperature, "temperature")
    if not (np.isfinite(tau) and tau > 0.0):
        raise ValueError(f"temperature: expected a finite positive number, got {temperature!r}")
    with np.errstate(over="ignore"):  # tiny tau: z -> -inf, exp -> 0, the max entry stays 1
        z = (q - q.max(axis=-1, keepdims=True)) / tau
        e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def uniform(n_states: int, n_actions: int, horizon: int | None = None) -> np.ndarray:
    """Uniformly random policy, shape (S, A), or (H, S, A) when ``horizon`` is given.

    Examples
    --------
    >>> uniform(1, 4)
    array([[0.25, 0.25, 0.25, 0.25]])
    """
    S = check_positive_int(n_states, "n_states")
    A = check_positive_int(n_actions, "n_actions")
    shape: tuple[int, ...] = (S, A) if horizon is None else (check_positive_int(horizon, "horizon"), S, A)
    return np.full(shape, 1.0 / A)

