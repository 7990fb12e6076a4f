"""The simulation engine: the compiled and the Python paths agree bit for bit, streams
are per-run, user-defined policies run, and bad input is refused by name."""

from __future__ import annotations

import numpy as np
import pytest

import bandits as b

POLICIES = [
    b.ExploreThenCommit(5),
    b.EpsilonGreedy(0.2),
    b.EpsilonGreedy(c=6.0, d=0.2),
    b.UCB1(),
    b.UCBV(),
    b.KLUCB(),
    b.KLUCB(c=3.0),
    b.KLUCB(kl="gaussian", sigma=0.5),
    b.MOSS(),
    b.ThompsonBeta(),
    b.ThompsonGaussian(),
    b.EXP3(0.2),
    b.DiscountedUCB(0.97),
    b.SlidingWindowUCB(37),
    b.SlidingWindowUCB(150),  # evicts within the 400 rounds of the test
]


def _envs():
    rng = np.random.default_rng(0)
    return [
        b.BernoulliBandit([0.1, 0.5, 0.45, 0.2]),
        b.GaussianBandit([0.0, 0.3, 0.1, 0.25], sigma=[1.0, 0.5, 2.0, 0.1]),
        b.BetaBandit([1.0, 2.0, 5.0, 0.5], [1.0, 3.0, 2.0, 0.5]),
        b.PiecewiseStationaryBandit([[0.9, 0.1, 0.5, 0.2], [0.1, 0.9, 0.5, 0.2]], [150]),
        b.AdversarialBandit(rng.random((400, 4))),
    ]


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
def test_numba_and_python_paths_give_identical_trajectories(policy):
    for env in _envs():
        if getattr(policy, "reward_range", None) is not None and env.reward_range()[1] > 1:
            continue  # refused by simulate (tests/bandits/test_reward_range.py)
        fast = b.simulate(env, policy, 400, 3, rng=11, backend="numba", return_actions=True)
        slow = b.simulate(env, policy, 400, 3, rng=11, backend="python", return_actions=True)
        assert fast.backend == "numba" and slow.backend == "python"
        np.testing.assert_array_equal(fast.actions, slow.actions, err_msg=f"{policy} on {env}")
        np.testing.assert_array_equal(fast.regret, slow.regret)
        np.testing.assert_array_equal(fast.pseudo_regret, slow.pseudo_regret)
        np.testing.assert_array_equal(fast.counts, slow.counts)


@pytest.mark.parametrize(
    "means",
    [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.85], [0.5, 0.5, 0.5, 0.4], [0.0, 0.0, 1.0, 1.0], [0.3] * 5],
)
def test_ucb1_certificate_skips_no_decision_of_the_full_scan(means):
    # the compiled UCB1-Bernoulli loop skips the argmax while a certificate holds
    # (windows of t >> 9 rounds from t = 512 on); its pulls must equal the full scan
    # of the Python path at every round, ties (equal means, equal counts) included
    env = b.BernoulliBandit(means)
    fast = b.simulate(env, b.UCB1(), 6000, 2, rng=4, backend="numba", return_actions=True)
    slow = b.simulate(env, b.UCB1(), 6000, 2, rng=4, backend="python", return_actions=True)
    np.testing.assert_array_equal(fast.actions, slow.actions)
    np.testing.assert_array_equal(fast.regret, slow.regret)
    np.testing.assert_array_equal(fast.pseudo_regret, slow.pseudo_regret)


def test_ucb1_certificate_of_the_general_loop_on_other_environments():
    # the general loop (Gaussian, piecewise-stationary arms) uses the same certificate,
    # with windows of several rounds from t = 1024 on; pulls equal the full scan
    for env in (
        b.GaussianBandit([0.0, 0.3, 0.25, 0.1], sigma=[1.0, 0.5, 2.0, 0.1]),
        b.PiecewiseStationaryBandit([[0.6, 0.5, 0.2], [0.5, 0.6, 0.2]], [2500]),
    ):
        fast = b.simulate(env, b.UCB1(), 5000, 2, rng=8, backend="numba", return_actions=True)
        slow = b.simulate(env, b.UCB1(), 5000, 2, rng=8, backend="python", return_actions=True)
        np.testing.assert_array_equal(fast.actions, slow.actions)


def test_regret_bookkeeping_matches_a_direct_recomputation():
    env = b.BernoulliBandit([0.2, 0.7, 0.4])
    res = b.simulate(env, b.ThompsonBeta(), 300, 4, rng=3, return_actions=True)
    gaps = env.gaps()
    np.testing.assert_allclose(res.pseudo_regret, np.cumsum(gaps[res.actions], axis=1), atol=1e-12)
    counts = np.stack([np.bincount(a, minlength=3) for a in res.actions])
    np.testing.assert_array_equal(res.counts, counts)
    # realised regret: rewards are 0/1, so T mu* - regret is an integer (the successes)
    successes = 0.7 * np.arange(1, 301) - res.regret
    np.testing.assert_allclose(successes, np.round(successes), atol=1e-9)
    assert np.all(np.diff(np.round(successes), axis=1) >= 0)


def test_runs_depend_only_on_the_root_seed_and_their_index():
    env = b.BernoulliBandit([0.3, 0.6])
    few = b.simulate(env, b.ThompsonBeta(), 200, 2, rng=5)
    many = b.simulate(env, b.ThompsonBeta(), 200, 5, rng=5)
    np.testing.assert_array_equal(few.regret, many.regret[:2])
    again = b.simulate(env, b.ThompsonBeta(), 200, 5, rng=5)
    np.testing.assert_array_equal(many.regret, again.regret)
    other = b.simulate(env, b.ThompsonBeta(), 200, 5, rng=6)
    assert not np.array_equal(many.regret, other.regret)


def test_user_defined_policy_runs_on_the_python_path():
    class Greedy:
        """Pull each arm once, then the best empirical mean (a user's own policy)."""

        def reset(self, n_arms, horizon):
            self.n = np.zeros(n_arms)
            self.s = np.zeros(n_arms)

        def select(self, t, rng):
            if t <= self.n.size:
                return t - 1
            return int(np.argmax(self.s / self.n))

        def update(self, arm, reward, rng):
            self.n[arm] += 1
            self.s[arm] += reward

    env = b.GaussianBandit([0.0, 1.0], sigma=0.1)  # easy: greedy locks on the best arm
    res = b.simulate(env, Greedy(), 50, 3, rng=0, return_actions=True)
    assert res.backend == "python"
    assert res.actions[:, 2:].tolist() == [[1] * 48] * 3
    np.testing.assert_allclose(res.pseudo_regret[:, -1], 1.0)
    with pytest.raises(ValueError, match="backend"):
        b.simulate(env, Greedy(), 10, backend="numba")


def test_confidence_band_brackets_the_mean():
    res = b.simulate(b.BernoulliBandit([0.4, 0.5]), b.UCB1(), 100, 20, rng=0)
    lo, hi = res.confidence_band(level=0.9)
    m = res.mean_regret()
    assert np.all(lo <= m) and np.all(m <= hi) and res.horizon == 100 and res.n_runs == 20


def test_result_is_a_regret_result_that_prints_concisely():
    res = b.simulate(b.BernoulliBandit([0.4, 0.5]), b.UCB1(), 100, 20, rng=0, return_actions=True)
    assert isinstance(res, b.RegretResult)
    text = repr(res)
    assert "pseudo_regret=<(20, 100) float64>" in text and "actions=<(20, 100) int64>" in text
    assert len(text) < 400 and "[" not in text.replace("[0", "")  # no array dumped
    summary = res.summary()
    assert summary.splitlines()[0] == "SimulationResult"
    assert "runs x rounds" in summary and "20 x 100" in summary
    np.testing.assert_allclose(res.mean_regret(pseudo=False), res.regret.mean(axis=0))


def test_invalid_input_names_the_argument():
    env = b.BernoulliBandit([0.1, 0.2])
    with pytest.raises(ValueError, match="horizon"):
        b.simulate(env, b.UCB1(), 0)
    with pytest.raises(TypeError, match="horizon"):
        b.simulate(env, b.UCB1(), 2.5)
    with pytest.raises(ValueError, match="n_runs"):
        b.simulate(env, b.UCB1(), 10, 0)
    with pytest.raises(TypeError, match="policy"):
        b.simulate(env, object(), 10)
    with pytest.raises(TypeError, match="env"):
        b.simulate([0.1, 0.2], b.UCB1(), 10)
    with pytest.raises(ValueError, match="backend"):
        b.simulate(env, b.UCB1(), 10, backend="gpu")

    class Bad:
        def reset(self, n_arms, horizon):
            pass

        def select(self, t, rng):
            return 7

        def update(self, arm, reward, rng):
            pass

    with pytest.raises(ValueError, match="policy"):
        b.simulate(env, Bad(), 10)
    with pytest.raises(ValueError, match="m"):
        b.ExploreThenCommit(0)
    with pytest.raises(ValueError, match="epsilon"):
        b.EpsilonGreedy(1.5)
    with pytest.raises(ValueError, match="gamma"):
        b.EXP3(0.0)
    with pytest.raises(ValueError, match="kl"):
        b.KLUCB(kl="poisson")
    with pytest.raises(ValueError, match="sigma"):
        b.ThompsonGaussian(sigma=-1.0)


# --------------------------------------------------- regression: budgets and named refusals
def test_result_size_is_bounded_before_allocating():
    env = b.BernoulliBandit([0.2, 0.5])
    with pytest.raises(ValueError, match=r"^horizon\b"):  # a MemoryError (7.6 EiB) before
        b.simulate(env, b.UCB1(), 2**40, 10**6)
    with pytest.raises(ValueError, match=r"^n_runs\b"):
        b.simulate(env, b.UCB1(), 10**6, 10**3)
    with pytest.raises(TypeError, match=r"^horizon\b"):
        b.simulate(env, b.UCB1(), 100.0)
    with pytest.raises(TypeError, match=r"^return_actions\b"):
        b.simulate(env, b.UCB1(), 10, return_actions=1)


def test_schedule_constant_d_has_a_floor():
    # d = 1e-200 made d^2 underflow to 0: ZeroDivisionError inside the run
    with pytest.raises(ValueError, match=r"^d\b"):
        b.EpsilonGreedy(c=1.0, d=1e-200)
    with pytest.raises(ValueError, match=r"^d\b"):
        b.EpsilonGreedy(c=1.0)  # the schedule needs both
    res = b.simulate(b.BernoulliBandit([0.2, 0.5]), b.EpsilonGreedy(c=1.0, d=1e-150), 50, rng=0)
    assert np.all(np.isfinite(res.regret))


def test_policy_constructors_refuse_the_wrong_kind():
    with pytest.raises(TypeError, match=r"^m\b"):
        b.ExploreThenCommit(10.0)
    with pytest.raises(ValueError, match=r"^m\b"):
        b.ExploreThenCommit(2**63)  # used to be accepted
    with pytest.raises(TypeError, match=r"^gamma\b"):
        b.EXP3("0.1")
    with pytest.raises(TypeError, match=r"^kl\b"):
        b.KLUCB(kl=None)


def test_a_user_policy_returning_a_bad_arm_is_named():
    class Bad:
        def reset(self, n_arms, horizon):
            pass

        def select(self, t, rng):
            return 7

        def update(self, arm, reward, rng):
            pass

    with pytest.raises(ValueError, match=r"^policy\b"):
        b.simulate(b.BernoulliBandit([0.2, 0.5]), Bad(), 5)
