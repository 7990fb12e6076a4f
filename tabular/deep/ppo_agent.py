"""Proximal policy optimisation (PPO) on Gymnasium tasks, discrete or continuous actions.

The clipped-surrogate actor-critic of Schulman et al. (2017) with generalised advantage
estimation (Schulman et al. 2016), run on ``n_envs`` autoreset environments (the
:class:`~tabular.deep._agent_common.EnvRunner` stream), with the semantics of
Stable-Baselines3's ``PPO`` so that the two can be compared at equal work. Each
iteration:

1. a rollout of ``n_steps`` steps in each of the ``n_envs`` environments under the
   current policy (``N = n_envs * n_steps`` transitions);
2. GAE backwards in ``t``, per environment::

       delta_t = r_t + gamma * V(x'_t) * (1 - terminated_t) - V(x_t)
       A_t     = delta_t + gamma * lambda * (1 - done_t) * A_{t+1}

   where ``x'_t`` is the true next observation: ``x_{t+1}`` inside an episode, the
   final observation where the time limit *truncated* it (it is bootstrapped: an
   interrupted episode's value is not zero) and ``V(x'_t) = 0`` where it *terminated*;
   ``done_t = terminated_t or truncated_t`` stops the recursion at every episode end,
   and after the last step of the rollout ``V`` of the current observation is the
   bootstrap. Value targets are ``A_t + V(x_t)``. This is exactly SB3's rule (it adds
   ``gamma * V(final_obs)`` to the reward of a time-limit truncation and cuts the
   recursion at every ``done``);
3. ``n_epochs`` passes over a fresh random permutation of the ``N`` transitions in
   minibatches of ``batch_size`` (the last one smaller when ``batch_size`` does not
   divide ``N``), each an Adam step (``eps = 1e-5``, as SB3) on::

       - mean(min(rho A, clip(rho, 1 - eps_t, 1 + eps_t) A))
       + vf_coef * mean((V(x) - target)**2) - ent_coef * mean(entropy(pi(. | x)))

   with ``rho = pi_theta(a | x) / pi_old(a | x)``, the advantages standardised within
   each minibatch when ``normalize_advantage`` (``(A - mean) / (std + 1e-8)``, the
   unbiased ``std``), and the gradient of all parameters clipped to global norm
   ``max_grad_norm``.

Schedules: with ``"linear"``, the learning rate and the clip range after the rollout
that brought the step count to ``n`` are the initial ones times the progress remaining
``1 - n / total_steps`` (SB3's ``lin_`` schedules of rl-baselines3-zoo), floored at 0
(SB3 lets it go slightly negative on the last rollout when ``N`` does not divide
``total_steps``). Training runs whole rollouts while fewer than ``total_steps`` steps
were taken, so ``n_steps`` of the result is ``total_steps`` rounded up to a multiple
of ``N``, as in SB3.

Policies. ``Discrete`` actions: a categorical policy with logits from the actor MLP;
the deterministic action is the mode. ``Box`` actions: a diagonal Gaussian whose mean
is the actor's output and whose log standard deviation is a state-independent
parameter vector (initial value ``log_std_init``). As in SB3, the action sent to the
environment is the sample *clipped to the bounds of the Box*, while the
log-probability and the ratio use the *unclipped* sample; the deterministic action is
the mean, clipped. The actor and the critic are separate MLPs (SB3's default
``MlpPolicy``: ``pi=[64, 64]``, ``vf=[64, 64]``, tanh). They are built by
:func:`rlcore.deep.build_mlp` with its initialisation (PyTorch's default uniform, the
actor's last layer scaled by 0.01), **not** SB3's orthogonal initialisation; their
weights are drawn from the numpy generator ``rng`` (torch's global random state is
neither read nor advanced), so the same seed gives the same run on CPU.

Differences from SB3, none of which changes the work done: the initialisation (above);
the schedules floored at 0; advantages computed in float64 (SB3: float32); actions drawn
from the numpy generator ``rng`` (SB3: torch's); when one minibatch holds the whole
rollout it is used in rollout order (the loss is a mean: the order is immaterial).

Speed. During a rollout the parameters are fixed, so actions are sampled from a numpy
copy of the actor's forward pass (no torch call per step), and the values and
log-probabilities of the whole rollout are computed in one batched pass at its end.
All parameters live in one flat buffer (each network parameter a view of it); the
training forward pass computes both networks from stacked views of it (one matmul for
both first layers, one batched matmul per middle layer), so the whole gradient lands in
one flat vector and gradient clipping and Adam (written out: ``torch.optim.Adam``'s
arithmetic, bit for bit) are a few vector operations. On CartPole with the defaults,
about 80% of the time goes to the gradient steps and 7% to stepping the environments
(a Python loop over the copies, as SB3's ``DummyVecEnv``).

Guarantee
---------
None: PPO is a heuristic. What is tested is an empirical budget on small discounted
finite MDPs presented through Gymnasium: the greedy policy's exact value is within a
stated gap of ``V*`` on a stated share of seeds, with discrete actions
(``tests/tabular/deep/test_ppo_agent.py::test_discrete_ppo_is_near_optimal_on_river_swim``)
and with a ``Box`` action read through its sign
(``tests/tabular/deep/test_ppo_agent.py::test_gaussian_ppo_is_near_optimal_through_a_box_action``);
the advantage estimates equal a hand computation with a truncation and a termination
(``tests/tabular/deep/test_ppo_agent.py::test_gae_matches_a_hand_computation``).

References
----------
J. Schulman, F. Wolski, P. Dhariwal, A. Radford and O. Klimov, "Proximal policy
optimization algorithms", arXiv:1707.06347, 2017.

J. Schulman, P. Moritz, S. Levine, M. I. Jordan and P. Abbeel, "High-dimensional
continuous control using generalized advantage estimation", ICLR 2016.

A. Raffin et al., "Stable-Baselines3: reliable reinforcement learning
implementations", JMLR 22(268), 2021 (the ``PPO`` implementation and the
rl-baselines3-zoo hyperparameters the defaults follow; read from their source code).

F. Pardo, A. Tavakoli, V. Levdik and P. Kormushev, "Time limits in reinforcement
learning", ICML 2018 (bootstrapping at time-limit truncations; cited for the idea).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from rlcore.deep import ACTIVATIONS, build_mlp, require_torch, resolve_device
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import RNG, Bool, Device, Integer, Options, Real, validate_params
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
    Evaluator,
    EnvRunner,
    as_task,
    eval_task,
    finish,
    task_config,
)
from tabular.deep._common import HIDDEN_SIZES, hidden_tuple
from tabular.deep.agent import Agent, DeepRLResult, register_agent_kind

__all__ = ["train_ppo"]

#: Adam's epsilon (SB3's ``ActorCriticPolicy`` default).
ADAM_EPS = 1e-5
_LOG_2PI = float(np.log(2.0 * np.pi))


# ---------------------------------------------------------------------- networks and acting
def _build(cfg: dict[str, Any], torch: Any, dev: Any, gen: np.random.Generator) -> dict[str, Any]:
    """The actor (logits or Gaussian mean), the critic and, for a Box, the log std."""
    d, hidden, act = int(cfg["obs_dim"]), tuple(cfg["hidden_sizes"]), str(cfg["activation"])
    discrete = cfg.get("n_actions") is not None
    k = int(cfg["n_actions"]) if discrete else int(np.prod(cfg["action_shape"], dtype=np.int64))
    nets: dict[str, Any] = {
        "actor": build_mlp((d, *hidden, k), activation=act, rng=gen, device=dev, out_scale=0.01),
        "critic": build_mlp((d, *hidden, 1), activation=act, rng=gen, device=dev),
    }
    if not discrete:
        log_std = torch.full((k,), float(cfg["log_std_init"]), dtype=torch.float32, device=dev)
        nets["log_std"] = torch.nn.ParameterDict({"log_std": torch.nn.Parameter(log_std)})
    return nets


def _bounds(cfg: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(cfg["action_low"], dtype=np.float64), np.asarray(cfg["action_high"], dtype=np.float64)


def _sample_categorical(logits: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """One draw per row of ``softmax(logits)`` (inverse CDF from one uniform each)."""
    z = logits.astype(np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    cdf = np.cumsum(p, axis=1)
    u = gen.random(z.shape[0]) * cdf[:, -1]
    return np.minimum((cdf <= u[:, None]).sum(axis=1), z.shape[1] - 1).astype(np.int64)


def _act(agent: Agent, x: Any, deterministic: bool, gen: np.random.Generator) -> np.ndarray:
    cfg = agent.config
    out = agent.networks["actor"](x).cpu().numpy()
    if cfg.get("n_actions") is not None:
        return out.argmax(axis=1).astype(np.int64) if deterministic else _sample_categorical(out, gen)
    a = out.astype(np.float64)
    if not deterministic:
        std = np.exp(agent.networks["log_std"]["log_std"].detach().cpu().numpy().astype(np.float64))
        a = a + std * gen.standard_normal(a.shape)
    lo, hi = _bounds(cfg)
    return np.clip(a, lo, hi).reshape((a.shape[0], *cfg["action_shape"]))


register_agent_kind("ppo", _build, _act)


def _numpy_actor(actor: Any, activation: str) -> Any:
    """A numpy copy of ``actor``'s forward pass (tanh or relu), or None for other activations."""
    if activation not in ("tanh", "relu"):
        return None
    layers = [m for m in actor if hasattr(m, "weight")]
    ws = [(m.weight.detach().cpu().numpy().T.copy(), m.bias.detach().cpu().numpy().copy()) for m in layers]

    def forward(x: np.ndarray) -> np.ndarray:
        h = x
        for i, (w, b) in enumerate(ws):
            h = h @ w
            h += b
            if i < len(ws) - 1:
                np.tanh(h, out=h) if activation == "tanh" else np.maximum(h, 0.0, out=h)
        return h

    return forward


# ---------------------------------------------------------------------- advantages
def _gae(
    rewards: np.ndarray,
    values: np.ndarray,
    next_values: np.ndarray,
    terminated: np.ndarray,
    truncated: np.ndarray,
    gamma: float,
    lam: float,
) -> np.ndarray:
    """Generalised advantage estimates of a rollout (Schulman et al. 2016), float64 ``(T, n)``.

    ``values[t] = V(x_t)``; ``next_values[t] = V(x'_t)``, the value of the true next
    observation (the final one where the episode ended), read only where it did not
    terminate. The recursion ``A_t = delta_t + gamma * lam * A_{t+1}`` is cut where the
    episode ended (terminated or truncated) and after the last row.
    """
    T = rewards.shape[0]
    boot = np.where(terminated, 0.0, next_values)
    delta = rewards + gamma * boot - values
    carry = gamma * lam * ~(terminated | truncated)
    adv = np.empty_like(delta, dtype=np.float64)
    nxt = np.zeros(delta.shape[1:], dtype=np.float64)
    for t in range(T - 1, -1, -1):
        nxt = delta[t] + carry[t] * nxt
        adv[t] = nxt
    return adv


# ---------------------------------------------------------------------- fused parameters
class _Fused:
    """The actor and critic (and log std) parameters in one flat Parameter, and a fused forward.

    Every module parameter becomes a view of ``master``, laid out so that the two
    networks' layers stack: the first layers' weights are one ``(2 h_1, d)`` block (one
    matmul for both networks), the middle layers ``(2, h_{i+1}, h_i)`` blocks (one batched
    matmul), the last layers side by side. :meth:`forward` computes both networks from
    views of ``master``, so a backward pass leaves the whole gradient in ``master.grad``
    (one flat vector: clipping and Adam are a few vector operations).
    """

    def __init__(self, torch: Any, nets: dict[str, Any], activation: str, dev: Any) -> None:
        self.torch = torch
        fn = torch.nn.functional
        self.act = {"relu": fn.relu, "tanh": torch.tanh, "gelu": fn.gelu, "silu": fn.silu, "elu": fn.elu}[activation]
        lin_a = [m for m in nets["actor"] if isinstance(m, torch.nn.Linear)]
        lin_c = [m for m in nets["critic"] if isinstance(m, torch.nn.Linear)]
        order: list[Any] = []
        for la, lc in zip(lin_a, lin_c):  # per layer: both weights, then both biases
            order += [la.weight, lc.weight, la.bias, lc.bias]
        if "log_std" in nets:
            order.append(nets["log_std"]["log_std"])
        n = sum(int(p.numel()) for p in order)
        flat = torch.zeros(n, dtype=torch.float32, device=dev)
        offsets, o = [], 0
        for p in order:
            k = int(p.numel())
            flat[o : o + k].copy_(p.detach().reshape(-1))
            p.data = flat[o : o + k].view_as(p)
            offsets.append(o)
            o += k
        self.master = torch.nn.Parameter(flat)
        self.master.grad = torch.zeros_like(flat)
        self.layers: list[tuple[Any, ...]] = []
        for i, (la, lc) in enumerate(zip(lin_a, lin_c)):
            ow, ob = offsets[4 * i], offsets[4 * i + 2]
            self.layers.append((ow, ob, la.out_features, lc.out_features, la.in_features))
        self.log_std_at = offsets[-1] if "log_std" in nets else None
        self.k = lin_a[-1].out_features

    def log_std(self) -> Any:
        o = self.log_std_at
        return self.master[o : o + self.k]

    def forward(self, x: Any) -> tuple[Any, Any]:
        """``(actor output (B, k), value (B,))`` of observations ``x`` (B, d), differentiable in ``master``."""
        torch, m = self.torch, self.master
        L = len(self.layers)
        if L == 1:  # no hidden layer: one matmul of the stacked (k + 1, d) weights
            ow, ob, ka, kc, d = self.layers[0]
            out = torch.addmm(m[ob : ob + ka + kc], x, m[ow : ow + (ka + kc) * d].view(ka + kc, d).t())
            return out[:, :ka], out[:, ka]
        ow, ob, h, _, d = self.layers[0]
        z = self.act(torch.addmm(m[ob : ob + 2 * h], x, m[ow : ow + 2 * h * d].view(2 * h, d).t()))
        z = z.view(-1, 2, h).transpose(0, 1)  # (2, B, h)
        for ow, ob, h2, _, h1 in self.layers[1:-1]:
            w = m[ow : ow + 2 * h2 * h1].view(2, h2, h1).transpose(1, 2)
            z = self.act(torch.baddbmm(m[ob : ob + 2 * h2].view(2, 1, h2), z, w))
        ow, ob, ka, kc, h = self.layers[-1]
        out = torch.addmm(m[ob : ob + ka], z[0], m[ow : ow + ka * h].view(ka, h).t())
        oc = ow + ka * h
        v = torch.addmm(m[ob + ka : ob + ka + kc], z[1], m[oc : oc + kc * h].view(kc, h).t())
        return out, v[:, 0]


class _Adam:
    """Adam (Kingma and Ba 2015) on the flat parameter, PyTorch's update written out.

    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``,
    ``p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``, with
    ``b1, b2 = 0.9, 0.999`` and ``eps = 1e-5`` (SB3's): the arithmetic of
    ``torch.optim.Adam`` without its per-call bookkeeping.
    """

    def __init__(self, torch: Any, param: Any, eps: float = ADAM_EPS) -> None:
        self.torch, self.p, self.g = torch, param, param.grad
        self.m, self.v = torch.zeros_like(param), torch.zeros_like(param)
        self.eps, self.t = eps, 0

    def step(self, lr: float) -> None:
        b1, b2 = 0.9, 0.999
        self.t += 1
        with self.torch.no_grad():
            self.m.lerp_(self.g, 1.0 - b1)
            self.v.mul_(b2).addcmul_(self.g, self.g, value=1.0 - b2)
            denom = (self.v.sqrt() / float(np.sqrt(1.0 - b2**self.t))).add_(self.eps)
            self.p.addcdiv_(self.m, denom, value=-lr / (1.0 - b1**self.t))


# ---------------------------------------------------------------------- training
@validate_params(
    env=ENV,
    total_steps=TOTAL_STEPS,
    n_steps=Integer(1, 10**6),
    batch_size=Integer(1, 10**7),
    n_epochs=Integer(1, 10**4),
    learning_rate=LR,
    learning_rate_schedule=Options("linear", "constant"),
    clip_range=Real(0, 10, closed="right"),
    clip_schedule=Options("linear", "constant"),
    gae_lambda=Real(0, 1),
    ent_coef=Real(0, 1e3),
    vf_coef=Real(0, 1e3),
    max_grad_norm=Real(0, 1e6, closed="right"),
    normalize_advantage=Bool(),
    activation=Options(*ACTIVATIONS),
    log_std_init=Real(-20, 2),
    hidden_sizes=HIDDEN_SIZES,
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
def train_ppo(
    env: Any,
    *,
    total_steps: int,
    n_steps: int = 32,
    batch_size: int = 256,
    n_epochs: int = 20,
    learning_rate: float = 1e-3,
    learning_rate_schedule: str = "linear",
    clip_range: float = 0.2,
    clip_schedule: str = "linear",
    gae_lambda: float = 0.8,
    ent_coef: float = 0.0,
    vf_coef: float = 0.5,
    max_grad_norm: float = 0.5,
    normalize_advantage: bool = True,
    activation: str = "tanh",
    log_std_init: float = 0.0,
    hidden_sizes: Any = (64, 64),
    gamma: float = 0.98,
    n_envs: int = 8,
    eval_env: Any = None,
    eval_every: int | None = None,
    n_eval_episodes: int = 10,
    max_episode_steps: int | None = None,
    device: Any = "cpu",
    rng: RNGLike = None,
    progress: bool | None = None,
) -> DeepRLResult:
    """Train a PPO agent (clipped surrogate, GAE) on a Gymnasium task.

    The defaults are rl-baselines3-zoo's tuned PPO settings for ``CartPole-v1`` (which
    reach the maximal return 500 in about ``10**5`` steps). See the module docstring
    for the algorithm, the truncation rule and the differences from SB3.

    Parameters
    ----------
    env : str, gymnasium.Env, VectorEnv, callable, GymnasiumSimulator or simulator
        The training task (see :func:`tabular.deep._agent_common.as_task`), with a
        ``Discrete`` or a bounded ``Box`` action space.
    total_steps : int in [1, 10**9]
        Environment steps (over all environments); whole rollouts run while fewer were taken.
    n_steps : int in [1, 10**6], default 32
        Steps per environment per rollout.
    batch_size : int in [1, 10**7], default 256
        Minibatch size (transitions); the whole rollout when larger.
    n_epochs : int in [1, 10**4], default 20
        Passes over each rollout.
    learning_rate : float in (0, 10], default 1e-3
        Adam's initial step size.
    learning_rate_schedule, clip_schedule : {"linear", "constant"}, default "linear"
        Decay with the progress remaining, or keep constant.
    clip_range : float in (0, 10], default 0.2
        Initial ``eps`` of the clipped ratio.
    gae_lambda : float in [0, 1], default 0.8
    ent_coef, vf_coef : float in [0, 1000], defaults 0.0 and 0.5
        Weights of the entropy bonus and of the value loss.
    max_grad_norm : float in (0, 10**6], default 0.5
    normalize_advantage : bool, default True
        Standardise the advantages within each minibatch (of more than one transition).
    activation : {"relu", "tanh", "gelu", "silu", "elu"}, default "tanh"
    log_std_init : float in [-20, 2], default 0.0
        Initial log standard deviation of the Gaussian policy (``Box`` actions only).
    hidden_sizes : tuple of int, or int, default (64, 64)
        Hidden widths of the actor and of the critic (separate networks).
    gamma : float in [0, 1), default 0.98
    n_envs : int in [1, 4096], default 8
    eval_env : like ``env``, optional
        Evaluation environment (default: a fresh copy of ``env``).
    eval_every : int, optional
        Evaluate (deterministic policy) after the first rollout that reaches every
        multiple of this many steps; a final evaluation always runs.
    n_eval_episodes : int in [1, 10**4], default 10
    max_episode_steps : int, optional
        Time limit for an rlcore simulator without a horizon (a truncation, bootstrapped),
        and the cut of evaluation episodes on an environment without a time limit of its own.
    device : str or torch.device, default "cpu"
    rng : Generator, int or None
        All randomness: initial weights, actions, minibatches, environment seeds.
    progress : bool or None
        Progress bar over the training steps (see :mod:`rlcore.progress`).

    Returns
    -------
    DeepRLResult
        ``algorithm="ppo"``; ``agent`` with networks ``"actor"``, ``"critic"`` (and
        ``"log_std"`` for a ``Box``); ``n_updates`` the number of Adam steps.

    Guarantee
    ---------
    None (a heuristic; see the module docstring). Tested budgets (RiverSwim(3), gamma 0.9,
    2048 steps, greedy policy within 0.1 of ``V*`` in sup norm on at least 4 of 6 seeds):
    ``tests/tabular/deep/test_ppo_agent.py::test_discrete_ppo_is_near_optimal_on_river_swim``,
    ``tests/tabular/deep/test_ppo_agent.py::test_gaussian_ppo_is_near_optimal_through_a_box_action``;
    the advantages: ``tests/tabular/deep/test_ppo_agent.py::test_gae_matches_a_hand_computation``.

    Raises
    ------
    ImportError
        Without torch (install the ``torch`` extra).
    TypeError, ValueError
        Naming the offending argument.

    References
    ----------
    Schulman et al. (2017, 2016); SB3's ``PPO`` (Raffin et al. 2021): see the module docstring.

    Examples
    --------
    >>> res = train_ppo("CartPole-v1", total_steps=256, n_epochs=2, n_eval_episodes=1, rng=0)
    >>> res.algorithm, res.n_steps, res.n_updates
    ('ppo', 256, 2)
    >>> res.agent.act(np.zeros((2, 4), dtype=np.float32)).shape
    (2,)
    """
    torch = require_torch("tabular.deep.train_ppo")
    dev = resolve_device(device)
    gen = as_generator(rng)
    task = as_task(env, "env", max_episode_steps)
    hidden = hidden_tuple(hidden_sizes)
    cfg = {
        **task_config(task),
        "hidden_sizes": list(hidden),
        "activation": activation,
        "log_std_init": float(log_std_init),
        "gamma": float(gamma),
    }
    discrete = cfg["n_actions"] is not None
    nets = _build(cfg, torch, dev, gen)
    agent = Agent("ppo", cfg, nets, dev)
    ev = Evaluator(eval_task(env, eval_env, max_episode_steps), n_eval_episodes, eval_every, gen, max_episode_steps)
    runner = EnvRunner(task, n_envs, gen)
    actor = nets["actor"]
    fused = _Fused(torch, nets, activation, dev)
    master, grad = fused.master, fused.master.grad
    adam = _Adam(torch, master)

    T, n, d = n_steps, n_envs, int(cfg["obs_dim"])
    N = T * n
    k = fused.k
    shape = tuple(cfg.get("action_shape") or ())
    if not discrete:
        lo, hi = (b.reshape(shape) for b in _bounds(cfg))
    X = np.empty((T, n, d), dtype=np.float32)
    XF = np.empty((T, n, d), dtype=np.float32)
    acts = np.empty((T, n), dtype=np.int64) if discrete else np.empty((T, n, k), dtype=np.float32)
    rew = np.empty((T, n), dtype=np.float64)
    term = np.empty((T, n), dtype=bool)
    trunc = np.empty((T, n), dtype=bool)
    n_updates = 0

    def evaluate(xb: Any, ab: Any) -> tuple[Any, Any, Any]:
        """Log-probabilities of actions ``ab``, entropies and values at ``xb``."""
        out, v = fused.forward(xb)
        if discrete:
            lp_all = torch.log_softmax(out, dim=1)
            return lp_all.gather(1, ab[:, None])[:, 0], -(lp_all.exp() * lp_all).sum(dim=1), v
        ls = fused.log_std()
        z = (ab - out) * torch.exp(-ls)
        lp = -0.5 * (z * z).sum(dim=1) - ls.sum() - 0.5 * k * _LOG_2PI
        return lp, (0.5 + 0.5 * _LOG_2PI + ls).sum().expand(out.shape[0]), v

    t0 = time.perf_counter()
    with progress_bar(total_steps, desc="ppo", progress=progress, unit="step") as bar:
        while runner.steps < total_steps:
            # ---- rollout (parameters fixed: act from a numpy copy of the actor)
            np_actor = _numpy_actor(actor, activation)
            if not discrete:
                std = np.exp(fused.log_std().detach().cpu().numpy().astype(np.float64))
            for t in range(T):
                x = runner.x
                X[t] = x
                if np_actor is not None:
                    out = np_actor(x)
                else:
                    with torch.no_grad():
                        out = actor(torch.as_tensor(x, device=dev)).cpu().numpy()
                if discrete:
                    a = _sample_categorical(out, gen)
                    acts[t] = a
                    env_a = a
                else:
                    a = out.astype(np.float64) + std * gen.standard_normal(out.shape)
                    acts[t] = a
                    env_a = np.clip(a.reshape((n, *shape)), lo, hi)
                x_final, r, te, tr = runner.step(env_a)
                XF[t] = x_final
                rew[t], term[t], trunc[t] = r, te, tr
            bar.update(N)
            # ---- values, old log-probabilities and advantages, in one batched pass
            xs = torch.as_tensor(X.reshape(N, d), device=dev)
            a_all = torch.as_tensor(acts.reshape(N) if discrete else acts.reshape(N, k), device=dev)
            with torch.no_grad():
                old_logp, _, v_t = evaluate(xs, a_all)
                v = v_t.cpu().numpy().astype(np.float64).reshape(T, n)
                nv = np.empty_like(v)
                nv[:-1] = v[1:]
                nv[-1] = fused.forward(torch.as_tensor(runner.x, device=dev))[1].cpu().numpy()
                if trunc.any():  # bootstrap from the final observation of a truncated episode
                    nv[trunc] = fused.forward(torch.as_tensor(XF[trunc], device=dev))[1].cpu().numpy()
            adv = _gae(rew, v, nv, term, trunc, gamma, gae_lambda)
            # one (N, 3) table: old log-probability, advantage, value target
            tab_np = np.stack([old_logp.cpu().numpy(), adv.reshape(N), (adv + v).reshape(N)], axis=1)
            tab = torch.as_tensor(tab_np, dtype=torch.float32, device=dev)
            # ---- schedules (progress remaining after this rollout)
            remaining = max(0.0, 1.0 - runner.steps / total_steps)
            lr = learning_rate * (remaining if learning_rate_schedule == "linear" else 1.0)
            eps = clip_range * (remaining if clip_schedule == "linear" else 1.0)
            # ---- clipped-surrogate epochs
            for _ in range(n_epochs):
                perm = gen.permutation(N)
                for start in range(0, N, batch_size):
                    if start == 0 and batch_size >= N:  # one minibatch: the whole rollout (order is immaterial)
                        xb, ab, tb = xs, a_all, tab
                    else:
                        idx = torch.as_tensor(perm[start : start + batch_size], device=dev)
                        xb, ab, tb = xs[idx], a_all[idx], tab[idx]
                    lp, ent, v_pred = evaluate(xb, ab)
                    a_mb = tb[:, 1]
                    if normalize_advantage and a_mb.shape[0] > 1:
                        a_mb = (a_mb - a_mb.mean()) / (a_mb.std() + 1e-8)
                    ratio = torch.exp(lp - tb[:, 0])
                    surrogate = torch.minimum(ratio * a_mb, torch.clamp(ratio, 1.0 - eps, 1.0 + eps) * a_mb)
                    v_loss = torch.nn.functional.mse_loss(v_pred, tb[:, 2])
                    loss = -surrogate.mean() + vf_coef * v_loss
                    if ent_coef:
                        loss = loss - ent_coef * ent.mean()
                    grad.zero_()
                    loss.backward()
                    norm = torch.linalg.vector_norm(grad)
                    grad.mul_(torch.clamp(max_grad_norm / (norm + 1e-6), max=1.0))
                    adam.step(lr)
                    n_updates += 1
            if ev.due(runner.steps):
                ev.run(runner.steps, lambda o: agent.act(o))
    return finish("ppo", agent, runner, ev, lambda o: agent.act(o), n_updates, t0)
