"""The KL-regularised criterion: a policy's exact regularised value, and the gap to the hard optimum.

Companions of the soft planners of :mod:`tabular.soft` (whose module docstring has the
theory): :func:`regularised_policy_value` evaluates any policy ``pi`` under the
regularised criterion ``V^pi_beta`` exactly (one linear solve), which certifies a policy
more sharply than a planner's ``suboptimality_bound``; :func:`regularisation_gap_bound`
bounds how far the soft optimum ``V_beta`` lies below the unregularised optimum ``V*``,
from the log-sum-exp sandwich ``max_a Q + beta log pi0(a*) <= beta log sum_a pi0
exp(Q/beta) <= max_a Q``.

References
----------
M. Geist, B. Scherrer and O. Pietquin, "A theory of regularized Markov decision
processes", *ICML* 2019, sections 2 and 3.
T. Korbak, E. Perez and C. L. Buckley, "RL with KL penalties is better viewed as
Bayesian inference", *Findings of EMNLP* 2022.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcore.bellman import resolvent_bounds
from rlcore.evaluation import PolicyEvaluation, evaluate_policy
from rlcore.mdp import FiniteMDP
from rlcore.policies import as_stochastic
from rlcore.validation import MDP, InvalidParameterError, Policy, validate_params
from tabular.soft import _BETA, _REFERENCE, _reference

__all__ = ["regularisation_gap_bound", "regularised_policy_value"]

_EPS = float(np.finfo(np.float64).eps)


@validate_params(mdp=MDP(), beta=_BETA, reference=_REFERENCE)
def regularisation_gap_bound(mdp: FiniteMDP, beta: float, *, reference: Any = None) -> float:
    """Certified gap between the hard optimum and the soft one: ``max_s V*(s) - V_beta(s)``.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted or finite-horizon.
    beta : float
        Temperature ``> 0``.
    reference : array_like, optional
        Reference policy (as in :func:`soft_value_iteration`); default uniform.

    Returns
    -------
    float
        Discounted: ``beta ell / (1 - gamma rho_hi)`` (``rho_hi`` the largest row sum
        of ``P``, 1 up to the tolerance); finite horizon: ``beta sum_t rho_hi^t ell_t``
        (the bound at ``t = 0``), where ``ell = max_s log(1 / min_{a: pi0(a|s) > 0}
        pi0(a|s))`` (``log A`` for uniform ``pi0``).

    Guarantee
    ---------
    ``V_beta <= V* <= V_beta + regularisation_gap_bound``, with ``V*`` the optimal
    unregularised value of the MDP restricted to the support of ``pi0``; the soft
    policy's unregularised value is within the same bound of ``V*``. Follows from the
    log-sum-exp sandwich ``max_a Q + beta log pi0(a*) <= beta log sum_a pi0 exp(Q/beta)
    <= max_a Q`` (:mod:`tabular.soft`'s module docstring; cf. Geist, Scherrer and
    Pietquin 2019, section 3). Tested by
    ``tests/tabular/test_soft.py::test_small_beta_recovers_hard_solution`` (against the
    hard optimum of policy iteration) and
    ``tests/tabular/test_soft.py::test_bandit_gap_bound_is_attained`` (tight on a bandit).

    Examples
    --------
    >>> from rlcore.generators import forest
    >>> round(regularisation_gap_bound(forest(gamma=0.9), beta=0.01), 6)   # 0.01 log 2 / 0.1
    0.069315
    """
    b = beta
    _, _, ell = _reference(mdp, reference)
    rho_lo, rho_hi = mdp.row_sum_bounds
    if mdp.horizon is None:
        k_hi = resolvent_bounds(float(mdp.gamma), rho_lo, rho_hi)[1]  # type: ignore[arg-type]
        return b * float(ell.max()) * k_hi * (1.0 + 4.0 * _EPS)
    per_step = ell.max(axis=-1)
    steps = per_step if per_step.ndim == 1 else np.full(mdp.horizon, float(per_step))
    gap = 0.0
    for t in range(mdp.horizon - 1, -1, -1):  # gap_t = beta ell_t + rho gap_{t+1}
        gap = b * float(steps[t]) + rho_hi * gap
    return gap * (1.0 + 4.0 * mdp.horizon * _EPS)


@validate_params(mdp=MDP(), policy=Policy("mdp"), beta=_BETA, reference=_REFERENCE)
def regularised_policy_value(mdp: FiniteMDP, policy: Any, beta: float, *, reference: Any = None) -> PolicyEvaluation:
    """Exact KL-regularised value of a policy, by one linear solve.

    ``V^pi_beta`` is the value of ``pi`` in the MDP with rewards
    ``R(s, a) - beta KL(pi(.|s) || pi0(.|s))``, evaluated by
    :func:`rlcore.evaluate_policy` (LU / SuperLU; backward recursion under a finite
    horizon).

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted or finite-horizon, dense or sparse.
    policy : array_like
        Any tabular policy layout (deterministic policies are one-hot).
    beta : float
        Temperature ``> 0``.
    reference : array_like, optional
        Reference policy; default uniform.

    Returns
    -------
    rlcore.PolicyEvaluation
        ``V`` (S,) or (H, S) is the regularised value; ``Q = R + gamma P V`` (finite
        horizon: ``R_t + P_t V_{t+1}``) is the regularised action value, so that
        ``V(s) = sum_a pi(a|s) (Q(s, a) - beta log(pi(a|s) / pi0(a|s)))``.

    Raises
    ------
    ValueError
        If ``policy`` puts mass on an action that ``pi0`` excludes (infinite KL).

    Guarantee
    ---------
    Exact up to the linear solver's certified ``error_bound``; with the soft optimum,
    ``V_beta - V^pi_beta = beta (I - gamma P_pi)^{-1} KL(pi || pi_beta) >= 0``
    (:mod:`tabular.soft`'s module docstring), which makes ``V_upper - V^pi_beta`` a
    sharper certificate of a returned policy than ``suboptimality_bound``. Tested by
    ``tests/tabular/test_soft.py::test_regret_is_beta_times_discounted_kl_to_posterior``
    (against a KL-penalised MDP built in the test, and the identity).

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), [[0.0, 1.0]], gamma=0.5)
    >>> ev = regularised_policy_value(mdp, np.array([1]), beta=1.0)   # (1 - log 2) / (1 - 0.5)
    >>> round(float(ev.V[0]), 10)
    0.6137056389
    """
    b = beta
    pi0, support, _ = _reference(mdp, reference)
    A = mdp.n_actions
    pi = as_stochastic(policy, A)
    pi_b, pi0_b, support_b = np.broadcast_arrays(pi, pi0, support)  # (S, A) or (H, S, A)
    outside = (pi_b > 0) & ~support_b
    if outside.any():
        idx = tuple(int(i) for i in np.argwhere(outside)[0])
        at = f" at t={idx[0]}" if len(idx) == 3 else ""
        raise InvalidParameterError(
            "policy",
            f"puts probability {float(pi_b[idx])!r} on action {idx[-1]} in state {idx[-2]}{at} "
            "where the reference has none (infinite KL)",
        )
    pos = pi_b > 0
    log_ratio = np.zeros(pi_b.shape)
    log_ratio[pos] = np.log(pi_b[pos]) - np.log(pi0_b[pos])
    kl = np.einsum("...a,...a->...", pi_b, log_ratio)  # (S,) or (H, S)
    R_pen = mdp.R - b * kl[..., None]  # broadcasts to (H, S, A) when either is time-dependent
    if mdp.horizon is None:
        penalised = FiniteMDP(mdp.P, R_pen, gamma=mdp.gamma, initial=mdp.initial)
    else:
        penalised = FiniteMDP(mdp.P, R_pen, horizon=mdp.horizon, initial=mdp.initial)
    return evaluate_policy(penalised, pi)
