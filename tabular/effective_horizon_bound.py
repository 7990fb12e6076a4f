"""The effective-horizon bound of a deterministic MDP (Laidlaw, Russell and Dragan 2023).

The *effective horizon* counts how many samples GORP (:func:`tabular.gorp`) needs: at
planning depth ``k`` it estimates ``Q^k`` (:func:`tabular.k_qvi`) from ``m`` random
rollouts per action sequence, and ``H_k = k + log_A m_k`` is the exponent of its sample
complexity ``A**k m_k`` per step. :func:`effective_horizon_bound` computes the exact
value of the bound ``H-bar = min(H, min_k H_k)`` of Theorem 5.4 of the NeurIPS 2023
paper for a deterministic tabular MDP, with every ``k``'s ingredients
(:class:`EffectiveHorizonK`). The stochastic counterpart, from SQIRL's sample bound, is
:func:`tabular.stochastic_effective_horizon`.

References
----------
C. Laidlaw, S. Russell and A. Dragan, "Bridging RL theory and practice with the
effective horizon", NeurIPS 2023 (arXiv:2304.09853), Section 5, Theorem 5.4;
reference implementation ``compute_simple_effective_horizon`` in
cassidylaidlaw/effective-horizon, ``EffectiveHorizon.jl/src/gorp_bounds.jl``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rlcore.mdp import FiniteMDP
from rlcore.results import Result
from rlcore.validation import InvalidParameterError, validate_params
from tabular.effective_horizon import ATOL, DEFAULT_OPTIMAL_ATOL, FINITE_HORIZON, horizon_of

__all__ = ["EffectiveHorizonBound", "EffectiveHorizonK", "effective_horizon_bound"]


@dataclass(frozen=True, repr=False)
class EffectiveHorizonK(Result):
    """The bound's ingredients for one ``k`` at which the MDP is k-QVI-solvable.

    Attributes
    ----------
    k : int
    m : int
        ``m_k = max_t m_{k,t}``: the number of random rollouts per action sequence that
        the bound asks for.
    horizon_k : float
        ``H_k = k + log_A m_k``.
    m_per_step : ndarray of shape (H,)
        ``m_{k,t} = max_s m_k(t, s)`` over the states ``s`` visited at step ``t`` (0 where
        none is visited); float64 because ``m`` can exceed the int64 range.
    gap : float
        ``Delta_k(t, s)`` at the maximising ``(t, s)`` (``inf``: no suboptimal action
        there).
    variance : float
        ``sigma^2_k(t, s)`` at the maximising ``(t, s)``.
    argmax : tuple of int (t, s)
        The maximising ``(t, s)`` (ties: smallest ``s``, then smallest ``t``, the order
        of the authors' code).
    """

    k: int
    m: int
    horizon_k: float
    m_per_step: np.ndarray
    gap: float
    variance: float
    argmax: tuple[int, int]


@dataclass(frozen=True, repr=False)
class EffectiveHorizonBound(Result):
    """Upper bound ``H-bar`` on the effective horizon of a deterministic MDP.

    Attributes
    ----------
    effective_horizon : float
        ``H-bar = min(H, min_k H_k)``.
    k_results : tuple of EffectiveHorizonK
        One entry per ``k`` scanned (``k = 1, 2, ...`` while ``k < H-bar`` so far) at
        which the MDP is k-QVI-solvable in the sense of the bound (strict gap at every
        visited state), in increasing ``k``.
    best_k : int or None
        The ``k`` attaining ``H-bar`` (None when no ``H_k`` is below ``H``).
    horizon : int
        ``H``.
    """

    effective_horizon: float
    k_results: tuple[EffectiveHorizonK, ...]
    best_k: int | None
    horizon: int

    @property
    def ks(self) -> tuple[int, ...]:
        """The ``k`` of :attr:`k_results`."""
        return tuple(r.k for r in self.k_results)

    @property
    def ms(self) -> tuple[int, ...]:
        """The ``m_k`` of :attr:`k_results`."""
        return tuple(r.m for r in self.k_results)


def _deterministic_next(mdp: FiniteMDP, t: int) -> np.ndarray:
    """Next-state table (S, A) of a deterministic step; ValueError otherwise."""
    S, A = mdp.n_states, mdp.n_actions
    Pt = mdp.transitions_at(t)
    if mdp.is_sparse:
        M = sp.csr_array(Pt, copy=True)
        M.eliminate_zeros()
        counts = np.diff(M.indptr)
        ok = bool(np.all(counts == 1)) and bool(np.all(M.data == 1.0))
        nxt = M.indices.copy() if ok else None
    else:
        D = np.asarray(Pt).reshape(S * A, S)
        nxt = D.argmax(axis=1)
        ok = bool(np.all(D[np.arange(S * A), nxt] == 1.0))
    if not ok or nxt is None:
        raise InvalidParameterError(
            "mdp",
            f"the effective-horizon bound of Theorem 5.4 is for deterministic MDPs; the transitions at step {t} "
            "are stochastic",
        )
    return np.asarray(nxt, dtype=np.int64).reshape(S, A)


@validate_params(mdp=FINITE_HORIZON, optimal_atol=ATOL)
def effective_horizon_bound(
    mdp: FiniteMDP,
    *,
    optimal_atol: float = DEFAULT_OPTIMAL_ATOL,
) -> EffectiveHorizonBound:
    """Exact value of the effective-horizon bound for a deterministic tabular MDP.

    For ``k = 1, 2, ...`` let ``Q^k`` be as in :func:`k_qvi` (``k - 1`` optimality
    backups of ``Q^{pi_rand}``) and, with ``Q^worst`` the Q-function of the worst policy
    (minimal return),

    * ``sigma^2_1(t, s, a) = (Q^rand_t(s, a) - Q^worst_t(s, a)) (Q*_t(s, a) - Q^worst_t(s, a))``
      (a bound on the variance of one random-rollout return), and
      ``sigma^2_{i+1}(t, s, a) = max_a' sigma^2_i(t+1, f_t(s, a), a')`` for ``t < H - 1``
      (``sigma^2_{i+1}(H-1, .) = sigma^2_i(H-1, .)``; ``f_t`` the next-state map);
    * at a visited ``(t, s)``: ``Delta_k(t, s) = max_a Q^k_t(s, a) - max_{a suboptimal}
      Q^k_t(s, a)`` (``inf`` without suboptimal actions; ``a`` is suboptimal when
      ``Q*_t(s, a) < V*_t(s) - optimal_atol``), ``sigma^2_k(t, s) = max_a sigma^2_k(t, s, a)``
      and ::

          m_k(t, s) = max(1, ceil(16 sigma^2_k(t, s) / Delta_k(t, s)**2 * log(2 H A**k)));

    * visited states: the support of the initial distribution at ``t = 0``, then the
      successors of the actions with ``Q^k_t(s, a) > max_{a suboptimal} Q^k_t(s, a)``;
    * ``k`` qualifies when ``Delta_k(t, s) > 0`` at every visited ``(t, s)``; then
      ``m_k = max_{t, s} m_k(t, s)`` and ``H_k = k + log_A m_k``;
    * ``H-bar = min(H, min_k H_k)``, the ``k`` scanned in increasing order while
      ``k < H-bar`` (so ``k < H``; ``Q^H = Q*`` would give nothing below ``H``).

    ``H_k`` is the exponent of GORP's sample complexity ``A**k m_k`` per step, i.e. the
    bound ``H-bar >= effective horizon`` of Theorem 5.4 of the NeurIPS 2023 paper (the
    theorem number as cited by the authors' README; the constants ``16`` and
    ``log(2 H A**k)`` as in their implementation ``compute_simple_effective_horizon``).

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Finite horizon ``H``, deterministic transitions (one next state per ``(t, s, a)``,
        probability exactly 1); rewards may depend on ``t``.
    optimal_atol : float >= 0
        Optimality tolerance (default 1e-9; the authors' code uses 1e-4).

    Returns
    -------
    EffectiveHorizonBound

    Raises
    ------
    ValueError
        Stochastic transitions, a discounted MDP, or rewards so large that the variance
        bound overflows float64 (an :class:`~rlcore.validation.InvalidParameterError`
        naming ``mdp``).

    Notes
    -----
    ``Q^rand`` is clipped to ``[Q^worst, Q*]`` against rounding, as in the authors' code.
    For ``A = 1`` every ``m_k = 1`` and ``H_k = k``.

    References
    ----------
    C. Laidlaw, S. Russell and A. Dragan, "Bridging RL theory and practice with the
    effective horizon", NeurIPS 2023 (arXiv:2304.09853), Section 5, Theorem 5.4;
    reference implementation ``compute_simple_effective_horizon`` in
    cassidylaidlaw/effective-horizon, ``EffectiveHorizon.jl/src/gorp_bounds.jl``.

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> b = effective_horizon_bound(combination_lock(3, 2, combination=[0, 1, 1]))
    >>> b.effective_horizon, b.ks, b.ms  # m_k = ceil(16 * 2**(3-k) * log(6 * 2**k))
    (3.0, (1, 2), (160, 102))
    """
    H, oa = horizon_of(mdp), optimal_atol
    S, A = mdp.n_states, mdp.n_actions
    nxt = [_deterministic_next(mdp, t) for t in range(H)]
    R = np.stack([np.asarray(mdp.rewards_at(t), dtype=np.float64) for t in range(H)])

    Q_rand = np.empty((H, S, A))
    Q_star = np.empty((H, S, A))
    Q_worst = np.empty((H, S, A))
    v_rand = np.zeros(S)
    v_star = np.zeros(S)
    v_worst = np.zeros(S)
    for t in range(H - 1, -1, -1):
        Q_rand[t] = R[t] + v_rand[nxt[t]]
        Q_star[t] = R[t] + v_star[nxt[t]]
        Q_worst[t] = R[t] + v_worst[nxt[t]]
        v_star = Q_star[t].max(axis=1)
        v_worst = Q_worst[t].min(axis=1)
        v_rand = np.clip(Q_rand[t].mean(axis=1), v_worst, v_star)
    suboptimal = Q_star < Q_star.max(axis=2, keepdims=True) - oa
    with np.errstate(over="ignore", invalid="ignore"):
        var = (Q_rand - Q_worst) * (Q_star - Q_worst)
    if not (np.all(np.isfinite(Q_star)) and np.all(np.isfinite(Q_worst)) and np.all(np.isfinite(var))):
        raise InvalidParameterError(
            "mdp", "the returns, or the variance bound (their squared range), overflow float64; rescale the rewards"
        )
    Q = Q_rand.copy()
    start = np.asarray(mdp.initial) > 0

    h_bar = float(H)
    best_k: int | None = None
    results: list[EffectiveHorizonK] = []
    k = 1
    while k < h_bar:
        log_term = math.log(2.0 * H * float(A) ** k)
        m_ts = np.zeros((H, S))  # 0 where not visited
        gaps = np.zeros((H, S))
        max_vars = np.zeros((H, S))
        visited = start.copy()
        works = True
        for t in range(H):
            q = Q[t]
            max_q = q.max(axis=1)
            max_sub = np.where(suboptimal[t], q, -np.inf).max(axis=1)
            if np.any(visited & (max_sub >= max_q)):
                works = False
                break
            gap = max_q - max_sub
            mv = var[t].max(axis=1)
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # unvisited states
                x = 16.0 * mv / gap**2 * log_term
            m = np.maximum(1.0, np.ceil(x))
            m_ts[t] = np.where(visited, m, 0.0)
            gaps[t] = gap
            max_vars[t] = mv
            if t + 1 < H:
                follow = visited[:, None] & (q > max_sub[:, None])
                new = np.zeros(S, dtype=bool)
                new[nxt[t][follow]] = True
                visited = new
        if works:
            flat = int(np.argmax(m_ts.T))  # state-major: smallest s, then smallest t
            s_best, t_best = divmod(flat, H)
            m_k = int(m_ts[t_best, s_best])
            h_k = float(k) if m_k == 1 else k + math.log(m_k) / math.log(A)
            results.append(
                EffectiveHorizonK(
                    k=k,
                    m=m_k,
                    horizon_k=h_k,
                    m_per_step=m_ts.max(axis=1),
                    gap=float(gaps[t_best, s_best]),
                    variance=float(max_vars[t_best, s_best]),
                    argmax=(t_best, s_best),
                )
            )
            if h_k < h_bar:
                h_bar, best_k = h_k, k
        # one optimality backup of Q and of the variance bound (the last step stays)
        for t in range(H - 1):
            Q[t] = R[t] + Q[t + 1].max(axis=1)[nxt[t]]
            var[t] = var[t + 1].max(axis=1)[nxt[t]]
        k += 1
    return EffectiveHorizonBound(h_bar, tuple(results), best_k, H)
