"""Numba kernels of the Bernoulli KL divergence and the KL-UCB index (private).

Shared by the index policies of the simulation engine (:mod:`bandits.stochastic._kernels`),
the public wrappers of :mod:`bandits.stochastic.kl` and the CascadeKL-UCB run loop
(:mod:`bandits.cascading._kernels`). Compiled with ``cache=True``; the wrappers validate,
these kernels trust their input.
"""

from __future__ import annotations

import math

from numba import njit

__all__: list[str] = []

KL_TOL = 1e-10  # relative tolerance: |n kl(p, q) - rhs| <= KL_TOL * rhs
KL_MAX_ITER = 100


# ------------------------------------------------------------------------ KL helpers
@njit(cache=True)
def kl_bernoulli(p, q):  # pragma: no cover - compiled (py_func is covered)
    """kl(Ber(p), Ber(q)) with 0 log 0 = 0; +inf where q is 0 or 1 and p differs."""
    out = 0.0
    if p > 0.0:
        if q <= 0.0:
            return math.inf
        out += p * math.log(p / q)
    if p < 1.0:
        if q >= 1.0:
            return math.inf
        out += (1.0 - p) * math.log((1.0 - p) / (1.0 - q))
    return out


@njit(cache=True)
def klucb_bernoulli_index(p, n, rhs):  # pragma: no cover - compiled
    """Largest ``q`` in ``[p, 1]`` with ``n kl(p, q) <= rhs``: safeguarded Newton.

    ``f(q) = n kl(p, q) - rhs`` is convex and increasing on ``[p, 1)``. Pinsker's
    inequality ``kl(p, q) >= 2 (q - p)^2`` puts the root below ``p + sqrt(rhs / 2n)``,
    where Newton's method starts and then decreases monotonically; a bracket
    ``[lo, hi]`` around the root is kept and a step that leaves it is replaced by
    bisection. Stops when ``|f(q)| <= KL_TOL * rhs`` or the bracket has shrunk to a few
    ulps; returns ``hi`` in the second case (never below the root).
    """
    if p >= 1.0:
        return 1.0
    if rhs <= 0.0:
        return p
    target = rhs / n
    lo = p
    hi = p + math.sqrt(0.5 * target)
    if hi >= 1.0:
        hi = 1.0
        q = 0.5 * (lo + hi)
    else:
        q = hi
    tol = KL_TOL * target
    for _ in range(KL_MAX_ITER):
        f = kl_bernoulli(p, q) - target
        if abs(f) <= tol:
            return q
        if f > 0.0:
            hi = q
        else:
            lo = q
        if hi - lo <= 4e-16 * hi:
            return hi
        deriv = (q - p) / (q * (1.0 - q)) if 0.0 < q < 1.0 else 0.0
        qn = q - f / deriv if deriv > 0.0 else 0.5 * (lo + hi)
        if not (lo < qn < hi):
            qn = 0.5 * (lo + hi)
        q = qn
    return hi


@njit(cache=True)
def exploration_rhs(plays, c):  # pragma: no cover - compiled
    """``log t + c log log t`` with ``t = plays``; the ``log log`` term once ``log t > 1``."""
    if plays <= 1:
        return 0.0
    lt = math.log(plays)
    if c != 0.0 and lt > 1.0:
        return lt + c * math.log(lt)
    return lt
