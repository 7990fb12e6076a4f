"""Least-squares Monte Carlo without history copies and with variance reduction.

* Shortened histories (feature maps that declare a ``lookback``) and date-major storage
  give the same prices, bit for bit, as whole histories on path-major arrays.
* Antithetic pairs: the estimate is unbiased (against Black-Scholes and against a plain
  estimate on many paths) and its standard error, computed from the pair means, matches
  the spread of the estimates over seeds (treating the pair as independent would not).
* The European control variate: exact on a European option, unbiased with a correct
  standard error over seeds for a fixed policy, and the LSMC price within its standard
  error bound of the lattice value.
"""

from __future__ import annotations

import numpy as np
import pytest

from finance_apps import (
    AutoregressiveGARCH,
    BoundaryPolicy,
    GeometricBrownianMotion,
    Heston,
    HistoryFeatures,
    PolynomialBasis,
    Put,
    RegressionExercisePolicy,
    StoppingProblem,
    andersen_broadie,
    binomial_price,
    black_scholes,
    evaluate_exercise_policy,
    longstaff_schwartz,
    time_grid,
)

DATES = np.arange(1, 5) / 4


def _bermudan():
    prob = StoppingProblem.bermudan(Put(100.0), DATES, 0.05)
    model = GeometricBrownianMotion(100.0, 0.25, 0.05, prob.grid())
    return prob, model


class _Whole:
    """A feature map without a lookback: it is handed every path's whole history."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, history, k, times):
        assert history.shape[1] == k + 1
        return self.inner(history, k, times)


class _PathMajor:
    """A path model that is not one of the library's: simulate() returns path-major arrays."""

    def __init__(self, model):
        self.model = model
        self.times, self.n_assets, self.state_dim = model.times, model.n_assets, model.state_dim

    def simulate(self, n_paths, rng=None, *, antithetic=False):
        return self.model.simulate(n_paths, rng, antithetic=antithetic)


def test_shortened_histories_give_bit_identical_prices():
    prob = StoppingProblem.american(Put(40.0), 1.0, 0.06, n_steps=20)
    model = GeometricBrownianMotion(36.0, 0.2, 0.06, prob.grid())
    for feats in (PolynomialBasis(3, "laguerre"), HistoryFeatures(window=3, degree=2)):
        for kw in ({}, {"antithetic": True}, {"antithetic": True, "control_variate": True}):
            short = longstaff_schwartz(prob, model, 4_000, n_test_paths=4_000, features=feats, rng=3, **kw)
            # whole histories; and (no closed-form control for a foreign model) path-major storage
            others = [(model, _Whole(feats))] + ([(_PathMajor(model), _Whole(feats))] if len(kw) < 2 else [])
            for mod, f in others:
                whole = longstaff_schwartz(prob, mod, 4_000, n_test_paths=4_000, features=f, rng=3, **kw)
                assert short.price_in_sample == whole.price_in_sample, (feats, kw)
                assert short.stderr_in_sample == whole.stderr_in_sample
                assert short.out_of_sample.price == whole.out_of_sample.price
                assert short.out_of_sample.stderr == whole.out_of_sample.stderr
                np.testing.assert_array_equal(short.out_of_sample.stop_index, whole.out_of_sample.stop_index)
    # the policy sees the same features from a shortened and a whole history
    pol = short.policy
    paths = model.simulate(500, rng=9)
    for k in (1, 2, 10, 19):
        hist = paths[:, : k + 1]
        cols = np.r_[0, max(1, k - 2) : k + 1] if k >= 4 else np.arange(k + 1)
        np.testing.assert_array_equal(pol.stop(hist, k), pol.stop(np.ascontiguousarray(hist[:, cols]), k))


def test_dual_bound_is_identical_with_shortened_inner_histories():
    prob = StoppingProblem.american(Put(40.0), 1.0, 0.06, n_steps=12)
    model = GeometricBrownianMotion(36.0, 0.2, 0.06, prob.grid())
    for feats in (PolynomialBasis(3, "laguerre"), HistoryFeatures(window=3, degree=2)):
        pol = longstaff_schwartz(prob, model, 4_000, n_test_paths=None, features=feats, rng=0).policy
        whole = RegressionExercisePolicy(prob, pol.times, _Whole(feats), pol.regressors)
        assert pol.lookback == feats.lookback and whole.lookback is None
        a = andersen_broadie(prob, model, pol, 100, 20, rng=1)
        b = andersen_broadie(prob, model, whole, 100, 20, rng=1)
        assert (a.upper, a.stderr, a.policy_value) == (b.upper, b.stderr, b.policy_value), feats


def test_date_major_simulation_equals_simulate():
    grid = time_grid(1.0, 6)
    models = (
        GeometricBrownianMotion([100.0, 90.0], [0.2, 0.3], 0.05, grid, corr=0.4),
        Heston(100.0, 0.04, 1.5, 0.04, 0.3, -0.7, 0.03, grid),
        AutoregressiveGARCH(100.0, 0.0, 0.5, 1e-4, 0.1, 0.8, grid),
    )
    for model in models:
        for anti in (False, True):
            ref = model.simulate(10, rng=5, antithetic=anti)
            np.testing.assert_array_equal(model._prices_by_date(10, rng=5, antithetic=anti), ref)
    anti = models[0].simulate(4, rng=1, antithetic=True)
    log_ret = np.log(anti[:, 1:] / anti[:, :-1])
    drift = np.log(anti[0, 1:] / anti[0, :-1]) + np.log(anti[1, 1:] / anti[1, :-1])  # z and -z cancel
    np.testing.assert_allclose(log_ret[0] + log_ret[1], drift)


def test_antithetic_estimate_is_unbiased_and_its_stderr_comes_from_pairs():
    prob, model = _bermudan()
    euro = black_scholes("put", 100.0, 100.0, 1.0, 0.05, 0.25)
    hold = BoundaryPolicy(prob, model.times, [-np.inf, -np.inf, -np.inf, -np.inf, np.inf])
    thresh = BoundaryPolicy(prob, model.times, [-np.inf, 85.0, 85.0, 85.0, 100.0])
    # reference value of the threshold policy: a plain estimate on 400000 paths
    ref = evaluate_exercise_policy(prob, model, thresh, 400_000, rng=12345)
    n, seeds = 2_000, 60
    for policy, value, value_se in ((hold, euro, 0.0), (thresh, ref.price, ref.stderr)):
        est, se, naive = [], [], []
        for seed in range(seeds):
            v = evaluate_exercise_policy(prob, model, policy, n, antithetic=True, rng=seed)
            assert v.antithetic and v.control_coefficient is None
            est.append(v.price)
            se.append(v.stderr)
            naive.append(v.payoffs.std(ddof=1) / np.sqrt(n))  # pairs taken as independent
        spread = np.std(est, ddof=1)
        # Failure budget, per policy: the mean over 60 seeds within 3.5 standard errors
        # (two-sided p ~ 5e-4), and the mean reported stderr within [0.7, 1.35] of the
        # observed spread (a sample sd over 60 values has a relative sd of about 9%: the
        # band is more than 3 of those on each side, p < 3e-3).
        assert abs(np.mean(est) - value) < 3.5 * np.hypot(spread / np.sqrt(seeds), value_se), policy
        assert 0.7 < np.mean(se) / spread < 1.35, (np.mean(se), spread)
        # the naive standard error (pairs as independent paths) overstates the spread
        # (observed ratio 1.5-1.75: antithetic put payoffs are negatively correlated)
        assert np.mean(naive) / spread > 1.25, (np.mean(naive), spread)


def test_control_variate_is_exact_on_a_european_option():
    prob = StoppingProblem.european(Put(100.0), 1.0, 0.05)
    model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid())
    euro = black_scholes("put", 100.0, 100.0, 1.0, 0.05, 0.2)
    res = longstaff_schwartz(prob, model, 1_000, n_test_paths=1_000, control_variate=True, rng=0)
    assert res.control_variate and abs(res.out_of_sample.control_coefficient - 1.0) < 1e-9
    assert abs(res.out_of_sample.price - euro) < 1e-9 and res.out_of_sample.stderr < 1e-9
    assert abs(res.price_in_sample - euro) < 1e-9
    # a different discount rate from the model's drift is priced with its own discounting
    prob2 = StoppingProblem.european(Put(100.0), 1.0, 0.02)
    v = evaluate_exercise_policy(prob2, model, _Hold(), 1_000, control_variate=True, rng=1)
    assert abs(v.price - black_scholes("put", 100.0, 100.0, 1.0, 0.05, 0.2) * np.exp(0.03)) < 1e-9


class _Hold:
    def stop(self, history, k):
        return np.full(len(history), k == 1)


def test_control_variate_estimate_is_unbiased_with_a_correct_stderr():
    prob, model = _bermudan()
    thresh = BoundaryPolicy(prob, model.times, [-np.inf, 85.0, 85.0, 85.0, 100.0])
    ref = evaluate_exercise_policy(prob, model, thresh, 400_000, rng=12345)
    n, seeds = 2_000, 60
    for anti in (False, True):
        est, se, plain_se = [], [], []
        for seed in range(seeds):
            v = evaluate_exercise_policy(prob, model, thresh, n, antithetic=anti, control_variate=True, rng=seed)
            est.append(v.price)
            se.append(v.stderr)
            plain_se.append(evaluate_exercise_policy(prob, model, thresh, n, rng=seed).stderr)
        spread = np.std(est, ddof=1)
        # failure budget as in the antithetic test: 3.5 standard errors on the mean
        # (including the reference's), the stderr within [0.7, 1.35] of the spread
        assert abs(np.mean(est) - ref.price) < 3.5 * np.hypot(spread / np.sqrt(seeds), ref.stderr), anti
        assert 0.7 < np.mean(se) / spread < 1.35, (anti, np.mean(se), spread)
        # and it pays: observed standard errors about 22x below the plain ones
        assert np.mean(se) < np.mean(plain_se) / 8


def test_control_variate_lsmc_price_is_within_its_bound_of_the_lattice():
    dates = np.arange(1, 11) / 10
    prob = StoppingProblem.bermudan(Put(100.0), dates, 0.05)
    model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid())
    exact = binomial_price(Put(100.0), 100.0, 0.2, 0.05, 1.0, 4000, exercise=dates).price
    # failure budget: 3 seeds x one-sided 3-sigma checks (p ~ 0.0013 each); the lower
    # side allows 0.03 for the fitted policy's suboptimality, as in test_lsmc.py
    for seed in range(3):
        res = longstaff_schwartz(
            prob, model, 20_000, n_test_paths=40_000, antithetic=True, control_variate=True, rng=seed
        )
        oos = res.out_of_sample
        assert oos.price < exact + 3 * oos.stderr, (seed, oos.price, oos.stderr, exact)
        assert oos.price > exact - 0.03 - 3 * oos.stderr
        assert oos.stderr < 0.006  # observed 0.0016; the plain estimator's is about 0.037
        assert abs(res.price_in_sample - exact) < 4 * res.stderr_in_sample + 0.03


def test_variance_reduction_arguments_are_refused_by_name():
    prob, model = _bermudan()
    with pytest.raises(ValueError, match="^n_paths"):
        longstaff_schwartz(prob, model, 1001, antithetic=True)
    with pytest.raises(ValueError, match="^n_test_paths"):
        longstaff_schwartz(prob, model, 1000, n_test_paths=2, antithetic=True)
    heston = Heston(100.0, 0.04, 1.5, 0.04, 0.3, -0.7, 0.05, prob.grid())
    with pytest.raises(ValueError, match="^control_variate"):
        longstaff_schwartz(prob, heston, 1000, control_variate=True)
    with pytest.raises(ValueError, match="^paths"):
        evaluate_exercise_policy(prob, model, _Hold(), paths=model.simulate(5, rng=0), antithetic=True)
    with pytest.raises(TypeError, match="^antithetic"):
        longstaff_schwartz(prob, model, 1000, antithetic="yes")
