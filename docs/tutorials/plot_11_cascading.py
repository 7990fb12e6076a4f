"""
Learning to rank in a cascade
=============================

A search engine or a recommender shows an ordered *list* of items; the user scans it
from the top and clicks the first item that attracts her. This tutorial follows the
cascade model from bandits to reinforcement learning:

1. cascading bandits (Kveton et al. 2015): CascadeUCB1 and CascadeKL-UCB against their
   regret bounds, the lower bound, and a naive bandit that treats every list as an arm;
2. the cascading MDP (Du, Srikant, Chen 2024): user states, click-dependent
   transitions, and the BestPerm oracle that finds the best list without enumerating
   lists;
3. CascadingVI against the same optimistic algorithm run on the enumerated list-action
   space: regret curves, and the time per episode as the number of items ``L`` grows;
4. CascadingBPI: an epsilon-optimal ranking policy with a certificate.

The statements and their sources are on the :doc:`theory page </theory/cascading>`.
"""

# %%
# Budget
# ------
# With ``RLREF_DOCS_QUICK=1`` (as in the test-suite) horizons, episode counts and seeds
# are smaller; everything else is the same.

import itertools
import os
import time

import matplotlib.pyplot as plt
import numpy as np

import bandits
from bandits.cascading import (
    CascadeBandit,
    CascadeKLUCB,
    CascadeUCB1,
    CascadingMDP,
    best_perm,
    cascade_klucb_regret_bound,
    cascade_lower_bound,
    cascade_ucb1_regret_bound,
    cascading_bpi,
    cascading_vi,
    cascading_vi_regret_bound,
    enumerated_cascade_bandit,
    enumerated_ucbvi,
    evaluate_cascading_policy,
    list_value,
    simulate_cascade,
    solve_cascading_mdp,
)

QUICK = os.environ.get("RLREF_DOCS_QUICK", "") not in ("", "0")
T_BANDIT = 3_000 if QUICK else 20_000  # rounds of the cascading bandit
RUNS = 8 if QUICK else 30  # independent runs per bandit algorithm
EPISODES = 600 if QUICK else 3_000  # episodes of the cascading MDP
SEEDS = 2 if QUICK else 4  # seeds per RL learner
ITEM_COUNTS = [4, 6, 8] if QUICK else [4, 6, 8, 10, 12, 16, 24, 32]

# %%
# Cascading bandits
# -----------------
# ``L = 8`` items, lists of ``K = 2``; the two best items attract with probability
# ``p = 0.2``, the others with ``p - Delta = 0.1``. This is the family of Kveton et
# al.'s lower bound, so the three curves below can sit on one plot: CascadeUCB1's
# bound ``sum 12 ln n / Delta + pi^2 L / 3`` (Theorem 2), CascadeKL-UCB's (Theorem 3,
# without its vanishing term) and the asymptotic lower bound
# ``(L - K) Delta (1 - p)^(K - 1) / kl(p - Delta, p) ln n`` (Theorem 4).

L, K, p, gap = 8, 2, 0.2, 0.1
w = np.array([p] * K + [p - gap] * (L - K))
env = CascadeBandit(w, K)
res_ucb1 = simulate_cascade(env, CascadeUCB1(), T_BANDIT, RUNS, rng=1)
res_kl = simulate_cascade(env, CascadeKLUCB(), T_BANDIT, RUNS, rng=1)
naive_env, lists = enumerated_cascade_bandit(env)
res_naive = bandits.simulate(naive_env, bandits.KLUCB(), T_BANDIT, RUNS, rng=1)
n = np.arange(1, T_BANDIT + 1)

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(n, res_ucb1.mean_regret(), label="CascadeUCB1")
ax.plot(n, res_kl.mean_regret(), label="CascadeKL-UCB")
ax.plot(n, res_naive.mean_regret(), label=f"KL-UCB over the {naive_env.n_arms} lists")
ax.plot(n, cascade_klucb_regret_bound(w, K, n), "--", label="CascadeKL-UCB bound (Thm 3)")
ax.plot(n, cascade_lower_bound(L, K, p, gap, n), ":", label="lower bound (Thm 4, asymptotic)")
ax.set(xlabel="round n", ylabel="expected regret", title=f"Cascading bandit, L={L}, K={K}")
ax.legend()
fig.tight_layout()
print(
    f"CascadeUCB1 bound at n={T_BANDIT}: {cascade_ucb1_regret_bound(w, K, T_BANDIT):.0f} "
    f"(off the chart), its regret: {res_ucb1.mean_regret()[-1]:.1f}"
)

# %%
# The naive bandit learns 56 arms from one click indicator each; the cascade
# algorithms learn 8 attraction probabilities, and every examined item gives a sample.
# Vial et al. (NeurIPS 2022) showed that the gap between the two cascade algorithms is
# structural: on small attraction probabilities CascadeUCB1's Hoeffding bonus pays a
# factor up to ``sqrt(K)`` in the worst case, while CascadeKL-UCB is minimax optimal
# up to logarithms.
#
# The cascading MDP
# -----------------
# Now users have states: here a "mood" ``s`` in three levels that drifts with what
# they click. In state ``s`` item ``a`` attracts with probability ``q(s, a)``; a click
# pays ``r(s, a)`` and moves the user according to ``p(. | s, a)``; no click moves her
# according to ``p(. | s, a_bot)``. The value of a list is
# ``f(A, q, w) = sum_i prod_{j<i} (1 - q_j) q_i w_i + prod_j (1 - q_j) w_bot`` with
# ``w = r + p^T V_{h+1}``: the best list is no longer "the most attractive items".


def make_instance(n_items, seed=0, n_states=3, list_length=2, horizon=3):
    rng = np.random.default_rng(seed)
    q = rng.uniform(0.1, 0.9, (n_states, n_items))
    P = rng.dirichlet(np.ones(n_states), (n_states, n_items + 1))
    r = rng.uniform(0, 1, (n_states, n_items))
    return CascadingMDP(q, P, r, list_length=list_length, horizon=horizon)


mdp = make_instance(5)
print(mdp, "with", mdp.n_lists, "lists of length 0 to", mdp.list_length)

# %%
# BestPerm sorts the items by ``w`` and runs a dynamic programme over the first ``K``
# choices: ``O(N log N + N K)`` instead of ``N^K`` lists. One state, checked against
# brute force:

V = solve_cascading_mdp(mdp)
w_s, w_bot = mdp.item_values(V.V[1])
bp = best_perm(mdp.attraction[0], w_s[0], w_bot[0], mdp.list_length)
brute = max(
    (list_value(mdp.attraction[0], w_s[0], w_bot[0], A), A)
    for k in range(mdp.list_length + 1)
    for A in itertools.permutations(range(mdp.n_items), k)
)
print(f"BestPerm: list {bp.items.tolist()} value {bp.value:.6f};  brute force: {list(brute[1])} {brute[0]:.6f}")

# %%
# CascadingVI against the enumerated baseline
# -------------------------------------------
# CascadingVI keeps optimistic estimates of ``q(s, a)`` (from every *examined* item)
# and of ``p(. | s, a)`` (from clicks), and plans with BestPerm. The baseline runs the
# same optimistic value iteration with the same kind of bonuses on the enumerated MDP:
# each list is an atomic action whose reward and transition law are learnt separately.

mdp = make_instance(6, seed=2, n_states=2, list_length=3, horizon=2)
vi = np.array([cascading_vi(mdp, EPISODES, rng=s).regret for s in range(SEEDS)])
naive = np.array([enumerated_ucbvi(mdp, EPISODES, rng=s).regret for s in range(SEEDS)])
k = np.arange(1, EPISODES + 1)
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(k, vi.mean(axis=0), label="CascadingVI (items)")
ax.plot(k, naive.mean(axis=0), label=f"UCBVI over the {mdp.n_lists} lists")
ax.plot(k, cascading_vi_regret_bound(mdp.n_states, mdp.n_items, mdp.horizon, k), "--", label="rate H sqrt(H S N K) log")
ax.set(
    xlabel="episode",
    ylabel="expected regret",
    title="Cascading MDP: S=2, N=6, K=3, H=2",
    ylim=(0, 1.5 * naive.mean(axis=0)[-1]),
)
ax.legend()
fig.tight_layout()

# %%
# Time per episode as the number of items grows
# ---------------------------------------------
# CascadingVI's planning costs ``O(H S (N S + N log N + N K))`` per episode; the
# baseline's ``O(H S^2 |A|)`` with ``|A| = sum_{k <= K} N! / (N - k)!`` lists (here
# ``K = 3``). The enumerated learner is only run while the list space stays small.


def seconds_per_episode(learner, m, n_episodes, repeats=3):
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        learner(m, n_episodes, rng=0, compute_regret=False)
        best = min(best, (time.perf_counter() - t0) / n_episodes)
    return best


times_vi, times_naive = [], []
for N in ITEM_COUNTS:
    m = make_instance(N, list_length=3)
    times_vi.append(seconds_per_episode(cascading_vi, m, 50))
    if m.n_lists <= 2_000:
        times_naive.append(seconds_per_episode(enumerated_ucbvi, m, 10))
fig, ax = plt.subplots(figsize=(7, 4))
ax.loglog(ITEM_COUNTS, 1e3 * np.array(times_vi), "o-", label="CascadingVI")
ax.loglog(ITEM_COUNTS[: len(times_naive)], 1e3 * np.array(times_naive), "s-", label="enumerated UCBVI")
ax.set(xlabel="number of items N", ylabel="ms per episode", title="Per-episode cost (K = 3, S = 3, H = 3)")
ax.legend()
fig.tight_layout()

# %%
# Best policy identification
# --------------------------
# CascadingBPI plays optimistically until the optimistic value and the pessimistic
# value of its own policy are within ``epsilon``; on the event that all confidence
# intervals hold (probability at least ``1 - delta``) the policy is then
# ``epsilon``-optimal.

small = make_instance(2, seed=3, n_states=2, horizon=2)
bpi = cascading_bpi(small, 0.5, delta=0.1, rng=0)
truth = solve_cascading_mdp(small).value(small.initial) - float(
    small.initial @ evaluate_cascading_policy(small, bpi.policy)[0]
)
print(f"stopped after {bpi.n_episodes} episodes; certified gap {bpi.gap:.3f}; true suboptimality {truth:.4f}")

# %%
# The certificate is conservative: the bonuses carry the union bound over states,
# items, steps and episodes, so the true suboptimality is far below ``epsilon``.
