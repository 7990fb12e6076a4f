"""Offline (multi-armed and contextual) bandits: LCB against the empirical-best arm.

From ``n`` logged samples ``(s_i, a_i, r_i)`` with rewards in ``[0, r_max]``, the
*empirical-best* rule picks ``argmax_a r_hat(s, a)``, which a rarely played arm with a
lucky reward can fool with constant probability however large ``n`` is (Rashidinejad et
al. 2021, section 3). LCB picks ``argmax_a max(r_hat(s, a) - b(s, a), 0)`` with the
Hoeffding width ``b = c r_max sqrt(log(2 S A / delta) / (2 N(s, a)))`` (``b = r_max``
for an unplayed arm), ties going to the most played arm: it trusts only what the data
support, and on expert data it plays the expert's (most played) arm.

References
----------
P. Rashidinejad, B. Zhu, C. Ma, J. Jiao, S. Russell, "Bridging offline reinforcement
learning and imitation learning: a tale of pessimism", NeurIPS 2021, the bandit and
contextual-bandit sections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcore.validation import as_float_array, check_positive_int
from offline._common import check_delta, check_real, check_rewards_in, tie_break_argmax

__all__ = ["BanditLCBResult", "contextual_empirical_best", "contextual_lcb", "empirical_best_arm", "lcb_arm"]


@dataclass(frozen=True)
class BanditLCBResult:
    """Choice of an offline bandit rule.

    Attributes
    ----------
    policy : ndarray of int64, shape (S,)
        The chosen arm per context (``S = 1`` for a multi-armed bandit).
    arm : int
        ``policy[0]`` (the multi-armed case).
    means : ndarray of shape (S, A)
        Empirical mean rewards (0 for unplayed pairs).
    counts : ndarray of int64, shape (S, A)
    width : ndarray of shape (S, A)
        Penalty ``b`` (0 for the empirical-best rule).
    index : ndarray of shape (S, A)
        The maximised score: ``max(means - width, 0)`` for LCB, ``means`` (``-inf``
        where unplayed) for the empirical-best rule.
    """

    policy: np.ndarray
    arm: int
    means: np.ndarray
    counts: np.ndarray
    width: np.ndarray
    index: np.ndarray


def _columns(contexts: Any, actions: Any, rewards: Any, S: int, A: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.asarray(actions)
    if a.dtype.kind not in "iu" or a.ndim != 1:
        raise TypeError(f"actions: expected an integer array of shape (n,), got dtype {a.dtype}, shape {a.shape}")
    if a.size == 0:
        raise ValueError("actions: expected at least one sample")
    r = as_float_array(rewards, "rewards", ndim=1)
    if r.shape != a.shape:
        raise ValueError(f"rewards: expected shape {a.shape} (one per action), got {r.shape}")
    if contexts is None:
        s = np.zeros(a.shape, dtype=np.int64)
    else:
        s = np.asarray(contexts)
        if s.dtype.kind not in "iu" or s.shape != a.shape:
            raise TypeError(f"contexts: expected an integer array of shape {a.shape}, got dtype {s.dtype}, shape {s.shape}")
    for name, arr, size in (("contexts", s, S), ("actions", a, A)):
        bad = (arr < 0) | (arr >= size)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name}: entry {i} is {arr[i]}, outside [0, {size})")
    return s.astype(np.int64), a.astype(np.int64), r


def _stats(s: np.ndarray, a: np.ndarray, r: np.ndarray, S: int, A: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(s * A + a, minlength=S * A).reshape(S, A).astype(np.int64)
    sums = np.bincount(s * A + a, weights=r, minlength=S * A).reshape(S, A)
    return counts, sums / np.maximum(counts, 1)


def contextual_lcb(
    contexts: Any,
    actions: Any,
    rewards: Any,
    n_contexts: int,
    n_arms: int,
    *,
    delta: float = 0.05,
    c: float = 1.0,
    r_max: float = 1.0,
) -> BanditLCBResult:
    """LCB policy for an offline contextual bandit with finitely many contexts.

    Parameters
    ----------
    contexts, actions : array_like of int, shape (n,)
        ``contexts=None`` means one context (a multi-armed bandit).
    rewards : array_like of float, shape (n,)
        In ``[0, r_max]``.
    n_contexts, n_arms : int
    delta : float in (0, 1)
    c : float > 0
        Width multiplier; ``c = 1`` is the exact Hoeffding union-bound width under
        which :func:`offline.lcb_bandit_bound` holds.
    r_max : float

    Returns
    -------
    BanditLCBResult

    Guarantee
    ---------
    With probability ``1 - 2 delta`` the suboptimality ``sum_s rho(s) (r(s, pi*) -
    r(s, pi_hat))`` is at most :func:`offline.lcb_bandit_bound` (for ``c >= 1``;
    the contextual-bandit LCB theorem of Rashidinejad et al. 2021, explicit constants). With expert data (only
    ``pi*``'s arms logged) the policy plays the logged arm in every logged context.

    Examples
    --------
    >>> res = contextual_lcb([0, 0, 1, 1], [0, 1, 1, 1], [1.0, 0.0, 0.5, 0.5], 2, 2)
    >>> res.policy.tolist()
    [0, 1]
    """
    S = check_positive_int(n_contexts, "n_contexts")
    A = check_positive_int(n_arms, "n_arms")
    delta = check_delta(delta)
    c = check_real(c, "c", low=0.0, low_open=True)
    r_max = check_real(r_max, "r_max", low=0.0, low_open=True)
    s, a, r = _columns(contexts, actions, rewards, S, A)
    check_rewards_in(r, r_max, "rewards")
    counts, means = _stats(s, a, r, S, A)
    L = math.log(2.0 * S * A / delta)
    width = np.where(counts > 0, np.minimum(c * r_max * np.sqrt(L / (2.0 * np.maximum(counts, 1))), r_max), r_max)
    index = np.maximum(means - width, 0.0)
    policy = tie_break_argmax(index, counts)
    return BanditLCBResult(policy=policy, arm=int(policy[0]), means=means, counts=counts, width=width, index=index)


def lcb_arm(actions: Any, rewards: Any, n_arms: int, *, delta: float = 0.05, c: float = 1.0,
            r_max: float = 1.0) -> BanditLCBResult:
    """LCB arm of an offline multi-armed bandit (:func:`contextual_lcb` with one context).

    Guarantee
    ---------
    With probability ``1 - 2 delta``, ``r(a*) - r(a_hat) <= 2 r_max sqrt(C* log(2A/delta)/n)
    + 8 r_max C* log(1/delta) / n`` with ``C* = 1 / mu(a*)`` (:func:`offline.lcb_bandit_bound`;
    the multi-armed bandit LCB theorem of Rashidinejad et al. 2021).

    Examples
    --------
    >>> lcb_arm([0] * 50 + [1], [0.6] * 50 + [1.0], 2).arm  # one lucky pull does not win
    0
    """
    return contextual_lcb(None, actions, rewards, 1, n_arms, delta=delta, c=c, r_max=r_max)


def contextual_empirical_best(contexts: Any, actions: Any, rewards: Any, n_contexts: int,
                              n_arms: int) -> BanditLCBResult:
    """The empirical-best (plug-in) rule ``argmax_a r_hat(s, a)`` over played arms.

    Contexts with no data get arm 0. Ties go to the lowest index.

    Examples
    --------
    >>> contextual_empirical_best([0, 0], [0, 1], [0.2, 0.9], 1, 2).policy.tolist()
    [1]
    """
    S = check_positive_int(n_contexts, "n_contexts")
    A = check_positive_int(n_arms, "n_arms")
    s, a, r = _columns(contexts, actions, rewards, S, A)
    counts, means = _stats(s, a, r, S, A)
    index = np.where(counts > 0, means, -np.inf)
    policy = np.where(counts.any(axis=1), np.argmax(index, axis=1), 0).astype(np.int64)
    return BanditLCBResult(policy=policy, arm=int(policy[0]), means=means, counts=counts,
                           width=np.zeros((S, A)), index=index)


def empirical_best_arm(actions: Any, rewards: Any, n_arms: int) -> BanditLCBResult:
    """The arm with the highest empirical mean among those played.

    Examples
    --------
    >>> empirical_best_arm([0] * 50 + [1], [0.6] * 50 + [1.0], 2).arm  # fooled by one lucky pull
    1
    """
    return contextual_empirical_best(None, actions, rewards, 1, n_arms)
