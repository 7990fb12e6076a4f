"""Exercise policies and their out-of-sample value.

An exercise policy is any object with ``stop(history, k) -> ndarray of bool`` (the
:class:`ExercisePolicy` protocol): given the prices ``history`` of shape
``(n, k + 1, d)`` of ``n`` paths on the grid dates ``0..k`` (the present and the past,
never the future), it says which paths stop at date index ``k``. Policies see only a
slice of each path that ends today, so a policy cannot look ahead by construction.

:func:`evaluate_exercise_policy` applies a policy to paths (fresh independent ones, or
given ones for common random numbers) and returns the mean discounted payoff with its
standard error: the value of a *fixed* stopping rule, hence (on independent paths)
an unbiased estimate of a **lower bound** of the option value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from finance_apps.stopping import StoppingProblem
from rlcore.validation import as_float_array, check_positive_int
from rlcore.randomness import RNGLike, as_generator

__all__ = [
    "BoundaryPolicy",
    "ExercisePolicy",
    "PolicyValue",
    "RegressionExercisePolicy",
    "evaluate_exercise_policy",
]


@runtime_checkable
class ExercisePolicy(Protocol):
    """Anything with ``stop(history (n, k+1, d), k) -> bool array (n,)``."""

    def stop(self, history: np.ndarray, k: int) -> np.ndarray:
        """Which of the ``n`` paths stop at grid date index ``k``."""
        ...


@dataclass(frozen=True)
class PolicyValue:
    """Mean discounted payoff of an exercise policy on a set of paths.

    Attributes
    ----------
    price : float
        Sample mean of ``exp(-r tau) h(S_tau)``.
    stderr : float
        Its standard error, ``std / sqrt(n_paths)``.
    payoffs : ndarray of shape (n_paths,)
        Discounted payoff of each path (for paired comparisons on common paths).
    stop_index : ndarray of shape (n_paths,), int
        Grid index at which each path stopped (``-1``: never, payoff 0).
    """

    price: float
    stderr: float
    payoffs: np.ndarray
    stop_index: np.ndarray

    def confidence_interval(self, z: float = 1.96) -> tuple[float, float]:
        """``price -+ z stderr`` (normal approximation)."""
        return self.price - z * self.stderr, self.price + z * self.stderr


def _apply_policy(policy: Any, problem: StoppingProblem, paths: np.ndarray, times: np.ndarray,
                  ex: np.ndarray, *, first: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Discounted payoff and stop index of each path, from exercise dates ``>= first``."""
    n = paths.shape[0]
    pay = np.zeros(n)
    where = np.full(n, -1, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    for k in ex:
        if k < first:
            continue
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        s = np.asarray(policy.stop(paths[idx, : k + 1], int(k)), dtype=bool)
        if s.shape != idx.shape:
            raise ValueError(f"policy: stop() returned shape {s.shape} for {idx.size} paths")
        hit = idx[s]
        if hit.size:
            pay[hit] = problem.payoff(paths[hit, k]) * np.exp(-problem.rate * times[k])
            where[hit] = k
            alive[hit] = False
    return pay, where


def evaluate_exercise_policy(policy: Any, problem: StoppingProblem, model: Any, n_paths: int = 10_000,
                             rng: RNGLike = None, *, paths: Any = None) -> PolicyValue:
    """Mean discounted payoff of ``policy`` on simulated (or given) paths.

    Parameters
    ----------
    policy : ExercisePolicy
    problem : StoppingProblem
    model : path model
        Its grid must contain the exercise dates.
    n_paths : int, default 10000
        Fresh paths to simulate (ignored when ``paths`` is given).
    rng : Generator, int or None
    paths : array_like of shape (n, n_dates + 1, d), optional
        Evaluate on these prices instead (e.g. the same paths for two policies).

    Returns
    -------
    PolicyValue

    Guarantee
    ---------
    For a policy fixed independently of the evaluation paths, ``price`` is an unbiased
    estimate of the policy's value, which is ``<=`` the option value (any stopping rule
    is feasible in the supremum): ``price - z stderr`` is an asymptotic lower
    confidence limit for the option value (Longstaff and Schwartz 2001, section 4;
    Glasserman 2004, section 8.6).

    Examples
    --------
    >>> from finance_apps import GeometricBrownianMotion, Put, StoppingProblem
    >>> prob = StoppingProblem.european(Put(100.0), 1.0, 0.05)
    >>> model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid())
    >>> class Hold:
    ...     def stop(self, history, k):
    ...         return np.full(len(history), k == 1)
    >>> v = evaluate_exercise_policy(Hold(), prob, model, 20_000, rng=0)
    >>> abs(v.price - 5.5735) < 3 * v.stderr     # Black-Scholes put
    True
    """
    if not isinstance(problem, StoppingProblem):
        raise TypeError(f"problem: expected a StoppingProblem, got {type(problem).__name__}")
    if not callable(getattr(policy, "stop", None)):
        raise TypeError(f"policy: expected an object with stop(history, k), got {policy!r}")
    ex = problem.check_model(model)
    times = np.asarray(model.times)
    if paths is None:
        P = model.simulate(check_positive_int(n_paths, "n_paths"), as_generator(rng))
    else:
        P = as_float_array(paths, "paths", ndim=3)
        if P.shape[1:] != (times.size, model.n_assets):
            raise ValueError(f"paths: expected shape (n, {times.size}, {model.n_assets}), got {P.shape}")
    pay, where = _apply_policy(policy, problem, P, times, ex)
    n = pay.size
    se = float(pay.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return PolicyValue(float(pay.mean()), se, pay, where)


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
        The grid the policy was trained on.
    features : FeatureMap
    regressors : dict {int: regressor or float}
        Continuation model per exercise date index (a float is a constant, used at date
        0 where every path is at the spot); a missing date never stops.
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

    def __init__(self, problem: StoppingProblem, times: np.ndarray, features: Any,
                 regressors: dict[int, Any], shared: Any = None) -> None:
        self.problem = problem
        self.times = np.asarray(times, dtype=np.float64)
        self.features = features
        self.regressors = dict(regressors)
        self.shared = shared
        self.exercise_indices = problem.exercise_indices(self.times)
        self._ex = set(int(k) for k in self.exercise_indices)
        self._last = int(self.exercise_indices[-1])

    def continuation(self, history: np.ndarray, k: int) -> np.ndarray:
        """Estimated continuation value at date index ``k``, shape (n,) (NaN: no model)."""
        reg = self.regressors.get(int(k), self.shared)
        n = history.shape[0]
        if reg is None:
            return np.full(n, np.nan)
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
        out[idx] = z[idx] >= c  # NaN (no model) compares False: continue
        return out


class BoundaryPolicy:
    """Put-style threshold policy: stop at exercise dates when ``S <= b(t)`` (or ``>=``).

    Parameters
    ----------
    problem : StoppingProblem
        One asset.
    times : ndarray of shape (n_dates + 1,)
        Simulation grid.
    boundary : array_like of shape (n_dates + 1,)
        Critical price at each grid date (NaN: do not stop), e.g. interpolated from
        :attr:`LatticeResult.boundary_high` for a put.
    side : {"below", "above"}, default "below"

    Examples
    --------
    >>> import numpy as np
    >>> from finance_apps import Put, StoppingProblem
    >>> prob = StoppingProblem.bermudan(Put(100.0), [1.0], 0.05)
    >>> BoundaryPolicy(prob, [0.0, 1.0], [np.nan, 100.0]).stop(np.array([[[100.0], [90.0]]]), 1)
    array([ True])
    """

    def __init__(self, problem: StoppingProblem, times: Any, boundary: Any, side: str = "below") -> None:
        self.problem = problem
        self.times = as_float_array(times, "times", ndim=1)
        b = np.asarray(boundary, dtype=np.float64)
        if b.shape != self.times.shape:
            raise ValueError(f"boundary: expected shape {self.times.shape}, got {b.shape}")
        if side not in ("below", "above"):
            raise ValueError(f"side: expected 'below' or 'above', got {side!r}")
        self.boundary, self.side = b, side
        self._ex = set(int(k) for k in problem.exercise_indices(self.times))

    def stop(self, history: np.ndarray, k: int) -> np.ndarray:
        """Which paths stop at date index ``k``."""
        n = history.shape[0]
        if int(k) not in self._ex or np.isnan(self.boundary[k]):
            return np.zeros(n, dtype=bool)
        s = history[:, -1, 0]
        hit = s <= self.boundary[k] if self.side == "below" else s >= self.boundary[k]
        return np.asarray(hit & (np.asarray(self.problem.payoff(history[:, -1])) > 0), dtype=bool)

