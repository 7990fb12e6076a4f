"""Invalid tabular policies of a finite MDP: a valid policy with exactly one defect.

Each corruption of the catalogue :data:`POLICY_CORRUPTIONS` says which exception
(``ValueError`` or ``TypeError``) the error naming ``policy`` must be.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from rlcore.mdp import FiniteMDP
from rlcore.validation import MDP, validate_params
from rlcore.testing._draw import (
    _chosen,
    _Draw,
    _kinds,
    _negative_entry,
    _note,
    _pick,
    _row_sum_off,
    _set_entry,
    _zero_row,
)
from rlcore.testing.policy_strategies import _policies, _policy_shape

__all__ = ["POLICY_CORRUPTIONS", "corrupted_policies"]


_PolicyCase = tuple[Any, type[Exception]]
_POLICY_REGISTRY: dict[str, Callable[[_Draw, FiniteMDP], _PolicyCase]] = {}


def _policy_corruption(name: str) -> Callable[[Callable[[_Draw, FiniteMDP], _PolicyCase]], Any]:
    def register(fn: Callable[[_Draw, FiniteMDP], _PolicyCase]) -> Callable[[_Draw, FiniteMDP], _PolicyCase]:
        _POLICY_REGISTRY[name] = fn
        return fn

    return register


def _valid_policy(
    draw: _Draw, mdp: FiniteMDP, *, deterministic: bool | None = None, stationary: bool = False
) -> np.ndarray:
    return np.array(draw(_policies(mdp, deterministic, False if stationary else None)))


@_policy_corruption("action_out_of_range")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    pi = _valid_policy(draw, mdp, deterministic=True)
    A = mdp.n_actions
    pi.reshape(-1)[_pick(draw, pi.size)] = draw(st.sampled_from([A, A + 1, A + 100, -1, -2]))
    return pi, ValueError


@_policy_corruption("float_deterministic_shape")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    return _valid_policy(draw, mdp, deterministic=True, stationary=True).astype(np.float64), TypeError


@_policy_corruption("negative_probability")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    return _negative_entry(draw, _valid_policy(draw, mdp, deterministic=False)), ValueError


@_policy_corruption("row_sum_high")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    return _row_sum_off(draw, _valid_policy(draw, mdp, deterministic=False), +1.0), ValueError


@_policy_corruption("row_sum_low")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    return _row_sum_off(draw, _valid_policy(draw, mdp, deterministic=False), -1.0), ValueError


@_policy_corruption("zero_row")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    return _zero_row(draw, _valid_policy(draw, mdp, deterministic=False)), ValueError


@_policy_corruption("non_finite_probability")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    pi = _valid_policy(draw, mdp, deterministic=False)
    return _set_entry(draw, pi, [np.nan, np.inf, -np.inf]), ValueError


@_policy_corruption("wrong_n_states")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    pi = _valid_policy(draw, mdp)
    axis = pi.ndim - 1 if np.issubdtype(pi.dtype, np.integer) else pi.ndim - 2
    S = mdp.n_states
    n = draw(st.sampled_from([S + 1, S + 2] + ([S - 1] if S > 1 else [])))
    idx = np.arange(n) % S  # repeat valid rows / entries, or drop the last one
    return np.take(pi, idx, axis=axis), ValueError


@_policy_corruption("wrong_n_actions")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    A = mdp.n_actions
    a2 = draw(st.sampled_from([A + 1, A + 2] + ([A - 1] if A > 1 else [])))
    lead = _policy_shape(mdp, draw(st.booleans()) and mdp.horizon is not None)
    return np.full(lead + (a2,), 1.0 / a2), ValueError


@_policy_corruption("wrong_rank")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    pi = _valid_policy(draw, mdp)
    kind = draw(st.sampled_from(["scalar", "too_many_axes"]))
    if kind == "scalar":  # a number, not an array: the wrong kind of object
        return (np.int64(0) if np.issubdtype(pi.dtype, np.integer) else np.float64(1.0)), TypeError
    max_ndim = 2 if np.issubdtype(pi.dtype, np.integer) else 3
    return pi.reshape((1,) * (max_ndim + 1 - pi.ndim) + pi.shape), ValueError


@_policy_corruption("time_dependent_mismatch")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    pi = _valid_policy(draw, mdp, stationary=True)
    if mdp.horizon is None:
        h = draw(st.integers(1, 3))  # any time axis is wrong for a discounted MDP
    else:
        H = mdp.horizon
        h = draw(st.sampled_from([H + 1, H + 2] + ([H - 1] if H > 1 else [])))
    return np.stack([pi] * h), ValueError


@_policy_corruption("bool_dtype")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    pi = _valid_policy(draw, mdp)
    return (pi > 0) if not np.issubdtype(pi.dtype, np.integer) else pi.astype(bool), TypeError


@_policy_corruption("non_numeric")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    pi = _valid_policy(draw, mdp)
    bad = draw(st.sampled_from(["string", "none", "object", "complex"]))
    value: Any = {"string": "greedy", "none": None, "object": pi.astype(object), "complex": pi.astype(complex)}[bad]
    return value, TypeError


@_policy_corruption("ragged")
def _(draw: _Draw, mdp: FiniteMDP) -> _PolicyCase:
    A = mdp.n_actions
    rows: list[Any] = [[1.0 / A] * A for _ in range(mdp.n_states)]
    if len(rows) == 1:  # a single row cannot be ragged: add a second, longer one
        rows.append(rows[0] + [0.0])
    else:
        i = _pick(draw, len(rows))
        rows[i] = rows[i] + [0.0]  # one row one entry too long
    return rows, TypeError


#: Names of the corruptions :func:`corrupted_policies` applies (pass a subset as ``kinds``).
POLICY_CORRUPTIONS: tuple[str, ...] = tuple(_POLICY_REGISTRY)


@st.composite
def _corrupted_policies(draw: _Draw, mdp: FiniteMDP, kinds: tuple[str, ...]) -> tuple[Any, str, type[Exception]]:
    kind = draw(st.sampled_from(kinds))
    _note(f"policy corruption: {kind}")
    policy, exception = _POLICY_REGISTRY[kind](draw, mdp)
    return policy, "policy", exception


@validate_params(mdp=MDP(), kinds=_kinds(POLICY_CORRUPTIONS))
def corrupted_policies(
    mdp: FiniteMDP, *, kinds: str | tuple[str, ...] | list[str] | None = None
) -> SearchStrategy[tuple[Any, str, type[Exception]]]:
    """Strategy for invalid policies of ``mdp``: a valid policy with exactly one defect.

    Corruptions (:data:`POLICY_CORRUPTIONS`): an action index outside ``[0, A)``; a
    float array of the deterministic shape (S,); a negative probability; a row summing
    to ``1 +- 1e-6`` (or more) or to zero; a NaN or infinite probability; the wrong
    number of states or actions; a scalar or an array with too many axes; a time axis
    on a discounted MDP's policy, or one whose length is not ``H``; a bool array;
    a string, ``None``, object or complex array; a ragged nested list.

    Parameters
    ----------
    mdp : FiniteMDP
    kinds : str or sequence of str, optional
        Restrict to these corruptions. Default: all.

    Returns
    -------
    SearchStrategy[tuple[object, str, type]]
        ``(policy, "policy", exception)``: :func:`rlcore.validate_policy` (and every
        function that takes a policy) should raise ``exception`` naming ``policy``.

    Examples
    --------
    >>> import pytest
    >>> from hypothesis import given
    >>> from rlcore import FiniteMDP, evaluate_policy
    >>> mdp = FiniteMDP(np.ones((2, 2, 2)) / 2, np.zeros((2, 2)), gamma=0.9)
    >>> @given(corrupted_policies(mdp))
    ... def test_rejected(case):
    ...     policy, argument, exception = case
    ...     with pytest.raises(exception, match=argument):
    ...         evaluate_policy(mdp, policy)
    >>> test_rejected()  # doctest: +SKIP
    """
    return _corrupted_policies(mdp, _chosen(kinds, POLICY_CORRUPTIONS))
