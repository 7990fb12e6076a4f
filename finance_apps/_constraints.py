"""The parameter constraints the finance modules share (private; see :mod:`rlcore.validation`).

Market parameters have a documented meaningful range, stated once here and in the
docstrings that use them:

* rates and dividend yields: continuously compounded, in ``[-1, 1]`` (-100 % to
  +100 % a year);
* volatilities: at most :data:`MAX_VOL` = 10 (1000 % a year); any positive value below
  that, however small, is a market (its ``sigma -> 0`` limit is computed stably);
* maturities and dates: at most :data:`MAX_MATURITY` = 1000 years (longer is perpetual
  for every rate in range; see :func:`finance_apps.perpetual_american_put`).

Budgets: :data:`MAX_PATHS` simulated paths, :data:`MAX_DATES` grid dates,
:data:`MAX_TREE_STEPS` / :data:`MAX_PRODUCT_STEPS` lattice steps, and at most
:data:`rlcore.validation.MAX_ENTRIES` floats in one simulated array (8 GB).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcore.validation import (
    Array,
    Constraint,
    InvalidParameterError,
    InvalidParameterTypeError,
    Real,
)

__all__ = [
    "DIVIDEND",
    "MATURITY",
    "MAX_DATES",
    "MAX_MATURITY",
    "MAX_PATHS",
    "MAX_PRODUCT_STEPS",
    "MAX_RATE",
    "MAX_TREE_STEPS",
    "MAX_UNITS",
    "MAX_VOL",
    "RATE",
    "SPOT",
    "STRIKE",
    "VOL",
    "Dates",
    "PathModel",
]

#: Largest accepted volatility (1000 % a year).
MAX_VOL: float = 10.0
#: Largest accepted absolute rate or dividend yield (continuously compounded, a year).
MAX_RATE: float = 1.0
#: Largest accepted maturity or date, in years.
MAX_MATURITY: float = 1000.0
#: Largest number of simulated paths in one call.
MAX_PATHS: int = 10**8
#: Largest number of steps of a date grid (``time_grid``, ``StoppingProblem.american``).
MAX_DATES: int = 10**6
#: Largest number of steps of the binomial tree (``O(n^2)`` time: about 10 s at the limit).
MAX_TREE_STEPS: int = 10**5
#: Largest number of steps of the two-asset lattice (``O(n^3)`` time: about 10 s at the limit).
MAX_PRODUCT_STEPS: int = 2000
#: Largest width (units per layer, features, assets) of a torch hedger.
MAX_UNITS: int = 1024

RATE = Real(-MAX_RATE, MAX_RATE)
DIVIDEND = Real(-MAX_RATE, MAX_RATE)
VOL = Real(0.0, MAX_VOL, closed="right")
MATURITY = Real(0.0, MAX_MATURITY, closed="right")
SPOT = Real(0.0, None, closed="neither")
STRIKE = Real(0.0, None)


class Dates(Array):
    """A strictly increasing 1-d array of dates in years, within ``[0, high]``.

    ``start_at_zero``: the first date must be 0 (a simulation grid: today first);
    ``min_len``: fewest dates; ``high``: the last accepted date (a number or a reference
    to another argument, as in :class:`rlcore.validation.Array`).
    """

    def __init__(self, *, start_at_zero: bool = True, min_len: int = 2, high: Any = MAX_MATURITY) -> None:
        super().__init__("float", ndim=1, low=0.0, high=high, min_size=min_len)
        self.start_at_zero = start_at_zero
        self.min_len = min_len

    def __str__(self) -> str:
        first = "0, " if self.start_at_zero else ""
        return f"a strictly increasing 1-d array of dates ({first}at least {self.min_len})"

    def check(self, value: Any, name: str, args: Any = None) -> np.ndarray:
        t = super().check(value, name, args)
        if self.start_at_zero and t[0] != 0.0:
            raise InvalidParameterError(name, f"the first date must be 0 (today), got {t[0]!r}")
        dt = np.diff(t)
        if np.any(dt <= 0):
            i = int(np.flatnonzero(dt <= 0)[0])
            raise InvalidParameterError(
                name,
                f"dates must be strictly increasing (sorted, no repeats), got {t[i]!r} then {t[i + 1]!r} "
                f"at index {i + 1}",
            )
        return t

    def _example(self, args: Any) -> np.ndarray | None:
        return np.array([0.0, 0.5, 1.0])[: max(self.min_len, 2) + 1] if self.start_at_zero else np.array([0.5, 1.0])

    def invalid_values(self, args: Any = None) -> list[tuple[Any, type[Exception]]]:
        out = super().invalid_values(args)
        out.append((np.array([0.0, 0.5, 0.5]) if self.start_at_zero else np.array([0.5, 0.5]), ValueError))
        out.append((np.array([0.0, 0.5, 0.25]) if self.start_at_zero else np.array([0.5, 0.25]), ValueError))
        if self.start_at_zero:
            out.append((np.array([0.25, 0.5]), ValueError))
        return out


class PathModel(Constraint):
    """A path model: ``times``, ``n_assets`` and the given methods (default ``simulate``)."""

    def __init__(self, *methods: str) -> None:
        self.methods = methods or ("simulate",)

    def accepts_kind(self, value: Any) -> bool:
        return (
            hasattr(value, "times")
            and hasattr(value, "n_assets")
            and all(callable(getattr(value, m, None)) for m in self.methods)
        )

    def check(self, value: Any, name: str, args: Any = None) -> Any:
        if not self.accepts_kind(value):
            raise InvalidParameterTypeError(name, f"expected {self}, got {type(value).__name__}")
        return value

    def __str__(self) -> str:
        meths = ", ".join(f"{m}()" for m in self.methods)
        return f"a path model with times, n_assets and {meths} (e.g. GeometricBrownianMotion)"

    def invalid_values(self, args: Any = None) -> list[tuple[Any, type[Exception]]]:
        return [(object(), TypeError), (1.5, TypeError), (None, TypeError), ("model", TypeError)]
