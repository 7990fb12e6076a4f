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
the same test with the iteration started from the rewards, ``Q^1 = r``). The exact
value of the effective-horizon bound of Theorem 5.4 of the NeurIPS 2023 paper for
deterministic MDPs, built on ``Q^k``, is in :mod:`tabular.effective_horizon_bound`.

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

from dataclasses import dataclass

import numpy as np

from rlcore.bellman import q_from_v_unchecked
from rlcore.evaluation import evaluate_policy
from rlcore.mdp import FiniteMDP
from rlcore.policies import uniform
from rlcore.results import Result
from rlcore.validation import MDP, Integer, InvalidParameterError, Real, validate_params
from tabular.finite_horizon import backward_induction

__all__ = [
    "KQVIResult",
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
        out[t] = q_from_v_unchecked(mdp, Q[t + 1].max(axis=1), t, "mdp")
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


@dataclass(frozen=True, repr=False)
class KQVIResult(Result):
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
