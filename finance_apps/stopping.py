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

from dataclasses import dataclass
from typing import Any

import numpy as np

from finance_apps._constraints import MATURITY, MAX_DATES, MAX_MATURITY, RATE, Dates, PathModel
from rlcore.validation import (
    Instance,
    Integer,
    InvalidParameterError,
    IsCallable,
    as_float_array,
    check_int,
    validate_params,
)
from rlcore.randomness import RNGLike, as_generator

__all__ = ["StoppingEnv", "StoppingProblem"]

_PAYOFF = IsCallable("a callable payoff(prices) -> values")
#: Exercise dates: strictly increasing, in [0, 1000] years, at least one.
_EXERCISE_DATES = Dates(start_at_zero=False, min_len=1, high=MAX_MATURITY)


@validate_params(payoff=_PAYOFF, exercise_dates=_EXERCISE_DATES, rate=RATE)
@dataclass(frozen=True, eq=False)
class StoppingProblem:
    """An optimal-stopping problem: payoff, exercise dates, discount rate.

    Parameters
    ----------
    payoff : callable
        ``payoff(prices) -> values`` for prices of shape (..., d); e.g. :class:`Put`.
        Its ``n_assets`` attribute, if any, fixes ``d``.
    exercise_dates : array_like of shape (m,)
        Dates (years) at which exercise is allowed: in ``[0, 1000]``, strictly
        increasing; the last one is the maturity (> 0). Date 0 means "today" may
        exercise.
    rate : float in [-1, 1]
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
        d = np.array(self.exercise_dates, dtype=np.float64)  # validated by the constructor
        if d[-1] <= 0:
            raise InvalidParameterError("exercise_dates", f"the maturity (last date) must be > 0, got {d[-1]!r}")
        d.setflags(write=False)
        object.__setattr__(self, "exercise_dates", d)
        object.__setattr__(self, "rate", float(self.rate))

    # ------------------------------------------------------------------ constructors
    @classmethod
    @validate_params(payoff=_PAYOFF, maturity=MATURITY, rate=RATE, n_steps=Integer(1, MAX_DATES))
    def american(cls, payoff: Any, maturity: float, rate: float, n_steps: int = 50) -> StoppingProblem:
        """American option approximated by exercise on ``n_steps + 1`` uniform dates ``0, T/n, ..., T``.

        ``maturity`` in (0, 1000] years, ``rate`` in [-1, 1], ``n_steps`` in [1, 10**6].
        """
        return cls(payoff, np.linspace(0.0, maturity, n_steps + 1), rate)

    @classmethod
    def bermudan(cls, payoff: Any, exercise_dates: Any, rate: float) -> StoppingProblem:
        """Bermudan option exercisable on the given dates."""
        return cls(payoff, exercise_dates, rate)

    @classmethod
    @validate_params(payoff=_PAYOFF, maturity=MATURITY, rate=RATE)
    def european(cls, payoff: Any, maturity: float, rate: float) -> StoppingProblem:
        """European option: exercise only at maturity (``maturity`` in (0, 1000] years)."""
        return cls(payoff, np.array([maturity]), rate)

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

    def exercise_indices(self, times: Any, name: str = "times") -> np.ndarray:
        """Indices of the exercise dates in a simulation grid ``times``.

        Raises
        ------
        InvalidParameterError
            If an exercise date is not a grid date (within ``1e-9``) or the grid ends
            before the maturity (the message names ``name``).
        """
        t = as_float_array(times, name, ndim=1)
        idx = np.searchsorted(t, self.exercise_dates - 1e-9)
        ok = (idx < t.size) & (np.abs(t[np.minimum(idx, t.size - 1)] - self.exercise_dates) <= 1e-9)
        if not np.all(ok):
            bad = float(self.exercise_dates[int(np.flatnonzero(~ok)[0])])
            raise InvalidParameterError(
                name,
                f"exercise date {bad!r} is not a date of the grid times; build the model on "
                "a grid that contains every exercise date (e.g. times=problem.grid())",
            )
        return idx.astype(np.int64)

    def grid(self) -> np.ndarray:
        """The coarsest simulation grid: 0 followed by the positive exercise dates."""
        d = self.exercise_dates
        return np.concatenate([[0.0], d[d > 0]])

    def check_model(self, model: Any, name: str = "model") -> np.ndarray:
        """Check that ``model`` fits this problem; return the exercise indices in its grid.

        Raises
        ------
        InvalidParameterTypeError
            If ``model`` is not a path model (``times``, ``n_assets``, ``simulate()``).
        InvalidParameterError
            If the payoff expects another number of assets, or an exercise date is not
            a date of the model's grid (the messages name ``name``).
        """
        PathModel().check(model, name)
        na = self.n_assets
        if na is not None and int(model.n_assets) != na:
            raise InvalidParameterError(name, f"the payoff expects {na} assets, the model simulates {model.n_assets}")
        return self.exercise_indices(model.times, name)

    def discounted_payoffs(self, prices: Any, times: Any) -> np.ndarray:
        """``exp(-r t_k) h(S_k)`` for prices of shape (n, K, d) on dates ``times`` (K,)."""
        p = np.asarray(self.payoff(prices), dtype=np.float64)
        t = as_float_array(times, "times", ndim=1)
        return p * np.exp(-self.rate * t)


@validate_params(problem=Instance(StoppingProblem), model=PathModel("simulate", "advance_one", "reset"))
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

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One decision at date index ``t``; see the class docstring."""
        if t is None:
            raise InvalidParameterError("t", "the date index is required")
        t = check_int(t, "t", low=0, high=int(self.model.times.size) - 1)
        gen = as_generator(rng)
        s = as_float_array(states, "states", ndim=2)
        a = np.asarray(actions)
        if a.shape != (s.shape[0],) or not np.all((a == 0) | (a == 1)):
            raise InvalidParameterError("actions", f"expected {s.shape[0]} entries in {{0, 1}}, got {a!r}")
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
