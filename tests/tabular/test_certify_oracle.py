"""Every certified bound, checked against exact rational arithmetic.

The MDP a planner certifies is the one stored: rows of ``P`` that sum to 1 only within
the accepted tolerance (``rlcore.PROBABILITY_ATOL`` = 1e-8), rewards and discount as the
float64 numbers they are. The oracle converts every stored float to a
:class:`fractions.Fraction` (exactly), finds ``V*`` by exact policy iteration (exact
policy evaluation by Gaussian elimination over the rationals, exact improvement until no
action is better), evaluates the returned policy exactly, and compares each bound with
no tolerance at all:

* ``V_lower <= V* <= V_upper``, ``|V - V*| <= value_bound``,
  ``V* - V^policy <= suboptimality_bound``;
* ``converged`` only when both bounds are within ``epsilon``;
* for :func:`tabular.certify` of an arbitrary ``V``: the bracket, the sup bound, the
  centre bound and the greedy policy's suboptimality;
* :func:`rlcore.evaluate_policy`'s ``error_bound``; :func:`tabular.backward_induction`'s
  rounding allowances against exact backward induction; the gain bracket of
  :func:`tabular.relative_value_iteration` against the exact gains of every policy of the
  normalised kernel.

Instances are drawn by hypothesis: up to 5 states and 3 actions, dense and sparse, rows
built as ``w / w.sum()`` and then scaled by ``1 + d`` with ``|d|`` anywhere up to the
tolerance, rewards up to ``1e3`` in size, ``gamma`` up to 0.9999, ``epsilon`` from 0.1
down to below the rounding floor (1e-14). The two counterexamples of issue 17 are pinned.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import product
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tabular
from rlcore import FiniteMDP, evaluate_policy
from rlcore.generators import random_mdp

F = Fraction
TOL = 1e-8  # the accepted row-sum tolerance


# ------------------------------------------------------------------------ exact oracle
class Exact:
    """The stored MDP in exact rational arithmetic."""

    def __init__(self, mdp: FiniteMDP) -> None:
        P = mdp.P.toarray() if mdp.is_sparse else np.asarray(mdp.P)
        self.S, self.A = mdp.n_states, mdp.n_actions
        self.P = (
            [[[F(float(x)) for x in P[s, a]] for a in range(self.A)] for s in range(self.S)] if P.ndim == 3 else None
        )
        if P.ndim == 2:  # sparse rows s*A + a
            self.P = [[[F(float(x)) for x in P[s * self.A + a]] for a in range(self.A)] for s in range(self.S)]
        self.R = [[F(float(mdp.R[s, a])) for a in range(self.A)] for s in range(self.S)]
        self.g = F(float(mdp.gamma)) if mdp.gamma is not None else F(1)

    def q(self, V: list[Fraction]) -> list[list[Fraction]]:
        return [
            [self.R[s][a] + self.g * sum(p * v for p, v in zip(self.P[s][a], V)) for a in range(self.A)]
            for s in range(self.S)
        ]

    def value(self, pi: Any) -> list[Fraction]:
        """Exact ``(I - gamma P_pi)^{-1} r_pi`` for a deterministic (S,) or stochastic (S, A) policy."""
        S, A = self.S, self.A
        pi = np.asarray(pi)
        if pi.ndim == 1:
            w = [[F(int(a == pi[s])) for a in range(A)] for s in range(S)]
        else:
            w = [[F(float(pi[s, a])) for a in range(A)] for s in range(S)]
        M = [
            [F(int(s == t)) - self.g * sum(w[s][a] * self.P[s][a][t] for a in range(A)) for t in range(S)]
            for s in range(S)
        ]
        b = [sum(w[s][a] * self.R[s][a] for a in range(A)) for s in range(S)]
        return solve(M, b)

    def optimal(self, start: Any) -> tuple[list[Fraction], list[int]]:
        """Exact policy iteration from ``start``: ``(V*, an optimal policy)``."""
        pi = [int(a) for a in start]
        for _ in range(100):
            V = self.value(np.array(pi))
            Q = self.q(V)
            changed = False
            for s in range(self.S):
                best = max(range(self.A), key=lambda a: Q[s][a])
                if Q[s][best] > Q[s][pi[s]]:
                    pi[s] = best
                    changed = True
            if not changed:
                return V, pi
        raise AssertionError("exact policy iteration did not terminate")  # pragma: no cover


def solve(M: list[list[Fraction]], b: list[Fraction]) -> list[Fraction]:
    """Gaussian elimination over the rationals (partial pivoting on non-zero)."""
    n = len(b)
    A = [row[:] + [b[i]] for i, row in enumerate(M)]
    for c in range(n):
        p = next(r for r in range(c, n) if A[r][c] != 0)
        A[c], A[p] = A[p], A[c]
        for r in range(n):
            if r != c and A[r][c] != 0:
                f = A[r][c] / A[c][c]
                A[r] = [x - f * y for x, y in zip(A[r], A[c])]
    return [A[i][n] / A[i][i] for i in range(n)]


def exact(x: float) -> Fraction:
    return F(float(x))


def assert_bracket(lower: np.ndarray, upper: np.ndarray, truth: list[Fraction], what: str) -> None:
    for s, v in enumerate(truth):
        assert exact(lower[s]) <= v <= exact(upper[s]), (
            f"{what}: state {s}: V* = {float(v)!r} outside [{lower[s]!r}, {upper[s]!r}]"
        )


def assert_within(V: np.ndarray, truth: list[Fraction], bound: float, what: str) -> None:
    err = max(abs(exact(V[s]) - v) for s, v in enumerate(truth))
    assert err <= exact(bound), f"{what}: |V - V*| = {float(err)!r} > certified {bound!r}"


def check_result(mdp: FiniteMDP, res: Any, ex: Exact, Vstar: list[Fraction], what: str) -> None:
    assert_bracket(res.V_lower, res.V_upper, Vstar, what)
    assert_within(res.V, Vstar, res.value_bound, what)
    Vpi = ex.value(res.policy)
    loss = max(v - w for v, w in zip(Vstar, Vpi))
    assert loss <= exact(res.suboptimality_bound), (
        f"{what}: V* - V^policy = {float(loss)!r} > certified {res.suboptimality_bound!r}"
    )
    if res.converged:
        assert res.value_bound <= res.epsilon and res.suboptimality_bound <= res.epsilon, what


# ------------------------------------------------------------------------ instances
@st.composite
def stored_mdps(draw: Any, *, max_gamma: float = 0.9999) -> FiniteMDP:
    """Small MDPs whose rows sum to 1 only within the tolerance, dense or sparse."""
    S = draw(st.integers(1, 5))
    A = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w = rng.integers(0, 5, size=(S, A, S)).astype(float)
    w[..., 0] += w.sum(axis=-1) == 0  # no empty row
    sparse_support = draw(st.booleans())
    if not sparse_support:
        w += rng.random((S, A, S))  # dense rows with irrational-looking entries
    P = w / w.sum(axis=-1, keepdims=True)
    kind = draw(st.sampled_from(["exact", "scaled", "entry"]))
    if kind == "scaled":  # every row scaled by 1 + d, |d| anywhere inside the tolerance
        d = draw(st.floats(-0.99 * TOL, 0.99 * TOL))
        spread = rng.uniform(-1.0, 1.0, size=(S, A, 1)) if draw(st.booleans()) else np.ones((S, A, 1))
        P = P * (1.0 + d * spread)
    elif kind == "entry":  # one entry moved by up to the tolerance
        s, a = int(rng.integers(S)), int(rng.integers(A))
        j = int(np.argmax(P[s, a]))
        P[s, a, j] += draw(st.floats(-0.99 * TOL, 0.99 * TOL)) if P[s, a, j] > TOL else 0.0
    scale = draw(st.sampled_from([1.0, 1e-3, 1e3]))
    R = rng.uniform(-1.0, 1.0, size=(S, A)) * scale
    if draw(st.booleans()):
        R = np.round(R, 1)  # ties between actions
    gamma = draw(st.one_of(st.sampled_from([0.0, 0.5, 0.9, 0.99, 0.999, max_gamma]), st.floats(0.0, max_gamma)))
    if draw(st.booleans()):
        M = sp.csr_array(P.reshape(S * A, S))
        return FiniteMDP(M, R, gamma=gamma)
    return FiniteMDP(P, R, gamma=gamma)


EPSILONS = st.sampled_from([1e-1, 1e-4, 1e-8, 1e-10, 1e-12, 1e-14])
SLOW = settings(
    max_examples=min(settings.default.max_examples, 40),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BUDGET = 20_000  # sweeps; unconverged runs must still be certified


# ------------------------------------------------------------------------ properties
@SLOW
@given(mdp=stored_mdps(), epsilon=EPSILONS, data=st.data())
def test_planner_bounds_hold_exactly(mdp: FiniteMDP, epsilon: float, data: Any) -> None:
    ex = Exact(mdp)
    start = np.argmax(mdp.R, axis=1)
    Vstar, _ = ex.optimal(start)
    runs = {
        "VI jacobi span": lambda: tabular.value_iteration(mdp, epsilon=epsilon, max_iter=BUDGET),
        "VI jacobi sup": lambda: tabular.value_iteration(mdp, epsilon=epsilon, max_iter=BUDGET, stopping="sup"),
        "VI gauss-seidel": lambda: tabular.value_iteration(
            mdp,
            epsilon=epsilon,
            max_iter=BUDGET,
            variant="gauss-seidel",
            stopping=data.draw(st.sampled_from(["span", "sup"])),
        ),
        "MPI": lambda: tabular.modified_policy_iteration(
            mdp, epsilon=epsilon, max_iter=BUDGET, m=data.draw(st.sampled_from([0, 1, 5, "auto"]))
        ),
        "PI": lambda: tabular.policy_iteration(mdp, epsilon=epsilon),
        "solve": lambda: tabular.solve(mdp, epsilon=epsilon),
    }
    for what, run in runs.items():
        check_result(mdp, run(), ex, Vstar, f"{what} (eps={epsilon:g}, gamma={mdp.gamma!r}, {mdp!r})")


@SLOW
@given(mdp=stored_mdps(), data=st.data())
def test_certify_any_estimate_exactly(mdp: FiniteMDP, data: Any) -> None:
    ex = Exact(mdp)
    Vstar, _ = ex.optimal(np.argmax(mdp.R, axis=1))
    near = np.array([float(v) for v in Vstar])
    noise = data.draw(st.sampled_from([0.0, 1e-12, 1e-6, 1.0, 1e3]))
    V = near + noise * np.random.default_rng(data.draw(st.integers(0, 99))).standard_normal(mdp.n_states)
    V = V + data.draw(st.sampled_from([0.0, 1.0, -50.0]))  # off in level, right in shape
    c = tabular.certify(mdp, V)
    assert_bracket(c.V_lower, c.V_upper, Vstar, "certify")
    assert_within(c.V, Vstar, c.sup_bound, "certify sup")
    assert_within(c.centre, Vstar, c.centre_bound, "certify centre")
    Vpi = ex.value(c.policy)
    for s in range(mdp.n_states):  # the greedy policy's value is inside the bracket too
        assert exact(c.V_lower[s]) <= Vpi[s] <= Vstar[s]
    assert max(v - w for v, w in zip(Vstar, Vpi)) <= exact(c.suboptimality_bound)


@SLOW
@given(mdp=stored_mdps(), data=st.data())
def test_policy_evaluation_error_bound_exactly(mdp: FiniteMDP, data: Any) -> None:
    ex = Exact(mdp)
    S, A = mdp.n_states, mdp.n_actions
    if data.draw(st.booleans()):
        pi = np.array(data.draw(st.lists(st.integers(0, A - 1), min_size=S, max_size=S)))
    else:  # stochastic rows, scaled by 1 + d with |d| inside the policy tolerance
        w = np.random.default_rng(data.draw(st.integers(0, 99))).random((S, A)) + 1e-3
        pi = w / w.sum(axis=1, keepdims=True) * (1.0 + data.draw(st.floats(-0.99 * TOL, 0.99 * TOL)))
    ev = evaluate_policy(mdp, pi)
    assert_within(ev.V, ex.value(pi), ev.error_bound, "evaluate_policy")
    # finite horizon: exact backward recursion over the rationals against the rounded one
    H = data.draw(st.integers(1, 8))
    P = mdp.P.toarray().reshape(S, A, S) if mdp.is_sparse else np.array(mdp.P)
    fh = FiniteMDP(P, np.array(mdp.R), horizon=H)
    ev = evaluate_policy(fh, pi)
    exf = Exact(fh)
    w = [[F(int(a == pi[s])) if np.ndim(pi) == 1 else F(float(pi[s, a])) for a in range(A)] for s in range(S)]
    V = [F(0)] * S
    for t in range(H - 1, -1, -1):
        Q = exf.q(V)
        V = [sum(w[s][a] * Q[s][a] for a in range(A)) for s in range(S)]
        assert_within(ev.V[t], V, ev.error_bound, f"evaluate_policy, finite horizon, t={t}")


@SLOW
@given(mdp=stored_mdps(max_gamma=0.9999), data=st.data())
def test_backward_induction_allowance_exactly(mdp: FiniteMDP, data: Any) -> None:
    H = data.draw(st.integers(1, 12))
    P = mdp.P.toarray().reshape(mdp.n_states, mdp.n_actions, mdp.n_states) if mdp.is_sparse else np.array(mdp.P)
    fh = FiniteMDP(P, np.array(mdp.R), horizon=H)
    res = tabular.backward_induction(fh)
    ex = Exact(fh)
    V = [F(0)] * fh.n_states
    values = []
    for _ in range(H):
        Q = ex.q(V)
        V = [max(row) for row in Q]
        values.append(V)
    values = values[::-1]  # values[t] = V*_t
    for t in range(H):
        assert_bracket(res.V_lower[t], res.V_upper[t], values[t], f"backward induction t={t}")
    # the computed policy loses at most suboptimality_bound at t = 0
    Vpi = [F(0)] * fh.n_states
    for t in range(H - 1, -1, -1):
        Q = ex.q(Vpi)
        Vpi = [Q[s][int(res.policy[t, s])] for s in range(fh.n_states)]
    assert max(v - w for v, w in zip(values[0], Vpi)) <= exact(res.suboptimality_bound)


@SLOW
@given(mdp=stored_mdps(), data=st.data())
def test_relative_value_iteration_gain_bracket_exactly(mdp: FiniteMDP, data: Any) -> None:
    """Gain of the normalised kernel ``P / rho``, for strictly positive rows (every policy unichain)."""
    S, A = mdp.n_states, mdp.n_actions
    P = mdp.P.toarray().reshape(S, A, S) if mdp.is_sparse else np.array(mdp.P)
    P = P + 1e-3 * (P == 0)  # strictly positive: every policy's chain is irreducible
    P = P / P.sum(axis=-1, keepdims=True) * (1.0 + data.draw(st.floats(-0.99 * TOL, 0.99 * TOL)))
    m = FiniteMDP(P, np.array(mdp.R), gamma=0.5)
    res = tabular.relative_value_iteration(m, epsilon=data.draw(EPSILONS), max_iter=5000)
    Pf = [[[F(float(x)) for x in P[s, a]] for a in range(A)] for s in range(S)]
    Pn = [[[x / sum(row) for x in row] for row in Pf[s]] for s in range(S)]
    Rf = [[F(float(m.R[s, a])) for a in range(A)] for s in range(S)]
    best = None
    gain_of_result = None
    for pi in product(range(A), repeat=S):
        # stationary distribution: mu (I - P_pi) = 0, sum mu = 1 (replace the last equation)
        M = [[(F(int(s == t)) - Pn[t][pi[t]][s]) for t in range(S)] for s in range(S)]
        M[-1] = [F(1)] * S
        b = [F(0)] * (S - 1) + [F(1)]
        mu = solve(M, b)
        g = sum(mu[s] * Rf[s][pi[s]] for s in range(S))
        best = g if best is None or g > best else best
        if list(pi) == [int(a) for a in res.policy]:
            gain_of_result = g
    assert exact(res.gain_lower) <= best <= exact(res.gain_upper)
    assert gain_of_result is not None and gain_of_result >= exact(res.gain_lower)
    assert best - gain_of_result <= exact(res.suboptimality_bound)


# ------------------------------------------------------------------------ issue 17's counterexamples
def test_issue_counterexample_rows_inside_tolerance() -> None:
    """Rows scaled by 1 - 5e-9: VI used to report value_bound 4e-9 with V off by 2e-5."""
    b = random_mdp(3, 2, gamma=0.99, rng=1)
    mdp = FiniteMDP(np.asarray(b.P) * (1 - 5e-9), b.R, gamma=0.99)
    ex = Exact(mdp)
    Vstar, _ = ex.optimal(np.argmax(mdp.R, axis=1))
    for res in (
        tabular.value_iteration(mdp, epsilon=1e-8),
        tabular.modified_policy_iteration(mdp, epsilon=1e-8),
        tabular.solve(mdp, epsilon=1e-8),
    ):
        check_result(mdp, res, ex, Vstar, res.method)
        assert res.converged  # recentring reaches the target despite the rows' deficit


def test_issue_counterexample_gamma_close_to_one() -> None:
    """Stored rows sum to 1 +- 2e-16; at gamma = 0.9999 the old bracket was 2x too narrow."""
    mdp = random_mdp(5, 2, branching=3, gamma=0.9999, rng=450104838)
    ex = Exact(mdp)
    Vstar, _ = ex.optimal(np.argmax(mdp.R, axis=1))
    res = tabular.value_iteration(mdp, epsilon=1e-8)
    check_result(mdp, res, ex, Vstar, "value_iteration")


def test_no_fixed_point_is_refused() -> None:
    """gamma * max row sum >= 1: the stored discounted operator has no fixed point."""
    P = np.full((1, 1, 1), 1.0 + 0.9e-8)
    with pytest.raises(ValueError, match=r"^gamma\b.*contraction"):
        FiniteMDP(P, [[1.0]], gamma=1.0 - 1e-9)
    FiniteMDP(P, [[1.0]], gamma=1.0 - 1e-7)  # gamma * rho < 1: accepted
