"""The episode engine: exact regret, the two paths, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from rlcore import FiniteMDP, evaluate_policy
from rlcore.generators import random_mdp, river_swim
from rlcore.validation import InvalidParameterError
from tabular.exploration import ExplorationResult, OnlineLearner, UCBVI, explore

FIELDS = ("pseudo_regret", "returns", "value_estimates", "optimism_margins", "initial_states")


class RandomPolicies:
    """A user-defined learner: a fresh random policy each episode, recorded."""

    name = "random policies"
    value_estimate = None

    def __init__(self, n_states: int, n_actions: int, horizon: int) -> None:
        self.n_states, self.n_actions, self.horizon = n_states, n_actions, horizon
        self.policies: list[np.ndarray] = []
        self.lengths: list[int] = []

    def reset(self) -> None:
        self.policies = []
        self.lengths = []

    def begin_episode(self, episode: int, rng: np.random.Generator) -> np.ndarray:
        pi = rng.integers(0, self.n_actions, size=(self.horizon, self.n_states))
        self.policies.append(pi)
        return pi

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        assert states.shape == (actions.shape[0] + 1,) and rewards.shape == actions.shape
        self.lengths.append(actions.shape[0])

    def regret_bound(self, n_episodes: int) -> None:
        return None


class Wrapped:
    """A simulator that is not a FiniteMDP (it delegates to one)."""

    def __init__(self, mdp: FiniteMDP, shift: int = 0, reward_scale: float = 1.0) -> None:
        self.mdp, self.shift, self.reward_scale = mdp, shift, reward_scale

    def reset(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.mdp.reset(n, rng) + self.shift

    def step(self, states, actions, rng, *, t=None):
        nxt, r, term = self.mdp.step(states - self.shift, actions, rng, t=t)
        return nxt + self.shift, r * self.reward_scale, term


def _with_terminal(H: int = 4) -> FiniteMDP:
    """A time-dependent random MDP whose last state is absorbing and terminal."""
    base = random_mdp(4, 2, horizon=H, time_dependent=True, rng=3)
    P = np.array(base.P, copy=True)
    R = np.array(base.R, copy=True)
    P[:, 3] = 0.0
    P[:, 3, :, 3] = 1.0
    R[:, 3] = 0.0
    return FiniteMDP(P, R, horizon=H, terminal=[False, False, False, True])


def test_recorded_regret_equals_evaluate_policy():
    mdp = _with_terminal()
    learner = RandomPolicies(4, 2, 4)
    res = explore(mdp, learner, 40, rng=5)
    assert res.engine == "python"
    from tabular import backward_induction

    v_star = float(mdp.initial @ backward_induction(mdp).V[0])
    assert res.optimal_value == pytest.approx(v_star, abs=1e-12)
    expected = [v_star - float(mdp.initial @ evaluate_policy(mdp, pi).V[0]) for pi in learner.policies]
    np.testing.assert_allclose(res.pseudo_regret[0], expected, rtol=0, atol=1e-12)
    assert min(learner.lengths) < 4  # the terminal state cut some episodes short


@pytest.mark.parametrize("bonus", ["hoeffding", "bernstein"])
@pytest.mark.parametrize("stage_dependent", [False, True])
def test_compiled_and_python_paths_are_bit_identical(bonus, stage_dependent):
    mdp = _with_terminal()
    learner = UCBVI(4, 2, 4, bonus=bonus, c=0.1, stage_dependent=stage_dependent)
    a = explore(mdp, learner, 150, n_runs=3, rng=11, engine="compiled")
    Q_compiled = learner.Q.copy()
    b = explore(mdp, learner, 150, n_runs=3, rng=11, engine="python")
    assert (a.engine, b.engine) == ("compiled", "python")
    for f in FIELDS:
        assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True), f
    assert np.array_equal(Q_compiled, learner.Q)


def test_any_simulator_with_a_reference_gives_the_same_run():
    mdp = river_swim(5, horizon=6)
    learner = UCBVI(5, 2, 6, c=0.2)
    a = explore(mdp, learner, 60, n_runs=2, rng=2)
    b = explore(Wrapped(mdp), learner, 60, n_runs=2, rng=2, reference=mdp)
    for f in FIELDS:
        assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True), f
    c = explore(Wrapped(mdp), learner, 60, rng=2)
    assert np.all(np.isnan(c.pseudo_regret)) and np.array_equal(c.returns[0], a.returns[0])


def test_a_reference_other_than_env_scores_on_the_reference():
    """Simulate one MDP, score on another: the auto engine takes the protocol path."""
    env = river_swim(5, horizon=6)
    other = FiniteMDP(np.array(env.P), np.array(env.R) * 0.5, horizon=6, initial=env.initial)
    learner = UCBVI(5, 2, 6, c=0.2)
    res = explore(env, learner, 30, rng=4, reference=other)
    assert res.engine == "python"
    same = explore(Wrapped(env), learner, 30, rng=4, reference=other)
    for f in FIELDS:
        assert np.array_equal(getattr(res, f), getattr(same, f), equal_nan=True), f
    with pytest.raises(InvalidParameterError, match="^engine"):
        explore(env, learner, 3, rng=4, reference=other, engine="compiled")


def test_realised_regret_is_unbiased_for_pseudo_regret():
    """E[V*(s_0) - G] = V*(rho) - V^pi(rho) per episode: the mean gap over runs is noise only."""
    mdp = random_mdp(3, 2, horizon=5, rng=4)
    res = explore(mdp, RandomPolicies(3, 2, 5), 50, n_runs=400, rng=8)
    gap = res.realised_regret()[:, -1] - res.cumulative_regret()[:, -1]
    se = gap.std(ddof=1) / np.sqrt(gap.size)
    assert abs(gap.mean()) < 4 * se  # a 4-sigma budget: fails with probability < 1e-4


def test_result_curves_against_closed_forms():
    K = 10_000
    per = 1.0 / np.sqrt(np.arange(1, K + 1))  # cumulative ~ 2 sqrt(K): slope 1/2
    res = ExplorationResult(
        learner="x", pseudo_regret=np.stack([per, 3 * per]), returns=np.zeros((2, K)),
        value_estimates=np.full((2, K), np.nan), optimism_margins=np.full((2, K), np.nan),
        initial_states=np.zeros((2, K), np.int64), optimal_values=np.zeros(1), optimal_value=0.0,
        bound=None, horizon=1, engine="python",
    )  # fmt: skip
    assert res.regret_slope() == pytest.approx(0.5, abs=0.01)
    mean, lo, hi = res.regret_band(0.95)
    c = np.cumsum(per)
    np.testing.assert_allclose(mean, 2 * c)
    # two runs c and 3c: sd = sqrt(2) c, se = c, z = 1.95996
    np.testing.assert_allclose(hi - mean, 1.959963984540054 * c, rtol=1e-9)
    assert res.n_runs == 2 and res.n_episodes == K


def test_protocol_is_runtime_checkable():
    assert isinstance(RandomPolicies(2, 2, 2), OnlineLearner)
    assert isinstance(UCBVI(2, 2, 2), OnlineLearner)
    assert not isinstance(object(), OnlineLearner)


@pytest.mark.parametrize(
    ("env", "learner", "kwargs", "name"),
    [
        (river_swim(4, horizon=5), UCBVI(4, 2, 6), {}, "env"),  # horizon mismatch
        (river_swim(4, gamma=0.9), UCBVI(4, 2, 5), {}, "env"),  # discounted
        (FiniteMDP(np.ones((1, 1, 1)), [[2.0]], horizon=2), UCBVI(1, 1, 2), {}, "env"),  # reward above 1
        (Wrapped(river_swim(4, horizon=5), shift=10), UCBVI(4, 2, 5), {}, "env"),  # states outside [0, S)
        (Wrapped(river_swim(4, horizon=5), reward_scale=-1.0), UCBVI(4, 2, 5), {}, "env"),  # rewards < 0
        (river_swim(4, horizon=5), object(), {}, "learner"),
        (river_swim(4, horizon=5), RandomPolicies(4, 2, 5), {"engine": "compiled"}, "engine"),
        (river_swim(4, horizon=5), UCBVI(4, 2, 5), {"n_runs": 0}, "n_runs"),
        (river_swim(4, horizon=5), UCBVI(4, 2, 5), {"reference": river_swim(4, gamma=0.5)}, "reference"),
    ],
)
def test_bad_input_names_the_argument(env, learner, kwargs, name):
    with pytest.raises((ValueError, TypeError), match=f"^{name}"):
        explore(env, learner, 3, rng=0, **kwargs)


def test_bad_policy_from_a_learner_is_refused():
    class Bad(RandomPolicies):
        def begin_episode(self, episode, rng):
            return np.full((self.horizon, self.n_states), self.n_actions)

    with pytest.raises(InvalidParameterError, match="^learner"):
        explore(river_swim(3, horizon=2), Bad(3, 2, 2), 2, rng=0)


@pytest.mark.parametrize(("kwargs", "name"), [({"n_episodes": 0}, "n_episodes"), ({"engine": "fast"}, "engine")])
def test_bad_scalars(kwargs, name):
    args = {"n_episodes": 3, **kwargs}
    with pytest.raises(ValueError, match=f"^{name}"):
        explore(river_swim(3, horizon=2), UCBVI(3, 2, 2), args.pop("n_episodes"), **args)
