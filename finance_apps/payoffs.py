"""Exercise payoffs of options on one or several assets.

A payoff is any callable ``payoff(prices) -> values`` mapping prices of shape
``(..., d)`` (the last axis is the asset) to payoffs of shape ``(...)``. The built-in
ones are small frozen dataclasses, so that the lattice pricers can recognise them and
use a compiled kernel:

* :class:`Put`, :class:`Call` on one asset: ``(K - S)^+``, ``(S - K)^+``;
* :class:`MaxCall`: the call on the maximum of ``d`` assets, ``(max_i S_i - K)^+``;
* :class:`BasketPut`, :class:`BasketCall` on the arithmetic basket
  ``B = sum_i w_i S_i``: ``(K - B)^+``, ``(B - K)^+``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

import numpy as np

from finance_apps._constraints import STRIKE
from rlcore.validation import Array, Integer, InvalidParameterError, as_float_array, validate_params

__all__ = ["BasketCall", "BasketPut", "Call", "MaxCall", "Payoff", "Put"]

#: What the stopping problems accept as a payoff: ``payoff(prices (..., d)) -> (...)``.
Payoff = Callable[[np.ndarray], np.ndarray]

#: Weights of a basket: a non-empty 1-d array of finite numbers >= 0.
_WEIGHTS = Array(ndim=1, low=0.0)
#: Assets of a max-call (the payoff is evaluated on arrays with a last axis of this length).
_N_ASSETS = Integer(1, 10**4)


def _prices(prices: Any, n_assets: int | None) -> np.ndarray:
    arr = as_float_array(prices, "prices")
    if arr.ndim == 0:
        raise InvalidParameterError("prices", "expected an array with a last axis of assets, got a scalar")
    if n_assets is not None and arr.shape[-1] != n_assets:
        raise InvalidParameterError("prices", f"expected a last axis of {n_assets} assets, got shape {arr.shape}")
    if np.any(arr < 0):
        raise InvalidParameterError("prices", "entries must be >= 0")
    return arr


@validate_params(strike=STRIKE)
@dataclass(frozen=True)
class Put:
    """Put on one asset, ``(K - S)^+``.

    Parameters
    ----------
    strike : float >= 0

    Examples
    --------
    >>> Put(100.0)([[90.0], [110.0]])
    array([10.,  0.])
    """

    strike: float
    n_assets: int = field(default=1, init=False)

    def __call__(self, prices: Any) -> np.ndarray:
        """Payoff of prices of shape (..., 1), shape (...)."""
        s = _prices(prices, 1)[..., 0]
        return np.maximum(self.strike - s, 0.0)


@validate_params(strike=STRIKE)
@dataclass(frozen=True)
class Call:
    """Call on one asset, ``(S - K)^+``.

    Parameters
    ----------
    strike : float >= 0

    Examples
    --------
    >>> Call(100.0)([[90.0], [110.0]])
    array([ 0., 10.])
    """

    strike: float
    n_assets: int = field(default=1, init=False)

    def __call__(self, prices: Any) -> np.ndarray:
        """Payoff of prices of shape (..., 1), shape (...)."""
        s = _prices(prices, 1)[..., 0]
        return np.maximum(s - self.strike, 0.0)


@validate_params(strike=STRIKE, n_assets=_N_ASSETS)
@dataclass(frozen=True)
class MaxCall:
    """Call on the maximum of ``d`` assets, ``(max_i S_i - K)^+``.

    Parameters
    ----------
    strike : float >= 0
    n_assets : int in [1, 10**4]

    Examples
    --------
    >>> MaxCall(100.0, 2)([[90.0, 120.0], [80.0, 95.0]])
    array([20.,  0.])
    """

    strike: float
    n_assets: int = 2

    def __call__(self, prices: Any) -> np.ndarray:
        """Payoff of prices of shape (..., d), shape (...)."""
        s = _prices(prices, self.n_assets)
        return np.maximum(s.max(axis=-1) - self.strike, 0.0)


@dataclass(frozen=True)
class _Basket:
    strike: float
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        # the constructor has validated the weights (a float64 array): store them as a tuple
        object.__setattr__(self, "weights", tuple(float(x) for x in np.asarray(self.weights).reshape(-1)))

    @property
    def n_assets(self) -> int:
        """Number of assets ``d`` (the length of ``weights``)."""
        return len(self.weights)

    def basket(self, prices: Any) -> np.ndarray:
        """The arithmetic basket ``sum_i w_i S_i`` of prices of shape (..., d)."""
        s = _prices(prices, self.n_assets)
        return np.asarray(s @ np.asarray(self.weights), dtype=np.float64)


@validate_params(strike=STRIKE, weights=_WEIGHTS)
@dataclass(frozen=True)
class BasketPut(_Basket):
    """Put on the arithmetic basket ``B = sum_i w_i S_i``: ``(K - B)^+``.

    Parameters
    ----------
    strike : float >= 0
    weights : sequence of float >= 0, length d >= 1

    Examples
    --------
    >>> BasketPut(100.0, (0.5, 0.5))([[90.0, 100.0]])
    array([5.])
    """

    def __call__(self, prices: Any) -> np.ndarray:
        """Payoff of prices of shape (..., d), shape (...)."""
        return np.maximum(self.strike - self.basket(prices), 0.0)


@validate_params(strike=STRIKE, weights=_WEIGHTS)
@dataclass(frozen=True)
class BasketCall(_Basket):
    """Call on the arithmetic basket ``B = sum_i w_i S_i``: ``(B - K)^+``.

    Parameters
    ----------
    strike : float >= 0
    weights : sequence of float >= 0, length d >= 1

    Examples
    --------
    >>> BasketCall(100.0, (0.5, 0.5))([[110.0, 100.0]])
    array([5.])
    """

    def __call__(self, prices: Any) -> np.ndarray:
        """Payoff of prices of shape (..., d), shape (...)."""
        return np.maximum(self.basket(prices) - self.strike, 0.0)
