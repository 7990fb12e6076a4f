"""Return-based trajectory weighting for mixed offline datasets (Hong et al. 2023).

Offline RL algorithms regularised toward the behavior policy (pessimism included)
cannot move far from it, so on a dataset that mixes a few good trajectories with
many poor ones they inherit the poor *average* behavior. Hong et al. (2023) re-weight
(resample) trajectories by their return: trajectory ``i`` with return ``G_i`` gets

.. math:: w_i \\propto \\exp\\big(\\tilde G_i / \\alpha\\big), \\qquad
          \\tilde G_i = \\frac{G_i - \\min_j G_j}{\\max_j G_j - \\min_j G_j}

(return-weighting, temperature ``alpha``; ``normalize=False`` uses ``G_i`` itself), or
the same with an advantage ``G_i - V_hat(s_0^i)`` that removes the part of the return
explained by the initial state. Resampling trajectories with these weights defines a
new behavior policy whose expected return, the *effective behavior return*

.. math:: J(\\pi_W) = \\frac{\\mathbb E_\\beta[G e^{G/\\alpha}]}{\\mathbb E_\\beta[e^{G/\\alpha}]}
          \\;\\ge\\; J(\\beta)

in the large-data limit (an exponential tilt raises the mean: the derivative of the
tilted mean in ``1/alpha`` is the tilted variance, ``>= 0``), while the support of the
data is unchanged. Any learner of :mod:`offline` runs on the resampled dataset
(:func:`resample_trajectories`), or takes :func:`transition_weights` as sample
weights. :func:`tilted_behavior_return` computes ``J(pi_W)`` exactly for a
finite-horizon tabular MDP and a trajectory-level mixture of policies, by dynamic
programming on the moment generating function of the return.

References
----------
Z.-W. Hong, P. Agrawal, R. Tachet des Combes, R. Laroche, "Harnessing mixed offline
reinforcement learning datasets via trajectory weighting", ICLR 2023.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from rlcore.validation import as_float_array, check_discount, check_positive_int, check_stochastic_rows
from rlcore.dataset import Dataset
from rlcore.mdp import FiniteMDP
from rlcore.policies import as_stochastic, validate_policy
from rlcore.randomness import RNGLike, as_generator
from offline._common import check_dataset, check_mdp, check_real

__all__ = [
    "resample_trajectories",
    "tilted_behavior_return",
    "trajectory_weights",
    "transition_weights",
    "weighted_return",
]


def trajectory_weights(
    data: Dataset,
    *,
    method: str = "return",
    temperature: float = 0.1,
    gamma: float = 1.0,
    normalize: bool = True,
    baseline: Any = None,
) -> np.ndarray:
    """Return- or advantage-based weights of the episodes of a dataset.

    Parameters
    ----------
    data : Dataset
    method : {"return", "advantage"}
        ``"advantage"`` subtracts ``V_hat(s_0)``: by default the mean return of the
        episodes with the same (integer, scalar) initial observation; or pass
        ``baseline``, a fitted-on-the-fly regressor (``fit(X, y)``, ``predict(X)``, e.g.
        :class:`rlcore.RidgeRegression`) for other observations.
    temperature : float > 0
        ``alpha``; small values concentrate the weight on the best trajectories.
    gamma : float in [0, 1]
        Discount of the returns.
    normalize : bool
        Rescale the scores to ``[0, 1]`` by their range first (as Hong et al.).
    baseline : regressor, optional

    Returns
    -------
    ndarray of shape (n_episodes,)
        Non-negative, summing to 1. Equal returns give uniform weights.

    Examples
    --------
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> data = rollout(chain(3, horizon=4), np.full((3, 2), 0.5), 50, rng=0)
    >>> w = trajectory_weights(data, temperature=0.2)
    >>> round(float(w.sum()), 12), bool(weighted_return(data, w) > data.episode_returns().mean())
    (1.0, True)
    """
    data = check_dataset(data)
    if method not in ("return", "advantage"):
        raise ValueError(f"method: expected 'return' or 'advantage', got {method!r}")
    temp = check_real(temperature, "temperature", low=0.0, low_open=True)
    g = check_discount(gamma, "gamma", allow_one=True)
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"normalize: expected a bool, got {type(normalize).__name__}")
    score = data.episode_returns(g)
    if method == "advantage":
        s0 = data.observations[data.episode_starts]
        if baseline is None:
            if s0.ndim != 1 or s0.dtype.kind not in "iu":
                raise TypeError("baseline: the default per-state mean needs integer scalar observations; pass a "
                                "regressor (fit/predict) for other observations")
            keys, inv = np.unique(s0, return_inverse=True)
            means = np.bincount(inv, weights=score) / np.bincount(inv)
            v0 = means[inv]
        else:
            X = s0.reshape(s0.shape[0], -1).astype(np.float64)
            v0 = np.asarray(baseline.fit(X, score).predict(X), dtype=np.float64).reshape(-1)
        score = score - v0
    if normalize:
        span = float(score.max() - score.min())
        score = (score - score.min()) / span if span > 0 else np.zeros_like(score)
    z = score / temp
    w = np.exp(z - z.max())
    return w / w.sum()


def _check_weights(data: Dataset, weights: Any) -> np.ndarray:
    w = as_float_array(weights, "weights", ndim=1)
    if w.shape != (data.n_episodes,):
        raise ValueError(f"weights: expected shape ({data.n_episodes},) (one per episode), got {w.shape}")
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights: expected non-negative weights with a positive sum")
    return w / w.sum()


def weighted_return(data: Dataset, weights: Any, gamma: float = 1.0) -> float:
    """``sum_i w_i G_i``: the return of the re-weighted behavior policy on this data.

    Examples
    --------
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> data = rollout(chain(3, horizon=4), np.full((3, 2), 0.5), 10, rng=0)
    >>> bool(np.isclose(weighted_return(data, np.full(10, 0.1)), data.episode_returns().mean()))
    True
    """
    data = check_dataset(data)
    w = _check_weights(data, weights)
    return float(np.dot(w, data.episode_returns(check_discount(gamma, "gamma", allow_one=True))))


def transition_weights(data: Dataset, weights: Any) -> np.ndarray:
    """Per-transition sample weights: episode ``i``'s weight on each of its transitions, scaled to mean 1 per episode.

    Uniform episode weights give all ones.

    Examples
    --------
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> data = rollout(chain(3, horizon=2), np.full((3, 2), 0.5), 3, rng=0)
    >>> transition_weights(data, [1, 1, 1]).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    """
    data = check_dataset(data)
    w = _check_weights(data, weights) * data.n_episodes
    return np.repeat(w, data.episode_lengths())


def resample_trajectories(data: Dataset, weights: Any, n_episodes: int | None = None,
                          rng: RNGLike = None) -> Dataset:
    """Draw episodes with replacement, episode ``i`` with probability ``w_i``.

    Parameters
    ----------
    data : Dataset
    weights : array_like of shape (n_episodes,)
    n_episodes : int, optional
        Size of the resample (default: as many as in ``data``).
    rng : Generator, int or None

    Returns
    -------
    Dataset
        Episodes renumbered ``0 .. n-1``, same metadata.

    Examples
    --------
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> data = rollout(chain(3, horizon=2), np.full((3, 2), 0.5), 4, rng=0)
    >>> resample_trajectories(data, [0, 0, 0, 1], rng=0).episode_returns().tolist() == [data.episode_returns()[3]] * 4
    True
    """
    data = check_dataset(data)
    w = _check_weights(data, weights)
    n = data.n_episodes if n_episodes is None else check_positive_int(n_episodes, "n_episodes")
    pos = as_generator(rng).choice(data.n_episodes, size=n, p=w)
    return data.select_episodes(pos.astype(np.int64), renumber=True)


def _next_expect(Pt: Any, v: np.ndarray, S: int, A: int) -> np.ndarray:
    if sp.issparse(Pt):
        return np.asarray(Pt @ v).reshape(S, A)
    return np.asarray(Pt @ v)


def tilted_behavior_return(mdp: FiniteMDP, policies: Any, proportions: Any, temperature: float, *,
                           gamma: float = 1.0) -> float:
    """Exact large-data effective behavior return ``E[G e^{G/alpha}] / E[e^{G/alpha}]``.

    For a finite-horizon MDP (deterministic rewards ``R_h(s, a)``, as the simulator
    returns) and data from a trajectory-level mixture of policies, this is the limit of
    :func:`weighted_return` with :func:`trajectory_weights` (``normalize=False``,
    ``temperature=alpha``) as the number of episodes grows.

    Parameters
    ----------
    mdp : FiniteMDP
        Finite horizon.
    policies : sequence of array_like
        Tabular policies.
    proportions : array_like of shape (K,)
    temperature : float > 0
    gamma : float in [0, 1]
        Discount of the returns (``G = sum_h gamma^h r_h``).

    Returns
    -------
    float

    Guarantee
    ---------
    At least the behavior return ``J(beta) = sum_k p_k J(pi_k)`` (the tilted mean of a
    random variable is non-decreasing in the tilt, its derivative being the tilted
    variance), and at most the largest return in the support.

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> mdp = chain(3, horizon=4)
    >>> bool(tilted_behavior_return(mdp, [np.full((3, 2), 0.5)], [1.0], 1.0) > 0)
    True
    """
    mdp = check_mdp(mdp)
    if mdp.horizon is None:
        raise ValueError("mdp: tilted_behavior_return needs a finite-horizon MDP")
    pols = list(policies)
    w = as_float_array(proportions, "proportions", ndim=1)
    if w.shape != (len(pols),) or not pols:
        raise ValueError(f"proportions: expected shape ({len(pols)},) (one per policy), got {w.shape}")
    check_stochastic_rows(w, "proportions")
    theta = 1.0 / check_real(temperature, "temperature", low=0.0, low_open=True)
    g = check_discount(gamma, "gamma", allow_one=True)
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    num = den = 0.0
    for k, pol in enumerate(pols):
        pi = as_stochastic(validate_policy(pol, S, A, H, name=f"policies[{k}]"), A)
        M, Nn = np.ones(S), np.zeros(S)
        with np.errstate(over="raise", invalid="raise"):
            try:
                for h in range(H - 1, -1, -1):
                    r = (g**h) * mdp.rewards_at(h)
                    Pt = mdp.transitions_at(h)
                    e = np.exp(theta * r)
                    pm = _next_expect(Pt, M, S, A)
                    pn = _next_expect(Pt, Nn, S, A)
                    pih = pi[h] if pi.ndim == 3 else pi
                    M, Nn = np.sum(pih * e * pm, axis=1), np.sum(pih * e * (r * pm + pn), axis=1)
            except FloatingPointError:
                raise ValueError(f"temperature: exp(G / {temperature}) overflows float64; use a larger "
                                 "temperature or rescale the rewards") from None
        num += w[k] * float(mdp.initial @ Nn)
        den += w[k] * float(mdp.initial @ M)
    return num / den
