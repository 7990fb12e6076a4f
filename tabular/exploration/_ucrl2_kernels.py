"""Compiled pieces of UCRL2: the optimistic transition, extended value iteration, one run.

:func:`optimistic_transition` is the inner maximisation of extended value iteration
(Jaksch, Ortner and Auer 2010, Fig. 2), :func:`evi` the iteration itself (their
section 3.1.2) and :func:`ucrl2_run` one whole run of UCRL2 (their Fig. 1), simulated
step by step from the model's inverse-CDF tables with one ``gen.random()`` per draw (the
draws :meth:`rlcore.FiniteMDP.reset` and :meth:`rlcore.FiniteMDP.step` make).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from tabular.exploration._kernels import draw_index

__all__ = ["evi", "optimistic_transition", "ucrl2_run"]


@njit(cache=True)
def optimistic_transition(p_hat, d, order, out):  # pragma: no cover - compiled
    """``argmax_p p . u`` over ``{p in simplex : ||p - p_hat||_1 <= d}``, written into ``out``.

    ``order`` lists the states by decreasing ``u``. Mass ``min(d/2, 1 - p_hat(best))`` is
    added to the best state and the same mass removed from the worst states first.
    """
    S = p_hat.shape[0]
    for j in range(S):
        out[j] = p_hat[j]
    best = order[0]
    out[best] = min(1.0, p_hat[best] + 0.5 * d)
    total = 0.0
    for j in range(S):
        total += out[j]
    last = S - 1
    while total > 1.0 and last > 0:
        j = order[last]
        rest = total - out[j]
        new = max(0.0, 1.0 - rest)
        total = rest + new
        out[j] = new
        last -= 1


@njit(cache=True)
def evi(p_hat, r_tilde, p_radius, epsilon, max_iter, u, policy, p_tilde):  # pragma: no cover - compiled
    """Extended value iteration from ``u = 0`` until ``span(L u - u) < epsilon``.

    On return ``u`` (min 0) is the last iterate, ``policy`` and ``p_tilde`` are greedy
    for it, and ``(iterations, min(L u - u), max(L u - u))`` is returned.
    """
    S = r_tilde.shape[0]
    A = r_tilde.shape[1]
    u_new = np.empty(S)
    work = np.empty(S)
    for s in range(S):
        u[s] = 0.0
    lo = 0.0
    hi = 0.0
    it = 0
    while it < max_iter:
        it += 1
        order = np.argsort(-u, kind="mergesort")
        for s in range(S):
            best = -np.inf
            for a in range(A):
                optimistic_transition(p_hat[s, a], p_radius[s, a], order, work)
                v = r_tilde[s, a]
                for j in range(S):
                    v += work[j] * u[j]
                if v > best:
                    best = v
                    policy[s] = a
            u_new[s] = best
        lo = np.inf
        hi = -np.inf
        for s in range(S):
            dlt = u_new[s] - u[s]
            lo = min(lo, dlt)
            hi = max(hi, dlt)
        if hi - lo < epsilon or it == max_iter:
            for s in range(S):
                for a in range(A):
                    optimistic_transition(p_hat[s, a], p_radius[s, a], order, p_tilde[s, a])
            break
        m = u_new.min()
        for s in range(S):
            u[s] = u_new[s] - m
    return it, lo, hi


@njit(cache=True)
def ucrl2_run(
    cdf,
    indptr,
    indices,
    init_cdf,
    R,
    delta,
    n_steps,
    evi_max_iter,
    gen,
    states,
    rewards,
    ep_start,
    ep_lo,
    ep_hi,
    ep_iters,
    ep_policy,
):  # pragma: no cover - compiled
    """One run of UCRL2 for ``n_steps`` steps; returns the number of epochs.

    Fills ``states`` and ``rewards`` (n_steps,) and, per epoch ``k``, its first step
    ``ep_start[k]`` (0-based), the EVI gain bracket ``ep_lo[k], ep_hi[k]``, the EVI
    iterations and the policy ``ep_policy[k]`` (S,).
    """
    S = R.shape[0]
    A = R.shape[1]
    dense = indptr.shape[0] == 0
    N = np.zeros((S, A), np.int64)
    v = np.zeros((S, A), np.int64)
    Nsas = np.zeros((S, A, S), np.int64)
    Rsum = np.zeros((S, A))
    p_hat = np.zeros((S, A, S))
    r_tilde = np.zeros((S, A))
    p_rad = np.zeros((S, A))
    u = np.zeros(S)
    policy = np.zeros(S, np.int64)
    p_tilde = np.zeros((S, A, S))
    s = draw_index(init_cdf, 0, S, gen.random())
    i = 0
    k = 0
    while i < n_steps and k < ep_start.shape[0]:
        tk = i + 1.0
        log_p = math.log(2.0 * A * tk) - math.log(delta)  # log(2 A t_k / delta), no overflow for tiny delta
        log_r = math.log(2.0 * S * A * tk) - math.log(delta)
        for x in range(S):
            for a in range(A):
                n = max(1, N[x, a])
                for y in range(S):
                    p_hat[x, a, y] = Nsas[x, a, y] / n
                r_tilde[x, a] = min(1.0, Rsum[x, a] / n + math.sqrt(3.5 * log_r / n))
                p_rad[x, a] = math.sqrt(14.0 * S * log_p / n)
        it, lo, hi = evi(p_hat, r_tilde, p_rad, 1.0 / math.sqrt(tk), evi_max_iter, u, policy, p_tilde)
        ep_start[k] = i
        ep_lo[k] = lo
        ep_hi[k] = hi
        ep_iters[k] = it
        for x in range(S):
            ep_policy[k, x] = policy[x]
        v[:, :] = 0
        while i < n_steps:
            a = policy[s]
            if v[s, a] >= max(1, N[s, a]):
                break
            r = R[s, a]
            row = s * A + a
            if dense:
                nxt = draw_index(cdf, row * S, S, gen.random())
            else:
                lo_ = indptr[row]
                nxt = indices[lo_ + draw_index(cdf, lo_, indptr[row + 1] - lo_, gen.random())]
            v[s, a] += 1
            Nsas[s, a, nxt] += 1
            Rsum[s, a] += r
            states[i] = s
            rewards[i] = r
            s = nxt
            i += 1
        for x in range(S):
            for a in range(A):
                N[x, a] += v[x, a]
        k += 1
    return k
