"""Regret bounds as functions, to plot beside empirical regret.

================================================  ===========================================
function                                          statement
================================================  ===========================================
:func:`ucb1_regret_bound`                         Auer, Cesa-Bianchi, Fischer 2002, Thm 1
:func:`etc_regret_bound`                          Lattimore and Szepesvari 2020, Thm 6.1
:func:`lai_robbins_constant`                      Lai and Robbins 1985 (asymptotic)
:func:`lai_robbins_lower_bound`                   ``constant * ln n`` (asymptotic, a curve)
:func:`klucb_asymptotic_constant`                 Garivier and Cappe 2011, Thm 2
:func:`klucb_regret_bound`                        Lattimore and Szepesvari 2020, Thm 10.6
:func:`moss_regret_bound`                         Audibert and Bubeck 2009, Thm 5
:func:`exp3_gamma`, :func:`exp3_regret_bound`     Auer et al. 2002, Thm 3.1 and Cor. 3.2
================================================  ===========================================

All regrets are pseudo-regrets (expected, against the best mean) except EXP3's (against
the best fixed arm of an oblivious reward table). Thompson sampling's finite-time bound,
evaluated numerically, is in :mod:`bandits.stochastic.thompson_bound`; OFUL's in
:mod:`bandits.linear.bounds`; the cascade model's in :mod:`bandits.cascading.bounds`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scipy import special as _sp

from bandits._constraints import HORIZONS, POSITIVE, horizons, like_horizon
from bandits.stochastic.kl import _kl_bernoulli
from rlcore.validation import (
    Array,
    Integer,
    InvalidParameterError,
    MAX_SAMPLES,
    Options,
    Real,
    refuse_nonfinite,
    validate_params,
)

__all__ = [
    "etc_regret_bound",
    "exp3_gamma",
    "exp3_regret_bound",
    "klucb_asymptotic_constant",
    "klucb_regret_bound",
    "lai_robbins_constant",
    "lai_robbins_lower_bound",
    "moss_regret_bound",
    "ucb1_regret_bound",
]


#: Arm means of Bernoulli (or [0, 1]-bounded) rewards.
UNIT_MEANS = Array(ndim=1, low=0.0, high=1.0)

#: Arm means of subgaussian rewards (any finite reals).
MEANS = Array(ndim=1)

FAMILY = Options("bernoulli", "gaussian")

#: Number of arms of a closed-form bound.
N_ARMS = Integer(1, MAX_SAMPLES)


def _unit_means(mu: np.ndarray, family: str) -> None:
    """Bernoulli means must lie in [0, 1] (checked once ``family`` is known)."""
    if family == "bernoulli":
        bad = (mu < 0) | (mu > 1)
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidParameterError("means", f"Bernoulli means must lie in [0, 1], found {mu[i]!r} at index {i}")


@validate_params(means=UNIT_MEANS, horizon=HORIZONS)
def ucb1_regret_bound(means: Any, horizon: Any) -> Any:
    """UCB1's finite-time regret bound: ``sum_i 8 ln n / Delta_i + (1 + pi^2/3) sum_i Delta_i``.

    The first sum runs over the suboptimal arms (``Delta_i > 0``), the second over all.

    Parameters
    ----------
    means : array_like of shape (K,)
        Arm means in ``[0, 1]``.
    horizon : int or array_like of int
        Number of plays ``n`` in ``[1, 10**300]`` (an int64 array gives a curve).

    Returns
    -------
    float or ndarray
        Upper bound on the expected pseudo-regret of :class:`bandits.UCB1` after ``n``
        plays, for any rewards in ``[0, 1]`` with these means.

    Raises
    ------
    InvalidParameterError
        If a gap is so small (below about ``1e-307``) that ``8 ln n / Delta`` overflows
        float64.

    References
    ----------
    P. Auer, N. Cesa-Bianchi, P. Fischer, Finite-time analysis of the multiarmed bandit
    problem, *Machine Learning* 47, 2002, Theorem 1.

    Examples
    --------
    >>> round(ucb1_regret_bound([0.5, 0.4], 1000), 4)
    553.0494
    """
    mu = means
    n, scalar = horizons(horizon)
    gaps = mu.max() - mu
    sub = gaps[gaps > 0]
    with np.errstate(over="ignore", divide="ignore"):
        out = 8.0 * np.log(n) * np.sum(1.0 / sub) + (1.0 + math.pi**2 / 3.0) * gaps.sum()
    refuse_nonfinite(out, "means", "a gap is so small that 8 ln n / gap overflows float64")
    return like_horizon(out, scalar)


@validate_params(means=MEANS, horizon=HORIZONS, m=Integer(1, MAX_SAMPLES))
def etc_regret_bound(means: Any, horizon: Any, m: int) -> Any:
    """Explore-then-commit: ``m sum_i Delta_i + (n - mK) sum_i Delta_i exp(-m Delta_i^2 / 4)``.

    Valid for 1-subgaussian rewards (so for any rewards in ``[0, 1]``) and
    ``1 <= m <= n / K``; for ``n < mK`` the run never commits and the regret is at most
    ``n max_i Delta_i``, which is returned there.

    Parameters
    ----------
    means : array_like of shape (K,)
        Finite arm means.
    horizon : int or array_like of int
        Number of plays ``n`` in ``[1, 10**300]`` (or an int64 array of them).
    m : int in [1, 10**12]
        Pulls per arm in the exploration phase.

    Raises
    ------
    InvalidParameterError
        If the means are so far apart that the bound overflows float64.

    References
    ----------
    T. Lattimore, C. Szepesvari, *Bandit Algorithms*, CUP 2020, Theorem 6.1.

    Examples
    --------
    >>> round(etc_regret_bound([0.5, 0.0], 1000, 50), 3)
    44.772
    """
    mu = means
    n, scalar = horizons(horizon)
    K = mu.size
    with np.errstate(over="ignore", invalid="ignore"):
        gaps = mu.max() - mu
        committed = m * gaps.sum() + np.maximum(n - m * K, 0.0) * np.sum(gaps * np.exp(-m * (gaps / 2.0) ** 2))
        out = np.where(n >= m * K, committed, n * gaps.max())
    refuse_nonfinite(out, "means", "the gaps are so large that the bound overflows float64; rescale the rewards")
    return like_horizon(out, scalar)


@validate_params(means=MEANS, family=FAMILY, sigma=POSITIVE)
def lai_robbins_constant(means: Any, *, family: str = "bernoulli", sigma: float = 1.0) -> float:
    """The Lai-Robbins constant ``sum_{i: Delta_i > 0} Delta_i / kl(mu_i, mu*)``.

    Every uniformly good policy (regret ``o(n^a)`` for all ``a > 0`` on every instance of
    the family) has ``liminf_n E[R_n] / ln n >= constant``. The statement is
    *asymptotic*: at finite horizons good policies can sit below ``constant * ln n``.

    Parameters
    ----------
    means : array_like of shape (K,)
        In ``[0, 1]`` for the Bernoulli family.
    family : {"bernoulli", "gaussian"}
        ``kl`` of the family (Gaussian: ``Delta^2 / (2 sigma^2)``, constant
        ``sum 2 sigma^2 / Delta_i``).
    sigma : float > 0

    Raises
    ------
    InvalidParameterError
        If the constant overflows float64 (a gap below about ``1e-300`` relative to
        ``sigma``, or a huge ``sigma``).

    References
    ----------
    T. L. Lai, H. Robbins, Asymptotically efficient adaptive allocation rules,
    *Advances in Applied Mathematics* 6, 1985. Lattimore and Szepesvari 2020, Thm 16.2.

    Examples
    --------
    >>> round(lai_robbins_constant([0.9, 0.8]), 4)
    2.2521
    >>> lai_robbins_constant([1.0, 0.0], family="gaussian")
    2.0
    """
    return _lai_robbins_constant(means, family, sigma)


def _lai_robbins_constant(mu: np.ndarray, family: str, s: float) -> float:
    _unit_means(mu, family)
    best = mu.max()
    with np.errstate(over="ignore"):
        gaps = best - mu
    sub = gaps > 0
    with np.errstate(over="ignore", divide="ignore"):
        if family == "gaussian":
            out = float(np.sum(2.0 * s * (s / gaps[sub])))
        else:
            kls = np.asarray(_kl_bernoulli(mu[sub], np.full(int(sub.sum()), best)))
            out = float(np.sum(gaps[sub] / kls))
    what = "a gap is so small (relative to sigma, for the Gaussian family) that the constant overflows float64"
    return float(refuse_nonfinite(out, "means", what))


@validate_params(means=MEANS, horizon=HORIZONS, family=FAMILY, sigma=POSITIVE)
def lai_robbins_lower_bound(means: Any, horizon: Any, *, family: str = "bernoulli", sigma: float = 1.0) -> Any:
    """The asymptotic lower-bound curve ``lai_robbins_constant(means) * ln n``.

    For plots only: it is a statement about ``n -> infinity``, not a floor at any
    finite ``n`` (see :func:`lai_robbins_constant`).

    Examples
    --------
    >>> lai_robbins_lower_bound([1.0, 0.0], [1, 10], family="gaussian").round(3).tolist()
    [0.0, 4.605]
    """
    c = _lai_robbins_constant(means, family, sigma)
    n, scalar = horizons(horizon)
    return like_horizon(c * np.log(n), scalar)


@validate_params(means=MEANS, family=FAMILY, sigma=POSITIVE)
def klucb_asymptotic_constant(means: Any, *, family: str = "bernoulli", sigma: float = 1.0) -> float:
    """KL-UCB's asymptotic regret constant: ``limsup E[R_n] / ln n <= sum Delta_i / kl(mu_i, mu*)``.

    Equal to :func:`lai_robbins_constant`: KL-UCB (with ``c = 3``, Bernoulli rewards or
    bounded rewards with the Bernoulli KL) is asymptotically optimal.

    References
    ----------
    A. Garivier, O. Cappe, The KL-UCB algorithm for bounded stochastic bandits and
    beyond, *COLT* 2011, Theorems 1 and 2.

    Examples
    --------
    >>> klucb_asymptotic_constant([0.9, 0.8]) == lai_robbins_constant([0.9, 0.8])
    True
    """
    return _lai_robbins_constant(means, family, sigma)


@validate_params(horizon=HORIZONS, n_arms=N_ARMS)
def moss_regret_bound(horizon: Any, n_arms: int) -> Any:
    """MOSS's minimax bound ``49 sqrt(n K)`` on the expected pseudo-regret.

    For rewards in ``[0, 1]`` and MOSS run with horizon ``n``.

    Parameters
    ----------
    horizon : int or array_like of int
        ``n`` in ``[1, 10**300]`` (or an int64 array of them).
    n_arms : int in [1, 10**12]

    References
    ----------
    J.-Y. Audibert, S. Bubeck, Minimax policies for adversarial and stochastic bandits,
    *COLT* 2009, Theorem 5.

    Examples
    --------
    >>> moss_regret_bound(100, 4)
    980.0
    """
    n, scalar = horizons(horizon)
    return like_horizon(49.0 * np.sqrt(n * n_arms), scalar)


def _exp3_gamma(K: int, gg: float) -> float:
    if K == 1:
        return 1.0
    return min(1.0, math.sqrt(K * math.log(K) / ((math.e - 1.0) * gg)))


_G = POSITIVE | None


@validate_params(horizon=Integer(1, MAX_SAMPLES), n_arms=N_ARMS, g=_G)
def exp3_gamma(horizon: int, n_arms: int, *, g: float | None = None) -> float:
    """EXP3's tuned exploration ``min(1, sqrt(K ln K / ((e - 1) g)))`` with ``g >= G_max``.

    ``g`` defaults to the horizon (rewards in ``[0, 1]`` give ``G_max <= n``).

    Parameters
    ----------
    horizon : int in [1, 10**12]
    n_arms : int in [1, 10**12]
    g : float > 0, optional

    References
    ----------
    Auer, Cesa-Bianchi, Freund, Schapire 2002, Corollary 3.2.

    Examples
    --------
    >>> round(exp3_gamma(10_000, 10), 5)
    0.03661
    """
    return _exp3_gamma(n_arms, float(horizon) if g is None else g)


@validate_params(horizon=Integer(1, MAX_SAMPLES), n_arms=N_ARMS, gamma=Real(0, 1, closed="right") | None, g=_G)
def exp3_regret_bound(horizon: int, n_arms: int, *, gamma: float | None = None, g: float | None = None) -> float:
    """EXP3's bound on ``G_max - E[G_EXP3]`` against an oblivious table in ``[0, 1]``.

    With ``gamma`` given: ``(e - 1) gamma g + K ln K / gamma`` (Theorem 3.1, with
    ``g >= G_max``, default the horizon). Without: the tuned
    ``gamma = exp3_gamma(horizon, n_arms, g=g)`` and the bound ``2 sqrt(e - 1)
    sqrt(g K ln K)`` (Corollary 3.2), or ``g`` when the tuned ``gamma`` is 1.

    Parameters
    ----------
    horizon : int in [1, 10**12]
    n_arms : int in [1, 10**12]
    gamma : float in (0, 1], optional
    g : float > 0, optional

    Returns
    -------
    float
        The bound; ``inf`` when ``K ln K / gamma`` or ``(e - 1) gamma g`` exceeds the
        float64 range (``gamma`` below about ``1e-308``, or ``g`` near the largest
        float): the bound is then vacuous.

    References
    ----------
    P. Auer, N. Cesa-Bianchi, Y. Freund, R. E. Schapire, The nonstochastic multiarmed
    bandit problem, *SIAM J. Computing* 32(1), 2002.

    Examples
    --------
    >>> round(exp3_regret_bound(10_000, 10), 2)
    1258.01
    """
    K = n_arms
    gg = float(horizon) if g is None else g
    if gamma is None:
        gam = _exp3_gamma(K, gg)
        if gam >= 1.0:
            return gg
        return 2.0 * math.sqrt(math.e - 1.0) * math.sqrt(gg * K * math.log(K))
    return (math.e - 1.0) * gamma * gg + K * math.log(K) / gamma


# ----------------------------------------------------------------- KL-UCB, finite time
def _kl_vec(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Bernoulli KL ``kl(p, q)``, vectorised (``inf`` where ``q`` is 0 or 1 and ``p`` is not)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _sp.xlogy(p, p) - _sp.xlogy(p, q) + _sp.xlogy(1.0 - p, 1.0 - p) - _sp.xlogy(1.0 - p, 1.0 - q)
    return np.asarray(out, dtype=np.float64)


#: Fractions of the gap tried for ``eps1`` and ``eps2`` (any pair gives a valid bound,
#: so the minimum over this grid is an upper bound on the infimum of Theorem 10.6).
_EPS_FRACTIONS = np.unique(np.concatenate([np.geomspace(1e-4, 0.05, 60), np.linspace(0.05, 0.95, 181)]))


def _klucb_lines(mu_i: float, mu_star: float) -> tuple[np.ndarray, np.ndarray]:
    """The lines ``a -> a g + h`` of Theorem 10.6 over the eps-grid, Pareto-pruned.

    ``g = 1 / kl(mu_i + eps1, mu* - eps2)``, ``h = 1 / (2 eps1^2) + 2 / eps2^2``.
    """
    gap = mu_star - mu_i
    u, v = np.meshgrid(_EPS_FRACTIONS, _EPS_FRACTIONS, indexing="ij")
    keep = u + v < 1.0
    e1, e2 = u[keep] * gap, v[keep] * gap
    kl = _kl_vec(mu_i + e1, mu_star - e2)
    ok = kl > 0  # kl(p, q) > 0 for p < q; drop pairs where rounding says otherwise
    with np.errstate(over="ignore", divide="ignore", under="ignore"):
        g = 1.0 / kl[ok]
        h = (1.0 / (2.0 * e1**2) + 2.0 / e2**2)[ok]
    order = np.lexsort((h, g))
    g, h = g[order], h[order]
    best_h = np.minimum.accumulate(h)
    front = np.ones(g.size, dtype=bool)
    front[1:] = h[1:] < best_h[:-1]
    return g[front], h[front]


def _klucb_rhs(plays: np.ndarray, c: float) -> np.ndarray:
    """``ln t + c ln ln t`` at ``t = plays`` (the ``ln ln`` term once ``ln t > 1``), 0 for ``t <= 1``."""
    t = np.maximum(plays, 1.0)
    lt = np.log(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(lt > 1.0, lt + c * np.log(np.maximum(lt, 1.0)), lt)
    return np.where(t <= 1.0, 0.0, out)


@validate_params(means=UNIT_MEANS, horizon=HORIZONS, c=Real(3, None) | None)
def klucb_regret_bound(means: Any, horizon: Any, *, c: float | None = 3.0) -> Any:
    """A finite-time bound on the expected pseudo-regret of Bernoulli KL-UCB.

    For each suboptimal arm ``i`` (gap ``Delta_i``), with ``d`` the Bernoulli KL,

    ``E[N_i(n)] <= extra + inf_{eps1, eps2 > 0, eps1 + eps2 < Delta_i}
    [ a_n / d(mu_i + eps1, mu* - eps2) + 1 / (2 eps1^2) + 2 / eps2^2 ]``

    and the bound is ``sum_i Delta_i min(n, E[N_i(n)] bound)``, capped at
    ``n max_i Delta_i``. The infimum is taken over a fixed grid of ``(eps1, eps2)``
    (every pair gives a valid bound, so the grid minimum is a valid, slightly larger,
    bound).

    Parameters
    ----------
    means : array_like of shape (K,)
        Bernoulli arm means in ``[0, 1]``.
    horizon : int or array_like of int
        Number of plays ``n`` in ``[1, 10**300]`` (an int64 array gives a curve).
    c : float >= 3 or None
        Which algorithm the bound is for.

        * ``c >= 3``: :class:`bandits.KLUCB` with this ``c`` (index: largest ``q`` with
          ``N_k kl(mu_k, q) <= ln t + c ln ln t``, ``t`` the plays so far). Then
          ``a_n = ln(n - 1) + c ln ln(n - 1)`` and ``extra = 1 + max(0, 5 - K)``.
          This is our corollary of Theorem 10.6, not the theorem itself: for
          ``c >= 3`` and every round ``t >= 6``, ``ln(t - 1) + c ln ln(t - 1) >=
          ln f(t)`` with Lattimore and Szepesvari's ``f(t) = 1 + t ln^2 t`` (checked
          numerically for ``t <= 2 10^6`` in the tests; beyond, the left side exceeds
          the right by about ``ln ln t``), so after round 5 our index is at least
          theirs, which is all the proof needs of the optimal arm, and the index of a
          suboptimal arm uses an exploration level at most ``a_n``. Rounds
          ``K + 1 .. 5`` (at most ``5 - K`` of them) are charged in full, and the
          forced first pull (``+1``) is counted separately.
        * ``None``: Algorithm 8 of the book exactly (exploration ``ln f(t)``, ``t`` the
          round), which :class:`bandits.KLUCB` cannot express: ``a_n = ln f(n)``,
          ``extra = 1`` (the forced first pull, which the book's proof leaves
          implicit).

    Returns
    -------
    float or ndarray
        Upper bound on ``E[sum_t (mu* - mu_{A_t})]`` after ``n`` plays, for Bernoulli
        rewards.

    Notes
    -----
    Theorem 10.6 of Lattimore and Szepesvari (2020): for Bernoulli rewards and
    KL-UCB with exploration ``ln f(t)``, ``f(t) = 1 + t ln^2 t``, for every suboptimal
    arm and every ``eps1, eps2 > 0`` with ``eps1 + eps2 < Delta_i``,
    ``E[T_i(n)] <= E[tau] + E[kappa] <= 2 / eps2^2 + ln f(n) / d(mu_i + eps1, mu* - eps2)
    + 1 / (2 eps1^2)``, where ``tau`` is the first round after which the optimal
    arm's index never drops below ``mu* - eps2`` and ``kappa`` counts the sample sizes
    ``s`` at which ``d(hat mu_{i,s}, mu* - eps2) <= ln f(n) / s``. As ``n`` grows the
    coefficient of ``ln n`` tends to ``sum_i Delta_i / d(mu_i, mu*)``
    (:func:`klucb_asymptotic_constant`).

    References
    ----------
    T. Lattimore, C. Szepesvari, *Bandit Algorithms*, CUP 2020, Section 10.2,
    Theorem 10.6 (and the lemma bounding ``E[kappa]`` proved after it). A. Garivier,
    O. Cappe, The KL-UCB algorithm for bounded stochastic bandits and beyond, *COLT*
    2011.

    Examples
    --------
    >>> b = klucb_regret_bound([0.9, 0.8], [1000, 10**6])
    >>> bool(b[0] < b[1])
    True
    >>> klucb_regret_bound([0.5, 0.5], 100)
    0.0
    """
    mu = means
    n, scalar = horizons(horizon)
    K = mu.size
    best = mu.max()
    gaps = best - mu
    nn = np.atleast_1d(n)
    if c is None:
        a = np.log(nn) + np.log(np.log(nn) ** 2 + 1.0 / nn)  # ln(1 + n ln^2 n), no overflow
        extra = 1.0
    else:
        # (1 + 1e-9): the index solver stops within KL_TOLERANCE = 1e-10 (relative) of
        # the right-hand side, so the level it effectively uses is at most this
        a = _klucb_rhs(nn - 1.0, c) * (1.0 + 1e-9)
        extra = 1.0 + max(0, 5 - K)
    total = np.zeros(nn.shape)
    for i in np.flatnonzero(gaps > 0):
        g, h = _klucb_lines(float(mu[i]), float(best))
        if g.size == 0:  # a gap so small that kl rounds to 0 on the whole grid: only N_i(n) <= n holds
            total += gaps[i] * nn
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            # a = 0 (one play) times g = inf (a gap whose kl underflows) counts 0
            lines = np.where(a[:, None] > 0, a[:, None] * g[None, :], 0.0) + h[None, :]
        pulls = extra + np.min(lines, axis=1)
        total += gaps[i] * np.minimum(pulls, nn)
    out = np.minimum(total, nn * gaps.max())
    return like_horizon(out.reshape(np.shape(n)) if not scalar else out[0], scalar)
