"""Run small BLAS calls on one thread (private helper for every package).

OpenBLAS hands a call to its worker threads above a small size. On a quiet machine
that costs a few microseconds; on a busy one (the other core running anything) the
hand-off waits for the scheduler to run the worker, and a 30 x 30 ``lu_solve`` that
takes 0.05 ms on one thread took 6.9 ms on two (issue 23). :func:`one_blas_thread`
runs a block with every loaded BLAS limited to one thread, cheaply enough to wrap a
call of a few microseconds; :func:`blas_threads_for` applies the measured rule below.

Cost of limiting (2-core AMD EPYC, OpenBLAS 0.3.30 / 0.3.31, threadpoolctl 3.8.0; the two
libraries numpy and scipy load): ``threadpoolctl.threadpool_limits(1)`` re-scans the
process's shared libraries on every entry, 2.4 ms per ``with`` block;
``ThreadpoolController().limit`` on a cached controller 35 us; this module calls
OpenBLAS's ``openblas_set_num_threads`` / ``openblas_get_num_threads`` symbols (with
their ``scipy_`` / ``64_`` affixes, found once through threadpoolctl) through ctypes,
about 4-5 us per ``with`` block for both libraries (3.6 us of it the ctypes calls).
Libraries are looked up on first use (2.4 ms, once) and again whenever ``sys.modules``
has changed size since (a new extension module may have loaded a BLAS); other BLAS (MKL, BLIS, OpenBLAS built on OpenMP) go through threadpoolctl's own
per-library controller. Without threadpoolctl everything here is a no-op.

The rule, measured by ``python -m benchmarks.bench_threads`` (one thread against
OpenBLAS's default two; every size idle and with ``benchmarks.load`` spinning one
process beside it) and ``python -m benchmarks.bench_threads --best-of 30`` (the best of
30 interleaved calls: the shared 2-core AMD EPYC these were measured on was never idle,
other processes used 1.1-1.8 of its 2 cores throughout, so a call's best time is the
estimate of the idle one). Ratios are one thread / two threads, below 1 when one thread
wins (2026-12-07, OpenBLAS 0.3.30 / 0.3.31)::

    call (flops)                    best of 30 median     median, 1 busy     decision
    LU + solve S=10..100 (<=2.7e6)  0.01-0.04  0.004-0.9  0.004-0.12         one thread
    LU + solve S=200 (2.1e7)        1.63       0.10-0.40  0.05-0.06          by load
    LU + solve S=300 (7.2e7)        1.54       0.04-0.56  0.06-0.10          by load
    LU + solve S=500 (3.3e8)        1.64       0.72-1.22  0.11-0.43          by load
    LU + solve S=1000 (2.7e9)       1.03       0.36-0.43  0.46-0.50          by load
    gemm S x 64 x S, S=100 (1.3e6)  1.12       1.18-1.20  1.14-1.17          one thread
    gemm S=300..2000 (1.2e7-5e8)    1.72-1.93  0.03-4.5   0.06-1.10          by load
    gemv (8S x S) S=200..1000       0.06-1.12  0.20-1.12  0.02-1.41          one thread
      (6.4e5-1.6e7)
    gemv S=1400, 2000 (3.1e7-6.4e7) 1.65-1.68  1.35-1.41  1.11-1.71          default pool

So: a matrix-vector product runs on one thread below :data:`ONE_THREAD_MAX_GEMV_FLOPS`
= 2e7 flops *while the other cores are busy* (at 1.6e7, S = 1000, one thread won 6 of
7 loaded rows; at 3.1e7 and above two won every row: memory bandwidth, which a second
thread adds even on a busy machine). With a core free, two threads won at every size:
re-measured on the quiet machine (load average 0.1-1.8, 2026-12-08, median of 5 x 200
calls, one / two threads) ``(8S x S) @ v`` took 1.05-2.4x longer on one thread for
S = 50..500 (283.8 against 117.8 us at S = 500) and ``(S x S) @ v`` 1.17-2.9x, and the
limit's own 4-5 us is most of a tiny product, so the pool keeps those calls then; any
other call below :data:`ONE_THREAD_MAX_FLOPS` = 5e6 (one thread won every row at
2.7e6; two won the best-of-30 at 1.2e7 and above); above that, two threads win by
1.5-1.9x when the other core is free and lose 2-25x (the collapse) when it is busy, so
:func:`blas_threads_for` asks :func:`cores_busy` (the count of runnable tasks, read
from ``/proc/loadavg``) and takes one thread while the other cores are busy. (The
``gemm`` and ``gemv`` rows at 1.1-1.2 below the thresholds are calls OpenBLAS runs on
one thread anyway: the difference is the limit's few microseconds.) One thread and
two give the same answers up to rounding, not always bit for bit.

Thread-safety: OpenBLAS's thread count (pthreads build) is one process-wide setting.
Nested and concurrent blocks share one limited window (a counter under a lock): the
count is set to one when the first block enters and restored when the last one leaves,
so a concurrent large call made meanwhile also runs on one thread (slower, never wrong).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

__all__ = [
    "ONE_THREAD_MAX_FLOPS",
    "ONE_THREAD_MAX_GEMV_FLOPS",
    "blas_thread_counts",
    "blas_threads_for",
    "cores_busy",
    "one_blas_thread",
]

#: Below this many floating-point operations a BLAS-3 / LAPACK call runs faster on one
#: thread than on OpenBLAS's default pool, both idle and with the other core busy; above,
#: one thread still wins while the other cores are busy (module docstring;
#: ``benchmarks/bench_threads.py``).
ONE_THREAD_MAX_FLOPS: float = 5e6

#: Below this many flops a matrix-vector product (``2 m n`` for an ``(m, n)`` matrix)
#: runs faster on one thread, idle and loaded; above, the default pool wins in both.
ONE_THREAD_MAX_GEMV_FLOPS: float = 2e7

_Pair = tuple[Callable[[], Any], Callable[[int], Any]]

_lock = threading.Lock()
_depth = 0
_saved: list[Any] = []
_pairs: list[_Pair] | None = None
_modules_seen = -1


def _discover() -> list[_Pair]:
    """``(get_num_threads, set_num_threads)`` of every BLAS loaded in the process."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return []
    pairs: list[_Pair] = []
    try:
        controllers = ThreadpoolController().lib_controllers
    except Exception:  # a library threadpoolctl cannot inspect: leave the threads alone
        return []
    for lc in controllers:
        if getattr(lc, "user_api", None) != "blas":
            continue
        get = set_ = None
        if getattr(lc, "internal_api", None) == "openblas" and getattr(lc, "threading_layer", None) != "openmp":
            get = lc._get_symbol("openblas_get_num_threads")
            set_ = lc._get_symbol("openblas_set_num_threads")
        if get is None or set_ is None:
            get, set_ = lc.get_num_threads, lc.set_num_threads
        pairs.append((get, set_))
    return pairs


def _libraries() -> list[_Pair]:
    global _pairs, _modules_seen
    n = len(sys.modules)
    if _pairs is None or n != _modules_seen:
        _pairs = _discover()
        _modules_seen = n
    return _pairs


class _OneThread:
    """The context manager behind :func:`one_blas_thread` (reentrant, shared window)."""

    __slots__ = ()

    def __enter__(self) -> None:
        global _depth
        with _lock:
            if _depth == 0:
                pairs = _libraries()
                _saved[:] = [(s, g()) for g, s in pairs]
                for _, s in pairs:
                    s(1)
            _depth += 1

    def __exit__(self, *exc: object) -> None:
        global _depth
        with _lock:
            _depth -= 1
            if _depth == 0:
                for s, n in _saved:
                    if n is not None and n > 1:
                        s(n)
                _saved.clear()


_ONE = _OneThread()
_NONE: AbstractContextManager[None] = nullcontext()


def one_blas_thread() -> AbstractContextManager[None]:
    """A context manager running its block with every loaded BLAS on one thread.

    Reentrant; restores each library's previous thread count on leaving the outermost
    block; a no-op without threadpoolctl. About 4-5 us per block with OpenBLAS.

    Examples
    --------
    >>> import numpy as np
    >>> with one_blas_thread():
    ...     x = np.linalg.solve(np.eye(3), np.ones(3))
    >>> x.tolist()
    [1.0, 1.0, 1.0]
    """
    return _ONE


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_busy_cache: list[float] = [-1.0, 1.0]  # [time read, 1.0 if busy else 0.0]


def _own_running() -> int:
    """Threads of this process in state R (this one, and BLAS workers still spinning
    after a threaded call: they are not other work and must not count as load)."""
    own = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat", encoding="ascii", errors="replace") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        own += state == "R"
    return max(own, 1)


def cores_busy() -> bool:
    """Whether every other usable core is running something right now (Linux; else True).

    Reads the count of runnable tasks from ``/proc/loadavg`` and subtracts this
    process's own running threads (``/proc/self/task/*/stat``: the caller, and OpenBLAS
    workers that keep spinning for a while after a threaded call, which a bare count
    mistook for other work, so a loop of products flipped itself to one thread): busy
    when the other processes' runnable tasks fill every other usable core. At most one
    read every 0.1 s (about 0.1 ms a read). Where it cannot be read the answer is True, which picks one thread: never
    the collapse, at worst a missed speed-up.
    """
    now = time.monotonic()
    if now - _busy_cache[0] < 0.1:
        return _busy_cache[1] > 0.0
    try:
        with open("/proc/loadavg", encoding="ascii") as fh:
            running = int(fh.read().split()[3].split("/")[0])
        busy = running - _own_running() >= _usable_cores() - 1
    except (OSError, ValueError, IndexError):
        busy = True
    _busy_cache[:] = [now, 1.0 if busy else 0.0]
    return busy


def blas_threads_for(flops: float, *, memory_bound: bool = False) -> AbstractContextManager[None]:
    """:func:`one_blas_thread` where the measured rule says one thread wins, else nothing.

    The rule (module docstring): a matrix-vector product (``memory_bound=True``) runs on
    one thread below :data:`ONE_THREAD_MAX_GEMV_FLOPS` flops while the other cores are
    busy (:func:`cores_busy`), else on the default pool; any other call runs on one thread below
    :data:`ONE_THREAD_MAX_FLOPS`, and above it on one thread only while the other
    cores are busy (:func:`cores_busy`).

    Parameters
    ----------
    flops : float
        Floating-point operations of the BLAS / LAPACK call(s) in the block, e.g.
        ``(8/3) S^3`` for an LU factorisation and solve with ``S`` right-hand sides,
        ``2 m n`` for an ``(m, n)`` matrix-vector product.
    memory_bound : bool, default False
        A matrix-vector product (BLAS level 2, limited by memory bandwidth: a second
        thread adds bandwidth even on a busy machine).

    Examples
    --------
    >>> import numpy as np
    >>> A = np.eye(30)
    >>> with blas_threads_for(2 * 30 * 30, memory_bound=True):
    ...     y = A @ np.ones(30)
    >>> float(y.sum())
    30.0
    """
    if memory_bound:
        return _ONE if flops < ONE_THREAD_MAX_GEMV_FLOPS and cores_busy() else _NONE
    if flops < ONE_THREAD_MAX_FLOPS or cores_busy():
        return _ONE
    return _NONE


def blas_thread_counts() -> list[int]:
    """Current thread count of each loaded BLAS (for tests and benchmark headers)."""
    with _lock:
        return [int(g()) for g, _ in _libraries()]
