"""Stock augmentation: optimizing statistics of the return distribution beyond its mean.

Classic (and distributional) dynamic programming finds policies that maximise an
*expected* return. Many objectives are not of that form: the lower-tail CVaR of the
return, the probability ``P(G >= tau)`` of reaching a target, a quantile (value at
risk). Pires et al. (2025) optimize such objectives with distributional DP on a
*stock-augmented* MDP: the state ``s_t`` is paired with the **stock**
``c_t = c_0 + sum_{u < t} r_u(s_u, a_u)``, the reward accumulated so far (``c_0`` the
initial stock, 0 by default), so that at the horizon ``c_H = c_0 + G``.

For a finite-horizon :class:`rlcore.FiniteMDP` (undiscounted, as the library's finite
horizon is), or a discounted one truncated after ``H`` steps (:func:`truncate_discounted`:
rewards ``gamma^t R``, so the stock is the discounted reward so far, and the neglected
tail moves the return by at most ``gamma^H max|R| / (1 - gamma)``), with deterministic
rewards ``R_t(s, a)`` (see :mod:`tabular.distributional` on
expected rewards), :func:`stock_augment` builds the augmented MDP as an ordinary
finite-horizon :class:`~rlcore.FiniteMDP` on pairs ``(s, k)`` (index ``s * K + k``,
``k`` indexing a sorted set of ``K`` stock values) with the original rewards, so that
its return equals the original return and :func:`rlcore.evaluate_policy`,
:func:`rlcore.rollout` and :func:`tabular.distributional_evaluation` apply to it
unchanged.

Exact or gridded stocks
-----------------------
With finitely many rewards the stocks reachable within ``H`` steps are finitely many.
When there are at most ``max_stocks`` of them (values closer than ``1e-9 * scale``
merged) the augmentation is **exact**. Otherwise (or when ``grid_step`` is given) the
stock lives on an evenly spaced grid and every update ``c + r`` is rounded to the
nearest grid point: the augmented stock then differs from the true accumulated reward
by at most ``H * grid_step / 2`` along every trajectory, and by at most the largest
distance between a grid point and a possible stock (``stock_error_bound`` is the
smaller of the two), so the objective of an ``L``-Lipschitz utility is off by at most
``L * stock_error_bound``
(threshold probabilities and quantiles are not Lipschitz: they are exact only in the
exact mode).

Which objectives dynamic programming can optimize
--------------------------------------------------
Backward induction on the augmented MDP with terminal value ``f(c_H)`` is
distributional DP whose greedy step maximises ``E[f(c + G_t)]`` over the
stock-augmented return distribution; since that functional is linear in the
distribution, only its expectation needs to be carried. It returns a deterministic
Markov policy of the augmented MDP that is optimal among **all history-dependent**
policies of the original MDP for

* :class:`ExpectedUtility` ``E[f(G)]`` for any ``f`` (the stock is a sufficient
  statistic of the history for the terminal reward ``f(c_H)``; Bäuerle & Rieder
  2014, Pires et al. 2025);
* :class:`ThresholdProbability` ``P(G >= tau) = E[1{G >= tau}]``;
* :class:`CVaR` (lower tail) through the Rockafellar-Uryasev representation
  ``CVaR_alpha(G) = max_c { c - E[(c - G)^+] / alpha }``: for each ``c`` the inner
  problem is the expected utility ``f_c(g) = c - (c - g)^+ / alpha``, and the outer
  maximum may be restricted to the reachable final stocks (for every policy the
  maximising ``c`` is an ``alpha``-quantile of ``G``, an atom of its law); Bäuerle &
  Ott (2011);
* :class:`ValueAtRisk`, the lower ``alpha``-quantile ``q_alpha(G) = inf{x : F(x) >=
  alpha}``: for a finite-support return ``q_alpha(G) >= c`` iff ``P(G >= c) > 1 -
  alpha``, so ``max_pi q_alpha(G^pi)`` is the largest reachable final stock ``c``
  whose optimal threshold probability exceeds ``1 - alpha`` (probabilities compared
  with a slack of 1e-9). This reduction is derived here; I could not check whether the
  paper treats quantiles in this form.

Objectives that are not functions of a single expectation of the stock-augmented
return, such as the mean-variance criterion ``E[G] - lambda Var[G]``, are not
optimized by this DP: the variance term is not linear in the return distribution
(not "indifferent to mixtures"), so the value of a branch depends on the outcomes of
the other branches and Bellman's principle fails (the problem is time-inconsistent).
:class:`MeanVariance` exists so that asking for it gets a :class:`ValueError` that
says so instead of a wrong answer.

References
----------
B. Á. Pires, M. Rowland, D. Borsa, Z. D. Guo, K. Khetarpal, A. Barreto, D. Abel,
R. Munos, W. Dabney, "Optimizing return distributions with distributional dynamic
programming", JMLR 2025 (arXiv:2501.13028).
N. Bäuerle, J. Ott, "Markov decision processes with average-value-at-risk criteria",
*Math. Methods Oper. Res.* 74, 2011.
N. Bäuerle, U. Rieder, "More risk-sensitive Markov decision processes", *Math. Oper.
Res.* 39, 2014.
R. T. Rockafellar, S. Uryasev, "Optimization of conditional value-at-risk",
*J. Risk* 2, 2000.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Union, cast
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from rlcore.mdp import FiniteMDP
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import (
    MDP,
    RNG,
    Array,
    Instance,
    Integer,
    InvalidParameterError,
    IsCallable,
    Real,
    validate_params,
)
from tabular.distributional import ReturnDistribution

__all__ = [
    "CVaR",
    "ExpectedUtility",
    "MeanVariance",
    "StockAugmentedMDP",
    "StockAugmentedResult",
    "StockPolicy",
    "ThresholdProbability",
    "ValueAtRisk",
    "optimize_return_distribution",
    "stock_augment",
    "truncate_discounted",
]

#: probabilities of a threshold objective are compared with this slack
_PROB_SLACK = 1e-9
#: refuse to build augmented transition matrices larger than this (about 1.2 GB in CSR)
_MAX_AUGMENTED_NNZ = 100_000_000
#: Most stock values (``max_stocks``), and most candidates solved at once (``batch``).
MAX_STOCKS = 10**6
#: Longest truncation of a discounted MDP (the limit of :class:`rlcore.FiniteMDP`'s horizon).
MAX_HORIZON = 10**6
#: Most entries ``H * S * A`` of the time-dependent rewards of a truncation.
_MAX_REWARD_ENTRIES = 10**8
#: Most episodes simulated at once by :meth:`StockPolicy.simulate_returns`.
MAX_EPISODES = 10**8

_LEVEL = Real(0, 1, closed="right")


# ---------------------------------------------------------------------------------
# objectives
# ---------------------------------------------------------------------------------
@validate_params(utility=IsCallable("a callable utility(returns) -> array"))
@dataclass(frozen=True)
class ExpectedUtility:
    """Maximise ``E[utility(G)]``; ``utility`` maps an array of returns to an array.

    Examples
    --------
    >>> obj = ExpectedUtility(lambda g: -np.exp(-0.5 * g))   # exponential utility
    """

    utility: Callable[[np.ndarray], Any]


@validate_params(threshold=Real())
@dataclass(frozen=True)
class ThresholdProbability:
    """Maximise ``P(G >= threshold)``.

    Examples
    --------
    >>> ThresholdProbability(3)
    ThresholdProbability(threshold=3.0)
    """

    threshold: float


@validate_params(alpha=_LEVEL)
@dataclass(frozen=True)
class CVaR:
    """Maximise the lower-tail ``CVaR_alpha(G)``, the mean of the worst ``alpha`` fraction.

    ``alpha`` in (0, 1]; ``CVaR(1.0)`` is the mean.

    Examples
    --------
    >>> CVaR(0.1)
    CVaR(alpha=0.1)
    """

    alpha: float


@validate_params(alpha=_LEVEL)
@dataclass(frozen=True)
class ValueAtRisk:
    """Maximise the lower quantile ``q_alpha(G) = inf {x : P(G <= x) >= alpha}``, ``alpha`` in (0, 1].

    Examples
    --------
    >>> ValueAtRisk(0.05)
    ValueAtRisk(alpha=0.05)
    """

    alpha: float


@validate_params(risk_aversion=Real())
@dataclass(frozen=True)
class MeanVariance:
    """``E[G] - risk_aversion * Var[G]``: **not** DP-optimizable; solvers raise an
    :class:`~rlcore.validation.InvalidParameterError` (a ValueError) that says why.

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], horizon=2)
    >>> optimize_return_distribution(mdp, MeanVariance(1.0))
    Traceback (most recent call last):
    ...
    rlcore.validation.InvalidParameterError: objective: the mean-variance criterion E[G] - lambda Var[G] is not optimizable by dynamic programming, ...
    """

    risk_aversion: float


Objective = Union[ExpectedUtility, ThresholdProbability, CVaR, ValueAtRisk, MeanVariance]
_OBJECTIVE = Instance(
    ExpectedUtility,
    ThresholdProbability,
    CVaR,
    ValueAtRisk,
    MeanVariance,
    what="an objective (ExpectedUtility, ThresholdProbability, CVaR or ValueAtRisk)",
)


# ---------------------------------------------------------------------------------
# the augmented MDP
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
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
    ``stock_error_bound``.

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


# ---------------------------------------------------------------------------------
# policies
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class StockPolicy:
    """A deterministic stock-dependent policy: an ``(H, S*K)`` policy of the augmented MDP.

    Attributes
    ----------
    augmented : StockAugmentedMDP
    policy : ndarray of int64, shape (H, S * K)
        A time-dependent deterministic policy of ``augmented.mdp``: pass it to
        :func:`rlcore.evaluate_policy`, :func:`rlcore.rollout` or
        :func:`tabular.distributional_evaluation` with ``augmented.mdp``.

    Examples
    --------
    >>> from rlcore import FiniteMDP, evaluate_policy
    >>> P = np.ones((1, 2, 1)); R = np.array([[0.0, 1.0]])
    >>> res = optimize_return_distribution(FiniteMDP(P, R, horizon=2), ThresholdProbability(1.0))
    >>> res.policy.act_on_history([0], []), res.policy.action(1, 0, stock=1.0)
    (0, 0)
    >>> float(evaluate_policy(res.augmented.mdp, res.policy.policy).V[0, 0])
    1.0
    """

    augmented: StockAugmentedMDP
    policy: np.ndarray

    def action(self, t: int, state: int, stock: float) -> int:
        """Action at step ``t`` (``0 <= t < H``) in ``state`` with accumulated stock ``stock``."""
        aug = self.augmented
        t = Integer(0, self.policy.shape[0] - 1).check(t, "t")
        state = Integer(0, aug.original.n_states - 1).check(state, "state")
        k = int(aug.stock_index(Real().check(stock, "stock")))
        return int(self.policy[t, state * aug.n_stocks + k])

    def act_on_history(self, states: Any, actions: Any) -> int:
        """Action after the history ``s_0, a_0, ..., s_t`` of the **original** MDP.

        ``states`` has ``t + 1`` entries and ``actions`` ``t``; the stock is rebuilt
        step by step exactly as the augmented MDP does (including grid rounding).
        """
        aug = self.augmented
        S, A = aug.original.n_states, aug.original.n_actions
        s = Array("int", ndim=1, low=0, high=S - 1).check(states, "states").tolist()
        a = Array("int", ndim=1, low=0, high=A - 1, min_size=0).check(actions, "actions").tolist()
        H = cast(int, aug.mdp.horizon)
        if len(a) != len(s) - 1 or not 1 <= len(s) <= H:
            raise InvalidParameterError(
                "states",
                f"expected t + 1 states and t actions with t < H={H}, got {len(s)} states and {len(a)} actions",
            )
        k = int(aug.stock_index(aug.initial_stock))
        for u in range(len(a)):
            k = int(aug.next_stock[u, s[u], k, a[u]])
        return int(self.policy[len(a), s[-1] * aug.n_stocks + k])

    def simulate_returns(self, n_episodes: int, rng: RNGLike = None) -> np.ndarray:
        """Returns of ``n_episodes`` episodes of the **original** MDP under this policy.

        The stock is tracked alongside the original simulator; the returned values are
        the true sums of rewards (not the possibly gridded stocks).

        Parameters
        ----------
        n_episodes : int in [1, 10**8]
        rng : Generator, int or None

        Returns
        -------
        ndarray of float64, shape (n_episodes,)
        """
        n = Integer(1, MAX_EPISODES).check(n_episodes, "n_episodes")
        gen = as_generator(RNG().check(rng, "rng"))
        aug = self.augmented
        mdp = aug.original
        K = aug.n_stocks
        s = mdp.reset(n, gen)
        k = np.full(n, int(aug.stock_index(aug.initial_stock)), dtype=np.int64)
        G = np.zeros(n)
        alive = np.ones(n, dtype=bool)
        for t in range(cast(int, mdp.horizon)):
            a = self.policy[t, s * K + k]
            nxt, r, term = mdp.step(s, a, gen, t=t)
            G += np.where(alive, r, 0.0)
            k = aug.next_stock[t, s, k, a]
            alive &= ~(term & mdp.terminal[nxt])
            s = nxt
        return G


@dataclass(frozen=True)
class StockAugmentedResult:
    """Answer of :func:`optimize_return_distribution`.

    Attributes
    ----------
    objective : objective dataclass
    value : float
        Optimal objective value from the initial distribution (computed on the
        augmented MDP, i.e. for the possibly gridded stock).
    policy : StockPolicy
        An optimal stock-dependent policy.
    return_distribution : ReturnDistribution
        Law of the final stock ``c_0 + G`` under ``policy`` from the initial distribution.
    c : float or None
        The outer parameter at the optimum: the Rockafellar-Uryasev ``c`` (CVaR, an
        ``alpha``-quantile of the optimal return) or the optimal quantile (VaR).
    augmented : StockAugmentedMDP

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> res = optimize_return_distribution(FiniteMDP(np.ones((1, 2, 1)), [[0.0, 1.0]], horizon=2), CVaR(0.5))
    >>> res.value, res.c, res.return_distribution.atoms
    (2.0, 2.0, array([2.]))
    """

    objective: Any
    value: float
    policy: StockPolicy
    return_distribution: ReturnDistribution
    c: float | None
    augmented: StockAugmentedMDP


# ---------------------------------------------------------------------------------
# dynamic programming
# ---------------------------------------------------------------------------------
def _utility_dp(
    aug: StockAugmentedMDP, terminal: np.ndarray, want_policy: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Backward induction with terminal values ``terminal`` of shape (K, n) per stock.

    Returns ``(values at t=0 from the initial law, shape (n,), policy (H, S*K) or None)``.
    """
    mdp = aug.mdp
    H, SK, A = cast(int, mdp.horizon), mdp.n_states, mdp.n_actions
    S, _K = aug.original.n_states, aug.n_stocks
    U = np.tile(terminal, (S, 1))  # (S*K, n): U_H(s, k) = f(stocks[k])
    policy = np.empty((H, SK), dtype=np.int64) if want_policy else None
    for t in range(H - 1, -1, -1):
        Q = (cast(sp.csr_array, mdp.transitions_at(t)) @ U).reshape(SK, A, -1)
        if policy is not None:
            policy[t] = np.argmax(Q[:, :, 0], axis=1)
        U = Q.max(axis=1)
    out = mdp.initial @ U
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError("objective", "the expected utility overflows float64; rescale the utility")
    return out, policy


def _final_law(aug: StockAugmentedMDP, policy: np.ndarray) -> ReturnDistribution:
    mdp = aug.mdp
    H, SK, A = cast(int, mdp.horizon), mdp.n_states, mdp.n_actions
    d = mdp.initial.copy()
    for t in range(H):
        Pt = cast(sp.csr_array, mdp.transitions_at(t))
        rows = np.arange(SK) * A + policy[t]
        d = Pt[rows].T @ d
    probs = np.bincount(np.arange(SK) % aug.n_stocks, weights=d, minlength=aug.n_stocks)
    keep = probs > 0
    return ReturnDistribution._trusted(aug.stocks[keep], probs[keep] / probs[keep].sum())


def _cvar_objective(c: np.ndarray, shortfall: np.ndarray, alpha: float) -> np.ndarray:
    """``c - shortfall / alpha`` (``shortfall >= 0``), ``-inf`` where it is below the float64 range."""
    with np.errstate(over="ignore"):
        return c - np.where(shortfall > 0.0, shortfall / alpha, 0.0)


def _terminal_utility(aug: StockAugmentedMDP, f: Callable[[np.ndarray], Any]) -> np.ndarray:
    vals = Array().check(f(aug.stocks.copy()), "objective")  # the user's utility, at the stock values
    if vals.shape != aug.stocks.shape:
        raise InvalidParameterError(
            "objective", f"the utility returned shape {vals.shape}, expected {aug.stocks.shape} (one per stock value)"
        )
    return vals


@validate_params(
    mdp=Instance(StockAugmentedMDP, what="a StockAugmentedMDP") | MDP(),
    objective=_OBJECTIVE,
    **_STOCK_ARGS,
    batch=Integer(1, MAX_STOCKS),
)
def optimize_return_distribution(
    mdp: FiniteMDP | StockAugmentedMDP,
    objective: Objective,
    *,
    initial_stock: float = 0.0,
    max_stocks: int = 2000,
    grid_step: float | None = None,
    horizon: int | None = None,
    batch: int = 256,
) -> StockAugmentedResult:
    """Optimal stock-dependent policy for a statistic of the return distribution.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP or StockAugmentedMDP
        A finite-horizon MDP (augmented here with :func:`stock_augment`) or an
        augmentation built already.
    objective : ExpectedUtility, ThresholdProbability, CVaR or ValueAtRisk
        :class:`MeanVariance` (or any other object) raises an error.
    initial_stock, max_stocks, grid_step, horizon
        Passed to :func:`stock_augment` when ``mdp`` is a FiniteMDP (``horizon``: for a
        discounted MDP, the truncation); refused (unless left at their defaults) when
        ``mdp`` is a :class:`StockAugmentedMDP` already. The objective is applied to the
        final stock ``c_0 + G``.
    batch : int in [1, 10**6]
        CVaR and VaR solve one inner DP per candidate ``c``; this many at a time.

    Returns
    -------
    StockAugmentedResult

    Raises
    ------
    ValueError
        For objectives that DP cannot optimize (:class:`MeanVariance`), with the reason.
    TypeError
        For anything that is not an objective.

    Guarantee
    ---------
    Exact stock set: ``value`` is the maximum of the objective over all
    history-dependent policies of the original MDP, and ``policy`` attains it
    (expected utility: Bäuerle & Rieder 2014, Pires et al. 2025; CVaR: Bäuerle & Ott
    2011 with the Rockafellar-Uryasev representation; VaR: the threshold reduction in
    the module docstring). On a grid the statements hold for the gridded stock, which
    is within ``augmented.stock_error_bound`` of the true return on every trajectory.
    For a discounted MDP the statements are about the ``H``-step truncated return,
    within ``augmented.truncation_error`` of the full discounted return on every
    trajectory; so the CVaR and VaR optima over all policies of the discounted MDP lie
    within ``truncation_error`` (plus ``stock_error_bound``) of ``value``.

    Examples
    --------
    Two steps; each step choose a sure 1 (action 0) or a fair coin paying 0 or 3
    (action 1, which moves to the paying or the non-paying state).

    >>> from rlcore import FiniteMDP
    >>> P = np.zeros((3, 2, 3)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 0.5; P[:, 1, 2] = 0.5
    >>> R = np.array([[1.0, 0.0], [3.0, 3.0], [0.0, 0.0]])
    >>> mdp = FiniteMDP(P, R, horizon=3, initial=[1.0, 0.0, 0.0])
    >>> res = optimize_return_distribution(mdp, ThresholdProbability(4.0))
    >>> round(res.value, 6)
    0.5
    """
    if isinstance(objective, MeanVariance):
        raise InvalidParameterError(
            "objective",
            "the mean-variance criterion E[G] - lambda Var[G] is not optimizable by dynamic programming, "
            "stock-augmented or not: Var is not linear in the return distribution (not indifferent to mixtures), "
            "so the best action in one branch depends on what happens in the others and Bellman's principle fails "
            "(the problem is time-inconsistent). Optimizable alternatives: ExpectedUtility (e.g. exponential "
            "utility), CVaR, ValueAtRisk, ThresholdProbability.",
        )
    if isinstance(mdp, StockAugmentedMDP):
        given = {
            "initial_stock": initial_stock != 0.0,
            "max_stocks": max_stocks != 2000,
            "grid_step": grid_step is not None,
            "horizon": horizon is not None,
        }
        for name, set_ in given.items():
            if set_:
                raise InvalidParameterError(
                    name, "only used to augment a FiniteMDP; mdp is a StockAugmentedMDP built already"
                )
        aug = mdp
    else:
        aug = stock_augment(
            mdp, initial_stock=initial_stock, max_stocks=max_stocks, grid_step=grid_step, horizon=horizon
        )
    x = aug.stocks
    scale = max(1.0, float(np.max(np.abs(x))))
    c: float | None = None
    if isinstance(objective, ExpectedUtility):
        term = _terminal_utility(aug, objective.utility)[:, None]
    elif isinstance(objective, ThresholdProbability):
        term = (x >= objective.threshold - 1e-9 * scale).astype(np.float64)[:, None]
    else:
        cands = x[aug.final_stocks]
        values = np.empty(cands.size)
        for i in range(0, cands.size, batch):
            cc = cands[i : i + batch]
            if isinstance(objective, CVaR):
                # max_pi E[c - (c - G)^+ / alpha] = c - min_pi E[(c - G)^+] / alpha: the inner DP
                # without alpha, so that a tiny alpha cannot overflow the terminal values
                shortfall = -_utility_dp(aug, -np.maximum(cc[None, :] - x[:, None], 0.0), False)[0]
                values[i : i + batch] = _cvar_objective(cc, shortfall, objective.alpha)
            else:
                tb = (x[:, None] >= cc[None, :]).astype(np.float64)
                values[i : i + batch] = _utility_dp(aug, tb, False)[0]
        if isinstance(objective, CVaR):
            j = int(np.argmax(values))
        else:
            ok = np.flatnonzero(values > 1.0 - objective.alpha + _PROB_SLACK)
            j = int(ok[-1]) if ok.size else 0
        c = float(cands[j])
        if isinstance(objective, CVaR):
            term = -np.maximum(c - x, 0.0)[:, None]  # the same optimal policies as c - (c - x)^+ / alpha
        else:
            term = (x >= c).astype(np.float64)[:, None]
    val0, policy = _utility_dp(aug, term, True)
    pol = cast(np.ndarray, policy)
    pol.flags.writeable = False
    law = _final_law(aug, pol)
    if isinstance(objective, CVaR):
        value = law.cvar(objective.alpha)
    elif isinstance(objective, ValueAtRisk):
        value = law.quantile(objective.alpha)
    else:
        value = float(val0[0])
    return StockAugmentedResult(objective, float(value), StockPolicy(aug, pol), law, c, aug)
