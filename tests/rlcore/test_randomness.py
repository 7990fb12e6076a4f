"""The single randomness convention."""

from __future__ import annotations

import numpy as np
import pytest

from rlcore import as_generator, spawn


def test_seed_and_generator_semantics():
    g = np.random.default_rng(5)
    assert as_generator(g) is g
    np.testing.assert_array_equal(as_generator(5).random(4), np.random.default_rng(5).random(4))
    assert isinstance(as_generator(None), np.random.Generator)
    assert isinstance(as_generator(np.int64(3)), np.random.Generator)


@pytest.mark.parametrize(
    "bad, exc",
    [("seed", TypeError), (True, TypeError), (-1, ValueError), (1.5, TypeError), (np.random.RandomState(0), TypeError)],
)
def test_bad_rng(bad, exc):
    with pytest.raises(exc, match="rng"):
        as_generator(bad)


def test_spawn_reproducible_and_distinct():
    a = [g.random(3) for g in spawn(1, 3)]
    b = [g.random(3) for g in spawn(1, 3)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], a[1])


# ------------------------------------------------------------ issue 17: one validation layer
def test_as_generator_errors_are_the_library_errors_naming_the_callers_argument():
    from rlcore.validation import InvalidParameterError, InvalidParameterTypeError

    with pytest.raises(InvalidParameterError, match="^random_state: a seed must be non-negative"):
        as_generator(-3, "random_state")
    with pytest.raises(InvalidParameterTypeError, match="^seed: legacy numpy RandomState"):
        as_generator(np.random.RandomState(0), name="seed")
    with pytest.raises(InvalidParameterTypeError, match="^name: "):
        as_generator(0, name=3)


def test_spawn_count_has_an_upper_limit():
    """spawn(rng, 10**12) used to try to build 10**12 generators."""
    from rlcore.validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=r"^n: expected an integer in \[0, 1000000\]"):
        spawn(0, 10**12)
    assert spawn(0, 0) == []
