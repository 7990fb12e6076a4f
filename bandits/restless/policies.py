"""Policies of budgeted restless bandits, and their Monte Carlo evaluation.

Policies of a :class:`~bandits.RestlessProblem` (:mod:`bandits.restless.model`) are
callables ``policy(states, t, rng) -> actions`` on batches of shape ``(n, N)``:

* :class:`PriorityPolicy`: activate the arms of largest priority ``priority[i, s_i]``
  while the budget lasts (only arms of positive priority). With Whittle indices
  (:func:`bandits.whittle_index`) it is the Whittle index policy (:func:`whittle_policy`);
  with the LP's advantages it is the LP-priority policy
  (:func:`bandits.lp_priority_policy`);
* :func:`myopic_policy`: priority the one-step gain of acting (immediate reward and
  next state's reward);
* :class:`RestlessRandomPolicy`: ``budget`` arms chosen uniformly at random (binary arms),
  or random feasible intervention levels.

:func:`evaluate_restless_policy` estimates a policy's discounted value by simulation
(any simulator with ``reset``, ``step`` and a ``gamma``, the coupled problems of
:mod:`bandits.restless.coupled` included).

References
----------
P. Whittle, Restless bandits: activity allocation in a changing world, *Journal of
Applied Probability* 25A, 1988. C. H. Papadimitriou, J. N. Tsitsiklis, The complexity
of optimal queuing network control, *Mathematics of Operations Research* 24(2), 1999.
"""

from __future__ import annotations

import math
from typing import Any
from collections.abc import Callable

import numpy as np

from bandits._constraints import DISCOUNT, MAX_HORIZON, MAX_RUNS, PROBABILITY
from bandits.restless.model import RestlessProblem
from rlcore.validation import (
    Array,
    Bool,
    Implements,
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    RNG,
    validate_params,
)
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator

__all__ = [
    "PriorityPolicy",
    "RestlessRandomPolicy",
    "evaluate_restless_policy",
    "myopic_policy",
    "whittle_policy",
]

RestlessPolicy = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


_PROBLEM = Instance(RestlessProblem)


def _binary(problem: RestlessProblem, who: str) -> None:
    if problem.n_actions != 2:
        raise InvalidParameterError("problem", f"{who} needs binary arms, got n_actions={problem.n_actions}")


@validate_params(problem=_PROBLEM, priority=Array(ndim=(1, 2)), activate_nonpositive=Bool())
class PriorityPolicy:
    """Activate the arms of largest priority while the budget lasts (binary arms).

    Each step, arms are sorted by ``priority[i, s_i]`` (decreasing; ties broken
    uniformly at random with ``rng``) and activated (action 1) in that order while
    their priority is positive and the budget allows ``costs[1]`` more.

    Parameters
    ----------
    problem : RestlessProblem
        With ``n_actions == 2``.
    priority : array_like of shape (N, S) or (S,)
        Priority of each (arm, state); a shared ``(S,)`` table for identical arms.
    activate_nonpositive : bool
        Also spend the budget on arms of priority ``<= 0`` (an *exactly-budget*
        policy). Default False.

    Examples
    --------
    >>> from bandits import RestlessArm
    >>> arm = RestlessArm.two_state([0.1, 0.7], [0.5, 0.9])
    >>> prob = RestlessProblem(arm, budget=1, n_arms=2)
    >>> pol = PriorityPolicy(prob, [0.2, 0.1])
    >>> pol(np.array([[1, 0]]), 0, np.random.default_rng(0)).tolist()
    [[0, 1]]
    """

    def __init__(self, problem: RestlessProblem, priority: Any, *, activate_nonpositive: bool = False) -> None:
        prob = problem
        _binary(prob, "a priority policy")
        pr = priority
        if pr.ndim == 1:
            pr = np.tile(pr, (prob.n_arms, 1))
        if pr.shape != (prob.n_arms, prob.n_states):
            raise InvalidParameterError(
                "priority",
                f"expected shape ({prob.n_states},) or ({prob.n_arms}, {prob.n_states}), got {priority.shape}",
            )
        self.problem = prob
        self.priority = pr
        self.activate_nonpositive = activate_nonpositive
        c1 = prob.costs[1]
        self.capacity = prob.n_arms if c1 == 0 else int(min(prob.n_arms, math.floor(prob.budget / c1 + 1e-12)))

    def __call__(self, states: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        s = np.asarray(states, dtype=np.int64)
        n, N = s.shape
        pr = self.priority[np.arange(N)[None, :], s]
        tie = rng.random((n, N))
        order = np.lexsort((tie, -pr), axis=-1)
        out = np.zeros((n, N), dtype=np.int64)
        k = self.capacity
        if k > 0:
            top = order[:, :k]
            rows = np.arange(n)[:, None]
            ok = np.ones_like(top, dtype=bool) if self.activate_nonpositive else pr[rows, top] > 0
            out[rows, top] = ok.astype(np.int64)
        return out


@validate_params(
    problem=_PROBLEM,
    indices=Array(ndim=(1, 2)),
    activate_nonpositive=Bool(),
)
def whittle_policy(problem: RestlessProblem, indices: Any, *, activate_nonpositive: bool = False) -> PriorityPolicy:
    """The Whittle index policy: a :class:`PriorityPolicy` on the Whittle indices.

    ``indices`` is a finite ``(N, S)`` or ``(S,)`` array (e.g. ``whittle_index(...).index``).
    With the budget counted as *at most*, arms of non-positive index stay passive
    (their subsidy-for-passivity is non-positive, so the relaxed problem leaves them
    passive at a non-negative Lagrange multiplier), unless ``activate_nonpositive``
    (as in :class:`PriorityPolicy`).

    Guarantee
    ---------
    For indexable arms, with ``N -> infinity`` and the budget a fixed fraction of
    ``N``, the Whittle policy is asymptotically optimal for the average-reward
    criterion under a global-attractor condition (Weber and Weiss 1990) and, for
    finite horizons, within ``O(1/sqrt(N))`` of the LP bound under non-degeneracy
    (Gast, Gaujal and Yan 2023).
    Tested by ``tests/bandits/test_restless.py::test_whittle_asymptotically_optimal``
    (the relative gap to the LP bound shrinks with ``N`` and is below 0.6% at ``N =
    200``).

    References
    ----------
    R. R. Weber, G. Weiss, On an index policy for restless bandits, *J. Appl. Prob.* 27,
    1990. N. Gast, B. Gaujal, C. Yan, LP-based policies for restless bandits, 2023.
    """
    return PriorityPolicy(problem, indices, activate_nonpositive=activate_nonpositive)


@validate_params(problem=_PROBLEM)
def myopic_policy(problem: RestlessProblem) -> PriorityPolicy:
    """Greedy on the one-step gain of acting (binary arms).

    The priority of arm ``i`` in state ``s`` is the immediate reward gain plus the gain
    in the next state's passive reward,

    ``R[i, s, 1] - R[i, s, 0] + sum_s' (P[i, s, 1, s'] - P[i, s, 0, s']) R[i, s', 0]``,

    so that arms whose reward depends on the state only (acting pays through the
    transition) are not all tied at zero.

    Examples
    --------
    >>> from bandits import RestlessArm
    >>> arm = RestlessArm(np.full((2, 2, 2), 0.5), [[0.0, 1.0], [0.0, 2.0]])
    >>> pol = myopic_policy(RestlessProblem(arm, budget=1, n_arms=2))
    >>> pol(np.array([[0, 1]]), 0, np.random.default_rng(0)).tolist()
    [[0, 1]]
    """
    prob = problem
    _binary(prob, "the myopic policy")
    gain = prob.R[:, :, 1] - prob.R[:, :, 0]
    gain = gain + np.einsum("isk,ik->is", prob.P[:, :, 1, :] - prob.P[:, :, 0, :], prob.R[:, :, 0])
    return PriorityPolicy(prob, gain)


@validate_params(problem=_PROBLEM, p_act=PROBABILITY)
class RestlessRandomPolicy:
    """Random feasible actions: each step, arms in random order receive a random
    intervention level (uniform over ``1..A-1``) while the budget allows, with
    probability ``p_act`` each (default 1: use the budget).

    Examples
    --------
    >>> from bandits import RestlessArm
    >>> arm = RestlessArm.two_state([0.1, 0.7], [0.5, 0.9])
    >>> prob = RestlessProblem(arm, budget=2, n_arms=5)
    >>> a = RestlessRandomPolicy(prob)(np.zeros((3, 5), dtype=int), 0, np.random.default_rng(0))
    >>> a.sum(axis=1).tolist()
    [2, 2, 2]
    """

    def __init__(self, problem: RestlessProblem, *, p_act: float = 1.0) -> None:
        self.problem = problem
        self.p_act = p_act

    def __call__(self, states: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        prob = self.problem
        n, N = np.asarray(states).shape
        out = np.zeros((n, N), dtype=np.int64)
        for j in range(n):
            left = prob.budget
            for i in rng.permutation(N):
                if rng.random() >= self.p_act:
                    continue
                a = int(rng.integers(1, prob.n_actions))
                if prob.costs[a] <= left + 1e-12:
                    out[j, i] = a
                    left -= prob.costs[a]
        return out


@validate_params(
    problem=Implements("reset", "step", what="a restless simulator with reset(), step() and a gamma (discount factor)"),
    policy=IsCallable("a policy callable policy(states, t, rng) -> actions"),
    n_runs=Integer(2, MAX_RUNS),
    horizon=Integer(1, MAX_HORIZON) | None,
    gamma=DISCOUNT | None,
    rng=RNG(),
    progress=PROGRESS,
)
def evaluate_restless_policy(
    problem: Any,
    policy: RestlessPolicy,
    *,
    n_runs: int = 100,
    horizon: int | None = None,
    gamma: float | None = None,
    rng: RNGLike = None,
    progress: bool | None = None,
) -> tuple[float, float]:
    """Monte Carlo estimate of a policy's discounted value from the initial distribution.

    Parameters
    ----------
    problem : RestlessProblem or CoupledRestlessProblem
        Any simulator with ``reset``, ``step`` and a ``gamma`` attribute.
    policy : callable ``policy(states (n, N), t, rng) -> actions``
    n_runs : int in [2, 10**6]
        Independent runs (simulated in one batch); at least 2 for the standard error.
    horizon : int in [1, 10**9], optional
        Truncation; default the smallest ``T`` with ``gamma^T / (1 - gamma)
        <= 1e-3`` (truncation bias below ``1e-3 * max |R| * N``), which must not
        exceed ``10**9`` (pass ``horizon`` for a discount that close to 1).
    gamma : float in [0, 1), optional
        Default ``problem.gamma``.
    rng : Generator, int or None
    progress : bool or None, default None
        Show a progress bar over the time steps (all runs advance together) on standard
        error (see :mod:`rlcore.progress`); None follows :func:`rlcore.set_progress`
        (off by default). The result does not depend on it.

    Returns
    -------
    (mean, standard_error) : tuple of float
        Of ``sum_{t < horizon} gamma^t * reward_t``.

    Examples
    --------
    >>> from bandits import RestlessArm
    >>> arm = RestlessArm.two_state([0.1, 0.7], [0.5, 0.9])
    >>> prob = RestlessProblem(arm, budget=1, n_arms=2, gamma=0.5)
    >>> m, se = evaluate_restless_policy(prob, myopic_policy(prob), n_runs=10, rng=0)
    >>> 0.0 <= m <= 2 * 2.0
    True
    """
    prob = problem
    if gamma is None:
        if not hasattr(prob, "gamma"):
            raise InvalidParameterTypeError(
                "problem", f"{type(prob).__name__} has no gamma attribute (discount factor); pass gamma"
            )
        g = DISCOUNT.check(prob.gamma, "problem")
    else:
        g = gamma
    n = n_runs
    if horizon is None:
        need = 1.0 if g == 0 else math.log(1e-3 * (1 - g)) / math.log(g)
        if not need <= MAX_HORIZON:
            raise InvalidParameterError(
                "gamma" if gamma is not None else "problem",
                f"gamma {g!r} needs a truncation horizon of {need:.3g} > {MAX_HORIZON} steps; pass horizon",
            )
        T = max(1, math.ceil(need))
    else:
        T = horizon
    gen = as_generator(rng)
    s = prob.reset(n, gen)
    total = np.zeros(n)
    w = 1.0
    with progress_bar(T, desc="bandits.evaluate_restless_policy", progress=progress, unit="step") as bar:
        for t in range(T):
            a = policy(s, t, gen)
            try:
                s, r, _ = prob.step(s, a, gen, t=t)
            except InvalidParameterError as exc:  # the policy's actions were refused by the simulator
                raise InvalidParameterError("policy", f"returned invalid actions at step {t} ({exc})") from None
            total += w * r
            w *= g
            bar.update(1)
    return float(total.mean()), float(total.std(ddof=1) / math.sqrt(n))
