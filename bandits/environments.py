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

from typing import Any

import numpy as np

from bandits import _kernels as _k
from rlcore.validation import as_float_array, check_positive_int
from rlcore.randomness import RNGLike, as_generator

__all__ = [
    "AdversarialBandit",
    "BanditEnvironment",
    "BernoulliBandit",
    "BetaBandit",
    "GaussianBandit",
    "PiecewiseStationaryBandit",
]


def _means(x: Any, name: str, *, unit: bool) -> np.ndarray:
    arr = as_float_array(x, name, ndim=1)
    if arr.size == 0:
        raise ValueError(f"{name}: expected at least one arm, got an empty array")
    if unit:
        bad = (arr < 0.0) | (arr > 1.0)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"{name}: Bernoulli means must lie in [0, 1], found {arr[i]!r} at index {i}")
    arr.flags.writeable = False
    return arr


class BanditEnvironment:
    """Base class: the arrays the engine reads and the batched simulator protocol.

    Subclasses set ``kind`` (a code of :mod:`bandits._kernels`) and implement
    :meth:`means_table`, :meth:`draw_noise` (and :meth:`oracle` when the benchmark is
    not the best mean).
    """

    kind: int = _k.ENV_TABLE
    n_arms: int

    def means_table(self, horizon: int) -> np.ndarray:
        """Expected rewards, ndarray of shape ``(1, K)`` or ``(horizon, K)``."""
        raise NotImplementedError

    def scale(self) -> np.ndarray:
        """Per-arm noise scale used by Gaussian arms, ndarray of shape ``(K,)``."""
        return np.ones(self.n_arms)

    def oracle(self, horizon: int) -> np.ndarray:
        """Benchmark reward per round: the best mean, shape ``(1,)`` or ``(horizon,)``."""
        return self.means_table(horizon).max(axis=1)

    def draw_noise(self, rng: np.random.Generator, horizon: int) -> np.ndarray:
        """The randomness of one run, ndarray of shape ``(horizon, 1)`` or ``(horizon, K)``."""
        raise NotImplementedError

    def gaps(self, horizon: int = 1) -> np.ndarray:
        """Sub-optimality gaps ``max_k mu_k - mu_i`` of a stationary instance, shape ``(K,)``."""
        m = self.means_table(horizon)
        if m.shape[0] != 1:
            raise ValueError("horizon: gaps are defined for stationary arms only")
        return m[0].max() - m[0]

    # -- the rlcore.Simulator protocol: the state of a run is its round index
    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """Start ``n`` runs: states are round indices, all 0."""
        return np.zeros(check_positive_int(n, "n"), dtype=np.int64)

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pull ``actions[i]`` in run ``i`` at its round ``states[i]``; never terminates.

        Returns ``(states + 1, rewards, terminated)``.
        """
        st = np.asarray(states, dtype=np.int64)
        acts = np.asarray(actions)
        if acts.shape != st.shape or acts.ndim != 1:
            raise ValueError(f"actions: expected shape {st.shape}, got {acts.shape}")
        if not np.issubdtype(acts.dtype, np.integer) or acts.size and (acts.min() < 0 or acts.max() >= self.n_arms):
            raise ValueError(f"actions: expected integer arms in [0, {self.n_arms}), got {acts!r}")
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
        raise NotImplementedError


class BernoulliBandit(BanditEnvironment):
    """Arms with Bernoulli rewards of means ``means``.

    Parameters
    ----------
    means : array_like of shape (K,)
        Success probabilities in ``[0, 1]``.

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
        self.means = _means(means, "means", unit=True)
        self.n_arms = int(self.means.size)

    def means_table(self, horizon: int) -> np.ndarray:
        return self.means[None, :]

    def draw_noise(self, rng: np.random.Generator, horizon: int) -> np.ndarray:
        return rng.random((horizon, 1))

    def __repr__(self) -> str:
        return f"BernoulliBandit(means={self.means.tolist()})"


class GaussianBandit(BanditEnvironment):
    """Arms with Gaussian rewards ``N(means[k], sigma[k]^2)``.

    Parameters
    ----------
    means : array_like of shape (K,)
    sigma : float or array_like of shape (K,)
        Standard deviations, ``>= 0``.

    Examples
    --------
    >>> GaussianBandit([0.0, 1.0], sigma=0.5).scale().tolist()
    [0.5, 0.5]
    """

    kind = _k.ENV_GAUSSIAN

    def __init__(self, means: Any, sigma: Any = 1.0) -> None:
        self.means = _means(means, "means", unit=False)
        self.n_arms = int(self.means.size)
        s = as_float_array(sigma, "sigma", ndim=(0, 1))
        s = np.broadcast_to(s, self.means.shape).copy() if s.ndim == 0 else s
        if s.shape != self.means.shape:
            raise ValueError(f"sigma: expected a scalar or shape {self.means.shape}, got {s.shape}")
        if (s < 0).any():
            i = int(np.argmax(s < 0))
            raise ValueError(f"sigma: standard deviations must be >= 0, found {s[i]!r} at index {i}")
        s.flags.writeable = False
        self.sigma = s

    def means_table(self, horizon: int) -> np.ndarray:
        return self.means[None, :]

    def scale(self) -> np.ndarray:
        return self.sigma

    def draw_noise(self, rng: np.random.Generator, horizon: int) -> np.ndarray:
        return rng.standard_normal((horizon, 1))

    def __repr__(self) -> str:
        return f"GaussianBandit(means={self.means.tolist()}, sigma={self.sigma.tolist()})"


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
        a = as_float_array(alpha, "alpha", ndim=1)
        b = as_float_array(beta, "beta", ndim=1)
        if a.size == 0:
            raise ValueError("alpha: expected at least one arm, got an empty array")
        if b.shape != a.shape:
            raise ValueError(f"beta: expected shape {a.shape} (as alpha), got {b.shape}")
        for arr, name in ((a, "alpha"), (b, "beta")):
            if (arr <= 0).any():
                i = int(np.argmax(arr <= 0))
                raise ValueError(f"{name}: shape parameters must be > 0, found {arr[i]!r} at index {i}")
        self.alpha, self.beta = a, b
        self.means = a / (a + b)
        self.n_arms = int(a.size)

    def means_table(self, horizon: int) -> np.ndarray:
        return self.means[None, :]

    def draw_noise(self, rng: np.random.Generator, horizon: int) -> np.ndarray:
        return rng.beta(self.alpha, self.beta, size=(horizon, self.n_arms))

    def _sample(self, rounds: np.ndarray, arms: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        return gen.beta(self.alpha[arms], self.beta[arms])

    def __repr__(self) -> str:
        return f"BetaBandit(alpha={self.alpha.tolist()}, beta={self.beta.tolist()})"


class PiecewiseStationaryBandit(BanditEnvironment):
    """Bernoulli or Gaussian arms whose means change at known rounds.

    Parameters
    ----------
    means : array_like of shape (M, K)
        Means of each of the ``M`` stationary segments.
    change_points : array_like of int, shape (M - 1,)
        Strictly increasing rounds ``1 <= c_1 < ... < c_{M-1}``: segment ``j`` covers
        the 0-based rounds ``c_j <= t < c_{j+1}`` (``c_0 = 0``).
    distribution : {"bernoulli", "gaussian"}
    sigma : float
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
        m = as_float_array(means, "means", ndim=2)
        if m.shape[0] == 0 or m.shape[1] == 0:
            raise ValueError(f"means: expected shape (M, K) with M, K >= 1, got {m.shape}")
        if distribution not in ("bernoulli", "gaussian"):
            raise ValueError(f"distribution: expected 'bernoulli' or 'gaussian', got {distribution!r}")
        if distribution == "bernoulli":
            _means(m.ravel(), "means", unit=True)
        cps = np.asarray(change_points)
        if cps.ndim != 1 or cps.shape[0] != m.shape[0] - 1 or (cps.size and not np.issubdtype(cps.dtype, np.integer)):
            raise ValueError(f"change_points: expected {m.shape[0] - 1} integer rounds, got {change_points!r}")
        if cps.size and (cps[0] < 1 or np.any(np.diff(cps) <= 0)):
            raise ValueError(f"change_points: expected strictly increasing rounds >= 1, got {cps.tolist()}")
        s = float(sigma)
        if not np.isfinite(s) or s < 0:
            raise ValueError(f"sigma: expected a standard deviation >= 0, got {sigma!r}")
        self.segment_means = m
        self.change_points = cps.astype(np.int64)
        self.distribution = distribution
        self.kind = _k.ENV_BERNOULLI if distribution == "bernoulli" else _k.ENV_GAUSSIAN
        self.sigma = s
        self.n_arms = int(m.shape[1])

    def means_table(self, horizon: int) -> np.ndarray:
        seg = np.searchsorted(self.change_points, np.arange(horizon), side="right")
        return self.segment_means[seg]

    def scale(self) -> np.ndarray:
        return np.full(self.n_arms, self.sigma)

    def draw_noise(self, rng: np.random.Generator, horizon: int) -> np.ndarray:
        if self.kind == _k.ENV_BERNOULLI:
            return rng.random((horizon, 1))
        return rng.standard_normal((horizon, 1))


class AdversarialBandit(BanditEnvironment):
    """An oblivious adversary: a fixed reward table ``rewards[t, k]`` in ``[0, 1]``.

    Regret is measured against the best fixed arm in hindsight over the simulated
    horizon, ``max_k sum_t rewards[t, k]`` (Auer et al. 2002); both regrets the engine
    reports then coincide (the table is deterministic).

    Parameters
    ----------
    rewards : array_like of shape (T0, K)
        The simulated horizon must not exceed ``T0``.

    Examples
    --------
    >>> env = AdversarialBandit([[1, 0], [1, 0], [0, 1]])
    >>> env.oracle(3).tolist()
    [1.0, 1.0, 0.0]
    """

    kind = _k.ENV_TABLE

    def __init__(self, rewards: Any) -> None:
        X = as_float_array(rewards, "rewards", ndim=2)
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"rewards: expected shape (T, K) with T, K >= 1, got {X.shape}")
        if (X < 0).any() or (X > 1).any():
            raise ValueError("rewards: adversarial rewards must lie in [0, 1]")
        X.flags.writeable = False
        self.rewards = X
        self.n_arms = int(X.shape[1])

    def _check_h(self, horizon: int) -> int:
        h = check_positive_int(horizon, "horizon")
        if h > self.rewards.shape[0]:
            raise ValueError(f"horizon: the reward table has {self.rewards.shape[0]} rounds, got horizon={h}")
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
