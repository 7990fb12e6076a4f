"""Distributional dynamic programming: the whole law of the return of a policy.

For a policy ``pi`` of a :class:`rlcore.FiniteMDP` the *return*
``G = sum_t gamma^t R(S_t, A_t)`` (discounted) or ``G = sum_{t<H} R_t(S_t, A_t)``
(finite horizon) is a random variable; its law from state ``s`` is the return
distribution ``eta^pi(s)``. It satisfies the distributional Bellman equation

.. math:: \\eta^\\pi(s) = \\sum_a \\pi(a \\mid s) \\sum_{s'} P(s' \\mid s, a)\\,
          (b_{r(s,a),\\gamma})_\\# \\eta^\\pi(s') =: (T^\\pi \\eta^\\pi)(s),

where ``b_{r,gamma}(x) = r + gamma x`` (Bellemare, Dabney & Rowland 2023, ch. 2 and 4).

**Rewards.** A :class:`~rlcore.FiniteMDP` stores *expected* rewards ``R(s, a)``; this
module treats them as deterministic given ``(s, a)``, so the distribution computed is
that of the sum of ``R`` along the random trajectory (the randomness comes from the
transitions and the policy). If the rewards of your problem are themselves random,
pass their law as ``reward_distribution=(atoms, probs)`` (arrays of shape (S, A, n),
or (H, S, A, n); the reward is drawn given ``(s, a)`` independently of the next state,
and its mean must equal ``R``); without it the law computed is that of the return with
each reward replaced by its mean (same mean, understated spread).

Three representations
---------------------
``"categorical"``
    Probabilities on a fixed, evenly spaced support ``z_1 < ... < z_m`` (spacing
    ``varsigma``). The projection ``Pi_C`` splits the mass at ``x`` between its two
    neighbouring atoms by linear interpolation (mass beyond the ends goes to the end
    atoms); it is the orthogonal projection for the Cramér distance
    ``l_2(nu, mu) = (int (F_nu - F_mu)^2)^{1/2}`` and preserves the mean of
    distributions supported in ``[z_1, z_m]`` (Rowland et al. 2018).
``"quantile"``
    ``N`` atoms of mass ``1/N`` at the quantiles ``F^{-1}(tau_i)`` of the midpoints
    ``tau_i = (2i - 1) / (2N)``: the projection ``Pi_Q`` onto N-atom equal-weight
    distributions that minimises the 1-Wasserstein distance (Dabney et al. 2018).
``"exact"``
    Finite horizon only: the exact finite-support law (atoms and probabilities,
    equal atoms merged), by backward recursion. Its size can grow exponentially with
    ``H``; a cap (``max_atoms``) stops it with a clear error.

Each law is a :class:`rlcore.DiscreteDistribution` (one per state, or a batch of shape
``(S,)`` / ``(H, S)`` from :meth:`DistributionalEvaluation.distributions`); the
projections ``Pi_C``, ``Pi_Q`` and the distances are :func:`rlcore.categorical_projection`,
:func:`rlcore.quantile_projection`, :func:`rlcore.cramer_distance` and
:func:`rlcore.wasserstein_distance`.

Guarantees
----------
All derived in ``docs/theory/distributional.md``.

* ``Pi_C T^pi`` is a ``sqrt(gamma)``-contraction in the supremum-Cramér distance
  ``sup_s l_2`` (Rowland et al. 2018); ``Pi_Q T^pi`` is a
  ``gamma``-contraction in the supremum-``W_inf`` distance (Dabney et al. 2018;
  Bellemare, Dabney & Rowland 2023, ch. 5). Discounted evaluation iterates the
  projected operator from a point mass and stops once the a-posteriori bound
  ``c / (1 - c) * d(eta_{k+1}, eta_k)`` on the distance to its fixed point is
  ``<= epsilon`` (``c`` the modulus, ``d`` the metric); the bound is reported. Tested by
  ``tests/tabular/test_distributional.py::test_categorical_operator_is_sqrt_gamma_contraction_in_sup_cramer``,
  ``tests/tabular/test_distributional.py::test_quantile_operator_is_gamma_contraction_in_sup_w_inf``,
  ``tests/tabular/test_distributional_oracle.py::test_categorical_error_bound_holds`` and
  ``tests/tabular/test_distributional_oracle.py::test_quantile_error_bound_holds`` (a
  40-digit fixed point).
* The fixed point is close to the true law (:func:`projection_error_bound`): with
  every return in ``[z_1, z_m]``, ``sup_s l_2(eta_C(s), eta^pi(s)) <=
  sqrt(varsigma / (2 (1 - gamma)))``; with every return in ``[a, b]``,
  ``sup_s W_1(eta_Q(s), eta^pi(s)) <= (b - a) / (2 N (1 - gamma))``. Finite horizon,
  with ``[a_t, b_t]`` the range of the return-to-go from step ``t``:
  ``sqrt(sum_t varsigma_t / 2)`` for the default per-step supports (``m`` atoms over
  ``[a_t, b_t]``, spacing ``varsigma_t``), ``sqrt(H varsigma / 2)`` for one shared
  support containing every ``[a_t, b_t]``, and ``sum_t (b_t - a_t) / (2N)``. Tested by
  ``tests/tabular/test_distributional.py::test_discounted_fixed_points_within_bound_of_true_law``
  and ``tests/tabular/test_distributional.py::test_projected_finite_horizon_laws_within_bounds``.
* Rows that sum to 1 only within the tolerance: a return distribution needs
  probability rows, so every representation is computed for the normalised kernel
  ``P(.|s, a) / rho(s, a)`` and the normalised policy rows (``rho`` the stored row sums,
  :attr:`rlcore.FiniteMDP.row_sums`, within ``atol`` of 1); its mean differs from the
  :func:`rlcore.evaluate_policy` value of the stored rows by at most about
  ``gamma max|rho - 1| max|V| / (1 - gamma)``. The a-posteriori bounds include the
  floating-point error of each backup: the categorical bound is
  ``(c d(eta_{k+1}, eta_k) + e_C) / (1 - c)`` with ``e_C`` the Cramer size of the
  probabilities' rounding, the quantile bound ``(gamma d + e_Q) / (1 - gamma)`` with
  ``e_Q = 2 eps (max|r| + gamma max|theta|)`` for the atoms' rounding. (The quantile
  levels are selected with the cumulative weights as computed; a weight tie at a level
  is resolved as in that computation.) Tested by
  ``tests/tabular/test_distributional.py::test_rows_within_tolerance_give_the_normalised_law``
  and the oracle tests above (rows off by up to the tolerance).
* The categorical result has exactly the mean ``V^pi`` (up to the iteration error)
  when every support is closed under the backup (``r + gamma z`` stays inside), as the
  defaults are: ``Pi_C`` preserves means there and ``T^pi`` is affine in them. Tested
  by ``tests/tabular/test_distributional.py::test_mean_equals_evaluate_policy``.

References
----------
M. G. Bellemare, W. Dabney, M. Rowland, *Distributional Reinforcement Learning*, MIT
Press 2023, chapters 4 and 5.
M. Rowland, M. G. Bellemare, W. Dabney, R. Munos, Y. W. Teh, "An analysis of
categorical distributional reinforcement learning", AISTATS 2018.
W. Dabney, M. Rowland, M. G. Bellemare, R. Munos, "Distributional reinforcement
learning with quantile regression", AAAI 2018.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcore.distributions import MAX_ATOMS, SUPPORT, DiscreteDistribution
from rlcore.mdp import FiniteMDP
from rlcore.progress import PROGRESS, compile_notice
from rlcore.results import Result
from rlcore.validation import (
    MAX_ITERATIONS,
    MDP,
    Array,
    Integer,
    InvalidParameterError,
    Options,
    Policy,
    ProbabilityRows,
    Real,
    check_probability_vector,
    validate_params,
)
from tabular._distributional_kernels import categorical_backup, quantile_backup
from tabular._distributional_model import (
    _REWARD_DISTRIBUTION,
    _T,
    MAX_ENTRIES,
    _check_t,
    _default_support,
    _discount,
    _kernel_arrays,
    _merge_atoms,
    _policy_at,
    _return_ranges,
    _RewardLaw,
    _stochastic_policy,
)
from tabular._distributional_solvers import _bar, _exact, _projected

__all__ = [
    "DistributionalEvaluation",
    "categorical_bellman_operator",
    "distributional_evaluation",
    "projection_error_bound",
    "quantile_bellman_operator",
]

_SUPPORT = SUPPORT


# ---------------------------------------------------------------------------------
# evaluation result
# ---------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class DistributionalEvaluation(Result):
    """Return distributions of a policy, one per state (and step, under a finite horizon).

    Attributes
    ----------
    method : {"categorical", "quantile", "exact"}
        The representation computed.
    atoms, probs : ndarray of shape (S, n), or (H, S, n) under a finite horizon
        Row ``[s]`` (``[t, s]``: ``t`` steps taken) holds the law of the return from
        ``s``; padding atoms carry probability 0. Categorical rows share the support
        ``atoms[..., s, :] == support``; quantile rows have ``probs == 1/N``.
    support : ndarray of shape (m,) or (H, m), or None
        The categorical support (discounted), or the support of each step (finite
        horizon: ``atoms[t, s] == support[t]``).
    iterations : int
        Operator applications (``H`` for the finite-horizon recursion).
    converged : bool
        Discounted: the stopping rule was met within ``max_iter``. Finite horizon: True.
    error_bound : float
        Discounted: bound on ``sup_s d(eta(s), eta_hat(s))``, the distance to the fixed
        point ``eta_hat`` of the projected operator in ``metric``; 0.0 for the
        finite-horizon recursion (exact up to rounding).
    metric : str
        ``"cramer"`` (categorical), ``"wasserstein_inf"`` (quantile) or ``"exact"``.

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.full((2, 1, 2), 0.5), [[0.0], [2.0]], gamma=0.5)
    >>> ev = distributional_evaluation(mdp, np.array([0, 0]), n_atoms=9)
    >>> ev.converged, np.round(ev.mean(), 6)
    (True, array([1., 3.]))
    >>> ev
    DistributionalEvaluation(method='categorical', atoms=<(2, 9) float64>, probs=<(2, 9) float64>, \
support=<(9,) float64>, iterations=..., converged=True, error_bound=..., metric='cramer')
    >>> ev.distributions().cvar(0.5)
    array([0.5..., 2.5...])
    """

    method: str
    atoms: np.ndarray
    probs: np.ndarray
    support: np.ndarray | None
    iterations: int
    converged: bool
    error_bound: float
    metric: str

    def bounds(self) -> dict[str, float]:
        """The certified number: ``error_bound`` (distance to the projected fixed point)."""
        return {"error_bound": self.error_bound}

    def distributions(self) -> DiscreteDistribution:
        """All the laws as one batch, of batch shape (S,) or (H, S) (``dist[s]``, ``dist[t, s]``)."""
        return DiscreteDistribution(self.atoms, self.probs)

    def distribution(self, s: int, t: int = 0) -> DiscreteDistribution:
        """Law of the return from state ``s`` (after ``t`` steps under a finite horizon)."""
        S = self.atoms.shape[-2]
        s = Integer(0, S - 1).check(s, "s")
        if self.atoms.ndim == 3:
            t = Integer(0, self.atoms.shape[0] - 1).check(t, "t")
            return DiscreteDistribution(self.atoms[t, s], self.probs[t, s])
        if Integer().check(t, "t") != 0:
            raise InvalidParameterError("t", f"a discounted evaluation has no time index, got t={t}")
        return DiscreteDistribution(self.atoms[s], self.probs[s])

    def initial_distribution(self, initial: Any) -> DiscreteDistribution:
        """Law of the return when the first state is drawn from ``initial`` (shape (S,))."""
        S = self.atoms.shape[-2]
        mu = check_probability_vector(initial, "initial", S)
        a = self.atoms if self.atoms.ndim == 2 else self.atoms[0]
        p = self.probs if self.probs.ndim == 2 else self.probs[0]
        x, w = _merge_atoms(a.ravel(), (mu[:, None] * p).ravel(), 0.0)
        return DiscreteDistribution(x, w / w.sum())

    def mean(self) -> np.ndarray:
        """Means, shape (S,) or (H, S) (compare with ``rlcore.evaluate_policy(...).V``)."""
        return np.sum(self.atoms * self.probs, axis=-1)

    def variance(self) -> np.ndarray:
        """Variances, shape (S,) or (H, S)."""
        m = self.mean()
        return np.sum((self.atoms - m[..., None]) ** 2 * self.probs, axis=-1)


# ---------------------------------------------------------------------------------
# operators
# ---------------------------------------------------------------------------------
@validate_params(
    mdp=MDP(),
    policy=Policy("mdp"),
    probs=ProbabilityRows(shape=("mdp.n_states", None)),
    support=_SUPPORT,
    t=_T,
    reward_distribution=_REWARD_DISTRIBUTION,
)
def categorical_bellman_operator(
    mdp: FiniteMDP, policy: Any, probs: Any, support: Any, *, t: int = 0, reward_distribution: Any = None
) -> np.ndarray:
    """One application of the projected operator ``Pi_C T^pi`` (step ``t``).

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted (``gamma``) or finite-horizon (``gamma = 1``, step ``t``).
    policy : array_like
        Any tabular policy layout of ``mdp``.
    probs : array_like of shape (S, m)
        Categorical successor distributions on ``support`` (rows of probabilities).
    support : array_like of shape (m,)
        Evenly spaced increasing atoms, ``m >= 2``.
    t : int
        Step (finite horizon, ``0 <= t < H``; 0 for a discounted MDP).
    reward_distribution : pair of arrays, optional
        Random immediate rewards, as in :func:`distributional_evaluation`.

    Returns
    -------
    ndarray of shape (S, m)

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=0.5)
    >>> categorical_bellman_operator(mdp, np.array([0]), [[1.0, 0.0, 0.0]], [0.0, 1.0, 2.0])
    array([[0., 1., 0.]])
    """
    t = _check_t(mdp, t)
    z, q = support, probs
    if q.shape != (mdp.n_states, z.size):
        raise InvalidParameterError(
            "probs", f"expected shape {(mdp.n_states, z.size)} (one column per atom of support), got {q.shape}"
        )
    pi = _stochastic_policy(mdp, policy)
    out = np.empty((mdp.n_states, z.size))
    ra, rpr = _RewardLaw(mdp, reward_distribution).at(t)
    with np.errstate(over="ignore", invalid="ignore"):
        categorical_backup(*_kernel_arrays(mdp, t), ra, rpr, _policy_at(pi, t), _discount(mdp), z, z, q, out)
    _check_backup(out, "support")
    return out


@validate_params(
    mdp=MDP(),
    policy=Policy("mdp"),
    locations=Array(ndim=2, shape=("mdp.n_states", None)),
    t=_T,
    reward_distribution=_REWARD_DISTRIBUTION,
)
def quantile_bellman_operator(
    mdp: FiniteMDP, policy: Any, locations: Any, *, t: int = 0, reward_distribution: Any = None
) -> np.ndarray:
    """One application of the projected operator ``Pi_Q T^pi`` (step ``t``).

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
    policy : array_like
    locations : array_like of shape (S, N)
        Quantile locations of the successor distributions (each atom has mass 1/N).
    t : int
        Step (finite horizon, ``0 <= t < H``; 0 for a discounted MDP).
    reward_distribution : pair of arrays, optional
        Random immediate rewards, as in :func:`distributional_evaluation`.

    Returns
    -------
    ndarray of shape (S, N), sorted along the last axis.

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=0.5)
    >>> quantile_bellman_operator(mdp, np.array([0]), [[0.0, 2.0]])
    array([[1., 2.]])
    """
    t = _check_t(mdp, t)
    theta = locations
    pi = _stochastic_policy(mdp, policy)
    out = np.empty_like(theta)
    ra, rpr = _RewardLaw(mdp, reward_distribution).at(t)
    with np.errstate(over="ignore", invalid="ignore"):
        quantile_backup(*_kernel_arrays(mdp, t), ra, rpr, _policy_at(pi, t), _discount(mdp), theta, out)
    _check_backup(out, "locations")
    return out


def _check_backup(out: np.ndarray, name: str) -> None:
    """The backed-up atoms ``r + gamma z`` stayed within float64 (finite rewards and atoms can still overflow)."""
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(
            name, "the backup r + gamma z overflows float64 (rewards and atoms too large); rescale the rewards"
        )


@validate_params(
    mdp=MDP(),
    representation=Options("categorical", "quantile"),
    n_atoms=Integer(1, MAX_ATOMS),
    support=_SUPPORT | None,
    reward_distribution=_REWARD_DISTRIBUTION,
)
def projection_error_bound(
    mdp: FiniteMDP, representation: str, *, n_atoms: int = 51, support: Any = None, reward_distribution: Any = None
) -> float:
    """Bound on the distance between the projected fixed point and the true return law.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
    representation : {"categorical", "quantile"}
    n_atoms : int in [1, 10**7]
        ``N`` for the quantile representation (and ``m >= 2`` for a default categorical
        support).
    support : array_like of shape (m,), optional
        Categorical support (default: as in :func:`distributional_evaluation`).
    reward_distribution : pair of arrays, optional
        Random immediate rewards (their range sets ``[a, b]``), as in
        :func:`distributional_evaluation`.

    Returns
    -------
    float
        Categorical: bound on ``sup_s l_2(eta_C(s), eta^pi(s))`` (Cramér), namely
        ``sqrt(varsigma / (2 (1 - gamma)))`` discounted and ``sqrt(H varsigma / 2)``
        under a finite horizon with a given support (``varsigma`` its spacing), or
        ``sqrt(sum_t varsigma_t / 2)`` for the default per-step supports (spacing
        ``varsigma_t = (b_t - a_t) / (m - 1)``) at step 0. Quantile: bound on
        ``sup_s W_1(eta_Q(s), eta^pi(s))``, ``(b - a) / (2 N (1 - gamma))`` with
        ``[a, b] = [min R, max R] / (1 - gamma)``, or ``sum_t (b_t - a_t) / (2N)``.

    Guarantee
    ---------
    Holds for every policy, provided (categorical) that every return-to-go lies in
    ``[z_1, z_m]``; :class:`ValueError` is raised when the MDP's reward range shows it
    may not. Proofs: the categorical bound combines the Pythagorean identity of the
    orthogonal projection ``Pi_C`` (Rowland et al. 2018; Bellemare, Dabney & Rowland
    2023, ch. 5) with ``l_2^2(Pi_C nu, nu) <= W_1(Pi_C nu, nu) <= varsigma / 2``; the
    quantile bound combines ``W_1(Pi_Q nu, nu) <= (b - a) / (2N)`` with the
    ``gamma``-contraction of ``T^pi`` in ``sup W_1``. See the theory page. Tested by
    ``tests/tabular/test_distributional.py::test_discounted_fixed_points_within_bound_of_true_law``,
    ``tests/tabular/test_distributional.py::test_projected_finite_horizon_laws_within_bounds``
    (the bounds against the enumerated true law) and
    ``tests/tabular/test_distributional.py::test_invalid_inputs`` (a support that may not
    contain every return is refused).

    Examples
    --------
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=0.5)
    >>> round(projection_error_bound(mdp, "quantile", n_atoms=10), 6)
    0.0
    """
    n = n_atoms
    law = _RewardLaw(mdp, reward_distribution)
    lo, hi = _return_ranges(mdp, law)
    if support is not None and representation != "categorical":
        raise InvalidParameterError("support", "only the categorical representation has a support")
    if representation == "categorical":
        if support is None and n < 2:
            raise InvalidParameterError("n_atoms", f"a categorical support needs at least 2 atoms, got {n}")
        if support is None and mdp.horizon is not None:
            return float(np.sqrt(np.sum(hi - lo) / (n - 1) / 2.0))
        z = _default_support(mdp, n, law) if support is None else support
        a, b = float(lo.min()), float(hi.max())
        tol = 1e-9 * max(1.0, abs(a), abs(b))
        if a < z[0] - tol or b > z[-1] + tol:
            raise InvalidParameterError(
                "support",
                f"[{z[0]:g}, {z[-1]:g}] may not contain every return (rewards allow [{a:g}, {b:g}]); the bound "
                "needs a support that does",
            )
        step = (z[-1] - z[0]) / (z.size - 1)
        if mdp.horizon is None:
            return float(np.sqrt(step / (2.0 * (1.0 - _discount(mdp)))))
        return float(np.sqrt(mdp.horizon * step / 2.0))
    # quantile
    if mdp.horizon is None:
        return float((hi[0] - lo[0]) / (2.0 * n * (1.0 - _discount(mdp))))
    return float(np.sum(hi - lo) / (2.0 * n))


# ---------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------
@validate_params(
    mdp=MDP(),
    policy=Policy("mdp"),
    representation=Options("categorical", "quantile", "exact"),
    n_atoms=Integer(1, MAX_ATOMS),
    support=_SUPPORT | None,
    epsilon=Real(0, None, closed="neither"),
    max_iter=Integer(1, MAX_ITERATIONS),
    max_atoms=Integer(1, MAX_ATOMS),
    reward_distribution=_REWARD_DISTRIBUTION,
    progress=PROGRESS,
)
def distributional_evaluation(
    mdp: FiniteMDP,
    policy: Any,
    *,
    representation: str = "categorical",
    n_atoms: int = 51,
    support: Any = None,
    epsilon: float = 1e-8,
    max_iter: int = 10_000,
    max_atoms: int = 100_000,
    reward_distribution: Any = None,
    progress: bool | None = None,
) -> DistributionalEvaluation:
    """Return distributions of a tabular policy by distributional dynamic programming.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted or finite-horizon, dense or sparse, stationary or time-dependent.
    policy : array_like
        Deterministic (S,) / (H, S) or stochastic (S, A) / (H, S, A) policy.
    representation : {"categorical", "quantile", "exact"}
        ``"exact"`` needs a finite horizon.
    n_atoms : int in [1, 10**7]
        Support size ``m`` (categorical, ``m >= 2``) or number of quantiles ``N``
        (quantile); ``S * n_atoms`` (``H * S * n_atoms``) may be at most ``10**8``.
    support : array_like of shape (m,), optional
        Categorical support, evenly spaced, used at every step. Default: discounted,
        ``m = n_atoms`` atoms over ``[min R, max R] / (1 - gamma)``; finite horizon,
        one support per step with ``m`` atoms over the range ``[a_t, b_t]`` of the
        return-to-go from step ``t``. Both defaults contain every return and are
        closed under the backup, so no mass is clipped and the mean is exact.
    epsilon : float > 0
        Discounted only: stop when the bound on the distance to the projected fixed
        point (in the contraction metric) is ``<= epsilon``.
    max_iter : int in [1, 10**9]
        Discounted only: cap on operator applications.
    max_atoms : int in [1, 10**7]
        Exact only: cap on the atoms of one state's distribution (and ``H * S`` times
        the largest law at most ``10**8`` entries).
    reward_distribution : pair (atoms, probs) of arrays, optional
        Random immediate rewards: ``R_t | (s, a)`` takes the value ``atoms[..., s, a, j]``
        with probability ``probs[..., s, a, j]``, independently of the next state;
        shape (S, A, n), or (H, S, A, n) under a finite horizon. Its means must equal
        ``mdp.R`` (checked). Default: the deterministic rewards ``mdp.R``.
    progress : bool or None, default None
        Show a progress bar on standard error over the backward steps (finite
        horizon) or the operator applications (discounted; open-ended, as they stop
        at convergence), see :mod:`rlcore.progress`; None follows
        :func:`rlcore.set_progress` (off by default). The result does not depend on it.

    Returns
    -------
    DistributionalEvaluation

    Raises
    ------
    ValueError
        On a malformed argument; ``"exact"`` on a discounted MDP; an exact law that
        exceeds ``max_atoms`` atoms.

    Guarantee
    ---------
    Discounted: the iterates contract to the fixed point of ``Pi T^pi`` at rate
    ``sqrt(gamma)`` (sup-Cramér, categorical) or ``gamma`` (sup-``W_inf``, quantile)
    and ``error_bound`` bounds the remaining distance in that metric; the fixed point
    is within :func:`projection_error_bound` of the true law. Finite horizon: the
    backward recursion is exact for ``"exact"`` and within
    :func:`projection_error_bound` for the projected representations. Tested by
    ``tests/tabular/test_distributional_oracle.py::test_categorical_error_bound_holds``,
    ``tests/tabular/test_distributional_oracle.py::test_quantile_error_bound_holds``
    (``error_bound`` against a 40-digit fixed point),
    ``tests/tabular/test_distributional.py::test_discounted_fixed_points_within_bound_of_true_law``,
    ``tests/tabular/test_distributional.py::test_exact_law_matches_enumeration_of_all_trajectories``
    and ``tests/tabular/test_distributional.py::test_projected_finite_horizon_laws_within_bounds``.

    Examples
    --------
    A fair coin pays 0 or 1 at each of two steps: the return is Binomial(2, 1/2).

    >>> from rlcore import FiniteMDP
    >>> P = np.full((2, 1, 2), 0.5); R = np.array([[0.0], [1.0]])
    >>> mdp = FiniteMDP(P, R, horizon=2, initial=[0.5, 0.5])
    >>> ev = distributional_evaluation(mdp, np.array([0, 0]), representation="exact")
    >>> d = ev.initial_distribution(mdp.initial)
    >>> d.atoms, d.probs
    (array([0., 1., 2.]), array([0.25, 0.5 , 0.25]))
    """
    pi = _stochastic_policy(mdp, policy)
    n = n_atoms
    law = _RewardLaw(mdp, reward_distribution)
    _return_ranges(mdp, law)  # refuses rewards whose returns overflow float64, before any work
    if support is not None and representation != "categorical":
        raise InvalidParameterError(
            "support", f"only the categorical representation has a support, not {representation!r}"
        )
    if representation == "exact":
        if mdp.horizon is None:
            raise InvalidParameterError(
                "representation",
                "'exact' needs a finite-horizon MDP (a discounted return has infinitely many atoms in general); "
                "use 'categorical' or 'quantile'",
            )
        with _bar(mdp, progress) as bar:  # H backward steps
            return DistributionalEvaluation(*_exact(mdp, pi, max_atoms, law, bar))
    m = n if support is None else support.size
    if (mdp.horizon or 1) * mdp.n_states * m > MAX_ENTRIES:
        name = "n_atoms" if support is None else "support"
        raise InvalidParameterError(
            name, f"the evaluation would hold {(mdp.horizon or 1) * mdp.n_states} x {m} atoms, more than {MAX_ENTRIES}"
        )
    kernels = (categorical_backup, quantile_backup)
    with compile_notice(kernels, "tabular.distributional_evaluation", progress=progress), _bar(mdp, progress) as bar:
        return DistributionalEvaluation(*_projected(mdp, pi, representation, n, support, epsilon, max_iter, law, bar))
