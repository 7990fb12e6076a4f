"""Numba kernel of the adaptive-greedy Whittle-index algorithm (small and medium arms).

See :mod:`bandits.restless.whittle` for the algorithm. The kernel applies each rank-one update
immediately to the still-active columns of ``X`` (kept contiguous at the left by column
swaps), ``S^3 / 2`` multiply-adds in all; above a few hundred states the wrapper uses
the delayed, BLAS-3 blocked variant instead.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["adaptive_greedy_kernel"]


@njit(cache=True)
def adaptive_greedy_kernel(X, z, y, tol, scale, W, order):  # pragma: no cover - compiled
    """Run the algorithm in place; return ``(k, status, bad_state, lam)``.

    status 0: done (``k == S``); 1: not indexable (``bad_state`` passive but strictly
    better active at ``lam``); 2: no active state can turn passive; 3: singular update.
    """
    S = X.shape[0]
    cols = np.arange(S)
    posc = np.arange(S)
    a = np.empty(S)
    b = np.empty(S)
    m = S
    lam_prev = -np.inf
    for k in range(S):
        best = np.inf
        sigma = -1
        for c in range(m):
            s = cols[c]
            slope = 1.0 + y[s]
            if slope > 1e-12:
                root = z[s] / slope
                if root < best or (root == best and s < sigma):
                    best = root
                    sigma = s
        if sigma < 0:
            return k, 2, -1, lam_prev
        lam = best if best > lam_prev else lam_prev
        lim = tol * max(1.0, abs(lam) / scale)
        worst = -np.inf
        bad = -1
        for c in range(m, S):
            s = cols[c]
            adv = z[s] - lam * (1.0 + y[s])
            if adv > worst:
                worst = adv
                bad = s
        if bad >= 0 and worst > lim:
            return k, 1, bad, lam
        W[sigma] = lam
        order[k] = sigma
        lam_prev = lam
        if k == S - 1:
            break
        p = posc[sigma]
        for i in range(S):
            a[i] = X[i, p]
        d = 1.0 + a[sigma]
        if abs(d) < 1e-10:
            return k + 1, 3, sigma, lam
        for c in range(m):
            b[c] = X[sigma, c] / d
        zs = z[sigma] / d
        ys = (1.0 + y[sigma]) / d
        for i in range(S):
            z[i] -= a[i] * zs
            y[i] -= a[i] * ys
        for i in range(S):
            ai = a[i]
            if ai != 0.0:
                for c in range(m):
                    X[i, c] -= ai * b[c]
        # move sigma's column to position m - 1 and shrink the active block
        q = m - 1
        if p != q:
            for i in range(S):
                tmp = X[i, p]
                X[i, p] = X[i, q]
                X[i, q] = tmp
            sq = cols[q]
            cols[p] = sq
            posc[sq] = p
            cols[q] = sigma
            posc[sigma] = q
        m -= 1
    return S, 0, -1, lam_prev
