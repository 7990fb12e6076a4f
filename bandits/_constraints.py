"""The bandit package's limits and the one constraint :mod:`rlcore.validation` lacks (private).

Every public function of :mod:`bandits` declares its parameters with
:func:`rlcore.validation.validate_params`; this module holds what they share:

* the documented upper limits of sizes and budgets (:data:`MAX_HORIZON`,
  :data:`MAX_RUNS`, :data:`MAX_CELLS`, ...);
* :class:`ReluLayers`, the ``[(W, b), ...]`` weights of a ReLU network;
* the shared declarations (:data:`HORIZONS`, :data:`DISCOUNT`, :data:`DELTA`, ...), and
  :func:`horizons` / :func:`like_horizon`, which every closed-form bound uses to take a
  horizon or an array of horizons and answer in kind.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcore.validation import (
    MAX_ITERATIONS,
    Array,
    Constraint,
    Discount,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    Real,
    as_float_array,
)

__all__: list[str] = []

#: Rounds of one simulated run (:func:`bandits.simulate`, :func:`bandits.simulate_cascade`).
MAX_HORIZON: int = MAX_ITERATIONS

#: Independent runs of one simulation call (each gets its own spawned generator).
MAX_RUNS: int = 10**6

#: Entries of one result array (``n_runs * horizon``; 0.8 GB of float64): a simulation
#: keeps two or three such arrays, so larger requests are refused before allocating.
MAX_CELLS: int = 10**8

#: Episodes of the cascading-RL learners (their regret array has one float per episode).
MAX_EPISODES: int = 10**8

#: Ordered lists enumerated by :func:`bandits.enumerate_lists` and the enumerated
#: baselines (one row of ``K`` int64 per list).
MAX_LISTS: int = 10**6

#: Arms of a restless or coupled problem (their model arrays grow with the count).
MAX_ARMS: int = 10**4

#: Binary decision variables enumerated by brute force (``2**D`` candidate actions).
MAX_ENUMERATED_VARS: int = 24

#: Largest horizon of a closed-form bound (they are evaluated in float64, so the
#: horizon must be a float64 number; ``10**300`` lets asymptotics be checked).
MAX_BOUND_HORIZON: int = 10**300

#: Horizon(s) of a closed-form bound: an int in [1, 10**300], or an array of int64
#: horizons >= 1.
HORIZONS = Integer(1, MAX_BOUND_HORIZON) | Array("int", low=1)


def horizons(horizon: Any) -> tuple[np.ndarray, bool]:
    """A checked horizon (an int or an int array, see :data:`HORIZONS`) as float64, and whether it was a scalar."""
    h = np.asarray(horizon, dtype=np.float64)
    return h, h.ndim == 0


def like_horizon(x: Any, scalar: bool) -> Any:
    """A bound evaluated at :func:`horizons`' array, returned as a float for a scalar horizon."""
    x = np.asarray(x, dtype=np.float64)
    return float(x) if scalar else x


#: A discount factor in [0, 1).
DISCOUNT = Discount()

#: A confidence level in (0, 1).
DELTA = Real(0, 1, closed="neither")

#: A strictly positive finite number (a scale, a temperature, a Beta parameter).
POSITIVE = Real(0, None, closed="neither")

#: A probability in [0, 1].
PROBABILITY = Real(0, 1)


class ReluLayers(Constraint):
    """The weights ``[(W_1, b_1), ..., (W_L, b_L)]`` of a ReLU network with a scalar output.

    ``W_k`` has shape ``(out_k, in_k)`` with ``in_{k+1} = out_k``, ``b_k`` shape
    ``(out_k,)``, every entry finite, and ``out_L = 1``; at most ``max_layers`` layers of
    at most ``max_width`` units. Returns a list of float64 ``(W, b)`` tuples.
    """

    def __init__(self, *, max_layers: int = 64, max_width: int = 10**5) -> None:
        self.max_layers = max_layers
        self.max_width = max_width

    def accepts_kind(self, value: Any) -> bool:
        return isinstance(value, (list, tuple))

    def check(self, value: Any, name: str, args: dict | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        if not isinstance(value, (list, tuple)):
            raise InvalidParameterTypeError(name, f"expected a list of (W, b) layers, got {type(value).__name__}")
        if not 1 <= len(value) <= self.max_layers:
            raise InvalidParameterError(name, f"expected 1 to {self.max_layers} layers, got {len(value)}")
        out: list[tuple[np.ndarray, np.ndarray]] = []
        prev = None
        for k, layer in enumerate(value):
            label = f"{name}[{k}]"
            if not isinstance(layer, (list, tuple)) or len(layer) != 2:
                raise InvalidParameterTypeError(label, f"expected a pair (W, b), got {type(layer).__name__}")
            W = as_float_array(layer[0], f"{label}.W", ndim=2)
            b = as_float_array(layer[1], f"{label}.b", ndim=1)
            if W.size == 0 or max(W.shape) > self.max_width:
                raise InvalidParameterError(
                    f"{label}.W",
                    f"expected a non-empty matrix of at most {self.max_width} rows and columns, got shape {W.shape}",
                )
            if b.shape != (W.shape[0],):
                raise InvalidParameterError(f"{label}.b", f"expected shape ({W.shape[0]},) to match W, got {b.shape}")
            if prev is not None and W.shape[1] != prev:
                raise InvalidParameterError(
                    f"{label}.W", f"expected {prev} input columns (the previous layer's outputs), got {W.shape[1]}"
                )
            prev = W.shape[0]
            out.append((W, b))
        if prev != 1:
            raise InvalidParameterError(name, f"the last layer must have one output (a scalar Q), got {prev}")
        return out

    def __str__(self) -> str:
        return "a list of (W, b) ReLU layers with a scalar output"

    def invalid_values(self, args: dict | None = None) -> list[tuple[Any, type[Exception]]]:
        W = np.ones((1, 2))
        return [
            ("x", TypeError),
            (None, TypeError),
            (1.5, TypeError),
            ([], ValueError),
            ([(W, np.zeros(1), 0)], TypeError),  # not a pair
            ([(np.array([[np.nan, 1.0]]), np.zeros(1))], ValueError),
            ([(np.array([[np.inf, 1.0]]), np.zeros(1))], ValueError),
            ([(W, np.zeros(2))], ValueError),  # b does not match W
            ([(np.ones((2, 2)), np.zeros(2))], ValueError),  # two outputs
            ([(np.ones((3, 2)), np.zeros(3)), (np.ones((1, 2)), np.zeros(1))], ValueError),  # 3 -> 2 mismatch
            ([(W.astype(str), np.zeros(1))], TypeError),
        ]
