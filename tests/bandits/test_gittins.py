"""Gittins indices: two exact algorithms against each other and against brute-force
enumeration of stopping sets; the Beta-Bernoulli calibration against the exact
algorithm on the same truncated chain; the index policy against the optimal policy of
the joint MDP solved by tabular.policy_iteration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bandits as b
import tabular
from bandits.stochastic.gittins import _bisect_index
from rlcore import FiniteMDP, evaluate_policy


def _random_arm(rng: np.random.Generator, S: int) -> tuple[np.ndarray, np.ndarray]:
    P = rng.random((S, S)) ** 3  # uneven rows
    P /= P.sum(axis=1, keepdims=True)
    return P, rng.random(S)


def _brute_force(P: np.ndarray, r: np.ndarray, beta: float) -> np.ndarray:
    """max over continuation sets C containing x of the reward rate until leaving C."""
    S = r.size
    out = np.full(S, -np.inf)
    for x in range(S):
        others = [y for y in range(S) if y != x]
        for k in range(len(others) + 1):
            for extra in itertools.combinations(others, k):
                C = np.array((x,) + extra)
                M = np.eye(C.size) - beta * P[np.ix_(C, C)]
                num = np.linalg.solve(M, r[C])[0]
                den = np.linalg.solve(M, np.ones(C.size))[0]
                out[x] = max(out[x], num / den)
    return out


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1), S=st.integers(1, 5), beta=st.sampled_from([0.0, 0.5, 0.9, 0.99]))
def test_largest_remaining_index_equals_brute_force(seed, S, beta):
    P, r = _random_arm(np.random.default_rng(seed), S)
    np.testing.assert_allclose(b.gittins_index(P, r, beta), _brute_force(P, r, beta), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.97])
def test_restart_in_state_agrees_with_largest_remaining(beta):
    for seed in range(3):
        P, r = _random_arm(np.random.default_rng(seed), 6)
        vwb = b.gittins_index(P, r, beta)
        kv = b.gittins_index(P, r, beta, method="restart")
        np.testing.assert_allclose(kv, vwb, rtol=1e-8, atol=1e-9)
        assert np.isclose(vwb.max(), r.max()) and np.all(vwb >= r - 1e-12)


def _truncated_beta_chain(a: float, bb: float, depth: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """States (i successes, j failures), i + j <= depth; depth-level states absorb."""
    states = [(i, k - i) for k in range(depth + 1) for i in range(k + 1)]
    pos = {s: n for n, s in enumerate(states)}
    S = len(states)
    P, r = np.zeros((S, S)), np.zeros(S)
    for (i, j), n in pos.items():
        p = (a + i) / (a + bb + i + j)
        r[n] = p
        if i + j == depth:
            P[n, n] = 1.0
        else:
            P[n, pos[(i + 1, j)]] = p
            P[n, pos[(i, j + 1)]] = 1.0 - p
    return P, r, pos


@pytest.mark.parametrize(("a", "bb", "beta"), [(1.0, 1.0, 0.9), (2.0, 5.0, 0.8), (0.5, 0.5, 0.7)])
def test_beta_calibration_equals_the_exact_index_of_the_truncated_chain(a, bb, beta):
    depth = 12
    P, r, pos = _truncated_beta_chain(a, bb, depth)
    exact = b.gittins_index(P, r, beta)
    for i, j in [(0, 0), (1, 0), (0, 2), (3, 4)]:
        cal = b.gittins_index_beta(a + i, bb + j, beta, depth=depth - i - j, epsilon=1e-11)
        assert cal == pytest.approx(exact[pos[(i, j)]], abs=1e-10)


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.95])
def test_beta_index_accuracy_statement(beta):
    # lower and upper truncations bracket the index; their gap is within the stated bound
    tol = 1e-9
    for a, bb in [(1.0, 1.0), (3.0, 2.0), (1.0, 9.0)]:
        depth = 40
        lo = _bisect_index(a, bb, beta, depth, tol, upper=False)
        hi = _bisect_index(a, bb, beta, depth, tol, upper=True)
        assert lo <= hi + tol
        assert hi - lo <= beta**depth / (1 - beta) + 2 * tol
        nu = b.gittins_index_beta(a, bb, beta, epsilon=1e-9)
        assert lo - tol <= nu <= hi + tol


def test_beta_index_properties():
    beta = 0.9
    nu = lambda a, bb: b.gittins_index_beta(a, bb, beta, epsilon=1e-7)  # noqa: E731
    # above the posterior mean (the value of information), below 1
    for a, bb in [(1, 1), (2, 1), (1, 5), (10, 10)]:
        assert a / (a + bb) < nu(a, bb) < 1
    # monotone in successes and failures
    assert nu(2, 1) > nu(1, 1) > nu(1, 2)
    # the exploration bonus shrinks as the posterior concentrates (same mean)
    assert nu(1, 1) - 0.5 > nu(5, 5) - 0.5 > nu(50, 50) - 0.5 > 0
    # larger discount, more weight on information
    assert b.gittins_index_beta(1, 1, 0.95, epsilon=1e-7) > nu(1, 1) > b.gittins_index_beta(1, 1, 0.5, epsilon=1e-7)


def _joint_mdp(arms, beta):
    """The bandit of independent Markov arms as one MDP: action k pulls arm k."""
    sizes = [r.size for _, r in arms]
    joint = list(itertools.product(*[range(s) for s in sizes]))
    pos = {s: n for n, s in enumerate(joint)}
    S, A = len(joint), len(arms)
    P, R = np.zeros((S, A, S)), np.zeros((S, A))
    for s, n in pos.items():
        for k, (Pk, rk) in enumerate(arms):
            R[n, k] = rk[s[k]]
            for y in range(sizes[k]):
                nxt = s[:k] + (y,) + s[k + 1 :]
                P[n, k, pos[nxt]] += Pk[s[k], y]
    return FiniteMDP(P, R, gamma=beta), joint


@pytest.mark.parametrize("beta", [0.7, 0.95])
def test_index_policy_is_optimal_in_the_joint_mdp(beta):
    rng = np.random.default_rng(7)
    myopic_gaps = []
    for _ in range(3):
        arms = [_random_arm(rng, 3), _random_arm(rng, 2), _random_arm(rng, 3)]
        mdp, joint = _joint_mdp(arms, beta)
        opt = tabular.policy_iteration(mdp, epsilon=1e-10)
        idx = [b.gittins_index(P, r, beta) for P, r in arms]
        policy = np.array([int(np.argmax([idx[k][s[k]] for k in range(3)])) for s in joint])
        V = evaluate_policy(mdp, policy).V
        np.testing.assert_allclose(V, opt.V, rtol=0, atol=1e-7)
        # the check has teeth: the myopic policy (largest immediate reward) is not optimal
        myopic = np.array([int(np.argmax([arms[k][1][s[k]] for k in range(3)])) for s in joint])
        myopic_gaps.append(float(np.max(opt.V - evaluate_policy(mdp, myopic).V)))
    assert max(myopic_gaps) > 1e-3


def test_gittins_policy_runs_and_learns():
    env = b.BernoulliBandit([0.2, 0.8])
    res = b.simulate(env, b.GittinsBeta(0.9, epsilon=1e-4), 120, 3, rng=0)
    assert res.counts[:, 1].mean() > 80


def test_gittins_invalid_input_names_the_argument():
    with pytest.raises(ValueError, match="P"):
        b.gittins_index([[0.5, 0.4], [0.0, 1.0]], [0.0, 1.0], 0.9)
    with pytest.raises(ValueError, match="r"):
        b.gittins_index(np.eye(2), [0.0, 1.0, 2.0], 0.9)
    with pytest.raises(ValueError, match="gamma"):
        b.gittins_index(np.eye(2), [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="method"):
        b.gittins_index(np.eye(2), [0.0, 1.0], 0.5, method="x")
    with pytest.raises(ValueError, match="a"):
        b.gittins_index_beta(0.0, 1.0, 0.9)
    with pytest.raises(ValueError, match="depth"):
        b.gittins_index_beta(1.0, 1.0, 0.9, depth=0)


@pytest.mark.parametrize(
    ("wins", "losses", "published"),
    [(0, 0, 0.7029), (1, 1, 0.6346), (2, 2, 0.6010), (9, 1, 0.8695)],
)
def test_beta_index_matches_the_published_table_at_discount_0_9(wins, losses, published):
    # Gittins' table of Bernoulli-arm indices for a uniform prior and discount 0.9
    # (state: wins - losses, posterior Beta(1 + wins, 1 + losses)), four decimals, as
    # reproduced in B. Christian and T. Griffiths, *Algorithms to Live By*, 2016,
    # chapter 2 (from Gittins, Glazebrook and Weber, *Multi-armed Bandit Allocation
    # Indices*). Rounding to 4 decimals allows 5e-5; the index is accurate to 1e-9.
    nu = b.gittins_index_beta(1 + wins, 1 + losses, 0.9, epsilon=1e-9)
    assert abs(nu - published) <= 5e-5 + 1e-9


# --------------------------------------------------- regression: bounded budgets, refused input
def test_tolerance_below_float_resolution_is_refused_not_a_hang():
    # used to bisect for ever: the interval [mean, 1] cannot shrink below 1e-17 in float64
    with pytest.raises(ValueError, match=r"^epsilon\b"):
        b.gittins_index_beta(1.0, 1.0, 0.9, epsilon=1e-17)
    for bad in (float("nan"), float("inf"), 0.0, 1.0):
        with pytest.raises(ValueError, match=r"^epsilon\b"):
            b.gittins_index_beta(1.0, 1.0, 0.9, epsilon=bad)
        with pytest.raises(ValueError, match=r"^epsilon\b"):
            b.GittinsBeta(0.9, epsilon=bad)  # was accepted unchecked (tol=nan)
    # the smallest accepted tolerance terminates, within the bisection's few dozen steps
    nu = b.gittins_index_beta(1.0, 1.0, 0.9, epsilon=1e-12)
    assert abs(nu - 0.7029) < 5e-5


def test_depth_has_an_upper_limit():
    with pytest.raises(ValueError, match=r"^depth\b"):
        b.gittins_index_beta(1.0, 1.0, 0.9, depth=10**9)  # used to run (almost) for ever
    with pytest.raises(TypeError, match=r"^depth\b"):
        b.gittins_index_beta(1.0, 1.0, 0.9, depth=True)
    with pytest.raises(TypeError, match=r"^depth\b"):
        b.gittins_index_beta(1.0, 1.0, 0.9, depth=5.0)


def test_discount_too_close_to_one_for_the_tolerance_is_refused():
    # the default depth grows like ln(tol) / ln(discount): 5e17 at 1 - 1e-16 (a MemoryError before)
    with pytest.raises(ValueError, match=r"^gamma\b"):
        b.gittins_index_beta(1.0, 1.0, 1.0 - 1e-16)
    with pytest.raises(ValueError, match=r"^gamma\b"):
        b.GittinsBeta(1.0 - 1e-16)
    # the same discount with an explicit (bounded) depth is fine
    assert 0.5 < b.gittins_index_beta(1.0, 1.0, 1.0 - 1e-16, depth=50) <= 1.0


def test_beta_parameters_are_bounded_and_typed():
    # a + b overflowed for a = b = 1e308 (the posterior mean came out 0, the index ~2e-9)
    with pytest.raises(ValueError, match=r"^a\b"):
        b.gittins_index_beta(1e308, 1e308, 0.9)
    with pytest.raises(TypeError, match=r"^b\b"):
        b.gittins_index_beta(1.0, "1", 0.9)
    assert b.gittins_index_beta(2.0**53, 1.0, 0.9) == pytest.approx(1.0)


def test_restart_method_names_the_discount_when_it_is_too_close_to_one():
    P = [[0.0, 1.0], [0.0, 1.0]]
    with pytest.raises(ValueError, match=r"^gamma\b"):
        b.gittins_index(P, [0.0, 1.0], 1.0 - 1e-16, method="restart")


@pytest.mark.slow
def test_gittins_beta_policy_is_bayes_optimal():
    # Two Bernoulli arms with uniform priors, discount 0.7: the Bayesian bandit is an MDP
    # on the posterior counts (s1, f1, s2, f2). Truncated after D = 24 pulls (value 0
    # beyond), its optimal value V_D and the value G_D of GittinsBeta's choices differ
    # from the untruncated V* and G by at most beta^(D - n) / (1 - beta) at a state
    # with n pulls, so Gittins' theorem (G = V*) gives V_D - G_D <= beta^(D - n) / (1 - beta)
    # (plus the index tolerance, 1e-7, and rounding). Checked at every state with n <= 4;
    # the check has teeth: the greedy policy (largest posterior mean) loses more than
    # ten times that allowance at some of those states.
    beta, D, tol = 0.7, 24, 1e-7
    pol = b.GittinsBeta(beta, epsilon=tol)
    idx = np.zeros((D + 1, D + 1))
    for s in range(D + 1):
        for f in range(D + 1 - s):
            idx[s, f] = pol._index(s, f)
    n = D + 2
    s1, f1, s2, f2 = np.meshgrid(*[np.arange(n)] * 4, indexing="ij")
    level = s1 + f1 + s2 + f2
    inside = level <= D
    p1 = (1.0 + s1) / (2.0 + s1 + f1)
    p2 = (1.0 + s2) / (2.0 + s2 + f2)

    def value(second: np.ndarray | None) -> np.ndarray:
        """Truncated values; ``second`` says where arm 2 is pulled (None: the optimum)."""
        V = np.zeros((n,) * 4)
        for L in range(D - 1, -1, -1):
            q1 = p1 * (1 + beta * np.roll(V, -1, 0)) + (1 - p1) * beta * np.roll(V, -1, 1)
            q2 = p2 * (1 + beta * np.roll(V, -1, 2)) + (1 - p2) * beta * np.roll(V, -1, 3)
            v = np.maximum(q1, q2) if second is None else np.where(second, q2, q1)
            V[level == L] = v[level == L]
        return V

    clip = lambda x: np.minimum(x, D)  # noqa: E731
    gittins = inside & (idx[clip(s2), clip(f2)] > idx[clip(s1), clip(f1)])  # ties: arm 1, as select() does
    V_opt, V_git, V_greedy = value(None), value(gittins), value(p2 > p1)
    # the table above is what GittinsBeta.select chooses
    pol.reset(2, 100)
    for state in [(0, 0, 0, 0), (2, 1, 0, 0), (0, 1, 1, 3), (3, 4, 5, 1), (1, 0, 0, 1)]:
        pol.successes[:] = state[0::2]
        pol.failures[:] = state[1::2]
        assert pol.select(1, np.random.default_rng(0)) == int(gittins[state])
    teeth = 0
    for L in range(5):
        allowance = beta ** (D - L) / (1 - beta) + 10 * tol
        at = level == L
        assert np.all(V_opt[at] - V_git[at] <= allowance), (L, float(np.max(V_opt[at] - V_git[at])))
        teeth += float(np.max(V_opt[at] - V_greedy[at])) > 10 * allowance
    assert teeth >= 3
