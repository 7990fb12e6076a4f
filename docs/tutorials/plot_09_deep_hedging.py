"""
Deep hedging a call under costs
===============================

A bank sells a one-month at-the-money call and hedges it by trading the underlying
once a day. Without transaction costs and in the Black-Scholes model the answer is
known: hold the Black-Scholes delta, and the hedging error vanishes as trading becomes
continuous. With proportional costs, trading every day at the delta is expensive and
the optimal strategy has a *no-trade band*. Deep hedging (Buehler, Gonon, Teichmann
and Wood 2019) finds the strategy numerically: a neural network maps the market state
and the current holding to the next holding, and is trained to minimise a convex risk
measure of the terminal P&L over simulated paths.

This tutorial

1. sets up the market, the P&L and the baselines (no hedge, Black-Scholes delta,
   Whalley-Wilmott band);
2. trains a hedger without costs and compares it with the delta and with the
   Black-Scholes price;
3. adds costs: the learned hedge trades less, is less risky than the delta hedge and
   has a band;
4. trains with K-FAC and with Adam on the same seeds and budget.

The definitions are on the :doc:`theory page </theory/hedging>`.
"""

# %%
# Budget
# ------
# ``RLREF_DOCS_QUICK=1`` (the test-suite) uses fewer paths and iterations; the full run
# takes about a minute on one core.

import os

import matplotlib.pyplot as plt
import numpy as np
import torch

from finance_apps import (
    EntropicRisk,
    bs_call_delta,
    bs_call_price,
    bs_delta_hedge,
    call_payoff,
    expected_shortfall,
    hedging_pnl,
    indifference_price,
    no_hedge,
    turnover,
    whalley_wilmott_hedge,
    whalley_wilmott_width,
)
from finance_apps.deep import feedforward_hedger, hedge_ratios, hedging_features, lstm_hedger, train_hedger
from finance_apps.paths import GeometricBrownianMotion, time_grid

torch.set_num_threads(1)
QUICK = os.environ.get("RLREF_DOCS_QUICK", "") not in ("", "0")
N_PATHS = 5_000 if QUICK else 20_000  # training and evaluation scenarios (each)
ITERS = 100 if QUICK else 300  # Adam / K-FAC updates per training run
BATCH = 1024

# %%
# The market and the risk measure
# -------------------------------
# Spot 1, strike 1, volatility 20%, maturity 20 trading days, one rebalancing a day,
# zero rate. The call costs about 0.023. The risk measure is the entropic risk
# :math:`\rho(X) = \frac1a \log E[e^{-aX}]`; for a small P&L it is close to
# :math:`-E[X] + \frac a2 \mathrm{Var}[X]`. Its risk aversion has units of 1 / P&L,
# so it must match the price scale: the unhedged P&L has a standard deviation of
# about 0.03, and with :math:`a = 1` the variance term would be :math:`5\cdot 10^{-4}`
# of the mean, a loss that is almost flat in the hedge. We take :math:`a = 50`.

S0, K, SIGMA, T, N_STEPS = 1.0, 1.0, 0.2, 20 / 250, 20
A = 50.0
risk = EntropicRisk(A)
times = time_grid(T, N_STEPS)
market = GeometricBrownianMotion(S0, SIGMA, 0.0, times)
S_train, S_test = market.simulate(N_PATHS, rng=0), market.simulate(N_PATHS, rng=1)
Z_train, Z_test = call_payoff(S_train, K), call_payoff(S_test, K)
X_train, X_test = hedging_features(S_train, times, K), hedging_features(S_test, times, K)
price = float(bs_call_price(S0, K, T, SIGMA))
print(f"Black-Scholes price {price:.5f}; sd of the unhedged payoff {Z_test.std():.4f}")

# %%
# The P&L of the seller who holds :math:`\delta_k` shares over :math:`[t_k, t_{k+1})`
# and pays a proportional cost :math:`c` on every trade is
#
# .. math:: \mathrm{PL} = -Z + p_0 + \sum_k \delta_k (S_{k+1} - S_k)
#           - c \sum_k |\delta_k - \delta_{k-1}|\, S_k .
#
# The price the seller needs is the *indifference price*
# :math:`p(Z) = \pi(-Z) - \pi(0)`, with :math:`\pi(X) = \inf_\delta \rho(X + \text{gains}
# - \text{costs})`; here :math:`\pi(0) = 0` (the stock is a martingale, so not trading
# is optimal without a claim), and :math:`p(Z)` is the risk of the best hedge
# with no premium.
#
# Without costs, the delta hedge's price approaches the Black-Scholes price as
# rebalancing becomes more frequent, the excess falling like :math:`1/n`
# (its variance does, :func:`~finance_apps.discrete_hedging_variance`):

fine = GeometricBrownianMotion(S0, SIGMA, 0.0, time_grid(T, 160)).simulate(N_PATHS, rng=2)
for n in (5, 10, 20, 40, 80, 160):
    S_n, t_n = fine[:, :: 160 // n], time_grid(T, 160)[:: 160 // n]
    p_n = risk(hedging_pnl(S_n, bs_delta_hedge(S_n, t_n, K, SIGMA), call_payoff(S_n, K)))
    print(f"n = {n:3d}: price of the delta hedge {p_n:.5f}  (excess over BS {p_n - price:+.5f})")

# %%
# No costs: the learned hedge is the delta
# ----------------------------------------
# The hedger is a semi-recurrent network
# (:func:`~finance_apps.deep.feedforward_hedger`): two hidden layers of 32, the
# inputs are the log-moneyness, the time to maturity (both scaled to order one) and
# the previous holding. Adam, learning rate 0.005, minibatches of 1024 paths.

net0 = feedforward_hedger(2, rng=0)
fit0 = train_hedger(
    net0,
    S_train,
    Z_train,
    X_train,
    risk,
    learning_rate=5e-3,
    n_iterations=ITERS,
    batch_size=BATCH,
    eval_data=(S_test, Z_test, X_test),
    rng=0,
)
D0 = hedge_ratios(net0, X_test)
delta = bs_delta_hedge(S_test, times, K, SIGMA)
p_deep = indifference_price(fit0.final_risk, 0.0)
p_delta = risk(hedging_pnl(S_test, delta, Z_test))
print(f"indifference price: deep hedger {p_deep:.5f}, delta hedge {p_delta:.5f}, BS {price:.5f}")
print(f"mean |deep - delta| = {np.abs(D0 - delta).mean():.3f}  ({fit0.seconds:.1f} s of training)")

k = N_STEPS // 2
fig, ax = plt.subplots(figsize=(6.5, 4))
s_k = S_test[:2000, k, 0]
ax.scatter(s_k, D0[:2000, k, 0], s=3, alpha=0.4, label="deep hedger, no costs")
grid = np.linspace(s_k.min(), s_k.max(), 200)
ax.plot(grid, bs_call_delta(grid, K, T - times[k], SIGMA), "k", lw=2, label="Black-Scholes delta")
ax.set_xlabel(f"spot on day {k}")
ax.set_ylabel("holding")
ax.set_title("Hedge ratio against the Black-Scholes delta")
ax.legend()
fig.tight_layout()

# %%
# Costs: trading less, and a no-trade band
# ----------------------------------------
# With a cost of 20 basis points per unit of traded value, rebalancing to the delta
# every day costs more than the risk it removes. Whalley and Wilmott (1997) derived
# the asymptotically optimal strategy for exponential utility: do nothing while the
# holding lies in :math:`\Delta \pm (\tfrac32 c S \Gamma^2 / a)^{1/3}`, trade to the
# nearest edge otherwise. The deep hedger is trained on the same risk measure.

COST = 0.002
net = feedforward_hedger(2, rng=1)
fit = train_hedger(
    net,
    S_train,
    Z_train,
    X_train,
    risk,
    cost=COST,
    learning_rate=5e-3,
    n_iterations=ITERS,
    batch_size=BATCH,
    eval_data=(S_test, Z_test, X_test),
    rng=1,
)
strategies = {
    "no hedge": no_hedge(S_test),
    "BS delta": delta,
    "Whalley-Wilmott": whalley_wilmott_hedge(S_test, times, K, SIGMA, COST, A),
    "deep hedger": hedge_ratios(net, X_test),
}
pnls = {}
print(f"{'strategy':16s} {'entropic':>9s} {'ES 5%':>8s} {'turnover':>9s}")
for name, D in strategies.items():
    pnls[name] = hedging_pnl(S_test, D, Z_test, cost=COST)
    print(f"{name:16s} {risk(pnls[name]):9.5f} {expected_shortfall(pnls[name], 0.05):8.4f} {turnover(D).mean():9.3f}")

fig, ax = plt.subplots(figsize=(7, 4))
bins = np.linspace(-0.12, 0.0, 80)
for name, pnl in pnls.items():
    ax.hist(pnl, bins=bins, histtype="step", lw=1.5, density=True, label=name)
ax.set_xlabel("P&L without premium (the premium shifts it right)")
ax.set_ylabel("density")
ax.set_title(f"P&L distributions, cost {COST:g}")
ax.legend(loc="upper left")
fig.tight_layout()

# %%
# The band: at day 10, the new holding as a function of the previous one for three
# spot levels, against the Whalley-Wilmott band for the same risk aversion (thick,
# on the diagonal). A delta hedge would be a horizontal line (slope 0), not trading
# the diagonal (slope 1). The learned rule lies in between: it crosses the diagonal
# inside the Whalley-Wilmott band and only partly corrects a holding that is away from
# it, a smoothed version of "trade to the edge of the band". The sharp kinks of the
# asymptotic band are not recovered by a small ReLU network after a few hundred
# updates; the qualitative shape (dependence on the previous holding, a no-trade
# region that moves with the spot like the delta) is.

fig, ax = plt.subplots(figsize=(6.5, 4.5))
prev = torch.linspace(0.0, 1.0, 201)[:, None]
for spot, color in [(0.97, "C0"), (1.0, "C1"), (1.03, "C2")]:
    tau = T - times[k]
    x = torch.tensor([[np.log(spot / K) / np.sqrt(T), tau / T]], dtype=torch.float32).expand(201, 2)
    with torch.no_grad():
        new = net.decide(x, prev)[:, 0].numpy()
    ax.plot(prev[:, 0].numpy(), new, color=color, label=f"deep hedger, spot {spot}")
    d = float(bs_call_delta(spot, K, tau, SIGMA))
    w = float(whalley_wilmott_width(spot, K, tau, SIGMA, COST, A))
    ax.plot([d - w, d + w], [d - w, d + w], color=color, lw=6, alpha=0.35)
ax.plot([0, 1], [0, 1], "k:", lw=1, label="no trade")
ax.set_xlabel("previous holding")
ax.set_ylabel("new holding")
ax.set_title("Learned trading rule (thick: Whalley-Wilmott band)")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# K-FAC against Adam
# ------------------
# :class:`~finance_apps.deep.KFAC` preconditions each Linear layer's gradient with the
# inverse of a Kronecker-factored curvature :math:`A \otimes G` (input second moments
# times output-gradient second moments). In a recurrent hedger the same layer is
# called at every date, and the factors average over dates as well (Martens, Ba and
# Johnson 2018). Both optimisers get the same seeds (same initial weights, same
# minibatches) and the same number of updates; the learning rates are the best of a
# small grid for each (Adam 0.01 for the LSTM, 0.005 for the feed-forward hedger;
# K-FAC 0.03 and 0.01, damping 0.001, KL clipping 0.001). The curves are the risk of
# the test set.

SEEDS = (0, 1)
curves: dict[tuple[str, str], list] = {}
for arch, make, lrs in [
    ("feed-forward", lambda s: feedforward_hedger(2, rng=s), {"adam": 5e-3, "kfac": 1e-2}),
    ("LSTM (16)", lambda s: lstm_hedger(2, hidden_size=16, rng=s), {"adam": 1e-2, "kfac": 3e-2}),
]:
    for opt in ("adam", "kfac"):
        for seed in SEEDS:
            r = train_hedger(
                make(seed),
                S_train,
                Z_train,
                X_train,
                risk,
                cost=COST,
                optimizer=opt,
                learning_rate=lrs[opt],
                n_iterations=ITERS // 2,
                batch_size=BATCH,
                eval_every=10,
                eval_data=(S_test, Z_test, X_test),
                rng=seed,
                kfac_options={"damping": 1e-3},
            )
            curves.setdefault((arch, opt), []).append(r)

fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, arch in zip(axes, ("feed-forward", "LSTM (16)")):
    for opt, color in (("adam", "C0"), ("kfac", "C3")):
        for i, r in enumerate(curves[(arch, opt)]):
            ax.plot(r.eval_steps, r.eval_risk, color=color, alpha=0.7, label=opt.upper() if i == 0 else None)
    ax.axhline(risk(pnls["Whalley-Wilmott"]), color="k", ls="--", lw=1, label="Whalley-Wilmott")
    ax.set_ylim(0.025, 0.035)
    ax.set_xlabel("updates")
    ax.set_title(arch)
    ax.legend()
axes[0].set_ylabel("entropic risk (test set)")
fig.tight_layout()

# %%
# How many updates does K-FAC need to reach the risk Adam ends with? Per seed:

for arch in ("feed-forward", "LSTM (16)"):
    for adam_run, kfac_run in zip(curves[(arch, "adam")], curves[(arch, "kfac")]):
        target = adam_run.final_risk
        reach = kfac_run.steps_to_reach(target)
        per_step = kfac_run.seconds / adam_run.seconds
        when = (
            "not within the budget"
            if reach is None
            else f"after {reach} updates ({reach / adam_run.eval_steps[-1]:.2f} of the budget)"
        )
        print(
            f"{arch:13s}: Adam ends at {target:.5f}; K-FAC reaches it {when}; "
            f"wall time per update K-FAC / Adam = {per_step:.2f}"
        )

# %%
# The ratio depends on the budget, the learning rates and the architecture; the
# benchmark ``python -m benchmarks.bench_hedging`` reports it on a longer run. On
# this problem K-FAC takes fewer, more expensive updates; whether it is faster in
# wall time depends on the size of the layers (the factor inverses cost
# :math:`O(d^3)` every ``inverse_update_freq`` updates).
