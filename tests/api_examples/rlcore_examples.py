"""Valid example calls of ``rlcore``'s public callables (see ``tests/api_examples``)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import numpy as np

from rlcore.generators import forest, river_swim
from tests.api_examples import Example


def _mdp():
    return forest(3, gamma=0.9)


def _fh():
    return river_swim(4, horizon=3)


def _q():
    return np.array([[0.0, 1.0], [2.0, 1.0], [-1.0, -1.0]])


def _dataset():
    return dict(
        observations=np.array([0, 1, 2, 0]),
        actions=np.array([1, 0, 1, 1]),
        rewards=np.array([1.0, 0.0, 2.0, 0.5]),
        next_observations=np.array([1, 2, 0, 1]),
        terminated=np.array([False, False, True, False]),
        truncated=np.array([False, False, False, True]),
        episode_ids=np.array([0, 0, 0, 1]),
        timesteps=np.array([0, 1, 2, 0]),
        metadata={"env": "tiny"},
    )


_BRIDGE: list[str] = []


def _bridge_file() -> str:
    """A tiny BRIDGE file, written once (the walk never modifies it)."""
    if not _BRIDGE:
        folder = tempfile.mkdtemp(prefix="rlcore_walk_")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = os.path.join(folder, "tiny_bridge.npz")
        np.savez(path, transitions=np.array([[1, -1], [-1, 0]]), rewards=np.array([[0.0, 1.0], [2.0, 0.0]], np.float32))
        _BRIDGE.append(path)
    return _BRIDGE[0]


def _dist():
    from rlcore import DiscreteDistribution

    return DiscreteDistribution([0.0, 1.0, 3.0], [0.25, 0.5, 0.25])


EXAMPLES: dict[str, Example] = {
    # distributions
    "DiscreteDistribution": Example(lambda: {"atoms": [0.0, 1.0, 3.0], "probs": [0.25, 0.5, 0.25]}),
    "cramer_distance": Example(lambda: {"p": _dist(), "q": _dist()}),
    "wasserstein_distance": Example(lambda: {"p": _dist(), "q": _dist(), "order": 1}),
    "categorical_projection": Example(lambda: {"dist": _dist(), "support": np.linspace(0.0, 2.0, 5)}),
    "quantile_projection": Example(lambda: {"dist": _dist(), "n_quantiles": 4}),
    "FiniteMDP": Example(lambda: {"P": np.full((2, 2, 2), 0.5), "R": np.array([[0.0, 1.0], [1.0, 0.0]]), "gamma": 0.9}),
    "Dataset": Example(_dataset),
    "RidgeRegression": Example(lambda: {"alpha": 0.5, "fit_intercept": True}),
    "TabularMean": Example(lambda: {"default": 0.0, "n_features": 2}),
    "SimulatorEnv": Example(lambda: {"sim": _mdp(), "max_episode_steps": 5}),
    "SimulatorVectorEnv": Example(lambda: {"sim": _mdp(), "num_envs": 2, "max_episode_steps": 5}),
    "as_generator": Example(lambda: {"rng": 0}),
    "as_gymnasium_env": Example(lambda: {"sim": _mdp(), "num_envs": 2}),
    "from_gymnasium": Example(lambda: {"env": "CartPole-v1", "seeding": "generator"}),
    "as_stochastic": Example(lambda: {"policy": np.array([0, 1, 1]), "n_actions": 2}),
    "bellman_expectation": Example(lambda: {"mdp": _mdp(), "policy": np.zeros(3, dtype=int), "V": np.zeros(3)}),
    "bellman_optimality": Example(lambda: {"mdp": _mdp(), "V": np.zeros(3)}),
    "q_from_v": Example(lambda: {"mdp": _fh(), "V": np.zeros(4), "t": 1}),
    "resolvent_bounds": Example(lambda: {"gamma": 0.9, "rho_lo": 1.0, "rho_hi": 1.0}),
    "evaluate_policy": Example(lambda: {"mdp": _mdp(), "policy": np.zeros(3, dtype=int)}),
    "occupancy": Example(lambda: {"mdp": _mdp(), "policy": np.full((3, 2), 0.5)}),
    "epsilon_greedy": Example(lambda: {"Q": _q(), "epsilon": 0.1}),
    "greedy": Example(lambda: {"Q": _q()}),
    "softmax": Example(lambda: {"Q": _q(), "temperature": 1.0}),
    "uniform": Example(lambda: {"n_states": 3, "n_actions": 2}),
    "is_deterministic": Example(lambda: {"policy": np.array([0, 1])}),
    "validate_policy": Example(lambda: {"policy": np.array([0, 1, 1]), "n_states": 3, "n_actions": 2}),
    "load_bridge_mdp": Example(lambda: {"path": _bridge_file(), "horizon": 3, "sticky_prob": 0.25}),
    "bridge_data_dir": Example(lambda: {}),
    "rollout": Example(
        lambda: {"sim": _mdp(), "policy": np.zeros(3, dtype=int), "n_episodes": 2, "max_steps": 3, "rng": 0}
    ),
    "spawn": Example(lambda: {"rng": 0, "n": 2}),
    # progress
    "set_progress": Example(
        lambda: {"enabled": False}, sweep=False, why="a global switch: trying True would leave bars on for the session"
    ),
    "progress_enabled": Example(lambda: {}),
    "progress_switch": Example(lambda: {"enabled": True}),
}

_RESULT = "result type: built by the library and returned, not called with user input"

EXEMPT: dict[str, str] = {
    "NotFittedError": "exception raised by predict before fit",
    "PolicyEvaluation": _RESULT,
    "PolicyFn": "type alias of a policy callable (policy(states, t, rng) -> actions)",
    "RNGLike": "type alias of what every rng argument accepts",
    "Regressor": "Protocol class (fit/predict), checked structurally where used",
    "Simulator": "Protocol class (reset/step), checked structurally where used",
    "VacuousResultWarning": "warning class raised when a result certifies nothing",
    "Result": "base class of every result (no constructor arguments); results are built by the library",
    "CertifiedResult": "Protocol class of results with bounds(), checked structurally",
    "IterativeResult": "Protocol class of results with iterations/converged/method, checked structurally",
    "ValueResult": "Protocol class of results with V/Q/policy, checked structurally",
}


# --------------------------------------------------------------------------- rlcore.deep
def _torch():
    from rlcore.deep import require_torch

    return require_torch("the API walk")


_FIT_SMALL = {"hidden_sizes": (4,), "n_epochs": 1, "min_steps": 1, "batch_size": 4}
_TRAINING = "training runs: the edge values of the budgets would train for hours"

#: The names of :mod:`rlcore.deep` (not exported from ``rlcore``), walked as ``rlcore.deep``.
DEEP_EXAMPLES: dict[str, Example] = {
    "build_mlp": Example(lambda: {"sizes": (3, 4, 2), "activation": "tanh", "rng": 0}),
    "init_linear_": Example(lambda: {"module": _torch().nn.Linear(3, 2), "rng": 0, "out_scale": 0.5}),
    "require_torch": Example(lambda: {"who": "the API walk"}),
    "resolve_device": Example(lambda: {"device": "cpu"}),
    "torch_available": Example(lambda: {}),
    "hl_gauss_probs": Example(lambda: {"y": np.array([0.5, 1.0]), "support_min": 0.0, "support_max": 2.0, "n_bins": 4}),
    "two_hot": Example(lambda: {"y": np.array([0.5, 7.0]), "support_min": 0.0, "support_max": 2.0, "n_atoms": 3}),
    "one_hot": Example(lambda: {"indices": np.array([2, 0]), "n": 3}),
    "MLPRegressor": Example(lambda: dict(_FIT_SMALL, rng=0), sweep=False, why=_TRAINING),
    "DistributionalMLPRegressor": Example(
        lambda: dict(_FIT_SMALL, n_atoms=5, support=(0.0, 1.0), rng=0), sweep=False, why=_TRAINING
    ),
}
