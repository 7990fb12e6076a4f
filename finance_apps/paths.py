# Length: one concept, the path simulators: the one simulator shape (base class) and the
# three models that implement it, read side by side; splitting them would scatter the shape.
"""Price-path simulators on a date grid, batched over paths.

Three models, each with a *Markov state* whose first ``d`` entries are the asset prices:

* :class:`GeometricBrownianMotion`: ``d`` correlated assets with dividend yields,
  exact log-normal steps (no discretisation error at any grid);
* :class:`Heston`: stochastic variance, full-truncation Euler scheme (Lord, Koekkoek
  and van Dijk 2010) with ``n_substeps`` Euler steps per grid interval; state
  ``(S, v)``;
* :class:`AutoregressiveGARCH`: AR(1) log returns with optional GARCH(1,1) innovations;
  state ``(S, last log return, next conditional variance)``. The last *price* alone is
  not a sufficient statistic, which is what makes history-aware exercise policies pay.

Every model has one simulator shape, the same methods with the same meaning, all
derived in the base class from two model-specific pieces (``initial_state`` and one
step of the Markov state); a test checks every model against every method:

``times``, ``n_assets``, ``state_dim``, ``n_dates``, ``horizon``
    the date grid (``times[0] = 0`` is today), the number of priced assets, the width of
    the Markov state (prices first), ``len(times) - 1`` steps per path;
``simulate(n_paths, rng, *, antithetic) -> ndarray (n_paths, n_dates + 1, n_assets)``
    prices at ``times`` (every path starts at ``spot``), optionally in antithetic pairs;
``simulate_states(n_paths, rng, *, start, initial, antithetic)``
    the full Markov states at every date, optionally restarted from given states at
    date ``start`` (what nested simulation, e.g. :func:`~finance_apps.andersen_broadie`,
    restarts from);
``advance_one(states, k, rng)``
    one step of the Markov states from ``times[k]`` to ``times[k + 1]``;
``reset(n, rng)`` / ``step(states, actions, rng, *, t)``
    the :class:`rlcore.Simulator` protocol of the *uncontrolled* price process
    (``actions`` are ignored, rewards are zero; see :class:`~finance_apps.StoppingEnv`
    for the stop/continue decision process).

With the same generator, ``simulate_states`` and a loop of ``advance_one`` (or of
``step``) from ``reset`` give the same paths, and ``simulate`` is the price columns of
``simulate_states``.

The date loop runs in Python; each date is one vectorised NumPy operation over all
paths (GBM, AR-GARCH: a few array passes, memory-bound) or one compiled Numba kernel
(Heston: its ``n_substeps`` Euler steps fused per path, without temporaries). Normals
always come from the ``rng`` argument, drawn in NumPy in a fixed order: same seed,
same paths, whichever code path runs.
"""

from __future__ import annotations

import abc
import math
from typing import Any

import numpy as np

from finance_apps._constraints import MATURITY, MAX_DATES, MAX_PATHS, MAX_RATE, MAX_VOL, RATE, SPOT, Dates
from finance_apps._path_kernels import heston_full_truncation
from rlcore.validation import (
    Array,
    Bool,
    Integer,
    InvalidParameterError,
    Real,
    as_float_array,
    check_entries,
    check_int,
    validate_params,
)
from rlcore.randomness import RNGLike, as_generator

__all__ = ["AutoregressiveGARCH", "GeometricBrownianMotion", "Heston", "TIMES", "time_grid"]

#: A simulation date grid: 1-d, starting at 0 (today), strictly increasing, at most
#: 1000 years, at least two dates.
TIMES = Dates(start_at_zero=True, min_len=2)

#: Simulated log-prices must stay this far inside the float64 range (``exp(709)``).
_LOG_RANGE = 700.0


def _check_log_range(log_s0: float, drift: float, spread: float, name: str) -> None:
    """Refuse a model whose prices would leave the float64 range over its grid.

    ``drift`` bounds ``|E log(S_T / S_0)|`` and ``spread`` the standard deviation of
    ``log S_T``; prices beyond ten standard deviations are ignored (probability below
    ``1e-23`` per path).
    """
    worst = abs(log_s0) + abs(drift) + 10.0 * spread
    if not worst <= _LOG_RANGE:
        raise InvalidParameterError(
            name,
            f"over this grid the log-prices reach about {worst:.3g} in absolute value (|log S0| + |drift T| "
            f"+ 10 sd), beyond the float64 range (exp({_LOG_RANGE:g})): shorten the horizon or rescale the model",
        )


@validate_params(maturity=MATURITY, n_steps=Integer(1, MAX_DATES))
def time_grid(maturity: float, n_steps: int) -> np.ndarray:
    """The uniform grid ``[0, T/n, 2T/n, ..., T]`` of ``n_steps + 1`` dates.

    Parameters
    ----------
    maturity : float in (0, 1000]
        Years.
    n_steps : int in [1, 10**6]

    Examples
    --------
    >>> time_grid(1.0, 4)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    return np.linspace(0.0, maturity, n_steps + 1)


class _PathModel(abc.ABC):
    """The simulator shape every path model shares (see the module docstring).

    A model sets the attributes ``times`` (the grid), ``n_assets`` and ``state_dim`` in
    its constructor and implements the two abstract methods, :meth:`initial_state` and
    :meth:`_advance` (one step of already validated states with a generator, drawing its
    normals in a fixed order); everything else (:meth:`simulate`,
    :meth:`simulate_states`, :meth:`advance_one`, :meth:`reset`, :meth:`step`, the
    budgets and the validation) is derived here, once. A model that lacks one of the
    two cannot be instantiated.
    """

    times: np.ndarray
    n_assets: int
    state_dim: int

    @property
    def n_dates(self) -> int:
        """Number of steps ``len(times) - 1``."""
        return int(self.times.size - 1)

    @property
    def horizon(self) -> int:
        """Steps per episode of the simulator protocol (``n_dates``)."""
        return self.n_dates

    @abc.abstractmethod
    def initial_state(self, n: int) -> np.ndarray:
        """``n`` copies of today's Markov state, shape (n, state_dim) (prices first)."""

    @abc.abstractmethod
    def _advance(self, x: np.ndarray, k: int, gen: Any) -> np.ndarray:
        """States at ``times[k + 1]`` from validated states ``x`` at ``times[k]``, normals from ``gen``."""

    def _check_states(self, states: Any, name: str = "states") -> np.ndarray:
        s = as_float_array(states, name, ndim=2)
        if s.shape[1] != self.state_dim:
            raise InvalidParameterError(name, f"expected shape (n, {self.state_dim}), got {s.shape}")
        return s

    def _check_k(self, k: Any, name: str = "k") -> int:
        if self.n_dates < 1:  # pragma: no cover - grids have two dates at least
            raise InvalidParameterError(name, "the grid has no step")
        return check_int(k, name, low=0, high=self.n_dates - 1)

    def _check_n_paths(self, n_paths: Any, name: str = "n_paths", *, dates: int | None = None) -> int:
        n = check_int(n_paths, name, low=1, high=MAX_PATHS)
        check_entries(
            n * ((self.n_dates + 1) if dates is None else dates) * self.state_dim, name, "the simulated paths"
        )
        return n

    def simulate_states(
        self,
        n_paths: int,
        rng: RNGLike = None,
        *,
        start: int = 0,
        initial: np.ndarray | None = None,
        antithetic: bool = False,
    ) -> np.ndarray:
        """Simulate Markov states at every date.

        Parameters
        ----------
        n_paths : int in [1, 10**8]
            At most ``10**9`` floats in all (``n_paths * (n_dates + 1) * state_dim``).
        rng : Generator, int or None
        start : int, default 0
            Date index to start from; the output covers ``times[start:]``.
        initial : ndarray of shape (n_paths, state_dim), optional
            States at ``times[start]`` (default: today's state, only for ``start=0``).
        antithetic : bool, default False
            Paths ``2i`` and ``2i + 1`` are driven by opposite normals (antithetic
            variates; ``n_paths`` must be even). Averages over such pairs have a
            smaller variance for monotone functionals of the path.

        Returns
        -------
        ndarray of shape (n_paths, n_dates + 1 - start, state_dim)
        """
        start = check_int(start, "start", low=0, high=self.n_dates)
        n = self._check_n_paths(n_paths, dates=self.n_dates + 1 - start)
        antithetic = Bool().check(antithetic, "antithetic")
        gen: Any = as_generator(rng)
        if antithetic:
            if n % 2:
                raise InvalidParameterError("n_paths", f"antithetic pairs need an even number of paths, got {n}")
            gen = _Antithetic(gen)
        if initial is None:
            if start != 0:
                raise InvalidParameterError("initial", "required when start > 0")
            x = self.initial_state(n)
        else:
            x = self._check_states(initial, "initial")
            if x.shape[0] != n:
                raise InvalidParameterError("initial", f"expected {n} rows, got {x.shape[0]}")
        out = np.empty((n, self.n_dates + 1 - start, self.state_dim))
        out[:, 0] = x
        for j, k in enumerate(range(start, self.n_dates)):
            x = self._advance(x, k, gen)
            out[:, j + 1] = x
        return out

    def simulate(self, n_paths: int, rng: RNGLike = None, *, antithetic: bool = False) -> np.ndarray:
        """Simulate prices at every date.

        Parameters
        ----------
        n_paths : int in [1, 10**8]
            At most ``10**9`` floats in all (``n_paths * (n_dates + 1) * state_dim``).
        rng : Generator, int or None
        antithetic : bool, default False
            Antithetic pairs: paths ``2i`` and ``2i + 1`` are driven by opposite normals
            (``n_paths`` even; see :meth:`simulate_states`).

        Returns
        -------
        ndarray of shape (n_paths, n_dates + 1, n_assets)
            ``[:, 0]`` is the spot.
        """
        return np.ascontiguousarray(self.simulate_states(n_paths, rng, antithetic=antithetic)[..., : self.n_assets])

    def _prices_by_date(self, n_paths: int, rng: RNGLike = None, *, antithetic: bool = False) -> np.ndarray:
        """:meth:`simulate`'s prices (the same values from the same generator), stored date-major.

        Returns an ``(n_paths, n_dates + 1, n_assets)`` view of a date-major buffer, so
        that a date's column ``[:, k]`` is contiguous: what a backward pass over the
        dates (least-squares Monte Carlo) reads, one column at a time.
        """
        n = self._check_n_paths(n_paths)
        gen: Any = as_generator(rng)
        if antithetic:
            if n % 2:
                raise InvalidParameterError("n_paths", f"antithetic pairs need an even number of paths, got {n}")
            gen = _Antithetic(gen)
        d = self.n_assets
        out = np.empty((self.n_dates + 1, n, d))
        x = self.initial_state(n)
        out[0] = x[:, :d]
        for k in range(self.n_dates):
            x = self._advance(x, k, gen)
            out[k + 1] = x[:, :d]
        return out.transpose(1, 0, 2)

    def advance_one(self, states: Any, k: int, rng: RNGLike = None) -> np.ndarray:
        """One step of the Markov states: states at ``times[k]`` to states at ``times[k + 1]``.

        Parameters
        ----------
        states : array_like of shape (n, state_dim)
        k : int in [0, n_dates - 1]
        rng : Generator, int or None

        Returns
        -------
        ndarray of shape (n, state_dim)
        """
        return self._advance(self._check_states(states), self._check_k(k), as_generator(rng))

    # -- rlcore.Simulator protocol -----------------------------------------------------
    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """``n`` (in [1, 10**8]) copies of today's Markov state, shape (n, state_dim)."""
        return self.initial_state(check_int(n, "n", low=1, high=MAX_PATHS))

    def step(
        self, states: Any, actions: Any = None, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Advance from date index ``t`` (required); rewards 0, terminated at maturity."""
        if t is None:
            raise InvalidParameterError("t", "the date index is required for a path model")
        t = self._check_k(t, "t")
        nxt = self.advance_one(states, t, rng)
        n = nxt.shape[0]
        return nxt, np.zeros(n), np.full(n, t + 1 == self.n_dates)


class _Antithetic:
    """Generator stand-in whose normals come in pairs ``z, -z`` along the first axis."""

    def __init__(self, gen: np.random.Generator) -> None:
        self.gen = gen

    def standard_normal(self, size: Any) -> np.ndarray:
        shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        half = self.gen.standard_normal((shape[0] // 2,) + shape[1:])
        out = np.empty(shape)
        out[0::2] = half
        out[1::2] = -half
        return out


def correlation_matrix(corr: Any, d: int, name: str = "corr") -> np.ndarray:
    """The ``(d, d)`` correlation matrix of an already validated ``corr`` (None, a scalar in
    [-1, 1] or a float array): symmetric, unit diagonal, positive semi-definite."""
    if corr is None:
        return np.eye(d)
    c = np.asarray(corr, dtype=np.float64)
    if c.ndim == 0:
        c = np.full((d, d), float(c))
        np.fill_diagonal(c, 1.0)
    if c.shape != (d, d):
        raise InvalidParameterError(name, f"expected a ({d}, {d}) correlation matrix or a scalar, got shape {c.shape}")
    if not np.allclose(c, c.T, atol=1e-12) or not np.allclose(np.diag(c), 1.0):
        raise InvalidParameterError(name, "expected a symmetric matrix with unit diagonal")
    if np.any(np.abs(c) > 1.0 + 1e-12):
        raise InvalidParameterError(name, "correlations must lie in [-1, 1]")
    if np.min(np.linalg.eigvalsh(c)) < -1e-10:
        raise InvalidParameterError(name, "the correlation matrix is not positive semi-definite")
    return c


def per_asset(arr: np.ndarray, name: str, d: int) -> np.ndarray:
    """An already validated scalar or (d,) array as a (d,) array."""
    arr = np.asarray(arr, dtype=np.float64)
    arr = np.broadcast_to(arr, (d,)).copy() if arr.ndim == 0 else arr
    if arr.shape != (d,):
        raise InvalidParameterError(name, f"expected a scalar or shape ({d},), got {arr.shape}")
    return arr


#: A scalar or per-asset correlation: a number in [-1, 1], a (d, d) matrix, or None.
CORR = Real(-1.0, 1.0) | Array(ndim=2, low=-1.0, high=1.0) | None


_POSITIVE_PRICES = Array(ndim=(0, 1), low=0.0, closed="neither")
_VOLS = Array(ndim=(0, 1), low=0.0, high=MAX_VOL)
_DIVIDENDS = Array(ndim=(0, 1), low=-MAX_RATE, high=MAX_RATE)


@validate_params(spot=_POSITIVE_PRICES, vol=_VOLS, rate=RATE, times=TIMES, dividend=_DIVIDENDS, corr=CORR)
class GeometricBrownianMotion(_PathModel):
    """Correlated geometric Brownian motions with dividend yields (risk-neutral).

    .. math:: dS_i = (r - q_i) S_i\\,dt + \\sigma_i S_i\\,dW_i, \\qquad
              d\\langle W_i, W_j \\rangle = \\rho_{ij}\\,dt,

    simulated exactly: ``log S_i(t + h) = log S_i(t) + (r - q_i - sigma_i^2/2) h +
    sigma_i sqrt(h) (L Z)_i`` with ``L L^T = rho`` (eigen-decomposition, so a
    semi-definite ``rho`` works).

    Parameters
    ----------
    spot : float or array_like of shape (d,)
        Today's prices, > 0.
    vol : float or array_like of shape (d,)
        Volatilities in [0, 10].
    rate : float in [-1, 1]
        Risk-free continuously compounded rate (the drift).
    times : array_like of shape (n_dates + 1,)
        Date grid in years, starting at 0, strictly increasing, at most 1000 (see
        :func:`time_grid`).
    dividend : float or array_like of shape (d,), default 0
        Continuous dividend yields ``q_i`` in [-1, 1].
    corr : float in [-1, 1], array_like of shape (d, d) or None
        Correlation matrix (a scalar means equal pairwise correlation); default
        independent.

    Raises
    ------
    InvalidParameterError
        Also when the prices would leave the float64 range over the grid
        (``|log S0| + |r - q - sigma^2/2| T + 10 sigma sqrt(T) > 700``).

    Examples
    --------
    >>> m = GeometricBrownianMotion(100.0, 0.2, 0.05, time_grid(1.0, 4))
    >>> m.simulate(3, rng=0).shape
    (3, 5, 1)
    """

    def __init__(self, spot: Any, vol: Any, rate: float, times: Any, dividend: Any = 0.0, corr: Any = None) -> None:
        d = int(np.asarray(spot).size)
        self.spot = per_asset(spot, "spot", d)
        self.vol = per_asset(vol, "vol", d)
        self.dividend = per_asset(dividend, "dividend", d)
        self.rate = float(rate)
        self.times = np.asarray(times, dtype=np.float64)
        self.corr = correlation_matrix(corr, d)
        T = float(self.times[-1])
        for i in range(d):
            drift = (self.rate - self.dividend[i] - 0.5 * self.vol[i] ** 2) * T
            _check_log_range(math.log(self.spot[i]), drift, self.vol[i] * math.sqrt(T), "times")
        w, V = np.linalg.eigh(self.corr)
        self._chol = V * np.sqrt(np.clip(w, 0.0, None))
        self.n_assets = d
        self.state_dim = d

    def initial_state(self, n: int) -> np.ndarray:
        """``n`` copies of the spot, shape (n, d)."""
        return np.tile(self.spot, (n, 1))

    def _advance(self, x: np.ndarray, k: int, gen: np.random.Generator) -> np.ndarray:
        h = self.times[k + 1] - self.times[k]
        z = gen.standard_normal((x.shape[0], self.n_assets))
        if self.n_assets > 1:
            z = z @ self._chol.T
        drift = (self.rate - self.dividend - 0.5 * self.vol**2) * h
        return np.asarray(x * np.exp(drift + self.vol * np.sqrt(h) * z), dtype=np.float64)

    def __repr__(self) -> str:
        return (
            f"GeometricBrownianMotion(spot={self.spot.tolist()}, vol={self.vol.tolist()}, "
            f"rate={self.rate}, dividend={self.dividend.tolist()}, n_dates={self.n_dates})"
        )


@validate_params(
    spot=SPOT,
    v0=Real(0.0, MAX_VOL**2),
    kappa=Real(0.0, None, closed="neither"),
    theta=Real(0.0, MAX_VOL**2),
    xi=Real(0.0, MAX_VOL**2),
    rho=Real(-1.0, 1.0),
    rate=RATE,
    times=TIMES,
    dividend=Real(-MAX_RATE, MAX_RATE),
    n_substeps=Integer(1, 10**4),
)
class Heston(_PathModel):
    """Heston stochastic volatility, full-truncation Euler (risk-neutral).

    .. math:: dS = (r - q) S\\,dt + \\sqrt{v} S\\,dW_1, \\quad
              dv = \\kappa(\\theta - v)\\,dt + \\xi \\sqrt{v}\\,dW_2, \\quad
              d\\langle W_1, W_2\\rangle = \\rho\\,dt.

    Each grid interval is cut into ``n_substeps`` Euler steps of the *full truncation*
    scheme [1]_: ``v+ = max(v, 0)`` in the drift and diffusion of both equations, the
    log-price stepped with the exact log-Euler form. The state is ``(S, v)``; ``v`` may
    be negative between steps (only ``v+`` enters). The scheme converges weakly as the
    step shrinks (first order in practice); it is biased at any fixed step.

    Parameters
    ----------
    spot, v0 : float
        Initial price (> 0) and variance (in [0, 100]).
    kappa, theta, xi : float
        Mean-reversion speed (> 0), long-run variance (in [0, 100]), vol of variance
        (in [0, 100]).
    rho : float in [-1, 1]
    rate : float in [-1, 1]
    times : array_like
        Date grid (see :func:`time_grid`).
    dividend : float in [-1, 1], default 0
    n_substeps : int in [1, 10**4], default 4
        Euler steps per grid interval; ``kappa * dt / n_substeps <= 1`` is required
        (a larger Euler step overshoots the mean reversion).

    Raises
    ------
    InvalidParameterError
        Also when the log-prices would leave the float64 range over the grid
        (``|log S0| + (|r - q| + v/2) T + 10 sqrt(v T) > 700`` with ``v = max(v0,
        theta)``), or when ``kappa * dt / n_substeps > 1``.

    References
    ----------
    .. [1] Lord, R., Koekkoek, R. and van Dijk, D. (2010). A comparison of biased
       simulation schemes for stochastic volatility models. *Quantitative Finance*
       10(2), 177-194.
    .. [2] Heston, S. L. (1993). A closed-form solution for options with stochastic
       volatility. *Review of Financial Studies* 6(2), 327-343.

    Examples
    --------
    >>> m = Heston(100.0, 0.04, 1.5, 0.04, 0.3, -0.7, 0.03, time_grid(1.0, 4))
    >>> m.simulate_states(2, rng=0).shape
    (2, 5, 2)
    """

    def __init__(
        self,
        spot: float,
        v0: float,
        kappa: float,
        theta: float,
        xi: float,
        rho: float,
        rate: float,
        times: Any,
        dividend: float = 0.0,
        n_substeps: int = 4,
    ) -> None:
        self.spot, self.v0, self.kappa, self.theta, self.xi, self.rho = spot, v0, kappa, theta, xi, rho
        self.rate, self.dividend = rate, dividend
        self.times = np.asarray(times, dtype=np.float64)
        self.n_substeps = n_substeps
        h = float(np.max(np.diff(self.times))) / n_substeps
        if kappa * h > 1.0:
            need = math.ceil(kappa * float(np.max(np.diff(self.times))))
            raise InvalidParameterError(
                "n_substeps",
                f"kappa * step = {kappa * h:.3g} > 1: the Euler scheme overshoots the mean "
                f"reversion; use n_substeps >= {need}",
            )
        T = float(self.times[-1])
        v = max(v0, theta)
        _check_log_range(math.log(spot), (abs(rate - dividend) + 0.5 * v) * T, math.sqrt(v * T), "times")
        self.n_assets = 1
        self.state_dim = 2

    def _check_n_paths(self, n_paths: Any, name: str = "n_paths", *, dates: int | None = None) -> int:
        n = super()._check_n_paths(n_paths, name, dates=dates)
        check_entries(2 * n * self.n_substeps, name, "the normals of one date")
        return n

    def initial_state(self, n: int) -> np.ndarray:
        """``n`` copies of ``(spot, v0)``, shape (n, 2)."""
        return np.tile([self.spot, self.v0], (n, 1))

    def _advance(self, x: np.ndarray, k: int, gen: np.random.Generator) -> np.ndarray:
        h = (self.times[k + 1] - self.times[k]) / self.n_substeps
        z = gen.standard_normal((x.shape[0], self.n_substeps, 2))
        s = np.ascontiguousarray(x[:, 0], dtype=np.float64)
        v = np.ascontiguousarray(x[:, 1], dtype=np.float64)
        heston_full_truncation(s, v, z, h, self.rate - self.dividend, self.kappa, self.theta, self.xi, self.rho)
        return np.column_stack([s, v])

    def __repr__(self) -> str:
        return (
            f"Heston(spot={self.spot}, v0={self.v0}, kappa={self.kappa}, theta={self.theta}, "
            f"xi={self.xi}, rho={self.rho}, rate={self.rate}, n_dates={self.n_dates})"
        )


@validate_params(
    spot=SPOT,
    mu=Real(-1.0, 1.0),
    phi=Real(-1.0, 1.0, closed="neither"),
    omega=Real(0.0, 1.0, closed="right"),
    alpha=Real(0.0, 1.0, closed="left"),
    beta=Real(0.0, 1.0, closed="left"),
    times=TIMES,
    x0=Real(-10.0, 10.0) | None,
    sigma2_0=Real(0.0, 1.0, closed="right") | None,
)
class AutoregressiveGARCH(_PathModel):
    """Log returns following an AR(1) with optional GARCH(1,1) innovations.

    Per grid step ``k`` (the grid fixes only the calendar; the dynamics are per step):

    .. math:: x_{k+1} = \\mu + \\phi (x_k - \\mu) + \\varepsilon_{k+1}, \\quad
              \\varepsilon_{k+1} = \\sigma_{k+1} z_{k+1},\\\\
              \\sigma^2_{k+2} = \\omega + \\alpha \\varepsilon_{k+1}^2 + \\beta \\sigma^2_{k+1},
              \\qquad S_{k+1} = S_k e^{x_{k+1}}.

    The state ``(S_k, x_k, sigma^2_{k+1})`` is Markov; the price ``S_k`` alone is not
    (with ``phi != 0`` tomorrow's return depends on today's). ``alpha = beta = 0`` gives
    an AR(1) with constant innovation variance ``omega``.

    Parameters
    ----------
    spot : float > 0
    mu : float in [-1, 1]
        Mean log return per step.
    phi : float in (-1, 1)
        AR(1) coefficient of the log returns.
    omega : float in (0, 1]
        Innovation variance per step (of the constant part).
    alpha, beta : float in [0, 1) with alpha + beta < 1
        GARCH(1,1) coefficients (stationary variance ``omega / (1 - alpha - beta)``).
    times : array_like
        Date grid (see :func:`time_grid`).
    x0 : float in [-10, 10], optional
        Last log return before today; default ``mu``.
    sigma2_0 : float in (0, 1], optional
        Variance of the first innovation; default the stationary one.

    Raises
    ------
    InvalidParameterError
        Also when the log-prices would leave the float64 range over the grid.

    References
    ----------
    .. [1] Bollerslev, T. (1986). Generalized autoregressive conditional
       heteroskedasticity. *Journal of Econometrics* 31(3), 307-327.
    .. [2] Felizardo, L. K. et al. Solving the optimal stopping problem with
       reinforcement learning: an application in financial option exercise.

    Examples
    --------
    >>> m = AutoregressiveGARCH(100.0, 0.0, 0.5, 1e-4, 0.1, 0.8, time_grid(1.0, 10))
    >>> m.simulate(2, rng=0).shape
    (2, 11, 1)
    """

    def __init__(
        self,
        spot: float,
        mu: float,
        phi: float,
        omega: float,
        alpha: float,
        beta: float,
        times: Any,
        x0: float | None = None,
        sigma2_0: float | None = None,
    ) -> None:
        if alpha + beta >= 1.0:
            raise InvalidParameterError(
                "beta", f"expected alpha + beta < 1 (a stationary GARCH), got alpha + beta = {alpha + beta!r}"
            )
        self.spot, self.mu, self.phi, self.omega, self.alpha, self.beta = spot, mu, phi, omega, alpha, beta
        self.times = np.asarray(times, dtype=np.float64)
        self.x0 = self.mu if x0 is None else x0
        self.sigma2_0 = self.stationary_variance if sigma2_0 is None else sigma2_0
        n = self.n_dates
        memory = min(float(n), 1.0 / (1.0 - abs(phi)))  # how far one return echoes in the log-price
        var = max(self.sigma2_0, self.stationary_variance)
        _check_log_range(math.log(spot), abs(mu) * n + abs(self.x0 - mu) * memory, math.sqrt(var * n) * memory, "times")
        self.n_assets = 1
        self.state_dim = 3

    @property
    def stationary_variance(self) -> float:
        """Unconditional innovation variance ``omega / (1 - alpha - beta)``."""
        return self.omega / (1.0 - self.alpha - self.beta)

    def initial_state(self, n: int) -> np.ndarray:
        """``n`` copies of ``(spot, x0, sigma2_0)``, shape (n, 3)."""
        return np.tile([self.spot, self.x0, self.sigma2_0], (n, 1))

    def _advance(self, x: np.ndarray, k: int, gen: np.random.Generator) -> np.ndarray:
        z = gen.standard_normal(x.shape[0])
        eps = np.sqrt(x[:, 2]) * z
        ret = self.mu + self.phi * (x[:, 1] - self.mu) + eps
        s2 = self.omega + self.alpha * eps**2 + self.beta * x[:, 2]
        return np.column_stack([x[:, 0] * np.exp(ret), ret, s2])

    def __repr__(self) -> str:
        return (
            f"AutoregressiveGARCH(spot={self.spot}, mu={self.mu}, phi={self.phi}, omega={self.omega}, "
            f"alpha={self.alpha}, beta={self.beta}, n_dates={self.n_dates})"
        )
