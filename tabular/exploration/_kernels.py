"""Compiled pieces shared by every online learner: simulate, record, count.

The episode engine (:mod:`tabular.exploration.engine`) runs a learner either through its
protocol methods from Python, or through the learner's own loop kernel, which calls the
functions below. Both paths draw from one :class:`numpy.random.Generator` per run in the
same order (the learner's draws when it plans, one ``random()`` for the initial state,
one per transition), and both record an episode with :func:`record_episode`, so the two
paths give bit-identical results.

:func:`simulate_episode` draws exactly what :meth:`rlcore.FiniteMDP.reset` and
:meth:`rlcore.FiniteMDP.step` draw from the same generator: the first entry of the
inverse-CDF table (:meth:`rlcore.FiniteMDP.sampling_tables`) whose value exceeds the
uniform draw.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from rlcore.mdp import FiniteMDP

__all__ = [
    "EpisodeLog",
    "EpisodeTables",
    "add_transitions",
    "draw_index",
    "episode_tables",
    "new_log",
    "policy_values",
    "record_episode",
    "simulate_episode",
    "solve_model",
]

#: Dense models above this many entries (``Hp * S * A * S``) are refused by the engine.
MAX_DENSE_ENTRIES = 10**8


class EpisodeTables(NamedTuple):
    """The arrays a loop kernel needs to simulate episodes and score their policies.

    Attributes
    ----------
    cdf : ndarray of float64, shape (Hp, S*A*S)
        Inverse-CDF tables per step (``Hp = 1`` for stationary transitions, else ``H``).
    init_cdf : ndarray of float64, shape (S,)
    R : ndarray of float64, shape (Hr, S, A)
        Expected rewards (``Hr = 1`` or ``H``).
    terminal : ndarray of bool, shape (S,)
    P : ndarray of float64, shape (Hp, S, A, S)
        Dense transitions, for the exact evaluation of each episode's policy.
    rho : ndarray of float64, shape (S,)
        Initial-state distribution.
    vstar0 : ndarray of float64, shape (S,)
        Optimal values ``V*_0``.
    vstar_rho : float
        ``rho . V*_0``.
    horizon : int
    """

    cdf: np.ndarray
    init_cdf: np.ndarray
    R: np.ndarray
    terminal: np.ndarray
    P: np.ndarray
    rho: np.ndarray
    vstar0: np.ndarray
    vstar_rho: float
    horizon: int


class EpisodeLog(NamedTuple):
    """Per-episode records of one run, each of shape (K,).

    ``regret``: ``V*_0(rho) - V^{pi_k}_0(rho)`` (NaN without a reference model);
    ``returns``: the episode's realised return; ``estimates``: ``rho . value_estimate``
    (NaN when the learner has none); ``margins``: ``min_s (value_estimate(s) - V*_0(s))``;
    ``s0``: the initial state.
    """

    regret: np.ndarray
    returns: np.ndarray
    estimates: np.ndarray
    margins: np.ndarray
    s0: np.ndarray


def new_log(n_episodes: int) -> EpisodeLog:
    """An :class:`EpisodeLog` of ``n_episodes`` entries, filled with NaN (and -1 states)."""
    K = int(n_episodes)
    return EpisodeLog(
        np.full(K, np.nan), np.full(K, np.nan), np.full(K, np.nan), np.full(K, np.nan), np.full(K, -1, np.int64)
    )


def episode_tables(mdp: FiniteMDP, vstar0: np.ndarray) -> EpisodeTables:
    """The :class:`EpisodeTables` of a dense finite-horizon MDP whose optimal values are ``vstar0``."""
    assert mdp.horizon is not None, "episode_tables needs a finite-horizon MDP"
    H, S, A = int(mdp.horizon), mdp.n_states, mdp.n_actions
    Hp = H if mdp.P.ndim == 4 else 1
    cdf = np.stack([np.asarray(mdp.sampling_tables(t)[0]) for t in range(Hp)])
    P = np.ascontiguousarray(np.asarray(mdp.P, dtype=np.float64).reshape(Hp, S, A, S))
    R = np.ascontiguousarray(np.asarray(mdp.R, dtype=np.float64).reshape(-1, S, A))
    rho = np.ascontiguousarray(mdp.initial, dtype=np.float64)
    v0 = np.ascontiguousarray(vstar0, dtype=np.float64)
    return EpisodeTables(
        cdf=np.ascontiguousarray(cdf),
        init_cdf=np.ascontiguousarray(mdp.initial_cdf),
        R=R,
        terminal=np.ascontiguousarray(mdp.terminal),
        P=P,
        rho=rho,
        vstar0=v0,
        vstar_rho=float(dot(rho, v0)),
        horizon=H,
    )


@njit(cache=True)
def dot(x, y):  # pragma: no cover - compiled
    """``sum_i x[i] y[i]`` in index order (one summation order for every path)."""
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i] * y[i]
    return acc


@njit(cache=True)
def draw_index(cdf, lo, n, u):  # pragma: no cover - compiled
    """Offset in ``[0, n)`` of the first entry of ``cdf[lo:lo+n]`` that exceeds ``u``."""
    a = lo
    b = lo + n - 1
    while a < b:
        m = (a + b) // 2
        if cdf[m] > u:
            b = m
        else:
            a = m + 1
    return a - lo


@njit(cache=True)
def simulate_episode(policy, cdf, init_cdf, R, terminal, gen, states, actions, rewards):  # pragma: no cover
    """Play one episode of the deterministic Markov ``policy`` (H, S); returns its length ``L``.

    Fills ``states[:L+1]``, ``actions[:L]``, ``rewards[:L]``; stops after step ``H - 1``
    or on entering a terminal state.
    """
    H = policy.shape[0]
    S = init_cdf.shape[0]
    A = R.shape[2]
    s = draw_index(init_cdf, 0, S, gen.random())
    states[0] = s
    for t in range(H):
        a = policy[t, s]
        tr = t if R.shape[0] > 1 else 0
        tp = t if cdf.shape[0] > 1 else 0
        rewards[t] = R[tr, s, a]
        actions[t] = a
        s = draw_index(cdf[tp], (s * A + a) * S, S, gen.random())
        states[t + 1] = s
        if terminal[s]:
            return t + 1
    return H


@njit(cache=True)
def policy_values(P, R, policy):  # pragma: no cover - compiled
    """``V^pi_0`` of shape (S,) by backward induction (``P`` of shape (Hp, S, A, S))."""
    H = policy.shape[0]
    S = P.shape[1]
    V = np.zeros(S)
    W = np.empty(S)
    for t in range(H - 1, -1, -1):
        tp = t if P.shape[0] > 1 else 0
        tr = t if R.shape[0] > 1 else 0
        for s in range(S):
            a = policy[t, s]
            acc = R[tr, s, a]
            for s2 in range(S):
                acc += P[tp, s, a, s2] * V[s2]
            W[s] = acc
        V[:] = W
    return V


@njit(cache=True)
def solve_model(P, Rm, ended, policy, V):  # pragma: no cover - compiled
    """Backward induction on a model: ``policy`` (H, S) (ties to the lowest action), ``V`` (H+1, S).

    ``P`` (Hp, S, A, S) and ``Rm`` (Hp, S, A) with ``Hp = 1`` (one model for every step)
    or ``H``. A state in ``ended`` (seen ending an episode early) is worth 0 at every step
    (policy 0). The planning step of the learners that solve a model they built or drew
    (PSRL, MEX).
    """
    H, S = policy.shape
    A = Rm.shape[2]
    for s in range(S):
        V[H, s] = 0.0
    for t in range(H - 1, -1, -1):
        h = t if P.shape[0] > 1 else 0
        for s in range(S):
            if ended[s]:
                V[t, s] = 0.0
                policy[t, s] = 0
                continue
            best = -np.inf
            best_a = 0
            for a in range(A):
                q = Rm[h, s, a]
                for s2 in range(S):
                    q += P[h, s, a, s2] * V[t + 1, s2]
                if q > best:
                    best = q
                    best_a = a
            V[t, s] = best
            policy[t, s] = best_a


@njit(cache=True)
def record_episode(
    k, policy, v_est, has_est, P, R, rho, vstar0, vstar_rho, states, rewards, L, regret, returns, estimates, margins, s0
):  # pragma: no cover - compiled
    """Fill entry ``k`` of a run's log (see :class:`EpisodeLog`); ``P`` with 0 states: no reference."""
    ret = 0.0
    for t in range(L):
        ret += rewards[t]
    returns[k] = ret
    s0[k] = states[0]
    has_ref = P.shape[1] > 0
    if has_ref:
        regret[k] = vstar_rho - dot(rho, policy_values(P, R, policy))
    if has_est:
        estimates[k] = dot(rho, v_est)
        if has_ref:
            m = np.inf
            for s in range(v_est.shape[0]):
                d = v_est[s] - vstar0[s]
                if d < m:
                    m = d
            margins[k] = m


@njit(cache=True)
def add_transitions(N, Nsas, Rsum, Rsq, states, actions, rewards, L):  # pragma: no cover - compiled
    """Add an episode's transitions to count statistics.

    ``N`` (Hs, S, A) visits, ``Nsas`` (Hs, S, A, S) transitions, ``Rsum`` and ``Rsq``
    (Hs, S, A) sums of rewards and of squared rewards; ``Hs = 1`` pools the steps
    (stationary model), ``Hs = H`` keeps one model per step.
    """
    pooled = N.shape[0] == 1
    for t in range(L):
        h = 0 if pooled else t
        s = states[t]
        a = actions[t]
        r = rewards[t]
        N[h, s, a] += 1.0
        Nsas[h, s, a, states[t + 1]] += 1.0
        Rsum[h, s, a] += r
        Rsq[h, s, a] += r * r
