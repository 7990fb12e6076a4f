"""Invalid :class:`~rlcore.FiniteMDP` arguments: a valid MDP with exactly one defect.

Each corruption of the catalogue :data:`MDP_CORRUPTIONS` says which argument the error
message must name and which exception (``ValueError`` or ``TypeError``) it must be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from rlcore.validation import validate_params
from rlcore.testing._draw import (
    MAX_ACTIONS,
    MAX_STATES,
    _Case,
    _chosen,
    _Draw,
    _int_arg,
    _kinds,
    _negative_entry,
    _note,
    _pick,
    _row_sum_off,
    _rows,
    _set_entry,
    _size,
    _zero_row,
)
from rlcore.testing.mdp_strategies import _MDPParts, _OMIT, _parts_strategy, _self_loops

__all__ = ["MDP_CORRUPTIONS", "corrupted_mdp_kwargs"]


@dataclass(frozen=True)
class _MDPCorruption:
    apply: Callable[[_Draw, _MDPParts], _Case]
    discounted: bool | None = None
    sparse: bool | None = None


_MDP_REGISTRY: dict[str, _MDPCorruption] = {}


def _mdp_corruption(name: str, **requires: Any) -> Callable[[Callable[[_Draw, _MDPParts], _Case]], Any]:
    def register(fn: Callable[[_Draw, _MDPParts], _Case]) -> Callable[[_Draw, _MDPParts], _Case]:
        _MDP_REGISTRY[name] = _MDPCorruption(fn, **requires)
        return fn

    return register


@_mdp_corruption("P_nan")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(P=p.as_P(_set_entry(draw, p.P, [np.nan]))), "P", ValueError


@_mdp_corruption("P_inf")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(P=p.as_P(_set_entry(draw, p.P, [np.inf, -np.inf]))), "P", ValueError


@_mdp_corruption("P_negative")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(P=p.as_P(_negative_entry(draw, p.P))), "P", ValueError


@_mdp_corruption("P_row_sum_high")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(P=p.as_P(_row_sum_off(draw, p.P, +1.0))), "P", ValueError


@_mdp_corruption("P_row_sum_low")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(P=p.as_P(_row_sum_off(draw, p.P, -1.0))), "P", ValueError


@_mdp_corruption("P_zero_row")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(P=p.as_P(_zero_row(draw, p.P))), "P", ValueError


@_mdp_corruption("P_wrong_n_states")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    S2 = draw(st.sampled_from([p.S + 1, p.S + 2] + ([p.S - 1] if p.S > 1 else [])))
    return p.kwargs(P=p.as_P(_self_loops(p.P.shape[:-3], S2, p.A))), "P", ValueError


@_mdp_corruption("P_wrong_n_actions")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    options = [p.A + 1, p.A + 2] + ([p.A - 1] if p.A > 1 else [])
    if p.sparse_format is not None and p.horizon is not None:  # (S*A2, S) must not read as (H*S*A, S)
        options = [a for a in options if a != p.horizon * p.A]
    A2 = draw(st.sampled_from(options))
    return p.kwargs(P=p.as_P(_self_loops(p.P.shape[:-3], p.S, A2))), "P", ValueError


@_mdp_corruption("P_wrong_n_next_states")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    pad = draw(st.integers(1, 2))
    P = np.concatenate([p.P, np.zeros(p.P.shape[:-1] + (pad,))], axis=-1)  # rows still sum to 1
    return p.kwargs(P=p.as_P(P)), "P", ValueError


@_mdp_corruption("P_wrong_rank", sparse=False)
def _(draw: _Draw, p: _MDPParts) -> _Case:
    rank = draw(st.sampled_from([1, 2, 5]))
    if rank == 1:
        P = p.P.ravel()
    elif rank == 2:
        P = _rows(p.P).copy()  # the sparse layout, but as a dense array
    else:
        P = p.P.reshape((1,) * (5 - p.P.ndim) + p.P.shape)
    return p.kwargs(P=P), "P", ValueError


@_mdp_corruption("P_time_dependent_without_horizon", discounted=True)
def _(draw: _Draw, p: _MDPParts) -> _Case:
    if p.sparse_format is None:
        P = np.stack([p.P] * draw(st.integers(1, 3)))
    else:  # H copies stacked: with H = 1 this would be the stationary layout
        P = np.stack([p.P] * draw(st.integers(2, 3)))
    return p.kwargs(P=p.as_P(P)), "P", ValueError


@_mdp_corruption("P_horizon_mismatch", discounted=False)
def _(draw: _Draw, p: _MDPParts) -> _Case:
    H = cast(int, p.horizon)  # registered with discounted=False: the parts have a horizon
    options = [H + 1, H + 2] + ([H - 1] if H > 1 else [])
    if p.sparse_format is not None:
        options = [h for h in options if h != 1]  # 1 copy is the valid stationary layout
    base = p.P if p.P.ndim == 3 else p.P[0]
    return p.kwargs(P=p.as_P(np.stack([base] * draw(st.sampled_from(options))))), "P", ValueError


@_mdp_corruption("P_non_numeric")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    bad = draw(st.sampled_from(["string", "none", "object", "complex", "bool", "ragged"]))
    P: Any = {
        "string": "P",
        "none": None,
        "object": p.P.astype(object),
        "complex": p.P.astype(complex),
        "bool": p.P > 0,
        "ragged": [[[1.0]], [[0.5, 0.5]]],
    }[bad]
    return p.kwargs(P=P), "P", TypeError


@_mdp_corruption("sparse_P_negative", sparse=True)
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(P=p.as_P(_negative_entry(draw, p.P))), "P", ValueError


@_mdp_corruption("sparse_P_not_normalised", sparse=True)
def _(draw: _Draw, p: _MDPParts) -> _Case:
    kind = draw(st.sampled_from(["high", "low", "zero_row"]))
    P = _zero_row(draw, p.P) if kind == "zero_row" else _row_sum_off(draw, p.P, 1.0 if kind == "high" else -1.0)
    return p.kwargs(P=p.as_P(P)), "P", ValueError


@_mdp_corruption("sparse_P_wrong_shape", sparse=True)
def _(draw: _Draw, p: _MDPParts) -> _Case:
    S, A = p.S, p.A
    valid_rows = {S * A} | ({p.horizon * S * A} if p.horizon is not None else set())
    if draw(st.booleans()):  # wrong number of rows, each row a valid distribution
        options = [r for r in (S * A + 1, 2 * S * A + 1, S * A - 1) if r >= 1 and r not in valid_rows]
        n_rows, n_cols = draw(st.sampled_from(options)), S
        M = np.zeros((n_rows, n_cols))
        M[:, 0] = 1.0
    else:  # wrong number of columns
        M = np.concatenate([_rows(p.P), np.zeros((_rows(p.P).shape[0], 1))], axis=1)
    return p.kwargs(P=p.sparse_format(M)), "P", ValueError  # type: ignore[misc]


@_mdp_corruption("sparse_P_non_numeric", sparse=True)
def _(draw: _Draw, p: _MDPParts) -> _Case:
    M = _rows(p.P)
    M = M.astype(complex) if draw(st.booleans()) else M > 0
    return p.kwargs(P=p.sparse_format(M)), "P", TypeError  # type: ignore[misc]


@_mdp_corruption("R_nan")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(R=_set_entry(draw, p.R, [np.nan])), "R", ValueError


@_mdp_corruption("R_inf")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(R=_set_entry(draw, p.R, [np.inf, -np.inf])), "R", ValueError


@_mdp_corruption("R_wrong_rank")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    kind = draw(st.sampled_from(["scalar", "1d", "4d"]))
    R: Any = {"scalar": 0.0, "1d": p.R.ravel(), "4d": p.R.reshape((1,) * (4 - p.R.ndim) + p.R.shape)}[kind]
    return p.kwargs(R=R), "R", ValueError


@_mdp_corruption("R_empty")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    R = p.R[..., :0] if draw(st.booleans()) else p.R[..., :0, :]
    return p.kwargs(R=R), "R", ValueError


@_mdp_corruption("R_non_numeric")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    bad = draw(st.sampled_from(["string", "none", "object", "complex", "bool", "ragged"]))
    R: Any = {
        "string": "R",
        "none": None,
        "object": p.R.astype(object),
        "complex": p.R.astype(complex),
        "bool": p.R > 0,
        "ragged": [[0.0], [0.0, 1.0]],
    }[bad]
    return p.kwargs(R=R), "R", TypeError


@_mdp_corruption("R_time_dependent_without_horizon", discounted=True)
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(R=np.stack([p.R] * draw(st.integers(1, 3)))), "R", ValueError


@_mdp_corruption("R_horizon_mismatch", discounted=False)
def _(draw: _Draw, p: _MDPParts) -> _Case:
    H = cast(int, p.horizon)  # registered with discounted=False: the parts have a horizon
    h = draw(st.sampled_from([H + 1, H + 2] + ([H - 1] if H > 1 else [])))
    base = p.R if p.R.ndim == 2 else p.R[0]
    return p.kwargs(R=np.stack([base] * h)), "R", ValueError


@_mdp_corruption("gamma_and_horizon")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    extra = {"horizon": draw(st.integers(1, 5))} if p.gamma is not None else {"gamma": draw(st.floats(0.0, 0.99))}
    return p.kwargs(**extra), "gamma", ValueError


@_mdp_corruption("no_criterion")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(gamma=_OMIT, horizon=_OMIT), "gamma", ValueError


@_mdp_corruption("gamma_out_of_range", discounted=True)
def _(draw: _Draw, p: _MDPParts) -> _Case:
    g = draw(st.sampled_from([1.0, 1, np.float64(1.0), 1.0 + 1e-12, 1.5, 2.0, -0.1, -1e-12, np.nan, np.inf, -np.inf]))
    return p.kwargs(gamma=g), "gamma", ValueError


@_mdp_corruption("gamma_wrong_type", discounted=True)
def _(draw: _Draw, p: _MDPParts) -> _Case:
    g = draw(st.sampled_from(["0.9", b"0.9", True, False, np.bool_(True), [0.5], (0.5,), np.array([0.5]), 0.5 + 0j]))
    return p.kwargs(gamma=g), "gamma", TypeError


@_mdp_corruption("horizon_out_of_range", discounted=False)
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(horizon=draw(st.sampled_from([0, -1, -3, np.int64(0)]))), "horizon", ValueError


@_mdp_corruption("horizon_wrong_type", discounted=False)
def _(draw: _Draw, p: _MDPParts) -> _Case:
    H = cast(int, p.horizon)  # registered with discounted=False: the parts have a horizon
    h = draw(st.sampled_from([float(H), H + 0.5, np.float64(H), True, False, str(H), [H]]))
    return p.kwargs(horizon=h), "horizon", TypeError


def _initial_of(p: _MDPParts) -> np.ndarray:
    return p.initial.copy() if p.initial is not None else np.full(p.S, 1.0 / p.S)


@_mdp_corruption("initial_not_normalised")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    factor = draw(st.sampled_from([1.0 + 1e-6, 1.0 - 1e-6, 1.5, 0.5, 0.0]))
    return p.kwargs(initial=_initial_of(p) * factor), "initial", ValueError


@_mdp_corruption("initial_negative")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(initial=_negative_entry(draw, _initial_of(p))), "initial", ValueError


@_mdp_corruption("initial_wrong_length")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    n = draw(st.sampled_from([p.S + 1, p.S + 2] + ([p.S - 1] if p.S > 1 else [])))
    return p.kwargs(initial=np.full(n, 1.0 / n)), "initial", ValueError


@_mdp_corruption("initial_wrong_rank")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    mu = _initial_of(p)
    return p.kwargs(initial=draw(st.sampled_from([mu[None, :], mu[:, None], 1.0]))), "initial", ValueError


@_mdp_corruption("initial_nan")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(initial=_set_entry(draw, _initial_of(p), [np.nan, np.inf, -np.inf])), "initial", ValueError


@_mdp_corruption("initial_non_numeric")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    mu = _initial_of(p)
    bad = draw(st.sampled_from(["string", "object", "complex", "bool"]))
    value: Any = {"string": "uniform", "object": mu.astype(object), "complex": mu.astype(complex), "bool": mu > 0}[bad]
    return p.kwargs(initial=value), "initial", TypeError


def _terminal_of(p: _MDPParts) -> np.ndarray:
    return p.terminal.copy() if p.terminal is not None else np.zeros(p.S, dtype=bool)


@_mdp_corruption("terminal_wrong_dtype")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    mask = _terminal_of(p)
    dtype = draw(st.sampled_from([np.int64, np.float64, np.uint8]))
    return p.kwargs(terminal=mask.astype(dtype)), "terminal", TypeError


@_mdp_corruption("terminal_wrong_shape")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    mask = _terminal_of(p)
    options = [np.append(mask, False), mask[None, :], np.bool_(False)] + ([mask[:-1]] if p.S > 1 else [])
    terminal = draw(st.sampled_from(options))
    # a bare bool is not an array at all (the wrong kind: TypeError); the others have the wrong shape
    return p.kwargs(terminal=terminal), "terminal", TypeError if np.ndim(terminal) == 0 else ValueError


@_mdp_corruption("terminal_not_absorbing")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    s = _pick(draw, p.S)
    R = p.R.copy()
    R[..., s, 0] = draw(st.sampled_from([1.0, -0.5, 1e-300]))  # makes s non-absorbing even if P loops
    mask = _terminal_of(p)
    mask[s] = True
    return p.kwargs(R=R, terminal=mask), "terminal", ValueError


@_mdp_corruption("atol_out_of_range")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(atol=draw(st.sampled_from([-1e-9, -1.0, 1.0, 2.0, np.nan, np.inf]))), "atol", ValueError


@_mdp_corruption("atol_wrong_type")
def _(draw: _Draw, p: _MDPParts) -> _Case:
    return p.kwargs(atol=draw(st.sampled_from(["1e-6", "abc", None, False, [1e-8]]))), "atol", TypeError


#: Names of the corruptions :func:`corrupted_mdp_kwargs` applies (pass a subset as ``kinds``).
MDP_CORRUPTIONS: tuple[str, ...] = tuple(_MDP_REGISTRY)


@st.composite
def _corrupted_mdp_kwargs(
    draw: _Draw, kinds: tuple[str, ...], n_states: SearchStrategy[int], n_actions: SearchStrategy[int]
) -> _Case:
    kind = draw(st.sampled_from(kinds))
    spec = _MDP_REGISTRY[kind]
    parts = draw(
        _parts_strategy(
            n_states=n_states,
            n_actions=n_actions,
            discounted=spec.discounted,
            sparse=spec.sparse,
            with_terminal=None,
            horizon=st.integers(1, 4),
        )
    )
    _note(f"MDP corruption: {kind}")
    return spec.apply(draw, parts)


@validate_params(kinds=_kinds(MDP_CORRUPTIONS), n_states=_size(1, MAX_STATES), n_actions=_size(1, MAX_ACTIONS))
def corrupted_mdp_kwargs(
    *,
    kinds: str | tuple[str, ...] | list[str] | None = None,
    n_states: int | SearchStrategy[int] = st.integers(1, 4),
    n_actions: int | SearchStrategy[int] = st.integers(1, 3),
) -> SearchStrategy[tuple[dict[str, Any], str, type[Exception]]]:
    """Strategy for invalid ``FiniteMDP`` arguments: a valid MDP with exactly one defect.

    Draws the raw arrays of a valid MDP (any kind, as :func:`finite_mdps`), then applies
    one corruption from :data:`MDP_CORRUPTIONS`: NaN or infinite entries in ``P``/``R``;
    a negative probability (the row still summing to one); a row summing to
    ``1 +- 1e-6`` (or ``1e-4``, ``0.1``), or to zero; ``P`` with the wrong number of
    states, actions or next states, of rank 1, 2 or 5, time-dependent without a
    horizon or with a leading axis other than ``H``; ``P``/``R`` that are strings,
    ``None``, object, complex, bool or ragged; sparse ``P`` with a wrong shape,
    negative or non-normalised rows, or a complex/bool dtype; ``R`` of the wrong rank,
    empty, time-dependent without a horizon or with the wrong leading axis; both or
    neither of ``gamma``/``horizon``; ``gamma`` of 1, > 1, < 0, NaN, infinite, or a
    string, bool, list, array or complex; ``horizon`` of 0 or negative, or a float,
    bool, string or list; ``initial`` not summing to one, negative, NaN, of the wrong
    length or rank, or non-numeric; a ``terminal`` mask of the wrong dtype or shape,
    or marking a state that is not absorbing with zero reward (a bare bool instead of a
    mask is a ``TypeError``); ``atol`` negative, 1 or more, NaN or infinite, or not a
    real number.

    Parameters
    ----------
    kinds : str or sequence of str, optional
        Restrict to these corruptions (names from :data:`MDP_CORRUPTIONS`). Default: all.
    n_states, n_actions : int or strategy of int
        Size of the underlying valid MDP (small by default).

    Returns
    -------
    SearchStrategy[tuple[dict, str, type]]
        ``(kwargs, argument, exception)``: ``FiniteMDP(**kwargs)`` should raise
        ``exception`` (``ValueError`` or ``TypeError``) with a message naming
        ``argument`` (one of ``"P"``, ``"R"``, ``"gamma"``, ``"horizon"``,
        ``"initial"``, ``"terminal"``, ``"atol"``). The corruption's name is recorded
        with :func:`hypothesis.note`, so a failing example reports it.

    Examples
    --------
    >>> import pytest
    >>> from hypothesis import given
    >>> from rlcore import FiniteMDP
    >>> @given(corrupted_mdp_kwargs(kinds=["P_row_sum_low", "gamma_out_of_range"]))
    ... def test_rejected(case):
    ...     kwargs, argument, exception = case
    ...     with pytest.raises(exception, match=argument):
    ...         FiniteMDP(**kwargs)
    >>> test_rejected()  # doctest: +SKIP
    """
    return _corrupted_mdp_kwargs(_chosen(kinds, MDP_CORRUPTIONS), _int_arg(n_states), _int_arg(n_actions))
