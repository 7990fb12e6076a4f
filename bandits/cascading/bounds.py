"""Regret bounds of the cascade model (Kveton et al. 2015; Vial et al. 2022).

================================================  ===========================================
function                                          statement
================================================  ===========================================
:func:`cascade_ucb1_regret_bound`                 Kveton et al. 2015, Thm 2 (CascadeUCB1)
:func:`cascade_klucb_regret_bound`                Kveton et al. 2015, Thm 3 (CascadeKL-UCB),
                                                  its explicit part
:func:`cascade_lower_bound_constant`              Kveton et al. 2015, Thm 4 (asymptotic)
:func:`cascade_lower_bound`                       ``constant * ln n`` (a curve)
================================================  ===========================================

Verification status (audit of November 2026). The full texts of the papers could not be
read in that audit: the reference search returned only the opening part of each paper
(title, abstract, start of the introduction). What was checked, and against what:

* Vial et al. (2022): the minimax picture above (lower bound ``Omega(sqrt(n L))``,
  CascadeKL-UCB optimal up to logarithms, CascadeUCB1 ``Omega(sqrt(n L K))``, previous
  bounds ``Omega(sqrt(n L / K))`` and ``O~(sqrt(n L K))``) is *verified* against the
  paper's abstract. No explicit constants of theirs are used here.
* Kveton et al. (2015), Theorem 2 (CascadeUCB1): the form
  ``sum_{e > K} 12 / Delta_{e,K} ln n + pi^2 L / 3`` is confirmed by an independent
  secondary restatement; the primary theorem text was not read.
* Kveton et al. (2015), Theorems 3 and 4 and the index definitions: written from the
  paper as recalled; *not verified* against its text in that audit. They are
  consistent with the paper's abstract (*verified*): on the lower-bound instances the
  two differ by the factor ``(1 + ln(1 / Delta)) / (1 - p)^(K - 1)``, logarithmic in
  ``1 / Delta`` when ``p K`` is small, and the abstract says that "the lower bound
  matches the upper bound of CascadeKL-UCB up to a logarithmic factor".

References
----------
B. Kveton, C. Szepesvari, Z. Wen, A. Ashkan, Cascading bandits: learning to rank in the
cascade model, *ICML* 2015 (arXiv:1502.02763), Theorems 2, 3 and 4.
D. Vial, S. Sanghavi, S. Shakkottai, R. Srikant, Minimax regret for cascading bandits,
*NeurIPS* 2022 (arXiv:2203.12577).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bandits.cascading.bandit import ATTRACTION, LIST_LENGTH
from bandits._constraints import HORIZONS, MAX_LISTS, horizons, like_horizon
from bandits.stochastic.kl import _kl_bernoulli
from rlcore.validation import Integer, InvalidParameterError, Real, validate_params, value_of

__all__ = [
    "cascade_klucb_regret_bound",
    "cascade_lower_bound",
    "cascade_lower_bound_constant",
    "cascade_ucb1_regret_bound",
]


#: Smallest gap of :func:`cascade_lower_bound_constant`: the constant grows like
#: ``1 / gap`` and ``kl(p - gap, p)`` like ``gap^2``, which loses its precision below.
GAP_FLOOR = 1e-9


# ---------------------------------------------------------------------------- bounds
def _sorted_gaps(w: np.ndarray, K: int) -> tuple[np.ndarray, float, int]:
    srt = np.sort(w)[::-1]
    if K < w.size and not srt[K - 1] > srt[K]:
        raise InvalidParameterError(
            "attraction",
            f"the bound needs a unique optimal set, w(K) > w(K+1) after sorting, got "
            f"w(K) = {srt[K - 1]!r} and w(K+1) = {srt[K]!r}",
        )
    return srt[K:], float(srt[K - 1]), K


@validate_params(attraction=ATTRACTION, list_length=LIST_LENGTH, horizon=HORIZONS)
def cascade_ucb1_regret_bound(attraction: Any, list_length: int, horizon: Any) -> Any:
    """CascadeUCB1's bound ``sum_{e > K} 12 ln n / Delta_{e,K} + pi^2 L / 3``.

    Kveton et al. (2015), Theorem 2. In our words: sort the items so that
    ``w(1) >= ... >= w(K) > w(K+1) >= ... >= w(L)`` and let
    ``Delta_{e,K} = w(K) - w(e)``; then for every ``n >= 1`` the expected ``n``-step
    regret of CascadeUCB1 is at most ``sum_{e=K+1}^{L} (12 / Delta_{e,K}) ln n +
    (pi^2 / 3) L``. The bound is explicit (no hidden constant), so it is a certified
    upper bound on the *expected* regret at every ``n`` (not a high-probability bound).

    Verification: the form above (constant 12, additive ``pi^2 L / 3``, sum over the
    ``L - K`` suboptimal items) is confirmed by an independent secondary restatement of
    the theorem; the primary text of the paper could not be read in the November 2026
    audit. Our CascadeUCB1 uses ``ln t`` with ``t`` the rounds observed (the paper's
    ``ln(t - 1)`` plus the free initial observation), a radius never smaller than the
    paper's and at most ``sqrt(1.5 ln n / T(e))`` up to round ``n``, the two properties
    a UCB1-type proof needs (our reading; the paper's proof was not read).

    Parameters
    ----------
    attraction : array_like of shape (L,)
        Needs ``w(K) > w(K+1)`` after sorting (a unique optimal set).
    list_length : int, 1 <= K <= L
    horizon : int or array_like of int
        ``n`` in ``[1, 10**300]`` (or an int64 array of them).

    Raises
    ------
    InvalidParameterError
        If the optimal set is not unique, or a gap is so small (below about
        ``1e-307``) that the bound overflows float64.

    References
    ----------
    Kveton, Szepesvari, Wen, Ashkan, *ICML* 2015, Theorem 2.

    Examples
    --------
    >>> round(cascade_ucb1_regret_bound([0.5, 0.4, 0.2, 0.1], 2, 1000), 2)
    703.94
    """
    sub, wK, _ = _sorted_gaps(attraction, list_length)
    L = int(attraction.size)
    n, scalar = horizons(horizon)
    gaps = wK - sub
    with np.errstate(over="ignore", divide="ignore"):
        out = np.asarray(12.0 * np.log(n) * np.sum(1.0 / gaps) + math.pi**2 / 3.0 * L)
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError("attraction", "a gap w(K) - w(e) is so small that the bound overflows float64")
    return like_horizon(out, scalar)


@validate_params(attraction=ATTRACTION, list_length=LIST_LENGTH, horizon=HORIZONS, epsilon=Real(0, None))
def cascade_klucb_regret_bound(attraction: Any, list_length: int, horizon: Any, *, epsilon: float = 0.0) -> Any:
    """The explicit part of CascadeKL-UCB's bound (Kveton et al. 2015, Theorem 3).

    ``sum_{e > K} (1 + epsilon) Delta_{e,K} (1 + ln(1 / Delta_{e,K})) / kl(w(e), w(K))
    (ln n + 3 ln ln n) + 7 K ln ln n``.

    Kveton et al. (2015), Theorem 3. In our words: with the items sorted as in
    :func:`cascade_ucb1_regret_bound` and any ``epsilon > 0``, the expected ``n``-step
    regret of CascadeKL-UCB is at most the expression above plus
    ``K L C_2(epsilon) / n^beta(epsilon)``, where ``C_2(epsilon)`` and
    ``beta(epsilon) > 0`` are the constants of Garivier and Cappe (2011)'s KL-UCB analysis.

    What this function is, plainly: it omits the ``C_2`` term, which has no closed form
    (``C_2`` grows as ``epsilon -> 0``) and vanishes as ``n -> infinity``. So it is the
    *asymptotically dominant, explicit part* of the bound, not a certified bound at
    finite ``n``; ``epsilon = 0`` (the default) is the limit of that part, outside the
    theorem's ``epsilon > 0``. ``ln ln n`` is taken as 0 for ``n <= e``, where the
    theorem's expression is negative or undefined.

    Verification: the statement above is written from the paper as recalled and was
    *not* checked against its text in the November 2026 audit (only its abstract could
    be read); treat the constants ``1 + ln(1 / Delta)``, 3 and 7 as unverified.

    Parameters
    ----------
    attraction : array_like of shape (L,)
        Needs ``w(K) > w(K+1)`` after sorting (a unique optimal set).
    list_length : int, 1 <= K <= L
    horizon : int or array_like of int
        ``n`` in ``[1, 10**300]`` (or an int64 array of them).
    epsilon : float >= 0

    Raises
    ------
    InvalidParameterError
        If the optimal set is not unique, or the expression overflows float64.

    Examples
    --------
    >>> round(cascade_klucb_regret_bound([0.5, 0.4, 0.2, 0.1], 2, 1000), 2)
    136.64
    """
    sub, wK, K = _sorted_gaps(attraction, list_length)
    eps = epsilon
    n, scalar = horizons(horizon)
    gaps = wK - sub
    kls = np.asarray(_kl_bernoulli(sub, np.full(sub.size, wK)), dtype=np.float64)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        coef = float(np.sum((1.0 + eps) * gaps * (1.0 - np.log(gaps)) / kls))
        lnln = np.log(np.maximum(np.log(n), 1.0))
        out = np.asarray(coef * (np.log(n) + 3.0 * lnln) + 7.0 * K * lnln)
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(
            "attraction", "the bound overflows float64 (a gap w(K) - w(e) too small, or epsilon too large)"
        )
    return like_horizon(out, scalar)


def _phi(x: float) -> float:
    """``(1 + x) ln(1 + x) - x >= 0`` for ``x > -1``, accurate for small ``|x|`` (its series)."""
    if abs(x) < 1e-3:
        return x * x * (0.5 - x / 6.0 + x * x / 12.0 - x**3 / 20.0)
    return (1.0 + x) * math.log1p(x) - x


def _kl_below(p: float, d: float) -> float:
    """``kl(p - d, p)`` for ``0 < d <= p <= 1``, without the cancellation of the direct formula.

    With ``u = -d / p`` and ``v = d / (1 - p)``, ``kl = p phi(u) + (1 - p) phi(v)`` (the
    linear terms cancel exactly); infinite for ``p = 1``.
    """
    if p >= 1.0:
        return math.inf  # kl(q, 1) is infinite for q < 1
    return (p * _phi(-d / p) if d < p else p) + (1.0 - p) * _phi(d / (1.0 - p))  # phi(-1) = 1


_N_ITEMS = Integer(2, MAX_LISTS)
_K_BELOW_L = Integer(1, value_of("n_items", -1))


@validate_params(n_items=_N_ITEMS, list_length=_K_BELOW_L, p=Real(0, 1, closed="right"), gap=Real(GAP_FLOOR, 1))
def cascade_lower_bound_constant(n_items: int, list_length: int, p: float, gap: float) -> float:
    """Kveton et al.'s lower-bound constant ``(L - K) Delta (1 - p)^(K - 1) / kl(p - Delta, p)``.

    Kveton et al. (2015), Theorem 4. In our words: on the instances with ``w(e) = p``
    for the ``K`` optimal items and ``w(e) = p - Delta`` for the other ``L - K``, every
    uniformly efficient algorithm (regret ``o(n^alpha)`` for every ``alpha > 0`` on every
    instance) has ``liminf_n R(n) / ln n >= constant``. Asymptotic: not a floor at
    finite ``n``, so no test compares finite-``n`` regret against it.

    Verification: written from the paper as recalled; *not* checked against its text in
    the November 2026 audit. Consistent with the abstract (verified): it matches
    :func:`cascade_klucb_regret_bound` on these instances up to the factor
    ``(1 + ln(1 / Delta)) / (1 - p)^(K - 1)``.

    Parameters
    ----------
    n_items, list_length : int, ``1 <= K < L <= 10**6``
    p : float in (0, 1]
    gap : float in [1e-9, p]
        Below ``1e-9`` the constant (which grows like ``1 / gap``) is not resolved by
        float64 and the asymptotic statement is vacuous.

    Examples
    --------
    >>> round(cascade_lower_bound_constant(10, 2, 0.2, 0.1), 4)
    17.4434
    """
    return _lower_bound_constant(n_items, list_length, p, gap)


def _lower_bound_constant(L: int, K: int, pp: float, d: float) -> float:
    if d > pp:
        raise InvalidParameterError("gap", f"expected a gap in [{GAP_FLOOR:g}, p] = [{GAP_FLOOR:g}, {pp!r}], got {d!r}")
    return float((L - K) * d * (1 - pp) ** (K - 1) / _kl_below(pp, d))


@validate_params(
    n_items=_N_ITEMS, list_length=_K_BELOW_L, p=Real(0, 1, closed="right"), gap=Real(GAP_FLOOR, 1), horizon=HORIZONS
)
def cascade_lower_bound(n_items: int, list_length: int, p: float, gap: float, horizon: Any) -> Any:
    """The asymptotic lower-bound curve ``cascade_lower_bound_constant(...) * ln n`` (for plots).

    Examples
    --------
    >>> cascade_lower_bound(10, 2, 0.2, 0.1, [1, 100]).round(2).tolist()
    [0.0, 80.33]
    """
    c = _lower_bound_constant(n_items, list_length, p, gap)
    n, scalar = horizons(horizon)
    return like_horizon(c * np.log(n), scalar)
