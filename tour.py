"""A short tour of the whole library: what `make tour` runs.

Five sections, one per package: a certified plan (``tabular``), a bandit's regret
against its bound (``bandits``), an offline pessimism certificate (``offline``), an
American put bracketed by a lattice, Longstaff-Schwartz and the Andersen-Broadie dual
bound, and the risk of a hedge under costs (both ``finance_apps``). Every number
printed is computed when the tour runs, and so are the checks beside it (bounds,
confidence intervals, brackets). Each section names the module and the tutorial to
read next. No torch is needed; the budgets are small so the whole tour takes seconds
once the Numba kernels are cached (the first run compiles them).
"""

from __future__ import annotations

import time

import numpy as np

import bandits
import finance_apps as fa
import offline
import rlcore
import tabular
from rlcore import FiniteMDP, evaluate_policy, generators, occupancy

TUTORIALS = "docs/tutorials/"


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 74 - len(title)))


def read_next(modules: str, tutorial: str) -> None:
    print(f"read next: {modules}; tutorial {TUTORIALS}{tutorial}")


def planning() -> None:
    section("1. A certified plan (tabular)")
    mdp = generators.forest(n_states=3, r1=4.0, r2=2.0, p=0.1, gamma=0.9)
    names = ["wait", "cut"]
    print(f"pymdptoolbox's forest example: {mdp}")
    for method in ("policy_iteration", "value_iteration", "modified_policy_iteration"):
        res = tabular.solve(mdp, method=method, epsilon=1e-9)
        print(
            f"{method:>26}: {res.iterations:2d} iterations, policy {[names[a] for a in res.policy]}, "
            f"V* = {np.array2string(res.V, precision=4)}, |V - V*| <= {res.value_bound:.0e}"
        )
    print("pymdptoolbox's documentation lists V = (26.244, 29.484, 33.484) and policy (0, 0, 0)")

    river = generators.river_swim(n_states=6, gamma=0.95)
    res = tabular.solve(river, epsilon=1e-10)
    ev = evaluate_policy(river, res.policy)
    d = occupancy(river, res.policy, normalize=True)
    print(
        f"RiverSwim (6 states): policy {res.policy.tolist()} is certified "
        f"{res.suboptimality_bound:.0e}-optimal; V*(s0) = {ev.V[0]:.4f}"
    )
    print(
        f"check  <d, r> / (1 - gamma) = {np.sum(d * river.R) / (1 - river.gamma):.6f}"
        f"  vs  mu^T V* = {river.initial @ ev.V:.6f}"
    )
    print("every result has a summary (arrays by shape and range, never dumped):")
    print(res.summary())
    read_next("tabular (solve, certify), rlcore.evaluation", "plot_03_solving_mdps.py")


def bandit_regret() -> None:
    section("2. A bandit's regret against its bound (bandits)")
    means = np.array([0.5, 0.45, 0.4, 0.3, 0.2])
    env = bandits.BernoulliBandit(means)
    horizon, n_runs = 10_000, 32
    t0 = time.perf_counter()
    bandits.simulate(env, bandits.UCB1(), 10, 1, rng=0)  # compiles the kernels on a first run
    t1 = time.perf_counter()
    sim = bandits.simulate(env, bandits.UCB1(), horizon, n_runs, rng=2024)
    t2 = time.perf_counter()
    print(
        f"UCB1 on Bernoulli arms {means.tolist()}: {n_runs} runs x {horizon:,} rounds in {t2 - t1:.2f} s "
        f"(+ {t1 - t0:.2f} s to compile or load the Numba kernels)"
    )
    checkpoints = np.array([100, 1_000, 10_000])
    mean = sim.mean_regret()
    lo, hi = sim.confidence_band(level=0.95)
    ucb1 = np.asarray(bandits.ucb1_regret_bound(means, checkpoints))
    lai = np.asarray(bandits.lai_robbins_lower_bound(means, checkpoints))
    print(f"{'n':>8} {'mean regret':>12} {'95% CI':>17} {'UCB1 bound':>11} {'Lai-Robbins':>12}")
    for k, n in enumerate(checkpoints):
        i = n - 1
        print(f"{n:8,d} {mean[i]:12.1f} [{lo[i]:7.1f}, {hi[i]:6.1f}] {ucb1[k]:11.1f} {lai[k]:12.1f}")
    ok = bool(np.all(hi[checkpoints - 1] <= ucb1))
    print(
        f"UCB1's finite-time bound (Auer et al. 2002, Thm 1) {'holds' if ok else 'FAILS'} at every n; "
        "Lai-Robbins is an asymptotic lower bound"
    )
    read_next("bandits.stochastic (simulate, UCB1, bounds)", "plot_04_bandit_regret.py")


def pessimism() -> None:
    section("3. An offline pessimism certificate (offline)")
    S, A, gamma, r_max = 5, 2, 0.5, 1.0
    base = generators.random_mdp(S, A, gamma=gamma, rng=0)
    mdp = FiniteMDP(base.P, base.R, gamma=gamma, initial=np.eye(S)[0])
    pi_star = offline.optimal_policy(mdp)
    v_star = evaluate_policy(mdp, pi_star).V[0]
    mu = np.full((S, A), 1.0 / (S * A))  # uniform logging over the state-action pairs
    c_star = offline.concentrability(mdp, mu, pi_star)
    n = 1_000_000
    data = offline.sample_transitions(mdp, mu, n, rng=0)
    res = offline.vi_lcb(data, S, A, gamma, delta=0.1, r_max=r_max, rng=0)
    cert = offline.pessimism_certificate(mdp, res)
    subopt = offline.policy_suboptimality(mdp, res.policy)
    bound = offline.vi_lcb_bound(n, c_star, S, A, gamma, 0.1, r_max=r_max)
    v_max = r_max / (1 - gamma)
    print(
        f"VI-LCB on {n:,} logged transitions of a random {S}x{A} MDP, gamma = {gamma:g}, uniform logging\n"
        f"(C* = {c_star:.1f}), rewards in [0, {r_max:g}] (r_max passed explicitly), delta = 0.1"
    )
    print(f"  true suboptimality of the learned policy   {subopt:.4f}")
    print(f"  V*(s0) - pessimistic V(s0)                 {v_star - res.V[0]:.4f}")
    print(f"  data-dependent certificate (prob. 1 - delta) {cert:.4f}")
    print(f"  explicit bound of the paper (prob. 1 - 2 delta) {bound:.4f}   trivial bound V_max = {v_max:g}")
    ok = subopt <= cert <= v_max and res.V[0] <= v_star
    print(f"  check: suboptimality <= certificate <= V_max and V(s0) <= V*(s0): {ok}")
    print(res.summary())
    read_next("offline (vi_lcb, pessimism_certificate, concentrability)", "plot_07_pessimism.py")


def american_put() -> None:
    section("4. An American put: lattice, LSMC and the dual bound (finance_apps)")
    s0, strike, rate, vol, maturity, dates = 36.0, 40.0, 0.06, 0.2, 1.0, 50
    put = fa.Put(strike)
    problem = fa.StoppingProblem.american(put, maturity, rate, n_steps=dates)
    tree = fa.binomial_price(put, s0, vol, rate, maturity, n_steps=2000, exercise=problem.exercise_dates)
    euro = fa.black_scholes("put", s0, strike, maturity, rate, vol)
    model = fa.GeometricBrownianMotion(s0, vol, rate, problem.grid())
    lsmc = fa.longstaff_schwartz(problem, model, 20_000, n_test_paths=None, rng=0)
    bracket = fa.price_bracket(problem, model, lsmc.policy, n_lower=20_000, n_outer=100, n_inner=100, rng=1)
    lo, hi = bracket.interval(1.96)
    print(f"S0 = {s0:g}, K = {strike:g}, r = {rate:g}, sigma = {vol:g}, T = {maturity:g}, {dates} exercise dates")
    print(f"  European (Black-Scholes)              {euro:.4f}")
    print(f"  Bermudan (CRR lattice, 2000 steps)    {tree.price:.4f}")
    print(f"  LSMC policy on fresh paths (lower)    {bracket.lower.price:.4f} +- {bracket.lower.stderr:.4f}")
    print(f"  Andersen-Broadie dual (upper)         {bracket.upper.upper:.4f} +- {bracket.upper.stderr:.4f}")
    inside = "contains" if lo <= tree.price <= hi else "MISSES"
    print(f"  95% bracket [{lo:.4f}, {hi:.4f}] {inside} the lattice value; gap {bracket.gap:.4f}")
    read_next("finance_apps (binomial_price, longstaff_schwartz, price_bracket)", "plot_08_american_put.py")


def hedging() -> None:
    section("5. The risk of a hedge under trading costs (finance_apps)")
    s0, strike, vol, maturity, n_steps, cost, a = 1.0, 1.0, 0.2, 20 / 250, 20, 0.002, 50.0
    risk = fa.EntropicRisk(a)
    times = fa.paths.time_grid(maturity, n_steps)
    prices = fa.GeometricBrownianMotion(s0, vol, 0.0, times).simulate(20_000, rng=1)
    payoff = fa.call_payoff(prices, strike)
    price = float(fa.bs_call_price(s0, strike, maturity, vol))
    print(
        f"selling a call (S0 = K = 1, 20 trading days, sigma = {vol:g}; Black-Scholes price {price:.5f}),\n"
        f"hedged daily with a cost of {cost * 1e4:g} bp of traded value, 20,000 paths"
    )
    strategies = {
        "no hedge": fa.no_hedge(prices),
        "BS delta": fa.bs_delta_hedge(prices, times, strike, vol),
        "Whalley-Wilmott": fa.whalley_wilmott_hedge(prices, times, strike, vol, cost, a),
    }
    print(f"  {'strategy':16s} {'entropic (a=50)':>15s} {'ES 5%':>8s} {'mean cost':>10s} {'turnover':>9s}")
    for name, deltas in strategies.items():
        pnl = fa.hedging_pnl(prices, deltas, payoff, cost=cost)
        frictionless = fa.hedging_pnl(prices, deltas, payoff)
        print(
            f"  {name:16s} {risk(pnl):15.5f} {fa.expected_shortfall(pnl, 0.05):8.4f} "
            f"{np.mean(frictionless - pnl):10.5f} {fa.turnover(deltas).mean():9.3f}"
        )
    frictionless = risk(fa.hedging_pnl(prices, strategies["BS delta"], payoff))
    print(
        f"  check: without costs the delta hedge needs {frictionless:.5f}, near Black-Scholes "
        f"{price:.5f} (excess ~ 1/n)"
    )
    print("  (risk of the P&L with no premium = the price the seller needs; the deep hedger")
    print("   trained on the same risk measure is in finance_apps.deep, with torch)")
    read_next("finance_apps (hedging_pnl, risk_measures, hedging_baselines)", "plot_09_deep_hedging.py")


def main() -> None:
    print(f"rlref tour (rlcore {rlcore.__version__}, numpy {np.__version__})")
    t0 = time.perf_counter()
    for step in (planning, bandit_regret, pessimism, american_put, hedging):
        step()
    print(f"\nTour done in {time.perf_counter() - t0:.1f} s. Next: every tutorial in {TUTORIALS},")
    print("the API reference in docs/, and `make test` for the suite.")


if __name__ == "__main__":
    main()
