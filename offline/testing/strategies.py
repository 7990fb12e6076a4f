"""Hypothesis strategies for the offline suite: small MDPs with rewards in [0, 1]."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from rlcore.mdp import FiniteMDP
from rlcore.testing import finite_mdps
from rlcore.validation import Bool, Integer, Real, validate_params

__all__ = ["offline_mdps"]


def _unit_rewards(mdp: FiniteMDP, uniform_initial: bool) -> FiniteMDP:
    """The same dynamics with rewards mapped from [-1, 1] onto [0, 1] (the offline learners' reward range)."""
    R = (np.asarray(mdp.R, dtype=np.float64) + 1.0) / 2.0
    initial = None if uniform_initial else np.asarray(mdp.initial)
    return FiniteMDP(np.asarray(mdp.P), R, gamma=mdp.gamma, horizon=mdp.horizon, initial=initial)


@validate_params(
    discounted=Bool(),
    max_states=Integer(1, 6),
    max_actions=Integer(1, 4),
    max_gamma=Real(0, 0.99),
    max_horizon=Integer(1, 5),
    uniform_initial=Bool(),
)
def offline_mdps(
    *,
    discounted: bool,
    max_states: int = 4,
    max_actions: int = 3,
    max_gamma: float = 0.5,
    max_horizon: int = 3,
    uniform_initial: bool = False,
) -> SearchStrategy[FiniteMDP]:
    """Strategy for small dense MDPs with rewards in ``[0, 1]``, the instances of :mod:`offline.testing`.

    The MDPs of :func:`rlcore.testing.finite_mdps` (dense, no terminal states; finite
    horizon: stationary or time-dependent) with their rewards mapped from ``[-1, 1]``
    onto ``[0, 1]`` by ``r -> (r + 1) / 2``, the range the pessimistic learners
    assume (``r_max = 1``). Print a drawn MDP with
    :func:`rlcore.testing.constructor_call` to paste it back.

    Parameters
    ----------
    discounted : bool
        True: ``gamma`` in ``[0, max_gamma]``; False: horizon in ``[1, max_horizon]``.
    max_states : int in [1, 6]
    max_actions : int in [1, 4]
    max_gamma : float in [0, 0.99]
    max_horizon : int in [1, 5]
    uniform_initial : bool
        Start from the uniform distribution (every state at the first step) instead of
        the drawn one.

    Returns
    -------
    SearchStrategy[FiniteMDP]

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(offline_mdps(discounted=True))
    ... def test_unit_rewards(mdp):
    ...     assert 0.0 <= mdp.R.min() and mdp.R.max() <= 1.0 and mdp.gamma <= 0.5
    >>> test_unit_rewards()  # doctest: +SKIP
    """
    base = finite_mdps(
        n_states=st.integers(1, max_states),
        n_actions=st.integers(1, max_actions),
        discounted=discounted,
        sparse=False,
        gamma=st.floats(0.0, max_gamma),
        horizon=st.integers(1, max_horizon),
        with_terminal=False,
    )

    def convert(mdp: Any) -> FiniteMDP:
        return _unit_rewards(mdp, uniform_initial)

    return base.map(convert)
