"""The shared training loop of the deep regressors (private to :mod:`rlcore.deep`).

:class:`_TorchMLP` holds what :class:`~rlcore.deep.MLPRegressor` and
:class:`~rlcore.deep.DistributionalMLPRegressor` share: scikit-learn style parameter
access, the checks of the common parameters, standardisation, the network (built by
:func:`rlcore.deep.build_mlp` from the estimator's numpy generator) and the Adam loop on
shuffled minibatches with per-sample weights. A subclass supplies its head through four
hooks (``_head_config``, ``_out_dim``, ``_scale_y``, ``_batch_loss``).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from rlcore.deep.layer import MAX_FEATURES, MAX_LAYERS, MAX_WIDTH, build_mlp, require_torch
from rlcore.randomness import _as_generator
from rlcore.regressors import _check_sample_weight, _check_y, _not_fitted
from rlcore.validation import (
    MAX_ITERATIONS,
    MAX_SAMPLES,
    RNG,
    Bool,
    Constraint,
    Device,
    Integer,
    InvalidParameterError,
    Options,
    Real,
    Sequence_,
    as_float_array,
)

#: Range of the Huber thresholds (``huber_delta``, ``kappa``): numbers that float32, in
#: which the losses are computed, represents as normal numbers with room to spare.
HUBER_MIN: float = 1e-30
HUBER_MAX: float = 1e30
_PREDICT_CHUNK = 8192

_SUPPORT = Sequence_(Real(), length=2) | None
_COMMON: dict[str, Constraint] = {
    "hidden_sizes": Sequence_(Integer(1, MAX_WIDTH), min_len=0, max_len=MAX_LAYERS) | Integer(1, MAX_WIDTH),
    "activation": Options("relu", "tanh", "gelu", "silu", "elu"),
    "n_epochs": Integer(1, MAX_ITERATIONS),
    "min_steps": Integer(0, MAX_ITERATIONS),
    "batch_size": Integer(1, MAX_SAMPLES),
    "learning_rate": Real(0, 10, closed="right"),
    "learning_rate_schedule": Options("cosine", "constant"),
    "weight_decay": Real(0, 1e3),
    "standardize_X": Bool(),
    "standardize_y": Bool(),
    "rng": RNG(),
    "device": Device(),
    "warm_start": Bool(),
}


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
            "learning_rate_schedule": v["learning_rate_schedule"],
            "batch_size": v["batch_size"],
            "lr": v["learning_rate"],
            "weight_decay": v["weight_decay"],
            "standardize_X": v["standardize_X"],
            "standardize_y": v["standardize_y"],
            "warm_start": v["warm_start"],
        }

    def _device(self) -> Any:
        return Device().check(self.device, "device")  # type: ignore[attr-defined]

    def _build(self, d: int, out_dim: int, cfg: dict[str, Any], rng: np.random.Generator) -> Any:
        # rlcore.deep.build_mlp: PyTorch's default ranges drawn from ``rng``, float32,
        # the global torch RNG left alone
        return build_mlp((d, *cfg["hidden"], out_dim), activation=cfg["activation"], rng=rng)

    def _fit(self, X: Any, y: Any, sample_weight: Any) -> None:
        cls = type(self).__name__
        torch = require_torch(f"{cls}.fit")
        cfg = self._common_config()
        cfg.update(self._head_config())
        device = self._device()
        rng = _as_generator(self.rng, "rng")  # type: ignore[attr-defined]
        Xf = as_float_array(X, "X", ndim=2)
        n, d = Xf.shape
        if n == 0:
            raise InvalidParameterError("X", "expected at least one sample, got 0 rows")
        if d == 0:
            raise InvalidParameterError("X", "expected at least one feature column, got shape (n, 0)")
        if d > MAX_FEATURES:
            raise InvalidParameterError("X", f"expected at most {MAX_FEATURES} feature columns, got shape {Xf.shape}")
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
            self.model_ = self._build(d, out_dim, cfg, rng)
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
                if cfg["learning_rate_schedule"] == "cosine":
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
        torch = require_torch(f"{type(self).__name__}.{method}")
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


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)
