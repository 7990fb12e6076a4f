"""Policies for linear bandits: OFUL (LinUCB with the Abbasi-Yadkori ellipsoid) and linear Thompson sampling.

Both keep the regularised least-squares estimate ``theta_t = V_t^{-1} sum_s X_s x_s``
with ``V_t = lam I + sum_s x_s x_s^T``, updated in ``O(d^2)`` per round; OFUL acts
optimistically over the confidence ellipsoid of radius :func:`oful_radius`, Thompson
sampling on a Gaussian sample around ``theta_t``. Both follow the
:class:`bandits.BanditPolicy` protocol.

References
----------
Y. Abbasi-Yadkori, D. Pal, C. Szepesvari, Improved algorithms for linear stochastic
bandits, *NeurIPS* 2011. S. Agrawal, N. Goyal, Thompson sampling for contextual bandits
with linear payoffs, *ICML* 2013.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bandits._constraints import DELTA, POSITIVE
from bandits.linear._ridge import FEATURES, LAM, _RidgeState, frozen as _frozen
from rlcore.validation import Integer, InvalidParameterError, Real, validate_params

__all__ = ["OFUL", "LinearThompson", "oful_radius"]


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
    Tested by
    ``tests/bandits/test_linear.py::test_oful_and_linear_thompson_regret_below_theorem_3``
    and, for the confidence ellipsoid it rests on,
    ``tests/bandits/test_linear.py::test_confidence_ellipsoid_covers_theta``.

    References
    ----------
    Y. Abbasi-Yadkori, D. Pal, C. Szepesvari, Improved algorithms for linear stochastic
    bandits, *NeurIPS* 2011.

    Examples
    --------
    >>> from bandits import LinearBandit
    >>> import bandits
    >>> env = LinearBandit([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6]], [0.1, 0.5], sigma=0.1)
    >>> res = bandits.simulate(env, OFUL(env.features, R=0.1), 200, 2, rng=0)
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
    Tested by
    ``tests/bandits/test_linear.py::test_linear_thompson_with_the_theorems_inflation_has_sublinear_regret``
    (the growth exponent; the constant is unstated).

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
