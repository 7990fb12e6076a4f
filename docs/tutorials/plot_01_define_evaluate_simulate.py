"""
Defining an MDP, evaluating a policy, simulating it
===================================================

This tutorial walks through the core objects of :mod:`rlcore` on a problem small
enough to check by hand:

1. define a finite MDP from its transition and reward arrays, and watch the
   validation reject a malformed one;
2. build policies (greedy, epsilon-greedy, softmax, uniform) and evaluate them
   *exactly*, by solving the linear system of the Bellman expectation equation;
3. compute occupancy measures and verify the identity
   :math:`\\mu^\\top V^\\pi = \\langle d^\\pi_\\mu, r \\rangle`;
4. improve a policy by hand (policy iteration in a few lines);
5. simulate the policy and compare the Monte Carlo estimate of its value, with a
   confidence interval, against the exact value;
6. build the same MDP with a sparse transition matrix;
7. solve a standard problem from :mod:`rlcore.generators`.

The definitions used here are on the :doc:`theory page </theory/mdps>`.
"""

# %%
# Budget
# ------
# The test-suite runs every tutorial with ``RLREF_DOCS_QUICK=1`` to keep it fast;
# the documentation build uses the full budget. Only the number of simulated
# episodes depends on it.

import itertools
import os

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp

import rlcore

QUICK = os.environ.get("RLREF_DOCS_QUICK", "") not in ("", "0")
N_EPISODES = 300 if QUICK else 5000

# %%
# A machine-maintenance MDP
# -------------------------
# A machine is *new* (state 0), *worn* (state 1) or *broken* (state 2). Each period
# we either *run* it (action 0), earning money while it works and wearing it out, or
# *repair* it (action 1), which costs money and makes it new again (a broken machine
# is fixed only with probability 0.6). Is it worth repairing a worn machine before
# it breaks down?
#
# A :class:`~rlcore.FiniteMDP` is given by
#
# * ``P``, an array of shape ``(S, A, S)``: ``P[s, a, s2]`` is the probability of
#   moving to ``s2`` after taking action ``a`` in state ``s``; each row
#   ``P[s, a, :]`` is a probability distribution;
# * ``R``, an array of shape ``(S, A)``: the *expected* immediate reward
#   ``r(s, a)``; the number of actions ``A`` is read from it;
# * the criterion: a discount ``gamma`` in ``[0, 1)`` (used here) or a finite
#   ``horizon``;
# * optionally the initial distribution ``initial`` (uniform if omitted): here the
#   machine starts new.

S, A = 3, 2
RUN, REPAIR = 0, 1
P = np.zeros((S, A, S))
P[0, RUN] = [0.7, 0.3, 0.0]  # a new machine wears out with probability 0.3
P[1, RUN] = [0.0, 0.9, 0.1]  # a worn one breaks down with probability 0.1
P[2, RUN] = [0.0, 0.0, 1.0]  # a broken one stays broken
P[0, REPAIR] = [1.0, 0.0, 0.0]
P[1, REPAIR] = [1.0, 0.0, 0.0]
P[2, REPAIR] = [0.6, 0.0, 0.4]  # repairing a broken machine may fail
R = np.array(
    [
        [1.0, -0.3],  # new:    running earns 1.0, servicing costs 0.3
        [0.8, -1.0],  # worn:   running earns 0.8, repairing costs 1.0
        [0.0, -2.0],  # broken: running earns nothing, repairing costs 2.0
    ]
)
gamma = 0.9
mu = np.array([1.0, 0.0, 0.0])

mdp = rlcore.FiniteMDP(P, R, gamma=gamma, initial=mu)
print(mdp)
print("P shape:", mdp.P.shape, " R shape:", mdp.R.shape, " gamma:", mdp.gamma)

# %%
# The constructor validates everything once (shapes, finite values, non-negative
# probabilities, rows summing to one within ``rlcore.PROBABILITY_ATOL``) and stores
# read-only copies. Nothing is silently renormalised: a row that sums to 0.9 is an
# error whose message names the state and the action.

P_bad = P.copy()
P_bad[1, RUN] = [0.0, 0.8, 0.1]  # sums to 0.9
try:
    rlcore.FiniteMDP(P_bad, R, gamma=gamma)
except ValueError as err:
    print("ValueError:", err)

try:
    rlcore.FiniteMDP(P, R, gamma=1.0)  # the discounted criterion needs gamma < 1
except ValueError as err:
    print("ValueError:", err)

# %%
# Policies
# --------
# A deterministic policy is an integer array of shape ``(S,)`` (the action taken in
# each state); a stochastic one is an array of shape ``(S, A)`` whose rows are
# probability distributions over actions. The constructors in :mod:`rlcore` build
# them from an action-value table of shape ``(S, A)``. As a first (naive) table we
# use the immediate rewards ``R`` themselves.

policies = {
    "uniform": rlcore.uniform(S, A),
    "myopic (greedy on R)": rlcore.greedy(R),
    "0.1-greedy on R": rlcore.epsilon_greedy(R, 0.1),
    "softmax on R (T=0.5)": rlcore.softmax(R, temperature=0.5),
    "preventive maintenance": np.array([RUN, REPAIR, REPAIR]),
}
for name, pi in policies.items():
    print(f"{name:>22}: {np.round(pi, 3).tolist()}")

# %%
# The myopic policy never repairs anything, since repairing pays less *today* than
# running in every state; the last policy repairs a worn machine before it breaks.
#
# Exact policy evaluation
# -----------------------
# :func:`rlcore.evaluate_policy` returns :math:`V^\pi` (shape ``(S,)``) and
# :math:`Q^\pi` (shape ``(S, A)``) by solving the linear system
# :math:`(I - \gamma P_\pi) V = r_\pi` directly. We check the answer against the
# Bellman expectation equation :math:`V^\pi = T^\pi V^\pi`, applying the operator
# with :func:`rlcore.bellman_expectation`.

values = {}
for name, pi in policies.items():
    ev = rlcore.evaluate_policy(mdp, pi)
    residual = np.max(np.abs(rlcore.bellman_expectation(mdp, pi, ev.V) - ev.V))
    values[name] = ev
    print(
        f"{name:>22}: V = {np.round(ev.V, 3).tolist()}, "
        f"mu @ V = {ev.expected_return(mu):7.4f}, Bellman residual = {residual:.1e}"
    )

# %%
# The result is a small frozen object that prints as a summary, never as a wall of
# arrays. Beside ``V`` and ``Q`` it carries ``error_bound``, a certified bound on
# :math:`\|V - V^\pi\|_\infty` for the model as stored (from the Bellman residual;
# see the theory page on MDPs), also returned by ``bounds()``.

print(ev)
print(ev.summary())
print(ev.bounds())

# %%
# Occupancy measures
# ------------------
# The discounted occupancy measure
# :math:`d^\pi_\mu(s, a) = \sum_t \gamma^t \Pr(s_t = s, a_t = a)` counts discounted
# visits. It has total mass :math:`1/(1-\gamma)`, and the expected return is its
# inner product with the rewards, :math:`\mu^\top V^\pi = \sum_{s,a} d(s, a)\, r(s, a)`
# (see the :doc:`theory page </theory/mdps>`). Both are checked for every policy:

for name, pi in policies.items():
    d = rlcore.occupancy(mdp, pi)  # shape (S, A)
    lhs = mu @ values[name].V
    rhs = np.sum(d * R)
    assert np.isclose(lhs, rhs, rtol=1e-10, atol=1e-12)
    assert np.isclose(d.sum(), 1.0 / (1.0 - gamma), rtol=1e-12)
    print(f"{name:>22}: mu @ V = {lhs:8.5f}, <d, r> = {rhs:8.5f}, sum(d) = {d.sum():.6f}")

# %%
# Normalised by :math:`1-\gamma`, the occupancy measure is a distribution over
# state-action pairs: where the policy spends its (discounted) time. The myopic
# policy ends up in the broken state for good; preventive maintenance keeps the
# machine working but spends a fair share of its time paying for repairs.

fig, ax = plt.subplots(figsize=(7, 3.2))
labels = [f"{st}/{ac}" for st in ("new", "worn", "broken") for ac in ("run", "repair")]
shown = ["myopic (greedy on R)", "uniform", "preventive maintenance"]
width = 0.8 / len(shown)
for k, name in enumerate(shown):
    d_norm = rlcore.occupancy(mdp, policies[name], normalize=True)
    ax.bar(np.arange(S * A) + (k - 1) * width, d_norm.ravel(), width, label=name)
ax.set_xticks(np.arange(S * A), labels)
ax.set_ylabel(r"$(1-\gamma)\, d^\pi_\mu(s, a)$")
ax.set_title("Normalised occupancy measures")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Policy iteration by hand
# ------------------------
# Exact evaluation plus greedy improvement is policy iteration: evaluate
# :math:`\pi_k`, take :math:`\pi_{k+1}` greedy with respect to :math:`Q^{\pi_k}`,
# stop when the policy no longer changes. Each step can only improve the value, and
# there are finitely many deterministic policies, so it terminates with an optimal
# policy (Puterman 1994, section 6.4). These few lines only show the idea: the
# :mod:`tabular` package will provide certified solvers (value and policy
# iteration, linear programming) that validate their input, report convergence and
# return the error bound their theory guarantees.


def policy_iteration(mdp, pi, max_iter=100):
    """Evaluate, act greedily, repeat until the policy is stable."""
    for iteration in range(1, max_iter + 1):
        ev = rlcore.evaluate_policy(mdp, pi)
        print(f"iteration {iteration}: policy {pi.tolist()}, expected return {ev.expected_return(mdp.initial):.4f}")
        new_pi = rlcore.greedy(ev.Q)
        if np.array_equal(new_pi, pi):
            return pi, ev
        pi = new_pi
    raise RuntimeError(f"policy iteration did not stabilise in {max_iter} iterations")


pi_star, ev_star = policy_iteration(mdp, rlcore.greedy(R))  # start from the myopic policy
V_star = ev_star.V

# At a fixed point of policy iteration V solves the Bellman *optimality* equation:
optimality_residual = np.max(np.abs(rlcore.bellman_optimality(mdp, V_star) - V_star))
print(f"optimal policy {pi_star.tolist()}, V* = {np.round(V_star, 4).tolist()}")
print(f"Bellman optimality residual: {optimality_residual:.1e}")

# %%
# With :math:`A^S = 8` deterministic policies we can also confirm the answer by
# brute force: no policy has a larger value in any state.

all_policies = np.array(list(itertools.product(range(A), repeat=S)))
all_values = np.array([rlcore.evaluate_policy(mdp, p).V for p in all_policies])
assert np.all(all_values <= V_star + 1e-10)
best = all_policies[np.argmax(all_values @ mu)]
print(f"best of {len(all_policies)} policies from mu: {best.tolist()}")

# %%
# So, with these numbers, preventive maintenance does not pay: run the machine
# until it breaks, then repair it. (Make breakdowns likelier or repairs cheaper in
# ``P`` and ``R`` above and the answer changes.)

# %%
# Simulation and Monte Carlo evaluation
# -------------------------------------
# A :class:`~rlcore.FiniteMDP` is also a batched simulator:
# :func:`rlcore.rollout` runs ``n_episodes`` independent episodes in lock-step and
# returns a columnar :class:`~rlcore.Dataset`. A discounted problem has no natural
# episode end, so we cut episodes after ``max_steps`` steps; the rewards we miss
# are at most :math:`\gamma^T \max|r| / (1-\gamma)`, and we choose :math:`T` to make
# that bias negligible next to the Monte Carlo error. ``rng=0`` makes the run
# reproducible.

max_abs_r = np.max(np.abs(R))
T = int(np.ceil(np.log(1e-6 * (1 - gamma) / max_abs_r) / np.log(gamma)))
bias_bound = gamma**T * max_abs_r / (1 - gamma)
print(f"max_steps T = {T}, truncation bias <= {bias_bound:.1e}")

data = rlcore.rollout(mdp, pi_star, N_EPISODES, max_steps=T, rng=0)
print(data)
returns = data.episode_returns(gamma)  # one discounted return per episode

# %%
# The episodes are independent, so by the central limit theorem the sample mean
# :math:`\hat J` of the returns is approximately normal around the true value
# :math:`J = \mu^\top V^\pi`, with standard error :math:`\hat\sigma / \sqrt n`; a 95%
# confidence interval is :math:`\hat J \pm 1.96\, \hat\sigma / \sqrt n`.

exact = float(mu @ V_star)
mc_mean = returns.mean()
std_err = returns.std(ddof=1) / np.sqrt(returns.size)
lo, hi = mc_mean - 1.96 * std_err, mc_mean + 1.96 * std_err
print(f"exact value      mu @ V* = {exact:.4f}")
print(f"Monte Carlo mean         = {mc_mean:.4f}  (n = {returns.size} episodes)")
print(f"95% CLT interval         = [{lo:.4f}, {hi:.4f}]  (contains the exact value: {lo <= exact <= hi})")

# %%
# The running estimate after :math:`k` episodes, with its 95% band, closes in on
# the exact value at the :math:`1/\sqrt k` rate. (A 95% interval misses the truth
# 5% of the time, and the running band is not a simultaneous band, so an
# occasional excursion is expected.)

k = np.arange(1, returns.size + 1)
running_mean = np.cumsum(returns) / k
running_var = (np.cumsum(returns**2) - k * running_mean**2) / np.maximum(k - 1, 1)
half_width = 1.96 * np.sqrt(np.maximum(running_var, 0.0) / k)
start = 10  # the variance estimate is too noisy before a few episodes

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(k[start:], running_mean[start:], label="running Monte Carlo mean")
ax.fill_between(
    k[start:],
    (running_mean - half_width)[start:],
    (running_mean + half_width)[start:],
    alpha=0.3,
    label="95% CLT band",
)
ax.axhline(exact, color="k", linestyle="--", label=r"exact $\mu^\top V^{\pi^*}$")
ax.set_xscale("log")
ax.set_xlabel("episodes")
ax.set_ylabel("discounted return")
ax.set_title("Monte Carlo evaluation of the optimal policy")
ax.legend()
fig.tight_layout()

# %%
# Sparse transitions
# ------------------
# Large MDPs usually have few successors per state-action pair. ``P`` can then be a
# ``scipy.sparse`` matrix of shape ``(S*A, S)`` whose row ``s*A + a`` is
# :math:`P(\cdot \mid s, a)`: exactly the dense array reshaped. Every function in
# :mod:`rlcore` accepts both layouts (a sparse solver replaces the dense one) and
# gives the same values.

P_sparse = sp.csr_array(P.reshape(S * A, S))
mdp_sparse = rlcore.FiniteMDP(P_sparse, R, gamma=gamma, initial=mu)
print(mdp_sparse, "- stored entries:", P_sparse.nnz, "of", S * A * S)
for name, pi in policies.items():
    V_dense = values[name].V
    V_sparse = rlcore.evaluate_policy(mdp_sparse, pi).V
    d_gap = np.max(np.abs(rlcore.occupancy(mdp_sparse, pi) - rlcore.occupancy(mdp, pi)))
    print(
        f"{name:>22}: max |V_sparse - V_dense| = {np.max(np.abs(V_sparse - V_dense)):.1e}, occupancy gap = {d_gap:.1e}"
    )
    assert np.allclose(V_sparse, V_dense, rtol=1e-12, atol=1e-12)

# %%
# Standard problems
# -----------------
# :mod:`rlcore.generators` builds the usual test problems (random Garnet MDPs,
# gridworlds, RiverSwim, the n-chain, forest management, ...) as validated
# :class:`~rlcore.FiniteMDP` objects, so everything above applies to them unchanged.
# RiverSwim (Strehl and Littman, 2008) is a river of 6 states flowing left: swimming
# left is easy and pays a pittance at the left bank, while the large reward waits at
# the right bank, against the current. Starting from the myopic policy, policy
# iteration discovers the far reward one state per iteration, propagating "swim
# right" back along the river.

from rlcore.generators import river_swim

river = river_swim(6, gamma=0.95)
print(river)
pi_river, ev_river = policy_iteration(river, rlcore.greedy(river.R))
print(f"optimal policy {pi_river.tolist()}, V* = {np.round(ev_river.V, 3).tolist()}")
