"""Numba kernels of the lattice pricers (private; see :mod:`finance_apps.lattice`)."""

from __future__ import annotations

from numba import njit

__all__ = ["binomial_backward", "product_backward"]


@njit(cache=True)
def binomial_backward(pay, n, p, disc, exercise, lo, hi, V, top, bottom):  # pragma: no cover - compiled
    """Backward induction on a recombining binomial tree with ``d = 1/u``, steps ``top..bottom``.

    ``pay[m + n]`` is the payoff at the node ``S0 u^m`` (``-n <= m <= n``); the node
    ``j`` of step ``i`` is ``m = 2j - i``. ``exercise[i]`` says whether step ``i`` is an
    exercise date. ``V`` (n + 1,) holds the values of step ``top + 1`` (for ``top = n``:
    the payoffs ``pay[2j]`` at an exercise date, else 0) and receives those of step
    ``bottom``; ``lo[i]``/``hi[i]`` receive the lowest/highest ``m`` at which exercise
    is optimal (``n + 1`` when nowhere). Running ``n..0`` at once or in consecutive
    ranges performs the same operations. Returns ``V[0]`` (the price once ``bottom = 0``).
    """
    q = 1.0 - p
    for i in range(top, bottom - 1, -1):
        if i < n:
            for j in range(i + 1):
                V[j] = disc * (p * V[j + 1] + q * V[j])
        lo[i] = n + 1
        hi[i] = n + 1
        if exercise[i]:
            for j in range(i + 1):
                h = pay[2 * j - i + n]
                if h > 0.0 and h >= V[j]:
                    V[j] = h
                    m = 2 * j - i
                    if lo[i] == n + 1:
                        lo[i] = m
                    hi[i] = m
    return V[0]


@njit(cache=True)
def product_backward(pay, n, puu, pud, pdu, pdd, disc, exercise, V, top, bottom):  # pragma: no cover - compiled
    """Backward induction on the two-asset product lattice (Boyle-Evnine-Gibbs), steps ``top..bottom``.

    ``pay[m1 + n, m2 + n]`` is the payoff at ``(S1 u1^m1, S2 u2^m2)``; node ``(j1, j2)``
    of step ``i`` is ``m_k = 2 j_k - i``. ``V`` (n + 1, n + 1) holds the values of step
    ``top + 1`` (for ``top = n - 1``: the payoffs ``pay[2a, 2b]`` at an exercise date,
    else 0) and receives those of step ``bottom``. Ascending in-place updates are safe:
    node ``(j1, j2)`` reads only indices ``>=`` its own. Returns ``V[0, 0]``.
    """
    for i in range(top, bottom - 1, -1):
        for a in range(i + 1):
            for b in range(i + 1):
                c = disc * (puu * V[a + 1, b + 1] + pud * V[a + 1, b] + pdu * V[a, b + 1] + pdd * V[a, b])
                if exercise[i]:
                    h = pay[2 * a - i + n, 2 * b - i + n]
                    if h > c:
                        c = h
                V[a, b] = c
    return V[0, 0]
