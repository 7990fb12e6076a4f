"""Whittle index computation: adaptive greedy against bisection and markovianbandit-pkg.

Workloads (issue 9): dense random binary restless arms (exponential rows, uniform
rewards, ``RestlessArm.random`` with a fixed seed) of S = 10, 30, 100, 300, 1000
states (``--quick``: 10, 100, 300), discount 0.9, indexability checked by every
implementation.

Implementations:

* **ours**: :func:`bandits.whittle_index` (``method="adaptive-greedy"``): a Numba kernel
  up to 500 states, the delayed-update BLAS-3 loop above (see
  :mod:`bandits.restless.whittle`);
* **markovianbandit-pkg** (Gast, Gaujal and Khun 2023's published code):
  ``RestlessBandit.whittle_indices(check_indexability=True, discount=0.9)``; the
  object is rebuilt in the untimed setup and its memo cleared before every call;
* **bisection** (``method="bisection"``, ``~50 S`` policy-iteration solves plus the
  indexability grid), only for S <= 30: it is the slow independent reference.

The check hook compares the indices (``1e-8``). Target (issues 9 and 23): our time at
most half of markovianbandit-pkg's at every size (ratio ``ours/peer <= 0.5`` in its
row), **also with the other core busy**. Every size is therefore timed twice: once with
no load started (row titles ``[no load started]``) and once with
:func:`benchmarks.load.under_load` spinning one pure-Python busy process beside the
benchmark for the whole comparison (``[loaded: 1 busy]``); each note gives the
machine's load average before and the cores other processes kept busy during the run
(the busy one included), since other users of a shared machine are load too. Under load a BLAS call that hands work to a second thread waits for the
scheduler: ours runs its solve and products on one BLAS thread by the measured rule of
:mod:`rlcore._threads` (always below 5e6 flops; above, while the other cores are busy;
``benchmarks/bench_threads.py``); the peer runs numpy's BLAS as installed (its
threads collapse under load too, which is part of what the loaded rows show).

Run ``python -m benchmarks.bench_whittle [--quick] [--json PATH]``.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from benchmarks.harness import Case, Comparison, run_suite

__all__ = ["bench_whittle", "main"]

DISCOUNT = 0.9


def _arm(S: int) -> Any:
    from bandits.restless import RestlessArm

    return RestlessArm.random(S, rng=12345 + S)


def _ours(S: int) -> Case:
    from bandits.restless import whittle_index

    def setup() -> Any:
        return _arm(S)

    def run(arm: Any) -> np.ndarray:
        res = whittle_index(arm, gamma=DISCOUNT)
        if not res.indexable or res.index is None:
            raise RuntimeError(f"benchmark arm unexpectedly not indexable: {res.reason}")
        return res.index

    return Case("bandits.whittle_index (adaptive greedy)", run, setup)


def _bisection(S: int) -> Case:
    from bandits.restless import whittle_index

    def run(arm: Any) -> np.ndarray:
        res = whittle_index(arm, gamma=DISCOUNT, method="bisection")
        if res.index is None:
            raise RuntimeError(res.reason)
        return res.index

    return Case("bisection + policy iteration (reference)", run, lambda: _arm(S))


def _markovianbandit(S: int) -> Case:
    def setup() -> Any:
        old = np.geterr()
        try:
            import markovianbandit  # noqa: F401
            from markovianbandit import restless_bandit_from_P0P1_R0R1
        finally:
            np.seterr(**old)
        arm = _arm(S)
        return restless_bandit_from_P0P1_R0R1(
            arm.P[:, 0, :].copy(), arm.P[:, 1, :].copy(), arm.R[:, 0].copy(), arm.R[:, 1].copy()
        )

    def run(bandit: Any) -> np.ndarray:
        bandit.indices = None
        bandit.indexable = None
        old = np.geterr()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                return np.asarray(bandit.whittle_indices(check_indexability=True, discount=DISCOUNT))
        finally:
            np.seterr(**old)

    return Case("markovianbandit-pkg (Gast-Gaujal-Khun)", run, setup)


def _check(ours: Any, peer: Any) -> None:
    np.testing.assert_allclose(np.asarray(peer), np.asarray(ours), atol=1e-8)


def bench_whittle(quick: bool) -> Iterator[Comparison]:
    """One comparison per arm size, timed twice: no load started, then the other core busy."""
    from benchmarks.load import under_load

    sizes = (10, 100, 300) if quick else (10, 30, 100, 300, 1000)
    for S in sizes:
        peers = [_markovianbandit(S)]
        if S <= 30:
            peers.append(_bisection(S))
        comp = Comparison(
            title=f"Whittle indices + indexability, dense arm, S={S}, discount {DISCOUNT}",
            ours=_ours(S),
            peers=tuple(peers),
            check=_check,
            note="target: ratio <= 0.5 against markovianbandit-pkg",
        )
        yield under_load(comp, 0)
        yield under_load(comp, 1)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see :func:`benchmarks.harness.run_suite` for options."""
    return run_suite(
        [bench_whittle],
        argv,
        prog="python -m benchmarks.bench_whittle",
        description=(__doc__ or "").split("\n\n")[0],
        packages=("rlref", "markovianbandit-pkg", "numba", "scipy"),
    )


if __name__ == "__main__":
    sys.exit(main())
