"""Tests of the shared deep-agent layer: tabular.deep.agent, _agent_common and sweep.

Independent sources: the same run through two sweep backends (serial and loky must give
bit-identical records); a checkpoint written by hand with pickle (which loading must
refuse); training with and without periodic evaluation (evaluation must not change the
training run); Gymnasium's own CartPole stepped by hand for evaluate_agent's returns.
"""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rlcore.experiments import Sweep, run_sweep
from tabular.deep import evaluate_agent, load_agent, sweep_run, train_dqn
from tabular.deep._agent_common import RunningMeanStd

TINY = dict(total_steps=120, learning_starts=40, train_freq=20, gradient_steps=2, hidden_sizes=(8,), n_eval_episodes=2)


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_evaluation_does_not_change_the_training_run() -> None:
    """Periodic evaluation runs on its own environment and generator: training is the same run."""
    a = train_dqn("CartPole-v1", rng=3, **TINY)
    b = train_dqn("CartPole-v1", rng=3, eval_every=30, **TINY)
    assert np.array_equal(a.episode_returns, b.episode_returns)
    assert b.eval_steps.tolist() == [30, 60, 90, 120]  # no second evaluation at the final step
    for pa, pb in zip(a.agent.networks["q"].parameters(), b.agent.networks["q"].parameters()):
        assert torch.equal(pa, pb)


def test_evaluate_agent_matches_stepping_gymnasium_by_hand() -> None:
    import gymnasium

    agent = train_dqn("CartPole-v1", rng=0, **TINY).agent
    returns = evaluate_agent("CartPole-v1", agent, n_episodes=3, rng=7)
    # the same episodes by hand: evaluate_agent seeds each episode from its rng (protocol mode, one batch)
    gen = np.random.default_rng(7)
    seeds = [int(gen.integers(0, 2**32)) for _ in range(3)]
    by_hand = []
    for s in seeds:
        env = gymnasium.make("CartPole-v1")
        obs, _ = env.reset(seed=s)
        total, done = 0.0, False
        while not done:
            obs, r, te, tr, _ = env.step(int(agent.act(obs[None])[0]))
            total += r
            done = te or tr
        by_hand.append(total)
    assert returns.tolist() == by_hand


def test_sweep_backends_give_identical_records(tmp_path) -> None:
    config = {
        "algorithm": "dqn",
        "env": "CartPole-v1",
        **{k: list(v) if isinstance(v, tuple) else v for k, v in TINY.items()},
    }
    sweep = Sweep([config], n_seeds=2, root_seed=11)
    serial = run_sweep(sweep, sweep_run, tmp_path / "serial", backend="serial")
    loky = run_sweep(sweep, sweep_run, tmp_path / "loky", backend="loky", n_jobs=2)
    for a, b in zip(serial, loky):
        assert a["status"] == b["status"] == "ok"
        ra = {k: v for k, v in a["result"].items() if k != "steps_per_second"}
        rb = {k: v for k, v in b["result"].items() if k != "steps_per_second"}
        assert ra == rb


def test_sweep_run_refuses_bad_configs() -> None:
    with pytest.raises(ValueError, match="^config: missing"):
        sweep_run({"algorithm": "dqn"}, 0)
    with pytest.raises(ValueError, match="^config: algorithm must be one of"):
        sweep_run({"algorithm": "a2c", "env": "CartPole-v1", "total_steps": 10}, 0)
    with pytest.raises(TypeError, match="^config: "):
        sweep_run([("algorithm", "dqn")], 0)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_loading_never_unpickles(tmp_path) -> None:
    """A pickle with an object in it is refused by weights_only loading, and so is a foreign file."""
    path = os.fspath(tmp_path / "evil.pt")
    with open(path, "wb") as f:
        pickle.dump({"format": "rlref-agent-1", "kind": "dqn", "payload": _Marker()}, f)
    with pytest.raises(ValueError, match="^path: not a readable agent checkpoint"):
        load_agent(path)
    other = os.fspath(tmp_path / "other.pt")
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(ValueError, match="^path: not an agent checkpoint"):
        load_agent(other)
    assert not _Marker.loaded


class _Marker:
    loaded = False

    def __setstate__(self, state):
        _Marker.loaded = True


def test_agent_refuses_bad_observations() -> None:
    agent = train_dqn("CartPole-v1", rng=0, **TINY).agent
    with pytest.raises(ValueError, match="^observations: "):
        agent.act(np.zeros((2, 3)))


def test_running_mean_std_matches_numpy() -> None:
    gen = np.random.default_rng(0)
    x = gen.normal(3.0, 2.0, size=(1000, 3))
    rms = RunningMeanStd((3,))
    for chunk in np.array_split(x, 17):
        rms.update(chunk)
    np.testing.assert_allclose(rms.mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(rms.var, x.var(axis=0), rtol=1e-10)
    assert rms.count == 1000
