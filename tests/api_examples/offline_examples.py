"""Valid example calls of ``offline``'s public callables (see ``tests/api_examples``)."""

from __future__ import annotations

import itertools
import tempfile

import numpy as np

from rlcore import Dataset, rollout
from rlcore.generators import chain
from tests.api_examples import Example

S, A, H = 3, 2, 3


def _mdp():
    return chain(S, small_reward=0.2, large_reward=1.0, gamma=0.5)


def _fh():
    return chain(S, small_reward=0.2, large_reward=1.0, horizon=H)


def _iid(n=40):
    """i.i.d. transitions of the discounted chain, every pair covered, rewards in [0, 1]."""
    s = np.repeat(np.arange(S), A * (n // (S * A)))
    a = np.tile(np.repeat(np.arange(A), n // (S * A)), S)
    m = s.size
    mdp = _mdp()
    nxt, rew, term = mdp.step(s, a, np.random.default_rng(0))
    return Dataset(
        observations=s,
        actions=a,
        rewards=rew,
        next_observations=nxt,
        terminated=term,
        truncated=np.zeros(m, bool),
        episode_ids=np.arange(m),
        timesteps=np.zeros(m, np.int64),
    )


def _episodes(n=12):
    return rollout(_fh(), np.full((S, A), 0.5), n, rng=0)


def _policies():
    return [np.array([1, 1, 0]), np.full((S, A), 0.5)]


def _pessimistic_result():
    from offline import vi_lcb

    return vi_lcb(_iid(), S, A, 0.5, rng=0)


def _pevi_result():
    from offline import one_hot_features, pevi

    return pevi(_episodes(), one_hot_features(S, A), A, H, beta=0.5)


def _minari():
    from offline import to_minari_episodes

    return to_minari_episodes(_episodes(3))


#: Minari datasets written by the walk live here (removed at interpreter exit); each call
#: gets a fresh id, since Minari never overwrites a dataset.
_MINARI_ROOT = tempfile.TemporaryDirectory(prefix="rlref-api-minari-")
_MINARI_IDS = itertools.count()


def _minari_write():
    return {
        "data": _episodes(3),
        "dataset_id": f"rlref/walk/w{next(_MINARI_IDS)}-v0",
        "root": _MINARI_ROOT.name,
    }


def _minari_read():
    from offline import to_minari_dataset

    dataset_id = f"rlref/walk/r{next(_MINARI_IDS)}-v0"
    to_minari_dataset(_episodes(3), dataset_id, root=_MINARI_ROOT.name)
    return {"dataset": dataset_id, "root": _MINARI_ROOT.name}


_DEEP = "a few gradient steps of tiny networks; each call costs tens of milliseconds"

EXAMPLES: dict[str, Example] = {
    # data
    "mixture_policy": Example(lambda: {"policies": _policies(), "proportions": [0.25, 0.75], "n_actions": A}),
    "sample_transitions": Example(lambda: {"mdp": _mdp(), "mu": np.full((S, A), 1 / (S * A)), "n": 20, "rng": 0}),
    "collect_mixed_episodes": Example(
        lambda: {"mdp": _fh(), "policies": _policies(), "proportions": [0.5, 0.5], "n_episodes": 4, "rng": 0}
    ),
    "behavior_distribution": Example(lambda: {"mdp": _mdp(), "behavior": np.full((S, A), 0.5)}),
    "optimal_policy": Example(lambda: {"mdp": _mdp()}),
    "policy_suboptimality": Example(lambda: {"mdp": _mdp(), "policy": np.array([0, 0, 0])}),
    "concentrability": Example(
        lambda: {"mdp": _mdp(), "mu": np.full((S, A), 1 / (S * A))},
        nonfinite={"*": "inf: the data distribution misses a pair the comparator visits"},
    ),
    "empirical_model": Example(lambda: {"data": _iid(), "n_states": S, "n_actions": A}),
    # pessimism
    "pessimistic_value_iteration": Example(lambda: {"data": _iid(), "n_states": S, "n_actions": A, "gamma": 0.5}),
    "vi_lcb": Example(lambda: {"data": _iid(), "n_states": S, "n_actions": A, "gamma": 0.5, "rng": 0}),
    "vi_lcb_bernstein": Example(lambda: {"data": _episodes(), "n_states": S, "n_actions": A, "horizon": H, "rng": 0}),
    "pessimism_certificate": Example(lambda: {"result": _pessimistic_result(), "mdp": _mdp()}),
    # bandits
    "lcb_arm": Example(
        lambda: {"actions": np.array([0, 0, 1, 2]), "rewards": np.array([0.5, 1.0, 0.2, 0.0]), "n_arms": 3}
    ),
    "contextual_lcb": Example(
        lambda: {
            "contexts": np.array([0, 0, 1, 1]),
            "actions": np.array([0, 1, 1, 1]),
            "rewards": np.array([1.0, 0.0, 0.5, 0.5]),
            "n_contexts": 2,
            "n_arms": 2,
        }
    ),
    "empirical_best_arm": Example(
        lambda: {"actions": np.array([0, 0, 1, 2]), "rewards": np.array([0.5, 1.0, 0.2, 0.0]), "n_arms": 3},
        nonfinite={"index": "-inf marks the arms never played"},
    ),
    "contextual_empirical_best": Example(
        lambda: {
            "contexts": np.array([0, 0, 1, 1]),
            "actions": np.array([0, 1, 1, 1]),
            "rewards": np.array([1.0, 0.0, 0.5, 0.5]),
            "n_contexts": 2,
            "n_arms": 2,
        },
        nonfinite={"index": "-inf marks the arms never played"},
    ),
    # baselines
    "behavior_cloning": Example(lambda: {"data": _episodes(), "n_states": S, "n_actions": A, "horizon": H}),
    "plug_in_policy": Example(lambda: {"data": _iid(), "n_states": S, "n_actions": A, "gamma": 0.5}),
    # bounds
    "lcb_bandit_bound": Example(lambda: {"n": 1000, "c_star": 2.0, "n_arms": 3, "delta": 0.05}),
    "vi_lcb_bound": Example(
        lambda: {"n": 10**5, "c_star": 2.0, "n_states": 5, "n_actions": 2, "gamma": 0.5, "delta": 0.05}
    ),
    "li_bound": Example(lambda: {"n": 10**5, "c_star_clipped": 1.0, "n_states": 5, "delta": 0.05, "gamma": 0.9}),
    # linear MDPs
    "one_hot_features": Example(lambda: {"n_states": S, "n_actions": A}),
    "pevi_beta": Example(lambda: {"dim": 6, "horizon": H, "n_episodes": 100, "xi": 0.1}),
    "pevi": Example(lambda: {"data": _episodes(), "features": _one_hot(), "n_actions": A, "horizon": H, "beta": 0.5}),
    "pevi_certificate": Example(lambda: {"result": _pevi_result(), "mdp": _fh()}),
    # trajectory weighting
    "trajectory_weights": Example(lambda: {"data": _episodes(), "temperature": 0.2}),
    "weighted_return": Example(lambda: {"data": _episodes(), "weights": np.ones(12)}),
    "transition_weights": Example(lambda: {"data": _episodes(), "weights": np.ones(12)}),
    "resample_trajectories": Example(lambda: {"data": _episodes(), "weights": np.ones(12), "rng": 0}),
    "tilted_behavior_return": Example(
        lambda: {"mdp": _fh(), "policies": _policies(), "proportions": [0.5, 0.5], "temperature": 0.5}
    ),
    # Minari layout
    "to_minari_episodes": Example(lambda: {"data": _episodes(3)}),
    "from_minari_episodes": Example(lambda: {"episodes": _minari()}),
    "to_minari_dataset": Example(_minari_write),
    "from_minari_dataset": Example(_minari_read),
    # deep (torch)
    "cql": Example(
        lambda: {
            "data": _episodes(4),
            "n_actions": A,
            "horizon": H,
            "n_states": S,
            "n_steps": 3,
            "batch_size": 4,
            "hidden_sizes": (4,),
            "rng": 0,
        }
    ),
    "iql": Example(
        lambda: {
            "data": _episodes(4),
            "n_actions": A,
            "horizon": H,
            "n_states": S,
            "n_steps": 3,
            "batch_size": 4,
            "hidden_sizes": (4,),
            "rng": 0,
        }
    ),
}


def _one_hot():
    from offline import one_hot_features

    return one_hot_features(S, A)


_RESULT = "result type: built by the library and returned, not called with user input"

EXEMPT: dict[str, str] = {
    "BanditLCBResult": _RESULT,
    "DeepOfflineResult": _RESULT,
    "EmpiricalModel": _RESULT,
    "PEVIResult": _RESULT,
    "PessimisticResult": _RESULT,
    "FeatureMap": "type alias: Callable[[ndarray, ndarray], ndarray], the signature of a feature map",
}
