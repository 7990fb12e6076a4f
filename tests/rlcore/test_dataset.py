"""Tests for rlcore.dataset.Dataset: validation, episode algebra and the .npz format."""

from __future__ import annotations

import dataclasses
import json
import math
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rlcore.dataset import Dataset

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPECIAL_FLOATS = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308 / 3, 1.5, -1e300]


def floats64(bound: float | None = None) -> st.SearchStrategy[float]:
    """Finite float64 values, -0.0 and subnormals included."""
    return st.one_of(
        st.sampled_from(SPECIAL_FLOATS),
        st.floats(
            min_value=None if bound is None else -bound,
            max_value=bound,
            allow_nan=False,
            allow_infinity=False,
            allow_subnormal=True,
        ),
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | floats64() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def columns(draw: st.DrawFn, max_episodes: int = 4, reward_bound: float | None = None) -> dict:
    """Keyword arguments of a valid Dataset with a random episode structure."""
    lengths = draw(st.lists(st.integers(1, 5), min_size=0, max_size=max_episodes))
    n = sum(lengths)
    if draw(st.booleans()):  # tabular states
        dtype = draw(st.sampled_from([np.int64, np.int32, np.uint8]))
        obs = draw(hnp.arrays(dtype, (n,)))
        nxt = draw(hnp.arrays(dtype, (n,)))
    else:
        dtype = draw(st.sampled_from([np.float64, np.float32]))
        shape = (n, *draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)))
        width = 64 if dtype is np.float64 else 32
        elems = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True, width=width)
        obs = draw(hnp.arrays(dtype, shape, elements=elems))
        nxt = draw(hnp.arrays(dtype, shape, elements=elems))
    if draw(st.booleans()):
        actions = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 9)))
    else:
        actions = draw(hnp.arrays(np.float64, (n, draw(st.integers(1, 2))), elements=floats64()))
    ends = draw(
        st.lists(st.sampled_from(["none", "terminated", "truncated"]), min_size=len(lengths), max_size=len(lengths))
    )
    terminated, truncated = np.zeros(n, bool), np.zeros(n, bool)
    last = np.cumsum(lengths) - 1
    for i, end in zip(last, ends):
        if end != "none":
            (terminated if end == "terminated" else truncated)[i] = True
    gaps = draw(st.lists(st.integers(1, 3), min_size=len(lengths), max_size=len(lengths)))
    first_id = draw(st.integers(-5, 5))
    ids = np.repeat(first_id + np.cumsum(gaps), lengths).astype(np.int64)
    timesteps = np.concatenate([np.arange(k) for k in lengths] + [np.zeros(0, np.int64)]).astype(np.int64)
    return dict(
        observations=obs,
        actions=actions,
        next_observations=nxt,
        rewards=draw(hnp.arrays(np.float64, (n,), elements=floats64(reward_bound))),
        terminated=terminated,
        truncated=truncated,
        episode_ids=ids,
        timesteps=timesteps,
        metadata=draw(st.dictionaries(st.text(max_size=4), json_values, max_size=3)),
    )


def nonempty(cols: dict) -> bool:
    return len(cols["rewards"]) > 0


def tiny(**overrides) -> dict:
    """Two episodes: 3 transitions ending terminated, 2 ending truncated."""
    cols = dict(
        observations=np.array([0, 1, 2, 0, 1]),
        actions=np.array([1, 1, 0, 1, 0]),
        rewards=np.array([1.0, -0.0, 5e-324, 0.5, 2.0]),
        next_observations=np.array([1, 2, 3, 1, 0]),
        terminated=np.array([False, False, True, False, False]),
        truncated=np.array([False, False, False, False, True]),
        episode_ids=np.array([3, 3, 3, 7, 7]),
        timesteps=np.array([0, 1, 2, 0, 1]),
        metadata={"env": "chain", "seed": 1, "eps": [0.1, -0.0]},
    )
    cols.update(overrides)
    return cols


def bitwise_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ---------------------------------------------------------------- construction


def test_tiny_dataset_structure() -> None:
    ds = Dataset(**tiny())
    assert len(ds) == 5 and ds.n_episodes == 2
    np.testing.assert_array_equal(ds.episode_starts, [0, 3])
    assert ds.episode_starts.dtype == np.int64
    assert ds.episode_slices() == [slice(0, 3), slice(3, 5)]
    np.testing.assert_array_equal(ds.episode_lengths(), [3, 2])
    np.testing.assert_array_equal(ds.episode_returns(), [1.0 + 5e-324, 2.5])
    np.testing.assert_array_equal(ds.episode_returns(0.0), [1.0, 0.5])
    assert ds.rewards.dtype == np.float64 and ds.episode_ids.dtype == np.int64
    assert "n_episodes=2" in repr(ds)


def test_arrays_are_read_only_copies() -> None:
    cols = tiny()
    ds = Dataset(**cols)
    for name in ("observations", "rewards", "terminated", "episode_ids", "timesteps"):
        assert not getattr(ds, name).flags.writeable
        assert cols[name].flags.writeable  # the caller's arrays are untouched
        assert not np.shares_memory(getattr(ds, name), cols[name])
    with pytest.raises(ValueError, match="read-only"):
        ds.rewards[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.rewards = np.zeros(5)  # type: ignore[misc]
    cols["metadata"]["env"] = "changed"
    assert ds.metadata["env"] == "chain"


def test_array_likes_are_converted() -> None:
    ds = Dataset(
        observations=[[0.0, 1.0]],
        actions=[2],
        rewards=[1],
        next_observations=[[1.0, 1.0]],
        terminated=[True],
        truncated=[False],
        episode_ids=np.array([4], np.uint8),
        timesteps=[0],
    )
    assert ds.rewards.dtype == np.float64 and ds.episode_ids.dtype == np.int64
    assert ds.observations.shape == (1, 2) and ds.metadata == {}


def test_empty_dataset_constructs_but_methods_raise() -> None:
    empty = {k: np.asarray(v)[:0] for k, v in tiny().items() if k != "metadata"}
    ds = Dataset(**empty)
    assert len(ds) == 0 and ds.n_episodes == 0 and ds.episode_slices() == []
    for call in (ds.episode_returns, ds.episode_lengths, lambda: ds.select_episodes([])):
        with pytest.raises(ValueError, match="empty"):
            call()


def test_unflagged_last_transition_is_allowed() -> None:
    ds = Dataset(**tiny(truncated=np.zeros(5, bool)))
    assert ds.n_episodes == 2


INVALID = [
    # (overrides, exception, pattern the message must contain)
    (dict(rewards=np.ones((5, 2))), ValueError, r"rewards: expected a finite float array of shape \(N,\)"),
    (dict(rewards=np.ones(4)), ValueError, "rewards.*N = 5"),
    (dict(rewards=np.array([1.0, np.nan, 0, 0, 0])), ValueError, r"rewards: .*finite.*nan.*\(1,\)"),
    (dict(rewards=np.array([1.0, 0, np.inf, 0, 0])), ValueError, "rewards: .*finite"),
    (dict(rewards=np.array(["a"] * 5)), TypeError, "rewards"),
    (dict(rewards=np.ones(5, bool)), TypeError, "rewards"),
    (dict(rewards=[1.0, [2.0, 3.0], 0, 0, 0]), TypeError, "rewards"),
    (dict(rewards=None), TypeError, "rewards"),
    (dict(rewards=1.0), ValueError, "rewards.*scalar"),
    (dict(observations=np.zeros((5, 2))), ValueError, "next_observations.*shape"),
    (dict(next_observations=np.array([1, 2, 3, 1, 0], np.int32)), ValueError, "next_observations.*dtype"),
    (dict(observations=np.array([0, 1, 2, 0]), next_observations=np.array([1, 2, 3, 1])), ValueError, "actions.*N = 4"),
    (dict(observations=np.array([0, 1, 2, 0, 1j])), TypeError, "observations"),
    (
        dict(observations=np.array([0.0, np.nan, 0, 0, 0]), next_observations=np.zeros(5)),
        ValueError,
        "observations.*finite",
    ),
    (
        dict(observations=np.zeros(5), next_observations=np.array([0, 0, 0, np.inf, 0])),
        ValueError,
        "next_observations.*finite",
    ),
    (dict(actions=np.array([[0.0], [np.nan], [0], [0], [0]])), ValueError, "actions.*finite"),
    (dict(actions=np.array([object()] * 5)), TypeError, "actions"),
    (dict(actions=np.zeros(3)), ValueError, "actions.*N = 5"),
    (dict(terminated=np.array([0, 0, 1, 0, 0])), TypeError, "terminated: expected a bool array"),
    (dict(truncated=np.zeros((5, 1), bool)), ValueError, "truncated.*shape"),
    (dict(truncated=np.zeros(6, bool)), ValueError, "truncated.*N = 5"),
    (
        dict(terminated=np.array([True, False, False, False, False])),
        ValueError,
        "terminated: transition 0 .*not the last",
    ),
    (dict(truncated=np.array([False, False, False, True, True])), ValueError, "truncated: transition 3"),
    (
        dict(terminated=np.array([False, False, True, False, True])),
        ValueError,
        "terminated, truncated: transition 4 has both",
    ),
    (dict(episode_ids=np.array([3.0, 3, 3, 7, 7])), TypeError, "episode_ids: expected an integer"),
    (dict(episode_ids=np.array([3, 3, 3, 1, 1])), ValueError, r"episode_ids: .*non-decreasing.*\[3\] = 1"),
    (dict(episode_ids=np.array([3, 7, 3, 7, 7])), ValueError, "episode_ids"),
    (dict(episode_ids=np.array([3, 3, 3, 7])), ValueError, "episode_ids.*N = 5"),
    (dict(episode_ids=np.array([2**63] * 5, np.uint64)), ValueError, "episode_ids.*int64"),
    (dict(episode_ids=np.ones((5, 1), np.int64)), ValueError, "episode_ids.*shape"),
    (dict(timesteps=np.array([1, 2, 3, 0, 1])), ValueError, r"timesteps: .*timesteps\[0\] = 1"),
    (dict(timesteps=np.array([0, 1, 3, 0, 1])), ValueError, r"timesteps: .*timesteps\[2\] = 3"),
    (dict(timesteps=np.array([0, 1, 2, 3, 4])), ValueError, r"timesteps: .*timesteps\[3\]"),
    (dict(timesteps=np.zeros(5, bool)), TypeError, "timesteps: expected an integer"),
    (dict(timesteps=np.array([0, 1, 2, 0])), ValueError, "timesteps.*N = 5"),
    (dict(metadata=["not", "a", "dict"]), TypeError, "metadata"),
    (dict(metadata={"x": np.int64(3)}), TypeError, "metadata.*JSON"),
    (dict(metadata={"x": float("nan")}), ValueError, "^metadata: numbers must be finite"),
    (dict(metadata={"x": {1: "int key"}}), TypeError, "metadata: keys must be str.*1"),
    (dict(metadata={"x": object()}), TypeError, "metadata"),
]


@pytest.mark.parametrize(("overrides", "exc", "pattern"), INVALID)
def test_invalid_input_names_the_argument(overrides: dict, exc: type, pattern: str) -> None:
    with pytest.raises(exc, match=pattern):
        Dataset(**tiny(**overrides))


def test_overflowing_return_raises() -> None:
    ds = Dataset(**tiny(rewards=np.array([1e308, 1e308, 0.0, 1.0, 1.0])))
    with pytest.raises(ValueError, match="rewards: the return of episode 0 .*overflows"):
        ds.episode_returns()
    np.testing.assert_array_equal(ds.episode_returns(0.0), [1e308, 1.0])


def test_gamma_is_validated() -> None:
    ds = Dataset(**tiny())
    for gamma in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="gamma"):
            ds.episode_returns(gamma)
    with pytest.raises(TypeError, match="gamma"):
        ds.episode_returns("0.9")  # type: ignore[arg-type]


# ---------------------------------------------------------------- episode algebra


def brute_force_returns(cols: dict, gamma: float) -> list[float]:
    returns: dict[int, float] = {}
    for r, e, t in zip(cols["rewards"], cols["episode_ids"], cols["timesteps"]):
        returns[int(e)] = returns.get(int(e), 0.0) + gamma ** int(t) * float(r)
    return list(returns.values())


@SETTINGS
@given(cols=columns(reward_bound=1e300).filter(nonempty), gamma=st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1)))
def test_episode_returns_match_a_python_loop(cols: dict, gamma: float) -> None:
    ds = Dataset(**cols)
    got = ds.episode_returns(gamma)
    want = brute_force_returns(cols, gamma)
    assert got.shape == (ds.n_episodes,) and got.dtype == np.float64
    for g, w, sl in zip(got, want, ds.episode_slices()):
        scale = float(np.abs(cols["rewards"][sl]).sum())
        assert math.isclose(g, w, rel_tol=1e-12, abs_tol=1e-12 * scale)
    assert ds.episode_lengths().sum() == len(ds)
    assert [sl.start for sl in ds.episode_slices()] == ds.episode_starts.tolist()


@SETTINGS
@given(cols=columns(reward_bound=1e300).filter(nonempty), data=st.data())
def test_select_episodes_keeps_whole_episodes(cols: dict, data: st.DataObject) -> None:
    ds = Dataset(**cols)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=ds.n_episodes, max_size=ds.n_episodes)), bool)
    sub = ds.select_episodes(mask)
    assert sub.n_episodes == mask.sum() and len(sub) == ds.episode_lengths()[mask].sum()
    np.testing.assert_array_equal(np.unique(sub.episode_ids), np.unique(ds.episode_ids)[mask])
    if sub.n_episodes:
        assert bitwise_equal(sub.episode_returns(), ds.episode_returns()[mask])
    assert ds.select_episodes(np.ones(ds.n_episodes, bool)).equals(ds)
    assert ds.select_episodes(np.arange(ds.n_episodes)).equals(ds)
    # a bootstrap resample: any order, with repeats, renumbered 0..k-1
    pos = np.array(data.draw(st.lists(st.integers(0, ds.n_episodes - 1), min_size=1, max_size=6)))
    boot = ds.select_episodes(pos, renumber=True)
    np.testing.assert_array_equal(np.unique(boot.episode_ids), np.arange(pos.size))
    assert bitwise_equal(boot.episode_returns(), ds.episode_returns()[pos])
    for k, p in enumerate(pos):
        a, b = boot.episode_slices()[k], ds.episode_slices()[p]
        assert bitwise_equal(boot.observations[a], ds.observations[b])
        assert bitwise_equal(boot.terminated[a], ds.terminated[b])


def test_select_episodes_invalid_selection() -> None:
    ds = Dataset(**tiny())
    cases = [
        ([1, 0], ValueError, "selection: .*renumber=True"),
        ([0, 0], ValueError, "selection"),
        ([2], ValueError, r"selection: .*\[0, 2\)"),
        ([-1], ValueError, "selection"),
        (np.ones(3, bool), ValueError, r"selection: .*shape \(2,\)"),
        ([0.0], TypeError, "selection"),
        (np.zeros((1, 1), int), ValueError, "selection"),
    ]
    for selection, exc, pattern in cases:
        with pytest.raises(exc, match=pattern):
            ds.select_episodes(selection)
    assert len(ds.select_episodes([1, 0], renumber=True)) == 5
    assert len(ds.select_episodes([])) == 0


@SETTINGS
@given(cols=columns(reward_bound=1e300), data=st.data())
def test_concatenate_stacks_and_renumbers(cols: dict, data: st.DataObject) -> None:
    ds = Dataset(**cols)
    other = Dataset(**{**cols, "rewards": -np.asarray(cols["rewards"])})
    both = Dataset.concatenate([ds, other, ds])
    assert len(both) == 3 * len(ds) and both.n_episodes == 3 * ds.n_episodes
    np.testing.assert_array_equal(np.unique(both.episode_ids), np.arange(3 * ds.n_episodes))
    assert both.metadata == {} or both.metadata == ds.metadata
    assert both.equals(Dataset.concatenate([ds, other, ds]))
    if ds.n_episodes:
        e = ds.n_episodes
        assert both.select_episodes(np.arange(e)).equals(ds.select_episodes(np.arange(e), renumber=True))
        assert bitwise_equal(both.episode_returns()[e : 2 * e], other.episode_returns())
        for name in ("observations", "actions", "terminated", "truncated", "timesteps"):
            assert bitwise_equal(getattr(both, name)[len(ds) : 2 * len(ds)], getattr(other, name))


def test_concatenate_metadata_and_errors() -> None:
    a, b = Dataset(**tiny()), Dataset(**tiny(metadata={"env": "other"}))
    assert Dataset.concatenate([a, a]).metadata == a.metadata
    assert Dataset.concatenate([a, b]).metadata == {}
    assert Dataset.concatenate(iter([a, b]), metadata={"k": 1}).metadata == {"k": 1}
    obs2 = np.zeros((5, 2))
    wide = Dataset(**tiny(observations=obs2, next_observations=obs2))
    with pytest.raises(ValueError, match=r"datasets\[1\]: observations have per-transition shape \(2,\)"):
        Dataset.concatenate([a, wide])
    f32 = Dataset(**tiny(observations=np.zeros(5, np.float32), next_observations=np.zeros(5, np.float32)))
    with pytest.raises(ValueError, match=r"datasets\[1\]: observations .*float32"):
        Dataset.concatenate([a, f32])
    with pytest.raises(ValueError, match=r"datasets\[1\]: actions"):
        Dataset.concatenate([a, Dataset(**tiny(actions=np.zeros((5, 1))))])
    with pytest.raises(ValueError, match="datasets"):
        Dataset.concatenate([])
    with pytest.raises(TypeError, match=r"datasets\[1\]"):
        Dataset.concatenate([a, tiny()])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="datasets"):
        Dataset.concatenate(3)  # type: ignore[arg-type]


def test_equals_is_bitwise() -> None:
    a = Dataset(**tiny())
    assert a.equals(Dataset(**tiny())) and not a.equals(tiny())
    assert not a.equals(Dataset(**tiny(rewards=np.array([1.0, 0.0, 5e-324, 0.5, 2.0]))))  # -0.0 vs 0.0
    assert not a.equals(
        Dataset(
            **tiny(
                observations=np.array([0, 1, 2, 0, 1], np.int32), next_observations=np.array([1, 2, 3, 1, 0], np.int32)
            )
        )
    )
    assert not a.equals(Dataset(**tiny(metadata={"env": "chain", "seed": 1.0, "eps": [0.1, -0.0]})))


# ---------------------------------------------------------------- save / load


@SETTINGS
@given(cols=columns())
@example(cols=tiny())
def test_save_load_round_trip_is_bit_exact(tmp_path_factory: pytest.TempPathFactory, cols: dict) -> None:
    ds = Dataset(**cols)
    path = ds.save(tmp_path_factory.mktemp("rt") / "data.npz")
    back = Dataset.load(path)
    assert back.equals(ds)
    for name in (
        "observations",
        "actions",
        "rewards",
        "next_observations",
        "terminated",
        "truncated",
        "episode_ids",
        "timesteps",
    ):
        assert bitwise_equal(getattr(back, name), getattr(ds, name)), name
        assert not getattr(back, name).flags.writeable
    assert json.dumps(back.metadata, sort_keys=True) == json.dumps(ds.metadata, sort_keys=True)


def test_suffix_is_appended_consistently(tmp_path) -> None:
    ds = Dataset(**tiny())
    written = ds.save(str(tmp_path / "run1"))
    assert written == tmp_path / "run1.npz" and written.exists()
    assert Dataset.load(tmp_path / "run1").equals(ds)
    assert Dataset.load(str(written)).equals(ds)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run1.npz"]  # no temporary left behind
    with pytest.raises(TypeError, match="path"):
        ds.save(3)  # type: ignore[arg-type]


def test_save_never_pickles(tmp_path) -> None:
    path = Dataset(**tiny()).save(tmp_path / "d.npz")
    with np.load(path, allow_pickle=False) as npz:
        assert set(npz.files) == {
            "observations",
            "actions",
            "rewards",
            "next_observations",
            "terminated",
            "truncated",
            "episode_ids",
            "timesteps",
            "__schema__",
        }
        schema = json.loads(str(npz["__schema__"][()]))
    assert schema["format"] == "rlcore.Dataset" and schema["version"] == 1
    assert schema["metadata"] == tiny()["metadata"]
    assert {c["name"]: c["dtype"] for c in schema["columns"]}["rewards"] == "<f8"


def test_missing_file_is_an_error_naming_path(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"^path: .*nope\.npz: no such file"):
        Dataset.load(tmp_path / "nope.npz")
    (tmp_path / "folder.npz").mkdir()
    with pytest.raises(ValueError, match=r"^path: .*folder\.npz: is a directory"):
        Dataset.load(tmp_path / "folder.npz")


def rewrite(src, dst, **changes) -> None:
    """Copy an npz archive member by member, replacing (or, with None, dropping) members."""
    with np.load(src, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays.update(changes)
    np.savez(dst, **{k: v for k, v in arrays.items() if v is not None})


def schema_with(path, **changes) -> np.ndarray:
    with np.load(path, allow_pickle=False) as npz:
        schema = json.loads(str(npz["__schema__"][()]))
    schema.update(changes)
    return np.array(json.dumps(schema))


@pytest.fixture
def saved(tmp_path):
    ds = Dataset(**tiny())
    return ds, ds.save(tmp_path / "good.npz")


def test_truncated_file(saved, tmp_path) -> None:
    _, path = saved
    bad = tmp_path / "cut.npz"
    bad.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"^path: .*cut\.npz: truncated or corrupted rlcore\.Dataset file"):
        Dataset.load(bad)


def test_flipped_byte_in_column_data(saved, tmp_path) -> None:
    ds, path = saved
    raw = bytearray(path.read_bytes())
    needle = ds.rewards.tobytes()
    at = raw.find(needle)
    assert at > 0 and raw.find(needle, at + 1) == -1
    raw[at + len(needle) // 2] ^= 0x10
    bad = tmp_path / "flip.npz"
    bad.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"^path: .*flip\.npz: truncated or corrupted"):
        Dataset.load(bad)


def test_digest_mismatch_in_a_valid_zip(saved, tmp_path) -> None:
    _, path = saved  # the zip CRCs are fresh here, so only the SHA-256 digest can catch it
    bad = tmp_path / "digest.npz"
    rewrite(path, bad, rewards=np.array([1.0, 0.0, 5e-324, 0.5, 2.0]))
    with pytest.raises(ValueError, match=r"^path: .*digest\.npz: .*digest mismatch in column 'rewards'"):
        Dataset.load(bad)


def test_every_single_byte_corruption_is_caught_or_harmless(saved, tmp_path) -> None:
    ds, path = saved
    raw = path.read_bytes()
    bad = tmp_path / "fuzz.npz"
    for i in range(len(raw)):
        flipped = bytearray(raw)
        flipped[i] ^= 0xFF
        bad.write_bytes(bytes(flipped))
        try:
            back = Dataset.load(bad)
        except ValueError as exc:
            assert str(exc).startswith("path: ") and "fuzz.npz" in str(exc), (i, exc)
        else:  # zip fields no reader checks (timestamps, attributes) may change harmlessly
            assert back.equals(ds), i


def test_not_a_zip(tmp_path) -> None:
    text = tmp_path / "text.npz"
    text.write_text("observations,actions\n0,1\n")
    with pytest.raises(ValueError, match=r"^path: .*text\.npz: truncated or corrupted"):
        Dataset.load(text)
    pickled = tmp_path / "pickled.npz"
    pickled.write_bytes(pickle.dumps({"observations": [0]}))
    with pytest.raises(ValueError, match=r"^path: .*pickled\.npz"):
        Dataset.load(pickled)
    single = tmp_path / "single.npz"
    with open(single, "wb") as fh:
        np.save(fh, np.zeros(3))
    with pytest.raises(ValueError, match=r"^path: .*single\.npz: .*not an \.npz archive"):
        Dataset.load(single)
    with pytest.raises(ValueError, match=r"^path: .*empty\.npz"):
        (tmp_path / "empty.npz").write_bytes(b"")
        Dataset.load(tmp_path / "empty.npz")


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (dict(format="other.Dataset"), "format 'other.Dataset' is not 'rlcore.Dataset'"),
        (dict(version=2), "unsupported rlcore.Dataset format version 2"),
        (dict(version=True), "unsupported .*version True"),
        (dict(metadata=[1, 2]), "stored data fail validation: metadata"),
    ],
)
def test_wrong_schema(saved, tmp_path, change: dict, pattern: str) -> None:
    _, path = saved
    bad = tmp_path / "schema.npz"
    rewrite(path, bad, __schema__=schema_with(path, **change))
    with pytest.raises(ValueError, match=r"^path: .*schema\.npz: " + pattern):
        Dataset.load(bad)


def test_missing_or_garbled_schema(saved, tmp_path) -> None:
    _, path = saved
    bad = tmp_path / "noschema.npz"
    rewrite(path, bad, __schema__=None)
    with pytest.raises(ValueError, match=r"^path: .*noschema\.npz: no __schema__"):
        Dataset.load(bad)
    rewrite(path, bad, __schema__=np.array("{not json"))
    with pytest.raises(ValueError, match=r"^path: .*noschema\.npz: .*unreadable __schema__"):
        Dataset.load(bad)
    rewrite(path, bad, __schema__=np.array('{"format": "rlcore.Dataset"}'))
    with pytest.raises(ValueError, match=r"^path: .*noschema\.npz: .*unreadable __schema__.*KeyError"):
        Dataset.load(bad)
    rewrite(path, bad, __schema__=np.arange(3))
    with pytest.raises(ValueError, match=r"^path: .*noschema\.npz: no __schema__"):
        Dataset.load(bad)


def test_missing_and_extra_columns(saved, tmp_path) -> None:
    _, path = saved
    bad = tmp_path / "cols.npz"
    rewrite(path, bad, timesteps=None)
    with pytest.raises(ValueError, match=r"^path: .*cols\.npz: file columns .*missing \['timesteps'\]"):
        Dataset.load(bad)
    rewrite(path, bad, bonus=np.zeros(5))
    with pytest.raises(ValueError, match=r"^path: .*cols\.npz: file columns .*unexpected \['bonus'\]"):
        Dataset.load(bad)
    with np.load(path, allow_pickle=False) as npz:
        schema = json.loads(str(npz["__schema__"][()]))
    schema["columns"] = [c for c in schema["columns"] if c["name"] != "actions"]
    rewrite(path, bad, __schema__=np.array(json.dumps(schema)))
    with pytest.raises(ValueError, match=r"^path: .*cols\.npz: schema columns .*missing \['actions'\]"):
        Dataset.load(bad)


def test_dtype_or_shape_differs_from_schema(saved, tmp_path) -> None:
    _, path = saved
    bad = tmp_path / "dtype.npz"
    rewrite(path, bad, rewards=np.array([1.0, -0.0, 5e-324, 0.5, 2.0], np.float32))
    with pytest.raises(ValueError, match=r"^path: .*dtype\.npz: column 'rewards' has dtype <f4.*schema records <f8"):
        Dataset.load(bad)
    rewrite(path, bad, actions=np.array([[1, 1, 0, 1, 0]]))
    with pytest.raises(ValueError, match=r"^path: .*dtype\.npz: column 'actions' .*shape \(1, 5\)"):
        Dataset.load(bad)


def test_pickled_object_array_is_refused(saved, tmp_path) -> None:
    _, path = saved
    bad = tmp_path / "objects.npz"
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["observations"] = np.array([0, 1, 2, 0, {"evil": True}], dtype=object)
    np.savez(bad, **arrays)  # allow_pickle defaults to True when writing
    with pytest.raises(ValueError, match=r"^path: .*objects\.npz: member 'observations' is a pickled object array"):
        Dataset.load(bad)


def test_valid_file_with_invalid_data_fails_validation(saved, tmp_path) -> None:
    _, path = saved
    bad = tmp_path / "invalid.npz"
    timesteps = np.array([0, 1, 2, 0, 5])
    schema = json.loads(str(schema_with(path)[()]))
    for col in schema["columns"]:
        if col["name"] == "timesteps":
            col["sha256"] = __import__("hashlib").sha256(timesteps.tobytes()).hexdigest()
    rewrite(path, bad, timesteps=timesteps, __schema__=np.array(json.dumps(schema)))
    with pytest.raises(ValueError, match=r"^path: .*invalid\.npz: stored data fail validation: timesteps"):
        Dataset.load(bad)


# ---------------------------------------------------------------- hostile files (issue 17)
# Every failure to read a file is a ValueError (InvalidParameterError) whose message
# starts with "path:"; nothing recurses without bound, unpickles or inflates data whose
# declared size disagrees with the schema or the zip directory.
import struct
import time
import zipfile

from rlcore import _npz as npz_module
from rlcore.validation import InvalidParameterError, InvalidParameterTypeError


def npy_bytes(descr: str, shape: tuple, data: bytes = b"", pad_to: int = 0) -> bytes:
    """A version-1 .npy prefix (magic, header) followed by ``data``."""
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin1")
    header += b" " * max(0, pad_to - len(header) - 11) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


def rezip(src, dst, replace: dict | None = None, compress: int = zipfile.ZIP_STORED) -> None:
    """Copy the members of an .npz, replacing some members' raw .npy bytes."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compress) as zout:
        for info in zin.infolist():
            key = info.filename[:-4]
            if key in replace:
                zout.writestr(info.filename, replace[key])
            else:
                zout.writestr(info.filename, zin.read(info))


def test_deeply_nested_metadata_is_refused_not_a_recursion_error(saved, tmp_path) -> None:
    _, path = saved
    depth = 100_000
    deep: object = 0
    for _ in range(depth):
        deep = [deep]
    with pytest.raises(ValueError, match=r"^metadata: nested deeper than 64 levels"):
        Dataset(**tiny(metadata={"x": deep}))  # was RecursionError
    with np.load(path, allow_pickle=False) as npz:
        text = str(npz["__schema__"][()])
    bad = tmp_path / "deep.npz"
    nested = text.replace('"metadata": {', '"metadata": {"x": ' + "[" * depth + "]" * depth + ", ", 1)
    rezip(path, bad, {"__schema__": npy_bytes(f"<U{len(nested)}", (), nested.encode("utf-32-le"))})
    with pytest.raises(InvalidParameterError, match=r"^path: .*deep\.npz: the __schema__ record is nested deeper"):
        Dataset.load(bad)  # was RecursionError from json.loads
    ok = {"x": [[[[1]]]]}
    assert Dataset.load(Dataset(**tiny(metadata=ok)).save(tmp_path / "ok.npz")).metadata == ok


def test_oversized_npy_header_is_reported_as_such(saved, tmp_path) -> None:
    ds, path = saved
    bad = tmp_path / "header.npz"
    data = ds.rewards.tobytes()
    rezip(path, bad, {"rewards": npy_bytes("<f8", (5,), data, pad_to=60_000)})
    with pytest.raises(
        InvalidParameterError,
        match=r"^path: .*header\.npz: member 'rewards' declares a \.npy "
        r"header of \d+ bytes, more than the 4096",
    ):
        Dataset.load(bad)  # was "a pickled object array"
    garbled = tmp_path / "garbled.npz"
    rezip(path, garbled, {"rewards": b"\x93NUMPY\x01\x00" + struct.pack("<H", 12) + b"{'descr': ((\n" + data})
    with pytest.raises(InvalidParameterError, match=r"^path: .*garbled\.npz: member 'rewards'"):
        Dataset.load(garbled)


def _bomb(path, dst, *, header_shape: tuple, n_bytes: int) -> None:
    """Rewrite ``path`` with a deflated 'observations' member holding ``n_bytes`` zeros
    after a header declaring ``header_shape``; a few hundred kB on disk."""
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            if info.filename != "observations.npy":
                zout.writestr(info.filename, zin.read(info))
                continue
            with zout.open("observations.npy", "w", force_zip64=True) as fh:
                fh.write(npy_bytes("<i8", header_shape))
                chunk = bytes(1 << 22)
                for _ in range(n_bytes // len(chunk)):
                    fh.write(chunk)


@pytest.mark.parametrize("lie", ["header", "directory"])
def test_zip_bomb_is_refused_before_decompression(saved, tmp_path, monkeypatch, lie: str) -> None:
    _, path = saved
    bad = tmp_path / "bomb.npz"
    n_bytes = 300 * (1 << 20)
    # "header": the .npy header declares the 300 MB its zip entry holds, the schema 5 rows;
    # "directory": the header matches the schema, the zip directory records 300 MB.
    _bomb(path, bad, header_shape=(n_bytes // 8,) if lie == "header" else (5,), n_bytes=n_bytes)
    assert bad.stat().st_size < 5 * (1 << 20)
    read = []
    original = npz_module.SafeNpz.read
    monkeypatch.setattr(npz_module.SafeNpz, "read", lambda self, m: read.append(m.info.filename) or original(self, m))
    start = time.perf_counter()
    pattern = (
        r"column 'observations' has dtype <i8 and shape \(39321600,\)"
        if lie == "header"
        else r"member 'observations' declares shape \(5,\) .* the zip directory records 314572800 bytes"
    )
    with pytest.raises(InvalidParameterError, match=r"^path: .*bomb\.npz: " + pattern):
        Dataset.load(bad)
    assert time.perf_counter() - start < 2.0
    assert "observations.npy" not in read  # refused from the headers alone


def test_total_size_is_capped_before_reading(saved, monkeypatch) -> None:
    _, path = saved
    monkeypatch.setattr(npz_module, "MAX_LOAD_BYTES", 64)
    with pytest.raises(InvalidParameterError, match=r"^path: .*good\.npz: .*more than (the limit )?64"):
        Dataset.load(path)


@pytest.mark.parametrize("keep", [0, 1, 22, 100, 400, -22, -1])
def test_truncated_and_empty_files_name_the_path(saved, tmp_path, keep: int) -> None:
    _, path = saved
    raw = path.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(raw[:keep] if keep >= 0 else raw[: len(raw) + keep])
    with pytest.raises(InvalidParameterError, match=r"^path: .*cut\.npz: (truncated or corrupted|a single)"):
        Dataset.load(cut)


def test_every_load_failure_starts_with_path(saved, tmp_path) -> None:
    _, path = saved
    cases = {"text.npz": b"not a zip", "empty.npz": b"", "npy.npz": npy_bytes("<f8", (0,))}
    for name, raw in cases.items():
        (tmp_path / name).write_bytes(raw)
        with pytest.raises(InvalidParameterError, match=rf"^path: .*{name}"):
            Dataset.load(tmp_path / name)
    with pytest.raises(InvalidParameterTypeError, match="^path: "):
        Dataset.load(3)  # type: ignore[arg-type]
