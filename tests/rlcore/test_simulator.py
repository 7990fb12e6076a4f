"""The batched simulator of FiniteMDP and rollout: sampling laws, Monte Carlo agreement
with exact evaluation, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings

from rlcore import FiniteMDP, Simulator, evaluate_policy, rollout, uniform
from rlcore.testing import finite_mdps, mdps_and_policies

Z = 5.0  # two-sided normal tail at 5 sd: 5.7e-7 per check


def _binomial_ok(counts, n, p):
    """Every count within Z binomial standard deviations (+1 for lattice effects)."""
    sd = np.sqrt(n * p * (1 - p))
    return np.all(np.abs(counts - n * p) <= Z * sd + 1.0)


def _random_mdp(S, A, seed, **kw):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S, A))
    P[0, 0] = 0.0
    P[0, 0, S - 1] = 1.0  # a deterministic row
    return FiniteMDP(P, rng.random((S, A)), **kw)


def test_finite_mdp_is_a_simulator():
    assert isinstance(_random_mdp(3, 2, 0, gamma=0.5), Simulator)


@pytest.mark.parametrize("sparse", [False, True])
def test_step_samples_transition_law(sparse):
    S, A, n = 6, 3, 60_000
    mdp = _random_mdp(S, A, 1, gamma=0.9)
    if sparse:
        mdp = FiniteMDP(sp.csr_array(mdp.P.reshape(S * A, S)), mdp.R, gamma=0.9)
    for s, a in [(0, 0), (2, 1), (5, 2)]:
        nxt, rew, term = mdp.step(np.full(n, s), np.full(n, a), rng=s * 7 + a)
        counts = np.bincount(nxt, minlength=S)
        p = mdp.P[s, a] if not sparse else mdp.P[[s * A + a]].toarray().ravel()
        assert _binomial_ok(counts, n, p), (counts, n * p)
        assert np.all(counts[p == 0] == 0)  # zero-probability outcomes never drawn
        np.testing.assert_array_equal(rew, mdp.R[s, a])
        assert not term.any()


def test_reset_samples_initial_law():
    init = np.array([0.5, 0.0, 0.2, 0.3])
    mdp = FiniteMDP(np.full((4, 1, 4), 0.25), np.zeros((4, 1)), gamma=0.5, initial=init)
    s = mdp.reset(50_000, rng=3)
    assert s.dtype == np.int64 and s.shape == (50_000,)
    assert _binomial_ok(np.bincount(s, minlength=4), 50_000, init)
    assert np.all(s != 1)


def test_dense_and_sparse_sample_identically():
    """Same seed, same draws: the dense and sparse paths invert the same CDF."""
    S, A = 7, 2
    mdp = _random_mdp(S, A, 2, gamma=0.9)
    smdp = FiniteMDP(sp.csr_array(mdp.P.reshape(S * A, S)), mdp.R, gamma=0.9)
    states = np.arange(S).repeat(50)
    actions = np.tile([0, 1], states.size // 2)
    a, b = mdp.step(states, actions, rng=11), smdp.step(states, actions, rng=11)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@given(mdps_and_policies(finite_mdps(discounted=True)))
@settings(max_examples=20)
def test_rollout_monte_carlo_matches_exact_value_discounted(pair):
    """CLT check: |mean return - mu V| <= Z sd/sqrt(n) + truncation bias.

    Returns are truncated after T steps; the neglected tail is at most
    gamma^T max|R| / (1 - gamma).
    """
    mdp, pi = pair
    n, g = 2000, mdp.gamma
    T = int(np.ceil(np.log(1e-6) / np.log(g))) + 1 if g > 0 else 1
    data = rollout(mdp, pi, n, max_steps=T, rng=12345)
    returns = data.episode_returns(gamma=g)
    exact = mdp.initial @ evaluate_policy(mdp, pi).V
    bias = g**T * np.max(np.abs(mdp.R)) / (1 - g)
    sd = returns.std(ddof=1)
    assert abs(returns.mean() - exact) <= Z * sd / np.sqrt(n) + bias + 1e-9


@given(mdps_and_policies(finite_mdps(discounted=False)))
@settings(max_examples=20)
def test_rollout_monte_carlo_matches_exact_value_finite_horizon(pair):
    mdp, pi = pair
    n = 2000
    data = rollout(mdp, pi, n, rng=54321)
    assert np.all(data.episode_lengths() == mdp.horizon)
    assert data.terminated.sum() == n and not data.truncated.any()
    returns = data.episode_returns()
    exact = mdp.initial @ evaluate_policy(mdp, pi).V[0]
    sd = returns.std(ddof=1)
    assert abs(returns.mean() - exact) <= Z * sd / np.sqrt(n) + 1e-9


def test_rollout_structure_and_reproducibility():
    mdp = _random_mdp(5, 3, 4, gamma=0.9)
    pi = uniform(5, 3)
    a = rollout(mdp, pi, 7, max_steps=4, rng=1)
    b = rollout(mdp, pi, 7, max_steps=4, rng=1)
    c = rollout(mdp, pi, 7, max_steps=4, rng=2)
    assert a.equals(b) and not a.equals(c)
    assert len(a) == 28 and a.n_episodes == 7
    np.testing.assert_array_equal(a.timesteps, np.tile(np.arange(4), 7))
    np.testing.assert_array_equal(a.episode_ids, np.repeat(np.arange(7), 4))
    assert a.truncated.sum() == 7 and not a.terminated.any()
    # consecutive transitions chain: next observation of step t is observation of t+1
    same_ep = a.episode_ids[1:] == a.episode_ids[:-1]
    np.testing.assert_array_equal(a.observations[1:][same_ep], a.next_observations[:-1][same_ep])
    np.testing.assert_array_equal(a.rewards, mdp.R[a.observations, a.actions])


def test_rollout_stops_episodes_at_terminal_states():
    # chain 0 -> 1 -> 2 (terminal, absorbing, zero reward)
    P = np.zeros((3, 1, 3))
    P[0, 0, 1] = 1.0
    P[1, 0, 2] = 1.0
    P[2, 0, 2] = 1.0
    R = np.array([[1.0], [2.0], [0.0]])
    mdp = FiniteMDP(P, R, gamma=0.5, initial=[1.0, 0.0, 0.0], terminal=np.array([False, False, True]))
    data = rollout(mdp, np.zeros(3, dtype=int), 3, max_steps=10, rng=0)
    assert np.all(data.episode_lengths() == 2)
    assert data.terminated.sum() == 3 and not data.truncated.any()
    np.testing.assert_allclose(data.episode_returns(0.5), 1.0 + 0.5 * 2.0)


def test_stochastic_policy_action_frequencies():
    S, A, n = 2, 3, 30_000
    pi = np.array([[0.2, 0.0, 0.8], [0.5, 0.25, 0.25]])
    mdp = FiniteMDP(np.full((S, A, S), 0.5), np.zeros((S, A)), gamma=0.5, initial=[1.0, 0.0])
    data = rollout(mdp, pi, n, max_steps=1, rng=9)
    assert _binomial_ok(np.bincount(data.actions, minlength=A), n, pi[0])


def test_time_dependent_simulation_uses_step_t():
    # P_0 moves to state 1, P_1 moves to state 0; rewards differ by time.
    P = np.zeros((2, 2, 1, 2))
    P[0, :, 0, 1] = 1.0
    P[1, :, 0, 0] = 1.0
    R = np.array([[[1.0], [1.0]], [[10.0], [10.0]]])
    mdp = FiniteMDP(P, R, horizon=2, initial=[1.0, 0.0])
    data = rollout(mdp, np.zeros(2, dtype=int), 2, rng=0)
    np.testing.assert_array_equal(data.next_observations, [1, 0, 1, 0])
    np.testing.assert_array_equal(data.rewards, [1.0, 10.0, 1.0, 10.0])
    np.testing.assert_allclose(evaluate_policy(mdp, np.zeros(2, dtype=int)).V[0], [11.0, 11.0])


def test_callable_policy_and_bad_outputs():
    mdp = _random_mdp(3, 2, 5, gamma=0.9)
    data = rollout(mdp, lambda s, t, rng: np.ones_like(s), 4, max_steps=3, rng=0)
    assert np.all(data.actions == 1)
    with pytest.raises(ValueError, match="policy"):
        rollout(mdp, lambda s, t, rng: np.ones(1, dtype=int), 4, max_steps=3, rng=0)
