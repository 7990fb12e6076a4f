"""The sparse sweep kernels (``tabular/_dp_kernels.py``): four partial sums per row,
software prefetch of the gathers on large models, serial/threaded routing.

Independent sources: exact rational arithmetic (the rounding allowance that
``tabular.certify`` charges must cover the kernel's actual summation order), scipy's CSR
product, a Python Gauss-Seidel loop, and the same rows swept with prefetching off.
"""

from __future__ import annotations

import importlib
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

import tabular
from rlcore import FiniteMDP
from rlcore.generators import random_mdp
from tabular._dp_kernels import (
    PREFETCH_MIN_STATES,
    bellman_sweep,
    bellman_sweep_parallel,
    gauss_seidel_sweep,
)
from tabular._sweep_layout import NARROW_INDEX_MAX_STATES, csr_layout
from tabular.certify import csr_kernel_arrays, sweep_arrays, sweep_kernel

_EPS = float(np.finfo(np.float64).eps)
certify_module = importlib.import_module("tabular.certify")  # the module, not the function


def _ragged_mdp(S: int, A: int, rng: np.random.Generator, max_len: int = 13) -> FiniteMDP:
    """Sparse MDP whose rows hold 1..max_len entries, so every remainder of the four
    partial sums (0-3 entries left over) occurs."""
    n = S * A
    lengths = rng.integers(1, max_len + 1, size=n)
    lengths = np.minimum(lengths, S)
    cols = [np.sort(rng.choice(S, size=k, replace=False)) for k in lengths]
    vals = [rng.exponential(size=k) for k in lengths]
    vals = [v / v.sum() for v in vals]
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    P = sp.csr_array((np.concatenate(vals), np.concatenate(cols).astype(np.int32), indptr), shape=(n, S))
    R = rng.normal(size=(S, A)) * 10.0
    return FiniteMDP(P, R, gamma=0.97)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_backup_within_the_certified_rounding_allowance(seed):
    """Every computed ``Q[s, a]`` is within ``(n + 4) eps (|R|max + gamma rho_hi |V|max)``
    of its exact value (``certify``'s allowance), computed in rational arithmetic."""
    rng = np.random.default_rng(seed)
    mdp = _ragged_mdp(40, 3, rng)
    V = rng.normal(size=mdp.n_states) * 100.0
    Q, TV, pi = tabular.bellman_backup(mdp, V)
    P = mdp.P
    n_max = int(np.max(np.diff(P.indptr)))
    scale = float(np.max(np.abs(mdp.R))) + mdp.gamma * mdp.row_sum_bounds[1] * float(np.max(np.abs(V)))
    allowance = (n_max + 4) * _EPS * scale
    g = Fraction(mdp.gamma)
    worst = 0.0
    for s in range(mdp.n_states):
        for a in range(mdp.n_actions):
            r = s * mdp.n_actions + a
            lo, hi = P.indptr[r], P.indptr[r + 1]
            dot = sum(Fraction(P.data[k]) * Fraction(V[P.indices[k]]) for k in range(lo, hi))
            exact = Fraction(mdp.R[s, a]) + g * dot
            worst = max(worst, abs(float(Fraction(Q[s, a]) - exact)))
    assert worst <= allowance
    np.testing.assert_array_equal(TV, Q[np.arange(mdp.n_states), pi])
    np.testing.assert_array_equal(pi, np.argmax(Q, axis=1))


@pytest.mark.parametrize("seed", [0, 1])
def test_serial_and_threaded_kernels_bit_identical_on_ragged_rows(seed):
    rng = np.random.default_rng(seed)
    mdp = _ragged_mdp(300, 4, rng)
    V = rng.normal(size=mdp.n_states)
    outs = []
    for kernel in (bellman_sweep, bellman_sweep_parallel):
        Q, TV, pi = np.empty((300, 4)), np.empty(300), np.empty(300, dtype=np.int64)
        kernel(*sweep_arrays(mdp), mdp.R, mdp.gamma, V, Q, TV, pi)
        outs.append((Q, TV, pi))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


def _padded(mdp: FiniteMDP, S_big: int) -> FiniteMDP:
    """``mdp`` followed by ``S_big - S`` absorbing zero-reward states: the first ``S``
    rows (values and column indices) are unchanged, so a sweep of them does the same
    arithmetic, but ``V`` is long enough for the kernels to prefetch."""
    S, A = mdp.n_states, mdp.n_actions
    P = mdp.P
    extra = S_big - S
    own = np.repeat(np.arange(S, S_big), A)
    big = sp.csr_array(
        (
            np.concatenate([P.data, np.ones(extra * A)]),
            np.concatenate([P.indices, own]).astype(np.int32),
            np.concatenate([P.indptr, P.indptr[-1] + np.arange(1, extra * A + 1)]),
        ),
        shape=(S_big * A, S_big),
    )
    R = np.concatenate([mdp.R, np.zeros((extra, A))])
    return FiniteMDP(big, R, gamma=mdp.gamma)


def test_prefetching_changes_no_result():
    """A model with at least ``PREFETCH_MIN_STATES`` states takes the prefetching path;
    its first states' rows, swept there, give bit-for-bit what the small model gives
    without prefetching (Jacobi and Gauss-Seidel), and scipy's product agrees."""
    rng = np.random.default_rng(5)
    small = _ragged_mdp(500, 2, rng)
    S_big = PREFETCH_MIN_STATES + 10
    big = _padded(small, S_big)
    V_small = rng.normal(size=500)
    V_big = np.concatenate([V_small, np.zeros(S_big - 500)])
    Qs, TVs, pis = tabular.bellman_backup(small, V_small)
    Qb, TVb, pib = tabular.bellman_backup(big, V_big)
    np.testing.assert_array_equal(Qb[:500], Qs)
    np.testing.assert_array_equal(TVb[:500], TVs)
    np.testing.assert_array_equal(pib[:500], pis)
    ref = (big.R + big.gamma * (sp.csr_matrix(big.P) @ V_big).reshape(S_big, 2)).max(axis=1)
    np.testing.assert_allclose(TVb, ref, rtol=1e-13, atol=1e-12)

    W_small, W_big = V_small.copy(), V_big.copy()
    c_small = gauss_seidel_sweep(*sweep_arrays(small), small.R, small.gamma, W_small)
    c_big = gauss_seidel_sweep(*sweep_arrays(big), big.R, big.gamma, W_big)
    np.testing.assert_array_equal(W_big[:500], W_small)
    assert c_big == c_small  # the padded states stay at 0


def test_gauss_seidel_matches_a_python_loop():
    rng = np.random.default_rng(3)
    mdp = _ragged_mdp(60, 3, rng)
    V = rng.normal(size=60)
    ref = V.copy()
    P = mdp.P
    for s in range(60):
        q = [
            mdp.R[s, a]
            + mdp.gamma * P.data[P.indptr[r] : P.indptr[r + 1]] @ ref[P.indices[P.indptr[r] : P.indptr[r + 1]]]
            for a, r in enumerate(range(3 * s, 3 * s + 3))
        ]
        ref[s] = max(q)
    W = V.copy()
    gauss_seidel_sweep(*sweep_arrays(mdp), mdp.R, mdp.gamma, W)
    np.testing.assert_allclose(W, ref, rtol=1e-13, atol=1e-12)


def test_dense_rows_unchanged_by_the_sparse_changes():
    """The kernels' dense path (``indptr`` empty) agrees with a BLAS product."""
    mdp = random_mdp(37, 3, gamma=0.9, rng=4)
    V = np.random.default_rng(0).normal(size=37)
    Q, TV, pi = np.empty((37, 3)), np.empty(37), np.empty(37, dtype=np.int64)
    bellman_sweep(*sweep_arrays(mdp), mdp.R, mdp.gamma, V, Q, TV, pi)
    np.testing.assert_allclose(Q, mdp.R + mdp.gamma * (mdp.P @ V), rtol=1e-13, atol=1e-13)


def test_threads_only_when_a_core_is_idle(monkeypatch):
    """``parallel=True`` routes to the threaded kernel only while the load average leaves
    a core idle; the answer is the same either way."""
    assert sweep_kernel(False) is bellman_sweep
    monkeypatch.setattr(certify_module.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(certify_module.os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    assert sweep_kernel(True) is bellman_sweep_parallel
    mdp = random_mdp(200, 3, branching=5, sparse=True, gamma=0.95, rng=1)
    V = np.linspace(0.0, 1.0, 200)
    idle = tabular.bellman_backup(mdp, V, parallel=True)
    monkeypatch.setattr(certify_module.os, "getloadavg", lambda: (3.5, 3.0, 2.0))
    assert sweep_kernel(True) is bellman_sweep
    busy = tabular.bellman_backup(mdp, V, parallel=True)
    for a, b in zip(idle, busy):
        np.testing.assert_array_equal(a, b)


def test_narrow_index_layout_is_cached_and_exact():
    """Models with at most 65,536 states are swept through a cached uint16 copy of the
    column indices (same values); larger ones through a view of ``P.indices``."""
    small = random_mdp(NARROW_INDEX_MAX_STATES, 1, branching=2, sparse=True, rng=0)
    data, indices, indptr = csr_layout(small)
    assert indices.dtype == np.uint16 and not indices.flags.writeable
    np.testing.assert_array_equal(indices, small.P.indices)
    assert csr_layout(small)[1] is indices  # made once per model
    assert data is small.P.data
    big = random_mdp(NARROW_INDEX_MAX_STATES + 1, 1, branching=2, sparse=True, rng=0)
    big_indices = csr_layout(big)[1]
    assert big_indices.dtype == np.uint32 and np.shares_memory(big_indices, big.P.indices)
    # csr_kernel_arrays narrows the same way when told the number of states
    sub = csr_kernel_arrays(small.P.data, small.P.indices, small.P.indptr, n_states=small.n_states)
    assert sub[1].dtype == np.uint16
    assert csr_kernel_arrays(small.P.data, small.P.indices, small.P.indptr)[1].dtype == np.uint32
