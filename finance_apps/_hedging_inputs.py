"""The inputs every hedging module shares: declared constraints and shape checks (private).

Prices are arrays of shape ``(n_paths, n_steps + 1, n_assets)`` (a 2-d array is one
asset), holdings ``(n_paths, n_steps, n_assets)``, claims ``(n_paths,)``; the helpers
below turn validated arrays into that shape and check the relations between them,
naming the argument that is wrong. Used by :mod:`finance_apps.pnl`,
:mod:`finance_apps.hedging_baselines`, :mod:`finance_apps.hedging_env` and
:mod:`finance_apps.deep.hedging`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from finance_apps._constraints import MAX_MATURITY, Dates
from rlcore.validation import Array, Integer, InvalidParameterError, Real

__all__ = [
    "ASSET",
    "CLAIM",
    "COST",
    "DATES",
    "DELTAS",
    "PRICES",
    "STRIKE",
    "as3",
    "check_asset",
    "check_claim",
    "check_costs",
    "check_dates",
    "check_holdings",
    "check_paths",
]

#: Price paths: (n_paths, n_steps + 1, n_assets), or (n_paths, n_steps + 1) for one asset; > 0.
PRICES = Array(ndim=(2, 3), low=0.0, closed="neither")
#: Holdings: (n_paths, n_steps, n_assets), or (n_paths, n_steps) for one asset.
DELTAS = Array(ndim=(2, 3))
#: Proportional cost per unit of traded value, a scalar or one per asset, in [0, 1].
COST = Array(ndim=(0, 1), low=0.0, high=1.0)
#: The claim paid at maturity, one value per path.
CLAIM = Array(ndim=1)
#: Price dates: strictly increasing, in [0, 1000] years.
DATES = Dates(start_at_zero=False, min_len=2, high=MAX_MATURITY)
#: A strike whose logarithm is taken: > 0.
STRIKE = Real(0.0, None, closed="neither")
#: The index of an asset (checked against ``n_assets`` by :func:`check_asset`).
ASSET = Integer(0, None)


def as3(arr: np.ndarray) -> np.ndarray:
    """A 2-d array of one asset as 3-d (a trailing axis of length 1); 3-d arrays unchanged."""
    return arr[:, :, None] if arr.ndim == 2 else arr


def check_paths(S: np.ndarray, name: str = "prices") -> np.ndarray:
    """Validated prices as (n_paths, n_dates, n_assets), with at least two dates."""
    S = as3(S)
    if S.shape[1] < 2:
        raise InvalidParameterError(name, f"expected at least two dates (axis 1), got shape {S.shape}")
    return S


def check_holdings(D: np.ndarray, S: np.ndarray, name: str = "deltas") -> np.ndarray:
    """Holdings of shape (n_paths, n_steps, n_assets) matching the prices ``S``."""
    D = as3(D)
    want = (S.shape[0], S.shape[1] - 1, S.shape[2])
    if D.shape != want:
        raise InvalidParameterError(name, f"expected shape {want} (n_paths, n_steps, n_assets), got {D.shape}")
    return D


def check_costs(c: Any, d: int, name: str = "cost") -> np.ndarray:
    """A validated cost (scalar or per asset) as an array of shape (d,)."""
    c = np.asarray(c, dtype=np.float64)
    c = np.broadcast_to(c, (d,)).astype(float) if c.ndim == 0 else c
    if c.shape != (d,):
        raise InvalidParameterError(name, f"expected a scalar or shape ({d},), got {c.shape}")
    return c


def check_claim(Z: np.ndarray, n: int, name: str = "payoff") -> np.ndarray:
    """A claim of shape (n,): one value per path."""
    if Z.shape != (n,):
        raise InvalidParameterError(name, f"expected shape ({n},) (one value per path), got {Z.shape}")
    return Z


def check_asset(asset: int, d: int) -> int:
    """An asset index in ``[0, d)``."""
    if asset >= d:
        raise InvalidParameterError("asset", f"expected an index in [0, {d}), got {asset}")
    return asset


def check_dates(t: np.ndarray, n_dates: int, name: str = "times") -> np.ndarray:
    """Dates of shape (n_dates,): one per price date."""
    if t.shape != (n_dates,):
        raise InvalidParameterError(name, f"expected shape ({n_dates},) (one per price date), got {t.shape}")
    return t
