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

from rlcore.mdp import FiniteMDP
from rlcore.validation import (
    MAX_ITERATIONS,
    MDP,
    Array,
    Integer,
    InvalidParameterError,
    Policy,
    Real,
    validate_params,
)

__all__ = ["bellman_expectation", "bellman_optimality", "q_from_v", "q_from_v_unchecked", "resolvent_bounds"]

_EPS = float(np.finfo(np.float64).eps)

_T = Integer(0, MAX_ITERATIONS) | None
_V = Array(ndim=1, shape=("mdp.n_states",))


def _t_for(mdp: FiniteMDP, t: int | None) -> int:
    if mdp.horizon is not None:
        if t is None:
            raise InvalidParameterError("t", "a finite-horizon MDP needs the time step t of the backup")
        if t >= mdp.horizon:
            raise InvalidParameterError("t", f"expected a time step in [0, {mdp.horizon}), got {t}")
    return 0 if t is None else t


@validate_params(gamma=Real(0, 1, closed="left"), rho_lo=Real(0, None), rho_hi=Real(0, None))
def resolvent_bounds(gamma: float, rho_lo: float, rho_hi: float) -> tuple[float, float]:
    """Certified ``(k_lo, k_hi)`` bounding the row sums of ``(I - gamma P_pi)^{-1}``.

    For a non-negative ``P_pi`` whose row sums lie in ``[rho_lo, rho_hi]`` and
    ``gamma rho_hi < 1``, every row of ``sum_k gamma^k P_pi^k`` sums to a number in
    ``[1 / (1 - gamma rho_lo), 1 / (1 - gamma rho_hi)]`` (each power's rows sum to
    between ``rho_lo^k`` and ``rho_hi^k``). The returned ends enclose these exact numbers
    despite rounding: ``1 - gamma rho`` is computed as ``(1 - gamma) - gamma (rho - 1)``
    (both subtractions exact for ``gamma >= 1/2`` and ``rho`` in ``[1/2, 2]``), and the
    quotients are widened by ``8 eps``. This is the factor that turns a Bellman residual
    into a value error when the stored rows of ``P`` sum to 1 only within the accepted
    tolerance (see :mod:`tabular.certify`).

    Parameters
    ----------
    gamma : float in [0, 1)
    rho_lo, rho_hi : float >= 0
        Bounds on the row sums, e.g. :attr:`rlcore.FiniteMDP.row_sum_bounds`.

    Returns
    -------
    (k_lo, k_hi) : tuple of float

    Examples
    --------
    >>> k_lo, k_hi = resolvent_bounds(0.9, 1.0, 1.0)
    >>> bool(k_lo <= 10.0 <= k_hi), bool(k_hi - k_lo < 1e-13)
    (True, True)
    """
    if rho_lo > rho_hi:
        raise InvalidParameterError("rho_lo", f"expected rho_lo <= rho_hi, got {rho_lo!r} > {rho_hi!r}")
    if gamma == 0.0:
        return 1.0, 1.0
    d_lo = (1.0 - gamma) - gamma * (rho_lo - 1.0)
    d_hi = (1.0 - gamma) - gamma * (rho_hi - 1.0)
    if not d_hi > 0.0:
        raise InvalidParameterError(
            "rho_hi", f"gamma * rho_hi must be < 1 for the resolvent to exist, got gamma={gamma!r}, rho_hi={rho_hi!r}"
        )
    return (1.0 / d_lo) * (1.0 - 8.0 * _EPS), (1.0 / d_hi) * (1.0 + 8.0 * _EPS)


def q_from_v_unchecked(mdp: FiniteMDP, V: np.ndarray, t: int, name: str = "V") -> np.ndarray:
    """:func:`q_from_v` without the argument checks, for the inner loops of planners.

    Backward induction and the planners' certificates call the one-step lookahead once
    per step or sweep, on arguments they have validated already; this entry point skips
    the declaration's checks (a few microseconds per call) and keeps the one check that
    depends on the values: an overflow of ``r + gamma P V`` is refused, blamed on
    ``name``.

    Parameters
    ----------
    mdp : FiniteMDP
    V : ndarray of float64, shape (S,)
        Value of the next state (``V_{t+1}`` under a finite horizon); not checked.
    t : int
        Time step in ``[0, H)`` (0 for a discounted MDP); not checked.
    name : str
        The argument an overflow is blamed on: ``"V"`` when the caller passed ``V``,
        ``"mdp"`` when ``V`` was computed from the MDP's own rewards.

    Returns
    -------
    ndarray of shape (S, A)

    Raises
    ------
    InvalidParameterError
        For ``name``, when an entry of the lookahead overflows float64.

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 1.0
    >>> mdp = FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.5)
    >>> q_from_v_unchecked(mdp, np.array([0.0, 2.0]), 0)
    array([[0., 1.],
           [1., 2.]])
    """
    S, A = mdp.n_states, mdp.n_actions
    Pt = mdp.transitions_at(t)
    with np.errstate(over="ignore", invalid="ignore"):
        ev = Pt @ V if mdp.is_sparse else Pt.reshape(S * A, S) @ V
        g = 1.0 if mdp.gamma is None else mdp.gamma
        q = mdp.rewards_at(t) + g * ev.reshape(S, A)
    if not np.all(np.isfinite(q)):
        raise InvalidParameterError(
            name,
            f"the backup r + gamma P V overflows float64 (max |V| = {float(np.max(np.abs(V))):.3g}, "
            f"max |R| = {float(np.max(np.abs(mdp.rewards_at(t)))):.3g}); rescale the rewards",
        )
    return q


@validate_params(mdp=MDP(), V=_V, t=_T)
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
    return q_from_v_unchecked(mdp, V, _t_for(mdp, t))


@validate_params(mdp=MDP(), policy=Policy("mdp"), V=_V, t=_T)
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
    pi = policy
    t = _t_for(mdp, t)
    q = q_from_v_unchecked(mdp, V, t)
    if pi.ndim == (2 if np.issubdtype(pi.dtype, np.integer) else 3):
        pi = pi[t]
    if np.issubdtype(pi.dtype, np.integer):
        return q[np.arange(mdp.n_states), pi]
    return np.einsum("sa,sa->s", pi, q)


@validate_params(mdp=MDP(), V=_V, t=_T)
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
    return q_from_v_unchecked(mdp, V, _t_for(mdp, t)).max(axis=1)
