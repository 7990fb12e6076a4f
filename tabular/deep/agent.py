"""A trained deep agent, its training record, and checkpoints that never unpickle.

Every deep learner of :mod:`tabular.deep` that runs on a Gymnasium task
(:func:`~tabular.deep.train_dqn`, :func:`~tabular.deep.train_ppo`,
:func:`~tabular.deep.train_sac`, :func:`~tabular.deep.train_dsac_t`, the streaming
learners) returns a :class:`DeepRLResult`, whose ``agent`` is an :class:`Agent`:

* :meth:`Agent.act` maps a batch of raw observations (what the environment returns) to
  actions the environment takes, greedy/deterministic by default;
* :meth:`Agent.policy_table` is the deterministic policy of a task with ``Discrete``
  observations and actions as an int array ``(S,)``, for exact evaluation with
  :func:`rlcore.evaluate_policy` on the true MDP;
* :meth:`Agent.save` writes a checkpoint with ``torch.save`` of the networks' state
  dicts plus a configuration made of plain numbers, strings and lists, and
  :func:`load_agent` reads it back with ``torch.load(..., weights_only=True)``: loading
  a checkpoint never unpickles arbitrary objects.

:func:`evaluate_agent` runs evaluation episodes of an agent on an environment of its
own (never the training one), from its own seed.

Examples
--------
>>> import tempfile, os
>>> from tabular.deep import train_dqn
>>> res = train_dqn("CartPole-v1", total_steps=300, learning_starts=100, rng=0)
>>> with tempfile.TemporaryDirectory() as d:
...     path = os.path.join(d, "dqn.pt")
...     res.agent.save(path)
...     back = load_agent(path)
>>> obs = np.zeros((2, 4), dtype=np.float32)
>>> bool(np.array_equal(back.act(obs), res.agent.act(obs)))
True
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

import numpy as np

from rlcore.deep import require_torch, resolve_device
from rlcore.randomness import RNGLike, as_generator
from rlcore.results import Result
from tabular.deep._agent_common import encode
from rlcore.validation import (
    RNG,
    Bool,
    Device,
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    Path,
    Unchecked,
    validate_params,
)

__all__ = ["Agent", "DeepRLResult", "evaluate_agent", "load_agent"]

#: Checkpoint format tag.
CHECKPOINT_FORMAT = "rlref-agent-1"

#: The module that defines each agent kind (imported by :func:`load_agent`).
KIND_MODULES: dict[str, str] = {
    "dqn": "tabular.deep.dqn_agent",
    "ppo": "tabular.deep.ppo_agent",
    "sac": "tabular.deep.sac_agent",
    "dsac_t": "tabular.deep.sac_agent",
    "stream_q": "tabular.deep.streaming",
    "stream_ac": "tabular.deep.streaming",
    "stream_td": "tabular.deep.streaming",
}


@dataclass(frozen=True)
class AgentKind:
    """How to rebuild and run one kind of agent (registered by its module).

    ``build(config, torch, device, gen) -> dict[str, torch.nn.Module]`` builds the
    networks from the configuration; ``act(agent, x, deterministic, gen) -> ndarray``
    maps encoded observations ``x`` (a float32 tensor ``(n, d)`` on the agent's
    device) to environment actions (int64 ``(n,)`` or float64 ``(n, *shape)`` inside
    the bounds).
    """

    build: Callable[..., dict[str, Any]]
    act: Callable[..., np.ndarray]


_KINDS: dict[str, AgentKind] = {}


def register_agent_kind(kind: str, build: Callable[..., dict[str, Any]], act: Callable[..., np.ndarray]) -> None:
    """Register (or replace) the builder and actor of an agent kind (library-internal)."""
    _KINDS[kind] = AgentKind(build, act)


def _kind(kind: str) -> AgentKind:
    if kind not in _KINDS and kind in KIND_MODULES:
        importlib.import_module(KIND_MODULES[kind])
    if kind not in _KINDS:
        raise InvalidParameterError("path", f"the checkpoint names an unknown agent kind {kind!r}")
    return _KINDS[kind]


def _plain(value: Any, where: str) -> Any:
    """``value`` made of dicts, lists, str, int, float, bool and None only (checked)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, where) for k, v in value.items()}
    raise InvalidParameterTypeError(where, f"agent configuration holds a {type(value).__name__}")


class Agent:
    """A trained deep agent: its networks, what it needs to act, and its checkpoint.

    Parameters
    ----------
    kind : str
        ``"dqn"``, ``"ppo"``, ``"sac"``, ``"dsac_t"``, ``"stream_q"``, ``"stream_ac"``
        or ``"stream_td"``.
    config : dict
        Plain data (numbers, strings, lists, dicts): the network sizes, the observation
        encoding (``"n_states"`` for one-hot, else ``"obs_dim"``), the action space
        (``"n_actions"`` or ``"action_low"``/``"action_high"``) and the algorithm's own
        settings.
    networks : dict of str to torch.nn.Module
    device : torch.device
    obs_stats : dict of str to ndarray, optional
        Frozen observation normalisation (``"mean"``, ``"var"``) applied before the
        networks, for learners that scale observations online.

    Attributes
    ----------
    kind, config, networks, device, obs_stats
    """

    def __init__(
        self,
        kind: str,
        config: dict[str, Any],
        networks: dict[str, Any],
        device: Any,
        obs_stats: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.kind = kind
        self.config = _plain(config, "config")
        self.networks = networks
        self.device = device
        self.obs_stats = {k: np.asarray(v, dtype=np.float64) for k, v in (obs_stats or {}).items()}

    # ------------------------------------------------------------------ acting
    def encode(self, observations: Any) -> np.ndarray:
        """Raw observations as the float32 network input ``(n, d)`` (one-hot, flattened, normalised)."""
        n_states, d = self.config.get("n_states"), int(self.config["obs_dim"])
        obs = np.asarray(observations)
        if n_states is not None:
            if obs.dtype == bool or not np.issubdtype(obs.dtype, np.integer) or obs.ndim != 1:
                raise InvalidParameterTypeError(
                    "observations", f"expected a 1-D array of state indices, got {obs.dtype} {obs.shape}"
                )
            if obs.size and (obs.min() < 0 or obs.max() >= n_states):
                raise InvalidParameterError("observations", f"expected state indices in [0, {n_states})")
            return encode(obs, n_states, d)
        if obs.size % d or obs.ndim < 1 or (obs.ndim > 1 and int(np.prod(obs.shape[1:])) != d):
            raise InvalidParameterError(
                "observations", f"expected a batch of observations of {d} entries each, got shape {obs.shape}"
            )
        x = encode(obs, None, d)
        if "mean" in self.obs_stats:
            x = ((x - self.obs_stats["mean"]) / np.sqrt(self.obs_stats["var"] + 1e-8)).astype(np.float32)
        return x

    def act(self, observations: Any, *, deterministic: bool = True, rng: RNGLike = None) -> np.ndarray:
        """Actions for a batch of raw observations.

        Parameters
        ----------
        observations : array_like with leading axis ``n``
        deterministic : bool, default True
            The greedy action (value-based), the mode or mean (policy-based); otherwise a
            draw from the behaviour policy, from ``rng``.
        rng : Generator, int or None

        Returns
        -------
        ndarray
            int64 ``(n,)`` for a ``Discrete`` action space, float64 ``(n, *shape)`` in
            the bounds of a ``Box``.
        """
        torch = require_torch("Agent.act")
        x = torch.as_tensor(self.encode(observations), device=self.device)
        with torch.no_grad():
            return _kind(self.kind).act(self, x, bool(deterministic), as_generator(rng))

    def policy_table(self) -> np.ndarray:
        """The deterministic policy ``(S,)`` of a task with ``Discrete`` observations and actions.

        Returns
        -------
        ndarray of int64, shape (S,)
        """
        S = self.config.get("n_states")
        if S is None or self.config.get("n_actions") is None:
            raise InvalidParameterError("self", "policy_table needs Discrete observations and actions (a tabular task)")
        return np.asarray(self.act(np.arange(S)), dtype=np.int64)

    # ------------------------------------------------------------------ checkpoints
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write a checkpoint: ``torch.save`` of state dicts and plain configuration data.

        Parameters
        ----------
        path : str or os.PathLike
        """
        torch = require_torch("Agent.save")
        payload = {
            "format": CHECKPOINT_FORMAT,
            "kind": self.kind,
            "config": self.config,
            "state_dicts": {
                k: {n: t.detach().cpu() for n, t in m.state_dict().items()} for k, m in self.networks.items()
            },
            "obs_stats": {k: torch.as_tensor(v) for k, v in self.obs_stats.items()},
        }
        torch.save(payload, os.fspath(path))

    def __repr__(self) -> str:
        return f"Agent(kind={self.kind!r}, networks={sorted(self.networks)})"


@validate_params(path=Path(), device=Device())
def load_agent(path: str | os.PathLike[str], *, device: Any = "cpu") -> Agent:
    """Read a checkpoint written by :meth:`Agent.save` (``torch.load(weights_only=True)``).

    Parameters
    ----------
    path : str or os.PathLike
    device : str or torch.device, default "cpu"

    Returns
    -------
    Agent

    Raises
    ------
    ValueError
        A file that is not such a checkpoint (the message starts with ``path``).
    """
    torch = require_torch("load_agent")
    dev = resolve_device(device)
    try:
        payload = torch.load(os.fspath(path), map_location=dev, weights_only=True)
    except Exception as exc:
        raise InvalidParameterError("path", f"not a readable agent checkpoint ({type(exc).__name__}: {exc})") from exc
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise InvalidParameterError("path", f"not an agent checkpoint of format {CHECKPOINT_FORMAT!r}")
    kind = _kind(str(payload["kind"]))
    config = payload["config"]
    nets = kind.build(config, torch, dev, np.random.default_rng(0))
    for name, sd in payload["state_dicts"].items():
        if name not in nets:
            raise InvalidParameterError("path", f"the checkpoint holds an unknown network {name!r}")
        nets[name].load_state_dict(sd)
    stats = {k: v.cpu().numpy() for k, v in payload.get("obs_stats", {}).items()}
    return Agent(str(payload["kind"]), config, nets, dev, stats)


@dataclass(frozen=True, repr=False)
class DeepRLResult(Result):
    """The outcome of training a deep agent on a task.

    Attributes
    ----------
    algorithm : str
    agent : Agent
        The trained agent (acting, exact policy table, checkpoints).
    n_steps : int
        Environment steps of training (over all parallel environments).
    n_updates : int
        Gradient (or optimiser) steps taken.
    episode_end_steps : ndarray of int64, shape (n_episodes,)
        The training step at which each finished training episode ended.
    episode_returns, episode_lengths : ndarray, shape (n_episodes,)
        Undiscounted return and length of each finished training episode.
    eval_steps : ndarray of int64, shape (n_evals,)
        Training steps at each evaluation.
    eval_returns : ndarray of float64, shape (n_evals, n_eval_episodes)
        Returns of the evaluation episodes (deterministic policy, separate environment).
    wall_time : float
        Seconds of training, evaluation included.
    eval_time : float
        Seconds spent in evaluation.
    """

    algorithm: str
    agent: Agent
    n_steps: int
    n_updates: int
    episode_end_steps: np.ndarray
    episode_returns: np.ndarray
    episode_lengths: np.ndarray
    eval_steps: np.ndarray
    eval_returns: np.ndarray
    wall_time: float
    eval_time: float

    @property
    def final_return(self) -> float:
        """Mean return of the last evaluation (NaN-free: ``-inf`` when none was run)."""
        return float(self.eval_returns[-1].mean()) if self.eval_returns.shape[0] else float("-inf")

    @property
    def steps_per_second(self) -> float:
        """Training environment steps per second of training time (evaluation excluded)."""
        t = self.wall_time - self.eval_time
        return float(self.n_steps / t) if t > 0 else float("inf")

    def to_record(self) -> dict[str, Any]:
        """A JSON-able summary for :func:`rlcore.experiments.run_sweep`: the curves as lists.

        Returns
        -------
        dict
            ``final_return``, ``eval_steps``, ``eval_mean``, ``episode_end_steps``,
            ``episode_returns``, ``n_steps``, ``n_updates``, ``steps_per_second``.
        """
        return {
            "algorithm": self.algorithm,
            "final_return": self.final_return,
            "eval_steps": self.eval_steps.tolist(),
            "eval_mean": self.eval_returns.mean(axis=1).tolist() if self.eval_returns.size else [],
            "episode_end_steps": self.episode_end_steps.tolist(),
            "episode_returns": self.episode_returns.tolist(),
            "n_steps": int(self.n_steps),
            "n_updates": int(self.n_updates),
            "steps_per_second": self.steps_per_second,
        }

    def replace(self, **changes: Any) -> DeepRLResult:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@validate_params(
    env=Unchecked("an env id, a gymnasium Env/VectorEnv, a factory or a GymnasiumSimulator; checked by as_task"),
    agent=Instance(Agent),
    n_episodes=Integer(1, 10**6),
    rng=RNG(),
    deterministic=Bool(),
    max_steps=Integer(1, 10**9) | None,
)
def evaluate_agent(
    env: Any,
    agent: Agent,
    n_episodes: int = 10,
    *,
    rng: RNGLike = None,
    deterministic: bool = True,
    max_steps: int | None = None,
) -> np.ndarray:
    """Returns of ``n_episodes`` episodes of ``agent`` on ``env`` (undiscounted, to the episode's end).

    Parameters
    ----------
    env : str, gymnasium.Env, VectorEnv, callable or GymnasiumSimulator
        The evaluation environment (never pass the one being trained on).
    agent : Agent
    n_episodes : int in [1, 10**6]
    rng : Generator, int or None
    deterministic : bool, default True
    max_steps : int in [1, 10**9], optional
        Cut episodes after this many steps; required when the environment has no time
        limit of its own.

    Returns
    -------
    ndarray of float64, shape (n_episodes,)

    Examples
    --------
    >>> from tabular.deep import train_dqn
    >>> agent = train_dqn("CartPole-v1", total_steps=200, learning_starts=100, rng=0).agent
    >>> returns = evaluate_agent("CartPole-v1", agent, n_episodes=3, rng=1)
    >>> returns.shape, bool((returns >= 1).all() and (returns <= 500).all())
    ((3,), True)
    """
    from tabular.deep._agent_common import as_task, run_episodes

    task = as_task(env)
    gen = as_generator(rng)
    return run_episodes(
        task, lambda obs: agent.act(obs, deterministic=deterministic, rng=gen), n_episodes, gen, max_steps
    )
