"""A module-level run function for the docstring examples (private)."""

from __future__ import annotations

import numpy as np

__all__ = ["noisy_mean"]


def noisy_mean(config: dict, seed: int) -> dict:
    """The mean of ``config["n"]`` standard normal draws (so its error is ``1/sqrt(n)``)."""
    rng = np.random.default_rng(seed)
    return {"mean": float(rng.standard_normal(config["n"]).mean())}
