"""Hypothesis strategies for valid :class:`~rlcore.Dataset` instances, free or consistent with an MDP."""

from __future__ import annotations

from typing import Any, Literal, cast
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.strategies import SearchStrategy

from rlcore.dataset import Dataset
from rlcore.mdp import FiniteMDP
from rlcore.validation import MDP, Bool, Options, validate_params
from rlcore.testing._draw import (
    MAX_ACTIONS,
    MAX_EPISODE_LENGTH,
    MAX_EPISODES,
    MAX_OBS_DIM,
    MAX_STATES,
    _draw_int,
    _int_arg,
    _size,
    _TRI_STATE,
)

__all__ = ["datasets"]


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
