"""Value iteration, Jacobi and Gauss-Seidel, stopped by a certified bound.

Jacobi value iteration repeats ``V <- T V`` with the Bellman optimality operator
``(T V)(s) = max_a r(s, a) + gamma sum_s' P(s'|s, a) V(s')``, a ``gamma``-contraction in
the sup norm (Puterman 1994, Prop. 6.2.4), so ``V_k -> V*`` geometrically. Gauss-Seidel
value iteration updates states in place, each backup using the values already updated
in the same sweep; it is also a ``gamma``-contraction and is never slower per sweep in
the sense of Puterman 1994, Thm. 6.3.4 (for non-negative rewards).

Every iterate is certified by :func:`tabular.certify` (one backup gives the bracket
``V + min(TV - V)/(1-gamma) <= V* <= V + max(TV - V)/(1-gamma)``), and the run stops
as soon as the certified bounds are below ``epsilon``:

* ``stopping="span"`` (default): return the centre of the bracket, within
  ``sp(TV - V) / (2 (1 - gamma))`` of ``V*``, with the greedy policy
  ``sp(TV - V) / (1 - gamma)``-optimal (Puterman 1994, section 6.6: the span seminorm
  contracts at least as fast as the sup norm, often much faster);
* ``stopping="sup"``: return the iterate itself, within ``||TV - V|| / (1 - gamma)``
  (the classic rule of Puterman 1994, Thm. 6.3.1).

These are the bounds for exactly stochastic rows; :func:`tabular.certify` states the
version that holds for the stored rows (which sum to 1 only within the accepted
tolerance) and for floating-point rounding. When the span has converged but the
iterate is still far from ``V*`` in level, that version carries a term proportional
to the level and to the rows' deviation from 1; the span rule then moves the iterate
to the centre of its bracket (a constant shift, which changes neither the greedy
policy nor the span of later residuals) and certifies again.

References
----------
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, sections 6.3 and 6.6.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import tabular._dp_kernels as _dp_kernels
from rlcore.mdp import FiniteMDP
from rlcore.progress import NULL_BAR, PROGRESS, notice_when, progress_bar, resolve_progress
from rlcore.validation import (
    MAX_ITERATIONS,
    MDP,
    Array,
    Bool,
    Integer,
    IsCallable,
    Options,
    Real,
    validate_params,
)
from tabular._dp_kernels import gauss_seidel_sweep
from tabular.certify import Certificate, _backup, _certificate, sweep_arrays
from tabular.result import PlanningResult

__all__ = ["value_iteration"]

Callback = Callable[[int, np.ndarray], None]

#: The constraints every discounted planner shares (declared once, used by each).
EPSILON = Real(0, None, closed="neither")
V0 = Array(ndim=1, shape=("mdp.n_states",)) | None
CALLBACK = IsCallable("a callable callback(iteration, V)") | None
DISCOUNTED = MDP(discounted=True)


def initial_values(mdp: FiniteMDP, V0: np.ndarray | None) -> np.ndarray:
    """Initial value: given, or the constant ``min R / (1 - gamma)`` (then ``T V0 >= V0``
    for exactly stochastic rows)."""
    if V0 is None:
        return np.full(mdp.n_states, float(mdp.R.min()) / (1.0 - float(mdp.gamma or 0.0)))
    return np.array(V0, dtype=np.float64)


def met(cert: Certificate, epsilon: float, centre: bool) -> bool:
    """Both certified bounds of the estimate to be returned are within ``epsilon``."""
    value_bound = cert.centre_bound if centre else cert.sup_bound
    return value_bound <= epsilon and cert.suboptimality_bound <= epsilon


def at_rounding_floor(cert: Certificate, centre: bool) -> bool:
    """True when more sweeps cannot tighten the bounds: the spread of ``TV - V`` that
    the rule uses is at the level of its rounding allowance."""
    spread = (cert.delta_max - cert.delta_min) if centre else max(abs(cert.delta_max), abs(cert.delta_min))
    return spread <= cert.delta_allowance


def recentre(cert: Certificate, epsilon: float) -> bool:
    """Whether the span rule should continue from the bracket's centre instead of ``T V``.

    True when the span part of the centre bound has converged but the part due to rows
    that do not sum exactly to 1 (proportional to how far the iterate's level is from
    ``V*``) keeps the bound above ``epsilon``: from the centre that part vanishes.
    """
    drift = cert.centre_bound - cert.span_part
    return drift > cert.span_part and cert.centre_bound > epsilon and cert.span_part <= epsilon


@validate_params(
    mdp=DISCOUNTED,
    epsilon=EPSILON,
    max_iter=Integer(1, MAX_ITERATIONS),
    variant=Options("jacobi", "gauss-seidel"),
    stopping=Options("span", "sup"),
    V0=V0,
    callback=CALLBACK,
    parallel=Bool(),
    progress=PROGRESS,
)
def value_iteration(
    mdp: FiniteMDP,
    *,
    epsilon: float = 1e-6,
    max_iter: int = 100_000,
    variant: str = "jacobi",
    stopping: str = "span",
    V0: Any = None,
    callback: Callback | None = None,
    parallel: bool = False,
    progress: bool | None = None,
) -> PlanningResult:
    """Value iteration with a certified stopping rule.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted, dense or sparse.
    epsilon : float
        Target for both certified bounds: ``||V - V*||_inf <= epsilon`` and the greedy
        policy ``epsilon``-optimal.
    max_iter : int in [1, 10**9]
        Budget of sweeps. When it runs out the result has ``converged=False`` and
        honest (larger) bounds. Jacobi sweeps also stop, unconverged, when ``epsilon``
        is below what floating point can certify (the change ``TV - V`` has shrunk to
        the rounding allowance, see :func:`tabular.certify`).
    variant : {"jacobi", "gauss-seidel"}
    stopping : {"span", "sup"}
        Which certified estimate to return (see the module docstring).
    V0 : array_like of shape (S,), optional
        Initial values; default the constant ``min R / (1 - gamma)``.
    parallel : bool
        Split sparse Jacobi sweeps across Numba's threads (default serial; dense
        sweeps use numpy's BLAS either way).
    callback : callable, optional
        ``callback(k, V_k)`` after each update, with ``V_k`` the values after ``k``
        sweeps (``V_0``, the start, is not reported). Gauss-Seidel's ``k`` also counts
        the certification backups, so it can skip numbers.
    progress : bool or None, default None
        Show a progress bar over the sweeps on standard error (open-ended: the
        run stops at convergence; see :mod:`rlcore.progress`); None follows
        :func:`rlcore.set_progress` (off by default). The result does not depend on it.

    Returns
    -------
    PlanningResult
        ``iterations`` counts Bellman sweeps (Gauss-Seidel also counts the Jacobi
        backups spent on certification). ``history`` holds ``"residual"``
        (``||V_{k+1} - V_k||_inf`` per sweep) and, for Jacobi, ``"value_bound"`` and
        ``"suboptimality_bound"`` per sweep.

    Guarantee
    ---------
    On return, ``||V - V*||_inf <= value_bound`` and ``V* - V^policy <=
    suboptimality_bound`` hold (certified by one Bellman backup of the returned
    values; MacQueen 1966, Puterman 1994 Thm. 6.3.1 and section 6.6, in the form of
    :func:`tabular.certify` that holds for the stored rows and for rounding), whether or
    not the run converged. Jacobi VI reaches ``epsilon`` within
    ``O(log(span(V0 - V*) / (epsilon (1 - gamma))) / log(1 / gamma))`` sweeps: for
    exactly stochastic rows, at most ``1 + ceil(log(c (1 + gamma) d / (epsilon (1 -
    gamma))) / log(1 / gamma))`` with ``d = span(V0 - V*)``, ``c = 1`` for the span rule
    and ``d = ||V0 - V*||_inf``, ``c = 2`` for the sup rule (``T V - V`` contracts by
    ``gamma`` per sweep in both seminorms), up to the rounding allowance. Tested by
    ``tests/tabular/test_certify_oracle.py::test_planner_bounds_hold_exactly`` (the
    bounds, in exact rational arithmetic, converged or not),
    ``tests/tabular/test_planners.py::test_puterman_example_value_iteration_bound_holds_at_every_iteration``
    and ``tests/tabular/test_planners.py::test_jacobi_value_iteration_meets_epsilon_within_the_stated_sweeps``
    (the sweep count).

    Notes
    -----
    ``max_iter`` budgets backups including the certifying one: ``max_iter=5`` returns
    ``V_4``, certified by the backup ``T V_4``. Gauss-Seidel does not profit from the
    span rule: after an in-place sweep ``min(TV - V)`` is close to 0, so the span of
    ``TV - V`` is about its sup norm; on fast-mixing MDPs Jacobi with the span rule
    needs far fewer sweeps (8 against about 1000 on a random 200-state MDP with
    ``gamma = 0.99``). Gauss-Seidel pays off on slowly mixing, ordered problems.

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore.generators import forest
    >>> res = value_iteration(forest(gamma=0.9), epsilon=1e-8)
    >>> res.converged, res.policy.tolist(), np.round(res.V, 3).tolist()
    (True, [0, 0, 0], [26.244, 29.484, 33.484])
    """
    g = float(mdp.gamma)  # type: ignore[arg-type]  # a discounted MDP (checked)
    centre = stopping == "span"
    V = initial_values(mdp, V0)
    history: dict[str, list[float]] = {"residual": []}
    method = f"value_iteration[{variant}, {stopping}]"
    on = resolve_progress(progress)
    with progress_bar(None, desc="value_iteration", progress=True, unit="sweep", lazy=True) if on else NULL_BAR as bar:
        return _value_iteration(
            mdp, g, V, epsilon, max_iter, variant, centre, callback, parallel, history, method, on, bar
        )


def _value_iteration(
    mdp: FiniteMDP,
    g: float,
    V: np.ndarray,
    epsilon: float,
    max_iter: int,
    variant: str,
    centre: bool,
    callback: Callback | None,
    parallel: bool,
    history: dict[str, list[float]],
    method: str,
    on: bool,
    bar: Any,
) -> PlanningResult:
    """:func:`value_iteration` on checked arguments, advancing ``bar`` by one per sweep."""
    rows = mdp.row_sums

    def result(cert: Certificate, it: int) -> PlanningResult:
        return PlanningResult.from_certificate(
            cert,
            row_sums=rows,
            gamma=g,
            centre=centre,
            iterations=it,
            epsilon=epsilon,
            method=method,
            history=history,
        )

    if variant == "jacobi":
        history["value_bound"], history["suboptimality_bound"] = [], []
        for it in range(1, max_iter + 1):
            with notice_when(on and it == 1, _dp_kernels, "tabular.value_iteration"):
                Q, TV, pi = _backup(mdp, V, parallel=parallel)
            cert = _certificate(mdp, V, Q, TV, pi)
            history["residual"].append(float(np.max(np.abs(TV - V))))
            history["value_bound"].append(cert.centre_bound if centre else cert.sup_bound)
            history["suboptimality_bound"].append(cert.suboptimality_bound)
            bar.update(1)
            if on:
                bar.set_postfix(bound=f"{history['value_bound'][-1]:.3g}", refresh=False)
            if met(cert, epsilon, centre) or it == max_iter:
                return result(cert, it)
            if centre and recentre(cert, epsilon):
                V = cert.centre
            elif at_rounding_floor(cert, centre):
                return result(cert, it)
            else:
                V = TV
            if callback is not None:
                callback(it, V)
        raise AssertionError("unreachable")  # pragma: no cover

    # Gauss-Seidel: cheap in-place sweeps, certified by a Jacobi backup after sweeps
    # 1, 2, 3, 5, 8, 12, ... (a 1.5x schedule: at most ~log_1.5(n) extra backups and
    # at most 50% overshoot) or as soon as the classic GS error estimate
    # gamma/(1-gamma) * change says the target is near.
    data, indices, indptr, n_cols = sweep_arrays(mdp)
    V = V.copy()
    it = 0
    sweeps = 0
    next_check = 1
    while it + 2 <= max_iter:  # room for a sweep and the certificate that must follow
        with notice_when(on and it == 0, _dp_kernels, "tabular.value_iteration"):
            change = gauss_seidel_sweep(data, indices, indptr, n_cols, mdp.R, g, V)
        it += 1
        sweeps += 1
        history["residual"].append(float(change))
        bar.update(1)
        if callback is not None:
            callback(it, V.copy())
        if sweeps >= next_check or g * change <= 0.5 * epsilon * (1.0 - g) or it + 2 > max_iter:
            next_check = max(sweeps + 1, int(1.5 * sweeps))
            cert = _certificate(mdp, V, *_backup(mdp, V))
            it += 1
            bar.update(1)
            if met(cert, epsilon, centre) or it + 2 > max_iter or at_rounding_floor(cert, centre):
                return result(cert, it)
    it += 1  # max_iter == 1: no room for a sweep, certify V0
    return result(_certificate(mdp, V, *_backup(mdp, V)), it)
