"""Sweeps: many independent seeded runs, serially, on the local cores or on a Ray cluster.

Researchers outgrow one machine by running many independent runs: seeds,
hyper-parameters, problem instances. This package gives them one way to do that, with
the same user code on every backend:

1. describe the sweep as data: a :class:`Sweep` of configurations (small dicts of
   settings, e.g. from :func:`grid`) times ``n_seeds`` seeds, under a ``root_seed``;
2. write one module-level function ``run(config: dict, seed: int) -> dict``;
3. call :func:`run_sweep` with ``backend="serial"``, ``"loky"`` (the local cores) or
   ``"ray"`` (a cluster). Each finished run is written to the sweep's directory at
   once, so an interrupted sweep is resumed by calling :func:`run_sweep` again;
4. summarise across seeds with :func:`summarize` / :func:`mean_ci` and plot curves
   with confidence bands with :func:`plot_curves_with_bands`.

The seed of each run depends only on the root seed, the configuration and the seed
index (NumPy ``SeedSequence`` spawning), never on the backend, the number of workers
or the order of execution; every backend applies the same thread limits
(:func:`limit_threads`). So the same sweep gives bit-identical records (timings and
host, in ``record["meta"]``, aside) serially, with loky and on Ray.

Examples
--------
>>> import tempfile
>>> from rlcore.experiments import Sweep, grid, run_sweep, summarize
>>> from rlcore.experiments._demo import noisy_mean  # a module-level run function
>>> sweep = Sweep(grid({"n": [10, 1000]}), n_seeds=20, root_seed=2024)
>>> with tempfile.TemporaryDirectory() as out_dir:
...     records = run_sweep(sweep, noisy_mean, out_dir, backend="serial")
>>> rows = summarize(records, "mean", by=["n"])
>>> [(row["n"], row["n_runs"], bool(row["lower"] < 0.0 < row["upper"])) for row in rows]
[(10, 20, True), (1000, 20, True)]
"""

from __future__ import annotations

from rlcore.experiments.analysis import (
    ConfidenceInterval,
    mean_ci,
    plot_curves_with_bands,
    stack_metric,
    summarize,
)
from rlcore.experiments.runner import BACKENDS, RunFn, run_sweep
from rlcore.experiments.store import MANIFEST_FILE, RECORDS_FILE, load_records, strip_meta
from rlcore.experiments.sweep import Run, Sweep, grid
from rlcore.experiments.threads import THREAD_ENV_VARS, ThreadLimits, limit_threads

__all__ = [
    "BACKENDS",
    "MANIFEST_FILE",
    "RECORDS_FILE",
    "THREAD_ENV_VARS",
    "ConfidenceInterval",
    "Run",
    "RunFn",
    "Sweep",
    "ThreadLimits",
    "grid",
    "limit_threads",
    "load_records",
    "mean_ci",
    "plot_curves_with_bands",
    "run_sweep",
    "stack_metric",
    "strip_meta",
    "summarize",
]
