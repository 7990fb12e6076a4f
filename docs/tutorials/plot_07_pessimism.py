"""
Pessimism in offline RL
=======================

An offline RL algorithm learns from a fixed dataset and never gets to try what the
data do not show. Two classical recipes sit at the two ends of the possible datasets:

* **behavior cloning** (BC) copies the most frequent action of each state: right when
  the data come from an expert, wrong when they come from a random policy;
* the **plug-in** policy plans in the empirical MDP as if it were exact: right when
  every state-action pair is well covered, misled by the rarely seen pair whose few
  noisy rewards happened to be high.

Pessimism (acting on a *lower* confidence bound of the value) is one algorithm for
the whole range: its suboptimality is governed by the single-policy concentrability
:math:`C^*`, which is 1 for expert data and grows as the data drift away from the
optimal policy (Rashidinejad, Zhu, Ma, Jiao, Russell, NeurIPS 2021). This tutorial
reproduces the paper's qualitative picture:

1. datasets of controlled coverage, and their :math:`C^*`;
2. suboptimality against dataset size for expert, mixed and uniform data: LCB
   against BC and plug-in;
3. the guarantee: the certified VI-LCB of the paper, its bound, and the price of its
   conservative constants;
4. in front of any learner: return-based trajectory weighting on a mixed dataset.

The statements and the derivations of the constants are on the
:doc:`theory page </theory/offline>`.
"""

# %%
# Budget
# ------
# With ``RLREF_DOCS_QUICK=1`` (as in the test-suite) fewer dataset sizes and seeds are
# used; everything else is the same.

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np

import offline
from rlcore import FiniteMDP, VacuousResultWarning, evaluate_policy
from rlcore.generators import random_mdp
from rlcore.policies import uniform

# The sweeps below start at sample sizes where pessimism certifies nothing on purpose (the
# point is to watch the bounds become informative as n grows), and the library warns of
# each such result with rlcore.VacuousResultWarning; here the plots show it instead.
warnings.simplefilter("ignore", VacuousResultWarning)

QUICK = os.environ.get("RLREF_DOCS_QUICK", "") not in ("", "0")
SEEDS = 3 if QUICK else 16
SIZES = np.array([100, 1000, 10_000]) if QUICK else np.unique(np.logspace(2, 4.7, 9).astype(int))

# %%
# A problem and three datasets
# ----------------------------
# A random MDP with 10 states, 4 actions, 3 successors per pair and
# :math:`\gamma = 0.8`; rewards are Bernoulli with means in :math:`[0, 0.6]`, so a
# single lucky sample can make a poor action look perfect. The data are i.i.d.
# transitions :math:`(s, a) \sim \mu`, with :math:`\mu` the discounted state-action
# distribution of a behavior policy that follows the optimal policy with probability
# :math:`p` and acts uniformly at random otherwise (:func:`offline.mixture_policy`,
# :func:`offline.behavior_distribution`, :func:`offline.sample_transitions`).

S, A, GAMMA = 10, 4, 0.8
base = random_mdp(S, A, gamma=GAMMA, branching=3, rng=7)
mdp = FiniteMDP(base.P, 0.6 * np.asarray(base.R), gamma=GAMMA)
pi_star = offline.optimal_policy(mdp)

DATA = {"expert (p = 1)": 1.0, "mixed (p = 0.5)": 0.5, "uniform (p = 0)": 0.0}
MU = {
    name: offline.behavior_distribution(mdp, offline.mixture_policy([pi_star, uniform(S, A)], [p, 1 - p], A))
    for name, p in DATA.items()
}
for name, mu in MU.items():
    print(
        f"{name:>16}: C* = {offline.concentrability(mdp, mu, pi_star):6.2f}, "
        f"pairs never logged: {int((mu == 0).sum())} of {S * A}"
    )

# %%
# The learners
# ------------
# All share :func:`offline.pessimistic_value_iteration`, one core parametrised by
# the penalty: Hoeffding ``b = c V_max sqrt(L / 2N(s,a))``, Bernstein (Li et al.
# 2024, variance-aware) or none (plug-in). The theory's constants are conservative;
# ``c = 0.3`` is a practitioner's choice here. Unvisited pairs get the maximal
# penalty, values are clipped at 0, and ties (all unsupported actions are worth
# exactly 0) go to the most-logged action: where the data certify nothing, LCB
# falls back to imitation.

LEARNERS = {
    "LCB (Hoeffding, c=0.3)": lambda d: offline.pessimistic_value_iteration(d, S, A, gamma=GAMMA, c=0.3).policy,
    "LCB (Bernstein, c=0.3)": lambda d: offline.vi_lcb_bernstein(d, S, A, gamma=GAMMA, c=0.3).policy,
    "behavior cloning": lambda d: offline.behavior_cloning(d, S, A),
    "plug-in": lambda d: offline.plug_in_policy(d, S, A, gamma=GAMMA).policy,
}


def curves(mu):
    out = {name: np.zeros((len(SIZES), SEEDS)) for name in LEARNERS}
    for i, n in enumerate(SIZES):
        for seed in range(SEEDS):
            data = offline.sample_transitions(mdp, mu, int(n), rng=seed, bernoulli_rewards=True)
            for name, learn in LEARNERS.items():
                out[name][i, seed] = offline.policy_suboptimality(mdp, learn(data))
    return out


results = {name: curves(mu) for name, mu in MU.items()}

# %%
# Suboptimality against dataset size
# ----------------------------------
# Mean over seeds of :math:`V^*(\rho) - V^{\hat\pi}(\rho)` (exact policy evaluation).

fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
styles = {"LCB (Hoeffding, c=0.3)": "-o", "LCB (Bernstein, c=0.3)": "--s", "behavior cloning": ":^", "plug-in": "-.v"}
for ax, (data_name, res) in zip(axes, results.items()):
    for name, vals in res.items():
        ax.plot(SIZES, vals.mean(axis=1), styles[name], label=name, ms=4)
    ax.set_xscale("log")
    ax.set_title(data_name)
    ax.set_xlabel("dataset size N")
axes[0].set_ylabel("suboptimality")
axes[0].legend(fontsize=8)
fig.tight_layout()

# %%
# On expert data BC is optimal as soon as each expert state has been seen, and LCB
# imitates it (the expert's actions are the only ones with support). On uniform data
# BC copies a random policy and never improves, while LCB and plug-in converge. In
# between, on mixed data, plug-in trusts rare lucky pairs and pays for it, BC copies
# the half-random behavior, and LCB stays close to the best of both.

for data_name, res in results.items():
    last = {name: vals[-1].mean() for name, vals in res.items()}
    print(f"{data_name:>16}, N = {SIZES[-1]}: " + ", ".join(f"{k}: {v:.3f}" for k, v in last.items()))

# %%
# The certified algorithm and its bound
# -------------------------------------
# :func:`offline.vi_lcb` is the paper's VI-LCB: the data split across
# :math:`T = \lceil \log N / (1-\gamma) \rceil` iterations, the Hoeffding penalty with
# ``c = 1`` (the exact union-bound width). On a small problem with
# :math:`\gamma = 0.5`, the library checks the chain of inequalities the proof gives:
# with probability :math:`1 - \delta` the pessimistic value lower-bounds the true value
# of the returned policy, and :math:`V^* - \hat V` is below the data-dependent
# :func:`offline.pessimism_certificate`; with probability :math:`1 - 2\delta`, below
# the explicit :func:`offline.vi_lcb_bound` in :math:`(N, C^*, S, A, \gamma, \delta)`.

small = random_mdp(5, 2, gamma=0.5, rng=0)
small = FiniteMDP(small.P, small.R, gamma=0.5, initial=np.eye(5)[0])
pi_small = offline.optimal_policy(small)
v_star = evaluate_policy(small, pi_small).V[0]
mu_small = np.full((5, 2), 0.1)
c_star = offline.concentrability(small, mu_small, pi_small)
sizes2 = np.array([10**4, 10**5]) if QUICK else np.array([10**4, 3 * 10**4, 10**5, 3 * 10**5, 10**6])
gap, cert, subopt = [], [], []
for n in sizes2:
    g_, c_, s_ = [], [], []
    for seed in range(2 if QUICK else 5):
        d = offline.sample_transitions(small, mu_small, int(n), rng=seed)
        res = offline.vi_lcb(d, 5, 2, 0.5, delta=0.1, rng=seed)
        g_.append(v_star - res.V[0])
        c_.append(offline.pessimism_certificate(small, res))
        s_.append(offline.policy_suboptimality(small, res.policy))
    gap.append(np.mean(g_))
    cert.append(np.mean(c_))
    subopt.append(np.mean(s_))
bound = [offline.vi_lcb_bound(int(n), c_star, 5, 2, 0.5, 0.1) for n in sizes2]

# %%
# Every result prints as a short summary (arrays by shape and range); the algorithm that
# ran is in typed fields: ``penalty_kind``, and ``n_folds`` (:math:`T + 1` for the split
# VI-LCB), which :func:`offline.pessimism_certificate` reads.
print(res.summary())

fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(sizes2, bound, "k-", label="explicit bound (prob. 1 - 2 delta)")
ax.loglog(sizes2, cert, "b--", label="certificate (prob. 1 - delta)")
ax.loglog(sizes2, gap, "bo-", label=r"$V^*(\rho) - \hat V(\rho)$")
ax.loglog(sizes2, np.maximum(subopt, 1e-4), "r^:", label="suboptimality (floored at 1e-4)")
ax.set_xlabel("dataset size N")
ax.set_title(f"VI-LCB, uniform data (C* = {c_star:.1f}), delta = 0.1")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# The pessimistic gap decays like :math:`\sqrt{\log N / N}` up to log factors, with
# the certificate about twice as large; the a-priori bound adds the price of not
# knowing the counts in advance. The policy itself is usually optimal long before
# the bound says so: the bounds are worst case over MDPs.

# %%
# Trajectory weighting in front of a learner
# ------------------------------------------
# Hong et al. (2023): when a dataset mixes a few good trajectories with many poor
# ones, resample trajectories with weights :math:`w_i \propto \exp(\tilde G_i/\alpha)`
# (:func:`offline.trajectory_weights`, :func:`offline.resample_trajectories`). The
# effective behavior return rises (exactly: :func:`offline.tilted_behavior_return`)
# and a behavior-regularised learner, here plain BC, inherits it.

fh = random_mdp(6, 3, horizon=5, rng=3)
expert = offline.optimal_policy(fh)
poor = np.argmin(evaluate_policy(fh, expert).Q, axis=-1)
mixed = offline.collect_mixed_episodes(fh, [expert, poor], [0.2, 0.8], 400 if QUICK else 2000, rng=0)
for alpha in (1.0, 0.3, 0.1):
    w = offline.trajectory_weights(mixed, temperature=alpha)
    resampled = offline.resample_trajectories(mixed, w, rng=0)
    print(
        f"alpha = {alpha:>4}: behavior return {mixed.episode_returns().mean():.3f} -> "
        f"{offline.weighted_return(mixed, w):.3f}; BC suboptimality "
        f"{offline.policy_suboptimality(fh, offline.behavior_cloning(mixed, 6, 3, horizon=5)):.3f} -> "
        f"{offline.policy_suboptimality(fh, offline.behavior_cloning(resampled, 6, 3, horizon=5)):.3f}"
    )

plt.show()
