"""
Property-test your own algorithm
================================

Every algorithm in the library is held to a *contract*: a list of properties that
follow from its theory (a policy's pulls do not depend on the arms' labels, a
pessimistic learner does no worse than cloning an expert, an American option is worth
at least its exercise value). The contracts are public, as suites you can run on your
own code, in the spirit of scikit-learn's ``check_estimator``:

* :func:`bandits.testing.check_bandit_policy`: bandit policies (``reset``, ``select``,
  ``update``);
* :func:`offline.testing.check_offline_learner`: offline learners (a dataset in, a policy
  out);
* :func:`finance_apps.testing.check_option_pricer`: option pricers (a contract in, a
  price out);
* :func:`tabular.testing.check_mdp_solver`: planners (an MDP in, values and a policy
  out);
* :func:`rlcore.testing.check_simulator` and :func:`rlcore.testing.check_regressor`:
  simulators and regressors.

Hypothesis draws the instances (small bandits, MDPs and datasets, option contracts),
derandomised and with fixed seeds, so rerunning a script checks the same instances. A
breach is an ``AssertionError`` whose message starts with the check's name and prints
the instance as code you can paste back.

This tutorial writes three small algorithms, each with a planted bug of the kind that
slips through a handful of hand-written tests, and for each: runs the suite, reads the
failure, pastes the instance back to see the bug by hand, fixes it, and runs the suite
again.

1. a UCB bandit policy that draws from NumPy's *global* generator;
2. a pessimistic offline learner whose bonus has the wrong sign;
3. an option pricer that prices American options as European ones.

The suites need the light ``hypothesis`` extra (``pip install "rlref[hypothesis]"``).
"""

# %%
# Running a suite
# ---------------
# One helper runs a suite on a subject and prints "passed", or the failure message
# (wrapped, and cut in the middle when long: the start names the check, the subject,
# the instance and the call, the end gives the numbers), which it returns so that the
# instance can be pasted back below. The ``max_examples`` options are small, so the
# whole page runs in seconds.

import ast
import re
import textwrap
import time

import numpy as np

import bandits
import offline
from bandits.testing import check_bandit_policy
from finance_apps import black_scholes
from finance_apps.testing import OptionContract, check_option_pricer, reference_price
from offline import sample_transitions
from offline.testing import check_offline_learner
from rlcore import Dataset, FiniteMDP, rollout

MAX_CHARS = 1200


def run_suite(suite, subject, **options):
    """Run ``suite(subject, **options)``; print and return the failure message (None if it passed)."""
    start = time.perf_counter()
    try:
        suite(subject, **options)
    except AssertionError as failure:
        message = str(failure)
        shown = message
        if len(shown) > MAX_CHARS:
            shown = shown[: MAX_CHARS // 2] + " [...] " + shown[-MAX_CHARS // 2 :]
        print(f"{suite.__name__} FAILED after {time.perf_counter() - start:.1f} s:")
        print(textwrap.fill(shown, width=100, break_long_words=False, break_on_hyphens=False))
        return message
    print(f"{suite.__name__}: passed ({time.perf_counter() - start:.1f} s)")
    return None


# %%
# 1. A bandit policy
# ------------------
# UCB1 (Auer, Cesa-Bianchi and Fischer 2002): pull every arm once, then the arm with
# the largest ``mean + sqrt(2 ln t / n)``. The suite drives any object with
# ``reset(n_arms, horizon)``, ``select(t, rng)`` and ``update(arm, reward, rng)``,
# through :func:`bandits.simulate`. Its bonus assumes rewards in ``[0, 1]``, which the
# class declares with ``reward_range`` (the suite then draws Bernoulli arms only).
#
# The planted bug: the first round visits the arms in a random order, drawn from NumPy's
# global generator instead of the ``rng`` the engine passes in. Nothing looks wrong in a
# single run, and the regret is that of UCB1.


class MyUCB:
    reward_range = (0.0, 1.0)

    def reset(self, n_arms, horizon):
        self.counts = np.zeros(n_arms)
        self.sums = np.zeros(n_arms)

    def first_pull(self, unplayed, rng):
        return int(np.random.choice(unplayed))  # planted bug: NumPy's global generator

    def select(self, t, rng):
        unplayed = np.flatnonzero(self.counts == 0)
        if unplayed.size:
            return self.first_pull(unplayed, rng)
        index = self.sums / self.counts + np.sqrt(2.0 * np.log(t) / self.counts)
        return int(np.argmax(index))

    def update(self, arm, reward, rng):
        self.counts[arm] += 1
        self.sums[arm] += reward


# %%
# The suite checks valid arms, reproducibility from the seed, equivariance under a
# relabelling of the arms and sublinear regret; a policy that declares a bound on its
# expected regret (``regret_bound=``, here UCB1's own, :func:`bandits.ucb1_regret_bound`)
# is held to it too.

BANDIT_OPTIONS = dict(max_examples=5, n_seeds=24, horizon=400, regret_bound=bandits.ucb1_regret_bound)
message = run_suite(check_bandit_policy, MyUCB(), **BANDIT_OPTIONS)

# %%
# Reading the failure: ``check_same_seed_same_pulls`` called :func:`bandits.simulate`
# twice with the same ``rng`` (and once with another seed in between), and the pulls
# differ. The message names the environment as the code that rebuilds it and the call's
# keyword arguments as a dict: pasted back (here cut out of the message), they give the
# same disagreement by hand.

env_code, call_code = re.search(r" on (\w+\(.*?\)), called with (\{.*?\}):", message).groups()
env = eval(env_code, {"BernoulliBandit": bandits.BernoulliBandit, "GaussianBandit": bandits.GaussianBandit})
call = ast.literal_eval(call_code)
print(f"env = {env!r}\ncall = {call!r}")
first = bandits.simulate(env, MyUCB(), **call)
again = bandits.simulate(env, MyUCB(), **call)
print("first pulls of run 0:      ", first.actions[0, : env.n_arms + 1].tolist())
print("first pulls of run 0 again:", again.actions[0, : env.n_arms + 1].tolist())

# %%
# The first round is meant to visit the arms in a random order, and it does; but the
# order comes from NumPy's global state, which no seed passed to
# :func:`bandits.simulate` controls, instead of the seeded ``rng`` the engine hands the
# policy. The fix: draw from that generator.


class MyUCBFixed(MyUCB):
    def first_pull(self, unplayed, rng):
        return int(rng.choice(unplayed))


first = bandits.simulate(env, MyUCBFixed(), **call)
again = bandits.simulate(env, MyUCBFixed(), **call)
print("same pulls from the same seed:", np.array_equal(first.actions, again.actions))
run_suite(check_bandit_policy, MyUCBFixed(), **BANDIT_OPTIONS)

# %%
# 2. An offline learner
# ---------------------
# Value iteration on the empirical MDP of a dataset with a penalty: a Hoeffding-style
# width ``c V_max / sqrt(N(s, a))`` (the log factor folded into ``c``) for each logged
# pair, and the whole range ``V_max = 1 / (1 - gamma)`` for a pair never logged, with
# values clipped to ``[0, V_max]``. Subtracted, it is the lower confidence bound of
# pessimistic offline RL (:doc:`Pessimism in offline RL </auto_tutorials/plot_07_pessimism>`); the
# planted bug adds it, the upper confidence bound of *online* exploration, a one-character
# slip.
#
# The suite calls ``learner(data, n_states, n_actions, gamma=...)`` on an
# :class:`rlcore.Dataset` and reads the policy from the result (an array of actions
# here).


def empirical_model(data, n_states, n_actions):
    """Counts ``N(s, a)``, mean rewards and transition frequencies of a dataset."""
    s, a = data.observations, data.actions
    counts = np.zeros((n_states, n_actions))
    np.add.at(counts, (s, a), 1.0)
    reward_sums = np.zeros((n_states, n_actions))
    np.add.at(reward_sums, (s, a), data.rewards)
    transitions = np.zeros((n_states, n_actions, n_states))
    np.add.at(transitions, (s, a, data.next_observations), 1.0)
    n = np.maximum(counts, 1.0)
    return counts, reward_sums / n, transitions / n[:, :, None]


def my_lcb(data, n_states, n_actions, *, gamma, c=0.5):
    counts, r_hat, p_hat = empirical_model(data, n_states, n_actions)
    v_max = 1.0 / (1.0 - gamma)
    width = np.where(counts > 0, c * v_max / np.sqrt(np.maximum(counts, 1.0)), v_max)
    V = np.zeros(n_states)
    while True:
        Q = np.clip(r_hat + width + gamma * p_hat @ V, 0.0, v_max)  # planted bug: + width
        V, V_old = Q.max(axis=1), V
        if np.max(np.abs(V - V_old)) <= 1e-12 * v_max:
            return Q.argmax(axis=1)


# %%
# The suite checks a valid policy from any dataset, determinism, invariance to the
# order of the episodes, equivariance under a renaming of states and actions,
# near-optimality when every pair is well covered, and no loss against behaviour
# cloning on expert data.

LEARNER_OPTIONS = dict(max_examples=20)
message = run_suite(check_offline_learner, my_lcb, **LEARNER_OPTIONS)

# %%
# Reading the failure: ``check_expert_data_no_worse_than_cloning`` gave the learner data
# from an optimal policy only, and its policy is worth less than cloning the expert
# (:func:`offline.behavior_cloning`). Hypothesis shrank the instance to a small one; the
# message prints the MDP and the data as code (to run after the imports above), and the
# call's keyword arguments. Pasted back, the counts show where the learner goes wrong:

instance_code, call_code = re.search(r" on (mdp = .*?), called with (\{.*?\}):", message).groups()
print(instance_code)
namespace = {"np": np, "Dataset": Dataset, "FiniteMDP": FiniteMDP, "rollout": rollout}
namespace["sample_transitions"] = sample_transitions
exec(instance_code, namespace)
mdp, data, call = namespace["mdp"], namespace["data"], ast.literal_eval(call_code)
S, A = mdp.n_states, mdp.n_actions
counts, _, _ = empirical_model(data, S, A)
policy = my_lcb(data, S, A, **call)
cloned = offline.behavior_cloning(data, S, A)
for s in range(S):
    print(
        f"state {s}: {int(counts[s].sum()):4d} samples; expert (cloned) action {cloned[s]}, "
        f"my_lcb's action {policy[s]}, logged {int(counts[s, policy[s]])} times"
    )

# %%
# Wherever the expert went and the two policies disagree, ``my_lcb`` picked an action
# the data never show. A never-logged pair gets the whole range ``V_max`` as its bonus,
# so its value reaches the clip at ``V_max``, the largest any action can have: the
# optimistic learner prefers what it knows nothing about. That is the right instinct
# online, where trying an action teaches something, and exactly the failure pessimism
# exists to prevent offline. The fix is the sign:


def my_lcb_fixed(data, n_states, n_actions, *, gamma, c=0.5):
    counts, r_hat, p_hat = empirical_model(data, n_states, n_actions)
    v_max = 1.0 / (1.0 - gamma)
    width = np.where(counts > 0, c * v_max / np.sqrt(np.maximum(counts, 1.0)), v_max)
    V = np.zeros(n_states)
    while True:
        Q = np.clip(r_hat - width + gamma * p_hat @ V, 0.0, v_max)
        V, V_old = Q.max(axis=1), V
        if np.max(np.abs(V - V_old)) <= 1e-12 * v_max:
            return Q.argmax(axis=1)


print("my_lcb_fixed's actions:", my_lcb_fixed(data, S, A, **call).tolist(), " cloned:", cloned.tolist())
run_suite(check_offline_learner, my_lcb_fixed, **LEARNER_OPTIONS)

# %%
# 3. An option pricer
# -------------------
# A pricer is any callable taking an
# :class:`~finance_apps.testing.OptionContract` (call or put, European or American
# exercise, spot, strike, maturity, rate, volatility, dividend yield) and returning its
# price under Black-Scholes dynamics. Ours prices European options with the
# Black-Scholes formula (:func:`finance_apps.black_scholes`). The planted bug: it does
# the same for American ones, as if early exercise were never worth anything.


def my_pricer(contract):
    c = contract
    return float(black_scholes(c.kind, c.spot, c.strike, c.maturity, c.rate, c.vol, c.dividend))  # planted bug


# %%
# The suite checks no-arbitrage bounds, monotonicity in the strike, the volatility and
# the maturity, put-call parity, and agreement with Black-Scholes and with a fine
# lattice. A pricer states its accuracy: the fix below is a 1000-step lattice, whose
# error is of order ``1/n``, so both versions declare ``rtol=2e-3`` (the error allowed
# per price is ``atol + rtol max(spot, strike)``).

PRICER_OPTIONS = dict(rtol=2e-3, max_examples=8)
message = run_suite(check_option_pricer, my_pricer, **PRICER_OPTIONS)

# %%
# Reading the failure: the message prints each contract as the
# :class:`~finance_apps.testing.OptionContract` call that rebuilds it, with the numbers
# it was compared with (the reference of the lattice checks is
# :func:`finance_apps.testing.reference_price`, a fine lattice with its own error
# estimate). The American contract of the message, pasted back:

contract_code = re.search(r"OptionContract\([^)]*exercise='american'[^)]*\)", message).group(0)
contract = eval(contract_code, {"OptionContract": OptionContract})
reference = reference_price(contract)
sign = 1.0 if contract.kind == "call" else -1.0
print(contract)
print(
    f"my price {my_pricer(contract):.4f}; exercising today pays {max(sign * (contract.spot - contract.strike), 0.0):.4f}"
)
print(f"reference {reference.price:.4f} ({reference.method}, error {reference.error:.1e})")

# %%
# The European formula prices the option as if it could only be exercised at maturity,
# and the right to exercise earlier has a value of its own: for a put deep in the money
# (the strike received now earns interest) and for a call on an asset that pays
# dividends (holding the option forgoes them). The European price can even fall below
# what exercising today pays, which no American price can. The fix prices American
# options by backward induction on a Cox-Ross-Rubinstein tree, taking the larger of the
# exercise value and the discounted continuation value at every node.


def crr_american(c, n_steps=1000):
    dt = c.maturity / n_steps
    up = np.exp(c.vol * np.sqrt(dt))
    p_up = (np.exp((c.rate - c.dividend) * dt) - 1.0 / up) / (up - 1.0 / up)
    discount = np.exp(-c.rate * dt)
    sign = 1.0 if c.kind == "call" else -1.0

    def exercise(step):  # the exercise value at the step's nodes, lowest spot first
        return np.maximum(sign * (c.spot * up ** (2.0 * np.arange(step + 1) - step) - c.strike), 0.0)

    value = exercise(n_steps)
    for step in range(n_steps - 1, -1, -1):
        value = np.maximum(discount * (p_up * value[1:] + (1.0 - p_up) * value[:-1]), exercise(step))
    return float(value[0])


def my_pricer_fixed(contract):
    if contract.exercise == "american":
        return crr_american(contract)
    return my_pricer(contract)


print(f"fixed price {my_pricer_fixed(contract):.4f}")
run_suite(check_option_pricer, my_pricer_fixed, **PRICER_OPTIONS)

# %%
# 4. In your test-suite
# ---------------------
# Each suite also yields its checks one by one, for ``pytest.mark.parametrize``: every
# check becomes its own test, and a failure names it. For the three algorithms above
# (``bandit_policy_checks``, ``learner_checks``, ``pricer_checks`` take the options of
# the suites):
#
# .. code-block:: python
#
#     import pytest
#     import bandits
#     from bandits.testing import bandit_policy_checks
#     from finance_apps.testing import pricer_checks
#     from offline.testing import learner_checks
#
#     @pytest.mark.parametrize(
#         "check_name, check",
#         bandit_policy_checks(MyUCBFixed(), regret_bound=bandits.ucb1_regret_bound),
#     )
#     def test_my_ucb(check_name, check):
#         check()
#
#     @pytest.mark.parametrize("check_name, check", learner_checks(my_lcb_fixed))
#     def test_my_lcb(check_name, check):
#         check()
#
#     @pytest.mark.parametrize("check_name, check", pricer_checks(my_pricer_fixed, rtol=2e-3))
#     def test_my_pricer(check_name, check):
#         check()
#
# The same pattern covers planners (:func:`tabular.testing.check_mdp_solver`, checked
# against brute-force enumeration of the deterministic policies), simulators
# (:func:`rlcore.testing.check_simulator`) and regressors
# (:func:`rlcore.testing.check_regressor`). Raise ``max_examples`` to search more
# instances. Rerunning a test checks the same instances; another program may draw others
# (Hypothesis also tries constants it finds in the local modules loaded, e.g. your own),
# which is one more reason why every message carries its instance as code.
