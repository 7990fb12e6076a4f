"""UCBVI: optimistic value iteration on the empirical model (Azar, Osband, Munos 2017).

Each episode ``k`` UCBVI builds the empirical model from all past transitions (counts
``N(s, a)``, ``N(s, a, s')``, mean rewards) and runs backward induction with an
exploration bonus added to every backup:

.. math::

    \\bar Q_h(s, a) = \\min\\big(\\bar Q^{k-1}_h(s, a),\\; H - h,\\;
        \\hat r(s, a) + \\hat P(\\cdot | s, a) \\cdot \\bar V_{h+1} + b_h(s, a)\\big),
    \\qquad \\bar V_h(s) = \\max_a \\bar Q_h(s, a)

(``Q_h = H - h`` for unvisited pairs, and 0 in a state once an episode has ended
there before step ``H``: only terminal states end an episode early), then plays the greedy policy of ``Q`` (ties go
to the action tried least often in that state, then to the lowest index: with the
theory's large bonus every value sits at the clip ``H - h`` for a long time, and this
rule makes those episodes explore instead of repeating action 0). Three bonuses, the
first two from Azar et al. 2017 (Algorithms 3 and 4), with ``L = ln(5 S A T / delta)``:

* Chernoff-Hoeffding (``"hoeffding"``, UCBVI-CH): ``b = 7 H L / sqrt(N)``;
* Bernstein-Freedman (``"bernstein"``, UCBVI-BF):
  ``b = sqrt(8 L Var_{P^}(V_{h+1}) / N) + 14 H L / (3 N)
  + sqrt(8 sum_y P^(y) min(10**4 H**3 S**2 A L**2 / N'_{h+1}(y), H**2) / N)``
  where ``N'_{h+1}(y)`` counts the visits of ``y`` at step ``h + 1``;
* simplified Bernstein (``"simplified_bernstein"``, the default bonus of rlberry 0.6's
  ``UCBVIAgent``, ``rlberry/agents/ucbvi/ucbvi.py:190-200``, the same bonus as the
  ``OptQLAgent`` one of :mod:`tabular.exploration.optimistic_q`):
  ``b = min(c / sqrt(N) + (H - h) / N, H - h)``, a Bernstein-shaped bonus (a
  ``1 / sqrt(N)`` term for the variance, a ``(H - h) / N`` term for the range) with the
  logarithms and constants dropped; no regret bound is claimed for it
  (:meth:`UCBVI.regret_bound` is None).

With the simplified bonus, ``bonus_count`` says which ``N`` the bonus of ``(h, s, a)``
reads on a shared model (``stage_dependent=False``):

* ``"current"`` (default): the current count of ``(s, a)`` over all steps, as the
  empirical model does;
* ``"last_visit"``: the count of ``(s, a)`` just after its last visit *at step h*
  (``H - h`` before any visit at step ``h``), i.e. the bonus of ``(h, s, a)`` is
  refreshed only when ``(s, a)`` is played at step ``h``. This is what rlberry 0.6.0's
  ``UCBVIAgent`` does (it stores the bonus per step, ``B_sa[hh, s, a]``, written at the
  visit, ``ucbvi.py:134, 235``, while the model is pooled, ``ucbvi.py:224-233``). It is
  an implementation choice of rlberry rather than a variant from the literature, kept
  as an explicit option because it is what makes our regret statistics agree with
  rlberry's (``tests/tabular/exploration/test_rlberry_agreement.py``): pairs visited
  often at some steps keep a large bonus at the others, so the learner explores more
  (1.1 to 1.9 times the regret of ``"current"`` on the benchmark instances).

With ``stage_dependent=True`` the two coincide (the count is that of step ``h``).

``T = K H`` is the number of steps of the run; with ``n_episodes`` given the learner uses
the theorem's ``L`` for that budget, otherwise the anytime value with ``T`` the steps
played so far (``H k`` in episode ``k``). ``c`` scales the bonus (``c = 1``: the theory;
smaller values are the usual practical tuning, without the guarantee). The clip at
``H - h`` (the largest value of ``h``-step returns in [0, 1]) is tighter than the
paper's ``H`` and keeps optimism.

The paper assumes the reward known; the learner uses the empirical mean reward, which
is exact after one visit when rewards are deterministic (an :class:`rlcore.FiniteMDP`'s
simulator returns expected rewards).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from rlcore.validation import MAX_SAMPLES, Integer, Options, Real, check_int, validate_params
from tabular.exploration import _kernels as K_
from tabular.exploration._constraints import DELTA, MAX_MODEL
from tabular.exploration._kernels import EpisodeLog, EpisodeTables

__all__ = ["UCBVI", "ucbvi_regret_bound"]


@validate_params(
    n_states=Integer(1, 10**6),
    n_actions=Integer(1, 10**6),
    horizon=Integer(1, 10**6),
    n_episodes=Integer(1, MAX_SAMPLES),
    delta=DELTA,
    bonus=Options("hoeffding", "bernstein"),
    planned_episodes=Integer(1, MAX_SAMPLES) | None,
)
def ucbvi_regret_bound(
    n_states: int,
    n_actions: int,
    horizon: int,
    n_episodes: int,
    delta: float,
    *,
    bonus: str = "hoeffding",
    planned_episodes: int | None = None,
) -> float:
    """The high-probability regret bound of UCBVI after ``n_episodes`` episodes (Azar et al. 2017).

    With ``T = k H`` after ``k = n_episodes`` episodes and ``L = ln(5 H S A T' / delta)``,
    where ``T' = K H`` for the budget ``K = max(n_episodes, planned_episodes)`` the
    learner's bonus was set for:

    * ``"hoeffding"`` (Theorem 1): ``20 H L sqrt(S A T) + 250 H**2 S**2 A L**2``;
    * ``"bernstein"`` (Theorem 2): ``30 L sqrt(H S A T) + 2500 H**2 S**2 A L**2 + 4 H L sqrt(T)``.

    Both hold with probability at least ``1 - delta`` for rewards in [0, 1] and
    stationary transitions, for every ``k <= K`` at once (the proof bounds the regret of
    each prefix of the run on one event); the paper states the Bernstein bound for
    ``T >= H**3 S**3 A`` and ``S A >= H`` (the function evaluates the formula for any
    ``T``). The constants are as recalled from the paper's statements
    (arXiv:1703.05449, Theorems 1 and 2); the paper's text was not reachable from this
    machine when this was written.

    Parameters
    ----------
    n_states, n_actions, horizon : int in [1, 10**6]
    n_episodes : int in [1, 10**12]
    delta : float in [1e-100, 1)
    bonus : {"hoeffding", "bernstein"}
    planned_episodes : int in [1, 10**12], optional
        The budget ``K`` in the learner's ``L`` (its ``n_episodes``); default
        ``n_episodes``.

    Returns
    -------
    float

    Guarantee
    ---------
    Azar, Osband and Munos (2017), Theorems 1 (Hoeffding) and 2 (Bernstein-Freedman):
    with probability at least ``1 - delta`` the pseudo-regret of UCBVI with the theory's
    bonus is at most this value. The formulas are checked by
    ``tests/tabular/exploration/test_ucbvi.py::test_bound_matches_the_theorem_formulas``
    and the bound against measured regret over seeds by
    ``tests/tabular/exploration/test_ucbvi.py::test_regret_below_bound_and_sublinear``.

    Examples
    --------
    >>> b = ucbvi_regret_bound(6, 2, 20, 1000, 0.1)
    >>> b > 20 * 1000   # vacuous at this size: H K = 20,000 is the trivial bound
    True
    """
    plan = n_episodes if planned_episodes is None else max(n_episodes, planned_episodes)
    return float(_bounds(n_states, n_actions, horizon, np.array([n_episodes]), plan, delta, bonus)[0])


def _bounds(S: int, A: int, H: int, K: np.ndarray, plan: int, delta: float, bonus: str) -> np.ndarray:
    """:func:`ucbvi_regret_bound` at each entry of ``K`` (``<= plan``), float64 arithmetic."""
    T = np.asarray(K, dtype=np.float64) * H
    L = math.log(5.0 * H * S * A * (float(plan) * H) / delta)
    if bonus == "hoeffding":
        return 20.0 * H * L * np.sqrt(S * A * T) + 250.0 * H**2 * S**2 * A * L**2
    return 30.0 * L * np.sqrt(H * S * A * T) + 2500.0 * H**2 * S**2 * A * L**2 + 4.0 * H * L * np.sqrt(T)


@njit(cache=True)
def _ucbvi_plan(N, Nsas, Rsum, Nstate, Nlast, terminal, Qbar, L, c, kind, policy, V0):  # pragma: no cover - compiled
    """Optimistic backward induction; fills ``policy`` (H, S) and ``V0`` (S,), updates ``Qbar``.

    ``kind``: 0 Hoeffding, 1 Bernstein-Freedman, 2 simplified Bernstein. ``Nlast`` (H, S, A)
    or empty: when not empty, the simplified bonus at step ``h`` reads the count of
    ``(s, a)`` as it was at its last visit at step ``h`` instead of the current count.
    """
    H, S, A = Qbar.shape
    pooled = N.shape[0] == 1
    frozen = Nlast.shape[0] > 0
    V = np.zeros(S)
    W = np.empty(S)
    big = 1e4 * H**3 * S**2 * A * L**2
    # what does not depend on h, once per plan (H times fewer divisions and roots when pooled)
    Hs = N.shape[0]
    inv = np.zeros((Hs, S, A))
    rhat = np.zeros((Hs, S, A))
    hoeff = np.zeros((Hs, S, A))
    for g in range(Hs):
        for s in range(S):
            for a in range(A):
                n = N[g, s, a]
                if n > 0.0:
                    inv[g, s, a] = 1.0 / n
                    rhat[g, s, a] = Rsum[g, s, a] / n
                    hoeff[g, s, a] = c * (7.0 * H * L / math.sqrt(n))
    for h in range(H - 1, -1, -1):
        hs = 0 if pooled else h
        cap = float(H - h)
        for s in range(S):
            if terminal[s]:  # seen ending an episode early: worth 0 from here on
                for a in range(A):
                    Qbar[h, s, a] = 0.0
                W[s] = 0.0
                policy[h, s] = 0
                continue
            best = -np.inf
            arg = 0
            for a in range(A):
                n = N[hs, s, a]
                if n == 0.0:
                    q = cap
                else:
                    pv = 0.0
                    for y in range(S):
                        pv += Nsas[hs, s, a, y] * V[y]
                    pv *= inv[hs, s, a]
                    if kind == 1:
                        var = 0.0
                        corr = 0.0
                        for y in range(S):
                            p = Nsas[hs, s, a, y] / n
                            if p > 0.0:
                                d = V[y] - pv
                                var += p * d * d
                                nv = Nstate[h + 1, y] if h + 1 < H else 0.0
                                term = big / nv if nv > 0.0 else np.inf
                                corr += p * min(term, float(H * H))
                        b = math.sqrt(8.0 * L * var / n) + 14.0 * H * L / (3.0 * n) + math.sqrt(8.0 * corr / n)
                        b = c * b
                    elif kind == 2:
                        nb = Nlast[h, s, a] if frozen else n
                        b = cap if nb == 0.0 else min(c / math.sqrt(nb) + cap / nb, cap)
                    else:
                        b = hoeff[hs, s, a]
                    q = rhat[hs, s, a] + pv + b
                    if q > cap:
                        q = cap
                if q > Qbar[h, s, a]:
                    q = Qbar[h, s, a]
                Qbar[h, s, a] = q
                if q > best or (q == best and N[hs, s, a] < N[hs, s, arg]):
                    best = q
                    arg = a
            W[s] = best
            policy[h, s] = arg
        V[:] = W
    V0[:] = V


@njit(cache=True)
def _ucbvi_update(
    N, Nsas, Rsum, Rsq, Nstate, Nlast, terminal, states, actions, rewards, L_len
):  # pragma: no cover - compiled
    K_.add_transitions(N, Nsas, Rsum, Rsq, states, actions, rewards, L_len)
    for t in range(1, L_len + 1):
        Nstate[t, states[t]] += 1.0
    if Nlast.shape[0] > 0:  # the count of (s, a) just after its visit at step t (later visits undone)
        pooled = N.shape[0] == 1
        for t in range(L_len - 1, -1, -1):
            hs = 0 if pooled else t
            Nlast[t, states[t], actions[t]] = N[hs, states[t], actions[t]]
            N[hs, states[t], actions[t]] -= 1.0
        for t in range(L_len):
            N[0 if pooled else t, states[t], actions[t]] += 1.0
    if L_len < Nstate.shape[0] - 1:  # the episode ended before H: its last state is terminal
        terminal[states[L_len]] = True


@njit(cache=True)
def _log_term(S, A, H, episode, n_episodes, delta):  # pragma: no cover - compiled
    T = H * (n_episodes if n_episodes > 0 else episode)
    return math.log(5.0 * S * A * T / delta)


@njit(cache=True)
def _ucbvi_run(
    K, first_episode, n_budget, delta, c,
    cdf, init_cdf, R, terminal, P, rho, vstar0, vstar_rho, gen,
    N, Nsas, Rsum, Rsq, Nstate, Nlast, ended, Qbar, kind,
    regret, returns, estimates, margins, s0,
):  # pragma: no cover - compiled  # fmt: skip
    H, S, _ = Qbar.shape
    A = Qbar.shape[2]
    policy = np.zeros((H, S), np.int64)
    V0 = np.zeros(S)
    st = np.zeros(H + 1, np.int64)
    ac = np.zeros(H, np.int64)
    rw = np.zeros(H)
    for k in range(K):
        L = _log_term(S, A, H, first_episode + k + 1, n_budget, delta)
        _ucbvi_plan(N, Nsas, Rsum, Nstate, Nlast, ended, Qbar, L, c, kind, policy, V0)
        n = K_.simulate_episode(policy, cdf, init_cdf, R, terminal, gen, st, ac, rw)
        _ucbvi_update(N, Nsas, Rsum, Rsq, Nstate, Nlast, ended, st, ac, rw, n)
        K_.record_episode(
            k, policy, V0, True, P, R, rho, vstar0, vstar_rho, st, rw, n, regret, returns, estimates, margins, s0
        )


class UCBVI:
    """UCBVI with Hoeffding (UCBVI-CH), Bernstein-Freedman (UCBVI-BF) or simplified Bernstein bonuses.

    An :class:`~tabular.exploration.OnlineLearner`; see the module docstring for the
    algorithm.

    Parameters
    ----------
    n_states, n_actions, horizon : int in [1, 10**6]
        ``S``, ``A``, ``H``; the model ``Hs * S * A * S`` (``Hs = H`` when
        ``stage_dependent``, else 1) may hold at most ``10**8`` entries.
    bonus : {"hoeffding", "bernstein", "simplified_bernstein"}
    delta : float in [1e-100, 1)
        Failure probability of the guarantee (not read by ``"simplified_bernstein"``).
    c : float in [0, 1e6]
        Multiplier of the bonus (1: the theory's; 0: greedy on the empirical model with
        optimistic unvisited pairs); for ``"simplified_bernstein"``, the factor of its
        ``1 / sqrt(N)`` term only (rlberry's ``bonus_scale_factor``).
    stage_dependent : bool
        One transition model per step (the regret then scales with ``H S`` states);
        default: one model for all steps, as in the paper.
    n_episodes : int in [1, 10**12], optional
        The planned number of episodes ``K`` (``T = K H`` in ``L``): the theorem's bonus,
        and the only setting in which the learner claims optimism and a regret bound.
        Default: anytime (``T`` is the number of steps played so far), with no claim.
    bonus_count : {"current", "last_visit"}
        Which count the simplified Bernstein bonus of ``(h, s, a)`` reads (see the module
        docstring): the current one, or the one at the last visit of ``(s, a)`` at step
        ``h`` (rlberry 0.6.0's ``UCBVIAgent``). ``"last_visit"`` requires
        ``bonus="simplified_bernstein"``.

    Attributes
    ----------
    value_estimate : ndarray of shape (S,) or None
        ``V^bar_0`` of the last plan: an upper bound on ``V*_0`` on the theorem's event.
    Q : ndarray of shape (H, S, A)
        The optimistic action values (non-increasing over episodes).

    Guarantee
    ---------
    For the bonuses of Azar et al. (``"hoeffding"``, ``"bernstein"``), with ``c = 1`` and
    the planned budget ``n_episodes = K``, with probability at least
    ``1 - delta``: ``V^bar_0 >= V*_0`` in every episode (optimism, the first step of the
    proofs of Azar et al. 2017, Theorems 1 and 2) and the regret after every ``k <= K``
    episodes is at most :func:`ucbvi_regret_bound` (Theorems 1 and 2), for rewards in
    [0, 1] and stationary transitions. Tested by
    ``tests/tabular/exploration/test_ucbvi.py::test_optimism_holds_in_every_episode`` (the
    margin ``min_s V^bar_0(s) - V*_0(s)``, per episode, over seeded runs, within a
    binomial failure budget),
    ``tests/tabular/exploration/test_ucbvi.py::test_regret_below_bound_and_sublinear`` and
    ``tests/tabular/exploration/test_ucbvi.py::test_plan_matches_a_direct_backward_induction``
    (the kernel against a NumPy re-implementation of the backup). The simplified
    Bernstein bonus has no guarantee here; its regret statistics are checked against
    rlberry 0.6.0's ``UCBVIAgent`` by
    ``tests/tabular/exploration/test_rlberry_agreement.py::test_regret_agrees_with_rlberry``.

    References
    ----------
    M. G. Azar, I. Osband and R. Munos, "Minimax regret bounds for reinforcement
    learning", ICML 2017 (arXiv:1703.05449).

    O. D. Domingues, Y. Flet-Berliac, E. Leurent, P. Menard, X. Shang, M. Valko, "rlberry - A
    reinforcement learning library for research and education", 2021 (``UCBVIAgent``: the
    simplified Bernstein bonus and ``bonus_count="last_visit"``).

    Examples
    --------
    >>> from rlcore.generators import river_swim
    >>> from tabular.exploration import explore
    >>> res = explore(river_swim(6, horizon=20), UCBVI(6, 2, 20), 200, rng=0)
    >>> bool(np.all(res.optimism_margins >= 0))
    True
    """

    _kernels = (_ucbvi_plan, _ucbvi_update, _ucbvi_run)

    @validate_params(
        n_states=Integer(1, 10**6),
        n_actions=Integer(1, 10**6),
        horizon=Integer(1, 10**6),
        bonus=Options("hoeffding", "bernstein", "simplified_bernstein"),
        delta=DELTA,
        c=Real(0, 1e6),
        stage_dependent=Options(True, False),
        n_episodes=Integer(1, MAX_SAMPLES) | None,
        bonus_count=Options("current", "last_visit"),
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
        stage_dependent: bool = False,
        n_episodes: int | None = None,
        bonus_count: str = "current",
    ) -> None:
        self.n_states, self.n_actions, self.horizon = n_states, n_actions, horizon
        self.bonus, self.delta, self.c = bonus, float(delta), float(c)
        self.stage_dependent = bool(stage_dependent)
        self.n_episodes = n_episodes
        Hs = horizon if self.stage_dependent else 1
        if Hs * n_states * n_actions * n_states > MAX_MODEL:
            from rlcore.validation import InvalidParameterError

            raise InvalidParameterError(
                "n_states", f"the model of {Hs * n_states * n_actions * n_states} entries exceeds the limit {MAX_MODEL}"
            )
        self._kind = {"hoeffding": 0, "bernstein": 1, "simplified_bernstein": 2}[bonus]
        if bonus_count == "last_visit" and bonus != "simplified_bernstein":
            from rlcore.validation import InvalidParameterError

            raise InvalidParameterError(
                "bonus_count", f"'last_visit' applies to the 'simplified_bernstein' bonus only, not {bonus!r}"
            )
        self.bonus_count = bonus_count
        self.name = {"hoeffding": "UCBVI-CH", "bernstein": "UCBVI-BF", "simplified_bernstein": "UCBVI-simplified"}[
            bonus
        ]
        self.reset()

    def reset(self) -> None:
        """Forget all data."""
        S, A, H = self.n_states, self.n_actions, self.horizon
        Hs = H if self.stage_dependent else 1
        self._N = np.zeros((Hs, S, A))
        self._Nsas = np.zeros((Hs, S, A, S))
        self._Rsum = np.zeros((Hs, S, A))
        self._Rsq = np.zeros((Hs, S, A))
        self._Nstate = np.zeros((H + 1, S))
        self._terminal = np.zeros(S, dtype=np.bool_)
        self._Nlast = np.zeros((H, S, A) if self.bonus_count == "last_visit" else (0, 0, 0))
        self.Q = np.repeat((H - np.arange(H, dtype=np.float64))[:, None, None], S, axis=1).repeat(A, axis=2)
        self.value_estimate: np.ndarray | None = None
        self._episodes = 0

    def _L(self, episode: int) -> float:
        return float(_log_term(self.n_states, self.n_actions, self.horizon, episode, self.n_episodes or 0, self.delta))

    def begin_episode(self, episode: int, rng: Any) -> np.ndarray:
        """Plan the optimistic policy (H, S) for the next episode (draws nothing)."""
        policy = np.zeros((self.horizon, self.n_states), np.int64)
        V0 = np.zeros(self.n_states)
        L = self._L(self._episodes + 1)
        _ucbvi_plan(
            self._N,
            self._Nsas,
            self._Rsum,
            self._Nstate,
            self._Nlast,
            self._terminal,
            self.Q,
            L,
            self.c,
            self._kind,
            policy,
            V0,
        )
        self.value_estimate = V0
        return policy

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Add the episode's transitions to the counts."""
        _ucbvi_update(
            self._N,
            self._Nsas,
            self._Rsum,
            self._Rsq,
            self._Nstate,
            self._Nlast,
            self._terminal,
            states,
            actions,
            rewards,
            actions.shape[0],
        )
        self._episodes += 1

    @property
    def optimistic(self) -> bool:
        """Whether the theorem's optimism is claimed: the theory's bonus (``c >= 1``) on one
        shared model, for a planned budget ``n_episodes``."""
        return (
            self.bonus != "simplified_bernstein"
            and self.c >= 1.0
            and not self.stage_dependent
            and self.n_episodes is not None
        )

    def regret_bound(self, n_episodes: int) -> float | None:
        """:func:`ucbvi_regret_bound` for this learner, or None where the theorem says nothing.

        The theorem covers the theory's bonus (``c = 1``) on one shared model, with ``L``
        set for a planned budget (the learner's ``n_episodes``), up to that budget; the
        anytime bonus (no budget), another ``c``, a stage-dependent model or a run past
        the budget get None.
        """
        K = check_int(n_episodes, "n_episodes", low=1, high=MAX_SAMPLES)
        if (
            self.bonus == "simplified_bernstein"
            or self.c != 1.0
            or self.stage_dependent
            or self.n_episodes is None
            or K > self.n_episodes
        ):
            return None
        return ucbvi_regret_bound(
            self.n_states,
            self.n_actions,
            self.horizon,
            K,
            self.delta,
            bonus=self.bonus,
            planned_episodes=self.n_episodes,
        )

    def regret_bounds(self, n_episodes: int) -> np.ndarray | None:
        """:meth:`regret_bound` after ``1, ..., n_episodes`` episodes, shape (n_episodes,) (NaN past
        the planned budget), or None."""
        if self.regret_bound(1) is None:
            return None
        assert self.n_episodes is not None
        k = np.arange(1, int(n_episodes) + 1)
        out = np.full(k.shape, np.nan)
        ok = k <= self.n_episodes
        out[ok] = _bounds(self.n_states, self.n_actions, self.horizon, k[ok], self.n_episodes, self.delta, self.bonus)
        return out

    def _run_compiled(self, tables: EpisodeTables, n_episodes: int, gen: np.random.Generator, log: EpisodeLog) -> None:
        _ucbvi_run(
            n_episodes, self._episodes, self.n_episodes or 0, self.delta, self.c,
            tables.cdf, tables.init_cdf, tables.R, tables.terminal, tables.P, tables.rho, tables.vstar0,
            tables.vstar_rho, gen,
            self._N, self._Nsas, self._Rsum, self._Rsq, self._Nstate, self._Nlast, self._terminal, self.Q,
            self._kind, *log,
        )  # fmt: skip
        self._episodes += n_episodes
        # the last plan's estimate, as the Python path leaves it (V^bar_0 = max_a Q^bar_0)
        self.value_estimate = np.max(self.Q[0], axis=1)

    def __repr__(self) -> str:
        return (
            f"UCBVI(n_states={self.n_states}, n_actions={self.n_actions}, horizon={self.horizon}, "
            f"bonus={self.bonus!r}, delta={self.delta}, c={self.c}, stage_dependent={self.stage_dependent}, "
            f"bonus_count={self.bonus_count!r})"
        )
