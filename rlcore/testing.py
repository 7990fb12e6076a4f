"""Hypothesis strategies for property-testing algorithms on finite MDPs.

These are the strategies the library's own test-suite uses, published so that users
can check *their* algorithms the same way: draw many small MDPs (dense and sparse,
discounted and finite-horizon, stationary and time-dependent), policies, value
functions and datasets, and assert the guarantee the paper proves on every one of
them. Hypothesis shrinks a failure to a minimal counterexample (typically one state
and one action), which is usually enough to see the bug.

The ``corrupted_*`` strategies go the other way: they start from valid inputs and
apply exactly one corruption (a NaN, a row summing to ``1 - 1e-6``, a wrong shape,
a discount of 1, ...) and say which argument the error message must name. A library
function that follows the house rule "bad input gets a ``ValueError``/``TypeError``
naming the argument" passes a three-line property test with them.

This module needs the ``test`` extra (``pip install "rlref[test]"``); ``import rlcore``
never imports it.

All strategies draw every random choice through Hypothesis (no global NumPy
randomness), so examples are reproducible, replayable from the Hypothesis database
and shrink well. Sizes are deliberately small (at most 6 states, 4 actions, horizon
5 by default): property tests find bugs on small instances, and small instances keep
a test-suite fast.

Examples
--------
A user's own value iteration, property-tested against the library's exact policy
evaluation on every kind of discounted MDP the strategy draws (the stopping rule and
bound are Puterman 1994, Thm 6.3.1: the greedy policy is ``eps``-optimal):

>>> import numpy as np
>>> from hypothesis import given
>>> from rlcore import bellman_optimality, evaluate_policy, greedy, q_from_v
>>> from rlcore.testing import finite_mdps
>>> def my_value_iteration(mdp, eps):  # the user's code under test
...     V = np.zeros(mdp.n_states)
...     while True:
...         V_next = bellman_optimality(mdp, V)
...         if np.abs(V_next - V).max() <= eps * (1 - mdp.gamma) / 2:
...             return V_next
...         V = V_next
>>> @given(finite_mdps(discounted=True))
... def test_greedy_policy_is_eps_optimal(mdp):
...     V = my_value_iteration(mdp, eps=1e-6)
...     V_pi = evaluate_policy(mdp, greedy(q_from_v(mdp, V))).V
...     assert np.all(V_pi >= V - 1.5e-6 - 1e-9)  # V* - eps <= V_pi and V <= V* + eps/2
>>> test_greedy_policy_is_eps_optimal()  # doctest: +SKIP

Checking that a function rejects malformed MDPs with a clear message:

>>> import pytest, re
>>> from rlcore import FiniteMDP
>>> from rlcore.testing import corrupted_mdp_kwargs
>>> @given(corrupted_mdp_kwargs())
... def test_rejects(case):
...     kwargs, argument, exception = case
...     with pytest.raises(exception, match=rf"^{re.escape(argument)}\\b"):
...         FiniteMDP(**kwargs)
>>> test_rejects()  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

try:
    from hypothesis import note
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
    from hypothesis.extra import numpy as hnp
    from hypothesis.strategies import SearchStrategy
except ImportError as exc:  # pragma: no cover - exercised by a test that hides hypothesis
    raise ImportError(
        "rlcore.testing needs the 'hypothesis' package, which ships with the test extra: pip install \"rlref[test]\""
    ) from exc

from rlcore.dataset import Dataset
from rlcore.mdp import FiniteMDP
from rlcore.validation import (
    MDP,
    Bool,
    Constraint,
    Discount,
    Instance,
    Integer,
    InvalidParameterError,
    Options,
    Real,
    Sequence_,
    validate_params,
)

__all__ = [
    "MDP_CORRUPTIONS",
    "POLICY_CORRUPTIONS",
    "bandit_means",
    "corrupted_mdp_kwargs",
    "corrupted_policies",
    "datasets",
    "finite_mdps",
    "mdps_and_policies",
    "policies",
    "value_functions",
]

#: Largest integer weight used to build probability rows (rows are ``w / w.sum()``).
_MAX_WEIGHT = 4
_SPARSE_FORMATS: tuple[Callable[[np.ndarray], Any], ...] = (sp.csr_array, sp.csr_matrix)


# ---------------------------------------------------------------------------------
# argument handling: every knob takes a plain value or a strategy
# ---------------------------------------------------------------------------------
#: Upper limits of the size knobs (plain values are checked when the strategy is built,
#: drawn ones at draw): generous for property tests, small enough that no argument can
#: make a draw allocate absurd memory.
MAX_STATES: int = 1000
MAX_ACTIONS: int = 100
MAX_HORIZON: int = 1000
MAX_EPISODES: int = 10**4
MAX_EPISODE_LENGTH: int = 10**4
MAX_OBS_DIM: int = 1000
MAX_ARMS: int = 10**4

_STRATEGY = Instance(SearchStrategy, what="a hypothesis strategy")
_TRI_STATE = Bool() | None  # None means "both"


def _size(low: int, high: int) -> Constraint:
    """An int knob: a plain int in ``[low, high]`` or a strategy of them."""
    return Integer(low, high) | _STRATEGY


def _int_arg(value: Any) -> SearchStrategy[int]:
    """A strategy for a (checked) integer knob."""
    return value if isinstance(value, SearchStrategy) else st.just(value)


def _float_arg(value: Any) -> SearchStrategy[float]:
    return value if isinstance(value, SearchStrategy) else st.just(value)


def _bool_arg(value: bool | None) -> SearchStrategy[bool]:
    """``None`` means "both"; a bool fixes the choice."""
    return st.booleans() if value is None else st.just(value)


def _draw_int(draw: Callable[..., Any], strategy: SearchStrategy[int], name: str, minimum: int, maximum: int) -> int:
    value = draw(strategy)
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or not minimum <= value <= maximum
    ):
        raise InvalidArgument(f"{name}: the strategy drew {value!r}, expected an integer in [{minimum}, {maximum}]")
    return int(value)


def _note(text: str) -> None:
    try:
        note(text)
    except InvalidArgument:  # drawn outside a test (e.g. ``.example()``)
        pass


# ---------------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------------
def _stochastic_rows(
    draw: Callable[..., Any], lead_shape: tuple[int, ...], n: int, *, max_support: int | None = None
) -> np.ndarray:
    """Probability rows of length ``n`` over ``lead_shape``, exactly normalised.

    Non-negative integer weights (zeros included) are divided by their row sum, so
    every row sums to 1 up to rounding (``|sum - 1| <= n * 2**-52``). Some rows are
    forced deterministic (one-hot); an all-zero row becomes one-hot too, so no row is
    ever empty. With ``max_support`` a row keeps only its ``max_support`` largest
    weights (ties to the lower index). Shrinks towards one-hot rows on entry 0.
    """
    shape = tuple(lead_shape) + (n,)
    w = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, _MAX_WEIGHT)))
    det = draw(hnp.arrays(np.bool_, lead_shape))
    succ = draw(hnp.arrays(np.int64, lead_shape, elements=st.integers(0, n - 1)))
    onehot = (np.arange(n) == np.asarray(succ)[..., None]).astype(np.int64)
    force = np.asarray(det) | (w.sum(axis=-1) == 0)
    w = np.where(force[..., None], onehot, w)
    if max_support is not None and max_support < n:
        rank = np.argsort(np.argsort(-w, axis=-1, kind="stable"), axis=-1, kind="stable")
        w = np.where(rank < max_support, w, 0)
    return w / w.sum(axis=-1, keepdims=True)


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


def _policy_shape(mdp: FiniteMDP, time_dependent: bool) -> tuple[int, ...]:
    # time-dependent policies only exist for finite-horizon MDPs
    return ((cast(int, mdp.horizon),) if time_dependent else ()) + (mdp.n_states,)


@st.composite
def _policies(
    draw: Callable[..., Any], mdp: FiniteMDP, deterministic: bool | None, time_dependent: bool | None
) -> np.ndarray:
    if time_dependent is True and mdp.horizon is None:
        raise InvalidArgument(
            "time_dependent: a time-dependent policy needs a finite-horizon MDP, got a discounted one"
        )
    td = (draw(st.booleans()) if time_dependent is None else time_dependent) and mdp.horizon is not None
    det = draw(st.booleans()) if deterministic is None else deterministic
    lead = _policy_shape(mdp, td)
    if det:
        return draw(hnp.arrays(np.int64, lead, elements=st.integers(0, mdp.n_actions - 1)))
    return _stochastic_rows(draw, lead, mdp.n_actions)


@validate_params(mdp=MDP(), deterministic=_TRI_STATE, time_dependent=_TRI_STATE)
def policies(
    mdp: FiniteMDP, *, deterministic: bool | None = None, time_dependent: bool | None = None
) -> SearchStrategy[np.ndarray]:
    """Strategy for valid tabular policies of ``mdp``.

    Parameters
    ----------
    mdp : FiniteMDP
    deterministic : bool or None
        True: ``int64`` actions of shape (S,) (or (H, S)); False: row-stochastic
        ``float64`` of shape (S, A) (or (H, S, A)) with zeros and one-hot rows among
        them; None (default): both.
    time_dependent : bool or None
        True: a leading axis of length H (finite-horizon MDPs only; an error for a
        discounted MDP); False: stationary; None (default): both where the MDP has a
        horizon, stationary otherwise.

    Returns
    -------
    SearchStrategy[ndarray]
        Arrays accepted by :func:`rlcore.validate_policy` for ``mdp``.

    Examples
    --------
    >>> from hypothesis import given
    >>> from rlcore import FiniteMDP, validate_policy
    >>> import numpy as np
    >>> mdp = FiniteMDP(np.ones((2, 1, 2)) / 2, np.zeros((2, 1)), gamma=0.5)
    >>> @given(policies(mdp, deterministic=False))
    ... def test_rows(pi):
    ...     np.testing.assert_allclose(pi.sum(axis=-1), 1.0)
    >>> test_rows()  # doctest: +SKIP
    """
    if time_dependent is True and mdp.horizon is None:
        raise InvalidParameterError(
            "time_dependent", "a time-dependent policy needs a finite-horizon MDP, got a discounted one"
        )
    return _policies(mdp, deterministic, time_dependent)


@validate_params(mdps=_STRATEGY | None, deterministic=_TRI_STATE, time_dependent=_TRI_STATE)
def mdps_and_policies(
    mdps: SearchStrategy[FiniteMDP] | None = None,
    *,
    deterministic: bool | None = None,
    time_dependent: bool | None = None,
) -> SearchStrategy[tuple[FiniteMDP, np.ndarray]]:
    """Strategy for ``(mdp, policy)`` pairs, the policy valid for its MDP.

    Parameters
    ----------
    mdps : strategy of FiniteMDP, optional
        Where the MDPs come from; default :func:`finite_mdps` (``discounted=False``
        when ``time_dependent=True``).
    deterministic, time_dependent : bool or None
        As in :func:`policies`. With ``time_dependent=True`` every drawn MDP must have
        a finite horizon.

    Returns
    -------
    SearchStrategy[tuple[FiniteMDP, ndarray]]

    Examples
    --------
    >>> from hypothesis import given
    >>> from rlcore import evaluate_policy
    >>> @given(mdps_and_policies())
    ... def test_values_are_finite(pair):
    ...     mdp, pi = pair
    ...     assert np.isfinite(evaluate_policy(mdp, pi).V).all()
    >>> test_values_are_finite()  # doctest: +SKIP
    """
    if mdps is None:
        mdps = finite_mdps(discounted=False) if time_dependent is True else finite_mdps()
    return mdps.flatmap(lambda m: st.tuples(st.just(m), _policies(m, deterministic, time_dependent)))


@validate_params(mdp=MDP(), bound=Real(0, None))
def value_functions(mdp: FiniteMDP, *, bound: float = 100.0) -> SearchStrategy[np.ndarray]:
    """Strategy for finite value functions ``ndarray of shape (S,)`` of ``mdp``.

    Parameters
    ----------
    mdp : FiniteMDP
    bound : float
        Finite, ``>= 0``: entries lie in ``[-bound, bound]`` (no NaN, no infinity, no
        subnormals).

    Returns
    -------
    SearchStrategy[ndarray]
        ``float64`` arrays of shape ``(mdp.n_states,)``.

    Examples
    --------
    >>> from hypothesis import given
    >>> from rlcore import FiniteMDP, bellman_optimality
    >>> mdp = FiniteMDP(np.ones((3, 2, 3)) / 3, np.zeros((3, 2)), gamma=0.9)
    >>> @given(value_functions(mdp), value_functions(mdp))
    ... def test_contraction(U, V):
    ...     gap = np.abs(bellman_optimality(mdp, U) - bellman_optimality(mdp, V)).max()
    ...     assert gap <= 0.9 * np.abs(U - V).max() + 1e-9
    >>> test_contraction()  # doctest: +SKIP
    """
    b = bound
    return hnp.arrays(np.float64, (mdp.n_states,), elements=st.floats(-b, b, allow_nan=False, allow_subnormal=False))


# ---------------------------------------------------------------------------------
# datasets
# ---------------------------------------------------------------------------------
def _support(mdp: FiniteMDP, t: int, s: int, a: int) -> list[int]:
    Pt = mdp.transitions_at(t)
    if mdp.is_sparse:
        csr = cast(sp.csr_array, Pt)
        row = s * mdp.n_actions + a
        lo, hi = csr.indptr[row], csr.indptr[row + 1]
        return [int(j) for j, p in zip(csr.indices[lo:hi], csr.data[lo:hi]) if p > 0]
    return [int(j) for j in np.flatnonzero(Pt[s, a] > 0)]


@st.composite
def _datasets(
    draw: Callable[..., Any],
    *,
    mdp: FiniteMDP | None,
    n_episodes: SearchStrategy[int],
    episode_length: SearchStrategy[int],
    observations: str | None,
    n_states: SearchStrategy[int],
    n_actions: SearchStrategy[int],
    obs_dim: SearchStrategy[int],
    continuous_actions: bool,
    contiguous_ids: bool | None,
    with_metadata: bool | None,
) -> Dataset:
    E = _draw_int(draw, n_episodes, "n_episodes", 0, MAX_EPISODES)
    if mdp is not None:
        kind = "tabular"
        S, A = mdp.n_states, mdp.n_actions
    else:
        kind = observations if observations is not None else draw(st.sampled_from(("tabular", "vector")))
        S = _draw_int(draw, n_states, "n_states", 1, MAX_STATES)
        A = _draw_int(draw, n_actions, "n_actions", 1, MAX_ACTIONS)
    d_obs = _draw_int(draw, obs_dim, "obs_dim", 1, MAX_OBS_DIM) if kind == "vector" else 0
    d_act = draw(st.integers(1, 2)) if continuous_actions else 0
    finite = st.floats(-10.0, 10.0, allow_subnormal=False)

    def draw_obs() -> Any:
        if kind == "tabular":
            return draw(st.integers(0, S - 1))
        return draw(hnp.arrays(np.float64, (d_obs,), elements=finite))

    def draw_act() -> Any:
        if continuous_actions:
            return draw(hnp.arrays(np.float64, (d_act,), elements=finite))
        return draw(st.integers(0, A - 1))

    contiguous = draw(st.booleans()) if contiguous_ids is None else contiguous_ids
    next_id = 0 if contiguous else draw(st.integers(0, 3))
    cols: dict[str, list[Any]] = {k: [] for k in ("obs", "act", "rew", "nxt", "term", "trunc", "ep", "t")}
    for _ in range(E):
        length = _draw_int(draw, episode_length, "episode_length", 1, MAX_EPISODE_LENGTH)
        if mdp is not None and mdp.horizon is not None:
            length = min(length, mdp.horizon)
        if mdp is not None:
            state: Any = draw(st.sampled_from([int(s) for s in np.flatnonzero(mdp.initial > 0)]))
        else:
            state = draw_obs()
        for t in range(length):
            action = draw_act()
            if mdp is not None:
                nxt: Any = draw(st.sampled_from(_support(mdp, t, state, action)))
                reward = float(mdp.rewards_at(t)[state, action])
                term = bool(mdp.terminal[nxt]) or (mdp.horizon is not None and t == mdp.horizon - 1)
            else:
                nxt = draw_obs()
                reward = draw(finite)
                term = False
            last = term or t == length - 1
            trunc = False
            if last and mdp is None:
                end = draw(st.sampled_from(("open", "terminated", "truncated")))
                term, trunc = end == "terminated", end == "truncated"
            elif last and not term:
                trunc = draw(st.booleans())
            for key, val in zip(cols, (state, action, reward, nxt, term, trunc, next_id, t)):
                cols[key].append(val)
            state = nxt
            if last:
                break
        next_id += 1 if contiguous else draw(st.integers(1, 3))

    obs_shape: tuple[int, ...] = (0,) if kind == "tabular" else (0, d_obs)
    act_shape: tuple[int, ...] = (0, d_act) if continuous_actions else (0,)

    def stack(values: list[Any], dtype: Any, empty_shape: tuple[int, ...]) -> np.ndarray:
        return np.array(values, dtype=dtype) if values else np.zeros(empty_shape, dtype=dtype)

    obs_dtype = np.int64 if kind == "tabular" else np.float64
    act_dtype = np.float64 if continuous_actions else np.int64
    use_meta = draw(st.booleans()) if with_metadata is None else with_metadata
    json_values = st.none() | st.booleans() | st.integers(-9, 9) | st.text(max_size=3)
    metadata = draw(st.dictionaries(st.text(max_size=4), json_values, max_size=2)) if use_meta else {}
    return Dataset(
        observations=stack(cols["obs"], obs_dtype, obs_shape),
        actions=stack(cols["act"], act_dtype, act_shape),
        rewards=stack(cols["rew"], np.float64, (0,)),
        next_observations=stack(cols["nxt"], obs_dtype, obs_shape),
        terminated=stack(cols["term"], bool, (0,)),
        truncated=stack(cols["trunc"], bool, (0,)),
        episode_ids=stack(cols["ep"], np.int64, (0,)),
        timesteps=stack(cols["t"], np.int64, (0,)),
        metadata=metadata,
    )


@validate_params(n_arms=_size(1, MAX_ARMS), min_gap=Real(0, 1), low=Real(0, 1), high=Real(0, 1))
def bandit_means(
    n_arms: int | SearchStrategy[int] = st.integers(2, 8),
    *,
    min_gap: float = 0.0,
    low: float = 0.0,
    high: float = 1.0,
) -> SearchStrategy[np.ndarray]:
    """Strategy for the arm means of a Bernoulli (or any [0, 1]-bounded) bandit instance.

    Means are drawn on a grid of step 1/64 in ``[low, high]`` (so ties and exact gaps
    occur, as shrinking examples like them), with the best arm ahead of every other
    arm by at least ``min_gap`` (``min_gap = 0`` allows ties for the best arm).

    Parameters
    ----------
    n_arms : int or strategy of int
        Number of arms ``K`` in ``[1, 10**4]``; default 2 to 8.
    min_gap : float
        Smallest gap ``max_a mu_a - mu_b`` to every other arm ``b``, in ``[0, high - low]``.
    low, high : float
        Range of the means, ``0 <= low <= high <= 1``.

    Returns
    -------
    SearchStrategy of ndarray of float64, shape (K,)

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, derandomize=True)
    ... @given(bandit_means(min_gap=0.1))
    ... def check(mu):
    ...     best = mu.max()
    ...     assert all(best - m >= 0.1 - 1e-12 for m in mu if m != best)
    >>> check()
    """
    K = _int_arg(n_arms)
    lo_v, hi_v, gap = low, high, min_gap
    if not lo_v <= hi_v:
        raise InvalidParameterError("high", f"expected 0 <= low <= high <= 1, got low={low!r}, high={high!r}")
    if not gap <= hi_v - lo_v:
        raise InvalidParameterError(
            "min_gap", f"expected a gap in [0, high - low] = [0, {hi_v - lo_v:g}], got {min_gap!r}"
        )
    grid = np.arange(0, 65) / 64.0
    grid = grid[(grid >= lo_v) & (grid <= hi_v)]

    @st.composite
    def means(draw: Any) -> np.ndarray:
        k = _draw_int(draw, K, "n_arms", 1, MAX_ARMS)
        best = draw(st.sampled_from(grid[grid >= lo_v + gap].tolist()))
        others = grid[grid <= best - gap + 1e-12]
        rest = [draw(st.sampled_from(others.tolist())) for _ in range(k - 1)]
        pos = draw(st.integers(0, k - 1))
        return np.array(rest[:pos] + [best] + rest[pos:], dtype=np.float64)

    return means()


@validate_params(
    mdp=MDP() | None,
    n_episodes=_size(0, MAX_EPISODES),
    episode_length=_size(1, MAX_EPISODE_LENGTH),
    observations=Options("tabular", "vector") | None,
    n_states=_size(1, MAX_STATES),
    n_actions=_size(1, MAX_ACTIONS),
    obs_dim=_size(1, MAX_OBS_DIM),
    continuous_actions=Bool(),
    contiguous_ids=_TRI_STATE,
    with_metadata=_TRI_STATE,
)
def datasets(
    *,
    mdp: FiniteMDP | None = None,
    n_episodes: int | SearchStrategy[int] = st.integers(1, 4),
    episode_length: int | SearchStrategy[int] = st.integers(1, 6),
    observations: Literal["tabular", "vector"] | None = None,
    n_states: int | SearchStrategy[int] = st.integers(1, 6),
    n_actions: int | SearchStrategy[int] = st.integers(1, 4),
    obs_dim: int | SearchStrategy[int] = st.integers(1, 3),
    continuous_actions: bool = False,
    contiguous_ids: bool | None = None,
    with_metadata: bool | None = None,
) -> SearchStrategy[Dataset]:
    """Strategy for valid :class:`~rlcore.Dataset` instances.

    Each episode is a trajectory: ``next_observations[i] == observations[i + 1]``
    inside an episode, ``timesteps`` count ``0, 1, ...``, ``episode_ids`` increase
    from one episode to the next (contiguous ``0 .. E-1`` or with gaps), and only an
    episode's last transition carries ``terminated`` or ``truncated`` (or neither).

    Parameters
    ----------
    mdp : FiniteMDP, optional
        If given, trajectories are consistent with it, as :func:`rlcore.rollout` would
        produce: first states from the support of ``mdp.initial``, next states from the
        support of ``P_t(. | s, a)``, rewards ``R_t[s, a]``, ``terminated`` exactly on
        entering a terminal state or at step ``H - 1`` of a finite horizon, episodes no
        longer than the horizon. ``observations``, ``n_states``, ``n_actions`` and
        ``continuous_actions`` are then ignored (tabular, discrete).
    n_episodes : int or strategy of int
        Number of episodes ``E`` in ``[0, 10**4]`` (``E = 0`` gives an empty dataset);
        default ``st.integers(1, 4)``.
    episode_length : int or strategy of int
        Length of each episode in ``[1, 10**4]`` (drawn per episode) before any terminal
        state ends it.
    observations : {"tabular", "vector"} or None
        ``int64`` states in ``[0, S)`` of shape (N,), or ``float64`` feature vectors of
        shape (N, obs_dim); None (default): both.
    n_states, n_actions, obs_dim : int or strategy of int
        Sizes when no ``mdp`` is given (at most 1000, 100 and 1000).
    continuous_actions : bool
        ``float64`` actions of shape (N, d) with d in {1, 2} instead of ints in ``[0, A)``.
    contiguous_ids : bool or None
        Episode ids ``0 .. E-1`` (True), increasing with gaps (False), or both (None).
    with_metadata : bool or None
        Attach a small JSON ``metadata`` dict (True), ``{}`` (False), or both (None).

    Returns
    -------
    SearchStrategy[Dataset]

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(datasets(observations="tabular"))
    ... def test_returns(ds):
    ...     assert ds.episode_returns().shape == (ds.n_episodes,)
    >>> test_returns()  # doctest: +SKIP
    """
    return _datasets(
        mdp=mdp,
        n_episodes=_int_arg(n_episodes),
        episode_length=_int_arg(episode_length),
        observations=observations,
        n_states=_int_arg(n_states),
        n_actions=_int_arg(n_actions),
        obs_dim=_int_arg(obs_dim),
        continuous_actions=continuous_actions and mdp is None,
        contiguous_ids=contiguous_ids,
        with_metadata=with_metadata,
    )


# ---------------------------------------------------------------------------------
# corrupted inputs: exactly one defect each, with the argument the error must name
# ---------------------------------------------------------------------------------
_Draw = Callable[..., Any]
_Case = tuple[dict[str, Any], str, type[Exception]]


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


def _rows(P: np.ndarray) -> np.ndarray:
    """A (n_rows, n) view of an array whose last axis holds probability rows."""
    return P.reshape(-1, P.shape[-1])


def _pick(draw: _Draw, n: int) -> int:
    return draw(st.integers(0, n - 1))


def _set_entry(draw: _Draw, P: np.ndarray, values: list[float]) -> np.ndarray:
    out = np.array(P, dtype=np.float64, copy=True)
    flat = out.reshape(-1)
    flat[_pick(draw, flat.size)] = draw(st.sampled_from(values))
    return out


def _negative_entry(draw: _Draw, P: np.ndarray) -> np.ndarray:
    """One negative probability; the row still sums to 1 when it has two entries or more."""
    out = np.array(P, dtype=np.float64, copy=True)
    rows = _rows(out)
    i, n = _pick(draw, rows.shape[0]), rows.shape[1]
    j = _pick(draw, n)
    eps = draw(st.sampled_from([1e-12, 1e-3, 0.5]))
    old = rows[i, j]
    rows[i, j] = -eps
    if n > 1:
        rows[i, (j + 1) % n] += old + eps
    return out


def _row_sum_off(draw: _Draw, P: np.ndarray, sign: float) -> np.ndarray:
    """One row summing to ``1 + sign * delta``, delta >= 1e-6 (>> the 1e-8 tolerance)."""
    out = np.array(P, dtype=np.float64, copy=True)
    rows = _rows(out)
    i = _pick(draw, rows.shape[0])
    delta = draw(st.sampled_from([1e-6, 1e-4, 0.1]))  # the largest entry is >= 1/n >= 0.16
    rows[i, int(np.argmax(rows[i]))] += sign * delta
    return out


def _zero_row(draw: _Draw, P: np.ndarray) -> np.ndarray:
    out = np.array(P, dtype=np.float64, copy=True)
    rows = _rows(out)
    rows[_pick(draw, rows.shape[0])] = 0.0
    return out


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


def _kinds(catalogue: tuple[str, ...]) -> Constraint:
    """``kinds``: one name from ``catalogue``, a non-empty list of them, or None (all)."""
    name = Options(*catalogue)
    return name | Sequence_(name, min_len=1) | None


def _chosen(kinds: str | tuple[str, ...] | list[str] | None, catalogue: tuple[str, ...]) -> tuple[str, ...]:
    if kinds is None:
        return catalogue
    return (kinds,) if isinstance(kinds, str) else tuple(kinds)


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


# ---------------------------------------------------------------------------------
# corrupted policies
# ---------------------------------------------------------------------------------
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
