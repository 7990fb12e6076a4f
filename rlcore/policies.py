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

from typing import Any

import numpy as np

from rlcore.validation import (
    PROBABILITY_ATOL,
    Array,
    Constraint,
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    Real,
    check_stochastic_rows,
    validate_params,
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

#: Upper limit of a number of states or actions given as an integer.
MAX_SIZE: int = 10**9

#: Most entries of a table :func:`uniform` builds (``H * S * A``): 8 GB of float64.
MAX_TABLE_ENTRIES: int = 10**9

#: Longest horizon (the same limit as :class:`rlcore.FiniteMDP`'s).
MAX_HORIZON: int = 10**6

#: Loosest row-sum tolerance accepted (the same limit as :class:`rlcore.FiniteMDP`'s).
MAX_ATOL: float = 1e-3

_Q = Array(ndim=(2, 3))
_STATES = Integer(1, MAX_SIZE)
_ACTIONS = Integer(1, MAX_SIZE)
_HORIZON = Integer(1, MAX_HORIZON) | None
_ATOL = Real(0, MAX_ATOL)


class _PolicyArray(Constraint):
    """A policy array of either layout: an int array (actions) or a real array (rows).

    Only the kind is checked here (not bool, not object, not complex, not a scalar); the
    shapes against the sizes are checked where the sizes are known. With ``label``, the
    error names the argument held by the parameter ``label`` (``validate_policy``'s
    ``name``), so a caller's own parameter name appears in the message.
    """

    def __init__(self, label: str | None = None) -> None:
        self.label = label

    def accepts_kind(self, value: Any) -> bool:
        return isinstance(value, (np.ndarray, list, tuple))

    def check(self, value: Any, name: str, args: dict | None = None) -> np.ndarray:
        if self.label is not None:
            given = (args or {}).get(self.label)
            name = given if isinstance(given, str) and given else name
        return _policy_array(value, name)

    def __str__(self) -> str:
        return "a policy array (int actions or float probability rows)"

    def invalid_values(self, args: dict | None = None) -> list[tuple[Any, type[Exception]]]:
        return [
            ("x", TypeError),
            (None, TypeError),
            (1.5, TypeError),
            (np.array([True, False]), TypeError),
            (np.array(["a", "b"]), TypeError),
            (np.array([1 + 1j, 0j]), TypeError),
            (np.array([0, "a"], dtype=object), TypeError),
            ([[0, 1], [0]], TypeError),
        ]


def _policy_array(policy: Any, name: str) -> np.ndarray:
    """``policy`` as an int64 or float64 array (not copied when it already is one)."""
    if isinstance(policy, (str, bytes)) or policy is None:
        raise InvalidParameterTypeError(name, f"expected a policy array, got {type(policy).__name__}")
    try:
        arr = np.asarray(policy)
    except (ValueError, TypeError) as exc:  # ragged nested sequences
        raise InvalidParameterTypeError(name, f"expected a rectangular int or float array ({exc})") from None
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise InvalidParameterTypeError(
            name, f"expected an int array (deterministic) or a float array (stochastic), got dtype {arr.dtype}"
        )
    if arr.ndim == 0:
        raise InvalidParameterTypeError(name, f"expected a policy array, got the scalar {arr.item()!r}")
    if np.issubdtype(arr.dtype, np.integer):
        return arr if arr.dtype == np.int64 else arr.astype(np.int64)
    return arr if arr.dtype == np.float64 else arr.astype(np.float64)


@validate_params(policy=_PolicyArray())
def is_deterministic(policy: Any) -> bool:
    """True when ``policy`` is an integer (deterministic) policy array.

    Parameters
    ----------
    policy : array_like
        An int array (deterministic) or a float array (stochastic).

    Examples
    --------
    >>> is_deterministic(np.array([0, 1])), is_deterministic(np.array([[0.5, 0.5]]))
    (True, False)
    """
    return bool(np.issubdtype(policy.dtype, np.integer))


def _check_actions(arr: np.ndarray, n_actions: int, name: str) -> None:
    bad = (arr < 0) | (arr >= n_actions)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InvalidParameterError(name, f"actions must lie in [0, {n_actions}), found {int(arr[idx])} at index {idx}")


@validate_params(
    policy=_PolicyArray(label="name"),
    n_states=_STATES,
    n_actions=_ACTIONS,
    horizon=_HORIZON,
    name=Instance(str, what="a parameter name (str)"),
    atol=_ATOL,
)
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
    n_states, n_actions : int in [1, 10**9]
    horizon : int in [1, 10**6], optional
        The MDP's horizon; time-dependent policies are accepted only when it is set
        and matches their leading axis.
    name : str
        Argument name used in error messages (every error about ``policy`` starts
        with it).
    atol : float in [0, 1e-3]
        Tolerance on each stochastic row's sum.

    Returns
    -------
    ndarray
        ``int64`` copy for a deterministic policy, ``float64`` copy for a stochastic
        one, read-only, same shape as the input.

    Raises
    ------
    InvalidParameterTypeError
        Non-numeric or boolean input, or a float array of deterministic shape.
    InvalidParameterError
        Wrong shape, action index out of range, negative or non-normalised row.

    Examples
    --------
    >>> validate_policy([0, 1, 1], n_states=3, n_actions=2)
    array([0, 1, 1])
    >>> validate_policy([0, 2, 1], n_states=3, n_actions=2)
    Traceback (most recent call last):
    ...
    rlcore.validation.InvalidParameterError: policy: actions must lie in [0, 2), found 2 at index (1,)
    """
    arr = policy
    if np.issubdtype(arr.dtype, np.integer):
        if arr.ndim == 1:
            expected: tuple[int, ...] = (n_states,)
        elif arr.ndim == 2:
            if horizon is None:
                raise InvalidParameterError(
                    name,
                    f"a time-dependent deterministic policy of shape {arr.shape} needs a "
                    "finite-horizon MDP; stationary deterministic policies have shape (S,)",
                )
            expected = (horizon, n_states)
        else:
            raise InvalidParameterError(name, f"a deterministic policy has shape (S,) or (H, S), got {arr.shape}")
        if arr.shape != expected:
            raise InvalidParameterError(name, f"expected shape {expected}, got {arr.shape}")
        _check_actions(arr, n_actions, name)
        out = arr.astype(np.int64, copy=True)
    else:
        if arr.ndim == 1:
            raise InvalidParameterTypeError(
                name,
                f"a 1-D policy must be an integer array of actions, got dtype "
                f"{np.asarray(arr).dtype}; convert with .astype(int) if that is what you mean",
            )
        if arr.ndim == 2:
            expected = (n_states, n_actions)
        elif arr.ndim == 3:
            if horizon is None:
                raise InvalidParameterError(
                    name,
                    f"a time-dependent stochastic policy of shape {arr.shape} needs a "
                    "finite-horizon MDP; stationary stochastic policies have shape (S, A)",
                )
            expected = (horizon, n_states, n_actions)
        else:
            raise InvalidParameterError(name, f"a stochastic policy has shape (S, A) or (H, S, A), got {arr.shape}")
        if arr.shape != expected:
            raise InvalidParameterError(name, f"expected shape {expected}, got {arr.shape}")
        out = arr.astype(np.float64, copy=True)
        bad = ~np.isfinite(out)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise InvalidParameterError(name, f"entries must be finite, found {float(out[idx])!r} at index {idx}")
        check_stochastic_rows(out, name, atol=atol)
    out.flags.writeable = False
    return out


@validate_params(policy=_PolicyArray(), n_actions=_ACTIONS, atol=_ATOL)
def as_stochastic(policy: Any, n_actions: int, *, atol: float = PROBABILITY_ATOL) -> np.ndarray:
    """Return the stochastic form ``(..., S, A)`` of a policy.

    A deterministic policy (int array of shape (S,) or (H, S), actions in
    ``[0, n_actions)``) becomes one-hot rows; a stochastic one (shape (S, A) or
    (H, S, A), rows summing to 1 within ``atol``) is returned as a float64 array.

    Parameters
    ----------
    policy : array_like
    n_actions : int in [1, 10**9]
    atol : float in [0, 1e-3]
        Tolerance on each stochastic row's sum.

    Examples
    --------
    >>> as_stochastic(np.array([1, 0]), 2)
    array([[0., 1.],
           [1., 0.]])
    """
    arr = policy
    if np.issubdtype(arr.dtype, np.integer):
        if arr.ndim not in (1, 2):
            raise InvalidParameterError("policy", f"a deterministic policy has shape (S,) or (H, S), got {arr.shape}")
        _check_actions(arr, n_actions, "policy")
        out = np.zeros(arr.shape + (n_actions,))
        np.put_along_axis(out, arr[..., None], 1.0, axis=-1)
        return out
    if arr.ndim not in (2, 3) or arr.shape[-1] != n_actions:
        raise InvalidParameterError(
            "policy", f"a stochastic policy has shape (S, {n_actions}) or (H, S, {n_actions}), got {arr.shape}"
        )
    if arr.size == 0:
        raise InvalidParameterError("policy", f"expected at least one state, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InvalidParameterError("policy", f"entries must be finite, found {float(arr[idx])!r} at index {idx}")
    check_stochastic_rows(arr, "policy", atol=atol)
    return arr


@validate_params(Q=_Q)
def greedy(Q: Any) -> np.ndarray:
    """Deterministic greedy policy ``argmax_a Q[..., s, a]`` (ties to the lowest action).

    Parameters
    ----------
    Q : array_like of shape (S, A) or (H, S, A)
        Finite action values.

    Returns
    -------
    ndarray of int64, shape (S,) or (H, S)

    Examples
    --------
    >>> greedy([[1.0, 2.0], [3.0, 3.0]])
    array([1, 0])
    """
    return np.argmax(Q, axis=-1).astype(np.int64)


@validate_params(Q=_Q, epsilon=Real(0, 1))
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
    A = Q.shape[-1]
    out = np.full(Q.shape, epsilon / A)
    idx = np.argmax(Q, axis=-1)[..., None]
    np.put_along_axis(out, idx, 1.0 - epsilon + epsilon / A, axis=-1)
    return out


@validate_params(Q=_Q, temperature=Real(0, None, closed="neither"))
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
    with np.errstate(over="ignore"):  # tiny tau or huge spreads: z -> -inf, exp -> 0, the max entry stays 1
        z = (Q - Q.max(axis=-1, keepdims=True)) / temperature
        e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@validate_params(n_states=_STATES, n_actions=_ACTIONS, horizon=_HORIZON)
def uniform(n_states: int, n_actions: int, horizon: int | None = None) -> np.ndarray:
    """Uniformly random policy, shape (S, A), or (H, S, A) when ``horizon`` is given.

    Parameters
    ----------
    n_states, n_actions : int in [1, 10**9]
    horizon : int in [1, 10**6], optional
        The table has at most ``MAX_TABLE_ENTRIES`` (10**9) entries ``H * S * A``.

    Examples
    --------
    >>> uniform(1, 4)
    array([[0.25, 0.25, 0.25, 0.25]])
    """
    shape: tuple[int, ...] = (n_states, n_actions) if horizon is None else (horizon, n_states, n_actions)
    entries = int(np.prod(shape, dtype=object))
    if entries > MAX_TABLE_ENTRIES:
        raise InvalidParameterError(
            "n_states", f"a table of shape {shape} has {entries} entries, more than the limit {MAX_TABLE_ENTRIES}"
        )
    return np.full(shape, 1.0 / n_actions)
