"""Minari conversion against the real ``minari`` package: its files, its loader, its DataCollector.

The independent sources are Minari's own API (``minari.load_dataset``,
``MinariDataset.iterate_episodes``, ``minari.DataCollector`` wrapping the registered
Gymnasium env) and the dataset's columns read directly; nothing is compared against
stored outputs of this library. Every dataset is written under pytest's ``tmp_path``.
"""

from __future__ import annotations

import os
import pickle
import sys

import numpy as np
import pytest

minari = pytest.importorskip("minari")
gymnasium = pytest.importorskip("gymnasium")

from offline.minari import from_minari_dataset, to_minari_dataset, to_minari_episodes
from rlcore import Dataset, rollout  # importing rlcore registers the rlref/ Gymnasium ids
from rlcore.generators import river_swim

ENV_ID = "rlref/RiverSwim-v0"
#: Minari's reminders about descriptive fields left out, when its own API is called directly.
pytestmark = pytest.mark.filterwarnings("ignore:`.*` is set to None:UserWarning", "ignore:env_spec is None:UserWarning")


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A fresh Minari datasets root, also set as ``MINARI_DATASETS_PATH`` for Minari's own calls."""
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    return tmp_path


def _river_data(n_episodes=6, horizon=5, rng=0):
    """RiverSwim episodes (6 states, 2 actions) with gaps in the episode ids and metadata."""
    mdp = river_swim(horizon=horizon)
    data = rollout(mdp, np.full((6, 2), 0.5), n_episodes, rng=rng)
    keep = data.select_episodes(np.arange(0, n_episodes, 2))  # episode ids 0, 2, 4: not 0 .. E-1
    return Dataset(
        **{k: getattr(keep, k) for k in _COLUMNS},
        metadata={"source": "rollout", "horizon": horizon, "p": 0.5, "nested": {"ok": [1, 2.0, True]}},
    )


_COLUMNS = (
    "observations",
    "actions",
    "rewards",
    "next_observations",
    "terminated",
    "truncated",
    "episode_ids",
    "timesteps",
)


def test_round_trip_through_minari_files(root):
    data = _river_data()
    assert len(np.unique(data.episode_ids)) == 3 and data.episode_ids.max() == 4
    mds = to_minari_dataset(data, "rlref/riverswim/random-v0", env=ENV_ID, author="rlref tests")
    assert (root / "rlref" / "riverswim" / "random-v0" / "data" / "main_data.hdf5").is_file()

    # Minari's own loader and episode API (independent of this library's converters)
    loaded = minari.load_dataset("rlref/riverswim/random-v0")
    assert loaded.total_episodes == 3 and loaded.total_steps == len(data) == mds.total_steps
    assert loaded.observation_space == gymnasium.spaces.Discrete(6)
    assert loaded.action_space == gymnasium.spaces.Discrete(2)
    assert loaded.spec.env_spec.id == ENV_ID
    assert "rlref/riverswim/random-v0" in minari.list_local_datasets()
    episodes = list(loaded.iterate_episodes())
    for k, (ep, sl) in enumerate(zip(episodes, data.episode_slices(), strict=True)):
        assert ep.id == k
        np.testing.assert_array_equal(ep.observations[:-1], data.observations[sl])
        np.testing.assert_array_equal(ep.observations[1:], data.next_observations[sl])
        np.testing.assert_array_equal(ep.actions, data.actions[sl])
        np.testing.assert_array_equal(ep.rewards, data.rewards[sl])
        np.testing.assert_array_equal(ep.terminations, data.terminated[sl])
        np.testing.assert_array_equal(ep.truncations, data.truncated[sl])
        assert ep.observations.dtype == np.int64 and ep.rewards.dtype == np.float64
        assert ep.terminations.dtype == np.bool_

    # back: exact (columns, dtypes, the gapped episode ids, metadata), by id and from the object
    for back in (
        from_minari_dataset("rlref/riverswim/random-v0"),
        from_minari_dataset("rlref/riverswim/random-v0", root=str(root)),
        from_minari_dataset(loaded),
    ):
        assert back.equals(data)
        for k in _COLUMNS:
            assert getattr(back, k).dtype == getattr(data, k).dtype

    # a subset filtered with Minari's own API keeps the original ids of its episodes
    subset = loaded.filter_episodes(lambda ep: ep.id != 1)
    assert subset.total_episodes == 2
    assert from_minari_dataset(subset).equals(data.select_episodes(np.array([0, 2])))


def test_root_argument_and_environment_variable(tmp_path, monkeypatch):
    data = _river_data(4)
    elsewhere = tmp_path / "env"
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(elsewhere))
    mine = tmp_path / "mine"
    to_minari_dataset(data, "xy/by-root-v1", root=mine)
    assert os.environ["MINARI_DATASETS_PATH"] == str(elsewhere)  # restored
    assert (mine / "xy" / "by-root-v1" / "data" / "metadata.json").is_file()
    assert not (elsewhere / "xy").exists()
    to_minari_dataset(data, "by-env-v0")  # no root: MINARI_DATASETS_PATH
    assert (elsewhere / "by-env-v0" / "data" / "metadata.json").is_file()
    assert from_minari_dataset("by-env-v0").equals(data)
    assert from_minari_dataset("xy/by-root-v1", root=mine).equals(data)
    monkeypatch.delenv("MINARI_DATASETS_PATH")
    to_minari_dataset(data, "unset-v0", root=mine)
    assert "MINARI_DATASETS_PATH" not in os.environ


def test_box_observations_round_trip(root):
    rng = np.random.default_rng(1)
    T = 7
    obs = rng.normal(size=(T + 1, 3))
    data = Dataset(
        observations=obs[:-1],
        actions=rng.integers(0, 4, T),
        rewards=rng.normal(size=T),
        next_observations=obs[1:],
        terminated=np.r_[np.zeros(T - 1, bool), True],
        truncated=np.zeros(T, bool),
        episode_ids=np.zeros(T, np.int64),
        timesteps=np.arange(T),
    )
    to_minari_dataset(data, "features-v0")
    loaded = minari.load_dataset("features-v0")
    assert isinstance(loaded.observation_space, gymnasium.spaces.Box)
    assert loaded.observation_space.shape == (3,)
    assert loaded.action_space == gymnasium.spaces.Discrete(4)
    (ep,) = list(loaded.iterate_episodes())
    np.testing.assert_array_equal(ep.observations, obs)
    assert from_minari_dataset("features-v0").equals(data)


def _step_plain(env_id, actions, seeds, max_steps):
    """Step the registered env without Minari and build the Dataset by hand."""
    env = gymnasium.make(env_id, max_episode_steps=max_steps)
    cols = {k: [] for k in _COLUMNS}
    ep, t = 0, 0
    obs, _ = env.reset(seed=seeds[0])
    for a in actions:
        nxt, r, term, trunc, _ = env.step(a)
        for k, v in zip(_COLUMNS, (obs, a, r, nxt, term, trunc, ep, t)):
            cols[k].append(v)
        obs, t = nxt, t + 1
        if term or trunc:
            ep, t = ep + 1, 0
            obs, _ = env.reset(seed=seeds[ep])
    env.close()
    if t > 0:  # an unfinished last episode: Minari records it as truncated
        cols["truncated"][-1] = True
    arr = {k: np.asarray(v) for k, v in cols.items()}
    return Dataset(
        **{k: arr[k].astype(np.int64) for k in ("observations", "actions", "next_observations", "episode_ids")},
        rewards=arr["rewards"].astype(np.float64),
        terminated=arr["terminated"].astype(bool),
        truncated=arr["truncated"].astype(bool),
        timesteps=arr["timesteps"].astype(np.int64),
    )


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # Minari's collector cleans its own temp dir
def test_data_collector_recording_matches_stepping(root):
    actions = [1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1]
    seeds = [11, 12, 13, 14, 15]
    max_steps = 6
    expected = _step_plain(ENV_ID, actions, seeds, max_steps)
    assert expected.n_episodes == 4 and expected.truncated.sum() == 4

    env = minari.DataCollector(gymnasium.make(ENV_ID, max_episode_steps=max_steps))
    ep = 0
    env.reset(seed=seeds[0])
    for a in actions:
        _, _, term, trunc, _ = env.step(a)
        if term or trunc:
            ep += 1
            env.reset(seed=seeds[ep])
    collected = env.create_dataset("rlref/riverswim/collected-v0", algorithm_name="fixed actions")
    env.close()

    # the dict layout of this library equals Minari's recorded episodes
    mine = to_minari_episodes(expected)
    theirs = list(minari.load_dataset("rlref/riverswim/collected-v0").iterate_episodes())
    assert len(mine) == len(theirs) == 4
    for a, b in zip(mine, theirs, strict=True):
        assert a["id"] == b.id
        for key in ("observations", "actions", "rewards", "terminations", "truncations"):
            np.testing.assert_array_equal(a[key], getattr(b, key))
            assert a[key].dtype == getattr(b, key).dtype

    # and the Dataset read from Minari's files equals the hand-built one
    back = from_minari_dataset(collected)
    assert back.metadata == {"minari_dataset_id": "rlref/riverswim/collected-v0"}
    assert back.equals(Dataset(**{k: getattr(expected, k) for k in _COLUMNS}, metadata=back.metadata))
    assert from_minari_dataset("rlref/riverswim/collected-v0").equals(back)


def test_bad_inputs_are_refused(root):
    data = _river_data(2)
    with pytest.raises(ValueError, match=r"^dataset_id: expected a Minari dataset id"):
        to_minari_dataset(data, "no-version")
    for bad in ("../up-v0", "/abs-v0", "a b-v0", "ns//x-v0", ""):
        with pytest.raises(ValueError, match=r"^dataset_id"):
            to_minari_dataset(data, bad)
    with pytest.raises(TypeError, match=r"^dataset_id"):
        to_minari_dataset(data, 3)
    with pytest.raises(TypeError, match=r"^data"):
        to_minari_dataset({"observations": [0]}, "x-v0")
    gap = Dataset(
        **{k: getattr(data, k) for k in _COLUMNS if k != "next_observations"},
        next_observations=(data.next_observations + 1) % 6,
    )
    with pytest.raises(ValueError, match=r"^data: episode id .* not contiguous"):
        to_minari_dataset(gap, "x-v0")
    with pytest.raises(ValueError, match=r"^observation_space: Discrete\(2\) does not contain"):
        to_minari_dataset(data, "x-v0", observation_space=gymnasium.spaces.Discrete(2))
    with pytest.raises(ValueError, match=r"^observation_space: expected a Discrete space starting at 0"):
        to_minari_dataset(data, "x-v0", observation_space=gymnasium.spaces.Discrete(6, start=1))
    with pytest.raises(ValueError, match=r"^action_space: .* has shape \(2,\)"):
        to_minari_dataset(data, "x-v0", action_space=gymnasium.spaces.Box(0, 1, shape=(2,)))
    with pytest.raises(TypeError, match=r"^observation_space"):
        to_minari_dataset(data, "x-v0", observation_space=gymnasium.spaces.MultiDiscrete([6]))
    with pytest.raises(ValueError, match=r"^env: cannot make"):
        to_minari_dataset(data, "x-v0", env="rlref/NoSuchEnv-v0")
    wide = Dataset(**{k: getattr(data, k) for k in _COLUMNS if k != "actions"}, actions=data.actions + 1)
    with pytest.raises(ValueError, match=r"^env: Discrete\(2\) does not contain actions"):
        to_minari_dataset(wide, "x-v0", env=ENV_ID)
    with pytest.raises(TypeError, match=r"^author"):
        to_minari_dataset(data, "x-v0", author=["me"])
    assert not (root / "x-v0").exists()  # nothing written by a refused call

    to_minari_dataset(data, "taken-v0")
    with pytest.raises(ValueError, match=r"^dataset_id: a Minari dataset 'taken-v0' already exists"):
        to_minari_dataset(data, "taken-v0")

    with pytest.raises(ValueError, match=r"^dataset: no local Minari dataset 'missing-v0'"):
        from_minari_dataset("missing-v0")
    with pytest.raises(TypeError, match=r"^dataset"):
        from_minari_dataset(3)
    with pytest.raises(ValueError, match=r"^dataset"):
        from_minari_dataset("bad id-v0")
    with pytest.raises(ValueError, match=r"^root"):
        from_minari_dataset(minari.load_dataset("taken-v0"), root=root)
    with pytest.raises(TypeError, match=r"^root"):
        from_minari_dataset("taken-v0", root=1)


def test_unsupported_spaces_and_broken_metadata_are_refused(root):
    from minari.data_collector import EpisodeBuffer

    T = 3
    buffer = [
        EpisodeBuffer(
            observations=np.array([[0, 1], [1, 1], [2, 0], [0, 0]]),
            actions=np.array([0, 1, 0]),
            rewards=np.zeros(T),
            terminations=np.array([False, False, True]),
            truncations=np.zeros(T, bool),
        )
    ]
    space = gymnasium.spaces.MultiDiscrete([3, 2])
    minari.create_dataset_from_buffers(
        "multi-v0", buffer, observation_space=space, action_space=gymnasium.spaces.Discrete(2), author="t"
    )
    with pytest.raises(ValueError, match=r"^dataset: its observation_space MultiDiscrete\(\[3 2\]\) is not supported"):
        from_minari_dataset("multi-v0")
    buffer2 = [
        EpisodeBuffer(
            observations=np.array([1, 2, 3, 1]),
            actions=np.array([0, 1, 0]),
            rewards=np.zeros(T),
            terminations=np.array([False, False, True]),
            truncations=np.zeros(T, bool),
        )
    ]
    minari.create_dataset_from_buffers(
        "shifted-v0",
        buffer2,
        observation_space=gymnasium.spaces.Discrete(3, start=1),
        action_space=gymnasium.spaces.Discrete(2),
        author="t",
    )
    with pytest.raises(ValueError, match=r"^dataset: its observation_space Discrete\(3, start=1\)"):
        from_minari_dataset("shifted-v0")

    mds = to_minari_dataset(_river_data(2), "broken-v0")
    mds.storage.update_metadata({"rlref": {"format": 1, "episode_ids": [5, 3], "metadata": {}}})
    with pytest.raises(ValueError, match=r"^dataset: its metadata entry 'rlref'"):
        from_minari_dataset("broken-v0")


def test_loading_never_unpickles(root, monkeypatch):
    data = _river_data(4)
    to_minari_dataset(data, "nopickle-v0", env=ENV_ID)

    def refuse(*args, **kwargs):
        raise AssertionError("unpickling while loading a Minari dataset")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    monkeypatch.setattr(np, "load", refuse)
    assert from_minari_dataset("nopickle-v0").equals(data)


def test_missing_minari_names_the_extra(root, monkeypatch):
    monkeypatch.setitem(sys.modules, "minari", None)  # makes ``import minari`` raise ImportError
    with pytest.raises(ImportError, match=r"rlref\[minari\]"):
        to_minari_dataset(_river_data(2), "x-v0")
    with pytest.raises(ImportError, match=r"rlref\[minari\]"):
        from_minari_dataset("x-v0")
