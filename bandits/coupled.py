"""Coupled restless bandits with combinatorial actions (coRMAB) and their baselines.

A *coupled restless multi-armed bandit* (coRMAB, Xu, Wilder, Khalil and Tambe 2025)
has ``N`` two-state arms (0 = bad, 1 = good) and ``J`` interventions. The decision is
a binary vector ``v`` of ``D`` variables subject to linear constraints ``A_ub v <=
b_ub``, ``A_eq v = b_eq`` (:class:`ActionConstraints`); a linear map ``u = G v`` gives
the interventions each arm receives, ``u[i, j] in {0, 1}``. An arm in state ``s``
moves to the good state with probability

``p_good(i, s, u_i) = 1 - (1 - p_passive[i, s]) prod_j (1 - effects[i, j, s])^{u[i, j]}``

(each intervention independently "rescues" the arm), and the reward of a step is
``sum_i w_i s_i(t+1)``. The constraints couple the arms, so neither Whittle indices
nor the fluid LP decomposition apply. The four structures of the paper:

* :func:`multiple_interventions`: ``J`` interventions of costs ``c_j`` under one budget;
  an arm may receive several (``D = N J``);
* :func:`path_constraints`: arms are the nodes of a directed acyclic graph; the
  interventions visit the nodes of one path from a source, of at most ``L`` nodes
  (node and edge variables with flow constraints);
* :func:`scheduling_constraints`: a bipartite matching of arms to time slots, arm ``i``
  only in its available slots, slot ``k`` serving at most ``cap_k`` arms;
* :func:`capacity_constraints`: arms assigned to facilities within reach, facility
  ``f`` serving at most ``cap_f`` arms if opened, at most ``F`` facilities opened.

Baselines of the paper that need no learning: random feasible actions
(:class:`CoupledRandomPolicy`) and the myopic policy maximising the expected next reward
exactly by a MILP (:class:`CoupledMyopicPolicy`). SEQUOIA and the Q-sampling baseline
are in :mod:`bandits.sequoia`; :func:`coupled_joint_mdp` gives the exact optimum of tiny
instances.

References
----------
L. Xu, B. Wilder, E. B. Khalil, M. Tambe, Reinforcement learning with combinatorial
actions for coupled restless bandits, *ICLR* 2025.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from rlcore.validation import as_float_array, check_discount, check_positive_int
from rlcore.randomness import RNGLike, as_generator

__all__ = [
    "ActionConstraints",
    "CoupledMyopicPolicy",
    "CoupledRandomPolicy",
    "CoupledRestlessProblem",
    "capacity_constraints",
    "coupled_joint_mdp",
    "multiple_interventions",
    "path_constraints",
    "scheduling_constraints",
]

_FEAS_TOL = 1e-6


# ============================================================ action constraints
@dataclass(frozen=True)
class ActionConstraints:
    """Binary decision variables ``v in {0, 1}^D`` with linear constraints.

    Attributes
    ----------
    n_arms, n_levels : int
        ``N`` arms and ``J`` interventions.
    G : ndarray of shape (N * J, D)
        ``u = G v`` is the ``(N, J)`` intervention matrix, flattened row-major.
    A_ub, b_ub : ndarray of shape (m, D), (m,)
    A_eq, b_eq : ndarray of shape (k, D), (k,)
    name : str
    """

    n_arms: int
    n_levels: int
    G: np.ndarray
    A_ub: np.ndarray
    b_ub: np.ndarray
    A_eq: np.ndarray
    b_eq: np.ndarray
    name: str = "constraints"

    @property
    def n_vars(self) -> int:
        return int(self.G.shape[1])

    def check_action(self, v: Any) -> np.ndarray:
        """``v`` as an int64 vector of length ``D`` with 0/1 entries (else ValueError)."""
        a = np.asarray(v)
        if a.shape != (self.n_vars,):
            raise ValueError(f"action: expected shape ({self.n_vars},), got {a.shape}")
        if not np.all((a == 0) | (a == 1)):
            raise ValueError("action: expected binary entries (0 or 1)")
        return a.astype(np.int64)

    def is_feasible(self, v: Any) -> bool:
        """Whether the binary vector ``v`` satisfies every constraint (and ``u`` is 0/1)."""
        a = self.check_action(v).astype(np.float64)
        u = self.G @ a
        ok = bool(np.all(u <= 1 + _FEAS_TOL))
        if self.A_ub.size:
            ok &= bool(np.all(self.A_ub @ a <= self.b_ub + _FEAS_TOL))
        if self.A_eq.size:
            ok &= bool(np.all(np.abs(self.A_eq @ a - self.b_eq) <= _FEAS_TOL))
        return ok

    def interventions(self, v: Any) -> np.ndarray:
        """The ``(..., N, J)`` 0/1 intervention array of actions ``v`` of shape ``(..., D)``."""
        a = np.asarray(v, dtype=np.float64)
        u = a @ self.G.T
        return np.rint(u).astype(np.int64).reshape(a.shape[:-1] + (self.n_arms, self.n_levels))

    def enumerate(self, max_vars: int = 22) -> np.ndarray:
        """All feasible actions, ``ndarray of int64, shape (K, D)``, by brute force."""
        D = self.n_vars
        if D > max_vars:
            raise ValueError(f"max_vars: {D} variables > max_vars={max_vars}; enumeration is 2^D")
        allv = ((np.arange(2**D)[:, None] >> np.arange(D)[None, :]) & 1).astype(np.float64)
        ok = np.all(allv @ self.G.T <= 1 + _FEAS_TOL, axis=1)
        if self.A_ub.size:
            ok &= np.all(allv @ self.A_ub.T <= self.b_ub + _FEAS_TOL, axis=1)
        if self.A_eq.size:
            ok &= np.all(np.abs(allv @ self.A_eq.T - self.b_eq) <= _FEAS_TOL, axis=1)
        return allv[ok].astype(np.int64)

    def linear_constraints(self, n_total: int) -> list[LinearConstraint]:
        """The constraints as :class:`scipy.optimize.LinearConstraint` over ``n_total >= D`` variables."""
        D = self.n_vars
        out = []
        pad = n_total - D
        G = np.hstack([self.G, np.zeros((self.G.shape[0], pad))])
        out.append(LinearConstraint(G, -np.inf, 1.0))
        if self.A_ub.size:
            out.append(LinearConstraint(np.hstack([self.A_ub, np.zeros((self.A_ub.shape[0], pad))]), -np.inf, self.b_ub))
        if self.A_eq.size:
            out.append(LinearConstraint(np.hstack([self.A_eq, np.zeros((self.A_eq.shape[0], pad))]), self.b_eq, self.b_eq))
        return out


def _mk(N: int, J: int, G: np.ndarray, ub: list[tuple[np.ndarray, float]], eq: list[tuple[np.ndarray, float]],
        name: str) -> ActionConstraints:
    D = G.shape[1]
    A_ub = np.array([r for r, _ in ub]).reshape(len(ub), D)
    A_eq = np.array([r for r, _ in eq]).reshape(len(eq), D)
    return ActionConstraints(N, J, G, A_ub, np.array([b for _, b in ub], dtype=np.float64),
                             A_eq, np.array([b for _, b in eq], dtype=np.float64), name)


def multiple_interventions(n_arms: int, costs: Any, budget: float) -> ActionConstraints:
    """``J`` interventions of costs ``costs[j]`` under one budget; ``v = u`` (``D = N J``).

    Examples
    --------
    >>> c = multiple_interventions(3, [1.0, 2.0], 2.0)
    >>> c.n_vars, len(c.enumerate())
    (6, 10)
    """
    N = check_positive_int(n_arms, "n_arms")
    c = as_float_array(costs, "costs", ndim=1)
    if c.size == 0 or np.any(c <= 0):
        raise ValueError(f"costs: expected positive costs, got {c.tolist()}")
    J = c.size
    b = float(budget)
    if not (math.isfinite(b) and b >= 0):
        raise ValueError(f"budget: expected a finite number >= 0, got {budget!r}")
    return _mk(N, J, np.eye(N * J), [(np.tile(c, N), b)], [], "multiple interventions")


def path_constraints(n_arms: int, edges: Any, source: int, max_length: int) -> ActionConstraints:
    """Intervene on the nodes of one directed path from ``source`` (at most ``max_length`` nodes).

    Arms are the nodes ``0..N-1`` of a directed acyclic graph with ``edges`` ``(u, w)``.
    Variables: one per node (visited) then one per edge (used). Constraints: the source
    is visited; every other node is visited iff exactly one used edge enters it; a
    node's used out-edges are at most its visit; at most ``max_length - 1`` edges. In a
    DAG these force the visited nodes to form a single path from the source.

    Examples
    --------
    >>> c = path_constraints(4, [(0, 1), (0, 2), (1, 3), (2, 3)], 0, 3)
    >>> sorted(tuple(int(x) for x in v[:4]) for v in c.enumerate())
    [(1, 0, 0, 0), (1, 0, 1, 0), (1, 0, 1, 1), (1, 1, 0, 0), (1, 1, 0, 1)]
    """
    N = check_positive_int(n_arms, "n_arms")
    E = [(int(a), int(b)) for a, b in edges]
    for a, b in E:
        if not (0 <= a < N and 0 <= b < N) or a == b:
            raise ValueError(f"edges: edge ({a}, {b}) is not between distinct nodes 0..{N - 1}")
    if _has_cycle(N, E):
        raise ValueError("edges: the graph must be acyclic (a DAG)")
    src = int(source)
    if not 0 <= src < N:
        raise ValueError(f"source: expected a node in 0..{N - 1}, got {source!r}")
    L = check_positive_int(max_length, "max_length")
    D = N + len(E)
    G = np.hstack([np.eye(N), np.zeros((N, len(E)))])
    ub: list[tuple[np.ndarray, float]] = []
    eq: list[tuple[np.ndarray, float]] = []
    e_src = np.zeros(D)
    e_src[src] = 1
    eq.append((e_src, 1.0))
    for node in range(N):
        out_row = np.zeros(D)
        out_row[node] = -1
        for k, (a, b) in enumerate(E):
            if a == node:
                out_row[N + k] = 1
        ub.append((out_row, 0.0))
        if node != src:
            in_row = np.zeros(D)
            in_row[node] = -1
            for k, (a, b) in enumerate(E):
                if b == node:
                    in_row[N + k] = 1
            eq.append((in_row, 0.0))
        else:
            in_row = np.zeros(D)
            for k, (a, b) in enumerate(E):
                if b == node:
                    in_row[N + k] = 1
            if in_row.any():
                eq.append((in_row, 0.0))
    n_edges = np.zeros(D)
    n_edges[N:] = 1
    ub.append((n_edges, float(L - 1)))
    return _mk(N, 1, G, ub, eq, "path")


def _has_cycle(N: int, E: list[tuple[int, int]]) -> bool:
    indeg = np.zeros(N, dtype=int)
    adj: list[list[int]] = [[] for _ in range(N)]
    for a, b in E:
        adj[a].append(b)
        indeg[b] += 1
    stack = [i for i in range(N) if indeg[i] == 0]
    seen = 0
    while stack:
        i = stack.pop()
        seen += 1
        for j in adj[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                stack.append(j)
    return seen < N


def scheduling_constraints(availability: Any, slot_capacity: Any) -> ActionConstraints:
    """Bipartite matching of arms to time slots (one variable per available pair).

    ``availability[i, k]`` says arm ``i`` can be served in slot ``k``; slot ``k`` serves
    at most ``slot_capacity[k]`` arms and each arm is served at most once.

    Examples
    --------
    >>> c = scheduling_constraints([[1, 0], [1, 1], [0, 1]], [1, 1])
    >>> c.n_vars, len(c.enumerate())
    (4, 8)
    """
    av = np.asarray(availability)
    if av.ndim != 2 or av.size == 0:
        raise ValueError(f"availability: expected a non-empty (N, K) 0/1 array, got shape {av.shape}")
    avb = av.astype(bool)
    N, K = avb.shape
    cap = as_float_array(slot_capacity, "slot_capacity", ndim=1)
    if cap.shape != (K,) or np.any(cap < 0):
        raise ValueError(f"slot_capacity: expected {K} non-negative capacities, got {cap.tolist()}")
    pairs = [(i, k) for i in range(N) for k in range(K) if avb[i, k]]
    D = len(pairs)
    if D == 0:
        raise ValueError("availability: no arm is available in any slot")
    G = np.zeros((N, D))
    for d, (i, k) in enumerate(pairs):
        G[i, d] = 1
    ub = []
    for k in range(K):
        row = np.array([1.0 if kk == k else 0.0 for _, kk in pairs])
        ub.append((row, float(cap[k])))
    return _mk(N, 1, G, ub, [], "scheduling")


def capacity_constraints(reach: Any, capacity: Any, max_open: int) -> ActionConstraints:
    """Facility-location style capacities: assign arms to opened facilities within reach.

    Variables: one per reachable (arm, facility) pair, then one per facility (opened).
    Each arm is assigned at most once; facility ``f`` takes at most ``capacity[f]``
    arms and only if opened; at most ``max_open`` facilities are opened.

    Examples
    --------
    >>> c = capacity_constraints([[1, 0], [1, 1], [0, 1]], [1, 2], 1)
    >>> c.n_vars
    6
    """
    rc = np.asarray(reach)
    if rc.ndim != 2 or rc.size == 0:
        raise ValueError(f"reach: expected a non-empty (N, F) 0/1 array, got shape {rc.shape}")
    rb = rc.astype(bool)
    N, F = rb.shape
    cap = as_float_array(capacity, "capacity", ndim=1)
    if cap.shape != (F,) or np.any(cap < 0):
        raise ValueError(f"capacity: expected {F} non-negative capacities, got {cap.tolist()}")
    m = check_positive_int(max_open, "max_open")
    pairs = [(i, f) for i in range(N) for f in range(F) if rb[i, f]]
    P = len(pairs)
    D = P + F
    G = np.zeros((N, D))
    for d, (i, f) in enumerate(pairs):
        G[i, d] = 1
    ub = []
    for f in range(F):
        row = np.zeros(D)
        for d, (_, ff) in enumerate(pairs):
            if ff == f:
                row[d] = 1
        row[P + f] = -cap[f]
        ub.append((row, 0.0))
    opened = np.zeros(D)
    opened[P:] = 1
    ub.append((opened, float(m)))
    return _mk(N, 1, G, ub, [], "capacity")


# ============================================================ the coupled problem
class CoupledRestlessProblem:
    """A coRMAB as a batched simulator (two-state arms, combinatorial actions).

    Parameters
    ----------
    p_passive : array_like of shape (N, 2)
        Probability of moving to the good state from state ``s`` with no intervention.
    effects : array_like of shape (N, J, 2), or (N, 2) when ``J = 1``
        ``effects[i, j, s]`` in ``[0, 1]``: probability that intervention ``j`` rescues
        arm ``i`` from state ``s`` (see the module docstring).
    constraints : ActionConstraints
    weights : array_like of shape (N,), optional
        Reward per arm in the good state (default 1).
    discount : float in [0, 1)
    initial : array_like of shape (N,), optional
        Probability that each arm starts good (default 0.5).

    Examples
    --------
    >>> c = multiple_interventions(3, [1.0], 1.0)
    >>> prob = CoupledRestlessProblem([[0.2, 0.6]] * 3, [[0.5, 0.5]] * 3, c, discount=0.9)
    >>> s = prob.reset(2, rng=0)
    >>> s2, r, _ = prob.step(s, np.array([[1, 0, 0], [0, 0, 1]]), rng=0)
    >>> s2.shape, r.shape
    ((2, 3), (2,))
    """

    def __init__(self, p_passive: Any, effects: Any, constraints: ActionConstraints, *, weights: Any = None,
                 discount: float = 0.95, initial: Any = None) -> None:
        if not isinstance(constraints, ActionConstraints):
            raise TypeError(f"constraints: expected ActionConstraints, got {type(constraints).__name__}")
        N, J = constraints.n_arms, constraints.n_levels
        p0 = as_float_array(p_passive, "p_passive", ndim=2)
        if p0.shape != (N, 2) or np.any((p0 < 0) | (p0 > 1)):
            raise ValueError(f"p_passive: expected probabilities of shape ({N}, 2), got shape {p0.shape}")
        ef = as_float_array(effects, "effects", ndim=(2, 3))
        if ef.ndim == 2:
            ef = ef[:, None, :]
        if ef.shape != (N, J, 2) or np.any((ef < 0) | (ef > 1)):
            raise ValueError(f"effects: expected values in [0, 1] of shape ({N}, {J}, 2), got {ef.shape}")
        w = np.ones(N) if weights is None else as_float_array(weights, "weights", ndim=1)
        if w.shape != (N,):
            raise ValueError(f"weights: expected shape ({N},), got {w.shape}")
        init = np.full(N, 0.5) if initial is None else as_float_array(initial, "initial", ndim=1)
        if init.shape != (N,) or np.any((init < 0) | (init > 1)):
            raise ValueError(f"initial: expected probabilities of shape ({N},)")
        self.p_passive, self.effects, self.weights, self.initial = p0, ef, w, init
        self.constraints = constraints
        self.discount = check_discount(discount, "discount")

    @property
    def n_arms(self) -> int:
        return self.constraints.n_arms

    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """``n`` initial joint states, ``ndarray of int64, shape (n, N)``."""
        n = check_positive_int(n, "n")
        gen = as_generator(rng)
        return (gen.random((n, self.n_arms)) < self.initial).astype(np.int64)

    def p_good(self, states: Any, u: Any) -> np.ndarray:
        """Probability of the good state next, ``(n, N)``, for states ``(n, N)`` and interventions ``(n, N, J)``."""
        s = np.asarray(states, dtype=np.int64)
        arm = np.arange(self.n_arms)
        base = self.p_passive[arm[None, :], s]
        eff = self.effects[arm[None, :, None], np.arange(self.constraints.n_levels)[None, None, :], s[:, :, None]]
        keep = np.prod(np.where(np.asarray(u) > 0, 1.0 - eff, 1.0), axis=-1)
        return np.asarray(1.0 - (1.0 - base) * keep)

    def step(self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(next_states (n, N), rewards (n,), terminated (n,))``; infeasible actions raise ValueError.

        ``rewards = sum_i w_i * next_states[:, i]``.
        """
        s = np.asarray(states)
        a = np.asarray(actions)
        N, D = self.n_arms, self.constraints.n_vars
        if s.ndim != 2 or s.shape[1] != N or not np.all((s == 0) | (s == 1)):
            raise ValueError(f"states: expected 0/1 array of shape (n, {N}), got shape {s.shape}")
        if a.shape != (s.shape[0], D):
            raise ValueError(f"actions: expected shape ({s.shape[0]}, {D}), got {a.shape}")
        for row in range(a.shape[0]):
            if not self.constraints.is_feasible(a[row]):
                raise ValueError(f"actions: row {row} violates the {self.constraints.name} constraints")
        gen = as_generator(rng)
        pg = self.p_good(s, self.constraints.interventions(a))
        nxt = (gen.random(pg.shape) < pg).astype(np.int64)
        return nxt, nxt @ self.weights, np.zeros(s.shape[0], dtype=bool)

    def __repr__(self) -> str:
        return (f"CoupledRestlessProblem(n_arms={self.n_arms}, n_vars={self.constraints.n_vars}, "
                f"constraints={self.constraints.name!r}, discount={self.discount})")


def coupled_joint_mdp(problem: CoupledRestlessProblem, *, max_vars: int = 22) -> tuple[Any, np.ndarray, np.ndarray]:
    """The exact joint MDP (``2^N`` states, all feasible actions enumerated) of a tiny coRMAB.

    Returns ``(mdp, states (2^N, N), actions (K, D))``; rewards are expected next rewards.

    Examples
    --------
    >>> c = multiple_interventions(2, [1.0], 1.0)
    >>> mdp, st, ac = coupled_joint_mdp(CoupledRestlessProblem([[0.2, 0.6]] * 2, [[0.5, 0.5]] * 2, c))
    >>> mdp.n_states, mdp.n_actions
    (4, 3)
    """
    from rlcore.mdp import FiniteMDP

    if not isinstance(problem, CoupledRestlessProblem):
        raise TypeError(f"problem: expected a CoupledRestlessProblem, got {type(problem).__name__}")
    N = problem.n_arms
    states = np.array(list(itertools.product((0, 1), repeat=N)), dtype=np.int64)
    acts = problem.constraints.enumerate(max_vars)
    u = problem.constraints.interventions(acts)  # (K, N, J)
    S, K = states.shape[0], acts.shape[0]
    P = np.ones((S, K, 1))
    R = np.zeros((S, K))
    for k in range(K):
        pg = problem.p_good(states, np.broadcast_to(u[k], (S,) + u[k].shape))  # (S, N)
        R[:, k] = pg @ problem.weights
    pg_all = np.stack([problem.p_good(states, np.broadcast_to(u[k], (S,) + u[k].shape)) for k in range(K)], axis=1)
    for i in range(N):
        Pi = np.stack([1.0 - pg_all[:, :, i], pg_all[:, :, i]], axis=-1)  # (S, K, 2)
        P = (P[:, :, :, None] * Pi[:, :, None, :]).reshape(S, K, -1)
    init = np.ones(1)
    for i in range(N):
        init = np.outer(init, [1 - problem.initial[i], problem.initial[i]]).ravel()
    return FiniteMDP(P, R, gamma=problem.discount, initial=init), states, acts


# ============================================================ policies
def _milp_max_linear(obj: np.ndarray, constraints: ActionConstraints, extra: tuple[np.ndarray, np.ndarray, list[LinearConstraint]] | None = None) -> np.ndarray:
    D = constraints.n_vars
    n_total = D if extra is None else D + extra[0].size
    c = np.zeros(n_total)
    c[: obj.size] = -obj
    integ = np.ones(n_total)
    cons = constraints.linear_constraints(n_total)
    if extra is not None:
        c[D:] = -extra[0]
        cons += extra[2]
    res = milp(c, integrality=integ, bounds=Bounds(0, 1), constraints=cons, options={"mip_rel_gap": 1e-9})
    if res.x is None:
        raise RuntimeError(f"MILP failed: {res.message}")
    return np.rint(res.x[:D]).astype(np.int64)


class CoupledRandomPolicy:
    """Random feasible actions: the maximiser of ``sum_{i,j} xi_{ij} u_{ij}`` over feasible
    actions, ``xi`` i.i.d. uniform on ``(0, 1)`` (a random maximal feasible action); found
    by enumeration when ``D <= enumerate_up_to``, else by MILP.

    Examples
    --------
    >>> c = multiple_interventions(3, [1.0], 2.0)
    >>> prob = CoupledRestlessProblem([[0.2, 0.6]] * 3, [[0.5, 0.5]] * 3, c)
    >>> int(CoupledRandomPolicy(prob)(np.zeros((1, 3), dtype=int), 0, np.random.default_rng(0)).sum())
    2
    """

    def __init__(self, problem: CoupledRestlessProblem, *, enumerate_up_to: int = 16) -> None:
        self.problem = problem
        c = problem.constraints
        self._feasible = c.enumerate() if c.n_vars <= enumerate_up_to else None
        self._feasible_u = None if self._feasible is None else self._feasible @ c.G.T

    def __call__(self, states: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        c = self.problem.constraints
        n = np.asarray(states).shape[0]
        out = np.empty((n, c.n_vars), dtype=np.int64)
        for j in range(n):
            xi = rng.random(c.G.shape[0])
            tie = 1e-6 * rng.random(c.n_vars)
            if self._feasible is not None and self._feasible_u is not None:
                # the same maximiser, by enumeration of the (small) feasible set
                out[j] = self._feasible[int(np.argmax(self._feasible_u @ xi + self._feasible @ tie))]
            else:
                out[j] = _milp_max_linear(xi @ c.G + tie, c)
        return out


class CoupledMyopicPolicy:
    """Maximise the expected next reward ``sum_i w_i p_good(i, s_i, u_i)`` exactly.

    The objective is not linear in ``u`` when an arm may receive several interventions;
    it is made linear with one binary per (arm, subset of interventions) ``y_{iT}``,
    ``sum_T y_{iT} = 1`` and ``u_{ij} = sum_{T containing j} y_{iT}``, and solved by MILP.

    Examples
    --------
    >>> c = multiple_interventions(2, [1.0], 1.0)
    >>> prob = CoupledRestlessProblem([[0.2, 0.6]] * 2, [[0.1, 0.1], [0.6, 0.6]], c)
    >>> CoupledMyopicPolicy(prob)(np.zeros((1, 2), dtype=int), 0, np.random.default_rng(0)).tolist()
    [[0, 1]]
    """

    def __init__(self, problem: CoupledRestlessProblem) -> None:
        self.problem = problem
        J = problem.constraints.n_levels
        self.subsets = np.array(list(itertools.product((0, 1), repeat=J)), dtype=np.int64)  # (2^J, J)
        self._cache: dict[bytes, np.ndarray] = {}

    def _solve(self, s: np.ndarray) -> np.ndarray:
        prob = self.problem
        c = prob.constraints
        N, J, D = c.n_arms, c.n_levels, c.n_vars
        T = self.subsets.shape[0]
        ny = N * T
        n_total = D + ny
        u_sub = np.broadcast_to(self.subsets[None, :, :], (N, T, J))
        pg = np.stack([prob.p_good(s[None, :], u_sub[:, t][None])[0] for t in range(T)], axis=1)  # (N, T)
        obj = (prob.weights[:, None] * pg).reshape(ny)
        cons = []
        A1 = np.zeros((N, n_total))
        for i in range(N):
            A1[i, D + i * T: D + (i + 1) * T] = 1
        cons.append(LinearConstraint(A1, 1, 1))
        A2 = np.zeros((N * J, n_total))
        A2[:, :D] = -c.G
        for i in range(N):
            for j in range(J):
                A2[i * J + j, D + i * T: D + (i + 1) * T] = self.subsets[:, j]
        cons.append(LinearConstraint(A2, 0, 0))
        return _milp_max_linear(np.zeros(D), c, (obj, np.zeros(0), cons))

    def __call__(self, states: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        s = np.asarray(states, dtype=np.int64)
        out = np.empty((s.shape[0], self.problem.constraints.n_vars), dtype=np.int64)
        for j in range(s.shape[0]):
            key = s[j].tobytes()
            if key not in self._cache:
                self._cache[key] = self._solve(s[j])
            out[j] = self._cache[key]
        return out
