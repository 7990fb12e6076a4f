"""Trajectory weighting (Hong et al. 2023) against exact computations on small tabular MDPs.

Oracles: brute-force enumeration of every trajectory of a tiny finite-horizon MDP (its
probability under the trajectory-level behavior mixture, its return), exact policy
evaluation for the behavior return ``J(beta)``, and hand computations of the weights.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from offline import (
    behavior_cloning,
    collect_mixed_episodes,
    optimal_policy,
    policy_suboptimality,
    resample_trajectories,
    tilted_behavior_return,
    trajectory_weights,
    transition_weights,
    weighted_return,
)
from rlcore import Dataset, evaluate_policy, rollout
from rlcore.policies import as_stochastic

from ._helpers import small_mdp

H, S, A = 3, 3, 2


def _enumerate(mdp, policies, proportions, theta):
    """E[G e^{theta G}] / E[e^{theta G}] by listing every (s_0, a_0, ..., s_{H-1}, a_{H-1})."""
    num = den = 0.0
    for pol, p in zip(policies, proportions):
        pi = as_stochastic(np.asarray(pol), A)
        for path in itertools.product(range(S), range(A), repeat=H):
            states, actions = path[0::2], path[1::2]
            prob = p * mdp.initial[states[0]]
            G = 0.0
            for h in range(H):
                s, a = states[h], actions[h]
                pih = pi[h] if pi.ndim == 3 else pi
                prob *= pih[s, a]
                if h + 1 < H:
                    prob *= mdp.P[s, a, states[h + 1]]
                G += mdp.R[s, a]
            num += prob * G * np.exp(theta * G)
            den += prob * np.exp(theta * G)
    return num / den


def _policies(mdp):
    expert = optimal_policy(mdp)
    rng = np.random.default_rng(0)
    other = rng.dirichlet(np.ones(A), size=S)
    return [expert, other]


@pytest.mark.parametrize("temperature", [0.3, 1.0, 5.0])
def test_tilted_return_equals_enumeration(temperature):
    mdp = small_mdp(0, S=S, A=A, gamma=None, horizon=H)
    pols = _policies(mdp)
    exact = _enumerate(mdp, pols, [0.2, 0.8], 1 / temperature)
    assert tilted_behavior_return(mdp, pols, [0.2, 0.8], temperature) == pytest.approx(exact, rel=1e-12)


def test_tilted_return_raises_the_behavior_return_monotonically():
    mdp = small_mdp(1, S=S, A=A, gamma=None, horizon=H)
    pols = _policies(mdp)
    J = [evaluate_policy(mdp, p).expected_return(mdp.initial) for p in pols]
    j_beta = 0.2 * J[0] + 0.8 * J[1]
    vals = [tilted_behavior_return(mdp, pols, [0.2, 0.8], t) for t in (100.0, 3.0, 1.0, 0.3, 0.1)]
    assert vals[0] == pytest.approx(j_beta, abs=0.01)  # almost no tilt: the behavior return
    assert all(b >= a - 1e-12 for a, b in zip(vals, vals[1:]))  # non-decreasing in the tilt
    assert vals[-1] > j_beta + 0.05
    assert vals[-1] <= H * mdp.R.max() + 1e-12


def test_weighted_return_of_sampled_data_converges_to_the_exact_value():
    mdp = small_mdp(2, S=S, A=A, gamma=None, horizon=H)
    pols = _policies(mdp)
    temp = 0.5
    exact = tilted_behavior_return(mdp, pols, [0.2, 0.8], temp)
    data = collect_mixed_episodes(mdp, pols, [0.2, 0.8], 40_000, rng=0)
    w = trajectory_weights(data, temperature=temp, normalize=False)
    G = data.episode_returns()
    est = weighted_return(data, w)
    se = np.sqrt(np.sum(w**2 * (G - est) ** 2))  # delta-method standard error of the ratio estimator
    assert abs(est - exact) <= 4 * se
    assert est > G.mean()


def test_weights_by_hand():
    ds = Dataset(
        observations=np.array([0, 1, 0, 0]),
        actions=np.array([0, 0, 1, 1]),
        rewards=np.array([1.0, 1.0, 0.0, 3.0]),
        next_observations=np.array([1, 2, 1, 1]),
        terminated=np.zeros(4, bool),
        truncated=np.zeros(4, bool),
        episode_ids=np.array([0, 0, 1, 2]),
        timesteps=np.array([0, 1, 0, 0]),
    )
    G = np.array([2.0, 0.0, 3.0])
    w = trajectory_weights(ds, temperature=0.5)
    z = np.exp(((G - 0) / 3) / 0.5)
    np.testing.assert_allclose(w, z / z.sum())
    w_adv = trajectory_weights(ds, method="advantage", temperature=1.0, normalize=False)
    adv = G - np.array([5 / 3, 5 / 3, 5 / 3])  # all episodes start in state 0
    np.testing.assert_allclose(w_adv, np.exp(adv) / np.exp(adv).sum())
    np.testing.assert_allclose(transition_weights(ds, [1, 1, 1]), np.ones(4))
    np.testing.assert_allclose(transition_weights(ds, [2, 1, 1]), [1.5, 1.5, 0.75, 0.75])
    assert np.allclose(trajectory_weights(ds.select_episodes(np.array([0])), temperature=0.1), [1.0])


def test_weighting_in_front_of_behavior_cloning_on_a_mixed_dataset():
    """20% expert + 80% poor trajectories: BC copies the poor policy; after return weighting, the expert."""
    mdp = small_mdp(3, S=4, A=3, gamma=None, horizon=4)
    expert = optimal_policy(mdp)
    J = lambda p: evaluate_policy(mdp, p).expected_return(mdp.initial)  # noqa: E731
    poor = np.argmin(evaluate_policy(mdp, expert).Q, axis=-1)
    assert J(poor) < J(expert) - 0.5
    raw_loss, weighted_loss = [], []
    for seed in range(5):
        data = collect_mixed_episodes(mdp, [expert, poor], [0.2, 0.8], 500, rng=seed)
        w = trajectory_weights(data, temperature=0.1)
        assert weighted_return(data, w) > data.episode_returns().mean() + 0.3
        raw_loss.append(policy_suboptimality(mdp, behavior_cloning(data, 4, 3, horizon=4)))
        res = resample_trajectories(data, w, rng=seed)
        weighted_loss.append(policy_suboptimality(mdp, behavior_cloning(res, 4, 3, horizon=4)))
    assert np.mean(weighted_loss) < 0.25 * np.mean(raw_loss)


def test_resample_and_invalid_inputs():
    mdp = small_mdp(0, S=S, A=A, gamma=None, horizon=H)
    data = rollout(mdp, np.full((S, A), 0.5), 20, rng=0)
    a = resample_trajectories(data, np.ones(20), rng=3)
    assert a.n_episodes == 20 and a.equals(resample_trajectories(data, np.ones(20), rng=3))
    assert resample_trajectories(data, np.ones(20), n_episodes=5, rng=3).n_episodes == 5
    with pytest.raises(ValueError, match=r"^weights\b"):
        resample_trajectories(data, np.ones(3))
    with pytest.raises(ValueError, match=r"^weights\b"):
        weighted_return(data, -np.ones(20))
    with pytest.raises(ValueError, match=r"^temperature\b"):
        trajectory_weights(data, temperature=0.0)
    with pytest.raises(ValueError, match=r"^method\b"):
        trajectory_weights(data, method="rank")
    with pytest.raises(ValueError, match=r"^mdp\b.*finite-horizon"):
        tilted_behavior_return(small_mdp(0, S=S, A=A), [np.zeros(S, np.int64)], [1.0], 1.0)


@pytest.mark.parametrize(
    ("call", "exc", "param"),
    [
        (lambda d: weighted_return(d, np.zeros(20)), ValueError, "weights"),  # no positive weight
        (lambda d: weighted_return(d, np.full(20, np.nan)), ValueError, "weights"),
        (lambda d: transition_weights(d, "uniform"), TypeError, "weights"),
        (lambda d: weighted_return(d, np.ones(20), gamma=1.5), ValueError, "gamma"),
        (lambda d: resample_trajectories(d, np.ones(20), n_episodes=2**62), ValueError, "n_episodes"),  # hung
        (lambda d: resample_trajectories(d, np.ones(20), n_episodes=5.0), TypeError, "n_episodes"),
        (lambda d: trajectory_weights(d, normalize="yes"), TypeError, "normalize"),
        (lambda d: trajectory_weights(d, method="advantage", baseline=object()), TypeError, "baseline"),
        (lambda d: trajectory_weights(d, method="advantage", baseline=_NanRegressor()), ValueError, "baseline"),
        (lambda d: trajectory_weights(None), TypeError, "data"),
        (
            lambda d: tilted_behavior_return(
                small_mdp(0, S=S, A=A, gamma=None, horizon=H), [np.full(S, 7)], [1.0], 1.0
            ),
            ValueError,
            "policies",
        ),
        (
            lambda d: tilted_behavior_return(
                small_mdp(0, S=S, A=A, gamma=None, horizon=H), [np.zeros(S, np.int64)], [0.5], 1.0
            ),
            ValueError,
            "proportions",
        ),
    ],
)
def test_bad_arguments_are_refused_by_name(call, exc, param):
    data = rollout(small_mdp(0, S=S, A=A, gamma=None, horizon=H), np.full((S, A), 0.5), 20, rng=0)
    with pytest.raises(exc, match=rf"^{param}\b"):
        call(data)


class _NanRegressor:
    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.full(X.shape[0], np.nan)


def test_tiny_temperatures_select_the_best_episodes_without_nan():
    """temperature = 5e-324 gave NaN weights (inf - inf); now all the weight goes to the best returns."""
    mdp = small_mdp(0, S=S, A=A, gamma=None, horizon=H)
    data = rollout(mdp, np.full((S, A), 0.5), 20, rng=0)
    G = data.episode_returns()
    for normalize in (True, False):
        w = trajectory_weights(data, temperature=5e-324, normalize=normalize)
        assert np.all(np.isfinite(w)) and w.sum() == pytest.approx(1.0)
        assert w[G < G.max()].sum() == 0.0
    assert weighted_return(data, trajectory_weights(data, temperature=5e-324)) == pytest.approx(G.max())


def _support_max(mdp, policies):
    """The largest return of a trajectory with positive probability under any of the policies."""
    best = -np.inf
    for pol in policies:
        pi = as_stochastic(np.asarray(pol), A)
        for path in itertools.product(range(S), range(A), repeat=H):
            states, actions = path[0::2], path[1::2]
            prob = mdp.initial[states[0]]
            for h in range(H):
                prob *= (pi[h] if pi.ndim == 3 else pi)[states[h], actions[h]]
                if h + 1 < H:
                    prob *= mdp.P[states[h], actions[h], states[h + 1]]
            if prob > 0:
                best = max(best, sum(mdp.R[states[h], actions[h]] for h in range(H)))
    return best


def test_tilted_return_at_tiny_temperatures_is_the_largest_return():
    """exp(G / 1e-4) overflowed (a refusal naming temperature); the log-space recursion gives the limit,
    the largest return in the support of the behavior, for any positive temperature."""
    mdp = small_mdp(0, S=S, A=A, gamma=None, horizon=H)
    pols = _policies(mdp)
    moderate = _enumerate(mdp, pols, [0.2, 0.8], 1 / 0.05)
    top = _support_max(mdp, pols)
    for temperature in (1e-4, 1e-12, 5e-324):
        value = tilted_behavior_return(mdp, pols, [0.2, 0.8], temperature)
        assert moderate - 1e-12 <= value <= top + 1e-12
    assert tilted_behavior_return(mdp, pols, [0.2, 0.8], 5e-324) == pytest.approx(top, rel=1e-12)


def test_weights_near_the_float64_limit_are_normalised_without_overflow():
    """Weights of 1e308 summed to inf and gave a weighted return of 0; they are uniform weights."""
    mdp = small_mdp(0, S=S, A=A, gamma=None, horizon=H)
    data = rollout(mdp, np.full((S, A), 0.5), 10, rng=0)
    assert weighted_return(data, np.full(10, 1e308)) == pytest.approx(data.episode_returns().mean())
    np.testing.assert_allclose(transition_weights(data, np.full(10, 1e308)), 1.0)
