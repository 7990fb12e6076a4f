"""Linear bandits on a finite action set: OFUL (LinUCB) and linear Thompson sampling.

Arm ``a`` has a feature vector ``x_a`` in ``R^d`` and mean reward ``<x_a, theta*>``;
rewards carry conditionally ``R``-subgaussian noise. After ``t`` rounds the
regularised least-squares estimate is ``theta_t = V_t^{-1} sum_s X_s x_s`` with the
design matrix ``V_t = lam I + sum_s x_s x_s^T``.

Confidence ellipsoid (Abbasi-Yadkori, Pal and Szepesvari 2011, Theorem 2): with
probability at least ``1 - delta``, for all ``t >= 0``,
``||theta_t - theta*||_{V_t} <= sqrt(beta_t)`` with

``sqrt(beta_t) = R sqrt(2 ln(det(V_t)^{1/2} det(lam I)^{-1/2} / delta)) + sqrt(lam) S``

(:func:`oful_radius`). Two inequalities drive the regret analysis, and
:func:`elliptical_potential` returns both sides of each:

* elliptical potential lemma: ``sum_t min(1, ||x_t||^2_{V_{t-1}^{-1}}) <=
  2 ln(det V_n / det(lam I))`` (Abbasi-Yadkori et al. 2011, Lemma 11; Lattimore and
  Szepesvari 2020, Lemma 19.4);
* determinant-trace inequality: ``ln det V_n <= d ln(trace(V_n) / d) <=
  d ln(lam + n L^2 / d)`` when ``||x_t|| <= L`` (Lemma 10 of the same paper).

References
----------
Y. Abbasi-Yadkori, D. Pal, C. Szepesvari, Improved algorithms for linear stochastic
bandits, *NeurIPS* 2011. S. Agrawal, N. Goyal, Thompson sampling for contextual bandits
with linear payoffs, *ICML* 2013.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from bandits import _kernels as _k
from bandits._constraints import DELTA, POSITIVE
from bandits.environments import BanditEnvironment
from rlcore.validation import (
    Array,
    Integer,
    InvalidParameterError,
    Real,
    shape_of,
    validate_params,
)

__all__ = ["OFUL", "EllipticalPotential", "LinearBandit", "LinearThompson", "elliptical_potential", "oful_radius"]


#: A feature matrix (K, d) with finite entries.
FEATURES = Array(ndim=2)

#: Smallest ridge regulariser: below, ``V^{-1} = I / lam`` and its Sherman-Morrison
#: updates lose all precision in float64 (``1 / lam`` beyond ``1e8`` times the features'
#: scale).
LAM_FLOOR = 1e-8

#: The ridge regulariser ``lam`` in ``[1e-8, inf)``.
LAM = Real(LAM_FLOOR, None)


def _frozen(X: np.ndarray) -> np.ndarray:
    X.flags.writeable = False
    return X


@validate_params(features=FEATURES, theta=Array(ndim=1, shape=(shape_of("features", 1),)), noise_sd=Real(0, None))
class LinearBandit(BanditEnvironment):
    """Finite-armed linear bandit: arm ``a`` pays ``<features[a], theta> + noise_sd * z``.

    Parameters
    ----------
    features : array_like of shape (K, d)
        Finite, ``K, d >= 1``.
    theta : array_like of shape (d,)
    noise_sd : float >= 0
        Standard deviation of the Gaussian noise (``R``-subgaussian with ``R = noise_sd``).

    Raises
    ------
    InvalidParameterError
        If a mean ``<features[a], theta>`` overflows float64.

    Examples
    --------
    >>> env = LinearBandit([[1.0, 0.0], [0.0, 1.0]], [0.2, 0.5], noise_sd=0.1)
    >>> env.means.tolist(), env.dim
    ([0.2, 0.5], 2)
    """

    kind = _k.ENV_GAUSSIAN

    def __init__(self, features: Any, theta: Any, noise_sd: float = 1.0) -> None:
        self.features = _frozen(features)
        self.theta = theta
        self.noise_sd = noise_sd
        with np.errstate(over="ignore", invalid="ignore"):
            self.means = self.features @ theta
        if not np.all(np.isfinite(self.means)):
            raise InvalidParameterError("theta", "the means <features[a], theta> overflow float64; rescale")
        self.n_arms = int(self.features.shape[0])
        self.dim = int(self.features.shape[1])

    def means_table(self, horizon: int) -> np.ndarray:
        return self.means[None, :]

    def scale(self) -> np.ndarray:
        return np.full(self.n_arms, self.noise_sd)

    def draw_noise(self, rng: np.random.Generator, horizon: int) -> np.ndarray:
        return rng.standard_normal((horizon, 1))

    def __repr__(self) -> str:
        return f"LinearBandit(K={self.n_arms}, d={self.dim}, noise_sd={self.noise_sd})"


def _oful_radius(logdet_V: float, d: int, lam: float, delta: float, S: float, R: float) -> float:
    """:func:`oful_radius` without the declaration (for OFUL's per-round index)."""
    log_ratio = 0.5 * (logdet_V - d * math.log(lam))
    return R * math.sqrt(2.0 * (log_ratio - math.log(delta))) + math.sqrt(lam) * S


@validate_params(logdet_V=Real(), dim=Integer(1, 10**6), lam=POSITIVE, delta=DELTA, S=POSITIVE, R=POSITIVE)
def oful_radius(logdet_V: float, dim: int, *, lam: float, delta: float, S: float, R: float) -> float:
    """``sqrt(beta_t) = R sqrt(2 ln(det(V)^{1/2} det(lam I)^{-1/2} / delta)) + sqrt(lam) S``.

    Parameters
    ----------
    logdet_V : float
        ``ln det V_t`` of the current design matrix; ``V_t >= lam I``, so at least
        ``dim * ln(lam)``.
    dim : int in [1, 10**6]
        Dimension ``d`` (``ln det(lam I) = d ln lam``).
    lam, S, R : float > 0
    delta : float in (0, 1)

    Raises
    ------
    InvalidParameterError
        If ``logdet_V < dim * ln(lam)`` (no design matrix ``V >= lam I`` has it), or if
        the radius overflows float64.

    References
    ----------
    Abbasi-Yadkori, Pal, Szepesvari 2011, Theorem 2.

    Examples
    --------
    >>> round(oful_radius(2 * math.log(1.0), 2, lam=1.0, delta=0.05, S=1.0, R=1.0), 4)
    3.4477
    """
    floor = dim * math.log(lam)
    if logdet_V < floor:
        raise InvalidParameterError(
            "logdet_V", f"expected ln det V >= dim * ln(lam) = {floor!r} (V >= lam I), got {logdet_V!r}"
        )
    with np.errstate(over="ignore"):
        out = _oful_radius(logdet_V, dim, lam, delta, S, R)
    if not math.isfinite(out):
        raise InvalidParameterError("R", "the radius overflows float64; rescale S, R and lam")
    return out


class _RidgeState:
    """``V^{-1}``, ``b = sum X x``, ``ln det V`` updated in O(d^2) per round."""

    def __init__(self, d: int, lam: float) -> None:
        self.Vinv = np.eye(d) / lam
        self.b = np.zeros(d)
        self.logdet = d * math.log(lam)

    def update(self, x: np.ndarray, reward: float) -> None:
        Vx = self.Vinv @ x
        w = float(x @ Vx)
        self.Vinv -= np.outer(Vx, Vx) / (1.0 + w)  # Sherman-Morrison
        self.b += reward * x
        self.logdet += math.log1p(w)  # matrix determinant lemma

    @property
    def theta(self) -> np.ndarray:
        return self.Vinv @ self.b


@validate_params(features=FEATURES, lam=LAM, delta=DELTA, S=POSITIVE, R=POSITIVE)
class OFUL:
    """OFUL (LinUCB with the Abbasi-Yadkori ellipsoid) on a finite action set.

    Pulls ``argmax_a <x_a, theta_t> + sqrt(beta_t) ||x_a||_{V_t^{-1}}`` with the radius of
    :func:`oful_radius`: optimism over the confidence ellipsoid. A
    :class:`~bandits.BanditPolicy`, run by :func:`bandits.simulate` (Python path).

    Parameters
    ----------
    features : array_like of shape (K, d)
    lam : float >= 1e-8
        Ridge regularisation (below ``1e-8`` the ``O(d^2)`` inverse updates lose all
        precision in float64).
    delta : float in (0, 1)
        Confidence level of the ellipsoid.
    S : float > 0
        Bound on ``||theta*||``.
    R : float > 0
        Subgaussian noise level.

    Guarantee
    ---------
    If ``||theta*|| <= S``, ``||x_a|| <= L``, ``<x_a, theta*> in [-1, 1]`` and the noise is
    ``R``-subgaussian, then with probability at least ``1 - delta`` the pseudo-regret
    after every ``n`` is at most ``4 sqrt(n d ln(lam + n L / d)) (sqrt(lam) S + R sqrt(2
    ln(1/delta) + d ln(1 + n L / (lam d))))`` (Abbasi-Yadkori, Pal and Szepesvari 2011,
    Theorem 3); :func:`bandits.oful_regret_bound`.

    References
    ----------
    Y. Abbasi-Yadkori, D. Pal, C. Szepesvari, Improved algorithms for linear stochastic
    bandits, *NeurIPS* 2011.

    Examples
    --------
    >>> import bandits
    >>> env = LinearBandit([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6]], [0.1, 0.5], noise_sd=0.1)
    >>> res = bandits.simulate(OFUL(env.features, R=0.1), env, 200, 2, rng=0)
    >>> bool(res.pseudo_regret[:, -1].max() < 20)
    True
    """

    def __init__(self, features: Any, *, lam: float = 1.0, delta: float = 0.05, S: float = 1.0, R: float = 1.0) -> None:
        self.features = _frozen(features)
        self.lam = lam
        self.delta = delta
        self.S = S
        self.R = R

    def reset(self, n_arms: int, horizon: int) -> None:
        """Start a run; ``n_arms`` must equal the number of feature rows."""
        if n_arms != self.features.shape[0]:
            raise InvalidParameterError(
                "features", f"the policy has {self.features.shape[0]} arms, the environment {n_arms}"
            )
        self._state = _RidgeState(self.features.shape[1], self.lam)

    def radius(self) -> float:
        """Current ``sqrt(beta_t)``."""
        st = self._state
        return _oful_radius(st.logdet, self.features.shape[1], self.lam, self.delta, self.S, self.R)

    def select(self, t: int, rng: np.random.Generator) -> int:
        """The optimistic arm."""
        X, st = self.features, self._state
        width = np.sqrt(np.einsum("ij,jk,ik->i", X, st.Vinv, X))
        return int(np.argmax(X @ st.theta + self.radius() * width))

    def update(self, arm: int, reward: float, rng: np.random.Generator) -> None:
        """Rank-one update of the ridge estimate."""
        self._state.update(self.features[arm], float(reward))

    def __repr__(self) -> str:
        return f"OFUL(K={self.features.shape[0]}, lam={self.lam}, delta={self.delta}, S={self.S}, R={self.R})"


@validate_params(features=FEATURES, lam=LAM, v=POSITIVE)
class LinearThompson:
    """Linear Thompson sampling: ``theta~ ~ N(theta_t, v^2 V_t^{-1})``, pull ``argmax <x_a, theta~>``.

    Parameters
    ----------
    features : array_like of shape (K, d)
    lam : float >= 1e-8
        Ridge regularisation (as in :class:`OFUL`).
    v : float > 0
        Posterior inflation. Agrawal and Goyal's analysis takes
        ``v = R sqrt(24 d ln(1/delta) / eps)``; ``v = R`` (the Bayesian posterior under a
        Gaussian prior and noise) is the common practical choice.

    Guarantee
    ---------
    With ``v = R sqrt(24 d ln(1/delta) / eps)`` and ``eps in (0, 1)``, the regret is
    ``O(d^2 / eps sqrt(n^{1 + eps}) ln(n d) ln(1/delta))`` with probability ``1 - delta``
    (Agrawal and Goyal 2013, Theorem 1); ``O(d^{3/2} sqrt(n))`` up to logarithms for
    ``eps = 1 / ln n``.

    References
    ----------
    S. Agrawal, N. Goyal, Thompson sampling for contextual bandits with linear payoffs,
    *ICML* 2013.

    Examples
    --------
    >>> LinearThompson([[1.0, 0.0], [0.0, 1.0]], v=0.5).v
    0.5
    """

    def __init__(self, features: Any, *, lam: float = 1.0, v: float = 1.0) -> None:
        self.features = _frozen(features)
        self.lam = lam
        self.v = v

    def reset(self, n_arms: int, horizon: int) -> None:
        """Start a run; ``n_arms`` must equal the number of feature rows."""
        if n_arms != self.features.shape[0]:
            raise InvalidParameterError(
                "features", f"the policy has {self.features.shape[0]} arms, the environment {n_arms}"
            )
        self._state = _RidgeState(self.features.shape[1], self.lam)

    def select(self, t: int, rng: np.random.Generator) -> int:
        """The arm that is best for a posterior sample."""
        st = self._state
        cov = 0.5 * (st.Vinv + st.Vinv.T)
        L = np.linalg.cholesky(cov)
        sample = st.theta + self.v * (L @ rng.standard_normal(self.features.shape[1]))
        return int(np.argmax(self.features @ sample))

    def update(self, arm: int, reward: float, rng: np.random.Generator) -> None:
        """Rank-one update of the ridge estimate."""
        self._state.update(self.features[arm], float(reward))

    def __repr__(self) -> str:
        return f"LinearThompson(K={self.features.shape[0]}, lam={self.lam}, v={self.v})"


@dataclass(frozen=True)
class EllipticalPotential:
    """Both sides of the elliptical potential and determinant-trace inequalities.

    Attributes
    ----------
    widths : ndarray of shape (n,)
        ``||x_t||^2_{V_{t-1}^{-1}}`` for each round.
    potential : float
        ``sum_t min(1, widths[t])``.
    log_det_ratio : float
        ``ln det V_n - d ln lam``.
    logdet : float
        ``ln det V_n``.
    trace_bound : float
        ``d ln(trace(V_n) / d)`` (an upper bound on ``logdet`` by AM-GM).
    norm_bound : float
        ``d ln(lam + n L^2 / d)`` with ``L = max_t ||x_t||``.
    """

    widths: np.ndarray
    potential: float
    log_det_ratio: float
    logdet: float
    trace_bound: float
    norm_bound: float


@validate_params(X=Array(ndim=2), lam=LAM)
def elliptical_potential(X: Any, lam: float = 1.0) -> EllipticalPotential:
    """Compute the quantities of the elliptical potential lemma for a feature sequence.

    Parameters
    ----------
    X : array_like of shape (n, d)
        The chosen feature vectors ``x_1, ..., x_n`` (finite, ``n, d >= 1``).
    lam : float >= 1e-8
        Ridge regularisation (as in :class:`OFUL`).

    Returns
    -------
    EllipticalPotential
        The lemma states ``potential <= 2 * log_det_ratio``; the determinant-trace
        inequality ``logdet <= trace_bound <= norm_bound``.

    Examples
    --------
    >>> ep = elliptical_potential(np.eye(3), lam=1.0)
    >>> ep.widths.tolist(), round(ep.log_det_ratio, 6)
    ([1.0, 1.0, 1.0], 2.079442)
    """
    A = X
    n, d = A.shape
    with np.errstate(over="ignore", invalid="ignore"):
        V = lam * np.eye(d) + A.T @ A
        L2 = float(np.max(np.sum(A * A, axis=1)))
        trace = float(np.trace(V))
    if not (np.all(np.isfinite(V)) and math.isfinite(L2) and math.isfinite(trace)):
        raise InvalidParameterError("X", "the design matrix lam I + X^T X overflows float64; rescale the features")
    st = _RidgeState(d, lam)
    widths = np.empty(n)
    for i in range(n):
        widths[i] = float(A[i] @ st.Vinv @ A[i])
        st.update(A[i], 0.0)
    sign, logdet = np.linalg.slogdet(V)
    return EllipticalPotential(
        widths=widths,
        potential=float(np.minimum(1.0, widths).sum()),
        log_det_ratio=float(logdet - d * math.log(lam)),
        logdet=float(logdet),
        trace_bound=float(d * math.log(trace / d)),
        norm_bound=float(d * math.log(lam + n * L2 / d)),
    )
