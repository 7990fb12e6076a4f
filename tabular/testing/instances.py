"""The contract suite's instances: small fixed MDPs of every kind, in both layouts."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from rlcore.generators import chain, forest, gridworld, random_mdp, river_swim
from rlcore.mdp import FiniteMDP
from rlcore.validation import Bool, validate_params
from tabular.testing.oracle import ExactSolution, brute_force_solution, with_layout

__all__ = ["reference_mdps"]


def _one_state(**criterion: Any) -> FiniteMDP:
    return FiniteMDP(np.ones((1, 1, 1)), [[0.5]], **criterion)


@functools.cache
def _discounted_instances() -> tuple[tuple[str, FiniteMDP], ...]:
    return (
        ("forest(3, gamma=0.9)", forest(3, gamma=0.9)),
        ("river_swim(6, gamma=0.95)", river_swim(6, gamma=0.95)),
        ("gridworld(2, 2, slip=0.1, gamma=0.9)", gridworld(2, 2, slip=0.1, gamma=0.9)),
        ("chain(5, gamma=0.9)", chain(5, gamma=0.9)),
        ("random_mdp(4, 3, gamma=0.99, rng=1)", random_mdp(4, 3, gamma=0.99, rng=1)),
        (
            "random_mdp(5, 2, branching=2, gamma=0.9, rng=2)",
            random_mdp(5, 2, branching=2, sparse=True, gamma=0.9, rng=2),
        ),
        ("random_mdp(3, 3, gamma=0.0, rng=3)", random_mdp(3, 3, gamma=0.0, rng=3)),
        (
            "all-tied rewards: random_mdp(3, 2, reward=0, gamma=0.9, rng=5)",
            random_mdp(3, 2, reward=np.zeros((3, 2)), gamma=0.9, rng=5),
        ),
        ("one state, one action, gamma=0.9", _one_state(gamma=0.9)),
    )


@functools.cache
def _finite_horizon_instances() -> tuple[tuple[str, FiniteMDP], ...]:
    return (
        ("forest(3, horizon=3)", forest(3, horizon=3)),
        ("river_swim(3, horizon=3)", river_swim(3, horizon=3)),
        ("chain(3, horizon=3)", chain(3, horizon=3)),
        ("gridworld(1, 3, horizon=2)", gridworld(1, 3, horizon=2)),
        (
            "random_mdp(2, 2, horizon=3, time_dependent=True, rng=4)",
            random_mdp(2, 2, horizon=3, time_dependent=True, rng=4),
        ),
        ("one state, one action, horizon=3", _one_state(horizon=3)),
    )


@validate_params(discounted=Bool(), finite_horizon=Bool(), sparse=Bool())
def reference_mdps(
    *, discounted: bool = True, finite_horizon: bool = False, sparse: bool = True
) -> list[tuple[str, FiniteMDP]]:
    """The small fixed MDPs the contract checks run on, as ``(label, mdp)`` pairs.

    Parameters
    ----------
    discounted : bool
        Include the discounted instances: ``forest(3)``, ``river_swim(6)``, a 2x2
        gridworld with slip, ``chain(5)``, seeded random MDPs (one with
        ``gamma = 0.99``, one Garnet with two successors per pair, one with
        ``gamma = 0``, one with all rewards zero so every policy ties) and a one-state
        one-action MDP.
    finite_horizon : bool
        Include the finite-horizon instances: ``forest``, ``river_swim`` and ``chain``
        with three states and ``H = 3``, a 1x3 gridworld with ``H = 2``, a
        time-dependent random MDP and a one-state MDP.
    sparse : bool
        Each instance in both dense and sparse layout (otherwise dense only).

    Returns
    -------
    list of (str, rlcore.FiniteMDP)
        Labels end in ``[dense]`` or ``[sparse]``. Every instance has at most 4096
        deterministic (Markov) policies, so :func:`brute_force_solution` applies.
        The MDPs are new objects on every call, so a solver under test that tampers
        with one cannot spoil the next check.

    Examples
    --------
    >>> [label for label, _ in reference_mdps(sparse=False)][:2]
    ['forest(3, gamma=0.9) [dense]', 'river_swim(6, gamma=0.95) [dense]']
    """
    base: list[tuple[str, FiniteMDP]] = []
    if discounted:
        base += list(_discounted_instances())
    if finite_horizon:
        base += list(_finite_horizon_instances())
    out = []
    for label, mdp in base:
        out.append((f"{label} [dense]", with_layout(mdp, False)))
        if sparse:
            out.append((f"{label} [sparse]", with_layout(mdp, True)))
    return out


@functools.cache
def exact_by_label(label: str) -> ExactSolution:
    """The exact solution of a reference MDP (both layouts share it), from a pristine instance."""
    base = label.rsplit(" [", 1)[0]
    pristine = dict(_discounted_instances() + _finite_horizon_instances())[base]
    return brute_force_solution(pristine)
