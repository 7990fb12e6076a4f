"""Numba kernels of the cascade model (private).

* :func:`best_perm_batch`: the BestPerm oracle of Du et al. (2024) for many rows at
  once: given attraction probabilities ``q``, item values ``w`` and the no-click value
  ``w_bot``, the ordered list of at most ``K`` distinct items maximising
  ``f(A) = sum_i prod_{j<i} (1 - q_{a_j}) q_{a_i} w_{a_i} + prod_j (1 - q_{a_j}) w_bot``.
* :func:`run_cascade_index`: one run of CascadeUCB1 / CascadeKL-UCB (Kveton et al.
  2015) on pre-drawn attraction noise, reusing the KL-UCB solver of
  :mod:`bandits.stochastic._kl_kernels`.

The public wrappers (:mod:`bandits.cascading.engine`, :mod:`bandits.cascading.mdp`,
:mod:`bandits.cascading.rl`) validate
their input; these kernels trust it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from bandits.stochastic import _kl_kernels as _klk

__all__: list[str] = []

CASCADE_UCB1 = 0
CASCADE_KLUCB = 1


@njit(cache=True)
def best_perm_batch(q, w, w_bot, K, values, lists):  # pragma: no cover - compiled (py_func is covered)
    """BestPerm row by row: ``q, w`` of shape (R, N), ``w_bot`` (R,); writes ``values`` (R,)
    and ``lists`` (R, K) (items in display order, ``-1`` padding).

    Sort the items by decreasing ``w`` (stable: ties keep index order); an optimal list is
    a subsequence of this order (adjacent exchange: swapping positions i, i+1 changes
    ``f`` by ``prefix * q_i q_{i+1} (w_i - w_{i+1})``). ``F[i, k]`` is the best value of a
    list drawn from sorted positions ``i..N-1`` with at most ``k`` items, followed by
    the no-click value: ``F[N, k] = F[i, 0] = w_bot`` and
    ``F[i, k] = max(F[i+1, k], q w + (1 - q) F[i+1, k-1])``. An item is taken only on a
    strict improvement, so the returned list is the shortest optimal one in this order.
    """
    R, N = q.shape
    F = np.empty((N + 1, K + 1))
    for row in range(R):
        order = np.argsort(-w[row], kind="mergesort")
        wb = w_bot[row]
        for k in range(K + 1):
            F[N, k] = wb
        for i in range(N - 1, -1, -1):
            e = order[i]
            qe = q[row, e]
            we = w[row, e]
            F[i, 0] = wb
            for k in range(1, K + 1):
                take = qe * we + (1.0 - qe) * F[i + 1, k - 1]
                skip = F[i + 1, k]
                F[i, k] = take if take > skip else skip
        values[row] = F[0, K]
        for j in range(K):
            lists[row, j] = -1
        k = K
        pos = 0
        for i in range(N):
            if k == 0:
                break
            e = order[i]
            qe = q[row, e]
            take = qe * w[row, e] + (1.0 - qe) * F[i + 1, k - 1]
            if take > F[i + 1, k]:
                lists[row, pos] = e
                pos += 1
                k -= 1
    return values


@njit(cache=True)
def run_cascade_index(code, w_bar, K, T, noise, pseudo, clicks):  # pragma: no cover - compiled
    """One run of CascadeUCB1 (``code = 0``) or CascadeKL-UCB (``code = 1``).

    ``noise`` has shape (T + 1, L): row 0 is the free initial observation of every item
    (Kveton et al., Algorithm 1, "observe w_0"), row ``t`` the attraction draws of round
    ``t``; item ``e`` is attractive in round ``t`` iff ``noise[t, e] < w_bar[e]``.
    Writes the cumulative pseudo-regret ``pseudo`` (T,) and the click indicator
    ``clicks`` (T,); returns the examination counts (L,).
    """
    L = w_bar.shape[0]
    counts = np.ones(L)
    sums = np.zeros(L)
    for e in range(L):
        if noise[0, e] < w_bar[e]:
            sums[e] = 1.0
    # optimal expected reward: 1 - prod over the K largest means of (1 - w)
    srt = np.sort(w_bar)
    miss = 1.0
    for j in range(K):
        miss *= 1.0 - srt[L - 1 - j]
    best = 1.0 - miss
    idx = np.empty(L)
    cum = 0.0
    for t in range(1, T + 1):
        # indices from the t rounds observed so far (the initialisation counts as one)
        if code == CASCADE_UCB1:
            lt = math.log(t)
            for e in range(L):
                idx[e] = sums[e] / counts[e] + math.sqrt(1.5 * lt / counts[e])
        else:
            rhs = _klk.exploration_rhs(t, 3.0)
            for e in range(L):
                idx[e] = _klk.klucb_bernoulli_index(sums[e] / counts[e], counts[e], rhs)
        order = np.argsort(-idx, kind="mergesort")
        miss = 1.0
        clicked = 0.0
        for j in range(K):
            e = order[j]
            miss *= 1.0 - w_bar[e]
            if clicked == 0.0:
                counts[e] += 1.0
                if noise[t, e] < w_bar[e]:
                    sums[e] += 1.0
                    clicked = 1.0
        cum += best - (1.0 - miss)
        pseudo[t - 1] = cum
        clicks[t - 1] = clicked
    return counts


@njit(cache=True)
def cascading_plan(r, exam, click, trans, iota, H, K, Vhi, Vlo, pol):  # pragma: no cover - compiled
    """CascadingVI's optimistic planning step (see :func:`bandits.cascading_vi`).

    ``r`` (S, N) known rewards; ``exam``, ``click`` (S, N) examination and click counts;
    ``trans`` (S, N + 1, S) transition counts (row ``N``: no click). Writes the upper
    values ``Vhi`` (H + 1, S), the pessimistic values of the chosen lists ``Vlo``
    (H + 1, S) and the lists ``pol`` (H, S, K).
    """
    S, N = r.shape
    qhi = np.empty((S, N))
    qlo = np.empty((S, N))
    for s in range(S):
        for a in range(N):
            n = exam[s, a]
            if n > 0:
                qh = click[s, a] / n
                b = 2.0 * math.sqrt(qh * (1.0 - qh) * iota / n) + 5.0 * iota / n
                if b > 1.0:
                    b = 1.0
            else:
                qh = 0.0
                b = 1.0
            qhi[s, a] = min(qh + b, 1.0)
            qlo[s, a] = max(qh - b, 0.0)
    npp = np.zeros((S, N + 1))
    for s in range(S):
        for a in range(N + 1):
            for s2 in range(S):
                npp[s, a] += trans[s, a, s2]
    for s in range(S):
        Vhi[H, s] = 0.0
        Vlo[H, s] = 0.0
    whi = np.empty((S, N))
    whb = np.empty(S)
    wlo = np.empty((S, N + 1))
    for h in range(H - 1, -1, -1):
        cap = float(H - h)
        for s in range(S):
            for a in range(N + 1):
                n = npp[s, a]
                rr = r[s, a] if a < N else 0.0
                mean = 0.0
                ml = 0.0
                b = cap
                if n > 0:
                    sq = 0.0
                    g2 = 0.0
                    for s2 in range(S):
                        p = trans[s, a, s2] / n
                        vh = Vhi[h + 1, s2]
                        vl = Vlo[h + 1, s2]
                        mean += p * vh
                        sq += p * vh * vh
                        g2 += p * (vh - vl) * (vh - vl)
                        ml += p * vl
                    var = sq - mean * mean
                    if var < 0.0:
                        var = 0.0
                    b = 2.0 * math.sqrt(var * iota / n) + 2.0 * math.sqrt(g2 * iota / n) + 5.0 * cap * iota / n
                    if b > cap:
                        b = cap
                hi = min(rr + mean + b, cap)
                if a < N:
                    whi[s, a] = hi
                else:
                    whb[s] = hi
                wlo[s, a] = max(rr + ml - b, 0.0)
        best_perm_batch(qhi, whi, whb, K, Vhi[h], pol[h])
        for s in range(S):
            cont = wlo[s, N]
            for i in range(K - 1, -1, -1):
                a = pol[h, s, i]
                if a >= 0:
                    x1 = qlo[s, a] * wlo[s, a] + (1.0 - qlo[s, a]) * cont
                    x2 = qhi[s, a] * wlo[s, a] + (1.0 - qhi[s, a]) * cont
                    cont = x1 if x1 < x2 else x2
            Vlo[h, s] = cont
    return Vhi
