"""Compiled pieces of :mod:`tabular.exploration.mex`: the MEX objective and its solver.

All functions are serial ``@njit(cache=True)`` kernels over dense arrays. Statistics have
a leading axis ``Hs`` (1 for a model shared by all steps, ``H`` for one model per step):
``N`` (Hs, S, A) visits, ``Nsas`` (Hs, S, A, S) transitions, ``Rsum`` (Hs, S, A) reward
sums, ``N0`` (S,) initial-state counts, ``ended`` (S,) the states seen ending an episode
before ``H`` (worth 0 in every model: the episode stops there). A model is ``P`` (Hs, S, A, S) and ``Rm``
(Hs, S, A) (mean rewards in ``[0, 1]``).

The objective (see :mod:`tabular.exploration.mex` for the derivation) is::

    J(P, Rm) = rho_hat . V*_0(P, Rm) + eta * LLR(P, Rm)

with ``LLR = loglik(P, Rm) - loglik(MLE) <= 0`` (the log-likelihood ratio to the maximum
likelihood model: the paper's objective minus a constant that depends on the data only).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from tabular.exploration._kernels import add_transitions, record_episode, simulate_episode, solve_model

#: Relative objective gain below which the ascent stops.
ASCENT_TOL = 1e-12
#: Step halvings tried by the backtracking line search before declaring a stationary point.
MAX_HALVINGS = 40
#: Newton iterations of the one-dimensional dual (monotone, quadratic near the root).
MAX_NEWTON = 200

START_MLE = 0
START_OPTIMISTIC = 1


@njit(cache=True)
def row_argmax(g, cnt, c, out):  # pragma: no cover - compiled
    """``out = argmax_{p in simplex} sum_i g[i] p[i] + c sum_i cnt[i] log p[i]`` (``c, cnt >= 0``).

    KKT: ``p[i] = c cnt[i] / (lam - g[i])`` on ``cnt > 0``, with the multiplier ``lam``
    the unique root above ``max_{cnt>0} g`` of ``sum_i c cnt[i] / (lam - g[i]) = 1``
    (solved by Newton's method from the left on ``delta = lam - max g``, where the
    function is convex and decreasing, so the iterates increase monotonically to the
    root). Entries with ``cnt = 0`` get 0 unless ``g`` there exceeds ``lam``: then
    ``lam`` is raised to that ``g`` and the remaining mass goes to the lowest such
    index. Without counts (or ``c = 0``) the problem is linear: a vertex at the lowest
    argmax of ``g``.
    """
    n = g.shape[0]
    total = 0.0
    gpos = -np.inf
    ipos = -1
    g0 = -np.inf
    i0 = -1
    for i in range(n):
        if cnt[i] > 0.0:
            total += cnt[i]
            if g[i] > gpos:
                gpos = g[i]
                ipos = i
        elif g[i] > g0:
            g0 = g[i]
            i0 = i
    if total <= 0.0 or c <= 0.0:
        best = 0
        for i in range(1, n):
            if g[i] > g[best]:
                best = i
        for i in range(n):
            out[i] = 0.0
        out[best] = 1.0
        return
    delta = c * cnt[ipos]
    for _ in range(MAX_NEWTON):
        phi = -1.0
        dphi = 0.0
        for i in range(n):
            if cnt[i] > 0.0:
                den = delta + (gpos - g[i])
                q = c * cnt[i] / den
                phi += q
                dphi += q / den
        if phi <= 0.0:
            break
        nd = delta + phi / dphi
        if not nd > delta:
            break
        delta = nd
    if i0 >= 0 and delta < g0 - gpos:
        delta = g0 - gpos
        mass = 0.0
        for i in range(n):
            if cnt[i] > 0.0:
                out[i] = c * cnt[i] / (delta + (gpos - g[i]))
                mass += out[i]
            else:
                out[i] = 0.0
        out[i0] = max(1.0 - mass, 0.0)
        return
    mass = 0.0
    for i in range(n):
        if cnt[i] > 0.0:
            out[i] = c * cnt[i] / (delta + (gpos - g[i]))
            mass += out[i]
        else:
            out[i] = 0.0
    for i in range(n):
        out[i] /= mass


@njit(cache=True)
def empirical_rho(N0):  # pragma: no cover - compiled
    """Empirical initial distribution (uniform before any episode)."""
    S = N0.shape[0]
    tot = 0.0
    for s in range(S):
        tot += N0[s]
    rho = np.empty(S)
    for s in range(S):
        rho[s] = N0[s] / tot if tot > 0.0 else 1.0 / S
    return rho


@njit(cache=True)
def loglik_ratio(P, Rm, N, Nsas, Rsum, rew_lik):  # pragma: no cover - compiled
    """``loglik(P, Rm) - loglik(MLE)`` (``<= 0``; ``-inf`` when an observed event has probability 0).

    Transitions: multinomial, ``sum N(s,a,s') log(P(s'|s,a) / Phat(s'|s,a))``. Rewards (when
    ``rew_lik``): Bernoulli quasi-likelihood of rewards in [0, 1] with mean ``Rm``,
    ``Rsum log(Rm / Rhat) + (N - Rsum) log((1 - Rm) / (1 - Rhat))``.
    """
    tot = 0.0
    Hs, S, A = N.shape
    for h in range(Hs):
        for s in range(S):
            for a in range(A):
                n = N[h, s, a]
                if n <= 0.0:
                    continue
                for s2 in range(S):
                    k = Nsas[h, s, a, s2]
                    if k > 0.0:
                        p = P[h, s, a, s2]
                        if p <= 0.0:
                            return -np.inf
                        tot += k * math.log(p * n / k)
                if rew_lik:
                    x = Rsum[h, s, a]
                    y = n - x
                    mu = Rm[h, s, a]
                    if x > 0.0:
                        if mu <= 0.0:
                            return -np.inf
                        tot += x * math.log(mu * n / x)
                    if y > 0.0:
                        if mu >= 1.0:
                            return -np.inf
                        tot += y * math.log((1.0 - mu) * n / y)
    return tot


@njit(cache=True)
def objective(P, Rm, N, Nsas, Rsum, rho, eta, rew_lik, ended, policy, V):  # pragma: no cover - compiled
    """``rho . V*_0(P, Rm) + eta * LLR(P, Rm)``; leaves the optimal ``policy`` and ``V`` of the model."""
    solve_model(P, Rm, ended, policy, V)
    v = 0.0
    for s in range(rho.shape[0]):
        v += rho[s] * V[0, s]
    llr = loglik_ratio(P, Rm, N, Nsas, Rsum, rew_lik)
    if llr == -np.inf:
        return -np.inf
    return v + eta * llr


@njit(cache=True)
def occupancy(P, policy, rho, ended, d):  # pragma: no cover - compiled
    """State-action occupancy ``d[t, s, a] = Pr(s_t = s, a_t = a)`` of ``policy`` under ``P`` from ``rho``.

    The episode stops in a state of ``ended``: no occupancy there and no mass leaves it.
    """
    H, S = policy.shape
    d[:] = 0.0
    x = rho.copy()
    y = np.empty(S)
    for t in range(H):
        h = t if P.shape[0] > 1 else 0
        for s in range(S):
            if not ended[s]:
                d[t, s, policy[t, s]] = x[s]
        if t + 1 < H:
            y[:] = 0.0
            for s in range(S):
                m = x[s]
                if m > 0.0 and not ended[s]:
                    a = policy[t, s]
                    for s2 in range(S):
                        y[s2] += m * P[h, s, a, s2]
            x[:] = y


@njit(cache=True)
def direction(P, Rm, N, Nsas, Rsum, eta, rew_lik, V, d, Pt, Rt):  # pragma: no cover - compiled
    """Maximiser ``(Pt, Rt)`` of the objective with ``V^pi`` replaced by its linearisation at ``(P, Rm)``.

    For the policy ``pi`` optimal in ``(P, Rm)`` (occupancy ``d``, values ``V``), the
    derivative of ``rho . V^pi_0`` in the row ``P(. | s, a)`` (pooled over the steps that
    share it) is ``g = sum_t d[t, s, a] V[t + 1]`` and in ``Rm(s, a)`` it is
    ``w = sum_t d[t, s, a]``. Each row then solves ``max_p g.p + eta N(s,a,.) . log p``
    (:func:`row_argmax`); rows with ``w = 0`` take their maximum-likelihood value (kept
    as they are when unvisited).
    """
    Hs, S, A = N.shape
    H = d.shape[0]
    g = np.empty(S)
    g2 = np.empty(2)
    c2 = np.empty(2)
    o2 = np.empty(2)
    for h in range(Hs):
        t_lo = h if Hs > 1 else 0
        t_hi = h + 1 if Hs > 1 else H
        for s in range(S):
            for a in range(A):
                g[:] = 0.0
                w = 0.0
                for t in range(t_lo, t_hi):
                    dt = d[t, s, a]
                    if dt > 0.0:
                        w += dt
                        for s2 in range(S):
                            g[s2] += dt * V[t + 1, s2]
                n = N[h, s, a]
                if w <= 0.0:
                    if n > 0.0:
                        for s2 in range(S):
                            Pt[h, s, a, s2] = Nsas[h, s, a, s2] / n
                        Rt[h, s, a] = Rsum[h, s, a] / n if rew_lik else Rm[h, s, a]
                    else:
                        for s2 in range(S):
                            Pt[h, s, a, s2] = P[h, s, a, s2]
                        Rt[h, s, a] = Rm[h, s, a]
                    continue
                row_argmax(g, Nsas[h, s, a], eta, Pt[h, s, a])
                if rew_lik:
                    g2[0] = w
                    g2[1] = 0.0
                    c2[0] = Rsum[h, s, a]
                    c2[1] = max(n - Rsum[h, s, a], 0.0)
                    row_argmax(g2, c2, eta, o2)
                    Rt[h, s, a] = o2[0]
                else:
                    Rt[h, s, a] = Rm[h, s, a]


@njit(cache=True)
def ascent(P, Rm, N, Nsas, Rsum, rho, eta, rew_lik, ended, max_iter, policy, V, trace):  # pragma: no cover - compiled
    """Monotone ascent of the objective from ``(P, Rm)`` (updated in place); returns ``(J, iterations)``.

    Each iteration: the optimal policy of the current model, the linearised maximiser
    (:func:`direction`), then a backtracking line search on the segment towards it
    (steps ``1, 1/2, 1/4, ...``, at most ``MAX_HALVINGS``) accepting the first point of
    strictly larger objective. Stops at ``max_iter`` iterations, when no step increases
    the objective (a stationary point: the current model maximises its own
    linearisation), or when the gain falls below ``ASCENT_TOL * (1 + |J|)``.
    ``trace[i]`` holds the objective after ``i`` iterations. On return ``policy`` and
    ``V`` are those of the final model.
    """
    H, S = policy.shape
    Hs = N.shape[0]
    A = N.shape[2]
    J = objective(P, Rm, N, Nsas, Rsum, rho, eta, rew_lik, ended, policy, V)
    trace[0] = J
    d = np.empty((H, S, A))
    Pt = np.empty_like(P)
    Rt = np.empty_like(Rm)
    Pc = np.empty_like(P)
    Rc = np.empty_like(Rm)
    pol_c = np.empty_like(policy)
    V_c = np.empty_like(V)
    its = 0
    for _ in range(max_iter):
        occupancy(P, policy, rho, ended, d)
        direction(P, Rm, N, Nsas, Rsum, eta, rew_lik, V, d, Pt, Rt)
        step = 1.0
        accepted = False
        Jc = J
        for _ls in range(MAX_HALVINGS):
            for h in range(Hs):
                for s in range(S):
                    for a in range(A):
                        for s2 in range(S):
                            Pc[h, s, a, s2] = P[h, s, a, s2] + step * (Pt[h, s, a, s2] - P[h, s, a, s2])
                        Rc[h, s, a] = Rm[h, s, a] + step * (Rt[h, s, a] - Rm[h, s, a])
            Jc = objective(Pc, Rc, N, Nsas, Rsum, rho, eta, rew_lik, ended, pol_c, V_c)
            if Jc > J:
                accepted = True
                break
            step *= 0.5
        if not accepted:
            break
        P[:] = Pc
        Rm[:] = Rc
        policy[:] = pol_c
        V[:] = V_c
        gain = Jc - J
        J = Jc
        its += 1
        trace[its] = J
        if gain <= ASCENT_TOL * (1.0 + abs(J)):
            break
    return J, its


@njit(cache=True)
def mle_start(N, Nsas, Rsum, rew_lik, P, Rm):  # pragma: no cover - compiled
    """Maximum-likelihood model: uniform rows where unvisited; mean reward 0 there (1 for fixed empirical rewards)."""
    Hs, S, A = N.shape
    for h in range(Hs):
        for s in range(S):
            for a in range(A):
                n = N[h, s, a]
                for s2 in range(S):
                    P[h, s, a, s2] = Nsas[h, s, a, s2] / n if n > 0.0 else 1.0 / S
                Rm[h, s, a] = Rsum[h, s, a] / n if n > 0.0 else (0.0 if rew_lik else 1.0)


@njit(cache=True)
def optimistic_start(N, Nsas, Rsum, eta, rew_lik, ended, H, P, Rm):  # pragma: no cover - compiled
    """State-wise optimistic model: the objective's row problems with weight 1 at every state.

    Backward over ``t = H-1..0`` with ``V_{t+1}`` the values of the model built so far,
    each row solves ``max_p V_{t+1}.p + eta N(s,a,.) . log p`` and each mean reward
    ``max_mu mu + eta (Rsum log mu + (N - Rsum) log(1 - mu))`` (:func:`row_argmax`);
    unvisited rows become a point mass on the best next state and reward 1. With a model
    shared by all steps the rows are re-solved at every ``t`` and the last (``t = 0``)
    solution is kept. This is an optimistic starting point for the ascent, like the
    optimistic model of UCBVI-type planners (a KL penalty in place of a confidence set).
    States in ``ended`` are worth 0 (their rows are still filled).
    """
    Hs, S, A = N.shape
    Vn = np.zeros(S)
    Vt = np.empty(S)
    g2 = np.empty(2)
    c2 = np.empty(2)
    o2 = np.empty(2)
    for t in range(H - 1, -1, -1):
        h = t if Hs > 1 else 0
        for s in range(S):
            best = -np.inf
            for a in range(A):
                n = N[h, s, a]
                row_argmax(Vn, Nsas[h, s, a], eta, P[h, s, a])
                if rew_lik:
                    g2[0] = 1.0
                    g2[1] = 0.0
                    c2[0] = Rsum[h, s, a]
                    c2[1] = max(n - Rsum[h, s, a], 0.0)
                    row_argmax(g2, c2, eta, o2)
                    Rm[h, s, a] = o2[0]
                else:
                    Rm[h, s, a] = Rsum[h, s, a] / n if n > 0.0 else 1.0
                q = Rm[h, s, a]
                for s2 in range(S):
                    q += P[h, s, a, s2] * Vn[s2]
                if q > best:
                    best = q
            Vt[s] = 0.0 if ended[s] else best
        Vn[:] = Vt


@njit(cache=True)
def mex_plan(N, Nsas, Rsum, N0, eta, rew_lik, ended, max_iter, P, Rm, policy, V0):  # pragma: no cover - compiled
    """One MEX planning step; returns ``(J, start, iterations)``.

    Runs :func:`ascent` from the maximum-likelihood model and from the state-wise
    optimistic model and keeps the one of larger objective (ties: the optimistic one);
    fills ``P``, ``Rm`` with it, ``policy`` with its optimal policy and ``V0`` with its
    ``V*_0``.
    """
    H, S = policy.shape
    rho = empirical_rho(N0)
    V = np.empty((H + 1, S))
    trace = np.empty(max_iter + 1)
    P1 = np.empty_like(P)
    R1 = np.empty_like(Rm)
    pol1 = np.empty_like(policy)
    mle_start(N, Nsas, Rsum, rew_lik, P1, R1)
    J1, it1 = ascent(P1, R1, N, Nsas, Rsum, rho, eta, rew_lik, ended, max_iter, pol1, V, trace)
    optimistic_start(N, Nsas, Rsum, eta, rew_lik, ended, H, P, Rm)
    J2, it2 = ascent(P, Rm, N, Nsas, Rsum, rho, eta, rew_lik, ended, max_iter, policy, V, trace)
    if J1 > J2:
        P[:] = P1
        Rm[:] = R1
        solve_model(P, Rm, ended, policy, V)
        V0[:] = V[0]
        return J1, START_MLE, it1
    V0[:] = V[0]
    return J2, START_OPTIMISTIC, it2


@njit(cache=True)
def mex_update(N, Nsas, Rsum, Rsq, N0, ended, H, states, actions, rewards, L):  # pragma: no cover - compiled
    """Add an episode to the counts and its initial state to ``N0``; mark its last state if it ended before ``H``."""
    add_transitions(N, Nsas, Rsum, Rsq, states, actions, rewards, L)
    N0[states[0]] += 1.0
    if L < H:  # the episode ended before H: its last state is terminal
        ended[states[L]] = True


@njit(cache=True)
def mex_loop(
    N,
    Nsas,
    Rsum,
    Rsq,
    N0,
    eta,
    rew_lik,
    ended,
    max_iter,
    cdf,
    init_cdf,
    R,
    terminal,
    Pref,
    rho,
    vstar0,
    vstar_rho,
    gen,
    regret,
    returns,
    estimates,
    margins,
    s0,
    P,
    Rm,
    policy,
    V0,
):  # pragma: no cover - compiled
    """``K = regret.shape[0]`` MEX episodes: plan, simulate, update, record."""
    H = policy.shape[0]
    states = np.empty(H + 1, np.int64)
    actions = np.empty(H, np.int64)
    rewards = np.empty(H)
    for k in range(regret.shape[0]):
        mex_plan(N, Nsas, Rsum, N0, eta, rew_lik, ended, max_iter, P, Rm, policy, V0)
        L = simulate_episode(policy, cdf, init_cdf, R, terminal, gen, states, actions, rewards)
        mex_update(N, Nsas, Rsum, Rsq, N0, ended, H, states, actions, rewards, L)
        record_episode(
            k,
            policy,
            V0,
            True,
            Pref,
            R,
            rho,
            vstar0,
            vstar_rho,
            states,
            rewards,
            L,
            regret,
            returns,
            estimates,
            margins,
            s0,
        )
