"""The model side of distributional DP (private to :mod:`tabular.distributional`).

The law of the immediate reward (:class:`_RewardLaw`, from ``mdp.R`` or a
``reward_distribution``), the normalised transition rows the numba kernels take
(:func:`_kernel_arrays`), policies as normalised action probabilities, the range of the
return-to-go and the default categorical supports built on it, and the merging of equal
atoms of an exact law.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from rlcore.mdp import FiniteMDP
from rlcore.policies import as_stochastic
from rlcore.validation import (
    Array,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    Sequence_,
    check_stochastic_rows,
)

_EMPTY_INT = np.empty(0, dtype=np.int64)
#: Most entries ``S * n_atoms`` (``H * S * n_atoms``) of the arrays of an evaluation.
MAX_ENTRIES = 10**8


class _RewardDistribution(Sequence_):
    """``reward_distribution``: a pair ``(atoms, probs)`` of real arrays of shape (S, A, n) or (H, S, A, n).

    Each array is checked here (finite, real, rank 3 or 4); their shapes against the MDP,
    the probabilities and the means by :class:`_RewardLaw`.
    """

    def __init__(self) -> None:
        super().__init__(Array(ndim=(3, 4)), length=2)

    def __str__(self) -> str:
        return "a pair (atoms, probs) of arrays of shape (S, A, n) or (H, S, A, n)"

    def check(self, value: Any, name: str, args: dict[str, Any] | None = None) -> tuple[Any, ...]:
        if not isinstance(value, (list, tuple)):
            raise InvalidParameterTypeError(name, f"expected {self}, got {type(value).__name__}")
        return super().check(value, name, args)


_REWARD_DISTRIBUTION = _RewardDistribution() | None
_T = Integer(0, 10**6)


class _RewardLaw:
    """Law of the immediate reward given ``(s, a)``: atoms and probabilities (T, S, A, n).

    ``T = 1`` when stationary, ``H`` when time-dependent. Deterministic rewards are the
    one-atom law at ``mdp.R``.
    """

    def __init__(self, mdp: FiniteMDP, reward_distribution: Any) -> None:
        S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
        if reward_distribution is None:
            R = mdp.R if mdp.R.ndim == 3 else mdp.R[None]
            self.atoms = np.array(R, dtype=np.float64)[..., None]
            self.probs = np.ones_like(self.atoms)
            return
        # the pair is validated by _REWARD_DISTRIBUTION: two finite float arrays of rank 3 or 4
        x, p = (np.asarray(a, dtype=np.float64) for a in reward_distribution)
        if x.shape != p.shape:
            raise InvalidParameterError(
                "reward_distribution", f"atoms and probs must have one shape, got {x.shape} and {p.shape}"
            )
        if x.ndim == 4 and H is None:
            raise InvalidParameterError(
                "reward_distribution", "a time-dependent (H, S, A, n) law needs a finite-horizon MDP"
            )
        lead = (x.shape[0],) if x.ndim == 4 else ()
        if x.shape[x.ndim - 3 : -1] != (S, A) or (x.ndim == 4 and x.shape[0] != H) or x.shape[-1] < 1:
            want = f"({H}, {S}, {A}, n)" if x.ndim == 4 else f"({S}, {A}, n)"
            raise InvalidParameterError(
                "reward_distribution", f"expected arrays of shape {want} with n >= 1, got {x.shape}"
            )
        check_stochastic_rows(p, "reward_distribution[1]")
        if x.ndim == 3 and mdp.R.ndim == 3:  # time-dependent R implies a horizon
            Hn = cast(int, H)
            x, p = np.broadcast_to(x, (Hn,) + x.shape).copy(), np.broadcast_to(p, (Hn,) + p.shape).copy()
            lead = (Hn,)
        if not lead:
            x, p = x[None], p[None]
        R = mdp.R if mdp.R.ndim == 3 else mdp.R[None]
        mean = np.sum(x * p, axis=-1)
        off = np.abs(mean - R) > 1e-8 * np.maximum(1.0, np.abs(R))
        if off.any():
            idx = tuple(int(i) for i in np.argwhere(off)[0])
            where = f"(t, s, a) = {idx}" if len(lead) or R.shape[0] > 1 else f"(s, a) = {idx[1:]}"
            raise InvalidParameterError(
                "reward_distribution",
                f"its mean must equal the MDP's expected reward R; at {where} it is {float(mean[idx])!r}, "
                f"R is {float(R[idx])!r}",
            )
        self.atoms, self.probs = x, p

    def at(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        k = t if self.atoms.shape[0] > 1 else 0
        return np.ascontiguousarray(self.atoms[k]), np.ascontiguousarray(self.probs[k])

    def bounds(self, t: int) -> tuple[float, float]:
        x, p = self.at(t)
        live = x[p > 0]
        return float(live.min()), float(live.max())


_EPS = float(np.finfo(np.float64).eps)


def _kernel_arrays(mdp: FiniteMDP, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Float64/int64 copies of the *normalised* rows ``P_t(.|s, a) / rho(s, a)`` for the kernels.

    A return distribution needs probability rows: the stored rows sum to 1 only within
    the MDP's tolerance (``rho``, :attr:`rlcore.FiniteMDP.row_sums`), and with them the
    backup would not preserve mass (a total of ``rho^k`` after ``k`` backups). The law
    computed is therefore that of the normalised kernel, as the module docstring states.
    """
    Pt = mdp.transitions_at(t)
    rho = np.asarray(mdp.row_sums[t] if mdp.row_sums.ndim == 3 else mdp.row_sums).reshape(-1)
    if mdp.is_sparse:
        M = sp.csr_array(Pt)
        data = np.array(M.data, dtype=np.float64) / np.repeat(rho, np.diff(M.indptr))
        return data, np.array(M.indices, dtype=np.int64), np.array(M.indptr, dtype=np.int64), 0
    dense = np.array(Pt, dtype=np.float64).reshape(-1, mdp.n_states) / rho[:, None]
    return dense.reshape(-1), _EMPTY_INT.copy(), _EMPTY_INT.copy(), mdp.n_states


def _max_row_terms(arrays: tuple[np.ndarray, np.ndarray, np.ndarray, int]) -> int:
    """Largest number of successor terms a kernel sums per state-action pair."""
    _, _, indptr, n_cols = arrays
    return int(np.max(np.diff(indptr), initial=1)) if indptr.size else int(n_cols)


def _policy_at(pi: np.ndarray, t: int) -> np.ndarray:
    return np.array(pi[t] if pi.ndim == 3 else pi, dtype=np.float64)


def _discount(mdp: FiniteMDP) -> float:
    return 1.0 if mdp.gamma is None else float(mdp.gamma)


def _stochastic_policy(mdp: FiniteMDP, pi: np.ndarray) -> np.ndarray:
    """A validated policy (any layout) as float64 action probabilities, rows divided by
    their sums (within the policy tolerance of 1): a return distribution needs a
    probability mixture over actions, as over next states (see :func:`_kernel_arrays`)."""
    probs = np.array(as_stochastic(pi, mdp.n_actions), dtype=np.float64)
    probs /= probs.sum(axis=-1, keepdims=True)
    return probs


def _check_t(mdp: FiniteMDP, t: int) -> int:
    """The relation between a validated step ``t >= 0`` and the MDP's horizon."""
    if mdp.horizon is None:
        if t != 0:
            raise InvalidParameterError("t", f"a discounted MDP has no time index, got t={t!r}")
        return 0
    if t >= mdp.horizon:
        raise InvalidParameterError("t", f"expected a step in [0, {mdp.horizon}), got {t}")
    return t


def _return_ranges(mdp: FiniteMDP, law: _RewardLaw) -> tuple[np.ndarray, np.ndarray]:
    """Bounds ``[lo_t, hi_t]`` of the return-to-go from step ``t`` (length 1 if discounted)."""
    if mdp.horizon is None:
        g = _discount(mdp)
        r_lo, r_hi = law.bounds(0)
        lo, hi = np.array([r_lo / (1.0 - g)]), np.array([r_hi / (1.0 - g)])
    else:
        rb = np.array([law.bounds(t) for t in range(mdp.horizon)])
        lo, hi = np.cumsum(rb[::-1, 0])[::-1], np.cumsum(rb[::-1, 1])[::-1]
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(np.isfinite(hi - lo))):
        raise InvalidParameterError("mdp", "the range of the returns overflows float64; rescale the rewards")
    return lo, hi


def _default_support(mdp: FiniteMDP, n_atoms: int, law: _RewardLaw) -> np.ndarray:
    """Discounted default: ``n_atoms`` atoms over ``[min R, max R] / (1 - gamma)``."""
    lo, hi = _return_ranges(mdp, law)
    a, b = float(lo.min()), float(hi.max())
    if b - a <= 0.0:
        a, b = a - 0.5, b + 0.5
    return np.linspace(a, b, n_atoms)


def _finite_supports(mdp: FiniteMDP, m: int, law: _RewardLaw) -> np.ndarray:
    """One evenly spaced support per step, spanning the range of the return-to-go."""
    lo, hi = _return_ranges(mdp, law)
    return np.linspace(lo, hi, m, axis=1)


def _merge_atoms(x: np.ndarray, p: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Sort and merge atoms closer than ``tol`` to the first of their group; drop zero mass."""
    keep = p > 0.0
    x, p = x[keep], p[keep]
    order = np.argsort(x, kind="stable")
    x, p = x[order], p[order]
    if x.size == 0:
        return x, p
    new = np.concatenate(([True], np.diff(x) > tol))
    group = np.cumsum(new) - 1
    return x[new], np.bincount(group, weights=p)
