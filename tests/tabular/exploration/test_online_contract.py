"""The contract suite of :mod:`tabular.testing.online`, run over the library's online learners.

Two halves, as ``tests/bandits/test_policy_contract.py`` does for bandit policies:

* the library's learners pass every check that applies to them, one pytest test per
  (learner, check), each declaring what it promises (optimism, sublinear regret or not);
* deliberately broken learners fail the check written for their defect (an action out
  of range, NumPy's global generator, a compiled twin that disagrees, a bound far too
  small, a false claim of optimism, a learner stuck on one policy), so that the suite is
  known to be able to fail.

The binomial budgets are tested against exact sums of binomial probabilities
(:func:`math.comb`), the printed instances against the MDPs they name.
"""

from __future__ import annotations

import functools
import importlib
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

import rlcore.generators as generators
from rlcore import FiniteMDP
from tabular.exploration import UCBVI
from tabular.testing._online_suite import (
    FAILURE_BUDGET,
    binomial_budget,
    instances,
    random_policy_regret,
)
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

#: Small settings for the broken learners (which run through their protocol methods).
FAST = {"max_examples": 3, "n_seeds": 8, "n_episodes": 200}
#: The learners beside the reference one: fewer instances (the defaults are 5).
SMALL = {"max_examples": 3}


# ----------------------------------------------------------------------------- library learners
def _optional(module: str, attr: str) -> Any:
    """A learner class from a module that may not import yet (other work in progress): None then."""
    try:
        return getattr(importlib.import_module(module), attr)
    except Exception:  # a module being written may fail in any way
        return None


PSRL = _optional("tabular.exploration.psrl", "PSRL")
RLSVI = _optional("tabular.exploration.rlsvi", "RLSVI")
OptimisticQLearning = _optional("tabular.exploration.optimistic_q", "OptimisticQLearning")
LSVIUCB = _optional("tabular.exploration.lsvi_ucb", "LSVIUCB")
MEX = _optional("tabular.exploration.mex", "MEX")


def lsvi_ucb_one_hot(n_states: int, n_actions: int, horizon: int) -> Any:
    """LSVI-UCB with one-hot features of the pairs: the tabular case of the linear MDP."""
    return LSVIUCB(np.eye(n_states * n_actions).reshape(n_states, n_actions, -1), horizon)


#: (id, factory or None when its module does not import, what it declares).
LIBRARY: list[tuple[str, Any, dict[str, Any]]] = [
    # the theory's Hoeffding bonus 7 H L / sqrt(N) keeps every value at its clip for about
    # (7 H L)**2 visits of each pair (over 10**4 episodes even at S = 1, A = 2, H = 1): the
    # regret does not fall within a testable number of episodes
    ("UCBVI-CH", functools.partial(UCBVI, n_episodes=2000), {"sublinear": False}),
    ("UCBVI-BF", functools.partial(UCBVI, bonus="bernstein", n_episodes=2000), {}),
    ("PSRL", PSRL, SMALL),
    ("RLSVI", RLSVI, SMALL),
    ("RLSVI[perturbed_model]", functools.partial(RLSVI, form="perturbed_model") if RLSVI is not None else None, SMALL),
    # measured at 2000 episodes on chain(2, ..., horizon=3): the per-episode regret rises
    # (0.14 -> 0.19 Hoeffding, 0.14 -> 0.54 Bernstein); optimism holds
    ("OptimisticQLearning", OptimisticQLearning, {"optimistic": True, "sublinear": False, **SMALL}),
    # beta of Jin et al. 2020 keeps every value at its clip for the whole run at these sizes
    (
        "LSVIUCB[one-hot]",
        lsvi_ucb_one_hot if LSVIUCB is not None else None,
        {"optimistic": True, "sublinear": False, **SMALL},
    ),
    # one convex program per episode: fewer instances and seeds
    ("MEX", MEX, {"max_examples": 2, "n_seeds": 8, "n_episodes": 1000}),
]


def _library_cases() -> list[Any]:
    cases = []
    for label, make, declared in LIBRARY:
        if make is None:
            cases.append(pytest.param(None, None, id=f"{label}-unavailable", marks=pytest.mark.skip("does not import")))
            continue
        try:
            checks = online_learner_checks(make, **declared)
        except Exception as exc:  # a learner being written; never the reference learner
            if label.startswith("UCBVI"):
                raise
            reason = f"online_learner_checks raised {type(exc).__name__}: {exc}"
            cases.append(pytest.param(None, None, id=f"{label}-unavailable", marks=pytest.mark.skip(reason)))
            continue
        for check_name, check in checks:
            cases.append(pytest.param(check_name, check, id=f"{label}-{check_name}"))
    return cases


@pytest.mark.parametrize(("check_name", "check"), _library_cases())
def test_library_learner_honours_the_contract(check_name, check):
    check()


# the one-line form a user writes, on the reference learner
@pytest.mark.parametrize(
    "check_name, check", online_learner_checks(functools.partial(UCBVI, n_episodes=2000), sublinear=False)
)
def test_ucbvi_one_line(check_name, check):
    assert check_name.startswith("check_") and check.__name__ == "UCBVI(n_episodes=2000)"


def test_each_learner_gets_the_checks_it_declares():
    names = [n for n, _ in online_learner_checks(functools.partial(UCBVI, n_episodes=2000), sublinear=False)]
    assert names == [
        "check_valid_policies",
        "check_same_seed_same_run",
        "check_compiled_twin",
        "check_regret_bound",
        "check_optimism",
    ]
    # c != 1: no bound and no optimism claimed (nor without a planned budget)
    names = [n for n, _ in online_learner_checks(functools.partial(UCBVI, c=0.1))]
    assert names == ["check_valid_policies", "check_same_seed_same_run", "check_compiled_twin", "check_regret_falls"]
    # a learner's own ``optimistic = True`` attribute declares it
    assert "check_optimism" in [n for n, _ in online_learner_checks(FalseOptimism)]
    assert "check_compiled_twin" not in [n for n, _ in online_learner_checks(FalseOptimism)]


# ----------------------------------------------------------------------------- broken learners
class _Delegate:
    """UCBVI through its protocol methods only (no compiled twin): the base of the broken learners."""

    delta = 0.1

    def __init__(self, n_states: int, n_actions: int, horizon: int) -> None:
        self._inner = UCBVI(n_states, n_actions, horizon, c=0.05)
        self.n_states, self.n_actions, self.horizon = n_states, n_actions, horizon
        self.name = type(self).__name__

    @property
    def value_estimate(self) -> Any:
        return self._inner.value_estimate

    def reset(self) -> None:
        self._inner.reset()

    def begin_episode(self, episode: int, rng: np.random.Generator) -> np.ndarray:
        return self._inner.begin_episode(episode, rng)

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        self._inner.end_episode(states, actions, rewards)

    def regret_bound(self, n_episodes: int) -> float | None:
        return None


class OffByOne(_Delegate):
    """Plays the action after the one it chose: past the last action."""

    def begin_episode(self, episode: int, rng: np.random.Generator) -> np.ndarray:
        return super().begin_episode(episode, rng) + 1


class GlobalRandom(_Delegate):
    """Explores by changing one entry of its policy at random, drawn from NumPy's global generator."""

    def begin_episode(self, episode: int, rng: np.random.Generator) -> np.ndarray:
        policy = super().begin_episode(episode, rng)
        policy[np.random.randint(self.horizon), np.random.randint(self.n_states)] = np.random.randint(self.n_actions)
        return policy


class MismatchedTwin(UCBVI):
    """UCBVI whose Python path forgets the last step of every episode (its compiled loop does not)."""

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        if actions.shape[0] > 1:
            super().end_episode(states[:-1], actions[:-1], rewards[:-1])


class TinyBound(_Delegate):
    """Claims a regret of at most 0.01 whatever the number of episodes."""

    def regret_bound(self, n_episodes: int) -> float | None:
        return 0.01


class FalseOptimism(_Delegate):
    """Declares itself optimistic (attribute ``optimistic = True``) but estimates every value as 0."""

    optimistic = True

    @property
    def value_estimate(self) -> Any:
        return None if self._inner.value_estimate is None else np.zeros(self.n_states)


class Stuck(_Delegate):
    """Always plays action 0: sees the data, never learns from it."""

    def begin_episode(self, episode: int, rng: np.random.Generator) -> np.ndarray:
        super().begin_episode(episode, rng)
        return np.zeros((self.horizon, self.n_states), dtype=np.int64)


BROKEN = [
    # (factory, the check it must fail, a piece of the message)
    (OffByOne, check_valid_policies, "returned action "),
    (GlobalRandom, check_same_seed_same_run, "it draws randomness other than its rng"),
    (MismatchedTwin, check_compiled_twin, "the compiled and Python engines differ: "),
    (TinyBound, check_regret_bound, "runs break the stated bound (at most "),
    (FalseOptimism, check_optimism, "runs break optimism (at most "),
    (Stuck, check_regret_falls, "runs do not fall (at most 5 allowed)"),
]


@pytest.mark.parametrize(("make", "check", "message"), BROKEN, ids=[c.__name__ for _, c, _ in BROKEN])
def test_broken_learner_fails_its_check(make, check, message):
    with pytest.raises(AssertionError) as info:
        check(make, **FAST)
    text = str(info.value)
    # the message names the check, the learner, the pasteable instance and the call
    assert text.startswith(f"{check.__name__}: online learner {make.__name__!r} on ")
    instance = text.split(" on ", 1)[1].split(", called with", 1)[0]
    assert instance.split("(")[0] in ("random_mdp", "river_swim", "chain", "combination_lock")
    assert isinstance(eval(instance, vars(generators)), FiniteMDP)
    assert ", called with {'n_episodes': " in text and "'rng': " in text
    assert message in text


def test_reset_that_forgets_too_little_is_caught():
    class Remembers(_Delegate):
        def reset(self) -> None:  # keeps the counts of earlier runs
            pass

    with pytest.raises(AssertionError, match="reset\\(\\) forgets less than everything"):
        check_same_seed_same_run(Remembers, **FAST)


def test_broken_learners_pass_the_checks_they_do_not_break():
    """Each defect is caught where it belongs: the broken learners are otherwise valid and reproducible."""
    for make in (TinyBound, FalseOptimism, Stuck):
        check_valid_policies(make, max_examples=3)
        check_same_seed_same_run(make, max_examples=3)
    check_compiled_twin(UCBVI, max_examples=3)  # the parent of MismatchedTwin agrees with itself


def test_the_whole_suite_stops_at_the_first_breach():
    with pytest.raises(AssertionError, match=r"^check_valid_policies: online learner 'OffByOne' on "):
        check_online_learner(OffByOne, **FAST)


# ----------------------------------------------------------------------------- statistics and instances
def _tail(n: int, p: float, k: int) -> float:
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))


@pytest.mark.parametrize(("n", "p"), [(8, 0.05), (20, 0.05), (20, 0.1), (40, 0.1), (30, 0.3), (6, 0.1), (8, 0.5)])
def test_binomial_budget_matches_the_tail(n, p):
    k = binomial_budget(n, p)
    if k <= n:
        assert _tail(n, p, k) <= FAILURE_BUDGET < _tail(n, p, k - 1)
    else:  # no count is unlikely enough
        assert k == n + 1 and _tail(n, p, n) > FAILURE_BUDGET
    assert binomial_budget(20, 0.1) == 11 and binomial_budget(20, 0.05) == 9  # as the docstrings say


def test_too_few_seeds_for_delta_names_n_seeds():
    with pytest.raises(ValueError, match="^n_seeds"):
        check_regret_bound(functools.partial(UCBVI, n_episodes=16), delta=0.5, max_examples=1, n_seeds=8, n_episodes=16)


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(instances())
def test_instances_paste_back(inst):
    mdp = eval(inst.label, vars(generators))
    for a, b in ((mdp.P, inst.mdp.P), (mdp.R, inst.mdp.R), (mdp.initial, inst.mdp.initial)):
        a = a.toarray() if hasattr(a, "toarray") else a
        b = b.toarray() if hasattr(b, "toarray") else b
        assert np.array_equal(a, b)
    assert 0.0 <= float(np.min(mdp.R)) and float(np.max(mdp.R)) <= 1.0 and mdp.horizon <= 6
    assert mdp.n_states <= 5 and mdp.n_actions <= 3


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(instances(small=True))
def test_regret_falls_instances_have_something_to_learn(inst):
    mdp = inst.mdp
    assert mdp.n_states <= 3 and 2 <= mdp.n_actions <= 3 and mdp.horizon <= 3 and mdp.P.ndim == 3
    # an independent backward recursion (no terminal states among these instances)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    v_star = v_unif = np.zeros(mdp.n_states)
    for _ in range(mdp.horizon):
        v_star, v_unif = (R + P @ v_star).max(axis=1), (R + P @ v_unif).mean(axis=1)
    gap = float(mdp.initial @ (v_star - v_unif))
    assert gap == pytest.approx(random_policy_regret(mdp), abs=1e-12) and gap >= 0.1


def test_random_policy_regret_on_a_two_armed_bandit():
    # one state, one step: the uniform policy loses half the gap
    mdp = generators.random_mdp(1, 2, horizon=1, reward=np.array([[0.2, 0.9]]), rng=0)
    assert random_policy_regret(mdp) == pytest.approx(0.35)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_seeds": 4}, "n_seeds"),
        ({"n_episodes": 8}, "n_episodes"),
        ({"delta": 1.0}, "delta"),
        ({"optimistic": "yes"}, "optimistic"),
        ({"max_examples": 0}, "max_examples"),
    ],
)
def test_options_are_validated(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=f"^{name}"):
        check_online_learner(UCBVI, **kwargs)


def test_a_factory_that_fails_or_a_check_that_does_not_apply_names_make():
    with pytest.raises(ValueError, match="^make"):
        check_online_learner(lambda n_states, n_actions, horizon: UCBVI(0, n_actions, horizon))
    with pytest.raises(ValueError, match="^make.*check_optimism does not apply"):
        check_optimism(functools.partial(UCBVI, c=0.5))  # c < 1: no optimism claimed
    with pytest.raises(ValueError, match="^make.*check_regret_falls does not apply"):
        check_regret_falls(UCBVI, sublinear=False)
