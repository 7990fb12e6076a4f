"""A short tour of the library: what `make tour` runs.

Every number printed here is computed when the tour runs; the checks beside them
(certified bounds, Monte Carlo confidence intervals, agreement with pymdptoolbox's
published example) are computed too. The tour grows as capabilities land.
"""

from __future__ import annotations

import time

import numpy as np

import rlcore
import tabular
from rlcore import evaluate_policy, generators, occupancy, rollout, uniform


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 74 - len(title)))


def forest_management() -> None:
    section("1. Forest management (pymdptoolbox's example), gamma = 0.9")
    mdp = generators.forest(n_states=3, r1=4.0, r2=2.0, p=0.1, gamma=0.9)
    names = ["wait", "cut"]
    print(f"{mdp}")
    for method in ("policy_iteration", "value_iteration", "modified_policy_iteration"):
        res = tabular.solve(mdp, method=method, epsilon=1e-9)
        print(
            f"{method:>26}: {res.iterations:2d} iterations, policy {[names[a] for a in res.policy]}, "
            f"V* = {np.array2string(res.V, precision=4)}, |V - V*| <= {res.value_bound:.0e}"
        )
    print("pymdptoolbox's documentation lists V = (26.244, 29.484, 33.484) and policy (0, 0, 0)")
    print("every result prints a summary (arrays by shape and range, never dumped):")
    print(res.summary())


def gridworld() -> None:
    section("2. A gridworld with a wall, 10% slip, gamma = 0.95")
    layout = ["S...", ".##.", "...G"]
    mdp = generators.gridworld_from_map(layout, slip=0.1, gamma=0.95)
    res = tabular.solve(mdp, epsilon=1e-10)
    pi, iters = res.policy, res.iterations
    ev = evaluate_policy(mdp, pi)
    arrows = "^>v<"
    cells = [(r, c) for r, line in enumerate(layout) for c, ch in enumerate(line) if ch != "#"]
    grid_v = [[" " * 6 if ch == "#" else "" for ch in line] for line in layout]
    grid_p = [["#" if ch == "#" else "" for ch in line] for line in layout]
    for k, (r, c) in enumerate(cells):
        grid_v[r][c] = f"{ev.V[k]:6.3f}"
        grid_p[r][c] = "G" if layout[r][c] == "G" else arrows[pi[k]]
    print(
        f"tabular.solve: {iters} iterations of {res.method}; a certified "
        f"{res.suboptimality_bound:.0e}-optimal policy. Values and actions:"
    )
    for rv, rp in zip(grid_v, grid_p):
        print("   " + " ".join(rv) + "     " + " ".join(rp))
    v_start = mdp.initial @ ev.V
    n = 4000
    data = rollout(mdp, pi, n, max_steps=200, rng=0)
    returns = data.episode_returns(gamma=0.95)
    half = 1.96 * returns.std(ddof=1) / np.sqrt(n)
    print(
        f"exact value from S: {v_start:.4f};  Monte Carlo over {n} rollouts: "
        f"{returns.mean():.4f} +/- {half:.4f} (95% CI), {len(data)} transitions"
    )


def river_swim() -> None:
    section("3. RiverSwim (Strehl & Littman 2008), gamma = 0.95")
    mdp = generators.river_swim(n_states=6, gamma=0.95)
    res = tabular.solve(mdp, epsilon=1e-10)
    pi, ev = res.policy, evaluate_policy(mdp, res.policy)
    unif = uniform(mdp.n_states, mdp.n_actions)
    v_unif = evaluate_policy(mdp, unif).V
    d = occupancy(mdp, pi, normalize=True)
    print(f"optimal policy (0 = with the current, 1 = against): {pi.tolist()}")
    print(f"V*(s0) = {ev.V[0]:.4f}   V^uniform(s0) = {v_unif[0]:.4f}")
    print(f"discounted state distribution of the optimal policy: {np.array2string(d.sum(axis=1), precision=3)}")
    print(
        f"check  <d, r> / (1 - gamma) = {np.sum(d * mdp.R) / (1 - mdp.gamma):.6f}"
        f"  vs  mu^T V* = {mdp.initial @ ev.V:.6f}"
    )


def combination_lock() -> None:
    section("4. Combination lock, horizon 8, 3 actions (finite horizon)")
    mdp = generators.combination_lock(8, n_actions=3, rng=2026)
    res = tabular.solve(mdp)  # finite horizon: backward induction
    pi, V = res.policy, res.V
    v_rand = evaluate_policy(mdp, uniform(mdp.n_states, mdp.n_actions)).V[0]
    start = int(np.argmax(mdp.initial))
    print(f"optimal first-step actions along the good chain: {[int(pi[t, t]) for t in range(8)]}")
    print(f"V*_0(start) = {V[0, start]:.1f}   uniformly random policy: {v_rand[start]:.2e} (= 3^-8 = {3.0**-8:.2e})")


def sparse_scale() -> None:
    section("5. A sparse random (Garnet) MDP: S = 100,000, A = 4, 5 successors, gamma = 0.9")
    t0 = time.perf_counter()
    mdp = generators.random_mdp(100_000, 4, branching=5, sparse=True, gamma=0.9, rng=0)
    t1 = time.perf_counter()
    ev = evaluate_policy(mdp, np.zeros(mdp.n_states, dtype=np.int64))
    t2 = time.perf_counter()
    data = rollout(mdp, uniform(mdp.n_states, mdp.n_actions), 10_000, max_steps=50, rng=1)
    t3 = time.perf_counter()
    print(
        f"built in {t1 - t0:.2f} s ({mdp.P.nnz:,} stored probabilities); policy evaluated in "
        f"{t2 - t1:.2f} s with certified error |V - V^pi|_inf <= {ev.error_bound:.1e}"
    )
    print(f"10,000 episodes x 50 steps simulated in {t3 - t2:.2f} s -> {len(data):,} transitions")
    t4 = time.perf_counter()
    res = tabular.solve(mdp, epsilon=1e-6)
    t5 = time.perf_counter()
    print(
        f"tabular.solve in {t5 - t4:.2f} s ({res.iterations} improvement steps): a certified "
        f"{res.suboptimality_bound:.1e}-optimal policy, |V - V*| <= {res.value_bound:.1e}"
    )


def main() -> None:
    print(f"rlref tour (rlcore {rlcore.__version__}, numpy {np.__version__})")
    forest_management()
    gridworld()
    river_swim()
    combination_lock()
    sparse_scale()
    print("\nNext: tutorials in docs/tutorials, the API reference in docs/, `make test` for the suite.")


if __name__ == "__main__":
    main()
