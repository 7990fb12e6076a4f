"""SEQUOIA: Q-learning whose action maximisation is a mixed-integer programme.

For the coupled restless bandits of :mod:`bandits.coupled` the action set is the set of
solutions of a combinatorial programme, too large to enumerate. **SEQUOIA** (Xu,
Wilder, Khalil and Tambe 2025) learns ``Q(s, u)`` with a ReLU network whose input is the
state and the action, by Q-learning with a target network; the maximisation over
actions, both to act and in the TD target ``r + gamma max_{v'} Q(s', G v')``, is a
mixed-integer linear programme: :func:`relu_milp_argmax` encodes each ReLU
``h = max(0, z)`` with pre-activation bounds ``L <= z <= U`` from interval arithmetic
over ``v in [0, 1]^D`` by the big-M constraints

``h >= z,  h >= 0,  h <= z - L (1 - delta),  h <= U delta,  delta in {0, 1}``

(stable neurons, ``U <= 0`` or ``L >= 0``, need no binary), adds the action
constraints and maximises the network's output with HiGHS (:func:`scipy.optimize.milp`).
The encoding is exact: every feasible ``v`` extends to exactly one assignment of
``h``, equal to the network's activations, so the MILP's optimum is the network's
maximum over feasible actions (Fischetti and Jo 2018; Anderson et al. 2020).

The learned-Q baseline of the paper, scoring random feasible actions with ``Q``, is
:class:`QSamplingPolicy`; the random and myopic baselines are in
:mod:`bandits.coupled`.

References
----------
L. Xu, B. Wilder, E. B. Khalil, M. Tambe, Reinforcement learning with combinatorial
actions for coupled restless bandits, *ICLR* 2025. M. Fischetti, J. Jo, Deep neural
networks and mixed integer linear optimization, *Constraints* 23, 2018. R. Anderson,
J. Huchette, W. Ma, C. Tjandraatmadja, J. P. Vielma, Strong mixed-integer programming
formulations for trained neural networks, *Mathematical Programming* 183, 2020.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from collections.abc import Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from bandits._constraints import ReluLayers
from bandits.coupled import ActionConstraints, CoupledRandomPolicy, CoupledRestlessProblem
from rlcore.validation import (
    MAX_ITERATIONS,
    RNG,
    Array,
    Device,
    Instance,
    Integer,
    InvalidParameterError,
    Real,
    Sequence_,
    validate_params,
)
from rlcore.randomness import RNGLike, as_generator

__all__ = [
    "MILPArgmax",
    "QSamplingPolicy",
    "SequoiaPolicy",
    "SequoiaResult",
    "relu_forward",
    "relu_milp_argmax",
    "sequoia",
]

Layers = Sequence[tuple[np.ndarray, np.ndarray]]


# ============================================================ the MILP encoding
@dataclass(frozen=True)
class MILPArgmax:
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

    Examples
    --------
    >>> from bandits.coupled import multiple_interventions
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

    (The random actions come from :class:`bandits.coupled.CoupledRandomPolicy`.)
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


# ============================================================ SEQUOIA training
@dataclass(frozen=True)
class SequoiaResult:
    """Trained SEQUOIA agent.

    Attributes
    ----------
    layers : list of (W, b)
        The Q-network's weights as float64 arrays, in reward units.
    policy : SequoiaPolicy
        Greedy MILP policy of the trained network.
    q_network : torch.nn.Module
        The trained network, in units of ``reward / sum(weights)``.
    n_milps : int
        Number of MILPs solved during training.
    history : dict of str to ndarray
        ``"loss"`` per gradient step, ``"reward"`` per environment step.
    """

    layers: list[tuple[np.ndarray, np.ndarray]]
    policy: SequoiaPolicy
    q_network: Any
    n_milps: int
    history: dict[str, np.ndarray] = field(default_factory=dict, repr=False)


def _torch_layers(net: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        (m.weight.detach().cpu().double().numpy().copy(), m.bias.detach().cpu().double().numpy().copy())
        for m in net
        if hasattr(m, "weight")
    ]


@validate_params(
    problem=_PROBLEM,
    n_steps=Integer(1, MAX_ITERATIONS),
    hidden=Sequence_(Integer(1, 4096), min_len=1, max_len=16),
    episode_length=Integer(1, MAX_ITERATIONS),
    batch_size=Integer(1, 10**5),
    lr=Real(0, 10, closed="right"),
    target_every=Integer(1, MAX_ITERATIONS),
    epsilon_start=Real(0, 1),
    epsilon_end=Real(0, 1),
    buffer_size=Integer(1, 10**7),
    updates_per_step=Integer(1, 10**4),
    rng=RNG(),
    device=Device(),
)
def sequoia(
    problem: CoupledRestlessProblem,
    *,
    n_steps: int = 2000,
    hidden: Sequence[int] = (32,),
    episode_length: int = 50,
    batch_size: int = 32,
    lr: float = 1e-3,
    target_every: int = 100,
    epsilon_start: float = 1.0,
    epsilon_end: float = 0.05,
    buffer_size: int = 10_000,
    updates_per_step: int = 1,
    rng: RNGLike = None,
    device: Any = "cpu",
) -> SequoiaResult:
    """Train SEQUOIA: Q-learning with a ReLU Q-network whose maximisation is a MILP.

    Each step the agent acts epsilon-greedily (a random feasible action with probability
    epsilon, decaying linearly from ``epsilon_start`` to ``epsilon_end`` over the first
    half of training; otherwise the MILP argmax of the target network), stores the
    transition, and takes ``updates_per_step`` Adam steps on the squared TD error of
    minibatches with
    targets ``r + gamma max_{v'} Q_target(s', G v')``, the max computed by
    :func:`relu_milp_argmax`. The target network is refreshed every ``target_every``
    steps; MILP solutions are memoised per state between refreshes (exact: the target
    network is fixed in between). Episodes restart every ``episode_length`` steps.
    The network is trained on rewards divided by ``sum(weights)`` (the largest reward of
    a step), and the returned layers are rescaled to reward units.

    Parameters
    ----------
    problem : CoupledRestlessProblem
    n_steps : int in [1, 10**9]
        Environment steps.
    hidden : sequence of int
        1 to 16 hidden layer widths, each in ``[1, 4096]``.
    episode_length, target_every : int in [1, 10**9]
    batch_size : int in [1, 10**5]
    lr : float in (0, 10]
        Adam's learning rate.
    epsilon_start, epsilon_end : float in [0, 1]
    buffer_size : int in [1, 10**7]
    updates_per_step : int in [1, 10**4]
        Gradient steps per environment step.
    rng : Generator, int or None
        Seeds the environment, exploration and the network initialisation.
    device : str or torch.device

    Returns
    -------
    SequoiaResult

    Raises
    ------
    ImportError
        Without torch (install the ``torch`` extra).

    Guarantee
    ---------
    Every action taken (in training and by ``result.policy``) satisfies the constraints:
    random actions and MILP argmaxes are both solutions of MILPs containing them, and
    each is checked before it is applied. No optimality guarantee: SEQUOIA is deep
    Q-learning (Xu et al. 2025).

    References
    ----------
    Xu, Wilder, Khalil and Tambe, ICLR 2025, Algorithm 1.

    Examples
    --------
    >>> from bandits.coupled import multiple_interventions
    >>> c = multiple_interventions(2, [1.0], 1.0)
    >>> prob = CoupledRestlessProblem([[0.2, 0.6]] * 2, [[0.5, 0.5]] * 2, c, discount=0.9)
    >>> res = sequoia(prob, n_steps=20, hidden=(4,), batch_size=4, target_every=10, rng=0)
    >>> res.policy(np.array([[0, 1]]), 0, np.random.default_rng(0)).shape
    (1, 2)
    """
    from tabular._learner_common import init_mlp, require_torch

    torch = require_torch("bandits.sequoia")
    T, H, ep_len, B, C, cap, n_upd = (
        n_steps,
        tuple(hidden),
        episode_length,
        batch_size,
        target_every,
        buffer_size,
        updates_per_step,
    )
    gen = as_generator(rng)
    dev = device
    cons = problem.constraints
    N, NJ = problem.n_arms, cons.G.shape[0]
    d_in = N + NJ
    net = init_mlp(torch, (d_in, *H, 1), torch.nn.ReLU, gen).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=float(lr))
    frozen = SequoiaPolicy(problem, _torch_layers(net))
    random_pol = CoupledRandomPolicy(problem)
    n_milps = 0
    buf_x = np.zeros((cap, d_in), dtype=np.float32)
    buf_r = np.zeros(cap, dtype=np.float32)
    buf_s2 = np.zeros((cap, N), dtype=np.int64)
    size = 0
    losses: list[float] = []
    rewards = np.zeros(T)
    s = problem.reset(1, gen)
    gamma = problem.discount
    r_scale = float(np.sum(np.abs(problem.weights))) or 1.0
    for step in range(T):
        if step % ep_len == 0 and step > 0:
            s = problem.reset(1, gen)
        frac = min(1.0, step / max(1.0, 0.5 * T))
        eps = float(epsilon_start) + frac * (float(epsilon_end) - float(epsilon_start))
        if gen.random() < eps:
            v = random_pol(s, step, gen)[0]
        else:
            before = len(frozen._cache)
            v = frozen.solve(s[0]).action
            n_milps += len(frozen._cache) - before
        s2, r, _ = problem.step(s, v[None, :], gen)
        i = size % cap
        buf_x[i, :N] = s[0]
        buf_x[i, N:] = cons.G @ v
        buf_r[i] = r[0]
        buf_s2[i] = s2[0]
        size += 1
        rewards[step] = r[0]
        s = s2
        n = min(size, cap)
        for _ in range(n_upd if n >= B else 0):
            idx = gen.integers(0, n, size=B)
            before = len(frozen._cache)
            nxt = np.array([frozen.solve(buf_s2[k]).value for k in idx], dtype=np.float32)
            n_milps += len(frozen._cache) - before
            y = torch.as_tensor(buf_r[idx] / r_scale + gamma * nxt, device=dev)
            q = net(torch.as_tensor(buf_x[idx], device=dev)).squeeze(-1)
            loss = torch.mean((q - y) ** 2)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.item()))
        if (step + 1) % C == 0:
            frozen = SequoiaPolicy(problem, _torch_layers(net))
    layers = _torch_layers(net)
    W_out, b_out = layers[-1]
    layers[-1] = (W_out * r_scale, b_out * r_scale)
    return SequoiaResult(
        layers, SequoiaPolicy(problem, layers), net, n_milps, {"loss": np.asarray(losses), "reward": rewards}
    )
