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

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcore.bellman import q_from_v
from rlcore.evaluation import evaluate_policy
from rlcore.mdp import FiniteMDP
from rlcore.policies import uniform
from rlcore._validation import check_positive_int

__all__ = [
    "KQVIResult",
    "is_k_qvi_solvable",
    "k_qvi",
    "k_qvi_check",
    "min_k",
    "random_policy_q",
]

DEFAULT_GREEDY_ATOL = 0.0
DEFAULT_OPTIMAL_ATOL = 1e-9


def _check_finite_horizon(mdp: Any) -> tuple[FiniteMDP, int]:
    if not isinstance(mdp, FiniteMDP):
        raise TypeError(f"mdp: expected a rlcore.FiniteMDP, got {type(mdp).__name__}")
    if mdp.horizon is None:
        raise ValueError("mdp: k-QVI is defined for finite-horizon MDPs; got a discounted one (pass horizon=H)")
    return mdp, mdp.horizon


def _check_k(k: Any, H: int) -> int:
    k = check_positive_int(k, "k")
    if k > H:
        raise ValueError(f"k: expected an integer in [1, H] = [1, {H}], got {k}")
    return k


def _check_atol(atol: Any, name: str) -> float:
    if isinstance(atol, (bool, np.bool_)) or not isinstance(atol, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name}: expected a non-negative real tolerance, got {atol!r} of type {type(atol).__name__}")
    value = float(atol)
    if not (np.isfinite(value) and value >= 0.0):
        raise ValueError(f"{name}: expected a finite tolerance >= 0, got {atol!r}")
    return value


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
    mdp, H = _check_finite_horizon(mdp)
    return evaluate_policy(mdp, uniform(mdp.n_states, mdp.n_actions, H)).Q


def _backup(mdp: FiniteMDP, Q: np.ndarray) -> np.ndarray:
    """One Bellman optimality backup of a time-indexed Q (shape (H, S, A))."""
    H = Q.shape[0]
    out = np.empty_like(Q)
    out[H - 1] = mdp.rewards_at(H - 1)
    for t in range(H - 1):
        out[t] = q_from_v(mdp, Q[t + 1].max(axis=1), t)
    return out


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
    mdp, H = _check_finite_horizon(mdp)
    k = _check_k(k, H)
    Q = random_policy_q(mdp)
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
    # Q* by backward induction (bitwise the same recursion as Q^H = k - 1 backups, k = H)
    Q = np.empty((H, mdp.n_states, mdp.n_actions))
    v = np.zeros(mdp.n_states)
    for t in range(H - 1, -1, -1):
        Q[t] = q_from_v(mdp, v, t)
        v = Q[t].max(axis=1)
    return Q


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
    greedy_atol : float
        ``a`` is greedy when ``Q^k_t(s, a) >= max Q^k_t(s, .) - greedy_atol`` (default 0:
        exact ties).
    optimal_atol : float
        ``a`` is optimal when ``Q*_t(s, a) >= V*_t(s) - optimal_atol`` (default 1e-9).

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
    mdp, H = _check_finite_horizon(mdp)
    k = _check_k(k, H)
    ga = _check_atol(greedy_atol, "greedy_atol")
    oa = _check_atol(optimal_atol, "optimal_atol")
    return _check_greedy(mdp, k, k_qvi(mdp, k), _optimal_q(mdp, H), ga, oa)


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
    greedy_atol, optimal_atol : float
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
    return k_qvi_check(mdp, k, greedy_atol=greedy_atol, optimal_atol=optimal_atol).solvable


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
    greedy_atol, optimal_atol : float
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
    mdp, H = _check_finite_horizon(mdp)
    ga = _check_atol(greedy_atol, "greedy_atol")
    oa = _check_atol(optimal_atol, "optimal_atol")
    Q_star = _optimal_q(mdp, H)
    Q = random_policy_q(mdp)
    for k in range(1, H + 1):
        if _check_greedy(mdp, k, Q, Q_star, ga, oa).solvable:
            return k
        Q = _backup(mdp, Q)
    # unreachable in exact arithmetic: Q^H = Q*; only a tolerance far below rounding can get here
    raise ValueError(
        f"optimal_atol: no k in [1, {H}] passed, not even k = H where Q^H = Q*; the "
        f"tolerance {optimal_atol!r} is below the rounding error of the backups"
    )
