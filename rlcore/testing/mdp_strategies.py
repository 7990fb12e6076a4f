"""Hypothesis strategies for valid finite MDPs of every kind (:func:`finite_mdps`).

A drawn MDP prints as the constructor call that rebuilds it exactly
(:func:`constructor_call`), so a failing example that Hypothesis reports can be pasted
back into a test.
"""

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
from rlcore.validation import Discount, Instance, InvalidParameterError, Real, validate_params
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

__all__ = ["constructor_call", "finite_mdps"]


def _literal(a: np.ndarray) -> str:
    """``np.array([...])`` with every number at full precision (``repr`` of a float round-trips)."""
    return f"np.array({np.asarray(a).tolist()!r})"


@validate_params(mdp=Instance(FiniteMDP, what="a FiniteMDP"))
def constructor_call(mdp: FiniteMDP) -> str:
    """Source code of the :class:`~rlcore.FiniteMDP` call that rebuilds ``mdp`` exactly.

    Every number is written at full precision (the shortest ``repr`` that round-trips),
    so evaluating the string, with ``import numpy as np``, ``import scipy.sparse as sp``
    and ``from rlcore import FiniteMDP``, gives an MDP with the same ``P`` (dense, or
    sparse as ``sp.csr_array``), ``R``, ``gamma``/``horizon``, ``initial`` and
    ``terminal``, value for value. ``initial`` is left out when it is the default
    (uniform), ``terminal`` when no state is terminal. The MDPs that
    :func:`finite_mdps` draws use this as their ``repr``, which is what Hypothesis
    prints for a failing example.

    Parameters
    ----------
    mdp : FiniteMDP

    Returns
    -------
    str
        ``"FiniteMDP(P=np.array([...]), R=np.array([...]), gamma=...)"``.

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.array([[[0.1, 0.9]], [[0.0, 1.0]]]), np.array([[1 / 3], [0.0]]), gamma=0.9)
    >>> constructor_call(mdp)
    'FiniteMDP(P=np.array([[[0.1, 0.9]], [[0.0, 1.0]]]), R=np.array([[0.3333333333333333], [0.0]]), gamma=0.9)'
    >>> again = eval(constructor_call(mdp))
    >>> np.array_equal(again.P, mdp.P) and np.array_equal(again.R, mdp.R)
    True
    """
    if mdp.is_sparse:
        P = f"sp.csr_array({_literal(mdp.P.toarray())})"  # type: ignore[union-attr]
    else:
        P = _literal(np.asarray(mdp.P))
    parts = [f"P={P}", f"R={_literal(mdp.R)}"]
    parts.append(f"gamma={mdp.gamma!r}" if mdp.gamma is not None else f"horizon={mdp.horizon!r}")
    S = mdp.n_states
    if not np.array_equal(mdp.initial, np.full(S, 1.0 / S)):
        parts.append(f"initial={_literal(mdp.initial)}")
    if mdp.terminal.any():
        parts.append(f"terminal={_literal(mdp.terminal)}")
    return f"FiniteMDP({', '.join(parts)})"


#: Largest MDP (numbers in the dense ``P`` plus ``R``) whose drawn instance prints in
#: full; a larger one prints the short :class:`~rlcore.FiniteMDP` summary.
PASTE_LIMIT: int = 10_000


class _DrawnFiniteMDP(FiniteMDP):
    """A :class:`~rlcore.FiniteMDP` drawn by :func:`finite_mdps`: its ``repr`` is
    :func:`constructor_call` (up to :data:`PASTE_LIMIT` numbers), and Hypothesis'
    pretty-printer uses it too (rather than the strategy's internal recipe), so a
    failing example prints as pasteable code."""

    def __repr__(self) -> str:
        rows = self.P.shape[0] if self.is_sparse else int(np.prod(self.P.shape[:-1]))
        if rows * self.n_states + self.R.size > PASTE_LIMIT:
            return super().__repr__()
        return constructor_call(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))


def _build(parts: _MDPParts) -> FiniteMDP:
    return _DrawnFiniteMDP(**parts.kwargs())


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

    **By default the strategy mixes dense and sparse MDPs** (and discounted and
    finite-horizon ones, stationary and time-dependent ones): code under test that only
    handles a dense ``P`` of shape (S, A, S) should ask for ``finite_mdps(sparse=False)``
    (dense only; ``sparse=True`` gives sparse only), and code for one criterion
    ``discounted=True`` or ``False``.

    Each drawn MDP's ``repr`` is the constructor call that rebuilds it exactly
    (:func:`constructor_call`: ``FiniteMDP(P=np.array([...]), R=np.array([...]),
    gamma=...)``, numbers at full precision), so the failing example Hypothesis reports
    can be pasted into a test as it stands (MDPs of more than ``PASTE_LIMIT`` = 10**4
    numbers print the short summary instead; shrunk examples are far smaller). The
    drawn objects are instances of a private subclass of :class:`~rlcore.FiniteMDP`
    that only changes the ``repr``.

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
        False: dense only, an ndarray of shape (S, A, S) (or (H, S, A, S)); None
        (default): a mix of both, so pass ``sparse=False`` for code that only handles
        dense arrays.
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

    Dense only, for code written for ``P`` of shape (S, A, S):

    >>> import numpy as np
    >>> @given(finite_mdps(sparse=False, discounted=True))
    ... def test_dense(mdp):
    ...     assert isinstance(mdp.P, np.ndarray) and mdp.P.shape == (mdp.n_states, mdp.n_actions, mdp.n_states)
    >>> test_dense()

    A drawn MDP prints as code that rebuilds it:

    >>> from hypothesis import find
    >>> mdp = find(finite_mdps(n_states=2, n_actions=1, discounted=True, sparse=False), lambda m: True)
    >>> mdp
    FiniteMDP(P=np.array([[[1.0, 0.0]], [[1.0, 0.0]]]), R=np.array([[0.0], [0.0]]), gamma=0.0)
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
    return parts.map(_build)
