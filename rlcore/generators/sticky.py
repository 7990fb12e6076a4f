"""Sticky actions (Machado et al. 2018): any finite MDP made stochastic by repeating the
previously executed action with a given probability."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from rlcore.mdp import FiniteMDP
from rlcore.validation import MDP, validate_params
from rlcore.generators._common import _PROB, _check_entries

__all__ = ["sticky_actions"]


@validate_params(mdp=MDP(), prob=_PROB)
def sticky_actions(mdp: FiniteMDP, prob: float = 0.25) -> FiniteMDP:
    """Make an MDP stochastic with sticky actions: the previous action may repeat.

    At every step after the first, the environment executes the agent's chosen action
    with probability ``1 - prob`` and repeats the previously *executed* action with
    probability ``prob`` (Machado et al. 2018's sticky actions, used with ``prob = 0.25``
    by Laidlaw et al. 2024 to make the BRIDGE MDPs stochastic). The state must remember
    the last executed action, so the new MDP has ``S*A + S`` states:

    * ``s*A + p`` -- original state ``s``, last executed action ``p``;
    * ``S*A + s`` -- original state ``s`` at the start of an episode (no previous
      action, nothing sticks).

    Rewards are the expectations ``(1 - prob) R(s, a) + prob R(s, p)``; terminal states
    are those whose original state is terminal; the initial distribution sits on the
    fresh copies. Works for discounted and finite-horizon, time-dependent, dense or
    sparse MDPs; the result is sparse (CSR).

    Parameters
    ----------
    mdp : FiniteMDP
    prob : float
        Probability of repeating the previous action, in ``[0, 1]``.

    Returns
    -------
    FiniteMDP
        Same criterion (``gamma`` or ``horizon``) and actions; ``S*A + S`` states.

    Raises
    ------
    InvalidParameterTypeError
        ``mdp`` not a FiniteMDP, ``prob`` not a real number.
    InvalidParameterError
        ``prob`` outside ``[0, 1]``, or a result that would store more than
        ``MAX_TRANSITION_ENTRIES`` (10**9) transition probabilities.

    References
    ----------
    M. C. Machado et al., "Revisiting the Arcade Learning Environment: evaluation
    protocols and open problems for general agents", JAIR 2018 (sticky actions).

    C. Laidlaw, B. Zhu, S. Russell and A. Dragan, "The effective horizon explains deep
    RL performance in stochastic environments", ICLR 2024 (``prob = 0.25``).

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> mdp = combination_lock(3, 2, combination=[1, 0, 1])
    >>> sticky = sticky_actions(mdp, 0.25)
    >>> sticky.n_states, sticky.n_actions  # 5 * 2 + 5
    (15, 2)
    >>> from tabular import backward_induction
    >>> round(float(backward_induction(sticky).V[0] @ sticky.initial), 6)  # 0.75 ** 2
    0.5625
    """
    q = prob
    S, A = mdp.n_states, mdp.n_actions
    n_new = S * A + S
    n_steps = mdp.horizon if (mdp.horizon is not None and mdp.is_time_dependent) else 1
    stored = int(cast(Any, mdp.P).nnz) if mdp.is_sparse else int(np.count_nonzero(mdp.P))
    _check_entries(2 * A * stored + n_new * A, "mdp", f"the sticky-action version of {mdp!r}")

    # new (state, action) rows: sticky states (s, p) -> row (s*A + p)*A + a; fresh -> (S*A + s)*A + a
    s_i, p_i, a_i = (x.ravel() for x in np.meshgrid(np.arange(S), np.arange(A), np.arange(A), indexing="ij"))
    row_sticky = (s_i * A + p_i) * A + a_i
    f_s, f_a = (x.ravel() for x in np.meshgrid(np.arange(S), np.arange(A), indexing="ij"))
    row_fresh = (S * A + f_s) * A + f_a

    terminal = np.concatenate([np.repeat(mdp.terminal, A), mdp.terminal])
    blocks: list[sp.csr_array] = []
    rewards: list[np.ndarray] = []
    for t in range(n_steps):
        Pt = mdp.transitions_at(t)
        Pc = sp.csr_array(Pt) if mdp.is_sparse else sp.csr_array(np.asarray(Pt).reshape(S * A, S))
        Rt = np.asarray(mdp.rewards_at(t), dtype=np.float64)
        coo = Pc.tocoo()
        col = coo.col * A + coo.row % A  # next state remembers the executed action
        # for each original row (s, e): its entries, indexed by position in coo
        # sticky rows: (s, p, a) takes (1-q) of row (s, a) and q of row (s, p)
        order = np.argsort(coo.row, kind="stable")
        starts = np.searchsorted(coo.row[order], np.arange(S * A + 1))
        counts = np.diff(starts)

        def gather(orig_rows: np.ndarray, new_rows: np.ndarray, weight: float) -> tuple[np.ndarray, ...]:
            reps = counts[orig_rows]
            new_r = np.repeat(new_rows, reps)
            first = np.repeat(starts[orig_rows], reps)
            offset = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
            idx = order[first + offset]
            return new_r, col[idx], weight * coo.data[idx]

        parts = [
            gather(s_i * A + a_i, row_sticky, 1.0 - q),
            gather(s_i * A + p_i, row_sticky, q),
            gather(f_s * A + f_a, row_fresh, 1.0),
        ]
        # terminal copies are absorbing (FiniteMDP requires it): a self-loop each
        r_ = np.concatenate([x[0] for x in parts])
        c_ = np.concatenate([x[1] for x in parts])
        v_ = np.concatenate([x[2] for x in parts])
        keep = (v_ > 0.0) & ~terminal[r_ // A]
        term_rows = np.flatnonzero(np.repeat(terminal, A))
        r_ = np.concatenate([r_[keep], term_rows])
        c_ = np.concatenate([c_[keep], term_rows // A])
        v_ = np.concatenate([v_[keep], np.ones(term_rows.size)])
        keep = np.ones(r_.size, dtype=bool)
        block = sp.csr_array((v_[keep], (r_[keep], c_[keep])), shape=(n_new * A, n_new))
        block.sum_duplicates()
        blocks.append(block)
        R_new = np.empty((n_new, A))
        R_new[: S * A] = ((1.0 - q) * Rt[s_i, a_i] + q * Rt[s_i, p_i]).reshape(S * A, A)
        R_new[S * A :] = Rt
        rewards.append(R_new)

    P_new = blocks[0] if n_steps == 1 else sp.csr_array(sp.vstack(blocks, format="csr"))
    R_out = rewards[0] if n_steps == 1 else np.stack(rewards)
    initial = np.zeros(n_new)
    initial[S * A :] = mdp.initial
    crit = {"horizon": mdp.horizon} if mdp.horizon is not None else {"gamma": mdp.gamma}
    return FiniteMDP(P_new, R_out, initial=initial, terminal=terminal, **crit)
