"""Tests for rlcore.gym: simulators presented as Gymnasium environments.

Independent sources: Gymnasium's own ``check_env`` for the API contract, exact policy
evaluation (``rlcore.evaluate_policy``, a linear solve / backward recursion) for the
returns sampled through the adapter, and the single environment for the vector one.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from gymnasium import spaces
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode

from rlcore import FiniteMDP, as_generator, evaluate_policy
from rlcore.validation import InvalidParameterError, InvalidParameterTypeError
from rlcore.gym import SimulatorEnv, SimulatorVectorEnv, as_gymnasium_env

# Monte Carlo checks use |mean - v| <= Z * sd / sqrt(n) (+ truncation error); with
# Z = 4 the two-sided normal tail is 6.3e-5 per check, on fixed seeds.
Z = 4.0


# ---------------------------------------------------------------------- fixtures
def random_mdp(
    S: int,
    A: int,
    seed: int,
    *,
    gamma: float | None = None,
    horizon: int | None = None,
    time_dependent: bool = False,
    terminal: bool = False,
    sparse: bool = False,
) -> FiniteMDP:
    """A random MDP; with ``terminal`` the last state is absorbing with zero reward."""
    rng = np.random.default_rng(seed)
    lead = (horizon,) if time_dependent else ()
    P = rng.dirichlet(np.full(S, 0.5), size=(*lead, S, A))
    R = rng.uniform(-1.0, 1.0, size=(*lead, S, A))
    term = None
    if terminal:
        P[..., S - 1, :, :] = 0.0
        P[..., S - 1, :, S - 1] = 1.0
        R[..., S - 1, :] = 0.0
        term = np.zeros(S, dtype=bool)
        term[S - 1] = True
    initial = np.zeros(S)
    initial[: S - 1] = 1.0 / (S - 1)
    if sparse:
        P = sp.csr_array(P.reshape(S * A, S))
    return FiniteMDP(P, R, gamma=gamma, horizon=horizon, initial=initial, terminal=term)


class RandomWalk:
    """A 1-D walk with float state: ``x' = clip(x + 0.1 a + 0.05 eps, -1, 1)``.

    Reward ``-x'^2``; an episode terminates on reaching the boundary ``|x'| = 1``.
    Records the time index of every ``step`` call.
    """

    observation_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float64)
    action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float64)

    def __init__(self, horizon: int | None = None) -> None:
        if horizon is not None:
            self.horizon = horizon
        self.ts: list[Any] = []

    def reset(self, n: int, rng: Any = None) -> np.ndarray:
        return as_generator(rng).uniform(-0.5, 0.5, size=(n, 1))

    def step(self, states: Any, actions: Any, rng: Any = None, *, t: int | None = None):
        self.ts.append(t)
        gen = as_generator(rng)
        x = np.asarray(states, dtype=np.float64)
        a = np.asarray(actions, dtype=np.float64).reshape(x.shape)
        nxt = np.clip(x + 0.1 * a + 0.05 * gen.standard_normal(x.shape), -1.0, 1.0)
        return nxt, -(nxt[:, 0] ** 2), np.abs(nxt[:, 0]) >= 1.0


class Counting:
    """Delegates to a simulator and records each call (``n`` of resets, ``t`` of steps)."""

    def __init__(self, sim: Any) -> None:
        self._sim = sim
        self.resets: list[int] = []
        self.steps: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sim, name)

    def reset(self, n: int, rng: Any = None) -> np.ndarray:
        self.resets.append(n)
        return self._sim.reset(n, rng)

    def step(self, states: Any, actions: Any, rng: Any = None, *, t: int | None = None):
        self.steps.append(t)
        return self._sim.step(states, actions, rng, t=t)


def random_walk_env(**kwargs: Any) -> SimulatorEnv:
    return SimulatorEnv(
        RandomWalk(**kwargs), observation_space=RandomWalk.observation_space, action_space=RandomWalk.action_space
    )


# ---------------------------------------------------------------------- check_env
ENVS = {
    "discounted-dense": lambda: SimulatorEnv(random_mdp(5, 3, 0, gamma=0.9, terminal=True), max_episode_steps=50),
    "finite-horizon": lambda: SimulatorEnv(random_mdp(4, 2, 1, horizon=5, time_dependent=True)),
    "discounted-sparse": lambda: SimulatorEnv(random_mdp(6, 2, 2, gamma=0.95, sparse=True), max_episode_steps=20),
    "box-random-walk": lambda: random_walk_env(),
}


@pytest.mark.parametrize("name", sorted(ENVS))
def test_check_env_passes_without_warnings(name: str) -> None:
    env = ENVS[name]()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    # The only warning allowed: no EnvSpec, so check_env cannot try other render modes.
    unexpected = [str(w.message) for w in caught if "render modes" not in str(w.message)]
    assert unexpected == []


def test_observation_types() -> None:
    env = SimulatorEnv(random_mdp(3, 2, 0, gamma=0.5))
    obs, info = env.reset(seed=0)
    assert type(obs) is int and info == {"t": 0}
    obs, reward, term, trunc, info = env.step(np.int64(1))
    assert type(obs) is int and type(reward) is float and type(term) is bool and type(trunc) is bool
    env = random_walk_env()
    obs, _ = env.reset(seed=0)
    assert isinstance(obs, np.ndarray) and obs.shape == (1,) and obs.dtype == np.float64


def test_box_observations_cast_to_space_dtype() -> None:
    obs_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
    env = SimulatorEnv(RandomWalk(), observation_space=obs_space, action_space=RandomWalk.action_space)
    obs, _ = env.reset(seed=3)
    assert obs.dtype == np.float32 and obs in obs_space
    obs, *_ = env.step(np.array([0.5]))
    assert obs.dtype == np.float32 and obs in obs_space


# ---------------------------------------------------------------------- episode ends
def two_state_mdp(**kwargs: Any) -> FiniteMDP:
    """Action ``a`` moves deterministically to state ``a``; state 1 pays 1; start in 0."""
    P = np.zeros((2, 2, 2))
    P[:, 0, 0] = 1.0
    P[:, 1, 1] = 1.0
    return FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], initial=[1.0, 0.0], **kwargs)


def test_finite_horizon_terminates_at_horizon() -> None:
    env = SimulatorEnv(two_state_mdp(horizon=3), max_episode_steps=10)
    env.reset(seed=0)
    out = [env.step(1) for _ in range(3)]
    assert [o[1] for o in out] == [0.0, 1.0, 1.0]
    assert [(o[2], o[3], o[4]["t"]) for o in out] == [(False, False, 1), (False, False, 2), (True, False, 3)]


def test_generic_horizon_is_enforced_and_t_passed() -> None:
    sim = RandomWalk(horizon=3)
    env = SimulatorEnv(sim, observation_space=sim.observation_space, action_space=sim.action_space)
    env.reset(seed=0)
    flags = [env.step(np.zeros(1))[2] for _ in range(3)]
    assert flags == [False, False, True]  # |x| stays well inside (-1, 1) w.p. ~1 in 3 steps
    assert sim.ts == [0, 1, 2]


def test_truncation_and_termination_priority() -> None:
    P = np.zeros((3, 2, 3))
    P[0, 0, 0] = 1.0
    P[0, 1, 2] = 1.0
    P[1, :, 1] = 1.0
    P[2, :, 2] = 1.0
    mdp = FiniteMDP(P, np.zeros((3, 2)), gamma=0.9, initial=[1.0, 0.0, 0.0], terminal=np.array([False, False, True]))
    env = SimulatorEnv(mdp, max_episode_steps=2)
    env.reset(seed=0)
    assert env.step(0)[2:4] == (False, False)
    assert env.step(0)[2:4] == (False, True)  # time limit: truncated
    env.reset()
    assert env.step(0)[2:4] == (False, False)
    assert env.step(1)[:4] == (2, 0.0, True, False)  # terminal on the last allowed step: terminated only


# ---------------------------------------------------------------------- seeding
def trajectory(env: Any, seed: int, n_steps: int = 60) -> list[tuple]:
    """Observations, rewards and flags over several episodes; actions from a fixed stream."""
    act_rng = np.random.default_rng(12345)
    out = [env.reset(seed=seed)[0]]
    for _ in range(n_steps):
        obs, r, term, trunc, info = env.step(int(act_rng.integers(env.action_space.n)))
        out.append((obs, r, term, trunc, info["t"]))
        if term or trunc:
            out.append(env.reset()[0])
    return out


def test_same_seed_same_trajectory_different_seeds_differ() -> None:
    mdp = random_mdp(6, 3, 4, gamma=0.9, terminal=True)
    env1, env2 = SimulatorEnv(mdp, max_episode_steps=15), SimulatorEnv(mdp, max_episode_steps=15)
    assert trajectory(env1, 7) == trajectory(env2, 7)
    assert trajectory(env1, 7) == trajectory(env1, 7)  # reseeding restarts the stream
    # 60 transitions over 5 states with Dirichlet(0.5) rows: equal by chance w.p. << 1e-6
    assert trajectory(env1, 7) != trajectory(env1, 8)


def test_box_env_seeding() -> None:
    def run(seed: int) -> np.ndarray:
        env = random_walk_env()
        xs = [env.reset(seed=seed)[0]]
        xs += [env.step(np.array([0.3]))[0] for _ in range(5)]
        return np.concatenate(xs)

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))


# ---------------------------------------------------------------------- statistics
def test_discounted_returns_agree_with_exact_evaluation() -> None:
    mdp = random_mdp(5, 3, 11, gamma=0.8, terminal=True)
    pi = np.random.default_rng(5).dirichlet(np.ones(3), size=5)  # stochastic policy (S, A)
    v = evaluate_policy(mdp, pi).expected_return(mdp.initial)
    T, n = 40, 6000
    env = SimulatorEnv(mdp, max_episode_steps=T)
    act_rng = np.random.default_rng(6)
    env.reset(seed=2024)
    returns = np.empty(n)
    for k in range(n):
        obs, _ = env.reset()
        g, disc, done = 0.0, 1.0, False
        while not done:
            obs_next, r, term, trunc, _ = env.step(int(act_rng.choice(3, p=pi[obs])))
            g += disc * r
            disc *= mdp.gamma
            obs, done = obs_next, term or trunc
        returns[k] = g
    r_max = float(np.abs(mdp.R).max())
    bound = Z * returns.std(ddof=1) / np.sqrt(n) + mdp.gamma**T * r_max / (1 - mdp.gamma)
    assert abs(returns.mean() - v) <= bound, (returns.mean(), v, bound)


def test_finite_horizon_returns_agree_with_backward_recursion() -> None:
    H = 6
    mdp = random_mdp(4, 2, 12, horizon=H, time_dependent=True)
    pi = np.random.default_rng(8).integers(2, size=(H, 4))  # deterministic, time-dependent
    v = evaluate_policy(mdp, pi).expected_return(mdp.initial)
    n = 5000
    env = SimulatorEnv(mdp)
    env.reset(seed=99)
    returns = np.empty(n)
    for k in range(n):
        obs, info = env.reset()
        g, done = 0.0, False
        while not done:
            obs, r, term, trunc, info = env.step(int(pi[info["t"], obs]))
            g += r
            done = term or trunc
        assert info["t"] == H and term and not trunc
        returns[k] = g
    bound = Z * returns.std(ddof=1) / np.sqrt(n)  # no truncation: every episode runs H steps
    assert abs(returns.mean() - v) <= bound, (returns.mean(), v, bound)


def test_vector_env_returns_agree_with_exact_evaluation() -> None:
    """First K episodes of every sub-environment (an unbiased sample despite autoreset)."""
    mdp = random_mdp(5, 3, 13, gamma=0.8, terminal=True)
    pi = np.random.default_rng(9).dirichlet(np.ones(3), size=5)
    v = evaluate_policy(mdp, pi).expected_return(mdp.initial)
    N, K, T = 1000, 4, 40
    venv = SimulatorVectorEnv(mdp, N, max_episode_steps=T)
    cdf = np.cumsum(pi, axis=1)
    act_rng = np.random.default_rng(10)
    obs, _ = venv.reset(seed=77)
    g, disc = np.zeros(N), np.ones(N)
    returns: list[list[float]] = [[] for _ in range(N)]
    resetting = np.zeros(N, dtype=bool)
    while min(len(r) for r in returns) < K:
        u = act_rng.random(N)
        actions = np.minimum((u[:, None] > cdf[obs]).sum(axis=1), 2)
        obs, rew, term, trunc, _ = venv.step(actions)
        assert np.all(rew[resetting] == 0.0)
        g += np.where(resetting, 0.0, disc * rew)
        disc = np.where(resetting, 1.0, disc * mdp.gamma)
        done = term | trunc
        for i in np.flatnonzero(done):
            returns[i].append(g[i])
        g[done], disc[done] = 0.0, 1.0
        resetting = done
    sample = np.array([r[:K] for r in returns]).ravel()
    r_max = float(np.abs(mdp.R).max())
    bound = Z * sample.std(ddof=1) / np.sqrt(sample.size) + mdp.gamma**T * r_max / (1 - mdp.gamma)
    assert abs(sample.mean() - v) <= bound, (sample.mean(), v, bound)


# ---------------------------------------------------------------------- vector env
def test_vector_env_attributes_and_batched_types() -> None:
    mdp = random_mdp(5, 3, 0, gamma=0.9, terminal=True)
    venv = as_gymnasium_env(mdp, num_envs=7, max_episode_steps=4)
    assert isinstance(venv, SimulatorVectorEnv) and venv.num_envs == 7
    assert venv.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    assert venv.single_observation_space == spaces.Discrete(5)
    assert venv.single_action_space == spaces.Discrete(3)
    assert venv.observation_space == spaces.MultiDiscrete([5] * 7)
    assert venv.action_space == spaces.MultiDiscrete([3] * 7)
    obs, info = venv.reset(seed=0)
    assert obs.shape == (7,) and obs.dtype == np.int64 and obs in venv.observation_space
    np.testing.assert_array_equal(info["t"], np.zeros(7))
    venv.action_space.seed(0)
    for _ in range(10):
        obs, rew, term, trunc, info = venv.step(venv.action_space.sample())
        assert obs.shape == (7,) and obs.dtype == np.int64 and obs in venv.observation_space
        assert rew.shape == (7,) and rew.dtype == np.float64
        assert term.shape == trunc.shape == (7,) and term.dtype == trunc.dtype == bool
        assert info["t"].shape == (7,) and info["t"].dtype == np.int64 and info["_t"].all()


def test_vector_env_box_observations() -> None:
    venv = SimulatorVectorEnv(
        RandomWalk(),
        4,
        observation_space=RandomWalk.observation_space,
        action_space=RandomWalk.action_space,
        max_episode_steps=5,
    )
    assert venv.observation_space == spaces.Box(-1.0, 1.0, shape=(4, 1), dtype=np.float64)
    obs, _ = venv.reset(seed=0)
    assert obs.shape == (4, 1) and obs.dtype == np.float64 and obs in venv.observation_space
    obs2, rew, *_ = venv.step(np.full((4, 1), 0.5))
    assert obs2.shape == (4, 1) and obs2 in venv.observation_space and rew.shape == (4,)
    assert not np.shares_memory(obs, obs2)


def test_vector_env_with_one_copy_reproduces_single_env() -> None:
    """Same seed: the vector env's autoreset draws what SimulatorEnv.reset() draws."""
    mdp = random_mdp(6, 3, 21, horizon=8, time_dependent=True, terminal=True)
    env = SimulatorEnv(mdp, max_episode_steps=5)
    venv = SimulatorVectorEnv(mdp, 1, max_episode_steps=5)
    act_single, act_vector = np.random.default_rng(3), np.random.default_rng(3)
    single = [env.reset(seed=42)[0]]
    for _ in range(80):
        o, r, te, tr, info = env.step(int(act_single.integers(3)))
        single.append((o, r, te, tr, info["t"]))
        if te or tr:
            single.append(env.reset()[0])
    obs, _ = venv.reset(seed=42)
    vector, done, n_ends = [int(obs[0])], False, 0
    while len(vector) < len(single):
        if done:  # next-step autoreset: the action is ignored and the reset obs returned
            o, r, te, tr, info = venv.step(np.array([0]))
            assert (r[0], te[0], tr[0], info["t"][0]) == (0.0, False, False, 0)
            vector.append(int(o[0]))
            done = False
        else:
            o, r, te, tr, info = venv.step(np.array([act_vector.integers(3)]))
            vector.append((int(o[0]), float(r[0]), bool(te[0]), bool(tr[0]), int(info["t"][0])))
            done = bool(te[0] or tr[0])
            n_ends += done
    assert vector == single
    assert n_ends >= 10  # several episodes, both ways of ending are exercised below
    assert any(isinstance(x, tuple) and x[2] for x in single) and any(isinstance(x, tuple) and x[3] for x in single)


def test_next_step_autoreset_semantics() -> None:
    mdp = two_state_mdp(horizon=2)
    venv = SimulatorVectorEnv(mdp, 3, max_episode_steps=5)
    venv.reset(seed=0)
    o, r, te, tr, info = venv.step(np.array([1, 1, 0]))
    np.testing.assert_array_equal(o, [1, 1, 0])
    np.testing.assert_array_equal(info["t"], [1, 1, 1])
    o, r, te, tr, info = venv.step(np.array([1, 0, 0]))
    np.testing.assert_array_equal(r, [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(te, [True, True, True])
    np.testing.assert_array_equal(o, [1, 0, 0])
    o, r, te, tr, info = venv.step(np.array([1, 1, 1]))  # actions ignored: reset step
    np.testing.assert_array_equal(o, [0, 0, 0])  # initial distribution is a point mass on 0
    np.testing.assert_array_equal(r, 0.0)
    assert not te.any() and not tr.any()
    np.testing.assert_array_equal(info["t"], [0, 0, 0])
    o, r, te, tr, info = venv.step(np.array([1, 1, 1]))  # ordinary step again
    np.testing.assert_array_equal(o, [1, 1, 1])
    np.testing.assert_array_equal(info["t"], [1, 1, 1])


def test_staggered_reset_and_truncation_in_vector_env() -> None:
    sim = Counting(two_state_mdp(gamma=0.9))
    venv = SimulatorVectorEnv(sim, 4, max_episode_steps=2, stationary=False)
    venv.reset(seed=0)
    venv.step(np.array([1, 1, 1, 1]))
    o, info = venv.reset(options={"reset_mask": np.array([True, False, True, False])})
    np.testing.assert_array_equal(o, [0, 1, 0, 1])
    np.testing.assert_array_equal(info["t"], [0, 1, 0, 1])
    sim.steps.clear()
    o, r, te, tr, info = venv.step(np.array([1, 1, 1, 1]))
    assert sorted(sim.steps) == [0, 1]  # one call per distinct time index
    np.testing.assert_array_equal(r, [0.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(tr, [False, True, False, True])
    assert not te.any()
    o, r, te, tr, info = venv.step(np.array([0, 0, 0, 0]))
    np.testing.assert_array_equal(info["t"], [2, 0, 2, 0])
    np.testing.assert_array_equal(tr, [True, False, True, False])
    np.testing.assert_array_equal(r, [1.0, 0.0, 1.0, 0.0])


@pytest.mark.parametrize("kind", ["finite-horizon", "discounted"])
def test_one_vector_step_makes_a_bounded_number_of_simulator_calls(kind: str) -> None:
    if kind == "finite-horizon":
        H = 4
        sim = Counting(random_mdp(5, 2, 31, horizon=H, time_dependent=True, terminal=True))
        venv = SimulatorVectorEnv(sim, 64)
        assert not venv.stationary
    else:
        H = None
        sim = Counting(random_mdp(5, 2, 32, gamma=0.9, terminal=True))
        venv = SimulatorVectorEnv(sim, 64, max_episode_steps=6)
        assert venv.stationary  # discounted FiniteMDP: no horizon, not time-dependent
    venv.action_space.seed(1)
    _, info = venv.reset(seed=1)
    t_prev = info["t"]
    resetting = np.zeros(64, dtype=bool)
    seen_two = False
    for _ in range(40):
        sim.resets.clear()
        sim.steps.clear()
        _, _, te, tr, info = venv.step(venv.action_space.sample())
        assert len(sim.resets) == int(resetting.any()) and sum(sim.resets) == resetting.sum()
        distinct = np.unique(t_prev[~resetting])
        if kind == "finite-horizon":
            assert sorted(sim.steps) == distinct.tolist() and len(sim.steps) <= H
            seen_two |= len(sim.steps) >= 2
        else:
            assert len(sim.steps) == 1
            assert sim.steps[0] == (int(distinct[0]) if distinct.size == 1 else None)
            seen_two |= distinct.size >= 2
        t_prev, resetting = info["t"], te | tr
    assert seen_two  # the terminal state staggers the episodes


def test_gymnasium_vector_wrapper_sees_correct_episodes() -> None:
    """Gymnasium's RecordEpisodeStatistics relies on the declared autoreset mode."""
    from gymnasium.wrappers.vector import RecordEpisodeStatistics

    venv = RecordEpisodeStatistics(SimulatorVectorEnv(two_state_mdp(horizon=3), 2))
    venv.reset(seed=0)
    infos = [venv.step(np.array([1, 0]))[-1] for _ in range(4)]
    ep = infos[2]["episode"]
    np.testing.assert_array_equal(ep["r"], [2.0, 0.0])  # 0 + 1 + 1 and 0 + 0 + 0
    np.testing.assert_array_equal(ep["l"], [3, 3])
    assert "episode" not in infos[3]


# ---------------------------------------------------------------------- errors
def test_invalid_actions() -> None:
    env = SimulatorEnv(random_mdp(3, 2, 0, gamma=0.9))
    env.reset(seed=0)
    for bad in (2, -1, 1.0, True, "0", np.array([0])):
        with pytest.raises(ValueError, match="action: expected an element of the action space Discrete"):
            env.step(bad)
    env.step(1)  # still usable after a rejected action
    box = random_walk_env()
    box.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        box.step(np.array([1.5]))
    with pytest.raises(ValueError, match="action"):
        box.step(np.array([0.1, 0.2]))
    venv = SimulatorVectorEnv(random_mdp(3, 2, 0, gamma=0.9), 3)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match="entry 1"):
        venv.step(np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="leading axis num_envs=3"):
        venv.step(np.array([0, 1]))
    with pytest.raises(ValueError, match="actions"):
        venv.step(np.array([0.0, 1.0, 1.0]))


def test_step_before_reset_and_after_end() -> None:
    env = SimulatorEnv(two_state_mdp(horizon=1))
    with pytest.raises(ResetNeeded, match="reset"):
        env.step(0)
    env.reset(seed=0)
    assert env.step(0)[2] is True
    with pytest.raises(ResetNeeded, match="terminated at t=1"):
        env.step(0)
    env2 = SimulatorEnv(two_state_mdp(gamma=0.5), max_episode_steps=1)
    env2.reset(seed=0)
    env2.step(0)
    with pytest.raises(ResetNeeded, match="truncated"):
        env2.step(0)
    venv = SimulatorVectorEnv(two_state_mdp(gamma=0.5), 2)
    with pytest.raises(ResetNeeded, match="reset"):
        venv.step(np.array([0, 0]))


def test_constructor_errors() -> None:
    with pytest.raises(ValueError, match="observation_space: required"):
        SimulatorEnv(RandomWalk(), action_space=RandomWalk.action_space)
    with pytest.raises(ValueError, match="action_space: required"):
        SimulatorEnv(RandomWalk(), observation_space=RandomWalk.observation_space)
    with pytest.raises(ValueError, match="observation_space: required"):
        SimulatorVectorEnv(RandomWalk(), 2)
    with pytest.raises(TypeError, match="observation_space: expected a gymnasium.spaces.Space"):
        SimulatorEnv(RandomWalk(), observation_space=(1,), action_space=RandomWalk.action_space)
    with pytest.raises(TypeError, match="sim: expected a simulator"):
        SimulatorEnv(object())
    mdp = two_state_mdp(gamma=0.5)
    with pytest.raises(ValueError, match="max_episode_steps"):
        SimulatorEnv(mdp, max_episode_steps=0)
    with pytest.raises(TypeError, match="max_episode_steps"):
        SimulatorEnv(mdp, max_episode_steps=2.0)
    with pytest.raises(ValueError, match="num_envs"):
        as_gymnasium_env(mdp, num_envs=0)
    with pytest.raises(TypeError, match="stationary"):
        SimulatorVectorEnv(mdp, 2, stationary="yes")


def test_simulator_output_errors() -> None:
    flat = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float64)  # RandomWalk states are (n, 1)
    env = SimulatorEnv(RandomWalk(), observation_space=flat, action_space=RandomWalk.action_space)
    with pytest.raises(ValueError, match=r"sim: reset\(1\) returned states of shape \(1, 1\)"):
        env.reset(seed=0)
    env = SimulatorEnv(RandomWalk(), observation_space=spaces.Discrete(3), action_space=RandomWalk.action_space)
    with pytest.raises(TypeError, match="Discrete observation space needs integer state indices"):
        env.reset(seed=0)  # float states are not silently truncated to indices
    mdp = FiniteMDP(np.full((3, 1, 3), 1 / 3), np.zeros((3, 1)), gamma=0.5, initial=[0.0, 0.0, 1.0])
    venv = SimulatorVectorEnv(mdp, 2, observation_space=spaces.Discrete(2))
    with pytest.raises(ValueError, match=r"returned state 2 outside the observation space Discrete\(2\)"):
        venv.reset(seed=0)


def test_reset_mask_errors() -> None:
    venv = SimulatorVectorEnv(two_state_mdp(gamma=0.5), 2)
    with pytest.raises(ResetNeeded, match="first reset"):
        venv.reset(options={"reset_mask": np.array([True, False])})
    venv.reset(seed=0)
    with pytest.raises(TypeError, match="reset_mask"):
        venv.reset(options={"reset_mask": [True, False]})
    with pytest.raises(ValueError, match="shape"):
        venv.reset(options={"reset_mask": np.array([True])})
    with pytest.raises(ValueError, match="at least one True"):
        venv.reset(options={"reset_mask": np.array([False, False])})


def test_reset_seed_and_options_are_checked_by_name() -> None:
    env = SimulatorEnv(two_state_mdp(gamma=0.5))
    with pytest.raises(ValueError, match="^seed: "):
        env.reset(seed=-1)  # used to be gymnasium's own error
    with pytest.raises(TypeError, match="^seed: "):
        env.reset(seed=1.5)
    venv = SimulatorVectorEnv(two_state_mdp(gamma=0.5), 2)
    with pytest.raises(TypeError, match="^options: expected a dict"):
        venv.reset(options=[1])
    with pytest.raises(ValueError, match=r"^num_envs: expected an integer in \[1, 10000000\]"):
        SimulatorVectorEnv(two_state_mdp(gamma=0.5), 10**8)


# ---------------------------------------------------------------------- registration
def test_every_registered_id_is_listed_and_lazy() -> None:
    import gymnasium

    import rlcore  # noqa: F401  (registers the ids)
    from rlcore.gym_registry import ENV_IDS, NAMESPACE

    assert len(ENV_IDS) >= 6 and all(i.startswith(f"{NAMESPACE}/") for i in ENV_IDS)
    ours = sorted(
        i
        for i in gymnasium.registry
        if i.startswith(f"{NAMESPACE}/") and gymnasium.spec(i).entry_point.startswith("rlcore.")
    )
    assert ours == sorted(ENV_IDS)
    for env_id in ENV_IDS:
        # a "module:function" path: nothing is imported or built until gymnasium.make
        assert isinstance(gymnasium.spec(env_id).entry_point, str)


def test_registration_is_idempotent_and_silent() -> None:
    from rlcore.gym_registry import _register

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _register()  # again, after import rlcore did it: no "Overriding environment" warning


def _registered_ids() -> list[str]:
    from rlcore.gym_registry import ENV_IDS

    return list(ENV_IDS)


@pytest.mark.parametrize("env_id", _registered_ids())
def test_registered_env_makes_passes_check_env_and_reads_well(env_id: str) -> None:
    import gymnasium

    env = gymnasium.make(env_id)
    try:
        base = env.unwrapped
        assert isinstance(base, SimulatorEnv) and isinstance(base.sim, FiniteMDP)
        assert env.spec is not None and env.spec.id == env_id and base.spec.id == env_id
        assert isinstance(base.observation_space, spaces.Discrete)
        assert isinstance(base.action_space, spaces.Discrete)
        assert repr(base) == f"SimulatorEnv({base.sim!r}, id={env_id!r})"
        assert str(base) == f"<{base!r}>" and "instance" not in str(env)
        assert f"<PassiveEnvChecker<SimulatorEnv({base.sim!r}, id={env_id!r})>>" in str(env)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(base)
        assert [str(w.message) for w in caught] == []  # with a spec, not even the render-modes note
        # an episode through Gymnasium's wrappers ends: terminated at the horizon or truncated
        obs, _ = env.reset(seed=0)
        limit = env.spec.max_episode_steps or base.horizon
        assert limit is not None
        for step in range(1, limit + 1):
            obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            assert obs in base.observation_space and np.isfinite(reward)
            if terminated or truncated:
                break
        assert terminated or truncated
        assert step <= limit
    finally:
        env.close()


def test_make_forwards_keywords_to_the_generator() -> None:
    import gymnasium

    from rlcore.generators import river_swim

    env = gymnasium.make("rlref/RiverSwim-v0", n_states=10, horizon=20)
    mdp = env.unwrapped.sim
    ref = river_swim(10, horizon=20)
    assert mdp.horizon == 20 and mdp.n_states == 10
    np.testing.assert_array_equal(mdp.transitions_at(0), ref.transitions_at(0))
    env.reset(seed=1)
    steps, terminated = 0, False
    while not terminated:
        _, _, terminated, truncated, _ = env.step(0)
        steps += 1
        assert not truncated
    assert steps == 20  # the finite horizon ends the episode, before the 200-step limit
    # Gymnasium's own keywords stay Gymnasium's
    short = gymnasium.make("rlref/Chain-v0", max_episode_steps=3)
    short.reset(seed=0)
    flags = [short.step(0)[3] for _ in range(3)]
    assert flags == [False, False, True]
    # the generator's checks, by name, through Gymnasium (which re-raises a TypeError as type(e)(message))
    with pytest.raises(InvalidParameterTypeError, match="^n_states: .*rlref/RiverSwim-v0") as err:
        gymnasium.make("rlref/RiverSwim-v0", n_states="six")
    assert err.value.param == "n_states"
    with pytest.raises(InvalidParameterError, match="^n_states"):
        gymnasium.make("rlref/RiverSwim-v0", n_states=0)
    with pytest.raises(TypeError, match="no_such_keyword"):
        gymnasium.make("rlref/RiverSwim-v0", no_such_keyword=1)


def test_make_vec_gives_the_batched_env_and_agrees_with_make() -> None:
    import gymnasium

    venv = gymnasium.make_vec("rlref/GridWorld-v0", num_envs=3, max_episode_steps=4, horizon=6)
    assert isinstance(venv, SimulatorVectorEnv) and venv.num_envs == 3
    assert venv.spec is not None and venv.spec.id == "rlref/GridWorld-v0"
    assert venv.max_episode_steps == 4 and venv.sim.horizon == 6
    assert repr(venv) == f"SimulatorVectorEnv({venv.sim!r}, num_envs=3, max_episode_steps=4, id='rlref/GridWorld-v0')"
    # with one copy and one seed, the same trajectory as the single environment
    single = gymnasium.make("rlref/GridWorld-v0", max_episode_steps=4, horizon=6)
    one = gymnasium.make_vec("rlref/GridWorld-v0", num_envs=1, max_episode_steps=4, horizon=6)
    obs_s, _ = single.reset(seed=5)
    obs_v, _ = one.reset(seed=5)
    assert obs_v[0] == obs_s
    for a in [1, 2, 1, 2]:
        obs_s, r_s, term_s, trunc_s, _ = single.step(a)
        obs_v, r_v, term_v, trunc_v, _ = one.step(np.array([a]))
        assert (obs_v[0], r_v[0], term_v[0], trunc_v[0]) == (obs_s, r_s, term_s, trunc_s)
    assert trunc_s  # the 4-step limit, before the horizon of 6
    sync = gymnasium.make_vec("rlref/GridWorld-v0", num_envs=2, vectorization_mode="sync")
    assert not isinstance(sync, SimulatorVectorEnv)  # Gymnasium's own vectorization stays available


def test_random_ids_name_one_mdp_and_module_prefix_imports_rlcore() -> None:
    import subprocess
    import sys

    import gymnasium

    a, b = gymnasium.make("rlref/Garnet-v0").unwrapped.sim, gymnasium.make("rlref/Garnet-v0").unwrapped.sim
    np.testing.assert_array_equal(a.transitions_at(0), b.transitions_at(0))
    np.testing.assert_array_equal(a.rewards_at(0), b.rewards_at(0))
    # a fresh interpreter that never imported rlcore: Gymnasium's "module:id" form imports it
    code = (
        "import sys, gymnasium; assert 'rlcore' not in sys.modules; "
        "env = gymnasium.make('rlcore:rlref/RiverSwim-v0'); print(env.unwrapped.spec.id)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "rlref/RiverSwim-v0"


def test_repr_and_str_of_unregistered_envs() -> None:
    mdp = two_state_mdp(horizon=3)
    env = SimulatorEnv(mdp, max_episode_steps=10)
    assert repr(env) == f"SimulatorEnv({mdp!r}, max_episode_steps=10)"
    assert str(env) == f"<{env!r}>"
    venv = SimulatorVectorEnv(mdp, 4)
    assert repr(venv) == f"SimulatorVectorEnv({mdp!r}, num_envs=4)" and str(venv) == f"<{venv!r}>"
