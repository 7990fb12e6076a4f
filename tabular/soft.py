"""KL-regularised (soft) dynamic programming: value iteration and backward induction.

**The problem.** Given a reference policy :math:`\\pi_0` and a temperature :math:`\\beta > 0`, find a
stochastic policy maximising the regularised return

.. math::

    V^\\pi_\\beta(s) = \\mathbb{E}^\\pi_s \\Big[ \\sum_{t \\ge 0} \\gamma^t \\big( r(s_t, a_t)
    - \\beta \\, \\mathrm{KL}(\\pi(\\cdot|s_t) \\,\\|\\, \\pi_0(\\cdot|s_t)) \\big) \\Big].

With a uniform :math:`\\pi_0` this is entropy regularisation (maximum-entropy RL):
:math:`-\\beta \\mathrm{KL}(\\pi \\| \\mathrm{unif}) = \\beta H(\\pi) - \\beta \\log A`.

**The soft Bellman operator and its fixed point.** With :math:`Q_V = r + \\gamma P V`,

.. math::

    (T_\\beta V)(s) = \\beta \\log \\sum_a \\pi_0(a|s) \\exp(Q_V(s, a) / \\beta)
    = \\max_{p} \\sum_a p(a) \\big( Q_V(s, a) - \\beta \\log \\tfrac{p(a)}{\\pi_0(a|s)} \\big),

the maximum (Gibbs variational principle) being attained only by the Gibbs policy
:math:`p(a) = \\pi_0(a|s) \\exp((Q_V(s, a) - (T_\\beta V)(s)) / \\beta)`. :math:`T_\\beta`
is *monotone* (:math:`V \\le U \\Rightarrow T_\\beta V \\le T_\\beta U`: ``Q_V`` is
monotone in ``V`` and log-sum-exp in each argument) and *distributes over constants*
(:math:`T_\\beta (V + c) = T_\\beta V + \\gamma c`: ``Q`` moves by ``gamma c`` and
log-sum-exp commutes with adding a constant). These two facts alone make it a
``gamma``-contraction in sup norm (Blackwell's sufficient conditions) and give the
certified bracket used to stop value iteration, exactly as for the hard operator: with
``delta = T_beta V - V``,

.. math::

    V + \\frac{\\min \\delta}{1 - \\gamma} \\le V_\\beta \\le V + \\frac{\\max \\delta}{1 - \\gamma}

(proof: ``U = V + max(delta)/(1-gamma)`` satisfies ``T_beta U = T_beta V + gamma (U - V)
<= U``, so ``U >= T_beta^n U -> V_beta`` by monotonicity; symmetrically below;
MacQueen 1966, Puterman 1994 section 6.6 for the hard case). The fixed point
:math:`V_\\beta` is the optimal regularised value and
:math:`\\pi_\\beta(a|s) = \\pi_0(a|s) \\exp((Q_\\beta(s,a) - V_\\beta(s))/\\beta)`,
:math:`Q_\\beta = r + \\gamma P V_\\beta`, the optimal policy (Ziebart 2010; Fox, Pakman
and Tishby 2016; Haarnoja et al. 2017; Geist, Scherrer and Pietquin 2019, section 2).

**The Bayesian view (Korbak, Perez and Buckley 2022).** The optimal policy is a Bayesian posterior,

.. math::

    \\pi_\\beta(a|s) = \\frac{\\pi_0(a|s) \\, \\exp(Q_\\beta(s, a)/\\beta)}{Z(s)},
    \\qquad \\beta \\log Z(s) = V_\\beta(s):

the prior :math:`\\pi_0` updated by the "evidence" :math:`\\exp(Q_\\beta/\\beta)` that
acting well is what happened, the soft value being ``beta`` times the log-evidence.
Maximising the KL-penalised objective *is* variational inference for this posterior:
for any policy ``pi``, one step of its regularised backup from ``V_beta`` is
:math:`V_\\beta(s) - \\beta \\mathrm{KL}(\\pi(\\cdot|s) \\| \\pi_\\beta(\\cdot|s))`, and
unrolling,

.. math::

    V_\\beta - V^\\pi_\\beta = \\beta \\, (I - \\gamma P_\\pi)^{-1}
    \\mathrm{KL}(\\pi \\,\\|\\, \\pi_\\beta),

so the regret of a policy is exactly ``beta`` times its discounted KL divergence from
the posterior. The penalty is not a "regulariser bolted onto RL" but the term that
keeps the answer a posterior of the prior; it is also why the optimum never puts mass
where :math:`\\pi_0` puts none. The temperature interpolates between the two ends:

* ``beta -> 0`` recovers the unregularised (hard) solution. From the log-sum-exp
  sandwich :math:`\\max_a Q + \\beta \\log \\pi_0(a^*|s) \\le \\beta \\log \\sum_a
  \\pi_0 e^{Q/\\beta} \\le \\max_a Q` (``a*`` an argmax, maxima over the support of
  ``pi0``) one gets :math:`T V - \\beta \\ell \\le T_\\beta V \\le T V` and hence

  .. math::

      V_\\beta \\le V^* \\le V_\\beta + \\frac{\\beta \\ell}{1 - \\gamma}, \\qquad
      \\ell = \\max_s \\log \\frac{1}{\\min_{a: \\pi_0(a|s) > 0} \\pi_0(a|s)}

  (``beta log A / (1 - gamma)`` for uniform ``pi0``), ``V*`` being the optimal value
  of the MDP restricted to the support of ``pi0``. (Proof: ``V_beta = T_beta V_beta <=
  T V_beta`` gives ``V_beta <= V*`` by monotonicity of ``T``; ``U = V* - beta ell /
  (1 - gamma)`` satisfies ``T_beta U >= T U - beta ell = U``, so ``U <= V_beta``.) The
  soft policy is then ``beta ell / (1 - gamma)``-optimal for the hard problem too
  (``V^{pi_beta} >= V^{pi_beta}_beta = V_beta`` since KL >= 0), and the greedy policy of
  ``Q_beta`` is optimal once ``gamma beta ell / (1 - gamma)`` is below the action gap.
  :func:`tabular.regularisation_gap_bound` computes the bound, and
  :func:`tabular.regularised_policy_value` evaluates any policy under the regularised
  criterion (both in :mod:`tabular.regularisation`).
* ``beta -> infinity`` recovers the prior: Jensen gives :math:`T_\\beta V \\ge
  T^{\\pi_0} V` and Hoeffding's lemma :math:`T_\\beta V \\le T^{\\pi_0} V +
  \\max_s \\mathrm{sp}_a(Q(s, \\cdot))^2 / (8 \\beta)`, hence :math:`V^{\\pi_0} \\le
  V_\\beta \\le V^{\\pi_0} + \\Delta^2 / (8 \\beta (1 - \\gamma)^3)` with
  :math:`\\Delta = \\max r - \\min r`, and :math:`|\\log(\\pi_\\beta / \\pi_0)| \\le
  \\Delta / (\\beta (1 - \\gamma))`.

**Numerics.** With ``M`` the largest ``Q`` over the support of ``pi0`` and ``x = (Q - M)/beta <= 0``,
the backup is ``M + beta log Z``, ``Z = sum_a pi0 exp(x)`` in ``[pi0(a*), 1]``: every
exponent is ``<= 0``, so nothing overflows for ``beta = 1e-8`` or ``|Q| = 1e6``, there
is no ``log 0``, and actions with ``pi0 = 0`` get weight exactly 0. Where ``Z >= 1/2``
the logarithm is taken as ``log1p(sum_a pi0 expm1(x))``, so that the rounding error
of the value is ``O(eps sp_a(Q))`` and does not grow with ``beta`` (``beta = 1e12``
still certifies to ``1e-9``). Reference rows are accepted when they sum to one within
:data:`rlcore.PROBABILITY_ATOL` and are then used divided by their sum, because the
operator is sensitive to the total mass: a row summing to ``1 + eta`` would add
``beta log(1 + eta) / (1 - gamma)`` to every value, ``1e-2 / (1 - gamma)`` for
``beta = 1e6`` and ``eta = 1e-8``. Dense ``P`` is applied through BLAS
(``P.reshape(S*A, S) @ V``), sparse ``P`` as one CSR product. Every bound is widened by
the rounding allowance ``(n + 3A + 20) eps (max|R| + max|V|) / (1 - gamma)`` (``n`` the
largest number of stored entries in a row of ``P``), the analogue of
:mod:`tabular.certify`'s allowance with the log-sum-exp's ``O(A eps sp(Q))`` added.
The transition rows of ``P`` are used as stored (they sum to 1 only within the
tolerance): ``T_beta(V + c)`` then lies between ``T_beta V + gamma rho_lo c`` and
``T_beta V + gamma rho_hi c`` (``c >= 0``; ``rho`` the row sums), which is all the
certificate of :mod:`tabular.certify` needs, so the brackets use its factors
``1 / (1 - gamma rho)`` in place of ``1 / (1 - gamma)``.

References
----------
B. D. Ziebart, *Modeling Purposeful Adaptive Behavior with the Principle of Maximum
Causal Entropy*, PhD thesis, Carnegie Mellon University, 2010.
R. Fox, A. Pakman and N. Tishby, "Taming the noise in reinforcement learning via soft
updates", *UAI* 2016.
T. Haarnoja, H. Tang, P. Abbeel and S. Levine, "Reinforcement learning with deep
energy-based policies", *ICML* 2017.
M. Geist, B. Scherrer and O. Pietquin, "A theory of regularized Markov decision
processes", *ICML* 2019.
T. Korbak, E. Perez and C. L. Buckley, "RL with KL penalties is better viewed as
Bayesian inference", *Findings of EMNLP* 2022.
J. MacQueen, "A modified dynamic programming method for Markovian decision problems",
*J. Math. Anal. Appl.* 14, 1966.
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, sections 4.5, 6.3 and 6.6.
W. Hoeffding, "Probability inequalities for sums of bounded random variables",
*JASA* 58, 1963 (Hoeffding's lemma).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcore.bellman import q_from_v_unchecked
from rlcore.mdp import FiniteMDP
from rlcore.policies import as_stochastic
from rlcore.validation import (
    MAX_ITERATIONS,
    MDP,
    Array,
    Integer,
    InvalidParameterError,
    Policy,
    Real,
    validate_params,
)
from tabular.certify import bracket, max_row_nnz
from tabular.result import PlanningResult
from tabular.value_iteration import EPSILON, V0 as V0_CONSTRAINT, initial_values

__all__ = [
    "SoftPlanningResult",
    "soft_backward_induction",
    "soft_bellman_backup",
    "soft_value_iteration",
]

_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True, repr=False, kw_only=True)
class SoftPlanningResult(PlanningResult):
    """Answer, diagnostics and certified bounds of a KL-regularised planner.

    A :class:`~tabular.PlanningResult` (every field with the same name and meaning, read
    for the regularised problem) whose ``policy`` is stochastic, plus the temperature
    and the greedy policy.

    Attributes
    ----------
    V : ndarray of shape (S,), or (H, S) under a finite horizon
        Estimate of the optimal regularised value ``V_beta`` (``V[t]``: with ``H - t``
        steps to go).
    Q : ndarray of shape (S, A), or (H, S, A)
        ``R + gamma P V`` (finite horizon: ``R_t + P_t V[t + 1]``).
    policy : ndarray of shape (S, A), or (H, S, A)
        The soft-optimal stochastic policy, rows ``∝ pi0(a|s) exp(Q[s, a] / beta)``
        (exactly zero where ``pi0`` is zero).
    iterations : int
        Soft Bellman backups performed (``H`` for backward induction).
    converged : bool
        True when ``value_bound`` and ``suboptimality_bound`` met ``epsilon`` within the
        iteration budget. False means the budget ran out; the bounds still hold.
    value_bound : float
        Certified ``max_s |V[s] - V_beta(s)|``.
    suboptimality_bound : float
        Certified ``max_s (V_beta(s) - V^policy_beta(s))``: how far the *regularised*
        value of the returned ``policy`` is from optimal.
    V_lower, V_upper : ndarray of shape (S,) or (H, S)
        Certified bracket ``V_lower <= V_beta <= V_upper``; the regularised value of
        ``policy`` lies in it too.
    method : str
        ``"soft_value_iteration"`` or ``"soft_backward_induction"``.
    epsilon : float
        The requested tolerance (0.0 for backward induction, which is exact).
    history : dict of str to ndarray
        Per-backup ``"residual"`` (``||T_beta V - V||_inf``), ``"value_bound"`` and
        ``"suboptimality_bound"`` (empty for backward induction).
    greedy_policy : ndarray of int64, shape (S,) or (H, S)
        ``argmax_a Q[s, a]`` over the actions with ``pi0(a|s) > 0`` (ties to the lowest
        action): the ``beta -> 0`` limit of ``policy``.
    beta : float
        The temperature.
    """

    greedy_policy: np.ndarray
    beta: float


# --------------------------------------------------------------------------- checks
_SOFT_DISCOUNTED = MDP(discounted=True, hint="for a finite horizon use tabular.soft_backward_induction")
_BETA = Real(
    0, None, closed="neither", hint=("the beta -> 0 limit is the unregularised problem, solve it with tabular.solve")
)
_REFERENCE = Policy("mdp") | None


def _reference(mdp: FiniteMDP, reference: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated reference ``(pi0, support, ell)``.

    ``pi0`` has shape (S, A) or (H, S, A) (finite horizon, time-dependent reference),
    rows divided by their sum (which is within ``PROBABILITY_ATOL`` of 1); ``support``
    is ``pi0 > 0``; ``ell`` holds ``log(1 / min_{a in support} pi0(a|s))``, shape
    ``pi0.shape[:-1]``.
    """
    S, A = mdp.n_states, mdp.n_actions
    if reference is None:
        pi0 = np.full((S, A), 1.0 / A)
    else:
        pi0 = np.array(as_stochastic(reference, A), dtype=np.float64)
        pi0 /= pi0.sum(axis=-1, keepdims=True)
    support = pi0 > 0.0
    ell = -np.log(np.where(support, pi0, 1.0).min(axis=-1))
    return pi0, support, ell


def _at(x: np.ndarray, t: int, stationary_ndim: int) -> np.ndarray:
    return x if x.ndim == stationary_ndim else x[t]


# --------------------------------------------------------------------------- kernels
def _soft_max(Q: np.ndarray, pi0: np.ndarray, support: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """``(beta log sum_a pi0 exp(Q/beta), Gibbs policy)`` row-wise, stably (no checks).

    With ``M`` the row maximum over the support and ``x = (Q - M)/beta <= 0``:
    ``Z = sum pi0 exp(x)`` lies in ``[pi0(a*), 1]``. Rows with ``Z >= 1/2`` take
    ``log1p(sum pi0 expm1(x))``, whose error is ``O(eps |Z - 1|)`` with
    ``beta |Z - 1| <= sp(Q)``; rows with ``Z < 1/2`` take ``log(Z)``, whose error
    ``O(eps)`` is multiplied by ``beta <= sp(Q) / log 2`` there. Either way the error is
    ``O(eps sp(Q))`` and does not grow with ``beta``.
    """
    Qs = np.where(support, Q, -np.inf)
    M = Qs.max(axis=-1)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        x = (Qs - M[..., None]) / beta  # <= 0; exactly 0 at the argmax, -inf off the support
        w = np.exp(x)
        w *= pi0
        Z = w.sum(axis=-1)  # >= pi0(a*) > 0
        em1 = np.expm1(x)
        em1 *= pi0
        L = np.where(Z >= 0.5, np.log1p(em1.sum(axis=-1)), np.log(Z))
    TV = M + beta * L
    w /= Z[..., None]
    return TV, w


def _lookahead(mdp: FiniteMDP, V: np.ndarray) -> np.ndarray:
    """``R + gamma P V`` of a discounted MDP, shape (S, A) (no checks)."""
    S, A = mdp.n_states, mdp.n_actions
    with np.errstate(over="ignore", invalid="ignore"):
        ev = mdp.P @ V if mdp.is_sparse else mdp.P.reshape(S * A, S) @ V
        Q = ev.reshape(S, A)
        Q *= mdp.gamma
        Q += mdp.R
    if not np.all(np.isfinite(Q)):
        raise InvalidParameterError(
            "mdp",
            f"the soft backup overflows float64 (max |R| = {float(np.max(np.abs(mdp.R))):.3g}, "
            f"max |V| = {float(np.max(np.abs(V))):.3g}); rescale the rewards",
        )
    return Q


def _greedy(Q: np.ndarray, support: np.ndarray) -> np.ndarray:
    return np.argmax(np.where(support, Q, -np.inf), axis=-1).astype(np.int64)


def _rounding(mdp: FiniteMDP, V: np.ndarray, R: np.ndarray) -> float:
    """Floating-point allowance of one soft backup, on each entry of ``T_beta V``."""
    scale = float(np.max(np.abs(R))) + mdp.row_sum_bounds[1] * float(np.max(np.abs(V), initial=0.0))
    return _EPS * (max_row_nnz(mdp) + 3 * mdp.n_actions + 20) * scale


# --------------------------------------------------------------------------- public API
@validate_params(mdp=_SOFT_DISCOUNTED, V=Array(ndim=1, shape=("mdp.n_states",)), beta=_BETA, reference=_REFERENCE)
def soft_bellman_backup(
    mdp: FiniteMDP, V: Any, beta: float, *, reference: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One soft (KL-regularised) Bellman backup of a discounted MDP.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted, dense or sparse.
    V : array_like of shape (S,)
    beta : float
        Temperature ``> 0``.
    reference : array_like of shape (S, A), optional
        Reference policy ``pi0`` (a deterministic (S,) int policy is read as one-hot);
        default uniform.

    Returns
    -------
    Q : ndarray of shape (S, A)
        ``R + gamma P V``.
    TV : ndarray of shape (S,)
        ``(T_beta V)(s) = beta log sum_a pi0(a|s) exp(Q[s, a] / beta)``.
    policy : ndarray of shape (S, A)
        The Gibbs policy ``pi0 exp((Q - TV) / beta)``, the maximiser in
        ``TV(s) = max_p sum_a p(a) (Q[s, a] - beta log(p(a) / pi0(a|s)))``.

    Guarantee
    ---------
    ``T_beta`` is monotone, satisfies ``T_beta(V + c) = T_beta V + gamma c``, and is a
    ``gamma``-contraction in sup norm (Geist, Scherrer and Pietquin 2019, section 2;
    see the module docstring for the two-line proofs); ``TV`` lies between
    ``max_a Q + beta log pi0(a*)`` and ``max_a Q``, and ``policy`` attains the maximum.
    Tested by
    ``tests/tabular/test_soft.py::test_operator_monotone_translation_contraction_sandwich``.

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), [[0.0, np.log(3.0)]], gamma=0.0)
    >>> Q, TV, pi = soft_bellman_backup(mdp, [0.0], beta=1.0)
    >>> round(float(TV[0]), 10), np.round(pi, 12)     # log((1 + 3) / 2), softmax
    (0.6931471806, array([[0.25, 0.75]]))
    """
    pi0, support, _ = _reference(mdp, reference)
    Q = _lookahead(mdp, V)
    TV, pi = _soft_max(Q, pi0, support, beta)
    return Q, TV, pi


@validate_params(
    mdp=_SOFT_DISCOUNTED,
    beta=_BETA,
    reference=_REFERENCE,
    epsilon=EPSILON,
    max_iter=Integer(1, MAX_ITERATIONS),
    V0=V0_CONSTRAINT,
)
def soft_value_iteration(
    mdp: FiniteMDP,
    beta: float,
    *,
    reference: Any = None,
    epsilon: float = 1e-6,
    max_iter: int = 100_000,
    V0: Any = None,
) -> SoftPlanningResult:
    """KL-regularised (soft) value iteration with a certified stopping rule.

    Iterates ``V <- T_beta V`` with ``(T_beta V)(s) = beta log sum_a pi0(a|s)
    exp(Q(s, a) / beta)``, ``Q = R + gamma P V``, and stops once the certified bounds
    are below ``epsilon``, returning the centre of the certified bracket.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted, dense or sparse.
    beta : float
        Temperature ``> 0`` (the weight of the KL penalty). For ``beta = 0``, the
        unregularised problem, use :func:`tabular.solve`.
    reference : array_like of shape (S, A), optional
        Reference (prior) policy ``pi0``, validated by :func:`rlcore.validate_policy`;
        default uniform (entropy regularisation). Actions with ``pi0(a|s) = 0`` are
        excluded: the returned policy never takes them.
    epsilon : float
        Target for both certified bounds (value and policy).
    max_iter : int
        Budget of backups; when it runs out ``converged`` is False and the (larger)
        bounds still hold.
    V0 : array_like of shape (S,), optional
        Initial values; default the constant ``min R / (1 - gamma)``, from which the
        iterates increase (``T_beta V0 >= T^{pi0} V0 >= V0`` by Jensen).

    Returns
    -------
    SoftPlanningResult
        ``V`` of shape (S,), ``Q`` and ``policy`` of shape (S, A), ``greedy_policy`` of
        shape (S,).

    Guarantee
    ---------
    With ``delta = T_beta V - V`` at the last iterate ``V``:
    ``V + min(delta)/(1-gamma) <= V_beta <= V + max(delta)/(1-gamma)``, so the returned
    centre is within ``value_bound = sp(delta) / (2 (1 - gamma))`` of ``V_beta``
    (``T_beta`` is monotone and ``T_beta(V + c) = T_beta V + gamma c``; MacQueen 1966,
    Puterman 1994 section 6.6). The returned ``policy`` is the Gibbs policy of ``Q``, for
    which the regularised backup equals ``T_beta V``; hence its regularised value
    ``V^pi_beta = V + (I - gamma P_pi)^{-1} delta`` lies in the same bracket and
    ``0 <= V_beta - V^pi_beta <= suboptimality_bound = sp(delta) / (1 - gamma)``. These
    are the forms for exactly stochastic rows; the returned bounds are those of
    :func:`tabular.certify`'s theorem for the stored rows (factors ``1 / (1 - gamma
    rho)``) with the rounding allowance of the module docstring. Against the hard
    problem: ``V_beta <= V* <= V_beta + beta ell / (1 - gamma)``
    (:func:`tabular.regularisation_gap_bound`). Posterior form (Korbak, Perez and Buckley
    2022): ``policy(a|s) = pi0(a|s) exp(Q(s, a)/beta) / Z(s)`` with ``beta log Z = V``.
    Tested by ``tests/tabular/test_soft.py::test_fixed_point_policy_and_bounds`` (the
    bracket and both bounds against an independent soft policy iteration),
    ``tests/tabular/test_soft.py::test_bandit_closed_form`` (closed forms in 60-digit
    arithmetic), ``tests/tabular/test_soft.py::test_small_beta_recovers_hard_solution``
    (the hard problem) and
    ``tests/tabular/test_soft.py::test_regret_is_beta_times_discounted_kl_to_posterior``
    (the posterior form).

    References
    ----------
    Ziebart 2010; Fox, Pakman and Tishby 2016; Haarnoja et al. 2017; Geist, Scherrer
    and Pietquin 2019; Korbak, Perez and Buckley 2022 (full entries in the module
    docstring).

    Examples
    --------
    A one-state MDP that loops to itself is a bandit played forever:
    ``V_beta = beta log mean(exp(r / beta)) / (1 - gamma)`` and the policy is
    ``softmax(r / beta)``.

    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), [[0.0, np.log(3.0)]], gamma=0.5)
    >>> res = soft_value_iteration(mdp, beta=1.0, epsilon=1e-10)
    >>> res.converged, round(float(res.V[0]), 8), round(float(np.log(2.0)) / (1 - 0.5), 8)
    (True, 1.38629436, 1.38629436)
    >>> np.round(res.policy, 8), res.greedy_policy
    (array([[0.25, 0.75]]), array([1]))
    """
    b, eps = beta, epsilon
    pi0, support, _ = _reference(mdp, reference)
    V = initial_values(mdp, V0)
    g = float(mdp.gamma)  # type: ignore[arg-type]  # a discounted MDP (checked)
    rows = mdp.row_sums
    history: dict[str, list[float]] = {"residual": [], "value_bound": [], "suboptimality_bound": []}
    for it in range(1, max_iter + 1):
        Q = _lookahead(mdp, V)
        TV, pi = _soft_max(Q, pi0, support, b)
        delta = TV - V
        lo, hi = float(delta.min()), float(delta.max())
        err = (_rounding(mdp, V, mdp.R) + _EPS * max(abs(lo), abs(hi))) * (1.0 + 4.0 * _EPS)
        br = bracket(mdp, V, lo, hi, err)
        history["residual"].append(max(abs(lo), abs(hi)))
        history["value_bound"].append(br.centre_bound)
        history["suboptimality_bound"].append(br.width)
        done = br.centre_bound <= eps and br.width <= eps
        floor = (hi - lo) <= err
        drift = br.centre_bound - br.span_part
        if not done and it < max_iter and drift > br.span_part and br.span_part <= eps:
            V = br.centre  # span converged, level not: continue from the centre (see tabular.certify)
            continue
        if done or it == max_iter or floor:
            return SoftPlanningResult(
                V=br.centre,
                Q=Q + (g * br.shift) * rows,  # the lookahead of the centre; the Gibbs policy is unchanged
                policy=pi,
                greedy_policy=_greedy(Q, support),
                beta=b,
                iterations=it,
                converged=bool(done),
                value_bound=float(br.centre_bound),
                suboptimality_bound=float(br.width),
                V_lower=br.lower,
                V_upper=br.upper,
                method="soft_value_iteration",
                epsilon=eps,
                history={key: np.asarray(val, dtype=np.float64) for key, val in history.items()},
            )
        V = TV
    raise AssertionError("unreachable")  # pragma: no cover


@validate_params(
    mdp=MDP(discounted=False, hint="for a discounted MDP use tabular.soft_value_iteration"),
    beta=_BETA,
    reference=_REFERENCE,
)
def soft_backward_induction(mdp: FiniteMDP, beta: float, *, reference: Any = None) -> SoftPlanningResult:
    """KL-regularised backward induction for a finite-horizon MDP.

    With ``V_H = 0`` and, for ``t = H-1, ..., 0``: ``Q_t = R_t + P_t V_{t+1}``,
    ``V_t(s) = beta log sum_a pi0_t(a|s) exp(Q_t(s, a) / beta)`` and
    ``pi_t(a|s) = pi0_t(a|s) exp((Q_t(s, a) - V_t(s)) / beta)``.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Finite horizon ``H``; ``P``/``R`` stationary or time-dependent, dense or sparse.
    beta : float
        Temperature ``> 0``.
    reference : array_like of shape (S, A) or (H, S, A), optional
        Reference policy, stationary or time-dependent; default uniform.

    Returns
    -------
    SoftPlanningResult
        ``V`` of shape (H, S), ``Q`` and ``policy`` of shape (H, S, A),
        ``greedy_policy`` of shape (H, S); ``iterations = H``, ``converged = True``;
        the bounds are rounding allowances.

    Guarantee
    ---------
    ``V[t]`` is the optimal regularised value with ``H - t`` steps to go and ``policy``
    the optimal (Markov, time-dependent) policy: the finite-horizon case of the soft
    Bellman recursion (Ziebart 2010; Geist, Scherrer and Pietquin 2019), proved step by
    step by the Gibbs variational principle as in Puterman 1994, Thm. 4.5.1. Against
    the hard problem: ``V[0] <= V*_0 <= V[0] + beta sum_t ell_t``
    (:func:`tabular.regularisation_gap_bound`). Tested by
    ``tests/tabular/test_soft.py::test_soft_backward_induction_matches_loops_and_is_optimal``
    (scalar loops, optimality against other policies, the hard bound) and
    ``tests/tabular/test_soft.py::test_finite_horizon_bandit_closed_form``.

    Examples
    --------
    Two steps of a two-armed bandit: each step is worth ``beta log mean(exp(r/beta))``.

    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), [[0.0, np.log(3.0)]], horizon=2)
    >>> res = soft_backward_induction(mdp, beta=1.0)
    >>> np.round(res.V[:, 0], 10).tolist(), np.round(res.policy[0], 10).tolist()
    ([1.3862943611, 0.6931471806], [[0.25, 0.75]])
    """
    b = beta
    pi0, support, _ = _reference(mdp, reference)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    assert H is not None  # checked by the constraint
    V = np.zeros((H, S))
    Q = np.zeros((H, S, A))
    policy = np.zeros((H, S, A))
    greedy = np.zeros((H, S), dtype=np.int64)
    step_error = np.zeros(H)
    v_next = np.zeros(S)
    for t in range(H - 1, -1, -1):
        Q[t] = q_from_v_unchecked(mdp, v_next, t, "mdp")
        pi0_t, supp_t = _at(pi0, t, 2), _at(support, t, 2)
        V[t], policy[t] = _soft_max(Q[t], pi0_t, supp_t, b)
        greedy[t] = _greedy(Q[t], supp_t)
        step_error[t] = _rounding(mdp, v_next, mdp.rewards_at(t))
        v_next = V[t]
    # errors of steps t..H-1 add up through P, whose rows sum to at most rho
    rho = mdp.row_sum_bounds[1]
    err = np.zeros(H + 1)
    loss = np.zeros(H + 1)  # the Gibbs policy of a Q off by e loses at most 2 e per step
    for t in range(H - 1, -1, -1):
        err[t] = (step_error[t] + rho * err[t + 1]) * (1.0 + 4.0 * _EPS)
        loss[t] = (2.0 * err[t] + rho * loss[t + 1]) * (1.0 + 4.0 * _EPS)
    allowance = err[:H, None]
    bound = float(allowance.max())
    return SoftPlanningResult(
        V=V,
        Q=Q,
        policy=policy,
        greedy_policy=greedy,
        beta=b,
        iterations=H,
        converged=True,
        value_bound=bound,
        suboptimality_bound=float(loss[:H].max()),
        V_lower=np.nextafter(V - allowance, -np.inf),
        V_upper=np.nextafter(V + allowance, np.inf),
        method="soft_backward_induction",
        epsilon=0.0,
    )
