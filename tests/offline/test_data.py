"""Dataset tools of :mod:`offline.data` against brute-force counting and closed forms."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offline import (
    behavior_distribution,
    collect_mixed_episodes,
    concentrability,
    empirical_model,
    mixture_policy,
    optimal_policy,
    policy_suboptimality,
    sample_transitions,
)
from rlcore import Dataset, evaluate_policy, rollout
from rlcore.policies import uniform

from ._helpers import small_mdp


def test_mixture_policy_matches_hand_mixture():
    pi_star = np.array([1, 0, 1])
    unif = uniform(3, 2)
    mix = mixture_policy([pi_star, unif], [0.7, 0.3], 2)
    expected = 0.3 * 0.5 * np.ones((3, 2))
    expected[np.arange(3), pi_star] += 0.7
    np.testing.assert_allclose(mix, expected)
    with pytest.raises(ValueError, match="proportions"):
        mixture_policy([pi_star, unif], [0.7, 0.4], 2)
    with pytest.raises(ValueError, match="proportions"):
        mixture_policy([pi_star], [0.5, 0.5], 2)


def test_sample_transitions_frequencies_and_model():
    mdp = small_mdp(1, S=3, A=2)
    mu = np.array([[0.3, 0.0], [0.1, 0.2], [0.25, 0.15]])
    n = 40_000
    data = sample_transitions(mdp, mu, n, rng=3)
    assert len(data) == n and data.n_episodes == n and not data.truncated.any()
    model = empirical_model(data, 3, 2)
    freq = model.counts / n
    # each frequency within 4 standard deviations of mu (fixed seed, deterministic)
    assert np.all(np.abs(freq - mu) <= 4 * np.sqrt(mu * (1 - mu) / n) + 1e-12)
    assert model.counts[0, 1] == 0 and not model.P_hat[0, 1].any()  # unsupported pair: zero row, no NaN
    seen = model.counts > 0
    np.testing.assert_allclose(model.P_hat[seen].sum(-1), 1.0)
    np.testing.assert_allclose(model.R_hat[seen], mdp.R[seen])  # deterministic rewards
    err = np.abs(model.P_hat - mdp.P)[seen]
    assert err.max() < 0.03
    # same seed, same data
    assert data.equals(sample_transitions(mdp, mu, n, rng=3))


def _brute_force_counts(data: Dataset, S: int, A: int, H: int | None):
    lead = 1 if H is None else H
    N = np.zeros((lead, S, A), dtype=np.int64)
    Nsas = np.zeros((lead, S, A, S), dtype=np.int64)
    Rs = np.zeros((lead, S, A))
    for s, a, r, s2, t in zip(data.observations, data.actions, data.rewards, data.next_observations, data.timesteps):
        h = 0 if H is None else t
        N[h, s, a] += 1
        Nsas[h, s, a, s2] += 1
        Rs[h, s, a] += r
    if H is None:
        return N[0], Nsas[0], Rs[0]
    return N, Nsas, Rs


@settings(max_examples=15)
@given(seed=st.integers(0, 10_000), horizon=st.sampled_from([None, 3]), n=st.integers(1, 30))
def test_empirical_model_matches_brute_force_counting(seed, horizon, n):
    mdp = small_mdp(seed % 7, S=4, A=3, gamma=None if horizon else 0.9, horizon=horizon)
    behavior = uniform(4, 3)
    data = rollout(mdp, behavior, n, max_steps=None if horizon else 4, rng=seed)
    model = empirical_model(data, 4, 3, horizon=horizon)
    N, Nsas, Rs = _brute_force_counts(data, 4, 3, horizon)
    np.testing.assert_array_equal(model.counts, N)
    np.testing.assert_array_equal(model.transition_counts, Nsas)
    np.testing.assert_allclose(model.reward_sums, Rs)
    assert np.all(np.isfinite(model.P_hat)) and np.all(np.isfinite(model.R_hat))
    seen = N > 0
    np.testing.assert_allclose(model.P_hat[seen], Nsas[seen] / N[seen][:, None])
    assert not model.P_hat[~seen].any() and not model.R_hat[~seen].any()
    assert model.n_samples == len(data)


def test_collect_mixed_episodes_labels_follow_their_policy():
    mdp = small_mdp(2, S=4, A=2, gamma=None, horizon=5)
    expert = optimal_policy(mdp)
    other = np.zeros((5, 4), dtype=np.int64)
    data = collect_mixed_episodes(mdp, [expert, other], [0.3, 0.7], 400, rng=0)
    labels = np.asarray(data.metadata["policy_index"])
    assert labels.shape == (data.n_episodes,) == (400,)
    assert abs(labels.mean() - 0.7) < 4 * np.sqrt(0.21 / 400)
    ep = np.repeat(np.arange(data.n_episodes), data.episode_lengths())
    pols = np.stack([expert, other])
    np.testing.assert_array_equal(data.actions, pols[labels[ep], data.timesteps, data.observations])
    assert data.equals(collect_mixed_episodes(mdp, [expert, other], [0.3, 0.7], 400, rng=0))


def test_concentrability_closed_forms():
    mdp = small_mdp(3, S=4, A=3, gamma=0.8)
    pi = optimal_policy(mdp)
    d = behavior_distribution(mdp, pi)
    assert concentrability(mdp, d, pi) == pytest.approx(1.0)  # expert data
    mu_u = np.full((4, 3), 1 / 12)
    assert concentrability(mdp, mu_u, pi) == pytest.approx(12 * d.max())
    assert concentrability(mdp, mu_u, pi) <= 12.0 + 1e-12
    # brute force over pairs, clipped version of Li et al.
    mu = behavior_distribution(mdp, mixture_policy([pi, uniform(4, 3)], [0.5, 0.5], 3))
    ratios = [min(d[s, a], 1 / 4) / mu[s, a] for s in range(4) for a in range(3) if d[s, a] > 0]
    assert concentrability(mdp, mu, pi, clipped=True) == pytest.approx(max(ratios))
    # a pair the comparator needs is missing from the data: C* is infinite
    mu_bad = d.copy()
    s0 = int(np.argmax(d.sum(1)))
    mu_bad[s0] = 0.0
    mu_bad /= mu_bad.sum()
    assert concentrability(mdp, mu_bad, pi) == float("inf")


def test_concentrability_episodic_per_step():
    mdp = small_mdp(4, S=3, A=2, gamma=None, horizon=4)
    pi = optimal_policy(mdp)
    d = behavior_distribution(mdp, pi)
    assert d.shape == (4, 3, 2)
    np.testing.assert_allclose(d.sum(axis=(1, 2)), 1.0)
    mu = behavior_distribution(mdp, uniform(3, 2))
    expected = max(d[h, s, a] / mu[h, s, a] for h in range(4) for s in range(3) for a in range(2) if d[h, s, a] > 0)
    assert concentrability(mdp, mu, pi) == pytest.approx(expected)


def test_policy_suboptimality_is_exact():
    mdp = small_mdp(5, S=4, A=2, gamma=0.7)
    pi = optimal_policy(mdp)
    assert policy_suboptimality(mdp, pi) == 0.0
    worst = 1 - pi
    v = evaluate_policy(mdp, pi).V[0] - evaluate_policy(mdp, worst).V[0]
    assert policy_suboptimality(mdp, worst) == pytest.approx(v)


def test_invalid_inputs_are_named():
    mdp = small_mdp(0, S=3, A=2)
    with pytest.raises(ValueError, match=r"^mu\b"):
        sample_transitions(mdp, np.full((3, 2), 0.2), 10)
    with pytest.raises(ValueError, match="mu: expected shape"):
        sample_transitions(mdp, np.full((2, 2), 0.25), 10)
    with pytest.raises(TypeError, match=r"^mdp\b"):
        sample_transitions("mdp", np.full((3, 2), 1 / 6), 10)
    data = sample_transitions(mdp, np.full((3, 2), 1 / 6), 10, rng=0)
    with pytest.raises(ValueError, match=r"^data\b.*outside"):
        empirical_model(data, 2, 2)
    with pytest.raises(ValueError, match=r"^mu\b"):
        concentrability(mdp, np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match=r"^mdp\b.*(finite horizon|rollout)"):
        sample_transitions(small_mdp(0, S=3, A=2, gamma=None, horizon=2), np.full((3, 2), 1 / 6), 10)


def _tabular(**override) -> Dataset:
    cols = dict(
        observations=np.array([0, 1, 2]),
        actions=np.array([0, 1, 0]),
        rewards=np.array([0.0, 0.5, 1.0]),
        next_observations=np.array([1, 2, 0]),
        terminated=np.zeros(3, bool),
        truncated=np.zeros(3, bool),
        episode_ids=np.array([0, 0, 0]),
        timesteps=np.array([0, 1, 2]),
    )
    cols.update(override)
    return Dataset(**cols)


@pytest.mark.parametrize(
    ("data", "kwargs", "exc"),
    [
        (
            _tabular(
                **{
                    k: getattr(_tabular(), k)[:0]
                    for k in (
                        "observations",
                        "actions",
                        "rewards",
                        "next_observations",
                        "terminated",
                        "truncated",
                        "episode_ids",
                        "timesteps",
                    )
                }
            ),
            {},
            ValueError,
        ),  # empty
        (
            _tabular(observations=np.zeros((3, 2), np.int64), next_observations=np.zeros((3, 2), np.int64)),
            {},
            ValueError,
        ),  # wrong shape: not tabular states
        (
            _tabular(observations=np.array([0.0, 1.0, 2.0]), next_observations=np.array([1.0, 2.0, 0.0])),
            {},
            TypeError,
        ),  # float states
        (_tabular(actions=np.array([0, 2, 0])), {}, ValueError),  # action out of range
        (_tabular(actions=np.array([0, -1, 0])), {}, ValueError),
        (_tabular(actions=np.array([0.0, 1.0, 0.0])), {}, TypeError),
        (_tabular(observations=np.array([0, 3, 2])), {}, ValueError),  # state out of range
        (_tabular(next_observations=np.array([1, 2, 7])), {}, ValueError),
        (_tabular(), {"horizon": 2}, ValueError),  # timesteps reach the horizon
        (np.zeros((3, 4)), {}, TypeError),
        (None, {}, TypeError),
    ],
)
def test_empirical_model_refuses_bad_datasets_by_name(data, kwargs, exc):
    with pytest.raises(exc, match=r"^data\b"):
        empirical_model(data, 3, 2, **kwargs)


def test_datasets_cannot_hold_nan_rewards():
    """NaN rewards never reach a learner: the Dataset refuses them, naming the column."""
    with pytest.raises(ValueError, match=r"^rewards\b"):
        _tabular(rewards=np.array([0.0, np.nan, 1.0]))


@pytest.mark.parametrize(
    ("call", "exc", "param"),
    [
        (lambda: empirical_model(_tabular(), 10**5, 2), ValueError, "n_states"),  # H S A S > 1e8 entries
        (lambda: empirical_model(_tabular(), 3, 2, horizon=2.0), TypeError, "horizon"),
        (lambda: empirical_model(_tabular(), True, 2), TypeError, "n_states"),
        (lambda: sample_transitions(small_mdp(0, S=3, A=2), np.full((3, 2), 1 / 6), 2**63), ValueError, "n"),
        (
            lambda: sample_transitions(small_mdp(0, S=3, A=2), np.full((3, 2), 1 / 6), 5, bernoulli_rewards=1),
            TypeError,
            "bernoulli_rewards",
        ),
        (lambda: sample_transitions(small_mdp(0, S=3, A=2), np.full((3, 2), np.nan), 5), ValueError, "mu"),
        (
            lambda: collect_mixed_episodes(small_mdp(0, S=3, A=2), [np.zeros(3, np.int64)], [1.0], 5),
            ValueError,
            "max_steps",
        ),  # a discounted episode never ends
        (
            lambda: collect_mixed_episodes(
                small_mdp(0, S=3, A=2, gamma=None, horizon=3), [np.zeros(3, np.int64)], [1.0], 10**8
            ),
            ValueError,
            "n_episodes",
        ),  # 3e8 transitions
        (
            lambda: collect_mixed_episodes(
                small_mdp(0, S=3, A=2, gamma=None, horizon=3), [np.zeros(3, np.int64)], [0.5, 0.5], 5
            ),
            ValueError,
            "proportions",
        ),
        (
            lambda: collect_mixed_episodes(small_mdp(0, S=3, A=2, gamma=None, horizon=3), [np.full(3, 5)], [1.0], 5),
            ValueError,
            "policies",
        ),
        (lambda: mixture_policy([], [], 2), ValueError, "policies"),
        (lambda: mixture_policy([np.array([0, 2])], [1.0], 2), ValueError, "policies"),
        (lambda: mixture_policy([np.array([0, 1]), np.zeros((2, 2), np.int64)], [0.5, 0.5], 2), ValueError, "policies"),
        (lambda: mixture_policy(["ab"], [1.0], 2), TypeError, "policies"),
        (lambda: behavior_distribution(small_mdp(0, S=3, A=2), np.full((3, 2), 0.3)), ValueError, "behavior"),
        (
            lambda: policy_suboptimality(small_mdp(0, S=3, A=2), np.zeros(3, np.int64), [5.0, 5.0, 5.0]),
            ValueError,
            "initial",
        ),  # was silently accepted (a return from a non-distribution)
        (
            lambda: concentrability(small_mdp(0, S=3, A=2), np.full((3, 2), 1 / 6), np.array([0, 0, 9])),
            ValueError,
            "comparator",
        ),
        (lambda: concentrability(small_mdp(0, S=3, A=2), np.full((3, 2), 1 / 6), clipped="yes"), TypeError, "clipped"),
        (lambda: optimal_policy(None), TypeError, "mdp"),
    ],
)
def test_bad_arguments_are_refused_by_name(call, exc, param):
    with pytest.raises(exc, match=rf"^{param}\b"):
        call()


# ----------------------------------------------------------------------------- Minari layout
def test_minari_round_trip_and_layout():
    from offline import from_minari_episodes, to_minari_episodes

    mdp = small_mdp(0, S=4, A=2, gamma=0.9)
    data = rollout(mdp, uniform(4, 2), 7, max_steps=5, rng=0)
    eps = to_minari_episodes(data)
    assert len(eps) == 7
    for ep, sl in zip(eps, data.episode_slices()):
        T = sl.stop - sl.start
        assert ep["observations"].shape == (T + 1,) and ep["actions"].shape == (T,)
        assert ep["observations"][-1] == data.next_observations[sl.stop - 1]
        assert ep["truncations"][-1] and not ep["terminations"].any()
    assert from_minari_episodes(eps).equals(data)

    # objects with attributes (like minari.EpisodeData), no ids: renumbered 0..E-1
    class Ep:
        def __init__(self, d):
            for k in ("observations", "actions", "rewards", "terminations", "truncations"):
                setattr(self, k, d[k])

    again = from_minari_episodes([Ep(e) for e in eps])
    np.testing.assert_array_equal(again.observations, data.observations)
    # non-contiguous data cannot be stored once per observation
    iid = sample_transitions(mdp, np.full((4, 2), 1 / 8), 3, rng=0)
    assert len(to_minari_episodes(iid)) == 3  # one-step episodes are always contiguous
    broken = Dataset(
        observations=np.array([0, 1]),
        actions=np.array([0, 0]),
        rewards=np.zeros(2),
        next_observations=np.array([2, 3]),
        terminated=np.zeros(2, bool),
        truncated=np.zeros(2, bool),
        episode_ids=np.array([0, 0]),
        timesteps=np.array([0, 1]),
    )
    with pytest.raises(ValueError, match=r"^data\b.*contiguous"):
        to_minari_episodes(broken)
    with pytest.raises(ValueError, match=r"^episodes\[0\]: .*length"):
        from_minari_episodes([{**eps[0], "observations": eps[0]["observations"][:-1]}])
    assert from_minari_episodes(iter(eps)).equals(data)  # any iterable, e.g. Minari's iterate_episodes()


def _ep(**kw):
    base = {
        "observations": np.array([0, 1, 2]),
        "actions": np.array([0, 1]),
        "rewards": np.array([0.0, 1.0]),
        "terminations": np.array([False, True]),
        "truncations": np.array([False, False]),
    }
    base.update(kw)
    return base


@pytest.mark.parametrize(
    ("episodes", "exc", "prefix"),
    [
        ([], ValueError, "episodes"),
        ("episodes", TypeError, "episodes"),
        ([{k: v for k, v in _ep().items() if k != "rewards"}], TypeError, "episodes[0]"),
        ([_ep(rewards=np.array([np.nan, 1.0]))], ValueError, "episodes[0].rewards"),
        ([_ep(terminations=np.array([0.0, 0.7]))], TypeError, "episodes[0].terminations"),  # was cast to bool
        ([_ep(terminations=np.array([True, False]))], ValueError, "episodes[0].terminations"),
        ([_ep(terminations=np.array([False, True]), truncations=np.array([False, True]))], ValueError, "episodes[0]"),
        ([_ep(), _ep(observations=np.zeros((3, 2)))], ValueError, "episodes[1].observations"),
        ([_ep(id="a")], TypeError, "episodes[0].id"),
        ([_ep(observations=np.array(["a", "b", "c"]))], TypeError, "episodes[0].observations"),
    ],
)
def test_from_minari_refuses_bad_episodes_by_name(episodes, exc, prefix):
    from offline import from_minari_episodes

    with pytest.raises(exc, match="^" + re.escape(prefix) + r"[:.\[]"):
        from_minari_episodes(episodes)


def test_from_minari_stops_an_endless_generator(monkeypatch):
    """An endless iterable is refused once it exceeds the transition limit, instead of running for ever."""
    from offline import _constraints, from_minari_episodes

    def endless():
        while True:
            yield _ep()

    monkeypatch.setattr(_constraints, "MAX_TRANSITIONS", 100)
    with pytest.raises(ValueError, match=r"^episodes: more than 100 transitions"):
        from_minari_episodes(endless())
    with pytest.raises(TypeError, match=r"^metadata\b"):
        from_minari_episodes([_ep()], metadata={1: "a"})
