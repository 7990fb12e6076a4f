"""The contract suite of :mod:`tabular.testing`, run over every planner of :mod:`tabular`.

Two halves:

* every planner (value iteration in both variants with both stopping rules, policy
  iteration, modified policy iteration with ``m`` in {0, 1, 5}, ``solve``, backward
  induction, and the LP / soft planners when they exist) passes every check that
  applies to it, one pytest test per (planner, check);
* deliberately broken solvers fail the check written for their defect, so that the
  suite is known to be able to fail. The first of them is the issue's example: value
  iteration that stops after five sweeps and claims convergence with a bound of 0.

The exact ``V*`` of every instance comes from :func:`tabular.testing.brute_force_solution`
(enumeration of deterministic policies, each evaluated by a linear solve), which
shares no code with the planners.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import itertools
import subprocess
import sys
import textwrap
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import tabular
from rlcore import FiniteMDP, bellman_optimality, greedy, q_from_v
from rlcore.generators import forest, random_mdp
from tabular.testing import (
    brute_force_solution,
    check_bounds_on_fixed_mdps,
    check_bounds_on_random_mdps,
    check_converged_means_epsilon,
    check_converges_on_small_mdps,
    check_deterministic,
    check_dense_sparse_agree,
    check_does_not_mutate_mdp,
    check_mdp_solver,
    check_policy_is_valid,
    check_rejects_non_mdp,
    check_result_interface,
    reference_mdps,
    solver_checks,
)

MAX_EXAMPLES = 10  # Hypothesis examples per randomised check and planner (test_planners draws more)


# ----------------------------------------------------------------------------- planners
def _optional(name: str) -> Any:
    """``tabular.<name>`` (or the function of that name in ``tabular.<name>`` / ``tabular.soft``), else None."""
    obj = getattr(tabular, name, None)
    if obj is not None and not callable(obj):  # a submodule of that name
        obj = getattr(obj, name, None)
    if obj is None:
        for modname in (f"tabular.{name}", "tabular.soft"):
            try:
                obj = getattr(importlib.import_module(modname), name, None)
            except ImportError:
                continue
            if obj is not None:
                break
    return obj if callable(obj) else None


_soft_vi = _optional("soft_value_iteration")
_lp = _optional("linear_programming")
_SOFT_BETA = 1e-3


def soft_value_iteration_as_hard_solver(mdp: Any) -> Any:
    """Soft VI at a small temperature, presented as an approximate solver of the hard problem.

    What soft VI certifies about ``V*``: its bracket of ``V_beta`` and
    ``V_beta <= V* <= V_beta + regularisation_gap_bound`` give
    ``V_lower <= V* <= V_upper + gap`` and ``|V - V*| <= value_bound + gap``. The
    greedy policy of ``Q_beta`` carries no hard suboptimality certificate, so the bound
    is infinite and ``converged`` False (an honest, if modest, claim).
    """
    from tabular.regularisation import regularisation_gap_bound

    res = _soft_vi(mdp, _SOFT_BETA)
    gap = regularisation_gap_bound(mdp, _SOFT_BETA)
    return SimpleNamespace(
        V=res.V,
        Q=res.Q,
        policy=res.greedy_policy,
        converged=False,
        value_bound=float(res.value_bound) + gap,
        suboptimality_bound=float("inf"),
        V_lower=res.V_lower,
        V_upper=res.V_upper + gap,
    )


P = functools.partial
#: (id, solver, options of the contract suite); None marks a planner not written yet.
PLANNERS: list[tuple[str, Any, dict[str, Any]]] = [
    ("value_iteration[jacobi,span]", P(tabular.value_iteration, variant="jacobi", stopping="span"), {}),
    ("value_iteration[jacobi,sup]", P(tabular.value_iteration, variant="jacobi", stopping="sup"), {}),
    ("value_iteration[gauss-seidel,span]", P(tabular.value_iteration, variant="gauss-seidel", stopping="span"), {}),
    ("value_iteration[gauss-seidel,sup]", P(tabular.value_iteration, variant="gauss-seidel", stopping="sup"), {}),
    ("policy_iteration", tabular.policy_iteration, {}),
    ("modified_policy_iteration[m=0]", P(tabular.modified_policy_iteration, m=0), {}),
    ("modified_policy_iteration[m=1]", P(tabular.modified_policy_iteration, m=1), {}),
    ("modified_policy_iteration[m=5]", P(tabular.modified_policy_iteration, m=5), {}),
    ("modified_policy_iteration[m=5,sup]", P(tabular.modified_policy_iteration, m=5, stopping="sup"), {}),
    ("solve", tabular.solve, {"finite_horizon": True}),
    ("solve[gauss_seidel]", P(tabular.solve, method="gauss_seidel"), {}),
    ("backward_induction", tabular.backward_induction, {"discounted": False, "finite_horizon": True}),
    # an LP solve through cvxpy costs ~100x a DP sweep on these sizes: fewer drawn instances
    ("linear_programming", _lp, {"max_examples": 5}),
    ("soft_value_iteration[beta=1e-3]", soft_value_iteration_as_hard_solver if _soft_vi else None, {}),
]


def _contract_cases() -> list[Any]:
    cases = []
    for pid, solver, options in PLANNERS:
        if solver is None:
            cases.append(pytest.param(None, id=pid, marks=pytest.mark.skip(reason=f"{pid} is not in tabular yet")))
            continue
        marks = [pytest.mark.slow] if pid == "linear_programming" else []
        for check_name, check in solver_checks(solver, name=pid, **{"max_examples": MAX_EXAMPLES, **options}):
            cases.append(pytest.param(check, id=f"{pid}-{check_name}", marks=marks))
    return cases


@pytest.mark.parametrize("check", _contract_cases())
def test_planner_honours_the_contract(check):
    check()


def test_every_planner_gets_every_applicable_check():
    names = {pid: [n for n, _ in solver_checks(s, **o)] for pid, s, o in PLANNERS if s is not None}
    everything = [n for n, _ in solver_checks(tabular.value_iteration)]
    assert len(everything) == len(set(everything)) == 10
    for pid in ("value_iteration[jacobi,span]", "policy_iteration", "modified_policy_iteration[m=0]", "solve"):
        assert names[pid] == everything
    # backward induction takes no epsilon: the two epsilon checks do not apply
    assert names["backward_induction"] == [
        n for n in everything if n not in ("check_converged_means_epsilon", "check_converges_on_small_mdps")
    ]
    with pytest.raises(ValueError, match=r"^solver: check_converged_means_epsilon does not apply"):
        check_converged_means_epsilon(tabular.backward_induction, discounted=False, finite_horizon=True)
    with pytest.raises(ValueError, match=r"^solver: check_dense_sparse_agree does not apply"):
        check_dense_sparse_agree(tabular.value_iteration, sparse=False)


# ----------------------------------------------------------------------------- broken solvers
def _require_mdp(mdp: Any) -> None:
    if not isinstance(mdp, FiniteMDP):
        raise TypeError(f"mdp: expected a rlcore.FiniteMDP, got {type(mdp).__name__}")


def _sweeps(mdp: FiniteMDP, n: int) -> np.ndarray:
    V = np.zeros(mdp.n_states)
    for _ in range(n):
        V = bellman_optimality(mdp, V)
    return V


def five_sweeps(mdp: Any, *, epsilon: float = 1e-6) -> Any:
    """The issue's counter-example: five sweeps, then a claim of convergence with bound 0."""
    _require_mdp(mdp)
    V = _sweeps(mdp, 5)
    Q = q_from_v(mdp, V)
    return SimpleNamespace(V=V, Q=Q, policy=greedy(Q), converged=True, value_bound=0.0, suboptimality_bound=0.0)


def forgot_one_minus_gamma(mdp: Any, *, epsilon: float = 1e-6, max_iter: int = 100_000) -> Any:
    """Stops on the residual and reports it as the error bound, dropping the 1 / (1 - gamma)."""
    _require_mdp(mdp)
    V = np.zeros(mdp.n_states)
    for _ in range(max_iter):
        TV = bellman_optimality(mdp, V)
        residual = float(np.max(np.abs(TV - V)))
        V = TV
        if residual <= epsilon:
            break
    Q = q_from_v(mdp, V)
    return SimpleNamespace(
        V=V,
        Q=Q,
        policy=greedy(Q),
        converged=residual <= epsilon,
        value_bound=residual,
        suboptimality_bound=2.0 * residual,
    )


def _honest_sweeps(mdp: Any, n: int, converged: bool) -> Any:
    _require_mdp(mdp)
    c = tabular.certify(mdp, _sweeps(mdp, n))
    return SimpleNamespace(
        V=c.V,
        Q=c.Q,
        policy=c.policy,
        converged=converged,
        value_bound=c.sup_bound,
        suboptimality_bound=c.suboptimality_bound,
        V_lower=c.V_lower,
        V_upper=c.V_upper,
    )


def always_converged(mdp: Any, *, epsilon: float = 1e-6) -> Any:
    """Honest bounds of three sweeps, but ``converged=True`` whatever they are."""
    return _honest_sweeps(mdp, 3, converged=True)


def never_converges(mdp: Any, *, epsilon: float = 1e-6) -> Any:
    """Honest bounds of three sweeps, and honestly not converged: keeps its word, does not do its job."""
    return _honest_sweeps(mdp, 3, converged=False)


_calls = itertools.count()


def nondeterministic(mdp: Any) -> Any:
    """Correct, with honest bounds, but the answer moves by 1e-13 from call to call."""
    res = tabular.policy_iteration(mdp)
    shift = 1e-13 * (next(_calls) % 7)
    return dataclasses.replace(
        res,
        V=res.V + shift,
        Q=res.Q + shift,
        value_bound=res.value_bound + 1e-12,
        V_lower=res.V_lower - 1e-12,
        V_upper=res.V_upper + 1e-12,
    )


def float_policy(mdp: Any) -> Any:
    """Correct, but the policy is a float array."""
    res = tabular.policy_iteration(mdp)
    return dataclasses.replace(res, policy=res.policy.astype(np.float64))


def no_input_check(mdp: Any) -> Any:
    """Correct on MDPs, but a non-MDP dies with whatever error its first attribute access raises."""
    S = mdp.n_states  # AttributeError for a non-MDP
    return tabular.policy_iteration(mdp) if S else None


def misreads_sparse_rows(mdp: Any) -> Any:
    """Reads sparse ``P`` as rows ``a*S + s`` instead of ``s*A + a``, then solves that MDP exactly."""
    _require_mdp(mdp)
    if not mdp.is_sparse or mdp.horizon is not None:
        return tabular.policy_iteration(mdp)
    S, A = mdp.n_states, mdp.n_actions
    P = mdp.P.toarray().reshape(A, S, S).transpose(1, 0, 2)
    return tabular.policy_iteration(FiniteMDP(P, np.array(mdp.R), gamma=mdp.gamma))


def bracket_too_high(mdp: Any) -> Any:
    """Correct values and bounds, but a bracket ``[V + 1, V + 2]`` that misses ``V*``."""
    res = tabular.policy_iteration(mdp)
    return dataclasses.replace(res, V_lower=res.V + 1.0, V_upper=res.V + 2.0)


def nan_bound(mdp: Any) -> Any:
    """Correct values, but a NaN where the value bound should be."""
    return dataclasses.replace(tabular.policy_iteration(mdp), value_bound=float("nan"))


def rescales_rewards_in_place(mdp: Any) -> Any:
    """Rescales ``R`` into [-1, 1] in place (after unlocking it) 'for numerical stability'."""
    _require_mdp(mdp)
    R = mdp.R
    R.flags.writeable = True
    R /= max(1.0, float(np.max(np.abs(R))))
    R.flags.writeable = False
    return tabular.policy_iteration(mdp)


BROKEN = [
    # (solver, the check it must fail, start of the message)
    (five_sweeps, check_bounds_on_fixed_mdps, "max |V - V*| = "),
    (five_sweeps, check_bounds_on_random_mdps, "max |V - V*| = "),
    (five_sweeps, check_converged_means_epsilon, "max |V - V*| = "),
    (forgot_one_minus_gamma, check_bounds_on_fixed_mdps, "max |V - V*| = "),
    (always_converged, check_converged_means_epsilon, "converged=True but value_bound = "),
    (never_converges, check_converges_on_small_mdps, "converged=False"),
    (nondeterministic, check_deterministic, "a second call gave a different V, Q"),
    (float_policy, check_policy_is_valid, "result.policy has dtype float64"),
    (nan_bound, check_result_interface, "result.value_bound = nan, expected a non-negative number"),
    (no_input_check, check_rejects_non_mdp, ""),
    (misreads_sparse_rows, check_dense_sparse_agree, "dense and sparse layouts disagree"),
    (bracket_too_high, check_bounds_on_fixed_mdps, "V_lower exceeds V* by "),
    (rescales_rewards_in_place, check_does_not_mutate_mdp, "the MDP's R changed"),
]


@pytest.mark.parametrize(
    ("solver", "check", "message"), BROKEN, ids=[f"{s.__name__}-{c.__name__}" for s, c, _ in BROKEN]
)
def test_broken_solver_fails_its_check(solver, check, message):
    with pytest.raises(AssertionError) as info:
        check(solver, max_examples=MAX_EXAMPLES)
    text = str(info.value)
    # the message names the check and the solver, then (for instance checks) the instance
    assert text.startswith(f"{check.__name__}: solver {solver.__name__!r}")
    assert message in text
    if check is not check_rejects_non_mdp:
        assert " on " in text and ", called with {" in text
    if check is check_bounds_on_random_mdps:  # a drawn instance is written out in full
        assert "on a Hypothesis-drawn MDP FiniteMDP(" in text and "P=[[" in text and "R=[[" in text


def test_five_sweeps_fails_the_whole_suite_on_the_first_instance():
    with pytest.raises(AssertionError, match=r"^check_bounds_on_fixed_mdps: solver 'five_sweeps' on forest"):
        check_mdp_solver(five_sweeps, max_examples=MAX_EXAMPLES)


def test_never_converges_is_honest_elsewhere():
    """The honest-but-lazy solver passes every check except the one that asks for convergence."""
    for check_name, check in solver_checks(never_converges, max_examples=5):
        if check_name == "check_converges_on_small_mdps":
            continue
        check()


def test_the_issue_counter_example_is_off_by_a_lot():
    """On a random MDP with gamma = 0.99, five sweeps are far from V* (the issue saw 85)."""
    mdp = next(m for label, m in reference_mdps(sparse=False) if "gamma=0.99" in label)
    exact = brute_force_solution(mdp)
    err = float(np.max(np.abs(five_sweeps(mdp).V - exact.V)))
    assert err > 10.0


# ----------------------------------------------------------------------------- the suite's own API
def test_partial_solver_names_and_option_checks():
    with pytest.raises(TypeError, match=r"^solver: "):
        check_mdp_solver("value_iteration")
    with pytest.raises(ValueError, match=r"^rtol: "):
        check_mdp_solver(tabular.value_iteration, rtol=-1.0)
    with pytest.raises(TypeError, match=r"^max_examples: "):
        check_mdp_solver(tabular.value_iteration, max_examples=2.5)
    with pytest.raises(ValueError, match=r"^discounted: at least one kind of MDP"):
        check_mdp_solver(tabular.value_iteration, discounted=False)
    with pytest.raises(TypeError, match=r"^sparse: "):
        solver_checks(tabular.value_iteration, sparse="yes")  # refused by the call, before any check runs
    with pytest.raises(ValueError, match=r"^rtol: "):
        check_mdp_solver(tabular.value_iteration, rtol=float("nan"))
    with pytest.raises(ValueError, match=r"^max_examples: "):
        check_mdp_solver(tabular.value_iteration, max_examples=10**9)
    with pytest.raises(TypeError, match=r"^name: "):
        check_bounds_on_fixed_mdps(tabular.value_iteration, name=3)
    with pytest.raises(TypeError, match=r"^finite_horizon: "):
        reference_mdps(finite_horizon=1)
    (_, check), *_ = solver_checks(P(tabular.value_iteration, stopping="sup"))
    assert check.__name__ == "value_iteration(stopping='sup')"


def test_brute_force_solution_against_a_hand_computed_mdp():
    # two states; action 0 stays, action 1 switches; reward 1 only for staying in state 1:
    # V*(1) = 1 / (1 - g), V*(0) = g V*(1) (switch, then stay)
    g = 0.8
    Pm = np.zeros((2, 2, 2))
    Pm[0, 0, 0] = Pm[1, 0, 1] = Pm[0, 1, 1] = Pm[1, 1, 0] = 1.0
    mdp = FiniteMDP(Pm, [[0.0, 0.0], [1.0, 0.0]], gamma=g)
    sol = brute_force_solution(mdp)
    np.testing.assert_allclose(sol.V, [g / (1 - g), 1 / (1 - g)], rtol=1e-13)
    # Q*(s, a) = r(s, a) + g V*(next state)
    np.testing.assert_allclose(sol.Q, [[g * g / (1 - g), g / (1 - g)], [1 / (1 - g), g * g / (1 - g)]], rtol=1e-13)
    assert sol.n_policies == 4 and sol.error_bound < 1e-12
    with pytest.raises(ValueError, match=r"^max_policies: "):
        brute_force_solution(forest(3, gamma=0.9), max_policies=7)
    with pytest.raises(ValueError, match=r"^max_policies: "):  # bounded: an enumeration that never ends
        brute_force_solution(forest(3, gamma=0.9), max_policies=2**63)
    with pytest.raises(TypeError, match=r"^max_policies: "):
        brute_force_solution(forest(3, gamma=0.9), max_policies=4096.0)
    with pytest.raises(TypeError, match=r"^mdp: "):
        brute_force_solution((Pm, [[0.0, 0.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match=r"^max_policies: this MDP has A\^S = 2\^100 deterministic"):
        brute_force_solution(random_mdp(100, 2, gamma=0.9, rng=0))  # no 2**100-sized count is built


def test_reference_mdps_are_fresh_small_and_in_both_layouts():
    first = reference_mdps(finite_horizon=True)
    again = reference_mdps(finite_horizon=True)
    assert all(a is not b for (_, a), (_, b) in zip(first, again))
    assert sum(m.is_sparse for _, m in first) == sum(not m.is_sparse for _, m in first)
    for label, mdp in first:
        assert label.endswith("[sparse]") == mdp.is_sparse
        slots = mdp.n_states if mdp.horizon is None else mdp.n_states * mdp.horizon
        assert mdp.n_actions**slots <= 4096


def test_import_tabular_does_not_import_the_suite():
    code = textwrap.dedent(
        """
        import sys
        import tabular
        print(sorted(m for m in ("tabular.testing", "hypothesis", "rlcore.testing") if m in sys.modules))
        """
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
