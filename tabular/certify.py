"""Certified error bounds for any value-function estimate of a discounted MDP.

One Bellman backup of an estimate ``V`` certifies it. With
``delta = T V - V`` (``T`` the Bellman optimality operator) and ``pi`` greedy for
``V``,

.. math::

    V + \\frac{\\min_s \\delta(s)}{1-\\gamma} \\;\\le\\; V^\\pi \\;\\le\\; V^*
    \\;\\le\\; V + \\frac{\\max_s \\delta(s)}{1-\\gamma},

so that

* ``V*`` lies in the bracket ``[V_lower, V_upper]`` (MacQueen 1966; Puterman 1994,
  Thm. 6.6.3 and Prop. 6.6.5 for the span-seminorm form);
* the centre of the bracket, ``V + (max delta + min delta) / (2 (1 - gamma))``, is
  within ``sp(delta) / (2 (1 - gamma))`` of ``V*`` in sup norm, where
  ``sp(x) = max x - min x`` is the span seminorm;
* ``V`` itself is within ``||delta||_inf / (1 - gamma)`` of ``V*`` (Puterman 1994,
  Thm. 6.3.1 is the classic sup-norm rule);
* the greedy policy is ``sp(delta) / (1 - gamma)``-optimal: ``0 <= V* - V^pi <=
  sp(delta) / (1 - gamma)``.

Proof sketch: ``V^pi - V = (I - gamma P_pi)^{-1} (T^pi V - V)`` and ``T^pi V = T V``
for greedy ``pi``; ``(I - gamma P_pi)^{-1}`` is a non-negative operator with row sums
``1 / (1 - gamma)``. For ``V*``: ``V* - V = sum_k gamma^k P_{pi*}^k (T^{pi*} V - V)``
with ``T^{pi*} V <= T V``.

The bounds are computed in floating point; each is widened by a rounding allowance
``(n + 2) eps (max|R| + gamma max|V|) / (1 - gamma)`` (``n`` the largest number of
stored entries in a row of ``P``, ``eps`` the float64 machine epsilon), which covers
the error of the dot products that produce ``delta``.

Every planner in :mod:`tabular` reports its answer through :func:`certify`, so no
solver can claim a value it has not certified.

References
----------
J. MacQueen, "A modified dynamic programming method for Markovian decision problems",
*J. Math. Anal. Appl.* 14, 1966.
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, sections 6.3 and 6.6.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from rlcore import FiniteMDP
from rlcore._validation import as_float_array
from tabular._common import check_discounted, discount_of
from tabular._dp_kernels import bellman_sweep, bellman_sweep_parallel

__all__ = ["Certificate", "bellman_backup", "certify"]

_EPS = float(np.finfo(np.float64).eps)
_EMPTY_INDEX = np.empty(0, dtype=np.uint32)
_EMPTY_INDEX.flags.writeable = False


@dataclass(frozen=True)
class Certificate:
    """What one Bellman backup proves about an estimate ``V``.

    Attributes
    ----------
    V : ndarray of shape (S,)
        The estimate that was certified (unchanged).
    Q : ndarray of shape (S, A)
        ``R + gamma P V``.
    policy : ndarray of int64, shape (S,)
        Greedy for ``V`` (ties to the lowest action).
    delta_min, delta_max : float
        ``min`` and ``max`` of ``T V - V``.
    rounding : float
        Allowance added to every bound for floating-point error.
    V_lower, V_upper : ndarray of shape (S,)
        Certified bracket ``V_lower <= V* <= V_upper``.
    sup_bound : float
        ``||V - V*||_inf <= sup_bound``.
    centre_bound : float
        ``||centre - V*||_inf <= centre_bound`` for ``centre = (V_lower + V_upper) / 2``.
    suboptimality_bound : float
        ``||V* - V^policy||_inf <= suboptimality_bound``.
    """

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    delta_min: float
    delta_max: float
    rounding: float
    V_lower: np.ndarray
    V_upper: np.ndarray
    sup_bound: float
    centre_bound: float
    suboptimality_bound: float

    @property
    def centre(self) -> np.ndarray:
        """Centre of the certified bracket, the best point estimate of ``V*``."""
        return 0.5 * (self.V_lower + self.V_upper)


def max_row_nnz(mdp: FiniteMDP) -> int:
    """Largest number of stored entries in a row of ``P`` (``S`` when dense)."""
    if mdp.is_sparse:
        return int(np.max(np.diff(cast(sp.csr_array, mdp.P).indptr), initial=0))
    return mdp.n_states


def bellman_backup(
    mdp: FiniteMDP, V: np.ndarray, *, parallel: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Jacobi Bellman optimality backup of a discounted MDP (no input checks).

    Dense ``P``: one BLAS matrix-vector product ``P.reshape(S*A, S) @ V`` (threaded as
    numpy's BLAS is; limit it with threadpoolctl or ``OPENBLAS_NUM_THREADS``), then the
    max over actions. Sparse ``P``: one pass of a fused Numba CSR kernel, serial unless
    ``parallel=True``.

    Returns
    -------
    Q : ndarray of shape (S, A)
    TV : ndarray of shape (S,)
    policy : ndarray of int64, shape (S,)
    """
    S, A = mdp.n_states, mdp.n_actions
    if not mdp.is_sparse:
        Q = mdp.P.reshape(S * A, S) @ V
        Q *= mdp.gamma
        Q = Q.reshape(S, A)
        Q += mdp.R
        pi = np.argmax(Q, axis=1)
        return Q, Q[np.arange(S), pi], pi
    Q = np.empty((S, A))
    TV = np.empty(S)
    pi = np.empty(S, dtype=np.int64)
    kernel = bellman_sweep_parallel if parallel else bellman_sweep
    kernel(*sweep_arrays(mdp), mdp.R, mdp.gamma, V, Q, TV, pi)
    return Q, TV, pi


def sweep_arrays(mdp: FiniteMDP) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``(data, indices, indptr, n_cols)`` of ``P`` for the sweep kernels (no copies).

    Index arrays are passed as unsigned views (see :mod:`tabular._dp_kernels`).
    """
    if mdp.is_sparse:
        P = cast(sp.csr_array, mdp.P)
        return csr_kernel_arrays(P.data, P.indices, P.indptr)
    return cast(np.ndarray, mdp.P).reshape(-1), _EMPTY_INDEX, _EMPTY_INDEX, mdp.n_states


def csr_kernel_arrays(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """CSR arrays as the kernels take them: unsigned, read-only index views."""
    out = []
    for arr in (indices, indptr):
        view = arr.view(np.uint32 if arr.dtype.itemsize == 4 else np.uint64)
        view.flags.writeable = False
        out.append(view)
    return data, out[0], out[1], 0


def certify(mdp: FiniteMDP, V: Any) -> Certificate:
    """Certify a value estimate of a discounted MDP with one Bellman backup.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted, dense or sparse.
    V : array_like of shape (S,)
        Any estimate of ``V*``.

    Returns
    -------
    Certificate

    Guarantee
    ---------
    With ``delta = T V - V``: ``V_lower <= V* <= V_upper`` componentwise, where
    ``V_lower = V + min(delta) / (1 - gamma)`` and ``V_upper = V + max(delta) /
    (1 - gamma)``; ``||V - V*|| <= ||delta|| / (1 - gamma)``; the greedy policy is
    ``sp(delta) / (1 - gamma)``-optimal (MacQueen 1966; Puterman 1994, Thm. 6.3.1 and
    section 6.6). Each bound includes the stated rounding allowance.

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), [[1.0, 2.0]], gamma=0.5)   # V* = 4
    >>> c = certify(mdp, np.array([3.0]))
    >>> c.V_lower, c.V_upper, c.policy
    (array([4.]), array([4.]), array([1]))
    """
    mdp = check_discounted(mdp, "certify")
    v = as_float_array(V, "V", ndim=1)
    if v.shape != (mdp.n_states,):
        raise ValueError(f"V: expected shape ({mdp.n_states},), got {v.shape}")
    Q, TV, pi = bellman_backup(mdp, v)
    return _certificate(mdp, v, Q, TV, pi)


def _certificate(mdp: FiniteMDP, V: np.ndarray, Q: np.ndarray, TV: np.ndarray, pi: np.ndarray) -> Certificate:
    """Assemble the certificate from a backup ``(Q, TV, pi)`` of ``V`` (internal)."""
    g = discount_of(mdp)
    k = 1.0 / (1.0 - g)
    if not (np.all(np.isfinite(Q)) and np.all(np.isfinite(V))):
        raise ValueError("V: the Bellman backup overflows float64; rescale the rewards")
    delta = TV - V
    lo, hi = float(delta.min()), float(delta.max())
    scale = float(np.max(np.abs(mdp.R))) + g * float(np.max(np.abs(V)))
    rounding = (max_row_nnz(mdp) + 2) * _EPS * scale * k
    lower = V + (lo * k - rounding)
    upper = V + (hi * k + rounding)
    return Certificate(
        V=V,
        Q=Q,
        policy=np.asarray(pi, dtype=np.int64),
        delta_min=lo,
        delta_max=hi,
        rounding=rounding,
        V_lower=lower,
        V_upper=upper,
        sup_bound=max(abs(lo), abs(hi)) * k + rounding,
        centre_bound=0.5 * (hi - lo) * k + rounding,
        suboptimality_bound=(hi - lo) * k + 2.0 * rounding,
    )

