"""bandits: stochastic, adversarial, linear, Bayesian, cascading and restless bandits, and their bounds.

One subpackage per domain; every public name is also importable from ``bandits`` itself.

=====================================  ===========================================
:mod:`bandits.stochastic`              ``K``-armed bandits: environments
                                       (:class:`BernoulliBandit`, :class:`GaussianBandit`,
                                       :class:`BetaBandit`, :class:`PiecewiseStationaryBandit`,
                                       :class:`AdversarialBandit`), policies
                                       (:class:`ExploreThenCommit`, :class:`EpsilonGreedy`,
                                       :class:`UCB1`, :class:`UCBV`, :class:`KLUCB`,
                                       :class:`MOSS`, :class:`ThompsonBeta`,
                                       :class:`ThompsonGaussian`, :class:`EXP3`;
                                       non-stationary :class:`DiscountedUCB`,
                                       :class:`SlidingWindowUCB`), the engine
                                       :func:`simulate`, divergences (:func:`kl_bernoulli`,
                                       :func:`kl_gaussian`, :func:`klucb_index`), Gittins
                                       indices (:func:`gittins_index`,
                                       :func:`gittins_index_beta`, :class:`GittinsBeta`) and
                                       the bounds (:func:`ucb1_regret_bound`,
                                       :func:`etc_regret_bound`, :func:`lai_robbins_constant`,
                                       :func:`klucb_regret_bound`,
                                       :func:`thompson_regret_bound`,
                                       :func:`moss_regret_bound`, :func:`exp3_regret_bound`, ...)
:mod:`bandits.linear`                  :class:`LinearBandit`, :class:`OFUL` (LinUCB),
                                       :class:`LinearThompson`, :func:`oful_radius`,
                                       :func:`oful_regret_bound`, :func:`elliptical_potential`
:mod:`bandits.cascading`               cascading bandits (:class:`CascadeBandit`,
                                       :class:`CascadeUCB1`, :class:`CascadeKLUCB`, the engine
                                       :func:`simulate_cascade`, their bounds) and cascading
                                       RL (:class:`CascadingMDP`, :func:`best_perm`,
                                       :func:`solve_cascading_mdp`, :func:`cascading_vi`,
                                       :func:`cascading_bpi`)
:mod:`bandits.restless`                restless bandits (:class:`RestlessArm`,
                                       :class:`RestlessProblem`, :func:`whittle_index`,
                                       :func:`fluid_lp`, :func:`whittle_policy`,
                                       :func:`lp_priority_policy`) and coupled restless
                                       bandits with combinatorial actions
                                       (:class:`CoupledRestlessProblem`,
                                       :class:`ActionConstraints`, :func:`relu_milp_argmax`)
:mod:`bandits.deep`                    the deep variant: SEQUOIA (:func:`sequoia`), deep
                                       Q-learning with MILP action maximisation (needs torch)
:mod:`bandits.regret`                  :class:`RegretResult`, the result of both engines
=====================================  ===========================================

Two engines run the policies, one per feedback model: :func:`simulate` for ``K``-armed
bandits (the pulled arm's reward is observed; compiled for the built-in policies, Python
for any object following the :class:`BanditPolicy` protocol, identical trajectories for
the same seed) and :func:`simulate_cascade` for the cascade model (a click position in a
list). Both return a :class:`RegretResult`. Each policy's docstring states its guarantee,
and the bound functions compute it, so that empirical regret can be plotted against it.
"""

from rlcore import _numba_cache  # noqa: F401  (first: gives Numba a cache location before any kernel is defined)
from functools import partial
from importlib import import_module
from typing import TYPE_CHECKING

from rlcore._lazy import attach, when_imported

if TYPE_CHECKING:  # these names load on first access (rlcore._lazy.attach)
    from bandits.regret import RegretResult
    from bandits.stochastic import (
        EXP3,
        KL_TOLERANCE,
        KLUCB,
        MOSS,
        UCB1,
        UCBV,
        AdversarialBandit,
        BanditEnvironment,
        BanditPolicy,
        BernoulliBandit,
        BetaBandit,
        DiscountedUCB,
        EpsilonGreedy,
        ExploreThenCommit,
        GaussianBandit,
        GittinsBeta,
        PiecewiseStationaryBandit,
        SimulationResult,
        SlidingWindowUCB,
        ThompsonBeta,
        ThompsonGaussian,
        etc_regret_bound,
        exp3_gamma,
        exp3_regret_bound,
        gittins_index,
        gittins_index_beta,
        kl_bernoulli,
        kl_gaussian,
        klucb_asymptotic_constant,
        klucb_index,
        klucb_regret_bound,
        lai_robbins_constant,
        lai_robbins_lower_bound,
        moss_regret_bound,
        simulate,
        thompson_regret_bound,
        ucb1_regret_bound,
    )
    from bandits.linear import (
        OFUL,
        EllipticalPotential,
        LinearBandit,
        LinearThompson,
        elliptical_potential,
        oful_radius,
        oful_regret_bound,
    )
    from bandits.cascading import (
        BestPermResult,
        CascadeBandit,
        CascadeKLUCB,
        CascadeSimulationResult,
        CascadeUCB1,
        CascadingBPIResult,
        CascadingLearnerResult,
        CascadingMDP,
        CascadingPlanningResult,
        best_perm,
        cascade_klucb_regret_bound,
        cascade_list_value,
        cascade_lower_bound,
        cascade_lower_bound_constant,
        cascade_ucb1_regret_bound,
        cascading_bpi,
        cascading_bpi_sample_complexity,
        cascading_vi,
        cascading_vi_regret_bound,
        enumerate_lists,
        enumerated_cascade_bandit,
        enumerated_ucbvi,
        evaluate_cascading_policy,
        simulate_cascade,
        solve_cascading_mdp,
    )
    from bandits.restless import (
        ActionConstraints,
        CoupledMyopicPolicy,
        CoupledRandomPolicy,
        CoupledRestlessProblem,
        FluidLPResult,
        MILPArgmax,
        PriorityPolicy,
        QSamplingPolicy,
        RestlessArm,
        RestlessProblem,
        RestlessRandomPolicy,
        SequoiaPolicy,
        WhittleResult,
        capacity_constraints,
        coupled_joint_mdp,
        evaluate_restless_policy,
        fluid_lp,
        joint_mdp,
        lp_priority_policy,
        multiple_interventions,
        myopic_policy,
        path_constraints,
        relu_forward,
        relu_milp_argmax,
        scheduling_constraints,
        two_state_whittle_index,
        whittle_index,
        whittle_policy,
    )
    from bandits.deep import SequoiaResult, sequoia

__all__ = [
    "ActionConstraints",
    "AdversarialBandit",
    "BanditEnvironment",
    "BanditPolicy",
    "BernoulliBandit",
    "BestPermResult",
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
    "RegretResult",
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
    "klucb_index",
    "klucb_regret_bound",
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

attach(__name__)
# the rlref/ bandit ids join Gymnasium's registry when Gymnasium is imported
when_imported("gymnasium", partial(import_module, "bandits.gym_registry"))
