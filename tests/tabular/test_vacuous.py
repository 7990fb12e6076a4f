"""The planners warn when their certificate is no better than the trivial bound.

``epsilon`` is absolute (default 1e-6). On an MDP whose rewards span 1e-9, value
iteration stops at once with a bound of about 3e-9, while the values of all policies
span at most 3e-9: the certificate certifies nothing, and the planner now says so with
:class:`rlcore.VacuousResultWarning`, naming the fix (a smaller epsilon).
"""

from __future__ import annotations

import functools
import itertools
import warnings

import numpy as np
import pytest

import tabular
from rlcore import FiniteMDP, VacuousResultWarning, evaluate_policy
from rlcore.generators import forest, random_mdp, river_swim
from tabular import certify

PLANNERS = {
    "value_iteration": tabular.value_iteration,
    "gauss_seidel": functools.partial(tabular.value_iteration, variant="gauss-seidel"),
    "policy_iteration": tabular.policy_iteration,
    "modified_policy_iteration": tabular.modified_policy_iteration,
    "linear_programming": tabular.linear_programming,
}


def _scaled(mdp: FiniteMDP, factor: float) -> FiniteMDP:
    return FiniteMDP(np.asarray(mdp.P), np.asarray(mdp.R) * factor, gamma=mdp.gamma)


@pytest.mark.parametrize("name", ["value_iteration", "modified_policy_iteration"])
def test_tiny_rewards_with_the_default_epsilon_warn(name):
    mdp = _scaled(river_swim(gamma=0.9), 1e-9)
    with pytest.warns(VacuousResultWarning, match=r"trivial bound .*pass a smaller epsilon"):
        res = PLANNERS[name](mdp)
    assert res.suboptimality_bound >= certify(mdp, res.V).trivial_bound * 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error", VacuousResultWarning)
        sharp = PLANNERS[name](mdp, epsilon=1e-15)
    assert sharp.suboptimality_bound < certify(mdp, sharp.V).trivial_bound


def test_a_budget_too_short_to_say_anything_warns_and_says_so():
    with pytest.warns(VacuousResultWarning, match=r"or a larger max_iter \(the run stopped before converging\)"):
        res = tabular.value_iteration(river_swim(gamma=0.9), max_iter=1)
    assert not res.converged


@pytest.mark.parametrize("name", sorted(PLANNERS))
@pytest.mark.parametrize(
    "mdp",
    [river_swim(gamma=0.95), forest(gamma=0.9), random_mdp(6, 3, gamma=0.99, rng=1)],
    ids=["river_swim", "forest", "garnet"],
)
def test_ordinary_solves_do_not_warn(name, mdp):
    with warnings.catch_warnings():
        warnings.simplefilter("error", VacuousResultWarning)
        PLANNERS[name](mdp)


@pytest.mark.parametrize("seed", range(6))
def test_the_trivial_bound_holds_the_values_of_every_policy(seed):
    """Brute force: the values of all deterministic policies lie in an interval of width ``trivial_bound``."""
    mdp = random_mdp(3, 2, gamma=0.8, rng=seed, reward="normal" if seed % 2 else "uniform")
    values = np.array(
        [evaluate_policy(mdp, np.array(p)).V for p in itertools.product(range(mdp.n_actions), repeat=mdp.n_states)]
    )
    width = float(values.max() - values.min())
    trivial = certify(mdp, np.zeros(mdp.n_states)).trivial_bound
    assert width <= trivial * (1 + 1e-12)
    r_span = float(mdp.R.max() - mdp.R.min())
    assert trivial == pytest.approx(
        r_span / (1 - mdp.gamma), rel=1e-9
    )  # stochastic rows: (r_max - r_min) / (1 - gamma)


def test_constant_rewards_never_warn():
    """All policies have the same values; the trivial bound is at the rounding floor (k_lo, k_hi widened by ulps)."""
    mdp = FiniteMDP(np.full((2, 2, 2), 0.5), np.ones((2, 2)), gamma=0.9)
    cert = certify(mdp, np.zeros(2))
    assert cert.trivial_bound <= 16 * cert.rounding
    with warnings.catch_warnings():
        warnings.simplefilter("error", VacuousResultWarning)
        tabular.value_iteration(mdp, max_iter=1)
