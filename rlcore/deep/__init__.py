"""rlcore.deep: the torch layer every deep module of the library is built on.

Deep variants live by one rule across the library: in a ``deep`` module or subpackage
of the package they belong to (:mod:`rlcore.deep`, :mod:`tabular.deep`,
:mod:`bandits.deep`, :mod:`offline.deep`, :mod:`finance_apps.deep`). Importing any of
them never imports torch; torch is imported, through :func:`require_torch` alone, when a
deep function is first called, and a missing torch raises an ``ImportError`` carrying
:data:`TORCH_INSTALL_HINT`.

This package holds the shared pieces: the optional import (:func:`require_torch`),
devices (:func:`resolve_device`) and the one seeded network builder (:func:`build_mlp`,
:func:`init_linear_`).
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

__all__ = [
    "ACTIVATIONS",
    "TORCH_INSTALL_HINT",
    "build_mlp",
    "init_linear_",
    "require_torch",
    "resolve_device",
    "torch_available",
]
