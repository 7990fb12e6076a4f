"""bandits.deep: the deep variants of the bandit algorithms (SEQUOIA).

**SEQUOIA** (Xu, Wilder, Khalil and Tambe 2025) learns ``Q(s, u)`` of a coupled restless
bandit (:mod:`bandits.restless.coupled`) with a ReLU network, by Q-learning with a target
network, and maximises it over the combinatorial action set by a mixed-integer programme
(:func:`bandits.relu_milp_argmax`, :mod:`bandits.restless.relu_milp`). The network is
built by :func:`rlcore.deep.build_mlp`, seeded from the caller's ``rng`` (torch's global
random state is never touched); torch is imported at call time through
:func:`rlcore.deep.require_torch`, so importing this module does not need it.

References
----------
L. Xu, B. Wilder, E. B. Khalil, M. Tambe, Reinforcement learning with combinatorial
actions for coupled restless bandits, *ICLR* 2025.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from collections.abc import Sequence

import numpy as np

from bandits.restless.coupled import CoupledRandomPolicy, CoupledRestlessProblem
from bandits.restless.relu_milp import SequoiaPolicy
from rlcore.deep import build_mlp, require_torch
from rlcore.results import Result
from rlcore.validation import (
    MAX_ITERATIONS,
    RNG,
    Device,
    Instance,
    Integer,
    Real,
    Sequence_,
    validate_params,
)
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator

__all__ = ["SequoiaResult", "sequoia"]

_PROBLEM = Instance(CoupledRestlessProblem)


# ============================================================ SEQUOIA training
@dataclass(frozen=True, repr=False)
class SequoiaResult(Result):
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
    n_steps : int
        Environment steps of training.
    history : dict of str to ndarray
        ``"loss"`` per gradient step, ``"reward"`` per environment step.
    """

    layers: list[tuple[np.ndarray, np.ndarray]]
    policy: SequoiaPolicy
    q_network: Any
    n_milps: int
    n_steps: int
    history: dict[str, np.ndarray] = field(default_factory=dict)


def _torch_layers(net: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        (m.weight.detach().cpu().double().numpy().copy(), m.bias.detach().cpu().double().numpy().copy())
        for m in net
        if hasattr(m, "weight")
    ]


@validate_params(
    problem=_PROBLEM,
    n_steps=Integer(1, MAX_ITERATIONS),
    hidden_sizes=Sequence_(Integer(1, 4096), min_len=1, max_len=16),
    episode_length=Integer(1, MAX_ITERATIONS),
    batch_size=Integer(1, 10**5),
    learning_rate=Real(0, 10, closed="right"),
    target_update_every=Integer(1, MAX_ITERATIONS),
    epsilon_start=Real(0, 1),
    epsilon_end=Real(0, 1),
    buffer_size=Integer(1, 10**7),
    updates_per_step=Integer(1, 10**4),
    rng=RNG(),
    device=Device(),
    progress=PROGRESS,
)
def sequoia(
    problem: CoupledRestlessProblem,
    *,
    n_steps: int = 2000,
    hidden_sizes: Sequence[int] = (32,),
    episode_length: int = 50,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    target_update_every: int = 100,
    epsilon_start: float = 1.0,
    epsilon_end: float = 0.05,
    buffer_size: int = 10_000,
    updates_per_step: int = 1,
    rng: RNGLike = None,
    device: Any = "cpu",
    progress: bool | None = None,
) -> SequoiaResult:
    """Train SEQUOIA: Q-learning with a ReLU Q-network whose maximisation is a MILP.

    Each step the agent acts epsilon-greedily (a random feasible action with probability
    epsilon, decaying linearly from ``epsilon_start`` to ``epsilon_end`` over the first
    half of training; otherwise the MILP argmax of the target network), stores the
    transition, and takes ``updates_per_step`` Adam steps on the squared TD error of
    minibatches with
    targets ``r + gamma max_{v'} Q_target(s', G v')``, the max computed by
    :func:`relu_milp_argmax`. The target network is refreshed every ``target_update_every``
    steps; MILP solutions are memoised per state between refreshes (exact: the target
    network is fixed in between). Episodes restart every ``episode_length`` steps.
    The network is trained on rewards divided by ``sum(weights)`` (the largest reward of
    a step), and the returned layers are rescaled to reward units.

    Parameters
    ----------
    problem : CoupledRestlessProblem
    n_steps : int in [1, 10**9]
        Environment steps.
    hidden_sizes : sequence of int
        1 to 16 hidden layer widths, each in ``[1, 4096]``.
    episode_length, target_update_every : int in [1, 10**9]
    batch_size : int in [1, 10**5]
    learning_rate : float in (0, 10]
        Adam's learning rate.
    epsilon_start, epsilon_end : float in [0, 1]
    buffer_size : int in [1, 10**7]
    updates_per_step : int in [1, 10**4]
        Gradient steps per environment step.
    rng : Generator, int or None
        Seeds the environment, exploration and the network initialisation.
    device : str or torch.device
    progress : bool or None, default None
        Show a progress bar over the environment steps on standard error (see
        :mod:`rlcore.progress`); None follows :func:`rlcore.set_progress` (off by
        default). The result does not depend on it.

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
    Tested by
    ``tests/bandits/test_sequoia.py::test_sequoia_actions_always_feasible_and_deterministic``.

    References
    ----------
    Xu, Wilder, Khalil and Tambe, ICLR 2025, Algorithm 1.

    Examples
    --------
    >>> from bandits import multiple_interventions
    >>> c = multiple_interventions(2, [1.0], 1.0)
    >>> prob = CoupledRestlessProblem([[0.2, 0.6]] * 2, [[0.5, 0.5]] * 2, c, gamma=0.9)
    >>> res = sequoia(prob, n_steps=20, hidden_sizes=(4,), batch_size=4, target_update_every=10, rng=0)
    >>> res.policy(np.array([[0, 1]]), 0, np.random.default_rng(0)).shape
    (1, 2)
    """
    torch = require_torch("bandits.deep.sequoia")
    T, H, ep_len, B, C, cap, n_upd = (
        n_steps,
        tuple(hidden_sizes),
        episode_length,
        batch_size,
        target_update_every,
        buffer_size,
        updates_per_step,
    )
    gen = as_generator(rng)
    dev = device
    cons = problem.constraints
    N, NJ = problem.n_arms, cons.G.shape[0]
    d_in = N + NJ
    net = build_mlp((d_in, *H, 1), activation="relu", rng=gen, device=dev)
    opt = torch.optim.Adam(net.parameters(), lr=float(learning_rate))
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
    gamma = problem.gamma
    r_scale = float(np.sum(np.abs(problem.weights))) or 1.0
    bar = progress_bar(T, desc="bandits.sequoia", progress=progress, unit="step")
    try:
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
            bar.update(1)
    finally:
        bar.close()
    layers = _torch_layers(net)
    W_out, b_out = layers[-1]
    layers[-1] = (W_out * r_scale, b_out * r_scale)
    return SequoiaResult(
        layers, SequoiaPolicy(problem, layers), net, n_milps, T, {"loss": np.asarray(losses), "reward": rewards}
    )
