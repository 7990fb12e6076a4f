"""Progress bars of the long calls of :mod:`tabular` (``progress=`` and :func:`rlcore.set_progress`).

For every wired call: with ``progress=True`` standard error shows the bar (its
``desc``); with the default (the switch off) it stays silent; with the switch on and
``progress=None`` the bar appears; and the result is identical, bit for bit, in the
three cases (the bar never touches the random stream). The oracle of "identical" is
the same call with ``progress=False``. Instances are tiny: this is about the wiring.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from collections.abc import Callable

import numpy as np
import pytest

import rlcore
from rlcore import FiniteMDP
from rlcore.generators import combination_lock, random_mdp, sticky_actions
from tabular import (
    distributional_evaluation,
    gorp,
    modified_policy_iteration,
    policy_iteration,
    q_learning,
    relative_value_iteration,
    solve,
    sqirl,
    sqirl_sample_complexity,
    value_iteration,
)


def _same(a: Any, b: Any, path: str = "result") -> None:
    """Exact equality of two results (dataclasses, arrays, numbers, torch modules)."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), path
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path, strict=True)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    elif hasattr(a, "state_dict"):  # a torch module: same weights
        sa, sb = a.state_dict(), b.state_dict()
        assert sa.keys() == sb.keys(), path
        for k in sa:
            assert bool((sa[k] == sb[k]).all()), f"{path}.{k}"
    elif callable(a) or hasattr(a, "predict"):  # closures and fitted regressors: compared through outputs
        pass
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), path
    else:
        assert a == b, path


def check_progress(call: Callable[..., Any], desc: str, capfd: pytest.CaptureFixture[str]) -> Any:
    """Run ``call(progress=...)`` four ways; check the bar and the identical results."""
    capfd.readouterr()
    off = call(progress=False)
    assert desc not in capfd.readouterr().err
    default = call()
    captured = capfd.readouterr()
    assert desc not in captured.err and desc not in captured.out
    on = call(progress=True)
    captured = capfd.readouterr()
    assert desc in captured.err
    assert desc not in captured.out  # bars go to standard error only
    with rlcore.progress_switch(True):
        switched = call()
    assert desc in capfd.readouterr().err
    for other in (default, on, switched):
        _same(off, other)
    return off


@pytest.fixture(autouse=True)
def _switch_off():
    """Every test starts (and ends) with the library-wide switch off."""
    with rlcore.progress_switch(False):
        yield


LOCK = combination_lock(3, 2, combination=[1, 0, 1])


def test_q_learning(capfd):
    def call(**kw):
        return q_learning(LOCK, horizon=3, n_states=5, n_actions=2, n_episodes=60, n_envs=7, rng=1, **kw)

    res = check_progress(call, "q_learning", capfd)
    assert res.n_episodes == 60


def test_q_learning_with_early_stop(capfd):
    """Training that stops at the target closes its bar too, and stops at the same place."""

    def call(**kw):
        return q_learning(
            LOCK,
            horizon=3,
            n_states=5,
            n_actions=2,
            n_episodes=2000,
            epsilon=0.3,
            n_envs=10,
            rng=0,
            evaluate=lambda pi: float(np.array_equal(pi[[0, 1, 2], [0, 1, 2]], [1, 0, 1])),
            target_value=1.0,
            **kw,
        )

    res = check_progress(call, "q_learning", capfd)
    assert res.reached_target and res.n_episodes < 2000


def test_gorp(capfd):
    res = check_progress(lambda **kw: gorp(LOCK, horizon=3, n_actions=2, k=1, m=8, rng=0, **kw), "gorp", capfd)
    assert res.n_episodes == 3 * 2 * 8


def test_sqirl(capfd):
    sticky = sticky_actions(LOCK, 0.25)
    res = check_progress(lambda **kw: sqirl(sticky, horizon=3, n_actions=2, k=1, m=50, rng=0, **kw), "sqirl", capfd)
    assert res.n_episodes == 150


def test_sqirl_sample_complexity(capfd):
    sticky = sticky_actions(LOCK, 0.25)

    def call(**kw):
        return sqirl_sample_complexity(sticky, ks=(1,), ms=(2, 4, 8, 16), seeds=2, **kw)

    check_progress(call, "sqirl_sample_complexity", capfd)


def _coin_mdp(gamma: float | None, horizon: int | None) -> FiniteMDP:
    base = random_mdp(4, 2, gamma=gamma, horizon=horizon, rng=3)
    return FiniteMDP(base.P, base.R, gamma=gamma, horizon=horizon, initial=np.full(4, 0.25))


@pytest.mark.parametrize(
    ("representation", "gamma", "horizon"),
    [
        ("categorical", None, 4),
        ("quantile", None, 4),
        ("exact", None, 3),
        ("categorical", 0.8, None),
        ("quantile", 0.8, None),
    ],
)
def test_distributional_evaluation(capfd, representation, gamma, horizon):
    mdp = _coin_mdp(gamma, horizon)
    policy = np.zeros(4 if horizon is None else (horizon, 4), dtype=np.int64)

    def call(**kw):
        return distributional_evaluation(mdp, policy, representation=representation, n_atoms=11, epsilon=1e-6, **kw)

    check_progress(call, "distributional_evaluation", capfd)


@pytest.mark.parametrize("learner", ["dqn", "ppo"])
def test_deep_learners(capfd, learner):
    torch = pytest.importorskip("torch")
    from tabular import deep

    fn = getattr(deep, learner)
    lock = combination_lock(2, 2, combination=[1, 0])
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:

        def call(**kw):
            return fn(lock, horizon=2, n_actions=2, n_episodes=24, hidden_sizes=(8,), n_envs=4, rng=0, **kw)

        res = check_progress(call, learner, capfd)
    finally:
        torch.set_num_threads(before)
    assert res.n_episodes == 24


@pytest.mark.parametrize(
    "call",
    [
        lambda: q_learning(LOCK, horizon=3, n_states=5, n_actions=2, n_episodes=5, rng=0, progress=1),
        lambda: gorp(LOCK, horizon=3, n_actions=2, k=1, m=2, rng=0, progress="yes"),
        lambda: sqirl(LOCK, horizon=3, n_actions=2, k=1, m=2, rng=0, progress=np.float64(1.0)),
    ],
)
def test_progress_must_be_a_bool_or_none(call):
    with pytest.raises(TypeError, match="^progress"):
        call()


# ----------------------------------------------------------------------------- planners
DISCOUNTED = random_mdp(6, 3, gamma=0.95, rng=4)


@pytest.mark.parametrize(
    ("planner", "kwargs"),
    [
        (value_iteration, {}),
        (value_iteration, {"variant": "gauss-seidel"}),
        (value_iteration, {"stopping": "sup", "max_iter": 7}),
        (policy_iteration, {}),
        (modified_policy_iteration, {"m": 3}),
        (modified_policy_iteration, {"m": "auto"}),
        (relative_value_iteration, {"tau": 0.5}),
    ],
)
def test_planners(capfd, planner, kwargs):
    check_progress(lambda **kw: planner(DISCOUNTED, epsilon=1e-9, **kwargs, **kw), planner.__name__, capfd)


@pytest.mark.parametrize(
    ("method", "desc"),
    [("value_iteration", "value_iteration"), ("policy_iteration", "policy_iteration"), ("auto", "modified_policy")],
)
def test_solve_forwards_progress(capfd, method, desc):
    check_progress(lambda **kw: solve(DISCOUNTED, method, epsilon=1e-9, **kw), desc, capfd)


def test_solve_accepts_progress_where_there_is_nothing_to_count(capfd):
    """Backward induction (exact, a few steps) ignores it, as it ignores epsilon and max_iter."""
    mdp = random_mdp(4, 2, horizon=3, rng=0)
    res = solve(mdp, progress=True)
    np.testing.assert_array_equal(res.V, solve(mdp).V)
    assert capfd.readouterr().err == ""
