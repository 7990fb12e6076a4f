"""Numba kernels of :mod:`rlcore` (private).

Kernels take plain arrays and scalars and never draw random numbers: the Python layer
draws uniforms from the caller's generator and passes them in, so a seed determines the
result whichever path runs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["sample_rows"]


@njit(cache=True)
def sample_rows(cdf, indptr, indices, row_len, rows, u):  # pragma: no cover - compiled
    """Inverse-CDF sampling of one categorical draw per requested row.

    Rows are stored either densely (``indptr`` empty: row ``r`` is
    ``cdf[r*row_len:(r+1)*row_len]`` and the outcome is the offset in the row) or in CSR
    form (row ``r`` is ``cdf[indptr[r]:indptr[r+1]]`` and the outcome is
    ``indices[k]``). Each row's CDF must end at exactly 1.0 and ``0 <= u < 1``; the draw
    is the first entry whose CDF exceeds ``u`` (so zero-probability entries are never
    drawn).
    """
    n = rows.shape[0]
    out = np.empty(n, np.int64)
    dense = indptr.shape[0] == 0
    for i in range(n):
        r = rows[i]
        if dense:
            lo = r * row_len
            hi = lo + row_len
        else:
            lo = indptr[r]
            hi = indptr[r + 1]
        a = lo
        b = hi - 1
        x = u[i]
        while a < b:
            m = (a + b) // 2
            if cdf[m] > x:
                b = m
            else:
                a = m + 1
        if dense:
            out[i] = a - lo
        else:
            out[i] = indices[a]
    return out
