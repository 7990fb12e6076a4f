"""The linear-programming formulation of a discounted MDP and its dual (occupancy measures).

The optimal value ``V*`` of a discounted MDP is the unique solution of the linear
program (d'Epenoux 1963; Manne 1960; Puterman 1994, section 6.9)

.. math::

    \\min_V \\; \\mu^\\top V \\quad \\text{s.t.} \\quad
    V(s) \\ge r(s, a) + \\gamma \\sum_{s'} P(s' | s, a) V(s') \\quad \\forall (s, a),

for any state weights ``mu > 0``: every feasible ``V`` is an upper bound, ``V >= V*``
(``V >= T V`` implies ``V >= T^k V -> V*``), and ``V*`` is feasible. Written with the
``(S*A, S)`` matrix ``M = E - gamma P`` (``E[s*A + a, s] = 1``), the constraints are
``M V >= r``, and the dual LP is

.. math::

    \\max_{d \\ge 0} \\; \\sum_{s,a} d(s, a) r(s, a) \\quad \\text{s.t.} \\quad
    \\sum_a d(s', a) - \\gamma \\sum_{s,a} P(s' | s, a) d(s, a) = \\mu(s') \\quad \\forall s'.

Its feasible points are exactly the discounted state-action occupancy measures
``d(s, a) = sum_t gamma^t Pr(s_t = s, a_t = a)`` of the (stationary, randomised)
policies started from ``mu`` (scaled by ``sum(mu)`` when ``mu`` is not a probability
vector; Puterman 1994, Thm. 6.9.1), so ``sum d = sum(mu) / (1 -
gamma)``; at an optimum, strong duality gives ``mu^T V* = <d, r>`` and the policy
``pi(a|s) = d(s, a) / sum_a' d(s, a')`` is optimal (Puterman 1994, section 6.9; basic
feasible solutions are the occupancies of deterministic policies).

The LP is solved through cvxpy; ``M`` is built as a ``scipy.sparse`` matrix (never a
dense ``(S*A, S)`` array) and handed to the solver as a sparse constant. One solve gives
both: ``V`` is the primal solution, ``d`` the multiplier of the constraints ``M V >= r``.

**An LP solver is only as accurate as its tolerances** (feasibility and optimality
tolerances of about ``1e-7`` to ``1e-9``, relative), and the error of ``V`` that such
a residual allows is amplified by ``1 / (1 - gamma)``. The answer is therefore not
trusted: the primal ``V`` is certified by one Bellman backup (:func:`tabular.certify`)
and the reported bounds are the certified ones. Measured on random MDPs with
``gamma = 0.999`` the certified bounds of the raw LP answer were between ``1e-7`` and
``1e-3`` depending on the solver; ``polish=True`` removes the solver's error by
evaluating the LP's greedy policy exactly (one policy-iteration step).

References
----------
F. d'Epenoux, "A probabilistic production and inventory problem", *Management Science*
10(1), 1963 (French original 1960).
A. S. Manne, "Linear programming and sequential decisions", *Management Science* 6(3),
1960.
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, section 6.9.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from rlcore.bellman import resolvent_bounds
from rlcore.evaluation import evaluate_policy
from rlcore.mdp import FiniteMDP
from rlcore.validation import (
    MAX_ITERATIONS,
    Array,
    Bool,
    Instance,
    Integer,
    InvalidParameterError,
    Unchecked,
    validate_params,
)
from tabular.certify import Certificate, _backup, _certificate
from tabular.value_iteration import DISCOUNTED, EPSILON
from tabular.result import PlanningResult

__all__ = ["LPResult", "linear_programming"]

_EPS = float(np.finfo(np.float64).eps)

#: With HiGHS and no algorithm chosen by the user, LPs with more than this many
#: state-action pairs are solved by HiGHS's interior-point method without crossover:
#: on random MDPs (S = 500..2000, A = 4..8, gamma = 0.99..0.999) it was 3 to 20 times
#: faster than the simplex method HiGHS picks by default, with certified bounds within
#: a factor of 10 of the simplex's (either way).
#: Smaller LPs use HiGHS's default (dual simplex), whose basic solution makes the
#: occupancy that of a deterministic policy.
_HIGHS_IPM_MIN_PAIRS = 2000


@dataclass(frozen=True, repr=False, kw_only=True)
class LPResult(PlanningResult):
    """A :class:`~tabular.PlanningResult` plus the dual (occupancy-measure) solution.

    Everything a planner returns (``V``, ``Q``, ``policy``, ``converged``, the certified
    bounds, ...) is inherited unchanged, so an ``LPResult`` can be used wherever a
    ``PlanningResult`` is expected. ``iterations`` is the solver's iteration count
    (simplex or interior-point iterations, 0 when the solver does not report it).

    Attributes
    ----------
    occupancy : ndarray of shape (S, A)
        The dual solution ``d`` as returned by the solver (not post-processed): the
        discounted occupancy measure of an optimal policy from ``weights``, summing to
        ``sum(weights) / (1 - gamma)`` up to the solver's tolerance.
    dual_policy : ndarray of shape (S, A)
        ``pi(a|s) = max(d(s, a), 0) / sum_a' max(d(s, a'), 0)``: optimal on every state of
        positive occupancy, i.e. every state since ``weights > 0``. (A row whose
        occupancy is not positive, which only solver error can produce, gets the
        certified greedy action.)
    dual_policy_suboptimality_bound : float
        Certified ``max_s (V*(s) - V^dual_policy(s))``, from the Bellman backup of the
        primal ``V`` (see :func:`linear_programming`).
    weights : ndarray of shape (S,)
        The state weights ``mu > 0`` of the primal objective.
    objective : float
        The solver's optimal value ``mu^T V`` (as reported, uncertified).
    flow_residual : float
        ``max_s' |sum_a d(s', a) - gamma sum_{s,a} P(s'|s, a) d(s, a) - mu(s')|``, how far
        the returned ``d`` is from satisfying the dual constraints.
    solver : str
        The cvxpy solver that was used (e.g. ``"HIGHS"``).
    solver_status : str
        cvxpy's status string (``"optimal"``, ``"optimal_inaccurate"``, ``"user_limit"``,
        ...). ``converged`` is True only when it is ``"optimal"``.
    """

    occupancy: np.ndarray = field(repr=False)
    dual_policy: np.ndarray = field(repr=False)
    dual_policy_suboptimality_bound: float
    weights: np.ndarray = field(repr=False)
    objective: float
    flow_residual: float
    solver: str
    solver_status: str


def _default_weights(mdp: FiniteMDP) -> np.ndarray:
    init = np.asarray(mdp.initial, dtype=np.float64)
    return init.copy() if np.all(init > 0.0) else np.full(mdp.n_states, 1.0 / mdp.n_states)


def _check_solver(solver: Any) -> str:
    import cvxpy as cp

    installed = cp.installed_solvers()
    if solver is None:
        return "HIGHS" if "HIGHS" in installed else "CLARABEL"
    name = solver.upper()
    if name not in installed:
        raise InvalidParameterError(
            "solver", f"{solver!r} is not an installed cvxpy solver; installed: {sorted(installed)}"
        )
    return name


def _solver_options(name: str, n_pairs: int, options: dict[str, Any], max_iter: int | None = None) -> dict[str, Any]:
    """User options, the iteration limit in the solver's own words, and the size-dependent
    HiGHS algorithm unless the user chose one."""
    opts = dict(options)
    if max_iter is not None:
        if name == "HIGHS":
            highs = dict(opts.pop("highs_options", None) or {})
            highs.setdefault("simplex_iteration_limit", max_iter)
            highs.setdefault("ipm_iteration_limit", max_iter)
            opts["highs_options"] = highs
        elif name in ("SCS", "ECOS"):
            opts.setdefault("max_iters", max_iter)
        else:
            opts.setdefault("max_iter", max_iter)
    if name == "HIGHS" and n_pairs > _HIGHS_IPM_MIN_PAIRS:
        highs = dict(opts.pop("highs_options", None) or {})
        if "solver" not in highs and "solver" not in opts:
            highs["solver"] = "ipm"
            highs.setdefault("run_crossover", "off")
        opts["highs_options"] = highs
    return opts


def _constraint_matrix(mdp: FiniteMDP) -> sp.csr_array:
    """The ``(S*A, S)`` constraint matrix ``M = E - gamma P`` (sparse, never densified).

    Row ``s*A + a`` of ``M V`` is ``V(s) - gamma sum_s' P(s'|s, a) V(s')``.
    """
    S, A = mdp.n_states, mdp.n_actions
    rows = np.arange(S * A)
    E = sp.csr_array((np.ones(S * A), (rows, rows // A)), shape=(S * A, S))
    P = mdp.P if mdp.is_sparse else sp.csr_array(cast(np.ndarray, mdp.P).reshape(S * A, S))
    return sp.csr_array(E - float(mdp.gamma) * P)  # type: ignore[arg-type]


def _dual_policy(d: np.ndarray, greedy: np.ndarray) -> np.ndarray:
    S, A = d.shape
    pos = np.maximum(d, 0.0)
    tot = pos.sum(axis=1)
    pi = np.zeros((S, A))
    ok = tot > 0.0
    pi[ok] = pos[ok] / tot[ok, None]
    pi[~ok, greedy[~ok]] = 1.0
    return pi


def _policy_bound(mdp: FiniteMDP, cert: Certificate, pi: np.ndarray) -> float:
    """Certified ``max (V* - V^pi)`` for a stochastic ``pi`` from the backup of ``cert.V``.

    ``V^pi - V = (I - gamma P_pi)^{-1} (T^pi V - V) >= f(min(T^pi V - V))`` and
    ``V* - V <= upper_shift``, with ``f`` and the allowances of :mod:`tabular.certify`
    (the mixture over actions adds ``(A + 2) eps max|Q|`` of rounding).
    """
    rho_lo, rho_hi = mdp.row_sum_bounds
    k_lo, k_hi = resolvent_bounds(float(mdp.gamma), rho_lo, rho_hi)  # type: ignore[arg-type]
    delta_pi = np.einsum("sa,sa->s", pi, cert.Q) - cert.V
    d_min = float(delta_pi.min())
    mix = (mdp.n_actions + 2) * _EPS * float(np.max(np.abs(cert.Q))) + _EPS * abs(d_min)
    lo = d_min - cert.delta_allowance - mix
    y_lo = (lo * k_lo if lo >= 0.0 else lo * k_hi) * (1.0 - np.copysign(2.0 * _EPS, lo))
    return max(0.0, (cert.upper_shift - y_lo) * (1.0 + 4.0 * _EPS))


@validate_params(
    mdp=DISCOUNTED,
    weights=Array(ndim=1, shape=("mdp.n_states",), low=0.0, closed="neither") | None,
    solver=Instance(str, what="the name of an installed cvxpy solver") | None,
    epsilon=EPSILON,
    max_iter=Integer(1, MAX_ITERATIONS) | None,
    polish=Bool(),
    solver_options=Unchecked("passed to cvxpy.Problem.solve, which checks them"),
)
def linear_programming(
    mdp: FiniteMDP,
    *,
    weights: Any = None,
    solver: str | None = None,
    epsilon: float = 1e-6,
    max_iter: int | None = None,
    polish: bool = False,
    **solver_options: Any,
) -> LPResult:
    """Solve a discounted MDP by linear programming, with the dual occupancy measure.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted, dense or sparse (a sparse ``P`` stays sparse throughout).
    weights : array_like of shape (S,), optional
        State weights ``mu > 0`` of the primal objective ``mu^T V``. Default
        ``mdp.initial`` if it is strictly positive, else uniform. ``V*`` does not
        depend on them; the occupancy measure is that of the initial distribution
        ``mu`` (it sums to ``sum(mu) / (1 - gamma)``).
    solver : str, optional
        Name of an installed cvxpy solver. Default ``"HIGHS"`` (an LP solver: dual
        simplex up to 2000 state-action pairs, interior point without crossover above,
        unless ``highs_options`` picks an algorithm), else ``"CLARABEL"``.
    epsilon : float
        Tolerance for ``converged``.
    max_iter : int, optional
        Iteration limit of the LP solver, translated to its own option
        (HiGHS: simplex and IPM iteration limits; CLARABEL, OSQP: ``max_iter``; SCS,
        ECOS: ``max_iters``). A solver stopped by it gives ``converged=False``.
    polish : bool
        If True, also evaluate the greedy policy of the LP's ``V`` exactly (a linear
        solve, :func:`rlcore.evaluate_policy`) and keep whichever of the two value
        functions has the tighter certificate. This removes the solver's tolerance from
        ``V`` (usually down to rounding error); the dual solution is unchanged.
    **solver_options
        Passed to ``cvxpy.Problem.solve`` (e.g. ``highs_options={"solver": "simplex"}``,
        ``verbose=True``).

    Returns
    -------
    LPResult
        A :class:`~tabular.PlanningResult` (``V`` is the centre of the certified
        bracket around the primal solution) with the dual solution: ``occupancy``,
        ``dual_policy`` and its certified ``dual_policy_suboptimality_bound``, plus
        ``solver``, ``solver_status``, ``objective`` and ``flow_residual``.

    Raises
    ------
    ValueError, TypeError
        Finite-horizon MDP, bad ``weights``, unknown ``solver``.
    RuntimeError
        The solver failed or returned no (finite) primal and dual solution; the LP of a
        valid MDP is always feasible and bounded, so an "infeasible" or "unbounded"
        status signals numerical trouble and is reported this way, never as a value.

    Guarantee
    ---------
    The primal LP's unique solution is ``V*`` and the dual's optimal solutions are the
    occupancy measures of optimal policies (Puterman 1994, Thm. 6.9.1 and section 6.9;
    d'Epenoux 1963). Whatever the solver returns, the reported bounds are certified by
    one Bellman backup of the primal ``V``, with ``delta = T V - V``:
    ``V_lower <= V* <= V_upper``, ``||V - V*||_inf <= value_bound`` and the greedy
    ``policy`` is ``suboptimality_bound``-optimal (Puterman 1994, Thm. 6.3.1 and
    section 6.6; see :func:`tabular.certify`). For the dual policy ``pi``,
    ``V* - V^pi <= y_hi - f(min(T^pi V - V))`` (same argument and notation, with
    ``V^pi - V = (I - gamma P_pi)^{-1} (T^pi V - V)``). ``converged`` is True only if the
    solver reports ``"optimal"`` and the certified bounds meet ``epsilon``. Tested by
    ``tests/tabular/test_lp.py::test_lp_agrees_with_policy_iteration_within_certified_bounds``,
    ``tests/tabular/test_lp.py::test_dual_is_the_occupancy_measure_of_an_optimal_policy``,
    ``tests/tabular/test_lp.py::test_certification_catches_a_solver_that_returns_a_wrong_value``
    and ``tests/tabular/test_lp.py::test_converged_needs_an_optimal_status``.

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore.generators import forest
    >>> res = linear_programming(forest(gamma=0.9))
    >>> res.converged, res.policy.tolist(), np.round(res.V, 3).tolist()
    (True, [0, 0, 0], [26.244, 29.484, 33.484])
    >>> round(float(res.occupancy.sum()), 6)     # sum(mu) / (1 - gamma)
    10.0
    """
    import cvxpy as cp

    eps = epsilon
    mu = _default_weights(mdp) if weights is None else weights
    name = _check_solver(solver)
    S, A = mdp.n_states, mdp.n_actions
    M = _constraint_matrix(mdp)
    r = np.ascontiguousarray(mdp.R, dtype=np.float64).reshape(S * A)

    V_var = cp.Variable(S)
    constraint = M @ V_var >= r
    problem = cp.Problem(cp.Minimize(mu @ V_var), [constraint])
    try:
        problem.solve(solver=name, **_solver_options(name, S * A, solver_options, max_iter))
    except cp.error.SolverError as exc:
        raise RuntimeError(
            f"linear_programming: the cvxpy solver {name} failed ({exc}); try another solver= or solver options"
        ) from exc
    status = str(problem.status)
    V = V_var.value
    d = constraint.dual_value
    if V is None or d is None or not (np.all(np.isfinite(V)) and np.all(np.isfinite(d))):
        raise RuntimeError(
            f"linear_programming: the cvxpy solver {name} returned status {status!r} without a finite "
            "primal and dual solution (the LP of a valid MDP is feasible and bounded, so this is a "
            "numerical failure); try another solver= or tighter solver options"
        )
    V = np.asarray(V, dtype=np.float64).reshape(S)
    d = np.asarray(d, dtype=np.float64).reshape(S * A)
    flow_residual = float(np.max(np.abs(M.T @ d - mu)))

    cert = _certificate(mdp, V, *_backup(mdp, V))
    method = f"linear_programming[{name}]"
    if polish:
        V_pol = evaluate_policy(mdp, cert.policy).V
        cert_pol = _certificate(mdp, V_pol, *_backup(mdp, V_pol))
        if cert_pol.centre_bound + cert_pol.suboptimality_bound <= cert.centre_bound + cert.suboptimality_bound:
            cert = cert_pol
            method = f"linear_programming[{name}, polished]"
    iters = getattr(problem.solver_stats, "num_iters", None)
    base = PlanningResult.from_certificate(
        cert,
        row_sums=mdp.row_sums,
        gamma=float(mdp.gamma),  # type: ignore[arg-type]
        centre=True,
        iterations=int(iters or 0),
        epsilon=eps,
        method=method,
    )
    occ = d.reshape(S, A)
    dual_pi = _dual_policy(occ, cert.policy)
    values = {f.name: getattr(base, f.name) for f in fields(PlanningResult)}
    values["converged"] = bool(base.converged and status == cp.OPTIMAL)
    return LPResult(
        **values,
        occupancy=occ,
        dual_policy=dual_pi,
        dual_policy_suboptimality_bound=float(_policy_bound(mdp, cert, dual_pi)),
        weights=mu,
        objective=float(problem.value),
        flow_residual=flow_residual,
        solver=name,
        solver_status=status,
    )
