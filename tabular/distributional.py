"""Distributional dynamic programming: the whole law of the return of a policy.

For a policy ``pi`` of a :class:`rlcore.FiniteMDP` the *return*
``G = sum_t gamma^t R(S_t, A_t)`` (discounted) or ``G = sum_{t<H} R_t(S_t, A_t)``
(finite horizon) is a random variable; its law from state ``s`` is the return
distribution ``eta^pi(s)``. It satisfies the distributional Bellman equation

.. math:: \\eta^\\pi(s) = \\sum_a \\pi(a \\mid s) \\sum_{s'} P(s' \\mid s, a)\\,
          (b_{r(s,a),\\gamma})_\\# \\eta^\\pi(s') =: (T^\\pi \\eta^\\pi)(s),

where ``b_{r,gamma}(x) = r + gamma x`` (Bellemare, Dabney & Rowland 2023, ch. 2 and 4).

**Rewards.** A :class:`~rlcore.FiniteMDP` stores *expected* rewards ``R(s, a)``; this
module treats them as deterministic given ``(s, a)``, so the distribution computed is
that of the sum of ``R`` along the random trajectory (the randomness comes from the
transitions and the policy). If the rewards of your problem are themselves random,
pass their law as ``reward_distribution=(atoms, probs)`` (arrays of shape (S, A, n),
or (H, S, A, n); the reward is drawn given ``(s, a)`` independently of the next state,
and its mean must equal ``R``); without it the law computed is that of the return with
each reward replaced by its mean (same mean, understated spread).

Three representations
---------------------
``"categorical"``
    Probabilities on a fixed, evenly spaced support ``z_1 < ... < z_m`` (spacing
    ``varsigma``). The projection ``Pi_C`` splits the mass at ``x`` between its two
    neighbouring atoms by linear interpolation (mass beyond the ends goes to the end
    atoms); it is the orthogonal projection for the Cramér distance
    ``l_2(nu, mu) = (int (F_nu - F_mu)^2)^{1/2}`` and preserves the mean of
    distributions supported in ``[z_1, z_m]`` (Rowland et al. 2018).
``"quantile"``
    ``N`` atoms of mass ``1/N`` at the quantiles ``F^{-1}(tau_i)`` of the midpoints
    ``tau_i = (2i - 1) / (2N)``: the projection ``Pi_Q`` onto N-atom equal-weight
    distributions that minimises the 1-Wasserstein distance (Dabney et al. 2018).
``"exact"``
    Finite horizon only: the exact finite-support law (atoms and probabilities,
    equal atoms merged), by backward recursion. Its size can grow exponentially with
    ``H``; a cap (``max_atoms``) stops it with a clear error.

Guarantees (all derived in ``docs/theory/distributional.md``)
-------------------------------------------------------------
* ``Pi_C T^pi`` is a ``sqrt(gamma)``-contraction in the supremum-Cramér distance
  ``sup_s l_2`` (Rowland et al. 2018); ``Pi_Q T^pi`` is a
  ``gamma``-contraction in the supremum-``W_inf`` distance (Dabney et al. 2018;
  Bellemare, Dabney & Rowland 2023, ch. 5). Discounted evaluation iterates the
  projected operator from a point mass and stops once the a-posteriori bound
  ``c / (1 - c) * d(eta_{k+1}, eta_k)`` on the distance to its fixed point is
  ``<= tol`` (``c`` the modulus, ``d`` the metric); the bound is reported.
* The fixed point is close to the true law (:func:`projection_error_bound`): with
  every return in ``[z_1, z_m]``, ``sup_s l_2(eta_C(s), eta^pi(s)) <=
  sqrt(varsigma / (2 (1 - gamma)))``; with every return in ``[a, b]``,
  ``sup_s W_1(eta_Q(s), eta^pi(s)) <= (b - a) / (2 N (1 - gamma))``. Finite horizon,
  with ``[a_t, b_t]`` the range of the return-to-go from step ``t``:
  ``sqrt(sum_t varsigma_t / 2)`` for the default per-step supports (``m`` atoms over
  ``[a_t, b_t]``, spacing ``varsigma_t``), ``sqrt(H varsigma / 2)`` for one shared
  support containing every ``[a_t, b_t]``, and ``sum_t (b_t - a_t) / (2N)``.
* Rows that sum to 1 only within the tolerance: a return distribution needs
  probability rows, so every representation is computed for the normalised kernel
  ``P(.|s, a) / rho(s, a)`` and the normalised policy rows (``rho`` the stored row sums,
  :attr:`rlcore.FiniteMDP.row_sums`, within ``atol`` of 1); its mean differs from the
  :func:`rlcore.evaluate_policy` value of the stored rows by at most about
  ``gamma max|rho - 1| max|V| / (1 - gamma)``. The a-posteriori bounds include the
  floating-point error of each backup: the categorical bound is
  ``(c d(eta_{k+1}, eta_k) + e_C) / (1 - c)`` with ``e_C`` the Cramer size of the
  probabilities' rounding, the quantile bound ``(gamma d + e_Q) / (1 - gamma)`` with
  ``e_Q = 2 eps (max|r| + gamma max|theta|)`` for the atoms' rounding. (The quantile
  levels are selected with the cumulative weights as computed; a weight tie at a level
  is resolved as in that computation.)
* The categorical result has exactly the mean ``V^pi`` (up to the iteration error)
  when every support is closed under the backup (``r + gamma z`` stays inside), as the
  defaults are: ``Pi_C`` preserves means there and ``T^pi`` is affine in them.

References
----------
M. G. Bellemare, W. Dabney, M. Rowland, *Distributional Reinforcement Learning*, MIT
Press 2023, chapters 4 and 5.
M. Rowland, M. G. Bellemare, W. Dabney, R. Munos, Y. W. Teh, "An analysis of
categorical distributional reinforcement learning", AISTATS 2018.
W. Dabney, M. Rowland, M. G. Bellemare, R. Munos, "Distributional reinforcement
learning with quantile regression", AAAI 2018.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from rlcore.mdp import FiniteMDP
from rlcore.policies import as_stochastic
from rlcore.validation import (
    MAX_ITERATIONS,
    MDP,
    Args,
    Array,
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    Options,
    Policy,
    ProbabilityRows,
    ProbabilityVector,
    Real,
    Sequence_,
    as_float_array,
    check_probability_vector,
    check_real,
    check_stochastic_rows,
    validate_params,
)
from tabular._distributional_kernels import categorical_backup, quantile_backup

__all__ = [
    "DistributionalEvaluation",
    "ReturnDistribution",
    "categorical_bellman_operator",
    "categorical_projection",
    "cramer_distance",
    "distributional_evaluation",
    "projection_error_bound",
    "quantile_bellman_operator",
    "quantile_projection",
    "wasserstein_distance",
]

_EMPTY_INT = np.empty(0, dtype=np.int64)
#: slack on cumulative probabilities when reading off quantiles (rounding only)
_CUM_SLACK = 1e-12
#: Most atoms of one distribution (``n_atoms``, ``n_quantiles``, ``max_atoms``).
MAX_ATOMS = 10**7
#: Most entries ``S * n_atoms`` (``H * S * n_atoms``) of the arrays of an evaluation.
MAX_ENTRIES = 10**8
#: A probability level in ``(0, 1]`` (quantile, CVaR).
_LEVEL = Real(0, 1, closed="right")


class _Support(Array):
    """A categorical support: at least 2 evenly spaced, increasing, finite atoms."""

    def __init__(self) -> None:
        super().__init__("float", ndim=1)

    def __str__(self) -> str:
        return "an evenly spaced increasing support (numpy.linspace(v_min, v_max, m), m >= 2)"

    def check(self, value: Any, name: str, args: Args | None = None) -> np.ndarray:
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

    def _example(self, args: Args | None) -> np.ndarray | None:
        return np.linspace(0.0, 1.0, 3)

    def invalid_values(self, args: Args | None = None) -> list[tuple[Any, type[Exception]]]:
        out = super().invalid_values(args)
        out += [
            (np.array([0.0, 1.0, 3.0]), ValueError),
            (np.array([1.0, 0.0]), ValueError),
            (np.array([0.5]), ValueError),
            (np.array([-1e308, 1e308]), ValueError),
        ]
        return out


class _RewardDistribution(Sequence_):
    """``reward_distribution``: a pair ``(atoms, probs)`` of real arrays of shape (S, A, n) or (H, S, A, n).

    Each array is checked here (finite, real, rank 3 or 4); their shapes against the MDP,
    the probabilities and the means by :class:`_RewardLaw`.
    """

    def __init__(self) -> None:
        super().__init__(Array(ndim=(3, 4)), length=2)

    def __str__(self) -> str:
        return "a pair (atoms, probs) of arrays of shape (S, A, n) or (H, S, A, n)"

    def check(self, value: Any, name: str, args: Args | None = None) -> tuple[Any, ...]:
        if not isinstance(value, (list, tuple)):
            raise InvalidParameterTypeError(name, f"expected {self}, got {type(value).__name__}")
        return super().check(value, name, args)


_REWARD_DISTRIBUTION = _RewardDistribution() | None
_SUPPORT = _Support()
_T = Integer(0, 10**6)


# ---------------------------------------------------------------------------------
# one return distribution and its statistics
# ---------------------------------------------------------------------------------
@validate_params(atoms=Array(ndim=1), probs=ProbabilityVector(lambda a: np.size(a["atoms"])))
@dataclass(frozen=True, init=False)
class ReturnDistribution:
    """A finite-support distribution of returns: sorted atoms and their probabilities.

    Parameters
    ----------
    atoms : array_like of shape (n,)
        Finite values (sorted on construction; repeats allowed), ``n >= 1``.
    probs : array_like of shape (n,)
        Non-negative, summing to 1 within 1e-8 (not renormalised).

    Notes
    -----
    Conventions: ``cdf(x) = P(G <= x)``; ``quantile(tau) = inf {x : F(x) >= tau}``
    (the lower quantile, i.e. the value-at-risk at level ``tau`` of the *return*);
    ``cvar(alpha)`` is the **lower-tail** conditional value-at-risk, the mean of the
    worst ``alpha`` fraction of outcomes,
    ``CVaR_alpha(G) = (1/alpha) int_0^alpha F^{-1}(u) du
    = max_c { c - E[(c - G)^+] / alpha }`` (Rockafellar & Uryasev 2000), so that
    ``cvar(1) = mean()`` and larger is better; ``prob_at_least(tau) = P(G >= tau)``.
    Cumulative sums are compared with a slack of 1e-12 against rounding.

    Examples
    --------
    >>> d = ReturnDistribution([0.0, 1.0, 10.0], [0.5, 0.25, 0.25])
    >>> d.mean(), d.quantile(0.5), d.cvar(0.5), d.prob_at_least(1.0)
    (2.75, 0.0, 0.0, 0.5)
    """

    atoms: np.ndarray
    probs: np.ndarray

    def __init__(self, atoms: Any, probs: Any) -> None:
        self._set(atoms, probs)

    def _set(self, x: np.ndarray, p: np.ndarray) -> None:
        order = np.argsort(x, kind="stable")
        x, p = x[order], p[order]
        x.flags.writeable = False
        p.flags.writeable = False
        object.__setattr__(self, "atoms", x)
        object.__setattr__(self, "probs", p)

    @classmethod
    def _trusted(cls, atoms: np.ndarray, probs: np.ndarray) -> ReturnDistribution:
        """A distribution from arrays the library built (finite atoms, a probability vector)."""
        out = cls.__new__(cls)
        out._set(np.array(atoms, dtype=np.float64), np.array(probs, dtype=np.float64))
        return out

    @classmethod
    def from_samples(cls, samples: Any) -> ReturnDistribution:
        """Empirical distribution of ``samples`` (array_like of shape (n,), n >= 1, finite).

        Examples
        --------
        >>> ReturnDistribution.from_samples([1.0, 3.0, 1.0, 1.0]).probs
        array([0.75, 0.25])
        """
        x = Array(ndim=1).check(samples, "samples")
        atoms, counts = np.unique(x, return_counts=True)
        return cls._trusted(atoms, counts / x.size)

    def mean(self) -> float:
        """``E[G]``."""
        return float(np.dot(self.atoms, self.probs))

    def variance(self) -> float:
        """``Var[G]`` (computed about the mean, never negative; ``inf`` beyond the float64 range)."""
        return float(np.dot((self.atoms - self.mean()) ** 2, self.probs))

    def std(self) -> float:
        """Standard deviation of ``G`` (``inf`` when the variance is)."""
        return float(np.sqrt(self.variance()))

    def cdf(self, x: Any) -> np.ndarray | float:
        """``P(G <= x)``, elementwise for an array ``x``."""
        xs = as_float_array(x, "x")
        cum = np.concatenate(([0.0], np.cumsum(self.probs)))
        out = cum[np.searchsorted(self.atoms, xs, side="right")]
        return float(out) if out.ndim == 0 else out

    def quantile(self, tau: Any) -> float:
        """Lower quantile ``inf {x : P(G <= x) >= tau}`` for ``tau`` in (0, 1]."""
        tau = _LEVEL.check(tau, "tau")
        cum = np.cumsum(self.probs)
        k = int(np.searchsorted(cum, tau - _CUM_SLACK, side="left"))
        return float(self.atoms[min(k, self.atoms.size - 1)])

    def cvar(self, alpha: Any) -> float:
        """Lower-tail CVaR: the mean of the worst ``alpha`` fraction, ``alpha`` in (0, 1]."""
        alpha = _LEVEL.check(alpha, "alpha")
        cum = np.cumsum(self.probs)
        prev = np.concatenate(([0.0], cum[:-1]))
        w = np.clip(np.minimum(cum, alpha) - prev, 0.0, None)
        return float(np.dot(w / alpha, self.atoms))  # w / alpha first: w * atom can underflow for tiny alpha

    def prob_at_least(self, threshold: Any) -> float:
        """``P(G >= threshold)``."""
        thr = check_real(threshold, "threshold")
        return float(self.probs[self.atoms >= thr].sum())

    def expected_utility(self, utility: Any) -> float:
        """``E[u(G)]`` for a vectorised callable ``u``."""
        IsCallable().check(utility, "utility")
        vals = Array().check(utility(self.atoms.copy()), "utility")
        if vals.shape != self.atoms.shape:
            raise InvalidParameterError(
                "utility", f"expected an array of shape {self.atoms.shape} back, got {vals.shape}"
            )
        return float(np.dot(vals, self.probs))


def _merge_atoms(x: np.ndarray, p: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Sort and merge atoms closer than ``tol`` to the first of their group; drop zero mass."""
    keep = p > 0.0
    x, p = x[keep], p[keep]
    order = np.argsort(x, kind="stable")
    x, p = x[order], p[order]
    if x.size == 0:
        return x, p
    new = np.concatenate(([True], np.diff(x) > tol))
    group = np.cumsum(new) - 1
    return x[new], np.bincount(group, weights=p)


_DIST = Instance(ReturnDistribution)


def _joint_cdfs(p: ReturnDistribution, q: ReturnDistribution) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs = np.union1d(p.atoms, q.atoms)
    return xs, np.asarray(p.cdf(xs)), np.asarray(q.cdf(xs))


@validate_params(p=_DIST, q=_DIST)
def cramer_distance(p: ReturnDistribution, q: ReturnDistribution) -> float:
    """Cramér distance ``l_2(p, q) = (int (F_p(x) - F_q(x))^2 dx)^{1/2}``.

    Examples
    --------
    >>> cramer_distance(ReturnDistribution([0.0], [1.0]), ReturnDistribution([4.0], [1.0]))
    2.0
    """
    xs, F, G = _joint_cdfs(p, q)
    return float(np.sqrt(np.sum((F[:-1] - G[:-1]) ** 2 * np.diff(xs))))


@validate_params(p=_DIST, q=_DIST, order=Real(1, None, finite=False))
def wasserstein_distance(p: ReturnDistribution, q: ReturnDistribution, order: float = 1) -> float:
    """Wasserstein distance ``W_1`` (``order=1``) or ``W_inf`` (``order=np.inf``).

    ``order`` is 1 or ``numpy.inf`` (other orders are refused).

    ``W_1 = int |F_p - F_q| dx``; ``W_inf = sup_{u in (0,1)} |F_p^{-1}(u) - F_q^{-1}(u)|``.

    Examples
    --------
    >>> p = ReturnDistribution([0.0, 1.0], [0.5, 0.5])
    >>> wasserstein_distance(p, ReturnDistribution([0.0], [1.0])), wasserstein_distance(p, ReturnDistribution([0.0], [1.0]), np.inf)
    (0.5, 1.0)
    """
    if order == 1:
        xs, F, G = _joint_cdfs(p, q)
        return float(np.sum(np.abs(F[:-1] - G[:-1]) * np.diff(xs)))
    if order == np.inf:
        breaks = np.union1d(np.cumsum(p.probs), np.cumsum(q.probs))
        breaks = np.clip(breaks, 0.0, 1.0)
        edges = np.union1d([0.0, 1.0], breaks)
        u = 0.5 * (edges[:-1] + edges[1:])
        u = u[np.diff(edges) > 1e-12]

        def qf(d: ReturnDistribution) -> np.ndarray:
            k = np.searchsorted(np.cumsum(d.probs), u - _CUM_SLACK, side="left")
            return d.atoms[np.minimum(k, d.atoms.size - 1)]

        return float(np.max(np.abs(qf(p) - qf(q)), initial=0.0))
    raise InvalidParameterError("order", f"expected 1 or numpy.inf, got {order!r}")


# ---------------------------------------------------------------------------------
# projections
# ---------------------------------------------------------------------------------
@validate_params(dist=_DIST, support=_SUPPORT)
def categorical_projection(dist: ReturnDistribution, support: Any) -> ReturnDistribution:
    """Cramér (linear-interpolation) projection ``Pi_C`` onto an evenly spaced support.

    Mass at ``x`` in ``[z_i, z_{i+1}]`` goes to ``z_i`` and ``z_{i+1}`` in proportion
    to its closeness; mass below ``z_1`` or above ``z_m`` goes to the end atom.

    Parameters
    ----------
    dist : ReturnDistribution
    support : array_like of shape (m,)
        Evenly spaced increasing atoms, ``m >= 2``.

    Returns
    -------
    ReturnDistribution
        On ``support`` (zero-probability atoms kept).

    Examples
    --------
    >>> categorical_projection(ReturnDistribution([0.25], [1.0]), [0.0, 1.0]).probs
    array([0.75, 0.25])
    """
    return _categorical_projection(dist, support)


def _categorical_projection(dist: ReturnDistribution, z: np.ndarray) -> ReturnDistribution:
    """:func:`categorical_projection` onto a validated support."""
    step = (z[-1] - z[0]) / (z.size - 1)
    pos = np.clip((dist.atoms - z[0]) / step, 0.0, z.size - 1.0)
    left = np.minimum(np.floor(pos).astype(np.int64), z.size - 2)
    frac = pos - left
    probs = np.bincount(left, weights=dist.probs * (1.0 - frac), minlength=z.size)
    probs += np.bincount(left + 1, weights=dist.probs * frac, minlength=z.size)
    return ReturnDistribution._trusted(z, probs)


@validate_params(dist=_DIST, n_quantiles=Integer(1, MAX_ATOMS))
def quantile_projection(dist: ReturnDistribution, n_quantiles: int) -> ReturnDistribution:
    """W1 projection ``Pi_Q``: ``N`` atoms of mass ``1/N`` at ``F^{-1}((2i-1)/(2N))``.

    ``n_quantiles`` is ``N``, in ``[1, 10**7]``.

    Examples
    --------
    >>> quantile_projection(ReturnDistribution([0.0, 1.0], [0.3, 0.7]), 2).atoms
    array([0., 1.])
    """
    N = n_quantiles
    tau = (2.0 * np.arange(N) + 1.0) / (2.0 * N)
    k = np.searchsorted(np.cumsum(dist.probs), tau - _CUM_SLACK, side="left")
    return ReturnDistribution._trusted(dist.atoms[np.minimum(k, dist.atoms.size - 1)], np.full(N, 1.0 / N))


# ---------------------------------------------------------------------------------
# evaluation result
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class DistributionalEvaluation:
    """Return distributions of a policy, one per state (and step, under a finite horizon).

    Attributes
    ----------
    representation : {"categorical", "quantile", "exact"}
    atoms, probs : ndarray of shape (S, n), or (H, S, n) under a finite horizon
        Row ``[s]`` (``[t, s]``: ``t`` steps taken) holds the law of the return from
        ``s``; padding atoms carry probability 0. Categorical rows share the support
        ``atoms[..., s, :] == support``; quantile rows have ``probs == 1/N``.
    support : ndarray of shape (m,) or (H, m), or None
        The categorical support (discounted), or the support of each step (finite
        horizon: ``atoms[t, s] == support[t]``).
    iterations : int
        Operator applications (``H`` for the finite-horizon recursion).
    converged : bool
        Discounted: the stopping rule was met within ``max_iter``. Finite horizon: True.
    error_bound : float
        Discounted: bound on ``sup_s d(eta(s), eta_hat(s))``, the distance to the fixed
        point ``eta_hat`` of the projected operator in ``metric``; 0.0 for the
        finite-horizon recursion (exact up to rounding).
    metric : str
        ``"cramer"`` (categorical), ``"wasserstein_inf"`` (quantile) or ``"exact"``.

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.full((2, 1, 2), 0.5), [[0.0], [2.0]], gamma=0.5)
    >>> ev = distributional_evaluation(mdp, np.array([0, 0]), n_atoms=9)
    >>> ev.converged, np.round(ev.mean(), 6)
    (True, array([1., 3.]))
    """

    representation: str
    atoms: np.ndarray
    probs: np.ndarray
    support: np.ndarray | None
    iterations: int
    converged: bool
    error_bound: float
    metric: str

    def distribution(self, s: int, t: int = 0) -> ReturnDistribution:
        """Law of the return from state ``s`` (after ``t`` steps under a finite horizon)."""
        S = self.atoms.shape[-2]
        s = Integer(0, S - 1).check(s, "s")
        if self.atoms.ndim == 3:
            t = Integer(0, self.atoms.shape[0] - 1).check(t, "t")
            return ReturnDistribution._trusted(self.atoms[t, s], self.probs[t, s])
        if Integer().check(t, "t") != 0:
            raise InvalidParameterError("t", f"a discounted evaluation has no time index, got t={t}")
        return ReturnDistribution._trusted(self.atoms[s], self.probs[s])

    def initial_distribution(self, initial: Any) -> ReturnDistribution:
        """Law of the return when the first state is drawn from ``initial`` (shape (S,))."""
        S = self.atoms.shape[-2]
        mu = check_probability_vector(initial, "initial", S)
        a = self.atoms if self.atoms.ndim == 2 else self.atoms[0]
        p = self.probs if self.probs.ndim == 2 else self.probs[0]
        x, w = _merge_atoms(a.ravel(), (mu[:, None] * p).ravel(), 0.0)
        return ReturnDistribution._trusted(x, w / w.sum())

    def mean(self) -> np.ndarray:
        """Means, shape (S,) or (H, S) (compare with ``rlcore.evaluate_policy(...).V``)."""
        return np.sum(self.atoms * self.probs, axis=-1)

    def variance(self) -> np.ndarray:
        """Variances, shape (S,) or (H, S)."""
        m = self.mean()
        return np.sum((self.atoms - m[..., None]) ** 2 * self.probs, axis=-1)


# ---------------------------------------------------------------------------------
# operators
# ---------------------------------------------------------------------------------
class _RewardLaw:
    """Law of the immediate reward given ``(s, a)``: atoms and probabilities (T, S, A, n).

    ``T = 1`` when stationary, ``H`` when time-dependent. Deterministic rewards are the
    one-atom law at ``mdp.R``.
    """

    def __init__(self, mdp: FiniteMDP, reward_distribution: Any) -> None:
        S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
        if reward_distribution is None:
            R = mdp.R if mdp.R.ndim == 3 else mdp.R[None]
            self.atoms = np.array(R, dtype=np.float64)[..., None]
            self.probs = np.ones_like(self.atoms)
            return
        # the pair is validated by _REWARD_DISTRIBUTION: two finite float arrays of rank 3 or 4
        x, p = (np.asarray(a, dtype=np.float64) for a in reward_distribution)
        if x.shape != p.shape:
            raise InvalidParameterError(
                "reward_distribution", f"atoms and probs must have one shape, got {x.shape} and {p.shape}"
            )
        if x.ndim == 4 and H is None:
            raise InvalidParameterError(
                "reward_distribution", "a time-dependent (H, S, A, n) law needs a finite-horizon MDP"
            )
        lead = (x.shape[0],) if x.ndim == 4 else ()
        if x.shape[x.ndim - 3 : -1] != (S, A) or (x.ndim == 4 and x.shape[0] != H) or x.shape[-1] < 1:
            want = f"({H}, {S}, {A}, n)" if x.ndim == 4 else f"({S}, {A}, n)"
            raise InvalidParameterError(
                "reward_distribution", f"expected arrays of shape {want} with n >= 1, got {x.shape}"
            )
        check_stochastic_rows(p, "reward_distribution[1]")
        if x.ndim == 3 and mdp.R.ndim == 3:  # time-dependent R implies a horizon
            Hn = cast(int, H)
            x, p = np.broadcast_to(x, (Hn,) + x.shape).copy(), np.broadcast_to(p, (Hn,) + p.shape).copy()
            lead = (Hn,)
        if not lead:
            x, p = x[None], p[None]
        R = mdp.R if mdp.R.ndim == 3 else mdp.R[None]
        mean = np.sum(x * p, axis=-1)
        off = np.abs(mean - R) > 1e-8 * np.maximum(1.0, np.abs(R))
        if off.any():
            idx = tuple(int(i) for i in np.argwhere(off)[0])
            where = f"(t, s, a) = {idx}" if len(lead) or R.shape[0] > 1 else f"(s, a) = {idx[1:]}"
            raise InvalidParameterError(
                "reward_distribution",
                f"its mean must equal the MDP's expected reward R; at {where} it is {float(mean[idx])!r}, "
                f"R is {float(R[idx])!r}",
            )
        self.atoms, self.probs = x, p

    def at(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        k = t if self.atoms.shape[0] > 1 else 0
        return np.ascontiguousarray(self.atoms[k]), np.ascontiguousarray(self.probs[k])

    def bounds(self, t: int) -> tuple[float, float]:
        x, p = self.at(t)
        live = x[p > 0]
        return float(live.min()), float(live.max())


_EPS = float(np.finfo(np.float64).eps)


def _kernel_arrays(mdp: FiniteMDP, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Float64/int64 copies of the *normalised* rows ``P_t(.|s, a) / rho(s, a)`` for the kernels.

    A return distribution needs probability rows: the stored rows sum to 1 only within
    the MDP's tolerance (``rho``, :attr:`rlcore.FiniteMDP.row_sums`), and with them the
    backup would not preserve mass (a total of ``rho^k`` after ``k`` backups). The law
    computed is therefore that of the normalised kernel, as the module docstring states.
    """
    Pt = mdp.transitions_at(t)
    rho = np.asarray(mdp.row_sums[t] if mdp.row_sums.ndim == 3 else mdp.row_sums).reshape(-1)
    if mdp.is_sparse:
        M = sp.csr_array(Pt)
        data = np.array(M.data, dtype=np.float64) / np.repeat(rho, np.diff(M.indptr))
        return data, np.array(M.indices, dtype=np.int64), np.array(M.indptr, dtype=np.int64), 0
    dense = np.array(Pt, dtype=np.float64).reshape(-1, mdp.n_states) / rho[:, None]
    return dense.reshape(-1), _EMPTY_INT.copy(), _EMPTY_INT.copy(), mdp.n_states


def _max_row_terms(arrays: tuple[np.ndarray, np.ndarray, np.ndarray, int]) -> int:
    """Largest number of successor terms a kernel sums per state-action pair."""
    _, _, indptr, n_cols = arrays
    return int(np.max(np.diff(indptr), initial=1)) if indptr.size else int(n_cols)


def _policy_at(pi: np.ndarray, t: int) -> np.ndarray:
    return np.array(pi[t] if pi.ndim == 3 else pi, dtype=np.float64)


def _discount(mdp: FiniteMDP) -> float:
    return 1.0 if mdp.gamma is None else float(mdp.gamma)


def _stochastic_policy(mdp: FiniteMDP, pi: np.ndarray) -> np.ndarray:
    """A validated policy (any layout) as float64 action probabilities, rows divided by
    their sums (within the policy tolerance of 1): a return distribution needs a
    probability mixture over actions, as over next states (see :func:`_kernel_arrays`)."""
    probs = np.array(as_stochastic(pi, mdp.n_actions), dtype=np.float64)
    probs /= probs.sum(axis=-1, keepdims=True)
    return probs


def _check_t(mdp: FiniteMDP, t: int) -> int:
    """The relation between a validated step ``t >= 0`` and the MDP's horizon."""
    if mdp.horizon is None:
        if t != 0:
            raise InvalidParameterError("t", f"a discounted MDP has no time index, got t={t!r}")
        return 0
    if t >= mdp.horizon:
        raise InvalidParameterError("t", f"expected a step in [0, {mdp.horizon}), got {t}")
    return t


@validate_params(
    mdp=MDP(),
    policy=Policy("mdp"),
    probs=ProbabilityRows(shape=("mdp.n_states", None)),
    support=_SUPPORT,
    t=_T,
    reward_distribution=_REWARD_DISTRIBUTION,
)
def categorical_bellman_operator(
    mdp: FiniteMDP, policy: Any, probs: Any, support: Any, *, t: int = 0, reward_distribution: Any = None
) -> np.ndarray:
    """One application of the projected operator ``Pi_C T^pi`` (step ``t``).

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted (``gamma``) or finite-horizon (``gamma = 1``, step ``t``).
    policy : array_like
        Any tabular policy layout of ``mdp``.
    probs : array_like of shape (S, m)
        Categorical successor distributions on ``support`` (rows of probabilities).
    support : array_like of shape (m,)
        Evenly spaced increasing atoms, ``m >= 2``.
    t : int
        Step (finite horizon, ``0 <= t < H``; 0 for a discounted MDP).
    reward_distribution : pair of arrays, optional
        Random immediate rewards, as in :func:`distributional_evaluation`.

    Returns
    -------
    ndarray of shape (S, m)

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=0.5)
    >>> categorical_bellman_operator(mdp, np.array([0]), [[1.0, 0.0, 0.0]], [0.0, 1.0, 2.0])
    array([[0., 1., 0.]])
    """
    t = _check_t(mdp, t)
    z, q = support, probs
    if q.shape != (mdp.n_states, z.size):
        raise InvalidParameterError(
            "probs", f"expected shape {(mdp.n_states, z.size)} (one column per atom of support), got {q.shape}"
        )
    pi = _stochastic_policy(mdp, policy)
    out = np.empty((mdp.n_states, z.size))
    ra, rpr = _RewardLaw(mdp, reward_distribution).at(t)
    with np.errstate(over="ignore", invalid="ignore"):
        categorical_backup(*_kernel_arrays(mdp, t), ra, rpr, _policy_at(pi, t), _discount(mdp), z, z, q, out)
    _check_backup(out, "support")
    return out


@validate_params(
    mdp=MDP(),
    policy=Policy("mdp"),
    locations=Array(ndim=2, shape=("mdp.n_states", None)),
    t=_T,
    reward_distribution=_REWARD_DISTRIBUTION,
)
def quantile_bellman_operator(
    mdp: FiniteMDP, policy: Any, locations: Any, *, t: int = 0, reward_distribution: Any = None
) -> np.ndarray:
    """One application of the projected operator ``Pi_Q T^pi`` (step ``t``).

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
    policy : array_like
    locations : array_like of shape (S, N)
        Quantile locations of the successor distributions (each atom has mass 1/N).
    t : int
        Step (finite horizon, ``0 <= t < H``; 0 for a discounted MDP).
    reward_distribution : pair of arrays, optional
        Random immediate rewards, as in :func:`distributional_evaluation`.

    Returns
    -------
    ndarray of shape (S, N), sorted along the last axis.

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=0.5)
    >>> quantile_bellman_operator(mdp, np.array([0]), [[0.0, 2.0]])
    array([[1., 2.]])
    """
    t = _check_t(mdp, t)
    theta = locations
    pi = _stochastic_policy(mdp, policy)
    out = np.empty_like(theta)
    ra, rpr = _RewardLaw(mdp, reward_distribution).at(t)
    with np.errstate(over="ignore", invalid="ignore"):
        quantile_backup(*_kernel_arrays(mdp, t), ra, rpr, _policy_at(pi, t), _discount(mdp), theta, out)
    _check_backup(out, "locations")
    return out


def _check_backup(out: np.ndarray, name: str) -> None:
    """The backed-up atoms ``r + gamma z`` stayed within float64 (finite rewards and atoms can still overflow)."""
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(
            name, "the backup r + gamma z overflows float64 (rewards and atoms too large); rescale the rewards"
        )


# ---------------------------------------------------------------------------------
# ranges and bounds
# ---------------------------------------------------------------------------------
def _return_ranges(mdp: FiniteMDP, law: _RewardLaw) -> tuple[np.ndarray, np.ndarray]:
    """Bounds ``[lo_t, hi_t]`` of the return-to-go from step ``t`` (length 1 if discounted)."""
    if mdp.horizon is None:
        g = _discount(mdp)
        r_lo, r_hi = law.bounds(0)
        lo, hi = np.array([r_lo / (1.0 - g)]), np.array([r_hi / (1.0 - g)])
    else:
        rb = np.array([law.bounds(t) for t in range(mdp.horizon)])
        lo, hi = np.cumsum(rb[::-1, 0])[::-1], np.cumsum(rb[::-1, 1])[::-1]
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(np.isfinite(hi - lo))):
        raise InvalidParameterError("mdp", "the range of the returns overflows float64; rescale the rewards")
    return lo, hi


def _default_support(mdp: FiniteMDP, n_atoms: int, law: _RewardLaw) -> np.ndarray:
    """Discounted default: ``n_atoms`` atoms over ``[min R, max R] / (1 - gamma)``."""
    lo, hi = _return_ranges(mdp, law)
    a, b = float(lo.min()), float(hi.max())
    if b - a <= 0.0:
        a, b = a - 0.5, b + 0.5
    return np.linspace(a, b, n_atoms)


@validate_params(
    mdp=MDP(),
    representation=Options("categorical", "quantile"),
    n_atoms=Integer(1, MAX_ATOMS),
    support=_SUPPORT | None,
    reward_distribution=_REWARD_DISTRIBUTION,
)
def projection_error_bound(
    mdp: FiniteMDP, representation: str, *, n_atoms: int = 51, support: Any = None, reward_distribution: Any = None
) -> float:
    """Bound on the distance between the projected fixed point and the true return law.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
    representation : {"categorical", "quantile"}
    n_atoms : int in [1, 10**7]
        ``N`` for the quantile representation (and ``m >= 2`` for a default categorical
        support).
    support : array_like of shape (m,), optional
        Categorical support (default: as in :func:`distributional_evaluation`).
    reward_distribution : pair of arrays, optional
        Random immediate rewards (their range sets ``[a, b]``), as in
        :func:`distributional_evaluation`.

    Returns
    -------
    float
        Categorical: bound on ``sup_s l_2(eta_C(s), eta^pi(s))`` (Cramér), namely
        ``sqrt(varsigma / (2 (1 - gamma)))`` discounted and ``sqrt(H varsigma / 2)``
        under a finite horizon with a given support (``varsigma`` its spacing), or
        ``sqrt(sum_t varsigma_t / 2)`` for the default per-step supports (spacing
        ``varsigma_t = (b_t - a_t) / (m - 1)``) at step 0. Quantile: bound on
        ``sup_s W_1(eta_Q(s), eta^pi(s))``, ``(b - a) / (2 N (1 - gamma))`` with
        ``[a, b] = [min R, max R] / (1 - gamma)``, or ``sum_t (b_t - a_t) / (2N)``.

    Guarantee
    ---------
    Holds for every policy, provided (categorical) that every return-to-go lies in
    ``[z_1, z_m]``; :class:`ValueError` is raised when the MDP's reward range shows it
    may not. Proofs: the categorical bound combines the Pythagorean identity of the
    orthogonal projection ``Pi_C`` (Rowland et al. 2018; Bellemare, Dabney & Rowland
    2023, ch. 5) with ``l_2^2(Pi_C nu, nu) <= W_1(Pi_C nu, nu) <= varsigma / 2``; the
    quantile bound combines ``W_1(Pi_Q nu, nu) <= (b - a) / (2N)`` with the
    ``gamma``-contraction of ``T^pi`` in ``sup W_1``. See the theory page.

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=0.5)
    >>> round(projection_error_bound(mdp, "quantile", n_atoms=10), 6)
    0.0
    """
    n = n_atoms
    law = _RewardLaw(mdp, reward_distribution)
    lo, hi = _return_ranges(mdp, law)
    if support is not None and representation != "categorical":
        raise InvalidParameterError("support", "only the categorical representation has a support")
    if representation == "categorical":
        if support is None and n < 2:
            raise InvalidParameterError("n_atoms", f"a categorical support needs at least 2 atoms, got {n}")
        if support is None and mdp.horizon is not None:
            return float(np.sqrt(np.sum(hi - lo) / (n - 1) / 2.0))
        z = _default_support(mdp, n, law) if support is None else support
        a, b = float(lo.min()), float(hi.max())
        tol = 1e-9 * max(1.0, abs(a), abs(b))
        if a < z[0] - tol or b > z[-1] + tol:
            raise InvalidParameterError(
                "support",
                f"[{z[0]:g}, {z[-1]:g}] may not contain every return (rewards allow [{a:g}, {b:g}]); the bound "
                "needs a support that does",
            )
        step = (z[-1] - z[0]) / (z.size - 1)
        if mdp.horizon is None:
            return float(np.sqrt(step / (2.0 * (1.0 - _discount(mdp)))))
        return float(np.sqrt(mdp.horizon * step / 2.0))
    # quantile
    if mdp.horizon is None:
        return float((hi[0] - lo[0]) / (2.0 * n * (1.0 - _discount(mdp))))
    return float(np.sum(hi - lo) / (2.0 * n))


# ---------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------
@validate_params(
    mdp=MDP(),
    policy=Policy("mdp"),
    representation=Options("categorical", "quantile", "exact"),
    n_atoms=Integer(1, MAX_ATOMS),
    support=_SUPPORT | None,
    tol=Real(0, None, closed="neither"),
    max_iter=Integer(1, MAX_ITERATIONS),
    max_atoms=Integer(1, MAX_ATOMS),
    reward_distribution=_REWARD_DISTRIBUTION,
)
def distributional_evaluation(
    mdp: FiniteMDP,
    policy: Any,
    *,
    representation: str = "categorical",
    n_atoms: int = 51,
    support: Any = None,
    tol: float = 1e-8,
    max_iter: int = 10_000,
    max_atoms: int = 100_000,
    reward_distribution: Any = None,
) -> DistributionalEvaluation:
    """Return distributions of a tabular policy by distributional dynamic programming.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted or finite-horizon, dense or sparse, stationary or time-dependent.
    policy : array_like
        Deterministic (S,) / (H, S) or stochastic (S, A) / (H, S, A) policy.
    representation : {"categorical", "quantile", "exact"}
        ``"exact"`` needs a finite horizon.
    n_atoms : int in [1, 10**7]
        Support size ``m`` (categorical, ``m >= 2``) or number of quantiles ``N``
        (quantile); ``S * n_atoms`` (``H * S * n_atoms``) may be at most ``10**8``.
    support : array_like of shape (m,), optional
        Categorical support, evenly spaced, used at every step. Default: discounted,
        ``m = n_atoms`` atoms over ``[min R, max R] / (1 - gamma)``; finite horizon,
        one support per step with ``m`` atoms over the range ``[a_t, b_t]`` of the
        return-to-go from step ``t``. Both defaults contain every return and are
        closed under the backup, so no mass is clipped and the mean is exact.
    tol : float > 0
        Discounted only: stop when the bound on the distance to the projected fixed
        point (in the contraction metric) is ``<= tol``.
    max_iter : int in [1, 10**9]
        Discounted only: cap on operator applications.
    max_atoms : int in [1, 10**7]
        Exact only: cap on the atoms of one state's distribution (and ``H * S`` times
        the largest law at most ``10**8`` entries).
    reward_distribution : pair (atoms, probs) of arrays, optional
        Random immediate rewards: ``R_t | (s, a)`` takes the value ``atoms[..., s, a, j]``
        with probability ``probs[..., s, a, j]``, independently of the next state;
        shape (S, A, n), or (H, S, A, n) under a finite horizon. Its means must equal
        ``mdp.R`` (checked). Default: the deterministic rewards ``mdp.R``.

    Returns
    -------
    DistributionalEvaluation

    Raises
    ------
    ValueError
        On a malformed argument; ``"exact"`` on a discounted MDP; an exact law that
        exceeds ``max_atoms`` atoms.

    Guarantee
    ---------
    Discounted: the iterates contract to the fixed point of ``Pi T^pi`` at rate
    ``sqrt(gamma)`` (sup-Cramér, categorical) or ``gamma`` (sup-``W_inf``, quantile)
    and ``error_bound`` bounds the remaining distance in that metric; the fixed point
    is within :func:`projection_error_bound` of the true law. Finite horizon: the
    backward recursion is exact for ``"exact"`` and within
    :func:`projection_error_bound` for the projected representations.

    Examples
    --------
    A fair coin pays 0 or 1 at each of two steps: the return is Binomial(2, 1/2).

    >>> from rlcore import FiniteMDP
    >>> P = np.full((2, 1, 2), 0.5); R = np.array([[0.0], [1.0]])
    >>> mdp = FiniteMDP(P, R, horizon=2, initial=[0.5, 0.5])
    >>> ev = distributional_evaluation(mdp, np.array([0, 0]), representation="exact")
    >>> d = ev.initial_distribution(mdp.initial)
    >>> d.atoms, d.probs
    (array([0., 1., 2.]), array([0.25, 0.5 , 0.25]))
    """
    pi = _stochastic_policy(mdp, policy)
    n = n_atoms
    law = _RewardLaw(mdp, reward_distribution)
    _return_ranges(mdp, law)  # refuses rewards whose returns overflow float64, before any work
    if support is not None and representation != "categorical":
        raise InvalidParameterError(
            "support", f"only the categorical representation has a support, not {representation!r}"
        )
    if representation == "exact":
        if mdp.horizon is None:
            raise InvalidParameterError(
                "representation",
                "'exact' needs a finite-horizon MDP (a discounted return has infinitely many atoms in general); "
                "use 'categorical' or 'quantile'",
            )
        return _exact(mdp, pi, max_atoms, law)
    m = n if support is None else support.size
    if (mdp.horizon or 1) * mdp.n_states * m > MAX_ENTRIES:
        name = "n_atoms" if support is None else "support"
        raise InvalidParameterError(
            name, f"the evaluation would hold {(mdp.horizon or 1) * mdp.n_states} x {m} atoms, more than {MAX_ENTRIES}"
        )
    if representation == "categorical":
        if support is None:
            if n < 2:
                raise InvalidParameterError("n_atoms", f"a categorical support needs at least 2 atoms, got {n}")
            z = _default_support(mdp, n, law) if mdp.horizon is None else np.empty(0)
        else:
            z = support
        if mdp.horizon is None:
            return _categorical_discounted(mdp, pi, z, tol, max_iter, law)
        supports = _finite_supports(mdp, n, law) if support is None else np.tile(z, (mdp.horizon, 1))
        return _categorical_finite(mdp, pi, supports, law)
    if mdp.horizon is None:
        return _quantile_discounted(mdp, pi, n, tol, max_iter, law)
    return _quantile_finite(mdp, pi, n, law)


def _cramer_sup(p: np.ndarray, q: np.ndarray, step: float) -> float:
    d = np.cumsum(p - q, axis=1)[:, :-1]
    return float(np.sqrt(np.max(np.sum(d * d, axis=1) * step, initial=0.0)))


def _categorical_discounted(
    mdp: FiniteMDP, pi: np.ndarray, z: np.ndarray, tol: float, max_iter: int, law: _RewardLaw
) -> DistributionalEvaluation:
    S, m = mdp.n_states, z.size
    g = _discount(mdp)
    c = float(np.sqrt(g))
    arrays = _kernel_arrays(mdp, 0)
    ra, rpr = law.at(0)
    pi0 = _policy_at(pi, 0)
    step = (z[-1] - z[0]) / (m - 1)
    point = ReturnDistribution._trusted(np.zeros(1), np.ones(1))
    probs = np.tile(_categorical_projection(point, z).probs, (S, 1))
    new = np.empty_like(probs)
    # Rounding: an entry of the backup sums at most K = A * n_r * m non-negative terms, each
    # a product with n successor terms, so its error is within (K + n + 4) u times its
    # value; the entries sum to 1, so every cumulative sum is within (K + n + 4) u, and the
    # Cramer size of the error (and the error of the computed distance) within
    # sqrt(step * m) (K + n + 4) u each (u = eps / 2; eps is used, for a factor 2 to spare).
    n_terms = mdp.n_actions * ra.shape[-1] * m + _max_row_terms(arrays) + 4
    rounding = 2.0 * float(np.sqrt(step * m)) * n_terms * _EPS
    bound, converged, k = np.inf, False, 0
    for k in range(1, max_iter + 1):
        categorical_backup(*arrays, ra, rpr, pi0, g, z, z, probs, new)
        d = c * _cramer_sup(new, probs, step)
        # / (1 - c) written as (1 + c) / (1 - gamma): no cancellation in 1 - sqrt(gamma) as gamma -> 1
        bound = (d + rounding) * (1.0 + c) / (1.0 - g) * (1.0 + 8.0 * _EPS)
        probs, new = new, probs
        if bound <= tol:
            converged = True
            break
        if d <= rounding:  # at the rounding floor: more backups cannot tighten the bound
            break
    return DistributionalEvaluation(
        "categorical", np.broadcast_to(z, (S, m)).copy(), probs, z, k, converged, float(bound), "cramer"
    )


def _finite_supports(mdp: FiniteMDP, m: int, law: _RewardLaw) -> np.ndarray:
    """One evenly spaced support per step, spanning the range of the return-to-go."""
    lo, hi = _return_ranges(mdp, law)
    return np.linspace(lo, hi, m, axis=1)


def _categorical_finite(
    mdp: FiniteMDP, pi: np.ndarray, supports: np.ndarray, law: _RewardLaw
) -> DistributionalEvaluation:
    H, S, m = cast(int, mdp.horizon), mdp.n_states, supports.shape[1]
    out = np.empty((H, S, m))
    z_next = np.zeros(1)  # the return after the horizon is exactly 0
    nxt = np.ones((S, 1))
    for t in range(H - 1, -1, -1):
        ra, rpr = law.at(t)
        z = np.ascontiguousarray(supports[t])
        categorical_backup(*_kernel_arrays(mdp, t), ra, rpr, _policy_at(pi, t), 1.0, z_next, z, nxt, out[t])
        nxt, z_next = out[t], z
    atoms = np.broadcast_to(supports[:, None, :], (H, S, m)).copy()
    return DistributionalEvaluation("categorical", atoms, out, supports, H, True, 0.0, "cramer")


def _quantile_discounted(
    mdp: FiniteMDP, pi: np.ndarray, N: int, tol: float, max_iter: int, law: _RewardLaw
) -> DistributionalEvaluation:
    S = mdp.n_states
    g = _discount(mdp)
    arrays = _kernel_arrays(mdp, 0)
    ra, rpr = law.at(0)
    pi0 = _policy_at(pi, 0)
    theta = np.zeros((S, N))
    new = np.empty_like(theta)
    r_max = float(np.max(np.abs(ra)))
    bound, converged, k = np.inf, False, 0
    for k in range(1, max_iter + 1):
        quantile_backup(*arrays, ra, rpr, pi0, g, theta, new)
        # each computed atom r + gamma theta is within 2 eps (|r| + gamma |theta|) of its value
        atoms_err = 2.0 * _EPS * (r_max + g * float(np.max(np.abs(theta), initial=0.0)))
        change = float(np.max(np.abs(new - theta), initial=0.0)) * (1.0 + 2.0 * _EPS)
        bound = (g * change + atoms_err) / (1.0 - g) * (1.0 + 8.0 * _EPS)
        theta, new = new, theta
        if bound <= tol:
            converged = True
            break
        if g * change <= atoms_err:  # at the rounding floor
            break
    return DistributionalEvaluation(
        "quantile", theta, np.full((S, N), 1.0 / N), None, k, converged, float(bound), "wasserstein_inf"
    )


def _quantile_finite(mdp: FiniteMDP, pi: np.ndarray, N: int, law: _RewardLaw) -> DistributionalEvaluation:
    H, S = cast(int, mdp.horizon), mdp.n_states
    out = np.empty((H, S, N))
    nxt = np.zeros((S, N))
    for t in range(H - 1, -1, -1):
        ra, rpr = law.at(t)
        quantile_backup(*_kernel_arrays(mdp, t), ra, rpr, _policy_at(pi, t), 1.0, nxt, out[t])
        nxt = out[t]
    return DistributionalEvaluation("quantile", out, np.full((H, S, N), 1.0 / N), None, H, True, 0.0, "wasserstein_inf")


def _successor_lists(mdp: FiniteMDP, t: int) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """``[s][a] -> (next states, probabilities)`` with positive probability, at step ``t``."""
    S, A = mdp.n_states, mdp.n_actions
    Pt = mdp.transitions_at(t)
    out: list[list[tuple[np.ndarray, np.ndarray]]] = []
    if mdp.is_sparse:
        M = sp.csr_array(Pt)
        for s in range(S):
            row = []
            for a in range(A):
                lo, hi = M.indptr[s * A + a], M.indptr[s * A + a + 1]
                idx, p = M.indices[lo:hi].astype(np.int64), M.data[lo:hi]
                row.append((idx[p > 0], p[p > 0]))
            out.append(row)
        return out
    P = np.asarray(Pt)
    for s in range(S):
        out.append([(np.flatnonzero(P[s, a] > 0), P[s, a][P[s, a] > 0]) for a in range(A)])
    return out


def _exact(mdp: FiniteMDP, pi: np.ndarray, max_atoms: int, law: _RewardLaw) -> DistributionalEvaluation:
    H, S, A = cast(int, mdp.horizon), mdp.n_states, mdp.n_actions
    lo, hi = _return_ranges(mdp, law)
    merge_tol = 1e-12 * max(1.0, float(np.max(np.abs(np.concatenate([lo, hi])))))
    nxt: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(1), np.ones(1)) for _ in range(S)]
    layers: list[list[tuple[np.ndarray, np.ndarray]]] = []
    for t in range(H - 1, -1, -1):
        succ = _successor_lists(mdp, t)
        ra, rpr = law.at(t)
        pit = _policy_at(pi, t)
        cur: list[tuple[np.ndarray, np.ndarray]] = []
        for s in range(S):
            xs, ws = [], []
            for a in range(A):
                if pit[s, a] == 0.0:
                    continue
                live = rpr[s, a] > 0
                rx, rw = ra[s, a][live], rpr[s, a][live]
                for sp_, p in zip(*succ[s][a]):
                    ax, ap = nxt[int(sp_)]
                    xs.append((ax[None, :] + rx[:, None]).ravel())
                    ws.append((ap[None, :] * rw[:, None]).ravel() * (pit[s, a] * p))
            x, w = _merge_atoms(np.concatenate(xs), np.concatenate(ws), merge_tol)
            if x.size > max_atoms:
                raise InvalidParameterError(
                    "max_atoms",
                    f"the exact return distribution of state {s} at step {t} has {x.size} atoms (> max_atoms="
                    f"{max_atoms}); raise the cap or use representation='categorical' or 'quantile'",
                )
            cur.append((x, w))
        layers.append(cur)
        nxt = cur
    layers.reverse()
    n = max(x.size for layer in layers for x, _ in layer)
    if H * S * n > MAX_ENTRIES:
        raise InvalidParameterError(
            "max_atoms",
            f"the exact laws need {H * S} x {n} atoms, more than {MAX_ENTRIES}; lower max_atoms or use "
            "representation='categorical' or 'quantile'",
        )
    atoms = np.empty((H, S, n))
    probs = np.zeros((H, S, n))
    for t, layer in enumerate(layers):
        for s, (x, w) in enumerate(layer):
            atoms[t, s, : x.size] = x
            atoms[t, s, x.size :] = x[-1]
            probs[t, s, : x.size] = w
    return DistributionalEvaluation("exact", atoms, probs, None, H, True, 0.0, "exact")
