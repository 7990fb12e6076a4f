"""tabular.exploration: learning to act in an unknown MDP, with regret measured exactly.

A learner follows one protocol (:class:`OnlineLearner`): it proposes a policy for each
episode, sees the episode, updates. :func:`explore` runs it on a finite-horizon
:class:`rlcore.FiniteMDP` (or any simulator of one), ``n_runs`` seeds at once, and
scores every episode's policy exactly (:class:`ExplorationResult`: pseudo-regret without
Monte Carlo noise, realised regret, the learner's value estimates and their optimism).
Built-in learners run each seed in one compiled loop; any other learner runs through
its protocol methods, and the two paths are bit-identical.

=========================================  ===================================================================
:class:`UCBVI`                             optimistic VI, Hoeffding or Bernstein bonus
:func:`ucbvi_regret_bound`                 Azar, Osband, Munos 2017, Theorems 1 and 2
:class:`PSRL`                              posterior sampling (Dirichlet / Normal-Gamma)
:func:`psrl_bayes_regret_bound`            Osband, Russo, Van Roy 2013, Theorem 1 (Bayesian)
:class:`RLSVI`                             randomised least-squares VI, tabular or features
:func:`rlsvi_regret_bound`                 Osband et al. 2019, Theorem 1 (its order only)
:func:`ucrl2`                              UCRL2, average reward (Jaksch, Ortner, Auer 2010)
:func:`extended_value_iteration`           EVI over L1 confidence sets (their section 3.1.2)
:func:`ucrl2_regret_bound`                 Jaksch et al. 2010, Theorem 2
:func:`mdp_diameter`                       the diameter ``D`` of a communicating MDP
:class:`OptimisticQLearning`               Q-learning with UCB-Hoeffding/Bernstein bonuses (Jin et al. 2018)
:func:`optimistic_q_regret_bound`          Jin et al. 2018, Theorem 1, with the proof's constants
:class:`MEX`                               Maximize to Explore: value + eta * log-likelihood (Liu et al. 2023)
:class:`LinearMEX`                         MEX with linear Q-functions (a squared Bellman loss)
:func:`mex_theoretical_eta`                the eta of MEX's regret theorem
:class:`EpsilonGreedyQLearning`            baseline, no bound
:class:`GreedyCertaintyEquivalence`        baseline: plan on the empirical model, no bound
:func:`episodic_regret_lower_bound`        Domingues et al. 2021: Omega(sqrt(H**3 S A K))
:func:`average_reward_regret_lower_bound`  Jaksch et al. 2010, Theorem 5
:class:`LSVIUCB`                           optimistic LSVI on linear features (Jin et al. 2020)
:func:`lsvi_ucb_regret_bound`              Jin et al. 2020, Theorem 3.1 (:func:`lsvi_ucb_beta`: the width)
:func:`explore`                            the episode engine
=========================================  ===================================================================

Every learner states its guarantee as a function beside it, and
:func:`tabular.testing.check_online_learner` holds any learner to its claims.
"""

from rlcore import _numba_cache  # noqa: F401  (first: gives Numba a cache location before any kernel is defined)
from tabular.exploration.baselines import EpsilonGreedyQLearning, GreedyCertaintyEquivalence
from tabular.exploration.engine import explore
from tabular.exploration.lower_bound import average_reward_regret_lower_bound, episodic_regret_lower_bound
from tabular.exploration.lsvi_ucb import LSVIUCB, lsvi_ucb_beta, lsvi_ucb_regret_bound
from tabular.exploration.linear_mex import LinearMEX, LinearMEXSolution
from tabular.exploration.mex import MEX, MEXSolution, mex_row_argmax, mex_theoretical_eta
from tabular.exploration.optimistic_q import OptimisticQLearning, optimistic_q_regret_bound
from tabular.exploration.protocol import OnlineLearner
from tabular.exploration.psrl import PSRL, PSRLPosterior, psrl_bayes_regret_bound
from tabular.exploration.result import ExplorationResult
from tabular.exploration.rlsvi import RLSVI, rlsvi_regret_bound
from tabular.exploration.ucbvi import UCBVI, ucbvi_regret_bound
from tabular.exploration.ucrl2 import (
    ExtendedValueIterationResult,
    UCRL2Result,
    extended_value_iteration,
    mdp_diameter,
    ucrl2,
    ucrl2_regret_bound,
)

__all__ = [
    "EpsilonGreedyQLearning",
    "ExplorationResult",
    "ExtendedValueIterationResult",
    "GreedyCertaintyEquivalence",
    "LSVIUCB",
    "LinearMEX",
    "LinearMEXSolution",
    "MEX",
    "MEXSolution",
    "OnlineLearner",
    "OptimisticQLearning",
    "PSRL",
    "PSRLPosterior",
    "RLSVI",
    "UCBVI",
    "UCRL2Result",
    "average_reward_regret_lower_bound",
    "episodic_regret_lower_bound",
    "explore",
    "extended_value_iteration",
    "lsvi_ucb_beta",
    "lsvi_ucb_regret_bound",
    "mdp_diameter",
    "mex_row_argmax",
    "mex_theoretical_eta",
    "optimistic_q_regret_bound",
    "psrl_bayes_regret_bound",
    "rlsvi_regret_bound",
    "ucbvi_regret_bound",
    "ucrl2",
    "ucrl2_regret_bound",
]
