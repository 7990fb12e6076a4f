"""A contract suite for MDP solvers: run any planner, yours included, through one set of checks.

In the spirit of scikit-learn's ``check_estimator`` / ``parametrize_with_checks``:
:func:`check_mdp_solver` runs every check below on a *solver*, any callable

.. code-block:: python

    result = solver(mdp, **kwargs)

taking an :class:`rlcore.FiniteMDP` and returning an object with the attributes

==========================  =====================================================
``V``                       ndarray of shape (S,), or (H, S) under a finite horizon
``Q``                       ndarray of shape (S, A), or (H, S, A)
``policy``                  int ndarray of shape (S,), or (H, S): deterministic
``converged``               bool
``value_bound``             float, claimed ``max |V - V*|``
``suboptimality_bound``     float, claimed ``max (V* - V^policy)``
``V_lower``, ``V_upper``    optional: claimed bracket ``V_lower <= V* <= V_upper``
==========================  =====================================================

(:class:`tabular.PlanningResult` is one). The checks hold the solver to what it
claims, against the *exact* optimal values computed independently by
:func:`brute_force_solution`: the componentwise maximum of the exact values
(:func:`rlcore.evaluate_policy`, a linear solve) of every deterministic stationary
policy (discounted) or every deterministic Markov policy (finite horizon). An optimal
policy of that class exists and dominates every other policy in every state
(Puterman 1994, Thm. 6.2.10 and Thm. 4.4.2), so the maximum is ``V*``.

The instances are small fixed MDPs (:func:`reference_mdps`: forest management,
RiverSwim, a gridworld, the n-chain, seeded random MDPs with ``gamma`` up to 0.99, a
one-state MDP, ``gamma = 0``, all-tied rewards), each in dense and sparse layout, and
random MDPs drawn by Hypothesis (:func:`rlcore.testing.finite_mdps`). Each discounted
instance is solved with the solver's defaults and, where the solver's signature takes
them (a named parameter or ``**kwargs``), with ``epsilon=1e-3`` (a loose target, so
that the bounds are large enough to be worth checking) and with ``max_iter=2`` (a
budget that runs out: the answer may be poor, but it must say so). ``epsilon`` and
``max_iter`` are never passed for finite-horizon instances.

The checks, each also callable on its own:

* :func:`check_rejects_non_mdp`: ``solver(x)`` raises ``TypeError`` for non-MDPs;
* :func:`check_result_interface`: attributes, shapes and dtypes; finite ``V`` and
  ``Q``; bounds non-negative and not NaN;
* :func:`check_policy_is_valid`: the policy is a valid deterministic policy;
* :func:`check_bounds_on_fixed_mdps`: ``|V - V*| <= value_bound``,
  ``|Q - Q*| <= value_bound``, ``V* - V^policy <= suboptimality_bound``,
  ``V_lower <= V* <= V_upper``, and ``converged`` implies both bounds
  ``<= epsilon``, on the reference MDPs;
* :func:`check_bounds_on_random_mdps`: the same on Hypothesis-drawn MDPs;
* :func:`check_converged_means_epsilon`: for ``epsilon`` in {1e-1, 1e-4, 1e-8}, with
  and without a short ``max_iter``, ``converged`` implies that both bounds, and the
  true errors, are ``<= epsilon``;
* :func:`check_converges_on_small_mdps`: ``epsilon=1e-6`` is reached on the small
  reference MDPs;
* :func:`check_dense_sparse_agree`: the dense and sparse layouts of one MDP give
  answers within the sum of their bounds;
* :func:`check_deterministic`: the same input twice gives bit-identical output;
* :func:`check_does_not_mutate_mdp`: the MDP's arrays and attributes are unchanged.

Every failure is an ``AssertionError`` whose message starts with the check's name and
names the solver, the instance (with its arrays when it is small) and the keyword
arguments of the call. A check the solver cannot take (``epsilon`` checks for a solver
without ``epsilon``, layouts the solver does not support) is not yielded by
:func:`solver_checks` and raises ``ValueError`` when called directly.

Hypothesis runs derandomised and without an example database, so a program checks the
same instances on every run (:func:`rlcore.testing.contract.derandomized` says what can
still change them; raise ``max_examples`` to see more).

Online learners have a suite of their own, :mod:`tabular.testing.online`:
:func:`check_online_learner` takes a learner factory ``make(n_states, n_actions,
horizon) -> OnlineLearner`` (a :mod:`tabular.exploration` class, a
``functools.partial`` of one, or your own) and runs it through
:func:`tabular.exploration.explore` on finite-horizon MDPs drawn from
:mod:`rlcore.generators`, holding it to the protocol (valid policies and estimates in
every episode, runs reproducible by seed, ``reset`` forgetting everything, a compiled
twin bit-identical to the protocol path) and to what it declares: falling regret, its
stated regret bound and its optimism, each within a binomial failure budget of
``1e-6`` per instance. :func:`online_learner_checks` gives the same checks for
``pytest.mark.parametrize``:
``@pytest.mark.parametrize("check_name, check", online_learner_checks(UCBVI))``.

This package needs the light ``hypothesis`` extra (``pip install "rlref[hypothesis]"``:
hypothesis and pytest); ``import tabular`` never imports
it. Its modules: :mod:`tabular.testing.oracle` (the exact solution by enumeration),
:mod:`tabular.testing.instances` (the reference MDPs), :mod:`tabular.testing.checks`
(the checks and the entry points) and :mod:`tabular.testing.online` (the online-learner
checks and their entry points); every public name is importable from
``tabular.testing``.

References
----------
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, Thm. 4.4.2 (finite horizon)
and Thm. 6.2.10 (discounted: a deterministic stationary policy is optimal).

Examples
--------
A library planner passes:

>>> import tabular
>>> from tabular.testing import check_mdp_solver, check_bounds_on_fixed_mdps
>>> check_mdp_solver(tabular.value_iteration, max_examples=3)

A value iteration that stops after five sweeps and claims convergence does not (any
object with the right attributes is a result); the message goes on with ``called with
{}: max |V - V*| = 19.0728 exceeds value_bound = 0 ...`` and both value functions:

>>> from types import SimpleNamespace
>>> import numpy as np
>>> from rlcore import bellman_optimality, greedy, q_from_v
>>> def five_sweeps(mdp, epsilon=1e-6):
...     V = np.zeros(mdp.n_states)
...     for _ in range(5):
...         V = bellman_optimality(mdp, V)
...     Q = q_from_v(mdp, V)
...     return SimpleNamespace(V=V, Q=Q, policy=greedy(Q), converged=True,
...                            value_bound=0.0, suboptimality_bound=0.0)
>>> check_bounds_on_fixed_mdps(five_sweeps)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
AssertionError: check_bounds_on_fixed_mdps: solver 'five_sweeps' on forest(3, gamma=0.9) [dense], called ...

In a test-suite, one line per solver (each check becomes its own test):

>>> import pytest
>>> from tabular.testing import solver_checks
>>> @pytest.mark.parametrize("check_name, check", solver_checks(tabular.policy_iteration))
... def test_policy_iteration_contract(check_name, check):
...     check()
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the hypothesis extra
    raise ImportError(
        "tabular.testing needs the 'hypothesis' package: pip install \"rlref[hypothesis]\" (or the full test extra)"
    ) from exc

from tabular.testing.checks import (
    check_bounds_on_fixed_mdps,
    check_bounds_on_random_mdps,
    check_converged_means_epsilon,
    check_converges_on_small_mdps,
    check_deterministic,
    check_dense_sparse_agree,
    check_does_not_mutate_mdp,
    check_mdp_solver,
    check_policy_is_valid,
    check_rejects_non_mdp,
    check_result_interface,
    solver_checks,
)
from tabular.testing.instances import reference_mdps
from tabular.testing.online import (
    check_compiled_twin,
    check_online_learner,
    check_optimism,
    check_regret_bound,
    check_regret_falls,
    check_same_seed_same_run,
    check_valid_policies,
    online_learner_checks,
)
from tabular.testing.oracle import ExactSolution, brute_force_solution

__all__ = [
    "ExactSolution",
    "brute_force_solution",
    "check_bounds_on_fixed_mdps",
    "check_bounds_on_random_mdps",
    "check_compiled_twin",
    "check_converged_means_epsilon",
    "check_converges_on_small_mdps",
    "check_deterministic",
    "check_dense_sparse_agree",
    "check_does_not_mutate_mdp",
    "check_mdp_solver",
    "check_online_learner",
    "check_optimism",
    "check_policy_is_valid",
    "check_regret_bound",
    "check_regret_falls",
    "check_rejects_non_mdp",
    "check_result_interface",
    "check_same_seed_same_run",
    "check_valid_policies",
    "online_learner_checks",
    "reference_mdps",
    "solver_checks",
]
