"""bandits.linear: linear bandits on a finite action set, OFUL (LinUCB) and linear Thompson sampling.

Arm ``a`` has a feature vector ``x_a`` in ``R^d`` and mean reward ``<x_a, theta*>``;
rewards carry conditionally ``R``-subgaussian noise. After ``t`` rounds the
regularised least-squares estimate is ``theta_t = V_t^{-1} sum_s X_s x_s`` with the
design matrix ``V_t = lam I + sum_s x_s x_s^T``.

Confidence ellipsoid (Abbasi-Yadkori, Pal and Szepesvari 2011, Theorem 2): with
probability at least ``1 - delta``, for all ``t >= 0``,
``||theta_t - theta*||_{V_t} <= sqrt(beta_t)`` with

``sqrt(beta_t) = R sqrt(2 ln(det(V_t)^{1/2} det(lam I)^{-1/2} / delta)) + sqrt(lam) S``

(:func:`oful_radius`). Two inequalities drive the regret analysis, and
:func:`elliptical_potential` returns both sides of each:

* elliptical potential lemma: ``sum_t min(1, ||x_t||^2_{V_{t-1}^{-1}}) <=
  2 ln(det V_n / det(lam I))`` (Abbasi-Yadkori et al. 2011, Lemma 11; Lattimore and
  Szepesvari 2020, Lemma 19.4);
* determinant-trace inequality: ``ln det V_n <= d ln(trace(V_n) / d) <=
  d ln(lam + n L^2 / d)`` when ``||x_t|| <= L`` (Lemma 10 of the same paper).

==========================  ==========================================================
module                      contents
==========================  ==========================================================
:mod:`.environment`         :class:`LinearBandit` (a :class:`bandits.BanditEnvironment`)
:mod:`.policies`            :class:`OFUL`, :class:`LinearThompson`, :func:`oful_radius`
:mod:`.bounds`              :func:`oful_regret_bound`, :func:`elliptical_potential`,
                            :class:`EllipticalPotential`
==========================  ==========================================================

The policies follow the :class:`bandits.BanditPolicy` protocol and run on the Python path
of :func:`bandits.simulate`.

References
----------
Y. Abbasi-Yadkori, D. Pal, C. Szepesvari, Improved algorithms for linear stochastic
bandits, *NeurIPS* 2011. S. Agrawal, N. Goyal, Thompson sampling for contextual bandits
with linear payoffs, *ICML* 2013.
"""

from bandits.linear.bounds import EllipticalPotential, elliptical_potential, oful_regret_bound
from bandits.linear.environment import LinearBandit
from bandits.linear.policies import OFUL, LinearThompson, oful_radius

__all__ = [
    "OFUL",
    "EllipticalPotential",
    "LinearBandit",
    "LinearThompson",
    "elliptical_potential",
    "oful_radius",
    "oful_regret_bound",
]
