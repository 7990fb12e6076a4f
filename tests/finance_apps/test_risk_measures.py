"""Risk measures: the axioms (hypothesis), closed forms and a second computation.

Independent sources: the axioms of convex risk measures (Föllmer and Schied 2002) checked
sample by sample; the Gaussian closed form of the entropic risk (-m + a s^2 / 2); the
tail average of sorted samples for CVaR, computed here by brute force over subsets;
the OCE minimisation over w by a dense grid (not scipy's optimiser) for both losses.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from finance_apps.risk_measures import (
    EntropicRisk,
    ExpectedShortfall,
    OCERisk,
    entropic_loss,
    entropic_risk,
    expected_shortfall,
    indifference_price,
    oce_risk,
    shortfall_loss,
)

finite = st.floats(-5.0, 5.0, allow_nan=False, allow_infinity=False)
samples = arrays(np.float64, st.integers(1, 30), elements=finite)


def _measures():
    return [
        ("entropic a=0.5", lambda x: entropic_risk(x, 0.5)),
        ("entropic a=3", lambda x: entropic_risk(x, 3.0)),
        ("ES 0.1", lambda x: expected_shortfall(x, 0.1)),
        ("ES 0.37", lambda x: expected_shortfall(x, 0.37)),
        ("ES 1", lambda x: expected_shortfall(x, 1.0)),
        ("OCE quadratic", OCERisk(lambda u: np.where(u > 0, u + u * u, u))),
    ]


MEASURES = _measures()
IDS = [m[0] for m in MEASURES]
TOL = 1e-7


# ----------------------------------------------------------------------------- axioms
@pytest.mark.parametrize("name,rho", MEASURES, ids=IDS)
@given(x=samples, data=st.data())
def test_monotone(name, rho, x, data):
    bump = data.draw(arrays(np.float64, x.shape, elements=st.floats(0.0, 3.0)))
    assert rho(x + bump) <= rho(x) + TOL


@pytest.mark.parametrize("name,rho", MEASURES, ids=IDS)
@given(x=samples, c=finite)
def test_cash_invariant(name, rho, x, c):
    assert rho(x + c) == pytest.approx(rho(x) - c, abs=1e-6)


@pytest.mark.parametrize("name,rho", MEASURES, ids=IDS)
@given(x=samples, data=st.data(), lam=st.floats(0.0, 1.0))
def test_convex(name, rho, x, data, lam):
    y = data.draw(arrays(np.float64, x.shape, elements=finite))
    assert rho(lam * x + (1 - lam) * y) <= lam * rho(x) + (1 - lam) * rho(y) + 1e-6


@given(x=samples, lam=st.floats(0.0, 10.0), alpha=st.floats(0.01, 1.0))
def test_expected_shortfall_is_positively_homogeneous(x, lam, alpha):
    # with the three axioms above, positive homogeneity makes it coherent (Artzner et al. 1999)
    assert expected_shortfall(lam * x, alpha) == pytest.approx(lam * expected_shortfall(x, alpha), abs=1e-9)


def test_the_entropic_risk_is_not_homogeneous():
    # the homogeneity check can fail: the entropic risk is convex but not coherent
    x = np.array([1.0, -1.0])
    assert entropic_risk(2 * x, 1.0) > 2 * entropic_risk(x, 1.0) + 0.1


def test_a_non_monotone_functional_fails_the_monotonicity_check():
    # the check can fail: mean-variance is not monotone
    def mv(x):
        return -np.mean(x) + 2.0 * np.var(x)

    x = np.array([0.0, 1.0])
    assert mv(x + np.array([0.0, 1.0])) > mv(x)


# ----------------------------------------------------------------------------- entropic
def test_entropic_gaussian_closed_form():
    # population value -m + a s^2 / 2 (exponential moments of the normal law);
    # sampling error of log-mean-exp with a s = 0.5 is ~ 1e-3 relative at n = 4e5
    rng = np.random.default_rng(3)
    m, s, a = 0.3, 0.5, 1.0
    x = m + s * rng.standard_normal(400_000)
    expected = -m + a * s * s / 2
    assert entropic_risk(x, a) == pytest.approx(expected, abs=5e-3)


def test_entropic_no_overflow_and_limits():
    x = np.array([-1000.0, 0.0])
    assert math.isfinite(entropic_risk(x, 5.0))
    assert entropic_risk(x, 5.0) == pytest.approx(1000.0 - math.log(2) / 5.0)
    y = np.array([0.2, -0.1, 0.4])
    assert entropic_risk(y, 1e-6) == pytest.approx(-y.mean(), abs=1e-6)  # a -> 0: -mean
    assert entropic_risk(y, 1e4) == pytest.approx(0.1, abs=1e-3)  # a -> inf: worst loss


# ----------------------------------------------------------------------------- CVaR
@given(x=arrays(np.float64, st.integers(1, 12), elements=finite), data=st.data())
def test_cvar_equals_tail_average_of_worst_k(x, data):
    n = x.size
    k = data.draw(st.integers(1, n))
    # brute force: the largest mean of -x over all subsets of size k is the tail average
    losses = sorted(-x)
    brute = max(np.mean(losses[i : i + k]) for i in range(n - k + 1))
    assert expected_shortfall(x, k / n) == pytest.approx(brute, abs=1e-9)


@given(x=samples, alpha=st.floats(0.01, 1.0))
def test_cvar_equals_rockafellar_uryasev_minimum_on_a_grid(x, alpha):
    losses = -x
    # the minimum of w + E[(L - w)^+]/alpha is attained at a sample point (piecewise linear)
    values = [w + np.mean(np.maximum(losses - w, 0.0)) / alpha for w in losses]
    assert expected_shortfall(x, alpha) == pytest.approx(min(values), abs=1e-9)


@given(x=samples, alpha=st.floats(0.05, 1.0))
def test_oce_of_shortfall_loss_is_cvar(x, alpha):
    assert oce_risk(x, shortfall_loss(alpha)) == pytest.approx(expected_shortfall(x, alpha), abs=1e-7)


@given(x=samples, a=st.floats(0.1, 3.0))
def test_oce_of_exponential_loss_is_entropic(x, a):
    assert oce_risk(x, entropic_loss(a)) == pytest.approx(entropic_risk(x, a), abs=1e-7)


def test_oce_minimum_matches_dense_grid():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(50)
    loss = lambda u: np.where(u > 0, u + 0.5 * u * u, u)  # noqa: E731
    grid = np.linspace(-4, 4, 80001)
    brute = min(w + np.mean(loss(-x - w)) for w in grid)
    assert oce_risk(x, loss) == pytest.approx(brute, abs=1e-6)


def test_classes_and_indifference_price():
    x = np.array([0.1, -0.2, 0.3])
    assert EntropicRisk(2.0)(x) == entropic_risk(x, 2.0)
    assert ExpectedShortfall(0.5)(x) == expected_shortfall(x, 0.5)
    # cash invariance makes p(Z) the premium that restores the no-claim risk
    rho = EntropicRisk(2.0)
    p = indifference_price(rho(x - 1.0), rho(np.zeros(3)))
    assert rho(x - 1.0 + p) == pytest.approx(rho(np.zeros(3)))


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: entropic_risk([], 1.0), ValueError, "pnl"),
        (lambda: entropic_risk([np.nan], 1.0), ValueError, "pnl"),
        (lambda: entropic_risk([1.0], 0.0), ValueError, "risk_aversion"),
        (lambda: entropic_risk([[1.0]], 1.0), ValueError, "pnl"),
        (lambda: expected_shortfall([1.0], 1.5), ValueError, "alpha"),
        (lambda: expected_shortfall([1.0], True), TypeError, "alpha"),
        (lambda: oce_risk([1.0], 3), TypeError, "loss"),
        (lambda: EntropicRisk(-1.0), ValueError, "risk_aversion"),
        (lambda: indifference_price(float("nan")), ValueError, "risk_with_claim"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ----------------------------------------------------------------------------- edge values (issue 17)
def test_entropic_risk_tiny_risk_aversion_is_minus_the_mean():
    # (logsumexp(-a x) - log n) / a lost every digit for a < 1e-16 and returned 0.0
    x = np.array([0.1, -0.2, 0.3])
    for a in (5e-324, 1e-300, 1e-20, 1e-12):
        assert entropic_risk(x, a) == pytest.approx(-x.mean() + a * x.var() / 2, abs=1e-16)
    # both branches (cumulant series below a spread = 1e-4, log-mean-exp above) against the
    # closed form of a symmetric two-point sample, log(cosh(a u)) / a = log1p(2 sinh(a u / 2)^2) / a
    u = 0.25
    for a in (1e-9, 1e-6, 1.9e-4, 1.99e-4, 2.01e-4, 1e-3, 1.0, 30.0):
        exact = math.log1p(2.0 * math.sinh(a * u / 2.0) ** 2) / a
        assert entropic_risk(np.array([u, -u]), a) == pytest.approx(exact, rel=1e-12, abs=1e-17), a
    assert entropic_risk(np.zeros(3), 1e300) == 0.0
    assert float(entropic_loss(5e-324)(np.array([2.0]))[0]) == 2.0


def test_expected_shortfall_tiny_level_is_the_worst_loss():
    # the 1e-12 snapping made n alpha < 1e-12 an empty tail: 0.0
    x = np.array([0.1, -0.2, 0.3])
    for alpha in (5e-324, 1e-300, 1e-13, 0.3):
        assert expected_shortfall(x, alpha) == pytest.approx(0.2)
        assert ExpectedShortfall(alpha)(x) == pytest.approx(0.2)


def test_risk_measure_overflow_is_refused_by_name():
    with pytest.raises(ValueError, match=r"^pnl\b"):
        entropic_risk(np.array([-1e308, 1e308]), 1.0)
    with pytest.raises(ValueError, match=r"^pnl\b"):
        oce_risk(np.array([-1e308, 1e308]), shortfall_loss(0.5))
    with pytest.raises(ValueError, match=r"^risk_with_claim\b"):
        indifference_price(1e308, -1e308)  # was inf
    with pytest.raises(TypeError, match=r"^loss\b"):
        OCERisk(1)  # was accepted, failing only when called
    with pytest.raises(ValueError, match=r"^alpha\b"):
        ExpectedShortfall(0.0)
    with pytest.raises(TypeError, match=r"^risk_aversion\b"):
        EntropicRisk("1")
