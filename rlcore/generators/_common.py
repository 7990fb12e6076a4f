"""What every generator shares (private): the default discount, size limits, the
``gamma``/``horizon`` criterion and the check on the number of stored probabilities."""

from __future__ import annotations

from typing import Any

from rlcore.validation import Discount, Integer, InvalidParameterError, Real, Sequence_

#: Discount used by every generator when neither ``gamma`` nor ``horizon`` is given.
DEFAULT_GAMMA: float = 0.95

#: Upper limit of every size argument (states, actions, grid sides).
MAX_SIZE: int = 10**9

#: Most transition probabilities a generator stores (dense: ``S * A * S`` per step;
#: sparse: ``S * A * b``): 10**9 float64 entries are 8 GB.
MAX_TRANSITION_ENTRIES: int = 10**9

#: Longest horizon (the limit of :class:`~rlcore.FiniteMDP`).
MAX_HORIZON: int = 10**6


# ---------------------------------------------------------------------- validation
_GAMMA = Discount() | None
_HORIZON = Integer(1, MAX_HORIZON) | None
_PROB = Real(0, 1)
_REWARD = Real()
_SIZE = Integer(1, MAX_SIZE)
_CELL = Sequence_(Integer(), length=2)


def _criterion(gamma: float | None, horizon: int | None) -> dict[str, Any]:
    """Keyword arguments ``gamma=...`` or ``horizon=...`` for :class:`FiniteMDP`."""
    if gamma is not None and horizon is not None:
        raise InvalidParameterError(
            "horizon",
            "give at most one of gamma, horizon (a discount for the discounted criterion, or a "
            f"horizon for finite horizon), got gamma={gamma!r}, horizon={horizon!r}",
        )
    if horizon is not None:
        return {"horizon": horizon}
    return {"gamma": DEFAULT_GAMMA if gamma is None else gamma}


def _check_entries(entries: int, param: str, what: str) -> None:
    """Refuse a model that would store more than :data:`MAX_TRANSITION_ENTRIES` probabilities."""
    if entries > MAX_TRANSITION_ENTRIES:
        raise InvalidParameterError(
            param,
            f"{what} would store {entries} transition probabilities, more than the limit {MAX_TRANSITION_ENTRIES}",
        )
