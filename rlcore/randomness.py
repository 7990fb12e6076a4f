"""The library's single randomness convention.

Every stochastic function takes ``rng: numpy.random.Generator | int | None`` and passes
it through :func:`as_generator`. An int seeds a fresh PCG64 generator, ``None`` draws
fresh OS entropy, and a :class:`~numpy.random.Generator` is used as is (and advanced).
Numba kernels never draw random numbers themselves: the Python layer draws uniforms
from the generator and hands them to the kernel, so the same seed gives the same
result whichever code path runs. Nothing in the library touches global random state.
"""

from __future__ import annotations

import numbers
from typing import Union

import numpy as np

__all__ = ["RNGLike", "as_generator", "spawn"]

#: What every ``rng`` argument accepts.
RNGLike = Union[np.random.Generator, int, np.integer, None]


def as_generator(rng: RNGLike, name: str = "rng") -> np.random.Generator:
    """Normalise an ``rng`` argument to a :class:`numpy.random.Generator`.

    Parameters
    ----------
    rng : Generator, int or None
        A generator (returned unchanged), a non-negative seed, or ``None`` for fresh
        entropy.
    name : str
        Argument name used in error messages.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> a = as_generator(7).random(3)
    >>> b = as_generator(7).random(3)
    >>> bool((a == b).all())
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a numpy Generator, an int seed or None, got a bool")
    if isinstance(rng, (numbers.Integral, np.integer)):
        if int(rng) < 0:
            raise ValueError(f"{name}: a seed must be non-negative, got {int(rng)}")
        return np.random.default_rng(int(rng))
    if isinstance(rng, np.random.RandomState):
        raise TypeError(
            f"{name}: legacy numpy RandomState is not supported; pass "
            "np.random.default_rng(seed), an int seed or None"
        )
    raise TypeError(
        f"{name}: expected a numpy Generator, an int seed or None, got {type(rng).__name__}"
    )


def spawn(rng: RNGLike, n: int) -> list[np.random.Generator]:
    """Return ``n`` statistically independent child generators of ``rng``.

    Uses :meth:`numpy.random.Generator.spawn` (SeedSequence spawning), so the children
    depend only on the parent's seed and their index, not on scheduling.

    Examples
    --------
    >>> [g.integers(100) for g in spawn(0, 2)] == [g.integers(100) for g in spawn(0, 2)]
    True
    """
    gen = as_generator(rng)
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (numbers.Integral, np.integer)):
        raise TypeError(f"n: expected a non-negative integer, got {n!r} of type {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n: expected a non-negative integer, got {n!r}")
    return list(gen.spawn(int(n)))
