"""Backward induction for finite-horizon MDPs (stationary or time-dependent).

With ``V_H = 0`` and, for ``t = H-1, ..., 0``,
``Q_t(s, a) = r_t(s, a) + sum_s' P_t(s'|s, a) V_{t+1}(s')``, ``V_t = max_a Q_t`` and
``pi_t = argmax_a Q_t``, the (time-dependent, deterministic, Markov) policy ``pi`` is
optimal among all history-dependent randomised policies and ``V_0 = V*_0`` (Puterman
1994, Thm. 4.5.1). The recursion is exact: its only error is floating-point rounding,
for which the returned bounds allow ``(n + 2) eps (H - t) max_t'|R| ...`` per step.

References
----------
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, section 4.5.
"""

from __future__ import annotations

import numpy as np

from rlcore.bellman import q_from_v
from rlcore.mdp import FiniteMDP
from tabular.certify import max_row_nnz
from tabular.result import PlanningResult

__all__ = ["backward_induction"]

_EPS = float(np.finfo(np.float64).eps)


def backward_induction(mdp: FiniteMDP) -> PlanningResult:
    """Optimal time-dependent policy and values of a finite-horizon MDP.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        With a finite ``horizon`` H; ``P``/``R`` stationary or time-dependent, dense or
        sparse.

    Returns
    -------
    PlanningResult
        ``V`` of shape (H, S) (``V[t]`` is the optimal value with ``H - t`` steps to
        go), ``Q`` of shape (H, S, A), ``policy`` of shape (H, S); ``iterations = H``;
        ``converged`` is True and the bounds are rounding allowances.

    Guarantee
    ---------
    ``V[0] = V*_0`` and ``policy`` is optimal (Puterman 1994, Thm. 4.5.1), up to the
    stated rounding allowance in ``value_bound`` / ``suboptimality_bound``.

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> res = backward_induction(combination_lock(4, n_actions=2, combination=[1, 0, 0, 1]))
    >>> res.policy[np.arange(4), np.arange(4)].tolist(), float(res.V[0, 0])
    ([1, 0, 0, 1], 1.0)
    """
    if not isinstance(mdp, FiniteMDP):
        raise TypeError(f"mdp: expected a rlcore.FiniteMDP, got {type(mdp).__name__}")
    if mdp.horizon is None:
        raise ValueError("mdp: backward_induction needs a finite-horizon MDP; use tabular.solve for discounted ones")
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    V = np.zeros((H, S))
    Q = np.zeros((H, S, A))
    v_next = np.zeros(S)
    for t in range(H - 1, -1, -1):
        Q[t] = q_from_v(mdp, v_next, t)
        V[t] = Q[t].max(axis=1)
        v_next = V[t]
    policy = np.argmax(Q, axis=2).astype(np.int64)
    r_max = float(np.max(np.abs(mdp.R)))
    steps_to_go = np.arange(H, 0, -1, dtype=np.float64)[:, None]
    # each step adds at most (n + 2) eps (|r| + |V_{t+1}|) <= (n + 2) eps (H - t) r_max
    allowance = (max_row_nnz(mdp) + 2) * _EPS * r_max * steps_to_go * steps_to_go
    bound = float(allowance.max(initial=0.0))
    return PlanningResult(
        V=V,
        Q=Q,
        policy=policy,
        iterations=H,
        converged=True,
        value_bound=bound,
        suboptimality_bound=2.0 * bound,
        V_lower=V - allowance,
        V_upper=V + allowance,
        method="backward_induction",
        epsilon=0.0,
    )
