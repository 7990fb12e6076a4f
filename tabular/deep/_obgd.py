"""The building blocks of the streaming learners (private to :mod:`tabular.deep`).

The pieces of :mod:`tabular.deep.streaming` (Elsayed, Vasan and Mahmood 2024): ObGD and
sparse initialisation (both re-exported there), the networks (LayerNorm MLPs, sparsely
initialised), the policy helpers, and the one-environment stream with online observation
normalisation and reward scaling.

**ObGD** keeps an accumulating eligibility trace ``z`` per parameter and takes, for a
scalar error ``delta`` (a TD error), the step::

    z       <- gamma * lamda * z + grad f(w)          (f: the traced output, e.g. V_w(S); lr = learning_rate)
    M        = lr * kappa * max(|delta|, 1) * ||z||_1  (||z||_1 over all parameters)
    step     = lr / max(M, 1)
    w       <- w + step * delta * z

so the effective step size never exceeds ``1 / (kappa max(|delta|, 1) ||z||_1)`` once
``learning_rate`` would exceed it. Traces are zeroed after the step when ``reset`` is true (an
episode ended, or for Q(lambda) a non-greedy action was taken).

**Why it does not overshoot (linear case).** Let ``V_w(s) = w . x(s)`` (a bias is a
feature equal to 1) with ``||x(s)||_inf <= 1`` for every state, and
``delta = r + gamma' V_w(S') - V_w(S)`` with ``gamma' = gamma`` (``0`` at a terminal
transition). The update changes the error on the same sample to::

    delta' = delta * (1 - step * (z . x(S) - gamma' z . x(S')))

and ``|z . x(S) - gamma' z . x(S')| <= (1 + gamma') ||z||_1`` while, in both branches of
the ``max``, ``step * ||z||_1 <= 1 / (kappa max(|delta|, 1)) <= 1 / kappa``. Hence for
``kappa >= 1 + gamma'`` the factor lies in ``[0, 2]``: the sign of the TD error is kept
(or it becomes zero), whatever the trace ``z`` (traces need not start at the current
gradient) and whatever ``learning_rate``. With the target held fixed the same argument gives
``|V_w'(S) - V_w(S)| <= |delta| / kappa``, so ``kappa >= 1`` already keeps the estimate
from passing its (fixed) target. For a nonlinear network the argument holds for its
linearisation only; ObGD is then a heuristic (the paper's Section 4 argument is this
first-order one). The paper's default ``kappa = 2`` covers every ``gamma' <= 1``.

**Sparse initialisation**: LeCun-style uniform weights on ``[-1/sqrt(fan_in),
1/sqrt(fan_in)]``, then, for each output unit, a random ``ceil(sparsity * fan_in)`` of
its input weights set to zero (kept below ``fan_in``: at least one input connection per
unit survives, a deviation from the authors' code for tiny inputs, where it would zero a
whole layer); biases zero.

References
----------
M. Elsayed, G. Vasan and A. R. Mahmood, "Streaming Deep Reinforcement Learning Finally
Works", arXiv:2410.14606, 2024 (Algorithm 3, ObGD; sparse initialisation, Algorithm 1).
The update and its defaults were checked against the authors' public code (read, not
copied); the non-overshooting argument above is our own derivation of the paper's
statement.
"""

from __future__ import annotations

import math
from typing import Any
from collections.abc import Callable, Iterable

import numpy as np

from rlcore.deep import build_mlp, require_torch, resolve_device
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import (
    RNG,
    Bool,
    InvalidParameterError,
    InvalidParameterTypeError,
    Real,
    TorchModule,
    Unchecked,
    validate_params,
)
from tabular.deep._agent_common import EnvRunner, Evaluator, RunningMeanStd, as_task, finish, task_config
from tabular.deep._common import hidden_tuple
from tabular.deep.agent import Agent, DeepRLResult

__all__ = ["ObGD", "sparse_init_"]

#: Largest overshooting bound ``kappa`` accepted.
MAX_KAPPA = 1e6


@validate_params(
    params=Unchecked("an iterable of torch parameters (tensors that require grad); checked below"),
    learning_rate=Real(0, 10, closed="right"),
    gamma=Real(0, 1),
    lamda=Real(0, 1),
    kappa=Real(0, MAX_KAPPA, closed="right"),
)
class ObGD:
    """Overshooting-bounded gradient descent with eligibility traces (Elsayed et al. 2024).

    Parameters
    ----------
    params : iterable of torch.nn.Parameter
        The parameters ``w`` updated (e.g. ``net.parameters()``).
    learning_rate : float in (0, 10], default 1.0
        The step size ``alpha`` before bounding.
    gamma : float in [0, 1], default 0.99
        Discount of the trace decay.
    lamda : float in [0, 1], default 0.8
        Trace decay ``lambda`` (spelled as in the paper's code: ``lambda`` is a keyword).
    kappa : float in (0, 1e6], default 2.0
        The overshooting bound (larger is more cautious).

    Attributes
    ----------
    params : list of torch.Tensor
    traces : list of torch.Tensor
        The eligibility traces ``z``, one per parameter, of the same shapes.

    Guarantee
    ---------
    Elsayed, Vasan and Mahmood (2024), ObGD: for a value linear in ``w`` with features of
    sup-norm at most 1, a TD error ``delta = r + gamma' V(S') - V(S)`` (``gamma' = 0`` at
    a terminal transition) and ``kappa >= 1 + gamma'``, the error recomputed on the
    same sample after :meth:`step` has the sign of ``delta`` or is zero (for any trace
    and any ``learning_rate``), and with the target held fixed ``|V'(S) - V(S)| <= |delta| /
    kappa`` (derivation in the module docstring). Tested exactly by
    ``tests/tabular/deep/test_streaming.py::test_obgd_linear_never_overshoots`` (with a
    counterexample for ``kappa < 1 + gamma`` in
    ``tests/tabular/deep/test_streaming.py::test_obgd_can_overshoot_below_the_bound``);
    for small MLPs it is a heuristic, measured in
    ``tests/tabular/deep/test_streaming.py::test_obgd_mlp_rarely_overshoots``.

    Examples
    --------
    >>> torch = require_torch("example")
    >>> lin = torch.nn.Linear(2, 1, dtype=torch.float64)
    >>> _ = sparse_init_(lin, 0.0, rng=0)
    >>> opt = ObGD(lin.parameters(), kappa=2.0)
    >>> x = torch.tensor([1.0, 0.0], dtype=torch.float64)
    >>> v = lin(x)[0]
    >>> v.backward()
    >>> step = opt.step(5.0 - v.item())   # the target 5 is far: the step is bounded
    >>> 0 < lin(x)[0].item() <= 5.0
    True
    """

    def __init__(
        self,
        params: Iterable[Any],
        *,
        learning_rate: float = 1.0,
        gamma: float = 0.99,
        lamda: float = 0.8,
        kappa: float = 2.0,
    ) -> None:
        torch = require_torch("ObGD")
        try:
            plist = list(params)
        except TypeError as exc:
            raise InvalidParameterTypeError("params", f"expected an iterable of torch parameters ({exc})") from None
        if not plist:
            raise InvalidParameterError("params", "expected at least one parameter")
        for i, p in enumerate(plist):
            if not isinstance(p, torch.Tensor) or not p.requires_grad or not p.is_floating_point():
                raise InvalidParameterTypeError(
                    f"params[{i}]", f"expected a floating-point torch tensor that requires grad, got {type(p).__name__}"
                )
        self._torch = torch
        self.params = plist
        self.traces = [torch.zeros_like(p, requires_grad=False) for p in plist]
        self.learning_rate, self.gamma, self.lamda, self.kappa = (
            float(learning_rate),
            float(gamma),
            float(lamda),
            float(kappa),
        )
        self._decay = self.gamma * self.lamda

    @validate_params(delta=Real(), reset=Bool())
    def step(self, delta: float, reset: bool = False) -> float:
        """Trace the gradients now in ``p.grad`` and move the parameters along ``delta * z``.

        Parameters
        ----------
        delta : float
            The error multiplying the trace (a TD error); finite.
        reset : bool, default False
            Zero the traces after the step (end of an episode; a non-greedy action in
            Q(lambda)).

        Returns
        -------
        float
            The effective step size ``learning_rate / max(M, 1)`` used.
        """
        return self._step(delta, reset)

    def _step(self, delta: float, reset: bool) -> float:
        torch = self._torch
        with torch.no_grad():
            grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
            torch._foreach_mul_(self.traces, self._decay)
            torch._foreach_add_(self.traces, grads)
            z1 = float(torch.stack(torch._foreach_norm(self.traces, 1)).sum())
            bound = self.learning_rate * self.kappa * max(abs(delta), 1.0) * z1
            step = self.learning_rate / max(bound, 1.0)
            torch._foreach_add_(self.params, self.traces, alpha=step * delta)
            if reset:
                torch._foreach_zero_(self.traces)
        return step

    def clear_traces(self) -> None:
        """Zero the eligibility traces (without a step)."""
        self._torch._foreach_zero_(self.traces)


@validate_params(module=TorchModule(), sparsity=Real(0, 1, closed="left"), rng=RNG())
def sparse_init_(module: Any, sparsity: float = 0.9, *, rng: RNGLike = None) -> Any:
    """Sparse initialisation of every ``torch.nn.Linear`` of ``module``, in place, from a numpy generator.

    Each layer's weights are drawn uniform on ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``, then
    for each output unit ``min(ceil(sparsity * fan_in), fan_in - 1)`` of its inputs,
    chosen uniformly at random, are zeroed; biases are set to zero. Layers are visited in
    ``module.modules()`` order; torch's global random state is not used.

    Parameters
    ----------
    module : torch.nn.Module
    sparsity : float in [0, 1), default 0.9
        The fraction of each unit's input connections zeroed (the paper's default 0.9).
    rng : Generator, int or None

    Returns
    -------
    torch.nn.Module
        ``module`` itself.

    Guarantee
    ---------
    None: heuristic (Elsayed et al. 2024, Algorithm 1). What is checked is the
    construction: the exact number of zeros per unit, zero biases, the bounds and
    reproducibility, by
    ``tests/tabular/deep/test_streaming.py::test_sparse_init_zeroes_the_stated_share``.

    Examples
    --------
    >>> torch = require_torch("example")
    >>> lin = sparse_init_(torch.nn.Linear(10, 3), 0.9, rng=0)
    >>> (lin.weight == 0).sum(dim=1).tolist(), lin.bias.abs().sum().item()
    ([9, 9, 9], 0.0)
    """
    torch = require_torch("sparse_init_")
    gen = as_generator(rng)
    for lin in (m for m in module.modules() if isinstance(m, torch.nn.Linear)):
        fan_out, fan_in = lin.weight.shape
        bound = 1.0 / math.sqrt(fan_in)
        w = gen.uniform(-bound, bound, size=(fan_out, fan_in))
        k = min(math.ceil(sparsity * fan_in - 1e-9), fan_in - 1)
        if k > 0:
            idx = np.argsort(gen.random((fan_out, fan_in)), axis=1)[:, :k]
            np.put_along_axis(w, idx, 0.0, axis=1)
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(w, dtype=lin.weight.dtype))
            if lin.bias is not None:
                lin.bias.zero_()
    return module


# ----------------------------------------------------------------------------- streaming building blocks
def _mlp(sizes: list[int], cfg: dict[str, Any], torch: Any, dev: Any, gen: np.random.Generator) -> Any:
    act = cfg["activation"]
    net = build_mlp(sizes, activation="relu" if act == "leaky_relu" else act, rng=gen, layer_norm=True)
    if act == "leaky_relu":
        for i, m in enumerate(net):
            if isinstance(m, torch.nn.ReLU):
                net[i] = torch.nn.LeakyReLU()
    sparse_init_(net, cfg["sparsity"], rng=gen)
    return net.to(dev)


def _sample_categorical(logits: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    cdf = np.cumsum(p, axis=1)
    u = np.asarray(gen.random(logits.shape[0]))[:, None] * cdf[:, -1:]
    return np.minimum((cdf <= u).sum(axis=1), logits.shape[1] - 1).astype(np.int64)


def _gaussian(out: Any, torch: Any) -> tuple[Any, Any]:
    k = out.shape[1] // 2
    return out[:, :k], torch.nn.functional.softplus(out[:, k:]) + 1e-6


class _Stream:
    """One environment in the autoreset stream with online observation and reward scaling."""

    def __init__(self, task: Any, gen: np.random.Generator, gamma: float, norm_obs: bool, scale_rewards: bool) -> None:
        self.runner = EnvRunner(task, 1, gen)
        self.norm_obs = norm_obs and self.runner.n_states is None
        self.obs_rms = RunningMeanStd((self.runner.obs_dim,))
        self.scale_rewards = scale_rewards
        self.ret_rms = RunningMeanStd(())
        self.gamma = gamma
        self.u = 0.0
        self.x = self._norm(self.runner.x)

    def _norm(self, x: np.ndarray) -> np.ndarray:
        if not self.norm_obs:
            return x
        self.obs_rms.update(x)
        return self.obs_rms.normalize(x).astype(np.float32)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, float, bool, bool]:
        """``(x_final normalised, scaled reward, terminated, ended)``; moves ``self.x`` on."""
        x_final, rewards, terminated, truncated = self.runner.step(actions)
        r = float(rewards[0])
        term, ended = bool(terminated[0]), bool(terminated[0] or truncated[0])
        if self.scale_rewards:
            self.u = self.gamma * self.u + r
            self.ret_rms.update(np.array([self.u]))
            r = r / float(np.sqrt(self.ret_rms.var + 1e-8))
            if ended:
                self.u = 0.0
        xf = self._norm(x_final)
        self.x = self._norm(self.runner.x) if ended else xf
        return xf, r, term, ended

    def stats(self) -> dict[str, np.ndarray] | None:
        if not self.norm_obs:
            return None
        return {"mean": self.obs_rms.mean.copy(), "var": self.obs_rms.var.copy()}


def _setup(env: Any, cfg_extra: dict[str, Any], hidden_sizes: Any, device: Any, rng: RNGLike, mx: int | None) -> Any:
    torch = require_torch("tabular.deep.streaming")
    dev = resolve_device(device)
    gen = as_generator(rng)
    task = as_task(env, "env", mx)
    cfg = {**task_config(task), "hidden_sizes": list(hidden_tuple(hidden_sizes)), **cfg_extra}
    return torch, dev, gen, task, cfg


def _finish(
    name: str, agent: Agent, stream: _Stream, ev: Evaluator, act: Callable[..., Any], n_updates: int, t0: float
) -> DeepRLResult:
    stats = stream.stats()
    if stats is not None:
        agent.obs_stats = stats
    return finish(name, agent, stream.runner, ev, act, n_updates, t0)
