"""bandits.cascading: cascading bandits (learning to rank) and cascading reinforcement learning.

===============================  ==================================================================
module                           contents
===============================  ==================================================================
:mod:`.bandit`                   the cascade model :class:`CascadeBandit`, :class:`CascadeUCB1`,
                                 :class:`CascadeKLUCB`, :func:`cascade_list_value`,
                                 :func:`enumerate_lists`, :func:`enumerated_cascade_bandit`
:mod:`.engine`                   :func:`simulate_cascade`, :class:`CascadeSimulationResult`
:mod:`.bounds`                   :func:`cascade_ucb1_regret_bound`,
                                 :func:`cascade_klucb_regret_bound`,
                                 :func:`cascade_lower_bound_constant`, :func:`cascade_lower_bound`
:mod:`.mdp`                      the cascading MDP :class:`CascadingMDP`, :func:`best_perm`
                                 (:class:`BestPermResult`), :func:`list_value`,
                                 :func:`solve_cascading_mdp` (:class:`CascadingPlanningResult`),
                                 :func:`evaluate_cascading_policy`
:mod:`.rl`                       :func:`cascading_vi`, :func:`enumerated_ucbvi`
                                 (:class:`CascadingLearnerResult`), :func:`cascading_bpi`
                                 (:class:`CascadingBPIResult`), :func:`cascading_vi_regret_bound`,
                                 :func:`cascading_bpi_sample_complexity`
===============================  ==================================================================

The cascade model's feedback (a click position in a list) has its own engine,
:func:`simulate_cascade`, beside :func:`bandits.simulate`; both return a
:class:`bandits.RegretResult`.
"""

from bandits.cascading.bandit import (
    CascadeBandit,
    CascadeKLUCB,
    CascadeUCB1,
    cascade_list_value,
    enumerate_lists,
    enumerated_cascade_bandit,
)
from bandits.cascading.bounds import (
    cascade_klucb_regret_bound,
    cascade_lower_bound,
    cascade_lower_bound_constant,
    cascade_ucb1_regret_bound,
)
from bandits.cascading.engine import CascadeSimulationResult, simulate_cascade
from bandits.cascading.mdp import (
    BestPermResult,
    CascadingMDP,
    CascadingPlanningResult,
    best_perm,
    evaluate_cascading_policy,
    list_value,
    solve_cascading_mdp,
)
from bandits.cascading.rl import (
    CascadingBPIResult,
    CascadingLearnerResult,
    cascading_bpi,
    cascading_bpi_sample_complexity,
    cascading_vi,
    cascading_vi_regret_bound,
    enumerated_ucbvi,
)

__all__ = [
    "BestPermResult",
    "CascadeBandit",
    "CascadeKLUCB",
    "CascadeSimulationResult",
    "CascadeUCB1",
    "CascadingBPIResult",
    "CascadingLearnerResult",
    "CascadingMDP",
    "CascadingPlanningResult",
    "best_perm",
    "cascade_klucb_regret_bound",
    "cascade_list_value",
    "cascade_lower_bound",
    "cascade_lower_bound_constant",
    "cascade_ucb1_regret_bound",
    "cascading_bpi",
    "cascading_bpi_sample_complexity",
    "cascading_vi",
    "cascading_vi_regret_bound",
    "enumerate_lists",
    "enumerated_cascade_bandit",
    "enumerated_ucbvi",
    "evaluate_cascading_policy",
    "list_value",
    "simulate_cascade",
    "solve_cascading_mdp",
]
