"""The fluid (LP) relaxation of a budgeted restless bandit, and LP-priority policies.

Relax the per-step budget ``sum_i c(a_i(t)) <= B`` to its discounted average
(Whittle 1988). Writing ``x_i(s, a) = E[sum_t beta^t 1{s_i(t) = s, a_i(t) = a}]`` for the
discounted occupancy measure of arm ``i`` under any joint policy, the relaxed problem is
the linear programme

.. math::

   \\max_{x \\ge 0} \\sum_i \\sum_{s,a} r_i(s, a) x_i(s, a)
   \\quad\\text{s.t.}\\quad
   \\sum_a x_i(s', a) = \\mu_i(s') + \\beta \\sum_{s,a} P_i(s' \\mid s, a) x_i(s, a)
   \\;\\; \\forall i, s', \\qquad
   \\sum_i \\sum_{s,a} c(a) x_i(s, a) \\le \\frac{B}{1 - \\beta}.

Every feasible joint policy's occupancies satisfy these constraints (the flow equations
hold arm by arm, and summing the per-step budget with weights ``beta^t`` gives the last
one), so the optimal value of the LP is an **upper bound** on the optimal value of the
restless bandit started from the product of the ``mu_i``. Under the average-reward
criterion the flow equations lose ``mu`` and ``beta``, each ``x_i`` sums to one, and the
budget is ``B``; the LP bounds the optimal gain.

The Lagrange multiplier ``lam*`` of the budget constraint decouples the arms: each arm
then solves its own MDP with rewards ``r_i(s, a) - lam* c(a)``. The **LP-priority**
policy (:func:`lp_priority_policy`) ranks (arm, state) pairs by that MDP's advantage
of activating, ``Q_i(s, 1) - Q_i(s, 0)``, breaking the ties of the states the LP
randomises in (advantage 0) by the LP's active fraction
``x_i(s, 1) / (x_i(s, 0) + x_i(s, 1))``; it is the LP-index policy of Gast, Gaujal and
Yan (2023), asymptotically optimal as ``N`` grows under their non-degeneracy condition,
and it coincides with the Whittle policy for indexable arms when the LP is
non-degenerate.

References
----------
P. Whittle, Restless bandits: activity allocation in a changing world, *J. Appl.
Prob.* 25A, 1988. D. Bertsimas, J. Nino-Mora, Restless bandits, linear programming
relaxations, and a primal-dual index heuristic, *Operations Research* 48(1), 2000.
N. Gast, B. Gaujal, C. Yan, Linear program-based policies for restless bandits:
necessary and sufficient conditions for (exponentially fast) asymptotic optimality,
*Mathematics of Operations Research*, 2023.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from bandits.restless.model import RestlessProblem
from bandits.restless.policies import PriorityPolicy
from rlcore.results import Result
from rlcore.validation import (
    Instance,
    InvalidParameterError,
    Options,
    Real,
    validate_params,
)

__all__ = ["FluidLPResult", "fluid_lp", "lp_priority_policy"]


@dataclass(frozen=True, repr=False)
class FluidLPResult(Result):
    """Solution of the fluid relaxation (a :class:`rlcore.CertifiedResult`: ``value`` bounds the optimum).

    Attributes
    ----------
    value : float
        Optimal value of the LP: an upper bound on the optimal discounted value from the
        initial distribution (``criterion="discounted"``) or on the optimal gain.
    x : ndarray of shape (N, S, A)
        Optimal occupancy measures.
    multiplier : float
        ``lam* >= 0``, the dual variable of the budget constraint.
    criterion : str
    solver_status : str
    """

    value: float
    x: np.ndarray
    multiplier: float
    criterion: str
    solver_status: str

    def bounds(self) -> dict[str, float]:
        """The certified number: ``value``, an upper bound on the optimal value (or gain)."""
        return {"value": self.value}


_PROBLEM = Instance(RestlessProblem)


@validate_params(
    problem=_PROBLEM,
    criterion=Options("discounted", "average"),
    solver=Instance(str, what="a cvxpy solver name (str)") | None,
)
def fluid_lp(problem: RestlessProblem, *, criterion: str = "discounted", solver: str | None = None) -> FluidLPResult:
    """Solve the fluid LP relaxation of ``problem`` with cvxpy.

    Parameters
    ----------
    problem : RestlessProblem
        Any numbers of states and intervention levels; the budget is ``problem.budget``.
    criterion : {"discounted", "average"}
    solver : str, optional
        An installed cvxpy solver that handles linear programmes
        (``cvxpy.installed_solvers()``); default HiGHS when installed, else cvxpy's
        choice.

    Returns
    -------
    FluidLPResult

    Raises
    ------
    InvalidParameterError
        For a solver that is not installed. The LP itself is always feasible (the
        all-passive policy's occupancy measure satisfies every constraint, since
        ``costs[0] = 0`` and ``budget >= 0``) and bounded, so no input makes it
        infeasible.
    RuntimeError
        If the solver fails (a numerical failure, not a property of the input).

    Guarantee
    ---------
    ``value >= sup_pi E_mu[sum_t beta^t sum_i r_i]`` over all budget-feasible joint
    policies (the relaxation argument in the module docstring; Whittle 1988,
    Bertsimas and Nino-Mora 2000), up to the solver's tolerance.
    Tested by
    ``tests/bandits/test_restless.py::test_lp_bound_dominates_exact_optimum_and_policies``
    (against the exact joint MDP) and
    ``tests/bandits/test_restless.py::test_lp_bound_multi_level_and_average_reward``.

    Examples
    --------
    >>> from bandits.restless import RestlessArm
    >>> arm = RestlessArm.two_state([0.1, 0.7], [0.5, 0.9])
    >>> lp = fluid_lp(RestlessProblem(arm, budget=1, n_arms=2, gamma=0.9))
    >>> lp.x.shape, lp.value > 0
    ((2, 2, 2), True)
    """
    import cvxpy as cp

    installed = cp.installed_solvers()
    if solver is not None and solver.upper() not in installed:
        raise InvalidParameterError("solver", f"{solver!r} is not an installed cvxpy solver; installed: {installed}")
    N, S, A = problem.R.shape
    beta = problem.gamma if criterion == "discounted" else 1.0
    n = N * S * A
    # flow matrix: row (i, s'), column (i, s, a)
    blocks = []
    for i in range(N):
        Pi = problem.P[i].reshape(S * A, S)  # row s*A + a
        E = np.repeat(np.eye(S), A, axis=1)  # E[s', s*A + a] = 1{s == s'}
        blocks.append(sp.csr_array(E - beta * Pi.T))
    F = sp.block_diag(blocks, format="csr")
    x = cp.Variable(n, nonneg=True)
    r = problem.R.reshape(n)
    cost = np.tile(problem.costs, N * S)
    if criterion == "discounted":
        cons = [F @ x == problem.initial.reshape(N * S)]
        budget = problem.budget / (1.0 - beta)
    else:
        ones = sp.kron(sp.eye(N), np.ones((1, S * A)), format="csr")
        cons = [F @ x == 0, ones @ x == 1]
        budget = problem.budget
    bcon = cost @ x <= budget
    prob = cp.Problem(cp.Maximize(r @ x), cons + [bcon])
    kw: dict[str, Any] = {}
    if solver is not None:
        kw["solver"] = solver.upper()
    elif "HIGHS" in installed:
        kw["solver"] = "HIGHS"
    try:
        prob.solve(**kw)
    except cp.error.SolverError as exc:
        raise RuntimeError(f"fluid_lp: the LP solver {kw.get('solver', '(cvxpy default)')} failed: {exc}") from None
    if prob.status not in ("optimal", "optimal_inaccurate") or x.value is None:
        raise RuntimeError(f"fluid_lp: the LP solver returned status {prob.status!r}")
    dual = bcon.dual_value
    lam = float(max(0.0, float(np.asarray(dual).reshape(-1)[0]))) if dual is not None else 0.0
    xv = np.maximum(np.asarray(x.value, dtype=float), 0.0).reshape(N, S, A)
    return FluidLPResult(float(prob.value), xv, lam, criterion, str(prob.status))


@validate_params(problem=_PROBLEM, lp=Instance(FluidLPResult) | None, rtol=Real(0, 1e-3))
def lp_priority_policy(
    problem: RestlessProblem, lp: FluidLPResult | None = None, *, rtol: float = 1e-6
) -> PriorityPolicy:
    """The LP-priority (LP-index) policy for binary arms.

    Priorities are the advantages ``Q_i(s, 1) - Q_i(s, 0)`` of each arm's MDP with the
    activation cost charged at the LP's multiplier ``lam*`` (solved exactly with
    :func:`tabular.policy_iteration` for the discounted LP, with
    :func:`tabular.relative_value_iteration` for the average one). States of advantage
    0 at ``lam*`` (within ``rtol`` relative to the reward scale; this includes the
    states the LP randomises in, by complementary slackness, whose advantage is 0 only
    up to the solver's tolerance on ``lam*``) get the small positive priority
    ``1e-9 (1 + f)``, with ``f`` the LP's active fraction there: they rank below every
    state of positive advantage, above every state of negative advantage, and among
    themselves by ``f``. (Identical arms may receive asymmetric LP solutions, so ``f``
    only breaks ties.)

    Parameters
    ----------
    problem : RestlessProblem
        With binary arms.
    lp : FluidLPResult, optional
        Computed with :func:`fluid_lp` when omitted; its occupancies must have the
        problem's shape ``(N, S, 2)``.
    rtol : float in [0, 1e-3]

    Returns
    -------
    PriorityPolicy

    Examples
    --------
    >>> from bandits.restless import RestlessArm
    >>> arm = RestlessArm.two_state([0.1, 0.7], [0.5, 0.9])
    >>> prob = RestlessProblem(arm, budget=1, n_arms=4, gamma=0.9)
    >>> pol = lp_priority_policy(prob)
    >>> int(pol(np.array([[0, 0, 1, 1]]), 0, np.random.default_rng(0)).sum())
    1
    """
    from rlcore.mdp import FiniteMDP

    if problem.n_actions != 2:
        raise InvalidParameterError("problem", f"LP-priority needs binary arms, got n_actions={problem.n_actions}")
    if lp is not None and np.shape(lp.x) != problem.R.shape:
        raise InvalidParameterError(
            "lp",
            f"the LP's occupancies have shape {np.shape(lp.x)}, the problem {problem.R.shape}: "
            f"it was solved for another problem",
        )
    res = fluid_lp(problem) if lp is None else lp
    N, S, _ = problem.R.shape
    prio = np.empty((N, S))
    scale = max(1.0, res.multiplier, float(np.abs(problem.R).max()))
    cache: dict[bytes, np.ndarray] = {}
    for i in range(N):
        key = problem.P[i].tobytes() + problem.R[i].tobytes()
        if key not in cache:
            Rl = problem.R[i] - res.multiplier * problem.costs[None, :]
            if res.criterion == "discounted":
                from tabular.policy_iteration import policy_iteration

                Q = policy_iteration(FiniteMDP(problem.P[i], Rl, gamma=problem.gamma), epsilon=1e-12).Q
            else:
                from tabular.average_reward import relative_value_iteration

                Q = relative_value_iteration(FiniteMDP(problem.P[i], Rl, gamma=0.0), epsilon=1e-11).Q
            cache[key] = np.asarray(Q[:, 1] - Q[:, 0])
        adv = cache[key]
        tot = res.x[i].sum(axis=1)
        frac = np.divide(res.x[i, :, 1], tot, out=np.zeros(S), where=tot > 1e-12)
        # states the LP randomises in have advantage 0 at lam* (complementary slackness);
        # the solver's lam* is only accurate to its tolerance, so read them off the primal
        partial = (tot > 1e-9) & (frac > 1e-6) & (frac < 1.0 - 1e-6)
        zero = partial | (np.abs(adv) <= rtol * scale)
        prio[i] = np.where(zero, 1e-9 * (1.0 + frac), adv)
    return PriorityPolicy(problem, prio)
