# Length: SAC and DSAC-T share the actor, the replay buffer, the update loop and the trainer, and the
# agent registry maps both kinds to this module; the two public trainers document every argument.
"""Soft actor-critic (SAC) and distributional SAC with three refinements (DSAC-T) on Gymnasium tasks.

Both learn a tanh-squashed Gaussian policy ``a = tanh(u)``, ``u ~ N(mu_phi(x),
sigma_phi(x)^2)`` (``log sigma`` clamped to ``[-20, 2]``), rescaled affinely from
``[-1, 1]`` to the bounds of the ``Box`` action space; its log-density follows from the
change of variables ``log pi(a|x) = log N(u; mu, sigma^2) - sum_i log(1 - tanh(u_i)^2)``,
computed in the stable form ``log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u))``.
Transitions ``(x, a, r, x', d)`` go to a replay buffer (``a`` in ``[-1, 1]``, ``d`` the
*termination* flag: a truncated episode bootstraps from its true final observation);
during the first ``learning_starts`` steps actions are uniform on the box. After each
batched environment step, once ``learning_starts`` steps are collected,
``gradient_steps`` updates are taken on minibatches drawn uniformly from the buffer.

**SAC** (:func:`train_sac`; Haarnoja et al. 2018a, b), in the update order of
Stable-Baselines3 (checked against its ``SAC.train``): draw ``a~ ~ pi(.|x)``; with
``ent_coef="auto"`` take one Adam step on ``L(log alpha) = -mean(log alpha * (log pi(a~|x)
+ H_target))`` (``H_target = -dim A`` by default), using the value of ``alpha`` from
*before* that step in the rest of the update; twin critics regress on::

    y = r + gamma (1 - d) (min_j Qbar_j(x', a') - alpha log pi(a'|x')),   a' ~ pi(.|x')
    L(Q) = 1/2 sum_j mean (Q_j(x, a) - y)^2

then the actor minimises ``mean(alpha log pi(a~|x) - min_j Q_j(x, a~))`` (with the
updated critics) and the targets move by Polyak averaging, ``Qbar <- (1 - tau) Qbar +
tau Q``.

**DSAC-T** (:func:`train_dsac_t`; Duan et al. 2021, 2023): each critic outputs a
Gaussian return distribution ``Z_j(x, a) ~ N(Q_j, sigma_j^2)``, ``sigma_j =
softplus(.)`` of the second output. With ``a' ~ pibar(.|x')`` (a Polyak-averaged target
policy), ``k = argmin_j Qbar_j(x', a')`` (twin value distributions: the critic with the
smaller mean forms the target), ``eps ~ N(0, 1)`` clipped to ``[-3, 3]``::

    y_q = r + gamma (1 - d) (Qbar_k(x', a') - alpha log pibar(a'|x'))                 (expected value)
    y_z = r + gamma (1 - d) (Qbar_k(x', a') + eps sigmabar_k(x', a') - alpha log pibar(a'|x'))
    w_j <- (1 - tau_b) w_j + tau_b mean(sigma_j(x, a))       (moving average, w_j = its first mean)
    C_j(y_z) = Q_j + clip(y_z - Q_j, -3 w_j, 3 w_j)           (Q_j, sigma_j held fixed here)
    grad L(theta_j) = -(w_j^2 + b) mean[ (y_q - Q_j) / (sigma_j^2 + b) grad Q_j
                      + ((C_j(y_z) - Q_j)^2 - sigma_j^2) / (sigma_j^3 + b) grad sigma_j ]

with ``b = 0.1``: the mean's target uses the expected target value ``y_q``, not the sampled
return (expected value substitution); the gradient is the negative log-likelihood
gradient of ``N(Q_j, sigma_j^2)`` scaled by ``(w_j^2 + b) / (sigma_j^2 + b)``
(variance-based critic gradient adjustment), with the sampled target clipped to
``3 w_j`` of the mean. The stationary ``sigma_j^2`` is ``E[(C_j(y_z) - Q_j)^2]``, the
variance of the one-step distributional target, so in a tabular problem the critic's
``sigma^2`` approaches the return variance of the distributional Bellman equation
(slightly less: the clipping of ``eps`` and of the target). The actor minimises
``mean(alpha log pi(a~|x) - min_j Q_j(x, a~))`` every ``policy_delay`` updates, when
``alpha`` also takes its step and the target policy moves; the target critics move
every update. This is the loss of the paper's Algorithm 1 as implemented in the
authors' code (Jingliang-Duan/DSAC-T, read for ``__compute_loss_q``,
``__compute_target_q`` and ``__q_evaluate``), written here independently; we apply the
updates in SAC's sequential order (the authors compute all gradients, then step).

Networks come from :func:`rlcore.deep.build_mlp` seeded from ``rng``; the policy
noise, the replay draws and the environments' seeds all come from ``rng`` (torch draws
through a ``torch.Generator`` seeded from it, never torch's global state), so the same
seed gives the same run on the CPU.

Guarantee
---------
None: heuristic. SAC maximises the entropy-regularised return by soft policy iteration,
which converges in the tabular case (Haarnoja et al. 2018a, Theorem 1); with networks
there is no guarantee. Tested empirically: on a two-action finite MDP presented through
Gymnasium the deterministic policy is within a stated gap of ``V*`` on a stated share of
seeds (``tests/tabular/deep/test_sac_agent.py::test_finite_mdp_policy_near_optimal``),
and DSAC-T's critic variance matches the distributional DP variance of
:func:`tabular.distributional.distributional_evaluation` within a stated tolerance
(``tests/tabular/deep/test_sac_agent.py::test_dsac_t_critic_variance_matches_distributional_dp``).

References
----------
T. Haarnoja, A. Zhou, P. Abbeel, S. Levine, "Soft actor-critic: off-policy maximum entropy
deep reinforcement learning with a stochastic actor", ICML 2018 (2018a).
T. Haarnoja et al., "Soft actor-critic algorithms and applications", arXiv:1812.05905 (2018b).
J. Duan, Y. Guan, S. E. Li, Y. Ren, Q. Sun, B. Cheng, "Distributional soft actor-critic:
off-policy reinforcement learning for addressing value estimation errors", IEEE TNNLS 2021.
J. Duan, W. Wang, L. Xiao, J. Gao, S. E. Li, "Distributional soft actor-critic with three
refinements" (DSAC-T), arXiv:2310.05858, 2023 (the loss above rests on the authors' code
and the abstract; the paper's full text was not read).
A. Raffin et al., "Stable-Baselines3: reliable reinforcement learning implementations",
JMLR 22(268), 2021 (``SAC``: update order, entropy-coefficient loss, action rescaling).

Examples
--------
>>> res = train_sac("Pendulum-v1", total_steps=60, learning_starts=20, batch_size=8,
...                 hidden_sizes=(8,), n_eval_episodes=1, rng=0)
>>> res.algorithm, res.n_steps, res.n_updates
('sac', 60, 40)
>>> res.agent.act(np.zeros((2, 3), dtype=np.float32)).shape
(2, 1)
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from rlcore.deep import build_mlp, require_torch, resolve_device
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import (
    RNG,
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

__all__ = ["train_dsac_t", "train_sac"]

#: Most transitions the replay buffer holds.
MAX_BUFFER = 10**8
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0
#: DSAC-T's constants: the bias ``b`` of the gradient scaling, the clip of ``eps`` and of the target (in ``w``).
DSAC_BIAS, DSAC_EPS_CLIP, DSAC_TARGET_CLIP = 0.1, 3.0, 3.0

_COMMON = {
    "env": ENV,
    "total_steps": TOTAL_STEPS,
    "learning_rate": LR,
    "buffer_size": Integer(1, MAX_BUFFER),
    "learning_starts": Integer(0, MAX_BUFFER),
    "batch_size": Integer(1, 10**6),
    "tau": Real(0, 1, closed="right"),
    "train_freq": Integer(1, 10**6),
    "gradient_steps": Integer(1, 10**4),
    "ent_coef": Options("auto") | Real(0, 1e6),
    "target_entropy": Options("auto") | Real(-1e6, 1e6),
    "hidden_sizes": HIDDEN_SIZES,
    "gamma": GAMMA,
    "n_envs": N_ENVS,
    "eval_env": EVAL_ENV,
    "eval_every": EVAL_EVERY,
    "n_eval_episodes": N_EVAL_EPISODES,
    "max_episode_steps": MAX_EPISODE_STEPS,
    "device": Device(),
    "rng": RNG(),
    "progress": PROGRESS,
}


# --------------------------------------------------------------------------- networks
def _build(cfg: dict[str, Any], torch: Any, dev: Any, gen: np.random.Generator) -> dict[str, Any]:
    """Actor ``(d -> 2m)`` and twin critics ``(d + m -> 1)`` (SAC) or ``(d + m -> 2)`` (DSAC-T)."""
    d, m, hidden = int(cfg["obs_dim"]), int(cfg["act_dim"]), list(cfg["hidden_sizes"])
    out = 2 if cfg["distributional"] else 1
    return {
        "actor": build_mlp((d, *hidden, 2 * m), rng=gen, device=dev),
        "q1": build_mlp((d + m, *hidden, out), rng=gen, device=dev),
        "q2": build_mlp((d + m, *hidden, out), rng=gen, device=dev),
    }


def _gaussian(actor: Any, x: Any, torch: Any) -> tuple[Any, Any]:
    mu, log_std = actor(x).chunk(2, dim=-1)
    return mu, log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)


def _squashed_log_prob(torch: Any, mu: Any, log_std: Any, u: Any) -> Any:
    """``log pi(tanh(u))``, shape ``(n,)``: Gaussian log-density of ``u`` minus ``sum log(1 - tanh(u)^2)``."""
    z = (u - mu) * torch.exp(-log_std)
    gauss = -0.5 * z * z - log_std - 0.5 * math.log(2.0 * math.pi)
    jac = 2.0 * (math.log(2.0) - u - torch.nn.functional.softplus(-2.0 * u))
    return (gauss - jac).sum(dim=-1)


def _sample(actor: Any, x: Any, torch: Any, tgen: Any) -> tuple[Any, Any]:
    """A reparameterised draw ``a = tanh(mu + sigma eps)`` in ``[-1, 1]^m`` and its log-density."""
    mu, log_std = _gaussian(actor, x, torch)
    u = mu + torch.exp(log_std) * torch.randn(mu.shape, generator=tgen, device=mu.device, dtype=mu.dtype)
    return torch.tanh(u), _squashed_log_prob(torch, mu, log_std, u)


def _to_env(cfg: dict[str, Any], a: np.ndarray) -> np.ndarray:
    """Actions in ``[-1, 1]^m`` rescaled to the box, float64 ``(n, *action_shape)``."""
    lo, hi = np.asarray(cfg["action_low"]), np.asarray(cfg["action_high"])
    out = lo + 0.5 * (np.asarray(a, dtype=np.float64) + 1.0) * (hi - lo)
    return np.clip(out, lo, hi).reshape((a.shape[0], *cfg["action_shape"]))


def _act(agent: Agent, x: Any, deterministic: bool, gen: np.random.Generator) -> np.ndarray:
    torch = require_torch("tabular.deep.sac_agent")
    mu, log_std = _gaussian(agent.networks["actor"], x, torch)
    if not deterministic:
        eps = torch.as_tensor(gen.standard_normal(tuple(mu.shape)), dtype=mu.dtype, device=mu.device)
        mu = mu + torch.exp(log_std) * eps
    return _to_env(agent.config, torch.tanh(mu).cpu().numpy())


register_agent_kind("sac", _build, _act)
register_agent_kind("dsac_t", _build, _act)


# --------------------------------------------------------------------------- learner
class _SoftActorCritic:
    """Replay buffer, optimisers and the update of SAC / DSAC-T (one object per training run)."""

    def __init__(self, nets: dict[str, Any], cfg: dict[str, Any], torch: Any, dev: Any, gen: Any, s: dict) -> None:
        import copy

        self.torch, self.dev, self.gen, self.s, self.cfg = torch, dev, gen, s, cfg
        self.actor, self.q1, self.q2 = nets["actor"], nets["q1"], nets["q2"]
        self.q1t, self.q2t = copy.deepcopy(self.q1), copy.deepcopy(self.q2)
        self.dist = bool(cfg["distributional"])
        self.actor_t = copy.deepcopy(self.actor) if self.dist else self.actor
        for net in (self.q1t, self.q2t) + ((self.actor_t,) if self.dist else ()):
            net.requires_grad_(False)
        lr = s["learning_rate"]
        self.opt_actor = torch.optim.Adam(self.actor.parameters(), lr=lr, foreach=True)
        self.critic_params = list(self.q1.parameters()) + list(self.q2.parameters())
        self.opt_critic = torch.optim.Adam(self.critic_params, lr=lr, foreach=True)
        self.auto = s["ent_coef"] == "auto"
        self.log_alpha = torch.zeros(1, device=dev, requires_grad=self.auto)
        if not self.auto:
            self.log_alpha.data.fill_(math.log(s["ent_coef"]) if s["ent_coef"] > 0 else -math.inf)
        self.opt_alpha: Any = torch.optim.Adam([self.log_alpha], lr=lr) if self.auto else None
        m = int(cfg["act_dim"])
        te = s["target_entropy"]
        self.target_entropy = -float(m) if te == "auto" else float(te)
        self.tgen = torch.Generator(device=dev)
        self.tgen.manual_seed(int(gen.integers(0, 2**63 - 1)))
        n, d = s["capacity"], int(cfg["obs_dim"])
        z = lambda *shape: torch.zeros(shape, dtype=torch.float32, device=dev)  # noqa: E731
        self.x, self.a, self.r, self.x2, self.done = z(n, d), z(n, m), z(n), z(n, d), z(n)
        self.size, self.pos, self.n_updates = 0, 0, 0
        self.w: list[Any] = [None, None]  # DSAC-T: moving averages of the critics' std
        self._targets = list(self.q1t.parameters()) + list(self.q2t.parameters())
        self._sources = list(self.q1.parameters()) + list(self.q2.parameters())

    def store(self, x: np.ndarray, a: np.ndarray, r: np.ndarray, x2: np.ndarray, term: np.ndarray) -> None:
        torch, k, n = self.torch, x.shape[0], self.x.shape[0]
        idx = (self.pos + np.arange(k)) % n
        t = torch.as_tensor
        ix = t(idx, device=self.dev)
        self.x[ix] = t(x, device=self.dev)
        self.a[ix] = t(a, dtype=torch.float32, device=self.dev)
        self.r[ix] = t(r, dtype=torch.float32, device=self.dev)
        self.x2[ix] = t(x2, device=self.dev)
        self.done[ix] = t(term, dtype=torch.float32, device=self.dev)
        self.pos, self.size = (self.pos + k) % n, min(self.size + k, n)

    def act(self, x: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.no_grad():
            a, _ = _sample(self.actor, torch.as_tensor(x, device=self.dev), torch, self.tgen)
        return a.cpu().numpy().astype(np.float64)

    def update(self) -> None:
        torch, s = self.torch, self.s
        idx = torch.as_tensor(self.gen.integers(0, self.size, s["batch_size"]), device=self.dev)
        x, a, r, x2, done = self.x[idx], self.a[idx], self.r[idx], self.x2[idx], self.done[idx]
        policy_step = self.n_updates % s["policy_delay"] == 0
        a_pi, logp = _sample(self.actor, x, torch, self.tgen)
        alpha = self.log_alpha.detach().exp()
        if self.auto and policy_step:
            loss_alpha = -(self.log_alpha * (logp.detach() + self.target_entropy)).mean()
            self.opt_alpha.zero_grad(set_to_none=True)
            loss_alpha.backward()
            self.opt_alpha.step()
        not_done = s["gamma"] * (1.0 - done)
        with torch.no_grad():
            a2, logp2 = _sample(self.actor_t, x2, torch, self.tgen)
            xa2 = torch.cat([x2, a2], dim=1)
            o1, o2 = self.q1t(xa2), self.q2t(xa2)
            y = r + not_done * (torch.minimum(o1[:, 0], o2[:, 0]) - alpha * logp2)
        xa = torch.cat([x, a], dim=1)
        if self.dist:
            loss = self._dsac_critic_loss(xa, r, not_done, o1, o2, alpha * logp2, y)
        else:
            loss = 0.5 * (((self.q1(xa)[:, 0] - y) ** 2).mean() + ((self.q2(xa)[:, 0] - y) ** 2).mean())
        self.opt_critic.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_critic.step()
        if policy_step:
            xa_pi = torch.cat([x, a_pi], dim=1)
            q_pi = torch.minimum(self.q1(xa_pi)[:, 0], self.q2(xa_pi)[:, 0])
            loss_pi = (alpha * logp - q_pi).mean()
            self.opt_actor.zero_grad(set_to_none=True)
            loss_pi.backward(inputs=list(self.actor.parameters()))
            self.opt_actor.step()
            if self.dist:
                self._polyak(list(self.actor_t.parameters()), list(self.actor.parameters()))
        self._polyak(self._targets, self._sources)
        self.n_updates += 1

    def _polyak(self, targets: list, sources: list) -> None:
        with self.torch.no_grad():
            self.torch._foreach_lerp_(targets, sources, self.s["tau"])

    def _dsac_critic_loss(self, xa: Any, r: Any, not_done: Any, o1: Any, o2: Any, ent: Any, y_q: Any) -> Any:
        """The DSAC-T surrogate: its gradient is the module docstring's (its value is not a likelihood)."""
        torch, b = self.torch, DSAC_BIAS
        with torch.no_grad():
            sp = torch.nn.functional.softplus
            pick = o1[:, 0] <= o2[:, 0]
            mean_next = torch.where(pick, o1[:, 0], o2[:, 0])
            std_next = torch.where(pick, sp(o1[:, 1]), sp(o2[:, 1]))
            eps = torch.randn(mean_next.shape, generator=self.tgen, device=self.dev).clamp_(
                -DSAC_EPS_CLIP, DSAC_EPS_CLIP
            )
            y_z = r + not_done * (mean_next + eps * std_next - ent)
        loss = 0.0
        for j, q in enumerate((self.q1, self.q2)):
            out = q(xa)
            mean, std = out[:, 0], torch.nn.functional.softplus(out[:, 1])
            with torch.no_grad():
                m_std = std.mean()
                tb = self.s["tau_b"]
                self.w[j] = m_std if self.w[j] is None else (1.0 - tb) * self.w[j] + tb * m_std
                w = self.w[j]
                md, sd = mean.detach(), std.detach()
                bound = DSAC_TARGET_CLIP * w
                diff = torch.maximum(torch.minimum(y_z - md, bound), -bound)
                g_mean = (y_q - md) / (sd * sd + b)
                g_std = (diff * diff - sd * sd) / (sd * sd * sd + b)
            loss = loss - (w * w + b) * (g_mean * mean + g_std * std).mean()
        return loss


# --------------------------------------------------------------------------- trainers
def _train(kind: str, env: Any, s: dict[str, Any]) -> DeepRLResult:
    torch = require_torch(f"tabular.deep.train_{kind}")
    dev = resolve_device(s["device"])
    gen = as_generator(s["rng"])
    task = as_task(env, "env", s["max_episode_steps"])
    if task.n_actions is not None:
        raise InvalidParameterError(
            "env", f"train_{kind} needs a Box action space; this environment's is Discrete({task.n_actions})"
        )
    hidden = hidden_tuple(s["hidden_sizes"])
    base = task_config(task)
    m = int(np.prod(base["action_shape"])) if base["action_shape"] else 1
    keys = ("learning_rate", "batch_size", "tau", "gamma", "ent_coef", "target_entropy", "policy_delay", "tau_b")
    cfg = {**base, "act_dim": m, "hidden_sizes": list(hidden), "distributional": kind == "dsac_t"}
    cfg.update({k: s[k] for k in keys if k in s})
    nets = _build(cfg, torch, dev, gen)
    agent = Agent(kind, cfg, nets, dev)
    ev_task = eval_task(env, s["eval_env"], s["max_episode_steps"])
    ev = Evaluator(ev_task, s["n_eval_episodes"], s["eval_every"], gen, s["max_episode_steps"])
    runner = EnvRunner(task, s["n_envs"], gen)
    total, n_envs = s["total_steps"], s["n_envs"]
    s = {**s, "capacity": int(min(s["buffer_size"], total + n_envs)), "policy_delay": s.get("policy_delay", 1)}
    learner = _SoftActorCritic(nets, cfg, torch, dev, gen, s)
    lo = np.asarray(cfg["action_low"])
    t0 = time.perf_counter()
    n_calls = 0
    with progress_bar(total, desc=kind, progress=s["progress"], unit="step") as bar:
        while runner.steps < total:
            x = runner.x
            if runner.steps < s["learning_starts"]:
                a = gen.uniform(-1.0, 1.0, size=(n_envs, m))
            else:
                a = learner.act(x)
            x_final, rewards, terminated, _ = runner.step(_to_env(cfg, a).reshape((n_envs, *lo.shape)))
            learner.store(x, a, rewards, x_final, terminated)
            n_calls += 1
            if runner.steps > s["learning_starts"] and n_calls % s["train_freq"] == 0:
                for _ in range(s["gradient_steps"]):
                    learner.update()
            if ev.due(runner.steps):
                ev.run(runner.steps, lambda o: agent.act(o))
            bar.update(n_envs)
    return finish(kind, agent, runner, ev, lambda o: agent.act(o), learner.n_updates, t0)


@validate_params(**_COMMON)
def train_sac(
    env: Any,
    *,
    total_steps: int,
    learning_rate: float = 1e-3,
    buffer_size: int = 1_000_000,
    learning_starts: int = 100,
    batch_size: int = 256,
    tau: float = 0.005,
    train_freq: int = 1,
    gradient_steps: int = 1,
    ent_coef: Any = "auto",
    target_entropy: Any = "auto",
    hidden_sizes: Any = (256, 256),
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
    """Soft actor-critic with twin critics and a learned temperature (kind ``"sac"``).

    The defaults are Stable-Baselines3's, with the RL Zoo's ``learning_rate=1e-3`` for
    Pendulum; see the module docstring for the update.

    Parameters
    ----------
    env : str, gymnasium.Env, VectorEnv, callable, GymnasiumSimulator or simulator
        The training task; its action space must be a ``Box`` with finite bounds.
    total_steps : int >= 1
        Environment steps of training, over all ``n_envs`` environments.
    learning_rate : float in (0, 10]
        Adam step size of the actor, the critics and ``log alpha``.
    buffer_size : int in [1, 10**8]
        Replay capacity (allocated as ``min(buffer_size, total_steps + n_envs)`` rows).
    learning_starts : int >= 0
        Steps of uniform random actions before the first update.
    batch_size : int in [1, 10**6]
    tau : float in (0, 1]
        Polyak rate of the target networks.
    train_freq : int >= 1
        Batched environment steps between update phases.
    gradient_steps : int >= 1
        Updates per update phase.
    ent_coef : "auto" or float >= 0
        The temperature ``alpha``: learned from ``alpha = 1`` (``"auto"``) or fixed.
    target_entropy : "auto" or float
        The entropy target of the learned temperature; ``"auto"`` is ``-dim A``.
    hidden_sizes : int or tuple of int
        Hidden widths of the actor and of each critic (ReLU).
    gamma : float in [0, 1)
    n_envs : int in [1, 4096]
        Environments stepped together (one update phase per batched step).
    eval_env : environment, optional
        Where to evaluate (default: a fresh copy of ``env``).
    eval_every : int, optional
        Training steps between evaluations (a final one is always run).
    n_eval_episodes : int >= 1
    max_episode_steps : int, optional
        Time limit for a simulator without a horizon (a truncation: it bootstraps).
    device : str or torch.device, default "cpu"
    rng : Generator, int or None
        Seeds everything (networks, noise, replay draws, environments).
    progress : bool or None

    Returns
    -------
    DeepRLResult
        ``agent.act`` gives the deterministic action ``tanh(mu)`` rescaled to the bounds.

    Raises
    ------
    ValueError
        A bad argument (the message names it), or a ``Discrete`` action space (``env``).

    Guarantee
    ---------
    None: heuristic (see the module docstring). Tested by
    ``tests/tabular/deep/test_sac_agent.py::test_finite_mdp_policy_near_optimal``.

    References
    ----------
    Haarnoja et al. 2018a, b; Raffin et al. 2021 (see the module docstring).

    Examples
    --------
    >>> res = train_sac("Pendulum-v1", total_steps=40, learning_starts=20, batch_size=8,
    ...                 hidden_sizes=(8,), n_eval_episodes=1, rng=0)
    >>> res.n_updates, res.eval_returns.shape
    (20, (1, 1))
    """
    return _train("sac", env, dict(locals()))


@validate_params(**_COMMON, policy_delay=Integer(1, 10**4), tau_b=Real(0, 1, closed="right"))
def train_dsac_t(
    env: Any,
    *,
    total_steps: int,
    learning_rate: float = 1e-3,
    buffer_size: int = 1_000_000,
    learning_starts: int = 100,
    batch_size: int = 256,
    tau: float = 0.005,
    train_freq: int = 1,
    gradient_steps: int = 1,
    ent_coef: Any = "auto",
    target_entropy: Any = "auto",
    policy_delay: int = 2,
    tau_b: float = 0.005,
    hidden_sizes: Any = (256, 256),
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
    """Distributional soft actor-critic with three refinements, DSAC-T (kind ``"dsac_t"``).

    Gaussian return-distribution critics with expected value substitution, twin value
    distributions and variance-based critic gradient adjustment; the exact loss is in the
    module docstring. ``policy_delay`` (updates per actor, temperature and target-policy
    step, 2 as in the authors' configurations) and ``tau_b`` (rate of the moving average
    of the critics' std) are DSAC-T's own; the rest is as :func:`train_sac`.

    Parameters
    ----------
    env : str, gymnasium.Env, VectorEnv, callable, GymnasiumSimulator or simulator
        The training task; its action space must be a ``Box`` with finite bounds.
    total_steps : int >= 1
        Environment steps of training, over all ``n_envs`` environments.
    learning_rate : float in (0, 10]
        Adam step size of the actor, the critics and ``log alpha``.
    buffer_size : int in [1, 10**8]
        Replay capacity (allocated as ``min(buffer_size, total_steps + n_envs)`` rows).
    learning_starts : int >= 0
        Steps of uniform random actions before the first update.
    batch_size : int in [1, 10**6]
    tau : float in (0, 1]
        Polyak rate of the target networks.
    train_freq : int >= 1
        Batched environment steps between update phases.
    gradient_steps : int >= 1
        Updates per update phase.
    ent_coef : "auto" or float >= 0
        The temperature ``alpha``: learned from ``alpha = 1`` (``"auto"``) or fixed.
    target_entropy : "auto" or float
        The entropy target of the learned temperature; ``"auto"`` is ``-dim A``.
    policy_delay : int in [1, 10**4], default 2
        Critic updates per actor, temperature and target-policy update.
    tau_b : float in (0, 1], default 0.005
        Rate of the moving average ``w_j`` of each critic's std.
    hidden_sizes : int or tuple of int
        Hidden widths of the actor and of each critic (ReLU).
    gamma : float in [0, 1)
    n_envs : int in [1, 4096]
        Environments stepped together (one update phase per batched step).
    eval_env : environment, optional
        Where to evaluate (default: a fresh copy of ``env``).
    eval_every : int, optional
        Training steps between evaluations (a final one is always run).
    n_eval_episodes : int >= 1
    max_episode_steps : int, optional
        Time limit for a simulator without a horizon (a truncation: it bootstraps).
    device : str or torch.device, default "cpu"
    rng : Generator, int or None
        Seeds everything (networks, noise, replay draws, environments).
    progress : bool or None

    Returns
    -------
    DeepRLResult
        ``agent.act`` gives the deterministic action ``tanh(mu)`` rescaled to the bounds.

    Raises
    ------
    ValueError
        A bad argument (the message names it), or a ``Discrete`` action space (``env``).

    Guarantee
    ---------
    None: heuristic. The critic's variance at a fixed policy is tested against the
    distributional DP variance by
    ``tests/tabular/deep/test_sac_agent.py::test_dsac_t_critic_variance_matches_distributional_dp``.

    References
    ----------
    Duan et al. 2021 (DSAC, IEEE TNNLS); Duan et al. 2023 (DSAC-T, arXiv:2310.05858).

    Examples
    --------
    >>> res = train_dsac_t("Pendulum-v1", total_steps=40, learning_starts=20, batch_size=8,
    ...                    hidden_sizes=(8,), n_eval_episodes=1, rng=0)
    >>> res.algorithm, res.n_updates
    ('dsac_t', 20)
    """
    return _train("dsac_t", env, dict(locals()))
