# Length: one concept, the regressor contract suite: its contract (the module docstring), its data
# strategy, the seven checks and the two entry points read best together, as a user reads them.
"""A contract suite for regressors: run any regressor, yours included, through one set of checks.

Fitted-Q iteration (:func:`finance_apps.fitted_q_iteration`), least-squares Monte Carlo
(:func:`finance_apps.lsmc`), SQIRL (:func:`tabular.sqirl`) and the offline learners take
any object of the :class:`rlcore.Regressor` protocol::

    fitted = regressor.fit(X, y, sample_weight=None)   # returns the regressor itself
    predictions = fitted.predict(X_new)                # ndarray of shape (m,)

They clone a *template* with :func:`copy.deepcopy` before each fit, fit it on 2-D
inputs of shape ``(n, d)`` (state-action features, one-hot codes, prices), weight
samples, and predict on rows the fit never saw. :func:`check_regressor` holds a
regressor to what they rely on, and :func:`regressor_checks` yields the checks one by
one for ``pytest.mark.parametrize``:

* :func:`check_regressor_interface`: ``fit`` (with and without ``sample_weight``)
  returns the regressor itself; ``predict`` returns a finite float ndarray of shape
  ``(m,)``, on the training rows, on one row, and on rows not seen in ``fit``;
* :func:`check_regressor_does_not_mutate_inputs`: ``X``, ``y`` and ``sample_weight``
  are unchanged by ``fit`` and ``predict``;
* :func:`check_regressor_deterministic`: two clones fitted on the same data predict
  the same, bit for bit, and so does one fitted regressor asked twice;
* :func:`check_regressor_constant_target`: a constant target ``y = c`` is learned:
  predictions on the training rows within ``atol + rtol |c|`` of ``c`` (this, and the
  weighted mean below, assume a model that can represent constants: a regressor
  without an intercept, such as ``RidgeRegression(fit_intercept=False)``, fails them
  by design);
* :func:`check_regressor_sample_weight`: weights of one equal no weights; a zero weight
  equals dropping the row; on inputs that are all the same row, the prediction is the
  weighted mean of ``y``; and (unless ``stochastic``) an integer weight equals
  repeating the row;
* :func:`check_regressor_refit`: fitting an already fitted regressor again forgets the
  first fit (predictions as a fresh clone fitted on the second data set);
* :func:`check_regressor_clones_are_independent`: fitting one clone leaves another's
  predictions unchanged (no state shared through the class or a module).

**The subject.** ``regressor`` is an unfitted estimator, cloned with
:func:`copy.deepcopy` for every fit (as the library's learners clone their template),
or a zero-argument factory returning a fresh one (a class such as
:class:`rlcore.RidgeRegression`, a :func:`functools.partial`, a lambda).

**Stochastic trainers.** For a regressor trained by stochastic minibatch optimisation
(:class:`rlcore.deep.MLPRegressor`), pass ``stochastic=True`` and a seeded ``rng`` in
the estimator (an int: every fit then starts from the same draws). Repeating rows
changes the number of minibatches and so the trained network: "an integer weight
equals repeating the row" holds for such a trainer only in expectation, and is not
checked. What is checked holds for any trainer that weights each sample's loss
and draws the same randomness for the same data: unit weights equal no weights and
a zero weight equals dropping the row (both within ``atol``), and the weighted mean on
one repeated input row is learned within ``atol + rtol |mean|`` (loosen the
tolerances to what the trainer reaches).

**Data.** Every check draws its data sets from :func:`regression_problems`
(Hypothesis, derandomised): ``n`` rows of ``d`` integer-valued float features
(``TabularMean`` needs discrete inputs; the others accept them), targets in
``[-10, 10]`` and integer weights in ``{0, 1, 2, 3}``, not all zero. A failing data set
prints as ``RegressionProblem(X=np.array(...), y=np.array(...),
sample_weight=np.array(...))``, which rebuilds it.

Every failure is an ``AssertionError`` whose message starts with the check's name and
names the regressor, the data set, the call and the numbers.

Examples
--------
>>> from rlcore import RidgeRegression, TabularMean
>>> from rlcore.testing.regressor_checks import check_regressor
>>> check_regressor(RidgeRegression(alpha=0.5), max_examples=3)
>>> check_regressor(TabularMean, max_examples=3)

A regressor that ignores ``sample_weight`` is caught (the message goes on with both
predictions):

>>> import numpy as np
>>> class IgnoresWeights:
...     def fit(self, X, y, sample_weight=None):
...         self.mean_ = float(np.mean(y))
...         return self
...     def predict(self, X):
...         return np.full(len(X), self.mean_)
>>> from rlcore.testing.regressor_checks import check_regressor_sample_weight
>>> check_regressor_sample_weight(IgnoresWeights(), max_examples=3)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
AssertionError: check_regressor_sample_weight: regressor 'IgnoresWeights' on RegressionProblem(X=np.array(...
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from rlcore.testing.contract import CheckContext, ContractSuite, derandomized, subject_name
from rlcore.validation import (
    Bool,
    Implements,
    Instance,
    Integer,
    IsCallable,
    Real,
    validate_params,
)

__all__ = [
    "RegressionProblem",
    "check_regressor",
    "check_regressor_clones_are_independent",
    "check_regressor_constant_target",
    "check_regressor_deterministic",
    "check_regressor_does_not_mutate_inputs",
    "check_regressor_interface",
    "check_regressor_refit",
    "check_regressor_sample_weight",
    "regression_problems",
    "regressor_checks",
]

DEFAULT_MAX_EXAMPLES = 10
_LEVELS = 3  # feature values 0 .. _LEVELS - 1 in the drawn data; unseen rows use _LEVELS and up


class RegressionProblem:
    """One drawn data set: ``X`` of shape (n, d), ``y`` of shape (n,), ``sample_weight`` of shape (n,).

    Its ``repr`` is the call that rebuilds it (with ``import numpy as np``).

    Parameters
    ----------
    X : array_like of shape (n, d)
    y : array_like of shape (n,)
    sample_weight : array_like of shape (n,)

    Examples
    --------
    >>> RegressionProblem([[0.0], [1.0]], [1.0, 2.5], [1.0, 0.0])
    RegressionProblem(X=np.array([[0.0], [1.0]]), y=np.array([1.0, 2.5]), sample_weight=np.array([1.0, 0.0]))
    """

    def __init__(self, X: Any, y: Any, sample_weight: Any) -> None:
        self.X = np.array(X, dtype=np.float64)
        self.y = np.array(y, dtype=np.float64)
        self.sample_weight = np.array(sample_weight, dtype=np.float64)

    def __repr__(self) -> str:
        return (
            f"RegressionProblem(X=np.array({self.X.tolist()!r}), y=np.array({self.y.tolist()!r}), "
            f"sample_weight=np.array({self.sample_weight.tolist()!r}))"
        )


def regression_problems(
    *,
    n_rows: int | SearchStrategy[int] = st.integers(2, 12),
    n_features: int | SearchStrategy[int] = st.integers(1, 3),
) -> SearchStrategy[RegressionProblem]:
    """Strategy for small weighted regression data sets (:class:`RegressionProblem`).

    Features are integer-valued floats in ``{0, 1, 2}`` (discrete inputs, as tabular
    features and one-hot codes are), targets floats in ``[-10, 10]``, weights integers
    in ``{0, 1, 2, 3}`` with at least one positive. Shrinks towards few rows, one
    feature, zeros and unit weights.

    Parameters
    ----------
    n_rows : int or strategy of int
        Number of rows ``n >= 1``.
    n_features : int or strategy of int
        Number of columns ``d >= 1``.

    Returns
    -------
    SearchStrategy of RegressionProblem

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(regression_problems(n_rows=3))
    ... def test_shapes(problem):
    ...     assert problem.X.shape[0] == problem.y.shape[0] == 3
    >>> test_shapes()
    """
    rows = n_rows if isinstance(n_rows, SearchStrategy) else st.just(n_rows)
    cols = n_features if isinstance(n_features, SearchStrategy) else st.just(n_features)

    @st.composite
    def problems(draw: Any) -> RegressionProblem:
        n, d = draw(rows), draw(cols)
        X = draw(st.lists(st.lists(st.integers(0, _LEVELS - 1), min_size=d, max_size=d), min_size=n, max_size=n))
        y = draw(
            st.lists(
                st.floats(-10.0, 10.0, allow_nan=False, allow_subnormal=False).map(lambda v: v + 0.0),
                min_size=n,
                max_size=n,
            )
        )
        w = draw(st.lists(st.sampled_from([1, 0, 2, 3]), min_size=n, max_size=n).filter(lambda v: any(v)))
        return RegressionProblem(X, y, w)

    return problems()


OPTIONS = dict(
    regressor=Implements("fit", "predict", what="a regressor (fit/predict) or a zero-argument factory of one")
    | IsCallable("a regressor (fit/predict) or a zero-argument factory of one"),
    stochastic=Bool(),
    atol=Real(0, None),
    rtol=Real(0, 1, closed="left"),
    max_examples=Integer(1, 10**4),
    name=Instance(str, what="a name (str)") | None,
)


@dataclass(frozen=True)
class Options:
    name: str
    make: Callable[[], Any]
    stochastic: bool
    atol: float
    rtol: float
    max_examples: int


def _factory(regressor: Any) -> Callable[[], Any]:
    is_estimator = callable(getattr(regressor, "fit", None)) and callable(getattr(regressor, "predict", None))
    if inspect.isclass(regressor) or not is_estimator:
        return regressor  # type: ignore[no-any-return]

    def clone() -> Any:
        return copy.deepcopy(regressor)

    return clone


def _name(regressor: Any) -> str:
    if inspect.isclass(regressor) or not callable(getattr(regressor, "fit", None)):
        return subject_name(regressor)
    text = repr(regressor)
    return text if len(text) <= 120 and not text.startswith("<") else type(regressor).__name__


def options(regressor: Any, stochastic: bool, atol: float, rtol: float, max_examples: int, name: str | None) -> Options:
    return Options(
        name=name if name is not None else _name(regressor),
        make=_factory(regressor),
        stochastic=bool(stochastic),
        atol=float(atol),
        rtol=float(rtol),
        max_examples=int(max_examples),
    )


SUITE = ContractSuite("regressor")

_PARAMETERS_DOC = """
    Parameters
    ----------
    regressor : estimator or callable
        An unfitted regressor (cloned with :func:`copy.deepcopy`) or a zero-argument
        factory of one.
    stochastic, atol, rtol, max_examples, name
        As in :func:`check_regressor`.

    Raises
    ------
    AssertionError
        If the regressor breaks the contract; the message names this check, the
        regressor, the data set and the call.
    ValueError
        If this check does not apply, or on a bad option.
"""


def _register(
    applies: Callable[[Options], str | None] = lambda opts: None,
) -> Callable[[Callable[[Any, Options, str], None]], Callable[..., None]]:
    def decorate(body: Callable[[Any, Options, str], None]) -> Callable[..., None]:
        check_name = body.__name__

        @validate_params(**OPTIONS)
        def check(
            regressor: Any,
            *,
            stochastic: bool = False,
            atol: float = 1e-9,
            rtol: float = 1e-9,
            max_examples: int = DEFAULT_MAX_EXAMPLES,
            name: str | None = None,
        ) -> None:
            opts = options(regressor, stochastic, atol, rtol, max_examples, name)
            SUITE.run_one(check_name, regressor, opts, param="regressor")

        return SUITE.publish(check, body, applies, _PARAMETERS_DOC)

    return decorate


# ======================================================================== helpers
def _ctx(check: str, opts: Options, problem: Any, call: dict[str, Any] | None = None) -> CheckContext:
    return CheckContext(check, "regressor", opts.name, repr(problem), {} if call is None else call)


def _fresh(ctx: CheckContext, opts: Options) -> Any:
    return ctx.call_subject(opts.make)


def _fit(ctx: CheckContext, reg: Any, X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> Any:
    if w is None:
        return ctx.call_subject(reg.fit, X, y)
    return ctx.call_subject(reg.fit, X, y, sample_weight=w)


def _predict(ctx: CheckContext, reg: Any, X: np.ndarray, what: str) -> np.ndarray:
    out = ctx.call_subject(reg.predict, X)
    m = X.shape[0]
    ctx.check(isinstance(out, np.ndarray), lambda: f"predict on {what} returned a {type(out).__name__}, not an ndarray")
    ctx.check(
        out.shape == (m,),
        lambda: f"predict on {what} ({m} rows) returned shape {out.shape}, expected ({m},)",
    )
    ctx.check(
        np.issubdtype(out.dtype, np.floating),
        lambda: f"predict on {what} returned dtype {out.dtype}, expected a float dtype",
    )
    ctx.check(np.all(np.isfinite(out)), lambda: f"predict on {what} returned non-finite values {out!r}")
    return out


def _unseen(X: np.ndarray) -> np.ndarray:
    """Rows never seen in ``fit`` (values outside the drawn range), a different count of them."""
    d = X.shape[1]
    return np.array([[_LEVELS + 1.0] * d, [_LEVELS + 2.0] + [0.0] * (d - 1), [-1.0] * d])


def _close(ctx: CheckContext, opts: Options, got: np.ndarray, want: np.ndarray, what: str) -> None:
    err = np.abs(got - want)
    tol = opts.atol + opts.rtol * np.abs(want)
    i = int(np.argmax(err - tol))
    ctx.check(
        np.all(err <= tol),
        lambda: (
            f"{what}: prediction {float(got[i])!r} at row {i}, expected {float(want[i])!r} (error {float(err[i]):.3g} > "
            f"atol + rtol |expected| = {float(tol[i]):.3g}); got {got.tolist()!r}, expected {want.tolist()!r}"
        ),
    )


def _run(opts: Options, body: Callable[[RegressionProblem], None]) -> None:
    @derandomized(opts.max_examples)
    @given(regression_problems())
    def run(problem: RegressionProblem) -> None:
        body(problem)

    run()


# ======================================================================== the checks
@_register()
def check_regressor_interface(regressor: Any, opts: Options, check: str) -> None:
    """``fit`` returns the regressor itself; ``predict`` returns finite floats of shape ``(m,)``.

    On each drawn data set: ``fit(X, y)`` and ``fit(X, y, sample_weight=w)`` return
    ``self``; ``predict`` on the training rows, on a single row and on three rows never
    seen in ``fit`` returns a finite float ndarray of shape ``(m,)``.
    """

    def body(p: RegressionProblem) -> None:
        for w in (None, p.sample_weight):
            ctx = _ctx(check, opts, p, {} if w is None else {"sample_weight": "sample_weight"})
            reg = _fresh(ctx, opts)
            out = _fit(ctx, reg, p.X, p.y, w)
            ctx.check(
                out is reg,
                lambda: f"fit returned {type(out).__name__} {out!r}, expected the regressor itself (return self)",
            )
            _predict(ctx, reg, p.X, "the training rows")
            _predict(ctx, reg, p.X[:1], "one row")
            _predict(ctx, reg, _unseen(p.X), "rows not seen in fit")

    _run(opts, body)


@_register()
def check_regressor_does_not_mutate_inputs(regressor: Any, opts: Options, check: str) -> None:
    """``fit(X, y, sample_weight=w)`` and ``predict(X)`` leave ``X``, ``y`` and ``w`` unchanged."""

    def body(p: RegressionProblem) -> None:
        ctx = _ctx(check, opts, p, {"sample_weight": "sample_weight"})
        X, y, w = p.X.copy(), p.y.copy(), p.sample_weight.copy()
        reg = _fresh(ctx, opts)
        _fit(ctx, reg, X, y, w)
        for label, got, want in (("X", X, p.X), ("y", y, p.y), ("sample_weight", w, p.sample_weight)):
            ctx.check(np.array_equal(got, want), lambda: f"fit changed its {label} argument from {want!r} to {got!r}")
        ctx.call_subject(reg.predict, X)
        ctx.check(np.array_equal(X, p.X), lambda: f"predict changed its X argument from {p.X!r} to {X!r}")

    _run(opts, body)


@_register()
def check_regressor_deterministic(regressor: Any, opts: Options, check: str) -> None:
    """Two clones fitted on the same data predict the same (bit for bit), and a prediction repeats.

    A stochastic trainer passes when its randomness is seeded in the estimator (e.g.
    ``MLPRegressor(rng=0)``).
    """

    def body(p: RegressionProblem) -> None:
        ctx = _ctx(check, opts, p, {"sample_weight": "sample_weight"})
        Xq = np.concatenate([p.X, _unseen(p.X)])
        preds = []
        for _ in range(2):
            reg = _fresh(ctx, opts)
            _fit(ctx, reg, p.X, p.y, p.sample_weight)
            preds.append(_predict(ctx, reg, Xq, "the training and unseen rows"))
        again = _predict(ctx, reg, Xq, "the training and unseen rows")
        ctx.check(
            np.array_equal(preds[0], preds[1]),
            lambda: (
                f"two clones fitted on the same data predict differently: {preds[0].tolist()!r} and {preds[1].tolist()!r}"
            ),
        )
        ctx.check(
            np.array_equal(preds[1], again),
            lambda: f"predicting twice gave different answers: {preds[1].tolist()!r} and {again.tolist()!r}",
        )

    _run(opts, body)


@_register()
def check_regressor_constant_target(regressor: Any, opts: Options, check: str) -> None:
    """A constant target ``y = c`` is learned: predictions on the training rows within ``atol + rtol |c|`` of ``c``.

    ``c`` is the first drawn target; with and without the drawn weights (then on the
    rows of positive weight). It assumes that the regressor can represent constants
    (e.g. ``RidgeRegression(fit_intercept=False)`` cannot at ``X = 0``).
    """

    def body(p: RegressionProblem) -> None:
        c = float(p.y[0])
        y = np.full_like(p.y, c)
        for w in (None, p.sample_weight):
            problem = RegressionProblem(p.X, y, p.sample_weight)
            ctx = _ctx(check, opts, problem, {} if w is None else {"sample_weight": "sample_weight"})
            reg = _fresh(ctx, opts)
            _fit(ctx, reg, p.X, y, w)
            rows = p.X if w is None else p.X[w > 0]  # a row of weight 0 was not fitted
            got = _predict(ctx, reg, rows, "the training rows" + ("" if w is None else " of positive weight"))
            _close(ctx, opts, got, np.full_like(got, c), f"the constant target {c!r}")

    _run(opts, body)


@_register()
def check_regressor_sample_weight(regressor: Any, opts: Options, check: str) -> None:
    """``sample_weight`` means what it says.

    * unit weights predict as no weights, and a zero weight as dropping the row
      (within ``atol + rtol |.|``, on the training and on unseen rows);
    * on inputs that are all one row (``X = 0``), the prediction is the weighted mean
      ``sum(w y) / sum(w)`` (within ``atol + rtol |mean|``);
    * unless ``stochastic``: integer weights predict as repeating each row that many
      times.
    """

    def body(p: RegressionProblem) -> None:
        Xq = np.concatenate([p.X, _unseen(p.X)])
        w = p.sample_weight

        def fitted(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None, call: dict[str, Any]) -> np.ndarray:
            ctx = _ctx(check, opts, p, call)
            reg = _fresh(ctx, opts)
            _fit(ctx, reg, X, y, weights)
            return _predict(ctx, reg, Xq, "the training and unseen rows")

        ones = {"sample_weight": "np.ones(n)"}
        plain = fitted(p.X, p.y, None, {})
        unit = fitted(p.X, p.y, np.ones_like(w), ones)
        _close(_ctx(check, opts, p, ones), opts, unit, plain, "unit weights against no weights")
        keep = w > 0
        if not keep.all():
            ctx = _ctx(check, opts, p, {"sample_weight": "sample_weight"})
            dropped = fitted(p.X[keep], p.y[keep], w[keep], {"sample_weight": "sample_weight[sample_weight > 0]"})
            _close(ctx, opts, fitted(p.X, p.y, w, {}), dropped, "zero weights against dropping those rows")
        ctx = _ctx(check, opts, p, {"X": "np.zeros_like(X)", "sample_weight": "sample_weight"})
        reg = _fresh(ctx, opts)
        _fit(ctx, reg, np.zeros_like(p.X), p.y, w)
        got = _predict(ctx, reg, np.zeros_like(p.X[:1]), "the one input row")
        mean = float(np.sum(w * p.y) / np.sum(w))
        _close(
            ctx, opts, got, np.array([mean]), f"the weighted mean of y on one input row, sum(w y) / sum(w) = {mean!r}"
        )
        if not opts.stochastic:
            reps = w.astype(np.int64)
            ctx = _ctx(check, opts, p, {"sample_weight": "sample_weight"})
            repeated = fitted(np.repeat(p.X, reps, axis=0), np.repeat(p.y, reps), None, {})
            _close(ctx, opts, fitted(p.X, p.y, w, {}), repeated, "integer weights against repeated rows")

    _run(opts, body)


@_register()
def check_regressor_refit(regressor: Any, opts: Options, check: str) -> None:
    """Fitting a fitted regressor again forgets the first fit.

    ``reg.fit(X, 2 - 3 y)`` then ``reg.fit(X, y, sample_weight=w)`` predicts as a fresh
    clone fitted only on ``(X, y, w)`` (within ``atol + rtol |.|``; exactly the same
    for a deterministic regressor).
    """

    def body(p: RegressionProblem) -> None:
        ctx = _ctx(check, opts, p, {"sample_weight": "sample_weight", "after": "fit(X, 2 - 3 * y)"})
        Xq = np.concatenate([p.X, _unseen(p.X)])
        reg = _fresh(ctx, opts)
        _fit(ctx, reg, p.X, 2.0 - 3.0 * p.y)
        _fit(ctx, reg, p.X, p.y, p.sample_weight)
        refitted = _predict(ctx, reg, Xq, "the training and unseen rows")
        fresh = _fresh(ctx, opts)
        _fit(ctx, fresh, p.X, p.y, p.sample_weight)
        _close(ctx, opts, refitted, _predict(ctx, fresh, Xq, "the training and unseen rows"), "refitted against fresh")

    _run(opts, body)


@_register()
def check_regressor_clones_are_independent(regressor: Any, opts: Options, check: str) -> None:
    """Fitting one clone leaves another fitted clone's predictions unchanged (no shared state)."""

    def body(p: RegressionProblem) -> None:
        ctx = _ctx(check, opts, p, {"sample_weight": "sample_weight", "then": "another clone fit(X, 2 - 3 * y)"})
        Xq = np.concatenate([p.X, _unseen(p.X)])
        first = _fresh(ctx, opts)
        _fit(ctx, first, p.X, p.y, p.sample_weight)
        before = _predict(ctx, first, Xq, "the training and unseen rows")
        _fit(ctx, _fresh(ctx, opts), p.X, 2.0 - 3.0 * p.y)
        after = _predict(ctx, first, Xq, "the training and unseen rows")
        ctx.check(
            np.array_equal(before, after),
            lambda: (
                f"fitting another clone changed this one's predictions from {before.tolist()!r} to {after.tolist()!r}"
            ),
        )

    _run(opts, body)


# ======================================================================== entry points
@validate_params(**OPTIONS)
def regressor_checks(
    regressor: Any,
    *,
    stochastic: bool = False,
    atol: float = 1e-9,
    rtol: float = 1e-9,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    name: str | None = None,
) -> Iterator[tuple[str, Callable[[], None]]]:
    """The checks as ``(check_name, check)`` pairs, for ``pytest.mark.parametrize``.

    Parameters are those of :func:`check_regressor`; ``check()`` runs one check.

    Returns
    -------
    iterator of (str, callable)

    Examples
    --------
    >>> from rlcore import RidgeRegression
    >>> [n for n, _ in regressor_checks(RidgeRegression)][:2]
    ['check_regressor_interface', 'check_regressor_does_not_mutate_inputs']
    """
    opts = options(regressor, stochastic, atol, rtol, max_examples, name)
    return SUITE.checks(regressor, opts, name=opts.name)


@validate_params(**OPTIONS)
def check_regressor(
    regressor: Any,
    *,
    stochastic: bool = False,
    atol: float = 1e-9,
    rtol: float = 1e-9,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    name: str | None = None,
) -> None:
    """Run every contract check on ``regressor``; raise at the first breach.

    Parameters
    ----------
    regressor : estimator or callable
        An unfitted regressor with ``fit(X, y, sample_weight=None)`` and ``predict(X)``,
        cloned with :func:`copy.deepcopy` for every fit, or a zero-argument factory of
        one (a class, a :func:`functools.partial`, a lambda).
    stochastic : bool
        The regressor trains by stochastic optimisation: integer weights are not
        checked against repeated rows (see the module documentation). Default False.
    atol, rtol : float
        Tolerances of every comparison of predictions with an expected value:
        ``|got - expected| <= atol + rtol |expected|``. ``atol >= 0`` (default 1e-9),
        ``rtol`` in [0, 1) (default 1e-9).
    max_examples : int in [1, 10**4]
        Hypothesis-drawn data sets per check. Default 10.
    name : str, optional
        Name in failure messages; default the regressor's ``repr`` (or class name).

    Raises
    ------
    AssertionError
        At the first breach; the message starts with the check's name and names the
        regressor, the data set (as a pasteable :class:`RegressionProblem`), the call
        and the numbers.
    TypeError, ValueError
        On a bad option.

    Examples
    --------
    >>> from rlcore import RidgeRegression
    >>> check_regressor(RidgeRegression(alpha=0.0), max_examples=3)
    """
    for _, check in regressor_checks(
        regressor, stochastic=stochastic, atol=atol, rtol=rtol, max_examples=max_examples, name=name
    ):
        check()
