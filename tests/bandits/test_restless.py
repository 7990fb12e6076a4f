"""Restless problems, policies and the fluid LP bound.

Independent sources: the exact joint MDP on tiny instances solved by
``tabular.policy_iteration`` (discounted) and ``tabular.relative_value_iteration``
(average reward); Monte Carlo values of every policy (within 4 standard errors plus the
truncation bias); the arms' transition matrices (empirical frequencies).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from bandits.restless import (
    fluid_lp,
    lp_priority_policy,
    whittle_index,
    PriorityPolicy,
    RestlessRandomPolicy,
    RestlessArm,
    RestlessProblem,
    evaluate_restless_policy,
    joint_mdp,
    myopic_policy,
    whittle_policy,
)
from tabular.average_reward import relative_value_iteration
from tabular.policy_iteration import policy_iteration


def _problem(seed: int, N: int = 3, S: int = 3, budget: float = 1, discount: float = 0.8) -> RestlessProblem:
    gen = np.random.default_rng(seed)
    return RestlessProblem([RestlessArm.random(S, rng=gen) for _ in range(N)], budget=budget, gamma=discount)


def test_simulator_shapes_determinism_and_budget() -> None:
    prob = _problem(0)
    s = prob.reset(5, rng=1)
    assert s.shape == (5, 3) and s.dtype == np.int64
    a = np.zeros((5, 3), dtype=np.int64)
    a[:, 0] = 1
    out1 = prob.step(s, a, rng=7)
    out2 = prob.step(s, a, rng=7)
    for x, y in zip(out1, out2):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_allclose(out1[1], prob.R[0, s[:, 0], 1] + prob.R[1, s[:, 1], 0] + prob.R[2, s[:, 2], 0])
    with pytest.raises(ValueError, match="budget"):
        prob.step(s, np.ones((5, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="shape"):
        prob.step(s, np.zeros((5, 2), dtype=np.int64))
    with pytest.raises(TypeError, match=r"^actions: expected an integer array"):
        prob.step(s, np.zeros((5, 3)))


def test_transition_frequencies_match_P() -> None:
    arm = RestlessArm.random(3, rng=4)
    prob = RestlessProblem(arm, budget=1, n_arms=1, gamma=0.5)
    n = 40_000
    s = np.full((n, 1), 2, dtype=np.int64)
    nxt, _, _ = prob.step(s, np.ones((n, 1), dtype=np.int64), rng=0)
    freq = np.bincount(nxt[:, 0], minlength=3) / n
    se = np.sqrt(arm.P[2, 1] * (1 - arm.P[2, 1]) / n)
    assert np.all(np.abs(freq - arm.P[2, 1]) <= 5 * se)  # 5 SE: failure prob < 1e-5


def test_validation() -> None:
    arm = RestlessArm.random(2, rng=0)
    with pytest.raises(ValueError, match="budget"):
        RestlessProblem(arm, budget=-1, n_arms=2)
    with pytest.raises(ValueError, match="costs"):
        RestlessProblem(arm, budget=1, n_arms=2, costs=[1.0, 1.0])
    with pytest.raises(ValueError, match="same"):
        RestlessProblem([arm, RestlessArm.random(3, rng=0)], budget=1)
    with pytest.raises(ValueError, match="sum to 1"):
        RestlessArm(np.full((2, 2, 2), 0.3), np.zeros((2, 2)))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_lp_bound_dominates_exact_optimum_and_policies(seed: int) -> None:
    prob = _problem(seed)
    lp = fluid_lp(prob)
    mdp, _, _ = joint_mdp(prob)
    v_star = float(mdp.initial @ policy_iteration(mdp, epsilon=1e-10).V)
    assert lp.value >= v_star - 1e-6
    W = np.stack([np.asarray(whittle_index(a, gamma=prob.gamma).index) for a in prob.arms])  # all indexable
    n_runs, g = 3000, prob.gamma
    T = math.ceil(math.log(1e-3 * (1 - g)) / math.log(g))
    trunc = g**T / (1 - g) * float(np.abs(prob.R).max()) * prob.n_arms
    policies: list[Any] = [
        whittle_policy(prob, W),
        lp_priority_policy(prob, lp),
        myopic_policy(prob),
        RestlessRandomPolicy(prob),
    ]
    for k, pol in enumerate(policies):
        m, se = evaluate_restless_policy(prob, pol, n_runs=n_runs, rng=100 + k)
        # every policy's value is <= V* <= LP bound; 4 SE (one-sided failure 3e-5 each)
        assert m <= v_star + 4 * se + trunc
        assert m <= lp.value + 4 * se + trunc


def test_lp_bound_multi_level_and_average_reward() -> None:
    gen = np.random.default_rng(11)
    arms = [RestlessArm.random(2, n_actions=3, rng=gen) for _ in range(3)]
    prob = RestlessProblem(arms, budget=2, costs=[0.0, 1.0, 2.0], gamma=0.9)
    mdp, _, actions = joint_mdp(prob)
    assert np.all(prob.costs[actions].sum(axis=1) <= 2)
    v_star = float(mdp.initial @ policy_iteration(mdp, epsilon=1e-10).V)
    assert fluid_lp(prob).value >= v_star - 1e-6
    # average reward: the LP bounds the optimal gain
    prob2 = _problem(5, discount=0.9)
    mdp2, _, _ = joint_mdp(prob2)
    gain = relative_value_iteration(mdp2, epsilon=1e-9)
    assert fluid_lp(prob2, criterion="average").value >= gain.gain_upper - 1e-6


def test_lp_is_tight_without_budget_pressure() -> None:
    # budget >= N: the arms decouple and the LP equals the exact optimum
    prob = _problem(7, N=2, budget=2)
    mdp, _, _ = joint_mdp(prob)
    v_star = float(mdp.initial @ policy_iteration(mdp, epsilon=1e-10).V)
    assert fluid_lp(prob).value == pytest.approx(v_star, abs=1e-6)


def test_priority_policies_respect_budget() -> None:
    prob = _problem(0, N=6, budget=2)
    gen = np.random.default_rng(0)
    s = prob.reset(50, gen)
    policies: list[Any] = [
        myopic_policy(prob),
        RestlessRandomPolicy(prob),
        PriorityPolicy(prob, np.ones(3), activate_nonpositive=True),
        lp_priority_policy(prob),
    ]
    for pol in policies:
        a = pol(s, 0, gen)
        assert a.shape == s.shape and np.all(a.sum(axis=1) <= 2)
    a = PriorityPolicy(prob, np.ones(3))(s, 0, gen)
    assert np.all(a.sum(axis=1) == 2)
    multi = RestlessProblem(RestlessArm.random(2, n_actions=3, rng=0), budget=3, n_arms=4)
    a = RestlessRandomPolicy(multi)(multi.reset(20, gen), 0, gen)
    assert np.all(multi.costs[a].sum(axis=1) <= 3)


def test_priority_policy_picks_largest() -> None:
    prob = _problem(0, N=4, budget=2)
    prio = np.array([[0.1, 0.5, 0.9]] * 4)
    s = np.array([[0, 1, 2, 2], [2, 1, 0, 0]])
    a = PriorityPolicy(prob, prio)(s, 0, np.random.default_rng(0))
    np.testing.assert_array_equal(a, [[0, 0, 1, 1], [1, 1, 0, 0]])


@pytest.mark.slow
def test_whittle_asymptotically_optimal() -> None:
    # Standard indexable two-state arm; budget fraction 0.3. The per-arm gap between the
    # LP bound and the Whittle policy's value shrinks as N grows (Weber-Weiss /
    # Gast-Gaujal-Yan); at N = 200 it is within 0.6% of the bound (measured 0.1%, standard error 0.1%).
    arm = RestlessArm.two_state([0.2, 0.6], [0.7, 0.95])
    W = whittle_index(arm, gamma=0.9).index
    gaps = []
    for N in (10, 200):
        prob = RestlessProblem(arm, budget=0.3 * N, n_arms=N, gamma=0.9, initial=[0.5, 0.5])
        lp = fluid_lp(prob)
        m, se = evaluate_restless_policy(prob, whittle_policy(prob, W), n_runs=400, rng=N)
        gaps.append((lp.value - m) / lp.value)
        assert m <= lp.value + 4 * se
    assert gaps[1] < gaps[0]
    assert gaps[1] < 0.006


# --------------------------------------------------- regression: refused input, no hang, no nan
def test_standard_error_needs_two_runs() -> None:
    prob = RestlessProblem(RestlessArm.two_state([0.1, 0.7], [0.5, 0.9]), budget=1, n_arms=2, gamma=0.5)
    with pytest.raises(ValueError, match=r"^n_runs\b"):  # used to return a nan standard error
        evaluate_restless_policy(prob, myopic_policy(prob), n_runs=1, rng=0)
    m, se = evaluate_restless_policy(prob, myopic_policy(prob), n_runs=2, rng=0)
    assert math.isfinite(m) and math.isfinite(se)


def test_default_horizon_too_long_is_refused_not_a_hang() -> None:
    prob = RestlessProblem(RestlessArm.two_state([0.1, 0.7], [0.5, 0.9]), budget=1, n_arms=2, gamma=0.5)
    with pytest.raises(ValueError, match=r"^gamma\b"):  # 4e17 steps before
        evaluate_restless_policy(prob, myopic_policy(prob), n_runs=2, gamma=1.0 - 1e-16, rng=0)
    slow = RestlessProblem(RestlessArm.two_state([0.1, 0.7], [0.5, 0.9]), budget=1, n_arms=2, gamma=1.0 - 1e-16)
    with pytest.raises(ValueError, match=r"^problem\b"):
        evaluate_restless_policy(slow, myopic_policy(slow), n_runs=2, rng=0)
    m, _ = evaluate_restless_policy(slow, myopic_policy(slow), n_runs=2, horizon=3, rng=0)
    assert math.isfinite(m)


def test_policy_returning_infeasible_actions_is_named() -> None:
    prob = RestlessProblem(RestlessArm.two_state([0.1, 0.7], [0.5, 0.9]), budget=1, n_arms=2, gamma=0.5)
    with pytest.raises(ValueError, match=r"^policy\b"):
        evaluate_restless_policy(prob, lambda s, t, rng: np.ones_like(s), n_runs=2, rng=0)


def test_joint_mdp_refuses_an_astronomical_action_set() -> None:
    # one state per arm keeps S^N = 1, but the 2^40 joint actions used to be enumerated for ever
    arm = RestlessArm(np.ones((1, 2, 1)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"^problem\b"):
        joint_mdp(RestlessProblem(arm, budget=1, n_arms=40))


def test_fluid_lp_solver_failure_and_unknown_solver(monkeypatch: Any) -> None:
    import cvxpy as cp

    prob = RestlessProblem(RestlessArm.two_state([0.1, 0.7], [0.5, 0.9]), budget=1, n_arms=2, gamma=0.5)
    with pytest.raises(ValueError, match=r"^solver\b"):  # cvxpy's SolverError escaped before
        fluid_lp(prob, solver="NO-SUCH-SOLVER")
    with pytest.raises(TypeError, match=r"^solver\b"):
        fluid_lp(prob, solver=1)

    def fail(self: Any, *args: Any, **kwargs: Any) -> None:
        raise cp.error.SolverError("simulated numerical failure")

    monkeypatch.setattr(cp.Problem, "solve", fail)
    with pytest.raises(RuntimeError, match="fluid_lp: the LP solver"):
        fluid_lp(prob)


def test_lp_priority_policy_refuses_an_lp_of_another_problem() -> None:
    arm = RestlessArm.two_state([0.1, 0.7], [0.5, 0.9])
    lp = fluid_lp(RestlessProblem(arm, budget=1, n_arms=3, gamma=0.5))
    with pytest.raises(ValueError, match=r"^lp\b"):
        lp_priority_policy(RestlessProblem(arm, budget=1, n_arms=2, gamma=0.5), lp)
    with pytest.raises(ValueError, match=r"^rtol\b"):
        lp_priority_policy(RestlessProblem(arm, budget=1, n_arms=3, gamma=0.5), lp, rtol=float("nan"))


def test_problem_arguments_are_typed() -> None:
    arm = RestlessArm.two_state([0.1, 0.7], [0.5, 0.9])
    with pytest.raises(TypeError, match=r"^budget\b"):
        RestlessProblem(arm, budget="1")
    with pytest.raises(TypeError, match=r"^n_arms\b"):
        RestlessProblem(arm, budget=1, n_arms=2.0)
    with pytest.raises(ValueError, match=r"^n_arms\b"):
        RestlessProblem([arm, arm], budget=1, n_arms=2)
    with pytest.raises(TypeError, match=r"^arms\b"):
        RestlessProblem([arm, "arm"], budget=1)
    with pytest.raises(ValueError, match=r"^initial\b"):
        RestlessProblem(arm, budget=1, n_arms=2, initial=[0.5, 0.4])
