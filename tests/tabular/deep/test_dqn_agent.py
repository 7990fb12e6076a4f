"""Tests of tabular.deep.dqn_agent.train_dqn (DQN on Gymnasium tasks, kind "dqn").

Independent sources: value iteration and exact policy evaluation (rlcore.evaluate_policy)
on the true MDP behind a Gymnasium presentation; hand-enumerated n-step returns of an
episode with a truncation and a termination; hand-built networks for the double and
single targets; the checkpoint round trip through load_agent. Probabilistic checks run
over fixed seeds with the failure budget written in the test; torch runs single-threaded.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rlcore import evaluate_policy
from rlcore.generators import river_swim
from rlcore.gym import as_gymnasium_env
from tabular.deep.agent import load_agent
from tabular.deep.dqn_agent import _Replay, _td_target, train_dqn
from tabular.deep.value_heads import value_head
from tabular.value_iteration import value_iteration


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


_SMALL = {
    "learning_rate": 3e-3,
    "batch_size": 32,
    "learning_starts": 100,
    "train_freq": 4,
    "gradient_steps": 2,
    "target_update_interval": 50,
    "exploration_fraction": 0.5,
    "exploration_final_eps": 0.1,
    "hidden_sizes": (32,),
    "n_eval_episodes": 1,
}
_CARTPOLE = {
    "total_steps": 300,
    "learning_starts": 100,
    "train_freq": 50,
    "gradient_steps": 2,
    "hidden_sizes": (16,),
    "n_eval_episodes": 2,
}


@pytest.mark.parametrize("loss", ["mse", "huber", "hl_gauss", "two_hot", "c51", "quantile"])
def test_finite_mdp_policy_near_optimal(loss):
    """RiverSwim(4), gamma 0.9, through Gymnasium (one-hot observations, episodes cut at 50
    steps and bootstrapped): after 1200 steps the greedy policy's exact value is within
    GAP = 0.05 of V* in every state on at least 2 of 3 seeds, for every head. A uniform
    random policy is 0.76 short (asserted), every other deterministic policy at least 0.28."""
    mdp = river_swim(4, gamma=0.9)
    v_star = evaluate_policy(mdp, value_iteration(mdp, epsilon=1e-10).policy).V
    gap = 0.05
    random_gap = np.max(v_star - evaluate_policy(mdp, np.full((4, 2), 0.5)).V)
    assert random_gap > 10 * gap
    head = {"v_min": 0.0, "v_max": 2.0, "n_bins": 21} if loss in ("hl_gauss", "two_hot") else {}
    if loss == "c51":
        # C51 projects the whole next-state distribution onto the atoms, so its error in a
        # value is about a bin width: V* spans [0.34, 0.99] here and action values differ
        # by less than 0.1, which bins of width 0.1 blur (measured: 1 of 3 seeds within the
        # gap); bins of width 0.024 on [0, 1.2] resolve them (3 of 3).
        head = {"v_min": 0.0, "v_max": 1.2, "n_bins": 51}
    ok = 0
    for seed in range(3):
        res = train_dqn(
            as_gymnasium_env(mdp, max_episode_steps=50),
            total_steps=1200,
            loss=loss,
            gamma=0.9,
            rng=seed,
            **_SMALL,
            **head,
        )
        pi = res.agent.policy_table()
        ok += np.max(v_star - evaluate_policy(mdp, pi).V) <= gap
    assert ok >= 2, f"{loss}: {ok} of 3 seeds within {gap} of V*"


def test_same_seed_same_run():
    a = train_dqn("CartPole-v1", rng=3, **_CARTPOLE)
    b = train_dqn("CartPole-v1", rng=3, **_CARTPOLE)
    c = train_dqn("CartPole-v1", rng=4, **_CARTPOLE)
    assert a.n_updates == 8  # phases at 150, 200, 250, 300 steps (SB3: only once past learning_starts)
    np.testing.assert_array_equal(a.eval_returns, b.eval_returns)
    np.testing.assert_array_equal(a.episode_returns, b.episode_returns)
    pa, pb, pc = (list(r.agent.networks["q"].parameters()) for r in (a, b, c))
    assert all(torch.equal(x, y) for x, y in zip(pa, pb))
    assert not all(torch.equal(x, y) for x, y in zip(pa, pc))


def test_checkpoint_round_trip(tmp_path):
    res = train_dqn("CartPole-v1", loss="hl_gauss", v_min=0.0, v_max=110.0, n_bins=11, rng=0, **_CARTPOLE)
    path = tmp_path / "dqn.pt"
    res.agent.save(path)
    back = load_agent(path)
    obs = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    np.testing.assert_array_equal(back.act(obs), res.agent.act(obs))
    assert back.config == res.agent.config
    explore = back.act(obs, deterministic=False, rng=0)
    assert explore.dtype == np.int64 and set(explore.tolist()) <= {0, 1}


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match="^env"):
        train_dqn("Pendulum-v1", total_steps=10)
    with pytest.raises(ValueError, match="^loss"):
        train_dqn("CartPole-v1", total_steps=10, loss="l1")
    with pytest.raises(ValueError, match="^v_min"):
        train_dqn("CartPole-v1", total_steps=10, loss="c51", v_max=100.0)
    with pytest.raises(ValueError, match="^n_step"):
        train_dqn("CartPole-v1", total_steps=10, n_step=0)
    with pytest.raises(TypeError, match="^double"):
        train_dqn("CartPole-v1", total_steps=10, double="yes")


def _feed(replay, steps):
    for obs, a, r, nxt, term, trunc in steps:
        replay.add(
            np.array([[obs]], np.float32),
            np.array([a]),
            np.array([r], float),
            np.array([[nxt]], np.float32),
            np.array([term]),
            np.array([trunc]),
        )


def test_n_step_transitions_by_hand():
    """n = 3, gamma = 0.5, one environment. Episode 1: s0..s4 with rewards 1, 2, 4, 8, truncated
    at s4 (bootstrap from s4 with the power of gamma of the steps taken); episode 2: s5, s6
    with rewards 1, 1, terminated (no bootstrap); episode 3: s8 -> s9 not finished (not written)."""
    rep = _Replay(capacity=16, d=1, n_envs=1, n_step=3, gamma=0.5)
    _feed(
        rep,
        [
            (0, 0, 1.0, 1, False, False),
            (1, 1, 2.0, 2, False, False),
            (2, 0, 4.0, 3, False, False),
            (3, 1, 8.0, 4, False, True),
            (5, 1, 1.0, 6, False, False),
            (6, 0, 1.0, 7, True, False),
            (8, 1, 2.0, 9, False, False),
        ],
    )
    # (x, a, R, x', d)
    want = [
        (0, 0, 1 + 0.5 * 2 + 0.25 * 4, 3, 0.125),
        (1, 1, 2 + 0.5 * 4 + 0.25 * 8, 4, 0.125),
        (2, 0, 4 + 0.5 * 8, 4, 0.25),
        (3, 1, 8.0, 4, 0.5),
        (5, 1, 1 + 0.5 * 1, 7, 0.0),
        (6, 0, 1.0, 7, 0.0),
    ]
    assert rep.size == len(want)
    got = list(zip(rep.x[:6, 0], rep.a[:6], rep.r[:6], rep.x2[:6, 0], rep.disc[:6]))
    for g, w in zip(got, want):
        assert tuple(float(v) for v in g) == pytest.approx(w)
    # n = 1: one transition per step, d = gamma unless terminated (a truncation bootstraps)
    one = _Replay(capacity=4, d=1, n_envs=1, n_step=1, gamma=0.5)
    _feed(one, [(0, 0, 1.0, 1, False, True), (5, 1, 3.0, 6, True, False)])
    assert one.disc[:2].tolist() == [0.5, 0.0] and one.x2[:2, 0].tolist() == [1.0, 6.0]


def test_n_step_with_parallel_environments_keeps_them_apart():
    rep = _Replay(capacity=8, d=1, n_envs=2, n_step=2, gamma=0.5)
    for t in range(3):
        rep.add(
            np.array([[10 + t], [20 + t]], np.float32),
            np.array([0, 1]),
            np.array([1.0, 2.0]),
            np.array([[11 + t], [21 + t]], np.float32),
            np.array([False, t == 1]),
            np.array([False, False]),
        )
    rows = sorted(zip(rep.x[: rep.size, 0].tolist(), rep.r[: rep.size].tolist(), rep.disc[: rep.size].tolist()))
    # env 0: (10 -> 12) and (11 -> 13); env 1 terminated at its second step: (20, 2 + 1), (21, 2)
    assert rows == [(10.0, 1.5, 0.25), (11.0, 1.5, 0.25), (20.0, 3.0, 0.0), (21.0, 2.0, 0.0)]


def _linear(weights, bias):
    lin = torch.nn.Linear(1, len(bias)).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(weights, dtype=torch.float64)[:, None])
        lin.bias.copy_(torch.tensor(bias, dtype=torch.float64))
    return lin


def test_double_and_single_targets():
    """Online Q(x', .) = (1, 0) prefers action 0; target Q'(x', .) = (5, 10) prefers 1.
    DQN: y = r + d max_a Q' = r + 10 d; double DQN: y = r + d Q'(x', argmax Q) = r + 5 d."""
    q = _linear([0.0, 0.0], [1.0, 0.0])
    q_target = _linear([0.0, 0.0], [5.0, 10.0])
    x2 = torch.ones(2, 1, dtype=torch.float64)
    r = torch.tensor([1.0, 2.0], dtype=torch.float64)
    disc = torch.tensor([0.9, 0.0], dtype=torch.float64)
    head = value_head("huber")
    nxt = q_target(x2)
    single = _td_target(head, torch, q, nxt, x2, r, disc, False)
    double = _td_target(head, torch, q, nxt, x2, r, disc, True)
    assert single.tolist() == pytest.approx([1.0 + 0.9 * 10.0, 2.0])
    assert double.tolist() == pytest.approx([1.0 + 0.9 * 5.0, 2.0])
    # when both networks agree on the greedy action, the targets coincide
    agree = _td_target(head, torch, q_target, nxt, x2, r, disc, True)
    assert torch.equal(agree, single)
    # a quantile head: a* by the mean of the quantiles, the target the shifted quantiles
    qh = value_head("quantile", n_quantiles=2)
    q2 = _linear([0.0] * 4, [1.0, 1.0, 0.0, 0.0])  # means (1, 0)
    t2 = _linear([0.0] * 4, [4.0, 6.0, 9.0, 11.0])  # means (5, 10)
    nxt2 = t2(x2)
    assert _td_target(qh, torch, q2, nxt2, x2, r, disc, True)[0].tolist() == pytest.approx([1 + 3.6, 1 + 5.4])
    assert _td_target(qh, torch, q2, nxt2, x2, r, disc, False)[0].tolist() == pytest.approx([1 + 8.1, 1 + 9.9])


def test_behaviour_greedy_actions_and_fast_forward_match_the_network():
    """The NumPy forward pass of the behaviour policy and the functional forward pass of the
    updates against the torch module itself, for a scalar and a categorical head."""
    from rlcore.deep import build_mlp
    from tabular.deep.dqn_agent import _greedy_actor, _mlp_forward

    x = np.random.default_rng(0).normal(size=(200, 4)).astype(np.float32)
    for head in (value_head("huber"), value_head("hl_gauss", n_bins=7, v_min=-1.0, v_max=1.0)):
        q = build_mlp((4, 16, 16, 3 * head.n_outputs), rng=1)
        with torch.no_grad():
            out = q(torch.from_numpy(x))
            want = head.q_values(out).argmax(dim=1).numpy()
            assert torch.equal(_mlp_forward(torch, q)(torch.from_numpy(x)), out)
        got = _greedy_actor(head, torch, q, torch.device("cpu"))(x)
        assert (got == want).mean() >= 0.99  # float32 rounding order may break near-ties
        assert len(set(want.tolist())) > 1  # the actions vary, so a transposed weight would show
