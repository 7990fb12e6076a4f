"""Valid example calls of ``tabular``'s public callables (see ``tests/api_examples``)."""

from __future__ import annotations

import numpy as np

from rlcore.generators import forest, river_swim
from tests.api_examples import Example


def _mdp():
    return forest(3, gamma=0.9)


def _fh():
    return river_swim(4, horizon=3)


EXAMPLES: dict[str, Example] = {
    "value_iteration": Example(lambda: {"mdp": _mdp(), "epsilon": 1e-6}),
    "policy_iteration": Example(lambda: {"mdp": _mdp()}),
    "modified_policy_iteration": Example(lambda: {"mdp": _mdp(), "m": 3}),
    "solve": Example(lambda: {"mdp": _mdp(), "method": "auto"}),
    "certify": Example(lambda: {"mdp": _mdp(), "V": np.zeros(3)}),
    "bellman_backup": Example(lambda: {"mdp": _mdp(), "V": np.zeros(3)}),
    "backward_induction": Example(lambda: {"mdp": _fh()}),
    "relative_value_iteration": Example(lambda: {"mdp": _mdp(), "epsilon": 1e-6}),
    "linear_programming": Example(lambda: {"mdp": _mdp()}),
    "soft_bellman_backup": Example(lambda: {"mdp": _mdp(), "V": np.zeros(3), "beta": 0.5}),
    "soft_value_iteration": Example(lambda: {"mdp": _mdp(), "beta": 0.5}),
    "soft_backward_induction": Example(lambda: {"mdp": _fh(), "beta": 0.5}),
    "regularisation_gap_bound": Example(lambda: {"mdp": _mdp(), "beta": 0.5}),
    "regularised_policy_value": Example(lambda: {"mdp": _mdp(), "policy": np.zeros(3, dtype=int), "beta": 0.5}),
}

_RESULT = "result type: built by the library and returned, not called with user input"

EXEMPT: dict[str, str] = {
    "AverageRewardResult": _RESULT,
    "Certificate": _RESULT,
    "LPResult": _RESULT,
    "PlanningResult": _RESULT,
    "SoftPlanningResult": _RESULT,
}
