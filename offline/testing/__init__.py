"""A contract suite for offline learners: run any learner, yours included, through one set of checks.

As :mod:`tabular.testing` does for planners, :func:`check_offline_learner` runs every
check below on a *learner*, any callable

.. code-block:: python

    result = learner(data, n_states, n_actions, **kwargs)

taking an :class:`rlcore.Dataset` of integer states in ``[0, S)`` and actions in
``[0, A)``, with ``gamma=`` (a discounted problem; passed when the signature takes it) or
``horizon=`` (a finite horizon), and ``rng=`` when the signature takes it (a named
parameter or ``**kwargs``). ``result`` is a policy array or has one as ``.policy``:
integer actions of shape (S,) or (H, S), or action probabilities of shape (S, A) or
(H, S, A). (:func:`offline.vi_lcb` returns a :class:`offline.PessimisticResult`;
:func:`offline.behavior_cloning` a bare array.) Fix other options with
:func:`functools.partial`; wrap learners of another signature (:func:`offline.pevi`
takes a feature map) in a function.

The instances are small MDPs drawn by Hypothesis (:func:`offline_mdps`: the MDPs of
:func:`rlcore.testing.finite_mdps`, at most 4 states and 3 actions, ``gamma <= 0.5`` or
``H <= 3``, rewards in ``[0, 1]``) and datasets drawn by
:func:`rlcore.testing.datasets` or sampled from them with seeds
(:func:`offline.sample_transitions` for discounted problems, :func:`rlcore.rollout` for
finite horizons). Values are exact (:func:`rlcore.evaluate_policy`; ``V*`` by
:func:`tabular.value_iteration` or :func:`tabular.backward_induction`).

The checks, each also callable on its own:

* :func:`check_policy_is_valid`: from any dataset (a few short episodes, most pairs
  unseen), a valid policy of the right shape, and no exception;
* :func:`check_deterministic`: the same data and seed twice give a bit-identical result,
  whatever NumPy's and Python's global random state;
* :func:`check_episode_order_invariant`: (learners without ``rng``) the order of the
  episodes does not change the policy's value;
* :func:`check_relabelling_equivariant`: renaming states and actions renames the policy
  (compared by exact value, so ties between equally good actions are forgiven);
* :func:`check_near_optimal_with_coverage`: (reward-maximising learners) with every pair
  covered by about 4000 samples, ``V* - V^pi <= epsilon * V_range``;
* :func:`check_certificate_holds`: (with a declared ``certificate``) the certificate
  bounds ``V*(rho) - V^pi(rho)`` on all but a binomial budget of ``n_seeds`` datasets at
  the learner's ``delta`` (false alarms below ``1e-6``);
* :func:`check_expert_data_no_worse_than_cloning`: on expert-only data,
  ``V^pi(rho) >= V^bc(rho) - epsilon * V_range`` with ``bc`` behaviour cloning.

Every failure is an ``AssertionError`` whose message starts with the check's name, then
names the learner, the instance as code to paste (``mdp = FiniteMDP(...); data = ...``,
the data as the seeded call that draws them or as a ``Dataset(...)``; run it after
``import numpy as np``, ``from rlcore import Dataset, FiniteMDP, rollout`` and ``from
offline import sample_transitions``), the call's keyword arguments, and the numbers that
broke the contract. A check that does not apply (the certificate check
without a certificate) is not yielded by :func:`learner_checks` and raises
``ValueError`` when called directly. Hypothesis runs derandomised and without an example
database, so every run checks the same instances.

This package needs the light ``hypothesis`` extra (``pip install "rlref[hypothesis]"``:
hypothesis and pytest); ``import offline`` never imports it. Its modules:
:mod:`offline.testing.strategies` (:func:`offline_mdps`) and
:mod:`offline.testing.checks` (the checks and the entry points); every public name is
importable from ``offline.testing``.

Examples
--------
A library learner passes:

>>> import offline
>>> from offline.testing import check_offline_learner
>>> check_offline_learner(offline.plug_in_policy, finite_horizon=True, max_examples=2)

A learner with an off-by-one in its actions does not (the message gives the MDP and the
data as code, the call, and the policy):

>>> import numpy as np
>>> from offline.testing import check_policy_is_valid
>>> def one_past_the_end(data, n_states, n_actions, *, gamma):
...     return np.full(n_states, n_actions)
>>> check_policy_is_valid(one_past_the_end)  # doctest: +SKIP
Traceback (most recent call last):
...
AssertionError: check_policy_is_valid: offline learner 'one_past_the_end' on mdp = FiniteMDP(P=np.array([[[1.0]]]),
R=np.array([[0.5]]), gamma=0.0); data = Dataset(observations=np.array([0], dtype=np.int64), ...), called with
{'gamma': 0.0}: the policy [1] is not a valid policy: policy: actions must lie in [0, 1), found 1 at index (0,)

(skipped here: Hypothesis shrinks the failing instance to the smallest one, which takes a
few hundred calls of the learner.)

In a test-suite, one line per learner (each check becomes its own test):

>>> import pytest
>>> from offline.testing import learner_checks
>>> @pytest.mark.parametrize("check_name, check", learner_checks(
...     offline.vi_lcb, certificate=offline.pessimism_certificate))
... def test_vi_lcb_contract(check_name, check):
...     check()
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the hypothesis extra
    raise ImportError(
        "offline.testing needs the 'hypothesis' package: pip install \"rlref[hypothesis]\" (or the full test extra)"
    ) from exc

from offline.testing.checks import (
    check_certificate_holds,
    check_deterministic,
    check_episode_order_invariant,
    check_expert_data_no_worse_than_cloning,
    check_near_optimal_with_coverage,
    check_offline_learner,
    check_policy_is_valid,
    check_relabelling_equivariant,
    learner_checks,
)
from offline.testing.strategies import offline_mdps

__all__ = [
    "check_certificate_holds",
    "check_deterministic",
    "check_episode_order_invariant",
    "check_expert_data_no_worse_than_cloning",
    "check_near_optimal_with_coverage",
    "check_offline_learner",
    "check_policy_is_valid",
    "check_relabelling_equivariant",
    "learner_checks",
    "offline_mdps",
]
