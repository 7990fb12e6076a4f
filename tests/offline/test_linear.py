"""PEVI for linear MDPs (Jin, Yang, Wang 2021).

Oracles: the count-based pessimistic backward induction of :mod:`offline.pessimism`
(a second implementation: with one-hot features PEVI must reproduce it exactly, same
width ``beta / sqrt(N + lambda)`` and ridge ``lambda``), and invariances of ridge
regression (features scaled by ``k`` with ``lambda`` scaled by ``k^2`` change nothing).
"""

from __future__ import annotations

import numpy as np
import pytest

from offline import (
    empirical_model,
    one_hot_features,
    optimal_policy,
    pessimistic_value_iteration,
    pevi,
    pevi_beta,
    pevi_certificate,
    policy_suboptimality,
)
from rlcore import Dataset, rollout
from rlcore.policies import uniform

from ._helpers import small_mdp

H, S, A = 4, 5, 3


def _data(seed, n=300, behavior=None):
    mdp = small_mdp(seed, S=S, A=A, gamma=None, horizon=H)
    return mdp, rollout(mdp, uniform(S, A) if behavior is None else behavior, n, rng=seed)


def _all_q(res):
    return np.stack([res.q_values(np.arange(S), h) for h in range(H)])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("beta,lam", [(0.3, 1.0), (2.0, 0.5), (0.0, 1.0)])
def test_one_hot_pevi_equals_count_based_lcb(seed, beta, lam):
    mdp, data = _data(seed, n=60)
    res = pevi(data, one_hot_features(S, A), A, H, beta=beta, lam=lam)
    counts = empirical_model(data, S, A, horizon=H).counts
    width = beta / np.sqrt(counts + lam)
    lcb = pessimistic_value_iteration(data, S, A, horizon=H, penalty=width, ridge=lam)
    Q = _all_q(res)
    np.testing.assert_allclose(Q, lcb.Q, atol=1e-10)
    np.testing.assert_allclose(Q.max(-1), lcb.V, atol=1e-10)
    unique = (np.sort(Q, -1)[..., -1] - np.sort(Q, -1)[..., -2]) > 1e-9
    acts = np.stack([res.act(np.arange(S), h, np.random.default_rng()) for h in range(H)])
    np.testing.assert_array_equal(acts[unique], lcb.policy[unique])
    # the widths agree too
    s, a = np.repeat(np.arange(S), A), np.tile(np.arange(A), S)
    for h in range(H):
        np.testing.assert_allclose(res.width(s, a, h).reshape(S, A), width[h], atol=1e-12)


def test_scaled_features_with_scaled_ridge_give_the_same_q():
    mdp, data = _data(4, n=100)
    base = one_hot_features(S, A)
    k = 3.0
    res1 = pevi(data, base, A, H, beta=0.5, lam=1.0)
    res2 = pevi(data, lambda x, a: k * base(x, a), A, H, beta=0.5, lam=k * k)
    np.testing.assert_allclose(_all_q(res1), _all_q(res2), atol=1e-10)


def test_pevi_certificate_bounds_suboptimality_and_policy_runs():
    mdp, data = _data(5, n=20_000)
    assert pevi_beta(S * A, H, 20_000, 0.1) > 100  # the theorem's width (c = 1) is far too conservative here
    beta = H * np.sqrt(np.log(2 * H * S * A / 0.1) / 2)  # the Hoeffding width in PEVI's units (one-hot)
    res = pevi(data, one_hot_features(S, A), A, H, beta=beta)
    sub = rollout(mdp, res.act, 10, rng=0)  # the greedy policy runs as a PolicyFn
    assert len(sub) == 10 * H
    pol = np.stack([res.act(np.arange(S), h, np.random.default_rng()) for h in range(H)])
    assert policy_suboptimality(mdp, pol) <= pevi_certificate(mdp, res)
    assert pevi_certificate(mdp, res) < H  # informative on this data


def test_pevi_on_expert_data_imitates():
    mdp = small_mdp(6, S=S, A=A, gamma=None, horizon=H)
    pi = optimal_policy(mdp)
    data = rollout(mdp, pi, 200, rng=1)
    res = pevi(data, one_hot_features(S, A), A, H, beta=0.5)
    pol = np.stack([res.act(np.arange(S), h, np.random.default_rng()) for h in range(H)])
    seen = np.zeros((H, S), bool)
    seen[data.timesteps, data.observations] = True
    q = _all_q(res)
    positive = q.max(-1) > 0
    np.testing.assert_array_equal(pol[seen & positive], pi[seen & positive])


def test_invalid_inputs():
    mdp, data = _data(0, n=5)
    with pytest.raises(ValueError, match=r"^lam\b"):
        pevi(data, one_hot_features(S, A), A, H, beta=1.0, lam=0.0)
    with pytest.raises(ValueError, match=r"^data\b.*horizon"):
        pevi(data, one_hot_features(S, A), A, 2, beta=1.0)
    with pytest.raises(TypeError, match=r"^features\b"):
        pevi(data, "phi", A, H, beta=1.0)
    with pytest.raises(ValueError, match=r"^features\b"):
        pevi(data, lambda x, a: np.ones(3), A, H, beta=1.0)


@pytest.mark.parametrize(
    ("call", "exc", "param"),
    [
        (lambda d: pevi(d, one_hot_features(S, A), A, H, beta=1.0, lam=5e-324), ValueError, "lam"),  # gave NaN
        (lambda d: pevi(d, lambda x, a: np.full((x.shape[0], 2), np.nan), A, H, beta=1.0), ValueError, "features"),
        (lambda d: pevi(d, one_hot_features(S - 1, A), A, H, beta=1.0), ValueError, "features"),  # states beyond S-1
        (lambda d: pevi(d, one_hot_features(S, A), A, 10**6, beta=1.0), ValueError, "horizon"),  # H d^2 > 1e8
        (
            lambda d: pevi(d, lambda x, a: 1e200 * one_hot_features(S, A)(x, a), A, H, beta=1.0),
            ValueError,
            "lam",
        ),  # phi^T phi overflows: NaN weights before
        (lambda d: pevi(d, one_hot_features(S, A), A, H, beta=-1.0), ValueError, "beta"),
        (lambda d: pevi(d, one_hot_features(S, A), A - 1, H, beta=1.0), ValueError, "data"),  # actions >= n_actions
        (lambda d: pevi(_scaled(d, 2.0), one_hot_features(S, A), A, H, beta=1.0), ValueError, "data"),  # rewards > 1
        (lambda d: one_hot_features(10**6, 10**3), ValueError, "n_actions"),
        (lambda d: one_hot_features(S, A)(np.array([S]), np.array([0])), ValueError, "observations"),
        (lambda d: one_hot_features(S, A)(np.array([0]), np.array([0.5])), TypeError, "actions"),
        (lambda d: pevi(d, one_hot_features(S, A), A, H, beta=1.0).q_values(np.arange(S), H), ValueError, "h"),
        (lambda d: pevi_beta(0, H, 10, 0.1), ValueError, "dim"),
        (lambda d: pevi_beta(4, H, 10, 1.0), ValueError, "xi"),
        (
            lambda d: pevi_certificate(
                small_mdp(0, S=S, A=A, gamma=0.9), pevi(d, one_hot_features(S, A), A, H, beta=1.0)
            ),
            ValueError,
            "mdp",
        ),
        (
            lambda d: pevi_certificate(
                small_mdp(0, S=S + 2, A=A, gamma=None, horizon=H), pevi(d, one_hot_features(S, A), A, H, beta=1.0)
            ),
            ValueError,
            "mdp",
        ),
        (lambda d: pevi_certificate(small_mdp(0, S=S, A=A, gamma=None, horizon=H), "result"), TypeError, "result"),
    ],
)
def test_bad_arguments_are_refused_by_name(call, exc, param):
    mdp, data = _data(0, n=20)
    with pytest.raises(exc, match=rf"^{param}\b"):
        call(data)


def _scaled(data: Dataset, k: float) -> Dataset:
    return Dataset(
        observations=data.observations,
        actions=data.actions,
        rewards=k * data.rewards + 1.5,
        next_observations=data.next_observations,
        terminated=data.terminated,
        truncated=data.truncated,
        episode_ids=data.episode_ids,
        timesteps=data.timesteps,
    )
