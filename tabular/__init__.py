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
:func:`certify`                        bounds for any value estimate
=====================================  ===========================================
"""

from tabular.certify import Certificate, bellman_backup, certify
from tabular.finite_horizon import backward_induction
from tabular.policy_iteration import modified_policy_iteration, policy_iteration
from tabular.result import PlanningResult
from tabular.solve import solve
from tabular.value_iteration import value_iteration

__all__ = [
    "Certificate",
    "PlanningResult",
    "backward_induction",
    "bellman_backup",
    "certify",
    "modified_policy_iteration",
    "policy_iteration",
    "solve",
    "value_iteration",
]
