"""rlcore.experiments on a local Ray cluster (skipped when Ray is not installed).

One local cluster of 2 CPUs is started for the whole module (``ray.init`` takes a few
seconds) and shut down at the end.
"""

from __future__ import annotations

import os
import warnings

import pytest

ray = pytest.importorskip("ray", reason="the Ray backend needs the ray extra: pip install 'rlref[ray]'")

from rlcore.experiments import Sweep, load_records, run_sweep
from tests.rlcore.test_experiments import (
    NUMERIC,
    Interrupt,
    canon,
    count,
    counted_run,
    counted_sweep,
    failing_run,
    numeric_run,
    thread_report,
)


@pytest.fixture(scope="module", autouse=True)
def ray_cluster():
    if ray.is_initialized():  # pragma: no cover - someone else's cluster: leave it alone
        yield
        return
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        # the workers import the run functions from this test package
        runtime_env={
            "env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [str(_root()), os.environ.get("PYTHONPATH")]))}
        },
    )
    yield
    ray.shutdown()


def _root():
    from tests.rlcore.test_experiments import ROOT

    return ROOT


def test_serial_loky_and_ray_records_are_bit_identical(tmp_path):
    serial = run_sweep(NUMERIC, numeric_run, tmp_path / "serial")
    loky = run_sweep(NUMERIC, numeric_run, tmp_path / "loky", backend="loky", n_jobs=2)
    on_ray = run_sweep(NUMERIC, numeric_run, tmp_path / "ray", backend="ray", n_jobs=2)
    assert canon(serial) == canon(loky) == canon(on_ray)
    assert {r["meta"]["backend"] for r in on_ray} == {"ray"}
    assert os.getpid() not in {r["meta"]["pid"] for r in on_ray}
    assert canon(load_records(tmp_path / "ray")) == canon(on_ray)
    assert ray.is_initialized()  # a cluster the caller started is left running


def test_ray_records_failures_and_limits_threads(tmp_path):
    sweep = Sweep([{"i": i} for i in range(6)], n_seeds=1, root_seed=0)
    with pytest.warns(RuntimeWarning, match="2 of 6 runs failed"):
        records = run_sweep(sweep, failing_run, tmp_path / "f", backend="ray")
    assert [r["status"] for r in records] == ["ok", "failed", "ok", "ok", "failed", "ok"]
    assert records[1]["error"] == "ValueError: bad config 1" and "failing_run" in records[1]["traceback"]
    reports = run_sweep(
        Sweep([{"i": 0}, {"i": 1}], n_seeds=1, root_seed=0), thread_report, tmp_path / "t", backend="ray"
    )
    for r in reports:
        assert r["result"]["omp"] == "1" and r["result"]["numba"] == 1 and r["result"]["blas"] in ([], [1])


def test_ray_interruption_and_lost_worker(tmp_path):
    markers = tmp_path / "m"
    markers.mkdir()
    # a KeyboardInterrupt-like exception in a run stops the sweep; rerunning completes it
    sweep = counted_sweep(markers, 6, action="interrupt")
    (markers / "arm-3").touch()
    with pytest.raises(Interrupt, match="config 3"):
        run_sweep(sweep, counted_run, tmp_path / "a", backend="ray", n_jobs=2)
    saved = {r["config"]["i"] for r in load_records(tmp_path / "a")}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        records = run_sweep(sweep, counted_run, tmp_path / "a", backend="ray", n_jobs=2)
    assert [r["status"] for r in records] == ["ok"] * 6
    assert all(count(markers, "started", i) == 1 for i in saved)
    assert canon(records) == canon(run_sweep(sweep, counted_run, tmp_path / "serial"))

    # a worker that dies in the middle of a run (a lost node, an OOM kill) is replaced and
    # the run re-executed by Ray; the sweep goes on and records it once
    markers2 = tmp_path / "m2"
    markers2.mkdir()
    sweep = counted_sweep(markers2, 4, action="exit")
    (markers2 / "arm-1").touch()
    records = run_sweep(sweep, counted_run, tmp_path / "b", backend="ray", n_jobs=2)
    assert [r["status"] for r in records] == ["ok"] * 4
    assert [count(markers2, "started", i) for i in range(4)] == [1, 2, 1, 1]
    assert [count(markers2, "finished", i) for i in range(4)] == [1, 1, 1, 1]


def test_run_sweep_starts_and_stops_ray_when_not_initialised(tmp_path, monkeypatch):
    # run_sweep's own ray.init / ray.shutdown are recorded, not executed (a second local
    # cluster would cost seconds); the runs go to the module's cluster
    calls = []
    answers = iter([False])  # "not initialised" to run_sweep's question only, not to Ray's own
    monkeypatch.setattr(ray, "is_initialized", lambda: next(answers, True))
    monkeypatch.setattr(ray, "init", lambda **kwargs: calls.append(("init", kwargs)))
    monkeypatch.setattr(ray, "shutdown", lambda: calls.append(("shutdown", {})))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    sweep = Sweep([{"i": 0}, {"i": 2}], n_seeds=2, root_seed=0)
    records = run_sweep(sweep, failing_run, tmp_path / "auto", backend="ray", n_jobs=2)
    assert [name for name, _ in calls] == ["init", "shutdown"]
    assert calls[0][1]["num_cpus"] == 2 and calls[0][1]["include_dashboard"] is False
    assert canon(records) == canon(run_sweep(sweep, failing_run, tmp_path / "serial"))
    # with RAY_ADDRESS set, ray.init connects to that cluster: no num_cpus
    calls.clear()
    answers = iter([False])
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6379")
    run_sweep(sweep, failing_run, tmp_path / "address", backend="ray", n_jobs=2)
    assert "num_cpus" not in calls[0][1]
