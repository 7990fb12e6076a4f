"""Deep Q-networks (DQN) for finite-horizon episodic problems behind a simulator.

The DQN of Mnih et al. (2015) on the library's batched simulator, as the deep
value-based baseline of the effective-horizon papers. An MLP ``Q_theta(x, .)`` of the
observation ``x = features(s, t)`` (by default ``one_hot(s)`` concatenated with
``one_hot(t)``: in a finite horizon the optimal action depends on the time step) is
fitted to the targets of a periodically copied target network ``theta^-``::

    y = r + gamma * max_a' Q_theta^-(features(s', t + 1), a')   (y = r when the episode
                                                                  terminated or t = H-1)
    loss = Huber_delta(Q_theta(features(s, t), a) - y)    averaged over a minibatch

with transitions drawn uniformly from a replay buffer of the most recent
``buffer_size`` transitions. Bootstrapping stops at the horizon: the value after step
``H - 1`` is zero by definition of the finite-horizon return, so the time limit is a
true end of the problem, not a truncation. Exploration is epsilon-greedy with
``epsilon`` decreasing linearly from ``epsilon_start`` to ``epsilon_end`` over the first
``exploration_fraction`` of the training episodes.

Episodes run ``n_envs`` at a time in lock-step; after every batched step, once the
buffer holds ``learning_starts`` transitions, ``replay_ratio`` Adam steps are taken per
transition collected,
and the target network is refreshed every ``target_update_every`` gradient steps.

The networks are built by :func:`rlcore.deep.build_mlp`, their initial weights drawn
from the numpy generator ``rng`` (torch's global random state is neither read nor
advanced), so the same seed gives the same run. torch is imported, through
:func:`rlcore.deep.require_torch`, when :func:`dqn` is called; without it the call
raises an ImportError naming the ``torch`` extra.

Guarantee
---------
None: DQN is a heuristic (nonlinear function approximation with bootstrapping can
diverge). It is here as the empirical baseline the effective-horizon papers compare
against; check its policies with :func:`rlcore.evaluate_policy`. What is tested is an
empirical budget: it solves small combination locks within a stated number of episodes
on most of a set of fixed seeds. Tested by
``tests/tabular/deep/test_dqn_ppo.py::test_solves_small_combination_locks``.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np

from rlcore.deep import build_mlp, require_torch, resolve_device
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import MAX_ITERATIONS, MAX_SAMPLES, Integer, Real, validate_params
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

__all__ = ["dqn"]

#: Most transitions in the replay buffer (two float32 arrays of ``buffer_size * d``).
MAX_BUFFER = 10**8
#: Most Adam steps per collected transition.
MAX_REPLAY_RATIO = 1000.0


@validate_params(
    sim=SIM,
    horizon=HORIZON,
    n_actions=N_ACTIONS,
    n_episodes=N_EPISODES,
    features=FEATURES,
    n_states=N_STATES,
    hidden_sizes=HIDDEN_SIZES,
    learning_rate=POSITIVE,
    batch_size=Integer(1, MAX_LOCKSTEP),
    buffer_size=Integer(1, MAX_BUFFER),
    learning_starts=Integer(1, MAX_SAMPLES) | None,
    replay_ratio=Real(0, MAX_REPLAY_RATIO, closed="right"),
    target_update_every=Integer(1, MAX_ITERATIONS),
    epsilon_start=UNIT,
    epsilon_end=UNIT,
    exploration_fraction=UNIT,
    gamma=LEARNER_GAMMA,
    huber_delta=POSITIVE,
    max_grad_norm=POSITIVE,
    n_envs=N_ENVS,
    device=DEVICE,
    rng=RNG_ARG,
    evaluate=EVALUATE,
    eval_every=EVAL_EVERY,
    target_value=TARGET_VALUE,
    target_atol=TARGET_ATOL,
    progress=PROGRESS,
)
def dqn(
    sim: Any,
    *,
    horizon: int,
    n_actions: int,
    n_episodes: int,
    features: Callable[[np.ndarray, int], np.ndarray] | None = None,
    n_states: int | None = None,
    hidden_sizes: tuple[int, ...] = (64, 64),
    learning_rate: float = 1e-3,
    batch_size: int = 64,
    buffer_size: int = 10_000,
    learning_starts: int | None = None,
    replay_ratio: float = 1.0,
    target_update_every: int = 50,
    epsilon_start: float = 1.0,
    epsilon_end: float = 0.05,
    exploration_fraction: float = 0.5,
    gamma: float = 1.0,
    huber_delta: float = 1.0,
    max_grad_norm: float = 10.0,
    n_envs: int = 4,
    device: Any = "cpu",
    rng: RNGLike = None,
    evaluate: Callable[[Any], float] | None = None,
    eval_every: int | None = None,
    target_value: float | None = None,
    target_atol: float = 1e-6,
    progress: bool | None = None,
) -> LearnerResult:
    """Deep Q-network with replay and a target network (Mnih et al. 2015).

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
        ``features(states, t) -> ndarray of shape (n, d)``, the network's input. Default
        (needs ``n_states``): ``one_hot(s)`` concatenated with ``one_hot(t)``, ``d = S + H``.
    n_states : int in [1, 10**8], optional
        ``S``; defaults to ``sim.n_states``. When known, the greedy ``policy`` of shape
        (H, S) is returned and passed to ``evaluate``; otherwise ``evaluate`` receives a
        function ``policy(states, t, rng) -> actions``. ``H * S * A`` may be at most
        ``10**8``.
    hidden_sizes : tuple of int, or int
        Widths (each in ``[1, 16384]``, at most 64 layers, the limits of
        :func:`rlcore.deep.build_mlp`) of the ReLU hidden layers; an int is one layer,
        ``()`` a linear model.
    learning_rate : float > 0
        Adam step size.
    batch_size : int in [1, 10**7]
        Minibatch size (transitions).
    buffer_size : int in [1, 10**8]
        Replay capacity (transitions).
    learning_starts : int in [1, 10**12], optional
        Transitions stored before the first update (default ``batch_size``).
    replay_ratio : float in (0, 1000]
        Adam steps per collected transition (``1``: one minibatch update per
        transition; fractional credit carries over between batched steps).
    target_update_every : int in [1, 10**9]
        Gradient steps between copies into the target network.
    epsilon_start, epsilon_end : float in [0, 1]
        Exploration rate at the first episode and after the decay.
    exploration_fraction : float in [0, 1]
        Fraction of ``n_episodes`` over which epsilon decays linearly.
    gamma : float in (0, 1]
        Discount of the targets.
    huber_delta : float > 0
        Threshold of the Huber loss.
    max_grad_norm : float > 0
        Gradient-norm clip.
    n_envs : int in [1, 10**7]
        Episodes run in parallel.
    device : str or torch.device
        Where the networks live (CPU by default; see :func:`rlcore.deep.resolve_device`).
    rng : Generator, int or None
        All randomness: network initialisation (torch's global generator is not used),
        exploration, replay sampling, simulator.
    evaluate, eval_every, target_value, target_atol
        Evaluation hook and early stopping, as in :func:`~tabular.q_learning`.
    progress : bool or None, default None
        Show a progress bar over the training episodes on standard error (see
        :mod:`rlcore.progress`); None follows :func:`rlcore.set_progress` (off by
        default). The result does not depend on it.

    Returns
    -------
    LearnerResult
        ``policy`` (or None without ``n_states``), ``Q=None``, ``model`` the Q-network
        (input ``d``, output ``A``), and the evaluation history.

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
    V. Mnih et al., "Human-level control through deep reinforcement learning", Nature
    518:529-533, 2015.

    C. J. C. H. Watkins and P. Dayan, "Q-learning", Machine Learning 8:279-292, 1992.

    C. Laidlaw, B. Zhu, S. Russell and A. Dragan, "The effective horizon explains deep
    RL performance in stochastic environments", ICLR 2024.

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> lock = combination_lock(2, 2, combination=[1, 0])
    >>> res = dqn(lock, horizon=2, n_actions=2, n_episodes=150, hidden_sizes=(16,), rng=0)
    >>> res.policy[[0, 1], [0, 1]].tolist()
    [1, 0]
    """
    H, A, N = horizon, n_actions, n_episodes
    S = check_learner_sim(sim, H, A, n_states)
    feat = resolve_features(features, S, H)
    hidden = hidden_tuple(hidden_sizes)
    lr, ratio, target_every = learning_rate, replay_ratio, target_update_every
    starts = batch_size if learning_starts is None else learning_starts
    eps0, eps1, frac, g = epsilon_start, epsilon_end, exploration_fraction, gamma
    delta, clip = huber_delta, max_grad_norm
    schedule = EvalSchedule(evaluate, eval_every, target_value, target_atol, n_envs)
    torch = require_torch("tabular.deep.dqn")
    dev = resolve_device(device)
    gen = as_generator(rng)

    phi = FeatureMap(feat)

    # the first batch's initial states fix the feature dimension d of the network
    sizes = batch_sizes(N, n_envs, schedule.eval_every)
    states0 = checked_reset(sim, sizes[0], gen)
    d = phi(states0, 0).shape[1]
    first: np.ndarray | None = states0
    net = build_mlp((d, *hidden, A), activation="relu", rng=gen, device=dev)
    target_net = build_mlp((d, *hidden, A), activation="relu", rng=gen, device=dev)
    target_net.load_state_dict(net.state_dict())
    opt = torch.optim.Adam(net.parameters(), lr=lr)

    buf_x = np.zeros((buffer_size, d), dtype=np.float32)
    buf_a = np.zeros(buffer_size, dtype=np.int64)
    buf_r = np.zeros(buffer_size, dtype=np.float32)
    buf_x2 = np.zeros((buffer_size, d), dtype=np.float32)
    buf_cont = np.zeros(buffer_size, dtype=np.float32)  # 1 where the target bootstraps
    size = pos = 0
    n_updates = 0
    credit = 0.0

    def q_values(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return net(torch.as_tensor(x, dtype=torch.float32, device=dev)).cpu().numpy()

    def current_policy() -> Any:
        return greedy_policy(lambda s, t: q_values(phi(s, t)), S, H)

    def update() -> None:
        nonlocal n_updates
        idx = gen.integers(0, size, size=batch_size)
        x = torch.as_tensor(buf_x[idx], device=dev)
        a = torch.as_tensor(buf_a[idx], device=dev)
        r = torch.as_tensor(buf_r[idx], device=dev)
        x2 = torch.as_tensor(buf_x2[idx], device=dev)
        cont = torch.as_tensor(buf_cont[idx], device=dev)
        with torch.no_grad():
            y = r + g * cont * target_net(x2).max(dim=1).values
        q = net(x).gather(1, a[:, None])[:, 0]
        loss = torch.nn.functional.huber_loss(q, y, delta=delta)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
        opt.step()
        n_updates += 1
        if n_updates % target_every == 0:
            target_net.load_state_dict(net.state_dict())

    decay_episodes = frac * N
    episodes = steps = 0
    with progress_bar(N, desc="dqn", progress=progress, unit="episode") as bar:
        for b in sizes:
            done = 1.0 if decay_episodes == 0 else min(1.0, episodes / decay_episodes)
            eps = eps0 + done * (eps1 - eps0)
            states = checked_reset(sim, b, gen) if first is None else first
            first = None
            for t in range(H):
                n = states.shape[0]
                x = phi(states, t)
                greedy = np.argmax(q_values(x), axis=1)
                explore = gen.random(n) < eps
                actions = np.where(explore, gen.integers(0, A, size=n), greedy).astype(np.int64)
                nxt, rew, term = checked_step(sim, states, actions, gen, t)
                cont = ~term if t < H - 1 else np.zeros(n, dtype=bool)
                x2 = np.zeros_like(x)
                if cont.any():
                    x2[cont] = phi(nxt[cont], t + 1)
                rows = (pos + np.arange(n)) % buffer_size
                buf_x[rows], buf_a[rows], buf_r[rows], buf_x2[rows], buf_cont[rows] = x, actions, rew, x2, cont
                pos = (pos + n) % buffer_size
                size = min(size + n, buffer_size)
                steps += n
                if size >= starts:
                    credit += n * ratio
                    for _ in range(int(credit)):
                        update()
                    credit -= int(credit)
                states = nxt[~term]
                if states.shape[0] == 0:
                    break
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
        model=net,
        **schedule.arrays(),
    )
