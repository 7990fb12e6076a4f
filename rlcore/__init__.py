"""rlcore: the common interface every algorithm in the library shares.

Models (:class:`FiniteMDP`), the batched :class:`Simulator` protocol and
:func:`rollout`, tabular policies, exact policy evaluation and occupancy measures,
Bellman operators, the columnar :class:`Dataset`, MDP generators, the regressor protocol (:class:`Regressor`, :class:`TabularMean`,
:class:`RidgeRegression`), discrete distributions (:class:`DiscreteDistribution` and its
projections and distances), the BRIDGE loader (:func:`load_bridge_mdp`, with four BRIDGE
MDPs shipped: :data:`SHIPPED_BRIDGE_MDPS`, :func:`bridge_data_dir`) and one randomness
convention (:func:`as_generator`), and one switch for progress bars on long calls
(:func:`set_progress`, :mod:`rlcore.progress`). Hypothesis strategies for property tests live in
:mod:`rlcore.testing` (needs the light ``hypothesis`` extra); the Gymnasium adapters
both ways: any simulator as a Gymnasium environment (:func:`as_gymnasium_env`, in
:mod:`rlcore.gym`) and any Gymnasium environment as a simulator (:func:`from_gymnasium`,
in :mod:`rlcore.gym_simulator`).
"""

from __future__ import annotations

from rlcore import _numba_cache  # noqa: F401  (first: gives Numba a cache location before any kernel is defined)
from typing import TYPE_CHECKING

from rlcore._lazy import attach, when_imported

if TYPE_CHECKING:  # these names load on first access (rlcore._lazy.attach)
    from rlcore import generators
    from rlcore import validation
    from rlcore.validation import PROBABILITY_ATOL
    from rlcore.bellman import bellman_expectation, bellman_optimality, q_from_v, resolvent_bounds
    from rlcore.bridge import SHIPPED_BRIDGE_MDPS, bridge_data_dir, load_bridge_mdp
    from rlcore.dataset import Dataset
    from rlcore.distributions import (
        DiscreteDistribution,
        categorical_projection,
        cramer_distance,
        quantile_projection,
        wasserstein_distance,
    )
    from rlcore.evaluation import PolicyEvaluation, evaluate_policy, occupancy
    from rlcore.gym import SimulatorEnv, SimulatorVectorEnv, as_gymnasium_env
    from rlcore.gym_simulator import from_gymnasium
    from rlcore.mdp import FiniteMDP
    from rlcore.policies import (
        as_stochastic,
        epsilon_greedy,
        greedy,
        is_deterministic,
        softmax,
        uniform,
        validate_policy,
    )
    from rlcore.progress import progress_enabled, progress_switch, set_progress
    from rlcore.randomness import RNGLike, as_generator, spawn
    from rlcore.results import CertifiedResult, IterativeResult, Result, VacuousResultWarning, ValueResult
    from rlcore.regressors import NotFittedError, Regressor, RidgeRegression, TabularMean
    from rlcore.simulator import PolicyFn, Simulator, rollout

__version__ = "0.1.0.dev0"

__all__ = [
    "PROBABILITY_ATOL",
    "CertifiedResult",
    "IterativeResult",
    "Result",
    "VacuousResultWarning",
    "ValueResult",
    "Dataset",
    "DiscreteDistribution",
    "FiniteMDP",
    "NotFittedError",
    "PolicyEvaluation",
    "PolicyFn",
    "RNGLike",
    "Regressor",
    "RidgeRegression",
    "Simulator",
    "SimulatorEnv",
    "SimulatorVectorEnv",
    "TabularMean",
    "as_generator",
    "progress_enabled",
    "progress_switch",
    "set_progress",
    "as_gymnasium_env",
    "from_gymnasium",
    "as_stochastic",
    "bellman_expectation",
    "bellman_optimality",
    "categorical_projection",
    "cramer_distance",
    "epsilon_greedy",
    "evaluate_policy",
    "generators",
    "load_bridge_mdp",
    "bridge_data_dir",
    "SHIPPED_BRIDGE_MDPS",
    "greedy",
    "is_deterministic",
    "occupancy",
    "q_from_v",
    "quantile_projection",
    "resolvent_bounds",
    "rollout",
    "softmax",
    "spawn",
    "uniform",
    "validate_policy",
    "validation",
    "wasserstein_distance",
]

attach(__name__)


def _register_gymnasium_ids() -> None:
    from rlcore.gym_registry import _register

    _register()


# the rlref/ ids join Gymnasium's registry when Gymnasium is imported (now, if it already is)
when_imported("gymnasium", _register_gymnasium_ids)
