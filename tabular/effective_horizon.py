"""k-QVI solvability: how many Bellman backups of the random policy's Q suffice.

Laidlaw, Russell and Dragan (NeurIPS 2023) explain deep-RL performance with the
*effective horizon*; its first ingredient is k-QVI-solvability. For a finite-horizon
MDP with steps ``t = 0, ..., H-1`` (0-indexed here; the papers count ``1..T``) let
``pi_rand`` be the uniformly random policy and define (NeurIPS 2023 paper,
Section 5, the definition of k-QVI-solvability; reused unchanged for stochastic MDPs
in Section 3 of the ICLR 2024 paper)::

    Q^1_t       = Q^{pi_rand}_t                                       for every t
    Q^{i+1}_t(s, a) = r_t(s, a) + sum_s' P_t(s'|s, a) max_a' Q^i_{t+1}(s', a')
                                                      (Q^i_H := 0, so Q^{i+1}_{H-1} = r_{H-1})

i.e. ``Q^k`` is ``k - 1`` Bellman optimality backups applied to ``Q^rand``, so
``Q^k_t`` is obtained by starting from ``Q^rand_{t+k-1}`` and backing up to ``t``.
Near the end of the episode (``t + k - 1 >= H - 1``) the backups reach the last step,
where ``Q^rand_{H-1} = r_{H-1} = Q*_{H-1}``, so ``Q^k_t = Q*_t`` exactly there; in
particular ``Q^H = Q*``.

An MDP is **k-QVI-solvable** when *every* policy that acts greedily with respect to
``Q^k`` (at each ``(t, s)`` it picks any action in ``argmax_a Q^k_t(s, a)``, ties
included) is optimal. Because the policy is only required to be optimal from the
initial distribution, the condition concerns the ``(t, s)`` reachable with positive
probability under some greedy policy: by the performance-difference identity
``V*_0 - V^pi_0 = E_pi sum_t (V*_t(s_t) - Q*_t(s_t, a_t))`` with non-negative terms,
every greedy policy is optimal iff at every such reachable ``(t, s)`` every argmax
action of ``Q^k_t(s, .)`` is optimal (``Q*_t(s, a) = V*_t(s)``). This is what the
authors' reference implementation (``calculate_minimum_k`` in EffectiveHorizon.jl)
checks. The greedy set is ``{a : Q^k_t(s, a) >= max Q^k_t(s, .) - greedy_atol}``
(default ``greedy_atol = 0``: exact ties, as in the reference code; ``Q^rand`` values
in sparse-reward MDPs are legitimately tiny, e.g. ``A**-H`` in a combination lock, so
an absolute tie tolerance would blur them) and an action counts as optimal when
``Q*_t(s, a) >= V*_t(s) - optimal_atol`` (default ``1e-9``; the reference code uses
``1e-4``). Sticky-action MDPs have genuine suboptimality gaps at every scale, so the
reported ``k`` can depend on ``optimal_atol``.

The module also gives the *effective planning window* (:func:`effective_planning_window`,
the same test with the iteration started from the rewards, ``Q^1 = r``) and the exact
value of the effective-horizon bound of Theorem 5.4 of the NeurIPS 2023 paper for
deterministic MDPs (:func:`effective_horizon_bound`).

References
----------
C. Laidlaw, S. Russell and A. Dragan, "Bridging RL theory and practice with the
effective horizon", NeurIPS 2023 (arXiv:2304.09853), Section 5 (k-QVI-solvability:
``Q^1 = Q^{pi_rand}``, ``Q^{i+1}`` its Bellman backups; the effective-horizon bound
of Theorem 5.4 builds on it).

C. Laidlaw, B. Zhu, S. Russell and A. Dragan, "The effective horizon explains deep RL
performance in stochastic environments", ICLR 2024 (arXiv:2312.08369), Section 3
(the same definition for stochastic MDPs; SQIRL's bound, Theorem 3.6, assumes it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rlcore.bellman import _q_from_v
from rlcore.evaluation import evaluate_policy
from rlcore.mdp import FiniteMDP
from rlcore.policies import uniform
from rlcore.validation import MDP, Integer, InvalidParameterError, Real, validate_params
from tabular.finite_horizon import backward_induction

__all__ = [
    "EffectiveHorizonBound",
    "EffectiveHorizonK",
    "KQVIResult",
    "effective_horizon_bound",
    "effective_planning_window",
    "is_k_qvi_solvable",
    "k_qvi",
    "k_qvi_check",
    "min_k",
    "random_policy_q",
]

DEFAULT_GREEDY_ATOL = 0.0
DEFAULT_OPTIMAL_ATOL = 1e-9


#: The constraints the k-QVI functions share (also used by :mod:`tabular.stochastic_horizon`).
FINITE_HORIZON = MDP(discounted=False, hint="k-QVI is defined for finite-horizon MDPs (pass horizon=H)")
#: ``k``; it must also be at most the MDP's horizon (checked by :func:`check_k`).
K = Integer(1, 10**6)
ATOL = Real(0, None)


def horizon_of(mdp: FiniteMDP) -> int:
    """``mdp.horizon`` of an MDP that passed :data:`FINITE_HORIZON` (narrows ``int | None``)."""
    H = mdp.horizon
    assert H is not None
    return H


def check_k(k: int, H: int, name: str = "k") -> None:
    """The relation ``k <= H`` (``k >= 1`` is declared)."""
    if k > H:
        raise InvalidParameterError(name, f"expected an integer in [1, H] = [1, {H}], got {k}")


@validate_params(mdp=FINITE_HORIZON)
def random_policy_q(mdp: FiniteMDP) -> np.ndarray:
    """Q-function ``Q^{pi_rand}`` of the uniformly random policy.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Finite horizon ``H``; stationary or time-dependent, dense or sparse.

    Returns
    -------
    ndarray of shape (H, S, A)
        ``Q[t, s, a]``: expected return of taking ``a`` in ``s`` at step ``t`` and acting
        uniformly at random afterwards.

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> q = random_policy_q(combination_lock(2, 2, combination=[0, 1]))
    >>> q[0, 0].tolist()  # right digit: reward with probability 1/2 afterwards
    [0.5, 0.0]
    """
    return _random_policy_q(mdp)


def _random_policy_q(mdp: FiniteMDP) -> np.ndarray:
    """:func:`random_policy_q` of a validated finite-horizon MDP."""
    return evaluate_policy(mdp, uniform(mdp.n_states, mdp.n_actions, horizon_of(mdp))).Q


def _backup(mdp: FiniteMDP, Q: np.ndarray) -> np.ndarray:
    """One Bellman optimality backup of a time-indexed Q (shape (H, S, A))."""
    H = Q.shape[0]
    out = np.empty_like(Q)
    out[H - 1] = mdp.rewards_at(H - 1)
    for t in range(H - 1):
        out[t] = _q_from_v(mdp, Q[t + 1].max(axis=1), t, "mdp")
    return out


@validate_params(mdp=FINITE_HORIZON, k=K)
def k_qvi(mdp: FiniteMDP, k: int) -> np.ndarray:
    """``Q^k``: ``k - 1`` Bellman optimality backups of ``Q^{pi_rand}``.

    ``Q^1 = Q^{pi_rand}`` and ``Q^{i+1}_t(s, a) = r_t(s, a) + E_{s'~P_t(.|s,a)}
    max_a' Q^i_{t+1}(s', a')`` with ``Q^i_H = 0`` (Laidlaw et al. 2023, Section 5). ``Q^k_t`` thus starts from ``Q^rand_{t+k-1}``; where
    ``t + k - 1 >= H - 1`` the backups stop at the last step and ``Q^k_t = Q*_t``.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Finite horizon ``H``.
    k : int
        ``1 <= k <= H``.

    Returns
    -------
    ndarray of shape (H, S, A)

    References
    ----------
    C. Laidlaw, S. Russell and A. Dragan, NeurIPS 2023, Section 5.

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> mdp = combination_lock(3, 2, combination=[0, 1, 1])
    >>> k_qvi(mdp, 1)[0, 0].tolist(), k_qvi(mdp, 3)[0, 0].tolist()
    ([0.25, 0.0], [1.0, 0.0])
    """
    check_k(k, horizon_of(mdp))
    return _k_qvi(mdp, k)


def _k_qvi(mdp: FiniteMDP, k: int) -> np.ndarray:
    """:func:`k_qvi` on validated arguments."""
    Q = _random_policy_q(mdp)
    for _ in range(k - 1):
        Q = _backup(mdp, Q)
    return Q


@dataclass(frozen=True)
class KQVIResult:
    """Outcome of checking k-QVI-solvability.

    Attributes
    ----------
    k : int
    solvable : bool
        Every policy greedy w.r.t. ``Q`` is optimal.
    Q : ndarray of shape (H, S, A)
        ``Q^k``.
    greedy : ndarray of bool, shape (H, S, A)
        ``greedy[t, s, a]``: ``Q[t, s, a] >= max_a' Q[t, s, a'] - greedy_atol``.
    reachable : ndarray of bool, shape (H, S)
        ``(t, s)`` reached with positive probability by some greedy policy from the
        initial distribution (filled up to the first step with a violation).
    violation : tuple of int (t, s, a) or None
        A reachable greedy action that is not optimal (None when solvable).
    """

    k: int
    solvable: bool
    Q: np.ndarray
    greedy: np.ndarray
    reachable: np.ndarray
    violation: tuple[int, int, int] | None


def _next_support(mdp: FiniteMDP, t: int, states: np.ndarray, actions_mask: np.ndarray) -> np.ndarray:
    """Bool (S,): states reached with positive probability from ``states`` (bool (S,))
    taking any action allowed by ``actions_mask`` (bool (S, A)) at step ``t``."""
    S, A = mdp.n_states, mdp.n_actions
    rows = (states[:, None] & actions_mask).reshape(S * A)
    Pt = mdp.transitions_at(t)
    if mdp.is_sparse:
        sub = Pt[np.flatnonzero(rows)]
        return np.asarray((sub > 0).sum(axis=0)).ravel() > 0
    return np.any(Pt.reshape(S * A, S)[rows] > 0, axis=0)


def _check_greedy(
    mdp: FiniteMDP, k: int, Q: np.ndarray, Q_star: np.ndarray, greedy_atol: float, optimal_atol: float
) -> KQVIResult:
    H, S = Q.shape[0], mdp.n_states
    greedy = Q >= Q.max(axis=2, keepdims=True) - greedy_atol
    optimal = Q_star >= Q_star.max(axis=2, keepdims=True) - optimal_atol
    reachable = np.zeros((H, S), dtype=bool)
    reachable[0] = mdp.initial > 0
    for t in range(H):
        bad = reachable[t][:, None] & greedy[t] & ~optimal[t]
        if bad.any():
            s, a = (int(i) for i in np.argwhere(bad)[0])
            return KQVIResult(k, False, Q, greedy, reachable, (t, s, a))
        if t + 1 < H:
            reachable[t + 1] = _next_support(mdp, t, reachable[t], greedy[t])
    return KQVIResult(k, True, Q, greedy, reachable, None)


def _optimal_q(mdp: FiniteMDP, H: int) -> np.ndarray:
    """Q* of shape (H, S, A) by backward induction (the same recursion as ``k = H`` backups)."""
    return backward_induction(mdp).Q


def _smallest_solvable_k(mdp: FiniteMDP, H: int, Q: np.ndarray, greedy_atol: float, optimal_atol: float) -> int:
    """Smallest ``k`` whose iterate (``Q`` is ``Q^1``, each step one backup) passes the greedy test."""
    Q_star = _optimal_q(mdp, H)
    for k in range(1, H + 1):
        if _check_greedy(mdp, k, Q, Q_star, greedy_atol, optimal_atol).solvable:
            return k
        Q = _backup(mdp, Q)
    # unreachable in exact arithmetic: Q^H = Q*; only a tolerance far below rounding can get here
    raise InvalidParameterError(
        "optimal_atol",
        f"no k in [1, {H}] passed, not even k = H where Q^H = Q*; the tolerance {optimal_atol!r} is below the "
        "rounding error of the backups",
    )


@validate_params(mdp=FINITE_HORIZON, k=K, greedy_atol=ATOL, optimal_atol=ATOL)
def k_qvi_check(
    mdp: FiniteMDP,
    k: int,
    *,
    greedy_atol: float = DEFAULT_GREEDY_ATOL,
    optimal_atol: float = DEFAULT_OPTIMAL_ATOL,
) -> KQVIResult:
    """Check k-QVI-solvability and return the evidence.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Finite horizon ``H``.
    k : int
        ``1 <= k <= H``.
    greedy_atol : float >= 0
        ``a`` is greedy when ``Q^k_t(s, a) >= max Q^k_t(s, .) - greedy_atol`` (default 0:
        exact ties).
    optimal_atol : float >= 0
        ``a`` is optimal when ``Q*_t(s, a) >= V*_t(s) - optimal_atol`` (default 1e-9).
        NaN and infinity are refused.

    Returns
    -------
    KQVIResult

    References
    ----------
    C. Laidlaw, S. Russell and A. Dragan, NeurIPS 2023, Section 5.

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> res = k_qvi_check(combination_lock(3, 2, combination=[0, 1, 1]), 1)
    >>> res.solvable, res.violation
    (True, None)
    """
    check_k(k, horizon_of(mdp))
    return _k_qvi_check(mdp, k, greedy_atol, optimal_atol)


def _k_qvi_check(mdp: FiniteMDP, k: int, greedy_atol: float, optimal_atol: float) -> KQVIResult:
    """:func:`k_qvi_check` on validated arguments."""
    return _check_greedy(mdp, k, _k_qvi(mdp, k), _optimal_q(mdp, horizon_of(mdp)), greedy_atol, optimal_atol)


@validate_params(mdp=FINITE_HORIZON, k=K, greedy_atol=ATOL, optimal_atol=ATOL)
def is_k_qvi_solvable(
    mdp: FiniteMDP,
    k: int,
    *,
    greedy_atol: float = DEFAULT_GREEDY_ATOL,
    optimal_atol: float = DEFAULT_OPTIMAL_ATOL,
) -> bool:
    """Whether every policy greedy w.r.t. ``Q^k`` is optimal (k-QVI-solvability).

    "Greedy" allows any argmax action at every ``(t, s)`` (ties within ``greedy_atol``), and
    "optimal" means optimal from the MDP's initial distribution; equivalently every
    argmax action is optimal at every ``(t, s)`` reachable under greedy policies (see the
    module docstring).

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Finite horizon ``H``.
    k : int
        ``1 <= k <= H``.
    greedy_atol, optimal_atol : float >= 0
        Tie / optimality tolerances, see :func:`k_qvi_check`.

    Returns
    -------
    bool

    References
    ----------
    C. Laidlaw, S. Russell and A. Dragan, NeurIPS 2023, Section 5.

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> is_k_qvi_solvable(combination_lock(4, 3, combination=[2, 0, 1, 1]), 1)
    True
    """
    check_k(k, horizon_of(mdp))
    return _k_qvi_check(mdp, k, greedy_atol, optimal_atol).solvable


@validate_params(mdp=FINITE_HORIZON, greedy_atol=ATOL, optimal_atol=ATOL)
def min_k(
    mdp: FiniteMDP,
    *,
    greedy_atol: float = DEFAULT_GREEDY_ATOL,
    optimal_atol: float = DEFAULT_OPTIMAL_ATOL,
) -> int:
    """Smallest ``k`` in ``[1, H]`` for which the MDP is k-QVI-solvable.

    Always exists: ``Q^H = Q*`` and every policy greedy w.r.t. ``Q*`` is optimal.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Finite horizon ``H``.
    greedy_atol, optimal_atol : float >= 0
        Tie / optimality tolerances, see :func:`k_qvi_check`.

    Returns
    -------
    int

    References
    ----------
    C. Laidlaw, S. Russell and A. Dragan, NeurIPS 2023, Section 5 (the quantity the
    authors' code reports as ``min_k``).

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> # step 0: action 1 pays 1 now but leads to a state where every action costs 3
    >>> P = np.zeros((3, 2, 3)); P[0, 0, 1] = P[0, 1, 2] = 1.0; P[1:, :, 0] = 1.0
    >>> R = np.array([[0.0, 1.0], [0.0, 0.0], [-3.0, -3.0]])
    >>> min_k(FiniteMDP(P, R, horizon=2, initial=[1, 0, 0]))
    1
    >>> R = np.array([[0.0, 1.0], [0.0, -4.0], [-3.0, -1.5]])  # Q^rand prefers action 1
    >>> min_k(FiniteMDP(P, R, horizon=2, initial=[1, 0, 0]))
    2
    """
    return _smallest_solvable_k(mdp, horizon_of(mdp), _random_policy_q(mdp), greedy_atol, optimal_atol)


# --------------------------------------------------------------- effective planning window
@validate_params(mdp=FINITE_HORIZON, greedy_atol=ATOL, optimal_atol=ATOL)
def effective_planning_window(
    mdp: FiniteMDP,
    *,
    greedy_atol: float = DEFAULT_GREEDY_ATOL,
    optimal_atol: float = DEFAULT_OPTIMAL_ATOL,
) -> int:
    """Effective planning window ``W``: the k-QVI analogue started from the rewards.

    Same test as :func:`min_k`, but the iteration starts from the expected immediate
    rewards instead of ``Q^{pi_rand}``::

        Q^1_t(s, a) = r_t(s, a),      Q^{i+1} = one Bellman optimality backup of Q^i,

    i.e. ``Q^k_t`` is the optimal ``k``-step lookahead with zero values beyond step
    ``t + k - 1`` (equivalently ``k`` backups of ``Q = 0``). ``W`` is the smallest ``k``
    such that every policy greedy w.r.t. ``Q^k`` is optimal (greedy sets and optimality
    tolerances exactly as in :func:`k_qvi_check`). Always ``1 <= W <= H``: ``Q^H = Q*``.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Finite horizon ``H``; any (stochastic, sparse, time-dependent) finite MDP.
    greedy_atol, optimal_atol : float >= 0
        Tie / optimality tolerances, see :func:`k_qvi_check`.

    Returns
    -------
    int

    Notes
    -----
    This is what the authors' code computes as ``epw`` (``calculate_minimum_k`` with
    ``start_with_rewards = true`` in ``EffectiveHorizon.jl/src/value_iteration.jl``,
    called from ``analyze_mdp.jl`` and ``analyze_sticky_actions.jl``; optimality
    tolerance ``1e-4`` there, exact argmax ties). In sparse-reward MDPs ``W`` is usually
    much larger than :func:`min_k`: a combination lock of length ``H`` has ``min_k = 1``
    and ``W = H``.

    References
    ----------
    C. Laidlaw, S. Russell and A. Dragan, NeurIPS 2023 (arXiv:2304.09853), the effective
    planning window ``W`` used for the comparison with planning-based bounds;
    cassidylaidlaw/effective-horizon, README ("epw: the effective planning window W").

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> effective_planning_window(combination_lock(4, 2, combination=[0, 1, 1, 0]))
    4
    """
    H = horizon_of(mdp)
    rewards = np.stack([np.asarray(mdp.rewards_at(t), dtype=np.float64) for t in range(H)])
    return _smallest_solvable_k(mdp, H, rewards, greedy_atol, optimal_atol)


# ------------------------------------------------------------ effective-horizon bound
@dataclass(frozen=True)
class EffectiveHorizonK:
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


@dataclass(frozen=True)
class EffectiveHorizonBound:
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
