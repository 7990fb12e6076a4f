"""Bellman operators on a :class:`~rlcore.FiniteMDP`, dense and sparse alike.

For a discounted MDP with discount ``gamma``,

.. math::

    (\\mathcal{Q} V)(s, a) = r(s, a) + \\gamma \\sum_{s'} P(s' \\mid s, a) V(s'), \\qquad
    (T^\\pi V)(s) = \\sum_a \\pi(a \\mid s) (\\mathcal{Q} V)(s, a), \\qquad
    (T V)(s) = \\max_a (\\mathcal{Q} V)(s, a).

:math:`T^\\pi` and :math:`T` are ``gamma``-contractions in the sup norm (Puterman 1994,
Prop. 6.2.4), so their fixed points :math:`V^\\pi` and :math:`V^*` are unique. Under a
finite horizon the same formulas hold with ``gamma = 1`` and time-indexed ``P_t``,
``r_t``: ``V`` is then the next step's value :math:`V_{t+1}` and the result is
:math:`V_t` (backward induction).

A dense ``P`` is applied as one ``(S*A, S) @ (S,)`` product, a sparse one as one CSR
matrix-vector product, so each backup streams ``P`` once.

References
----------
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, ch. 4 and 6.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcore._validation import as_float_array
from rlcore.mdp import FiniteMDP
from rlcore.policies import validate_policy

__all__ = ["bellman_expectation", "bellman_optimality", "q_from_v"]


def _check_mdp(mdp: Any) -> FiniteMDP:
    if not isinstance(mdp, FiniteMDP):
        raise TypeError(f"mdp: expected a rlcore.FiniteMDP, got {type(mdp).__name__}")
    return mdp


def _check_v(mdp: FiniteMDP, V: Any, name: str = "V") -> np.ndarray:
    v = as_float_array(V, name, ndim=1)
    if v.shape != (mdp.n_states,):
        raise ValueError(f"{name}: expected shape ({mdp.n_states},), got {v.shape}")
    return v


def _t_for(mdp: FiniteMDP, t: int | None) -> int:
    if mdp.horizon is not None and t is None:
        raise ValueError("t: a finite-horizon MDP needs the time step t of the backup")
    return 0 if t is None else t


def q_from_v(mdp: FiniteMDP, V: Any, t: int | None = None) -> np.ndarray:
    """One-step lookahead ``Q(s, a) = r_t(s, a) + gamma * sum_s' P_t(s'|s, a) V(s')``.

    Parameters
    ----------
    mdp : FiniteMDP
    V : array_like of shape (S,)
        Value of the next state (``V_{t+1}`` under a finite horizon).
    t : int, optional
        Time step; required for finite-horizon MDPs.

    Returns
    -------
    ndarray of shape (S, A)

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 1.0
    >>> mdp = FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.5)
    >>> q_from_v(mdp, [0.0, 2.0])
    array([[0., 1.],
           [1., 2.]])
    """
    mdp = _check_mdp(mdp)
    v = _check_v(mdp, V)
    t = _t_for(mdp, t)
    S, A = mdp.n_states, mdp.n_actions
    Pt = mdp.transitions_at(t)
    with np.errstate(over="ignore", invalid="ignore"):
        ev = Pt @ v if mdp.is_sparse else Pt.reshape(S * A, S) @ v
    g = 1.0 if mdp.gamma is None else mdp.gamma
    with np.errstate(over="ignore", invalid="ignore"):
        q = mdp.rewards_at(t) + g * ev.reshape(S, A)
    if not np.all(np.isfinite(q)):
        raise ValueError(
            f"R, V: the backup r + gamma P V overflows float64 (max |V| = {float(np.max(np.abs(v))):.3g}, "
            f"max |R| = {float(np.max(np.abs(mdp.rewards_at(t)))):.3g})"
        )
    return q


def bellman_expectation(mdp: FiniteMDP, policy: Any, V: Any, t: int | None = None) -> np.ndarray:
    """Apply the policy's Bellman operator: ``(T^pi V)(s) = sum_a pi(a|s) Q(s, a)``.

    Parameters
    ----------
    mdp : FiniteMDP
    policy : array_like
        Any tabular policy layout (see :mod:`rlcore.policies`); a time-dependent policy
        is read at step ``t``.
    V : array_like of shape (S,)
    t : int, optional
        Time step; required for finite-horizon MDPs.

    Returns
    -------
    ndarray of shape (S,)
    """
    mdp = _check_mdp(mdp)
    pi = validate_policy(policy, mdp.n_states, mdp.n_actions, mdp.horizon)
    q = q_from_v(mdp, V, t)
    if pi.ndim == (2 if np.issubdtype(pi.dtype, np.integer) else 3):
        pi = pi[_t_for(mdp, t)]
    if np.issubdtype(pi.dtype, np.integer):
        return q[np.arange(mdp.n_states), pi]
    return np.einsum("sa,sa->s", pi, q)


def bellman_optimality(mdp: FiniteMDP, V: Any, t: int | None = None) -> np.ndarray:
    """Apply the Bellman optimality operator: ``(T V)(s) = max_a Q(s, a)``.

    Returns
    -------
    ndarray of shape (S,)

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 1.0
    >>> mdp = FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.5)
    >>> bellman_optimality(mdp, [0.0, 2.0])
    array([1., 2.])
    """
    return q_from_v(mdp, V, t).max(axis=1)

