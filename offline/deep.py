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
on tabular problems, as the tests do: on data mixing 30% expert and 70% poor episodes,
every seed's greedy policy reaches 75% of the optimal return, above the behavior
return and above behavior cloning. Tested by
``tests/offline/test_deep.py::test_reaches_a_fraction_of_the_optimal_return_from_mixed_data``.

The networks are :func:`rlcore.deep.build_mlp`'s, initialised from ``rng`` (torch's
global random state is left untouched); torch is imported through
:func:`rlcore.deep.require_torch` when :func:`cql` or :func:`iql` is called, and
without it the call raises an ImportError naming the ``torch`` extra.

References
----------
A. Kumar, A. Zhou, G. Tucker, S. Levine, "Conservative Q-learning for offline
reinforcement learning", NeurIPS 2020.
I. Kostrikov, A. Nair, S. Levine, "Offline reinforcement learning with implicit
Q-learning", ICLR 2022.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np

from rlcore.dataset import Dataset
from rlcore.deep import build_mlp, require_torch, resolve_device
from rlcore.deep.layer import MAX_LAYERS, MAX_WIDTH
from rlcore.progress import PROGRESS, progress_bar
from rlcore.results import Result
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import (
    RNG,
    Device,
    Integer,
    InvalidParameterError,
    IsCallable,
    Real,
    Sequence_,
    as_float_array,
    check_positive_int,
    validate_params,
)
from offline._common import exactly_one
from offline._constraints import (
    MAX_BATCH,
    MAX_GRADIENT_STEPS,
    MAX_HORIZON,
    MAX_STATES,
    OfflineData,
    Weights,
)

__all__ = ["DeepOfflineResult", "cql", "iql"]

#: ``features(observations, timesteps) -> ndarray of shape (n, d)``.
ObsFeatures = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True, repr=False)
class DeepOfflineResult(Result):
    """A trained deep offline learner.

    Attributes
    ----------
    Q : callable
        ``Q(observations, t) -> ndarray of shape (n, A)``, the learned action values
        (IQL: the critic).
    scores : callable
        ``scores(observations, t) -> ndarray of shape (n, A)`` whose argmax is the
        policy (CQL: Q; IQL: the policy's logits).
    losses : ndarray of shape (n_steps,)
        Training loss per gradient step (IQL: the sum of its three losses).
    method : str
    n_steps : int
        Gradient steps taken.
    """

    Q: Callable[[np.ndarray, int], np.ndarray]
    scores: Callable[[np.ndarray, int], np.ndarray]
    losses: np.ndarray
    method: str = ""
    n_steps: int = 0

    def act(self, states: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        """Greedy actions (a :data:`rlcore.PolicyFn` for :func:`rlcore.rollout`); ties to the lowest."""
        return np.argmax(self.scores(np.asarray(states), t), axis=1).astype(np.int64)

    def policy_table(self, n_states: int, horizon: int | None = None) -> np.ndarray:
        """The greedy policy on integer states ``0 .. S-1``: shape (S,) or (H, S)."""
        S = check_positive_int(n_states, "n_states", high=MAX_STATES)
        states = np.arange(S)
        if horizon is None:
            return self.act(states, 0, np.random.default_rng(0))
        H = check_positive_int(horizon, "horizon", high=MAX_HORIZON)
        return np.stack([self.act(states, t, np.random.default_rng(0)) for t in range(H)])


#: The constraints :func:`cql` and :func:`iql` share (declared once, used by each).
COMMON = dict(
    data=OfflineData(actions="n_actions", horizon="horizon"),
    n_actions=Integer(1, MAX_WIDTH),
    gamma=Real(0, 1, closed="left") | None,
    horizon=Integer(1, MAX_HORIZON) | None,
    n_steps=Integer(1, MAX_GRADIENT_STEPS),
    batch_size=Integer(1, MAX_BATCH),
    learning_rate=Real(0, 1, closed="right"),
    hidden_sizes=Integer(1, MAX_WIDTH) | Sequence_(Integer(1, MAX_WIDTH), min_len=0, max_len=MAX_LAYERS),
    target_update_rate=Real(0, 1, closed="right"),
    features=IsCallable("a callable features(observations, timesteps) -> array of shape (n, d)") | None,
    n_states=Integer(1, MAX_STATES) | None,
    sample_weights=Weights("data.rewards.size") | None,
    device=Device(),
    rng=RNG(),
    progress=PROGRESS,
)
#: Largest reward magnitude: the networks compute in float32.
_FLOAT32_SAFE = 1e15


def _default_features(data: Dataset, n_states: int | None, horizon: int | None) -> ObsFeatures:
    obs = data.observations
    if obs.ndim == 1 and obs.dtype.kind in "iu":
        if n_states is None:
            raise InvalidParameterError(
                "n_states", "required for the one-hot default features of integer observations (or pass features)"
            )
        S = n_states
        for col in ("observations", "next_observations"):
            arr = getattr(data, col)
            bad = (arr < 0) | (arr >= S)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InvalidParameterError(
                    "data",
                    f"{col}[{i}] = {arr[i]} lies outside [0, {S}) (n_states = {S}), "
                    "as the one-hot default features need",
                )

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
        return np.concatenate(
            [x, np.eye(horizon, dtype=np.float32)[np.minimum(np.asarray(t, np.int64), horizon - 1)]], axis=1
        )

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


def _features(feats: ObsFeatures, observations: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The features of a batch as float32, checked: finite, shape (n, d) with d >= 1."""
    n = observations.shape[0]
    try:
        raw = feats(observations, t)
    except (ValueError, TypeError, IndexError) as exc:
        raise InvalidParameterError(
            "features", f"failed on the data's observations ({type(exc).__name__}: {exc})"
        ) from None
    x = as_float_array(raw, "features")
    if x.ndim != 2 or x.shape[0] != n or x.shape[1] < 1:
        raise InvalidParameterError("features", f"expected an array of shape ({n}, d), got shape {x.shape}")
    x32 = x.astype(np.float32)
    if not np.all(np.isfinite(x32)):
        raise InvalidParameterError("features", "values overflow float32 (the networks' precision); rescale them")
    return x32


def _prepare(
    torch: Any,
    data: Dataset,
    gamma: float,
    horizon: int | None,
    features: Any,
    n_states: int | None,
    sample_weights: np.ndarray | None,
    dev: Any,
) -> _Prepared:
    if np.max(np.abs(data.rewards)) > _FLOAT32_SAFE:
        raise InvalidParameterError(
            "data",
            f"rewards beyond {_FLOAT32_SAFE:g} in magnitude overflow the networks' "
            "float32 arithmetic; rescale the rewards",
        )
    feats: ObsFeatures = features if features is not None else _default_features(data, n_states, horizon)
    t = data.timesteps
    x = _features(feats, data.observations, t)
    x2 = _features(feats, data.next_observations, t + 1)
    if x2.shape != x.shape:
        raise InvalidParameterError(
            "features", f"expected the same dimension for next observations, got {x.shape} and {x2.shape}"
        )
    cont = (~data.terminated).astype(np.float32)
    if horizon is not None:
        cont = cont * (t < horizon - 1).astype(np.float32)
    probs = None
    if sample_weights is not None:
        w = sample_weights / sample_weights.max()
        probs = w / w.sum()

    def T(v: np.ndarray, dtype: Any) -> Any:
        return torch.as_tensor(v, dtype=dtype, device=dev)

    return _Prepared(
        T(x, torch.float32),
        T(data.actions.astype(np.int64), torch.int64),
        T((data.rewards).astype(np.float32), torch.float32),
        T(x2, torch.float32),
        T(gamma * cont, torch.float32),
        probs,
        feats,
        x.shape[1],
    )


def _setup(
    torch: Any, gamma: float | None, horizon: int | None, hidden_sizes: Any, device: Any
) -> tuple[float, tuple[int, ...], Any]:
    """Relations and the device, checked before any work: ``(discount, hidden sizes, torch device)``."""
    exactly_one(gamma, horizon)
    hidden = (hidden_sizes,) if isinstance(hidden_sizes, int) else tuple(hidden_sizes)
    dev = resolve_device(device)
    try:
        torch.empty(1, device=dev)
    except (RuntimeError, AssertionError, ValueError) as exc:
        raise InvalidParameterError("device", f"cannot allocate on {dev} ({type(exc).__name__}: {exc})") from None
    return (1.0 if gamma is None else gamma), hidden, dev


def _batches(
    gen: np.random.Generator, n: int, batch: int, probs: np.ndarray | None, steps: int
) -> Iterator[np.ndarray]:
    """Minibatch indices, one array per step, drawn in chunks of bounded memory."""
    chunk = max(1, 2**20 // batch)
    for start in range(0, steps, chunk):
        yield from gen.choice(n, size=(min(chunk, steps - start), batch), p=probs)


#: Upper limit of the weights of one network (4 bytes each; 4 GB at the limit).
MAX_NETWORK_WEIGHTS = 10**9


def _check_network(d: int, hidden: tuple[int, ...], A: int, user_features: bool) -> None:
    """Refuse a network :func:`rlcore.deep.build_mlp` cannot build, or one too large, naming the argument."""
    if d > MAX_WIDTH:
        raise InvalidParameterError(
            "features" if user_features else "n_states",
            f"the feature dimension is {d}, above {MAX_WIDTH}, the widest layer of the library's networks",
        )
    sizes = (d, *hidden, A)
    n = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(sizes) - 1))
    if n > MAX_NETWORK_WEIGHTS:
        raise InvalidParameterError(
            "hidden_sizes", f"the network {sizes} has {n} weights, more than the limit {MAX_NETWORK_WEIGHTS}"
        )


def _finite_loss(loss: float, step: int, user_features: bool) -> float:
    """The loss of a step, refused when not finite: before any update the inputs are too large for
    float32 (named ``features`` or ``data``), later the training diverged (named ``learning_rate``)."""
    if math.isfinite(loss):
        return loss
    if step == 0:
        raise InvalidParameterError(
            "features" if user_features else "data",
            f"the loss of the initial networks is {loss}: the features or rewards are too "
            "large for the networks' float32 arithmetic; rescale them",
        )
    raise InvalidParameterError(
        "learning_rate",
        f"training diverged at step {step} (loss = {loss}); lower the "
        "learning_rate (or rescale the rewards or features)",
    )


def _scorer(torch: Any, net: Any, feats: ObsFeatures, dev: Any) -> Callable[[np.ndarray, int], np.ndarray]:
    def score(observations: np.ndarray, t: int) -> np.ndarray:
        obs = np.asarray(observations)
        x = np.asarray(feats(obs, np.full(obs.shape[0], int(t))), dtype=np.float32)
        with torch.no_grad():
            return net(torch.as_tensor(x, device=dev)).cpu().numpy().astype(np.float64)

    return score


@validate_params(alpha=Real(0, 1e6), **COMMON)
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
    progress: bool | None = None,
) -> DeepOfflineResult:
    """Discrete conservative Q-learning, ``CQL(H)``, on an offline dataset.

    Parameters
    ----------
    data : Dataset
        Non-empty; discrete actions in ``[0, n_actions)`` of shape (N,); timesteps
        below ``horizon`` when given; rewards at most ``1e15`` in magnitude (the
        networks compute in float32).
    n_actions : int in [1, 16384]
        The width of the networks' output layer.
    gamma : float in [0, 1), optional
    horizon : int in [1, 10**6], optional
        Exactly one of ``gamma`` and ``horizon``: a discount, or a finite horizon
        (undiscounted; time in the features).
    alpha : float in [0, 1e6]
        Weight of the conservative term (0 gives fitted Q-iteration with a target net).
    n_steps : int in [1, 10**7]
        Adam steps on minibatches drawn with replacement (one loss is stored per step).
    batch_size : int in [1, 10**6]
    learning_rate : float in (0, 1]
        Adam's step size. A run whose loss stops being finite is refused (an
        ``InvalidParameterError`` naming ``learning_rate``, or ``features``/``data``
        when the very first loss overflows float32), never returned with NaN.
    hidden_sizes : int or sequence of int
        Widths in ``[1, 16384]`` of at most 64 hidden layers (``()``: a linear model);
        at most ``10**9`` weights per network (the limits of :func:`rlcore.deep.build_mlp`).
    target_update_rate : float in (0, 1]
        Polyak rate of the target network.
    features : callable, optional
        ``features(observations, timesteps) -> (n, d)``, finite in float32; default
        one-hot of integer observations (needs ``n_states``, states in ``[0, S)``) or
        the flattened float observations, plus a one-hot of the step under a finite
        horizon. The dimension ``d`` is at most 16384 (the widest layer).
    n_states : int in [1, 10**6], optional
        With the default one-hot features, ``n_states`` (plus ``horizon``) is ``d``.
    sample_weights : array_like of shape (N,), optional
        Minibatch sampling weights (e.g. trajectory weighting): non-negative, with a
        positive sum.
    device : str or torch.device
        Where to train; refused when torch cannot allocate there.
    rng : Generator, int or None
        Seeds the network initialisation and the minibatches: same seed, same result.
    progress : bool or None, default None
        Show a progress bar over the gradient steps on standard error (see
        :mod:`rlcore.progress`); None follows :func:`rlcore.set_progress` (off by
        default). The result does not depend on it.

    Returns
    -------
    DeepOfflineResult

    Guarantee
    ---------
    None (a heuristic with nonlinear function approximation; Kumar et al. 2020 prove
    a lower-bound property only for the tabular, exact-update version). What the tests
    check instead: 75% of the optimal return from mixed data on every seed, tested by
    ``tests/offline/test_deep.py::test_reaches_a_fraction_of_the_optimal_return_from_mixed_data``.

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
    g, hidden, dev = _setup(torch, gamma, horizon, hidden_sizes, device)
    A, H, lr, tau = n_actions, horizon, learning_rate, target_update_rate
    gen = as_generator(rng)
    p = _prepare(torch, data, g, H, features, n_states, sample_weights, dev)
    _check_network(p.d, hidden, A, features is not None)
    net = build_mlp((p.d, *hidden, A), activation="relu", rng=gen, device=dev)
    target = build_mlp((p.d, *hidden, A), activation="relu", rng=gen, device=dev)
    target.load_state_dict(net.state_dict())
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    losses = np.zeros(n_steps)
    with progress_bar(n_steps, desc="cql", progress=progress, unit="step") as bar:
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
            losses[step] = _finite_loss(float(loss.item()), step, features is not None)
            bar.update(1)
    score = _scorer(torch, net, p.feats, dev)
    return DeepOfflineResult(Q=score, scores=score, losses=losses, method=f"cql[alpha={alpha:g}]", n_steps=n_steps)


@validate_params(expectile=Real(0, 1, closed="neither"), beta=Real(0, 1e6), **COMMON)
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
    progress: bool | None = None,
) -> DeepOfflineResult:
    """Implicit Q-learning with a discrete advantage-weighted policy.

    Parameters
    ----------
    data : Dataset
    n_actions : int in [1, 16384]
    gamma, horizon
        Exactly one.
    expectile : float in (0, 1)
        ``tau`` of the value's expectile regression (0.5: the mean, SARSA-like; toward
        1: the max over logged actions).
    beta : float in [0, 1e6]
        Inverse temperature of the advantage weights (0: behavior cloning; the weights
        are capped at 100, so larger values change nothing).
    n_steps, batch_size, learning_rate, hidden_sizes, target_update_rate, features,
    n_states, sample_weights, device, rng, progress
        As in :func:`cql`.

    Returns
    -------
    DeepOfflineResult
        ``scores`` are the policy's logits; ``Q`` the critic.

    Guarantee
    ---------
    None (a heuristic; Kostrikov et al. 2022, Lemma 1, show only that the expectile
    value approaches the maximum of Q over the data's actions as ``expectile -> 1``).
    What the tests check instead: 75% of the optimal return from mixed data on every
    seed, tested by
    ``tests/offline/test_deep.py::test_reaches_a_fraction_of_the_optimal_return_from_mixed_data``.

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
    g, hidden, dev = _setup(torch, gamma, horizon, hidden_sizes, device)
    A, H, lr, tau, tau_e = n_actions, horizon, learning_rate, target_update_rate, expectile
    gen = as_generator(rng)
    p = _prepare(torch, data, g, H, features, n_states, sample_weights, dev)
    _check_network(p.d, hidden, A, features is not None)
    qnet = build_mlp((p.d, *hidden, A), activation="relu", rng=gen, device=dev)
    qtarget = build_mlp((p.d, *hidden, A), activation="relu", rng=gen, device=dev)
    qtarget.load_state_dict(qnet.state_dict())
    vnet = build_mlp((p.d, *hidden, 1), activation="relu", rng=gen, device=dev)
    pnet = build_mlp((p.d, *hidden, A), activation="relu", rng=gen, device=dev)
    opt_q = torch.optim.Adam(qnet.parameters(), lr=lr)
    opt_v = torch.optim.Adam(vnet.parameters(), lr=lr)
    opt_p = torch.optim.Adam(pnet.parameters(), lr=lr)
    losses = np.zeros(n_steps)
    with progress_bar(n_steps, desc="iql", progress=progress, unit="step") as bar:
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
            losses[step] = _finite_loss(
                float(loss_v.item() + loss_q.item() + loss_p.item()), step, features is not None
            )
            bar.update(1)
    return DeepOfflineResult(
        Q=_scorer(torch, qnet, p.feats, dev),
        scores=_scorer(torch, pnet, p.feats, dev),
        losses=losses,
        method=f"iql[expectile={tau_e:g}, beta={beta:g}]",
        n_steps=n_steps,
    )
