"""Valid example calls of ``tabular``'s public callables (see ``tests/api_examples``)."""

from __future__ import annotations

import numpy as np

from rlcore import FiniteMDP
from rlcore.generators import combination_lock, forest, river_swim, sticky_actions
from tests.api_examples import Example


def _mdp():
    return forest(3, gamma=0.9)


def _fh():
    return river_swim(4, horizon=3)


# ---------------------------------------------------------------- the other modules' inputs
def _coin(**criterion):
    """Two states, one action, a fair coin between them; reward 0 or 1."""
    return FiniteMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], **criterion)


def _cvar():
    from tabular import CVaR

    return CVaR(0.5)


def _gap():
    """Two steps; a sure 1 (action 0) or a fair coin moving to a state that pays 3 or 0 (action 1)."""
    P = np.zeros((3, 2, 3))
    P[:, 0, 0] = 1.0
    P[:, 1, 1] = P[:, 1, 2] = 0.5
    R = np.array([[1.0, 0.0], [3.0, 3.0], [0.0, 0.0]])
    return FiniteMDP(P, R, horizon=2, initial=[1.0, 0.0, 0.0])


def _ucbvi():
    from tabular.exploration import UCBVI

    return UCBVI(4, 2, 3, c=0.5)


_T = np.eye(6).reshape(3, 2, 6)


def _lsvi_samples():
    rng = np.random.default_rng(0)
    s, a, s2 = rng.integers(0, 3, 8), rng.integers(0, 2, 8), rng.integers(0, 3, 8)
    return {
        "features": _T[s, a],
        "rewards": rng.random(8),
        "next_features": _T[s2],
        "bootstrap": np.ones(8, bool),
        "steps": rng.integers(0, 2, 8),
        "horizon": 2,
        "beta": 0.5,
        "sign": -1,
        "lam": 1.0,
    }


def _lock(h=3):
    return combination_lock(h, 2, combination=[1, 0, 1][:h])


def _sticky():
    return sticky_actions(combination_lock(2, 2, combination=[1, 0]), 0.25)


def _value(mdp):
    from rlcore import evaluate_policy

    return lambda pi: float(evaluate_policy(mdp, pi).V[0] @ mdp.initial)


def _learner(**extra):
    lock = _lock(2)
    return {"sim": lock, "horizon": 2, "n_actions": 2, "n_episodes": 2, "rng": 0, **extra}


_TRAINING = "trains a torch network: too slow to repeat for every edge value"


EXAMPLES: dict[str, Example] = {
    "value_iteration": Example(lambda: {"mdp": _mdp(), "epsilon": 1e-6}),
    "policy_iteration": Example(lambda: {"mdp": _mdp()}),
    "modified_policy_iteration": Example(lambda: {"mdp": _mdp(), "m": 3}),
    "solve": Example(lambda: {"mdp": _mdp(), "method": "auto"}),
    "certify": Example(lambda: {"mdp": _mdp(), "V": np.zeros(3)}),
    "bellman_backup": Example(lambda: {"mdp": _mdp(), "V": np.zeros(3)}),
    "backward_induction": Example(lambda: {"mdp": _fh()}),
    "relative_value_iteration": Example(lambda: {"mdp": _mdp(), "epsilon": 1e-6}),
    "linear_programming": Example(lambda: {"mdp": _mdp()}),
    "soft_bellman_backup": Example(lambda: {"mdp": _mdp(), "V": np.zeros(3), "beta": 0.5}),
    "soft_value_iteration": Example(lambda: {"mdp": _mdp(), "beta": 0.5}),
    "soft_backward_induction": Example(lambda: {"mdp": _fh(), "beta": 0.5}),
    "regularisation_gap_bound": Example(lambda: {"mdp": _mdp(), "beta": 0.5}),
    "regularised_policy_value": Example(lambda: {"mdp": _mdp(), "policy": np.zeros(3, dtype=int), "beta": 0.5}),
    # distributional
    "categorical_bellman_operator": Example(
        lambda: {
            "mdp": _coin(gamma=0.5),
            "policy": np.zeros(2, dtype=int),
            "probs": np.full((2, 3), 1.0 / 3.0),
            "support": np.linspace(0.0, 2.0, 3),
            "t": 0,
        }
    ),
    "quantile_bellman_operator": Example(
        lambda: {"mdp": _coin(horizon=2), "policy": np.zeros(2, dtype=int), "locations": np.zeros((2, 3)), "t": 1}
    ),
    "projection_error_bound": Example(lambda: {"mdp": _coin(gamma=0.5), "representation": "quantile", "n_atoms": 5}),
    "distributional_evaluation": Example(
        lambda: {
            "mdp": _coin(gamma=0.5),
            "policy": np.zeros(2, dtype=int),
            "n_atoms": 5,
            "epsilon": 1e-6,
            "max_iter": 200,
        }
    ),
    # stock augmentation
    "ExpectedUtility": Example(lambda: {"utility": lambda g: -np.exp(-0.5 * g)}),
    "ThresholdProbability": Example(lambda: {"threshold": 3.0}),
    "CVaR": Example(lambda: {"alpha": 0.25}),
    "ValueAtRisk": Example(lambda: {"alpha": 0.25}),
    "MeanVariance": Example(lambda: {"risk_aversion": 1.0}),
    "truncate_discounted": Example(lambda: {"mdp": _coin(gamma=0.5), "horizon": 3}),
    "stock_augment": Example(lambda: {"mdp": _gap(), "max_stocks": 50}),
    "optimize_return_distribution": Example(lambda: {"mdp": _gap(), "objective": _cvar()}),
    # effective horizon
    "random_policy_q": Example(lambda: {"mdp": _lock()}),
    "k_qvi": Example(lambda: {"mdp": _lock(), "k": 2}),
    "k_qvi_check": Example(lambda: {"mdp": _lock(), "k": 1}),
    "is_k_qvi_solvable": Example(lambda: {"mdp": _lock(), "k": 1}),
    "min_k": Example(lambda: {"mdp": _lock()}),
    "effective_planning_window": Example(lambda: {"mdp": _lock()}),
    "effective_horizon_bound": Example(
        lambda: {"mdp": _lock()},
        nonfinite={"k_results": "EffectiveHorizonK.gap is inf at a state without suboptimal actions"},
    ),
    "sqirl_sample_bound": Example(
        lambda: {"mdp": _sticky(), "k": 1, "delta": 0.1},
        nonfinite={
            f: "inf where no state matters, or where no finite number of episodes suffices"
            for f in ("m", "effective_horizon", "gap", "reach_lower", "m_per_step")
        },
    ),
    "stochastic_effective_horizon": Example(
        lambda: {"mdp": _sticky(), "delta": 0.1},
        nonfinite={
            "effective_horizon": "no k gives a finite bound",
            "m": "no k gives a finite bound",
            "k_results": "SQIRLSampleBound fields are inf as documented there",
        },
    ),
    # learners through the simulator
    "gorp": Example(lambda: {"sim": _lock(), "horizon": 3, "n_actions": 2, "k": 1, "m": 4, "rng": 0}),
    "sqirl": Example(lambda: {"sim": _sticky(), "horizon": 2, "n_actions": 2, "k": 1, "m": 8, "rng": 0}),
    "sqirl_sample_complexity": Example(
        lambda: {"mdp": _lock(2), "ks": (1,), "ms": (2, 4), "seeds": 2},
        nonfinite={"episodes": "no grid point reached the required success rate"},
    ),
    "median_episodes_to_target": Example(
        lambda: {"episodes": [10, None, 30]}, nonfinite={"*": "half or more of the runs never reached the target"}
    ),
    "q_learning": Example(
        lambda: {
            "sim": _lock(2),
            "horizon": 2,
            "n_states": _lock(2).n_states,
            "n_actions": 2,
            "n_episodes": 4,
            "n_envs": 2,
            "rng": 0,
            "evaluate": _value(_lock(2)),
            "eval_every": 2,
            "target_value": 0.5,
        }
    ),
    "one_hot_time_features": Example(lambda: {"n_states": 4, "horizon": 3}),
    "least_squares_value_iteration": Example(_lsvi_samples),
    "lsvi_backup": Example(
        lambda: {
            "features": _T.reshape(6, 6),
            "weights": np.ones(6),
            "cov_inv": np.eye(6),
            "beta": 0.5,
            "sign": 1,
            "cap": 2.0,
        }
    ),
    "lsvi_plan": Example(
        lambda: {
            "table": _T,
            "cov_inv": np.stack([np.eye(6)] * 2),
            "b": np.ones((2, 6)),
            "M": np.ones((2, 6, 3)),
            "beta": 0.5,
            "sign": 1,
        }
    ),
}


#: The deep learners of ``tabular.deep`` (not exported from ``tabular``), walked as the
#: namespace ``tabular.deep``.
_BUDGET_DEEP = "episodes of a near-random agent: the largest valid value would run for hours"
_AGENTS: list = []


def _dqn_agent():
    if not _AGENTS:
        from tabular.deep import train_dqn

        _AGENTS.append(
            train_dqn(
                "CartPole-v1", total_steps=20, learning_starts=10, hidden_sizes=(4,), n_eval_episodes=1, rng=0
            ).agent
        )
    return _AGENTS[0]


_AGENT_FILES: list[str] = []


def _agent_file() -> str:
    if not _AGENT_FILES:
        import atexit
        import os
        import shutil
        import tempfile

        folder = tempfile.mkdtemp(prefix="tabular_deep_walk_")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = os.path.join(folder, "agent.pt")
        _dqn_agent().save(path)
        _AGENT_FILES.append(path)
    return _AGENT_FILES[0]


def _sac_args():
    return {
        "env": "Pendulum-v1",
        "total_steps": 30,
        "learning_starts": 10,
        "batch_size": 4,
        "hidden_sizes": (4,),
        "n_eval_episodes": 1,
        "rng": 0,
    }


def _stream_env():
    from rlcore.generators import chain
    from rlcore.gym import as_gymnasium_env

    return as_gymnasium_env(chain(3, gamma=0.9), max_episode_steps=10)


def _zero_policy(obs):
    return np.zeros(len(obs), dtype=np.int64)


def _td_agent():
    from tabular.deep.streaming import train_stream_td

    return train_stream_td(
        _stream_env(), _zero_policy, total_steps=5, hidden_sizes=(4,), n_eval_episodes=1, rng=0
    ).agent


def _linear():
    from rlcore.deep import require_torch

    return require_torch("example").nn.Linear(3, 2)


_STREAM = {"total_steps": 20, "hidden_sizes": (4,), "n_eval_episodes": 1, "rng": 0}


DEEP_EXAMPLES: dict[str, Example] = {
    "dqn": Example(lambda: _learner(hidden_sizes=(4,), batch_size=2, buffer_size=8), sweep=False, why=_TRAINING),
    "ppo": Example(
        lambda: _learner(hidden_sizes=(4,), n_envs=2, minibatch_size=2, n_epochs=1), sweep=False, why=_TRAINING
    ),
    "train_dqn": Example(
        lambda: {
            "env": "CartPole-v1",
            "total_steps": 40,
            "learning_starts": 20,
            "train_freq": 10,
            "gradient_steps": 1,
            "batch_size": 4,
            "buffer_size": 64,
            "hidden_sizes": (4,),
            "n_eval_episodes": 1,
            "max_episode_steps": 30,
            "rng": 0,
        },
        sweep=False,
        why=_TRAINING,
    ),
    "value_head": Example(lambda: {"loss": "hl_gauss", "n_bins": 5, "v_min": 0.0, "v_max": 1.0}),
    "evaluate_agent": Example(
        lambda: {"env": "CartPole-v1", "agent": _dqn_agent(), "n_episodes": 2, "max_steps": 20, "rng": 0},
        skip_params={"n_episodes": _BUDGET_DEEP, "max_steps": _BUDGET_DEEP},
    ),
    "load_agent": Example(lambda: {"path": _agent_file()}),
    "sweep_run": Example(
        lambda: {
            "config": {
                "algorithm": "dqn",
                "env": "CartPole-v1",
                "total_steps": 30,
                "learning_starts": 10,
                "hidden_sizes": [4],
                "n_eval_episodes": 1,
                "max_episode_steps": 20,
            },
            "seed": 0,
        },
        sweep=False,
        why=_TRAINING,
    ),
    "train_sac": Example(lambda: _sac_args(), sweep=False, why=_TRAINING),
    "train_dsac_t": Example(lambda: _sac_args(), sweep=False, why=_TRAINING),
    "ObGD": Example(lambda: {"params": list(_linear().parameters())}),
    "sparse_init_": Example(lambda: {"module": _linear(), "sparsity": 0.5, "rng": 0}),
    "train_stream_q": Example(lambda: {"env": _stream_env(), **_STREAM}, sweep=False, why=_TRAINING),
    "train_stream_ac": Example(lambda: {"env": _stream_env(), **_STREAM}, sweep=False, why=_TRAINING),
    "train_stream_td": Example(
        lambda: {"env": _stream_env(), "policy": _zero_policy, **_STREAM}, sweep=False, why=_TRAINING
    ),
    "value_of": Example(lambda: {"agent": _td_agent(), "observations": np.arange(3)}),
    "train_ppo": Example(
        lambda: {
            "env": "CartPole-v1",
            "total_steps": 16,
            "n_steps": 4,
            "n_envs": 2,
            "batch_size": 4,
            "n_epochs": 1,
            "hidden_sizes": (4,),
            "n_eval_episodes": 1,
            "rng": 0,
        },
        sweep=False,
        why=_TRAINING,
    ),
}

#: Names of :mod:`tabular.deep` not walked.
DEEP_EXEMPT: dict[str, str] = {
    "DeepRLResult": "result dataclass, built by the trainers",
}

_BUDGET = "a budget whose largest valid value would run for hours"

#: The online learners of ``tabular.exploration``, walked as the namespace
#: ``tabular.exploration``.
EXPLORATION_EXAMPLES: dict[str, Example] = {
    "explore": Example(
        lambda: {"env": _fh(), "learner": _ucbvi(), "n_episodes": 3, "n_runs": 2, "rng": 0},
        skip_params={"n_episodes": _BUDGET, "n_runs": _BUDGET},
    ),
    "UCBVI": Example(lambda: {"n_states": 4, "n_actions": 2, "horizon": 3, "bonus": "bernstein", "c": 0.5}),
    "PSRL": Example(lambda: {"n_states": 4, "n_actions": 2, "horizon": 3, "transition_prior": 0.5}),
    "psrl_bayes_regret_bound": Example(lambda: {"n_states": 4, "n_actions": 2, "horizon": 3, "n_episodes": 10}),
    "RLSVI": Example(lambda: {"n_states": 4, "n_actions": 2, "horizon": 3, "features": np.eye(8).reshape(4, 2, 8)}),
    "rlsvi_regret_bound": Example(lambda: {"n_states": 4, "n_actions": 2, "horizon": 3, "n_episodes": 10}),
    "ucrl2": Example(
        lambda: {"env": river_swim(3, gamma=0.9), "n_steps": 50, "delta": 0.1, "n_runs": 2, "rng": 0},
        skip_params={"n_steps": _BUDGET, "n_runs": _BUDGET},
        nonfinite={
            "optimistic_gains": "-inf pads the epochs a run did not reach",
            "optimistic_gains_upper": "-inf pads the epochs a run did not reach",
        },
    ),
    "extended_value_iteration": Example(
        lambda: {
            "p_hat": np.full((2, 2, 2), 0.5),
            "r_hat": np.full((2, 2), 0.5),
            "p_radius": np.full((2, 2), 0.3),
            "r_radius": np.full((2, 2), 0.1),
            "epsilon": 1e-6,
            "max_iter": 1000,
        }
    ),
    "ucrl2_regret_bound": Example(
        lambda: {"diameter": 2.0, "n_states": 3, "n_actions": 2, "n_steps": 100, "delta": 0.1}
    ),
    "mdp_diameter": Example(lambda: {"mdp": river_swim(3, gamma=0.9)}),
    "LSVIUCB": Example(lambda: {"features": np.eye(8).reshape(4, 2, 8), "horizon": 3, "beta": 1.0}),
    "lsvi_ucb_beta": Example(lambda: {"dim": 6, "horizon": 3, "n_episodes": 10, "delta": 0.1}),
    "lsvi_ucb_regret_bound": Example(lambda: {"dim": 6, "horizon": 3, "n_episodes": 10, "delta": 0.1}),
    "OptimisticQLearning": Example(
        lambda: {"n_states": 4, "n_actions": 2, "horizon": 3, "bonus": "bernstein", "c": 0.5, "n_episodes": 10}
    ),
    "optimistic_q_regret_bound": Example(
        lambda: {"n_states": 4, "n_actions": 2, "horizon": 3, "n_episodes": 100, "delta": 0.1}
    ),
    "EpsilonGreedyQLearning": Example(lambda: {"n_states": 4, "n_actions": 2, "horizon": 3, "epsilon": 0.2}),
    "GreedyCertaintyEquivalence": Example(
        lambda: {"n_states": 4, "n_actions": 2, "horizon": 3, "stage_dependent": True}
    ),
    "episodic_regret_lower_bound": Example(lambda: {"n_states": 6, "n_actions": 2, "horizon": 10, "n_episodes": 1000}),
    "average_reward_regret_lower_bound": Example(
        lambda: {"diameter": 40.0, "n_states": 10, "n_actions": 10, "n_steps": 10**5}
    ),
    "MEX": Example(lambda: {"n_states": 4, "n_actions": 2, "horizon": 3, "eta": 0.5}),
    "LinearMEX": Example(lambda: {"features": np.eye(8).reshape(4, 2, 8), "horizon": 3, "eta": 0.5}),
    "mex_row_argmax": Example(
        lambda: {"g": np.array([0.0, 1.0, 2.0]), "counts": np.array([2.0, 1.0, 0.0]), "eta": 0.5}
    ),
    "mex_theoretical_eta": Example(lambda: {"d_gec": 4.0, "log_complexity": 3.0, "horizon": 5, "n_episodes": 100}),
    "ucbvi_regret_bound": Example(
        lambda: {"n_states": 4, "n_actions": 2, "horizon": 3, "n_episodes": 10, "delta": 0.1}
    ),
}

_RESULT = "result type: built by the library and returned, not called with user input"

EXPLORATION_EXEMPT: dict[str, str] = {
    "ExplorationResult": _RESULT,
    "PSRLPosterior": _RESULT + " (PSRL.posterior)",
    "MEXSolution": _RESULT + " (MEX.solve)",
    "LinearMEXSolution": _RESULT + " (LinearMEX.solve)",
    "UCRL2Result": _RESULT,
    "ExtendedValueIterationResult": _RESULT,
    "OnlineLearner": "protocol: the interface a learner follows, not called",
}

EXEMPT: dict[str, str] = {
    "AverageRewardResult": _RESULT,
    "Certificate": _RESULT,
    "LPResult": _RESULT,
    "PlanningResult": _RESULT,
    "SoftPlanningResult": _RESULT,
    "DistributionalEvaluation": _RESULT,
    "EffectiveHorizonBound": _RESULT,
    "EffectiveHorizonK": _RESULT,
    "GORPResult": _RESULT,
    "KQVIResult": _RESULT,
    "LearnerResult": _RESULT,
    "SQIRLResult": _RESULT,
    "SQIRLSampleBound": _RESULT,
    "SampleComplexity": _RESULT,
    "StochasticEffectiveHorizon": _RESULT,
    "StockAugmentedMDP": _RESULT + " (by tabular.stock_augment)",
    "StockAugmentedResult": _RESULT,
    "StockPolicy": _RESULT + " (inside a StockAugmentedResult)",
    "LSVIFit": _RESULT,
    "LSVIPlan": _RESULT,
}
