"""The one torch layer of the library: the optional import, devices and seeded networks.

Every module of the library that uses PyTorch goes through this one (a test walks the
import graph and refuses any other ``import torch``):

* :func:`require_torch` imports torch at call time, or raises an ``ImportError``
  carrying :data:`TORCH_INSTALL_HINT`, the one install hint, which names the real
  distribution and extra (``rlref[torch]``);
* :func:`resolve_device` turns a device argument (``"cpu"``, ``"cuda"``, ``"cuda:1"``,
  ``"auto"`` or a ``torch.device``) into a ``torch.device``; the library's default is
  always the CPU, a GPU is used only when asked for;
* :func:`build_mlp` builds the multilayer perceptron every deep learner, regressor and
  hedger uses, and :func:`init_linear_` initialises the ``Linear`` layers of any module;
  both draw their weights from the caller's numpy ``rng`` and **never touch torch's
  global random state**, so the same seed gives the same network whatever else the
  process did, and seeding a learner does not reseed the user's torch code.

The initialisation is PyTorch's default for ``nn.Linear`` (weights and biases uniform on
``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``), drawn in float64 from the generator and rounded
to the parameter dtype; ``out_scale`` multiplies the last layer (a small last layer is
the usual start for policy heads).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any
from collections.abc import Sequence

import numpy as np

from rlcore.randomness import RNGLike
from rlcore.validation import (
    RNG,
    Bool,
    Device,
    FloatDtype,
    Instance,
    Integer,
    InvalidParameterError,
    Options,
    Real,
    Sequence_,
    TorchModule,
    Unchecked,
    validate_params,
)

__all__ = [
    "ACTIVATIONS",
    "MAX_FEATURES",
    "MAX_LAYERS",
    "MAX_WIDTH",
    "TORCH_INSTALL_HINT",
    "build_mlp",
    "init_linear_",
    "require_torch",
    "resolve_device",
    "torch_available",
]

#: The one install hint of the optional torch dependency.
TORCH_INSTALL_HINT = (
    "install the optional 'torch' extra: pip install 'rlref[torch]' "
    "(for the CPU-only build, install torch from https://download.pytorch.org/whl/cpu first)"
)

#: Activations :func:`build_mlp` knows, by name.
ACTIVATIONS = ("relu", "tanh", "gelu", "silu", "elu")

#: Widest hidden layer of a network built here.
MAX_WIDTH: int = 16384
#: Most hidden layers of a network built here.
MAX_LAYERS: int = 64
#: Widest input or output layer of a network built here (a one-hot input, a head of
#: many bins).
MAX_FEATURES: int = 10**7


@validate_params()
def torch_available() -> bool:
    """True when torch can be imported (without importing it).

    Examples
    --------
    >>> isinstance(torch_available(), bool)
    True
    """
    return importlib.util.find_spec("torch") is not None


@validate_params(who=Instance(str, what="a str naming the caller"))
def require_torch(who: str) -> Any:
    """Import torch at call time, or raise an ``ImportError`` naming the extra.

    Parameters
    ----------
    who : str
        The function or class that needs torch; it starts the error message.

    Returns
    -------
    module
        The ``torch`` module.

    Raises
    ------
    ImportError
        When torch is not installed; the message is ``"{who} needs PyTorch, which is
        not installed; "`` followed by :data:`TORCH_INSTALL_HINT`.

    Examples
    --------
    >>> torch = require_torch("my_learner")
    >>> torch.__name__
    'torch'
    """
    try:
        return importlib.import_module("torch")
    except ImportError as exc:
        raise ImportError(f"{who} needs PyTorch, which is not installed; {TORCH_INSTALL_HINT}") from exc


@validate_params(
    device=Options("auto") | Unchecked("a torch device, parsed below under the caller's argument name"),
    name=Instance(str, what="a str naming the argument"),
)
def resolve_device(device: Any, name: str = "device") -> Any:
    """The ``torch.device`` a device argument names.

    Parameters
    ----------
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, a ``torch.device``, or ``"auto"``
        (the first CUDA device when one is available, else the CPU). Parsed, not probed:
        naming a GPU the machine lacks fails where torch first puts a tensor on it.
    name : str, default "device"
        The argument's name, for error messages.

    Returns
    -------
    torch.device

    Raises
    ------
    TypeError, ValueError
        A device of the wrong kind, or a string torch does not parse; the message starts
        with ``name``.
    ImportError
        Torch is not installed (with :data:`TORCH_INSTALL_HINT`).

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("auto").type in ("cpu", "cuda")
    True
    """
    torch = require_torch(name)
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return Device().check(device, name)


def _activation(torch: Any, name: str) -> Any:
    nn = torch.nn
    return {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "silu": nn.SiLU, "elu": nn.ELU}[name]


@validate_params(
    module=TorchModule(),
    rng=RNG(),
    out_scale=Real(0, 1e6),
    last=Unchecked("a Linear layer of module (compared by identity) or None"),
)
def init_linear_(module: Any, *, rng: RNGLike, out_scale: float = 1.0, last: Any = None) -> Any:
    """Initialise every ``torch.nn.Linear`` of ``module`` in place from a numpy generator.

    Weights and biases are drawn uniform on ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``
    (PyTorch's default range) from ``rng``, layer by layer in ``module.modules()``
    order, so the same generator state gives the same parameters; torch's global random
    state is not used. The layer ``last`` (default: the last ``Linear`` met), if any, is
    multiplied by ``out_scale``.

    Parameters
    ----------
    module : torch.nn.Module
    rng : Generator, int or None
        A generator is advanced by the draws (see :func:`rlcore.as_generator`).
    out_scale : float in [0, 1e6], default 1.0
    last : torch.nn.Linear or None

    Returns
    -------
    torch.nn.Module
        ``module`` itself.

    Examples
    --------
    >>> torch = require_torch("example")
    >>> net = torch.nn.Linear(4, 2)
    >>> a = init_linear_(net, rng=np.random.default_rng(0)).weight.detach().clone()
    >>> b = init_linear_(net, rng=np.random.default_rng(0)).weight.detach()
    >>> bool((a == b).all()), bool(a.abs().max() <= 0.5)
    (True, True)
    """
    from rlcore.randomness import as_generator

    torch = require_torch("init_linear_")
    rng = as_generator(rng)
    linears = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    if last is None and linears:
        last = linears[-1]
    for lin in linears:
        bound = 1.0 / np.sqrt(lin.in_features)
        scale = out_scale if lin is last else 1.0
        with torch.no_grad():
            w = scale * rng.uniform(-bound, bound, size=(lin.out_features, lin.in_features))
            lin.weight.copy_(torch.as_tensor(w, dtype=lin.weight.dtype))
            if lin.bias is not None:
                b = scale * rng.uniform(-bound, bound, size=lin.out_features)
                lin.bias.copy_(torch.as_tensor(b, dtype=lin.bias.dtype))
    return module


@validate_params(
    sizes=Sequence_(Integer(1, MAX_FEATURES), min_len=2, max_len=MAX_LAYERS + 2),
    activation=Options(*ACTIVATIONS),
    rng=RNG(),
    device=Device(),
    dtype=FloatDtype() | None,
    out_scale=Real(0, 1e6),
    layer_norm=Bool(),
)
def build_mlp(
    sizes: Sequence[int],
    *,
    activation: str = "relu",
    rng: RNGLike = None,
    device: Any = "cpu",
    dtype: Any = None,
    out_scale: float = 1.0,
    layer_norm: bool = False,
) -> Any:
    """The library's multilayer perceptron, widths ``sizes`` from input to output, seeded from ``rng``.

    ``Linear`` layers with the activation between them (none after the last); with
    ``layer_norm``, a ``LayerNorm`` (no affine parameters) before each activation.
    Initialised by :func:`init_linear_`: torch's global random state is left untouched.

    Parameters
    ----------
    sizes : sequence of int, length 2 to 66
        Input width, hidden widths, output width: the hidden widths in [1, 16384], the
        input and output widths in [1, 10**7].
    activation : {"relu", "tanh", "gelu", "silu", "elu"}, default "relu"
    rng : Generator, int or None
        Seeds the initial weights (see :func:`rlcore.as_generator`).
    device : str or torch.device, default "cpu"
        Where the parameters live (:func:`resolve_device` rules, ``"auto"`` excepted).
    dtype : floating-point torch.dtype or None
        Parameter dtype (default ``torch.float32``).
    out_scale : float in [0, 1e6], default 1.0
        Multiplies the last layer's initial weights and biases.
    layer_norm : bool, default False

    Returns
    -------
    torch.nn.Sequential

    Examples
    --------
    >>> net = build_mlp((3, 8, 2), activation="tanh", rng=0)
    >>> net
    Sequential(
      (0): Linear(in_features=3, out_features=8, bias=True)
      (1): Tanh()
      (2): Linear(in_features=8, out_features=2, bias=True)
    )
    >>> torch = require_torch("example")
    >>> bool((build_mlp((3, 8, 2), rng=0)[0].weight == build_mlp((3, 8, 2), rng=0)[0].weight).all())
    True
    """
    from rlcore.randomness import as_generator

    for i, width in enumerate(sizes[1:-1], start=1):
        if width > MAX_WIDTH:
            raise InvalidParameterError(f"sizes[{i}]", f"expected a hidden width in [1, {MAX_WIDTH}], got {width!r}")
    torch = require_torch("build_mlp")
    gen = as_generator(rng)
    dt = torch.float32 if dtype is None else dtype
    act = _activation(torch, activation)
    sizes = tuple(int(s) for s in sizes)
    layers: list[Any] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        # skip_init: no draw from torch's global generator; init_linear_ sets the values
        layers.append(torch.nn.utils.skip_init(torch.nn.Linear, fan_in, fan_out, dtype=dt))
        if i < len(sizes) - 2:
            if layer_norm:
                layers.append(torch.nn.LayerNorm(fan_out, elementwise_affine=False, dtype=dt))
            layers.append(act())
    net = torch.nn.Sequential(*layers)
    init_linear_(net, rng=gen, out_scale=out_scale)
    return net.to(device)
