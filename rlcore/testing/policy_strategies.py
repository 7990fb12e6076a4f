"""Hypothesis strategies for tabular policies and value functions of a finite MDP."""

from __future__ import annotations

from typing import Any, cast
from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp
from hypothesis.strategies import SearchStrategy

from rlcore.mdp import FiniteMDP
from rlcore.validation import MDP, InvalidParameterError, Real, validate_params
from rlcore.testing._draw import _stochastic_rows, _STRATEGY, _TRI_STATE
from rlcore.testing.mdp_strategies import finite_mdps

__all__ = ["mdps_and_policies", "policies", "value_functions"]


def _policy_shape(mdp: FiniteMDP, time_dependent: bool) -> tuple[int, ...]:
    # time-dependent policies only exist for finite-horizon MDPs
    return ((cast(int, mdp.horizon),) if time_dependent else ()) + (mdp.n_states,)


@st.composite
def _policies(
    draw: Callable[..., Any], mdp: FiniteMDP, deterministic: bool | None, time_dependent: bool | None
) -> np.ndarray:
    if time_dependent is True and mdp.horizon is None:
        raise InvalidArgument(
            "time_dependent: a time-dependent policy needs a finite-horizon MDP, got a discounted one"
        )
    td = (draw(st.booleans()) if time_dependent is None else time_dependent) and mdp.horizon is not None
    det = draw(st.booleans()) if deterministic is None else deterministic
    lead = _policy_shape(mdp, td)
    if det:
        return draw(hnp.arrays(np.int64, lead, elements=st.integers(0, mdp.n_actions - 1)))
    return _stochastic_rows(draw, lead, mdp.n_actions)


@validate_params(mdp=MDP(), deterministic=_TRI_STATE, time_dependent=_TRI_STATE)
def policies(
    mdp: FiniteMDP, *, deterministic: bool | None = None, time_dependent: bool | None = None
) -> SearchStrategy[np.ndarray]:
    """Strategy for valid tabular policies of ``mdp``.

    Parameters
    ----------
    mdp : FiniteMDP
    deterministic : bool or None
        True: ``int64`` actions of shape (S,) (or (H, S)); False: row-stochastic
        ``float64`` of shape (S, A) (or (H, S, A)) with zeros and one-hot rows among
        them; None (default): both.
    time_dependent : bool or None
        True: a leading axis of length H (finite-horizon MDPs only; an error for a
        discounted MDP); False: stationary; None (default): both where the MDP has a
        horizon, stationary otherwise.

    Returns
    -------
    SearchStrategy[ndarray]
        Arrays accepted by :func:`rlcore.validate_policy` for ``mdp``.

    Examples
    --------
    >>> from hypothesis import given
    >>> from rlcore import FiniteMDP, validate_policy
    >>> import numpy as np
    >>> mdp = FiniteMDP(np.ones((2, 1, 2)) / 2, np.zeros((2, 1)), gamma=0.5)
    >>> @given(policies(mdp, deterministic=False))
    ... def test_rows(pi):
    ...     np.testing.assert_allclose(pi.sum(axis=-1), 1.0)
    >>> test_rows()  # doctest: +SKIP
    """
    if time_dependent is True and mdp.horizon is None:
        raise InvalidParameterError(
            "time_dependent", "a time-dependent policy needs a finite-horizon MDP, got a discounted one"
        )
    return _policies(mdp, deterministic, time_dependent)


@validate_params(mdps=_STRATEGY | None, deterministic=_TRI_STATE, time_dependent=_TRI_STATE)
def mdps_and_policies(
    mdps: SearchStrategy[FiniteMDP] | None = None,
    *,
    deterministic: bool | None = None,
    time_dependent: bool | None = None,
) -> SearchStrategy[tuple[FiniteMDP, np.ndarray]]:
    """Strategy for ``(mdp, policy)`` pairs, the policy valid for its MDP.

    Parameters
    ----------
    mdps : strategy of FiniteMDP, optional
        Where the MDPs come from; default :func:`finite_mdps` (``discounted=False``
        when ``time_dependent=True``).
    deterministic, time_dependent : bool or None
        As in :func:`policies`. With ``time_dependent=True`` every drawn MDP must have
        a finite horizon.

    Returns
    -------
    SearchStrategy[tuple[FiniteMDP, ndarray]]

    Examples
    --------
    >>> from hypothesis import given
    >>> from rlcore import evaluate_policy
    >>> @given(mdps_and_policies())
    ... def test_values_are_finite(pair):
    ...     mdp, pi = pair
    ...     assert np.isfinite(evaluate_policy(mdp, pi).V).all()
    >>> test_values_are_finite()  # doctest: +SKIP
    """
    if mdps is None:
        mdps = finite_mdps(discounted=False) if time_dependent is True else finite_mdps()
    return mdps.flatmap(lambda m: st.tuples(st.just(m), _policies(m, deterministic, time_dependent)))


@validate_params(mdp=MDP(), bound=Real(0, None))
def value_functions(mdp: FiniteMDP, *, bound: float = 100.0) -> SearchStrategy[np.ndarray]:
    """Strategy for finite value functions ``ndarray of shape (S,)`` of ``mdp``.

    Parameters
    ----------
    mdp : FiniteMDP
    bound : float
        Finite, ``>= 0``: entries lie in ``[-bound, bound]`` (no NaN, no infinity, no
        subnormals).

    Returns
    -------
    SearchStrategy[ndarray]
        ``float64`` arrays of shape ``(mdp.n_states,)``.

    Examples
    --------
    >>> from hypothesis import given
    >>> from rlcore import FiniteMDP, bellman_optimality
    >>> mdp = FiniteMDP(np.ones((3, 2, 3)) / 3, np.zeros((3, 2)), gamma=0.9)
    >>> @given(value_functions(mdp), value_functions(mdp))
    ... def test_contraction(U, V):
    ...     gap = np.abs(bellman_optimality(mdp, U) - bellman_optimality(mdp, V)).max()
    ...     assert gap <= 0.9 * np.abs(U - V).max() + 1e-9
    >>> test_contraction()  # doctest: +SKIP
    """
    b = bound
    return hnp.arrays(np.float64, (mdp.n_states,), elements=st.floats(-b, b, allow_nan=False, allow_subnormal=False))
