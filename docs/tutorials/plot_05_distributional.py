"""
Beyond the mean: risk-sensitive control with distributional DP
===============================================================

Dynamic programming usually answers one question: which policy has the largest
*expected* return? Two policies with the same mean can have very different risks,
and the policy with the largest mean can have a disastrous lower tail. This tutorial

1. computes the whole return distribution of a policy, exactly and with the two
   standard approximate representations (categorical and quantile), and checks them
   against their error bounds;
2. finds the policy that maximises the lower-tail **CVaR** of the return, with
   distributional dynamic programming on the **stock-augmented** MDP of Pires et al.
   (2025), and compares its return distribution with that of the mean-optimal policy
   of the same MDP;
3. checks the answers with rlcore's evaluation and simulation tools, and shows what
   dynamic programming cannot optimize.

The theory (operators, contraction moduli, error bounds, which objectives are
DP-optimizable) is on the :doc:`theory page </theory/distributional>`.
"""

# %%
# Budget
# ------
# With ``RLREF_DOCS_QUICK=1`` (as in the test-suite) the Monte Carlo checks use fewer
# episodes; every exact computation is the same.

import os

import matplotlib.pyplot as plt
import numpy as np

import tabular
from rlcore import DiscreteDistribution, FiniteMDP, cramer_distance, evaluate_policy, rollout, wasserstein_distance
from rlcore.generators import random_mdp
from tabular.distributional import distributional_evaluation, projection_error_bound
from tabular.stock_augmented import CVaR, MeanVariance, ThresholdProbability, optimize_return_distribution

QUICK = os.environ.get("RLREF_DOCS_QUICK", "") not in ("", "0")
N_EPISODES = 2_000 if QUICK else 50_000  # Monte Carlo checks
H = 12  # decision steps
ALPHA = 0.1  # CVaR level: the worst 10% of outcomes

# %%
# A small investment problem
# --------------------------
# In state 0 the agent invests in one of two assets. The outcome is revealed in the
# next step (states 1-4 pay their reward and return to state 0), so each investment
# takes two steps:
#
# * action 0, the *cautious* asset: +2 with probability 0.7, -1 with probability 0.3
#   (mean +1.1 per investment);
# * action 1, the *bold* asset: +6 with probability 0.6, -3 with probability 0.4
#   (mean +2.4).
#
# Rewards are deterministic given the state and action, so the return
# :math:`G = \sum_{t<H} R(S_t, A_t)` is random only through the transitions.


def investment_mdp(horizon: int) -> FiniteMDP:
    P = np.zeros((5, 2, 5))
    R = np.zeros((5, 2))
    P[0, 0, 1], P[0, 0, 2] = 0.7, 0.3  # cautious: small win / small loss
    P[0, 1, 3], P[0, 1, 4] = 0.6, 0.4  # bold: big win / big loss
    for s, r in [(1, 2.0), (2, -1.0), (3, 6.0), (4, -3.0)]:
        P[s, :, 0] = 1.0
        R[s] = r
    return FiniteMDP(P, R, horizon=horizon, initial=np.eye(5)[0])


mdp = investment_mdp(H)

# %%
# The mean-optimal policy and its return distribution
# ---------------------------------------------------
# Backward induction gives the policy with the largest expected return: always
# bold. Its return distribution, computed exactly by the backward recursion
# :math:`\eta_t(s) = \sum_a \pi(a|s) \sum_{s'} P(s'|s,a)\, (R(s,a) + \eta_{t+1}(s'))`
# on finite-support distributions, is wide: its mean is high, its lower tail heavy.

mean_opt = tabular.backward_induction(mdp).policy
exact = distributional_evaluation(mdp, mean_opt, representation="exact")
law_mean = exact.initial_distribution(mdp.initial)
print(
    f"mean-optimal policy: E[G] = {law_mean.mean():.3f} (backward induction: "
    f"{tabular.backward_induction(mdp).V[0, 0]:.3f}), sd = {law_mean.std():.3f}, "
    f"VaR_0.1 = {law_mean.quantile(ALPHA):.1f}, CVaR_0.1 = {law_mean.cvar(ALPHA):.3f}, "
    f"P(G < 0) = {1 - law_mean.prob_at_least(0.0):.3f}"
)

# %%
# Approximate representations and their guarantees
# -------------------------------------------------
# The exact law can have exponentially many atoms. The **categorical** representation
# keeps probabilities on a fixed, evenly spaced support (one per step here, spanning
# the range of the return-to-go) and projects with linear interpolation, the
# orthogonal projection for the Cramér distance :math:`\ell_2`; the **quantile**
# representation keeps :math:`N` equally weighted atoms at the quantile midpoints, the
# :math:`W_1` projection. Both come with an a-priori bound on their distance to the true
# law (:func:`tabular.distributional.projection_error_bound`), which shrinks as the
# resolution grows; the categorical mean is exact.

fig, ax = plt.subplots(figsize=(7.5, 4))
# the categorical supports span the a-priori range [sum_t min R_t, sum_t max R_t] of the
# return, wider than the returns this policy reaches; plot all of it
lo, hi = H * float(mdp.R.min()), H * float(mdp.R.max())
xs = np.linspace(lo - 2, hi + 2, 4000)
ax.step(xs, law_mean.cdf(xs), where="post", color="k", lw=2, label="exact")
for m, color in [(11, "C0"), (51, "C2")]:
    d = distributional_evaluation(mdp, mean_opt, n_atoms=m).initial_distribution(mdp.initial)
    err, bound = cramer_distance(d, law_mean), projection_error_bound(mdp, "categorical", n_atoms=m)
    print(f"categorical, m = {m:3d}: Cramér error {err:.4f} <= bound {bound:.4f}; mean {d.mean():.6f}")
    ax.step(xs, d.cdf(xs), where="post", color=color, label=f"categorical, m = {m}")
for n, color in [(10, "C1"), (50, "C3")]:
    d = distributional_evaluation(mdp, mean_opt, representation="quantile", n_atoms=n).initial_distribution(mdp.initial)
    err, bound = wasserstein_distance(d, law_mean), projection_error_bound(mdp, "quantile", n_atoms=n)
    print(f"quantile,    N = {n:3d}: W1 error     {err:.4f} <= bound {bound:.4f}; mean {d.mean():.6f}")
    ax.step(xs, d.cdf(xs), where="post", color=color, ls="--", label=f"quantile, N = {n}")
ax.set_xlabel("return G")
ax.set_ylabel("P(G <= x)")
ax.set_title("Return distribution of the mean-optimal policy")
ax.legend()
fig.tight_layout()

# %%
# Optimizing the lower tail: CVaR with stock augmentation
# -------------------------------------------------------
# The lower-tail CVaR, the mean of the worst :math:`\alpha` fraction of outcomes, has
# the Rockafellar-Uryasev form
#
# .. math:: \mathrm{CVaR}_\alpha(G) = \max_c \Big\{ c - \tfrac{1}{\alpha}\,
#           \mathbb E\big[(c - G)^+\big] \Big\}.
#
# For a fixed :math:`c` the inner objective is an expected utility of the *final*
# return. It is not additive over time, so no Markov policy of the original MDP need
# be optimal, but it becomes a terminal reward once the state carries the **stock**
# :math:`c_t = \sum_{u<t} R_u`, the reward accumulated so far. With integer rewards
# the reachable stocks are finitely many, so the stock-augmented MDP is an exact,
# ordinary finite MDP; :func:`~tabular.stock_augmented.optimize_return_distribution`
# runs the inner DP for every candidate :math:`c` (the reachable final stocks) and
# keeps the best.

res = optimize_return_distribution(mdp, CVaR(ALPHA))
aug = res.augmented
law_cvar = res.return_distribution
print(f"augmented MDP: {aug.mdp.n_states} states = {mdp.n_states} states x {aug.n_stocks} stocks (exact: {aug.exact})")
print(
    f"CVaR-optimal policy: E[G] = {law_cvar.mean():.3f}, sd = {law_cvar.std():.3f}, "
    f"VaR_0.1 = {law_cvar.quantile(ALPHA):.1f}, CVaR_0.1 = {res.value:.3f} (c* = {res.c:g}), "
    f"P(G < 0) = {1 - law_cvar.prob_at_least(0.0):.3f}"
)

cautious = np.zeros((H, mdp.n_states), dtype=np.int64)
law_cautious = distributional_evaluation(mdp, cautious, representation="exact").initial_distribution(mdp.initial)
print(f"always cautious:     E[G] = {law_cautious.mean():.3f}, CVaR_0.1 = {law_cautious.cvar(ALPHA):.3f}")

# %%
# The two return distributions side by side: the CVaR-optimal policy gives up mean
# return to lift its worst outcomes.

fig, ax = plt.subplots(figsize=(8, 4))
for law, label, color, shift in [(law_mean, "mean-optimal", "C3", -0.2), (law_cvar, "CVaR$_{0.1}$-optimal", "C0", 0.2)]:
    ax.bar(law.atoms + shift, law.probs, width=0.4, color=color, alpha=0.8, label=label)
    ax.axvline(law.mean(), color=color, ls="-", lw=1.5)
    ax.axvline(law.cvar(ALPHA), color=color, ls=":", lw=2)
ax.set_xlabel("return G")
ax.set_ylabel("probability")
ax.set_title("Return distributions (solid: mean, dotted: CVaR$_{0.1}$)")
ax.legend()
fig.tight_layout()

# %%
# What the CVaR-optimal policy does
# ---------------------------------
# Its action in state 0 depends on the stock as well as on the time: cautious while
# the return is near the level that matters for the tail, bold when it is far behind
# (nothing to lose in the tail) or comfortably ahead. No Markov policy can do this.

K = aug.n_stocks
decision_times = np.arange(0, H, 2)
actions = res.policy.policy[decision_times][:, aug.encode(0, np.arange(K))]
fig, ax = plt.subplots(figsize=(9, 3))
ax.imshow(actions, aspect="auto", cmap="coolwarm", interpolation="nearest")
ax.set_xticks(np.arange(K)[::3], [f"{c:g}" for c in aug.stocks[::3]])
ax.set_yticks(np.arange(decision_times.size), decision_times)
ax.set_xlabel("stock (reward accumulated so far)")
ax.set_ylabel("step t")
ax.set_title("CVaR-optimal action in state 0 (blue: cautious, red: bold)")
fig.tight_layout()

# %%
# Checking the answer with rlcore
# -------------------------------
# The stock-augmented MDP is an ordinary :class:`rlcore.FiniteMDP` with the original
# rewards and the policy an ordinary ``(H, S*K)`` policy, so rlcore's exact evaluation
# and its simulator apply unchanged. ``res.policy.simulate_returns`` runs the same
# policy on the *original* MDP, rebuilding the stock from the rewards observed.

V = evaluate_policy(aug.mdp, res.policy.policy).V
print(
    f"rlcore.evaluate_policy on the augmented MDP: {aug.mdp.initial @ V[0]:.6f} "
    f"(mean of the law: {law_cvar.mean():.6f})"
)
mc_aug = rollout(aug.mdp, res.policy.policy, N_EPISODES, rng=0).episode_returns()
mc_orig = res.policy.simulate_returns(N_EPISODES, rng=1)
for name, sample in [("rollout(augmented MDP)", mc_aug), ("original MDP + stock", mc_orig)]:
    emp = DiscreteDistribution.from_samples(sample)
    print(
        f"{name:24s}: Monte Carlo mean {sample.mean():.3f}, CVaR_0.1 {emp.cvar(ALPHA):.3f}, "
        f"Kolmogorov distance to the exact law "
        f"{np.max(np.abs(emp.cdf(law_cvar.atoms) - law_cvar.cdf(law_cvar.atoms))):.4f}"
    )

# %%
# Other objectives, and one that DP cannot optimize
# -------------------------------------------------
# Threshold probabilities :math:`P(G \ge \tau)` and quantiles are optimized the same
# way. A mean-variance criterion is not: the variance is not linear in the return
# distribution, so Bellman's principle fails, and the library says so rather than
# returning a policy that is not optimal.

for tau in (10.0, 20.0):
    r = optimize_return_distribution(aug, ThresholdProbability(tau))
    print(f"max P(G >= {tau:g}) = {r.value:.4f}   (mean-optimal policy: {law_mean.prob_at_least(tau):.4f})")
try:
    optimize_return_distribution(aug, MeanVariance(0.5))
except ValueError as exc:
    print("MeanVariance:", str(exc)[:110], "...")

# %%
# Discounted problems
# -------------------
# With a discount the return has infinitely many atoms in general and the projected
# operator is iterated to a fixed point: categorical iterates contract at rate
# :math:`\sqrt\gamma` in the supremum-Cramér distance, quantile iterates at rate
# :math:`\gamma` in the supremum-:math:`W_\infty` distance; the evaluation stops once
# the a-posteriori bound on the distance to the fixed point is below ``tol`` and
# reports it.

disc = random_mdp(20, 3, gamma=0.9, rng=0)
pi = np.zeros(20, dtype=np.int64)
for rep in ("categorical", "quantile"):
    ev = distributional_evaluation(disc, pi, representation=rep, n_atoms=101, epsilon=1e-8)
    gap = np.max(np.abs(ev.mean() - evaluate_policy(disc, pi).V))
    print(
        f"{rep:11s}: {ev.iterations} iterations, converged = {ev.converged}, "
        f"distance to fixed point <= {ev.error_bound:.1e}, max |mean - V^pi| = {gap:.2e}"
    )

plt.show()
