"""Restless bandits: finite-state arms and budgeted N-arm problems (the model and its simulator).

A *restless arm* is a small finite MDP on states ``0..S-1`` with actions ``0..A-1``:
action 0 is *passive*, actions ``1..A-1`` are intervention levels of increasing cost
``costs[a]`` (``costs[0] = 0``; a binary arm has ``A = 2`` and ``costs = [0, 1]``).
Unlike a rested (Gittins) arm, a passive arm keeps moving, with its own transition
matrix ``P[:, 0, :]``. A *restless bandit problem* runs ``N`` arms in parallel; every
step the decision maker chooses one action per arm subject to the budget

``sum_i costs[a_i] <= budget``,

and collects the sum of the arms' rewards ``r_i(s_i, a_i)``. The objective is the
discounted total reward ``E[sum_t gamma^t sum_i r_i(s_i(t), a_i(t))]`` (or its long-run
average). The joint problem is an MDP on ``S^N`` states, PSPACE-hard in general
(Papadimitriou and Tsitsiklis 1999); :func:`joint_mdp` builds it exactly for tiny
instances, which the tests use as the ground truth.

:class:`RestlessProblem` is a batched simulator (``reset(n, rng)`` /
``step(states, actions, rng)``, see :class:`rlcore.Simulator`); the policies that act on
it are in :mod:`bandits.restless.policies`.

References
----------
P. Whittle, Restless bandits: activity allocation in a changing world, *Journal of
Applied Probability* 25A, 1988. C. H. Papadimitriou, J. N. Tsitsiklis, The complexity
of optimal queuing network control, *Mathematics of Operations Research* 24(2), 1999.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from bandits._constraints import DISCOUNT, MAX_ARMS, MAX_RUNS
from rlcore.validation import (
    Array,
    Instance,
    Integer,
    InvalidParameterError,
    ProbabilityRows,
    RNG,
    Real,
    Sequence_,
    check_stochastic_rows,
    shape_of,
    validate_params,
)
from rlcore.randomness import RNGLike, as_generator

__all__ = ["RestlessArm", "RestlessProblem", "joint_mdp"]

#: Largest joint MDP :func:`joint_mdp` builds, in dense transition entries
#: ``(S^N)^2 * n_joint_actions`` (0.8 GB of float64).
MAX_JOINT_ENTRIES: int = 10**8

_TWO_PROBS = Array(ndim=1, shape=(2,), low=0.0, high=1.0)


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


@validate_params(P=ProbabilityRows(ndim=3), R=Array(ndim=2, shape=(shape_of("P", 0), shape_of("P", 1))))
class RestlessArm:
    """One restless arm: a finite MDP with a passive action 0 and intervention levels.

    Parameters
    ----------
    P : array_like of shape (S, A, S)
        ``P[s, a, s']``, row-stochastic in ``s'`` (rows summing to 1 within ``1e-8``);
        ``A >= 2``.
    R : array_like of shape (S, A)
        Finite expected reward of action ``a`` in state ``s``.

    Attributes
    ----------
    P, R : read-only float64 arrays
    n_states, n_actions : int

    Examples
    --------
    >>> arm = RestlessArm.two_state(p_passive=[0.1, 0.7], p_active=[0.5, 0.9])
    >>> arm.P.shape, arm.R.tolist()
    ((2, 2, 2), [[0.0, 0.0], [1.0, 1.0]])
    """

    def __init__(self, P: Any, R: Any) -> None:
        if P.shape[0] != P.shape[2] or P.shape[1] < 2:
            raise InvalidParameterError("P", f"expected shape (S, A, S) with A >= 2, got {P.shape}")
        self.P: np.ndarray = _frozen(P)
        self.R: np.ndarray = _frozen(R)

    @property
    def n_states(self) -> int:
        return int(self.P.shape[0])

    @property
    def n_actions(self) -> int:
        return int(self.P.shape[1])

    @classmethod
    @validate_params(p_passive=_TWO_PROBS, p_active=_TWO_PROBS, rewards=Array(ndim=1, shape=(2,)))
    def two_state(cls, p_passive: Any, p_active: Any, rewards: Any = (0.0, 1.0)) -> RestlessArm:
        """The two-state ("bad" 0 / "good" 1) arm whose reward depends on the state only.

        ``p_passive[s]`` and ``p_active[s]`` (shape (2,), in ``[0, 1]``) are the
        probabilities of moving to the good state from state ``s`` under each action;
        the reward is ``rewards[s]`` whatever the action. This is the arm of
        :func:`bandits.two_state_whittle_index`.
        """
        p0, p1, rw = p_passive, p_active, np.asarray(rewards, dtype=np.float64)
        P = np.empty((2, 2, 2))
        for a, p in enumerate((p0, p1)):
            P[:, a, 1] = p
            P[:, a, 0] = 1.0 - p
        return cls(P, np.column_stack([rw, rw]))

    @classmethod
    @validate_params(P=ProbabilityRows(ndim=2), r=Array(ndim=1, shape=(shape_of("P", 0),)))
    def rested(cls, P: Any, r: Any) -> RestlessArm:
        """A rested (Gittins) arm: passive freezes the state and pays 0, active moves by ``P``.

        ``P`` is a square row-stochastic (S, S) matrix, ``r`` the (S,) rewards.
        """
        S = P.shape[0]
        if P.shape != (S, S):
            raise InvalidParameterError("P", f"expected a square (S, S) matrix, got shape {P.shape}")
        PP = np.stack([np.eye(S), P], axis=1)
        return cls(PP, np.column_stack([np.zeros(S), r]))

    @classmethod
    @validate_params(n_states=Integer(1, 10**4), n_actions=Integer(2, 10**3), rng=RNG())
    def random(cls, n_states: int, n_actions: int = 2, rng: RNGLike = None) -> RestlessArm:
        """Dense random arm: Dirichlet(1) rows, uniform rewards in [0, 1).

        ``n_states`` in ``[1, 10**4]``, ``n_actions`` in ``[2, 10**3]``, and at most
        ``10**8`` transition entries ``S^2 A``.
        """
        S, A = n_states, n_actions
        if S * S * A > 10**8:
            raise InvalidParameterError("n_states", f"S^2 A = {S * S * A} transition entries exceed 10**8")
        gen = as_generator(rng)
        P = gen.exponential(size=(S, A, S))
        P /= P.sum(axis=-1, keepdims=True)
        return cls(P, gen.random((S, A)))

    def __repr__(self) -> str:
        return f"RestlessArm(n_states={self.n_states}, n_actions={self.n_actions})"


@validate_params(
    arms=Instance(RestlessArm) | Sequence_(Instance(RestlessArm), max_len=MAX_ARMS),
    budget=Real(0, None),
    n_arms=Integer(1, MAX_ARMS) | None,
    costs=Array(ndim=1, low=0.0) | None,
    gamma=DISCOUNT,
    initial=Array(ndim=(1, 2), low=0.0) | None,
)
class RestlessProblem:
    """``N`` restless arms under a per-step budget, as a batched simulator.

    Parameters
    ----------
    arms : RestlessArm or sequence of RestlessArm
        One arm (replicated ``n_arms`` times) or ``N <= 10**4`` arms (a list or tuple)
        with the same numbers of states and actions.
    budget : float >= 0
        Per-step budget: ``sum_i costs[a_i] <= budget`` (an *at most* constraint).
    n_arms : int in [1, 10**4], optional
        Number of copies when ``arms`` is a single arm.
    costs : array_like of shape (A,), optional
        Cost of each action; default ``[0, 1, 2, ...]``. ``costs[0]`` must be 0 and
        the costs non-negative.
    gamma : float in [0, 1)
        Discount of the objective (used by the LP and the exact joint MDP).
    initial : array_like of shape (N, S) or (S,), optional
        Per-arm initial distributions (independent across arms); default uniform.

    Attributes
    ----------
    P : ndarray of shape (N, S, A, S)
    R : ndarray of shape (N, S, A)
    costs : ndarray of shape (A,)
    initial : ndarray of shape (N, S)

    Examples
    --------
    >>> arm = RestlessArm.two_state([0.1, 0.7], [0.5, 0.9])
    >>> prob = RestlessProblem(arm, budget=1, n_arms=3, gamma=0.9)
    >>> s = prob.reset(4, rng=0); s.shape
    (4, 3)
    >>> s2, r, done = prob.step(s, np.array([[1, 0, 0]] * 4), rng=1)
    >>> s2.shape, r.shape, bool(done.any())
    ((4, 3), (4,), False)
    """

    def __init__(
        self,
        arms: RestlessArm | Any,
        budget: float,
        *,
        n_arms: int | None = None,
        costs: Any = None,
        gamma: float = 0.95,
        initial: Any = None,
    ) -> None:
        if isinstance(arms, RestlessArm):
            N = 1 if n_arms is None else n_arms
            arm_list = [arms] * N
        else:
            arm_list = list(arms)
            if n_arms is not None:
                raise InvalidParameterError("n_arms", "only with a single arm (it is the number of copies)")
        shapes = {(a.n_states, a.n_actions) for a in arm_list}
        if len(shapes) != 1:
            raise InvalidParameterError("arms", f"all arms need the same (n_states, n_actions), got {sorted(shapes)}")
        self.arms = tuple(arm_list)
        self.P: np.ndarray = np.stack([a.P for a in arm_list])
        self.R: np.ndarray = np.stack([a.R for a in arm_list])
        N, S, A = self.R.shape
        if costs is None:
            c = np.arange(A, dtype=np.float64)
        else:
            c = costs
            if c.shape != (A,):
                raise InvalidParameterError("costs", f"expected shape ({A},), got {c.shape}")
            if c[0] != 0:
                raise InvalidParameterError("costs", f"expected costs[0] == 0 (the passive action), got {c.tolist()}")
        self.costs: np.ndarray = c
        self.budget = budget
        self.gamma = gamma
        if initial is None:
            init = np.full((N, S), 1.0 / S)
        else:
            init = initial
            if init.ndim == 1:
                init = np.tile(init, (N, 1))
            if init.shape != (N, S):
                raise InvalidParameterError("initial", f"expected shape ({S},) or ({N}, {S}), got {initial.shape}")
            check_stochastic_rows(init, "initial")
        self.initial: np.ndarray = init
        for arr in (self.P, self.R, self.costs, self.initial):
            arr.flags.writeable = False
        self._cdf = np.cumsum(self.P, axis=-1)
        self._cdf /= self._cdf[..., -1:]
        self._init_cdf = np.cumsum(self.initial, axis=-1)
        self._init_cdf /= self._init_cdf[:, -1:]

    @property
    def n_arms(self) -> int:
        return int(self.R.shape[0])

    @property
    def n_states(self) -> int:
        return int(self.R.shape[1])

    @property
    def n_actions(self) -> int:
        return int(self.R.shape[2])

    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """``n`` independent initial joint states (``1 <= n <= 10**6``), ``ndarray of int64, shape (n, N)``."""
        n = Integer(1, MAX_RUNS).check(n, "n")
        gen = as_generator(rng)
        u = gen.random((n, self.n_arms, 1))
        return (u >= self._init_cdf[None, :, :]).sum(axis=-1).clip(max=self.n_states - 1).astype(np.int64)

    def check_actions(self, states: Any, actions: Any) -> tuple[np.ndarray, np.ndarray]:
        """Validate a batch of joint states and actions; return them as int64 arrays."""
        N, S, A = self.R.shape
        s = Array("int", ndim=2, shape=(None, N), low=0, high=S - 1, min_size=0).check(states, "states")
        a = Array("int", ndim=2, shape=(s.shape[0], N), low=0, high=A - 1, min_size=0).check(actions, "actions")
        spent = self.costs[a].sum(axis=1)
        over = spent > self.budget * (1 + 1e-12) + 1e-12
        if over.any():
            i = int(np.argmax(over))
            raise InvalidParameterError("actions", f"row {i} spends {spent[i]:g} > budget {self.budget:g}")
        return s, a

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One step of every run: ``(next_states (n, N), rewards (n,), terminated (n,))``.

        Rewards are the sums over arms of ``R[i, s_i, a_i]``; ``terminated`` is always
        False. Actions over the budget raise :class:`~rlcore.validation.InvalidParameterError`.
        """
        s, a = self.check_actions(states, actions)
        gen = as_generator(rng)
        arm = np.arange(self.n_arms)[None, :]
        rewards = self.R[arm, s, a].sum(axis=1)
        cdf = self._cdf[arm, s, a]  # (n, N, S)
        u = gen.random(s.shape + (1,))
        nxt = (u >= cdf).sum(axis=-1).clip(max=self.n_states - 1).astype(np.int64)
        return nxt, rewards, np.zeros(s.shape[0], dtype=bool)

    def __repr__(self) -> str:
        return (
            f"RestlessProblem(n_arms={self.n_arms}, n_states={self.n_states}, "
            f"n_actions={self.n_actions}, budget={self.budget:g}, gamma={self.gamma})"
        )


_PROBLEM = Instance(RestlessProblem)


@validate_params(problem=_PROBLEM, max_states=Integer(1, 10**6))
def joint_mdp(problem: RestlessProblem, *, max_states: int = 50_000) -> tuple[Any, np.ndarray, np.ndarray]:
    """The exact joint MDP of a (tiny) restless problem, as an :class:`rlcore.FiniteMDP`.

    Joint states are the ``S^N`` tuples ``(s_1, .., s_N)`` in row-major order; joint
    actions are all tuples in ``A^N`` whose cost fits the budget. Transitions are the
    products of the arms' (independent) transitions and rewards their sums.

    Parameters
    ----------
    problem : RestlessProblem
        With ``S^N <= max_states`` and at most ``10**8`` dense transition entries
        ``(S^N)^2 * n_joint_actions``.
    max_states : int in [1, 10**6]

    Returns
    -------
    mdp : rlcore.FiniteMDP
        Discounted with ``problem.gamma``, initial distribution the product of the
        arms' initial distributions.
    states : ndarray of shape (S^N, N)
        The tuple of each joint state.
    actions : ndarray of shape (n_joint_actions, N)
        The tuple of each joint action.

    Examples
    --------
    >>> arm = RestlessArm.two_state([0.1, 0.7], [0.5, 0.9])
    >>> mdp, st, ac = joint_mdp(RestlessProblem(arm, budget=1, n_arms=2, gamma=0.9))
    >>> mdp.n_states, ac.tolist()
    (4, [[0, 0], [0, 1], [1, 0]])
    """
    from rlcore.mdp import FiniteMDP

    prob = problem
    N, S, A = prob.R.shape
    n_joint = S**N
    if n_joint > max_states:
        raise InvalidParameterError("problem", f"the joint MDP has {n_joint} states > max_states={max_states}")
    if A**N > MAX_JOINT_ENTRIES:
        raise InvalidParameterError(
            "problem", f"the joint MDP has {A}^{N} candidate joint actions > {MAX_JOINT_ENTRIES}"
        )
    states = np.array(list(itertools.product(range(S), repeat=N)), dtype=np.int64).reshape(n_joint, N)
    acts = [a for a in itertools.product(range(A), repeat=N) if prob.costs[list(a)].sum() <= prob.budget + 1e-12]
    if n_joint * n_joint * len(acts) > MAX_JOINT_ENTRIES:
        raise InvalidParameterError(
            "problem", f"the joint MDP would have {n_joint}^2 x {len(acts)} transition entries > {MAX_JOINT_ENTRIES}"
        )
    actions = np.array(acts, dtype=np.int64).reshape(len(acts), N)
    nA = actions.shape[0]
    P = np.ones((n_joint, nA, 1))
    R = np.zeros((n_joint, nA))
    for i in range(N):
        Pi = prob.P[i][states[:, i][:, None], actions[None, :, i]]  # (SS, nA, S)
        P = (P[:, :, :, None] * Pi[:, :, None, :]).reshape(n_joint, nA, -1)
        R += prob.R[i][states[:, i][:, None], actions[None, :, i]]
    init = np.ones(1)
    for i in range(N):
        init = np.outer(init, prob.initial[i]).ravel()
    return FiniteMDP(P, R, gamma=prob.gamma, initial=init), states, actions
