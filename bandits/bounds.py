"""Regret bounds as functions, to plot beside empirical regret.

============================================  ==========================================
function                                      statement
============================================  ==========================================
:func:`ucb1_regret_bound`                     Auer, Cesa-Bianchi, Fischer 2002, Thm 1
:func:`etc_regret_bound`                      Lattimore and Szepesvari 2020, Thm 6.1
:func:`lai_robbins_constant`                  Lai and Robbins 1985 (asymptotic)
:func:`lai_robbins_lower_bound`               ``constant * ln n`` (asymptotic, a curve)
:func:`klucb_asymptotic_constant`             Garivier and Cappe 2011, Thm 2
:func:`moss_regret_bound`                     Audibert and Bubeck 2009, Thm 5
:func:`exp3_gamma`, :func:`exp3_regret_bound` Auer et al. 2002, Thm 3.1 and Cor. 3.2
:func:`oful_regret_bound`                     Abbasi-Yadkori, Pal, Szepesvari 2011, Thm 3
============================================  ==========================================

All regrets are pseudo-regrets (expected, against the best mean) except EXP3's (against
the best fixed arm of an oblivious reward table) and OFUL's (a high-probability bound
on the pseudo-regret of one run).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bandits.kl import kl_bernoulli
from rlcore._validation import as_float_array, check_positive_int

__all__ = [
    "etc_regret_bound",
    "exp3_gamma",
    "exp3_regret_bound",
    "klucb_asymptotic_constant",
    "lai_robbins_constant",
    "lai_robbins_lower_bound",
    "moss_regret_bound",
    "oful_regret_bound",
    "ucb1_regret_bound",
]


def _means(means: Any, *, unit: bool = True) -> np.ndarray:
    mu = as_float_array(means, "means", ndim=1)
    if mu.size == 0:
        raise ValueError("means: expected at least one arm")
    if unit and ((mu < 0).any() or (mu > 1).any()):
        i = int(np.argmax((mu < 0) | (mu > 1)))
        raise ValueError(f"means: expected means in [0, 1], found {mu[i]!r} at index {i}")
    return mu


def _horizons(horizon: Any) -> tuple[np.ndarray, bool]:
    h = np.asarray(horizon)
    if h.dtype == bool or not np.issubdtype(h.dtype, np.integer) and not (
        np.issubdtype(h.dtype, np.floating) and np.all(np.isfinite(h)) and np.all(h == np.round(h))
    ):
        raise TypeError(f"horizon: expected integer horizon(s), got {horizon!r}")
    if (h < 1).any():
        raise ValueError(f"horizon: expected horizon(s) >= 1, got {horizon!r}")
    return h.astype(np.float64), h.ndim == 0


def _out(x: np.ndarray, scalar: bool) -> Any:
    return float(x) if scalar else x


def ucb1_regret_bound(means: Any, horizon: Any) -> Any:
    """UCB1's finite-time regret bound: ``sum_i 8 ln n / Delta_i + (1 + pi^2/3) sum_i Delta_i``.

    The first sum runs over the suboptimal arms (``Delta_i > 0``), the second over all.

    Parameters
    ----------
    means : array_like of shape (K,)
        Arm means in ``[0, 1]``.
    horizon : int or array_like of int
        Number of plays ``n`` (an array gives a curve).

    Returns
    -------
    float or ndarray
        Upper bound on the expected pseudo-regret of :class:`bandits.UCB1` after ``n``
        plays, for any rewards in ``[0, 1]`` with these means.

    References
    ----------
    P. Auer, N. Cesa-Bianchi, P. Fischer, Finite-time analysis of the multiarmed bandit
    problem, *Machine Learning* 47, 2002, Theorem 1.

    Examples
    --------
    >>> round(ucb1_regret_bound([0.5, 0.4], 1000), 4)
    553.0494
    """
    mu = _means(means)
    n, scalar = _horizons(horizon)
    gaps = mu.max() - mu
    sub = gaps[gaps > 0]
    out = 8.0 * np.log(n) * np.sum(1.0 / sub) + (1.0 + math.pi**2 / 3.0) * gaps.sum()
    return _out(np.asarray(out), scalar)


def etc_regret_bound(means: Any, horizon: Any, m: int) -> Any:
    """Explore-then-commit: ``m sum_i Delta_i + (n - mK) sum_i Delta_i exp(-m Delta_i^2 / 4)``.

    Valid for 1-subgaussian rewards (so for any rewards in ``[0, 1]``) and
    ``1 <= m <= n / K``; for ``n < mK`` the run never commits and the regret is at most
    ``n max_i Delta_i``, which is returned there.

    References
    ----------
    T. Lattimore, C. Szepesvari, *Bandit Algorithms*, CUP 2020, Theorem 6.1.

    Examples
    --------
    >>> round(etc_regret_bound([0.5, 0.0], 1000, 50), 3)
    44.772
    """
    mu = _means(means, unit=False)
    n, scalar = _horizons(horizon)
    m = check_positive_int(m, "m")
    K = mu.size
    gaps = mu.max() - mu
    committed = m * gaps.sum() + np.maximum(n - m * K, 0.0) * np.sum(gaps * np.exp(-m * gaps**2 / 4.0))
    out = np.where(n >= m * K, committed, n * gaps.max())
    return _out(np.asarray(out), scalar)


def lai_robbins_constant(means: Any, *, family: str = "bernoulli", sigma: float = 1.0) -> float:
    """The Lai-Robbins constant ``sum_{i: Delta_i > 0} Delta_i / kl(mu_i, mu*)``.

    Every uniformly good policy (regret ``o(n^a)`` for all ``a > 0`` on every instance of
    the family) has ``liminf_n E[R_n] / ln n >= constant``. The statement is
    *asymptotic*: at finite horizons good policies can sit below ``constant * ln n``.

    Parameters
    ----------
    means : array_like of shape (K,)
    family : {"bernoulli", "gaussian"}
        ``kl`` of the family (Gaussian: ``Delta^2 / (2 sigma^2)``, constant
        ``sum 2 sigma^2 / Delta_i``).
    sigma : float > 0

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
    if family not in ("bernoulli", "gaussian"):
        raise ValueError(f"family: expected 'bernoulli' or 'gaussian', got {family!r}")
    mu = _means(means, unit=family == "bernoulli")
    best = mu.max()
    gaps = best - mu
    sub = gaps > 0
    if family == "gaussian":
        s = float(sigma)
        if not (math.isfinite(s) and s > 0):
            raise ValueError(f"sigma: expected a positive standard deviation, got {sigma!r}")
        return float(np.sum(2.0 * s * s / gaps[sub]))
    kls = np.asarray(kl_bernoulli(mu[sub], np.full(int(sub.sum()), best)))
    return float(np.sum(gaps[sub] / kls))


def lai_robbins_lower_bound(means: Any, horizon: Any, *, family: str = "bernoulli", sigma: float = 1.0) -> Any:
    """The asymptotic lower-bound curve ``lai_robbins_constant(means) * ln n``.

    For plots only: it is a statement about ``n -> infinity``, not a floor at any
    finite ``n`` (see :func:`lai_robbins_constant`).

    Examples
    --------
    >>> lai_robbins_lower_bound([1.0, 0.0], [1, 10], family="gaussian").round(3).tolist()
    [0.0, 4.605]
    """
    c = lai_robbins_constant(means, family=family, sigma=sigma)
    n, scalar = _horizons(horizon)
    return _out(c * np.log(n), scalar)


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
    return lai_robbins_constant(means, family=family, sigma=sigma)


def moss_regret_bound(horizon: Any, n_arms: int) -> Any:
    """MOSS's minimax bound ``49 sqrt(n K)`` on the expected pseudo-regret.

    For rewards in ``[0, 1]`` and MOSS run with horizon ``n``.

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
    K = check_positive_int(n_arms, "n_arms")
    return _out(49.0 * np.sqrt(n * K), scalar)


def exp3_gamma(horizon: int, n_arms: int, *, g: float | None = None) -> float:
    """EXP3's tuned exploration ``min(1, sqrt(K ln K / ((e - 1) g)))`` with ``g >= G_max``.

    ``g`` defaults to the horizon (rewards in ``[0, 1]`` give ``G_max <= n``).

    References
    ----------
    Auer, Cesa-Bianchi, Freund, Schapire 2002, Corollary 3.2.

    Examples
    --------
    >>> round(exp3_gamma(10_000, 10), 5)
    0.03661
    """
    n = check_positive_int(horizon, "horizon")
    K = check_positive_int(n_arms, "n_arms")
    gg = float(n if g is None else g)
    if not (math.isfinite(gg) and gg > 0):
        raise ValueError(f"g: expected a positive bound on the best total reward, got {g!r}")
    if K == 1:
        return 1.0
    return min(1.0, math.sqrt(K * math.log(K) / ((math.e - 1.0) * gg)))


def exp3_regret_bound(horizon: int, n_arms: int, *, gamma: float | None = None, g: float | None = None) -> float:
    """EXP3's bound on ``G_max - E[G_EXP3]`` against an oblivious table in ``[0, 1]``.

    With ``gamma`` given: ``(e - 1) gamma g + K ln K / gamma`` (Theorem 3.1, with
    ``g >= G_max``, default the horizon). Without: the tuned
    ``gamma = exp3_gamma(horizon, n_arms, g=g)`` and the bound ``2 sqrt(e - 1)
    sqrt(g K ln K)`` (Corollary 3.2), or ``g`` when the tuned ``gamma`` is 1.

    References
    ----------
    P. Auer, N. Cesa-Bianchi, Y. Freund, R. E. Schapire, The nonstochastic multiarmed
    bandit problem, *SIAM J. Computing* 32(1), 2002.

    Examples
    --------
    >>> round(exp3_regret_bound(10_000, 10), 2)
    1258.01
    """
    n = check_positive_int(horizon, "horizon")
    K = check_positive_int(n_arms, "n_arms")
    gg = float(n if g is None else g)
    if not (math.isfinite(gg) and gg > 0):
        raise ValueError(f"g: expected a positive bound on the best total reward, got {g!r}")
    if gamma is None:
        gam = exp3_gamma(n, K, g=gg)
        if gam >= 1.0:
            return gg
        return 2.0 * math.sqrt(math.e - 1.0) * math.sqrt(gg * K * math.log(K))
    gam = float(gamma)
    if not (0.0 < gam <= 1.0):
        raise ValueError(f"gamma: expected a number in (0, 1], got {gamma!r}")
    return (math.e - 1.0) * gam * gg + K * math.log(K) / gam


def oful_regret_bound(horizon: Any, dim: int, *, delta: float, lam: float = 1.0, S: float = 1.0,
                      R: float = 1.0, L: float = 1.0) -> Any:
    """OFUL's high-probability regret bound.

    ``4 sqrt(n d ln(lam + n L / d)) (sqrt(lam) S + R sqrt(2 ln(1/delta) + d ln(1 + n L / (lam d))))``

    holds for all ``n`` simultaneously with probability at least ``1 - delta``, when the
    noise is conditionally ``R``-subgaussian, ``||theta*|| <= S``, every action has
    ``||x|| <= L`` and ``<x, theta*> in [-1, 1]`` (written as in the paper, with ``L``,
    not ``L^2``, inside the logarithms).

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
    d = check_positive_int(dim, "dim")
    for val, name in ((delta, "delta"), (lam, "lam"), (S, "S"), (R, "R"), (L, "L")):
        v = float(val)
        if not (math.isfinite(v) and v > 0) or (name == "delta" and v >= 1):
            raise ValueError(f"{name}: expected a positive number{' below 1' if name == 'delta' else ''}, got {val!r}")
    inner = math.sqrt(lam) * S + R * np.sqrt(2.0 * math.log(1.0 / delta) + d * np.log(1.0 + n * L / (lam * d)))
    out = 4.0 * np.sqrt(n * d * np.log(lam + n * L / d)) * inner
    return _out(np.asarray(out), scalar)
