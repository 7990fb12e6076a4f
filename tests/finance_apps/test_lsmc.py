"""Least-squares Monte Carlo against the Bermudan lattice value (the CRR tree with the
same exercise dates, and the two-asset product lattice), with the lower-bound property
of the out-of-sample estimate checked over seeds; regressors and bases interchangeable."""

from __future__ import annotations

import numpy as np
import pytest

from finance_apps import (
    GeometricBrownianMotion,
    Heston,
    MaxCall,
    PolynomialBasis,
    Put,
    StoppingProblem,
    binomial_price,
    evaluate_exercise_policy,
    longstaff_schwartz,
    product_lattice_price,
)
from rlcore import RidgeRegression

DATES = np.arange(1, 11) / 10


def _put_setup(S=100.0, sig=0.2):
    prob = StoppingProblem.bermudan(Put(100.0), DATES, 0.05)
    model = GeometricBrownianMotion(S, sig, 0.05, prob.grid())
    exact = binomial_price(Put(100.0), S, sig, 0.05, 1.0, 4000, exercise=DATES).price
    return prob, model, exact


def test_lsmc_out_of_sample_is_a_lower_bound_and_accurate():
    prob, model, exact = _put_setup()
    # failure budget: 5 seeds, each a 3-sigma one-sided check (p ~ 0.0013 each)
    for seed in range(5):
        res = longstaff_schwartz(prob, model, 20_000, n_test_paths=40_000, rng=seed)
        oos = res.out_of_sample
        assert oos is not None
        assert oos.price < exact + 3 * oos.stderr, (seed, oos.price, exact)
        assert oos.price > exact - 0.03 - 3 * oos.stderr  # and near-optimal (Laguerre, degree 3)
        assert abs(res.price_in_sample - exact) < 4 * res.stderr_in_sample + 0.03


def test_lsmc_in_sample_estimate_approaches_the_policy_value():
    # Clement, Lamberton and Protter (2002): the in-sample mean converges to the value of
    # the fitted policy; on few paths it is biased upwards (the regressions saw the paths).
    # gap = in-sample - out-of-sample (50000 independent paths), 8 seeds per size: observed
    # mean 0.92 (sd 0.65) at n = 200 and 0.009 (sd 0.037) at n = 40000. Checks: the gap falls
    # by more than 3 standard errors of the difference of the means, and at n = 40000 it
    # is within 3 standard errors of 0 plus 0.02 for the O(1/n) bias.
    prob, model, _ = _put_setup()
    gaps = {}
    for n in (200, 40_000):
        g = []
        for seed in range(8):
            res = longstaff_schwartz(prob, model, n, n_test_paths=50_000, rng=seed)
            g.append(res.price_in_sample - res.out_of_sample.price)
        gaps[n] = (np.mean(g), np.std(g, ddof=1) / np.sqrt(len(g)))
    (small, se_small), (large, se_large) = gaps[200], gaps[40_000]
    assert small - large > 3 * np.hypot(se_small, se_large), gaps
    assert abs(large) < 3 * se_large + 0.02, gaps


def test_lsmc_result_names_both_estimates():
    prob, model, _ = _put_setup()
    res = longstaff_schwartz(prob, model, 1000, n_test_paths=1000, rng=0)
    assert not hasattr(res, "price")  # no estimate that switches between the two
    text = res.summary()
    assert "in-sample price" in text and "out-of-sample price" in text
    assert f"{res.out_of_sample.price:.6g}" in text and f"{res.price_in_sample:.6g}" in text
    assert "payoffs=<(1000,) float64>" in repr(res)  # the sub-result's arrays are not dumped
    assert "not computed" in longstaff_schwartz(prob, model, 1000, n_test_paths=None, rng=0).summary()


def test_lsmc_american_grid_approaches_american_value_from_below():
    ql = pytest.importorskip("QuantLib")
    from tests.finance_apps._quantlib import ql_vanilla

    prob = StoppingProblem.american(Put(40.0), 1.0, 0.06, n_steps=50)
    model = GeometricBrownianMotion(36.0, 0.2, 0.06, prob.grid())
    american = ql_vanilla(ql, "put", 36.0, 40.0, 1.0, 0.06, 0.2, engine="fd", n=2000)
    bermudan = binomial_price(Put(40.0), 36.0, 0.2, 0.06, 1.0, 5000, exercise=prob.exercise_dates).price
    assert bermudan < american < bermudan + 0.02  # 50 dates a year: the Bermudan value
    res = longstaff_schwartz(prob, model, 50_000, n_test_paths=50_000, rng=0)
    oos = res.out_of_sample
    assert oos is not None and bermudan - 0.03 < oos.price < bermudan + 3 * oos.stderr


def test_any_regressor_gives_the_same_policy():
    sklearn = pytest.importorskip("sklearn.linear_model")
    prob, model, _ = _put_setup()
    # a second least-squares implementation (scikit-learn's) on a well-conditioned basis
    feats = PolynomialBasis(3, "monomial")
    a = longstaff_schwartz(prob, model, 5000, features=feats, n_test_paths=5000, rng=3)
    b = longstaff_schwartz(
        prob, model, 5000, features=feats, n_test_paths=5000, rng=3, regressor=sklearn.LinearRegression()
    )
    assert a.out_of_sample is not None and b.out_of_sample is not None
    assert a.price_in_sample == pytest.approx(b.price_in_sample, abs=1e-9)
    assert a.out_of_sample.price == pytest.approx(b.out_of_sample.price, abs=1e-9)


def test_bases_agree_within_mc_error_and_itm_only_matters_little():
    prob, model, exact = _put_setup()
    test = model.simulate(50_000, rng=100)
    vals = []
    for kw in [
        dict(),
        dict(features=PolynomialBasis(3, "monomial")),
        dict(itm_only=False),
        dict(features=PolynomialBasis(2, "laguerre"), regressor=RidgeRegression(alpha=1e-3)),
    ]:
        pol = longstaff_schwartz(prob, model, 20_000, n_test_paths=None, rng=1, **kw).policy
        vals.append(evaluate_exercise_policy(prob, model, pol, paths=test))
    for v in vals:
        assert v.price < exact + 3 * v.stderr and v.price > exact - 0.1


def test_lsmc_max_call_two_assets_against_product_lattice():
    dates = np.arange(1, 10) / 3
    prob = StoppingProblem.bermudan(MaxCall(100.0, 2), dates, 0.05)
    model = GeometricBrownianMotion([100.0, 100.0], 0.2, 0.05, prob.grid(), dividend=0.1)
    exact = product_lattice_price(
        MaxCall(100.0), [100.0, 100.0], [0.2, 0.2], 0.05, 3.0, 270, dividend=0.1, exercise=dates
    )
    feats = PolynomialBasis(2, "monomial", sort_assets=True, payoff=MaxCall(100.0, 2))
    res = longstaff_schwartz(prob, model, 30_000, features=feats, n_test_paths=50_000, rng=0)
    oos = res.out_of_sample
    assert oos is not None
    assert oos.price < exact + 3 * oos.stderr and oos.price > exact - 0.15, (oos.price, exact)


def test_lsmc_runs_on_heston_and_beats_european():
    prob = StoppingProblem.bermudan(Put(100.0), np.arange(1, 5) / 4, 0.05)
    model = Heston(100.0, 0.04, 2.0, 0.04, 0.3, -0.5, 0.05, prob.grid(), n_substeps=8)
    res = longstaff_schwartz(prob, model, 10_000, n_test_paths=20_000, rng=0)
    euro = StoppingProblem.european(Put(100.0), 1.0, 0.05)
    hold = longstaff_schwartz(euro, model, 10_000, n_test_paths=20_000, rng=0)
    assert res.out_of_sample is not None and hold.out_of_sample is not None
    assert res.out_of_sample.price > hold.out_of_sample.price  # early exercise premium of a put


def test_lsmc_reproducible_and_input_errors():
    prob, model, _ = _put_setup()
    a = longstaff_schwartz(prob, model, 1000, n_test_paths=1000, rng=5)
    b = longstaff_schwartz(prob, model, 1000, n_test_paths=1000, rng=5)
    assert a.price_in_sample == b.price_in_sample and a.out_of_sample.price == b.out_of_sample.price
    with pytest.raises(ValueError, match="n_paths"):
        longstaff_schwartz(prob, model, 0)
    with pytest.raises(TypeError, match="regressor"):
        longstaff_schwartz(prob, model, 100, regressor=object())
    with pytest.raises(TypeError, match="problem"):
        longstaff_schwartz("put", model, 100)
    with pytest.raises(ValueError, match="degree"):
        PolynomialBasis(0)
    with pytest.raises(ValueError, match="paths"):
        evaluate_exercise_policy(prob, model, a.policy, paths=np.full((2, 11, 1), np.nan))


def test_lsmc_on_heston_is_a_lower_bound_of_quantlib_fd_american():
    ql = pytest.importorskip("QuantLib")
    S, v0, kappa, theta, xi, rho, r = 100.0, 0.04, 2.0, 0.04, 0.3, -0.7, 0.05
    today = ql.Date(1, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    proc = ql.HestonProcess(
        ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, dc)),
        ql.QuoteHandle(ql.SimpleQuote(S)),
        v0,
        kappa,
        theta,
        xi,
        rho,
    )
    opt = ql.VanillaOption(ql.PlainVanillaPayoff(ql.Option.Put, 100.0), ql.AmericanExercise(today, today + 365))
    opt.setPricingEngine(ql.FdHestonVanillaEngine(ql.HestonModel(proc), 100, 100, 50))
    american = opt.NPV()
    prob = StoppingProblem.american(Put(100.0), 1.0, r, n_steps=25)
    model = Heston(S, v0, kappa, theta, xi, rho, r, prob.grid(), n_substeps=4)
    res = longstaff_schwartz(prob, model, 10_000, n_test_paths=40_000, rng=0)
    oos = res.out_of_sample
    assert oos is not None
    # a feasible policy on the price alone (the variance is latent): below the American
    # value up to MC error and Euler bias (0.03), and not far below (seen: about 0.07)
    assert oos.price < american + 3 * oos.stderr + 0.03, (oos.price, american)
    assert oos.price > american - 0.2, (oos.price, american)


def test_lsmc_arguments_are_refused_by_name():
    prob, model, _ = _put_setup()
    with pytest.raises(ValueError, match=r"^n_paths\b"):
        longstaff_schwartz(prob, model, 1)
    with pytest.raises(ValueError, match=r"^n_paths\b"):  # 1e8 paths x 11 dates: 1.1e9 floats
        longstaff_schwartz(prob, model, 10**8)
    with pytest.raises(TypeError, match=r"^itm_only\b"):
        longstaff_schwartz(prob, model, 100, itm_only=1)
    with pytest.raises(TypeError, match=r"^features\b"):
        longstaff_schwartz(prob, model, 100, features=3)
    with pytest.raises(ValueError, match=r"^degree\b"):
        PolynomialBasis(11)
    with pytest.raises(TypeError, match=r"^kind\b"):
        PolynomialBasis(2, None)
