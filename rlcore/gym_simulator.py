# Length: one concept, the Gymnasium-to-simulator adapter: its two stepping modes (the stateless
# protocol and the autoreset stream) share the backends, the seeding rule and the conversions.
"""Any Gymnasium environment as a batched :class:`rlcore.Simulator`.

:func:`from_gymnasium` is the other direction of :func:`rlcore.gym.as_gymnasium_env`: it
takes a :class:`gymnasium.Env`, a :class:`gymnasium.vector.VectorEnv`, an environment id
(``"CartPole-v1"``) or a factory ``make() -> Env`` and returns a
:class:`GymnasiumSimulator`, which every learner that takes a simulator takes.

A Gymnasium environment keeps its state inside, so the adapter holds the episodes it
runs (the one exception to the simulator protocol's "stateless between calls" rule) and
offers two ways to step them:

**The simulator protocol** (``reset(n, rng)``, ``step(states, actions, rng, *, t)``), for
the episodic learners and :func:`rlcore.rollout`. ``reset`` starts ``n`` episodes (ending
any held before); ``step`` advances the episodes still running, in the order ``reset``
returned them, less those that ended: ``states`` must be exactly the observations the
adapter returned for them (checked), which is what a caller that drops ``terminated``
rows does. An episode the environment *truncates* (its time limit, e.g. CartPole's 500
steps) is not terminated: ``terminated`` stays False (its value does not drop to zero),
the row's mask is in :attr:`GymnasiumSimulator.truncated`, and stepping it again raises
a ``ValueError`` that says so. A caller whose horizon is at most
:attr:`~GymnasiumSimulator.max_episode_steps` never meets one.

**The autoreset stream** (:meth:`~GymnasiumSimulator.start`,
:meth:`~GymnasiumSimulator.advance`), for the deep learners: ``n`` environments run
continuously; an episode that ends is replaced at once by a fresh one, and
:meth:`~GymnasiumSimulator.advance` returns both the observation to act on next (the
fresh one) and the true final observation (to bootstrap from after a truncation),
keeping ``terminated`` and ``truncated`` apart.

Seeding
-------
Every draw comes from the caller's ``rng``, in one of two ways (``seeding=``):

``"seed"`` (default)
    each episode starts with ``env.reset(seed=s)``, ``s`` drawn from ``rng``:
    reproducible for every environment that follows Gymnasium's seeding convention.
``"generator"``
    the caller's generator itself becomes each environment's ``np_random`` (set before
    every call), so the environment draws from ``rng`` directly. Exact for environments
    that draw only from ``np_random`` (the classic-control tasks, :mod:`rlcore.gym`'s
    :class:`~rlcore.gym.SimulatorEnv`): a :class:`~rlcore.FiniteMDP` rolled out through
    :func:`~rlcore.gym.as_gymnasium_env` and back gives the trajectories of the direct
    rollout, bit for bit.

Backends
--------
A single ``Env`` is copied (``copy.deepcopy``) when more episodes than one run at once;
an id is made with :func:`gymnasium.make` and a factory called, once per copy; the
copies are stepped in a Python loop (as Stable-Baselines3's ``DummyVecEnv`` does). A
``VectorEnv`` runs ``num_envs`` episodes in its own batched calls (``n`` must equal
``num_envs``); episodes it ends are restarted with ``reset(options={"reset_mask":
...})`` unless it autoresets in the same step (``AutoresetMode.SAME_STEP``, whose final
observations are read from ``info["final_obs"]``).

Observations: a ``Discrete`` space gives int64 indices of shape ``(n,)`` (a tabular
simulator: :attr:`~GymnasiumSimulator.n_states` is set); a ``Box`` or ``MultiBinary``
space an array ``(n, *shape)`` of the space's dtype. Actions: a ``Discrete`` space takes
integers (:attr:`~GymnasiumSimulator.n_actions`), a ``Box`` float arrays ``(n,
*shape)``, passed to the environment unchanged.

Examples
--------
>>> import numpy as np
>>> sim = from_gymnasium("CartPole-v1")
>>> sim.n_actions, sim.observation_shape, sim.max_episode_steps
(2, (4,), 500)
>>> obs = sim.reset(3, rng=0)
>>> obs.shape, obs.dtype
((3, 4), dtype('float32'))
>>> nxt, rewards, terminated = sim.step(obs, np.array([0, 1, 0]), rng=0)
>>> rewards.tolist(), terminated.tolist(), sim.truncated.tolist()
([1.0, 1.0, 1.0], [False, False, False], [False, False, False])

The round trip of a finite MDP is exact with ``seeding="generator"``:

>>> from rlcore import rollout
>>> from rlcore.generators import river_swim
>>> from rlcore.gym import as_gymnasium_env
>>> mdp = river_swim(4, gamma=0.9)
>>> back = from_gymnasium(as_gymnasium_env(mdp), seeding="generator")
>>> a = rollout(mdp, np.ones(4, dtype=int), 5, max_steps=6, rng=1)
>>> b = rollout(back, np.ones(4, dtype=int), 5, max_steps=6, rng=1)
>>> bool(np.array_equal(a.observations, b.observations) and np.array_equal(a.rewards, b.rewards))
True

References
----------
Gymnasium documentation, "Env", "Vector environments: autoreset modes" and "Seeding",
https://gymnasium.farama.org. M. Towers et al., *Gymnasium: A Standard Interface for
Reinforcement Learning Environments*, arXiv:2407.17032, 2024.
"""

from __future__ import annotations

import copy
from typing import Any, NamedTuple
from collections.abc import Callable

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv

from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import (
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    Options,
    Unchecked,
    validate_params,
)

__all__ = ["GymnasiumSimulator", "StreamStep", "from_gymnasium"]

#: Most environments one adapter runs at once.
MAX_COPIES: int = 10**5
#: Seeds drawn for env.reset(seed=...): below 2**32, which every seeding scheme accepts (MinAtar uses
#: numpy.random.RandomState).
_SEED_HIGH = 2**32


class StreamStep(NamedTuple):
    """One step of the autoreset stream (:meth:`GymnasiumSimulator.advance`), each with leading axis ``n``.

    Attributes
    ----------
    observations : ndarray
        What to act on next: the next observation, or a fresh episode's first one where
        the episode ended.
    rewards : ndarray of float64, shape (n,)
    terminated : ndarray of bool, shape (n,)
        The environment reached a terminal state (the value after it is zero).
    truncated : ndarray of bool, shape (n,)
        The environment cut the episode (a time limit): the final observation is a
        genuine state to bootstrap from. Never both.
    final_observations : ndarray
        The true next observation of every row (equal to ``observations`` where the
        episode goes on): the state a learner's target bootstraps from.
    """

    observations: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    final_observations: np.ndarray


def _time_limit(env: Any) -> int | None:
    """The ``max_episode_steps`` of a made environment (its spec, or a ``TimeLimit`` wrapper)."""
    spec = getattr(env, "spec", None)
    steps = getattr(spec, "max_episode_steps", None)
    if steps is None:
        e = env
        while isinstance(e, gymnasium.Wrapper):
            if isinstance(e, gymnasium.wrappers.TimeLimit):
                return int(e._max_episode_steps)
            e = e.env
        steps = getattr(e, "max_episode_steps", None)  # the innermost env's own limit (rlcore's SimulatorEnv)
    return None if steps is None else int(steps)


def _check_space(space: Any, what: str) -> None:
    ok = (spaces.Discrete, spaces.Box, spaces.MultiBinary) if what == "observation" else (spaces.Discrete, spaces.Box)
    if not isinstance(space, ok):
        names = ", ".join(c.__name__ for c in ok)
        raise InvalidParameterTypeError(
            "env", f"its {what} space is {space}; from_gymnasium supports {names} {what} spaces"
        )


class GymnasiumSimulator:
    """A Gymnasium environment run as a batched simulator (built by :func:`from_gymnasium`).

    Attributes
    ----------
    observation_space, action_space : gymnasium.spaces.Space
        The spaces of one environment.
    observation_shape : tuple of int
        ``()`` for a ``Discrete`` observation space, else the space's shape.
    n_states : int or None
        ``n`` of a ``Discrete`` observation space (a tabular simulator), else None.
    n_actions : int or None
        ``n`` of a ``Discrete`` action space, else None.
    action_low, action_high : ndarray or None
        The bounds of a ``Box`` action space, else None.
    max_episode_steps : int or None
        The environment's own time limit (from its spec or ``TimeLimit`` wrapper).
    num_envs : int or None
        The fixed batch of a ``VectorEnv``; None when any number of copies may run.
    seeding : {"seed", "generator"}
    truncated : ndarray of bool
        After :meth:`step`: which rows the environment truncated.
    """

    def __init__(self, make: Callable[[], Any] | None, first: Any, seeding: str) -> None:
        self._make = make
        self.seeding = seeding
        self._vector = isinstance(first, VectorEnv)
        if self._vector:
            self._venv: Any = first
            self._envs: list[Any] = []
            obs_space, act_space = first.single_observation_space, first.single_action_space
            self.num_envs: int | None = int(first.num_envs)
            self._mode = first.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
            subs = getattr(first, "envs", None)
            self.max_episode_steps = _time_limit(subs[0]) if subs else getattr(first, "max_episode_steps", None)
            if self.max_episode_steps is None:
                self.max_episode_steps = _time_limit(first)
        else:
            self._venv = None
            self._envs = [first]
            obs_space, act_space = first.observation_space, first.action_space
            self.num_envs = None
            self._mode = None
            self.max_episode_steps = _time_limit(first)
        _check_space(obs_space, "observation")
        _check_space(act_space, "action")
        self.observation_space, self.action_space = obs_space, act_space
        self._discrete_obs = isinstance(obs_space, spaces.Discrete)
        self.n_states: int | None = int(obs_space.n) if self._discrete_obs else None
        self.observation_shape: tuple[int, ...] = () if self._discrete_obs else tuple(obs_space.shape)
        self._obs_dtype = np.dtype(np.int64) if self._discrete_obs else np.dtype(obs_space.dtype)
        self._discrete_act = isinstance(act_space, spaces.Discrete)
        self.n_actions: int | None = int(act_space.n) if self._discrete_act else None
        self.action_shape: tuple[int, ...] = () if self._discrete_act else tuple(act_space.shape)
        self.action_low = None if self._discrete_act else np.asarray(act_space.low, dtype=np.float64)
        self.action_high = None if self._discrete_act else np.asarray(act_space.high, dtype=np.float64)
        self._obs_start = int(obs_space.start) if self._discrete_obs else 0
        self._act_start = int(act_space.start) if self._discrete_act else 0
        self._n = 0  # environments in use
        self._obs: np.ndarray | None = None  # last observation of every slot
        self._live = np.zeros(0, dtype=np.int64)  # protocol mode: slots still running
        self._blocked = np.zeros(0, dtype=bool)  # protocol mode: truncated slots
        self._streaming = False
        self.truncated = np.zeros(0, dtype=bool)

    # ------------------------------------------------------------------ conversions
    def _convert_obs(self, obs: Any, n: int) -> np.ndarray:
        arr = np.asarray(obs)
        if self._discrete_obs:
            return (arr.astype(np.int64) - self._obs_start).reshape(n)
        return np.array(arr, dtype=self._obs_dtype).reshape((n, *self.observation_shape))

    def _env_action(self, a: np.ndarray) -> Any:
        return int(a) + self._act_start if self._discrete_act else np.asarray(a, dtype=self.action_space.dtype)

    def _check_actions(self, actions: Any, n: int) -> np.ndarray:
        arr = np.asarray(actions)
        if arr.shape != (n, *self.action_shape):
            raise InvalidParameterError(
                "actions", f"expected shape {(n, *self.action_shape)} for {n} episodes, got {arr.shape}"
            )
        if self._discrete_act:
            if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
                raise InvalidParameterTypeError("actions", f"expected integer actions, got dtype {arr.dtype}")
            bad = (arr < 0) | (arr >= int(self.n_actions or 0))
            if bad.any():
                raise InvalidParameterError(
                    "actions", f"expected integers in [0, {self.n_actions}), got {int(arr[bad][0])}"
                )
            return arr.astype(np.int64)
        if not np.issubdtype(arr.dtype, np.number) or arr.dtype == bool:
            raise InvalidParameterTypeError("actions", f"expected real actions, got dtype {arr.dtype}")
        if not np.all(np.isfinite(arr)):
            raise InvalidParameterError("actions", "expected finite actions, got NaN or inf")
        return arr.astype(np.float64)

    # ------------------------------------------------------------------ backends
    def _ensure(self, n: int) -> None:
        if self._vector:
            if n != self.num_envs:
                raise InvalidParameterError(
                    "n", f"this VectorEnv runs exactly num_envs={self.num_envs} episodes at once, got n={n}"
                )
            return
        while len(self._envs) < n:
            try:
                env = self._make() if self._make is not None else copy.deepcopy(self._envs[0])
            except Exception as exc:
                raise InvalidParameterError(
                    "env",
                    f"could not make copy {len(self._envs)} of the environment to run {n} episodes at once "
                    f"({type(exc).__name__}: {exc}); pass an env id or a factory make() -> Env instead",
                ) from exc
            self._envs.append(env)

    def _share(self, gen: np.random.Generator, k: int) -> None:
        if self.seeding != "generator":
            return
        if self._vector:
            subs = getattr(self._venv, "envs", None)
            if subs is not None:
                for e in subs:
                    e.np_random = gen
            else:
                self._venv.np_random = gen
        else:
            for e in self._envs[:k]:
                e.np_random = gen

    def _seed(self, gen: np.random.Generator) -> int | None:
        return None if self.seeding == "generator" else int(gen.integers(0, _SEED_HIGH))

    def _reset_slots(self, idx: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        """Start fresh episodes in slots ``idx``; their first observations, shape (len(idx), ...)."""
        if self._vector:
            n = int(self.num_envs or 0)
            mask = np.zeros(n, dtype=bool)
            mask[idx] = True
            seeds: Any = None
            if self.seeding == "seed":
                seeds = [int(gen.integers(0, _SEED_HIGH)) if m else None for m in mask]
            if mask.all():
                obs, _ = self._venv.reset(seed=seeds)
            else:
                obs, _ = self._venv.reset(seed=seeds, options={"reset_mask": mask})
            return self._convert_obs(obs, n)[idx]
        out = []
        for i in idx:
            obs, _ = self._envs[int(i)].reset(seed=self._seed(gen))
            out.append(obs)
        return self._convert_obs(np.asarray(out), len(out))

    def _step_slots(
        self, idx: np.ndarray, acts: np.ndarray, gen: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Step the slots ``idx`` (a VectorEnv steps all, the others with a dummy action).

        Returns the next (final) observations, rewards, terminated, truncated of ``idx``, and
        the fresh first observations of the rows of ``idx`` whose episode ended where the
        environment already restarted it (SAME_STEP), else an empty array.
        """
        k = idx.size
        if self._vector:
            n = int(self.num_envs or 0)
            full = self._dummy_actions(n)
            full[idx] = acts
            env_acts = full + self._act_start if self._discrete_act else full.astype(self.action_space.dtype)
            obs, rew, term, trunc, info = self._venv.step(env_acts)
            obs = self._convert_obs(obs, n)
            rew = np.asarray(rew, dtype=np.float64)
            term, trunc = np.asarray(term, dtype=bool), np.asarray(trunc, dtype=bool)
            ended = term | trunc
            fresh = np.zeros(0)
            if self._mode == AutoresetMode.SAME_STEP and ended.any():
                fresh = obs.copy()
                final = info.get("final_obs")
                for i in np.flatnonzero(ended):
                    obs[i] = self._convert_obs(np.asarray(final[i])[None], 1)[0]
            elif ended.any():
                # NEXT_STEP or DISABLED: restart the ended ones now, so that no step is lost
                fresh = obs.copy()
                fresh[ended] = self._reset_slots(np.flatnonzero(ended), gen)
            fresh_idx = fresh[idx] if fresh.size else fresh
            return obs[idx], rew[idx], term[idx], trunc[idx] & ~term[idx], fresh_idx
        nxt, rew = [], np.empty(k, dtype=np.float64)
        term, trunc = np.empty(k, dtype=bool), np.empty(k, dtype=bool)
        for j, i in enumerate(idx):
            o, r, te, tr, _ = self._envs[int(i)].step(self._env_action(acts[j]))
            nxt.append(o)
            rew[j], term[j], trunc[j] = float(r), bool(te), bool(tr)
        return self._convert_obs(np.asarray(nxt), k), rew, term, trunc & ~term, np.zeros(0)

    def _dummy_actions(self, n: int) -> np.ndarray:
        if self._discrete_act:
            return np.zeros(n, dtype=np.int64)
        lo, hi = np.asarray(self.action_low), np.asarray(self.action_high)
        mid = np.where(np.isfinite(lo) & np.isfinite(hi), (lo + hi) / 2, np.clip(0.0, lo, hi))
        return np.broadcast_to(mid, (n, *self.action_shape)).astype(np.float64).copy()

    # ------------------------------------------------------------------ protocol mode
    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """Start ``n`` episodes (ending any the adapter held); their first observations.

        Parameters
        ----------
        n : int in [1, 10**5]
            Must equal ``num_envs`` for a ``VectorEnv``.
        rng : Generator, int or None

        Returns
        -------
        ndarray with leading axis ``n``
        """
        n = Integer(1, MAX_COPIES).check(n, "n")
        gen = as_generator(rng)
        self._ensure(n)
        self._share(gen, n)
        self._n = n
        obs = self._reset_slots(np.arange(n), gen)
        self._obs = obs.copy()
        self._live = np.arange(n)
        self._blocked = np.zeros(n, dtype=bool)
        self._streaming = False
        self.truncated = np.zeros(n, dtype=bool)
        return obs

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Advance the running episodes by one step (see the module docstring for the rules).

        Parameters
        ----------
        states : ndarray
            The observations the adapter last returned for the running episodes, in order
            (the rows not ``terminated`` at the previous step).
        actions : ndarray with leading axis ``len(states)``
        rng : Generator, int or None
        t : int, optional
            Accepted and ignored: the environment keeps its own time.

        Returns
        -------
        next_states, rewards, terminated : ndarray
            ``terminated`` is the environment's; truncation is in :attr:`truncated`.

        Raises
        ------
        ValueError
            ``states`` that are not the running episodes' observations (including an
            episode truncated at the previous step), or bad ``actions``.
        """
        if self._obs is None or self._streaming:
            raise InvalidParameterError("states", "call reset(n, rng) before step (start() begins the stream mode)")
        live = self._live
        arr = np.asarray(states)
        expect = self._obs[live]
        if arr.shape != expect.shape or not np.array_equal(arr, expect):
            blocked = int(self._blocked[live].sum())
            hint = (
                f"; {blocked} of them were truncated by the environment's time limit "
                f"({self.max_episode_steps} steps): drop the rows where sim.truncated is True, or use a "
                "horizon of at most max_episode_steps"
                if blocked
                else ""
            )
            raise InvalidParameterError(
                "states",
                f"expected the {live.size} running episodes' observations (those not terminated, in the "
                f"order returned), got an array of shape {arr.shape} that does not match{hint}",
            )
        if self._blocked[live].any():
            raise InvalidParameterError(
                "states",
                f"{int(self._blocked[live].sum())} of these episodes were truncated by the environment's time "
                f"limit ({self.max_episode_steps} steps) and cannot be stepped: drop the rows where "
                "sim.truncated is True, or use a horizon of at most max_episode_steps",
            )
        acts = self._check_actions(actions, live.size)
        gen = as_generator(rng)
        self._share(gen, self._n)
        nxt, rew, term, trunc, _ = self._step_slots(live, acts, gen)
        self._obs[live] = nxt
        self._blocked[live] = trunc
        self._live = live[~term]
        self.truncated = trunc
        return nxt.copy(), rew, term

    # ------------------------------------------------------------------ stream mode
    def start(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """Begin ``n`` continuing streams of episodes (autoreset); the first observations.

        Parameters
        ----------
        n : int in [1, 10**5]
            Must equal ``num_envs`` for a ``VectorEnv``.
        rng : Generator, int or None

        Returns
        -------
        ndarray with leading axis ``n``
        """
        obs = self.reset(n, rng)
        self._streaming = True
        return obs

    def advance(self, actions: Any, rng: RNGLike = None) -> StreamStep:
        """Step all ``n`` streams; episodes that end are replaced by fresh ones at once.

        Parameters
        ----------
        actions : ndarray with leading axis ``n``
        rng : Generator, int or None

        Returns
        -------
        StreamStep
            ``(observations, rewards, terminated, truncated, final_observations)``.
        """
        if self._obs is None or not self._streaming:
            raise InvalidParameterError("actions", "call start(n, rng) before advance")
        n = self._n
        acts = self._check_actions(actions, n)
        gen = as_generator(rng)
        self._share(gen, n)
        idx = np.arange(n)
        final, rew, term, trunc, fresh = self._step_slots(idx, acts, gen)
        ended = term | trunc
        obs = final.copy()
        if ended.any():
            if fresh.size:
                obs[ended] = fresh[ended]
            else:
                obs[ended] = self._reset_slots(np.flatnonzero(ended), gen)
        self._obs = obs.copy()
        self.truncated = trunc
        return StreamStep(obs, rew, term, trunc, final)

    def close(self) -> None:
        """Close every environment the adapter made or holds."""
        if self._vector:
            self._venv.close()
        for e in self._envs:
            e.close()

    def __repr__(self) -> str:
        src = self._venv if self._vector else self._envs[0]
        return f"GymnasiumSimulator({src}, seeding={self.seeding!r})"


def _is_env(x: Any) -> bool:
    return isinstance(x, (gymnasium.Env, VectorEnv))


@validate_params(
    env=Unchecked("an env id, a gymnasium Env or VectorEnv, or a factory; checked below"),
    seeding=Options("seed", "generator"),
    make_kwargs=Instance(dict, what="a dict of gymnasium.make keyword arguments") | None,
)
def from_gymnasium(env: Any, *, seeding: str = "seed", make_kwargs: dict[str, Any] | None = None) -> GymnasiumSimulator:
    """A Gymnasium environment as a batched :class:`rlcore.Simulator`.

    Parameters
    ----------
    env : str, gymnasium.Env, gymnasium.vector.VectorEnv or callable
        An id for :func:`gymnasium.make` (``"CartPole-v1"``), an environment (copied when
        several episodes run at once), a vector environment (its ``num_envs`` episodes
        at a time), or a factory ``make() -> gymnasium.Env``.
    seeding : {"seed", "generator"}, default "seed"
        How the caller's ``rng`` drives the environment (see the module docstring).
    make_kwargs : dict, optional
        Keyword arguments for :func:`gymnasium.make` when ``env`` is an id.

    Returns
    -------
    GymnasiumSimulator

    Raises
    ------
    TypeError, ValueError
        ``env`` of another kind, an id Gymnasium does not know, spaces other than
        Discrete/Box (observations also MultiBinary), or ``seeding="generator"`` for a
        vector environment whose generators the adapter cannot reach.

    Guarantee
    ---------
    Exactness of the round trip: with ``seeding="generator"``, a
    :class:`~rlcore.FiniteMDP` rolled out through :func:`rlcore.gym.as_gymnasium_env` and
    this adapter gives the direct rollout's trajectories bit for bit, and a time limit is
    reported as truncation, never as termination. Tested by
    ``tests/rlcore/test_gym_simulator.py::test_round_trip_is_bit_identical`` and
    ``tests/rlcore/test_gym_simulator.py::test_truncation_is_not_termination``.

    Examples
    --------
    >>> sim = from_gymnasium("Pendulum-v1")
    >>> sim.n_actions is None, sim.action_low.tolist(), sim.max_episode_steps
    (True, [-2.0], 200)
    """
    if isinstance(env, str):
        kwargs = dict(make_kwargs or {})
        try:
            first = gymnasium.make(env, **kwargs)
        except gymnasium.error.Error as exc:
            raise InvalidParameterError("env", f"gymnasium.make({env!r}) failed: {exc}") from exc

        def make() -> Any:
            return gymnasium.make(env, **kwargs)

        return GymnasiumSimulator(make, first, seeding)
    if make_kwargs is not None:
        raise InvalidParameterError("make_kwargs", "only used when env is an environment id (a str)")
    if _is_env(env):
        if isinstance(env, VectorEnv) and seeding == "generator":
            if getattr(env, "envs", None) is None and not hasattr(env, "sim"):
                raise InvalidParameterError(
                    "seeding",
                    "'generator' needs environments whose np_random the adapter can set (a single Env, a "
                    "SyncVectorEnv, rlcore's SimulatorVectorEnv); use seeding='seed' for this VectorEnv",
                )
        return GymnasiumSimulator(None, env, seeding)
    if callable(env):
        first = env()
        if not isinstance(first, gymnasium.Env):
            raise InvalidParameterTypeError("env", f"the factory returned {type(first).__name__}, not a gymnasium.Env")
        return GymnasiumSimulator(env, first, seeding)
    raise InvalidParameterTypeError(
        "env", f"expected an env id, a gymnasium Env or VectorEnv, or a factory, got {type(env).__name__}"
    )
