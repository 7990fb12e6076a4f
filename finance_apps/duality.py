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

from finance_apps._constraints import MAX_PATHS, PathModel
from finance_apps._util import single_thread_blas
from finance_apps.exercise import (
    N_PATHS,
    POLICY,
    PROBLEM,
    PolicyValue,
    _apply_policy,
    check_paths_budget,
    policy_value,
)
from finance_apps.features import _lookback_of
from finance_apps.stopping import StoppingProblem
from rlcore.validation import MAX_SAMPLES, RNG, Bool, Integer, InvalidParameterError, validate_params
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.results import Result, short_repr

#: Inner paths per outer path and date.
MAX_INNER = 10**6
_MODEL = PathModel("simulate", "simulate_states")


def _check_nested(model: Any, n_outer: int, n_inner: int, antithetic: bool, max_batch: int) -> None:
    """The relations between the nested-simulation budgets (checked before any work)."""
    if antithetic and n_inner % 2:
        raise InvalidParameterError("n_inner", f"antithetic pairs need an even number, got {n_inner}")
    n_dates = int(np.asarray(model.times).size)
    if n_outer * n_inner * n_dates > MAX_SAMPLES:
        raise InvalidParameterError(
            "n_inner",
            f"n_outer * n_inner * dates = {n_outer * n_inner * n_dates:.3g} inner path-dates exceed "
            f"{MAX_SAMPLES:.0e}; use fewer paths",
        )
    check_paths_budget(model, n_outer, "n_outer")
    check_paths_budget(model, min(max_batch, n_outer * n_inner), "max_batch")


__all__ = ["DualBound", "PriceBracket", "andersen_broadie", "price_bracket"]


def _inner_histories(
    prices: np.ndarray, sel: np.ndarray, n_in: int, k: int, inner: np.ndarray, lookback: int | None
) -> np.ndarray:
    """Histories of the inner paths restarted at date ``k``: each outer path's past, ``n_in`` times.

    A policy that reads only the date 0 and its last ``lookback`` dates (from ``k + 1``
    on: dates ``>= k + 2 - lookback``) gets just those of the past filled in; the other
    columns are left unset (never read), which avoids copying ``k`` dates per inner path.
    """
    lo = 1 if lookback is None else max(1, k + 2 - lookback)
    if lo <= 1:
        return np.concatenate([np.repeat(prices[sel, :k], n_in, axis=0), inner], axis=1)
    hist = np.empty((sel.size * n_in, k + inner.shape[1]) + prices.shape[2:])
    hist[:, 0] = np.repeat(prices[sel, 0], n_in, axis=0)
    if lo < k:
        hist[:, lo:k] = np.repeat(prices[sel, lo:k], n_in, axis=0)
    hist[:, k:] = inner
    return hist


@dataclass(frozen=True, repr=False)
class DualBound(Result):
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


@dataclass(frozen=True, repr=False)
class PriceBracket(Result):
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

    def _summary_rows(self) -> list[tuple[str, str]]:
        lo, up = self.lower, self.upper
        return [
            ("lower", f"{short_repr(lo.price)} +- {short_repr(lo.stderr)} (policy value, independent paths)"),
            ("upper", f"{short_repr(up.upper)} +- {short_repr(up.stderr)} (Andersen-Broadie dual)"),
            ("gap", short_repr(self.gap)),
        ]

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """``(lower - z se_lower, upper + z se_upper)``.

        Each end is a one-sided asymptotic confidence limit at level ``Phi(z)``, so the
        interval covers the value with probability at least ``1 - 2 (1 - Phi(z))``.
        """
        return self.lower.price - z * self.lower.stderr, self.upper.upper + z * self.upper.stderr


@validate_params(
    problem=PROBLEM,
    model=_MODEL,
    policy=POLICY,
    n_outer=N_PATHS,
    n_inner=Integer(1, MAX_INNER),
    rng=RNG(),
    skip_out_of_money=Bool(),
    antithetic=Bool(),
    max_batch=Integer(1, MAX_PATHS),
    progress=PROGRESS,
)
def andersen_broadie(
    problem: StoppingProblem,
    model: Any,
    policy: Any,
    n_outer: int = 1000,
    n_inner: int = 200,
    *,
    rng: RNGLike = None,
    skip_out_of_money: bool = True,
    antithetic: bool = True,
    max_batch: int = 100_000,
    progress: bool | None = None,
) -> DualBound:
    """Upper bound of the option value from an exercise policy by nested simulation.

    Parameters
    ----------
    problem : StoppingProblem
    model : path model
        With ``simulate_states`` (restartable from a Markov state).
    policy : ExercisePolicy
    n_outer : int in [2, 10**8], default 1000
        Outer paths (the standard error shrinks as ``n_outer^{-1/2}``).
    n_inner : int in [1, 10**6], default 200
        Inner paths per outer path and date; ``n_outer * n_inner * (n_dates + 1)``
        is at most ``10**12``.
    rng : Generator, int or None
    skip_out_of_money : bool, default True
        Evaluate the martingale only at dates where the payoff is positive or the
        policy stops (and at 0 and maturity), as in Broadie and Cao (2008): with a
        non-negative payoff, stopping at a zero payoff never beats continuing, so the
        dual of the problem restricted to those dates bounds the same value, and the
        martingale sampled there telescopes (fewer noisy inner estimates, a tighter
        and cheaper bound). Raises InvalidParameterError (naming ``problem``) if a
        negative payoff is seen.
    antithetic : bool, default True
        Inner paths in antithetic pairs (``n_inner`` must then be even): the same
        number of inner paths estimates each continuation value with a smaller
        variance, which is what biases the dual upwards.
    max_batch : int in [1, 10**8], default 100000
        Inner paths simulated at once (memory: at most ``10**9`` floats).
    progress : bool or None, default None
        Show a progress bar on standard error (see :mod:`rlcore.progress`) over the
        outer path-dates of the nested simulation (``n_outer`` per date; it advances
        batch by batch of ``max_batch // n_inner`` outer paths, and skipped
        out-of-the-money paths count as done); None follows :func:`rlcore.set_progress`
        (off by default). The result does not depend on it.

    Returns
    -------
    DualBound

    Guarantee
    ---------
    ``E[upper] >= V_0`` for every policy, every ``n_inner`` (Andersen and Broadie 2004,
    Proposition 1 and section 3: the dual with any martingale, and the inner-sampling
    noise biasing upwards); the bound is tight (``E[upper] = V_0``) for an optimal
    policy with exact continuation values. Tested by
    ``tests/finance_apps/test_duality.py::test_dual_is_an_upper_bound_over_seeds`` (four
    seeds, one-sided 3-sigma checks against the lattice value),
    ``tests/finance_apps/test_duality.py::test_dual_of_a_poor_policy_is_still_an_upper_bound``
    and ``tests/finance_apps/test_duality.py::test_dual_is_tight_for_the_optimal_policy``
    (the lattice's own optimal policy: the gap closes to the inner-sampling bias).

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
    >>> ub = andersen_broadie(prob, model, pol, 300, 100, rng=1)
    >>> ub.upper > 5.9
    True
    """
    ex = problem.check_model(model)
    _check_nested(model, n_outer, n_inner, antithetic, max_batch)
    gen = as_generator(rng)
    total = n_outer * len({0} | {int(k) for k in ex})
    with progress_bar(total, desc="finance_apps.andersen_broadie", progress=progress, unit="path-date") as bar:
        return _andersen_broadie(
            policy, problem, model, ex, n_outer, n_inner, gen, skip_out_of_money, antithetic, max_batch, bar
        )


def _andersen_broadie(
    policy: Any,
    problem: StoppingProblem,
    model: Any,
    ex: np.ndarray,
    n_out: int,
    n_in: int,
    gen: np.random.Generator,
    skip_out_of_money: bool,
    antithetic: bool,
    batch: int,
    bar: Any,
) -> DualBound:
    """:func:`andersen_broadie` on validated arguments; ``bar`` counts outer path-dates."""
    with single_thread_blas():
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
        lookback = _lookback_of(policy)
        for j, k in enumerate(nodes):
            if k in exset:
                Z[:, j] = np.asarray(problem.payoff(prices[:, k]), dtype=np.float64) * disc[k]
                stops = np.asarray(policy.stop(prices[:, : k + 1], k), dtype=bool)
                if skip_out_of_money:
                    if np.any(Z[:, j] < 0):
                        raise InvalidParameterError(
                            "problem", "its payoff is negative on some paths; pass skip_out_of_money=False"
                        )
                    if 0 < k < k_last:
                        need[:, j] = (Z[:, j] > 0) | stops
            else:
                stops = np.zeros(n_out, dtype=bool)
            if k == k_last:
                L[:, j] = np.where(stops, Z[:, j], 0.0)
                bar.update(n_out)
                continue
            rows = np.flatnonzero(need[:, j])
            bar.update(n_out - rows.size)  # the paths that need no inner simulation here
            for lo in range(0, rows.size, per):
                sel = rows[lo : lo + per]
                m = sel.size
                init = np.repeat(states[sel, k], n_in, axis=0)
                inner = model.simulate_states(m * n_in, gen, start=k, initial=init, antithetic=antithetic)[..., :d]
                hist = _inner_histories(prices, sel, n_in, k, inner, lookback)
                pay, _ = _apply_policy(policy, problem, hist, times, ex, first=k + 1)
                C[sel, j] = pay.reshape(m, n_in).mean(axis=1)
                bar.update(m)
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
        value = policy_value(dual, np.zeros(n_out, dtype=np.int64))
        return DualBound(
            upper=value.price, stderr=value.stderr, policy_value=float(L[:, 0].mean()), n_outer=n_out, n_inner=n_in
        )


@validate_params(
    problem=PROBLEM,
    model=_MODEL,
    policy=POLICY,
    n_lower=N_PATHS,
    n_outer=N_PATHS,
    n_inner=Integer(1, MAX_INNER),
    rng=RNG(),
    progress=PROGRESS,
)
def price_bracket(
    problem: StoppingProblem,
    model: Any,
    policy: Any,
    *,
    n_lower: int = 50_000,
    n_outer: int = 1000,
    n_inner: int = 200,
    rng: RNGLike = None,
    progress: bool | None = None,
) -> PriceBracket:
    """Lower (independent paths) and upper (Andersen-Broadie) bounds for one policy.

    Parameters
    ----------
    problem : StoppingProblem
    model : path model
    policy : ExercisePolicy
    n_lower : int in [2, 10**8], default 50000
        Independent paths for the lower bound.
    n_outer, n_inner : int
        As in :func:`andersen_broadie` (antithetic inner pairs: ``n_inner`` even).
    rng : Generator, int or None
    progress : bool or None, default None
        Show a progress bar on standard error (see :mod:`rlcore.progress`) over the
        outer path-dates of the upper bound (the lower bound, one pass over
        ``n_lower`` paths, comes first and is quick); None follows
        :func:`rlcore.set_progress` (off by default). The result does not depend on it.

    Returns
    -------
    PriceBracket

    Guarantee
    ---------
    ``E[lower] <= V_0 <= E[upper]`` (see :func:`evaluate_exercise_policy` and
    :func:`andersen_broadie`); ``interval(z)`` covers ``V_0`` with asymptotic
    probability at least ``1 - 2 (1 - Phi(z))``. Tested by
    ``tests/finance_apps/test_duality.py::test_bracket_for_lsmc_policy_covers_the_lattice_value``
    and ``tests/finance_apps/test_duality.py::test_dual_is_tight_for_the_optimal_policy``
    (``interval(3)`` covers the lattice value).

    Examples
    --------
    >>> from finance_apps import GeometricBrownianMotion, Put, StoppingProblem, longstaff_schwartz
    >>> prob = StoppingProblem.bermudan(Put(100.0), [0.5, 1.0], 0.05)
    >>> model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid())
    >>> pol = longstaff_schwartz(prob, model, 10_000, n_test_paths=None, rng=0).policy
    >>> b = price_bracket(prob, model, pol, n_lower=10_000, n_outer=200, n_inner=100, rng=1)
    >>> b.lower.price < b.upper.upper + 3 * b.upper.stderr
    True
    """
    ex = problem.check_model(model)
    check_paths_budget(model, n_lower, "n_lower")
    _check_nested(model, n_outer, n_inner, True, 100_000)
    gen = as_generator(rng)
    times = np.asarray(model.times)
    total = n_outer * len({0} | {int(k) for k in ex})
    with progress_bar(total, desc="finance_apps.price_bracket", progress=progress, unit="path-date") as bar:
        low = policy_value(*_apply_policy(policy, problem, model.simulate(n_lower, gen), times, ex))
        up = _andersen_broadie(policy, problem, model, ex, n_outer, n_inner, gen, True, True, 100_000, bar)
    return PriceBracket(lower=low, upper=up)
