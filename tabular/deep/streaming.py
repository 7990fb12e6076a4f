"""Streaming deep RL: stream-Q(lambda), stream-AC(lambda) and stream-TD(lambda) (Elsayed et al. 2024).

The learners of "Streaming Deep Reinforcement Learning Finally Works": one environment,
one transition at a time, **no replay buffer, no target network, batch size 1**. Each
transition is used once, by an eligibility-trace update with :class:`ObGD`, the
overshooting-bounded step (see :mod:`tabular.deep._obgd`), on networks built for it:

* :func:`rlcore.deep.build_mlp` with ``layer_norm=True`` (no affine parameters; leaky
  ReLU by default, as the authors' code), re-initialised by :func:`sparse_init_`;
* observations normalised online (running mean and variance; each observation once, with
  the statistics at its arrival; not ``Discrete``, one-hot, ones); rewards divided by the
  running standard deviation of the discounted return ``u <- gamma u + r`` (reset at
  episode ends). The TD error bootstraps from ``S'`` unless the episode *terminated*: a
  truncation bootstraps from the true final observation (Pardo et al. 2018; the authors'
  code treats it as terminal). Traces are zeroed at every episode end.

* :func:`train_stream_q`, ``delta = R + gamma max_a Q(S', a) - Q(S, A)``, the traced
  output ``Q(S, A)``, epsilon-greedy with epsilon linear from ``epsilon_start`` to
  ``epsilon_end`` over the first ``exploration_fraction`` of the steps, traces also
  zeroed after a non-greedy action (Watkins's Q(lambda)).
* :func:`train_stream_ac`, a critic ``V`` by TD(lambda) (``kappa_value``) and an actor by
  the traced ``log pi(A|S) + entropy_coef * sign(delta) * H(pi(.|S))`` moved along
  ``delta`` (``kappa_policy``). ``Discrete`` actions: a softmax policy. ``Box`` actions:
  a Gaussian with mean ``mu(S)`` and standard deviation ``softplus(.)``, its draw
  **clipped** to the bounds before the environment sees it (the log-probability is the
  unclipped draw's, as with Gymnasium's ``ClipAction`` wrapper of the authors' code);
  acting deterministically takes the clipped mean.
* :func:`train_stream_td`, the value ``V^pi`` of a given policy (prediction): rewards
  are not scaled by default, so :func:`value_of` reads ``V^pi`` in the task's units.

Every run is one environment (``n_envs`` must be 1) and all randomness comes from
``rng``. At the end, the observation statistics are frozen into the agent
(``Agent(obs_stats={"mean", "var"})``); during training the agent acts on the running
ones. The authors' time-step feature (``AddTimeInfo``) is not added.

References
----------
M. Elsayed, G. Vasan and A. R. Mahmood, "Streaming Deep Reinforcement Learning Finally
Works", arXiv:2410.14606, 2024 (Algorithms 3-6; defaults gamma 0.99, lambda 0.8,
learning_rate 1.0, kappa 2.0 for values, 3.0 for the policy, entropy 0.01; classic-control widths
32 (Q) and 128 (AC) and exploration fraction 0.05, from the authors' public code).

F. Pardo, A. Tavakoli, V. Levdik and P. Kormushev, "Time limits in reinforcement
learning", ICML 2018.
"""

from __future__ import annotations

import time
from typing import Any
from collections.abc import Callable

import numpy as np

from rlcore.deep import require_torch
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike
from rlcore.validation import (
    RNG,
    Bool,
    Device,
    Instance,
    Integer,
    InvalidParameterError,
    IsCallable,
    Options,
    Real,
    Unchecked,
    validate_params,
)
from tabular.deep._agent_common import (
    ENV,
    EVAL_ENV,
    EVAL_EVERY,
    GAMMA,
    MAX_EPISODE_STEPS,
    N_EVAL_EPISODES,
    TOTAL_STEPS,
    Evaluator,
    eval_task,
)
from tabular.deep._common import HIDDEN_SIZES
from tabular.deep._obgd import (
    MAX_KAPPA,
    ObGD,
    _finish,
    _gaussian,
    _mlp,
    _sample_categorical,
    _setup,
    _Stream,
    sparse_init_,
)
from tabular.deep.agent import Agent, DeepRLResult, register_agent_kind

__all__ = ["ObGD", "sparse_init_", "train_stream_ac", "train_stream_q", "train_stream_td", "value_of"]

UNIT, KAPPA = Real(0, 1), Real(0, MAX_KAPPA, closed="right")
ACTIVATION = Options("leaky_relu", "relu", "tanh", "gelu", "silu", "elu")


# ----------------------------------------------------------------------------- networks
def _build_q(cfg: dict[str, Any], torch: Any, dev: Any, gen: np.random.Generator) -> dict[str, Any]:
    return {"q": _mlp([cfg["obs_dim"], *cfg["hidden_sizes"], cfg["n_actions"]], cfg, torch, dev, gen)}


def _n_policy_out(cfg: dict[str, Any]) -> int:
    if cfg["n_actions"] is not None:
        return int(cfg["n_actions"])
    return 2 * len(cfg["action_low"])


def _build_ac(cfg: dict[str, Any], torch: Any, dev: Any, gen: np.random.Generator) -> dict[str, Any]:
    d, hidden = cfg["obs_dim"], cfg["hidden_sizes"]
    actor = _mlp([d, *hidden, _n_policy_out(cfg)], cfg, torch, dev, gen)
    critic = _mlp([d, *hidden, 1], cfg, torch, dev, gen)
    return {"actor": actor, "critic": critic}


def _build_td(cfg: dict[str, Any], torch: Any, dev: Any, gen: np.random.Generator) -> dict[str, Any]:
    return {"v": _mlp([cfg["obs_dim"], *cfg["hidden_sizes"], 1], cfg, torch, dev, gen)}


# ----------------------------------------------------------------------------- acting
def _act_q(agent: Agent, x: Any, deterministic: bool, gen: np.random.Generator) -> np.ndarray:
    greedy = agent.networks["q"](x).argmax(dim=1).cpu().numpy().astype(np.int64)
    if deterministic:
        return greedy
    n, A = greedy.shape[0], int(agent.config["n_actions"])
    explore = gen.random(n) < float(agent.config["epsilon_end"])
    return np.where(explore, gen.integers(0, A, size=n), greedy).astype(np.int64)


def _act_ac(agent: Agent, x: Any, deterministic: bool, gen: np.random.Generator) -> np.ndarray:
    torch = require_torch("Agent.act")
    cfg = agent.config
    out = agent.networks["actor"](x)
    if cfg["n_actions"] is not None:
        logits = out.cpu().numpy().astype(np.float64)
        return logits.argmax(axis=1).astype(np.int64) if deterministic else _sample_categorical(logits, gen)
    mu, std = _gaussian(out, torch)
    a = mu.cpu().numpy().astype(np.float64)
    if not deterministic:
        a = a + std.cpu().numpy().astype(np.float64) * gen.standard_normal(a.shape)
    a = np.clip(a, cfg["action_low"], cfg["action_high"])
    return a.reshape(a.shape[0], *cfg["action_shape"])


def _act_td(agent: Agent, x: Any, deterministic: bool, gen: np.random.Generator) -> np.ndarray:
    raise InvalidParameterError(
        "self", "a stream_td agent predicts the value of the policy it was given; it has no policy of its own"
    )


register_agent_kind("stream_q", _build_q, _act_q)
register_agent_kind("stream_ac", _build_ac, _act_ac)
register_agent_kind("stream_td", _build_td, _act_td)


@validate_params(agent=Instance(Agent), observations=Unchecked("raw observations; checked by Agent.encode"))
def value_of(agent: Agent, observations: Any) -> np.ndarray:
    """The value estimate of a streaming agent at a batch of raw observations.

    ``V(s)`` of a ``"stream_td"`` agent (``networks["v"]``), the critic of a
    ``"stream_ac"`` one, ``max_a Q(s, a)`` of a ``"stream_q"`` one, after the frozen
    observation normalisation; in the units learned in (the task's for
    :func:`train_stream_td`, whose rewards are not scaled by default).

    Parameters
    ----------
    agent : Agent
        Of kind ``"stream_td"``, ``"stream_ac"`` or ``"stream_q"``.
    observations : array_like with leading axis ``n``

    Returns
    -------
    ndarray of float64, shape (n,)

    Guarantee
    ---------
    None: reads the network. How close it is to ``V^pi`` is tested by
    ``tests/tabular/deep/test_streaming.py::test_stream_td_predicts_the_exact_value``.

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> from rlcore.gym import as_gymnasium_env
    >>> env = as_gymnasium_env(chain(3, gamma=0.9), max_episode_steps=20)
    >>> pi = lambda obs: np.zeros(len(obs), dtype=np.int64)
    >>> res = train_stream_td(env, pi, total_steps=50, hidden_sizes=(8,), n_eval_episodes=1, rng=0)
    >>> value_of(res.agent, np.arange(3)).shape
    (3,)
    """
    torch = require_torch("value_of")
    heads = {"stream_td": "v", "stream_ac": "critic", "stream_q": "q"}
    if agent.kind not in heads:
        raise InvalidParameterError("agent", f"expected a streaming agent, got kind {agent.kind!r}")
    x = torch.as_tensor(agent.encode(observations), device=agent.device)
    with torch.no_grad():
        out = agent.networks[heads[agent.kind]](x)
    v = out.max(dim=1).values if agent.kind == "stream_q" else out[:, 0]
    return v.double().cpu().numpy()


_COMMON = dict(
    env=ENV,
    total_steps=TOTAL_STEPS,
    hidden_sizes=HIDDEN_SIZES,
    activation=ACTIVATION,
    sparsity=Real(0, 1, closed="left"),
    learning_rate=Real(0, 10, closed="right"),
    lamda=UNIT,
    normalize_observations=Bool(),
    scale_rewards=Bool(),
    gamma=GAMMA,
    n_envs=Integer(1, 1),
    eval_env=EVAL_ENV,
    eval_every=EVAL_EVERY,
    n_eval_episodes=N_EVAL_EPISODES,
    max_episode_steps=MAX_EPISODE_STEPS,
    device=Device(),
    rng=RNG(),
    progress=PROGRESS,
)

_COMMON_DOC = """    hidden_sizes : tuple of int, or int
        Hidden widths (LayerNorm and the activation after each).
    activation : {"leaky_relu", "relu", "tanh", "gelu", "silu", "elu"}, default "leaky_relu"
    sparsity : float in [0, 1), default 0.9
        Share of each unit's input weights zeroed at initialisation (:func:`sparse_init_`).
    learning_rate : float in (0, 10], default 1.0
        ObGD step size before bounding.
    lamda : float in [0, 1], default 0.8
        Trace decay.
    normalize_observations, scale_rewards : bool, default True
        Online observation normalisation (not for ``Discrete`` observations) and reward
        scaling by the running standard deviation of the discounted return.
    gamma : float in [0, 1), default 0.99
    n_envs : 1
        Streaming learns from one environment (batch size 1); other values are refused.
    eval_env : env, optional
        Evaluation environment (default: a fresh copy of ``env``).
    eval_every : int, optional
        Training steps between evaluations (one at the end always).
    n_eval_episodes : int in [1, 10**4], default 10
    max_episode_steps : int, optional
        Episode cut for simulators without a time limit of their own.
    device : str or torch.device, default "cpu"
    rng : Generator, int or None
        All randomness: initialisation, exploration, environments, evaluation.
    progress : bool or None
"""


def _doc(f: Any) -> Any:
    f.__doc__ = f.__doc__.replace("    <common>\n", _COMMON_DOC)
    return f


# ----------------------------------------------------------------------------- stream-Q(lambda)
@validate_params(
    **_COMMON,
    kappa=KAPPA,
    epsilon_start=UNIT,
    epsilon_end=UNIT,
    exploration_fraction=UNIT,
)
@_doc
def train_stream_q(
    env: Any,
    *,
    total_steps: int,
    kappa: float = 2.0,
    epsilon_start: float = 1.0,
    epsilon_end: float = 0.01,
    exploration_fraction: float = 0.05,
    hidden_sizes: Any = (32, 32),
    activation: str = "leaky_relu",
    sparsity: float = 0.9,
    learning_rate: float = 1.0,
    lamda: float = 0.8,
    normalize_observations: bool = True,
    scale_rewards: bool = True,
    gamma: float = 0.99,
    n_envs: int = 1,
    eval_env: Any = None,
    eval_every: int | None = None,
    n_eval_episodes: int = 10,
    max_episode_steps: int | None = None,
    device: Any = "cpu",
    rng: RNGLike = None,
    progress: bool | None = None,
) -> DeepRLResult:
    """Stream Q(lambda): Watkins's Q(lambda) with ObGD, one transition at a time (Elsayed et al. 2024).

    Parameters
    ----------
    env : str, gymnasium.Env, callable, GymnasiumSimulator or simulator
        A task with ``Discrete`` actions.
    total_steps : int
        Environment steps (= updates).
    kappa : float in (0, 1e6], default 2.0
        ObGD's overshooting bound.
    epsilon_start, epsilon_end : float in [0, 1], default 1.0 and 0.01
    exploration_fraction : float in [0, 1], default 0.05
        Share of ``total_steps`` over which epsilon decays linearly.
    <common>

    Returns
    -------
    DeepRLResult
        ``algorithm="stream_q"``; ``agent`` of kind ``"stream_q"`` (network ``"q"``).

    Guarantee
    ---------
    None: heuristic. Its updates are ObGD steps (see :class:`ObGD` for what those
    guarantee). Tested empirically by
    ``tests/tabular/deep/test_streaming.py::test_learners_reach_near_optimal_policies``.

    Examples
    --------
    >>> res = train_stream_q("CartPole-v1", total_steps=200, n_eval_episodes=1, rng=0)
    >>> res.algorithm, res.n_steps, res.n_updates
    ('stream_q', 200, 200)
    """
    torch, dev, gen, task, cfg = _setup(
        env,
        {"activation": activation, "sparsity": sparsity, "epsilon_end": epsilon_end},
        hidden_sizes,
        device,
        rng,
        max_episode_steps,
    )
    if cfg["n_actions"] is None:
        raise InvalidParameterError("env", "stream-Q needs a Discrete action space")
    net = _build_q(cfg, torch, dev, gen)["q"]
    agent = Agent("stream_q", cfg, {"q": net}, dev)
    opt = ObGD(net.parameters(), learning_rate=learning_rate, gamma=gamma, lamda=lamda, kappa=kappa)
    params = opt.params
    ev = Evaluator(eval_task(env, eval_env, max_episode_steps), n_eval_episodes, eval_every, gen)
    stream = _Stream(task, gen, gamma, normalize_observations, scale_rewards)
    A = int(cfg["n_actions"])
    decay = exploration_fraction * total_steps
    act_buf = np.zeros(1, dtype=np.int64)

    def act(o: Any) -> np.ndarray:
        return agent.act(o)

    t0 = time.perf_counter()
    with progress_bar(total_steps, desc="stream_q", progress=progress, unit="step") as bar:
        for t in range(total_steps):
            eps = epsilon_end if t >= decay else epsilon_start + (epsilon_end - epsilon_start) * t / decay
            q = net(torch.from_numpy(stream.x).to(dev))[0]
            greedy = int(q.detach().argmax())
            a = greedy
            if gen.random() < eps:
                a = int(gen.integers(0, A))
            act_buf[0] = a
            x_final, r, term, ended = stream.step(act_buf)
            with torch.no_grad():
                nxt = 0.0 if term else float(net(torch.from_numpy(x_final).to(dev)).max())
            q_sa = q[a]
            delta = r + gamma * nxt - float(q_sa.detach())
            for p in params:
                p.grad = None
            q_sa.backward()
            opt._step(delta, ended or a != greedy)
            if ev.due(stream.runner.steps):
                agent.obs_stats = stream.stats() or {}
                ev.run(stream.runner.steps, act)
            bar.update(1)
    return _finish("stream_q", agent, stream, ev, act, total_steps, t0)


# ----------------------------------------------------------------------------- stream-AC(lambda)
@validate_params(
    **_COMMON,
    kappa_value=KAPPA,
    kappa_policy=KAPPA,
    entropy_coef=Real(0, 1e3),
)
@_doc
def train_stream_ac(
    env: Any,
    *,
    total_steps: int,
    kappa_value: float = 2.0,
    kappa_policy: float = 3.0,
    entropy_coef: float = 0.01,
    hidden_sizes: Any = (128, 128),
    activation: str = "leaky_relu",
    sparsity: float = 0.9,
    learning_rate: float = 1.0,
    lamda: float = 0.8,
    normalize_observations: bool = True,
    scale_rewards: bool = True,
    gamma: float = 0.99,
    n_envs: int = 1,
    eval_env: Any = None,
    eval_every: int | None = None,
    n_eval_episodes: int = 10,
    max_episode_steps: int | None = None,
    device: Any = "cpu",
    rng: RNGLike = None,
    progress: bool | None = None,
) -> DeepRLResult:
    """Stream AC(lambda): actor-critic with TD(lambda) critic and ObGD on both (Elsayed et al. 2024).

    Parameters
    ----------
    env : str, gymnasium.Env, callable, GymnasiumSimulator or simulator
        ``Discrete`` actions (softmax policy) or ``Box`` actions with finite bounds
        (Gaussian policy, its draw clipped to the bounds).
    total_steps : int
        Environment steps (= updates of each network).
    kappa_value, kappa_policy : float in (0, 1e6], default 2.0 and 3.0
        ObGD bounds of the critic and the actor.
    entropy_coef : float in [0, 1000], default 0.01
    <common>

    Returns
    -------
    DeepRLResult
        ``algorithm="stream_ac"``; ``agent`` of kind ``"stream_ac"`` (networks
        ``"actor"``, ``"critic"``).

    Guarantee
    ---------
    None: heuristic. Tested empirically by
    ``tests/tabular/deep/test_streaming.py::test_learners_reach_near_optimal_policies``.

    Examples
    --------
    >>> res = train_stream_ac("Pendulum-v1", total_steps=50, hidden_sizes=(8,), n_eval_episodes=1, rng=0)
    >>> res.agent.act(np.zeros((1, 3))).shape
    (1, 1)
    """
    torch, dev, gen, task, cfg = _setup(
        env, {"activation": activation, "sparsity": sparsity}, hidden_sizes, device, rng, max_episode_steps
    )
    nets = _build_ac(cfg, torch, dev, gen)
    actor, critic = nets["actor"], nets["critic"]
    agent = Agent("stream_ac", cfg, nets, dev)
    opt_v = ObGD(critic.parameters(), learning_rate=learning_rate, gamma=gamma, lamda=lamda, kappa=kappa_value)
    opt_p = ObGD(actor.parameters(), learning_rate=learning_rate, gamma=gamma, lamda=lamda, kappa=kappa_policy)
    ev = Evaluator(eval_task(env, eval_env, max_episode_steps), n_eval_episodes, eval_every, gen)
    stream = _Stream(task, gen, gamma, normalize_observations, scale_rewards)
    discrete = cfg["n_actions"] is not None
    lo = None if discrete else np.asarray(cfg["action_low"])
    hi = None if discrete else np.asarray(cfg["action_high"])
    shape = None if discrete else (1, *cfg["action_shape"])
    act_buf = np.zeros(1, dtype=np.int64)
    F = torch.nn.functional
    half_log_2pi = 0.5 * float(np.log(2 * np.pi))

    def act(o: Any) -> np.ndarray:
        return agent.act(o)

    t0 = time.perf_counter()
    with progress_bar(total_steps, desc="stream_ac", progress=progress, unit="step") as bar:
        for _ in range(total_steps):
            x = stream.x
            out = actor(torch.from_numpy(x).to(dev))
            if discrete:
                logp_all = F.log_softmax(out[0], dim=0)
                a = int(_sample_categorical(logp_all.detach().cpu().numpy()[None].astype(np.float64), gen)[0])
                act_buf[0] = a
                x_final, r, term, ended = stream.step(act_buf)
                logp = logp_all[a]
                entropy = -(logp_all.exp() * logp_all).sum()
            else:
                mu, std = _gaussian(out, torch)
                noise = gen.standard_normal(mu.shape[1])
                draw = mu.detach().cpu().numpy()[0].astype(np.float64) + std.detach().cpu().numpy()[0] * noise
                x_final, r, term, ended = stream.step(np.clip(draw, lo, hi).reshape(shape))
                a_t = torch.as_tensor(draw, dtype=mu.dtype, device=dev)
                log_std = std[0].log()
                logp = (-0.5 * ((a_t - mu[0]) / std[0]) ** 2 - log_std - half_log_2pi).sum()
                entropy = (0.5 + half_log_2pi + log_std).sum()
            v = critic(torch.from_numpy(np.concatenate([x, x_final])).to(dev))
            v_s = v[0, 0]
            delta = r + (0.0 if term else gamma * float(v[1, 0].detach())) - float(v_s.detach())
            for p in opt_v.params:
                p.grad = None
            for p in opt_p.params:
                p.grad = None
            v_s.backward()
            (logp + entropy_coef * float(np.sign(delta)) * entropy).backward()
            opt_v._step(delta, ended)
            opt_p._step(delta, ended)
            if ev.due(stream.runner.steps):
                agent.obs_stats = stream.stats() or {}
                ev.run(stream.runner.steps, act)
            bar.update(1)
    return _finish("stream_ac", agent, stream, ev, act, total_steps, t0)


# ----------------------------------------------------------------------------- stream-TD(lambda)
@validate_params(
    env=ENV,
    policy=Instance(Agent) | IsCallable("a callable policy(raw_observations) -> actions"),
    **{k: v for k, v in _COMMON.items() if k != "env"},
    kappa=KAPPA,
)
@_doc
def train_stream_td(
    env: Any,
    policy: Any,
    *,
    total_steps: int,
    kappa: float = 2.0,
    hidden_sizes: Any = (128, 128),
    activation: str = "leaky_relu",
    sparsity: float = 0.9,
    learning_rate: float = 1.0,
    lamda: float = 0.8,
    normalize_observations: bool = True,
    scale_rewards: bool = False,
    gamma: float = 0.99,
    n_envs: int = 1,
    eval_env: Any = None,
    eval_every: int | None = None,
    n_eval_episodes: int = 10,
    max_episode_steps: int | None = None,
    device: Any = "cpu",
    rng: RNGLike = None,
    progress: bool | None = None,
) -> DeepRLResult:
    """Stream TD(lambda): the value of a given policy, learned with ObGD one transition at a time.

    Parameters
    ----------
    env : str, gymnasium.Env, callable, GymnasiumSimulator or simulator
    policy : callable or Agent
        ``policy(raw_observations) -> actions`` for a batch of one observation (int64
        ``(1,)`` or float ``(1, *shape)``), or an :class:`Agent` (its deterministic
        ``act``).
    total_steps : int
        Environment steps (= updates).
    kappa : float in (0, 1e6], default 2.0
    <common>
        Here ``scale_rewards`` defaults to False, so that the value is in the task's units.

    Returns
    -------
    DeepRLResult
        ``algorithm="stream_td"``; ``agent`` of kind ``"stream_td"`` holding the value
        network ``networks["v"]``: read ``V`` with :func:`value_of`. The agent has no
        policy (``act`` raises); the evaluation episodes run ``policy``.

    Guarantee
    ---------
    None: heuristic (nonlinear TD). Tested empirically against the exact ``V^pi`` by
    ``tests/tabular/deep/test_streaming.py::test_stream_td_predicts_the_exact_value``.

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> from rlcore.gym import as_gymnasium_env
    >>> env = as_gymnasium_env(chain(3, gamma=0.9), max_episode_steps=20)
    >>> pi = lambda obs: np.zeros(len(obs), dtype=np.int64)
    >>> res = train_stream_td(env, pi, total_steps=50, hidden_sizes=(8,), n_eval_episodes=1, rng=0)
    >>> res.algorithm, res.agent.kind
    ('stream_td', 'stream_td')
    """
    torch, dev, gen, task, cfg = _setup(
        env, {"activation": activation, "sparsity": sparsity}, hidden_sizes, device, rng, max_episode_steps
    )
    net = _build_td(cfg, torch, dev, gen)["v"]
    agent = Agent("stream_td", cfg, {"v": net}, dev)
    opt = ObGD(net.parameters(), learning_rate=learning_rate, gamma=gamma, lamda=lamda, kappa=kappa)
    pi: Callable[[Any], Any] = policy.act if isinstance(policy, Agent) else policy
    ev = Evaluator(eval_task(env, eval_env, max_episode_steps), n_eval_episodes, eval_every, gen)
    stream = _Stream(task, gen, gamma, normalize_observations, scale_rewards)

    def act(o: Any) -> np.ndarray:
        return np.asarray(pi(o))

    t0 = time.perf_counter()
    with progress_bar(total_steps, desc="stream_td", progress=progress, unit="step") as bar:
        for _ in range(total_steps):
            x = stream.x
            x_final, r, term, ended = stream.step(act(stream.runner.obs))
            v = net(torch.from_numpy(np.concatenate([x, x_final])).to(dev))
            v_s = v[0, 0]
            delta = r + (0.0 if term else gamma * float(v[1, 0].detach())) - float(v_s.detach())
            for p in opt.params:
                p.grad = None
            v_s.backward()
            opt._step(delta, ended)
            if ev.due(stream.runner.steps):
                ev.run(stream.runner.steps, act)
            bar.update(1)
    return _finish("stream_td", agent, stream, ev, act, total_steps, t0)
