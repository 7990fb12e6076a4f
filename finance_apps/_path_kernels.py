"""Numba kernel of the Heston path simulator (private; see :mod:`finance_apps.paths`)."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["heston_full_truncation"]


@njit(cache=True)
def heston_full_truncation(s, v, z, h, mu, kappa, theta, xi, rho):  # pragma: no cover - compiled
    """Advance ``(s, v)`` in place through ``z.shape[1]`` full-truncation Euler steps.

    ``z`` of shape (n, n_sub, 2) holds independent standard normals (drawn by the
    caller's generator); ``mu = r - q``. The log-price step is
    ``(mu - v+/2) h + sqrt(v+ h) z1`` and the variance step
    ``kappa (theta - v+) h + xi sqrt(v+ h) (rho z1 + sqrt(1 - rho^2) z2)``.
    """
    n, m = z.shape[0], z.shape[1]
    sq = np.sqrt(h)
    rc = np.sqrt(max(1.0 - rho * rho, 0.0))
    for i in range(n):
        logs = np.log(s[i])
        vi = v[i]
        for k in range(m):
            z1 = z[i, k, 0]
            z2 = rho * z1 + rc * z[i, k, 1]
            vp = vi if vi > 0.0 else 0.0
            sv = np.sqrt(vp) * sq
            logs += (mu - 0.5 * vp) * h + sv * z1
            vi += kappa * (theta - vp) * h + xi * sv * z2
        s[i] = np.exp(logs)
        v[i] = vi
