"""One entry point that picks a sound planner for the MDP at hand."""

from __future__ import annotations

from typing import Any

from rlcore.mdp import FiniteMDP
from rlcore.validation import MDP, InvalidParameterTypeError, Options, Unchecked, validate_params
from tabular.finite_horizon import backward_induction
from tabular.lp import linear_programming
from tabular.policy_iteration import modified_policy_iteration, policy_iteration
from tabular.result import PlanningResult
from tabular.value_iteration import value_iteration

__all__ = ["solve"]

_METHODS = (
    "auto",
    "value_iteration",
    "gauss_seidel",
    "policy_iteration",
    "modified_policy_iteration",
    "linear_programming",
    "backward_induction",
)


@validate_params(
    mdp=MDP(),
    method=Options(*_METHODS),
    kwargs=Unchecked("forwarded to the chosen solver, which declares and checks its own parameters"),
)
def solve(mdp: FiniteMDP, method: str = "auto", **kwargs: Any) -> PlanningResult:
    """Solve a finite MDP with certified bounds.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
    method : str
        ``"auto"`` (default): backward induction under a finite horizon; otherwise
        modified policy iteration with ``m="auto"`` and the span stopping rule: each
        greedy policy is evaluated by cheap backups (one action per state) until the
        evaluation residual is small against the improvement that chose the policy,
        and to the target once the policy repeats (see
        :func:`tabular.modified_policy_iteration`). It needs only matrix-vector
        products (no factorisation, so it scales to sparse MDPs with millions of
        states); see ``benchmarks/bench_planning.py`` for its time to a certified
        ``1e-6``-optimal policy against QuantEcon's VI, PI and MPI. Pass
        ``arithmetic="mixed"`` to run its first steps on a float32 copy of a dense
        ``P`` (same certificate).
        Or one of ``"value_iteration"``, ``"gauss_seidel"``, ``"policy_iteration"``,
        ``"modified_policy_iteration"``, ``"linear_programming"`` (cvxpy; small MDPs),
        ``"backward_induction"``.
    **kwargs
        Passed to the chosen solver (e.g. ``epsilon``, ``max_iter``, ``progress``).
        Backward induction is exact and ignores ``epsilon``, ``max_iter`` and
        ``progress``; linear programming (one call of the LP solver, whose own log is
        ``verbose=True``) ignores ``progress``.

    Returns
    -------
    PlanningResult

    Guarantee
    ---------
    That of the chosen solver: the returned bounds are certified (see
    :func:`tabular.certify`); ``converged`` says whether they met ``epsilon``. Tested by
    ``tests/tabular/test_certify_oracle.py::test_planner_bounds_hold_exactly`` and
    ``tests/tabular/test_contract.py::test_planner_honours_the_contract`` (the contract
    suite, run on ``solve`` among the planners).

    Examples
    --------
    >>> from rlcore.generators import river_swim
    >>> res = solve(river_swim(gamma=0.95), epsilon=1e-8)
    >>> res.converged, res.policy.tolist()
    (True, [1, 1, 1, 1, 1, 1])
    """
    if method == "auto":
        if mdp.horizon is not None:
            method = "backward_induction"
        else:
            method = "modified_policy_iteration"
            kwargs.setdefault("m", "auto")
    if method == "backward_induction":
        # exact: a tolerance or an iteration budget has nothing to do, so they are accepted
        # (code that calls solve() alike for every MDP keeps working) and ignored
        extra = sorted(set(kwargs) - {"epsilon", "max_iter", "progress"})
        if extra:
            raise InvalidParameterTypeError(extra[0], "not an option of backward_induction (finite horizon, exact)")
        return backward_induction(mdp)
    if method == "value_iteration":
        return value_iteration(mdp, **kwargs)
    if method == "gauss_seidel":
        return value_iteration(mdp, variant="gauss-seidel", **kwargs)
    if method == "policy_iteration":
        return policy_iteration(mdp, **kwargs)
    if method == "linear_programming":
        kwargs.pop("progress", None)  # one solver call: nothing to count (the solver's log is verbose=True)
        return linear_programming(mdp, **kwargs)
    return modified_policy_iteration(mdp, **kwargs)
