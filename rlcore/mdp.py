"""Finite Markov decision processes: the model every planner in the library reads.

A :class:`FiniteMDP` holds transition probabilities ``P``, expected rewards ``R`` and
exactly one of

* a discount ``gamma`` in ``[0, 1)`` (infinite-horizon discounted criterion), or
* a horizon ``H >= 1`` (undiscounted total reward over ``H`` steps; ``P`` and ``R``
  may then carry a leading time axis of length ``H``),

plus an initial-state distribution and an optional set of absorbing terminal states.

Layouts
-------
=========================  ====================================  ======================
what                       dense                                 sparse (``scipy.sparse``)
=========================  ====================================  ======================
stationary ``P``           ``(S, A, S)``                         ``(S*A, S)``, row ``s*A + a``
time-dependent ``P``       ``(H, S, A, S)``                      ``(H*S*A, S)``, row ``(t*S + s)*A + a``
stationary ``R``           ``(S, A)``                            same
time-dependent ``R``       ``(H, S, A)``                         same
=========================  ====================================  ======================

Validation happens once, in the constructor: shapes, finite values, non-negative
probabilities, rows summing to one within ``atol`` (default
:data:`rlcore.PROBABILITY_ATOL` = 1e-8, absolute, per row), exactly one of
``gamma``/``horizon``. Nothing is renormalised or clipped: a row that sums to
``1 - 1e-6`` is an error, not a silent fix. The stored arrays are read-only copies.

A ``FiniteMDP`` is also a simulator (see :class:`rlcore.Simulator`): :meth:`reset` and
:meth:`step` sample whole batches of independent episodes in one call through a Numba
kernel.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from rlcore._kernels import sample_rows
from rlcore.validation import (
    PROBABILITY_ATOL,
    Array,
    Constraint,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    Discount,
    ProbabilityVector,
    Real,
    validate_params,
    as_float_array,
    check_int,
    check_probability_vector,
    check_stochastic_rows,
)
from rlcore.randomness import RNGLike, as_generator

__all__ = ["FiniteMDP"]

_EMPTY_INDPTR = np.empty(0, dtype=np.int64)


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def _row_cdf_dense(P: np.ndarray) -> np.ndarray:
    """Flattened per-row CDFs of a dense array whose last axis holds probabilities."""
    cdf = np.cumsum(P, axis=-1)
    cdf /= cdf[..., -1:]  # the last entry becomes exactly 1.0 (x / x == 1 in IEEE)
    return np.ascontiguousarray(cdf).ravel()


def _row_cdf_csr(M: sp.csr_array) -> np.ndarray:
    """Per-row CDFs of the stored entries of a CSR matrix (same layout as ``M.data``)."""
    data = M.data
    cs = np.cumsum(data)
    starts = M.indptr[:-1]
    base = np.concatenate(([0.0], cs))[starts]
    lengths = np.diff(M.indptr)
    row_of = np.repeat(np.arange(M.shape[0]), lengths)
    cdf = cs - base[row_of]
    totals = cdf[M.indptr[1:] - 1]
    cdf /= totals[row_of]
    return cdf


class _Transitions(Constraint):
    """``P``: a dense real array of rank 3 or 4, or a scipy.sparse matrix.

    Kind, rank and finiteness are checked here; shapes (against ``R``), signs and row sums
    in :class:`FiniteMDP`, where the horizon and ``atol`` are known.
    """

    def accepts_kind(self, value: Any) -> bool:
        return sp.issparse(value) or isinstance(value, (np.ndarray, list, tuple))

    def check(self, value: Any, name: str, args: dict | None = None) -> Any:
        if sp.issparse(value):
            return value
        return as_float_array(value, name, ndim=(3, 4))

    def __str__(self) -> str:
        return "a transition array (S, A, S) or (H, S, A, S), or a scipy.sparse (S*A, S) matrix"

    def invalid_values(self, args: dict | None = None) -> list[tuple[Any, type[Exception]]]:
        out: list[tuple[Any, type[Exception]]] = [("P", TypeError), (None, TypeError), (np.ones((2, 2)), ValueError)]
        R = None if args is None else args.get("R")
        if R is None:
            return out
        S, A = np.shape(R)[-2:]
        good = np.full((S, A, S), 1.0 / S)
        for change, exc in (("nan", ValueError), ("neg", ValueError), ("sum", ValueError), ("bool", TypeError)):
            bad = good.copy()
            if change == "nan":
                bad[0, 0, 0] = np.nan
            elif change == "neg":
                bad[0, 0, 0] = -0.5
            elif change == "sum":
                bad[0, 0] *= 0.5
            else:
                bad = bad > 0
            out.append((bad, exc))
        out.append((np.full((S + 1, A, S + 1), 1.0 / (S + 1)), ValueError))  # S disagrees with R
        out.append((sp.csr_array(good.reshape(S * A, S)[:, :0]), ValueError))  # no columns
        return out


@validate_params(
    P=_Transitions(),
    R=Array(ndim=(2, 3)),
    gamma=Discount() | None,
    horizon=Integer(1, 10**6) | None,
    initial=ProbabilityVector(lambda a: np.shape(a["R"])[-2], atol=1e-3) | None,
    terminal=Array("bool", ndim=1) | None,
    atol=Real(0, 1e-3),
)
class FiniteMDP:
    """A finite MDP, discounted or finite-horizon, with dense or sparse transitions.

    Parameters
    ----------
    P : ndarray or scipy.sparse matrix
        Transition probabilities. Dense: ``ndarray of shape (S, A, S)``, or
        ``(H, S, A, S)`` when time-dependent (finite horizon only). Sparse: a
        ``scipy.sparse`` matrix of shape ``(S*A, S)`` whose row ``s*A + a`` is
        ``P(. | s, a)``, or ``(H*S*A, S)`` when time-dependent. Entries must be
        non-negative and rows sum to 1 within ``atol``.
    R : array_like
        Expected immediate rewards ``r(s, a)``: ``ndarray of shape (S, A)``, or
        ``(H, S, A)`` when time-dependent (finite horizon only). The number of actions
        ``A`` is read from ``R``.
    gamma : float, optional
        Discount factor in ``[0, 1)``. Exactly one of ``gamma`` and ``horizon``. With rows
        that sum to more than 1 (within ``atol``), ``gamma`` times the largest row sum must
        stay below 1, or no discounted value exists (checked).
    horizon : int, optional
        Number of decision steps ``1 <= H <= 10**6`` of a finite-horizon, undiscounted MDP.
    initial : array_like of shape (S,), optional
        Initial-state distribution; uniform over states when omitted.
    terminal : array_like of bool, shape (S,), optional
        Absorbing terminal states: each must loop to itself with probability 1 and
        reward 0 under every action (checked). Simulation reports ``terminated`` on
        entering one. Default: none.
    atol : float in [0, 1e-3]
        Absolute tolerance on each probability row's sum (default 1e-8). The planners'
        certificates hold for the rows as stored (see :attr:`row_sum_bounds`).

    Attributes
    ----------
    P, R : read-only arrays
        Validated float64 copies (``P`` is a ``scipy.sparse.csr_array`` when sparse).
    gamma : float or None
    horizon : int or None
    initial : ndarray of shape (S,)
    terminal : ndarray of bool, shape (S,)

    Raises
    ------
    ValueError, TypeError
        On any malformed input; the message names the argument and the entry.

    Examples
    --------
    A two-state MDP: action 1 moves to state 1, which pays 1 per step.

    >>> import numpy as np
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 1.0
    >>> R = np.array([[0.0, 0.0], [1.0, 1.0]])
    >>> mdp = FiniteMDP(P, R, gamma=0.9)
    >>> mdp.n_states, mdp.n_actions, mdp.is_sparse
    (2, 2, False)
    >>> FiniteMDP(P, R, gamma=1.0)
    Traceback (most recent call last):
    ...
    rlcore.validation.InvalidParameterError: gamma: expected a discount factor in [0, 1), got 1.0
    """

    def __init__(
        self,
        P: Any,
        R: Any,
        *,
        gamma: float | None = None,
        horizon: int | None = None,
        initial: Any = None,
        terminal: Any = None,
        atol: float = PROBABILITY_ATOL,
    ) -> None:
        if (gamma is None) == (horizon is None):
            raise InvalidParameterError(
                "gamma, horizon",
                "give exactly one (a discount in [0, 1) for the discounted "
                f"criterion, or a horizon H >= 1 for finite horizon), got gamma={gamma!r}, "
                f"horizon={horizon!r}",
            )
        self.gamma: float | None = gamma
        self.horizon: int | None = horizon
        H = self.horizon

        # ---- rewards: fixes A (and S, checked against P) ------------------------
        R_arr = as_float_array(R, "R", ndim=(2, 3))
        if R_arr.ndim == 3 and H is None:
            raise InvalidParameterError(
                "R",
                f"a time-dependent reward of shape {R_arr.shape} needs a finite horizon; "
                "pass horizon=H (and no gamma) or an (S, A) reward",
            )
        if R_arr.ndim == 3 and R_arr.shape[0] != H:
            raise InvalidParameterError(
                "R", f"time-dependent reward must have a leading axis of length horizon={H}, got shape {R_arr.shape}"
            )
        S, A = R_arr.shape[-2:]
        if S == 0 or A == 0:
            raise InvalidParameterError("R", f"need at least one state and one action, got shape {R_arr.shape}")

        # ---- transitions --------------------------------------------------------
        if sp.issparse(P):
            self._init_sparse(P, S, A, H, atol)
        else:
            self._init_dense(P, S, A, H, atol)
        self.R: np.ndarray = _readonly(R_arr)

        # ---- initial distribution and terminal states ---------------------------
        if initial is None:
            init = np.full(S, 1.0 / S)
        else:
            init = check_probability_vector(initial, "initial", S, atol=atol)
        self.initial: np.ndarray = _readonly(init)
        self.terminal: np.ndarray = _readonly(self._check_terminal(terminal, S, A))
        self._set_row_sums()
        self._cdf_cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, int]] = {}
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(
                f"FiniteMDP is read-only after construction; build a new FiniteMDP instead of setting {name!r}"
            )
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"FiniteMDP is read-only after construction; cannot delete {name!r}")

    # ------------------------------------------------------------------ validation
    def _init_dense(self, P: Any, S: int, A: int, H: int | None, atol: float) -> None:
        P_arr = as_float_array(P, "P", ndim=(3, 4))
        if P_arr.ndim == 4:
            if H is None:
                raise InvalidParameterError(
                    "P",
                    f"a time-dependent transition array of shape {P_arr.shape} needs a "
                    "finite horizon; pass horizon=H (and no gamma)",
                )
            expected: tuple[int, ...] = (H, S, A, S)
        else:
            expected = (S, A, S)
        if P_arr.shape != expected:
            raise InvalidParameterError("P", f"expected shape {expected} (S={S}, A={A} read from R), got {P_arr.shape}")
        check_stochastic_rows(P_arr, "P", atol=atol)
        self.P: np.ndarray | sp.csr_array = _readonly(P_arr)
        self.is_sparse = False
        self._p_time_dependent = P_arr.ndim == 4

    def _init_sparse(self, P: Any, S: int, A: int, H: int | None, atol: float) -> None:
        if P.ndim != 2:
            raise InvalidParameterError("P", f"a sparse transition matrix must be 2-D (S*A, S), got ndim={P.ndim}")
        if not (np.issubdtype(P.dtype, np.floating) or np.issubdtype(P.dtype, np.integer)) or P.dtype == bool:
            raise InvalidParameterTypeError("P", f"expected a real numeric sparse matrix, got dtype {P.dtype}")
        M = sp.csr_array(P, dtype=np.float64, copy=True)
        M.sum_duplicates()
        M.sort_indices()
        n_rows, n_cols = M.shape
        if n_cols != S:
            raise InvalidParameterError(
                "P", f"a sparse transition matrix must have S={S} columns (S read from R), got shape {M.shape}"
            )
        if n_rows == S * A:
            time_dependent = False
        elif H is not None and n_rows == H * S * A:
            time_dependent = True
        else:
            allowed = f"({S * A}, {S})" + (f" or ({H * S * A}, {S})" if H is not None else "")
            raise InvalidParameterError(
                "P", f"expected a sparse matrix of shape {allowed} (rows s*A + a, S={S}, A={A}), got {M.shape}"
            )
        if not np.all(np.isfinite(M.data)):
            k = int(np.flatnonzero(~np.isfinite(M.data))[0])
            row = int(np.searchsorted(M.indptr, k, side="right") - 1)
            raise InvalidParameterError(
                "P", f"entries must be finite, found {float(M.data[k])!r} in row {row}, column {M.indices[k]}"
            )
        if np.any(M.data < 0):
            k = int(np.flatnonzero(M.data < 0)[0])
            row = int(np.searchsorted(M.indptr, k, side="right") - 1)
            raise InvalidParameterError(
                "P",
                f"probabilities must be non-negative, found {float(M.data[k])!r} in row {row} "
                f"(state {(row % (S * A)) // A}, action {row % A}), column {M.indices[k]}",
            )
        sums = np.asarray(M.sum(axis=1)).ravel()
        off = np.abs(sums - 1.0) > atol
        if off.any():
            row = int(np.flatnonzero(off)[0])
            raise InvalidParameterError(
                "P",
                f"each row must sum to 1 within {atol:g}, row {row} (state "
                f"{(row % (S * A)) // A}, action {row % A}) sums to {float(sums[row])!r}",
            )
        if M.nnz < np.iinfo(np.int32).max and S < np.iinfo(np.int32).max:
            # 32-bit indices: a CSR sweep streams 12 bytes per stored probability, not 16
            M.indices = M.indices.astype(np.int32, copy=False)
            M.indptr = M.indptr.astype(np.int32, copy=False)
        for arr in (M.data, M.indices, M.indptr):
            arr.flags.writeable = False
        self.P = M
        self.is_sparse = True
        self._p_time_dependent = time_dependent

    def _check_terminal(self, terminal: Any, S: int, A: int) -> np.ndarray:
        if terminal is None:
            return np.zeros(S, dtype=bool)
        mask = np.asarray(terminal)
        if mask.dtype != bool:
            raise InvalidParameterTypeError(
                "terminal", f"expected a boolean mask of shape ({S},), got dtype {mask.dtype}"
            )
        if mask.shape != (S,):
            raise InvalidParameterError("terminal", f"expected a boolean mask of shape ({S},), got {mask.shape}")
        mask = mask.copy()
        # time-dependent implies a finite horizon (checked in _init_dense/_init_sparse)
        n_steps = cast(int, self.horizon) if self.is_time_dependent else 1
        for t in range(n_steps):
            Rt = self.rewards_at(t)
            Pt = self.transitions_at(t)
            for s in np.flatnonzero(mask):
                rows = Pt[s] if not self.is_sparse else cast(sp.csr_array, Pt)[[s * A + a for a in range(A)]].toarray()
                stay = rows[:, s]
                if np.any(np.abs(stay - 1.0) > 0) or np.any(Rt[s] != 0.0):
                    raise InvalidParameterError(
                        "terminal",
                        f"state {s} is marked terminal but is not absorbing with zero "
                        f"reward (P(s|s,a)={stay.tolist()}, R(s,a)={Rt[s].tolist()} at t={t})",
                    )
        return mask

    def _set_row_sums(self) -> None:
        """Store the row sums of ``P`` and certified bounds on them; check the contraction.

        The certificates of the discounted planners hold for the operator actually
        applied, whose rows sum to ``1`` only within ``atol`` (and, even when built as
        ``w / w.sum()``, only within a few ulps). Each stored row's exact sum lies
        within ``n eps`` (relative) of its floating-point sum, ``n`` the number of
        stored entries in the row, whatever the summation order.
        """
        if self.is_sparse:
            M = cast(sp.csr_array, self.P)
            sums = np.asarray(M.sum(axis=1)).ravel()
            n = int(np.max(np.diff(M.indptr), initial=1))
        else:
            sums = np.asarray(self.P).sum(axis=-1).reshape(-1)
            n = self.n_states
        shape = (
            (cast(int, self.horizon), self.n_states, self.n_actions)
            if self._p_time_dependent
            else (self.n_states, self.n_actions)
        )
        self._row_sums: np.ndarray = _readonly(sums.reshape(shape))
        slack = n * float(np.finfo(np.float64).eps)
        lo = float(sums.min()) * (1.0 - slack)
        hi = float(sums.max()) * (1.0 + slack)
        self._row_sum_bounds = (lo, hi)
        if self.gamma is not None and self.gamma > 0.0 and not (1.0 - self.gamma) - self.gamma * (hi - 1.0) > 0.0:
            raise InvalidParameterError(
                "gamma",
                f"the rows of P sum to up to {hi!r} (within atol), so with gamma={self.gamma!r} the discounted "
                "Bellman operator is not a contraction (gamma * max row sum >= 1) and no value function exists; "
                "use a smaller gamma or rows that sum to 1 more exactly",
            )

    @property
    def row_sums(self) -> np.ndarray:
        """Sums of the stored rows of ``P``: read-only, shape ``(S, A)`` or ``(H, S, A)``.

        Within ``atol`` of 1 by validation; the planners' certificates account for the
        difference (see :mod:`tabular.certify`).
        """
        return self._row_sums

    @property
    def row_sum_bounds(self) -> tuple[float, float]:
        """Certified ``(lo, hi)``: the exact sum of every stored row of ``P`` lies in ``[lo, hi]``.

        Floating-point summation is accounted for (``n eps`` relative per row, ``n`` the
        largest number of stored entries in a row), so the bounds hold for the exact
        real numbers stored, not only for their computed sums.
        """
        return self._row_sum_bounds

    # ------------------------------------------------------------------ properties
    @property
    def n_states(self) -> int:
        """Number of states ``S``."""
        return int(self.R.shape[-2])

    @property
    def n_actions(self) -> int:
        """Number of actions ``A``."""
        return int(self.R.shape[-1])

    @property
    def is_discounted(self) -> bool:
        """True for the discounted criterion, False for finite horizon."""
        return self.gamma is not None

    @property
    def is_time_dependent(self) -> bool:
        """True when ``P`` or ``R`` carries a leading time axis."""
        return self._p_time_dependent or self.R.ndim == 3

    def transitions_at(self, t: int = 0) -> np.ndarray | sp.csr_array:
        """Transition probabilities used at step ``t``.

        Returns
        -------
        ndarray of shape (S, A, S), or csr_array of shape (S*A, S) when sparse.
        """
        t = self._check_t(t)
        if not self._p_time_dependent:
            return self.P
        if self.is_sparse:
            n = self.n_states * self.n_actions
            return self.P[t * n : (t + 1) * n]
        return self.P[t]

    def rewards_at(self, t: int = 0) -> np.ndarray:
        """Expected rewards ``ndarray of shape (S, A)`` used at step ``t``."""
        t = self._check_t(t)
        return self.R[t] if self.R.ndim == 3 else self.R

    def _check_t(self, t: Any) -> int:
        t = check_int(t, "t")
        limit = self.horizon if self.horizon is not None else None
        if t < 0 or (limit is not None and t >= limit):
            rng = f"[0, {limit})" if limit is not None else "[0, inf)"
            raise InvalidParameterError("t", f"expected a time step in {rng}, got {t}")
        return t

    def __repr__(self) -> str:
        crit = f"gamma={self.gamma}" if self.gamma is not None else f"horizon={self.horizon}"
        kind = "sparse" if self.is_sparse else "dense"
        td = ", time-dependent" if self.is_time_dependent else ""
        return f"FiniteMDP(S={self.n_states}, A={self.n_actions}, {crit}, {kind}{td})"

    # ------------------------------------------------------------------ simulation
    def _sampler(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Cached ``(cdf, indptr, indices, row_len)`` of the rows of ``P`` at step ``t``."""
        key = t if self._p_time_dependent else 0
        entry = self._cdf_cache.get(key)
        if entry is None:
            Pt = self.transitions_at(key)
            if self.is_sparse:
                Pt = sp.csr_array(Pt)
                entry = (_row_cdf_csr(Pt), Pt.indptr.astype(np.int64), Pt.indices.astype(np.int64), 0)
            else:
                entry = (_row_cdf_dense(Pt), _EMPTY_INDPTR, _EMPTY_INDPTR, self.n_states)
            self._cdf_cache[key] = entry
        return entry

    def sampling_tables(self, t: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """The inverse-CDF tables that :meth:`step` samples from at step ``t``.

        For compiled code that must draw exactly the transitions :meth:`step` draws from
        the same generator (one ``rng.random()`` per transition, the first entry whose
        CDF exceeds it).

        Returns
        -------
        cdf : read-only ndarray of float64
            Dense: shape ``(S*A*S,)``, row ``s*A + a`` at ``[(s*A + a)*S : (s*A + a + 1)*S]``.
            Sparse: the CSR layout of ``P`` at step ``t``. Each row ends at exactly 1.0.
        indptr, indices : read-only ndarray of int64
            Empty when dense; the CSR row pointers and column indices when sparse.
        row_len : int
            ``S`` when dense, 0 when sparse.

        Examples
        --------
        >>> import numpy as np
        >>> P = np.zeros((2, 1, 2)); P[0, 0] = [0.25, 0.75]; P[1, 0, 1] = 1.0
        >>> cdf, indptr, indices, row_len = FiniteMDP(P, np.zeros((2, 1)), gamma=0.5).sampling_tables()
        >>> cdf.tolist(), row_len
        ([0.25, 1.0, 0.0, 1.0], 2)
        """
        t = self._check_t(t)
        cdf, indptr, indices, row_len = self._sampler(t)
        return _readonly(cdf.view()), _readonly(indptr.view()), _readonly(indices.view()), row_len

    @property
    def initial_cdf(self) -> np.ndarray:
        """The inverse-CDF table of :attr:`initial` that :meth:`reset` samples from, shape (S,)."""
        return _row_cdf_dense(self.initial[None, :])

    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """Draw ``n`` initial states from :attr:`initial`.

        Returns
        -------
        ndarray of int64, shape (n,)
        """
        n = check_int(n, "n")
        if n < 0:
            raise InvalidParameterError("n", f"expected a non-negative number of episodes, got {n}")
        gen = as_generator(rng)
        cdf = _row_cdf_dense(self.initial[None, :])
        u = gen.random(n)
        return sample_rows(cdf, _EMPTY_INDPTR, _EMPTY_INDPTR, self.n_states, np.zeros(n, np.int64), u)

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Advance a batch of independent episodes by one step.

        Parameters
        ----------
        states, actions : array_like of int, shape (n,)
        rng : Generator, int or None
        t : int, optional
            Time index of this step; required for finite-horizon MDPs (it selects the
            time-dependent ``P``/``R`` and marks the last step ``terminated``).

        Returns
        -------
        next_states : ndarray of int64, shape (n,)
        rewards : ndarray of float64, shape (n,)
            Expected rewards ``R[s, a]`` (the model stores expectations).
        terminated : ndarray of bool, shape (n,)
            True on entering a terminal state, or at ``t == H - 1`` under a finite
            horizon (the value beyond the horizon is zero by definition).
        """
        if self.horizon is not None:
            if t is None:
                raise InvalidParameterError("t", "the time step is required to step a finite-horizon MDP")
            t = self._check_t(t)
        else:
            t = 0 if t is None else self._check_t(t)
        s = self._check_index_array(states, "states", self.n_states)
        a = self._check_index_array(actions, "actions", self.n_actions)
        if s.shape != a.shape:
            raise InvalidParameterError("actions", f"expected shape {s.shape} to match states, got {a.shape}")
        gen = as_generator(rng)
        u = gen.random(s.shape[0])
        rows = s * self.n_actions + a
        cdf, indptr, indices, row_len = self._sampler(t)
        nxt = sample_rows(cdf, indptr, indices, row_len, rows, u)
        rewards = self.rewards_at(t)[s, a].astype(np.float64)
        terminated = self.terminal[nxt].copy()
        if self.horizon is not None and t == self.horizon - 1:
            terminated[:] = True
        return nxt, rewards, terminated

    @staticmethod
    def _check_index_array(x: Any, name: str, n: int) -> np.ndarray:
        arr = np.asarray(x)
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
            raise InvalidParameterTypeError(name, f"expected an integer array, got dtype {arr.dtype}")
        if arr.ndim != 1:
            raise InvalidParameterError(name, f"expected a 1-D array of indices, got shape {arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            bad = int(arr[(arr < 0) | (arr >= n)][0])
            raise InvalidParameterError(name, f"indices must lie in [0, {n}), found {bad}")
        return arr.astype(np.int64, copy=False)
