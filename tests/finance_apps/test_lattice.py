"""Lattice and closed-form references against QuantLib (independent engines), against
each other, and the order relations European <= Bermudan <= American >= intrinsic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finance_apps import (
    BasketPut,
    Call,
    MaxCall,
    Put,
    binomial_price,
    black_scholes,
    perpetual_american_put,
    perpetual_put_boundary,
    product_lattice_price,
)
from tests.finance_apps._quantlib import ql_vanilla

CASES = [  # (kind, S, K, T, r, sigma, q)
    ("put", 36.0, 40.0, 1.0, 0.06, 0.2, 0.0),
    ("put", 44.0, 40.0, 2.0, 0.06, 0.4, 0.0),
    ("put", 100.0, 100.0, 0.6, 0.03, 0.3, 0.02),
    ("call", 100.0, 100.0, 1.0, 0.03, 0.25, 0.05),
    ("call", 90.0, 100.0, 2.0, 0.05, 0.2, 0.08),
]


def _payoff(kind: str, K: float):
    return Put(K) if kind == "put" else Call(K)


@pytest.mark.parametrize("case", CASES)
def test_american_crr_matches_quantlib_fd(case):
    ql = pytest.importorskip("QuantLib")
    kind, S, K, T, r, sig, q = case
    ours = binomial_price(_payoff(kind, K), S, sig, r, T, 4000, dividend=q).price
    oracle = ql_vanilla(ql, kind, S, K, T, r, sig, q, engine="fd", n=2000)
    # CRR error at 4000 steps and FD error at 2000x2000 are both well below 3e-3
    assert abs(ours - oracle) < 3e-3, (ours, oracle)


@pytest.mark.parametrize("case", CASES)
def test_european_crr_matches_black_scholes_and_quantlib(case):
    ql = pytest.importorskip("QuantLib")
    kind, S, K, T, r, sig, q = case
    ours = binomial_price(_payoff(kind, K), S, sig, r, T, 4000, dividend=q, exercise="european").price
    bs = black_scholes(kind, S, K, T, r, sig, q)
    assert abs(bs - ql_vanilla(ql, kind, S, K, T, r, sig, q, exercise="european", engine="analytic")) < 1e-10
    assert abs(ours - bs) < 2e-3


def test_crr_converges_to_quantlib():
    ql = pytest.importorskip("QuantLib")
    oracle = ql_vanilla(ql, "put", 36.0, 40.0, 1.0, 0.06, 0.2, engine="fd", n=3000)
    errs = [abs(binomial_price(Put(40.0), 36.0, 0.2, 0.06, 1.0, n).price - oracle) for n in (50, 400, 3200)]
    assert errs[2] < errs[0] / 10 and errs[2] < 1e-3


def _crr(S0, sig, r, q, T, n):
    dt = T / n
    u = np.exp(sig * np.sqrt(dt))
    return u, (np.exp((r - q) * dt) - 1 / u) / (u - 1 / u), np.exp(-r * dt)


def test_tree_is_the_exact_binomial_value_and_converges_to_black_scholes():
    # 1. exact for each n: the European against a brute-force sum over all 2^n paths, the
    #    American and a Bermudan against backward induction written out in Python
    S0, K, sig, r, q, T, n = 36.0, 40.0, 0.3, 0.06, 0.02, 1.0, 10
    u, p, disc = _crr(S0, sig, r, q, T, n)
    ups = np.array([[(i >> k) & 1 for k in range(n)] for i in range(2**n)])
    m = ups.sum(axis=1)  # up moves of each path
    prob = p**m * (1 - p) ** (n - m)
    euro = disc**n * float(np.sum(prob * np.maximum(K - S0 * u ** (2 * m - n), 0.0)))
    assert prob.sum() == pytest.approx(1.0, abs=1e-12)
    assert binomial_price(Put(K), S0, sig, r, T, n, dividend=q, exercise="european").price == pytest.approx(
        euro, rel=1e-12
    )

    def backward(exercisable):
        V = [max(K - S0 * u ** (2 * j - n), 0.0) for j in range(n + 1)]
        for i in range(n - 1, -1, -1):
            V = [disc * (p * V[j + 1] + (1 - p) * V[j]) for j in range(i + 1)]
            if exercisable(i):
                V = [max(v, K - S0 * u ** (2 * j - i)) for j, v in enumerate(V)]
        return V[0]

    american = binomial_price(Put(K), S0, sig, r, T, n, dividend=q).price
    assert american == pytest.approx(backward(lambda i: True), rel=1e-12)
    bermudan = binomial_price(Put(K), S0, sig, r, T, n, dividend=q, exercise=[0.5, 1.0]).price
    assert bermudan == pytest.approx(backward(lambda i: i == 5), rel=1e-12)
    # 2. as n grows the European converges to Black-Scholes at rate O(1/n) (CRR's
    #    oscillation included: n |error| observed between 0.19 and 0.50 for n = 50..1600)
    bs = black_scholes("put", 36.0, 40.0, 1.0, 0.06, 0.2)
    errs = {
        n: binomial_price(Put(40.0), 36.0, 0.2, 0.06, 1.0, n, exercise="european").price - bs for n in (50, 200, 1600)
    }
    assert all(n * abs(e) < 1.0 for n, e in errs.items()), errs
    assert abs(errs[1600]) < abs(errs[50]) / 10, errs


def test_product_lattice_matches_the_log_price_moments():
    # European payoffs that are moments of the log-prices at maturity: the lattice value is
    # e^{-rT} E[h(S_T)] under its branch probabilities. The means match exactly, the
    # variances and the covariance to O(dt): the error times n stays bounded.
    S0, sig, r, T, rho, q = np.array([100.0, 80.0]), np.array([0.2, 0.35]), 0.05, 1.0, 0.4, np.array([0.01, 0.03])
    mu = (r - q - 0.5 * sig**2) * T  # mean of log(S_T / S_0)
    exact = {
        "mean1": mu[0],
        "mean2": mu[1],
        "var1": sig[0] ** 2 * T,
        "var2": sig[1] ** 2 * T,
        "cov": rho * sig[0] * sig[1] * T,
    }
    payoffs = {
        "mean1": lambda x: np.log(x[..., 0] / S0[0]),
        "mean2": lambda x: np.log(x[..., 1] / S0[1]),
        "var1": lambda x: (np.log(x[..., 0] / S0[0]) - mu[0]) ** 2,
        "var2": lambda x: (np.log(x[..., 1] / S0[1]) - mu[1]) ** 2,
        "cov": lambda x: (np.log(x[..., 0] / S0[0]) - mu[0]) * (np.log(x[..., 1] / S0[1]) - mu[1]),
    }
    for n in (10, 100):
        for key, h in payoffs.items():
            got = np.exp(r * T) * product_lattice_price(h, S0, sig, r, T, n, corr=rho, dividend=q, exercise="european")
            tol = 1e-10 if key.startswith("mean") else 1.0 / n
            assert got == pytest.approx(exact[key], abs=tol), (n, key, got, exact[key])


def test_american_call_without_dividends_is_european():
    for S, sig, T in [(80.0, 0.3, 1.0), (100.0, 0.2, 2.0), (120.0, 0.4, 0.5)]:
        am = binomial_price(Call(100.0), S, sig, 0.05, T, 2000).price
        eu = binomial_price(Call(100.0), S, sig, 0.05, T, 2000, exercise="european").price
        assert am == pytest.approx(eu, abs=1e-9)
        assert am == pytest.approx(black_scholes("call", S, 100.0, T, 0.05, sig), abs=5e-3)
    # with a dividend, early exercise has value
    am = binomial_price(Call(100.0), 120.0, 0.2, 0.05, 1.0, 2000, dividend=0.1).price
    eu = binomial_price(Call(100.0), 120.0, 0.2, 0.05, 1.0, 2000, dividend=0.1, exercise="european").price
    assert am > eu + 0.1


@settings(max_examples=20, deadline=None)
@given(
    S=st.floats(60.0, 140.0),
    sig=st.floats(0.05, 0.6),
    r=st.floats(0.0, 0.1),
    q=st.floats(0.0, 0.1),
    kind=st.sampled_from(["put", "call"]),
)
def test_european_le_bermudan_le_american_and_intrinsic(S, sig, r, q, kind):
    pay = _payoff(kind, 100.0)
    n = 400
    eu = binomial_price(pay, S, sig, r, 1.0, n, dividend=q, exercise="european").price
    be = binomial_price(pay, S, sig, r, 1.0, n, dividend=q, exercise=[0.25, 0.5, 0.75, 1.0]).price
    be2 = binomial_price(pay, S, sig, r, 1.0, n, dividend=q, exercise=np.arange(1, 21) / 20).price
    am = binomial_price(pay, S, sig, r, 1.0, n, dividend=q).price
    intrinsic = float(pay(np.array([S])))
    tol = 1e-10
    assert eu <= be + tol <= be2 + 2 * tol <= am + 3 * tol
    assert am >= intrinsic - tol


def test_put_exercise_boundary_is_monotone_in_time():
    res = binomial_price(Put(100.0), 100.0, 0.25, 0.06, 1.0, 1000)
    b = res.boundary_high[:-1]
    assert np.all(np.isfinite(b[100:]))  # exercise region non-empty away from t = 0
    ok = np.isfinite(b)
    # on a tree the critical price moves by one node at a time; allow one node of slack
    node = np.exp(0.25 * np.sqrt(1.0 / 1000))
    assert np.all(np.diff(b[ok]) >= -1e-9 * 100 - (node - 1) * 100)
    assert b[ok][-1] > b[ok][0] + 5  # and it rises substantially
    assert res.boundary_high[-1] == pytest.approx(
        100.0 / node**2, rel=1e-12
    )  # highest ITM node at maturity (even step: even powers)
    assert b[ok][-1] < 100.0


def test_perpetual_put_closed_form():
    K, r, sig = 100.0, 0.05, 0.3
    b = perpetual_put_boundary(K, r, sig)
    beta = -2 * r / sig**2
    assert b == pytest.approx(K * beta / (beta - 1))
    # smooth pasting: value and slope continuous at the boundary
    eps = 1e-6
    assert perpetual_american_put(b, K, r, sig) == pytest.approx(K - b)
    slope = (perpetual_american_put(b + eps, K, r, sig) - perpetual_american_put(b, K, r, sig)) / eps
    assert slope == pytest.approx(-1.0, abs=1e-4)
    # a long-dated American put on the tree approaches it from below
    for S in (60.0, 90.0, 130.0):
        tree = binomial_price(Put(K), S, sig, r, 200.0, 20000).price
        closed = perpetual_american_put(S, K, r, sig)
        # finite maturity is worth less; T = 200 years is within 0.02 of perpetual
        assert closed - 0.02 < tree < closed + 0.005, (S, tree, closed)


def test_perpetual_put_with_dividend_root():
    K, r, sig, q = 100.0, 0.04, 0.25, 0.02
    b = perpetual_put_boundary(K, r, sig, q)
    beta = b / (b - K)  # S* = K beta / (beta - 1)  <=>  beta = S* / (S* - K)
    assert 0.5 * sig**2 * beta * (beta - 1) + (r - q) * beta - r == pytest.approx(0.0, abs=1e-12)
    tree = binomial_price(Put(K), 100.0, sig, r, 300.0, 20000, dividend=q).price
    assert tree == pytest.approx(perpetual_american_put(100.0, K, r, sig, q), abs=0.03)


def test_product_lattice_european_max_call_matches_quantlib_stulz():
    ql = pytest.importorskip("QuantLib")
    S1, S2, K, r, T, s1, s2, rho, q1, q2 = 100.0, 95.0, 100.0, 0.05, 1.0, 0.2, 0.3, 0.4, 0.02, 0.01
    today = ql.Date(1, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()

    def proc(S, q, s):
        return ql.BlackScholesMertonProcess(
            ql.QuoteHandle(ql.SimpleQuote(S)),
            ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
            ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
            ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), s, dc)),
        )

    opt = ql.BasketOption(
        ql.MaxBasketPayoff(ql.PlainVanillaPayoff(ql.Option.Call, K)), ql.EuropeanExercise(today + 365)
    )
    opt.setPricingEngine(ql.StulzEngine(proc(S1, q1, s1), proc(S2, q2, s2), rho))
    oracle = opt.NPV()
    ours = product_lattice_price(
        MaxCall(K), [S1, S2], [s1, s2], r, T, 300, corr=rho, dividend=[q1, q2], exercise="european"
    )
    assert abs(ours - oracle) < 0.02, (ours, oracle)


def test_product_lattice_reduces_to_one_asset():
    ql = pytest.importorskip("QuantLib")
    # a basket put with weights (1, 0) is an American put on asset 1
    ours = product_lattice_price(BasketPut(40.0, (1.0, 0.0)), [36.0, 50.0], [0.2, 0.3], 0.06, 1.0, 300, corr=0.5)
    oracle = ql_vanilla(ql, "put", 36.0, 40.0, 1.0, 0.06, 0.2, engine="fd", n=2000)
    assert abs(ours - oracle) < 0.01


def test_product_lattice_bermudan_max_call_published_values():
    # Andersen and Broadie (2004), Table 2, d = 2 (from Broadie and Glasserman's lattice):
    # S0 = 90, 100, 110 -> 8.075, 13.902, 21.345; K = 100, r = 5%, q = 10%, sigma = 20%,
    # rho = 0, T = 3, nine exercise dates.
    dates = np.arange(1, 10) / 3
    for S, published in [(90.0, 8.075), (100.0, 13.902), (110.0, 21.345)]:
        ours = product_lattice_price(MaxCall(100.0), [S, S], [0.2, 0.2], 0.05, 3.0, 360, dividend=0.1, exercise=dates)
        assert abs(ours - published) < 0.01, (S, ours, published)


def test_lattice_input_errors():
    with pytest.raises(ValueError, match="vol"):
        binomial_price(Put(100.0), 100.0, -0.2, 0.05, 1.0)
    with pytest.raises(ValueError, match="maturity"):
        binomial_price(Put(100.0), 100.0, 0.2, 0.05, -1.0)
    with pytest.raises(ValueError, match="strike"):
        Put(-1.0)
    with pytest.raises(ValueError, match="n_steps"):
        binomial_price(Put(100.0), 100.0, 0.01, 0.5, 1.0, 2)
    with pytest.raises(ValueError, match="exercise"):
        binomial_price(Put(100.0), 100.0, 0.2, 0.05, 1.0, 10, exercise=[0.33, 1.0])
    with pytest.raises(ValueError, match="exercise"):
        binomial_price(Put(100.0), 100.0, 0.2, 0.05, 1.0, 10, exercise=[0.5, 0.2, 1.0])
    with pytest.raises(ValueError, match="vol"):
        product_lattice_price(MaxCall(100.0), [100.0, 100.0], [0.2, -0.1], 0.05, 1.0, 10)
    with pytest.raises(ValueError, match="corr"):
        product_lattice_price(MaxCall(100.0), [100.0, 100.0], [0.2, 0.2], 0.05, 1.0, 10, corr=1.5)
    with pytest.raises(ValueError, match="vol"):
        black_scholes("put", 100.0, 100.0, 1.0, 0.05, -0.2)
    with pytest.raises(ValueError, match="rate"):
        perpetual_american_put(100.0, 100.0, 0.0, 0.2)


@pytest.mark.parametrize("which", ["max_call", "basket_put"])
def test_product_lattice_american_matches_quantlib_fd2d(which):
    ql = pytest.importorskip("QuantLib")
    r = 0.05
    today = ql.Date(1, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()

    def proc(S, q, s):
        return ql.BlackScholesMertonProcess(
            ql.QuoteHandle(ql.SimpleQuote(S)),
            ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
            ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
            ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), s, dc)),
        )

    if which == "max_call":
        ql_pay = ql.MaxBasketPayoff(ql.PlainVanillaPayoff(ql.Option.Call, 100.0))
        ours_pay = MaxCall(100.0)
    else:
        ql_pay = ql.AverageBasketPayoff(ql.PlainVanillaPayoff(ql.Option.Put, 100.0), 2)
        ours_pay = BasketPut(100.0, (0.5, 0.5))
    opt = ql.BasketOption(ql_pay, ql.AmericanExercise(today, today + 365))
    opt.setPricingEngine(
        ql.Fd2dBlackScholesVanillaEngine(proc(100.0, 0.1, 0.2), proc(95.0, 0.05, 0.3), 0.3, 150, 150, 100)
    )
    oracle = opt.NPV()
    ours = product_lattice_price(ours_pay, [100.0, 95.0], [0.2, 0.3], r, 1.0, 300, corr=0.3, dividend=[0.1, 0.05])
    eu = product_lattice_price(
        ours_pay, [100.0, 95.0], [0.2, 0.3], r, 1.0, 300, corr=0.3, dividend=[0.1, 0.05], exercise="european"
    )
    assert abs(ours - oracle) < 0.03, (ours, oracle)  # both discretisations within ~0.01 of each other
    assert ours >= eu - 1e-12
    if which == "max_call":  # dividends of 10% / 5%: early exercise of the call is worth something
        assert ours > eu + 0.05


# ----------------------------------------------------------------------------- edge values (issue 17)
def test_perpetual_put_tiny_volatility_is_the_deterministic_limit():
    # perpetual_american_put(100, 100, 0.05, 1e-300) returned nan (beta = -inf, K beta / (beta - 1) = nan)
    assert perpetual_american_put(100.0, 100.0, 0.05, 1e-300) == 0.0
    assert perpetual_american_put(90.0, 100.0, 0.05, 1e-300) == pytest.approx(10.0, abs=1e-12)
    assert perpetual_put_boundary(100.0, 0.05, 1e-300) == pytest.approx(100.0)
    # with q > r the deterministic problem exercises below S* = r K / q, beta = -r / (q - r)
    K, r, q = 100.0, 0.02, 0.05
    b = perpetual_put_boundary(K, r, 1e-300, q)
    assert b == pytest.approx(r * K / q, rel=1e-12)
    S = np.array([30.0, 50.0, 120.0])
    expected = np.where(S <= b, K - S, (K - b) * (S / b) ** (-r / (q - r)))
    np.testing.assert_allclose(perpetual_american_put(S, K, r, 1e-300, q), expected, rtol=1e-12)
    # and the smallest positive volatility and rate are markets too (rate -> 0: the value tends to K)
    assert perpetual_american_put(100.0, 100.0, 0.05, 5e-324) == 0.0
    assert perpetual_american_put([1.0, 100.0, 1e6], 100.0, 5e-324, 0.2) == pytest.approx([100.0] * 3)


def test_perpetual_put_small_volatility_approaches_the_limit_continuously():
    vals = [perpetual_american_put(110.0, 100.0, 0.05, s) for s in (1e-2, 1e-4, 1e-8, 1e-150, 1e-300)]
    assert all(np.isfinite(vals)) and vals[0] > vals[1] >= vals[2] >= vals[3] >= vals[4] == 0.0


def test_black_scholes_degenerate_limits_are_finite():
    # vol sqrt(T) underflowing to 0 at the money gave 0/0 = nan
    assert black_scholes("call", 100.0, 100.0, 0.25, 0.0, 5e-324) == 0.0
    assert black_scholes("put", 90.0, 100.0, 1.0, 0.0, 1e-300) == pytest.approx(10.0, abs=1e-12)
    # a deep out-of-the-money forward with rate -1 over 1000 years gave inf * 0 = nan
    assert black_scholes("call", 100.0, 100.0, 1000.0, -1.0, 0.2) == 0.0
    for kind in ("call", "put"):
        for T in (5e-324, 1e-300, 1.0, 1000.0):
            for v in (5e-324, 1e-300, 0.2, 10.0):
                assert np.isfinite(black_scholes(kind, 100.0, 100.0, T, 0.05, v, 0.02)), (kind, T, v)


def test_black_scholes_refuses_by_name():
    with pytest.raises(ValueError, match=r"^rate\b"):
        black_scholes("call", 100.0, 100.0, 1.0, 1e300, 0.2)  # was 100.0, silently
    with pytest.raises(ValueError, match=r"^vol\b"):
        black_scholes("call", 100.0, 100.0, 1.0, 0.05, 1e300)  # was an OverflowError
    with pytest.raises(TypeError, match=r"^kind\b"):
        black_scholes(None, 100.0, 100.0, 1.0, 0.05, 0.2)
    with pytest.raises(ValueError, match=r"^spot\b"):  # the forward S e^{-qT} is beyond float64
        black_scholes("call", 1e300, 0.0, 1000.0, 0.0, 0.2, -1.0)
    with pytest.raises(ValueError, match=r"^rate\b"):
        perpetual_american_put(100.0, 100.0, 0.0, 0.2)


def test_binomial_tree_tiny_volatility_and_maturity():
    # u = exp(vol sqrt(dt)) == 1 made p = 0/0 and the error blamed n_steps
    res = binomial_price(Put(100.0), 90.0, 5e-324, 0.05, 1.0, 50, dividend=0.05)
    assert res.price == pytest.approx(10.0)
    res = binomial_price(Put(100.0), 90.0, 0.2, 0.05, 5e-324, 50)  # dt underflows to 0
    assert res.price == pytest.approx(10.0)
    with pytest.raises(ValueError, match=r"^vol\b"):  # drift outruns the step for any feasible n
        binomial_price(Put(100.0), 90.0, 5e-324, 0.05, 1.0, 50)
    with pytest.raises(ValueError, match=r"^vol\b"):
        product_lattice_price(MaxCall(100.0), [100.0, 100.0], [5e-324, 5e-324], 0.05, 1.0, 10)


def test_binomial_boundary_of_an_empty_exercise_region_is_infinite_not_nan():
    res = binomial_price(Put(100.0), 100.0, 0.2, 0.05, 1.0, 50)
    assert not np.isnan(res.boundary_low).any() and not np.isnan(res.boundary_high).any()
    none = ~np.isfinite(res.boundary_high)
    assert none.any()  # at the start, exercise is nowhere optimal
    assert np.all(res.boundary_high[none] == -np.inf) and np.all(res.boundary_low[none] == np.inf)


def test_lattice_budgets_and_overflow_are_refused_by_name():
    with pytest.raises(ValueError, match=r"^n_steps\b"):  # was a MemoryError (1 TiB)
        binomial_price(Put(100.0), 100.0, 0.2, 0.05, 1.0, 2**40)
    with pytest.raises(ValueError, match=r"^n_steps\b"):  # nodes exp(4470): was inf in the payoff
        binomial_price(Call(100.0), 100.0, 10.0, 0.0, 1000.0, 200)
    with pytest.raises(ValueError, match=r"^payoff\b"):  # value grows like exp(1000): was inf
        binomial_price(Put(100.0), 100.0, 0.2, -1.0, 1000.0, 7, dividend=-1.0)
    with pytest.raises(ValueError, match=r"^n_steps\b"):
        product_lattice_price(MaxCall(100.0), [100.0, 100.0], [0.2, 0.2], 0.05, 1.0, 10**6)
    with pytest.raises(ValueError, match=r"^exercise\b"):
        binomial_price(Put(100.0), 100.0, 0.2, 0.05, 1.0, 10, exercise=[0.5, 2.0])
    with pytest.raises(TypeError, match=r"^payoff\b"):
        binomial_price(100.0, 100.0, 0.2, 0.05, 1.0, 10)


def test_product_lattice_refusals_name_the_parameter_to_change():
    args = dict(payoff=MaxCall(100.0), spot=[100.0, 100.0], vol=[0.2, 0.2], rate=0.05, maturity=1.0, n_steps=20)
    # corr = -1 cannot be fixed by more steps (the message said "use more steps")
    with pytest.raises(ValueError, match=r"^corr\b"):
        product_lattice_price(**{**args, "corr": -1.0})
    with pytest.raises(ValueError, match=r"^n_steps\b.*n_steps >= 97"):
        product_lattice_price(**{**args, "rate": 1.0})
    assert product_lattice_price(**{**args, "rate": 1.0, "n_steps": 97}) > 0.0
    assert product_lattice_price(**{**args, "maturity": 5e-324}) == 0.0  # dt underflows: the intrinsic value
