"""Shared pieces of the online learners (private to :mod:`tabular`).

Used by :func:`~tabular.q_learning`, :func:`~tabular.gorp`, :func:`~tabular.sqirl` and
the deep learners of :mod:`tabular.deep`:

* the constraints their parameters share, and the checks of the sizes against the
  simulator's (:func:`check_learner_sim`);
* :func:`checked_reset` and :func:`checked_step`, one validated batched simulator call;
* :class:`EvalSchedule`, the evaluation hook with early stopping at a target value, and
  :func:`batch_sizes`, the episode batches it cuts.

The result the learners return (:class:`~tabular.learning.LearnerResult`) and the
default observation map (:func:`~tabular.learning.one_hot_time_features`) are public,
in :mod:`tabular.learning`, which also states the episodic protocol.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np

from rlcore.validation import (
    MAX_SAMPLES,
    RNG,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    Real,
    Simulator,
)

__all__ = [
    "EvalSchedule",
    "batch_sizes",
    "check_learner_sim",
    "check_state_indices",
    "checked_reset",
    "checked_step",
]

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
