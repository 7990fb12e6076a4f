"""PEVI: pessimistic value iteration for linear MDPs (Jin, Yang, Wang 2021).

In a linear MDP the rewards and transitions are linear in a known feature map
``phi(x, a)`` in ``R^d``. PEVI runs backward over ``h = H-1, ..., 0`` on the
step-``h`` transitions ``(x_h, a_h, r_h, x_{h+1})`` of the data:

.. math::

    \\Lambda_h = \\sum_\\tau \\phi_h^\\tau \\phi_h^{\\tau\\top} + \\lambda I, \\qquad
    \\hat w_h = \\Lambda_h^{-1} \\sum_\\tau \\phi_h^\\tau \\big(r_h^\\tau + \\hat V_{h+1}(x_{h+1}^\\tau)\\big),

    \\hat Q_h(x, a) = \\operatorname{clip}\\big(\\phi(x, a)^\\top \\hat w_h
        - \\beta \\sqrt{\\phi(x, a)^\\top \\Lambda_h^{-1} \\phi(x, a)},\\; 0,\\; H - h\\big),
    \\qquad \\hat V_h(x) = \\max_a \\hat Q_h(x, a)

(Jin et al. 2021, Algorithm 2; ``h`` counts from 0 here, so ``H - h`` steps remain).
With one-hot features ``phi(s, a) = e_{(s, a)}``, ``Lambda_h`` is diagonal with
entries ``N_h(s, a) + lambda`` and PEVI *is* count-based pessimistic backward induction
with the penalty ``beta / sqrt(N_h(s, a) + lambda)`` and the ridge-shrunk model
(:func:`offline.pessimistic_value_iteration` with ``ridge=lambda``); the tests check
that identity. The recursion itself (the ridge solves, the width, the clip) is the
``sign = -1`` case of :func:`tabular.lsvi.least_squares_value_iteration`, which LSVI-UCB
(:class:`tabular.exploration.LSVIUCB`) runs with ``sign = +1``; this module evaluates the
feature map on the data and keeps PEVI's interface.

References
----------
Y. Jin, Z. Yang, Z. Wang, "Is pessimism provably efficient for offline RL?", ICML 2021.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

import numpy as np

from rlcore.dataset import Dataset
from rlcore.evaluation import occupancy
from rlcore.mdp import FiniteMDP
from rlcore.results import Result
from rlcore.validation import (
    MAX_SAMPLES,
    MDP,
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    Policy,
    Real,
    as_float_array,
    check_int,
    validate_params,
)
from offline.vacuous import warn_above_trivial
from offline._constraints import (
    DELTA_FLOOR,
    MAX_ACTIONS,
    MAX_HORIZON,
    MAX_MODEL_ENTRIES,
    MAX_STATES,
    R_MAX_LIMIT,
    RIDGE_FLOOR,
    OfflineData,
)
from offline.data import _optimal_policy
from tabular.lsvi import least_squares_value_iteration, lsvi_backup

__all__ = ["FeatureMap", "PEVIResult", "one_hot_features", "pevi", "pevi_beta", "pevi_certificate"]

#: ``features(observations, actions) -> ndarray of shape (n, d)``.
FeatureMap = Callable[[np.ndarray, np.ndarray], np.ndarray]


@validate_params(n_states=Integer(1, MAX_STATES), n_actions=Integer(1, MAX_ACTIONS))
def one_hot_features(n_states: int, n_actions: int) -> FeatureMap:
    """The tabular feature map ``phi(s, a) = e_{s A + a}`` in ``R^{S A}``.

    ``n_states`` and ``n_actions`` lie in ``[1, 10**6]`` and the dimension ``S A`` is
    at most ``10**8``. The map refuses states outside ``[0, S)`` and actions outside
    ``[0, A)`` (naming ``observations`` / ``actions``).

    Examples
    --------
    >>> one_hot_features(2, 2)(np.array([1]), np.array([0]))
    array([[0., 0., 1., 0.]])
    """
    S, A = n_states, n_actions
    if S * A > MAX_MODEL_ENTRIES:
        raise InvalidParameterError("n_actions", f"the dimension S * A = {S * A} exceeds the limit {MAX_MODEL_ENTRIES}")

    def phi(observations: np.ndarray, actions: np.ndarray) -> np.ndarray:
        s = _indices(observations, S, "observations", "n_states")
        a = _indices(actions, A, "actions", "n_actions")
        if a.shape != s.shape:
            raise InvalidParameterError("actions", f"expected shape {s.shape} (one per observation), got {a.shape}")
        out = np.zeros((s.shape[0], S * A))
        out[np.arange(out.shape[0]), s * A + a] = 1.0
        return out

    return phi


def _indices(x: Any, size: int, name: str, what: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        if arr.dtype.kind not in "iu":
            raise InvalidParameterTypeError(name, f"expected integer indices of shape (n,), got dtype {arr.dtype}")
        raise InvalidParameterError(name, f"expected integer indices of shape (n,), got shape {arr.shape}")
    bad = (arr < 0) | (arr >= size)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidParameterError(name, f"entry {i} is {arr[i]}, outside [0, {size}) ({what} = {size})")
    return arr.astype(np.int64)


@validate_params(
    dim=Integer(1, MAX_MODEL_ENTRIES),
    horizon=Integer(1, MAX_HORIZON),
    n_episodes=Integer(1, MAX_SAMPLES),
    xi=Real(DELTA_FLOOR, 1, closed="left"),
    c=Real(0, 1e100, closed="right"),
)
def pevi_beta(dim: int, horizon: int, n_episodes: int, xi: float, *, c: float = 1.0) -> float:
    """The width ``beta = c d H sqrt(log(2 d H K / xi))`` of Jin et al. (2021), Thm. 4.4.

    Their theorem holds for ``c`` above an unspecified absolute constant; in practice
    ``beta`` is tuned. ``dim`` in ``[1, 10**8]``, ``horizon`` in ``[1, 10**6]``,
    ``n_episodes`` in ``[1, 10**12]``, ``xi`` in ``[1e-100, 1)``, ``c`` in ``(0, 1e100]``.

    Examples
    --------
    >>> round(pevi_beta(4, 3, 100, 0.1), 3)
    38.11
    """
    d, H, K = dim, horizon, n_episodes
    return c * d * H * math.sqrt(math.log(2 * d * H * K / xi))


@dataclass(frozen=True, repr=False)
class PEVIResult(Result):
    """Fitted PEVI: per-step weights and inverse covariances, and the greedy policy.

    Attributes
    ----------
    weights : ndarray of shape (H, d)
    cov_inv : ndarray of shape (H, d, d)
        ``Lambda_h^{-1}``.
    beta, lam : float
    n_actions, horizon : int
    features : FeatureMap
    """

    weights: np.ndarray
    cov_inv: np.ndarray
    beta: float
    lam: float
    n_actions: int
    horizon: int
    features: FeatureMap

    def width(self, observations: Any, actions: Any, h: int) -> np.ndarray:
        """``beta sqrt(phi^T Lambda_h^{-1} phi)``, shape (n,)."""
        h = check_int(h, "h", low=0, high=self.horizon - 1)
        phi = self.features(np.asarray(observations), np.asarray(actions))
        return lsvi_backup(phi, self.weights[h], self.cov_inv[h], beta=self.beta, sign=-1, cap=self.horizon - h)[1]

    def q_values(self, observations: Any, h: int) -> np.ndarray:
        """Pessimistic ``Q_h(x, a)`` for every action, shape (n, A)."""
        h = check_int(h, "h", low=0, high=self.horizon - 1)
        obs = np.asarray(observations)
        n, A = obs.shape[0], self.n_actions
        rep = np.repeat(obs, A, axis=0)
        acts = np.tile(np.arange(A), n)
        phi = self.features(rep, acts)
        q, _ = lsvi_backup(phi, self.weights[h], self.cov_inv[h], beta=self.beta, sign=-1, cap=self.horizon - h)
        return q.reshape(n, A)

    def act(self, states: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        """Greedy actions (a :data:`rlcore.PolicyFn`, usable with :func:`rlcore.rollout`); ties to the lowest."""
        return np.argmax(self.q_values(states, t), axis=1).astype(np.int64)


@validate_params(
    data=OfflineData(actions="n_actions", horizon="horizon", unit_rewards=True),
    features=IsCallable("a callable features(observations, actions) -> array of shape (n, d)"),
    n_actions=Integer(1, MAX_ACTIONS),
    horizon=Integer(1, MAX_HORIZON),
    beta=Real(0, R_MAX_LIMIT),
    lam=Real(RIDGE_FLOOR, None),
)
def pevi(
    data: Dataset, features: FeatureMap, n_actions: int, horizon: int, *, beta: float, lam: float = 1.0
) -> PEVIResult:
    """Pessimistic value iteration with linear function approximation.

    Parameters
    ----------
    data : Dataset
        Non-empty; integer actions in ``[0, n_actions)``, ``timesteps`` below
        ``horizon`` (step ``h``); rewards in ``[0, 1]`` per step (checked). A
        ``terminated`` transition does not bootstrap.
    features : callable
        ``features(observations, actions) -> ndarray of shape (n, d)``, finite.
    n_actions : int in [1, 10**6]
    horizon : int in [1, 10**6]
        ``horizon * d * d`` (the stored inverse covariances) at most ``10**8``.
    beta : float in [0, 1e100]
        Width multiplier (see :func:`pevi_beta`).
    lam : float >= 1e-12
        Ridge parameter ``lambda`` (below ``1e-12``, ``Lambda^{-1}`` of unit-scale
        features is not resolvable in float64).

    Returns
    -------
    PEVIResult

    Guarantee
    ---------
    In a linear MDP with ``beta = c d H sqrt(log(2 d H K / xi))`` and ``lam = 1``, with
    probability ``1 - xi``: ``V*_0(x) - V^pi_0(x) <= 2 beta sum_h E_{pi*}[ (phi(x_h, a_h)^T
    Lambda_h^{-1} phi(x_h, a_h))^{1/2} | x_0 = x ]`` (Jin et al. 2021, Thm. 4.4);
    :func:`pevi_certificate` evaluates the right side on a tabular MDP. Tested by
    ``tests/offline/test_linear.py::test_pevi_certificate_bounds_suboptimality_and_policy_runs``
    (the suboptimality below the certificate, with a width smaller than the theorem's) and
    ``tests/offline/test_linear.py::test_one_hot_pevi_equals_count_based_lcb`` (one-hot PEVI
    is count-based pessimistic backward induction, a second implementation).

    Examples
    --------
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> mdp = chain(3, small_reward=0.2, large_reward=1.0, horizon=3)
    >>> data = rollout(mdp, np.full((3, 2), 0.5), 300, rng=0)
    >>> res = pevi(data, one_hot_features(3, 2), 2, 3, beta=0.5)
    >>> res.q_values(np.array([0, 1, 2]), 0).shape
    (3, 2)
    """
    A, H = n_actions, horizon
    t = data.timesteps
    acts = data.actions.astype(np.int64)
    probe = _features(features, data.observations[:1], acts[:1], None)
    d = probe.shape[1]
    if H * d * d > MAX_MODEL_ENTRIES:
        raise InvalidParameterError(
            "horizon",
            f"horizon * d * d = {H * d * d} entries of the inverse covariances exceed the limit {MAX_MODEL_ENTRIES}",
        )
    phi = _features(features, data.observations, acts, d)
    # phi(x', a) for every action, where a step-h transition bootstraps (h < H - 1, not terminal)
    boot = (t < H - 1) & ~data.terminated
    nxt = np.zeros((t.shape[0], A, d))
    rows = np.flatnonzero(boot)
    if rows.size:
        n = rows.size
        obs = np.repeat(data.next_observations[rows], A, axis=0)
        nxt[rows] = _features(features, obs, np.tile(np.arange(A, dtype=np.int64), n), d).reshape(n, A, d)
    fit = least_squares_value_iteration(phi, data.rewards, nxt, boot, t, horizon=H, beta=beta, sign=-1, lam=lam)
    return PEVIResult(
        weights=fit.weights, cov_inv=fit.cov_inv, beta=beta, lam=lam, n_actions=A, horizon=H, features=features
    )


def _features(features: Any, observations: np.ndarray, actions: np.ndarray, d: int | None) -> np.ndarray:
    """The features of a batch, checked: a finite float array of shape (n, d)."""
    n = observations.shape[0]
    try:
        raw = features(observations, actions)
    except (ValueError, TypeError, IndexError) as exc:
        raise InvalidParameterError(
            "features", f"failed on the data's observations and actions ({type(exc).__name__}: {exc})"
        ) from None
    phi = as_float_array(raw, "features")
    if phi.ndim != 2 or phi.shape[0] != n or (d is not None and phi.shape[1] != d) or phi.shape[1] < 1:
        want = f"({n}, {'d' if d is None else d})"
        raise InvalidParameterError("features", f"expected an array of shape {want} for n = {n}, got shape {phi.shape}")
    return phi


@validate_params(
    mdp=MDP(discounted=False, hint="PEVI is a finite-horizon method"),
    result=Instance(PEVIResult, what="a PEVIResult, the second argument"),
    comparator=Policy("mdp") | None,
)
def pevi_certificate(mdp: FiniteMDP, result: PEVIResult, comparator: Any = None) -> float:
    """``2 beta sum_h E_{pi*}[sqrt(phi^T Lambda_h^{-1} phi)]`` on a tabular MDP (Jin et al. 2021, Thm. 4.4).

    The features must accept integer states and actions of ``mdp``.

    Warns
    -----
    VacuousResultWarning
        When the certificate exceeds ``H``, the trivial bound for rewards in ``[0, 1]``.

    Examples
    --------
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> mdp = chain(3, small_reward=0.2, large_reward=1.0, horizon=3)
    >>> res = pevi(rollout(mdp, np.full((3, 2), 0.5), 300, rng=0), one_hot_features(3, 2), 2, 3, beta=0.5)
    >>> pevi_certificate(mdp, res) > 0
    True
    """
    if mdp.horizon != result.horizon or mdp.n_actions != result.n_actions:
        raise InvalidParameterError("mdp", "horizon and number of actions must match the result")
    S, A, H = mdp.n_states, mdp.n_actions, result.horizon
    pi = _optimal_policy(mdp) if comparator is None else comparator
    d = occupancy(mdp, pi)
    s, a = np.repeat(np.arange(S), A), np.tile(np.arange(A), S)
    try:
        widths = [result.width(s, a, h) for h in range(H)]
    except (ValueError, TypeError, IndexError) as exc:
        raise InvalidParameterError(
            "mdp", f"the result's features do not accept the states and actions of mdp ({type(exc).__name__}: {exc})"
        ) from None
    total = 2.0 * sum(float(np.sum(d[h].ravel() * widths[h])) for h in range(H))
    warn_above_trivial(
        total,
        float(H),
        "pevi_certificate",
        "with rewards in [0, 1] every policy is within H of the optimum; more data or a smaller beta",
        stacklevel=4,
    )
    return total
