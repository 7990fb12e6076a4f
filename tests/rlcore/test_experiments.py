"""rlcore.experiments: sweeps as data, seeding, the record store, the serial and loky
backends, resumption after interruptions and crashes, and input errors.

The run functions are at module level so that loky and Ray workers can unpickle them
(the Ray tests in ``test_experiments_ray.py`` import them from here). Interruptions
are counted with marker files: each run writes a "started" marker when it begins and
a "finished" marker just before it returns.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import rlcore
from rlcore.experiments import (
    MANIFEST_FILE,
    RECORDS_FILE,
    Sweep,
    grid,
    limit_threads,
    load_records,
    run_sweep,
    strip_meta,
)
from rlcore.experiments.store import _RecordStore

ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------- run functions
class Interrupt(BaseException):
    """Stands for a KeyboardInterrupt raised inside a run (a BaseException, not an Exception)."""


def numeric_run(config: dict, seed: int) -> dict:
    """Real numerical work: a random MDP, exact evaluation, a rollout (Numba), LAPACK."""
    rng = np.random.default_rng(seed)
    S, A = config["S"], config["A"]
    mdp = rlcore.generators.random_mdp(S, A, horizon=config["H"], rng=rng)
    pi = rlcore.softmax(rng.standard_normal((S, A)), temperature=0.5)
    V = rlcore.evaluate_policy(mdp, pi).V
    returns = rlcore.rollout(mdp, pi, n_episodes=config["episodes"], rng=rng).episode_returns()
    M = rng.standard_normal((40, 40))
    return {"V0": V[0], "returns": returns, "eig": np.linalg.eigvalsh(M @ M.T), "mean": returns.mean()}


def _mark(config: dict, what: str, seed: int) -> None:
    d = Path(config["marker_dir"])
    n = len(list(d.glob(f"{what}-{config['i']}-{seed}-*")))
    (d / f"{what}-{config['i']}-{seed}-{n}").touch()


def counted_run(config: dict, seed: int) -> dict:
    """Writes markers; raises Interrupt, fails or kills its process when the config asks
    for it and the matching 'arm' file exists (which it consumes: one shot)."""
    _mark(config, "started", seed)
    arm = Path(config["marker_dir"]) / f"arm-{config['i']}"
    if arm.exists():
        arm.unlink()
        action = config.get("action")
        if action == "interrupt":
            raise Interrupt(f"interrupted at config {config['i']}")
        if action == "exit":
            os._exit(3)
        if action == "fail":
            raise ValueError(f"planned failure at config {config['i']}")
    _mark(config, "finished", seed)
    return {"i": config["i"], "u": float(np.random.default_rng(seed).random())}


def failing_run(config: dict, seed: int) -> dict:
    if config["i"] % 3 == 1:
        raise ValueError(f"bad config {config['i']}")
    return {"i": config["i"]}


def thread_report(config: dict, seed: int) -> dict:
    """The thread settings a run sees."""
    import numba

    report = {"omp": os.environ.get("OMP_NUM_THREADS"), "numba": numba.get_num_threads()}
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        report["blas"] = []
    else:
        report["blas"] = sorted({p["num_threads"] for p in threadpool_info()})
    return report


def float_values(seed: int) -> np.ndarray:
    """float64 values hard to round-trip: signed zeros, subnormals, extremes, all exponents."""
    rng = np.random.default_rng(seed)
    special = [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 1 / 3, np.pi]
    return np.concatenate([special, rng.standard_normal(200) * 10.0 ** rng.integers(-300, 300, 200)])


F32 = np.linspace(-1.0, 1.0, 11, dtype=np.float32) / np.float32(3.0)


def storable_run(config: dict, seed: int) -> dict:
    values = float_values(seed)
    return {
        "x": values,
        "f32": F32,
        "n": np.int64(-(2**62)),
        "ok": np.bool_(True),
        "nested": {"t": (1, "a", None)},
        "inf": float("inf"),
        "nan": np.nan,
    }


BAD_RESULTS = {"list": [1, 2], "int key": {1: 2.0}, "complex": {"z": 1j}, "str array": {"d": np.array(["a"])}}


def unstorable_run(config: dict, seed: int) -> dict:
    return BAD_RESULTS[config["kind"]]


def one_arg(config):  # wrong signature
    return {}


def count(marker_dir: Path, what: str, i: int) -> int:
    return len(list(marker_dir.glob(f"{what}-{i}-*")))


def canon(records: list[dict]) -> list[str]:
    """Records minus meta, as canonical JSON (so NaN compares equal to NaN)."""
    return [json.dumps(strip_meta(r), sort_keys=True) for r in records]


def counted_sweep(marker_dir: Path, n: int, n_seeds: int = 1, **extra) -> Sweep:
    return Sweep([{"i": i, "marker_dir": str(marker_dir), **extra} for i in range(n)], n_seeds=n_seeds, root_seed=7)


NUMERIC = Sweep(grid({"S": [3, 6], "A": [2], "H": [4], "episodes": [25]}), n_seeds=4, root_seed=11, name="numeric")


# ----------------------------------------------------------------------------- the sweep as data
def test_runs_keys_and_config_canonical_form():
    sweep = Sweep([{"b": (1, 2), "a": np.int64(3)}, {"a": 1.5, "b": None}], n_seeds=3, root_seed=0)
    runs = sweep.runs()
    assert len(sweep) == len(runs) == 6
    assert [(r.config_key == sweep.config_keys[k // 3], r.seed_index) for k, r in enumerate(runs)] == [
        (True, 0),
        (True, 1),
        (True, 2),
    ] * 2
    assert runs[0].config == {"a": 3, "b": [1, 2]} and type(runs[0].config["a"]) is int
    assert runs[4].key == f"{sweep.config_keys[1]}-1"
    assert len({r.key for r in runs}) == 6 and len({r.seed for r in runs}) == 6
    assert all(0 <= r.seed < 2**63 for r in runs)
    # the config key is the SHA-256 of the canonical JSON, independently recomputed
    import hashlib

    text = json.dumps({"a": 3, "b": [1, 2]}, sort_keys=True, separators=(",", ":"))
    assert sweep.config_keys[0] == hashlib.sha256(text.encode()).hexdigest()[:16]


def test_seeds_follow_the_seedsequence_spawn_tree():
    configs = [{"x": 1}, {"x": 2}]
    sweep = Sweep(configs, n_seeds=4, root_seed=123)
    for run in sweep.runs():
        k = run.config_key
        branch = np.random.SeedSequence(123, spawn_key=(int(k[:8], 16), int(k[8:], 16)))
        child = branch.spawn(4)[run.seed_index]
        assert run.seed == int(child.generate_state(1, np.uint64)[0]) >> 1
    common = Sweep(configs, n_seeds=4, root_seed=123, common_seeds=True)
    children = np.random.SeedSequence(123).spawn(4)
    for run in common.runs():
        assert run.seed == int(children[run.seed_index].generate_state(1, np.uint64)[0]) >> 1
    assert [r.seed for r in common.runs()[:4]] == [r.seed for r in common.runs()[4:]]


def test_seeds_depend_only_on_root_config_and_index():
    a = Sweep([{"x": 1}, {"x": 2}, {"x": 3}], n_seeds=5, root_seed=9)
    b = Sweep([{"x": 3}, {"x": 1}], n_seeds=2, root_seed=9, name="other order, fewer seeds")
    seeds_a = {r.key: r.seed for r in a.runs()}
    assert all(seeds_a[r.key] == r.seed for r in b.runs())
    c = Sweep([{"x": 1}, {"x": 2}, {"x": 3}], n_seeds=5, root_seed=10)
    assert not set(seeds_a.values()) & {r.seed for r in c.runs()}


def test_fingerprint_identity_and_round_trip():
    base = Sweep([{"x": 1}, {"x": 2}], n_seeds=3, root_seed=0, name="a")
    assert base.fingerprint == Sweep([{"x": 2}, {"x": 1}], n_seeds=3, root_seed=0, name="b").fingerprint
    others = [
        Sweep([{"x": 1}, {"x": 2}], n_seeds=4, root_seed=0),
        Sweep([{"x": 1}, {"x": 2}], n_seeds=3, root_seed=1),
        Sweep([{"x": 1}, {"x": 2}], n_seeds=3, root_seed=0, common_seeds=True),
        Sweep([{"x": 1}, {"x": 2.0}], n_seeds=3, root_seed=0),
    ]
    assert len({base.fingerprint, *(s.fingerprint for s in others)}) == 5
    again = Sweep.from_dict(json.loads(json.dumps(base.to_dict())))
    assert again == base and again.fingerprint == base.fingerprint and again.runs() == base.runs()
    assert pickle.loads(pickle.dumps(base.runs()[0])) == base.runs()[0]
    with pytest.raises(AttributeError, match="read-only"):
        base.n_seeds = 5


def test_grid():
    configs = grid({"S": [10, 20], "alg": ["a", "b", "c"]}, base={"gamma": 0.9})
    assert len(configs) == 6 and configs[1] == {"gamma": 0.9, "S": 10, "alg": "b"}
    with pytest.raises(ValueError, match=r"axes\['S'\]"):
        grid({"S": []})
    with pytest.raises(ValueError, match="base"):
        grid({"S": [1]}, base={"S": 2})
    with pytest.raises(TypeError, match=r"axes\['S'\]"):
        grid({"S": "abc"})


@pytest.mark.parametrize(
    "configs, kwargs, exc, match",
    [
        ([{"x": 1}, {"x": 1}], {}, ValueError, r"configs: configs\[0\] and configs\[1\]"),
        ([{"x": (1, 2)}, {"x": [1, 2]}], {}, ValueError, "configs"),  # tuple and list are one config
        ({"x": 1}, {}, TypeError, "configs.*single dict"),
        ([], {}, ValueError, "configs"),
        ([{1: "a"}], {}, TypeError, r"configs\[0\]"),
        ([{"x": float("nan")}], {}, ValueError, r"configs\[0\]\['x'\]"),
        ([{"x": np.zeros(2)}], {}, TypeError, r"configs\[0\]\['x'\].*list"),
        ([{"x": object()}], {}, TypeError, r"configs\[0\]\['x'\]"),
        (["abc"], {}, TypeError, r"configs\[0\]"),
        ([{"x": 1}], {"n_seeds": 0}, ValueError, "n_seeds"),
        ([{"x": 1}], {"n_seeds": True}, TypeError, "n_seeds"),
        ([{"x": 1}], {"root_seed": -1}, ValueError, "root_seed"),
        ([{"x": 1}], {"root_seed": 1.0}, TypeError, "root_seed"),
        ([{"x": 1}], {"common_seeds": 1}, TypeError, "common_seeds"),
    ],
)
def test_bad_sweeps(configs, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Sweep(configs, **{"n_seeds": 2, "root_seed": 0, **kwargs})


# ----------------------------------------------------------------------------- records
def test_records_fields_and_float64_round_trip(tmp_path):
    sweep = Sweep([{"i": 0}], n_seeds=1, root_seed=0)
    (rec,) = run_sweep(sweep, storable_run, tmp_path)
    assert set(rec) == {
        "key",
        "config_key",
        "config",
        "seed_index",
        "seed",
        "status",
        "result",
        "error",
        "traceback",
        "meta",
    }
    assert rec["status"] == "ok" and rec["error"] is None and rec["traceback"] is None
    assert set(rec["meta"]) == {"wall_s", "finished_at", "host", "pid", "backend"}
    values = float_values(rec["seed"])
    for got in (rec, load_records(tmp_path)[0]):
        x = np.array(got["result"]["x"])
        np.testing.assert_array_equal(x.view(np.uint64), values.view(np.uint64))  # bit for bit, -0.0 included
        f32 = np.array(got["result"]["f32"], dtype=np.float32)
        np.testing.assert_array_equal(f32.view(np.uint32), F32.view(np.uint32))
        assert got["result"]["n"] == -(2**62) and got["result"]["ok"] is True
        assert got["result"]["nested"] == {"t": [1, "a", None]}
        assert got["result"]["inf"] == float("inf") and np.isnan(got["result"]["nan"])


@pytest.mark.parametrize(
    "kind, match",
    [("list", "must return a dict"), ("int key", "keys must be str"), ("complex", "complex"), ("str array", "dtype")],
)
def test_results_that_cannot_be_stored_are_failed_runs(tmp_path, kind, match):
    sweep = Sweep([{"kind": kind}], n_seeds=1, root_seed=0)
    with pytest.warns(RuntimeWarning, match="1 of 1 runs failed"):
        (rec,) = run_sweep(sweep, unstorable_run, tmp_path)
    assert rec["status"] == "failed" and rec["result"] is None
    assert rec["error"].split(":")[0].endswith("TypeError") and match in rec["error"]  # InvalidParameterTypeError


def test_failed_runs_are_recorded_and_retried(tmp_path):
    sweep = Sweep([{"i": i} for i in range(6)], n_seeds=2, root_seed=0)
    with pytest.warns(RuntimeWarning, match="4 of 12 runs failed.*ValueError: bad config 1"):
        records = run_sweep(sweep, failing_run, tmp_path / "a")
    failed = [r for r in records if r["status"] == "failed"]
    assert [r["config"]["i"] for r in failed] == [1, 1, 4, 4]
    assert all(r["error"].startswith("ValueError: bad config") for r in failed)
    assert all("failing_run" in r["traceback"] and 'raise ValueError(f"bad config' in r["traceback"] for r in failed)
    assert [r["result"] for r in records if r["status"] == "ok"] == [{"i": i} for i in (0, 0, 2, 2, 3, 3, 5, 5)]

    # a run that fails once is retried on the next call and its success supersedes the failure
    markers = tmp_path / "m"
    markers.mkdir()
    sweep = counted_sweep(markers, 3, action="fail")
    (markers / "arm-1").touch()
    with pytest.warns(RuntimeWarning, match="1 of 3 runs failed"):
        first = run_sweep(sweep, counted_run, tmp_path / "b")
    assert [r["status"] for r in first] == ["ok", "failed", "ok"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = run_sweep(sweep, counted_run, tmp_path / "b", retry_failed=True)
    assert [r["status"] for r in kept] == ["ok"] * 3
    assert [count(markers, "started", i) for i in range(3)] == [1, 2, 1]  # only the failed run again
    history = load_records(tmp_path / "b", latest=False)
    assert [(h["config"]["i"], h["status"]) for h in history] == [(0, "ok"), (1, "failed"), (2, "ok"), (1, "ok")]
    assert canon(load_records(tmp_path / "b")) == canon(kept)


def test_batched_syncs_lose_nothing_at_the_end(tmp_path):
    sweep = Sweep([{"i": i} for i in range(5)], n_seeds=3, root_seed=0)
    with pytest.warns(RuntimeWarning):
        records = run_sweep(sweep, failing_run, tmp_path, sync_interval=60.0)
    assert canon(load_records(tmp_path)) == canon(records) and len(records) == 15


def test_retry_failed_false_keeps_failures(tmp_path):
    markers = tmp_path / "m"
    markers.mkdir()
    sweep = counted_sweep(markers, 2, action="fail")
    (markers / "arm-0").touch()
    with pytest.warns(RuntimeWarning):
        run_sweep(sweep, counted_run, tmp_path / "out")
    with pytest.warns(RuntimeWarning, match="1 of 2 runs failed"):
        again = run_sweep(sweep, counted_run, tmp_path / "out", retry_failed=False)
    assert [r["status"] for r in again] == ["failed", "ok"]
    assert [count(markers, "started", i) for i in range(2)] == [1, 1]


# ----------------------------------------------------------------------------- backends
def test_serial_and_loky_records_are_bit_identical(tmp_path):
    serial = run_sweep(NUMERIC, numeric_run, tmp_path / "serial")
    loky = run_sweep(NUMERIC, numeric_run, tmp_path / "loky", backend="loky", n_jobs=2)
    assert canon(serial) == canon(loky)
    assert {r["meta"]["backend"] for r in loky} == {"loky"}
    assert len({r["meta"]["pid"] for r in loky}) >= 1 and os.getpid() not in {r["meta"]["pid"] for r in loky}
    # the records are those of the runs, in sweep order, and what the store holds
    assert [r["key"] for r in serial] == [run.key for run in NUMERIC.runs()]
    assert canon(load_records(tmp_path / "loky")) == canon(loky)
    # a run is a pure function of its config and seed: rerunning one by hand gives its record
    run = NUMERIC.runs()[5]
    direct = json.loads(json.dumps(numeric_run(run.config, run.seed), default=lambda a: a.tolist()))
    assert serial[5]["result"] == direct and serial[5]["seed"] == run.seed


def test_thread_limits_in_every_backend(tmp_path):
    sweep = Sweep([{"i": i} for i in range(2)], n_seeds=1, root_seed=0)
    import numba

    before = (os.environ.get("OMP_NUM_THREADS"), numba.get_num_threads())
    for backend, n_jobs in (("serial", None), ("loky", 2)):
        recs = run_sweep(sweep, thread_report, tmp_path / backend, backend=backend, n_jobs=n_jobs)
        for r in recs:
            assert r["result"]["omp"] == "1" and r["result"]["numba"] == 1
            assert r["result"]["blas"] in ([], [1])
    assert (os.environ.get("OMP_NUM_THREADS"), numba.get_num_threads()) == before  # serial restored them


def test_limit_threads_restores():
    import numba

    old_env, old_numba = os.environ.get("MKL_NUM_THREADS"), numba.get_num_threads()
    with limit_threads(1) as lim:
        assert os.environ["MKL_NUM_THREADS"] == "1" and numba.get_num_threads() == 1
        assert lim.n_threads == 1
    assert os.environ.get("MKL_NUM_THREADS") == old_env and numba.get_num_threads() == old_numba
    with pytest.raises(ValueError, match="n_threads"):
        limit_threads(0)


# ----------------------------------------------------------------------------- interruption and resumption
@pytest.mark.parametrize("backend", ["serial", "loky"])
def test_interrupted_sweep_resumes_without_repeating_finished_runs(tmp_path, backend):
    markers = tmp_path / "m"
    markers.mkdir()
    sweep = counted_sweep(markers, 8, action="interrupt")
    out = tmp_path / "out"
    (markers / "arm-5").touch()
    n_jobs = None if backend == "serial" else 2
    with pytest.raises(Interrupt, match="config 5"):
        run_sweep(sweep, counted_run, out, backend=backend, n_jobs=n_jobs)
    saved = {r["config"]["i"] for r in load_records(out)}
    assert 5 not in saved
    if backend == "serial":
        assert saved == {0, 1, 2, 3, 4}
    records = run_sweep(sweep, counted_run, out, backend=backend, n_jobs=n_jobs)
    assert [r["status"] for r in records] == ["ok"] * 8
    for i in saved:  # recorded before the interruption: never run again
        assert count(markers, "started", i) == 1
    ok_lines = [h["key"] for h in load_records(out, latest=False) if h["status"] == "ok"]
    assert sorted(ok_lines) == sorted(run.key for run in sweep.runs())  # each run recorded exactly once
    if backend == "serial":
        assert [count(markers, "finished", i) for i in range(8)] == [1] * 8
    # resuming under another backend gives the records of an uninterrupted sweep
    fresh = run_sweep(sweep, counted_run, tmp_path / "fresh")
    assert canon(records) == canon(fresh)


def test_killed_process_resumes(tmp_path):
    """The sweep's process dies (os._exit) in the middle of a run; a new process resumes."""
    markers = tmp_path / "m"
    markers.mkdir()
    out = tmp_path / "out"
    (markers / "arm-3").touch()
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from rlcore.experiments import Sweep, run_sweep
        from tests.rlcore.test_experiments import counted_run, counted_sweep
        from pathlib import Path
        run_sweep(counted_sweep(Path({str(markers)!r}), 6, n_seeds=2, action="exit"), counted_run,
                  {str(out)!r}, backend=sys.argv[1])
        """
    )
    res = subprocess.run([sys.executable, "-c", script, "serial"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 3, res.stderr
    assert len(load_records(out)) == 6  # configs 0, 1, 2 with two seeds each
    res = subprocess.run([sys.executable, "-c", script, "serial"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    records = load_records(out)
    assert [r["status"] for r in records] == ["ok"] * 12
    assert [count(markers, "finished", i) for i in range(6)] == [2] * 6  # two seeds, each finished once
    assert [count(markers, "started", i) for i in range(6)] == [2, 2, 2, 3, 2, 2]


def test_loky_worker_death_stops_the_sweep_and_rerun_resumes(tmp_path):
    markers = tmp_path / "m"
    markers.mkdir()
    sweep = counted_sweep(markers, 6, action="exit")
    (markers / "arm-2").touch()
    with pytest.raises(RuntimeError, match="worker process died.*resumes"):
        run_sweep(sweep, counted_run, tmp_path / "out", backend="loky", n_jobs=2)
    saved = {r["config"]["i"] for r in load_records(tmp_path / "out")}
    records = run_sweep(sweep, counted_run, tmp_path / "out", backend="loky", n_jobs=2)
    assert [r["status"] for r in records] == ["ok"] * 6
    assert all(count(markers, "finished", i) == 1 for i in saved)


def test_torn_last_line_is_cut_off_and_its_run_redone(tmp_path):
    markers = tmp_path / "m"
    markers.mkdir()
    sweep = counted_sweep(markers, 4)
    out = tmp_path / "out"
    first = run_sweep(sweep, counted_run, out)
    path = out / RECORDS_FILE
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 5
    # as if the process died while writing the last record: keep 3 records and half of the 4th
    path.write_bytes(b"\n".join(lines[:3]) + b"\n" + lines[3][: len(lines[3]) // 2])
    with pytest.warns(RuntimeWarning, match="incomplete record.*ignoring"):
        assert len(load_records(out)) == 3
    assert len(path.read_bytes().split(b"\n")) == 4  # reading does not modify
    with pytest.warns(RuntimeWarning, match="incomplete record.*cutting it off"):
        again = run_sweep(sweep, counted_run, out)
    assert canon(again) == canon(first)
    assert [count(markers, "started", i) for i in range(4)] == [1, 1, 1, 2]
    assert all(json.loads(line) for line in path.read_bytes().splitlines())  # a clean file again


def test_complete_last_record_without_newline_is_kept(tmp_path):
    markers = tmp_path / "m"
    markers.mkdir()
    sweep = counted_sweep(markers, 3)
    out = tmp_path / "out"
    recs = run_sweep(sweep, counted_run, out)
    path = out / RECORDS_FILE
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert canon(load_records(out)) == canon(recs)
        assert canon(run_sweep(sweep, counted_run, out)) == canon(recs)
    assert [count(markers, "started", i) for i in range(3)] == [1, 1, 1]
    assert path.read_bytes().endswith(b"\n")


def test_corrupt_line_in_the_middle_is_an_error(tmp_path):
    sweep = Sweep([{"i": i} for i in range(3)], n_seeds=1, root_seed=0)
    with pytest.warns(RuntimeWarning):
        run_sweep(sweep, failing_run, tmp_path)
    path = tmp_path / RECORDS_FILE
    lines = path.read_bytes().splitlines()
    path.write_bytes(lines[0] + b"\n" + b"{not json\n" + lines[1] + b"\n")
    with pytest.raises(ValueError, match="line 2 is not valid JSON"):
        load_records(tmp_path)
    with pytest.raises(ValueError, match="line 2"):
        run_sweep(sweep, failing_run, tmp_path)


# ----------------------------------------------------------------------------- errors
def test_out_dir_of_another_sweep_is_refused(tmp_path):
    sweep = Sweep([{"i": i} for i in range(2)], n_seeds=2, root_seed=0)
    run_sweep(Sweep([{"i": 0}], n_seeds=2, root_seed=0), failing_run, tmp_path)
    before = (tmp_path / RECORDS_FILE).read_bytes()
    with pytest.raises(ValueError, match="out_dir: .* holds the records of another sweep.*1 configuration"):
        run_sweep(sweep, failing_run, tmp_path)
    with pytest.raises(ValueError, match="out_dir: .*root_seed 0 there, 5 here"):
        run_sweep(Sweep([{"i": 0}], n_seeds=2, root_seed=5), failing_run, tmp_path)
    assert (tmp_path / RECORDS_FILE).read_bytes() == before  # nothing written
    # same runs under another name and config order: the same sweep
    run_sweep(Sweep([{"i": 0}], n_seeds=2, root_seed=0, name="renamed"), failing_run, tmp_path)
    # another run function over the same sweep: allowed, with a warning
    with pytest.warns(RuntimeWarning, match="written by run_fn"):
        run_sweep(Sweep([{"i": 0}], n_seeds=2, root_seed=0), counted_run, tmp_path)


def test_bad_out_dirs(tmp_path):
    sweep = Sweep([{"i": 0}], n_seeds=1, root_seed=0)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="out_dir: .* not a directory"):
        run_sweep(sweep, failing_run, tmp_path / "file")
    orphan = tmp_path / "orphan"
    orphan.mkdir()
    (orphan / RECORDS_FILE).write_text('{"key": "a", "status": "ok"}\n')
    with pytest.raises(ValueError, match=f"out_dir: .* no {MANIFEST_FILE}"):
        run_sweep(sweep, failing_run, orphan)
    with pytest.raises(ValueError, match="out_dir: .*not the output of run_sweep"):
        load_records(tmp_path)
    with pytest.raises(TypeError, match="out_dir"):
        run_sweep(sweep, failing_run, 42)
    # a directory in use by another sweep
    busy = tmp_path / "busy"
    with _RecordStore(busy, sweep, "tests.rlcore.test_experiments.failing_run"):
        with pytest.raises(RuntimeError, match="out_dir: .* in use by another running sweep"):
            run_sweep(sweep, failing_run, busy)
    run_sweep(sweep, failing_run, busy)  # released


def _local_function(config, seed):
    return {}


@pytest.mark.parametrize("backend", ["serial", "loky"])
def test_unpicklable_run_functions_are_refused(tmp_path, backend):
    sweep = Sweep([{"i": 0}], n_seeds=1, root_seed=0)

    def nested(config, seed):
        return {}

    for fn in (lambda config, seed: {}, nested):
        with pytest.raises(TypeError, match="run_fn: .*cannot be pickled.*module level"):
            run_sweep(sweep, fn, tmp_path, backend=backend)
    assert not (tmp_path / MANIFEST_FILE).exists()  # refused before touching out_dir


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"run_fn": 3}, TypeError, "run_fn"),
        ({"run_fn": one_arg}, TypeError, r"run_fn: .*one_arg\(config\).*two positional"),
        ({"sweep": [{"i": 0}]}, TypeError, "sweep"),
        ({"backend": "dask"}, ValueError, "backend"),
        ({"backend": None}, TypeError, "backend"),
        ({"n_jobs": 2}, ValueError, "n_jobs.*serial"),
        ({"backend": "loky", "n_jobs": 0}, ValueError, "n_jobs"),
        ({"backend": "loky", "n_jobs": 1.5}, TypeError, "n_jobs"),
        ({"threads_per_run": 0}, ValueError, "threads_per_run"),
        ({"progress": 1}, TypeError, "progress"),
        ({"retry_failed": "yes"}, TypeError, "retry_failed"),
        ({"sync_interval": -1.0}, ValueError, "sync_interval"),
        ({"sync_interval": float("nan")}, ValueError, "sync_interval"),
        ({"sync_interval": "1"}, TypeError, "sync_interval"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, exc, match):
    args = {"sweep": Sweep([{"i": 0}], n_seeds=1, root_seed=0), "run_fn": failing_run, "out_dir": tmp_path, **kwargs}
    with pytest.raises(exc, match=match):
        run_sweep(args.pop("sweep"), args.pop("run_fn"), args.pop("out_dir"), **args)


def test_ray_backend_without_ray_says_which_extra(tmp_path):
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        sys.modules["ray"] = None
        from rlcore.experiments import Sweep, run_sweep
        from tests.rlcore.test_experiments import failing_run
        try:
            run_sweep(Sweep([{{"i": 0}}], n_seeds=1, root_seed=0), failing_run, {str(tmp_path)!r}, backend="ray")
        except ImportError as exc:
            print(exc)
        """
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "rlref[ray]" in res.stdout, res.stdout + res.stderr


# ----------------------------------------------------------------------------- progress and imports
def test_progress_bar_is_silent_by_default(tmp_path, capfd):
    sweep = Sweep([{"i": i} for i in range(3)], n_seeds=2, root_seed=0, name="quiet")
    with pytest.warns(RuntimeWarning):
        run_sweep(sweep, failing_run, tmp_path / "a")
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    with pytest.warns(RuntimeWarning):
        run_sweep(sweep, failing_run, tmp_path / "b", progress=True)
    err = capfd.readouterr().err
    assert "quiet" in err and "6/6" in err and "failed=2" in err


def test_progress_follows_the_library_switch(tmp_path, capfd):
    sweep = Sweep([{"i": 0}], n_seeds=2, root_seed=0, name="switchy")
    with rlcore.progress_switch(True):
        run_sweep(sweep, storable_run, tmp_path / "a")
    assert "switchy" in capfd.readouterr().err
    run_sweep(sweep, storable_run, tmp_path / "b")  # the switch is off again
    assert "switchy" not in capfd.readouterr().err


def test_importing_experiments_is_light():
    code = (
        "import sys, rlcore.experiments\n"
        "print(sorted(m for m in ('ray', 'joblib', 'matplotlib', 'threadpoolctl', 'torch') if m in sys.modules))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- issue 17
def test_sweep_and_grid_sizes_are_bounded():
    """Sweep([...], n_seeds=2**32 - 1) used to be accepted and runs() to run out of memory."""
    with pytest.raises(ValueError, match=r"^n_seeds: expected an integer in \[1, 10000000\]"):
        Sweep([{"x": 1}], n_seeds=2**32 - 1, root_seed=0)
    with pytest.raises(ValueError, match=r"^n_seeds: 2 configurations x 6000000 seeds"):
        Sweep([{"x": 1}, {"x": 2}], n_seeds=6 * 10**6, root_seed=0)
    with pytest.raises(ValueError, match=r"^axes: the grid has 100000000 configurations"):
        grid({f"s{i}": list(range(10)) for i in range(8)})


def test_deeply_nested_configs_and_record_lines_are_refused(tmp_path):
    """Both used to raise RecursionError."""
    deep: object = 0
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValueError, match=r"^configs\[0\]\['x'\]\[0\].*: nested deeper than 64 levels"):
        Sweep([{"x": deep}], n_seeds=1, root_seed=0)
    sweep = Sweep([{"i": 0}], n_seeds=1, root_seed=0)
    run_sweep(sweep, storable_run, tmp_path)
    with open(tmp_path / RECORDS_FILE, "a") as fh:
        fh.write('{"key": "k", "status": "ok", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
        fh.write('{"key": "k2", "status": "ok"}\n')
    with pytest.raises(ValueError, match=r"^out_dir: .*line 2 is not valid JSON \(nested deeper than"):
        load_records(tmp_path)
