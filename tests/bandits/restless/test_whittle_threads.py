"""whittle_index runs its small BLAS calls on one thread (issue 23) and its answers do not change.

The rule is :data:`rlcore._threads.ONE_THREAD_MAX_FLOPS`; thread counts are read with
threadpoolctl (the independent view), the indices compared with the kernel path and with
the answer computed with BLAS left on two threads.
"""

from __future__ import annotations

import numpy as np
import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")

import scipy.linalg

import bandits.restless.whittle as bw
from bandits.restless import RestlessArm, whittle_index
from rlcore._threads import ONE_THREAD_MAX_FLOPS


def _blas_counts() -> list[int]:
    return sorted(d["num_threads"] for d in threadpoolctl.threadpool_info() if d["user_api"] == "blas")


@pytest.fixture
def two_threads():  # type: ignore[no-untyped-def]
    if not _blas_counts():
        pytest.skip("no BLAS that threadpoolctl can control")
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        yield


@pytest.mark.parametrize("S", [5, 40])
def test_solve_runs_on_one_thread_and_counts_are_restored(two_threads, monkeypatch, S: int) -> None:  # type: ignore[no-untyped-def]
    assert 8 / 3 * S**3 < ONE_THREAD_MAX_FLOPS
    seen: list[list[int]] = []
    real = scipy.linalg.lu_factor

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(_blas_counts())
        return real(*args, **kwargs)

    monkeypatch.setattr(scipy.linalg, "lu_factor", spy)
    before = _blas_counts()
    res = whittle_index(RestlessArm.random(S, rng=S), gamma=0.9)
    assert res.indexable
    assert seen and all(max(c) == 1 for c in seen)
    assert _blas_counts() == before


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_counts_are_restored_when_the_solve_fails(two_threads) -> None:  # type: ignore[no-untyped-def]
    before = _blas_counts()
    P = np.zeros((2, 2, 2))
    P[0, :, 0] = 1.0  # every policy keeps each state where it is: multichain
    P[1, :, 1] = 1.0
    with pytest.raises(ValueError):
        whittle_index(P, np.array([[0.0, 1.0], [0.0, 2.0]]), gamma=None)
    assert _blas_counts() == before


def test_blocked_path_runs_on_one_thread_and_matches_the_kernel(two_threads, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    S = 120
    arm = RestlessArm.random(S, rng=7)
    kernel = whittle_index(arm, gamma=0.95)
    seen: list[list[int]] = []
    real = bw._delayed_updates

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(_blas_counts())
        return real(*args, **kwargs)

    monkeypatch.setattr(bw, "_KERNEL_MAX_STATES", 0)
    monkeypatch.setattr(bw, "_delayed_updates", spy)
    blocked = whittle_index(arm, gamma=0.95, block=16)
    assert seen == [[1] * len(seen[0])]
    assert kernel.index is not None and blocked.index is not None
    np.testing.assert_allclose(blocked.index, kernel.index, rtol=1e-9, atol=1e-9)


def test_indices_equal_those_computed_with_threaded_blas(two_threads, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import rlcore._threads as th

    arm = RestlessArm.random(60, rng=3)
    limited = whittle_index(arm, gamma=0.9)
    monkeypatch.setattr(th, "ONE_THREAD_MAX_FLOPS", 0.0)  # the rule off: BLAS left on two threads
    monkeypatch.setattr(th, "ONE_THREAD_MAX_GEMV_FLOPS", 0.0)
    monkeypatch.setattr(th, "cores_busy", lambda: False)
    free = whittle_index(arm, gamma=0.9)
    assert limited.index is not None and free.index is not None
    np.testing.assert_allclose(limited.index, free.index, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(limited.order, free.order)
