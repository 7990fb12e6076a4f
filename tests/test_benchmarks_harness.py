"""Tests of the benchmark harness itself (``benchmarks/harness.py``, ``benchmarks/membw.py``).

Stand-in functions only: no timing threshold on the library's own code lives here. The
one timing-based test compares two sleeps whose durations differ tenfold and asserts
only the direction of the ratio with a wide margin (an arithmetic check, not a speed
check).
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pytest

# ``benchmarks`` is a top-level folder of the repository, not an installed package.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from benchmarks.harness import (
    NOT_INSTALLED,
    OK,
    BenchResult,
    Case,
    CheckFailed,
    Comparison,
    Row,
    compare,
    environment_info,
    format_duration,
    format_environment,
    format_table,
    run_suite,
)
from benchmarks.membw import (
    achieved_fraction,
    bandwidth_gbs,
    format_bandwidth,
    measure_bandwidth,
)

FAST = {"repeats": 2, "min_time": 1e-3}


def _missing_peer_setup() -> object:
    import rlref_no_such_peer_package  # noqa: F401  # raises ModuleNotFoundError

    return None


def _raise_import_error() -> object:
    raise ImportError("cannot import name 'solve' from 'peer'")


# ------------------------------------------------------------------------ check hook


def test_check_hook_raises_when_cases_disagree() -> None:
    ours = Case("ours", lambda: np.array([1.0, 2.0]))
    wrong = Case("wrong peer", lambda: np.array([1.0, 2.0 + 1e-6]))
    timed = []

    def check(a: np.ndarray, b: np.ndarray) -> None:
        np.testing.assert_allclose(a, b, rtol=1e-8)

    def never_timed() -> None:
        timed.append(1)

    with pytest.raises(CheckFailed, match="wrong peer"):
        compare("disagree", ours, [wrong, Case("other", never_timed)], check=check, **FAST)
    # the check runs before any timing: the other peer was called once (its first
    # call, whose output the check would see), never looped
    assert len(timed) == 1


def test_check_hook_sees_outputs_of_ours_and_peer() -> None:
    seen = []
    ours = Case("ours", lambda: "A")
    peer = Case("peer", lambda state: state + "B", setup=lambda: "setup-")
    compare("outputs", ours, [peer], check=lambda a, b: seen.append((a, b)), **FAST)
    assert seen == [("A", "setup-B")]


def test_check_failure_is_an_assertion_error() -> None:
    assert issubclass(CheckFailed, AssertionError)


# ---------------------------------------------------------------------- missing peer


@pytest.mark.parametrize(
    "peer",
    [
        Case("missing (setup)", lambda _: None, setup=_missing_peer_setup),
        Case("missing (first call)", _raise_import_error),
    ],
    ids=["setup", "first-call"],
)
def test_missing_peer_is_reported_not_raised(peer: Case) -> None:
    ours = Case("ours", lambda: 1.0)
    res = compare("missing peer", ours, [peer], check=lambda a, b: None, **FAST)
    row = res.row(peer.name)
    assert row.status == NOT_INSTALLED
    assert row.median_s is None and row.ratio_vs_ours is None
    assert "ImportError" in row.message or "ModuleNotFoundError" in row.message
    assert res.ours.status == OK and res.ours.ratio_vs_ours == 1.0
    table = format_table([res])
    assert NOT_INSTALLED in table and peer.name in table


def test_ours_missing_still_times_peers_without_ratio() -> None:
    ours = Case("ours", lambda _: None, setup=_missing_peer_setup)
    peer = Case("peer", lambda: 2.0)
    res = compare("ours missing", ours, [peer], check=lambda a, b: 1 / 0, **FAST)
    assert res.ours.status == NOT_INSTALLED
    assert res.row("peer").status == OK
    assert res.row("peer").median_s is not None and res.row("peer").median_s > 0
    assert res.row("peer").ratio_vs_ours is None


def test_other_exceptions_propagate() -> None:
    with pytest.raises(ZeroDivisionError):
        compare("crash", Case("ours", lambda: 1.0), [Case("bad", lambda: 1 / 0)], **FAST)


# --------------------------------------------------------------------------- timing


def test_ratio_is_ours_over_peer() -> None:
    """Ours sleeps 1 ms, the peer 10 ms: ratio ~0.1; only ratio < 0.5 is asserted."""
    ours = Case("sleep 1 ms", lambda: time.sleep(0.001))
    peer = Case("sleep 10 ms", lambda: time.sleep(0.010))
    res = compare("sleeps", ours, [peer], repeats=3, min_time=0.01)
    slow = res.row("sleep 10 ms")
    assert res.ours.ratio_vs_ours == 1.0
    assert slow.ratio_vs_ours is not None and slow.ratio_vs_ours < 0.5
    assert slow.ratio_vs_ours == pytest.approx(res.ours.median_s / slow.median_s)
    # and the other way round: the slow one as "ours" gets a ratio > 2
    flipped = compare("sleeps flipped", peer, [ours], repeats=3, min_time=0.01)
    assert flipped.row("sleep 1 ms").ratio_vs_ours > 2.0


def test_row_bookkeeping() -> None:
    calls = {"n": 0}

    def fn() -> None:
        calls["n"] += 1

    res = compare("count", Case("ours", fn), [], repeats=4, warmup=3, min_time=1e-3)
    row = res.ours
    assert row.repeats == 4 and row.inner_loops >= 1
    # 3 warm-up calls + calibration + 4 timed blocks of inner_loops calls each
    assert calls["n"] >= 3 + 4 * row.inner_loops + 1
    assert row.first_call_s is not None and row.first_call_s >= 0
    assert row.median_s is not None and row.median_s > 0
    assert row.iqr_s is not None and row.iqr_s >= 0


def test_first_call_is_reported_separately() -> None:
    """A slow first call (a stand-in for JIT compilation) stays out of the median."""
    state = {"first": True}

    def fn() -> None:
        if state["first"]:
            state["first"] = False
            time.sleep(0.05)

    res = compare("compile once", Case("ours", fn), [], repeats=3, min_time=1e-3)
    assert res.ours.first_call_s >= 0.05
    assert res.ours.median_s < 0.01


@pytest.mark.parametrize(
    "kwargs",
    [{"repeats": 0}, {"warmup": 0}, {"min_time": -1.0}, {"min_time": math.nan}],
)
def test_compare_validates_settings(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        compare("bad", Case("ours", lambda: None), [], **kwargs)


def test_duplicate_names_rejected() -> None:
    with pytest.raises(ValueError, match="distinct"):
        compare("dup", Case("x", lambda: None), [Case("x", lambda: None)], **FAST)


# --------------------------------------------------------------------------- output


def _fake_result(title: str = "fake S=3") -> BenchResult:
    return BenchResult(
        title,
        (
            Row("ours", 1e-3, 1e-5, 2e-1, 1.0, OK, "", 10, 7),
            Row("peer one", 4e-3, 2e-5, 5e-3, 0.25, OK, "", 3, 7),
            Row("peer two", None, None, None, None, NOT_INSTALLED, "ModuleNotFoundError: x"),
        ),
        note="a note",
    )


def test_format_table_includes_every_row() -> None:
    results = [_fake_result("first S=3"), _fake_result("second S=9")]
    table = format_table(results)
    lines = table.splitlines()
    for header in ("benchmark", "implementation", "median", "IQR", "first call", "ratio"):
        assert header in lines[0]
    for res in results:
        assert res.title in table
    for name in ("ours", "peer one", "peer two"):
        # one line per (result, implementation): the name appears on exactly 2 lines
        assert sum(f"  {name}  " in line for line in lines) == 2
    assert table.count("1.00 ms") == 2 and table.count("4.00 ms") == 2
    assert table.count("0.25") == 2 and table.count(NOT_INSTALLED) >= 2
    assert "a note" in table
    # fixed width: all data lines of the table body have the same column starts
    body = [line for line in lines if "ms" in line and "ratio" not in line]
    starts = {line.index(" ms") for line in body}
    assert len(starts) == 1


def test_format_duration_units() -> None:
    assert format_duration(2.5) == "2.50 s"
    assert format_duration(0.0123) == "12.3 ms"
    assert format_duration(4.56e-6) == "4.56 us"
    assert format_duration(7e-9) == "7.00 ns"
    assert format_duration(None) == "-"


def test_environment_header_records_versions_and_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    info = environment_info(packages=("numpy", "surely-not-a-distribution-xyz"))
    assert info["packages"]["numpy"] == np.__version__
    assert info["packages"]["surely-not-a-distribution-xyz"] == NOT_INSTALLED
    assert info["thread_env"]["OMP_NUM_THREADS"] == "1"
    assert info["thread_env"]["MKL_NUM_THREADS"] is None
    assert info["cpu_count"] >= 1
    header = format_environment(info)
    for word in ("python", "numpy", "scipy", "numba", "OMP_NUM_THREADS=1", "threadpool"):
        assert word in header
    json.dumps(info)  # serialisable


# ---------------------------------------------------------------------------- suite


def _stand_in_benchmark(quick: bool):
    sizes = (2,) if quick else (2, 4)
    for n in sizes:
        yield Comparison(
            title=f"stand-in n={n}",
            ours=Case("ours", lambda n=n: np.arange(n, dtype=float).sum()),
            peers=(
                Case("python", lambda n=n: float(sum(range(n)))),
                Case("absent", lambda _: None, setup=_missing_peer_setup),
            ),
            check=lambda a, b: np.testing.assert_allclose(a, b),
        )


def _bad_benchmark(quick: bool):
    yield Comparison(
        title="disagreeing",
        ours=Case("ours", lambda: 1.0),
        peers=(Case("peer", lambda: 2.0),),
        check=lambda a, b: np.testing.assert_allclose(a, b),
    )


def test_run_suite_json_quick_and_filter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sub" / "out.json"
    argv = ["--quick", "--json", str(path), "--min-time", "0.001", "--repeats", "2"]
    assert run_suite([_stand_in_benchmark], argv, packages=("numpy",)) == 0
    out = capsys.readouterr().out
    assert "stand-in n=2" in out and "stand-in n=4" not in out  # --quick reached bench
    assert "# packages:" in out and "absent" in out
    data = json.loads(path.read_text())
    assert data["settings"]["quick"] is True and data["settings"]["repeats"] == 2
    assert data["environment"]["thread_env"].keys() >= {"OMP_NUM_THREADS", "MKL_NUM_THREADS"}
    [result] = data["results"]
    assert result["title"] == "stand-in n=2"
    rows = {r["name"]: r for r in result["rows"]}
    assert rows["ours"]["ratio_vs_ours"] == 1.0
    assert rows["python"]["median_s"] > 0
    assert rows["absent"]["status"] == NOT_INSTALLED and rows["absent"]["median_s"] is None

    # --filter: case-insensitive substring of the title
    assert run_suite([_stand_in_benchmark], ["--filter", "N=4", "--min-time", "0.001", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "stand-in n=4" in out and "stand-in n=2" not in out
    assert run_suite([_stand_in_benchmark], ["--filter", "nothing-matches"]) == 2


def test_run_suite_reports_failed_check_and_continues(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--quick", "--min-time", "0.001", "--repeats", "1"]
    assert run_suite([_bad_benchmark, _stand_in_benchmark], argv) == 1
    captured = capsys.readouterr()
    assert "FAILED disagreeing" in captured.out
    assert "stand-in n=2" in captured.out  # the next benchmark still ran
    assert "CheckFailed" in captured.err


def test_comparison_annotate_appends_to_note() -> None:
    comp = Comparison(
        title="annotated",
        ours=Case("ours", lambda: None),
        note="base",
        annotate=lambda res: f"ours took {res.ours.median_s:.3e} s; rows={len(res.rows)}",
    )
    res = comp.run(**FAST)
    assert res.note.startswith("base; ours took ") and res.note.endswith("rows=1")
    assert f"{res.ours.median_s:.3e}" in res.note


# ---------------------------------------------------------------------------- membw


def test_membw_quick_small_array_positive_finite() -> None:
    res = measure_bandwidth(2**14, repeats=2)
    assert {(r.kernel, r.implementation) for r in res.rows} == {
        ("copy", "numpy"),
        ("copy", "numba (serial)"),
        ("triad", "numpy"),
        ("triad", "numba (serial)"),
    }
    for r in res.rows:
        assert math.isfinite(r.best_gbs) and r.best_gbs > 0
        assert math.isfinite(r.median_gbs) and 0 < r.median_gbs <= r.best_gbs
    copy_row = next(r for r in res.rows if r.kernel == "copy")
    triad_row = next(r for r in res.rows if r.kernel == "triad")
    assert copy_row.bytes_per_call == 2 * 8 * 2**14  # STREAM: copy moves 2 arrays
    assert triad_row.bytes_per_call == 3 * 8 * 2**14  # triad moves 3
    assert math.isfinite(res.peak_gbs) and res.peak_gbs > 0
    assert "GB/s" in format_bandwidth(res)
    json.dumps(res.to_dict())


def test_membw_cli_quick(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from benchmarks.membw import main

    path = tmp_path / "bw.json"
    assert main(["--quick", "--n", "4096", "--repeats", "2", "--json", str(path)]) == 0
    assert "triad" in capsys.readouterr().out
    assert json.loads(path.read_text())["bandwidth"]["peak_gbs"] > 0


def test_achieved_fraction_arithmetic() -> None:
    assert bandwidth_gbs(2 * 10**9, 0.5) == pytest.approx(4.0)
    assert achieved_fraction(2 * 10**9, 0.5, peak_gbs=8.0) == pytest.approx(0.5)
    for bad in [(10, 0.0, 1.0), (10, 1.0, 0.0), (-1, 1.0, 1.0), (10, math.inf, 1.0)]:
        with pytest.raises(ValueError):
            achieved_fraction(*bad)


def test_a_full_run_records_its_results_and_the_readme_table_renders_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A full run (no --quick, no --filter) writes results/<name>.json and .txt with the
    environment, date and load; ``benchmarks.results_table`` renders them into the README
    block and ``--check`` notices a stale block. Quick and filtered runs record nothing."""
    import benchmarks.harness as harness
    import benchmarks.results_table as table

    monkeypatch.setattr(harness, "RESULTS_DIR", tmp_path / "results")
    argv = ["--min-time", "0.001", "--repeats", "1"]
    assert run_suite([_stand_in_benchmark], argv, prog="python -m benchmarks.bench_standin") == 0
    assert run_suite([_stand_in_benchmark], ["--quick", *argv], prog="python -m benchmarks.bench_other") == 0
    printed = capsys.readouterr().out
    files = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert files == ["standin.json", "standin.txt"]
    data = json.loads((tmp_path / "results" / "standin.json").read_text())
    assert [r["title"] for r in data["results"]] == ["stand-in n=2", "stand-in n=4"]
    env = data["environment"]
    assert env["timestamp_utc"] and env["cpu_count"] and len(env["load_average_end"]) == 3
    txt = (tmp_path / "results" / "standin.txt").read_text()
    assert txt in printed and "stand-in n=4" in txt and "# load average" in txt

    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{table.START}\nstale\n{table.END}\noutro\n")
    assert table.update_readme(readme, tmp_path / "results", check=True) is True
    assert readme.read_text().count("stale") == 1  # check writes nothing
    assert table.update_readme(readme, tmp_path / "results") is True
    text = readme.read_text()
    assert "| standin | stand-in n=4 | ours " in text and "python " in text and "absent n/a" in text
    assert text.startswith("intro\n") and text.endswith("outro\n")
    assert table.update_readme(readme, tmp_path / "results", check=True) is False
