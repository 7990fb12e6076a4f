"""Andersen-Broadie duality: an upper bound for any exercise policy, and price brackets.

For any martingale ``M`` with ``M_0 = 0`` (Haugh and Kogan 2004, Rogers 2002),

.. math:: V_0 \\le E\\big[\\max_{t_j} (Z_{t_j} - M_{t_j})\\big], \\qquad Z_t = e^{-rt} h(S_t),

with equality for the martingale part of the Snell envelope. Andersen and Broadie
(2004) build ``M`` from an exercise policy: with ``L_j`` the value of following the
policy from date ``j`` on (``Z_j`` where it stops, otherwise the continuation value
``C_j``, the expected discounted payoff at its next stop),

.. math:: M_{j+1} = M_j + L_{j+1} - E_j[L_{j+1}] = M_j + L_{j+1} - C_j.

Every ``C_j`` is estimated by ``n_inner`` inner paths restarted from the outer path's
Markov state (and history) at date ``j``. The inner noise is mean zero and can only
raise the estimate (Jensen, the max is convex), so the estimate stays an upper bound; a
good policy makes ``max_j (Z_j - M_j)`` nearly constant and the gap small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from finance_apps._util import single_thread_blas
from finance_apps.exercise import PolicyValue, _apply_policy, evaluate_exercise_policy
from finance_apps.stopping import StoppingProblem
from rlcore.validation import check_positive_int
from rlcore.randomness import RNGLike, as_generator

__all__ = ["DualBound", "PriceBracket", "andersen_broadie", "price_bracket"]


@dataclass(frozen=True)
class DualBound:
    """Andersen-Broadie upper bound of the option value.

    Attributes
    ----------
    upper : float
        Mean over outer paths of ``max_j (Z_j - M_j)``.
    stderr : float
        Its standard error over the outer paths.
    policy_value : float
        Mean of the policy's value ``L_0`` on the outer paths (a lower-bound estimate,
        not independent of ``upper``).
    n_outer, n_inner : int
    """

    upper: float
    stderr: float
    policy_value: float
    n_outer: int
    n_inner: int


@dataclass(frozen=True)
class PriceBracket:
    """A lower and an upper bound of the option value, each with its standard error.

    Attributes
    ----------
    lower : PolicyValue
        The policy's value on independent paths.
    upper : DualBound
        The Andersen-Broadie dual estimate.
    """

    lower: PolicyValue
    upper: DualBound

    @property
    def gap(self) -> float:
        """``upper - lower``: how much the policy can at most lose against the optimum."""
        return self.upper.upper - self.lower.price

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """``(lower - z se_lower, upper + z se_upper)``.

        Each end is a one-sided asymptotic confidence limit at level ``Phi(z)``, so the
        interval covers the value with probability at least ``1 - 2 (1 - Phi(z))``.
        """
        return self.lower.price - z * self.lower.stderr, self.upper.upper + z * self.upper.stderr


def andersen_broadie(policy: Any, problem: StoppingProblem, model: Any, n_outer: int = 1000,
                     n_inner: int = 200, rng: RNGLike = None, *, skip_out_of_money: bool = True,
                     antithetic: bool = True, max_batch: int = 100_000) -> DualBound:
    """Upper bound of the option value from an exercise policy by nested simulation.

    Parameters
    ----------
    policy : ExercisePolicy
    problem : StoppingProblem
    model : path model
        With ``simulate_states`` (restartable from a Markov state).
    n_outer : int, default 1000
        Outer paths (the standard error shrinks as ``n_outer^{-1/2}``).
    n_inner : int, default 200
        Inner paths per outer path and date.
    rng : Generator, int or None
    skip_out_of_money : bool, default True
        Evaluate the martingale only at dates where the payoff is positive or the
        policy stops (and at 0 and maturity), as in Broadie and Cao (2008): with a
        non-negative payoff, stopping at a zero payoff never beats continuing, so the
        dual of the problem restricted to those dates bounds the same value, and the
        martingale sampled there telescopes (fewer noisy inner estimates, a tighter
        and cheaper bound). Raises ValueError if a negative payoff is seen.
    antithetic : bool, default True
        Inner paths in antithetic pairs (``n_inner`` must then be even): the same
        number of inner paths estimates each continuation value with a smaller
        variance, which is what biases the dual upwards.
    max_batch : int, default 100000
        Inner paths simulated at once (memory).

    Returns
    -------
    DualBound

    Guarantee
    ---------
    ``E[upper] >= V_0`` for every policy, every ``n_inner`` (Andersen and Broadie 2004,
    Proposition 1 and section 3: the dual with any martingale, and the inner-sampling
    noise biasing upwards); the bound is tight (``E[upper] = V_0``) for an optimal
    policy with exact continuation values.

    References
    ----------
    .. [1] Andersen, L. and Broadie, M. (2004). Primal-dual simulation algorithm for
       pricing multidimensional American options. *Management Science* 50(9),
       1222-1234.
    .. [2] Haugh, M. B. and Kogan, L. (2004). Pricing American options: a duality
       approach. *Operations Research* 52(2), 258-270.
    .. [3] Rogers, L. C. G. (2002). Monte Carlo valuation of American options.
       *Mathematical Finance* 12(3), 271-286.
    .. [4] Broadie, M. and Cao, M. (2008). Improved lower and upper bound algorithms
       for pricing American options by simulation. *Quantitative Finance* 8(8),
       845-861.

    Examples
    --------
    >>> from finance_apps import GeometricBrownianMotion, Put, StoppingProblem, longstaff_schwartz
    >>> prob = StoppingProblem.bermudan(Put(100.0), [0.25, 0.5, 0.75, 1.0], 0.05)
    >>> model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid())
    >>> pol = longstaff_schwartz(prob, model, 10_000, n_test_paths=None, rng=0).policy
    >>> ub = andersen_broadie(pol, prob, model, 300, 100, rng=1)
    >>> ub.upper > 5.9
    True
    """
    if not isinstance(problem, StoppingProblem):
        raise TypeError(f"problem: expected a StoppingProblem, got {type(problem).__name__}")
    if not callable(getattr(policy, "stop", None)):
        raise TypeError(f"policy: expected an object with stop(history, k), got {policy!r}")
    n_out = check_positive_int(n_outer, "n_outer")
    n_in = check_positive_int(n_inner, "n_inner")
    batch = check_positive_int(max_batch, "max_batch")
    if n_out < 2:
        raise ValueError("n_outer: expected at least 2 outer paths")
    if not isinstance(antithetic, (bool, np.bool_)):
        raise TypeError(f"antithetic: expected a bool, got {antithetic!r}")
    if antithetic and n_in % 2:
        raise ValueError(f"n_inner: antithetic pairs need an even number, got {n_in}")
    if not isinstance(skip_out_of_money, (bool, np.bool_)):
        raise TypeError(f"skip_out_of_money: expected a bool, got {skip_out_of_money!r}")
    with single_thread_blas():
        ex = problem.check_model(model)
        gen = as_generator(rng)
        times = np.asarray(model.times, dtype=np.float64)
        d = int(model.n_assets)
        states = model.simulate_states(n_out, gen)
        prices = np.ascontiguousarray(states[..., :d])
        nodes = sorted({0} | {int(k) for k in ex})
        exset = {int(k) for k in ex}
        k_last = int(ex[-1])
        disc = np.exp(-problem.rate * times)
        n_nodes = len(nodes)
        Z = np.full((n_out, n_nodes), -np.inf)
        L = np.zeros((n_out, n_nodes))
        C = np.zeros((n_out, n_nodes))
        need = np.ones((n_out, n_nodes), dtype=bool)
        per = max(1, batch // n_in)
        for j, k in enumerate(nodes):
            if k in exset:
                Z[:, j] = np.asarray(problem.payoff(prices[:, k]), dtype=np.float64) * disc[k]
                stops = np.asarray(policy.stop(prices[:, : k + 1], k), dtype=bool)
                if skip_out_of_money:
                    if np.any(Z[:, j] < 0):
                        raise ValueError("payoff: negative payoffs found; pass skip_out_of_money=False")
                    if 0 < k < k_last:
                        need[:, j] = (Z[:, j] > 0) | stops
            else:
                stops = np.zeros(n_out, dtype=bool)
            if k == k_last:
                L[:, j] = np.where(stops, Z[:, j], 0.0)
                continue
            rows = np.flatnonzero(need[:, j])
            for lo in range(0, rows.size, per):
                sel = rows[lo:lo + per]
                m = sel.size
                init = np.repeat(states[sel, k], n_in, axis=0)
                inner = model.simulate_states(m * n_in, gen, start=k, initial=init,
                                              antithetic=antithetic)[..., :d]
                hist = np.concatenate([np.repeat(prices[sel, :k], n_in, axis=0), inner], axis=1)
                pay, _ = _apply_policy(policy, problem, hist, times, ex, first=k + 1)
                C[sel, j] = pay.reshape(m, n_in).mean(axis=1)
            L[:, j] = np.where(stops, Z[:, j], C[:, j])
        # M at the needed nodes; between them the policy continues, so the increments
        # L_{i+1} - C_i = L_{i+1} - L_i telescope to L_next - C_prev.
        M = np.zeros((n_out, n_nodes))
        m_prev = np.zeros(n_out)
        c_prev = C[:, 0].copy()
        for j in range(1, n_nodes):
            upd = need[:, j]
            m_new = m_prev + L[:, j] - c_prev
            M[:, j] = np.where(upd, m_new, np.nan)
            m_prev = np.where(upd, m_new, m_prev)
            c_prev = np.where(upd, C[:, j], c_prev)
        ex_cols = [j for j, k in enumerate(nodes) if k in exset]
        terms = np.where(need[:, ex_cols], Z[:, ex_cols] - M[:, ex_cols], -np.inf)
        dual = np.max(terms, axis=1)
        return DualBound(float(dual.mean()), float(dual.std(ddof=1) / np.sqrt(n_out)), float(L[:, 0].mean()),
                         n_out, n_in)


def price_bracket(policy: Any, problem: StoppingProblem, model: Any, *, n_lower: int = 50_000,
                  n_outer: int = 1000, n_inner: int = 200, rng: RNGLike = None) -> PriceBracket:
    """Lower (independent paths) and upper (Andersen-Broadie) bounds for one policy.

    Parameters
    ----------
    policy : ExercisePolicy
    problem : StoppingProblem
    model : path model
    n_lower : int, default 50000
        Independent paths for the lower bound.
    n_outer, n_inner : int
        As in :func:`andersen_broadie`.
    rng : Generator, int or None

    Returns
    -------
    PriceBracket

    Guarantee
    ---------
    ``E[lower] <= V_0 <= E[upper]`` (see :func:`evaluate_exercise_policy` and
    :func:`andersen_broadie`); ``interval(z)`` covers ``V_0`` with asymptotic
    probability at least ``1 - 2 (1 - Phi(z))``.

    Examples
    --------
    >>> from finance_apps import GeometricBrownianMotion, Put, StoppingProblem, longstaff_schwartz
    >>> prob = StoppingProblem.bermudan(Put(100.0), [0.5, 1.0], 0.05)
    >>> model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid())
    >>> pol = longstaff_schwartz(prob, model, 10_000, n_test_paths=None, rng=0).policy
    >>> b = price_bracket(pol, prob, model, n_lower=10_000, n_outer=200, n_inner=100, rng=1)
    >>> b.lower.price < b.upper.upper + 3 * b.upper.stderr
    True
    """
    gen = as_generator(rng)
    low = evaluate_exercise_policy(policy, problem, model, n_lower, gen)
    up = andersen_broadie(policy, problem, model, n_outer, n_inner, gen)
    return PriceBracket(low, up)
