"""Shared pieces of the online learners :func:`~tabular.q_learning`, :func:`~tabular.dqn`
and :func:`~tabular.ppo` (private).

* :class:`LearnerResult`, the frozen result all three return;
* the constraints their parameters share, and the checks of the sizes against the
  simulator's (:func:`check_learner_sim`);
* :func:`one_hot_time_features`, the default observation map of the deep learners;
* :class:`EvalSchedule`, the evaluation hook with early stopping at a target value;
* :func:`require_torch`, the lazy import of the optional ``torch`` extra;
* :func:`checked_step`, one validated batched simulator step.

The episodic protocol is the same for all three learners: episodes of at most
``horizon`` steps, run ``n_envs`` at a time in lock-step through the batched
:class:`~rlcore.Simulator`; an episode ends on ``terminated`` or after step
``t = horizon - 1``, and nothing is bootstrapped beyond either (the value after the
last step of a finite-horizon problem is zero by definition).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from collections.abc import Callable

import numpy as np

from rlcore.validation import (
    MAX_SAMPLES,
    RNG,
    Device,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    Real,
    Sequence_,
    Simulator,
)

__all__ = [
    "EvalSchedule",
    "LearnerResult",
    "batch_sizes",
    "check_features_output",
    "check_learner_sim",
    "check_state_indices",
    "checked_reset",
    "checked_step",
    "greedy_policy_from_scores",
    "hidden_tuple",
    "init_mlp",
    "one_hot_time_features",
    "require_torch",
    "resolve_features",
]

TORCH_HINT = "install the 'torch' extra: pip install torch==2.13.0 (or pip install 'rlcore[torch]')"


@dataclass(frozen=True)
class LearnerResult:
    """Outcome of an online learner (:func:`~tabular.q_learning`, :func:`~tabular.dqn`,
    :func:`~tabular.ppo`).

    Attributes
    ----------
    policy : ndarray of int64, shape (H, S), or None
        Final greedy policy (``policy[t, s]``, ties to the lowest action); None when the
        number of states is unknown (a deep learner on a non-tabular simulator).
    q : ndarray of shape (H, S, A), or None
        Final tabular Q-table (:func:`~tabular.q_learning` only).
    n_episodes : int
        Training episodes run (fewer than requested when a target was reached early).
    n_steps : int
        Training transitions simulated (evaluation is not counted).
    eval_episodes, eval_steps : ndarray of int64, shape (n_evals,)
        Episodes and transitions done at each evaluation.
    eval_values : ndarray of float64, shape (n_evals,)
        ``evaluate(policy)`` at each evaluation.
    episodes_to_target, steps_to_target : int or None
        Episodes and transitions done at the first evaluation whose value reached
        ``target_value - target_atol``; None when no target was given or it was never
        reached.
    model : torch.nn.Module or None
        The trained network(s) of a deep learner (the Q-network of :func:`~tabular.dqn`,
        a ``ModuleDict`` with ``"actor"`` and ``"critic"`` for :func:`~tabular.ppo`).
    """

    policy: np.ndarray | None
    q: np.ndarray | None
    n_episodes: int
    n_steps: int
    eval_episodes: np.ndarray
    eval_steps: np.ndarray
    eval_values: np.ndarray
    episodes_to_target: int | None
    steps_to_target: int | None
    model: Any = None

    @property
    def reached_target(self) -> bool:
        """True when a target value was given and reached."""
        return self.episodes_to_target is not None


# --------------------------------------------------------------------------- constraints
#: Largest horizon of a learner (the same limit as :class:`rlcore.FiniteMDP`'s ``horizon``).
MAX_HORIZON = 10**6
#: Largest number of actions of a learner.
MAX_ACTIONS = 10**6
#: Most episodes simulated together in lock-step (``n_envs``, GORP's ``A**k * m``,
#: SQIRL's ``m``): every batch holds a few arrays of this length.
MAX_LOCKSTEP = 10**7
#: Most entries of a tabular table ``H * S * A`` (Q-table, greedy policy, predictions).
MAX_TABLE = 10**8
#: Widest hidden layer and most hidden layers of the deep learners' MLPs.
MAX_WIDTH = 10**4
MAX_LAYERS = 100

SIM = Simulator()
HORIZON = Integer(1, MAX_HORIZON)
N_ACTIONS = Integer(1, MAX_ACTIONS)
N_STATES = Integer(1, MAX_TABLE) | None
N_EPISODES = Integer(1, MAX_SAMPLES)
N_ENVS = Integer(1, MAX_LOCKSTEP)
UNIT = Real(0, 1)
POSITIVE = Real(0, None, closed="neither")
NON_NEGATIVE = Real(0, None)
LEARNER_GAMMA = Real(0, 1, closed="right")
EVALUATE = IsCallable("a callable evaluate(policy) -> float") | None
EVAL_EVERY = Integer(1, MAX_SAMPLES) | None
TARGET_VALUE = Real() | None
TARGET_ATOL = Real(0, None)
FEATURES = IsCallable("a callable features(states, t) -> array of shape (n, d)") | None
HIDDEN_SIZES = Sequence_(Integer(1, MAX_WIDTH), min_len=0, max_len=MAX_LAYERS) | Integer(1, MAX_WIDTH)
DEVICE = Device()
RNG_ARG = RNG()


def check_learner_sim(
    sim: Any, H: int, A: int, n_states: int | None = None, *, need_states: bool = False
) -> int | None:
    """Check the validated sizes against the simulator's; return ``S`` (or None when unknown).

    ``n_states`` defaults to ``sim.n_states`` when the simulator has one; a given value
    must match it. ``need_states`` makes it required (tabular Q-learning). The tables
    ``H * S * A`` must hold at most :data:`MAX_TABLE` entries.
    """
    sim_A = getattr(sim, "n_actions", None)
    if sim_A is not None and int(sim_A) != A:
        raise InvalidParameterError("n_actions", f"got {A}, but the simulator has n_actions = {sim_A}")
    sim_H = getattr(sim, "horizon", None)
    if sim_H is not None and H > int(sim_H):
        raise InvalidParameterError("horizon", f"got {H}, longer than the simulator's horizon {sim_H}")
    sim_S = getattr(sim, "n_states", None)
    S: int | None
    if n_states is None:
        S = None if sim_S is None else int(sim_S)
    else:
        S = n_states
        if sim_S is not None and int(sim_S) != S:
            raise InvalidParameterError("n_states", f"got {S}, but the simulator has n_states = {sim_S}")
    if need_states and S is None:
        raise InvalidParameterError("n_states", "required (the simulator has no n_states attribute)")
    if S is not None and H * S * A > MAX_TABLE:
        raise InvalidParameterError(
            "n_states", f"the tables of H * S * A = {H} * {S} * {A} entries exceed the limit {MAX_TABLE}"
        )
    return S


def checked_reset(sim: Any, n: int, gen: np.random.Generator) -> np.ndarray:
    states = np.asarray(sim.reset(n, gen))
    if states.shape[:1] != (n,):
        raise InvalidParameterError(
            "sim", f"reset({n}) returned an array of shape {states.shape}, expected leading axis {n}"
        )
    return states


def checked_step(
    sim: Any, states: np.ndarray, actions: np.ndarray, gen: np.random.Generator, t: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One batched step with its outputs' shapes and rewards checked."""
    n = states.shape[0]
    nxt, rew, term = sim.step(states, actions, gen, t=t)
    nxt = np.asarray(nxt)
    try:
        rew = np.asarray(rew, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidParameterTypeError(
            "sim", f"step returned rewards that are not real numbers at step t={t}"
        ) from None
    term = np.asarray(term)
    if term.dtype != bool:
        if not (np.issubdtype(term.dtype, np.integer) and np.all((term == 0) | (term == 1))):
            raise InvalidParameterTypeError(
                "sim", f"step returned terminated flags of dtype {term.dtype}, expected bool (or 0/1 integers)"
            )
        term = term.astype(bool)
    if nxt.shape[:1] != (n,) or rew.shape != (n,) or term.shape != (n,):
        raise InvalidParameterError(
            "sim",
            f"step on {n} states returned shapes {nxt.shape}, {rew.shape}, {term.shape}; expected leading axis {n}",
        )
    if not np.all(np.isfinite(rew)):
        raise InvalidParameterError("sim", f"step returned a non-finite reward at step t={t}")
    return nxt, rew, term


def check_state_indices(states: np.ndarray, S: int) -> np.ndarray:
    """Integer states in ``[0, S)`` (tabular learners)."""
    if states.ndim != 1 or states.dtype == bool or not np.issubdtype(states.dtype, np.integer):
        raise InvalidParameterTypeError(
            "sim", f"a tabular learner needs integer states of shape (n,), got {states.dtype} of shape {states.shape}"
        )
    if states.size and (states.min() < 0 or states.max() >= S):
        bad = int(states.min()) if states.min() < 0 else int(states.max())
        raise InvalidParameterError("sim", f"states must lie in [0, n_states) = [0, {S}), got {bad}")
    return states.astype(np.int64, copy=False)


def batch_sizes(n_episodes: int, n_envs: int, eval_every: int | None) -> list[int]:
    """Sizes of the episode batches: ``n_envs`` at a time, cut so that every multiple
    of ``eval_every`` and ``n_episodes`` itself falls on a batch boundary."""
    out = []
    done = 0
    while done < n_episodes:
        stop = n_episodes
        if eval_every is not None:
            stop = min(stop, (done // eval_every + 1) * eval_every)
        b = min(n_envs, stop - done)
        out.append(b)
        done += b
    return out


# --------------------------------------------------------------------------- features
def one_hot_time_features(n_states: int, horizon: int) -> Callable[[np.ndarray, int], np.ndarray]:
    """The default observation map: ``one_hot(s)`` concatenated with ``one_hot(t)``.

    Parameters
    ----------
    n_states, horizon : int
        Positive sizes (checked by the learner that asks for the map).

    Returns
    -------
    callable
        ``features(states, t) -> ndarray of shape (n, n_states + horizon)``.

    Examples
    --------
    >>> f = one_hot_time_features(3, 2)
    >>> f(np.array([2, 0]), 1).tolist()
    [[0.0, 0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0, 1.0]]
    """
    S, H = int(n_states), int(horizon)

    def features(states: np.ndarray, t: int) -> np.ndarray:
        s = check_state_indices(np.asarray(states), S)
        out = np.zeros((s.shape[0], S + H))
        out[np.arange(s.shape[0]), s] = 1.0
        out[:, S + t] = 1.0
        return out

    return features


def check_features_output(x: Any, n: int, d: int | None) -> np.ndarray:
    """``features(states, t)`` must return a finite float array of shape (n, d)."""
    if isinstance(x, (str, bytes)):
        raise InvalidParameterTypeError("features", f"expected a real array of shape (n, d), got {type(x).__name__}")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterTypeError(
            "features", f"expected a real array of shape (n, d), got {type(x).__name__} ({exc})"
        ) from None
    if arr.ndim != 2 or arr.shape[0] != n or (d is not None and arr.shape[1] != d):
        want = f"({n}, {d})" if d is not None else f"({n}, d)"
        raise InvalidParameterError(
            "features", f"expected an array of shape {want} for {n} states, got shape {arr.shape}"
        )
    if arr.shape[1] == 0:
        raise InvalidParameterError("features", f"expected at least one feature (d >= 1), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError("features", "returned non-finite entries")
    return arr


# --------------------------------------------------------------------------- evaluation
class EvalSchedule:
    """The evaluation hook shared by the learners.

    After every ``eval_every`` training episodes (and after the last one), when
    ``evaluate`` is given, ``evaluate(policy)`` is called with the current greedy
    policy; ``(episodes, steps, value)`` is recorded, and training stops as soon as
    ``value >= target_value - target_atol``.
    """

    def __init__(
        self,
        evaluate: Callable[[Any], Any] | None,
        eval_every: int | None,
        target_value: float | None,
        target_atol: float,
        n_envs: int,
    ) -> None:
        # the arguments are validated by the learner's declaration; here only their relations
        if evaluate is None and (eval_every is not None or target_value is not None):
            what = "eval_every" if eval_every is not None else "target_value"
            raise InvalidParameterError(what, "needs an evaluate(policy) -> float callable (evaluate is None)")
        self.evaluate = evaluate
        self.eval_every: int | None = None
        if evaluate is not None:
            self.eval_every = n_envs if eval_every is None else eval_every
        self.target: float | None = target_value
        self.atol = target_atol
        self.episodes: list[int] = []
        self.steps: list[int] = []
        self.values: list[float] = []
        self.episodes_to_target: int | None = None
        self.steps_to_target: int | None = None

    def due(self, episodes: int, final: bool) -> bool:
        if self.evaluate is None or self.eval_every is None:
            return False
        return episodes % self.eval_every == 0 or final

    def record(self, policy: Any, episodes: int, steps: int) -> bool:
        """Evaluate ``policy``; return True when the target is reached (stop)."""
        assert self.evaluate is not None  # due() is False without it
        raw = self.evaluate(policy)
        if isinstance(raw, (bool, np.bool_, str, bytes)):
            raise InvalidParameterTypeError("evaluate", f"expected a real number from evaluate(policy), got {raw!r}")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise InvalidParameterTypeError(
                "evaluate", f"expected a real number from evaluate(policy), got {raw!r}"
            ) from None
        if not np.isfinite(value):
            raise InvalidParameterError("evaluate", f"returned a non-finite value {value!r} after {episodes} episodes")
        self.episodes.append(episodes)
        self.steps.append(steps)
        self.values.append(value)
        if self.target is not None and value >= self.target - self.atol:
            self.episodes_to_target, self.steps_to_target = episodes, steps
            return True
        return False

    def arrays(self) -> dict[str, Any]:
        return {
            "eval_episodes": np.asarray(self.episodes, dtype=np.int64),
            "eval_steps": np.asarray(self.steps, dtype=np.int64),
            "eval_values": np.asarray(self.values, dtype=np.float64),
            "episodes_to_target": self.episodes_to_target,
            "steps_to_target": self.steps_to_target,
        }


# --------------------------------------------------------------------------- torch
def require_torch(who: str) -> Any:
    """Import torch lazily, or raise an ImportError naming the extra."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(f"{who} needs PyTorch, which is not installed; {TORCH_HINT}") from exc
    return torch


def init_mlp(
    torch: Any, sizes: tuple[int, ...], activation: Any, gen: np.random.Generator, *, out_scale: float = 1.0
) -> Any:
    """An MLP ``sizes[0] -> ... -> sizes[-1]`` initialised from the numpy generator.

    Weights and biases are uniform on ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]`` (PyTorch's
    default range), drawn from ``gen`` so that the same seed gives the same network;
    the last layer is scaled by ``out_scale``.
    """
    layers: list[Any] = []
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        bound = 1.0 / np.sqrt(sizes[i])
        scale = out_scale if i == len(sizes) - 2 else 1.0
        with torch.no_grad():
            w = scale * gen.uniform(-bound, bound, size=(sizes[i + 1], sizes[i]))
            lin.weight.copy_(torch.as_tensor(w, dtype=torch.float32))
            lin.bias.copy_(torch.as_tensor(scale * gen.uniform(-bound, bound, size=sizes[i + 1]), dtype=torch.float32))
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(activation())
    return torch.nn.Sequential(*layers)


def greedy_policy_from_scores(score_fn: Callable[[np.ndarray, int], np.ndarray], S: int, H: int) -> np.ndarray:
    """``policy[t, s] = argmax_a score_fn(arange(S), t)[s, a]`` (ties to the lowest action)."""
    states = np.arange(S, dtype=np.int64)
    return np.stack([np.argmax(score_fn(states, t), axis=1) for t in range(H)]).astype(np.int64)


def hidden_tuple(hidden_sizes: Any) -> tuple[int, ...]:
    """The validated ``hidden_sizes`` (an int or a tuple of ints) as a tuple."""
    return (int(hidden_sizes),) if isinstance(hidden_sizes, (int, np.integer)) else tuple(hidden_sizes)


def resolve_features(features: Any, S: int | None, H: int) -> Callable[[np.ndarray, int], np.ndarray]:
    """The observation map: the user's ``features`` (a validated callable) or the one-hot default (needs ``S``)."""
    if features is None:
        if S is None:
            raise InvalidParameterError(
                "features",
                "required when the number of states is unknown (pass n_states for the one-hot default, or "
                "features(states, t) -> array of shape (n, d))",
            )
        return one_hot_time_features(S, H)
    return cast(Callable[[np.ndarray, int], np.ndarray], features)
