"""Deep hedging: the training loop against the Black-Scholes theory it should recover.

Independent sources (GBM simulated here with numpy, not by the library):

* with no costs the learned hedge is close to the Black-Scholes delta and its
  indifference price lies between the BS price (a lower bound by Jensen) and the risk
  of the BS delta hedge; fewer rebalancing dates give a higher price;
* with costs it trades less than the delta hedge, has a lower risk on held-out paths,
  and its holding moves with the previous one (a no-trade band);
* the LSTM hedger trains with K-FAC, and the same seeds give the same run.

Monte Carlo tolerances are stated next to each assertion; every seed is fixed. The
"observed" ranges are over 4 seeds of the markets, the hedger's initial weights (drawn by
``rlcore.deep.init_linear_`` from the numpy ``rng``) and the minibatches.
"""

from __future__ import annotations

import numpy as np
import pytest

from finance_apps import (
    EntropicRisk,
    bs_call_price,
    bs_delta_hedge,
    call_payoff,
    entropic_risk,
    hedging_pnl,
    indifference_price,
    turnover,
)
from finance_apps.deep import (
    TrainingResult,
    feedforward_hedger,
    hedge_ratios,
    hedging_features,
    lstm_hedger,
    train_hedger,
)
from rlcore.results import Result
from tests.finance_apps._market import gbm


@pytest.fixture
def one_thread():
    torch = pytest.importorskip("torch")
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(old)


SIGMA, T, K, N_STEPS, A = 0.2, 20 / 250, 1.0, 20, 50.0


def _market(seed, n_paths=8000):
    S, t = gbm(n_paths, N_STEPS, T, SIGMA, rng=seed)
    return S, t, call_payoff(S, K), hedging_features(S, t, K)


def test_deep_hedger_without_costs_approaches_delta_and_bs_price(one_thread):
    S, t, Z, X = _market(0)
    Se, te, Ze, Xe = _market(1, 20_000)
    risk = EntropicRisk(A)
    res = train_hedger(
        feedforward_hedger(2, rng=0),
        S,
        Z,
        X,
        risk,
        learning_rate=5e-3,
        n_iterations=300,
        batch_size=1024,
        eval_every=100,
        eval_data=(Se, Ze, Xe),
        rng=0,
    )
    D = hedge_ratios(res.hedger, Xe)
    delta = bs_delta_hedge(Se, te, K, SIGMA)
    # |D - delta| is 0.023-0.044 over 4 seeds (delta spans [0, 1]; no hedge is ~0.5 away)
    assert np.abs(D - delta).mean() < 0.07
    p_deep = indifference_price(res.final_risk, 0.0)  # martingale, no costs: pi(0) = 0
    p_delta = entropic_risk(hedging_pnl(Se, delta, Ze), A)
    p_bs = float(bs_call_price(1.0, K, T, SIGMA))
    # Jensen: the entropic price is >= E[Z] (= BS price up to MC error 3e-4 at 3 sd) ...
    assert p_deep > p_bs - 3e-4
    # ... and it exceeds the BS price by O(1/n) only: (a/2) Var ~ 5e-4 for the delta hedge
    assert p_delta - p_bs < 1e-3
    assert p_deep < p_delta + 5e-4  # observed excess 0.9e-4 to 2.1e-4 over 4 seeds
    assert res.eval_risk[-1] < 0.7 * res.eval_risk[0]
    # fewer dates, higher price: with 5 rebalancings the excess over BS is ~4 times larger
    S5, Z5, X5 = S[:, ::4], Z, hedging_features(S[:, ::4], t[::4], K)
    Se5, Ze5, Xe5 = Se[:, ::4], Ze, hedging_features(Se[:, ::4], te[::4], K)
    res5 = train_hedger(
        feedforward_hedger(2, rng=0),
        S5,
        Z5,
        X5,
        risk,
        learning_rate=5e-3,
        n_iterations=300,
        batch_size=1024,
        eval_every=300,
        eval_data=(Se5, Ze5, Xe5),
        rng=0,
    )
    p5_delta = entropic_risk(hedging_pnl(Se5, bs_delta_hedge(Se5, te[::4], K, SIGMA), Ze5), A)
    assert p5_delta - p_bs > 1.2e-3  # observed 1.7e-3 to 2.0e-3 (4 seeds)
    assert res5.final_risk > p_deep + 8e-4  # observed gap 1.3e-3 to 1.4e-3 (4 seeds)


def test_deep_hedger_with_costs_trades_less_and_beats_delta(one_thread):
    c = 0.002
    S, t, Z, X = _market(2)
    Se, te, Ze, Xe = _market(3, 20_000)
    risk = EntropicRisk(A)
    res = train_hedger(
        feedforward_hedger(2, rng=1),
        S,
        Z,
        X,
        risk,
        cost=c,
        learning_rate=5e-3,
        n_iterations=300,
        batch_size=1024,
        eval_every=300,
        eval_data=(Se, Ze, Xe),
        rng=1,
    )
    D = hedge_ratios(res.hedger, Xe)
    delta = bs_delta_hedge(Se, te, K, SIGMA)
    r_delta = risk(hedging_pnl(Se, delta, Ze, cost=c))
    r_deep = risk(hedging_pnl(Se, D, Ze, cost=c))
    assert r_deep == pytest.approx(res.final_risk, rel=1e-5)
    assert turnover(D).mean() < 0.85 * turnover(delta).mean()  # observed 0.61-0.64 (4 seeds)
    assert r_deep < r_delta  # observed ratio 0.962-0.969, paired on the same paths
    # the learned holding moves with the previous one (a no-trade band), unlike delta:
    # d delta_k / d delta_{k-1} averaged over the evaluation states is clearly positive
    torch = one_thread
    h = res.hedger
    x = torch.as_tensor(Xe[:2000, 10], dtype=torch.float32)
    prev = torch.as_tensor(D[:2000, 9], dtype=torch.float32)
    with torch.no_grad():
        slope = (h.decide(x, prev + 0.05) - h.decide(x, prev - 0.05)) / 0.1
    assert float(slope.mean()) > 0.2  # observed 0.41-0.43 (a delta hedge has slope 0)


def test_lstm_hedger_and_kfac_train(one_thread):
    S, t, Z, X = _market(4, 2000)
    risk = EntropicRisk(A)
    res = train_hedger(
        lstm_hedger(2, hidden_size=8, rng=0),
        S,
        Z,
        X,
        risk,
        cost=0.001,
        optimizer="kfac",
        learning_rate=0.01,
        n_iterations=40,
        batch_size=256,
        eval_every=40,
        rng=0,
    )
    assert res.eval_risk[-1] < 0.7 * res.eval_risk[0]
    # same seeds, same result
    res2 = train_hedger(
        lstm_hedger(2, hidden_size=8, rng=0),
        S,
        Z,
        X,
        risk,
        cost=0.001,
        optimizer="kfac",
        learning_rate=0.01,
        n_iterations=40,
        batch_size=256,
        eval_every=40,
        rng=0,
    )
    np.testing.assert_array_equal(res.risk_history, res2.risk_history)
    # the result prints concisely: the network by its type, arrays by their shape
    assert isinstance(res, Result) and isinstance(res, TrainingResult)
    assert "hedger=<ExplicitLSTMHedger>" in repr(res) and "risk_history=<(40,) float64>" in repr(res)
    assert "final_risk" in res.summary() and res.optimizer == "kfac"


def test_train_hedger_rejects_bad_arguments(one_thread):
    S, t, Z, X = _market(0, 16)
    h = feedforward_hedger(2, rng=0)
    with pytest.raises(ValueError, match="optimizer"):
        train_hedger(h, S, Z, X, EntropicRisk(1.0), optimizer="sgd")
    with pytest.raises(TypeError, match="risk"):
        train_hedger(h, S, Z, X, entropic_risk)
    with pytest.raises(ValueError, match="features"):
        train_hedger(h, S, Z, X[:, :-1], EntropicRisk(1.0))


def test_deep_hedging_arguments_are_refused_by_name(one_thread):
    S, t, Z, X = _market(0, 16)
    h = feedforward_hedger(2, rng=0)
    with pytest.raises(ValueError, match=r"^kfac_options\b"):
        train_hedger(h, S, Z, X, EntropicRisk(1.0), optimizer="kfac", kfac_options={"dampin": 1e-3})
    with pytest.raises(ValueError, match=r"^kfac_options\b"):
        train_hedger(h, S, Z, X, EntropicRisk(1.0), optimizer="kfac", kfac_options={"damping": -1.0})
    with pytest.raises(ValueError, match=r"^features\b"):  # 3 features for a 2-feature hedger
        hedge_ratios(h, np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"^eval_data\b"):
        train_hedger(h, S, Z, X, EntropicRisk(1.0), eval_data=(S, Z, X[:, :, :1]))
    with pytest.raises(ValueError, match=r"^n_iterations\b"):
        train_hedger(h, S, Z, X, EntropicRisk(1.0), n_iterations=2**63)
    with pytest.raises(ValueError, match=r"^hidden_sizes\[0\]"):
        feedforward_hedger(2, hidden_sizes=(0,))
    with pytest.raises(ValueError, match=r"^n_features\b"):
        feedforward_hedger(10**6)
    with pytest.raises(ValueError, match=r"^forget_bias\b"):
        lstm_hedger(2, forget_bias=float("nan"))  # was accepted: a hedger of NaN biases
    with pytest.raises(TypeError, match=r"^dtype\b"):
        lstm_hedger(2, dtype="float32")
    with pytest.raises(ValueError, match=r"^dtype\b"):
        lstm_hedger(2, dtype=one_thread.int64)


def test_hedging_features_of_a_tiny_strike_are_finite():
    # a tiny strike: log(S / K) overflowed to inf in the features
    X = hedging_features(np.ones((1, 3, 1)), [0.0, 0.5, 1.0], 5e-324)
    assert np.all(np.isfinite(X))
    with pytest.raises(ValueError, match=r"^times\b"):
        hedging_features(np.ones((1, 3, 1)), [0.0, 0.5, 0.5], 1.0)
    with pytest.raises(ValueError, match=r"^times\b"):
        hedging_features(np.ones((1, 3, 1)), [0.0, 1.0], 1.0)
    np.testing.assert_allclose(
        hedging_features(np.ones((1, 3, 1)), [0.0, 0.5, 1.0], 1.0, normalize=False), [[[0.0, 1.0], [0.0, 0.5]]]
    )
