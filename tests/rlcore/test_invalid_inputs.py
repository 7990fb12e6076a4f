"""Bad input gets a clear ``ValueError``/``TypeError`` naming the argument; nothing is fixed.

Property tests over :mod:`rlcore.testing`'s corrupted inputs: every corruption of a
valid MDP or policy must raise the expected exception whose message *starts with* the
argument's name (the library's convention, ``"P: each row must sum to 1 ..."``), at
every public entry point that takes it. Then the "nothing silently fixed" contract:
near-miss rows are rejected rather than renormalised, stored arrays are read-only
copies, and valid inputs never produce NaN or infinite outputs.

Known library defects are pinned by ``xfail(strict=True)`` tests, so that a fix turns
them into XPASS failures until the mark is removed.
"""

from __future__ import annotations

import re
from typing import Any
from collections.abc import Callable

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rlcore import (
    FiniteMDP,
    as_generator,
    bellman_expectation,
    bellman_optimality,
    epsilon_greedy,
    evaluate_policy,
    greedy,
    occupancy,
    q_from_v,
    rollout,
    softmax,
    uniform,
    validate_policy,
)
from rlcore.testing import (
    MDP_CORRUPTIONS,
    POLICY_CORRUPTIONS,
    corrupted_mdp_kwargs,
    corrupted_policies,
    finite_mdps,
    mdps_and_policies,
    value_functions,
)

#: Per-parametrised-case budget: the matrices below are large, each case stays small.
FEW = min(settings.default.max_examples, 15)


def names(argument: str) -> str:
    """Regex: the message starts with the argument's name (``"P: ..."``, ``"gamma, horizon: ..."``)."""
    return rf"^{re.escape(argument)}\b"


def t_arg(mdp: FiniteMDP) -> dict[str, int]:
    """The ``t`` keyword a one-step call on ``mdp`` needs (none when discounted)."""
    return {} if mdp.horizon is None else {"t": 0}


def rebuild(mdp: FiniteMDP, **override: Any) -> dict[str, Any]:
    """Fresh, writeable constructor arguments equal to ``mdp``'s (P in its own layout)."""
    kwargs: dict[str, Any] = {
        "P": sp.csr_array(mdp.P.toarray()) if mdp.is_sparse else np.array(mdp.P),
        "R": np.array(mdp.R),
        "initial": np.array(mdp.initial),
        "terminal": np.array(mdp.terminal),
    }
    kwargs["gamma" if mdp.is_discounted else "horizon"] = mdp.gamma if mdp.is_discounted else mdp.horizon
    kwargs.update(override)
    return kwargs


def dense_rows(mdp: FiniteMDP) -> np.ndarray:
    P = mdp.P.toarray() if mdp.is_sparse else np.array(mdp.P)
    return P.reshape(-1, mdp.n_states)


# =================================================================================
# FiniteMDP(**kwargs)
# =================================================================================
@pytest.mark.parametrize("kind", MDP_CORRUPTIONS)
@settings(max_examples=FEW)
@given(data=st.data())
def test_finite_mdp_rejects_each_corruption_naming_the_argument(data, kind):
    kwargs, argument, exception = data.draw(corrupted_mdp_kwargs(kinds=kind))
    with pytest.raises(exception, match=names(argument)):
        FiniteMDP(**kwargs)


@given(corrupted_mdp_kwargs(n_states=st.integers(1, 6), n_actions=st.integers(1, 4)))
def test_finite_mdp_rejects_corruptions_of_larger_mdps(case):
    kwargs, argument, exception = case
    with pytest.raises(exception, match=names(argument)):
        FiniteMDP(**kwargs)


# =================================================================================
# policies, at every entry point that takes one
# =================================================================================
POLICY_ENTRY_POINTS: dict[str, Callable[[FiniteMDP, Any], Any]] = {
    "validate_policy": lambda mdp, pi: validate_policy(pi, mdp.n_states, mdp.n_actions, mdp.horizon),
    "evaluate_policy": lambda mdp, pi: evaluate_policy(mdp, pi),
    "occupancy": lambda mdp, pi: occupancy(mdp, pi),
    "rollout": lambda mdp, pi: rollout(mdp, pi, 2, max_steps=3, rng=0),
    "bellman_expectation": lambda mdp, pi: bellman_expectation(mdp, pi, np.zeros(mdp.n_states), **t_arg(mdp)),
}


@pytest.mark.parametrize("entry_point", list(POLICY_ENTRY_POINTS))
@pytest.mark.parametrize("kind", POLICY_CORRUPTIONS)
@settings(max_examples=min(FEW, 8))
@given(data=st.data())
def test_corrupted_policies_are_rejected_everywhere(data, kind, entry_point):
    mdp = data.draw(finite_mdps(n_states=st.integers(1, 4), n_actions=st.integers(1, 3)))
    policy, argument, exception = data.draw(corrupted_policies(mdp, kinds=kind))
    with pytest.raises(exception, match=names(argument)):
        POLICY_ENTRY_POINTS[entry_point](mdp, policy)


@given(
    bad=st.sampled_from(
        [
            ("n_states", 0, ValueError),
            ("n_states", -1, ValueError),
            ("n_states", "2", TypeError),
            ("n_states", 2.0, TypeError),
            ("n_actions", 0, ValueError),
            ("n_actions", "2", TypeError),
            ("horizon", 0, ValueError),
            ("horizon", 2.5, TypeError),
        ]
    )
)
def test_validate_policy_checks_its_size_arguments(bad):
    argument, value, exception = bad
    sizes: dict[str, Any] = {"n_states": 2, "n_actions": 2, "horizon": None, argument: value}
    policy = np.zeros((0, 2), dtype=np.int64) if argument == "horizon" else np.array([0, 1])
    with pytest.raises(exception, match=names(argument)):
        validate_policy(policy, **sizes)


# =================================================================================
# rollout
# =================================================================================
@given(
    pair=mdps_and_policies(),
    bad=st.sampled_from(
        [
            (0, ValueError),
            (-1, ValueError),
            (-10, ValueError),
            (1.0, TypeError),
            (2.5, TypeError),
            (True, TypeError),
            ("2", TypeError),
            (None, TypeError),
        ]
    ),
)
def test_rollout_rejects_bad_n_episodes(pair, bad):
    mdp, pi = pair
    value, exception = bad
    with pytest.raises(exception, match=names("n_episodes")):
        rollout(mdp, pi, value, max_steps=3, rng=0)


@given(pair=mdps_and_policies(mdps=finite_mdps(discounted=True)))
def test_rollout_needs_max_steps_for_a_discounted_mdp(pair):
    mdp, pi = pair
    with pytest.raises(ValueError, match=names("max_steps")):
        rollout(mdp, pi, 2, rng=0)


@given(
    pair=mdps_and_policies(),
    bad=st.sampled_from([(0, ValueError), (-3, ValueError), (2.0, TypeError), (True, TypeError), ("5", TypeError)]),
)
def test_rollout_rejects_bad_max_steps(pair, bad):
    mdp, pi = pair
    value, exception = bad
    with pytest.raises(exception, match=names("max_steps")):
        rollout(mdp, pi, 2, max_steps=value, rng=0)


BAD_RNGS = [
    ("seed", TypeError),
    (1.5, TypeError),
    (True, TypeError),
    (np.bool_(False), TypeError),
    ([0], TypeError),
    (np.random.RandomState(0), TypeError),
    (np.random.SeedSequence(0), TypeError),
    (np.random.PCG64(0), TypeError),
    (-1, ValueError),
    (np.int64(-7), ValueError),
]


@given(pair=mdps_and_policies(), bad=st.sampled_from(BAD_RNGS))
def test_rollout_rejects_bad_rng(pair, bad):
    mdp, pi = pair
    value, exception = bad
    with pytest.raises(exception, match=names("rng")):
        rollout(mdp, pi, 2, max_steps=3, rng=value)


@given(mdp=finite_mdps(), bad=st.sampled_from([("out_of_range", ValueError), ("float", TypeError)]))
def test_rollout_checks_the_actions_of_a_callable_policy(mdp, bad):
    kind, exception = bad

    def policy(states: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        return states * 0 + mdp.n_actions if kind == "out_of_range" else states * 0.0

    with pytest.raises(exception, match=names("actions")):
        rollout(mdp, policy, 2, max_steps=3, rng=0)


# =================================================================================
# the simulator interface: FiniteMDP.step / reset
# =================================================================================
@st.composite
def bad_steps(draw: Any) -> tuple[FiniteMDP, dict[str, Any], str, type[Exception]]:
    """A valid ``step`` call on a drawn MDP with exactly one argument broken."""
    mdp = draw(finite_mdps())
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    n = draw(st.integers(1, 5))
    states = draw(hnp.arrays(np.int64, n, elements=st.integers(0, S - 1)))
    actions = draw(hnp.arrays(np.int64, n, elements=st.integers(0, A - 1)))
    call: dict[str, Any] = {"states": states, "actions": actions, "rng": 0, **t_arg(mdp)}
    i = draw(st.integers(0, n - 1))
    kind = draw(
        st.sampled_from(
            [
                "action_high",
                "action_negative",
                "action_float",
                "action_bool",
                "action_shape",
                "action_2d",
                "state_high",
                "state_float",
                "state_2d",
                "t_missing",
                "t_out_of_range",
                "t_float",
                "rng",
            ]
        )
    )
    if kind == "action_high":
        actions[i] = A + draw(st.integers(0, 3))
        return mdp, call, "actions", ValueError
    if kind == "action_negative":
        actions[i] = -draw(st.integers(1, 3))
        return mdp, call, "actions", ValueError
    if kind == "action_float":
        return mdp, {**call, "actions": actions.astype(np.float64)}, "actions", TypeError
    if kind == "action_bool":
        return mdp, {**call, "actions": actions > 0}, "actions", TypeError
    if kind == "action_shape":
        wrong = np.append(actions, 0) if draw(st.booleans()) else actions[1:]
        return mdp, {**call, "actions": wrong}, "actions", ValueError
    if kind == "action_2d":
        return mdp, {**call, "actions": actions[:, None]}, "actions", ValueError
    if kind == "state_high":
        states[i] = S + draw(st.integers(0, 3))
        return mdp, call, "states", ValueError
    if kind == "state_float":
        return mdp, {**call, "states": states.astype(np.float64)}, "states", TypeError
    if kind == "state_2d":
        return mdp, {**call, "states": states[None, :]}, "states", ValueError
    if kind == "rng":
        value, exception = draw(st.sampled_from(BAD_RNGS))
        return mdp, {**call, "rng": value}, "rng", exception
    if H is None:  # the t corruptions that apply to a discounted MDP
        if kind == "t_float":
            return mdp, {**call, "t": 0.0}, "t", TypeError
        return mdp, {**call, "t": -draw(st.integers(1, 3))}, "t", ValueError
    if kind == "t_missing":
        return mdp, {k: v for k, v in call.items() if k != "t"}, "t", ValueError
    if kind == "t_out_of_range":
        return mdp, {**call, "t": draw(st.sampled_from([H, H + 1, -1]))}, "t", ValueError
    return mdp, {**call, "t": draw(st.sampled_from([0.0, True, "0"]))}, "t", TypeError


@given(bad_steps())
def test_step_rejects_bad_arguments(case):
    mdp, call, argument, exception = case
    with pytest.raises(exception, match=names(argument)):
        mdp.step(**call)


@given(
    mdp=finite_mdps(),
    bad=st.sampled_from(
        [(-1, ValueError), (-100, ValueError), (1.0, TypeError), (True, TypeError), ("3", TypeError), (None, TypeError)]
    ),
)
def test_reset_rejects_bad_n(mdp, bad):
    value, exception = bad
    with pytest.raises(exception, match=names("n")):
        mdp.reset(value, rng=0)


@given(mdp=finite_mdps(), bad=st.sampled_from(BAD_RNGS))
def test_reset_rejects_bad_rng(mdp, bad):
    value, exception = bad
    with pytest.raises(exception, match=names("rng")):
        mdp.reset(3, rng=value)


# =================================================================================
# Bellman helpers
# =================================================================================
BELLMAN = {
    "q_from_v": lambda mdp, V, **kw: q_from_v(mdp, V, **kw),
    "bellman_optimality": lambda mdp, V, **kw: bellman_optimality(mdp, V, **kw),
    "bellman_expectation": lambda mdp, V, **kw: bellman_expectation(
        mdp, uniform(getattr(mdp, "n_states", 1), getattr(mdp, "n_actions", 1)), V, **kw
    ),
}


@st.composite
def bad_values(draw: Any) -> tuple[FiniteMDP, Any, type[Exception]]:
    mdp = draw(finite_mdps())
    V = draw(value_functions(mdp))
    S = mdp.n_states
    kind = draw(st.sampled_from(["longer", "shorter", "2d", "scalar", "nan", "inf", "string", "object", "bool"]))
    if kind == "longer":
        return mdp, np.append(V, 0.0), ValueError
    if kind == "shorter":
        return mdp, V[:-1], ValueError
    if kind == "2d":
        return mdp, V[None, :], ValueError
    if kind == "scalar":
        return mdp, 0.0, ValueError
    if kind in ("nan", "inf"):
        V[draw(st.integers(0, S - 1))] = np.nan if kind == "nan" else draw(st.sampled_from([np.inf, -np.inf]))
        return mdp, V, ValueError
    if kind == "string":
        return mdp, "V", TypeError
    if kind == "object":
        return mdp, V.astype(object), TypeError
    return mdp, V > 0, TypeError


@pytest.mark.parametrize("function", list(BELLMAN))
@settings(max_examples=FEW)
@given(case=bad_values())
def test_bellman_helpers_reject_bad_value_functions(function, case):
    mdp, V, exception = case
    with pytest.raises(exception, match=names("V")):
        BELLMAN[function](mdp, V, **t_arg(mdp))


@pytest.mark.parametrize("function", list(BELLMAN))
@settings(max_examples=FEW)
@given(data=st.data())
def test_bellman_helpers_need_a_valid_t_under_a_finite_horizon(function, data):
    mdp = data.draw(finite_mdps(discounted=False))
    V = data.draw(value_functions(mdp))
    H = mdp.horizon
    t, exception = data.draw(
        st.sampled_from(
            [
                (None, ValueError),
                (H, ValueError),
                (H + 2, ValueError),
                (-1, ValueError),
                (0.0, TypeError),
                (True, TypeError),
            ]
        )
    )
    with pytest.raises(exception, match=names("t")):
        BELLMAN[function](mdp, V, t=t)


@pytest.mark.parametrize("function", list(BELLMAN))
def test_bellman_helpers_need_a_finite_mdp(function):
    for not_an_mdp in (None, "mdp", np.ones((1, 1, 1))):
        with pytest.raises(TypeError, match=names("mdp")):
            BELLMAN[function](not_an_mdp, np.zeros(1))


# =================================================================================
# policy constructors
# =================================================================================
@st.composite
def bad_q(draw: Any) -> tuple[Any, type[Exception]]:
    Q = draw(hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 3)), elements=st.floats(-5, 5)))
    kind = draw(st.sampled_from(["nan", "inf", "1d", "4d", "no_actions", "no_states", "string", "bool", "ragged"]))
    if kind in ("nan", "inf"):
        Q.reshape(-1)[draw(st.integers(0, Q.size - 1))] = np.nan if kind == "nan" else np.inf
        return Q, ValueError
    if kind == "1d":
        return Q.ravel(), ValueError
    if kind == "4d":
        return Q[None, None], ValueError
    if kind == "no_actions":
        return Q[:, :0], ValueError
    if kind == "no_states":
        return Q[:0], ValueError
    if kind == "bool":
        return Q > 0, TypeError
    if kind == "ragged":
        return [[0.0, 1.0], [0.0]], TypeError
    return "Q", TypeError


CONSTRUCTORS = {
    "greedy": lambda Q: greedy(Q),
    "epsilon_greedy": lambda Q: epsilon_greedy(Q, 0.1),
    "softmax": lambda Q: softmax(Q, 1.0),
}


@pytest.mark.parametrize("constructor", list(CONSTRUCTORS))
@settings(max_examples=FEW)
@given(case=bad_q())
def test_policy_constructors_reject_bad_q(constructor, case):
    Q, exception = case
    with pytest.raises(exception, match=names("Q")):
        CONSTRUCTORS[constructor](Q)


@given(
    Q=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 3)), elements=st.floats(-5, 5)),
    bad=st.sampled_from(
        [
            (-0.1, ValueError),
            (-1e-12, ValueError),
            (1.0 + 1e-12, ValueError),
            (1.5, ValueError),
            (np.nan, ValueError),
            (np.inf, ValueError),
            (-np.inf, ValueError),
            (None, TypeError),
            (True, TypeError),
            ([0.5], TypeError),
            (np.array([0.5]), TypeError),
        ]
    ),
)
def test_epsilon_greedy_rejects_epsilon_outside_the_unit_interval(Q, bad):
    value, exception = bad
    with pytest.raises(exception, match=names("epsilon")):
        epsilon_greedy(Q, value)


@given(
    Q=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 3)), elements=st.floats(-5, 5)),
    bad=st.sampled_from(
        [
            (0.0, ValueError),
            (-0.0, ValueError),
            (-1.0, ValueError),
            (np.nan, ValueError),
            (np.inf, ValueError),
            (-np.inf, ValueError),
            (None, TypeError),
            (False, TypeError),
            ([1.0], TypeError),
        ]
    ),
)
def test_softmax_rejects_non_positive_or_non_finite_temperature(Q, bad):
    value, exception = bad
    with pytest.raises(exception, match=names("temperature")):
        softmax(Q, value)


@given(
    which=st.sampled_from(["epsilon", "temperature"]),
    value=st.sampled_from(["0.5", "abc", b"0.5", 0.5 + 0j]),
)
def test_epsilon_and_temperature_reject_strings_and_complex(which, value):
    Q = np.zeros((2, 2))
    with pytest.raises(TypeError, match=names(which)):
        epsilon_greedy(Q, value) if which == "epsilon" else softmax(Q, value)


@given(
    bad=st.sampled_from(
        [
            ({"n_states": 0}, "n_states", ValueError),
            ({"n_states": -2}, "n_states", ValueError),
            ({"n_states": 2.0}, "n_states", TypeError),
            ({"n_actions": 0}, "n_actions", ValueError),
            ({"n_actions": True}, "n_actions", TypeError),
            ({"horizon": 0}, "horizon", ValueError),
            ({"horizon": 1.0}, "horizon", TypeError),
        ]
    )
)
def test_uniform_rejects_bad_sizes(bad):
    override, argument, exception = bad
    sizes = {"n_states": 2, "n_actions": 2, "horizon": None, **override}
    with pytest.raises(exception, match=names(argument)):
        uniform(**sizes)


# =================================================================================
# as_generator
# =================================================================================
@given(bad=st.sampled_from(BAD_RNGS), name=st.sampled_from(["rng", "seed", "random_state"]))
def test_as_generator_rejects_everything_but_generators_seeds_and_none(bad, name):
    value, exception = bad
    with pytest.raises(exception, match=names(name)):
        as_generator(value, name=name)


def test_as_generator_accepts_the_documented_inputs_without_global_state():
    gen = np.random.default_rng(3)
    assert as_generator(gen) is gen
    state = np.random.get_state()[1].copy()
    a = as_generator(np.uint64(5)).random(4)
    b = as_generator(5).random(4)
    np.testing.assert_array_equal(a, b)  # same seed, same stream, whatever the integer type
    assert isinstance(as_generator(None), np.random.Generator)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


# =================================================================================
# nothing is silently fixed
# =================================================================================
@settings(max_examples=min(settings.default.max_examples, 30))
@given(mdp=finite_mdps(), delta=st.sampled_from([1e-6, -1e-6]), data=st.data())
def test_near_miss_rows_are_rejected_not_renormalised(mdp, delta, data):
    rows = dense_rows(mdp)
    i = data.draw(st.integers(0, rows.shape[0] - 1))
    rows[i, np.argmax(rows[i])] += delta  # the row now sums to 1 + delta
    P = rows.reshape(mdp.P.shape) if not mdp.is_sparse else sp.csr_array(rows)
    with pytest.raises(ValueError, match=names("P")):
        FiniteMDP(**rebuild(mdp, P=P))
    # With a wider tolerance it is accepted, and stored exactly as given: no renormalisation.
    loose = FiniteMDP(**rebuild(mdp, P=P, atol=1e-5))
    np.testing.assert_array_equal(dense_rows(loose), rows)
    assert abs(dense_rows(loose)[i].sum() - (1.0 + delta)) < 1e-12


@settings(max_examples=min(settings.default.max_examples, 30))
@given(mdp=finite_mdps(n_states=st.integers(2, 6)), delta=st.sampled_from([1e-6, -1e-6]))
def test_near_miss_initial_distribution_is_rejected_not_renormalised(mdp, delta):
    mu = np.array(mdp.initial)
    mu[np.argmax(mu)] += delta
    with pytest.raises(ValueError, match=names("initial")):
        FiniteMDP(**rebuild(mdp, initial=mu))
    np.testing.assert_array_equal(FiniteMDP(**rebuild(mdp, initial=mu, atol=1e-5)).initial, mu)
    with pytest.raises(ValueError, match=names("initial")):
        occupancy(mdp, uniform(mdp.n_states, mdp.n_actions), initial=mu)


@settings(max_examples=min(settings.default.max_examples, 30))
@given(pair=mdps_and_policies(deterministic=False), delta=st.sampled_from([1e-6, -1e-6]), data=st.data())
def test_near_miss_policy_rows_are_rejected_not_renormalised(pair, delta, data):
    mdp, pi = pair
    rows = pi.reshape(-1, mdp.n_actions)
    i = data.draw(st.integers(0, rows.shape[0] - 1))
    rows[i, np.argmax(rows[i])] += delta
    with pytest.raises(ValueError, match=names("policy")):
        evaluate_policy(mdp, pi)
    out = validate_policy(pi, mdp.n_states, mdp.n_actions, mdp.horizon, atol=1e-5)
    np.testing.assert_array_equal(out, pi)


@pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")
@settings(max_examples=min(settings.default.max_examples, 30))
@given(finite_mdps(with_terminal=None))
def test_stored_arrays_are_read_only(mdp):
    arrays = [mdp.R, mdp.initial, mdp.terminal]
    arrays += [mdp.P.data, mdp.P.indices, mdp.P.indptr] if mdp.is_sparse else [mdp.P]
    for arr in arrays:
        assert not arr.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            arr.reshape(-1)[0] = arr.reshape(-1)[0]
    if mdp.is_sparse:  # writing through the matrix interface fails too
        with pytest.raises(ValueError, match="read-only"):
            mdp.P[0, 0] = 0.5


@settings(max_examples=min(settings.default.max_examples, 30))
@given(finite_mdps(with_terminal=None))
def test_stored_arrays_are_copies_of_the_callers(mdp):
    kwargs = rebuild(mdp)
    built = FiniteMDP(**kwargs)
    before = {
        "P": dense_rows(built).copy(),
        "R": np.array(built.R),
        "initial": np.array(built.initial),
        "terminal": np.array(built.terminal),
    }
    # The caller's arrays stay writeable, and writing to them does not reach the MDP.
    P_in = kwargs["P"].data if mdp.is_sparse else kwargs["P"]
    for arr in (P_in, kwargs["R"], kwargs["initial"], kwargs["terminal"]):
        assert arr.flags.writeable
    P_in[...] = 7.0
    kwargs["R"][...] = np.nan
    kwargs["initial"][...] = -1.0
    kwargs["terminal"][...] = ~kwargs["terminal"]
    np.testing.assert_array_equal(dense_rows(built), before["P"])
    np.testing.assert_array_equal(built.R, before["R"])
    np.testing.assert_array_equal(built.initial, before["initial"])
    np.testing.assert_array_equal(built.terminal, before["terminal"])


@settings(max_examples=min(settings.default.max_examples, 30))
@given(mdps_and_policies())
def test_validated_policies_are_read_only_copies(pair):
    mdp, pi = pair
    out = validate_policy(pi, mdp.n_states, mdp.n_actions, mdp.horizon)
    assert not out.flags.writeable and not np.shares_memory(out, pi)
    saved = out.copy()
    pi[...] = 0
    np.testing.assert_array_equal(out, saved)


def test_finite_mdp_attributes_cannot_be_rebound():
    P = np.ones((2, 1, 2)) / 2
    mdp = FiniteMDP(P, np.zeros((2, 1)), gamma=0.5)
    for attribute, value in (("gamma", 2.0), ("horizon", 0), ("P", "x"), ("R", None), ("initial", None)):
        with pytest.raises(AttributeError):
            setattr(mdp, attribute, value)


# =================================================================================
# valid input never yields NaN (or infinite) output
# =================================================================================
@given(mdps_and_policies())
def test_evaluation_and_occupancy_are_finite_and_agree(pair):
    mdp, pi = pair
    ev = evaluate_policy(mdp, pi)
    d = occupancy(mdp, pi)
    assert np.all(np.isfinite(ev.V)) and np.all(np.isfinite(ev.Q))
    assert np.all(np.isfinite(d)) and np.all(d >= 0)
    S, A = mdp.n_states, mdp.n_actions
    if mdp.is_discounted:
        assert d.shape == (S, A)
        np.testing.assert_allclose(d.sum(), 1.0 / (1.0 - mdp.gamma), rtol=1e-9)
        value_from_d = float(np.sum(d * mdp.R))
        scale = 1.0 / (1.0 - mdp.gamma)
    else:
        H = mdp.horizon
        assert d.shape == (H, S, A)
        np.testing.assert_allclose(d.sum(axis=(1, 2)), 1.0, rtol=0, atol=1e-9)
        value_from_d = float(sum(np.sum(d[t] * mdp.rewards_at(t)) for t in range(H)))
        scale = float(H)
    # Puterman (1994) Thm 6.9.1: the occupancy measure prices rewards like the value function.
    np.testing.assert_allclose(value_from_d, ev.expected_return(mdp.initial), rtol=1e-8, atol=1e-9 * scale)


@given(data=st.data())
def test_bellman_outputs_are_finite(data):
    mdp = data.draw(finite_mdps())
    V = data.draw(value_functions(mdp, bound=1e6))
    kw = t_arg(mdp)
    assert np.all(np.isfinite(q_from_v(mdp, V, **kw)))
    assert np.all(np.isfinite(bellman_optimality(mdp, V, **kw)))


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@given(
    Q=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(1, 4)),
        elements=st.floats(allow_nan=False, allow_infinity=False),
    ),
    temperature=st.floats(min_value=1e-300, max_value=1e300),
    epsilon=st.floats(0.0, 1.0),
)
def test_policy_constructors_give_finite_stochastic_rows_for_any_finite_q(Q, temperature, epsilon):
    for pi in (softmax(Q, temperature), epsilon_greedy(Q, epsilon)):
        assert np.all(np.isfinite(pi)) and np.all(pi >= 0)
        np.testing.assert_allclose(pi.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    g = greedy(Q)
    assert np.all(Q[np.arange(Q.shape[0]), g] == Q.max(axis=1))


@pytest.mark.parametrize("criterion", [{"gamma": 0.9}, {"horizon": 3}])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_evaluate_policy_overflow_is_an_error_naming_the_rewards(criterion, sparse):
    """Finite but huge rewards whose values overflow float64 (V would be +inf, -inf and NaN)."""
    P = np.zeros((3, 1, 3))
    P[0, 0, 0] = P[1, 0, 1] = 1.0
    P[2, 0, :2] = 0.5
    R = np.array([[1e308], [-1e308], [0.0]])
    mdp = FiniteMDP(sp.csr_array(P.reshape(3, 3)) if sparse else P, R, **criterion)
    with pytest.raises((ValueError, OverflowError, FloatingPointError), match=r"^(R|mdp)\b"):
        evaluate_policy(mdp, np.zeros(3, dtype=np.int64))


@pytest.mark.parametrize("function", list(BELLMAN))
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_bellman_backup_overflow_is_an_error(function):
    P = np.full((2, 1, 2), 0.5)
    mdp = FiniteMDP(P, np.full((2, 1), 1e308), horizon=2)
    with pytest.raises(ValueError, match=r"^(R|V)\b"):
        BELLMAN[function](mdp, np.full(2, 1e308), t=0)
