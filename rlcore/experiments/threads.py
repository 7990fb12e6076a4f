"""Thread hygiene for parallel sweeps: one (or a few) threads per run.

A sweep on ``n`` workers whose runs each start a BLAS, OpenMP, Numba or torch thread
pool of ``n_cores`` threads puts ``n * n_cores`` threads on ``n_cores`` cores: the
runs then fight for the cores and the sweep gets *slower* with more workers. Each
worker should run its runs on ``cores / workers`` threads, usually one.

:func:`limit_threads` sets the limit in the current process, as far as each library
still allows:

* the environment variables :data:`THREAD_ENV_VARS` (read by OpenMP, OpenBLAS, MKL,
  BLIS, Accelerate, numexpr and Numba when they *start*, so they matter for libraries
  imported afterwards; ``NUMBA_NUM_THREADS`` is left alone once Numba is imported,
  since Numba refuses a change of it after its threads are launched);
* the thread pools already loaded, through :mod:`threadpoolctl` when it is installed;
* Numba's and torch's runtime settings (:func:`numba.set_num_threads`,
  ``torch.set_num_threads``), when these libraries are already imported. torch is
  never imported here.

Worker processes of :func:`~rlcore.experiments.run_sweep` (loky and Ray backends)
call it before their first run (loky also starts its workers with the environment
variables set, before any import); the serial backend applies it around the sweep and
restores the previous settings afterwards. The same number of threads in every
backend is also what makes the records bit-identical: a threaded BLAS or a parallel
reduction may sum in a different order with a different thread count.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rlcore.validation import Integer, validate_params

__all__ = ["THREAD_ENV_VARS", "ThreadLimits", "limit_threads"]

#: Most threads per pool :func:`limit_threads` sets.
MAX_THREADS: int = 10**4

#: Environment variables that cap the thread pools of OpenMP, OpenBLAS, MKL, BLIS,
#: Apple Accelerate, Numba and numexpr when those start.
THREAD_ENV_VARS: tuple[str, ...] = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


@validate_params(n_threads=Integer(1, MAX_THREADS))
class ThreadLimits:
    """Thread limits in force in this process; returned by :func:`limit_threads`.

    Use it as a context manager, or call :meth:`restore`, to put the previous
    settings back.

    Attributes
    ----------
    n_threads : int
        The limit that was applied.
    """

    def __init__(self, n_threads: int) -> None:
        self.n_threads = n_threads
        self._env: dict[str, str | None] = {}
        self._threadpool: Any = None
        self._numba: int | None = None
        self._torch: int | None = None
        self._restored = False

    def _apply(self) -> None:
        n = self.n_threads
        numba_loaded = "numba" in sys.modules
        for var in THREAD_ENV_VARS:
            if var == "NUMBA_NUM_THREADS" and numba_loaded:
                continue
            self._env[var] = os.environ.get(var)
            os.environ[var] = str(n)
        if numba_loaded:  # first: launching Numba's threading layer may load an OpenMP runtime
            numba = sys.modules["numba"]
            self._numba = numba.get_num_threads()
            numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
        torch = sys.modules.get("torch")
        if torch is not None and hasattr(torch, "set_num_threads"):
            self._torch = torch.get_num_threads()
            torch.set_num_threads(n)
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # optional: the env variables and runtime calls above still apply
            pass
        else:
            self._threadpool = threadpool_limits(limits=n)

    def restore(self) -> None:
        """Put back the settings that were in force before :func:`limit_threads`."""
        if self._restored:
            return
        self._restored = True
        for var, old in self._env.items():
            if old is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = old
        if self._threadpool is not None:
            self._threadpool.restore_original_limits()
        if self._torch is not None:
            sys.modules["torch"].set_num_threads(self._torch)
        if self._numba is not None:
            sys.modules["numba"].set_num_threads(self._numba)

    def __enter__(self) -> ThreadLimits:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()

    def __repr__(self) -> str:
        return f"ThreadLimits(n_threads={self.n_threads})"


@validate_params(n_threads=Integer(1, MAX_THREADS))
def limit_threads(n_threads: int = 1) -> ThreadLimits:
    """Cap the thread pools of BLAS, OpenMP, Numba and torch in this process.

    Parameters
    ----------
    n_threads : int in [1, 10**4], default 1
        Threads per pool.

    Returns
    -------
    ThreadLimits
        Already in force; a context manager that restores the previous settings on
        exit (or call :meth:`ThreadLimits.restore`).

    Examples
    --------
    >>> import os
    >>> with limit_threads(1):
    ...     os.environ["OMP_NUM_THREADS"]
    '1'
    """
    limits = ThreadLimits(n_threads)
    limits._apply()
    return limits


_worker_limit: int | None = None


def _ensure_worker_limit(n_threads: int) -> None:
    """In a worker process: apply ``n_threads`` once, then re-check the thread-local
    runtime settings (Numba's is per thread) before each run. Never restored."""
    global _worker_limit
    if _worker_limit != n_threads:
        limit_threads(n_threads)
        _worker_limit = n_threads
        return
    numba = sys.modules.get("numba")
    if numba is not None and numba.get_num_threads() != min(n_threads, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(min(n_threads, numba.config.NUMBA_NUM_THREADS))
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "get_num_threads") and torch.get_num_threads() != n_threads:
        torch.set_num_threads(n_threads)
