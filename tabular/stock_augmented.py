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

from dataclasses import dataclass
from typing import Any, cast
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from rlcore.distributions import DiscreteDistribution
from rlcore.mdp import FiniteMDP
from rlcore.randomness import RNGLike, as_generator
from rlcore.results import Result
from rlcore.validation import (
    MDP,
    RNG,
    Array,
    Instance,
    Integer,
    InvalidParameterError,
    Real,
    validate_params,
)
from tabular._stock_augmentation import (
    _STOCK_ARGS,
    MAX_STOCKS,
    StockAugmentedMDP,
    stock_augment,
    truncate_discounted,
)
from tabular._stock_objectives import (
    _OBJECTIVE,
    CVaR,
    ExpectedUtility,
    MeanVariance,
    Objective,
    ThresholdProbability,
    ValueAtRisk,
)

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
#: Most episodes simulated at once by :meth:`StockPolicy.simulate_returns`.
MAX_EPISODES = 10**8


# ---------------------------------------------------------------------------------
# policies
# ---------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
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

    def __repr__(self) -> str:
        aug = self.augmented
        return f"StockPolicy(horizon={self.policy.shape[0]}, n_states={aug.original.n_states}, n_stocks={aug.n_stocks})"

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


@dataclass(frozen=True, repr=False)
class StockAugmentedResult(Result):
    """Answer of :func:`optimize_return_distribution`.

    Attributes
    ----------
    objective : objective dataclass
    value : float
        Optimal objective value from the initial distribution (computed on the
        augmented MDP, i.e. for the possibly gridded stock).
    policy : StockPolicy
        An optimal stock-dependent policy.
    return_distribution : rlcore.DiscreteDistribution
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
    return_distribution: DiscreteDistribution
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


def _final_law(aug: StockAugmentedMDP, policy: np.ndarray) -> DiscreteDistribution:
    mdp = aug.mdp
    H, SK, A = cast(int, mdp.horizon), mdp.n_states, mdp.n_actions
    d = mdp.initial.copy()
    for t in range(H):
        Pt = cast(sp.csr_array, mdp.transitions_at(t))
        rows = np.arange(SK) * A + policy[t]
        d = Pt[rows].T @ d
    probs = np.bincount(np.arange(SK) % aug.n_stocks, weights=d, minlength=aug.n_stocks)
    keep = probs > 0
    return DiscreteDistribution(aug.stocks[keep], probs[keep] / probs[keep].sum())


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
    within ``truncation_error`` (plus ``stock_error_bound``) of ``value``. Tested by
    ``tests/tabular/test_stock_augmented.py::test_dp_optimum_equals_brute_force_over_history_dependent_policies``,
    ``tests/tabular/test_stock_augmented.py::test_dp_optimum_equals_brute_force_on_drawn_mdps``
    (every deterministic history-dependent policy enumerated),
    ``tests/tabular/test_stock_augmented.py::test_grid_stock_error_bound`` and
    ``tests/tabular/test_stock_augmented.py::test_discounted_mdp_through_truncation``.

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
