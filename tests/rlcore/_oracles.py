"""Independent reference computations for the rlcore tests.

Deliberately naive: explicit Python loops over states and actions, dense matrices, no
use of rlcore's Bellman helpers, so that agreement with the library is evidence.
"""

from __future__ import annotations

import itertools

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
