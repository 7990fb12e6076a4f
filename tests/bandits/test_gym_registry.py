"""The bandit environments registered with Gymnasium (:mod:`bandits.gym_registry`).

Independent sources: Gymnasium's own ``check_env`` for the API contract; each model
driven directly (its ``reset``/``step`` with a generator seeded like Gymnasium's
``reset(seed=...)``) for the rewards and transitions; closed forms for the mean rewards
(the arm means, the cascade click probability ``1 - prod(1 - w)`` computed here).
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env

import bandits
from bandits.gym_registry import ENV_IDS
from rlcore import SimulatorEnv, SimulatorVectorEnv
from rlcore.validation import InvalidParameterError, InvalidParameterTypeError

#: id -> (model class, Gymnasium time limit, ends by itself after this many steps (None: never))
EXPECTED = {
    "rlref/BernoulliBandit-v0": (bandits.BernoulliBandit, None, 1000),
    "rlref/GaussianBandit-v0": (bandits.GaussianBandit, None, 1000),
    "rlref/BetaBandit-v0": (bandits.BetaBandit, None, 1000),
    "rlref/PiecewiseStationaryBandit-v0": (bandits.PiecewiseStationaryBandit, None, 1000),
    "rlref/AdversarialBandit-v0": (bandits.AdversarialBandit, None, 1000),
    "rlref/LinearBandit-v0": (bandits.LinearBandit, None, 1000),
    "rlref/CascadeBandit-v0": (bandits.CascadeBandit, None, 1000),
    "rlref/CascadingMDP-v0": (bandits.CascadingMDP, None, 10),
    "rlref/RestlessBandit-v0": (bandits.RestlessProblem, 200, None),
    "rlref/CoupledRestlessBandit-v0": (bandits.CoupledRestlessProblem, 200, None),
}


def _env_seeded_generator(seed: int) -> np.random.Generator:
    """The generator Gymnasium's ``reset(seed=seed)`` gives ``np_random``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))


# ---------------------------------------------------------------------- registration
def test_every_id_is_registered_lazily_on_import() -> None:
    assert sorted(ENV_IDS) == sorted(EXPECTED)
    for env_id in ENV_IDS:
        spec = gymnasium.spec(env_id)
        # "module:function" paths and plain keyword defaults: nothing was built at import
        assert spec.entry_point == f"bandits.gym_registry:{spec.entry_point.split(':')[1]}"
        assert isinstance(spec.vector_entry_point, str)
        assert spec.max_episode_steps == EXPECTED[env_id][1]
        assert all(isinstance(v, (int, float, str, list)) for v in spec.kwargs.values())


def test_registration_is_idempotent_and_silent() -> None:
    from bandits import gym_registry
    from rlcore.gym_registry import register_envs

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert register_envs(gym_registry.__name__, gym_registry._SPECS) == ENV_IDS


def test_module_prefix_imports_bandits_in_a_fresh_interpreter() -> None:
    code = (
        "import sys, gymnasium; assert 'bandits' not in sys.modules; "
        "env = gymnasium.make('bandits:rlref/BernoulliBandit-v0', horizon=3); "
        "assert 'torch' not in sys.modules; print(env.unwrapped.spec.id, env.observation_space)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip() == "rlref/BernoulliBandit-v0 Discrete(4)"


# ---------------------------------------------------------------------- each id
@pytest.mark.parametrize("env_id", sorted(EXPECTED))
def test_make_passes_check_env_and_reads_well(env_id: str) -> None:
    model_cls, limit, ends_after = EXPECTED[env_id]
    env = gymnasium.make(env_id)
    base = env.unwrapped
    assert isinstance(base, SimulatorEnv) and isinstance(base.sim.model, model_cls)
    assert env.spec.id == env_id and base.spec.id == env_id and env.spec.max_episode_steps == limit
    text = repr(base)
    assert text.startswith(f"SimulatorEnv({model_cls.__name__}(") and text.endswith(f"id={env_id!r})")
    assert "object at" not in text and str(base) == f"<{text}>"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(base)
    assert [str(w.message) for w in caught] == []
    # an episode through Gymnasium's wrappers ends where the table says
    env.reset(seed=0)
    env.action_space.seed(0)
    for step in range(1, 1001):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert obs in base.observation_space and np.isfinite(reward) and info["t"] == step
        if terminated or truncated:
            break
    assert (step, terminated, truncated) == ((ends_after, True, False) if limit is None else (limit, False, True))


@pytest.mark.parametrize("env_id", sorted(EXPECTED))
def test_make_vec_batches_in_one_env(env_id: str) -> None:
    venv = gymnasium.make_vec(env_id, num_envs=5)
    single = gymnasium.make(env_id).unwrapped
    assert isinstance(venv, SimulatorVectorEnv) and venv.num_envs == 5
    assert venv.spec.id == env_id and repr(venv).endswith(f"num_envs=5{_limit(env_id)}, id={env_id!r})")
    assert venv.single_observation_space == single.observation_space
    assert venv.single_action_space == single.action_space
    obs, _ = venv.reset(seed=0)
    venv.action_space.seed(0)
    obs, rewards, terminated, truncated, info = venv.step(venv.action_space.sample())
    assert obs.shape[0] == rewards.shape[0] == 5 and obs in venv.observation_space
    assert info["t"].tolist() == [1] * 5


def _limit(env_id: str) -> str:
    limit = EXPECTED[env_id][1]
    return "" if limit is None else f", max_episode_steps={limit}"


# ---------------------------------------------------------------------- agreement with the models
@pytest.mark.parametrize("env_id", sorted(EXPECTED))
def test_trajectories_are_the_models_own_under_the_same_seed(env_id: str) -> None:
    """The env's rewards and observations equal the model's ``step`` driven directly."""
    env = gymnasium.make(env_id).unwrapped
    model, table = env.sim.model, env.sim.actions
    rng = np.random.default_rng(123)
    actions = rng.integers(env.action_space.n, size=8)
    obs, _ = env.reset(seed=7)
    gen = _env_seeded_generator(7)
    state = model.reset(1, gen)
    np.testing.assert_array_equal(np.asarray(obs), state[0])
    for t, a in enumerate(actions):
        obs, reward, terminated, _, _ = env.step(int(a))
        model_action = np.array([a if table is None else table[a]])
        state, rewards, _ = model.step(state, model_action, gen, t=t)
        np.testing.assert_array_equal(np.asarray(obs), state[0])
        assert reward == rewards[0]


def test_bandit_mean_rewards_match_the_arm_means() -> None:
    """Pulling each arm in 4000 parallel runs: the mean reward is the arm's mean (4 standard errors)."""
    n = 4000
    for env_id, means, sds in [
        ("rlref/BernoulliBandit-v0", [0.3, 0.5, 0.7], None),
        ("rlref/GaussianBandit-v0", [0.0, 0.5, 1.0], [1.0, 1.0, 1.0]),
        ("rlref/BetaBandit-v0", [0.25, 0.5, 0.75], None),
        ("rlref/LinearBandit-v0", [0.6, 0.8, 0.36 + 0.64, -0.6], [0.5] * 4),
    ]:
        venv = gymnasium.make_vec(env_id, num_envs=n)
        venv.reset(seed=1)
        for arm, mu in enumerate(means):
            _, r, _, _, _ = venv.step(np.full(n, arm))
            sd = np.sqrt(mu * (1 - mu)) if sds is None else sds[arm]
            assert abs(r.mean() - mu) <= 4 * max(sd, 0.05) / np.sqrt(n), (env_id, arm, r.mean(), mu)


def test_piecewise_means_switch_at_the_change_point_round() -> None:
    venv = gymnasium.make_vec("rlref/PiecewiseStationaryBandit-v0", num_envs=4000, change_points=[2], horizon=4)
    venv.reset(seed=3)
    got = [venv.step(np.zeros(4000, dtype=np.int64))[1].mean() for _ in range(4)]
    assert np.allclose(got, [0.8, 0.8, 0.2, 0.2], atol=4 * 0.4 / np.sqrt(4000))


def test_cascade_click_rate_is_one_minus_the_product_of_non_attractions() -> None:
    w = np.array([0.5, 0.4, 0.3, 0.2, 0.1])
    venv = gymnasium.make_vec("rlref/CascadeBandit-v0", num_envs=4000)
    lists = venv.sim.actions
    venv.reset(seed=2)
    for index in (0, 7, 19):
        _, clicks, _, _, _ = venv.step(np.full(4000, index))
        p = 1.0 - np.prod(1.0 - w[lists[index]])
        assert abs(clicks.mean() - p) <= 4 * np.sqrt(p * (1 - p) / 4000)


def test_indexed_actions_are_the_feasible_combinations() -> None:
    lists = gymnasium.make("rlref/CascadeBandit-v0").unwrapped.sim.actions
    assert lists.shape == (20, 2) and len({tuple(x) for x in lists.tolist()}) == 20
    assert all(a != b for a, b in lists.tolist())
    mdp_lists = gymnasium.make("rlref/CascadingMDP-v0").unwrapped.sim.actions
    assert mdp_lists.shape == (1 + 4 + 12, 2)  # the empty list, 4 singletons, 4 * 3 pairs
    restless = gymnasium.make("rlref/RestlessBandit-v0").unwrapped.sim.actions
    # budget 1 with costs [0, 1]: no arm or one arm active
    assert sorted(map(tuple, restless.tolist())) == sorted(
        {(0, 0, 0, 0)} | {tuple(np.eye(4, dtype=int)[i]) for i in range(4)}
    )
    coupled = gymnasium.make("rlref/CoupledRestlessBandit-v0").unwrapped.sim.actions
    assert sorted(map(tuple, coupled.tolist())) == [(0, 0, 0), (0, 0, 1), (0, 1, 0), (1, 0, 0)]


def test_random_instances_are_drawn_with_rng_0() -> None:
    a = gymnasium.make("rlref/AdversarialBandit-v0").unwrapped.sim.model
    np.testing.assert_array_equal(a.rewards, np.random.default_rng(0).random((1000, 3)))
    b = gymnasium.make("rlref/AdversarialBandit-v0").unwrapped.sim.model
    np.testing.assert_array_equal(a.rewards, b.rewards)
    for env_id, attr in [
        ("rlref/CascadingMDP-v0", "transitions"),
        ("rlref/RestlessBandit-v0", "P"),
        ("rlref/CoupledRestlessBandit-v0", "effects"),
    ]:
        x = getattr(gymnasium.make(env_id).unwrapped.sim.model, attr)
        y = getattr(gymnasium.make(env_id).unwrapped.sim.model, attr)
        z = getattr(gymnasium.make(env_id, rng=1).unwrapped.sim.model, attr)
        np.testing.assert_array_equal(x, y)
        assert not np.array_equal(x, z)


# ---------------------------------------------------------------------- keywords
def test_keywords_override_the_defaults() -> None:
    env = gymnasium.make("rlref/BernoulliBandit-v0", means=[0.0, 1.0], horizon=3)
    assert env.observation_space == spaces.Discrete(4) and env.action_space == spaces.Discrete(2)
    assert env.unwrapped.sim.model.means.tolist() == [0.0, 1.0]
    env.reset(seed=0)
    assert [env.step(1)[1:3] for _ in range(3)] == [(1.0, False), (1.0, False), (1.0, True)]
    table = [[1.0, 0.0], [0.0, 1.0]]
    adv = gymnasium.make("rlref/AdversarialBandit-v0", rewards=table, horizon=2).unwrapped
    adv.reset(seed=0)
    assert [adv.step(0)[1] for _ in range(2)] == [1.0, 0.0]
    mdp = gymnasium.make("rlref/CascadingMDP-v0", n_states=2, n_items=3, list_length=1, horizon=4).unwrapped
    assert mdp.sim.model.horizon == 4 and mdp.observation_space == spaces.Discrete(2)
    assert mdp.action_space == spaces.Discrete(4)
    restless = gymnasium.make("rlref/RestlessBandit-v0", n_arms=2, budget=2.0, gamma=0.5).unwrapped
    assert restless.sim.model.gamma == 0.5 and restless.action_space == spaces.Discrete(4)
    assert gymnasium.make("rlref/CascadeBandit-v0", list_length=3).action_space == spaces.Discrete(60)
    short = gymnasium.make("rlref/RestlessBandit-v0", max_episode_steps=2)
    short.reset(seed=0)
    assert [short.step(0)[3] for _ in range(2)] == [False, True]


@pytest.mark.parametrize(
    ("env_id", "kwargs", "error", "name"),
    [
        ("rlref/BernoulliBandit-v0", {"means": [0.5, 1.5]}, InvalidParameterError, "means"),
        ("rlref/BernoulliBandit-v0", {"horizon": 0}, InvalidParameterError, "horizon"),
        ("rlref/BernoulliBandit-v0", {"horizon": "long"}, InvalidParameterTypeError, "horizon"),
        ("rlref/GaussianBandit-v0", {"sigma": -1.0}, InvalidParameterError, "sigma"),
        ("rlref/BetaBandit-v0", {"alpha": [0.0, 1.0, 1.0]}, InvalidParameterError, "alpha"),
        ("rlref/PiecewiseStationaryBandit-v0", {"change_points": [0]}, InvalidParameterError, "change_points"),
        ("rlref/AdversarialBandit-v0", {"n_arms": 0}, InvalidParameterError, "n_arms"),
        ("rlref/AdversarialBandit-v0", {"rng": -1}, InvalidParameterError, "rng"),
        ("rlref/AdversarialBandit-v0", {"rewards": [[0.5, 0.5]]}, InvalidParameterError, "horizon"),
        ("rlref/LinearBandit-v0", {"theta": [1.0, 2.0, 3.0]}, InvalidParameterError, "theta"),
        ("rlref/CascadeBandit-v0", {"list_length": 6}, InvalidParameterError, "list_length"),
        ("rlref/CascadingMDP-v0", {"list_length": 5}, InvalidParameterError, "list_length"),
        ("rlref/CascadingMDP-v0", {"horizon": 0}, InvalidParameterError, "horizon"),
        ("rlref/RestlessBandit-v0", {"budget": -1.0}, InvalidParameterError, "budget"),
        ("rlref/RestlessBandit-v0", {"gamma": 1.0}, InvalidParameterError, "gamma"),
        ("rlref/RestlessBandit-v0", {"n_arms": 17}, InvalidParameterError, "n_arms"),
        ("rlref/CoupledRestlessBandit-v0", {"costs": [0.0]}, InvalidParameterError, "costs"),
    ],
)
def test_bad_keywords_raise_the_librarys_error_naming_the_parameter(
    env_id: str, kwargs: dict, error: type, name: str
) -> None:
    for make in (gymnasium.make, lambda i, **kw: gymnasium.make_vec(i, num_envs=2, **kw)):
        with pytest.raises(error, match=f"^{name}: "):
            make(env_id, **kwargs)


def test_unknown_keywords_are_refused() -> None:
    with pytest.raises(TypeError, match="no_such_keyword"):
        gymnasium.make("rlref/BernoulliBandit-v0", no_such_keyword=1)
