"""LSVI-UCB: optimistic least-squares value iteration for linear MDPs (Jin, Yang, Wang, Jordan 2020).

In a linear MDP, rewards and transitions are linear in a known feature map
``phi(s, a)`` in ``R^d``. Before each episode ``k`` LSVI-UCB fits, backward over
``h = H-1, ..., 0``, a ridge regression of ``r + V_{h+1}(x')`` on ``phi`` over the
step-``h`` transitions of all past episodes and adds the bonus
``beta ||phi||_{Lambda_h^{-1}}`` (the statistics form of :func:`tabular.lsvi.lsvi_plan`
with ``sign = +1``, computed by this module's own kernel, which also runs the variants
below; with the defaults it is bit-identical to ``lsvi_plan``'s):

.. math::

    Q_h(s, a) = \\operatorname{clip}\\big(\\phi(s, a)^\\top \\Lambda_h^{-1} (b_h + M_h V_{h+1})
        + \\beta \\sqrt{\\phi(s, a)^\\top \\Lambda_h^{-1} \\phi(s, a)},\\; 0,\\; H - h\\big),
    \\qquad V_h = \\max_a Q_h,

then plays the greedy policy (ties to the action with the widest bonus). Here the state
space is finite and ``phi`` is given as a table of shape (S, A, d), so the learner keeps,
per step ``h``, sufficient statistics updated after every episode:
``Lambda_h^{-1}`` by Sherman-Morrison rank-one updates (``O(d^2)`` per transition),
``b_h = sum phi_tau r_tau`` and ``M_h = sum phi_tau e_{x'_tau}^T`` (``d x S``). Planning
then costs ``O(H (d S + S A d^2))`` per episode whatever the number of past episodes
(the paper's Algorithm 1 re-solves the regressions over all past transitions, which
costs ``O(k H A d^2)`` in episode ``k``; on a finite state space evaluating ``V_{h+1}``
at every state instead of at every past next state gives the same ``w_h``).
Transitions into a state where an episode ended early (a terminal state) bootstrap
nothing.

The width is ``beta = c d H sqrt(iota)``, ``iota = log(2 d T / delta)``, ``T = K H``
(Jin et al. 2020, Theorem 3.1; :func:`lsvi_ucb_beta`). With ``n_episodes`` given the
learner uses the theorem's ``T`` for that budget; otherwise the anytime value with the
steps played so far (``T = H k`` in episode ``k``). The theorem's ``c`` is "an absolute
constant" whose value its statement does not give; ``c = 1`` is the default and
``c`` is a parameter.

Two variants, both those of rlberry 0.6.0's ``LSVIUCBAgent``
(``rlberry/agents/linear/lsvi_ucb.py``), neither covered by the theorem here:

* ``stage_dependent=False``: one ``Lambda``, ``b``, ``M`` for the transitions of all
  steps (a *stationary* linear MDP, whose ``P`` and ``r`` do not depend on ``h``; the
  paper's MDP may change with ``h``, hence one regression per step). The regression of
  every step then uses all the data, as UCBVI's shared model does
  (:class:`~tabular.exploration.UCBVI` with ``stage_dependent=False``); rlberry keeps
  one ``lambda_mat`` (``lsvi_ucb.py:198, 278-280``) and regresses every step on all
  past transitions (``lsvi_ucb.py:58-81``);
* ``bonus="simplified_bernstein"``: the width ``beta sqrt(u) + H u`` with
  ``u = phi^T Lambda_h^{-1} phi`` (``lsvi_ucb.py:68-70, 321-323``; rlberry's docstring,
  ``lsvi_ucb.py:94-95``, says it was adapted to match UCBVI's simplified Bernstein
  bonus). It is not Jin et al.'s (whose width is ``beta sqrt(u)``, Algorithm 1): with
  one-hot features ``u = 1 / (N + lambda)`` and it is the linear form of
  ``c / sqrt(N) + H / N`` (:class:`~tabular.exploration.UCBVI`'s
  ``"simplified_bernstein"`` bonus, with ``H`` for ``H - h``).

With both (``lam = 0.1``, ``beta = 1``, one-hot features) the regret statistics agree
with rlberry's within 4 combined standard errors on the benchmark instances
(``tests/tabular/exploration/test_rlberry_agreement.py``), though not exactly: rlberry
also caps at ``H`` rather than ``H - h`` and adds the width at step ``H`` (its next-state
value at the last step is ``max_a min(width, H)`` instead of 0,
``lsvi_ucb.py:57-73``), which this learner does not reproduce (the value after the
last step is 0).

References
----------
C. Jin, Z. Yang, Z. Wang, M. I. Jordan, "Provably efficient reinforcement learning with
linear function approximation", COLT 2020 (arXiv:1907.05388), Algorithm 1 and Theorem 3.1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from rlcore.validation import (
    MAX_SAMPLES,
    Array,
    Integer,
    InvalidParameterError,
    Options,
    InvalidParameterTypeError,
    Real,
    as_float_array,
    check_int,
    validate_params,
)
from tabular.exploration import _kernels as K_
from tabular.exploration._kernels import EpisodeLog, EpisodeTables
from tabular.lsvi import (
    BETA_LIMIT,
    MAX_HORIZON,
    MAX_MODEL_ENTRIES,
    RIDGE_FLOOR,
    _plan,
    _sherman_morrison,
)
from tabular.exploration._constraints import DELTA

__all__ = ["LSVIUCB", "lsvi_ucb_beta", "lsvi_ucb_regret_bound"]

_C = Real(0, 1e100, closed="right")


@validate_params(
    dim=Integer(1, MAX_MODEL_ENTRIES),
    horizon=Integer(1, MAX_HORIZON),
    n_episodes=Integer(1, MAX_SAMPLES),
    delta=DELTA,
    c=_C,
)
def lsvi_ucb_beta(dim: int, horizon: int, n_episodes: int, delta: float, *, c: float = 1.0) -> float:
    """The bonus width ``beta = c d H sqrt(log(2 d T / delta))``, ``T = K H`` (Jin et al. 2020, Thm. 3.1).

    The theorem holds for ``c`` above an absolute constant that its statement leaves
    unspecified (``lambda = 1``, ``||phi|| <= 1``).

    Parameters
    ----------
    dim : int in [1, 10**8]
    horizon : int in [1, 10**6]
    n_episodes : int in [1, 10**12]
    delta : float in [1e-100, 1)
    c : float in (0, 1e100]

    Guarantee
    ---------
    The width of Jin et al. (2020), Theorem 3.1, under which the optimistic values
    bound ``V*`` from above with probability ``1 - delta`` (for ``c`` above the theorem's
    absolute constant). Optimism at this width is checked by
    ``tests/tabular/exploration/test_lsvi_ucb.py::test_optimism_on_a_linear_mdp``.

    Examples
    --------
    >>> round(lsvi_ucb_beta(12, 20, 2000, 0.1), 2)
    962.32
    """
    return _beta_formula(dim, horizon, n_episodes, delta, c)


def _beta_formula(d: int, H: int, K: int, delta: float, c: float) -> float:
    return c * d * H * math.sqrt(math.log(2.0 * d * (K * H) / delta))


def _bound_formula(d: int, H: int, K: int, delta: float, beta: float) -> float:
    T = K * H
    return 2.0 * H * math.sqrt(2.0 * T * math.log(2.0 / delta)) + 2.0 * beta * H * math.sqrt(
        2.0 * d * K * math.log1p(K / d)
    )


@validate_params(
    dim=Integer(1, MAX_MODEL_ENTRIES),
    horizon=Integer(1, MAX_HORIZON),
    n_episodes=Integer(1, MAX_SAMPLES),
    delta=DELTA,
    c=_C,
    beta=Real(0, BETA_LIMIT) | None,
)
def lsvi_ucb_regret_bound(
    dim: int, horizon: int, n_episodes: int, delta: float, *, c: float = 1.0, beta: float | None = None
) -> float:
    """The high-probability regret bound of LSVI-UCB after ``n_episodes`` episodes (Jin et al. 2020, Thm. 3.1).

    With ``K`` episodes, ``T = K H``, ``lambda = 1``, ``||phi|| <= 1`` and the width
    ``beta`` (default :func:`lsvi_ucb_beta` for these ``K`` and ``c``):

    .. math::

        \\mathrm{Regret}(K) \\le 2 H \\sqrt{2 T \\log(2 / \\delta)}
            + 2 \\beta H \\sqrt{2 d K \\log(1 + K / d)},

    which is ``O(sqrt(d^3 H^3 T iota^2))`` for ``beta = c d H sqrt(iota)``. The two terms
    are those of the theorem's proof, with explicit constants derived here: on the event
    (probability ``1 - delta/2``) that every regression is within
    ``beta ||phi||_{Lambda^{-1}}`` of its target, ``V^k_0 >= V*_0`` and
    ``V^k_h - V^{pi_k}_h <= V^k_{h+1} - V^{pi_k}_{h+1} + zeta + 2 beta ||phi_h^k||_{Lambda_h^{-1}}``
    along the trajectory, with ``zeta`` martingale differences bounded by ``2 H``
    (Azuma-Hoeffding, probability ``1 - delta/2``: the first term) and
    ``sum_k ||phi_h^k||_{Lambda_h^{-1}} <= sqrt(2 d K log(1 + K / d))`` (Cauchy-Schwarz and
    the elliptical-potential lemma, ``log det Lambda <= d log(1 + K/d)``: the second).

    What the constant ``c`` must be is not stated: the theorem holds for ``c`` above an
    absolute constant fixed by its concentration lemma (a self-normalised bound with a
    covering of the value-function class), which was not extracted here (the paper's text
    was not reachable from this machine); ``c`` is therefore a parameter, and the bound
    is a guarantee only for ``c`` at least that constant. The decomposition itself holds
    for any ``beta`` large enough for the concentration event.

    Parameters
    ----------
    dim : int in [1, 10**8]
    horizon : int in [1, 10**6]
    n_episodes : int in [1, 10**12]
    delta : float in [1e-100, 1)
    c : float in (0, 1e100]
    beta : float in [0, 1e100], optional
        The width the learner used (its largest over the run); default the theorem's.

    Returns
    -------
    float
        Often above ``K H``, the trivial bound, unless ``K`` is large.

    Guarantee
    ---------
    Jin, Yang, Wang and Jordan (2020), Theorem 3.1, with the two terms of its proof
    written out (see above): with probability at least ``1 - delta`` in a linear MDP.
    Tested by ``tests/tabular/exploration/test_lsvi_ucb.py::test_bound_formula_and_rate``
    and ``tests/tabular/exploration/test_lsvi_ucb.py::test_regret_below_bound_and_sublinear``.

    Examples
    --------
    >>> b = lsvi_ucb_regret_bound(12, 20, 2000, 0.1)
    >>> b > 20 * 2000   # vacuous at this size
    True
    """
    if beta is None:
        beta = _beta_formula(dim, horizon, n_episodes, delta, c)
    return _bound_formula(dim, horizon, n_episodes, delta, beta)


# ------------------------------------------------------------------------------- kernels
@njit(cache=True)
def _beta_at(d, H, episode, n_budget, delta, c):  # pragma: no cover - compiled
    """``c d H sqrt(log(2 d T / delta))`` with ``T = H n_budget`` (or ``H episode`` when ``n_budget = 0``)."""
    T = H * (n_budget if n_budget > 0 else episode)
    return c * d * H * math.sqrt(math.log(2.0 * d * T / delta))


@njit(cache=True)
def _lsvi_ucb_update(table, C, b, M, seen_terminal, states, actions, rewards, L, u, H):  # pragma: no cover - compiled
    """Add an episode to the per-step statistics: ``C_h`` (Sherman-Morrison), ``b_h``, ``M_h``."""
    d = table.shape[2]
    pooled = C.shape[0] == 1
    for t in range(L):
        h = 0 if pooled else t
        phi = table[states[t], actions[t]]
        _sherman_morrison(C[h], phi, u)
        r = rewards[t]
        s2 = states[t + 1]
        for i in range(d):
            b[h, i] += phi[i] * r
            M[h, i, s2] += phi[i]
    if L < H:
        seen_terminal[states[L]] = True


@njit(cache=True)
def _lsvi_ucb_run(
    K, first_episode, n_budget, delta, c, fixed_beta, range_term,
    table, C, b, M, seen_terminal, Q, V, policy, weights,
    cdf, init_cdf, R, terminal, P, rho, vstar0, vstar_rho, gen,
    regret, returns, estimates, margins, s0,
):  # pragma: no cover - compiled  # fmt: skip
    H = policy.shape[0]
    S, A, d = table.shape
    flat = table.reshape(S * A, d)
    st = np.zeros(H + 1, np.int64)
    ac = np.zeros(H, np.int64)
    rw = np.zeros(H)
    u = np.empty(d)
    for k in range(K):
        beta = fixed_beta if fixed_beta >= 0.0 else _beta_at(d, H, first_episode + k + 1, n_budget, delta, c)
        _plan(flat, C, b, M, beta, range_term, 1.0, seen_terminal, Q, V, policy, weights)
        n = K_.simulate_episode(policy, cdf, init_cdf, R, terminal, gen, st, ac, rw)
        _lsvi_ucb_update(table, C, b, M, seen_terminal, st, ac, rw, n, u, H)
        K_.record_episode(
            k, policy, V[0], True, P, R, rho, vstar0, vstar_rho, st, rw, n, regret, returns, estimates, margins, s0
        )


class LSVIUCB:
    """LSVI-UCB on a finite state space with tabulated features.

    An :class:`~tabular.exploration.OnlineLearner`; see the module docstring for the
    algorithm.

    Parameters
    ----------
    features : ndarray of shape (S, A, d)
        ``phi(s, a)``, finite; ``S A d``, ``H d^2`` and ``H d S`` at most ``10**8``.
    horizon : int in [1, 10**6]
    beta : float in [0, 1e100], optional
        The bonus width; default :func:`lsvi_ucb_beta` (the theorem's, with ``c``).
    delta : float in [1e-100, 1)
        Failure probability of the guarantee.
    c : float in (0, 1e100]
        The theorem's absolute constant in ``beta = c d H sqrt(iota)``.
    lam : float >= 1e-12
        Ridge ``lambda`` (the theorem's is 1).
    n_episodes : int in [1, 10**12], optional
        The planned number of episodes ``K`` (``T = K H`` in ``beta``); default: anytime.
    stage_dependent : bool
        One regression per step (default, Jin et al.'s); False: one set of statistics for
        all steps (a stationary linear MDP).
    bonus : {"elliptical", "simplified_bernstein"}
        The width: ``beta sqrt(u)`` (default, Jin et al.'s) or ``beta sqrt(u) + H u``
        (rlberry 0.6.0's), ``u = phi^T Lambda_h^{-1} phi``.

    Attributes
    ----------
    value_estimate : ndarray of shape (S,) or None
        ``V_0`` of the last plan: an upper bound on ``V*_0`` on the theorem's event.
    Q : ndarray of shape (H, S, A)
        The last plan's optimistic action values.
    weights : ndarray of shape (H, d)
        The last plan's ``w_h``.
    cov_inv : ndarray of shape (Hs, d, d)
        ``Lambda_h^{-1}`` from all data so far (``Hs = H``, or 1 when not
        ``stage_dependent``).

    Guarantee
    ---------
    In a linear MDP with ``||phi(s, a)|| <= 1``, ``lambda = 1`` and the default width
    with ``c`` at least the theorem's absolute constant: with probability at least
    ``1 - delta``, ``Q_h >= Q*_h`` in every episode (optimism, Jin et al. 2020, Lemma B.5,
    numbered as recalled: the paper's text was not reachable from this machine) and the
    regret after ``K`` episodes is at most :func:`lsvi_ucb_regret_bound` (Theorem 3.1,
    constants derived there). Tested by
    ``tests/tabular/exploration/test_lsvi_ucb.py::test_one_hot_plan_is_count_based_optimistic_induction``
    (the plan against count-based optimistic backward induction, a second implementation),
    ``tests/tabular/exploration/test_lsvi_ucb.py::test_incremental_statistics_equal_batch_regression``
    (Sherman-Morrison against a batch solve),
    ``tests/tabular/exploration/test_lsvi_ucb.py::test_optimism_on_a_linear_mdp`` (the margin
    ``min_s V_0(s) - V*_0(s)`` in every episode over seeded runs, within a binomial budget)
    and ``tests/tabular/exploration/test_lsvi_ucb.py::test_regret_below_bound_and_sublinear``.
    The two variants (``stage_dependent=False``, ``bonus="simplified_bernstein"``) have
    no guarantee here (``regret_bound`` is None); they are checked against a count-based
    second implementation
    (``tests/tabular/exploration/test_lsvi_ucb.py::test_one_hot_plan_is_count_based_optimistic_induction``)
    and against rlberry 0.6.0's regret statistics
    (``tests/tabular/exploration/test_rlberry_agreement.py``).

    Examples
    --------
    >>> from rlcore.generators import river_swim
    >>> from tabular.exploration import explore
    >>> phi = np.eye(12).reshape(6, 2, 12)   # one-hot: the tabular case, d = S A
    >>> res = explore(river_swim(6, horizon=20), LSVIUCB(phi, 20), 200, rng=0)
    >>> bool(np.all(res.optimism_margins >= 0))
    True
    """

    _kernels = (_plan, _lsvi_ucb_update, _lsvi_ucb_run, _sherman_morrison, _beta_at)

    @validate_params(
        features=Array("float", ndim=3),
        horizon=Integer(1, MAX_HORIZON),
        beta=Real(0, BETA_LIMIT) | None,
        delta=DELTA,
        c=_C,
        lam=Real(RIDGE_FLOOR, 1e100),
        n_episodes=Integer(1, MAX_SAMPLES) | None,
        stage_dependent=Options(True, False),
        bonus=Options("elliptical", "simplified_bernstein"),
    )
    def __init__(
        self,
        features: Any,
        horizon: int,
        *,
        beta: float | None = None,
        delta: float = 0.1,
        c: float = 1.0,
        lam: float = 1.0,
        n_episodes: int | None = None,
        stage_dependent: bool = True,
        bonus: str = "elliptical",
    ) -> None:
        S, A, d = features.shape
        H = horizon
        if S * A * d > MAX_MODEL_ENTRIES:
            raise InvalidParameterError(
                "features", f"S * A * d = {S * A * d} entries exceed the limit {MAX_MODEL_ENTRIES}"
            )
        if H * d * max(d, S) > MAX_MODEL_ENTRIES:
            raise InvalidParameterError(
                "horizon", f"the statistics (H d^2 and H d S entries) exceed the limit {MAX_MODEL_ENTRIES}"
            )
        self.features = np.ascontiguousarray(features)
        self.features.setflags(write=False)
        self.n_states, self.n_actions, self.dim, self.horizon = S, A, d, H
        self.beta, self.delta, self.c, self.lam = beta, float(delta), float(c), float(lam)
        self.n_episodes = n_episodes
        self.stage_dependent = bool(stage_dependent)
        self.bonus = bonus
        self._range_term = float(H) if bonus == "simplified_bernstein" else 0.0
        self.name = "LSVI-UCB"
        self._unit_features = bool(np.max(np.linalg.norm(self.features, axis=2)) <= 1.0 + 1e-12)
        self.reset()

    def reset(self) -> None:
        """Forget all data."""
        S, A, d, H = self.n_states, self.n_actions, self.dim, self.horizon
        Hs = H if self.stage_dependent else 1
        self.cov_inv = np.zeros((Hs, d, d))
        self.cov_inv[:] = np.eye(d) / self.lam
        self._b = np.zeros((Hs, d))
        self._M = np.zeros((Hs, d, S))
        self._terminal = np.zeros(S, dtype=bool)
        self._Q = np.zeros((H, S * A))
        self._V = np.zeros((H + 1, S))
        self._policy = np.zeros((H, S), np.int64)
        self.weights = np.zeros((H, d))
        self._u = np.empty(d)
        self.value_estimate: np.ndarray | None = None
        self._episodes = 0

    @property
    def Q(self) -> np.ndarray:
        """The last plan's ``Q`` of shape (H, S, A)."""
        return self._Q.reshape(self.horizon, self.n_states, self.n_actions)

    def current_beta(self) -> float:
        """The width the next episode plans with."""
        return float(self._beta(self._episodes + 1))

    def _beta(self, episode: int) -> float:
        if self.beta is not None:
            return float(self.beta)
        return _beta_at(self.dim, self.horizon, episode, self.n_episodes or 0, self.delta, self.c)

    def begin_episode(self, episode: int, rng: Any) -> np.ndarray:
        """Plan the optimistic policy (H, S) for the next episode (draws nothing).

        ``episode`` is not read: the width follows the number of episodes seen.
        """
        flat = self.features.reshape(self.n_states * self.n_actions, self.dim)
        _plan(
            flat, self.cov_inv, self._b, self._M, self._beta(self._episodes + 1), self._range_term, 1.0,
            self._terminal, self._Q, self._V, self._policy, self.weights,
        )  # fmt: skip
        self.value_estimate = self._V[0].copy()
        return self._policy.copy()

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Add the episode's transitions to the statistics (checked: the kernels do not bound-check)."""
        st, ac, rw = self._checked_episode(states, actions, rewards)
        _lsvi_ucb_update(
            self.features,
            self.cov_inv,
            self._b,
            self._M,
            self._terminal,
            st,
            ac,
            rw,
            ac.shape[0],
            self._u,
            self.horizon,
        )
        self._episodes += 1

    def _checked_episode(self, states: Any, actions: Any, rewards: Any) -> tuple[np.ndarray, ...]:
        st, ac, rw = np.asarray(states), np.asarray(actions), np.asarray(rewards)
        for name, x in (("states", st), ("actions", ac)):
            if x.dtype == bool or not np.issubdtype(x.dtype, np.integer) or x.ndim != 1:
                raise InvalidParameterTypeError(name, f"expected a 1-d integer array, got {x.dtype} of shape {x.shape}")
        L = ac.shape[0]
        if not 1 <= L <= self.horizon or st.shape != (L + 1,) or rw.shape != (L,):
            raise InvalidParameterError(
                "states",
                f"expected states (L+1,), actions and rewards (L,) with 1 <= L <= {self.horizon}, got shapes "
                f"{st.shape}, {ac.shape}, {rw.shape}",
            )
        for name, x, n in (("states", st, self.n_states), ("actions", ac, self.n_actions)):
            if x.min() < 0 or x.max() >= n:
                raise InvalidParameterError(name, f"entries must lie in [0, {n}), got range [{x.min()}, {x.max()}]")
        rw = as_float_array(rw, "rewards")
        return st.astype(np.int64), ac.astype(np.int64), np.ascontiguousarray(rw)

    @property
    def optimistic(self) -> bool:
        """Whether the theorem's optimism is claimed: the theory's width (``beta`` not given,
        ``c >= 1``), ``lam = 1`` and unit-norm features."""
        return (
            self.beta is None
            and self.c >= 1.0
            and self.lam == 1.0
            and self._unit_features
            and self.stage_dependent
            and self.bonus == "elliptical"
        )

    def regret_bound(self, n_episodes: int) -> float | None:
        """:func:`lsvi_ucb_regret_bound` with this learner's ``d``, ``H``, ``delta`` and ``c``.

        None when the theorem's conditions fail: a ``beta`` given by hand, ``lam != 1``,
        some ``||phi(s, a)|| > 1``, pooled statistics or the simplified Bernstein width.
        """
        if (
            self.beta is not None
            or self.lam != 1.0
            or not self._unit_features
            or not self.stage_dependent
            or self.bonus != "elliptical"
        ):
            return None
        K = check_int(n_episodes, "n_episodes", low=1, high=MAX_SAMPLES)
        return self._bound(K)

    def regret_bounds(self, n_episodes: int) -> np.ndarray | None:
        """``[regret_bound(k) for k in 1..n_episodes]``, shape (n_episodes,), without revalidating each call."""
        if self.regret_bound(1) is None:
            return None
        K = check_int(n_episodes, "n_episodes", low=1, high=MAX_SAMPLES)
        return np.array([self._bound(k) for k in range(1, K + 1)])

    def _bound(self, K: int) -> float:
        d, H = self.dim, self.horizon
        beta = _beta_formula(d, H, max(K, self.n_episodes or 0), self.delta, self.c)  # the largest width used
        return _bound_formula(d, H, K, self.delta, beta)

    def _run_compiled(self, tables: EpisodeTables, n_episodes: int, gen: np.random.Generator, log: EpisodeLog) -> None:
        fixed = -1.0 if self.beta is None else float(self.beta)
        _lsvi_ucb_run(
            n_episodes, self._episodes, self.n_episodes or 0, self.delta, self.c, fixed, self._range_term,
            self.features, self.cov_inv, self._b, self._M, self._terminal, self._Q, self._V, self._policy,
            self.weights,
            tables.cdf, tables.init_cdf, tables.R, tables.terminal, tables.P, tables.rho, tables.vstar0,
            tables.vstar_rho, gen,
            *log,
        )  # fmt: skip
        self._episodes += n_episodes
        if n_episodes > 0:
            self.value_estimate = self._V[0].copy()

    def __repr__(self) -> str:
        return (
            f"LSVIUCB(features of shape {self.features.shape}, horizon={self.horizon}, beta={self.beta}, "
            f"delta={self.delta}, c={self.c}, lam={self.lam}, stage_dependent={self.stage_dependent}, "
            f"bonus={self.bonus!r})"
        )
