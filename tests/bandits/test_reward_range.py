"""A policy whose update is defined on [0, 1] is refused by an environment paying outside it.

Before: ``simulate(GaussianBandit([0, 5]), ThompsonBeta(), 2000, 3)`` ran, counted every
reward above 1 as a failure (the binarisation only reads rewards in (0, 1)) and pulled the
best arm almost never: mean regret 9,842 of the 10,000 possible, with no word. KL-UCB
with the Bernoulli KL clipped the means above 1 in the same silence.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import bandits as b


UNBOUNDED = [
    b.GaussianBandit([0.0, 5.0], sigma=1.0),
    b.GaussianBandit([0.2, 0.6], sigma=0.0),  # counts as unbounded, as documented
    b.PiecewiseStationaryBandit([[0.2, 0.7], [0.7, 0.2]], [50], distribution="gaussian"),
    b.LinearBandit([[1.0, 0.0], [0.0, 1.0]], [0.2, 0.5], sigma=0.1),
]
BOUNDED = [
    b.BernoulliBandit([0.2, 0.7]),
    b.BetaBandit([1.0, 3.0], [3.0, 1.0]),
    b.PiecewiseStationaryBandit([[0.2, 0.7], [0.7, 0.2]], [50]),
    b.AdversarialBandit(np.tile([0.1, 0.9], (100, 1))),
]


@pytest.mark.parametrize("env", UNBOUNDED, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("policy", [b.ThompsonBeta(), b.KLUCB(), b.KLUCB(c=3.0, kl="bernoulli")], ids=repr)
def test_unit_interval_policies_are_refused_on_unbounded_rewards(env, policy):
    assert env.reward_range() == (-math.inf, math.inf)
    with pytest.raises(ValueError, match=r"^policy: (ThompsonBeta|KLUCB) is defined for rewards in \[0, 1\]"):
        b.simulate(env, policy, 100, 2, rng=0)
    with pytest.raises(ValueError, match=r"^policy: "):
        b.simulate(env, policy, 100, 2, rng=0, backend="python")


@pytest.mark.parametrize("env", BOUNDED, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("policy", [b.ThompsonBeta(), b.KLUCB()], ids=repr)
def test_unit_interval_policies_run_on_bounded_rewards(env, policy):
    assert env.reward_range() == (0.0, 1.0)
    res = b.simulate(env, policy, 100, 2, rng=0)
    assert np.all(np.isfinite(res.pseudo_regret))


@pytest.mark.parametrize("policy", [b.UCB1(), b.KLUCB(kl="gaussian"), b.ThompsonGaussian(), b.MOSS()], ids=repr)
def test_policies_without_a_range_run_anywhere(policy):
    assert getattr(policy, "reward_range", None) is None
    res = b.simulate(UNBOUNDED[0], policy, 200, 2, rng=0)
    assert res.mean_regret()[-1] < 0.5 * 5.0 * 200  # the best arm is found: far below linear regret


def test_a_user_policy_declares_its_range():
    class Greedy:
        reward_range = (0.0, 1.0)

        def reset(self, n_arms, horizon):
            self.s, self.n = np.zeros(n_arms), np.zeros(n_arms)

        def select(self, t, rng):
            return int(np.argmax(np.where(self.n > 0, self.s / np.maximum(self.n, 1), np.inf)))

        def update(self, arm, reward, rng):
            self.s[arm] += reward
            self.n[arm] += 1

    b.simulate(BOUNDED[0], Greedy(), 50, 1, rng=0)
    with pytest.raises(ValueError, match=r"^policy: Greedy is defined for rewards in \[0, 1\]"):
        b.simulate(UNBOUNDED[0], Greedy(), 50, 1, rng=0)
