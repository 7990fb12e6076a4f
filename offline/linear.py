"""PEVI: pessimistic value iteration for linear MDPs (Jin, Yang, Wang 2021).

In a linear MDP the rewards and transitions are linear in a known feature map
``phi(x, a)`` in ``R^d``. PEVI runs backward over ``h = H-1, ..., 0`` on the
step-``h`` transitions ``(x_h, a_h, r_h, x_{h+1})`` of the data:

.. math::

    \\Lambda_h = \\sum_\\tau \\phi_h^\\tau \\phi_h^{\\tau\\top} + \\lambda I, \\qquad
    \\hat w_h = \\Lambda_h^{-1} \\sum_\\tau \\phi_h^\\tau \\big(r_h^\\tau + \\hat V_{h+1}(x_{h+1}^\\tau)\\big),

    \\hat Q_h(x, a) = \\operatorname{clip}\\big(\\phi(x, a)^\\top \\hat w_h
        - \\beta \\sqrt{\\phi(x, a)^\\top \\Lambda_h^{-1} \\phi(x, a)},\\; 0,\\; H - h\\big),
    \\qquad \\hat V_h(x) = \\max_a \\hat Q_h(x, a)

(Jin et al. 2021, Algorithm 2; ``h`` counts from 0 here, so ``H - h`` steps remain).
With one-hot features ``phi(s, a) = e_{(s, a)}``, ``Lambda_h`` is diagonal with
entries ``N_h(s, a) + lambda`` and PEVI *is* count-based pessimistic backward induction
with the penalty ``beta / sqrt(N_h(s, a) + lambda)`` and the ridge-shrunk model
(:func:`offline.pessimistic_value_iteration` with ``ridge=lambda``); the tests check
that identity.

References
----------
Y. Jin, Z. Yang, Z. Wang, "Is pessimism provably efficient for offline RL?", ICML 2021.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from rlcore.validation import check_positive_int
from rlcore.dataset import Dataset
from rlcore.evaluation import occupancy
from rlcore.mdp import FiniteMDP
from offline._common import check_dataset, check_delta, check_mdp, check_real
from offline.data import optimal_policy

__all__ = ["FeatureMap", "PEVIResult", "one_hot_features", "pevi", "pevi_beta", "pevi_certificate"]

#: ``features(observations, actions) -> ndarray of shape (n, d)``.
FeatureMap = Callable[[np.ndarray, np.ndarray], np.ndarray]


def one_hot_features(n_states: int, n_actions: int) -> FeatureMap:
    """The tabular feature map ``phi(s, a) = e_{s A + a}`` in ``R^{S A}``.

    Examples
    --------
    >>> one_hot_features(2, 2)(np.array([1]), np.array([0]))
    array([[0., 0., 1., 0.]])
    """
    S = check_positive_int(n_states, "n_states")
    A = check_positive_int(n_actions, "n_actions")

    def phi(observations: np.ndarray, actions: np.ndarray) -> np.ndarray:
        out = np.zeros((np.asarray(observations).shape[0], S * A))
        out[np.arange(out.shape[0]), np.asarray(observations, dtype=np.int64) * A + np.asarray(actions, np.int64)] = 1.0
        return out

    return phi


def pevi_beta(dim: int, horizon: int, n_episodes: int, xi: float, *, c: float = 1.0) -> float:
    """The width ``beta = c d H sqrt(log(2 d H K / xi))`` of Jin et al. (2021), Thm. 4.4.

    Their theorem holds for ``c`` above an unspecified absolute constant; in practice
    ``beta`` is tuned.

    Examples
    --------
    >>> round(pevi_beta(4, 3, 100, 0.1), 3)
    38.11
    """
    d = check_positive_int(dim, "dim")
    H = check_positive_int(horizon, "horizon")
    K = check_positive_int(n_episodes, "n_episodes")
    xi = check_delta(xi)
    c = check_real(c, "c", low=0.0, low_open=True)
    return c * d * H * math.sqrt(math.log(2 * d * H * K / xi))


@dataclass(frozen=True)
class PEVIResult:
    """Fitted PEVI: per-step weights and inverse covariances, and the greedy policy.

    Attributes
    ----------
    weights : ndarray of shape (H, d)
    cov_inv : ndarray of shape (H, d, d)
        ``Lambda_h^{-1}``.
    beta, lam : float
    n_actions, horizon : int
    features : FeatureMap
    """

    weights: np.ndarray
    cov_inv: np.ndarray
    beta: float
    lam: float
    n_actions: int
    horizon: int
    features: FeatureMap = field(repr=False)

    def width(self, observations: Any, actions: Any, h: int) -> np.ndarray:
        """``beta sqrt(phi^T Lambda_h^{-1} phi)``, shape (n,)."""
        phi = self.features(np.asarray(observations), np.asarray(actions))
        return self.beta * np.sqrt(np.maximum(np.einsum("nd,de,ne->n", phi, self.cov_inv[h], phi), 0.0))

    def q_values(self, observations: Any, h: int) -> np.ndarray:
        """Pessimistic ``Q_h(x, a)`` for every action, shape (n, A)."""
        obs = np.asarray(observations)
        n, A = obs.shape[0], self.n_actions
        rep = np.repeat(obs, A, axis=0)
        acts = np.tile(np.arange(A), n)
        phi = self.features(rep, acts)
        mean = phi @ self.weights[h]
        width = self.beta * np.sqrt(np.maximum(np.einsum("nd,de,ne->n", phi, self.cov_inv[h], phi), 0.0))
        return np.clip(mean - width, 0.0, float(self.horizon - h)).reshape(n, A)

    def act(self, states: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        """Greedy actions (a :data:`rlcore.PolicyFn`, usable with :func:`rlcore.rollout`); ties to the lowest."""
        return np.argmax(self.q_values(states, t), axis=1).astype(np.int64)


def pevi(data: Dataset, features: FeatureMap, n_actions: int, horizon: int, *, beta: float,
         lam: float = 1.0) -> PEVIResult:
    """Pessimistic value iteration with linear function approximation.

    Parameters
    ----------
    data : Dataset
        Transitions with ``timesteps`` below ``horizon`` (step ``h``); rewards in
        ``[0, 1]`` per step. A ``terminated`` transition does not bootstrap.
    features : callable
        ``features(observations, actions) -> ndarray of shape (n, d)``.
    n_actions : int
    horizon : int
    beta : float >= 0
        Width multiplier (see :func:`pevi_beta`).
    lam : float > 0
        Ridge parameter ``lambda``.

    Returns
    -------
    PEVIResult

    Guarantee
    ---------
    In a linear MDP with ``beta = c d H sqrt(log(2 d H K / xi))`` and ``lam = 1``, with
    probability ``1 - xi``: ``V*_0(x) - V^pi_0(x) <= 2 beta sum_h E_{pi*}[ (phi(x_h, a_h)^T
    Lambda_h^{-1} phi(x_h, a_h))^{1/2} | x_0 = x ]`` (Jin et al. 2021, Thm. 4.4);
    :func:`pevi_certificate` evaluates the right side on a tabular MDP.

    Examples
    --------
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> mdp = chain(3, small_reward=0.2, large_reward=1.0, horizon=3)
    >>> data = rollout(mdp, np.full((3, 2), 0.5), 300, rng=0)
    >>> res = pevi(data, one_hot_features(3, 2), 2, 3, beta=0.5)
    >>> res.q_values(np.array([0, 1, 2]), 0).shape
    (3, 2)
    """
    data = check_dataset(data)
    A = check_positive_int(n_actions, "n_actions")
    H = check_positive_int(horizon, "horizon")
    beta = check_real(beta, "beta", low=0.0)
    lam = check_real(lam, "lam", low=0.0, low_open=True)
    if not callable(features):
        raise TypeError(f"features: expected a callable (observations, actions) -> (n, d), got {type(features).__name__}")
    t = data.timesteps
    if t.max() >= H:
        raise ValueError(f"data: timesteps reach {int(t.max())}, expected below horizon = {H}")
    acts = np.asarray(data.actions)
    if acts.dtype.kind not in "iu" or acts.ndim != 1 or (acts < 0).any() or (acts >= A).any():
        raise ValueError(f"data: actions must be integers in [0, {A})")
    probe = np.asarray(features(data.observations[:1], acts[:1]), dtype=np.float64)
    if probe.ndim != 2 or probe.shape[0] != 1:
        raise ValueError(f"features: expected an array of shape (n, d), got shape {probe.shape} for n = 1")
    d = probe.shape[1]
    weights = np.zeros((H, d))
    cov_inv = np.zeros((H, d, d))
    result = PEVIResult(weights=weights, cov_inv=cov_inv, beta=beta, lam=lam, n_actions=A, horizon=H,
                        features=features)
    for h in range(H - 1, -1, -1):
        idx = np.flatnonzero(t == h)
        if idx.size == 0:
            cov_inv[h] = np.eye(d) / lam
            continue
        phi = np.asarray(features(data.observations[idx], acts[idx]), dtype=np.float64)
        if phi.shape != (idx.size, d) or not np.all(np.isfinite(phi)):
            raise ValueError(f"features: expected finite values of shape ({idx.size}, {d}), got shape {phi.shape}")
        target = data.rewards[idx].copy()
        if h + 1 < H:
            v_next = result.q_values(data.next_observations[idx], h + 1).max(axis=1)
            target += np.where(data.terminated[idx], 0.0, v_next)
        Lam = phi.T @ phi + lam * np.eye(d)
        inv = np.linalg.inv(Lam)
        cov_inv[h] = 0.5 * (inv + inv.T)
        weights[h] = cov_inv[h] @ (phi.T @ target)
    return result


def pevi_certificate(result: PEVIResult, mdp: FiniteMDP, comparator: Any = None) -> float:
    """``2 beta sum_h E_{pi*}[sqrt(phi^T Lambda_h^{-1} phi)]`` on a tabular MDP (Jin et al. 2021, Thm. 4.4).

    The features must accept integer states and actions of ``mdp``.

    Examples
    --------
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> mdp = chain(3, small_reward=0.2, large_reward=1.0, horizon=3)
    >>> res = pevi(rollout(mdp, np.full((3, 2), 0.5), 300, rng=0), one_hot_features(3, 2), 2, 3, beta=0.5)
    >>> pevi_certificate(res, mdp) > 0
    True
    """
    mdp = check_mdp(mdp)
    if not isinstance(result, PEVIResult):
        raise TypeError(f"result: expected a PEVIResult, got {type(result).__name__}")
    if mdp.horizon != result.horizon or mdp.n_actions != result.n_actions:
        raise ValueError("mdp: horizon and number of actions must match the result")
    S, A, H = mdp.n_states, mdp.n_actions, result.horizon
    pi = optimal_policy(mdp) if comparator is None else comparator
    d = occupancy(mdp, pi)
    s, a = np.repeat(np.arange(S), A), np.tile(np.arange(A), S)
    total = sum(float(np.sum(d[h].ravel() * result.width(s, a, h))) for h in range(H))
    return 2.0 * total
