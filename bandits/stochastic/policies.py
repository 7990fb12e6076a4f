"""Stochastic and adversarial bandit policies.

Every policy follows one small protocol, :class:`BanditPolicy`, which is all the Python
path of :func:`bandits.simulate` needs, so a user-defined policy runs through the same
engine as the built-in ones:

``reset(n_arms, horizon)``
    Forget everything; a new run of ``horizon`` rounds on ``n_arms`` arms starts.
``select(t, rng) -> int``
    The arm to pull at round ``t`` (``t = 1 .. horizon``), drawing any randomness it
    needs from ``rng`` (a :class:`numpy.random.Generator` owned by the run).
``update(arm, reward, rng)``
    Observe the reward of the pulled arm.

The built-in policies additionally carry a compiled twin (``kernel_spec``), used by
the Numba path. Both paths execute the same per-step code (see
:mod:`bandits.stochastic._kernels`) and draw from the same per-run generator in the same order,
so their trajectories are identical for a given seed.

==========================  ================================  ===============================
policy                      index / rule                      guarantee (bound function)
==========================  ================================  ===============================
:class:`ExploreThenCommit`  ``m`` pulls per arm, then commit  :func:`etc_regret_bound`
:class:`EpsilonGreedy`      explore with probability eps_t    Auer et al. 2002, Thm 3
:class:`UCB1`               ``mu + sqrt(2 ln n / n_k)``       :func:`ucb1_regret_bound`
:class:`UCBV`               empirical-Bernstein bonus         Audibert et al. 2009, Thm 1
:class:`KLUCB`              ``n_k kl(mu, q) <= ln t + c..``   :func:`klucb_regret_bound`
:class:`MOSS`               ``mu + sqrt(ln+(T/(K n_k))/n_k)`` :func:`moss_regret_bound`
:class:`ThompsonBeta`       Beta-Bernoulli posterior sample   :func:`thompson_regret_bound`
:class:`ThompsonGaussian`   Gaussian posterior sample         Agrawal and Goyal 2013
:class:`EXP3`               exponential weights, gamma mix    :func:`exp3_regret_bound`
==========================  ================================  ===============================

The non-stationary policies (discounted and sliding-window UCB) are in
:mod:`bandits.stochastic.nonstationary`; they share the base class and the compiled engine.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from bandits.stochastic import _kernels as _k
from bandits._constraints import MAX_HORIZON, POSITIVE
from bandits.stochastic._kernels import _py
from rlcore.validation import (
    MAX_SAMPLES,
    Integer,
    InvalidParameterError,
    Options,
    Real,
    check_int,
    validate_params,
)

__all__ = [
    "EXP3",
    "KLUCB",
    "MOSS",
    "UCB1",
    "UCBV",
    "BanditPolicy",
    "EpsilonGreedy",
    "ExploreThenCommit",
    "ThompsonBeta",
    "ThompsonGaussian",
]


@runtime_checkable
class BanditPolicy(Protocol):
    """The protocol the Python path of :func:`bandits.simulate` drives.

    Examples
    --------
    A user-defined policy (round-robin) needs three methods:

    >>> class RoundRobin:
    ...     def reset(self, n_arms, horizon): self.K = n_arms
    ...     def select(self, t, rng): return (t - 1) % self.K
    ...     def update(self, arm, reward, rng): pass
    >>> isinstance(RoundRobin(), BanditPolicy)
    True
    """

    def reset(self, n_arms: int, horizon: int) -> None:
        """Start a new run."""
        ...

    def select(self, t: int, rng: np.random.Generator) -> int:
        """Arm to pull at round ``t`` (1-based)."""
        ...

    def update(self, arm: int, reward: float, rng: np.random.Generator) -> None:
        """Observe ``reward`` for ``arm``."""
        ...


#: Smallest ``d`` of epsilon-greedy's schedule ``c K / (d^2 t)``: below, ``d^2``
#: underflows to 0 in float64.
_D_FLOOR = 1e-150


class _BuiltinPolicy:
    """Shared machinery of the built-in policies (state arrays and the compiled twin)."""

    _code: int = -1
    #: The rewards the policy's update is defined for (None: any real reward). A policy
    #: that binarises rewards or uses a Bernoulli KL needs rewards in ``[0, 1]``;
    #: :func:`bandits.simulate` refuses an environment that pays outside this range.
    reward_range: tuple[float, float] | None = None

    def _params(self) -> np.ndarray:
        return np.zeros(4)

    def kernel_spec(self) -> tuple[int, np.ndarray]:
        """``(policy code, float parameters)`` for the compiled engine."""
        p = np.zeros(4)
        given = self._params()
        p[: given.size] = given
        return self._code, p

    def reset(self, n_arms: int, horizon: int) -> None:
        """Start a new run (state arrays of length ``n_arms``)."""
        n_arms = check_int(n_arms, "n_arms", low=1, high=MAX_SAMPLES)
        self._fp = self.kernel_spec()[1]
        self._T = check_int(horizon, "horizon", low=1, high=MAX_HORIZON)
        self.counts = np.zeros(n_arms)
        self.sums = np.zeros(n_arms)
        self._aux = np.zeros(n_arms)
        self._scratch = np.zeros(int(_k.scratch_size(self._code, self._fp, n_arms, self._T)))

    def select(self, t: int, rng: np.random.Generator) -> int:
        """Arm to pull at round ``t`` (same code as the compiled engine, interpreted)."""
        return int(
            _py(_k.select_arm)(self._code, self._fp, t, self._T, self.counts, self.sums, self._aux, self._scratch, rng)
        )

    def update(self, arm: int, reward: float, rng: np.random.Generator) -> None:
        """Observe ``reward`` for ``arm``."""
        _py(_k.update_state)(
            self._code, self._fp, arm, float(reward), self.counts, self.sums, self._aux, self._scratch, rng
        )

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k not in ("counts", "sums")
        )
        return f"{type(self).__name__}({fields})"


@validate_params(m=Integer(1, MAX_SAMPLES))
class ExploreThenCommit(_BuiltinPolicy):
    """Explore-then-commit: pull every arm ``m`` times round-robin, then the best mean.

    Parameters
    ----------
    m : int in [1, 10**12]
        Pulls per arm in the exploration phase.

    Guarantee
    ---------
    For 1-subgaussian rewards and ``1 <= m <= n / K``, the expected regret after ``n``
    rounds is at most ``m sum_i Delta_i + (n - m K) sum_i Delta_i exp(-m Delta_i^2 / 4)``
    (Lattimore and Szepesvari 2020, Theorem 6.1); :func:`bandits.etc_regret_bound`.
    Tested by
    ``tests/bandits/test_regret.py::test_moss_and_etc_mean_regret_below_their_bounds``.

    References
    ----------
    T. Lattimore and C. Szepesvari, *Bandit Algorithms*, CUP 2020, chapter 6.

    Examples
    --------
    >>> float(ExploreThenCommit(m=10).kernel_spec()[1][0])
    10.0
    """

    _code = _k.ETC

    def __init__(self, m: int) -> None:
        self.m: int = m

    def _params(self) -> np.ndarray:
        return np.array([float(self.m)])


@validate_params(epsilon=Real(0, 1), c=POSITIVE | None, d=Real(_D_FLOOR, 1) | None)
class EpsilonGreedy(_BuiltinPolicy):
    """Epsilon-greedy: a uniformly random arm with probability ``eps_t``, else the best mean.

    Unplayed arms count as best (so each arm is tried once greedily). ``eps_t`` is the
    constant ``epsilon``, or Auer et al.'s schedule ``min(1, c K / (d^2 t))`` when ``c``
    is given.

    Parameters
    ----------
    epsilon : float in [0, 1]
    c, d : float, optional
        Schedule constants, both or neither: ``c > 0`` and ``d`` in ``[1e-150, 1]``
        (below ``1e-150``, ``d^2`` underflows to 0 in float64).

    Guarantee
    ---------
    With the schedule, ``c > 5`` and ``0 < d <= min_i Delta_i``, the probability of
    pulling a given suboptimal arm at round ``t >= cK/d^2`` is at most ``c / (d^2 t)``
    (its share of the exploration, ``eps_t / K``) plus terms that vanish faster than
    ``1 / t``, for rewards in ``[0, 1]``, so the regret is logarithmic (Auer,
    Cesa-Bianchi and Fischer 2002, Theorem 3). A constant ``epsilon > 0`` pulls each
    suboptimal arm a fraction ``epsilon / K`` of the rounds: linear regret.
    Tested by
    ``tests/bandits/test_regret.py::test_epsilon_greedy_schedule_pulls_each_suboptimal_arm_at_rate_c_over_d2_t``
    and
    ``tests/bandits/test_regret.py::test_problem_dependent_regret_grows_logarithmically``.

    References
    ----------
    P. Auer, N. Cesa-Bianchi, P. Fischer, Finite-time analysis of the multiarmed bandit
    problem, *Machine Learning* 47, 2002.

    Examples
    --------
    >>> EpsilonGreedy(c=6.0, d=0.1).kernel_spec()[1][:3].tolist()
    [0.0, 6.0, 0.1]
    """

    _code = _k.EPS_GREEDY

    def __init__(self, epsilon: float = 0.1, *, c: float | None = None, d: float | None = None) -> None:
        if (c is None) != (d is None):
            raise InvalidParameterError("c" if c is None else "d", "the schedule needs both c and d (or neither)")
        self.epsilon = epsilon
        self.c = c
        self.d = d
        if self.c is not None:
            self.epsilon = 0.0

    def _params(self) -> np.ndarray:
        return np.array([self.epsilon, self.c or 0.0, self.d or 1.0])


@validate_params()
class UCB1(_BuiltinPolicy):
    """UCB1: pull each arm once, then ``argmax_k mu_k + sqrt(2 ln n / n_k)``.

    ``n`` is the number of plays so far, ``n_k`` those of arm ``k``, ``mu_k`` its mean.

    Guarantee
    ---------
    For rewards in ``[0, 1]``, the expected (pseudo-)regret after any number ``n`` of
    plays is at most ``sum_{i: Delta_i > 0} 8 ln n / Delta_i + (1 + pi^2 / 3)
    sum_i Delta_i`` (Auer, Cesa-Bianchi and Fischer 2002, Theorem 1);
    :func:`bandits.ucb1_regret_bound`.
    Tested by ``tests/bandits/test_regret.py::test_ucb1_mean_regret_below_theorem_1``,
    ``tests/bandits/test_regret.py::test_ucb1_mean_regret_below_theorem_1_on_drawn_instances``
    and ``tests/bandits/test_regret.py::test_ucb1_regret_grows_logarithmically``.

    References
    ----------
    P. Auer, N. Cesa-Bianchi, P. Fischer, Finite-time analysis of the multiarmed bandit
    problem, *Machine Learning* 47, 235-256, 2002.

    Examples
    --------
    >>> from bandits import BernoulliBandit, simulate
    >>> res = simulate(BernoulliBandit([0.3, 0.6]), UCB1(), horizon=200, n_runs=5, rng=0)
    >>> res.pseudo_regret.shape
    (5, 200)
    """

    _code = _k.UCB1

    def __init__(self) -> None:
        """UCB1 has no parameters."""


@validate_params(zeta=POSITIVE, b=POSITIVE, c=POSITIVE)
class UCBV(_BuiltinPolicy):
    """UCB-V: the empirical-Bernstein index of Audibert, Munos and Szepesvari.

    Index ``mu_k + sqrt(2 V_k E / n_k) + c 3 b E / n_k`` with ``E = zeta ln n``,
    ``V_k`` the empirical variance and ``b`` the range of the rewards (``[0, b]``).

    Parameters
    ----------
    zeta : float > 0
        Exploration (1.2 in the paper's experiments; the guarantee needs ``zeta > 1``).
    b : float > 0
    c : float > 0

    Guarantee
    ---------
    For rewards in ``[0, b]``, ``c = 1`` and ``zeta > 1``, the expected number of pulls
    of a suboptimal arm ``k`` is at most ``c_zeta (sigma_k^2 / Delta_k^2 + 2 b /
    Delta_k) ln n`` for a constant ``c_zeta`` (Audibert, Munos and Szepesvari 2009,
    Theorem 3): variance-adaptive, better than UCB1 for low-variance arms.
    Tested by
    ``tests/bandits/test_regret.py::test_problem_dependent_regret_grows_logarithmically``
    (the ``ln n`` growth) and
    ``tests/bandits/test_regret.py::test_ucbv_beats_ucb1_on_low_variance_arms`` (the
    variance adaptation).

    References
    ----------
    J.-Y. Audibert, R. Munos, C. Szepesvari, Exploration-exploitation tradeoff using
    variance estimates in multi-armed bandits, *Theoretical Computer Science* 410, 2009.

    Examples
    --------
    >>> UCBV().kernel_spec()[1][:3].tolist()
    [1.2, 1.0, 1.0]
    """

    _code = _k.UCBV

    def __init__(self, zeta: float = 1.2, *, b: float = 1.0, c: float = 1.0) -> None:
        self.zeta = zeta
        self.b = b
        self.c = c

    def _params(self) -> np.ndarray:
        return np.array([self.zeta, self.b, self.c])


@validate_params(c=Real(0, None), kl=Options("bernoulli", "gaussian"), sigma=POSITIVE)
class KLUCB(_BuiltinPolicy):
    """KL-UCB: the largest ``q >= mu_k`` with ``n_k kl(mu_k, q) <= ln t + c ln ln t``.

    ``t`` is the number of plays so far. For ``kl="bernoulli"`` the index is solved by
    a safeguarded Newton iteration (see :func:`bandits.klucb_index`); for
    ``kl="gaussian"`` (``kl(p, q) = (p - q)^2 / (2 sigma^2)``) it is the closed form
    ``mu_k + sigma sqrt(2 (ln t + c ln ln t) / n_k)``.

    Parameters
    ----------
    c : float >= 0
        The paper proves its theorem for ``c = 3`` and recommends ``c = 0`` in practice.
    kl : {"bernoulli", "gaussian"}
    sigma : float > 0
        Noise level of the Gaussian KL.

    Guarantee
    ---------
    For Bernoulli rewards (rewards in ``[0, 1]``) and ``c = 3``,
    ``limsup E[R_n] / ln n <= sum_{i: Delta_i > 0} Delta_i / kl(mu_i, mu*)``, which
    matches the Lai-Robbins lower bound: KL-UCB is asymptotically optimal (Garivier and
    Cappe 2011, Theorems 1 and 2); :func:`bandits.klucb_asymptotic_constant`. For
    ``c >= 3`` and every horizon, :func:`bandits.klucb_regret_bound` gives an explicit
    finite-time bound (a corollary of Lattimore and Szepesvari 2020, Theorem 10.6).
    Tested by
    ``tests/bandits/test_bounds.py::test_klucb_and_thompson_mean_regret_below_their_bounds``,
    ``tests/bandits/test_bounds.py::test_klucb_mean_regret_below_its_bound_on_small_means_at_a_longer_horizon``
    (the finite-time bound) and
    ``tests/bandits/test_regret.py::test_thompson_and_klucb_close_to_the_lai_robbins_rate``
    (the asymptotic rate).

    References
    ----------
    A. Garivier, O. Cappe, The KL-UCB algorithm for bounded stochastic bandits and
    beyond, *COLT* 2011.

    Examples
    --------
    >>> KLUCB(c=3.0).kernel_spec()[1][:2].tolist()
    [3.0, 0.0]
    """

    _code = _k.KLUCB

    def __init__(self, c: float = 0.0, *, kl: str = "bernoulli", sigma: float = 1.0) -> None:
        self.c = c
        self.kl = kl
        self.sigma = sigma

    @property
    def reward_range(self) -> tuple[float, float] | None:  # type: ignore[override]
        """``(0, 1)`` with the Bernoulli KL (defined for means in ``[0, 1]``), else None."""
        return (0.0, 1.0) if self.kl == "bernoulli" else None

    def _params(self) -> np.ndarray:
        return np.array([self.c, self.sigma if self.kl == "gaussian" else 0.0])


@validate_params()
class MOSS(_BuiltinPolicy):
    """MOSS: ``argmax_k mu_k + sqrt(max(ln(T / (K n_k)), 0) / n_k)``, horizon ``T`` known.

    Guarantee
    ---------
    For rewards in ``[0, 1]``, the expected pseudo-regret after ``n`` rounds is at most
    ``49 sqrt(n K)`` (Audibert and Bubeck 2009, Theorem 5): minimax-optimal up to a
    constant; :func:`bandits.moss_regret_bound`.
    Tested by
    ``tests/bandits/test_regret.py::test_moss_and_etc_mean_regret_below_their_bounds``.

    References
    ----------
    J.-Y. Audibert, S. Bubeck, Minimax policies for adversarial and stochastic bandits,
    *COLT* 2009.

    Examples
    --------
    >>> MOSS().kernel_spec()[0] == MOSS._code
    True
    """

    _code = _k.MOSS

    def __init__(self) -> None:
        """MOSS has no parameters (it reads the horizon at reset)."""


@validate_params()
class ThompsonBeta(_BuiltinPolicy):
    """Thompson sampling with Beta(1, 1) priors on Bernoulli arms.

    Samples ``theta_k ~ Beta(1 + S_k, 1 + n_k - S_k)`` and pulls the largest. Rewards
    in ``(0, 1)`` are binarised (a success with probability equal to the reward,
    Agrawal and Goyal 2012), so the policy applies to any ``[0, 1]`` rewards.

    Guarantee
    ---------
    For Bernoulli arms, ``E[N_n(i)] <= (1 + eps) ln n / kl(mu_i, mu*) + C(eps, mu)``
    for every ``eps > 0``: asymptotically optimal (Kaufmann, Korda and Munos 2012,
    Theorem 1; Agrawal and Goyal 2013). :func:`bandits.thompson_regret_bound`
    evaluates a finite-time bound at a given horizon (the generic Thompson-sampling
    lemma of Lattimore and Szepesvari 2020, Theorem 36.2, computed exactly for Beta
    posteriors).
    Tested by
    ``tests/bandits/test_bounds.py::test_klucb_and_thompson_mean_regret_below_their_bounds``,
    ``tests/bandits/test_bounds.py::test_klucb_and_thompson_below_their_bounds_on_drawn_instances``
    (the finite-time bound) and
    ``tests/bandits/test_regret.py::test_thompson_and_klucb_close_to_the_lai_robbins_rate``
    (the asymptotic rate).

    References
    ----------
    E. Kaufmann, N. Korda, R. Munos, Thompson sampling: an asymptotically optimal
    finite-time analysis, *ALT* 2012. S. Agrawal, N. Goyal, Analysis of Thompson
    sampling for the multi-armed bandit problem, *COLT* 2012.

    Examples
    --------
    >>> ThompsonBeta().kernel_spec()[0] == ThompsonBeta._code
    True
    """

    _code = _k.TS_BETA
    reward_range = (0.0, 1.0)  # successes are binarised rewards: a reward above 1 would count as a failure

    def __init__(self) -> None:
        """Beta(1, 1) priors; no parameters."""


@validate_params(sigma=POSITIVE)
class ThompsonGaussian(_BuiltinPolicy):
    """Thompson sampling with Gaussian posteriors ``N(S_k / (n_k + 1), sigma^2 / (n_k + 1))``.

    Parameters
    ----------
    sigma : float > 0
        Posterior scale (the noise level; 1 in Agrawal and Goyal's analysis).

    Guarantee
    ---------
    For rewards in ``[0, 1]`` and ``sigma = 1``, the expected regret is
    ``O(sum_i ln(T Delta_i^2) / Delta_i)`` and ``O(sqrt(K T ln K))`` problem-independently
    (Agrawal and Goyal 2013, Theorems 1.2 and 1.3).
    Tested by
    ``tests/bandits/test_regret.py::test_problem_dependent_regret_grows_logarithmically``
    (the problem-dependent ``ln T`` growth; the constants are unstated).

    References
    ----------
    S. Agrawal, N. Goyal, Further optimal regret bounds for Thompson sampling,
    *AISTATS* 2013.

    Examples
    --------
    >>> float(ThompsonGaussian(sigma=0.5).kernel_spec()[1][0])
    0.5
    """

    _code = _k.TS_GAUSS

    def __init__(self, sigma: float = 1.0) -> None:
        self.sigma = sigma

    def _params(self) -> np.ndarray:
        return np.array([self.sigma])


@validate_params(gamma=Real(0, 1, closed="right"))
class EXP3(_BuiltinPolicy):
    """EXP3: exponential weights on importance-weighted rewards, mixed with uniform.

    ``p_i = (1 - gamma) w_i / sum_j w_j + gamma / K``; after pulling ``i`` and seeing
    ``x``, ``w_i <- w_i exp(gamma x / (p_i K))`` (weights kept as logarithms).

    Parameters
    ----------
    gamma : float in (0, 1]
        Exploration; :func:`bandits.exp3_gamma` gives the tuned value for a horizon.

    Guarantee
    ---------
    Against any oblivious reward table in ``[0, 1]``,
    ``G_max - E[G_EXP3] <= (e - 1) gamma G_max + K ln K / gamma`` (Auer, Cesa-Bianchi,
    Freund and Schapire 2002, Theorem 3.1); with the tuned ``gamma`` and ``g >= G_max``
    this is ``2 sqrt(e - 1) sqrt(g K ln K)`` (Corollary 3.2);
    :func:`bandits.exp3_regret_bound`.
    Tested by
    ``tests/bandits/test_regret.py::test_exp3_regret_below_theorem_3_1_on_oblivious_tables``.

    References
    ----------
    P. Auer, N. Cesa-Bianchi, Y. Freund, R. E. Schapire, The nonstochastic multiarmed
    bandit problem, *SIAM J. Computing* 32(1), 2002.

    Examples
    --------
    >>> EXP3(gamma=0.1).gamma
    0.1
    """

    _code = _k.EXP3

    def __init__(self, gamma: float) -> None:
        self.gamma = gamma

    def _params(self) -> np.ndarray:
        return np.array([self.gamma])
