"""Numba kernels of distributional policy evaluation (private).

Two serial kernels, one per representation, each one application of a projected
distributional Bellman operator ``Pi T^pi`` to every state:

* :func:`categorical_backup` -- mixes the successor distributions of each ``(s, a)``
  on the fixed support, pushes the support through ``x -> r(s, a) + gamma x`` and
  projects back with the linear-interpolation (Cramér) projection ``Pi_C``;
* :func:`quantile_backup` -- gathers the weighted atoms ``r(s, a) + gamma theta_j(s')``
  of the mixture ``(T^pi eta)(s)``, sorts them and reads off the quantiles at the
  midpoints ``tau_i = (2i - 1) / (2N)`` (the W1 projection ``Pi_Q``).

Rows of ``P`` are dense when ``indptr`` is empty (row ``r`` is
``data[r*n_cols:(r+1)*n_cols]``), CSR otherwise, as in :mod:`tabular._dp_kernels`;
the CSR index arrays are passed as ``int64``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["categorical_backup", "quantile_backup"]


@njit(cache=True)
def categorical_backup(
    data, indices, indptr, n_cols, r_atoms, r_probs, pi, gamma, z_src, z_dst, probs, out
):  # pragma: no cover - compiled
    """``out[s] = Pi_C sum_a pi(a|s) sum_s' P(s'|s,a) (R + gamma eta(s'))``, ``R ~ rho(s, a)``.

    ``r_atoms``, ``r_probs`` (S, A, n_r) hold the law ``rho(s, a)`` of the immediate
    reward (``n_r = 1``, probability 1, for deterministic rewards); ``pi`` has shape
    (S, A); ``probs`` (S', m_src) holds the successor
    probabilities on the atoms ``z_src``; the result is projected onto the evenly
    spaced support ``z_dst`` (m,) and written to ``out`` (S, m). A degenerate
    ``z_dst`` (one atom, or all atoms equal) receives all the mass at index 0.
    """
    S, A, n_r = r_atoms.shape
    m_src = z_src.shape[0]
    m = z_dst.shape[0]
    dense = indptr.shape[0] == 0
    mix = np.empty(m_src)
    lo = z_dst[0]
    hi = z_dst[m - 1]
    degenerate = m == 1 or not hi > lo
    step = (hi - lo) / (m - 1) if not degenerate else 1.0
    for s in range(S):
        for j in range(m):
            out[s, j] = 0.0
        for a in range(A):
            w = pi[s, a]
            if w == 0.0:
                continue
            r = s * A + a
            for j in range(m_src):
                mix[j] = 0.0
            if dense:
                base = r * n_cols
                for sp in range(n_cols):
                    p = data[base + sp]
                    if p != 0.0:
                        for j in range(m_src):
                            mix[j] += p * probs[sp, j]
            else:
                for k in range(indptr[r], indptr[r + 1]):
                    p = data[k]
                    sp = indices[k]
                    for j in range(m_src):
                        mix[j] += p * probs[sp, j]
            for ll in range(n_r):
                wl = r_probs[s, a, ll]
                if wl == 0.0:
                    continue
                rew = r_atoms[s, a, ll]
                for j in range(m_src):
                    q = w * wl * mix[j]
                    if q == 0.0:
                        continue
                    if degenerate:
                        out[s, 0] += q
                        continue
                    x = rew + gamma * z_src[j]
                    if x <= lo:
                        out[s, 0] += q
                    elif x >= hi:
                        out[s, m - 1] += q
                    else:
                        pos = (x - lo) / step
                        left = int(np.floor(pos))
                        if left >= m - 1:
                            left = m - 2
                        frac = pos - left
                        out[s, left] += q * (1.0 - frac)
                        out[s, left + 1] += q * frac


@njit(cache=True)
def quantile_backup(
    data, indices, indptr, n_cols, r_atoms, r_probs, pi, gamma, theta, out
):  # pragma: no cover - compiled
    """``out[s, i] = F^{-1}_{(T^pi eta)(s)}((2i + 1) / (2N))`` for ``i = 0 .. N-1``.

    ``r_atoms``, ``r_probs`` (S, A, n_r) hold the reward laws as in
    :func:`categorical_backup`; ``theta`` (S', N) holds the successor quantile locations (each with mass 1/N);
    ``out`` (S, N) is overwritten. ``F^{-1}(tau) = inf {x : F(x) >= tau}``, with the
    cumulative sums compared at an absolute slack of 1e-12 against rounding.
    """
    S, A, n_r = r_atoms.shape
    N = theta.shape[1]
    dense = indptr.shape[0] == 0
    for s in range(S):
        count = 0
        for a in range(A):
            if pi[s, a] == 0.0:
                continue
            r = s * A + a
            nl = 0
            for ll in range(n_r):
                if r_probs[s, a, ll] != 0.0:
                    nl += 1
            if dense:
                for sp in range(n_cols):
                    if data[r * n_cols + sp] != 0.0:
                        count += N * nl
            else:
                count += N * nl * (indptr[r + 1] - indptr[r])  # int64 indices (see the wrapper)
        vals = np.empty(count)
        wts = np.empty(count)
        c = 0
        for a in range(A):
            w = pi[s, a]
            if w == 0.0:
                continue
            r = s * A + a
            for ll in range(n_r):
                wl = r_probs[s, a, ll]
                if wl == 0.0:
                    continue
                rew = r_atoms[s, a, ll]
                if dense:
                    for sp in range(n_cols):
                        p = data[r * n_cols + sp]
                        if p != 0.0:
                            for j in range(N):
                                vals[c] = rew + gamma * theta[sp, j]
                                wts[c] = w * wl * p / N
                                c += 1
                else:
                    for k in range(indptr[r], indptr[r + 1]):
                        p = data[k]
                        sp = indices[k]
                        for j in range(N):
                            vals[c] = rew + gamma * theta[sp, j]
                            wts[c] = w * wl * p / N
                            c += 1
        order = np.argsort(vals, kind="mergesort")
        cum = 0.0
        i = 0
        for k in range(count):
            cum += wts[order[k]]
            while i < N and cum >= (2.0 * i + 1.0) / (2.0 * N) - 1e-12:
                out[s, i] = vals[order[k]]
                i += 1
            if i == N:
                break
        while i < N:  # rounding left the total a hair below the last midpoint
            out[s, i] = vals[order[count - 1]]
            i += 1
