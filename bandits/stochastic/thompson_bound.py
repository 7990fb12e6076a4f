"""Thompson sampling's finite-time regret bound, evaluated exactly for Beta-Bernoulli arms.

:func:`thompson_regret_bound` evaluates the generic Thompson-sampling lemma of Lattimore
and Szepesvari (2020, Theorem 36.2) for :class:`bandits.ThompsonBeta`: both sums of the
lemma are sums of binomial probabilities, computed numerically without loss (the
derivation is in ``docs/theory/bandits.md``). The closed-form bounds of the other
policies are in :mod:`bandits.stochastic.bounds`.

References
----------
T. Lattimore, C. Szepesvari, *Bandit Algorithms*, CUP 2020, Section 36.2.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special as _sp

from bandits._constraints import horizons, like_horizon
from bandits.stochastic.bounds import UNIT_MEANS
from rlcore.validation import Array, Integer, validate_params

__all__ = ["thompson_regret_bound"]


# ------------------------------------------------------- Thompson sampling, finite time
def _logpmf(k: np.ndarray, m: np.ndarray, p: float) -> np.ndarray:
    """``ln P(Bin(m, p) = k)``, elementwise (``-inf`` where impossible)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (
            _sp.gammaln(m + 1.0)
            - _sp.gammaln(k + 1.0)
            - _sp.gammaln(m - k + 1.0)
            + _sp.xlogy(k, p)
            + _sp.xlog1py(m - k, -p)
        )
    return np.asarray(out, dtype=np.float64)


def _cdf(k: np.ndarray, m: np.ndarray, p: float) -> np.ndarray:
    """``P(Bin(m, p) <= k)`` with ``k < 0`` giving 0 and ``k >= m`` giving 1."""
    k, m = np.broadcast_arrays(np.asarray(k, dtype=np.float64), np.asarray(m, dtype=np.float64))
    inside = (k >= 0) & (k < m)
    out = np.where(k < 0, 0.0, 1.0)
    out[inside] = _sp.bdtr(k[inside].astype(np.int64), m[inside].astype(np.int64), p)
    return out


def _sf(k: np.ndarray, m: np.ndarray, p: float) -> np.ndarray:
    """``P(Bin(m, p) > k)`` with ``k < 0`` giving 1 and ``k >= m`` giving 0."""
    k, m = np.broadcast_arrays(np.asarray(k, dtype=np.float64), np.asarray(m, dtype=np.float64))
    inside = (k >= 0) & (k < m)
    out = np.where(k < 0, 1.0, 0.0)
    out[inside] = _sp.bdtrc(k[inside].astype(np.int64), m[inside].astype(np.int64), p)
    return out


#: Largest horizon :func:`thompson_regret_bound` accepts (its cost grows like ``n``).
_TS_MAX_HORIZON = 200_000

#: Number of (S, s) pairs summed exactly in the optimal-arm term before switching to
#: the binned bound (a run-time budget; both are upper bounds).
_TS_EXACT_BUDGET = 300_000


def _ts_optimal_arm_terms(mu1: float, y: float, smax: int) -> np.ndarray:
    """Upper bounds on ``E[1 / G_{1s}] - 1``, ``s = 0 .. smax - 1``, for Beta(1, 1) TS.

    ``G_{1s} = P(Beta(1 + S, 1 + s - S) > y) = P(Bin(s + 1, y) <= S)`` with
    ``S ~ Bin(s, mu1)`` the successes of the optimal arm in its first ``s`` pulls.
    Exact up to the window truncation (whose two tails are bounded, not dropped)
    while the budget lasts, then a binned upper bound (see docs/theory/bandits.md).
    """
    s_all = np.arange(smax, dtype=np.float64)
    a = math.log(mu1 / y)
    b = math.log((1.0 - mu1) / (1.0 - y)) if mu1 < 1.0 else -math.inf
    # window [lo, hi] around the bulk of S and of Bin(s + 1, y)
    lo = np.maximum(0.0, np.floor((s_all + 1) * y - 8.0 * np.sqrt((s_all + 1) * y * (1 - y))) - 1.0)
    hi = np.minimum(s_all, np.ceil(s_all * mu1 + 8.0 * np.sqrt(s_all * mu1 * (1 - mu1))) + 1.0)
    lo = np.minimum(lo, hi)
    width = (hi - lo + 1).astype(np.int64)
    s_cap = int(np.searchsorted(np.cumsum(width), _TS_EXACT_BUDGET, side="right"))
    s_cap = max(1, min(smax, s_cap))
    terms = np.empty(smax)

    def lower_tail(s: np.ndarray, m: np.ndarray) -> np.ndarray:
        # sum_{S < m} P(S) / G(S) <= sum_{S < m} r(S), r(S) = P(Bin(s, mu1) = S) /
        # P(Bin(s + 1, y) = S) <= exp(s b + S (a - b)) / (1 - y), increasing in S
        if b == -math.inf:
            return np.zeros_like(s)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            x = a - b
            log_geo = s * b + m * x + np.log(-np.expm1(-m * x)) - math.log(math.expm1(x))
            log_lin = np.log(np.maximum(m, 1.0)) + s * b + (m - 1.0) * x
            out = np.exp(np.minimum(log_geo, log_lin)) / (1.0 - y)
        return np.where(m <= 0, 0.0, out)

    # exact part, s < s_cap: a padded (s, S) table over the window; the tail sums of
    # Bin(s + 1, y) come from one cdf / sf call per s plus running sums of its pmf
    s = s_all[:s_cap]
    lo_c, hi_c = lo[:s_cap], hi[:s_cap]
    W = int(width[:s_cap].max())
    S = lo_c[:, None] + np.arange(W, dtype=np.float64)[None, :]
    valid = S <= hi_c[:, None]
    S = np.where(valid, S, hi_c[:, None])
    sm = s[:, None]
    pmf_y = np.where(valid, np.exp(_logpmf(S, sm + 1, y)), 0.0)
    G = _cdf(lo_c - 1, s + 1, y)[:, None] + np.cumsum(pmf_y, axis=1)  # P(Bin(s+1, y) <= S)
    above = np.cumsum(pmf_y[:, ::-1], axis=1)[:, ::-1]
    Gc = _sf(hi_c, s + 1, y)[:, None] + np.concatenate([above[:, 1:], np.zeros((s_cap, 1))], axis=1)
    with np.errstate(divide="ignore"):
        logG = np.where(G > 0, np.log(np.where(G > 0, G, 1.0)), _logpmf(S, sm + 1, y))
    contrib = np.where(valid, np.exp(_logpmf(S, sm, mu1) - logG) * Gc, 0.0)
    top = _sf(hi_c, s, mu1) * _sf(hi_c, s + 1, y) / _cdf(hi_c, s + 1, y)
    terms[:s_cap] = contrib.sum(axis=1) + lower_tail(s, lo_c) + top
    if s_cap < smax:
        # binned part: S below floor((s+1) y - 8 sd) by the ratio bound; above, bins
        # on which 1 / G - 1 is bounded by its value at the bin's left end (G
        # increases in S), placed around the centres of Bin(s + 1, y) and of S. A
        # coarse pass first; the fine pass only where the coarse bound is not tiny
        # (both are upper bounds, the smaller is kept).
        def binned(s: np.ndarray, n_low: int, n_bulk: int) -> np.ndarray:
            sa = np.minimum(np.ceil((s + 1) * y), s)
            sb = np.maximum(0.0, np.floor((s + 1) * y - 8.0 * np.sqrt((s + 1) * y * (1 - y))))
            sd = np.sqrt(s * mu1 * (1 - mu1))
            left = np.maximum(sa, np.floor(s * mu1 - 8.0 * sd))
            right = np.maximum(left, np.minimum(s, np.ceil(s * mu1 + 8.0 * sd)))
            low = np.floor(sb[:, None] + (sa - sb)[:, None] * np.linspace(0.0, 1.0, n_low + 1)[None, :])
            bulk = np.floor(left[:, None] + (right - left)[:, None] * np.linspace(0.0, 1.0, n_bulk + 1)[None, :])
            edges = np.concatenate([low, bulk, (s + 1)[:, None]], axis=1)
            sm = np.broadcast_to(s[:, None], edges.shape)
            F = _cdf(edges - 1, sm, mu1)
            prob = np.maximum(F[:, 1:] - F[:, :-1], 0.0)
            e, sm = edges[:, :-1], sm[:, :-1]
            live = prob > 0  # (1 - G) / G is only needed where S has mass
            weight = np.zeros(e.shape)
            Ge = _cdf(e[live], sm[live] + 1, y)
            with np.errstate(divide="ignore", invalid="ignore"):
                weight[live] = _sf(e[live], sm[live] + 1, y) / Ge
            return np.asarray(np.sum(prob * weight, axis=1) + lower_tail(s, sb))

        for c0 in range(s_cap, smax, 20_000):  # in chunks, to bound the memory
            s = s_all[c0 : c0 + 20_000]
            coarse = binned(s, 2, 4)
            redo = coarse > 1e-7  # below, the coarse bound costs at most 1e-7 pulls per s
            fine = coarse.copy()
            if redo.any():
                fine[redo] = np.minimum(coarse[redo], binned(s[redo], 16, 32))
            terms[c0 : c0 + s.size] = fine
    return terms


def _ts_suboptimal_arm_count(mu_i: float, y: float, n: int) -> float:
    """``sum_{s=0}^{n-1} P(G_{is} > 1/n)`` exactly, ``G_{is} = P(Bin(s + 1, y) <= S_i)``."""
    from scipy import stats as _st  # here: a module-level scipy.stats import breaks importing without torch

    s = np.arange(n, dtype=np.float64)
    thr = 1.0 / n
    k = np.asarray(_st.binom.ppf(thr, s + 1, y), dtype=np.float64)
    k = np.where(np.isfinite(k), k, 0.0)
    # smallest S with P(Bin(s + 1, y) <= S) > 1/n (ppf gives >=; fix rounding both ways)
    for _ in range(2):
        k = np.where(_cdf(k, s + 1, y) > thr, k, k + 1.0)
    k = np.where((k > 0) & (_cdf(k - 1.0, s + 1, y) > thr), k - 1.0, k)
    return float(np.sum(_sf(k - 1.0, s, mu_i)))


@validate_params(
    means=UNIT_MEANS,
    horizon=Integer(1, _TS_MAX_HORIZON) | Array("int", low=1, high=_TS_MAX_HORIZON),
    fractions=Array(ndim=1, low=0.0, high=1.0, closed="neither"),
)
def thompson_regret_bound(means: Any, horizon: Any, *, fractions: Any = (0.35, 0.6, 0.8)) -> Any:
    """A finite-time bound on the pseudo-regret of Beta(1, 1)-Bernoulli Thompson sampling.

    Lattimore and Szepesvari's Theorem 36.2 bounds, for any threshold ``y = mu* - eps``,

    ``E[N_i(n)] <= 1 + sum_{s=0}^{n-1} E[1 / G_{1s} - 1] + sum_{s=0}^{n-1} P(G_{is} > 1/n)``

    where ``G_{ks} = P(theta > y)`` under arm ``k``'s posterior after ``s`` pulls. For
    Beta(1, 1) priors and Bernoulli arms the posterior is ``Beta(1 + S, 1 + s - S)``
    with ``S ~ Bin(s, mu_k)``, and ``G_{ks} = P(Bin(s + 1, y) <= S)``, so both sums
    are sums of binomial probabilities, which this function evaluates numerically:
    the second exactly, the first exactly up to a tail that is bounded, not dropped
    (and, past a run-time budget, by a binned upper bound). The explicit constants are
    therefore those of the lemma, evaluated without loss; the evaluation is *our
    derivation* (see ``docs/theory/bandits.md``), not a formula printed in a paper.

    For each suboptimal arm the threshold is ``y = mu_i + phi Delta_i`` with the best
    ``phi`` in ``fractions`` (each gives a valid bound); the result is
    ``min(sum_i Delta_i min(n, bound_i), n max_i Delta_i)``.

    Parameters
    ----------
    means : array_like of shape (K,)
        Bernoulli arm means in ``[0, 1]``.
    horizon : int or array_like of int
        Number of plays ``n``, at most ``2 * 10**5``. The cost is ``O(n)`` per arm,
        threshold and horizon plus a one-off ``O(n)`` sum per threshold, about 50 us per
        ``s`` and threshold: measured about 6 s for ten well-separated arms at
        ``n = 20000`` (more for close gaps) and 41 s for two arms 0.01 apart at
        ``n = 2 * 10**5``; pass tens of horizons for a curve, not every round, and
        fewer ``fractions`` to go faster.
    fractions : sequence of float in (0, 1)
        Candidate ``phi`` for the thresholds.

    Returns
    -------
    float or ndarray
        Upper bound on the expected pseudo-regret of :class:`bandits.ThompsonBeta` on
        Bernoulli arms after ``n`` plays.

    Notes
    -----
    As ``n -> infinity`` with ``phi -> 1`` the leading term is
    ``sum_i Delta_i ln n / kl(mu_i, mu*)`` (Kaufmann, Korda and Munos 2012; Agrawal and
    Goyal 2017), but at a fixed ``phi`` it is ``ln n / kl(mu_i, y)``. On an arm with
    ``mu_i = 0`` the second sum is exactly the number of ``s < n`` with
    ``(1 - y)^(s + 1) > 1/n``.

    References
    ----------
    T. Lattimore, C. Szepesvari, *Bandit Algorithms*, CUP 2020, Section 36.2, Theorem
    36.2. E. Kaufmann, N. Korda, R. Munos, Thompson sampling: an asymptotically optimal
    finite-time analysis, *ALT* 2012. S. Agrawal, N. Goyal, Near-optimal regret bounds
    for Thompson sampling, *J. ACM* 64(5), 2017.

    Examples
    --------
    >>> b = thompson_regret_bound([0.9, 0.5], [100, 1000])
    >>> bool(0 < b[0] < b[1] < 1000 * 0.4)
    True
    """
    mu = means
    n, scalar = horizons(horizon)
    phis = np.asarray(fractions, dtype=np.float64)
    best = float(mu.max())
    gaps = best - mu
    nn = np.atleast_1d(n).astype(np.int64)
    nmax = int(nn.max())
    first_cache: dict[float, np.ndarray] = {}
    total = np.zeros(nn.shape)
    for i in np.flatnonzero(gaps > 0):
        pulls = np.full(nn.shape, np.inf)
        for phi in phis:
            y = float(mu[i] + phi * gaps[i])
            if not (0.0 < y < best):
                continue
            if y not in first_cache:
                first_cache[y] = np.concatenate([[0.0], np.cumsum(_ts_optimal_arm_terms(best, y, nmax))])
            first = first_cache[y]
            cand = np.array([1.0 + first[m] + _ts_suboptimal_arm_count(float(mu[i]), y, int(m)) for m in nn])
            pulls = np.minimum(pulls, cand)
        total += gaps[i] * np.minimum(pulls, nn)
    out = np.minimum(total, nn * gaps.max())
    return like_horizon(out.reshape(np.shape(n)) if not scalar else out[0], scalar)
