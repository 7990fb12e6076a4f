"""The distributional DP loops behind :func:`tabular.distributional_evaluation` (private).

Discounted categorical and quantile evaluation iterate the projected operator from a
point mass with the a-posteriori stopping rule; the finite-horizon ones run the backward
recursion; ``"exact"`` enumerates the finite-support law step by step. Each returns the
fields of a :class:`tabular.DistributionalEvaluation`, in order, as a tuple.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from rlcore.distributions import categorical_probs
from rlcore.mdp import FiniteMDP
from rlcore.progress import progress_bar
from rlcore.validation import InvalidParameterError
from tabular._distributional_kernels import categorical_backup, quantile_backup
from tabular._distributional_model import (
    _EPS,
    MAX_ENTRIES,
    _discount,
    _kernel_arrays,
    _max_row_terms,
    _merge_atoms,
    _policy_at,
    _default_support,
    _finite_supports,
    _RewardLaw,
    _return_ranges,
)

#: The fields of a DistributionalEvaluation, in order.
Fields = tuple[str, np.ndarray, np.ndarray, Any, int, bool, float, str]


def _cramer_sup(p: np.ndarray, q: np.ndarray, step: float) -> float:
    d = np.cumsum(p - q, axis=1)[:, :-1]
    return float(np.sqrt(np.max(np.sum(d * d, axis=1) * step, initial=0.0)))


def _categorical_discounted(
    mdp: FiniteMDP, pi: np.ndarray, z: np.ndarray, tol: float, max_iter: int, law: _RewardLaw, bar: Any
) -> Fields:
    S, m = mdp.n_states, z.size
    g = _discount(mdp)
    c = float(np.sqrt(g))
    arrays = _kernel_arrays(mdp, 0)
    ra, rpr = law.at(0)
    pi0 = _policy_at(pi, 0)
    step = (z[-1] - z[0]) / (m - 1)
    probs = np.tile(categorical_probs(np.zeros((1, 1)), np.ones((1, 1)), z), (S, 1))  # Pi_C of a point mass at 0
    new = np.empty_like(probs)
    # Rounding: an entry of the backup sums at most K = A * n_r * m non-negative terms, each
    # a product with n successor terms, so its error is within (K + n + 4) u times its
    # value; the entries sum to 1, so every cumulative sum is within (K + n + 4) u, and the
    # Cramer size of the error (and the error of the computed distance) within
    # sqrt(step * m) (K + n + 4) u each (u = eps / 2; eps is used, for a factor 2 to spare).
    n_terms = mdp.n_actions * ra.shape[-1] * m + _max_row_terms(arrays) + 4
    rounding = 2.0 * float(np.sqrt(step * m)) * n_terms * _EPS
    bound, converged, k = np.inf, False, 0
    for k in range(1, max_iter + 1):
        categorical_backup(*arrays, ra, rpr, pi0, g, z, z, probs, new)
        d = c * _cramer_sup(new, probs, step)
        # / (1 - c) written as (1 + c) / (1 - gamma): no cancellation in 1 - sqrt(gamma) as gamma -> 1
        bound = (d + rounding) * (1.0 + c) / (1.0 - g) * (1.0 + 8.0 * _EPS)
        bar.update(1)
        probs, new = new, probs
        if bound <= tol:
            converged = True
            break
        if d <= rounding:  # at the rounding floor: more backups cannot tighten the bound
            break
    return "categorical", np.broadcast_to(z, (S, m)).copy(), probs, z, k, converged, float(bound), "cramer"


def _categorical_finite(mdp: FiniteMDP, pi: np.ndarray, supports: np.ndarray, law: _RewardLaw, bar: Any) -> Fields:
    H, S, m = cast(int, mdp.horizon), mdp.n_states, supports.shape[1]
    out = np.empty((H, S, m))
    z_next = np.zeros(1)  # the return after the horizon is exactly 0
    nxt = np.ones((S, 1))
    for t in range(H - 1, -1, -1):
        ra, rpr = law.at(t)
        z = np.ascontiguousarray(supports[t])
        categorical_backup(*_kernel_arrays(mdp, t), ra, rpr, _policy_at(pi, t), 1.0, z_next, z, nxt, out[t])
        nxt, z_next = out[t], z
        bar.update(1)
    atoms = np.broadcast_to(supports[:, None, :], (H, S, m)).copy()
    return "categorical", atoms, out, supports, H, True, 0.0, "cramer"


def _quantile_discounted(
    mdp: FiniteMDP, pi: np.ndarray, N: int, tol: float, max_iter: int, law: _RewardLaw, bar: Any
) -> Fields:
    S = mdp.n_states
    g = _discount(mdp)
    arrays = _kernel_arrays(mdp, 0)
    ra, rpr = law.at(0)
    pi0 = _policy_at(pi, 0)
    theta = np.zeros((S, N))
    new = np.empty_like(theta)
    r_max = float(np.max(np.abs(ra)))
    bound, converged, k = np.inf, False, 0
    for k in range(1, max_iter + 1):
        quantile_backup(*arrays, ra, rpr, pi0, g, theta, new)
        # each computed atom r + gamma theta is within 2 eps (|r| + gamma |theta|) of its value
        atoms_err = 2.0 * _EPS * (r_max + g * float(np.max(np.abs(theta), initial=0.0)))
        change = float(np.max(np.abs(new - theta), initial=0.0)) * (1.0 + 2.0 * _EPS)
        bound = (g * change + atoms_err) / (1.0 - g) * (1.0 + 8.0 * _EPS)
        theta, new = new, theta
        bar.update(1)
        if bound <= tol:
            converged = True
            break
        if g * change <= atoms_err:  # at the rounding floor
            break
    return "quantile", theta, np.full((S, N), 1.0 / N), None, k, converged, float(bound), "wasserstein_inf"


def _quantile_finite(mdp: FiniteMDP, pi: np.ndarray, N: int, law: _RewardLaw, bar: Any) -> Fields:
    H, S = cast(int, mdp.horizon), mdp.n_states
    out = np.empty((H, S, N))
    nxt = np.zeros((S, N))
    for t in range(H - 1, -1, -1):
        ra, rpr = law.at(t)
        quantile_backup(*_kernel_arrays(mdp, t), ra, rpr, _policy_at(pi, t), 1.0, nxt, out[t])
        nxt = out[t]
        bar.update(1)
    return "quantile", out, np.full((H, S, N), 1.0 / N), None, H, True, 0.0, "wasserstein_inf"


def _successor_lists(mdp: FiniteMDP, t: int) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """``[s][a] -> (next states, probabilities)`` with positive probability, at step ``t``.

    The probabilities are those of the *normalised* row ``P_t(.|s, a) / rho(s, a)``, as in
    :func:`tabular._distributional_model._kernel_arrays`: an exact law is a probability
    vector even when the stored rows sum to 1 only within the tolerance.
    """
    S, A = mdp.n_states, mdp.n_actions
    Pt = mdp.transitions_at(t)
    rho = np.asarray(mdp.row_sums[t] if mdp.row_sums.ndim == 3 else mdp.row_sums).reshape(S, A)
    out: list[list[tuple[np.ndarray, np.ndarray]]] = []
    if mdp.is_sparse:
        M = sp.csr_array(Pt)
        for s in range(S):
            row = []
            for a in range(A):
                lo, hi = M.indptr[s * A + a], M.indptr[s * A + a + 1]
                idx, p = M.indices[lo:hi].astype(np.int64), M.data[lo:hi]
                row.append((idx[p > 0], p[p > 0] / rho[s, a]))
            out.append(row)
        return out
    P = np.asarray(Pt)
    for s in range(S):
        out.append([(np.flatnonzero(P[s, a] > 0), P[s, a][P[s, a] > 0] / rho[s, a]) for a in range(A)])
    return out


def _exact(mdp: FiniteMDP, pi: np.ndarray, max_atoms: int, law: _RewardLaw, bar: Any) -> Fields:
    H, S, A = cast(int, mdp.horizon), mdp.n_states, mdp.n_actions
    lo, hi = _return_ranges(mdp, law)
    merge_tol = 1e-12 * max(1.0, float(np.max(np.abs(np.concatenate([lo, hi])))))
    nxt: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(1), np.ones(1)) for _ in range(S)]
    layers: list[list[tuple[np.ndarray, np.ndarray]]] = []
    for t in range(H - 1, -1, -1):
        succ = _successor_lists(mdp, t)
        ra, rpr = law.at(t)
        pit = _policy_at(pi, t)
        cur: list[tuple[np.ndarray, np.ndarray]] = []
        for s in range(S):
            xs, ws = [], []
            for a in range(A):
                if pit[s, a] == 0.0:
                    continue
                live = rpr[s, a] > 0
                rx, rw = ra[s, a][live], rpr[s, a][live]
                for sp_, p in zip(*succ[s][a]):
                    ax, ap = nxt[int(sp_)]
                    xs.append((ax[None, :] + rx[:, None]).ravel())
                    ws.append((ap[None, :] * rw[:, None]).ravel() * (pit[s, a] * p))
            x, w = _merge_atoms(np.concatenate(xs), np.concatenate(ws), merge_tol)
            if x.size > max_atoms:
                raise InvalidParameterError(
                    "max_atoms",
                    f"the exact return distribution of state {s} at step {t} has {x.size} atoms (> max_atoms="
                    f"{max_atoms}); raise the cap or use representation='categorical' or 'quantile'",
                )
            cur.append((x, w))
        layers.append(cur)
        nxt = cur
        bar.update(1)
    layers.reverse()
    n = max(x.size for layer in layers for x, _ in layer)
    if H * S * n > MAX_ENTRIES:
        raise InvalidParameterError(
            "max_atoms",
            f"the exact laws need {H * S} x {n} atoms, more than {MAX_ENTRIES}; lower max_atoms or use "
            "representation='categorical' or 'quantile'",
        )
    atoms = np.empty((H, S, n))
    probs = np.zeros((H, S, n))
    for t, layer in enumerate(layers):
        for s, (x, w) in enumerate(layer):
            atoms[t, s, : x.size] = x
            atoms[t, s, x.size :] = x[-1]
            probs[t, s, : x.size] = w
    return "exact", atoms, probs, None, H, True, 0.0, "exact"


def _projected(
    mdp: FiniteMDP,
    pi: np.ndarray,
    representation: str,
    n: int,
    support: np.ndarray | None,
    epsilon: float,
    max_iter: int,
    law: _RewardLaw,
    bar: Any,
) -> Fields:
    """The categorical and quantile evaluations, on checked arguments."""
    if representation == "categorical":
        if support is None:
            if n < 2:
                raise InvalidParameterError("n_atoms", f"a categorical support needs at least 2 atoms, got {n}")
            z = _default_support(mdp, n, law) if mdp.horizon is None else np.empty(0)
        else:
            z = support
        if mdp.horizon is None:
            return _categorical_discounted(mdp, pi, z, epsilon, max_iter, law, bar)
        supports = _finite_supports(mdp, n, law) if support is None else np.tile(z, (mdp.horizon, 1))
        return _categorical_finite(mdp, pi, supports, law, bar)
    if mdp.horizon is None:
        return _quantile_discounted(mdp, pi, n, epsilon, max_iter, law, bar)
    return _quantile_finite(mdp, pi, n, law, bar)


def _bar(mdp: FiniteMDP, progress: bool | None) -> Any:
    """The bar of :func:`distributional_evaluation`: ``H`` backward steps, or open-ended iterations."""
    if mdp.horizon is None:
        return progress_bar(None, desc="distributional_evaluation", progress=progress, unit="iteration")
    return progress_bar(mdp.horizon, desc="distributional_evaluation", progress=progress, unit="step")
