"""Policy constructors and validation against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rlcore import as_stochastic, epsilon_greedy, greedy, softmax, uniform, validate_policy

q_tables = st.tuples(st.integers(1, 5), st.integers(1, 5)).flatmap(
    lambda sa: arrays(np.float64, sa, elements=st.floats(-1e3, 1e3))
)


@given(q_tables)
def test_greedy_attains_max_and_breaks_ties_low(Q):
    pi = greedy(Q)
    np.testing.assert_array_equal(Q[np.arange(Q.shape[0]), pi], Q.max(axis=1))
    for s, a in enumerate(pi):
        assert not np.any(Q[s, :a] == Q[s, a])


@given(q_tables, st.floats(0.0, 1.0))
def test_epsilon_greedy_closed_form(Q, eps):
    pi = epsilon_greedy(Q, eps)
    A = Q.shape[1]
    validate_policy(pi, Q.shape[0], A)
    g = greedy(Q)
    expected = np.full(Q.shape, eps / A)
    expected[np.arange(Q.shape[0]), g] += 1 - eps
    np.testing.assert_allclose(pi, expected, atol=1e-15)


@given(q_tables, st.floats(1e-3, 1e3))
def test_softmax_closed_form_and_stability(Q, tau):
    pi = softmax(Q, tau)
    assert np.all(np.isfinite(pi))
    validate_policy(pi, Q.shape[0], Q.shape[1])
    # log-ratio identity: log pi(a) - log pi(b) = (Q(a) - Q(b)) / tau where both are representable
    ok = pi > 1e-300
    for s in range(Q.shape[0]):
        a, b = np.flatnonzero(ok[s])[[0, -1]]
        np.testing.assert_allclose(np.log(pi[s, a]) - np.log(pi[s, b]), (Q[s, a] - Q[s, b]) / tau, atol=1e-8)


def test_softmax_large_values_do_not_overflow():
    pi = softmax([[1e6, 1e6 - np.log(3.0)]], 1.0)
    np.testing.assert_allclose(pi, [[0.75, 0.25]])


def test_time_dependent_constructors():
    Q = np.arange(12, dtype=float).reshape(2, 3, 2)
    assert greedy(Q).shape == (2, 3)
    assert softmax(Q).shape == (2, 3, 2)
    assert uniform(3, 2, horizon=2).shape == (2, 3, 2)
    validate_policy(greedy(Q), 3, 2, horizon=2)


def test_as_stochastic_round_trip():
    pi = np.array([[0, 1, 1], [1, 0, 0]])
    onehot = as_stochastic(pi, 2)
    np.testing.assert_array_equal(greedy(onehot), pi)
    assert onehot.sum(axis=-1).tolist() == [[1, 1, 1], [1, 1, 1]]


def test_validate_policy_returns_read_only_copy():
    src = np.array([[0.5, 0.5]])
    out = validate_policy(src, 1, 2)
    assert not out.flags.writeable
    src[0, 0] = 0.0
    assert out[0, 0] == 0.5


@pytest.mark.parametrize(
    "policy, kw, exc, match",
    [
        (np.array([0.0, 1.0]), {}, TypeError, "integer array"),
        (np.array([True, False]), {}, TypeError, "dtype bool"),
        (np.array([0, 5]), {}, ValueError, r"\[0, 2\)"),
        (np.array([[0.5, 0.6], [1.0, 0.0]]), {}, ValueError, "sum to 1"),
        (np.array([[1.5, -0.5], [1.0, 0.0]]), {}, ValueError, "non-negative"),
        (np.zeros((3, 2), dtype=int), {}, ValueError, "finite-horizon"),
        (np.full((2, 2, 2), 0.5), {"horizon": 3}, ValueError, r"\(3, 2, 2\)"),
        (np.array([[np.nan, 1.0], [1.0, 0.0]]), {}, ValueError, "finite"),
    ],
)
def test_validate_policy_errors(policy, kw, exc, match):
    with pytest.raises(exc, match=match):
        validate_policy(policy, 2, 2, **kw)


# ------------------------------------------------------------ issue 17: one validation layer
def test_validate_policy_errors_name_the_callers_argument():
    from rlcore.validation import InvalidParameterError, InvalidParameterTypeError

    with pytest.raises(InvalidParameterTypeError, match=r"^pi: expected an int array"):
        validate_policy(np.array([True, False]), 2, 2, name="pi")
    with pytest.raises(InvalidParameterError, match=r"^pi: actions must lie in \[0, 2\)"):
        validate_policy([0, 2], 2, 2, name="pi")
    with pytest.raises(InvalidParameterTypeError, match=r"^pi: expected a policy array, got the scalar"):
        validate_policy(1.5, 2, 2, name="pi")
    with pytest.raises(InvalidParameterError, match=r"^atol: "):
        validate_policy([0, 1], 2, 2, atol=0.5)


@pytest.mark.parametrize(
    "policy, n_actions, exc, pattern",
    [
        (np.array([0, 5]), 2, ValueError, r"^policy: actions must lie in \[0, 2\)"),  # was an IndexError
        (np.array([-1, 0]), 2, ValueError, r"^policy: actions must lie"),  # was a silent wrap-around
        (np.full((2, 3), 1 / 3), 2, ValueError, r"^policy: a stochastic policy has shape \(S, 2\)"),  # was returned
        (np.array([[0.5, 0.6]]), 2, ValueError, r"^policy: each row must sum to 1"),  # was returned as is
        (np.array([[np.nan, 1.0]]), 2, ValueError, r"^policy: entries must be finite"),
        (np.array([True, False]), 2, TypeError, r"^policy: expected an int array"),
        (np.array([0, 1]), 0, ValueError, r"^n_actions: "),
    ],
)
def test_as_stochastic_refuses_what_it_used_to_pass_through(policy, n_actions, exc, pattern):
    with pytest.raises(exc, match=pattern):
        as_stochastic(policy, n_actions)


def test_is_deterministic_refuses_non_policies():
    from rlcore import is_deterministic

    with pytest.raises(TypeError, match="^policy: "):
        is_deterministic(np.array([True]))  # used to answer False
    assert is_deterministic([0, 1]) and not is_deterministic([[0.5, 0.5]])


def test_uniform_table_size_is_bounded():
    """uniform(10**6, 10**6) used to try to allocate 8 TB."""
    with pytest.raises(ValueError, match=r"^n_states: a table of shape \(1000000, 1000000\)"):
        uniform(10**6, 10**6)
