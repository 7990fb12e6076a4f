"""Path simulators: moments against closed forms, Europeans against Black-Scholes and
QuantLib's analytic Heston engine, the AR(1)-GARCH autocorrelation, the simulator
protocol, reproducibility and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from finance_apps import (
    AutoregressiveGARCH,
    GeometricBrownianMotion,
    Heston,
    black_scholes,
    time_grid,
)
from rlcore import Simulator, rollout


def test_gbm_exact_moments_and_correlation():
    T = 2.0
    m = GeometricBrownianMotion(
        [100.0, 50.0, 80.0],
        [0.2, 0.3, 0.1],
        0.05,
        time_grid(T, 4),
        dividend=[0.0, 0.02, 0.04],
        corr=[[1, 0.5, -0.3], [0.5, 1, 0.2], [-0.3, 0.2, 1]],
    )
    P = m.simulate(100_000, rng=1)
    assert P.shape == (100_000, 5, 3)
    assert np.all(P[:, 0] == m.spot)
    ST = P[:, -1]
    mean, se = ST.mean(0), ST.std(0) / np.sqrt(ST.shape[0])
    expected = m.spot * np.exp((0.05 - m.dividend) * T)
    assert np.all(np.abs(mean - expected) < 4 * se)
    logret = np.diff(np.log(P), axis=1).reshape(-1, 3)
    c = np.corrcoef(logret.T)
    assert np.allclose(c, m.corr, atol=0.01)
    assert np.allclose(logret.std(0), m.vol * np.sqrt(0.5), rtol=0.01)


def test_gbm_european_put_matches_black_scholes():
    m = GeometricBrownianMotion(100.0, 0.25, 0.03, time_grid(1.0, 1), dividend=0.01)
    ST = m.simulate(200_000, rng=2)[:, -1, 0]
    disc = np.exp(-0.03) * np.maximum(100.0 - ST, 0.0)
    bs = black_scholes("put", 100.0, 100.0, 1.0, 0.03, 0.25, 0.01)
    assert abs(disc.mean() - bs) < 4 * disc.std() / np.sqrt(disc.size)


def test_heston_european_call_matches_quantlib_analytic():
    ql = pytest.importorskip("QuantLib")
    S, v0, kappa, theta, xi, rho, r, q = 100.0, 0.04, 2.0, 0.04, 0.3, -0.7, 0.03, 0.0
    today = ql.Date(1, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    proc = ql.HestonProcess(
        ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
        ql.QuoteHandle(ql.SimpleQuote(S)),
        v0,
        kappa,
        theta,
        xi,
        rho,
    )
    opt = ql.VanillaOption(ql.PlainVanillaPayoff(ql.Option.Call, 100.0), ql.EuropeanExercise(today + 365))
    opt.setPricingEngine(ql.AnalyticHestonEngine(ql.HestonModel(proc)))
    oracle = opt.NPV()
    m = Heston(S, v0, kappa, theta, xi, rho, r, time_grid(1.0, 25), n_substeps=4)
    ST = m.simulate(100_000, rng=3)[:, -1, 0]
    pay = np.exp(-r) * np.maximum(ST - 100.0, 0.0)
    se = pay.std() / np.sqrt(pay.size)
    # 4 standard errors plus an allowance of 0.05 for the Euler bias at 100 steps a year
    assert abs(pay.mean() - oracle) < 4 * se + 0.05, (pay.mean(), oracle, se)
    # the martingale property holds up to MC error
    assert abs(np.exp(-r) * ST.mean() - S) < 4 * ST.std() / np.sqrt(ST.size)


def test_ar_garch_autocorrelation_and_variance():
    phi, omega, alpha, beta = 0.6, 1e-4, 0.1, 0.8
    m = AutoregressiveGARCH(100.0, 0.0, phi, omega, alpha, beta, time_grid(1.0, 200))
    st = m.simulate_states(2000, rng=4)
    x = st[:, 50:, 1]  # log returns after burn-in
    lag1 = np.mean(x[:, 1:] * x[:, :-1]) / np.mean(x**2)
    assert abs(lag1 - phi) < 0.02
    stationary = omega / (1 - alpha - beta) / (1 - phi**2)
    assert abs(np.mean(x**2) / stationary - 1) < 0.1
    # prices are exp of the cumulated log returns
    assert np.allclose(np.log(st[:, 1:, 0] / st[:, :-1, 0]), st[:, 1:, 1])


def test_ar_without_garch_has_constant_variance():
    m = AutoregressiveGARCH(100.0, 0.001, -0.3, 4e-4, 0.0, 0.0, time_grid(1.0, 10))
    st = m.simulate_states(10, rng=0)
    assert np.allclose(st[:, :, 2], 4e-4)


MODELS = {
    "GeometricBrownianMotion": lambda t: GeometricBrownianMotion([100.0, 90.0], 0.2, 0.05, t, corr=0.3),
    "Heston": lambda t: Heston(100.0, 0.04, 1.0, 0.04, 0.2, -0.5, 0.05, t),
    "AutoregressiveGARCH": lambda t: AutoregressiveGARCH(100.0, 0.0, 0.5, 1e-4, 0.05, 0.9, t),
}


def test_every_path_model_is_in_the_simulator_shape_checks():
    # a new model must be added to MODELS, so that the checks below run on it
    import finance_apps.paths as paths

    models = {cls.__name__ for cls in paths._PathModel.__subclasses__()}
    assert models == set(MODELS) and models <= set(paths.__all__)


def test_a_model_must_implement_the_one_step():
    import finance_apps.paths as paths

    class NoStep(paths._PathModel):
        def initial_state(self, n):
            return np.ones((n, 1))

    with pytest.raises(TypeError, match="_advance"):
        NoStep()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_simulator_shape_and_reproducibility(name):
    m = MODELS[name](time_grid(1.0, 5))
    assert isinstance(m, Simulator)
    assert m.n_dates == m.horizon == 5 and m.times.shape == (6,) and m.state_dim >= m.n_assets
    a, b = m.simulate(7, rng=11), m.simulate(7, rng=11)
    assert a.shape == (7, 6, m.n_assets) and np.array_equal(a, b)
    assert not np.array_equal(a, m.simulate(7, rng=12))
    # simulate is the price columns of simulate_states, with the same generator
    full = m.simulate_states(7, rng=np.random.default_rng(5))
    assert full.shape == (7, 6, m.state_dim)
    assert np.array_equal(m.simulate(7, rng=np.random.default_rng(5)), full[..., : m.n_assets])
    assert np.array_equal(m.reset(7), full[:, 0]) and np.array_equal(m.initial_state(7), full[:, 0])
    # step-by-step through advance_one, and through the protocol, reproduces simulate_states
    gen, s = np.random.default_rng(5), m.reset(7)
    for k in range(m.n_dates):
        s = m.advance_one(s, k, gen)
        assert np.array_equal(s, full[:, k + 1])
    gen = np.random.default_rng(5)
    s = m.reset(7, gen)
    for t in range(m.n_dates):
        s, rew, term = m.step(s, None, gen, t=t)
        assert np.array_equal(s, full[:, t + 1]) and np.all(rew == 0)
        assert np.all(term == (t == m.n_dates - 1))
    # restarting from given states at a later date continues the same way
    gen = np.random.default_rng(9)
    head = m.simulate_states(7, gen)
    tail = m.simulate_states(7, np.random.default_rng(9), start=2, initial=head[:, 2])
    assert tail.shape == (7, 4, m.state_dim) and np.array_equal(tail[:, 0], head[:, 2])
    data = rollout(m, lambda s, t, g: np.zeros(len(s), dtype=np.int64), 3, rng=0)
    assert len(data) == 3 * m.n_dates
    assert not hasattr(m, "advance")  # one way to take a step: advance_one


def test_path_input_errors():
    t = time_grid(1.0, 4)
    with pytest.raises(ValueError, match="vol"):
        GeometricBrownianMotion(100.0, -0.2, 0.05, t)
    with pytest.raises(ValueError, match="spot"):
        GeometricBrownianMotion(-1.0, 0.2, 0.05, t)
    with pytest.raises(ValueError, match="spot"):
        GeometricBrownianMotion(np.nan, 0.2, 0.05, t)
    with pytest.raises(ValueError, match="times"):
        GeometricBrownianMotion(100.0, 0.2, 0.05, [0.0, 0.5, 0.3])
    with pytest.raises(ValueError, match="times"):
        GeometricBrownianMotion(100.0, 0.2, 0.05, [0.1, 0.5])
    with pytest.raises(ValueError, match="corr"):
        GeometricBrownianMotion([1.0, 1.0], 0.2, 0.05, t, corr=[[1, 2], [2, 1]])
    with pytest.raises(ValueError, match="corr"):
        GeometricBrownianMotion([1.0, 1.0], 0.2, 0.05, t, corr=1.5)
    with pytest.raises(ValueError, match="maturity"):
        time_grid(-1.0, 4)
    with pytest.raises(ValueError, match="rho"):
        Heston(100.0, 0.04, 1.0, 0.04, 0.2, -1.5, 0.05, t)
    with pytest.raises(ValueError, match="xi"):
        Heston(100.0, 0.04, 1.0, 0.04, -0.2, -0.5, 0.05, t)
    with pytest.raises(ValueError, match="phi"):
        AutoregressiveGARCH(100.0, 0.0, 1.0, 1e-4, 0.1, 0.8, t)
    with pytest.raises(ValueError, match="alpha"):
        AutoregressiveGARCH(100.0, 0.0, 0.5, 1e-4, 0.3, 0.8, t)
    m = GeometricBrownianMotion(100.0, 0.2, 0.05, t)
    with pytest.raises(ValueError, match="states"):
        m.advance_one(np.array([[np.nan]]), 0, 0)
    with pytest.raises(ValueError, match="k"):
        m.advance_one(np.array([[100.0]]), 4, 0)
    with pytest.raises(ValueError, match="n_paths"):
        m.simulate(0)


def test_antithetic_pairs_mirror_the_normals():
    m = GeometricBrownianMotion(100.0, 0.2, 0.05, time_grid(1.0, 3))
    st = m.simulate_states(6, rng=0, antithetic=True)
    drift = np.cumsum(np.r_[0.0, np.full(3, (0.05 - 0.02) / 3)])  # (r - sigma^2/2) dt per step
    mid = 0.5 * (np.log(st[0::2, :, 0]) + np.log(st[1::2, :, 0]))
    assert np.allclose(mid, np.log(100.0) + drift)
    with pytest.raises(ValueError, match="n_paths"):
        m.simulate_states(5, rng=0, antithetic=True)


# ----------------------------------------------------------------------------- edge values (issue 17)
def test_model_budgets_and_ranges_are_refused_by_name():
    t = time_grid(1.0, 2)
    with pytest.raises(ValueError, match=r"^n_steps\b"):
        time_grid(1.0, 2**40)  # was a MemoryError (8 TiB)
    with pytest.raises(ValueError, match=r"^rate\b"):
        GeometricBrownianMotion(100.0, 0.2, 1e300, t)  # simulated inf prices
    with pytest.raises(ValueError, match=r"^times\b"):
        GeometricBrownianMotion(100.0, 0.2, 0.05, [0.0, 1e300])  # simulated inf prices
    with pytest.raises(ValueError, match=r"^times\b"):  # exp(+-1000) over 1000 years at rate 1
        GeometricBrownianMotion(100.0, 0.2, 1.0, [0.0, 1000.0], dividend=-1.0)
    with pytest.raises(ValueError, match=r"^n_substeps\b"):  # kappa h = 1.25e5: the Euler step overshoots
        Heston(100.0, 0.04, 1e6, 0.04, 0.3, -0.7, 0.03, t)
    with pytest.raises(ValueError, match=r"^beta\b"):
        AutoregressiveGARCH(100.0, 0.0, 0.5, 1e-4, 0.3, 0.8, t)
    with pytest.raises(ValueError, match=r"^n_paths\b"):  # 21 dates x 1e8 paths: 2.1e9 floats, refused at once
        GeometricBrownianMotion(100.0, 0.2, 0.05, time_grid(1.0, 20)).simulate(10**8)
    with pytest.raises(ValueError, match=r"^n_paths\b"):
        GeometricBrownianMotion(100.0, 0.2, 0.05, t).simulate(2**63)
    with pytest.raises(TypeError, match=r"^corr\b"):
        GeometricBrownianMotion([1.0, 1.0], 0.2, 0.05, t, corr="high")


def test_models_at_the_edges_of_their_ranges_simulate_finite_paths():
    t = time_grid(1.0, 4)
    for m in (
        GeometricBrownianMotion(100.0, 10.0, -1.0, t, dividend=1.0),
        GeometricBrownianMotion(100.0, 0.0, 1.0, t, dividend=-1.0),
        Heston(100.0, 100.0, 8.0, 100.0, 100.0, 1.0, 1.0, t),
        AutoregressiveGARCH(100.0, 0.01, -0.999999, 1e-2, 0.0, 0.0, time_grid(1.0, 20)),
    ):
        P = m.simulate(200, rng=0)
        assert np.all(np.isfinite(P)) and np.all(P > 0), m
