"""Hypothesis strategies for bandit instances: the arm means of a [0, 1]-bounded bandit."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from rlcore.validation import InvalidParameterError, Real, validate_params
from rlcore.testing._draw import MAX_ARMS, _draw_int, _int_arg, _size

__all__ = ["bandit_means"]


@validate_params(n_arms=_size(1, MAX_ARMS), min_gap=Real(0, 1), low=Real(0, 1), high=Real(0, 1))
def bandit_means(
    n_arms: int | SearchStrategy[int] = st.integers(2, 8),
    *,
    min_gap: float = 0.0,
    low: float = 0.0,
    high: float = 1.0,
) -> SearchStrategy[np.ndarray]:
    """Strategy for the arm means of a Bernoulli (or any [0, 1]-bounded) bandit instance.

    Means are drawn on a grid of step 1/64 in ``[low, high]`` (so ties and exact gaps
    occur, as shrinking examples like them), with the best arm ahead of every other
    arm by at least ``min_gap`` (``min_gap = 0`` allows ties for the best arm).

    Parameters
    ----------
    n_arms : int or strategy of int
        Number of arms ``K`` in ``[1, 10**4]``; default 2 to 8.
    min_gap : float
        Smallest gap ``max_a mu_a - mu_b`` to every other arm ``b``, in ``[0, high - low]``.
    low, high : float
        Range of the means, ``0 <= low <= high <= 1``.

    Returns
    -------
    SearchStrategy of ndarray of float64, shape (K,)

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, derandomize=True)
    ... @given(bandit_means(min_gap=0.1))
    ... def check(mu):
    ...     best = mu.max()
    ...     assert all(best - m >= 0.1 - 1e-12 for m in mu if m != best)
    >>> check()
    """
    K = _int_arg(n_arms)
    lo_v, hi_v, gap = low, high, min_gap
    if not lo_v <= hi_v:
        raise InvalidParameterError("high", f"expected 0 <= low <= high <= 1, got low={low!r}, high={high!r}")
    if not gap <= hi_v - lo_v:
        raise InvalidParameterError(
            "min_gap", f"expected a gap in [0, high - low] = [0, {hi_v - lo_v:g}], got {min_gap!r}"
        )
    grid = np.arange(0, 65) / 64.0
    grid = grid[(grid >= lo_v) & (grid <= hi_v)]

    @st.composite
    def means(draw: Any) -> np.ndarray:
        k = _draw_int(draw, K, "n_arms", 1, MAX_ARMS)
        best = draw(st.sampled_from(grid[grid >= lo_v + gap].tolist()))
        others = grid[grid <= best - gap + 1e-12]
        rest = [draw(st.sampled_from(others.tolist())) for _ in range(k - 1)]
        pos = draw(st.integers(0, k - 1))
        return np.array(rest[:pos] + [best] + rest[pos:], dtype=np.float64)

    return means()
