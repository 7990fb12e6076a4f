"""Drawing helpers shared by the strategies of :mod:`rlcore.testing` (private).

Every size knob of a public strategy takes a plain value or a strategy; the helpers here
turn either into a strategy and check what a user's strategy draws. The building block
of every probability row (:func:`_stochastic_rows`), the one-defect surgery that the
``corrupted_*`` strategies apply to arrays, and the ``kinds`` argument of the
corruption catalogues live here too.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from hypothesis import note
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp
from hypothesis.strategies import SearchStrategy

from rlcore.validation import Bool, Constraint, Instance, Integer, Options, Sequence_

#: Largest integer weight used to build probability rows (rows are ``w / w.sum()``).
_MAX_WEIGHT = 4
_SPARSE_FORMATS: tuple[Callable[[np.ndarray], Any], ...] = (sp.csr_array, sp.csr_matrix)

# ---------------------------------------------------------------------------------
# argument handling: every knob takes a plain value or a strategy
# ---------------------------------------------------------------------------------
#: Upper limits of the size knobs (plain values are checked when the strategy is built,
#: drawn ones at draw): generous for property tests, small enough that no argument can
#: make a draw allocate absurd memory.
MAX_STATES: int = 1000
MAX_ACTIONS: int = 100
MAX_HORIZON: int = 1000
MAX_EPISODES: int = 10**4
MAX_EPISODE_LENGTH: int = 10**4
MAX_OBS_DIM: int = 1000
MAX_ARMS: int = 10**4

_STRATEGY = Instance(SearchStrategy, what="a hypothesis strategy")
_TRI_STATE = Bool() | None  # None means "both"


def _size(low: int, high: int) -> Constraint:
    """An int knob: a plain int in ``[low, high]`` or a strategy of them."""
    return Integer(low, high) | _STRATEGY


def _int_arg(value: Any) -> SearchStrategy[int]:
    """A strategy for a (checked) integer knob."""
    return value if isinstance(value, SearchStrategy) else st.just(value)


def _float_arg(value: Any) -> SearchStrategy[float]:
    return value if isinstance(value, SearchStrategy) else st.just(value)


def _bool_arg(value: bool | None) -> SearchStrategy[bool]:
    """``None`` means "both"; a bool fixes the choice."""
    return st.booleans() if value is None else st.just(value)


def _draw_int(draw: Callable[..., Any], strategy: SearchStrategy[int], name: str, minimum: int, maximum: int) -> int:
    value = draw(strategy)
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or not minimum <= value <= maximum
    ):
        raise InvalidArgument(f"{name}: the strategy drew {value!r}, expected an integer in [{minimum}, {maximum}]")
    return int(value)


def _note(text: str) -> None:
    try:
        note(text)
    except InvalidArgument:  # drawn outside a test (e.g. ``.example()``)
        pass


# ---------------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------------
def _stochastic_rows(
    draw: Callable[..., Any], lead_shape: tuple[int, ...], n: int, *, max_support: int | None = None
) -> np.ndarray:
    """Probability rows of length ``n`` over ``lead_shape``, exactly normalised.

    Non-negative integer weights (zeros included) are divided by their row sum, so
    every row sums to 1 up to rounding (``|sum - 1| <= n * 2**-52``). Some rows are
    forced deterministic (one-hot); an all-zero row becomes one-hot too, so no row is
    ever empty. With ``max_support`` a row keeps only its ``max_support`` largest
    weights (ties to the lower index). Shrinks towards one-hot rows on entry 0.
    """
    shape = tuple(lead_shape) + (n,)
    w = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, _MAX_WEIGHT)))
    det = draw(hnp.arrays(np.bool_, lead_shape))
    succ = draw(hnp.arrays(np.int64, lead_shape, elements=st.integers(0, n - 1)))
    onehot = (np.arange(n) == np.asarray(succ)[..., None]).astype(np.int64)
    force = np.asarray(det) | (w.sum(axis=-1) == 0)
    w = np.where(force[..., None], onehot, w)
    if max_support is not None and max_support < n:
        rank = np.argsort(np.argsort(-w, axis=-1, kind="stable"), axis=-1, kind="stable")
        w = np.where(rank < max_support, w, 0)
    return w / w.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------------------------
# one defect in an array of probability rows (for the corruption strategies)
# ---------------------------------------------------------------------------------
_Draw = Callable[..., Any]
_Case = tuple[dict[str, Any], str, type[Exception]]


def _rows(P: np.ndarray) -> np.ndarray:
    """A (n_rows, n) view of an array whose last axis holds probability rows."""
    return P.reshape(-1, P.shape[-1])


def _pick(draw: _Draw, n: int) -> int:
    return draw(st.integers(0, n - 1))


def _set_entry(draw: _Draw, P: np.ndarray, values: list[float]) -> np.ndarray:
    out = np.array(P, dtype=np.float64, copy=True)
    flat = out.reshape(-1)
    flat[_pick(draw, flat.size)] = draw(st.sampled_from(values))
    return out


def _negative_entry(draw: _Draw, P: np.ndarray) -> np.ndarray:
    """One negative probability; the row still sums to 1 when it has two entries or more."""
    out = np.array(P, dtype=np.float64, copy=True)
    rows = _rows(out)
    i, n = _pick(draw, rows.shape[0]), rows.shape[1]
    j = _pick(draw, n)
    eps = draw(st.sampled_from([1e-12, 1e-3, 0.5]))
    old = rows[i, j]
    rows[i, j] = -eps
    if n > 1:
        rows[i, (j + 1) % n] += old + eps
    return out


def _row_sum_off(draw: _Draw, P: np.ndarray, sign: float) -> np.ndarray:
    """One row summing to ``1 + sign * delta``, delta >= 1e-6 (>> the 1e-8 tolerance)."""
    out = np.array(P, dtype=np.float64, copy=True)
    rows = _rows(out)
    i = _pick(draw, rows.shape[0])
    delta = draw(st.sampled_from([1e-6, 1e-4, 0.1]))  # the largest entry is >= 1/n >= 0.16
    rows[i, int(np.argmax(rows[i]))] += sign * delta
    return out


def _zero_row(draw: _Draw, P: np.ndarray) -> np.ndarray:
    out = np.array(P, dtype=np.float64, copy=True)
    rows = _rows(out)
    rows[_pick(draw, rows.shape[0])] = 0.0
    return out


def _kinds(catalogue: tuple[str, ...]) -> Constraint:
    """``kinds``: one name from ``catalogue``, a non-empty list of them, or None (all)."""
    name = Options(*catalogue)
    return name | Sequence_(name, min_len=1) | None


def _chosen(kinds: str | tuple[str, ...] | list[str] | None, catalogue: tuple[str, ...]) -> tuple[str, ...]:
    if kinds is None:
        return catalogue
    return (kinds,) if isinstance(kinds, str) else tuple(kinds)
