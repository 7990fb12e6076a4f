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

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

import tabular._dp_kernels as _dp_kernels
from rlcore.evaluation import evaluate_policy
from rlcore.mdp import FiniteMDP
from rlcore.progress import NULL_BAR, PROGRESS, notice_when, progress_bar, resolve_progress
from rlcore.validation import MAX_ITERATIONS, Bool, Integer, Options, Policy, validate_params
from tabular._dp_kernels import bellman_sweep, bellman_sweep_parallel
from tabular.certify import _backup, _certificate, csr_kernel_arrays
from tabular.result import PlanningResult
from tabular.value_iteration import (
    CALLBACK,
    DISCOUNTED,
    EPSILON,
    at_rounding_floor,
    initial_values,
    met,
    recentre,
)
from tabular.value_iteration import (
    V0 as V0_CONSTRAINT,
)

__all__ = ["modified_policy_iteration", "policy_iteration"]

_EMPTY_INDEX = np.empty(0, dtype=np.uint32)
_AUTO_M = 20
_EMPTY_INDEX.flags.writeable = False

Callback = Callable[[int, np.ndarray], None]


@validate_params(
    mdp=DISCOUNTED,
    policy0=Policy("mdp", deterministic=True) | None,
    max_iter=Integer(1, MAX_ITERATIONS),
    epsilon=EPSILON,
    callback=CALLBACK,
    progress=PROGRESS,
)
def policy_iteration(
    mdp: FiniteMDP,
    *,
    policy0: Any = None,
    max_iter: int = 10_000,
    epsilon: float = 1e-6,
    callback: Callback | None = None,
    progress: bool | None = None,
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
    progress : bool or None, default None
        Show a progress bar over the improvement steps on standard error (open-ended:
        the run stops when the policy is stable; see :mod:`rlcore.progress`); None
        follows :func:`rlcore.set_progress` (off by default). The result does not
        depend on it.

    Returns
    -------
    PlanningResult
        ``V`` is the value of the final policy; ``iterations`` counts evaluations.

    Guarantee
    ---------
    ``V^{pi_{k+1}} >= V^{pi_k}`` componentwise and the method terminates in at most
    ``A^S`` steps at an optimal policy (Puterman 1994, Prop. 6.4.1 and Thm. 6.4.2); in
    practice in a handful. The returned bounds are certified by one Bellman backup.
    Tested by
    ``tests/tabular/test_planners.py::test_policy_iteration_improves_monotonically_and_terminates``
    (against enumeration) and
    ``tests/tabular/test_certify_oracle.py::test_planner_bounds_hold_exactly`` (the bounds).

    Examples
    --------
    >>> from rlcore.generators import forest
    >>> res = policy_iteration(forest(gamma=0.9))
    >>> res.converged, res.policy.tolist(), res.iterations
    (True, [0, 0, 0], 2)
    """
    g = float(mdp.gamma)  # type: ignore[arg-type]  # a discounted MDP (checked)
    S = mdp.n_states
    pi = np.argmax(mdp.R, axis=1).astype(np.int64) if policy0 is None else np.array(policy0)
    history: dict[str, list[float]] = {"changed_states": []}
    on = resolve_progress(progress)
    with progress_bar(None, desc="policy_iteration", progress=True, unit="step", lazy=True) if on else NULL_BAR as bar:
        for it in range(1, max_iter + 1):
            V = evaluate_policy(mdp, pi).V
            if callback is not None:
                callback(it, V)
            with notice_when(on and it == 1, _dp_kernels, "tabular.policy_iteration"):
                Q, TV, greedy = _backup(mdp, V)
            cert = _certificate(mdp, V, Q, TV, greedy)
            improve = Q[np.arange(S), pi] < TV - cert.delta_allowance
            history["changed_states"].append(float(improve.sum()))
            bar.update(1)
            if on:
                bar.set_postfix(changed=int(improve.sum()), refresh=False)
            if not improve.any() or it == max_iter:
                return PlanningResult.from_certificate(
                    cert,
                    row_sums=mdp.row_sums,
                    gamma=g,
                    centre=False,
                    iterations=it,
                    epsilon=epsilon,
                    method="policy_iteration",
                    history=history,
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


#: Largest number of evaluation backups per improvement step: far beyond where modified
#: policy iteration stops paying (it approaches policy iteration long before), small
#: enough that no value makes a step run for ever.
MAX_EVALUATION_BACKUPS = 10**6


@validate_params(
    mdp=DISCOUNTED,
    m=Integer(0, MAX_EVALUATION_BACKUPS) | Options("auto"),
    epsilon=EPSILON,
    max_iter=Integer(1, MAX_ITERATIONS),
    stopping=Options("span", "sup"),
    V0=V0_CONSTRAINT,
    callback=CALLBACK,
    parallel=Bool(),
    progress=PROGRESS,
)
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
    progress: bool | None = None,
) -> PlanningResult:
    """Modified policy iteration: greedy backup, then ``m`` partial-evaluation backups.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted, dense or sparse.
    m : int in [0, 10**6] or "auto"
        Policy-evaluation backups per improvement (0 is value iteration). ``"auto"``
        chooses per step: none while full sweeps shrink the span of ``TV - V`` fast
        (by more than half per step: evaluation backups would be wasted on a
        fast-mixing MDP), ``20`` otherwise. Any sequence ``m_k`` keeps the guarantee
        (Puterman 1994, Thm. 6.5.5 allows ``m`` to vary).
    epsilon, max_iter, stopping, V0, callback, parallel
        As in :func:`tabular.value_iteration`; ``max_iter`` counts improvement steps.
    progress : bool or None, default None
        Show a progress bar over the improvement steps on standard error (open-ended:
        the run stops at convergence; see :mod:`rlcore.progress`); None follows
        :func:`rlcore.set_progress` (off by default). The result does not depend on it.

    Returns
    -------
    PlanningResult
        ``history["residual"]`` holds ``||T V - V||_inf`` at each improvement step.

    Guarantee
    ---------
    From ``V0`` with ``T V0 >= V0`` the iterates increase monotonically to ``V*``
    (Puterman 1994, Thm. 6.5.5); the returned bounds are certified by the Bellman
    backup of the returned values (MacQueen 1966; Puterman 1994, section 6.6), whether
    or not the run converged. Tested by
    ``tests/tabular/test_planners.py::test_modified_policy_iteration_increases_monotonically_from_the_default_start``,
    ``tests/tabular/test_certify_oracle.py::test_planner_bounds_hold_exactly`` and
    ``tests/tabular/test_planners.py::test_other_planners_out_of_budget_keep_their_bounds``.

    Examples
    --------
    >>> from rlcore.generators import forest
    >>> res = modified_policy_iteration(forest(gamma=0.9), m=5, epsilon=1e-8)
    >>> res.converged, res.policy.tolist()
    (True, [0, 0, 0])
    """
    g = float(mdp.gamma)  # type: ignore[arg-type]  # a discounted MDP (checked)
    centre = stopping == "span"
    adaptive = m == "auto"
    m_now = 0 if adaptive else cast(int, m)
    spread_prev = np.inf
    V = initial_values(mdp, V0)
    history: dict[str, list[float]] = {"residual": [], "value_bound": [], "suboptimality_bound": []}
    scratch_q = np.empty((mdp.n_states, 1))
    scratch_pi = np.empty(mdp.n_states, dtype=np.int64)
    on = resolve_progress(progress)
    with (
        progress_bar(None, desc="modified_policy_iteration", progress=True, unit="step", lazy=True) if on else NULL_BAR
    ) as bar:
        for it in range(1, max_iter + 1):
            with notice_when(on and it == 1, _dp_kernels, "tabular.modified_policy_iteration"):
                Q, TV, pi = _backup(mdp, V, parallel=parallel)
            cert = _certificate(mdp, V, Q, TV, pi)
            history["residual"].append(float(np.max(np.abs(TV - V))))
            history["value_bound"].append(cert.centre_bound if centre else cert.sup_bound)
            history["suboptimality_bound"].append(cert.suboptimality_bound)
            bar.update(1)
            if on:
                bar.set_postfix(bound=f"{history['value_bound'][-1]:.3g}", refresh=False)
            done = met(cert, epsilon, centre) or it == max_iter
            if not done and centre and recentre(cert, epsilon):
                V = cert.centre  # the level is off, the shape is not: continue from the centre
                if callback is not None:
                    callback(it, V)
                continue
            if done or at_rounding_floor(cert, centre):
                return PlanningResult.from_certificate(
                    cert,
                    row_sums=mdp.row_sums,
                    gamma=g,
                    centre=centre,
                    iterations=it,
                    epsilon=epsilon,
                    method=f"modified_policy_iteration[m={'auto' if adaptive else m}, {stopping}]",
                    history=history,
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
