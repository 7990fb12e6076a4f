"""Indexability and Whittle indices of finite-state restless arms.

Take one binary arm (passive action 0, active action 1) and charge a *penalty*
``lam`` for each activation: the single-arm MDP with rewards ``r(s, 0)`` and
``r(s, 1) - lam``. (Paying a subsidy ``lam`` for passivity instead gives the same
optimal policies: the two value functions differ by ``lam / (1 - beta)``.) Write

``A_lam(s) = Q*_lam(s, 1) - Q*_lam(s, 0)``

for the advantage of activating in state ``s`` under the optimal values at ``lam``
(discounted with ``beta``, or with gain and bias under the average-reward criterion).
The arm is **indexable** (Whittle 1988) when the set of states where passivity is
optimal, ``{s : A_lam(s) <= 0}``, grows monotonically from the empty set to all states
as ``lam`` increases; the **Whittle index** of ``s`` is then the penalty at which ``s``
turns passive, ``W(s) = inf {lam : A_lam(s) <= 0}``. For a rested arm (passive
freezes the state and pays 0) it is the Gittins index (Whittle 1988).

Algorithm (:func:`whittle_index`, ``method="adaptive-greedy"``)
----------------------------------------------------------------
The parametric-simplex / adaptive-greedy scheme of Nino-Mora (2001, 2007), organised
as in Gast, Gaujal and Khun (2023, Algorithm 1): start at ``lam = -inf`` with every
state active. For the current policy ``pi`` (set of active states) the values are
affine in ``lam``, ``V = M^{-1}(r_pi - lam 1_pi)`` with ``M = I - beta P_pi``, so

``A(s) = z(s) - lam (1 + y(s))``,  ``z = (r_1 - r_0) + X r_pi``,  ``y = X 1_pi``,
``X = Delta M^{-1}``,  ``Delta = beta (P_1 - P_0)``.

``pi`` stays optimal until the first active state's advantage reaches 0, at
``lam = min_s z(s) / (1 + y(s))`` over active ``s`` with ``1 + y(s) > 0``; that state
turns passive and its index is that ``lam``. If at that ``lam`` some *passive* state
already has a positive advantage, passivity is not monotone there: the arm is **not
indexable** and no index is returned. Turning state ``sigma`` passive changes one row
of ``M`` (``M' = M + e_sigma Delta_sigma``), so by Sherman-Morrison

``X' = X - a b^T / d``, ``z' = z - a z(sigma) / d``, ``y' = y - a (1 + y(sigma)) / d``,

with ``a = X[:, sigma]``, ``b = X[sigma, :]``, ``d = 1 + X[sigma, sigma]`` (the matrix
determinant lemma gives ``det M' = d det M``, nonzero). The rank-one updates are
*delayed*: ``X`` is kept only on the still-active columns and updated once per block of
``block`` steps with one matrix product (as in blocked LU factorisation); inside a block
the needed column and row of ``X`` are reconstructed from the block's pending updates.
The count is one ``S x S`` solve (``(8/3) S^3`` flops) plus about ``S^3`` flops of
matrix products and ``O(S^2 block)`` of vector work. This is the ``O(S^3)``
adaptive-greedy algorithm with Gast, Gaujal and Khun's rank-one updates, not their
asymptotically sub-cubic variant (which relies on fast matrix multiplication). Up to
``_KERNEL_MAX_STATES`` = 500 states a Numba kernel (:mod:`bandits.restless._kernels`)
applies each update at once, on the active columns only (``S^3 / 2`` multiply-adds);
above, the delayed BLAS-3 loop is faster. The solve, the products and the delayed loop
run with the BLAS limited to one thread when their flop count is below the measured
threshold of :mod:`rlcore._threads` (on a 2-core machine with the other core busy, a
30-state solve took 6.9 ms on two OpenBLAS threads and 0.05 ms on one; issue 23); the
indices do not depend on it.

Average reward (``gamma=None``): ``M = I - P_pi`` with column ``i0 = 0`` replaced by
ones (the unknowns are the bias with ``h(0) = 0`` and the gain in slot 0), ``Delta =
P_1 - P_0`` with column 0 zeroed; everything else is unchanged. Every policy met must be
unichain; a multichain arm (e.g. a rested arm) raises ``ValueError``. Only the policies
the algorithm meets are checked: deciding whether every policy of an MDP is unichain is
NP-hard (Tsitsiklis 2007), so an arm with a multichain policy that the algorithm never
meets (e.g. a two-state arm where passive keeps state 0 and active keeps state 1) can
get indices without meaning under the average-reward criterion; use a discount.

The reference ``method="bisection"`` computes each ``W(s)`` by bisection on ``lam`` of
the sign of ``A_lam(s)``, solving each penalised MDP with
:func:`tabular.policy_iteration` (discounted) or :func:`tabular.relative_value_iteration`
(average reward), and checks indexability on a grid of penalties: at every grid
``lam`` the optimal passive set must be exactly ``{s : W(s) < lam}``. It is slow
(``~50 S`` MDP solves) and exists as an independent check.

References
----------
P. Whittle, Restless bandits: activity allocation in a changing world, *Journal of
Applied Probability* 25A, 1988. J. Nino-Mora, Restless bandits, partial conservation
laws and indexability, *Advances in Applied Probability* 33(1), 2001; Dynamic priority
allocation via restless bandit marginal productivity indices, *TOP* 15, 2007.
N. Gast, B. Gaujal, K. Khun, Computing Whittle (and Gittins) index in subcubic time,
*Mathematical Methods of Operations Research* 97, 2023.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from bandits._constraints import DISCOUNT
from bandits.restless.model import RestlessArm
from rlcore.progress import PROGRESS, compile_notice, progress_bar
from rlcore._threads import blas_threads_for
from rlcore.results import Result
from rlcore.validation import (
    Array,
    Instance,
    Integer,
    InvalidParameterError,
    Options,
    ProbabilityRows,
    Real,
    validate_params,
)

__all__ = ["WhittleResult", "two_state_whittle_index", "whittle_index"]

_NO_CANDIDATE = (
    "no active state can turn passive after penalty {lam:.6g}: the arm has a multichain "
    "policy (average reward: use a discount close to 1) or is numerically degenerate"
)
_MULTICHAIN = (
    "a policy met by the algorithm is multichain; the average-reward Whittle index needs unichain "
    "policies (use a discount close to 1)"
)

#: Largest tolerance of the non-indexability test (relative to the advantages' scale).
MAX_ATOL: float = 1e-3

#: Arms up to this many states use the Numba kernel; larger ones the blocked BLAS-3 loop.
_KERNEL_MAX_STATES = 500


@dataclass(frozen=True, repr=False)
class WhittleResult(Result):
    """Indexability verdict and, for indexable arms, the Whittle indices.

    Attributes
    ----------
    indexable : bool
    index : ndarray of shape (S,) or None
        ``W(s)`` in reward units per activation; ``None`` when not indexable.
    order : ndarray of int64
        States in the order they turn passive as the penalty grows (a prefix when
        the computation stopped at a non-indexability witness).
    reason : str
        Empty when indexable; else what failed (state, penalty).
    gamma : float or None
        ``None`` for the average-reward criterion.
    method : str
    """

    indexable: bool
    index: np.ndarray | None
    order: np.ndarray
    reason: str
    gamma: float | None
    method: str


def _check_arm(P: Any, R: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(P, RestlessArm):
        if R is not None:
            raise InvalidParameterError("R", "pass either a RestlessArm or the arrays (P, R), not both")
        Pm, Rm = np.array(P.P), np.array(P.R)
    else:
        if R is None:
            raise InvalidParameterError("R", "required with an array P")
        Pm, Rm = P, R
    S = Pm.shape[0]
    if Pm.shape != (S, 2, S):
        raise InvalidParameterError("P", f"expected shape (S, 2, S) (binary arm: passive 0, active 1), got {Pm.shape}")
    if Rm.shape != (S, 2):
        raise InvalidParameterError("R", f"expected shape ({S}, 2), got {Rm.shape}")
    return Pm, Rm


def _degenerate(beta: float | None, what: str) -> InvalidParameterError:
    """The error for an arm the algorithm cannot handle: the discount's fault when discounted."""
    if beta is None:
        return InvalidParameterError("P", what)
    return InvalidParameterError(
        "gamma",
        f"with gamma={beta!r} the arm's linear systems I - gamma P are numerically singular "
        f"in float64; use a smaller discount",
    )


@validate_params(
    P=Instance(RestlessArm) | ProbabilityRows(ndim=3),
    R=Array(ndim=2) | None,
    gamma=DISCOUNT | None,
    method=Options("adaptive-greedy", "bisection"),
    atol=Real(0, MAX_ATOL),
    block=Integer(1, 10**6),
    progress=PROGRESS,
)
def whittle_index(
    P: Any,
    R: Any = None,
    *,
    gamma: float | None,
    method: str = "adaptive-greedy",
    atol: float = 1e-9,
    block: int = 64,
    progress: bool | None = None,
) -> WhittleResult:
    """Indexability check and Whittle indices of a binary restless arm.

    Parameters
    ----------
    P : RestlessArm or array_like of shape (S, 2, S)
        The arm, or its transition probabilities ``P[s, a, s']``.
    R : array_like of shape (S, 2), optional
        Rewards (with an array ``P``).
    gamma : float in [0, 1) or None
        Discount factor; ``None`` for the average-reward criterion (unichain arms).
    method : {"adaptive-greedy", "bisection"}
        The exact ``O(S^3)`` algorithm, or the slow reference (module docstring).
    atol : float in [0, 1e-3]
        Tolerance, relative to the scale of the advantages, on the non-indexability
        test (a passive state's advantage must stay ``<= atol * scale``).
    block : int in [1, 10**6]
        Number of delayed rank-one updates per matrix product (adaptive greedy).
    progress : bool or None, default None
        Show a progress bar over the states on standard error (see
        :mod:`rlcore.progress`); None follows :func:`rlcore.set_progress` (off by
        default). Above 500 states and with ``"bisection"`` it advances state by state;
        up to 500 states the compiled kernel runs in one call (the bar then moves once,
        after a notice if the kernel must first be compiled). The result does not
        depend on it.

    Returns
    -------
    WhittleResult
        ``indexable`` and, only when indexable, ``index``.

    Raises
    ------
    InvalidParameterError
        Malformed arm; or, for ``gamma=None``, an arm with a multichain policy
        (the average-reward index needs unichain policies; use a discount close to 1);
        or a numerically degenerate arm on which no state can turn passive (never
        reported as a verdict on indexability), named ``gamma`` when a discount
        too close to 1 makes the linear systems singular.

    Guarantee
    ---------
    For an indexable arm the returned ``W`` is exact up to floating point: ``s`` is
    optimally passive at penalty ``lam`` iff ``W(s) <= lam`` (Nino-Mora 2007,
    Gast, Gaujal and Khun 2023, Theorem 1). An arm on which passivity fails to be
    monotone at a breakpoint is reported ``indexable=False`` with the witness.
    Tested by
    ``tests/bandits/test_whittle.py::test_matches_bisection_reference_discounted``,
    ``tests/bandits/test_whittle.py::test_matches_bisection_reference_average_reward``
    (passivity checked by solving the penalised MDPs),
    ``tests/bandits/test_whittle.py::test_two_state_closed_form`` and
    ``tests/bandits/test_whittle.py::test_non_indexable_witness``.

    References
    ----------
    Whittle 1988; Nino-Mora 2007; Gast, Gaujal and Khun 2023 (see the module docstring).

    Examples
    --------
    A rested arm: the Whittle index is the Gittins index (here ``[0.5, 1]``).

    >>> from bandits.restless import RestlessArm
    >>> arm = RestlessArm.rested([[0.0, 1.0], [0.0, 1.0]], [0.0, 1.0])
    >>> res = whittle_index(arm, gamma=0.5)
    >>> res.indexable, np.round(res.index, 6).tolist()
    (True, [0.5, 1.0])
    """
    Pm, Rm = _check_arm(P, R)
    S = Pm.shape[0]
    kernels: list[Any] = []
    if method == "adaptive-greedy" and S <= _KERNEL_MAX_STATES:
        from bandits.restless._kernels import adaptive_greedy_kernel

        kernels.append(adaptive_greedy_kernel)
    # the notice (if the kernel must be compiled) speaks before the bar starts and after it ends
    with compile_notice(kernels, "bandits.whittle_index", progress=progress):
        with progress_bar(S, desc="bandits.whittle_index", progress=progress, unit="state") as bar:
            if method == "adaptive-greedy":
                return _adaptive_greedy(Pm, Rm, gamma, atol, block, bar)
            return _bisection(Pm, Rm, gamma, atol, bar)


def _adaptive_greedy(
    P: np.ndarray, R: np.ndarray, beta: float | None, atol: float, block: int, bar: Any
) -> WhittleResult:
    S = P.shape[0]
    average = beta is None
    b_ = 1.0 if beta is None else beta
    P0, P1 = P[:, 0, :], P[:, 1, :]
    r0, r1 = R[:, 0], R[:, 1]
    Delta = b_ * (P1 - P0)
    M = np.eye(S) - b_ * P1
    if average:
        Delta[:, 0] = 0.0
        M[:, 0] = 1.0
    method = "adaptive-greedy"
    try:
        # small solves run on one BLAS thread: the measured rule of rlcore._threads
        with blas_threads_for(8 / 3 * S**3):
            lu = scipy.linalg.lu_factor(M.T, check_finite=False)
            if np.min(np.abs(np.diag(lu[0]))) < 1e-13 * max(1.0, float(np.abs(lu[0]).max())):
                raise np.linalg.LinAlgError("singular")
            X = scipy.linalg.lu_solve(lu, Delta.T, check_finite=False).T.copy()
    except (np.linalg.LinAlgError, ValueError):
        raise _degenerate(
            beta,
            "the all-active policy is multichain (I - P_1 is singular); the average-reward "
            "Whittle index needs unichain policies (use a discount close to 1)",
        ) from None
    with blas_threads_for(2 * S**2, memory_bound=True):
        z = (r1 - r0) + X @ r1
    y = X.sum(axis=1)
    scale = max(1.0, float(np.abs(z).max()), float(np.abs(r1 - r0).max()))
    tol = atol * scale
    if S <= _KERNEL_MAX_STATES:
        from bandits.restless._kernels import adaptive_greedy_kernel

        Wk = np.empty(S)
        ok = np.empty(S, dtype=np.int64)
        k, status, bad, lamk = adaptive_greedy_kernel(np.ascontiguousarray(X), z, y, tol, scale, Wk, ok)
        bar.update(S)
        if status == 0:
            return WhittleResult(True, Wk, ok, "", beta, method)
        if status == 1:
            return WhittleResult(
                False,
                None,
                ok[:k].copy(),
                f"state {bad} is passive from penalty {Wk[bad]:.6g} but activation is strictly better "
                f"again at penalty {lamk:.6g}: passivity is not monotone",
                beta,
                method,
            )
        if status == 2:
            raise _degenerate(beta, _NO_CANDIDATE.format(lam=lamk))
        raise _degenerate(beta, _MULTICHAIN)
    # the delayed-update loop: one (S x block) @ (block x S) product per block, vector work between
    with blas_threads_for(2 * S * S * min(block, S)):
        return _delayed_updates(X, z, y, beta, tol, scale, block, bar)


def _delayed_updates(
    X: np.ndarray, z: np.ndarray, y: np.ndarray, beta: float | None, tol: float, scale: float, block: int, bar: Any
) -> WhittleResult:
    """The adaptive-greedy loop with delayed (blocked) rank-one updates, for arms above the kernel's size."""
    S = X.shape[0]
    method = "adaptive-greedy"
    active = np.ones(S, dtype=bool)
    W = np.empty(S)
    order = np.empty(S, dtype=np.int64)
    lam_prev = -math.inf
    # delayed updates: Xc = X[:, cols] at the block start
    cols = np.arange(S)
    pos = np.arange(S)
    Xc = X
    K = min(block, S)
    Abuf = np.empty((K, S))
    Bbuf = np.empty((K, S))
    j = 0
    for k in range(S):
        slope = 1.0 + y
        cand = active & (slope > 1e-12)
        if not cand.any():
            raise _degenerate(beta, _NO_CANDIDATE.format(lam=lam_prev))
        idx = np.flatnonzero(cand)
        roots = z[idx] / slope[idx]
        m = int(np.argmin(roots))
        sigma = int(idx[m])
        lam = max(float(roots[m]), lam_prev)
        passive = ~active
        if passive.any():
            adv = z[passive] - lam * slope[passive]
            worst = int(np.argmax(adv))
            if adv[worst] > tol * max(1.0, abs(lam) / scale):
                bad = int(np.flatnonzero(passive)[worst])
                return WhittleResult(
                    False,
                    None,
                    order[:k].copy(),
                    f"state {bad} is passive from penalty {W[bad]:.6g} but activation is strictly better "
                    f"again at penalty {lam:.6g} (advantage {adv[worst]:.3g} > 0): passivity is not monotone",
                    beta,
                    method,
                )
        W[sigma] = lam
        order[k] = sigma
        lam_prev = lam
        bar.update(1)
        if k == S - 1:
            break
        p = pos[sigma]
        a = Xc[:, p] - Abuf[:j].T @ Bbuf[:j, p] if j else Xc[:, p].copy()
        brow = Xc[sigma, :] - Abuf[:j, sigma] @ Bbuf[:j, : Xc.shape[1]] if j else Xc[sigma, :].copy()
        d = 1.0 + a[sigma]
        if abs(d) < 1e-10:
            raise _degenerate(beta, _MULTICHAIN)
        Abuf[j] = a
        Bbuf[j, : Xc.shape[1]] = brow / d
        j += 1
        z -= a * (z[sigma] / d)
        y -= a * ((1.0 + y[sigma]) / d)
        active[sigma] = False
        if j == K:
            Xc = Xc - Abuf[:j].T @ Bbuf[:j, : Xc.shape[1]]
            keep = active[cols]
            cols = cols[keep]
            Xc = np.ascontiguousarray(Xc[:, keep])
            pos[cols] = np.arange(cols.size)
            j = 0
    return WhittleResult(True, W, order, "", beta, method)


def _advantage(P: np.ndarray, R: np.ndarray, lam: float, beta: float | None) -> np.ndarray:
    try:
        return _advantage_unchecked(P, R, lam, beta)
    except InvalidParameterError as exc:  # a penalised MDP the tabular solvers refuse
        raise _degenerate(beta, f"the penalised MDP at penalty {lam:.6g} cannot be solved ({exc})") from None


def _advantage_unchecked(P: np.ndarray, R: np.ndarray, lam: float, beta: float | None) -> np.ndarray:
    from rlcore.mdp import FiniteMDP

    Rl = R.copy()
    Rl[:, 1] -= lam
    if beta is None:
        from tabular.average_reward import relative_value_iteration

        res_a = relative_value_iteration(FiniteMDP(P, Rl, gamma=0.0), epsilon=1e-11, max_iter=1_000_000)
        Q = res_a.Q
    else:
        from tabular.policy_iteration import policy_iteration

        Q = policy_iteration(FiniteMDP(P, Rl, gamma=beta), epsilon=1e-12).Q
    return np.asarray(Q[:, 1] - Q[:, 0])


def _bisection(P: np.ndarray, R: np.ndarray, beta: float | None, atol: float, bar: Any) -> WhittleResult:
    S = P.shape[0]
    span = float(R.max() - R.min()) + 1.0
    scale = span / (1.0 - beta) if beta is not None else span * S
    tol = max(atol, 1e-10) * scale
    method = "bisection"
    W = np.empty(S)
    for s in range(S):
        lo, hi = -scale, scale
        for _ in range(60):
            if _advantage(P, R, lo, beta)[s] > 0:
                break
            lo *= 2
        else:
            return WhittleResult(
                False, None, np.empty(0, np.int64), f"state {s} is never optimally active", beta, method
            )
        for _ in range(60):
            if _advantage(P, R, hi, beta)[s] <= 0:
                break
            hi *= 2
        else:
            return WhittleResult(
                False, None, np.empty(0, np.int64), f"state {s} is never optimally passive", beta, method
            )
        while hi - lo > tol:
            mid = 0.5 * (lo + hi)
            if not lo < mid < hi:  # the interval cannot shrink further in float64
                break
            if _advantage(P, R, mid, beta)[s] > 0:
                lo = mid
            else:
                hi = mid
        W[s] = 0.5 * (lo + hi)
        bar.update(1)
    # indexability: at penalties between and around the indices, the passive set is {W < lam}
    w = np.unique(W)
    grid = np.concatenate([[w[0] - 1.0, w[-1] + 1.0], 0.5 * (w[1:] + w[:-1]), np.linspace(w[0] - 1.0, w[-1] + 1.0, 41)])
    for lam in grid:
        near = np.abs(W - lam) <= 100 * tol
        A = _advantage(P, R, float(lam), beta)
        expect_passive = W < lam
        mism = (expect_passive != (A <= 0)) & ~near
        if mism.any():
            s = int(np.argmax(mism))
            return WhittleResult(
                False,
                None,
                np.empty(0, np.int64),
                f"state {s}: passive set at penalty {lam:.6g} is not {{W < penalty}}",
                beta,
                method,
            )
    return WhittleResult(True, W, np.argsort(W, kind="stable").astype(np.int64), "", beta, method)


_TWO_PROBS = Array(ndim=1, shape=(2,), low=0.0, high=1.0)


@validate_params(p_passive=_TWO_PROBS, p_active=_TWO_PROBS, gamma=DISCOUNT | None)
def two_state_whittle_index(p_passive: Any, p_active: Any, gamma: float | None) -> np.ndarray:
    """Closed-form Whittle indices of the two-state arm of :meth:`RestlessArm.two_state`.

    States 0 (bad, reward 0) and 1 (good, reward 1); ``p_a[s]`` is the probability of
    moving to the good state from ``s`` under action ``a``, and
    ``eps_s = p_active[s] - p_passive[s] > 0``. With ``D = V(1) - V(0)`` the advantage
    is ``A(s) = -lam + beta eps_s D`` and ``D = (1 - lam (a_1 - a_0)) / (1 - beta
    (p_{a_1}[1] - p_{a_0}[0]))`` for the policy ``(a_0, a_1)``. Solving ``A(s) = 0``
    with the other state at its optimal action gives two candidate orders:

    * ``W(0) <= W(1)``: ``W(0) = beta eps_0 / (c_10 + beta eps_0)`` with ``c_10 = 1 -
      beta (p_1[1] - p_0[0])`` (state 1 active at ``W(0)``) and ``W(1) = beta eps_1 /
      (1 - beta (p_0[1] - p_0[0]))`` (state 0 passive at ``W(1)``);
    * ``W(1) < W(0)``: ``W(1) = beta eps_1 / (c_01 - beta eps_1)`` with ``c_01 = 1 -
      beta (p_0[1] - p_1[0])`` and ``W(0) = beta eps_0 / (1 - beta (p_0[1] - p_0[0]))``.

    The consistent candidate is returned (derived here from Whittle's definition; the
    derivation is written out in ``docs/theory/restless.md``). ``gamma=None`` is the
    average-reward criterion (``beta = 1`` in the formulas; the denominators are
    positive whenever ``p_active > p_passive`` in both states).

    Parameters
    ----------
    p_passive, p_active : array_like of shape (2,)
        Probabilities in ``[0, 1]``, with ``p_active > p_passive`` in both states.
    gamma : float in [0, 1) or None

    Returns
    -------
    ndarray of shape (2,)

    Examples
    --------
    >>> np.round(two_state_whittle_index([0.1, 0.7], [0.5, 0.9], 0.9), 6).tolist()
    [0.782609, 0.28125]
    """
    p0, p1 = p_passive, p_active
    b = 1.0 if gamma is None else gamma
    e = p1 - p0
    if np.any(e <= 0):
        raise InvalidParameterError(
            "p_active", f"expected p_active > p_passive in both states, got {p1.tolist()} vs {p0.tolist()}"
        )
    c_pass = 1.0 - b * (p0[1] - p0[0])
    w0 = b * e[0] / (1.0 - b * (p1[1] - p0[0]) + b * e[0])
    w1 = b * e[1] / c_pass
    if w0 <= w1 + 1e-15:
        return np.array([w0, w1])
    w1b = b * e[1] / (1.0 - b * (p0[1] - p1[0]) - b * e[1])
    w0b = b * e[0] / c_pass
    return np.array([w0b, w1b])
