"""BLAS threads: one thread against OpenBLAS's default pool, idle and under load.

The measurement behind :data:`rlcore._threads.ONE_THREAD_MAX_FLOPS` (issue 23: "a
measured rule, not a guess"). Each comparison times the same BLAS / LAPACK call on the
same arrays twice: **ours** inside :func:`rlcore._threads.one_blas_thread` (every
loaded BLAS on one thread, the limit's own cost of a few microseconds included) and the
**peer** with the BLAS's default thread count (the machine's cores, unless
``OPENBLAS_NUM_THREADS`` says otherwise; the header records it). A ratio below 1 means
one thread is faster. Each size runs idle and loaded (:func:`benchmarks.load.busy`
spins one pure-Python process beside it, "the other core busy"): every size is timed
both ways, the rows marked ``[no load started]`` and ``[loaded: 1 busy]``, each note
giving the load average before and after (on a shared machine other users are load
too). The rule is the size below which one thread wins in both rows.

Workloads (flops in each title):

* ``lu``: ``scipy.linalg.lu_factor`` + ``lu_solve`` of an ``S x S`` system with ``S``
  right-hand sides, ``(8/3) S^3`` flops: the one solve of
  :func:`bandits.whittle_index`; S = 10, 30, 100, 200, 300, 500, 1000 (``--quick``:
  30, 300).
* ``gemv``: the dense Bellman product ``P.reshape(S*A, S) @ V`` of
  :mod:`tabular.certify` with ``A = 8``, ``2 A S^2`` flops (and ``8 A S^2`` bytes of
  ``P``: memory-bound); S = 200, 300, 500, 1000, 1400, 2000 (``--quick``: 200, 1000).
* ``gemm``: ``(S x 64) @ (64 x S)``, ``128 S^2`` flops: the delayed rank-64 update of
  the Whittle loop above 500 states; S = 100, 300, 500, 1000, 2000 (``--quick``: 300).

Equal work on both sides: the same call on the same arrays; the check hook compares
the two outputs (``1e-10``).

Run ``python -m benchmarks.bench_threads [--quick] [--json PATH]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from benchmarks.harness import Case, Comparison, run_suite

__all__ = ["bench_threads", "main"]


def _pair(name: str, call: Callable[[], Any]) -> tuple[Case, Case]:
    from rlcore._threads import one_blas_thread

    def one() -> Any:
        with one_blas_thread():
            return call()

    return Case(f"{name}, 1 thread", one), Case(f"{name}, default threads", call)


def _check(a: Any, b: Any) -> None:
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-10)


def _lu(S: int) -> tuple[Case, Case]:
    import scipy.linalg

    rng = np.random.default_rng(S)
    M = np.eye(S) * S + rng.random((S, S))
    B = rng.random((S, S))

    def call() -> np.ndarray:
        lu = scipy.linalg.lu_factor(M, check_finite=False)
        return scipy.linalg.lu_solve(lu, B, check_finite=False)

    return _pair("lu_factor+lu_solve", call)


def _gemv(S: int, A: int = 8) -> tuple[Case, Case]:
    rng = np.random.default_rng(S)
    P = rng.random((S, A, S))
    V = rng.random(S)
    flat = P.reshape(S * A, S)
    return _pair("P.reshape(S*A, S) @ V", lambda: flat @ V)


def _gemm(S: int, K: int = 64) -> tuple[Case, Case]:
    rng = np.random.default_rng(S)
    L = rng.random((S, K))
    R = rng.random((K, S))
    return _pair("(S x 64) @ (64 x S)", lambda: L @ R)


def _sizes(quick: bool) -> Iterator[Comparison]:
    lu_sizes = (30, 300) if quick else (10, 30, 100, 200, 300, 500, 1000)
    gemv_sizes = (200, 1000) if quick else (200, 300, 500, 1000, 1400, 2000)
    gemm_sizes = (300,) if quick else (100, 300, 500, 1000, 2000)
    for S in lu_sizes:
        one, default = _lu(S)
        yield Comparison(f"lu S={S} ({8 / 3 * S**3:.2e} flops)", one, (default,), check=_check)
    for S in gemv_sizes:
        one, default = _gemv(S)
        yield Comparison(f"gemv S={S} A=8 ({2 * 8 * S * S:.2e} flops)", one, (default,), check=_check)
    for S in gemm_sizes:
        one, default = _gemm(S)
        yield Comparison(f"gemm S={S} K=64 ({128 * S * S:.2e} flops)", one, (default,), check=_check)


def bench_threads(quick: bool) -> Iterator[Comparison]:
    """Each workload and size twice: no load started, then one busy process beside it."""
    from benchmarks.load import under_load

    for comp in _sizes(quick):
        yield under_load(comp, 0)
        yield under_load(comp, 1)


def best_of(samples: int = 30, quick: bool = False, out: Any = None) -> None:
    """Print, per workload, the best and the median of ``samples`` interleaved calls.

    On a shared machine that is never idle, the *best* of many calls estimates the
    idle time (a call that happened to find the other core free), the median the
    typical one. Calls of 1 thread and of the default pool alternate.
    """
    import time

    out = sys.stdout if out is None else out
    print(f"# best and median of {samples} interleaved calls (1 thread / default threads)", file=out)
    print(
        f"{'workload':<36} {'best 1T':>10} {'best def':>10} {'best ratio':>10} {'med 1T':>10} {'med def':>10}", file=out
    )
    for comp in _sizes(quick):
        one, default = comp.ours, comp.peers[0]
        times: dict[str, list[float]] = {"1": [], "d": []}
        one.fn()
        default.fn()
        for _ in range(samples):
            for key, case in (("1", one), ("d", default)):
                t0 = time.perf_counter()
                case.fn()
                times[key].append(time.perf_counter() - t0)
        b1, bd = min(times["1"]), min(times["d"])
        m1, md = float(np.median(times["1"])), float(np.median(times["d"]))
        print(
            f"{comp.title.split(' (')[0]:<36} {b1 * 1e3:>8.3f}ms {bd * 1e3:>8.3f}ms {b1 / bd:>10.2f} "
            f"{m1 * 1e3:>8.3f}ms {md * 1e3:>8.3f}ms",
            file=out,
            flush=True,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see :func:`benchmarks.harness.run_suite` for options.

    ``--best-of N`` instead prints :func:`best_of`'s table (no harness run).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if "--best-of" in args:
        i = args.index("--best-of")
        best_of(int(args[i + 1]), quick="--quick" in args)
        return 0
    return run_suite(
        [bench_threads],
        args,
        prog="python -m benchmarks.bench_threads",
        description=(__doc__ or "").split("\n\n")[0],
        packages=("scipy", "threadpoolctl"),
    )


if __name__ == "__main__":
    sys.exit(main())
