"""Relative value iteration for the average-reward (gain) criterion.

The gain of a stationary policy ``pi`` is its long-run average reward
``g^pi(s) = lim_N (1/N) E[sum_{t<N} r(s_t, a_t) | s_0 = s] = (P_pi^* r_pi)(s)``, with
``P_pi^*`` the Cesaro limit of ``P_pi^n``; the optimal gain is ``g* = max_pi g^pi``,
attained by a stationary deterministic policy (Puterman 1994, sections 8.2 and 9.1).
In a unichain MDP (every stationary deterministic policy has a single recurrent class)
``g*`` is a constant and solves, with a relative value (bias) ``h``, the optimality
equation (Puterman 1994, section 8.4)

.. math:: g + h(s) = \\max_a \\Big[ r(s, a) + \\sum_{s'} P(s' | s, a) h(s') \\Big].

Relative value iteration (White 1963; Puterman 1994, section 8.5) iterates
``h_{k+1} = L h_k - (L h_k)(s_ref)``, with ``L h = max_a (r + P h)``: value iteration
``v_{k+1} = L v_k`` with a constant subtracted at every step, so the iterates stay
bounded while their differences converge.

**Certified gain bracket.** For any ``h`` let ``delta = L h - h`` and ``pi`` be greedy
for ``h``. Then, for every state ``s``,

.. math:: \\min_s \\delta(s) \\;\\le\\; g^{\\pi}(s) \\;\\le\\; g^*(s) \\;\\le\\; \\max_s \\delta(s)

(Odoni 1969; Puterman 1994, section 8.5, bounds on the gain). Proof: ``r_pi + P_pi h - h =
delta >= min delta``; multiplying by the stochastic matrix ``P_pi^*``, which satisfies
``P_pi^* P_pi = P_pi^*``, gives ``g^pi >= min delta``. For any policy ``pi'``,
``r_pi' + P_pi' h - h <= delta <= max delta`` and the same multiplication gives
``g^pi' <= max delta``; take ``pi'`` optimal. The bracket needs no assumption on the
chain structure; its width ``sp(delta) = max delta - min delta`` (the span seminorm of
``L h - h``) bounds both the error of the midpoint estimate (by half of it) and the
suboptimality ``g* - g^pi`` of the greedy policy. If ``g*`` differs between states
(a multichain MDP) the width can never drop below ``sp(g*)``, so such an MDP is reported
as not converged rather than given a wrong gain.

**Aperiodicity transformation.** On a periodic chain (e.g. two states that swap)
``sp(L h - h)`` need not converge to 0. The iteration therefore runs on the
transformed MDP with ``P_tau = tau I + (1 - tau) P`` and the same rewards, ``0 <= tau <
1`` (Schweitzer 1971; Puterman 1994, section 8.5). Every transition matrix
``tau I + (1 - tau) P_pi`` is aperiodic, has the same stationary distributions as
``P_pi``, hence the same gain ``g^pi`` for every policy, so the optimal gain and the
gain-optimal policies are unchanged; a solution ``(g, h_tau)`` of the transformed
optimality equation gives the solution ``(g, (1 - tau) h_tau)`` of the original one
(the relative values scale by ``1 / (1 - tau)``). The bracket above is computed for the
transformed MDP and therefore brackets the original gains.

**Rows that sum to 1 only within the tolerance.** A gain exists only for stochastic
rows (a sub-stochastic chain loses mass and has gain 0 in the limit, a
super-stochastic one diverges), so the gain certified here is that of the normalised
kernel ``P(.|s, a) / rho(s, a)``, ``rho`` the stored row sums. Applying the stored rows
instead changes ``(1 - tau) P h`` by at most ``(1 - tau) eta max|h|`` with
``eta = max |rho - 1|`` (``P h = rho Pbar h`` and ``|Pbar h| <= max|h|``); this, with the
floating-point allowance, widens both ends of the bracket. For unichain MDPs and
``tau > 0`` the span of ``L h - h`` converges to 0 (Puterman 1994, section 8.5).

References
----------
D. J. White, "Dynamic programming, Markov chains, and the method of successive
approximations", *J. Math. Anal. Appl.* 6, 1963.
A. R. Odoni, "On finding the maximal gain for Markov decision processes", *Operations
Research* 17(5), 1969.
P. J. Schweitzer, "Iterative solution of the functional equations of undiscounted Markov
renewal programming", *J. Math. Anal. Appl.* 34, 1971.
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, sections 8.2 to 8.5.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rlcore.mdp import FiniteMDP
from rlcore.progress import NULL_BAR, PROGRESS, progress_bar, resolve_progress
from rlcore.results import Result
from rlcore.validation import (
    MAX_ITERATIONS,
    MDP,
    Array,
    Integer,
    InvalidParameterError,
    Real,
    validate_params,
)
from tabular.certify import max_row_nnz

__all__ = ["AverageRewardResult", "relative_value_iteration"]

_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True, repr=False)
class AverageRewardResult(Result):
    """Answer, diagnostics and certified gain bracket of an average-reward solver.

    Attributes
    ----------
    gain : float
        Estimate of the optimal gain ``g*``: the midpoint of the certified bracket.
    gain_lower, gain_upper : float
        Certified bracket ``gain_lower <= g*(s) <= gain_upper`` for every state ``s``.
        Also ``g^policy(s) >= gain_lower``.
    bias : ndarray of shape (S,)
        Relative values ``h`` of the original (untransformed) MDP, normalised so that
        ``bias[ref_state] = 0``: an approximate solution of
        ``g + h = max_a (r + P h)``, i.e. the bias of an optimal policy up to an additive
        constant.
    Q : ndarray of shape (S, A)
        ``r(s, a) - gain + sum_s' P(s'|s, a) bias(s')``, so that ``max_a Q(s, a)``
        approximates ``bias(s)``.
    policy : ndarray of int64, shape (S,)
        Greedy for ``bias`` (ties to the lowest action).
    iterations : int
        Number of backups.
    converged : bool
        True when ``gain_upper - gain_lower <= epsilon`` within ``max_iter``.
    suboptimality_bound : float
        Certified ``max_s (g*(s) - g^policy(s))``; equals ``gain_upper - gain_lower``.
    method : str
    epsilon : float
        The requested tolerance.
    tau : float
        The aperiodicity parameter used.
    history : dict of str to ndarray
        Per backup: ``"gain_lower"``, ``"gain_upper"`` and ``"span"`` (their difference).
    """

    gain: float
    gain_lower: float
    gain_upper: float
    bias: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    iterations: int
    converged: bool
    suboptimality_bound: float
    method: str
    epsilon: float
    tau: float
    history: dict[str, np.ndarray] = field(default_factory=dict)

    def bounds(self) -> dict[str, float]:
        """The certified numbers: the gain bracket and the policy's suboptimality."""
        return {
            "gain_lower": self.gain_lower,
            "gain_upper": self.gain_upper,
            "suboptimality_bound": self.suboptimality_bound,
        }


def _lookahead(mdp: FiniteMDP, h: np.ndarray) -> np.ndarray:
    """``R + P h`` of shape (S, A) (dense through BLAS, sparse through CSR)."""
    S, A = mdp.n_states, mdp.n_actions
    Ph = mdp.P @ h if mdp.is_sparse else mdp.P.reshape(S * A, S) @ h
    return mdp.R + Ph.reshape(S, A)


@validate_params(
    mdp=MDP(
        discounted=True,
        hint=(
            "relative_value_iteration needs an infinite-horizon MDP (build the FiniteMDP with any gamma, "
            "which is ignored); for a finite horizon use tabular.backward_induction"
        ),
    ),
    epsilon=Real(0, None, closed="neither"),
    max_iter=Integer(1, MAX_ITERATIONS),
    tau=Real(0, 1, closed="left"),
    ref_state=Integer(0, None),
    h0=Array(ndim=1, shape=("mdp.n_states",)) | None,
    progress=PROGRESS,
)
def relative_value_iteration(
    mdp: FiniteMDP,
    *,
    epsilon: float = 1e-6,
    max_iter: int = 100_000,
    tau: float = 0.5,
    ref_state: int = 0,
    h0: Any = None,
    progress: bool | None = None,
) -> AverageRewardResult:
    """Relative value iteration for the optimal gain, with a certified gain bracket.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Infinite-horizon, dense or sparse. Only ``P`` and ``R`` are used: a
        ``FiniteMDP`` must carry a discount, and **its ``gamma`` is ignored** here.
        Finite-horizon MDPs are rejected.
    epsilon : float
        Target width of the gain bracket: on convergence ``|gain - g*| <= epsilon / 2``
        and the policy's gain is within ``epsilon`` of ``g*``.
    max_iter : int
        Budget of backups; when it runs out ``converged`` is False and the (wider)
        bracket is still certified.
    tau : float in [0, 1)
        Aperiodicity transformation ``P_tau = tau I + (1 - tau) P`` (see the module
        docstring). Default 0.5; any ``tau > 0`` makes every chain aperiodic, larger
        values slow the iteration down, ``tau = 0`` runs plain relative value
        iteration (which may oscillate on periodic chains).
    ref_state : int
        State whose relative value is pinned to 0.
    h0 : array_like of shape (S,), optional
        Initial relative values (of the transformed MDP); default zeros.
    progress : bool or None, default None
        Show a progress bar over the backups on standard error (open-ended: the run
        stops at convergence; see :mod:`rlcore.progress`); None follows
        :func:`rlcore.set_progress` (off by default). The result does not depend on it.

    Returns
    -------
    AverageRewardResult

    Raises
    ------
    ValueError, TypeError
        Finite-horizon MDP, or a malformed argument.

    Guarantee
    ---------
    With ``delta = L_tau h - h`` for the last certified ``h``:
    ``gain_lower = min delta <= g^policy(s) <= g*(s) <= max delta = gain_upper`` for every
    state, whatever the chain structure (Odoni 1969; Puterman 1994, section 8.5;
    the aperiodicity transformation preserves every policy's gain, Schweitzer 1971).
    Each bound includes a floating-point allowance. For unichain MDPs and ``tau > 0``
    the bracket shrinks to ``g*`` (Puterman 1994, section 8.5). Tested by
    ``tests/tabular/test_average_reward.py::test_gain_bracket_holds_on_every_mdp`` (any
    chain structure, any stop, against enumeration),
    ``tests/tabular/test_certify_oracle.py::test_relative_value_iteration_gain_bracket_exactly``
    (in exact rational arithmetic) and
    ``tests/tabular/test_average_reward.py::test_multichain_mdp_is_never_reported_converged``.

    Examples
    --------
    Two states that swap deterministically (periodic), paying 1 and 0: gain 1/2.

    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> P = np.array([[[0.0, 1.0]], [[1.0, 0.0]]])
    >>> mdp = FiniteMDP(P, [[1.0], [0.0]], gamma=0.9)   # gamma is ignored
    >>> res = relative_value_iteration(mdp, epsilon=1e-10)
    >>> res.converged, round(res.gain, 8), np.round(res.bias, 8).tolist()
    (True, 0.5, [0.0, -0.5])
    >>> relative_value_iteration(mdp, tau=0.0, max_iter=100).converged   # plain RVI oscillates
    False
    """
    eps, t, ref = epsilon, tau, ref_state
    S, _A = mdp.n_states, mdp.n_actions
    if ref >= S:
        raise InvalidParameterError("ref_state", f"expected a state in [0, {S}), got {ref}")
    h = np.zeros(S) if h0 is None else np.array(h0, dtype=np.float64)
    rho_lo, rho_hi = mdp.row_sum_bounds
    eta = max(rho_hi - 1.0, 1.0 - rho_lo, 0.0)
    n_terms = max_row_nnz(mdp) + 4
    r_max = float(np.max(np.abs(mdp.R)))
    history: dict[str, list[float]] = {"gain_lower": [], "gain_upper": [], "span": []}

    on = resolve_progress(progress)
    with (
        progress_bar(None, desc="relative_value_iteration", progress=True, unit="backup", lazy=True) if on else NULL_BAR
    ) as bar:
        for it in range(1, max_iter + 1):
            # Transformed lookahead r + tau h(s) + (1 - tau) P h; its greedy action is that of r + P h'
            # with h' = (1 - tau) h, because tau h(s) does not depend on the action.
            Qt = _lookahead(mdp, (1.0 - t) * h)
            pi = np.argmax(Qt, axis=1)
            Lh = Qt[np.arange(S), pi] + t * h
            if not np.all(np.isfinite(Lh)):
                raise InvalidParameterError("mdp", "the relative values overflow float64; rescale the rewards")
            delta = Lh - h
            h_max = float(np.max(np.abs(h), initial=0.0))
            rounding = n_terms * _EPS * (r_max + 2.0 * rho_hi * h_max) + (1.0 - t) * eta * h_max * (1.0 + 4.0 * _EPS)
            lo = float(delta.min()) - rounding
            hi = float(delta.max()) + rounding
            history["gain_lower"].append(lo)
            history["gain_upper"].append(hi)
            history["span"].append(hi - lo)
            bar.update(1)
            if on:
                bar.set_postfix(span=f"{hi - lo:.3g}", refresh=False)
            if hi - lo <= eps or it == max_iter:
                break
            h = Lh - Lh[ref]

    gain = 0.5 * (lo + hi)
    bias = (1.0 - t) * h
    bias = bias - bias[ref]
    Q = _lookahead(mdp, bias) - gain
    return AverageRewardResult(
        gain=gain,
        gain_lower=lo,
        gain_upper=hi,
        bias=bias,
        Q=Q,
        policy=np.asarray(pi, dtype=np.int64),
        iterations=it,
        converged=bool(hi - lo <= eps),
        suboptimality_bound=hi - lo,
        method=f"relative_value_iteration[tau={t:g}]",
        epsilon=eps,
        tau=t,
        history={k: np.asarray(v, dtype=np.float64) for k, v in history.items()},
    )
