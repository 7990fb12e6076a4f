r"""The hedging problem as a batched simulator: one period of the P&L per step.

:class:`HedgingEnv` presents the accounting of :mod:`finance_apps.pnl` through the
:class:`rlcore.Simulator` protocol (``reset(n, rng)``, ``step(states, actions, rng, *, t)``)
over a fixed scenario set of price paths, so that any learner of the library (or a
Gymnasium agent, through :mod:`rlcore`'s adapter) can be trained to hedge: the
undiscounted return of an episode is :func:`finance_apps.hedging_pnl` of the holdings it
chose, with premium 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from finance_apps._constraints import MAX_PATHS
from finance_apps._hedging_inputs import CLAIM, COST, PRICES, check_claim, check_costs, check_paths
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import Bool, InvalidParameterError, as_float_array, check_int, validate_params

__all__ = ["HedgingEnv"]


@validate_params(prices=PRICES, payoff=CLAIM, cost=COST, liquidate=Bool())
class HedgingEnv:
    r"""The hedging problem as a batched :class:`rlcore.Simulator`.

    A state is a row ``(path, k, S_k (d entries), delta_{k-1} (d entries))``; the
    action is the new holding :math:`\delta_k` of shape ``(n, d)``; the reward of step
    ``k`` is :math:`\delta_k \cdot (S_{k+1} - S_k) - c\,|\delta_k - \delta_{k-1}|\,S_k`,
    and the last step also pays :math:`-Z` (and the unwind cost if ``liquidate``), so
    that the undiscounted return of an episode is :func:`finance_apps.hedging_pnl` with premium 0.

    Parameters
    ----------
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
        The scenario set (prices > 0); :meth:`reset` draws paths from it uniformly with
        replacement.
    payoff : array_like of shape (n_paths,)
    cost : float or array_like of shape (n_assets,), in [0, 1], default 0
    liquidate : bool, default False

    Examples
    --------
    >>> S = np.array([[[1.0], [1.1]], [[1.0], [0.9]]])
    >>> env = HedgingEnv(S, np.array([0.1, 0.0]))
    >>> s = env.reset(2, rng=0)
    >>> _, r, done = env.step(s, np.full((2, 1), 0.5), t=0)
    >>> bool(done.all())
    True
    """

    def __init__(self, prices: Any, payoff: Any, cost: Any = 0.0, *, liquidate: bool = False) -> None:
        self.prices = check_paths(prices)
        self.payoff = check_claim(payoff, self.prices.shape[0])
        self.n_paths, n_dates, self.n_assets = self.prices.shape
        self.n_steps = n_dates - 1
        self.cost = check_costs(cost, self.n_assets)
        self.liquidate = liquidate
        self.horizon = self.n_steps

    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """Draw ``n`` (in [1, 10**8]) scenario paths; return states of shape (n, 2 + 2 * n_assets)."""
        n = check_int(n, "n", low=1, high=MAX_PATHS)
        gen = as_generator(rng)
        idx = gen.integers(self.n_paths, size=n)
        d = self.n_assets
        states = np.zeros((n, 2 + 2 * d))
        states[:, 0] = idx
        states[:, 2 : 2 + d] = self.prices[idx, 0]
        return states

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Hold ``actions`` (shape (n, n_assets)) over one period; see the class docstring."""
        x = as_float_array(states, "states", ndim=2)
        d = self.n_assets
        if x.shape[1] != 2 + 2 * d:
            raise InvalidParameterError("states", f"expected shape (n, {2 + 2 * d}), got {x.shape}")
        a = as_float_array(actions, "actions", ndim=(1, 2))
        if a.size != x.shape[0] * d:
            raise InvalidParameterError("actions", f"expected shape ({x.shape[0]}, {d}), got {a.shape}")
        a = a.reshape(x.shape[0], d)
        idx = x[:, 0].astype(np.int64)
        k = x[:, 1].astype(np.int64)
        if np.any(idx < 0) or np.any(idx >= self.n_paths) or np.any(x[:, 0] != idx):
            raise InvalidParameterError("states", f"column 0 must hold scenario indices in [0, {self.n_paths})")
        if t is not None and np.any(k != t):
            raise InvalidParameterError("t", f"the states are at date {int(k[0])}, got t={t}")
        if np.any(k >= self.n_steps) or np.any(k < 0):
            raise InvalidParameterError("states", "the episode has already terminated")
        S0 = self.prices[idx, k]
        S1 = self.prices[idx, k + 1]
        prev = x[:, 2 + d :]
        reward = (a * (S1 - S0)).sum(axis=1) - (self.cost * np.abs(a - prev) * S0).sum(axis=1)
        done = k + 1 == self.n_steps
        reward = reward - np.where(done, self.payoff[idx], 0.0)
        if self.liquidate:
            reward = reward - np.where(done, (self.cost * np.abs(a) * S1).sum(axis=1), 0.0)
        nxt = x.copy()
        nxt[:, 1] = k + 1
        nxt[:, 2 : 2 + d] = S1
        nxt[:, 2 + d :] = a
        return nxt, reward, done

    def __repr__(self) -> str:
        return (
            f"HedgingEnv(n_paths={self.n_paths}, n_steps={self.n_steps}, n_assets={self.n_assets}, "
            f"cost={np.atleast_1d(self.cost).tolist()}, liquidate={self.liquidate})"
        )
