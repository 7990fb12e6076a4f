"""Backward induction for finite-horizon MDPs (stationary or time-dependent).

With ``V_H = 0`` and, for ``t = H-1, ..., 0``,
``Q_t(s, a) = r_t(s, a) + sum_s' P_t(s'|s, a) V_{t+1}(s')``, ``V_t = max_a Q_t`` and
``pi_t = argmax_a Q_t``, the (time-dependent, deterministic, Markov) policy ``pi`` is
optimal among all history-dependent randomised policies and ``V_0 = V*_0`` (Puterman
1994, Thm. 4.5.1). The recursion is exact: its only error is floating-point rounding.
Each computed ``Q_t`` entry is within ``e_t = (n + 4) eps (max|r_t| + rho_hi max|V_{t+1}|)``
of ``r_t + P_t V_{t+1}`` evaluated at the *computed* ``V_{t+1}`` (``n`` the largest
number of stored entries in a row, ``rho_hi`` the largest exact row sum of the stored
``P``, which may exceed 1 within the tolerance), and ``max`` is 1-Lipschitz, so the
error ``A_t`` of ``V_t`` obeys ``A_t <= e_t + rho_hi A_{t+1}``, ``A_H = 0``. The
greedy policy of the computed ``Q`` loses at most ``2 sum_{j >= t} rho_hi^{j-t} A_j``
(each step's choice is off by at most twice the error of ``Q_j``, and the losses add
up through ``P`` as values do).

References
----------
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, section 4.5.
"""

from __future__ import annotations

import numpy as np

from rlcore.bellman import q_from_v_unchecked
from rlcore.mdp import FiniteMDP
from rlcore.validation import MDP, validate_params
from tabular.certify import max_row_nnz
from tabular.result import PlanningResult

__all__ = ["backward_induction"]

_EPS = float(np.finfo(np.float64).eps)


@validate_params(mdp=MDP(discounted=False, hint="for a discounted MDP use tabular.solve"))
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
    stated rounding allowance in ``value_bound`` / ``suboptimality_bound``. Tested by
    ``tests/tabular/test_planners.py::test_backward_induction_equals_brute_force_over_markov_policies``
    (enumeration of Markov policies) and
    ``tests/tabular/test_certify_oracle.py::test_backward_induction_allowance_exactly`` (the
    allowance, in exact rational arithmetic).

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> res = backward_induction(combination_lock(4, n_actions=2, combination=[1, 0, 0, 1]))
    >>> res.policy[np.arange(4), np.arange(4)].tolist(), float(res.V[0, 0])
    ([1, 0, 0, 1], 1.0)
    """
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    assert H is not None  # checked by the constraint
    V = np.zeros((H, S))
    Q = np.zeros((H, S, A))
    v_next = np.zeros(S)
    for t in range(H - 1, -1, -1):
        Q[t] = q_from_v_unchecked(mdp, v_next, t, "mdp")
        V[t] = Q[t].max(axis=1)
        v_next = V[t]
    policy = np.argmax(Q, axis=2).astype(np.int64)
    rho = mdp.row_sum_bounds[1]
    n_terms = max_row_nnz(mdp) + 4
    err = np.zeros(H + 1)  # err[t] bounds |V[t] - V*_t|, err[H] = 0
    for t in range(H - 1, -1, -1):
        v_abs = float(np.max(np.abs(V[t + 1]))) if t + 1 < H else 0.0
        e_t = n_terms * _EPS * (float(np.max(np.abs(mdp.rewards_at(t)))) + rho * v_abs)
        err[t] = (e_t + rho * err[t + 1]) * (1.0 + 4.0 * _EPS)
    loss = np.zeros(H + 1)  # loss[t] bounds V*_t - V^policy_t
    for t in range(H - 1, -1, -1):
        loss[t] = (2.0 * err[t] + rho * loss[t + 1]) * (1.0 + 4.0 * _EPS)
    allowance = np.broadcast_to(err[:H, None], (H, S))
    bound = float(err[:H].max(initial=0.0))
    return PlanningResult(
        V=V,
        Q=Q,
        policy=policy,
        iterations=H,
        converged=True,
        value_bound=bound,
        suboptimality_bound=float(loss[:H].max(initial=0.0)),
        V_lower=np.nextafter(V - allowance, -np.inf),
        V_upper=np.nextafter(V + allowance, np.inf),
        method="backward_induction",
        epsilon=0.0,
    )
