"""Valid example calls of ``bandits``' public callables (see ``tests/api_examples``)."""

from __future__ import annotations

import numpy as np

import bandits as b
from tests.api_examples import Example


# ----------------------------------------------------------------------- builders
def _bernoulli():
    return b.BernoulliBandit(np.array([0.2, 0.5]))


def _cascade():
    return b.CascadeBandit(np.array([0.4, 0.3, 0.1]), 2)


def _cmdp():
    return b.CascadingMDP(np.array([[0.5, 0.2]]), np.ones((1, 3, 1)), np.array([[1.0, 0.5]]), list_length=2, horizon=3)


def _arm():
    return b.RestlessArm.two_state([0.1, 0.7], [0.5, 0.9])


def _restless():
    return b.RestlessProblem(_arm(), 1.0, n_arms=2, gamma=0.5)


def _constraints():
    return b.multiple_interventions(2, np.array([1.0]), 1.0)


def _coupled():
    return b.CoupledRestlessProblem(np.array([[0.2, 0.6]] * 2), np.array([[0.5, 0.5]] * 2), _constraints(), gamma=0.9)


def _layers():
    # Q(s, u) = u_0 + 2 u_1 - 0.5 relu(s_0 - u_0): input N = 2 states + N J = 2 interventions
    return [
        (np.array([[1.0, 0.0, -1.0, 0.0], [0.0, 0.0, 1.0, 2.0]]), np.zeros(2)),
        (np.array([[-0.5, 1.0]]), np.zeros(1)),
    ]


def _action_constraints():
    # a trivial equality row 0 = 0: with an empty (0, D) A_eq, rlcore.validation's Array
    # cannot derive invalid values (IndexError on a size-0 example)
    c = _constraints()
    return {
        "n_arms": 2,
        "n_levels": 1,
        "G": np.array(c.G),
        "A_ub": np.array(c.A_ub),
        "b_ub": np.array(c.b_ub),
        "A_eq": np.zeros((1, 2)),
        "b_eq": np.zeros(1),
        "name": "budget",
    }


_SIMPLE = {
    "UCB1": Example(lambda: {}),
    "MOSS": Example(lambda: {}),
    "ThompsonBeta": Example(lambda: {}),
    "CascadeUCB1": Example(lambda: {}),
    "CascadeKLUCB": Example(lambda: {}),
    "BanditEnvironment": Example(lambda: {}),
}

EXAMPLES: dict[str, Example] = {
    **_SIMPLE,
    # environments and the engine
    "BernoulliBandit": Example(lambda: {"means": np.array([0.2, 0.5])}),
    "GaussianBandit": Example(lambda: {"means": np.array([0.0, 1.0]), "sigma": 0.5}),
    "BetaBandit": Example(lambda: {"alpha": np.array([1.0, 3.0]), "beta": np.array([1.0, 1.0])}),
    "PiecewiseStationaryBandit": Example(
        lambda: {
            "means": np.array([[0.9, 0.1], [0.1, 0.9]]),
            "change_points": np.array([2]),
            "distribution": "bernoulli",
            "sigma": 1.0,
        }
    ),
    "AdversarialBandit": Example(lambda: {"rewards": np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])}),
    "simulate": Example(lambda: {"policy": b.UCB1(), "env": _bernoulli(), "horizon": 20, "n_runs": 2, "rng": 0}),
    # policies
    "ExploreThenCommit": Example(lambda: {"m": 10}),
    "EpsilonGreedy": Example(lambda: {"epsilon": 0.1}),
    "UCBV": Example(lambda: {"zeta": 1.2, "b": 1.0, "c": 1.0}),
    "KLUCB": Example(lambda: {"c": 3.0, "kl": "bernoulli", "sigma": 1.0}),
    "ThompsonGaussian": Example(lambda: {"sigma": 0.5}),
    "EXP3": Example(lambda: {"gamma": 0.1}),
    "DiscountedUCB": Example(lambda: {"gamma": 0.99, "alpha": 2.4}),
    "SlidingWindowUCB": Example(lambda: {"window": 50, "alpha": 0.6}),
    # divergences
    "kl_bernoulli": Example(lambda: {"p": 0.5, "q": np.array([0.25, 0.75])}),
    "kl_gaussian": Example(
        lambda: {"p": 0.0, "q": 1.0, "sigma": 0.5},
        nonfinite={"*": "((p - q) / sigma)^2 / 2 exceeds the float64 range (tiny sigma)"},
    ),
    "klucb_index": Example(lambda: {"mean": 0.2, "n": 10, "t": 100}),
    # linear bandits
    "LinearBandit": Example(lambda: {"features": np.eye(2), "theta": np.array([0.2, 0.5]), "sigma": 0.1}),
    "OFUL": Example(lambda: {"features": np.eye(2), "lam": 1.0, "delta": 0.05, "S": 1.0, "R": 0.1}),
    "LinearThompson": Example(lambda: {"features": np.eye(2), "lam": 1.0, "v": 0.5}),
    "oful_radius": Example(lambda: {"logdet_V": 1.0, "dim": 2, "lam": 1.0, "delta": 0.05, "S": 1.0, "R": 1.0}),
    "elliptical_potential": Example(lambda: {"X": np.eye(3), "lam": 1.0}),
    # Gittins
    "gittins_index": Example(
        lambda: {"P": np.array([[0.0, 1.0], [0.0, 1.0]]), "r": np.array([0.0, 1.0]), "gamma": 0.5}
    ),
    "gittins_index_beta": Example(
        lambda: {"a": 1.0, "b": 1.0, "gamma": 0.9, "epsilon": 1e-6},
        skip_params={"depth": "depth = 10**4 costs about 8 s (O(depth^2) per step of the bisection)"},
    ),
    "GittinsBeta": Example(lambda: {"gamma": 0.9, "epsilon": 1e-6}),
    # bounds
    "ucb1_regret_bound": Example(lambda: {"means": np.array([0.5, 0.4]), "horizon": 1000}),
    "etc_regret_bound": Example(lambda: {"means": np.array([0.5, 0.0]), "horizon": 1000, "m": 50}),
    "lai_robbins_constant": Example(lambda: {"means": np.array([0.9, 0.8])}),
    "lai_robbins_lower_bound": Example(lambda: {"means": np.array([0.9, 0.8]), "horizon": np.array([1, 100])}),
    "klucb_asymptotic_constant": Example(lambda: {"means": np.array([0.9, 0.8])}),
    "klucb_regret_bound": Example(lambda: {"means": np.array([0.9, 0.8]), "horizon": 1000}),
    "thompson_regret_bound": Example(lambda: {"means": np.array([0.9, 0.5]), "horizon": 100}),
    "moss_regret_bound": Example(lambda: {"horizon": 100, "n_arms": 4}),
    "exp3_gamma": Example(lambda: {"horizon": 10_000, "n_arms": 10}),
    "exp3_regret_bound": Example(
        lambda: {"horizon": 10_000, "n_arms": 10, "gamma": 0.1},
        nonfinite={"*": "K ln K / gamma exceeds the float64 range (gamma below about 1e-308): the bound is vacuous"},
    ),
    "oful_regret_bound": Example(lambda: {"horizon": 1000, "dim": 2, "delta": 0.05}),
    # cascading bandits
    "CascadeBandit": Example(lambda: {"attraction": np.array([0.1, 0.5, 0.3]), "list_length": 2}),
    "simulate_cascade": Example(
        lambda: {"policy": b.CascadeKLUCB(), "env": _cascade(), "horizon": 30, "n_runs": 2, "rng": 0}
    ),
    "enumerated_cascade_bandit": Example(lambda: {"env": _cascade()}),
    "enumerate_lists": Example(lambda: {"n_items": 3, "max_length": 2, "min_length": 0}),
    "cascade_list_value": Example(lambda: {"attraction": np.array([0.5, 0.2, 0.1]), "lists": np.array([0, 1])}),
    "cascade_ucb1_regret_bound": Example(
        lambda: {"attraction": np.array([0.5, 0.4, 0.2, 0.1]), "list_length": 2, "horizon": 1000}
    ),
    "cascade_klucb_regret_bound": Example(
        lambda: {"attraction": np.array([0.5, 0.4, 0.2, 0.1]), "list_length": 2, "horizon": 1000}
    ),
    "cascade_lower_bound_constant": Example(lambda: {"n_items": 10, "list_length": 2, "p": 0.2, "gap": 0.1}),
    "cascade_lower_bound": Example(
        lambda: {"n_items": 10, "list_length": 2, "p": 0.2, "gap": 0.1, "horizon": np.array([1, 100])}
    ),
    # cascading RL
    "best_perm": Example(
        lambda: {
            "attraction": np.array([0.5, 0.9, 0.2]),
            "values": np.array([1.0, 0.5, 3.0]),
            "no_click_value": 0.0,
            "max_length": 2,
        }
    ),
    "CascadingMDP": Example(
        lambda: {
            "attraction": np.array([[0.5, 0.2]]),
            "transitions": np.ones((1, 3, 1)),
            "rewards": np.array([[1.0, 0.5]]),
            "list_length": 2,
            "horizon": 3,
        }
    ),
    "solve_cascading_mdp": Example(lambda: {"mdp": _cmdp()}),
    "evaluate_cascading_policy": Example(
        lambda: {"mdp": _cmdp(), "policy": np.array([[[1, -1]], [[1, 0]], [[0, -1]]])}
    ),
    "cascading_vi": Example(lambda: {"mdp": _cmdp(), "n_episodes": 5, "rng": 0}),
    "cascading_bpi": Example(lambda: {"mdp": _cmdp(), "epsilon": 0.5, "max_episodes": 5, "rng": 0}),
    "enumerated_ucbvi": Example(lambda: {"mdp": _cmdp(), "n_episodes": 5, "rng": 0}),
    "cascading_vi_regret_bound": Example(lambda: {"n_states": 2, "n_items": 3, "horizon": 2, "n_episodes": 100}),
    "cascading_bpi_sample_complexity": Example(lambda: {"n_states": 2, "n_items": 3, "horizon": 2, "epsilon": 0.5}),
    # restless bandits
    "RestlessArm": Example(lambda: {"P": np.array(_arm().P), "R": np.array(_arm().R)}),
    "RestlessProblem": Example(lambda: {"arms": _arm(), "budget": 1.0, "n_arms": 3, "gamma": 0.9}),
    "PriorityPolicy": Example(lambda: {"problem": _restless(), "priority": np.array([0.2, 0.1])}),
    "whittle_policy": Example(lambda: {"problem": _restless(), "indices": np.array([0.2, 0.1])}),
    "myopic_policy": Example(lambda: {"problem": _restless()}),
    "RestlessRandomPolicy": Example(lambda: {"problem": _restless(), "p_act": 0.5}),
    "evaluate_restless_policy": Example(
        lambda: {"problem": _restless(), "policy": b.myopic_policy(_restless()), "n_runs": 4, "rng": 0}
    ),
    "joint_mdp": Example(lambda: {"problem": _restless()}),
    "whittle_index": Example(lambda: {"P": _arm(), "gamma": 0.9}),
    "two_state_whittle_index": Example(
        lambda: {"p_passive": np.array([0.1, 0.7]), "p_active": np.array([0.5, 0.9]), "gamma": 0.9}
    ),
    "fluid_lp": Example(lambda: {"problem": _restless()}),
    "lp_priority_policy": Example(lambda: {"problem": _restless()}),
    # coupled restless bandits and SEQUOIA
    "ActionConstraints": Example(_action_constraints),
    "multiple_interventions": Example(lambda: {"n_arms": 3, "costs": np.array([1.0, 2.0]), "budget": 2.0}),
    "path_constraints": Example(
        lambda: {"n_arms": 4, "edges": np.array([[0, 1], [0, 2], [1, 3], [2, 3]]), "source": 0, "max_length": 3}
    ),
    "scheduling_constraints": Example(
        lambda: {"availability": np.array([[1, 0], [1, 1], [0, 1]]), "slot_capacity": np.array([1.0, 1.0])}
    ),
    "capacity_constraints": Example(
        lambda: {"reach": np.array([[1, 0], [1, 1], [0, 1]]), "capacity": np.array([1.0, 2.0]), "max_open": 1}
    ),
    "CoupledRestlessProblem": Example(
        lambda: {
            "p_passive": np.array([[0.2, 0.6]] * 2),
            "effects": np.array([[0.5, 0.5]] * 2),
            "constraints": _constraints(),
            "gamma": 0.9,
        }
    ),
    "coupled_joint_mdp": Example(lambda: {"problem": _coupled()}),
    "CoupledRandomPolicy": Example(lambda: {"problem": _coupled()}),
    "CoupledMyopicPolicy": Example(lambda: {"problem": _coupled()}),
    "relu_forward": Example(lambda: {"layers": _layers(), "x": np.array([[0.0, 1.0, 1.0, 0.0]])}),
    "relu_milp_argmax": Example(
        lambda: {"layers": _layers(), "state_features": np.array([1.0, 0.0]), "constraints": _constraints()}
    ),
    "SequoiaPolicy": Example(lambda: {"problem": _coupled(), "layers": _layers()}),
    "QSamplingPolicy": Example(lambda: {"problem": _coupled(), "layers": _layers(), "n_samples": 4}),
    "sequoia": Example(
        lambda: {
            "problem": _coupled(),
            "n_steps": 4,
            "hidden_sizes": (2,),
            "episode_length": 3,
            "batch_size": 2,
            "target_update_every": 2,
            "rng": 0,
        },
        sweep=False,
        why="a training loop (Q-learning with MILPs): its edge values are checked "
        "by the refusals, one small run is the valid call",
    ),
}

_RESULT = "result type: built by the library and returned, not called with user input"

EXEMPT: dict[str, str] = {
    "BanditPolicy": "Protocol class: the interface user policies follow, never called with arguments",
    "KL_TOLERANCE": "a constant (the KL-UCB solver's relative tolerance), not callable",
    "SimulationResult": _RESULT,
    "RegretResult": _RESULT,
    "BestPermResult": _RESULT,
    "CascadeSimulationResult": _RESULT,
    "CascadingBPIResult": _RESULT,
    "CascadingLearnerResult": _RESULT,
    "CascadingPlanningResult": _RESULT,
    "EllipticalPotential": _RESULT,
    "FluidLPResult": _RESULT,
    "MILPArgmax": _RESULT,
    "SequoiaResult": _RESULT,
    "WhittleResult": _RESULT,
}
