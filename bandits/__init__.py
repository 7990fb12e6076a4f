"""bandits: stochastic, adversarial, linear and Bayesian bandits, and their bounds.

Environments (:mod:`bandits.environments`) and policies (:mod:`bandits.policies`) meet
in one engine, :func:`simulate`, which runs ``policy x environment x runs x horizon``
in compiled code for the built-in policies and in Python for any object following the
:class:`BanditPolicy` protocol, with identical trajectories for the same seed. Each
policy's docstring states its guarantee, and :mod:`bandits.bounds` computes the bound
so that empirical regret can be plotted against it.

=====================================  ===========================================
environments                           :class:`BernoulliBandit`, :class:`GaussianBandit`,
                                       :class:`BetaBandit`, :class:`PiecewiseStationaryBandit`,
                                       :class:`AdversarialBandit`
policies                               :class:`ExploreThenCommit`, :class:`EpsilonGreedy`,
                                       :class:`UCB1`, :class:`UCBV`, :class:`KLUCB`,
                                       :class:`MOSS`, :class:`ThompsonBeta`,
                                       :class:`ThompsonGaussian`, :class:`EXP3`;
                                       non-stationary: :class:`DiscountedUCB`,
                                       :class:`SlidingWindowUCB`
engine                                 :func:`simulate`, :class:`SimulationResult`
divergences                            :func:`kl_bernoulli`, :func:`kl_gaussian`,
                                       :func:`klucb_index`
linear bandits                         :class:`LinearBandit`, :class:`OFUL` (LinUCB),
                                       :class:`LinearThompson`, :func:`oful_radius`,
                                       :func:`elliptical_potential`
Gittins indices                        :func:`gittins_index` (finite Markov arms),
                                       :func:`gittins_index_beta`, :class:`GittinsBeta`
bounds                                 :func:`ucb1_regret_bound`, :func:`etc_regret_bound`,
                                       :func:`lai_robbins_constant`,
                                       :func:`klucb_asymptotic_constant`,
                                       :func:`klucb_regret_bound`,
                                       :func:`thompson_regret_bound`,
                                       :func:`moss_regret_bound`, :func:`exp3_regret_bound`,
                                       :func:`oful_regret_bound`
cascading bandits                      :class:`CascadeBandit`, :class:`CascadeUCB1`,
                                       :class:`CascadeKLUCB`, :func:`simulate_cascade`
cascading RL                           :class:`CascadingMDP`, :func:`best_perm`,
                                       :func:`solve_cascading_mdp`, :func:`cascading_vi`,
                                       :func:`cascading_bpi`
restless bandits                       :class:`RestlessArm`, :class:`RestlessProblem`,
                                       :func:`whittle_index`, :func:`fluid_lp`,
                                       :func:`whittle_policy`, :func:`lp_priority_policy`
coupled restless, SEQUOIA              :class:`CoupledRestlessProblem`,
                                       :class:`ActionConstraints`, :func:`sequoia`,
                                       :func:`relu_milp_argmax`
=====================================  ===========================================
"""

from rlcore import _numba_cache  # noqa: F401  (first: gives Numba a cache location before any kernel is defined)
from bandits.bounds import (
    etc_regret_bound,
    exp3_gamma,
    exp3_regret_bound,
    klucb_asymptotic_constant,
    klucb_regret_bound,
    lai_robbins_constant,
    lai_robbins_lower_bound,
    moss_regret_bound,
    oful_regret_bound,
    thompson_regret_bound,
    ucb1_regret_bound,
)
from bandits.cascading import (
    CascadeBandit,
    CascadeKLUCB,
    CascadeSimulationResult,
    CascadeUCB1,
    cascade_klucb_regret_bound,
    cascade_list_value,
    cascade_lower_bound,
    cascade_lower_bound_constant,
    cascade_ucb1_regret_bound,
    enumerate_lists,
    enumerated_cascade_bandit,
    simulate_cascade,
)
from bandits.cascading_rl import (
    CascadingBPIResult,
    CascadingLearnerResult,
    CascadingMDP,
    CascadingPlanningResult,
    best_perm,
    cascading_bpi,
    cascading_bpi_sample_complexity,
    cascading_vi,
    cascading_vi_regret_bound,
    enumerated_ucbvi,
    evaluate_cascading_policy,
    solve_cascading_mdp,
)
from bandits.restless import (
    PriorityPolicy,
    RestlessRandomPolicy,
    RestlessArm,
    RestlessProblem,
    evaluate_restless_policy,
    joint_mdp,
    myopic_policy,
    whittle_policy,
)
from bandits.whittle import (
    WhittleResult,
    two_state_whittle_index,
    whittle_index,
)
from bandits.fluid_lp import (
    FluidLPResult,
    fluid_lp,
    lp_priority_policy,
)
from bandits.coupled import (
    ActionConstraints,
    CoupledMyopicPolicy,
    CoupledRandomPolicy,
    CoupledRestlessProblem,
    capacity_constraints,
    coupled_joint_mdp,
    multiple_interventions,
    path_constraints,
    scheduling_constraints,
)
from bandits.sequoia import (
    MILPArgmax,
    QSamplingPolicy,
    SequoiaPolicy,
    SequoiaResult,
    relu_forward,
    relu_milp_argmax,
    sequoia,
)
from bandits.engine import SimulationResult, simulate
from bandits.environments import (
    AdversarialBandit,
    BanditEnvironment,
    BernoulliBandit,
    BetaBandit,
    GaussianBandit,
    PiecewiseStationaryBandit,
)
from bandits.gittins import GittinsBeta, gittins_index, gittins_index_beta
from bandits.linear import OFUL, EllipticalPotential, LinearBandit, LinearThompson, elliptical_potential, oful_radius
from bandits.kl import KL_TOLERANCE, kl_bernoulli, kl_gaussian, klucb_index
from bandits.policies import (
    EXP3,
    KLUCB,
    MOSS,
    UCB1,
    UCBV,
    BanditPolicy,
    DiscountedUCB,
    EpsilonGreedy,
    ExploreThenCommit,
    SlidingWindowUCB,
    ThompsonBeta,
    ThompsonGaussian,
)

__all__ = [
    "ActionConstraints",
    "AdversarialBandit",
    "BanditEnvironment",
    "BanditPolicy",
    "BernoulliBandit",
    "BetaBandit",
    "CascadeBandit",
    "CascadeKLUCB",
    "CascadeSimulationResult",
    "CascadeUCB1",
    "CascadingBPIResult",
    "CascadingLearnerResult",
    "CascadingMDP",
    "CascadingPlanningResult",
    "CoupledMyopicPolicy",
    "CoupledRandomPolicy",
    "CoupledRestlessProblem",
    "DiscountedUCB",
    "EXP3",
    "EllipticalPotential",
    "EpsilonGreedy",
    "ExploreThenCommit",
    "FluidLPResult",
    "GaussianBandit",
    "GittinsBeta",
    "KLUCB",
    "KL_TOLERANCE",
    "LinearBandit",
    "LinearThompson",
    "MILPArgmax",
    "MOSS",
    "OFUL",
    "PiecewiseStationaryBandit",
    "PriorityPolicy",
    "QSamplingPolicy",
    "RestlessArm",
    "RestlessProblem",
    "RestlessRandomPolicy",
    "SequoiaPolicy",
    "SequoiaResult",
    "SimulationResult",
    "SlidingWindowUCB",
    "ThompsonBeta",
    "ThompsonGaussian",
    "UCB1",
    "UCBV",
    "WhittleResult",
    "best_perm",
    "capacity_constraints",
    "cascade_klucb_regret_bound",
    "cascade_list_value",
    "cascade_lower_bound",
    "cascade_lower_bound_constant",
    "cascade_ucb1_regret_bound",
    "cascading_bpi",
    "cascading_bpi_sample_complexity",
    "cascading_vi",
    "cascading_vi_regret_bound",
    "coupled_joint_mdp",
    "elliptical_potential",
    "enumerate_lists",
    "enumerated_cascade_bandit",
    "enumerated_ucbvi",
    "etc_regret_bound",
    "evaluate_cascading_policy",
    "evaluate_restless_policy",
    "exp3_gamma",
    "exp3_regret_bound",
    "fluid_lp",
    "gittins_index",
    "gittins_index_beta",
    "joint_mdp",
    "kl_bernoulli",
    "kl_gaussian",
    "klucb_asymptotic_constant",
    "klucb_regret_bound",
    "klucb_index",
    "lai_robbins_constant",
    "lai_robbins_lower_bound",
    "lp_priority_policy",
    "moss_regret_bound",
    "multiple_interventions",
    "myopic_policy",
    "oful_radius",
    "oful_regret_bound",
    "path_constraints",
    "relu_forward",
    "relu_milp_argmax",
    "scheduling_constraints",
    "sequoia",
    "simulate",
    "simulate_cascade",
    "solve_cascading_mdp",
    "thompson_regret_bound",
    "two_state_whittle_index",
    "ucb1_regret_bound",
    "whittle_index",
    "whittle_policy",
]
