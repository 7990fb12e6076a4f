r"""Differentiable risk measures of a torch P&L sample: the training losses of deep hedging.

The torch twins of :mod:`finance_apps.risk_measures` (the definitions, properties and
references are there): the same values on the same sample (to rounding), with gradients
with respect to the P&L, for :func:`finance_apps.deep.train_hedger`.

* :func:`entropic_risk_torch`: :math:`\frac1a \log \frac1n \sum_i e^{-a X_i}` (with
  ``torch.logsumexp``); its gradient is :math:`-\mathrm{softmax}(-a X)`;
* :func:`expected_shortfall_torch`: the weighted average of the
  :math:`\lceil n\alpha \rceil` worst losses;
* :func:`oce_objective_torch`: :math:`w + \frac1n\sum_i \ell(-X_i - w)`, minimised jointly
  over the hedge and a trainable scalar ``w`` to minimise an OCE risk (Buehler et al.
  2019, §4.2).

The numpy classes :class:`finance_apps.EntropicRisk` and
:class:`finance_apps.ExpectedShortfall` call the first two from their ``torch`` method.
torch is imported when a function is called, never at import time.

References
----------
H. Buehler, L. Gonon, J. Teichmann and B. Wood, "Deep hedging", Quantitative Finance
19(8), 1271-1291, 2019.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from finance_apps.risk_measures import _SERIES_SPREAD, LEVEL, RISK_AVERSION
from rlcore.deep import require_torch
from rlcore.validation import (
    Implements,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    Unchecked,
    validate_params,
)

__all__ = ["entropic_risk_torch", "expected_shortfall_torch", "oce_objective_torch"]


def _check_tensor(torch: Any, pnl: Any) -> None:
    if not isinstance(pnl, torch.Tensor):
        raise InvalidParameterTypeError("pnl", f"expected a torch tensor, got {type(pnl).__name__}")
    if pnl.ndim != 1 or pnl.numel() == 0:
        raise InvalidParameterError("pnl", f"expected a non-empty 1-dimensional tensor, got shape {tuple(pnl.shape)}")


#: A torch P&L sample (its shape is checked in the body).
_PNL = Implements("numel", "dim", what="a torch tensor")


@validate_params(pnl=_PNL, risk_aversion=RISK_AVERSION)
def entropic_risk_torch(pnl: Any, risk_aversion: float = 1.0) -> Any:
    r"""Differentiable entropic risk of a torch tensor ``pnl`` of shape (n,).

    Same value as :func:`finance_apps.entropic_risk` (computed with ``torch.logsumexp``).

    Parameters
    ----------
    pnl : torch.Tensor of shape (n,)
    risk_aversion : float > 0, default 1.0

    Returns
    -------
    torch.Tensor of shape ()

    Examples
    --------
    >>> torch = require_torch("example")
    >>> float(entropic_risk_torch(torch.tensor([1.0, -1.0], dtype=torch.float64)))  # doctest: +ELLIPSIS
    0.43378...
    """
    torch = require_torch("entropic_risk_torch")
    a = RISK_AVERSION.check(risk_aversion, "risk_aversion")
    _check_tensor(torch, pnl)
    losses = -pnl
    spread = float((losses.max() - losses.min()).detach())
    if a * spread < _SERIES_SPREAD:
        # as the numpy version: the cumulant series k1 + a k2 / 2 + a^2 k3 / 6 + a^3 k4 / 24,
        # which forms no a * X product, so a tiny a (where log-sum-exp would divide a
        # rounding error by a) gives the mean loss plus its first corrections
        m = losses.mean()
        if spread == 0.0:
            return m
        c = (losses - m) / spread
        y = a * spread
        k2 = (c * c).mean()
        k3 = (c * c * c).mean()
        k4 = (c**4).mean() - 3.0 * k2 * k2
        return m + spread * (y * k2 / 2.0 + y * y * k3 / 6.0 + y * y * y * k4 / 24.0)
    return (torch.logsumexp(-a * pnl, dim=0) - math.log(pnl.numel())) / a


@validate_params(pnl=_PNL, alpha=LEVEL)
def expected_shortfall_torch(pnl: Any, alpha: float = 0.05) -> Any:
    r"""Differentiable expected shortfall of a torch tensor ``pnl`` of shape (n,).

    Same value as :func:`finance_apps.expected_shortfall`; the gradient flows through the
    :math:`\lceil n\alpha \rceil` worst samples (a sub-gradient at ties).

    Parameters
    ----------
    pnl : torch.Tensor of shape (n,)
    alpha : float in (0, 1], default 0.05

    Returns
    -------
    torch.Tensor of shape ()

    Examples
    --------
    >>> torch = require_torch("example")
    >>> float(expected_shortfall_torch(torch.tensor([3.0, -1.0, 0.0, -5.0]), 0.5))
    3.0
    """
    torch = require_torch("expected_shortfall_torch")
    a = LEVEL.check(alpha, "alpha")
    _check_tensor(torch, pnl)
    n = pnl.numel()
    na = n * a
    k = min(int(math.floor(na)), n)
    m = min(k + 1, n)
    worst = torch.topk(-pnl, m, largest=True, sorted=True).values
    # weights 1/(n alpha) on the k worst and 1 - k/(n alpha) on the next (as the numpy one)
    weights = torch.zeros(m, dtype=pnl.dtype, device=pnl.device)
    weights[:k] = 1.0 / na
    if m > k:
        weights[k] = 1.0 - k / na
    return (worst * weights).sum()


@validate_params(
    pnl=_PNL,
    w=Unchecked("a float or a scalar tensor (a trainable parameter); broadcast by torch"),
    loss=IsCallable("a torch-vectorised loss, e.g. lambda x: torch.relu(x) / 0.05"),
)
def oce_objective_torch(pnl: Any, w: Any, loss: Callable[[Any], Any]) -> Any:
    r"""The OCE objective :math:`w + \frac1n\sum_i \ell(-X_i - w)` in torch.

    Minimising it jointly over the hedge and the scalar ``w`` (a trainable parameter)
    minimises the OCE risk (:func:`finance_apps.oce_risk`) of the hedged P&L (Buehler et
    al. 2019, §4.2).

    Parameters
    ----------
    pnl : torch.Tensor of shape (n,)
    w : torch.Tensor of shape () or float
    loss : callable
        Torch-vectorised loss, e.g. ``lambda x: torch.relu(x) / 0.05``.

    Returns
    -------
    torch.Tensor of shape ()

    Examples
    --------
    >>> torch = require_torch("example")
    >>> x = torch.tensor([1.0, -1.0])
    >>> float(oce_objective_torch(x, torch.tensor(1.0), lambda u: torch.relu(u) / 0.5))
    1.0
    """
    torch = require_torch("oce_objective_torch")
    _check_tensor(torch, pnl)
    return w + loss(-pnl - w).mean()
