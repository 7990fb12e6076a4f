"""
Restless bandits: from Whittle indices to combinatorial actions
===============================================================

A restless bandit runs many small Markov decision processes ("arms") in parallel; every
step a budget limits how many of them may be acted on, and every arm keeps moving
whether acted on or not. The joint problem is intractable (its state space is
:math:`S^N`), and this tutorial walks through the three tools of
:mod:`bandits` for it:

1. Whittle indices of single arms, computed exactly (adaptive greedy) and checked
   against their definition and a closed form;
2. the fluid LP relaxation, whose value bounds every policy, and the index policies
   (Whittle, LP-priority) that approach that bound as the number of arms grows;
3. a *coupled* restless bandit, whose actions must form a path in a graph, where no
   index applies: SEQUOIA (Xu et al. 2025) learns a Q-network and picks each
   combinatorial action by solving a mixed-integer programme that contains the network.

The theory is on the :doc:`theory page </theory/restless>`.
"""

# %%
# Budget
# ------
# With ``RLREF_DOCS_QUICK=1`` (as in the test-suite) the simulations are shorter and
# SEQUOIA trains for fewer steps; everything else is the same.

import os
import time

import matplotlib.pyplot as plt
import numpy as np

from bandits.deep import sequoia
from bandits.restless import (
    CoupledMyopicPolicy,
    CoupledRandomPolicy,
    CoupledRestlessProblem,
    QSamplingPolicy,
    RestlessArm,
    RestlessProblem,
    RestlessRandomPolicy,
    coupled_joint_mdp,
    evaluate_restless_policy,
    fluid_lp,
    lp_priority_policy,
    myopic_policy,
    path_constraints,
    two_state_whittle_index,
    whittle_index,
    whittle_policy,
)
from rlcore.deep import require_torch
from rlcore.mdp import FiniteMDP
from tabular.policy_iteration import policy_iteration

QUICK = os.environ.get("RLREF_DOCS_QUICK", "") not in ("", "0")
GAMMA = 0.9
N_RUNS = 100 if QUICK else 200  # Monte Carlo runs per policy evaluation
SEQUOIA_STEPS = 300 if QUICK else 1500  # SEQUOIA training steps
# SEQUOIA's network is tiny: one torch thread is fastest, and several threads on a busy
# machine (a CI runner, a docs build) make its training several times slower.
require_torch("this tutorial").set_num_threads(1)

# %%
# One arm and its Whittle index
# -----------------------------
# A two-state arm: state 1 ("good") pays 1, state 0 pays 0. Acting raises the
# probability of being good next step, from 0.2 to 0.7 in the bad state and from 0.6 to
# 0.95 in the good state. Charge a penalty :math:`\lambda` per activation and solve the
# single-arm MDP: the advantage :math:`A_\lambda(s) = Q_\lambda(s, 1) - Q_\lambda(s,
# 0)` decreases in :math:`\lambda`, and the Whittle index of :math:`s` is the penalty at
# which it crosses zero. We plot the advantages (each point is one MDP solved by
# :func:`tabular.policy_iteration`) and mark the indices found by
# :func:`bandits.whittle_index` and by the closed form.

arm = RestlessArm.two_state(p_passive=[0.2, 0.6], p_active=[0.7, 0.95])
res = whittle_index(arm, gamma=GAMMA)
closed = two_state_whittle_index([0.2, 0.6], [0.7, 0.95], GAMMA)
print(
    f"indexable: {res.indexable}, indices (adaptive greedy): {np.round(res.index, 6)}, "
    f"closed form: {np.round(closed, 6)}"
)

penalties = np.linspace(-0.2, 1.2, 57)
adv = []
for lam in penalties:
    R = np.array(arm.R)
    R[:, 1] -= lam
    Q = policy_iteration(FiniteMDP(arm.P, R, gamma=GAMMA), epsilon=1e-10).Q
    adv.append(Q[:, 1] - Q[:, 0])
adv = np.array(adv)

fig, ax = plt.subplots(figsize=(6, 3.5))
for s, name in enumerate(["bad state", "good state"]):
    ax.plot(penalties, adv[:, s], label=f"advantage of acting, {name}")
    ax.axvline(res.index[s], color=f"C{s}", ls="--", lw=1)
ax.axhline(0, color="k", lw=0.8)
ax.set_xlabel(r"penalty per activation $\lambda$")
ax.set_ylabel(r"$Q_\lambda(s,1) - Q_\lambda(s,0)$")
ax.set_title("Whittle index = penalty where acting stops paying (dashed)")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# The indexability check is part of the computation. Random three-state arms are
# usually indexable, but not always: for this one the set of states where passivity
# is optimal is not monotone in the penalty, and the function says so instead of
# returning an index.

bad = whittle_index(RestlessArm.random(3, rng=525), gamma=GAMMA)
print(f"indexable: {bad.indexable}, index: {bad.index}\n  reason: {bad.reason}")

# %%
# N arms, a budget, and the LP bound
# ----------------------------------
# Now :math:`N` copies of a three-state arm (drawn at random, and indexable), of which
# at most :math:`0.3 N` may be acted on each step. The fluid LP
# (:func:`bandits.fluid_lp`) relaxes the per-step budget to a budget on
# discounted averages; its value bounds the value of *every* policy. We compare, per
# arm, the Whittle index policy, the LP-priority policy, the myopic policy (act where
# the one-step gain of acting is largest) and random actions.

arm3 = RestlessArm.random(3, rng=8)
res3 = whittle_index(arm3, gamma=GAMMA)
print(f"three-state arm: indexable {res3.indexable}, Whittle indices {np.round(res3.index, 4)}")

sizes = [10, 40] if QUICK else [10, 20, 50, 100]
table = {name: [] for name in ["LP bound", "Whittle", "LP-priority", "myopic", "random"]}
for N in sizes:
    prob = RestlessProblem(arm3, budget=0.3 * N, n_arms=N, gamma=GAMMA)
    lp = fluid_lp(prob)
    table["LP bound"].append((lp.value / N, 0.0))
    policies = {
        "Whittle": whittle_policy(prob, res3.index),
        "LP-priority": lp_priority_policy(prob, lp),
        "myopic": myopic_policy(prob),
        "random": RestlessRandomPolicy(prob),
    }
    for name, pol in policies.items():
        m, se = evaluate_restless_policy(prob, pol, n_runs=N_RUNS, rng=N)
        table[name].append((m / N, se / N))

fig, ax = plt.subplots(figsize=(6, 3.5))
for name, vals in table.items():
    v = np.array(vals)
    ax.errorbar(
        sizes, v[:, 0], yerr=2 * v[:, 1], marker="o", capsize=3, label=name, ls="--" if name == "LP bound" else "-"
    )
ax.set_xscale("log")
ax.set_xlabel("number of arms N (budget 0.3 N)")
ax.set_ylabel("discounted value per arm")
ax.set_title("Index policies approach the LP bound")
ax.legend(fontsize=8)
fig.tight_layout()
for name, vals in table.items():
    print(f"{name:>12}: " + ", ".join(f"N={N}: {m:.3f}" for N, (m, _) in zip(sizes, vals)))

# %%
# Both index policies are within a fraction of a percent of the LP bound at every
# :math:`N` shown, so for this arm they are also within that fraction of the (unknown)
# optimum; the asymptotic-optimality theorems (Weber and Weiss 1990; Gast, Gaujal and
# Yan 2023) say the gap vanishes as :math:`N` grows for indexable arms. The myopic
# policy, blind to what an action does beyond the next step, stays a few percent
# below, and random actions further.

# %%
# When indices do not apply: actions along a path
# -----------------------------------------------
# Six arms are the nodes of a small directed acyclic graph (think of sites a patrol
# can visit). Each step the intervention visits the nodes of one path from node 0,
# at most three nodes long. The action couples the arms: whether node 3 can be
# visited depends on whether node 1 or node 2 is. There is no per-arm budget to
# price, so neither Whittle indices nor the LP decomposition apply.
#
# The action is encoded by node and edge variables with flow constraints
# (:func:`bandits.path_constraints`). SEQUOIA trains a ReLU Q-network
# :math:`Q(s, a)` and chooses each action by a mixed-integer programme that contains the
# network (big-M constraints per ReLU) and the path constraints, solved by HiGHS.
# With six binary-state arms the joint MDP has only 64 states, so the exact optimum is
# computable for reference.

edges = [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (1, 4), (2, 5), (4, 5)]
cons = path_constraints(6, edges, source=0, max_length=3)
gen = np.random.default_rng(3)
coupled = CoupledRestlessProblem(
    p_passive=np.column_stack([gen.uniform(0.05, 0.3, 6), gen.uniform(0.4, 0.8, 6)]),
    effects=np.column_stack([gen.uniform(0.3, 0.9, 6), gen.uniform(0.3, 0.9, 6)]),
    constraints=cons,
    weights=gen.uniform(0.5, 2.0, 6),
    gamma=GAMMA,
)
print(f"{coupled}: {len(cons.enumerate())} feasible actions")

mdp, _, _ = coupled_joint_mdp(coupled)
v_opt = float(mdp.initial @ policy_iteration(mdp, epsilon=1e-10).V)

t0 = time.perf_counter()
agent = sequoia(
    coupled,
    n_steps=SEQUOIA_STEPS,
    hidden_sizes=(16,),
    target_update_every=50,
    learning_rate=3e-3,
    updates_per_step=4,
    rng=0,
)
print(f"SEQUOIA trained in {time.perf_counter() - t0:.1f} s, {agent.n_milps} MILPs solved")

results = {"optimal (joint MDP)": (v_opt, 0.0)}
for name, pol in {
    "SEQUOIA": agent.policy,
    "Q + sampling": QSamplingPolicy(coupled, agent.layers, n_samples=10),
    "myopic (MILP)": CoupledMyopicPolicy(coupled),
    "random feasible": CoupledRandomPolicy(coupled),
}.items():
    results[name] = evaluate_restless_policy(coupled, pol, n_runs=N_RUNS, rng=7)
for name, (m, se) in results.items():
    print(f"{name:>20}: {m:.3f} +- {se:.3f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
names = list(results)
vals = np.array([results[n] for n in names])
ax.barh(names, vals[:, 0], xerr=2 * vals[:, 1], color=["k", "C0", "C1", "C2", "C3"])
ax.set_xlim(0.8 * vals[:, 0].min(), 1.02 * vals[:, 0].max())
ax.set_xlabel("discounted value (2 standard errors)")
ax.set_title("Path-constrained restless bandit")
fig.tight_layout()

# %%
# Every action SEQUOIA took, in training and here, satisfied the path constraints:
# they are part of the same MILP as the network, and the simulator rejects anything
# else. On this small instance the myopic MILP is a strong baseline, and SEQUOIA,
# scoring actions with a Q-network trained for 1,500 steps, comes close to it
# and to the exact optimum; how close depends on its training budget. The exact
# optimum is available here only because the instance is tiny (64 joint states); the
# point of the method is the instances where it is not.
