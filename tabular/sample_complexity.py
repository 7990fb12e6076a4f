"""Empirical sample complexity: how many episodes a learner needs to act optimally.

Laidlaw et al. (NeurIPS 2023, ICLR 2024) compare algorithms by the number of
environment interactions each needs before the policy it returns is optimal. For
SQIRL and GORP, whose sample use is fixed by their hyper-parameters, this is the
smallest budget over a grid of ``(k, m)`` at which the returned policy is optimal on
enough seeds; for incremental learners (Q-learning, DQN, PPO) it is the number of
episodes before their periodic evaluation first reaches the optimal value.
:func:`sqirl_sample_complexity` does the former exactly as a grid search;
:func:`median_episodes_to_target` summarises the latter.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcore.validation import check_positive_int
from rlcore.evaluation import evaluate_policy
from rlcore.mdp import FiniteMDP
from tabular.effective_horizon import _check_finite_horizon
from tabular.finite_horizon import backward_induction
from tabular.sqirl import sqirl

__all__ = ["SampleComplexity", "median_episodes_to_target", "sqirl_sample_complexity"]


_DEFAULT_MS: tuple[int, ...] = tuple(2**e for e in range(1, 15))


@dataclass(frozen=True)
class SampleComplexity:
    """Outcome of :func:`sqirl_sample_complexity`.

    Attributes
    ----------
    episodes : float
        Smallest ``H * m`` over the grid at which SQIRL was optimal on at least
        ``success`` of the seeds (``inf`` when no grid point was).
    k, m : int or None
        The minimising planning depth and episodes per step.
    success_rate : ndarray of shape (len(ks), len(ms))
        Fraction of seeds optimal at every grid point tried (``nan`` where skipped:
        larger ``m`` at a ``k`` that already succeeded).
    ks, ms : tuple of int
        The grid.
    """

    episodes: float
    k: int | None
    m: int | None
    success_rate: np.ndarray
    ks: tuple[int, ...]
    ms: tuple[int, ...]


def _policy_value(mdp: FiniteMDP, policy: np.ndarray | None) -> float:
    if policy is None:  # FiniteMDP always has n_states, so sqirl tabulates the policy
        raise RuntimeError("sqirl returned no policy table for a FiniteMDP")
    return float(evaluate_policy(mdp, policy).V[0] @ mdp.initial)


def sqirl_sample_complexity(
    mdp: FiniteMDP,
    *,
    ks: Iterable[int] = (1, 2, 3),
    ms: Iterable[int] = _DEFAULT_MS,
    seeds: Sequence[int] | int = 5,
    success: float = 1.0,
    atol: float = 1e-9,
    regressor: Any = None,
    features: Any = "index",
) -> SampleComplexity:
    """Smallest number of episodes with which SQIRL returns an optimal policy.

    For each ``k`` (at most the horizon), ``m`` runs through ``ms`` in increasing order
    until SQIRL's policy is optimal (value within ``atol`` of the optimum, computed
    exactly by backward induction) on at least a fraction ``success`` of the seeds; the
    answer is the smallest ``H * m`` over ``k``.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Finite horizon ``H``.
    ks : iterable of int
        Planning depths tried (those above ``H`` are skipped).
    ms : iterable of int
        Episodes per step tried, increasing (default ``2, 4, ..., 2**14``).
    seeds : sequence of int, or int
        Seeds of the SQIRL runs (an int ``n`` means ``range(n)``).
    success : float
        Required fraction of optimal runs, in ``(0, 1]``.
    atol : float
        Optimality tolerance on the value from the initial distribution.
    regressor, features
        Passed to :func:`tabular.sqirl`.

    Returns
    -------
    SampleComplexity

    References
    ----------
    C. Laidlaw, B. Zhu, S. Russell and A. Dragan, ICLR 2024, Section 4 (SQIRL's
    empirical sample complexity: the fewest timesteps over its hyper-parameters).

    Examples
    --------
    >>> from rlcore.generators import combination_lock, sticky_actions
    >>> lock = sticky_actions(combination_lock(3, 2, combination=[1, 0, 1]), 0.25)
    >>> sc = sqirl_sample_complexity(lock, ks=(1,), ms=(2, 4, 8, 16, 32, 64), seeds=3)
    >>> sc.k, sc.m, sc.episodes
    (1, 16, 48.0)
    """
    mdp, H = _check_finite_horizon(mdp)
    k_list = tuple(check_positive_int(k, "ks") for k in ks if int(k) <= H)
    m_list = tuple(check_positive_int(m, "ms") for m in ms)
    if not k_list:
        raise ValueError(f"ks: expected at least one planning depth in [1, {H}]")
    if not m_list or any(b <= a for a, b in zip(m_list, m_list[1:])):
        raise ValueError(f"ms: expected a non-empty increasing sequence, got {m_list}")
    seed_list = tuple(range(check_positive_int(seeds, "seeds"))) if isinstance(seeds, (int, np.integer)) else tuple(seeds)
    if not seed_list:
        raise ValueError("seeds: expected at least one seed")
    if not (0.0 < float(success) <= 1.0):
        raise ValueError(f"success: expected a fraction in (0, 1], got {success!r}")
    v_star = float(backward_induction(mdp).V[0] @ mdp.initial)
    rate = np.full((len(k_list), len(m_list)), np.nan)
    best: tuple[float, int | None, int | None] = (math.inf, None, None)
    for ik, k in enumerate(k_list):
        for im, m in enumerate(m_list):
            if H * m >= best[0]:
                break
            ok = [
                _policy_value(mdp, sqirl(mdp, horizon=H, n_actions=mdp.n_actions, k=k, m=m, rng=s,
                                         regressor=regressor, features=features).policy) >= v_star - atol
                for s in seed_list
            ]
            rate[ik, im] = float(np.mean(ok))
            if rate[ik, im] >= success:
                best = (float(H * m), k, m)
                break
    return SampleComplexity(best[0], best[1], best[2], rate, k_list, m_list)


def median_episodes_to_target(episodes: Iterable[float | int | None]) -> float:
    """Median episodes-to-target over seeds, counting a run that never reached it as ``inf``.

    Parameters
    ----------
    episodes : iterable of int, float or None
        Per-seed episodes before the learner's evaluation first reached the optimal
        value (None: never).

    Returns
    -------
    float
        The median (``inf`` when half or more of the runs never reached the target).

    Examples
    --------
    >>> median_episodes_to_target([100, None, 300])
    300.0
    >>> median_episodes_to_target([None, None, 10])
    inf
    """
    vals = np.array([math.inf if e is None else float(e) for e in episodes])
    if vals.size == 0:
        raise ValueError("episodes: expected at least one run")
    return float(np.sort(vals)[(vals.size - 1) // 2]) if vals.size % 2 else float(np.median(vals))
