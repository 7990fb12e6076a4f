"""Regret-bound ingredients of linear bandits: OFUL's bound and the elliptical potential.

* :func:`oful_regret_bound`: the high-probability regret bound of OFUL
  (Abbasi-Yadkori, Pal and Szepesvari 2011, Theorem 3), a bound on the pseudo-regret of
  one run, for all ``n`` at once;
* :func:`elliptical_potential`: both sides of the two inequalities its proof rests on,
  the elliptical potential lemma and the determinant-trace inequality.

References
----------
Y. Abbasi-Yadkori, D. Pal, C. Szepesvari, Improved algorithms for linear stochastic
bandits, *NeurIPS* 2011.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from bandits._constraints import DELTA, HORIZONS, POSITIVE, horizons, like_horizon
from bandits.linear._ridge import LAM, _RidgeState
from rlcore.results import Result
from rlcore.validation import Array, Integer, InvalidParameterError, refuse_nonfinite, validate_params

__all__ = ["EllipticalPotential", "elliptical_potential", "oful_regret_bound"]


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
    n, scalar = horizons(horizon)
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
    return like_horizon(out, scalar)


@dataclass(frozen=True, repr=False)
class EllipticalPotential(Result):
    """Both sides of the elliptical potential and determinant-trace inequalities.

    Attributes
    ----------
    widths : ndarray of shape (n,)
        ``||x_t||^2_{V_{t-1}^{-1}}`` for each round.
    potential : float
        ``sum_t min(1, widths[t])``.
    log_det_ratio : float
        ``ln det V_n - d ln lam``.
    logdet : float
        ``ln det V_n``.
    trace_bound : float
        ``d ln(trace(V_n) / d)`` (an upper bound on ``logdet`` by AM-GM).
    norm_bound : float
        ``d ln(lam + n L^2 / d)`` with ``L = max_t ||x_t||``.
    """

    widths: np.ndarray
    potential: float
    log_det_ratio: float
    logdet: float
    trace_bound: float
    norm_bound: float


@validate_params(X=Array(ndim=2), lam=LAM)
def elliptical_potential(X: Any, lam: float = 1.0) -> EllipticalPotential:
    """Compute the quantities of the elliptical potential lemma for a feature sequence.

    Parameters
    ----------
    X : array_like of shape (n, d)
        The chosen feature vectors ``x_1, ..., x_n`` (finite, ``n, d >= 1``).
    lam : float >= 1e-8
        Ridge regularisation (as in :class:`OFUL`).

    Returns
    -------
    EllipticalPotential
        The lemma states ``potential <= 2 * log_det_ratio``; the determinant-trace
        inequality ``logdet <= trace_bound <= norm_bound``.

    Examples
    --------
    >>> ep = elliptical_potential(np.eye(3), lam=1.0)
    >>> ep.widths.tolist(), round(ep.log_det_ratio, 6)
    ([1.0, 1.0, 1.0], 2.079442)
    """
    A = X
    n, d = A.shape
    with np.errstate(over="ignore", invalid="ignore"):
        V = lam * np.eye(d) + A.T @ A
        L2 = float(np.max(np.sum(A * A, axis=1)))
        trace = float(np.trace(V))
    if not (np.all(np.isfinite(V)) and math.isfinite(L2) and math.isfinite(trace)):
        raise InvalidParameterError("X", "the design matrix lam I + X^T X overflows float64; rescale the features")
    st = _RidgeState(d, lam)
    widths = np.empty(n)
    for i in range(n):
        widths[i] = float(A[i] @ st.Vinv @ A[i])
        st.update(A[i], 0.0)
    sign, logdet = np.linalg.slogdet(V)
    return EllipticalPotential(
        widths=widths,
        potential=float(np.minimum(1.0, widths).sum()),
        log_det_ratio=float(logdet - d * math.log(lam)),
        logdet=float(logdet),
        trace_bound=float(d * math.log(trace / d)),
        norm_bound=float(d * math.log(lam + n * L2 / d)),
    )
