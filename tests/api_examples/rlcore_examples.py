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


EXAMPLES: dict[str, Example] = {
    "FiniteMDP": Example(lambda: {"P": np.full((2, 2, 2), 0.5), "R": np.array([[0.0, 1.0], [1.0, 0.0]]), "gamma": 0.9}),
    "Dataset": Example(_dataset),
    "RidgeRegression": Example(lambda: {"alpha": 0.5, "fit_intercept": True}),
    "TabularMean": Example(lambda: {"default": 0.0, "n_features": 2}),
    "SimulatorEnv": Example(lambda: {"sim": _mdp(), "max_episode_steps": 5}),
    "SimulatorVectorEnv": Example(lambda: {"sim": _mdp(), "num_envs": 2, "max_episode_steps": 5}),
    "as_generator": Example(lambda: {"rng": 0}),
    "as_gymnasium_env": Example(lambda: {"sim": _mdp(), "num_envs": 2}),
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
    "rollout": Example(
        lambda: {"sim": _mdp(), "policy": np.zeros(3, dtype=int), "n_episodes": 2, "max_steps": 3, "rng": 0}
    ),
    "spawn": Example(lambda: {"rng": 0, "n": 2}),
}

_RESULT = "result type: built by the library and returned, not called with user input"

EXEMPT: dict[str, str] = {
    "NotFittedError": "exception raised by predict before fit",
    "PolicyEvaluation": _RESULT,
    "PolicyFn": "type alias of a policy callable (policy(states, t, rng) -> actions)",
    "RNGLike": "type alias of what every rng argument accepts",
    "Regressor": "Protocol class (fit/predict), checked structurally where used",
    "Simulator": "Protocol class (reset/step), checked structurally where used",
}
