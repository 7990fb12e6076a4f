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

from rlcore.dataset import Dataset
from rlcore.mdp import FiniteMDP
from rlcore.policies import as_stochastic
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import (
    MDP,
    RNG,
    Bool,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    Options,
    Policy,
    ProbabilityVector,
    Real,
    Regressor,
    Sequence_,
    validate_params,
)
from offline._common import episode_returns
from offline._constraints import MAX_TRANSITIONS, OfflineData, Weights, n_items, weights_sum_to_one

__all__ = [
    "resample_trajectories",
    "tilted_behavior_return",
    "trajectory_weights",
    "transition_weights",
    "weighted_return",
]

DATA = OfflineData()
EPISODE_WEIGHTS = Weights("data.n_episodes")
TEMPERATURE = Real(0, None, closed="neither")
RETURN_DISCOUNT = Real(0, 1)


@validate_params(
    data=DATA,
    method=Options("return", "advantage"),
    temperature=TEMPERATURE,
    gamma=RETURN_DISCOUNT,
    normalize=Bool(),
    baseline=Regressor() | None,
)
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
        Non-empty.
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
    score = episode_returns(data, gamma)
    if method == "advantage":
        s0 = data.observations[data.episode_starts]
        if baseline is None:
            if s0.ndim != 1 or s0.dtype.kind not in "iu":
                raise InvalidParameterTypeError(
                    "baseline",
                    "the default per-state mean needs integer scalar observations; pass a regressor "
                    "(fit/predict) for other observations",
                )
            keys, inv = np.unique(s0, return_inverse=True)
            means = np.bincount(inv, weights=score) / np.bincount(inv)
            v0 = means[inv]
        else:
            X = s0.reshape(s0.shape[0], -1).astype(np.float64)
            v0 = np.asarray(baseline.fit(X, score).predict(X), dtype=np.float64).reshape(-1)
            if v0.shape != score.shape or not np.all(np.isfinite(v0)):
                raise InvalidParameterError(
                    "baseline",
                    f"predict() must return {score.shape[0]} finite values (one per episode), got "
                    f"shape {v0.shape}" + ("" if v0.shape != score.shape else " with non-finite entries"),
                )
        with np.errstate(over="ignore", invalid="ignore"):
            score = score - v0
        if not np.all(np.isfinite(score)):
            raise InvalidParameterError("data", "the advantages overflow float64; rescale the rewards")
    # w_i = exp((score_i - max score) / temperature): every exponent <= 0, so nothing overflows,
    # and a tiny temperature puts all the weight on the best episodes instead of giving NaN.
    top, low = float(score.max()), float(score.min())
    if normalize:
        span = top - low
        if not np.isfinite(span):  # scores spanning more than float64 range: normalise in halves
            gap = (score / 2.0 - top / 2.0) / (top / 2.0 - low / 2.0)
        else:
            gap = (score - top) / span if span > 0 else np.zeros_like(score)
    else:
        with np.errstate(over="ignore"):
            gap = score - top  # -inf (weight 0) where the difference overflows
    with np.errstate(over="ignore", divide="ignore"):
        w = np.exp(gap / temperature)
    return w / w.sum()


@validate_params(data=DATA, weights=EPISODE_WEIGHTS, gamma=RETURN_DISCOUNT)
def weighted_return(data: Dataset, weights: Any, gamma: float = 1.0) -> float:
    """``sum_i w_i G_i``: the return of the re-weighted behavior policy on this data.

    ``weights`` (one per episode, non-negative, positive sum) are used divided by their
    sum; ``gamma`` in ``[0, 1]`` discounts the returns.

    Examples
    --------
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> data = rollout(chain(3, horizon=4), np.full((3, 2), 0.5), 10, rng=0)
    >>> bool(np.isclose(weighted_return(data, np.full(10, 0.1)), data.episode_returns().mean()))
    True
    """
    w = weights_sum_to_one(weights)
    return float(np.dot(w, episode_returns(data, gamma)))


@validate_params(data=DATA, weights=EPISODE_WEIGHTS)
def transition_weights(data: Dataset, weights: Any) -> np.ndarray:
    """Per-transition sample weights: episode ``i``'s weight on each of its transitions, scaled to mean 1 per episode.

    Uniform episode weights give all ones. ``weights``: one per episode, non-negative,
    with a positive sum.

    Examples
    --------
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> data = rollout(chain(3, horizon=2), np.full((3, 2), 0.5), 3, rng=0)
    >>> transition_weights(data, [1, 1, 1]).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    """
    w = weights_sum_to_one(weights) * data.n_episodes
    return np.repeat(w, data.episode_lengths())


@validate_params(data=DATA, weights=EPISODE_WEIGHTS, n_episodes=Integer(1, MAX_TRANSITIONS) | None, rng=RNG())
def resample_trajectories(
    data: Dataset, weights: Any, n_episodes: int | None = None, *, rng: RNGLike = None
) -> Dataset:
    """Draw episodes with replacement, episode ``i`` with probability ``w_i``.

    Parameters
    ----------
    data : Dataset
        Non-empty.
    weights : array_like of shape (n_episodes,)
        Non-negative, with a positive sum (used divided by it).
    n_episodes : int in [1, 10**8], optional
        Size of the resample (default: as many as in ``data``); at most ``10**8``
        transitions (``n_episodes`` times the longest episode).
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
    w = weights_sum_to_one(weights)
    n = data.n_episodes if n_episodes is None else n_episodes
    longest = int(data.episode_lengths().max())
    if n * longest > MAX_TRANSITIONS:
        raise InvalidParameterError(
            "n_episodes",
            f"{n} episodes of up to {longest} transitions exceed the limit of {MAX_TRANSITIONS} transitions",
        )
    pos = as_generator(rng).choice(data.n_episodes, size=n, p=w)
    return data.select_episodes(pos.astype(np.int64), renumber=True)


def _transition_triplets(Pt: Any, S: int, A: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, probs, starts)`` of the positive entries of ``P_t`` as an (S*A, S) matrix, row-sorted."""
    if sp.issparse(Pt):
        coo = sp.csr_array(Pt).tocoo()
        rows, cols, probs = coo.row, coo.col, coo.data
        order = np.lexsort((cols, rows))
        rows, cols, probs = rows[order], cols[order], probs[order]
    else:
        flat = np.asarray(Pt).reshape(S * A, S)
        rows, cols = np.nonzero(flat)
        probs = flat[rows, cols]
    keep = probs > 0
    rows, cols, probs = rows[keep].astype(np.int64), cols[keep].astype(np.int64), probs[keep]
    starts = np.flatnonzero(np.diff(rows, prepend=-1))
    return rows, cols, probs, starts


def _soft_expectation(
    trip: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], K: np.ndarray, m: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per row ``i`` of ``P``: ``alpha log sum_j P_ij e^{K_j / alpha}`` and the mean of ``m`` under the tilted
    row ``P_ij e^{K_j / alpha} / sum``; computed with every exponent ``<= 0`` (no overflow at any ``alpha``)."""
    rows, cols, probs, starts = trip
    vals = K[cols]
    top = np.maximum.reduceat(vals, starts)
    e = probs * np.exp((vals - top[rows]) / alpha)
    z = np.add.reduceat(e, starts)
    return top + alpha * np.log(z), np.add.reduceat(e * m[cols], starts) / z


@validate_params(
    mdp=MDP(discounted=False, hint="the tilted return is computed for finite-horizon MDPs"),
    policies=Sequence_(Policy("mdp")),
    proportions=ProbabilityVector(n_items("policies")),
    temperature=TEMPERATURE,
    gamma=RETURN_DISCOUNT,
)
def tilted_behavior_return(
    mdp: FiniteMDP, policies: Any, proportions: Any, temperature: float, *, gamma: float = 1.0
) -> float:
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
        Tabular policies of ``mdp`` (at least one).
    proportions : array_like of shape (K,)
        One weight per policy, summing to 1.
    temperature : float > 0
        Any positive value: the dynamic programme runs on ``alpha log E[e^{G/alpha}]``
        with every exponent ``<= 0``, so a tiny temperature gives (up to rounding) the
        largest return in the support instead of an overflow.
    gamma : float in [0, 1]
        Discount of the returns (``G = sum_h gamma^h r_h``).

    Returns
    -------
    float

    Guarantee
    ---------
    At least the behavior return ``J(beta) = sum_k p_k J(pi_k)`` (the tilted mean of a
    random variable is non-decreasing in the tilt, its derivative being the tilted
    variance), and at most the largest return in the support. Tested by
    ``tests/offline/test_weighting.py::test_tilted_return_raises_the_behavior_return_monotonically``
    and ``tests/offline/test_weighting.py::test_tilted_return_at_tiny_temperatures_is_the_largest_return``
    (against the largest return found by enumerating the trajectories).

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> mdp = chain(3, horizon=4)
    >>> bool(tilted_behavior_return(mdp, [np.full((3, 2), 0.5)], [1.0], 1.0) > 0)
    True
    """
    S, A, H = mdp.n_states, mdp.n_actions, int(mdp.horizon)  # type: ignore[arg-type]
    alpha = temperature
    cache: dict[int, tuple[Any, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = {}  # keeps P_t alive
    tops: list[np.ndarray] = []  # K_0 of each policy: alpha log E[e^{G / alpha} | s_0]
    means: list[np.ndarray] = []  # the tilted mean of G given s_0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for pol in policies:
            pi = as_stochastic(pol, A)
            K, m = np.zeros(S), np.zeros(S)
            for h in range(H - 1, -1, -1):
                r = (gamma**h) * mdp.rewards_at(h)
                Pt = mdp.transitions_at(h)
                if id(Pt) not in cache:
                    cache[id(Pt)] = (Pt, _transition_triplets(Pt, S, A))
                trip = cache[id(Pt)][1]
                inner, inner_mean = _soft_expectation(trip, K, m, alpha)
                y = r + inner.reshape(S, A)
                pih = pi[h] if pi.ndim == 3 else pi
                y_sup = np.where(pih > 0, y, -np.inf)
                y_top = y_sup.max(axis=1)
                e = np.where(pih > 0, pih * np.exp((y_sup - y_top[:, None]) / alpha), 0.0)
                z = e.sum(axis=1)
                K = y_top + alpha * np.log(z)
                m = np.sum(e * (r + inner_mean.reshape(S, A)), axis=1) / z
            tops.append(K)
            means.append(m)
        weight = proportions[:, None] * mdp.initial[None, :]
        K0, m0 = np.stack(tops), np.stack(means)
        K_top = np.max(np.where(weight > 0, K0, -np.inf))
        u = np.where(weight > 0, weight * np.exp((K0 - K_top) / alpha), 0.0)
        value = float(np.sum(u * np.where(weight > 0, m0, 0.0)) / np.sum(u))
    if not np.isfinite(value):
        raise InvalidParameterError("mdp", "the returns overflow float64; rescale the rewards")
    return value
