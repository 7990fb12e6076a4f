"""The one simulator protocol of the library, and batched rollouts into a :class:`~rlcore.Dataset`.

Everything that can be sampled (a :class:`~rlcore.FiniteMDP`, a finance model, a bandit
environment, your own model) has the same shape: two batched calls over arrays, so that
``10**5`` option paths or ``10**3`` bandit runs advance in one call.

``reset(n, rng=None) -> states``
    ``n`` independent initial states: an array with leading axis ``n`` (shape ``(n,)``
    of int for tabular states, ``(n, d)`` of float for vector states).
``step(states, actions, rng=None, *, t=None) -> (next_states, rewards, terminated)``
    One transition of each episode of the batch: ``states`` and ``actions`` have
    leading axis ``n``; ``next_states`` has the shape and dtype of ``states``,
    ``rewards`` is float64 of shape ``(n,)`` and ``terminated`` bool of shape ``(n,)``.
    ``t`` is the time index of the step (the number of steps taken since ``reset``):
    time-dependent simulators (finite-horizon MDPs, option paths on a date grid)
    require it, stationary ones accept it and may ignore it.

The rules every implementation keeps:

* **Seeded by** ``rng``. Every random draw comes from the ``rng`` argument (a numpy
  ``Generator``, an int seed or ``None``, normalised by :func:`rlcore.as_generator`);
  the same generator state and inputs give the same outputs; no global random state.
* **Stateless between calls.** The batch lives in ``states``, not in the simulator, so
  a caller may step any subset of the episodes it holds, of any size.
* **Termination.** ``terminated[i]`` means episode ``i`` reached an end the model
  defines (the value of what follows is zero); the caller drops it from the batch and
  never steps it again. A simulator with a finite ``horizon`` attribute ``H`` reports
  ``terminated`` at ``t == H - 1``. A time limit imposed by the caller (``max_steps``) is
  a truncation, not a termination, and is the caller's business.
* **Optional attributes** read by :func:`rollout` and the Gymnasium adapter: ``horizon``
  (episodes last at most that many steps), ``n_states`` and ``n_actions`` (a tabular
  simulator: array policies, ``Discrete`` spaces).

:class:`~rlcore.FiniteMDP` (and so every MDP of :mod:`rlcore.generators`) implements it
with a Numba kernel, and so do the finance models. :func:`rollout` runs any simulator
under a policy into a dataset, and :func:`rlcore.gym.as_gymnasium_env` presents any
simulator as a Gymnasium environment.
"""

from __future__ import annotations

from typing import Any, Protocol, cast, runtime_checkable
from collections.abc import Callable

import numpy as np

from rlcore._kernels import sample_rows
from rlcore.dataset import Dataset
from rlcore.policies import _PolicyArray, validate_policy
from rlcore.randomness import RNGLike, _as_generator
from rlcore.validation import (
    MAX_ITERATIONS,
    MAX_SAMPLES,
    RNG,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    Simulator as _SimulatorConstraint,
    validate_params,
)

__all__ = ["PolicyFn", "Simulator", "rollout"]

_EMPTY = np.empty(0, dtype=np.int64)

#: A policy for general simulators: ``policy(states, t, rng) -> actions``.
PolicyFn = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


@runtime_checkable
class Simulator(Protocol):
    """The batched simulator protocol (structural: no inheritance needed).

    ``reset(n, rng)`` and ``step(states, actions, rng, *, t)`` as the module docstring
    states them, with its rules: every draw from ``rng`` (the same generator state and
    inputs give the same outputs), no per-episode state kept between calls, terminated
    episodes dropped by the caller. ``isinstance(obj, Simulator)`` checks that both
    methods exist.
    """

    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """Return ``n`` initial states, an array with leading axis ``n``."""
        ...

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(next_states, rewards, terminated)``, each with leading axis ``n``."""
        ...


def _tabular_policy_fn(sim: Any, policy: Any) -> PolicyFn:
    """Wrap an array policy as a sampling function (one kernel call per step)."""
    S, A = getattr(sim, "n_states", None), getattr(sim, "n_actions", None)
    if S is None or A is None:
        raise InvalidParameterTypeError(
            "policy",
            "an array policy needs a tabular simulator with n_states and n_actions; "
            "pass a callable policy(states, t, rng) -> actions for this simulator",
        )
    pi = validate_policy(policy, S, A, getattr(sim, "horizon", None))
    if np.issubdtype(pi.dtype, np.integer):

        def act_det(states: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
            table = pi[t] if pi.ndim == 2 else pi
            return table[states]

        return act_det

    cdf = np.cumsum(pi, axis=-1)
    cdf /= cdf[..., -1:]
    cdf = np.ascontiguousarray(cdf)

    def act_sto(states: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        table = cdf[t] if cdf.ndim == 3 else cdf
        u = rng.random(states.shape[0])
        return sample_rows(table.ravel(), _EMPTY, _EMPTY, A, states.astype(np.int64), u)

    return act_sto


@validate_params(
    sim=_SimulatorConstraint(),
    policy=IsCallable("a callable policy(states, t, rng) -> actions") | _PolicyArray(),
    n_episodes=Integer(1, MAX_SAMPLES),
    max_steps=Integer(1, MAX_ITERATIONS) | None,
    rng=RNG(),
)
def rollout(
    sim: Simulator,
    policy: Any,
    n_episodes: int,
    *,
    max_steps: int | None = None,
    rng: RNGLike = None,
) -> Dataset:
    """Run ``n_episodes`` independent episodes in lock-step and collect a dataset.

    Parameters
    ----------
    sim : Simulator
        E.g. a :class:`~rlcore.FiniteMDP`. If it has a finite ``horizon`` attribute,
        episodes last at most that many steps.
    policy : array_like or callable
        A tabular policy array (see :mod:`rlcore.policies`; needs ``sim.n_states`` and
        ``sim.n_actions``) or a function ``policy(states, t, rng) -> actions``.
    n_episodes : int in [1, 10**12]
    max_steps : int in [1, 10**9], optional
        Cut episodes after this many steps, marking the last transition ``truncated``.
        Required when the simulator has no finite horizon.
    rng : Generator, int or None

    Returns
    -------
    Dataset
        Transitions ordered episode by episode, ``episode_ids`` ``0 .. n_episodes-1``,
        ``timesteps`` from 0 within each episode. An episode that ends in a terminal
        state stops there; the others continue until the horizon or ``max_steps``.

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 1.0
    >>> mdp = FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], horizon=3, initial=[1.0, 0.0])
    >>> data = rollout(mdp, np.array([1, 1]), n_episodes=2, rng=0)
    >>> len(data), data.episode_returns().tolist()
    (6, [2.0, 2.0])
    """
    n = n_episodes
    horizon = getattr(sim, "horizon", None)
    if horizon is None and max_steps is None:
        raise InvalidParameterError(
            "max_steps",
            "required for a simulator without a finite horizon (an infinite-horizon "
            "episode never ends); pass e.g. max_steps=int(10 / (1 - gamma))",
        )
    # not both None (checked above)
    n_steps = cast(int, horizon if max_steps is None else (max_steps if horizon is None else min(horizon, max_steps)))
    if callable(policy) and not isinstance(policy, np.ndarray):
        act = policy
    else:
        act = _tabular_policy_fn(sim, policy)
    gen = _as_generator(rng)

    states = np.asarray(sim.reset(n, gen))
    if states.shape[:1] != (n,):
        raise InvalidParameterError(
            "sim", f"reset({n}) returned an array of shape {states.shape}, expected leading axis {n}"
        )
    alive = np.arange(n)
    chunks: dict[str, list[np.ndarray]] = {k: [] for k in ("obs", "act", "rew", "nxt", "term", "trunc", "ep", "t")}
    for t in range(n_steps):
        actions = np.asarray(act(states, t, gen))
        if actions.shape[:1] != states.shape[:1]:
            raise InvalidParameterError(
                "policy", f"returned actions of shape {actions.shape} for {states.shape[0]} states"
            )
        nxt, rew, term = sim.step(states, actions, gen, t=t)
        nxt, rew, term = np.asarray(nxt), np.asarray(rew, dtype=np.float64), np.asarray(term, dtype=bool)
        last = t == n_steps - 1
        trunc = ~term if last else np.zeros_like(term)
        for key, val in zip(chunks, (states, actions, rew, nxt, term, trunc, alive, np.full(alive.shape, t))):
            chunks[key].append(val)
        keep = ~term
        alive, states = alive[keep], nxt[keep]
        if alive.size == 0:
            break
    cols = {k: np.concatenate(v) for k, v in chunks.items()}
    order = np.argsort(cols["ep"], kind="stable")
    return Dataset(
        observations=cols["obs"][order],
        actions=cols["act"][order],
        rewards=cols["rew"][order],
        next_observations=cols["nxt"][order],
        terminated=cols["term"][order],
        truncated=cols["trunc"][order],
        episode_ids=cols["ep"][order].astype(np.int64),
        timesteps=cols["t"][order].astype(np.int64),
    )
