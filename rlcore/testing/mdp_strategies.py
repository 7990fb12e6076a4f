"""Hypothesis strategies for valid finite MDPs of every kind (:func:`finite_mdps`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp
from hypothesis.strategies import SearchStrategy

from rlcore.mdp import FiniteMDP
from rlcore.validation import Discount, InvalidParameterError, Real, validate_params
from rlcore.testing._draw import (
    _SPARSE_FORMATS,
    MAX_ACTIONS,
    MAX_HORIZON,
    MAX_STATES,
    _bool_arg,
    _draw_int,
    _float_arg,
    _int_arg,
    _size,
    _stochastic_rows,
    _STRATEGY,
    _TRI_STATE,
)

__all__ = ["finite_mdps"]


def _rewards(draw: Callable[..., Any], shape: tuple[int, ...], scale: float) -> np.ndarray:
    unit = draw(hnp.arrays(np.float64, shape, elements=st.floats(-1.0, 1.0, allow_subnormal=False)))
    return unit * scale


def _one_hot(n: int, i: int) -> np.ndarray:
    out = np.zeros(n)
    out[i] = 1.0
    return out


def _self_loops(lead: tuple[int, ...], S: int, A: int) -> np.ndarray:
    """A valid transition array of shape ``lead + (S, A, S)`` in which every state loops."""
    P = np.zeros(lead + (S, A, S))
    idx = np.arange(S)
    P[..., idx, :, idx] = 1.0
    return P


@dataclass(frozen=True)
class _MDPParts:
    """The raw, valid arrays of a finite MDP before construction (``P`` always dense)."""

    P: np.ndarray  # (S, A, S) or (H, S, A, S)
    R: np.ndarray  # (S, A) or (H, S, A)
    gamma: float | None
    horizon: int | None
    initial: np.ndarray | None
    terminal: np.ndarray | None
    sparse_format: Callable[[np.ndarray], Any] | None  # None: dense

    @property
    def S(self) -> int:
        return int(self.R.shape[-2])

    @property
    def A(self) -> int:
        return int(self.R.shape[-1])

    def as_P(self, P: np.ndarray) -> Any:
        """``P`` in this MDP's layout: dense as is, sparse as a (rows, S) matrix."""
        if self.sparse_format is None:
            return P
        return self.sparse_format(P.reshape(-1, P.shape[-1]))

    def kwargs(self, **override: Any) -> dict[str, Any]:
        """Constructor keyword arguments; an override of ``_OMIT`` drops that key."""
        out: dict[str, Any] = {"P": self.as_P(self.P), "R": self.R}
        for key in ("gamma", "horizon", "initial", "terminal"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out.update(override)
        return {k: v for k, v in out.items() if v is not _OMIT}


_OMIT = object()


@st.composite
def _mdp_parts(
    draw: Callable[..., Any],
    *,
    n_states: SearchStrategy[int],
    n_actions: SearchStrategy[int],
    discounted: SearchStrategy[bool],
    sparse: SearchStrategy[bool],
    time_dependent: bool | None,
    gamma: SearchStrategy[float],
    horizon: SearchStrategy[int],
    branching: SearchStrategy[int] | None,
    with_terminal: SearchStrategy[bool],
    reward_scale: SearchStrategy[float],
) -> _MDPParts:
    S = _draw_int(draw, n_states, "n_states", 1, MAX_STATES)
    A = _draw_int(draw, n_actions, "n_actions", 1, MAX_ACTIONS)
    is_discounted = draw(discounted) if time_dependent is not True else False
    is_sparse = draw(sparse)
    if is_discounted:
        g = float(draw(gamma))
        if not (np.isfinite(g) and 0.0 <= g < 1.0):
            raise InvalidArgument(f"gamma: the strategy drew {g!r}, expected a discount in [0, 1)")
        H = None
        td_P = td_R = False
    else:
        g = None
        H = _draw_int(draw, horizon, "horizon", 1, MAX_HORIZON)
        td = draw(st.booleans()) if time_dependent is None else time_dependent
        if td:  # at least one of P, R carries the time axis
            options = [(True, True), (True, False), (False, True)]
            if is_sparse and H == 1:  # a sparse (1*S*A, S) P reads as stationary: let R show it
                options = [(True, True), (False, True)]
            td_P, td_R = draw(st.sampled_from(options))
        else:
            td_P = td_R = False
    k = None if branching is None else _draw_int(draw, branching, "branching", 1, MAX_STATES)
    scale = float(draw(reward_scale))
    if not (np.isfinite(scale) and scale >= 0.0):
        raise InvalidArgument(f"reward_scale: the strategy drew {scale!r}, expected a finite number >= 0")

    # td_P / td_R are only set in the finite-horizon branch, where H is an int
    lead = (cast(int, H),) if td_P else ()
    P = _stochastic_rows(draw, lead + (S, A), S, max_support=k)
    R = _rewards(draw, ((cast(int, H),) if td_R else ()) + (S, A), scale)

    terminal = None
    if draw(with_terminal):
        mask = draw(hnp.arrays(np.bool_, (S,)))
        mask[draw(st.integers(0, S - 1))] = True
        for s in np.flatnonzero(mask):  # absorbing with zero reward, at every step
            P[..., s, :, :] = _one_hot(S, int(s))
            R[..., s, :] = 0.0
        terminal = mask

    init_kind = draw(st.sampled_from(("default", "point", "random")))
    if init_kind == "default":
        initial = None
    elif init_kind == "point":
        initial = _one_hot(S, draw(st.integers(0, S - 1)))
    else:
        initial = _stochastic_rows(draw, (), S)

    fmt = draw(st.sampled_from(_SPARSE_FORMATS)) if is_sparse else None
    return _MDPParts(P=P, R=R, gamma=g, horizon=H, initial=initial, terminal=terminal, sparse_format=fmt)


def _parts_strategy(
    *,
    n_states: Any = st.integers(1, 6),
    n_actions: Any = st.integers(1, 4),
    discounted: bool | None = None,
    sparse: bool | None = None,
    time_dependent: bool | None = None,
    gamma: Any = st.floats(0.0, 0.99),
    horizon: Any = st.integers(1, 5),
    branching: Any = None,
    with_terminal: bool | None = False,
    reward_scale: Any = 1.0,
) -> SearchStrategy[_MDPParts]:
    """The strategy of :func:`finite_mdps`' raw arrays, on checked arguments."""
    if discounted is True and time_dependent is True:
        raise InvalidParameterError(
            "time_dependent",
            "discounted, time_dependent: a discounted MDP is stationary; time-dependent P/R "
            "need a finite horizon (pass discounted=False or None)",
        )
    return _mdp_parts(
        n_states=_int_arg(n_states),
        n_actions=_int_arg(n_actions),
        discounted=_bool_arg(discounted),
        sparse=_bool_arg(sparse),
        time_dependent=time_dependent,
        gamma=_float_arg(gamma),
        horizon=_int_arg(horizon),
        branching=None if branching is None else _int_arg(branching),
        with_terminal=_bool_arg(with_terminal),
        reward_scale=_float_arg(reward_scale),
    )


# ---------------------------------------------------------------------------------
# public strategies: valid objects
# ---------------------------------------------------------------------------------
@validate_params(
    n_states=_size(1, MAX_STATES),
    n_actions=_size(1, MAX_ACTIONS),
    discounted=_TRI_STATE,
    sparse=_TRI_STATE,
    time_dependent=_TRI_STATE,
    gamma=Discount() | _STRATEGY,
    horizon=_size(1, MAX_HORIZON),
    branching=_size(1, MAX_STATES) | None,
    with_terminal=_TRI_STATE,
    reward_scale=Real(0, None) | _STRATEGY,
)
def finite_mdps(
    *,
    n_states: int | SearchStrategy[int] = st.integers(1, 6),
    n_actions: int | SearchStrategy[int] = st.integers(1, 4),
    discounted: bool | None = None,
    sparse: bool | None = None,
    time_dependent: bool | None = None,
    gamma: float | SearchStrategy[float] = st.floats(0.0, 0.99),
    horizon: int | SearchStrategy[int] = st.integers(1, 5),
    branching: int | SearchStrategy[int] | None = None,
    with_terminal: bool | None = False,
    reward_scale: float | SearchStrategy[float] = 1.0,
) -> SearchStrategy[FiniteMDP]:
    """Strategy for valid :class:`~rlcore.FiniteMDP` instances of every kind.

    Transition rows are drawn as non-negative integer weights divided by their sum, so
    they are normalised to rounding error (far inside the constructor's tolerance) and
    include zeros; a random subset of rows is forced deterministic (one-hot). The
    initial distribution is the constructor's default (uniform), a point mass, or a
    random distribution with zeros. Rewards are uniform-ish floats in
    ``[-reward_scale, reward_scale]`` (no subnormals). Everything shrinks towards one
    state, one action, deterministic self-loops to state 0 and zero rewards.

    Parameters
    ----------
    n_states, n_actions : int or strategy of int
        Number of states ``S`` in ``[1, 1000]`` and actions ``A`` in ``[1, 100]``
        (``MAX_STATES``, ``MAX_ACTIONS``).
    discounted : bool or None
        True: ``gamma`` drawn from ``gamma``; False: finite horizon drawn from
        ``horizon``; None (default): both kinds.
    sparse : bool or None
        True: ``P`` is passed as a ``scipy.sparse`` CSR matrix of shape (S*A, S) (or
        (H*S*A, S) when time-dependent; both ``csr_array`` and ``csr_matrix`` occur);
        False: dense ndarray; None (default): both.
    time_dependent : bool or None
        Finite horizon only. True: ``P``, ``R`` or both carry a leading time axis of
        length H; False: stationary; None (default): both. ``True`` implies
        ``discounted=False`` and is an error with ``discounted=True``.
    gamma : float or strategy of float
        Discount in ``[0, 1)``, default ``st.floats(0, 0.99)``.
    horizon : int or strategy of int
        Horizon ``H`` in ``[1, 1000]``, default ``st.integers(1, 5)``.
    branching : int or strategy of int, optional
        At most this many successor states per ``(s, a)`` row (sparse dynamics). Default:
        unrestricted.
    with_terminal : bool or None
        True: at least one absorbing, zero-reward terminal state (passed as the
        ``terminal`` mask); False (default): none; None: both.
    reward_scale : float or strategy of float
        Rewards lie in ``[-reward_scale, reward_scale]``; default 1.0.

    Returns
    -------
    SearchStrategy[FiniteMDP]

    Raises
    ------
    InvalidParameterTypeError, InvalidParameterError
        On a malformed argument (e.g. ``discounted=True, time_dependent=True``); a
        strategy argument that draws a bad value raises
        :class:`hypothesis.errors.InvalidArgument` at draw time.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(finite_mdps(sparse=True, discounted=False))
    ... def test_sparse_finite_horizon(mdp):
    ...     assert mdp.is_sparse and mdp.horizon is not None
    >>> test_sparse_finite_horizon()  # doctest: +SKIP
    """
    parts = _parts_strategy(
        n_states=n_states,
        n_actions=n_actions,
        discounted=discounted,
        sparse=sparse,
        time_dependent=time_dependent,
        gamma=gamma,
        horizon=horizon,
        branching=branching,
        with_terminal=with_terminal,
        reward_scale=reward_scale,
    )
    return parts.map(lambda p: FiniteMDP(**p.kwargs()))
