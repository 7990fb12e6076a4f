"""Baselines without a regret guarantee: epsilon-greedy Q-learning and greedy certainty equivalence.

They show what the optimistic learners buy. Both follow
:class:`~tabular.exploration.OnlineLearner`, run in a compiled loop bit-identical to the
protocol path, and state no bound (``regret_bound`` returns None): on RiverSwim-like
MDPs, where the reward is behind a run of unpromising steps, both can settle on a
suboptimal policy for ever and pay linear regret.

* :class:`EpsilonGreedyQLearning`: finite-horizon Q-learning with one table per step,
  ``Q[h, s, a] <- (1 - alpha) Q[h, s, a] + alpha (r + max_a' Q[h+1, s', a'])`` (0 past
  the horizon or after a terminal state), step size ``(H + 1) / (H + n)`` (Jin et al.
  2018) or constant. The policy of an episode is drawn at its start: for each ``(h, s)``,
  with probability ``epsilon`` a uniform action, otherwise the greedy one (ties to the
  lowest action). Updates are applied at the end of the episode in forward order, which
  equals updating online (see :mod:`tabular.exploration.optimistic_q`).
* :class:`GreedyCertaintyEquivalence`: plans by backward induction on the empirical
  model (mean rewards, empirical transitions) and plays the greedy policy. A pair never
  tried gets ``Q_h = H - h`` (``unvisited="optimistic"``, the largest possible value:
  every pair is tried once, R-max with one sample) or ``0`` (``"zero"``: a pair is tried
  only when nothing tried looks better). A state seen as the end of an episode cut short
  (a terminal state) has value 0.

Draw order of :class:`EpsilonGreedyQLearning` (per episode, before the episode's own
draws; the same in :meth:`~EpsilonGreedyQLearning.begin_episode` and in the loop kernel,
which call one compiled function): for ``h`` in ``0..H-1``, ``s`` in ``0..S-1``: one
``gen.random()``; when it is below ``epsilon``, a second ``gen.random()`` ``u`` picks the
action ``floor(u A)``. :class:`GreedyCertaintyEquivalence` draws nothing.

References
----------
C. J. C. H. Watkins and P. Dayan, "Q-learning", Machine Learning 8:279-292, 1992.

C. Jin, Z. Allen-Zhu, S. Bubeck and M. I. Jordan, "Is Q-learning provably efficient?",
NeurIPS 2018 (the step size).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from rlcore.validation import Bool, Integer, InvalidParameterError, Options, Real, validate_params
from tabular.exploration import _kernels as K_
from tabular.exploration._kernels import EpisodeLog, EpisodeTables

__all__ = ["EpsilonGreedyQLearning", "GreedyCertaintyEquivalence"]

_MAX_TABLE = 10**8


# ---------------------------------------------------------------- epsilon-greedy Q-learning


@njit(cache=True)
def _eps_plan(Q, eps, gen, policy, V0):  # pragma: no cover - compiled
    """Epsilon-greedy policy (H, S) drawn from ``gen`` in the documented order; ``V0 = max_a Q[0]``."""
    H, S, A = Q.shape
    for h in range(H):
        for s in range(S):
            arg = 0
            best = Q[h, s, 0]
            for a in range(1, A):
                if Q[h, s, a] > best:
                    best = Q[h, s, a]
                    arg = a
            if gen.random() < eps:
                arg = int(gen.random() * A)
                if arg >= A:
                    arg = A - 1
            policy[h, s] = arg
    for s in range(S):
        best = Q[0, s, 0]
        for a in range(1, A):
            if Q[0, s, a] > best:
                best = Q[0, s, a]
        V0[s] = best


@njit(cache=True)
def _eps_update(Q, N, states, actions, rewards, L, lr, jin):  # pragma: no cover - compiled
    """Q-learning updates of one episode, steps in forward order."""
    H, S, A = Q.shape
    for h in range(L):
        s = states[h]
        a = actions[h]
        target = rewards[h]
        if h + 1 < L:  # otherwise past the horizon (L = H) or a terminal next state (L < H)
            s2 = states[h + 1]
            best = Q[h + 1, s2, 0]
            for b in range(1, A):
                if Q[h + 1, s2, b] > best:
                    best = Q[h + 1, s2, b]
            target += best
        N[h, s, a] += 1
        alpha = (H + 1.0) / (H + N[h, s, a]) if jin else lr
        Q[h, s, a] += alpha * (target - Q[h, s, a])


@njit(cache=True)
def _eps_run(
    K, eps, lr, jin,
    cdf, init_cdf, R, terminal, P, rho, vstar0, vstar_rho, gen,
    Q, N, V0,
    regret, returns, estimates, margins, s0,
):  # pragma: no cover - compiled  # fmt: skip
    H, S, A = Q.shape
    policy = np.zeros((H, S), np.int64)
    st = np.zeros(H + 1, np.int64)
    ac = np.zeros(H, np.int64)
    rw = np.zeros(H)
    for k in range(K):
        _eps_plan(Q, eps, gen, policy, V0)
        n = K_.simulate_episode(policy, cdf, init_cdf, R, terminal, gen, st, ac, rw)
        _eps_update(Q, N, st, ac, rw, n, lr, jin)
        K_.record_episode(
            k, policy, V0, True, P, R, rho, vstar0, vstar_rho, st, rw, n, regret, returns, estimates, margins, s0
        )


class EpsilonGreedyQLearning:
    """Epsilon-greedy finite-horizon Q-learning; no regret bound.

    An :class:`~tabular.exploration.OnlineLearner`; see the module docstring.

    Parameters
    ----------
    n_states, n_actions, horizon : int in [1, 10**6]
        ``S``, ``A``, ``H``; the table ``H * S * A`` may hold at most ``10**8`` entries.
    epsilon : float in [0, 1]
        Probability of a uniform action at each ``(h, s)`` of an episode's policy.
    learning_rate : float in (0, 1] or "jin"
        Constant step size, or ``(H + 1) / (H + n)`` at the ``n``-th visit of ``(h, s, a)``.
    initial_q : float in [-1e6, 1e6]
        Initial value of every entry of ``Q`` (``H`` is optimistic for rewards in [0, 1]).

    Attributes
    ----------
    Q : ndarray of shape (H, S, A)
    N : ndarray of int64, shape (H, S, A)
    value_estimate : ndarray of shape (S,) or None
        ``max_a Q[0]`` when the last episode was planned (an estimate of ``V*_0``, not a
        bound).

    Guarantee
    ---------
    None on regret. With ``epsilon = 0``, ``learning_rate = 1`` and ``initial_q = H`` on
    a deterministic MDP, every entry ``Q[h, s, a]`` is exact (``Q*_h(s, a)``) once
    updated after its successor's entries became exact, and the greedy policy becomes
    optimal after finitely many episodes (optimistic initialisation explores every
    pair). Tested by
    ``tests/tabular/exploration/test_baselines.py::test_epsilon_zero_unit_rate_learns_q_star_on_deterministic_mdp``
    (against :func:`tabular.backward_induction`).

    Examples
    --------
    >>> from rlcore.generators import river_swim
    >>> from tabular.exploration import explore
    >>> res = explore(river_swim(6, horizon=20), EpsilonGreedyQLearning(6, 2, 20), 50, rng=0)
    >>> res.bound is None, res.pseudo_regret.shape
    (True, (1, 50))
    """

    _kernels = (_eps_plan, _eps_update, _eps_run)

    @validate_params(
        n_states=Integer(1, 10**6),
        n_actions=Integer(1, 10**6),
        horizon=Integer(1, 10**6),
        epsilon=Real(0, 1),
        learning_rate=Real(0, 1, closed="right") | Options("jin"),
        initial_q=Real(-1e6, 1e6),
    )
    def __init__(
        self,
        n_states: int,
        n_actions: int,
        horizon: int,
        *,
        epsilon: float = 0.1,
        learning_rate: float | str = "jin",
        initial_q: float = 0.0,
    ) -> None:
        if horizon * n_states * n_actions > _MAX_TABLE:
            raise InvalidParameterError(
                "n_states", f"the table H * S * A = {horizon * n_states * n_actions} exceeds the limit {_MAX_TABLE}"
            )
        self.n_states, self.n_actions, self.horizon = n_states, n_actions, horizon
        self.epsilon = float(epsilon)
        self.learning_rate = learning_rate
        self._jin = learning_rate == "jin"
        self._lr = 0.0 if self._jin else float(learning_rate)
        self.initial_q = float(initial_q)
        self.name = f"eps-greedy Q (eps={self.epsilon:g})"
        self.reset()

    def reset(self) -> None:
        """Forget all data: ``Q = initial_q``, zero counts."""
        S, A, H = self.n_states, self.n_actions, self.horizon
        self.Q = np.full((H, S, A), self.initial_q)
        self.N = np.zeros((H, S, A), np.int64)
        self.value_estimate: np.ndarray | None = None

    def begin_episode(self, episode: int, rng: np.random.Generator) -> np.ndarray:
        """Draw the episode's epsilon-greedy policy (H, S) from ``rng`` (order: module docstring)."""
        policy = np.zeros((self.horizon, self.n_states), np.int64)
        V0 = np.zeros(self.n_states)
        _eps_plan(self.Q, self.epsilon, rng, policy, V0)
        self.value_estimate = V0
        return policy

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Apply the episode's Q-learning updates in forward order."""
        _eps_update(
            self.Q, self.N, np.ascontiguousarray(states, np.int64), np.ascontiguousarray(actions, np.int64),
            np.ascontiguousarray(rewards, np.float64), int(actions.shape[0]), self._lr, self._jin,
        )  # fmt: skip

    def regret_bound(self, n_episodes: int) -> None:
        """None: epsilon-greedy exploration has no regret guarantee."""
        return None

    def _run_compiled(self, tables: EpisodeTables, n_episodes: int, gen: np.random.Generator, log: EpisodeLog) -> None:
        V0 = np.zeros(self.n_states)
        _eps_run(
            n_episodes, self.epsilon, self._lr, self._jin,
            tables.cdf, tables.init_cdf, tables.R, tables.terminal, tables.P, tables.rho, tables.vstar0,
            tables.vstar_rho, gen, self.Q, self.N, V0, *log,
        )  # fmt: skip
        if n_episodes > 0:
            self.value_estimate = V0

    def __repr__(self) -> str:
        return (
            f"EpsilonGreedyQLearning(n_states={self.n_states}, n_actions={self.n_actions}, horizon={self.horizon}, "
            f"epsilon={self.epsilon}, learning_rate={self.learning_rate!r})"
        )


# ---------------------------------------------------------------- greedy certainty equivalence


@njit(cache=True)
def _ce_plan(N, Nsas, Rsum, dead, optimistic, policy, V0):  # pragma: no cover - compiled
    """Backward induction on the empirical model; fills ``policy`` (H, S) and ``V0`` (S,)."""
    H, S = policy.shape
    A = N.shape[2]
    pooled = N.shape[0] == 1
    V = np.zeros(S)
    W = np.empty(S)
    for h in range(H - 1, -1, -1):
        hs = 0 if pooled else h
        for s in range(S):
            if dead[s]:
                W[s] = 0.0
                policy[h, s] = 0
                continue
            best = -np.inf
            arg = 0
            for a in range(A):
                n = N[hs, s, a]
                if n == 0.0:
                    q = float(H - h) if optimistic else 0.0
                else:
                    pv = 0.0
                    for y in range(S):
                        pv += Nsas[hs, s, a, y] * V[y]
                    q = (Rsum[hs, s, a] + pv) / n
                if q > best:
                    best = q
                    arg = a
            W[s] = best
            policy[h, s] = arg
        V[:] = W
    V0[:] = V


@njit(cache=True)
def _ce_update(N, Nsas, Rsum, Rsq, dead, states, actions, rewards, L):  # pragma: no cover - compiled
    K_.add_transitions(N, Nsas, Rsum, Rsq, states, actions, rewards, L)
    if L < states.shape[0] - 1:
        dead[states[L]] = True


@njit(cache=True)
def _ce_run(
    K, H, optimistic,
    cdf, init_cdf, R, terminal, P, rho, vstar0, vstar_rho, gen,
    N, Nsas, Rsum, Rsq, dead, V0,
    regret, returns, estimates, margins, s0,
):  # pragma: no cover - compiled  # fmt: skip
    S = N.shape[1]
    policy = np.zeros((H, S), np.int64)
    st = np.zeros(H + 1, np.int64)
    ac = np.zeros(H, np.int64)
    rw = np.zeros(H)
    for k in range(K):
        _ce_plan(N, Nsas, Rsum, dead, optimistic, policy, V0)
        n = K_.simulate_episode(policy, cdf, init_cdf, R, terminal, gen, st, ac, rw)
        _ce_update(N, Nsas, Rsum, Rsq, dead, st, ac, rw, n)
        K_.record_episode(
            k, policy, V0, True, P, R, rho, vstar0, vstar_rho, st, rw, n, regret, returns, estimates, margins, s0
        )


class GreedyCertaintyEquivalence:
    """Greedy planning on the empirical model (certainty equivalence); no regret bound.

    An :class:`~tabular.exploration.OnlineLearner`; see the module docstring.

    Parameters
    ----------
    n_states, n_actions, horizon : int in [1, 10**6]
        ``S``, ``A``, ``H``; the model ``Hs * S * A * S`` (``Hs = H`` when
        ``stage_dependent``, else 1) may hold at most ``10**8`` entries.
    stage_dependent : bool
        One empirical model per step instead of one for all steps.
    unvisited : {"optimistic", "zero"}
        ``Q_h`` of a pair never tried: ``H - h`` or 0.

    Attributes
    ----------
    value_estimate : ndarray of shape (S,) or None
        ``V_0`` of the empirical model's optimal policy (an estimate, not a bound).

    Guarantee
    ---------
    None on regret. The plan is exact backward induction on the empirical MDP: tested
    by ``tests/tabular/exploration/test_baselines.py::test_certainty_equivalence_plan_equals_backward_induction``
    (against :func:`tabular.backward_induction` on the empirical
    :class:`~rlcore.FiniteMDP`).

    Examples
    --------
    >>> from rlcore.generators import river_swim
    >>> from tabular.exploration import explore
    >>> res = explore(river_swim(6, horizon=20), GreedyCertaintyEquivalence(6, 2, 20), 50, rng=0)
    >>> res.bound is None, res.engine
    (True, 'compiled')
    """

    _kernels = (_ce_plan, _ce_update, _ce_run)

    @validate_params(
        n_states=Integer(1, 10**6),
        n_actions=Integer(1, 10**6),
        horizon=Integer(1, 10**6),
        stage_dependent=Bool(),
        unvisited=Options("optimistic", "zero"),
    )
    def __init__(
        self,
        n_states: int,
        n_actions: int,
        horizon: int,
        *,
        stage_dependent: bool = False,
        unvisited: str = "optimistic",
    ) -> None:
        Hs = horizon if stage_dependent else 1
        if Hs * n_states * n_actions * n_states > _MAX_TABLE:
            raise InvalidParameterError(
                "n_states",
                f"the model of {Hs * n_states * n_actions * n_states} entries exceeds the limit {_MAX_TABLE}",
            )
        self.n_states, self.n_actions, self.horizon = n_states, n_actions, horizon
        self.stage_dependent = bool(stage_dependent)
        self.unvisited = unvisited
        self.name = "greedy CE" + (" (stage-dependent)" if self.stage_dependent else "")
        self.reset()

    def reset(self) -> None:
        """Forget all data."""
        S, A, H = self.n_states, self.n_actions, self.horizon
        Hs = H if self.stage_dependent else 1
        self.N = np.zeros((Hs, S, A))
        self.Nsas = np.zeros((Hs, S, A, S))
        self.Rsum = np.zeros((Hs, S, A))
        self._Rsq = np.zeros((Hs, S, A))
        self._dead = np.zeros(S, np.bool_)
        self.value_estimate: np.ndarray | None = None

    def begin_episode(self, episode: int, rng: Any) -> np.ndarray:
        """Backward induction on the empirical model (draws nothing)."""
        policy = np.zeros((self.horizon, self.n_states), np.int64)
        V0 = np.zeros(self.n_states)
        _ce_plan(self.N, self.Nsas, self.Rsum, self._dead, self.unvisited == "optimistic", policy, V0)
        self.value_estimate = V0
        return policy

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Add the episode's transitions to the counts."""
        L = int(actions.shape[0])
        st = np.zeros(self.horizon + 1, np.int64)
        st[: L + 1] = states
        _ce_update(
            self.N, self.Nsas, self.Rsum, self._Rsq, self._dead, st, np.ascontiguousarray(actions, np.int64),
            np.ascontiguousarray(rewards, np.float64), L,
        )  # fmt: skip

    def regret_bound(self, n_episodes: int) -> None:
        """None: greedy planning has no regret guarantee."""
        return None

    def _run_compiled(self, tables: EpisodeTables, n_episodes: int, gen: np.random.Generator, log: EpisodeLog) -> None:
        V0 = np.zeros(self.n_states)
        _ce_run(
            n_episodes, self.horizon, self.unvisited == "optimistic",
            tables.cdf, tables.init_cdf, tables.R, tables.terminal, tables.P, tables.rho, tables.vstar0,
            tables.vstar_rho, gen, self.N, self.Nsas, self.Rsum, self._Rsq, self._dead, V0, *log,
        )  # fmt: skip
        if n_episodes > 0:
            self.value_estimate = V0

    def __repr__(self) -> str:
        return (
            f"GreedyCertaintyEquivalence(n_states={self.n_states}, n_actions={self.n_actions}, "
            f"horizon={self.horizon}, stage_dependent={self.stage_dependent}, unvisited={self.unvisited!r})"
        )
