"""The planners of :mod:`tabular` against the guarantees the issue says must hold.

Oracles, none of which is a tabular solver:

* the exact ``V*`` of tiny MDPs by enumeration of every deterministic stationary policy
  (discounted) or deterministic Markov policy (finite horizon), each evaluated by a
  linear solve / exact recursion (:func:`tabular.testing.brute_force_solution`, built
  on :func:`rlcore.evaluate_policy`);
* for MDPs too large to enumerate, the value of policy iteration's final policy by
  :func:`rlcore.evaluate_policy`, certified optimal by one backup of
  :func:`rlcore.bellman_optimality` (``||V* - V|| <= ||T V - V|| / (1 - gamma)``);
* the closed form of Puterman's Example 6.2.1, derived by hand below;
* the Bellman operator of :mod:`rlcore.bellman` for the backup kernel.

Agreement between the planners is checked too, but never instead of an oracle.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import tabular
from rlcore import FiniteMDP, bellman_optimality, evaluate_policy, greedy, q_from_v
from rlcore.generators import random_mdp, river_swim
from rlcore.testing import finite_mdps, value_functions
from tabular.testing import brute_force_solution

REL_TOL = 1e-9  # slack for floating-point rounding, relative to max(1, max|V*|)

VI_VARIANTS = [(v, s) for v in ("jacobi", "gauss-seidel") for s in ("span", "sup")]


# ----------------------------------------------------------------------------- helpers
def as_sparse(mdp: FiniteMDP) -> FiniteMDP:
    """The same MDP with ``P`` as a CSR matrix of shape (S*A, S) (or (H*S*A, S))."""
    P = sp.csr_array(np.asarray(mdp.P).reshape(-1, mdp.n_states))
    return FiniteMDP(
        P,
        np.array(mdp.R),
        gamma=mdp.gamma,
        horizon=mdp.horizon,
        initial=np.array(mdp.initial),
        terminal=np.array(mdp.terminal),
    )


def slack(V_star: np.ndarray) -> float:
    return REL_TOL * max(1.0, float(np.max(np.abs(V_star))))


def all_planners(epsilon: float, **extra) -> dict[str, object]:
    """Every discounted planner, run with the given epsilon (and e.g. max_iter)."""
    runs = {}
    for variant, stopping in VI_VARIANTS:
        runs[f"value_iteration[{variant},{stopping}]"] = lambda mdp, v=variant, s=stopping: tabular.value_iteration(
            mdp, epsilon=epsilon, variant=v, stopping=s, **extra
        )
    runs["policy_iteration"] = lambda mdp: tabular.policy_iteration(mdp, epsilon=epsilon, **extra)
    for m in (0, 1, 5):
        runs[f"modified_policy_iteration[m={m}]"] = lambda mdp, m=m: tabular.modified_policy_iteration(
            mdp, m=m, epsilon=epsilon, **extra
        )
    return runs


def assert_certified(res, mdp: FiniteMDP, V_star: np.ndarray, who: str, extra_slack: float = 0.0) -> None:
    """Every bound the result claims holds against the exact V*."""
    tol = slack(V_star) + extra_slack
    err = np.max(np.abs(res.V - V_star))
    assert err <= res.value_bound + tol, f"{who}: |V - V*| = {err:.3g} > value_bound {res.value_bound:.3g}"
    gap = np.max(V_star - evaluate_policy(mdp, res.policy).V)
    assert gap <= res.suboptimality_bound + tol, (
        f"{who}: policy {gap:.3g}-suboptimal > suboptimality_bound {res.suboptimality_bound:.3g}"
    )
    assert np.all(res.V_lower <= V_star + tol), f"{who}: V_lower > V*"
    assert np.all(V_star <= res.V_upper + tol), f"{who}: V_upper < V*"
    if res.converged:
        assert res.value_bound <= res.epsilon and res.suboptimality_bound <= res.epsilon, who


# ----------------------------------------------------------------------------- agreement on V*
@given(
    mdp=finite_mdps(n_states=st.integers(1, 4), n_actions=st.integers(1, 3), discounted=True, with_terminal=None),
    epsilon=st.sampled_from([1e-2, 1e-6]),
)
def test_planners_agree_on_v_star_within_their_certified_bounds(mdp, epsilon):
    """VI (both variants, both rules), PI and MPI: each within its bounds of the brute-force V*."""
    V_star = brute_force_solution(mdp).V
    results = {name: run(mdp) for name, run in all_planners(epsilon).items()}
    for name, res in results.items():
        assert res.converged, name  # tiny MDPs, default budgets
        assert_certified(res, mdp, V_star, name)
    names = list(results)
    for i, a in enumerate(names):  # pairwise: within the sum of the two bounds
        for b in names[i + 1 :]:
            ra, rb = results[a], results[b]
            assert np.max(np.abs(ra.V - rb.V)) <= ra.value_bound + rb.value_bound + 2 * slack(V_star), (a, b)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("seed", [0, 1])
def test_certified_bounds_hold_on_instances_too_large_to_enumerate(seed, sparse):
    """S = 40, A = 4, gamma = 0.99: 4^40 policies. The reference V* is PI's policy value,
    certified optimal by one backup of rlcore's Bellman operator."""
    mdp = random_mdp(40, 4, branching=6, sparse=sparse, gamma=0.99, rng=seed)
    pi_star = tabular.policy_iteration(mdp, epsilon=1e-10).policy
    V_ref = evaluate_policy(mdp, pi_star).V
    ref_err = np.max(np.abs(bellman_optimality(mdp, V_ref) - V_ref)) / (1 - mdp.gamma)  # ||V_ref - V*|| <=
    assert ref_err < 1e-8
    for epsilon, extra in ((1e-2, {}), (1e-6, {}), (1e-6, {"max_iter": 5})):
        for name, run in all_planners(epsilon, **extra).items():
            res = run(mdp)
            assert_certified(res, mdp, V_ref, f"{name} eps={epsilon} {extra}", extra_slack=ref_err)
            if not extra:
                assert res.converged, name


# ----------------------------------------------------------------------------- monotonicity
@given(
    mdp=finite_mdps(n_states=st.integers(1, 4), n_actions=st.integers(1, 3), discounted=True), worst_start=st.booleans()
)
def test_policy_iteration_improves_monotonically_and_terminates(mdp, worst_start):
    """V^{pi_{k+1}} >= V^{pi_k} (Puterman 1994, Prop. 6.4.1); at most A^S evaluations
    (no policy repeats), ending at V* (Thm. 6.4.2)."""
    exact = brute_force_solution(mdp)
    values = []
    policy0 = np.argmin(mdp.R, axis=1) if worst_start else None
    res = tabular.policy_iteration(mdp, policy0=policy0, callback=lambda it, V: values.append(np.array(V)))
    tol = slack(exact.V)
    assert res.converged and 1 <= res.iterations <= exact.n_policies
    assert len(values) == res.iterations
    for k in range(1, len(values)):
        assert np.all(values[k] >= values[k - 1] - tol), f"PI value decreased at iteration {k + 1}"
    np.testing.assert_allclose(values[-1], exact.V, rtol=0, atol=tol)
    np.testing.assert_allclose(evaluate_policy(mdp, res.policy).V, exact.V, rtol=0, atol=tol)


@given(
    mdp=finite_mdps(n_states=st.integers(1, 4), n_actions=st.integers(1, 3), discounted=True),
    m=st.sampled_from([0, 1, 5]),
)
def test_modified_policy_iteration_increases_monotonically_from_the_default_start(mdp, m):
    """From V0 = min R / (1 - gamma) (so T V0 >= V0) the iterates increase to V* and never
    pass it (Puterman 1994, Thm. 6.5.5)."""
    V_star = brute_force_solution(mdp).V
    V0 = np.full(mdp.n_states, mdp.R.min() / (1 - mdp.gamma))
    iterates = [V0]
    res = tabular.modified_policy_iteration(mdp, m=m, callback=lambda it, V: iterates.append(np.array(V)))
    tol = slack(V_star)
    assert res.converged
    for k in range(1, len(iterates)):
        assert np.all(iterates[k] >= iterates[k - 1] - tol), f"MPI iterate {k} decreased"
        assert np.all(iterates[k] <= V_star + tol), f"MPI iterate {k} exceeds V*"
    assert_certified(res, mdp, V_star, f"MPI m={m}")


# ----------------------------------------------------------------------------- the backup
@st.composite
def mdp_and_two_values(draw):
    mdp = draw(finite_mdps(discounted=True, reward_scale=st.sampled_from([1.0, 1e3])))
    return mdp, draw(value_functions(mdp)), draw(value_functions(mdp))


@given(case=mdp_and_two_values())
def test_bellman_backup_is_a_gamma_contraction_and_matches_rlcore(case):
    """||T V - T U||_inf <= gamma ||V - U||_inf (Puterman 1994, Prop. 6.2.4), dense and sparse."""
    mdp, V, U = case
    Q_v, TV, pi_v = tabular.bellman_backup(mdp, V)
    _, TU, _ = tabular.bellman_backup(mdp, U)
    scale = np.max(np.abs(mdp.R)) + np.max(np.abs(V)) + np.max(np.abs(U))
    rounding = 8 * (mdp.n_states + 2) * np.finfo(float).eps * scale
    assert np.max(np.abs(TV - TU)) <= mdp.gamma * np.max(np.abs(V - U)) + rounding
    # and it is the Bellman optimality operator: an independent implementation agrees
    np.testing.assert_allclose(Q_v, q_from_v(mdp, V), rtol=0, atol=rounding)
    np.testing.assert_allclose(TV, bellman_optimality(mdp, V), rtol=0, atol=rounding)
    np.testing.assert_array_equal(TV, Q_v[np.arange(mdp.n_states), pi_v])


# ----------------------------------------------------------------------------- finite horizon
def _check_backward_induction(mdp: FiniteMDP) -> None:
    exact = brute_force_solution(mdp)
    res = tabular.backward_induction(mdp)
    tol = slack(exact.V)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    assert res.V.shape == (H, S) and res.Q.shape == (H, S, A) and res.policy.shape == (H, S)
    assert res.converged
    np.testing.assert_allclose(res.V, exact.V, rtol=0, atol=tol)
    np.testing.assert_allclose(res.Q, exact.Q, rtol=0, atol=tol)
    # the returned time-dependent policy is optimal from every (t, s), not just on average
    np.testing.assert_allclose(evaluate_policy(mdp, res.policy).V, exact.V, rtol=0, atol=tol)
    assert np.all(res.V_lower <= exact.V + tol) and np.all(exact.V <= res.V_upper + tol)


@given(
    mdp=finite_mdps(
        n_states=st.integers(1, 3),
        n_actions=st.integers(1, 2),
        discounted=False,
        horizon=st.integers(1, 3),
        with_terminal=None,
    )
)
def test_backward_induction_equals_brute_force_over_markov_policies(mdp):
    """Dense and sparse, stationary and time-dependent P and R (Puterman 1994, Thm. 4.5.1)."""
    _check_backward_induction(mdp)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_backward_induction_on_a_time_dependent_mdp(sparse):
    """A fixed time-dependent instance with 3 actions (3^(2*3) = 729 Markov policies)."""
    mdp = random_mdp(2, 3, horizon=3, time_dependent=True, sparse=sparse, rng=11)
    assert mdp.is_time_dependent and mdp.is_sparse == sparse
    _check_backward_induction(mdp)


# ----------------------------------------------------------------------------- Puterman 6.2.1
def puterman_example(lam: float, sparse: bool = False) -> FiniteMDP:
    """Puterman (1994), section 3.1 / Example 6.2.1, with states s1 = 0, s2 = 1.

    s1: a11 (action 0) pays 5, stays with probability 0.5, moves to s2 with 0.5;
        a12 (action 1) pays 10, moves to s2.
    s2: a21 pays -1 and stays. Our MDPs have the same actions in every state, so s2
        gets a21 twice (actions 0 and 1, identical), which changes no value.
    """
    P = np.zeros((2, 2, 2))
    P[0, 0] = [0.5, 0.5]
    P[0, 1] = [0.0, 1.0]
    P[1, :] = [0.0, 1.0]
    R = np.array([[5.0, 10.0], [-1.0, -1.0]])
    mdp = FiniteMDP(P, R, gamma=lam)
    return as_sparse(mdp) if sparse else mdp


def puterman_closed_form(lam: float) -> tuple[np.ndarray, int]:
    """V* and the optimal action in s1 of Puterman's Example 6.2.1, solved by hand.

    s2 has one action, so V(s2) = -1 + lam V(s2), i.e. V*(s2) = -1 / (1 - lam).
    In s1 the two stationary choices give
      always a12: V(s1) = 10 + lam V*(s2) = 10 - lam / (1 - lam) = (10 - 11 lam) / (1 - lam);
      always a11: V(s1) = 5 + lam (V(s1) + V*(s2)) / 2, so
                  (1 - lam / 2) V(s1) = 5 - (lam / 2) / (1 - lam) = (5 - 5.5 lam) / (1 - lam),
                  V(s1) = (5 - 5.5 lam) / ((1 - lam)(1 - lam / 2)).
    A deterministic stationary optimal policy exists and the choice in s1 does not
    affect s2, so V*(s1) is the larger of the two (the other one then satisfies the
    Bellman inequality). For lam = 0.95: V*(s2) = -20; a11 gives
    (5 - 5.225) / (0.05 * 0.525) = -0.225 / 0.02625 = -60/7 = -8.5714...,
    a12 gives 10 - 19 = -9 < -60/7, so a11 is optimal and V* = (-60/7, -20), the
    values quoted by Puterman (and QuantEcon's test of this example).
    """
    v2 = -1.0 / (1.0 - lam)
    stay = (5.0 - 5.5 * lam) / ((1.0 - lam) * (1.0 - 0.5 * lam))
    move = (10.0 - 11.0 * lam) / (1.0 - lam)
    return np.array([max(stay, move), v2]), (0 if stay > move else 1)


def test_puterman_closed_form_at_095_is_minus_60_over_7():
    V, a = puterman_closed_form(0.95)
    np.testing.assert_allclose(V, [-60.0 / 7.0, -20.0], rtol=1e-14)
    assert a == 0


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("lam", [0.0, 0.5, 0.9, 0.95, 0.99])
def test_puterman_example_6_2_1_is_reproduced(lam, sparse):
    mdp = puterman_example(lam, sparse)
    V_star, a_star = puterman_closed_form(lam)
    for epsilon in (1e-3, 1e-8):
        for name, run in all_planners(epsilon).items():
            res = run(mdp)
            assert res.converged, name
            assert_certified(res, mdp, V_star, name)
            assert np.max(np.abs(res.V - V_star)) <= epsilon + slack(V_star), name
            assert res.policy[0] == a_star, name


@pytest.mark.parametrize("stopping", ["sup", "span"])
def test_puterman_example_value_iteration_bound_holds_at_every_iteration(stopping):
    """Jacobi VI's history: the bound it reports for iterate k holds for that iterate.

    Iterate 0 is the default V0 = min R / (1 - lam) = -20; iterate k >= 1 is passed to
    the callback. With the sup rule the bound is on the iterate itself; with the span
    rule it is on the centre of the certified bracket,
    V_k + (min delta + max delta) / (2 (1 - lam)), delta = T V_k - V_k (T from rlcore).
    The suboptimality bound is checked for the greedy policy of V_k.
    """
    lam = 0.95
    mdp = puterman_example(lam)
    V_star, _ = puterman_closed_form(lam)
    iterates = [np.full(2, -20.0)]
    res = tabular.value_iteration(
        mdp, epsilon=1e-10, stopping=stopping, callback=lambda it, V: iterates.append(np.array(V))
    )
    hist = res.history
    assert res.converged and len(hist["value_bound"]) == res.iterations == len(iterates)
    tol = slack(V_star)
    for k, V in enumerate(iterates):
        TV = bellman_optimality(mdp, V)
        delta = TV - V
        assert hist["residual"][k] == pytest.approx(np.max(np.abs(delta)), rel=1e-12, abs=1e-12)
        estimate = V if stopping == "sup" else V + (delta.min() + delta.max()) / (2 * (1 - lam))
        assert np.max(np.abs(estimate - V_star)) <= hist["value_bound"][k] + tol, k
        pi_k = greedy(q_from_v(mdp, V))
        assert np.max(V_star - evaluate_policy(mdp, pi_k).V) <= hist["suboptimality_bound"][k] + tol, k
    assert hist["value_bound"][0] > 1.0  # the first bounds are far from trivial to meet


def _jacobi_sweeps_needed(gamma: float, ratio: float) -> int:
    """Smallest ``j >= 0`` with ``gamma**j * ratio <= 1`` (``gamma = 0``: ``0**0 = 1``)."""
    if ratio <= 1.0:
        return 0
    if gamma == 0.0:
        return 1
    return int(np.ceil(np.log(ratio) / -np.log(gamma)))


@given(
    mdp=finite_mdps(n_states=st.integers(1, 6), n_actions=st.integers(1, 3), discounted=True),
    epsilon=st.sampled_from([1e-2, 1e-4, 1e-6]),
    stopping=st.sampled_from(["span", "sup"]),
)
def test_jacobi_value_iteration_meets_epsilon_within_the_stated_sweeps(mdp, epsilon, stopping):
    """The sweep count of value_iteration's Guarantee, against the brute-force V*.

    ``delta_j = T V_j - V_j`` contracts: ``sp(delta_j) <= gamma**j sp(delta_0)`` and
    ``||delta_j|| <= gamma**j ||delta_0||``, with ``sp(delta_0) <= (1 + gamma) sp(V0 - V*)``
    and ``||delta_0|| <= (1 + gamma) ||V0 - V*||``. The span rule stops once
    ``sp(delta) / (1 - gamma) <= epsilon``, the sup rule once ``2 ||delta|| / (1 - gamma)
    <= epsilon`` (the suboptimality bound is the larger), and iteration ``j + 1``
    certifies ``V_j``. The rows drawn here sum to 1 up to rounding, and the rounding
    allowance (below 1e-9 of epsilon here) gets a factor 2 of room.
    """
    g = float(mdp.gamma)
    V_star = brute_force_solution(mdp).V
    V0 = np.full(mdp.n_states, float(mdp.R.min()) / (1.0 - g))  # value_iteration's default start
    if stopping == "span":
        d, c = float(np.ptp(V0 - V_star)), 1.0
    else:
        d, c = float(np.max(np.abs(V0 - V_star))), 2.0
    stated = 1 + _jacobi_sweeps_needed(g, 2.0 * c * (1.0 + g) * d / (epsilon * (1.0 - g)))
    res = tabular.value_iteration(mdp, epsilon=epsilon, stopping=stopping)
    assert res.converged
    assert res.iterations <= stated, f"{res.iterations} sweeps, the Guarantee says at most {stated}"
    assert_certified(res, mdp, V_star, f"VI[jacobi,{stopping}] eps={epsilon}")


# ----------------------------------------------------------------------------- non-convergence
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize(("variant", "stopping"), VI_VARIANTS)
def test_value_iteration_out_of_budget_says_so_and_its_bounds_still_hold(variant, stopping, sparse):
    mdp = random_mdp(4, 3, gamma=0.99, sparse=sparse, rng=1)
    V_star = brute_force_solution(mdp).V
    res = tabular.value_iteration(mdp, max_iter=3, variant=variant, stopping=stopping)
    assert not res.converged
    assert res.value_bound > 1e-2 and res.suboptimality_bound >= 0.0
    assert_certified(res, mdp, V_star, f"VI[{variant},{stopping}] max_iter=3")
    # the honest answer is genuinely far off: the bound is not just pessimism
    assert np.max(np.abs(res.V - V_star)) > 1e-3


@pytest.mark.parametrize("max_iter", [1, 2, 3, 4])
def test_gauss_seidel_stays_within_its_budget(max_iter):
    mdp = random_mdp(4, 3, gamma=0.99, rng=1)
    res = tabular.value_iteration(mdp, max_iter=max_iter, variant="gauss-seidel")
    assert res.iterations <= max_iter


def test_other_planners_out_of_budget_keep_their_bounds():
    mdp = river_swim(6, gamma=0.99)
    V_star = brute_force_solution(mdp).V
    mpi = tabular.modified_policy_iteration(mdp, m=1, max_iter=3)
    assert not mpi.converged and mpi.iterations == 3
    assert_certified(mpi, mdp, V_star, "MPI max_iter=3")
    pi = tabular.policy_iteration(mdp, max_iter=1, policy0=np.zeros(6, dtype=np.int64))
    assert pi.iterations == 1
    assert_certified(pi, mdp, V_star, "PI max_iter=1")
    assert not pi.converged  # always-left is far from optimal on RiverSwim


# ----------------------------------------------------------------------------- corner cases
ALL_DISCOUNTED = {
    **{
        f"value_iteration[{v},{s}]": (lambda mdp, v=v, s=s: tabular.value_iteration(mdp, variant=v, stopping=s))
        for v, s in VI_VARIANTS
    },
    "policy_iteration": tabular.policy_iteration,
    **{
        f"modified_policy_iteration[m={m}]": (lambda mdp, m=m: tabular.modified_policy_iteration(mdp, m=m))
        for m in (0, 1, 5)
    },
    "solve": tabular.solve,
}


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("name", list(ALL_DISCOUNTED))
def test_gamma_zero_is_greedy_on_the_reward(name, sparse):
    R = np.array([[0.3, -1.0, 0.7], [2.0, 2.0, -3.0], [-0.5, -0.25, -0.75]])
    mdp = random_mdp(3, 3, reward=R, gamma=0.0, sparse=sparse, rng=2)
    res = ALL_DISCOUNTED[name](mdp)
    assert res.converged
    np.testing.assert_allclose(res.V, R.max(axis=1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.Q, R, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(res.policy, [2, 0, 1])  # ties to the lowest action


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.99])
@pytest.mark.parametrize("name", list(ALL_DISCOUNTED))
def test_one_state_one_action(name, gamma, sparse):
    mdp = FiniteMDP(np.ones((1, 1, 1)), [[-0.75]], gamma=gamma)
    mdp = as_sparse(mdp) if sparse else mdp
    res = ALL_DISCOUNTED[name](mdp)
    assert res.converged
    np.testing.assert_allclose(res.V, [-0.75 / (1 - gamma)], rtol=1e-12)
    np.testing.assert_array_equal(res.policy, [0])
    assert res.value_bound <= 1e-6 and res.suboptimality_bound <= 1e-6


def test_one_state_one_action_finite_horizon():
    mdp = FiniteMDP(np.ones((1, 1, 1)), [[2.5]], horizon=4)
    res = tabular.backward_induction(mdp)
    np.testing.assert_allclose(res.V[:, 0], [10.0, 7.5, 5.0, 2.5], rtol=1e-15)
    np.testing.assert_array_equal(res.policy, np.zeros((4, 1), dtype=np.int64))


# ----------------------------------------------------------------------------- solve
def test_solve_dispatches():
    fh = random_mdp(3, 2, horizon=3, time_dependent=True, rng=3)
    res = tabular.solve(fh)
    assert res.method == "backward_induction"
    np.testing.assert_array_equal(res.V, tabular.backward_induction(fh).V)
    np.testing.assert_allclose(res.V, brute_force_solution(fh).V, rtol=0, atol=1e-12)

    mdp = river_swim(6, gamma=0.95)
    assert tabular.solve(mdp).method.startswith("modified_policy_iteration")
    expected = {
        "value_iteration": "value_iteration[jacobi, span]",
        "gauss_seidel": "value_iteration[gauss-seidel, span]",
        "policy_iteration": "policy_iteration",
        "modified_policy_iteration": "modified_policy_iteration[m=20, span]",
    }
    V_star = brute_force_solution(mdp).V
    for method, label in expected.items():
        res = tabular.solve(mdp, method=method, epsilon=1e-8)
        assert res.method == label
        assert res.converged and np.max(np.abs(res.V - V_star)) <= 1e-8
    res = tabular.solve(mdp, method="modified_policy_iteration", m=3)
    assert res.method.startswith("modified_policy_iteration[m=3")


@pytest.mark.parametrize(
    ("method", "exc"), [("bogus", ValueError), ("VI", ValueError), ("", ValueError), (None, TypeError), (3, TypeError)]
)
def test_solve_validates_method(method, exc):
    with pytest.raises(exc, match=r"^method\b"):
        tabular.solve(river_swim(gamma=0.9), method=method)


def test_solve_rejects_what_the_method_cannot_do():
    with pytest.raises(TypeError, match=r"^mdp\b"):
        tabular.solve("river_swim")
    with pytest.raises(ValueError, match=r"^mdp\b"):
        tabular.solve(river_swim(gamma=0.9), method="backward_induction")
    with pytest.raises(ValueError, match=r"^mdp\b"):
        tabular.solve(river_swim(horizon=3), method="value_iteration")


# ----------------------------------------------------------------------------- argument errors
VI = tabular.value_iteration
PI = tabular.policy_iteration
MPI = tabular.modified_policy_iteration

BAD_ARGUMENTS = [
    *[(f, {"epsilon": e}, ValueError) for f in (VI, PI, MPI) for e in (0.0, -1e-3, float("nan"), float("inf"))],
    *[(f, {"epsilon": e}, TypeError) for f in (VI, PI, MPI) for e in ("1e-6", True, None, [1e-6])],
    *[(f, {"max_iter": n}, ValueError) for f in (VI, PI, MPI) for n in (0, -5)],
    *[(f, {"max_iter": n}, TypeError) for f in (VI, PI, MPI) for n in (2.5, "10", True, None)],
    *[(f, {"stopping": s}, ValueError) for f in (VI, MPI) for s in ("max", "SPAN")],
    *[(f, {"stopping": None}, TypeError) for f in (VI, MPI)],  # not a string: the wrong kind
    *[(VI, {"variant": v}, ValueError) for v in ("async", "gauss_seidel")],
    (VI, {"variant": None}, TypeError),
    *[(f, {"V0": v}, ValueError) for f in (VI, MPI) for v in (np.zeros(5), np.zeros((6, 1)), np.full(6, np.nan))],
    *[(f, {"V0": v}, TypeError) for f in (VI, MPI) for v in ("zeros", np.zeros(6, dtype=complex))],
    *[(MPI, {"m": m}, ValueError) for m in (-1, 10**6 + 1, 2**63, "5")],  # "5" is a string, but not 'auto'
    *[(MPI, {"m": m}, TypeError) for m in (1.5, True, None)],
    *[(PI, {"policy0": p}, ValueError) for p in (np.zeros(5, dtype=int), np.full(6, 2), np.zeros((2, 6), dtype=int))],
    (PI, {"policy0": np.zeros(6)}, TypeError),
    (VI, {"callback": 3}, TypeError),
]


@pytest.mark.parametrize(
    ("solver", "kwargs", "exception"),
    BAD_ARGUMENTS,
    ids=[f"{f.__name__}-{k}={v!r}"[:60] for f, kw, _ in BAD_ARGUMENTS for k, v in kw.items()],
)
def test_bad_arguments_are_named(solver, kwargs, exception):
    (argument,) = kwargs
    with pytest.raises(exception, match=rf"^{argument}\b"):
        solver(river_swim(6, gamma=0.9), **kwargs)


@pytest.mark.parametrize("solver", [PI, MPI], ids=["policy_iteration", "modified_policy_iteration"])
def test_non_callable_callback_is_named(solver):
    with pytest.raises(TypeError, match=r"^callback\b"):
        solver(river_swim(6, gamma=0.9), callback=3)


@pytest.mark.parametrize("solver", [VI, PI, MPI, tabular.backward_induction, tabular.solve])
def test_non_mdp_and_wrong_criterion(solver):
    with pytest.raises(TypeError, match=r"^mdp\b"):
        solver({"P": np.ones((1, 1, 1)), "R": [[0.0]]})
    wrong = river_swim(horizon=3) if solver is not tabular.backward_induction else river_swim(gamma=0.9)
    if solver is not tabular.solve:
        with pytest.raises(ValueError, match=r"^mdp\b"):
            solver(wrong)


def test_parallel_sparse_sweeps_give_identical_answers():
    """The threaded CSR sweep splits states across threads; each state's arithmetic is
    unchanged, so the results are bit-identical to the serial kernel's."""
    mdp = random_mdp(300, 3, branching=4, sparse=True, gamma=0.95, rng=7)
    V = np.linspace(-1.0, 1.0, mdp.n_states)
    for a, b in zip(tabular.bellman_backup(mdp, V), tabular.bellman_backup(mdp, V, parallel=True)):
        np.testing.assert_array_equal(a, b)
    for solver in (tabular.value_iteration, tabular.modified_policy_iteration):
        serial, threaded = solver(mdp), solver(mdp, parallel=True)
        np.testing.assert_array_equal(serial.V, threaded.V)
        assert serial.iterations == threaded.iterations
    with pytest.raises(TypeError, match="^parallel"):
        tabular.value_iteration(mdp, parallel="yes")
