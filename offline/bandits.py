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

from rlcore.results import Result
from rlcore.validation import Array, Integer, InvalidParameterError, Real, validate_params
from offline._common import tie_break_argmax
from offline.vacuous import warn_all_clipped
from offline._constraints import DELTA_FLOOR, MAX_ACTIONS, MAX_MODEL_ENTRIES, MAX_STATES, R_MAX_LIMIT, ref_int

__all__ = ["BanditLCBResult", "contextual_empirical_best", "contextual_lcb", "empirical_best_arm", "lcb_arm"]


@dataclass(frozen=True, repr=False)
class BanditLCBResult(Result):
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
    r_max : float or None
        The reward range ``[0, r_max]`` of the LCB widths (None for the empirical-best
        rule, which has none).
    r_max_inferred : bool
        True when ``r_max`` was inferred as the largest observed reward, a lower bound
        on the true range that the widths (and :func:`offline.lcb_bandit_bound` used
        with it) assume.
    """

    policy: np.ndarray
    arm: int
    means: np.ndarray
    counts: np.ndarray
    width: np.ndarray
    index: np.ndarray
    r_max: float | None = None
    r_max_inferred: bool = False


def _size(ref: str) -> Any:
    """Upper end (exclusive) of an index array: the size argument ``ref`` when it is a valid integer."""
    return lambda args: ref_int(args, ref)


def _r_max(args: dict[str, Any]) -> float | None:
    v = args.get("r_max")
    return (
        float(v)
        if isinstance(v, (int, float, np.integer, np.floating))
        and not isinstance(v, (bool, np.bool_))
        and 0.0 < float(v) <= R_MAX_LIMIT
        else None
    )


#: The constraints of the bandit rules (the sizes they refer to come later in the signatures:
#: they are read only when valid, see :func:`offline._constraints.ref_int`).
CONTEXTS = Array("int", ndim=1, low=0, high=_size("n_contexts"), closed="left") | None
ACTIONS = Array("int", ndim=1, shape=("contexts.size",), low=0, high=_size("n_arms"), closed="left")
LCB_REWARDS = Array("float", ndim=1, shape=("actions.size",), low=0.0, high=_r_max)
REWARDS = Array("float", ndim=1, shape=("actions.size",))
N_CONTEXTS = Integer(1, MAX_STATES)
N_ARMS = Integer(1, MAX_ACTIONS)
DELTA = Real(DELTA_FLOOR, 1, closed="left")
C = Real(0, 1e100, closed="right")
R_MAX = Real(0, R_MAX_LIMIT, closed="right") | None


def _contexts(contexts: np.ndarray | None, actions: np.ndarray) -> np.ndarray:
    return np.zeros(actions.shape, dtype=np.int64) if contexts is None else contexts


def _check_pairs(S: int, A: int) -> None:
    if S * A > MAX_MODEL_ENTRIES:
        raise InvalidParameterError(
            "n_arms", f"n_contexts * n_arms = {S * A} pairs exceed the limit {MAX_MODEL_ENTRIES}"
        )


def _stats(s: np.ndarray, a: np.ndarray, r: np.ndarray, S: int, A: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(s * A + a, minlength=S * A).reshape(S, A).astype(np.int64)
    with np.errstate(over="ignore", invalid="ignore"):
        sums = np.bincount(s * A + a, weights=r, minlength=S * A).reshape(S, A)
    if not np.all(np.isfinite(sums)):  # rewards near the float64 limit: average the scaled rewards
        scale = float(np.max(np.abs(r)))
        scaled = np.bincount(s * A + a, weights=r / scale, minlength=S * A).reshape(S, A)
        return counts, scale * (scaled / np.maximum(counts, 1))
    return counts, sums / np.maximum(counts, 1)


@validate_params(
    contexts=CONTEXTS,
    actions=ACTIONS,
    rewards=LCB_REWARDS,
    n_contexts=N_CONTEXTS,
    n_arms=N_ARMS,
    delta=DELTA,
    c=C,
    r_max=R_MAX,
)
def contextual_lcb(
    contexts: Any,
    actions: Any,
    rewards: Any,
    n_contexts: int,
    n_arms: int,
    *,
    delta: float = 0.05,
    c: float = 1.0,
    r_max: float | None = None,
) -> BanditLCBResult:
    """LCB policy for an offline contextual bandit with finitely many contexts.

    Parameters
    ----------
    contexts, actions : array_like of int, shape (n,)
        At least one sample; contexts in ``[0, n_contexts)``, actions in
        ``[0, n_arms)``. ``contexts=None`` means one context (a multi-armed bandit).
    rewards : array_like of float, shape (n,)
        In ``[0, r_max]`` (checked when ``r_max`` is given), non-negative.
    n_contexts, n_arms : int in [1, 10**6]
        At most ``10**8`` pairs ``n_contexts * n_arms``.
    delta : float in [1e-100, 1)
    c : float in (0, 1e100]
        Width multiplier; ``c = 1`` is the exact Hoeffding union-bound width under
        which :func:`offline.lcb_bandit_bound` holds.
    r_max : float in (0, 1e100], optional
        The reward range. Default: inferred as the largest observed reward (1 if none
        is positive), recorded as ``r_max_inferred=True``. That is only a *lower
        bound* on the true range, which the widths then assume: pass the known range
        whenever you have it. The widths scale with ``r_max``, so a range far above
        the rewards clips every index at 0.

    Returns
    -------
    BanditLCBResult

    Warns
    -----
    VacuousResultWarning
        When every index is clipped at 0 although some reward is positive: the choice
        is then the tie-break's (the most played arm).

    Guarantee
    ---------
    With probability ``1 - 2 delta`` the suboptimality ``sum_s rho(s) (r(s, pi*) -
    r(s, pi_hat))`` is at most :func:`offline.lcb_bandit_bound` (for ``c >= 1``;
    the contextual-bandit LCB theorem of Rashidinejad et al. 2021, explicit constants). With expert data (only
    ``pi*``'s arms logged) the policy plays the logged arm in every logged context. Tested by
    ``tests/offline/test_bandits.py::test_contextual_lcb_bound_holds_over_seeds`` (200 seeds, failure
    budget for ``2 delta``) and ``tests/offline/test_bandits.py::test_lcb_plays_the_most_played_arm_on_expert_data``.

    Examples
    --------
    >>> contexts = [0] * 25 + [1] * 20
    >>> arms = [0] * 20 + [1] * 5 + [1] * 20
    >>> res = contextual_lcb(contexts, arms, [1.0] * 20 + [0.0] * 5 + [0.5] * 20, 2, 2)
    >>> res.policy.tolist(), res.r_max, res.r_max_inferred, bool((res.index.max(axis=1) > 0).all())
    ([0, 1], 1.0, True, True)
    """
    return _lcb(_contexts(contexts, actions), actions, rewards, n_contexts, n_arms, delta, c, r_max)


def _lcb(
    s: np.ndarray, a: np.ndarray, r: np.ndarray, S: int, A: int, delta: float, c: float, r_max: float | None
) -> BanditLCBResult:
    _check_pairs(S, A)
    inferred = r_max is None
    if r_max is None:
        top = float(r.max())
        if top > R_MAX_LIMIT:
            raise InvalidParameterError(
                "rewards", f"the largest reward {top:g}, the inferred r_max, exceeds the limit {R_MAX_LIMIT:g}"
            )
        r_max = top if top > 0.0 else 1.0
    counts, means = _stats(s, a, r, S, A)
    L = math.log(2.0 * S * A / delta)
    width = np.where(counts > 0, np.minimum(c * r_max * np.sqrt(L / (2.0 * np.maximum(counts, 1))), r_max), r_max)
    index = np.maximum(means - width, 0.0)
    policy = tie_break_argmax(index, counts)
    top = float(r.max())
    hint = (
        f"r_max = {r_max:g} is {r_max / top:.3g} times the largest observed reward {top:g} and the widths scale "
        "with it: pass the true reward range, or r_max=None to infer it"
        if not inferred and 0.0 < top < 0.5 * r_max
        else "more samples, a smaller c or a larger delta would give informative indices"
    )
    warn_all_clipped(index, r, "lcb", hint, stacklevel=5)
    return BanditLCBResult(
        policy=policy,
        arm=int(policy[0]),
        means=means,
        counts=counts,
        width=width,
        index=index,
        r_max=float(r_max),
        r_max_inferred=inferred,
    )


@validate_params(actions=ACTIONS, rewards=LCB_REWARDS, n_arms=N_ARMS, delta=DELTA, c=C, r_max=R_MAX)
def lcb_arm(
    actions: Any, rewards: Any, n_arms: int, *, delta: float = 0.05, c: float = 1.0, r_max: float | None = None
) -> BanditLCBResult:
    """LCB arm of an offline multi-armed bandit (:func:`contextual_lcb` with one context).

    Parameters as in :func:`contextual_lcb`.

    Guarantee
    ---------
    With probability ``1 - 2 delta``, ``r(a*) - r(a_hat) <= 2 r_max sqrt(C* log(2A/delta)/n)
    + 8 r_max C* log(1/delta) / n`` with ``C* = 1 / mu(a*)`` (:func:`offline.lcb_bandit_bound`;
    the multi-armed bandit LCB theorem of Rashidinejad et al. 2021). Tested by
    ``tests/offline/test_bandits.py::test_lcb_failure_decays_while_empirical_best_keeps_failing``
    (300 seeds at each of three sample sizes, failure budget for ``2 delta``).

    Examples
    --------
    >>> lcb_arm([0] * 50 + [1], [0.6] * 50 + [1.0], 2).arm  # one lucky pull does not win
    0
    """
    return _lcb(_contexts(None, actions), actions, rewards, 1, n_arms, delta, c, r_max)


@validate_params(contexts=CONTEXTS, actions=ACTIONS, rewards=REWARDS, n_contexts=N_CONTEXTS, n_arms=N_ARMS)
def contextual_empirical_best(
    contexts: Any, actions: Any, rewards: Any, n_contexts: int, n_arms: int
) -> BanditLCBResult:
    """The empirical-best (plug-in) rule ``argmax_a r_hat(s, a)`` over played arms.

    Contexts with no data get arm 0. Ties go to the lowest index. Parameters as in
    :func:`contextual_lcb` (rewards may be any finite reals); ``index`` is ``-inf``
    for the arms never played.

    Examples
    --------
    >>> contextual_empirical_best([0, 0], [0, 1], [0.2, 0.9], 1, 2).policy.tolist()
    [1]
    """
    return _empirical_best(_contexts(contexts, actions), actions, rewards, n_contexts, n_arms)


def _empirical_best(s: np.ndarray, a: np.ndarray, r: np.ndarray, S: int, A: int) -> BanditLCBResult:
    _check_pairs(S, A)
    counts, means = _stats(s, a, r, S, A)
    index = np.where(counts > 0, means, -np.inf)
    policy = np.where(counts.any(axis=1), np.argmax(index, axis=1), 0).astype(np.int64)
    return BanditLCBResult(
        policy=policy, arm=int(policy[0]), means=means, counts=counts, width=np.zeros((S, A)), index=index
    )


@validate_params(actions=ACTIONS, rewards=REWARDS, n_arms=N_ARMS)
def empirical_best_arm(actions: Any, rewards: Any, n_arms: int) -> BanditLCBResult:
    """The arm with the highest empirical mean among those played (see :func:`contextual_empirical_best`).

    Examples
    --------
    >>> empirical_best_arm([0] * 50 + [1], [0.6] * 50 + [1.0], 2).arm  # fooled by one lucky pull
    1
    """
    return _empirical_best(_contexts(None, actions), actions, rewards, 1, n_arms)
