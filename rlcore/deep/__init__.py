"""rlcore.deep: the torch layer every deep module of the library is built on.

Deep variants live by one rule across the library: in a ``deep`` module or subpackage
of the package they belong to (:mod:`rlcore.deep`, :mod:`tabular.deep`,
:mod:`bandits.deep`, :mod:`offline.deep`, :mod:`finance_apps.deep`). Importing any of
them never imports torch; torch is imported, through :func:`require_torch` alone, when a
deep function is first called, and a missing torch raises an ``ImportError`` carrying
:data:`TORCH_INSTALL_HINT`.

This package holds the shared pieces: the optional import (:func:`require_torch`),
devices (:func:`resolve_device`) and the one seeded network builder (:func:`build_mlp`,
:func:`init_linear_`); and the deep regressors of the
:class:`~rlcore.regressors.Regressor` protocol (:class:`MLPRegressor`,
:class:`DistributionalMLPRegressor`, in :mod:`rlcore.deep.regressors`) with their NumPy
target encodings (:func:`hl_gauss_probs`, :func:`two_hot`, :func:`one_hot`, in
:mod:`rlcore.deep.targets`).
"""

from __future__ import annotations

from rlcore.deep.layer import (
    ACTIVATIONS,
    TORCH_INSTALL_HINT,
    build_mlp,
    init_linear_,
    require_torch,
    resolve_device,
    torch_available,
)
from rlcore.deep.regressors import DistributionalMLPRegressor, MLPRegressor
from rlcore.deep.targets import hl_gauss_probs, one_hot, two_hot

__all__ = [
    "ACTIVATIONS",
    "TORCH_INSTALL_HINT",
    "DistributionalMLPRegressor",
    "MLPRegressor",
    "build_mlp",
    "hl_gauss_probs",
    "init_linear_",
    "one_hot",
    "require_torch",
    "resolve_device",
    "torch_available",
    "two_hot",
]
