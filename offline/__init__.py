"""offline: offline reinforcement learning with pessimism (the LCB family).

Learn a policy from a fixed dataset (a :class:`rlcore.Dataset`) without further
interaction. Pessimism, acting on lower confidence bounds, makes the suboptimality
depend only on how well the data cover *one* good policy (the single-policy
concentrability ``C*``), so that one algorithm interpolates between imitation (expert
data, ``C* = 1``) and offline RL on uniform data (Rashidinejad et al. 2021).

=========================================  ==============================================
data                                       :func:`sample_transitions` (i.i.d. from ``mu``),
                                           :func:`collect_mixed_episodes`,
                                           :func:`mixture_policy`,
                                           :func:`behavior_distribution`,
                                           :func:`concentrability` (``C*``, clipped too),
                                           :func:`empirical_model`,
                                           :func:`to_minari_episodes`,
                                           :func:`from_minari_episodes`,
                                           :func:`to_minari_dataset`,
                                           :func:`from_minari_dataset` (minari extra)
pessimistic value iteration (one core)     :func:`pessimistic_value_iteration`:
                                           :func:`vi_lcb` (Hoeffding, split),
                                           :func:`vi_lcb_bernstein` (Li et al. 2024),
                                           :func:`pessimism_certificate`
bandits                                    :func:`lcb_arm`, :func:`contextual_lcb`,
                                           :func:`empirical_best_arm`,
                                           :func:`contextual_empirical_best`
baselines                                  :func:`behavior_cloning`, :func:`plug_in_policy`
linear MDPs                                :func:`pevi`, :func:`pevi_beta`,
                                           :func:`pevi_certificate`,
                                           :func:`one_hot_features`
trajectory weighting (Hong et al. 2023)    :func:`trajectory_weights`,
                                           :func:`resample_trajectories`,
                                           :func:`transition_weights`,
                                           :func:`weighted_return`,
                                           :func:`tilted_behavior_return`
bounds                                     :func:`lcb_bandit_bound`, :func:`vi_lcb_bound`,
                                           :func:`li_bound`
deep variants (torch extra)                :func:`cql`, :func:`iql` (discrete actions)
vacuous results                            :class:`rlcore.VacuousResultWarning`
evaluation on a known MDP                  :func:`optimal_policy`,
                                           :func:`policy_suboptimality`
=========================================  ==============================================

The algorithms never need ``C*``: it is an analysis quantity, computed for a known MDP
and behavior distribution by :func:`concentrability`.
"""

from rlcore import _numba_cache  # noqa: F401  (first: gives Numba a cache location before any kernel is defined)
from typing import TYPE_CHECKING

from rlcore._lazy import attach

if TYPE_CHECKING:  # these names load on first access (rlcore._lazy.attach)
    from offline.bandits import (
        BanditLCBResult,
        contextual_empirical_best,
        contextual_lcb,
        empirical_best_arm,
        lcb_arm,
    )
    from offline.baselines import behavior_cloning, plug_in_policy
    from offline.bounds import lcb_bandit_bound, li_bound, vi_lcb_bound
    from offline.data import (
        EmpiricalModel,
        behavior_distribution,
        collect_mixed_episodes,
        concentrability,
        empirical_model,
        mixture_policy,
        optimal_policy,
        policy_suboptimality,
        sample_transitions,
    )
    from offline.deep import DeepOfflineResult, cql, iql
    from offline.linear import FeatureMap, PEVIResult, one_hot_features, pevi, pevi_beta, pevi_certificate
    from offline.minari import from_minari_dataset, from_minari_episodes, to_minari_dataset, to_minari_episodes
    from rlcore.results import VacuousResultWarning  # noqa: F401  (rlcore.VacuousResultWarning: same class)
    from offline.pessimism import (
        PessimisticResult,
        pessimism_certificate,
        pessimistic_value_iteration,
        vi_lcb,
        vi_lcb_bernstein,
    )
    from offline.weighting import (
        resample_trajectories,
        tilted_behavior_return,
        trajectory_weights,
        transition_weights,
        weighted_return,
    )

__all__ = [
    "BanditLCBResult",
    "DeepOfflineResult",
    "EmpiricalModel",
    "FeatureMap",
    "PEVIResult",
    "PessimisticResult",
    "behavior_cloning",
    "behavior_distribution",
    "collect_mixed_episodes",
    "concentrability",
    "contextual_empirical_best",
    "contextual_lcb",
    "cql",
    "empirical_best_arm",
    "empirical_model",
    "from_minari_dataset",
    "from_minari_episodes",
    "iql",
    "lcb_arm",
    "lcb_bandit_bound",
    "li_bound",
    "mixture_policy",
    "one_hot_features",
    "optimal_policy",
    "pessimism_certificate",
    "pessimistic_value_iteration",
    "pevi",
    "pevi_beta",
    "pevi_certificate",
    "plug_in_policy",
    "policy_suboptimality",
    "resample_trajectories",
    "sample_transitions",
    "tilted_behavior_return",
    "to_minari_dataset",
    "to_minari_episodes",
    "trajectory_weights",
    "transition_weights",
    "vi_lcb",
    "vi_lcb_bernstein",
    "vi_lcb_bound",
    "weighted_return",
]

attach(__name__)
