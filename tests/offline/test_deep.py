"""CQL and IQL (torch) on small tabular and continuous-observation offline datasets.

Oracle: exact policy evaluation of the learned greedy policy in the true MDP
(:func:`rlcore.evaluate_policy`), against the optimal return and the data's behavior
return. The mixed data (30% expert, 70% a deliberately poor policy) make behavior
cloning fail, so reaching a high fraction of the optimal return needs the reward signal.
"""

from __future__ import annotations


import numpy as np
import pytest

torch = pytest.importorskip("torch")

from offline import (
    behavior_cloning,
    collect_mixed_episodes,
    cql,
    iql,
    optimal_policy,
    transition_weights,
    trajectory_weights,
)
from rlcore import Dataset, evaluate_policy, rollout

from ._helpers import small_mdp

H, S, A = 5, 5, 3
FRACTION = 0.75  # of the optimal return, required of every seed


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: threads only add overhead on a shared 2-core runner
    yield
    torch.set_num_threads(before)


def _problem():
    mdp = small_mdp(3, S=S, A=A, gamma=None, horizon=H)
    pi = optimal_policy(mdp)
    poor = np.argmin(evaluate_policy(mdp, pi).Q, axis=-1)
    J = lambda p: evaluate_policy(mdp, p).expected_return(mdp.initial)  # noqa: E731
    return mdp, pi, poor, J


@pytest.mark.slow
@pytest.mark.parametrize("learner", [cql, iql], ids=["cql", "iql"])
def test_reaches_a_fraction_of_the_optimal_return_from_mixed_data(learner):
    mdp, pi, poor, J = _problem()
    j_star = J(pi)
    for seed in range(3):
        data = collect_mixed_episodes(mdp, [pi, poor], [0.3, 0.7], 300, rng=seed)
        res = learner(data, A, horizon=H, n_states=S, n_steps=500, batch_size=128, rng=seed)
        j = J(res.policy_table(S, H))
        assert j >= FRACTION * j_star, (seed, j, j_star)
        assert j > data.episode_returns().mean() + 0.5  # well above the behavior return
        assert j > J(behavior_cloning(data, S, A, horizon=H))  # and above imitation


@pytest.mark.slow
def test_continuous_observations_and_trajectory_weighting():
    """States seen through noisy continuous embeddings; CQL with the default (flattened) features."""
    mdp, pi, poor, J = _problem()
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(S, 4))
    data = collect_mixed_episodes(mdp, [pi, poor], [0.3, 0.7], 300, rng=1)
    noisy = lambda s: emb[s] + 0.05 * rng.normal(size=(s.shape[0], 4))  # noqa: E731
    cont = Dataset(
        observations=noisy(data.observations),
        actions=data.actions,
        rewards=data.rewards,
        next_observations=noisy(data.next_observations),
        terminated=data.terminated,
        truncated=data.truncated,
        episode_ids=data.episode_ids,
        timesteps=data.timesteps,
    )
    w = transition_weights(cont, trajectory_weights(cont, temperature=0.2))
    res = cql(cont, A, horizon=H, n_steps=500, batch_size=128, sample_weights=w, rng=0)
    pol = np.stack([res.act(emb, t, rng) for t in range(H)])
    assert J(pol) >= FRACTION * J(pi)


def test_same_seed_same_result_and_runs_in_rollout():
    mdp, pi, poor, J = _problem()
    data = rollout(mdp, pi, 20, rng=0)
    a = iql(data, A, horizon=H, n_states=S, n_steps=15, batch_size=16, rng=4)
    b = iql(data, A, horizon=H, n_states=S, n_steps=15, batch_size=16, rng=4)
    np.testing.assert_array_equal(a.losses, b.losses)
    c1 = cql(data, A, horizon=H, n_states=S, n_steps=15, batch_size=16, rng=4)
    c2 = cql(data, A, horizon=H, n_states=S, n_steps=15, batch_size=16, rng=4)
    np.testing.assert_array_equal(c1.losses, c2.losses)
    assert len(rollout(mdp, c1.act, 3, rng=0)) == 3 * H
    assert c1.Q(np.arange(S), 0).shape == (S, A)


def test_networks_come_from_rng_and_leave_torchs_global_state_alone():
    """The networks are rlcore.deep.build_mlp's, drawn from the numpy rng: seeding a learner does
    not reseed (or advance) the user's torch generator, and the result prints concisely."""
    mdp, pi, poor, J = _problem()
    data = rollout(mdp, pi, 5, rng=0)
    for learner in (cql, iql):
        torch.manual_seed(123)
        expected = torch.rand(4)
        torch.manual_seed(123)
        res = learner(data, A, horizon=H, n_states=S, n_steps=3, batch_size=4, hidden_sizes=(4,), rng=1)
        assert torch.equal(torch.rand(4), expected)
        assert res.n_steps == 3 and res.losses.shape == (3,)
        assert repr(res).startswith("DeepOfflineResult(Q=<function") and "array" not in repr(res)


def test_discounted_and_invalid_inputs():
    mdp = small_mdp(0, S=S, A=A, gamma=0.9)
    data = rollout(mdp, np.full((S, A), 1 / A), 10, max_steps=5, rng=0)
    assert cql(data, A, gamma=0.9, n_states=S, n_steps=5, batch_size=8, rng=0).policy_table(S).shape == (S,)
    with pytest.raises(ValueError, match=r"^gamma\b.*exactly one"):
        cql(data, A, n_states=S)
    with pytest.raises(ValueError, match=r"^n_states\b"):
        cql(data, A, gamma=0.9)
    with pytest.raises(ValueError, match=r"^data\b.*actions"):
        iql(data, 1, gamma=0.9, n_states=S)
    with pytest.raises(ValueError, match=r"^expectile\b"):
        iql(data, A, gamma=0.9, n_states=S, expectile=1.0)
    with pytest.raises(ValueError, match=r"^sample_weights\b"):
        cql(data, A, gamma=0.9, n_states=S, sample_weights=np.ones(3))


def _tiny(**kw):
    mdp = small_mdp(0, S=S, A=A, gamma=0.9)
    data = rollout(mdp, np.full((S, A), 1 / A), 4, max_steps=3, rng=0)
    return {
        "data": data,
        "n_actions": A,
        "gamma": 0.9,
        "n_states": S,
        "n_steps": 2,
        "batch_size": 4,
        "hidden_sizes": (4,),
        "rng": 0,
        **kw,
    }


@pytest.mark.parametrize("learner", [cql, iql], ids=["cql", "iql"])
@pytest.mark.parametrize(
    ("kw", "exc", "param"),
    [
        ({"n_steps": 10**8}, ValueError, "n_steps"),  # allocated the minibatch indices of every step up front
        ({"n_steps": 2.0}, TypeError, "n_steps"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
        ({"hidden_sizes": (4, 0)}, ValueError, "hidden_sizes"),
        ({"hidden_sizes": (2**16,) * 3}, ValueError, "hidden_sizes"),  # 8.6e9 weights
        ({"hidden_sizes": "64"}, TypeError, "hidden_sizes"),
        ({"target_update_rate": 0.0}, ValueError, "target_update_rate"),
        ({"sample_weights": -np.ones(12)}, ValueError, "sample_weights"),
        ({"sample_weights": np.zeros(12)}, ValueError, "sample_weights"),
        ({"features": "onehot"}, TypeError, "features"),
        ({"features": lambda o, t: np.full((o.shape[0], 3), np.inf)}, ValueError, "features"),
        ({"features": lambda o, t: np.ones(3)}, ValueError, "features"),
        ({"features": lambda o, t: np.zeros((o.shape[0], 20_000))}, ValueError, "features"),  # wider than build_mlp's
        ({"n_actions": 2**15}, ValueError, "n_actions"),  # the output layer too
        ({"n_states": S - 1}, ValueError, "data"),  # states beyond the one-hot features: was an IndexError
        ({"device": "no-such-device"}, ValueError, "device"),
        ({"device": "cuda:1000"}, ValueError, "device"),  # parsed, but torch cannot allocate there
        ({"device": 0.5}, TypeError, "device"),
        ({"rng": -1}, ValueError, "rng"),
        ({"data": "data"}, TypeError, "data"),
    ],
)
def test_bad_arguments_are_refused_by_name(learner, kw, exc, param):
    with pytest.raises(exc, match=rf"^{param}\b"):
        learner(**_tiny(**kw))


def test_overflowing_losses_are_refused_not_returned_as_nan():
    """Features of 1e25 overflow the float32 loss at once (inf/NaN losses before); rewards beyond 1e15 too."""
    mdp = small_mdp(0, S=S, A=A, gamma=0.9)
    data = rollout(mdp, np.full((S, A), 1 / A), 4, max_steps=3, rng=0)
    with pytest.raises(ValueError, match=r"^features\b.*float32"):
        cql(**_tiny(features=lambda o, t: 1e25 * np.eye(S)[o], n_states=None))
    with pytest.raises(ValueError, match=r"^features\b.*float32"):
        iql(**_tiny(features=lambda o, t: 1e25 * np.eye(S)[o], n_states=None))
    huge = Dataset(
        observations=data.observations,
        actions=data.actions,
        rewards=np.full(len(data), 1e300),
        next_observations=data.next_observations,
        terminated=data.terminated,
        truncated=data.truncated,
        episode_ids=data.episode_ids,
        timesteps=data.timesteps,
    )
    with pytest.raises(ValueError, match=r"^data\b.*float32"):
        cql(**_tiny(data=huge))
