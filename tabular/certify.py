"""Certified error bounds for any value-function estimate of a discounted MDP.

One Bellman backup of an estimate ``V`` certifies it. The MDP is the one stored: its
rows of ``P`` are non-negative and sum to ``rho(s, a)``, within ``atol`` of 1 (so
within ``1e-8`` by default, and within a few ulps even when built as ``w / w.sum()``);
``[rho_lo, rho_hi]`` are certified bounds on these sums
(:attr:`rlcore.FiniteMDP.row_sum_bounds`) and ``gamma rho_hi < 1`` (checked when the
MDP is built). ``V*`` is the fixed point of the operator actually applied,
``(T V)(s) = max_a r(s, a) + gamma sum_s' P(s'|s, a) V(s')``, and ``V^pi`` solves
``(I - gamma P_pi) V^pi = r_pi``, as :func:`rlcore.evaluate_policy` computes it.

**Theorem (certificate for near-stochastic rows).** Let ``delta = T V - V`` and
``pi`` be greedy for ``V``. Put ``k_lo = 1 / (1 - gamma rho_lo)``,
``k_hi = 1 / (1 - gamma rho_hi)`` and ``f(x) = k_hi x`` for ``x >= 0``, ``f(x) = k_lo x``
for ``x < 0``. Then

.. math::

    V + f(\\min_s \\delta(s)) \\;\\le\\; V^\\pi \\;\\le\\; V^* \\;\\le\\; V + f(\\max_s \\delta(s)).

Proof: ``V^pi - V = (I - gamma P_pi)^{-1} (T^pi V - V)`` with ``T^pi V = T V``; the
resolvent ``(I - gamma P_pi)^{-1} = sum_k gamma^k P_pi^k`` is a non-negative operator
whose row sums lie in ``[k_lo, k_hi]``, so it maps ``delta >= min delta`` to
``>= f(min delta)`` (a negative constant is multiplied by at most ``k_hi``, a
non-negative one by at least ``k_lo``). For ``V*``, with ``W = V + f(max delta)`` and
``c = f(max delta)``: ``T W <= T V + gamma rho c`` with ``rho = rho_hi`` for ``c >= 0``
and ``rho_lo`` for ``c < 0``, so ``T W <= V + max delta + gamma rho c = W``; ``T`` is
monotone and a contraction, hence ``V* = lim T^n W <= W``. ``V^pi <= V*`` because
``T^pi <= T``. With exactly stochastic rows ``k_lo = k_hi = 1 / (1 - gamma)`` and this is
the classic bracket of MacQueen (1966) and Puterman (1994, Thm. 6.6.3 and Prop. 6.6.5;
Thm. 6.3.1 for the sup-norm form). The same argument gives the bracket for any
monotone operator with ``T(V + c) <= T V + gamma rho_hi c`` for ``c >= 0`` (and the
mirror inequality), e.g. the soft Bellman operator of :mod:`tabular.soft`.

Consequences, with ``y_lo = f(min delta)`` and ``y_hi = f(max delta)``:

* ``V*`` lies in the bracket ``[V + y_lo, V + y_hi]``;
* ``||V - V*||_inf <= max(|y_lo|, |y_hi|)`` (``sup_bound``);
* the centre ``V + (y_lo + y_hi) / 2`` is within ``(y_hi - y_lo) / 2`` of ``V*``
  (``centre_bound``);
* the greedy policy is ``(y_hi - y_lo)``-optimal (``suboptimality_bound``).

When the rows are not exactly stochastic ``f`` is not linear, and the bracket's width
``y_hi - y_lo = k_hi (max delta - min delta) + (k_hi - k_lo) min delta`` (for
``min delta >= 0``) carries a term that does not shrink with the span of ``delta``
alone: at ``gamma = 0.99`` and rows summing to ``1 - 5e-9`` an iterate far from ``V*``
in level but not in shape has ``(k_hi - k_lo) min delta`` of about ``1e-4 |V|``. The
planners therefore move a span-converged iterate to the bracket's centre (a constant
shift, which leaves the greedy policy unchanged) and certify again; the new ``delta``
is small and so is this term.

**Rounding.** ``delta`` is computed in floating point. Each entry of ``Q = r + gamma P V``
is within ``(n + 4) eps (|r| + gamma rho_hi max|V|)`` of its exact value (``n`` the
largest number of stored entries in a row, ``eps`` the float64 machine epsilon; this
holds for any summation order, BLAS and fused multiply-adds included), so the exact
``min delta`` and ``max delta`` lie within that allowance (plus ``eps |delta|`` for the
subtraction) of the computed ones. The allowance is added before ``f`` is applied,
``k_lo``/``k_hi`` are computed as ``1 / ((1 - gamma) - gamma (rho - 1))`` (exact
subtraction for ``gamma >= 1/2``) and widened by ``8 eps``, and every returned bound is
rounded outwards, so the bounds hold for the exact real numbers stored in ``P``, ``R``,
``gamma`` and ``V``. ``rounding`` reports the allowance in value units.

Every planner in :mod:`tabular` reports its answer through :func:`certify`, so no
solver can claim a value it has not certified. ``tests/tabular/test_certify_oracle.py``
checks every bound against exact rational arithmetic on drawn MDPs, with rows
perturbed anywhere inside the accepted tolerance and ``gamma`` up to 0.9999.

References
----------
J. MacQueen, "A modified dynamic programming method for Markovian decision problems",
*J. Math. Anal. Appl.* 14, 1966.
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, sections 6.3 and 6.6.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from rlcore import FiniteMDP
from rlcore._threads import blas_threads_for
from rlcore.bellman import resolvent_bounds
from rlcore.results import Result
from rlcore.validation import MDP, Array, Bool, InvalidParameterError, validate_params
from tabular._dp_kernels import bellman_sweep, bellman_sweep_parallel
from tabular._sweep_layout import NARROW_INDEX_MAX_STATES, csr_layout

__all__ = ["Certificate", "bellman_backup", "certify"]

_EPS = float(np.finfo(np.float64).eps)
_EMPTY_INDEX = np.empty(0, dtype=np.uint32)
_EMPTY_INDEX.flags.writeable = False


@dataclass(frozen=True, repr=False)
class Certificate(Result):
    """What one Bellman backup proves about an estimate ``V``.

    Attributes
    ----------
    V : ndarray of shape (S,)
        The estimate that was certified (unchanged).
    Q : ndarray of shape (S, A)
        ``R + gamma P V`` as computed.
    policy : ndarray of int64, shape (S,)
        Greedy for ``V`` (ties to the lowest action).
    delta_min, delta_max : float
        ``min`` and ``max`` of the computed ``T V - V``.
    delta_allowance : float
        Floating-point allowance on every computed entry of ``T V - V``.
    rounding : float
        The same allowance in value units (times ``k_hi``), included in every bound.
    V_lower, V_upper : ndarray of shape (S,)
        Certified bracket ``V_lower <= V^policy <= V* <= V_upper``.
    lower_shift, upper_shift : float
        ``y_lo`` and ``y_hi`` of the module docstring: ``V + lower_shift <= V^policy <=
        V* <= V + upper_shift`` (``V_lower``/``V_upper`` are these, rounded outwards).
    centre : ndarray of shape (S,)
        Centre of the bracket, the best point estimate of ``V*``.
    shift : float
        ``centre - V`` (a constant).
    sup_bound : float
        ``||V - V*||_inf <= sup_bound``.
    centre_bound : float
        ``||centre - V*||_inf <= centre_bound``.
    suboptimality_bound : float
        ``||V* - V^policy||_inf <= suboptimality_bound``.
    span_part : float
        The part of ``centre_bound`` that shrinks with the span of ``delta``
        (``k_hi sp(delta) / 2`` plus rounding); the rest comes from rows that are not
        exactly stochastic, and moving ``V`` to :attr:`centre` removes it.
    trivial_bound : float
        The width of the interval that holds the value of every policy in every state,
        ``max(r_max k_lo, r_max k_hi) - min(r_min k_lo, r_min k_hi)`` (``r_min``,
        ``r_max`` the extreme rewards, ``[k_lo, k_hi]`` the row sums of the resolvent):
        a suboptimality bound at or above it certifies nothing (the planners then warn
        with :class:`rlcore.VacuousResultWarning`).
    """

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    delta_min: float
    delta_max: float
    delta_allowance: float
    rounding: float
    V_lower: np.ndarray
    V_upper: np.ndarray
    lower_shift: float
    upper_shift: float
    centre: np.ndarray
    shift: float
    sup_bound: float
    centre_bound: float
    suboptimality_bound: float
    span_part: float
    trivial_bound: float = math.inf

    def bounds(self) -> dict[str, float]:
        """The certified numbers: ``sup_bound`` (of ``V``), ``centre_bound`` (of ``centre``)
        and ``suboptimality_bound`` (of ``policy``)."""
        return {
            "sup_bound": self.sup_bound,
            "centre_bound": self.centre_bound,
            "suboptimality_bound": self.suboptimality_bound,
        }


def max_row_nnz(mdp: FiniteMDP) -> int:
    """Largest number of stored entries in a row of ``P`` (``S`` when dense)."""
    if mdp.is_sparse:
        return int(np.max(np.diff(cast(sp.csr_array, mdp.P).indptr), initial=0))
    return mdp.n_states


@validate_params(mdp=MDP(discounted=True), V=Array(ndim=1, shape=("mdp.n_states",)), parallel=Bool())
def bellman_backup(mdp: FiniteMDP, V: Any, *, parallel: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Jacobi Bellman optimality backup of a discounted MDP.

    Dense ``P``: one BLAS matrix-vector product ``P.reshape(S*A, S) @ V`` (on one BLAS
    thread below 2e7 flops, about ``S = 1100`` at ``A = 8``, while the other cores are
    busy, else on the default pool: the measured rule of ``rlcore._threads``), then the
    max over actions. Sparse ``P``: one pass of a fused Numba CSR kernel, serial unless
    ``parallel=True`` and a core is idle (:func:`threads_pay`; the threaded kernel gives
    bit-identical results).

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted, dense or sparse.
    V : array_like of shape (S,)
    parallel : bool
        Split a sparse sweep across Numba's threads when the machine has an idle core
        (on a busy machine the serial kernel is used: threads then cost time).

    Returns
    -------
    Q : ndarray of shape (S, A)
    TV : ndarray of shape (S,)
    policy : ndarray of int64, shape (S,)

    Examples
    --------
    >>> from rlcore.generators import forest
    >>> Q, TV, pi = bellman_backup(forest(gamma=0.9), [0.0, 0.0, 0.0])
    >>> TV.tolist(), pi.tolist()
    ([0.0, 1.0, 4.0], [0, 1, 0])
    """
    return _backup(mdp, V, parallel=parallel)


def _backup(mdp: FiniteMDP, V: np.ndarray, *, parallel: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`bellman_backup` without the checks, for the planners' inner loops."""
    S, A = mdp.n_states, mdp.n_actions
    if not mdp.is_sparse:
        with blas_threads_for(2.0 * S * A * S, memory_bound=True):  # one thread if small and cores busy
            Q = mdp.P.reshape(S * A, S) @ V
        Q *= mdp.gamma
        Q = Q.reshape(S, A)
        Q += mdp.R
        pi = np.argmax(Q, axis=1)
        return Q, Q[np.arange(S), pi], pi
    Q = np.empty((S, A))
    TV = np.empty(S)
    pi = np.empty(S, dtype=np.int64)
    sweep_kernel(parallel)(*sweep_arrays(mdp), mdp.R, mdp.gamma, V, Q, TV, pi)
    return Q, TV, pi


def threads_pay() -> bool:
    """Whether a threaded sparse sweep is expected to beat the serial one right now:
    other work leaves more than one core idle on average.

    Other work is the 1-minute load average less this process's own CPU use since the
    previous call (so that our own threaded sweeps do not count against themselves);
    threads pay when ``cpu_count - other_work >= 1.5``. The rule is measured
    (``benchmarks/bench_sweeps.py --filter bellman``, Garnet ``A = 4``, ``b = 10``, 2
    cores): with the cores idle the threaded sweep takes about half the serial time;
    with the other core busy (load average 5-9) it took 2-7x the serial time at
    ``S = 50,000`` and 0.8-1.1x at ``S = 10**6`` (no reliable gain). Both kernels give bit-identical results,
    so the choice changes only the time.
    """
    now, cpu = time.perf_counter(), time.process_time()
    last_now, last_cpu = _LAST_CHECK
    _LAST_CHECK[:] = [now, cpu]
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - platforms without a load average
        return True
    n_cpu = os.cpu_count() or 1
    own = min((cpu - last_cpu) / (now - last_now), n_cpu) if now > last_now else 0.0
    other = max(load - own, 0.0)
    return n_cpu - other >= 1.5


_LAST_CHECK = [time.perf_counter(), time.process_time()]


def sweep_kernel(parallel: bool):
    """The sparse sweep kernel for a caller that asked for ``parallel``:
    :func:`tabular._dp_kernels.bellman_sweep_parallel` only when ``parallel`` is True
    and :func:`threads_pay`, else the serial :func:`tabular._dp_kernels.bellman_sweep`
    (same signature, bit-identical results)."""
    return bellman_sweep_parallel if parallel and threads_pay() else bellman_sweep


def sweep_arrays(mdp: FiniteMDP) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``(data, indices, indptr, n_cols)`` of ``P`` for the sweep kernels.

    Index arrays are unsigned (see :mod:`tabular._dp_kernels`); a sparse model with at
    most 65,536 states gets a cached ``uint16`` copy of its column indices (made once
    per model, :mod:`tabular._sweep_layout`), else views without copies.
    """
    if mdp.is_sparse:
        return (*csr_layout(mdp), 0)
    return cast(np.ndarray, mdp.P).reshape(-1), _EMPTY_INDEX, _EMPTY_INDEX, mdp.n_states


def csr_kernel_arrays(
    data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, n_states: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """CSR arrays as the kernels take them: unsigned, read-only index views.

    With ``n_states`` (the number of columns) at most 65,536 the column indices are
    copied to ``uint16``, the layout :func:`sweep_arrays` gives such a model (fewer bytes
    per entry, bit-identical results, and the kernels' compilation for it is reused).
    """
    if n_states is not None and n_states <= NARROW_INDEX_MAX_STATES:
        narrow = indices.astype(np.uint16)
        narrow.flags.writeable = False
        indices = narrow
    out = []
    for arr in (indices, indptr):
        view = arr.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[arr.dtype.itemsize])
        view.flags.writeable = False
        out.append(view)
    return data, out[0], out[1], 0


@validate_params(mdp=MDP(discounted=True), V=Array(ndim=1, shape=("mdp.n_states",)))
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
    With ``delta = T V - V``, ``y_lo = f(min delta)`` and ``y_hi = f(max delta)`` (the
    module docstring's theorem, which accounts for rows of ``P`` that sum to 1 only
    within the tolerance, and for floating-point rounding):
    ``V + y_lo <= V^policy <= V* <= V + y_hi`` componentwise,
    ``||V - V*|| <= max(|y_lo|, |y_hi|)``, and the greedy policy is
    ``(y_hi - y_lo)``-optimal (MacQueen 1966; Puterman 1994, Thm. 6.3.1 and section 6.6,
    for exactly stochastic rows). Tested by
    ``tests/tabular/test_certify_oracle.py::test_certify_any_estimate_exactly`` (in exact
    rational arithmetic, for the stored rows) and
    ``tests/tabular/test_certify_oracle.py::test_issue_counterexample_rows_inside_tolerance``.

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), [[1.0, 2.0]], gamma=0.5)   # V* = 4
    >>> c = certify(mdp, np.array([3.0]))
    >>> c.V_lower, c.V_upper, c.policy
    (array([4.]), array([4.]), array([1]))
    """
    Q, TV, pi = _backup(mdp, V)
    return _certificate(mdp, V, Q, TV, pi)


@dataclass(frozen=True)
class Bracket:
    """The certified bracket of the module docstring's theorem, for any monotone operator
    ``T`` with the shift property (internal; :class:`Certificate` and the soft planner
    build on it). ``V + y_lo <= V^policy <= V_fixed <= V + y_hi``."""

    y_lo: float
    y_hi: float
    lower: np.ndarray
    upper: np.ndarray
    centre: np.ndarray
    shift: float
    sup_bound: float
    centre_bound: float
    width: float
    span_part: float
    k_hi: float


def bracket(mdp: FiniteMDP, V: np.ndarray, d_lo: float, d_hi: float, err: float) -> Bracket:
    """Bracket from the computed ``min``/``max`` of ``T V - V`` and the allowance ``err``
    on each of its entries (rounding, or any other known error of the computed residual)."""
    rho_lo, rho_hi = mdp.row_sum_bounds
    k_lo, k_hi = resolvent_bounds(float(mdp.gamma), rho_lo, rho_hi)  # type: ignore[arg-type]
    lo, hi = d_lo - err, d_hi + err  # enclose the exact min and max of T V - V
    y_lo = (lo * k_lo if lo >= 0.0 else lo * k_hi) * (1.0 - math.copysign(2.0 * _EPS, lo))
    y_hi = (hi * k_hi if hi >= 0.0 else hi * k_lo) * (1.0 + math.copysign(2.0 * _EPS, hi))
    shift = 0.5 * (y_lo + y_hi)
    centre = V + shift
    width = (y_hi - y_lo) * (1.0 + 4.0 * _EPS)
    return Bracket(
        y_lo=y_lo,
        y_hi=y_hi,
        lower=np.nextafter(V + y_lo, -np.inf),
        upper=np.nextafter(V + y_hi, np.inf),
        centre=centre,
        shift=shift,
        sup_bound=max(abs(y_lo), abs(y_hi)) * (1.0 + 2.0 * _EPS),
        centre_bound=0.5 * width + _EPS * abs(shift) + 2.0 * _EPS * float(np.max(np.abs(centre))),
        width=width,
        span_part=0.5 * (d_hi - d_lo + 2.0 * err) * k_hi,
        k_hi=k_hi,
    )


def _certificate(mdp: FiniteMDP, V: np.ndarray, Q: np.ndarray, TV: np.ndarray, pi: np.ndarray) -> Certificate:
    """Assemble the certificate from a backup ``(Q, TV, pi)`` of ``V`` (internal)."""
    g = cast(float, mdp.gamma)
    if not (np.all(np.isfinite(Q)) and np.all(np.isfinite(V))):
        raise InvalidParameterError("V", "the Bellman backup overflows float64; rescale the rewards")
    delta = TV - V
    d_lo, d_hi = float(delta.min()), float(delta.max())
    rho_hi = mdp.row_sum_bounds[1]
    scale = float(np.max(np.abs(mdp.R))) + g * rho_hi * float(np.max(np.abs(V)))
    err = (max_row_nnz(mdp) + 4) * _EPS * scale + _EPS * max(abs(d_lo), abs(d_hi))
    err *= 1.0 + 4.0 * _EPS
    b = bracket(mdp, V, d_lo, d_hi, err)
    k_lo, k_hi = resolvent_bounds(g, *mdp.row_sum_bounds)
    r_lo, r_hi = float(np.min(mdp.R)), float(np.max(mdp.R))
    trivial = max(r_hi * k_lo, r_hi * k_hi) - min(r_lo * k_lo, r_lo * k_hi)
    return Certificate(
        V=V,
        Q=Q,
        policy=np.asarray(pi, dtype=np.int64),
        delta_min=d_lo,
        delta_max=d_hi,
        delta_allowance=err,
        rounding=err * b.k_hi,
        V_lower=b.lower,
        V_upper=b.upper,
        lower_shift=b.y_lo,
        upper_shift=b.y_hi,
        centre=b.centre,
        shift=b.shift,
        sup_bound=b.sup_bound,
        centre_bound=b.centre_bound,
        suboptimality_bound=b.width,
        span_part=b.span_part,
        trivial_bound=float(trivial),
    )
