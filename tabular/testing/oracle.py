"""The contract suite's oracle: exact optimal values of a small MDP by enumeration.

:func:`brute_force_solution` evaluates every deterministic stationary (discounted) or
deterministic Markov (finite horizon) policy exactly, by one linear solve each
(:func:`rlcore.evaluate_policy`), and takes the componentwise maximum. It shares no
code with the planners of :mod:`tabular`, which is what makes it an oracle for them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import cast

import numpy as np
import scipy.sparse as sp

from rlcore.bellman import q_from_v_unchecked
from rlcore.evaluation import evaluate_policy
from rlcore.mdp import FiniteMDP
from rlcore.results import Result
from rlcore.validation import MDP, Integer, InvalidParameterError, validate_params

__all__ = ["ExactSolution", "brute_force_solution"]

#: Most deterministic policies :func:`brute_force_solution` enumerates.
MAX_POLICIES = 10**6


@dataclass(frozen=True, repr=False)
class ExactSolution(Result):
    """Exact optimal values of a small MDP, by enumeration of deterministic policies.

    Attributes
    ----------
    V : ndarray of shape (S,), or (H, S) under a finite horizon
        ``V*`` (``V*[t]`` with ``H - t`` steps to go).
    Q : ndarray of shape (S, A), or (H, S, A)
        ``Q* = r + gamma P V*`` (finite horizon: ``Q*[t] = r_t + P_t V*[t + 1]``).
    error_bound : float
        Bound on ``max |V - V*|`` from the linear solves (the largest certified error
        :func:`rlcore.evaluate_policy` reports over the policies; 0 under a finite
        horizon, whose recursion is exact up to rounding).
    n_policies : int
        Number of policies enumerated.
    """

    V: np.ndarray
    Q: np.ndarray
    error_bound: float
    n_policies: int


@validate_params(mdp=MDP(), max_policies=Integer(1, MAX_POLICIES))
def brute_force_solution(mdp: FiniteMDP, *, max_policies: int = 4096) -> ExactSolution:
    """``V*`` and ``Q*`` of a tiny MDP by evaluating every deterministic policy exactly.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted (all ``A^S`` deterministic stationary policies are enumerated) or
        finite-horizon (all ``A^(H S)`` deterministic Markov policies), dense or sparse.
    max_policies : int in [1, 10**6]
        Refuse instances with more policies than this.

    Returns
    -------
    ExactSolution

    Raises
    ------
    TypeError
        If ``mdp`` is not a :class:`rlcore.FiniteMDP`.
    ValueError
        If the instance has more than ``max_policies`` policies.

    Guarantee
    ---------
    A deterministic stationary (discounted) or deterministic Markov (finite horizon)
    policy is optimal, and its value dominates every policy's value in every state
    (Puterman 1994, Thm. 6.2.10 and Thm. 4.4.2); hence ``V*`` is the componentwise
    maximum of the enumerated exact values. Nothing here shares code with the planners
    of :mod:`tabular`: each value is one linear solve (:func:`rlcore.evaluate_policy`).
    Tested by ``tests/tabular/test_contract.py::test_brute_force_solution_against_a_hand_computed_mdp``
    (a closed form) and
    ``tests/tabular/test_planners.py::test_planners_agree_on_v_star_within_their_certified_bounds``
    (against every planner's certified bounds).

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 1.0
    >>> mdp = FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.9)
    >>> sol = brute_force_solution(mdp)
    >>> np.round(sol.V, 10), sol.n_policies
    (array([ 9., 10.]), 4)
    """
    S, A = mdp.n_states, mdp.n_actions
    H = mdp.horizon
    n_slots = S if H is None else H * S
    too_many = A > 1 and n_slots * np.log2(A) > 64  # (no huge powers)
    n_policies = A**n_slots if not too_many else math.inf
    if n_policies > max_policies:
        raise InvalidParameterError(
            "max_policies",
            f"this MDP has A^{'S' if H is None else '(H S)'} = {A}^{n_slots}"
            + ("" if too_many else f" = {n_policies}")
            + f" deterministic policies, more than max_policies={max_policies}",
        )
    dense = with_layout(mdp, False)
    best: np.ndarray | None = None
    err = 0.0
    shape = (S,) if H is None else (H, S)
    for actions in itertools.product(range(A), repeat=n_slots):
        ev = evaluate_policy(dense, np.array(actions, dtype=np.int64).reshape(shape))
        err = max(err, float(ev.error_bound))
        best = ev.V.copy() if best is None else np.maximum(best, ev.V)
    assert best is not None
    if H is None:
        Q = q_from_v_unchecked(dense, best, 0, "mdp")
    else:
        Q = np.empty((H, S, A))
        for t in range(H):
            Q[t] = q_from_v_unchecked(dense, best[t + 1] if t + 1 < H else np.zeros(S), t, "mdp")
    return ExactSolution(V=best, Q=Q, error_bound=err, n_policies=int(n_policies))


def with_layout(mdp: FiniteMDP, sparse: bool) -> FiniteMDP:
    """A new, equal MDP with ``P`` dense (S, A, S) / (H, S, A, S) or CSR (rows ``s*A + a``)."""
    S, A = mdp.n_states, mdp.n_actions
    if mdp.is_sparse:
        P = cast(sp.csr_array, mdp.P).toarray()
        P = P.reshape(S, A, S) if P.shape[0] == S * A else P.reshape(-1, S, A, S)
    else:
        P = np.array(mdp.P)
    if sparse:
        P = sp.csr_array(P.reshape(-1, S))
    return FiniteMDP(
        P,
        np.array(mdp.R),
        gamma=mdp.gamma,
        horizon=mdp.horizon,
        initial=np.array(mdp.initial),
        terminal=np.array(mdp.terminal),
    )


def copy_mdp(mdp: FiniteMDP) -> FiniteMDP:
    """An equal, independent instance in the same layout."""
    return with_layout(mdp, mdp.is_sparse)
