"""
Seeded sweeps: Monte Carlo error over many seeds, serially and in parallel
==========================================================================

One run of a stochastic experiment proves little; a claim about an algorithm is a
claim about the distribution of its runs. :mod:`rlcore.experiments` runs many
independent seeded runs (seeds, hyper-parameters, problem instances) with the same
user code serially, on the local cores (joblib/loky) or on a Ray cluster, writes each
finished run to disk at once (an interrupted sweep resumes where it stopped), and
summarises the runs with confidence intervals across seeds.

The question of this tutorial: how fast does the Monte Carlo estimate of a policy's
value converge with the number of simulated episodes, and how does the answer depend
on the horizon? By the central limit theorem the mean of ``n`` i.i.d. returns of
standard deviation :math:`\\sigma` has error about :math:`\\sigma / \\sqrt{n}`; more
precisely its mean absolute error tends to :math:`\\sigma \\sqrt{2 / (\\pi n)}`. We
check that over many seeds, against the exact value computed by
:func:`rlcore.evaluate_policy`.
"""

# %%
# Budget
# ------
# The test-suite runs every tutorial with ``RLREF_DOCS_QUICK=1``; the documentation
# build uses the full budget (more seeds and episodes).

import os
import shutil
import tempfile
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np

import rlcore
from rlcore.experiments import (
    Sweep,
    grid,
    load_records,
    plot_curves_with_bands,
    run_sweep,
    stack_metric,
    strip_meta,
    summarize,
)

QUICK = os.environ.get("RLREF_DOCS_QUICK", "") not in ("", "0")
N_SEEDS = 16 if QUICK else 30
N_EPISODES = 1_000 if QUICK else 10_000

# %%
# The sweep is data
# -----------------
# A configuration is a small dict of settings; :func:`~rlcore.experiments.grid`
# builds the Cartesian product of a few settings. Here: random finite-horizon MDPs
# with 20 states and 3 actions, horizons 5, 20 and 80, one fixed instance per
# configuration (``instance`` seeds the MDP), and the uniform policy. A
# :class:`~rlcore.experiments.Sweep` crosses the configurations with ``N_SEEDS``
# seed indices under a root seed.

configs = grid({"H": [5, 20, 80]}, base={"S": 20, "A": 3, "instance": 0, "n_episodes": N_EPISODES})
sweep = Sweep(configs, n_seeds=N_SEEDS, root_seed=2024, name="mc-error")
print(sweep, "->", len(sweep), "runs")
for run in sweep.runs()[:3]:
    print(run.key, run.config, "seed", run.seed)

# %%
# Every run gets its own seed, derived by NumPy ``SeedSequence`` spawning from the
# root seed, the configuration and the seed index only. It does not depend on the
# backend, the number of workers or the order in which the runs happen to execute,
# which is what makes a sweep reproducible on any machine.
#
# The run function
# ----------------
# A run is a plain function of its configuration and its seed, returning a dict of
# results (NumPy arrays are fine). It is defined with ``def`` at module level, so
# that worker processes can receive it; :func:`~rlcore.experiments.run_sweep`
# refuses a lambda with a clear ``TypeError``.

N_GRID = np.unique(np.geomspace(10, N_EPISODES, 12).astype(int))


def mc_error(config: dict, seed: int) -> dict:
    """Absolute error of the Monte Carlo value estimate after n episodes, n in N_GRID."""
    mdp = rlcore.generators.random_mdp(config["S"], config["A"], horizon=config["H"], rng=config["instance"])
    pi = rlcore.uniform(config["S"], config["A"])
    exact = rlcore.evaluate_policy(mdp, pi).expected_return(mdp.initial)
    returns = rlcore.rollout(mdp, pi, config["n_episodes"], rng=seed).episode_returns()
    running_mean = np.cumsum(returns)[N_GRID - 1] / N_GRID
    return {
        "n": N_GRID,
        "abs_error": np.abs(running_mean - exact),
        "return_std": returns.std(ddof=1),
        "exact": exact,
    }


# %%
# Running it: serially, then on two local cores
# ---------------------------------------------
# Each finished run is appended to ``records.jsonl`` in the output directory (one
# JSON line per run, written and flushed to disk as the run finishes), next to a
# ``manifest.json`` identifying the sweep. ``run_sweep`` returns one record per run,
# in the sweep's order.

workdir = tempfile.mkdtemp(prefix="rlref-sweeps-")

serial = run_sweep(sweep, mc_error, os.path.join(workdir, "serial"), backend="serial")
loky = run_sweep(sweep, mc_error, os.path.join(workdir, "loky"), backend="loky", n_jobs=2)

print("bit-identical records:", [strip_meta(r) for r in serial] == [strip_meta(r) for r in loky])
print({k: v for k, v in serial[0].items() if k not in ("result", "config")})

# %%
# The records agree bit for bit once the ``meta`` field (the wall time, host and
# process of each run: all that differs between executions) is set aside, and the same
# sweep on a Ray cluster gives them too. (How much faster the parallel backends are,
# and what each costs per run, is measured in ``benchmarks/bench_sweeps.py``.) Every
# backend runs each run on one thread of BLAS, OpenMP and Numba by default
# (``threads_per_run=1``), so that parallel runs do not oversubscribe the cores.
#
# To use a Ray cluster, start Ray and pick the backend; nothing else changes::
#
#     import ray
#     ray.init(address="auto")   # or ray.init(num_cpus=8) on one machine
#     records = run_sweep(sweep, mc_error, "results/mc-error", backend="ray")
#
# Resuming
# --------
# Calling ``run_sweep`` again on the same directory runs only what is missing: here
# nothing, so it returns at once with the stored records. After an interruption
# (Ctrl-C, a crash, a job killed by the scheduler) the same call finishes the
# sweep without running a finished run twice. A directory holding *another* sweep's
# records is refused.

t0 = time.perf_counter()
again = run_sweep(sweep, mc_error, os.path.join(workdir, "serial"))
print(f"second call: {time.perf_counter() - t0:.3f} s, same records: {again == serial}")
print("records on disk:", len(load_records(os.path.join(workdir, "serial"))))

try:
    run_sweep(Sweep(configs, n_seeds=N_SEEDS, root_seed=7), mc_error, os.path.join(workdir, "serial"))
except ValueError as err:
    print("ValueError:", err)

# %%
# A run that raises is recorded as failed, with its traceback, and does not stop the
# others; ``run_sweep`` warns, and the next call retries it.

bad = Sweep([{**configs[0], "S": 0}, configs[0]], n_seeds=2, root_seed=2024)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    records = run_sweep(bad, mc_error, os.path.join(workdir, "bad"))
print([r["status"] for r in records])
print(records[0]["error"])
print("warning:", str(caught[0].message)[:90], "...")

# %%
# Summaries across seeds
# ----------------------
# :func:`~rlcore.experiments.stack_metric` groups the records by settings and stacks a
# result across seeds: here one array of shape ``(N_SEEDS, len(N_GRID))`` per
# horizon. :func:`~rlcore.experiments.plot_curves_with_bands` draws each mean curve
# with its pointwise 95% confidence band (Student's t across seeds). The dashed lines
# are the CLT prediction :math:`\sigma \sqrt{2 / (\pi n)}` with :math:`\sigma`
# estimated from all the episodes of all the seeds.

curves = stack_metric(serial, "abs_error", by=["H"])
sigma = {H: s.mean() for (H,), s in stack_metric(serial, "return_std", by=["H"]).items()}

fig, ax = plt.subplots(figsize=(7, 4))
plot_curves_with_bands(
    {f"H = {H}": c for (H,), c in curves.items()},
    x=N_GRID,
    ax=ax,
    xlabel="episodes n",
    ylabel="|Monte Carlo estimate - exact value|",
    xscale="log",
    yscale="log",
)
for line, (H, s) in zip(ax.lines[:], sigma.items()):
    ax.plot(N_GRID, s * np.sqrt(2 / (np.pi * N_GRID)), "--", color=line.get_color(), linewidth=1)
ax.set_title("Monte Carlo error of the value of a uniform policy, over seeds")
fig.tight_layout()

# %%
# The error falls as :math:`1/\sqrt{n}` (slope -1/2 on the log-log plot) and grows
# with the horizon through :math:`\sigma`, the standard deviation of a return: for
# these MDPs it grows roughly like :math:`\sqrt{H}`, the returns being sums of ``H``
# weakly dependent rewards. A table of the same summaries, with t and bootstrap
# intervals at the largest ``n``:


def final_error(record):
    return record["result"]["abs_error"][-1]


t_rows = summarize(serial, final_error, by=["H"])
b_rows = summarize(serial, final_error, by=["H"], method="bootstrap", rng=0)
print(f"{'H':>3} {'sigma':>7} {'sigma*sqrt(2/(pi n))':>21} {'mean |error|':>13}  95% t interval       bootstrap")
for t_row, b_row in zip(t_rows, b_rows):
    H = t_row["H"]
    predicted = sigma[H] * np.sqrt(2 / (np.pi * N_GRID[-1]))
    print(
        f"{H:>3} {sigma[H]:7.3f} {predicted:21.4f} {t_row['mean']:13.4f}  "
        f"[{t_row['lower']:.4f}, {t_row['upper']:.4f}]  [{b_row['lower']:.4f}, {b_row['upper']:.4f}]"
    )

shutil.rmtree(workdir)
