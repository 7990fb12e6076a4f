"""Data for the offline suite's checks (private): seeded samples, relabellings, result comparison."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st

from rlcore.dataset import Dataset
from rlcore.mdp import FiniteMDP
from rlcore.simulator import rollout
from offline.data import sample_transitions
from offline.testing._suite import array_call, policy_of

__all__ = ["data_from", "differences", "map_back", "relabel_data", "relabellings"]


def data_from(mdp: FiniteMDP, weights: np.ndarray, per_pair: int, seed: int) -> tuple[Dataset, str]:
    """Data from behaviour with action weights ``weights`` (all states alike), ``per_pair`` samples on the rarest pair.

    Discounted: ``n = per_pair S / min_a w_a`` (weights normalised) i.i.d. transitions from
    ``mu(s, a) = w_a / (S sum w)``, so ``per_pair`` expected samples on the rarest pair;
    finite horizon: as many episodes of the behaviour policy ``b(a | s) = w_a / sum w``
    (each state visited as often as the dynamics bring it).
    """
    S = mdp.n_states
    w = weights / weights.sum()
    n = int(math.ceil(per_pair * S / float(w.min())))
    if mdp.horizon is None:
        mu = np.tile(w, (S, 1)) / S
        return sample_transitions(mdp, mu, n, rng=seed), f"sample_transitions(mdp, {array_call(mu)}, {n}, rng={seed})"
    b = np.tile(w, (S, 1))
    return rollout(mdp, b, n, rng=seed), f"rollout(mdp, {array_call(b)}, {n}, rng={seed})"


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def differences(first: Any, second: Any) -> list[str]:
    """Names of the parts of two results (the policy, and ``V``/``Q`` when present) that differ."""
    out = [] if _same(policy_of(first), policy_of(second)) else ["policy"]
    for attr in ("V", "Q"):
        x, y = getattr(first, attr, None), getattr(second, attr, None)
        if isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and not _same(x, y):
            out.append(attr)
    return out


@st.composite
def relabellings(draw: Any, n_states: int, n_actions: int) -> tuple[list[int], list[list[int]]]:
    sigma = draw(st.permutations(range(n_states)))
    tau = [draw(st.permutations(range(n_actions))) for _ in range(n_states)]
    return list(sigma), [list(t) for t in tau]


def relabel_data(data: Dataset, sigma: np.ndarray, tau: np.ndarray) -> Dataset:
    s = data.observations.astype(np.int64)
    return Dataset(
        observations=sigma[s],
        actions=tau[s, data.actions.astype(np.int64)],
        rewards=data.rewards,
        next_observations=sigma[data.next_observations.astype(np.int64)],
        terminated=data.terminated,
        truncated=data.truncated,
        episode_ids=data.episode_ids,
        timesteps=data.timesteps,
    )


def map_back(pi: np.ndarray, sigma: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """The policy of the original problem that a policy of the relabelled one describes.

    Original state ``s`` is ``sigma[s]`` there and original action ``a`` of ``s`` is
    ``tau[s, a]``: deterministic ``pi[..., sigma[s]] = tau[s, a]`` gives ``a``; stochastic
    ``pi[..., sigma[s], tau[s, a]]`` is the probability of ``a``.
    """
    S = sigma.shape[0]
    if np.issubdtype(pi.dtype, np.integer):
        inv = np.argsort(tau, axis=1)  # inv[s, tau[s, a]] = a
        return inv[np.arange(S), pi[..., sigma]]
    return np.take_along_axis(pi[..., sigma, :], np.broadcast_to(tau, pi.shape), axis=-1)
