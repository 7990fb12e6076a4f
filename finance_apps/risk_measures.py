r"""Convex risk measures of a profit-and-loss sample, and the indifference price.

A *convex risk measure* (Föllmer and Schied 2002) maps a P&L :math:`X` (a gain: larger
is better) to the amount of cash :math:`\rho(X)` that makes the position acceptable.
It is

* **monotone**: :math:`X \le Y` almost surely implies :math:`\rho(X) \ge \rho(Y)`;
* **cash-invariant**: :math:`\rho(X + c) = \rho(X) - c` for every constant :math:`c`;
* **convex**: :math:`\rho(\lambda X + (1-\lambda) Y) \le \lambda \rho(X) + (1-\lambda)\rho(Y)`.

All measures here are evaluated on the empirical distribution of a sample
``pnl`` of shape ``(n,)`` (equal weights), where the three properties hold exactly,
sample by sample.

The *optimized certainty equivalent* (OCE, Ben-Tal and Teboulle 2007) of a loss
function :math:`\ell` (convex, non-decreasing, :math:`\ell(0) = 0`, :math:`\ell(x) \ge x`) is

.. math:: \rho_\ell(X) = \inf_{w \in \mathbb{R}} \big\{ w + E[\ell(-X - w)] \big\}.

Two members have closed forms:

* :math:`\ell(x) = (e^{a x} - 1)/a` gives the **entropic** risk
  :math:`\rho(X) = \frac1a \log E[e^{-a X}]` (exponential utility, risk aversion
  :math:`a > 0`);
* :math:`\ell(x) = x^+ / \alpha` gives the **expected shortfall** (CVaR) at level
  :math:`\alpha`: the average of the worst :math:`\alpha`-fraction of losses
  :math:`-X` (Rockafellar and Uryasev 2002).

The *indifference price* of a claim :math:`Z` (Buehler et al. 2019, Def. 3.4) is
:math:`p(Z) = \pi(-Z) - \pi(0)`, where :math:`\pi(X) = \inf_\delta \rho(X + (\delta
\cdot S)_T - C_T(\delta))` is the risk left after optimal hedging.

Their differentiable torch versions, the training losses of deep hedging, are in
:mod:`finance_apps.deep.risk_measures` (``EntropicRisk(a).torch(pnl)`` and
``ExpectedShortfall(alpha).torch(pnl)`` call them); this module never imports torch.

References
----------
H. Föllmer and A. Schied, "Convex measures of risk and trading constraints",
Finance and Stochastics 6, 429-447, 2002.

A. Ben-Tal and M. Teboulle, "An old-new concept of convex risk measures: the optimized
certainty equivalent", Mathematical Finance 17(3), 449-476, 2007.

R. T. Rockafellar and S. Uryasev, "Conditional value-at-risk for general loss
distributions", Journal of Banking & Finance 26, 1443-1471, 2002.

H. Buehler, L. Gonon, J. Teichmann and B. Wood, "Deep hedging", Quantitative Finance
19(8), 1271-1291, 2019.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from rlcore.validation import (
    Array,
    Instance,
    InvalidParameterError,
    IsCallable,
    Real,
    validate_params,
)

__all__ = [
    "EntropicRisk",
    "ExpectedShortfall",
    "OCERisk",
    "entropic_loss",
    "entropic_risk",
    "expected_shortfall",
    "indifference_price",
    "oce_risk",
    "shortfall_loss",
]


#: A P&L sample: a non-empty 1-d array of finite numbers.
PNL = Array(ndim=1)
#: Absolute risk aversion ``a > 0`` (any positive value: ``a -> 0`` gives ``-mean``).
RISK_AVERSION = Real(0.0, None, closed="neither")
#: Tail probability of the expected shortfall.
LEVEL = Real(0.0, 1.0, closed="right")
_LOSS = IsCallable("a vectorised loss l(x) -> array")

#: Below this ``a * (max X - min X)`` the entropic risk is computed from its cumulant
#: series (the truncation error, ``(a spread)^4 spread``, is below rounding).
_SERIES_SPREAD = 1e-4


def _finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise InvalidParameterError("pnl", f"{what} overflows float64 on this sample; rescale the P&L")
    return value


def _entropic(x: np.ndarray, a: float) -> float:
    """Entropic risk of a validated sample (see :func:`entropic_risk`)."""
    losses = -x
    top = float(losses.max())
    with np.errstate(over="ignore", invalid="ignore"):
        spread = _finite(top - float(losses.min()), "the range of the sample")
        if spread == 0.0:
            return top + 0.0  # (-0.0 for a sample of zeros)
        if a * spread < _SERIES_SPREAD:
            # log E e^{aL} / a = k1 + a k2 / 2 + a^2 k3 / 6 + a^3 k4 / 24 + O(a^4 spread^5): with
            # y = a spread and c = (L - k1) / spread (|c| <= 1) every term is bounded, and no
            # a * L is formed, so a = 1e-320 or 1e300 with a tinier spread are fine
            m = top + float(np.mean(losses - top))
            c = (losses - m) / spread
            y = a * spread
            k2 = float(np.mean(c * c))
            k3 = float(np.mean(c * c * c))
            k4 = float(np.mean(c**4)) - 3.0 * k2 * k2
            return _finite(m + spread * (y * k2 / 2.0 + y * y * k3 / 6.0 + y * y * y * k4 / 24.0), "the risk")
        # shifted log-mean-exp: every exponent <= 0, the largest is 0
        z = a * (losses - top)
        return top + math.log1p(float(np.mean(np.expm1(z)))) / a


def _shortfall(x: np.ndarray, alpha: float) -> float:
    """Expected shortfall of a validated sample (see :func:`expected_shortfall`)."""
    losses = np.sort(-x)[::-1]
    n = x.size
    na = n * alpha
    k = min(int(math.floor(na)), n)
    # sum_{i<k} L_i / (n alpha) + (1 - k / (n alpha)) L_k: no n * alpha * L product, so a
    # tiny alpha (n alpha < 1, the worst loss) keeps full precision
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sum(losses[:k] / na)) if k else 0.0
        if k < n:
            total += (1.0 - k / na) * float(losses[k])
    return _finite(total, "the expected shortfall")


# ----------------------------------------------------------------------------- numpy
@validate_params(pnl=PNL, risk_aversion=RISK_AVERSION)
def entropic_risk(pnl: Any, risk_aversion: float = 1.0) -> float:
    r"""Entropic risk :math:`\rho(X) = \frac1a \log \frac1n \sum_i e^{-a X_i}`.

    Parameters
    ----------
    pnl : array_like of shape (n,)
        Sample of the profit and loss :math:`X` (a gain).
    risk_aversion : float, default 1.0
        :math:`a > 0`, the absolute risk aversion of the exponential utility. It has
        the units of 1 / P&L: for a P&L of order ``s`` the measure is close to
        ``-mean + a var / 2`` when ``a s`` is small.

    Returns
    -------
    float
        The risk, computed with a shifted log-mean-exp (no overflow for large
        ``a |X|``) or, when ``a (max X - min X) < 1e-4``, with the cumulant series
        ``-mean + a var / 2 - a^2 k3 / 6 + a^3 k4 / 24`` (exact to rounding, and
        finite for any ``a > 0``, however small).

    Guarantee
    ---------
    Monotone, cash-invariant and convex on the empirical measure; for Gaussian
    :math:`X \sim N(m, s^2)` the population value is :math:`-m + a s^2 / 2`
    (Föllmer and Schied 2002, Example 4.34). Tested by ``tests/finance_apps/test_risk_measures.py::test_monotone``,
    ``tests/finance_apps/test_risk_measures.py::test_cash_invariant`` and ``tests/finance_apps/test_risk_measures.py::test_convex`` (hypothesis samples, two risk
    aversions) and ``tests/finance_apps/test_risk_measures.py::test_entropic_gaussian_closed_form``.

    References
    ----------
    H. Föllmer and A. Schied, Stochastic Finance, 4th ed., de Gruyter, 2016, §4.9.

    Examples
    --------
    >>> round(entropic_risk([0.0, 0.0, 0.0], 2.0), 12)
    0.0
    >>> round(entropic_risk([1.0, -1.0], 1.0), 6)  # log(cosh(1))
    0.433781
    """
    return _entropic(pnl, risk_aversion)


@validate_params(pnl=PNL, alpha=LEVEL)
def expected_shortfall(pnl: Any, alpha: float = 0.05) -> float:
    r"""Expected shortfall (CVaR) at tail level ``alpha`` of the empirical P&L.

    .. math:: \mathrm{ES}_\alpha(X) = \frac{1}{n\alpha}\Big(\sum_{i \le k} L_{(i)}
       + (n\alpha - k) L_{(k+1)}\Big), \quad k = \lfloor n\alpha \rfloor,

    with :math:`L_{(1)} \ge L_{(2)} \ge \dots` the losses :math:`L = -X` sorted from the
    worst. When :math:`n\alpha` is an integer it is the plain average of the
    :math:`n\alpha` worst losses.

    Parameters
    ----------
    pnl : array_like of shape (n,)
        P&L sample (a gain).
    alpha : float in (0, 1], default 0.05
        Tail probability. ``alpha = 1`` gives ``-mean(pnl)``; ``alpha <= 1/n`` the
        worst loss.

    Returns
    -------
    float

    Guarantee
    ---------
    Equals the OCE with loss :math:`x^+/\alpha`, i.e.
    :math:`\min_w \{w + E[(-X-w)^+]/\alpha\}` (Rockafellar and Uryasev 2002, Thm. 1),
    and is a coherent risk measure (Acerbi and Tasche 2002). Tested by
    ``tests/finance_apps/test_risk_measures.py::test_cvar_equals_rockafellar_uryasev_minimum_on_a_grid``,
    ``tests/finance_apps/test_risk_measures.py::test_cvar_equals_tail_average_of_worst_k`` (brute force over subsets), and for
    coherence ``tests/finance_apps/test_risk_measures.py::test_monotone``, ``tests/finance_apps/test_risk_measures.py::test_cash_invariant``, ``tests/finance_apps/test_risk_measures.py::test_convex`` and
    ``tests/finance_apps/test_risk_measures.py::test_expected_shortfall_is_positively_homogeneous``.

    References
    ----------
    C. Acerbi and D. Tasche, "On the coherence of expected shortfall", Journal of
    Banking & Finance 26, 1487-1503, 2002.

    Examples
    --------
    >>> expected_shortfall([3.0, -1.0, 0.0, -5.0], alpha=0.5)  # mean of losses 5 and 1
    3.0
    """
    return _shortfall(pnl, alpha)


@validate_params(risk_aversion=RISK_AVERSION)
def entropic_loss(risk_aversion: float) -> Callable[[np.ndarray], np.ndarray]:
    r"""The OCE loss :math:`\ell(x) = (e^{a x} - 1)/a` of the entropic risk.

    ``risk_aversion`` is any ``a > 0``; where ``|a x| < 1e-5`` the loss is computed as
    ``x (1 + a x / 2 + (a x)^2 / 6)`` (exact to rounding, without dividing by a tiny
    ``a``).

    Examples
    --------
    >>> float(entropic_loss(2.0)(np.array([0.0]))[0])
    0.0
    """
    a = risk_aversion

    def loss(x: np.ndarray) -> np.ndarray:
        u = np.asarray(x, dtype=float)
        with np.errstate(over="ignore", invalid="ignore"):
            y = a * u
            big = np.expm1(y) / a
            return np.where(np.abs(y) < 1e-5, u * (1.0 + y / 2.0 + y * y / 6.0), big)

    return loss


@validate_params(alpha=LEVEL)
def shortfall_loss(alpha: float) -> Callable[[np.ndarray], np.ndarray]:
    r"""The OCE loss :math:`\ell(x) = x^+/\alpha` of the expected shortfall.

    Examples
    --------
    >>> shortfall_loss(0.5)(np.array([-1.0, 2.0])).tolist()
    [0.0, 4.0]
    """
    a = alpha

    def loss(x: np.ndarray) -> np.ndarray:
        return np.maximum(np.asarray(x, dtype=float), 0.0) / a

    return loss


@validate_params(pnl=PNL, loss=_LOSS, epsilon=Real(0.0, None, closed="neither"))
def oce_risk(pnl: Any, loss: Callable[[np.ndarray], np.ndarray], *, epsilon: float = 1e-10) -> float:
    r"""Optimized certainty equivalent :math:`\inf_w \{w + E[\ell(-X - w)]\}`.

    The objective is convex in :math:`w`; with :math:`\ell(x) \ge x` and
    :math:`\ell` non-decreasing its minimiser lies between the smallest and the
    largest loss, where it is found by bounded scalar minimisation (Brent), and the
    end points are compared as well so that piecewise-linear losses (CVaR) are exact.

    Parameters
    ----------
    pnl : array_like of shape (n,)
        P&L sample.
    loss : callable
        Vectorised :math:`\ell`, convex and non-decreasing with :math:`\ell(0) = 0`, such
        as :func:`entropic_loss` or :func:`shortfall_loss`.
    epsilon : float > 0, default 1e-10
        Absolute tolerance of the scalar minimisation in :math:`w`. Brent's method adds
        the relative floor ``sqrt(eps) |w|`` to it and stops after 500 iterations, so
        a tolerance below what float64 resolves cannot make it run on.

    Raises
    ------
    InvalidParameterError
        When the objective is not finite on the sample (the loss overflows or returns
        NaN, names ``loss``).

    Returns
    -------
    float

    Guarantee
    ---------
    Monotone, cash-invariant and convex for every such :math:`\ell` (Ben-Tal and
    Teboulle 2007, Thm. 2.1); equals :func:`entropic_risk` and
    :func:`expected_shortfall` for their losses. Tested by ``tests/finance_apps/test_risk_measures.py::test_monotone``,
    ``tests/finance_apps/test_risk_measures.py::test_cash_invariant`` and ``tests/finance_apps/test_risk_measures.py::test_convex`` (an OCE with a quadratic loss),
    ``tests/finance_apps/test_risk_measures.py::test_oce_of_exponential_loss_is_entropic``,
    ``tests/finance_apps/test_risk_measures.py::test_oce_of_shortfall_loss_is_cvar`` and ``tests/finance_apps/test_risk_measures.py::test_oce_minimum_matches_dense_grid``.

    References
    ----------
    A. Ben-Tal and M. Teboulle, "An old-new concept of convex risk measures: the
    optimized certainty equivalent", Mathematical Finance 17(3), 449-476, 2007.

    Examples
    --------
    >>> x = np.array([1.0, -1.0, 0.5, -2.0])
    >>> round(oce_risk(x, shortfall_loss(0.5)), 8) == round(expected_shortfall(x, 0.5), 8)
    True
    """
    losses = -pnl

    def objective(w: float) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return float(w + np.mean(loss(losses - w)))

    lo, hi = float(losses.min()), float(losses.max())
    candidates = [lo, hi]
    if not math.isfinite(hi - lo):
        raise InvalidParameterError("pnl", "the range of the sample overflows float64; rescale the P&L")
    if hi > lo:
        with np.errstate(over="ignore", invalid="ignore"):  # P&Ls near 1e300: Brent's parabola overflows
            res = minimize_scalar(
                objective, bounds=(lo, hi), method="bounded", options={"xatol": epsilon, "maxiter": 500}
            )
        candidates.append(float(res.x))
        # piecewise-linear losses are minimised at a sample point: check the nearest ones
        order = np.sort(losses)
        j = int(np.searchsorted(order, res.x))
        candidates += [float(v) for v in order[max(j - 2, 0) : j + 2]]
    values = [objective(w) for w in candidates]
    value = min(values)
    if not math.isfinite(value):
        raise InvalidParameterError("loss", "the OCE objective is not finite on this sample (overflow in the loss?)")
    return value


@validate_params(risk_with_claim=Real(), risk_without_claim=Real())
def indifference_price(risk_with_claim: float, risk_without_claim: float = 0.0) -> float:
    r"""Indifference price :math:`p(Z) = \pi(-Z) - \pi(0)`.

    Parameters
    ----------
    risk_with_claim : float
        :math:`\pi(-Z)`: the risk of the optimally hedged short position in the claim,
        *without* premium (for example the final training risk of
        :func:`finance_apps.deep.train_hedger` with ``premium = 0``).
    risk_without_claim : float, default 0.0
        :math:`\pi(0)`: the risk of optimally trading with no claim. It is 0 when the
        hedging instruments are martingales and trading costs are non-negative
        (not trading is then optimal), and non-positive in general.

    Returns
    -------
    float
        The cash amount that makes the seller indifferent: by cash invariance,
        :math:`\pi(-Z + p(Z)) = \pi(0)`.

    References
    ----------
    H. Buehler, L. Gonon, J. Teichmann and B. Wood, "Deep hedging", Quantitative
    Finance 19(8), 2019, Definition 3.4.

    Examples
    --------
    >>> indifference_price(0.5, 0.25)
    0.25
    """
    price = risk_with_claim - risk_without_claim
    if not math.isfinite(price):
        raise InvalidParameterError("risk_with_claim", "the difference of the two risks overflows float64")
    return price


# ----------------------------------------------------------------------------- classes
@validate_params(risk_aversion=RISK_AVERSION)
@dataclass(frozen=True)
class EntropicRisk:
    """Entropic risk with risk aversion ``a`` as a callable object (numpy and torch).

    Parameters
    ----------
    risk_aversion : float
        :math:`a > 0`; see :func:`entropic_risk`.

    Examples
    --------
    >>> EntropicRisk(1.0)(np.array([0.0, 0.0]))
    0.0
    """

    risk_aversion: float = 1.0

    def __call__(self, pnl: Any) -> float:
        """Risk of a numpy P&L sample of shape (n,)."""
        return _entropic(PNL.check(pnl, "pnl"), self.risk_aversion)

    def torch(self, pnl: Any) -> Any:
        """Differentiable risk of a torch P&L tensor of shape (n,) (:func:`finance_apps.deep.entropic_risk_torch`)."""
        from finance_apps.deep.risk_measures import entropic_risk_torch

        return entropic_risk_torch(pnl, self.risk_aversion)

    @property
    def name(self) -> str:
        """Short label, e.g. ``"entropic(a=1)"``."""
        return f"entropic(a={self.risk_aversion:g})"


@validate_params(alpha=LEVEL)
@dataclass(frozen=True)
class ExpectedShortfall:
    """Expected shortfall at tail level ``alpha`` as a callable object (numpy and torch).

    Parameters
    ----------
    alpha : float in (0, 1]
        Tail probability; see :func:`expected_shortfall`.

    Examples
    --------
    >>> ExpectedShortfall(0.5)(np.array([1.0, -1.0]))
    1.0
    """

    alpha: float = 0.05

    def __call__(self, pnl: Any) -> float:
        """Risk of a numpy P&L sample of shape (n,)."""
        return _shortfall(PNL.check(pnl, "pnl"), self.alpha)

    def torch(self, pnl: Any) -> Any:
        """Differentiable risk of a torch P&L tensor of shape (n,) (:func:`finance_apps.deep.expected_shortfall_torch`)."""
        from finance_apps.deep.risk_measures import expected_shortfall_torch

        return expected_shortfall_torch(pnl, self.alpha)

    @property
    def name(self) -> str:
        """Short label, e.g. ``"ES(0.05)"``."""
        return f"ES({self.alpha:g})"


@validate_params(loss=_LOSS, label=Instance(str, what="a str"))
@dataclass(frozen=True)
class OCERisk:
    """Optimized certainty equivalent of a loss function (numpy only).

    Parameters
    ----------
    loss : callable
        Vectorised convex non-decreasing :math:`\\ell` with :math:`\\ell(0) = 0`.
    label : str, default "OCE"
        Name used in tables.

    Examples
    --------
    >>> r = OCERisk(shortfall_loss(1.0))
    >>> round(r(np.array([1.0, 3.0])), 8)
    -2.0
    """

    loss: Callable[[np.ndarray], np.ndarray]
    label: str = "OCE"

    def __call__(self, pnl: Any) -> float:
        """Risk of a numpy P&L sample of shape (n,)."""
        return oce_risk(pnl, self.loss)  # validates the sample

    @property
    def name(self) -> str:
        """The label."""
        return self.label
