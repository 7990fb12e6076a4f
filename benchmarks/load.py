"""A load generator: keep other cores busy while a benchmark runs.

Issue 23's targets for small linear algebra hold "with the other core busy": on the
2-core machines these benchmarks run on, a second runnable process is what turns a
threaded BLAS call's hand-off to its worker thread into a wait for the scheduler. This
module spins ``procs`` processes, each a pure-Python busy loop (no memory traffic, no
BLAS, no threads of its own), for a bounded time:

* as a context manager, ``with busy(procs=1): ...``; the processes stop when the block
  ends, and each stops by itself after ``max_seconds`` (default one hour) should its
  parent die;
* around one benchmark comparison, :func:`under_load` (what ``bench_whittle`` and
  ``bench_threads`` use to report each size idle and loaded);
* from the command line, ``python -m benchmarks.load --seconds 60 [--procs 1]``, e.g. in
  a second terminal beside any benchmark.

Examples
--------
>>> with busy(procs=1, max_seconds=5) as pids:
...     len(pids)
1
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from benchmarks.harness import BenchResult, Comparison

__all__ = ["busy", "load_average", "main", "under_load"]

_SPIN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


def _start(procs: int, seconds: float) -> list[subprocess.Popen[bytes]]:
    code = _SPIN.format(seconds=float(seconds))
    return [
        subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL, close_fds=True) for _ in range(procs)
    ]


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for p in children:
        if p.poll() is None:
            p.terminate()
    for p in children:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@contextmanager
def busy(procs: int = 1, *, max_seconds: float = 3600.0, settle: float = 0.2) -> Iterator[list[int]]:
    """Spin ``procs`` busy processes for the duration of the block.

    Parameters
    ----------
    procs : int, default 1
        Busy processes (1 keeps "the other core" of a 2-core machine busy).
    max_seconds : float, default 3600
        Each process exits by itself after this long, even if the block has not ended.
    settle : float, default 0.2
        Seconds to wait after starting them, so the scheduler sees them running.

    Yields
    ------
    list of int
        The processes' ids.
    """
    if not isinstance(procs, int) or procs < 0:
        raise ValueError(f"procs must be an int >= 0, got {procs!r}")
    if not max_seconds > 0:
        raise ValueError(f"max_seconds must be > 0, got {max_seconds!r}")
    children = _start(procs, max_seconds)
    try:
        if procs and settle > 0:
            time.sleep(settle)
        yield [p.pid for p in children]
    finally:
        _stop(children)


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, as ``"0.52, 0.61, 0.70"``."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _cpu_snapshot() -> tuple[float, float, float] | None:
    """(wall seconds, busy CPU-seconds of the whole machine, CPU-seconds of this process)."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [float(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    t = os.times()
    return time.monotonic(), (sum(fields[:8]) - idle) / tick, t.user + t.system


def _others(start: tuple[float, float, float] | None) -> str:
    """Cores kept busy by *other* processes since ``start`` (machine busy time minus ours)."""
    end = _cpu_snapshot()
    if start is None or end is None or end[0] <= start[0]:
        return "cores used by other processes: unknown"
    wall = end[0] - start[0]
    others = max(0.0, (end[1] - start[1]) - (end[2] - start[2])) / wall
    return f"cores used by other processes during the run: {others:.2f} of {os.cpu_count()}"


@dataclass(frozen=True)
class _Loaded(Comparison):
    """A comparison run while :func:`busy` spins ``procs`` processes (see :func:`under_load`)."""

    procs: int = 1

    def run(self, *, repeats: int = 7, warmup: int = 1, min_time: float = 0.05) -> BenchResult:
        before = load_average()
        with busy(self.procs):
            start = _cpu_snapshot()
            result = super().run(repeats=repeats, warmup=warmup, min_time=min_time)
            others = _others(start)
        extra = f"ran with {self.procs} busy process(es) beside it (benchmarks.load); load average {before} before; {others}"
        return replace(result, note="; ".join(p for p in (result.note, extra) if p))


@dataclass(frozen=True)
class _Unloaded(Comparison):
    """A comparison that records how busy the machine was in its note."""

    def run(self, *, repeats: int = 7, warmup: int = 1, min_time: float = 0.05) -> BenchResult:
        before = load_average()
        start = _cpu_snapshot()
        result = super().run(repeats=repeats, warmup=warmup, min_time=min_time)
        extra = f"no load started; load average {before} before; {_others(start)}"
        return replace(result, note="; ".join(p for p in (result.note, extra) if p))


def under_load(comparison: Comparison, procs: int = 1) -> Comparison:
    """``comparison`` run with ``procs`` busy processes beside it, its title marked ``[loaded]``.

    With ``procs=0`` the title is marked ``[no load started]`` instead and nothing is
    started. Either way the note records the load average before and the cores that
    other processes (the busy ones included) kept busy during the run, from
    ``/proc/stat`` less this process's own CPU time: other users of a shared machine
    are load too.
    """
    fields = {f.name: getattr(comparison, f.name) for f in dataclasses.fields(Comparison)}
    if procs <= 0:
        fields["title"] = f"{comparison.title} [no load started]"
        return _Unloaded(**fields)
    fields["title"] = f"{comparison.title} [loaded: {procs} busy]"
    return _Loaded(**fields, procs=procs)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.load --seconds N [--procs P]``: spin, then exit."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, required=True, help="how long to keep the cores busy")
    parser.add_argument("--procs", type=int, default=1, help="busy processes (default 1)")
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        parser.error("--seconds must be > 0")
    print(
        f"benchmarks.load: {args.procs} busy process(es) for {args.seconds:g} s (pid {os.getpid()})",
        file=sys.stderr,
        flush=True,
    )
    with busy(args.procs, max_seconds=args.seconds, settle=0.0):
        try:
            time.sleep(args.seconds)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
