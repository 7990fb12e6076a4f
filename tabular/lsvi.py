"""Least-squares value iteration (LSVI): the backward ridge-regression recursion of linear MDPs.

In a linear MDP the rewards and transitions are linear in a known feature map
``phi(x, a)`` in ``R^d``, so every Bellman backup ``r_h + P_h V`` is linear in ``phi``
and can be estimated by ridge regression. LSVI runs backward over ``h = H-1, ..., 0``
(``h`` counts from 0, so ``H - h`` steps remain):

.. math::

    \\Lambda_h = \\Phi_h^\\top \\Phi_h + \\lambda I, \\qquad
    w_h = \\Lambda_h^{-1} \\Phi_h^\\top \\big(r_h + V_{h+1}(x'_h)\\big),

    Q_h(x, a) = \\operatorname{clip}\\big(\\phi(x, a)^\\top w_h
        + \\sigma \\beta \\sqrt{\\phi(x, a)^\\top \\Lambda_h^{-1} \\phi(x, a)},\\; 0,\\; H - h\\big),
    \\qquad V_h(x) = \\max_a Q_h(x, a),

with ``V_H = 0`` and nothing bootstrapped after a terminal transition. The sign ``sigma``
chooses the use: ``sigma = -1`` subtracts the width (pessimism: PEVI, Jin, Yang and Wang
2021, :func:`offline.pevi`), ``sigma = +1`` adds it (optimism: LSVI-UCB, Jin, Yang, Wang
and Jordan 2020, :class:`tabular.exploration.LSVIUCB`). Jin et al. (2020) cap the
optimistic ``Q`` at ``H`` only; the clip to ``[0, H - h]`` used for both signs is tighter
and keeps optimism, since ``0 <= Q*_h <= H - h`` for rewards in ``[0, 1]``.

Two forms of the same recursion share one backup kernel (the mean, the width
``beta ||phi||_{Lambda^{-1}}`` and the clip):

* the *sample* form, :func:`least_squares_value_iteration`, for data given as arrays of
  features (any observation space: the caller evaluates its feature map on the data and
  on the next observations with every action), used by PEVI;
* the *statistics* form, :func:`lsvi_plan`, for a finite state space with tabulated
  features ``phi(s, a)`` and the sufficient statistics ``Lambda_h^{-1}``,
  ``b_h = sum phi_tau r_tau`` and ``M_h = sum phi_tau e_{x'_tau}^T`` (``d x S``): then
  ``w_h = Lambda_h^{-1} (b_h + M_h V_{h+1})`` and planning costs
  ``O(H (d S + S A d^2))`` whatever the amount of data; used by LSVI-UCB, which keeps
  ``Lambda_h^{-1}`` up to date by Sherman-Morrison rank-one updates.

With one-hot features ``phi(s, a) = e_{s A + a}``, ``Lambda_h`` is diagonal with entries
``N_h(s, a) + lambda``: LSVI is count-based backward induction on the ridge-shrunk model
``P_hat = N(s, a, s') / (N(s, a) + lambda)`` with the bonus (or penalty)
``beta / sqrt(N_h(s, a) + lambda)``.

Guarantee
---------
*Pessimism* (Jin, Yang and Wang 2021, Thm. 4.4): in a linear MDP with
``beta = c d H sqrt(log(2 d H K / xi))`` and ``lambda = 1``, with probability
``1 - xi`` the greedy policy of the ``sigma = -1`` recursion is suboptimal by at most
``2 beta sum_h E_{pi*}[||phi(x_h, a_h)||_{Lambda_h^{-1}}]``.
*Optimism* (Jin, Yang, Wang and Jordan 2020, Thm. 3.1): run online with
``beta = c d H sqrt(log(2 d T / p))``, ``lambda = 1``, ``||phi|| <= 1``, the
``sigma = +1`` recursion gives ``Q_h >= Q*_h`` at every episode and regret
``O(sqrt(d^3 H^3 T log^2(2 d T / p)))`` with probability ``1 - p``.
Both rest on this module computing the recursion above exactly; tested by
``tests/tabular/test_lsvi.py::test_one_hot_lsvi_is_count_based_backward_induction``
(both forms and both signs against count-based backward induction, a second
implementation), ``tests/tabular/test_lsvi.py::test_statistics_form_equals_sample_form``
(the two forms agree on linear features), ``tests/tabular/test_lsvi.py::test_core_reproduces_pevi``
(PEVI is the ``sigma = -1`` sample form) and the tests of PEVI and LSVI-UCB.

References
----------
C. Jin, Z. Yang, Z. Wang, M. I. Jordan, "Provably efficient reinforcement learning with
linear function approximation", COLT 2020 (Algorithm 1, Theorem 3.1).
Y. Jin, Z. Yang, Z. Wang, "Is pessimism provably efficient for offline RL?", ICML 2021
(Algorithm 2, Theorem 4.4).
"""

from __future__ import annotations

from typing import Any

from dataclasses import dataclass

import numpy as np
from numba import njit

from rlcore.results import Result
from rlcore.validation import (
    Array,
    Integer,
    InvalidParameterError,
    Options,
    Real,
    shape_of,
    validate_params,
)

__all__ = ["LSVIFit", "LSVIPlan", "least_squares_value_iteration", "lsvi_backup", "lsvi_plan"]

#: Smallest ridge ``lambda``: below it ``Lambda^{-1}`` of unit-scale features is not
#: resolvable in float64.
RIDGE_FLOOR = 1e-12
#: Largest ``beta`` accepted.
BETA_LIMIT = 1e100
#: Largest horizon.
MAX_HORIZON = 10**6
#: Largest number of entries of a stored statistic (``H d^2``, ``H d S``, ``S A d``).
MAX_MODEL_ENTRIES = 10**8

_SIGN = Options(-1, 1)


@dataclass(frozen=True, repr=False)
class LSVIFit(Result):
    """The per-step regressions of LSVI.

    Attributes
    ----------
    weights : ndarray of shape (H, d)
        ``w_h``.
    cov_inv : ndarray of shape (H, d, d)
        ``Lambda_h^{-1}``, symmetric.
    """

    weights: np.ndarray
    cov_inv: np.ndarray


@dataclass(frozen=True, repr=False)
class LSVIPlan(Result):
    """LSVI planned from sufficient statistics on a finite state space.

    Attributes
    ----------
    Q : ndarray of shape (H, S, A)
    V : ndarray of shape (H + 1, S)
        ``V[H] = 0``; ``V[h, s] = 0`` at terminal states.
    policy : ndarray of int64, shape (H, S)
        Greedy in ``Q``; ties go to the action the width favours (the widest when
        ``sign = +1``: the least explored; the narrowest when ``sign = -1``), then to
        the lowest index. With a large optimistic ``beta`` many values sit at the clip
        ``H - h`` together, and this rule makes those episodes explore instead of
        repeating action 0.
    weights : ndarray of shape (H, d)
    """

    Q: np.ndarray
    V: np.ndarray
    policy: np.ndarray
    weights: np.ndarray


# ------------------------------------------------------------------------------- kernels
@njit(cache=True)
def _backup(phi, w, cov_inv, beta, range_term, sign, cap, q, width):  # pragma: no cover - compiled
    """``width = beta sqrt(u) + range_term u`` with ``u = phi^T C phi``, and
    ``q = clip(phi^T w + sign width, 0, cap)``, per row of ``phi`` (n, d)."""
    n, d = phi.shape
    for i in range(n):
        mean = 0.0
        quad = 0.0
        for j in range(d):
            pj = phi[i, j]
            if pj == 0.0:
                continue
            mean += pj * w[j]
            acc = 0.0
            for k in range(d):
                acc += cov_inv[j, k] * phi[i, k]
            quad += pj * acc
        wd = beta * np.sqrt(quad) + range_term * quad if quad > 0.0 else 0.0
        width[i] = wd
        v = mean + sign * wd
        if v < 0.0:
            v = 0.0
        elif v > cap:
            v = cap
        q[i] = v


@njit(cache=True)
def _plan(table, cov_inv, b, M, beta, range_term, sign, terminal, Q, V, policy, weights):  # pragma: no cover - compiled
    """The statistics form: ``w_h = C_h (b_h + M_h V_{h+1})``, backed up over ``table`` (S*A, d).

    ``cov_inv``, ``b``, ``M`` have a leading axis ``H`` (one regression per step) or 1
    (the transitions of all steps pooled: a stationary linear MDP). The width is
    ``beta sqrt(u) + range_term u``. Fills ``Q`` (H, S*A), ``V`` (H+1, S), ``policy``
    (H, S), ``weights`` (H, d).
    """
    H = V.shape[0] - 1
    pooled = cov_inv.shape[0] == 1
    SA, d = table.shape
    S = V.shape[1]
    A = SA // S
    y = np.empty(d)
    width = np.empty(SA)
    for s in range(S):
        V[H, s] = 0.0
    for h in range(H - 1, -1, -1):
        g = 0 if pooled else h
        for i in range(d):
            acc = b[g, i]
            for s in range(S):
                acc += M[g, i, s] * V[h + 1, s]
            y[i] = acc
        for i in range(d):
            acc = 0.0
            for j in range(d):
                acc += cov_inv[g, i, j] * y[j]
            weights[h, i] = acc
        _backup(table, weights[h], cov_inv[g], beta, range_term, sign, float(H - h), Q[h], width)
        for s in range(S):
            if terminal[s]:
                for a in range(A):
                    Q[h, s * A + a] = 0.0
                policy[h, s] = 0
                V[h, s] = 0.0
                continue
            best = 0
            for a in range(1, A):
                qa = Q[h, s * A + a]
                qb = Q[h, s * A + best]
                if qa > qb or (qa == qb and sign * width[s * A + a] > sign * width[s * A + best]):
                    best = a
            policy[h, s] = best
            V[h, s] = Q[h, s * A + best]


@njit(cache=True)
def _sherman_morrison(cov_inv, phi, u):  # pragma: no cover - compiled
    """``C <- (C^{-1} + phi phi^T)^{-1} = C - (C phi)(C phi)^T / (1 + phi^T C phi)`` in place.

    ``u`` (d,) is scratch. The upper triangle is computed and mirrored: ``C`` stays exactly symmetric.
    """
    d = phi.shape[0]
    den = 1.0
    for i in range(d):
        acc = 0.0
        for j in range(d):
            acc += cov_inv[i, j] * phi[j]
        u[i] = acc
        den += phi[i] * acc
    for i in range(d):
        for j in range(i, d):
            v = cov_inv[i, j] - (u[i] * u[j]) / den
            cov_inv[i, j] = v
            cov_inv[j, i] = v


# ------------------------------------------------------------------------------ helpers
def _ridge_inverse(phi: np.ndarray, lam: float, h: int) -> np.ndarray:
    """``(phi^T phi + lam I)^{-1}``, symmetrised; refuses (naming ``lam``) a singular or overflowing one."""
    d = phi.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        gram = phi.T @ phi + lam * np.eye(d)
        try:
            inv = np.linalg.inv(gram)
        except np.linalg.LinAlgError:
            inv = np.full((d, d), np.nan)
        inv = 0.5 * (inv + inv.T)
    if not (np.all(np.isfinite(gram)) and np.all(np.isfinite(inv))):
        raise InvalidParameterError(
            "lam",
            f"Lambda_{h} = phi^T phi + lam I is numerically singular or overflows float64 for these "
            "features; increase lam or rescale the features",
        )
    return inv


def _backup_rows(phi: np.ndarray, w: np.ndarray, cov_inv: np.ndarray, beta: float, sign: int, cap: float):
    """``(q, width)`` of the rows of ``phi`` (n, d) through the backup kernel."""
    phi = np.ascontiguousarray(phi, dtype=np.float64)
    q = np.empty(phi.shape[0])
    width = np.empty(phi.shape[0])
    _backup(
        phi, np.ascontiguousarray(w), np.ascontiguousarray(cov_inv), float(beta), 0.0, float(sign), float(cap), q, width
    )
    return q, width


def _lsvi_samples(
    features: np.ndarray,
    rewards: np.ndarray,
    next_features: np.ndarray,
    bootstrap: np.ndarray,
    steps: np.ndarray,
    horizon: int,
    beta: float,
    sign: int,
    lam: float,
) -> LSVIFit:
    """The sample form on validated arrays (PEVI calls it directly)."""
    H = horizon
    d = features.shape[1]
    A = next_features.shape[1]
    weights = np.zeros((H, d))
    cov_inv = np.zeros((H, d, d))
    for h in range(H - 1, -1, -1):
        idx = np.flatnonzero(steps == h)
        if idx.size == 0:
            cov_inv[h] = np.eye(d) / lam
            continue
        phi = features[idx]
        target = rewards[idx].copy()
        if h + 1 < H:
            nxt = next_features[idx].reshape(idx.size * A, d)
            q_next, _ = _backup_rows(nxt, weights[h + 1], cov_inv[h + 1], beta, sign, H - h - 1)
            target += np.where(bootstrap[idx], q_next.reshape(idx.size, A).max(axis=1), 0.0)
        cov_inv[h] = _ridge_inverse(phi, lam, h)
        with np.errstate(over="ignore", invalid="ignore"):
            weights[h] = cov_inv[h] @ (phi.T @ target)
        if not np.all(np.isfinite(weights[h])):
            raise InvalidParameterError(
                "lam",
                f"the step-{h} weights overflow float64 for these features; increase lam or rescale the features",
            )
    return LSVIFit(weights=weights, cov_inv=cov_inv)


# ------------------------------------------------------------------------------- public
@validate_params(
    features=Array("float", ndim=2),
    rewards=Array("float", shape=(shape_of("features"),)),
    next_features=Array("float", shape=(shape_of("features"), None, shape_of("features", 1))),
    bootstrap=Array("bool", shape=(shape_of("features"),)),
    steps=Array("int", shape=(shape_of("features"),), low=0),
    horizon=Integer(1, MAX_HORIZON),
    beta=Real(0, BETA_LIMIT),
    sign=_SIGN,
    lam=Real(RIDGE_FLOOR, None),
)
def least_squares_value_iteration(
    features: Any,
    rewards: Any,
    next_features: Any,
    bootstrap: Any,
    steps: Any,
    *,
    horizon: int,
    beta: float,
    sign: int,
    lam: float = 1.0,
) -> LSVIFit:
    """LSVI from samples: backward ridge regressions with a width of sign ``sign``.

    Parameters
    ----------
    features : ndarray of shape (n, d)
        ``phi(x_tau, a_tau)`` of each transition, finite.
    rewards : ndarray of shape (n,)
    next_features : ndarray of shape (n, A, d)
        ``phi(x'_tau, a)`` for every action ``a``; read only where ``bootstrap`` is
        True and ``steps < horizon - 1`` (elsewhere any finite value, e.g. zeros).
    bootstrap : ndarray of bool, shape (n,)
        False for a terminal transition (nothing bootstrapped).
    steps : ndarray of int, shape (n,)
        The step ``h`` of each transition, in ``[0, horizon)``.
    horizon : int in [1, 10**6]
        ``horizon * d * d`` (the inverse covariances) at most ``10**8``.
    beta : float in [0, 1e100]
        Width multiplier.
    sign : {-1, 1}
        -1: pessimistic (PEVI); +1: optimistic (LSVI-UCB).
    lam : float >= 1e-12
        Ridge ``lambda``.

    Returns
    -------
    LSVIFit
        Steps without data get ``w_h = 0`` and ``Lambda_h^{-1} = I / lambda``.

    Raises
    ------
    InvalidParameterError
        Naming ``lam`` when some ``Lambda_h`` is numerically singular or overflows.

    Guarantee
    ---------
    The regressions of PEVI (Jin, Yang, Wang 2021, Algorithm 2) and LSVI-UCB (Jin,
    Yang, Wang, Jordan 2020, Algorithm 1); with one-hot features they are count-based
    backward induction with the ridge-shrunk model. Tested by
    ``tests/tabular/test_lsvi.py::test_one_hot_lsvi_is_count_based_backward_induction``
    and ``tests/tabular/test_lsvi.py::test_core_reproduces_pevi``.

    Examples
    --------
    One state, one action, reward 1 twice per step, horizon 2, no width: ridge shrinkage
    ``n / (n + lambda)`` at each step.

    >>> phi = np.ones((4, 1)); nxt = np.ones((4, 1, 1))
    >>> fit = least_squares_value_iteration(phi, np.ones(4), nxt, np.ones(4, bool), np.array([0, 0, 1, 1]),
    ...                                     horizon=2, beta=0.0, sign=1, lam=1.0)
    >>> fit.weights.round(4).tolist()
    [[1.1111], [0.6667]]
    """
    n, d = features.shape
    H = horizon
    if H * d * d > MAX_MODEL_ENTRIES:
        raise InvalidParameterError(
            "horizon", f"horizon * d * d = {H * d * d} entries of the inverse covariances exceed {MAX_MODEL_ENTRIES}"
        )
    if steps.max() >= H:
        i = int(np.argmax(steps >= H))
        raise InvalidParameterError("steps", f"entry {i} is {steps[i]}, outside [0, {H}) (horizon = {H})")
    return _lsvi_samples(features, rewards, next_features, bootstrap, steps, H, beta, sign, lam)


@validate_params(
    features=Array("float", ndim=2),
    weights=Array("float", shape=(shape_of("features", 1),)),
    cov_inv=Array("float", shape=(shape_of("features", 1), shape_of("features", 1))),
    beta=Real(0, BETA_LIMIT),
    sign=_SIGN,
    cap=Real(0, None),
)
def lsvi_backup(
    features: Any, weights: Any, cov_inv: Any, *, beta: float, sign: int, cap: float
) -> tuple[np.ndarray, np.ndarray]:
    """One LSVI backup: ``Q = clip(phi^T w + sign beta ||phi||_{C}, 0, cap)`` and the width.

    Parameters
    ----------
    features : ndarray of shape (n, d)
    weights : ndarray of shape (d,)
    cov_inv : ndarray of shape (d, d)
        ``C = Lambda_h^{-1}`` (symmetric positive definite; a negative rounding of
        ``phi^T C phi`` counts as 0).
    beta : float in [0, 1e100]
    sign : {-1, 1}
    cap : float >= 0
        ``H - h`` at step ``h``.

    Returns
    -------
    q : ndarray of shape (n,)
    width : ndarray of shape (n,)
        ``beta sqrt(phi^T C phi)``.

    Guarantee
    ---------
    One step of the backward pass of :func:`least_squares_value_iteration`. Tested
    through it by ``tests/tabular/test_lsvi.py::test_one_hot_lsvi_is_count_based_backward_induction``.

    Examples
    --------
    >>> q, width = lsvi_backup(np.array([[1.0, 0.0]]), np.array([0.5, 0.0]), np.eye(2) / 4, beta=1.0, sign=-1, cap=2.0)
    >>> float(q[0]), float(width[0])
    (0.0, 0.5)
    """
    return _backup_rows(features, weights, cov_inv, beta, sign, cap)


@validate_params(
    table=Array("float", ndim=3),
    cov_inv=Array("float", ndim=3),
    b=Array("float", shape=(shape_of("cov_inv"), shape_of("table", 2))),
    M=Array("float", shape=(shape_of("cov_inv"), shape_of("table", 2), shape_of("table"))),
    beta=Real(0, BETA_LIMIT),
    sign=_SIGN,
    terminal=Array("bool", shape=(shape_of("table"),)) | None,
)
def lsvi_plan(table: Any, cov_inv: Any, b: Any, M: Any, *, beta: float, sign: int, terminal: Any = None) -> LSVIPlan:
    """LSVI from sufficient statistics on a finite state space.

    Parameters
    ----------
    table : ndarray of shape (S, A, d)
        ``phi(s, a)``.
    cov_inv : ndarray of shape (H, d, d)
        ``Lambda_h^{-1}``.
    b : ndarray of shape (H, d)
        ``sum_tau phi_tau r_tau`` over the step-``h`` transitions.
    M : ndarray of shape (H, d, S)
        ``sum_tau phi_tau e_{x'_tau}^T``.
    beta : float in [0, 1e100]
    sign : {-1, 1}
    terminal : ndarray of bool, shape (S,), optional
        States whose value is 0 (nothing is bootstrapped from them).

    Returns
    -------
    LSVIPlan

    Guarantee
    ---------
    The same plan as :func:`least_squares_value_iteration` on the same data, from
    sufficient statistics. Tested by
    ``tests/tabular/test_lsvi.py::test_statistics_form_equals_sample_form``.

    Examples
    --------
    Two states, one action, one-hot features, no data: the optimistic plan is the cap.

    >>> H, S, d = 2, 2, 2
    >>> plan = lsvi_plan(np.eye(2).reshape(2, 1, 2), np.stack([np.eye(d)] * H), np.zeros((H, d)),
    ...                  np.zeros((H, d, S)), beta=10.0, sign=1)
    >>> plan.V.tolist()
    [[2.0, 2.0], [1.0, 1.0], [0.0, 0.0]]
    """
    S, A, d = table.shape
    H = cov_inv.shape[0]
    if cov_inv.shape[1:] != (d, d):
        raise InvalidParameterError("cov_inv", f"expected shape (H, {d}, {d}), got {cov_inv.shape}")
    term = np.zeros(S, dtype=bool) if terminal is None else terminal
    Q = np.empty((H, S * A))
    V = np.empty((H + 1, S))
    policy = np.empty((H, S), dtype=np.int64)
    weights = np.empty((H, d))
    _plan(table.reshape(S * A, d), cov_inv, b, M, float(beta), 0.0, float(sign), term, Q, V, policy, weights)
    return LSVIPlan(Q=Q.reshape(H, S, A), V=V, policy=policy, weights=weights)
