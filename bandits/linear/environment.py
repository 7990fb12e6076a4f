"""The finite-armed linear bandit environment.

Arm ``a`` has a feature vector ``x_a`` in ``R^d`` and mean reward ``<x_a, theta*>``; the
reward carries Gaussian noise of standard deviation ``sigma``. A
:class:`bandits.BanditEnvironment`, so every policy of the library runs on it with
:func:`bandits.simulate`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bandits.linear._ridge import FEATURES, frozen as _frozen
from bandits.stochastic import _kernels as _k
from bandits.stochastic.environments import BanditEnvironment
from rlcore.validation import Array, InvalidParameterError, Real, shape_of, validate_params

__all__ = ["LinearBandit"]


@validate_params(features=FEATURES, theta=Array(ndim=1, shape=(shape_of("features", 1),)), sigma=Real(0, None))
class LinearBandit(BanditEnvironment):
    """Finite-armed linear bandit: arm ``a`` pays ``<features[a], theta> + sigma * z``.

    Parameters
    ----------
    features : array_like of shape (K, d)
        Finite, ``K, d >= 1``.
    theta : array_like of shape (d,)
    sigma : float >= 0
        Standard deviation of the Gaussian noise (``R``-subgaussian with ``R = sigma``).

    Raises
    ------
    InvalidParameterError
        If a mean ``<features[a], theta>`` overflows float64.

    Examples
    --------
    >>> env = LinearBandit([[1.0, 0.0], [0.0, 1.0]], [0.2, 0.5], sigma=0.1)
    >>> env.means.tolist(), env.dim
    ([0.2, 0.5], 2)
    """

    kind = _k.ENV_GAUSSIAN

    def __init__(self, features: Any, theta: Any, sigma: float = 1.0) -> None:
        self.features = _frozen(features)
        self.theta = theta
        self.sigma = sigma
        with np.errstate(over="ignore", invalid="ignore"):
            self.means = self.features @ theta
        if not np.all(np.isfinite(self.means)):
            raise InvalidParameterError("theta", "the means <features[a], theta> overflow float64; rescale")
        self.n_arms = int(self.features.shape[0])
        self.dim = int(self.features.shape[1])

    def means_table(self, horizon: int) -> np.ndarray:
        return self.means[None, :]

    def scale(self) -> np.ndarray:
        return np.full(self.n_arms, self.sigma)

    def draw_noise(self, rng: np.random.Generator, horizon: int) -> np.ndarray:
        return rng.standard_normal((horizon, 1))

    def __repr__(self) -> str:
        return f"LinearBandit(K={self.n_arms}, d={self.dim}, sigma={self.sigma})"
