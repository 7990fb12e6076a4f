"""Tests of the deep baselines tabular.deep.dqn and tabular.deep.ppo.

Independent sources: backward induction (tabular.backward_induction) for the optimal
value, exact policy evaluation (rlcore.evaluate_policy) for the learned policies;
rlcore.deep.build_mlp, seeded by hand, for the initial networks; a subprocess without
torch for the ImportError; the generated API walk of tests/test_public_api.py for the
argument checks (tabular.deep is not in tabular's __all__, which the walk covers).

Probabilistic checks run over fixed seeds with the failure budget written in the test.
torch runs single-threaded here (restored afterwards): the networks are tiny.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rlcore import FiniteMDP, evaluate_policy
from rlcore.deep import build_mlp
from rlcore.generators import combination_lock
from tabular.deep import dqn, ppo
from tabular.finite_horizon import backward_induction
from tabular.learning import LearnerResult, one_hot_time_features

LEARNERS = {"dqn": dqn, "ppo": ppo}


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _value(mdp: FiniteMDP, pi: np.ndarray) -> float:
    return float(evaluate_policy(mdp, pi).V[0] @ mdp.initial)


class _VectorLock:
    """A combination lock whose states are one-hot float vectors (no n_states attribute):
    the learners must work through features alone and hand evaluate a function."""

    def __init__(self, lock: FiniteMDP):
        self.lock = lock
        self.n_actions = lock.n_actions
        self.S = lock.n_states

    def reset(self, n, rng=None):
        return np.eye(self.S)[self.lock.reset(n, rng)]

    def step(self, states, actions, rng=None, *, t=None):
        nxt, r, term = self.lock.step(np.argmax(states, axis=1), actions, rng, t=t)
        return np.eye(self.S)[nxt], r, term


# ------------------------------------------------------------------ solving
@pytest.mark.parametrize("name, n_episodes", [("dqn", 240), ("ppo", 240)])
def test_solves_small_combination_locks(name, n_episodes):
    # Combination locks of horizon 4 with A = 2 (a uniformly random policy opens one
    # with probability 1/16). Budget: 240 episodes per run; 4 fixed seeds, at least 3
    # must end with an optimal greedy policy (observed: 4 of 4 for both learners).
    successes = 0
    for seed in range(4):
        lock = combination_lock(4, 2, rng=50 + seed)
        v_star = float(backward_induction(lock).V[0] @ lock.initial)
        res = LEARNERS[name](lock, horizon=4, n_actions=2, n_episodes=n_episodes, rng=seed)
        assert res.policy.shape == (4, 6) and res.policy.dtype == np.int64
        assert isinstance(res, LearnerResult)
        assert res.n_episodes == n_episodes and res.Q is None and res.model is not None
        successes += _value(lock, res.policy) == pytest.approx(v_star, abs=1e-12)
    assert v_star == 1.0
    assert successes >= 3


@pytest.mark.parametrize("name, n_episodes", [("dqn", 200), ("ppo", 200)])
def test_solves_combination_locks_without_early_termination(name, n_episodes):
    # The same locks with the dead state NOT terminal: a wrong digit no longer ends the
    # episode, so "surviving longer" carries no information and only the reward at the
    # last step can teach the combination (horizon 3, A = 2). Budget: 200 episodes; 4
    # fixed seeds, at least 3 must end optimal (observed: 4 of 4 for both learners).
    successes = 0
    for seed in range(4):
        base = combination_lock(3, 2, rng=70 + seed)
        lock = FiniteMDP(base.P, base.R, horizon=3, initial=base.initial)
        v_star = float(backward_induction(lock).V[0] @ lock.initial)
        res = LEARNERS[name](lock, horizon=3, n_actions=2, n_episodes=n_episodes, rng=seed)
        assert res.n_steps == 3 * n_episodes  # no episode ends early
        successes += _value(lock, res.policy) == pytest.approx(v_star, abs=1e-12)
    assert v_star == 1.0
    assert successes >= 3


@pytest.mark.parametrize("name", ["dqn", "ppo"])
def test_early_stopping_and_history(name):
    lock = combination_lock(3, 2, combination=[1, 1, 0])
    v_star = float(backward_induction(lock).V[0] @ lock.initial)
    res = LEARNERS[name](
        lock,
        horizon=3,
        n_actions=2,
        n_episodes=600,
        rng=1,
        evaluate=lambda pi: _value(lock, pi),
        eval_every=8,
        target_value=v_star,
    )
    assert res.episodes_to_target is not None
    first = int(np.flatnonzero(res.eval_values >= v_star - 1e-6)[0])
    assert first == res.eval_values.size - 1
    assert res.episodes_to_target == res.eval_episodes[first] == res.n_episodes
    assert res.steps_to_target == res.eval_steps[first] == res.n_steps
    np.testing.assert_array_equal(res.eval_episodes, 8 * np.arange(1, first + 2))
    assert _value(lock, res.policy) == v_star


@pytest.mark.parametrize("name", ["dqn", "ppo"])
def test_same_seed_same_result(name):
    lock = combination_lock(3, 2, combination=[0, 1, 0])
    kw = dict(
        horizon=3, n_actions=2, n_episodes=48, hidden_sizes=(8,), evaluate=lambda pi: _value(lock, pi), eval_every=16
    )
    a = LEARNERS[name](lock, rng=7, **kw)
    b = LEARNERS[name](lock, rng=np.random.default_rng(7), **kw)
    c = LEARNERS[name](lock, rng=8, **kw)
    np.testing.assert_array_equal(a.policy, b.policy)
    np.testing.assert_array_equal(a.eval_values, b.eval_values)
    assert a.n_steps == b.n_steps
    sa, sb, sc = a.model.state_dict(), b.model.state_dict(), c.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


# ------------------------------------------------------------------ features hook
@pytest.mark.parametrize("name", ["dqn", "ppo"])
def test_features_hook_without_n_states(name):
    # vector states, no n_states: the policy passed to evaluate is a function; turn it
    # into a table through the one-hot encoding and evaluate it exactly.
    lock = combination_lock(3, 2, combination=[1, 0, 1])
    sim = _VectorLock(lock)
    S, H = lock.n_states, 3
    calls = []

    def features(x, t):
        calls.append(t)
        return np.concatenate([x, np.eye(H)[np.full(len(x), t)]], axis=1)

    def ev(policy):
        assert callable(policy)
        pi = np.array([[policy(np.eye(S)[[s]], t, None)[0] for s in range(S)] for t in range(H)])
        return _value(lock, pi)

    res = LEARNERS[name](
        sim,
        horizon=H,
        n_actions=2,
        n_episodes=400,
        features=features,
        rng=0,
        evaluate=ev,
        eval_every=40,
        target_value=1.0,
    )
    assert res.policy is None
    assert res.episodes_to_target is not None  # observed within 120 episodes for both
    assert set(calls) == {0, 1, 2}


@pytest.mark.parametrize("name", ["dqn", "ppo"])
def test_custom_features_with_n_states_give_a_table(name):
    lock = combination_lock(3, 2, combination=[1, 0, 1])
    base = one_hot_time_features(lock.n_states, 3)
    feats = lambda s, t: np.concatenate([base(s, t), np.ones((len(s), 1))], axis=1)  # noqa: E731
    res = LEARNERS[name](lock, horizon=3, n_actions=2, n_episodes=16, features=feats, rng=0)
    assert res.policy.shape == (3, 5)
    first = next(m for m in res.model.modules() if isinstance(m, torch.nn.Linear))
    assert first.in_features == 5 + 3 + 1


@pytest.mark.parametrize("name", ["dqn", "ppo"])
@pytest.mark.parametrize(
    "bad, exc",
    [
        (lambda s, t: np.zeros(len(s)), ValueError),  # 1-D
        (lambda s, t: np.zeros((len(s) + 1, 3)), ValueError),  # wrong leading axis
        (lambda s, t: np.zeros((len(s), 2 + t)), ValueError),  # dimension changes with t
        (lambda s, t: np.full((len(s), 2), np.nan), ValueError),  # non-finite
        (lambda s, t: "x", TypeError),
    ],
)
def test_features_with_wrong_output_are_rejected(name, bad, exc):
    lock = combination_lock(3, 2, combination=[1, 0, 1])
    with pytest.raises(exc, match=r"^features\b"):
        LEARNERS[name](lock, horizon=3, n_actions=2, n_episodes=4, features=bad, rng=0)


# ------------------------------------------------------------------ argument errors
COMMON_BAD = [
    ({"horizon": 0}, ValueError, "horizon"),
    ({"horizon": 5}, ValueError, "horizon"),
    ({"n_episodes": 0}, ValueError, "n_episodes"),
    ({"n_actions": 3}, ValueError, "n_actions"),
    ({"n_states": 9}, ValueError, "n_states"),
    ({"learning_rate": 0.0}, ValueError, "learning_rate"),
    ({"learning_rate": -1e-3}, ValueError, "learning_rate"),
    ({"gamma": 0.0}, ValueError, "gamma"),
    ({"n_envs": 0}, ValueError, "n_envs"),
    ({"hidden_sizes": (8, 0)}, ValueError, "hidden_sizes"),
    ({"features": 3}, TypeError, "features"),
    ({"evaluate": "no"}, TypeError, "evaluate"),
    ({"target_value": 1.0}, ValueError, "target_value"),
    ({"device": "no-such-device"}, ValueError, "device"),
    ({"device": 1}, TypeError, "device"),
    ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
    ({"hidden_sizes": (8, 10**5)}, ValueError, "hidden_sizes"),
    ({"hidden_sizes": "64"}, TypeError, "hidden_sizes"),
    ({"n_episodes": 2**63}, ValueError, "n_episodes"),
    ({"gamma": float("nan")}, ValueError, "gamma"),
    ({"target_atol": float("nan")}, ValueError, "target_atol"),
]
SPECIFIC_BAD = {
    "dqn": [
        ({"epsilon_start": 1.5}, ValueError, "epsilon_start"),
        ({"epsilon_end": -0.1}, ValueError, "epsilon_end"),
        ({"exploration_fraction": 2.0}, ValueError, "exploration_fraction"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"buffer_size": 0}, ValueError, "buffer_size"),
        ({"replay_ratio": 0.0}, ValueError, "replay_ratio"),
        ({"huber_delta": 0.0}, ValueError, "huber_delta"),
        ({"target_update_every": 0}, ValueError, "target_update_every"),
        ({"replay_ratio": 1e300}, ValueError, "replay_ratio"),  # 1e300 updates per transition: a hang before
        ({"replay_ratio": float("inf")}, ValueError, "replay_ratio"),
        ({"buffer_size": 10**9}, ValueError, "buffer_size"),
        ({"learning_starts": 0}, ValueError, "learning_starts"),
    ],
    "ppo": [
        ({"clip_range": 0.0}, ValueError, "clip_range"),
        ({"gae_lambda": 1.5}, ValueError, "gae_lambda"),
        ({"ent_coef": -0.1}, ValueError, "ent_coef"),
        ({"vf_coef": float("inf")}, ValueError, "vf_coef"),
        ({"minibatch_size": 0}, ValueError, "minibatch_size"),
        ({"n_epochs": -1}, ValueError, "n_epochs"),
        ({"normalize_advantage": "yes"}, TypeError, "normalize_advantage"),
        ({"n_epochs": 10**5}, ValueError, "n_epochs"),
        ({"clip_range": float("nan")}, ValueError, "clip_range"),
    ],
}


@pytest.mark.parametrize(
    "name, kwargs, exc, word",
    [(n, *case) for n in ("dqn", "ppo") for case in COMMON_BAD + SPECIFIC_BAD[n]],
)
def test_argument_errors_name_the_argument(name, kwargs, exc, word):
    lock = combination_lock(4, 2, combination=[0, 1, 1, 0])
    args = dict(horizon=4, n_actions=2, n_episodes=4, rng=0)
    args.update(kwargs)
    with pytest.raises(exc, match=rf"^{word}\b"):
        LEARNERS[name](lock, **args)


@pytest.mark.parametrize("name", ["dqn", "ppo"])
def test_simulator_errors(name):
    with pytest.raises(TypeError, match=r"^sim\b"):
        LEARNERS[name](object(), horizon=2, n_actions=2, n_episodes=3, features=lambda s, t: s)
    sim = _VectorLock(combination_lock(2, 2, combination=[0, 1]))
    with pytest.raises(ValueError, match=r"^features\b"):  # no n_states, no features
        LEARNERS[name](sim, horizon=2, n_actions=2, n_episodes=3)


def test_modules_import_and_fail_cleanly_without_torch():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["torch"] = None
        import tabular
        import tabular.deep
        from rlcore.generators import combination_lock
        lock = combination_lock(2, 2, combination=[0, 1])
        for f in (tabular.deep.dqn, tabular.deep.ppo):
            try:
                f(lock, horizon=2, n_actions=2, n_episodes=2, rng=0)
            except ImportError as exc:
                assert "'torch' extra" in str(exc) and "rlref[torch]" in str(exc), str(exc)
            else:
                raise SystemExit("no ImportError")
        res = tabular.q_learning(lock, horizon=2, n_states=4, n_actions=2, n_episodes=5, rng=0)
        print("ok", res.n_episodes)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok 5"


# ------------------------------------------------------------------ networks and seeding
def test_dqn_starts_from_build_mlp_seeded_by_the_callers_rng():
    # no update is taken (learning_starts beyond every transition): the returned network
    # is the initial one, drawn after the first batch's reset from the same generator
    lock = combination_lock(3, 2, combination=[1, 0, 1])
    res = dqn(lock, horizon=3, n_actions=2, n_episodes=4, n_envs=4, hidden_sizes=(8, 5), learning_starts=10**6, rng=3)
    gen = np.random.default_rng(3)
    lock.reset(4, gen)
    expected = build_mlp((lock.n_states + 3, 8, 5, 2), activation="relu", rng=gen)
    got, want = res.model.state_dict(), expected.state_dict()
    assert list(got) == list(want)
    assert all(torch.equal(got[k], want[k]) for k in got)


def test_ppo_starts_from_build_mlp_with_a_small_actor_head():
    lock = combination_lock(3, 2, combination=[1, 0, 1])
    res = ppo(lock, horizon=3, n_actions=2, n_episodes=4, n_envs=4, hidden_sizes=(8,), n_epochs=0, rng=5)
    gen = np.random.default_rng(5)
    lock.reset(4, gen)
    d = lock.n_states + 3
    actor = build_mlp((d, 8, 2), activation="tanh", rng=gen, out_scale=0.01)
    critic = build_mlp((d, 8, 1), activation="tanh", rng=gen)
    for net, ref in ((res.model["actor"], actor), (res.model["critic"], critic)):
        got, want = net.state_dict(), ref.state_dict()
        assert all(torch.equal(got[k], want[k]) for k in got)
    last = res.model["actor"][-1].weight
    assert float(last.detach().abs().max()) <= 0.01 / np.sqrt(8)  # the head is scaled by out_scale = 0.01


@pytest.mark.parametrize("name", ["dqn", "ppo"])
def test_torchs_global_random_state_is_left_alone(name):
    torch.manual_seed(1234)
    before = torch.random.get_rng_state().clone()
    lock = combination_lock(3, 2, combination=[0, 1, 0])
    LEARNERS[name](lock, horizon=3, n_actions=2, n_episodes=16, hidden_sizes=(8,), rng=0)
    assert torch.equal(torch.random.get_rng_state(), before)


@pytest.mark.parametrize("name", ["dqn", "ppo"])
def test_a_torch_device_object_is_accepted(name):
    lock = combination_lock(2, 2, combination=[1, 0])
    res = LEARNERS[name](
        lock, horizon=2, n_actions=2, n_episodes=8, hidden_sizes=(4,), device=torch.device("cpu"), rng=0
    )
    assert all(p.device.type == "cpu" for p in res.model.parameters())
