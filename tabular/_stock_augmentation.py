"""The stock-augmented MDP (re-exported by :mod:`tabular.stock_augmented`).

:func:`stock_augment` pairs each state with the reward accumulated so far (exact, or on a
grid), :func:`truncate_discounted` turns a discounted MDP into a finite-horizon one with
rewards ``gamma^t R``; :class:`StockAugmentedMDP` holds the result. See
:mod:`tabular.stock_augmented` for the method and its guarantees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from rlcore.mdp import FiniteMDP
from rlcore.validation import MDP, Array, Integer, InvalidParameterError, Real, validate_params

__all__ = ["MAX_HORIZON", "MAX_STOCKS", "StockAugmentedMDP", "stock_augment", "truncate_discounted"]

#: refuse to build augmented transition matrices larger than this (about 1.2 GB in CSR)
_MAX_AUGMENTED_NNZ = 100_000_000
#: Most stock values (``max_stocks``), and most candidates solved at once (``batch``).
MAX_STOCKS = 10**6
#: Longest truncation of a discounted MDP (the limit of :class:`rlcore.FiniteMDP`'s horizon).
MAX_HORIZON = 10**6
#: Most entries ``H * S * A`` of the time-dependent rewards of a truncation.
_MAX_REWARD_ENTRIES = 10**8


# ---------------------------------------------------------------------------------
# the augmented MDP
# ---------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class StockAugmentedMDP:
    """A finite-horizon MDP augmented with the accumulated reward ("stock").

    Attributes
    ----------
    mdp : rlcore.FiniteMDP
        The augmented MDP: ``S * K`` states (index ``s * K + k``), the original actions
        and rewards, horizon ``H``, sparse ``P``; initial law ``initial[s]`` on
        ``(s, k0)``.
    original : rlcore.FiniteMDP
    stocks : ndarray of shape (K,)
        Sorted stock values.
    initial_stock : float
        ``c_0``; ``stocks[k0] == c_0``.
    next_stock : ndarray of int64, shape (H, S, K, A)
        Index of the stock after taking ``a`` in ``(s, stocks[k])`` at step ``t``.
    exact : bool
        True when the stock set is exactly the set of reachable stocks.
    grid_step : float or None
        Grid spacing when not exact.
    stock_error_bound : float
        ``max |augmented stock - (c_0 + accumulated reward)|`` over every trajectory:
        0 when exact; on a grid the smaller of ``H * grid_step / 2`` and the largest
        distance between a grid point and a possible stock (``max_stocks=1`` puts every
        stock at ``c_0``: the bound is then the range of the accumulated reward).
    final_stocks : ndarray of int64
        Indices of the stocks reachable at the horizon.
    truncation_error : float
        0 for a finite-horizon MDP. For a discounted one augmented over ``H`` steps:
        ``gamma^H max|R| / (1 - gamma)``, a bound on ``|G - G_H|`` along every
        trajectory, whatever the policy does after step ``H``.

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> aug = stock_augment(FiniteMDP(np.ones((1, 2, 1)), [[0.0, 1.0]], horizon=2))
    >>> aug
    StockAugmentedMDP(n_states=1, n_stocks=3, horizon=2, exact=True, stock_error_bound=0, truncation_error=0)
    >>> aug.stocks.tolist(), int(aug.encode(0, 2))
    ([0.0, 1.0, 2.0], 2)
    >>> state, stock = aug.decode(2); int(state), float(stock)
    (0, 2.0)
    """

    mdp: FiniteMDP
    original: FiniteMDP
    stocks: np.ndarray
    initial_stock: float
    next_stock: np.ndarray
    exact: bool
    grid_step: float | None
    stock_error_bound: float
    final_stocks: np.ndarray
    truncation_error: float = 0.0

    def __repr__(self) -> str:
        o = self.original
        return (
            f"StockAugmentedMDP(n_states={o.n_states}, n_stocks={self.n_stocks}, horizon={self.mdp.horizon}, "
            f"exact={self.exact}, stock_error_bound={self.stock_error_bound:.6g}, "
            f"truncation_error={self.truncation_error:.6g})"
        )

    @property
    def n_stocks(self) -> int:
        """Number ``K`` of stock values."""
        return int(self.stocks.size)

    def encode(self, state: Any, stock_index: Any) -> Any:
        """Augmented index ``state * K + stock_index`` (elementwise; integers in range)."""
        s = Array("int", low=0, high=self.original.n_states - 1, min_size=0).check(state, "state")
        k = Array("int", low=0, high=self.n_stocks - 1, min_size=0).check(stock_index, "stock_index")
        return s * self.n_stocks + k

    def decode(self, index: Any) -> tuple[Any, Any]:
        """``(state, stock value)`` of augmented indices (elementwise; integers in ``[0, S * K)``)."""
        idx = Array("int", low=0, high=self.mdp.n_states - 1, min_size=0).check(index, "index")
        return idx // self.n_stocks, self.stocks[idx % self.n_stocks]

    def stock_index(self, stock: Any) -> Any:
        """Index of the stock value nearest to ``stock`` (the rounding the MDP uses; finite reals)."""
        return _nearest(self.stocks, Array(min_size=0).check(stock, "stock"))


def _nearest(grid: np.ndarray, x: np.ndarray) -> np.ndarray:
    j = np.clip(np.searchsorted(grid, x), 1, max(grid.size - 1, 1))
    if grid.size == 1:
        return np.zeros_like(j)
    left = grid[j - 1]
    right = grid[j]
    return np.where(np.abs(x - left) <= np.abs(right - x), j - 1, j)


def _successor_csr(mdp: FiniteMDP, t: int) -> sp.csr_array:
    Pt = mdp.transitions_at(t)
    if mdp.is_sparse:
        M = sp.csr_array(Pt, copy=True)
    else:
        M = sp.csr_array(np.asarray(Pt).reshape(mdp.n_states * mdp.n_actions, mdp.n_states))
    M.eliminate_zeros()
    return M


def _reachable_stocks(mdp: FiniteMDP, c0: float, q: float, max_stocks: int) -> tuple[np.ndarray, bool]:
    """Sorted union of reachable stock values, or ``(partial, False)`` past ``max_stocks``."""
    H, _S, A = cast(int, mdp.horizon), mdp.n_states, mdp.n_actions
    states = np.flatnonzero(mdp.initial > 0)
    keys = np.full(states.size, int(np.rint(c0 / q)), dtype=np.int64)
    values: dict[int, float] = {int(keys[0]): c0}
    for t in range(H):
        M = _successor_csr(mdp, t)
        R = mdp.rewards_at(t)
        new_s, new_k = [], []
        for a in range(A):
            c_next = (np.array([values[int(k)] for k in keys]) + R[states, a]) if keys.size else np.empty(0)
            k_next = np.rint(c_next / q).astype(np.int64)
            for kk, cc in zip(k_next.tolist(), c_next.tolist()):
                values.setdefault(kk, cc)
            if len(values) > max_stocks:
                return np.empty(0), False
            rows = states * A + a
            counts = M.indptr[rows + 1] - M.indptr[rows]
            src = np.repeat(np.arange(rows.size), counts)
            dst = (
                np.concatenate([M.indices[M.indptr[r] : M.indptr[r + 1]] for r in rows])
                if rows.size
                else np.empty(0, np.int64)
            )
            new_s.append(dst.astype(np.int64))
            new_k.append(k_next[src])
        pairs = np.unique(np.stack([np.concatenate(new_s), np.concatenate(new_k)]), axis=1)
        states, keys = pairs[0], pairs[1]
    return np.array(sorted(values.values())), True


@validate_params(
    mdp=MDP(discounted=True, hint="a finite-horizon MDP needs no truncation"),
    horizon=Integer(1, MAX_HORIZON),
)
def truncate_discounted(mdp: FiniteMDP, horizon: int) -> tuple[FiniteMDP, float]:
    """The ``horizon``-step truncation of a discounted MDP, as a finite-horizon MDP.

    Rewards become time-dependent, ``R_t = gamma^t R``, so its (undiscounted)
    finite-horizon return is the truncated discounted return
    ``G_H = sum_{t<H} gamma^t R(S_t, A_t)``.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted.
    horizon : int in [1, 10**6]
        ``H``; the time-dependent rewards ``H * S * A`` may hold at most ``10**8`` entries.

    Returns
    -------
    truncated : rlcore.FiniteMDP
        Same ``P`` (dense or sparse), initial law and terminal states.
    tail_bound : float
        ``gamma^H max|R| / (1 - gamma)``.

    Guarantee
    ---------
    ``|G - G_H| <= tail_bound`` along every trajectory, whatever the actions after step
    ``H``; hence every statistic that moves by at most ``L`` times an almost-sure
    perturbation (``L = 1`` for the mean, CVaR and quantiles) differs by at most
    ``L * tail_bound`` between ``G`` and ``G_H``, for every policy, and so do their optima.
    Tested by ``tests/tabular/test_stock_augmented.py::test_truncation_tail_bounds_every_trajectory``
    (sampled trajectories) and
    ``tests/tabular/test_stock_augmented.py::test_discounted_mdp_through_truncation``
    (the optimal CVaR of two truncations within the sum of their tails).

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> m, tail = truncate_discounted(FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=0.5), 3)
    >>> m.R[:, 0, 0].tolist(), tail
    ([1.0, 0.5, 0.25], 0.25)
    """
    return _truncate(mdp, horizon)


def _truncate(mdp: FiniteMDP, H: int) -> tuple[FiniteMDP, float]:
    """:func:`truncate_discounted` on validated arguments."""
    if H * mdp.n_states * mdp.n_actions > _MAX_REWARD_ENTRIES:
        raise InvalidParameterError(
            "horizon",
            f"the truncation's rewards would hold H * S * A = {H * mdp.n_states * mdp.n_actions} entries, "
            f"more than {_MAX_REWARD_ENTRIES}",
        )
    g = float(mdp.gamma)  # type: ignore[arg-type]  # a discounted MDP (checked)
    R = (g ** np.arange(H))[:, None, None] * mdp.R[None]
    tail = g**H * float(np.max(np.abs(mdp.R))) / (1.0 - g)
    return FiniteMDP(mdp.P, R, horizon=H, initial=mdp.initial, terminal=mdp.terminal), tail


_STOCK_ARGS = dict(
    initial_stock=Real(),
    max_stocks=Integer(1, MAX_STOCKS),
    grid_step=Real(0, None, closed="neither") | None,
    horizon=Integer(1, MAX_HORIZON) | None,
)


@validate_params(mdp=MDP(), **_STOCK_ARGS)
def stock_augment(
    mdp: FiniteMDP,
    *,
    initial_stock: float = 0.0,
    max_stocks: int = 2000,
    grid_step: float | None = None,
    horizon: int | None = None,
) -> StockAugmentedMDP:
    """Augment a finite-horizon MDP with the accumulated reward (the stock).

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Finite horizon ``H``; dense or sparse, stationary or time-dependent.
    initial_stock : float
        ``c_0`` (0: the stock is the reward accumulated so far).
    max_stocks : int in [1, 10**6]
        Use the exact reachable stock set when it has at most this many values;
        otherwise an evenly spaced grid of ``max_stocks`` points over the range of
        possible stocks.
    grid_step : float > 0, optional
        Force a grid with this spacing (the grid spans every possible stock, and may
        have at most ``10 * max_stocks`` points).
    horizon : int in [1, 10**6], optional
        Discounted MDPs only: augment the ``horizon``-step truncation built by
        :func:`truncate_discounted` (its return is ``sum_{t<H} gamma^t R_t``).

    Returns
    -------
    StockAugmentedMDP

    Raises
    ------
    ValueError
        Discounted MDP without ``horizon``; ``horizon`` with a finite-horizon MDP; bad
        sizes; a grid with more than ``10 * max_stocks`` points; an augmented transition
        matrix with more than 10^8 stored entries (each an
        :class:`~rlcore.validation.InvalidParameterError` naming the argument).

    Guarantee
    ---------
    Exact mode: along every trajectory the stock component equals
    ``c_0 + sum_{u<t} R_u(s_u, a_u)`` (within the merge tolerance
    ``1e-9 max(1, scale)``). Grid mode: it is within ``t * grid_step / 2`` of it at
    step ``t`` (nearest-point rounding after each step; the grid covers every possible
    stock, so clamping never moves a stock away from the truth), and always within
    ``stock_error_bound``. Tested by
    ``tests/tabular/test_stock_augmented.py::test_stock_tracks_the_accumulated_reward_on_every_trajectory``
    (every path of the augmented MDP enumerated) and
    ``tests/tabular/test_stock_augmented.py::test_error_bound_of_a_single_stock_and_of_a_huge_grid_step``.

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> P = np.full((1, 2, 1), 1.0); R = np.array([[0.0, 1.0]])
    >>> aug = stock_augment(FiniteMDP(P, R, horizon=2))
    >>> aug.stocks, aug.exact, aug.mdp.n_states
    (array([0., 1., 2.]), True, 3)
    """
    truncation = 0.0
    if mdp.horizon is None:
        if horizon is None:
            raise InvalidParameterError(
                "horizon",
                "a discounted MDP is augmented over a truncated horizon; pass horizon=H (the return beyond H moves "
                "by at most gamma^H max|R| / (1 - gamma))",
            )
        mdp, truncation = _truncate(mdp, horizon)
    elif horizon is not None:
        raise InvalidParameterError("horizon", f"only for discounted MDPs; this one has horizon={mdp.horizon}")
    H, S, A = cast(int, mdp.horizon), mdp.n_states, mdp.n_actions
    c0 = initial_stock
    rmin = np.array([float(mdp.rewards_at(t).min()) for t in range(H)])
    rmax = np.array([float(mdp.rewards_at(t).max()) for t in range(H)])
    lo = c0 + float(np.sum(np.minimum(rmin, 0.0)))
    hi = c0 + float(np.sum(np.maximum(rmax, 0.0)))
    if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(hi - lo)):
        culprit = "initial_stock" if abs(c0) > 1e300 else "mdp"
        raise InvalidParameterError(culprit, "the range of the stocks overflows float64; rescale the rewards")
    scale = max(1.0, abs(lo), abs(hi))
    exact = False
    stocks: np.ndarray = np.empty(0)
    if grid_step is None:
        stocks, exact = _reachable_stocks(mdp, c0, 1e-9 * scale, max_stocks)
        if not exact:
            step = (hi - lo) / (max_stocks - 1) if max_stocks > 1 else 0.0
    else:
        step = grid_step
    if not exact:
        if step <= 0.0:
            stocks = np.array([c0])
        else:
            # counted in floats first: a tiny step would make the counts overflow an int
            below, above = (c0 - lo) / step - 1e-9, (hi - c0) / step - 1e-9
            fits = below + above <= 10.0 * max_stocks
            n_below, n_above = (math.ceil(below), math.ceil(above)) if fits else (0, 0)
            if not fits or n_below + n_above + 1 > 10 * max_stocks:
                raise InvalidParameterError(
                    "grid_step",
                    f"a grid of spacing {step:g} over [{lo:g}, {hi:g}] needs about {below + above + 1.0:.3g} points "
                    f"(> 10 * max_stocks = {10 * max_stocks}); use a coarser grid",
                )
            stocks = c0 + step * np.arange(-n_below, n_above + 1)
    K = stocks.size
    k0 = int(_nearest(stocks, np.array([c0]))[0])
    stocks[k0] = c0
    n_steps = H if (mdp.is_time_dependent) else 1
    nnz = sum(int(_successor_csr(mdp, t).nnz) for t in range(n_steps)) * K
    if nnz > _MAX_AUGMENTED_NNZ:
        raise InvalidParameterError(
            "max_stocks",
            f"the augmented MDP would store {nnz} transition probabilities ({K} stock values x the nonzeros of P), "
            f"more than {_MAX_AUGMENTED_NNZ}; use a smaller max_stocks or a coarser grid_step",
        )
    next_stock = np.empty((n_steps, S, K, A), dtype=np.int64)
    blocks = []
    for t in range(n_steps):
        R = mdp.rewards_at(t)
        next_stock[t] = _nearest(stocks, stocks[None, :, None] + R[:, None, :])
        M = _successor_csr(mdp, t)
        row_s, row_a = np.divmod(np.repeat(np.arange(S * A), np.diff(M.indptr)), A)
        # entry e of M, repeated over k: aug row (s*K + k)*A + a, aug col s'*K + next_k
        kk = np.arange(K)
        rows = ((row_s[:, None] * K + kk[None, :]) * A + row_a[:, None]).ravel()
        cols = (
            M.indices[:, None].astype(np.int64) * K + next_stock[t][row_s[:, None], kk[None, :], row_a[:, None]]
        ).ravel()
        vals = np.repeat(M.data, K)
        blocks.append(sp.csr_array((vals, (rows, cols)), shape=(S * K * A, S * K)))
    P_aug = blocks[0] if n_steps == 1 else sp.vstack(blocks, format="csr")
    if n_steps == 1:
        next_stock = np.broadcast_to(next_stock, (H, S, K, A))
    R_aug = np.repeat(mdp.R, K, axis=-2)
    init = np.zeros(S * K)
    init[np.arange(S) * K + k0] = mdp.initial
    aug_mdp = FiniteMDP(P_aug, R_aug, horizon=H, initial=init, terminal=np.repeat(mdp.terminal, K))
    # stocks reachable at the horizon (forward reachability on the augmented MDP)
    reach = init > 0
    for t in range(H):
        Pt = cast(sp.csr_array, aug_mdp.transitions_at(t))
        rows = (np.flatnonzero(reach)[:, None] * A + np.arange(A)[None, :]).ravel()
        reach = np.zeros(S * K, dtype=bool)
        reach[Pt[rows].indices] = True
    final = np.unique(np.flatnonzero(reach) % K)
    if exact:
        err = 0.0
    else:
        # every partial sum c_0 + sum_{u<t} r_u lies in [lo, hi] and every augmented stock on the grid, so the
        # error is also at most the largest distance between the two sets (the only bound when the grid is
        # the single point c_0, and finite when H * step / 2 is not)
        spread = max(float(stocks[-1]) - lo, hi - float(stocks[0]))
        err = min(H * (float(step) / 2.0), spread) if step > 0.0 else spread
    next_stock = np.ascontiguousarray(next_stock)
    for arr in (stocks, next_stock, final):
        arr.flags.writeable = False
    return StockAugmentedMDP(
        aug_mdp, mdp, stocks, c0, next_stock, exact, None if exact else float(step), err, final, truncation
    )
