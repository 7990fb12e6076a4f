"""Suboptimality bounds of the LCB family as functions of (n, C*, S, A, horizon or gamma, delta).

Two kinds of functions:

* **explicit** bounds, with every constant written out, derived from Hoeffding's
  inequality and a multiplicative Chernoff bound along the proofs of Rashidinejad et
  al. (2021): :func:`lcb_bandit_bound` (multi-armed and contextual bandits) and
  :func:`vi_lcb_bound` (VI-LCB). They hold for the library's algorithms with the
  default penalty constant ``c = 1`` and are checked over seeds by the tests;
* **rate** bounds whose papers state only the order, ``C x rate`` with an unspecified
  universal constant ``C`` (an argument, default 1, for plotting shapes):
  :func:`li_bound` (Li et al. 2024, Theorems 1 and 2).

Derivations are in ``docs/theory/offline.md``.

References
----------
P. Rashidinejad, B. Zhu, C. Ma, J. Jiao, S. Russell, "Bridging offline reinforcement
learning and imitation learning: a tale of pessimism", NeurIPS 2021.
G. Li, L. Shi, Y. Chen, Y. Chi, Y. Wei, "Settling the sample complexity of model-based
offline reinforcement learning", Ann. Statist. 52(1), 2024.
"""

from __future__ import annotations

import math

from rlcore.validation import MAX_SAMPLES, Integer, Real, validate_params
from offline._common import check_v_max, exactly_one
from offline.vacuous import warn_above_trivial
from offline._constraints import DELTA_FLOOR, MAX_ACTIONS, MAX_HORIZON, MAX_SPLIT_ITERATIONS, MAX_STATES, R_MAX_LIMIT

__all__ = ["lcb_bandit_bound", "li_bound", "vi_lcb_bound"]

_CAPPED = (
    "the function returns the trivial {} instead: more samples, a better-covering behavior (smaller C*) or a "
    "larger delta would make it informative"
)

#: Concentrability: positive, ``inf`` allowed (the data miss a pair the comparator needs).
C_STAR = Real(0, None, closed="neither", finite=False)
N = Integer(1, MAX_SAMPLES)
DELTA = Real(DELTA_FLOOR, 1, closed="left")
R_MAX = Real(0, R_MAX_LIMIT, closed="right")


@validate_params(
    n=N, c_star=C_STAR, n_arms=Integer(1, MAX_ACTIONS), delta=DELTA, n_contexts=Integer(1, MAX_STATES), r_max=R_MAX
)
def lcb_bandit_bound(
    n: int, c_star: float, n_arms: int, delta: float, *, n_contexts: int = 1, r_max: float = 1.0
) -> float:
    """Explicit high-probability suboptimality bound of LCB on (contextual) bandit data.

    .. math:: \\min\\Big\\{r_{\\max},\\; r_{\\max}\\Big(2\\sqrt{\\tfrac{S C^* \\log(2SA/\\delta)}{n}}
              + \\tfrac{8 S C^* \\log(S/\\delta)}{n}\\Big)\\Big\\}

    for :func:`offline.lcb_arm` (``S = 1``) and :func:`offline.contextual_lcb` with
    ``c >= 1``, where ``C* = max_s rho(s) / mu(s, pi*(s))``.

    Parameters
    ----------
    n : int in [1, 10**12]
        Number of samples.
    c_star : float in (0, inf]
        Concentrability of the data w.r.t. the optimal arm / policy (``inf`` allowed:
        the bound is then the trivial ``r_max``).
    n_arms : int in [1, 10**6]
    delta : float in [1e-100, 1)
    n_contexts : int in [1, 10**6]
    r_max : float in (0, 1e100]
        Rewards lie in ``[0, r_max]``.

    Returns
    -------
    float

    Warns
    -----
    VacuousResultWarning
        When the formula is above the trivial bound ``r_max``, also for an infinite
        ``c_star``, so that the trivial bound is returned.

    Guarantee
    ---------
    With probability at least ``1 - 2 delta``, ``r(pi*) - r(pi_hat)`` is at most the
    returned value: Hoeffding (probability ``delta``) makes ``r_hat - b <= r <= r_hat + b``
    for every pair, hence ``r(s, pi*) - r(s, pi_hat) <= 2 b(s, pi*)``; a multiplicative
    Chernoff bound (probability ``delta``) gives ``N(s, pi*) >= n mu / 2`` wherever
    ``n mu >= 8 log(S / delta)``; Cauchy-Schwarz over the ``S`` contexts. This is the
    explicit-constant form of the LCB theorems of Rashidinejad et al. (2021) (order
    ``sqrt(S C* log / n)``). Tested by
    ``tests/offline/test_bandits.py::test_lcb_failure_decays_while_empirical_best_keeps_failing``
    and ``tests/offline/test_bandits.py::test_contextual_lcb_bound_holds_over_seeds`` (the
    frequency of exceeding it, over seeds, within the budget of ``2 delta``), the formula by
    ``tests/offline/test_bounds.py::test_lcb_bandit_bound_formula_by_hand``.

    Examples
    --------
    >>> round(lcb_bandit_bound(10_000, 2.0, 5, 0.05), 4)
    0.0699
    """
    cs, A, S = c_star, n_arms, n_contexts
    if math.isinf(cs):
        val = math.inf
    else:
        val = 2.0 * math.sqrt(S * cs * math.log(2 * S * A / delta) / n) + 8.0 * S * cs * math.log(S / delta) / n
    warn_above_trivial(r_max * val, r_max, "lcb_bandit_bound", _CAPPED.format("r_max"), stacklevel=4)
    return min(r_max, r_max * val)


@validate_params(
    n=N,
    c_star=C_STAR,
    n_states=Integer(1, MAX_STATES),
    n_actions=Integer(1, MAX_ACTIONS),
    gamma=Real(0, 1, closed="left"),
    delta=DELTA,
    n_iterations=Integer(1, MAX_SPLIT_ITERATIONS) | None,
    c=Real(1, 1e100),
    r_max=R_MAX,
)
def vi_lcb_bound(
    n: int,
    c_star: float,
    n_states: int,
    n_actions: int,
    gamma: float,
    delta: float,
    *,
    n_iterations: int | None = None,
    c: float = 1.0,
    r_max: float = 1.0,
) -> float:
    """Explicit high-probability suboptimality bound of :func:`offline.vi_lcb`.

    With ``T`` iterations (default ``ceil(log(n) / (1 - gamma))``, as in the algorithm),
    ``m = floor(n / (T + 1))`` samples per fold, ``V_max = r_max / (1 - gamma)`` and
    ``L = log(2 T S A / delta)``:

    .. math:: \\min\\Big\\{V_{\\max},\\; \\frac{2 V_{\\max}}{1-\\gamma}\\Big(c\\sqrt{\\tfrac{S C^* L}{m}}
              + \\tfrac{8 S C^* \\log(TS/\\delta)}{m}\\Big) + \\gamma^T V_{\\max}\\Big\\}.

    Parameters
    ----------
    n : int in [1, 10**12]
    c_star : float in (0, inf]
        ``max d*(s, a) / mu(s, a)`` for a deterministic optimal comparator (``inf``
        allowed), data i.i.d. from ``mu``.
    n_states, n_actions : int in [1, 10**6]
    gamma : float in [0, 1)
    delta : float in [1e-100, 1)
    n_iterations : int in [1, 10**6], optional
    c : float in [1, 1e100]
        The penalty constant the algorithm ran with.
    r_max : float in (0, 1e100]
        ``V_max = r_max / (1 - gamma)`` must stay within float64.

    Returns
    -------
    float

    Warns
    -----
    VacuousResultWarning
        When the formula is above the trivial bound ``V_max`` (also for an infinite ``c_star`` or fewer samples than folds),
        so that the trivial bound is returned.

    Guarantee
    ---------
    With probability at least ``1 - 2 delta``, ``V*(rho) - V^pi(rho)`` is at most the
    returned value: the data-dependent :func:`offline.pessimism_certificate` holds
    with probability ``1 - delta`` (Hoeffding per fold), and a Chernoff bound over the
    ``T S`` (fold, visited pair) events bounds its penalties (probability ``delta``).
    The order, ``sqrt(S C* log(n) L / ((1 - gamma)^5 n))``, is that of Rashidinejad
    et al. (2021) for VI-LCB; the constants are this library's derivation
    (``docs/theory/offline.md``). Tested by
    ``tests/offline/test_pessimism.py::test_vi_lcb_certificate_and_bound_hold_over_seeds``
    (30 seeds on expert, mixed and uniform data, within the budget of ``2 delta``), the
    formula by ``tests/offline/test_bounds.py::test_vi_lcb_bound_formula_by_hand``.

    Examples
    --------
    >>> round(vi_lcb_bound(10**6, 1.0, 5, 2, 0.5, 0.05), 3)
    0.368
    """
    cs, S, A, g = c_star, n_states, n_actions, gamma
    v_max = check_v_max(r_max, g)
    T = n_iterations if n_iterations is not None else max(1, math.ceil(math.log(max(n, 2)) / (1.0 - g)))
    m = n // (T + 1)
    if math.isinf(cs) or m == 0:
        val = math.inf
    else:
        L = math.log(2 * T * S * A / delta)
        val = (2.0 * v_max / (1.0 - g)) * (c * math.sqrt(S * cs * L / m) + 8.0 * S * cs * math.log(T * S / delta) / m)
        val += g**T * v_max
    warn_above_trivial(val, v_max, "vi_lcb_bound", _CAPPED.format("V_max"), stacklevel=4)
    return min(v_max, val)


@validate_params(
    n=N,
    c_star_clipped=C_STAR,
    n_states=Integer(1, MAX_STATES),
    delta=DELTA,
    gamma=Real(0, 1, closed="left") | None,
    horizon=Integer(1, MAX_HORIZON) | None,
    constant=Real(0, 1e100, closed="right"),
)
def li_bound(
    n: int,
    c_star_clipped: float,
    n_states: int,
    delta: float,
    *,
    gamma: float | None = None,
    horizon: int | None = None,
    constant: float = 1.0,
) -> float:
    """Rate of Li, Shi, Chen, Chi, Wei (2024) for Bernstein-penalised pessimistic VI.

    Discounted: ``constant * sqrt(S C L / ((1 - gamma)^3 n))`` with
    ``L = log(n / ((1 - gamma) delta))``, capped at ``1 / (1 - gamma)``. Finite horizon
    ``n`` transitions: ``constant * sqrt(H^4 S C L / n)`` with
    ``L = log(H S n / delta)``, capped at ``H``. Rewards in ``[0, 1]``.

    Parameters
    ----------
    n : int in [1, 10**12]
    c_star_clipped : float in (0, inf]
        :func:`offline.concentrability` with ``clipped=True``.
    n_states : int in [1, 10**6]
    delta : float in [1e-100, 1)
    gamma : float in [0, 1), optional
    horizon : int in [1, 10**6], optional
        Exactly one of ``gamma`` and ``horizon``.
    constant : float in (0, 1e100]
        The paper's universal constant, which it does not specify: this function gives
        the *shape* of the bound, not a certified number.

    Returns
    -------
    float

    Guarantee
    ---------
    For a large enough universal ``constant`` (and penalty constant ``c``), the
    suboptimality of :func:`offline.vi_lcb_bernstein` is below this value with
    probability ``1 - 2 delta`` (Li et al. 2024, main theorems); the rate is minimax
    optimal up to log factors for every accuracy level. The constant being unspecified,
    the tests check the rate: the pessimistic gap of :func:`offline.vi_lcb_bernstein`
    stays within a fixed multiple of this function over a 16-fold range of ``n``, tested by
    ``tests/offline/test_pessimism.py::test_bernstein_gap_follows_the_li_rate``; the formula
    by ``tests/offline/test_bounds.py::test_li_bound_shapes``.

    Examples
    --------
    >>> li_bound(10**6, 1.0, 10, 0.05, gamma=0.9) < li_bound(10**4, 1.0, 10, 0.05, gamma=0.9)
    True
    """
    cs, S = c_star_clipped, n_states
    exactly_one(gamma, horizon)
    if gamma is not None:
        g = gamma
        cap = 1.0 / (1.0 - g)
        if math.isinf(cs):
            return cap
        L = math.log(n / ((1.0 - g) * delta))
        return min(cap, constant * math.sqrt(S * cs * max(L, 1.0) / ((1.0 - g) ** 3 * n)))
    H = int(horizon)  # type: ignore[arg-type]
    if math.isinf(cs):
        return float(H)
    L = math.log(H * S * n / delta)
    return min(float(H), constant * math.sqrt(H**4 * S * cs * max(L, 1.0) / n))
