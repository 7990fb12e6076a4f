"""Tests for rlcore.distributions: the one discrete-distribution type, its projections and distances.

Independent sources: closed forms (two-point laws, a Dirac, the projection of a point
between two atoms), the Rockafellar-Uryasev representation of CVaR (a maximum over a
fine grid), :func:`numpy.quantile` with ``method="inverted_cdf"`` (the same lower
quantile), :func:`scipy.stats.wasserstein_distance` and :func:`scipy.stats.energy_distance`
(``energy = sqrt(2) * Cramér``), and, for batches, the statistics of each row computed
as a single distribution (hypothesis-drawn batches).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from rlcore import (
    DiscreteDistribution,
    categorical_projection,
    cramer_distance,
    quantile_projection,
    wasserstein_distance,
)
from rlcore.validation import InvalidParameterError, InvalidParameterTypeError


# ----------------------------------------------------------------------------- strategies
@st.composite
def batches(draw, max_batch_dims: int = 2):
    """A batch of shape ``batch + (K,)``: atoms on a coarse grid (so ties occur), Dirichlet-like probs."""
    batch = draw(st.lists(st.integers(1, 4), min_size=1, max_size=max_batch_dims).map(tuple))
    K = draw(st.integers(1, 6))
    atoms = draw(hnp.arrays(np.float64, batch + (K,), elements=st.integers(-6, 6).map(lambda i: i / 2)))
    w = draw(hnp.arrays(np.float64, batch + (K,), elements=st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])))
    w[..., 0] += 1.0  # every row has some mass
    return atoms, w / w.sum(axis=-1, keepdims=True)


LEVELS = st.sampled_from([1e-300, 0.05, 0.1, 0.25, 1 / 3, 0.5, 0.6, 2 / 3, 0.9, 1.0])


# ----------------------------------------------------------------------------- single distributions
def test_statistics_of_a_single_distribution_are_floats():
    d = DiscreteDistribution([10.0, 0.0, 1.0], [0.25, 0.5, 0.25])
    np.testing.assert_array_equal(d.atoms, [0.0, 1.0, 10.0])  # sorted on construction
    np.testing.assert_array_equal(d.probs, [0.5, 0.25, 0.25])
    assert d.batch_shape == () and d.n_atoms == 3
    assert (d.mean(), d.quantile(0.5), d.cvar(0.5), d.prob_at_least(1.0)) == (2.75, 0.0, 0.0, 0.5)
    assert all(isinstance(v, float) for v in (d.mean(), d.variance(), d.std(), d.quantile(0.5), d.cvar(0.5)))
    assert d.variance() == pytest.approx(0.5 * 2.75**2 + 0.25 * 1.75**2 + 0.25 * 7.25**2)
    assert d.cdf(0.5) == 0.5 and d.cdf(-1.0) == 0.0 and d.cdf(10.0) == 1.0
    np.testing.assert_array_equal(d.cdf([0.0, 1.0]), [0.5, 0.75])
    np.testing.assert_array_equal(d.quantile([0.5, 0.75, 0.76]), [0.0, 1.0, 10.0])
    assert d.expected_utility(lambda g: g**2) == pytest.approx(0.25 + 25.0)
    assert repr(d) == "DiscreteDistribution(n_atoms=3, mean=2.75)"
    assert not d.atoms.flags.writeable and not d.probs.flags.writeable


def test_cvar_matches_the_rockafellar_uryasev_maximum():
    rng = np.random.default_rng(0)
    for _ in range(10):
        d = DiscreteDistribution(rng.integers(-3, 4, 6).astype(float), rng.dirichlet(np.ones(6)))
        for alpha in (0.05, 0.2, 0.5, 0.9, 1.0):
            cs = np.linspace(-4, 4, 8001)  # contains every atom
            ru = np.max(cs - np.sum(d.probs * np.maximum(cs[:, None] - d.atoms, 0.0), axis=1) / alpha)
            assert d.cvar(alpha) == pytest.approx(ru, abs=1e-9)
        assert d.cvar(1.0) == pytest.approx(d.mean())


def test_quantile_is_numpys_inverted_cdf_of_an_equally_weighted_sample():
    rng = np.random.default_rng(1)
    for _ in range(10):
        x = rng.integers(-5, 5, 12).astype(float)
        d = DiscreteDistribution.from_samples(x)
        taus = np.array([0.01, 0.1, 0.25, 0.5, 0.77, 1.0])
        np.testing.assert_array_equal(d.quantile(taus), np.quantile(x, taus, method="inverted_cdf"))


def test_cvar_of_a_tiny_level_is_the_smallest_atom():
    # regression: w * atom underflowed before the division by alpha (cvar(5e-324) of atoms 0.3 and 2 was 0.0)
    d = DiscreteDistribution([0.3, 2.0], [0.5, 0.5])
    assert d.cvar(5e-324) == 0.3
    assert d.cvar(1e-300) == 0.3


def test_from_samples():
    d = DiscreteDistribution.from_samples([1.0, 3.0, 1.0, 1.0])
    np.testing.assert_array_equal(d.atoms, [1.0, 3.0])
    np.testing.assert_array_equal(d.probs, [0.75, 0.25])
    b = DiscreteDistribution.from_samples([[3.0, 1.0], [2.0, 2.0]])
    assert b.batch_shape == (2,)
    np.testing.assert_array_equal(b.atoms, [[1.0, 3.0], [2.0, 2.0]])
    np.testing.assert_array_equal(b.mean(), [2.0, 2.0])


# ----------------------------------------------------------------------------- batches
@given(batch=batches(), level=LEVELS, x=st.integers(-8, 8).map(lambda i: i / 2))
def test_batched_statistics_equal_the_single_ones_row_by_row(batch, level, x):
    atoms, probs = batch
    d = DiscreteDistribution(atoms, probs)
    shape = atoms.shape[:-1]
    assert d.batch_shape == shape
    stats_ = {
        "mean": d.mean(),
        "variance": d.variance(),
        "std": d.std(),
        "quantile": d.quantile(level),
        "cvar": d.cvar(level),
        "prob_at_least": d.prob_at_least(x),
        "cdf": d.cdf(x),
        "utility": d.expected_utility(np.tanh),
    }
    levels = d.quantile([level, 0.5]), d.cvar([level, 0.5]), d.cdf([x, x + 1.0])
    for value in stats_.values():
        assert isinstance(value, np.ndarray) and value.shape == shape
    for arr in levels:
        assert arr.shape == shape + (2,)
    for i in np.ndindex(*shape):
        one = DiscreteDistribution(atoms[i], probs[i])
        np.testing.assert_array_equal(d[i].atoms, one.atoms)
        assert stats_["mean"][i] == pytest.approx(one.mean(), rel=1e-12, abs=1e-12)
        assert stats_["variance"][i] == pytest.approx(one.variance(), rel=1e-12, abs=1e-12)
        assert stats_["std"][i] == pytest.approx(one.std(), rel=1e-12, abs=1e-12)
        assert stats_["quantile"][i] == one.quantile(level)
        assert stats_["cvar"][i] == pytest.approx(one.cvar(level), rel=1e-12, abs=1e-12)
        assert stats_["prob_at_least"][i] == pytest.approx(one.prob_at_least(x), abs=1e-15)
        assert stats_["cdf"][i] == pytest.approx(one.cdf(x), abs=1e-15)
        assert stats_["utility"][i] == pytest.approx(one.expected_utility(np.tanh), rel=1e-12, abs=1e-12)
        np.testing.assert_array_equal(levels[0][i], [one.quantile(level), one.quantile(0.5)])
        np.testing.assert_allclose(levels[1][i], [one.cvar(level), one.cvar(0.5)], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(levels[2][i], [one.cdf(x), one.cdf(x + 1.0)], atol=1e-15)


@given(batch=batches(max_batch_dims=1), n=st.integers(1, 7))
def test_batched_projections_and_distances_equal_the_single_ones(batch, n):
    atoms, probs = batch
    d = DiscreteDistribution(atoms, probs)
    z = np.linspace(-2.0, 2.0, 5)
    pc, pq = categorical_projection(d, z), quantile_projection(d, n)
    assert pc.batch_shape == pq.batch_shape == d.batch_shape
    w1, winf, cr = wasserstein_distance(d, pc), wasserstein_distance(d, pq, np.inf), cramer_distance(d, pc)
    for i in range(atoms.shape[0]):
        one = DiscreteDistribution(atoms[i], probs[i])
        one_c, one_q = categorical_projection(one, z), quantile_projection(one, n)
        np.testing.assert_allclose(pc[i].probs, one_c.probs, atol=1e-15)
        np.testing.assert_array_equal(pq[i].atoms, one_q.atoms)
        assert w1[i] == wasserstein_distance(one, one_c)
        assert winf[i] == wasserstein_distance(one, one_q, np.inf)
        assert cr[i] == cramer_distance(one, one_c)


def test_indexing_a_batch():
    b = DiscreteDistribution(np.zeros((2, 3, 4)), np.full((2, 3, 4), 0.25))
    assert b[1].batch_shape == (3,) and b[1, 2].batch_shape == () and b[:, 0].batch_shape == (2,)
    assert repr(b) == "DiscreteDistribution(batch_shape=(2, 3), n_atoms=4)"
    with pytest.raises(IndexError):
        b[0, 0, 0]
    with pytest.raises(TypeError):
        b[0, 0][0]
    empty = DiscreteDistribution(np.zeros((0, 3)), np.zeros((0, 3)))
    assert empty.mean().shape == (0,) and empty.quantile([0.5]).shape == (0, 1)


# ----------------------------------------------------------------------------- projections and distances
def test_projections_and_distances():
    z = np.linspace(0.0, 4.0, 5)
    d = categorical_projection(DiscreteDistribution([1.25, 9.0, -3.0], [0.5, 0.25, 0.25]), z)
    np.testing.assert_allclose(d.probs, [0.25, 0.375, 0.125, 0.0, 0.25])
    rng = np.random.default_rng(1)
    for _ in range(20):
        nu = DiscreteDistribution(rng.uniform(0, 4, 7), rng.dirichlet(np.ones(7)))
        pc = categorical_projection(nu, z)
        assert pc.mean() == pytest.approx(nu.mean())  # mean kept inside the support
        assert cramer_distance(pc, nu) ** 2 <= wasserstein_distance(pc, nu) <= 1.0 / 2 + 1e-12  # <= spacing / 2
        pq = quantile_projection(nu, 5)
        assert wasserstein_distance(pq, nu) <= (nu.atoms[-1] - nu.atoms[0]) / (2 * 5) + 1e-12
    q = quantile_projection(DiscreteDistribution([0.0, 1.0, 2.0], [0.2, 0.5, 0.3]), 4)
    np.testing.assert_allclose(q.atoms, [0.0, 1.0, 1.0, 2.0])  # quantiles at 1/8, 3/8, 5/8, 7/8
    a, b = DiscreteDistribution([0.0, 2.0], [0.5, 0.5]), DiscreteDistribution([1.0], [1.0])
    assert wasserstein_distance(a, b) == pytest.approx(1.0)
    assert wasserstein_distance(a, b, np.inf) == pytest.approx(1.0)
    assert cramer_distance(a, b) == pytest.approx(np.sqrt(0.5))


def test_distances_match_scipy():
    rng = np.random.default_rng(2)
    for _ in range(10):
        p = DiscreteDistribution(rng.normal(size=5), rng.dirichlet(np.ones(5)))
        q = DiscreteDistribution(rng.normal(size=3), rng.dirichlet(np.ones(3)))
        w1 = stats.wasserstein_distance(p.atoms, q.atoms, p.probs, q.probs)
        energy = stats.energy_distance(p.atoms, q.atoms, p.probs, q.probs)
        assert wasserstein_distance(p, q) == pytest.approx(w1, rel=1e-10)
        assert cramer_distance(p, q) == pytest.approx(energy / np.sqrt(2.0), rel=1e-10)


# ----------------------------------------------------------------------------- errors
def test_invalid_inputs_are_refused_by_name():
    with pytest.raises(InvalidParameterError, match=r"^probs\b"):
        DiscreteDistribution([0.0, 1.0], [0.5, 0.6])
    with pytest.raises(InvalidParameterError, match=r"^probs\b"):
        DiscreteDistribution([[0.0, 1.0]], [0.5, 0.5])  # not the shape of atoms
    with pytest.raises(InvalidParameterError, match=r"^atoms\b"):
        DiscreteDistribution([], [])
    with pytest.raises(InvalidParameterError, match=r"^atoms\b"):
        DiscreteDistribution(1.0, 1.0)
    with pytest.raises(InvalidParameterError, match=r"^atoms\b"):
        DiscreteDistribution([np.inf], [1.0])
    with pytest.raises(InvalidParameterError, match=r"^alpha\b"):
        DiscreteDistribution([0.0], [1.0]).cvar(0.0)
    with pytest.raises(InvalidParameterError, match=r"^alpha\b"):
        DiscreteDistribution([0.0], [1.0]).cvar([0.5, 1.5])
    with pytest.raises(InvalidParameterError, match=r"^tau\b"):
        DiscreteDistribution([0.0], [1.0]).quantile(float("nan"))
    with pytest.raises(InvalidParameterError, match=r"^samples\b"):
        DiscreteDistribution.from_samples([])
    with pytest.raises(InvalidParameterError, match=r"^utility\b"):
        DiscreteDistribution([0.0], [1.0]).expected_utility(lambda g: np.zeros(3))
    with pytest.raises(InvalidParameterError, match=r"^order\b"):
        wasserstein_distance(DiscreteDistribution([0.0], [1.0]), DiscreteDistribution([1.0], [1.0]), 2)
    with pytest.raises(InvalidParameterTypeError, match=r"^q\b"):
        cramer_distance(DiscreteDistribution([0.0], [1.0]), [1.0])
    with pytest.raises(InvalidParameterError, match=r"^q: expected the batch shape"):
        cramer_distance(DiscreteDistribution([0.0], [1.0]), DiscreteDistribution([[0.0]], [[1.0]]))
    with pytest.raises(InvalidParameterError, match=r"^support\b"):
        categorical_projection(DiscreteDistribution([0.0], [1.0]), [0.0, 1.0, 3.0])
    with pytest.raises(InvalidParameterError, match=r"^n_quantiles\b"):
        quantile_projection(DiscreteDistribution([0.0], [1.0]), 0)
