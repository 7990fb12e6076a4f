"""Discounted and sliding-window UCB: the engine against a from-the-definition
recomputation, adaptation after a change of the best arm, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bandits as b


def _reference(policy, table):
    """The policy's pulls on a reward table, statistics recomputed from the whole
    history at every round (O(t) per round; no incremental state)."""
    T, K = table.shape
    arms: list[int] = []
    for t in range(1, T + 1):
        past = np.array(arms, dtype=int)
        rewards = table[np.arange(t - 1), past] if t > 1 else np.zeros(0)
        if isinstance(policy, b.DiscountedUCB):
            w = policy.gamma ** (t - 2 - np.arange(t - 1))  # gamma^(t-1-s), s = 1..t-1
            N = np.array([w[past == k].sum() for k in range(K)])
            S = np.array([(w * rewards)[past == k].sum() for k in range(K)])
            unseen = [k for k in range(K) if not np.any(past == k)]
            n = N.sum()
        else:
            lo = max(0, t - 1 - policy.window)
            win, rw = past[lo:], rewards[lo:]
            N = np.array([np.sum(win == k) for k in range(K)], dtype=float)
            S = np.array([rw[win == k].sum() for k in range(K)])
            unseen = [k for k in range(K) if N[k] == 0]
            n = min(t - 1, policy.window)
        if unseen:
            arms.append(unseen[0])
            continue
        lg = math.log(n) if n > 1 else 0.0
        arms.append(int(np.argmax(S / N + np.sqrt(policy.alpha * lg / N))))
    return np.array(arms)


@pytest.mark.parametrize("policy", [b.DiscountedUCB(0.95), b.DiscountedUCB(0.99, alpha=1.0),
                                    b.SlidingWindowUCB(25), b.SlidingWindowUCB(120, alpha=0.5)], ids=repr)
def test_pulls_match_a_recomputation_from_the_definition(policy):
    rng = np.random.default_rng(3)
    table = rng.random((500, 4))
    table[250:, 2] += 0.4  # a change: arm 2 becomes the best
    table = np.clip(table, 0.0, 1.0)
    res = b.simulate(policy, b.AdversarialBandit(table), 500, 1, rng=0, return_actions=True)
    np.testing.assert_array_equal(res.actions[0], _reference(policy, table))


def test_tuned_regret_grows_like_sqrt_t_log_t_and_thompson_does_not():
    # five segments whose best arm alternates (gap 0.8), breakpoints at fixed fractions
    # of T. Garivier and Moulines' tuning gives O(sqrt(T Upsilon) log T): from T to 4T
    # the mean regret should grow ~2 log(4T)/log(T) = 2.3x, well below the 4x of linear
    # regret (measured 2.5x D-UCB, 2.4x SW-UCB, 40 runs); Beta-Thompson sampling, whose
    # posterior never forgets, grows 3.3x and has >= 3x their regret at 4T. Limits: 3.1x
    # and 2x. (UCB1 also adapts on this instance; D-UCB/SW-UCB's guarantee is worst-case.)
    def regret(pol, T):
        env = b.PiecewiseStationaryBandit([[0.9, 0.1], [0.1, 0.9]] * 2 + [[0.9, 0.1]], [T * i // 5 for i in range(1, 5)])
        return b.simulate(pol, env, T, 40, rng=1).pseudo_regret[:, -1].mean()

    T = 5000
    ts = regret(b.ThompsonBeta(), 4 * T)
    for cls in (b.DiscountedUCB, b.SlidingWindowUCB):
        small, large = regret(cls.tuned(T, 5), T), regret(cls.tuned(4 * T, 5), 4 * T)
        assert large / small < 3.1, (cls, small, large)
        assert 2.0 * large < ts, (cls, large, ts)


def test_tuning_follows_garivier_and_moulines():
    assert b.DiscountedUCB.tuned(10_000, 4).gamma == pytest.approx(1 - math.sqrt(4 / 10_000) / 4)
    assert b.SlidingWindowUCB.tuned(10_000, 4, B=2.0).window == math.ceil(4 * math.sqrt(10_000 * math.log(10_000) / 4))


def test_invalid_input_names_the_argument():
    for bad in (0.0, 1.0, -0.5, float("nan")):
        with pytest.raises(ValueError, match="gamma"):
            b.DiscountedUCB(bad)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="window"):
            b.SlidingWindowUCB(bad)
    with pytest.raises(ValueError, match="alpha"):
        b.SlidingWindowUCB(10, alpha=0.0)
    with pytest.raises(ValueError, match="n_breakpoints"):
        b.DiscountedUCB.tuned(1000, 0)
    with pytest.raises(ValueError, match="horizon"):
        b.SlidingWindowUCB.tuned(1, 1)
