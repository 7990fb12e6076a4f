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
                                       :class:`ThompsonGaussian`, :class:`EXP3`
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
                                       :func:`moss_regret_bound`, :func:`exp3_regret_bound`,
                                       :func:`oful_regret_bound`
cascading bandits                      :class:`CascadeBandit`, :class:`CascadeUCB1`,
                                       :class:`CascadeKLUCB`, :func:`simulate_cascade`
cascading RL                           :class:`CascadingMDP`, :func:`best_perm`,
                                       :func:`solve_cascading_mdp`, :func:`cascading_vi`,
                                       :func:`cascading_bpi`
=====================================  ===========================================
"""

from bandits.bounds import (
    etc_regret_bound,
    exp3_gamma,
    exp3_regret_bound,
    klucb_asymptotic_constant,
    lai_robbins_constant,
    lai_robbins_lower_bound,
    moss_regret_bound,
    oful_regret_bound,
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
    EpsilonGreedy,
    ExploreThenCommit,
    ThompsonBeta,
    ThompsonGaussian,
)

__all__ = [
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
    "EXP3",
    "EllipticalPotential",
    "EpsilonGreedy",
    "ExploreThenCommit",
    "GaussianBandit",
    "GittinsBeta",
    "KLUCB",
    "KL_TOLERANCE",
    "LinearBandit",
    "LinearThompson",
    "MOSS",
    "OFUL",
    "PiecewiseStationaryBandit",
    "SimulationResult",
    "ThompsonBeta",
    "ThompsonGaussian",
    "UCB1",
    "UCBV",
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
    "elliptical_potential",
    "enumerate_lists",
    "enumerated_cascade_bandit",
    "enumerated_ucbvi",
    "etc_regret_bound",
    "evaluate_cascading_policy",
    "exp3_gamma",
    "exp3_regret_bound",
    "gittins_index",
    "gittins_index_beta",
    "kl_bernoulli",
    "kl_gaussian",
    "klucb_asymptotic_constant",
    "klucb_index",
    "lai_robbins_constant",
    "lai_robbins_lower_bound",
    "moss_regret_bound",
    "oful_radius",
    "oful_regret_bound",
    "simulate",
    "simulate_cascade",
    "solve_cascading_mdp",
    "ucb1_regret_bound",
]
