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

from bandits import _kernels as _k
from rlcore.validation import as_float_array

__all__ = ["KL_TOLERANCE", "kl_bernoulli", "kl_gaussian", "klucb_index"]

#: The solver stops once ``|n kl(p, q) - rhs| <= KL_TOLERANCE * rhs`` (or the
#: bracket around the root has shrunk to a few ulps, when ``q`` is that close to 1).
KL_TOLERANCE: float = _k.KL_TOL


def _unit(x: Any, name: str) -> np.ndarray:
    arr = as_float_array(x, name)
    bad = (arr < 0) | (arr > 1)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name}: Bernoulli means must lie in [0, 1], found {float(arr[idx])!r} at index {idx}")
    return arr


def kl_bernoulli(p: Any, q: Any) -> np.ndarray | float:
    """Bernoulli KL divergence ``kl(Ber(p), Ber(q))``, elementwise (broadcasting).

    Returns ``inf`` where ``q`` is 0 or 1 and ``p`` differs from it.

    Examples
    --------
    >>> round(float(kl_bernoulli(0.5, 0.25)), 6)
    0.143841
    >>> float(kl_bernoulli(0.3, 0.3)), float(kl_bernoulli(0.5, 1.0))
    (0.0, inf)
    """
    P, Q = np.broadcast_arrays(_unit(p, "p"), _unit(q, "q"))
    out = np.array([_k.kl_bernoulli(a, b) for a, b in zip(P.ravel(), Q.ravel())]).reshape(P.shape)
    return float(out) if out.ndim == 0 else out


def kl_gaussian(p: Any, q: Any, sigma: float = 1.0) -> np.ndarray | float:
    """Gaussian KL divergence ``(p - q)^2 / (2 sigma^2)`` (common variance ``sigma^2``).

    Examples
    --------
    >>> kl_gaussian(0.0, 1.0, sigma=0.5)
    2.0
    """
    s = float(sigma)
    if not (math.isfinite(s) and s > 0):
        raise ValueError(f"sigma: expected a positive standard deviation, got {sigma!r}")
    out = (as_float_array(p, "p") - as_float_array(q, "q")) ** 2 / (2 * s * s)
    return float(out) if out.ndim == 0 else out


def klucb_index(mean: Any, n: Any, t: int, *, c: float = 0.0, kl: str = "bernoulli",
                sigma: float = 1.0) -> np.ndarray | float:
    """The KL-UCB upper confidence index, elementwise over ``mean`` and ``n``.

    Parameters
    ----------
    mean : array_like
        Empirical means (in ``[0, 1]`` for the Bernoulli KL).
    n : array_like
        Pull counts, ``>= 1`` (broadcast against ``mean``).
    t : int >= 1
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
        :func:`bandits._kernels.klucb_bernoulli_index`), or the closed form
        ``mean + sigma sqrt(2 rhs / n)`` (Gaussian).

    Examples
    --------
    >>> q = klucb_index(0.2, 10, 100)
    >>> bool(abs(10 * kl_bernoulli(0.2, q) - np.log(100)) < 1e-9)
    True
    """
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or t < 1:
        raise ValueError(f"t: expected a positive integer number of plays, got {t!r}")
    if not (isinstance(c, (int, float, np.floating, np.integer)) and math.isfinite(c) and c >= 0):
        raise ValueError(f"c: expected a finite number >= 0, got {c!r}")
    if kl not in ("bernoulli", "gaussian"):
        raise ValueError(f"kl: expected 'bernoulli' or 'gaussian', got {kl!r}")
    M = _unit(mean, "mean") if kl == "bernoulli" else as_float_array(mean, "mean")
    N = as_float_array(n, "n")
    if (N < 1).any():
        raise ValueError("n: pull counts must be >= 1")
    M, N = np.broadcast_arrays(M, N)
    rhs = _k.exploration_rhs(int(t), float(c))
    if kl == "gaussian":
        s = float(sigma)
        if not (math.isfinite(s) and s > 0):
            raise ValueError(f"sigma: expected a positive standard deviation, got {sigma!r}")
        out = M + s * np.sqrt(2.0 * rhs / N)
    else:
        out = np.array([_k.klucb_bernoulli_index(a, b, rhs) for a, b in zip(M.ravel(), N.ravel())]).reshape(M.shape)
    return float(out) if out.ndim == 0 else out
