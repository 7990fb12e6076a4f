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


@pytest.mark.parametrize("bad, exc", [("seed", TypeError), (True, TypeError), (-1, ValueError),
                                      (1.5, TypeError), (np.random.RandomState(0), TypeError)])
def test_bad_rng(bad, exc):
    with pytest.raises(exc, match="rng"):
        as_generator(bad)


def test_spawn_reproducible_and_distinct():
    a = [g.random(3) for g in spawn(1, 3)]
    b = [g.random(3) for g in spawn(1, 3)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], a[1])
