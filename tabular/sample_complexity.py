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

from rlcore.evaluation import evaluate_policy
from rlcore.mdp import FiniteMDP
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import as_generator
from rlcore.regressors import TabularMean
from rlcore.results import Result
from rlcore.validation import (
    MDP,
    Args,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    Real,
    Sequence_,
    validate_params,
)
from tabular._learner_common import MAX_HORIZON, MAX_LOCKSTEP
from tabular.finite_horizon import backward_induction
from tabular.sqirl import FEATURES, REGRESSOR, _make_features, _sqirl

__all__ = ["SampleComplexity", "median_episodes_to_target", "sqirl_sample_complexity"]


_DEFAULT_MS: tuple[int, ...] = tuple(2**e for e in range(1, 15))
#: Most planning depths, budgets and seeds in a grid.
MAX_GRID = 10**4


class _Items(Sequence_):
    """:class:`~rlcore.validation.Sequence_` for any finite iterable (a range, a generator,
    an array), not only a list or tuple; it is read once into a tuple."""

    def accepts_kind(self, value: Any) -> bool:
        return isinstance(value, Iterable) and not isinstance(value, (str, bytes, dict))

    def check(self, value: Any, name: str, args: Args | None = None) -> tuple[Any, ...]:
        if not self.accepts_kind(value):
            raise InvalidParameterTypeError(name, f"expected an iterable of {self.item}, got {type(value).__name__}")
        if isinstance(value, np.ndarray) and value.ndim == 0:
            raise InvalidParameterTypeError(name, f"expected an iterable of {self.item}, got a 0-d array")
        items: list[Any] = []
        for v in value:  # stop reading an endless iterator one past the limit
            items.append(v)
            if self.max_len is not None and len(items) > self.max_len:
                break
        return super().check(items, name, args)

    def __str__(self) -> str:
        return f"an iterable of {self.item}"


#: One run's episodes-to-target: a count, or None / ``inf`` for a run that never reached it.
_EPISODES = Real(0, None, finite=False) | None


@dataclass(frozen=True, repr=False)
class SampleComplexity(Result):
    """Outcome of :func:`sqirl_sample_complexity`.

    Attributes
    ----------
    episodes : float
        Smallest ``H * m`` over the grid at which SQIRL was optimal on at least
        ``success`` of the seeds (``inf`` when no grid point was).
    k, m : int or None
        The minimising planning depth and episodes per step.
    success_rate : ndarray of shape (len(ks), len(ms))
        Fraction of seeds optimal at every grid point tried: a
        :class:`numpy.ma.MaskedArray`, masked where skipped (larger ``m`` at a ``k`` that
        already succeeded, or budgets ``H * m`` no smaller than the best so far).
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


@validate_params(
    mdp=MDP(discounted=False, hint="SQIRL runs finite-horizon episodes (pass horizon=H)"),
    ks=_Items(Integer(1, MAX_HORIZON), max_len=MAX_GRID),
    ms=_Items(Integer(1, MAX_LOCKSTEP), max_len=MAX_GRID),
    seeds=_Items(Integer(0, None), max_len=MAX_GRID) | Integer(1, MAX_GRID),
    success=Real(0, 1, closed="right"),
    atol=Real(0, None),
    regressor=REGRESSOR,
    features=FEATURES,
    progress=PROGRESS,
)
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
    progress: bool | None = None,
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
        Planning depths tried (those above ``H`` are skipped; at least one must be
        ``<= H``), at most ``10**4`` of them.
    ms : iterable of int in [1, 10**7]
        Episodes per step tried, strictly increasing (default ``2, 4, ..., 2**14``), at
        most ``10**4`` of them.
    seeds : iterable of int >= 0, or int in [1, 10**4]
        Seeds of the SQIRL runs (an int ``n`` means ``range(n)``), at most ``10**4``.
    success : float in (0, 1]
        Required fraction of optimal runs.
    atol : float >= 0
        Optimality tolerance on the value from the initial distribution (NaN is refused:
        it would make every comparison false).
    regressor, features
        Passed to :func:`tabular.sqirl`.
    progress : bool or None, default None
        Show a progress bar over the SQIRL runs on standard error (see
        :mod:`rlcore.progress`; the total is an upper bound, as the search stops early);
        None follows :func:`rlcore.set_progress` (off by default). The result does not
        depend on it.

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
    H = mdp.horizon
    assert H is not None  # a finite-horizon MDP (checked)
    k_list = tuple(k for k in ks if k <= H)
    m_list = tuple(ms)  # (a tuple already: the declaration reads the iterable)
    if not k_list:
        raise InvalidParameterError("ks", f"expected at least one planning depth in [1, {H}], got {ks}")
    if any(b <= a for a, b in zip(m_list, m_list[1:])):
        raise InvalidParameterError("ms", f"expected a strictly increasing sequence, got {m_list}")
    seed_list = tuple(range(seeds)) if isinstance(seeds, int) else tuple(seeds)
    template = TabularMean() if regressor is None else regressor
    feats = _make_features(features, mdp.n_states, mdp.n_actions)
    v_star = float(backward_induction(mdp).V[0] @ mdp.initial)
    rate = np.zeros((len(k_list), len(m_list)))
    tried = np.zeros(rate.shape, dtype=bool)
    best: tuple[float, int | None, int | None] = (math.inf, None, None)
    total = len(k_list) * len(m_list) * len(seed_list)
    with progress_bar(total, desc="sqirl_sample_complexity", progress=progress, unit="run") as bar:
        for ik, k in enumerate(k_list):
            for im, m in enumerate(m_list):
                if H * m >= best[0]:
                    break
                bar.set_postfix(k=k, m=m, refresh=False)
                ok = []
                for s in seed_list:
                    res = _sqirl(mdp, H, mdp.n_actions, mdp.n_states, k, m, template, feats, as_generator(s))
                    ok.append(_policy_value(mdp, res.policy) >= v_star - atol)
                    bar.update(1)
                rate[ik, im] = float(np.mean(ok))
                tried[ik, im] = True
                if rate[ik, im] >= success:
                    best = (float(H * m), k, m)
                    break
    return SampleComplexity(best[0], best[1], best[2], np.ma.masked_array(rate, mask=~tried), k_list, m_list)


@validate_params(episodes=_Items(_EPISODES, max_len=MAX_LOCKSTEP))
def median_episodes_to_target(episodes: Iterable[float | int | None]) -> float:
    """Median episodes-to-target over seeds, counting a run that never reached it as ``inf``.

    Parameters
    ----------
    episodes : iterable of int, float or None
        Per-seed episodes (``>= 0``; None or ``inf``: never reached) before the
        learner's evaluation first reached the optimal value; at least one, at most
        ``10**7``.

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
    vals = np.array([math.inf if e is None else e for e in episodes])
    return float(np.sort(vals)[(vals.size - 1) // 2]) if vals.size % 2 else float(np.median(vals))
