"""Shared pieces of the online learners :func:`~tabular.q_learning`, :func:`~tabular.dqn`
and :func:`~tabular.ppo` (private).

* :class:`LearnerResult`, the frozen result all three return;
* argument checks (simulator, horizon, probabilities, step sizes, discount);
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

import numbers
from dataclasses import dataclass
from typing import Any, Callable, cast

import numpy as np

from rlcore.validation import check_discount, check_int, check_positive_int

__all__ = [
    "EvalSchedule",
    "LearnerResult",
    "batch_sizes",
    "check_device",
    "check_features_output",
    "check_hidden_sizes",
    "check_learner_sim",
    "check_n_envs",
    "check_nonneg_int",
    "check_positive_real",
    "check_state_indices",
    "check_unit_interval",
    "checked_reset",
    "checked_step",
    "learner_discount",
    "greedy_policy_from_scores",
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


# --------------------------------------------------------------------------- checks
def check_positive_real(x: Any, name: str, *, upper: float | None = None) -> float:
    """A finite real ``> 0`` (and ``<= upper`` when given)."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name}: expected a positive real number, got {x!r} of type {type(x).__name__}")
    value = float(x)
    if not (np.isfinite(value) and value > 0.0) or (upper is not None and value > upper):
        interval = f"(0, {upper:g}]" if upper is not None else "(0, inf)"
        raise ValueError(f"{name}: expected a real number in {interval}, got {x!r}")
    return value


def check_unit_interval(x: Any, name: str) -> float:
    """A real in ``[0, 1]`` (an exploration rate, a GAE lambda, ...)."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name}: expected a real number in [0, 1], got {x!r} of type {type(x).__name__}")
    value = float(x)
    if not (np.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name}: expected a real number in [0, 1], got {x!r}")
    return value


def learner_discount(gamma: Any) -> float:
    """The learners' discount, ``gamma`` in ``(0, 1]`` (1 = undiscounted, the default)."""
    g = check_discount(gamma, "gamma", allow_one=True)
    if g == 0.0:
        raise ValueError("gamma: expected a discount factor in (0, 1], got 0")
    return g


def check_learner_sim(
    sim: Any, horizon: Any, n_actions: Any, n_states: Any = None, *, need_states: bool = False
) -> tuple[Any, int, int, int | None]:
    """Validate the simulator and the sizes; return ``(sim, H, A, S or None)``.

    ``n_states`` defaults to ``sim.n_states`` when the simulator has one; a given value
    must match it. ``need_states`` makes it required (tabular Q-learning).
    """
    for name in ("reset", "step"):
        if not callable(getattr(sim, name, None)):
            raise TypeError(
                "sim: expected a simulator with batched reset(n, rng) and step(states, actions, rng, *, t) "
                f"methods, got {type(sim).__name__} without a callable {name}"
            )
    H = check_positive_int(horizon, "horizon")
    A = check_positive_int(n_actions, "n_actions")
    sim_A = getattr(sim, "n_actions", None)
    if sim_A is not None and int(sim_A) != A:
        raise ValueError(f"n_actions: got {A}, but the simulator has n_actions = {sim_A}")
    sim_H = getattr(sim, "horizon", None)
    if sim_H is not None and H > int(sim_H):
        raise ValueError(f"horizon: got {H}, longer than the simulator's horizon {sim_H}")
    sim_S = getattr(sim, "n_states", None)
    S: int | None
    if n_states is None:
        S = None if sim_S is None else int(sim_S)
    else:
        S = check_positive_int(n_states, "n_states")
        if sim_S is not None and int(sim_S) != S:
            raise ValueError(f"n_states: got {S}, but the simulator has n_states = {sim_S}")
    if need_states and S is None:
        raise ValueError("n_states: required (the simulator has no n_states attribute)")
    return sim, H, A, S


def checked_reset(sim: Any, n: int, gen: np.random.Generator) -> np.ndarray:
    states = np.asarray(sim.reset(n, gen))
    if states.shape[:1] != (n,):
        raise ValueError(f"sim: reset({n}) returned an array of shape {states.shape}, expected leading axis {n}")
    return states


def checked_step(
    sim: Any, states: np.ndarray, actions: np.ndarray, gen: np.random.Generator, t: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One batched step with its outputs' shapes and rewards checked."""
    n = states.shape[0]
    nxt, rew, term = sim.step(states, actions, gen, t=t)
    nxt = np.asarray(nxt)
    rew = np.asarray(rew, dtype=np.float64)
    term = np.asarray(term, dtype=bool)
    if nxt.shape[:1] != (n,) or rew.shape != (n,) or term.shape != (n,):
        raise ValueError(
            f"sim: step on {n} states returned shapes {nxt.shape}, {rew.shape}, {term.shape}; "
            f"expected leading axis {n}"
        )
    if not np.all(np.isfinite(rew)):
        raise ValueError(f"sim: step returned a non-finite reward at step t={t}")
    return nxt, rew, term


def check_state_indices(states: np.ndarray, S: int) -> np.ndarray:
    """Integer states in ``[0, S)`` (tabular learners)."""
    if states.ndim != 1 or states.dtype == bool or not np.issubdtype(states.dtype, np.integer):
        raise TypeError(
            f"sim: a tabular learner needs integer states of shape (n,), got {states.dtype} of shape {states.shape}"
        )
    if states.size and (states.min() < 0 or states.max() >= S):
        raise ValueError(f"sim: states must lie in [0, n_states) = [0, {S}), got {int(states.max())}")
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
    S = check_positive_int(n_states, "n_states")
    H = check_positive_int(horizon, "horizon")

    def features(states: np.ndarray, t: int) -> np.ndarray:
        s = check_state_indices(np.asarray(states), S)
        out = np.zeros((s.shape[0], S + H))
        out[np.arange(s.shape[0]), s] = 1.0
        out[:, S + t] = 1.0
        return out

    return features


def check_features_output(x: Any, n: int, d: int | None) -> np.ndarray:
    """``features(states, t)`` must return a finite float array of shape (n, d)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"features: expected a real array of shape (n, d), got {type(x).__name__} ({exc})") from None
    if arr.ndim != 2 or arr.shape[0] != n or (d is not None and arr.shape[1] != d):
        want = f"({n}, {d})" if d is not None else f"({n}, d)"
        raise ValueError(f"features: expected an array of shape {want} for {n} states, got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise ValueError("features: expected at least one feature (d >= 1), got shape " f"{arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("features: returned non-finite entries")
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
        evaluate: Any,
        eval_every: Any,
        target_value: Any,
        target_atol: Any,
        n_envs: int,
    ) -> None:
        if evaluate is not None and not callable(evaluate):
            raise TypeError(f"evaluate: expected a callable evaluate(policy) -> float, got {type(evaluate).__name__}")
        if evaluate is None and (eval_every is not None or target_value is not None):
            what = "eval_every" if eval_every is not None else "target_value"
            raise ValueError(f"{what}: needs an evaluate(policy) -> float callable (evaluate is None)")
        self.evaluate = evaluate
        self.eval_every: int | None = None
        if evaluate is not None:
            self.eval_every = n_envs if eval_every is None else check_positive_int(eval_every, "eval_every")
        self.target: float | None = None
        if target_value is not None:
            if isinstance(target_value, (bool, np.bool_)) or not isinstance(
                target_value, (numbers.Real, np.floating, np.integer)
            ):
                raise TypeError(f"target_value: expected a real number, got {target_value!r}")
            if not np.isfinite(float(target_value)):
                raise ValueError(f"target_value: expected a finite real number, got {target_value!r}")
            self.target = float(target_value)
        if isinstance(target_atol, (bool, np.bool_)) or not isinstance(
            target_atol, (numbers.Real, np.floating, np.integer)
        ):
            raise TypeError(f"target_atol: expected a non-negative real number, got {target_atol!r}")
        if not (np.isfinite(float(target_atol)) and float(target_atol) >= 0.0):
            raise ValueError(f"target_atol: expected a finite real number >= 0, got {target_atol!r}")
        self.atol = float(target_atol)
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
        raw = self.evaluate(policy)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise TypeError(f"evaluate: expected a real number from evaluate(policy), got {raw!r}") from None
        if not np.isfinite(value):
            raise ValueError(f"evaluate: returned a non-finite value {value!r} after {episodes} episodes")
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


def check_n_envs(n_envs: Any) -> int:
    return check_positive_int(n_envs, "n_envs")


def check_nonneg_int(x: Any, name: str) -> int:
    value = check_int(x, name)
    if value < 0:
        raise ValueError(f"{name}: expected a non-negative integer, got {value}")
    return value


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


def check_hidden_sizes(hidden_sizes: Any) -> tuple[int, ...]:
    """A tuple of positive layer widths (possibly empty: a linear model)."""
    if isinstance(hidden_sizes, (int, np.integer)) and not isinstance(hidden_sizes, bool):
        hidden_sizes = (hidden_sizes,)
    try:
        sizes = tuple(hidden_sizes)
    except TypeError:
        raise TypeError(f"hidden_sizes: expected a sequence of positive integers, got {hidden_sizes!r}") from None
    return tuple(check_positive_int(h, "hidden_sizes") for h in sizes)


def resolve_features(
    features: Any, S: int | None, H: int
) -> Callable[[np.ndarray, int], np.ndarray]:
    """The observation map: the user's ``features`` or the one-hot default (needs ``S``)."""
    if features is None:
        if S is None:
            raise ValueError(
                "features: required when the number of states is unknown (pass n_states for the "
                "one-hot default, or features(states, t) -> array of shape (n, d))"
            )
        return one_hot_time_features(S, H)
    if not callable(features):
        raise TypeError(f"features: expected a callable features(states, t) -> array, got {type(features).__name__}")
    return cast(Callable[[np.ndarray, int], np.ndarray], features)


def check_device(torch: Any, device: Any) -> Any:
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device: expected a torch device such as 'cpu' or 'cuda', got {device!r} ({exc})") from None
