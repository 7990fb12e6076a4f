"""The distributional fixed-point bounds, checked against a 40-digit oracle.

:func:`tabular.distributional_evaluation` (discounted) iterates a projected operator and
reports ``error_bound``, a bound on the distance (supremum-Cramer for the categorical
representation, supremum-``W_inf`` for the quantile one) from its answer to the
operator's fixed point, for the normalised kernel ``P / rho`` (the stored rows sum to 1
only within the tolerance). The oracle computes the same projected operator's fixed point in mpmath
at 40 significant digits, with ``P / rho`` and the policy rows divided exactly by their
sums (categorical: one linear solve, the operator being linear for a fixed support;
quantile: iteration until the iterates stop moving at 1e-32), and measures the distance
to the library's answer. Instances: up to 3 states, 2
actions, rows scaled by ``1 + d`` with ``|d|`` up to the tolerance, ``gamma`` up to 0.9.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlcore import FiniteMDP
from tabular import distributional_evaluation

TOL = 1e-8
mp = mpmath.mp


@pytest.fixture(autouse=True)
def _forty_digits():
    old = mp.dps
    mp.dps = 40
    yield
    mp.dps = old


@st.composite
def instances(draw: Any) -> tuple[FiniteMDP, np.ndarray]:
    S, A = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w = rng.random((S, A, S)) + 0.05
    P = w / w.sum(axis=-1, keepdims=True)
    P = P * (1.0 + draw(st.floats(-0.99 * TOL, 0.99 * TOL)) * rng.uniform(-1, 1, size=(S, A, 1)))
    R = np.round(rng.uniform(-1.0, 1.0, size=(S, A)), 3)
    gamma = draw(st.sampled_from([0.0, 0.3, 0.6, 0.9]))
    pi = rng.random((S, A)) + 0.1
    pi = pi / pi.sum(axis=1, keepdims=True) * (1.0 + draw(st.floats(-0.99 * TOL, 0.99 * TOL)))
    return FiniteMDP(P, R, gamma=gamma), pi


def _normalised(mdp: FiniteMDP) -> list[list[list[Any]]]:
    P = np.asarray(mdp.P)
    S, A = mdp.n_states, mdp.n_actions
    out = []
    for s in range(S):
        rows = []
        for a in range(A):
            row = [mpmath.mpf(float(x)) for x in P[s, a]]
            total = mpmath.fsum(row)
            rows.append([x / total for x in row])
        out.append(rows)
    return out


def _policy(pi: np.ndarray, s: int) -> list[Any]:
    row = [mpmath.mpf(float(x)) for x in pi[s]]
    total = mpmath.fsum(row)
    return [x / total for x in row]


def _categorical_fixed_point(mdp: FiniteMDP, pi: np.ndarray, z: np.ndarray) -> list[list[Any]]:
    """The fixed point of the projected operator, by one 40-digit linear solve.

    For a fixed support the projected backup is linear in the probabilities:
    ``new[s, i] = sum_a pi(a|s) sum_j (sum_t Pn(t|s,a) probs[t, j]) w_ij(s, a)`` with
    ``w_ij`` the projection weight of ``r(s, a) + gamma z_j`` on atom ``i``. The fixed
    point solves ``(I - M) x = 0`` together with ``sum_i x[s, i] = 1`` for every ``s``
    (which replaces each state's last equation: mass is conserved, so it is implied).
    """
    S, A, m = mdp.n_states, mdp.n_actions, z.size
    Pn = _normalised(mdp)
    g = mpmath.mpf(float(mdp.gamma))
    zz = [mpmath.mpf(float(v)) for v in z]
    lo, hi = zz[0], zz[-1]
    step = (hi - lo) / (m - 1)

    def weights(x: Any) -> list[tuple[int, Any]]:
        if x <= lo:
            return [(0, mpmath.mpf(1))]
        if x >= hi:
            return [(m - 1, mpmath.mpf(1))]
        pos = (x - lo) / step
        left = min(int(mpmath.floor(pos)), m - 2)
        frac = pos - left
        return [(left, 1 - frac), (left + 1, frac)]

    n = S * m
    M = mpmath.zeros(n, n)  # new = M @ probs, index s * m + i
    for s in range(S):
        w_s = _policy(pi, s)
        for a in range(A):
            r = mpmath.mpf(float(mdp.R[s, a]))
            for j in range(m):
                for i, wt in weights(r + g * zz[j]):
                    for t in range(S):
                        M[s * m + i, t * m + j] += w_s[a] * Pn[s][a][t] * wt
    system = mpmath.eye(n) - M
    rhs = mpmath.zeros(n, 1)
    for s in range(S):
        row = s * m + m - 1
        for k in range(n):
            system[row, k] = 1 if s * m <= k < (s + 1) * m else 0
        rhs[row] = 1
    x = mpmath.lu_solve(system, rhs)
    return [[x[s * m + i] for i in range(m)] for s in range(S)]


def _cramer(p: list[Any], q: np.ndarray, step: Any) -> Any:
    cum, total = mpmath.mpf(0), mpmath.mpf(0)
    for j in range(len(p) - 1):
        cum += p[j] - mpmath.mpf(float(q[j]))
        total += cum * cum
    return mpmath.sqrt(total * step)


def _quantile_fixed_point(mdp: FiniteMDP, pi: np.ndarray, N: int) -> list[list[Any]]:
    S, A = mdp.n_states, mdp.n_actions
    Pn = _normalised(mdp)
    g = mpmath.mpf(float(mdp.gamma))
    theta = [[mpmath.mpf(0)] * N for _ in range(S)]
    for _ in range(5000):
        new = []
        for s in range(S):
            atoms = []
            w_s = _policy(pi, s)
            for a in range(A):
                w = w_s[a]
                r = mpmath.mpf(float(mdp.R[s, a]))
                for t in range(S):
                    for j in range(N):
                        atoms.append((r + g * theta[t][j], w * Pn[s][a][t] / N))
            atoms.sort(key=lambda x: x[0])
            out, cum, i = [], mpmath.mpf(0), 0
            for v, wt in atoms:
                cum += wt
                while i < N and cum >= mpmath.mpf(2 * i + 1) / (2 * N):
                    out.append(v)
                    i += 1
            while len(out) < N:
                out.append(atoms[-1][0])
            new.append(out)
        change = max(abs(new[s][j] - theta[s][j]) for s in range(S) for j in range(N))
        theta = new
        if change < mpmath.mpf("1e-32"):
            return theta
    raise AssertionError("the oracle did not converge")  # pragma: no cover


FEW = settings(max_examples=min(settings.default.max_examples, 12), deadline=None)


@FEW
@given(case=instances(), tol=st.sampled_from([1e-3, 1e-8, 1e-13]))
def test_categorical_error_bound_holds(case: tuple[FiniteMDP, np.ndarray], tol: float) -> None:
    mdp, pi = case
    res = distributional_evaluation(mdp, pi, representation="categorical", n_atoms=11, epsilon=tol)
    z = np.asarray(res.support)
    exact = _categorical_fixed_point(mdp, pi, z)
    step = (mpmath.mpf(float(z[-1])) - mpmath.mpf(float(z[0]))) / (z.size - 1)
    dist = max(_cramer(exact[s], res.probs[s], step) for s in range(mdp.n_states))
    assert dist <= mpmath.mpf(res.error_bound), (dist, res.error_bound)
    if res.converged:
        assert res.error_bound <= tol


@FEW
@given(case=instances(), tol=st.sampled_from([1e-3, 1e-8, 1e-13]))
def test_quantile_error_bound_holds(case: tuple[FiniteMDP, np.ndarray], tol: float) -> None:
    mdp, pi = case
    N = 5
    res = distributional_evaluation(mdp, pi, representation="quantile", n_atoms=N, epsilon=tol)
    exact = _quantile_fixed_point(mdp, pi, N)
    dist = max(abs(exact[s][i] - mpmath.mpf(float(res.atoms[s, i]))) for s in range(mdp.n_states) for i in range(N))
    assert dist <= mpmath.mpf(res.error_bound), (dist, res.error_bound)
    if res.converged:
        assert res.error_bound <= tol
