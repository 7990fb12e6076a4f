"""The bound functions against their formulas, evaluated by hand, and their shapes."""

from __future__ import annotations

import math

import pytest

from offline import lcb_bandit_bound, li_bound, vi_lcb_bound


@pytest.mark.filterwarnings("ignore::rlcore.VacuousResultWarning")  # checks the cap at V_max too
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
    with pytest.raises(ValueError, match=r"^gamma\b.*exactly one"):
        li_bound(10, 1.0, 10, 0.1)
    with pytest.raises(ValueError, match=r"^c_star\b"):
        vi_lcb_bound(10, -1.0, 5, 2, 0.5, 0.1)


@pytest.mark.parametrize(
    ("call", "exc", "param"),
    [
        (lambda: lcb_bandit_bound(2**63, 2.0, 3, 0.05), ValueError, "n"),  # was accepted: no sample budget limit
        (lambda: lcb_bandit_bound(100, float("nan"), 3, 0.05), ValueError, "c_star"),
        (lambda: lcb_bandit_bound(100, "2", 3, 0.05), TypeError, "c_star"),
        (lambda: lcb_bandit_bound(100, 2.0, 3, 0.05, r_max=float("inf")), ValueError, "r_max"),
        (lambda: lcb_bandit_bound(100, 2.0, 3, 1e-300), ValueError, "delta"),  # below the floor 1e-100
        (lambda: lcb_bandit_bound(100, 2.0, True, 0.05), TypeError, "n_arms"),
        (lambda: vi_lcb_bound(100, 2.0, 5, 2, 1.0, 0.05), ValueError, "gamma"),
        (lambda: vi_lcb_bound(100, 2.0, 5, 2, 0.5, 0.05, c=0.5), ValueError, "c"),
        (lambda: vi_lcb_bound(100, 2.0, 5, 2, 0.5, 0.05, r_max=1e308), ValueError, "r_max"),  # V_max overflowed to inf
        (lambda: vi_lcb_bound(100, 2.0, 5, 2, 0.5, 0.05, n_iterations=10**7), ValueError, "n_iterations"),
        (lambda: li_bound(10, 1.0, 3, 5e-324, gamma=1 - 1e-16), ValueError, "delta"),  # was ZeroDivisionError
        (lambda: li_bound(10, 1.0, 3, 0.05, gamma=0.5, horizon=3), ValueError, "gamma"),
        (lambda: li_bound(10, 1.0, 3, 0.05, horizon=2.0), TypeError, "horizon"),
    ],
)
def test_bad_arguments_are_refused_by_name(call, exc, param):
    with pytest.raises(exc, match=rf"^{param}\b"):
        call()


@pytest.mark.filterwarnings("ignore::rlcore.VacuousResultWarning")  # edge values give the trivial bound
def test_edge_values_give_finite_bounds():
    """Smallest delta, gamma next to 1, infinite concentrability: finite, capped values."""
    g = math.nextafter(1.0, 0.0)
    assert math.isfinite(li_bound(10**12, 1.0, 10**6, 1e-100, gamma=g))
    assert vi_lcb_bound(10**12, 1.0, 10, 2, g, 1e-100) == pytest.approx(1.0 / (1.0 - g))
    assert lcb_bandit_bound(1, float("inf"), 3, 1e-100, r_max=1e100) == 1e100
