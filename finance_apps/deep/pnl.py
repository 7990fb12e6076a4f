r"""The hedging P&L of torch tensors: the differentiable twin of :func:`finance_apps.hedging_pnl`.

:func:`hedging_pnl_torch` computes, with premium 0, the same P&L as
:func:`finance_apps.hedging_pnl` (the formula is on :mod:`finance_apps.pnl`),

.. math:: -Z + \sum_k \delta_k \cdot (S_{k+1} - S_k)
          - \sum_k c\,|\delta_k - \delta_{k-1}|\,S_k \;[- c\,|\delta_{n-1}|\,S_n],

on tensors, so that gradients flow from a risk measure of the P&L back to the hedger's
parameters (:func:`finance_apps.deep.train_hedger`). It does not validate its input:
the training loop checks the arrays once, before the first step.
"""

from __future__ import annotations

from typing import Any

from rlcore.deep import require_torch
from rlcore.validation import Bool, Implements, InvalidParameterError, Unchecked, validate_params

__all__ = ["hedging_pnl_torch"]


_TENSOR = Implements("numel", "dim", what="a torch tensor")


@validate_params(
    prices=_TENSOR,
    deltas=_TENSOR,
    payoff=_TENSOR,
    cost=Unchecked("a float or a tensor of shape (n_assets,); broadcast by torch"),
    liquidate=Bool(),
)
def hedging_pnl_torch(prices: Any, deltas: Any, payoff: Any, cost: Any = 0.0, *, liquidate: bool = False) -> Any:
    r"""Differentiable P&L (premium 0) of torch tensors, same formula as :func:`finance_apps.hedging_pnl`.

    Parameters
    ----------
    prices : torch.Tensor of shape (n_paths, n_steps + 1, n_assets)
    deltas : torch.Tensor of shape (n_paths, n_steps, n_assets)
    payoff : torch.Tensor of shape (n_paths,)
    cost : float or torch.Tensor of shape (n_assets,)
    liquidate : bool, default False

    Returns
    -------
    torch.Tensor of shape (n_paths,)

    Examples
    --------
    >>> torch = require_torch("example")
    >>> S = torch.tensor([[[1.0], [1.1], [1.2]]])
    >>> float(hedging_pnl_torch(S, torch.ones(1, 2, 1), torch.tensor([0.2])).abs()) < 1e-6
    True
    """
    torch = require_torch("hedging_pnl_torch")
    if prices.dim() != 3:
        raise InvalidParameterError(
            "prices", f"expected shape (n_paths, n_steps + 1, n_assets), got {tuple(prices.shape)}"
        )
    n, m1, d = prices.shape
    if tuple(deltas.shape) != (n, m1 - 1, d):
        raise InvalidParameterError("deltas", f"expected shape {(n, m1 - 1, d)}, got {tuple(deltas.shape)}")
    if tuple(payoff.shape) != (n,):
        raise InvalidParameterError("payoff", f"expected shape {(n,)}, got {tuple(payoff.shape)}")
    gains = (deltas * (prices[:, 1:] - prices[:, :-1])).sum(dim=(1, 2))
    prev = torch.cat([torch.zeros_like(deltas[:, :1]), deltas[:, :-1]], dim=1)
    trades = deltas - prev
    P = prices[:, :-1]
    if liquidate:
        trades = torch.cat([trades, -deltas[:, -1:]], dim=1)
        P = prices
    costs = (trades.abs() * P * cost).sum(dim=(1, 2))
    return -payoff + gains - costs
