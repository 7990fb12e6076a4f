"""Policies for piecewise-stationary arms: discounted and sliding-window UCB.

Both forget old rewards, so that they track arms whose means change at unknown
breakpoints (:class:`bandits.PiecewiseStationaryBandit`); both run on the compiled
engine of :func:`bandits.simulate` like the stationary policies of
:mod:`bandits.stochastic.policies`, with the same Python twin.

==========================  ================================  ===============================
policy                      index / rule                      guarantee
==========================  ================================  ===============================
:class:`DiscountedUCB`      UCB on discounted statistics      Garivier and Moulines 2011
:class:`SlidingWindowUCB`   UCB on the last ``tau`` rounds    Garivier and Moulines 2011
==========================  ================================  ===============================
"""

from __future__ import annotations

import math

import numpy as np

from bandits.stochastic import _kernels as _k
from bandits._constraints import MAX_HORIZON, POSITIVE
from bandits.stochastic.policies import _BuiltinPolicy
from rlcore.validation import (
    MAX_SAMPLES,
    Integer,
    InvalidParameterError,
    Real,
    validate_params,
)

__all__ = ["DiscountedUCB", "SlidingWindowUCB"]


#: The arguments of the non-stationary policies' ``tuned`` constructors.
_TUNING = {
    "horizon": Integer(2, MAX_HORIZON),
    "n_breakpoints": Integer(1, MAX_HORIZON),
    "B": POSITIVE,
    "alpha": POSITIVE,
}


@validate_params(gamma=Real(0, 1, closed="neither"), alpha=POSITIVE)
class DiscountedUCB(_BuiltinPolicy):
    """Discounted UCB (D-UCB) for piecewise-stationary arms.

    Statistics decay by ``gamma`` each round: ``N_k = sum_s gamma^(t-1-s) 1{A_s = k}``
    and ``S_k`` likewise with the rewards. After one pull of each arm, the policy pulls
    ``argmax_k S_k / N_k + sqrt(alpha ln(n) / N_k)``, ``n = sum_k N_k``; with rewards in
    ``[0, B]``, Garivier and Moulines' padding ``2 B sqrt(xi ln n / N_k)`` is
    ``alpha = 4 B^2 xi`` (their experiments: ``B = 1``, ``xi = 0.6``, so ``alpha = 2.4``;
    from memory of the paper, consistent with public implementations). An arm whose
    discounted count has underflowed to 0 has an infinite index, like an unplayed one.

    Parameters
    ----------
    gamma : float in (0, 1)
        Discount. :meth:`tuned` gives Garivier and Moulines' choice
        ``1 - sqrt(Upsilon / T) / (4 B)`` for ``Upsilon`` breakpoints in ``T`` rounds.
    alpha : float > 0

    Guarantee
    ---------
    With that tuning, on rewards in ``[0, B]`` whose means change at most ``Upsilon``
    times, the expected number of pulls of suboptimal arms is
    ``O(sqrt(T Upsilon) log T)`` (Garivier and Moulines 2011, Theorem 1 and its
    corollary), within a ``log T`` factor of their ``Omega(sqrt(T))`` lower bound.
    The constants are not explicit; no bound function is provided. The guarantee is
    worst-case: on the instances we tried (``docs/theory/bandits.md``) UCB1's growing
    bonus adapts too and its regret is lower than D-UCB's, while Beta-Thompson
    sampling, which never forgets, does worse.
    Tested by
    ``tests/bandits/test_nonstationary.py::test_tuned_regret_grows_like_sqrt_t_log_t_and_thompson_does_not``
    (the growth from ``T`` to ``4T``).

    References
    ----------
    A. Garivier, E. Moulines, On upper-confidence bound policies for switching bandit
    problems, *ALT* 2011. T. Lattimore, C. Szepesvari, *Bandit Algorithms*, 2020,
    Section 31.3 (notes).

    Examples
    --------
    >>> from bandits import PiecewiseStationaryBandit, simulate
    >>> env = PiecewiseStationaryBandit([[0.9, 0.1], [0.1, 0.9]], [500])
    >>> res = simulate(env, DiscountedUCB.tuned(1000, 2), 1000, n_runs=4, rng=0)
    >>> res.pseudo_regret.shape
    (4, 1000)
    """

    _code = _k.DUCB

    def __init__(self, gamma: float, *, alpha: float = 2.4) -> None:
        self.gamma = gamma
        self.alpha = alpha

    @classmethod
    @validate_params(**_TUNING)
    def tuned(cls, horizon: int, n_breakpoints: int, *, B: float = 1.0, alpha: float = 2.4) -> DiscountedUCB:
        """D-UCB with ``gamma = 1 - sqrt(n_breakpoints / horizon) / (4 B)``.

        ``horizon`` in ``[2, 10**9]``, ``n_breakpoints`` in ``[1, 10**9]``, ``B > 0``,
        ``alpha > 0``; the tuned discount must lie in ``(0, 1)``.
        """
        T, u, b = horizon, n_breakpoints, B
        gamma = 1.0 - math.sqrt(u / T) / (4.0 * b)
        if not 0.0 < gamma < 1.0:
            raise InvalidParameterError(
                "n_breakpoints", f"the tuned discount 1 - sqrt({u}/{T})/(4*{b}) is not in (0, 1)"
            )
        return cls(gamma, alpha=alpha)

    def _params(self) -> np.ndarray:
        return np.array([self.gamma, self.alpha])


@validate_params(window=Integer(1, MAX_SAMPLES), alpha=POSITIVE)
class SlidingWindowUCB(_BuiltinPolicy):
    """Sliding-window UCB (SW-UCB) for piecewise-stationary arms.

    Only the last ``tau`` rounds count: with ``N_k`` and ``S_k`` the pulls of arm ``k``
    and their rewards in that window, an arm not pulled in the window is pulled first,
    else ``argmax_k S_k / N_k + sqrt(alpha ln(min(t - 1, tau)) / N_k)`` (``t - 1``
    rounds played). Garivier and Moulines' SW-UCB padding ``B sqrt(xi ln(.) / N_k)``
    (without the factor 2 of their D-UCB padding) is ``alpha = B^2 xi``; the default
    0.6 is their ``B = 1``, ``xi = 0.6``. The padding constant is from memory of the
    paper and agrees with public implementations; its text was not readable here.

    Parameters
    ----------
    window : int in [1, 10**12]
        ``tau`` (a window longer than the run never evicts; the ring buffer is sized
        ``min(tau, horizon)``). :meth:`tuned` gives Garivier and Moulines' choice
        ``2 B sqrt(T ln(T) / Upsilon)`` for ``Upsilon`` breakpoints in ``T`` rounds.
        Every arm needs a pull in each window, so with ``window <= K`` (arms) the
        policy only cycles through the arms.
    alpha : float > 0

    Guarantee
    ---------
    With that tuning, the expected number of pulls of suboptimal arms is
    ``O(sqrt(T Upsilon ln T))`` (Garivier and Moulines 2011, Theorem 2 and its
    corollary). The constants are not explicit; no bound function is provided.
    Tested by
    ``tests/bandits/test_nonstationary.py::test_tuned_regret_grows_like_sqrt_t_log_t_and_thompson_does_not``
    (the growth from ``T`` to ``4T``).

    References
    ----------
    A. Garivier, E. Moulines, On upper-confidence bound policies for switching bandit
    problems, *ALT* 2011.

    Examples
    --------
    >>> SlidingWindowUCB.tuned(10_000, 4).window
    304
    """

    _code = _k.SWUCB

    def __init__(self, window: int, *, alpha: float = 0.6) -> None:
        self.window = window
        self.alpha = alpha

    @classmethod
    @validate_params(**_TUNING)
    def tuned(cls, horizon: int, n_breakpoints: int, *, B: float = 1.0, alpha: float = 0.6) -> SlidingWindowUCB:
        """SW-UCB with ``tau = ceil(2 B sqrt(horizon ln(horizon) / n_breakpoints))``.

        ``horizon`` in ``[2, 10**9]``, ``n_breakpoints`` in ``[1, 10**9]``, ``B > 0``,
        ``alpha > 0``; the tuned window must not exceed ``10**12``.
        """
        T, u, b = horizon, n_breakpoints, B
        tau = 2.0 * b * math.sqrt(T * math.log(T) / u)
        if not tau <= MAX_SAMPLES:
            raise InvalidParameterError(
                "B", f"the tuned window 2 B sqrt(T ln T / n_breakpoints) = {tau:.3g} exceeds {MAX_SAMPLES}"
            )
        return cls(max(1, math.ceil(tau)), alpha=alpha)

    def _params(self) -> np.ndarray:
        return np.array([float(self.window), self.alpha])
