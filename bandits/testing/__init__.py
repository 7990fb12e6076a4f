"""A contract suite for bandit policies: run any policy, yours included, through one set of checks.

In the spirit of scikit-learn's ``check_estimator`` / ``parametrize_with_checks``, and
of :mod:`tabular.testing` for planners: :func:`check_bandit_policy` runs every check
below on a *policy*, any object with the :class:`bandits.BanditPolicy` protocol

==============================  ===================================================
``reset(n_arms, horizon)``      forget everything; a run of ``horizon`` rounds starts
``select(t, rng) -> int``       the arm to pull at round ``t = 1 .. horizon``, any
                                randomness drawn from ``rng``
``update(arm, reward, rng)``    observe the pulled arm's reward
==============================  ===================================================

run through :func:`bandits.simulate` (``simulate(env, policy, horizon, n_runs, rng=...,
backend=...)``). What a policy promises beyond the protocol it declares with the suite's
options, and the checks hold it to exactly that:

* :func:`check_valid_arms`: every round, an integer arm in ``[0, K)``; the run completes
  on 1 to 8 arms, any horizon (including fewer rounds than arms);
* :func:`check_same_seed_same_pulls`: the same seed gives the same pulls (all randomness
  from ``rng``; ``reset`` forgets everything);
* :func:`check_arm_relabelling`: relabelling the arms relabels the pulls (compared by
  the final pull counts on per-arm reward streams, with an exact sign test for
  randomised policies; the tie-breaking caveat is in its documentation);
* :func:`check_scale_free` (``scale_free=True``): rescaling every reward by a power of two
  changes no pull;
* :func:`check_sublinear_regret` (``sublinear=True``, the default): the log-log slope of the
  mean regret is at most ``max_slope`` and the best arm's share of the pulls grows;
* :func:`check_regret_bound` (``regret_bound=callable(means, horizon)``): the runs' regrets
  are consistent with the declared bound on the expected regret, within a failure budget
  of ``1e-6`` per instance;
* :func:`check_compiled_twin` (policies with ``kernel_spec``): the compiled and Python
  backends pull the same arms, bit for bit.

The instances are drawn by Hypothesis from :func:`rlcore.testing.bandit_means`: Bernoulli
arms, and Gaussian arms for policies that take real-valued rewards (``gaussian``; read
from a policy's ``reward_range`` when it has one). Hypothesis runs derandomised, without
an example database (:func:`rlcore.testing.contract.derandomized`), and every seed is
fixed, so a program checks the same instances on every run (see
:mod:`rlcore.testing.contract` for what can still change them); the
statistical checks (relabelling, regret bound) state their failure budgets, and the
costly ones do not shrink a failing instance.

Every failure is an ``AssertionError`` whose message starts with the check's name and
names the policy, the instance (an environment's ``repr``, e.g.
``BernoulliBandit(means=[0.25, 0.5])``, which pastes back as code, or the reward streams
and permutation of the relabelling check), the call (``horizon``, ``n_runs``, ``rng``,
``backend``) and the numbers. A check that does not apply is not yielded by
:func:`bandit_policy_checks` and raises ``ValueError`` when called directly.

This package needs the light ``hypothesis`` extra (``pip install "rlref[hypothesis]"``:
hypothesis and pytest); ``import bandits`` never imports it. Its modules:
:mod:`bandits.testing.checks` (the checks and the entry points); every public name is
importable from ``bandits.testing``.

Examples
--------
A library policy passes, declaring its bound:

>>> import bandits
>>> from bandits.testing import check_bandit_policy, check_valid_arms
>>> check_bandit_policy(bandits.MOSS(), max_examples=1, n_seeds=24, horizon=200,
...                     regret_bound=lambda means, horizon: bandits.moss_regret_bound(horizon, len(means)))

A policy that forgets the last arm does not; the message goes on with the environment
and the call:

>>> class NeverLast:
...     def reset(self, n_arms, horizon): self.K = n_arms
...     def select(self, t, rng): return (t - 1) % self.K + 1
...     def update(self, arm, reward, rng): pass
>>> check_valid_arms(NeverLast(), name="NeverLast", max_examples=3)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
AssertionError: check_valid_arms: bandit policy 'NeverLast' on ...select(1) returned 1, expected an arm in [0, 1)...

In a test-suite, one line per policy (each check becomes its own test):

>>> import pytest
>>> from bandits.testing import bandit_policy_checks
>>> @pytest.mark.parametrize("check_name, check", bandit_policy_checks(bandits.UCB1()))
... def test_ucb1_contract(check_name, check):
...     check()
"""

from __future__ import annotations

import rlcore.testing  # noqa: F401  (first: without hypothesis, its ImportError names the extra to install)
from bandits.testing.checks import (
    bandit_policy_checks,
    check_arm_relabelling,
    check_bandit_policy,
    check_compiled_twin,
    check_regret_bound,
    check_same_seed_same_pulls,
    check_scale_free,
    check_sublinear_regret,
    check_valid_arms,
)

__all__ = [
    "bandit_policy_checks",
    "check_arm_relabelling",
    "check_bandit_policy",
    "check_compiled_twin",
    "check_regret_bound",
    "check_same_seed_same_pulls",
    "check_scale_free",
    "check_sublinear_regret",
    "check_valid_arms",
]
