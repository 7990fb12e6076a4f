"""Tests of rlcore.gym_simulator: any Gymnasium environment as a batched simulator.

Independent sources: the direct rollout of a FiniteMDP (rlcore.rollout on the model
itself) for the round trip through rlcore.gym.as_gymnasium_env; Gymnasium's own
environments stepped by hand (their TimeLimit wrappers, their seeding) for the
classic-control tasks; MinAtar's game when the package is installed.
"""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from rlcore import FiniteMDP, evaluate_policy, rollout
from rlcore.generators import random_mdp, river_swim
from rlcore.gym import as_gymnasium_env
from rlcore.gym_simulator import GymnasiumSimulator, from_gymnasium

CLASSIC = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "Pendulum-v1"]


def _same(a, b) -> None:
    for col in ("observations", "actions", "rewards", "next_observations", "terminated", "truncated", "episode_ids"):
        x, y = getattr(a, col), getattr(b, col)
        assert x.shape == y.shape, col
        assert np.array_equal(x, y), col


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("stochastic", [False, True])
def test_round_trip_is_bit_identical(seed: int, stochastic: bool) -> None:
    """FiniteMDP -> as_gymnasium_env -> from_gymnasium -> rollout equals rollout(mdp), bit for bit."""
    mdp = random_mdp(6, 3, branching=3, gamma=0.9, rng=seed)
    gen = np.random.default_rng(100 + seed)
    if stochastic:
        policy = gen.dirichlet(np.ones(3), size=6)
    else:
        policy = gen.integers(0, 3, size=6)
    direct = rollout(mdp, policy, 7, max_steps=12, rng=seed)
    back = from_gymnasium(as_gymnasium_env(mdp), seeding="generator")
    through = rollout(back, policy, 7, max_steps=12, rng=seed)
    _same(direct, through)
    # and again on the same adapter (copies reused, fresh episodes)
    _same(direct, rollout(back, policy, 7, max_steps=12, rng=seed))


def test_round_trip_with_terminal_states_and_horizon() -> None:
    """Episodes ending in a terminal state (and at a finite horizon) end at the same steps."""
    P = np.zeros((3, 2, 3))
    P[0, 0] = [0.5, 0.3, 0.2]
    P[0, 1] = [0.1, 0.1, 0.8]
    P[1, :, 1] = 1.0
    P[2, :, 2] = 1.0
    R = np.array([[0.1, 0.2], [1.0, 1.0], [0.0, 0.0]])
    mdp = FiniteMDP(P, R, horizon=5, terminal=[False, False, True], initial=[1.0, 0.0, 0.0])
    policy = np.array([0, 1, 0])
    direct = rollout(mdp, policy, 9, rng=3)
    through = rollout(from_gymnasium(as_gymnasium_env(mdp), seeding="generator"), policy, 9, max_steps=5, rng=3)
    _same(direct, through)
    assert direct.terminated.any()


def test_truncation_is_not_termination() -> None:
    """A time limit is reported as truncation: terminated stays False, the episode cannot go on."""
    mdp = river_swim(4, gamma=0.9)  # no terminal states: every end is a time limit
    sim = from_gymnasium(as_gymnasium_env(mdp, max_episode_steps=3))
    assert sim.max_episode_steps == 3
    obs = sim.reset(2, rng=0)
    for t in range(3):
        obs, rew, term = sim.step(obs, np.array([1, 1]), rng=0)
        assert not term.any()
        assert sim.truncated.tolist() == ([True, True] if t == 2 else [False, False])
    with pytest.raises(ValueError, match="^states: .*truncated"):
        sim.step(obs, np.array([1, 1]), rng=0)
    # the stream mode: truncated rows bootstrap from the true final observation
    sim.start(2, rng=1)
    for t in range(3):
        out = sim.advance(np.array([1, 1]), rng=1)
    assert out.truncated.all() and not out.terminated.any()
    # fresh episodes start where the old ones ended
    assert sim.advance(np.array([1, 1]), rng=1).truncated.sum() == 0


def test_time_limits_of_gymnasium_tasks_against_stepping_by_hand() -> None:
    """CartPole under a constant action terminates (pole falls); Pendulum truncates at 200 steps."""
    cart = from_gymnasium("CartPole-v1")
    cart.start(1, rng=0)
    ends = []
    for _ in range(200):
        out = cart.advance(np.array([1]), rng=0)
        if out.terminated[0] or out.truncated[0]:
            ends.append((bool(out.terminated[0]), bool(out.truncated[0])))
    assert ends and all(te and not tr for te, tr in ends)
    pend = from_gymnasium("Pendulum-v1")
    pend.start(2, rng=0)
    flags = [pend.advance(np.zeros((2, 1)), rng=0) for _ in range(200)]
    assert not any(f.truncated.any() or f.terminated.any() for f in flags[:199])
    assert flags[-1].truncated.all() and not flags[-1].terminated.any()
    # the final observation is the state the episode ended in, the next one a fresh start
    assert not np.array_equal(flags[-1].final_observations, flags[-1].observations)


@pytest.mark.parametrize("env_id", CLASSIC)
def test_classic_control_matches_gymnasium_seeded_by_hand(env_id: str) -> None:
    """The adapter's episode, seeded from rng, is the environment's own episode under the drawn seed."""
    sim = from_gymnasium(env_id)
    obs = sim.reset(1, rng=42)
    seed = int(np.random.default_rng(42).integers(0, 2**32))
    env = gymnasium.make(env_id)
    o, _ = env.reset(seed=seed)
    assert np.array_equal(obs[0], o)
    gen = np.random.default_rng(5)
    for _ in range(20):
        a = gen.integers(0, sim.n_actions, size=1) if sim.n_actions else gen.uniform(-1, 1, size=(1, 1))
        nxt, rew, term = sim.step(obs, a, rng=0)
        o, r, te, tr, _ = env.step(int(a[0]) if sim.n_actions else a[0].astype(np.float32))
        assert np.array_equal(nxt[0], o) and rew[0] == r and term[0] == te and sim.truncated[0] == tr
        if te or tr:
            break
        obs = nxt
    assert sim.observation_shape == env.observation_space.shape
    assert sim.max_episode_steps == env.spec.max_episode_steps


def test_same_rng_same_stream_and_different_rng_differs() -> None:
    def run(seed: int) -> np.ndarray:
        sim = from_gymnasium("CartPole-v1")
        sim.start(3, rng=seed)
        gen = np.random.default_rng(seed)
        return np.stack([sim.advance(gen.integers(0, 2, size=3), gen).final_observations for _ in range(60)])

    assert np.array_equal(run(0), run(0))
    assert not np.array_equal(run(0), run(1))


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_vector_env_autoreset_modes(mode) -> None:
    """A VectorEnv in either autoreset mode gives the same per-episode stream as single envs with its seeds."""
    venv = gymnasium.make_vec(
        "CartPole-v1", num_envs=2, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode}
    )
    sim = from_gymnasium(venv)
    assert sim.num_envs == 2
    with pytest.raises(ValueError, match="^n: "):
        sim.reset(3, rng=0)
    sim.start(2, rng=0)
    lengths, steps = [], np.zeros(2, dtype=int)
    for _ in range(300):
        out = sim.advance(np.array([1, 0]), rng=0)
        steps += 1
        for i in np.flatnonzero(out.terminated | out.truncated):
            lengths.append(int(steps[i]))
            steps[i] = 0
            # the fresh observation is a CartPole start state (all entries within 0.05)
            assert np.all(np.abs(out.observations[i]) <= 0.05)
            assert np.any(np.abs(out.final_observations[i]) > 0.05)
    # constant pushing topples the pole within tens of steps: many episodes, none lost
    assert len(lengths) > 10 and max(lengths) < 100


def test_sync_vector_env_with_generator_seeding_is_reproducible() -> None:
    def first_obs(seed: int) -> np.ndarray:
        venv = SyncVectorEnv([lambda: gymnasium.make("CartPole-v1")] * 2)
        return from_gymnasium(venv, seeding="generator").reset(2, rng=seed)

    assert np.array_equal(first_obs(3), first_obs(3))


@pytest.mark.parametrize("kind", ["instance", "factory"])
def test_env_instances_and_factories_are_copied(kind: str) -> None:
    src = gymnasium.make("Acrobot-v1") if kind == "instance" else (lambda: gymnasium.make("Acrobot-v1"))
    sim = from_gymnasium(src)
    obs = sim.reset(4, rng=0)
    assert obs.shape == (4, 6) and len({tuple(o) for o in obs}) == 4
    nxt, rew, term = sim.step(obs, np.zeros(4, dtype=np.int64), rng=0)
    assert rew.tolist() == [-1.0] * 4 and term.dtype == bool


def test_protocol_checks_and_messages() -> None:
    sim = from_gymnasium("CartPole-v1")
    with pytest.raises(ValueError, match="^states: call reset"):
        sim.step(np.zeros((1, 4)), np.array([0]))
    obs = sim.reset(2, rng=0)
    with pytest.raises(ValueError, match="^states: expected the 2 running"):
        sim.step(obs[:1], np.array([0]))
    with pytest.raises(ValueError, match="^actions: expected integers in"):
        sim.step(obs, np.array([0, 2]))
    with pytest.raises(TypeError, match="^actions: expected integer"):
        sim.step(obs, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="^actions: call start"):
        sim.advance(np.array([0, 1]))
    pend = from_gymnasium("Pendulum-v1")
    o = pend.reset(1, rng=0)
    with pytest.raises(ValueError, match="^actions: expected finite"):
        pend.step(o, np.array([[np.nan]]))
    with pytest.raises(ValueError, match="^actions: expected shape"):
        pend.step(o, np.zeros(1))


def test_bad_env_arguments() -> None:
    with pytest.raises(ValueError, match="^env: gymnasium.make"):
        from_gymnasium("NoSuchEnv-v0")
    with pytest.raises(TypeError, match="^env: "):
        from_gymnasium(3.0)
    with pytest.raises(ValueError, match="^seeding: "):
        from_gymnasium("CartPole-v1", seeding="global")
    with pytest.raises(ValueError, match="^make_kwargs: "):
        from_gymnasium(gymnasium.make("CartPole-v1"), make_kwargs={})
    with pytest.raises(TypeError, match="^env: its observation space"):
        from_gymnasium(lambda: _DictObsEnv())


class _DictObsEnv(gymnasium.Env):
    observation_space = gymnasium.spaces.Dict({"a": gymnasium.spaces.Discrete(2)})
    action_space = gymnasium.spaces.Discrete(2)


def test_is_a_simulator_and_takes_discrete_observations_as_indices() -> None:
    from rlcore.simulator import Simulator

    sim = from_gymnasium(as_gymnasium_env(river_swim(5, gamma=0.9), max_episode_steps=4))
    assert isinstance(sim, Simulator) and isinstance(sim, GymnasiumSimulator)
    assert sim.n_states == 5 and sim.n_actions == 2 and sim.observation_shape == ()
    obs = sim.reset(3, rng=0)
    assert obs.dtype == np.int64 and obs.shape == (3,)


def test_minatar_if_installed() -> None:
    minatar_gym = pytest.importorskip("minatar.gym")
    if "MinAtar/Breakout-v1" not in gymnasium.registry:
        minatar_gym.register_envs()
    sim = from_gymnasium("MinAtar/Breakout-v1")
    obs = sim.reset(2, rng=0)
    assert obs.shape == (2, 10, 10, 4) and obs.dtype == bool and sim.n_actions == 3
    assert np.array_equal(obs, from_gymnasium("MinAtar/Breakout-v1").reset(2, rng=0))
    sim.start(2, rng=0)
    ended = 0
    gen = np.random.default_rng(0)
    for _ in range(500):
        out = sim.advance(gen.integers(0, 3, size=2), gen)
        ended += int(out.terminated.sum())
        assert not out.truncated.any()  # MinAtar sets no time limit
    assert ended > 0  # random play loses the ball


def test_episodic_learners_take_a_gymnasium_task() -> None:
    """The simulator-protocol learners run unchanged on adapted Gymnasium tasks.

    Tabular Q-learning on a finite MDP presented through Gymnasium learns the policy
    backward induction finds (an independent planner on the true model); the episodic
    deep DQN runs on CartPole with raw observations as features.
    """
    from tabular import q_learning
    from tabular.finite_horizon import backward_induction

    mdp = river_swim(3, horizon=4, p_forward=0.9, p_backward=0.05, small_reward=0.1)
    sim = from_gymnasium(as_gymnasium_env(mdp), seeding="generator")
    res = q_learning(sim, horizon=4, n_states=3, n_actions=2, n_episodes=3000, learning_rate=0.1, epsilon=0.3, rng=0)
    opt = backward_induction(mdp)
    v_learned = mdp.initial @ evaluate_policy(mdp, res.policy).V[0]
    assert v_learned >= mdp.initial @ opt.V[0] - 1e-9
    always_left = mdp.initial @ evaluate_policy(mdp, np.zeros((4, 3), dtype=np.int64)).V[0]
    assert always_left < mdp.initial @ opt.V[0] - 0.05  # the check can fail
    torch = pytest.importorskip("torch")
    from tabular.deep import dqn

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = dqn(
            from_gymnasium("CartPole-v1"),
            horizon=50,
            n_actions=2,
            n_episodes=8,
            features=lambda s, t: s,
            hidden_sizes=(8,),
            rng=0,
        )
    finally:
        torch.set_num_threads(old)
    assert out.policy is None and out.n_steps > 8


def test_time_limit_of_a_wrapped_simulator_env_is_found() -> None:
    """The limit of an rlcore SimulatorEnv under a user's wrapper is read from the innermost env."""

    class Flip(gymnasium.ActionWrapper):
        def action(self, action):
            return 1 - action

    env = Flip(as_gymnasium_env(river_swim(4, gamma=0.9), max_episode_steps=7))
    assert from_gymnasium(env).max_episode_steps == 7
