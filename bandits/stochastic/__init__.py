"""bandits.stochastic: ``K``-armed bandits, their policies, the simulation engine and the bounds.

===============================  ==================================================================
module                           contents
===============================  ==================================================================
:mod:`.environments`             :class:`BanditEnvironment`, :class:`BernoulliBandit`,
                                 :class:`GaussianBandit`, :class:`BetaBandit`,
                                 :class:`PiecewiseStationaryBandit`, :class:`AdversarialBandit`
:mod:`.policies`                 :class:`BanditPolicy` (the protocol), :class:`ExploreThenCommit`,
                                 :class:`EpsilonGreedy`, :class:`UCB1`, :class:`UCBV`,
                                 :class:`KLUCB`, :class:`MOSS`, :class:`ThompsonBeta`,
                                 :class:`ThompsonGaussian`, :class:`EXP3`
:mod:`.nonstationary`            :class:`DiscountedUCB`, :class:`SlidingWindowUCB`
:mod:`.engine`                   :func:`simulate`, :class:`SimulationResult`
:mod:`.kl`                       :func:`kl_bernoulli`, :func:`kl_gaussian`, :func:`klucb_index`
:mod:`.bounds`                   closed-form regret bounds and lower-bound constants
:mod:`.thompson_bound`           :func:`thompson_regret_bound` (evaluated exactly)
:mod:`.gittins`                  :func:`gittins_index`, :func:`gittins_index_beta`,
                                 :class:`GittinsBeta`
===============================  ==================================================================

Environments and policies meet in one engine, :func:`simulate`, which runs
``policy x environment x runs x horizon`` in compiled code for the built-in policies and
in Python for any object following the :class:`BanditPolicy` protocol, with identical
trajectories for the same seed.
"""

from bandits.stochastic.bounds import (
    etc_regret_bound,
    exp3_gamma,
    exp3_regret_bound,
    klucb_asymptotic_constant,
    klucb_regret_bound,
    lai_robbins_constant,
    lai_robbins_lower_bound,
    moss_regret_bound,
    ucb1_regret_bound,
)
from bandits.stochastic.engine import SimulationResult, simulate
from bandits.stochastic.environments import (
    AdversarialBandit,
    BanditEnvironment,
    BernoulliBandit,
    BetaBandit,
    GaussianBandit,
    PiecewiseStationaryBandit,
)
from bandits.stochastic.gittins import GittinsBeta, gittins_index, gittins_index_beta
from bandits.stochastic.kl import KL_TOLERANCE, kl_bernoulli, kl_gaussian, klucb_index
from bandits.stochastic.nonstationary import DiscountedUCB, SlidingWindowUCB
from bandits.stochastic.policies import (
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
from bandits.stochastic.thompson_bound import thompson_regret_bound

__all__ = [
    "AdversarialBandit",
    "BanditEnvironment",
    "BanditPolicy",
    "BernoulliBandit",
    "BetaBandit",
    "DiscountedUCB",
    "EXP3",
    "EpsilonGreedy",
    "ExploreThenCommit",
    "GaussianBandit",
    "GittinsBeta",
    "KLUCB",
    "KL_TOLERANCE",
    "MOSS",
    "PiecewiseStationaryBandit",
    "SimulationResult",
    "SlidingWindowUCB",
    "ThompsonBeta",
    "ThompsonGaussian",
    "UCB1",
    "UCBV",
    "etc_regret_bound",
    "exp3_gamma",
    "exp3_regret_bound",
    "gittins_index",
    "gittins_index_beta",
    "kl_bernoulli",
    "kl_gaussian",
    "klucb_asymptotic_constant",
    "klucb_index",
    "klucb_regret_bound",
    "lai_robbins_constant",
    "lai_robbins_lower_bound",
    "moss_regret_bound",
    "simulate",
    "thompson_regret_bound",
    "ucb1_regret_bound",
]
