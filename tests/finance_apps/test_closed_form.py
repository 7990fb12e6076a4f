"""The Black-Scholes call and its Greeks: Hull's textbook value, finite differences of the
price, the ``black_scholes`` pricer (one implementation), and the vanishing-volatility limits.

(The European prices and the perpetual put are also checked against QuantLib and the
lattices in ``test_lattice.py``.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from finance_apps.closed_form import (
    black_scholes,
    bs_call_delta,
    bs_call_gamma,
    bs_call_price,
    bs_call_vega,
)


def test_black_scholes_against_hull_and_finite_differences():
    # Hull, Options, Futures and Other Derivatives: S = K = 100, T = 1, sigma = 0.2, r = 0
    assert float(bs_call_price(100.0, 100.0, 1.0, 0.2)) == pytest.approx(7.9656, abs=1e-4)
    s, k, tau, v, h = 1.07, 1.0, 0.3, 0.25, 1e-4
    price = lambda x, vol=v: float(bs_call_price(x, k, tau, vol))  # noqa: E731
    assert float(bs_call_delta(s, k, tau, v)) == pytest.approx((price(s + h) - price(s - h)) / (2 * h), abs=1e-7)
    assert float(bs_call_gamma(s, k, tau, v)) == pytest.approx(
        (price(s + h) - 2 * price(s) + price(s - h)) / h**2, rel=1e-4
    )
    assert float(bs_call_vega(s, k, tau, v)) == pytest.approx((price(s, v + h) - price(s, v - h)) / (2 * h), rel=1e-6)
    # at maturity: the payoff and the digital delta
    np.testing.assert_allclose(bs_call_price([0.9, 1.1], 1.0, 0.0, 0.2), [0.0, 0.1], atol=1e-15)
    np.testing.assert_allclose(bs_call_delta([0.9, 1.1], 1.0, 0.0, 0.2), [0.0, 1.0])


def test_greeks_with_a_rate_against_finite_differences_and_black_scholes():
    s, k, tau, v, r, h = 0.93, 1.0, 0.7, 0.3, 0.04, 1e-4
    spots = np.array([0.8, 0.93, 1.2])
    # the time-to-maturity form is the pricer's formula (no dividend)
    np.testing.assert_allclose(
        bs_call_price(spots, k, tau, v, r), black_scholes("call", spots, k, tau, r, v), rtol=1e-14
    )
    price = lambda x, vol=v: float(bs_call_price(x, k, tau, vol, r))  # noqa: E731
    assert float(bs_call_delta(s, k, tau, v, r)) == pytest.approx((price(s + h) - price(s - h)) / (2 * h), abs=1e-7)
    assert float(bs_call_gamma(s, k, tau, v, r)) == pytest.approx(
        (price(s + h) - 2 * price(s) + price(s - h)) / h**2, rel=1e-4
    )
    assert float(bs_call_vega(s, k, tau, v, r)) == pytest.approx(
        (price(s, v + h) - price(s, v - h)) / (2 * h), rel=1e-6
    )
    # broadcasting over a grid of dates
    taus = np.array([[0.0], [0.5], [1.0]])
    assert bs_call_delta(spots, k, taus, v, r).shape == (3, 3)


def test_black_scholes_greeks_at_a_vanishing_volatility():
    # vol sqrt(tau) underflowing to 0 at the money gave nan for the price and every Greek
    tau, v = 0.25, 5e-324
    assert float(bs_call_price(100.0, 100.0, tau, v)) == 0.0
    assert float(bs_call_delta(100.0, 100.0, tau, v)) == 0.5
    assert float(bs_call_vega(100.0, 100.0, tau, v)) == pytest.approx(100.0 * math.sqrt(tau / (2 * math.pi)))
    assert float(bs_call_gamma(100.0, 100.0, tau, v)) == math.inf  # documented: beyond float64 (Dirac limit)
    assert float(bs_call_gamma(110.0, 100.0, tau, v)) == 0.0
    assert float(bs_call_delta(110.0, 100.0, tau, v)) == 1.0


@pytest.mark.parametrize(
    "call,exc,name",
    [
        (lambda: bs_call_price(1.0, 1.0, -1.0, 0.2), ValueError, "tau"),
        (lambda: bs_call_price(1.0, 1.0, 1.0, 0.0), ValueError, "vol"),
        (lambda: bs_call_price(np.ones(2), 1.0, np.ones(3), 0.2), ValueError, "tau"),
        (lambda: bs_call_price(1.0, True, 1.0, 0.2), TypeError, "strike"),
        (lambda: bs_call_gamma(1.0, 0.0, 1.0, 0.2), ValueError, "strike"),
        (lambda: bs_call_delta(1.0, 1.0, 1.0, 0.2, rate=2.0), ValueError, "rate"),
        (lambda: bs_call_vega(1e308, 1e308, 1000.0, 0.01), ValueError, "spot"),  # S sqrt(tau) beyond float64
    ],
)
def test_bad_input_is_refused_by_name(call, exc, name):
    with pytest.raises(exc, match=rf"^{name}\b"):
        call()
