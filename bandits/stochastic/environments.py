"""Bandit environments: stochastic, bounded, piecewise-stationary and adversarial arms.

A ``K``-armed bandit is, for the engine (:func:`bandits.simulate`), three arrays for a
horizon ``T``:

* ``means_table(T)``: the expected reward of each arm, ndarray of shape ``(1, K)``
  for stationary arms or ``(T, K)`` when the means change with the round;
* ``oracle(T)``: the benchmark reward of each round, shape ``(1,)`` or ``(T,)``: the
  best mean ``max_k mu_k(t)`` for stochastic arms (the dynamic oracle for
  piecewise-stationary ones), the reward of the best *fixed* arm in hindsight for
  adversarial tables;
* ``draw_noise(rng, T)``: the randomness of one run, drawn up front from ``rng``
  (one uniform per round for Bernoulli arms, one standard normal per round for
  Gaussian arms, a full ``(T, K)`` reward table otherwise).

Per round, with ``A_t`` the pulled arm and ``X_t`` its reward, the engine adds
``oracle(t) - mu_{A_t}(t)`` to the *pseudo-regret* and ``oracle(t) - X_t`` to the
*realised regret* (Lattimore and Szepesvari 2020, section 4.5). Each environment also
implements the batched :class:`rlcore.Simulator` protocol (state: the round index),
so that ``n`` independent runs are sampled in one call.

References
----------
T. Lattimore and C. Szepesvari, *Bandit Algorithms*, Cambridge University Press 2020,
chapters 4 (stochastic bandits), 11 (adversarial bandits) and 31 (non-stationary).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bandits.stochastic import _kernels as _k
from bandits._constraints import MAX_HORIZON, MAX_RUNS
from rlcore.validation import (
    Array,
    InvalidParameterError,
    Options,
    Real,
    check_int,
    shape_of,
    validate_params,
)
from rlcore.randomness import RNGLike, as_generator

__all__ = [
    "AdversarialBandit",
    "BanditEnvironment",
    "BernoulliBandit",
    "BetaBandit",
    "GaussianBandit",
    "PiecewiseStationaryBandit",
]


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def _check_horizon(horizon: Any, name: str = "horizon") -> int:
    """The horizon argument of the engine-facing methods (int in [1, MAX_HORIZON])."""
    return check_int(horizon, name, low=1, high=MAX_HORIZON)


@validate_params()
class BanditEnvironment:
    """Base class: the arrays the engine reads and the batched simulator protocol.

    Subclasses set ``kind`` (a code of :mod:`bandits.stochastic._kernels`) and implement
    :meth:`means_table`, :meth:`draw_noise` (and :meth:`oracle` when the benchmark is
    not the best mean).
    """

    kind: int = _k.ENV_TABLE
    n_arms: int

    def __init__(self) -> None:
        """The base class takes no arguments (subclasses define the arms)."""

    def means_table(self, horizon: int) -> np.ndarray:
        """Expected rewards, ndarray of shape ``(1, K)`` or ``(horizon, K)``."""
        raise NotImplementedError

    def scale(self) -> np.ndarray:
        """Per-arm noise scale used by Gaussian arms, ndarray of shape ``(K,)``."""
        return np.ones(self.n_arms)

    def oracle(self, horizon: int) -> np.ndarray:
        """Benchmark reward per round: the best mean, shape ``(1,)`` or ``(horizon,)``."""
        return self.means_table(horizon).max(axis=1)

    def reward_range(self) -> tuple[float, float]:
        """The interval every reward lies in: ``(0, 1)``, or the real line for Gaussian arms.

        Bernoulli, Beta and reward-table arms pay in ``[0, 1]``; Gaussian arms (any
        ``sigma``, including 0) count as unbounded. :func:`bandits.simulate` compares it
        with a policy's ``reward_range`` (the rewards its update is defined for) and
        refuses a policy that would have to clip or misread the rewards.
        """
        if self.kind == _k.ENV_GAUSSIAN:
            return (-math.inf, math.inf)
        return (0.0, 1.0)

    def draw_noise(self, rng: np.random.Generator, horizon: int) -> np.ndarray:
        """The randomness of one run, ndarray of shape ``(horizon, 1)`` or ``(horizon, K)``."""
        raise NotImplementedError

    def gaps(self, horizon: int = 1) -> np.ndarray:
        """Sub-optimality gaps ``max_k mu_k - mu_i`` of a stationary instance, shape ``(K,)``."""
        m = self.means_table(_check_horizon(horizon))
        if m.shape[0] != 1:
            raise InvalidParameterError("horizon", "gaps are defined for stationary arms only")
        return m[0].max() - m[0]

    # -- the rlcore.Simulator protocol: the state of a run is its round index
    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """Start ``n`` runs (``1 <= n <= 10**6``): states are round indices, all 0."""
        return np.zeros(check_int(n, "n", low=1, high=MAX_RUNS), dtype=np.int64)

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pull ``actions[i]`` in run ``i`` at its round ``states[i]``; never terminates.

        Returns ``(states + 1, rewards, terminated)``.
        """
        st = Array("int", ndim=1, low=0, high=MAX_HORIZON - 1, min_size=0).check(states, "states")
        acts = Array("int", ndim=1, shape=(st.size,), low=0, high=self.n_arms - 1, min_size=0).check(actions, "actions")
        gen = as_generator(rng)
        rewards = self._sample(st, acts.astype(np.int64), gen)
        return st + 1, rewards, np.zeros(st.shape, dtype=bool)

    def _sample(self, rounds: np.ndarray, arms: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        T = int(rounds.max()) + 1 if rounds.size else 1
        means = self.means_table(T)
        mu = means[rounds if means.shape[0] > 1 else np.zeros_like(rounds), arms]
        if self.kind == _k.ENV_BERNOULLI:
            return (gen.random(rounds.shape) < mu).astype(np.float64)
        if self.kind == _k.ENV_GAUSSIAN:
            return mu + self.scale()[arms] * gen.standard_normal(rounds.shape)
        raise NotImplementedError(f"{type(self).__name__} does not implement step(); override _sample")


@validate_params(means=Array(ndim=1, low=0.0, high=1.0))
class BernoulliBandit(BanditEnvironment):
    """Arms with Bernoulli rewards of means ``means``.

    Parameters
    ----------
    means : array_like of shape (K,)
        Success probabilities in ``[0, 1]``, ``K >= 1``.

    Examples
    --------
    >>> env = BernoulliBandit([0.2, 0.5])
    >>> env.gaps().tolist()
    [0.3, 0.0]
    >>> _, r, _ = env.step(env.reset(3), [1, 1, 0], rng=0)
    >>> r.shape
    (3,)
    """

    kind = _k.ENV_BERNOULLI

    def __init__(self, means: Any) -> None:
        self.means = _frozen(means)
        self.n_arms = int(self.means.size)

    def means_table(self, horizon: int) -> np.ndarray:
        return self.means[None, :]

    def draw_noise(self, rng: np.random.Generator, horizon: int) -> np.ndarray:
        return rng.random((horizon, 1))

    def __repr__(self) -> str:
        return f"BernoulliBandit(means={self.means.tolist()})"


@validate_params(means=Array(ndim=1), sigma=Real(0, None) | Array(ndim=1, shape=(shape_of("means"),), low=0.0))
class GaussianBandit(BanditEnvironment):
    """Arms with Gaussian rewards ``N(means[k], sigma[k]^2)``.

    Parameters
    ----------
    means : array_like of shape (K,)
        Finite means, ``K >= 1``.
    sigma : float or array_like of shape (K,)
        Standard deviations, ``>= 0``.

    Examples
    --------
    >>> GaussianBandit([0.0, 1.0], sigma=0.5).scale().tolist()
    [0.5, 0.5]
    """

    kind = _k.ENV_GAUSSIAN

    def __init__(self, means: Any, sigma: Any = 1.0) -> None:
        self.means = _frozen(means)
        self.n_arms = int(self.means.size)
        s = np.full(self.means.shape, sigma) if isinstance(sigma, float) else np.array(sigma, dtype=np.float64)
        self.sigma = _frozen(s)

    def means_table(self, horizon: int) -> np.ndarray:
        return self.means[None, :]

    def scale(self) -> np.ndarray:
        return self.sigma

    def draw_noise(self, rng: np.random.Generator, horizon: int) -> np.ndarray:
        return rng.standard_normal((horizon, 1))

    def __repr__(self) -> str:
        return f"GaussianBandit(means={self.means.tolist()}, sigma={self.sigma.tolist()})"


@validate_params(
    alpha=Array(ndim=1, low=0.0, closed="neither"),
    beta=Array(ndim=1, shape=(shape_of("alpha"),), low=0.0, closed="neither"),
)
class BetaBandit(BanditEnvironment):
    """Bounded-support arms: rewards ``Beta(alpha[k], beta[k])`` on ``[0, 1]``.

    Parameters
    ----------
    alpha, beta : array_like of shape (K,)
        Positive shape parameters; the means are ``alpha / (alpha + beta)``.

    Examples
    --------
    >>> BetaBandit([1, 3], [1, 1]).means.tolist()
    [0.5, 0.75]
    """

    kind = _k.ENV_TABLE

    def __init__(self, alpha: Any, beta: Any) -> None:
        a, b = alpha, beta
        self.alpha, self.beta = _frozen(a), _frozen(b)
        with np.errstate(over="ignore"):
            self.means = _frozen(1.0 / (1.0 + b / a))  # a / (a + b), without overflowing a + b
        self.n_arms = int(a.size)

    def means_table(self, horizon: int) -> np.ndarray:
        return self.means[None, :]

    def draw_noise(self, rng: np.random.Generator, horizon: int) -> np.ndarray:
        return rng.beta(self.alpha, self.beta, size=(horizon, self.n_arms))

    def _sample(self, rounds: np.ndarray, arms: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        return gen.beta(self.alpha[arms], self.beta[arms])

    def __repr__(self) -> str:
        return f"BetaBandit(alpha={self.alpha.tolist()}, beta={self.beta.tolist()})"


@validate_params(
    means=Array(ndim=2),
    change_points=Array("int", ndim=1, shape=(shape_of("means", 0, -1),), low=1, high=MAX_HORIZON, min_size=0),
    distribution=Options("bernoulli", "gaussian"),
    sigma=Real(0, None),
)
class PiecewiseStationaryBandit(BanditEnvironment):
    """Bernoulli or Gaussian arms whose means change at known rounds.

    Parameters
    ----------
    means : array_like of shape (M, K)
        Means of each of the ``M`` stationary segments (in ``[0, 1]`` for Bernoulli
        arms).
    change_points : array_like of int, shape (M - 1,)
        Strictly increasing rounds ``1 <= c_1 < ... < c_{M-1} <= 10**9``: segment ``j``
        covers the 0-based rounds ``c_j <= t < c_{j+1}`` (``c_0 = 0``).
    distribution : {"bernoulli", "gaussian"}
    sigma : float >= 0
        Standard deviation of Gaussian rewards.

    Notes
    -----
    The oracle is dynamic: ``max_k mu_k(t)`` in every round (the regret of
    Garivier and Moulines 2011).

    Examples
    --------
    >>> env = PiecewiseStationaryBandit([[0.9, 0.1], [0.1, 0.9]], [2])
    >>> env.means_table(4)[:, 0].tolist(), env.oracle(4).tolist()
    ([0.9, 0.9, 0.1, 0.1], [0.9, 0.9, 0.9, 0.9])
    """

    def __init__(self, means: Any, change_points: Any, *, distribution: str = "bernoulli", sigma: float = 1.0) -> None:
        m, cps, s = means, change_points, sigma
        if distribution == "bernoulli" and ((m < 0) | (m > 1)).any():
            idx = tuple(int(i) for i in np.argwhere((m < 0) | (m > 1))[0])
            raise InvalidParameterError("means", f"Bernoulli means must lie in [0, 1], found {m[idx]!r} at index {idx}")
        if cps.size and np.any(np.diff(cps) <= 0):
            raise InvalidParameterError("change_points", f"expected strictly increasing rounds, got {cps.tolist()}")
        self.segment_means = _frozen(m)
        self.change_points = _frozen(cps)
        self.distribution = distribution
        self.kind = _k.ENV_BERNOULLI if distribution == "bernoulli" else _k.ENV_GAUSSIAN
        self.sigma = s
        self.n_arms = int(m.shape[1])

    def means_table(self, horizon: int) -> np.ndarray:
        seg = np.searchsorted(self.change_points, np.arange(_check_horizon(horizon)), side="right")
        return self.segment_means[seg]

    def scale(self) -> np.ndarray:
        return np.full(self.n_arms, self.sigma)

    def draw_noise(self, rng: np.random.Generator, horizon: int) -> np.ndarray:
        if self.kind == _k.ENV_BERNOULLI:
            return rng.random((horizon, 1))
        return rng.standard_normal((horizon, 1))

    def __repr__(self) -> str:
        sigma = "" if self.distribution == "bernoulli" else f", sigma={self.sigma!r}"
        return (
            f"PiecewiseStationaryBandit({self.segment_means.tolist()}, {self.change_points.tolist()}, "
            f"distribution={self.distribution!r}{sigma})"
        )


@validate_params(rewards=Array(ndim=2, low=0.0, high=1.0))
class AdversarialBandit(BanditEnvironment):
    """An oblivious adversary: a fixed reward table ``rewards[t, k]`` in ``[0, 1]``.

    Regret is measured against the best fixed arm in hindsight over the simulated
    horizon, ``max_k sum_t rewards[t, k]`` (Auer et al. 2002); both regrets the engine
    reports then coincide (the table is deterministic).

    Parameters
    ----------
    rewards : array_like of shape (T0, K)
        Rewards in ``[0, 1]``, ``T0, K >= 1``. The simulated horizon must not exceed
        ``T0``.

    Examples
    --------
    >>> env = AdversarialBandit([[1, 0], [1, 0], [0, 1]])
    >>> env.oracle(3).tolist()
    [1.0, 1.0, 0.0]
    """

    kind = _k.ENV_TABLE

    def __init__(self, rewards: Any) -> None:
        self.rewards = _frozen(rewards)
        self.n_arms = int(rewards.shape[1])

    def _check_h(self, horizon: int) -> int:
        h = _check_horizon(horizon)
        if h > self.rewards.shape[0]:
            raise InvalidParameterError(
                "horizon", f"the reward table has {self.rewards.shape[0]} rounds, got horizon={h}"
            )
        return h

    def means_table(self, horizon: int) -> np.ndarray:
        return self.rewards[: self._check_h(horizon)]

    def best_arm(self, horizon: int) -> int:
        """The best fixed arm in hindsight over ``horizon`` rounds (lowest index on ties)."""
        return int(np.argmax(self.rewards[: self._check_h(horizon)].sum(axis=0)))

    def oracle(self, horizon: int) -> np.ndarray:
        return self.rewards[: self._check_h(horizon), self.best_arm(horizon)]

    def draw_noise(self, rng: np.random.Generator, horizon: int) -> np.ndarray:
        return np.ascontiguousarray(self.rewards[: self._check_h(horizon)])

    def _sample(self, rounds: np.ndarray, arms: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        return self.rewards[rounds, arms]

    def __repr__(self) -> str:
        T0, K = self.rewards.shape
        return f"AdversarialBandit(<reward table of {T0} rounds x {K} arms>)"
