"""Value heads of a Q-network: what it outputs per action, its Q-values, targets and loss.

A Q-network with ``A`` actions and a head of ``k`` outputs per action ends in a layer
of width ``A * k``; row ``i`` of the output, viewed as ``(A, k)``, is the head's
description of the return of each action in state ``x_i``. The head turns it into
Q-values (for acting and for the greedy next action), builds the regression target
from the target network's output at the next state, and scores the online output
against it. With a transition ``(x, a, R, x', d)`` from the replay buffer, where
``R = sum_{i<k} gamma^i r_i`` is the k-step return and ``d = gamma^k`` when the target
bootstraps from ``x'`` (``d = 0`` after a termination), and ``a*`` the greedy next
action:

==============  ====  ==============================================================
``loss``        k     target and loss
==============  ====  ==============================================================
``"mse"``       1     ``y = R + d Q'(x', a*)``, squared error ``(Q(x, a) - y)^2``
``"huber"``     1     the same ``y``, Huber loss with threshold ``huber_delta`` (the
                      ``smooth_l1_loss`` of DQN implementations at ``delta = 1``)
``"hl_gauss"``  m     ``y`` as above with ``Q' = E[softmax]``; the target is the
                      HL-Gauss histogram of ``N(y, sigma^2)`` on ``m = n_bins`` bins
                      of ``[v_min, v_max]`` (Imani and White 2018), ``sigma =
                      sigma_ratio * bin width`` with the ratio 0.75 of Farebrother et
                      al. (2024); cross-entropy loss
``"two_hot"``   m     the two-hot encoding of ``y`` on ``m`` evenly spaced atoms
                      (Farebrother et al. 2024, Section 3.1); cross-entropy loss
``"c51"``       m     the categorical projection onto the atoms of the next-state
                      distribution shifted and scaled, ``R + d z_j`` with the
                      probabilities of ``x', a*`` (Bellemare et al. 2017, Algorithm
                      1); cross-entropy loss
``"quantile"``  N     ``N = n_quantiles`` quantiles at the midpoints ``tau_i = (2i +
                      1) / 2N``; the targets ``R + d theta'_j(x', a*)``, and the
                      quantile Huber loss of QR-DQN (Dabney et al. 2018, Eq. 10)
==============  ====  ==============================================================

The Q-value of a categorical head is the mean of its softmax distribution on the bin
centres (``hl_gauss``) or atoms (``two_hot``, ``c51``); of a quantile head, the mean of
its quantiles.

Choosing the support
--------------------
The classification heads represent values inside ``[v_min, v_max]`` only: scalar
targets outside are clamped to the nearest end (as in both papers), and an HL-Gauss
head's mean stays about ``sigma`` inside the ends. Take the support a little wider
than the range of the true action values: for rewards in ``[r_lo, r_hi]`` and bootstrapping
at time limits, ``[r_lo / (1 - gamma), r_hi / (1 - gamma)]``. On CartPole-v1 (reward 1
per step, gamma 0.99, time limits bootstrapped) that is ``[0, 100]``; the benchmark uses
``[0, 110]`` so that the values of good states (close to 100) lie several ``sigma``
inside the support instead of at its edge. There is no default: these heads need
``v_min`` and ``v_max``.

The encodings equal the NumPy references :func:`rlcore.deep.targets.hl_gauss_probs` and
:func:`rlcore.deep.targets.two_hot`, and the C51 projection equals
:func:`rlcore.categorical_projection`; torch is imported (through
:func:`rlcore.deep.require_torch`) when a head is built.

Guarantee
---------
Exactness of the targets: the HL-Gauss and two-hot encodings agree with the NumPy
references to 1e-6 on hypothesis-drawn targets (inside and outside the support), the
C51 target with :func:`rlcore.categorical_projection` (the Cramér projection of
Bellemare et al. 2017 / Rowland et al. 2018) on random distributions, and the quantile
loss with a brute-force double loop over Eq. 10 of Dabney et al. (2018). Tested by
``tests/tabular/deep/test_value_heads.py::test_hl_gauss_matches_numpy_reference``,
``tests/tabular/deep/test_value_heads.py::test_two_hot_matches_numpy_reference``,
``tests/tabular/deep/test_value_heads.py::test_c51_target_matches_categorical_projection`` and
``tests/tabular/deep/test_value_heads.py::test_quantile_huber_loss_matches_brute_force``.
What a head does for learning (DQN's convergence) is a heuristic.

References
----------
* Farebrother, J. et al. (2024). Stop regressing: training value functions via
  classification for scalable deep RL. *ICML 2024*, Sections 3.1-3.2 (HL-Gauss with
  ``sigma / width = 0.75``, two-hot).
* Imani, E. and White, M. (2018). Improving regression performance with
  distributional losses. *ICML 2018* (the histogram loss with Gaussian smoothing).
* Bellemare, M. G., Dabney, W. and Munos, R. (2017). A distributional perspective
  on reinforcement learning. *ICML 2017*, Algorithm 1 (C51).
* Dabney, W., Rowland, M., Bellemare, M. G. and Munos, R. (2018). Distributional
  reinforcement learning with quantile regression. *AAAI 2018*, Eq. 10 and
  Algorithm 1 (QR-DQN).

Examples
--------
>>> head = value_head("hl_gauss", n_bins=11, v_min=0.0, v_max=10.0)
>>> head.n_outputs
11
>>> torch = require_torch("example")
>>> out = torch.zeros(2, 3 * 11)            # 2 states, 3 actions, uniform logits
>>> head.q_values(out).shape, round(float(head.q_values(out)[0, 0]), 4)
(torch.Size([2, 3]), 5.0)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rlcore.deep import require_torch
from rlcore.deep.targets import MAX_BINS
from rlcore.validation import Integer, InvalidParameterError, Options, Real, validate_params

__all__ = ["LOSSES", "ValueHead", "value_head"]

#: The losses (heads) a Q-network can have.
LOSSES = ("mse", "huber", "hl_gauss", "two_hot", "c51", "quantile")
_SCALAR = ("mse", "huber")
_CATEGORICAL = ("hl_gauss", "two_hot", "c51")
#: Largest magnitude of a support end (so that widths and returns stay finite in float32).
MAX_SUPPORT = 1e30


class ValueHead:
    """A Q-network's value head (built by :func:`value_head`; see the module docstring).

    Tensors are torch tensors; ``n`` rows, ``A`` actions, ``k = n_outputs`` per action.

    Attributes
    ----------
    kind : str
        The loss that names the head.
    n_outputs : int
        ``k``: 1 (scalar heads), ``n_bins`` (categorical heads) or ``n_quantiles``.
    n_bins, v_min, v_max, sigma_ratio, n_quantiles, huber_delta
        The settings (``v_min``/``v_max`` None for the scalar and quantile heads).
    """

    def __init__(
        self,
        loss: str,
        n_bins: int,
        v_min: float | None,
        v_max: float | None,
        sigma_ratio: float,
        n_quantiles: int,
        huber_delta: float,
    ) -> None:
        self.kind = loss
        self.n_bins, self.v_min, self.v_max = n_bins, v_min, v_max
        self.sigma_ratio, self.n_quantiles, self.huber_delta = sigma_ratio, n_quantiles, huber_delta
        self.n_outputs = 1 if loss in _SCALAR else (n_quantiles if loss == "quantile" else n_bins)
        self._torch = require_torch("tabular.deep.value_head")
        self._cache: dict[tuple[Any, Any], tuple[Any, Any]] = {}

    def config(self) -> dict[str, Any]:
        """The settings as plain data: ``value_head(**head.config())`` rebuilds the head."""
        return {
            "loss": self.kind,
            "n_bins": self.n_bins,
            "v_min": self.v_min,
            "v_max": self.v_max,
            "sigma_ratio": self.sigma_ratio,
            "n_quantiles": self.n_quantiles,
            "huber_delta": self.huber_delta,
        }

    # ------------------------------------------------------------------ support
    def _grid(self, like: Any) -> tuple[Any, Any]:
        """(edges or atoms, values) tensors on ``like``'s device and dtype, cached.

        HL-Gauss: the ``m + 1`` bin edges and the ``m`` bin centres; two-hot and C51: the
        ``m`` atoms twice. Built in float64 by NumPy (the references' ``linspace``).
        """
        key = (like.device, like.dtype)
        if key not in self._cache:
            lo, hi, m = float(self.v_min), float(self.v_max), self.n_bins  # type: ignore[arg-type]
            if self.kind == "hl_gauss":
                edges = np.linspace(lo, hi, m + 1)
                values = 0.5 * (edges[:-1] + edges[1:])
            else:
                edges = values = np.linspace(lo, hi, m)
            t = self._torch
            self._cache[key] = (
                t.as_tensor(edges, dtype=like.dtype, device=like.device),
                t.as_tensor(values, dtype=like.dtype, device=like.device),
            )
        return self._cache[key]

    # ------------------------------------------------------------------ outputs
    def q_values(self, out: Any) -> Any:
        """Q-values ``(n, A)`` from a network output ``(n, A * k)``."""
        n, k = out.shape[0], self.n_outputs
        if self.kind in _SCALAR:
            return out
        view = out.reshape(n, -1, k)
        if self.kind == "quantile":
            return view.mean(dim=2)
        return self._torch.softmax(view, dim=2) @ self._grid(out)[1]

    def select(self, out: Any, actions: Any) -> Any:
        """The outputs ``(n, k)`` of the chosen ``actions`` (int64 ``(n,)``) from ``(n, A * k)``."""
        k = self.n_outputs
        view = out.reshape(out.shape[0], -1, k)
        return view.gather(1, actions.reshape(-1, 1, 1).expand(-1, 1, k))[:, 0, :]

    def value(self, out_sa: Any) -> Any:
        """The scalar value ``(n,)`` of selected outputs ``(n, k)``."""
        if self.kind in _SCALAR:
            return out_sa[:, 0]
        if self.kind == "quantile":
            return out_sa.mean(dim=1)
        return self._torch.softmax(out_sa, dim=1) @ self._grid(out_sa)[1]

    # ------------------------------------------------------------------ targets
    def encode(self, y: Any) -> Any:
        """The categorical target ``(n, m)`` of scalar targets ``y`` ``(n,)``: HL-Gauss or two-hot.

        Equal to :func:`rlcore.deep.targets.hl_gauss_probs` (with ``sigma = sigma_ratio *
        width``) or :func:`rlcore.deep.targets.two_hot` on the same support; ``y`` outside
        the support is clamped to it first, as there.
        """
        t = self._torch
        lo, hi, m = float(self.v_min), float(self.v_max), self.n_bins  # type: ignore[arg-type]
        edges, _ = self._grid(y)
        yc = y.clamp(lo, hi)
        if self.kind == "hl_gauss":
            sigma = self.sigma_ratio * (hi - lo) / m
            z = (edges[None, :] - yc[:, None]) / (sigma * math.sqrt(2.0))
            a, b = z[:, :-1], z[:, 1:]
            # 2 (Phi(b) - Phi(a)) from the side where it does not cancel (as the reference)
            mass = t.where(
                a >= 1.0,
                t.special.erfc(a) - t.special.erfc(b),
                t.where(b <= -1.0, t.special.erfc(-b) - t.special.erfc(-a), t.erf(b) - t.erf(a)),
            ).clamp_min(0.0)
            return mass / mass.sum(dim=1, keepdim=True)
        if self.kind != "two_hot":
            raise InvalidParameterError("self", f"encode is for the hl_gauss and two_hot heads, not {self.kind!r}")
        delta = (hi - lo) / (m - 1)
        pos = ((yc - lo) / delta).clamp(0.0, m - 1)
        low = pos.floor().long().clamp(max=m - 1)
        up = (low + 1).clamp(max=m - 1)
        frac = pos - low.to(pos.dtype)
        out = t.zeros(y.shape[0], m, dtype=y.dtype, device=y.device)
        out.scatter_add_(1, low[:, None], (1.0 - frac)[:, None])
        out.scatter_add_(1, up[:, None], frac[:, None])
        return out

    def project(self, probs: Any, rewards: Any, discounts: Any) -> Any:
        """C51's target: the distribution ``(n, m)`` on the atoms ``z`` of ``R + d Z``.

        ``probs`` ``(n, m)`` are the next-state probabilities on the atoms; atom ``z_j``
        moves to ``R + d z_j`` (clamped to the support) and its mass is split between the
        two atoms around it in proportion to closeness (Bellemare et al. 2017,
        Algorithm 1), which is :func:`rlcore.categorical_projection`.
        """
        t = self._torch
        lo, m = float(self.v_min), self.n_bins  # type: ignore[arg-type]
        z = self._grid(probs)[0]
        step = (float(self.v_max) - lo) / (m - 1)  # type: ignore[arg-type]
        tz = rewards[:, None] + discounts[:, None] * z[None, :]
        pos = ((tz - lo) / step).clamp(0.0, m - 1)
        left = pos.floor().long().clamp(max=m - 2)
        frac = pos - left.to(pos.dtype)
        out = t.zeros_like(probs)
        out.scatter_add_(1, left, probs * (1.0 - frac))
        out.scatter_add_(1, left + 1, probs * frac)
        return out

    def target(self, next_sa: Any, rewards: Any, discounts: Any) -> Any:
        """The target of the loss from the target network's outputs ``(n, k)`` at ``(x', a*)``.

        Parameters
        ----------
        next_sa : tensor of shape (n, k)
        rewards : tensor of shape (n,)
            The (multi-step) returns ``R``.
        discounts : tensor of shape (n,)
            ``gamma^k`` where the target bootstraps, 0 after a termination.

        Returns
        -------
        tensor
            ``(n,)`` scalar targets (``mse``, ``huber``), ``(n, m)`` distributions
            (``hl_gauss``, ``two_hot``, ``c51``) or ``(n, N)`` target quantiles.
        """
        if self.kind in _SCALAR:
            return rewards + discounts * next_sa[:, 0]
        if self.kind == "quantile":
            return rewards[:, None] + discounts[:, None] * next_sa
        if self.kind == "c51":
            return self.project(self._torch.softmax(next_sa, dim=1), rewards, discounts)
        return self.encode(rewards + discounts * self.value(next_sa))

    # ------------------------------------------------------------------ loss
    def loss(self, out_sa: Any, target: Any) -> Any:
        """The minibatch loss (a scalar tensor) of online outputs ``(n, k)`` against :meth:`target`."""
        t = self._torch
        if self.kind == "mse":
            return t.nn.functional.mse_loss(out_sa[:, 0], target)
        if self.kind == "huber":
            return t.nn.functional.huber_loss(out_sa[:, 0], target, delta=self.huber_delta)
        if self.kind == "quantile":
            return _quantile_huber_loss(t, out_sa, target, self.huber_delta)
        return -(target * t.log_softmax(out_sa, dim=1)).sum(dim=1).mean()

    def __repr__(self) -> str:
        return f"ValueHead({', '.join(f'{k}={v!r}' for k, v in self.config().items())})"


def _quantile_huber_loss(torch: Any, theta: Any, targets: Any, kappa: float) -> Any:
    """QR-DQN's loss (Dabney et al. 2018, Eq. 10), averaged over the batch.

    ``sum_i mean_j rho^kappa_{tau_i}(T_j - theta_i)`` with ``tau_i = (2i + 1) / 2N`` and
    ``rho^kappa_tau(u) = |tau - 1{u < 0}| L_kappa(u)``, ``L_kappa`` the Huber loss.
    """
    N = theta.shape[1]
    tau = (torch.arange(N, dtype=theta.dtype, device=theta.device) + 0.5) / N
    u = targets[:, None, :] - theta[:, :, None]  # (n, i, j)
    absu = u.abs()
    huber = torch.where(absu <= kappa, 0.5 * u * u, kappa * (absu - 0.5 * kappa))
    weight = (tau[None, :, None] - (u.detach() < 0).to(theta.dtype)).abs()
    return (weight * huber).mean(dim=2).sum(dim=1).mean()


@validate_params(
    loss=Options(*LOSSES),
    n_bins=Integer(2, MAX_BINS),
    v_min=Real(-MAX_SUPPORT, MAX_SUPPORT) | None,
    v_max=Real(-MAX_SUPPORT, MAX_SUPPORT) | None,
    sigma_ratio=Real(0.01, 100.0),
    n_quantiles=Integer(1, MAX_BINS),
    huber_delta=Real(1e-6, 1e6),
)
def value_head(
    loss: str = "huber",
    *,
    n_bins: int = 51,
    v_min: float | None = None,
    v_max: float | None = None,
    sigma_ratio: float = 0.75,
    n_quantiles: int = 50,
    huber_delta: float = 1.0,
) -> ValueHead:
    """The value head of a Q-network chosen by its loss.

    Parameters
    ----------
    loss : {"mse", "huber", "hl_gauss", "two_hot", "c51", "quantile"}, default "huber"
        See the module docstring's table.
    n_bins : int in [2, 10**5], default 51
        Bins (``hl_gauss``) or atoms (``two_hot``, ``c51``) of a categorical head.
    v_min, v_max : float in [-1e30, 1e30] or None
        The support of a categorical head, ``v_min < v_max``; required by
        ``hl_gauss``, ``two_hot`` and ``c51`` (see "Choosing the support" in the module
        docstring), ignored (stored as None) by the others.
    sigma_ratio : float in [0.01, 100], default 0.75
        HL-Gauss smoothing ``sigma`` over the bin width (0.75: Farebrother et al. 2024).
    n_quantiles : int in [1, 10**5], default 50
        Quantiles of the ``quantile`` head.
    huber_delta : float in [1e-6, 1e6], default 1.0
        Threshold of the Huber loss (``huber``) and of the quantile Huber loss
        (``kappa``, ``quantile``).

    Returns
    -------
    ValueHead

    Raises
    ------
    ValueError
        A categorical head without ``v_min``/``v_max``, or with ``v_min >= v_max``
        (the message starts with the argument's name).

    Guarantee
    ---------
    The encodings and the projection equal the library's NumPy references. Tested by
    ``tests/tabular/deep/test_value_heads.py::test_hl_gauss_matches_numpy_reference`` and
    ``tests/tabular/deep/test_value_heads.py::test_c51_target_matches_categorical_projection``.

    Examples
    --------
    >>> head = value_head("two_hot", n_bins=3, v_min=0.0, v_max=2.0)
    >>> torch = require_torch("example")
    >>> head.encode(torch.tensor([0.5, 7.0], dtype=torch.float64))
    tensor([[0.5000, 0.5000, 0.0000],
            [0.0000, 0.0000, 1.0000]], dtype=torch.float64)
    >>> value_head("huber").n_outputs
    1
    """
    if loss in _CATEGORICAL:
        for name, v in (("v_min", v_min), ("v_max", v_max)):
            if v is None:
                raise InvalidParameterError(
                    name,
                    f"required for loss={loss!r}: the support [v_min, v_max] must cover the action values "
                    "(e.g. 0 and 110 for CartPole-v1 at gamma 0.99, whose values lie in [0, 100])",
                )
        if not v_min < v_max:  # type: ignore[operator]
            raise InvalidParameterError("v_max", f"expected v_min < v_max, got ({v_min!r}, {v_max!r})")
        lo, hi = float(v_min), float(v_max)  # type: ignore[arg-type]
    else:
        for name, v in (("v_min", v_min), ("v_max", v_max)):
            if v is not None:
                raise InvalidParameterError(
                    name, f"only the categorical heads {_CATEGORICAL} have a support; loss={loss!r} has none"
                )
        lo = hi = None  # type: ignore[assignment]
    return ValueHead(loss, int(n_bins), lo, hi, float(sigma_ratio), int(n_quantiles), float(huber_delta))
