"""Timing harness shared by every benchmark in ``benchmarks/``.

A benchmark compares *our* implementation of a computation with the implementations a
user would otherwise pick (the *peers*), on the same inputs, in one process run, and
reports the ratio ``ours / peer`` of median times: a ratio below 1 means we are faster.

Method
------
For every :class:`Case` of a comparison, :func:`compare`

1. runs the case's ``setup`` once, untimed (build the peer's model object, import the
   peer: an :class:`ImportError` raised here or in the first call marks the case
   "not installed" instead of crashing the run);
2. times the first call on its own and reports it as *first call* (it includes Numba
   compilation or cache loading, lazy imports, first-touch page faults);
3. hands the outputs of the first calls to the ``check`` hook, ``check(ours, peer)``,
   so that two functions that compute different answers are never timed against each
   other (:class:`CheckFailed` is raised instead);
4. calls the case ``warmup - 1`` more times, untimed;
5. picks an inner loop count per case, as :meth:`timeit.Timer.autorange` does, so that
   one timing lasts at least ``min_time`` seconds;
6. takes ``repeats`` timings of each case with :func:`time.perf_counter`, garbage
   collection disabled, *interleaving* the cases (ours, peer 1, peer 2, ours, ...) so
   that a noisy neighbour on a shared machine slows all of them alike, and records
   the median and the interquartile range (IQR) of the per-call time.

Medians and IQRs rather than minima or means: the machines these benchmarks run on
are shared and have two cores, so the distribution has a long right tail.

Examples
--------
>>> import numpy as np
>>> ours = Case("sum (numpy)", lambda: np.arange(1000.0).sum())
>>> peer = Case("sum (python)", lambda: float(sum(range(1000))))
>>> res = compare("sum of 0..999", ours, [peer], repeats=3, min_time=1e-3,
...               check=lambda a, b: np.testing.assert_allclose(a, b))
>>> [row.name for row in res.rows]
['sum (numpy)', 'sum (python)']
>>> res.rows[0].ratio_vs_ours
1.0
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, TextIO, cast

import numpy as np

from benchmarks.environment import (
    NOT_INSTALLED,
    THREAD_ENV_VARS,
    environment_info,
    format_environment,
)

__all__ = [
    "NOT_INSTALLED",
    "OK",
    "RESULTS_DIR",
    "THREAD_ENV_VARS",
    "BenchResult",
    "Benchmark",
    "Case",
    "CheckFailed",
    "Comparison",
    "Row",
    "compare",
    "environment_info",
    "format_duration",
    "format_environment",
    "format_table",
    "results_name",
    "run_suite",
]

OK = "ok"
"""Status of a case that ran and was timed."""


_MAX_INNER = 10**7  # upper bound on the auto-chosen inner loop count


class CheckFailed(AssertionError):
    """A peer's output disagrees with ours, so the two must not be timed together."""


@dataclass(frozen=True)
class Case:
    """One implementation of the computation under comparison.

    Parameters
    ----------
    name : str
        Label of the implementation in the table, e.g. ``"rlcore"`` or
        ``"quantecon DiscreteDP"``.
    fn : callable
        The timed call. Called with no argument when ``setup`` is None, otherwise
        as ``fn(state)`` with ``state = setup()``. Its return value of the first call
        is what the ``check`` hook of :func:`compare` sees.
    setup : callable or None, optional
        Called once, untimed, before the first call: the place to import a peer
        (an :class:`ImportError` marks the case "not installed") and to build its
        model objects, so that only the computation itself is timed.
    """

    name: str
    fn: Callable[..., object]
    setup: Callable[[], object] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Case name must be a non-empty str, got {self.name!r}")
        if not callable(self.fn):
            raise TypeError(f"Case {self.name!r}: fn must be callable, got {self.fn!r}")
        if self.setup is not None and not callable(self.setup):
            raise TypeError(f"Case {self.name!r}: setup must be callable or None, got {self.setup!r}")


@dataclass(frozen=True)
class Row:
    """Timings of one implementation in one comparison.

    Attributes
    ----------
    name : str
        The implementation, :attr:`Case.name`.
    median_s, iqr_s : float or None
        Median and interquartile range, over the repeats, of the time of one call in
        seconds; None when the case did not run.
    first_call_s : float or None
        Time of the very first call (includes JIT compilation), seconds.
    ratio_vs_ours : float or None
        ``ours.median_s / self.median_s``: below 1 means ours is faster. 1.0 on our own
        row; None when either side did not run.
    status : str
        :data:`OK` or :data:`NOT_INSTALLED`.
    message : str
        Why a case did not run (the ImportError), else empty.
    inner_loops : int
        Calls per timing, chosen so that one timing lasts at least ``min_time``.
    repeats : int
        Number of timings the median is taken over.
    setup_s : float or None
        Time of the untimed ``setup`` call, for information.
    """

    name: str
    median_s: float | None
    iqr_s: float | None
    first_call_s: float | None
    ratio_vs_ours: float | None
    status: str = OK
    message: str = ""
    inner_loops: int = 0
    repeats: int = 0
    setup_s: float | None = None


@dataclass(frozen=True)
class BenchResult:
    """Outcome of one :func:`compare` call.

    Attributes
    ----------
    title : str
        What was compared, including the instance size (e.g. ``"... S=200 A=4"``).
    rows : tuple of Row
        Ours first, then the peers in the order given.
    note : str
        Free text shown under the table, e.g. the achieved fraction of memory
        bandwidth (see :func:`benchmarks.membw.achieved_fraction`).
    """

    title: str
    rows: tuple[Row, ...]
    note: str = ""

    @property
    def ours(self) -> Row:
        """Our row (the first)."""
        return self.rows[0]

    def row(self, name: str) -> Row:
        """The row of the implementation called ``name``.

        Raises
        ------
        KeyError
            If no row has that name.
        """
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"{self.title!r} has no implementation {name!r}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (None for missing or non-finite numbers)."""
        rows = [
            {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(r).items()}
            for r in self.rows
        ]
        return {"title": self.title, "note": self.note, "rows": rows}


@dataclass(frozen=True)
class Comparison:
    """A comparison to run later: the arguments of :func:`compare` minus the timing knobs.

    Benchmark functions handed to :func:`run_suite` yield these, so that the suite
    applies ``--filter``, ``--quick`` and the repeat settings uniformly.

    Parameters
    ----------
    title, ours, peers, check, note
        As in :func:`compare`.
    annotate : callable or None, optional
        ``annotate(result) -> str``, called on the finished :class:`BenchResult`; the
        string is appended to its note. Use it for derived figures that need the
        timings, e.g. the fraction of memory bandwidth a kernel achieved
        (:func:`benchmarks.membw.achieved_fraction`).
    """

    title: str
    ours: Case
    peers: tuple[Case, ...] = ()
    check: Callable[[Any, Any], None] | None = None
    note: str = ""
    annotate: Callable[[BenchResult], str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "peers", tuple(self.peers))

    def run(self, *, repeats: int = 7, warmup: int = 1, min_time: float = 0.05) -> BenchResult:
        """Run :func:`compare` on this comparison, then :attr:`annotate` if given."""
        result = compare(
            self.title,
            self.ours,
            self.peers,
            repeats=repeats,
            warmup=warmup,
            min_time=min_time,
            check=self.check,
            note=self.note,
        )
        if self.annotate is None:
            return result
        extra = self.annotate(result)
        note = "; ".join(part for part in (result.note, extra) if part)
        return replace(result, note=note)


Benchmark = Callable[[bool], Iterable[Comparison]]
"""A benchmark function: ``bench(quick) -> iterable of Comparison``."""


@dataclass
class _Prepared:
    """Mutable per-case state while :func:`compare` runs (private)."""

    case: Case
    call: Callable[[], object] | None = None
    status: str = OK
    message: str = ""
    setup_s: float | None = None
    first_call_s: float | None = None
    output: object = None
    inner: int = 0
    samples: list[float] = field(default_factory=list)


def _prepare(case: Case) -> _Prepared:
    """Run the setup and the first call of ``case``, catching ImportError."""
    prep = _Prepared(case)
    try:
        if case.setup is None:
            call: Callable[[], object] = case.fn
        else:
            t0 = time.perf_counter()
            state = case.setup()
            prep.setup_s = time.perf_counter() - t0
            call = partial(case.fn, state)
        t0 = time.perf_counter()
        prep.output = call()
        prep.first_call_s = time.perf_counter() - t0
    except ImportError as exc:
        prep.status = NOT_INSTALLED
        prep.message = f"{type(exc).__name__}: {exc}"
        return prep
    prep.call = call
    return prep


def _time_block(call: Callable[[], object], n: int) -> float:
    """Seconds taken by ``n`` back-to-back calls, with the garbage collector off."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in itertools.repeat(None, n):
            call()
        return time.perf_counter() - t0
    finally:
        if gc_was_enabled:
            gc.enable()


def _calibrate(call: Callable[[], object], min_time: float) -> int:
    """Smallest inner loop count (roughly) whose timing lasts at least ``min_time``."""
    n = 1
    while True:
        t = _time_block(call, n)
        if t >= min_time or n >= _MAX_INNER:
            return n
        if t <= 0.0:
            grow = 10 * n
        else:
            # aim 10% above min_time; grow at least 2x so noise cannot stall the loop
            grow = max(2 * n, math.ceil(n * 1.1 * min_time / t))
        n = min(grow, _MAX_INNER)


def compare(
    title: str,
    ours: Case,
    peers: Sequence[Case],
    *,
    repeats: int = 7,
    warmup: int = 1,
    min_time: float = 0.05,
    check: Callable[[Any, Any], None] | None = None,
    note: str = "",
) -> BenchResult:
    """Time ``ours`` against each peer on the same computation.

    Parameters
    ----------
    title : str
        Name of the comparison, including the instance size.
    ours : Case
        Our implementation; the numerator of every ratio.
    peers : sequence of Case
        The implementations a user would otherwise pick.
    repeats : int, default 7
        Timings per case; the median and IQR are taken over them.
    warmup : int, default 1
        Calls before timing starts, at least 1; the first of them is timed separately
        and reported as ``first_call_s`` (JIT compilation is excluded from the median).
    min_time : float, default 0.05
        Minimum duration of one timing in seconds; fast calls are looped.
    check : callable or None, optional
        ``check(ours_output, peer_output)``, called on the outputs of the first calls
        of ours and of each installed peer before anything is timed; it should raise
        (e.g. via :func:`numpy.testing.assert_allclose`) when they disagree.
    note : str, optional
        Free text stored on the result and shown under the table.

    Returns
    -------
    BenchResult
        One row per case, ours first.

    Raises
    ------
    CheckFailed
        If ``check`` raises for some peer; the message names the peer.
    ValueError
        If ``repeats < 1``, ``warmup < 1`` or ``min_time`` is negative or not finite.

    Notes
    -----
    An :class:`ImportError` from a case's setup or first call marks that case
    :data:`NOT_INSTALLED`; its row has no timings and no ratio. Any other exception
    propagates: a benchmark that crashes is a bug, not a missing peer. If ours is not
    installed the peers are still timed, but nothing is checked and no ratio exists.
    """
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1, got {repeats!r}")
    if not isinstance(warmup, int) or warmup < 1:
        raise ValueError(f"warmup must be an int >= 1, got {warmup!r}")
    if not (isinstance(min_time, (int, float)) and math.isfinite(min_time) and min_time >= 0):
        raise ValueError(f"min_time must be a finite number >= 0, got {min_time!r}")

    cases = [ours, *peers]
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise ValueError(f"{title!r}: implementation names must be distinct, got {names}")

    prepared = [_prepare(c) for c in cases]
    mine = prepared[0]
    if check is not None and mine.status == OK:
        for peer in prepared[1:]:
            if peer.status != OK:
                continue
            try:
                check(mine.output, peer.output)
            except Exception as exc:  # any failed assertion or shape error
                raise CheckFailed(
                    f"{title!r}: {peer.case.name!r} disagrees with {mine.case.name!r}, "
                    f"refusing to time them against each other: {exc}"
                ) from exc
    for p in prepared:
        p.output = None  # release memory before timing

    running = [p for p in prepared if p.call is not None]
    for p in running:
        for _ in range(warmup - 1):  # after the check: a call may reuse its output buffer
            p.call()  # type: ignore[misc]
        p.inner = _calibrate(p.call, min_time)  # type: ignore[arg-type]
    for _ in range(repeats):
        for p in running:
            p.samples.append(_time_block(p.call, p.inner) / p.inner)  # type: ignore[arg-type]

    def median_iqr(samples: list[float]) -> tuple[float, float]:
        q25, q50, q75 = np.percentile(samples, [25.0, 50.0, 75.0])
        return float(q50), float(q75 - q25)

    ours_median = median_iqr(mine.samples)[0] if mine.status == OK else None
    rows = []
    for p in prepared:
        if p.status != OK:
            rows.append(Row(p.case.name, None, None, None, None, p.status, p.message, 0, 0, p.setup_s))
            continue
        med, iqr = median_iqr(p.samples)
        ratio = None if ours_median is None else (ours_median / med if med > 0 else math.inf)
        rows.append(Row(p.case.name, med, iqr, p.first_call_s, ratio, OK, "", p.inner, repeats, p.setup_s))
    return BenchResult(title, tuple(rows), note)


# ----------------------------------------------------------------------------- output


def format_duration(seconds: float | None) -> str:
    """Three significant digits with a unit: ``"812 ns"``, ``"1.23 ms"``, ``"2.50 s"``.

    Examples
    --------
    >>> format_duration(0.00123), format_duration(2.5), format_duration(None)
    ('1.23 ms', '2.50 s', '-')
    """
    if seconds is None or not math.isfinite(seconds):
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            break
    else:
        unit, scale = "ns", 1e-9
    v = seconds / scale
    digits = 0 if v >= 100 else 1 if v >= 10 else 2
    return f"{v:.{digits}f} {unit}"


def _format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "n/a"
    if math.isfinite(ratio) and 0.01 <= ratio < 1000:
        return f"{ratio:.2f}"
    return f"{ratio:.2e}"


_HEADERS = ("benchmark", "implementation", "median", "IQR", "first call", "ratio ours/peer")


def format_table(results: Sequence[BenchResult]) -> str:
    """A fixed-width text table of ``results``, one line per implementation.

    Columns: benchmark, implementation, median, IQR, first call, ratio (ours/peer;
    below 1 means ours is faster). Cases that did not run show their status and are
    explained, with each result's note, in footnotes under the table.

    Parameters
    ----------
    results : sequence of BenchResult

    Returns
    -------
    str
        The table, ending without a newline.
    """
    body: list[tuple[str, ...]] = []
    footnotes: list[str] = []
    group_starts: set[int] = set()
    for res in results:
        if body:
            group_starts.add(len(body))
        for i, r in enumerate(res.rows):
            title = res.title if i == 0 else ""
            if r.status == OK:
                body.append(
                    (
                        title,
                        r.name,
                        format_duration(r.median_s),
                        format_duration(r.iqr_s),
                        format_duration(r.first_call_s),
                        _format_ratio(r.ratio_vs_ours),
                    )
                )
            else:
                body.append((title, r.name, r.status, "-", "-", "n/a"))
                footnotes.append(f"{res.title} / {r.name}: {r.status} ({r.message})")
        if res.note:
            footnotes.append(f"{res.title}: {res.note}")
    widths = [len(h) for h in _HEADERS]
    for cells in body:
        widths = [max(w, len(c)) for w, c in zip(widths, cells)]

    def line(cells: Sequence[str]) -> str:
        left = [c.ljust(w) for c, w in zip(cells[:2], widths[:2])]
        right = [c.rjust(w) for c, w in zip(cells[2:], widths[2:])]
        return "  ".join(left + right).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    lines = [line(_HEADERS), rule]
    for k, cells in enumerate(body):
        if k in group_starts:
            lines.append("")
        lines.append(line(cells))
    lines.append(rule)
    lines.append(
        "median, IQR: per call, over the repeats; first call: includes JIT "
        "compilation, not in the median; ratio = ours/peer median (< 1: ours is faster)"
    )
    lines.extend(f"* {f}" for f in footnotes)
    return "\n".join(lines)


# ------------------------------------------------------------------------------- suite


def _parser(prog: str | None, description: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true", help="smaller instances and fewer repeats (a smoke run)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument(
        "--filter",
        metavar="SUBSTRING",
        help="run only comparisons whose title or benchmark name contains SUBSTRING (case-insensitive)",
    )
    parser.add_argument("--repeats", type=int, help="timings per case (default 7, quick 3)")
    parser.add_argument(
        "--min-time",
        type=float,
        help="minimum seconds per timing (default 0.05, quick 0.02)",
    )
    parser.add_argument("--warmup", type=int, default=1, help="calls before timing (default 1)")
    parser.add_argument(
        "--no-record",
        action="store_true",
        help=f"do not write {RESULTS_DIR.name}/<name>.json and .txt (a full run without --filter writes them)",
    )
    return parser


#: Where full runs record their results, one ``<name>.json`` and ``<name>.txt`` per benchmark.
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def results_name(benchmarks: Sequence[Benchmark], prog: str | None) -> str:
    """The short name a suite records under: ``"planning"`` for ``benchmarks.bench_planning``.

    Examples
    --------
    >>> results_name([], "python -m benchmarks.bench_planning")
    'planning'
    """
    source = prog.split()[-1] if prog else getattr(benchmarks[0], "__module__", "suite")
    name = source.rsplit(".", 1)[-1]
    return name.removeprefix("bench_")


def run_suite(
    benchmarks: Sequence[Benchmark],
    argv: Sequence[str] | None = None,
    *,
    prog: str | None = None,
    description: str | None = None,
    packages: Sequence[str] = (),
    out: TextIO | None = None,
) -> int:
    """Command-line entry point shared by the benchmark scripts.

    Parameters
    ----------
    benchmarks : sequence of callables
        Each is called as ``bench(quick)`` and yields :class:`Comparison` objects;
        ``quick`` is True under ``--quick`` and should select smaller instances.
    argv : sequence of str or None
        Command-line arguments (``sys.argv[1:]`` when None): ``--quick``,
        ``--json PATH``, ``--filter SUBSTRING``, ``--repeats N``, ``--min-time S``,
        ``--warmup N``.
    prog, description : str or None
        For ``--help``.
    packages : sequence of str
        Peer distributions whose versions go into the header (see
        :func:`environment_info`).
    out : text stream or None
        Where the header and table go (``sys.stdout`` when None); progress and errors
        go to ``sys.stderr``.

    Returns
    -------
    int
        Exit status: 0 on success, 1 if some comparison raised (e.g.
        :class:`CheckFailed`; the others still run and are reported), 2 if the filter
        matched nothing.
    """
    args = _parser(prog, description).parse_args(argv)
    out = sys.stdout if out is None else out
    repeats = args.repeats if args.repeats is not None else (3 if args.quick else 7)
    min_time = args.min_time if args.min_time is not None else (0.02 if args.quick else 0.05)
    pattern = None if args.filter is None else args.filter.lower()

    record = not (args.quick or args.filter is not None or args.no_record)
    if record:  # keep a copy of everything printed, for the results file
        out = _Tee(out)  # type: ignore[assignment]
    info = environment_info(packages)
    info["load_average_start"] = _load_average()
    print(format_environment(info), file=out)
    print(
        f"# settings: quick={args.quick}, repeats={repeats}, min_time={min_time}s, "
        f"warmup={args.warmup}, filter={args.filter!r}",
        file=out,
        flush=True,
    )

    results: list[BenchResult] = []
    failures: list[dict[str, str]] = []
    matched = 0
    for bench in benchmarks:
        bench_name = getattr(bench, "__name__", repr(bench))
        try:
            for comp in bench(args.quick):
                label = f"{bench_name} {comp.title}".lower()
                if pattern is not None and pattern not in label:
                    continue
                matched += 1
                print(f"running: {comp.title} ...", file=sys.stderr, flush=True)
                t0 = time.perf_counter()
                try:
                    results.append(comp.run(repeats=repeats, warmup=args.warmup, min_time=min_time))
                except Exception as exc:
                    traceback.print_exc(file=sys.stderr)
                    failures.append({"title": comp.title, "error": f"{type(exc).__name__}: {exc}"})
                print(
                    f"         done in {time.perf_counter() - t0:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
        except Exception as exc:  # the benchmark function itself failed
            traceback.print_exc(file=sys.stderr)
            failures.append({"title": bench_name, "error": f"{type(exc).__name__}: {exc}"})

    if matched == 0 and not failures:
        print(f"no comparison matches --filter {args.filter!r}", file=sys.stderr)
        return 2
    print("", file=out)
    print(format_table(results), file=out)
    for f in failures:
        print(f"! FAILED {f['title']}: {f['error']}", file=out)
    out.flush()

    info["load_average_end"] = _load_average()
    print(
        f"# load average (1, 5, 15 min): start {info['load_average_start']}, end {info['load_average_end']}", file=out
    )
    out.flush()
    paths = [] if args.json is None else [Path(args.json)]
    if record:
        name = results_name(benchmarks, prog)
        paths.append(RESULTS_DIR / f"{name}.json")
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (RESULTS_DIR / f"{name}.txt").write_text(cast(_Tee, out).text(), encoding="utf-8")
    for path in paths:
        payload = {
            "environment": info,
            "settings": {
                "quick": args.quick,
                "repeats": repeats,
                "min_time_s": min_time,
                "warmup": args.warmup,
                "filter": args.filter,
            },
            "results": [r.to_dict() for r in results],
            "failures": failures,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2, allow_nan=False, default=_json_default)
            fh.write("\n")
    return 1 if failures else 0


class _Tee:
    """A text stream that also keeps what was written (for the recorded ``.txt``)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def text(self) -> str:
        return "".join(self.parts)


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not available on this platform
        return None


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
