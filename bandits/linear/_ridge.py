"""The recursive ridge estimate shared by the linear-bandit policies and the potential (private)."""

from __future__ import annotations

import math

import numpy as np

from rlcore.validation import Array, Real

__all__: list[str] = []


class _RidgeState:
    """``V^{-1}``, ``b = sum X x``, ``ln det V`` updated in O(d^2) per round."""

    def __init__(self, d: int, lam: float) -> None:
        self.Vinv = np.eye(d) / lam
        self.b = np.zeros(d)
        self.logdet = d * math.log(lam)

    def update(self, x: np.ndarray, reward: float) -> None:
        Vx = self.Vinv @ x
        w = float(x @ Vx)
        self.Vinv -= np.outer(Vx, Vx) / (1.0 + w)  # Sherman-Morrison
        self.b += reward * x
        self.logdet += math.log1p(w)  # matrix determinant lemma

    @property
    def theta(self) -> np.ndarray:
        return self.Vinv @ self.b


def frozen(X: np.ndarray) -> np.ndarray:
    """``X`` made read-only (the validated feature matrices are fresh copies)."""
    X.flags.writeable = False
    return X


#: A feature matrix (K, d) with finite entries.
FEATURES = Array(ndim=2)

#: Smallest ridge regulariser: below, ``V^{-1} = I / lam`` and its Sherman-Morrison
#: updates lose all precision in float64 (``1 / lam`` beyond ``1e8`` times the features'
#: scale).
LAM_FLOOR = 1e-8

#: The ridge regulariser ``lam`` in ``[1e-8, inf)``.
LAM = Real(LAM_FLOOR, None)
