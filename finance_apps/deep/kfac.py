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
  This is the default (``curvature="empirical_fisher"``); the Gauss-Newton factors
  are the next item.
* **Gauss-Newton curvature** (``curvature="gauss_newton"``). For a loss
  :math:`L = \rho(X_1, \dots, X_N)` of per-path outputs (the P&Ls) the generalised
  Gauss-Newton matrix is :math:`\sum_{ij} H_{ij} J_i^\top J_j` with
  :math:`H = \nabla^2_X \rho` (Schraudolph 2002; Martens and Grosse 2015, §1). For the
  entropic risk :math:`H = a(\mathrm{diag}\,p - p p^\top)`, :math:`p = -\nabla_X \rho =
  \mathrm{softmax}(-aX)`. With :math:`d_i = \partial X_i / \partial s` the layer-output
  Jacobian of path :math:`i` (recovered from the recorded gradient as
  :math:`d_i = -g_i / p_i`) the factors are the :math:`p`-weighted ones

  .. math:: A = \textstyle\sum_i p_i \bar a_i \bar a_i^\top, \qquad
            G = a\big[\sum_i p_i d_i d_i^\top - \bar d \bar d^\top\big],
            \quad \bar d = \sum_i p_i d_i,

  (summed over the calls of a recurrent layer for ``G``, averaged for ``A``, as
  KF-Ind). :math:`A \otimes G` *is* the layer's Gauss-Newton block when all paths share
  the layer input (a single linear layer with common features: the rank-one term of
  :math:`H` then factors exactly); otherwise it is the usual K-FAC independence
  approximation under the tilted measure :math:`p`. The loss outputs are announced with
  :meth:`KFAC.observe_outputs` before ``backward``.
* **Adaptive damping** (``adapt_damping=True``; the Levenberg-Marquardt rule of Martens
  and Grosse 2015, §6.5). Every ``damping_adaptation_interval`` steps the minibatch
  loss is evaluated again after the update (``step(closure)``) and compared with the
  reduction predicted by the quadratic model
  :math:`M(\delta) = \nabla L \cdot \delta + \tfrac12 \sum_\ell
  \mathrm{tr}(\delta_\ell^\top G_\ell \delta_\ell A_\ell)` of the factored curvature:
  with :math:`r = (L(\theta+\delta) - L(\theta)) / M(\delta)`, :math:`\lambda
  \leftarrow \omega\lambda` if :math:`r > 3/4` and :math:`\lambda \leftarrow
  \lambda/\omega` if :math:`r < 1/4`, :math:`\omega` = ``damping_adaptation_decay`` to
  the power of the interval (their :math:`\omega_1 = (19/20)^{T_1}`), kept in
  [``min_damping``, 1e6].
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

N. N. Schraudolph, "Fast curvature matrix-vector products for second-order gradient
descent", Neural Computation 14(7), 2002.
"""

from __future__ import annotations

import math
from typing import Any

from rlcore.deep import require_torch
from rlcore.validation import (
    MAX_ITERATIONS,
    Bool,
    Integer,
    InvalidParameterError,
    Options,
    Real,
    TorchModule,
    validate_params,
)

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
    curvature=Options("empirical_fisher", "gauss_newton"),
    adapt_damping=Bool(),
    damping_adaptation_interval=Integer(1, MAX_ITERATIONS),
    damping_adaptation_decay=Real(0.0, 1.0, closed="neither"),
    min_damping=_DAMPING,
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
    curvature : {"empirical_fisher", "gauss_newton"}, default "empirical_fisher"
        Factors of gradient outer products, or of the Gauss-Newton matrix of an
        entropic-risk loss (then call :meth:`observe_outputs` before each ``backward``).
        Its scale is the loss's true curvature, so ``learning_rate`` near 1 is a
        Newton step; on deep hedging ``learning_rate=0.5, damping=1e-2, momentum=0.9,
        adapt_damping=True`` with ``kl_clip=3e-4`` (feed-forward) or ``1e-3`` (LSTM)
        are the settings measured in ``benchmarks/kfac_steps.py`` (a damping far
        below the curvature without a KL clip lets early steps overshoot).
    adapt_damping : bool, default False
        Adapt ``damping`` by the Levenberg-Marquardt rule (then pass ``step`` a closure).
    damping_adaptation_interval : int in [1, 10**9], default 5
        Steps :math:`T_1` between two adaptations.
    damping_adaptation_decay : float in (0, 1), default 0.95
        :math:`\omega = ` this to the power :math:`T_1`.
    min_damping : float in [1e-12, 1e6], default 1e-8
        Lower bound of the adapted damping.

    Attributes
    ----------
    steps : int
        Number of completed :meth:`step` calls.
    damping : float
        The current damping (adapted when ``adapt_damping``).
    reduction_ratios : list of float
        The ratios :math:`r` of actual to predicted reduction at each adaptation.

    Guarantee
    ---------
    With one sample the factors' Kronecker product is the empirical Fisher block
    (``tests/finance_apps/deep/test_kfac.py::test_single_sample_kronecker_product_is_the_empirical_fisher``);
    with ``curvature="gauss_newton"`` it equals the brute-force Gauss-Newton matrix
    :math:`J^\top \nabla^2\rho\, J` of a linear layer whose paths share their input
    (Martens and Grosse 2015, §3; Schraudolph 2002;
    ``tests/finance_apps/deep/test_kfac_gn.py::test_gn_kronecker_product_is_the_brute_force_ggn_for_a_shared_input_layer``),
    and the Levenberg-Marquardt rule moves :math:`\lambda` by the factor :math:`\omega` on the
    reduction ratio of the Gauss-Newton model
    (``test_kfac_gn.py::test_damping_falls_when_the_quadratic_model_is_accurate``).
    No convergence-rate guarantee: the speed-up over Adam is measured
    (``benchmarks/kfac_steps.py``).

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

    Gauss-Newton curvature of an entropic risk, with adaptive damping:

    >>> opt = KFAC(net, learning_rate=1.0, curvature="gauss_newton", adapt_damping=True,
    ...            damping_adaptation_interval=1)
    >>> def risk():
    ...     return torch.logsumexp(-2.0 * net(x)[:, 0], dim=0) / 2.0
    >>> opt.zero_grad(); pnl = net(x)[:, 0]; opt.observe_outputs(pnl, 2.0)
    >>> (torch.logsumexp(-2.0 * pnl, dim=0) / 2.0).backward(); opt.step(risk)
    >>> len(opt.reduction_ratios)
    1
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
        curvature: str = "empirical_fisher",
        adapt_damping: bool = False,
        damping_adaptation_interval: int = 5,
        damping_adaptation_decay: float = 0.95,
        min_damping: float = 1e-8,
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
        self.curvature = curvature
        self.adapt_damping = adapt_damping
        self.damping_adaptation_interval = damping_adaptation_interval
        self.damping_adaptation_decay = damping_adaptation_decay
        self.min_damping = min_damping
        self.reduction_ratios: list[float] = []
        self.steps = 0
        self._outputs: dict[str, Any] = {}
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

    def observe_outputs(self, outputs: Any, risk_aversion: float) -> None:
        r"""Announce the per-path outputs of an entropic-risk loss (Gauss-Newton curvature).

        Call between the forward pass and ``loss.backward()``, where the loss is
        :math:`\rho(X) = a^{-1} \log \frac1N \sum_i e^{-a X_i}` of ``outputs`` :math:`X`
        (or its series form for small :math:`a`). A hook records
        :math:`p = -\nabla_X L` in the backward pass; the Hessian
        :math:`a(\mathrm{diag}\,p - pp^\top)` then weights the factors.

        Parameters
        ----------
        outputs : torch.Tensor of shape (N,)
            The outputs the loss is computed from (one per sample: the P&L of a path);
            sample ``i`` must be row ``i`` of every Linear layer's input.
        risk_aversion : float > 0
            :math:`a`.
        """
        if self.curvature != "gauss_newton":
            raise RuntimeError('KFAC.observe_outputs: only for curvature="gauss_newton"')
        if not (isinstance(risk_aversion, (int, float)) and not isinstance(risk_aversion, bool)) or not (
            0.0 < float(risk_aversion) < math.inf
        ):
            raise InvalidParameterError("risk_aversion", f"expected a finite float > 0, got {risk_aversion!r}")
        if getattr(outputs, "ndim", None) != 1:
            raise InvalidParameterError("outputs", "expected a 1-dimensional torch tensor of per-sample outputs")
        rec = self._outputs
        rec.clear()
        rec["a"] = float(risk_aversion)

        def grad_hook(g: Any) -> None:
            rec["p"] = (-g.detach()).clamp_min(0.0)

        outputs.register_hook(grad_hook)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the model's gradients and the recorded activations."""
        self.model.zero_grad(set_to_none=set_to_none)
        self._outputs.clear()
        for st in self._state.values():
            st.acts.clear()
            st.grads.clear()
            st.batch.clear()

    # ------------------------------------------------------------------ factors
    def _batch_factors(self, st: _LayerState) -> tuple[Any, Any]:
        """(A_hat, G_hat) of the recorded calls: A averaged over rows, G = T * mean (p-weighted for GN)."""
        if not st.acts or len(st.grads) != len(st.acts):
            raise RuntimeError(
                "KFAC.step: no complete forward/backward record for a Linear layer; call "
                "zero_grad(), run the forward pass in training mode with grad enabled, "
                "then loss.backward() before step()"
            )
        rows = sum(a.shape[0] for a in st.acts)
        N = st.batch[0]
        if any(b != N for b in st.batch):
            raise RuntimeError("KFAC.step: a Linear layer saw different batch sizes in one step")
        if self.curvature == "empirical_fisher":
            A = sum(a.T @ a for a in st.acts) / rows
            # gradients arrive in reverse call order; each call's G is sum over its rows / N
            G = sum((N * g).T @ (N * g) for g in st.grads) / N
            return A, G
        if "p" not in self._outputs:
            raise RuntimeError(
                "KFAC.step: curvature='gauss_newton' needs observe_outputs(outputs, risk_aversion) "
                "between the forward pass and loss.backward()"
            )
        p, a = self._outputs["p"], self._outputs["a"]
        if p.shape[0] != N:
            raise RuntimeError(f"KFAC.step: {p.shape[0]} observed outputs for a batch of {N} samples")
        torch = require_torch("KFAC")
        T = rows / N  # calls (time steps) per sample
        A = sum(a_.T @ (a_ * p.repeat_interleave(a_.shape[0] // N)[:, None]) for a_ in st.acts) / T
        inv_p = torch.where(p > 0, 1.0 / torch.where(p > 0, p, torch.ones_like(p)), torch.zeros_like(p))
        G = torch.zeros(st.grads[0].shape[1], st.grads[0].shape[1], dtype=A.dtype, device=A.device)
        for g in st.grads:
            r = g.shape[0] // N  # rows per sample in this call (path-major)
            G = G + g.T @ (g * inv_p.repeat_interleave(r)[:, None])
            dbar = g.reshape(N, r, -1).sum(dim=0)  # (r, out): -sum_i p_i d_i per time index
            G = G - dbar.T @ dbar
        return A, a * G

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
    def _model_change(self, grads: list[tuple[Any, Any]], deltas: list[Any]) -> float:
        """Change of the quadratic model: grad . delta + 1/2 sum_layers tr(delta^T G delta A)."""
        torch = require_torch("KFAC")
        lin = sum(float((g * d).sum()) for (_, g), d in zip(grads, deltas, strict=True) if g is not None)
        by_param = {id(p): d for (p, _), d in zip(grads, deltas, strict=True)}
        quad = 0.0
        for name, module in self._layers.items():
            st = self._state[name]
            if id(module.weight) not in by_param or st.A is None:
                continue
            D = by_param[id(module.weight)]
            if module.bias is not None:
                D = torch.cat([D, by_param[id(module.bias)][:, None]], dim=1)
            quad += float((D * (st.G @ D @ st.A)).sum())
        return lin + 0.5 * quad

    def _adapt(self, before: float, after: float, predicted: float) -> None:
        """Levenberg-Marquardt rule (Martens and Grosse 2015, §6.5) on the ratio of reductions."""
        r = (after - before) / predicted if predicted < 0 else -math.inf
        if not math.isfinite(after):
            r = -math.inf
        self.reduction_ratios.append(r)
        omega = self.damping_adaptation_decay**self.damping_adaptation_interval
        if r > 0.75:
            self.damping = max(self.min_damping, self.damping * omega)
        elif r < 0.25:
            self.damping = min(1e6, self.damping / omega)

    def step(self, closure: Any = None) -> None:
        """Update factors (and inverses when due) from the last backward pass, then move.

        Parameters
        ----------
        closure : callable or None
            Returns the minibatch loss at the current parameters (a float or a scalar
            tensor), without calling ``backward``; needed when ``adapt_damping`` is on,
            where it is called (under ``torch.no_grad``) before and after the update on
            adaptation steps.
        """
        torch = require_torch("KFAC")
        if not self._handles:
            raise RuntimeError("KFAC.step: the hooks were removed")
        adapting = self.adapt_damping and (self.steps + 1) % self.damping_adaptation_interval == 0
        if adapting and closure is None:
            raise RuntimeError("KFAC.step: adapt_damping=True needs step(closure) returning the minibatch loss")
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
            if adapting:
                before = float(closure())
                grads = [(p, p.grad) for p, _ in updates]
            deltas = []
            for p, v in updates:
                buf = self._momentum.get(id(p))
                d = nu * v
                if self.momentum > 0:
                    buf = d.clone() if buf is None else buf.mul_(self.momentum).add_(d)
                    self._momentum[id(p)] = buf
                    d = buf
                p.add_(d, alpha=-self.learning_rate)
                deltas.append(-self.learning_rate * d)
            if adapting:
                predicted = self._model_change(grads, deltas)
                self._adapt(before, float(closure()), predicted)
        self.steps += 1
        for st in self._state.values():
            st.acts.clear()
            st.grads.clear()
            st.batch.clear()
