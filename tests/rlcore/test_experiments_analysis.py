"""rlcore.experiments.analysis: confidence intervals across seeds and the band plot.

The t interval is checked against scipy.stats.t's closed form, the percentile bootstrap
against scipy.stats.bootstrap, and both for coverage on distributions with a known
mean over fixed seeds (failure budgets written next to each check).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from scipy import stats

from rlcore.experiments import ConfidenceInterval, mean_ci, plot_curves_with_bands, stack_metric, summarize


def _records(values_by_config):
    out = []
    for c, (config, values) in enumerate(values_by_config):
        for j, v in enumerate(values):
            out.append({"key": f"c{c}-{j}", "config": config, "seed_index": j, "status": "ok", "result": v})
    return out


# ----------------------------------------------------------------------------- mean_ci
@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("n", [2, 5, 40])
def test_t_interval_matches_scipy_closed_form(n, confidence):
    x = np.random.default_rng(n).gamma(2.0, size=n)
    ci = mean_ci(x, confidence=confidence)
    lo, hi = stats.t.interval(confidence, n - 1, loc=x.mean(), scale=stats.sem(x))
    assert ci.n == n and ci.method == "t" and ci.confidence == confidence
    np.testing.assert_allclose([ci.lower, ci.mean, ci.upper], [lo, x.mean(), hi], rtol=1e-12)
    assert isinstance(ci.mean, float)


def test_t_interval_of_curves_is_pointwise():
    curves = np.random.default_rng(1).standard_normal((12, 30)).cumsum(axis=1)
    ci = mean_ci(curves, confidence=0.9)
    assert ci.mean.shape == ci.lower.shape == ci.upper.shape == (30,)
    for t in (0, 17, 29):
        one = mean_ci(curves[:, t], confidence=0.9)
        np.testing.assert_allclose([ci.lower[t], ci.upper[t]], [one.lower, one.upper], rtol=1e-12)


def test_bootstrap_agrees_with_scipy_percentile_bootstrap():
    x = np.random.default_rng(3).exponential(size=30)
    ours = mean_ci(x, method="bootstrap", n_boot=20000, rng=0)
    ref = stats.bootstrap(
        (x,),
        np.mean,
        method="percentile",
        n_resamples=20000,
        confidence_level=0.95,
        random_state=np.random.default_rng(1),
    ).confidence_interval
    # Monte Carlo error of a 2.5% quantile of 20000 resampled means: about 0.02 standard
    # errors of the mean; allow 0.1 (5 Monte Carlo standard errors)
    tol = 0.1 * x.std(ddof=1) / np.sqrt(x.size)
    assert abs(ours.lower - ref.low) < tol and abs(ours.upper - ref.high) < tol
    # same rng, same interval; curves resample whole rows
    assert mean_ci(x, method="bootstrap", rng=5) == mean_ci(x, method="bootstrap", rng=5)
    both = mean_ci(np.stack([x, 2 * x], axis=1), method="bootstrap", rng=7)
    np.testing.assert_allclose(both.lower[1], 2 * both.lower[0], rtol=1e-12)


def test_t_interval_coverage_on_gaussian_replications():
    # exact coverage 0.95 for Gaussian data: over 400 fixed-seed experiments of n = 5 the
    # count of covering intervals is Binomial(400, 0.95) (mean 380, sd 4.4); the window
    # [365, 395] is +-3.4 sd, a failure probability of about 1e-3 for a correct interval,
    # while a normal-quantile interval (coverage 0.88 at n = 5, mean 352) fails it
    rng = np.random.default_rng(2024)
    hits = sum((ci := mean_ci(rng.normal(3.0, 2.0, size=5))).lower <= 3.0 <= ci.upper for _ in range(400))
    assert 365 <= hits <= 395, hits


def test_bootstrap_coverage_on_a_skewed_distribution():
    # percentile bootstrap, Exp(1) data, n = 40: coverage about 0.93 (slightly under the
    # nominal 0.95 for skewed data). Over 300 fixed-seed experiments the count has sd
    # about 4.4 around 279; the window [264, 294] allows 3.4 sd either way. An interval
    # built on the wrong quantiles (e.g. 0.05/0.95) would cover about 0.88 (264) or less.
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(300):
        ci = mean_ci(rng.exponential(1.0, size=40), method="bootstrap", n_boot=1000, rng=rng)
        hits += ci.lower <= 1.0 <= ci.upper
    assert 264 <= hits <= 294, hits


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"samples": [1.0]}, ValueError, "at least 2"),
        ({"samples": 3.0}, ValueError, "samples"),
        ({"samples": [1.0, np.nan]}, ValueError, "samples.*finite"),
        ({"samples": ["a", "b"]}, TypeError, "samples"),
        ({"confidence": 1.0}, ValueError, "confidence"),
        ({"confidence": "95%"}, TypeError, "confidence"),
        ({"method": "bca"}, ValueError, "method"),
        ({"method": "bootstrap", "n_boot": 0}, ValueError, "n_boot"),
    ],
)
def test_mean_ci_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        mean_ci(**{"samples": [1.0, 2.0, 3.0], **kwargs})


# ----------------------------------------------------------------------------- records
def test_stack_and_summarize_group_by_settings():
    recs = _records(
        [
            ({"alg": "a", "S": 1}, [{"r": 1.0, "curve": [0, 1]}, {"r": 3.0, "curve": [0, 3]}]),
            ({"alg": "a", "S": 2}, [{"r": 5.0, "curve": [1, 1]}, {"r": 7.0, "curve": [1, 3]}]),
            ({"alg": "b", "S": 1}, [{"r": 0.0, "curve": [2, 2]}, {"r": 2.0, "curve": [2, 4]}]),
        ]
    )
    recs = recs[::-1]  # order of records does not matter within a group: rows by seed index
    by_config = stack_metric(recs, "r")
    assert list(by_config) == [(1, "b"), (2, "a"), (1, "a")]  # sorted setting names: ("S", "alg")
    np.testing.assert_array_equal(by_config[(2, "a")], [5.0, 7.0])
    pooled = stack_metric(recs, "r", by=["alg"])
    assert sorted(pooled[("a",)].tolist()) == [1.0, 3.0, 5.0, 7.0]
    curves = stack_metric(recs, "curve", by=["alg", "S"])
    np.testing.assert_array_equal(curves[("a", 1)], [[0, 1], [0, 3]])
    last = stack_metric(recs, lambda rec: rec["result"]["curve"][-1], by=["alg"])
    assert sorted(last[("b",)].tolist()) == [2.0, 4.0]

    rows = summarize(recs, "r", by=["alg", "S"])
    row = next(r for r in rows if r["alg"] == "a" and r["S"] == 1)
    lo, hi = stats.t.interval(0.95, 1, loc=2.0, scale=stats.sem([1.0, 3.0]))
    assert row["n_runs"] == 2 and row["mean"] == 2.0
    np.testing.assert_allclose([row["lower"], row["upper"]], [lo, hi], rtol=1e-12)
    curve_rows = summarize(recs, "curve", by=["alg"], method="bootstrap", rng=0)
    assert curve_rows[0]["mean"].shape == (2,)


def test_stack_metric_errors():
    recs = _records([({"alg": "a"}, [{"r": 1.0}, {"r": 2.0}])])
    with pytest.raises(ValueError, match="metric: .*no field 'x'.*'r'"):
        stack_metric(recs, "x")
    with pytest.raises(ValueError, match="by: .*no setting 'S'"):
        stack_metric(recs, "r", by=["S"])
    failed = recs + [{"key": "f", "config": {"alg": "a"}, "seed_index": 9, "status": "failed", "result": None}]
    with pytest.raises(ValueError, match="records: 1 of 3 records are failed runs.*status"):
        summarize(failed, "r")
    with pytest.raises(ValueError, match="records: run 'c0-0' appears more than once"):
        stack_metric(recs + recs[:1], "r")
    ragged = _records([({"alg": "a"}, [{"c": [1.0, 2.0]}, {"c": [1.0]}])])
    with pytest.raises(ValueError, match="metric: .*different shapes"):
        stack_metric(ragged, "c")
    with pytest.raises(TypeError, match="metric: .*not numeric"):
        stack_metric(_records([({"a": 1}, [{"r": "x"}, {"r": "y"}])]), "r")
    with pytest.raises(TypeError, match="records"):
        stack_metric({"r": 1}, "r")
    with pytest.raises(ValueError, match="records"):
        stack_metric([], "r")


# ----------------------------------------------------------------------------- plotting
def test_plot_curves_with_bands_draws_mean_and_interval():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    a = rng.standard_normal((10, 25)).cumsum(axis=1)
    b = mean_ci(rng.standard_normal((10, 25)), confidence=0.9)
    x = np.arange(1, 26)
    ax = plot_curves_with_bands({"a": a, "b": b}, x=x, xlabel="t", ylabel="regret", xscale="log")
    try:
        assert [line.get_label() for line in ax.lines] == ["a", "b"]
        np.testing.assert_allclose(ax.lines[0].get_ydata(), a.mean(axis=0))
        np.testing.assert_allclose(ax.lines[0].get_xdata(), x)
        band = ax.collections[0].get_paths()[0].vertices
        ci = mean_ci(a)
        assert np.isclose(band[:, 1].max(), ci.upper.max()) and np.isclose(band[:, 1].min(), ci.lower.min())
        assert ax.get_xscale() == "log" and ax.get_ylabel() == "regret"
        with pytest.raises(ValueError, match="x: expected shape"):
            plot_curves_with_bands({"a": a}, x=x[:-1], ax=ax)
        with pytest.raises(ValueError, match=r"curves\['a'\]"):
            plot_curves_with_bands({"a": a[0]})
        with pytest.raises(ValueError, match="^curves: expected a non-empty dict"):
            plot_curves_with_bands({})  # the right kind of object, empty: a ValueError
        with pytest.raises(TypeError, match="^curves"):
            plot_curves_with_bands([a])
        assert isinstance(b, ConfidenceInterval)
    finally:
        plt.close("all")


def test_plot_curves_with_bands_without_matplotlib_names_the_extra(monkeypatch):
    # None in sys.modules makes `import matplotlib...` raise ImportError, as when it is not installed
    for name in ("matplotlib", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)
    curves = {"a": np.zeros((3, 4))}
    with pytest.raises(
        ImportError, match=r'plot_curves_with_bands needs matplotlib.*pip install "rlref\[docs\]"'
    ) as err:
        plot_curves_with_bands(curves)
    assert err.value.name == "matplotlib"
    assert isinstance(err.value.__cause__, ImportError)
    with pytest.raises(ImportError, match=r"rlref\[docs\]"):  # before computing any interval
        plot_curves_with_bands({"a": np.zeros((3, 10**5))}, method="bootstrap", n_boot=10**5)
    # the argument checks still come first: a wrong argument is reported as such
    with pytest.raises(TypeError, match="^curves"):
        plot_curves_with_bands([np.zeros((3, 4))])


def test_intervals_of_constant_replications_collapse_onto_the_mean():
    for method in ("t", "bootstrap"):
        ci = mean_ci(np.full((6, 3), 0.1), method=method, rng=0)
        # zero width up to the rounding of the sample mean (a few ulps of 0.1)
        np.testing.assert_allclose([ci.lower, ci.upper], [ci.mean, ci.mean], rtol=0, atol=1e-16)
        np.testing.assert_allclose(ci.mean, 0.1, rtol=1e-15)


# ----------------------------------------------------------------------------- issue 17
def test_mean_ci_of_huge_finite_samples_does_not_overflow():
    """The sum in the mean used to overflow: mean_ci([1e308, 1e308]) had mean inf."""
    ci = mean_ci([1e308, 1e308, 1e308])
    assert (ci.mean, ci.lower, ci.upper) == (1e308, 1e308, 1e308)
    boot = mean_ci(np.array([1.5e308, 1.6e308, 1.7e308]), method="bootstrap", n_boot=50, rng=0)
    assert np.isfinite([boot.mean, boot.lower, boot.upper]).all()
    with pytest.raises(ValueError, match="^samples: the 0.95 interval reaches beyond the float64 range"):
        mean_ci([1.7e308, -1.7e308])  # the interval itself exceeds float64 (used to be (-inf, inf))
    with pytest.raises(ValueError, match=r"^n_boot: expected an integer in \[1, 1000000\]"):
        mean_ci([1.0, 2.0], method="bootstrap", n_boot=10**9)
