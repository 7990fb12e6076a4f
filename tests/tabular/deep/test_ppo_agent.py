"""Tests of tabular.deep.ppo_agent (PPO on Gymnasium tasks, discrete and Box actions).

Independent sources: exact policy evaluation (rlcore.evaluate_policy) and policy
iteration (tabular.policy_iteration) for the learned policies on finite MDPs presented
through Gymnasium; hand-written advantage recursions (one written out number by number,
one in Stable-Baselines3's "add gamma * V(final) to the reward" form) for GAE; the
closed-form discounted value 1 / (1 - gamma) for the truncation rule; the torch modules'
own forward pass for the fused one.

Probabilistic checks run over fixed seeds with the failure budget written in the test.
torch runs single-threaded here (restored afterwards): the networks are tiny.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
gymnasium = pytest.importorskip("gymnasium")

from rlcore import FiniteMDP, evaluate_policy
from rlcore.generators import river_swim
from rlcore.gym import as_gymnasium_env
from tabular import policy_iteration
from tabular.deep.agent import load_agent
from tabular.deep.ppo_agent import _Adam, _build, _Fused, _gae, train_ppo


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


class _SignAction(gymnasium.ActionWrapper):
    """A 2-action task driven by a Box(-1, 1, (1,)) action: its sign picks the action (> 0: 1).

    Records every action it receives (to check that the learner sends in-bound ones).
    """

    def __init__(self, env):
        super().__init__(env)
        self.action_space = gymnasium.spaces.Box(-1.0, 1.0, (1,), dtype=np.float32)
        self.seen: list[float] = []

    def action(self, action):
        self.seen.append(float(action[0]))
        return int(action[0] > 0)


RIVER = river_swim(3, gamma=0.9)
#: Budget of the must-hold runs, and the sup-norm gap to V* they must reach.
BUDGET, GAP = 2048, 0.1


def _gap(mdp: FiniteMDP, policy: np.ndarray) -> float:
    v_star = policy_iteration(mdp).V
    return float(np.abs(v_star - evaluate_policy(mdp, policy).V).max())


def test_the_must_hold_task_separates_good_from_bad_policies():
    """On RiverSwim(3), gamma 0.9, only the optimal policy is within GAP of V*: the uniform
    policy (0.75 off) and every other deterministic one (0.45 or more) are far off, so the
    budget tests can fail."""
    S, A = RIVER.n_states, RIVER.n_actions
    assert _gap(RIVER, np.full((S, A), 1.0 / A)) > 0.7
    gaps = sorted(_gap(RIVER, np.array(p)) for p in np.ndindex(*(A,) * S))
    assert gaps[0] < 1e-9 and gaps[1] > 0.4 > GAP


def test_discrete_ppo_is_near_optimal_on_river_swim():
    """Must-hold: RiverSwim(3) through Gymnasium (one-hot observations). With the default
    (CartPole zoo) settings and gamma 0.9, BUDGET = 2048 steps of 8
    envs with a time limit of 20 steps (truncations, bootstrapped), the greedy policy is
    within GAP of V* in sup norm on at least 4 of 6 seeds."""
    ok = []
    for seed in range(6):
        res = train_ppo(
            as_gymnasium_env(RIVER, max_episode_steps=20),
            total_steps=BUDGET,
            gamma=0.9,
            n_eval_episodes=1,
            rng=seed,
        )
        ok.append(_gap(RIVER, res.agent.policy_table()) <= GAP)
    assert sum(ok) >= 4, ok


def test_gaussian_ppo_is_near_optimal_through_a_box_action():
    """Must-hold, Box actions: the same task driven by the sign of a Box(-1, 1) action; the
    policy read off the deterministic action (the clipped mean) is within GAP of V* on at
    least 4 of 6 seeds. The environment only ever receives actions inside the bounds, some
    of them clipped onto a bound (exploration noise of std e^0 = 1 around the mean)."""
    ok = []
    for seed in range(6):
        env = _SignAction(as_gymnasium_env(RIVER, max_episode_steps=20))
        res = train_ppo(env, total_steps=BUDGET, gamma=0.9, n_eval_episodes=1, max_episode_steps=20, rng=seed)
        acts = res.agent.act(np.arange(RIVER.n_states))
        assert acts.shape == (RIVER.n_states, 1) and acts.dtype == np.float64
        ok.append(_gap(RIVER, (acts[:, 0] > 0).astype(np.int64)) <= GAP)
    assert sum(ok) >= 4, ok
    # the training copies of the env are deep copies of `env`; check a fresh short run's own
    env = _SignAction(as_gymnasium_env(RIVER, max_episode_steps=20))
    train_ppo(env, total_steps=64, n_steps=64, n_envs=1, n_epochs=1, n_eval_episodes=1, max_episode_steps=20, rng=0)
    seen = np.array(env.seen)
    assert seen.size >= 64 and seen.min() >= -1.0 and seen.max() <= 1.0
    assert np.any(np.abs(seen) == 1.0)


def test_gae_matches_a_hand_computation():
    """Two envs, four steps. Env 0: a truncation at t=1 (bootstrapped from V(final)) and a
    termination at t=3 (not bootstrapped). Env 1: no episode end (bootstrapped from the
    value after the rollout, then accumulated over the whole rollout)."""
    g, lam = 0.9, 0.5
    r = np.array([[1.0, 0.5], [2.0, 0.0], [0.0, 1.0], [3.0, -1.0]])
    v = np.array([[0.5, 1.0], [1.5, 2.0], [-1.0, 0.0], [2.0, 1.0]])
    # next values: v[t + 1], V(final obs) = 4 at env 0's truncation, 7 after the rollout
    # for env 1, and junk (99) where env 0 terminated (must not be read)
    nv = np.array([[1.5, 2.0], [4.0, 0.0], [2.0, 1.0], [99.0, 7.0]])
    term = np.array([[0, 0], [0, 0], [0, 0], [1, 0]], dtype=bool)
    trunc = np.array([[0, 0], [1, 0], [0, 0], [0, 0]], dtype=bool)
    adv = _gae(r, v, nv, term, trunc, g, lam)
    # env 0, by hand
    d3 = 3.0 - 2.0  # terminal: r - V
    d2 = 0.0 + 0.9 * 2.0 - (-1.0)
    d1 = 2.0 + 0.9 * 4.0 - 1.5  # truncated: bootstrapped from V(final) = 4, recursion cut
    d0 = 1.0 + 0.9 * 1.5 - 0.5
    a3, a2 = d3, d2 + 0.45 * d3
    a1, a0 = d1, d0 + 0.45 * d1
    assert np.allclose(adv[:, 0], [a0, a1, a2, a3], rtol=0, atol=1e-12)
    # env 1, by hand
    e = [0.5 + 0.9 * 2.0 - 1.0, 0.0 + 0.9 * 0.0 - 2.0, 1.0 + 0.9 * 1.0 - 0.0, -1.0 + 0.9 * 7.0 - 1.0]
    b3 = e[3]
    b2 = e[2] + 0.45 * b3
    b1 = e[1] + 0.45 * b2
    b0 = e[0] + 0.45 * b1
    assert np.allclose(adv[:, 1], [b0, b1, b2, b3], rtol=0, atol=1e-12)


def test_gae_equals_the_reward_bootstrap_form_of_stable_baselines3():
    """On random rollouts, our GAE equals SB3's form: add gamma * V(final) to the reward at a
    truncation, then the recursion with next_non_terminal = 1 - done and, after the rollout,
    the value of the last observation."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        T, n, g, lam = 7, 3, float(rng.uniform(0.5, 0.99)), float(rng.uniform(0, 1))
        r, v = rng.normal(size=(T, n)), rng.normal(size=(T, n))
        v_after, v_final = rng.normal(size=n), rng.normal(size=(T, n))
        end = rng.random((T, n)) < 0.3
        trunc = end & (rng.random((T, n)) < 0.5)
        term = end & ~trunc
        # SB3: rewards augmented at truncations, done cuts everything
        r_sb3 = r + g * v_final * trunc
        expect, last = np.zeros((T, n)), np.zeros(n)
        for t in range(T - 1, -1, -1):
            nxt = v_after if t == T - 1 else v[t + 1]
            nnt = 1.0 - end[t]
            last = r_sb3[t] + g * nxt * nnt - v[t] + g * lam * nnt * last
            expect[t] = last
        # ours: next values = v[t + 1] / v_after, V(final) where truncated
        nv = np.vstack([v[1:], v_after[None]])
        nv[trunc] = v_final[trunc]
        assert np.allclose(_gae(r, v, nv, term, trunc, g, lam), expect, rtol=0, atol=1e-12)


def test_truncated_episodes_are_bootstrapped():
    """One state, one action, reward 1, gamma 0.9, episodes cut at 3 steps. Bootstrapping at the
    truncation makes the critic learn the discounted value 1 / (1 - 0.9) = 10; treating the
    cut as a termination would give at most 1 + 0.9 + 0.81 = 2.71."""
    loop = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=0.9)
    res = train_ppo(
        as_gymnasium_env(loop, max_episode_steps=3),
        total_steps=2048,
        n_envs=4,
        n_steps=16,
        batch_size=64,
        n_epochs=10,
        learning_rate=3e-3,
        learning_rate_schedule="constant",
        gae_lambda=0.95,
        gamma=0.9,
        hidden_sizes=(16,),
        n_eval_episodes=1,
        rng=0,
    )
    critic = res.agent.networks["critic"]
    with torch.no_grad():
        value = float(critic(torch.ones(1, 1))[0, 0])
    assert abs(value - 10.0) < 1.0, value


def _small(env, **kw):
    return train_ppo(
        env,
        total_steps=128,
        n_steps=16,
        n_envs=4,
        n_epochs=2,
        batch_size=32,
        n_eval_episodes=2,
        max_episode_steps=10,
        **kw,
    )


@pytest.mark.parametrize("box", [False, True])
def test_same_seed_same_result(box):
    def make():
        base = as_gymnasium_env(RIVER, max_episode_steps=10)
        return _SignAction(base) if box else base

    a, b = _small(make(), rng=3), _small(make(), rng=3)
    c = _small(make(), rng=4)
    assert np.array_equal(a.eval_returns, b.eval_returns)
    assert np.array_equal(a.episode_returns, b.episode_returns)
    for name, net in a.agent.networks.items():
        for p, q in zip(net.parameters(), b.agent.networks[name].parameters()):
            assert torch.equal(p, q)
    pa = next(a.agent.networks["actor"].parameters())
    pc = next(c.agent.networks["actor"].parameters())
    assert not torch.equal(pa, pc)


@pytest.mark.parametrize("env_id, obs_dim", [("CartPole-v1", 4), ("Pendulum-v1", 3)])
def test_checkpoint_round_trip(tmp_path, env_id, obs_dim):
    res = train_ppo(env_id, total_steps=64, n_steps=8, n_envs=2, n_epochs=1, batch_size=8, n_eval_episodes=1, rng=0)
    path = tmp_path / "ppo.pt"
    res.agent.save(path)
    back = load_agent(path)
    obs = np.random.default_rng(1).normal(size=(5, obs_dim)).astype(np.float32)
    assert np.array_equal(back.act(obs), res.agent.act(obs))
    assert np.array_equal(back.act(obs, deterministic=False, rng=2), res.agent.act(obs, deterministic=False, rng=2))
    if env_id == "Pendulum-v1":
        acts = back.act(obs * 100, deterministic=False, rng=0)
        assert acts.shape == (5, 1) and np.all(np.abs(acts) <= 2.0)


def test_fused_forward_equals_the_networks():
    """The fused training forward pass (views of one flat parameter) computes the actor's and
    the critic's own outputs, for deep, shallow and linear networks; the networks see the
    flat parameter's updates."""
    for hidden, n_actions, act in [((64, 64), 2, "tanh"), ((8,), 3, "relu"), ((), 2, "tanh"), ((5, 6, 7), None, "elu")]:
        cfg = {
            "obs_dim": 4,
            "hidden_sizes": list(hidden),
            "activation": act,
            "n_actions": n_actions,
            "log_std_init": -0.5,
            "action_shape": [2],
        }
        nets = _build(cfg, torch, torch.device("cpu"), np.random.default_rng(0))
        x = torch.randn(10, 4, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            ref_a, ref_v = nets["actor"](x), nets["critic"](x)[:, 0]
        fused = _Fused(torch, nets, act, torch.device("cpu"))
        out, v = fused.forward(x)
        assert torch.allclose(out, ref_a, atol=1e-6) and torch.allclose(v, ref_v, atol=1e-6)
        grad = fused.master.grad
        (out.sum() + v.sum()).backward()
        assert fused.master.grad is grad and float(grad.abs().sum()) > 0
        with torch.no_grad():
            fused.master.add_(0.1)
            assert not torch.allclose(nets["critic"](x)[:, 0], ref_v)
        if n_actions is None:
            assert torch.equal(fused.log_std().detach(), nets["log_std"]["log_std"].detach())


def test_adam_equals_torch_adam():
    """The written-out Adam on the flat parameter is torch.optim.Adam (eps 1e-5, as SB3's
    policies use), bit for bit, under a changing (linear) learning rate."""
    gen = torch.Generator().manual_seed(0)
    p1 = torch.nn.Parameter(torch.randn(50, generator=gen))
    p2 = torch.nn.Parameter(p1.detach().clone())
    p1.grad = torch.zeros(50)
    ours, ref = _Adam(torch, p1), torch.optim.Adam([p2], lr=1e-3, eps=1e-5)
    for i in range(100):
        g = torch.randn(50, generator=gen)
        p1.grad.copy_(g)
        p2.grad = g.clone()
        lr = 1e-3 * (1 - i / 100)
        ref.param_groups[0]["lr"] = lr
        ours.step(lr)
        ref.step()
    assert torch.equal(p1, p2)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"total_steps": 0}, "total_steps"),
        ({"total_steps": 8, "clip_range": 0.0}, "clip_range"),
        ({"total_steps": 8, "learning_rate_schedule": "cosine"}, "learning_rate_schedule"),
        ({"total_steps": 8, "gae_lambda": 1.5}, "gae_lambda"),
        ({"total_steps": 8, "n_steps": 2.5}, "n_steps"),
        ({"total_steps": 8, "activation": "sigmoid"}, "activation"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, name):
    with pytest.raises((ValueError, TypeError)) as info:
        train_ppo("CartPole-v1", **kwargs)
    assert str(info.value).startswith(name)


def test_unbounded_box_is_refused():
    class _Free(gymnasium.ActionWrapper):
        def __init__(self, env):
            super().__init__(env)
            self.action_space = gymnasium.spaces.Box(-np.inf, np.inf, (1,), dtype=np.float32)

        def action(self, action):
            return int(action[0] > 0)

    with pytest.raises(ValueError, match="^env"):
        train_ppo(_Free(as_gymnasium_env(RIVER, max_episode_steps=5)), total_steps=8)
