"""Finite-horizon tabular Q-learning through the batched simulator.

The finite-horizon (time-indexed) Q-learning of Watkins and Dayan (1992) in the form
analysed by Jin, Allen-Zhu, Bubeck and Jordan (2018): one table ``Q[t, s, a]`` per step
``t = 0..H-1``, and after each observed transition ``(t, s, a, r, s', terminated)``::

    target = r + gamma * max_a' Q[t+1, s', a']    (0 after the last step or a terminal)
    Q[t, s, a] <- (1 - alpha) Q[t, s, a] + alpha * target

with either a constant step size ``alpha`` or Jin et al.'s ``alpha_n = (H + 1) / (H + n)``
where ``n`` counts the visits of ``(t, s, a)`` so far (including this one). The
``(H + 1) / (H + n)`` rate puts weight ``O(H / n)`` on the last ``O(n / H)`` targets
rather than ``1/n`` on all of them, which is what keeps the error of the early, biased
targets from compounding over ``H`` steps (Jin et al. 2018). Exploration is
epsilon-greedy (greedy ties broken uniformly at random) instead of Jin et al.'s UCB
bonus: this is the practical baseline of the effective-horizon papers, not the
regret-optimal algorithm.

Episodes run ``n_envs`` at a time in lock-step: at step ``t`` the whole batch acts with
the current ``Q[t]`` and its transitions update ``Q[t]`` one environment after the
other (a single Numba kernel). With ``n_envs = 1`` this is textbook online
Q-learning; a larger batch only delays the greedy policy's use of the step's updates
until the next batch.

Guarantee
---------
Tabular Q-learning converges to ``Q*`` with probability 1 when every ``(t, s, a)`` is
visited infinitely often and the step sizes satisfy ``sum alpha_n = inf``,
``sum alpha_n**2 < inf`` (Watkins and Dayan 1992; both hold for ``(H+1)/(H+n)``).
With step size 1 on a deterministic MDP, ``Q[t, s, a]`` equals ``Q*_t(s, a)`` as soon
as it has been updated after every successor value ``Q[t+1, s', .]`` became exact
(backward induction carried out by sampling). With a UCB-Hoeffding bonus, the
``(H+1)/(H+n)`` step size gives regret ``O(sqrt(H^3 S A T log(SAT/p)))`` (Jin et al.
2018, Theorem 1); epsilon-greedy has no such bound. Tested by
``tests/tabular/test_q_learning.py::test_exact_q_star_with_unit_step_size_on_deterministic_mdp``
(the unit step size, exactly), ``tests/tabular/test_q_learning.py::test_jin_step_size_closed_form_for_horizon_one``
(the step-size weights) and ``tests/tabular/test_q_learning.py::test_learned_policy_is_optimal_on_random_mdps``
(the convergence, on a finite budget).
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np
from numba import njit

from rlcore.progress import PROGRESS, compile_notice, progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import Integer, InvalidParameterError, Options, Real, validate_params
from tabular._learner_common import (
    EVAL_EVERY,
    EVALUATE,
    HORIZON,
    LEARNER_GAMMA,
    MAX_TABLE,
    N_ACTIONS,
    N_ENVS,
    N_EPISODES,
    RNG_ARG,
    SIM,
    TARGET_ATOL,
    TARGET_VALUE,
    UNIT,
    EvalSchedule,
    batch_sizes,
    check_learner_sim,
    check_state_indices,
    checked_reset,
    checked_step,
)
from tabular.learning import LearnerResult

__all__ = ["q_learning"]


@njit(cache=True)
def _q_update(Q, counts, t, s, a, r, s2, done, gamma, lr, jin):  # pragma: no cover - compiled
    """Sequential finite-horizon Q-learning updates of one batched step ``t``."""
    H = Q.shape[0]
    A = Q.shape[2]
    for i in range(s.shape[0]):
        target = r[i]
        if not done[i] and t + 1 < H:
            best = Q[t + 1, s2[i], 0]
            for b in range(1, A):
                if Q[t + 1, s2[i], b] > best:
                    best = Q[t + 1, s2[i], b]
            target += gamma * best
        counts[t, s[i], a[i]] += 1
        if jin:
            alpha = (H + 1.0) / (H + counts[t, s[i], a[i]])
        else:
            alpha = lr
        Q[t, s[i], a[i]] += alpha * (target - Q[t, s[i], a[i]])


@validate_params(
    sim=SIM,
    horizon=HORIZON,
    n_states=Integer(1, MAX_TABLE),
    n_actions=N_ACTIONS,
    n_episodes=N_EPISODES,
    learning_rate=Real(0, 1, closed="right") | Options("jin"),
    epsilon=UNIT,
    gamma=LEARNER_GAMMA,
    initial_q=Real(),
    n_envs=N_ENVS,
    rng=RNG_ARG,
    evaluate=EVALUATE,
    eval_every=EVAL_EVERY,
    target_value=TARGET_VALUE,
    target_atol=TARGET_ATOL,
    progress=PROGRESS,
)
def q_learning(
    sim: Any,
    *,
    horizon: int,
    n_states: int,
    n_actions: int,
    n_episodes: int,
    learning_rate: float | str = "jin",
    epsilon: float = 0.1,
    gamma: float = 1.0,
    initial_q: float = 0.0,
    n_envs: int = 1,
    rng: RNGLike = None,
    evaluate: Callable[[np.ndarray], float] | None = None,
    eval_every: int | None = None,
    target_value: float | None = None,
    target_atol: float = 1e-6,
    progress: bool | None = None,
) -> LearnerResult:
    """Epsilon-greedy finite-horizon Q-learning (Watkins and Dayan 1992).

    Parameters
    ----------
    sim : Simulator
        Batched ``reset(n, rng)`` / ``step(states, actions, rng, *, t)`` with integer
        states in ``[0, n_states)``, e.g. a finite-horizon :class:`~rlcore.FiniteMDP`.
    horizon : int in [1, 10**6]
        ``H`` steps per episode (at most ``sim.horizon`` when it has one).
    n_states : int in [1, 10**8]
        ``S``; must match ``sim.n_states`` when present; the Q-table ``H * S * A`` may
        hold at most ``10**8`` entries.
    n_actions : int in [1, 10**6]
        ``A``; must match ``sim.n_actions`` when present.
    n_episodes : int in [1, 10**12]
        Training episodes.
    learning_rate : float in (0, 1] or "jin"
        A constant step size, or ``"jin"``: ``alpha_n = (H + 1) / (H + n)`` for the
        ``n``-th visit of ``(t, s, a)`` (Jin et al. 2018).
    epsilon : float in [0, 1]
        Probability of a uniformly random action; otherwise greedy in ``Q[t]``, ties
        broken uniformly at random.
    gamma : float in (0, 1]
        Discount of the targets (1: the undiscounted finite-horizon return).
    initial_q : float
        Initial value of every entry of ``Q`` (``H * r_max`` is optimistic). A value so
        large that the updates overflow float64 is refused (``InvalidParameterError``).
    n_envs : int in [1, 10**7]
        Episodes run in parallel per batch.
    rng : Generator, int or None
        Exploration and simulator randomness.
    evaluate : callable, optional
        ``evaluate(policy) -> float`` for the greedy ``policy`` of shape (H, S), called
        every ``eval_every`` episodes and after the last; e.g.
        ``lambda pi: rlcore.evaluate_policy(mdp, pi).V[0] @ mdp.initial``.
    eval_every : int in [1, 10**12], optional
        Evaluation period in episodes (default ``n_envs``); batches are cut to land on
        its multiples.
    target_value : float, optional
        Stop at the first evaluation whose value is ``>= target_value - target_atol``.
    target_atol : float >= 0
    progress : bool or None, default None
        Show a progress bar over the training episodes on standard error (see
        :mod:`rlcore.progress`); None follows :func:`rlcore.set_progress` (off by
        default). The result does not depend on it.

    Returns
    -------
    LearnerResult
        ``Q`` of shape (H, S, A), its greedy ``policy`` of shape (H, S) (ties to the
        lowest action), the counts and the evaluation history.

    Guarantee
    ---------
    With every ``(t, s, a)`` visited infinitely often (``epsilon > 0`` and every state
    reachable) and step sizes with ``sum alpha_n = inf``, ``sum alpha_n**2 < inf``
    (``"jin"``), ``Q`` converges to ``Q*`` almost surely (Watkins and Dayan 1992). With
    ``learning_rate=1`` on a deterministic MDP, ``Q`` is exactly ``Q*`` on every entry
    updated after its successors became exact. See the module docstring. Tested by
    ``tests/tabular/test_q_learning.py::test_exact_q_star_with_unit_step_size_on_deterministic_mdp``,
    ``tests/tabular/test_q_learning.py::test_exact_discounted_q_with_unit_step_size`` and
    ``tests/tabular/test_q_learning.py::test_learned_policy_is_optimal_on_random_mdps``.

    Raises
    ------
    TypeError, ValueError
        Naming the offending argument (sizes that do not match the simulator, an
        ``epsilon`` outside [0, 1], a step size outside (0, 1], ...).

    References
    ----------
    C. J. C. H. Watkins and P. Dayan, "Q-learning", Machine Learning 8:279-292, 1992.

    C. Jin, Z. Allen-Zhu, S. Bubeck and M. I. Jordan, "Is Q-learning provably
    efficient?", NeurIPS 2018 (the ``(H+1)/(H+n)`` step size).

    C. Laidlaw, B. Zhu, S. Russell and A. Dragan, "The effective horizon explains deep
    RL performance in stochastic environments", ICLR 2024 (the comparison).

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> lock = combination_lock(3, 2, combination=[1, 0, 1])
    >>> res = q_learning(lock, horizon=3, n_states=5, n_actions=2, n_episodes=300,
    ...                  epsilon=0.3, n_envs=10, rng=0)
    >>> res.policy[[0, 1, 2], [0, 1, 2]].tolist(), res.Q[0, 0].round(3).tolist()
    ([1, 0, 1], [0.0, 1.0])
    """
    H, A = horizon, n_actions
    S = check_learner_sim(sim, H, A, n_states, need_states=True)
    assert S is not None  # need_states=True
    N = n_episodes
    jin = learning_rate == "jin"
    lr = 0.0 if jin else float(learning_rate)
    eps, g = epsilon, gamma
    schedule = EvalSchedule(evaluate, eval_every, target_value, target_atol, n_envs)
    gen = as_generator(rng)

    Q = np.full((H, S, A), initial_q)
    counts = np.zeros((H, S, A), dtype=np.int64)
    episodes = steps = 0
    with compile_notice([_q_update], "tabular.q_learning", progress=progress) as n_kernels:
        if n_kernels:  # compile now, on an empty batch (a no-op), with the types of the loop's calls
            none = np.zeros(0, dtype=np.int64)
            _q_update(Q, counts, 0, none, none, np.zeros(0), none, np.zeros(0, dtype=bool), g, lr, jin)
    with progress_bar(N, desc="q_learning", progress=progress, unit="episode") as bar:
        for b in batch_sizes(N, n_envs, schedule.eval_every):
            states = check_state_indices(checked_reset(sim, b, gen), S)
            for t in range(H):
                n = states.shape[0]
                qt = Q[t, states]
                noise = gen.random((n, A))
                greedy = np.argmax(np.where(qt == qt.max(axis=1, keepdims=True), noise, -1.0), axis=1)
                explore = gen.random(n) < eps
                random_a = gen.integers(0, A, size=n)
                actions = np.where(explore, random_a, greedy).astype(np.int64)
                nxt, rew, term = checked_step(sim, states, actions, gen, t)
                nxt = check_state_indices(nxt, S)
                _q_update(Q, counts, t, states, actions, rew, nxt, term, g, lr, jin)
                steps += n
                keep = ~term
                states = nxt[keep]
                if states.size == 0:
                    break
            episodes += b
            bar.update(b)
            if schedule.due(episodes, episodes == N):
                _check_finite(Q, initial_q)
                if schedule.record(_greedy(Q), episodes, steps):
                    break
    _check_finite(Q, initial_q)
    return LearnerResult(
        policy=_greedy(Q),
        Q=Q,
        n_episodes=episodes,
        n_steps=steps,
        **schedule.arrays(),
    )


def _check_finite(Q: np.ndarray, initial_q: float) -> None:
    """The rewards are finite (checked at every step), but their sums, or an extreme
    ``initial_q``, can overflow float64."""
    if not np.all(np.isfinite(Q)):
        H = Q.shape[0]
        culprit = "initial_q" if abs(initial_q) > 1e300 / (H + 1) else "sim"
        raise InvalidParameterError(
            culprit, f"the Q-table overflowed float64 (initial_q = {initial_q!r}); rescale the rewards or initial_q"
        )


def _greedy(Q: np.ndarray) -> np.ndarray:
    return np.argmax(Q, axis=2).astype(np.int64)
