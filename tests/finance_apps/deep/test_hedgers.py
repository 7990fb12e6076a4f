"""The hedger networks: seeded from the caller's numpy generator (same seed, same weights;
torch's global random state untouched), PyTorch's default initial range, the forget-gate
bias, the documented shapes, and the dtype and device arguments."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from finance_apps.deep import feedforward_hedger, lstm_hedger


def _flat(net):
    return torch.cat([p.detach().reshape(-1).double() for p in net.parameters()])


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: feedforward_hedger(3, 2, hidden_sizes=(5, 4), rng=rng),
        lambda rng: lstm_hedger(3, 2, hidden_size=4, rng=rng),
    ],
    ids=["feedforward", "lstm"],
)
def test_same_seed_same_hedger_and_the_global_torch_rng_is_untouched(make):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a, b, c = make(7), make(7), make(8)
    assert torch.equal(torch.get_rng_state(), before)  # no draw from torch's global generator
    assert torch.equal(_flat(a), _flat(b)) and not torch.equal(_flat(a), _flat(c))
    # a generator is advanced: two hedgers from one generator differ
    gen = np.random.default_rng(0)
    assert not torch.equal(_flat(make(gen)), _flat(make(gen)))


def test_initial_weights_lie_in_the_default_range():
    h = feedforward_hedger(3, 2, hidden_sizes=(50, 40), rng=0)
    linears = [m for m in h.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(5, 50), (50, 40), (40, 2)]
    for m in linears:
        bound = 1.0 / math.sqrt(m.in_features)
        w, bias = m.weight.detach(), m.bias.detach()
        assert float(w.abs().max()) <= bound and float(bias.abs().max()) <= bound
        # uniform on the whole range, not a narrower one: of >= 80 draws, one lies in the
        # outer tenth with probability > 1 - 0.9^80 = 0.9998 (a fixed seed: deterministic)
        assert float(w.abs().max()) > 0.9 * bound
    lstm = lstm_hedger(3, 1, hidden_size=6, forget_bias=2.0, rng=0)
    bound = 1.0 / math.sqrt(3 + 1 + 6)
    forget = lstm.gates.bias.detach()[6:12]
    assert bool(((forget >= 2.0 - bound) & (forget <= 2.0 + bound)).all())
    others = torch.cat([lstm.gates.bias.detach()[:6], lstm.gates.bias.detach()[12:]])
    assert float(others.abs().max()) <= bound


def test_shapes_the_previous_holding_and_dtype():
    h = feedforward_hedger(2, 3, hidden_sizes=(8,), activation="tanh", rng=0)
    x = torch.randn(5, 4, 2, generator=torch.Generator().manual_seed(0))
    out = h(x)
    assert out.shape == (5, 4, 3) and out.dtype == torch.float32
    # forward is decide() unrolled, starting from no position
    prev = torch.zeros(5, 3)
    for k in range(4):
        prev = h.decide(x[:, k], prev)
        assert torch.allclose(out[:, k], prev)
    h64 = lstm_hedger(2, hidden_size=4, dtype=torch.float64, rng=0)
    assert all(p.dtype == torch.float64 for p in h64.parameters())
    assert h64(x.double()).shape == (5, 4, 1)
    assert next(feedforward_hedger(2, device="cpu", rng=0).parameters()).device.type == "cpu"


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match=r"^device\b"):
        feedforward_hedger(2, device="no-such-device")
    with pytest.raises(ValueError, match=r"^activation\b"):
        feedforward_hedger(2, activation="gelu")
    with pytest.raises(ValueError, match=r"^hidden_size\b"):
        lstm_hedger(2, hidden_size=0)
