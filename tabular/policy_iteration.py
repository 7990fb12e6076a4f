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

Both certify their answer with :func:`tabular.certify`. ``m="auto"`` sizes each
evaluation by the residuals it observes (see :func:`modified_policy_iteration`), and
``arithmetic="mixed"`` runs the first steps on a float32 copy of a dense ``P``.

References
----------
R. A. Howard, *Dynamic Programming and Markov Processes*, MIT Press 1960.
M. L. Puterman and M. C. Shin, "Modified policy iteration algorithms for discounted
Markov decision problems", *Management Science* 24(11), 1978.
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, sections 6.4 and 6.5.
B. Scherrer, M. Ghavamzadeh, V. Gabillon, B. Lesner and M. Geist, "Approximate modified
policy iteration and its application to the game of Tetris", *JMLR* 16, 2015.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np

import tabular._dp_kernels as _dp_kernels
from rlcore.bellman import resolvent_bounds
from rlcore.evaluation import evaluate_policy
from rlcore.mdp import FiniteMDP
from rlcore.progress import NULL_BAR, PROGRESS, notice_when, progress_bar, resolve_progress
from rlcore.validation import MAX_ITERATIONS, Bool, Integer, Options, Policy, validate_params
from tabular._mixed_precision import float32_backup, float32_rows
from tabular._policy_kernels import gather_policy_rows, policy_sweep
from tabular.certify import _backup, _certificate, sweep_arrays
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
_AUTO_FRACTION = 1e-3
_AUTO_CAP = 1000
_FLOAT32_CAP = 100
_FLOAT32_HANDOVER = 0.01  # hand over to float64 once the greedy policy changes in at most 1% of states
_FLOAT32_FLOOR = 16.0 * float(np.finfo(np.float32).eps)
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


class _PolicyRows:
    """The rows of ``P`` a policy selects, as :func:`policy_sweep` takes them.

    Dense ``P`` is read in place. Sparse rows are copied into a contiguous CSR ``P_pi``
    (see :mod:`tabular._policy_kernels`); on the next policy only the rows of states
    whose action changed are copied, in place when their lengths allow.
    """

    def __init__(self, mdp: FiniteMDP, arrays: tuple[np.ndarray, np.ndarray, np.ndarray, int]) -> None:
        self.arrays = arrays
        self.n_states, self.n_actions = mdp.n_states, mdp.n_actions
        self.sparse = mdp.is_sparse
        self.pi = np.full(self.n_states, -1, dtype=np.int64)
        self.first = np.zeros(self.n_states, dtype=np.int64)
        self.sub: tuple[np.ndarray, np.ndarray, np.ndarray, int] | None = None

    def __call__(self, pi: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, int], int, np.ndarray]:
        """``(arrays, n_actions, pi)`` arguments of :func:`policy_sweep` for ``pi``."""
        if not self.sparse:
            return self.arrays, self.n_actions, pi
        data, indices, indptr, _ = self.arrays
        rows = np.arange(self.n_states) * self.n_actions + pi
        lengths = indptr[rows + 1] - indptr[rows]
        if self.sub is None or not np.array_equal(lengths, np.diff(self.sub[2])):
            out_indptr = np.zeros(self.n_states + 1, dtype=indptr.dtype)
            np.cumsum(lengths, out=out_indptr[1:])
            nnz = int(out_indptr[-1])
            self.sub = (np.empty(nnz, dtype=data.dtype), np.empty(nnz, dtype=indices.dtype), out_indptr, 0)
            self.pi[:] = -1
        gather_policy_rows(data, indices, indptr, self.n_actions, pi, self.pi, *self.sub[:3])
        self.pi[:] = pi
        return self.sub, 1, self.first


def _evaluate(
    rows: _PolicyRows,
    R: np.ndarray,
    pi: np.ndarray,
    g: float,
    V: np.ndarray,
    m: int,
    tol: float,
    centre: bool,
    floor: float = 0.0,
) -> tuple[np.ndarray, int]:
    """Up to ``m`` backups ``V <- T^pi V`` on the rows of ``pi``.

    With ``tol > 0`` (the adaptive schedule) it stops early once the residual
    ``T^pi V - V`` is at most ``tol`` in span (``centre``) or sup norm, or stops
    shrinking (both contract by ``gamma`` per backup in exact arithmetic, so a residual
    that grows is rounding), or once its span is below ``floor`` times its sup norm
    (rows rounded to float32 do not sum to 1, so a residual that is still large in
    level keeps a span of that order, shrinking only by ``gamma`` per backup). Returns
    the new values and the number of backups.
    """
    arrays, n_actions, rows_pi = rows(pi)
    r_pi = np.ascontiguousarray(R[np.arange(V.shape[0]), pi])
    W = np.empty_like(V)
    prev = np.inf
    for k in range(1, m + 1):
        lo, hi = policy_sweep(*arrays, n_actions, rows_pi, r_pi, g, V, W)
        V, W = W, V
        if tol > 0.0:
            size = (hi - lo) if centre else max(-lo, hi)
            if size <= tol or size >= prev or (hi - lo) <= floor * max(-lo, hi):
                return V, k
            prev = size
    return V, m


def _start_evaluation(
    mdp: FiniteMDP,
    rows: _PolicyRows,
    pi: np.ndarray,
    g: float,
    V: np.ndarray,
    target: float,
    centre: bool,
    floor: float = 0.0,
) -> tuple[np.ndarray, int]:
    """Evaluate the reward-greedy policy ``pi`` from the constant default start.

    From a constant ``c`` every backup is ``R + gamma c rho(s, a)`` with ``rho = 1`` up
    to the rows' tolerance, so ``pi`` is the greedy policy a first sweep would find, and
    ``T^pi V0 >= V0`` still holds (the iterates still increase). The evaluation is sized
    as after any greedy backup, against the residual ``r_pi - (1 - gamma) c``.
    """
    r0 = mdp.R[np.arange(mdp.n_states), pi]
    measure = float(np.ptp(r0)) if centre else float(np.max(r0) - np.min(mdp.R))
    tol = max(0.25 * target, _AUTO_FRACTION * measure)
    return _evaluate(rows, mdp.R, pi, g, V, _AUTO_CAP, tol, centre, floor)


def _float32_phase(
    mdp: FiniteMDP,
    V: np.ndarray,
    g: float,
    target: float,
    centre: bool,
    history: dict[str, list[float]],
    start: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Modified policy iteration with the float32 copy of a dense ``P`` until it stalls.

    Greedy backups and evaluation backups both read the float32 rows (evaluation
    accumulates in float64). Stops when the greedy policy changes in at most 1% of the
    states (the float64 phase finishes the rest), when the residual reaches the
    target, or when it no longer halves (float32 accuracy reached).
    ``start``, if given, is a policy evaluated before the first greedy backup (the
    reward-greedy policy from the constant default start). Returns the last backed-up
    values and their greedy policy.
    """
    S = mdp.n_states
    rows32 = _PolicyRows(mdp, (float32_rows(mdp).reshape(-1), _EMPTY_INDEX, _EMPTY_INDEX, S))
    pi_prev: np.ndarray | None = start
    prev = np.inf
    if start is not None:
        V, used = _start_evaluation(mdp, rows32, start, g, V, target, centre, _FLOAT32_FLOOR)
        history["float32_evaluation_backups"].append(float(used))
    for _ in range(_FLOAT32_CAP):
        _, TV, pi = float32_backup(mdp, V)
        delta = TV - V
        size = float(np.ptp(delta)) if centre else float(np.max(np.abs(delta)))
        history["float32_residual"].append(size)
        V = TV
        changed = 1.0 if pi_prev is None else float(np.count_nonzero(pi != pi_prev)) / S
        if changed <= _FLOAT32_HANDOVER or size <= target or size > 0.5 * prev:
            return V, pi
        prev, pi_prev = size, pi
        tol = max(0.25 * target, _AUTO_FRACTION * changed * size)
        V, used = _evaluate(rows32, mdp.R, pi, g, V, _AUTO_CAP, tol, centre, _FLOAT32_FLOOR)
        history["float32_evaluation_backups"].append(float(used))
    return V, pi


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
    arithmetic=Options("double", "mixed"),
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
    arithmetic: str = "double",
    progress: bool | None = None,
) -> PlanningResult:
    """Modified policy iteration: greedy backup, then ``m`` partial-evaluation backups.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted, dense or sparse.
    m : int in [0, 10**6] or "auto"
        Policy-evaluation backups per improvement (0 is value iteration). ``"auto"``
        (the default of :func:`tabular.solve`) evaluates each greedy policy until the
        evaluation residual ``T^pi V - V`` (span, or sup norm under ``stopping="sup"``)
        is below ``1e-3 c`` times the residual of the greedy backup that chose it,
        ``c`` the fraction of states whose action that backup changed, and in any case
        below a quarter of the residual that certifies ``epsilon``: early policies,
        which the next backup will change, are evaluated roughly, and a policy that
        changed in few states (likely the last) almost exactly, as policy iteration
        would. At most 1000 backups per step; an evaluation stops early when its
        residual stops shrinking (rounding). Any sequence ``m_k`` keeps the guarantee
        (Puterman 1994, Thm. 6.5.5 allows ``m`` to vary).
    epsilon, max_iter, stopping, V0, callback, parallel
        As in :func:`tabular.value_iteration`; ``max_iter`` counts improvement steps
        (float64 greedy backups); ``parallel`` applies to the greedy backups.
    arithmetic : {"double", "mixed"}, default "double"
        ``"mixed"`` (dense ``P`` only; ignored for sparse ``P``, whose sweeps are bound
        by gathers rather than by the bytes of ``P``): first run the ``"auto"``
        schedule on a float32 copy of ``P`` (half the bytes per sweep; made once per
        MDP and cached while it lives, see :mod:`tabular._mixed_precision`) until its
        greedy policy changes in at most 1% of the states or its residual stalls (at
        most 100 float32 greedy backups, not counted in ``max_iter``), then evaluate
        that policy in float64 and
        continue as asked (``m``) with float64 backups of the stored ``P``. The answer
        is certified by the float64 operator either way, so its bounds mean exactly
        the same. Opt-in: it pays when ``P`` is large (S = 500 to 2000 with A = 8)
        and the MDP is solved more than once, since the first call makes the copy.
    progress : bool or None, default None
        Show a progress bar over the improvement steps on standard error (open-ended:
        the run stops at convergence; see :mod:`rlcore.progress`); None follows
        :func:`rlcore.set_progress` (off by default). The result does not depend on it.

    Returns
    -------
    PlanningResult
        ``history["residual"]`` holds ``||T V - V||_inf`` at each improvement step,
        ``history["evaluation_backups"]`` the evaluation backups after each; with
        ``arithmetic="mixed"`` also ``"float32_residual"`` (the residual of each float32
        greedy backup), ``"float32_evaluation_backups"`` and
        ``"polish_evaluation_backups"`` (float64 backups of the float32 phase's policy);
        with ``m="auto"`` from the default start, ``"start_evaluation_backups"`` (see
        Notes).

    Guarantee
    ---------
    From ``V0`` with ``T V0 >= V0`` the iterates increase monotonically to ``V*``
    (Puterman 1994, Thm. 6.5.5); from any start they converge (the error bounds of
    Scherrer et al. 2015 for approximate MPI, with zero errors), which covers the
    float32 phase's hand-over. The returned bounds are certified by the float64 Bellman backup of the returned values
    (MacQueen 1966; Puterman 1994, section 6.6), whether or not the run converged and
    whatever the arithmetic. Tested by
    ``tests/tabular/test_planners.py::test_modified_policy_iteration_increases_monotonically_from_the_default_start``,
    ``tests/tabular/test_certify_oracle.py::test_planner_bounds_hold_exactly``,
    ``tests/tabular/test_planners.py::test_other_planners_out_of_budget_keep_their_bounds``,
    ``tests/tabular/test_mpi_schedule.py::test_auto_schedule_is_monotone_and_certified_against_enumeration``,
    ``tests/tabular/test_mpi_schedule.py::test_auto_schedule_needs_no_more_greedy_backups_than_quantecon_mpi``
    (no more greedy backups than QuantEcon's MPI) and
    ``tests/tabular/test_mixed_precision.py::test_mixed_certifies_the_same_epsilon_as_double``.

    Notes
    -----
    With ``m="auto"`` and the default constant start ``V0 = min R / (1 - gamma)``, the
    first greedy backup is skipped: from a constant every action's backup is
    ``r(s, a) + gamma V0 rho(s, a)``, so the greedy policy is the reward-greedy one (for
    rows summing to 1; any first policy with ``T^pi V0 >= V0`` keeps the guarantee),
    and its evaluation starts at once. ``iterations`` counts the greedy backups done.

    Cost: a greedy backup reads all ``S A`` rows of ``P``, an evaluation backup ``S``
    of them (sparse rows are first copied into a contiguous ``P_pi``, only where the
    policy changed). On a Garnet MDP with ``S = 50,000``, ``A = 4``, 10 successors and
    ``gamma = 0.99`` the auto schedule certifies ``1e-6`` with 5 greedy backups and
    about 50 evaluation backups, where QuantEcon's MPI (``k = 20``) takes 6 and 100 and
    value iteration 22 greedy backups. See ``benchmarks/bench_planning.py``.

    Examples
    --------
    >>> from rlcore.generators import forest
    >>> res = modified_policy_iteration(forest(gamma=0.9), m=5, epsilon=1e-8)
    >>> res.converged, res.policy.tolist()
    (True, [0, 0, 0])

    The mixed-precision path certifies the same bounds with the float64 operator:

    >>> from rlcore.generators import random_mdp
    >>> mdp = random_mdp(200, 4, gamma=0.99, rng=0)
    >>> fast = modified_policy_iteration(mdp, m="auto", arithmetic="mixed")
    >>> fast.converged, fast.method
    (True, 'modified_policy_iteration[m=auto, span, mixed]')
    >>> bool((fast.policy == policy_iteration(mdp).policy).all())
    True
    """
    g = float(mdp.gamma)  # type: ignore[arg-type]  # a discounted MDP (checked)
    centre = stopping == "span"
    adaptive = m == "auto"
    m_now = 0 if adaptive else cast(int, m)
    pi_prev: np.ndarray | None = None
    target = epsilon / resolvent_bounds(g, *mdp.row_sum_bounds)[1]  # the residual that certifies epsilon
    rows = _PolicyRows(mdp, sweep_arrays(mdp))
    suffix = ", mixed" if arithmetic == "mixed" and not mdp.is_sparse else ""
    V = initial_values(mdp, V0)
    history: dict[str, list[float]] = {
        "residual": [],
        "value_bound": [],
        "suboptimality_bound": [],
        "evaluation_backups": [],
    }
    if arithmetic == "mixed" and not mdp.is_sparse:
        history["float32_residual"], history["float32_evaluation_backups"] = [], []
        start = np.argmax(mdp.R, axis=1) if adaptive and V0 is None else None
        V, pi_prev = _float32_phase(mdp, V, g, target, centre, history, start)
        V, used = _evaluate(rows, mdp.R, pi_prev, g, V, _AUTO_CAP, 0.25 * target, centre)
        history["polish_evaluation_backups"] = [float(used)]  # float64 backups of the float32 phase's policy
    elif adaptive and V0 is None:
        pi_prev = np.argmax(mdp.R, axis=1)
        V, used = _start_evaluation(mdp, rows, pi_prev, g, V, target, centre)
        history["start_evaluation_backups"] = [float(used)]  # of the reward-greedy policy, from V0
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
                    method=f"modified_policy_iteration[m={'auto' if adaptive else m}, {stopping}{suffix}]",
                    history=history,
                )
            V = TV  # = T^pi V: the first evaluation backup comes with the greedy one
            if adaptive:
                measure = (cert.delta_max - cert.delta_min) if centre else max(-cert.delta_min, cert.delta_max)
                changed = 1.0 if pi_prev is None else float(np.count_nonzero(pi != pi_prev)) / pi.shape[0]
                tol = max(0.25 * target, _AUTO_FRACTION * changed * measure)
                pi_prev = pi
                V, used = _evaluate(rows, mdp.R, pi, g, V, _AUTO_CAP, tol, centre)
            elif m_now:
                V, used = _evaluate(rows, mdp.R, pi, g, V, m_now, 0.0, centre)
            else:
                used = 0
            history["evaluation_backups"].append(float(used))
            if callback is not None:
                callback(it, V)
    raise AssertionError("unreachable")  # pragma: no cover
