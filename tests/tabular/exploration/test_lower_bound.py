"""Minimax regret lower bounds: closed forms and exact scaling, the theorems' conditions
enforced, and the lower bounds below the library's upper bounds."""

from __future__ import annotations

import math

import pytest

from tabular.exploration.lower_bound import (
    DOMINGUES_CONSTANT,
    JAKSCH_CONSTANT,
    average_reward_regret_lower_bound,
    episodic_regret_lower_bound,
)
from tabular.exploration.optimistic_q import optimistic_q_regret_bound
from tabular.exploration.ucbvi import ucbvi_regret_bound


def test_constants():
    assert DOMINGUES_CONSTANT == pytest.approx(0.00850517, abs=1e-8)  # 1 / (48 sqrt 6) = 1 / 117.5755...
    assert JAKSCH_CONSTANT == 0.015


def test_episodic_scaling_is_exact():
    S, A, H, K = 6, 2, 20, 10**4
    base = episodic_regret_lower_bound(S, A, H, K)
    assert base == pytest.approx(math.sqrt(8000 * 6 * 2 * 10**4) / (48 * math.sqrt(6)), rel=1e-15)
    assert episodic_regret_lower_bound(S, A, H, 4 * K) == pytest.approx(2 * base, rel=1e-15)  # sqrt(K)
    assert episodic_regret_lower_bound(4 * S, A, H, K) == pytest.approx(2 * base, rel=1e-15)  # sqrt(S)
    assert episodic_regret_lower_bound(S, 8, H, 4 * K) == pytest.approx(4 * base, rel=1e-15)  # sqrt(A)
    assert episodic_regret_lower_bound(S, A, 4 * H, 4 * K) == pytest.approx(16 * base, rel=1e-15)  # H^{3/2}
    # stationary transitions: the stage-dependent bound with floor(S / H) states
    assert episodic_regret_lower_bound(139, A, H, K, stage_dependent=False) == pytest.approx(base, rel=1e-15)
    assert episodic_regret_lower_bound(120, A, H, K, stage_dependent=False) == pytest.approx(base, rel=1e-15)


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        ((5, 2, 10, 10**4), {}, "n_states"),  # S >= 6
        ((6, 1, 10, 10**4), {}, "n_actions"),  # A >= 2
        ((64, 2, 17, 10**5), {}, "horizon"),  # H >= 3 log_2(64) = 18
        ((6, 2, 10, 119), {}, "n_episodes"),  # K >= H S A = 120
        ((59, 2, 10, 10**4), {"stage_dependent": False}, "n_states"),  # floor(59 / 10) = 5 < 6
        ((60, 2, 10, 119), {"stage_dependent": False}, "n_episodes"),  # K >= H floor(S / H) A = 120
        ((6.0, 2, 10, 10**4), {}, "n_states"),
        ((6, 2, 10, 10**4), {"check": "yes"}, "check"),
    ],
)
def test_episodic_conditions_are_enforced(args, kwargs, name):
    with pytest.raises((ValueError, TypeError), match=f"^{name}"):
        episodic_regret_lower_bound(*args, **kwargs)


def test_episodic_boundary_cases_are_accepted_and_check_false_returns_the_formula():
    assert episodic_regret_lower_bound(6, 2, 10, 120) > 0  # K = H S A exactly
    assert episodic_regret_lower_bound(64, 2, 18, 18 * 64 * 2) > 0  # H = 3 log_2(S) exactly
    assert episodic_regret_lower_bound(5, 2, 10, 100, check=False) == pytest.approx(
        DOMINGUES_CONSTANT * math.sqrt(1000 * 5 * 2 * 100), rel=1e-15
    )
    assert episodic_regret_lower_bound(5, 2, 10, 100, stage_dependent=False, check=False) == 0.0


def test_average_reward_scaling_is_exact():
    D, S, A, T = 40.0, 10, 10, 10**6
    base = average_reward_regret_lower_bound(D, S, A, T)
    assert base == pytest.approx(0.015 * math.sqrt(40 * 100 * 10**6), rel=1e-15)
    assert average_reward_regret_lower_bound(D, S, A, 9 * T) == pytest.approx(3 * base, rel=1e-15)
    assert average_reward_regret_lower_bound(4 * D, S, A, T) == pytest.approx(2 * base, rel=1e-15)
    assert average_reward_regret_lower_bound(D, 4 * S, A, T) == pytest.approx(2 * base, rel=1e-15)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((40.0, 9, 10, 10**6), "n_states"),
        ((40.0, 10, 9, 10**6), "n_actions"),
        ((19.9, 10, 10, 10**6), "diameter"),  # D >= 20 log_10(10) = 20
        ((39.0, 100, 10, 10**6), "diameter"),  # D >= 20 log_10(100) = 40
        ((40.0, 10, 10, 3999), "n_steps"),  # T >= D S A = 4000
        ((0.0, 10, 10, 10**6), "diameter"),
        ((40.0, 10, 10, 2.5), "n_steps"),
    ],
)
def test_average_reward_conditions_are_enforced(args, name):
    with pytest.raises((ValueError, TypeError), match=f"^{name}"):
        average_reward_regret_lower_bound(*args)


def test_average_reward_boundary_and_unchecked():
    assert average_reward_regret_lower_bound(20.0, 10, 10, 2000) == pytest.approx(0.015 * math.sqrt(20 * 100 * 2000))
    assert average_reward_regret_lower_bound(1.0, 2, 2, 10, check=False) == pytest.approx(0.015 * math.sqrt(40))


@pytest.mark.parametrize(
    ("S", "A", "H"), [(6, 2, 8), (6, 2, 20), (12, 2, 11), (30, 3, 10), (64, 2, 18), (100, 10, 6), (200, 2, 25)]
)
@pytest.mark.parametrize("K", [10**4, 10**6, 10**9])
def test_lower_bound_below_upper_bounds(S, A, H, K):
    """Sanity: no upper bound of the library falls below a lower bound where both apply."""
    lower = episodic_regret_lower_bound(S, A, H, K)
    assert lower <= optimistic_q_regret_bound(S, A, H, K, 0.1)
    assert lower <= H * K  # the trivial upper bound
    # UCBVI's bounds are for stationary transitions: compare with the stationary lower bound
    if S // H >= 6:
        lower_st = episodic_regret_lower_bound(S, A, H, K, stage_dependent=False)
        for bonus in ("hoeffding", "bernstein"):
            assert lower_st <= ucbvi_regret_bound(S, A, H, K, 0.1, bonus=bonus)


@pytest.mark.parametrize(("D", "S", "A"), [(20.0, 10, 10), (40.0, 100, 10), (60.0, 30, 12)])
@pytest.mark.parametrize("T_factor", [1, 10**3, 10**6])
def test_average_reward_lower_bound_below_ucrl2_upper_bound(D, S, A, T_factor):
    """Sanity: Jaksch et al.'s lower bound (Thm. 5) sits below their UCRL2 upper bound (Thm. 2) and below T."""
    from tabular.exploration.ucrl2 import ucrl2_regret_bound

    T = int(D * S * A) * T_factor
    lower = average_reward_regret_lower_bound(D, S, A, T)
    assert lower <= ucrl2_regret_bound(D, S, A, T, 0.1)
    assert lower <= T
