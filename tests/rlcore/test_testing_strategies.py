"""The public Hypothesis strategies of :mod:`rlcore.testing` produce what they promise.

Every drawn object is checked here against conditions recomputed from its raw arrays
(not through the library's own validators alone), every documented kind is shown to
occur within a fixed, derandomised budget of examples, shrinking is shown to reach
minimal examples, and the strategies' own argument checks are exercised.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from rlcore import Dataset, FiniteMDP, evaluate_policy, rollout, validate_policy
from rlcore.testing import (
    MDP_CORRUPTIONS,
    POLICY_CORRUPTIONS,
    constructor_call,
    corrupted_mdp_kwargs,
    corrupted_policies,
    datasets,
    finite_mdps,
    mdps_and_policies,
    policies,
    value_functions,
)

ROOT_DIR = Path(__file__).resolve().parents[2]
#: Budget for "this kind occurs" searches: deterministic, so a pass is reproducible.
FIND = settings(max_examples=300, derandomize=True, database=None, deadline=None)
#: Rounding slack on a drawn probability row (rows are integer weights / their sum).
ROW_TOL = 1e-12


def sample(strategy, n: int = FIND.max_examples) -> list:
    """``n`` derandomised examples of ``strategy``, generated without shrinking."""
    out: list = []

    @settings(FIND, max_examples=n, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(x):
        out.append(x)

    collect()
    return out


def never_seen(examples: list, predicates: dict) -> list[str]:
    return [label for label, pred in predicates.items() if not any(pred(x) for x in examples)]


def dense_rows(mdp: FiniteMDP) -> np.ndarray:
    """All transition rows as a dense (n_rows, S) array, whatever the layout."""
    P = mdp.P.toarray() if mdp.is_sparse else np.asarray(mdp.P)
    return P.reshape(-1, mdp.n_states)


def p_time_dependent(mdp: FiniteMDP) -> bool:
    """P carries a time axis (a sparse P with H = 1 cannot show one: its layout is the stationary one)."""
    if not mdp.is_sparse:
        return mdp.P.ndim == 4
    H = mdp.horizon or 1
    return H > 1 and mdp.P.shape[0] == H * mdp.n_states * mdp.n_actions


def check_probability_rows(rows: np.ndarray, tol: float = ROW_TOL) -> None:
    assert np.all(np.isfinite(rows))
    assert np.all(rows >= 0.0)
    np.testing.assert_allclose(rows.sum(axis=-1), 1.0, rtol=0, atol=tol)


# ---------------------------------------------------------------------------------
# finite_mdps
# ---------------------------------------------------------------------------------
KIND_COMBINATIONS = [
    (discounted, sparse, td)
    for discounted in (True, False)
    for sparse in (True, False)
    for td in (True, False, None)
    if not (discounted and td)
]


@pytest.mark.parametrize(("discounted", "sparse", "time_dependent"), KIND_COMBINATIONS)
@settings(max_examples=min(settings.default.max_examples, 20))
@given(data=st.data())
def test_finite_mdps_have_the_requested_kind_and_valid_arrays(data, discounted, sparse, time_dependent):
    mdp = data.draw(finite_mdps(discounted=discounted, sparse=sparse, time_dependent=time_dependent))
    assert isinstance(mdp, FiniteMDP)
    S, A = mdp.n_states, mdp.n_actions
    assert 1 <= S <= 6 and 1 <= A <= 4
    assert mdp.is_discounted is discounted
    assert mdp.is_sparse is sparse
    if discounted:
        assert 0.0 <= mdp.gamma <= 0.99 and mdp.horizon is None
        assert not mdp.is_time_dependent
    else:
        assert 1 <= mdp.horizon <= 5 and mdp.gamma is None
        if time_dependent is not None:
            assert mdp.is_time_dependent is time_dependent
    if sparse:
        assert mdp.P.shape in {(S * A, S), (S * A * (mdp.horizon or 1), S)}
    else:
        assert mdp.P.shape in {(S, A, S), ((mdp.horizon or 0), S, A, S)}
    if time_dependent is False or discounted:
        assert not p_time_dependent(mdp) and mdp.R.shape == (S, A)
    check_probability_rows(dense_rows(mdp))
    assert np.all(np.isfinite(mdp.R)) and np.all(np.abs(mdp.R) <= 1.0)
    check_probability_rows(mdp.initial)
    assert not mdp.terminal.any()  # with_terminal=False by default


def test_every_documented_kind_occurs():
    """Each feature the docstring promises shows up within a fixed, derandomised budget."""
    mdps = finite_mdps()
    predicates: dict = {
        "dense": lambda m: not m.is_sparse,
        "sparse": lambda m: m.is_sparse,
        "discounted": lambda m: m.is_discounted,
        "finite horizon": lambda m: not m.is_discounted,
        "time-dependent P (dense)": lambda m: p_time_dependent(m) and not m.is_sparse,
        "time-dependent R only": lambda m: m.R.ndim == 3 and not p_time_dependent(m),
        "gamma = 0": lambda m: m.gamma == 0.0,
        "point-mass initial": lambda m: m.n_states > 1 and m.initial.max() == 1.0,
        "random initial with a zero": lambda m: (
            0.0 < m.initial.max() < 1.0 and m.initial.min() == 0.0 and not np.allclose(m.initial, m.initial[0])
        ),
        "uniform (default) initial": lambda m: m.n_states > 1 and np.all(m.initial == 1.0 / m.n_states),
        "deterministic and stochastic rows together": lambda m: (
            (dense_rows(m).max(axis=1) == 1.0).any() and (dense_rows(m).max(axis=1) < 1.0).any()
        ),
        "stochastic row with a zero": lambda m: any(0 < (r > 0).sum() < len(r) and r.max() < 1 for r in dense_rows(m)),
        "non-dyadic probabilities": lambda m: np.any(np.isclose(dense_rows(m), 1 / 3)),
        "largest size": lambda m: m.n_states == 6 and m.n_actions == 4,
        "single state and action": lambda m: m.n_states == 1 and m.n_actions == 1,
        "positive and negative rewards": lambda m: m.R.max() > 0 > m.R.min(),
    }
    # 1,000 draws, not 300: the derandomised sequence is stable for a given collection of
    # test modules but shifts when other modules build strategies first (Hypothesis's
    # mutations follow strategy labels), and the rarest kind here, a random initial
    # distribution with a zero, came 2 to 15 times in 300 draws over six seeds.
    n = 1000
    missing = never_seen(sample(mdps, n), predicates)
    assert not missing, f"never drawn in {n} examples: {missing}"


def test_sparse_time_dependent_transitions_occur():
    """Asked for explicitly (the mixed budget above reaches it only sometimes: it needs
    sparse, finite horizon H >= 2 and a time axis on P all at once)."""
    examples = sample(finite_mdps(sparse=True, time_dependent=True, horizon=st.integers(2, 5)), 60)
    assert any(p_time_dependent(m) and m.is_sparse for m in examples)


def test_finite_mdps_shrink_to_minimal_examples():
    """Shrinking: the simplest MDP with at least 3 states has exactly 3 states and 1 action."""
    m = find(finite_mdps(), lambda m: m.n_states >= 3, settings=FIND)
    assert (m.n_states, m.n_actions) == (3, 1)
    assert not m.is_sparse and np.all(m.R == 0.0)


@settings(max_examples=min(settings.default.max_examples, 30))
@given(data=st.data(), k=st.integers(1, 3))
def test_branching_bounds_the_support_of_every_row(data, k):
    mdp = data.draw(finite_mdps(branching=k))
    rows = dense_rows(mdp)
    assert ((rows > 0).sum(axis=1) <= k).all()
    check_probability_rows(rows)
    if k == 1:
        assert np.all(rows.max(axis=1) == 1.0)  # a deterministic MDP


@settings(max_examples=min(settings.default.max_examples, 30))
@given(finite_mdps(with_terminal=True))
def test_terminal_states_are_absorbing_with_zero_reward(mdp):
    assert mdp.terminal.any()
    S, A = mdp.n_states, mdp.n_actions
    rows = dense_rows(mdp).reshape(-1, S, A, S)  # (T, S, A, S), T = 1 or H
    R = mdp.R.reshape(-1, S, A)
    for s in np.flatnonzero(mdp.terminal):
        assert np.all(rows[:, s, :, s] == 1.0)
        assert np.all(R[:, s, :] == 0.0)


def test_with_terminal_none_gives_both():
    examples = sample(finite_mdps(with_terminal=None), 100)
    assert never_seen(examples, {"terminal": lambda m: m.terminal.any(), "none": lambda m: not m.terminal.any()}) == []


@settings(max_examples=min(settings.default.max_examples, 20))
@given(finite_mdps(n_states=3, n_actions=2, gamma=0.5, horizon=4, reward_scale=10.0))
def test_fixed_values_are_used_as_given(mdp):
    assert (mdp.n_states, mdp.n_actions) == (3, 2)
    assert mdp.gamma == 0.5 if mdp.is_discounted else mdp.horizon == 4
    assert np.abs(mdp.R).max() <= 10.0


def test_finite_mdps_reject_bad_arguments():
    with pytest.raises(ValueError, match="time_dependent"):
        finite_mdps(discounted=True, time_dependent=True)
    with pytest.raises(ValueError, match="^n_states"):
        finite_mdps(n_states=0)
    with pytest.raises(TypeError, match="^n_actions"):
        finite_mdps(n_actions=2.0)
    with pytest.raises(ValueError, match="^gamma"):
        finite_mdps(gamma=1.0)
    with pytest.raises(TypeError, match="^sparse"):
        finite_mdps(sparse="yes")
    with pytest.raises(ValueError, match="^reward_scale"):
        finite_mdps(reward_scale=-1.0)
    with pytest.raises(ValueError, match="^branching"):
        finite_mdps(branching=0)
    with pytest.raises(InvalidArgument, match="n_states"):  # a strategy that draws a bad value
        find(finite_mdps(n_states=st.just(0)), lambda m: True, settings=FIND)
    with pytest.raises(InvalidArgument, match="gamma"):
        find(finite_mdps(discounted=True, gamma=st.just(1.0)), lambda m: True, settings=FIND)


# ---------------------------------------------------------------------------------
# policies, mdps_and_policies, value_functions
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("deterministic", [True, False])
@pytest.mark.parametrize("time_dependent", [True, False])
@settings(max_examples=min(settings.default.max_examples, 20))
@given(data=st.data())
def test_policies_are_valid_with_the_requested_layout(data, deterministic, time_dependent):
    mdp = data.draw(finite_mdps(discounted=False if time_dependent else None))
    pi = data.draw(policies(mdp, deterministic=deterministic, time_dependent=time_dependent))
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    lead = (H,) if time_dependent else ()
    if deterministic:
        assert pi.dtype == np.int64 and pi.shape == lead + (S,)
        assert pi.min() >= 0 and pi.max() < A
    else:
        assert pi.dtype == np.float64 and pi.shape == lead + (S, A)
        check_probability_rows(pi)
    np.testing.assert_array_equal(validate_policy(pi, S, A, H), pi)


@settings(max_examples=min(settings.default.max_examples, 20))
@given(data=st.data())
def test_policies_of_a_discounted_mdp_are_stationary(data):
    mdp = data.draw(finite_mdps(discounted=True))
    pi = data.draw(policies(mdp))
    assert pi.shape in {(mdp.n_states,), (mdp.n_states, mdp.n_actions)}


def test_policies_reject_bad_arguments():
    P = np.ones((2, 1, 2)) / 2
    mdp = FiniteMDP(P, np.zeros((2, 1)), gamma=0.5)
    with pytest.raises(ValueError, match="^time_dependent"):
        policies(mdp, time_dependent=True)
    with pytest.raises(TypeError, match="^mdp"):
        policies("mdp")
    with pytest.raises(TypeError, match="^deterministic"):
        policies(mdp, deterministic=1)
    with pytest.raises(TypeError, match="^mdps"):
        mdps_and_policies(mdps=[mdp])
    with pytest.raises(InvalidArgument, match="time_dependent"):
        find(mdps_and_policies(st.just(mdp), time_dependent=True), lambda x: True, settings=FIND)


@settings(max_examples=min(settings.default.max_examples, 30))
@given(mdps_and_policies())
def test_mdps_and_policies_pairs_fit_together(pair):
    mdp, pi = pair
    validate_policy(pi, mdp.n_states, mdp.n_actions, mdp.horizon)
    ev = evaluate_policy(mdp, pi)
    assert np.all(np.isfinite(ev.V))


def test_mdps_and_policies_cover_all_policy_layouts():
    layouts = {
        "int (H, S)": lambda p: p[1].dtype == np.int64 and p[1].ndim == 2,
        "float (H, S, A)": lambda p: p[1].dtype == np.float64 and p[1].ndim == 3,
        "int (S,) on a finite horizon": lambda p: p[0].horizon is not None and p[1].ndim == 1,
        "float (S, A) on a finite horizon": lambda p: (
            p[0].horizon is not None and p[1].ndim == 2 and p[1].dtype == np.float64
        ),
        "int (S,) discounted": lambda p: p[0].is_discounted and p[1].dtype == np.int64,
        "float (S, A) discounted": lambda p: p[0].is_discounted and p[1].dtype == np.float64,
    }
    assert never_seen(sample(mdps_and_policies(), 200), layouts) == []
    for mdp, pi in sample(mdps_and_policies(time_dependent=True), 20):
        assert mdp.horizon is not None and pi.shape[0] == mdp.horizon


@settings(max_examples=min(settings.default.max_examples, 20))
@given(data=st.data())
def test_value_functions_are_finite_vectors(data):
    mdp = data.draw(finite_mdps())
    V = data.draw(value_functions(mdp, bound=5.0))
    assert V.shape == (mdp.n_states,) and V.dtype == np.float64
    assert np.all(np.isfinite(V)) and np.all(np.abs(V) <= 5.0)


def test_value_functions_reject_bad_arguments():
    mdp = FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=0.5)
    with pytest.raises(ValueError, match="^bound"):
        value_functions(mdp, bound=np.inf)
    with pytest.raises(TypeError, match="^mdp"):
        value_functions(None)


# ---------------------------------------------------------------------------------
# datasets
# ---------------------------------------------------------------------------------
def check_trajectories(ds: Dataset) -> None:
    """Independent checks of the episode structure (not via Dataset's own validation)."""
    n = len(ds)
    for sl in ds.episode_slices():
        idx = np.arange(n)[sl]
        assert np.all(ds.episode_ids[idx] == ds.episode_ids[idx[0]])
        np.testing.assert_array_equal(ds.timesteps[idx], np.arange(idx.size))
        np.testing.assert_array_equal(ds.next_observations[idx[:-1]], ds.observations[idx[1:]])
        assert not ds.terminated[idx[:-1]].any() and not ds.truncated[idx[:-1]].any()
        assert not (ds.terminated[idx[-1]] and ds.truncated[idx[-1]])
    assert np.all(np.diff(ds.episode_ids[ds.episode_starts]) > 0)


@settings(max_examples=min(settings.default.max_examples, 30))
@given(datasets())
def test_datasets_are_consistent_trajectories(ds):
    assert isinstance(ds, Dataset)
    assert 1 <= ds.n_episodes <= 4 and np.all(ds.episode_lengths() <= 6)
    check_trajectories(ds)
    if ds.observations.ndim == 1:
        assert ds.observations.dtype == np.int64 and ds.observations.min() >= 0
    else:
        assert ds.observations.dtype == np.float64 and np.all(np.isfinite(ds.observations))
    assert ds.actions.dtype == np.int64 and ds.actions.min() >= 0


def test_rollout_output_passes_the_same_trajectory_checks():
    """The checker above accepts what the library's own rollout produces (it is not vacuous)."""
    P = np.zeros((3, 2, 3))
    P[:, 0, 0] = 0.5
    P[:, 0, 1] = 0.5
    P[:, 1, 2] = 1.0
    mdp = FiniteMDP(P, np.ones((3, 2)), gamma=0.9)
    check_trajectories(rollout(mdp, np.array([0, 0, 1]), n_episodes=5, max_steps=4, rng=1))
    with pytest.raises(AssertionError):  # and rejects a broken trajectory
        ds = rollout(mdp, np.array([0, 0, 0]), n_episodes=1, max_steps=4, rng=1)
        broken = {
            name: getattr(ds, name)
            for name in ("observations", "actions", "rewards", "terminated", "truncated", "episode_ids", "timesteps")
        }
        check_trajectories(Dataset(**broken, next_observations=(ds.next_observations + 1) % 3))


@pytest.mark.parametrize(("observations", "continuous_actions"), [("tabular", False), ("vector", True)])
@settings(max_examples=min(settings.default.max_examples, 15))
@given(data=st.data())
def test_datasets_observation_and_action_layouts(data, observations, continuous_actions):
    ds = data.draw(datasets(observations=observations, continuous_actions=continuous_actions, obs_dim=3))
    if observations == "tabular":
        assert ds.observations.shape == (len(ds),) and ds.observations.dtype == np.int64
        assert ds.actions.shape == (len(ds),) and ds.actions.dtype == np.int64
    else:
        assert ds.observations.shape == (len(ds), 3) and ds.observations.dtype == np.float64
        assert ds.actions.ndim == 2 and ds.actions.dtype == np.float64
    check_trajectories(ds)


@settings(max_examples=min(settings.default.max_examples, 30))
@given(data=st.data())
def test_datasets_from_an_mdp_follow_its_dynamics(data):
    mdp = data.draw(finite_mdps(with_terminal=None))
    ds = data.draw(datasets(mdp=mdp))
    check_trajectories(ds)
    S, A = mdp.n_states, mdp.n_actions
    P = dense_rows(mdp).reshape(-1, S, A, S)
    R = mdp.R.reshape(-1, S, A)
    for i in range(len(ds)):
        s, a, s2, t = ds.observations[i], ds.actions[i], ds.next_observations[i], ds.timesteps[i]
        Pt, Rt = P[t if P.shape[0] > 1 else 0], R[t if R.shape[0] > 1 else 0]
        if t == 0:
            assert mdp.initial[s] > 0
        assert 0 <= a < A and Pt[s, a, s2] > 0
        assert ds.rewards[i] == Rt[s, a]
        at_horizon = mdp.horizon is not None and t == mdp.horizon - 1
        assert ds.terminated[i] == (bool(mdp.terminal[s2]) or at_horizon)
        if mdp.horizon is not None:
            assert t < mdp.horizon


def test_datasets_cover_all_episode_endings_and_id_schemes():
    kinds = {
        "terminated": lambda d: d.terminated.any(),
        "truncated": lambda d: d.truncated.any(),
        "open ending": lambda d: not (d.terminated[-1] or d.truncated[-1]),
        "ids with gaps": lambda d: d.n_episodes > 1 and np.any(np.diff(d.episode_ids[d.episode_starts]) > 1),
        "ids 0 .. E-1": lambda d: (
            d.n_episodes > 1 and np.array_equal(d.episode_ids[d.episode_starts], np.arange(d.n_episodes))
        ),
        "metadata": lambda d: bool(d.metadata),
        "tabular": lambda d: d.observations.ndim == 1,
        "vector": lambda d: d.observations.ndim == 2,
    }
    assert never_seen(sample(datasets(), 200), kinds) == []


def test_datasets_empty_and_bad_arguments():
    for empty in sample(datasets(n_episodes=0), 5):
        assert len(empty) == 0 and empty.n_episodes == 0
    with pytest.raises(ValueError, match="^observations"):
        datasets(observations="pixels")
    with pytest.raises(ValueError, match="^n_episodes"):
        datasets(n_episodes=-1)
    with pytest.raises(TypeError, match="^mdp"):
        datasets(mdp="mdp")


# ---------------------------------------------------------------------------------
# corrupted inputs: well-formed cases (the library's reaction is in test_invalid_inputs)
# ---------------------------------------------------------------------------------
FINITE_MDP_ARGS = set(inspect.signature(FiniteMDP).parameters)


def test_corrupted_mdp_kwargs_are_well_formed():
    for kind in MDP_CORRUPTIONS:
        for kwargs, argument, exception in sample(corrupted_mdp_kwargs(kinds=kind), 5):
            assert set(kwargs) <= FINITE_MDP_ARGS and {"P", "R"} <= set(kwargs), kind
            assert argument in FINITE_MDP_ARGS, kind
            assert exception in (ValueError, TypeError), kind


def test_corrupted_policies_are_well_formed():
    mdp = FiniteMDP(np.ones((2, 3, 2)) / 2, np.zeros((2, 3)), horizon=2)
    for kind in POLICY_CORRUPTIONS:
        for _, argument, exception in sample(corrupted_policies(mdp, kinds=kind), 5):
            assert argument == "policy" and exception in (ValueError, TypeError), kind


def test_corruption_catalogues_cover_the_documented_defects():
    expected_mdp = {
        "P_nan",
        "P_inf",
        "P_negative",
        "P_row_sum_high",
        "P_row_sum_low",
        "P_wrong_n_states",
        "P_wrong_n_actions",
        "P_wrong_rank",
        "P_time_dependent_without_horizon",
        "P_horizon_mismatch",
        "P_non_numeric",
        "sparse_P_wrong_shape",
        "sparse_P_negative",
        "sparse_P_not_normalised",
        "R_nan",
        "R_inf",
        "R_wrong_rank",
        "gamma_and_horizon",
        "no_criterion",
        "gamma_out_of_range",
        "gamma_wrong_type",
        "horizon_out_of_range",
        "horizon_wrong_type",
        "initial_not_normalised",
        "initial_negative",
        "initial_wrong_length",
        "initial_nan",
        "terminal_wrong_dtype",
        "terminal_wrong_shape",
        "terminal_not_absorbing",
    }
    assert expected_mdp <= set(MDP_CORRUPTIONS)
    expected_policy = {
        "action_out_of_range",
        "float_deterministic_shape",
        "negative_probability",
        "row_sum_high",
        "row_sum_low",
        "wrong_n_states",
        "time_dependent_mismatch",
        "bool_dtype",
    }
    assert expected_policy <= set(POLICY_CORRUPTIONS)
    with pytest.raises(ValueError, match="^kinds"):
        corrupted_mdp_kwargs(kinds=["no_such_corruption"])
    with pytest.raises(ValueError, match="^kinds"):
        corrupted_policies(FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=0.0), kinds=[])


def test_corruptions_of_one_row_sum_by_exactly_one_part_in_a_million():
    """The row-sum corruptions include the near miss 1 - 1e-6 (the spec's example)."""

    def is_near_miss(case):
        kwargs, _, _ = case
        P = kwargs["P"].toarray() if sp.issparse(kwargs["P"]) else np.asarray(kwargs["P"])
        sums = P.reshape(-1, P.shape[-1]).sum(axis=1)
        return np.isclose(sums.min(), 1 - 1e-6, rtol=0, atol=1e-12)

    assert any(map(is_near_miss, sample(corrupted_mdp_kwargs(kinds="P_row_sum_low"), 100)))
    assert any(map(is_near_miss, sample(corrupted_mdp_kwargs(kinds="sparse_P_not_normalised"), 100)))


# ---------------------------------------------------------------------------------
# hygiene: randomness, imports
# ---------------------------------------------------------------------------------
@settings(max_examples=min(settings.default.max_examples, 10))
@given(data=st.data())
def test_strategies_never_touch_global_numpy_randomness(data):
    before = np.random.get_state()[1].copy()
    mdp = data.draw(finite_mdps())
    data.draw(policies(mdp))
    data.draw(value_functions(mdp))
    data.draw(datasets(mdp=mdp))
    data.draw(corrupted_mdp_kwargs())
    data.draw(corrupted_policies(mdp))
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_import_rlcore_does_not_import_the_testing_module():
    code = "import sys, rlcore; print('rlcore.testing' in sys.modules, 'hypothesis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_missing_hypothesis_gives_an_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # makes "import hypothesis" fail
    monkeypatch.delitem(sys.modules, "rlcore.testing")
    with pytest.raises(ImportError, match=r'light hypothesis extra: pip install "rlref\[hypothesis\]"'):
        importlib.import_module("rlcore.testing")
    assert "rlcore.testing" not in sys.modules


# ---------------------------------------------------------------------------------
# pasteable failing examples, dense only, the light extra
# ---------------------------------------------------------------------------------
#: What a user's test module has imported when it pastes a printed example.
PASTE_NAMESPACE = {"np": np, "sp": sp, "FiniteMDP": FiniteMDP}


def assert_same_mdp(a: FiniteMDP, b: FiniteMDP) -> None:
    """Equal value for value: layout, P, R, criterion, initial and terminal."""
    assert type(b) is FiniteMDP and a.is_sparse == b.is_sparse
    Pa, Pb = (m.P.toarray() if m.is_sparse else np.asarray(m.P) for m in (a, b))
    assert Pa.shape == Pb.shape and Pa.dtype == Pb.dtype == np.float64 and np.array_equal(Pa, Pb)
    assert a.R.shape == b.R.shape and np.array_equal(a.R, b.R)
    assert (a.gamma, a.horizon) == (b.gamma, b.horizon)
    assert np.array_equal(a.initial, b.initial) and np.array_equal(a.terminal, b.terminal)


@settings(max_examples=200, deadline=None)
@given(finite_mdps(with_terminal=None, reward_scale=st.sampled_from([1.0, 1e-7, 3.3e5])))
def test_the_repr_of_a_drawn_mdp_rebuilds_an_equal_mdp(mdp):
    code = repr(mdp)
    bare = code.replace("sp.csr_array(np.array(", "").replace("np.array(", "")
    assert code.startswith("FiniteMDP(P=") and "array(" not in bare  # no bare numpy repr
    again = eval(code, dict(PASTE_NAMESPACE))
    assert_same_mdp(mdp, again)
    assert constructor_call(again) == code  # the plain MDP prints the same call


def test_every_kind_of_mdp_round_trips_through_its_repr():
    mdps = sample(finite_mdps(with_terminal=None), 300)
    kinds = {
        "sparse": lambda m: m.is_sparse,
        "dense": lambda m: not m.is_sparse,
        "time-dependent P": lambda m: not m.is_sparse and m.P.ndim == 4,
        "initial given": lambda m: "initial=" in repr(m),
        "terminal given": lambda m: "terminal=" in repr(m),
    }
    assert never_seen(mdps, kinds) == []
    for m in mdps:
        assert_same_mdp(m, eval(repr(m), dict(PASTE_NAMESPACE)))


def test_a_failing_example_prints_as_a_constructor_call_to_paste():
    @settings(max_examples=200, database=None, derandomize=True, deadline=None)
    @given(finite_mdps(n_states=st.integers(2, 4)))
    def users_test(mdp):
        assert mdp.R.max() <= 0.5  # a property that fails

    with pytest.raises(AssertionError) as info:
        users_test()
    report = "\n".join(getattr(info.value, "__notes__", []))
    lines = [ln.strip() for ln in report.splitlines() if ln.strip().startswith("mdp=")]
    assert len(lines) == 1, report
    code = lines[0].removeprefix("mdp=").removesuffix(",")
    assert code.startswith("FiniteMDP(P=") and "_MDPParts" not in report and "kwargs()" not in report, report
    pasted = eval(code, dict(PASTE_NAMESPACE))
    assert pasted.R.max() > 0.5  # the pasted MDP reproduces the failure
    with pytest.raises(AssertionError):
        users_test.hypothesis.inner_test(pasted)


def test_constructor_call_is_exact_and_checks_its_argument():
    P = np.zeros((2, 2, 2))
    P[:, :, 1] = 0.1
    P[:, :, 0] = 0.9
    R = np.array([[1 / 3, -0.0], [2.5e-300, 1e300]])
    mdp = FiniteMDP(sp.csr_matrix(P.reshape(4, 2)), R, horizon=3, initial=[0.3, 0.7], terminal=None)
    code = constructor_call(mdp)
    assert code.startswith("FiniteMDP(P=sp.csr_array(np.array([[0.9, 0.1], ") and "0.3333333333333333" in code
    assert "horizon=3" in code and "initial=np.array([0.3, 0.7])" in code and "terminal" not in code
    assert_same_mdp(mdp, eval(code, dict(PASTE_NAMESPACE)))
    with pytest.raises(TypeError, match=r"^mdp\b"):
        constructor_call(P)


def test_a_large_drawn_mdp_prints_the_short_summary():
    from rlcore.testing.mdp_strategies import PASTE_LIMIT

    (small,) = sample(finite_mdps(n_states=10, n_actions=10, discounted=True, sparse=False), 1)
    assert small.P.size + small.R.size <= PASTE_LIMIT and repr(small).startswith("FiniteMDP(P=np.array(")
    for sparse in (False, True):
        (big,) = sample(finite_mdps(n_states=40, n_actions=10, discounted=True, sparse=sparse), 1)
        kind = "sparse" if sparse else "dense"
        assert repr(big) == f"FiniteMDP(S=40, A=10, gamma={big.gamma}, {kind})"
        assert_same_mdp(big, eval(constructor_call(big), dict(PASTE_NAMESPACE)))  # still available


def test_sparse_false_gives_dense_only_and_the_default_mixes_both():
    dense = sample(finite_mdps(sparse=False), 150)
    assert all(not m.is_sparse and isinstance(m.P, np.ndarray) for m in dense)
    assert all(m.P.shape[-3:] == (m.n_states, m.n_actions, m.n_states) for m in dense)
    mixed = sample(finite_mdps(), 150)
    assert never_seen(mixed, {"dense": lambda m: not m.is_sparse, "sparse": lambda m: m.is_sparse}) == []
    doc = finite_mdps.__doc__ or ""
    assert "mixes dense and sparse" in " ".join(doc.split()) and "sparse=False" in doc


#: Top-level modules of the ``test`` extra's heavy packages (reference libraries, type
#: checker): the light ``hypothesis`` extra does not install them.
HEAVY_TEST_EXTRA = ("mypy", "mdptoolbox", "quantecon", "sklearn", "QuantLib", "markovianbandit")


def test_the_light_hypothesis_extra_is_enough_for_the_strategies_and_contract_suites():
    pyproject = (ROOT_DIR / "pyproject.toml").read_text(encoding="utf-8").splitlines()
    (extra,) = [ln for ln in pyproject if ln.startswith("hypothesis = [")]  # the light extra
    requirements = [r.strip(' "') for r in extra.split("[", 1)[1].rstrip("]").split(",")]
    assert sorted(r.split(">")[0] for r in requirements) == ["hypothesis", "pytest"], extra
    code = f"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {HEAVY_TEST_EXTRA!r}:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
import rlcore.testing, tabular.testing
from hypothesis import given, settings
from rlcore.testing import finite_mdps
from tabular import value_iteration
@settings(max_examples=5, deadline=None)
@given(finite_mdps(sparse=False))
def t(mdp):
    value_iteration(mdp) if mdp.gamma is not None else None
t()
tabular.testing.check_result_interface(value_iteration)
tabular.testing.check_bounds_on_random_mdps(value_iteration, max_examples=3)
print("ok", sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY_TEST_EXTRA!r}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT_DIR)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.split("\n")[-2] == "ok []", out.stdout
