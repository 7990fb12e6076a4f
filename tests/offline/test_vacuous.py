"""Honest defaults: the reward range is inferred or given, and vacuous results warn.

A pessimistic result is *vacuous* when every value is clipped at the floor 0 (the
policy is then the tie-break's) or when its certificate exceeds the trivial bound
``V_max = r_max / (1 - gamma)`` (``H r_max``), which every policy meets. The library
warns with :class:`rlcore.VacuousResultWarning` in both cases.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from offline import (
    VacuousResultWarning,
    contextual_lcb,
    lcb_arm,
    lcb_bandit_bound,
    one_hot_features,
    pevi,
    pevi_certificate,
    vi_lcb_bound,
    optimal_policy,
    pessimism_certificate,
    pessimistic_value_iteration,
    plug_in_policy,
    policy_suboptimality,
    sample_transitions,
    vi_lcb,
    vi_lcb_bernstein,
)
from rlcore import Dataset, rollout
from rlcore.generators import river_swim
from rlcore.policies import uniform

from ._helpers import small_mdp

UNIFORM = np.full((6, 2), 1 / 12)


def _messages(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, VacuousResultWarning)]


def _dataset(rewards) -> Dataset:
    r = np.asarray(rewards, dtype=np.float64)
    n = r.size
    return Dataset(
        observations=np.zeros(n, np.int64),
        actions=np.arange(n) % 2,
        rewards=r,
        next_observations=np.zeros(n, np.int64),
        terminated=np.zeros(n, bool),
        truncated=np.zeros(n, bool),
        episode_ids=np.zeros(n, np.int64),
        timesteps=np.arange(n),
    )


# ----------------------------------------------------------------------------- the reported example
@pytest.fixture(scope="module")
def river_15k():
    mdp = river_swim(gamma=0.95)
    return mdp, sample_transitions(mdp, UNIFORM, 15_000, rng=0)


def test_riverswim_with_the_old_defaults_warns_twice(river_15k):
    """Issue 19: r_max = 1 while rewards are at most 0.3: V = 0 everywhere, certificate above V_max = 20."""
    mdp, data = river_15k
    assert data.rewards.max() == pytest.approx(0.3)
    with pytest.warns(VacuousResultWarning, match=r"clipped at the floor 0.*r_max = 1 is 3\.33 times"):
        res = vi_lcb(data, 6, 2, 0.95, r_max=1.0, rng=0)
    assert (res.V == 0).all() and res.v_max == pytest.approx(20.0) and not res.r_max_inferred
    with pytest.warns(VacuousResultWarning, match=r"exceeds the trivial bound 20"):
        cert = pessimism_certificate(mdp, res)
    assert cert > res.v_max


def test_riverswim_certificate_ratio_does_not_depend_on_the_range(river_15k):
    """The Hoeffding penalties scale with r_max as V_max does, so on 15,000 transitions the
    split certificate stays vacuous whatever the range: there the data, not the default, are short."""
    mdp, data = river_15k
    ratios = []
    for r_max in (1.0, None, 0.3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", VacuousResultWarning)
            res = vi_lcb(data, 6, 2, 0.95, r_max=r_max, rng=0)
            ratios.append(pessimism_certificate(mdp, res) / res.v_max)
    assert ratios[0] > 1.0
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)


@pytest.fixture(scope="module")
def river_100k():
    mdp = river_swim(gamma=0.9)
    return mdp, sample_transitions(mdp, UNIFORM, 100_000, rng=0)


def test_riverswim_inferred_range_is_informative_where_the_old_default_is_not(river_100k):
    """Enough data for a certificate below V_max: r_max = 1 still clips every value (and warns);
    the inferred range (0.3) gives positive values, a non-vacuous certificate, and no warning."""
    mdp, data = river_100k
    with pytest.warns(VacuousResultWarning, match="clipped at the floor 0"):
        old = pessimistic_value_iteration(data, 6, 2, gamma=0.9, r_max=1.0)
    assert (old.V == 0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", VacuousResultWarning)
        res = pessimistic_value_iteration(data, 6, 2, gamma=0.9)
        cert = pessimism_certificate(mdp, res)
    assert res.r_max_inferred and res.r_max == pytest.approx(0.3) and res.v_max == pytest.approx(3.0)
    assert res.V.max() > 0.0
    assert policy_suboptimality(mdp, res.policy) <= cert < res.v_max
    explicit = pessimistic_value_iteration(data, 6, 2, gamma=0.9, r_max=0.3)
    assert not explicit.r_max_inferred
    np.testing.assert_allclose(explicit.V, res.V, rtol=1e-12)
    assert optimal_policy(mdp)[-1] == res.policy[-1] == 1  # the one informative state acts on its value


# ----------------------------------------------------------------------------- range inference
def test_the_range_is_the_largest_observed_reward_and_recorded():
    data = _dataset([0.1, 0.25, 0.0, 0.2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VacuousResultWarning)
        for res in (
            vi_lcb(data, 1, 2, 0.5, rng=0),
            pessimistic_value_iteration(data, 1, 2, gamma=0.5, penalty="bernstein"),
            vi_lcb_bernstein(data, 1, 2, horizon=4, subsample=False),
        ):
            assert res.r_max == 0.25 and res.r_max_inferred
        given = vi_lcb(data, 1, 2, 0.5, r_max=2.0, rng=0)
    assert given.r_max == 2.0 and not given.r_max_inferred and given.v_max == pytest.approx(4.0)


def test_all_zero_rewards_fall_back_to_one_and_do_not_warn():
    """No positive reward: V = 0 is the exact answer, not a clipped one."""
    data = _dataset(np.zeros(6))
    with warnings.catch_warnings():
        warnings.simplefilter("error", VacuousResultWarning)
        res = pessimistic_value_iteration(data, 1, 2, gamma=0.5)
    assert res.r_max == 1.0 and res.r_max_inferred and (res.V == 0).all()


def test_an_explicit_range_below_the_rewards_is_still_refused():
    with pytest.raises(ValueError, match=r"^data\b.*r_max"):
        vi_lcb(_dataset([0.5, 0.9]), 1, 2, 0.5, r_max=0.6)


def test_an_inferred_range_beyond_the_limit_is_refused():
    with pytest.raises(ValueError, match=r"^data\b.*inferred r_max.*limit"):
        vi_lcb(_dataset([0.5, 1e200]), 1, 2, 0.5)
    with pytest.raises(ValueError, match=r"^rewards\b.*inferred r_max.*limit"):
        lcb_arm([0, 1], [0.5, 1e200], 2)


# ----------------------------------------------------------------------------- one test per warning condition
def test_all_values_clipped_warns_discounted():
    data = _dataset([0.5])
    with pytest.warns(VacuousResultWarning, match=r"pessimistic_vi\[hoeffding\].*tie-break"):
        pessimistic_value_iteration(data, 1, 2, gamma=0.9)


def test_all_values_clipped_warns_finite_horizon():
    mdp = small_mdp(1, S=5, A=2, gamma=None, horizon=3)
    data = rollout(mdp, uniform(5, 2), 20, rng=0)
    with pytest.warns(VacuousResultWarning, match=r"pessimistic_backward_induction\[bernstein"):
        vi_lcb_bernstein(data, 5, 2, horizon=3, rng=0)


def test_the_plug_in_never_warns():
    with warnings.catch_warnings():
        warnings.simplefilter("error", VacuousResultWarning)
        res = plug_in_policy(_dataset([0.5]), 1, 2, gamma=0.9)
        pessimistic_value_iteration(_dataset([0.0, 0.5]), 1, 2, gamma=0.9, penalty="none", max_iter=1)
    assert res.V[0] > 0


def test_certificate_above_v_max_warns_discounted():
    mdp = small_mdp(0, S=5, A=2, gamma=0.5)
    data = sample_transitions(mdp, np.full((5, 2), 0.1), 2000, rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VacuousResultWarning)
        res = vi_lcb(data, 5, 2, 0.5, n_iterations=3, rng=0)
    with pytest.warns(VacuousResultWarning, match=r"under the inferred r_max = .*exceeds the trivial bound"):
        cert = pessimism_certificate(mdp, res)
    assert cert > res.v_max


def test_certificate_above_h_r_max_warns_finite_horizon():
    mdp = small_mdp(1, S=5, A=2, gamma=None, horizon=3)
    data = rollout(mdp, uniform(5, 2), 20, rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VacuousResultWarning)
        res = vi_lcb_bernstein(data, 5, 2, horizon=3, r_max=1.0, rng=0)
    with pytest.warns(VacuousResultWarning, match=r"^pessimism_certificate: the bound .* trivial bound 3\b"):
        cert = pessimism_certificate(mdp, res)
    assert cert > 3.0 == res.v_max


def test_a_certificate_below_v_max_does_not_warn():
    mdp = small_mdp(0, S=5, A=2, gamma=0.5)
    data = sample_transitions(mdp, np.full((5, 2), 0.1), 80_000, rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", VacuousResultWarning)
        res = vi_lcb(data, 5, 2, 0.5, rng=0)
        assert pessimism_certificate(mdp, res) < res.v_max


def test_the_warning_is_a_user_warning_and_public():
    import offline
    import rlcore

    # one class for every package, public in rlcore (offline's name is the same object)
    assert issubclass(VacuousResultWarning, UserWarning) and "VacuousResultWarning" in rlcore.__all__
    assert offline.VacuousResultWarning is rlcore.VacuousResultWarning


# ----------------------------------------------------------------------------- the same rule elsewhere in offline
def test_bandit_lcb_infers_the_range_and_warns_when_every_index_is_clipped():
    arms = np.repeat([0, 1], 50)
    rewards = np.repeat([0.1, 0.05], 50)
    with pytest.warns(VacuousResultWarning, match=r"clipped at the floor 0.*r_max = 1 is 10 times"):
        old = lcb_arm(arms, rewards, 2, r_max=1.0)
    assert (old.index == 0).all() and not old.r_max_inferred
    with warnings.catch_warnings():
        warnings.simplefilter("error", VacuousResultWarning)
        res = lcb_arm(arms, rewards, 2)
        ctx = contextual_lcb(np.zeros(100, np.int64), arms, rewards, 1, 2)
    assert res.r_max == pytest.approx(0.1) and res.r_max_inferred and res.arm == 0 and res.index[0, 0] > 0
    np.testing.assert_array_equal(ctx.index, res.index)


def test_explicit_bounds_warn_when_they_return_the_trivial_value():
    with pytest.warns(VacuousResultWarning, match=r"^lcb_bandit_bound: .*returns the trivial r_max"):
        assert lcb_bandit_bound(10, 2.0, 5, 0.05) == 1.0
    with pytest.warns(VacuousResultWarning, match=r"^lcb_bandit_bound: the bound inf"):
        lcb_bandit_bound(10**6, float("inf"), 5, 0.05)
    with pytest.warns(VacuousResultWarning, match=r"^vi_lcb_bound: .*returns the trivial V_max"):
        assert vi_lcb_bound(1000, 2.0, 5, 2, 0.5, 0.05) == pytest.approx(2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", VacuousResultWarning)
        assert lcb_bandit_bound(10_000, 2.0, 5, 0.05) < 1.0
        assert vi_lcb_bound(10**6, 1.0, 5, 2, 0.5, 0.05) < 2.0


def test_pevi_certificate_above_h_warns():
    mdp = small_mdp(1, S=5, A=2, gamma=None, horizon=3)
    data = rollout(mdp, uniform(5, 2), 10, rng=0)
    res = pevi(data, one_hot_features(5, 2), 2, 3, beta=5.0)
    with pytest.warns(VacuousResultWarning, match=r"^pevi_certificate: the bound .* trivial bound 3\b"):
        assert pevi_certificate(mdp, res) > 3.0
    big = pevi(rollout(mdp, uniform(5, 2), 5000, rng=0), one_hot_features(5, 2), 2, 3, beta=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", VacuousResultWarning)
        assert pevi_certificate(mdp, big) < 3.0
