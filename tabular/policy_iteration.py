"""Policy iteration (Howard) and modified policy iteration.

Howard's policy iteration alternates exact evaluation ``V_k = V^{pi_k}`` (a linear
solve, :func:`rlcore.evaluate_policy`) and greedy improvement. Values improve
monotonically, ``V^{pi_{k+1}} >= V^{pi_k}``, and the method stops at an optimal policy
after finitely many steps (Puterman 1994, Thm. 6.4.2); here the current action is kept
unless another is better by more than the rounding allowance, so it cannot cycle on
ties.

Modified policy iteration replaces the exact solve by ``m`` backups of the current
policy, ``V <- (T^pi)^m T V`` (Puterman and Shin 1978; Puterman 1994, section 6.5):
``m = 0`` is value iteration and ``m -> infinity`` is policy iteration. Started from
``V0`` with ``T V0 >= V0`` (the default constant ``min R / (1 - gamma)`` qualifies) the
iterates increase monotonically to ``V*`` (Puterman 1994, Thm. 6.5.5). Each
policy-evaluation backup reads only the ``S`` rows of the current policy, a fraction
``1/A`` of a full Bellman sweep.

Both certify their answer with :func:`tabular.certify`.

References
----------
R. A. Howard, *Dynamic Programming and Markov Processes*, MIT Press 1960.
M. L. Puterman and M. C. Shin, "Modified policy iteration algorithms for discounted
Markov decision problems", *Management Science* 24(11), 1978.
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, sections 6.4 and 6.5.
"""

from __future__ import annotations

from typing import Any, Callable, cast

import numpy as np
import scipy.sparse as sp

from rlcore import evaluate_policy, validate_policy
from rlcore._validation import check_int
from rlcore.mdp import FiniteMDP
from tabular._common import (
    check_callback, check_discounted, check_epsilon, check_max_iter, check_stopping, check_v0, discount_of,
)
from tabular._dp_kernels import bellman_sweep, bellman_sweep_parallel
from tabular.certify import _certificate, bellman_backup, csr_kernel_arrays
from tabular.result import PlanningResult
from tabular.value_iteration import _at_rounding_floor

__all__ = ["modified_policy_iteration", "policy_iteration"]

_EMPTY_INDEX = np.empty(0, dtype=np.uint32)
_AUTO_M = 20
_EMPTY_INDEX.flags.writeable = False

Callback = Callable[[int, np.ndarray], None]


def policy_iteration(
    mdp: FiniteMDP,
    *,
    policy0: Any = None,
    max_iter: int = 10_000,
    epsilon: float = 1e-6,
    callback: Callback | None = None,
) -> PlanningResult:
    """Howard's policy iteration.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted, dense or sparse.
    policy0 : array_like of int, shape (S,), optional
        Initial deterministic policy; default greedy for the immediate reward.
    max_iter : int
        Budget of improvement steps.
    epsilon : float
        Tolerance the final certificate is compared with to set ``converged``.
    callback : callable, optional
        ``callback(iteration, V)`` with the value of each evaluated policy.

    Returns
    -------
    PlanningResult
        ``V`` is the value of the final policy; ``iterations`` counts evaluations.

    Guarantee
    ---------
    ``V^{pi_{k+1}} >= V^{pi_k}`` componentwise and the method terminates in at most
    ``A^S`` steps at an optimal policy (Puterman 1994, Prop. 6.4.1 and Thm. 6.4.2); in
    practice in a handful. The returned bounds are certified by one Bellman backup.

    Examples
    --------
    >>> from rlcore.generators import forest
    >>> res = policy_iteration(forest(gamma=0.9))
    >>> res.converged, res.policy.tolist(), res.iterations
    (True, [0, 0, 0], 2)
    """
    mdp = check_discounted(mdp, "policy_iteration")
    g = discount_of(mdp)
    check_callback(callback)
    eps = check_epsilon(epsilon)
    max_iter = check_max_iter(max_iter)
    S = mdp.n_states
    if policy0 is None:
        pi = np.argmax(mdp.R, axis=1).astype(np.int64)
    else:
        pi = np.array(validate_policy(policy0, S, mdp.n_actions, name="policy0"))
        if pi.ndim != 1:
            raise ValueError("policy0: expected a deterministic int array of shape (S,)")
    history: dict[str, list[float]] = {"changed_states": []}
    for it in range(1, max_iter + 1):
        V = evaluate_policy(mdp, pi).V
        if callback is not None:
            callback(it, V)
        Q, TV, greedy = bellman_backup(mdp, V)
        cert = _certificate(mdp, V, Q, TV, greedy)
        tol = cert.rounding * (1.0 - g)
        improve = Q[np.arange(S), pi] < TV - tol
        history["changed_states"].append(float(improve.sum()))
        if not improve.any() or it == max_iter:
            return PlanningResult.from_certificate(
                cert, gamma=g, centre=False, iterations=it, epsilon=eps,
                method="policy_iteration", history=history,
            )
        pi = np.where(improve, greedy, pi)
    raise AssertionError("unreachable")  # pragma: no cover


def _policy_rows(mdp: FiniteMDP, pi: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]:
    """Sweep arrays of ``P_pi`` (the S rows of ``pi``) and ``r_pi`` as an (S, 1) array.

    The arrays are read-only with the index dtype of ``P``, exactly the types the
    kernel was compiled for on ``P`` itself, so Numba reuses that compilation.
    """
    S, A = mdp.n_states, mdp.n_actions
    idx = np.arange(S)
    r = np.ascontiguousarray(mdp.R[idx, pi][:, None])
    if mdp.is_sparse:
        P = cast(sp.csr_array, mdp.P)
        sub = sp.csr_array(P[idx * A + pi])
        arrays = csr_kernel_arrays(
            sub.data,
            sub.indices.astype(P.indices.dtype, copy=False),
            sub.indptr.astype(P.indptr.dtype, copy=False),
        )
    else:
        arrays = (np.ascontiguousarray(mdp.P[idx, pi]).reshape(-1), _EMPTY_INDEX, _EMPTY_INDEX, S)
    for arr in (*arrays[:3], r):
        arr.flags.writeable = False
    return arrays, r


def modified_policy_iteration(
    mdp: FiniteMDP,
    *,
    m: int | str = 20,
    epsilon: float = 1e-6,
    max_iter: int = 100_000,
    stopping: str = "span",
    V0: Any = None,
    callback: Callback | None = None,
    parallel: bool = False,
) -> PlanningResult:
    """Modified policy iteration: greedy backup, then ``m`` partial-evaluation backups.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted, dense or sparse.
    m : int >= 0 or "auto"
        Policy-evaluation backups per improvement (0 is value iteration). ``"auto"``
        chooses per step: none while full sweeps shrink the span of ``TV - V`` fast
        (by more than half per step: evaluation backups would be wasted on a
        fast-mixing MDP), ``20`` otherwise. Any sequence ``m_k`` keeps the guarantee
        (Puterman 1994, Thm. 6.5.5 allows ``m`` to vary).
    epsilon, max_iter, stopping, V0, callback, parallel
        As in :func:`tabular.value_iteration`; ``max_iter`` counts improvement steps.

    Returns
    -------
    PlanningResult
        ``history["residual"]`` holds ``||T V - V||_inf`` at each improvement step.

    Guarantee
    ---------
    From ``V0`` with ``T V0 >= V0`` the iterates increase monotonically to ``V*``
    (Puterman 1994, Thm. 6.5.5); the returned bounds are certified by the Bellman
    backup of the returned values (MacQueen 1966; Puterman 1994, section 6.6), whether
    or not the run converged.

    Examples
    --------
    >>> from rlcore.generators import forest
    >>> res = modified_policy_iteration(forest(gamma=0.9), m=5, epsilon=1e-8)
    >>> res.converged, res.policy.tolist()
    (True, [0, 0, 0])
    """
    mdp = check_discounted(mdp, "modified_policy_iteration")
    g = discount_of(mdp)
    check_callback(callback)
    eps = check_epsilon(epsilon)
    max_iter = check_max_iter(max_iter)
    centre = check_stopping(stopping) == "span"
    adaptive = isinstance(m, str) and m == "auto"
    if not adaptive:
        m = check_int(m, "m")
        if m < 0:
            raise ValueError(f"m: expected a non-negative number of evaluation backups or 'auto', got {m}")
    if not isinstance(parallel, (bool, np.bool_)):
        raise TypeError(f"parallel: expected a bool, got {type(parallel).__name__}")
    m_now = 0 if adaptive else cast(int, m)  # not adaptive: m passed check_int above
    spread_prev = np.inf
    V = check_v0(mdp, V0)
    history: dict[str, list[float]] = {"residual": [], "value_bound": [], "suboptimality_bound": []}
    scratch_q = np.empty((mdp.n_states, 1))
    scratch_pi = np.empty(mdp.n_states, dtype=np.int64)
    for it in range(1, max_iter + 1):
        Q, TV, pi = bellman_backup(mdp, V, parallel=parallel)
        cert = _certificate(mdp, V, Q, TV, pi)
        history["residual"].append(float(np.max(np.abs(TV - V))))
        history["value_bound"].append(cert.centre_bound if centre else cert.sup_bound)
        history["suboptimality_bound"].append(cert.suboptimality_bound)
        met = (cert.centre_bound if centre else cert.sup_bound) <= eps and cert.suboptimality_bound <= eps
        if met or it == max_iter or _at_rounding_floor(cert, g, centre):
            return PlanningResult.from_certificate(
                cert, gamma=g, centre=centre, iterations=it, epsilon=eps,
                method=f"modified_policy_iteration[m={'auto' if adaptive else m}, {stopping}]", history=history,
            )
        V = TV
        if adaptive:
            spread = cert.delta_max - cert.delta_min
            m_now = 0 if spread <= 0.5 * spread_prev else _AUTO_M
            spread_prev = spread
        if m_now:
            arrays, r_pi = _policy_rows(mdp, pi)
            if mdp.is_sparse:
                kernel = bellman_sweep_parallel if parallel else bellman_sweep
                W = np.empty_like(V)
                for _ in range(m_now):
                    kernel(*arrays, r_pi, g, V, scratch_q, W, scratch_pi)
                    V, W = W, V
            else:  # BLAS on the (S, S) rows of the policy
                P_pi, r_vec = arrays[0].reshape(mdp.n_states, mdp.n_states), r_pi[:, 0]
                for _ in range(m_now):
                    V = r_vec + g * (P_pi @ V)
        if callback is not None:
            callback(it, V)
    raise AssertionError("unreachable")  # pragma: no cover
