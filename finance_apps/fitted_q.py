"""Fitted-Q iteration for optimal stopping: the reinforcement-learning exercise policy.

Stopping is an MDP with two actions; the value of *stopping* is the known payoff, so
only the *continuation* Q-value ``Q(x, continue) = E[e^{-r dt} V(x')]`` is learned.
Fitted-Q iteration (Ernst, Geurts and Wehenkel 2005; for stopping, Tsitsiklis and Van
Roy 2001) regresses, on simulated transitions ``(x_j, x_{j+1})`` at consecutive
exercise dates,

.. math:: Q^{(i+1)} \\approx \\arg\\min_f \\sum_{\\text{paths}, j}
          \\big(f(x_j) - e^{-r(t_{j+1}-t_j)} \\max\\{h(S_{j+1}), Q^{(i)}(x_{j+1})\\}\\big)^2,

with ``Q(x_m) = 0`` at maturity (``target="value"``: bootstrapped targets). The
default ``target="cashflow"`` regresses instead the realised discounted cash flow of
the current greedy policy from the next date on (Monte Carlo returns; fitted policy
iteration), the target of least-squares Monte Carlo, which avoids the upward bias of
the max over noisy estimates.

Following Felizardo et al., the state ``x`` may be augmented with the price history and
the time (:class:`~finance_apps.HistoryFeatures`) so that one regressor, e.g. a torch
MLP, is *shared* across dates and the policy can exploit autocorrelated returns.
With ``shared=False`` each date gets its own regressor, fitted in one backward pass
(with ``target="cashflow"`` and in-the-money-only rows that is exactly
:func:`~finance_apps.longstaff_schwartz`; here all paths are used).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from finance_apps._constraints import PathModel
from finance_apps._util import single_thread_blas
from finance_apps.exercise import (
    N_PATHS,
    PROBLEM,
    PolicyValue,
    RegressionExercisePolicy,
    _apply_policy,
    check_paths_budget,
    policy_value,
)
from finance_apps.features import HistoryFeatures
from finance_apps.lsmc import FEATURES
from finance_apps.stopping import StoppingProblem
from rlcore.validation import RNG, Bool, Integer, Options, Regressor, validate_params
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.regressors import RidgeRegression
from rlcore.results import Result

#: Largest number of fitted-Q iterations (with ``m`` exercise dates, ``m`` are exact).
MAX_Q_ITERATIONS = 10**4

__all__ = ["FittedQResult", "fitted_q_stopping"]


@dataclass(frozen=True, repr=False)
class FittedQResult(Result):
    """Result of :func:`fitted_q_stopping`.

    Attributes
    ----------
    policy : RegressionExercisePolicy
        Stop iff the payoff is positive and at least the learned continuation value.
    out_of_sample : PolicyValue or None
        Its value on independent paths (a lower-bound estimate): ``out_of_sample.price``
        and ``out_of_sample.stderr``; None when ``n_test_paths=None``.
    iterations : int
        Q-iterations run (backward steps when ``shared=False``).
    """

    policy: RegressionExercisePolicy
    out_of_sample: PolicyValue | None
    iterations: int


@validate_params(
    problem=PROBLEM,
    model=PathModel(),
    n_paths=N_PATHS,
    features=FEATURES,
    regressor=Regressor() | None,
    shared=Bool(),
    n_iterations=Integer(1, MAX_Q_ITERATIONS) | None,
    target=Options("cashflow", "value"),
    n_test_paths=N_PATHS | None,
    rng=RNG(),
    progress=PROGRESS,
)
def fitted_q_stopping(
    problem: StoppingProblem,
    model: Any,
    n_paths: int = 20_000,
    *,
    features: Any = None,
    regressor: Any = None,
    shared: bool = True,
    n_iterations: int | None = None,
    target: str = "cashflow",
    n_test_paths: int | None = 20_000,
    rng: RNGLike = None,
    progress: bool | None = None,
) -> FittedQResult:
    """Learn an exercise policy by fitted-Q iteration on simulated paths.

    Parameters
    ----------
    problem : StoppingProblem
    model : path model
    n_paths : int in [2, 10**8], default 20000
        Training paths (at most ``10**9`` floats of simulated states).
    features : FeatureMap, default ``HistoryFeatures(window=3, degree=2)``
        State of the Q-function; include the time when ``shared``.
    regressor : Regressor, default ``RidgeRegression(alpha=1e-6)``
        Template, deep-copied for every fit; pass
        :class:`rlcore.deep.MLPRegressor` for the neural variant.
    shared : bool, default True
        One regressor over all dates (fitted-Q iteration) or one per date (one
        backward pass).
    n_iterations : int in [1, 10**4], optional
        Q-iterations when ``shared``; default the number of exercise dates, which
        propagates the maturity payoff back to the first date.
    target : {"cashflow", "value"}, default "cashflow"
        Regression target for the continuation value at date ``j``: the realised
        discounted cash flow of the current greedy policy from ``j + 1`` on
        (``"cashflow"``: Monte Carlo returns, fitted policy iteration, the target of
        Longstaff and Schwartz) or the bootstrapped value
        ``e^{-r dt} max(h_{j+1}, Q(x_{j+1}))`` (``"value"``: fitted-Q / value
        iteration of Tsitsiklis and Van Roy, biased upwards by the max over noisy
        estimates, so it tends to exercise late).
    n_test_paths : int in [2, 10**8] or None, default 20000
        Independent paths for the out-of-sample value (None: skip).
    rng : Generator, int or None
    progress : bool or None, default None
        Show a progress bar on standard error (see :mod:`rlcore.progress`) over the
        fits: the Q-iterations when ``shared``, the exercise dates of the backward pass
        otherwise; None follows :func:`rlcore.set_progress` (off by default). The result
        does not depend on it.

    Returns
    -------
    FittedQResult

    Guarantee
    ---------
    With exact regression (a rich enough model and infinitely many paths) each
    iteration applies the Bellman operator of the stopping problem, a contraction in
    the sup-norm when discounting (Tsitsiklis and Van Roy 2001, Theorem 1; with ``m``
    dates, ``m`` iterations are exact); the out-of-sample value of the resulting policy
    is, like any policy's, a lower-bound estimate. Tested by
    ``tests/finance_apps/test_fitted_q.py::test_fitted_q_with_exact_regression_is_exact_after_m_iterations``
    (exact regression on the simulated CRR tree: the fixed point after ``m`` iterations,
    the tree's continuation values and American value) and
    ``tests/finance_apps/test_fitted_q.py::test_history_policy_does_not_beat_markov_optimum``
    (the lower bound).

    References
    ----------
    .. [1] Tsitsiklis, J. N. and Van Roy, B. (2001). Regression methods for pricing
       complex American-style options. *IEEE Transactions on Neural Networks* 12(4),
       694-703.
    .. [2] Ernst, D., Geurts, P. and Wehenkel, L. (2005). Tree-based batch mode
       reinforcement learning. *JMLR* 6, 503-556.
    .. [3] Felizardo, L. K. et al. Solving the optimal stopping problem with
       reinforcement learning: an application in financial option exercise.

    Examples
    --------
    >>> from finance_apps import GeometricBrownianMotion, Put, StoppingProblem
    >>> prob = StoppingProblem.bermudan(Put(100.0), [0.25, 0.5, 0.75, 1.0], 0.05)
    >>> model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid())
    >>> res = fitted_q_stopping(prob, model, 10_000, n_test_paths=20_000, rng=0)
    >>> 5.8 < res.out_of_sample.price < 6.1
    True
    """
    n = n_paths
    ex = [int(k) for k in problem.check_model(model)]
    check_paths_budget(model, n, "n_paths")
    if n_test_paths is not None:
        check_paths_budget(model, n_test_paths, "n_test_paths")
    feats = HistoryFeatures(window=3, degree=2) if features is None else features
    template = RidgeRegression(alpha=1e-6) if regressor is None else regressor
    with single_thread_blas():
        m = len(ex)
        iters = m if n_iterations is None else n_iterations
        gen = as_generator(rng)
        times = np.asarray(model.times, dtype=np.float64)
        paths = model.simulate(n, gen)
        Z = np.column_stack([np.asarray(problem.payoff(paths[:, k]), dtype=np.float64) for k in ex])
        X = [feats(paths[:, : k + 1], k, times) for k in ex]
        step_disc = np.exp(-problem.rate * np.diff(times[ex])) if m > 1 else np.zeros(0)

        def greedy(j: int, cont: np.ndarray) -> np.ndarray:
            return np.asarray((Z[:, j] > 0) & (Z[:, j] >= cont), dtype=bool)

        n_fits = 0 if m == 1 else (iters if shared else m - 1)
        with progress_bar(
            n_fits, desc="finance_apps.fitted_q_stopping", progress=progress, unit="iteration" if shared else "date"
        ) as bar:
            if m == 1:
                policy = RegressionExercisePolicy(problem, times, feats, {})
                iters = 0
            elif shared:
                f: Any = None
                Xs = np.concatenate(X[:-1], axis=0)
                for _ in range(iters):
                    ys: list[np.ndarray] = [np.empty(0)] * (m - 1)
                    nxt = Z[:, m - 1].copy()  # value at date j + 1, in money of date j + 1
                    for j in range(m - 2, -1, -1):
                        ys[j] = step_disc[j] * nxt
                        if f is None:
                            nxt = ys[j]  # no model yet: hold to maturity (the European policy)
                            continue
                        c = np.asarray(f.predict(X[j]), dtype=np.float64)
                        if target == "value":
                            nxt = np.maximum(Z[:, j], c)
                        else:
                            nxt = np.where(greedy(j, c), Z[:, j], ys[j])
                    f = copy.deepcopy(template).fit(Xs, np.concatenate(ys))
                    bar.update(1)
                policy = RegressionExercisePolicy(problem, times, feats, {}, shared=f)
            else:
                regs: dict[int, Any] = {}
                nxt = Z[:, m - 1].copy()
                for j in range(m - 2, -1, -1):
                    bar.update(1)
                    y = step_disc[j] * nxt
                    if ex[j] == 0:  # every path is at the spot: the continuation value is a number
                        regs[0] = float(y.mean())
                        break
                    reg = copy.deepcopy(template).fit(X[j], y)
                    regs[ex[j]] = reg
                    c = np.asarray(reg.predict(X[j]), dtype=np.float64)
                    nxt = np.maximum(Z[:, j], c) if target == "value" else np.where(greedy(j, c), Z[:, j], y)
                policy = RegressionExercisePolicy(problem, times, feats, regs)
                iters = m - 1
        oos = None
        if n_test_paths is not None:
            test = model.simulate(n_test_paths, gen)
            oos = policy_value(*_apply_policy(policy, problem, test, times, np.asarray(ex, dtype=np.int64)))
        return FittedQResult(policy=policy, out_of_sample=oos, iterations=iters)
