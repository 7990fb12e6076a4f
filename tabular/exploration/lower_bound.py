"""Minimax lower bounds on the regret of any learner in a finite MDP.

No learner, however clever, can beat these on every MDP: for any algorithm there is an
MDP of the stated size on which its *expected* regret is at least the bound. They are the
yardstick for the upper bounds of :mod:`tabular.exploration` (an upper bound within a
constant of the lower bound is minimax optimal) and for measured regret curves (a
learner's regret on the hard instance cannot fall below them; on an easy MDP it can).

Episodic, stage-dependent transitions (Domingues, Menard, Kaufmann, Valko 2021, Thm. 9)::

    E[Regret(K)] >= c_D * sqrt(H^3 S A K),    c_D = 1 / (48 sqrt(6))

for ``K`` episodes of ``H`` steps, ``S`` states and ``A`` actions, once ``S >= 6``,
``A >= 2``, ``H >= 3 log_A(S)`` and ``K >= H S A``. Their hard MDPs are a waiting
state, an ``A``-ary tree that leads to ``~S`` leaves, and a good and a bad absorbing
state; one (stage, leaf, action) triple leads to the good state with a slightly higher
probability, so the learner faces a bandit with ``~H S A`` arms whose rewards are worth
``~H``.

Episodic, stage-*independent* transitions: a stage-dependent MDP with ``S0`` states is a
stationary MDP on the ``H S0`` pairs (state, stage), so the bound above with
``S0 = floor(S / H)`` holds for stationary MDPs with ``S`` states, which is
``~ c_D sqrt(H^2 S A K)`` (the order Domingues et al. state for this case; the
reduction, and hence the constant, is ours).

Average reward (Jaksch, Ortner, Auer 2010, Thm. 5)::

    E[Regret(T)] >= 0.015 sqrt(D S A T)

after ``T`` steps in a communicating MDP of diameter ``D``, once ``S, A >= 10``,
``D >= 20 log_A(S)`` and ``T >= D S A``.

Outside these conditions the theorems say nothing, so both functions refuse such
arguments with an :class:`~rlcore.validation.InvalidParameterError` naming the argument
that breaks a condition (``check=False`` returns the formula anyway, e.g. to draw it on
a plot, with no guarantee attached).

What the statements rest on
---------------------------
Neither paper's text could be opened while this module was written. Jaksch et al.'s
Theorem 5 is the widely quoted statement (``0.015``, ``S, A >= 10``,
``D >= 20 log_A S``, ``T >= D S A``, expected regret ``T rho* - sum_t r_t`` from any
initial state), which we are confident of. For Domingues et al. the
constant ``1 / (48 sqrt 6)`` and the conditions above are as we recall their Theorem 9
(stated with ``T`` = number of episodes). The conditions we enforce are meant to be at
least as strict as theirs (their tree depth ``d`` is at most ``log_A(S)``, and their
requirement on ``K`` is at most ``H S A``); check the constant against arXiv:2010.03531
before relying on its exact value. The order ``sqrt(H^3 S A K)`` is certain.

References
----------
O. D. Domingues, P. Menard, E. Kaufmann, M. Valko, "Episodic reinforcement learning in
finite MDPs: minimax lower bounds revisited", ALT 2021 (arXiv:2010.03531).

T. Jaksch, R. Ortner, P. Auer, "Near-optimal regret bounds for reinforcement learning",
JMLR 11:1563-1600, 2010.
"""

from __future__ import annotations

import math

from rlcore.validation import Bool, Integer, InvalidParameterError, Real, validate_params

__all__ = ["DOMINGUES_CONSTANT", "JAKSCH_CONSTANT", "average_reward_regret_lower_bound", "episodic_regret_lower_bound"]

#: ``1 / (48 sqrt 6)``, the constant of Domingues et al. (2021), Thm. 9 (as recalled; see the module docstring).
DOMINGUES_CONSTANT = 1.0 / (48.0 * math.sqrt(6.0))

#: ``0.015``, the constant of Jaksch, Ortner and Auer (2010), Thm. 5.
JAKSCH_CONSTANT = 0.015

_MAX = 10**12


def _refuse(name: str, condition: str, value: object) -> InvalidParameterError:
    return InvalidParameterError(
        name, f"the theorem needs {condition}, got {value}; pass check=False for the formula without its guarantee"
    )


@validate_params(
    n_states=Integer(1, _MAX),
    n_actions=Integer(1, _MAX),
    horizon=Integer(1, 10**6),
    n_episodes=Integer(1, _MAX),
    stage_dependent=Bool(),
    check=Bool(),
)
def episodic_regret_lower_bound(
    n_states: int,
    n_actions: int,
    horizon: int,
    n_episodes: int,
    *,
    stage_dependent: bool = True,
    check: bool = True,
) -> float:
    """Minimax lower bound on the expected regret after ``K`` episodes of an episodic MDP.

    Parameters
    ----------
    n_states : int in [1, 10**12]
        ``S``.
    n_actions : int in [1, 10**12]
        ``A``.
    horizon : int in [1, 10**6]
        ``H``, steps per episode.
    n_episodes : int in [1, 10**12]
        ``K``.
    stage_dependent : bool, default True
        True: transitions may depend on the step (Domingues et al. 2021, Thm. 9):
        ``c_D sqrt(H^3 S A K)``. False: one transition kernel for every step, through
        the (state, stage) reduction: ``c_D sqrt(H^3 floor(S / H) A K)``.
    check : bool, default True
        Refuse arguments outside the theorem's conditions (see Raises). False returns
        the formula regardless (0 when ``floor(S / H) = 0``), with no guarantee.

    Returns
    -------
    float
        ``B`` such that for every algorithm some MDP of this size has
        ``E[sum_{k<K} (V*_0 - V^{pi_k}_0)] >= B`` (rewards in [0, 1]).

    Raises
    ------
    InvalidParameterError
        With ``check=True``, naming the first broken condition: ``n_states`` (``S0 >= 6``
        where ``S0 = S``, or ``floor(S / H)`` when stationary), ``n_actions``
        (``A >= 2``), ``horizon`` (``H >= 3 log_A(S0)``) or ``n_episodes``
        (``K >= H S0 A``).

    Guarantee
    ---------
    Domingues, Menard, Kaufmann, Valko (2021), Theorem 9 (constant as recalled, see the
    module docstring); the stationary case by embedding. Tested by
    ``tests/tabular/exploration/test_lower_bound.py::test_episodic_scaling_is_exact``,
    ``tests/tabular/exploration/test_lower_bound.py::test_episodic_conditions_are_enforced``
    and ``tests/tabular/exploration/test_lower_bound.py::test_lower_bound_below_upper_bounds``.

    Examples
    --------
    >>> round(episodic_regret_lower_bound(6, 2, 10, 10_000), 3)
    93.169
    >>> episodic_regret_lower_bound(6, 2, 10, 10_000, stage_dependent=False)
    Traceback (most recent call last):
    ...
    rlcore.validation.InvalidParameterError: n_states: the theorem needs floor(S / H) >= 6 (a stationary MDP holds a stage-dependent one with floor(S / H) states), got floor(6 / 10) = 0; pass check=False for the formula without its guarantee
    """
    S, A, H, K = n_states, n_actions, horizon, n_episodes
    S0 = S if stage_dependent else S // H
    if check:
        if S0 < 6:
            if stage_dependent:
                raise _refuse("n_states", "S >= 6", S)
            raise _refuse(
                "n_states",
                "floor(S / H) >= 6 (a stationary MDP holds a stage-dependent one with floor(S / H) states)",
                f"floor({S} / {H}) = {S0}",
            )
        if A < 2:
            raise _refuse("n_actions", "A >= 2", A)
        if H < 3.0 * math.log(S0) / math.log(A):
            raise _refuse("horizon", f"H >= 3 log_A(S) = {3.0 * math.log(S0) / math.log(A):.4g} (S = {S0})", H)
        if K < H * S0 * A:
            raise _refuse("n_episodes", f"K >= H S A = {H * S0 * A} (S = {S0})", K)
    return DOMINGUES_CONSTANT * math.sqrt(float(H) ** 3 * S0 * A * K)


@validate_params(
    diameter=Real(0, None, closed="neither"),
    n_states=Integer(1, _MAX),
    n_actions=Integer(1, _MAX),
    n_steps=Integer(1, 10**15),
    check=Bool(),
)
def average_reward_regret_lower_bound(
    diameter: float, n_states: int, n_actions: int, n_steps: int, *, check: bool = True
) -> float:
    """Minimax lower bound ``0.015 sqrt(D S A T)`` on the average-reward regret after ``T`` steps.

    Parameters
    ----------
    diameter : float > 0
        ``D``, the diameter (the largest expected time to travel between two states
        under the best policy for that pair).
    n_states : int in [1, 10**12]
        ``S``.
    n_actions : int in [1, 10**12]
        ``A``.
    n_steps : int in [1, 10**15]
        ``T``.
    check : bool, default True
        Refuse arguments outside the theorem's conditions (see Raises). False returns
        the formula regardless, with no guarantee.

    Returns
    -------
    float
        ``B`` such that for every algorithm some communicating MDP with these ``S``,
        ``A`` and diameter ``D`` has expected regret ``E[T rho* - sum_t r_t] >= B`` from
        every initial state (rewards in [0, 1]).

    Raises
    ------
    InvalidParameterError
        With ``check=True``, naming the first broken condition: ``n_states``
        (``S >= 10``), ``n_actions`` (``A >= 10``), ``diameter`` (``D >= 20 log_A(S)``)
        or ``n_steps`` (``T >= D S A``).

    Guarantee
    ---------
    Jaksch, Ortner, Auer (2010), Theorem 5. Tested by
    ``tests/tabular/exploration/test_lower_bound.py::test_average_reward_scaling_is_exact`` and
    ``tests/tabular/exploration/test_lower_bound.py::test_average_reward_conditions_are_enforced``.

    Examples
    --------
    >>> round(average_reward_regret_lower_bound(20.0, 10, 10, 100_000), 3)
    212.132
    """
    D, S, A, T = diameter, n_states, n_actions, n_steps
    if check:
        if S < 10:
            raise _refuse("n_states", "S >= 10", S)
        if A < 10:
            raise _refuse("n_actions", "A >= 10", A)
        if D < 20.0 * math.log(S) / math.log(A):
            raise _refuse("diameter", f"D >= 20 log_A(S) = {20.0 * math.log(S) / math.log(A):.4g}", D)
        if T < D * S * A:
            raise _refuse("n_steps", f"T >= D S A = {D * S * A:.6g}", T)
    return JAKSCH_CONSTANT * math.sqrt(D * S * A * float(T))
