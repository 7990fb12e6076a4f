"""DQN on Gymnasium tasks with a value head chosen by its loss (kind ``"dqn"``).

:func:`train_dqn` is the DQN of Mnih et al. (2015) with the options of its descendants:
double Q-learning targets (van Hasselt et al. 2016), n-step returns, and the value heads
of :mod:`tabular.deep.value_heads` (the regression losses ``"mse"``/``"huber"``, the
classification losses ``"hl_gauss"``/``"two_hot"`` of Farebrother et al. 2024, the
distributional ``"c51"`` and ``"quantile"`` heads). An MLP ``Q_theta`` of width
``A * k`` (``k`` outputs per action) is trained on minibatches drawn uniformly, with
replacement, from a replay buffer of the last ``buffer_size`` n-step transitions
``(x, a, R, x', d)``::

    R = sum_{i<k} gamma^i r_i        k = n_step, or fewer where the episode ended first
    d = gamma^k   if the target bootstraps from x' (no termination within the k steps;
                  a truncation - a time limit - bootstraps from the episode's final
                  observation with the power of gamma of the steps actually taken)
    d = 0         if the episode terminated within the k steps
    a* = argmax_a Q_theta(x', a)   (double)   or   argmax_a Q_theta^-(x', a)   (not double)
    target = head.target(output of Q_theta^- at (x', a*), R, d)

Schedule (Stable-Baselines3's ``DQN``, whose semantics are matched exactly):

* the first ``learning_starts`` environment steps take uniform random actions; then
  actions are epsilon-greedy with ``epsilon`` decreasing linearly from
  ``exploration_initial_eps`` to ``exploration_final_eps`` over the first
  ``exploration_fraction * total_steps`` environment steps (the action taken after
  ``t`` steps uses ``epsilon(t / total_steps)``);
* every ``train_freq`` vector steps (``train_freq * n_envs`` environment steps), once
  more than ``learning_starts`` environment steps were taken, ``gradient_steps``
  Adam steps on minibatches of ``batch_size``, each gradient clipped to norm
  ``max_grad_norm``;
* the target network is copied from the online one every
  ``max(target_update_interval // n_envs, 1)`` vector steps: the interval counts
  **environment steps**, not gradient steps (SB3's ``DQN._on_step``, called once per
  ``env.step``), so with the RL Zoo's CartPole settings (``train_freq=256``,
  ``target_update_interval=10``) the target network is the online network as it was
  at the start of each phase of 128 gradient steps.

Because the target network never changes inside a phase of gradient steps, its outputs
for all the phase's minibatches are computed in one batched forward pass; the update
is the same as one forward pass per minibatch.

The defaults are the RL Zoo's CartPole-v1 settings (learning rate 2.3e-3, batch 64,
buffer 100 000, 1 000 learning starts, gamma 0.99, ``target_update_interval=10``,
``train_freq=256``, ``gradient_steps=128``, exploration fraction 0.16 to 0.04, a
(256, 256) ReLU network, gradient norm 10) with ``loss="huber"`` and ``double=True``;
``loss="huber", double=False, n_step=1`` is SB3's DQN. Measured on CartPole-v1 (one
thread; a benchmark, not a test): with ``loss="hl_gauss", v_min=0, v_max=110`` and the
other defaults, the final evaluation (10 episodes) returned 500 on each of seeds 0-4
after the Zoo's 50 000 steps; with ``loss="huber"`` seed 0 ended at 226 (``double=False``)
and 310 (``double=True``).

Guarantee
---------
None: heuristic (deep Q-learning with bootstrapping may diverge). Tested: the n-step
transitions against a hand-enumerated episode with a truncation and a termination
(``tests/tabular/deep/test_dqn_agent.py::test_n_step_transitions_by_hand``), the double
and single targets against hand-computed ones
(``tests/tabular/deep/test_dqn_agent.py::test_double_and_single_targets``), and the
exact value of the learned policy on a small discounted MDP
(``tests/tabular/deep/test_dqn_agent.py::test_finite_mdp_policy_near_optimal``).

References
----------
.. [1] Mnih, V. et al. (2015). Human-level control through deep reinforcement learning.
   *Nature* 518:529-533.
.. [2] van Hasselt, H., Guez, A. and Silver, D. (2016). Deep reinforcement learning with
   double Q-learning. *AAAI 2016*.
.. [3] Sutton, R. S. and Barto, A. G. (2018). *Reinforcement Learning: An
   Introduction*, 2nd ed., Section 7.1 (n-step returns); Hessel, M. et al. (2018).
   Rainbow. *AAAI 2018* (multi-step targets in DQN).
.. [4] Farebrother, J. et al. (2024). Stop regressing: training value functions via
   classification for scalable deep RL. *ICML 2024*.
.. [5] Raffin, A. et al. (2021). Stable-Baselines3: reliable reinforcement learning
   implementations. *JMLR* 22(268); the RL Zoo's ``hyperparams/dqn.yml``.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np

from rlcore.deep import build_mlp, require_torch, resolve_device
from rlcore.deep.targets import MAX_BINS
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import (
    MAX_ITERATIONS,
    RNG,
    Bool,
    Device,
    Integer,
    InvalidParameterError,
    Options,
    Real,
    validate_params,
)
from tabular.deep._agent_common import (
    ENV,
    EVAL_ENV,
    EVAL_EVERY,
    GAMMA,
    LR,
    MAX_EPISODE_STEPS,
    N_ENVS,
    N_EVAL_EPISODES,
    TOTAL_STEPS,
    EnvRunner,
    Evaluator,
    as_task,
    eval_task,
    finish,
    task_config,
)
from tabular.deep._common import HIDDEN_SIZES, hidden_tuple
from tabular.deep.agent import Agent, DeepRLResult, register_agent_kind
from tabular.deep.value_heads import LOSSES, MAX_SUPPORT, ValueHead, value_head

__all__ = ["train_dqn"]

#: Most transitions in the replay buffer.
MAX_BUFFER = 10**8
_UNIT = Real(0, 1)


def _head(cfg: dict[str, Any]) -> ValueHead:
    return value_head(**cfg["head"])


def _build(cfg: dict[str, Any], torch: Any, dev: Any, gen: np.random.Generator) -> dict[str, Any]:
    """The online Q-network ``(d -> A * k)`` (the target network is a training-time copy)."""
    k = _head(cfg).n_outputs
    sizes = (int(cfg["obs_dim"]), *[int(h) for h in cfg["hidden_sizes"]], int(cfg["n_actions"]) * k)
    return {"q": build_mlp(sizes, activation="relu", rng=gen, device=dev)}


_HEADS: dict[tuple[Any, ...], ValueHead] = {}


def _cached_head(cfg: dict[str, Any]) -> ValueHead:
    key = tuple(sorted(cfg["head"].items()))
    if key not in _HEADS:
        _HEADS[key] = _head(cfg)
    return _HEADS[key]


def _act(agent: Agent, x: Any, deterministic: bool, gen: np.random.Generator) -> np.ndarray:
    """Greedy actions; not ``deterministic``: epsilon-greedy with the final exploration rate."""
    head = _cached_head(agent.config)
    greedy = head.q_values(agent.networks["q"](x)).argmax(dim=1).cpu().numpy().astype(np.int64)
    if deterministic:
        return greedy
    n, A = greedy.shape[0], int(agent.config["n_actions"])
    explore = gen.random(n) < float(agent.config["exploration_final_eps"])
    return np.where(explore, gen.integers(0, A, size=n), greedy).astype(np.int64)


register_agent_kind("dqn", _build, _act)


# --------------------------------------------------------------------------- replay
class _Replay:
    """A ring buffer of n-step transitions, written through per-environment pending windows.

    ``add(x, a, r, x_final, terminated, truncated)`` takes one vector step of ``E``
    environments. A transition is written when its ``n`` steps are known (``R = sum
    gamma^i r_i``, ``d = gamma^n``, ``x'`` the observation after them) or when its episode
    ends first: after a termination every pending transition gets ``d = 0``; after a
    truncation ``d = gamma^k`` for its ``k`` steps taken, bootstrapping from the final
    observation.
    """

    def __init__(self, capacity: int, d: int, n_envs: int, n_step: int, gamma: float) -> None:
        self.capacity, self.n, self.gamma = capacity, n_step, gamma
        self.x = np.zeros((capacity, d), dtype=np.float32)
        self.a = np.zeros(capacity, dtype=np.int64)
        self.r = np.zeros(capacity, dtype=np.float32)
        self.x2 = np.zeros((capacity, d), dtype=np.float32)
        self.disc = np.zeros(capacity, dtype=np.float32)
        self.size = self.pos = 0
        if n_step > 1:
            self._px = np.zeros((n_envs, n_step, d), dtype=np.float32)
            self._pa = np.zeros((n_envs, n_step), dtype=np.int64)
            self._pr = np.zeros((n_envs, n_step), dtype=np.float64)
            self._count = np.zeros(n_envs, dtype=np.int64)
            self._powers = gamma ** np.arange(n_step + 1, dtype=np.float64)

    def _write(self, x: Any, a: Any, r: Any, x2: Any, disc: Any) -> None:
        m = len(a)
        rows = (self.pos + np.arange(m)) % self.capacity
        self.x[rows], self.a[rows], self.r[rows], self.x2[rows], self.disc[rows] = x, a, r, x2, disc
        self.pos = (self.pos + m) % self.capacity
        self.size = min(self.size + m, self.capacity)

    def add(
        self, x: np.ndarray, a: np.ndarray, r: np.ndarray, x_final: np.ndarray, term: np.ndarray, trunc: np.ndarray
    ) -> None:
        if self.n == 1:
            self._write(x, a, r, x_final, np.where(term, 0.0, self.gamma))
            return
        g = self._powers
        for e in range(a.shape[0]):
            c = int(self._count[e])
            self._px[e, c], self._pa[e, c], self._pr[e, c] = x[e], a[e], r[e]
            c += 1
            if term[e] or trunc[e]:
                # every pending transition ends here: returns of the remaining c - j steps
                rs = self._pr[e, :c]
                rets = np.array([rs[j:] @ g[: c - j] for j in range(c)])
                disc = np.zeros(c) if term[e] else g[c - np.arange(c)]
                self._write(self._px[e, :c], self._pa[e, :c], rets, np.broadcast_to(x_final[e], (c, x.shape[1])), disc)
                c = 0
            elif c == self.n:
                ret = self._pr[e] @ g[: self.n]
                self._write(self._px[e, :1], self._pa[e, :1], [ret], x_final[e : e + 1], [g[self.n]])
                self._px[e, :-1], self._pa[e, :-1], self._pr[e, :-1] = (
                    self._px[e, 1:].copy(),
                    self._pa[e, 1:].copy(),
                    self._pr[e, 1:].copy(),
                )
                c -= 1
            self._count[e] = c


def _td_target(head: ValueHead, torch: Any, q: Any, nxt: Any, x2: Any, r: Any, disc: Any, double: bool) -> Any:
    """The head's targets from the target network's outputs ``nxt`` ``(n, A * k)`` at ``x2``.

    ``a*`` maximises the online network's Q-values at ``x2`` (double DQN) or the target
    network's own (DQN); the target is ``head.target`` of the target network's outputs at
    ``(x2, a*)`` with returns ``r`` and discounts ``disc``.
    """
    with torch.no_grad():
        a_star = head.q_values(q(x2) if double else nxt).argmax(dim=1)
        return head.target(head.select(nxt, a_star), r, disc)


def _adam(torch: Any, params: list[Any], lr: float, dev: Any) -> Any:
    """Adam, fused where this torch offers it for the device (the same update, fewer kernels)."""
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):  # pragma: no cover - older torch or device
        return torch.optim.Adam(params, lr=lr)


def _greedy_actor(head: ValueHead, torch: Any, q: Any, dev: Any) -> Any:
    """``x (E, d) float32 -> greedy actions (E,)`` of the online network, for the behaviour policy.

    On the CPU the forward pass runs in NumPy on views of the parameters (which Adam
    updates in place, so the views stay current): a third of torch's per-call time for
    one observation. The result is the network's output up to float32 rounding order;
    elsewhere torch runs it.
    """
    linears = [m for m in q if isinstance(m, torch.nn.Linear)]
    plain = all(isinstance(m, (torch.nn.Linear, torch.nn.ReLU)) for m in q)
    if dev.type != "cpu" or not plain:

        def act_torch(x: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                out = q(torch.from_numpy(x).to(dev))
                return head.q_values(out).argmax(dim=1).cpu().numpy()

        return act_torch
    weights = [(m.weight.detach().numpy().T, m.bias.detach().numpy()) for m in linears]
    scalar = head.n_outputs == 1

    def act_numpy(x: np.ndarray) -> np.ndarray:
        h = x
        for i, (w, b) in enumerate(weights):
            h = h @ w + b
            if i < len(weights) - 1:
                np.maximum(h, 0.0, out=h)
        if scalar:
            return h.argmax(axis=1)
        with torch.no_grad():
            return head.q_values(torch.from_numpy(h)).argmax(dim=1).numpy()

    return act_numpy


def _mlp_forward(torch: Any, q: Any) -> Any:
    """``q``'s forward pass as one function of its ``Linear``/``ReLU`` layers (the same
    operations as ``q(x)``, without the per-module call overhead); ``q`` itself otherwise."""
    if not all(isinstance(m, (torch.nn.Linear, torch.nn.ReLU)) for m in q):
        return q
    linear, relu = torch.nn.functional.linear, torch.relu
    layers = [(m, isinstance(m, torch.nn.Linear)) for m in q]

    def forward(x: Any) -> Any:
        for m, is_linear in layers:
            x = linear(x, m.weight, m.bias) if is_linear else relu(x)
        return x

    return forward


def _clip_grad_norm(torch: Any, params: list[Any], max_norm: float) -> None:
    """``torch.nn.utils.clip_grad_norm_`` (2-norm over all gradients; scale by
    ``min(1, max_norm / (norm + 1e-6))``) in its three foreach kernels."""
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads, 2.0)), 2.0)
    torch._foreach_mul_(grads, torch.clamp(max_norm / (total + 1e-6), max=1.0))


# --------------------------------------------------------------------------- learner
@validate_params(
    env=ENV,
    total_steps=TOTAL_STEPS,
    loss=Options(*LOSSES),
    double=Bool(),
    n_step=Integer(1, 1000),
    learning_rate=LR,
    batch_size=Integer(1, 10**6),
    buffer_size=Integer(1, MAX_BUFFER),
    learning_starts=Integer(0, MAX_ITERATIONS),
    train_freq=Integer(1, MAX_ITERATIONS),
    gradient_steps=Integer(1, 10**6),
    target_update_interval=Integer(1, MAX_ITERATIONS),
    exploration_fraction=_UNIT,
    exploration_initial_eps=_UNIT,
    exploration_final_eps=_UNIT,
    max_grad_norm=Real(0, 1e6, closed="right"),
    hidden_sizes=HIDDEN_SIZES,
    n_bins=Integer(2, MAX_BINS),
    v_min=Real(-MAX_SUPPORT, MAX_SUPPORT) | None,
    v_max=Real(-MAX_SUPPORT, MAX_SUPPORT) | None,
    sigma_ratio=Real(0.01, 100.0),
    n_quantiles=Integer(1, MAX_BINS),
    huber_delta=Real(1e-6, 1e6),
    gamma=GAMMA,
    n_envs=N_ENVS,
    eval_env=EVAL_ENV,
    eval_every=EVAL_EVERY,
    n_eval_episodes=N_EVAL_EPISODES,
    max_episode_steps=MAX_EPISODE_STEPS,
    device=Device(),
    rng=RNG(),
    progress=PROGRESS,
)
def train_dqn(
    env: Any,
    *,
    total_steps: int,
    loss: str = "huber",
    double: bool = True,
    n_step: int = 1,
    learning_rate: float = 2.3e-3,
    batch_size: int = 64,
    buffer_size: int = 100_000,
    learning_starts: int = 1000,
    train_freq: int = 256,
    gradient_steps: int = 128,
    target_update_interval: int = 10,
    exploration_fraction: float = 0.16,
    exploration_initial_eps: float = 1.0,
    exploration_final_eps: float = 0.04,
    max_grad_norm: float = 10.0,
    hidden_sizes: Any = (256, 256),
    n_bins: int = 51,
    v_min: float | None = None,
    v_max: float | None = None,
    sigma_ratio: float = 0.75,
    n_quantiles: int = 50,
    huber_delta: float = 1.0,
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
    """Deep Q-network on a task with a ``Discrete`` action space (kind ``"dqn"``).

    See the module docstring for the targets and the schedule; the defaults are the RL
    Zoo's CartPole-v1 settings, with the double target.

    Parameters
    ----------
    env : str, gymnasium.Env, VectorEnv, callable, GymnasiumSimulator or simulator
        The training task (see :func:`tabular.deep.agent` and ``as_task``); its action
        space must be ``Discrete``.
    total_steps : int in [1, 10**9]
        Environment steps of training (over all environments).
    loss : {"mse", "huber", "hl_gauss", "two_hot", "c51", "quantile"}, default "huber"
        The value head (:func:`~tabular.deep.value_heads.value_head`).
    double : bool, default True
        Double DQN's target (van Hasselt et al. 2016): ``a*`` chosen by the online network.
    n_step : int in [1, 1000], default 1
        Steps of the return before bootstrapping.
    learning_rate : float in (0, 10], default 2.3e-3
        Adam's step size.
    batch_size : int in [1, 10**6], default 64
    buffer_size : int in [1, 10**8], default 100_000
        Replay capacity in transitions.
    learning_starts : int in [0, 10**9], default 1000
        Environment steps of uniform random actions before learning.
    train_freq : int in [1, 10**9], default 256
        Vector steps between training phases.
    gradient_steps : int in [1, 10**6], default 128
        Adam steps per training phase.
    target_update_interval : int in [1, 10**9], default 10
        Environment steps between copies into the target network (SB3's semantics).
    exploration_fraction, exploration_initial_eps, exploration_final_eps : float in [0, 1]
        Defaults 0.16, 1.0, 0.04; the linear epsilon schedule.
    max_grad_norm : float in (0, 1e6], default 10
        Gradient-norm clip.
    hidden_sizes : tuple of int or int, default (256, 256)
        ReLU hidden layers.
    n_bins, v_min, v_max, sigma_ratio, n_quantiles, huber_delta
        The head's settings (:func:`~tabular.deep.value_heads.value_head`); ``v_min``
        and ``v_max`` are required by the ``hl_gauss``, ``two_hot`` and ``c51`` losses.
    gamma : float in [0, 1), default 0.99
    n_envs : int in [1, 4096], default 1
    eval_env : optional
        Evaluation environment (default: a fresh copy of ``env``).
    eval_every : int, optional
        Environment steps between evaluations; a final evaluation always runs.
    n_eval_episodes : int, default 10
    max_episode_steps : int, optional
        Cuts episodes (a truncation) of tasks without a time limit of their own.
    device : str or torch.device, default "cpu"
    rng : Generator, int or None
        All randomness: initial weights, exploration, replay sampling, environments.
    progress : bool or None
        Progress bar over the environment steps.

    Returns
    -------
    DeepRLResult
        ``algorithm="dqn"``; ``n_updates`` counts gradient steps.

    Raises
    ------
    ValueError
        A ``Box`` action space (message starting with ``env``), a categorical loss
        without ``v_min``/``v_max``, or other bad arguments (named).

    Guarantee
    ---------
    None: heuristic. Its policies on a small discounted MDP are within the stated gap
    of optimal on most seeds: tested by
    ``tests/tabular/deep/test_dqn_agent.py::test_finite_mdp_policy_near_optimal``.

    References
    ----------
    Mnih et al. 2015; van Hasselt et al. 2016; Farebrother et al. 2024; Raffin et al.
    2021 (see the module docstring).

    Examples
    --------
    >>> res = train_dqn("CartPole-v1", total_steps=300, learning_starts=100, train_freq=100,
    ...                 gradient_steps=2, hidden_sizes=(16,), n_eval_episodes=2, rng=0)
    >>> res.algorithm, res.n_steps, res.n_updates, res.eval_returns.shape
    ('dqn', 300, 4, (1, 2))
    """
    torch = require_torch("tabular.deep.train_dqn")
    dev = resolve_device(device)
    gen = as_generator(rng)
    task = as_task(env, "env", max_episode_steps)
    if task.n_actions is None:
        raise InvalidParameterError(
            "env",
            f"DQN needs a Discrete action space, got {type(task.action_space).__name__} "
            "(use train_sac for continuous actions)",
        )
    head = value_head(
        loss,
        n_bins=n_bins,
        v_min=v_min,
        v_max=v_max,
        sigma_ratio=sigma_ratio,
        n_quantiles=n_quantiles,
        huber_delta=huber_delta,
    )
    hidden = hidden_tuple(hidden_sizes)
    cfg = {
        **task_config(task),
        "hidden_sizes": list(hidden),
        "head": head.config(),
        "double": bool(double),
        "n_step": int(n_step),
        "gamma": float(gamma),
        "exploration_final_eps": float(exploration_final_eps),
    }
    nets = _build(cfg, torch, dev, gen)
    q = nets["q"]
    q_target = copy.deepcopy(q)
    for p in q_target.parameters():
        p.requires_grad_(False)
    agent = Agent("dqn", cfg, nets, dev)
    params = list(q.parameters())
    opt = _adam(torch, params, learning_rate, dev)
    act_greedy = _greedy_actor(head, torch, q, dev)
    ev = Evaluator(eval_task(env, eval_env, max_episode_steps), n_eval_episodes, eval_every, gen)
    runner = EnvRunner(task, n_envs, gen)
    A, E = int(cfg["n_actions"]), n_envs
    replay = _Replay(buffer_size, int(cfg["obs_dim"]), E, n_step, gamma)
    target_every = max(target_update_interval // E, 1)
    decay = exploration_fraction * total_steps
    eps0, eps1 = exploration_initial_eps, exploration_final_eps
    G, B = gradient_steps, batch_size
    n_calls = n_updates = 0
    stale = False  # the online network changed since the last copy into the target

    f_q, f_target = _mlp_forward(torch, q), _mlp_forward(torch, q_target)

    def train_phase() -> None:
        idx = gen.integers(0, replay.size, size=G * B)
        x = torch.from_numpy(replay.x[idx]).to(dev)
        a = torch.from_numpy(replay.a[idx]).to(dev)
        r = torch.from_numpy(replay.r[idx]).to(dev)
        x2 = torch.from_numpy(replay.x2[idx]).to(dev)
        disc = torch.from_numpy(replay.disc[idx]).to(dev)
        with torch.no_grad():
            nxt = f_target(x2)  # the target network is fixed during the phase: one forward pass
        if not double:
            tgt_all = _td_target(head, torch, f_q, nxt, x2, r, disc, False)
        for g in range(G):
            s = slice(g * B, (g + 1) * B)
            tgt = _td_target(head, torch, f_q, nxt[s], x2[s], r[s], disc[s], True) if double else tgt_all[s]
            lossv = head.loss(head.select(f_q(x[s]), a[s]), tgt)
            opt.zero_grad(set_to_none=True)
            lossv.backward()
            _clip_grad_norm(torch, params, max_grad_norm)
            opt.step()

    t0 = time.perf_counter()
    with progress_bar(total_steps, desc="dqn", progress=progress, unit="step") as bar:
        while runner.steps < total_steps:
            x = runner.x
            if runner.steps < learning_starts:
                actions = gen.integers(0, A, size=E)
            else:
                frac = 1.0 if decay == 0 else min(1.0, runner.steps / decay)
                eps = eps0 + frac * (eps1 - eps0)
                explore = gen.random(E) < eps
                rand = gen.integers(0, A, size=E)
                actions = rand if explore.all() else np.where(explore, rand, act_greedy(x))
            x_final, rewards, terminated, truncated = runner.step(actions)
            replay.add(x, actions, rewards, x_final, terminated, truncated)
            n_calls += 1
            if n_calls % target_every == 0 and stale:
                q_target.load_state_dict(q.state_dict())  # (a copy of an unchanged network is skipped)
                stale = False
            if n_calls % train_freq == 0 and runner.steps > learning_starts and replay.size > 0:
                train_phase()
                n_updates += G
                stale = True
            if ev.due(runner.steps):
                ev.run(runner.steps, lambda o: agent.act(o))
            bar.update(E)
    return finish("dqn", agent, runner, ev, lambda o: agent.act(o), n_updates, t0)
