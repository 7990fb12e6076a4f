"""Deep regressors in PyTorch, following the :class:`~rlcore.regressors.Regressor` protocol.

Fitted-Q iteration, SQIRL, least-squares Monte Carlo and the offline learners take any
object with ``fit(X, y, sample_weight=None) -> self`` and ``predict(X) -> (n,)``; the
two estimators here make their "deep variants":

* :class:`MLPRegressor`: a scalar multilayer perceptron trained with the squared
  loss, the Huber loss, or the HL-Gauss classification loss of Farebrother et al.
  (2024), which trains a softmax over fixed bins against the Gaussian-smoothed
  histogram target :func:`~rlcore.deep.hl_gauss_probs` and predicts its mean;
* :class:`DistributionalMLPRegressor`: a distributional value learner with a
  categorical head (C51: cross-entropy against the two-hot encoding
  :func:`~rlcore.deep.two_hot` of each sample target on a fixed support) or a
  quantile head (QR-DQN: the quantile-Huber loss at the quantile midpoints
  :math:`\\tau_i = (2i+1)/(2N)`); :meth:`~DistributionalMLPRegressor.predict` returns
  the mean of the predicted distribution, and
  :meth:`~DistributionalMLPRegressor.predict_distribution` the batch of predicted
  distributions as one :class:`rlcore.DiscreteDistribution` of shape (m, K).

Both train with Adam on shuffled minibatches (the shared loop of
:mod:`rlcore.deep._training`); ``sample_weight`` weights each sample's loss. Randomness
(initial weights, through :func:`rlcore.deep.build_mlp`, and minibatch order) comes from
one NumPy generator (``rng``), so the same seed gives the same network on the
same device and thread count; the global torch seed is never touched.

torch is an optional dependency: this module imports without it, while fitting a
network without torch raises an :class:`ImportError` carrying
:data:`rlcore.deep.TORCH_INSTALL_HINT`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rlcore.deep._training import _COMMON, _SUPPORT, HUBER_MAX, HUBER_MIN, _softmax, _TorchMLP
from rlcore.deep.targets import MAX_BINS, _check_support, _hl_gauss_probs, _two_hot
from rlcore.distributions import DiscreteDistribution, _lower_quantiles
from rlcore.regressors import _declare, _not_fitted
from rlcore.validation import Array, Constraint, Integer, InvalidParameterError, Options, Real

__all__ = ["DistributionalMLPRegressor", "MLPRegressor"]


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
    learning_rate_schedule : {"cosine", "constant"}, default "cosine"
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
    rng : numpy Generator, int or None, default None
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
    >>> from rlcore.deep import one_hot
    >>> X = one_hot(np.repeat([0, 1], 20), 2)
    >>> y = np.repeat([1.0, 3.0], 20)
    >>> small = dict(hidden_sizes=(16,), n_epochs=100, min_steps=0, batch_size=40, learning_rate=0.05)
    >>> model = MLPRegressor(rng=0, **small)
    >>> np.round(model.fit(X, y).predict(np.eye(2)), 2)
    array([1., 3.])
    >>> hl = MLPRegressor(loss="hl_gauss", support=(0.0, 4.0), n_bins=21, rng=0, **small)
    >>> np.round(hl.fit(X, y).predict(np.eye(2)), 2)
    array([1., 3.])
    """

    bin_centers_: np.ndarray

    def __init__(
        self,
        *,
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
        learning_rate_schedule: str = "cosine",
        weight_decay: float = 0.0,
        standardize_X: bool = True,
        standardize_y: bool = True,
        rng: Any = None,
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
        self.learning_rate_schedule = learning_rate_schedule
        self.weight_decay = weight_decay
        self.standardize_X = standardize_X
        self.standardize_y = standardize_y
        self.rng = rng
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
        rlcore.DiscreteDistribution
            A batch of shape (m,) with ``n_bins`` atoms: ``atoms`` of shape (m, n_bins),
            the bin centres on every row; ``probs`` of shape (m, n_bins), the softmax of
            the logits (rows sum to 1).
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
        return DiscreteDistribution._trusted(np.broadcast_to(self.bin_centers_, probs.shape), probs)


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
      against the two-hot encoding :func:`~rlcore.deep.two_hot` of each sample target, whose minimiser at
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
learning_rate_schedule, weight_decay, standardize_X, rng, device, warm_start
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
    >>> from rlcore.deep import one_hot
    >>> X = one_hot(np.zeros(40, dtype=int), 1)
    >>> y = np.tile([0.0, 2.0], 20)
    >>> c51 = DistributionalMLPRegressor(support=(0.0, 2.0), n_atoms=3, hidden_sizes=(8,), n_epochs=100,
    ...                                  min_steps=0, batch_size=40, learning_rate=0.05, rng=0)
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
        *,
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
        learning_rate_schedule: str = "cosine",
        weight_decay: float = 0.0,
        standardize_X: bool = True,
        standardize_y: bool = True,
        rng: Any = None,
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
        self.learning_rate_schedule = learning_rate_schedule
        self.weight_decay = weight_decay
        self.standardize_X = standardize_X
        self.standardize_y = standardize_y
        self.rng = rng
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
            target = _two_hot(y_np, cfg["lo"], cfg["hi"], cfg["n_atoms"])
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
        rlcore.DiscreteDistribution
            A batch of shape (m,) with ``n_atoms`` atoms: ``atoms`` and ``probs`` of
            shape (m, n_atoms). Categorical head: ``atoms`` are the support (the same
            on every row) and ``probs`` the softmax. Quantile head: ``atoms[k]`` are the
            predicted quantiles :math:`\\theta_i(x_k)`, sorted (a network need not keep
            them in the order of ``taus_``), and ``probs`` is ``1 / n_atoms``
            everywhere, the QR-DQN distribution
            :math:`\\frac1N \\sum_i \\delta_{\\theta_i(x)}`.
        """
        out = self._forward(X, "predict_distribution")
        if self._cfg_["head"] == "categorical":
            probs = _softmax(out)
            return DiscreteDistribution._trusted(np.broadcast_to(self.atoms_, probs.shape), probs)
        values = out * self.y_scale_ + self.y_mean_
        return DiscreteDistribution._trusted(values, np.full_like(values, 1.0 / values.shape[1]))

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
        return np.asarray((dist.atoms * dist.probs).sum(axis=1), dtype=np.float64)

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
        return _lower_quantiles(dist.atoms, np.cumsum(dist.probs, axis=1), t)
