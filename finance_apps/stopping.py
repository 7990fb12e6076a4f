"""The optimal-stopping problem type and its stop/continue decision process.

An optimal-stopping problem (an American, Bermudan or European option) is a payoff
``h(S)``, a set of exercise dates ``t_1 < ... < t_m`` (the last is the maturity) and a
discount rate ``r``; its value at time 0 is

.. math:: V_0 = \\sup_{\\tau \\in \\{t_1, \\dots, t_m\\}} E[e^{-r\\tau} h(S_\\tau)],

the supremum over stopping times taking values in the exercise dates. A Bermudan option
has a few given dates, an American one is approximated by a fine uniform grid
(:meth:`StoppingProblem.american`; the Bermudan value increases to the American one as
the grid is refined), a European one has only the maturity.

:class:`StoppingEnv` presents a problem on a path model as a :class:`rlcore.Simulator`
with actions 0 (continue) and 1 (stop), so that any learner of the library can be run on it.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcore.validation import as_float_array, check_positive_int
from rlcore.randomness import RNGLike, as_generator

__all__ = ["StoppingEnv", "StoppingProblem"]


def _finite_real(x: Any, name: str) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name}: expected a real number, got {x!r} of type {type(x).__name__}")
    v = float(x)
    if not np.isfinite(v):
        raise ValueError(f"{name}: expected a finite number, got {x!r}")
    return v


@dataclass(frozen=True, eq=False)
class StoppingProblem:
    """An optimal-stopping problem: payoff, exercise dates, discount rate.

    Parameters
    ----------
    payoff : callable
        ``payoff(prices) -> values`` for prices of shape (..., d); e.g. :class:`Put`.
        Its ``n_assets`` attribute, if any, fixes ``d``.
    exercise_dates : array_like of shape (m,)
        Dates (years) at which exercise is allowed: finite, ``>= 0``, strictly
        increasing; the last one is the maturity. Date 0 means "today" may exercise.
    rate : float
        Continuously compounded discount rate.

    Attributes
    ----------
    maturity : float
        ``exercise_dates[-1]``.
    n_assets : int or None
        From the payoff, when it says.

    Examples
    --------
    >>> from finance_apps import Put
    >>> prob = StoppingProblem.american(Put(100.0), maturity=1.0, rate=0.05, n_steps=4)
    >>> prob.exercise_dates
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    >>> StoppingProblem.bermudan(Put(100.0), [0.5, 1.0], rate=0.05).maturity
    1.0
    """

    payoff: Any
    exercise_dates: np.ndarray
    rate: float

    def __post_init__(self) -> None:
        if not callable(self.payoff):
            raise TypeError(f"payoff: expected a callable payoff(prices) -> values, got {self.payoff!r}")
        d = as_float_array(self.exercise_dates, "exercise_dates", ndim=1)
        if d.size == 0:
            raise ValueError("exercise_dates: expected at least one date")
        if np.any(d < 0):
            raise ValueError(f"exercise_dates: dates must be >= 0, got {d.min()!r}")
        if np.any(np.diff(d) <= 0):
            i = int(np.flatnonzero(np.diff(d) <= 0)[0])
            raise ValueError(
                f"exercise_dates: expected strictly increasing (sorted, distinct) dates, "
                f"got {d[i]!r} before {d[i + 1]!r} at index {i + 1}"
            )
        if d[-1] <= 0:
            raise ValueError(f"exercise_dates: the maturity (last date) must be > 0, got {d[-1]!r}")
        d.setflags(write=False)
        object.__setattr__(self, "exercise_dates", d)
        object.__setattr__(self, "rate", _finite_real(self.rate, "rate"))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def american(cls, payoff: Any, maturity: float, rate: float, n_steps: int = 50) -> StoppingProblem:
        """American option approximated by exercise on ``n_steps + 1`` uniform dates ``0, T/n, ..., T``."""
        T = _check_maturity(maturity)
        n = check_positive_int(n_steps, "n_steps")
        return cls(payoff, np.linspace(0.0, T, n + 1), rate)

    @classmethod
    def bermudan(cls, payoff: Any, exercise_dates: Any, rate: float) -> StoppingProblem:
        """Bermudan option exercisable on the given dates."""
        return cls(payoff, exercise_dates, rate)

    @classmethod
    def european(cls, payoff: Any, maturity: float, rate: float) -> StoppingProblem:
        """European option: exercise only at maturity."""
        return cls(payoff, np.array([_check_maturity(maturity)]), rate)

    # ------------------------------------------------------------------ helpers
    @property
    def maturity(self) -> float:
        """The last exercise date."""
        return float(self.exercise_dates[-1])

    @property
    def n_assets(self) -> int | None:
        """Number of assets the payoff expects, when it says."""
        n = getattr(self.payoff, "n_assets", None)
        return None if n is None else int(n)

    def exercise_indices(self, times: Any) -> np.ndarray:
        """Indices of the exercise dates in a simulation grid ``times``.

        Raises
        ------
        ValueError
            If an exercise date is not a grid date (within ``1e-9``) or the grid ends
            before the maturity.
        """
        t = as_float_array(times, "times", ndim=1)
        idx = np.searchsorted(t, self.exercise_dates - 1e-9)
        ok = (idx < t.size) & (np.abs(t[np.minimum(idx, t.size - 1)] - self.exercise_dates) <= 1e-9)
        if not np.all(ok):
            bad = float(self.exercise_dates[int(np.flatnonzero(~ok)[0])])
            raise ValueError(
                f"times: exercise date {bad!r} is not a date of the model's grid; build the model on "
                "a grid that contains every exercise date (e.g. times=problem.grid())"
            )
        return idx.astype(np.int64)

    def grid(self) -> np.ndarray:
        """The coarsest simulation grid: 0 followed by the positive exercise dates."""
        d = self.exercise_dates
        return np.concatenate([[0.0], d[d > 0]])

    def check_model(self, model: Any) -> np.ndarray:
        """Check that ``model`` fits this problem; return the exercise indices in its grid."""
        times = getattr(model, "times", None)
        if times is None or not hasattr(model, "simulate"):
            raise TypeError(f"model: expected a path model with times and simulate(), got {model!r}")
        na = self.n_assets
        if na is not None and int(model.n_assets) != na:
            raise ValueError(f"model: the payoff expects {na} assets, the model simulates {model.n_assets}")
        return self.exercise_indices(times)

    def discounted_payoffs(self, prices: Any, times: Any) -> np.ndarray:
        """``exp(-r t_k) h(S_k)`` for prices of shape (n, K, d) on dates ``times`` (K,)."""
        p = np.asarray(self.payoff(prices), dtype=np.float64)
        t = as_float_array(times, "times", ndim=1)
        return p * np.exp(-self.rate * t)


def _check_maturity(maturity: Any) -> float:
    T = _finite_real(maturity, "maturity")
    if T <= 0:
        raise ValueError(f"maturity: expected a positive number of years, got {maturity!r}")
    return T


class StoppingEnv:
    """A stopping problem on a path model as a batched simulator with stop/continue actions.

    States are the model's Markov states, shape (n, state_dim) (prices first). At date
    index ``t`` (0 to ``n_dates``), action 1 stops: the reward is the payoff discounted
    to time 0, ``exp(-r t_t) h(S_t)``, and the episode ends; action 0 continues to
    ``t + 1`` with reward 0. Stopping on a date that is not an exercise date counts
    as continuing; at the last date every episode ends (continuing there lets the
    option expire, reward 0). The undiscounted sum of an episode's rewards is the
    discounted payoff of the policy on that path.

    Parameters
    ----------
    problem : StoppingProblem
    model : path model
        E.g. :class:`~finance_apps.GeometricBrownianMotion` on a grid containing the
        exercise dates.

    Examples
    --------
    >>> import numpy as np
    >>> from finance_apps import GeometricBrownianMotion, Put
    >>> from rlcore import rollout
    >>> prob = StoppingProblem.european(Put(100.0), 1.0, 0.05)
    >>> env = StoppingEnv(prob, GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid()))
    >>> data = rollout(env, lambda s, t, g: np.ones(len(s), dtype=np.int64), 3, rng=0)
    >>> data.timesteps.tolist()
    [0, 1, 0, 1, 0, 1]
    """

    def __init__(self, problem: StoppingProblem, model: Any) -> None:
        if not isinstance(problem, StoppingProblem):
            raise TypeError(f"problem: expected a StoppingProblem, got {type(problem).__name__}")
        self._ex = problem.check_model(model)
        self.problem = problem
        self.model = model
        self.exercisable = np.zeros(model.times.size, dtype=bool)
        self.exercisable[self._ex] = True

    @property
    def horizon(self) -> int:
        """Decisions per episode: one at each grid date, ``n_dates + 1``."""
        return int(self.model.times.size)

    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """``n`` copies of today's model state."""
        return np.asarray(self.model.reset(n, rng))

    def step(self, states: Any, actions: Any, rng: RNGLike = None, *,
             t: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One decision at date index ``t``; see the class docstring."""
        if t is None:
            raise ValueError("t: the date index is required")
        gen = as_generator(rng)
        s = np.asarray(states, dtype=np.float64)
        a = np.asarray(actions)
        if a.shape != (s.shape[0],) or not np.all((a == 0) | (a == 1)):
            raise ValueError(f"actions: expected {s.shape[0]} entries in {{0, 1}}, got {a!r}")
        n = s.shape[0]
        stop = (a == 1) & bool(self.exercisable[t])
        rew = np.zeros(n)
        if stop.any():
            d = int(self.model.n_assets)
            rew[stop] = self.problem.payoff(s[stop, :d]) * np.exp(-self.problem.rate * self.model.times[t])
        last = t >= self.model.times.size - 1
        if last:
            return s.copy(), rew, np.ones(n, dtype=bool)
        nxt = self.model.advance_one(s, t, gen)
        return nxt, rew, stop
