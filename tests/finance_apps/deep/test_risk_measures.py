"""The torch risk measures against the numpy ones (the same value, to rounding), their
gradients against the closed form, the OCE objective minimised by gradient descent, the
``torch`` methods of the numpy classes, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from finance_apps import EntropicRisk, ExpectedShortfall
from finance_apps.deep import entropic_risk_torch, expected_shortfall_torch, oce_objective_torch
from finance_apps.risk_measures import entropic_risk, expected_shortfall


def test_torch_versions_match_numpy_and_differentiate():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(101)
    t = torch.tensor(x, requires_grad=True)
    for alpha in (0.05, 0.1, 0.5, 1.0):
        assert float(expected_shortfall_torch(t, alpha).detach()) == pytest.approx(
            expected_shortfall(x, alpha), abs=1e-12
        )
    assert float(entropic_risk_torch(t, 2.0).detach()) == pytest.approx(entropic_risk(x, 2.0), abs=1e-12)
    # gradient of the entropic risk: -softmax(-a x)
    entropic_risk_torch(t, 2.0).backward()
    w = np.exp(-2.0 * x - np.max(-2.0 * x))
    np.testing.assert_allclose(t.grad.numpy(), -w / w.sum(), atol=1e-12)
    # OCE objective minimised over w by gradient descent gives the CVaR
    xt = torch.tensor(x)
    w0 = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w0], lr=0.05)
    for _ in range(2000):
        opt.zero_grad()
        oce_objective_torch(xt, w0, lambda u: torch.relu(u) / 0.5).backward()
        opt.step()
    val = float(oce_objective_torch(xt, w0.detach(), lambda u: torch.relu(u) / 0.5))
    assert val == pytest.approx(expected_shortfall(x, 0.5), abs=2e-2)


def test_the_classes_torch_methods_are_the_torch_measures():
    x = torch.tensor([0.3, -1.2, 0.5, 2.0], dtype=torch.float64)
    assert float(EntropicRisk(2.0).torch(x)) == float(entropic_risk_torch(x, 2.0))
    assert float(ExpectedShortfall(0.5).torch(x)) == float(expected_shortfall_torch(x, 0.5))
    assert float(EntropicRisk(2.0).torch(x)) == pytest.approx(EntropicRisk(2.0)(x.numpy()), abs=1e-12)


@pytest.mark.parametrize(
    "call,exc,name",
    [
        (lambda: entropic_risk_torch([1.0, 2.0]), TypeError, "pnl"),
        (lambda: entropic_risk_torch(torch.zeros(0)), ValueError, "pnl"),
        (lambda: entropic_risk_torch(torch.zeros(2, 2)), ValueError, "pnl"),
        (lambda: entropic_risk_torch(torch.zeros(2), 0.0), ValueError, "risk_aversion"),
        (lambda: expected_shortfall_torch(torch.zeros(2), 1.5), ValueError, "alpha"),
    ],
)
def test_bad_input_is_refused_by_name(call, exc, name):
    with pytest.raises(exc, match=rf"^{name}\b"):
        call()
