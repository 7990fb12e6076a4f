"""bandits.restless: restless bandits, Whittle indices, the fluid LP and coupled restless bandits.

===============================  ==================================================================
module                           contents
===============================  ==================================================================
:mod:`.model`                    :class:`RestlessArm`, :class:`RestlessProblem` (a batched
                                 simulator), :func:`joint_mdp` (the exact joint MDP)
:mod:`.policies`                 :class:`PriorityPolicy`, :func:`whittle_policy`,
                                 :func:`myopic_policy`, :class:`RestlessRandomPolicy`,
                                 :func:`evaluate_restless_policy`
:mod:`.whittle`                  :func:`whittle_index` (:class:`WhittleResult`),
                                 :func:`two_state_whittle_index`
:mod:`.fluid_lp`                 :func:`fluid_lp` (:class:`FluidLPResult`),
                                 :func:`lp_priority_policy`
:mod:`.action_constraints`       :class:`ActionConstraints`, :func:`multiple_interventions`,
                                 :func:`path_constraints`, :func:`scheduling_constraints`,
                                 :func:`capacity_constraints`
:mod:`.coupled`                  :class:`CoupledRestlessProblem`, :func:`coupled_joint_mdp`,
                                 :class:`CoupledRandomPolicy`, :class:`CoupledMyopicPolicy`
:mod:`.relu_milp`                :func:`relu_milp_argmax` (:class:`MILPArgmax`),
                                 :func:`relu_forward`, :class:`SequoiaPolicy`,
                                 :class:`QSamplingPolicy`
===============================  ==================================================================

SEQUOIA, which trains the ReLU Q-network that :mod:`.relu_milp` maximises, is the deep
variant and lives in :mod:`bandits.deep`.
"""

from bandits.restless.action_constraints import (
    ActionConstraints,
    capacity_constraints,
    multiple_interventions,
    path_constraints,
    scheduling_constraints,
)
from bandits.restless.coupled import (
    CoupledMyopicPolicy,
    CoupledRandomPolicy,
    CoupledRestlessProblem,
    coupled_joint_mdp,
)
from bandits.restless.fluid_lp import FluidLPResult, fluid_lp, lp_priority_policy
from bandits.restless.model import RestlessArm, RestlessProblem, joint_mdp
from bandits.restless.policies import (
    PriorityPolicy,
    RestlessRandomPolicy,
    evaluate_restless_policy,
    myopic_policy,
    whittle_policy,
)
from bandits.restless.relu_milp import (
    MILPArgmax,
    QSamplingPolicy,
    SequoiaPolicy,
    relu_forward,
    relu_milp_argmax,
)
from bandits.restless.whittle import WhittleResult, two_state_whittle_index, whittle_index

__all__ = [
    "ActionConstraints",
    "CoupledMyopicPolicy",
    "CoupledRandomPolicy",
    "CoupledRestlessProblem",
    "FluidLPResult",
    "MILPArgmax",
    "PriorityPolicy",
    "QSamplingPolicy",
    "RestlessArm",
    "RestlessProblem",
    "RestlessRandomPolicy",
    "SequoiaPolicy",
    "WhittleResult",
    "capacity_constraints",
    "coupled_joint_mdp",
    "evaluate_restless_policy",
    "fluid_lp",
    "joint_mdp",
    "lp_priority_policy",
    "multiple_interventions",
    "myopic_policy",
    "path_constraints",
    "relu_forward",
    "relu_milp_argmax",
    "scheduling_constraints",
    "two_state_whittle_index",
    "whittle_index",
    "whittle_policy",
]
