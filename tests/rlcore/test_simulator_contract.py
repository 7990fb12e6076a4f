"""The simulator contract suite of :mod:`rlcore.testing.simulator_checks`, run over every simulator the library ships.

Two halves, as ``tests/tabular/test_contract.py`` for planners:

* every shipped simulator (``FiniteMDP`` on fixed and Hypothesis-drawn MDPs, the bandit
  environments, the cascading and restless models, ``HedgingEnv``, ``StoppingEnv`` and
  the path models) passes every check that applies to it, one pytest test per
  (simulator, check); the tabular ones are also checked against the ``FiniteMDP`` they
  claim (``CascadingMDP.to_finite_mdp``, ``joint_mdp``, ``coupled_joint_mdp``);
* deliberately broken simulators, one per kind of defect, fail the check written for
  that defect, with the message naming the check, the simulator and the numbers.

The references are independent of the simulators: the exact ``P``, ``R`` and
``initial`` of the claimed ``FiniteMDP`` (binomial tests), and the simulator itself
called on batches of one (two-sample tests).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bandits
import finance_apps
from rlcore import FiniteMDP
from rlcore.generators import forest, gridworld, random_mdp, river_swim
from rlcore.testing import constructor_call, finite_mdps
from rlcore.testing.contract import derandomized
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

FAST = {"max_examples": 3, "n_samples": 300}


# ----------------------------------------------------------------------------- shipped simulators
def _cascade_lists(n_items: int, k: int) -> Any:
    def draw(states: Any, rng: np.random.Generator) -> np.ndarray:
        return np.argsort(rng.random((len(states), n_items)), axis=1)[:, :k]

    return draw


def _binary(states: Any, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(2, size=len(states))


def _holdings(states: Any, rng: np.random.Generator) -> np.ndarray:
    d = (np.asarray(states).shape[1] - 2) // 2
    return rng.normal(size=(len(states), d))


def _cascading_mdp() -> tuple[Any, dict[str, Any]]:
    q = np.array([[0.5, 0.2, 0.7], [0.1, 0.9, 0.3]])
    P = np.full((2, 4, 2), 0.5)
    P[0, 1] = [0.9, 0.1]
    P[1, 3] = [0.2, 0.8]
    r = np.array([[1.0, 0.5, 0.2], [0.3, 1.0, 0.6]])
    sim = bandits.CascadingMDP(q, P, r, list_length=2, horizon=3, initial=[0.3, 0.7])
    mdp, lists = sim.to_finite_mdp()
    return sim, {"mdp": mdp, "mdp_actions": lists, "reward_range": [0.0, 1.0]}


def _restless() -> tuple[Any, dict[str, Any]]:
    arm = bandits.RestlessArm.two_state([0.1, 0.7], [0.5, 0.9])
    prob = bandits.RestlessProblem(arm, budget=1, n_arms=2, gamma=0.9, initial=[0.4, 0.6])
    mdp, states, acts = bandits.joint_mdp(prob)
    return prob, {"mdp": mdp, "mdp_states": states, "mdp_actions": acts}


def _coupled() -> tuple[Any, dict[str, Any]]:
    c = bandits.multiple_interventions(2, [1.0], 1.0)
    prob = bandits.CoupledRestlessProblem([[0.2, 0.6]] * 2, [[0.5, 0.5]] * 2, c, gamma=0.9, weights=[1.0, 2.0])
    mdp, states, acts = bandits.coupled_joint_mdp(prob)
    return prob, {"mdp": mdp, "mdp_states": states, "mdp_actions": acts, "reward_range": [0.0, 3.0]}


def _stopping() -> Any:
    prob = finance_apps.StoppingProblem.bermudan(finance_apps.Put(100.0), [0.25, 0.5, 0.75, 1.0], 0.05)
    return finance_apps.StoppingEnv(prob, finance_apps.GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid()))


def _hedging() -> Any:
    S = finance_apps.GeometricBrownianMotion(100.0, 0.2, 0.0, finance_apps.time_grid(1.0, 3)).simulate(8, rng=0)
    return finance_apps.HedgingEnv(S, np.maximum(S[:, -1, 0] - 100.0, 0.0), cost=0.01)


def _terminal_mdp() -> FiniteMDP:
    """Three states, the last one absorbing and terminal; a random initial distribution."""
    P = np.array([[[0.2, 0.5, 0.3], [0.0, 0.0, 1.0]], [[0.6, 0.4, 0.0], [0.1, 0.1, 0.8]], [[0, 0, 1.0], [0, 0, 1.0]]])
    R = np.array([[1.0, -0.5], [0.25, 2.0], [0.0, 0.0]])
    return FiniteMDP(P, R, gamma=0.9, initial=[0.5, 0.5, 0.0], terminal=[False, False, True])


def _shipped() -> list[tuple[str, Any, dict[str, Any]]]:
    grid = finance_apps.time_grid(1.0, 3)
    out: list[tuple[str, Any, dict[str, Any]]] = []
    for label, mdp in (
        ("FiniteMDP[river_swim]", river_swim(4, gamma=0.9)),
        ("FiniteMDP[forest,horizon]", forest(3, horizon=3)),
        (
            "FiniteMDP[random,time-dependent,sparse]",
            random_mdp(3, 2, horizon=3, time_dependent=True, sparse=True, rng=1),
        ),
        ("FiniteMDP[terminal]", _terminal_mdp()),
        ("FiniteMDP[gridworld]", gridworld(2, 3, gamma=0.9)),
    ):
        out.append((label, mdp, {"mdp": mdp}))
    out += [
        ("BernoulliBandit", bandits.BernoulliBandit([0.2, 0.7]), {}),
        ("GaussianBandit", bandits.GaussianBandit([0.0, 1.0], [1.0, 0.5]), {}),
        ("BetaBandit", bandits.BetaBandit([1.0, 3.0], [2.0, 1.0]), {}),
        ("PiecewiseStationaryBandit", bandits.PiecewiseStationaryBandit([[0.9, 0.1], [0.1, 0.9]], [2]), {}),
        ("AdversarialBandit", bandits.AdversarialBandit([[1.0, 0.0], [0.3, 0.6], [0.0, 1.0]] * 2), {}),
        ("LinearBandit", bandits.LinearBandit([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6]], [0.5, -0.2], 0.3), {}),
        ("CascadeBandit", bandits.CascadeBandit([0.1, 0.5, 0.3, 0.8], 2), {"actions": _cascade_lists(4, 2)}),
        ("CascadingMDP", *_cascading_mdp()),
        ("RestlessProblem", *_restless()),
        ("CoupledRestlessProblem", *_coupled()),
        ("HedgingEnv", _hedging(), {"actions": _holdings}),
        ("StoppingEnv", _stopping(), {"actions": _binary}),
        ("GeometricBrownianMotion", finance_apps.GeometricBrownianMotion([100.0, 90.0], [0.2, 0.3], 0.05, grid), {}),
        ("Heston", finance_apps.Heston(100.0, 0.04, 1.5, 0.04, 0.3, -0.7, 0.03, grid), {}),
        ("AutoregressiveGARCH", finance_apps.AutoregressiveGARCH(100.0, 0.0, 0.5, 1e-4, 0.1, 0.8, grid), {}),
    ]
    return out


SHIPPED = _shipped()

#: (simulator, check) pairs that fail: real findings, reported, not hidden.
#: (``CascadingMDP`` failed ``check_simulator_termination`` until its ``step`` reported
#: ``terminated`` at ``t == H - 1``, as the protocol says; fixed.)
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _cases() -> list[Any]:
    cases = []
    for label, sim, opts in SHIPPED:
        for check_name, check in simulator_checks(sim, name=label, **{**FAST, **opts}):
            reason = KNOWN_FAILURES.get((label, check_name))
            marks = [pytest.mark.xfail(strict=True, reason=reason, raises=AssertionError)] if reason else []
            cases.append(pytest.param(check, id=f"{label}-{check_name}", marks=marks))
    return cases


@pytest.mark.parametrize("check", _cases())
def test_shipped_simulator_honours_the_contract(check):
    check()


#: Simulators that hold their episodes (the suite steps arbitrary states, which they cannot):
#: each with where its contract is checked instead.
STATEFUL: dict[str, str] = {
    "GymnasiumSimulator": (
        "a Gymnasium env keeps its state inside; tests/rlcore/test_gym_simulator.py checks that a "
        "FiniteMDP's round trip through it gives the FiniteMDP's own trajectories bit for bit (and the "
        "FiniteMDP passes this suite), plus truncation, seeding and the autoreset stream"
    ),
}


def test_every_shipped_simulator_class_is_covered():
    """The architecture test's list of simulator classes (``reset``/``step`` in an ``__all__``) is covered."""
    from tests.test_architecture import SIMULATORS

    covered = {type(sim) for _, sim, _ in SHIPPED}
    missing = [
        c.__name__
        for c in SIMULATORS
        if c not in covered and c is not bandits.BanditEnvironment and c.__name__ not in STATEFUL
    ]
    assert not missing, missing


def test_checks_that_apply():
    everything = [n for n, _ in simulator_checks(_terminal_mdp(), mdp=_terminal_mdp())]
    assert everything == [
        "check_simulator_interface",
        "check_simulator_does_not_mutate_inputs",
        "check_simulator_deterministic",
        "check_simulator_batch_consistency",
        "check_simulator_matches_mdp",
    ]
    assert "check_simulator_termination" in [n for n, _ in simulator_checks(forest(3, horizon=2))]
    with pytest.raises(ValueError, match=r"^sim: check_simulator_matches_mdp does not apply"):
        check_simulator_matches_mdp(bandits.BernoulliBandit([0.5]))
    with pytest.raises(ValueError, match=r"^sim: check_simulator_termination does not apply"):
        check_simulator_termination(river_swim(3, gamma=0.9))


@settings(derandomized(4), suppress_health_check=[HealthCheck.nested_given, HealthCheck.too_slow])
@given(
    finite_mdps(
        n_states=st.integers(1, 3),
        n_actions=st.integers(1, 2),
        horizon=st.integers(1, 3),
        with_terminal=None,
    )
)
def test_finite_mdp_honours_the_contract_on_drawn_mdps(mdp):
    """Every kind of FiniteMDP the public strategy draws (dense, sparse, discounted, finite-horizon,
    time-dependent, with terminal states) samples itself."""
    check_simulator(mdp, mdp=mdp, max_examples=2, n_samples=200)


# ----------------------------------------------------------------------------- broken simulators
class _Wrapped:
    """A simulator over a FiniteMDP, written the way a user might; subclasses break one rule."""

    def __init__(self, mdp: FiniteMDP) -> None:
        self.mdp = mdp
        self.horizon = mdp.horizon
        self.n_actions = mdp.n_actions

    def reset(self, n: int, rng: Any = None) -> np.ndarray:
        return self.mdp.reset(n, rng)

    def step(self, states: Any, actions: Any, rng: Any = None, *, t: int | None = None) -> Any:
        return self.mdp.step(states, actions, rng, t=t)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({constructor_call(self.mdp)})"


class Float32Rewards(_Wrapped):
    """Rewards as float32."""

    def step(self, states, actions, rng=None, *, t=None):
        nxt, rew, term = self.mdp.step(states, actions, rng, t=t)
        return nxt, rew.astype(np.float32), term


class GlobalRandomness(_Wrapped):
    """Draws next states from the global NumPy generator, ignoring ``rng``."""

    def step(self, states, actions, rng=None, *, t=None):
        return self.mdp.step(states, actions, np.random.randint(2**31), t=t)


class SharedNoise(_Wrapped):
    """One seed for the whole batch: every episode of a batch makes the same transition."""

    def step(self, states, actions, rng=None, *, t=None):
        seed = int(np.random.default_rng(rng).integers(2**31))
        s = np.asarray(states)
        out = [self.mdp.step(s[i : i + 1], np.asarray(actions)[i : i + 1], seed, t=t) for i in range(len(s))]
        return tuple(np.concatenate([o[k] for o in out]) for k in range(3))


class MutatesStates(_Wrapped):
    """Writes the next states into the caller's ``states`` array and returns it."""

    def step(self, states, actions, rng=None, *, t=None):
        nxt, rew, term = self.mdp.step(states, actions, rng, t=t)
        states[:] = nxt
        return states, rew, term


class NeverTerminates(_Wrapped):
    """Drops the ``terminated`` flag: under a finite horizon, episodes never end."""

    def step(self, states, actions, rng=None, *, t=None):
        nxt, rew, term = self.mdp.step(states, actions, rng, t=t)
        return nxt, rew, np.zeros_like(term)


class OffByOneAction(_Wrapped):
    """Takes action ``a + 1 (mod A)`` instead of ``a``."""

    def step(self, states, actions, rng=None, *, t=None):
        return self.mdp.step(states, (np.asarray(actions) + 1) % self.mdp.n_actions, rng, t=t)


class TerminatesOnLeaving(_Wrapped):
    """Reports ``terminated`` when *leaving* a terminal state instead of on entering it."""

    def step(self, states, actions, rng=None, *, t=None):
        nxt, rew, _ = self.mdp.step(states, actions, rng, t=t)
        return nxt, rew, self.mdp.terminal[np.asarray(states)].copy()


class NoisyRewards(_Wrapped):
    """Adds a positive bias to the rewards."""

    def step(self, states, actions, rng=None, *, t=None):
        nxt, rew, term = self.mdp.step(states, actions, rng, t=t)
        return nxt, rew + 0.1, term


BROKEN = [
    # (simulator, the check it must fail, part of the message)
    (Float32Rewards(_terminal_mdp()), check_simulator_interface, "returned rewards of shape (1,) and dtype float32"),
    (GlobalRandomness(_terminal_mdp()), check_simulator_deterministic, "two runs with the same seed "),
    (SharedNoise(_terminal_mdp()), check_simulator_batch_consistency, "differ in law (Kolmogorov-Smirnov D = "),
    (MutatesStates(_terminal_mdp()), check_simulator_does_not_mutate_inputs, "changed its states argument"),
    (NeverTerminates(forest(3, horizon=3)), check_simulator_termination, "were not reported terminated"),
    (OffByOneAction(_terminal_mdp()), check_simulator_matches_mdp, "binomial p = "),
    (TerminatesOnLeaving(_terminal_mdp()), check_simulator_matches_mdp, "but the MDP's terminal["),
    (NoisyRewards(_terminal_mdp()), check_simulator_matches_mdp, "the reward was "),
]


@pytest.mark.parametrize(
    ("sim", "check", "message"), BROKEN, ids=[f"{type(s).__name__}-{c.__name__}" for s, c, _ in BROKEN]
)
def test_broken_simulator_fails_its_check(sim, check, message):
    with pytest.raises(AssertionError) as info:
        check(sim, mdp=sim.mdp, **FAST)
    text = str(info.value)
    assert text.startswith(f"{check.__name__}: simulator {type(sim).__name__!r} on {type(sim).__name__}(FiniteMDP(P=")
    assert ", called with {" in text
    assert message in text, text


@pytest.mark.parametrize(("sim", "check", "message"), BROKEN[:4], ids=[type(s).__name__ for s, _, _ in BROKEN[:4]])
def test_structural_defects_pass_the_other_checks(sim, check, message):
    """Each structural defect is caught by its own check only (the suite tells the defects apart)."""
    for name, other in simulator_checks(sim, mdp=sim.mdp, **FAST):
        if name not in (check.__name__, "check_simulator_matches_mdp"):
            other()


def test_the_failure_can_be_pasted_back():
    """The instance in a failure message rebuilds the MDP (``constructor_call``)."""
    mdp = _terminal_mdp()
    with pytest.raises(AssertionError) as info:
        check_simulator_matches_mdp(OffByOneAction(mdp), mdp=mdp, n_samples=300)
    code = str(info.value).split(" on OffByOneAction(", 1)[1].split("), called with", 1)[0]
    assert code == constructor_call(mdp)
    again = eval(code, {"np": np, "FiniteMDP": FiniteMDP})
    np.testing.assert_array_equal(again.P, mdp.P)


# ----------------------------------------------------------------------------- the suite's own API
def test_options_are_checked():
    mdp = _terminal_mdp()
    with pytest.raises(TypeError, match=r"^sim: "):
        check_simulator(object())
    with pytest.raises(ValueError, match=r"^mdp_states: only with mdp"):
        check_simulator(mdp, mdp_states=[0, 1, 2])
    with pytest.raises(ValueError, match=r"^mdp_actions: expected 2 rows"):
        check_simulator(mdp, mdp=mdp, mdp_actions=[0, 1, 2])
    with pytest.raises(ValueError, match=r"^reward_range: expected low <= high"):
        check_simulator(mdp, mdp=mdp, reward_range=[1.0, 0.0])
    with pytest.raises(TypeError, match=r"^actions: "):
        simulator_checks(mdp, actions=3)
    with pytest.raises(ValueError, match=r"^n_samples: "):
        check_simulator(mdp, n_samples=5)
    with pytest.raises(TypeError, match=r"^mdp: "):
        check_simulator(mdp, mdp="mdp")


def test_import_rlcore_does_not_import_the_suite():
    code = textwrap.dedent(
        """
        import sys
        import rlcore
        print(sorted(m for m in ("rlcore.testing", "hypothesis", "rlcore.testing.simulator_checks") if m in sys.modules))
        """
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
