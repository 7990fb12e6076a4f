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
:func:`thompson_regret_bound`                     Lattimore and Szepesvari 2020, Thm 36.2
                                                  (evaluated exactly for Beta-Bernoulli)
:func:`moss_regret_bound`                         Audibert and Bubeck 2009, Thm 5
:func:`exp3_gamma`, :func:`exp3_regret_bound`     Auer et al. 2002, Thm 3.1 and Cor. 3.2
:func:`oful_regret_bound`                         Abbasi-Yadkori, Pal, Szepesvari 2011, Thm 3
================================================  ===========================================

All regrets are pseudo-regrets (expected, against the best mean) except EXP3's (against
the best fixed arm of an oblivious reward table) and OFUL's (a high-probability bound
on the pseudo-regret of one run).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scipy import special as _sp

from bandits._constraints import DELTA, HORIZONS, POSITIVE
from bandits.kl import _kl_bernoulli
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
    "oful_regret_bound",
    "thompson_regret_bound",
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


def _horizons(horizon: Any) -> tuple[np.ndarray, bool]:
    """A checked horizon (int or int array) as floats, and whether it was a scalar."""
    h = np.asarray(horizon, dtype=np.float64)
    return h, h.ndim == 0


def _out(x: Any, scalar: bool) -> Any:
    x = np.asarray(x, dtype=np.float64)
    return float(x) if scalar else x


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
    n, scalar = _horizons(horizon)
    gaps = mu.max() - mu
    sub = gaps[gaps > 0]
    with np.errstate(over="ignore", divide="ignore"):
        out = 8.0 * np.log(n) * np.sum(1.0 / sub) + (1.0 + math.pi**2 / 3.0) * gaps.sum()
    refuse_nonfinite(out, "means", "a gap is so small that 8 ln n / gap overflows float64")
    return _out(out, scalar)


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
    n, scalar = _horizons(horizon)
    K = mu.size
    with np.errstate(over="ignore", invalid="ignore"):
        gaps = mu.max() - mu
        committed = m * gaps.sum() + np.maximum(n - m * K, 0.0) * np.sum(gaps * np.exp(-m * (gaps / 2.0) ** 2))
        out = np.where(n >= m * K, committed, n * gaps.max())
    refuse_nonfinite(out, "means", "the gaps are so large that the bound overflows float64; rescale the rewards")
    return _out(out, scalar)


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
    n, scalar = _horizons(horizon)
    return _out(c * np.log(n), scalar)


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
    n, scalar = _horizons(horizon)
    return _out(49.0 * np.sqrt(n * n_arms), scalar)


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


@validate_params(horizon=HORIZONS, dim=Integer(1, 10**6), delta=DELTA, lam=POSITIVE, S=POSITIVE, R=POSITIVE, L=POSITIVE)
def oful_regret_bound(
    horizon: Any, dim: int, *, delta: float, lam: float = 1.0, S: float = 1.0, R: float = 1.0, L: float = 1.0
) -> Any:
    """OFUL's high-probability regret bound.

    ``4 sqrt(n d ln(lam + n L / d)) (sqrt(lam) S + R sqrt(2 ln(1/delta) + d ln(1 + n L / (lam d))))``

    holds for all ``n`` simultaneously with probability at least ``1 - delta``, when the
    noise is conditionally ``R``-subgaussian, ``||theta*|| <= S``, every action has
    ``||x|| <= L`` and ``<x, theta*> in [-1, 1]`` (written as in the paper, with ``L``,
    not ``L^2``, inside the logarithms).

    Parameters
    ----------
    horizon : int or array_like of int
        ``n`` in ``[1, 10**300]`` (or an int64 array of them).
    dim : int in [1, 10**6]
    delta : float in (0, 1)
    lam, S, R, L : float > 0
        The paper assumes ``lam >= max(1, L^2)``; the expression needs at least
        ``lam + n L / d >= 1`` (a non-negative logarithm), which is checked.

    Raises
    ------
    InvalidParameterError
        If ``lam + n L / d < 1``, or if the bound overflows float64 (``S``, ``R``, ``L``
        or ``lam`` beyond about ``1e150``).

    References
    ----------
    Y. Abbasi-Yadkori, D. Pal, C. Szepesvari, Improved algorithms for linear stochastic
    bandits, *NeurIPS* 2011, Theorem 3.

    Examples
    --------
    >>> round(oful_regret_bound(1000, 2, delta=0.05), 1)
    2360.5
    """
    n, scalar = _horizons(horizon)
    d = dim
    if np.any(lam + n * L / d < 1.0):
        raise InvalidParameterError(
            "lam",
            f"the bound needs lam + n L / d >= 1 (a non-negative logarithm; the theorem assumes "
            f"lam >= max(1, L^2)), got lam={lam!r}, L={L!r}, d={d}, smallest n={int(n.min())}",
        )
    with np.errstate(over="ignore", invalid="ignore"):
        # ln(1 + n L / (lam d)) and ln(lam + n L / d) = ln(lam) + that, without overflow
        # when lam is tiny
        ratio = n * (L / lam) / d
        log1 = np.where(
            ratio < 1e300, np.log1p(np.minimum(ratio, 1e300)), np.log(n) + math.log(L) - math.log(lam) - math.log(d)
        )
        log2 = np.where(lam + n * L / d < 1e300, np.log(lam + n * L / d), math.log(lam) + log1)
        inner = math.sqrt(lam) * S + R * np.sqrt(-2.0 * math.log(delta) + d * log1)
        out = 4.0 * np.sqrt(n * d * log2) * inner
    refuse_nonfinite(out, "lam", "the bound overflows float64; rescale lam, S, R and L")
    return _out(out, scalar)


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
    n, scalar = _horizons(horizon)
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
    return _out(out.reshape(np.shape(n)) if not scalar else out[0], scalar)


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
    n, scalar = _horizons(horizon)
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
    return _out(out.reshape(np.shape(n)) if not scalar else out[0], scalar)
