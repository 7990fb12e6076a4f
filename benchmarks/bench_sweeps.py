"""Sweep backends: per-run overhead on trivial runs, speedup on CPU-bound runs.

Each timed call executes a whole sweep of ``N`` runs into a fresh output directory
(so nothing is resumed), through :func:`rlcore.experiments.run_sweep` with the
serial, loky (2 workers) and Ray (a local cluster of 2 CPUs, ``n_jobs=None``: up to
twice the cluster's CPUs in flight) backends, next to what a
user would otherwise write: a plain Python loop and ``joblib.Parallel`` over the same
run function, neither of which records anything on disk.

* **trivial runs** (a run returns a constant dict): the median divided by ``N`` is the
  cost of one run through each backend, i.e. its overhead: seeding, the JSON record,
  the ``fsync``, inter-process traffic. Ours (serial) against the plain loop is the
  price of the bookkeeping; with ``sync_interval=1`` the records are still written
  as each run finishes but forced to the disk at most once a second, which shows
  what the ``fsync`` of every record costs on this disk. The loky and Ray rows use
  ``sync_interval=1`` too, so that they measure the backend, not the disk.
* **CPU-bound runs** (a rollout of a random MDP, about 50 ms each, single-threaded):
  the ratio ours(serial)/peer of a parallel backend is its speedup on 2 cores
  (at most 2; worker start-up is excluded, it shows in the *first call* column).

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_sweeps [--quick]

The CPU-bound speedup needs two otherwise idle cores: on a shared machine whose other
tenants keep a core busy it collapses towards 1 (compare with ``uptime``'s load).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from benchmarks.harness import Case, Comparison, run_suite

ROOT = Path(__file__).resolve().parents[1]
_BASE: list[str] = []  # the scratch directory of this process, made on first use


def trivial_run(config: dict, seed: int) -> dict:
    """Does nothing: a sweep of these measures the backend's own cost per run."""
    return {"i": config["i"]}


def rollout_run(config: dict, seed: int) -> dict:
    """Single-threaded CPU-bound work: Monte Carlo returns of a random MDP."""
    import rlcore

    mdp = rlcore.generators.random_mdp(20, 3, horizon=40, rng=config["i"])
    returns = rlcore.rollout(mdp, rlcore.uniform(20, 3), config["episodes"], rng=seed).episode_returns()
    return {"mean": returns.mean(), "std": returns.std()}


def _fresh_dir() -> str:
    if not _BASE:
        _BASE.append(tempfile.mkdtemp(prefix="rlref-bench-sweeps-"))
        atexit.register(shutil.rmtree, _BASE[0], True)
    return tempfile.mkdtemp(dir=_BASE[0])


def _sweep_case(name, sweep, run_fn, backend, n_jobs, setup=None, **kwargs):
    from rlcore.experiments import run_sweep

    def call(_state=None):
        records = run_sweep(sweep, run_fn, _fresh_dir(), backend=backend, n_jobs=n_jobs, **kwargs)
        return [r["result"] for r in records]

    if setup is None:
        return Case(name, call)
    return Case(name, call, setup)


def _plain_loop(sweep, run_fn):
    runs = sweep.runs()

    def call():
        return [run_fn(r.config, r.seed) for r in runs]

    return Case("plain loop (no store)", call)


def _joblib_parallel(sweep, run_fn):
    runs = sweep.runs()

    def setup():
        from joblib import Parallel, delayed

        return Parallel, delayed

    def call(state):
        Parallel, delayed = state
        return Parallel(n_jobs=2)(delayed(run_fn)(r.config, r.seed) for r in runs)

    return Case("joblib.Parallel n_jobs=2 (no store)", call, setup)


_RAY_STARTED = False


def _start_ray():
    global _RAY_STARTED
    import ray  # ImportError -> "not installed"

    if not ray.is_initialized():
        pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
            runtime_env={"env_vars": {"PYTHONPATH": pythonpath}},
        )
        _RAY_STARTED = True
        atexit.register(ray.shutdown)
    return None


def _same_results(a, b):
    np.testing.assert_equal(
        [{k: float(v) for k, v in r.items()} for r in a], [{k: float(v) for k, v in r.items()} for r in b]
    )


def _cases(sweep, run_fn) -> tuple[Case, list[Case]]:
    ours = _sweep_case("run_sweep serial", sweep, run_fn, "serial", None)
    peers = [
        _plain_loop(sweep, run_fn),
        _sweep_case("run_sweep serial sync_interval=1", sweep, run_fn, "serial", None, sync_interval=1.0),
        _sweep_case("run_sweep loky n_jobs=2 sync_interval=1", sweep, run_fn, "loky", 2, sync_interval=1.0),
        _joblib_parallel(sweep, run_fn),
        _sweep_case(
            "run_sweep ray (2-CPU cluster) sync_interval=1",
            sweep,
            run_fn,
            "ray",
            None,
            setup=_start_ray,
            sync_interval=1.0,
        ),
    ]
    return ours, peers


def _per_run_note(n_runs: int):
    def annotate(res) -> str:
        parts = [f"{row.name}: {row.median_s / n_runs * 1e6:.0f} us" for row in res.rows if row.median_s]
        return "per run: " + ", ".join(parts)

    return annotate


def bench_trivial_runs(quick: bool) -> Iterator[Comparison]:
    from rlcore.experiments import Sweep

    n = 100 if quick else 400
    sweep = Sweep([{"i": i} for i in range(n)], n_seeds=1, root_seed=0)
    ours, peers = _cases(sweep, trivial_run)
    yield Comparison(
        title=f"trivial runs, N={n}",
        ours=ours,
        peers=peers,
        check=_same_results,
        note="each call runs the whole sweep into a fresh directory",
        annotate=_per_run_note(n),
    )


def bench_cpu_bound_runs(quick: bool) -> Iterator[Comparison]:
    from rlcore.experiments import Sweep

    n = 8 if quick else 16
    sweep = Sweep([{"i": i, "episodes": 10_000} for i in range(n)], n_seeds=1, root_seed=0)
    ours, peers = _cases(sweep, rollout_run)
    yield Comparison(
        title=f"CPU-bound runs (~50 ms each), N={n}",
        ours=ours,
        peers=peers,
        check=_same_results,
        note="ratio ours/peer = speedup of the peer over the serial sweep (2 cores: at most 2)",
        annotate=_per_run_note(n),
    )


if __name__ == "__main__":
    raise SystemExit(
        run_suite(
            [bench_trivial_runs, bench_cpu_bound_runs],
            prog="python -m benchmarks.bench_sweeps",
            description=__doc__.splitlines()[0],
            packages=("joblib", "ray", "threadpoolctl"),
        )
    )
