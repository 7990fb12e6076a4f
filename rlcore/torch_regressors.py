"""Deep regressors in PyTorch, following the :class:`~rlcore.regressors.Regressor` protocol.

Fitted-Q iteration, SQIRL, least-squares Monte Carlo and the offline learners take any
object with ``fit(X, y, sample_weight=None) -> self`` and ``predict(X) -> (n,)``; the
two estimators here make their "deep variants":

* :class:`MLPRegressor`: a scalar multilayer perceptron trained with the squared
  loss, the Huber loss, or the HL-Gauss classification loss of Farebrother et al.
  (2024), which trains a softmax over fixed bins against the Gaussian-smoothed
  histogram target :func:`hl_gauss_probs` and predicts its mean;
* :class:`DistributionalMLPRegressor`: a distributional value learner with a
  categorical head (C51: cross-entropy against the two-point projection
  :func:`categorical_projection` of each sample target onto a fixed support) or a
  quantile head (QR-DQN: the quantile-Huber loss at the quantile midpoints
  :math:`\\tau_i = (2i+1)/(2N)`); :meth:`~DistributionalMLPRegressor.predict` returns
  the mean of the predicted distribution.

Both train with Adam on shuffled minibatches; ``sample_weight`` weights each sample's
loss. Randomness (initial weights, minibatch order) comes from one NumPy generator
(``random_state``), so the same seed gives the same network on the same device and
thread count; the global torch seed is never touched.

torch is an optional dependency: this module imports without it (and
:func:`hl_gauss_probs`, :func:`categorical_projection` and :func:`one_hot` are pure
NumPy), while fitting a network without torch raises an :class:`ImportError` naming the
``torch`` extra.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from typing import Any, NamedTuple

import numpy as np
from scipy.special import erf, erfc

from rlcore.randomness import _as_generator
from rlcore.regressors import _check_sample_weight, _check_y, _declare, _not_fitted
from rlcore.validation import (
    MAX_ITERATIONS,
    MAX_SAMPLES,
    RNG,
    Array,
    Bool,
    Constraint,
    Device,
    Integer,
    InvalidParameterError,
    Options,
    Real,
    Sequence_,
    as_float_array,
    validate_params,
)

__all__ = [
    "DiscreteDistribution",
    "DistributionalMLPRegressor",
    "MLPRegressor",
    "categorical_projection",
    "hl_gauss_probs",
    "one_hot",
]

_TORCH_HINT = "install the 'torch' extra: pip install torch==2.13.0 (the CPU build), then pip install 'rlref[torch]'"
_ACTIVATIONS = ("relu", "tanh", "gelu", "silu", "elu")
_PREDICT_CHUNK = 8192


def _import_torch(what: str) -> Any:
    """Import torch at call time; a missing torch becomes an ImportError naming the extra."""
    try:
        return importlib.import_module("torch")
    except ImportError as exc:
        raise ImportError(f"{what} needs PyTorch, which is not installed; {_TORCH_HINT}") from exc


# --------------------------------------------------------------------------- checks
#: Most bins (HL-Gauss) or atoms (categorical / quantile heads) of a head.
MAX_BINS: int = 10**5
#: Widest hidden layer and most hidden layers of a network.
MAX_WIDTH: int = 16384
MAX_LAYERS: int = 64
#: Range of the Huber thresholds (``huber_delta``, ``kappa``): numbers that float32, in
#: which the losses are computed, represents as normal numbers with room to spare.
HUBER_MIN: float = 1e-30
HUBER_MAX: float = 1e30
#: Most entries of a one-hot matrix :func:`one_hot` builds (8 GB of float64).
MAX_ONE_HOT_ENTRIES: int = 10**9


def _check_support(lo: float, hi: float, names: tuple[str, str] = ("support_min", "support_max")) -> None:
    """The ends of a support (already checked reals) must be ordered with a finite width."""
    if not lo < hi:
        raise InvalidParameterError(names[1], f"expected {names[0]} < {names[1]}, got ({lo!r}, {hi!r})")
    if not np.isfinite(hi - lo):
        raise InvalidParameterError(names[1], f"the width {names[1]} - {names[0]} overflows, got ({lo!r}, {hi!r})")


class _TorchDevice(Device):
    """:class:`~rlcore.validation.Device`, but without torch installed a string is
    accepted as it is (``fit`` then raises the ImportError naming the ``torch`` extra)."""

    def check(self, value: Any, name: str, args: dict | None = None) -> Any:
        if isinstance(value, str) and importlib.util.find_spec("torch") is None:
            return value
        return super().check(value, name, args)


_SUPPORT = Sequence_(Real(), length=2) | None
_COMMON: dict[str, Constraint] = {
    "hidden_sizes": Sequence_(Integer(1, MAX_WIDTH), min_len=0, max_len=MAX_LAYERS) | Integer(1, MAX_WIDTH),
    "activation": Options("relu", "tanh", "gelu", "silu", "elu"),
    "n_epochs": Integer(1, MAX_ITERATIONS),
    "min_steps": Integer(0, MAX_ITERATIONS),
    "batch_size": Integer(1, MAX_SAMPLES),
    "learning_rate": Real(0, 10, closed="right"),
    "lr_schedule": Options("cosine", "constant"),
    "weight_decay": Real(0, 1e3),
    "standardize_X": Bool(),
    "standardize_y": Bool(),
    "random_state": RNG(),
    "device": _TorchDevice(),
    "warm_start": Bool(),
}


# --------------------------------------------------------------------------- numpy targets


def _hl_gauss_probs(yv: np.ndarray, lo: float, hi: float, n_bins: int, sigma: float | None) -> np.ndarray:
    """:func:`hl_gauss_probs` on checked arguments (called once per minibatch in training)."""
    width = (hi - lo) / n_bins
    sig = 0.75 * width if sigma is None else sigma
    yc = np.clip(yv, lo, hi)
    edges = np.linspace(lo, hi, n_bins + 1)
    with np.errstate(over="ignore", under="ignore"):
        z = (edges[None, :] - yc[:, None]) / (sig * np.sqrt(2.0))
        a, b = z[:, :-1], z[:, 1:]
        # 2 * (Phi(b) - Phi(a)) from the side where it does not cancel: erfc in the
        # tails, erf (accurate near 0, no cancellation across 0) in the centre.
        mass = np.where(
            a >= 1.0,
            erfc(a) - erfc(b),
            np.where(b <= -1.0, erfc(-b) - erfc(-a), erf(b) - erf(a)),
        )
        mass = np.maximum(mass, 0.0)
        total = mass.sum(axis=1, keepdims=True)
        flat = ~(total > 1e-250)
        if np.any(flat):
            # sigma so large (> ~1e250 support widths) that the bin masses underflow:
            # the density is flat on the support, each bin gets its midpoint density.
            mid = 0.5 * (a + b)
            mass = np.where(flat, np.exp(-(mid**2)), mass)
            total = mass.sum(axis=1, keepdims=True)
    return np.asarray(mass / total, dtype=np.float64)


@validate_params(
    y=Array(ndim=1, min_size=0),
    support_min=Real(),
    support_max=Real(),
    n_bins=Integer(2, MAX_BINS),
    sigma=Real(0, None, closed="neither") | None,
)
def hl_gauss_probs(
    y: Any,
    support_min: float,
    support_max: float,
    n_bins: int,
    sigma: float | None = None,
) -> np.ndarray:
    """HL-Gauss target distributions: a Normal(y, sigma) histogrammed on fixed bins.

    The support :math:`[v_{\\min}, v_{\\max}]` is cut into ``n_bins`` bins of equal width
    :math:`w = (v_{\\max} - v_{\\min}) / m` with edges :math:`e_0 < \\dots < e_m`. Bin
    :math:`i` gets the mass the normal distribution :math:`\\mathcal N(y, \\sigma^2)`
    puts on it, renormalised by the mass on the whole support:

    .. math:: p_i(y) = \\frac{\\Phi((e_{i+1} - y)/\\sigma) - \\Phi((e_i - y)/\\sigma)}
              {\\Phi((e_m - y)/\\sigma) - \\Phi((e_0 - y)/\\sigma)}.

    Parameters
    ----------
    y : array_like of shape (n,)
        Finite scalar targets. Values outside the support are **clamped** to its nearest
        end before smoothing (as in the paper: a classification head can only represent
        values inside its support); choose the support to cover the targets.
    support_min, support_max : float
        Finite ends of the support, ``support_min < support_max`` with a finite width.
    n_bins : int in [2, 10**5]
        Number of bins.
    sigma : float or None, default None
        Standard deviation of the smoothing normal, ``> 0``. Default ``0.75 * w``, the
        ratio :math:`\\sigma / w = 0.75` recommended by Farebrother et al. (2024).

    Returns
    -------
    ndarray of shape (n, n_bins)
        Row ``k`` is the target distribution of ``y[k]``; each row sums to 1 and
        :math:`\\sum_i p_i(y) c_i \\approx y` for bin centres :math:`c_i` and ``y`` a few
        ``sigma`` inside the support.

    Notes
    -----
    Each bin's mass is computed where it is accurate (differences of ``erfc`` in the
    tails, of ``erf`` in the centre), so rows are free of cancellation for any
    ``sigma`` and never NaN. For a ``sigma`` so large that every bin's mass underflows
    (over ~1e250 support widths) each bin gets its midpoint density instead, the
    ``sigma -> infinity`` limit (uniform).

    References
    ----------
    .. [1] Farebrother, J., Orbay, J., Vuong, Q., Taiga, A. A., Chebotar, Y., Xiao, T.,
       Irpan, A., Levine, S., Castro, P. S., Faust, A., Kumar, A. and Agarwal, R. (2024).
       Stop regressing: training value functions via classification for scalable deep
       RL. *ICML 2024*, Section 3.1 and Figure 3.
    .. [2] Imani, E. and White, M. (2018). Improving regression performance with
       distributional losses. *ICML 2018*.

    Examples
    --------
    >>> p = hl_gauss_probs([0.5, 2.0], 0.0, 2.0, n_bins=4)
    >>> p.shape, np.allclose(p.sum(axis=1), 1.0)
    ((2, 4), True)
    >>> centres = np.linspace(0.25, 1.75, 4)
    >>> bool(abs(p[0] @ centres - 0.5) < 0.25)
    True
    """
    _check_support(support_min, support_max)
    return _hl_gauss_probs(y, support_min, support_max, n_bins, sigma)


def _categorical_projection(yv: np.ndarray, lo: float, hi: float, n_atoms: int) -> np.ndarray:
    """:func:`categorical_projection` on checked arguments (called once per minibatch)."""
    delta = (hi - lo) / (n_atoms - 1)
    b = np.clip((np.clip(yv, lo, hi) - lo) / delta, 0.0, n_atoms - 1)
    low = np.minimum(np.floor(b).astype(np.int64), n_atoms - 1)
    up = np.minimum(low + 1, n_atoms - 1)
    frac = b - low
    rows = np.arange(yv.shape[0])
    out = np.zeros((yv.shape[0], n_atoms), dtype=np.float64)
    out[rows, low] = 1.0 - frac
    out[rows, up] += frac
    return out


@validate_params(y=Array(ndim=1, min_size=0), support_min=Real(), support_max=Real(), n_atoms=Integer(2, MAX_BINS))
def categorical_projection(y: Any, support_min: float, support_max: float, n_atoms: int) -> np.ndarray:
    """Project scalar targets onto a fixed evenly spaced support (the C51 projection).

    With atoms :math:`z_j = v_{\\min} + j\\,\\Delta`, :math:`\\Delta = (v_{\\max} -
    v_{\\min})/(N-1)`, a target :math:`y` (clamped to the support) is split between its
    two neighbouring atoms :math:`z_l \\le y \\le z_{l+1}` in proportion to proximity:

    .. math:: p_l = (z_{l+1} - y)/\\Delta, \\quad p_{l+1} = (y - z_l)/\\Delta.

    This is the projection :math:`\\Phi` of Bellemare et al. (2017) applied to a Dirac
    at :math:`y`; it preserves the mean, and is the Cramér-distance (:math:`\\ell_2`
    between CDFs) projection onto distributions supported on the atoms (Rowland et al.
    2018).

    Parameters
    ----------
    y : array_like of shape (n,)
        Finite targets; values outside the support are **clamped** to it (as C51 does).
    support_min, support_max : float
        Finite ends of the support, ``support_min < support_max`` with a finite width.
    n_atoms : int in [2, 10**5]
        Number of atoms.

    Returns
    -------
    ndarray of shape (n, n_atoms)
        Row ``k`` has at most two non-zero (adjacent) entries and sums to 1.

    References
    ----------
    .. [1] Bellemare, M. G., Dabney, W. and Munos, R. (2017). A distributional
       perspective on reinforcement learning. *ICML 2017*, Algorithm 1.
    .. [2] Rowland, M., Bellemare, M. G., Dabney, W., Munos, R. and Teh, Y. W. (2018).
       An analysis of categorical distributional reinforcement learning. *AISTATS
       2018*, Proposition 1.

    Examples
    --------
    >>> categorical_projection([0.5, 1.0, 7.0], 0.0, 2.0, n_atoms=3)
    array([[0.5, 0.5, 0. ],
           [0. , 1. , 0. ],
           [0. , 0. , 1. ]])
    """
    _check_support(support_min, support_max)
    return _categorical_projection(y, support_min, support_max, n_atoms)


@validate_params(indices=Array(ndim=1, min_size=0), n=Integer(1, MAX_ONE_HOT_ENTRIES))
def one_hot(indices: Any, n: int) -> np.ndarray:
    """One-hot encode integer indices: the input encoding of a tabular problem.

    Parameters
    ----------
    indices : array_like of shape (m,), integer-valued
        Indices in ``[0, n)``.
    n : int in [1, 10**9]
        Number of categories; the result has at most 10**9 entries ``m * n``.

    Returns
    -------
    ndarray of shape (m, n), float64
        Row ``k`` is the ``indices[k]``-th unit vector.

    Examples
    --------
    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    idx = indices
    if np.any(idx != np.round(idx)):
        i = int(np.flatnonzero(idx != np.round(idx))[0])
        raise InvalidParameterError("indices", f"expected integers, found {idx[i]!r} at index {i}")
    bad = (idx < 0) | (idx >= n)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InvalidParameterError("indices", f"expected values in [0, {n}), found {idx[i]!r} at index {i}")
    if idx.shape[0] * n > MAX_ONE_HOT_ENTRIES:
        raise InvalidParameterError(
            "n", f"a one-hot matrix of shape ({idx.shape[0]}, {n}) has more than {MAX_ONE_HOT_ENTRIES} entries"
        )
    out = np.zeros((idx.shape[0], n), dtype=np.float64)
    out[np.arange(idx.shape[0]), idx.astype(np.int64)] = 1.0
    return out


class DiscreteDistribution(NamedTuple):
    """A batch of discrete distributions: ``values[k]`` with weights ``probs[k]``.

    Attributes
    ----------
    values : ndarray of shape (n, K)
        Atom locations of each row's distribution (for a categorical head the fixed
        support repeated on every row; for a quantile head the predicted quantiles).
    probs : ndarray of shape (n, K)
        Probabilities of the atoms; each row sums to 1.
    """

    values: np.ndarray
    probs: np.ndarray


def _inverse_cdf(values: np.ndarray, probs: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """Generalised inverse ``min{z : F(z) >= tau}`` of each row's discrete distribution."""
    order = np.argsort(values, axis=1, kind="stable")
    v = np.take_along_axis(values, order, axis=1)
    cdf = np.cumsum(np.take_along_axis(probs, order, axis=1), axis=1)
    cdf[:, -1] = np.inf  # rounding must never push tau past the last atom
    # index of the first atom whose cdf reaches tau (a 1e-12 slack absorbs the rounding
    # of the cumulative sum, e.g. 3 * (1/3) < 1)
    j = (cdf[:, None, :] < taus[None, :, None] - 1e-12).sum(axis=2)
    return np.asarray(np.take_along_axis(v, j, axis=1), dtype=np.float64)


# --------------------------------------------------------------------------- torch base


class _TorchMLP:
    """Shared parameter handling and training loop (private; not part of the API)."""

    model_: Any
    n_features_in_: int
    X_mean_: np.ndarray
    X_scale_: np.ndarray
    y_mean_: float
    y_scale_: float
    loss_curve_: list[float]
    n_iter_: int
    _cfg_: dict[str, Any]
    _signature_: tuple[Any, ...]

    # ---- scikit-learn style parameter access (enough for sklearn.base.clone)
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Return the constructor parameters as a dict."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params: Any) -> Any:
        """Set constructor parameters; returns ``self``."""
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise InvalidParameterError(key, f"not a parameter of {type(self).__name__}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ---- hooks for subclasses
    def _head_config(self) -> dict[str, Any]:  # validated head parameters
        raise NotImplementedError

    def _out_dim(self, cfg: dict[str, Any]) -> int:
        raise NotImplementedError

    def _scale_y(self, cfg: dict[str, Any]) -> bool:
        raise NotImplementedError

    def _batch_loss(self, torch: Any, out: Any, y_t: Any, y_np: np.ndarray, cfg: dict[str, Any]) -> Any:
        """Per-sample loss of shape (B,) for network outputs ``out`` of shape (B, out_dim)."""
        raise NotImplementedError

    # ---- common checks (again in fit: set_params may have changed the parameters)
    def _common_config(self) -> dict[str, Any]:
        v = {name: c.check(getattr(self, name), name) for name, c in _COMMON.items() if name not in ("device",)}
        hs = v["hidden_sizes"]
        return {
            "hidden": (hs,) if isinstance(hs, int) else tuple(hs),
            "activation": v["activation"],
            "n_epochs": v["n_epochs"],
            "min_steps": v["min_steps"],
            "lr_schedule": v["lr_schedule"],
            "batch_size": v["batch_size"],
            "lr": v["learning_rate"],
            "weight_decay": v["weight_decay"],
            "standardize_X": v["standardize_X"],
            "standardize_y": v["standardize_y"],
            "warm_start": v["warm_start"],
        }

    def _device(self, torch: Any) -> Any:
        return Device().check(self.device, "device")  # type: ignore[attr-defined]

    def _build(self, torch: Any, d: int, out_dim: int, cfg: dict[str, Any], rng: np.random.Generator) -> Any:
        nn = torch.nn
        act = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "silu": nn.SiLU, "elu": nn.ELU}[cfg["activation"]]
        sizes = (d, *cfg["hidden"], out_dim)
        layers: list[Any] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            # skip_init leaves the global torch RNG alone; weights are drawn from ``rng``
            # with PyTorch's default ranges (uniform, bound 1/sqrt(fan_in)).
            lin = torch.nn.utils.skip_init(nn.Linear, fan_in, fan_out, dtype=torch.float32)
            bound = 1.0 / np.sqrt(fan_in)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)))
                lin.bias.copy_(torch.from_numpy(rng.uniform(-bound, bound, fan_out).astype(np.float32)))
            layers.append(lin)
            if i < len(sizes) - 2:
                layers.append(act())
        return nn.Sequential(*layers)

    def _fit(self, X: Any, y: Any, sample_weight: Any) -> None:
        cls = type(self).__name__
        torch = _import_torch(f"{cls}.fit")
        cfg = self._common_config()
        cfg.update(self._head_config())
        device = self._device(torch)
        rng = _as_generator(self.random_state, "random_state")  # type: ignore[attr-defined]
        Xf = as_float_array(X, "X", ndim=2)
        n, d = Xf.shape
        if n == 0:
            raise InvalidParameterError("X", "expected at least one sample, got 0 rows")
        if d == 0:
            raise InvalidParameterError("X", "expected at least one feature column, got shape (n, 0)")
        yv = _check_y(y, n)
        w = _check_sample_weight(sample_weight, n)
        keep = w > 0  # zero-weight rows carry no information: drop them
        Xf, yv, w = Xf[keep], yv[keep], w[keep]
        out_dim = self._out_dim(cfg)
        signature = (d, out_dim, cfg["hidden"], cfg["activation"], cfg.get("loss", cfg.get("head")))
        warm = cfg["warm_start"] and hasattr(self, "model_") and getattr(self, "_signature_", None) == signature
        if not warm:
            if cfg["standardize_X"]:
                self.X_mean_ = Xf.mean(axis=0)
                scale = Xf.std(axis=0)
                self.X_scale_ = np.where(scale > 0, scale, 1.0)
            else:
                self.X_mean_ = np.zeros(d)
                self.X_scale_ = np.ones(d)
            if cfg["standardize_y"] and self._scale_y(cfg):
                wn = w / w.sum()
                self.y_mean_ = float(wn @ yv)
                sd = float(np.sqrt(wn @ (yv - self.y_mean_) ** 2))
                self.y_scale_ = sd if sd > 0 else 1.0
            else:
                self.y_mean_, self.y_scale_ = 0.0, 1.0
            self.model_ = self._build(torch, d, out_dim, cfg, rng)
            self.loss_curve_ = []
            self.n_iter_ = 0
            self._signature_ = signature
        model = self.model_.to(device)
        self.model_ = model
        m = Xf.shape[0]
        Xs = _float32(Xf, self.X_mean_, self.X_scale_, "X", "standardize_X=True")
        y_np = (yv - self.y_mean_) / self.y_scale_
        y_t = torch.from_numpy(_float32(yv, self.y_mean_, self.y_scale_, "y", "standardize_y=True")).to(device)
        X_t = torch.from_numpy(Xs).to(device)
        w_t = torch.from_numpy((w / w.mean()).astype(np.float32)).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
        bs = min(cfg["batch_size"], m)
        per_epoch = -(-m // bs)
        n_epochs = max(cfg["n_epochs"], -(-cfg["min_steps"] // per_epoch))
        n_steps = n_epochs * per_epoch
        step = 0
        model.train()
        for _ in range(n_epochs):
            perm = rng.permutation(m)
            total = torch.zeros((), device=device)
            for start in range(0, m, bs):
                if cfg["lr_schedule"] == "cosine":
                    for group in opt.param_groups:
                        group["lr"] = cfg["lr"] * 0.5 * (1.0 + np.cos(np.pi * step / n_steps))
                step += 1
                idx_np = perm[start : start + bs]
                idx = torch.from_numpy(idx_np).to(device)
                out = model(X_t[idx])
                per_sample = self._batch_loss(torch, out, y_t[idx], y_np[idx_np], cfg)
                loss = (w_t[idx] * per_sample).mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total = total + loss.detach() * idx_np.shape[0]
            self.loss_curve_.append(float(total.item()) / m)
            self.n_iter_ += 1
            if not np.isfinite(self.loss_curve_[-1]):
                raise InvalidParameterError(
                    "learning_rate",
                    f"training diverged: the loss of epoch {self.n_iter_} is "
                    f"{self.loss_curve_[-1]!r}; lower learning_rate (or weight_decay), or rescale X and y",
                )
        model.eval()
        self.n_features_in_ = int(d)
        self._cfg_ = cfg

    def _forward(self, X: Any, method: str) -> np.ndarray:
        """Raw network outputs (float64, shape (m, out_dim)) for inputs ``X``."""
        if not hasattr(self, "model_"):
            raise _not_fitted(self, method)
        torch = _import_torch(f"{type(self).__name__}.{method}")
        Xf = as_float_array(X, "X", ndim=2)
        if Xf.shape[1] != self.n_features_in_:
            raise InvalidParameterError(
                "X",
                f"{type(self).__name__} was fitted with {self.n_features_in_} features, "
                f"got X with {Xf.shape[1]} (shape {Xf.shape})",
            )
        Xs = _float32(Xf, self.X_mean_, self.X_scale_, "X", "standardize_X=True")
        param = next(self.model_.parameters())
        outs = []
        with torch.no_grad():
            for start in range(0, Xs.shape[0], _PREDICT_CHUNK):
                xb = torch.from_numpy(Xs[start : start + _PREDICT_CHUNK]).to(param.device)
                outs.append(self.model_(xb).double().cpu().numpy())
        if not outs:
            return np.empty((0, int(self._signature_[1])), dtype=np.float64)
        out = np.concatenate(outs, axis=0)
        if not np.all(np.isfinite(out)):
            raise InvalidParameterError("X", "the network's outputs overflow float32 on these inputs; rescale X")
        return out


def _float32(x: np.ndarray, mean: Any, scale: Any, name: str, hint: str) -> np.ndarray:
    """``(x - mean) / scale`` in float32, refusing values float32 cannot hold."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = ((x - mean) / scale).astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(
            name,
            f"values (after standardisation, if on) exceed the float32 range the network computes in; "
            f"rescale {name} (or use {hint})",
        )
    return out


# --------------------------------------------------------------------------- MLPRegressor


_LOSSES = ("mse", "huber", "hl_gauss")
_MLP_PARAMS: dict[str, Constraint] = {
    "loss": Options(*_LOSSES),
    "n_bins": Integer(2, MAX_BINS),
    "support": _SUPPORT,
    "sigma": Real(0, None, closed="neither") | None,
    "huber_delta": Real(HUBER_MIN, HUBER_MAX),
    **_COMMON,
}


@_declare(_MLP_PARAMS)
class MLPRegressor(_TorchMLP):
    """A scalar-output multilayer perceptron regressor (squared, Huber or HL-Gauss loss).

    Parameters
    ----------
    hidden_sizes : tuple of int, default (64, 64)
        Widths of the hidden layers, each in ``[1, 16384]``, at most 64 layers (``()``
        gives a linear model; an int is one layer).
    activation : {"relu", "tanh", "gelu", "silu", "elu"}, default "relu"
        Hidden-layer nonlinearity.
    loss : {"mse", "huber", "hl_gauss"}, default "mse"
        ``"mse"``: squared error, predicting the conditional mean. ``"huber"``: Huber
        loss with threshold ``huber_delta``. ``"hl_gauss"``: the network outputs
        ``n_bins`` logits over bins of equal width on ``support``, trained by
        cross-entropy against :func:`hl_gauss_probs` of the target; :meth:`predict`
        returns the mean of the softmax over the bin centres [1]_.
    n_bins : int in [2, 10**5], default 51
        Number of bins of the HL-Gauss head (``loss="hl_gauss"`` only).
    support : tuple (vmin, vmax) or None, default None
        Ends of the HL-Gauss support, in the units of ``y``; required for
        ``loss="hl_gauss"``. Targets outside are clamped to it (see
        :func:`hl_gauss_probs`) and predictions always lie inside it.
    sigma : float or None, default None
        Smoothing standard deviation of HL-Gauss, in the units of ``y``; default
        ``0.75`` bin widths.
    huber_delta : float in [1e-30, 1e30], default 1.0
        Huber threshold (``loss="huber"``), in standardised units of ``y`` when
        ``standardize_y`` is True, else in the units of ``y`` (the loss is computed in
        float32, which resolves this range).
    n_epochs : int in [1, 10**9], default 100
        Passes over the data (at least; see ``min_steps``).
    min_steps : int in [0, 10**9], default 1000
        Minimum number of gradient steps: training runs
        ``max(n_epochs, ceil(min_steps / batches_per_epoch))`` epochs, so that small
        data sets (a tabular problem with one row per state-action pair) are still fitted
        to convergence. ``0`` disables it.
    batch_size : int in [1, 10**12], default 64
        Minibatch size (capped at the number of samples).
    learning_rate : float in (0, 10], default 1e-3
        Peak Adam step size. A run whose loss becomes non-finite stops with an
        :class:`~rlcore.validation.InvalidParameterError` naming ``learning_rate``.
    lr_schedule : {"cosine", "constant"}, default "cosine"
        ``"cosine"`` anneals the step size from ``learning_rate`` to 0 over the run
        (cosine annealing without restarts [3]_), so the final network sits at a
        minimum rather than wherever Adam's constant-step noise leaves it; ``"constant"``
        keeps it fixed.
    weight_decay : float in [0, 1e3], default 0.0
        Adam's L2 penalty coefficient.
    standardize_X : bool, default True
        Centre and scale each input column by its mean and standard deviation (constant
        columns are only centred).
    standardize_y : bool, default True
        For ``"mse"``/``"huber"``: train on ``(y - mean) / std`` (weighted by
        ``sample_weight``) and map predictions back. Ignored for ``"hl_gauss"``, whose
        support is in the units of ``y``.
    random_state : numpy Generator, int or None, default None
        Source of the initial weights and minibatch order. An int gives the same network
        on every ``fit``; a Generator is advanced.
    device : str, default "cpu"
        torch device for training and prediction.
    warm_start : bool, default False
        If True and the model is already fitted with the same input width and
        architecture, ``fit`` continues training the current network (with the first
        fit's standardisation statistics and a fresh optimiser).

    Attributes
    ----------
    model_ : torch.nn.Sequential
        The trained network (inputs standardised, outputs in standardised units of ``y``
        or HL-Gauss logits).
    n_features_in_ : int
        Number of input columns seen in ``fit``.
    X_mean_, X_scale_ : ndarray of shape (d,)
        Input standardisation.
    y_mean_, y_scale_ : float
        Target standardisation (0 and 1 when not used).
    bin_centers_ : ndarray of shape (n_bins,)
        Bin centres of the HL-Gauss head (``loss="hl_gauss"`` only).
    loss_curve_ : list of float
        Weighted mean training loss of each epoch.
    n_iter_ : int
        Epochs trained (accumulates under ``warm_start``).

    Notes
    -----
    Rows with zero weight are dropped. Each minibatch :math:`b` then minimises
    :math:`\\frac1{|b|}\\sum_{i\\in b} (w_i/\\bar w)\\,\\ell_i`, where :math:`\\bar w` is the
    mean of the remaining weights: an unbiased estimate of the loss on the data with
    each row repeated in proportion to its weight, so an integer weight behaves like
    repeating the row.

    The networks this class is meant for are small; their training is dominated by
    per-step overhead, and torch's intra-op threads only add contention on a busy
    machine: ``torch.set_num_threads(1)`` is often the fastest setting (the estimator
    leaves that global choice to the caller).

    References
    ----------
    .. [1] Farebrother, J. et al. (2024). Stop regressing: training value functions via
       classification for scalable deep RL. *ICML 2024*.
    .. [2] Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic optimization.
       *ICLR 2015*.
    .. [3] Loshchilov, I. and Hutter, F. (2017). SGDR: stochastic gradient descent with
       warm restarts. *ICLR 2017*.

    Examples
    --------
    >>> import numpy as np
    >>> X = one_hot(np.repeat([0, 1], 20), 2)
    >>> y = np.repeat([1.0, 3.0], 20)
    >>> small = dict(hidden_sizes=(16,), n_epochs=100, min_steps=0, batch_size=40, learning_rate=0.05)
    >>> model = MLPRegressor(random_state=0, **small)
    >>> np.round(model.fit(X, y).predict(np.eye(2)), 2)
    array([1., 3.])
    >>> hl = MLPRegressor(loss="hl_gauss", support=(0.0, 4.0), n_bins=21, random_state=0, **small)
    >>> np.round(hl.fit(X, y).predict(np.eye(2)), 2)
    array([1., 3.])
    """

    bin_centers_: np.ndarray

    def __init__(
        self,
        hidden_sizes: tuple[int, ...] = (64, 64),
        activation: str = "relu",
        loss: str = "mse",
        n_bins: int = 51,
        support: tuple[float, float] | None = None,
        sigma: float | None = None,
        huber_delta: float = 1.0,
        n_epochs: int = 100,
        min_steps: int = 1000,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        lr_schedule: str = "cosine",
        weight_decay: float = 0.0,
        standardize_X: bool = True,
        standardize_y: bool = True,
        random_state: Any = None,
        device: str = "cpu",
        warm_start: bool = False,
    ) -> None:
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.loss = loss
        self.n_bins = n_bins
        self.support = support
        self.sigma = sigma
        self.huber_delta = huber_delta
        self.n_epochs = n_epochs
        self.min_steps = min_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.standardize_X = standardize_X
        self.standardize_y = standardize_y
        self.random_state = random_state
        self.device = device
        self.warm_start = warm_start
        self._head_config()  # the relations between the parameters

    def _head_config(self) -> dict[str, Any]:
        v = {
            name: _MLP_PARAMS[name].check(getattr(self, name), name)
            for name in ("loss", "n_bins", "support", "sigma", "huber_delta")
        }
        cfg: dict[str, Any] = {"loss": v["loss"]}
        if v["loss"] == "huber":
            cfg["delta"] = v["huber_delta"]
        if v["loss"] == "hl_gauss":
            if v["support"] is None:
                raise InvalidParameterError(
                    "support", "loss='hl_gauss' needs a support (vmin, vmax) covering the targets"
                )
            lo, hi = v["support"]
            _check_support(lo, hi, ("support[0]", "support[1]"))
            n_bins = v["n_bins"]
            sigma = 0.75 * (hi - lo) / n_bins if v["sigma"] is None else v["sigma"]
            cfg.update(lo=lo, hi=hi, n_bins=n_bins, sigma=sigma)
        return cfg

    def _out_dim(self, cfg: dict[str, Any]) -> int:
        return int(cfg["n_bins"]) if cfg["loss"] == "hl_gauss" else 1

    def _scale_y(self, cfg: dict[str, Any]) -> bool:
        return bool(cfg["loss"] != "hl_gauss")

    def _batch_loss(self, torch: Any, out: Any, y_t: Any, y_np: np.ndarray, cfg: dict[str, Any]) -> Any:
        if cfg["loss"] == "mse":
            return (out[:, 0] - y_t) ** 2
        if cfg["loss"] == "huber":
            return torch.nn.functional.huber_loss(out[:, 0], y_t, reduction="none", delta=cfg["delta"])
        target = _hl_gauss_probs(y_np, cfg["lo"], cfg["hi"], cfg["n_bins"], cfg["sigma"])
        target_t = torch.from_numpy(target.astype(np.float32)).to(out.device)
        return -(target_t * torch.log_softmax(out, dim=1)).sum(dim=1)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : array_like of shape (n, d)
            Finite inputs.
        y : array_like of shape (n,)
            Finite targets.
        sample_weight : array_like of shape (n,), optional
            Non-negative finite weights, not all zero. Default: all ones.

        Returns
        -------
        MLPRegressor
            ``self``, fitted.
        """
        self._fit(X, y, sample_weight)
        cfg = self._cfg_
        if cfg["loss"] == "hl_gauss":
            edges = np.linspace(cfg["lo"], cfg["hi"], cfg["n_bins"] + 1)
            self.bin_centers_ = 0.5 * (edges[:-1] + edges[1:])
        elif hasattr(self, "bin_centers_"):
            del self.bin_centers_
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict the target for each row of ``X``.

        Parameters
        ----------
        X : array_like of shape (m, d)
            Finite inputs with ``d == n_features_in_``.

        Returns
        -------
        ndarray of shape (m,), float64
            The regression output (for ``"hl_gauss"``: the mean of the predicted bin
            distribution over the bin centres).
        """
        out = self._forward(X, "predict")
        if self._cfg_["loss"] == "hl_gauss":
            return np.asarray(_softmax(out) @ self.bin_centers_, dtype=np.float64)
        return np.asarray(out[:, 0] * self.y_scale_ + self.y_mean_, dtype=np.float64)

    def predict_distribution(self, X: Any) -> DiscreteDistribution:
        """Predicted bin distribution of the HL-Gauss head (``loss="hl_gauss"`` only).

        Parameters
        ----------
        X : array_like of shape (m, d)

        Returns
        -------
        DiscreteDistribution
            ``values`` of shape (m, n_bins): the bin centres on every row; ``probs`` of
            shape (m, n_bins): the softmax of the logits (rows sum to 1).
        """
        if not hasattr(self, "model_"):
            raise _not_fitted(self, "predict_distribution")
        if self._cfg_["loss"] != "hl_gauss":
            raise InvalidParameterError(
                "loss",
                f"predict_distribution needs a model fitted with loss='hl_gauss', "
                f"this one was fitted with loss={self._cfg_['loss']!r}",
            )
        probs = _softmax(self._forward(X, "predict_distribution"))
        return DiscreteDistribution(np.broadcast_to(self.bin_centers_, probs.shape).copy(), probs)


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)


# --------------------------------------------------------------------------- distributional


_HEADS = ("categorical", "quantile")
_DIST_PARAMS: dict[str, Constraint] = {
    "head": Options(*_HEADS),
    "n_atoms": Integer(2, MAX_BINS),
    "support": _SUPPORT,
    "kappa": Real(0, HUBER_MAX),
    **_COMMON,
}


@_declare(_DIST_PARAMS)
class DistributionalMLPRegressor(_TorchMLP):
    """Distributional regression: an MLP that predicts the distribution of the target.

    Two heads:

    * ``"categorical"`` (C51): ``n_atoms`` logits over the fixed atoms
      :math:`z_j = v_{\\min} + j (v_{\\max}-v_{\\min})/(N-1)`, trained by cross-entropy
      against :func:`categorical_projection` of each sample target, whose minimiser at
      each input is the projection of the conditional distribution of the target;
    * ``"quantile"`` (QR-DQN): ``n_atoms`` outputs :math:`\\theta_i(x)` trained with the
      quantile-Huber loss at :math:`\\tau_i = (2i+1)/(2N)`,
      :math:`\\rho^\\kappa_{\\tau}(u) = |\\tau - 1\\{u<0\\}|\\, L_\\kappa(u)/\\kappa` with
      :math:`u = y - \\theta_i(x)` and :math:`L_\\kappa` the Huber loss (with
      ``kappa=0``, the plain quantile loss :math:`|\\tau - 1\\{u<0\\}|\\,|u|`, whose
      minimiser is exactly the :math:`\\tau`-quantile).

    :meth:`predict` returns the mean of the predicted distribution, so the estimator
    slots into any algorithm that takes a :class:`~rlcore.regressors.Regressor`.

    Parameters
    ----------
    head : {"categorical", "quantile"}, default "categorical"
    n_atoms : int in [2, 10**5], default 51
        Number of atoms (categorical) or quantiles (quantile).
    support : tuple (vmin, vmax) or None, default None
        Ends of the categorical support, in units of ``y``; required for
        ``head="categorical"``. Targets outside it are clamped (as in C51).
    kappa : float, default 1.0
        Huber threshold of the quantile head, 0 or in ``[1e-30, 1e30]`` (resolved by
        float32, in which the loss is computed), in standardised units of ``y`` when
        ``standardize_y`` is True. ``0`` gives the plain quantile loss.
    hidden_sizes, activation, n_epochs, min_steps, batch_size, learning_rate, \
lr_schedule, weight_decay, standardize_X, random_state, device, warm_start
        As in :class:`MLPRegressor`.
    standardize_y : bool, default True
        Quantile head only: train on standardised targets (quantiles are equivariant
        under the affine map) and map predictions back. Ignored by the categorical head.

    Attributes
    ----------
    model_, n_features_in_, X_mean_, X_scale_, y_mean_, y_scale_, loss_curve_, n_iter_
        As in :class:`MLPRegressor`.
    atoms_ : ndarray of shape (n_atoms,)
        The support atoms (categorical head).
    taus_ : ndarray of shape (n_atoms,)
        The quantile levels :math:`(2i+1)/(2N)` (quantile head).

    References
    ----------
    .. [1] Bellemare, M. G., Dabney, W. and Munos, R. (2017). A distributional
       perspective on reinforcement learning. *ICML 2017*.
    .. [2] Dabney, W., Rowland, M., Bellemare, M. G. and Munos, R. (2018).
       Distributional reinforcement learning with quantile regression. *AAAI 2018*,
       Sections 3-4 (Lemma 2: the quantile midpoints minimise the 1-Wasserstein
       distance).

    Examples
    --------
    >>> import numpy as np
    >>> X = one_hot(np.zeros(40, dtype=int), 1)
    >>> y = np.tile([0.0, 2.0], 20)
    >>> c51 = DistributionalMLPRegressor(support=(0.0, 2.0), n_atoms=3, hidden_sizes=(8,), n_epochs=100,
    ...                                  min_steps=0, batch_size=40, learning_rate=0.05, random_state=0)
    >>> dist = c51.fit(X, y).predict_distribution(X[:1])
    >>> np.round(dist.probs, 1)
    array([[0.5, 0. , 0.5]])
    >>> np.round(c51.predict(X[:1]), 1)
    array([1.])
    """

    atoms_: np.ndarray
    taus_: np.ndarray

    def __init__(
        self,
        head: str = "categorical",
        n_atoms: int = 51,
        support: tuple[float, float] | None = None,
        kappa: float = 1.0,
        hidden_sizes: tuple[int, ...] = (64, 64),
        activation: str = "relu",
        n_epochs: int = 100,
        min_steps: int = 1000,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        lr_schedule: str = "cosine",
        weight_decay: float = 0.0,
        standardize_X: bool = True,
        standardize_y: bool = True,
        random_state: Any = None,
        device: str = "cpu",
        warm_start: bool = False,
    ) -> None:
        self.head = head
        self.n_atoms = n_atoms
        self.support = support
        self.kappa = kappa
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.n_epochs = n_epochs
        self.min_steps = min_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.standardize_X = standardize_X
        self.standardize_y = standardize_y
        self.random_state = random_state
        self.device = device
        self.warm_start = warm_start
        self._head_config()  # the relations between the parameters

    def _head_config(self) -> dict[str, Any]:
        v = {
            name: _DIST_PARAMS[name].check(getattr(self, name), name)
            for name in ("head", "n_atoms", "support", "kappa")
        }
        n_atoms = v["n_atoms"]
        cfg: dict[str, Any] = {"head": v["head"], "n_atoms": n_atoms}
        if v["head"] == "categorical":
            if v["support"] is None:
                raise InvalidParameterError(
                    "support", "head='categorical' needs a support (vmin, vmax) covering the targets"
                )
            lo, hi = v["support"]
            _check_support(lo, hi, ("support[0]", "support[1]"))
            cfg.update(lo=lo, hi=hi)
        else:
            kappa = v["kappa"]
            if 0.0 < kappa < HUBER_MIN:
                raise InvalidParameterError(
                    "kappa",
                    f"expected 0 (the plain quantile loss) or a threshold >= {HUBER_MIN:g} "
                    f"(float32 resolution), got {kappa!r}",
                )
            cfg["kappa"] = kappa
            cfg["taus"] = (2.0 * np.arange(n_atoms) + 1.0) / (2.0 * n_atoms)
        return cfg

    def _out_dim(self, cfg: dict[str, Any]) -> int:
        return int(cfg["n_atoms"])

    def _scale_y(self, cfg: dict[str, Any]) -> bool:
        return bool(cfg["head"] == "quantile")

    def _batch_loss(self, torch: Any, out: Any, y_t: Any, y_np: np.ndarray, cfg: dict[str, Any]) -> Any:
        if cfg["head"] == "categorical":
            target = _categorical_projection(y_np, cfg["lo"], cfg["hi"], cfg["n_atoms"])
            target_t = torch.from_numpy(target.astype(np.float32)).to(out.device)
            return -(target_t * torch.log_softmax(out, dim=1)).sum(dim=1)
        taus = torch.from_numpy(cfg["taus"].astype(np.float32)).to(out.device)
        u = y_t[:, None] - out  # (B, N)
        weight = torch.abs(taus[None, :] - (u.detach() < 0).to(out.dtype))
        kappa = cfg["kappa"]
        if kappa == 0:
            elem = weight * torch.abs(u)
        else:
            huber = torch.nn.functional.huber_loss(u, torch.zeros_like(u), reduction="none", delta=kappa)
            elem = weight * huber / kappa
        return elem.mean(dim=1)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> DistributionalMLPRegressor:
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : array_like of shape (n, d)
            Finite inputs.
        y : array_like of shape (n,)
            Finite scalar sample targets (one draw of the return per row).
        sample_weight : array_like of shape (n,), optional
            Non-negative finite weights, not all zero. Default: all ones.

        Returns
        -------
        DistributionalMLPRegressor
            ``self``, fitted.
        """
        self._fit(X, y, sample_weight)
        cfg = self._cfg_
        for stale in ("atoms_", "taus_"):
            if hasattr(self, stale):
                delattr(self, stale)
        if cfg["head"] == "categorical":
            self.atoms_ = np.linspace(cfg["lo"], cfg["hi"], cfg["n_atoms"])
        else:
            self.taus_ = cfg["taus"].copy()
        return self

    def predict_distribution(self, X: Any) -> DiscreteDistribution:
        """Predicted distribution of the target at each row of ``X``.

        Parameters
        ----------
        X : array_like of shape (m, d)

        Returns
        -------
        DiscreteDistribution
            ``(values, probs)``, both of shape (m, n_atoms). Categorical head:
            ``values`` are the atoms (the same on every row) and ``probs`` the softmax.
            Quantile head: ``values[:, i]`` is the predicted :math:`\\tau_i`-quantile
            (in the order of ``taus_``; a network need not keep them sorted) and
            ``probs`` is ``1 / n_atoms`` everywhere, the QR-DQN distribution
            :math:`\\frac1N \\sum_i \\delta_{\\theta_i(x)}`.
        """
        out = self._forward(X, "predict_distribution")
        if self._cfg_["head"] == "categorical":
            probs = _softmax(out)
            return DiscreteDistribution(np.broadcast_to(self.atoms_, probs.shape).copy(), probs)
        values = out * self.y_scale_ + self.y_mean_
        return DiscreteDistribution(values, np.full_like(values, 1.0 / values.shape[1]))

    def predict(self, X: Any) -> np.ndarray:
        """Mean of the predicted distribution at each row of ``X``.

        Parameters
        ----------
        X : array_like of shape (m, d)

        Returns
        -------
        ndarray of shape (m,), float64
        """
        if not hasattr(self, "model_"):
            raise _not_fitted(self, "predict")
        dist = self.predict_distribution(X)
        return np.asarray((dist.values * dist.probs).sum(axis=1), dtype=np.float64)

    def predict_quantiles(self, X: Any, taus: Any) -> np.ndarray:
        """Quantiles of the predicted distribution (its generalised inverse CDF).

        Returns :math:`F_x^{-1}(\\tau) = \\min\\{z : F_x(z) \\ge \\tau\\}` of the discrete
        distribution from :meth:`predict_distribution`; for the quantile head at
        ``taus = taus_`` these are the sorted predicted quantiles.

        Parameters
        ----------
        X : array_like of shape (m, d)
        taus : array_like of shape (q,)
            Levels in ``(0, 1]``.

        Returns
        -------
        ndarray of shape (m, q)
        """
        if not hasattr(self, "model_"):
            raise _not_fitted(self, "predict_quantiles")
        t = Array(ndim=1, low=0.0, high=1.0, closed="right").check(taus, "taus")
        dist = self.predict_distribution(X)
        return _inverse_cdf(dist.values, dist.probs, t)
