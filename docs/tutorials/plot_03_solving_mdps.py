"""
Solving MDPs: what VI, PI and LP guarantee
==========================================

Every discounted planner in :mod:`tabular` returns an answer *and a certificate*: a
bound on how far its values are from the optimal values :math:`V^*`, and a bound on
how much its policy loses against an optimal one. This tutorial shows what each
solver promises and how to read the certificate:

1. the problem: the Bellman optimality operator, and why a small stopping residual
   is no guarantee until it is turned into a bound;
2. value iteration: the residual, the certified bounds and the *true* errors,
   iteration by iteration; the span-seminorm rule against the sup-norm rule;
   Gauss-Seidel sweeps;
3. policy iteration: few, expensive, monotone steps;
4. modified policy iteration, the default of :func:`tabular.solve`;
5. linear programming and its dual, the occupancy measure;
6. what an *uncertified* answer looks like;
7. finite horizons: backward induction.

The theorems behind the stopping rules are on the
:doc:`theory page </theory/planning>`.
"""

# %%
# Budget
# ------
# With ``RLREF_DOCS_QUICK=1`` (as in the test-suite) the random MDP is smaller and
# the wall-time measurements are repeated fewer times; everything else is the same.

import itertools
import os
import time

import matplotlib.pyplot as plt
import numpy as np

import rlcore
import tabular
from rlcore.generators import combination_lock, random_mdp, river_swim

QUICK = os.environ.get("RLREF_DOCS_QUICK", "") not in ("", "0")
N_STATES = 60 if QUICK else 200  # states of the dense random MDP
N_ACTIONS = 5
GAMMA = 0.99
EPSILON = 1e-6  # target of every certified bound below
REPEATS = 2 if QUICK else 3  # wall times are the best of REPEATS runs

# %%
# The problem
# -----------
# For a discounted MDP the optimal values :math:`V^*` are the unique fixed point of
# the Bellman optimality operator
#
# .. math:: (TV)(s) = \max_a \Big[ r(s, a) + \gamma \sum_{s'} P(s' \mid s, a) V(s') \Big],
#
# a :math:`\gamma`-contraction in the sup norm. Iterating :math:`T` therefore
# converges, but an iterative solver has to *stop*, and the quantity it can observe
# is the residual :math:`\|TV - V\|_\infty`, not the error :math:`\|V - V^*\|_\infty`.
# The two are related by
#
# .. math:: \|V - V^*\|_\infty \le \frac{\|TV - V\|_\infty}{1-\gamma},
#
# and with :math:`\gamma = 0.99` the factor :math:`1/(1-\gamma)` is 100: a residual of
# :math:`10^{-6}` certifies only :math:`10^{-4}`. "Stop when successive iterates
# differ by less than epsilon" is a heuristic, not a guarantee, until it is
# converted into a bound like this one. Every solver in :mod:`tabular` does that
# conversion (with :func:`tabular.certify`) before it returns.
#
# Two test problems with :math:`\gamma = 0.99`:
#
# * a dense random MDP (every transition row drawn uniformly from the simplex over
#   all states), which mixes in a step or two;
# * RiverSwim with 20 states: a river flowing left, with the large reward at the
#   right bank. The optimal policy swims against the current; its chain crawls along
#   the river, so information travels slowly.
#
# The reference :math:`V^*` is that of the policy returned by policy iteration,
# computed by a linear solve (exact up to rounding), and cross-checked with
# :func:`tabular.certify`, which bounds the distance of *any* vector to :math:`V^*`
# from one Bellman backup.

problems = {
    f"random MDP (S={N_STATES}, A={N_ACTIONS})": random_mdp(N_STATES, N_ACTIONS, gamma=GAMMA, rng=0),
    "RiverSwim (S=20)": river_swim(20, gamma=GAMMA),
}
V_STAR = {}
for name, mdp in problems.items():
    ref = tabular.policy_iteration(mdp, epsilon=1e-9)
    V_STAR[name] = ref.V
    cert = tabular.certify(mdp, ref.V)
    print(
        f"{name:>24}: {mdp}, policy iteration: {ref.iterations} iterations, "
        f"certified ||V - V*|| <= {cert.sup_bound:.1e}, max V* = {ref.V.max():.3f}"
    )

# %%
# Value iteration, step by step
# -----------------------------
# :func:`tabular.value_iteration` calls ``callback(k, V)`` with each iterate, so
# we can replay the run: for each iterate :math:`V_k` we compute, against the
# reference :math:`V^*`, the true error of the estimate the solver would return and
# the true suboptimality of the greedy policy (evaluated exactly with
# :func:`rlcore.evaluate_policy`). The solver itself records, in ``history``, the
# residual :math:`\|TV_k - V_k\|_\infty` and the two certified bounds.
#
# With the default ``stopping="span"`` rule the solver does not return :math:`V_k`
# itself but the centre of the certified bracket
#
# .. math::
#     V_k + \frac{\min_s \delta_k(s)}{1-\gamma} \;\le\; V^* \;\le\;
#     V_k + \frac{\max_s \delta_k(s)}{1-\gamma}, \qquad \delta_k = TV_k - V_k,
#
# which is within :math:`\operatorname{sp}(\delta_k) / (2(1-\gamma))` of :math:`V^*`,
# where :math:`\operatorname{sp}(x) = \max x - \min x` is the span seminorm; the
# greedy policy is :math:`\operatorname{sp}(\delta_k)/(1-\gamma)`-optimal (MacQueen
# 1966). With ``stopping="sup"`` it returns :math:`V_k`, within
# :math:`\|\delta_k\|_\infty/(1-\gamma)`. Either way it stops as soon as both
# certified bounds are below ``epsilon``.


def true_suboptimality(mdp, V_star, policy, cache):
    """max_s (V*(s) - V^policy(s)) by exact evaluation (cached per policy)."""
    key = policy.tobytes()
    if key not in cache:
        cache[key] = float(np.max(V_star - rlcore.evaluate_policy(mdp, policy).V))
    return cache[key]


def trace_value_iteration(mdp, V_star, **options):
    """Run value iteration and measure every iterate against V*.

    Returns the result, the sweep count of each iterate, the certified bounds of the
    returned estimate, and its true error and true suboptimality.
    """
    V0 = np.full(mdp.n_states, mdp.R.min() / (1.0 - mdp.gamma))  # the solver's default
    iterates, sweeps = [V0], [0]

    def record(iteration, V):
        iterates.append(np.array(V))
        sweeps.append(iteration)

    res = tabular.value_iteration(mdp, epsilon=EPSILON, V0=V0, callback=record, **options)
    centre = options.get("stopping", "span") == "span"
    cache = {}
    trace = {k: [] for k in ("value_bound", "suboptimality_bound", "true_error", "true_suboptimality")}
    for V in iterates:
        cert = tabular.certify(mdp, V)
        estimate = cert.centre if centre else V
        trace["value_bound"].append(cert.centre_bound if centre else cert.sup_bound)
        trace["suboptimality_bound"].append(cert.suboptimality_bound)
        trace["true_error"].append(np.max(np.abs(estimate - V_star)))
        trace["true_suboptimality"].append(true_suboptimality(mdp, V_star, cert.policy, cache))
    return res, np.array(sweeps), {k: np.array(v) for k, v in trace.items()}


runs = {}
for name, mdp in problems.items():
    res, sweeps, trace = trace_value_iteration(mdp, V_STAR[name])
    runs[name] = (res, trace)
    # the history recorded by the solver is the certificate of each iterate
    assert len(res.history["value_bound"]) == len(trace["value_bound"]) == res.iterations
    assert np.allclose(res.history["value_bound"], trace["value_bound"], rtol=1e-9)
    assert np.all(trace["true_error"] <= trace["value_bound"])
    assert np.all(trace["true_suboptimality"] <= trace["suboptimality_bound"])
    print(
        f"{name:>24}: converged={res.converged} after {res.iterations} sweeps; "
        f"certified ||V - V*|| <= {res.value_bound:.2e} (true {np.max(np.abs(res.V - V_STAR[name])):.2e}), "
        f"suboptimality <= {res.suboptimality_bound:.2e} "
        f"(true {true_suboptimality(mdp, V_STAR[name], res.policy, {}):.1e})"
    )
    print(
        f"{'':>24}  the bounds held at every iterate; the value bound overestimated the "
        f"true error by a factor of {np.median(trace['value_bound'] / trace['true_error']):.1f} (median)"
    )

# %%
# The plot shows the five curves per iteration. The residual (grey) is *not* an
# error bound: on the random MDP the certified bound of the centre (blue) falls far
# *below* the residual within two sweeps, while on RiverSwim it stays above it (by
# up to the factor :math:`1/(1-\gamma)`) for over a hundred sweeps. The true error of the returned
# estimate (orange) is always under its certified bound, and the greedy policy
# (red) becomes optimal long before the values converge: its true suboptimality
# drops to exactly zero, which a log scale cannot show, so the red curve ends
# there, while the certified suboptimality bound (purple) keeps falling until it
# can *prove* that the policy is epsilon-optimal.

fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
for ax, (name, (res, trace)) in zip(axes, runs.items()):
    k = np.arange(res.iterations)
    positive = trace["true_suboptimality"] > 0
    ax.plot(k, res.history["residual"], color="0.5", label=r"residual $\|TV_k - V_k\|_\infty$")
    ax.plot(k, res.history["value_bound"], color="C0", label="certified value bound (centre)")
    ax.plot(k, trace["true_error"], color="C1", ls="--", label=r"true error of the centre")
    ax.plot(k, res.history["suboptimality_bound"], color="C4", label="certified suboptimality bound")
    ax.plot(
        k[positive],
        trace["true_suboptimality"][positive],
        "o",
        ms=3,
        color="C3",
        label="true suboptimality of the greedy policy",
    )
    ax.axhline(EPSILON, color="k", lw=0.8, ls=":", label=rf"$\epsilon = {EPSILON:g}$")
    ax.set_yscale("log")
    ax.set_xlabel("sweep $k$")
    ax.set_title(f"{name}: value iteration, span rule", fontsize=10)
axes[0].set_ylabel("error (sup norm)")
axes[1].legend(fontsize=7.5, loc="upper right")
fig.tight_layout()

# %%
# A stopping residual alone is not a guarantee: suppose we had stopped each run at
# the first sweep where successive iterates differ by less than ``epsilon`` and
# returned the iterate.

for name, mdp in problems.items():
    naive = tabular.value_iteration(mdp, epsilon=EPSILON, stopping="sup", max_iter=100_000)
    k = int(np.argmax(naive.history["residual"] < EPSILON))
    V_k = tabular.value_iteration(mdp, max_iter=k + 1, stopping="sup").V  # the iterate after k sweeps
    print(
        f"{name:>24}: residual < {EPSILON:g} first at sweep {k}; the iterate is then "
        f"off by {np.max(np.abs(V_k - V_STAR[name])):.1e}, "
        f"{np.max(np.abs(V_k - V_STAR[name])) / EPSILON:.0f} times epsilon"
    )

# %%
# Span rule against sup rule
# --------------------------
# Both rules are certified; they differ in *when* they can certify. The error of the
# iterates splits into a constant offset and a varying part. The constant part
# shrinks only by :math:`\gamma` per sweep, but the span rule does not have to wait
# for it: the bracket's centre corrects the offset (a constant shift of :math:`V`
# shifts :math:`TV` by :math:`\gamma` times as much, which is exactly what
# :math:`(\min\delta + \max\delta)/(2(1-\gamma))` undoes). The varying part shrinks
# like :math:`\gamma |\lambda_2|` per sweep, with :math:`\lambda_2` the
# second-largest eigenvalue (in modulus) of the transition matrix of the greedy
# policy (more precisely, the span contracts by :math:`\gamma` times the ergodicity
# coefficient of the chain, Puterman 1994, section 6.6). A fast-mixing chain forgets
# its starting state in a step or two, so :math:`|\lambda_2|` is small; a slow
# chain such as RiverSwim has :math:`|\lambda_2|` close to one, and the span rule
# gains much less. The sup rule waits for the offset too, at rate :math:`\gamma`.
#
# Gauss-Seidel value iteration (``variant="gauss-seidel"``) updates the states in
# place, each backup reading the values already updated in the same sweep. Its
# iteration count below includes the Jacobi backups it spends on certification.


def second_eigenvalue(mdp, policy):
    """|lambda_2| of the state transition matrix P_pi of a deterministic policy."""
    P_pi = mdp.P[np.arange(mdp.n_states), policy]
    return np.sort(np.abs(np.linalg.eigvals(P_pi)))[-2]


def gauss_seidel_trace(mdp, V_star, stopping):
    """Gauss-Seidel run; certified value bound and true error after each in-place sweep."""
    iterates = []
    res = tabular.value_iteration(
        mdp,
        epsilon=EPSILON,
        variant="gauss-seidel",
        stopping=stopping,
        callback=lambda k, V: iterates.append(np.array(V)),
    )
    bound, error = [], []
    for V in iterates:
        cert = tabular.certify(mdp, V)
        estimate = cert.centre if stopping == "span" else V
        bound.append(cert.centre_bound if stopping == "span" else cert.sup_bound)
        error.append(np.max(np.abs(estimate - V_star)))
    return res, np.array(bound), np.array(error)


comparison = {}
for name, mdp in problems.items():
    V_star = V_STAR[name]
    span_res, span_trace = runs[name]
    sup_res, _, sup_trace = trace_value_iteration(mdp, V_star, stopping="sup")
    gs_span = gauss_seidel_trace(mdp, V_star, "span")
    gs_sup = gauss_seidel_trace(mdp, V_star, "sup")
    comparison[name] = {
        "Jacobi, span rule": (span_res, span_trace["value_bound"], span_trace["true_error"]),
        "Jacobi, sup rule": (sup_res, sup_trace["value_bound"], sup_trace["true_error"]),
        "Gauss-Seidel, span rule": gs_span,
        "Gauss-Seidel, sup rule": gs_sup,
    }
    lam2 = second_eigenvalue(mdp, span_res.policy)
    # observed contraction of the span bound over the second half of the run
    vb = span_res.history["value_bound"]
    half = len(vb) // 2
    rate = (vb[-1] / vb[half]) ** (1.0 / max(len(vb) - 1 - half, 1))
    print(
        f"{name}: gamma |lambda_2(P_pi*)| = {GAMMA * lam2:.3f}, "
        f"observed contraction of the span bound per sweep = {rate:.3f}, gamma = {GAMMA}"
    )
    for method, (res, _, _) in comparison[name].items():
        print(
            f"    {method:<24} {res.iterations:>5} sweeps to epsilon = {EPSILON:g}: "
            f"certified ||V - V*|| <= {res.value_bound:.1e}, true {np.max(np.abs(res.V - V_star)):.1e}"
        )

# %%
# On the random MDP the span rule certifies epsilon in a handful of sweeps where
# the sup rule needs well over a thousand; on RiverSwim the gain is a factor of a few.
#
# Gauss-Seidel converges faster than Jacobi *in the sup norm* (compare the two sup
# rules), but it gains nothing from the span rule: after an in-place sweep the
# states updated last have already seen the new values, so their residual
# :math:`\delta(s)` is close to zero, :math:`\min \delta \approx 0`, and the span of
# :math:`\delta` is about its sup norm. The offset correction that makes the span
# rule fast has nothing left to correct. Jacobi sweeps with the span rule are the
# better default, and they are what modified policy iteration builds on.

styles = {
    "Jacobi, span rule": "C0",
    "Jacobi, sup rule": "C2",
    "Gauss-Seidel, span rule": "C1",
    "Gauss-Seidel, sup rule": "C3",
}
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
for ax, (name, methods) in zip(axes, comparison.items()):
    for method, (res, bound, error) in methods.items():
        ax.plot(np.arange(len(bound)), bound, color=styles[method], label=f"{method}: certified bound")
        ax.plot(np.arange(len(error)), error, color=styles[method], ls=":", lw=1.2)
    ax.axhline(EPSILON, color="k", lw=0.8, ls=":")
    ax.set_yscale("log")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(left=0)
    ax.set_xlabel("sweep (linear up to 10, then log scale)")
    ax.set_title(f"{name}", fontsize=10)
axes[0].set_ylabel(r"bound on $\|\hat V - V^*\|_\infty$ (solid), true error (dotted)")
axes[0].legend(fontsize=7.5, loc="lower left")
fig.tight_layout()

# %%
# Policy iteration
# ----------------
# Howard's policy iteration evaluates the current policy *exactly* (a linear solve
# of :math:`(I - \gamma P_\pi) V = r_\pi`) and then acts greedily. Each new policy is
# at least as good as the last in every state, and the method stops at an optimal
# policy after finitely many steps (Puterman 1994, Thm. 6.4.2): there are no
# tolerances to choose, and its answer is exact up to rounding. The callback
# receives the value of each evaluated policy.

pi_values = {}
for name, mdp in problems.items():
    values = []
    res = tabular.policy_iteration(mdp, callback=lambda k, V: values.append(np.array(V)))
    values = np.array(values)
    pi_values[name] = values
    monotone = bool(np.all(np.diff(values, axis=0) >= -1e-10))
    print(
        f"{name:>24}: {res.iterations} iterations, states changing action per iteration: "
        f"{res.history['changed_states'].astype(int).tolist()}, monotone: {monotone}, "
        f"certified ||V - V*|| <= {res.value_bound:.1e}"
    )

# %%
# On the random MDP one improvement step finds the optimal policy; on RiverSwim the
# value of the far bank propagates one state per iteration, so policy iteration needs
# as many iterations as there are states. Left: the value of each successive policy
# along the river; right: how far each policy is from optimal.

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
river_name = "RiverSwim (S=20)"
values = pi_values[river_name]
colors = plt.cm.viridis(np.linspace(0, 1, len(values)))
for k, (V, c) in enumerate(zip(values, colors)):
    axes[0].plot(V, color=c, lw=1.2, label=f"$\\pi_{{{k}}}$" if k in (0, len(values) - 1) else None)
axes[0].set_xlabel("state (left bank = 0)")
axes[0].set_ylabel(r"$V^{\pi_k}(s)$")
axes[0].set_title("RiverSwim: values of successive PI policies", fontsize=10)
axes[0].legend(fontsize=8)
for name, values in pi_values.items():
    gap = np.max(V_STAR[name] - values, axis=1)
    k = np.arange(len(values))
    axes[1].semilogy(k[gap > 0], gap[gap > 0], "o-", ms=4, label=name)
axes[1].set_xlabel("policy iteration $k$")
axes[1].set_ylabel(r"$\|V^* - V^{\pi_k}\|_\infty$ (0 not shown)")
axes[1].set_title("Suboptimality of successive policies", fontsize=10)
axes[1].legend(fontsize=8)
fig.tight_layout()

# %%
# The price of exactness is the cost of an iteration: a dense linear solve is
# :math:`O(S^3)`, a Bellman sweep :math:`O(S^2 A)`.


def best_time(fn, repeats=REPEATS):
    """Best wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


name = next(iter(problems))
mdp = problems[name]
pi0 = np.argmax(mdp.R, axis=1)
V0 = np.zeros(mdp.n_states)
t_solve = best_time(lambda: [rlcore.evaluate_policy(mdp, pi0) for _ in range(10)]) / 10
t_sweep = best_time(lambda: [tabular.bellman_backup(mdp, V0) for _ in range(10)]) / 10
print(
    f"{name}: one policy evaluation (linear solve) {1e3 * t_solve:.3f} ms, "
    f"one Bellman sweep {1e3 * t_sweep:.3f} ms: a PI step costs about {t_solve / t_sweep:.0f} sweeps"
)

# %%
# Modified policy iteration
# -------------------------
# Modified policy iteration (Puterman and Shin 1978) replaces the exact solve by
# ``m`` cheap backups of the current policy: one greedy Bellman backup, then
# :math:`V \leftarrow (T^\pi)^m V`. ``m = 0`` is value iteration; ``m`` to infinity is
# policy iteration. From a starting point with :math:`TV_0 \ge V_0` (the default) the
# iterates increase monotonically to :math:`V^*` (Puterman 1994, Thm. 6.5.5); it is
# certified and stopped by the same span rule as value iteration. It needs only
# matrix-vector products, so it scales to large sparse MDPs where a factorisation
# would not fit.

mpi_ms = (0, 5, 20, 100)
solvers = {
    f"MPI, m={m}": (lambda mdp, m=m: tabular.modified_policy_iteration(mdp, m=m, epsilon=EPSILON)) for m in mpi_ms
}
solvers["value iteration"] = lambda mdp: tabular.value_iteration(mdp, epsilon=EPSILON)
solvers["policy iteration"] = lambda mdp: tabular.policy_iteration(mdp, epsilon=EPSILON)
for name, mdp in problems.items():
    print(f"{name} (time to a certified {EPSILON:g}-optimal policy):")
    for label, solver in solvers.items():
        res = solver(mdp)
        seconds = best_time(lambda: solver(mdp))
        true_gap = np.max(V_STAR[name] - rlcore.evaluate_policy(mdp, res.policy).V)
        assert true_gap <= res.suboptimality_bound  # the certificate holds
        print(
            f"    {label:<17} {res.iterations:>4} iterations, {1e3 * seconds:7.2f} ms, converged={res.converged}, "
            f"||V - V*|| <= {res.value_bound:.1e}, suboptimality <= {res.suboptimality_bound:.1e} "
            f"(true {max(true_gap, 0.0):.1g})"
        )
    auto = tabular.solve(mdp, epsilon=EPSILON)
    print(f"    tabular.solve picks {auto.method}: {auto.iterations} iterations, converged={auto.converged}")

# %%
# A few partial-evaluation backups per step (each reads only the ``S`` rows of the
# current policy, :math:`1/A` of a full sweep) buy most of policy iteration's
# reduction in improvement steps at a fraction of its cost per step: on RiverSwim,
# where value iteration needs hundreds of sweeps, ``m = 20`` needs a few dozen
# improvement steps; on the random MDP, where value iteration with the span rule is
# already fast, all the methods finish within a millisecond or so. Every answer in
# the tables is certified, and here every returned policy is in fact optimal.
#
# Linear programming and its dual
# -------------------------------
# :math:`V^*` is also the smallest :math:`V` with :math:`V \ge TV`, which is a linear
# program: minimise :math:`\mu^\top V` subject to
# :math:`V(s) \ge r(s, a) + \gamma \sum_{s'} P(s' \mid s, a) V(s')` for all
# :math:`(s, a)`, for any :math:`\mu > 0` (Puterman 1994, section 6.9). Its dual
# variables are a discounted occupancy measure :math:`d(s, a) \ge 0` with total mass
# :math:`1/(1-\gamma)`, and the optimal policy plays the actions where :math:`d`
# puts its mass. An LP solver returns values accurate to *its* tolerance, which
# says nothing directly about :math:`\|V - V^*\|`; so the answer is certified
# afterwards, with one Bellman backup, like every other planner's.

if hasattr(tabular, "linear_programming"):
    for name, mdp in problems.items():
        t0 = time.perf_counter()
        lp = tabular.linear_programming(mdp, epsilon=EPSILON)
        seconds = time.perf_counter() - t0
        # the solver's V is already certified; certify it again, independently
        cert = tabular.certify(mdp, lp.V)
        mu = lp.weights  # the primal weights: mdp.initial if positive, else uniform
        d = np.asarray(lp.occupancy)
        d_pi = rlcore.occupancy(mdp, lp.policy, initial=mu)  # occupancy of the returned policy
        print(
            f"{name:>24}: {lp.method} in {seconds:.2f} s, status {lp.solver_status!r}, "
            f"converged={lp.converged}, ||V - V*|| <= {lp.value_bound:.1e}, "
            f"suboptimality <= {lp.suboptimality_bound:.1e}"
        )
        print(
            f"{'':>24}  re-certified: ||V - V*|| <= {cert.sup_bound:.1e} "
            f"(true {np.max(np.abs(lp.V - V_STAR[name])):.1e}); same policy as policy iteration: "
            f"{bool(np.all(lp.policy == tabular.policy_iteration(mdp).policy))}"
        )
        print(
            f"{'':>24}  dual: sum d = {d.sum():.6f} (sum(mu)/(1-gamma) = {mu.sum() / (1 - GAMMA):.6f}), "
            f"flow residual {lp.flow_residual:.1e}, max |d - d^pi| = {np.max(np.abs(d - d_pi)):.1e}, "
            f"<d, r> = {np.sum(d * mdp.R):.6f}, mu @ V* = {mu @ V_STAR[name]:.6f}"
        )
else:
    print("tabular.linear_programming is not available in this version: section skipped.")

# %%
# The LP's ``V`` is the centre of the bracket certified around the solver's primal
# solution, so its bound is the library's, not the solver's tolerance. The dual
# solution ``occupancy`` is the discounted occupancy measure of the optimal policy
# started from the LP's weights :math:`\mu` (``lp.weights``): it satisfies the flow
# equations up to the reported residual, has mass :math:`1/(1-\gamma) = 100`, and
# its inner product with the rewards equals :math:`\mu^\top V^*` (strong duality).

# %%
# .. warning:: **Do not trust uncertified answers.**
#
#    A certificate is about a specific vector. The span rule certifies the *centre*
#    of the bracket and the greedy policy, not the iterate :math:`V_k`: the iterate
#    still carries the constant offset that the centre corrects. A solver that stops
#    by the span rule but returns the iterate (a popular toolbox does, after 5
#    sweeps on a random MDP with :math:`\gamma = 0.99`) reports convergence with
#    values that are far off. Below, the run of the span rule above, and the iterate
#    it stopped at, whose own (sup-rule) certificate is honest about it.

first = next(iter(problems))
mdp, V_star = problems[first], V_STAR[first]
centre_res = tabular.value_iteration(mdp, epsilon=EPSILON)  # span rule: returns the centre
iterate_res = tabular.value_iteration(mdp, max_iter=centre_res.iterations, stopping="sup")  # same sweeps
for label, res in (("centre (returned)", centre_res), ("iterate V_k", iterate_res)):
    true_error = np.max(np.abs(res.V - V_star))
    print(
        f"{first}, {centre_res.iterations} backups, {label:<17}: converged={res.converged}, "
        f"certified ||V - V*|| <= {res.value_bound:.3g}, true error {true_error:.3g}"
    )

# %%
# The same honesty applies to a run that is simply cut short. Here is value
# iteration stopped after 5 backups (``max_iter=5``: four updates, and the backup
# that certifies the fourth iterate). It reports ``converged=False``, and its bounds
# contain the true errors: large for the iterate (sup rule), small for the centre
# (span rule) on this fast-mixing problem, but above ``epsilon`` either way.

V0 = np.full(mdp.n_states, mdp.R.min() / (1.0 - GAMMA))  # the default start
for stopping in ("sup", "span"):
    res = tabular.value_iteration(mdp, max_iter=5, stopping=stopping)
    true_error = np.max(np.abs(res.V - V_star))
    print(
        f"max_iter=5, stopping={stopping!r}: converged={res.converged}, "
        f"certified ||V - V*|| <= {res.value_bound:.4g}, true error {true_error:.4g} "
        f"(bound holds: {true_error <= res.value_bound})"
    )
    if stopping == "sup":
        shrink = true_error / np.max(np.abs(V0 - V_star))
print(
    f"V* ranges over [{V_star.min():.2f}, {V_star.max():.2f}]; after 4 updates the iterate "
    f"kept {shrink:.1%} of its initial error (contraction: at most gamma^4 = {GAMMA**4:.1%})"
)

# %%
# Values that look like numbers can be a long way off; read ``converged`` and
# ``value_bound`` before using ``V``.
#
# Finite horizon: backward induction
# ----------------------------------
# With a horizon :math:`H` there is no fixed point to approach: backward induction
# computes :math:`V_H = 0`, :math:`V_t = T_t V_{t+1}` for :math:`t = H-1, \dots, 0`,
# exactly, in :math:`H` backups, and the greedy time-dependent policy is optimal
# (Puterman 1994, Thm. 4.5.1). The combination lock hides one rewarding action
# sequence among :math:`A^H`.

H, A_LOCK = 10, 4
lock = combination_lock(H, n_actions=A_LOCK, rng=1)
res = tabular.backward_induction(lock)
secret = [int(np.argmax(lock.P[t, :, t + 1])) for t in range(H - 1)]
secret.append(int(np.argmax(lock.P[H - 1, :, H])))
found = res.policy[np.arange(H), np.arange(H)].tolist()  # action at step t in good state t
uniform_value = rlcore.evaluate_policy(lock, rlcore.uniform(lock.n_states, A_LOCK)).V[0] @ lock.initial
print(
    f"combination lock H={H}, A={A_LOCK}: secret {secret}, backward induction plays {found}, "
    f"optimal value {res.V[0] @ lock.initial:.3f} (certified to {res.value_bound:.0e}); "
    f"uniform random policy: {uniform_value:.2e} = A^-H = {float(A_LOCK) ** -H:.2e}"
)

# %%
# On a tiny time-dependent random MDP we can check the answer against every
# deterministic Markov policy, :math:`(A^S)^H` of them.

tiny = random_mdp(2, 2, horizon=3, time_dependent=True, rng=2)
res = tabular.backward_induction(tiny)
per_step = list(itertools.product(range(2), repeat=2))  # the 4 decision rules of one step
best = max(
    rlcore.evaluate_policy(tiny, np.array(rules)).V[0] @ tiny.initial for rules in itertools.product(per_step, repeat=3)
)
print(
    f"time-dependent random MDP (S=2, A=2, H=3): backward induction {res.V[0] @ tiny.initial:.12f}, "
    f"best of {len(per_step) ** 3} policies {best:.12f}"
)
