"""The contract suite of :mod:`bandits.testing`, run over every K-armed policy of :mod:`bandits`.

Two halves, as ``tests/tabular/test_contract.py`` does for planners:

* every stochastic bandit policy the library ships passes every check that applies to it,
  one pytest test per (policy, check), each declaring what it promises (its regret bound
  function, scale-freeness, sublinear regret or not);
* deliberately broken policies fail the check written for their defect (an arm out of
  range, NumPy's global generator, a preference for low arm indices, rewards ignored,
  a compiled twin that disagrees, a bound that does not hold, a scale-free claim that
  does not), so that the suite is known to be able to fail.

The statistics of the checks are tested against closed forms (binomial tails by exact
summation with :func:`math.comb`, the sign test against :func:`scipy.stats.binomtest`).
"""

from __future__ import annotations

import functools
import inspect
import math
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest
from scipy import stats

import bandits
from bandits.testing import (
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
from bandits.testing._suite import markov_count_threshold, sign_test_pvalue

#: Small settings: the suite's defaults are 5 instances and 40 seeds; here 3 and the fewest allowed.
FAST = {"max_examples": 3, "n_seeds": 24}


# ----------------------------------------------------------------------------- shipped policies
def _moss_bound(means: Any, horizon: int) -> float:
    return bandits.moss_regret_bound(horizon, len(means))


def _etc_bound(m: int) -> Any:
    def bound(means: Any, horizon: int) -> float:
        return bandits.etc_regret_bound(means, horizon, m)

    return bound


def _exp3_bound(gamma: float) -> Any:
    def bound(means: Any, horizon: int) -> float:
        return bandits.exp3_regret_bound(horizon, len(means), gamma=gamma)

    return bound


#: (id, policy, what it declares). The bounds are the library's own bound functions.
SHIPPED: list[tuple[str, Any, dict[str, Any]]] = [
    ("UCB1", bandits.UCB1(), {"regret_bound": bandits.ucb1_regret_bound}),
    ("UCBV", bandits.UCBV(), {}),
    ("KLUCB[c=3]", bandits.KLUCB(c=3.0), {"regret_bound": functools.partial(bandits.klucb_regret_bound, c=3.0)}),
    ("KLUCB[c=0]", bandits.KLUCB(), {}),
    ("KLUCB[gaussian]", bandits.KLUCB(kl="gaussian", sigma=0.5), {}),
    ("MOSS", bandits.MOSS(), {"regret_bound": _moss_bound}),
    ("ThompsonBeta", bandits.ThompsonBeta(), {"regret_bound": bandits.thompson_regret_bound}),
    ("ThompsonGaussian", bandits.ThompsonGaussian(), {}),
    # Auer et al.'s schedule with d = 0.25 (the suite's smallest gap): full exploration for
    # c K / d^2 <= 384 rounds, so the regret checks run 4000 rounds
    ("EpsilonGreedy[c=6,d=0.25]", bandits.EpsilonGreedy(c=6.0, d=0.25), {"scale_free": True, "horizon": 4000}),
    # a constant epsilon explores a fixed share of the rounds: linear regret
    ("EpsilonGreedy[0.1]", bandits.EpsilonGreedy(0.1), {"scale_free": True, "sublinear": False}),
    # a fixed m commits to a wrong arm with a fixed probability: linear regret, but within its bound
    (
        "ExploreThenCommit[m=20]",
        bandits.ExploreThenCommit(20),
        {"scale_free": True, "sublinear": False, "regret_bound": _etc_bound(20)},
    ),
    # a fixed gamma explores a fixed share: linear regret, but within Theorem 3.1's bound
    ("EXP3[0.1]", bandits.EXP3(0.1), {"sublinear": False, "regret_bound": _exp3_bound(0.1)}),
    # the forgetting policies never stop exploring stationary arms: linear regret
    ("DiscountedUCB[0.99]", bandits.DiscountedUCB(0.99), {"sublinear": False}),
    ("SlidingWindowUCB[200]", bandits.SlidingWindowUCB(200), {"sublinear": False}),
    # Bayes-optimal for the discounted reward, not designed for regret; indices cost ~1 ms
    # each (memoised), so short runs
    ("GittinsBeta[0.5]", bandits.GittinsBeta(0.5, epsilon=1e-3), {"sublinear": False, "horizon": 40}),
]

#: Classes of bandits.__all__ with the policy protocol that the suite does not run, and why.
NOT_K_ARMED = {
    "OFUL": "a linear-bandit policy: its arms are the rows of the feature matrix fixed at construction, while "
    "the suite draws instances with 1 to 8 arms (tests/bandits/test_linear.py checks its contract)",
    "LinearThompson": "as OFUL",
}


def _shipped_cases() -> list[Any]:
    cases = []
    for pid, policy, declared in SHIPPED:
        for check_name, check in bandit_policy_checks(policy, name=pid, **{**FAST, **declared}):
            cases.append(pytest.param(check, id=f"{pid}-{check_name}"))
    return cases


@pytest.mark.parametrize("check", _shipped_cases())
def test_shipped_policy_honours_the_contract(check):
    check()


def test_every_shipped_k_armed_policy_is_covered():
    """Every class in bandits.__all__ with reset/select/update is in SHIPPED or excluded with a reason."""
    protocol = [
        name
        for name in bandits.__all__
        if inspect.isclass(obj := getattr(bandits, name))
        and name != "BanditPolicy"
        and all(callable(getattr(obj, m, None)) for m in ("reset", "select", "update"))
    ]
    covered = {type(p).__name__ for _, p, _ in SHIPPED}
    missing = [n for n in protocol if n not in covered and n not in NOT_K_ARMED]
    assert not missing, f"shipped policies not run through the contract suite: {missing}"
    assert {"UCB1", "UCBV", "KLUCB", "MOSS", "ThompsonBeta", "ThompsonGaussian", "EpsilonGreedy"} <= covered
    assert {"ExploreThenCommit", "EXP3", "DiscountedUCB", "SlidingWindowUCB", "GittinsBeta"} <= covered


def test_each_policy_gets_the_checks_it_declares():
    everything = [n for n, _ in bandit_policy_checks(bandits.UCB1(), scale_free=True, regret_bound=len)]
    assert everything == [
        "check_valid_arms",
        "check_same_seed_same_pulls",
        "check_arm_relabelling",
        "check_scale_free",
        "check_sublinear_regret",
        "check_regret_bound",
        "check_compiled_twin",
    ]
    names = {pid: [n for n, _ in bandit_policy_checks(p, **d)] for pid, p, d in SHIPPED}
    assert names["UCB1"] == [n for n in everything if n != "check_scale_free"]
    assert names["GittinsBeta[0.5]"] == ["check_valid_arms", "check_same_seed_same_pulls", "check_arm_relabelling"]
    assert "check_scale_free" in names["ExploreThenCommit[m=20]"]
    assert "check_sublinear_regret" not in names["EXP3[0.1]"]
    with pytest.raises(ValueError, match=r"^policy: check_regret_bound does not apply to 'UCBV\(.*no regret_bound"):
        check_regret_bound(bandits.UCBV())
    with pytest.raises(ValueError, match=r"^policy: check_compiled_twin does not apply to 'GittinsBeta"):
        check_compiled_twin(bandits.GittinsBeta(0.5))
    with pytest.raises(ValueError, match=r"^policy: check_sublinear_regret does not apply"):
        check_sublinear_regret(bandits.EXP3(0.1), sublinear=False)
    with pytest.raises(ValueError, match=r"^policy: check_scale_free does not apply"):
        check_scale_free(bandits.UCB1())


# ----------------------------------------------------------------------------- broken policies
class _Stats:
    """Pull counts and reward sums, the state of the broken index policies below."""

    def reset(self, n_arms: int, horizon: int) -> None:
        self.n = np.zeros(n_arms)
        self.s = np.zeros(n_arms)

    def update(self, arm: int, reward: float, rng: np.random.Generator) -> None:
        self.n[arm] += 1.0
        self.s[arm] += reward

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class OffByOne(_Stats):
    """UCB1 whose initial round-robin counts rounds from 1: round ``t <= K`` pulls arm ``t``, so arm ``K`` at round ``K``."""

    def select(self, t: int, rng: np.random.Generator) -> int:
        K = self.n.size
        if t <= K:
            return t
        return int(np.argmax(self.s / np.maximum(self.n, 1) + np.sqrt(2.0 * math.log(t - 1) / np.maximum(self.n, 1))))


class GlobalRandomThompson(_Stats):
    """Beta-Bernoulli Thompson sampling drawing from NumPy's global generator instead of ``rng``."""

    def select(self, t: int, rng: np.random.Generator) -> int:
        wins = np.clip(self.s, 0.0, self.n)
        return int(np.argmax(np.random.beta(1.0 + wins, 1.0 + self.n - wins)))


class LowIndexBias(_Stats):
    """UCB1 with a 'stabilising' preference for low arm indices: index minus ``0.05 * arm``."""

    def select(self, t: int, rng: np.random.Generator) -> int:
        K = self.n.size
        if t <= K:
            return t - 1
        bonus = np.sqrt(2.0 * math.log(t - 1) / self.n)
        return int(np.argmax(self.s / self.n + bonus - 0.05 * np.arange(K)))


class IgnoresRewards(_Stats):
    """Pulls the arm with the fewest pulls (fair sharing): never looks at a reward."""

    def select(self, t: int, rng: np.random.Generator) -> int:
        return int(np.argmin(self.n))


class MismatchedTwin(bandits.UCB1):
    """UCB1's compiled twin (its ``kernel_spec``), but a Python ``select`` whose bonus lost the factor 2."""

    def select(self, t: int, rng: np.random.Generator) -> int:
        K = self.counts.size
        if t <= K:
            return t - 1
        return int(np.argmax(self.sums / self.counts + np.sqrt(math.log(t - 1) / self.counts)))

    def __repr__(self) -> str:
        return "MismatchedTwin()"


class OverExploringUCB(_Stats):
    """UCB1 with 100 times its exploration (``sqrt(200 ln n / n_k)``), still claiming UCB1's bound."""

    def select(self, t: int, rng: np.random.Generator) -> int:
        K = self.n.size
        if t <= K:
            return t - 1
        return int(np.argmax(self.s / self.n + np.sqrt(200.0 * math.log(t - 1) / self.n)))


class ClippedGreedy(_Stats):
    """Explore-then-commit (2 pulls each) that clips rewards to [0, 1] 'for safety': no longer scale-free."""

    def select(self, t: int, rng: np.random.Generator) -> int:
        K = self.n.size
        if t <= 2 * K:
            return (t - 1) % K
        return int(np.argmax(self.s / self.n))

    def update(self, arm: int, reward: float, rng: np.random.Generator) -> None:
        super().update(arm, min(max(reward, 0.0), 1.0), rng)


BROKEN = [
    # (policy, what it declares, the check it must fail, a piece of the message)
    (OffByOne(), {}, check_valid_arms, ", expected an arm in [0, "),
    (GlobalRandomThompson(), {}, check_same_seed_same_pulls, "two calls with the same rng pulled different arms"),
    (LowIndexBias(), {}, check_arm_relabelling, "sign test over 24 seeds: "),
    (IgnoresRewards(), {}, check_sublinear_regret, "the mean regret grows with log-log slope "),
    (MismatchedTwin(), {}, check_compiled_twin, "the compiled and Python backends pulled different arms"),
    (
        OverExploringUCB(),
        {"regret_bound": bandits.ucb1_regret_bound},
        check_regret_bound,
        "runs have pseudo-regret above 2 x the declared bound",
    ),
    (ClippedGreedy(), {"scale_free": True}, check_scale_free, "rescaling the rewards by 16 changed the pulls"),
]


@pytest.mark.parametrize(
    ("policy", "declared", "check", "message"),
    BROKEN,
    ids=[f"{type(p).__name__}-{c.__name__}" for p, _, c, _ in BROKEN],
)
def test_broken_policy_fails_its_check(policy, declared, check, message):
    name = type(policy).__name__
    with pytest.raises(AssertionError) as info:
        check(policy, name=name, **FAST, **declared)
    text = str(info.value)
    # the message names the check, the policy, the instance and the call
    assert text.startswith(f"{check.__name__}: bandit policy {name!r} on ")
    assert message in text
    if check is check_arm_relabelling:
        assert "per-arm reward streams" in text and "relabelled by perm = [" in text
    else:  # the instance pastes back as an environment
        assert " on BernoulliBandit(means=[" in text or " on GaussianBandit(means=[" in text
        assert ", called with {'horizon': " in text and "'rng': " in text


def test_the_whole_suite_stops_at_the_first_breach():
    with pytest.raises(AssertionError, match=r"^check_valid_arms: bandit policy 'OffByOne\(\)' on "):
        check_bandit_policy(OffByOne(), **FAST)


def test_broken_policies_pass_the_checks_they_do_not_break():
    """Each defect is caught where it belongs: the broken policies are otherwise valid and reproducible."""
    for policy in (LowIndexBias(), IgnoresRewards(), OverExploringUCB(), ClippedGreedy()):
        check_valid_arms(policy, max_examples=3)
        check_same_seed_same_pulls(policy, max_examples=3)
    check_compiled_twin(bandits.UCB1(), max_examples=3)  # the twin of MismatchedTwin's parent agrees


def test_a_failing_relabelling_names_the_counts():
    with pytest.raises(AssertionError) as info:
        check_arm_relabelling(LowIndexBias(), **FAST)
    text = str(info.value)
    assert "times on average" in text
    assert "24 more, 0 fewer" in text or "0 more, 24 fewer" in text  # a deterministic policy: every seed agrees


# ----------------------------------------------------------------------------- the statistics
def test_markov_count_threshold_matches_the_binomial_tail():
    def tail(n: int, k: int) -> float:  # P(Binomial(n, 1/2) >= k), exactly
        return sum(math.comb(n, j) for j in range(k, n + 1)) / 2**n

    for n in (24, 40, 100):
        k = markov_count_threshold(n)
        assert tail(n, k) <= 1e-6 < tail(n, k - 1)
    assert markov_count_threshold(40) == 35  # the number in check_regret_bound's docstring


def test_sign_test_matches_scipy():
    rng = np.random.default_rng(0)
    for _ in range(20):
        d = rng.integers(-3, 4, size=30)
        p, pos, neg = sign_test_pvalue(d)
        assert (pos, neg) == (int(np.sum(d > 0)), int(np.sum(d < 0)))
        assert p == pytest.approx(stats.binomtest(pos, pos + neg, 0.5).pvalue, rel=1e-9)
    assert sign_test_pvalue(np.zeros(5)) == (1.0, 0, 0)
    # a deterministic policy with one relabelled count off, at the fewest seeds allowed
    p, _, _ = sign_test_pvalue(np.ones(24))
    assert p < 1e-6 / 8


# ----------------------------------------------------------------------------- the suite's own API
def test_options_are_validated():
    with pytest.raises(TypeError, match=r"^policy: "):
        check_bandit_policy("UCB1")
    with pytest.raises(TypeError, match=r"^max_examples: "):
        check_bandit_policy(bandits.UCB1(), max_examples=2.5)
    with pytest.raises(ValueError, match=r"^n_seeds: "):
        check_bandit_policy(bandits.UCB1(), n_seeds=10)
    with pytest.raises(ValueError, match=r"^horizon: "):
        check_valid_arms(bandits.UCB1(), horizon=4)
    with pytest.raises(ValueError, match=r"^max_slope: "):
        check_bandit_policy(bandits.UCB1(), max_slope=1.0)
    with pytest.raises(TypeError, match=r"^regret_bound: "):
        bandit_policy_checks(bandits.UCB1(), regret_bound=3.0)
    with pytest.raises(TypeError, match=r"^name: "):
        check_valid_arms(bandits.UCB1(), name=3)
    with pytest.raises(ValueError, match=r"^scale_free: the scale-free check rescales Gaussian rewards"):
        bandit_policy_checks(bandits.ThompsonBeta(), scale_free=True)  # its reward_range is [0, 1]
    (_, check), *_ = bandit_policy_checks(bandits.UCB1())
    assert check.__name__ == "UCB1()"


def test_bounded_policies_get_bernoulli_instances_only():
    """ThompsonBeta declares reward_range (0, 1): a Gaussian instance would be refused by simulate."""
    check_valid_arms(bandits.ThompsonBeta(), max_examples=10)
    with pytest.raises(AssertionError, match=r"GaussianBandit"):
        check_valid_arms(bandits.ThompsonBeta(), gaussian=True, max_examples=10)


def test_import_bandits_does_not_import_the_suite():
    code = textwrap.dedent(
        """
        import sys
        import bandits
        print(sorted(m for m in ("bandits.testing", "hypothesis", "rlcore.testing") if m in sys.modules))
        """
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
