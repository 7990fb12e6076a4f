"""Exact policy evaluation and occupancy measures.

Discounted MDPs: :math:`V^\\pi` is the unique solution of the linear system
:math:`(I - \\gamma P_\\pi) V = r_\\pi` (Puterman 1994, Thm. 6.1.1), solved directly
(LAPACK for dense ``P``, SuperLU for sparse ``P``), and
:math:`Q^\\pi = r + \\gamma P V^\\pi`. Finite horizon: backward recursion
:math:`V_H = 0`, :math:`Q_t = r_t + P_t V_{t+1}`, :math:`V_t(s) = \\sum_a \\pi_t(a|s) Q_t(s, a)`.

The discounted state-action occupancy measure of ``pi`` from the initial distribution
``mu`` is

.. math:: d^\\pi_\\mu(s, a) = \\sum_{t \\ge 0} \\gamma^t \\Pr(s_t = s, a_t = a),

which sums to :math:`1/(1-\\gamma)` and satisfies
:math:`\\mu^\\top V^\\pi = \\sum_{s,a} d^\\pi_\\mu(s, a) r(s, a)` (Puterman 1994, Thm.
6.9.1; this is the dual variable of the LP formulation).

References
----------
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, sections 4.3, 6.1, 6.9.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from rlcore.bellman import q_from_v_unchecked, resolvent_bounds
from rlcore.mdp import FiniteMDP
from rlcore.policies import as_stochastic
from rlcore.results import Result
from rlcore.validation import MDP, Bool, InvalidParameterError, Policy, ProbabilityVector, validate_params

__all__ = ["PolicyEvaluation", "evaluate_policy", "occupancy"]


@dataclass(frozen=True, repr=False)
class PolicyEvaluation(Result):
    """Value of a policy, with a certified bound on its error (a :class:`~rlcore.CertifiedResult`).

    Attributes
    ----------
    V : ndarray of shape (S,), or (H, S) under a finite horizon
        ``V[s]`` (``V[t, s]``): expected return from ``s`` (at step ``t``).
    Q : ndarray of shape (S, A), or (H, S, A) under a finite horizon
    error_bound : float
        Certified bound on ``max_s |V[s] - V^pi(s)|`` from the Bellman residual of the
        returned ``V`` (discounted: ``||T^pi V - V||_inf / (1 - gamma rho_hi)`` plus
        rounding, ``rho_hi`` the largest row sum of ``P``); for the finite-horizon
        recursion, which has no iterative error, the propagated rounding allowance
        (largest over the steps).
    """

    V: np.ndarray
    Q: np.ndarray
    error_bound: float = 0.0

    def bounds(self) -> dict[str, float]:
        """The certified number: ``error_bound``."""
        return {"error_bound": self.error_bound}

    def expected_return(self, initial: np.ndarray) -> float:
        """Expected return from an initial distribution ``initial`` of shape (S,)."""
        v0 = self.V if self.V.ndim == 1 else self.V[0]
        return float(np.dot(initial, v0))


def _policy_at(pi: np.ndarray, t: int) -> np.ndarray:
    """Stochastic (S, A) slice of a stochastic policy (stationary or (H, S, A))."""
    return pi[t] if pi.ndim == 3 else pi


def _markov_matrix(mdp: FiniteMDP, pi: np.ndarray, t: int = 0) -> np.ndarray | sp.csr_array:
    """State-to-state matrix ``P_pi[s, s'] = sum_a pi(a|s) P_t(s'|s, a)``.

    ``pi`` is a stationary deterministic ``(S,)`` or stochastic ``(S, A)`` policy; the
    deterministic case gathers rows (``S*S`` work) instead of mixing all ``S*A*S``.
    """
    S, A = mdp.n_states, mdp.n_actions
    Pt = mdp.transitions_at(t)
    if pi.ndim == 1:
        if mdp.is_sparse:
            return sp.csr_array(Pt[np.arange(S) * A + pi])
        return Pt[np.arange(S), pi]
    if mdp.is_sparse:
        rows = np.repeat(np.arange(S), A)
        cols = np.arange(S * A)
        weights = sp.csr_array((pi.ravel(), (rows, cols)), shape=(S, S * A))
        return sp.csr_array(weights @ Pt)
    return np.einsum("sa,sat->st", pi, Pt)


def _reward_vector(R: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """``r_pi[s] = sum_a pi(a|s) R[s, a]`` for a deterministic or stochastic policy."""
    if pi.ndim == 1:
        return R[np.arange(R.shape[0]), pi]
    return np.einsum("sa,sa->s", pi, R)


#: Sparse systems up to this size are solved directly (SuperLU); larger ones first by
#: BiCGSTAB, which converges in tens of iterations on the well-conditioned
#: ``I - gamma P_pi`` of random (fast-mixing) MDPs, where LU fill-in would be ruinous.
_SPARSE_DIRECT_MAX = 2000


_EPS = float(np.finfo(np.float64).eps)


def _residual_bound(mdp: FiniteMDP, M: Any, r_pi: np.ndarray, gamma: float, V: np.ndarray, pi: np.ndarray) -> float:
    """Certified bound on ``||V - V^pi||_inf`` from the residual ``T^pi V - V``.

    ``V^pi - V = (I - gamma P_pi)^{-1} (T^pi V - V)`` and the resolvent's row sums are at
    most ``k_hi = 1 / (1 - gamma rho_pi)`` (:func:`rlcore.bellman.resolvent_bounds`), with
    ``rho_pi`` the largest row sum of the exact ``P_pi = sum_a pi(a|s) P(.|s, a)``: at most
    ``max_s sum_a pi(a|s) rho(s, a)``, the stored rows summing to ``rho`` and a stochastic
    policy's rows to 1 only within the tolerance. The computed residual is widened by the
    rounding of its dot products and of ``P_pi`` itself (a mixture of ``A`` rows).
    """
    rho_lo, rho_hi = mdp.row_sum_bounds
    A = mdp.n_actions
    if pi.ndim == 1:
        rho_pi = rho_hi
    else:  # exact sums of the stored policy rows times the row sums, enclosed
        rho_pi = max(float(np.max(np.einsum("sa,sa->s", pi, mdp.row_sums))) * (1.0 + (A + 2) * _EPS), rho_lo)
    if not (1.0 - gamma) - gamma * (rho_pi - 1.0) > 0.0:
        raise InvalidParameterError(
            "policy",
            f"its rows and those of P sum to up to {rho_pi!r}, so gamma * row sum >= 1 and the "
            "discounted value does not exist; pass rows that sum to 1 more exactly",
        )
    _, k_hi = resolvent_bounds(gamma, min(rho_lo, rho_pi), rho_pi)
    res = float(np.max(np.abs(r_pi + gamma * (M @ V) - V), initial=0.0))
    n = M.shape[1] if not sp.issparse(M) else int(np.max(np.diff(sp.csr_array(M).indptr), initial=1))
    r_scale = float(np.max(np.abs(mdp.R), initial=0.0))
    scale = r_scale + gamma * rho_pi * float(np.max(np.abs(V), initial=0.0))
    allowance = (n + A + 6) * _EPS * scale + _EPS * res
    return (res + allowance) * k_hi * (1.0 + 4.0 * _EPS)


def _max_row_nnz(mdp: FiniteMDP) -> int:
    if mdp.is_sparse:
        return int(np.max(np.diff(cast(sp.csr_array, mdp.P).indptr), initial=1))
    return mdp.n_states


def _check_no_overflow(mdp: FiniteMDP, V: np.ndarray) -> None:
    if not np.all(np.isfinite(V)):
        raise InvalidParameterError(
            "mdp",
            f"the values of this policy overflow float64 (max |R| = {float(np.max(np.abs(mdp.R))):.3g}); "
            "rescale the rewards",
        )


def _solve_sparse(M: sp.csr_array, r_pi: np.ndarray, gamma: float) -> np.ndarray:
    """Solve ``(I - gamma M) V = r_pi`` for sparse ``M``, certifying iterative answers."""
    import scipy.sparse.linalg as spla  # with scipy.linalg, 0.1 s: imported when first needed

    S = r_pi.shape[0]
    system = sp.identity(S, format="csr") - gamma * M
    if S > _SPARSE_DIRECT_MAX:
        V, info = spla.bicgstab(system, r_pi, rtol=1e-13, atol=0.0, maxiter=2000)
        target = 1e-10 * max(1.0, float(np.max(np.abs(V), initial=0.0)))
        residual = float(np.max(np.abs(r_pi + gamma * (M @ V) - V), initial=0.0)) / (1.0 - gamma)
        if info == 0 and np.all(np.isfinite(V)) and residual <= target:
            return np.asarray(V, dtype=np.float64)
    return np.asarray(spla.spsolve(sp.csc_array(system), r_pi), dtype=np.float64).reshape(S)


@validate_params(mdp=MDP(), policy=Policy("mdp"))
def evaluate_policy(mdp: FiniteMDP, policy: Any) -> PolicyEvaluation:
    """Exact value functions ``V^pi`` and ``Q^pi`` of a tabular policy.

    Parameters
    ----------
    mdp : FiniteMDP
        Discounted or finite-horizon, dense or sparse.
    policy : array_like
        Deterministic (S,) / (H, S) int array, or stochastic (S, A) / (H, S, A).

    Returns
    -------
    PolicyEvaluation
        ``V`` of shape (S,) and ``Q`` of shape (S, A) (discounted), or ``V`` of shape
        (H, S) and ``Q`` of shape (H, S, A) (finite horizon, index ``t`` = steps taken).

    Guarantee
    ---------
    Discounted: ``V^pi`` is the unique solution of ``(I - gamma P_pi) V = r_pi``; the
    matrix is invertible for ``gamma < 1`` since ``||gamma P_pi||_inf = gamma < 1``,
    and its inf-norm condition number is at most ``(1 + gamma) / (1 - gamma)``
    (Puterman 1994, Thm. 6.1.1 and Cor. C.4). Dense systems are solved by LU; sparse
    ones by SuperLU, or for ``S > 2000`` by BiCGSTAB accepted only when its certified
    error ``||T^pi V - V||_inf / (1 - gamma)`` is below ``1e-10 max(1, ||V||_inf)``
    (otherwise SuperLU). Since ``V^pi - V = (I - gamma P_pi)^{-1} (T^pi V - V)`` and the
    resolvent's rows sum to at most ``1 / (1 - gamma rho_hi)`` (``rho_hi`` the largest
    sum of a stored row of ``P``, :func:`rlcore.bellman.resolvent_bounds`), the returned
    ``error_bound`` bounds ``||V - V^pi||_inf`` for the stored ``P``, the rounding of the
    residual's dot products included. Finite horizon: exact backward recursion, whose
    rounding the returned ``error_bound`` bounds at every step.
    Tested by ``tests/rlcore/test_evaluation.py::test_error_bound_contains_the_exact_value``
    (the bound against ``V^pi`` of the stored MDP in exact rational arithmetic, both
    criteria), ``tests/rlcore/test_evaluation.py::test_matches_naive_iteration``,
    ``tests/rlcore/test_evaluation.py::test_finite_horizon_matches_trajectory_enumeration``
    and ``tests/tabular/test_certify_oracle.py::test_policy_evaluation_error_bound_exactly``
    (rows scaled anywhere inside the tolerance).

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 1.0
    >>> mdp = FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.9)
    >>> ev = evaluate_policy(mdp, np.array([1, 1]))
    >>> np.round(ev.V, 6)
    array([ 9., 10.])
    """
    S, A = mdp.n_states, mdp.n_actions
    pi = policy
    if mdp.horizon is None:
        gamma = cast(float, mdp.gamma)  # a FiniteMDP without a horizon has a discount
        M = _markov_matrix(mdp, pi)
        r_pi = _reward_vector(mdp.R, pi)
        if mdp.is_sparse:
            V = _solve_sparse(M, r_pi, gamma)
        else:
            V = np.linalg.solve(np.eye(S) - gamma * M, r_pi)
        _check_no_overflow(mdp, V)
        Q = q_from_v_unchecked(mdp, V, 0, "mdp")
        return PolicyEvaluation(V=V, Q=Q, error_bound=_residual_bound(mdp, M, r_pi, gamma, V, pi))
    pi = as_stochastic(pi, A)
    H = mdp.horizon
    V = np.zeros((H, S))
    Q = np.zeros((H, S, A))
    v_next = np.zeros(S)
    # Rounding, propagated as in tabular.backward_induction: Q_t's entries are within
    # (n + 4) eps (|r_t| + rho_hi max|V_{t+1}|) of r_t + P_t V_{t+1} at the computed
    # V_{t+1}; the mixture over actions adds (A + 2) eps max|Q_t|; the error of V_{t+1}
    # reaches V_t through rows summing to at most rho_pi (policy rows times rho_hi).
    n = _max_row_nnz(mdp)
    rho_hi = mdp.row_sum_bounds[1]
    pi_hi = float(np.max(pi.sum(axis=-1))) * (1.0 + (A + 2) * _EPS)
    err_next = 0.0
    worst = 0.0
    for t in range(H - 1, -1, -1):
        Q[t] = q_from_v_unchecked(mdp, v_next, t, "mdp")
        pi_t = _policy_at(pi, t)
        V[t] = np.einsum("sa,sa->s", pi_t, Q[t])
        _check_no_overflow(mdp, V[t])
        e_q = (n + 4) * _EPS * (float(np.max(np.abs(mdp.rewards_at(t)))) + rho_hi * float(np.max(np.abs(v_next))))
        e_mix = (A + 2) * _EPS * pi_hi * float(np.max(np.abs(Q[t])))
        err_next = (pi_hi * (e_q + rho_hi * err_next) + e_mix) * (1.0 + 4.0 * _EPS)
        worst = max(worst, err_next)
        v_next = V[t]
    return PolicyEvaluation(V=V, Q=Q, error_bound=worst)


@validate_params(mdp=MDP(), policy=Policy("mdp"), initial=ProbabilityVector("mdp.n_states") | None, normalize=Bool())
def occupancy(mdp: FiniteMDP, policy: Any, initial: Any = None, *, normalize: bool = False) -> np.ndarray:
    """State-action occupancy measure of a policy.

    Parameters
    ----------
    mdp : FiniteMDP
    policy : array_like
        Any tabular policy layout.
    initial : array_like of shape (S,), optional
        Initial distribution ``mu``; defaults to ``mdp.initial``.
    normalize : bool
        Discounted only: multiply by ``1 - gamma`` so the measure sums to one (the
        discounted state-action *distribution*).

    Returns
    -------
    ndarray
        Discounted: shape (S, A), ``d(s, a) = sum_t gamma^t Pr(s_t = s, a_t = a)``,
        summing to ``1 / (1 - gamma)`` (or 1 when ``normalize``). Finite horizon:
        shape (H, S, A), ``d[t, s, a] = Pr(s_t = s, a_t = a)``, each slice summing
        to 1.

    Guarantee
    ---------
    ``sum(d * R) == initial @ V^pi`` (discounted; Puterman 1994, Thm. 6.9.1), and
    ``sum(d[t] * R_t) summed over t == initial @ V^pi_0`` (finite horizon).
    Tested by ``tests/rlcore/test_evaluation.py::test_occupancy_sums_and_reproduces_value``,
    ``tests/rlcore/test_evaluation.py::test_occupancy_matches_power_series`` and
    ``tests/rlcore/test_evaluation.py::test_finite_horizon_occupancy``.

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 1.0
    >>> mdp = FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.5, initial=[1.0, 0.0])
    >>> occupancy(mdp, np.array([1, 1]))
    array([[0., 1.],
           [0., 1.]])
    """
    S, A = mdp.n_states, mdp.n_actions
    pi = as_stochastic(policy, A)
    mu = mdp.initial if initial is None else initial
    if mdp.horizon is None:
        gamma = cast(float, mdp.gamma)  # a FiniteMDP without a horizon has a discount
        M = _markov_matrix(mdp, pi)
        if mdp.is_sparse:
            import scipy.sparse.linalg as spla

            system = sp.identity(S, format="csc") - gamma * sp.csc_array(M.T)
            d_s = np.asarray(spla.spsolve(system, mu), dtype=np.float64).reshape(S)
        else:
            d_s = np.linalg.solve(np.eye(S) - gamma * M.T, mu)
        d = d_s[:, None] * pi
        return d * (1.0 - gamma) if normalize else d
    if normalize:
        raise InvalidParameterError(
            "normalize", "only meaningful for discounted MDPs (finite-horizon slices already sum to 1)"
        )
    H = mdp.horizon
    d = np.zeros((H, S, A))
    d_s = mu.copy()
    for t in range(H):
        pi_t = _policy_at(pi, t)
        d[t] = d_s[:, None] * pi_t
        if t + 1 < H:
            Pt = mdp.transitions_at(t)
            flat = d[t].reshape(S * A)
            d_s = (Pt.T @ flat) if mdp.is_sparse else flat @ Pt.reshape(S * A, S)
    return d
