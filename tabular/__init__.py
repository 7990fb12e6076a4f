"""tabular: planners for finite MDPs with certified bounds.

Every discounted planner certifies its answer with one Bellman backup
(:func:`certify`): the returned :class:`PlanningResult` carries ``V``, ``Q``, the
greedy policy, the iteration count, ``converged``, and certified bounds on
``||V - V*||`` and on the policy's suboptimality.

=====================================  ===========================================
:func:`solve`                          picks a sound default
:func:`value_iteration`                Jacobi or Gauss-Seidel, span or sup-norm rule
:func:`policy_iteration`               Howard
:func:`modified_policy_iteration`      Puterman and Shin
:func:`backward_induction`             finite horizon, time-dependent
:func:`linear_programming`             the LP and its dual (occupancy measures), cvxpy
:func:`relative_value_iteration`       average-reward criterion (gain and bias)
:func:`soft_value_iteration`           KL-regularised (soft) VI with a reference policy
:func:`distributional_evaluation`      return distributions: categorical, quantile, exact
:func:`optimize_return_distribution`   stock-augmented DP for CVaR, VaR, P(G >= tau), utilities
:func:`certify`                        bounds for any value estimate
:func:`min_k`                          k-QVI-solvability (the effective-horizon papers)
:func:`effective_horizon_bound`        the effective horizon of a deterministic MDP
:func:`gorp`                           greedy over random policy, through the simulator
:func:`sqirl`                          shallow Q-iteration via RL, any regressor
:func:`stochastic_effective_horizon`   SQIRL's explicit sample bound, minimised over k
:func:`sqirl_sample_complexity`        episodes SQIRL needs empirically (grid over k, m)
:func:`q_learning`                     finite-horizon tabular Q-learning on any simulator
:func:`dqn`, :func:`ppo`               small torch DQN and PPO baselines (torch extra)
=====================================  ===========================================
"""

from rlcore import _numba_cache  # noqa: F401  (first: gives Numba a cache location before any kernel is defined)
from tabular.average_reward import AverageRewardResult, relative_value_iteration
from tabular.certify import Certificate, bellman_backup, certify
from tabular.effective_horizon import (
    EffectiveHorizonBound,
    EffectiveHorizonK,
    KQVIResult,
    effective_horizon_bound,
    effective_planning_window,
    is_k_qvi_solvable,
    k_qvi,
    k_qvi_check,
    min_k,
    random_policy_q,
)
from tabular._learner_common import LearnerResult
from tabular.distributional import (
    DistributionalEvaluation,
    ReturnDistribution,
    categorical_bellman_operator,
    categorical_projection,
    cramer_distance,
    distributional_evaluation,
    projection_error_bound,
    quantile_bellman_operator,
    quantile_projection,
    wasserstein_distance,
)
from tabular.dqn import dqn
from tabular.finite_horizon import backward_induction
from tabular.gorp import GORPResult, gorp
from tabular.lp import LPResult, linear_programming
from tabular.ppo import ppo
from tabular.q_learning import q_learning
from tabular.policy_iteration import modified_policy_iteration, policy_iteration
from tabular.result import PlanningResult
from tabular.soft import (
    SoftPlanningResult,
    regularisation_gap_bound,
    regularised_policy_value,
    soft_backward_induction,
    soft_bellman_backup,
    soft_value_iteration,
)
from tabular.sample_complexity import SampleComplexity, median_episodes_to_target, sqirl_sample_complexity
from tabular.solve import solve
from tabular.sqirl import SQIRLResult, sqirl
from tabular.stock_augmented import (
    CVaR,
    ExpectedUtility,
    MeanVariance,
    StockAugmentedMDP,
    StockAugmentedResult,
    StockPolicy,
    ThresholdProbability,
    ValueAtRisk,
    optimize_return_distribution,
    stock_augment,
    truncate_discounted,
)
from tabular.stochastic_horizon import (
    SQIRLSampleBound,
    StochasticEffectiveHorizon,
    sqirl_sample_bound,
    stochastic_effective_horizon,
)
from tabular.value_iteration import value_iteration

__all__ = [
    "AverageRewardResult",
    "CVaR",
    "Certificate",
    "DistributionalEvaluation",
    "EffectiveHorizonBound",
    "EffectiveHorizonK",
    "ExpectedUtility",
    "GORPResult",
    "KQVIResult",
    "LPResult",
    "LearnerResult",
    "MeanVariance",
    "PlanningResult",
    "ReturnDistribution",
    "SQIRLResult",
    "SQIRLSampleBound",
    "SampleComplexity",
    "SoftPlanningResult",
    "StochasticEffectiveHorizon",
    "StockAugmentedMDP",
    "StockAugmentedResult",
    "StockPolicy",
    "ThresholdProbability",
    "ValueAtRisk",
    "backward_induction",
    "bellman_backup",
    "categorical_bellman_operator",
    "categorical_projection",
    "certify",
    "cramer_distance",
    "distributional_evaluation",
    "dqn",
    "effective_horizon_bound",
    "effective_planning_window",
    "gorp",
    "is_k_qvi_solvable",
    "k_qvi",
    "k_qvi_check",
    "linear_programming",
    "median_episodes_to_target",
    "min_k",
    "modified_policy_iteration",
    "optimize_return_distribution",
    "policy_iteration",
    "ppo",
    "projection_error_bound",
    "q_learning",
    "quantile_bellman_operator",
    "quantile_projection",
    "random_policy_q",
    "regularisation_gap_bound",
    "regularised_policy_value",
    "relative_value_iteration",
    "soft_backward_induction",
    "soft_bellman_backup",
    "soft_value_iteration",
    "solve",
    "sqirl",
    "sqirl_sample_bound",
    "sqirl_sample_complexity",
    "stochastic_effective_horizon",
    "stock_augment",
    "truncate_discounted",
    "value_iteration",
    "wasserstein_distance",
]
