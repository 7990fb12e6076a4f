"""Price paths simulated here, independently of the library's simulators (for the hedging tests)."""

from __future__ import annotations

import math

import numpy as np


def gbm(n_paths, n_steps, T, sigma, rng, s0=1.0):
    """Exact zero-drift GBM paths, shape (n_paths, n_steps + 1, 1), and the date grid."""
    dt = T / n_steps
    z = np.random.default_rng(rng).standard_normal((n_paths, n_steps))
    logs = np.cumsum(sigma * math.sqrt(dt) * z - 0.5 * sigma**2 * dt, axis=1)
    S = s0 * np.exp(np.concatenate([np.zeros((n_paths, 1)), logs], axis=1))
    return S[:, :, None], np.linspace(0.0, T, n_steps + 1)
