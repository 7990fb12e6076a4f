"""Shared small problems and a binomial failure budget for the offline tests."""

from __future__ import annotations

import math

import numpy as np

from rlcore import FiniteMDP
from rlcore.generators import random_mdp


def small_mdp(
    seed: int = 0, S: int = 5, A: int = 2, gamma: float | None = 0.5, horizon: int | None = None
) -> FiniteMDP:
    """A dense random MDP with rewards in [0, 1) and a fixed initial state 0."""
    base = random_mdp(S, A, gamma=gamma, horizon=horizon, rng=seed)
    init = np.zeros(S)
    init[0] = 1.0
    return FiniteMDP(base.P, base.R, gamma=gamma, horizon=horizon, initial=init)


def failure_budget(n_runs: int, p: float, z: float = 3.0) -> int:
    """Largest failure count compatible with a failure probability ``p`` (mean + z sd, binomial)."""
    return int(math.floor(n_runs * p + z * math.sqrt(n_runs * p * (1.0 - p)) + 1.0))
