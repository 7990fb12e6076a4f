"""Discrete distributions: the one type shared by distributional DP and the deep heads.

A :class:`DiscreteDistribution` is a finite-support law, or a batch of them: atoms and
their probabilities in two arrays of shape ``(..., K)``. A single distribution has
shape ``(K,)`` (the return law of one state from
:func:`tabular.distributional_evaluation`), a batch has shape ``(n, K)`` (the predicted
laws of ``n`` inputs from :meth:`rlcore.deep.DistributionalMLPRegressor.predict_distribution`).
Every statistic works on the last axis and returns an array of the batch shape, a
``float`` for a single distribution.

The two projections onto the representations of distributional RL, named after what
they take (a distribution in, a distribution out), and two probability metrics:

* :func:`categorical_projection` ``Pi_C`` onto an evenly spaced support (the Cramér
  projection, Rowland et al. 2018); for the two-hot encoding of *scalar* targets see
  :func:`rlcore.deep.two_hot`;
* :func:`quantile_projection` ``Pi_Q`` onto ``N`` equally weighted quantile atoms (the
  W1 projection, Dabney et al. 2018);
* :func:`cramer_distance` (``l_2`` between CDFs) and :func:`wasserstein_distance`
  (``W_1`` and ``W_inf``).

Conventions (those of distributional DP, for a return ``G``): ``cdf(x) = P(G <= x)``;
``quantile(tau) = inf {x : F(x) >= tau}`` (the lower quantile); ``cvar(alpha)`` the
**lower-tail** conditional value-at-risk, the mean of the worst ``alpha`` fraction;
``prob_at_least(threshold) = P(G >= threshold)``. Cumulative sums are compared with a
slack of 1e-12 against rounding.

References
----------
M. G. Bellemare, W. Dabney, M. Rowland, *Distributional Reinforcement Learning*, MIT
Press 2023, chapter 5. M. Rowland, M. G. Bellemare, W. Dabney, R. Munos, Y. W. Teh, "An
analysis of categorical distributional reinforcement learning", AISTATS 2018. W. Dabney,
M. Rowland, M. G. Bellemare, R. Munos, "Distributional reinforcement learning with
quantile regression", AAAI 2018.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcore.validation import (
    Array,
    Instance,
    Integer,
    InvalidParameterError,
    IsCallable,
    ProbabilityRows,
    Real,
    as_float_array,
    check_real,
    validate_params,
)

__all__ = [
    "CUM_SLACK",
    "MAX_ATOMS",
    "MAX_BATCH_ATOMS",
    "SUPPORT",
    "DiscreteDistribution",
    "categorical_probs",
    "categorical_projection",
    "cramer_distance",
    "quantile_projection",
    "wasserstein_distance",
]

#: Slack on cumulative probabilities when reading off quantiles (rounding only).
CUM_SLACK = 1e-12
#: Most atoms of one distribution a projection builds (``n_quantiles``).
MAX_ATOMS = 10**7
#: Most atoms of all the distributions of a batch a projection builds.
MAX_BATCH_ATOMS = 10**8
#: Most entries of the temporary (rows, levels, atoms) arrays of a batched statistic.
_CHUNK_ENTRIES = 1 << 22
#: A probability level in ``(0, 1]`` (quantile, CVaR).
_LEVEL = Real(0, 1, closed="right")
_LEVELS = Array(low=0.0, high=1.0, closed="right", min_size=0)


class _Atoms(Array):
    """Finite atoms of shape (..., K): at least one axis, ``K >= 1``; batch axes may be empty."""

    def __init__(self) -> None:
        super().__init__("float", min_size=0)

    def __str__(self) -> str:
        return "a float array of atoms of shape (..., K), K >= 1"

    def check(self, value: Any, name: str, args: dict[str, Any] | None = None) -> np.ndarray:
        arr = super().check(value, name, args)
        if arr.ndim == 0 or arr.shape[-1] == 0:
            raise InvalidParameterError(name, f"expected shape (..., K) with K >= 1 atoms, got shape {arr.shape}")
        return arr

    def _example(self, args: dict[str, Any] | None) -> np.ndarray | None:
        return np.array([0.0, 1.0])

    def invalid_values(self, args: dict[str, Any] | None = None) -> list[tuple[Any, type[Exception]]]:
        out = super().invalid_values(args)
        out += [(np.zeros(0), ValueError), (np.zeros((2, 0)), ValueError), (1.0, ValueError)]
        return out


class _Probs(ProbabilityRows):
    """Probabilities of the same shape as ``atoms``, each row a probability vector."""

    def __init__(self) -> None:
        super().__init__(ndim=None)
        self.min_size = 0

    def __str__(self) -> str:
        return "probability rows of the shape of atoms"

    def expected_shape(self, args: dict[str, Any] | None) -> tuple[Any, ...] | None:
        atoms = (args or {}).get("atoms")
        return None if atoms is None else tuple(np.shape(atoms))


def _chunks(n: int, per_row: int) -> list[slice]:
    """Row slices keeping ``rows * per_row`` entries near :data:`_CHUNK_ENTRIES`."""
    step = max(1, _CHUNK_ENTRIES // max(per_row, 1))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)] or [slice(0, 0)]


@validate_params(atoms=_Atoms(), probs=_Probs())
@dataclass(frozen=True, init=False, repr=False, eq=False)
class DiscreteDistribution:
    """A finite-support distribution, or a batch of them: atoms and their probabilities.

    Parameters
    ----------
    atoms : array_like of shape (..., K)
        Finite values, ``K >= 1`` (repeats allowed). Each row (the last axis) is sorted
        on construction, its probabilities moved with it.
    probs : array_like of shape (..., K)
        The shape of ``atoms``; each row non-negative, summing to 1 within 1e-8 (not
        renormalised).

    Attributes
    ----------
    atoms : ndarray of shape (..., K)
        Sorted along the last axis, read-only.
    probs : ndarray of shape (..., K)
        Read-only.

    Notes
    -----
    A single distribution has shape ``(K,)`` and its statistics are floats; a batch of
    shape ``batch_shape + (K,)`` gives arrays of shape ``batch_shape`` (and
    ``batch_shape + np.shape(level)`` for an array of levels or points), row ``i``
    equal to the statistic of ``dist[i]``. Conventions: ``cdf(x) = P(G <= x)``;
    ``quantile(tau) = inf {x : F(x) >= tau}`` (the lower quantile, the value-at-risk at
    level ``tau`` of the *return*); ``cvar(alpha)`` is the **lower-tail** conditional
    value-at-risk, the mean of the worst ``alpha`` fraction of outcomes,
    ``CVaR_alpha(G) = (1/alpha) int_0^alpha F^{-1}(u) du
    = max_c { c - E[(c - G)^+] / alpha }`` (Rockafellar & Uryasev 2000), so that
    ``cvar(1) = mean()`` and larger is better; ``prob_at_least(tau) = P(G >= tau)``.
    Cumulative sums are compared with a slack of 1e-12 against rounding.

    Examples
    --------
    >>> d = DiscreteDistribution([0.0, 1.0, 10.0], [0.5, 0.25, 0.25])
    >>> d.mean(), d.quantile(0.5), d.cvar(0.5), d.prob_at_least(1.0)
    (2.75, 0.0, 0.0, 0.5)
    >>> batch = DiscreteDistribution([[0.0, 1.0], [3.0, 2.0]], [[0.5, 0.5], [0.25, 0.75]])
    >>> batch
    DiscreteDistribution(batch_shape=(2,), n_atoms=2)
    >>> batch.atoms[1], batch.probs[1]
    (array([2., 3.]), array([0.75, 0.25]))
    >>> batch.mean(), batch.quantile([0.5, 1.0])
    (array([0.5 , 2.25]), array([[0., 1.],
           [2., 3.]]))
    >>> batch[1].mean()
    2.25
    """

    atoms: np.ndarray
    probs: np.ndarray

    def __init__(self, atoms: Any, probs: Any) -> None:
        self._set(atoms, probs)

    def _set(self, x: np.ndarray, p: np.ndarray) -> None:
        order = np.argsort(x, axis=-1, kind="stable")
        x = np.take_along_axis(x, order, axis=-1)
        p = np.take_along_axis(p, order, axis=-1)
        x.flags.writeable = False
        p.flags.writeable = False
        object.__setattr__(self, "atoms", x)
        object.__setattr__(self, "probs", p)

    @classmethod
    def _trusted(cls, atoms: np.ndarray, probs: np.ndarray) -> DiscreteDistribution:
        """A distribution from arrays rlcore built (finite atoms, probability rows)."""
        out = cls.__new__(cls)
        out._set(np.array(atoms, dtype=np.float64), np.array(probs, dtype=np.float64))
        return out

    @classmethod
    def from_samples(cls, samples: Any) -> DiscreteDistribution:
        """Empirical distribution of ``samples``, or of each row of them.

        Parameters
        ----------
        samples : array_like of shape (m,) or (..., m)
            Finite, ``m >= 1``. A 1-d sample gives one distribution on its distinct
            values; a batch of samples gives one distribution per row, on its ``m``
            sorted values (repeats kept) with probability ``1/m`` each.

        Returns
        -------
        DiscreteDistribution

        Examples
        --------
        >>> DiscreteDistribution.from_samples([1.0, 3.0, 1.0, 1.0]).probs
        array([0.75, 0.25])
        >>> DiscreteDistribution.from_samples([[1.0, 3.0], [2.0, 2.0]]).mean()
        array([2., 2.])
        """
        x = _Atoms().check(samples, "samples")
        if x.ndim == 1:
            atoms, counts = np.unique(x, return_counts=True)
            return cls._trusted(atoms, counts / x.size)
        return cls._trusted(x, np.full(x.shape, 1.0 / x.shape[-1]))

    # ------------------------------------------------------------------ shape
    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The shape of the batch, ``atoms.shape[:-1]`` (``()`` for one distribution)."""
        return tuple(self.atoms.shape[:-1])

    @property
    def n_atoms(self) -> int:
        """``K``, the number of atoms of each distribution."""
        return int(self.atoms.shape[-1])

    def __getitem__(self, key: Any) -> DiscreteDistribution:
        """The distribution(s) at ``key`` of the batch (indexes the batch axes only)."""
        if not self.batch_shape:
            raise TypeError("a single DiscreteDistribution cannot be indexed; index a batch")
        keys = key if isinstance(key, tuple) else (key,)
        if any(k is Ellipsis or k is None for k in keys) or len(keys) > len(self.batch_shape):
            raise IndexError(f"expected at most {len(self.batch_shape)} indices into the batch, got {key!r}")
        return type(self)._trusted(self.atoms[key], self.probs[key])

    def __repr__(self) -> str:
        if self.batch_shape:
            return f"DiscreteDistribution(batch_shape={self.batch_shape}, n_atoms={self.n_atoms})"
        return f"DiscreteDistribution(n_atoms={self.n_atoms}, mean={self.mean():.6g})"

    def _out(self, values: np.ndarray, arg_shape: tuple[int, ...] = ()) -> Any:
        """Rows ``(n, *arg_shape)`` back to ``batch_shape + arg_shape``; a float when that is ()."""
        out = np.asarray(values, dtype=np.float64).reshape(self.batch_shape + arg_shape)
        return float(out) if out.ndim == 0 else out

    def _rows(self) -> tuple[np.ndarray, np.ndarray]:
        K = self.n_atoms
        return self.atoms.reshape(-1, K), self.probs.reshape(-1, K)

    # ------------------------------------------------------------------ statistics
    def mean(self) -> Any:
        """``E[G]``: a float, or an array of the batch shape."""
        a, p = self._rows()
        return self._out((a * p).sum(axis=-1))

    def variance(self) -> Any:
        """``Var[G]`` (computed about the mean, never negative; ``inf`` beyond the float64 range)."""
        a, p = self._rows()
        m = (a * p).sum(axis=-1)
        return self._out(((a - m[:, None]) ** 2 * p).sum(axis=-1))

    def std(self) -> Any:
        """Standard deviation of ``G`` (``inf`` when the variance is)."""
        return self._out(np.sqrt(np.asarray(self.variance(), dtype=np.float64)))

    def cdf(self, x: Any) -> Any:
        """``P(G <= x)``, elementwise for an array ``x``: shape ``batch_shape + np.shape(x)``."""
        xs = as_float_array(x, "x")
        a, p = self._rows()
        flat = xs.reshape(-1)
        cum = np.concatenate((np.zeros((a.shape[0], 1)), np.cumsum(p, axis=-1)), axis=-1)
        out = np.empty((a.shape[0], flat.size))
        for rows in _chunks(a.shape[0], flat.size * a.shape[1]):
            k = (a[rows, None, :] <= flat[None, :, None]).sum(axis=-1)  # searchsorted(side="right")
            out[rows] = np.take_along_axis(cum[rows], k, axis=-1)
        return self._out(out, xs.shape)

    def _levels(self, level: Any, name: str) -> np.ndarray:
        if np.ndim(level) == 0:
            return np.asarray(_LEVEL.check(level, name), dtype=np.float64)
        return _LEVELS.check(level, name)

    def quantile(self, tau: Any) -> Any:
        """Lower quantile ``inf {x : P(G <= x) >= tau}`` for ``tau`` in (0, 1] (a float or an array of levels)."""
        t = self._levels(tau, "tau")
        a, p = self._rows()
        out = _lower_quantiles(a, np.cumsum(p, axis=-1), t.reshape(-1))
        return self._out(out, t.shape)

    def cvar(self, alpha: Any) -> Any:
        """Lower-tail CVaR: the mean of the worst ``alpha`` fraction, ``alpha`` in (0, 1] (a float or an array)."""
        al = self._levels(alpha, "alpha")
        a, p = self._rows()
        flat = al.reshape(-1)
        cum = np.cumsum(p, axis=-1)
        prev = np.concatenate((np.zeros((a.shape[0], 1)), cum[:, :-1]), axis=-1)
        out = np.empty((a.shape[0], flat.size))
        for rows in _chunks(a.shape[0], flat.size * a.shape[1]):
            lv = flat[None, :, None]
            w = np.clip(np.minimum(cum[rows, None, :], lv) - prev[rows, None, :], 0.0, None)
            # w / alpha first: w * atom can underflow for a tiny alpha
            out[rows] = ((w / lv) * a[rows, None, :]).sum(axis=-1)
        return self._out(out, al.shape)

    def prob_at_least(self, threshold: Any) -> Any:
        """``P(G >= threshold)`` for a real ``threshold``."""
        thr = check_real(threshold, "threshold")
        a, p = self._rows()
        return self._out(np.where(a >= thr, p, 0.0).sum(axis=-1))

    def expected_utility(self, utility: Any) -> Any:
        """``E[u(G)]`` for a vectorised callable ``u`` (called once on the array of atoms)."""
        IsCallable().check(utility, "utility")
        vals = Array(min_size=0).check(utility(self.atoms.copy()), "utility")
        if vals.shape != self.atoms.shape:
            raise InvalidParameterError(
                "utility", f"expected an array of shape {self.atoms.shape} back, got {vals.shape}"
            )
        return self._out((vals * self.probs).reshape(-1, self.n_atoms).sum(axis=-1))


def _lower_quantiles(a: np.ndarray, cum: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """``a[i, searchsorted(cum[i], tau - slack, "left")]`` for rows ``i`` and levels ``taus``: (n, q)."""
    n, K = a.shape
    out = np.empty((n, taus.size))
    for rows in _chunks(n, taus.size * K):
        k = (cum[rows, None, :] < taus[None, :, None] - CUM_SLACK).sum(axis=-1)
        out[rows] = np.take_along_axis(a[rows], np.minimum(k, K - 1), axis=-1)
    return out


# ---------------------------------------------------------------------------------
# distances
# ---------------------------------------------------------------------------------
_DIST = Instance(DiscreteDistribution)


def _pairs(p: DiscreteDistribution, q: DiscreteDistribution) -> list[tuple[int, ...]]:
    if p.batch_shape != q.batch_shape:
        raise InvalidParameterError(
            "q", f"expected the batch shape of p, {p.batch_shape}, got {q.batch_shape} (shape {q.atoms.shape})"
        )
    return list(np.ndindex(*p.batch_shape))


def _cramer(pa: np.ndarray, pp: np.ndarray, qa: np.ndarray, qp: np.ndarray) -> float:
    xs = np.union1d(pa, qa)
    F = np.concatenate(([0.0], np.cumsum(pp)))[np.searchsorted(pa, xs, side="right")]
    G = np.concatenate(([0.0], np.cumsum(qp)))[np.searchsorted(qa, xs, side="right")]
    return float(np.sqrt(np.sum((F[:-1] - G[:-1]) ** 2 * np.diff(xs))))


def _w1(pa: np.ndarray, pp: np.ndarray, qa: np.ndarray, qp: np.ndarray) -> float:
    xs = np.union1d(pa, qa)
    F = np.concatenate(([0.0], np.cumsum(pp)))[np.searchsorted(pa, xs, side="right")]
    G = np.concatenate(([0.0], np.cumsum(qp)))[np.searchsorted(qa, xs, side="right")]
    return float(np.sum(np.abs(F[:-1] - G[:-1]) * np.diff(xs)))


def _winf(pa: np.ndarray, pp: np.ndarray, qa: np.ndarray, qp: np.ndarray) -> float:
    breaks = np.clip(np.union1d(np.cumsum(pp), np.cumsum(qp)), 0.0, 1.0)
    edges = np.union1d([0.0, 1.0], breaks)
    u = 0.5 * (edges[:-1] + edges[1:])
    u = u[np.diff(edges) > 1e-12]

    def qf(a: np.ndarray, p: np.ndarray) -> np.ndarray:
        k = np.searchsorted(np.cumsum(p), u - CUM_SLACK, side="left")
        return a[np.minimum(k, a.size - 1)]

    return float(np.max(np.abs(qf(pa, pp) - qf(qa, qp)), initial=0.0))


def _pairwise(p: DiscreteDistribution, q: DiscreteDistribution, fn: Any) -> Any:
    out = np.array([fn(p.atoms[i], p.probs[i], q.atoms[i], q.probs[i]) for i in _pairs(p, q)], dtype=np.float64)
    out = out.reshape(p.batch_shape)
    return float(out) if out.ndim == 0 else out


@validate_params(p=_DIST, q=_DIST)
def cramer_distance(p: DiscreteDistribution, q: DiscreteDistribution) -> Any:
    """Cramér distance ``l_2(p, q) = (int (F_p(x) - F_q(x))^2 dx)^{1/2}``.

    Parameters
    ----------
    p, q : DiscreteDistribution
        Of the same batch shape (their numbers of atoms may differ).

    Returns
    -------
    float or ndarray of the batch shape
        The distance between ``p[i]`` and ``q[i]`` for each ``i`` of the batch.

    Examples
    --------
    >>> cramer_distance(DiscreteDistribution([0.0], [1.0]), DiscreteDistribution([4.0], [1.0]))
    2.0
    """
    return _pairwise(p, q, _cramer)


@validate_params(p=_DIST, q=_DIST, order=Real(1, None, finite=False))
def wasserstein_distance(p: DiscreteDistribution, q: DiscreteDistribution, order: float = 1) -> Any:
    """Wasserstein distance ``W_1`` (``order=1``) or ``W_inf`` (``order=np.inf``).

    ``W_1 = int |F_p - F_q| dx``; ``W_inf = sup_{u in (0,1)} |F_p^{-1}(u) - F_q^{-1}(u)|``.

    Parameters
    ----------
    p, q : DiscreteDistribution
        Of the same batch shape (their numbers of atoms may differ).
    order : {1, numpy.inf}, default 1
        Other orders are refused.

    Returns
    -------
    float or ndarray of the batch shape

    Examples
    --------
    >>> p = DiscreteDistribution([0.0, 1.0], [0.5, 0.5])
    >>> dirac = DiscreteDistribution([0.0], [1.0])
    >>> wasserstein_distance(p, dirac), wasserstein_distance(p, dirac, np.inf)
    (0.5, 1.0)
    """
    if order == 1:
        return _pairwise(p, q, _w1)
    if order == np.inf:
        return _pairwise(p, q, _winf)
    raise InvalidParameterError("order", f"expected 1 or numpy.inf, got {order!r}")


# ---------------------------------------------------------------------------------
# projections
# ---------------------------------------------------------------------------------
class _Support(Array):
    """A categorical support: at least 2 evenly spaced, increasing, finite atoms."""

    def __init__(self) -> None:
        super().__init__("float", ndim=1)

    def __str__(self) -> str:
        return "an evenly spaced increasing support (numpy.linspace(v_min, v_max, m), m >= 2)"

    def check(self, value: Any, name: str, args: dict[str, Any] | None = None) -> np.ndarray:
        z = super().check(value, name, args)
        if z.size < 2:
            raise InvalidParameterError(name, f"expected at least 2 atoms, got {z.size}")
        with np.errstate(over="ignore"):
            gaps = np.diff(z)
            width = z[-1] - z[0]
        if not np.isfinite(width):
            raise InvalidParameterError(name, f"its width {z[-1]!r} - {z[0]!r} overflows float64")
        if not (width > 0 and np.allclose(gaps, width / (z.size - 1), rtol=1e-9, atol=0.0)):
            raise InvalidParameterError(
                name, "expected evenly spaced, increasing atoms (e.g. numpy.linspace(v_min, v_max, m))"
            )
        return z

    def _example(self, args: dict[str, Any] | None) -> np.ndarray | None:
        return np.linspace(0.0, 1.0, 3)

    def invalid_values(self, args: dict[str, Any] | None = None) -> list[tuple[Any, type[Exception]]]:
        out = super().invalid_values(args)
        out += [
            (np.array([0.0, 1.0, 3.0]), ValueError),
            (np.array([1.0, 0.0]), ValueError),
            (np.array([0.5]), ValueError),
            (np.array([-1e308, 1e308]), ValueError),
        ]
        return out


#: The constraint of a categorical ``support`` argument (evenly spaced, increasing, m >= 2).
SUPPORT = _Support()


def categorical_probs(atoms: np.ndarray, probs: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The probabilities ``Pi_C`` puts on a checked support ``z``: shape ``atoms.shape[:-1] + (m,)``.

    The arrays of :func:`categorical_projection` without the checks (for library code
    that projects arrays it built itself).
    """
    K, m = atoms.shape[-1], z.size
    a, p = atoms.reshape(-1, K), probs.reshape(-1, K)
    step = (z[-1] - z[0]) / (m - 1)
    pos = np.clip((a - z[0]) / step, 0.0, m - 1.0)
    left = np.minimum(np.floor(pos).astype(np.int64), m - 2)
    frac = pos - left
    base = (np.arange(a.shape[0]) * m)[:, None]
    flat = np.bincount((base + left).ravel(), weights=(p * (1.0 - frac)).ravel(), minlength=a.shape[0] * m)
    flat += np.bincount((base + left + 1).ravel(), weights=(p * frac).ravel(), minlength=a.shape[0] * m)
    return flat.reshape(atoms.shape[:-1] + (m,))


@validate_params(dist=_DIST, support=SUPPORT)
def categorical_projection(dist: DiscreteDistribution, support: Any) -> DiscreteDistribution:
    """Cramér (linear-interpolation) projection ``Pi_C`` onto an evenly spaced support.

    Mass at ``x`` in ``[z_i, z_{i+1}]`` goes to ``z_i`` and ``z_{i+1}`` in proportion
    to its closeness; mass below ``z_1`` or above ``z_m`` goes to the end atom. Each
    distribution of a batch is projected on its own.

    Parameters
    ----------
    dist : DiscreteDistribution
        One distribution or a batch.
    support : array_like of shape (m,)
        Evenly spaced increasing atoms, ``m >= 2``.

    Returns
    -------
    DiscreteDistribution
        Of the batch shape of ``dist``, on ``support`` (zero-probability atoms kept).

    Examples
    --------
    >>> categorical_projection(DiscreteDistribution([0.25], [1.0]), [0.0, 1.0]).probs
    array([0.75, 0.25])
    """
    probs = categorical_probs(dist.atoms, dist.probs, support)
    return DiscreteDistribution._trusted(np.broadcast_to(support, probs.shape), probs)


@validate_params(dist=_DIST, n_quantiles=Integer(1, MAX_ATOMS))
def quantile_projection(dist: DiscreteDistribution, n_quantiles: int) -> DiscreteDistribution:
    """W1 projection ``Pi_Q``: ``N`` atoms of mass ``1/N`` at ``F^{-1}((2i-1)/(2N))``.

    Parameters
    ----------
    dist : DiscreteDistribution
        One distribution or a batch (each projected on its own).
    n_quantiles : int in [1, 10**7]
        ``N``.

    Returns
    -------
    DiscreteDistribution
        Of the batch shape of ``dist``, with ``N`` atoms.

    Examples
    --------
    >>> quantile_projection(DiscreteDistribution([0.0, 1.0], [0.3, 0.7]), 2).atoms
    array([0., 1.])
    """
    N = n_quantiles
    n = dist.atoms.size // dist.n_atoms
    if n * N > MAX_BATCH_ATOMS:
        raise InvalidParameterError(
            "n_quantiles", f"{N} quantiles for each of {n} distributions exceed {MAX_BATCH_ATOMS} atoms in all"
        )
    tau = (2.0 * np.arange(N) + 1.0) / (2.0 * N)
    K = dist.n_atoms
    a, p = dist.atoms.reshape(-1, K), dist.probs.reshape(-1, K)
    cum = np.cumsum(p, axis=-1)
    out = np.empty((a.shape[0], N))
    for i in range(a.shape[0]):  # searchsorted per row: N may be large
        k = np.searchsorted(cum[i], tau - CUM_SLACK, side="left")
        out[i] = a[i, np.minimum(k, K - 1)]
    atoms = out.reshape(dist.batch_shape + (N,))
    return DiscreteDistribution._trusted(atoms, np.full(atoms.shape, 1.0 / N))
