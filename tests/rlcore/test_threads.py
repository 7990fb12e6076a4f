"""rlcore._threads: BLAS limited to one thread, checked against threadpoolctl's own view."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")

import scipy.linalg  # noqa: F401  (loads scipy's own OpenBLAS next to numpy's)

from rlcore import _threads
from rlcore._threads import (
    ONE_THREAD_MAX_FLOPS,
    ONE_THREAD_MAX_GEMV_FLOPS,
    blas_thread_counts,
    blas_threads_for,
    one_blas_thread,
)


def _blas_counts() -> list[int]:
    """Every BLAS's thread count as threadpoolctl reads it (the independent source)."""
    return sorted(d["num_threads"] for d in threadpoolctl.threadpool_info() if d["user_api"] == "blas")


@pytest.fixture
def two_threads():  # type: ignore[no-untyped-def]
    """Start every test from a known state: each BLAS on two threads."""
    if not _blas_counts():
        pytest.skip("no BLAS that threadpoolctl can control")
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        yield


def test_block_runs_on_one_thread_and_restores(two_threads) -> None:  # type: ignore[no-untyped-def]
    before = _blas_counts()
    assert max(before) == 2
    with one_blas_thread():
        assert _blas_counts() == [1] * len(before)
    assert _blas_counts() == before


def test_nested_blocks_restore_only_at_the_outermost(two_threads) -> None:  # type: ignore[no-untyped-def]
    before = _blas_counts()
    with one_blas_thread():
        with one_blas_thread():
            assert max(_blas_counts()) == 1
        assert max(_blas_counts()) == 1
    assert _blas_counts() == before


def test_restores_after_an_exception(two_threads) -> None:  # type: ignore[no-untyped-def]
    before = _blas_counts()
    with pytest.raises(ZeroDivisionError):
        with one_blas_thread():
            raise ZeroDivisionError
    assert _blas_counts() == before


def test_own_view_matches_threadpoolctl(two_threads) -> None:  # type: ignore[no-untyped-def]
    assert sorted(blas_thread_counts()) == _blas_counts()
    with one_blas_thread():
        assert sorted(blas_thread_counts()) == _blas_counts()


def test_rule_picks_one_thread_below_the_threshold(two_threads, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(_threads, "cores_busy", lambda: False)
    with blas_threads_for(ONE_THREAD_MAX_FLOPS / 2):
        assert max(_blas_counts()) == 1
    with blas_threads_for(ONE_THREAD_MAX_FLOPS * 2):
        assert max(_blas_counts()) == 2
    with blas_threads_for(ONE_THREAD_MAX_GEMV_FLOPS / 2, memory_bound=True):
        assert max(_blas_counts()) == 2  # a free core: the pool wins products of every size
    with blas_threads_for(ONE_THREAD_MAX_GEMV_FLOPS * 2, memory_bound=True):
        assert max(_blas_counts()) == 2


def test_rule_picks_one_thread_above_the_threshold_while_cores_are_busy(two_threads, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(_threads, "cores_busy", lambda: True)
    with blas_threads_for(ONE_THREAD_MAX_FLOPS * 100):
        assert max(_blas_counts()) == 1
    with blas_threads_for(ONE_THREAD_MAX_GEMV_FLOPS / 2, memory_bound=True):
        assert max(_blas_counts()) == 1  # a small product on a busy machine: one thread
    with blas_threads_for(ONE_THREAD_MAX_GEMV_FLOPS * 2, memory_bound=True):
        assert max(_blas_counts()) == 2  # bandwidth: the pool wins even on a busy machine


def test_cores_busy_reads_the_runnable_count(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import builtins

    real_open = builtins.open
    text = {"value": ""}

    def fake_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if path == "/proc/loadavg":
            f = tmp_path / "loadavg"
            f.write_text(text["value"])
            return real_open(f, *args, **kwargs)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(_threads, "_usable_cores", lambda: 2)
    for value, busy in (("0.5 0.4 0.3 1/100 42\n", False), ("3.0 2.0 1.0 2/100 42\n", True), ("garbage", True)):
        text["value"] = value
        monkeypatch.setattr(_threads, "_busy_cache", [-1.0, 1.0])
        assert _threads.cores_busy() is busy
    text["value"] = "0.5 0.4 0.3 1/100 42\n"
    assert _threads.cores_busy() is True  # cached for 0.1 s


def test_results_do_not_depend_on_the_limit(two_threads) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    M = np.eye(200) * 200 + rng.random((200, 200))
    B = rng.random((200, 5))
    free = np.linalg.solve(M, B)
    with one_blas_thread():
        limited = np.linalg.solve(M, B)
    np.testing.assert_allclose(limited, free, rtol=1e-12)
    np.testing.assert_allclose(M @ limited, B, atol=1e-10)


def test_concurrent_blocks_share_one_window(two_threads) -> None:  # type: ignore[no-untyped-def]
    before = _blas_counts()
    inside = threading.Barrier(2)
    seen: list[int] = []

    def work() -> None:
        with one_blas_thread():
            inside.wait(timeout=10)
            seen.append(max(blas_thread_counts()))
            inside.wait(timeout=10)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert seen == [1, 1]
    assert _blas_counts() == before


def test_libraries_are_looked_up_again_when_modules_were_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake() -> list:  # type: ignore[type-arg]
        calls.append(1)
        return []

    monkeypatch.setattr(_threads, "_discover", fake)
    monkeypatch.setattr(_threads, "_pairs", None)
    with one_blas_thread():
        pass
    with one_blas_thread():
        pass
    assert len(calls) == 1  # cached while sys.modules is unchanged
    monkeypatch.setitem(sys.modules, "_rlref_test_fake_module", object())
    with one_blas_thread():
        pass
    assert len(calls) == 2


def test_no_op_without_threadpoolctl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import now raises ImportError
    monkeypatch.setattr(_threads, "_pairs", None)
    assert _threads._discover() == []
    with one_blas_thread():
        x = np.linalg.solve(np.eye(3) * 2.0, np.ones(3))
    assert x.tolist() == [0.5, 0.5, 0.5]
    assert blas_thread_counts() == []


def test_cores_busy_does_not_count_this_process_threads(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """OpenBLAS workers spinning after a threaded call are this process's own threads:
    two runnable tasks that are both ours leave the other core free."""
    import builtins

    real_open = builtins.open
    f = tmp_path / "loadavg"
    f.write_text("1.0 1.0 1.0 2/100 42\n")

    def fake_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        return real_open(f if path == "/proc/loadavg" else path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(_threads, "_usable_cores", lambda: 2)
    for own, busy in ((2, False), (1, True)):
        monkeypatch.setattr(_threads, "_own_running", lambda own=own: own)
        monkeypatch.setattr(_threads, "_busy_cache", [-1.0, 1.0])
        assert _threads.cores_busy() is busy
    assert _threads._own_running() >= 1  # the real count sees at least the caller
