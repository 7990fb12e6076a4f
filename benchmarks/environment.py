"""The environment a benchmark ran in: versions, CPUs, thread limits.

Recorded in the header of every benchmark report (and its JSON) because timings of
numerical code depend on them: the BLAS and its thread count decide a linear solve, the
Numba thread count a parallel kernel, and the number of usable cores everything.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["NOT_INSTALLED", "THREAD_ENV_VARS", "environment_info", "format_environment"]

NOT_INSTALLED = "not installed"
"""Version of a distribution that is not installed; status of a case whose setup or
first call raised :class:`ImportError` (see :mod:`benchmarks.harness`)."""

THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
)
"""Environment variables that limit thread pools; recorded in every report."""

_DEFAULT_PACKAGES = ("numpy", "scipy", "numba")


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return NOT_INSTALLED


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _numpy_blas() -> str | None:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]  # numpy >= 1.25
        return f"{blas.get('name')} {blas.get('version')}".strip()
    except Exception:  # older numpy or a changed layout: informational only
        return None


def _threadpools() -> list[dict[str, Any]] | None:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    keep = ("user_api", "internal_api", "prefix", "version", "num_threads", "threading_layer")
    return [{k: d.get(k) for k in keep if k in d} for d in threadpool_info()]


def _git_revision() -> str | None:
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


def environment_info(packages: Sequence[str] = ()) -> dict[str, Any]:
    """What a reader needs to interpret the timings.

    Parameters
    ----------
    packages : sequence of str, optional
        Distribution names (as on PyPI, e.g. ``"pymdptoolbox"``) whose versions to
        record in addition to numpy, scipy and numba.

    Returns
    -------
    dict
        Python and package versions, CPU model and counts, numpy's BLAS, Numba's thread
        count, the thread-limit environment variables (None when unset), the output of
        ``threadpoolctl.threadpool_info()`` (None when threadpoolctl is not
        installed), the git revision and a UTC timestamp. JSON-serialisable.
    """
    try:
        import numba

        numba_threads: int | None = int(numba.config.NUMBA_NUM_THREADS)
    except ImportError:
        numba_threads = None
    try:
        usable: int | None = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = None
    dists = list(dict.fromkeys([*_DEFAULT_PACKAGES, *packages]))
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "packages": {d: _version(d) for d in dists},
        "numpy_blas": _numpy_blas(),
        "numba_num_threads": numba_threads,
        "thread_env": {v: os.environ.get(v) for v in THREAD_ENV_VARS},
        "threadpools": _threadpools(),
        "git_revision": _git_revision(),
        "timestamp_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def format_environment(info: Mapping[str, Any]) -> str:
    """The header printed above every benchmark table: ``info`` as ``# key: value`` lines."""
    pk = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    env = ", ".join(f"{k}={'unset' if v is None else v}" for k, v in info["thread_env"].items())
    lines = [
        f"# python: {info['python']} on {info['platform']}",
        f"# cpu: {info['cpu_model']}; os.cpu_count()={info['cpu_count']}, usable={info['cpus_usable']}",
        f"# packages: {pk}",
        f"# numpy BLAS: {info['numpy_blas']}; numba threads: {info['numba_num_threads']}",
        f"# thread env: {env}",
    ]
    pools = info.get("threadpools")
    if pools is None:
        lines.append("# threadpoolctl: not installed")
    else:
        for p in pools:
            lines.append(
                "# threadpool: "
                + ", ".join(f"{k}={v}" for k, v in p.items() if k != "prefix")
                + f" ({p.get('prefix')})"
            )
    lines.append(f"# git: {info['git_revision']}; at {info['timestamp_utc']}")
    return "\n".join(lines)
