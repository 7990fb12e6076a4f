"""What the deep learners on Gymnasium tasks share (private to :mod:`tabular.deep`).

API for the learner modules (``dqn_agent``, ``ppo_agent``, ``sac_agent``, ``streaming``):

``as_task(env, name="env") -> GymnasiumSimulator``
    Normalises the ``env`` argument: an id, a Gymnasium ``Env``/``VectorEnv``, a factory,
    a :class:`~rlcore.gym_simulator.GymnasiumSimulator`, or an rlcore simulator (which is
    first presented through :func:`rlcore.gym.as_gymnasium_env`; it needs a finite
    ``horizon`` or the ``max_episode_steps`` argument).
``eval_task(env, eval_env) -> GymnasiumSimulator``
    The evaluation environment: ``eval_env`` when given, else a fresh copy of ``env``
    (a new ``gymnasium.make`` for an id, ``deepcopy`` otherwise): never the training one.
``task_config(task) -> dict``
    The observation and action entries of an agent's configuration: ``n_states`` (one-hot
    input of width S) or ``obs_dim``; ``n_actions`` or ``action_low``/``action_high``
    (lists) and ``action_shape``.
``encode(obs, n_states, obs_dim) -> float32 (n, d)``
    One-hot for a ``Discrete`` observation space, flattened otherwise.
``EnvRunner(task, n_envs, gen)``
    ``n_envs`` environments in the autoreset stream. ``runner.x`` is the encoded current
    observation ``(n_envs, d)`` float32 (``runner.obs`` the raw one); ``runner.step(actions)``
    returns ``(x_final, rewards, terminated, truncated)`` where ``x_final`` encodes the
    true next observation (to bootstrap from; where an episode ended, its last
    observation), and moves ``runner.x`` on (fresh episodes where they ended).
    ``runner.steps`` counts environment steps over all environments;
    ``runner.episode_log()`` returns the finished episodes' (end steps, returns, lengths).
``run_episodes(task, act, n_episodes, gen, max_steps) -> returns``
    Complete evaluation episodes in the simulator protocol mode, ``act(raw_obs) -> actions``.
``Evaluator(task, n_episodes, every, gen, max_steps)``
    ``ev.due(steps)`` and ``ev.run(steps, act)``; ``ev.arrays()`` gives ``eval_steps``
    and ``eval_returns`` for :class:`~tabular.deep.agent.DeepRLResult`; its generator is
    spawned from the learner's, so evaluating never changes the training run.
``finish(algorithm, agent, runner, ev, act, n_updates, t0) -> DeepRLResult``
    Closes a training run: a final evaluation (unless one ran at this very step) and
    the result, with the runner's episode log and the evaluator's arrays.
``RunningMeanStd(shape)``
    Online mean and variance (Welford / Chan's parallel update), ``update(x)``,
    ``normalize(x)``, ``mean``, ``var``, ``count``.
The shared argument constraints: ``TOTAL_STEPS``, ``N_ENVS``, ``GAMMA``, ``LR``,
``EVAL_EVERY``, ``N_EVAL_EPISODES``, ``EVAL_ENV``, ``ENV``, ``MAX_EPISODE_STEPS``.
"""

from __future__ import annotations

import copy
from typing import Any
from collections.abc import Callable

import numpy as np

from rlcore.gym_simulator import GymnasiumSimulator, from_gymnasium
from rlcore.validation import (
    MAX_ITERATIONS,
    Integer,
    InvalidParameterError,
    Real,
    Unchecked,
)

__all__ = [
    "ENV",
    "EVAL_ENV",
    "EVAL_EVERY",
    "GAMMA",
    "LR",
    "MAX_EPISODE_STEPS",
    "N_ENVS",
    "N_EVAL_EPISODES",
    "TOTAL_STEPS",
    "EnvRunner",
    "Evaluator",
    "RunningMeanStd",
    "as_task",
    "encode",
    "eval_task",
    "finish",
    "run_episodes",
    "task_config",
]

ENV = Unchecked("an env id, a gymnasium Env/VectorEnv, a factory, a GymnasiumSimulator or a simulator; see as_task")
EVAL_ENV = ENV | None
TOTAL_STEPS = Integer(1, MAX_ITERATIONS)
N_ENVS = Integer(1, 4096)
GAMMA = Real(0, 1, closed="left")
LR = Real(0, 10, closed="right")
EVAL_EVERY = Integer(1, MAX_ITERATIONS) | None
N_EVAL_EPISODES = Integer(1, 10**4)
MAX_EPISODE_STEPS = Integer(1, MAX_ITERATIONS) | None


def as_task(env: Any, name: str = "env", max_episode_steps: int | None = None) -> GymnasiumSimulator:
    """The :class:`GymnasiumSimulator` an ``env`` argument names (see the module docstring)."""
    if isinstance(env, GymnasiumSimulator):
        return env
    import gymnasium
    from gymnasium.vector import VectorEnv

    if isinstance(env, (str, gymnasium.Env, VectorEnv)) or (
        callable(env) and not (hasattr(env, "reset") and hasattr(env, "step"))
    ):
        try:
            return from_gymnasium(env)
        except (TypeError, ValueError) as exc:
            msg = str(exc)
            raise type(exc)(msg if msg.startswith(name) else f"{name}: {msg}") from None
    if hasattr(env, "reset") and hasattr(env, "step"):
        from rlcore.gym import as_gymnasium_env

        if getattr(env, "horizon", None) is None and max_episode_steps is None:
            raise InvalidParameterError(
                name,
                "a simulator without a finite horizon needs max_episode_steps (episodes are cut there, as "
                "truncations), or present it yourself with rlcore.gym.as_gymnasium_env(sim, max_episode_steps=T)",
            )
        return from_gymnasium(as_gymnasium_env(env, max_episode_steps=max_episode_steps))
    raise InvalidParameterError(
        name, f"expected an env id, a gymnasium Env or VectorEnv, a factory or a simulator, got {type(env).__name__}"
    )


def eval_task(env: Any, eval_env: Any, max_episode_steps: int | None = None) -> GymnasiumSimulator:
    """The evaluation task: ``eval_env``, else a fresh copy of ``env`` (never the training one)."""
    if eval_env is not None:
        return as_task(eval_env, "eval_env", max_episode_steps)
    if isinstance(env, str) or (callable(env) and not hasattr(env, "step")):
        return as_task(env, "env", max_episode_steps)
    src = env
    if isinstance(env, GymnasiumSimulator):
        src = env._venv if env._vector else env._envs[0]
        if env._make is not None:
            return GymnasiumSimulator(env._make, env._make(), env.seeding)
    try:
        dup = copy.deepcopy(src)
    except Exception as exc:
        raise InvalidParameterError(
            "eval_env", f"required: the environment could not be copied for evaluation ({type(exc).__name__}: {exc})"
        ) from exc
    if isinstance(env, GymnasiumSimulator):
        return GymnasiumSimulator(None, dup, env.seeding)
    return as_task(dup, "env", max_episode_steps)


def task_config(task: GymnasiumSimulator) -> dict[str, Any]:
    """The observation and action entries of an agent's configuration."""
    cfg: dict[str, Any] = {}
    if task.n_states is not None:
        cfg["n_states"] = int(task.n_states)
        cfg["obs_dim"] = int(task.n_states)
    else:
        cfg["n_states"] = None
        cfg["obs_dim"] = int(np.prod(task.observation_shape)) if task.observation_shape else 1
    if task.n_actions is not None:
        cfg["n_actions"] = int(task.n_actions)
    else:
        cfg["n_actions"] = None
        cfg["action_low"] = np.asarray(task.action_low).reshape(-1).tolist()
        cfg["action_high"] = np.asarray(task.action_high).reshape(-1).tolist()
        cfg["action_shape"] = list(task.action_shape)
        lo, hi = np.asarray(task.action_low), np.asarray(task.action_high)
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise InvalidParameterError(
                "env", "a Box action space needs finite bounds (the policy is squashed into them)"
            )
    return cfg


def encode(obs: Any, n_states: int | None, obs_dim: int) -> np.ndarray:
    """Raw observations as float32 ``(n, d)``: one-hot for ``n_states``, else flattened."""
    arr = np.asarray(obs)
    if n_states is not None:
        idx = arr.astype(np.int64).reshape(-1)
        x = np.zeros((idx.size, n_states), dtype=np.float32)
        x[np.arange(idx.size), idx] = 1.0
        return x
    return arr.reshape(-1, obs_dim).astype(np.float32)


class EnvRunner:
    """``n_envs`` environments of a task in the autoreset stream, with an episode log."""

    def __init__(self, task: GymnasiumSimulator, n_envs: int, gen: np.random.Generator) -> None:
        self.task = task
        self.gen = gen
        cfg = task_config(task)
        self.n_states, self.obs_dim = cfg["n_states"], cfg["obs_dim"]
        self.n_envs = n_envs
        self.obs = task.start(n_envs, gen)
        self.x = encode(self.obs, self.n_states, self.obs_dim)
        self.steps = 0
        self._ret = np.zeros(n_envs)
        self._len = np.zeros(n_envs, dtype=np.int64)
        self._end: list[int] = []
        self._returns: list[float] = []
        self._lengths: list[int] = []

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        out = self.task.advance(actions, self.gen)
        self.steps += self.n_envs
        self._ret += out.rewards
        self._len += 1
        ended = out.terminated | out.truncated
        for i in np.flatnonzero(ended):
            self._end.append(self.steps)
            self._returns.append(float(self._ret[i]))
            self._lengths.append(int(self._len[i]))
        self._ret[ended] = 0.0
        self._len[ended] = 0
        x_final = encode(out.final_observations, self.n_states, self.obs_dim)
        self.obs = out.observations
        self.x = encode(out.observations, self.n_states, self.obs_dim)
        return x_final, out.rewards, out.terminated, out.truncated

    def episode_log(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.asarray(self._end, dtype=np.int64),
            np.asarray(self._returns, dtype=np.float64),
            np.asarray(self._lengths, dtype=np.int64),
        )


def run_episodes(
    task: GymnasiumSimulator,
    act: Callable[[np.ndarray], np.ndarray],
    n_episodes: int,
    gen: np.random.Generator,
    max_steps: int | None = None,
) -> np.ndarray:
    """Undiscounted returns of ``n_episodes`` complete episodes under ``act(raw_obs) -> actions``."""
    limit = max_steps if max_steps is not None else task.max_episode_steps
    if limit is None:
        raise InvalidParameterError(
            "max_steps", "required: the evaluation environment has no time limit of its own, so episodes may never end"
        )
    batch = task.num_envs or n_episodes
    returns: list[float] = []
    while len(returns) < n_episodes:
        obs = task.reset(batch, gen)
        live = np.arange(batch)
        total = np.zeros(batch)
        for _ in range(limit):
            nxt, rew, term = task.step(obs, act(obs), gen)
            total[live] += rew
            keep = ~(term | task.truncated)
            live, obs = live[keep], nxt[keep]
            if live.size == 0:
                break
        returns.extend(total.tolist())
    return np.asarray(returns[:n_episodes], dtype=np.float64)


class Evaluator:
    """Evaluation episodes every ``every`` training steps, on a separate task, from a spawned generator."""

    def __init__(
        self,
        task: GymnasiumSimulator | None,
        n_episodes: int,
        every: int | None,
        gen: np.random.Generator,
        max_steps: int | None = None,
    ) -> None:
        self.task = task
        self.n_episodes = n_episodes
        self.every = every
        self.gen = np.random.default_rng(gen.integers(0, 2**63 - 1))  # one draw from the learner's stream
        self.max_steps = max_steps
        self.next_at = every if every is not None else None
        self.steps: list[int] = []
        self.returns: list[np.ndarray] = []
        self.time = 0.0

    def due(self, steps: int) -> bool:
        return self.task is not None and self.next_at is not None and steps >= self.next_at

    def run(self, steps: int, act: Callable[[np.ndarray], np.ndarray]) -> float:
        import time

        if self.task is None:
            raise RuntimeError("Evaluator.run: no evaluation task")
        t0 = time.perf_counter()
        rets = run_episodes(self.task, act, self.n_episodes, self.gen, self.max_steps)
        self.time += time.perf_counter() - t0
        self.steps.append(int(steps))
        self.returns.append(rets)
        if self.every is not None:
            while self.next_at is not None and self.next_at <= steps:
                self.next_at += self.every
        return float(rets.mean())

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.returns:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.n_episodes))
        return np.asarray(self.steps, dtype=np.int64), np.stack(self.returns)


def finish(
    algorithm: str,
    agent: Any,
    runner: EnvRunner,
    ev: Evaluator,
    act: Callable[[np.ndarray], np.ndarray],
    n_updates: int,
    t0: float,
) -> Any:
    """The :class:`~tabular.deep.agent.DeepRLResult` of a run, after its final evaluation."""
    import time

    from tabular.deep.agent import DeepRLResult

    if not ev.steps or ev.steps[-1] != runner.steps:  # a final evaluation, unless one just ran
        ev.run(runner.steps, act)
    end, rets, lens = runner.episode_log()
    es, er = ev.arrays()
    return DeepRLResult(
        algorithm=algorithm,
        agent=agent,
        n_steps=runner.steps,
        n_updates=n_updates,
        episode_end_steps=end,
        episode_returns=rets,
        episode_lengths=lens,
        eval_steps=es,
        eval_returns=er,
        wall_time=time.perf_counter() - t0,
        eval_time=ev.time,
    )


class RunningMeanStd:
    """Online mean and (population) variance of vectors, merged batch by batch (Chan et al. 1979)."""

    def __init__(self, shape: tuple[int, ...] = ()) -> None:
        self.mean = np.zeros(shape, dtype=np.float64)
        self.var = np.ones(shape, dtype=np.float64)
        self.count = 0.0
        self._m2 = np.zeros(shape, dtype=np.float64)

    def update(self, x: Any) -> None:
        """Merge a batch ``x`` of shape ``(k, *shape)``."""
        x = np.asarray(x, dtype=np.float64)
        k = x.shape[0]
        if k == 0:
            return
        bm = x.mean(axis=0)
        bm2 = ((x - bm) ** 2).sum(axis=0)
        n = self.count + k
        delta = bm - self.mean
        self.mean = self.mean + delta * (k / n)
        self._m2 = self._m2 + bm2 + delta**2 * (self.count * k / n)
        self.count = n
        self.var = self._m2 / n if n > 1 else np.ones_like(self.mean)

    def normalize(self, x: Any, eps: float = 1e-8) -> np.ndarray:
        """``(x - mean) / sqrt(var + eps)``."""
        return (np.asarray(x, dtype=np.float64) - self.mean) / np.sqrt(self.var + eps)
