"""The bound functions against their formulas, evaluated by hand, and their shapes."""

from __future__ import annotations

import math

import pytest

from offline import lcb_bandit_bound, li_bound, vi_lcb_bound


def test_vi_lcb_bound_formula_by_hand():
    n, cs, S, A, g, d = 10**6, 2.0, 5, 2, 0.5, 0.05
    T = math.ceil(math.log(n) / (1 - g))
    m = n // (T + 1)
    v_max = 1 / (1 - g)
    L = math.log(2 * T * S * A / d)
    expected = 2 * v_max / (1 - g) * (math.sqrt(S * cs * L / m) + 8 * S * cs * math.log(T * S / d) / m) + g**T * v_max
    assert vi_lcb_bound(n, cs, S, A, g, d) == pytest.approx(min(v_max, expected))
    assert vi_lcb_bound(10, cs, S, A, g, d) == v_max  # vacuous: capped at V_max
    assert vi_lcb_bound(n, float("inf"), S, A, g, d) == v_max
    # rate: ~ sqrt(log(n)^2 / n); 100x data -> about 10x / (log factor) smaller
    r = vi_lcb_bound(10**6, 1.0, S, A, g, d) / vi_lcb_bound(10**8, 1.0, S, A, g, d)
    assert 5 < r < 12  # the 1/m term fades faster
    assert vi_lcb_bound(10**8, 4.0, S, A, g, d) == pytest.approx(2 * vi_lcb_bound(10**8, 1.0, S, A, g, d), rel=0.05)


def test_lcb_bandit_bound_formula_by_hand():
    n, cs, A, d = 5000, 3.0, 4, 0.1
    expected = 2 * math.sqrt(cs * math.log(2 * A / d) / n) + 8 * cs * math.log(1 / d) / n
    assert lcb_bandit_bound(n, cs, A, d) == pytest.approx(expected)
    assert lcb_bandit_bound(n, cs, A, d, r_max=2.0) == pytest.approx(2 * expected)


def test_li_bound_shapes():
    a = li_bound(10**4, 1.0, 10, 0.1, gamma=0.9)
    b = li_bound(10**6, 1.0, 10, 0.1, gamma=0.9)
    assert a / b == pytest.approx(10 * math.sqrt(math.log(10**4 / 0.01) / math.log(10**6 / 0.01)))
    assert li_bound(10, 1.0, 10, 0.1, gamma=0.9) == pytest.approx(10.0)  # capped at 1 / (1 - gamma)
    h = li_bound(10**8, 1.0, 10, 0.1, horizon=5)
    assert h == pytest.approx(math.sqrt(5**4 * 10 * math.log(5 * 10 * 10**8 / 0.1) / 10**8))
    with pytest.raises(ValueError, match="gamma, horizon"):
        li_bound(10, 1.0, 10, 0.1)
    with pytest.raises(ValueError, match="c_star"):
        vi_lcb_bound(10, -1.0, 5, 2, 0.5, 0.1)
