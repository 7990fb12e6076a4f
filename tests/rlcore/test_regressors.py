"""Tests for rlcore.regressors against independent references.

TabularMean: a brute-force Python dict-of-lists mean. RidgeRegression: the normal
equations with the intercept handled by weighted centring (the implementation solves
an augmented least-squares system with an intercept column instead), numpy's lstsq
for alpha -> 0, and integer weights versus repeated rows.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlcore.regressors import NotFittedError, Regressor, RidgeRegression, TabularMean

# ----------------------------------------------------------------------------- helpers


def brute_force_means(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict[tuple[int, ...], float]:
    groups: dict[tuple[int, ...], list[tuple[float, float]]] = defaultdict(list)
    for row, target, weight in zip(X.tolist(), y.tolist(), w.tolist()):
        key = tuple(row) if isinstance(row, list) else (row,)
        groups[key].append((target, weight))
    out = {}
    for key, pairs in groups.items():
        total = sum(p[1] for p in pairs)
        if total > 0:
            out[key] = sum(p[0] * p[1] for p in pairs) / total
    return out


def ridge_normal_equations(X, y, w, alpha, fit_intercept=True):
    """Closed form via centring: beta = (Xc' W Xc + alpha I)^-1 Xc' W yc."""
    w = np.asarray(w, dtype=float)
    if fit_intercept:
        xbar = (w[:, None] * X).sum(0) / w.sum()
        ybar = (w * y).sum() / w.sum()
    else:
        xbar = np.zeros(X.shape[1])
        ybar = 0.0
    Xc, yc = X - xbar, y - ybar
    A = Xc.T @ (w[:, None] * Xc) + alpha * np.eye(X.shape[1])
    beta = np.linalg.solve(A, Xc.T @ (w * yc))
    return beta, ybar - xbar @ beta


@st.composite
def tabular_data(draw, weighted: bool):
    n = draw(st.integers(1, 40))
    d = draw(st.integers(1, 3))
    X = np.array(draw(st.lists(st.lists(st.integers(-2, 2), min_size=d, max_size=d), min_size=n, max_size=n)))
    y = np.array(draw(st.lists(st.floats(-100, 100), min_size=n, max_size=n)))
    if weighted:
        w = np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.25]), min_size=n, max_size=n)))
        if w.sum() == 0:
            w[0] = 1.0
    else:
        w = np.ones(n)
    return X, y, w


# ----------------------------------------------------------------------------- protocol


def test_both_satisfy_regressor_protocol():
    assert isinstance(TabularMean(), Regressor)
    assert isinstance(RidgeRegression(), Regressor)
    assert not isinstance(object(), Regressor)


def test_init_stores_parameters_only_and_fit_returns_self():
    m = TabularMean(default=-1.0, n_features=2)
    assert (m.default, m.n_features) == (-1.0, 2)
    assert not hasattr(m, "means_")
    assert m.fit(np.array([[0, 1]]), [1.0]) is m
    r = RidgeRegression(alpha=0.5, fit_intercept=False)
    assert (r.alpha, r.fit_intercept) == (0.5, False)
    assert not hasattr(r, "coef_")
    assert r.fit(np.ones((2, 1)), [1.0, 2.0]) is r


# ----------------------------------------------------------------------------- TabularMean


@settings(max_examples=40)
@given(data=tabular_data(weighted=False))
def test_tabular_mean_matches_brute_force_unweighted(data):
    X, y, w = data
    model = TabularMean().fit(X, y)
    ref = brute_force_means(X, y, w)
    keys = list(ref)
    pred = model.predict(np.array(keys))
    np.testing.assert_allclose(pred, [ref[k] for k in keys], rtol=1e-12, atol=1e-9)
    assert model.keys_.shape[0] == len(ref)
    np.testing.assert_allclose(model.weights_.sum(), len(y))


@settings(max_examples=40)
@given(data=tabular_data(weighted=True))
def test_tabular_mean_matches_brute_force_weighted(data):
    X, y, w = data
    model = TabularMean(default=-999.0).fit(X, y, sample_weight=w)
    ref = brute_force_means(X, y, w)
    queries = [tuple(r) for r in X.tolist()] + [(7,) * X.shape[1]]
    pred = model.predict(np.array(queries))
    expected = [ref.get(q, -999.0) for q in queries]  # zero-weight-only rows are unseen
    np.testing.assert_allclose(pred, expected, rtol=1e-12, atol=1e-9)


def test_tabular_mean_one_dimensional_inputs_and_unseen_default():
    model = TabularMean(default=0.5).fit(np.array([3, 3, 1]), [2.0, 4.0, 10.0])
    np.testing.assert_allclose(model.predict(np.array([1, 3, 2])), [10.0, 3.0, 0.5])
    assert model.n_features_in_ == 1
    # Float inputs with integral values are accepted and mean the same rows.
    np.testing.assert_allclose(model.predict([[3.0], [1.0]]), [3.0, 10.0])


def test_tabular_mean_default_none_raises_on_unseen():
    model = TabularMean(default=None).fit([[0, 0], [1, 1]], [1.0, 2.0])
    np.testing.assert_allclose(model.predict([[1, 1]]), [2.0])
    with pytest.raises(ValueError, match="not seen in fit"):
        model.predict([[0, 1]])


def test_tabular_mean_errors_are_named():
    with pytest.raises(NotFittedError, match=r"TabularMean\.predict.*not fitted"):
        TabularMean().predict([[0]])
    with pytest.raises(ValueError, match="X: .*integer-valued"):
        TabularMean().fit([[0.5]], [1.0])
    with pytest.raises(ValueError, match="X: .*finite"):
        TabularMean().fit([[np.nan]], [1.0])
    with pytest.raises(ValueError, match="y: expected 2 targets"):
        TabularMean().fit([[0], [1]], [1.0])
    with pytest.raises(ValueError, match="y: .*finite"):
        TabularMean().fit([[0], [1]], [1.0, np.inf])
    with pytest.raises(ValueError, match="sample_weight: weights must be >= 0"):
        TabularMean().fit([[0], [1]], [1.0, 2.0], sample_weight=[1.0, -1.0])
    with pytest.raises(ValueError, match="sample_weight: .*all are zero"):
        TabularMean().fit([[0], [1]], [1.0, 2.0], sample_weight=[0.0, 0.0])
    with pytest.raises(ValueError, match="sample_weight: expected 2 weights"):
        TabularMean().fit([[0], [1]], [1.0, 2.0], sample_weight=[1.0])
    with pytest.raises(ValueError, match="sample_weight: .*finite"):
        TabularMean().fit([[0], [1]], [1.0, 2.0], sample_weight=[1.0, np.nan])
    with pytest.raises(ValueError, match="X: expected n_features=3"):
        TabularMean(n_features=3).fit([[0, 1]], [1.0])
    with pytest.raises(ValueError, match="X: TabularMean was fitted with 2 features, got X with 3"):
        TabularMean().fit([[0, 1]], [1.0]).predict([[0, 1, 2]])
    with pytest.raises(TypeError, match="default"):
        TabularMean(default="zero").fit([[0]], [1.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="X"):
        TabularMean().fit(np.array([[True]]), [1.0])


# ----------------------------------------------------------------------------- RidgeRegression


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("alpha", [0.0, 0.1, 3.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_ridge_matches_centred_normal_equations(seed, alpha, weighted):
    rng = np.random.default_rng(seed)
    n, d = 30, 4
    X = rng.normal(size=(n, d)) + rng.normal(size=d)
    y = X @ rng.normal(size=d) + 2.0 + rng.normal(size=n)
    w = rng.uniform(0.1, 3.0, size=n) if weighted else np.ones(n)
    model = RidgeRegression(alpha=alpha).fit(X, y, sample_weight=w if weighted else None)
    beta, b0 = ridge_normal_equations(X, y, w, alpha)
    np.testing.assert_allclose(model.coef_, beta, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(model.intercept_, b0, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(model.predict(X), X @ beta + b0, rtol=1e-8, atol=1e-9)


def test_ridge_without_intercept_matches_normal_equations():
    rng = np.random.default_rng(11)
    X, y, w = rng.normal(size=(25, 3)), rng.normal(size=25), rng.uniform(0.5, 2.0, size=25)
    model = RidgeRegression(alpha=0.7, fit_intercept=False).fit(X, y, sample_weight=w)
    beta, b0 = ridge_normal_equations(X, y, w, 0.7, fit_intercept=False)
    np.testing.assert_allclose(model.coef_, beta, rtol=1e-10)
    assert model.intercept_ == 0.0 and b0 == 0.0


def test_intercept_is_not_penalised():
    # Constant shift of y moves only the intercept, whatever alpha.
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(20, 2)), rng.normal(size=20)
    a = RidgeRegression(alpha=50.0).fit(X, y)
    b = RidgeRegression(alpha=50.0).fit(X, y + 1000.0)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-9)
    np.testing.assert_allclose(b.intercept_ - a.intercept_, 1000.0, rtol=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_ridge_alpha_to_zero_matches_lstsq(seed):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(40, 5)), rng.normal(size=40)
    design = np.hstack([X, np.ones((40, 1))])
    ref = np.linalg.lstsq(design, y, rcond=None)[0]
    for alpha in (0.0, 1e-10):
        model = RidgeRegression(alpha=alpha).fit(X, y)
        np.testing.assert_allclose(model.coef_, ref[:5], rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(model.intercept_, ref[5], rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("alpha", [0.0, 2.0])
def test_integer_weights_equal_repeated_rows(seed, alpha):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(15, 3)), rng.normal(size=15)
    counts = rng.integers(0, 4, size=15)
    counts[0] = max(counts[0], 1)
    weighted = RidgeRegression(alpha=alpha).fit(X, y, sample_weight=counts)
    repeated = RidgeRegression(alpha=alpha).fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-9, atol=1e-11)
    # Same property for TabularMean.
    Xd = rng.integers(0, 3, size=(15, 2))
    tw = TabularMean().fit(Xd, y, sample_weight=counts)
    tr = TabularMean().fit(np.repeat(Xd, counts, axis=0), np.repeat(y, counts))
    np.testing.assert_array_equal(tw.keys_, tr.keys_)
    np.testing.assert_allclose(tw.means_, tr.means_, rtol=1e-12, atol=1e-12)


def test_ridge_errors_are_named():
    X, y = np.ones((3, 2)), np.ones(3)
    with pytest.raises(NotFittedError, match=r"RidgeRegression\.predict.*not fitted"):
        RidgeRegression().predict(X)
    with pytest.raises(ValueError, match="X: expected a 2-dimensional array"):
        RidgeRegression().fit(np.ones(3), y)
    with pytest.raises(ValueError, match="X: .*finite"):
        RidgeRegression().fit(np.array([[1.0, np.nan]] * 3), y)
    with pytest.raises(ValueError, match="y: expected 3 targets"):
        RidgeRegression().fit(X, np.ones(4))
    with pytest.raises(ValueError, match="y: .*finite"):
        RidgeRegression().fit(X, [1.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="sample_weight: weights must be >= 0"):
        RidgeRegression().fit(X, y, sample_weight=[1.0, -0.5, 1.0])
    with pytest.raises(ValueError, match="sample_weight: .*all are zero"):
        RidgeRegression().fit(X, y, sample_weight=np.zeros(3))
    with pytest.raises(ValueError, match="sample_weight: .*finite"):
        RidgeRegression().fit(X, y, sample_weight=[1.0, np.inf, 1.0])
    with pytest.raises(ValueError, match="alpha"):
        RidgeRegression(alpha=-1.0).fit(X, y)
    with pytest.raises(TypeError, match="alpha"):
        RidgeRegression(alpha="big").fit(X, y)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="fit_intercept"):
        RidgeRegression(fit_intercept=1).fit(X, y)  # type: ignore[arg-type]
    model = RidgeRegression().fit(X, y)
    with pytest.raises(ValueError, match="X: RidgeRegression was fitted with 2 features, got X with 3"):
        model.predict(np.ones((1, 3)))


# ------------------------------------------------------------ issue 17: no overflow, named errors
def test_tabular_mean_of_huge_finite_targets_is_finite():
    """The weighted sums used to overflow: the mean of [1e308, 1e308] was inf."""
    model = TabularMean().fit([0, 0, 1], [1e308, 1e308, -1.7e308], sample_weight=[1e300, 1e300, 3.0])
    np.testing.assert_allclose(model.means_, [1e308, -1.7e308], rtol=1e-15)
    np.testing.assert_allclose(model.weights_, [2e300, 3.0])
    assert np.all(np.isfinite(model.predict([0, 1])))


def test_ridge_overflow_is_an_error_naming_x():
    """Used to return NaN coefficients (or raise LinAlgError) from an overflowing system."""
    with pytest.raises(ValueError, match="^X: the weighted least-squares problem overflows"):
        RidgeRegression().fit(np.array([[1e308], [1.7e308]]), [1e308, -1e308], sample_weight=[1e300, 1e300])


def test_constructors_check_and_keep_their_arguments():
    with pytest.raises(ValueError, match=r"^alpha: expected a real number in \[0, inf\)"):
        RidgeRegression(alpha=-1.0)
    with pytest.raises(TypeError, match="^n_features: "):
        TabularMean(n_features=2.0)
    alpha = np.float32(0.5)
    assert RidgeRegression(alpha=alpha).alpha is alpha  # stored as given (scikit-learn clone)
