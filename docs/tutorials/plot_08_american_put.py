"""
Pricing an American put four ways
=================================

An American put may be exercised at any time before maturity; its price is the value
of an optimal-stopping problem,

.. math:: V_0 = \\sup_{\\tau \\le T} E\\big[e^{-r\\tau} (K - S_\\tau)^+\\big],

under the risk-neutral geometric Brownian motion
:math:`dS = (r - q) S\\,dt + \\sigma S\\,dW`. This tutorial prices one put

1. exactly, by backward induction on the Cox-Ross-Rubinstein **binomial tree**, which
   also gives the optimal **exercise boundary**;
2. by **least-squares Monte Carlo** (Longstaff-Schwartz), whose exercise rule, applied to
   fresh paths, gives a **lower bound**;
3. by the **Andersen-Broadie dual**, an **upper bound** for the same rule, so that the
   Monte Carlo answer comes as a price bracket;
4. by **fitted-Q iteration**, the reinforcement-learning view of the same problem, with
   a state augmented by the price history and the time, as in Felizardo et al.

It then changes the model to autocorrelated returns, where the last price is no longer
a sufficient state and the history-aware policy earns more. The theory is on the
:doc:`stopping theory page </theory/stopping>`.
"""

# %%
# Budget
# ------
# With ``RLREF_DOCS_QUICK=1`` (as in the test-suite) the simulations are smaller; the
# method is the same.

import os

import matplotlib.pyplot as plt
import numpy as np

import finance_apps as fa

QUICK = os.environ.get("RLREF_DOCS_QUICK", "") not in ("", "0")
N_TRAIN = 10_000 if QUICK else 50_000  # LSMC training paths
N_FQ = 5_000 if QUICK else 20_000  # fitted-Q training paths
N_TEST = 20_000 if QUICK else 100_000  # independent paths for lower bounds
N_OUTER, N_INNER = (100, 100) if QUICK else (400, 200)  # Andersen-Broadie

S0, K, R, SIGMA, T = 36.0, 40.0, 0.06, 0.2, 1.0  # Longstaff-Schwartz (2001), Table 1, row 1
N_DATES = 50  # exercise 50 times a year, as in the paper

# %%
# 1. The binomial tree: price and exercise boundary
# -------------------------------------------------
# :func:`finance_apps.binomial_price` runs backward induction over a CRR tree in a compiled
# kernel. The tree is exact for its own discrete problem and converges to the American
# value as the number of steps grows; the European value (exercise only at ``T``) and
# the Bermudan value on the simulation dates (``exercise=problem.exercise_dates``)
# bracket the difference that early exercise makes.

put = fa.Put(K)
problem = fa.StoppingProblem.american(put, T, R, n_steps=N_DATES)
tree = fa.binomial_price(put, S0, SIGMA, R, T, n_steps=5000)
tree_berm = fa.binomial_price(put, S0, SIGMA, R, T, n_steps=5000, exercise=problem.exercise_dates)
euro = fa.black_scholes("put", S0, K, T, R, SIGMA)
print(f"European (Black-Scholes)     {euro:.4f}")
print(f"Bermudan, {N_DATES} dates (tree)    {tree_berm.price:.4f}")
print(f"American (tree, 5000 steps)  {tree.price:.4f}")

# %%
# The *critical price* :math:`b(t)` below which immediate exercise is optimal rises
# towards the strike as maturity approaches: the closer the end, the less the option
# to wait is worth. Far from maturity it approaches the perpetual put's boundary
# :math:`K\beta/(\beta-1)`, :func:`finance_apps.perpetual_put_boundary`.

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(tree.times, tree.boundary_high, label="optimal boundary (CRR tree)")
ax.axhline(fa.perpetual_put_boundary(K, R, SIGMA), ls=":", c="gray", label="perpetual put boundary")
ax.axhline(K, ls="--", c="k", lw=0.8, label="strike")
ax.set_xlabel("time t (years)")
ax.set_ylabel("critical stock price b(t)")
ax.set_title("American put: exercise when S(t) < b(t)")
ax.legend(loc="upper left", fontsize=8)
fig.tight_layout()

# %%
# 2. Least-squares Monte Carlo
# ----------------------------
# On simulated paths, LSMC regresses the realised discounted cash flow of each
# in-the-money path on Laguerre polynomials of the price, date by date backwards, and
# exercises where the payoff exceeds the fitted continuation value. The estimate on the
# training paths is biased upwards (the rule has seen them); the same rule applied to
# independent paths is an unbiased estimate of a *feasible* policy's value, hence of a
# lower bound. The result keeps the two apart (``price_in_sample`` and
# ``out_of_sample.price``; there is no single ``price``), and its summary prints both.

model = fa.GeometricBrownianMotion(S0, SIGMA, R, problem.grid())
lsmc = fa.longstaff_schwartz(problem, model, N_TRAIN, n_test_paths=N_TEST, rng=0)
print(lsmc.summary())

# %%
# The LSMC rule implies a boundary too: at each date, the largest price at which it
# exercises. We read it off by asking the policy on a price grid, and draw it over
# the tree's optimal boundary.

grid = np.linspace(25.0, K, 400)
lsmc_boundary = np.full(model.times.size, np.nan)
for k in range(1, model.times.size):
    history = np.repeat(np.full((1, k + 1, 1), S0), grid.size, axis=0)
    history[:, -1, 0] = grid
    stops = lsmc.policy.stop(history, k)
    if stops.any():
        lsmc_boundary[k] = grid[stops].max()
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(tree.times, tree.boundary_high, label="optimal boundary (CRR tree)")
ax.plot(model.times, lsmc_boundary, ".", ms=4, label="LSMC rule (Laguerre, degree 3)")
ax.axhline(K, ls="--", c="k", lw=0.8, label="strike")
ax.set_xlabel("time t (years)")
ax.set_ylabel("critical stock price b(t)")
ax.set_title("Exercise boundaries: optimal (tree) and LSMC")
ax.legend(loc="upper left", fontsize=8)
fig.tight_layout()

# %%
# 3. The dual upper bound and the price bracket
# ---------------------------------------------
# Any martingale :math:`M` with :math:`M_0 = 0` gives
# :math:`V_0 \le E[\max_t (e^{-rt}h(S_t) - M_t)]`. Andersen and Broadie build :math:`M`
# from the exercise rule itself, estimating its continuation values by inner
# simulations from every date of every outer path. The lower bound (fresh paths) and
# the dual upper bound together certify how far the LSMC rule can be from optimal.

bracket = fa.price_bracket(problem, model, lsmc.policy, n_lower=N_TEST, n_outer=N_OUTER, n_inner=N_INNER, rng=1)
lo, hi = bracket.interval(1.96)
print(f"lower bound  {bracket.lower.price:.4f} +- {bracket.lower.stderr:.4f}")
print(f"upper bound  {bracket.upper.upper:.4f} +- {bracket.upper.stderr:.4f}")
inside = "contains" if lo <= tree_berm.price <= hi else "MISSES"
print(f"95% bracket  [{lo:.4f}, {hi:.4f}]   {inside} the tree's Bermudan value {tree_berm.price:.4f}")
print(f"gap (upper - lower): {bracket.gap:.4f}; it shrinks as n_inner grows (inner-sampling bias)")

# %%
# 4. Fitted-Q iteration with a history-augmented state
# ----------------------------------------------------
# In reinforcement-learning terms, stopping is an MDP with two actions whose *stop*
# value is known; fitted-Q iteration learns the *continue* value :math:`Q(x)` with one
# regressor shared by all dates. Each iteration regresses, on :math:`x`, the
# discounted cash flow that the current greedy policy collects from the next date on
# (Monte Carlo returns; ``target="value"`` would bootstrap
# :math:`e^{-r\Delta t}\max(h(S'), Q(x'))` instead, which the max over noisy
# estimates biases upwards). Like policy iteration it settles in a few iterations.
# The state :math:`x` holds the last three prices and the time to maturity
# (:class:`finance_apps.HistoryFeatures`). Any regressor of the library fits here: a
# torch MLP (:class:`rlcore.deep.MLPRegressor`) makes it "deep"; a
# quadratic ridge regression keeps this page fast.
#
# On GBM the price is Markov, so the history can only add noise: the history-aware
# policy must not beat the optimum (a guard against look-ahead).

fq = fa.fitted_q_stopping(
    problem, model, N_FQ, features=fa.HistoryFeatures(3, degree=2), n_iterations=5, n_test_paths=N_TEST, rng=2
)
print(
    f"fitted-Q out-of-sample  {fq.out_of_sample.price:.4f} +- {fq.out_of_sample.stderr:.4f}"
    f"   (Bermudan optimum {tree_berm.price:.4f})"
)

# %%
# Four prices, one figure
# -----------------------
names = [
    "European\n(Black-Scholes)",
    "CRR tree\n(Bermudan)",
    "LSMC\n(lower bound)",
    "Andersen-Broadie\n(upper bound)",
    "fitted-Q\n(lower bound)",
]
vals = [euro, tree_berm.price, bracket.lower.price, bracket.upper.upper, fq.out_of_sample.price]
errs = [0.0, 0.0, 1.96 * bracket.lower.stderr, 1.96 * bracket.upper.stderr, 1.96 * fq.out_of_sample.stderr]
fig, ax = plt.subplots(figsize=(8, 4))
ax.errorbar(range(len(vals)), vals, yerr=errs, fmt="o", capsize=5)
ax.axhline(tree_berm.price, ls="--", c="gray", lw=0.8)
ax.set_xticks(range(len(vals)))
ax.set_xticklabels(names, fontsize=8)
ax.set_ylabel("price")
ax.set_title("American put (S=36, K=40): estimates with 95% error bars")
fig.tight_layout()

# %%
# When history matters: autocorrelated returns
# --------------------------------------------
# Under AR(1) log returns (:class:`finance_apps.AutoregressiveGARCH`, here with
# :math:`\phi = 0.5` and no GARCH), today's return predicts tomorrow's, so two paths at
# the same price are not in the same state. LSMC on the last price alone cannot tell
# them apart; the history-aware fitted-Q policy can. Both are evaluated on the same
# independent paths, so their difference has a small paired standard error.

dates = np.arange(1, 11) / 10
berm = fa.StoppingProblem.bermudan(fa.Put(100.0), dates, 0.02)
ar = fa.AutoregressiveGARCH(100.0, 0.0, 0.5, 0.03**2, 0.0, 0.0, berm.grid())
test = ar.simulate(N_TEST, rng=3)
markov = fa.longstaff_schwartz(berm, ar, N_FQ, n_test_paths=None, rng=4).policy
history = fa.fitted_q_stopping(
    berm, ar, N_FQ, features=fa.HistoryFeatures(2, degree=3), n_iterations=5, n_test_paths=None, rng=4
).policy
v_m = fa.evaluate_exercise_policy(berm, ar, markov, paths=test)
v_h = fa.evaluate_exercise_policy(berm, ar, history, paths=test)
d = v_h.payoffs - v_m.payoffs
print(f"price-only LSMC     {v_m.price:.4f}")
print(f"history fitted-Q    {v_h.price:.4f}")
print(f"difference          {d.mean():+.4f} +- {d.std(ddof=1) / np.sqrt(d.size):.4f} (paired)")

# %%
# What to take away
# -----------------
# * The tree is the reference for one asset (and :func:`finance_apps.product_lattice_price`
#   for two); Monte Carlo methods take over in higher dimension or richer models.
# * A Monte Carlo exercise rule is only as good as its certificate: report the
#   out-of-sample lower bound *and* the dual upper bound, not the in-sample estimate.
# * The RL formulation is the same problem; its strength is the state: when the price
#   is not Markov, a policy that sees the history earns strictly more.
