r"""K-FAC: Kronecker-factored approximate curvature for ``torch.nn.Linear`` layers.

For a linear layer :math:`s = W \bar a` (with :math:`\bar a = (a, 1)` when it has a
bias), the gradient of one sample's loss is :math:`\nabla_W \ell = g \bar a^\top`
with :math:`g = \partial \ell / \partial s`. K-FAC (Martens and Grosse 2015, §3)
approximates the layer's block of the Fisher matrix by a Kronecker product

.. math:: F = E[\mathrm{vec}(g \bar a^\top)\,\mathrm{vec}(g \bar a^\top)^\top]
          \approx A \otimes G, \qquad A = E[\bar a \bar a^\top], \quad G = E[g g^\top],

so that the natural-gradient step is :math:`G^{-1} \nabla_W L\, A^{-1}`, at the cost
of inverting two small matrices per layer.

What is computed here
---------------------
* **Factors.** ``g`` is the gradient of *one sample's* loss: hooks read the gradient
  of the batch loss at the layer output and multiply it by the batch size ``N`` (exact
  when the loss is a mean over samples; for a risk measure such as the entropic one
  it is the sample's weighted contribution). This is the *empirical* Fisher
  (gradient outer products), the natural choice for a loss that is not a likelihood;
  for the deep-hedging P&L there is no predictive distribution to sample targets from.
  It is not the Gauss-Newton matrix of a risk measure: for the entropic risk
  :math:`\rho(X) = a^{-1}\log E e^{-aX}` of P&Ls :math:`X_i` with Jacobians
  :math:`J_i`, the GGN is :math:`a[\sum_i p_i J_i^\top J_i - (\sum_i p_i J_i)^\top
  (\sum_i p_i J_i)]` with :math:`p = \mathrm{softmax}(-aX)`, whereas the per-path
  gradients here are :math:`-N p_i J_i`, so paths are weighted by :math:`N p_i^2`
  instead of :math:`a p_i` (both positive semi-definite). The scale of the factors
  then follows the loss, and ``damping`` and ``learning_rate`` must be tuned together.
* **Recurrent use** (Martens, Ba and Johnson 2018). A layer called ``T`` times per
  forward pass (an unrolled RNN cell, a hedger applied at every date) has per-sample
  gradient :math:`\sum_t g_t \bar a_t^\top`. Under the "independent time steps"
  approximation (KF-Ind, their §3.4) :math:`F \approx T\,\bar A \otimes \bar G` with
  :math:`\bar A, \bar G` averaged over samples *and* time steps. This module stores
  :math:`A = \bar A` and :math:`G = T \bar G`; for ``T = 1`` this is the plain K-FAC.
  ``T`` is the number of rows per sample the layer saw in the step.
* **Factor decay.** Factors are exponential moving averages,
  :math:`A \leftarrow \epsilon A + (1 - \epsilon) \hat A` (Martens and Grosse 2015, §5),
  updated every ``factor_update_freq`` steps.
* **Damping.** Factored Tikhonov damping (their §6.3):
  :math:`(A + \pi\sqrt{\lambda} I)^{-1}` and :math:`(G + \sqrt{\lambda}/\pi\, I)^{-1}`
  with :math:`\pi = \sqrt{(\mathrm{tr} A / \dim A) / (\mathrm{tr} G / \dim G)}`.
  The inverses are recomputed every ``inverse_update_freq`` steps (their §8).
* **Step.** The preconditioned direction is rescaled so that the predicted change
  :math:`\eta^2 \sum v \cdot \nabla L` stays below ``kl_clip`` (KL clipping, Ba,
  Grosse and Martens 2017, §5), then applied with heavy-ball momentum and learning rate
  ``learning_rate``. Parameters outside Linear layers receive the plain (clipped) gradient.

References
----------
J. Martens and R. Grosse, "Optimizing neural networks with Kronecker-factored
approximate curvature", ICML 2015.

J. Martens, J. Ba and M. Johnson, "Kronecker-factored curvature approximations for
recurrent neural networks", ICLR 2018.

J. Ba, R. Grosse and J. Martens, "Distributed second-order optimization using
Kronecker-factored approximations", ICLR 2017.
"""

from __future__ import annotations

import math
from typing import Any

from rlcore.deep import require_torch
from rlcore.validation import MAX_ITERATIONS, Integer, InvalidParameterError, Real, TorchModule, validate_params

__all__ = ["KFAC"]


class _LayerState:
    def __init__(self) -> None:
        self.acts: list[Any] = []  # per call: (rows, in[+1]) activations
        self.grads: list[Any] = []  # per call: (rows, out) output gradients of the batch loss
        self.batch: list[int] = []  # per call: number of samples N
        self.A: Any = None
        self.G: Any = None
        self.A_inv: Any = None
        self.G_inv: Any = None


_FRACTION = Real(0.0, 1.0, closed="left")
#: Learning rates: positive, at most 100 (a larger step overflows float32 parameters).
LEARNING_RATE = Real(0.0, 100.0, closed="right")
#: Damping: below 1e-12 its square root is under float32 resolution of unit-scale factors
#: (a singular factor then fails to invert); above 1e6 the step is a plain scaled gradient.
_DAMPING = Real(1e-12, 1e6)


@validate_params(
    model=TorchModule(),
    learning_rate=LEARNING_RATE,
    damping=_DAMPING,
    factor_decay=_FRACTION,
    inverse_update_freq=Integer(1, MAX_ITERATIONS),
    factor_update_freq=Integer(1, MAX_ITERATIONS),
    momentum=_FRACTION,
    kl_clip=Real(0.0, None, closed="neither") | None,
    weight_decay=Real(0.0, 100.0),
)
class KFAC:
    r"""K-FAC optimizer for every ``nn.Linear`` of a model (feed-forward or unrolled RNN).

    Usage mirrors a ``torch.optim`` optimizer: ``opt.zero_grad(); loss.backward();
    opt.step()``. Forward hooks record each Linear call's input and, through a tensor
    hook on its output, the gradient of the loss at that output, when grad mode is on
    and the module is in training mode.

    Parameters
    ----------
    model : torch.nn.Module
        Its ``nn.Linear`` submodules are preconditioned, however many times each is
        called in a forward pass; other parameters get the plain gradient.
    learning_rate : float in (0, 100], default 0.01
        Learning rate :math:`\eta`.
    damping : float in [1e-12, 1e6], default 1e-3
        Tikhonov damping :math:`\lambda` (split between the factors by :math:`\pi`);
        below ``1e-12`` its square root is under float32 resolution of unit-scale
        factors, and a singular factor could not be inverted.
    factor_decay : float in [0, 1), default 0.95
        EMA weight :math:`\epsilon` of the old factors.
    inverse_update_freq : int in [1, 10**9], default 10
        Recompute the damped inverses every this many steps.
    factor_update_freq : int in [1, 10**9], default 1
        Update the factors every this many steps.
    momentum : float in [0, 1), default 0.9
        Heavy-ball momentum on the preconditioned direction.
    kl_clip : float > 0 or None, default 1e-3
        Trust-region bound on :math:`\eta^2 \sum v \cdot \nabla L`; None disables it.
    weight_decay : float in [0, 100], default 0
        Added as ``weight_decay * W`` to every gradient before preconditioning.

    Attributes
    ----------
    steps : int
        Number of completed :meth:`step` calls.

    References
    ----------
    J. Martens and R. Grosse, ICML 2015; J. Martens, J. Ba and M. Johnson, ICLR 2018.

    Examples
    --------
    >>> torch = require_torch("example")
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    >>> opt = KFAC(net, learning_rate=0.1)
    >>> x, y = torch.randn(16, 3, generator=torch.Generator().manual_seed(0)), torch.zeros(16, 1)
    >>> opt.zero_grad(); ((net(x) - y) ** 2).mean().backward(); opt.step()
    >>> [tuple(a.shape) for a, g in opt.factors().values()]
    [(4, 4), (5, 5)]
    """

    def __init__(
        self,
        model: Any,
        learning_rate: float = 0.01,
        damping: float = 1e-3,
        factor_decay: float = 0.95,
        inverse_update_freq: int = 10,
        factor_update_freq: int = 1,
        momentum: float = 0.9,
        kl_clip: float | None = 1e-3,
        weight_decay: float = 0.0,
    ) -> None:
        torch = require_torch("KFAC")
        self.model = model
        self.learning_rate = learning_rate
        self.damping = damping
        self.factor_decay = factor_decay
        self.inverse_update_freq = inverse_update_freq
        self.factor_update_freq = factor_update_freq
        self.momentum = momentum
        self.kl_clip = kl_clip
        self.weight_decay = weight_decay
        self.steps = 0
        self._layers: dict[str, Any] = {}
        self._state: dict[str, _LayerState] = {}
        self._handles: list[Any] = []
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.Linear):
                self._layers[name] = module
                self._state[name] = _LayerState()
                self._handles.append(module.register_forward_hook(self._make_hook(name)))
        if not self._layers:
            raise InvalidParameterError("model", "K-FAC needs at least one torch.nn.Linear layer")
        linear_params = {id(p) for m in self._layers.values() for p in m.parameters()}
        self._other = [p for p in model.parameters() if id(p) not in linear_params]
        self._momentum: dict[int, Any] = {}

    # ------------------------------------------------------------------ hooks
    def _make_hook(self, name: str) -> Any:
        torch = require_torch("KFAC")
        state = self._state[name]

        def hook(module: Any, inputs: tuple[Any, ...], output: Any) -> None:
            if not (torch.is_grad_enabled() and module.training and output.requires_grad):
                return
            a = inputs[0].detach()
            n = a.shape[0] if a.ndim > 1 else 1
            a = a.reshape(-1, module.in_features)
            if module.bias is not None:
                a = torch.cat([a, a.new_ones(a.shape[0], 1)], dim=1)
            state.acts.append(a)
            state.batch.append(n)

            def grad_hook(g: Any) -> None:
                state.grads.append(g.detach().reshape(-1, module.out_features))

            output.register_hook(grad_hook)

        return hook

    def remove_hooks(self) -> None:
        """Detach the forward hooks from the model (the optimizer cannot step afterwards)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the model's gradients and the recorded activations."""
        self.model.zero_grad(set_to_none=set_to_none)
        for st in self._state.values():
            st.acts.clear()
            st.grads.clear()
            st.batch.clear()

    # ------------------------------------------------------------------ factors
    def _batch_factors(self, st: _LayerState) -> tuple[Any, Any]:
        """(A_hat, G_hat) of the recorded calls: A averaged over rows, G = T * mean."""
        if not st.acts or len(st.grads) != len(st.acts):
            raise RuntimeError(
                "KFAC.step: no complete forward/backward record for a Linear layer; call "
                "zero_grad(), run the forward pass in training mode with grad enabled, "
                "then loss.backward() before step()"
            )
        rows = sum(a.shape[0] for a in st.acts)
        A = sum(a.T @ a for a in st.acts) / rows
        N = st.batch[0]
        if any(b != N for b in st.batch):
            raise RuntimeError("KFAC.step: a Linear layer saw different batch sizes in one step")
        # gradients arrive in reverse call order; each call's G is sum over its rows / N
        G = sum((N * g).T @ (N * g) for g in st.grads) / N
        return A, G

    def factors(self) -> dict[str, tuple[Any, Any]]:
        """The current factors ``{layer name: (A, G)}`` (after at least one step).

        ``A`` has shape (in + 1, in + 1) with a bias (the last coordinate is the
        constant 1), ``G`` has shape (out, out).
        """
        return {name: (st.A, st.G) for name, st in self._state.items() if st.A is not None}

    def _update_inverses(self) -> None:
        torch = require_torch("KFAC")
        for st in self._state.values():
            A, G = st.A, st.G
            dA, dG = A.shape[0], G.shape[0]
            tA = float(torch.trace(A)) / dA
            tG = float(torch.trace(G)) / dG
            pi = math.sqrt(tA / tG) if tA > 0 and tG > 0 else 1.0
            root = math.sqrt(self.damping)
            eyeA = torch.eye(dA, dtype=A.dtype, device=A.device)
            eyeG = torch.eye(dG, dtype=G.dtype, device=G.device)
            st.A_inv = torch.linalg.inv(A + pi * root * eyeA)
            st.G_inv = torch.linalg.inv(G + (root / pi) * eyeG)

    def precondition(self, name: str, grad: Any) -> Any:
        """Return :math:`G^{-1}_d\\,\\mathrm{grad}\\,A^{-1}_d` for a (out, in[+1]) gradient matrix."""
        st = self._state[name]
        if st.A_inv is None:
            raise RuntimeError("KFAC.precondition: no inverse yet; call step() first")
        return st.G_inv @ grad @ st.A_inv

    # ------------------------------------------------------------------ step
    def step(self, closure: Any = None) -> None:
        """Update factors (and inverses when due) from the last backward pass, then move."""
        torch = require_torch("KFAC")
        if not self._handles:
            raise RuntimeError("KFAC.step: the hooks were removed")
        with torch.no_grad():
            if self.steps % self.factor_update_freq == 0:
                for st in self._state.values():
                    A_hat, G_hat = self._batch_factors(st)
                    if st.A is None:
                        st.A, st.G = A_hat, G_hat
                    else:
                        e = self.factor_decay
                        st.A = e * st.A + (1 - e) * A_hat
                        st.G = e * st.G + (1 - e) * G_hat
            if self.steps % self.inverse_update_freq == 0 or any(st.A_inv is None for st in self._state.values()):
                self._update_inverses()

            updates: list[tuple[Any, Any]] = []
            vg = 0.0
            for name, module in self._layers.items():
                W, b = module.weight, module.bias
                if W.grad is None:
                    continue
                gW = W.grad + self.weight_decay * W
                mat = gW if b is None else torch.cat([gW, (b.grad + self.weight_decay * b)[:, None]], dim=1)
                v = self.precondition(name, mat)
                vg += float((v * mat).sum())
                if b is None:
                    updates.append((W, v))
                else:
                    updates += [(W, v[:, :-1]), (b, v[:, -1])]
            for p in self._other:
                if p.grad is not None:
                    g = p.grad + self.weight_decay * p
                    vg += float((g * g).sum())
                    updates.append((p, g))
            nu = 1.0
            predicted = (
                self.learning_rate * self.learning_rate * vg
            )  # a product (not a square): inf, never an OverflowError
            if self.kl_clip is not None and predicted > 0:
                nu = min(1.0, math.sqrt(self.kl_clip / predicted))
            for p, v in updates:
                buf = self._momentum.get(id(p))
                d = nu * v
                if self.momentum > 0:
                    buf = d.clone() if buf is None else buf.mul_(self.momentum).add_(d)
                    self._momentum[id(p)] = buf
                    d = buf
                p.add_(d, alpha=-self.learning_rate)
        self.steps += 1
        for st in self._state.values():
            st.acts.clear()
            st.grads.clear()
            st.batch.clear()
