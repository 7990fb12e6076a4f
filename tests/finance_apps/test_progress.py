"""Progress bars of the long finance_apps calls (:mod:`rlcore.progress`).

For every wired callable: with ``progress=True`` the bar (its description) appears on
standard error; by default (the library-wide switch off) nothing does; the switch on
with ``progress=None`` shows it; and the result is the same with progress on and off
(same seed), bit for bit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rlcore
import rlcore.progress
from finance_apps import (
    GeometricBrownianMotion,
    MaxCall,
    Put,
    StoppingProblem,
    andersen_broadie,
    binomial_price,
    evaluate_exercise_policy,
    fitted_q_stopping,
    longstaff_schwartz,
    price_bracket,
    product_lattice_price,
)


def _same(a: Any, b: Any) -> None:
    """``a`` and ``b`` equal exactly (arrays bit for bit)."""
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
    elif isinstance(a, float):
        assert a == b or (np.isnan(a) and np.isnan(b))
    elif isinstance(a, (int, str, bool, type(None), np.generic)):
        assert a == b
    # other objects (fitted policies) are compared through their values above


_PROB = StoppingProblem.bermudan(Put(100.0), [0.25, 0.5, 0.75, 1.0], 0.05)
_MODEL = GeometricBrownianMotion(100.0, 0.2, 0.05, _PROB.grid())
_POLICY = longstaff_schwartz(_PROB, _MODEL, 2_000, n_test_paths=None, rng=0).policy

#: name -> (call with progress=..., the description of its bar)
CALLS: dict[str, tuple[Callable[[bool | None], Any], str]] = {
    "longstaff_schwartz": (
        lambda p: longstaff_schwartz(_PROB, _MODEL, 2_000, n_test_paths=2_000, rng=1, progress=p),
        "finance_apps.longstaff_schwartz",
    ),
    "longstaff_schwartz-no-test": (
        lambda p: longstaff_schwartz(_PROB, _MODEL, 2_000, n_test_paths=None, rng=1, progress=p),
        "finance_apps.longstaff_schwartz",
    ),
    "andersen_broadie": (
        lambda p: andersen_broadie(_PROB, _MODEL, _POLICY, 60, 20, rng=2, max_batch=300, progress=p),
        "finance_apps.andersen_broadie",
    ),
    "andersen_broadie-all-dates": (
        lambda p: andersen_broadie(
            _PROB, _MODEL, _POLICY, 40, 10, rng=2, skip_out_of_money=False, antithetic=False, progress=p
        ),
        "finance_apps.andersen_broadie",
    ),
    "price_bracket": (
        lambda p: price_bracket(_PROB, _MODEL, _POLICY, n_lower=2_000, n_outer=50, n_inner=20, rng=3, progress=p),
        "finance_apps.price_bracket",
    ),
    "fitted_q_stopping-shared": (
        lambda p: fitted_q_stopping(_PROB, _MODEL, 2_000, n_test_paths=2_000, rng=4, progress=p),
        "finance_apps.fitted_q_stopping",
    ),
    "fitted_q_stopping-per-date": (
        lambda p: fitted_q_stopping(_PROB, _MODEL, 2_000, shared=False, n_test_paths=None, rng=4, progress=p),
        "finance_apps.fitted_q_stopping",
    ),
    "binomial_price": (
        lambda p: binomial_price(Put(100.0), 100.0, 0.2, 0.05, 1.0, 301, progress=p),
        "finance_apps.binomial_price",
    ),
    "binomial_price-bermudan": (
        lambda p: binomial_price(Put(100.0), 90.0, 0.3, 0.05, 1.0, 120, exercise=[0.25, 0.5, 1.0], progress=p),
        "finance_apps.binomial_price",
    ),
    "product_lattice_price": (
        lambda p: product_lattice_price(MaxCall(100.0), [100.0, 90.0], [0.2, 0.3], 0.05, 1.0, 73, corr=0.3, progress=p),
        "finance_apps.product_lattice_price",
    ),
    "evaluate_exercise_policy": (
        lambda p: evaluate_exercise_policy(_PROB, _MODEL, _POLICY, 3_000, rng=5, progress=p),
        "finance_apps.evaluate_exercise_policy",
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


@pytest.mark.parametrize("name", ["longstaff_schwartz", "andersen_broadie", "fitted_q_stopping-shared"])
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
        ("binomial_price", "finance_apps.binomial_price"),
        ("product_lattice_price", "finance_apps.product_lattice_price"),
    ],
)
def test_lattice_compile_notice_names_the_call(
    name: str, what: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the kernel missing from the cache (simulated), the pricer says so before compiling it."""
    monkeypatch.setattr(rlcore.progress, "_uncached", lambda ks: rlcore.progress._dispatchers(ks))
    CALLS[name][0](False)
    assert "rlref: compiling" not in capsys.readouterr().err
    CALLS[name][0](True)
    err = capsys.readouterr().err
    assert f"Numba kernel for {what} " in err and f"rlref: {what}: kernels ready" in err, err


def test_andersen_broadie_bar_counts_every_outer_path_date(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bar ends at ``n_outer`` times the number of dates (0 and the exercise dates)."""
    import finance_apps.duality as duality
    from rlcore.progress import progress_bar

    bars: list[Any] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        bars.append(progress_bar(*args, **kwargs))
        return bars[-1]

    monkeypatch.setattr(duality, "progress_bar", spy)
    CALLS["andersen_broadie"][0](True)  # a disabled bar does not count
    (bar,) = bars
    assert bar.total == 60 * 5 and bar.n == bar.total


def test_train_hedger_progress(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    from finance_apps import EntropicRisk, call_payoff
    from finance_apps.deep import feedforward_hedger, hedging_features, train_hedger

    gen = np.random.default_rng(0)
    S = np.exp(np.cumsum(np.c_[np.zeros(64), 0.02 * gen.standard_normal((64, 4))], axis=1))[:, :, None]
    Z = call_payoff(S, 1.0)
    X = hedging_features(S, np.linspace(0, 0.04, 5), 1.0)

    def run(p: bool | None) -> Any:
        h = feedforward_hedger(2, rng=0)
        return train_hedger(
            h, S, Z, X, EntropicRisk(10.0), n_iterations=6, batch_size=16, eval_every=2, rng=1, progress=p
        )

    off = run(None)
    assert "finance_apps.train_hedger" not in capsys.readouterr().err
    on = run(True)
    assert "finance_apps.train_hedger" in capsys.readouterr().err
    _same(off.risk_history, on.risk_history)
    _same(off.eval_risk, on.eval_risk)
    for a, b in zip(off.hedger.parameters(), on.hedger.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
