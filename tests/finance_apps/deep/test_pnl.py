"""The differentiable P&L against the numpy accounting (the same numbers) and its gradient."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from finance_apps import hedging_pnl
from finance_apps.deep import hedging_pnl_torch


@pytest.mark.parametrize("liquidate", [False, True])
def test_torch_pnl_equals_the_numpy_pnl(liquidate):
    rng = np.random.default_rng(0)
    n, m, d = 9, 4, 2
    S = np.exp(0.1 * rng.standard_normal((n, m + 1, d)))
    D = rng.standard_normal((n, m, d))
    Z = rng.random(n)
    c = np.array([0.01, 0.02])
    got = hedging_pnl_torch(torch.tensor(S), torch.tensor(D), torch.tensor(Z), torch.tensor(c), liquidate=liquidate)
    np.testing.assert_allclose(got.numpy(), hedging_pnl(S, D, Z, cost=c, liquidate=liquidate), rtol=0, atol=1e-13)


def test_gradient_with_respect_to_the_holdings():
    # without costs d PL / d delta_k = S_{k+1} - S_k
    S = torch.tensor([[[1.0], [1.1], [0.95]]], dtype=torch.float64)
    D = torch.tensor([[[0.5], [0.4]]], dtype=torch.float64, requires_grad=True)
    hedging_pnl_torch(S, D, torch.zeros(1, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(D.grad.numpy().ravel(), [0.1, -0.15], atol=1e-15)
