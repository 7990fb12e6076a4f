"""Gittins indices: the Bayes-optimal policy of discounted multi-armed bandits.

A *Markov arm* is a chain on states ``x`` with transition matrix ``P`` and reward
``r(x)``, which moves only when pulled. With discount ``beta`` in ``[0, 1)`` the Gittins
index of a state is the best reward rate that can be earned from it,

``nu(x) = sup_{tau >= 1} E[sum_{t < tau} beta^t r(X_t)] / E[sum_{t < tau} beta^t]``,

the supremum over stopping times of the chain started in ``x``. Gittins' theorem: in a
discounted bandit of independent Markov arms, pulling an arm whose current state has the
largest index is optimal (Gittins and Jones 1974; Gittins, Glazebrook and Weber 2011,
Theorem 2.1).

Two exact algorithms for finite chains:

* :func:`gittins_index` with ``method="largest-remaining"`` (Varaiya, Walrand and
  Buyukkoc 1985): the largest index is ``max_x r(x)``; given the set ``C`` of states of
  the ``k`` largest indices, the next largest is ``max_{x not in C} N_C(x) / D_C(x)``,
  the discounted reward and discounted time earned from ``x`` until the chain leaves
  ``C``; ``O(S^4)`` with dense linear solves.
* ``method="restart"`` (Katehakis and Veinott 1987): ``nu(x) = (1 - beta) V_x(x)`` where
  ``V_x`` is the optimal value of the MDP in which every state may either continue or
  *restart in x*; each such MDP is solved with :func:`tabular.policy_iteration`.

Beta-Bernoulli arms (:func:`gittins_index_beta`): the state is the posterior
``Beta(a, b)`` of a Bernoulli arm, the reward its mean ``a / (a + b)``. The index is found
by calibration against a standard arm paying ``lam`` per round (the retirement
formulation of Whittle 1980): it is the ``lam`` at which retiring now and pulling once
more (then continuing optimally) are worth the same. The dynamic programme is
truncated at ``depth`` further pulls, where the value is replaced by
``max(lam, mean) / (1 - beta)`` (retire, or pull forever at the posterior mean);
this under-estimates the value by at most ``beta^depth / (1 - beta)``, and since the
calibration gap decreases in ``lam`` with slope at most ``-1``, the computed index is
low by at most ``beta^depth / (1 - beta)``. ``depth`` is chosen so that this and the
bisection tolerance sum to ``epsilon``.

References
----------
J. C. Gittins, K. Glazebrook, R. Weber, *Multi-armed Bandit Allocation Indices*, 2nd
ed., Wiley 2011. P. Varaiya, J. Walrand, C. Buyukkoc, Extensions of the multiarmed
bandit problem: the discounted case, *IEEE TAC* 30(5), 1985. M. N. Katehakis,
A. F. Veinott, The multi-armed bandit problem: decomposition and computation,
*Mathematics of Operations Research* 12(2), 1987.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bandits._constraints import DISCOUNT
from rlcore.progress import PROGRESS, progress_bar
from rlcore.validation import (
    Array,
    Integer,
    InvalidParameterError,
    Options,
    ProbabilityRows,
    Real,
    check_int,
    shape_of,
    validate_params,
)

__all__ = ["GittinsBeta", "gittins_index", "gittins_index_beta"]

#: Largest truncation depth of the Beta-Bernoulli dynamic programme: its cost is
#: ``O(depth^2)`` per calibration step (about 0.2 s at ``10**4``, times the ~40 steps of
#: the bisection).
MAX_DEPTH: int = 10**4

#: Smallest accuracy of :func:`gittins_index_beta`: the index lies in ``[0, 1]``, where
#: float64 resolves ``1.1e-16``, and the dynamic programme's rounding grows with depth.
TOL_FLOOR: float = 1e-12

#: Largest Beta parameter: above ``2**53`` adding one success or failure to a
#: pseudo-count does not change it in float64, so the posterior could not move.
MAX_PSEUDO_COUNT: float = 2.0**53

_PSEUDO_COUNT = Real(0, MAX_PSEUDO_COUNT, closed="right")
_TOL = Real(TOL_FLOOR, 1, closed="left")


def _largest_remaining(P: np.ndarray, r: np.ndarray, beta: float, bar: Any) -> np.ndarray:
    S = r.size
    index = np.empty(S)
    C: list[int] = []
    remaining = np.ones(S, dtype=bool)
    for _ in range(S):
        cand = np.flatnonzero(remaining)
        if C:
            idx = np.asarray(C)
            M = np.eye(len(C)) - beta * P[np.ix_(idx, idx)]
            try:
                sol = np.linalg.solve(M, np.column_stack([r[idx], np.ones(len(C))]))
            except np.linalg.LinAlgError:
                raise InvalidParameterError(
                    "gamma",
                    f"too close to 1 for this chain: I - gamma P is singular in float64 (gamma={beta!r})",
                ) from None
            PC = P[np.ix_(cand, idx)]
            num = r[cand] + beta * PC @ sol[:, 0]
            den = 1.0 + beta * PC @ sol[:, 1]
        else:
            num, den = r[cand], np.ones(cand.size)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = num / den
        if not np.all(np.isfinite(ratio)):
            raise InvalidParameterError(
                "gamma", f"too close to 1 for this chain: I - gamma P is singular in float64 (gamma={beta!r})"
            )
        j = int(np.argmax(ratio))
        s = int(cand[j])
        index[s] = ratio[j]
        C.append(s)
        remaining[s] = False
        bar.update(1)
    return index


def _restart(P: np.ndarray, r: np.ndarray, beta: float, bar: Any) -> np.ndarray:
    from rlcore.mdp import FiniteMDP
    from tabular.policy_iteration import policy_iteration

    S = r.size
    out = np.empty(S)
    for s in range(S):
        PP = np.empty((S, 2, S))
        PP[:, 0, :] = P
        PP[:, 1, :] = P[s]
        RR = np.column_stack([r, np.full(S, r[s])])
        try:
            res = policy_iteration(FiniteMDP(PP, RR, gamma=beta), epsilon=1e-12)
        except InvalidParameterError as exc:  # the restart MDP refused: the discount is too close to 1
            raise InvalidParameterError("gamma", f"the restart-in-state MDP cannot be solved ({exc})") from None
        out[s] = (1.0 - beta) * res.V[s]
        bar.update(1)
    return out


@validate_params(
    P=ProbabilityRows(ndim=2),
    r=Array(ndim=1, shape=(shape_of("P", 0),)),
    gamma=DISCOUNT,
    method=Options("largest-remaining", "restart"),
    progress=PROGRESS,
)
def gittins_index(
    P: Any, r: Any, gamma: float, *, method: str = "largest-remaining", progress: bool | None = None
) -> np.ndarray:
    """Gittins indices of every state of a finite Markov arm.

    Parameters
    ----------
    P : array_like of shape (S, S)
        Row-stochastic transition matrix of the arm when pulled (rows summing to 1
        within ``1e-8``).
    r : array_like of shape (S,)
        Expected reward of a pull in each state.
    gamma : float in [0, 1)
    method : {"largest-remaining", "restart"}
        Varaiya-Walrand-Buyukkoc's recursion, or Katehakis-Veinott's restart-in-state
        MDPs solved by :func:`tabular.policy_iteration` (see the module docstring).
    progress : bool or None, default None
        Show a progress bar over the states (one index each) on standard error (see
        :mod:`rlcore.progress`); None follows :func:`rlcore.set_progress` (off by
        default). The result does not depend on it.

    Returns
    -------
    ndarray of shape (S,)
        ``nu(x)``, in reward-rate units (a state that pays ``c`` forever has index ``c``).

    Guarantee
    ---------
    Both methods are exact up to floating point (dense linear solves; policy iteration
    terminates with an optimal policy and evaluates it exactly). Pulling an arm of
    largest index is optimal for independent arms (Gittins, Glazebrook and Weber 2011,
    Theorem 2.1).
    Tested by
    ``tests/bandits/test_gittins.py::test_largest_remaining_index_equals_brute_force``,
    ``tests/bandits/test_gittins.py::test_restart_in_state_agrees_with_largest_remaining``
    and
    ``tests/bandits/test_gittins.py::test_index_policy_is_optimal_in_the_joint_mdp``.

    References
    ----------
    Varaiya, Walrand, Buyukkoc 1985; Katehakis and Veinott 1987.

    Examples
    --------
    >>> P = [[0.0, 1.0], [0.0, 1.0]]   # state 0 pays 0 once, then state 1 pays 1 forever
    >>> np.round(gittins_index(P, [0.0, 1.0], 0.5), 6).tolist()
    [0.5, 1.0]
    """
    if P.shape[0] != P.shape[1]:
        raise InvalidParameterError("P", f"expected a square (S, S) transition matrix, got shape {P.shape}")
    with progress_bar(r.size, desc="bandits.gittins_index", progress=progress, unit="state") as bar:
        if method == "largest-remaining":
            return _largest_remaining(P, r, gamma, bar)
        return _restart(P, r, gamma, bar)


def _calibration_gap(a: float, b: float, beta: float, lam: float, depth: int, upper: bool) -> float:
    """Value of pulling once then continuing optimally, minus the retirement value.

    The truncated values at ``depth`` are ``max(lam, mean) / (1 - beta)`` (a lower bound
    on the true value) or, with ``upper``, ``max(lam, 1) / (1 - beta)`` (an upper bound).
    """
    retire = lam / (1.0 - beta)
    i = np.arange(depth + 1)
    if upper:
        V = np.full(depth + 1, max(lam, 1.0) / (1.0 - beta))
    else:
        V = np.maximum(lam, (a + i) / (a + b + depth)) / (1.0 - beta)
    for k in range(depth - 1, -1, -1):
        p = (a + i[: k + 1]) / (a + b + k)
        cont = p + beta * (p * V[1 : k + 2] + (1.0 - p) * V[: k + 1])
        if k == 0:
            return float(cont[0] - retire)
        V = np.maximum(retire, cont)
    raise AssertionError("unreachable: depth >= 1")  # pragma: no cover


def _bisect_index(a: float, b: float, beta: float, depth: int, epsilon: float, upper: bool) -> float:
    lo, hi = 1.0 / (1.0 + b / a), 1.0  # the posterior mean a / (a + b), without overflow
    while hi - lo > epsilon:
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:  # the interval cannot shrink further in float64
            break
        if _calibration_gap(a, b, beta, mid, depth, upper) > 0.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _default_depth(beta: float, epsilon: float) -> int:
    """Smallest depth with ``beta^depth / (1 - beta) <= epsilon / 2``; refused beyond :data:`MAX_DEPTH`."""
    need = math.log(0.5 * epsilon * (1.0 - beta)) / math.log(beta)
    if not need <= MAX_DEPTH:
        raise InvalidParameterError(
            "gamma",
            f"gamma={beta!r} needs a truncation depth of {need:.3g} > {MAX_DEPTH} for epsilon={epsilon!r}; "
            f"use a larger epsilon, a smaller gamma, or pass depth (with its larger error bound)",
        )
    return max(1, math.ceil(need))


def _gittins_index_beta(a: float, b: float, beta: float, epsilon: float, depth: int | None) -> float:
    """:func:`gittins_index_beta` on checked arguments (for :class:`GittinsBeta`'s memo)."""
    if beta == 0.0:
        return 1.0 / (1.0 + b / a)
    d = _default_depth(beta, epsilon) if depth is None else depth
    return _bisect_index(a, b, beta, d, 0.5 * epsilon, upper=False)


@validate_params(
    a=_PSEUDO_COUNT,
    b=_PSEUDO_COUNT,
    gamma=DISCOUNT,
    epsilon=_TOL,
    depth=Integer(1, MAX_DEPTH) | None,
)
def gittins_index_beta(a: float, b: float, gamma: float, *, epsilon: float = 1e-8, depth: int | None = None) -> float:
    """Gittins index of a Bernoulli arm with posterior ``Beta(a, b)``, by calibration.

    Parameters
    ----------
    a, b : float in (0, 2**53]
        Posterior parameters (``Beta(1, 1)`` is the uniform prior; after ``s`` successes
        and ``f`` failures the state is ``(1 + s, 1 + f)``). Above ``2**53`` adding a
        success would not change a pseudo-count in float64.
    gamma : float in [0, 1)
    epsilon : float in [1e-12, 1)
        Accuracy of the returned index (see the module docstring); below ``1e-12`` the
        index (a number in ``[0, 1]``) cannot be resolved by the float64 dynamic
        programme.
    depth : int in [1, 10**4], optional
        Truncation depth of the dynamic programme (its cost grows like ``depth^2``);
        default the smallest with ``beta^depth / (1 - beta) <= epsilon / 2``, which must
        not exceed ``10**4`` (a discount too close to 1 for ``epsilon`` is refused). When
        given, the error bound is ``beta^depth / (1 - beta) + epsilon / 2``.

    Returns
    -------
    float
        The index ``nu(a, b)``: ``nu - epsilon <= returned <= nu`` up to floating point
        (the truncation errs downwards, the bisection by at most ``epsilon / 2``).

    Guarantee
    ---------
    ``|returned - nu(a, b)| <= beta^depth / (1 - beta) + epsilon / 2`` (truncation, as in
    the module docstring, plus bisection); with the default depth, ``<= epsilon``.
    Tested by ``tests/bandits/test_gittins.py::test_beta_index_accuracy_statement`` and
    ``tests/bandits/test_gittins.py::test_beta_calibration_equals_the_exact_index_of_the_truncated_chain``.

    References
    ----------
    J. C. Gittins, K. Glazebrook, R. Weber, *Multi-armed Bandit Allocation Indices*,
    Wiley 2011, chapters 2 and 8 (calibration and the Bernoulli index).

    Examples
    --------
    >>> gittins_index_beta(2, 3, 0.0)   # myopic: the posterior mean
    0.4
    >>> nu = gittins_index_beta(1, 1, 0.9)
    >>> bool(0.5 < nu < 1.0)
    True
    """
    return _gittins_index_beta(a, b, gamma, epsilon, depth)


@validate_params(gamma=DISCOUNT, epsilon=_TOL)
class GittinsBeta:
    """The Gittins index policy for Bernoulli arms with ``Beta(1, 1)`` priors.

    Pulls the arm whose posterior ``Beta(1 + s_k, 1 + f_k)`` has the largest index at
    ``gamma`` (indices memoised across runs). A :class:`~bandits.BanditPolicy`, run
    by :func:`bandits.simulate` (Python path).

    Parameters
    ----------
    gamma : float in [0, 1)
    epsilon : float in [1e-12, 1)
        Accuracy of each index (:func:`gittins_index_beta`); the discount must be far
        enough from 1 for the default truncation depth at this ``epsilon``.

    Guarantee
    ---------
    Bayes-optimal for the discounted reward ``E[sum_t gamma^t X_t]`` with independent
    uniform priors on the arms' means (Gittins' index theorem; Gittins, Glazebrook and
    Weber 2011, Theorem 2.1). It is not designed for the undiscounted regret.
    Tested by
    ``tests/bandits/test_gittins.py::test_gittins_beta_policy_is_bayes_optimal`` (two
    arms, against the Bayes-optimal dynamic programme).

    Examples
    --------
    >>> import bandits
    >>> res = bandits.simulate(bandits.BernoulliBandit([0.2, 0.8]), GittinsBeta(0.9), 50, 1, rng=0)
    >>> res.pseudo_regret.shape
    (1, 50)
    """

    def __init__(self, gamma: float, *, epsilon: float = 1e-6) -> None:
        if gamma > 0.0:
            _default_depth(gamma, epsilon)  # refuse a discount too close to 1 now, not at the first pull
        self.gamma = gamma
        self.epsilon = epsilon
        self._memo: dict[tuple[int, int], float] = {}

    def _index(self, s: int, f: int) -> float:
        key = (s, f)
        if key not in self._memo:
            self._memo[key] = _gittins_index_beta(1.0 + s, 1.0 + f, self.gamma, self.epsilon, None)
        return self._memo[key]

    def reset(self, n_arms: int, horizon: int) -> None:
        """Start a run: every arm back to ``Beta(1, 1)``."""
        n_arms = check_int(n_arms, "n_arms", low=1, high=10**9)
        self.successes = np.zeros(n_arms, dtype=np.int64)
        self.failures = np.zeros(n_arms, dtype=np.int64)

    def select(self, t: int, rng: np.random.Generator) -> int:
        """The arm of largest index (lowest on ties)."""
        idx = [self._index(int(s), int(f)) for s, f in zip(self.successes, self.failures)]
        return int(np.argmax(idx))

    def update(self, arm: int, reward: float, rng: np.random.Generator) -> None:
        """Bayes update; rewards in ``(0, 1)`` are binarised with ``rng``."""
        success = reward == 1.0 or (0.0 < reward < 1.0 and rng.random() < reward)
        if success:
            self.successes[arm] += 1
        else:
            self.failures[arm] += 1

    def __repr__(self) -> str:
        return f"GittinsBeta(gamma={self.gamma}, epsilon={self.epsilon})"
