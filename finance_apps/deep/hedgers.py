r"""Torch hedgers for deep hedging: semi-recurrent feed-forward and explicit LSTM.

Both map features of shape ``(n_paths, n_steps, n_features)`` (for example
:func:`finance_apps.deep.hedging_features`) to holdings of shape
``(n_paths, n_steps, n_assets)``, unrolled in time with the previous holding
:math:`\delta_{k-1}` (0 at the first date) as an extra input. Under proportional costs
the optimal holding depends on it (the no-trade band), so a hedger without it cannot be
optimal (Buehler et al. 2019, Remark 4.6).

* :func:`feedforward_hedger`: one multilayer perceptron (:func:`rlcore.deep.build_mlp`)
  shared by all dates, :math:`\delta_k = f_\theta(x_k, \delta_{k-1})` (time enters
  through the features).
* :func:`lstm_hedger`: an LSTM cell written with explicit :class:`torch.nn.Linear`
  layers, :math:`(i, f, g, o) = W [x_k, \delta_{k-1}, h_{k-1}] + b`,
  :math:`c_k = \sigma(f) c_{k-1} + \sigma(i)\tanh(g)`,
  :math:`h_k = \sigma(o)\tanh(c_k)`, :math:`\delta_k = V h_k + u`. Because the gate
  layer is an ``nn.Linear`` called once per date, curvature hooks
  (:class:`finance_apps.deep.KFAC`) see the activations and gradients of every time step.

torch is imported when a hedger is built (through :func:`rlcore.deep.require_torch`),
never at import time. Weights are drawn by :func:`rlcore.deep.init_linear_` from the
numpy generator ``rng`` (PyTorch's default range, uniform on
:math:`\pm 1/\sqrt{\text{fan-in}}`), so the same seed gives the same hedger and torch's
global random state is never touched.

References
----------
H. Buehler, L. Gonon, J. Teichmann and B. Wood, "Deep hedging", Quantitative Finance
19(8), 1271-1291, 2019.

S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural Computation 9(8),
1735-1780, 1997.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from finance_apps._constraints import MAX_UNITS
from rlcore.deep import build_mlp, init_linear_, require_torch
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import RNG, Device, FloatDtype, Integer, Options, Real, Sequence_, validate_params

#: Widths, features and assets of a hedger: in [1, 1024] (hedgers are small networks).
_UNITS = Integer(1, MAX_UNITS)

__all__ = ["feedforward_hedger", "lstm_hedger"]


@functools.lru_cache(maxsize=1)
def _classes() -> tuple[Any, Any]:
    torch = require_torch("finance_apps.deep.hedgers")
    nn = torch.nn

    class SemiRecurrentHedger(nn.Module):  # type: ignore[misc, name-defined]
        """MLP ``delta_k = f(x_k, delta_{k-1})`` unrolled over the dates."""

        def __init__(self, net: Any, n_assets: int) -> None:
            super().__init__()
            self.net = net
            self.n_assets = n_assets

        def decide(self, x_k: Any, prev: Any) -> Any:
            """One decision: features (n, n_features) and holdings (n, n_assets) -> new holdings."""
            return self.net(torch.cat([x_k, prev], dim=1))

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

        def __init__(self, n_features: int, n_assets: int, hidden: int, dtype: Any) -> None:
            super().__init__()
            self.hidden = hidden
            self.n_assets = n_assets
            # skip_init: no draw from torch's global generator; init_linear_ sets the values
            self.gates = nn.utils.skip_init(nn.Linear, n_features + n_assets + hidden, 4 * hidden, dtype=dtype)
            self.head = nn.utils.skip_init(nn.Linear, hidden, n_assets, dtype=dtype)

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


@validate_params(
    n_features=_UNITS,
    n_assets=_UNITS,
    hidden_sizes=Sequence_(_UNITS, min_len=0, max_len=16),
    activation=Options("relu", "tanh", "silu"),
    dtype=FloatDtype() | None,
    device=Device(),
    rng=RNG(),
)
def feedforward_hedger(
    n_features: int,
    n_assets: int = 1,
    *,
    hidden_sizes: Sequence[int] = (32, 32),
    activation: str = "relu",
    dtype: Any = None,
    device: Any = "cpu",
    rng: RNGLike = None,
) -> Any:
    r"""Semi-recurrent feed-forward hedger :math:`\delta_k = f_\theta(x_k, \delta_{k-1})`.

    Parameters
    ----------
    n_features : int in [1, 1024]
        Features per date (the last axis of the input).
    n_assets : int in [1, 1024], default 1
    hidden_sizes : sequence of int, default (32, 32)
        Widths of the hidden layers (at most 16 layers, each of 1 to 1024 units).
    activation : {"relu", "tanh", "silu"}, default "relu"
    dtype : floating-point torch.dtype or None
        Parameter dtype (default ``torch.float32``).
    device : str or torch.device, default "cpu"
        Where the parameters live; :func:`finance_apps.deep.train_hedger` trains on the
        hedger's device.
    rng : Generator, int or None
        Seeds the initial weights (:func:`rlcore.deep.build_mlp`).

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
    >>> torch = require_torch("example")
    >>> h = feedforward_hedger(2, hidden_sizes=(8,), rng=0)
    >>> h(torch.zeros(5, 3, 2)).shape
    torch.Size([5, 3, 1])
    """
    cls, _ = _classes()
    net = build_mlp(
        [n_features + n_assets, *hidden_sizes, n_assets], activation=activation, rng=as_generator(rng), dtype=dtype
    )
    return cls(net, n_assets).to(device)


@validate_params(
    n_features=_UNITS,
    n_assets=_UNITS,
    hidden_size=_UNITS,
    forget_bias=Real(-10.0, 10.0),
    dtype=FloatDtype() | None,
    device=Device(),
    rng=RNG(),
)
def lstm_hedger(
    n_features: int,
    n_assets: int = 1,
    *,
    hidden_size: int = 32,
    forget_bias: float = 1.0,
    dtype: Any = None,
    device: Any = "cpu",
    rng: RNGLike = None,
) -> Any:
    r"""LSTM hedger whose cell is two explicit ``nn.Linear`` layers (gates and head).

    Parameters
    ----------
    n_features : int in [1, 1024]
    n_assets : int in [1, 1024], default 1
    hidden_size : int in [1, 1024], default 32
        Size of the hidden and cell states.
    forget_bias : float in [-10, 10], default 1.0
        Added to the forget-gate bias at initialisation (Gers et al. 2000); beyond
        ``+-10`` the gate's sigmoid is saturated in float32.
    dtype : floating-point torch.dtype or None
        Parameter dtype (default ``torch.float32``).
    device : str or torch.device, default "cpu"
        Where the parameters live.
    rng : Generator, int or None
        Seeds the initial weights (:func:`rlcore.deep.init_linear_`).

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
    >>> torch = require_torch("example")
    >>> h = lstm_hedger(2, hidden_size=4, rng=0)
    >>> h(torch.zeros(5, 3, 2)).shape
    torch.Size([5, 3, 1])
    """
    torch = require_torch("lstm_hedger")
    _, cls = _classes()
    model = cls(n_features, n_assets, hidden_size, torch.float32 if dtype is None else dtype)
    init_linear_(model, rng=as_generator(rng))
    with torch.no_grad():
        model.gates.bias[hidden_size : 2 * hidden_size] += forget_bias
    return model.to(device)
