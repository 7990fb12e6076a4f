"""Deep offline RL on the library's datasets: CQL and IQL (discrete actions, torch).

Both learn from a :class:`rlcore.Dataset` alone, with small MLPs on features of the
observations, so they run on tabular data (one-hot features by default) and on any
simulator with vector observations (pass ``features``).

**CQL** (conservative Q-learning, Kumar et al. 2020, the discrete ``CQL(H)`` variant)
adds to the TD loss a term that pushes Q down on all actions and up on the logged ones,

.. math:: \\mathcal L(\\theta) = \\mathbb E_{\\mathcal D}\\big[(Q_\\theta(s,a) - y)^2\\big]
   + \\alpha\\, \\mathbb E_{\\mathcal D}\\big[\\log\\textstyle\\sum_{a'} e^{Q_\\theta(s,a')} - Q_\\theta(s,a)\\big],
   \\qquad y = r + \\gamma (1 - d) \\max_{a'} Q_{\\bar\\theta}(s', a'),

a soft, learned form of the pessimism of :mod:`offline.pessimism`.

**IQL** (implicit Q-learning, Kostrikov, Nair, Levine 2022) never queries actions
outside the data: an expectile regression ``V_psi(s) ~ tau-expectile of Q(s, a)`` over
logged actions, a TD loss ``(r + gamma (1 - d) V_psi(s') - Q_theta(s, a))^2``, and a
policy extracted by advantage-weighted regression, weights
``min(exp(beta (Q(s, a) - V(s))), 100)`` on ``log pi(a | s)``.

Finite horizons: pass ``horizon`` (the default features then include a one-hot of the
step ``t``); ``terminated`` transitions (the last step included) do not bootstrap.
Trajectory weighting (Hong et al. 2023) plugs in as ``sample_weights``: minibatches
are drawn with probability proportional to them (e.g.
:func:`offline.transition_weights`).

Guarantee
---------
None (nonlinear function approximation); these are the empirical baselines of the
offline-RL literature. Check their policies with :func:`offline.policy_suboptimality`
on tabular problems.

torch is imported when :func:`cql` or :func:`iql` is called; without it the call raises
an ImportError naming the ``torch`` extra.

References
----------
A. Kumar, A. Zhou, G. Tucker, S. Levine, "Conservative Q-learning for offline
reinforcement learning", NeurIPS 2020.
I. Kostrikov, A. Nair, S. Levine, "Offline reinforcement learning with implicit
Q-learning", ICLR 2022.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from rlcore.validation import check_discount, check_positive_int
from rlcore.dataset import Dataset
from rlcore.randomness import RNGLike, as_generator
from offline._common import check_dataset, check_real
from tabular._learner_common import check_device, check_hidden_sizes, init_mlp, require_torch

__all__ = ["DeepOfflineResult", "cql", "iql"]

#: ``features(observations, timesteps) -> ndarray of shape (n, d)``.
ObsFeatures = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class DeepOfflineResult:
    """A trained deep offline learner.

    Attributes
    ----------
    q_values : callable
        ``q_values(observations, t) -> ndarray of shape (n, A)`` (IQL: the critic).
    scores : callable
        ``scores(observations, t) -> ndarray of shape (n, A)`` whose argmax is the
        policy (CQL: Q; IQL: the policy's logits).
    losses : ndarray of shape (n_steps,)
        Training loss per gradient step (IQL: the sum of its three losses).
    method : str
    """

    q_values: Callable[[np.ndarray, int], np.ndarray] = field(repr=False)
    scores: Callable[[np.ndarray, int], np.ndarray] = field(repr=False)
    losses: np.ndarray = field(repr=False)
    method: str = ""

    def act(self, states: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        """Greedy actions (a :data:`rlcore.PolicyFn` for :func:`rlcore.rollout`); ties to the lowest."""
        return np.argmax(self.scores(np.asarray(states), t), axis=1).astype(np.int64)

    def policy_table(self, n_states: int, horizon: int | None = None) -> np.ndarray:
        """The greedy policy on integer states ``0 .. S-1``: shape (S,) or (H, S)."""
        S = check_positive_int(n_states, "n_states")
        states = np.arange(S)
        if horizon is None:
            return self.act(states, 0, np.random.default_rng(0))
        H = check_positive_int(horizon, "horizon")
        return np.stack([self.act(states, t, np.random.default_rng(0)) for t in range(H)])


def _default_features(data: Dataset, n_states: int | None, horizon: int | None) -> ObsFeatures:
    obs = data.observations
    if obs.ndim == 1 and obs.dtype.kind in "iu":
        if n_states is None:
            raise ValueError("n_states: required for the one-hot default features of integer observations")
        S = check_positive_int(n_states, "n_states")

        def one_hot(o: np.ndarray, t: np.ndarray) -> np.ndarray:
            x = np.zeros((o.shape[0], S + (horizon or 0)), dtype=np.float32)
            x[np.arange(o.shape[0]), np.asarray(o, dtype=np.int64)] = 1.0
            if horizon is not None:
                x[np.arange(o.shape[0]), S + np.minimum(np.asarray(t, dtype=np.int64), horizon - 1)] = 1.0
            return x

        return one_hot

    def flat(o: np.ndarray, t: np.ndarray) -> np.ndarray:
        x = np.asarray(o, dtype=np.float32).reshape(o.shape[0], -1)
        if horizon is None:
            return x
        return np.concatenate([x, np.eye(horizon, dtype=np.float32)[np.minimum(np.asarray(t, np.int64), horizon - 1)]],
                              axis=1)

    return flat


@dataclass
class _Prepared:
    x: Any
    a: Any
    r: Any
    x2: Any
    cont: Any
    probs: np.ndarray | None
    feats: ObsFeatures
    d: int


def _prepare(torch: Any, data: Dataset, n_actions: int, gamma: float, horizon: int | None, features: Any,
             n_states: int | None, sample_weights: Any, dev: Any) -> _Prepared:
    a = data.actions
    if a.ndim != 1 or a.dtype.kind not in "iu" or (a < 0).any() or (a >= n_actions).any():
        raise ValueError(f"data: discrete actions in [0, {n_actions}) of shape (N,) are required")
    if horizon is not None and data.timesteps.max() >= horizon:
        raise ValueError(f"data: timesteps reach {int(data.timesteps.max())}, expected below horizon = {horizon}")
    if features is not None and not callable(features):
        raise TypeError(f"features: expected a callable (observations, timesteps) -> (n, d), got {type(features).__name__}")
    feats: ObsFeatures = features if features is not None else _default_features(data, n_states, horizon)
    t = data.timesteps
    x = np.asarray(feats(data.observations, t), dtype=np.float32)
    x2 = np.asarray(feats(data.next_observations, t + 1), dtype=np.float32)
    n = len(data)
    if x.ndim != 2 or x.shape[0] != n or x2.shape != x.shape or not (np.all(np.isfinite(x)) and np.all(np.isfinite(x2))):
        raise ValueError(f"features: expected finite arrays of shape ({n}, d), got {x.shape} and {x2.shape}")
    cont = (~data.terminated).astype(np.float32)
    if horizon is not None:
        cont = cont * (t < horizon - 1).astype(np.float32)
    probs = None
    if sample_weights is not None:
        w = np.asarray(sample_weights, dtype=np.float64)
        if w.shape != (n,) or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"sample_weights: expected non-negative finite weights of shape ({n},) with a positive sum")
        probs = w / w.sum()

    def T(v: np.ndarray, dtype: Any) -> Any:
        return torch.as_tensor(v, dtype=dtype, device=dev)

    return _Prepared(T(x, torch.float32), T(a.astype(np.int64), torch.int64),
                     T((data.rewards).astype(np.float32), torch.float32), T(x2, torch.float32),
                     T(gamma * cont, torch.float32), probs, feats, x.shape[1])


def _check_common(data: Dataset, n_actions: int, gamma: float | None, horizon: int | None, n_steps: int,
                  batch_size: int, learning_rate: float) -> tuple[Dataset, int, float, int | None, int, int, float]:
    data = check_dataset(data)
    A = check_positive_int(n_actions, "n_actions")
    if (gamma is None) == (horizon is None):
        raise ValueError(f"gamma, horizon: give exactly one, got gamma={gamma!r}, horizon={horizon!r}")
    g = 1.0 if gamma is None else check_discount(gamma)
    H = None if horizon is None else check_positive_int(horizon, "horizon")
    return (data, A, g, H, check_positive_int(n_steps, "n_steps"), check_positive_int(batch_size, "batch_size"),
            check_real(learning_rate, "learning_rate", low=0.0, low_open=True))


def _batches(gen: np.random.Generator, n: int, batch: int, probs: np.ndarray | None, steps: int) -> np.ndarray:
    return gen.choice(n, size=(steps, batch), p=probs)


def _scorer(torch: Any, net: Any, feats: ObsFeatures, dev: Any) -> Callable[[np.ndarray, int], np.ndarray]:
    def score(observations: np.ndarray, t: int) -> np.ndarray:
        obs = np.asarray(observations)
        x = np.asarray(feats(obs, np.full(obs.shape[0], int(t))), dtype=np.float32)
        with torch.no_grad():
            return net(torch.as_tensor(x, device=dev)).cpu().numpy().astype(np.float64)

    return score


def cql(
    data: Dataset,
    n_actions: int,
    *,
    gamma: float | None = None,
    horizon: int | None = None,
    alpha: float = 1.0,
    n_steps: int = 2000,
    batch_size: int = 256,
    learning_rate: float = 3e-4,
    hidden_sizes: tuple[int, ...] = (64, 64),
    target_update_rate: float = 0.01,
    features: ObsFeatures | None = None,
    n_states: int | None = None,
    sample_weights: Any = None,
    device: Any = "cpu",
    rng: RNGLike = None,
) -> DeepOfflineResult:
    """Discrete conservative Q-learning, ``CQL(H)``, on an offline dataset.

    Parameters
    ----------
    data : Dataset
        Discrete actions in ``[0, n_actions)``.
    n_actions : int
    gamma, horizon
        Exactly one: a discount, or a finite horizon (undiscounted; time in the features).
    alpha : float >= 0
        Weight of the conservative term (0 gives fitted Q-iteration with a target net).
    n_steps, batch_size, learning_rate, hidden_sizes
        Adam steps on minibatches drawn with replacement.
    target_update_rate : float in (0, 1]
        Polyak rate of the target network.
    features : callable, optional
        ``features(observations, timesteps) -> (n, d)``; default one-hot of integer
        observations (needs ``n_states``) or the flattened float observations, plus a
        one-hot of the step under a finite horizon.
    n_states : int, optional
    sample_weights : array_like of shape (N,), optional
        Minibatch sampling weights (e.g. trajectory weighting).
    device : str
    rng : Generator, int or None
        Seeds the network initialisation and the minibatches: same seed, same result.

    Returns
    -------
    DeepOfflineResult

    Guarantee
    ---------
    None (a heuristic with nonlinear function approximation; Kumar et al. 2020 prove
    a lower-bound property only for the tabular, exact-update version).

    Examples
    --------
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> mdp = chain(3, small_reward=0.2, large_reward=1.0, horizon=3)
    >>> data = rollout(mdp, np.full((3, 2), 0.5), 50, rng=0)
    >>> res = cql(data, 2, horizon=3, n_states=3, n_steps=20, rng=0)
    >>> res.policy_table(3, 3).shape
    (3, 3)
    """
    torch = require_torch("offline.cql")
    data, A, g, H, n_steps, batch_size, lr = _check_common(data, n_actions, gamma, horizon, n_steps, batch_size,
                                                           learning_rate)
    alpha = check_real(alpha, "alpha", low=0.0)
    tau = check_real(target_update_rate, "target_update_rate", low=0.0, high=1.0, low_open=True)
    hidden = check_hidden_sizes(hidden_sizes)
    dev = check_device(torch, device)
    gen = as_generator(rng)
    p = _prepare(torch, data, A, g, H, features, n_states, sample_weights, dev)
    net = init_mlp(torch, (p.d, *hidden, A), torch.nn.ReLU, gen).to(dev)
    target = init_mlp(torch, (p.d, *hidden, A), torch.nn.ReLU, gen).to(dev)
    target.load_state_dict(net.state_dict())
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    losses = np.zeros(n_steps)
    for step, idx_np in enumerate(_batches(gen, len(data), batch_size, p.probs, n_steps)):
        idx = torch.as_tensor(idx_np, device=dev)
        x, a, r, x2, cont = p.x[idx], p.a[idx], p.r[idx], p.x2[idx], p.cont[idx]
        with torch.no_grad():
            y = r + cont * target(x2).max(dim=1).values
        q_all = net(x)
        q = q_all.gather(1, a[:, None])[:, 0]
        loss = torch.mean((q - y) ** 2) + alpha * torch.mean(torch.logsumexp(q_all, dim=1) - q)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            for tp, np_ in zip(target.parameters(), net.parameters()):
                tp.mul_(1.0 - tau).add_(tau * np_)
        losses[step] = float(loss.item())
    score = _scorer(torch, net, p.feats, dev)
    return DeepOfflineResult(q_values=score, scores=score, losses=losses, method=f"cql[alpha={alpha:g}]")


def iql(
    data: Dataset,
    n_actions: int,
    *,
    gamma: float | None = None,
    horizon: int | None = None,
    expectile: float = 0.7,
    beta: float = 3.0,
    n_steps: int = 2000,
    batch_size: int = 256,
    learning_rate: float = 3e-4,
    hidden_sizes: tuple[int, ...] = (64, 64),
    target_update_rate: float = 0.01,
    features: ObsFeatures | None = None,
    n_states: int | None = None,
    sample_weights: Any = None,
    device: Any = "cpu",
    rng: RNGLike = None,
) -> DeepOfflineResult:
    """Implicit Q-learning with a discrete advantage-weighted policy.

    Parameters
    ----------
    data : Dataset
    n_actions : int
    gamma, horizon
        Exactly one.
    expectile : float in (0, 1)
        ``tau`` of the value's expectile regression (0.5: the mean, SARSA-like; toward
        1: the max over logged actions).
    beta : float >= 0
        Inverse temperature of the advantage weights (0: behavior cloning).
    n_steps, batch_size, learning_rate, hidden_sizes, target_update_rate, features,
    n_states, sample_weights, device, rng
        As in :func:`cql`.

    Returns
    -------
    DeepOfflineResult
        ``scores`` are the policy's logits; ``q_values`` the critic.

    Guarantee
    ---------
    None (a heuristic). As ``expectile -> 1`` the value approaches the maximum of Q
    over actions in the data's support (Kostrikov et al. 2022, Lemma 1).

    Examples
    --------
    >>> from rlcore import rollout
    >>> from rlcore.generators import chain
    >>> mdp = chain(3, small_reward=0.2, large_reward=1.0, horizon=3)
    >>> data = rollout(mdp, np.full((3, 2), 0.5), 50, rng=0)
    >>> iql(data, 2, horizon=3, n_states=3, n_steps=20, rng=0).policy_table(3, 3).shape
    (3, 3)
    """
    torch = require_torch("offline.iql")
    data, A, g, H, n_steps, batch_size, lr = _check_common(data, n_actions, gamma, horizon, n_steps, batch_size,
                                                           learning_rate)
    tau_e = check_real(expectile, "expectile", low=0.0, high=1.0, low_open=True, high_open=True)
    beta = check_real(beta, "beta", low=0.0)
    tau = check_real(target_update_rate, "target_update_rate", low=0.0, high=1.0, low_open=True)
    hidden = check_hidden_sizes(hidden_sizes)
    dev = check_device(torch, device)
    gen = as_generator(rng)
    p = _prepare(torch, data, A, g, H, features, n_states, sample_weights, dev)
    qnet = init_mlp(torch, (p.d, *hidden, A), torch.nn.ReLU, gen).to(dev)
    qtarget = init_mlp(torch, (p.d, *hidden, A), torch.nn.ReLU, gen).to(dev)
    qtarget.load_state_dict(qnet.state_dict())
    vnet = init_mlp(torch, (p.d, *hidden, 1), torch.nn.ReLU, gen).to(dev)
    pnet = init_mlp(torch, (p.d, *hidden, A), torch.nn.ReLU, gen).to(dev)
    opt_q = torch.optim.Adam(qnet.parameters(), lr=lr)
    opt_v = torch.optim.Adam(vnet.parameters(), lr=lr)
    opt_p = torch.optim.Adam(pnet.parameters(), lr=lr)
    losses = np.zeros(n_steps)
    for step, idx_np in enumerate(_batches(gen, len(data), batch_size, p.probs, n_steps)):
        idx = torch.as_tensor(idx_np, device=dev)
        x, a, r, x2, cont = p.x[idx], p.a[idx], p.r[idx], p.x2[idx], p.cont[idx]
        with torch.no_grad():
            q_t = qtarget(x).gather(1, a[:, None])[:, 0]
        # value: expectile regression of Q_target(s, a) on V(s)
        v = vnet(x)[:, 0]
        diff = q_t - v
        weight = torch.where(diff > 0, torch.full_like(diff, tau_e), torch.full_like(diff, 1.0 - tau_e))
        loss_v = torch.mean(weight * diff**2)
        opt_v.zero_grad()
        loss_v.backward()
        opt_v.step()
        # critic: TD toward r + gamma V(s')
        with torch.no_grad():
            y = r + cont * vnet(x2)[:, 0]
        q = qnet(x).gather(1, a[:, None])[:, 0]
        loss_q = torch.mean((q - y) ** 2)
        opt_q.zero_grad()
        loss_q.backward()
        opt_q.step()
        # policy: advantage-weighted regression on the logged actions
        with torch.no_grad():
            adv = q_t - vnet(x)[:, 0]
            w = torch.clamp(torch.exp(beta * adv), max=100.0)
        logp = torch.log_softmax(pnet(x), dim=1).gather(1, a[:, None])[:, 0]
        loss_p = -torch.mean(w * logp)
        opt_p.zero_grad()
        loss_p.backward()
        opt_p.step()
        with torch.no_grad():
            for tp, np_ in zip(qtarget.parameters(), qnet.parameters()):
                tp.mul_(1.0 - tau).add_(tau * np_)
        losses[step] = float(loss_v.item() + loss_q.item() + loss_p.item())
    return DeepOfflineResult(q_values=_scorer(torch, qnet, p.feats, dev), scores=_scorer(torch, pnet, p.feats, dev),
                             losses=losses, method=f"iql[expectile={tau_e:g}, beta={beta:g}]")
