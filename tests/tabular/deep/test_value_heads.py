"""Tests of tabular.deep.value_heads: the targets and losses of a Q-network's value head.

Independent sources: the NumPy references rlcore.deep.targets.hl_gauss_probs and
rlcore.deep.targets.two_hot (encodings), rlcore.categorical_projection (the C51 target),
a brute-force double loop over Eq. 10 of Dabney et al. (2018) (the quantile loss), and
closed forms (scalar targets, means of uniform distributions). torch runs single-threaded.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given
from hypothesis import strategies as st

from rlcore import DiscreteDistribution, categorical_projection
from rlcore.deep.targets import hl_gauss_probs, two_hot
from tabular.deep.value_heads import LOSSES, value_head


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


_Y = st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=20)
_SUPPORT = st.tuples(st.floats(-50.0, 50.0), st.floats(0.5, 200.0))  # (v_min, width)


@given(y=_Y, support=_SUPPORT, m=st.integers(2, 80), ratio=st.sampled_from([0.1, 0.75, 2.0]))
def test_hl_gauss_matches_numpy_reference(y, support, m, ratio):
    lo, width = support
    hi = lo + width
    head = value_head("hl_gauss", n_bins=m, v_min=lo, v_max=hi, sigma_ratio=ratio)
    got = head.encode(torch.tensor(y, dtype=torch.float64)).numpy()
    ref = hl_gauss_probs(np.asarray(y), lo, hi, m, sigma=ratio * width / m)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)


@given(y=_Y, support=_SUPPORT, m=st.integers(2, 80))
def test_two_hot_matches_numpy_reference(y, support, m):
    lo, width = support
    hi = lo + width
    head = value_head("two_hot", n_bins=m, v_min=lo, v_max=hi)
    got = head.encode(torch.tensor(y, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, two_hot(np.asarray(y), lo, hi, m), rtol=0, atol=1e-6)


def test_float32_encodings_match_the_references_to_float32_precision():
    y = np.random.default_rng(0).uniform(-20, 130, size=200)
    for loss, ref in (
        ("hl_gauss", hl_gauss_probs(y, 0.0, 110.0, 51)),
        ("two_hot", two_hot(y, 0.0, 110.0, 51)),
    ):
        head = value_head(loss, n_bins=51, v_min=0.0, v_max=110.0)
        got = head.encode(torch.tensor(y, dtype=torch.float32)).numpy()
        np.testing.assert_allclose(got, ref, rtol=0, atol=2e-5, err_msg=loss)


def test_c51_target_matches_categorical_projection():
    rng = np.random.default_rng(1)
    for m, lo, hi in ((2, -1.0, 1.0), (11, 0.0, 10.0), (51, -10.0, 90.0)):
        head = value_head("c51", n_bins=m, v_min=lo, v_max=hi)
        z = np.linspace(lo, hi, m)
        n = 40
        p = rng.dirichlet(np.full(m, 0.3), size=n)
        r = rng.uniform(-2 * (hi - lo), 2 * (hi - lo), size=n)  # shifts in and out of the support
        d = rng.choice([0.0, 0.5, 0.9, 0.99, 1.0], size=n)
        got = head.target(
            torch.tensor(np.log(p + 1e-300)), torch.tensor(r), torch.tensor(d)
        ).numpy()  # logits -> softmax recovers p
        ref = categorical_projection(DiscreteDistribution(r[:, None] + d[:, None] * z[None, :], p), z).probs
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
        np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-12)


def _qr_loss_brute(theta: np.ndarray, targets: np.ndarray, kappa: float) -> float:
    n, N = theta.shape
    total = 0.0
    for b in range(n):
        for i in range(N):
            tau = (2 * i + 1) / (2 * N)
            acc = 0.0
            for j in range(targets.shape[1]):
                u = targets[b, j] - theta[b, i]
                huber = 0.5 * u * u if abs(u) <= kappa else kappa * (abs(u) - 0.5 * kappa)
                acc += abs(tau - (1.0 if u < 0 else 0.0)) * huber
            total += acc / targets.shape[1]
    return total / n


def test_quantile_huber_loss_matches_brute_force():
    rng = np.random.default_rng(2)
    for N, kappa in ((1, 1.0), (5, 1.0), (8, 0.3)):
        head = value_head("quantile", n_quantiles=N, huber_delta=kappa)
        theta = rng.normal(size=(6, N)) * 3
        nxt = rng.normal(size=(6, N)) * 3
        r, d = rng.normal(size=6), rng.choice([0.0, 0.9], size=6)
        tgt = head.target(torch.tensor(nxt), torch.tensor(r), torch.tensor(d))
        np.testing.assert_allclose(tgt.numpy(), r[:, None] + d[:, None] * nxt)
        got = float(head.loss(torch.tensor(theta), tgt))
        assert got == pytest.approx(_qr_loss_brute(theta, r[:, None] + d[:, None] * nxt, kappa), rel=1e-12)


def test_scalar_heads_target_and_loss_closed_form():
    out = torch.tensor([[1.0, 4.0], [2.0, -3.0]], dtype=torch.float64)  # 2 states, 2 actions
    r, d = torch.tensor([1.0, 2.0], dtype=torch.float64), torch.tensor([0.9, 0.0], dtype=torch.float64)
    for loss in ("mse", "huber"):
        head = value_head(loss)
        assert torch.equal(head.q_values(out), out)
        sel = head.select(out, torch.tensor([1, 0]))
        assert sel[:, 0].tolist() == [4.0, 2.0]
        y = head.target(sel, r, d)
        assert y.tolist() == pytest.approx([1.0 + 0.9 * 4.0, 2.0])
    pred = torch.tensor([[0.0], [3.0]], dtype=torch.float64)
    y = torch.tensor([2.0, 3.5], dtype=torch.float64)
    assert float(value_head("mse").loss(pred, y)) == pytest.approx((4.0 + 0.25) / 2)
    # Huber(delta=1): |u| = 2 -> 1.5, |u| = 0.5 -> 0.125
    assert float(value_head("huber").loss(pred, y)) == pytest.approx((1.5 + 0.125) / 2)


def test_categorical_q_values_are_means_and_two_hot_preserves_the_mean():
    head = value_head("hl_gauss", n_bins=10, v_min=0.0, v_max=10.0)
    out = torch.zeros(3, 2 * 10, dtype=torch.float64)
    np.testing.assert_allclose(head.q_values(out).numpy(), 5.0)  # uniform on centres 0.5..9.5
    th = value_head("two_hot", n_bins=11, v_min=-5.0, v_max=5.0)
    y = torch.tensor([-4.3, 0.0, 2.71, 4.99], dtype=torch.float64)
    logits = torch.log(th.encode(y) + 1e-300)
    np.testing.assert_allclose(th.value(logits).numpy(), y.numpy(), atol=1e-9)
    # a two-hot cross-entropy is minimal (the entropy of the target) at the target itself
    t = th.encode(y)
    ce_at_target = float(th.loss(logits, t))
    ce_other = float(th.loss(torch.zeros_like(logits), t))
    assert ce_at_target < ce_other


def test_select_picks_the_actions_block():
    head = value_head("quantile", n_quantiles=3)
    out = torch.arange(2 * 2 * 3, dtype=torch.float64).reshape(2, 6)  # A = 2, k = 3
    got = head.select(out, torch.tensor([1, 0]))
    assert got.tolist() == [[3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]
    assert head.q_values(out).tolist() == [[1.0, 4.0], [7.0, 10.0]]


def test_config_round_trip_and_outputs():
    for loss in LOSSES:
        kw = {"v_min": -1.0, "v_max": 1.0} if loss in ("hl_gauss", "two_hot", "c51") else {}
        head = value_head(loss, n_bins=7, n_quantiles=5, **kw)
        again = value_head(**head.config())
        assert again.config() == head.config()
        assert head.n_outputs == {"mse": 1, "huber": 1, "quantile": 5}.get(loss, 7)


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match="^loss"):
        value_head("l1")
    with pytest.raises(ValueError, match="^v_min"):
        value_head("hl_gauss", v_max=10.0)
    with pytest.raises(ValueError, match="^v_max"):
        value_head("c51", v_min=1.0, v_max=1.0)
    with pytest.raises(ValueError, match="^v_min: only the categorical heads"):
        value_head("mse", v_min=0.0, v_max=10.0)  # a support a scalar head would silently ignore
    with pytest.raises(ValueError, match="^n_bins"):
        value_head("two_hot", n_bins=1, v_min=0.0, v_max=1.0)
    with pytest.raises(TypeError, match="^n_quantiles"):
        value_head("quantile", n_quantiles=2.5)
