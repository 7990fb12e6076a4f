"""Numba kernels of the tabular planners (private).

Two kernels serve every solver:

* :func:`bellman_sweep` -- one Jacobi Bellman backup, dense or CSR, fused with the
  max/argmax over actions, so ``P`` is streamed exactly once per sweep. With ``A = 1``
  and the rows of a policy it is the policy-evaluation backup of modified policy
  iteration.
* :func:`gauss_seidel_sweep` -- one in-place Gauss-Seidel sweep, dense or CSR.

Indices are unsigned (callers pass ``indices.view(np.uint32)`` and loop bounds are
cast to ``uint64``): with signed indices Numba guards every ``V[indices[k]]`` against
negative wrap-around, which made the CSR sweep about 2x slower than scipy's C++ matvec.

Serial by default. :func:`bellman_sweep_parallel` splits the states across Numba's
threads (``numba.set_num_threads``) for callers who ask for it (``parallel=True``): on
an idle 2-core machine it halves a sparse sweep, but it is many times slower when
the cores are busy with other work (see ``benchmarks/bench_planning.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["bellman_sweep", "bellman_sweep_parallel", "gauss_seidel_sweep"]


@njit(cache=True, fastmath={"reassoc", "contract"})
def bellman_sweep(data, indices, indptr, n_cols, R, gamma, V, Q, V_new, pi):  # pragma: no cover - compiled
    """One Jacobi backup fused with the max over actions; ``P`` is streamed once.

    ``Q[s, a] = R[s, a] + gamma * P[s*A + a] . V``, ``V_new = max_a Q``,
    ``pi = argmax_a Q`` (ties to the lowest action). Rows of ``P`` are dense when
    ``indptr`` is empty (row ``r`` is ``data[r*n_cols:(r+1)*n_cols]``), CSR otherwise.
    ``R``, ``Q`` have shape (S, A). ``reassoc`` lets the dot products vectorise; the
    result is deterministic for given inputs.
    """
    S, A = R.shape
    dense = indptr.shape[0] == 0
    for s in range(S):
        best = -np.inf
        arg = 0
        for a in range(A):
            r = s * A + a
            acc = 0.0
            if dense:
                base = np.uint64(r * n_cols)
                for j in range(np.uint64(n_cols)):
                    acc += data[base + j] * V[j]
            else:
                for k in range(np.uint64(indptr[r]), np.uint64(indptr[r + 1])):
                    acc += data[k] * V[indices[k]]
            q = R[s, a] + gamma * acc
            Q[s, a] = q
            if q > best:
                best = q
                arg = a
        V_new[s] = best
        pi[s] = arg


@njit(cache=True, parallel=True, fastmath={"reassoc", "contract"})
def bellman_sweep_parallel(data, indices, indptr, n_cols, R, gamma, V, Q, V_new, pi):  # pragma: no cover - compiled
    """:func:`bellman_sweep` with the states split across Numba's threads (opt-in)."""
    S, A = R.shape
    dense = indptr.shape[0] == 0
    for s in prange(S):
        best = -np.inf
        arg = 0
        for a in range(A):
            r = s * A + a
            acc = 0.0
            if dense:
                base = np.uint64(r * n_cols)
                for j in range(np.uint64(n_cols)):
                    acc += data[base + j] * V[j]
            else:
                for k in range(np.uint64(indptr[r]), np.uint64(indptr[r + 1])):
                    acc += data[k] * V[indices[k]]
            q = R[s, a] + gamma * acc
            Q[s, a] = q
            if q > best:
                best = q
                arg = a
        V_new[s] = best
        pi[s] = arg


@njit(cache=True, fastmath={"reassoc", "contract"})
def gauss_seidel_sweep(data, indices, indptr, n_cols, R, gamma, V):  # pragma: no cover - compiled
    """One in-place Gauss-Seidel sweep ``V[s] <- max_a R[s, a] + gamma P[s, a] . V``.

    Dense rows when ``indptr`` is empty (row ``r`` is ``data[r*n_cols:(r+1)*n_cols]``),
    CSR rows otherwise. States are swept in increasing order and each update is used
    at once by the states after it. Returns the sup-norm of the change.
    """
    S, A = R.shape
    dense = indptr.shape[0] == 0
    change = 0.0
    for s in range(S):
        best = -np.inf
        for a in range(A):
            r = s * A + a
            acc = 0.0
            if dense:
                base = np.uint64(r * n_cols)
                for j in range(np.uint64(n_cols)):
                    acc += data[base + j] * V[j]
            else:
                for k in range(np.uint64(indptr[r]), np.uint64(indptr[r + 1])):
                    acc += data[k] * V[indices[k]]
            q = R[s, a] + gamma * acc
            if q > best:
                best = q
        d = abs(best - V[s])
        if d > change:
            change = d
        V[s] = best
    return change
