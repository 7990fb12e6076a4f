"""Private helpers of the stopping modules."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

__all__ = ["single_thread_blas"]


def single_thread_blas() -> AbstractContextManager[Any]:
    """Limit BLAS/LAPACK to one thread for the duration of a ``with`` block.

    The regressions of LSMC and fitted-Q are many small least-squares problems
    (thousands of rows, tens of columns); a threaded BLAS only adds synchronisation to
    them, and on a loaded two-core machine OpenBLAS's threaded ``gelsd`` was measured
    up to 100x slower than its single-threaded run. The previous limits are restored
    on exit.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")
