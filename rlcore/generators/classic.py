"""The classic small benchmark MDPs: RiverSwim, the n-chain, the combination lock and
forest management."""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcore.mdp import FiniteMDP
from rlcore.randomness import RNGLike, _as_generator
from rlcore.validation import RNG, Array, Integer, InvalidParameterError, validate_params
from rlcore.generators._common import (
    _GAMMA,
    _HORIZON,
    _PROB,
    _REWARD,
    _SIZE,
    MAX_HORIZON,
    MAX_SIZE,
    _check_entries,
    _criterion,
)

__all__ = ["chain", "combination_lock", "forest", "river_swim"]


@validate_params(
    n_states=Integer(2, MAX_SIZE),
    p_forward=_PROB,
    p_backward=_PROB,
    small_reward=_REWARD,
    large_reward=_REWARD,
    gamma=_GAMMA,
    horizon=_HORIZON,
)
def river_swim(
    n_states: int = 6,
    *,
    p_forward: float = 0.3,
    p_backward: float = 0.1,
    small_reward: float = 5.0 / 1000.0,
    large_reward: float = 1.0,
    gamma: float | None = None,
    horizon: int | None = None,
) -> FiniteMDP:
    """RiverSwim (Strehl and Littman 2008, Fig. 2): a chain where exploring pays.

    States ``0..n-1`` lie along a river flowing left. Action 0 (*left*, with the
    current) moves one state left, deterministically (state 0 stays). Action 1
    (*right*, against the current) has the transition probabilities of the paper:

    ============  =================  ================================  ===================
    state         advance (``s+1``)  stay (``s``)                      swept back (``s-1``)
    ============  =================  ================================  ===================
    ``0``         ``p_forward``      ``1 - p_forward``                 --
    ``1..n-2``    ``p_forward``      ``1 - p_forward - p_backward``    ``p_backward``
    ``n-1``       --                 ``p_forward``                     ``1 - p_forward``
    ============  =================  ================================  ===================

    i.e. 0.3 / 0.7 at the left bank, 0.3 / 0.6 / 0.1 in the middle and 0.3 / 0.7 at
    the right bank with the defaults. Rewards are paid on two transitions, as labelled
    in the paper's figure: ``small_reward`` for swimming left in state 0 (so
    ``R[0, 0] = small_reward``) and ``large_reward`` for holding position at the right
    bank while swimming right (so ``R[n-1, 1] = p_forward * large_reward``); all other
    rewards are 0. The initial state is 0 or 1 with probability 1/2 each, as in the
    paper.

    The paper's rewards are 5 and 10000; the defaults 5/1000 and 1 are the rescaling
    into ``[0, 1]`` popularised by Osband, Russo and Van Roy (2013). Their variant also
    changes the dynamics (swimming right: advance 0.35 / stay 0.6 / back 0.05 in the
    middle, advance 0.6 / stay 0.4 at the left bank, stay 0.6 / back 0.4 at the right
    bank) and pays the large reward on the action rather than on the transition; that
    variant is *not* reproduced here (the middle-state probabilities can be set with
    ``p_forward=0.35, p_backward=0.05``, the banks cannot).

    Parameters
    ----------
    n_states : int in [2, 10**9]
        Number of states ``n`` (6 in the paper); ``2 n^2 <= 10**9`` (dense ``P``).
    p_forward : float
        Probability that swimming right succeeds (advances, or holds at the right bank).
    p_backward : float
        Probability that swimming right in a middle state is swept one state back;
        ``p_forward + p_backward <= 1``.
    small_reward, large_reward : float
        Transition rewards at the left and right banks, see above.
    gamma, horizon
        The criterion (see the module docstring); default ``gamma = DEFAULT_GAMMA``.

    Returns
    -------
    FiniteMDP
        Dense, ``P`` of shape (n, 2, n).

    References
    ----------
    A. L. Strehl and M. L. Littman, "An analysis of model-based interval estimation for
    Markov decision processes", *Journal of Computer and System Sciences*
    74(8):1309-1331, 2008, Section 6 and Figure 2.

    I. Osband, D. Russo and B. Van Roy, "(More) efficient reinforcement learning via
    posterior sampling", NeurIPS 2013.

    Examples
    --------
    >>> mdp = river_swim()
    >>> mdp.P[2, 1, 1:4].tolist(), float(mdp.R[0, 0]), mdp.initial.tolist()
    ([0.1, 0.6, 0.3], 0.005, [0.5, 0.5, 0.0, 0.0, 0.0, 0.0])
    """
    n, p_fwd, p_back, small, large = n_states, p_forward, p_backward, small_reward, large_reward
    if p_fwd + p_back > 1.0:
        raise InvalidParameterError(
            "p_backward", f"p_forward, p_backward must sum to at most 1, got {p_fwd} + {p_back} = {p_fwd + p_back}"
        )
    crit = _criterion(gamma, horizon)
    _check_entries(2 * n * n, "n_states", f"RiverSwim with {n} states")

    P = np.zeros((n, 2, n))
    s = np.arange(n)
    P[s, 0, np.maximum(s - 1, 0)] = 1.0
    mid = np.arange(1, n - 1)
    P[mid, 1, mid + 1] = p_fwd
    P[mid, 1, mid] = 1.0 - p_fwd - p_back
    P[mid, 1, mid - 1] = p_back
    P[0, 1, 0] = 1.0 - p_fwd
    P[0, 1, 1] = p_fwd
    P[n - 1, 1, n - 1] = p_fwd
    P[n - 1, 1, n - 2] = 1.0 - p_fwd
    R = np.zeros((n, 2))
    R[0, 0] = small
    R[n - 1, 1] = p_fwd * large
    initial = np.zeros(n)
    initial[:2] = 0.5
    return FiniteMDP(P, R, initial=initial, **crit)


@validate_params(
    n_states=Integer(2, MAX_SIZE),
    slip=_PROB,
    small_reward=_REWARD,
    large_reward=_REWARD,
    gamma=_GAMMA,
    horizon=_HORIZON,
)
def chain(
    n_states: int = 5,
    *,
    slip: float = 0.2,
    small_reward: float = 2.0,
    large_reward: float = 10.0,
    gamma: float | None = None,
    horizon: int | None = None,
) -> FiniteMDP:
    """The n-chain of Dearden, Friedman and Russell (1998) and Strens (2000).

    States ``0..n-1``, start in state 0. Action 0 (*forward*) moves one state right,
    reward 0, except in the last state where it stays and pays ``large_reward``.
    Action 1 (*back*) returns to state 0 and pays ``small_reward``. With probability
    ``slip`` the agent "slips" and the *other* action is executed (with its transition
    and its reward), so the expected rewards are

    * ``R[s, 0] = slip * small_reward`` for ``s < n-1`` and
      ``(1 - slip) * large_reward + slip * small_reward`` for ``s = n-1``;
    * ``R[s, 1] = (1 - slip) * small_reward`` for ``s < n-1`` and
      ``(1 - slip) * small_reward + slip * large_reward`` for ``s = n-1``.

    The defaults (5 states, slip 0.2, rewards 2 and 10) are the papers'; the myopic
    policy (always *back*) is a trap, the optimal one goes forward. The papers discount
    with ``gamma = 0.99``; pass it to reproduce them.

    Parameters
    ----------
    n_states : int in [2, 10**9]
        Chain length ``n``; ``2 n^2 <= 10**9`` (dense ``P``).
    slip : float
        Probability in ``[0, 1]`` that the opposite action is executed.
    small_reward, large_reward : float
        Reward of going back, and of moving forward at the end of the chain.
    gamma, horizon
        The criterion (see the module docstring); default ``gamma = DEFAULT_GAMMA``.

    Returns
    -------
    FiniteMDP
        Dense, ``P`` of shape (n, 2, n), initial state 0.

    References
    ----------
    R. Dearden, N. Friedman and S. Russell, "Bayesian Q-learning", AAAI 1998, Figure 1.

    M. Strens, "A Bayesian framework for reinforcement learning", ICML 2000, Section 5.

    Examples
    --------
    >>> mdp = chain()
    >>> mdp.P[1, 0].tolist(), mdp.R[4].tolist()
    ([0.2, 0.0, 0.8, 0.0, 0.0], [8.4, 3.6])
    """
    n, small, large = n_states, small_reward, large_reward
    crit = _criterion(gamma, horizon)
    _check_entries(2 * n * n, "n_states", f"a chain of {n} states")

    s = np.arange(n)
    fwd = np.minimum(s + 1, n - 1)
    # Transition and reward of each *executed* action.
    exec_P = np.zeros((n, 2, n))
    exec_P[s, 0, fwd] = 1.0
    exec_P[s, 1, 0] = 1.0
    exec_R = np.zeros((n, 2))
    exec_R[n - 1, 0] = large
    exec_R[:, 1] = small
    P = (1.0 - slip) * exec_P + slip * exec_P[:, ::-1, :]
    R = (1.0 - slip) * exec_R + slip * exec_R[:, ::-1]
    initial = np.zeros(n)
    initial[0] = 1.0
    return FiniteMDP(P, R, initial=initial, **crit)


@validate_params(
    horizon=Integer(1, MAX_HORIZON),
    n_actions=_SIZE,
    combination=Array("int", ndim=1, shape=("horizon",)) | None,
    reward=_REWARD,
    digit_reward=_REWARD,
    rng=RNG(),
)
def combination_lock(
    horizon: int,
    n_actions: int = 2,
    *,
    combination: Any = None,
    reward: float = 1.0,
    digit_reward: float = 0.0,
    rng: RNGLike = None,
) -> FiniteMDP:
    """A finite-horizon combination lock: one secret action sequence earns the reward.

    States ``0..H-1`` form the good chain (the agent is in state ``t`` at step ``t`` as
    long as it has entered the combination correctly), state ``H`` is the opened lock
    and state ``H+1`` is the dead state. In good state ``t`` the secret action
    ``combination[t]`` advances to ``t + 1`` (from ``H-1``: opens the lock and pays
    ``reward``); any other action drops to the dead state. The opened lock and the dead
    state are absorbing with zero reward (terminal). Everything is deterministic and the
    episode starts in state 0, so the secret sequence earns ``reward`` and every other
    action sequence earns 0: a uniformly random policy finds the reward with probability
    ``A**-H``, the classic hard-exploration instance.

    The combination is recoverable from the model: ``combination[t]`` is the action
    ``a`` with ``P[t, a, t + 1] == 1`` (``P[H-1, a, H] == 1`` at the last step).

    Parameters
    ----------
    horizon : int in [1, 10**6]
        ``H``, the number of steps (and of digits of the combination).
    n_actions : int in [1, 10**9]
        ``A`` actions per step; ``(H + 2)^2 A <= 10**9`` (dense ``P``).
    combination : array_like of int, shape (H,), optional
        The secret actions; drawn uniformly from ``rng`` when omitted.
    reward : float
        Reward for opening the lock.
    digit_reward : float
        Reward for each correct digit before the last (default 0: the sparse lock). A
        positive value makes the lock easy for greedy-over-random methods (``Q^rand``
        then ranks the right digit first with a gap that does not shrink with ``H``).
    rng : Generator, int or None
        Randomness for the combination.

    Returns
    -------
    FiniteMDP
        Finite horizon ``H``, dense ``P`` of shape (H+2, A, H+2), initial state 0,
        terminal states ``H`` and ``H+1``.

    References
    ----------
    D. Misra, M. Henaff, A. Krishnamurthy and J. Langford, "Kinematic state abstraction
    and provably efficient rich-observation reinforcement learning", ICML 2020 (the
    lock as an exploration benchmark).

    C. Laidlaw, S. Russell and A. Dragan, "Bridging RL theory and practice with the
    effective horizon", NeurIPS 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import evaluate_policy
    >>> mdp = combination_lock(3, 2, combination=[1, 0, 1])
    >>> secret = np.array([1, 0, 1, 0, 0])
    >>> float(evaluate_policy(mdp, secret).V[0, 0])
    1.0
    >>> float(evaluate_policy(mdp, np.zeros(5, dtype=int)).V[0, 0])
    0.0
    """
    H, A, value, step_value = horizon, n_actions, reward, digit_reward
    _check_entries((H + 2) * A * (H + 2), "horizon", f"a combination lock with H={H}, A={A}")
    if combination is None:
        combo = _as_generator(rng).integers(0, A, size=H, dtype=np.int64)
    else:
        bad = (combination < 0) | (combination >= A)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidParameterError(
                "combination", f"actions must lie in [0, {A}), found {int(combination[i])} at index {i}"
            )
        combo = combination
    S = H + 2
    opened, dead = H, H + 1
    P = np.zeros((S, A, S))
    t = np.arange(H)
    P[t, :, dead] = 1.0
    P[t, combo, dead] = 0.0
    P[t, combo, t + 1] = 1.0  # t + 1 == opened for t == H - 1
    P[opened, :, opened] = 1.0
    P[dead, :, dead] = 1.0
    R = np.zeros((S, A))
    R[t[:-1], combo[:-1]] = step_value
    R[H - 1, combo[H - 1]] = value
    initial = np.zeros(S)
    initial[0] = 1.0
    terminal = np.zeros(S, dtype=bool)
    terminal[[opened, dead]] = True
    return FiniteMDP(P, R, horizon=H, initial=initial, terminal=terminal)


@validate_params(
    n_states=Integer(2, MAX_SIZE),
    r1=_REWARD,
    r2=_REWARD,
    p=_PROB,
    gamma=_GAMMA,
    horizon=_HORIZON,
)
def forest(
    n_states: int = 3,
    r1: float = 4.0,
    r2: float = 2.0,
    p: float = 0.1,
    *,
    gamma: float | None = None,
    horizon: int | None = None,
) -> FiniteMDP:
    """The forest-management MDP of pymdptoolbox (``mdptoolbox.example.forest``).

    States ``0..S-1`` are the age classes of a forest (``S-1`` the oldest). Each year
    action 0 (*wait*) lets the forest age by one class (the oldest stays oldest) unless
    a fire, with probability ``p``, burns it back to state 0; action 1 (*cut*) returns
    it to state 0 with certainty. Rewards: waiting pays ``r1`` in the oldest state and
    0 elsewhere; cutting pays 0 in state 0, 1 in the middle states and ``r2`` in the
    oldest. The same numbers as pymdptoolbox, whose ``P`` is ``P_ours.transpose(1, 0,
    2)`` (shape (A, S, S)) and whose ``R`` has our shape (S, A).

    Parameters
    ----------
    n_states : int in [2, 10**9]
        Number of age classes ``S``; ``2 S^2 <= 10**9`` (dense ``P``).
    r1, r2 : float
        Rewards for waiting and for cutting in the oldest state (pymdptoolbox requires
        them positive; any finite value is accepted here).
    p : float
        Yearly fire probability in ``[0, 1]``.
    gamma, horizon
        The criterion (see the module docstring); default ``gamma = DEFAULT_GAMMA``.

    Returns
    -------
    FiniteMDP
        Dense, ``P`` of shape (S, 2, S), uniform initial distribution.

    References
    ----------
    S. Cordwell et al., pymdptoolbox, ``mdptoolbox.example.forest`` (after the MDPtoolbox
    for MATLAB by I. Chadès, M.-J. Cros, F. Garcia and R. Sabbadin, INRA).

    Examples
    --------
    >>> mdp = forest()
    >>> mdp.P[:, 0, :].tolist()
    [[0.1, 0.9, 0.0], [0.1, 0.0, 0.9], [0.1, 0.0, 0.9]]
    >>> mdp.R.tolist()
    [[0.0, 0.0], [0.0, 1.0], [4.0, 2.0]]
    """
    S = n_states
    crit = _criterion(gamma, horizon)
    _check_entries(2 * S * S, "n_states", f"a forest of {S} age classes")
    s = np.arange(S)
    P = np.zeros((S, 2, S))
    P[s, 0, 0] = p
    P[s, 0, np.minimum(s + 1, S - 1)] = 1.0 - p
    P[s, 1, 0] = 1.0
    R = np.zeros((S, 2))
    R[S - 1, 0] = r1
    R[1:, 1] = 1.0
    R[S - 1, 1] = r2
    return FiniteMDP(P, R, **crit)
