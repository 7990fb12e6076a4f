"""Progress bars of the long bandit calls (:mod:`rlcore.progress`).

For every wired callable: with ``progress=True`` the bar (its description) appears on
standard error; by default (the library-wide switch off) nothing does; the switch on
with ``progress=None`` shows it; and the result is the same with progress on and off
(same seed), bit for bit. The engines say so before compiling a kernel missing from
Numba's cache: checked by making the cache look empty (the notice names the engine).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rlcore
import rlcore.progress
from bandits import (
    UCB1,
    BernoulliBandit,
    CascadeBandit,
    CascadeKLUCB,
    RestlessArm,
    RestlessProblem,
    ThompsonBeta,
    gittins_index,
    myopic_policy,
    simulate,
    simulate_cascade,
    whittle_index,
)
from bandits.cascading import CascadingMDP, cascading_bpi, cascading_vi, enumerated_ucbvi
from bandits.restless import evaluate_restless_policy


def _same(a: Any, b: Any) -> None:
    """``a`` and ``b`` equal exactly (arrays bit for bit, NaN equal to NaN)."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b)
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name))
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, float):
        assert a == b or (np.isnan(a) and np.isnan(b))
    elif isinstance(a, (int, str, bool, type(None), np.generic)):
        assert a == b
    # other objects (policies, networks) are compared through the fields above


def _cascading_mdp() -> CascadingMDP:
    rng = np.random.default_rng(3)
    S, N = 2, 3
    q = rng.uniform(0.1, 0.9, (S, N))
    P = rng.dirichlet(np.ones(S), (S, N + 1))
    r = rng.uniform(0, 1, (S, N))
    return CascadingMDP(q, P, r, list_length=2, horizon=2)


def _restless() -> RestlessProblem:
    arm = RestlessArm.two_state([0.1, 0.7], [0.5, 0.9])
    return RestlessProblem(arm, budget=1, n_arms=3, gamma=0.8)


_ARM = RestlessArm.random(6, rng=1)
_BIG_ARM = RestlessArm.random(520, rng=2)  # above the kernel's 500 states: the blocked loop
_P_CHAIN = np.random.default_rng(4).dirichlet(np.ones(5), 5)
_R_CHAIN = np.random.default_rng(5).uniform(0, 1, 5)

#: name -> (call with progress=..., the description of its bar)
CALLS: dict[str, tuple[Callable[[bool | None], Any], str]] = {
    "simulate-numba": (
        lambda p: simulate(BernoulliBandit([0.2, 0.5]), UCB1(), 200, 5, rng=1, backend="numba", progress=p),
        "bandits.simulate",
    ),
    "simulate-python": (
        lambda p: simulate(BernoulliBandit([0.2, 0.5]), ThompsonBeta(), 100, 3, rng=2, backend="python", progress=p),
        "bandits.simulate",
    ),
    "simulate_cascade": (
        lambda p: simulate_cascade(CascadeBandit([0.4, 0.3, 0.1], 2), CascadeKLUCB(), 200, 4, rng=7, progress=p),
        "bandits.simulate_cascade",
    ),
    "whittle_index-kernel": (
        lambda p: whittle_index(_ARM, gamma=0.9, progress=p),
        "bandits.whittle_index",
    ),
    "whittle_index-blocked": (
        lambda p: whittle_index(_BIG_ARM, gamma=0.9, block=32, progress=p),
        "bandits.whittle_index",
    ),
    "whittle_index-bisection": (
        lambda p: whittle_index(
            RestlessArm.two_state([0.1, 0.7], [0.5, 0.9]), gamma=0.8, method="bisection", progress=p
        ),
        "bandits.whittle_index",
    ),
    "gittins_index": (
        lambda p: gittins_index(_P_CHAIN, _R_CHAIN, 0.9, progress=p),
        "bandits.gittins_index",
    ),
    "gittins_index-restart": (
        lambda p: gittins_index(_P_CHAIN, _R_CHAIN, 0.9, method="restart", progress=p),
        "bandits.gittins_index",
    ),
    "evaluate_restless_policy": (
        lambda p: evaluate_restless_policy(
            _restless(), myopic_policy(_restless()), n_runs=20, horizon=30, rng=0, progress=p
        ),
        "bandits.evaluate_restless_policy",
    ),
    "cascading_vi": (
        lambda p: cascading_vi(_cascading_mdp(), 30, rng=0, progress=p),
        "bandits.cascading_vi",
    ),
    "cascading_bpi": (
        lambda p: cascading_bpi(_cascading_mdp(), 0.5, max_episodes=40, rng=0, progress=p),
        "bandits.cascading_bpi",
    ),
    "enumerated_ucbvi": (
        lambda p: enumerated_ucbvi(_cascading_mdp(), 20, rng=0, progress=p),
        "bandits.enumerated_ucbvi",
    ),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_progress_bar_shown_on_request_and_results_unchanged(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    call, desc = CALLS[name]
    off = call(False)
    err = capsys.readouterr()
    assert desc not in err.err and err.out == ""
    on = call(True)
    err = capsys.readouterr()
    assert desc in err.err, err.err
    assert err.out == ""  # nothing on standard output
    _same(off, on)


@pytest.mark.parametrize("name", ["simulate-numba", "whittle_index-kernel", "cascading_bpi"])
def test_progress_follows_the_library_switch(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    call, desc = CALLS[name]
    assert not rlcore.progress_enabled()
    call(None)
    assert desc not in capsys.readouterr().err  # default: silent
    with rlcore.progress_switch(True):
        call(None)
    assert desc in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("simulate-numba", "bandits.simulate"),
        ("simulate_cascade", "bandits.simulate_cascade"),
        ("whittle_index-kernel", "bandits.whittle_index"),
        ("cascading_vi", "bandits.cascading_vi"),
        ("cascading_bpi", "bandits.cascading_bpi"),
    ],
)
def test_compile_notice_names_the_call(
    name: str, what: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the kernels missing from the cache (simulated), the call says so before compiling them."""
    monkeypatch.setattr(rlcore.progress, "_uncached", lambda ks: rlcore.progress._dispatchers(ks))
    call, _ = CALLS[name]
    call(False)
    assert "rlref: compiling" not in capsys.readouterr().err
    call(True)
    err = capsys.readouterr().err
    assert f"Numba kernel for {what} " in err or f"Numba kernels for {what} " in err, err
    assert f"rlref: {what}: kernels ready" in err


def test_python_backend_compiles_nothing(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rlcore.progress, "_uncached", lambda ks: rlcore.progress._dispatchers(ks))
    CALLS["simulate-python"][0](True)
    assert "rlref: compiling" not in capsys.readouterr().err


def test_cascading_bpi_stopping_early_closes_its_bar(capsys: pytest.CaptureFixture[str]) -> None:
    from tqdm.std import tqdm

    m = CascadingMDP([[0.9, 0.1]], np.ones((1, 3, 1)), [[1.0, 0.1]], list_length=1, horizon=1)
    res = cascading_bpi(m, 0.9, max_episodes=5000, rng=0, progress=True)
    assert res.converged and 1 < res.n_episodes < 5000  # stopped early, after the bar started
    assert "bandits.cascading_bpi" in capsys.readouterr().err
    assert not [bar for bar in list(tqdm._instances) if "bandits.cascading_bpi" in str(bar.desc)]


def test_sequoia_progress(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    from bandits import CoupledRestlessProblem, multiple_interventions, sequoia

    c = multiple_interventions(2, [1.0], 1.0)
    prob = CoupledRestlessProblem([[0.2, 0.6]] * 2, [[0.5, 0.5]] * 2, c, gamma=0.9)

    def run(p: bool | None) -> Any:
        return sequoia(prob, n_steps=12, hidden_sizes=(4,), batch_size=4, target_update_every=5, rng=0, progress=p)

    off = run(None)
    assert "bandits.sequoia" not in capsys.readouterr().err
    on = run(True)
    assert "bandits.sequoia" in capsys.readouterr().err
    _same(off.layers, on.layers)
    _same(off.history, on.history)
    assert off.n_milps == on.n_milps
