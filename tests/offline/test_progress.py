"""Progress bars of the deep offline learners and of pessimistic value iteration (``progress=`` and :func:`rlcore.set_progress`).

With ``progress=True`` standard error shows the bar (its ``desc``); with the default
(the switch off) it stays silent; with the switch on and ``progress=None`` the bar
appears; and the trained networks are identical, bit for bit, in the three cases. The
oracle of "identical" is the same call with ``progress=False``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import rlcore
from rlcore import rollout
from offline import cql, iql, pessimistic_value_iteration, vi_lcb, vi_lcb_bernstein
from offline.data import sample_transitions
from rlcore.generators import chain


@pytest.fixture(autouse=True)
def _quiet():
    """Every test starts (and ends) with the library-wide switch off."""
    with rlcore.progress_switch(False):
        yield


MDP = chain(3, small_reward=0.2, large_reward=1.0, horizon=3)
DATA = rollout(MDP, np.full((3, 2), 0.5), 30, rng=0)


def _outputs(res):
    """Everything a deep offline result computes: losses, Q and scores at every (state, step)."""
    obs = np.arange(3)
    return (
        res.losses,
        np.stack([res.Q(obs, t) for t in range(3)]),
        np.stack([res.scores(obs, t) for t in range(3)]),
        res.n_steps,
        res.method,
    )


@pytest.mark.parametrize("learner", [cql, iql], ids=["cql", "iql"])
def test_deep_offline_learners(capfd, learner):
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: threads only add overhead
    try:
        _check_deep(capfd, learner)
    finally:
        torch.set_num_threads(before)


def _check_deep(capfd, learner):
    name = learner.__name__

    def call(**kw):
        return _outputs(learner(DATA, 2, horizon=3, n_states=3, n_steps=30, batch_size=16, rng=0, **kw))

    capfd.readouterr()
    off = call(progress=False)
    assert name not in capfd.readouterr().err
    default = call()
    captured = capfd.readouterr()
    assert name not in captured.err and name not in captured.out
    on = call(progress=True)
    captured = capfd.readouterr()
    assert name in captured.err and name not in captured.out
    with rlcore.progress_switch(True):
        switched = call()
    assert name in capfd.readouterr().err
    for other in (default, on, switched):
        for a, b in zip(off, other):
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b, strict=True)
            else:
                assert a == b


@pytest.mark.parametrize("learner", [cql, iql], ids=["cql", "iql"])
def test_progress_must_be_a_bool_or_none(learner):
    pytest.importorskip("torch")
    with pytest.raises(TypeError, match="^progress"):
        learner(DATA, 2, horizon=3, n_states=3, n_steps=2, rng=0, progress="on")


# ----------------------------------------------------------------------------- pessimistic VI
def _pessimistic_cases():
    disc = chain(3, small_reward=0.2, large_reward=1.0, gamma=0.5)
    iid = sample_transitions(disc, np.full((3, 2), 1 / 6), 400, rng=1)
    return [
        ("discounted", lambda **kw: pessimistic_value_iteration(iid, 3, 2, gamma=0.5, **kw)),
        ("finite", lambda **kw: pessimistic_value_iteration(DATA, 3, 2, horizon=3, **kw)),
        ("vi_lcb", lambda **kw: vi_lcb(iid, 3, 2, 0.5, rng=0, **kw)),
        ("bernstein_discounted", lambda **kw: vi_lcb_bernstein(iid, 3, 2, gamma=0.5, **kw)),
        ("bernstein_finite", lambda **kw: vi_lcb_bernstein(DATA, 3, 2, horizon=3, rng=0, **kw)),
    ]


@pytest.mark.filterwarnings("ignore::offline.VacuousResultWarning")
@pytest.mark.parametrize("case", range(5))
def test_pessimistic_value_iteration(capfd, case):
    _, call = _pessimistic_cases()[case]
    desc = "pessimistic_value_iteration"
    capfd.readouterr()
    off = call(progress=False)
    default = call()
    assert desc not in capfd.readouterr().err
    on = call(progress=True)
    assert desc in capfd.readouterr().err
    with rlcore.progress_switch(True):
        switched = call()
    assert desc in capfd.readouterr().err
    for other in (default, on, switched):
        for f in dataclasses.fields(off):
            a, b = getattr(off, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b, strict=True)
            else:
                assert a == b or (a != a and b != b), f.name
