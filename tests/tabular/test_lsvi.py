"""The LSVI core (tabular.lsvi): both forms, both signs.

Oracles: count-based backward induction on the ridge-shrunk model written here with
NumPy (with one-hot features LSVI must reproduce it: ``Lambda_h`` is diagonal with
entries ``N_h(s, a) + lambda``); a batch ridge solve with ``np.linalg.solve`` (the
statistics form against the sample form on non-orthogonal features); and PEVI, which
must be the ``sign = -1`` sample form.
"""

from __future__ import annotations

import numpy as np
import pytest

from offline import one_hot_features, pevi
from rlcore import rollout
from rlcore.generators import random_mdp
from rlcore.policies import uniform
from tabular.lsvi import least_squares_value_iteration, lsvi_backup, lsvi_plan

S, A, H = 4, 3, 3


def _samples(seed, n, S=S, A=A, H=H, p_term=0.2):
    """Random transitions: (s, a, r, s', bootstrap, h)."""
    rng = np.random.default_rng(seed)
    s = rng.integers(0, S, n)
    a = rng.integers(0, A, n)
    r = rng.random(n)
    s2 = rng.integers(0, S, n)
    boot = rng.random(n) >= p_term
    h = rng.integers(0, H, n)
    return s, a, r, s2, boot, h


def _one_hot(s, a):
    out = np.zeros((s.shape[0], S * A))
    out[np.arange(s.shape[0]), s * A + a] = 1.0
    return out


def _count_based(s, a, r, s2, boot, h, *, beta, sign, lam):
    """Count-based backward induction with the ridge-shrunk model and width beta / sqrt(N + lam)."""
    N = np.zeros((H, S, A))
    Nsas = np.zeros((H, S, A, S))
    Rsum = np.zeros((H, S, A))
    np.add.at(N, (h, s, a), 1.0)
    np.add.at(Rsum, (h, s, a), r)
    np.add.at(Nsas, (h[boot], s[boot], a[boot], s2[boot]), 1.0)
    Q = np.zeros((H, S, A))
    V = np.zeros(S)
    for t in range(H - 1, -1, -1):
        mean = (Rsum[t] + Nsas[t] @ V) / (N[t] + lam)
        Q[t] = np.clip(mean + sign * beta / np.sqrt(N[t] + lam), 0.0, H - t)
        V = Q[t].max(axis=1)
    return Q, N, Nsas, Rsum


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("sign", [-1, 1])
@pytest.mark.parametrize(("beta", "lam"), [(0.4, 1.0), (2.0, 0.3), (0.0, 1.0)])
def test_one_hot_lsvi_is_count_based_backward_induction(seed, sign, beta, lam):
    s, a, r, s2, boot, h = _samples(seed, 80)
    Q_ref, N, Nsas, Rsum = _count_based(s, a, r, s2, boot, h, beta=beta, sign=sign, lam=lam)
    # sample form: next features phi(s', b) for every action b
    nxt = np.stack([_one_hot(s2, np.full_like(s2, b)) for b in range(A)], axis=1)
    fit = least_squares_value_iteration(_one_hot(s, a), r, nxt, boot, h, horizon=H, beta=beta, sign=sign, lam=lam)
    table = np.eye(S * A).reshape(S, A, S * A)
    for t in range(H):
        q, width = lsvi_backup(
            table.reshape(S * A, -1), fit.weights[t], fit.cov_inv[t], beta=beta, sign=sign, cap=H - t
        )
        np.testing.assert_allclose(q.reshape(S, A), Q_ref[t], rtol=0, atol=1e-12)
        np.testing.assert_allclose(width.reshape(S, A), beta / np.sqrt(N[t] + lam), rtol=1e-13, atol=0)
    # statistics form: C = diag(1 / (N + lam)), b = reward sums, M = transition counts (d x S)
    cov_inv = np.stack([np.diag(1.0 / (N[t].ravel() + lam)) for t in range(H)])
    plan = lsvi_plan(table, cov_inv, Rsum.reshape(H, S * A), Nsas.reshape(H, S * A, S), beta=beta, sign=sign)
    np.testing.assert_allclose(plan.Q, Q_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(plan.V[:H], Q_ref.max(axis=2), rtol=0, atol=1e-12)
    assert np.all(plan.V[H] == 0.0)
    chosen = np.take_along_axis(plan.Q, plan.policy[..., None], axis=2)[..., 0]
    np.testing.assert_array_equal(chosen, plan.Q.max(axis=2))


@pytest.mark.parametrize("sign", [-1, 1])
def test_statistics_form_equals_sample_form(sign):
    """Non-orthogonal features: the sufficient statistics give the sample form's regressions."""
    rng = np.random.default_rng(5)
    d, lam, beta = 4, 0.7, 0.3
    table = rng.normal(size=(S, A, d))
    s, a, r, s2, _, h = _samples(6, 200)
    boot = np.ones_like(s, dtype=bool)
    phi = table[s, a]
    nxt = table[s2]  # (n, A, d)
    fit = least_squares_value_iteration(phi, r, nxt, boot, h, horizon=H, beta=beta, sign=sign, lam=lam)
    cov_inv = np.empty((H, d, d))
    b = np.zeros((H, d))
    M = np.zeros((H, d, S))
    for t in range(H):
        rows = h == t
        cov_inv[t] = np.linalg.solve(phi[rows].T @ phi[rows] + lam * np.eye(d), np.eye(d))
        b[t] = phi[rows].T @ r[rows]
        np.add.at(M[t].T, s2[rows], phi[rows])
    plan = lsvi_plan(table, cov_inv, b, M, beta=beta, sign=sign)
    np.testing.assert_allclose(plan.weights, fit.weights, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cov_inv, fit.cov_inv, rtol=1e-10, atol=1e-14)
    for t in range(H):
        q, _ = lsvi_backup(table.reshape(S * A, d), fit.weights[t], fit.cov_inv[t], beta=beta, sign=sign, cap=H - t)
        np.testing.assert_allclose(plan.Q[t], q.reshape(S, A), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("beta", "lam"), [(0.5, 1.0), (2.0, 0.25)])
def test_core_reproduces_pevi(beta, lam):
    """PEVI is the sign = -1 sample form on its data's features: identical arrays."""
    mdp = random_mdp(S, A, horizon=H, rng=3)
    data = rollout(mdp, uniform(S, A), 150, rng=4)
    res = pevi(data, one_hot_features(S, A), A, H, beta=beta, lam=lam)
    t = data.timesteps
    boot = (t < H - 1) & ~data.terminated
    nxt = np.stack([_one_hot(data.next_observations, np.full_like(data.actions, b)) for b in range(A)], axis=1)
    fit = least_squares_value_iteration(
        _one_hot(data.observations, data.actions), data.rewards, nxt, boot, t, horizon=H, beta=beta, sign=-1, lam=lam
    )
    np.testing.assert_array_equal(fit.weights, res.weights)
    np.testing.assert_array_equal(fit.cov_inv, res.cov_inv)
    # and the optimistic twin dominates it (same regressions from the same targets only when beta = 0)
    up = least_squares_value_iteration(
        _one_hot(data.observations, data.actions), data.rewards, nxt, boot, t, horizon=H, beta=beta, sign=1, lam=lam
    )
    table = np.eye(S * A)
    for h in range(H):
        lo, _ = lsvi_backup(table, fit.weights[h], fit.cov_inv[h], beta=beta, sign=-1, cap=H - h)
        hi, _ = lsvi_backup(table, up.weights[h], up.cov_inv[h], beta=beta, sign=1, cap=H - h)
        np.testing.assert_allclose(lo.reshape(S, A), res.q_values(np.arange(S), h), rtol=0, atol=0)
        assert np.all(hi >= lo)


def test_steps_without_data_get_the_prior():
    s, a, r, s2, boot, h = _samples(1, 30)
    h[:] = 0  # nothing at steps 1 and 2
    nxt = np.zeros((30, A, S * A))
    fit = least_squares_value_iteration(_one_hot(s, a), r, nxt, boot, h, horizon=H, beta=1.0, sign=1, lam=2.0)
    for t in (1, 2):
        np.testing.assert_array_equal(fit.cov_inv[t], np.eye(S * A) / 2.0)
        np.testing.assert_array_equal(fit.weights[t], 0.0)


def test_bad_arguments_are_refused_by_name():
    s, a, r, s2, boot, h = _samples(0, 10)
    phi = _one_hot(s, a)
    nxt = np.zeros((10, A, S * A))
    kw = dict(horizon=H, beta=1.0, sign=1, lam=1.0)
    table = np.eye(S * A).reshape(S, A, S * A)
    C = np.stack([np.eye(S * A)] * H)
    b, M = np.zeros((H, S * A)), np.zeros((H, S * A, S))
    bad = [
        (lambda: least_squares_value_iteration(phi, r, nxt, boot, h, **{**kw, "sign": 0}), ValueError, "sign"),
        (lambda: least_squares_value_iteration(phi, r, nxt, boot, h, **{**kw, "lam": 0.0}), ValueError, "lam"),
        (lambda: least_squares_value_iteration(phi, r, nxt, boot, h, **{**kw, "beta": -1.0}), ValueError, "beta"),
        (lambda: least_squares_value_iteration(phi, r, nxt, boot, h, **{**kw, "horizon": 0}), ValueError, "horizon"),
        (lambda: least_squares_value_iteration(phi, r, nxt, boot, h, **{**kw, "horizon": 2}), ValueError, "steps"),
        (lambda: least_squares_value_iteration(phi, r, nxt[:, :, :3], boot, h, **kw), ValueError, "next_features"),
        (lambda: least_squares_value_iteration(phi, r[:5], nxt, boot, h, **kw), ValueError, "rewards"),
        (lambda: least_squares_value_iteration(phi * np.nan, r, nxt, boot, h, **kw), ValueError, "features"),
        (lambda: least_squares_value_iteration(phi, r, nxt, boot.astype(int), h, **kw), TypeError, "bootstrap"),
        (lambda: least_squares_value_iteration(1e200 * phi, r, nxt, boot, h, **kw), ValueError, "lam"),  # overflow
        (lambda: lsvi_backup(phi, np.zeros(3), np.eye(S * A), beta=1.0, sign=1, cap=1.0), ValueError, "weights"),
        (lambda: lsvi_backup(phi, np.zeros(S * A), np.eye(S * A), beta=1.0, sign=1, cap=-1.0), ValueError, "cap"),
        (lambda: lsvi_plan(table, C[:, :3, :3], b, M, beta=1.0, sign=1), ValueError, "cov_inv"),
        (lambda: lsvi_plan(table, C, b[:, :3], M, beta=1.0, sign=1), ValueError, "b"),
        (lambda: lsvi_plan(table, C, b, M[..., :2], beta=1.0, sign=1), ValueError, "M"),
        (lambda: lsvi_plan(table, C, b, M, beta=1.0, sign=1, terminal=np.zeros(2, bool)), ValueError, "terminal"),
    ]
    for call, exc, name in bad:
        with pytest.raises(exc, match=rf"^{name}\b"):
            call()
