"""Offline bandits: LCB against the empirical-best arm (Rashidinejad et al. 2021, sections 3-4).

Oracles: the instance's true means (the suboptimality of a choice is exact), the explicit
bound of :func:`offline.lcb_bandit_bound` with its failure probability ``2 delta``, and a
hand count of the most played arm.
"""

from __future__ import annotations

import numpy as np
import pytest

from offline import (
    contextual_empirical_best,
    contextual_lcb,
    empirical_best_arm,
    lcb_arm,
    lcb_bandit_bound,
)

from ._helpers import failure_budget

DELTA = 0.05


def _trap_instance(n: int):
    """Arm 0 is best (0.5), arm 1 is decent (0.4) and common, 10 bad arms (0.1) are each seen ~once.

    ``mu`` depends on n so that the bad arms stay rare: an arm seen once with a lucky
    reward 1 fools the empirical-best rule with constant probability at every n.
    """
    means = np.array([0.5, 0.4] + [0.1] * 10)
    mu = np.array([0.3, 0.7 - 10 / n] + [1 / n] * 10)
    return means, mu, 1 / mu[0]


def _draw(means, mu, n, rng):
    a = rng.choice(means.size, size=n, p=mu)
    r = (rng.random(n) < means[a]).astype(float)
    return a, r


@pytest.mark.filterwarnings("ignore::rlcore.VacuousResultWarning")  # the bound is the trivial r_max at the smallest n
def test_lcb_failure_decays_while_empirical_best_keeps_failing():
    runs = 300
    eba_fail, lcb_wrong, lcb_over = {}, {}, {}
    for n in (100, 1000, 10_000):
        means, mu, c_star = _trap_instance(n)
        bound = lcb_bandit_bound(n, c_star, means.size, DELTA)
        rng = np.random.default_rng(n)
        e = w = o = 0
        for _ in range(runs):
            a, r = _draw(means, mu, n, rng)
            e += empirical_best_arm(a, r, means.size).arm != 0
            arm = lcb_arm(a, r, means.size, delta=DELTA).arm
            w += arm != 0
            o += means[0] - means[arm] > bound
        eba_fail[n], lcb_wrong[n], lcb_over[n] = e / runs, w / runs, o
    # the empirical-best arm fails with constant probability (a lucky rare arm), at every n
    assert min(eba_fail.values()) >= 0.4, eba_fail
    # LCB's suboptimality exceeds its bound with frequency <= 2 delta (binomial budget)
    assert all(v <= failure_budget(runs, 2 * DELTA) for v in lcb_over.values()), lcb_over
    # and its probability of a wrong arm decays with n (to ~0 once the bound < gap 0.1)
    assert lcb_wrong[100] > lcb_wrong[1000] > lcb_wrong[10_000]
    assert lcb_bandit_bound(10_000, 1 / 0.3, 12, DELTA) < 0.1 and lcb_wrong[10_000] <= 0.02


@pytest.mark.filterwarnings("ignore::rlcore.VacuousResultWarning")  # 40 poor expert pulls: imitation by tie-break
def test_lcb_plays_the_most_played_arm_on_expert_data():
    rng = np.random.default_rng(0)
    a = np.full(40, 3)
    r = (rng.random(40) < 0.2).astype(float)  # a poor expert: LCB still imitates (other arms unseen)
    assert lcb_arm(a, r, 5).arm == 3
    assert lcb_arm(np.array([1, 1, 2]), np.array([0.0, 0.0, 0.0]), 4).arm == 1  # tie at 0 -> most played
    # contextual: only the expert's arm of each context is logged (context 3 never): it is played
    expert = np.array([2, 0, 1])
    s = rng.integers(0, 3, size=200)
    res = contextual_lcb(s, expert[s], (rng.random(200) < 0.1).astype(float), 4, 3)
    np.testing.assert_array_equal(res.policy[:3], expert)


def test_zero_safety_and_width():
    res = lcb_arm(np.array([0, 0, 0, 1]), np.array([1.0, 1.0, 1.0, 0.0]), 3, delta=0.1)
    assert np.all(np.isfinite(res.index)) and res.width[0, 2] == 1.0 and res.index[0, 2] == 0.0
    np.testing.assert_allclose(res.width[0, 0], np.sqrt(np.log(2 * 3 / 0.1) / 6))


def test_contextual_lcb_bound_holds_over_seeds():
    S_, A_, n, runs = 4, 3, 4000, 200
    rng = np.random.default_rng(1)
    means = rng.random((S_, A_))
    best = means.argmax(1)
    rho = np.full(S_, 1 / S_)
    beh = np.full((S_, A_), 0.15)
    beh[np.arange(S_), best] = 0.7
    mu = rho[:, None] * beh
    c_star = float(np.max(rho / mu[np.arange(S_), best]))
    bound = lcb_bandit_bound(n, c_star, A_, DELTA, n_contexts=S_)
    over = 0
    for _ in range(runs):
        flat = rng.choice(S_ * A_, size=n, p=mu.ravel())
        s, a = flat // A_, flat % A_
        r = (rng.random(n) < means[s, a]).astype(float)
        pol = contextual_lcb(s, a, r, S_, A_, delta=DELTA).policy
        subopt = float(rho @ (means[np.arange(S_), best] - means[np.arange(S_), pol]))
        over += subopt > bound
    assert over <= failure_budget(runs, 2 * DELTA)
    assert bound < 0.5


def test_empirical_best_rule_by_hand():
    s = np.array([0, 0, 0, 1, 1])
    a = np.array([0, 1, 1, 2, 2])
    r = np.array([0.3, 0.5, 0.2, 0.9, 0.1])
    res = contextual_empirical_best(s, a, r, 3, 3)
    np.testing.assert_array_equal(res.policy, [1, 2, 0])  # means 0.3 vs 0.35; one arm; no data -> arm 0
    np.testing.assert_allclose(res.means[0], [0.3, 0.35, 0.0])


@pytest.mark.filterwarnings("ignore::rlcore.VacuousResultWarning")  # checks the cap at r_max too
def test_bound_shape():
    assert lcb_bandit_bound(100, float("inf"), 3, 0.1) == 1.0
    b = [lcb_bandit_bound(n, 2.0, 3, 0.1) for n in (10**3, 10**4, 10**5)]
    assert b[0] > b[1] > b[2]
    # leading term 2 sqrt(C* log(2A/delta) / n): ratio sqrt(10) between decades once the 1/n term fades
    assert b[1] / b[2] == pytest.approx(np.sqrt(10), rel=0.1)
    assert lcb_bandit_bound(10**4, 4.0, 3, 0.1) > lcb_bandit_bound(10**4, 2.0, 3, 0.1)


def test_invalid_inputs_are_named():
    with pytest.raises(ValueError, match=r"^rewards\b"):
        lcb_arm([0, 1], [0.5, 1.5], 2, r_max=1.0)
    with pytest.raises(ValueError, match=r"^actions\b"):
        lcb_arm([0, 3], [0.5, 0.5], 2)
    with pytest.raises(TypeError, match=r"^actions\b"):
        lcb_arm([0.0, 1.0], [0.5, 0.5], 2)
    with pytest.raises(ValueError, match=r"^rewards\b"):
        lcb_arm([0, 1], [0.5], 2)
    with pytest.raises(ValueError, match=r"^delta\b"):
        lcb_arm([0, 1], [0.5, 0.5], 2, delta=0.0)


@pytest.mark.parametrize(
    ("call", "exc", "param"),
    [
        (lambda: lcb_arm([], [], 2), ValueError, "actions"),  # no data
        (lambda: lcb_arm([True, False], [0.5, 0.5], 2), TypeError, "actions"),
        (lambda: lcb_arm([0, 1], [0.5, np.nan], 2), ValueError, "rewards"),
        (lambda: lcb_arm([0, 1], [0.5, 0.5], 2, r_max=0.25), ValueError, "rewards"),
        (lambda: lcb_arm([0, 1], [0.5, 0.5], 2, c=float("inf")), ValueError, "c"),
        (lambda: lcb_arm([0, 1], [0.5, 0.5], 2.0), TypeError, "n_arms"),
        (lambda: contextual_lcb([0, 5], [0, 1], [0.5, 0.5], 2, 2), ValueError, "contexts"),
        (lambda: contextual_lcb([0, 1, 1], [0, 1], [0.5, 0.5], 2, 2), ValueError, "actions"),  # lengths differ
        (lambda: contextual_lcb([0, 1], [0, 1], [0.5, 0.5], 10**6, 10**6), ValueError, "n_arms"),  # 1e12 pairs
        (lambda: contextual_empirical_best("ab", [0, 1], [0.5, 0.5], 2, 2), TypeError, "contexts"),
        (lambda: empirical_best_arm([0, 1], [0.5, np.inf], 2), ValueError, "rewards"),
    ],
)
def test_bad_arguments_are_refused_by_name(call, exc, param):
    with pytest.raises(exc, match=rf"^{param}\b"):
        call()


def test_empirical_means_of_huge_rewards_stay_finite():
    """Two rewards of 1e308 summed to inf, a mean of inf; the mean is now 1e308."""
    res = empirical_best_arm([0, 0, 1], [1e308, 1e308, -1e308], 2)
    np.testing.assert_array_equal(res.means, [[1e308, -1e308]])
    assert res.arm == 0
