"""Hypothesis strategies for property-testing algorithms on finite MDPs.

These are the strategies the library's own test-suite uses, published so that users
can check *their* algorithms the same way: draw many small MDPs (dense and sparse,
discounted and finite-horizon, stationary and time-dependent), policies, value
functions and datasets, and assert the guarantee the paper proves on every one of
them. Hypothesis shrinks a failure to a minimal counterexample (typically one state
and one action), which is usually enough to see the bug.

The ``corrupted_*`` strategies go the other way: they start from valid inputs and
apply exactly one corruption (a NaN, a row summing to ``1 - 1e-6``, a wrong shape,
a discount of 1, ...) and say which argument the error message must name. A library
function that follows the house rule "bad input gets a ``ValueError``/``TypeError``
naming the argument" passes a three-line property test with them.

Installation: the light ``hypothesis`` extra, ``pip install "rlref[hypothesis]"``
(Hypothesis and pytest only), is enough to use these strategies and the contract suites
of :mod:`tabular.testing` on your own algorithms; the heavier ``test`` extra (reference
libraries, type checker, linter) is only for running rlref's own test-suite.
``import rlcore`` never imports this package.

Failing examples print as code you can paste: a drawn MDP's ``repr`` is the
:class:`~rlcore.FiniteMDP` call that rebuilds it exactly (:func:`constructor_call`), e.g.
``FiniteMDP(P=np.array([[[1.0]]]), R=np.array([[0.0]]), gamma=0.0)`` (with
``import numpy as np``, ``import scipy.sparse as sp`` and ``from rlcore import
FiniteMDP``). :func:`finite_mdps` mixes dense and sparse ``P`` by default; pass
``sparse=False`` for dense only.

All strategies draw every random choice through Hypothesis (no global NumPy
randomness), so examples are reproducible, replayable from the Hypothesis database
and shrink well. Sizes are deliberately small (at most 6 states, 4 actions, horizon
5 by default): property tests find bugs on small instances, and small instances keep
a test-suite fast.

Examples
--------
A user's own value iteration, property-tested against the library's exact policy
evaluation on every kind of discounted MDP the strategy draws (the stopping rule and
bound are Puterman 1994, Thm 6.3.1: the greedy policy is ``eps``-optimal):

>>> import numpy as np
>>> from hypothesis import given
>>> from rlcore import bellman_optimality, evaluate_policy, greedy, q_from_v
>>> from rlcore.testing import finite_mdps
>>> def my_value_iteration(mdp, eps):  # the user's code under test
...     V = np.zeros(mdp.n_states)
...     while True:
...         V_next = bellman_optimality(mdp, V)
...         if np.abs(V_next - V).max() <= eps * (1 - mdp.gamma) / 2:
...             return V_next
...         V = V_next
>>> @given(finite_mdps(discounted=True))
... def test_greedy_policy_is_eps_optimal(mdp):
...     V = my_value_iteration(mdp, eps=1e-6)
...     V_pi = evaluate_policy(mdp, greedy(q_from_v(mdp, V))).V
...     assert np.all(V_pi >= V - 1.5e-6 - 1e-9)  # V* - eps <= V_pi and V <= V* + eps/2
>>> test_greedy_policy_is_eps_optimal()  # doctest: +SKIP

Checking that a function rejects malformed MDPs with a clear message:

>>> import pytest, re
>>> from rlcore import FiniteMDP
>>> from rlcore.testing import corrupted_mdp_kwargs
>>> @given(corrupted_mdp_kwargs())
... def test_rejects(case):
...     kwargs, argument, exception = case
...     with pytest.raises(exception, match=rf"^{re.escape(argument)}\\b"):
...         FiniteMDP(**kwargs)
>>> test_rejects()  # doctest: +SKIP
"""

from __future__ import annotations

try:  # first, so that a missing extra gives the install hint whichever submodule is imported
    import hypothesis  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised by a test that hides hypothesis
    raise ImportError(
        "rlcore.testing needs the 'hypothesis' package, which ships with the light hypothesis extra: "
        'pip install "rlref[hypothesis]"'
    ) from exc

from rlcore.testing._draw import MAX_ACTIONS as MAX_ACTIONS
from rlcore.testing._draw import MAX_ARMS as MAX_ARMS
from rlcore.testing._draw import MAX_EPISODE_LENGTH as MAX_EPISODE_LENGTH
from rlcore.testing._draw import MAX_EPISODES as MAX_EPISODES
from rlcore.testing._draw import MAX_HORIZON as MAX_HORIZON
from rlcore.testing._draw import MAX_OBS_DIM as MAX_OBS_DIM
from rlcore.testing._draw import MAX_STATES as MAX_STATES
from rlcore.testing.bandit_strategies import bandit_means
from rlcore.testing.dataset_strategies import datasets
from rlcore.testing.mdp_corruptions import MDP_CORRUPTIONS, corrupted_mdp_kwargs
from rlcore.testing.mdp_strategies import constructor_call, finite_mdps
from rlcore.testing.policy_corruptions import POLICY_CORRUPTIONS, corrupted_policies
from rlcore.testing.policy_strategies import mdps_and_policies, policies, value_functions
from rlcore.testing.regressor_checks import (
    RegressionProblem,
    check_regressor,
    check_regressor_clones_are_independent,
    check_regressor_constant_target,
    check_regressor_deterministic,
    check_regressor_does_not_mutate_inputs,
    check_regressor_interface,
    check_regressor_refit,
    check_regressor_sample_weight,
    regression_problems,
    regressor_checks,
)
from rlcore.testing.simulator_checks import (
    check_simulator,
    check_simulator_batch_consistency,
    check_simulator_deterministic,
    check_simulator_does_not_mutate_inputs,
    check_simulator_interface,
    check_simulator_matches_mdp,
    check_simulator_termination,
    simulator_checks,
)

__all__ = [
    "MDP_CORRUPTIONS",
    "POLICY_CORRUPTIONS",
    "RegressionProblem",
    "bandit_means",
    "check_regressor",
    "check_regressor_clones_are_independent",
    "check_regressor_constant_target",
    "check_regressor_deterministic",
    "check_regressor_does_not_mutate_inputs",
    "check_regressor_interface",
    "check_regressor_refit",
    "check_regressor_sample_weight",
    "check_simulator",
    "check_simulator_batch_consistency",
    "check_simulator_deterministic",
    "check_simulator_does_not_mutate_inputs",
    "check_simulator_interface",
    "check_simulator_matches_mdp",
    "check_simulator_termination",
    "constructor_call",
    "corrupted_mdp_kwargs",
    "corrupted_policies",
    "datasets",
    "finite_mdps",
    "mdps_and_policies",
    "policies",
    "regression_problems",
    "regressor_checks",
    "simulator_checks",
    "value_functions",
]
