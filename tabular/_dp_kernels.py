"""Numba kernels of the tabular planners (private).

Two kernels serve every solver:

* :func:`bellman_sweep` -- one Jacobi Bellman backup, dense or CSR, fused with the
  max/argmax over actions, so ``P`` is streamed exactly once per sweep. With ``A = 1``
  and the rows of a policy it is the policy-evaluation backup of modified policy
  iteration.
* :func:`gauss_seidel_sweep` -- one in-place Gauss-Seidel sweep, dense or CSR.

Indices are unsigned (callers pass ``indices.view(np.uint32)``, or the ``uint16`` copy
that :mod:`tabular._sweep_layout` keeps for models of at most 65,536 states, and loop
bounds are cast to ``uint64``): with signed indices Numba guards every
``V[indices[k]]`` against negative wrap-around, which made the CSR sweep about 2x slower
than scipy's C++ matvec.

**Four partial sums per CSR row.** A Garnet row holds about 10 entries; summed into one
accumulator, each multiply-add waits for the previous one (4 cycles on Zen 4), and the
sweep was bound by that chain as much as by the gathers. The CSR kernels sum entry
``lo + i`` of a row into partial sum ``i mod 4`` and return ``(s0 + s1) + (s2 + s3)``,
with ``fastmath`` limited to ``contract`` (fused multiply-adds), so the order is explicit,
the same in every kernel, and the serial and threaded sweeps give bit-identical answers.
The three kernels spell the row loop out rather than call a shared helper: the helper,
even with ``inline="always"``, gave the same bits but made the sweep 2.2x slower
(1.95 ms to 4.37 ms at ``S = 50,000``, 20.0 ms to 32.7 ms at ``S = 300,000``, best of 15).
At ``S = 50,000``, ``A = 4``, ``b = 10`` this took a sweep from 2.62 ms to 2.20 ms (best of
30 on the development machine, both on ``uint16`` indices). Dense rows keep a
``reassoc`` dot product (:func:`_dense_dot`) that LLVM vectorises.
:mod:`tabular.certify` allows ``(n + 4) eps`` relative rounding per entry of ``Q``, which
holds for any summation order and fused multiply-adds
(``tests/tabular/test_sweep_layout.py`` checks it in exact arithmetic).

**Software prefetch of the gathers.** A CSR sweep streams ``data`` and ``indices`` in
order (the hardware prefetcher keeps up with that) but reads ``V[indices[k]]`` at
random: once ``V`` outgrows the L2 cache every gather waits on the L3 cache or memory,
and the out-of-order window holds only a few dozen of them in flight. Before the rows
of state ``s`` are summed, the kernels therefore issue a prefetch (``llvm.prefetch``
into L2, a hint that changes no result) for the ``V`` entries the sweep will gather
:data:`PREFETCH_AHEAD` stored entries later, on models of at least
:data:`PREFETCH_MIN_STATES` states. On the 2-core AMD EPYC (Zen 4) development machine
this cut a Garnet sweep at ``S = 10**6``, ``A = 4``, ``b = 10`` to a third or less
(best of 8 under load: 151 ms against 412-442 ms); a prefetch into L1 (``locality=3``)
gave nothing. ``benchmarks/bench_sweeps.py`` (``--filter bellman``) reports the sweep
against QuantEcon, scipy and a read-bound, a gather-bound and a read+gather floor
measured on the same arrays.

Serial by default. :func:`bellman_sweep_parallel` splits the states across Numba's
threads (``numba.set_num_threads``); :func:`tabular.certify.sweep_kernel` hands it to
callers who ask for ``parallel=True`` only while a core is idle: on an idle 2-core
machine it halves a sparse sweep (earlier measurement), with the other core busy (load
average 5-9) it took 2-7x the serial time at ``S = 50,000`` and 0.8-1.1x at ``S = 10**6``.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

__all__ = ["PREFETCH_AHEAD", "PREFETCH_MIN_STATES", "bellman_sweep", "bellman_sweep_parallel", "gauss_seidel_sweep"]

PREFETCH_AHEAD = 256
"""How many stored entries ahead of the row being summed the CSR kernels prefetch
``V[indices[k]]``: far enough that the line arrives from memory before it is read
(about 1 microsecond of sweep at 10**6 states), near enough that it is still cached.
Measured on the development machine at ``S = 10**6``: 128 to 512 were alike, 40 gained
less."""

PREFETCH_MIN_STATES = 2**18
"""The CSR kernels prefetch only when ``V`` has at least this many states (2 MiB of
float64): while ``V`` fits in the L2 cache the gathers hit it anyway and the extra
instructions cost about 10-20% (measured at ``S = 50,000``; at ``10**5`` it was still a
loss); the gain started between ``2 * 10**5`` and ``4 * 10**5`` states on the
development machine (1 MiB of L2 per core)."""

_FASTMATH = {"contract"}


@intrinsic
def _prefetch(typingctx, arr, idx):  # pragma: no cover - compiled
    """``llvm.prefetch`` of ``arr[idx]`` for reading, into L2 (``locality=2``; a hint:
    no fault on any address, no effect on results)."""
    if not (isinstance(arr, types.Array) and isinstance(idx, types.Integer)):
        return None
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = builder.module.declare_intrinsic(
            "llvm.prefetch", fnty=ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        )
        i64 = ir.IntType(64)
        idx = args[1]
        if idx.type.width < 64:  # widen as the index type says: uint16/uint32 indices zero-extend
            idx = builder.sext(idx, i64) if signature.args[1].signed else builder.zext(idx, i64)
        ptr = builder.bitcast(builder.gep(ary.data, [idx]), i8p)
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 2), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(fastmath={"reassoc", "contract"})
def _dense_dot(data, base, n, V):  # pragma: no cover - compiled
    """``data[base:base + n] . V`` for a dense row; ``reassoc`` lets LLVM vectorise it
    (a call per row is nothing next to ``n = S`` multiply-adds)."""
    acc = 0.0
    for j in range(n):
        acc += data[base + j] * V[j]
    return acc


@njit(cache=True, fastmath=_FASTMATH)
def bellman_sweep(data, indices, indptr, n_cols, R, gamma, V, Q, V_new, pi):  # pragma: no cover - compiled
    """One Jacobi backup fused with the max over actions; ``P`` is streamed once.

    ``Q[s, a] = R[s, a] + gamma * P[s*A + a] . V``, ``V_new = max_a Q``,
    ``pi = argmax_a Q`` (ties to the lowest action). Rows of ``P`` are dense when
    ``indptr`` is empty (row ``r`` is ``data[r*n_cols:(r+1)*n_cols]``), CSR otherwise
    (summed in four partial sums, the gathers of later states prefetched on large
    models; see the module docstring). ``R``, ``Q`` have shape (S, A). The result is
    deterministic for given inputs.
    """
    S, A = R.shape
    dense = indptr.shape[0] == 0
    nnz = np.uint64(indices.shape[0])
    ahead = np.uint64(PREFETCH_AHEAD)
    one, two, three, four = np.uint64(1), np.uint64(2), np.uint64(3), np.uint64(4)
    prefetch = not dense and V.shape[0] >= PREFETCH_MIN_STATES
    for s in range(S):
        if prefetch:
            for k in range(np.uint64(indptr[s * A]) + ahead, min(np.uint64(indptr[s * A + A]) + ahead, nnz)):
                _prefetch(V, indices[k])
        best = -np.inf
        arg = 0
        for a in range(A):
            r = s * A + a
            if dense:
                acc = _dense_dot(data, np.uint64(r * n_cols), np.uint64(n_cols), V)
            else:  # four partial sums: entry lo + i goes to sum i % 4 (module docstring)
                lo = np.uint64(indptr[r])
                hi = np.uint64(indptr[r + 1])
                s0 = 0.0
                s1 = 0.0
                s2 = 0.0
                s3 = 0.0
                k = lo
                while k + three < hi:
                    s0 += data[k] * V[indices[k]]
                    s1 += data[k + one] * V[indices[k + one]]
                    s2 += data[k + two] * V[indices[k + two]]
                    s3 += data[k + three] * V[indices[k + three]]
                    k += four
                if k < hi:
                    s0 += data[k] * V[indices[k]]
                if k + one < hi:
                    s1 += data[k + one] * V[indices[k + one]]
                if k + two < hi:
                    s2 += data[k + two] * V[indices[k + two]]
                acc = (s0 + s1) + (s2 + s3)
            q = R[s, a] + gamma * acc
            Q[s, a] = q
            if q > best:
                best = q
                arg = a
        V_new[s] = best
        pi[s] = arg


@njit(cache=True, parallel=True, fastmath=_FASTMATH)
def bellman_sweep_parallel(data, indices, indptr, n_cols, R, gamma, V, Q, V_new, pi):  # pragma: no cover - compiled
    """:func:`bellman_sweep` with the states split across Numba's threads (opt-in);
    each state's arithmetic is the serial kernel's, so the results are bit-identical."""
    S, A = R.shape
    dense = indptr.shape[0] == 0
    nnz = np.uint64(indices.shape[0])
    ahead = np.uint64(PREFETCH_AHEAD)
    one, two, three, four = np.uint64(1), np.uint64(2), np.uint64(3), np.uint64(4)
    prefetch = not dense and V.shape[0] >= PREFETCH_MIN_STATES
    for s in prange(S):
        if prefetch:
            for k in range(np.uint64(indptr[s * A]) + ahead, min(np.uint64(indptr[s * A + A]) + ahead, nnz)):
                _prefetch(V, indices[k])
        best = -np.inf
        arg = 0
        for a in range(A):
            r = s * A + a
            if dense:
                acc = _dense_dot(data, np.uint64(r * n_cols), np.uint64(n_cols), V)
            else:  # four partial sums: entry lo + i goes to sum i % 4 (module docstring)
                lo = np.uint64(indptr[r])
                hi = np.uint64(indptr[r + 1])
                s0 = 0.0
                s1 = 0.0
                s2 = 0.0
                s3 = 0.0
                k = lo
                while k + three < hi:
                    s0 += data[k] * V[indices[k]]
                    s1 += data[k + one] * V[indices[k + one]]
                    s2 += data[k + two] * V[indices[k + two]]
                    s3 += data[k + three] * V[indices[k + three]]
                    k += four
                if k < hi:
                    s0 += data[k] * V[indices[k]]
                if k + one < hi:
                    s1 += data[k + one] * V[indices[k + one]]
                if k + two < hi:
                    s2 += data[k + two] * V[indices[k + two]]
                acc = (s0 + s1) + (s2 + s3)
            q = R[s, a] + gamma * acc
            Q[s, a] = q
            if q > best:
                best = q
                arg = a
        V_new[s] = best
        pi[s] = arg


@njit(cache=True, fastmath=_FASTMATH)
def gauss_seidel_sweep(data, indices, indptr, n_cols, R, gamma, V):  # pragma: no cover - compiled
    """One in-place Gauss-Seidel sweep ``V[s] <- max_a R[s, a] + gamma P[s, a] . V``.

    Dense rows when ``indptr`` is empty (row ``r`` is ``data[r*n_cols:(r+1)*n_cols]``),
    CSR rows otherwise (the gathers of later states prefetched). States are swept in
    increasing order and each update is used at once by the states after it. Returns
    the sup-norm of the change.
    """
    S, A = R.shape
    dense = indptr.shape[0] == 0
    nnz = np.uint64(indices.shape[0])
    ahead = np.uint64(PREFETCH_AHEAD)
    one, two, three, four = np.uint64(1), np.uint64(2), np.uint64(3), np.uint64(4)
    prefetch = not dense and V.shape[0] >= PREFETCH_MIN_STATES
    change = 0.0
    for s in range(S):
        if prefetch:
            for k in range(np.uint64(indptr[s * A]) + ahead, min(np.uint64(indptr[s * A + A]) + ahead, nnz)):
                _prefetch(V, indices[k])
        best = -np.inf
        for a in range(A):
            r = s * A + a
            if dense:
                acc = _dense_dot(data, np.uint64(r * n_cols), np.uint64(n_cols), V)
            else:  # four partial sums: entry lo + i goes to sum i % 4 (module docstring)
                lo = np.uint64(indptr[r])
                hi = np.uint64(indptr[r + 1])
                s0 = 0.0
                s1 = 0.0
                s2 = 0.0
                s3 = 0.0
                k = lo
                while k + three < hi:
                    s0 += data[k] * V[indices[k]]
                    s1 += data[k + one] * V[indices[k + one]]
                    s2 += data[k + two] * V[indices[k + two]]
                    s3 += data[k + three] * V[indices[k + three]]
                    k += four
                if k < hi:
                    s0 += data[k] * V[indices[k]]
                if k + one < hi:
                    s1 += data[k + one] * V[indices[k + one]]
                if k + two < hi:
                    s2 += data[k + two] * V[indices[k + two]]
                acc = (s0 + s1) + (s2 + s3)
            q = R[s, a] + gamma * acc
            if q > best:
                best = q
        d = abs(best - V[s])
        if d > change:
            change = d
        V[s] = best
    return change
