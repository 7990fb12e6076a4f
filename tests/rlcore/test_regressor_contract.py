"""The regressor contract suite of :mod:`rlcore.testing.regressor_checks`, run over every regressor the library ships.

Two halves, as ``tests/tabular/test_contract.py`` for planners:

* the shipped regressors (``RidgeRegression`` with and without a penalty, as an
  instance and as a class, ``TabularMean``, and the torch regressors
  ``MLPRegressor`` / ``DistributionalMLPRegressor`` when torch is installed) pass every
  check, one pytest test per (regressor, check);
* deliberately broken regressors, one per kind of defect, fail the check written for
  that defect, with the message naming the check, the regressor and the data set.

The references are independent of the regressors: the weighted mean computed here, the
same regressor fitted on repeated rows, a fresh clone.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

from rlcore import RidgeRegression, TabularMean
from rlcore.testing.regressor_checks import (
    RegressionProblem,
    check_regressor,
    check_regressor_clones_are_independent,
    check_regressor_constant_target,
    check_regressor_deterministic,
    check_regressor_does_not_mutate_inputs,
    check_regressor_interface,
    check_regressor_refit,
    check_regressor_sample_weight,
    regressor_checks,
)

MAX_EXAMPLES = 8


def _torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


_SMALL_NET = dict(hidden_sizes=(16,), n_epochs=200, min_steps=0, batch_size=64, learning_rate=0.05, rng=0)
#: What a small network reaches on these data sets in 200 epochs (targets in [-10, 10]).
_NET_TOLERANCE = dict(stochastic=True, atol=0.05, rtol=0.02, max_examples=3)


def _shipped() -> list[tuple[str, Any, dict[str, Any], list[Any]]]:
    out: list[tuple[str, Any, dict[str, Any], list[Any]]] = [
        ("RidgeRegression(alpha=0)", RidgeRegression(alpha=0.0), {}, []),
        ("RidgeRegression(alpha=1)", RidgeRegression(alpha=1.0), {}, []),
        ("RidgeRegression[class]", RidgeRegression, {}, []),
        ("TabularMean", TabularMean(), {}, []),
        ("TabularMean[partial]", functools.partial(TabularMean, default=-1.0, n_features=None), {}, []),
    ]
    if not _torch_available():
        skip = [pytest.mark.skip(reason="torch is not installed")]
        return out + [("MLPRegressor", None, {}, skip), ("DistributionalMLPRegressor", None, {}, skip)]
    from rlcore.deep import DistributionalMLPRegressor, MLPRegressor

    slow = [pytest.mark.slow]
    out += [
        ("MLPRegressor", MLPRegressor(**_SMALL_NET), _NET_TOLERANCE, slow),
        (
            "DistributionalMLPRegressor",
            DistributionalMLPRegressor(support=(-10.0, 10.0), n_atoms=41, **_SMALL_NET),
            _NET_TOLERANCE,
            slow,
        ),
    ]
    return out


SHIPPED = _shipped()


def _cases() -> list[Any]:
    cases = []
    for label, reg, opts, marks in SHIPPED:
        if reg is None:
            cases.append(pytest.param(None, id=label, marks=marks))
            continue
        for check_name, check in regressor_checks(reg, name=label, **{"max_examples": MAX_EXAMPLES, **opts}):
            cases.append(pytest.param(check, id=f"{label}-{check_name}", marks=marks))
    return cases


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """Small networks train fastest on one thread (and the same thread count keeps fits reproducible)."""
    if not _torch_available():
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("check", _cases())
def test_shipped_regressor_honours_the_contract(check):
    check()


def test_every_check_is_yielded():
    names = [n for n, _ in regressor_checks(RidgeRegression)]
    assert names == [
        "check_regressor_interface",
        "check_regressor_does_not_mutate_inputs",
        "check_regressor_deterministic",
        "check_regressor_constant_target",
        "check_regressor_sample_weight",
        "check_regressor_refit",
        "check_regressor_clones_are_independent",
    ]


# ----------------------------------------------------------------------------- broken regressors
class _GroupMean:
    """A correct regressor written the way a user might: the weighted mean of ``y`` per distinct row
    (the overall weighted mean for unseen rows). The broken ones below change one thing."""

    def fit(self, X, y, sample_weight=None):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        keys, inverse = np.unique(X, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        wsum = np.bincount(inverse, weights=w, minlength=len(keys))
        self.table_ = {
            tuple(k): float(np.sum((w * y)[inverse == i]) / wsum[i]) for i, k in enumerate(keys) if wsum[i] > 0
        }
        self.default_ = float(np.sum(w * y) / np.sum(w))
        return self

    def predict(self, X):
        return np.array([self.table_.get(tuple(row), self.default_) for row in np.asarray(X, dtype=float)])

    def __repr__(self):
        return f"{type(self).__name__}()"


class FitReturnsNone(_GroupMean):
    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight)


class PredictsAColumn(_GroupMean):
    def predict(self, X):
        return super().predict(X)[:, None]


class CentresXInPlace(_GroupMean):
    def fit(self, X, y, sample_weight=None):
        X -= X.mean(axis=0)  # "standardise" the caller's array
        return super().fit(X, y, sample_weight)

    def predict(self, X):
        return super().predict(np.asarray(X) - np.asarray(X).mean(axis=0))


class IgnoresWeights(_GroupMean):
    def fit(self, X, y, sample_weight=None):
        return super().fit(X, y)


class GlobalJitter(_GroupMean):
    """Breaks ties with a draw from the global NumPy generator."""

    def fit(self, X, y, sample_weight=None):
        return super().fit(X, np.asarray(y) + 1e-9 * np.random.standard_normal(len(y)), sample_weight)


class AccumulatesAcrossFits(_GroupMean):
    """Keeps the previous fit's rows (an 'online' mean that is never reset)."""

    def fit(self, X, y, sample_weight=None):
        old_X, old_y = getattr(self, "X_seen_", np.empty((0, np.shape(X)[1]))), getattr(self, "y_seen_", np.empty(0))
        old_w = getattr(self, "w_seen_", np.empty(0))
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.X_seen_ = np.concatenate([old_X, X])
        self.y_seen_ = np.concatenate([old_y, y])
        self.w_seen_ = np.concatenate([old_w, w])
        return super().fit(self.X_seen_, self.y_seen_, self.w_seen_)


class SharedTable(_GroupMean):
    """Stores the fitted table on the class: every clone sees the last fit."""

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight)
        type(self).shared_ = (self.table_, self.default_)
        return self

    def predict(self, X):
        self.table_, self.default_ = type(self).shared_
        return super().predict(X)


class ShrinksTowardsZero(_GroupMean):
    """A penalised mean: ``n / (n + 1)`` of the weighted mean (biased for constant targets)."""

    def predict(self, X):
        return super().predict(X) * 0.9


BROKEN = [
    # (regressor, the check it must fail, part of the message)
    (FitReturnsNone(), check_regressor_interface, "fit returned NoneType None, expected the regressor itself"),
    (PredictsAColumn(), check_regressor_interface, "returned shape (2, 1), expected (2,)"),
    (CentresXInPlace(), check_regressor_does_not_mutate_inputs, "fit changed its X argument"),
    (IgnoresWeights(), check_regressor_sample_weight, "expected"),
    (GlobalJitter(), check_regressor_deterministic, "two clones fitted on the same data predict differently"),
    (AccumulatesAcrossFits(), check_regressor_refit, "refitted against fresh: prediction "),
    (SharedTable(), check_regressor_clones_are_independent, "fitting another clone changed this one's predictions"),
    (ShrinksTowardsZero(), check_regressor_constant_target, "the constant target "),
]


@pytest.mark.parametrize(
    ("regressor", "check", "message"), BROKEN, ids=[f"{type(r).__name__}-{c.__name__}" for r, c, _ in BROKEN]
)
def test_broken_regressor_fails_its_check(regressor, check, message):
    with pytest.raises(AssertionError) as info:
        check(regressor, max_examples=MAX_EXAMPLES)
    text = str(info.value)
    name = type(regressor).__name__
    assert text.startswith(f"{check.__name__}: regressor '{name}()' on RegressionProblem(X=np.array("), text
    assert ", called with {" in text
    assert message in text, text


def test_the_correct_reference_passes_everything():
    """The base of the broken regressors is correct: each defect above is its subclass's alone."""
    check_regressor(_GroupMean(), max_examples=MAX_EXAMPLES)
    check_regressor(_GroupMean, max_examples=MAX_EXAMPLES)  # a class is a factory


def test_ignoring_weights_is_caught_for_a_stochastic_trainer_too():
    """Without the repeated-rows comparison, zero weights and the weighted mean still catch it."""
    with pytest.raises(AssertionError, match="zero weights against dropping those rows|the weighted mean of y"):
        check_regressor_sample_weight(IgnoresWeights(), stochastic=True, atol=0.05, max_examples=MAX_EXAMPLES)


def test_the_failure_can_be_pasted_back():
    with pytest.raises(AssertionError) as info:
        check_regressor_constant_target(ShrinksTowardsZero(), max_examples=MAX_EXAMPLES)
    code = str(info.value).split(" on ", 1)[1].split(", called with", 1)[0]
    problem = eval(code, {"np": np, "RegressionProblem": RegressionProblem})
    assert repr(problem) == code
    assert problem.X.ndim == 2 and problem.y.shape == problem.sample_weight.shape == (problem.X.shape[0],)


# ----------------------------------------------------------------------------- the suite's own API
def test_options_are_checked():
    with pytest.raises(TypeError, match=r"^regressor: "):
        check_regressor(3.0)
    with pytest.raises(ValueError, match=r"^rtol: "):
        check_regressor(RidgeRegression, rtol=1.0)
    with pytest.raises(ValueError, match=r"^atol: "):
        regressor_checks(RidgeRegression, atol=-1.0)
    with pytest.raises(TypeError, match=r"^stochastic: "):
        check_regressor(RidgeRegression, stochastic="yes")
    with pytest.raises(ValueError, match=r"^max_examples: "):
        check_regressor(RidgeRegression, max_examples=0)


def test_a_factory_that_raises_is_a_failure_of_the_check():
    def broken_factory():
        raise RuntimeError("no GPU")

    with pytest.raises(
        AssertionError, match=r"^check_regressor_interface: regressor 'test_a_factory.*it raised Runtime"
    ):
        check_regressor_interface(broken_factory, max_examples=1)


def test_import_rlcore_does_not_import_the_suite():
    code = textwrap.dedent(
        """
        import sys
        import rlcore
        print(sorted(m for m in ("hypothesis", "rlcore.testing.regressor_checks") if m in sys.modules))
        """
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
