"""Independent reference computations for the rlcore tests.

Deliberately naive: explicit Python loops over states and actions, dense matrices, no
use of rlcore's Bellman helpers, so that agreement with the library is evidence.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np


def dense_tables(mdp):
    """Return (P_t, R_t) as dense lists over time (length H, or 1 if discounted)."""
    S, A = mdp.n_states, mdp.n_actions
    steps = mdp.horizon if mdp.horizon is not None else 1
    Ps, Rs = [], []
    for t in range(steps):
        Pt = mdp.transitions_at(t)
        if mdp.is_sparse:
            Pt = Pt.toarray().reshape(S, A, S)
        Ps.append(np.array(Pt, dtype=float))
        Rs.append(np.array(mdp.rewards_at(t), dtype=float))
    return Ps, Rs


def stochastic(pi, A):
    pi = np.asarray(pi)
    if np.issubdtype(pi.dtype, np.integer):
        return np.eye(A)[pi]
    return pi.astype(float)


def iterative_evaluation(mdp, policy, tol=1e-13, max_iter=100_000):
    """Successive approximation V <- r_pi + gamma P_pi V with explicit loops.

    Returns V and the a-posteriori error bound ||V - V^pi|| <= gamma/(1-gamma) * residual.
    """
    (P,), (R,) = dense_tables(mdp)
    S, A = mdp.n_states, mdp.n_actions
    pi = stochastic(policy, A)
    g = mdp.gamma
    V = np.zeros(S)
    for _ in range(max_iter):
        new = np.zeros(S)
        for s in range(S):
            for a in range(A):
                if pi[s, a] == 0.0:
                    continue
                new[s] += pi[s, a] * (R[s, a] + g * sum(P[s, a, s2] * V[s2] for s2 in range(S)))
        resid = np.max(np.abs(new - V))
        V = new
        if resid <= tol:
            break
    bound = (g / (1.0 - g)) * resid if g > 0 else 0.0
    return V, bound


def trajectory_enumeration_value(mdp, policy, s0):
    """Finite horizon: expected return from s0 at t=0 by enumerating every trajectory."""
    Ps, Rs = dense_tables(mdp)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    pi = stochastic(policy, A)
    pi_t = (lambda t: pi[t]) if pi.ndim == 3 else (lambda t: pi)
    total = 0.0
    for actions in itertools.product(range(A), repeat=H):
        for states in itertools.product(range(S), repeat=H - 1):
            path = (s0,) + states
            prob, ret = 1.0, 0.0
            for t in range(H):
                s, a = path[t], actions[t]
                prob *= pi_t(t)[s, a]
                if prob == 0.0:
                    break
                ret += Rs[t][s, a]
                if t + 1 < H:
                    prob *= Ps[t][s, a, path[t + 1]]
            total += prob * ret
    return total


def power_series_occupancy(mdp, policy, n_terms):
    """sum_{t < n_terms} gamma^t Pr(s_t = s, a_t = a) by propagating the state law."""
    (P,), _ = dense_tables(mdp)
    S, A = mdp.n_states, mdp.n_actions
    pi = stochastic(policy, A)
    d = np.zeros((S, A))
    law = np.array(mdp.initial, dtype=float)
    for t in range(n_terms):
        sa = law[:, None] * pi
        d += mdp.gamma**t * sa
        law = np.einsum("sa,sat->t", sa, P)
    return d


def _exact_policy_tables(mdp, policy, t):
    """``(P_pi, r_pi)`` at step ``t`` as lists of Fractions, from the stored floats exactly."""
    Ps, Rs = dense_tables(mdp)
    P, R = Ps[t if len(Ps) > 1 else 0], Rs[t if len(Rs) > 1 else 0]
    S, A = mdp.n_states, mdp.n_actions
    pi = np.asarray(policy)
    if np.issubdtype(pi.dtype, np.integer):
        pi_t = pi[t] if pi.ndim == 2 else pi
        w = [[Fraction(int(a == pi_t[s])) for a in range(A)] for s in range(S)]
    else:
        pi_t = pi[t] if pi.ndim == 3 else pi
        w = [[Fraction(float(pi_t[s, a])) for a in range(A)] for s in range(S)]
    P_pi = [[sum(w[s][a] * Fraction(float(P[s, a, s2])) for a in range(A)) for s2 in range(S)] for s in range(S)]
    r_pi = [sum(w[s][a] * Fraction(float(R[s, a])) for a in range(A)) for s in range(S)]
    return P_pi, r_pi


def exact_policy_values(mdp, policy):
    """V^pi of the stored MDP in exact rational arithmetic (no rounding anywhere).

    Discounted: ``(I - gamma P_pi) V = r_pi`` solved by Gaussian elimination over the
    rationals; returns a list of S Fractions. Finite horizon: exact backward recursion;
    returns H lists (``V_t`` for t = 0 .. H-1).
    """
    S = mdp.n_states
    if mdp.horizon is None:
        g = Fraction(float(mdp.gamma))
        P_pi, r_pi = _exact_policy_tables(mdp, policy, 0)
        M = [[Fraction(int(i == j)) - g * P_pi[i][j] for j in range(S)] + [r_pi[i]] for i in range(S)]
        for c in range(S):  # the matrix is strictly diagonally dominant: no pivoting needed
            for r in range(c + 1, S):
                f = M[r][c] / M[c][c]
                M[r] = [x - f * y for x, y in zip(M[r], M[c])]
        V = [Fraction(0)] * S
        for i in range(S - 1, -1, -1):
            V[i] = (M[i][S] - sum(M[i][j] * V[j] for j in range(i + 1, S))) / M[i][i]
        return V
    out = []
    v_next = [Fraction(0)] * S
    for t in range(mdp.horizon - 1, -1, -1):
        P_pi, r_pi = _exact_policy_tables(mdp, policy, t)
        v_next = [r_pi[s] + sum(P_pi[s][s2] * v_next[s2] for s2 in range(S)) for s in range(S)]
        out.append(v_next)
    return out[::-1]
