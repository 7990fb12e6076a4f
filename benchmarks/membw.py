"""Memory-bandwidth probe: how fast this machine streams arrays through memory.

Many kernels in this library (a dense Bellman backup reads S*A*S doubles of ``P`` per
sweep) are limited by memory bandwidth, not arithmetic. To say whether such a kernel is
good, a benchmark compares its *achieved* bandwidth with what the machine can do at all,
measured here in the manner of McCalpin's STREAM benchmark:

* **copy**  ``a[i] = b[i]``            counted as 2 arrays moved (16 bytes per element);
* **triad** ``a[i] = b[i] + s * c[i]`` counted as 3 arrays moved (24 bytes per element);

over arrays much larger than the last-level cache (default ``2**25`` float64 = 256 MiB
each), in NumPy and in a serial Numba kernel. As in STREAM, write-allocate traffic is
not counted, and the reported rate is the best over the repeats (the median is shown
too). NumPy's triad takes two passes (``a = s*c; a += b``), so its rate, counted the
STREAM way, shows what the extra temporaries of array code cost.

Run ``python -m benchmarks.membw`` (``--quick`` for small arrays). Other benchmarks use
:func:`measure_bandwidth` and :func:`achieved_fraction` to report "this kernel streams
at X% of the measured bandwidth".

References
----------
J. D. McCalpin, "Memory bandwidth and machine balance in current high performance
computers", IEEE TCCA Newsletter, 1995. https://www.cs.virginia.edu/stream/

Examples
--------
>>> res = measure_bandwidth(2**12, repeats=2)
>>> res.peak_gbs > 0
True
>>> achieved_fraction(bytes_moved=10**9, seconds=0.5, peak_gbs=4.0)
0.5
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

from benchmarks.environment import environment_info, format_environment

__all__ = [
    "DEFAULT_N",
    "QUICK_N",
    "BandwidthResult",
    "BandwidthRow",
    "achieved_fraction",
    "bandwidth_gbs",
    "format_bandwidth",
    "last_level_cache_bytes",
    "main",
    "measure_bandwidth",
]

DEFAULT_N = 2**25
"""Default array length: 2**25 float64 = 256 MiB per array, 768 MiB in all."""

QUICK_N = 2**22
"""Array length under ``--quick``: 32 MiB per array."""

_SCALAR = 3.0
_BYTES = np.dtype(np.float64).itemsize


@njit(cache=True)
def _copy_kernel(dst, src):  # pragma: no cover - compiled
    """STREAM copy, serial: ``dst[i] = src[i]``."""
    for i in range(src.shape[0]):
        dst[i] = src[i]


@njit(cache=True)
def _triad_kernel(dst, b, c, s):  # pragma: no cover - compiled
    """STREAM triad, serial: ``dst[i] = b[i] + s * c[i]``."""
    for i in range(dst.shape[0]):
        dst[i] = b[i] + s * c[i]


def bandwidth_gbs(bytes_moved: int, seconds: float) -> float:
    """Bandwidth in GB/s (10**9 bytes per second, as STREAM counts).

    Examples
    --------
    >>> bandwidth_gbs(3 * 10**9, 1.5)
    2.0
    """
    if not (isinstance(bytes_moved, (int, np.integer)) and bytes_moved >= 0):
        raise ValueError(f"bytes_moved must be an int >= 0, got {bytes_moved!r}")
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"seconds must be finite and > 0, got {seconds!r}")
    return float(bytes_moved) / seconds / 1e9


def achieved_fraction(bytes_moved: int, seconds: float, peak_gbs: float) -> float:
    """Fraction of the measured peak bandwidth that a memory-streaming kernel achieved.

    Parameters
    ----------
    bytes_moved : int
        Bytes the kernel must move at least once, counted as STREAM does (each array
        read or written once, no write-allocate), e.g. ``8 * S * A * S`` for a dense
        Bellman backup that reads ``P`` once.
    seconds : float
        Time of one kernel call, e.g. the median from :func:`benchmarks.harness.compare`.
    peak_gbs : float
        Reference bandwidth in GB/s, e.g. :attr:`BandwidthResult.peak_gbs`.

    Returns
    -------
    float
        ``bytes_moved / seconds / 1e9 / peak_gbs``. Around 1 for a kernel that streams
        at memory speed; above 1 when the data fit in cache (then the comparison with
        a memory bandwidth is moot).

    Raises
    ------
    ValueError
        If ``bytes_moved`` is negative or ``seconds`` or ``peak_gbs`` is not a finite
        positive number.

    Examples
    --------
    A dense backup reading P of an S=800, A=4 MDP (20.5 MB) in 2 ms, on a machine
    measured at 20.48 GB/s:

    >>> round(achieved_fraction(8 * 800 * 4 * 800, 2e-3, peak_gbs=20.48), 3)
    0.5
    """
    if not (math.isfinite(peak_gbs) and peak_gbs > 0):
        raise ValueError(f"peak_gbs must be finite and > 0, got {peak_gbs!r}")
    return bandwidth_gbs(bytes_moved, seconds) / peak_gbs


@dataclass(frozen=True)
class BandwidthRow:
    """One kernel in one implementation.

    Attributes
    ----------
    kernel : str
        ``"copy"`` or ``"triad"``.
    implementation : str
        ``"numpy"`` or ``"numba (serial)"``.
    bytes_per_call : int
        Bytes counted per call, STREAM style.
    best_gbs, median_gbs : float
        Rate of the fastest and of the median call, GB/s.
    best_s, median_s : float
        The corresponding times, seconds.
    """

    kernel: str
    implementation: str
    bytes_per_call: int
    best_gbs: float
    median_gbs: float
    best_s: float
    median_s: float


@dataclass(frozen=True)
class BandwidthResult:
    """Outcome of :func:`measure_bandwidth`.

    Attributes
    ----------
    n : int
        Array length (float64).
    repeats : int
        Timed calls per kernel.
    rows : tuple of BandwidthRow
    llc_bytes : int or None
        Size of the last-level cache as the OS reports it (None if unknown).
    """

    n: int
    repeats: int
    rows: tuple[BandwidthRow, ...]
    llc_bytes: int | None = None

    @property
    def array_bytes(self) -> int:
        """Bytes per array."""
        return self.n * _BYTES

    @property
    def peak_gbs(self) -> float:
        """The highest best-of-repeats rate over all kernels: the reference for
        :func:`achieved_fraction`."""
        return max(r.best_gbs for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "n": self.n,
            "array_bytes": self.array_bytes,
            "repeats": self.repeats,
            "llc_bytes": self.llc_bytes,
            "peak_gbs": self.peak_gbs,
            "rows": [asdict(r) for r in self.rows],
        }


def last_level_cache_bytes() -> int | None:
    """Size of the largest cache level of CPU 0 from Linux sysfs, or None if unknown.

    On virtual machines this is often the host's whole shared L3, an upper bound on
    what the guest can use.
    """
    base = Path("/sys/devices/system/cpu/cpu0/cache")
    best: tuple[int, int] | None = None
    try:
        for idx in base.glob("index*"):
            level = int((idx / "level").read_text().strip())
            text = (idx / "size").read_text().strip().upper()
            mult = {"K": 1024, "M": 1024**2, "G": 1024**3}.get(text[-1:], 1)
            size = int(text.rstrip("KMG")) * mult
            if best is None or (level, size) > best:
                best = (level, size)
    except (OSError, ValueError):
        return None
    return None if best is None else best[1]


def _numpy_triad(dst: np.ndarray, b: np.ndarray, c: np.ndarray, s: float) -> None:
    np.multiply(c, s, out=dst)
    np.add(dst, b, out=dst)


def measure_bandwidth(n: int = DEFAULT_N, *, repeats: int = 10) -> BandwidthResult:
    """Measure STREAM copy and triad bandwidth in NumPy and serial Numba.

    Parameters
    ----------
    n : int, default ``2**25``
        Length of each of the three float64 arrays. For a memory (not cache)
        measurement each array should be several times the last-level cache.
    repeats : int, default 10
        Timed calls per kernel after one untimed warm-up call (which compiles the
        Numba kernels or loads them from cache, and touches every page). The kernels
        are interleaved within each repeat, as in STREAM.

    Returns
    -------
    BandwidthResult

    Raises
    ------
    ValueError
        If ``n < 1`` or ``repeats < 1``.
    RuntimeError
        If a kernel computed a wrong result (the timings would be meaningless).
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1, got {repeats!r}")
    n = int(n)
    a = np.full(n, 1.0)
    b = np.full(n, 2.0)
    c = np.full(n, 0.5)
    s = _SCALAR
    copy_bytes = 2 * n * _BYTES
    triad_bytes = 3 * n * _BYTES
    kernels = (
        ("copy", "numpy", copy_bytes, lambda: np.copyto(a, b)),
        ("copy", "numba (serial)", copy_bytes, lambda: _copy_kernel(a, b)),
        ("triad", "numpy", triad_bytes, lambda: _numpy_triad(a, b, c, s)),
        ("triad", "numba (serial)", triad_bytes, lambda: _triad_kernel(a, b, c, s)),
    )
    for *_, call in kernels:
        call()  # compile / first touch
    times: list[list[float]] = [[] for _ in kernels]
    for _ in range(repeats):
        for k, (*_, call) in enumerate(kernels):
            t0 = time.perf_counter()
            call()
            times[k].append(time.perf_counter() - t0)
    expected = 2.0 + s * 0.5
    if not (a[0] == expected and a[-1] == expected and a[n // 2] == expected):
        raise RuntimeError("bandwidth probe: the triad kernel computed a wrong result")
    rows = []
    for (kernel, impl, nbytes, _), ts in zip(kernels, times):
        best = min(ts)
        med = float(np.median(ts))
        rows.append(
            BandwidthRow(
                kernel,
                impl,
                nbytes,
                bandwidth_gbs(nbytes, best) if best > 0 else math.inf,
                bandwidth_gbs(nbytes, med) if med > 0 else math.inf,
                best,
                med,
            )
        )
    return BandwidthResult(n, int(repeats), tuple(rows), last_level_cache_bytes())


def format_bandwidth(result: BandwidthResult) -> str:
    """A fixed-width table of a :class:`BandwidthResult`, with a cache-size caveat."""
    mib = result.array_bytes / 2**20
    lines = [
        f"STREAM-style bandwidth: 3 arrays x {result.n} float64 ({mib:.1f} MiB each), "
        f"best and median of {result.repeats} calls; GB = 1e9 bytes",
        f"{'kernel':<7} {'implementation':<15} {'bytes/call':>12} {'best GB/s':>10} "
        f"{'median GB/s':>12} {'median time':>12}",
    ]
    for r in result.rows:
        lines.append(
            f"{r.kernel:<7} {r.implementation:<15} {r.bytes_per_call:>12d} "
            f"{r.best_gbs:>10.2f} {r.median_gbs:>12.2f} {r.median_s * 1e3:>9.2f} ms"
        )
    lines.append(f"peak (reference for achieved_fraction): {result.peak_gbs:.2f} GB/s")
    if result.llc_bytes is not None:
        llc_mib = result.llc_bytes / 2**20
        lines.append(f"last-level cache reported by the OS: {llc_mib:.1f} MiB")
        if result.array_bytes < 4 * result.llc_bytes:
            lines.append(
                "note: STREAM asks each array to be >= 4x the last-level cache "
                f"({4 * llc_mib:.0f} MiB); with smaller arrays part of the traffic may hit "
                "the cache (on a VM the reported size is often the host's whole L3). "
                "Use --n to enlarge."
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m benchmarks.membw [--quick] [--n N] [--repeats R]
    [--json PATH]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.membw", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"arrays of {QUICK_N} float64, 5 repeats")
    parser.add_argument("--n", type=int, help=f"array length (default {DEFAULT_N})")
    parser.add_argument("--repeats", type=int, help="timed calls per kernel (default 10)")
    parser.add_argument("--json", metavar="PATH", help="also write the result as JSON")
    args = parser.parse_args(argv)
    n = args.n if args.n is not None else (QUICK_N if args.quick else DEFAULT_N)
    repeats = args.repeats if args.repeats is not None else (5 if args.quick else 10)
    info = environment_info()
    print(format_environment(info))
    result = measure_bandwidth(n, repeats=repeats)
    print(format_bandwidth(result))
    if args.json is not None:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"environment": info, "bandwidth": result.to_dict()}, fh, indent=2)
            fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
