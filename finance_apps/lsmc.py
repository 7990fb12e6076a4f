"""Least-squares Monte Carlo (Longstaff and Schwartz 2001).

Simulate ``n`` paths; at maturity the cash flow is the payoff. Going backwards over
the exercise dates ``t_{m-1}, ..., t_1``, regress the realised discounted future cash
flow of each in-the-money path on basis functions of its state, and exercise where the
payoff is at least the fitted continuation value (replacing that path's cash flow by
the payoff). The mean of the cash flows is the *in-sample* estimate (biased: the
policy has seen these paths); the fitted rule applied to *independent* paths gives the
*out-of-sample* estimate, an unbiased estimate of the value of a feasible policy and
hence of a lower bound (see :func:`~finance_apps.evaluate_exercise_policy`).

The regression is any :class:`rlcore.Regressor`: ordinary least squares
(:class:`rlcore.RidgeRegression` with ``alpha=0``, the default), a scikit-learn
estimator, or a torch MLP (:class:`rlcore.deep.MLPRegressor`).

Work. A feature map that declares a ``lookback`` (the default Laguerre basis is Markov,
``lookback = 1``; see :mod:`finance_apps.features`) is handed only the columns it
reads, so a backward pass costs ``O(n * dates)`` rather than the ``O(n * dates**2)`` of
copying every path's history at every date. Two variance reductions, each optional:
*antithetic variates* (paths in pairs driven by opposite normals; the standard errors
come from the pair means) and a *control variate*, the European option's closed-form
value at the stopping time (a martingale: its mean is the European price today;
Rasmussen 2005), with the estimated optimal coefficient.
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
    _estimate,
    _check_units,
    _EuropeanControl,
    _history,
    _simulate,
    check_paths_budget,
)
from finance_apps.features import PolynomialBasis, _lookback_of
from finance_apps.stopping import StoppingProblem
from rlcore.validation import RNG, Bool, IsCallable, Regressor, validate_params
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.regressors import RidgeRegression
from rlcore.results import Result, short_repr

#: A feature map ``features(history, k, times) -> (n, p)``, or None for the default.
FEATURES = IsCallable("a feature map features(history, k, times)") | None

__all__ = ["LSMCResult", "longstaff_schwartz"]


@dataclass(frozen=True, repr=False)
class LSMCResult(Result):
    """Result of :func:`longstaff_schwartz`: two estimates, each named for the paths it used.

    There is no single ``price``: the in-sample estimate (on the paths the regressions
    were fitted to) is biased upwards, the out-of-sample one (the fitted policy on
    independent paths) is an unbiased estimate of a lower bound; :meth:`summary` shows
    both.

    Attributes
    ----------
    price_in_sample, stderr_in_sample : float
        Mean discounted cash flow on the training paths and its standard error
        (biased upwards by fitting on the same paths).
    out_of_sample : PolicyValue or None
        The fitted policy evaluated on independent paths (a lower-bound estimate):
        ``out_of_sample.price`` and ``out_of_sample.stderr``; None when
        ``n_test_paths=None``.
    policy : RegressionExercisePolicy
        The exercise rule; apply it to new paths with
        :func:`~finance_apps.evaluate_exercise_policy`.
    n_paths : int
        Training paths.
    antithetic : bool
        Training and test paths came in antithetic pairs (standard errors over pair means).
    control_variate : bool
        Both estimates use the European control variate.
    """

    price_in_sample: float
    stderr_in_sample: float
    out_of_sample: PolicyValue | None
    policy: RegressionExercisePolicy
    n_paths: int
    antithetic: bool = False
    control_variate: bool = False

    def _summary_rows(self) -> list[tuple[str, str]]:
        oos = self.out_of_sample
        rows = [("in-sample price", f"{short_repr(self.price_in_sample)} +- {short_repr(self.stderr_in_sample)}")]
        if oos is None:
            rows.append(("out-of-sample price", "not computed (n_test_paths=None)"))
        else:
            rows.append(
                (
                    "out-of-sample price",
                    f"{short_repr(oos.price)} +- {short_repr(oos.stderr)} ({oos.payoffs.size} paths)",
                )
            )
        rows.append(("n_paths", short_repr(self.n_paths)))
        if self.antithetic or self.control_variate:
            used = [
                name for name, on in (("antithetic", self.antithetic), ("control variate", self.control_variate)) if on
            ]
            rows.append(("variance reduction", ", ".join(used)))
        return rows + [("policy", short_repr(self.policy))]


@validate_params(
    problem=PROBLEM,
    model=PathModel(),
    n_paths=N_PATHS,
    features=FEATURES,
    regressor=Regressor() | None,
    itm_only=Bool(),
    n_test_paths=N_PATHS | None,
    antithetic=Bool(),
    control_variate=Bool(),
    rng=RNG(),
    progress=PROGRESS,
)
def longstaff_schwartz(
    problem: StoppingProblem,
    model: Any,
    n_paths: int = 20_000,
    *,
    features: Any = None,
    regressor: Any = None,
    itm_only: bool = True,
    n_test_paths: int | None = 20_000,
    antithetic: bool = False,
    control_variate: bool = False,
    rng: RNGLike = None,
    progress: bool | None = None,
) -> LSMCResult:
    """Price a Bermudan/American option by least-squares Monte Carlo.

    Parameters
    ----------
    problem : StoppingProblem
    model : path model
        E.g. :class:`~finance_apps.GeometricBrownianMotion` on a grid containing the
        exercise dates.
    n_paths : int in [2, 10**8], default 20000
        Training paths (at most ``10**9`` floats of simulated states).
    features : FeatureMap, default ``PolynomialBasis(3, "laguerre")``
    regressor : Regressor, default ``RidgeRegression(alpha=0.0)`` (least squares)
        A template: a deep copy is fitted at each exercise date.
    itm_only : bool, default True
        Regress on in-the-money paths only, as in the paper (section 2).
    n_test_paths : int in [2, 10**8] or None, default 20000
        Independent paths for the out-of-sample estimate (None: skip).
    antithetic : bool, default False
        Simulate training and test paths in antithetic pairs (``model.simulate(n, rng,
        antithetic=True)``; path counts even and ``>= 4``). Both standard errors are
        computed from the pair means, the independent units.
    control_variate : bool, default False
        Correct both estimates with the control variate ``e^{-r tau} P_E(tau,
        S_tau)``, the closed-form European price at each path's stopping time (mean
        ``P_E(0, S_0)``), with the estimated optimal coefficient
        (``out_of_sample.control_coefficient``) and the residual standard error. Needs
        a one-asset :class:`~finance_apps.GeometricBrownianMotion` and a
        :class:`~finance_apps.Put` or :class:`~finance_apps.Call`.
    rng : Generator, int or None
    progress : bool or None, default None
        Show a progress bar over the exercise dates on standard error (see
        :mod:`rlcore.progress`): the backward pass (one regression per date, the slow
        part with a boosted-tree or neural regressor), then the out-of-sample pass;
        None follows :func:`rlcore.set_progress` (off by default). The result does not
        depend on it.

    Returns
    -------
    LSMCResult

    Guarantee
    ---------
    With a fixed basis the in-sample estimate converges as ``n -> inf`` to the value
    of the policy defined by the projected continuation values (Clement, Lamberton and
    Protter 2002, Theorem 3.2); the out-of-sample estimate is unbiased for the value of
    the fitted policy, which is at most the option value (Longstaff and Schwartz 2001,
    Proposition 1, the lower-bound property). Tested by
    ``tests/finance_apps/test_lsmc.py::test_lsmc_out_of_sample_is_a_lower_bound_and_accurate``
    (the lower bound over five seeds against the lattice value) and
    ``tests/finance_apps/test_lsmc.py::test_lsmc_in_sample_estimate_approaches_the_policy_value``
    (the in-sample bias over the fitted policy's value shrinks as ``n`` grows).
    Antithetic pairs leave each path's law unchanged (the estimates stay unbiased for
    the same values) and the control variate has known mean, so its correction is
    unbiased up to the ``O(1/n)`` bias of an estimated coefficient (Glasserman 2004,
    section 4.1); tested by
    ``tests/finance_apps/test_lsmc_variance_reduction.py`` (unbiasedness and the
    standard error against the spread over seeds, the control-variate price against
    the lattice, and equal prices from shortened and whole histories).

    References
    ----------
    .. [1] Longstaff, F. A. and Schwartz, E. S. (2001). Valuing American options by
       simulation: a simple least-squares approach. *Review of Financial Studies*
       14(1), 113-147.
    .. [2] Clement, E., Lamberton, D. and Protter, P. (2002). An analysis of a least
       squares regression method for American option pricing. *Finance and
       Stochastics* 6(4), 449-471.
    .. [3] Rasmussen, N. S. (2005). Control variates for Monte Carlo valuation of
       American options. *Journal of Computational Finance* 9(1), 83-118.
    .. [4] Glasserman, P. (2004). *Monte Carlo Methods in Financial Engineering*,
       sections 4.1 (control variates) and 4.2 (antithetic variates). Springer.

    Examples
    --------
    >>> from finance_apps import GeometricBrownianMotion, Put, StoppingProblem
    >>> prob = StoppingProblem.american(Put(40.0), 1.0, 0.06, n_steps=50)
    >>> model = GeometricBrownianMotion(36.0, 0.2, 0.06, prob.grid())
    >>> res = longstaff_schwartz(prob, model, 20_000, n_test_paths=20_000, rng=0)
    >>> abs(res.out_of_sample.price - 4.47) < 0.05     # LS (2001) Table 1: 4.472
    True
    >>> vr = longstaff_schwartz(prob, model, 20_000, antithetic=True, control_variate=True, rng=0)
    >>> abs(vr.out_of_sample.price - 4.47) < 0.02, vr.out_of_sample.stderr < res.out_of_sample.stderr / 3
    (True, True)
    """
    n = n_paths
    ex = problem.check_model(model)
    check_paths_budget(model, n, "n_paths")
    if n_test_paths is not None:
        check_paths_budget(model, n_test_paths, "n_test_paths")
    cv = _EuropeanControl(problem, model, ex) if control_variate else None
    _check_units(model, n, "n_paths", antithetic, control_variate)
    _check_units(model, n_test_paths, "n_test_paths", antithetic, control_variate)
    feats = PolynomialBasis(3, "laguerre") if features is None else features
    lookback = _lookback_of(feats)
    template = RidgeRegression(alpha=0.0) if regressor is None else regressor
    with single_thread_blas():
        gen = as_generator(rng)
        times = np.asarray(model.times, dtype=np.float64)
        paths = _simulate(model, n, gen, antithetic)
        disc = np.exp(-problem.rate * times)
        k_last = int(ex[-1])
        cash = np.asarray(problem.payoff(paths[:, k_last]), dtype=np.float64) * disc[k_last]
        stop = np.full(n, k_last, dtype=np.int64)  # the date of each training path's cash flow
        regs: dict[int, Any] = {}
        # backward dates, then (out of sample) every exercise date
        total = len(ex) - 1 + (len(ex) if n_test_paths is not None else 0)
        with progress_bar(total, desc="finance_apps.longstaff_schwartz", progress=progress, unit="date") as bar:
            for k in ex[-2::-1]:
                k = int(k)
                bar.update(1)
                z = np.asarray(problem.payoff(paths[:, k]), dtype=np.float64)
                if k == 0:  # every path is at the spot: the continuation value is a number
                    cont0 = float(cash.mean() / disc[0])
                    regs[0] = cont0
                    if z[0] > 0 and z[0] >= cont0:
                        cash[:] = z * disc[0]
                        stop[:] = 0
                    continue
                rows = np.flatnonzero(z > 0) if itm_only else np.arange(n)
                if rows.size < 2:
                    continue
                X = feats(_history(paths, rows, k, lookback), k, times)
                reg = copy.deepcopy(template).fit(X, cash[rows] / disc[k])
                regs[k] = reg
                c = np.asarray(reg.predict(X), dtype=np.float64)
                ex_rows = rows[(z[rows] > 0) & (z[rows] >= c)]
                cash[ex_rows] = z[ex_rows] * disc[k]
                stop[ex_rows] = k
            policy = RegressionExercisePolicy(problem, times, feats, regs)
            oos = None
            if n_test_paths is not None:
                test = _simulate(model, n_test_paths, gen, antithetic)
                pay, where = _apply_policy(policy, problem, test, times, ex, bar=bar)
                oos = _estimate(pay, where, test, times, antithetic, cv)
        ins = _estimate(cash, stop, paths, times, antithetic, cv)
        return LSMCResult(
            price_in_sample=ins.price,
            stderr_in_sample=ins.stderr,
            out_of_sample=oos,
            policy=policy,
            n_paths=n,
            antithetic=antithetic,
            control_variate=cv is not None,
        )
