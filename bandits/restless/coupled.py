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
nor the fluid LP decomposition apply.
The action sets are built in :mod:`bandits.restless.action_constraints`.

Baselines of the paper that need no learning: random feasible actions
(:class:`CoupledRandomPolicy`) and the myopic policy maximising the expected next reward
exactly by a MILP (:class:`CoupledMyopicPolicy`). SEQUOIA is in :mod:`bandits.deep`, the
Q-sampling baseline in :mod:`bandits.restless.relu_milp`; :func:`coupled_joint_mdp` gives the exact optimum of tiny
instances.

References
----------
L. Xu, B. Wilder, E. B. Khalil, M. Tambe, Reinforcement learning with combinatorial
actions for coupled restless bandits, *ICLR* 2025.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from scipy.optimize import LinearConstraint

from bandits._constraints import DISCOUNT, MAX_RUNS
from bandits.restless.action_constraints import (
    ActionConstraints,
    _ENUMERATE,
    _milp_max_linear,
)
from rlcore.validation import (
    Array,
    Instance,
    InvalidParameterError,
    check_int,
    validate_params,
)
from rlcore.randomness import RNGLike, as_generator

__all__ = [
    "CoupledMyopicPolicy",
    "CoupledRandomPolicy",
    "CoupledRestlessProblem",
    "coupled_joint_mdp",
]

#: Largest exact joint MDP of :func:`coupled_joint_mdp`, in dense transition entries
#: ``(2^N)^2 * n_actions`` (0.8 GB of float64).
MAX_JOINT_ENTRIES: int = 10**8


# ============================================================ the coupled problem
@validate_params(
    p_passive=Array(ndim=2, low=0.0, high=1.0),
    effects=Array(ndim=(2, 3), low=0.0, high=1.0),
    constraints=Instance(ActionConstraints),
    weights=Array(ndim=1) | None,
    gamma=DISCOUNT,
    initial=Array(ndim=1, low=0.0, high=1.0) | None,
)
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
        At least one binary action must satisfy them (checked with one MILP).
    weights : array_like of shape (N,), optional
        Finite reward per arm in the good state (default 1).
    gamma : float in [0, 1)
    initial : array_like of shape (N,), optional
        Probability that each arm starts good (default 0.5).

    Examples
    --------
    >>> from bandits import multiple_interventions
    >>> c = multiple_interventions(3, [1.0], 1.0)
    >>> prob = CoupledRestlessProblem([[0.2, 0.6]] * 3, [[0.5, 0.5]] * 3, c, gamma=0.9)
    >>> s = prob.reset(2, rng=0)
    >>> s2, r, _ = prob.step(s, np.array([[1, 0, 0], [0, 0, 1]]), rng=0)
    >>> s2.shape, r.shape
    ((2, 3), (2,))
    """

    def __init__(
        self,
        p_passive: Any,
        effects: Any,
        constraints: ActionConstraints,
        *,
        weights: Any = None,
        gamma: float = 0.95,
        initial: Any = None,
    ) -> None:
        N, J = constraints.n_arms, constraints.n_levels
        p0 = p_passive
        if p0.shape != (N, 2):
            raise InvalidParameterError(
                "p_passive", f"expected shape ({N}, 2) (N from the constraints), got {p0.shape}"
            )
        ef = effects[:, None, :] if effects.ndim == 2 else effects
        if ef.shape != (N, J, 2):
            raise InvalidParameterError("effects", f"expected shape ({N}, {J}, 2), got {effects.shape}")
        w = np.ones(N) if weights is None else weights
        if w.shape != (N,):
            raise InvalidParameterError("weights", f"expected shape ({N},), got {w.shape}")
        init = np.full(N, 0.5) if initial is None else initial
        if init.shape != (N,):
            raise InvalidParameterError("initial", f"expected shape ({N},), got {init.shape}")
        _milp_max_linear(np.zeros(constraints.n_vars), constraints)  # refuses constraints no action satisfies
        self.p_passive, self.effects, self.weights, self.initial = p0, ef, w, init
        self.constraints = constraints
        self.gamma = gamma

    @property
    def n_arms(self) -> int:
        return self.constraints.n_arms

    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """``n`` initial joint states (``1 <= n <= 10**6``), ``ndarray of int64, shape (n, N)``."""
        n = check_int(n, "n", low=1, high=MAX_RUNS)
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

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(next_states (n, N), rewards (n,), terminated (n,))``; infeasible actions raise
        :class:`~rlcore.validation.InvalidParameterError`.

        ``rewards = sum_i w_i * next_states[:, i]``.
        """
        N, D = self.n_arms, self.constraints.n_vars
        s = Array("int", ndim=2, shape=(None, N), low=0, high=1, min_size=0).check(states, "states")
        a = Array("int", ndim=2, shape=(s.shape[0], D), low=0, high=1, min_size=0).check(actions, "actions")
        for row in range(a.shape[0]):
            if not self.constraints.is_feasible(a[row]):
                raise InvalidParameterError("actions", f"row {row} violates the {self.constraints.name} constraints")
        gen = as_generator(rng)
        pg = self.p_good(s, self.constraints.interventions(a))
        nxt = (gen.random(pg.shape) < pg).astype(np.int64)
        return nxt, nxt @ self.weights, np.zeros(s.shape[0], dtype=bool)

    def __repr__(self) -> str:
        return (
            f"CoupledRestlessProblem(n_arms={self.n_arms}, n_vars={self.constraints.n_vars}, "
            f"constraints={self.constraints.name!r}, gamma={self.gamma})"
        )


_PROBLEM = Instance(CoupledRestlessProblem)


@validate_params(problem=_PROBLEM, max_vars=_ENUMERATE)
def coupled_joint_mdp(problem: CoupledRestlessProblem, *, max_vars: int = 22) -> tuple[Any, np.ndarray, np.ndarray]:
    """The exact joint MDP (``2^N`` states, all feasible actions enumerated) of a tiny coRMAB.

    Returns ``(mdp, states (2^N, N), actions (K, D))``; rewards are expected next rewards.
    ``max_vars`` in ``[0, 24]`` bounds the enumerated variables ``D``, and the joint MDP
    must have at most ``10**8`` dense transition entries ``(2^N)^2 K``.

    Examples
    --------
    >>> from bandits import multiple_interventions
    >>> c = multiple_interventions(2, [1.0], 1.0)
    >>> mdp, st, ac = coupled_joint_mdp(CoupledRestlessProblem([[0.2, 0.6]] * 2, [[0.5, 0.5]] * 2, c))
    >>> mdp.n_states, mdp.n_actions
    (4, 3)
    """
    from rlcore.mdp import FiniteMDP

    N = problem.n_arms
    if 4**N > MAX_JOINT_ENTRIES:
        raise InvalidParameterError("problem", f"the joint MDP of {N} arms has 2^{N} states: too many")
    acts = problem.constraints.enumerate(max_vars)
    if 4**N * acts.shape[0] > MAX_JOINT_ENTRIES:
        raise InvalidParameterError(
            "problem", f"the joint MDP would have (2^{N})^2 x {acts.shape[0]} transition entries > {MAX_JOINT_ENTRIES}"
        )
    states = np.array(list(itertools.product((0, 1), repeat=N)), dtype=np.int64)
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
    return FiniteMDP(P, R, gamma=problem.gamma, initial=init), states, acts


@validate_params(problem=_PROBLEM, enumerate_up_to=_ENUMERATE)
class CoupledRandomPolicy:
    """Random feasible actions: the maximiser of ``sum_{i,j} xi_{ij} u_{ij}`` over feasible
    actions, ``xi`` i.i.d. uniform on ``(0, 1)`` (a random maximal feasible action); found
    by enumeration when ``D <= enumerate_up_to`` (at most 24: the ``2^D`` candidates are
    built in memory), else by MILP.

    Examples
    --------
    >>> from bandits import multiple_interventions
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


@validate_params(problem=_PROBLEM)
class CoupledMyopicPolicy:
    """Maximise the expected next reward ``sum_i w_i p_good(i, s_i, u_i)`` exactly.

    The objective is not linear in ``u`` when an arm may receive several interventions;
    it is made linear with one binary per (arm, subset of interventions) ``y_{iT}``,
    ``sum_T y_{iT} = 1`` and ``u_{ij} = sum_{T containing j} y_{iT}``, and solved by MILP.

    Examples
    --------
    >>> from bandits import multiple_interventions
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
            A1[i, D + i * T : D + (i + 1) * T] = 1
        cons.append(LinearConstraint(A1, 1, 1))
        A2 = np.zeros((N * J, n_total))
        A2[:, :D] = -c.G
        for i in range(N):
            for j in range(J):
                A2[i * J + j, D + i * T : D + (i + 1) * T] = self.subsets[:, j]
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
