"""tabular.exploration: learning to act in an unknown MDP, with regret measured exactly.

A learner follows one protocol (:class:`OnlineLearner`): it proposes a policy for each
episode, sees the episode, updates. :func:`explore` runs it on a finite-horizon
:class:`rlcore.FiniteMDP` (or any simulator of one), ``n_runs`` seeds at once, and
scores every episode's policy exactly (:class:`ExplorationResult`: pseudo-regret without
Monte Carlo noise, realised regret, the learner's value estimates and their optimism).
Built-in learners run each seed in one compiled loop; any other learner runs through
its protocol methods, and the two paths are bit-identical.

=====================================  ===========================================
:class:`UCBVI`                         optimistic VI, Hoeffding or Bernstein bonus
:func:`ucbvi_regret_bound`             Azar, Osband, Munos 2017, Theorems 1 and 2
:func:`explore`                        the episode engine
=====================================  ===========================================

Every learner states its guarantee as a function beside it, and
:func:`tabular.testing.check_online_learner` holds any learner to its claims.
"""

from rlcore import _numba_cache  # noqa: F401  (first: gives Numba a cache location before any kernel is defined)
from tabular.exploration.engine import explore
from tabular.exploration.protocol import OnlineLearner
from tabular.exploration.result import ExplorationResult
from tabular.exploration.ucbvi import UCBVI, ucbvi_regret_bound

__all__ = [
    "UCBVI",
    "ExplorationResult",
    "OnlineLearner",
    "explore",
    "ucbvi_regret_bound",
]
