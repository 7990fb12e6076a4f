r"""Torch hedgers for deep hedging: semi-recurrent feed-forward and explicit LSTM.

Both map features of shape ``(n_paths, n_steps, n_features)`` (for example
:func:`finance_apps.hedging.hedging_features`) to holdings of shape
``(n_paths, n_steps, n_assets)``, unrolled in time with the previous holding
:math:`\delta_{k-1}` (0 at the first date) as an extra input. Under proportional costs
the optimal holding depends on it (the no-trade band), so a hedger without it cannot be
optimal (Buehler et al. 2019, Remark 4.6).

* :func:`feedforward_hedger`: one multilayer perceptron shared by all dates,
  :math:`\delta_k = f_\theta(x_k, \delta_{k-1})` (time enters through the features).
* :func:`lstm_hedger`: an LSTM cell written with explicit :class:`torch.nn.Linear`
  layers, :math:`(i, f, g, o) = W [x_k, \delta_{k-1}, h_{k-1}] + b`,
  :math:`c_k = \sigma(f) c_{k-1} + \sigma(i)\tanh(g)`,
  :math:`h_k = \sigma(o)\tanh(c_k)`, :math:`\delta_k = V h_k + u`. Because the gate
  layer is an ``nn.Linear`` called once per date, curvature hooks
  (:class:`finance_apps.kfac.KFAC`) see the activations and gradients of every time step.

torch is imported when a hedger is built, never at import time. Weights are drawn
from a ``torch.Generator`` seeded from ``rng``: the same seed gives the same hedger.

References
----------
H. Buehler, L. Gonon, J. Teichmann and B. Wood, "Deep hedging", Quantitative Finance
19(8), 1271-1291, 2019.

S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural Computation 9(8),
1735-1780, 1997.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

from finance_apps._constraints import MAX_UNITS, FloatDtype
from rlcore.validation import RNG, Integer, Options, Real, Sequence_, validate_params
from rlcore.randomness import RNGLike, as_generator

#: Widths, features and assets of a hedger: in [1, 1024] (hedgers are small networks).
_UNITS = Integer(1, MAX_UNITS)

__all__ = ["feedforward_hedger", "lstm_hedger"]

_TORCH_HINT = "deep hedgers need torch; install the 'torch' extra: pip install torch==2.13.0"


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ImportError(_TORCH_HINT) from exc
    return torch


@functools.lru_cache(maxsize=1)
def _classes() -> tuple[Any, Any]:
    torch = _torch()
    nn = torch.nn

    class SemiRecurrentHedger(nn.Module):  # type: ignore[misc, name-defined]
        """MLP ``delta_k = f(x_k, delta_{k-1})`` unrolled over the dates."""

        def __init__(self, n_features: int, n_assets: int, hidden: Sequence[int], activation: str) -> None:
            super().__init__()
            sizes = [n_features + n_assets, *hidden, n_assets]
            self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
            self.act = {"relu": torch.relu, "tanh": torch.tanh, "silu": nn.functional.silu}[activation]
            self.n_assets = n_assets

        def decide(self, x_k: Any, prev: Any) -> Any:
            """One decision: features (n, n_features) and holdings (n, n_assets) -> new holdings."""
            h = torch.cat([x_k, prev], dim=1)
            for layer in self.layers[:-1]:
                h = self.act(layer(h))
            return self.layers[-1](h)

        def forward(self, x: Any) -> Any:
            n, m, _ = x.shape
            prev = x.new_zeros(n, self.n_assets)
            out = []
            for k in range(m):
                prev = self.decide(x[:, k], prev)
                out.append(prev)
            return torch.stack(out, dim=1)

    class ExplicitLSTMHedger(nn.Module):  # type: ignore[misc, name-defined]
        """LSTM cell of explicit Linear layers, input ``(x_k, delta_{k-1})``."""

        def __init__(self, n_features: int, n_assets: int, hidden: int) -> None:
            super().__init__()
            self.hidden = hidden
            self.n_assets = n_assets
            self.gates = nn.Linear(n_features + n_assets + hidden, 4 * hidden)
            self.head = nn.Linear(hidden, n_assets)

        def forward(self, x: Any) -> Any:
            n, m, _ = x.shape
            H = self.hidden
            prev = x.new_zeros(n, self.n_assets)
            h = x.new_zeros(n, H)
            c = x.new_zeros(n, H)
            out = []
            for k in range(m):
                z = self.gates(torch.cat([x[:, k], prev, h], dim=1))
                i, f, g, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                prev = self.head(h)
                out.append(prev)
            return torch.stack(out, dim=1)

    return SemiRecurrentHedger, ExplicitLSTMHedger


def _init_linear(module: Any, gen: Any, *, forget_bias: float | None = None, hidden: int = 0) -> None:
    """PyTorch's default Linear init (uniform +-1/sqrt(fan_in)) from a seeded generator."""
    torch = _torch()
    for layer in module.modules():
        if isinstance(layer, torch.nn.Linear):
            bound = 1.0 / math.sqrt(layer.in_features)
            with torch.no_grad():
                torch.nn.init.uniform_(layer.weight, -bound, bound, generator=gen)
                if layer.bias is not None:
                    torch.nn.init.uniform_(layer.bias, -bound, bound, generator=gen)
    if forget_bias is not None:
        with torch.no_grad():
            module.gates.bias[hidden : 2 * hidden] += forget_bias


def _generator(rng: RNGLike) -> Any:
    torch = _torch()
    seed = int(as_generator(rng).integers(2**63 - 1))
    return torch.Generator().manual_seed(seed)


@validate_params(
    n_features=_UNITS,
    n_assets=_UNITS,
    hidden=Sequence_(_UNITS, min_len=0, max_len=16),
    activation=Options("relu", "tanh", "silu"),
    dtype=FloatDtype() | None,
    rng=RNG(),
)
def feedforward_hedger(
    n_features: int,
    n_assets: int = 1,
    *,
    hidden: Sequence[int] = (32, 32),
    activation: str = "relu",
    dtype: Any = None,
    rng: RNGLike = None,
) -> Any:
    r"""Semi-recurrent feed-forward hedger :math:`\delta_k = f_\theta(x_k, \delta_{k-1})`.

    Parameters
    ----------
    n_features : int in [1, 1024]
        Features per date (the last axis of the input).
    n_assets : int in [1, 1024], default 1
    hidden : sequence of int, default (32, 32)
        Widths of the hidden layers (at most 16 layers, each of 1 to 1024 units).
    activation : {"relu", "tanh", "silu"}, default "relu"
    dtype : floating-point torch.dtype or None
        Parameter dtype (default ``torch.float32``).
    rng : Generator, int or None
        Seeds the initial weights.

    Returns
    -------
    torch.nn.Module
        ``forward(x)`` maps (n_paths, n_steps, n_features) to (n_paths, n_steps, n_assets);
        ``decide(x_k, prev)`` is one decision, (n, n_features) and (n, n_assets) to
        (n, n_assets), for plotting the hedge against the previous holding.

    References
    ----------
    Buehler et al., "Deep hedging", Quantitative Finance 19(8), 2019, §4.

    Examples
    --------
    >>> import torch
    >>> h = feedforward_hedger(2, hidden=(8,), rng=0)
    >>> h(torch.zeros(5, 3, 2)).shape
    torch.Size([5, 3, 1])
    """
    torch = _torch()
    cls, _ = _classes()
    model = cls(n_features, n_assets, list(hidden), activation)
    _init_linear(model, _generator(rng))
    return model.to(dtype or torch.float32)


@validate_params(
    n_features=_UNITS,
    n_assets=_UNITS,
    hidden=_UNITS,
    forget_bias=Real(-10.0, 10.0),
    dtype=FloatDtype() | None,
    rng=RNG(),
)
def lstm_hedger(
    n_features: int,
    n_assets: int = 1,
    *,
    hidden: int = 32,
    forget_bias: float = 1.0,
    dtype: Any = None,
    rng: RNGLike = None,
) -> Any:
    r"""LSTM hedger whose cell is two explicit ``nn.Linear`` layers (gates and head).

    Parameters
    ----------
    n_features : int in [1, 1024]
    n_assets : int in [1, 1024], default 1
    hidden : int in [1, 1024], default 32
        Size of the hidden and cell states.
    forget_bias : float in [-10, 10], default 1.0
        Added to the forget-gate bias at initialisation (Gers et al. 2000); beyond
        ``+-10`` the gate's sigmoid is saturated in float32.
    dtype : floating-point torch.dtype or None
        Parameter dtype (default ``torch.float32``).
    rng : Generator, int or None
        Seeds the initial weights.

    Returns
    -------
    torch.nn.Module
        ``forward(x)`` maps (n_paths, n_steps, n_features) to (n_paths, n_steps, n_assets);
        its ``gates`` layer is called once per date.

    References
    ----------
    S. Hochreiter and J. Schmidhuber, Neural Computation 9(8), 1997.

    Examples
    --------
    >>> import torch
    >>> h = lstm_hedger(2, hidden=4, rng=0)
    >>> h(torch.zeros(5, 3, 2)).shape
    torch.Size([5, 3, 1])
    """
    torch = _torch()
    _, cls = _classes()
    model = cls(n_features, n_assets, hidden)
    _init_linear(model, _generator(rng), forget_bias=forget_bias, hidden=hidden)
    return model.to(dtype or torch.float32)
