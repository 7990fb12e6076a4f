"""Exercise policies and their out-of-sample value.

An exercise policy is any object with ``stop(history, k) -> ndarray of bool`` (the
:class:`ExercisePolicy` protocol): given the prices ``history`` of shape
``(n, k + 1, d)`` of ``n`` paths on the grid dates ``0..k`` (the present and the past,
never the future), it says which paths stop at date index ``k``. Policies see only a
slice of each path that ends today, so a policy cannot look ahead by construction. A
policy that declares ``lookback = L`` (an int, see :mod:`finance_apps.features`) is
handed only the date 0 and the last ``L`` dates, ``(n, L + 1, d)``, once ``k > L``:
:class:`RegressionExercisePolicy` inherits the lookback of its feature map and
:class:`BoundaryPolicy` has ``lookback = 1``.

:func:`evaluate_exercise_policy` applies a policy to paths (fresh independent ones, or
given ones for common random numbers) and returns the mean discounted payoff with its
standard error: the value of a *fixed* stopping rule, hence (on independent paths)
an unbiased estimate of a **lower bound** of the option value.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from finance_apps._constraints import MAX_PATHS, PathModel
from finance_apps.closed_form import bs_price
from finance_apps.features import _history_columns, _lookback_of
from finance_apps.paths import TIMES, GeometricBrownianMotion, _PathModel
from finance_apps.payoffs import Call, Put
from finance_apps.stopping import StoppingProblem
from rlcore.validation import (
    Array,
    Bool,
    Implements,
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    Options,
    RNG,
    check_entries,
    check_real,
    validate_params,
)
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.results import Result

__all__ = [
    "BoundaryPolicy",
    "ExercisePolicy",
    "PolicyValue",
    "RegressionExercisePolicy",
    "evaluate_exercise_policy",
]


#: Any exercise policy: an object with ``stop(history, k)``.
POLICY = Implements("stop", what="an exercise policy with stop(history, k)")
PROBLEM = Instance(StoppingProblem)
#: Path counts of the Monte Carlo estimates: two at least (for a standard error).
N_PATHS = Integer(2, MAX_PATHS)


@runtime_checkable
class ExercisePolicy(Protocol):
    """Anything with ``stop(history (n, k+1, d), k) -> bool array (n,)``."""

    def stop(self, history: np.ndarray, k: int) -> np.ndarray:
        """Which of the ``n`` paths stop at grid date index ``k``."""
        ...


@dataclass(frozen=True, repr=False)
class PolicyValue(Result):
    """Mean discounted payoff of an exercise policy on a set of paths.

    Attributes
    ----------
    price : float
        Sample mean of ``exp(-r tau) h(S_tau)`` (with a control variate: the
        control-variate estimate).
    stderr : float
        Its standard error, ``std / sqrt(m)`` over the ``m`` independent units: the
        paths, or the antithetic pairs (pair means) when ``antithetic``; with a control
        variate, the standard deviation of the regression residuals.
    payoffs : ndarray of shape (n_paths,)
        Discounted payoff of each path (for paired comparisons on common paths).
    stop_index : ndarray of shape (n_paths,), int
        Grid index at which each path stopped (``-1``: never, payoff 0).
    antithetic : bool
        Paths ``2i`` and ``2i + 1`` are an antithetic pair (one unit of the standard error).
    control_coefficient : float or None
        The estimated optimal coefficient ``beta`` of the control variate (None: no
        control variate).
    """

    price: float
    stderr: float
    payoffs: np.ndarray
    stop_index: np.ndarray
    antithetic: bool = False
    control_coefficient: float | None = None

    def confidence_interval(self, z: float = 1.96) -> tuple[float, float]:
        """``price -+ z stderr`` (normal approximation)."""
        return self.price - z * self.stderr, self.price + z * self.stderr


def _history(paths: np.ndarray, rows: np.ndarray, k: int, lookback: int | None) -> np.ndarray:
    """``paths[rows, :k + 1]``, shortened to the date 0 and the last ``lookback`` dates when given."""
    cols = _history_columns(k, lookback)
    if cols is None:
        return paths[rows, : k + 1]
    out = np.empty((rows.size, cols.size) + paths.shape[2:])
    for j, c in enumerate(cols):  # one gather per date: a contiguous column when date-major
        out[:, j] = np.take(paths[:, c], rows, axis=0)
    return out


def _apply_policy(
    policy: Any,
    problem: StoppingProblem,
    paths: np.ndarray,
    times: np.ndarray,
    ex: np.ndarray,
    *,
    first: int = 0,
    bar: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Discounted payoff and stop index of each path, from exercise dates ``>= first``.

    ``bar`` (a progress bar, optional) advances by one per exercise date ``>= first``.
    """
    n = paths.shape[0]
    pay = np.zeros(n)
    where = np.full(n, -1, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    lookback = _lookback_of(policy)
    for k in ex:
        if k < first:
            continue
        if bar is not None:
            bar.update(1)
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            continue  # every path has stopped: nothing left to do at the later dates
        s = np.asarray(policy.stop(_history(paths, idx, int(k), lookback), int(k)), dtype=bool)
        if s.shape != idx.shape:
            raise InvalidParameterError("policy", f"stop() returned shape {s.shape} for {idx.size} paths")
        hit = idx[s]
        if hit.size:
            pay[hit] = problem.payoff(paths[hit, k]) * np.exp(-problem.rate * times[k])
            where[hit] = k
            alive[hit] = False
    return pay, where


@validate_params(
    problem=PROBLEM,
    model=PathModel(),
    policy=POLICY,
    n_paths=N_PATHS,
    rng=RNG(),
    paths=Array(ndim=3, low=0.0) | None,
    antithetic=Bool(),
    control_variate=Bool(),
    progress=PROGRESS,
)
def evaluate_exercise_policy(
    problem: StoppingProblem,
    model: Any,
    policy: Any,
    n_paths: int = 10_000,
    *,
    rng: RNGLike = None,
    paths: Any = None,
    antithetic: bool = False,
    control_variate: bool = False,
    progress: bool | None = None,
) -> PolicyValue:
    """Mean discounted payoff of ``policy`` on simulated (or given) paths.

    Parameters
    ----------
    problem : StoppingProblem
    model : path model
        Its grid must contain the exercise dates.
    policy : ExercisePolicy
    n_paths : int in [2, 10**8], default 10000
        Fresh paths to simulate (ignored when ``paths`` is given); at most ``10**9``
        floats in all.
    rng : Generator, int or None
    paths : array_like of shape (n, n_dates + 1, d), optional
        Evaluate on these prices (``>= 0``, ``n >= 2``) instead (e.g. the same paths
        for two policies).
    antithetic : bool, default False
        Simulate antithetic pairs (rows ``2i``, ``2i + 1`` driven by opposite normals;
        with ``paths`` given: its rows are such pairs); ``n`` even and ``>= 4``. The
        standard error comes from the pair means, the independent units.
    control_variate : bool, default False
        Use the closed-form European value at each path's stopping time as a control
        variate, with its estimated optimal coefficient (one-asset
        :class:`~finance_apps.GeometricBrownianMotion` and a :class:`~finance_apps.Put`
        or :class:`~finance_apps.Call`; see :func:`~finance_apps.longstaff_schwartz`).
    progress : bool or None, default None
        Show a progress bar over the exercise dates on standard error (see
        :mod:`rlcore.progress`); None follows :func:`rlcore.set_progress` (off by
        default). The result does not depend on it.

    Returns
    -------
    PolicyValue

    Guarantee
    ---------
    For a policy fixed independently of the evaluation paths, ``price`` is an unbiased
    estimate of the policy's value, which is ``<=`` the option value (any stopping rule
    is feasible in the supremum): ``price - z stderr`` is an asymptotic lower
    confidence limit for the option value (Longstaff and Schwartz 2001, section 4;
    Glasserman 2004, section 8.6). Tested by
    ``tests/finance_apps/test_exercise.py::test_policy_value_is_unbiased_and_below_the_option_value``
    (a fixed policy with a closed-form value, over seeds, and the lower confidence limit
    against the lattice value). Antithetic pairs and the control variate keep the
    estimate unbiased (the latter up to the ``O(1/n)`` bias of its estimated
    coefficient; Glasserman 2004, sections 4.1-4.2): tested by
    ``tests/finance_apps/test_lsmc_variance_reduction.py`` (the mean and the standard
    error over seeds).

    Examples
    --------
    >>> from finance_apps import GeometricBrownianMotion, Put, StoppingProblem
    >>> prob = StoppingProblem.european(Put(100.0), 1.0, 0.05)
    >>> model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid())
    >>> class Hold:
    ...     def stop(self, history, k):
    ...         return np.full(len(history), k == 1)
    >>> v = evaluate_exercise_policy(prob, model, Hold(), 20_000, rng=0)
    >>> abs(v.price - 5.5735) < 3 * v.stderr     # Black-Scholes put
    True
    """
    ex = problem.check_model(model)
    times = np.asarray(model.times, dtype=np.float64)
    cv = _EuropeanControl(problem, model, ex) if control_variate else None
    if paths is None:
        check_paths_budget(model, n_paths, "n_paths")
        _check_units(model if antithetic else None, n_paths, "n_paths", antithetic, cv is not None)
        P = _simulate(model, n_paths, as_generator(rng), antithetic)
    else:
        P = paths
        if P.shape[1:] != (times.size, model.n_assets):
            raise InvalidParameterError("paths", f"expected shape (n, {times.size}, {model.n_assets}), got {P.shape}")
        if P.shape[0] < 2:
            raise InvalidParameterError("paths", f"expected at least 2 paths (for a standard error), got {P.shape[0]}")
        _check_units(None, P.shape[0], "paths", antithetic, cv is not None)
    with progress_bar(len(ex), desc="finance_apps.evaluate_exercise_policy", progress=progress, unit="date") as bar:
        pay, where = _apply_policy(policy, problem, P, times, ex, bar=bar)
        return _estimate(pay, where, P, times, antithetic, cv)


def policy_value(
    pay: np.ndarray,
    where: np.ndarray,
    *,
    antithetic: bool = False,
    control: np.ndarray | None = None,
    control_mean: float = 0.0,
) -> PolicyValue:
    """Mean and standard error of at least two discounted payoffs (refused when they overflow).

    The independent *units* are the paths, or with ``antithetic`` the pair means
    ``(pay[2i] + pay[2i+1]) / 2`` (the two paths of a pair are not independent: the
    standard error comes from the spread of the pair means). With ``control`` (one value
    per path, of known mean ``control_mean``) the estimate is the control-variate one,
    ``mean(u) - beta (mean(v) - control_mean)`` over the units ``u`` of ``pay`` and ``v``
    of ``control``, ``beta = cov(u, v) / var(v)`` estimated on the same units, and the
    standard error that of the regression residuals (``m - 2`` degrees of freedom for
    ``m`` units; Glasserman 2004, section 4.1).
    """
    u = pay.reshape(-1, 2).mean(axis=1) if antithetic else pay
    m = u.size
    beta = None
    with np.errstate(over="ignore", invalid="ignore"):
        mean = float(u.mean())
        if control is None:
            std = float(u.std(ddof=1))
        else:
            v = control.reshape(-1, 2).mean(axis=1) if antithetic else control
            du, dv = u - mean, v - float(v.mean())
            var_v = float(dv @ dv)
            beta = float(du @ dv) / var_v if var_v > 0 else 0.0
            mean -= beta * (float(v.mean()) - float(control_mean))
            resid = du - beta * dv
            std = float(np.sqrt((resid @ resid) / max(m - 2, 1)))
    if not (np.isfinite(mean) and np.isfinite(std)):
        raise InvalidParameterError("problem", "the discounted payoffs overflow float64; rescale the payoff")
    return PolicyValue(
        price=mean,
        stderr=std / float(np.sqrt(m)),
        payoffs=pay,
        stop_index=where,
        antithetic=bool(antithetic),
        control_coefficient=beta,
    )


class _EuropeanControl:
    """The European option's discounted value at a date, ``e^{-r t} P_E(t, S_t)``, in closed form.

    For a one-asset :class:`~finance_apps.GeometricBrownianMotion` (drift ``r_m - q``)
    and a :class:`~finance_apps.Put` or :class:`~finance_apps.Call` discounted at the
    problem's rate ``r``: ``P_E(t, S) = e^{-(r - r_m)(T - t)} BS(S, T - t; r_m, q)``,
    so ``e^{-r t} P_E(t, S_t)`` is a martingale and its value at any stopping time has
    mean ``P_E(0, S_0)`` (optional sampling).
    """

    def __init__(self, problem: StoppingProblem, model: Any, ex: np.ndarray) -> None:
        payoff = problem.payoff
        if not (isinstance(model, GeometricBrownianMotion) and model.n_assets == 1):
            raise InvalidParameterError(
                "control_variate", "needs a one-asset GeometricBrownianMotion model (a closed-form European price)"
            )
        if not isinstance(payoff, (Put, Call)):
            raise InvalidParameterError(
                "control_variate", f"needs a Put or Call payoff (a closed-form European price), got {payoff!r}"
            )
        self.call = isinstance(payoff, Call)
        self.strike = float(payoff.strike)
        self.rate, self.drift_rate = problem.rate, model.rate
        self.vol, self.dividend = float(model.vol[0]), float(model.dividend[0])
        self.k_last = int(ex[-1])
        self.maturity = float(np.asarray(model.times)[self.k_last])
        self.mean = float(self._value(np.array([float(model.spot[0])]), np.array([0.0]))[0])

    def _value(self, s: np.ndarray, t: np.ndarray) -> np.ndarray:
        tau = np.maximum(self.maturity - t, 0.0)
        bs = bs_price(self.call, s, self.strike, tau, self.drift_rate, self.vol, self.dividend)
        return bs * np.exp(-(self.rate - self.drift_rate) * tau - self.rate * t)

    def at_stops(self, paths: np.ndarray, stop: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Control value of each path at its stop index (``-1``, never stopped: the last exercise date)."""
        k = np.where(stop < 0, self.k_last, stop)
        return self._value(paths[np.arange(paths.shape[0]), k, 0], times[k])


def _estimate(
    pay: np.ndarray, stop: np.ndarray, paths: np.ndarray, times: np.ndarray, antithetic: bool, cv: Any
) -> PolicyValue:
    """The price estimate of discounted payoffs ``pay`` (paths stopped at ``stop``)."""
    if cv is None:
        return policy_value(pay, stop, antithetic=antithetic)
    return policy_value(pay, stop, antithetic=antithetic, control=cv.at_stops(paths, stop, times), control_mean=cv.mean)


def _simulate(model: Any, n: int, gen: Any, antithetic: bool) -> np.ndarray:
    """``model.simulate(n, gen)`` (antithetic pairs if asked); for the library's models the
    same values stored date-major, so that the backward pass reads contiguous columns."""
    if isinstance(model, _PathModel):
        return model._prices_by_date(n, gen, antithetic=antithetic)
    return model.simulate(n, gen, antithetic=True) if antithetic else model.simulate(n, gen)


def _check_units(model: Any, n: int | None, name: str, antithetic: bool, control: bool) -> None:
    """Refuse path counts the estimator cannot use: odd or < 4 antithetic paths, or fewer than
    three independent units with a control variate; ``model`` (optional) must simulate pairs."""
    if n is None:
        return
    if antithetic:
        if model is not None and "antithetic" not in inspect.signature(model.simulate).parameters:
            raise InvalidParameterError("antithetic", "the model's simulate() has no antithetic option")
        if n % 2 or n < 4:
            raise InvalidParameterError(name, f"antithetic pairs need an even number of paths >= 4, got {n}")
    if control and n // (2 if antithetic else 1) < 3:
        raise InvalidParameterError(name, f"a control variate needs at least 3 independent units, got {n} paths")


def check_paths_budget(model: Any, n_paths: int, name: str) -> None:
    """Refuse ``n_paths`` paths on ``model``'s grid when they exceed ``MAX_ENTRIES`` floats."""
    dim = int(getattr(model, "state_dim", model.n_assets))
    check_entries(n_paths * int(np.asarray(model.times).size) * dim, name, "the simulated paths")


def _continuation_models(regressors: Any, name: str = "regressors") -> dict[int, Any]:
    out: dict[int, Any] = {}
    for key, reg in dict(regressors).items():
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, (int, np.integer)):
            raise InvalidParameterTypeError(name, f"keys must be int date indices, got {key!r}")
        if isinstance(reg, (bool, np.bool_)):
            raise InvalidParameterTypeError(name, f"entry {int(key)}: expected a regressor or a number, got a bool")
        if isinstance(reg, (int, float, np.integer, np.floating)):
            out[int(key)] = check_real(reg, f"{name}[{int(key)}]")
        elif callable(getattr(reg, "predict", None)):
            out[int(key)] = reg
        else:
            raise InvalidParameterTypeError(
                name,
                f"entry {int(key)}: expected a fitted regressor with predict() or a number, got {type(reg).__name__}",
            )
    return out


@validate_params(
    problem=PROBLEM,
    times=TIMES,
    features=IsCallable("a feature map features(history, k, times)"),
    regressors=Instance(dict, what="a dict {date index: regressor or number}"),
    shared=Implements("predict", what="a fitted regressor with predict()") | None,
)
class RegressionExercisePolicy:
    """Stop when the payoff exceeds a regression estimate of the continuation value.

    At an exercise date index ``k`` (other than the last) a path stops iff
    ``h(S_k) > 0`` and ``h(S_k) >= C_k(x_k)`` where ``x_k = features(history, k,
    times)`` and ``C_k`` is a fitted regressor (one per date, or one ``shared`` over
    dates whose features include time); at the last date it stops iff ``h > 0``.
    Continuation values are in money of date ``t_k``.

    Parameters
    ----------
    problem : StoppingProblem
    times : ndarray of shape (n_dates + 1,)
        The grid the policy was trained on (from 0, strictly increasing, at most 1000
        years).
    features : FeatureMap
    regressors : dict {int: regressor or float}
        Continuation model per exercise date index in ``[0, len(times))`` (a finite
        float is a constant, used at date 0 where every path is at the spot); a missing
        date never stops.
    shared : regressor, optional
        Used at every exercise date without an entry in ``regressors``.

    Examples
    --------
    >>> import numpy as np
    >>> from finance_apps import Put, StoppingProblem, PolynomialBasis
    >>> prob = StoppingProblem.bermudan(Put(100.0), [0.5, 1.0], 0.05)
    >>> pol = RegressionExercisePolicy(prob, prob.grid(), PolynomialBasis(1), {0: 7.0})
    >>> pol.stop(np.array([[[100.0]], [[100.0]]]), 0)   # payoff 0: never stop
    array([False, False])
    """

    def __init__(
        self, problem: StoppingProblem, times: np.ndarray, features: Any, regressors: dict[int, Any], shared: Any = None
    ) -> None:
        self.problem = problem
        self.times = times
        self.features = features
        self.regressors = _continuation_models(regressors)
        self.exercise_indices = problem.exercise_indices(self.times)
        bad = [k for k in self.regressors if not 0 <= k < self.times.size]
        if bad:
            raise InvalidParameterError("regressors", f"date index {bad[0]} is outside the grid [0, {self.times.size})")
        self.shared = shared
        self._ex = set(int(k) for k in self.exercise_indices)
        self._last = int(self.exercise_indices[-1])

    @property
    def lookback(self) -> int | None:
        """The feature map's ``lookback`` (None: it reads the whole history)."""
        return _lookback_of(self.features)

    def continuation(self, history: np.ndarray, k: int) -> np.ndarray:
        """Estimated continuation value at date index ``k``, shape (n,) (``+inf``: no model, never stop)."""
        reg = self.regressors.get(int(k), self.shared)
        n = history.shape[0]
        if reg is None:
            return np.full(n, np.inf)
        if isinstance(reg, (float, int)):
            return np.full(n, float(reg))
        return np.asarray(reg.predict(self.features(history, k, self.times)), dtype=np.float64).reshape(n)

    def stop(self, history: np.ndarray, k: int) -> np.ndarray:
        """Which paths stop at date index ``k``; see the class docstring."""
        n = history.shape[0]
        out = np.zeros(n, dtype=bool)
        if int(k) not in self._ex:
            return out
        z = np.asarray(self.problem.payoff(history[:, -1]), dtype=np.float64)
        itm = z > 0
        if int(k) == self._last:
            return itm
        idx = np.flatnonzero(itm)
        if idx.size == 0:
            return out
        c = self.continuation(history[idx], k)
        out[idx] = z[idx] >= c  # +inf (no model): continue
        return out


def _boundary_shape(args: dict[str, Any]) -> Any:
    times = args.get("times")
    return None if times is None else int(np.asarray(times).size)


@validate_params(
    problem=PROBLEM,
    times=TIMES,
    boundary=Array(ndim=1, shape=(_boundary_shape,), finite=False),
    side=Options("below", "above"),
)
class BoundaryPolicy:
    """Put-style threshold policy: stop at exercise dates when ``S <= b(t)`` (or ``>=``).

    Parameters
    ----------
    problem : StoppingProblem
        One asset.
    times : ndarray of shape (n_dates + 1,)
        Simulation grid (from 0, strictly increasing, at most 1000 years).
    boundary : array_like of shape (n_dates + 1,)
        Critical price at each grid date, e.g. :attr:`LatticeResult.boundary_high` for
        a put; ``-inf`` (with ``side="below"``) or ``+inf`` (``"above"``) never stops.
        NaN is refused.
    side : {"below", "above"}, default "below"

    Examples
    --------
    >>> import numpy as np
    >>> from finance_apps import Put, StoppingProblem
    >>> prob = StoppingProblem.bermudan(Put(100.0), [1.0], 0.05)
    >>> BoundaryPolicy(prob, [0.0, 1.0], [-np.inf, 100.0]).stop(np.array([[[100.0], [90.0]]]), 1)
    array([ True])
    """

    #: Reads today's prices only.
    lookback = 1

    def __init__(self, problem: StoppingProblem, times: Any, boundary: Any, side: str = "below") -> None:
        self.problem = problem
        self.times = times
        self.boundary, self.side = boundary, side
        self._ex = set(int(k) for k in problem.exercise_indices(self.times))

    def stop(self, history: np.ndarray, k: int) -> np.ndarray:
        """Which paths stop at date index ``k``."""
        n = history.shape[0]
        if int(k) not in self._ex:
            return np.zeros(n, dtype=bool)
        s = history[:, -1, 0]
        hit = s <= self.boundary[k] if self.side == "below" else s >= self.boundary[k]
        return np.asarray(hit & (np.asarray(self.problem.payoff(history[:, -1])) > 0), dtype=bool)
