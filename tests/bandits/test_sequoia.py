"""Coupled restless bandits, the MILP encoding of ReLU networks, SEQUOIA.

Independent sources: brute-force enumeration of the feasible actions (argmax of the
network over them, and the myopic objective), a DFS enumeration of the paths of a DAG,
the exact joint MDP of a tiny instance (tabular.policy_iteration).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from bandits.restless import (
    evaluate_restless_policy,
    QSamplingPolicy,
    relu_forward,
    relu_milp_argmax,
    ActionConstraints,
    CoupledMyopicPolicy,
    CoupledRandomPolicy,
    CoupledRestlessProblem,
    capacity_constraints,
    coupled_joint_mdp,
    multiple_interventions,
    path_constraints,
    scheduling_constraints,
)
from tabular.policy_iteration import policy_iteration

EDGES = [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (1, 4), (2, 5), (4, 5)]


def _all_constraints() -> list[ActionConstraints]:
    gen = np.random.default_rng(0)
    return [
        multiple_interventions(4, [1.0, 2.0], 3.0),
        path_constraints(6, EDGES, 0, 4),
        scheduling_constraints(gen.random((5, 3)) < 0.6, [1, 2, 1]),
        capacity_constraints(gen.random((5, 2)) < 0.7, [2, 1], 1),
    ]


def _random_layers(gen: np.random.Generator, d_in: int, widths: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    sizes = (d_in, *widths, 1)
    return [(gen.normal(size=(sizes[k + 1], sizes[k])), gen.normal(size=sizes[k + 1])) for k in range(len(sizes) - 1)]


@pytest.mark.parametrize("k", range(4))
def test_milp_returns_exact_argmax_over_feasible_actions(k: int) -> None:
    cons = _all_constraints()[k]
    feas = cons.enumerate()
    gen = np.random.default_rng(k)
    N, NJ = cons.n_arms, cons.G.shape[0]
    for widths in [(), (8,), (8, 6)]:
        for _ in range(4):
            layers = _random_layers(gen, N + NJ, widths)
            f = gen.integers(0, 2, N).astype(float)
            res = relu_milp_argmax(layers, f, cons)
            assert cons.is_feasible(res.action)
            q = relu_forward(layers, np.hstack([np.repeat(f[None], len(feas), 0), feas @ cons.G.T]))
            assert res.value == pytest.approx(q.max(), abs=1e-6)
            assert res.milp_value == pytest.approx(res.value, abs=1e-5)


def test_path_constraints_enumerate_exactly_the_paths() -> None:
    cons = path_constraints(6, EDGES, 0, 4)
    adj: dict[int, list[int]] = {i: [] for i in range(6)}
    for a, b in EDGES:
        adj[a].append(b)
    paths: set[tuple[int, ...]] = set()

    def dfs(path: list[int]) -> None:
        paths.add(tuple(sorted(path)))
        if len(path) < 4:
            for w in adj[path[-1]]:
                dfs(path + [w])

    dfs([0])
    # distinct paths may share a node set; compare the (node set, edge set) pairs
    got = {tuple(int(i) for i in np.flatnonzero(v[:6])) for v in cons.enumerate()}
    assert got == paths
    for v in cons.enumerate():
        nodes = np.flatnonzero(v[:6])
        used = [EDGES[e] for e in np.flatnonzero(v[6:])]
        assert len(used) == len(nodes) - 1 and all(a in nodes and b in nodes for a, b in used)


def test_scheduling_and_capacity_semantics() -> None:
    av = np.array([[1, 0], [1, 1], [0, 1]])
    cons = scheduling_constraints(av, [1, 1])
    brute = 0
    for assign in itertools.product([-1, 0, 1], repeat=3):  # slot per arm, -1 = none
        ok = all(s == -1 or av[i, s] for i, s in enumerate(assign))
        ok &= all(sum(1 for s in assign if s == k) <= 1 for k in range(2))
        brute += ok
    assert len(cons.enumerate()) == brute
    cap = capacity_constraints([[1, 1], [1, 0], [0, 1]], [1, 2], 1)
    u = cap.enumerate() @ cap.G.T
    # one facility open: either facility 0 (<= 1 of arms 0, 1) or facility 1 (<= 2 of arms 0, 2)
    assert u.sum(axis=1).max() == 2
    assert not any(r[1] and r[2] for r in u)


def test_coupled_simulator_and_validation() -> None:
    cons = multiple_interventions(3, [1.0, 1.0], 2.0)
    prob = CoupledRestlessProblem([[0.1, 0.5]] * 3, np.full((3, 2, 2), 0.5), cons, gamma=0.9)
    s = np.array([[0, 1, 0]])
    u = cons.interventions(np.array([[1, 1, 0, 0, 0, 0]]))
    np.testing.assert_allclose(prob.p_good(s, u), [[1 - 0.9 * 0.25, 0.5, 0.1]])
    with pytest.raises(ValueError, match="violates"):
        prob.step(s, np.array([[1, 1, 1, 0, 0, 0]]))
    with pytest.raises(ValueError, match="binary"):
        cons.is_feasible(np.array([2, 0, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="acyclic"):
        path_constraints(3, [(0, 1), (1, 2), (2, 0)], 0, 3)
    with pytest.raises(ValueError, match="effects"):
        CoupledRestlessProblem([[0.1, 0.5]] * 3, np.full((3, 2, 2), 1.5), cons)
    n = 20_000
    nxt, r, _ = prob.step(np.zeros((n, 3), dtype=np.int64), np.tile([1, 1, 0, 0, 0, 0], (n, 1)), rng=0)
    p = 1 - 0.9 * 0.25
    assert abs(nxt[:, 0].mean() - p) <= 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_array_equal(r, nxt.sum(axis=1))


def test_myopic_policy_maximises_expected_next_reward() -> None:
    gen = np.random.default_rng(1)
    cons = multiple_interventions(3, [1.0, 2.0], 3.0)
    prob = CoupledRestlessProblem(
        gen.uniform(0, 0.6, (3, 2)), gen.uniform(0, 1, (3, 2, 2)), cons, weights=gen.uniform(0.5, 2, 3)
    )
    feas = cons.enumerate()
    pol = CoupledMyopicPolicy(prob)
    for s in itertools.product((0, 1), repeat=3):
        sv = np.array(s)
        vals = [prob.p_good(sv[None], cons.interventions(v)[None])[0] @ prob.weights for v in feas]
        a = pol(sv[None], 0, gen)[0]
        got = prob.p_good(sv[None], cons.interventions(a)[None])[0] @ prob.weights
        assert got == pytest.approx(max(vals), abs=1e-7)


@pytest.mark.parametrize("k", range(4))
def test_baselines_are_feasible(k: int) -> None:
    cons = _all_constraints()[k]
    gen = np.random.default_rng(k)
    N = cons.n_arms
    prob = CoupledRestlessProblem(gen.uniform(0, 0.5, (N, 2)), gen.uniform(0, 1, (N, cons.n_levels, 2)), cons)
    s = prob.reset(6, gen)
    layers = _random_layers(gen, N + cons.G.shape[0], (5,))
    policies: list[Any] = [
        CoupledRandomPolicy(prob),
        CoupledRandomPolicy(prob, enumerate_up_to=0),
        CoupledMyopicPolicy(prob),
        QSamplingPolicy(prob, layers, n_samples=5),
    ]
    for pol in policies:
        a = pol(s, 0, gen)
        assert all(cons.is_feasible(row) for row in a)


def test_sequoia_actions_always_feasible_and_deterministic() -> None:
    pytest.importorskip("torch")
    from bandits.deep import sequoia

    cons = path_constraints(6, EDGES, 0, 3)
    gen = np.random.default_rng(2)
    prob = CoupledRestlessProblem(gen.uniform(0.1, 0.5, (6, 2)), gen.uniform(0.2, 0.9, (6, 2)), cons, gamma=0.9)
    # training raises if an infeasible action is ever applied (CoupledRestlessProblem.step)
    res = sequoia(prob, n_steps=60, hidden_sizes=(8,), batch_size=8, target_update_every=20, rng=0)
    res2 = sequoia(prob, n_steps=60, hidden_sizes=(8,), batch_size=8, target_update_every=20, rng=0)
    for (W1, b1), (W2, b2) in zip(res.layers, res2.layers):
        np.testing.assert_array_equal(W1, W2)
        np.testing.assert_array_equal(b1, b2)
    states = np.array(list(itertools.product((0, 1), repeat=6)))
    actions = res.policy(states, 0, gen)
    assert all(cons.is_feasible(a) for a in actions)
    # the policy's action is the network's argmax over the enumerated feasible actions
    feas = cons.enumerate()
    for s, a in zip(states[::7], actions[::7]):
        q = relu_forward(res.layers, np.hstack([np.repeat(s[None].astype(float), len(feas), 0), feas @ cons.G.T]))
        qa = relu_forward(res.layers, np.concatenate([s, cons.G @ a])[None].astype(float))[0]
        assert qa == pytest.approx(q.max(), abs=1e-6)


def test_sequoia_network_is_seeded_from_rng_and_leaves_torch_global_rng_alone() -> None:
    torch = pytest.importorskip("torch")
    from bandits.deep import sequoia
    from rlcore.deep import build_mlp

    cons = multiple_interventions(3, np.array([1.0]), 1.0)
    prob = CoupledRestlessProblem(np.array([[0.2, 0.6]] * 3), np.array([[0.5, 0.5]] * 3), cons, gamma=0.9)
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    # one step of a batch that never fills: no gradient step, the network is the initial one
    res = sequoia(prob, n_steps=1, hidden_sizes=(5,), batch_size=8, rng=7)
    assert torch.equal(torch.random.get_rng_state(), state)
    # the initial network is rlcore.deep.build_mlp's, drawn first from the generator of rng
    net = build_mlp((3 + 3, 5, 1), activation="relu", rng=np.random.default_rng(7))
    for (W, bias), lin in zip(res.layers, [m for m in net if hasattr(m, "weight")]):
        np.testing.assert_allclose(W, lin.weight.detach().double().numpy() * (1 if W.shape[0] > 1 else 3.0))
        np.testing.assert_allclose(bias, lin.bias.detach().double().numpy() * (1 if W.shape[0] > 1 else 3.0))


@pytest.mark.slow
def test_sequoia_learns_on_tiny_instance() -> None:
    # Exact optimum from the joint MDP; SEQUOIA after 600 steps beats random actions and
    # gets within 8% of the optimum (seeded; the MC standard errors are ~0.3).
    pytest.importorskip("torch")
    from bandits.deep import sequoia

    gen = np.random.default_rng(0)
    cons = multiple_interventions(4, [1.0, 2.0], 3.0)
    prob = CoupledRestlessProblem(gen.uniform(0.1, 0.5, (4, 2)), gen.uniform(0.2, 0.8, (4, 2, 2)), cons, gamma=0.9)
    mdp, _, _ = coupled_joint_mdp(prob)
    v_star = float(mdp.initial @ policy_iteration(mdp, epsilon=1e-10).V)
    res = sequoia(prob, n_steps=600, hidden_sizes=(16,), target_update_every=50, rng=0)
    m, se = evaluate_restless_policy(prob, res.policy, n_runs=300, rng=1)
    mr, ser = evaluate_restless_policy(prob, CoupledRandomPolicy(prob), n_runs=300, rng=1)
    assert m <= v_star + 4 * se
    assert m > mr
    assert m >= 0.92 * v_star


# --------------------------------------------------- regression: refused input, named
def test_relu_inputs_are_checked_and_named() -> None:
    layers = [(np.array([[1.0, 2.0]]), np.zeros(1))]
    with pytest.raises(ValueError, match=r"^x\b"):
        relu_forward(layers, np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"^layers\[0\]\.W\b"):
        relu_forward([(np.array([[np.nan, 1.0]]), np.zeros(1))], np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"^layers\b"):
        relu_forward([(np.ones((2, 2)), np.zeros(2))], np.ones((1, 2)))  # two outputs
    with pytest.raises(ValueError, match=r"^layers\b"):
        relu_forward(
            [
                (np.full((1, 2), 1e300), np.zeros(1)),
            ],
            np.full((1, 2), 1e300),
        )  # overflow
    c = multiple_interventions(2, [1.0], 1.0)
    with pytest.raises(ValueError, match=r"^layers\b"):
        relu_milp_argmax(layers, [0.0, 0.0], c)  # the network takes 2 inputs, not 2 + 2
    with pytest.raises(ValueError, match=r"^time_limit\b"):
        relu_milp_argmax([(np.ones((1, 4)), np.zeros(1))], [0.0, 0.0], c, time_limit=0.0)


def test_infeasible_constraints_are_refused_as_input() -> None:
    # v_0 = 1 and v_0 = 0 at once: no binary action; refused when the problem is built
    G = np.eye(2)
    bad = ActionConstraints(
        2,
        1,
        G,
        np.zeros((0, 2)),
        np.zeros(0),
        np.array([[1.0, 0.0], [1.0, 0.0]]),
        np.array([1.0, 0.0]),
        "contradiction",
    )
    with pytest.raises(ValueError, match=r"^constraints\b"):
        CoupledRestlessProblem([[0.2, 0.6]] * 2, [[0.5, 0.5]] * 2, bad)
    with pytest.raises(ValueError, match=r"^b_eq\b"):
        ActionConstraints(2, 1, G, np.zeros((0, 2)), np.zeros(0), np.ones((1, 2)), np.zeros(2), "x")
    with pytest.raises(ValueError, match=r"^G\b"):
        ActionConstraints(2, 2, G, np.zeros((0, 2)), np.zeros(0), np.zeros((0, 2)), np.zeros(0), "x")


def test_sizes_are_bounded() -> None:
    with pytest.raises(ValueError, match=r"^n_arms\b"):
        multiple_interventions(5000, [1.0], 1.0)  # a 5000 x 5000 dense G
    with pytest.raises(ValueError, match=r"^max_vars\b"):
        multiple_interventions(2, [1.0], 1.0).enumerate(max_vars=40)
    with pytest.raises(TypeError, match=r"^edges\b"):
        path_constraints(3, [[0.0, 1.0]], 0, 2)
    with pytest.raises(ValueError, match=r"^source\b"):
        path_constraints(3, [[0, 1]], 3, 2)
    assert path_constraints(2, [], 0, 1).n_vars == 2
