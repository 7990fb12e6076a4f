"""Fitted-Q (RL) exercise policies: agree with LSMC on GBM within Monte Carlo error
(paired, on common test paths), never beat the lattice's Markov optimum beyond MC error
even with price history in the state (no look-ahead), and beat price-only LSMC on
autocorrelated returns where the last price is not a sufficient state."""

from __future__ import annotations

import numpy as np
import pytest

from finance_apps import (
    AutoregressiveGARCH,
    GeometricBrownianMotion,
    HistoryFeatures,
    Put,
    StoppingProblem,
    binomial_price,
    evaluate_exercise_policy,
    fitted_q_stopping,
    longstaff_schwartz,
)

DATES = np.arange(1, 11) / 10


@pytest.fixture(scope="module")
def gbm():
    prob = StoppingProblem.bermudan(Put(100.0), DATES, 0.05)
    model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid())
    exact = binomial_price(Put(100.0), 100.0, 0.2, 0.05, 1.0, 4000, exercise=DATES).price
    test = model.simulate(60_000, rng=12345)
    return prob, model, exact, test


def test_fitted_q_agrees_with_lsmc_on_gbm(gbm):
    prob, model, exact, test = gbm
    lsmc = longstaff_schwartz(prob, model, 20_000, n_test_paths=None, rng=0).policy
    fq = fitted_q_stopping(prob, model, 20_000, features=HistoryFeatures(1, degree=3), n_test_paths=None, rng=0)
    assert fq.n_iterations == 10
    a = evaluate_exercise_policy(lsmc, prob, model, paths=test)
    b = evaluate_exercise_policy(fq.policy, prob, model, paths=test)
    diff = b.payoffs - a.payoffs
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    # both near-optimal: their values differ by at most 4 paired standard errors plus 0.04
    assert abs(diff.mean()) < 4 * se + 0.04, (a.price, b.price, se)
    assert b.price < exact + 3 * b.stderr


def test_history_policy_does_not_beat_markov_optimum(gbm):
    prob, model, exact, test = gbm
    # failure budget: 3 one-sided 3-sigma checks
    for kw in [
        dict(features=HistoryFeatures(3, degree=2)),
        dict(features=HistoryFeatures(3, degree=2), shared=False),
        dict(features=HistoryFeatures(5, degree=1)),
    ]:
        pol = fitted_q_stopping(prob, model, 10_000, n_test_paths=None, rng=1, **kw).policy
        v = evaluate_exercise_policy(pol, prob, model, paths=test)
        assert v.price < exact + 3 * v.stderr, (kw, v.price, exact)


def test_history_policy_in_sample_overfit_is_caught_out_of_sample(gbm):
    # the guard can fail: a policy judged on its own training paths *can* exceed the optimum
    prob, model, exact, _ = gbm
    res = longstaff_schwartz(
        prob, model, 300, features=HistoryFeatures(6, include_time=False, degree=2), n_test_paths=60_000, rng=3
    )
    assert res.out_of_sample is not None
    assert res.out_of_sample.price < exact + 3 * res.out_of_sample.stderr
    # 28 features on 300 paths: the in-sample estimate is optimistic (seen ~ +0.5 to +1.7)
    assert res.price_in_sample > res.out_of_sample.price + 0.3


@pytest.mark.slow
def test_history_helps_on_autocorrelated_returns():
    prob = StoppingProblem.bermudan(Put(100.0), DATES, 0.02)
    model = AutoregressiveGARCH(100.0, 0.0, 0.5, 0.03**2, 0.0, 0.0, prob.grid())
    test = model.simulate(50_000, rng=99)
    markov = longstaff_schwartz(prob, model, 10_000, n_test_paths=None, rng=0).policy
    hist = fitted_q_stopping(
        prob, model, 10_000, features=HistoryFeatures(2, degree=3), n_test_paths=None, rng=0
    ).policy
    a = evaluate_exercise_policy(markov, prob, model, paths=test)
    b = evaluate_exercise_policy(hist, prob, model, paths=test)
    diff = b.payoffs - a.payoffs
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert diff.mean() > 5 * se, (a.price, b.price, se)  # observed ~ +0.3 (30 se)


@pytest.mark.slow
def test_neural_fitted_q_with_torch_mlp(gbm):
    torch = pytest.importorskip("torch")
    from rlcore.torch_regressors import MLPRegressor

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny network: intra-op threads only contend (measured 60x slower on 2 busy cores)
    try:
        _neural_fitted_q(MLPRegressor)
    finally:
        torch.set_num_threads(threads)


def _neural_fitted_q(MLPRegressor):

    prob4 = StoppingProblem.bermudan(Put(100.0), np.arange(1, 5) / 4, 0.05)
    model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob4.grid())
    exact = binomial_price(Put(100.0), 100.0, 0.2, 0.05, 1.0, 2000, exercise=prob4.exercise_dates).price
    mlp = MLPRegressor(hidden_sizes=(16,), n_epochs=3, min_steps=0, batch_size=256, learning_rate=1e-2, random_state=0)
    res = fitted_q_stopping(
        prob4, model, 4000, features=HistoryFeatures(2), regressor=mlp, n_iterations=4, n_test_paths=30_000, rng=0
    )
    v = res.out_of_sample
    assert v is not None
    assert v.price < exact + 3 * v.stderr and v.price > exact - 0.4, (v.price, exact)


def test_fitted_q_input_errors(gbm):
    prob, model, _, _ = gbm
    with pytest.raises(ValueError, match="n_iterations"):
        fitted_q_stopping(prob, model, 100, n_iterations=0)
    with pytest.raises(TypeError, match="shared"):
        fitted_q_stopping(prob, model, 100, shared="yes")
    with pytest.raises(ValueError, match="window"):
        HistoryFeatures(0)


def test_value_targets_also_work_and_per_date_cashflow_matches_lsmc_quality(gbm):
    prob, model, exact, test = gbm
    for kw in [dict(target="value"), dict(target="value", shared=False), dict(shared=False)]:
        pol = fitted_q_stopping(
            prob, model, 10_000, features=HistoryFeatures(1, degree=3), n_test_paths=None, rng=4, **kw
        ).policy
        v = evaluate_exercise_policy(pol, prob, model, paths=test)
        assert exact - 0.1 - 3 * v.stderr < v.price < exact + 3 * v.stderr, (kw, v.price, exact)
    with pytest.raises(ValueError, match="target"):
        fitted_q_stopping(prob, model, 100, target="q")
