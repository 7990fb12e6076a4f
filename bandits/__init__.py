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
    "EXP3",
    "KLUCB",
    "KL_TOLERANCE",
    "MOSS",
    "OFUL",
    "UCB1",
    "UCBV",
    "AdversarialBandit",
    "BanditEnvironment",
    "BanditPolicy",
    "BernoulliBandit",
    "BetaBandit",
    "EllipticalPotential",
    "EpsilonGreedy",
    "ExploreThenCommit",
    "GaussianBandit",
    "GittinsBeta",
    "LinearBandit",
    "LinearThompson",
    "PiecewiseStationaryBandit",
    "SimulationResult",
    "ThompsonBeta",
    "ThompsonGaussian",
    "elliptical_potential",
    "etc_regret_bound",
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
    "ucb1_regret_bound",
]
