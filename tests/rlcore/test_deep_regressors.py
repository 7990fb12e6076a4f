"""Tests for rlcore.deep's regressors: HL-Gauss targets, the two-hot (C51) encoding and
the torch MLP regressors.

Independent sources: scipy.stats.norm CDF differences computed here (HL-Gauss rows),
closed forms (the C51 projection of a point on or between atoms, the one-hot limit of a
vanishing sigma, the mean of a two-atom split), group means from
:class:`rlcore.regressors.TabularMean` and :func:`numpy.bincount`, empirical
frequencies and :func:`numpy.quantile` of the training sample (what a minimiser of the
cross-entropy / quantile loss on one-hot inputs must reproduce).

Tolerances of the trained networks are stated per test; every fit runs on a fixed seed,
so these tests are deterministic (the networks are small, on CPU, a few hundred steps).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

torch = pytest.importorskip("torch")

from rlcore import DiscreteDistribution
from rlcore.deep import (
    TORCH_INSTALL_HINT,
    DistributionalMLPRegressor,
    MLPRegressor,
    hl_gauss_probs,
    one_hot,
    two_hot,
)
from rlcore.regressors import NotFittedError, Regressor, TabularMean

FAST = dict(hidden_sizes=(32,), n_epochs=40, min_steps=0, batch_size=32, learning_rate=3e-3)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # tiny networks: one thread is as fast and avoids oversubscribing 2-core CI runners
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --------------------------------------------------------------------------- hl_gauss_probs


@given(
    lo=st.floats(-100, 100),
    span=st.floats(0.5, 200),
    n_bins=st.integers(8, 120),
    frac=st.floats(0, 1),
    ratio=st.sampled_from([None, 0.25, 0.75, 1.5]),
)
def test_hl_gauss_rows_sum_to_one_and_mean_reproduces_interior_y(lo, span, n_bins, frac, ratio):
    hi = lo + span
    width = span / n_bins
    sigma = None if ratio is None else ratio * width
    s = 0.75 * width if sigma is None else sigma
    # interior: 4 sigma (and one bin) away from both ends, so truncation is negligible
    margin = max(4 * s, width)
    if hi - lo <= 2 * margin:
        return
    y = lo + margin + frac * (hi - lo - 2 * margin)
    p = hl_gauss_probs([y], lo, hi, n_bins, sigma)
    assert p.shape == (1, n_bins)
    assert np.all(p >= 0)
    assert abs(p.sum() - 1.0) < 1e-12
    edges = np.linspace(lo, hi, n_bins + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    assert abs(p[0] @ centres - y) <= 0.5 * width


@given(y=st.floats(allow_nan=False, allow_infinity=False), sigma=st.floats(1e-300, 1e300))
def test_hl_gauss_never_nan_for_finite_y_and_any_sigma(y, sigma):
    p = hl_gauss_probs([y], -1.0, 2.0, 7, sigma)
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    assert abs(p.sum() - 1.0) < 1e-12


def test_hl_gauss_row_matches_scipy_norm_cdf_differences():
    lo, hi, n_bins, y, sigma = -2.0, 3.0, 10, 0.37, 0.6
    edges = np.linspace(lo, hi, n_bins + 1)
    cdf = stats.norm(loc=y, scale=sigma).cdf(edges)
    expected = np.diff(cdf) / (cdf[-1] - cdf[0])
    np.testing.assert_allclose(hl_gauss_probs([y], lo, hi, n_bins, sigma)[0], expected, rtol=1e-12, atol=1e-15)
    # the default sigma is 0.75 bin widths
    cdf = stats.norm(loc=y, scale=0.75 * 0.5).cdf(edges)
    np.testing.assert_allclose(hl_gauss_probs([y], lo, hi, n_bins)[0], np.diff(cdf) / (cdf[-1] - cdf[0]), atol=1e-14)


def test_hl_gauss_clamps_outside_the_support():
    p = hl_gauss_probs([-50.0, -1.0, 1.0, 1e300], -1.0, 1.0, 8)
    np.testing.assert_array_equal(p[0], p[1])
    np.testing.assert_array_equal(p[3], p[2])
    assert p[0, 0] > p[0, 1] > p[0, 2]  # piled on the lower end


def test_hl_gauss_limits_of_sigma():
    # vanishing sigma: all mass in the bin containing y; huge sigma: uniform
    p = hl_gauss_probs([0.7, 1.55], 0.0, 2.0, 4, sigma=1e-9)
    np.testing.assert_allclose(p, [[0, 1, 0, 0], [0, 0, 0, 1]], atol=1e-12)
    np.testing.assert_allclose(hl_gauss_probs([0.3], 0.0, 2.0, 4, sigma=1e6), [[0.25] * 4], atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(n_bins=1), ValueError, "n_bins"),
        (dict(n_bins=2.5), TypeError, "n_bins"),
        (dict(support_min=1.0, support_max=1.0), ValueError, "support"),
        (dict(support_min=2.0, support_max=1.0), ValueError, "support"),
        (dict(support_min=np.nan), ValueError, "support"),
        (dict(sigma=0.0), ValueError, "sigma"),
        (dict(sigma=-1.0), ValueError, "sigma"),
        (dict(y=[0.0, np.nan]), ValueError, "y"),
        (dict(y=[[0.0]]), ValueError, "y"),
    ],
)
def test_hl_gauss_rejects_bad_arguments(kwargs, exc, match):
    args = dict(y=[0.5], support_min=0.0, support_max=1.0, n_bins=5)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        hl_gauss_probs(**args)


# --------------------------------------------------------------------------- two_hot, one_hot


@given(y=st.floats(-3, 5), n_atoms=st.integers(2, 40))
def test_two_hot_is_mean_preserving_two_point_split(y, n_atoms):
    lo, hi = -1.0, 3.0
    p = two_hot([y], lo, hi, n_atoms)[0]
    atoms = np.linspace(lo, hi, n_atoms)
    assert abs(p.sum() - 1.0) < 1e-12 and np.all(p >= 0)
    assert abs(p @ atoms - min(max(y, lo), hi)) < 1e-9
    nz = np.flatnonzero(p > 0)
    assert len(nz) <= 2 and (len(nz) < 2 or nz[1] == nz[0] + 1)


def test_two_hot_closed_forms():
    # atoms 0, 0.5, 1: y = 0.2 is 2/5 of the way from 0 to 0.5
    np.testing.assert_allclose(two_hot([0.2, 0.5, -4.0], 0.0, 1.0, 3), [[0.6, 0.4, 0], [0, 1, 0], [1, 0, 0]])
    with pytest.raises(ValueError, match="n_atoms"):
        two_hot([0.0], 0.0, 1.0, 1)


def test_one_hot():
    np.testing.assert_array_equal(one_hot([1, 0, 2], 3), np.eye(3)[[1, 0, 2]])
    with pytest.raises(ValueError, match="indices"):
        one_hot([3], 3)
    with pytest.raises(ValueError, match="indices"):
        one_hot([0.5], 3)


# --------------------------------------------------------------------------- MLPRegressor


def _tabular_data(seed: int = 0, n_groups: int = 5, n_per: int = 60, noise: float = 1.0):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), n_per)
    mu = np.linspace(-2.0, 3.0, n_groups)
    y = mu[g] + noise * rng.standard_normal(g.size)
    return g, one_hot(g, n_groups), y


@pytest.mark.parametrize("kwargs", [dict(loss="mse"), dict(loss="hl_gauss", support=(-7.0, 8.0))])
def test_mlp_fits_group_means_of_one_hot_data(kwargs):
    g, X, y = _tabular_data()
    exact = TabularMean().fit(g, y).predict(np.arange(5))
    model = MLPRegressor(rng=0, n_epochs=60, **kwargs).fit(X, y)
    pred = model.predict(np.eye(5))
    assert pred.shape == (5,) and pred.dtype == np.float64
    # tolerance 0.05 (noise sd 1, 60 samples per group: the group means' own sd is 0.13;
    # the network must find the sample means themselves; observed error <= 0.02)
    np.testing.assert_allclose(pred, exact, atol=0.05)
    assert isinstance(model, Regressor)
    # 300 rows in batches of 64: 5 steps per epoch, so min_steps=1000 asks for 200 epochs
    assert len(model.loss_curve_) == model.n_iter_ == 200


def test_mlp_hl_gauss_distribution_is_consistent_with_predict():
    g, X, y = _tabular_data(n_per=30)
    model = MLPRegressor(loss="hl_gauss", support=(-7.0, 8.0), n_bins=31, rng=1, **FAST).fit(X, y)
    dist = model.predict_distribution(np.eye(5))
    assert isinstance(dist, DiscreteDistribution)
    assert dist.probs.shape == dist.atoms.shape == (5, 31) and dist.batch_shape == (5,)
    np.testing.assert_allclose(dist.probs.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(dist.atoms[0], np.linspace(-7.0, 8.0, 32)[:-1] + 15.0 / 62)
    np.testing.assert_allclose(dist.mean(), model.predict(np.eye(5)), atol=1e-12)


def test_mlp_huber_fits_noiseless_targets_and_standardize_y_off():
    g = np.repeat(np.arange(3), 20)
    X, y = one_hot(g, 3), np.array([100.0, 103.0, 98.0])[g]
    kw = dict(hidden_sizes=(32,), n_epochs=1, min_steps=300, learning_rate=1e-2, rng=0)
    pred = MLPRegressor(loss="huber", **kw).fit(X, y).predict(np.eye(3))
    np.testing.assert_allclose(pred, [100.0, 103.0, 98.0], atol=0.1)
    pred = MLPRegressor(standardize_y=False, **kw).fit(X, y - 100).predict(np.eye(3))
    np.testing.assert_allclose(pred, [0.0, 3.0, -2.0], atol=0.1)


def test_mlp_sample_weight_gives_weighted_group_means():
    # each group: y = 0 with weight 3 and y = 4 with weight 1 -> weighted mean 1
    # (unweighted 2); the same as repeating the y = 0 rows three times
    g = np.repeat(np.arange(3), 40)
    X = one_hot(g, 3)
    y = np.tile(np.repeat([0.0, 4.0], 20), 3) + g
    w = np.tile(np.repeat([3.0, 1.0], 20), 3)
    exact = TabularMean().fit(g, y, sample_weight=w).predict(np.arange(3))
    np.testing.assert_allclose(exact, [1.0, 2.0, 3.0])
    weighted = MLPRegressor(rng=0, **FAST).fit(X, y, sample_weight=w).predict(np.eye(3))
    np.testing.assert_allclose(weighted, exact, atol=0.15)
    rep = np.repeat(np.arange(y.size), w.astype(int))
    repeated = MLPRegressor(rng=0, **FAST).fit(X[rep], y[rep]).predict(np.eye(3))
    np.testing.assert_allclose(repeated, weighted, atol=0.2)


def test_mlp_zero_weight_rows_do_not_influence_the_fit():
    g, X, y = _tabular_data(n_per=30)
    w = np.where(g == 2, 0.0, 1.0)
    y2 = np.where(g == 2, y + 1000.0, y)
    a = MLPRegressor(rng=3, **FAST).fit(X, y, sample_weight=w).predict(np.eye(5))
    b = MLPRegressor(rng=3, **FAST).fit(X, y2, sample_weight=w).predict(np.eye(5))
    np.testing.assert_array_equal(a, b)
    exact = TabularMean().fit(g, y).predict(np.arange(5))
    np.testing.assert_allclose(np.delete(a, 2), np.delete(exact, 2), atol=0.2)


def test_mlp_seeding_is_reproducible_and_leaves_global_torch_rng_alone():
    g, X, y = _tabular_data(n_per=20)
    state = torch.random.get_rng_state()
    a = MLPRegressor(rng=7, **FAST).fit(X, y).predict(X)
    assert torch.equal(torch.random.get_rng_state(), state)
    b = MLPRegressor(rng=7, **FAST).fit(X, y).predict(X)
    c = MLPRegressor(rng=8, **FAST).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    gen = np.random.default_rng(7)
    m = MLPRegressor(rng=gen, **FAST)
    d1 = m.fit(X, y).predict(X)
    d2 = m.fit(X, y).predict(X)  # the generator has advanced
    np.testing.assert_array_equal(d1, a)  # default_rng(7) and the seed 7 agree
    assert not np.array_equal(d1, d2)


def test_mlp_warm_start_continues_training():
    g, X, y = _tabular_data(n_per=20)
    m = MLPRegressor(rng=0, warm_start=True, hidden_sizes=(16,), n_epochs=5, min_steps=0, batch_size=16)
    m.fit(X, y)
    first = m.loss_curve_[0]
    net = m.model_
    m.fit(X, y)
    assert m.model_ is net and m.n_iter_ == 10 and len(m.loss_curve_) == 10
    assert m.loss_curve_[5] < first
    m.set_params(warm_start=False).fit(X, y)
    assert m.n_iter_ == 5


def test_mlp_errors():
    g, X, y = _tabular_data(n_per=4)
    with pytest.raises(NotFittedError):
        MLPRegressor().predict(X)
    with pytest.raises(NotFittedError):
        MLPRegressor(loss="hl_gauss", support=(0.0, 1.0)).predict_distribution(X)
    quick = dict(n_epochs=1, min_steps=0, rng=0)
    with pytest.raises(ValueError, match="X"):
        MLPRegressor(**quick).fit(g, y)
    with pytest.raises(ValueError, match="y"):
        MLPRegressor(**quick).fit(X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight"):
        MLPRegressor(**quick).fit(X, y, sample_weight=-np.ones_like(y))
    with pytest.raises(ValueError, match="loss"):
        MLPRegressor(loss="mae", **quick).fit(X, y)
    with pytest.raises(ValueError, match="support"):
        MLPRegressor(loss="hl_gauss", **quick).fit(X, y)
    with pytest.raises(ValueError, match="support"):
        MLPRegressor(loss="hl_gauss", support=(1.0, 0.0), **quick).fit(X, y)
    with pytest.raises(ValueError, match="activation"):
        MLPRegressor(activation="sigmoidish", **quick).fit(X, y)
    with pytest.raises(ValueError, match="hidden_sizes"):
        MLPRegressor(hidden_sizes=(8, 0), **quick).fit(X, y)
    with pytest.raises(ValueError, match="n_epochs"):
        MLPRegressor(n_epochs=0).fit(X, y)
    with pytest.raises(ValueError, match="min_steps"):
        MLPRegressor(min_steps=-1, n_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate_schedule"):
        MLPRegressor(learning_rate_schedule="step", **quick).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate"):
        MLPRegressor(learning_rate=-1.0, **quick).fit(X, y)
    with pytest.raises(ValueError, match="device"):
        MLPRegressor(device="not-a-device", **quick).fit(X, y)
    m = MLPRegressor(**quick).fit(X, y)
    with pytest.raises(ValueError, match="X"):
        m.predict(np.ones((2, 7)))
    with pytest.raises(ValueError, match="loss"):
        m.predict_distribution(X)
    assert m.predict(np.empty((0, 5))).shape == (0,)


def test_mlp_get_params_supports_sklearn_clone():
    sklearn_base = pytest.importorskip("sklearn.base")
    m = MLPRegressor(loss="huber", hidden_sizes=(8,), rng=3)
    c = sklearn_base.clone(m)
    assert c.get_params() == m.get_params() and c is not m
    assert "loss='huber'" in repr(m)
    with pytest.raises(ValueError, match="nope"):
        m.set_params(nope=1)


# --------------------------------------------------------------------------- distributional


def _two_point_data(seed: int, n_per: int):
    """Per group k: y = a_k w.p. 1 - p_k, else b_k."""
    rng = np.random.default_rng(seed)
    a = np.array([0.0, 1.0, -2.0, 2.0])
    b = np.array([3.0, 2.0, 4.0, 5.0])
    p = np.array([0.25, 0.5, 0.75, 0.375])
    g = np.repeat(np.arange(4), n_per)
    y = np.where(rng.random(g.size) < p[g], b[g], a[g])
    return g, one_hot(g, 4), y, a, b


def test_categorical_head_matches_empirical_frequencies_and_means():
    g, X, y, a, b = _two_point_data(seed=1, n_per=150)
    m = DistributionalMLPRegressor(support=(-3.0, 6.0), n_atoms=10, rng=0, n_epochs=50).fit(X, y)
    dist = m.predict_distribution(np.eye(4))
    np.testing.assert_allclose(dist.probs.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(dist.atoms[2], np.linspace(-3.0, 6.0, 10))
    atoms = m.atoms_
    freq_b = np.array([np.mean(y[g == k] == b[k]) for k in range(4)])
    pred_b = np.array([dist.probs[k, np.flatnonzero(atoms == b[k])[0]] for k in range(4)])
    pred_a = np.array([dist.probs[k, np.flatnonzero(atoms == a[k])[0]] for k in range(4)])
    # observed errors ~0.015; tolerance 0.05 on the probabilities
    np.testing.assert_allclose(pred_b, freq_b, atol=0.05)
    np.testing.assert_allclose(pred_a, 1.0 - freq_b, atol=0.05)
    group_means = np.bincount(g, weights=y) / np.bincount(g)
    np.testing.assert_allclose(m.predict(np.eye(4)), group_means, atol=0.15)
    # inverse CDF vs numpy's definition of the same generalised inverse, at levels
    # at least 0.05 away from every group's empirical cdf jump
    taus = np.array([0.05, 0.95])
    assert np.all(np.abs(freq_b - 0.05) > 0.05) and np.all(np.abs(freq_b - 0.95) > 0.05)
    want = np.array([np.quantile(y[g == k], taus, method="inverted_cdf") for k in range(4)])
    np.testing.assert_allclose(m.predict_quantiles(np.eye(4), taus), want)


def test_quantile_head_matches_empirical_quantiles():
    g, X, y, a, b = _two_point_data(seed=9, n_per=150)
    n = 8
    taus = (2 * np.arange(n) + 1) / (2 * n)
    freq_a = np.array([np.mean(y[g == k] == a[k]) for k in range(4)])
    # well-posed: no empirical cdf jump within 0.03 of a quantile level
    assert np.min(np.abs(freq_a[:, None] - taus[None, :])) > 0.03
    emp = np.array([np.quantile(y[g == k], taus) for k in range(4)])
    m = DistributionalMLPRegressor(head="quantile", n_atoms=n, kappa=0.0, rng=0, n_epochs=50).fit(X, y)
    np.testing.assert_allclose(m.taus_, taus)
    dist = m.predict_distribution(np.eye(4))
    np.testing.assert_allclose(dist.probs, 1.0 / n)
    # tolerance 0.2 (the two points are 1 to 6 apart; observed error ~0.05)
    np.testing.assert_allclose(dist.atoms, emp, atol=0.2)
    np.testing.assert_allclose(m.predict(np.eye(4)), emp.mean(axis=1), atol=0.1)
    q = m.predict_quantiles(np.eye(4), taus)
    np.testing.assert_array_equal(q, dist.atoms)  # sorted on construction
    np.testing.assert_array_equal(q, dist.quantile(taus))


def test_quantile_head_default_kappa_and_categorical_are_regressors():
    g, X, y, a, b = _two_point_data(seed=3, n_per=20)
    for m in (
        DistributionalMLPRegressor(head="quantile", n_atoms=5, rng=0, **FAST),
        DistributionalMLPRegressor(support=(-3.0, 6.0), n_atoms=5, rng=0, **FAST),
    ):
        assert isinstance(m, Regressor)
        pred = m.fit(X, y).predict(X)
        assert pred.shape == (X.shape[0],) and np.all(np.isfinite(pred))


def test_distributional_errors():
    g, X, y, a, b = _two_point_data(seed=0, n_per=3)
    quick = dict(n_epochs=1, min_steps=0, rng=0)
    with pytest.raises(NotFittedError):
        DistributionalMLPRegressor(support=(0.0, 1.0)).predict(X)
    with pytest.raises(NotFittedError):
        DistributionalMLPRegressor(head="quantile").predict_quantiles(X, [0.5])
    with pytest.raises(ValueError, match="head"):
        DistributionalMLPRegressor(head="iqn", **quick).fit(X, y)
    with pytest.raises(ValueError, match="support"):
        DistributionalMLPRegressor(**quick).fit(X, y)
    with pytest.raises(ValueError, match="n_atoms"):
        DistributionalMLPRegressor(head="quantile", n_atoms=1, **quick).fit(X, y)
    with pytest.raises(ValueError, match="kappa"):
        DistributionalMLPRegressor(head="quantile", kappa=-1.0, **quick).fit(X, y)
    m = DistributionalMLPRegressor(head="quantile", n_atoms=4, **quick).fit(X, y)
    with pytest.raises(ValueError, match="taus"):
        m.predict_quantiles(X, [0.0, 0.5])
    with pytest.raises(ValueError, match="X"):
        m.predict(X[:, :2])


# --------------------------------------------------------------------------- without torch


def test_module_imports_without_torch_and_fitting_names_the_extra():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["torch"] = None
        import numpy as np
        import rlcore.deep as tr
        assert "torch" not in sys.modules or sys.modules["torch"] is None
        assert abs(tr.hl_gauss_probs([0.5], 0.0, 1.0, 4).sum() - 1.0) < 1e-12
        for model in (tr.MLPRegressor(), tr.DistributionalMLPRegressor(head="quantile")):
            try:
                model.fit(np.eye(2), [0.0, 1.0])
            except ImportError as exc:
                print(exc)
            else:
                raise SystemExit("fit without torch did not raise")
        """
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.endswith(TORCH_INSTALL_HINT) and ".fit needs PyTorch" in line


# ------------------------------------------------------------ issue 17: no NaN, named errors
def test_divergent_training_is_an_error_naming_the_learning_rate():
    """A learning rate that blows the network up used to return NaN predictions."""
    X = np.eye(2).repeat(10, axis=0)
    y = np.array([1.0, 3.0]).repeat(10) * 1e30
    model = MLPRegressor(
        learning_rate=10.0, hidden_sizes=(64, 64), n_epochs=20, min_steps=0, rng=0, standardize_y=False
    )
    with pytest.raises(ValueError, match="^learning_rate: training diverged"):
        model.fit(X, y)


def test_targets_beyond_float32_are_an_error_naming_y():
    """float32 conversion used to turn them into inf silently."""
    X = np.eye(2).repeat(5, axis=0)
    with pytest.raises(ValueError, match="^y: values .* exceed the float32 range"):
        MLPRegressor(n_epochs=1, min_steps=0, rng=0, standardize_y=False).fit(X, np.full(10, 1e300))


@pytest.mark.parametrize(
    "kwargs, exc, pattern",
    [
        (dict(hidden_sizes=(10**6,)), ValueError, r"^hidden_sizes\[0\]: expected an integer in \[1, 16384\]"),
        (dict(huber_delta=1e-300), ValueError, r"^huber_delta: "),
        (dict(n_epochs=2**63), ValueError, r"^n_epochs: "),
        (dict(learning_rate=float("inf")), ValueError, r"^learning_rate: "),
        (dict(loss="hl_gauss", support=(1.0, 1.0)), ValueError, r"^support\[1\]: expected support\[0\] < "),
        (dict(device=3), TypeError, r"^device: "),
    ],
)
def test_mlp_constructor_checks_its_arguments(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        MLPRegressor(**kwargs)


def test_one_hot_size_is_bounded():
    with pytest.raises(ValueError, match=r"^n: a one-hot matrix of shape \(2, 1000000000\)"):
        one_hot([0, 1], 10**9)
