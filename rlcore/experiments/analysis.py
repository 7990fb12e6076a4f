"""Summaries across seeds: means, confidence intervals, curves with bands.

Pure functions over the records a sweep returns (bsuite's ``analysis.py`` spirit): each
checks its input first, then computes. A metric is a field of each record's
``result`` (or a function of the record); records are grouped by configuration
settings, and within a group the seeds are the independent replications.

Two confidence intervals for the mean ``m`` of ``n`` replications with sample standard
deviation ``s`` (``ddof=1``):

* ``method="t"``: Student's interval ``m +- t_{n-1, (1+c)/2} s / sqrt(n)``, exact
  for Gaussian replications and asymptotically right for any finite variance;
* ``method="bootstrap"``: the percentile bootstrap: the ``(1-c)/2`` and ``(1+c)/2``
  quantiles of the means of ``n_boot`` resamples of the replications drawn with
  replacement. No Gaussian assumption, but it covers less than ``c`` for small ``n``
  (it is too narrow by a factor of about ``sqrt((n-1)/n)`` and ignores skewness
  beyond first order); prefer ``n >= 20`` with it.

For curves (one row per replication, one column per time step, e.g. a regret curve),
the interval is pointwise: each column's interval covers that column's mean with
probability ``c``; the band as a whole covers the whole mean curve with a smaller
probability. The bootstrap resamples whole rows, so one resample is a set of whole
curves.

References
----------
B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall,
1993 (ch. 13, the percentile interval).

P. Henderson et al., "Deep reinforcement learning that matters", AAAI 2018 (report
confidence intervals over many seeds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union, cast

import numpy as np

from rlcore.randomness import RNGLike, _as_generator
from rlcore.regressors import _pow2_scale
from rlcore.results import Result
from rlcore.validation import (
    RNG,
    Array,
    Implements,
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    Options,
    Real,
    Sequence_,
    as_float_array,
    validate_params,
)

__all__ = ["ConfidenceInterval", "mean_ci", "plot_curves_with_bands", "stack_metric", "summarize"]

_METHODS = ("t", "bootstrap")

Metric = Union[str, Callable[[Mapping[str, Any]], Any]]


@dataclass(frozen=True, repr=False)
class ConfidenceInterval(Result):
    """A mean across replications with a confidence interval.

    Attributes
    ----------
    mean, lower, upper : float or ndarray of shape (T, ...)
        The sample mean and the interval's ends (arrays for curves).
    n : int
        Number of replications.
    confidence : float
        Nominal coverage, e.g. 0.95.
    method : str
        ``"t"`` or ``"bootstrap"``.
    """

    mean: float | np.ndarray
    lower: float | np.ndarray
    upper: float | np.ndarray
    n: int
    confidence: float
    method: str


#: Most bootstrap resamples of one interval.
MAX_BOOT: int = 10**6

_CONFIDENCE = Real(0, 1, closed="neither")
_METHOD = Options(*_METHODS)
_N_BOOT = Integer(1, MAX_BOOT)
_METRIC = Instance(str, what="a result field name") | IsCallable("a function of a record")
_BY = Sequence_(Instance(str, what="a setting name"), min_len=0) | None


@validate_params(samples=Array(), confidence=_CONFIDENCE, method=_METHOD, n_boot=_N_BOOT, rng=RNG())
def mean_ci(
    samples: Any,
    *,
    confidence: float = 0.95,
    method: str = "t",
    n_boot: int = 2000,
    rng: RNGLike = None,
) -> ConfidenceInterval:
    """Mean of independent replications with a confidence interval (see the module docstring).

    Parameters
    ----------
    samples : array_like of shape (n,) or (n, T, ...)
        One row per replication (seed), ``n >= 2``; finite values. The statistics are
        computed on the values divided by a power of two (exactly), so they do not
        overflow for any finite samples.
    confidence : float, default 0.95
        Nominal coverage in (0, 1).
    method : {"t", "bootstrap"}, default "t"
    n_boot : int in [1, 10**6], default 2000
        Bootstrap resamples (``method="bootstrap"`` only).
    rng : Generator, int or None
        Randomness of the bootstrap.

    Returns
    -------
    ConfidenceInterval
        Floats for ``samples`` of shape (n,), arrays of shape (T, ...) otherwise.

    Raises
    ------
    InvalidParameterError
        If there are fewer than 2 replications, a value is not finite, ``confidence``
        is not in (0, 1), or (naming ``samples``) an end of the interval lies beyond
        the float64 range.

    References
    ----------
    B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, 1993, ch. 13.

    Examples
    --------
    >>> ci = mean_ci([1.0, 2.0, 3.0, 4.0])
    >>> round(ci.mean, 3), round(ci.lower, 3), round(ci.upper, 3)
    (2.5, 0.446, 4.554)
    """
    conf = confidence
    if samples.ndim == 0:
        raise InvalidParameterError("samples", "expected one row per replication (shape (n,) or (n, T)), got a scalar")
    n = samples.shape[0]
    if n < 2:
        raise InvalidParameterError("samples", f"a confidence interval needs at least 2 replications, got {n}")
    scale = _pow2_scale(samples)
    x = samples / scale  # exact: every |entry| < 2, so no sum or square below overflows
    mean = x.mean(axis=0)
    if method == "t":
        from scipy.stats import t as student_t

        half = float(student_t.ppf(0.5 + conf / 2.0, n - 1)) * x.std(axis=0, ddof=1) / np.sqrt(n)
        lower, upper = mean - half, mean + half
    else:
        gen = _as_generator(rng)
        # resample counts (multinomial) are the same law as resampled indices; one
        # matrix product then gives every resample's mean of every column (written as
        # the mean plus the resampled mean deviation, exact when all values are equal)
        weights = gen.multinomial(n, np.full(n, 1.0 / n), size=n_boot) / n
        boot = mean + (weights @ (x - mean).reshape(n, -1)).reshape((n_boot,) + x.shape[1:])
        lower, upper = np.quantile(boot, [0.5 - conf / 2.0, 0.5 + conf / 2.0], axis=0)
    with np.errstate(over="ignore"):
        mean, lower, upper = mean * scale, np.asarray(lower) * scale, np.asarray(upper) * scale
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
        raise InvalidParameterError(
            "samples", f"the {conf:g} interval reaches beyond the float64 range; rescale the samples"
        )
    if x.ndim == 1:
        return ConfidenceInterval(float(mean), float(lower), float(upper), n, conf, method)
    return ConfidenceInterval(mean, np.asarray(lower), np.asarray(upper), n, conf, method)


# ----------------------------------------------------------------------------- records
def _freeze(value: Any) -> Any:
    """A hashable version of JSON-native data (lists -> tuples, dicts -> sorted items)."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


_RECORDS = Sequence_(Instance(Mapping, what="a record dict with 'status', 'config' and 'result'"), min_len=1)


def _check_records(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    seen: set[Any] = set()
    n_failed = 0
    for i, rec in enumerate(records):
        if not all(f in rec for f in ("status", "config", "result")):
            raise InvalidParameterTypeError(
                f"records[{i}]", "expected a record dict with 'status', 'config' and 'result'"
            )
        n_failed += rec["status"] != "ok"
        key = rec.get("key")
        if key is not None:
            if key in seen:
                raise InvalidParameterError("records", f"run {key!r} appears more than once")
            seen.add(key)
    if n_failed:
        raise InvalidParameterError(
            "records",
            f"{n_failed} of {len(records)} records are failed runs, which have no result; "
            "dropping them may bias the summary, so do it explicitly: "
            "[r for r in records if r['status'] == 'ok']",
        )
    return list(records)


def _metric_value(rec: Mapping[str, Any], metric: Metric, i: int) -> np.ndarray:
    if callable(metric):
        value = metric(rec)
        where = f"metric(records[{i}])"
    else:
        result = rec["result"]
        if not isinstance(result, Mapping) or metric not in result:
            have = sorted(result) if isinstance(result, Mapping) else []
            raise InvalidParameterError("metric", f"records[{i}]['result'] has no field {metric!r} (it has {have})")
        value = result[metric]
        where = f"records[{i}]['result'][{metric!r}]"
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidParameterTypeError("metric", f"{where} is not numeric") from None
    return arr


@validate_params(records=_RECORDS, metric=_METRIC, by=_BY)
def stack_metric(
    records: Sequence[Mapping[str, Any]],
    metric: Metric,
    *,
    by: Sequence[str] | None = None,
) -> dict[tuple[Any, ...], np.ndarray]:
    """Group the records by configuration settings and stack a metric across seeds.

    Parameters
    ----------
    records : list of dict
        Records as :func:`~rlcore.experiments.run_sweep` returns them, all
        successful (filter failed runs out explicitly).
    metric : str or callable
        A field of each record's ``result`` (a number or a curve), or a function
        ``metric(record)`` returning one.
    by : sequence of str, optional
        The configuration settings that define a group (records agreeing on them are
        replications of one another). Default: every setting, i.e. one group per
        configuration.

    Returns
    -------
    dict
        Maps the tuple of the ``by`` settings' values (lists as tuples) to an
        ``ndarray of shape (n_runs,)`` for scalar metrics or ``(n_runs, T)`` for
        curves, rows in increasing seed index; groups in order of first appearance.

    Raises
    ------
    ValueError
        If a record failed, the metric is missing, a ``by`` setting is missing from a
        configuration, or the curves of a group have different shapes.

    Examples
    --------
    >>> recs = [{"key": f"k{j}", "config": {"n": 1}, "seed_index": j, "status": "ok",
    ...          "result": {"x": float(j)}} for j in range(3)]
    >>> stack_metric(recs, "x")
    {(1,): array([0., 1., 2.])}
    """
    return _stack_metric(_check_records(records), metric, by)


def _stack_metric(
    recs: list[Mapping[str, Any]], metric: Metric, by: Sequence[str] | None
) -> dict[tuple[Any, ...], np.ndarray]:
    """:func:`stack_metric` on checked arguments."""
    if by is None:
        fields = sorted({k for rec in recs for k in rec["config"]})
    else:
        fields = list(by)
    groups: dict[tuple[Any, ...], list[tuple[int, int, np.ndarray]]] = {}
    for i, rec in enumerate(recs):
        config = rec["config"]
        if by is not None:
            absent = [f for f in fields if f not in config]
            if absent:
                raise InvalidParameterError("by", f"records[{i}]['config'] has no setting {absent[0]!r}")
        key = tuple(_freeze(config.get(f)) for f in fields)
        groups.setdefault(key, []).append((int(rec.get("seed_index", i)), i, _metric_value(rec, metric, i)))
    out = {}
    for key, rows in groups.items():
        rows.sort(key=lambda r: (r[0], r[1]))
        shapes = {r[2].shape for r in rows}
        if len(shapes) > 1:
            raise InvalidParameterError("metric", f"the values of group {key} have different shapes {sorted(shapes)}")
        out[key] = np.stack([r[2] for r in rows])
    return out


@validate_params(
    records=_RECORDS, metric=_METRIC, by=_BY, confidence=_CONFIDENCE, method=_METHOD, n_boot=_N_BOOT, rng=RNG()
)
def summarize(
    records: Sequence[Mapping[str, Any]],
    metric: Metric,
    *,
    by: Sequence[str] | None = None,
    confidence: float = 0.95,
    method: str = "t",
    n_boot: int = 2000,
    rng: RNGLike = None,
) -> list[dict[str, Any]]:
    """Mean and confidence interval of a metric across seeds, one row per group.

    Parameters
    ----------
    records, metric, by
        As in :func:`stack_metric`.
    confidence, method, n_boot, rng
        As in :func:`mean_ci`.

    Returns
    -------
    list of dict
        Per group: its ``by`` settings, then ``n_runs``, ``mean``, ``lower``,
        ``upper`` (floats, or arrays for curves).

    Examples
    --------
    >>> recs = [{"config": {"alg": "a"}, "status": "ok", "result": {"r": r}} for r in (1.0, 3.0)]
    >>> summarize(recs, "r", by=["alg"])[0]["mean"]
    2.0
    """
    gen = _as_generator(rng)
    recs = _check_records(records)
    stacked = _stack_metric(recs, metric, by)
    fields = sorted({k for rec in recs for k in rec["config"]}) if by is None else list(by)
    rows = []
    for key, values in stacked.items():
        ci = mean_ci(values, confidence=confidence, method=method, n_boot=n_boot, rng=gen)
        row: dict[str, Any] = dict(zip(fields, key))
        row.update(n_runs=ci.n, mean=ci.mean, lower=ci.lower, upper=ci.upper)
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- plotting
# How to install matplotlib, which the plot helpers need: the ``docs`` extra brings it.
_MATPLOTLIB_HINT = 'pip install "rlref[docs]" (or pip install matplotlib)'


def _import_pyplot(caller: str) -> Any:
    """``matplotlib.pyplot``, or an ImportError that names the extra bringing matplotlib."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib, which could not be imported ({exc}); install it with: {_MATPLOTLIB_HINT}",
            name="matplotlib",
        ) from exc
    return plt


@validate_params(
    curves=Instance(Mapping, what="a dict of label -> curves (n_runs, T) or ConfidenceInterval"),
    x=Array(ndim=1) | None,
    ax=Implements("plot", "fill_between", what="a matplotlib Axes") | None,
    confidence=_CONFIDENCE,
    method=_METHOD,
    n_boot=_N_BOOT,
    rng=RNG(),
    xlabel=Instance(str) | None,
    ylabel=Instance(str) | None,
    xscale=Options("linear", "log", "symlog", "logit"),
    yscale=Options("linear", "log", "symlog", "logit"),
    alpha=Real(0, 1),
)
def plot_curves_with_bands(
    curves: Mapping[str, Any],
    *,
    x: Any = None,
    ax: Any = None,
    confidence: float = 0.95,
    method: str = "t",
    n_boot: int = 2000,
    rng: RNGLike = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    xscale: str = "linear",
    yscale: str = "linear",
    alpha: float = 0.25,
) -> Any:
    """Plot mean curves with confidence bands, one line per label (e.g. regret curves).

    Parameters
    ----------
    curves : dict of str to array_like or ConfidenceInterval
        Per label, the curves of the replications, ``array of shape (n_runs, T)``
        (their mean and pointwise interval are computed with :func:`mean_ci`), or an
        already computed :class:`ConfidenceInterval` of curves.
    x : array_like of shape (T,), optional
        Abscissae; ``0, ..., T-1`` by default.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes by default.
    confidence, method, n_boot, rng
        As in :func:`mean_ci`.
    xlabel, ylabel : str, optional
    xscale, yscale : {"linear", "log", "symlog", "logit"}, default "linear"
    alpha : float, default 0.25
        Opacity of the bands.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ImportError
        If matplotlib cannot be imported; the message names the extra that brings it.

    Notes
    -----
    Needs matplotlib (the ``docs`` extra: ``pip install "rlref[docs]"``), imported when
    the function is called. The bands are pointwise intervals (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> regret = np.cumsum(rng.random((20, 50)), axis=1)  # 20 seeds, 50 steps
    >>> ax = plot_curves_with_bands({"random": regret}, ylabel="regret")
    >>> len(ax.lines), len(ax.collections)
    (1, 1)
    """
    if len(curves) == 0:
        raise InvalidParameterError(
            "curves", "expected a non-empty dict of label -> curves (n_runs, T) or ConfidenceInterval"
        )
    plt = _import_pyplot("plot_curves_with_bands")  # before any work: fail fast without matplotlib
    gen = _as_generator(rng)
    cis: dict[str, ConfidenceInterval] = {}
    for label, value in curves.items():
        ci = (
            value
            if isinstance(value, ConfidenceInterval)
            else mean_ci(
                as_float_array(value, f"curves[{label!r}]", ndim=2),
                confidence=confidence,
                method=method,
                n_boot=n_boot,
                rng=gen,
            )
        )
        if np.ndim(ci.mean) != 1:
            raise InvalidParameterError(
                f"curves[{label!r}]", f"expected curves, i.e. a mean of shape (T,), got {np.shape(ci.mean)}"
            )
        cis[str(label)] = ci
    if ax is None:
        _, ax = plt.subplots()
    for label, ci in cis.items():
        T = len(cast(np.ndarray, ci.mean))  # checked 1-D above
        xs = np.arange(T) if x is None else x
        if xs.shape != (T,):
            raise InvalidParameterError("x", f"expected shape ({T},) to match curves[{label!r}], got {xs.shape}")
        (line,) = ax.plot(xs, ci.mean, label=label)
        ax.fill_between(xs, ci.lower, ci.upper, color=line.get_color(), alpha=alpha, linewidth=0)
    ax.set_xscale(xscale)
    ax.set_yscale(yscale)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.legend(title=f"mean, {ci.confidence:.0%} {'t' if ci.method == 't' else 'bootstrap'} band")
    return ax
