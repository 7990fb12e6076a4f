"""One pessimistic value-iteration core: the LCB family for tabular MDPs.

Pessimism in the face of uncertainty replaces the empirical Bellman backup by a lower
confidence bound,

.. math:: Q(s, a) = \\operatorname{clip}\\big(\\hat r(s, a) + \\gamma \\hat P_{s,a} V - b(s, a),\\;
          0,\\; V_{\\max}\\big), \\qquad V(s) = \\max_a Q(s, a),

with a penalty ``b`` that dominates the estimation error of the backup. Three choices
parametrise :func:`pessimistic_value_iteration`:

``penalty``
    ``"hoeffding"``: ``b = c V_range sqrt(L / (2 N(s, a)))`` (the width of Hoeffding's
    inequality for ``r + gamma V(s')`` in ``[0, V_range]``, union-bounded over ``L``;
    Rashidinejad et al. 2021, VI-LCB); ``"bernstein"``: the variance-aware penalty of
    Li et al. (2024), built on ``Var_{P_hat(s,a)}(V)``; ``"none"``: the plug-in
    (certainty-equivalent) backup, unclipped; or an array of fixed penalties.
``splitting``
    ``"iterations"`` (discounted): the data are split at random into ``T + 1`` folds;
    fold 0 gives the initial policy (the most played action, i.e. behavior cloning),
    fold ``t`` the model of iteration ``t``, and a state's value and action change only
    when the new value is strictly larger (Rashidinejad et al. 2021, VI-LCB).
    ``"two_fold"`` (finite horizon): half of the episodes decide, per ``(h, s)``, how
    many transitions of the other half to keep (Li et al. 2024, two-fold subsampling),
    which makes the kept samples behave like independent ones. ``"none"``: all data,
    value iteration to the fixed point (discounted) or backward induction (finite
    horizon).
horizon type
    ``gamma`` (discounted, ``V_max = r_max / (1 - gamma)``) or ``horizon`` (``H`` steps,
    ``V_h`` in ``[0, (H - h) r_max]``).

Zero-safety: a pair never seen gets the maximal penalty ``b = V_range`` (no division by
zero, never a NaN), so its pessimistic value is exactly 0. Values are clipped at 0 from
below; ties among actions, which the clipping creates (all unsupported actions have
value exactly 0), are broken toward the most-visited action, then the lowest index. So
on expert data (``C* = 1``), where only the expert's actions are ever seen, the
pessimistic policy takes the expert's action in every visited state: it imitates.

The algorithms never need ``C*``; it only enters the bounds of :mod:`offline.bounds`.

Structure: one pure backup (``Q = clip(R_hat - b + gamma P_hat V, lo, hi)``, no
validation, no branching on the algorithm) and one small driver per algorithm over it:
discounted VI-LCB iterated to its fixed point, the sample-split VI-LCB, and
finite-horizon backward induction (on two-fold subsampled data or on all of it). The
public functions below validate their arguments, check the relations between them, and
call one driver. The result records the algorithm in typed fields
(:attr:`PessimisticResult.penalty_kind`, :attr:`PessimisticResult.n_folds`), which
:func:`pessimism_certificate` reads.

References
----------
P. Rashidinejad, B. Zhu, C. Ma, J. Jiao, S. Russell, "Bridging offline reinforcement
learning and imitation learning: a tale of pessimism", NeurIPS 2021.
G. Li, L. Shi, Y. Chen, Y. Chi, Y. Wei, "Settling the sample complexity of model-based
offline reinforcement learning", Ann. Statist. 52(1):233-260, 2024.
Y. Jin, Z. Yang, Z. Wang, "Is pessimism provably efficient for offline RL?", ICML 2021.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from rlcore.bellman import resolvent_bounds
from rlcore.dataset import Dataset
from rlcore.evaluation import evaluate_policy
from rlcore.mdp import FiniteMDP
from rlcore.progress import PROGRESS
from rlcore.randomness import RNGLike
from rlcore.validation import (
    MAX_ITERATIONS,
    MDP,
    RNG,
    Bool,
    Instance,
    Integer,
    InvalidParameterError,
    Options,
    Policy,
    Real,
    validate_params,
)
from offline._common import check_model_size, exactly_one, tabular_columns
from offline._constraints import (
    DELTA_FLOOR,
    MAX_ACTIONS,
    MAX_HORIZON,
    MAX_SPLIT_ITERATIONS,
    MAX_STATES,
    R_MAX_LIMIT,
    TOL_FLOOR,
    OfflineData,
    PenaltyArray,
)
from offline._pessimistic_drivers import (
    PenaltyRule,
    TabularSample,
    check_relations,
    reward_range,
    run_driver,
    vacuity_hint,
)
from offline.data import _optimal_policy
from offline.pessimistic_result import PessimisticResult
from offline.vacuous import warn_above_trivial, warn_all_clipped

__all__ = [
    "PessimisticResult",
    "pessimism_certificate",
    "pessimistic_value_iteration",
    "vi_lcb",
    "vi_lcb_bernstein",
]

_PENALTIES = ("hoeffding", "bernstein", "none")

#: The constraints the pessimistic methods share (declared once, used by each).
GAMMA = Real(0, 1, closed="left")
HORIZON = Integer(1, MAX_HORIZON)
N_STATES = Integer(1, MAX_STATES)
N_ACTIONS = Integer(1, MAX_ACTIONS)
C = Real(0, 1e100, closed="right")
DELTA = Real(DELTA_FLOOR, 1, closed="left")
R_MAX = Real(0, R_MAX_LIMIT, closed="right") | None
N_ITERATIONS = Integer(1, MAX_SPLIT_ITERATIONS) | None


@validate_params(
    data=OfflineData(states="n_states", actions="n_actions", horizon="horizon"),
    n_states=N_STATES,
    n_actions=N_ACTIONS,
    gamma=GAMMA | None,
    horizon=HORIZON | None,
    penalty=Options(*_PENALTIES) | PenaltyArray(),
    splitting=Options("none", "iterations", "two_fold"),
    c=C,
    delta=DELTA,
    r_max=R_MAX,
    n_iterations=N_ITERATIONS,
    ridge=Real(0, None),
    subsampling_constant=Real(0, None),
    epsilon=Real(TOL_FLOOR, None),
    max_iter=Integer(1, MAX_ITERATIONS),
    rng=RNG(),
    progress=PROGRESS,
)
def pessimistic_value_iteration(
    data: Dataset,
    n_states: int,
    n_actions: int,
    *,
    gamma: float | None = None,
    horizon: int | None = None,
    penalty: str | Any = "hoeffding",
    splitting: str = "none",
    c: float = 1.0,
    delta: float = 0.05,
    r_max: float | None = None,
    n_iterations: int | None = None,
    ridge: float = 0.0,
    subsampling_constant: float = 10.0,
    epsilon: float = 1e-10,
    max_iter: int = 100_000,
    rng: RNGLike = None,
    progress: bool | None = None,
) -> PessimisticResult:
    """Pessimistic (lower-confidence-bound) value iteration on tabular data.

    Parameters
    ----------
    data : Dataset
        Non-empty; integer observations in ``[0, S)``, actions in ``[0, A)``; under a
        finite horizon ``timesteps`` give the step ``h`` (below ``horizon``).
    n_states, n_actions : int in [1, 10**6]
        The empirical model holds ``H * S * A * S`` entries (``H = 1`` when
        discounted), at most ``10**8``.
    gamma : float, optional
        Discount in ``[0, 1)``. Exactly one of ``gamma`` and ``horizon``.
    horizon : int in [1, 10**6], optional
    penalty : {"hoeffding", "bernstein", "none"} or array_like
        See the module docstring. An array gives fixed penalties, shape (S, A)
        (discounted) or (H, S, A), non-negative.
    splitting : {"none", "iterations", "two_fold"}
        ``"iterations"`` only with ``gamma``, ``"two_fold"`` only with ``horizon``.
    c : float in (0, 1e100]
        Penalty constant. Hoeffding: multiplier of the width (``c = 1`` is the exact
        union-bound width, under which :func:`pessimism_certificate` holds with
        probability ``1 - delta``; the paper's analysis uses a much larger
        constant, chosen for its proof rather than for use). Bernstein: the
        constant ``c_b`` of Li et al., which their theorems take "large enough"
        without a value. Practitioners tune it; smaller is less conservative.
    delta : float in [1e-100, 1)
        Confidence level inside the log factor (below ``1e-100`` it has no statistical
        meaning, and the log factors would leave float64 range).
    r_max : float in (0, 1e100], optional
        Rewards must lie in ``[0, r_max]`` (checked) for the pessimistic penalties.
        ``V_max`` (and the Bernstein penalty's ``V_max**2``) must stay within float64.
        Default: inferred as the largest observed reward (1 if none is positive), and
        recorded as ``r_max_inferred=True`` in the result. The largest observed reward
        is only a *lower bound* on the true range: pass the known range whenever you
        have it. The penalties, the values and :func:`pessimism_certificate` then hold
        under the assumption that rewards never exceed the inferred ``r_max``. A range
        far above the rewards inflates every penalty (they scale with ``r_max``) and
        can clip every value at 0; :class:`rlcore.VacuousResultWarning` says so.
    n_iterations : int in [1, 10**6], optional
        ``T`` of the split algorithm (``splitting="iterations"`` only); default
        ``ceil(log(N) / (1 - gamma))``, which must not exceed ``10**6`` (for ``gamma``
        very close to 1 pass ``n_iterations``).
    ridge : float >= 0
        Shrinks the model, ``P_hat = N(s,a,s') / (N(s,a) + ridge)`` and likewise
        ``R_hat``: the tabular case of the ridge regression in PEVI (Jin et al. 2021).
    subsampling_constant : float >= 0
        The ``10`` in Li et al.'s trimmed counts ``N - 10 sqrt(N log(HS/delta))``.
    epsilon : float >= 1e-15
        Stopping rule of the fixed-point iteration (discounted, no splitting): stop
        when ``max |Q_new - Q| <= epsilon * max(1, V_max)`` (a smaller relative change is
        below float64 resolution).
    max_iter : int in [1, 10**9]
        Budget of that iteration; the result has ``converged=False`` when it runs out.
    rng : Generator, int or None
        Used by the random splits only.
    progress : bool or None, default None
        Show a progress bar on standard error over the backward steps (finite
        horizon), the split iterations, or the fixed-point iterations (open-ended: they
        stop at convergence); see :mod:`rlcore.progress`. None follows
        :func:`rlcore.set_progress` (off by default). The result does not depend on it.

    Returns
    -------
    PessimisticResult

    Warns
    -----
    VacuousResultWarning
        With a pessimistic penalty, when every returned value is clipped at 0 although
        the data hold positive rewards: the values say nothing and the policy is the
        tie-break's (most-visited action).

    Guarantee
    ---------
    With ``penalty="hoeffding"``, ``c >= 1``, ``splitting="iterations"`` and i.i.d.
    data, with probability at least ``1 - delta`` the returned ``V`` is below the
    true ``V^policy`` and ``V*(rho) - V^policy(rho)`` is at most
    :func:`pessimism_certificate` (the proof of Rashidinejad et al. 2021 for VI-LCB, with
    the Hoeffding constants made explicit in ``docs/theory/offline.md``), hence at
    most :func:`offline.vi_lcb_bound` with probability ``1 - 2 delta``. With
    ``penalty="bernstein"`` the suboptimality is
    ``O(sqrt(S C*_clipped L / ((1 - gamma)^3 N)))`` (Li et al. 2024, discounted) or
    ``O(sqrt(H^4 S C*_clipped L / N))`` for ``N`` transitions under a finite horizon
    with two-fold subsampling (finite horizon), for ``c`` above an unspecified constant.
    Tested by ``tests/offline/test_pessimism.py::test_vi_lcb_certificate_and_bound_hold_over_seeds``
    (Hoeffding, split, over seeds with the failure budget written out) and
    ``tests/offline/test_pessimism.py::test_bernstein_gap_follows_the_li_rate`` (Bernstein,
    discounted and two-fold finite horizon: pessimism on every seed, and the gap within
    a fixed multiple of :func:`offline.li_bound` across a 16-fold range of ``N``).

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> from offline.data import sample_transitions, optimal_policy
    >>> mdp = chain(4, small_reward=0.2, large_reward=1.0, gamma=0.5)
    >>> data = sample_transitions(mdp, np.full((4, 2), 1 / 8), 4000, rng=0)
    >>> res = pessimistic_value_iteration(data, 4, 2, gamma=0.5)
    >>> plug_in = pessimistic_value_iteration(data, 4, 2, gamma=0.5, penalty="none")
    >>> bool((res.V >= 0).all() and (res.V <= plug_in.V).all()), plug_in.policy.tolist()
    (True, [1, 1, 0, 0])
    """
    return _pessimistic_value_iteration(
        data,
        n_states,
        n_actions,
        gamma=gamma,
        horizon=horizon,
        penalty=penalty,
        splitting=splitting,
        c=c,
        delta=delta,
        r_max=r_max,
        n_iterations=n_iterations,
        ridge=ridge,
        subsampling_constant=subsampling_constant,
        tol=epsilon,
        max_iter=max_iter,
        rng=rng,
        progress=progress,
    )


def _pessimistic_value_iteration(
    data: Dataset,
    S: int,
    A: int,
    *,
    gamma: float | None,
    horizon: int | None,
    penalty: str | np.ndarray,
    splitting: str,
    c: float = 1.0,
    delta: float = 0.05,
    r_max: float | None = None,
    n_iterations: int | None = None,
    ridge: float = 0.0,
    subsampling_constant: float = 10.0,
    tol: float = 1e-10,
    max_iter: int = 100_000,
    rng: RNGLike = None,
    progress: bool | None = None,
) -> PessimisticResult:
    """On validated arguments: check the relations between them, then run the driver of the algorithm they name."""
    H = horizon
    exactly_one(gamma, H)
    check_model_size(S, A, H)
    s, a, r, s2, t = tabular_columns(data)
    fixed = penalty if isinstance(penalty, np.ndarray) else None
    kind = "fixed" if fixed is not None else str(penalty)
    r_range, inferred = reward_range(r_max, r, kind != "none")
    rule = PenaltyRule(kind, c=c, r_max=r_range, fixed=fixed)
    check_relations(rule, r, H, splitting, ridge, n_iterations)
    res = run_driver(
        TabularSample(s, a, r, s2, t, data.episode_ids, S, A, H, ridge),
        rule,
        gamma=gamma,
        splitting=splitting,
        delta=delta,
        n_iterations=n_iterations,
        subsampling_constant=subsampling_constant,
        tol=tol,
        max_iter=max_iter,
        rng=rng,
        progress=progress,
    )
    res = dataclasses.replace(res, r_max=r_range, r_max_inferred=inferred)
    if rule.pessimistic:
        warn_all_clipped(res.V, r, res.method, vacuity_hint(res, r), stacklevel=5)
    return res


@validate_params(
    data=OfflineData(states="n_states", actions="n_actions"),
    n_states=N_STATES,
    n_actions=N_ACTIONS,
    gamma=GAMMA,
    delta=DELTA,
    c=C,
    r_max=R_MAX,
    n_iterations=N_ITERATIONS,
    rng=RNG(),
    progress=PROGRESS,
)
def vi_lcb(
    data: Dataset,
    n_states: int,
    n_actions: int,
    gamma: float,
    *,
    delta: float = 0.05,
    c: float = 1.0,
    r_max: float | None = None,
    n_iterations: int | None = None,
    rng: RNGLike = None,
    progress: bool | None = None,
) -> PessimisticResult:
    """VI-LCB of Rashidinejad et al. (2021): Hoeffding penalty, data split across iterations.

    :func:`pessimistic_value_iteration` with ``penalty="hoeffding"`` and
    ``splitting="iterations"``; see there for the parameters (``progress`` included).

    Guarantee
    ---------
    With i.i.d. data and ``c >= 1``: with probability ``1 - delta``, the pessimistic
    values lower-bound the policy's values and the suboptimality is at most
    :func:`pessimism_certificate`; with probability ``1 - 2 delta`` at most
    :func:`offline.vi_lcb_bound`, of order ``sqrt(S C* log(N) L / ((1 - gamma)^5 N))``
    (Rashidinejad et al. 2021, VI-LCB theorem). Tested by
    ``tests/offline/test_pessimism.py::test_vi_lcb_certificate_and_bound_hold_over_seeds``
    (expert, mixed and uniform data, 30 seeds each, failure budgets written out) and
    ``tests/offline/test_pessimism.py::test_vi_lcb_gap_decays_at_the_theoretical_rate_across_concentrability``
    (the order in ``N``).

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> from offline.data import sample_transitions
    >>> mdp = chain(3, small_reward=0.2, large_reward=1.0, gamma=0.5)
    >>> res = vi_lcb(sample_transitions(mdp, np.full((3, 2), 1 / 6), 3000, rng=0), 3, 2, 0.5, rng=0)
    >>> res.iterations, res.n_folds, res.policy.shape
    (17, 18, (3,))
    """
    return _pessimistic_value_iteration(
        data,
        n_states,
        n_actions,
        gamma=gamma,
        horizon=None,
        penalty="hoeffding",
        splitting="iterations",
        c=c,
        delta=delta,
        r_max=r_max,
        n_iterations=n_iterations,
        rng=rng,
        progress=progress,
    )


@validate_params(
    data=OfflineData(states="n_states", actions="n_actions", horizon="horizon"),
    n_states=N_STATES,
    n_actions=N_ACTIONS,
    gamma=GAMMA | None,
    horizon=HORIZON | None,
    delta=DELTA,
    c=C,
    r_max=R_MAX,
    subsample=Bool(),
    rng=RNG(),
    progress=PROGRESS,
)
def vi_lcb_bernstein(
    data: Dataset,
    n_states: int,
    n_actions: int,
    *,
    gamma: float | None = None,
    horizon: int | None = None,
    delta: float = 0.05,
    c: float = 1.0,
    r_max: float | None = None,
    subsample: bool = True,
    rng: RNGLike = None,
    progress: bool | None = None,
) -> PessimisticResult:
    """Model-based pessimistic VI with a Bernstein penalty (Li, Shi, Chen, Chi, Wei 2024).

    Discounted: no splitting, the pessimistic Bellman operator iterated to its fixed
    point. Finite horizon: backward induction on two-fold subsampled trajectories
    (``subsample=False`` uses all data, as practitioners do). The parameters are those
    of :func:`pessimistic_value_iteration` (``progress`` included).

    Guarantee
    ---------
    For ``c`` above an unspecified universal constant, with probability
    ``1 - 2 delta``: ``V*(rho) - V^pi(rho) <= C sqrt(S C*_clipped L / ((1 - gamma)^3 N))``
    (discounted, i.i.d. data; Li et al. 2024) and
    ``<= C sqrt(H^4 S C*_clipped L / N)`` for ``N`` transitions of ``K = N / H``
    episodes (finite horizon, same paper), with ``L`` logarithmic; see
    :func:`offline.li_bound`. The constant ``C`` is not given, so what can be checked
    is pessimism and the rate: tested by
    ``tests/offline/test_pessimism.py::test_bernstein_gap_follows_the_li_rate``
    (both settings, ``N`` over a 16-fold range, several seeds) and
    ``tests/offline/test_pessimism.py::test_bernstein_discounted_is_pessimistic_and_converges``.

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> from rlcore import rollout
    >>> mdp = chain(3, small_reward=0.2, large_reward=1.0, horizon=3)
    >>> data = rollout(mdp, np.full((3, 2), 0.5), 3000, rng=0)
    >>> res = vi_lcb_bernstein(data, 3, 2, horizon=3, rng=0)
    >>> res.policy.shape, res.penalty_kind, res.n_folds, bool(res.V.max() > 0)
    ((3, 3), 'bernstein', 2, True)
    """
    return _pessimistic_value_iteration(
        data,
        n_states,
        n_actions,
        gamma=gamma,
        horizon=horizon,
        penalty="bernstein",
        splitting="two_fold" if (horizon is not None and subsample) else "none",
        c=c,
        delta=delta,
        r_max=r_max,
        rng=rng,
        progress=progress,
    )


@validate_params(
    mdp=MDP(),
    result=Instance(PessimisticResult, what="a PessimisticResult, the second argument"),
    comparator=Policy("mdp") | None,
)
def pessimism_certificate(mdp: FiniteMDP, result: PessimisticResult, comparator: Any = None) -> float:
    """Data-dependent suboptimality bound of a pessimistic result, for a known MDP.

    Discounted: ``2 sum_{s,a} d~(s, a) b_max(s, a)`` plus two terms, with ``d~`` the
    unnormalised discounted occupancy of the comparator from ``mdp.initial``, ``b_max``
    the largest penalty of each pair over the ``T`` iterations: with splitting
    (``result.n_folds > 1``), ``(gamma rho_hi)^T r_max k_hi`` for the ``T`` iterations'
    distance from a fixed point (``gamma^T V_max`` for exactly stochastic rows); without
    it, ``2 gamma rho_hi k_hi residual`` for the last iteration's ``residual`` (the
    returned values are a fixed point only up to it). ``rho_hi`` is the largest row sum
    of the stored ``P`` and ``k_hi = 1 / (1 - gamma rho_hi)`` (:func:`rlcore.resolvent_bounds`).
    Finite horizon: ``2 sum_h sum_{s,a} d_h(s, a) b_h(s, a)``. The occupancy sum is
    computed as ``mu^T V_b``, ``V_b`` the value of the comparator for the reward ``b``
    (:func:`rlcore.evaluate_policy`), and its certified ``error_bound`` is added, so the
    certificate holds for the stored rows (which sum to 1 only within the tolerance)
    and for floating-point rounding.

    Parameters
    ----------
    mdp : FiniteMDP
        The true MDP (an analysis tool, as ``C*``).
    result : PessimisticResult
    comparator : array_like, optional
        Default: an optimal policy.

    Returns
    -------
    float
        Valid for rewards in ``[0, result.r_max]``; when ``result.r_max_inferred`` is
        True that range was inferred from the observed rewards (a lower bound on the
        true one), and the certificate assumes it.

    Warns
    -----
    VacuousResultWarning
        When the certificate of a penalised result exceeds the trivial bound
        ``result.v_max`` (``r_max / (1 - gamma)`` or ``H r_max``), which every policy
        meets. (A plug-in result, ``penalty="none"``, accepts any rewards, so its
        ``v_max`` bounds nothing and it is not compared.)

    Guarantee
    ---------
    On the event that every backup's error is within its penalty,
    ``|r_hat + gamma P_hat V - (r + gamma P V)| <= b`` for every pair and iteration,
    ``V*(rho) - V^policy(rho) <= certificate`` (Rashidinejad et al. 2021, proof of
    VI-LCB; Jin et al. 2021, the pessimism lemma). For :func:`vi_lcb` with ``c >= 1`` on i.i.d.
    data that event has probability at least ``1 - delta`` (Hoeffding's inequality,
    each fold independent of the values it backs up). Tested by
    ``tests/offline/test_pessimism.py::test_vi_lcb_certificate_and_bound_hold_over_seeds``
    (over seeds, with the failure budget), and on the event itself by
    ``tests/offline/test_pessimism.py::test_certificate_pays_for_stopping_before_the_fixed_point``
    (an exact model, stopped early) and
    ``tests/offline/test_pessimism.py::test_certificate_holds_for_rows_inside_the_tolerance``
    (rows summing to ``1 - 5e-9``).

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> from offline.data import sample_transitions
    >>> mdp = chain(3, small_reward=0.2, large_reward=1.0, gamma=0.5)
    >>> res = vi_lcb(sample_transitions(mdp, np.full((3, 2), 1 / 6), 30_000, rng=0), 3, 2, 0.5, rng=0)
    >>> from offline.data import policy_suboptimality
    >>> cert = pessimism_certificate(mdp, res)
    >>> bool(policy_suboptimality(mdp, res.policy) <= cert < res.v_max), res.r_max_inferred
    (True, True)

    With 3,000 samples the same certificate is above ``V_max`` and
    :class:`rlcore.VacuousResultWarning` says so.
    """
    if (
        (mdp.horizon is None) != (result.horizon is None)
        or result.Q.shape[-2:] != (mdp.n_states, mdp.n_actions)
        or (mdp.horizon is not None and mdp.horizon != result.horizon)
    ):
        raise InvalidParameterError(
            "mdp", "does not match the result (criterion, horizon, number of states or actions)"
        )
    pi = _optimal_policy(mdp) if comparator is None else comparator
    mu = np.asarray(mdp.initial)
    eps = float(np.finfo(np.float64).eps)
    # sum_{s,a} d(s, a) b(s, a) = mu^T V_b: the comparator's value for the reward b
    kw: dict[str, Any] = {"gamma": mdp.gamma} if mdp.horizon is None else {"horizon": mdp.horizon}
    penal = FiniteMDP(mdp.P, np.asarray(result.penalty_max, dtype=np.float64), **kw)
    ev = evaluate_policy(penal, pi)
    V_b = ev.V if ev.V.ndim == 1 else ev.V[0]
    occupancy_sum = float(mu @ V_b) + float(mu.sum()) * ev.error_bound
    occupancy_sum += (mdp.n_states + 2) * eps * float(mu @ np.abs(V_b))
    bound = 2.0 * occupancy_sum
    if mdp.horizon is None:
        gam = float(mdp.gamma)  # type: ignore[arg-type]
        rho_lo, rho_hi = mdp.row_sum_bounds
        k_hi = resolvent_bounds(gam, rho_lo, rho_hi)[1]
        if result.n_folds > 1:  # the split algorithm: T iterations from 0, not a fixed point
            r_max = result.v_max * (1.0 - gam)
            bound += (gam * rho_hi) ** result.iterations * r_max * k_hi
        else:
            bound += 2.0 * gam * rho_hi * k_hi * result.residual * float(mu.sum())
    bound *= 1.0 + 8.0 * eps
    if result.penalty_kind == "none":  # rewards were not checked against r_max: v_max bounds nothing
        return bound
    assumed = f" (under the inferred r_max = {result.r_max:g})" if result.r_max_inferred else ""
    warn_above_trivial(
        bound,
        result.v_max,
        f"pessimism_certificate{assumed}",
        "the data do not cover the comparator well enough for this confidence level (more data, a larger "
        "delta or a smaller c); a reward range r_max above the rewards does not change this ratio",
        stacklevel=4,
    )
    return bound
