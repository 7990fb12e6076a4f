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
from typing import Any, Union

import numpy as np

from rlcore.validation import (
    RNG,
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    declare_params,
    validate_params,
)

__all__ = ["RNGLike", "as_generator", "spawn"]

#: What every ``rng`` argument accepts.
RNGLike = Union[np.random.Generator, int, np.integer, None]

#: Most child generators one :func:`spawn` call makes (each holds its own state).
MAX_SPAWN: int = 10**6


def _as_generator(rng: Any, name: str = "rng") -> np.random.Generator:
    """:func:`as_generator` without the declaration (for the library's inner loops)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (bool, np.bool_)):
        raise InvalidParameterTypeError(name, "expected a numpy Generator, an int seed or None, got a bool")
    if isinstance(rng, (numbers.Integral, np.integer)):
        if int(rng) < 0:
            raise InvalidParameterError(name, f"a seed must be non-negative, got {int(rng)}")
        return np.random.default_rng(int(rng))
    if isinstance(rng, np.random.RandomState):
        raise InvalidParameterTypeError(
            name,
            "legacy numpy RandomState is not supported; pass np.random.default_rng(seed), an int seed or None",
        )
    raise InvalidParameterTypeError(name, f"expected a numpy Generator, an int seed or None, got {type(rng).__name__}")


# Declared, not wrapped: per-step code (simulators' ``step``) calls this millions of
# times, and it checks its two arguments itself; the API walk holds it to the declaration.
@declare_params(rng=RNG(), name=Instance(str, what="a parameter name (str)"))
def as_generator(rng: RNGLike | numbers.Integral, name: str = "rng") -> np.random.Generator:
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

    Raises
    ------
    InvalidParameterTypeError
        For a bool, a float, a string, a legacy ``RandomState``, ...; the message
        starts with ``name``.
    InvalidParameterError
        For a negative seed.

    Examples
    --------
    >>> a = as_generator(7).random(3)
    >>> b = as_generator(7).random(3)
    >>> bool((a == b).all())
    True
    """
    if type(name) is not str:
        raise InvalidParameterTypeError("name", f"expected a parameter name (str), got {type(name).__name__}")
    return _as_generator(rng, name)


@validate_params(rng=RNG(), n=Integer(0, MAX_SPAWN))
def spawn(rng: RNGLike, n: int) -> list[np.random.Generator]:
    """Return ``n`` statistically independent child generators of ``rng``.

    Uses :meth:`numpy.random.Generator.spawn` (SeedSequence spawning), so the children
    depend only on the parent's seed and their index, not on scheduling.

    Parameters
    ----------
    rng : Generator, int or None
    n : int in [0, MAX_SPAWN] (10**6)
        Number of children.

    Examples
    --------
    >>> [g.integers(100) for g in spawn(0, 2)] == [g.integers(100) for g in spawn(0, 2)]
    True
    """
    return list(_as_generator(rng).spawn(n))
