"""Environments: validation, the batched simulator protocol, oracles."""

from __future__ import annotations

import numpy as np
import pytest

import bandits as b
from rlcore import Simulator


def test_bernoulli_rewards_have_the_stated_means():
    # 20,000 independent runs sampled in one call; 5-sigma tolerance (failure prob < 1e-6)
    env = b.BernoulliBandit([0.1, 0.75])
    assert isinstance(env, Simulator)
    n = 20_000
    s = env.reset(n, rng=0)
    acts = np.repeat([0, 1], n // 2)
    s2, r, term = env.step(s, acts, rng=1)
    assert set(np.unique(r)) <= {0.0, 1.0} and not term.any() and (s2 == 1).all()
    for k, mu in enumerate([0.1, 0.75]):
        sd = np.sqrt(mu * (1 - mu) / (n // 2))
        assert abs(r[acts == k].mean() - mu) < 5 * sd


def test_gaussian_and_beta_moments():
    n = 20_000
    g = b.GaussianBandit([1.0, -2.0], sigma=[0.5, 2.0])
    _, r, _ = g.step(np.zeros(n, int), np.ones(n, int), rng=2)
    assert abs(r.mean() + 2.0) < 5 * 2.0 / np.sqrt(n)
    assert abs(r.std() - 2.0) < 0.1
    bb = b.BetaBandit([2.0], [6.0])
    _, r, _ = bb.step(np.zeros(n, int), np.zeros(n, int), rng=3)
    sd = np.sqrt(2 * 6 / (8**2 * 9))
    assert abs(r.mean() - 0.25) < 5 * sd / np.sqrt(n) and r.min() >= 0 and r.max() <= 1
    assert bb.draw_noise(np.random.default_rng(0), 7).shape == (7, 1)


def test_piecewise_means_follow_the_change_points():
    env = b.PiecewiseStationaryBandit([[0.9, 0.1], [0.2, 0.3], [0.5, 0.6]], [3, 5])
    m = env.means_table(7)
    assert m[:, 0].tolist() == [0.9, 0.9, 0.9, 0.2, 0.2, 0.5, 0.5]
    assert env.oracle(7).tolist() == [0.9, 0.9, 0.9, 0.3, 0.3, 0.6, 0.6]
    # a policy that always plays arm 0 pays exactly the dynamic gaps
    res = b.simulate(b.PiecewiseStationaryBandit([[0.9, 0.1]] * 2, [5]), b.ExploreThenCommit(1), 10, 1, rng=0)
    assert res.pseudo_regret[0, 0] == 0.0 and res.pseudo_regret[0, 1] == pytest.approx(0.8)


def test_adversarial_regret_is_against_the_best_fixed_arm():
    X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    env = b.AdversarialBandit(X)
    assert env.best_arm(5) == 1 and env.best_arm(2) == 0
    res = b.simulate(env, b.ExploreThenCommit(1), 5, 1, rng=0, return_actions=True)
    # ETC(1) pulls 0, 1, then commits to arm 0 (reward 1 vs 0 seen)
    assert res.actions[0].tolist() == [0, 1, 0, 0, 0]
    assert res.regret[0, -1] == X[:, 1].sum() - (1 + 0 + 0 + 0 + 0)
    np.testing.assert_array_equal(res.regret, res.pseudo_regret)
    with pytest.raises(ValueError, match="horizon"):
        b.simulate(env, b.UCB1(), 6)


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: b.BernoulliBandit([0.2, 1.2]), "means"),
        (lambda: b.BernoulliBandit([-0.1]), "means"),
        (lambda: b.BernoulliBandit([]), "means"),
        (lambda: b.BernoulliBandit([np.nan]), "means"),
        (lambda: b.GaussianBandit([0.0, 1.0], sigma=[1.0, -1.0]), "sigma"),
        (lambda: b.GaussianBandit([0.0, 1.0], sigma=[1.0, 1.0, 1.0]), "sigma"),
        (lambda: b.BetaBandit([1.0, 0.0], [1.0, 1.0]), "alpha"),
        (lambda: b.BetaBandit([1.0, 2.0], [1.0]), "beta"),
        (lambda: b.PiecewiseStationaryBandit([[0.1, 0.2], [0.3, 0.4]], [0]), "change_points"),
        (lambda: b.PiecewiseStationaryBandit([[0.1, 0.2], [0.3, 1.4]], [3]), "means"),
        (lambda: b.PiecewiseStationaryBandit([[0.1, 0.2]], [], distribution="x"), "distribution"),
        (lambda: b.AdversarialBandit([[0.5, 2.0]]), "rewards"),
    ],
)
def test_invalid_environments_name_the_argument(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_step_validates_actions():
    env = b.BernoulliBandit([0.1, 0.2])
    with pytest.raises(ValueError, match="actions"):
        env.step(env.reset(2), [0, 2])
    with pytest.raises(ValueError, match="actions"):
        env.step(env.reset(2), [0])
