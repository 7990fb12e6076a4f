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
:func:`least_squares_value_iteration`  LSVI on linear MDPs: PEVI's and LSVI-UCB's core
=====================================  ===========================================

Learning to act in an unknown MDP, with regret measured exactly (UCBVI, UCRL2, PSRL,
RLSVI, optimistic Q-learning, LSVI-UCB, MEX and baselines, on one compiled episode
engine), is in :mod:`tabular.exploration`.

Regularised criteria: :func:`regularised_policy_value` and
:func:`regularisation_gap_bound` (:mod:`tabular.regularisation`). The online learners
share :class:`LearnerResult` and :func:`one_hot_time_features` (:mod:`tabular.learning`).
Their deep variants, DQN and PPO (torch extra), are in :mod:`tabular.deep`
(``from tabular.deep import dqn, ppo``); importing :mod:`tabular` never imports them,
nor torch.
"""

from rlcore import _numba_cache  # noqa: F401  (first: gives Numba a cache location before any kernel is defined)
from typing import TYPE_CHECKING

from rlcore._lazy import attach

if TYPE_CHECKING:  # these names load on first access (rlcore._lazy.attach)
    from tabular.average_reward import AverageRewardResult, relative_value_iteration
    from tabular.certify import Certificate, bellman_backup, certify
    from tabular.effective_horizon import (
        KQVIResult,
        effective_planning_window,
        is_k_qvi_solvable,
        k_qvi,
        k_qvi_check,
        min_k,
        random_policy_q,
    )
    from tabular.effective_horizon_bound import EffectiveHorizonBound, EffectiveHorizonK, effective_horizon_bound
    from tabular.distributional import (
        DistributionalEvaluation,
        categorical_bellman_operator,
        distributional_evaluation,
        projection_error_bound,
        quantile_bellman_operator,
    )
    from tabular.finite_horizon import backward_induction
    from tabular.gorp import GORPResult, gorp
    from tabular.lp import LPResult, linear_programming
    from tabular.learning import LearnerResult, one_hot_time_features
    from tabular.lsvi import LSVIFit, LSVIPlan, least_squares_value_iteration, lsvi_backup, lsvi_plan
    from tabular.q_learning import q_learning
    from tabular.policy_iteration import modified_policy_iteration, policy_iteration
    from tabular.result import PlanningResult
    from tabular.regularisation import regularisation_gap_bound, regularised_policy_value
    from tabular.soft import (
        SoftPlanningResult,
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
    "LSVIFit",
    "LSVIPlan",
    "LearnerResult",
    "MeanVariance",
    "PlanningResult",
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
    "certify",
    "distributional_evaluation",
    "effective_horizon_bound",
    "effective_planning_window",
    "gorp",
    "is_k_qvi_solvable",
    "k_qvi",
    "k_qvi_check",
    "least_squares_value_iteration",
    "linear_programming",
    "lsvi_backup",
    "lsvi_plan",
    "median_episodes_to_target",
    "min_k",
    "modified_policy_iteration",
    "one_hot_time_features",
    "optimize_return_distribution",
    "policy_iteration",
    "projection_error_bound",
    "q_learning",
    "quantile_bellman_operator",
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
]

attach(__name__)
