"""Optimistic Q-learning: Q-learning with UCB bonuses (Jin, Allen-Zhu, Bubeck, Jordan 2018).

Model-free: the learner keeps one table ``Q[h, s, a]`` per step ``h = 0..H-1`` and one
visit count ``N[h, s, a]``, never a transition model. After the step ``(h, s, a, r, s')``::

    t = N[h, s, a] <- N[h, s, a] + 1
    alpha_t = (H + 1) / (H + t)
    Q[h, s, a] <- (1 - alpha_t) Q[h, s, a] + alpha_t (r + V[h+1, s'] + b_t)
    V[h, s] = min(v_max, max_a Q[h, s, a])

with ``V[H] = 0`` (and 0 for a terminal ``s'``), ``Q`` and ``V`` initialised to ``v_max``,
and the policy greedy in ``Q`` (ties to the lowest action). The step size
``(H + 1) / (H + t)`` puts weight ``O(H / t)`` on the last ``O(t / H)`` targets, which
stops the error of the early, over-optimistic targets from compounding over the ``H``
steps. Three bonuses:

* ``"hoeffding"`` (Jin et al. 2018, Algorithm 1, UCB-Hoeffding):
  ``b_t = c sqrt(H^3 iota / t)``, ``v_max = H``;
* ``"bernstein"`` (Algorithm 2, UCB-Bernstein): with running sums ``mu`` and ``sigma`` of
  ``V[h+1, s']`` and ``V[h+1, s']**2`` over the visits of ``(h, s, a)`` and their
  empirical variance ``W_t = sigma / t - (mu / t)**2``,
  ``beta_t = min(c1 (sqrt(H (W_t + H) iota / t) + sqrt(H^7 S A) iota / t), 2 c sqrt(H^3 iota / t))``,
  ``b_t = (beta_t - (1 - alpha_t) beta_{t-1}) / (2 alpha_t)`` (``beta_0 = 0``), so that
  ``sum_i alpha_t^i b_i = beta_t / 2`` exactly; ``v_max = H``. The paper's ``c2`` is
  ``2 c`` here, so that the second branch is the Hoeffding bonus's guarantee. The
  ``sqrt(H^7 S A) iota / t`` term keeps the first branch above the second until ``t``
  is of order ``H^4 S A iota``: on small budgets UCB-Bernstein *is* a Hoeffding learner;
* ``"simplified_bernstein"`` (the ``OptQLAgent`` of rlberry 0.6, its default):
  ``b_t = min(c / sqrt(t) + (H - h) / t, H - h)``, with ``v_max = H - h`` (the largest
  ``(H - h)``-step return), ``Q[h]`` and ``V[h]`` initialised to ``H - h``; ``c`` is
  rlberry's ``bonus_scale_factor`` (default 1). This reproduces rlberry 0.6.0's agent
  (with its default ``add_bonus_after_update=False``) update for update, except after
  a terminal state, whose value rlberry reads from its (never updated) table and this
  learner takes as 0. No regret bound is claimed for this bonus.

``iota = ln(3 S A T / delta)`` with ``T = H K`` (Jin et al.'s ``log(S A T / p)`` with
``p = delta / 3``, which leaves room for the two other events of the regret proof). With
``n_episodes`` given, ``K`` is that planned budget (the theorem's setting); otherwise
``K`` is the number of the current episode (anytime), which makes the bonus smaller in
early episodes than the theorem's and voids the guarantee.

Online updates, applied at the end of the episode. An episode visits step ``h`` once,
and the update at step ``h`` reads ``V[h+1]`` and writes only ``Q[h]`` and ``V[h]``, so
(i) the policy at later steps of the episode does not depend on updates at earlier steps
(``pi_k`` is fixed for the episode, as :class:`~tabular.exploration.OnlineLearner`
requires) and (ii) updating the steps in forward order after the episode computes
exactly what updating after every step computes.

Guarantee
---------
*Optimism.* For ``c >= 1``, with probability at least ``1 - delta / 3``, every ``Q^k``
is at least ``Q*`` entrywise, hence ``V^k_0 >= V*_0`` in every episode (Jin et al.'s
Lemma 4.3). Explicitly: the martingale ``sum_i alpha_t^i (V*_{h+1}(s'_i) - P V*_{h+1})``
has increments in intervals of length ``alpha_t^i H``, so by Azuma-Hoeffding and
``sum_i (alpha_t^i)^2 <= 2 H / t`` (their Lemma 4.1) it is at least ``-sqrt(H^3 iota / t)``
for every ``(s, a, h, t)`` simultaneously (a union over ``S A H K = S A T`` events),
and the bonus adds ``sum_i alpha_t^i b_i >= c sqrt(H^3 iota / t)``.

*Regret* (Hoeffding bonus, ``c >= 1``, planned ``K``): with probability at least
``1 - delta``, the pseudo-regret after ``k <= K`` episodes is at most
:func:`optimistic_q_regret_bound`, which follows Jin et al.'s proof of Theorem 1 with
every constant kept (see its docstring); it is ``O(sqrt(H^4 S A T iota))``. Both
statements assume, as the paper does, rewards in [0, 1] that are a deterministic
function of ``(h, s, a)`` (the simulator of an :class:`rlcore.FiniteMDP` pays the
expected reward); stage-dependent transitions are covered. For the
Bernstein bonus the same bound holds with ``2 c`` in place of ``4 c`` on the event that
the learner is optimistic, which Jin et al. (Theorem 2) prove for ``c1`` above an
absolute constant that the paper does not give; their sharper order
``O(sqrt(H^3 S A T iota) + sqrt(H^9 S^3 A^3) iota^2)`` is not evaluated here (no
explicit constant). Tested by
``tests/tabular/exploration/test_optimistic_q.py::test_optimism_in_every_episode``,
``tests/tabular/exploration/test_optimistic_q.py::test_regret_below_bound_and_sublinear``,
``tests/tabular/exploration/test_optimistic_q.py::test_hoeffding_step_sizes_and_bonus_on_a_hand_made_trajectory``,
``tests/tabular/exploration/test_optimistic_q.py::test_forward_order_update_equals_online_update``
(against a plain-Python online re-implementation of Algorithms 1 and 2, including
``sum_i alpha_t^i b_i = beta_t / 2``) and
``tests/tabular/exploration/test_optimistic_q.py::test_learning_rate_lemma``.

The proof-scale bonus explores slowly: at the first visit ``b_1 = c sqrt(H^3 iota)`` far
exceeds ``H``, so a tried action's ``Q`` stays above an untried one's ``H`` for about
``c^2 H iota`` visits, and each state keeps repeating its first action that long.
Smaller ``c`` (or the simplified bonus) is the practical tuning, without the guarantee.

References
----------
C. Jin, Z. Allen-Zhu, S. Bubeck and M. I. Jordan, "Is Q-learning provably efficient?",
NeurIPS 2018 (arXiv:1807.03765).

O. D. Domingues, Y. Flet-Berliac, E. Leurent, P. Menard, X. Shang, M. Valko, "rlberry - A
reinforcement learning library for research and education", 2021 (``OptQLAgent``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from rlcore.validation import MAX_SAMPLES, Integer, InvalidParameterError, Options, Real, validate_params
from tabular.exploration import _kernels as K_
from tabular.exploration._kernels import EpisodeLog, EpisodeTables
from tabular.exploration._constraints import DELTA

__all__ = ["OptimisticQLearning", "optimistic_q_regret_bound"]

_KINDS = {"hoeffding": 0, "bernstein": 1, "simplified_bernstein": 2}
_MAX_TABLE = 10**8


def _weights(H: int) -> tuple[float, float]:
    """``sum_h w_h`` and ``sum_h w_h**2`` for the weights ``w_h = (1 + 1/H)**h``, ``h = 0..H-1``."""
    w = (1.0 + 1.0 / H) ** np.arange(H)
    return float(w.sum()), float((w * w).sum())


@validate_params(
    n_states=Integer(1, 10**6),
    n_actions=Integer(1, 10**6),
    horizon=Integer(1, 10**6),
    n_episodes=Integer(1, MAX_SAMPLES),
    delta=DELTA,
    bonus=Options("hoeffding", "bernstein"),
    c=Real(1, 1e6),
    planned_episodes=Integer(1, MAX_SAMPLES) | None,
)
def optimistic_q_regret_bound(
    n_states: int,
    n_actions: int,
    horizon: int,
    n_episodes: int,
    delta: float,
    *,
    bonus: str = "hoeffding",
    c: float = 1.0,
    planned_episodes: int | None = None,
) -> float:
    """High-probability bound on the pseudo-regret of :class:`OptimisticQLearning` after ``k`` episodes.

    Jin et al. (2018), Theorem 1, with the constants of its proof kept. With ``K`` the
    planned episodes (``planned_episodes``, default ``n_episodes``), ``k = n_episodes``,
    ``iota = ln(3 S A H K / delta)``, weights ``w_h = (1 + 1/H)**h`` (``h = 0..H-1``),
    ``W = sum_h w_h = H ((1 + 1/H)**H - 1) <= (e - 1) H`` and ``W2 = sum_h w_h**2``::

        B(k) = min(k H,  W S A H + 2 W (1 + g c) sqrt(H^3 S A k iota)
                         + H sqrt(k (1 + W2) ln(3 / delta) / 2))

    with ``g = 2`` for the Hoeffding bonus (``sum_i alpha_t^i b_i <= 2 c sqrt(H^3 iota / t)``,
    their Lemma 4.1(b)) and ``g = 1`` for the Bernstein bonus (whose ``beta_t / 2`` is at
    most ``c sqrt(H^3 iota / t)``). The three terms: the first visit of each pair
    (``alpha_0 H``), the bonus plus the upper deviation ``sqrt(H^3 iota / t)`` of the
    value martingale summed over visits (``sum_{t<=N} t^{-1/2} <= 2 sqrt N`` and
    Cauchy-Schwarz over pairs), and one Azuma-Hoeffding bound for the martingale of the
    transitions (``xi`` in their proof) together with the draw of the initial state
    (pseudo-regret averages over it). Each of the three events fails with probability at
    most ``delta / 3``. The leading term is ``~ 2 (e - 1)(1 + 2c) sqrt(H^4 S A T iota)``
    with ``T = k H``: the theorem's ``O(sqrt(H^4 S A T iota))``. The bound is for rewards
    in [0, 1] and holds for stage-dependent transitions too.

    Parameters
    ----------
    n_states, n_actions, horizon : int in [1, 10**6]
    n_episodes : int in [1, 10**12]
        ``k``.
    delta : float in [1e-100, 1)
        The learner's ``delta``.
    bonus : {"hoeffding", "bernstein"}
        For ``"bernstein"`` the bound holds on the event that the learner is optimistic
        (Jin et al. prove it for ``c1`` above an unspecified absolute constant).
    c : float in [1, 1e6]
        The learner's bonus constant (the proof needs ``c >= 1``).
    planned_episodes : int >= n_episodes, optional
        The learner's planned budget ``K`` (its ``n_episodes``), which fixes ``iota``.

    Returns
    -------
    float

    Raises
    ------
    InvalidParameterError
        ``planned_episodes`` below ``n_episodes``; ``c`` below 1 (no guarantee).

    Guarantee
    ---------
    Jin, Allen-Zhu, Bubeck and Jordan (2018), Theorem 1, with its proof's constants:
    with probability at least ``1 - delta`` the pseudo-regret of UCB-Hoeffding
    Q-learning (``c >= 1``, the planned budget) is at most this value. Tested by
    ``tests/tabular/exploration/test_optimistic_q.py::test_bound_closed_form_and_learner_vectorised``
    (the closed form at ``H = 1, 2``) and
    ``tests/tabular/exploration/test_optimistic_q.py::test_regret_below_bound_and_sublinear``.

    Examples
    --------
    >>> b = optimistic_q_regret_bound(6, 2, 20, 2000, 0.1)
    >>> b == 2000 * 20   # vacuous at this size: the trivial bound H K
    True
    >>> round(optimistic_q_regret_bound(1, 2, 1, 10**6, 0.1), 1)
    37756.0
    """
    S, A, H, k = n_states, n_actions, horizon, n_episodes
    K = k if planned_episodes is None else planned_episodes
    if K < k:
        raise InvalidParameterError(
            "planned_episodes", f"the bound covers k <= planned_episodes episodes, got {K} < n_episodes = {k}"
        )
    iota = math.log(3.0 * S * A * H * K / delta)
    W, W2 = _weights(H)
    g = 2.0 if bonus == "hoeffding" else 1.0
    value = (
        W * S * A * H
        + 2.0 * W * (1.0 + g * c) * math.sqrt(float(H) ** 3 * S * A * k * iota)
        + H * math.sqrt(k * (1.0 + W2) * math.log(3.0 / delta) / 2.0)
    )
    return min(float(k * H), value)


@njit(cache=True)
def _iota(S, A, H, episode, n_budget, delta):  # pragma: no cover - compiled
    """``ln(3 S A T / delta)``, ``T = H K`` (``K`` the budget, or the current episode when 0)."""
    K = n_budget if n_budget > 0 else episode
    return math.log(3.0 * S * A * H * K / delta)


@njit(cache=True)
def _optq_plan(Q, V, policy, V0):  # pragma: no cover - compiled
    """Greedy policy of ``Q`` (ties to the lowest action) into ``policy`` (H, S); ``V0 = V[0]``."""
    H, S, A = Q.shape
    for h in range(H):
        for s in range(S):
            arg = 0
            best = Q[h, s, 0]
            for a in range(1, A):
                if Q[h, s, a] > best:
                    best = Q[h, s, a]
                    arg = a
            policy[h, s] = arg
    for s in range(S):
        V0[s] = V[0, s]


@njit(cache=True)
def _optq_update(
    Q, V, N, mu, sig, beta, cap, states, actions, rewards, L, kind, c, c1, iota
):  # pragma: no cover - compiled
    """The episode's updates, step ``h = 0..L-1`` in forward order (= online; see the module docstring)."""
    H, S, A = Q.shape
    sq_h3 = math.sqrt(float(H) ** 3 * iota)
    lower = math.sqrt(float(H) ** 7 * S * A) * iota
    for h in range(L):
        s = states[h]
        a = actions[h]
        s2 = states[h + 1]
        if h + 1 < L:
            nv = V[h + 1, s2]
        else:
            nv = 0.0  # past the horizon (L = H), or a terminal next state (L < H)
        N[h, s, a] += 1
        t = float(N[h, s, a])
        alpha = (H + 1.0) / (H + t)
        if kind == 0:
            b = c * sq_h3 / math.sqrt(t)
        elif kind == 1:
            mu[h, s, a] += nv
            sig[h, s, a] += nv * nv
            m = mu[h, s, a] / t
            w = sig[h, s, a] / t - m * m
            if w < 0.0:
                w = 0.0
            b1 = c1 * (math.sqrt(H * (w + H) * iota / t) + lower / t)
            b2 = 2.0 * c * sq_h3 / math.sqrt(t)
            bt = b1 if b1 < b2 else b2
            b = (bt - (1.0 - alpha) * beta[h, s, a]) / (2.0 * alpha)
            beta[h, s, a] = bt
        else:
            b = c / math.sqrt(t) + cap[h] / t
            if b > cap[h]:
                b = cap[h]
        Q[h, s, a] = (1.0 - alpha) * Q[h, s, a] + alpha * (rewards[h] + nv + b)
        best = Q[h, s, 0]
        for x in range(1, A):
            if Q[h, s, x] > best:
                best = Q[h, s, x]
        V[h, s] = best if best < cap[h] else cap[h]


@njit(cache=True)
def _optq_run(
    K, first_episode, n_budget, delta, kind, c, c1,
    cdf, init_cdf, R, terminal, P, rho, vstar0, vstar_rho, gen,
    Q, V, N, mu, sig, beta, cap, V0,
    regret, returns, estimates, margins, s0,
):  # pragma: no cover - compiled  # fmt: skip
    H, S, A = Q.shape
    policy = np.zeros((H, S), np.int64)
    st = np.zeros(H + 1, np.int64)
    ac = np.zeros(H, np.int64)
    rw = np.zeros(H)
    for k in range(K):
        _optq_plan(Q, V, policy, V0)
        n = K_.simulate_episode(policy, cdf, init_cdf, R, terminal, gen, st, ac, rw)
        iota = _iota(S, A, H, first_episode + k + 1, n_budget, delta)
        _optq_update(Q, V, N, mu, sig, beta, cap, st, ac, rw, n, kind, c, c1, iota)
        K_.record_episode(
            k, policy, V0, True, P, R, rho, vstar0, vstar_rho, st, rw, n, regret, returns, estimates, margins, s0
        )


class OptimisticQLearning:
    """Q-learning with UCB-Hoeffding or UCB-Bernstein bonuses (Jin et al. 2018).

    An :class:`~tabular.exploration.OnlineLearner`; see the module docstring for the
    algorithm and its guarantee.

    Parameters
    ----------
    n_states, n_actions, horizon : int in [1, 10**6]
        ``S``, ``A``, ``H``; the tables ``H * S * A`` may hold at most ``10**8`` entries.
    bonus : {"hoeffding", "bernstein", "simplified_bernstein"}
        Jin et al.'s Algorithm 1 or 2, or rlberry's ``OptQLAgent`` bonus.
    delta : float in [1e-100, 1)
        Failure probability of the regret guarantee (``iota = ln(3 S A T / delta)``).
    c : float in [0, 1e6]
        Bonus constant: ``c sqrt(H^3 iota / t)`` (Hoeffding; the theory needs
        ``c >= 1``), the cap ``2 c sqrt(H^3 iota / t)`` of ``beta_t`` (Bernstein), or
        rlberry's ``bonus_scale_factor`` (simplified Bernstein). 0 is greedy Q-learning.
    c1 : float in [0, 1e6]
        The Bernstein branch's constant (Jin et al.'s ``c1``; unused by the others).
    n_episodes : int in [1, 10**12], optional
        Planned number of episodes ``K`` (``T = H K`` in ``iota``); default: anytime
        (``K`` = the current episode), without the guarantee.

    Attributes
    ----------
    Q : ndarray of shape (H, S, A)
    V : ndarray of shape (H + 1, S)
        ``min(v_max, max_a Q)`` at the pairs ``(h, s)`` updated so far, ``V[H] = 0``.
    N : ndarray of int64, shape (H, S, A)
        Visit counts.
    value_estimate : ndarray of shape (S,) or None
        ``V[0]`` when the last episode was planned: at least ``V*_0`` on the good event.
    optimistic : bool
        True when optimism is proven for these settings (Hoeffding bonus, ``c >= 1``,
        ``n_episodes`` given); read by :func:`tabular.testing.check_online_learner`.

    Guarantee
    ---------
    Hoeffding bonus, ``c >= 1``, ``n_episodes = K`` given: with probability at least
    ``1 - delta / 3`` the estimate ``V[0]`` is at least ``V*_0`` in every episode (Jin et
    al. 2018, Lemma 4.3), and with probability at least ``1 - delta`` the pseudo-regret
    after ``k <= K`` episodes is at most :func:`optimistic_q_regret_bound` (their
    Theorem 1, constants kept); :meth:`regret_bound` returns it, and None where no bound
    is proven (``c < 1``, anytime, past ``K``, the simplified bonus). Tested by
    ``tests/tabular/exploration/test_optimistic_q.py::test_optimism_in_every_episode``
    and ``tests/tabular/exploration/test_optimistic_q.py::test_regret_below_bound_and_sublinear``.

    Examples
    --------
    >>> from rlcore.generators import river_swim
    >>> from tabular.exploration import explore
    >>> learner = OptimisticQLearning(6, 2, 20, n_episodes=100)
    >>> res = explore(river_swim(6, horizon=20), learner, 100, rng=0)
    >>> bool(np.all(res.optimism_margins >= 0)), float(res.bound[-1]) == 100 * 20
    (True, True)
    """

    _kernels = (_iota, _optq_plan, _optq_update, _optq_run)

    @validate_params(
        n_states=Integer(1, 10**6),
        n_actions=Integer(1, 10**6),
        horizon=Integer(1, 10**6),
        bonus=Options("hoeffding", "bernstein", "simplified_bernstein"),
        delta=DELTA,
        c=Real(0, 1e6),
        c1=Real(0, 1e6),
        n_episodes=Integer(1, MAX_SAMPLES) | None,
    )
    def __init__(
        self,
        n_states: int,
        n_actions: int,
        horizon: int,
        *,
        bonus: str = "hoeffding",
        delta: float = 0.1,
        c: float = 1.0,
        c1: float = 1.0,
        n_episodes: int | None = None,
    ) -> None:
        if horizon * n_states * n_actions > _MAX_TABLE:
            raise InvalidParameterError(
                "n_states", f"the table H * S * A = {horizon * n_states * n_actions} exceeds the limit {_MAX_TABLE}"
            )
        self.n_states, self.n_actions, self.horizon = n_states, n_actions, horizon
        self.bonus, self.delta, self.c, self.c1 = bonus, float(delta), float(c), float(c1)
        self.n_episodes = n_episodes
        self._kind = _KINDS[bonus]
        #: The learner declares ``value_estimate >= V*_0`` with probability ``1 - delta``:
        #: the Hoeffding bonus with ``c >= 1`` and a planned budget (the proven case).
        self.optimistic = self._kind == 0 and self.c >= 1.0 and n_episodes is not None
        self.name = {0: "OptQL-Hoeffding", 1: "OptQL-Bernstein", 2: "OptQL-simplified"}[self._kind]
        self.reset()

    def reset(self) -> None:
        """Forget all data: ``Q = V = v_max``, zero counts and statistics."""
        S, A, H = self.n_states, self.n_actions, self.horizon
        if self._kind == 2:
            cap = np.arange(H, 0, -1, dtype=np.float64)  # H - h
        else:
            cap = np.full(H, float(H))
        self._cap = cap
        self.Q = np.repeat(cap[:, None, None], S, axis=1).repeat(A, axis=2)
        self.V = np.zeros((H + 1, S))
        self.V[:H] = cap[:, None]
        self.N = np.zeros((H, S, A), np.int64)
        self._mu = np.zeros((H, S, A))
        self._sig = np.zeros((H, S, A))
        self._beta = np.zeros((H, S, A))
        self.value_estimate: np.ndarray | None = None
        self._episodes = 0

    def begin_episode(self, episode: int, rng: Any) -> np.ndarray:
        """The greedy policy (H, S) of ``Q`` (draws nothing); sets ``value_estimate = V[0]``."""
        policy = np.zeros((self.horizon, self.n_states), np.int64)
        V0 = np.zeros(self.n_states)
        _optq_plan(self.Q, self.V, policy, V0)
        self.value_estimate = V0
        return policy

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Apply the episode's updates, step by step in forward order."""
        self._episodes += 1
        iota = float(
            _iota(self.n_states, self.n_actions, self.horizon, self._episodes, self.n_episodes or 0, self.delta)
        )
        _optq_update(
            self.Q, self.V, self.N, self._mu, self._sig, self._beta, self._cap,
            np.ascontiguousarray(states, np.int64), np.ascontiguousarray(actions, np.int64),
            np.ascontiguousarray(rewards, np.float64), int(actions.shape[0]),
            self._kind, self.c, self.c1, iota,
        )  # fmt: skip

    def _certified(self, n_episodes: int) -> bool:
        return self._kind != 2 and self.c >= 1.0 and self.n_episodes is not None and n_episodes <= self.n_episodes

    def regret_bound(self, n_episodes: int) -> float | None:
        """:func:`optimistic_q_regret_bound` for this learner; None without a guarantee.

        None for the simplified bonus, for ``c < 1``, in anytime mode (no ``n_episodes``)
        and past the planned budget.
        """
        if not self._certified(n_episodes):
            return None
        return optimistic_q_regret_bound(
            self.n_states, self.n_actions, self.horizon, n_episodes, self.delta,
            bonus=self.bonus, c=self.c, planned_episodes=self.n_episodes,
        )  # fmt: skip

    def regret_bounds(self, n_episodes: int) -> np.ndarray | None:
        """``[regret_bound(k) for k = 1..n_episodes]`` in one call (NaN past the planned budget; None without a guarantee)."""
        if not self._certified(1):
            return None
        S, A, H = self.n_states, self.n_actions, self.horizon
        assert self.n_episodes is not None
        k = np.arange(1, n_episodes + 1, dtype=np.float64)
        iota = math.log(3.0 * S * A * H * self.n_episodes / self.delta)
        W, W2 = _weights(H)
        g = 2.0 if self._kind == 0 else 1.0
        value = (
            W * S * A * H
            + 2.0 * W * (1.0 + g * self.c) * np.sqrt(float(H) ** 3 * S * A * k * iota)
            + H * np.sqrt(k * (1.0 + W2) * math.log(3.0 / self.delta) / 2.0)
        )
        return np.where(k <= self.n_episodes, np.minimum(k * H, value), np.nan)

    def _run_compiled(self, tables: EpisodeTables, n_episodes: int, gen: np.random.Generator, log: EpisodeLog) -> None:
        V0 = np.zeros(self.n_states)
        _optq_run(
            n_episodes, self._episodes, self.n_episodes or 0, self.delta, self._kind, self.c, self.c1,
            tables.cdf, tables.init_cdf, tables.R, tables.terminal, tables.P, tables.rho, tables.vstar0,
            tables.vstar_rho, gen,
            self.Q, self.V, self.N, self._mu, self._sig, self._beta, self._cap, V0,
            *log,
        )  # fmt: skip
        self._episodes += n_episodes
        if n_episodes > 0:
            self.value_estimate = V0

    def __repr__(self) -> str:
        return (
            f"OptimisticQLearning(n_states={self.n_states}, n_actions={self.n_actions}, horizon={self.horizon}, "
            f"bonus={self.bonus!r}, delta={self.delta}, c={self.c})"
        )
