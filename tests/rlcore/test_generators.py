"""MDP generators against closed forms, brute-force enumeration of deterministic
policies, the papers' transition tables, and pymdptoolbox's forest example."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from mdptoolbox import example as mdptoolbox_example
from mdptoolbox import mdp as mdptoolbox_mdp
from scipy import stats

from rlcore import FiniteMDP, evaluate_policy
from rlcore.generators import (
    DEFAULT_GAMMA,
    chain,
    combination_lock,
    forest,
    gridworld,
    gridworld_from_map,
    random_mdp,
    river_swim,
)

UP, RIGHT, DOWN, LEFT = range(4)


# ---------------------------------------------------------------- helpers
def dense_P(mdp):
    """Dense transitions (S, A, S), or (H, S, A, S) when time-dependent."""
    S, A = mdp.n_states, mdp.n_actions
    if not mdp.is_sparse:
        return np.asarray(mdp.P)
    dense = mdp.P.toarray().reshape(-1, S, A, S)
    return dense if mdp.is_time_dependent else dense[0]


def all_deterministic_values(mdp):
    """V of every deterministic stationary policy (brute force), shape (A**S, S)."""
    S, A = mdp.n_states, mdp.n_actions
    pols = np.array(list(itertools.product(range(A), repeat=S)), dtype=np.int64)
    V = np.array([evaluate_policy(mdp, pi).V for pi in pols])
    return pols, V


def batched_values(P, R, gamma):
    """Independent brute force: solve (I - gamma P_pi) V = r_pi for all deterministic
    policies at once with NumPy (no rlcore code)."""
    S, A, _ = P.shape
    pols = np.array(list(itertools.product(range(A), repeat=S)), dtype=np.int64)
    rows = np.arange(S)
    P_pi = P[rows[None, :], pols]  # (N, S, S)
    r_pi = R[rows[None, :], pols]  # (N, S)
    V = np.linalg.solve(np.eye(S)[None] - gamma * P_pi, r_pi[..., None])[..., 0]
    return pols, V


def manhattan_free_distances(lines, goal):
    """Breadth-first shortest-path distances to ``goal`` on the map (independent of P)."""
    H, W = len(lines), len(lines[0])
    dist = {goal: 0}
    frontier = [goal]
    while frontier:
        nxt = []
        for r, c in frontier:
            for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < H and 0 <= cc < W and lines[rr][cc] != "#" and (rr, cc) not in dist:
                    dist[(rr, cc)] = dist[(r, c)] + 1
                    nxt.append((rr, cc))
        frontier = nxt
    cells = [(r, c) for r in range(H) for c in range(W) if lines[r][c] != "#"]
    return np.array([dist[cell] for cell in cells]), cells


# ---------------------------------------------------------------- the criterion
GENERATORS = {
    "random_mdp": lambda **kw: random_mdp(4, 2, rng=0, **kw),
    "gridworld": lambda **kw: gridworld(2, 2, **kw),
    "gridworld_from_map": lambda **kw: gridworld_from_map(["S.", ".G"], **kw),
    "river_swim": lambda **kw: river_swim(**kw),
    "chain": lambda **kw: chain(**kw),
    "forest": lambda **kw: forest(**kw),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_criterion_defaults_and_errors(name):
    make = GENERATORS[name]
    assert make().gamma == DEFAULT_GAMMA and make().horizon is None
    m = make(gamma=0.5)
    assert m.gamma == 0.5 and m.horizon is None
    m = make(horizon=7)
    assert m.horizon == 7 and m.gamma is None
    with pytest.raises(ValueError, match="gamma, horizon"):
        make(gamma=0.5, horizon=3)
    with pytest.raises(ValueError, match="gamma"):
        make(gamma=1.0)
    with pytest.raises(ValueError, match="horizon"):
        make(horizon=0)
    with pytest.raises(TypeError, match="horizon"):
        make(horizon=2.0)


# ---------------------------------------------------------------- random_mdp
@pytest.mark.parametrize("S,A,b", [(1, 1, None), (5, 3, None), (7, 2, 1), (20, 3, 4), (6, 2, 5), (6, 2, 6)])
@pytest.mark.parametrize("sparse", [False, True])
def test_random_mdp_shapes_rows_and_branching(S, A, b, sparse):
    mdp = random_mdp(S, A, branching=b, sparse=sparse, rng=1)
    assert isinstance(mdp, FiniteMDP) and mdp.is_sparse == sparse
    assert (mdp.n_states, mdp.n_actions) == (S, A)
    assert mdp.R.shape == (S, A) and mdp.R.dtype == np.float64
    assert np.all((mdp.R >= 0) & (mdp.R < 1))
    bb = S if b is None else b
    if sparse:
        assert mdp.P.shape == (S * A, S)
        assert np.all(np.diff(mdp.P.indptr) == bb)
        assert np.all(mdp.P.data > 0)
        sums = np.asarray(mdp.P.sum(axis=1)).ravel()
    else:
        assert mdp.P.shape == (S, A, S) and mdp.P.dtype == np.float64
        assert np.all(np.count_nonzero(mdp.P, axis=2) == bb)
        assert np.all(mdp.P >= 0)
        sums = mdp.P.sum(axis=2)
    assert np.max(np.abs(sums - 1.0)) <= 1e-12


@pytest.mark.parametrize("b", [None, 3, 9])
def test_random_mdp_dense_and_sparse_agree_and_seeds(b):
    dense = random_mdp(10, 3, branching=b, rng=42)
    sparse = random_mdp(10, 3, branching=b, sparse=True, rng=42)
    np.testing.assert_array_equal(dense.P.reshape(30, 10), sparse.P.toarray())
    np.testing.assert_array_equal(dense.R, sparse.R)
    again = random_mdp(10, 3, branching=b, rng=np.random.default_rng(42))
    np.testing.assert_array_equal(dense.P, again.P)
    np.testing.assert_array_equal(dense.R, again.R)
    other = random_mdp(10, 3, branching=b, rng=43)
    assert not np.array_equal(dense.P, other.P)
    assert not np.array_equal(dense.R, other.R)


def test_random_mdp_large_sparse_is_exactly_b_per_row():
    mdp = random_mdp(20_000, 4, branching=5, sparse=True, rng=3)
    P = mdp.P
    assert P.shape == (80_000, 20_000) and P.nnz == 400_000
    assert np.all(np.diff(P.indptr) == 5)
    idx = P.indices.reshape(-1, 5)
    assert np.all(np.diff(idx, axis=1) > 0)  # distinct (and sorted) successors
    assert np.max(np.abs(np.asarray(P.sum(axis=1)).ravel() - 1.0)) <= 1e-12


@pytest.mark.parametrize("S,b", [(5, 2), (5, 4), (6, 3)])  # Floyd path, keys path, Floyd
def test_random_mdp_successor_sets_are_uniform(S, b):
    # Chi-square goodness of fit of the successor sets against the uniform law on
    # the C(S, b) subsets; fixed seed, failure budget p > 1e-4 (deterministic here).
    mdp = random_mdp(S, 2000, branching=b, sparse=True, rng=11)
    sets = [tuple(row) for row in mdp.P.indices.reshape(-1, b)]
    subsets = list(itertools.combinations(range(S), b))
    counts = np.array([sets.count(x) for x in subsets])
    assert counts.sum() == len(sets)
    assert stats.chisquare(counts).pvalue > 1e-4


@pytest.mark.parametrize("b", [2, 4])
def test_random_mdp_probabilities_are_dirichlet_one(b):
    # A coordinate of Dirichlet(1_b) is Beta(1, b - 1); KS test over fixed seeds,
    # failure budget p > 1e-4 (deterministic at these seeds).
    mdp = random_mdp(8, 500, branching=b, sparse=True, rng=5)
    first = mdp.P.data.reshape(-1, b)[:, 0]
    assert stats.kstest(first, stats.beta(1, b - 1).cdf).pvalue > 1e-4
    full = random_mdp(4, 1000, rng=6)  # dense Dirichlet over all 4 states
    assert stats.kstest(full.P[:, :, 2].ravel(), stats.beta(1, 3).cdf).pvalue > 1e-4


def test_random_mdp_rewards():
    normal = random_mdp(50, 40, reward="normal", rng=0)
    r = normal.R.ravel()
    assert abs(r.mean()) < 5 * 1 / np.sqrt(r.size) and abs(r.std() - 1) < 0.05
    assert r.min() < 0
    given = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(random_mdp(3, 2, reward=given, rng=0).R, given)
    # The reward draw comes after the transitions: the same P whatever the reward.
    np.testing.assert_array_equal(random_mdp(3, 2, reward=given, rng=0).P, random_mdp(3, 2, rng=0).P)
    td = np.ones((4, 3, 2))
    assert random_mdp(3, 2, reward=td, horizon=4, rng=0).R.shape == (4, 3, 2)


@pytest.mark.parametrize("sparse", [False, True])
def test_random_mdp_time_dependent(sparse):
    H, S, A, b = 3, 6, 2, 2
    mdp = random_mdp(S, A, branching=b, sparse=sparse, horizon=H, time_dependent=True, rng=9)
    assert mdp.is_time_dependent and mdp.horizon == H
    assert mdp.R.shape == (H, S, A)
    assert mdp.P.shape == ((H * S * A, S) if sparse else (H, S, A, S))
    Ps = [
        np.asarray(mdp.transitions_at(t).toarray() if sparse else mdp.transitions_at(t)).reshape(S * A, S)
        for t in range(H)
    ]
    for Pt in Ps:
        assert np.all(np.count_nonzero(Pt, axis=1) == b)
        assert np.max(np.abs(Pt.sum(axis=1) - 1.0)) <= 1e-12
    assert not np.array_equal(Ps[0], Ps[1]) and not np.array_equal(mdp.R[0], mdp.R[1])
    other = random_mdp(S, A, branching=b, sparse=not sparse, horizon=H, time_dependent=True, rng=9)
    np.testing.assert_array_equal(dense_P(mdp), dense_P(other))
    # Stationary finite-horizon MDP: no time axis.
    assert random_mdp(S, A, horizon=H, rng=0).P.shape == (S, A, S)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"n_states": 0}, ValueError, "n_states"),
        ({"n_states": 2.0}, TypeError, "n_states"),
        ({"n_actions": -1}, ValueError, "n_actions"),
        ({"branching": 0}, ValueError, "branching"),
        ({"branching": 5}, ValueError, "branching"),
        ({"branching": 1.5}, TypeError, "branching"),
        ({"sparse": 1}, TypeError, "sparse"),
        ({"reward": "beta"}, ValueError, "reward"),
        ({"reward": np.zeros((4, 3))}, ValueError, "reward"),
        ({"reward": np.full((4, 2), np.nan)}, ValueError, "reward"),
        ({"reward": object()}, TypeError, "reward"),
        ({"time_dependent": True}, ValueError, "time_dependent"),
        ({"time_dependent": "yes", "horizon": 2}, TypeError, "time_dependent"),
        ({"rng": -1}, ValueError, "rng"),
        ({"rng": "seed"}, TypeError, "rng"),
    ],
)
def test_random_mdp_validation(kwargs, exc, match):
    args = {"n_states": 4, "n_actions": 2, **kwargs}
    with pytest.raises(exc, match=match):
        random_mdp(args.pop("n_states"), args.pop("n_actions"), **args)


# ---------------------------------------------------------------- gridworld
def test_corridor_closed_form_with_slip():
    # 1 x 3 corridor S . G, policy "always right", slip s: hand-solved
    #   V0 = g (1-s) V1 + g s V0,  V1 = (1-s) + g (2s/3) V1 + g (s/3) V0.
    g, s = 0.9, 0.3
    mdp = gridworld(1, 3, slip=s, gamma=g)
    V = evaluate_policy(mdp, np.array([RIGHT] * 3)).V
    k = g * (1 - s) / (1 - g * s)  # V0 = k V1
    V1 = (1 - s) / (1 - g * 2 * s / 3 - g * s / 3 * k)
    np.testing.assert_allclose(V, [k * V1, V1, 0.0], rtol=1e-13)
    # Without slip the optimal values are gamma**(d - 1) for distance d (brute force).
    det = gridworld(1, 3, gamma=g)
    _, Vs = all_deterministic_values(det)
    np.testing.assert_allclose(Vs.max(axis=0), [g, 1.0, 0.0], rtol=1e-13)


def test_corridor_finite_horizon():
    mdp = gridworld(1, 3, horizon=2)
    V = evaluate_policy(mdp, np.array([RIGHT] * 3)).V
    np.testing.assert_allclose(V, [[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])


@pytest.mark.parametrize(
    "lines,step_reward",
    [(["S..", "..G"], 0.0), (["S.", "..", ".G"], -0.1), (["S#G", "..."], 0.0), (["S.#", "..G"], -1.0)],
)
def test_gridworld_optimal_values_are_shortest_path_discounting(lines, step_reward):
    g, rG = 0.8, 2.5
    mdp = gridworld_from_map(lines, gamma=g, goal_reward=rG, step_reward=step_reward)
    goal = next((r, c) for r, row in enumerate(lines) for c, ch in enumerate(row) if ch == "G")
    d, _ = manhattan_free_distances(lines, goal)
    closed = np.where(d > 0, step_reward * (1 - g**d) / (1 - g) + g ** np.maximum(d - 1, 0) * rG, 0.0)
    pols, V = all_deterministic_values(mdp)
    np.testing.assert_allclose(V.max(axis=0), closed, rtol=1e-12, atol=1e-12)
    # One policy attains the optimum in every state simultaneously.
    assert np.any(np.all(np.isclose(V, closed, rtol=1e-12, atol=1e-12), axis=1))


def test_gridworld_3x3_with_wall_and_slip_against_numpy_brute_force():
    g, slip = 0.9, 0.2
    mdp = gridworld(3, 3, walls=[(1, 1)], start=(0, 0), goal=(2, 2), slip=slip, gamma=g)
    assert mdp.n_states == 8
    _, V_np = batched_values(np.asarray(mdp.P), np.asarray(mdp.R), g)
    best = V_np.max(axis=0)
    # The map, the slip and the goal are symmetric under transposition (r, c) -> (c, r),
    # so the optimal values of mirrored cells agree.
    # states: (0,0)=0 (0,1)=1 (0,2)=2 (1,0)=3 (1,2)=4 (2,0)=5 (2,1)=6 (2,2)=7
    np.testing.assert_allclose(best[4], best[6], rtol=1e-12)
    np.testing.assert_allclose(best[1], best[3], rtol=1e-12)
    np.testing.assert_allclose(best[2], best[5], rtol=1e-12)
    assert best[7] == 0.0
    # Deterministic optimum equals the rlcore evaluation of the argmax policy.
    pols, _ = batched_values(np.asarray(mdp.P), np.asarray(mdp.R), g)
    i = int(np.argmax(V_np.sum(axis=1)))
    np.testing.assert_allclose(evaluate_policy(mdp, pols[i]).V, best, rtol=1e-12)
    # Slip-free version: gamma**(d - 1).
    det = gridworld(3, 3, walls=[(1, 1)], gamma=g)
    _, V_det = batched_values(np.asarray(det.P), np.asarray(det.R), g)
    d = np.array([4, 3, 2, 3, 1, 2, 1, 0])
    np.testing.assert_allclose(V_det.max(axis=0), np.where(d > 0, g ** np.maximum(d - 1, 0), 0.0), rtol=1e-12)


def test_gridworld_transition_table():
    # Map (states in row-major order skipping walls):
    #   S . #      0 1 -
    #   . . G      2 3 4
    s = 0.3
    mdp = gridworld_from_map(["S.#", "..G"], slip=s, step_reward=-0.5, goal_reward=2.0, gamma=0.9)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    assert P.shape == (5, 4, 5)
    # State 1 (row 0, col 1): up -> edge (stay), right -> wall (stay), down -> 3, left -> 0.
    np.testing.assert_allclose(P[1, UP], [s / 3, 1 - s + s / 3, 0, s / 3, 0])
    np.testing.assert_allclose(P[1, DOWN], [s / 3, 2 * s / 3, 0, 1 - s, 0])
    # State 3 (row 1, col 1): up -> 1, right -> G, down -> edge (stay), left -> 2.
    np.testing.assert_allclose(P[3, RIGHT], [0, s / 3, s / 3, s / 3, 1 - s])
    np.testing.assert_allclose(R[3, RIGHT], -0.5 + 2.0 * (1 - s))
    np.testing.assert_allclose(R[3, UP], -0.5 + 2.0 * s / 3)
    np.testing.assert_allclose(R[0], [-0.5] * 4)
    # Goal: absorbing, zero reward, terminal.
    np.testing.assert_array_equal(P[4], np.tile([0, 0, 0, 0, 1.0], (4, 1)))
    np.testing.assert_array_equal(R[4], 0.0)
    assert mdp.terminal.tolist() == [False, False, False, False, True]
    np.testing.assert_array_equal(mdp.initial, [1, 0, 0, 0, 0])
    assert np.max(np.abs(P.sum(axis=2) - 1)) <= 1e-12


def test_gridworld_equals_its_map_and_multiple_starts():
    a = gridworld(2, 3, walls=[(0, 2)], start=(1, 0), goal=(1, 2), slip=0.1, gamma=0.7)
    b = gridworld_from_map(["..#", "S.G"], slip=0.1, gamma=0.7)
    np.testing.assert_array_equal(a.P, b.P)
    np.testing.assert_array_equal(a.R, b.R)
    np.testing.assert_array_equal(a.initial, b.initial)
    two = gridworld_from_map(["S.S", "..G"])
    np.testing.assert_array_equal(two.initial, [0.5, 0, 0.5, 0, 0, 0])


@pytest.mark.parametrize(
    "lines,exc,match",
    [
        ("S.G", TypeError, "lines"),
        ([], ValueError, "lines"),
        (["S.", "G"], ValueError, "row 1"),
        (["S.x", "..G"], ValueError, "'x'"),
        (["...", "..G"], ValueError, "'S'"),
        (["S..", "..."], ValueError, "'G'"),
        ([b"S.G"], TypeError, r"^lines\[0\]: expected a str"),
    ],
)
def test_gridworld_from_map_validation(lines, exc, match):
    with pytest.raises(exc, match=match):
        gridworld_from_map(lines)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"height": 0}, ValueError, "height"),
        ({"start": (0, 5)}, ValueError, "start"),
        ({"goal": (0, 0)}, ValueError, "start, goal"),
        ({"walls": [(0, 0)]}, ValueError, "start"),
        ({"walls": [(1, 2)]}, ValueError, "goal"),
        ({"walls": [(0,)]}, ValueError, r"^walls\[0\]: expected 2 items"),
        ({"walls": 3}, TypeError, "walls"),
        ({"start": 0}, TypeError, "start"),
        ({"slip": 1.5}, ValueError, "slip"),
        ({"slip": np.nan}, ValueError, "slip"),
        ({"goal_reward": "1"}, TypeError, "goal_reward"),
        ({"step_reward": np.inf}, ValueError, "step_reward"),
    ],
)
def test_gridworld_validation(kwargs, exc, match):
    args = {"height": 2, "width": 3, **kwargs}
    with pytest.raises(exc, match=match):
        gridworld(args.pop("height"), args.pop("width"), **args)


# ---------------------------------------------------------------- river swim
def test_river_swim_matches_strehl_littman_figure():
    # Strehl and Littman (2008), Fig. 2 (0-based states): left is deterministic;
    # right: 0.7 stay / 0.3 advance at the left bank, 0.1 back / 0.6 stay / 0.3 advance
    # in the middle, 0.7 back / 0.3 stay (reward) at the right bank; start in {0, 1}.
    mdp = river_swim(gamma=0.9)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    assert P.shape == (6, 2, 6) and R.shape == (6, 2)
    for s in range(6):
        np.testing.assert_array_equal(P[s, 0], np.eye(6)[max(s - 1, 0)])
    np.testing.assert_allclose(P[0, 1], [0.7, 0.3, 0, 0, 0, 0], atol=1e-15)
    for s in range(1, 5):
        expected = np.zeros(6)
        expected[[s - 1, s, s + 1]] = [0.1, 0.6, 0.3]
        np.testing.assert_allclose(P[s, 1], expected, atol=1e-15)
    np.testing.assert_allclose(P[5, 1], [0, 0, 0, 0, 0.7, 0.3], atol=1e-15)
    expected_R = np.zeros((6, 2))
    expected_R[0, 0] = 5 / 1000
    expected_R[5, 1] = 0.3 * 1.0
    np.testing.assert_allclose(R, expected_R, rtol=1e-15)
    np.testing.assert_array_equal(mdp.initial, [0.5, 0.5, 0, 0, 0, 0])


def test_river_swim_paper_scale_and_optimal_policy():
    # With the paper's rewards (5 and 10000) swimming right is optimal everywhere
    # (brute force over all 2**6 deterministic policies).
    mdp = river_swim(small_reward=5.0, large_reward=10_000.0, gamma=0.95)
    assert mdp.R[5, 1] == pytest.approx(3000.0) and mdp.R[0, 0] == 5.0
    pols, V = all_deterministic_values(mdp)
    best = V.max(axis=0)
    winners = pols[np.all(np.isclose(V, best, rtol=1e-12), axis=1)]
    assert winners.tolist() == [[1] * 6]
    # Left forever from state 0 earns the small reward every step: 5 / (1 - gamma).
    np.testing.assert_allclose(evaluate_policy(mdp, np.zeros(6, dtype=int)).V[0], 5.0 / 0.05, rtol=1e-12)


def test_river_swim_sizes_and_validation():
    two = river_swim(2, horizon=3)
    np.testing.assert_allclose(np.asarray(two.P)[:, 1], [[0.7, 0.3], [0.7, 0.3]])
    big = river_swim(12, p_forward=0.35, p_backward=0.05)
    np.testing.assert_allclose(np.asarray(big.P)[5, 1, 4:7], [0.05, 0.6, 0.35])
    with pytest.raises(ValueError, match="n_states"):
        river_swim(1)
    with pytest.raises(ValueError, match="p_forward, p_backward"):
        river_swim(p_forward=0.6, p_backward=0.5)
    with pytest.raises(ValueError, match="p_backward"):
        river_swim(p_backward=-0.1)
    with pytest.raises(TypeError, match="large_reward"):
        river_swim(large_reward=None)


# ---------------------------------------------------------------- chain
def test_chain_matches_dearden_et_al():
    # Dearden, Friedman and Russell (1998), Fig. 1: action a (0) moves forward (reward 0,
    # 10 when staying at the end), action b (1) goes back to the start (reward 2); with
    # probability 0.2 the other action is executed.
    mdp = chain(gamma=0.99)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    assert P.shape == (5, 2, 5)
    for s in range(4):
        np.testing.assert_allclose(P[s, 0], 0.8 * np.eye(5)[s + 1] + 0.2 * np.eye(5)[0])
        np.testing.assert_allclose(P[s, 1], 0.2 * np.eye(5)[s + 1] + 0.8 * np.eye(5)[0])
        np.testing.assert_allclose(R[s], [0.2 * 2, 0.8 * 2])
    np.testing.assert_allclose(P[4, 0], [0.2, 0, 0, 0, 0.8])
    np.testing.assert_allclose(P[4, 1], [0.8, 0, 0, 0, 0.2])
    np.testing.assert_allclose(R[4], [0.8 * 10 + 0.2 * 2, 0.8 * 2 + 0.2 * 10])
    np.testing.assert_array_equal(mdp.initial, [1, 0, 0, 0, 0])
    # Always forward is the unique optimal deterministic policy (Strens 2000).
    pols, V = all_deterministic_values(mdp)
    winners = pols[np.all(np.isclose(V, V.max(axis=0), rtol=1e-12), axis=1)]
    assert winners.tolist() == [[0] * 5]


def test_chain_without_slip_closed_form_and_validation():
    g = 0.9
    mdp = chain(3, slip=0.0, gamma=g)
    # Forward from 0: 0, 0, then 10 forever from state 2 -> g**2 * 10 / (1 - g).
    np.testing.assert_allclose(evaluate_policy(mdp, np.zeros(3, dtype=int)).V[0], g**2 * 10 / (1 - g), rtol=1e-12)
    # Back forever: 2 / (1 - g).
    np.testing.assert_allclose(evaluate_policy(mdp, np.ones(3, dtype=int)).V, 2 / (1 - g), rtol=1e-12)
    with pytest.raises(ValueError, match="n_states"):
        chain(1)
    with pytest.raises(ValueError, match="slip"):
        chain(slip=-0.2)
    with pytest.raises(TypeError, match="small_reward"):
        chain(small_reward=True)


# ---------------------------------------------------------------- combination lock
@pytest.mark.parametrize("H,A,seed", [(1, 3, 0), (3, 2, 1), (3, 3, 2), (4, 2, 3)])
def test_combination_lock_only_the_secret_pays(H, A, seed):
    mdp = combination_lock(H, A, rng=seed)
    S = H + 2
    assert (mdp.n_states, mdp.n_actions, mdp.horizon) == (S, A, H)
    P = np.asarray(mdp.P)
    secret = np.array([int(np.flatnonzero(P[t, :, t + 1] == 1.0)[0]) for t in range(H)])
    # Brute force over all A**H action choices on the good chain (other states' actions
    # are irrelevant: the dead and opened states are absorbing with zero reward).
    for combo in itertools.product(range(A), repeat=H):
        policy = np.zeros(S, dtype=np.int64)
        policy[:H] = combo
        v0 = evaluate_policy(mdp, policy).V[0, 0]
        assert v0 == (1.0 if np.array_equal(combo, secret) else 0.0)
    assert mdp.terminal.tolist() == [False] * H + [True, True]
    np.testing.assert_array_equal(mdp.initial, np.eye(S)[0])


def test_combination_lock_all_nonstationary_policies():
    # Every deterministic time-dependent policy (H, S) for H = 2, A = 2 (2**8 of them).
    H, A = 2, 2
    mdp = combination_lock(H, A, combination=[1, 0])
    S = H + 2
    paying = 0
    for flat in itertools.product(range(A), repeat=H * S):
        pi = np.array(flat, dtype=np.int64).reshape(H, S)
        v0 = evaluate_policy(mdp, pi).V[0, 0]
        opens = pi[0, 0] == 1 and pi[1, 1] == 0
        assert v0 == (1.0 if opens else 0.0)
        paying += opens
    assert paying == 2 ** (H * S - 2)


def test_combination_lock_randomness_and_validation():
    a = combination_lock(8, 4, rng=7)
    b = combination_lock(8, 4, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.P, b.P)
    secrets = {
        tuple(np.argmax(np.asarray(combination_lock(8, 4, rng=s).P)[np.arange(8), :, np.arange(1, 9)], axis=1))
        for s in range(5)
    }
    assert len(secrets) > 1
    assert combination_lock(2, 3, combination=[2, 1], reward=4.0).R[1, 1] == 4.0
    with pytest.raises(ValueError, match="combination"):
        combination_lock(2, 3, combination=[2, 3])
    with pytest.raises(ValueError, match="combination"):
        combination_lock(2, 3, combination=[2])
    with pytest.raises(TypeError, match="combination"):
        combination_lock(2, 3, combination=[0.0, 1.0])
    with pytest.raises(ValueError, match="horizon"):
        combination_lock(0)
    with pytest.raises(TypeError, match="n_actions"):
        combination_lock(3, 2.0)


# ---------------------------------------------------------------- forest vs pymdptoolbox
@pytest.mark.parametrize(
    "S,r1,r2,p", [(2, 4, 2, 0.1), (3, 4, 2, 0.1), (5, 1.5, 3.0, 0.25), (10, 7, 0.5, 0.0), (4, 2, 2, 1.0)]
)
def test_forest_equals_pymdptoolbox(S, r1, r2, p):
    P_ref, R_ref = mdptoolbox_example.forest(S=S, r1=r1, r2=r2, p=p)
    mdp = forest(S, r1, r2, p)
    np.testing.assert_array_equal(np.asarray(mdp.P).transpose(1, 0, 2), P_ref)
    np.testing.assert_array_equal(mdp.R, R_ref)


@pytest.mark.parametrize(
    "S,r1,r2,p,gamma", [(3, 4, 2, 0.1, 0.9), (4, 4, 2, 0.1, 0.96), (5, 1.5, 3.0, 0.25, 0.8), (2, 1, 5, 0.5, 0.5)]
)
def test_forest_pymdptoolbox_policy_iteration_and_brute_force(S, r1, r2, p, gamma):
    P_ref, R_ref = mdptoolbox_example.forest(S=S, r1=r1, r2=r2, p=p)
    pi_solver = mdptoolbox_mdp.PolicyIteration(P_ref, R_ref, gamma)
    pi_solver.run()
    policy = np.array(pi_solver.policy, dtype=np.int64)
    mdp = forest(S, r1, r2, p, gamma=gamma)
    V = evaluate_policy(mdp, policy).V
    np.testing.assert_allclose(V, np.array(pi_solver.V), rtol=1e-10)
    # Brute force over all 2**S deterministic policies: none beats it in any state.
    _, V_all = all_deterministic_values(mdp)
    assert np.all(V_all <= V + 1e-10 * (1 + np.abs(V)))


def test_forest_validation():
    with pytest.raises(ValueError, match="n_states"):
        forest(1)
    with pytest.raises(ValueError, match=r"^p: expected a real number in \[0, 1\]"):
        forest(p=1.1)
    with pytest.raises(ValueError, match="r1"):
        forest(r1=np.nan)
    with pytest.raises(TypeError, match="r2"):
        forest(r2="2")
    assert forest(3, horizon=4).horizon == 4


# ---------------------------------------------------------------- issue 17: bounded sizes
@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: random_mdp(10**5, 10**3, rng=0), r"^n_states: a random MDP .* more than the limit"),
        (lambda: random_mdp(10**6, 10**3, branching=2, sparse=True, rng=0), r"^n_states: "),
        (lambda: gridworld(10**5, 10**5), r"^height: a 100000 x 100000 gridworld"),
        (lambda: river_swim(10**6), r"^n_states: RiverSwim"),
        (lambda: chain(10**6), r"^n_states: "),
        (lambda: forest(10**6), r"^n_states: "),
        (lambda: combination_lock(10**5, 10), r"^horizon: a combination lock"),
        (lambda: combination_lock(10**6 + 1), r"^horizon: expected an integer in \[1, 1000000\]"),
    ],
)
def test_model_size_is_bounded_before_allocating(make, pattern):
    """These used to try to allocate terabytes (MemoryError, or a machine brought to its knees)."""
    with pytest.raises(ValueError, match=pattern):
        make()


def test_gridworld_reward_overflow_names_the_reward():
    """Used to fail inside FiniteMDP naming R, which is not a gridworld argument."""
    with pytest.raises(ValueError, match="^goal_reward: step_reward \\+ goal_reward overflows"):
        gridworld(1, 3, step_reward=1.5e308, goal_reward=1.5e308)
