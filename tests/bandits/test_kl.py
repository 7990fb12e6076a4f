"""KL divergences and the KL-UCB index: closed forms, the index equation, scipy's brentq."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.optimize import brentq

import bandits as b
from bandits.stochastic import _kl_kernels as _k


def test_kl_bernoulli_closed_forms():
    assert b.kl_bernoulli(0.5, 0.25) == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(0.5 / 0.75))
    assert b.kl_bernoulli(0.0, 0.5) == pytest.approx(math.log(2))
    assert b.kl_bernoulli(1.0, 0.5) == pytest.approx(math.log(2))
    assert b.kl_bernoulli(0.0, 1.0) == math.inf and b.kl_bernoulli(0.3, 0.0) == math.inf
    np.testing.assert_allclose(b.kl_bernoulli([0.1, 0.9], 0.5), [0.3680642071684971] * 2)
    assert b.kl_gaussian(1.0, 3.0, sigma=2.0) == 0.5


@given(p=st.floats(0.0, 0.999), n=st.integers(1, 10**6), t=st.integers(2, 10**7), c=st.sampled_from([0.0, 3.0]))
@example(p=0.0, n=1, t=2, c=0.0).via("edge: zero mean")
@example(p=0.999, n=1, t=10**7, c=3.0).via("root very close to 1")
def test_klucb_index_solves_its_equation(p, n, t, c):
    q = b.klucb_index(p, n, t, c=c)
    rhs = math.log(t) + (c * math.log(math.log(t)) if math.log(t) > 1 else 0.0)
    assert p <= q <= 1.0
    lhs = n * b.kl_bernoulli(p, q)
    if q < 1.0 - 1e-12:
        # the solver's tolerance, or its bracket stopping rule (width <= 4e-16 q, q the
        # upper end): near q = 1 one ulp of q moves n kl by ~1e-5, so the equation
        # cannot be met to 1e-10 relative there and the bracket rule decides
        ulp_ok = n * b.kl_bernoulli(p, q - 4e-16 * q) <= rhs <= lhs
        assert abs(lhs - rhs) <= b.KL_TOLERANCE * rhs or ulp_ok
    # independent oracle: scipy's Brent solver on the same equation
    if rhs > 0 and q < 1 - 1e-9:
        root = brentq(lambda x: n * _k.kl_bernoulli.py_func(p, x) - rhs, p, 1 - 1e-15, xtol=1e-15, rtol=1e-15)
        assert q == pytest.approx(root, rel=1e-8, abs=1e-12)


def test_klucb_index_special_cases():
    assert b.klucb_index(1.0, 5, 100) == 1.0
    assert b.klucb_index(0.3, 5, 1) == 0.3  # ln 1 = 0: no exploration bonus
    q = b.klucb_index(0.4, 20, 50, kl="gaussian", sigma=0.5)
    assert q == pytest.approx(0.4 + 0.5 * math.sqrt(2 * math.log(50) / 20))
    qs = b.klucb_index([0.1, 0.5], [10, 1000], 500)
    assert qs.shape == (2,) and qs[0] > 0.1 and qs[1] < 0.6
    # the index shrinks with n and grows with t
    assert b.klucb_index(0.2, 10, 100) > b.klucb_index(0.2, 20, 100)
    assert b.klucb_index(0.2, 10, 1000) > b.klucb_index(0.2, 10, 100)


def test_klucb_index_rejects_bad_input():
    with pytest.raises(ValueError, match="mean"):
        b.klucb_index(1.5, 3, 10)
    with pytest.raises(ValueError, match="n"):
        b.klucb_index(0.5, 0, 10)
    with pytest.raises(ValueError, match="t"):
        b.klucb_index(0.5, 3, 0)
    with pytest.raises(ValueError, match="c"):
        b.klucb_index(0.5, 3, 10, c=-1.0)
    with pytest.raises(ValueError, match="q"):
        b.kl_bernoulli(0.5, -0.1)


def test_divergences_stay_finite_where_they_are_finite():
    # kl(0.5, 5e-324) is about 371.5, but p ln(p / q) overflowed to inf
    assert b.kl_bernoulli(0.5, 5e-324) == pytest.approx(0.5 * (math.log(0.5) - math.log(5e-324)) + 0.5 * math.log(0.5))
    assert b.kl_bernoulli(0.5, 0.0) == math.inf  # genuinely infinite
    # (p - q)^2 / (2 sigma^2) was 0 / 0 = nan for p == q and a subnormal sigma
    assert b.kl_gaussian(1.0, 1.0, sigma=5e-324) == 0.0
    with pytest.raises(ValueError, match=r"^q\b"):
        b.kl_bernoulli([0.1, 0.2], [0.1, 0.2, 0.3])
    with pytest.raises(TypeError, match=r"^t\b"):
        b.klucb_index(0.2, 10, 100.0)
    with pytest.raises(TypeError, match=r"^sigma\b"):
        b.kl_gaussian(0.0, 1.0, sigma="1")
