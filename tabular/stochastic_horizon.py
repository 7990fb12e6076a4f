"""The stochastic effective horizon: how many episodes tabular SQIRL provably needs.

Laidlaw, Zhu, Russell and Dragan (ICLR 2024) extend the effective horizon to
stochastic MDPs through SQIRL (:func:`tabular.sqirl`): if the MDP is k-QVI-solvable,
SQIRL with planning depth ``k`` needs a number of episodes per step that is
exponential only in ``k`` (through the ``A**-k`` chance that random exploration tries a
given action sequence), and the stochastic effective horizon is
``H_k = k + log_A(rest of the sample count)``, minimised over ``k``. Their Theorem 3.6
states this for any regression oracle with an in-distribution generalisation bound, up
to constants and logarithmic factors.

This module computes, exactly for a tabular MDP, an **explicit** sufficient number of
episodes per step for SQIRL with the tabular-mean regressor (exact tabular FQI,
:class:`rlcore.TabularMean`) to return an *optimal* policy with probability at least
``1 - delta``, and the resulting effective horizon ``log_A m_k``. The argument follows
the paper's (gap of ``Q^k``, error propagation through ``k`` FQI steps, exploration
probability ``A**-k``), with Hoeffding and Chernoff bounds in place of the oracle
assumption; it is our derivation, stated in full in :func:`sqirl_sample_bound`, so its
constants can be checked line by line (and are tested by running SQIRL).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from rlcore.mdp import FiniteMDP
from rlcore.results import Result
from rlcore.validation import InvalidParameterError, Real, validate_params
from tabular.effective_horizon import (
    ATOL,
    DEFAULT_GREEDY_ATOL,
    DEFAULT_OPTIMAL_ATOL,
    FINITE_HORIZON,
    K,
    KQVIResult,
    _backup,
    _check_greedy,
    _k_qvi_check,
    _optimal_q,
    _random_policy_q,
    check_k,
    horizon_of,
)

__all__ = ["SQIRLSampleBound", "StochasticEffectiveHorizon", "sqirl_sample_bound", "stochastic_effective_horizon"]


@dataclass(frozen=True, repr=False)
class SQIRLSampleBound(Result):
    """Explicit SQIRL sample bound for one planning depth ``k`` (tabular regressor).

    Attributes
    ----------
    k : int
    solvable : bool
        Whether the MDP is k-QVI-solvable (otherwise ``m`` is ``inf``).
    m : float
        Episodes per step that suffice (an integer, or ``inf``: the MDP is not
        k-QVI-solvable, a greedy tie-break can avoid a relevant state, or the
        requirement exceeds the float64 range); SQIRL uses ``H * m``.
    effective_horizon : float
        ``log_A m`` (``inf`` when ``m`` is); 0 when no step needs data.
    delta : float
        Failure probability the bound is for.
    gap : ndarray of shape (H,)
        ``Delta_i``: the smallest gap ``max_a Q^k_i(s, a) - max_{a not greedy} Q^k_i(s, a)``
        over the states ``s`` that matter at step ``i`` (``inf`` where none does).
    reach_lower : ndarray of shape (H,)
        ``L_i``: a lower bound on the probability that the learned prefix reaches any
        state that matters at step ``i`` (``inf`` where none does).
    width : ndarray of shape (H,)
        ``W_i``: sum over the FQI steps ``t = i..j`` of the range of the reward-to-go from
        ``t``.
    m_per_step : ndarray of shape (H,)
        The requirement of each step (0 where no state matters, ``inf`` as for ``m``);
        ``m = max``.
    p_min : float
        Smallest positive transition probability of the MDP.
    """

    k: int
    solvable: bool
    m: float
    effective_horizon: float
    delta: float
    gap: np.ndarray
    reach_lower: np.ndarray
    width: np.ndarray
    m_per_step: np.ndarray
    p_min: float


@dataclass(frozen=True, repr=False)
class StochasticEffectiveHorizon(Result):
    """Outcome of :func:`stochastic_effective_horizon`.

    The field names follow :class:`tabular.EffectiveHorizonBound` (``effective_horizon``,
    ``best_k``, ``k_results``).

    Attributes
    ----------
    effective_horizon : float
        ``min_k log_A m_k`` over the k-QVI-solvable ``k`` checked.
    best_k : int
        The minimising ``k`` (smallest on ties).
    m : float
        Its episodes per step, ``m_k``.
    k_results : tuple of SQIRLSampleBound
        One per ``k = 1..max_k``.
    """

    effective_horizon: float
    best_k: int
    m: float
    k_results: tuple[SQIRLSampleBound, ...]


DELTA = Real(0, 1, closed="neither")


def _min_greedy_transition(mdp: FiniteMDP, t: int, greedy: np.ndarray) -> Any:
    """(S, S) matrix ``min_{a greedy at s} P_t(s'|s, a)`` (sparse when the MDP is)."""
    S, A = mdp.n_states, mdp.n_actions
    first = greedy.argmax(axis=1)  # some greedy action per state
    rows = np.where(greedy, np.arange(A)[None, :], first[:, None])  # (S, A): a, or a stand-in
    Pt = mdp.transitions_at(t)
    if mdp.is_sparse:
        Pc = sp.csr_array(Pt)
        out = Pc[np.arange(S) * A + rows[:, 0]]
        for a in range(1, A):
            out = out.minimum(Pc[np.arange(S) * A + rows[:, a]])
        return sp.csr_array(out)
    P = np.asarray(Pt)
    return np.min(P[np.arange(S)[:, None], rows], axis=1)


def _p_min(mdp: FiniteMDP) -> float:
    data = np.asarray(mdp.P.data) if mdp.is_sparse else np.asarray(mdp.P).ravel()
    pos = data[data > 0]
    return float(pos.min())


@validate_params(mdp=FINITE_HORIZON, k=K, delta=DELTA, greedy_atol=ATOL, optimal_atol=ATOL)
def sqirl_sample_bound(
    mdp: FiniteMDP,
    k: int,
    *,
    delta: float = 0.1,
    greedy_atol: float = DEFAULT_GREEDY_ATOL,
    optimal_atol: float = DEFAULT_OPTIMAL_ATOL,
) -> SQIRLSampleBound:
    """Episodes per step that make tabular SQIRL optimal with probability ``1 - delta``.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Finite horizon ``H``; stochastic or deterministic, dense or sparse.
    k : int
        Planning depth, ``1 <= k <= H``.
    delta : float
        Failure probability in ``(0, 1)``.
    greedy_atol, optimal_atol : float >= 0
        Tolerances of the k-QVI test, see :func:`tabular.k_qvi_check`.

    Returns
    -------
    SQIRLSampleBound
        ``m`` and the per-step fields are ``inf`` where documented there.

    Guarantee
    ---------
    Let the MDP be k-QVI-solvable, ``G_t(s)`` the argmax set of ``Q^k_t(s, .)`` and call
    ``(i, s)`` *relevant* when ``s`` is reachable at step ``i`` by policies greedy for
    ``Q^k`` and ``G_i(s)`` is not every action. With ``j = min(i + k - 1, H - 1)``,
    ``w_t = sum_{u >= t} (max R_u - min R_u)``, ``W_i = sum_{t=i}^{j} w_t``,
    ``N_i = (j - i + 1) S A``, ``delta_i = delta / #{steps with a relevant state}`` and

    * ``Delta_i`` the smallest gap ``max Q^k_i(s, .) - max_{a not in G_i(s)} Q^k_i(s, a)``
      over relevant ``s``;
    * ``L_i`` the smallest, over relevant ``s``, of the lower bound
      ``L_{t+1}(s') = sum_s L_t(s) min_{a in G_t(s)} P_t(s'|s, a)``, ``L_0 = initial``, on
      the probability that a policy greedy for ``Q^k`` is in ``s`` at step ``i``;
    * ``nu_i = L_i A^{-(j-i+1)} p_min^{j-i}`` with ``p_min`` the smallest positive
      transition probability, a lower bound on the probability that an exploration
      episode visits any ``(t, s', a')``, ``i <= t <= j``, reachable from a relevant state;

    SQIRL with the tabular-mean regressor and ``m >= m_i`` episodes at every step ``i``,

    ``m_i = max( 8 log(2 N_i / delta_i) / nu_i ,  4 W_i^2 log(4 N_i / delta_i) / (nu_i Delta_i^2) )``

    (rounded up, strictly above the second term), returns an optimal policy with
    probability at least ``1 - delta``. *Proof sketch.* By induction over steps: if steps
    ``< i`` act greedily for ``Q^k``, every cell above is visited with probability at
    least ``nu_i``; Chernoff gives each at least ``m nu_i / 2`` samples (failure
    ``delta_i / 2`` over the ``N_i`` cells); given the visits, the targets of a cell are
    i.i.d. with range ``w_t`` and mean the exact backup, so Hoeffding bounds each
    regression error by ``w_t sqrt(log(4 N_i/delta_i) / (m nu_i))`` (failure
    ``delta_i / 2``); the max over actions is 1-Lipschitz, so errors add up over the FQI
    steps to at most ``W_i sqrt(log(4 N_i / delta_i) / (m nu_i)) < Delta_i / 2``, and the
    argmax of ``Qhat_i`` lies in ``G_i(s)`` at every relevant state; k-QVI-solvability
    makes the resulting greedy policy optimal. A union bound over steps completes it.

    The shape is the paper's (Laidlaw et al. 2024, Theorem 3.6): exponential in ``k``
    through ``A**k``, polynomial in ``H``, inverse-quadratic in the gap of ``Q^k``. It is
    conservative (worst-case visitation ``nu_i``), and ``inf`` when some relevant state
    can be avoided by a greedy tie-break (``L_i = 0``). Tested by
    ``tests/tabular/test_sqirl.py::test_sqirl_with_the_bound_is_optimal_with_promised_probability``
    (24 seeded runs at ``m = m_k``, failure budget written in the test) and
    ``tests/tabular/test_sqirl.py::test_bound_ingredients_against_brute_force`` (the
    ingredients against enumeration).

    References
    ----------
    C. Laidlaw, B. Zhu, S. Russell and A. Dragan, "The effective horizon explains deep RL
    performance in stochastic environments", ICLR 2024 (arXiv:2312.08369), Section 3.

    Examples
    --------
    >>> from rlcore.generators import combination_lock, sticky_actions
    >>> lock = sticky_actions(combination_lock(3, 2, combination=[1, 0, 1]), 0.25)
    >>> b = sqirl_sample_bound(lock, 1, delta=0.1)
    >>> b.solvable, int(b.m), round(b.effective_horizon, 2)
    (True, 29815, 14.86)
    """
    check_k(k, horizon_of(mdp))
    return _bound(mdp, _k_qvi_check(mdp, k, greedy_atol, optimal_atol), delta, _p_min(mdp))


def _scaled(c: float, log_x: float) -> float:
    """``c * exp(log_x)`` for ``c >= 0``: ``inf`` past the float64 range, 0 for ``log_x = -inf``."""
    if c == 0.0 or log_x == -math.inf:
        return 0.0
    log_v = math.log(c) + log_x
    return math.inf if log_v > 709.0 else math.exp(log_v)


def _bound(mdp: FiniteMDP, res: KQVIResult, d: float, p_min: float) -> SQIRLSampleBound:
    """The bound of :func:`sqirl_sample_bound` from a k-QVI check (validated inputs)."""
    H, S, A, k = res.Q.shape[0], mdp.n_states, mdp.n_actions, res.k
    inf_arr = np.full(H, np.inf)
    if not res.solvable:
        return SQIRLSampleBound(
            k, False, math.inf, math.inf, d, inf_arr, inf_arr.copy(), np.zeros(H), inf_arr.copy(), p_min
        )
    Q, greedy = res.Q, res.greedy
    # reachability under greedy policies (res.reachable is filled for every step when solvable)
    reach = res.reachable
    relevant = reach & ~greedy.all(axis=2)
    # lower bound on visiting probabilities under any greedy policy
    L = np.zeros((H, S))
    L[0] = mdp.initial
    for t in range(H - 1):
        M = _min_greedy_transition(mdp, t, greedy[t])
        L[t + 1] = M.T @ L[t] if sp.issparse(M) else L[t] @ M
    with np.errstate(over="ignore", invalid="ignore"):
        rng_r = np.array([np.ptp(np.asarray(mdp.rewards_at(t))) for t in range(H)])
        w = np.cumsum(rng_r[::-1])[::-1]  # w[t] = sum_{u >= t} range(R_u)
        total = float(w.sum())
    if not math.isfinite(total):
        raise InvalidParameterError("mdp", "the range of the returns overflows float64; rescale the rewards")
    n_rel_steps = int(relevant.any(axis=1).sum())
    gap = np.full(H, np.inf)
    reach_lower = np.full(H, np.inf)
    width = np.zeros(H)
    m_step = np.zeros(H)
    for i in range(H):
        j = min(i + k - 1, H - 1)
        width[i] = float(w[i : j + 1].sum())
        if not relevant[i].any():
            continue
        rel = np.flatnonzero(relevant[i])
        q = Q[i, rel]
        g = greedy[i, rel]
        best = q.max(axis=1)
        other = np.where(g, -np.inf, q).max(axis=1)
        gap[i] = float((best - other).min())
        reach_lower[i] = float(L[i, rel].min())
        if reach_lower[i] <= 0.0 or gap[i] <= 0.0:
            m_step[i] = math.inf
            continue
        nu = reach_lower[i] * float(A) ** (-(j - i + 1)) * p_min ** (j - i)
        N = (j - i + 1) * S * A
        # log(1 / delta_i) in logs: 2 N / delta_i overflows for a delta near the smallest float
        log_inv_di = math.log(n_rel_steps) - math.log(d)
        log_2n, log_4n = math.log(2.0 * N) + log_inv_di, math.log(4.0 * N) + log_inv_di
        if nu > 0.0 and nu * gap[i] ** 2 > 0.0:
            chernoff = 8.0 * log_2n / nu
            hoeffding = 4.0 * width[i] ** 2 * log_4n / (nu * gap[i] ** 2)
        else:  # nu or the squared gap underflow: the same formulas in logs
            log_nu = math.log(reach_lower[i]) - (j - i + 1) * math.log(A) + (j - i) * math.log(p_min)
            chernoff = _scaled(8.0 * log_2n, -log_nu)
            log_ratio = 2.0 * (math.log(width[i]) - math.log(gap[i])) if width[i] > 0.0 else -math.inf
            hoeffding = _scaled(4.0 * log_4n, log_ratio - log_nu)
        worst = max(chernoff, hoeffding)
        # a requirement beyond the float64 range is reported as inf
        m_step[i] = float(max(math.ceil(chernoff), math.floor(hoeffding) + 1)) if math.isfinite(worst) else math.inf
    m = float(m_step.max())
    if m == 0.0:
        eh = 0.0
    elif math.isinf(m):
        eh = math.inf
    else:
        eh = math.log(m) / math.log(A) if A > 1 else 0.0
    return SQIRLSampleBound(k, True, m, eh, d, gap, reach_lower, width, m_step, p_min)


@validate_params(mdp=FINITE_HORIZON, delta=DELTA, max_k=K | None, greedy_atol=ATOL, optimal_atol=ATOL)
def stochastic_effective_horizon(
    mdp: FiniteMDP,
    *,
    delta: float = 0.1,
    max_k: int | None = None,
    greedy_atol: float = DEFAULT_GREEDY_ATOL,
    optimal_atol: float = DEFAULT_OPTIMAL_ATOL,
) -> StochasticEffectiveHorizon:
    """Stochastic effective horizon ``min_k log_A m_k`` from SQIRL's sample bound.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Finite horizon ``H``.
    delta : float
        Failure probability of the underlying SQIRL guarantee.
    max_k : int, optional
        Largest planning depth tried, ``1 <= max_k <= H`` (default ``H``).
    greedy_atol, optimal_atol : float >= 0
        Tolerances of the k-QVI test, see :func:`tabular.k_qvi_check`.

    Returns
    -------
    StochasticEffectiveHorizon
        ``effective_horizon = min_k log_A m_k`` with ``m_k`` from
        :func:`sqirl_sample_bound`, the minimiser ``best_k`` and every ``k``'s
        ingredients; ``effective_horizon`` and ``m`` are ``inf`` when no ``k`` gives a
        finite bound (see :class:`SQIRLSampleBound`).

    Guarantee
    ---------
    SQIRL with the tabular regressor, planning depth ``result.best_k`` and
    ``m = result.m = A**result.effective_horizon`` episodes per step (``H * m`` in all)
    returns an optimal policy with probability at least ``1 - delta`` (see
    :func:`sqirl_sample_bound`). Tested by
    ``tests/tabular/test_sqirl.py::test_sqirl_with_the_bound_is_optimal_with_promised_probability``
    (the bound) and
    ``tests/tabular/test_sqirl.py::test_bound_is_infinite_when_not_solvable_and_monotone_in_delta``
    (the minimum over ``k``).

    References
    ----------
    C. Laidlaw, B. Zhu, S. Russell and A. Dragan, ICLR 2024, Section 3 (the stochastic
    effective horizon ``H_k = k + log_A(...)``, Theorem 3.6).

    Examples
    --------
    >>> from rlcore.generators import combination_lock, sticky_actions
    >>> lock = sticky_actions(combination_lock(3, 2, combination=[1, 0, 1]), 0.25)
    >>> eh = stochastic_effective_horizon(lock)
    >>> eh.best_k, round(eh.effective_horizon, 2)
    (1, 14.86)
    """
    H = horizon_of(mdp)
    if max_k is not None:
        check_k(max_k, H, "max_k")
    kmax = H if max_k is None else max_k
    d, ga, oa = delta, greedy_atol, optimal_atol
    p_min = _p_min(mdp)
    Q, Q_star = _random_policy_q(mdp), _optimal_q(mdp, H)
    found = []
    for k in range(1, kmax + 1):  # Q^k incrementally: one backup per k
        found.append(_bound(mdp, _check_greedy(mdp, k, Q, Q_star, ga, oa), d, p_min))
        if k < kmax:
            Q = _backup(mdp, Q)
    k_results = tuple(found)
    best = min(k_results, key=lambda b: (b.effective_horizon, b.k))
    return StochasticEffectiveHorizon(
        effective_horizon=best.effective_horizon, best_k=best.k, m=best.m, k_results=k_results
    )
