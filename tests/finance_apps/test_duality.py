"""Andersen-Broadie upper bounds against the lattice value: an upper bound for good,
poor and optimal policies (over seeds, with the failure budget stated), tight for the
lattice's own optimal policy, and the price bracket covering the exact value."""

from __future__ import annotations

import numpy as np
import pytest

from finance_apps import (
    BoundaryPolicy,
    GeometricBrownianMotion,
    MaxCall,
    PolynomialBasis,
    Put,
    StoppingProblem,
    andersen_broadie,
    binomial_price,
    black_scholes,
    longstaff_schwartz,
    price_bracket,
    product_lattice_price,
)

DATES = np.arange(1, 11) / 10


@pytest.fixture(scope="module")
def setup():
    prob = StoppingProblem.bermudan(Put(100.0), DATES, 0.05)
    model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid())
    lat = binomial_price(Put(100.0), 100.0, 0.2, 0.05, 1.0, 4000, exercise=DATES)
    lsmc = longstaff_schwartz(prob, model, 20_000, n_test_paths=None, rng=0).policy
    return prob, model, lat, lsmc


def _lattice_policy(prob, model, lat):
    steps = np.round(model.times / model.times[-1] * lat.n_steps).astype(int)
    return BoundaryPolicy(prob, model.times, lat.boundary_high[steps])


def test_dual_is_an_upper_bound_over_seeds(setup):
    prob, model, lat, lsmc = setup
    # failure budget: 4 seeds x one-sided 3-sigma checks (p ~ 0.0013 each)
    for seed in range(4):
        ub = andersen_broadie(prob, model, lsmc, 400, 100, rng=seed)
        assert ub.upper > lat.price - 3 * ub.stderr, (seed, ub, lat.price)
        assert ub.upper < lat.price + 0.3  # and not absurdly loose


def test_dual_of_a_poor_policy_is_still_an_upper_bound(setup):
    prob, model, lat, _ = setup
    hold = BoundaryPolicy(prob, model.times, np.r_[np.full(10, -np.inf), 1e9])  # European
    b = price_bracket(prob, model, hold, n_lower=40_000, n_outer=400, n_inner=100, rng=1)
    euro = black_scholes("put", 100.0, 100.0, 1.0, 0.05, 0.2)
    assert abs(b.lower.price - euro) < 4 * b.lower.stderr
    assert b.upper.upper > lat.price - 3 * b.upper.stderr
    assert b.gap > 0.2  # the certificate exposes the missed early-exercise premium


def test_dual_is_tight_for_the_optimal_policy(setup):
    prob, model, lat, _ = setup
    opt = _lattice_policy(prob, model, lat)
    b = price_bracket(prob, model, opt, n_lower=100_000, n_outer=400, n_inner=800, rng=2)
    lo, hi = b.interval(3.0)
    assert lo < lat.price < hi
    # inner-sampling bias of the upper bound is O(1/sqrt(n_inner)) small; the gap closes
    assert b.gap < 0.05 + 3 * (b.lower.stderr + b.upper.stderr)


def test_bracket_for_lsmc_policy_covers_the_lattice_value(setup):
    prob, model, lat, lsmc = setup
    b = price_bracket(prob, model, lsmc, n_lower=50_000, n_outer=500, n_inner=300, rng=3)
    lo, hi = b.interval(3.0)
    assert lo < lat.price < hi
    assert b.lower.price <= b.upper.upper + 3 * b.upper.stderr


def test_dual_max_call_upper_bound():
    dates = np.arange(1, 10) / 3
    prob = StoppingProblem.bermudan(MaxCall(100.0, 2), dates, 0.05)
    model = GeometricBrownianMotion([100.0, 100.0], 0.2, 0.05, prob.grid(), dividend=0.1)
    exact = product_lattice_price(
        MaxCall(100.0), [100.0, 100.0], [0.2, 0.2], 0.05, 3.0, 270, dividend=0.1, exercise=dates
    )
    feats = PolynomialBasis(2, "monomial", sort_assets=True, payoff=MaxCall(100.0, 2))
    pol = longstaff_schwartz(prob, model, 20_000, features=feats, n_test_paths=None, rng=0).policy
    b = price_bracket(prob, model, pol, n_lower=40_000, n_outer=400, n_inner=200, rng=4)
    lo, hi = b.interval(3.0)
    assert lo < exact < hi, (b, exact)
    assert b.gap < 0.3  # Andersen-Broadie report gaps of a few cents with 2000 x 500 paths


def test_dual_input_errors(setup):
    prob, model, _, lsmc = setup
    with pytest.raises(ValueError, match="n_outer"):
        andersen_broadie(prob, model, lsmc, 1, 10)
    with pytest.raises(ValueError, match="n_inner"):
        andersen_broadie(prob, model, lsmc, 10, 0)
    with pytest.raises(TypeError, match="policy"):
        andersen_broadie(prob, model, object(), 10, 10)


def test_dual_variants_are_upper_bounds_and_options_validate(setup):
    prob, model, lat, lsmc = setup
    for kw in [dict(skip_out_of_money=False), dict(antithetic=False)]:
        ub = andersen_broadie(prob, model, lsmc, 300, 100, rng=7, **kw)
        assert ub.upper > lat.price - 3 * ub.stderr, (kw, ub)
    with pytest.raises(ValueError, match="n_inner"):
        andersen_broadie(prob, model, lsmc, 10, 11)

    class Shifted:  # a payoff that can be negative
        n_assets = 1

        def __call__(self, prices):
            return np.asarray(prices)[..., 0] - 100.0

    neg = StoppingProblem.bermudan(Shifted(), DATES, 0.05)
    hold = BoundaryPolicy(neg, model.times, np.full(11, -np.inf))
    with pytest.raises(ValueError, match="payoff"):
        andersen_broadie(neg, model, hold, 10, 10)
    # without the restriction it runs, and bounds the forward's value S0 - K e^{-rT} >= hold value
    ub = andersen_broadie(neg, model, hold, 200, 50, rng=0, skip_out_of_money=False)
    assert ub.upper > 100.0 - 100.0 * np.exp(-0.05) - 3 * ub.stderr


def test_dual_budgets_are_refused_by_name(setup):
    prob, model, _, lsmc = setup
    with pytest.raises(ValueError, match=r"^n_inner\b"):  # 1e8 x 1e6 x 11 inner path-dates
        andersen_broadie(prob, model, lsmc, 10**8, 10**6)
    with pytest.raises(ValueError, match=r"^n_inner\b"):
        andersen_broadie(prob, model, lsmc, 10, 2**40)
    with pytest.raises(TypeError, match=r"^antithetic\b"):
        andersen_broadie(prob, model, lsmc, 10, 10, antithetic=1)
    with pytest.raises(TypeError, match=r"^model\b"):
        andersen_broadie(prob, object(), lsmc, 10, 10)
    with pytest.raises(ValueError, match=r"^n_inner\b"):
        price_bracket(prob, model, lsmc, n_outer=10, n_inner=11)
