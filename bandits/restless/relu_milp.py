"""Maximising a ReLU Q-network over combinatorial actions by mixed-integer programming.

For the coupled restless bandits of :mod:`bandits.restless.coupled` the action set is the
set of solutions of a combinatorial programme, too large to enumerate. **SEQUOIA** (Xu,
Wilder, Khalil and Tambe 2025; :func:`bandits.deep.sequoia`) learns ``Q(s, u)`` with a
ReLU network whose input is the state and the action; the maximisation over actions,
both to act and in the TD target ``r + gamma max_{v'} Q(s', G v')``, is a mixed-integer
linear programme, and this module holds it (in NumPy and HiGHS, no torch):
:func:`relu_milp_argmax` encodes each ReLU
``h = max(0, z)`` with pre-activation bounds ``L <= z <= U`` from interval arithmetic
over ``v in [0, 1]^D`` by the big-M constraints

``h >= z,  h >= 0,  h <= z - L (1 - delta),  h <= U delta,  delta in {0, 1}``

(stable neurons, ``U <= 0`` or ``L >= 0``, need no binary), adds the action
constraints and maximises the network's output with HiGHS (:func:`scipy.optimize.milp`).
The encoding is exact: every feasible ``v`` extends to exactly one assignment of
``h``, equal to the network's activations, so the MILP's optimum is the network's
maximum over feasible actions (Fischetti and Jo 2018; Anderson et al. 2020).

:class:`SequoiaPolicy` acts with the MILP argmax of a given network (the policy of a
trained SEQUOIA agent); the learned-Q baseline of the paper, scoring random feasible
actions with ``Q``, is :class:`QSamplingPolicy`; the random and myopic baselines are in
:mod:`bandits.restless.coupled`.

References
----------
L. Xu, B. Wilder, E. B. Khalil, M. Tambe, Reinforcement learning with combinatorial
actions for coupled restless bandits, *ICLR* 2025. M. Fischetti, J. Jo, Deep neural
networks and mixed integer linear optimization, *Constraints* 23, 2018. R. Anderson,
J. Huchette, W. Ma, C. Tjandraatmadja, J. P. Vielma, Strong mixed-integer programming
formulations for trained neural networks, *Mathematical Programming* 183, 2020.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from bandits._constraints import ReluLayers
from bandits.restless.action_constraints import ActionConstraints
from bandits.restless.coupled import CoupledRandomPolicy, CoupledRestlessProblem
from rlcore.results import Result
from rlcore.validation import (
    Array,
    Instance,
    Integer,
    InvalidParameterError,
    Real,
    validate_params,
)

__all__ = [
    "MILPArgmax",
    "QSamplingPolicy",
    "SequoiaPolicy",
    "relu_forward",
    "relu_milp_argmax",
]

Layers = Sequence[tuple[np.ndarray, np.ndarray]]


# ============================================================ the MILP encoding
@dataclass(frozen=True, repr=False)
class MILPArgmax(Result):
    """Result of :func:`relu_milp_argmax`.

    Attributes
    ----------
    action : ndarray of int64, shape (D,)
        The maximising feasible action.
    value : float
        The network's output at ``action`` (a float64 forward pass).
    milp_value : float
        The MILP's optimal objective (equal to ``value`` up to the solver's tolerance).
    n_binary : int
        Binary variables in the MILP (``D`` plus the unstable neurons).
    """

    action: np.ndarray
    value: float
    milp_value: float
    n_binary: int


_LAYERS = ReluLayers()
_PROBLEM = Instance(CoupledRestlessProblem)


def _inputs_match(layers: list[tuple[np.ndarray, np.ndarray]], n_in: int, what: str) -> None:
    if layers[0][0].shape[1] != n_in:
        raise InvalidParameterError("layers", f"the first layer takes {layers[0][0].shape[1]} inputs, expected {what}")


def _forward(layers: Layers, x: np.ndarray) -> np.ndarray:
    """:func:`relu_forward` on checked arguments (the library's inner loops)."""
    h = x
    for k, (W, b) in enumerate(layers):
        h = h @ W.T + b
        if k < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return np.asarray(h[..., 0])


@validate_params(layers=_LAYERS, x=Array(ndim=(1, 2)))
def relu_forward(layers: Layers, x: Any) -> np.ndarray:
    """Float64 forward pass of the ReLU network ``layers`` on inputs ``x`` of shape (n, d); returns (n,).

    ``layers`` as in :func:`relu_milp_argmax`; ``x`` finite, shape ``(n, d)`` or ``(d,)``
    with ``d`` the first layer's inputs.

    Raises
    ------
    InvalidParameterError
        If the activations overflow float64.
    """
    if x.shape[-1] != layers[0][0].shape[1]:
        raise InvalidParameterError("x", f"expected {layers[0][0].shape[1]} features per input, got {x.shape[-1]}")
    with np.errstate(over="ignore", invalid="ignore"):
        out = _forward(layers, x)
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError("layers", "the network's activations overflow float64; rescale the weights")
    return out


@validate_params(
    layers=_LAYERS,
    state_features=Array(ndim=1, min_size=0),
    constraints=Instance(ActionConstraints),
    time_limit=Real(0, None, closed="neither") | None,
)
def relu_milp_argmax(
    layers: Layers, state_features: Any, constraints: ActionConstraints, *, time_limit: float | None = None
) -> MILPArgmax:
    """Maximise a ReLU network ``Q([f, G v])`` over the feasible binary actions ``v`` by MILP.

    Parameters
    ----------
    layers : sequence of (W, b)
        Affine layers ``W`` of shape ``(out, in)``, ReLU between them, scalar output
        (finite weights; at most 64 layers of at most ``10**5`` units).
        The input is the concatenation of ``state_features`` and ``u = G v``.
    state_features : array_like of shape (F,)
    constraints : ActionConstraints
        Satisfiable (an infeasible set is refused).
    time_limit : float > 0, optional
        Seconds for HiGHS (default none: solve to optimality).

    Returns
    -------
    MILPArgmax

    Guarantee
    ---------
    With pre-activation bounds valid on ``[0, 1]^D`` (interval arithmetic), the big-M
    encoding is exact (Fischetti and Jo 2018), so the returned action maximises the
    network over the feasible set up to the solver's optimality tolerance
    (HiGHS ``mip_rel_gap = 1e-9``, absolute gap ``1e-6``).
    Tested by
    ``tests/bandits/test_sequoia.py::test_milp_returns_exact_argmax_over_feasible_actions``
    (against enumeration of the feasible actions, four constraint structures).

    Examples
    --------
    >>> from bandits import multiple_interventions
    >>> c = multiple_interventions(2, [1.0], 1.0)
    >>> layers = [(np.array([[0.0, 0.0, 1.0, 2.0]]), np.array([0.0]))]  # Q = u_0 + 2 u_1
    >>> relu_milp_argmax(layers, [0.0, 0.0], c).action.tolist()
    [0, 1]
    """
    return _relu_milp_argmax(layers, state_features, constraints, time_limit)


def _relu_milp_argmax(
    L: list[tuple[np.ndarray, np.ndarray]],
    f: np.ndarray,
    constraints: ActionConstraints,
    time_limit: float | None = None,
) -> MILPArgmax:
    """:func:`relu_milp_argmax` on checked arguments (SEQUOIA's inner loop)."""
    D = constraints.n_vars
    NJ = constraints.G.shape[0]
    _inputs_match(L, f.size + NJ, f"{f.size} state features + {NJ} interventions")
    hidden = [W.shape[0] for W, _ in L[:-1]]
    n_h = sum(hidden)
    n_total = D + 2 * n_h
    # expressions of the current layer's input: coef (n_in, n_total), const (n_in,)
    W1, b1 = L[0]
    coef = np.zeros((W1.shape[0], n_total))
    coef[:, :D] = W1[:, f.size :] @ constraints.G
    const = W1[:, : f.size] @ f + b1
    lo = const + np.minimum(coef[:, :D], 0).sum(axis=1)
    hi = const + np.maximum(coef[:, :D], 0).sum(axis=1)
    lb = np.zeros(n_total)
    ub = np.ones(n_total)
    integrality = np.zeros(n_total)
    integrality[:D] = 1
    rows: list[np.ndarray] = []
    rlo: list[float] = []
    rhi: list[float] = []
    offset = D
    for k, width in enumerate(hidden):
        h0, d0 = offset, offset + width
        for j in range(width):
            hj, dj = h0 + j, d0 + j
            Lj, Uj = float(lo[j]), float(hi[j])
            if Uj <= 0:
                ub[hj] = 0.0
                ub[dj] = 0.0
                continue
            ub[dj] = 0.0
            row = -coef[j].copy()
            row[hj] += 1.0
            if Lj >= 0:
                ub[hj] = Uj
                rows.append(row)
                rlo.append(float(const[j]))
                rhi.append(float(const[j]))
                continue
            ub[hj] = Uj
            ub[dj] = 1.0
            integrality[dj] = 1
            rows.append(row)  # h - z >= 0
            rlo.append(float(const[j]))
            rhi.append(np.inf)
            r2 = row.copy()
            r2[dj] -= Lj  # h - z - L delta <= -L
            rows.append(r2)
            rlo.append(-np.inf)
            rhi.append(float(const[j]) - Lj)
            r3 = np.zeros(n_total)
            r3[hj] = 1.0
            r3[dj] = -Uj  # h - U delta <= 0
            rows.append(r3)
            rlo.append(-np.inf)
            rhi.append(0.0)
        # next layer's pre-activations as expressions of this layer's h
        W, b = L[k + 1]
        coef = np.zeros((W.shape[0], n_total))
        coef[:, h0 : h0 + width] = W
        const = b.copy()
        hlo = np.maximum(lo, 0.0)
        hhi = np.maximum(hi, 0.0)
        lo = b + np.maximum(W, 0) @ hlo + np.minimum(W, 0) @ hhi
        hi = b + np.maximum(W, 0) @ hhi + np.minimum(W, 0) @ hlo
        offset = d0 + width
    c = -coef[0]  # maximise the output
    cons = constraints.linear_constraints(n_total)
    if rows:
        cons.append(LinearConstraint(np.array(rows), np.array(rlo), np.array(rhi)))
    opts: dict[str, Any] = {"mip_rel_gap": 1e-9}
    if time_limit is not None:
        opts["time_limit"] = float(time_limit)
    with np.errstate(over="ignore", invalid="ignore"):
        finite = all(np.all(np.isfinite(r)) for r in rows) and np.all(np.isfinite(c)) and np.all(np.isfinite(ub))
    if not finite:
        raise InvalidParameterError(
            "layers", "the network's pre-activation bounds overflow float64; rescale the weights"
        )
    res = milp(c, integrality=integrality, bounds=Bounds(lb, ub), constraints=cons, options=opts)
    if res.status == 2:
        raise InvalidParameterError("constraints", f"no binary action satisfies the {constraints.name} constraints")
    if res.x is None and res.status == 1 and time_limit is not None:
        raise InvalidParameterError(
            "time_limit", f"HiGHS found no feasible action within {time_limit!r} s; allow more time"
        )
    if res.x is None:
        raise RuntimeError(f"relu_milp_argmax: HiGHS returned no solution ({res.message})")
    v = np.rint(res.x[:D]).astype(np.int64)
    if not constraints.is_feasible(v):
        raise RuntimeError("relu_milp_argmax: the rounded MILP solution is infeasible (solver tolerance)")
    x_in = np.concatenate([f, constraints.G @ v])
    value = float(_forward(L, x_in[None, :])[0])
    return MILPArgmax(v, value, float(-res.fun + const[0]), int(integrality.sum()))


@validate_params(problem=_PROBLEM, layers=_LAYERS)
class SequoiaPolicy:
    """Act by ``argmax_v Q(s, G v)`` over feasible ``v`` (MILP; memoised per state).

    Parameters
    ----------
    problem : CoupledRestlessProblem
    layers : sequence of (W, b)
        The Q-network (input: ``N`` state entries then ``N J`` interventions), as in
        :func:`relu_milp_argmax`.
    """

    def __init__(self, problem: CoupledRestlessProblem, layers: Layers) -> None:
        NJ = problem.constraints.G.shape[0]
        _inputs_match(layers, problem.n_arms + NJ, f"{problem.n_arms} states + {NJ} interventions")
        self.problem = problem
        self.layers = layers
        self._cache: dict[bytes, MILPArgmax] = {}

    def solve(self, state: np.ndarray) -> MILPArgmax:
        """The MILP argmax for one joint state (memoised)."""
        s = np.asarray(state, dtype=np.int64)
        key = s.tobytes()
        if key not in self._cache:
            self._cache[key] = _relu_milp_argmax(self.layers, s.astype(np.float64), self.problem.constraints)
        return self._cache[key]

    def __call__(self, states: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        s = np.asarray(states, dtype=np.int64)
        return np.stack([self.solve(row).action for row in s])


@validate_params(problem=_PROBLEM, layers=_LAYERS, n_samples=Integer(1, 10**6))
class QSamplingPolicy:
    """Baseline: score ``n_samples`` random feasible actions with ``Q`` and take the best.

    (The random actions come from :class:`bandits.CoupledRandomPolicy`.)
    ``layers`` as in :class:`SequoiaPolicy`; ``n_samples`` in ``[1, 10**6]``.
    """

    def __init__(self, problem: CoupledRestlessProblem, layers: Layers, *, n_samples: int = 20) -> None:
        NJ = problem.constraints.G.shape[0]
        _inputs_match(layers, problem.n_arms + NJ, f"{problem.n_arms} states + {NJ} interventions")
        self.problem = problem
        self.layers = layers
        self.n_samples = n_samples
        self._random = CoupledRandomPolicy(problem)

    def __call__(self, states: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        s = np.asarray(states, dtype=np.int64)
        c = self.problem.constraints
        out = np.empty((s.shape[0], c.n_vars), dtype=np.int64)
        for j in range(s.shape[0]):
            cand = self._random(np.repeat(s[j][None], self.n_samples, axis=0), t, rng)
            x = np.hstack([np.repeat(s[j][None].astype(np.float64), len(cand), axis=0), cand @ c.G.T])
            out[j] = cand[int(np.argmax(_forward(self.layers, x)))]
        return out
