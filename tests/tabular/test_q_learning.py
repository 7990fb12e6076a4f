"""Tests of tabular.q_learning (finite-horizon, epsilon-greedy Q-learning).

Independent sources: backward induction (tabular.backward_induction) for Q* and V*;
exact policy evaluation (rlcore.evaluate_policy) for the value of the learned policy;
a hand-written discounted backward recursion; the closed form of the ``(H+1)/(H+n)``
step size for ``H = 1`` (weights ``2 i / (n (n + 1))``); a step-counting simulator
wrapper for the reported step counts.
"""

from __future__ import annotations

import numpy as np
import pytest

from rlcore import FiniteMDP, evaluate_policy
from rlcore.generators import combination_lock, random_mdp
from rlcore.validation import InvalidParameterError
from tabular.finite_horizon import backward_induction
from tabular.q_learning import q_learning


def _value(mdp: FiniteMDP, pi: np.ndarray) -> float:
    return float(evaluate_policy(mdp, pi).V[0] @ mdp.initial)


def _shift_mdp(S: int, H: int, seed: int, gamma_free: bool = True) -> FiniteMDP:
    """Deterministic MDP, action a moves s -> (s + a) mod S, uniform start: every (t, s)
    is reachable, so sampled backward induction can make every Q[t, s, a] exact."""
    A = 2
    P = np.zeros((S, A, S))
    for s in range(S):
        for a in range(A):
            P[s, a, (s + a) % S] = 1.0
    R = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(S, A))
    return FiniteMDP(P, R, horizon=H, initial=np.full(S, 1.0 / S))


class _Counting:
    """Wraps a simulator and counts the transitions it simulates."""

    def __init__(self, sim):
        self.sim = sim
        self.n_states, self.n_actions, self.horizon = sim.n_states, sim.n_actions, sim.horizon
        self.steps = 0
        self.resets = 0

    def reset(self, n, rng=None):
        self.resets += n
        return self.sim.reset(n, rng)

    def step(self, states, actions, rng=None, *, t=None):
        self.steps += len(states)
        return self.sim.step(states, actions, rng, t=t)


# ------------------------------------------------------------------ correctness
def test_exact_q_star_with_unit_step_size_on_deterministic_mdp():
    # lr = 1 and uniform exploration: Q[t] is exact once updated after Q[t+1] became
    # exact; 3000 episodes of 4 steps over 6*2 pairs per step is far more than needed.
    mdp = _shift_mdp(6, 4, seed=3)
    res = q_learning(
        mdp, horizon=4, n_states=6, n_actions=2, n_episodes=3000, learning_rate=1.0, epsilon=1.0, n_envs=8, rng=0
    )
    ref = backward_induction(mdp)
    np.testing.assert_allclose(res.Q, ref.Q, rtol=0, atol=1e-12)
    assert _value(mdp, res.policy) == pytest.approx(float(ref.V[0] @ mdp.initial), abs=1e-12)


def test_exact_discounted_q_with_unit_step_size():
    S, H, gamma = 5, 3, 0.7
    mdp = _shift_mdp(S, H, seed=11)
    res = q_learning(
        mdp, horizon=H, n_states=S, n_actions=2, n_episodes=2000, learning_rate=1.0, epsilon=1.0, gamma=gamma, rng=1
    )
    # hand-written discounted backward recursion (independent of the library's DP)
    P, R = mdp.P, mdp.R
    Q = np.zeros((H, S, 2))
    v = np.zeros(S)
    for t in range(H - 1, -1, -1):
        for s in range(S):
            for a in range(2):
                Q[t, s, a] = R[s, a] + gamma * P[s, a] @ v
        v = Q[t].max(axis=1)
    np.testing.assert_allclose(res.Q, Q, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_learned_policy_is_optimal_on_random_mdps(seed):
    # stochastic transitions, Jin et al. step size. Budget: 30000 episodes; the learned
    # greedy policy must be optimal (value equal to V* of backward induction), and the
    # Q-table within 0.1 of Q* (observed max error ~0.04 at these seeds).
    mdp = random_mdp(5, 2, horizon=3, rng=100 + seed)
    ref = backward_induction(mdp)
    res = q_learning(mdp, horizon=3, n_states=5, n_actions=2, n_episodes=30000, epsilon=0.3, n_envs=100, rng=seed)
    assert _value(mdp, res.policy) == pytest.approx(float(ref.V[0] @ mdp.initial), abs=1e-9)
    reach = np.ones(5, dtype=bool)  # random_mdp starts uniformly: every state is reachable at t = 0
    assert np.max(np.abs(res.Q[0, reach] - ref.Q[0, reach])) < 0.1


def test_solves_combination_lock_and_counts_steps():
    lock = combination_lock(5, 2, combination=[1, 0, 1, 1, 0])
    sim = _Counting(lock)
    res = q_learning(sim, horizon=5, n_states=7, n_actions=2, n_episodes=2000, epsilon=0.2, n_envs=4, rng=0)
    assert _value(lock, res.policy) == 1.0
    assert res.n_episodes == 2000 == sim.resets
    assert res.n_steps == sim.steps
    assert res.eval_values.size == 0 and res.episodes_to_target is None


def test_jin_step_size_closed_form_for_horizon_one():
    # H = 1, one state, one action: alpha_n = 2 / (n + 1) makes Q_n a linearly weighted
    # mean, Q_n = 2 / (n (n + 1)) * sum_i i r_i (product of (1 - alpha_j) telescopes).
    class Noisy:
        n_states, n_actions, horizon = 1, 1, 1

        def __init__(self):
            self.rewards = []

        def reset(self, n, rng=None):
            return np.zeros(n, dtype=np.int64)

        def step(self, states, actions, rng=None, *, t=None):
            r = rng.normal(size=len(states))
            self.rewards.extend(r.tolist())
            return states.copy(), r, np.ones(len(states), dtype=bool)

    sim = Noisy()
    n = 37
    res = q_learning(sim, horizon=1, n_states=1, n_actions=1, n_episodes=n, rng=5)
    r = np.asarray(sim.rewards)
    i = np.arange(1, n + 1)
    assert res.Q[0, 0, 0] == pytest.approx(2.0 / (n * (n + 1)) * np.sum(i * r), rel=1e-12)
    # constant step size: exponential moving average from initial_q
    sim2 = Noisy()
    res2 = q_learning(sim2, horizon=1, n_states=1, n_actions=1, n_episodes=n, learning_rate=0.25, initial_q=2.0, rng=5)
    r2 = np.asarray(sim2.rewards)
    w = 0.25 * 0.75 ** (n - i)
    assert res2.Q[0, 0, 0] == pytest.approx(2.0 * 0.75**n + np.sum(w * r2), rel=1e-12)


def test_same_seed_same_result_and_seeds_matter():
    mdp = random_mdp(4, 3, horizon=3, rng=7)
    kw = dict(horizon=3, n_states=4, n_actions=3, n_episodes=200, n_envs=3)
    a = q_learning(mdp, rng=42, **kw)
    b = q_learning(mdp, rng=np.random.default_rng(42), **kw)
    c = q_learning(mdp, rng=43, **kw)
    np.testing.assert_array_equal(a.Q, b.Q)
    np.testing.assert_array_equal(a.policy, b.policy)
    assert not np.array_equal(a.Q, c.Q)


# ------------------------------------------------------------------ evaluation hook
def test_early_stopping_at_target_matches_history():
    lock = combination_lock(4, 2, combination=[0, 1, 1, 0])
    seen = []

    def ev(pi):
        seen.append(pi.copy())
        return _value(lock, pi)

    res = q_learning(
        lock,
        horizon=4,
        n_states=6,
        n_actions=2,
        n_episodes=5000,
        epsilon=0.3,
        n_envs=7,
        rng=3,
        evaluate=ev,
        eval_every=10,
        target_value=1.0,
    )
    assert res.episodes_to_target is not None
    hist = res.eval_values
    first = int(np.flatnonzero(hist >= 1.0 - 1e-6)[0])
    assert first == hist.size - 1  # stopped at the first success
    assert res.episodes_to_target == res.eval_episodes[first] == res.n_episodes
    assert res.steps_to_target == res.eval_steps[first] == res.n_steps
    np.testing.assert_array_equal(res.eval_episodes, 10 * np.arange(1, hist.size + 1))
    assert np.all(np.diff(res.eval_steps) > 0)
    assert res.reached_target
    # the recorded values are the exact values of the policies passed to evaluate
    assert len(seen) == hist.size
    np.testing.assert_allclose([_value(lock, p) for p in seen], hist)
    np.testing.assert_array_equal(seen[-1], res.policy)


def test_unreached_target_runs_the_whole_budget():
    lock = combination_lock(3, 2, combination=[0, 1, 1])
    ev = lambda pi: _value(lock, pi)  # noqa: E731
    res = q_learning(
        lock,
        horizon=3,
        n_states=5,
        n_actions=2,
        n_episodes=95,
        n_envs=4,
        rng=0,
        evaluate=ev,
        eval_every=20,
        target_value=2.0,
    )
    assert res.episodes_to_target is None and res.steps_to_target is None
    assert not res.reached_target
    assert res.n_episodes == 95
    np.testing.assert_array_equal(res.eval_episodes, [20, 40, 60, 80, 95])  # plus the final one
    # a target within target_atol counts as reached
    res2 = q_learning(
        lock,
        horizon=3,
        n_states=5,
        n_actions=2,
        n_episodes=2000,
        n_envs=4,
        rng=0,
        evaluate=ev,
        eval_every=20,
        target_value=1.5,
        target_atol=0.5,
    )
    assert res2.episodes_to_target is not None and res2.eval_values[-1] == 1.0


# ------------------------------------------------------------------ argument errors
@pytest.mark.parametrize(
    "kwargs, exc, word",
    [
        ({"horizon": 0}, ValueError, "horizon"),
        ({"horizon": 4}, ValueError, "horizon"),  # longer than the lock's horizon 3
        ({"n_episodes": 0}, ValueError, "n_episodes"),
        ({"n_episodes": 2.5}, TypeError, "n_episodes"),
        ({"epsilon": 1.5}, ValueError, "epsilon"),
        ({"epsilon": -0.1}, ValueError, "epsilon"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"learning_rate": 1.5}, ValueError, "learning_rate"),
        ({"learning_rate": "sqrt"}, ValueError, "learning_rate"),
        ({"gamma": 0.0}, ValueError, "gamma"),
        ({"gamma": 1.1}, ValueError, "gamma"),
        ({"n_actions": 3}, ValueError, "n_actions"),
        ({"n_states": 4}, ValueError, "n_states"),
        ({"n_envs": 0}, ValueError, "n_envs"),
        ({"initial_q": float("nan")}, ValueError, "initial_q"),
        ({"evaluate": 3}, TypeError, "evaluate"),
        ({"target_value": 1.0}, ValueError, "target_value"),  # no evaluate
        ({"eval_every": 5}, ValueError, "eval_every"),  # no evaluate
        ({"evaluate": lambda pi: 0.0, "eval_every": 0}, ValueError, "eval_every"),
        ({"evaluate": lambda pi: 0.0, "target_atol": -1.0}, ValueError, "target_atol"),
        ({"evaluate": lambda pi: float("nan")}, ValueError, "evaluate"),
        ({"evaluate": lambda pi: "high"}, TypeError, "evaluate"),
        # no NaN, no bool for a number, no unbounded budget
        ({"epsilon": float("nan")}, ValueError, "epsilon"),
        ({"target_atol": float("nan"), "evaluate": lambda pi: 0.0}, ValueError, "target_atol"),
        ({"target_value": float("nan"), "evaluate": lambda pi: 0.0}, ValueError, "target_value"),
        ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
        ({"learning_rate": None}, TypeError, "learning_rate"),
        ({"gamma": True}, TypeError, "gamma"),
        ({"n_episodes": 2**63}, ValueError, "n_episodes"),
        ({"n_envs": 10**8}, ValueError, "n_envs"),
        ({"n_states": 10**9}, ValueError, "n_states"),
        ({"rng": -1}, ValueError, "rng"),
    ],
)
def test_argument_errors_name_the_argument(kwargs, exc, word):
    lock = combination_lock(3, 2, combination=[0, 1, 1])
    args = dict(horizon=3, n_states=5, n_actions=2, n_episodes=10, rng=0)
    args.update(kwargs)
    with pytest.raises(exc, match=rf"^{word}\b"):
        q_learning(lock, **args)


def test_an_overflowing_q_table_is_refused_by_name():
    # finite rewards of 1e308 sum beyond float64 over three steps: the Q-table held inf (and NaN after
    # inf - inf) and its greedy policy was returned as if learned
    lock = combination_lock(3, 2, combination=[0, 1, 1], reward=1e308, digit_reward=1e308)
    with pytest.raises(InvalidParameterError, match=r"^sim: the Q-table overflowed"):
        q_learning(lock, horizon=3, n_states=5, n_actions=2, n_episodes=20, learning_rate=1.0, epsilon=1.0, rng=0)


def test_simulator_errors():
    with pytest.raises(TypeError, match=r"^sim\b"):
        q_learning(object(), horizon=2, n_states=2, n_actions=2, n_episodes=3)

    class NoStates:  # a simulator without n_states needs the argument
        n_actions = 2

        def reset(self, n, rng=None):
            return np.zeros(n, dtype=np.int64)

        def step(self, states, actions, rng=None, *, t=None):
            return np.full(len(states), 7), np.zeros(len(states)), np.zeros(len(states), bool)

    with pytest.raises(TypeError, match=r"^n_states\b"):  # required: the simulator has no n_states
        q_learning(NoStates(), horizon=2, n_states=None, n_actions=2, n_episodes=3)
    with pytest.raises(ValueError, match=r"^sim: states must lie in \[0, n_states\) = \[0, 3\)"):  # next state 7
        q_learning(NoStates(), horizon=2, n_states=3, n_actions=2, n_episodes=3)
