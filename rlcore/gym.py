# Length: one concept, the Gymnasium adapter: the single and the vector environment share the
# mapping the module docstring tabulates, its helpers and its seeding rule; split, each would restate them.
"""Any batched simulator as a Gymnasium environment.

:class:`SimulatorEnv` presents a simulator that implements the batched protocol of
:class:`rlcore.Simulator` (a :class:`~rlcore.FiniteMDP`, a finance model, your own) as
one :class:`gymnasium.Env`; :class:`SimulatorVectorEnv` presents ``num_envs`` copies as
a :class:`gymnasium.vector.VectorEnv` that advances the whole batch in one simulator
call per step, which is what makes it fast: a ``FiniteMDP`` moves 1000 environments
with one Numba kernel call. :func:`as_gymnasium_env` picks one of the two.

The mapping
-----------
==========================================  ==============================================
simulator protocol                          Gymnasium
==========================================  ==============================================
``sim.reset(n, rng)`` with ``n = 1``        ``env.reset(seed=None, options=None)``
``sim.step(states, actions, rng, t=t)``     ``env.step(action)``
``next_states[0]``                          ``observation`` (a Python ``int`` under a
                                            ``Discrete`` space, an array of the space's
                                            dtype under a ``Box``)
``rewards[0]``                              ``reward`` (a Python ``float``)
``terminated[0]`` or ``t == horizon``       ``terminated``
``t == max_episode_steps``, not terminated  ``truncated``
time index ``t`` (steps taken)              ``info["t"]``
``sim.n_states`` / ``sim.n_actions``        ``Discrete(S)`` / ``Discrete(A)`` spaces
==========================================  ==============================================

The adapter keeps the time index ``t`` of the episode (0 after ``reset``, one more after
each ``step``) and passes it to ``sim.step(..., t=t)``; ``info["t"]`` is the time index
of the observation returned with it.

Terminated and truncated
------------------------
``terminated`` means the episode reached an end that the model itself defines, so the
value of what comes next is zero and a learner must not bootstrap from the next
observation: the simulator reported it (a ``FiniteMDP`` entering a terminal state), or
the simulator's finite ``horizon`` was reached (beyond ``H`` the value is zero by
definition; the ``FiniteMDP`` reports ``terminated`` at ``t == H - 1`` itself, and the
adapter enforces the same for any simulator with a ``horizon`` attribute).
``truncated`` means the episode was cut after ``max_episode_steps`` steps by the
adapter, not by the model (a time limit on an infinite-horizon discounted task): the
next observation is a genuine state whose value a learner should bootstrap from. An
episode is never both.

Seeding
-------
``reset(seed=s)`` seeds the environment's generator :attr:`~gymnasium.Env.np_random`
(Gymnasium's convention); every simulator call draws from that one generator, so the
same seed and the same actions give the same trajectory, and ``reset()`` without a seed
continues the stream. Nothing touches global random state. The vector environment
holds one generator for the whole batch (not one per sub-environment, as
:class:`gymnasium.vector.SyncVectorEnv` does), so that the batch moves in one call.
With ``num_envs=1`` it reproduces :class:`SimulatorEnv` under the same seed, episode
after episode.

Examples
--------
A two-state MDP: action ``a`` moves to state ``a``; state 1 pays 1 per step.

>>> import numpy as np
>>> from rlcore import FiniteMDP
>>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 1.0
>>> mdp = FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.9, initial=[1.0, 0.0])
>>> env = as_gymnasium_env(mdp, max_episode_steps=3)
>>> env.observation_space, env.action_space
(Discrete(2), Discrete(2))
>>> env.reset(seed=0)
(0, {'t': 0})
>>> env.step(1)
(1, 0.0, False, False, {'t': 1})
>>> env.step(1)
(1, 1.0, False, False, {'t': 2})
>>> env.step(0)
(0, 1.0, False, True, {'t': 3})

Three copies stepped in one batched call, with next-step autoreset:

>>> venv = as_gymnasium_env(mdp, num_envs=3, max_episode_steps=1)
>>> obs, info = venv.reset(seed=0)
>>> obs
array([0, 0, 0])
>>> obs, rewards, terminated, truncated, info = venv.step(np.array([1, 0, 1]))
>>> obs, truncated
(array([1, 0, 1]), array([ True,  True,  True]))
>>> obs, rewards, terminated, truncated, info = venv.step(np.array([1, 1, 1]))
>>> obs, rewards, truncated  # the reset step: initial observations, reward 0
(array([0, 0, 0]), array([0., 0., 0.]), array([False, False, False]))

Registered environments
-----------------------
Importing this module (so importing :mod:`rlcore`) registers the library's MDP
generators with Gymnasium under the ``rlref/`` namespace (:mod:`rlcore.gym_registry`
lists the ids: ``rlref/RiverSwim-v0``, ``rlref/Chain-v0``, ``rlref/GridWorld-v0``,
``rlref/CombinationLock-v0``, ``rlref/Forest-v0``, ``rlref/Garnet-v0``); no MDP is
built until ``gymnasium.make`` is called. An environment made that way carries its
:attr:`~gymnasium.Env.spec`, and its ``repr``/``str`` names the model and the id:

>>> import gymnasium
>>> gymnasium.make("rlref/Chain-v0", horizon=10).unwrapped
SimulatorEnv(FiniteMDP(S=5, A=2, horizon=10, dense), id='rlref/Chain-v0')

References
----------
Gymnasium documentation, "Env" and "Vector environments: autoreset modes",
https://gymnasium.farama.org (the ``terminated``/``truncated`` split and next-step
autoreset). M. Towers et al., *Gymnasium: A Standard Interface for Reinforcement
Learning Environments*, arXiv:2407.17032, 2024.
"""

from __future__ import annotations

from typing import Any, cast

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from rlcore.gym_registry import _register as _register_envs
from rlcore.validation import (
    MAX_ITERATIONS,
    Bool,
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    Simulator,
    Unchecked,
    check_positive_int,
    validate_params,
)

__all__ = ["SimulatorEnv", "SimulatorVectorEnv", "as_gymnasium_env"]

#: Most sub-environments of one :class:`SimulatorVectorEnv`.
MAX_NUM_ENVS: int = 10**7

_SPACE = Instance(spaces.Space, what="a gymnasium.spaces.Space") | None
_STEPS = Integer(1, MAX_ITERATIONS) | None
_NUM_ENVS = Integer(1, MAX_NUM_ENVS)
_SEED = Integer(0, None) | None


# ---------------------------------------------------------------------- helpers


def _infer_spaces(sim: Any, observation_space: Any, action_space: Any) -> tuple[spaces.Space, spaces.Space]:
    """The given spaces, or ``Discrete(S)`` / ``Discrete(A)`` for a tabular simulator."""
    out = []
    for given, attr, arg in (
        (observation_space, "n_states", "observation_space"),
        (action_space, "n_actions", "action_space"),
    ):
        if given is None:
            size = getattr(sim, attr, None)
            if size is None:
                raise InvalidParameterError(
                    arg,
                    f"required for a simulator without an integer {attr!r} attribute "
                    f"({type(sim).__name__}); pass a gymnasium space, e.g. "
                    f"{arg}=gymnasium.spaces.Box(low, high, shape=(d,), dtype=np.float64)",
                )
            given = spaces.Discrete(check_positive_int(size, f"sim.{attr}"))
        out.append(given)
    return out[0], out[1]


def _check_limit(x: Any, name: str) -> int | None:
    return None if x is None else check_positive_int(x, name)


def _obs_batch(space: spaces.Space, states: np.ndarray) -> np.ndarray:
    """A fresh array of observations, in the space's dtype where it has one."""
    dtype = getattr(space, "dtype", None)
    return np.array(states, dtype=dtype, copy=True)


def _check_obs_batch(space: spaces.Space, states: np.ndarray, where: str) -> None:
    """Check a batch of simulator states (leading axis = batch) against a single space."""
    if isinstance(space, spaces.Discrete):
        obs = states
        if obs.dtype == bool or not np.issubdtype(obs.dtype, np.integer):
            raise InvalidParameterTypeError(
                "sim",
                f"{where} returned states of dtype {obs.dtype}; a Discrete observation "
                "space needs integer state indices",
            )
        if obs.ndim != 1:
            raise InvalidParameterError(
                "sim",
                f"{where} returned states of shape {obs.shape}; a Discrete observation "
                "space needs a 1-D array of state indices",
            )
        lo, hi = int(space.start), int(space.start) + int(space.n)
        bad = (obs < lo) | (obs >= hi)
        if bad.any():
            raise InvalidParameterError(
                "sim",
                f"{where} returned state {int(obs[bad][0])} outside the observation space "
                f"{space} (expected integers in [{lo}, {hi}))",
            )
        return
    if isinstance(space, spaces.Box):
        if states.shape[1:] != space.shape:
            raise InvalidParameterError(
                "sim",
                f"{where} returned states of shape {states.shape}; the observation space "
                f"{space} expects shape (n, {', '.join(map(str, space.shape))})",
            )
        return
    obs = _obs_batch(space, states)
    for i, o in enumerate(obs):
        if o not in space:
            raise InvalidParameterError(
                "sim", f"{where} returned state {o!r} (index {i}) outside the observation space {space}"
            )


def _describe(env: Any, *first: str) -> str:
    """The simulator, ``first``, the adapter's time limit, and the Gymnasium id once ``make`` set one."""
    parts = [repr(env.sim), *first]
    if env.max_episode_steps is not None:
        parts.append(f"max_episode_steps={env.max_episode_steps}")
    spec = getattr(env, "spec", None)
    if spec is not None:
        parts.append(f"id={spec.id!r}")
    return ", ".join(parts)


def _sim_reset(sim: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    states = np.asarray(sim.reset(n, rng))
    if states.shape[:1] != (n,):
        raise InvalidParameterError(
            "sim", f"reset({n}) returned an array of shape {states.shape}, expected leading axis {n}"
        )
    return states


def _sim_step(
    sim: Any, states: np.ndarray, actions: np.ndarray, rng: np.random.Generator, t: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = states.shape[0]
    out = sim.step(states, actions, rng, t=t)
    if not (isinstance(out, tuple) and len(out) == 3):
        raise InvalidParameterError("sim", "step must return a tuple (next_states, rewards, terminated)")
    nxt = np.asarray(out[0])
    rew = np.asarray(out[1], dtype=np.float64)
    term = np.asarray(out[2])
    if nxt.shape[:1] != (n,) or rew.shape != (n,) or term.shape != (n,):
        raise InvalidParameterError(
            "sim",
            f"step on {n} states returned next_states, rewards, terminated of shapes "
            f"{nxt.shape}, {rew.shape}, {term.shape}; expected leading axis {n} and 1-D "
            "rewards and terminated",
        )
    if term.dtype != bool:
        raise InvalidParameterTypeError("sim", f"step returned terminated of dtype {term.dtype}, expected bool")
    return nxt, rew, term


# ---------------------------------------------------------------------- single env
class SimulatorEnv(gymnasium.Env):
    """A batched simulator presented as one Gymnasium environment.

    Parameters
    ----------
    sim : Simulator
        Anything with ``reset(n, rng)`` and ``step(states, actions, rng, *, t)`` (see
        :class:`rlcore.Simulator`). An optional finite ``horizon`` attribute ends each
        episode after that many steps (``terminated``).
    observation_space, action_space : gymnasium.spaces.Space, optional
        Inferred as ``Discrete(sim.n_states)`` and ``Discrete(sim.n_actions)`` for a
        tabular simulator (a :class:`~rlcore.FiniteMDP`); required otherwise. States
        returned by the simulator are converted to the observation space's dtype.
    max_episode_steps : int in [1, 10**9], optional
        Cut each episode after this many steps, reported as ``truncated`` (unless the
        same step terminates). Default: no limit beyond the simulator's horizon.

    Attributes
    ----------
    sim : Simulator
    horizon : int or None
        The simulator's finite horizon, if any.
    max_episode_steps : int or None
    observation_space, action_space : gymnasium.spaces.Space

    Raises
    ------
    InvalidParameterTypeError
        If ``sim`` lacks ``reset``/``step`` or a space is not a Gymnasium space.
    InvalidParameterError
        If a space is missing for a non-tabular simulator, or a limit is not in range.

    Notes
    -----
    :meth:`step` raises :class:`gymnasium.error.ResetNeeded` before the first
    :meth:`reset` and after an episode has ended, and an
    :class:`~rlcore.validation.InvalidParameterError` (a :class:`ValueError`) for an
    action outside :attr:`action_space`: the checks Gymnasium's ``OrderEnforcing`` and
    ``PassiveEnvChecker`` wrappers would add, built in.

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 1.0
    >>> mdp = FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], horizon=2, initial=[0.0, 1.0])
    >>> env = SimulatorEnv(mdp)
    >>> env.reset(seed=1)
    (1, {'t': 0})
    >>> env.step(1), env.step(0)
    ((1, 1.0, False, False, {'t': 1}), (0, 1.0, True, False, {'t': 2}))
    >>> env.step(0)
    Traceback (most recent call last):
    ...
    gymnasium.error.ResetNeeded: step: the episode ended (terminated at t=2); call reset() before step()
    """

    metadata: dict[str, Any] = {"render_modes": []}

    @validate_params(sim=Simulator(), observation_space=_SPACE, action_space=_SPACE, max_episode_steps=_STEPS)
    def __init__(
        self,
        sim: Any,
        *,
        observation_space: spaces.Space | None = None,
        action_space: spaces.Space | None = None,
        max_episode_steps: int | None = None,
    ) -> None:
        self.sim = sim
        self.observation_space, self.action_space = _infer_spaces(sim, observation_space, action_space)
        self.horizon: int | None = _check_limit(getattr(sim, "horizon", None), "sim.horizon")
        self.max_episode_steps: int | None = max_episode_steps
        self.metadata = {"render_modes": []}
        self._discrete_obs = isinstance(self.observation_space, spaces.Discrete)
        self._states: np.ndarray | None = None
        self._t = 0
        self._ended: str | None = "reset"  # why step() is not allowed now, None when it is

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Start a new episode.

        Parameters
        ----------
        seed : int, optional
            Reseeds :attr:`np_random` (the generator every simulator call draws from);
            ``None`` continues the current stream.
        options : dict, optional
            Accepted for API compatibility and ignored.

        Returns
        -------
        observation : int or ndarray
        info : dict
            ``{"t": 0}``.
        """
        super().reset(seed=_SEED.check(seed, "seed"))
        states = _sim_reset(self.sim, 1, self.np_random)
        _check_obs_batch(self.observation_space, states, "reset(1)")
        self._states, self._t, self._ended = states, 0, None
        return self._single(_obs_batch(self.observation_space, states)), {"t": 0}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Advance the episode by one step.

        Parameters
        ----------
        action : element of :attr:`action_space`
            An int (or NumPy integer scalar) for a ``Discrete`` space, an array of the
            space's shape for a ``Box``.

        Returns
        -------
        observation : int or ndarray
        reward : float
        terminated : bool
            The simulator reported a terminal state, or the horizon was reached.
        truncated : bool
            ``max_episode_steps`` was reached without termination.
        info : dict
            ``{"t": t}``, the time index of the returned observation.

        Raises
        ------
        gymnasium.error.ResetNeeded
            Before the first :meth:`reset` or after the episode ended.
        InvalidParameterError
            If ``action`` is not in :attr:`action_space`.
        """
        if self._ended is not None:
            if self._ended == "reset":
                raise ResetNeeded("step: call reset() before the first step()")
            raise ResetNeeded(f"step: the episode ended ({self._ended} at t={self._t}); call reset() before step()")
        if isinstance(action, (bool, np.bool_)) or not self.action_space.contains(action):
            raise InvalidParameterError(
                "action", f"expected an element of the action space {self.action_space}, got {action!r}"
            )
        actions = np.asarray(action)[None, ...]
        states = cast(np.ndarray, self._states)  # set by reset(); self._ended guards the order
        nxt, rew, term = _sim_step(self.sim, states, actions, self.np_random, self._t)
        self._t += 1
        terminated = bool(term[0]) or (self.horizon is not None and self._t >= self.horizon)
        truncated = (not terminated) and self.max_episode_steps is not None and self._t >= self.max_episode_steps
        obs = _obs_batch(self.observation_space, nxt)
        self._states = nxt
        if terminated or truncated:
            self._ended = "terminated" if terminated else "truncated"
        return self._single(obs), float(rew[0]), terminated, truncated, {"t": self._t}

    def _single(self, obs: np.ndarray) -> Any:
        return int(obs[0]) if self._discrete_obs else obs[0]

    def __repr__(self) -> str:
        return f"SimulatorEnv({_describe(self)})"

    def __str__(self) -> str:
        # Gymnasium's "<...>" form, which its wrappers nest: "<TimeLimit<...<SimulatorEnv(...)>>>"
        return f"<{self!r}>"


# ---------------------------------------------------------------------- vector env
class SimulatorVectorEnv(VectorEnv):
    """``num_envs`` copies of a simulator stepped in one batched call, with next-step autoreset.

    Parameters
    ----------
    sim : Simulator
        As for :class:`SimulatorEnv`.
    num_envs : int in [1, 10**7]
    observation_space, action_space : gymnasium.spaces.Space, optional
        Spaces of ONE sub-environment (:attr:`single_observation_space`,
        :attr:`single_action_space`); inferred for tabular simulators. The batched
        spaces are built with :func:`gymnasium.vector.utils.batch_space`
        (``Discrete(S)`` batches to ``MultiDiscrete([S] * num_envs)``).
    max_episode_steps : int in [1, 10**9], optional
        Per-episode step limit, reported as ``truncated``.
    stationary : bool, optional
        Whether the simulator's dynamics ignore ``t``. Sub-environments reset at
        different times hold different time indices; a non-stationary simulator is
        then stepped once per distinct ``t`` in the batch (one call when all agree, two
        after a staggered reset), a stationary one in a single call, given the common
        ``t`` when there is one and ``t=None`` otherwise. Default: stationary when the
        simulator has no finite ``horizon`` and reports ``is_time_dependent == False``
        (a discounted :class:`~rlcore.FiniteMDP`), otherwise not.

    Attributes
    ----------
    num_envs : int
    single_observation_space, single_action_space : gymnasium.spaces.Space
    observation_space, action_space : gymnasium.spaces.Space
        The batched spaces.
    metadata : dict
        ``metadata["autoreset_mode"]`` is :attr:`gymnasium.vector.AutoresetMode.NEXT_STEP`.

    Notes
    -----
    Next-step autoreset (Gymnasium 1.x's default): when sub-environment ``i`` returns
    ``terminated[i]`` or ``truncated[i]``, the following :meth:`step` ignores
    ``actions[i]`` and returns a fresh initial observation for it, with reward 0, both
    flags False and ``info["t"][i] == 0``. Each step makes at most one ``sim.reset``
    call (for all sub-environments being reset) and one ``sim.step`` call per distinct
    time index (see ``stationary``). ``reset(options={"reset_mask": mask})`` resets
    only the sub-environments where the boolean ``mask`` of shape ``(num_envs,)`` is True.

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 1.0
    >>> mdp = FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], horizon=2, initial=[1.0, 0.0])
    >>> venv = SimulatorVectorEnv(mdp, 2)
    >>> venv.observation_space, venv.metadata["autoreset_mode"]
    (MultiDiscrete([2 2]), <AutoresetMode.NEXT_STEP: 'NextStep'>)
    >>> obs, info = venv.reset(seed=0)
    >>> obs, info["t"]
    (array([0, 0]), array([0, 0]))
    >>> obs, rew, term, trunc, info = venv.step(np.array([1, 0]))
    >>> obs, rew, info["t"]
    (array([1, 0]), array([0., 0.]), array([1, 1]))
    """

    @validate_params(
        sim=Simulator(),
        num_envs=_NUM_ENVS,
        observation_space=_SPACE,
        action_space=_SPACE,
        max_episode_steps=_STEPS,
        stationary=Bool() | None,
    )
    def __init__(
        self,
        sim: Any,
        num_envs: int,
        *,
        observation_space: spaces.Space | None = None,
        action_space: spaces.Space | None = None,
        max_episode_steps: int | None = None,
        stationary: bool | None = None,
    ) -> None:
        self.sim = sim
        self.num_envs = num_envs
        self.single_observation_space, self.single_action_space = _infer_spaces(sim, observation_space, action_space)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.horizon: int | None = _check_limit(getattr(sim, "horizon", None), "sim.horizon")
        self.max_episode_steps: int | None = max_episode_steps
        if stationary is None:
            stationary = self.horizon is None and getattr(sim, "is_time_dependent", None) is False
        self.stationary = bool(stationary)
        self.metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}
        n = self.num_envs
        self._states: np.ndarray | None = None
        self._t = np.zeros(n, dtype=np.int64)
        self._autoreset = np.zeros(n, dtype=bool)

    # ------------------------------------------------------------------ internals
    def _fresh_states(self, k: int) -> np.ndarray:
        states = _sim_reset(self.sim, k, self.np_random)
        _check_obs_batch(self.single_observation_space, states, f"reset({k})")
        return states

    def _place(self, idx: np.ndarray, values: np.ndarray) -> None:
        """Write ``values`` into ``self._states[idx]``, widening the dtype if needed."""
        states = cast(np.ndarray, self._states)  # callers only place into existing states
        if states.shape[1:] != values.shape[1:]:
            raise InvalidParameterError(
                "sim",
                f"returned states of shape {values.shape[1:]} per episode, earlier calls returned {states.shape[1:]}",
            )
        dtype = np.result_type(states, values)
        if dtype != states.dtype:
            states = states.astype(dtype)
            self._states = states
        states[idx] = values

    def _info(self) -> dict[str, Any]:
        return {"t": self._t.copy(), "_t": np.ones(self.num_envs, dtype=bool)}

    def _check_actions(self, actions: Any) -> np.ndarray:
        try:
            arr = np.asarray(actions)
        except (ValueError, TypeError) as exc:
            raise InvalidParameterTypeError("actions", f"expected an array of actions ({exc})") from None
        if arr.shape[:1] != (self.num_envs,):
            raise InvalidParameterError(
                "actions",
                f"expected a batch with leading axis num_envs={self.num_envs} "
                f"(action space {self.action_space}), got shape {arr.shape}",
            )
        if arr.dtype == bool or not self.action_space.contains(arr):
            for i in range(self.num_envs):
                if arr.dtype == bool or arr[i] not in self.single_action_space:
                    raise InvalidParameterError(
                        "actions", f"entry {i} ({arr[i]}) is not in the single action space {self.single_action_space}"
                    )
            raise InvalidParameterError(
                "actions", f"expected an element of the action space {self.action_space}, got {arr!r}"
            )
        return arr

    # ------------------------------------------------------------------ API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset all sub-environments (or those in ``options["reset_mask"]``).

        Parameters
        ----------
        seed : int, optional
            Reseeds the one generator the whole batch draws from.
        options : dict, optional
            ``{"reset_mask": ndarray of bool, shape (num_envs,)}`` resets only the
            masked sub-environments; other keys are ignored.

        Returns
        -------
        observations : ndarray with leading axis num_envs
        info : dict
            ``{"t": ndarray of int64, shape (num_envs,), "_t": all True}``.
        """
        super().reset(seed=_SEED.check(seed, "seed"))
        if options is not None and not isinstance(options, dict):
            raise InvalidParameterTypeError("options", f"expected a dict or None, got {type(options).__name__}")
        mask = None if options is None else options.get("reset_mask")
        if mask is None:
            self._states = self._fresh_states(self.num_envs)
            self._t[:] = 0
            self._autoreset[:] = False
        else:
            if not isinstance(mask, np.ndarray) or mask.dtype != bool:
                raise InvalidParameterTypeError(
                    "options",
                    f"reset_mask: expected a numpy bool array of shape ({self.num_envs},), "
                    f"got {type(mask).__name__}" + (f" of dtype {mask.dtype}" if isinstance(mask, np.ndarray) else ""),
                )
            if mask.shape != (self.num_envs,):
                raise InvalidParameterError(
                    "options", f"reset_mask: expected shape ({self.num_envs},), got {mask.shape}"
                )
            if not mask.any():
                raise InvalidParameterError("options", "reset_mask: expected at least one True entry")
            if self._states is None and not mask.all():
                raise ResetNeeded("reset: the first reset must reset every sub-environment (no reset_mask)")
            idx = np.flatnonzero(mask)
            fresh = self._fresh_states(idx.size)
            if self._states is None:
                self._states = fresh
            else:
                self._place(idx, fresh)
            self._t[idx] = 0
            self._autoreset[idx] = False
        return _obs_batch(self.single_observation_space, self._states), self._info()

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every sub-environment; those that ended on the previous step are reset instead.

        Parameters
        ----------
        actions : element of :attr:`action_space`
            One action per sub-environment (leading axis ``num_envs``); the actions of
            sub-environments being autoreset are ignored.

        Returns
        -------
        observations : ndarray with leading axis num_envs
        rewards : ndarray of float64, shape (num_envs,)
        terminated, truncated : ndarray of bool, shape (num_envs,)
        info : dict
            ``{"t": ndarray of int64, shape (num_envs,), "_t": all True}``: each
            sub-environment's time index after the step (0 where it was reset).

        Raises
        ------
        gymnasium.error.ResetNeeded
            Before the first :meth:`reset`.
        InvalidParameterError
            If ``actions`` is not in :attr:`action_space`.
        """
        if self._states is None:
            raise ResetNeeded("step: call reset() before the first step()")
        acts = self._check_actions(actions)
        n = self.num_envs
        rewards = np.zeros(n, dtype=np.float64)
        terminated = np.zeros(n, dtype=bool)
        rng = self.np_random

        reset_idx = np.flatnonzero(self._autoreset)
        active = np.flatnonzero(~self._autoreset)
        if reset_idx.size:
            self._place(reset_idx, self._fresh_states(reset_idx.size))
            self._t[reset_idx] = 0
        if active.size:
            t_active = self._t[active]
            if self.stationary:
                t0 = int(t_active[0])
                groups = [(None if np.any(t_active != t0) else t0, active)]
            else:
                groups = [(int(t), active[t_active == t]) for t in np.unique(t_active)]
            for t, idx in groups:
                nxt, rew, term = _sim_step(self.sim, self._states[idx], acts[idx], rng, t)
                self._place(idx, nxt)
                rewards[idx] = rew
                terminated[idx] = term
            self._t[active] += 1
            if self.horizon is not None:
                terminated[active] |= self._t[active] >= self.horizon
        truncated = np.zeros(n, dtype=bool)
        if self.max_episode_steps is not None and active.size:
            truncated[active] = (self._t[active] >= self.max_episode_steps) & ~terminated[active]
        self._autoreset = terminated | truncated
        return _obs_batch(self.single_observation_space, self._states), rewards, terminated, truncated, self._info()

    def __repr__(self) -> str:
        return f"SimulatorVectorEnv({_describe(self, f'num_envs={self.num_envs}')})"

    def __str__(self) -> str:
        return f"<{self!r}>"


# ---------------------------------------------------------------------- factory
@validate_params(
    sim=Simulator(),
    num_envs=_NUM_ENVS | None,
    kwargs=Unchecked("forwarded to SimulatorEnv / SimulatorVectorEnv, whose declarations check them"),
)
def as_gymnasium_env(sim: Any, *, num_envs: int | None = None, **kwargs: Any) -> SimulatorEnv | SimulatorVectorEnv:
    """Present a simulator as a Gymnasium environment.

    Parameters
    ----------
    sim : Simulator
        E.g. a :class:`~rlcore.FiniteMDP`.
    num_envs : int in [1, 10**7], optional
        ``None`` (default) gives a single :class:`SimulatorEnv`; an integer gives a
        :class:`SimulatorVectorEnv` of that many sub-environments.
    **kwargs
        ``observation_space``, ``action_space``, ``max_episode_steps`` (and, for the
        vector environment, ``stationary``), passed to the constructor.

    Returns
    -------
    SimulatorEnv or SimulatorVectorEnv

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 1.0
    >>> mdp = FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.9)
    >>> as_gymnasium_env(mdp, max_episode_steps=10)
    SimulatorEnv(FiniteMDP(S=2, A=2, gamma=0.9, dense), max_episode_steps=10)
    >>> as_gymnasium_env(mdp, num_envs=4).action_space
    MultiDiscrete([2 2 2 2])
    """
    if num_envs is None:
        return SimulatorEnv(sim, **kwargs)
    return SimulatorVectorEnv(sim, num_envs, **kwargs)


# ---------------------------------------------------------------------- registration
# The ``rlref/`` ids (rlcore.gym_registry): names and factory paths only, nothing built.
_register_envs()
