"""Proximal policy optimisation (PPO) for finite-horizon episodic problems behind a simulator.

The clipped-objective PPO of Schulman et al. (2017), the deep policy-gradient baseline
of the effective-horizon papers, on the library's batched simulator. An actor MLP gives
logits ``pi_theta(. | x)`` and a critic MLP a value ``V_w(x)`` of the observation
``x = features(s, t)`` (by default ``one_hot(s)`` concatenated with ``one_hot(t)``).
Each iteration:

1. run ``n_envs`` episodes in lock-step with the current policy (at most ``H`` steps);
2. generalised advantage estimation (Schulman et al. 2016), backwards in ``t``::

       delta_t = r_t + gamma * V(x_{t+1}) * c_t - V(x_t)
       A_t     = delta_t + gamma * lambda * c_t * A_{t+1}

   with ``c_t = 0`` when the episode terminated at ``t`` or ``t = H - 1`` (nothing is
   bootstrapped past the horizon: the finite-horizon value there is zero), and value
   targets ``A_t + V(x_t)``;
3. ``n_epochs`` passes over shuffled minibatches of the loss::

       - mean(min(rho A, clip(rho, 1 - eps, 1 + eps) A))
       + vf_coef * mean((V(x) - target)**2) - ent_coef * mean(entropy(pi(. | x)))

   where ``rho = pi_theta(a | x) / pi_old(a | x)`` and the advantages are normalised
   per minibatch when ``normalize_advantage``.

The actor and the critic are built by :func:`rlcore.deep.build_mlp` (the actor's last
layer scaled by ``0.01``, so the initial policy is close to uniform), their initial
weights drawn from the numpy generator ``rng`` (torch's global random state is neither
read nor advanced). torch is imported, through :func:`rlcore.deep.require_torch`, when
:func:`ppo` is called; without it the call raises an ImportError naming the ``torch``
extra.

Guarantee
---------
None: PPO is a heuristic policy-gradient method. It is here as the empirical baseline
the effective-horizon papers compare against; check its policies with
:func:`rlcore.evaluate_policy`. What is tested is an empirical budget: it solves small
combination locks within a stated number of episodes on most of a set of fixed seeds.
Tested by ``tests/tabular/deep/test_dqn_ppo.py::test_solves_small_combination_locks``.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np

from rlcore.deep import build_mlp, require_torch, resolve_device
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import Bool, Integer, validate_params
from tabular._learner_common import (
    EVAL_EVERY,
    EVALUATE,
    HORIZON,
    LEARNER_GAMMA,
    MAX_LOCKSTEP,
    N_ACTIONS,
    N_ENVS,
    N_EPISODES,
    N_STATES,
    NON_NEGATIVE,
    POSITIVE,
    RNG_ARG,
    SIM,
    TARGET_ATOL,
    TARGET_VALUE,
    UNIT,
    EvalSchedule,
    batch_sizes,
    check_learner_sim,
    checked_reset,
    checked_step,
)
from tabular.deep._common import (
    DEVICE,
    FEATURES,
    HIDDEN_SIZES,
    FeatureMap,
    greedy_policy,
    hidden_tuple,
    resolve_features,
)
from tabular.learning import LearnerResult

__all__ = ["ppo"]

#: Most passes over one rollout.
MAX_EPOCHS = 10**4


@validate_params(
    sim=SIM,
    horizon=HORIZON,
    n_actions=N_ACTIONS,
    n_episodes=N_EPISODES,
    features=FEATURES,
    n_states=N_STATES,
    hidden_sizes=HIDDEN_SIZES,
    learning_rate=POSITIVE,
    n_envs=N_ENVS,
    n_epochs=Integer(0, MAX_EPOCHS),
    minibatch_size=Integer(1, MAX_LOCKSTEP),
    clip_range=POSITIVE,
    gae_lambda=UNIT,
    gamma=LEARNER_GAMMA,
    ent_coef=NON_NEGATIVE,
    vf_coef=NON_NEGATIVE,
    max_grad_norm=POSITIVE,
    normalize_advantage=Bool(),
    device=DEVICE,
    rng=RNG_ARG,
    evaluate=EVALUATE,
    eval_every=EVAL_EVERY,
    target_value=TARGET_VALUE,
    target_atol=TARGET_ATOL,
    progress=PROGRESS,
)
def ppo(
    sim: Any,
    *,
    horizon: int,
    n_actions: int,
    n_episodes: int,
    features: Callable[[np.ndarray, int], np.ndarray] | None = None,
    n_states: int | None = None,
    hidden_sizes: tuple[int, ...] = (64, 64),
    learning_rate: float = 3e-3,
    n_envs: int = 16,
    n_epochs: int = 4,
    minibatch_size: int = 32,
    clip_range: float = 0.2,
    gae_lambda: float = 0.95,
    gamma: float = 1.0,
    ent_coef: float = 0.01,
    vf_coef: float = 0.5,
    max_grad_norm: float = 0.5,
    normalize_advantage: bool = True,
    device: Any = "cpu",
    rng: RNGLike = None,
    evaluate: Callable[[Any], float] | None = None,
    eval_every: int | None = None,
    target_value: float | None = None,
    target_atol: float = 1e-6,
    progress: bool | None = None,
) -> LearnerResult:
    """Actor-critic PPO with GAE and the clipped surrogate (Schulman et al. 2017).

    Parameters
    ----------
    sim : Simulator
        Batched ``reset(n, rng)`` / ``step(states, actions, rng, *, t)``.
    horizon : int in [1, 10**6]
        ``H`` steps per episode (at most ``sim.horizon`` when it has one).
    n_actions : int in [1, 10**6]
        ``A``; must match ``sim.n_actions`` when present.
    n_episodes : int in [1, 10**12]
        Training episodes.
    features : callable, optional
        ``features(states, t) -> ndarray of shape (n, d)``. Default (needs ``n_states``):
        ``one_hot(s)`` concatenated with ``one_hot(t)``.
    n_states : int in [1, 10**8], optional
        ``S``; defaults to ``sim.n_states``. When known, the greedy policy (argmax of the
        actor's logits) of shape (H, S) is returned and passed to ``evaluate``;
        otherwise ``evaluate`` receives ``policy(states, t, rng) -> actions``.
        ``H * S * A`` may be at most ``10**8``.
    hidden_sizes : tuple of int, or int
        Widths (each in ``[1, 16384]``, at most 64 layers, the limits of
        :func:`rlcore.deep.build_mlp`) of the tanh hidden layers of the actor and of the
        critic; an int is one layer.
    learning_rate : float > 0
        Adam step size.
    n_envs : int in [1, 10**7]
        Episodes per rollout (one PPO iteration each).
    n_epochs : int in [0, 10**4]
        Passes over the rollout.
    minibatch_size : int in [1, 10**7]
        Minibatch size (transitions).
    clip_range : float > 0
        ``eps`` of the clipped ratio.
    gae_lambda : float in [0, 1]
        GAE ``lambda`` (0: one-step TD advantages; 1: Monte Carlo returns minus ``V``).
    gamma : float in (0, 1]
        Discount.
    ent_coef, vf_coef : float >= 0
        Weights of the entropy bonus and of the value loss.
    max_grad_norm : float > 0
        Gradient-norm clip.
    normalize_advantage : bool
        Standardise advantages within each minibatch.
    device : str or torch.device
        Where the networks live (CPU by default; see :func:`rlcore.deep.resolve_device`).
    rng : Generator, int or None
        All randomness: initialisation (torch's global generator is not used), actions,
        minibatches, simulator.
    evaluate, eval_every, target_value, target_atol
        Evaluation hook and early stopping, as in :func:`~tabular.q_learning`
        (``eval_every`` defaults to ``n_envs``, one rollout).
    progress : bool or None, default None
        Show a progress bar over the training episodes on standard error (see
        :mod:`rlcore.progress`); None follows :func:`rlcore.set_progress` (off by
        default). The result does not depend on it.

    Returns
    -------
    LearnerResult
        ``policy`` (or None without ``n_states``), ``Q=None``, ``model`` a
        ``torch.nn.ModuleDict`` with ``"actor"`` (``d -> A`` logits) and ``"critic"``
        (``d -> 1``), and the evaluation history.

    Guarantee
    ---------
    None (a heuristic; see the module docstring). It solves small combination locks
    within a stated budget on fixed seeds: tested by
    ``tests/tabular/deep/test_dqn_ppo.py::test_solves_small_combination_locks`` and
    ``tests/tabular/deep/test_dqn_ppo.py::test_solves_combination_locks_without_early_termination``.

    Raises
    ------
    ImportError
        Without torch (install the ``torch`` extra).
    TypeError, ValueError
        Naming the offending argument.

    References
    ----------
    J. Schulman, F. Wolski, P. Dhariwal, A. Radford and O. Klimov, "Proximal policy
    optimization algorithms", arXiv:1707.06347, 2017.

    J. Schulman, P. Moritz, S. Levine, M. I. Jordan and P. Abbeel, "High-dimensional
    continuous control using generalized advantage estimation", ICLR 2016.

    C. Laidlaw, B. Zhu, S. Russell and A. Dragan, "The effective horizon explains deep
    RL performance in stochastic environments", ICLR 2024.

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> lock = combination_lock(2, 2, combination=[1, 0])
    >>> res = ppo(lock, horizon=2, n_actions=2, n_episodes=64, hidden_sizes=(16,), rng=0)
    >>> res.policy[[0, 1], [0, 1]].tolist()
    [1, 0]
    """
    H, A, N = horizon, n_actions, n_episodes
    S = check_learner_sim(sim, H, A, n_states)
    feat = resolve_features(features, S, H)
    hidden = hidden_tuple(hidden_sizes)
    lr, mb, clip_eps, lam, g = learning_rate, minibatch_size, clip_range, gae_lambda, gamma
    ent, vf, clip_norm = ent_coef, vf_coef, max_grad_norm
    schedule = EvalSchedule(evaluate, eval_every, target_value, target_atol, n_envs)
    torch = require_torch("tabular.deep.ppo")
    dev = resolve_device(device)
    gen = as_generator(rng)

    phi = FeatureMap(feat)

    # the first batch's initial states fix the feature dimension d of the networks
    sizes = batch_sizes(N, n_envs, schedule.eval_every)
    states0 = checked_reset(sim, sizes[0], gen)
    d = phi(states0, 0).shape[1]
    first: np.ndarray | None = states0
    actor = build_mlp((d, *hidden, A), activation="tanh", rng=gen, device=dev, out_scale=0.01)
    critic = build_mlp((d, *hidden, 1), activation="tanh", rng=gen, device=dev)
    model = torch.nn.ModuleDict({"actor": actor, "critic": critic})
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.no_grad():
            xt = torch.as_tensor(x, dtype=torch.float32, device=dev)
            logp = torch.log_softmax(actor(xt), dim=1).cpu().numpy().astype(np.float64)
            v = critic(xt)[:, 0].cpu().numpy().astype(np.float64)
        return logp, v

    def logits(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return actor(torch.as_tensor(x, dtype=torch.float32, device=dev)).cpu().numpy()

    def current_policy() -> Any:
        return greedy_policy(lambda s, t: logits(phi(s, t)), S, H)

    episodes = steps = 0
    with progress_bar(N, desc="ppo", progress=progress, unit="episode") as bar:
        for b in sizes:
            # ---- rollout: (b, H) tables, `alive` marks the steps that happened
            X = np.zeros((b, H, d), dtype=np.float32)
            act_tab = np.zeros((b, H), dtype=np.int64)
            logp_tab = np.zeros((b, H))
            val_tab = np.zeros((b, H + 1))
            rew_tab = np.zeros((b, H))
            cont_tab = np.zeros((b, H))
            alive = np.zeros((b, H), dtype=bool)
            rows = np.arange(b)
            states = checked_reset(sim, b, gen) if first is None else first
            first = None
            for t in range(H):
                n = rows.shape[0]
                x = phi(states, t)
                logp, v = forward(x)
                cdf = np.cumsum(np.exp(logp), axis=1)
                u = gen.random(n) * cdf[:, -1]
                actions = np.minimum((cdf <= u[:, None]).sum(axis=1), A - 1).astype(np.int64)
                nxt, rew, term = checked_step(sim, states, actions, gen, t)
                X[rows, t] = x
                act_tab[rows, t] = actions
                logp_tab[rows, t] = logp[np.arange(n), actions]
                val_tab[rows, t] = v
                rew_tab[rows, t] = rew
                cont_tab[rows, t] = 0.0 if t == H - 1 else (~term).astype(np.float64)
                alive[rows, t] = True
                steps += n
                keep = ~term
                rows, states = rows[keep], nxt[keep]
                if rows.size == 0:
                    break
            # ---- GAE, backwards in t (val_tab[:, t+1] is read only where cont_tab[:, t] = 1)
            adv = np.zeros((b, H))
            nxt_adv = np.zeros(b)
            for t in range(H - 1, -1, -1):
                delta = rew_tab[:, t] + g * cont_tab[:, t] * val_tab[:, t + 1] - val_tab[:, t]
                nxt_adv = delta + g * lam * cont_tab[:, t] * nxt_adv
                adv[:, t] = nxt_adv
            ret = adv + val_tab[:, :H]
            Xf = torch.as_tensor(X[alive], device=dev)
            Af = torch.as_tensor(act_tab[alive], device=dev)
            old_logp = torch.as_tensor(logp_tab[alive], dtype=torch.float32, device=dev)
            advf = torch.as_tensor(adv[alive], dtype=torch.float32, device=dev)
            retf = torch.as_tensor(ret[alive], dtype=torch.float32, device=dev)
            n_tr = Xf.shape[0]
            # ---- clipped-surrogate epochs
            for _ in range(n_epochs):
                perm = gen.permutation(n_tr)
                for start in range(0, n_tr, mb):
                    idx = torch.as_tensor(perm[start : start + mb], device=dev)
                    logp_all = torch.log_softmax(actor(Xf[idx]), dim=1)
                    new_logp = logp_all.gather(1, Af[idx][:, None])[:, 0]
                    a_mb = advf[idx]
                    if normalize_advantage and a_mb.shape[0] > 1:
                        a_mb = (a_mb - a_mb.mean()) / (a_mb.std() + 1e-8)
                    ratio = torch.exp(new_logp - old_logp[idx])
                    surrogate = torch.minimum(ratio * a_mb, torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * a_mb)
                    entropy = -(logp_all.exp() * logp_all).sum(dim=1)
                    v_loss = ((critic(Xf[idx])[:, 0] - retf[idx]) ** 2).mean()
                    loss = -surrogate.mean() + vf * v_loss - ent * entropy.mean()
                    opt.zero_grad()
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
                    opt.step()
            episodes += b
            bar.update(b)
            if schedule.due(episodes, episodes == N):
                if schedule.record(current_policy(), episodes, steps):
                    break
    policy = current_policy() if S is not None else None
    return LearnerResult(
        policy=policy,
        Q=None,
        n_episodes=episodes,
        n_steps=steps,
        model=model,
        **schedule.arrays(),
    )
