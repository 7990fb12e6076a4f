"""Kullback-Leibler divergences of one-parameter families and the KL-UCB index.

``kl(p, q)`` is the divergence between the reward laws of means ``p`` and ``q``:

* Bernoulli: ``p ln(p / q) + (1 - p) ln((1 - p) / (1 - q))`` (with ``0 ln 0 = 0``);
* Gaussian with variance ``sigma^2``: ``(p - q)^2 / (2 sigma^2)``.

The KL-UCB index of an arm with ``n`` pulls and empirical mean ``p`` after ``t`` plays
is the largest ``q`` in ``[p, 1]`` (Bernoulli) with ``n kl(p, q) <= ln t + c ln ln t``
(Garivier and Cappe 2011). ``f(q) = n kl(p, q)`` increases on ``[p, 1)`` and tends to
infinity at 1, so for ``p < 1`` and a positive right-hand side the index is the unique
root of ``f(q) = ln t + c ln ln t``.

References
----------
A. Garivier, O. Cappe, The KL-UCB algorithm for bounded stochastic bandits and beyond,
*COLT* 2011.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special as _sp

from bandits.stochastic import _kl_kernels as _klk
from bandits._constraints import POSITIVE
from rlcore.validation import (
    MAX_SAMPLES,
    Array,
    Integer,
    InvalidParameterError,
    Options,
    Real,
    validate_params,
)

__all__ = ["KL_TOLERANCE", "kl_bernoulli", "kl_gaussian", "klucb_index"]

#: The solver stops once ``|n kl(p, q) - rhs| <= KL_TOLERANCE * rhs`` (or the
#: bracket around the root has shrunk to a few ulps, when ``q`` is that close to 1).
KL_TOLERANCE: float = _klk.KL_TOL


#: Bernoulli means: a number or an array of numbers in [0, 1].
UNIT = Array(low=0.0, high=1.0)

#: Any finite numbers (a scalar or an array).
REALS = Array()


def _broadcast(p: np.ndarray, q: np.ndarray, names: tuple[str, str] = ("p", "q")) -> tuple[np.ndarray, np.ndarray]:
    try:
        return np.broadcast_arrays(p, q)
    except ValueError:
        raise InvalidParameterError(
            names[1], f"shape {q.shape} does not broadcast against {names[0]}'s shape {p.shape}"
        ) from None


def _kl_bernoulli(p: np.ndarray, q: np.ndarray) -> np.ndarray | float:
    """:func:`kl_bernoulli` on checked, broadcastable float arrays."""
    P, Q = np.broadcast_arrays(np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64))
    out = np.array([_klk.kl_bernoulli(a, b) for a, b in zip(P.ravel(), Q.ravel())]).reshape(P.shape)
    # the kernel's p ln(p / q) overflows for a subnormal q although the divergence is
    # finite: recompute those entries from differences of logarithms
    redo = ~np.isfinite(out) & (Q > 0.0) & (Q < 1.0)
    if redo.any():
        a, c = P[redo], Q[redo]
        out[redo] = (_sp.xlogy(a, a) - _sp.xlogy(a, c)) + (_sp.xlogy(1.0 - a, 1.0 - a) - _sp.xlog1py(1.0 - a, -c))
    return float(out) if out.ndim == 0 else out


@validate_params(p=UNIT, q=UNIT)
def kl_bernoulli(p: Any, q: Any) -> np.ndarray | float:
    """Bernoulli KL divergence ``kl(Ber(p), Ber(q))``, elementwise (broadcasting).

    Parameters
    ----------
    p, q : float or array_like
        Means in ``[0, 1]``; the shapes must broadcast.

    Returns
    -------
    float or ndarray
        ``inf`` where ``q`` is 0 or 1 and ``p`` differs from it (the divergence is
        infinite there).

    Examples
    --------
    >>> round(float(kl_bernoulli(0.5, 0.25)), 6)
    0.143841
    >>> float(kl_bernoulli(0.3, 0.3)), float(kl_bernoulli(0.5, 1.0))
    (0.0, inf)
    """
    return _kl_bernoulli(*_broadcast(p, q))


@validate_params(p=REALS, q=REALS, sigma=POSITIVE)
def kl_gaussian(p: Any, q: Any, sigma: float = 1.0) -> np.ndarray | float:
    """Gaussian KL divergence ``(p - q)^2 / (2 sigma^2)`` (common variance ``sigma^2``).

    Parameters
    ----------
    p, q : float or array_like
        Finite means; the shapes must broadcast.
    sigma : float > 0

    Returns
    -------
    float or ndarray
        The divergence; ``inf`` where ``((p - q) / sigma)^2 / 2`` exceeds the float64
        range (a tiny ``sigma`` or a huge difference).

    Examples
    --------
    >>> kl_gaussian(0.0, 1.0, sigma=0.5)
    2.0
    """
    P, Q = _broadcast(p, q)
    with np.errstate(over="ignore"):
        z = (P - Q) / sigma
        out = 0.5 * z * z
    return float(out) if out.ndim == 0 else out


@validate_params(
    mean=REALS,
    n=Array(low=1.0),
    t=Integer(1, MAX_SAMPLES),
    c=Real(0, None),
    kl=Options("bernoulli", "gaussian"),
    sigma=POSITIVE,
)
def klucb_index(
    mean: Any, n: Any, t: int, *, c: float = 0.0, kl: str = "bernoulli", sigma: float = 1.0
) -> np.ndarray | float:
    """The KL-UCB upper confidence index, elementwise over ``mean`` and ``n``.

    Parameters
    ----------
    mean : array_like
        Empirical means (in ``[0, 1]`` for the Bernoulli KL).
    n : array_like
        Pull counts, ``>= 1`` (broadcast against ``mean``).
    t : int in [1, 10**12]
        Plays so far; the right-hand side is ``ln t + c ln ln t`` (the ``ln ln`` term
        once ``ln t > 1``).
    c : float >= 0
    kl : {"bernoulli", "gaussian"}
    sigma : float > 0
        Standard deviation of the Gaussian family.

    Returns
    -------
    float or ndarray
        ``q`` in ``[mean, 1]`` with ``n kl(mean, q) = ln t + c ln ln t`` within
        ``KL_TOLERANCE * rhs`` (Bernoulli; safeguarded Newton, see
        :func:`bandits.stochastic._kl_kernels.klucb_bernoulli_index`), or the closed form
        ``mean + sigma sqrt(2 rhs / n)`` (Gaussian).

    Examples
    --------
    >>> q = klucb_index(0.2, 10, 100)
    >>> bool(abs(10 * kl_bernoulli(0.2, q) - np.log(100)) < 1e-9)
    True
    """
    M = mean
    if kl == "bernoulli":
        bad = (M < 0) | (M > 1)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise InvalidParameterError(
                "mean", f"Bernoulli means must lie in [0, 1], found {float(M[idx])!r} at index {idx}"
            )
    M, N = _broadcast(M, n, ("mean", "n"))
    rhs = _klk.exploration_rhs(int(t), float(c))
    if not math.isfinite(rhs):
        raise InvalidParameterError("c", f"ln t + c ln ln t overflows float64 (c={c!r}, t={t})")
    if kl == "gaussian":
        with np.errstate(over="ignore"):
            out = M + sigma * np.sqrt(2.0 * rhs / N)
        if not np.all(np.isfinite(out)):
            raise InvalidParameterError("sigma", "the index mean + sigma sqrt(2 rhs / n) overflows float64")
    else:
        out = np.array([_klk.klucb_bernoulli_index(a, b, rhs) for a, b in zip(M.ravel(), N.ravel())]).reshape(M.shape)
    return float(out) if out.ndim == 0 else out
