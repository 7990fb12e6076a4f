"""Combinatorial action sets of coupled restless bandits: binary variables under linear constraints.

The decision of a coupled restless bandit (:mod:`bandits.restless.coupled`) is a binary
vector ``v`` of ``D`` variables subject to linear constraints ``A_ub v <= b_ub``,
``A_eq v = b_eq``; a linear map ``u = G v`` gives the interventions each arm receives,
``u[i, j] in {0, 1}`` (:class:`ActionConstraints`). The four structures of Xu, Wilder,
Khalil and Tambe (2025):

* :func:`multiple_interventions`: ``J`` interventions of costs ``c_j`` under one budget;
  an arm may receive several (``D = N J``);
* :func:`path_constraints`: arms are the nodes of a directed acyclic graph; the
  interventions visit the nodes of one path from a source, of at most ``L`` nodes
  (node and edge variables with flow constraints);
* :func:`scheduling_constraints`: a bipartite matching of arms to time slots, arm ``i``
  only in its available slots, slot ``k`` serving at most ``cap_k`` arms;
* :func:`capacity_constraints`: arms assigned to facilities within reach, facility
  ``f`` serving at most ``cap_f`` arms if opened, at most ``F`` facilities opened.

References
----------
L. Xu, B. Wilder, E. B. Khalil, M. Tambe, Reinforcement learning with combinatorial
actions for coupled restless bandits, *ICLR* 2025.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from bandits._constraints import MAX_ARMS, MAX_ENUMERATED_VARS
from rlcore.validation import (
    Array,
    Instance,
    Integer,
    InvalidParameterError,
    Real,
    check_int,
    shape_of,
    validate_params,
    value_of,
)

__all__ = [
    "ActionConstraints",
    "capacity_constraints",
    "multiple_interventions",
    "path_constraints",
    "scheduling_constraints",
]

_FEAS_TOL = 1e-6

#: Most decision variables (and interventions ``N J``) of a constraint set: the model
#: keeps dense ``(N J, D)`` and ``(m, D)`` matrices.
MAX_VARS: int = 2000

#: Most interventions per arm: the myopic policy enumerates the ``2^J`` subsets.
MAX_LEVELS: int = 16


_ENUMERATE = Integer(0, MAX_ENUMERATED_VARS)
#: A 0/1 matrix: booleans, or integers in {0, 1}.
_ZERO_ONE = Array("bool", ndim=2) | Array("int", ndim=2, low=0, high=1)


def _n_arms_times_levels(args: dict) -> int | None:
    n, j = value_of("n_arms")(args), value_of("n_levels")(args)
    return None if n is None or j is None else n * j


# ============================================================ action constraints
@validate_params(
    n_arms=Integer(1, MAX_ARMS),
    n_levels=Integer(1, MAX_LEVELS),
    G=Array(ndim=2, shape=(_n_arms_times_levels, None)),
    A_ub=Array(ndim=2, shape=(None, shape_of("G", 1)), min_size=0),
    b_ub=Array(ndim=1, shape=(shape_of("A_ub", 0),), min_size=0),
    A_eq=Array(ndim=2, shape=(None, shape_of("G", 1)), min_size=0),
    b_eq=Array(ndim=1, shape=(shape_of("A_eq", 0),), min_size=0),
    name=Instance(str, what="a name (str)"),
)
@dataclass(frozen=True, repr=False)
class ActionConstraints:
    """Binary decision variables ``v in {0, 1}^D`` with linear constraints.

    Attributes
    ----------
    n_arms, n_levels : int
        ``N`` arms (at most ``10**4``) and ``J`` interventions (at most 16).
    G : ndarray of shape (N * J, D)
        ``u = G v`` is the ``(N, J)`` intervention matrix, flattened row-major;
        ``D <= 2000`` and ``N J <= 2000``.
    A_ub, b_ub : ndarray of shape (m, D), (m,)
    A_eq, b_eq : ndarray of shape (k, D), (k,)
        Finite entries (``m`` or ``k`` may be 0: arrays of shape ``(0, D)`` and
        ``(0,)``).
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

    def __post_init__(self) -> None:
        D = self.G.shape[1]
        if D > MAX_VARS or self.G.shape[0] > MAX_VARS:
            raise InvalidParameterError(
                "G", f"expected at most {MAX_VARS} variables and interventions, got shape {self.G.shape}"
            )

    @property
    def n_vars(self) -> int:
        """``D``, the number of binary decision variables."""
        return int(self.G.shape[1])

    def __repr__(self) -> str:
        return (
            f"ActionConstraints(name={self.name!r}, n_arms={self.n_arms}, n_levels={self.n_levels}, "
            f"n_vars={self.n_vars}, n_ub={self.A_ub.shape[0]}, n_eq={self.A_eq.shape[0]})"
        )

    def check_action(self, v: Any) -> np.ndarray:
        """``v`` as an int64 vector of length ``D`` with 0/1 entries (else InvalidParameterError)."""
        a = np.asarray(v)
        if a.shape != (self.n_vars,):
            raise InvalidParameterError("v", f"expected an action of shape ({self.n_vars},), got {a.shape}")
        if a.dtype == object or not np.all((a == 0) | (a == 1)):
            raise InvalidParameterError("v", "expected binary entries (0 or 1)")
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
        """All feasible actions, ``ndarray of int64, shape (K, D)``, by brute force.

        ``max_vars`` in ``[0, 24]``: the ``2^D`` candidates are built in memory.
        """
        max_vars = check_int(max_vars, "max_vars", low=0, high=MAX_ENUMERATED_VARS)
        D = self.n_vars
        if D > max_vars:
            raise InvalidParameterError("max_vars", f"{D} variables > max_vars={max_vars}; enumeration is 2^D")
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
        n_total = check_int(n_total, "n_total", low=D, high=10**7)
        out = []
        pad = n_total - D
        G = np.hstack([self.G, np.zeros((self.G.shape[0], pad))])
        out.append(LinearConstraint(G, -np.inf, 1.0))
        if self.A_ub.size:
            out.append(
                LinearConstraint(np.hstack([self.A_ub, np.zeros((self.A_ub.shape[0], pad))]), -np.inf, self.b_ub)
            )
        if self.A_eq.size:
            out.append(
                LinearConstraint(np.hstack([self.A_eq, np.zeros((self.A_eq.shape[0], pad))]), self.b_eq, self.b_eq)
            )
        return out


def _mk(
    N: int, J: int, G: np.ndarray, ub: list[tuple[np.ndarray, float]], eq: list[tuple[np.ndarray, float]], name: str
) -> ActionConstraints:
    D = G.shape[1]
    A_ub = np.array([r for r, _ in ub]).reshape(len(ub), D)
    A_eq = np.array([r for r, _ in eq]).reshape(len(eq), D)
    return ActionConstraints(
        N,
        J,
        G,
        A_ub,
        np.array([b for _, b in ub], dtype=np.float64),
        A_eq,
        np.array([b for _, b in eq], dtype=np.float64),
        name,
    )


@validate_params(n_arms=Integer(1, MAX_ARMS), costs=Array(ndim=1, low=0.0, closed="neither"), budget=Real(0, None))
def multiple_interventions(n_arms: int, costs: Any, budget: float) -> ActionConstraints:
    """``J`` interventions of costs ``costs[j]`` under one budget; ``v = u`` (``D = N J``).

    ``n_arms`` in ``[1, 10**4]``, ``costs`` positive (``J <= 16`` and ``N J <= 2000``),
    ``budget >= 0``.

    Examples
    --------
    >>> c = multiple_interventions(3, [1.0, 2.0], 2.0)
    >>> c.n_vars, len(c.enumerate())
    (6, 10)
    """
    N, c, b = n_arms, costs, budget
    J = c.size
    if J > MAX_LEVELS:
        raise InvalidParameterError("costs", f"expected at most {MAX_LEVELS} interventions, got {J}")
    if N * J > MAX_VARS:
        raise InvalidParameterError("n_arms", f"N J = {N * J} decision variables exceed {MAX_VARS}")
    return _mk(N, J, np.eye(N * J), [(np.tile(c, N), b)], [], "multiple interventions")


@validate_params(
    n_arms=Integer(1, MAX_ARMS),
    edges=Array("int", ndim=(1, 2), low=0, high=value_of("n_arms", -1), min_size=0),
    source=Integer(0, value_of("n_arms", -1)),
    max_length=Integer(1, MAX_ARMS),
)
def path_constraints(n_arms: int, edges: Any, source: int, max_length: int) -> ActionConstraints:
    """Intervene on the nodes of one directed path from ``source`` (at most ``max_length`` nodes).

    Arms are the nodes ``0..N-1`` of a directed acyclic graph with ``edges`` ``(u, w)``.
    Variables: one per node (visited) then one per edge (used). Constraints: the source
    is visited; every other node is visited iff exactly one used edge enters it; a
    node's used out-edges are at most its visit; at most ``max_length - 1`` edges. In a
    DAG these force the visited nodes to form a single path from the source.

    ``n_arms`` in ``[1, 10**4]``; ``edges`` an ``(E, 2)`` integer array of nodes in
    ``[0, n_arms)`` (``[]`` for none), with ``n_arms + E <= 2000``; ``source`` a node;
    ``max_length`` in ``[1, 10**4]``.

    Examples
    --------
    >>> c = path_constraints(4, [(0, 1), (0, 2), (1, 3), (2, 3)], 0, 3)
    >>> sorted(tuple(int(x) for x in v[:4]) for v in c.enumerate())
    [(1, 0, 0, 0), (1, 0, 1, 0), (1, 0, 1, 1), (1, 1, 0, 0), (1, 1, 0, 1)]
    """
    N, src, L = n_arms, source, max_length
    if edges.size == 0:
        edges = edges.reshape(0, 2)
    if edges.ndim != 2 or edges.shape[1] != 2:
        raise InvalidParameterError("edges", f"expected an (E, 2) array of node pairs, got shape {edges.shape}")
    E = [(int(a), int(b)) for a, b in edges]
    for a, b in E:
        if a == b:
            raise InvalidParameterError("edges", f"edge ({a}, {b}) is a loop; edges join distinct nodes")
    if N + len(E) > MAX_VARS:
        raise InvalidParameterError("edges", f"N + E = {N + len(E)} decision variables exceed {MAX_VARS}")
    if _has_cycle(N, E):
        raise InvalidParameterError("edges", "the graph must be acyclic (a DAG)")
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


@validate_params(availability=_ZERO_ONE, slot_capacity=Array(ndim=1, shape=(shape_of("availability", 1),), low=0.0))
def scheduling_constraints(availability: Any, slot_capacity: Any) -> ActionConstraints:
    """Bipartite matching of arms to time slots (one variable per available pair).

    ``availability[i, k]`` says arm ``i`` can be served in slot ``k``; slot ``k`` serves
    at most ``slot_capacity[k]`` arms and each arm is served at most once.
    ``availability`` is an (N, K) array of booleans or 0/1 integers with at most
    2000 available pairs and ``N <= 10**4``; ``slot_capacity`` non-negative, shape
    (K,).

    Examples
    --------
    >>> c = scheduling_constraints([[1, 0], [1, 1], [0, 1]], [1, 1])
    >>> c.n_vars, len(c.enumerate())
    (4, 8)
    """
    avb = availability.astype(bool)
    N, K = avb.shape
    cap = slot_capacity
    D = int(avb.sum())
    if N > MAX_ARMS or D > MAX_VARS:
        raise InvalidParameterError(
            "availability", f"expected at most {MAX_ARMS} arms and {MAX_VARS} available pairs, got {N} and {D}"
        )
    if D == 0:
        raise InvalidParameterError("availability", "no arm is available in any slot")
    pairs = [(i, k) for i in range(N) for k in range(K) if avb[i, k]]
    G = np.zeros((N, D))
    for d, (i, k) in enumerate(pairs):
        G[i, d] = 1
    ub = []
    for k in range(K):
        row = np.array([1.0 if kk == k else 0.0 for _, kk in pairs])
        ub.append((row, float(cap[k])))
    return _mk(N, 1, G, ub, [], "scheduling")


@validate_params(
    reach=_ZERO_ONE, capacity=Array(ndim=1, shape=(shape_of("reach", 1),), low=0.0), max_open=Integer(1, MAX_VARS)
)
def capacity_constraints(reach: Any, capacity: Any, max_open: int) -> ActionConstraints:
    """Facility-location style capacities: assign arms to opened facilities within reach.

    Variables: one per reachable (arm, facility) pair, then one per facility (opened).
    Each arm is assigned at most once; facility ``f`` takes at most ``capacity[f]``
    arms and only if opened; at most ``max_open`` facilities are opened.
    ``reach`` is an (N, F) array of booleans or 0/1 integers (``N <= 10**4``, at most
    2000 variables), ``capacity`` non-negative of shape (F,), ``max_open`` in
    ``[1, 2000]``.

    Examples
    --------
    >>> c = capacity_constraints([[1, 0], [1, 1], [0, 1]], [1, 2], 1)
    >>> c.n_vars
    6
    """
    rb = reach.astype(bool)
    N, F = rb.shape
    cap, m = capacity, max_open
    if N > MAX_ARMS or int(rb.sum()) + F > MAX_VARS:
        raise InvalidParameterError(
            "reach", f"expected at most {MAX_ARMS} arms and {MAX_VARS} variables, got {N} and {int(rb.sum()) + F}"
        )
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


# ============================================================ policies
def _milp_max_linear(
    obj: np.ndarray,
    constraints: ActionConstraints,
    extra: tuple[np.ndarray, np.ndarray, list[LinearConstraint]] | None = None,
) -> np.ndarray:
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
    if res.status == 2:  # infeasible: no binary action satisfies the constraints
        raise InvalidParameterError("constraints", f"no binary action satisfies the {constraints.name} constraints")
    if res.x is None:
        raise RuntimeError(f"MILP failed: {res.message}")
    return np.rint(res.x[:D]).astype(np.int64)
