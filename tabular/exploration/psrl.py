"""PSRL: posterior sampling for reinforcement learning (Osband, Russo and Van Roy 2013).

At the start of every episode PSRL draws one MDP from the posterior over MDPs given all
the data so far, computes that MDP's optimal (H, S) policy by backward induction and
plays it for the whole episode. Exploration comes from the posterior's spread alone: no
bonus, no confidence set.

The posterior is conjugate and factorises over ``(h, s, a)`` (``h`` is pooled to one
index when ``stage_dependent=False``):

* transitions: the row ``P(. | s, a)`` has a ``Dirichlet(alpha0 + N(s, a, .))``
  posterior, ``alpha0 = transition_prior`` on every next state;
* rewards: the rewards observed at ``(s, a)`` are modelled as i.i.d.
  ``N(mu, 1 / tau)`` with a Normal-Gamma prior ``(mu0, kappa0, alpha0, beta0)``
  (``tau ~ Gamma(alpha0, rate beta0)``, ``mu | tau ~ N(mu0, 1 / (kappa0 tau))``).
  After ``n`` rewards with mean ``xbar``:

  .. math::

      \\kappa_n = \\kappa_0 + n, \\quad \\mu_n = \\frac{\\kappa_0 \\mu_0 + n \\bar x}{\\kappa_n},
      \\quad \\alpha_n = \\alpha_0 + \\frac n2,

      \\beta_n = \\beta_0 + \\frac12 \\sum_i (x_i - \\bar x)^2
          + \\frac{\\kappa_0 n (\\bar x - \\mu_0)^2}{2 \\kappa_n},

  and a draw is ``tau ~ Gamma(alpha_n, rate beta_n)``, ``mu ~ N(mu_n, 1/(kappa_n tau))``;
  the sampled MDP's expected reward at ``(s, a)`` is ``mu``.

Draw order (per episode, fixed, the same in :meth:`PSRL.begin_episode` and in the loop
kernel because both call the same compiled function): for ``h`` in ``0..Hs-1``, ``s`` in
``0..S-1``, ``a`` in ``0..A-1``: ``standard_gamma(alpha_n)``, ``standard_normal()``, then
``S`` draws ``standard_gamma(alpha0 + N(s, a, s'))`` normalised to the transition row.

Guarantee
---------
For any prior over MDPs with rewards in ``[0, 1]`` and episodes of fixed length ``H``,
the Bayesian expected regret of PSRL over ``T = K H`` steps is
``O(H S sqrt(A T log(S A T)))`` (Osband, Russo and Van Roy 2013, Theorem 1);
:func:`psrl_bayes_regret_bound` returns ``30 H S sqrt(A T log(S A T))``. The constant 30
is the explicit one we were told the paper's proof ends with; we could not read the
paper's text in this session, so it rests on that report and on the order
``O~(tau S sqrt(A T))`` stated in the paper's abstract. The bound is an expectation
under the prior, not a bound for a fixed MDP; the Normal-Gamma reward model also puts
mass outside ``[0, 1]`` (it is the model of the paper's experiments, not of the
theorem). A test on a fixed MDP is therefore a consistency check, not a proof: tested by
``tests/tabular/exploration/test_psrl.py::test_regret_below_bound_and_sublinear`` (mean
pseudo-regret over seeds below the bound, and sublinear), and the posterior by
``tests/tabular/exploration/test_psrl.py::test_posterior_matches_closed_form`` and
``tests/tabular/exploration/test_psrl.py::test_sampled_model_moments``.

References
----------
I. Osband, D. Russo, B. Van Roy, "(More) efficient reinforcement learning via posterior
sampling", NeurIPS 2013.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numba import njit

from rlcore.results import Result
from rlcore.validation import Array, Bool, Integer, InvalidParameterError, Real, validate_params
from tabular.exploration._kernels import (
    EpisodeLog,
    EpisodeTables,
    add_transitions,
    record_episode,
    simulate_episode,
)

__all__ = ["PSRL", "PSRLPosterior", "psrl_bayes_regret_bound"]

_MAX_DIM = 10**6
#: Largest model ``Hs * S * A * S`` accepted.
MAX_MODEL = 10**8
_POSITIVE = Real(0, None, closed="neither")


@dataclass(frozen=True, repr=False)
class PSRLPosterior(Result):
    """PSRL's posterior parameters (``Hs = H`` when stage dependent, else 1).

    Attributes
    ----------
    dirichlet : ndarray of float64, shape (Hs, S, A, S)
        ``alpha0 + N(s, a, s')``: the Dirichlet parameters of each transition row.
    mu, kappa, alpha, beta : ndarray of float64, shape (Hs, S, A)
        The Normal-Gamma parameters ``(mu_n, kappa_n, alpha_n, beta_n)`` of each reward.
    """

    dirichlet: np.ndarray
    mu: np.ndarray
    kappa: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray

    def __iter__(self) -> Iterator[np.ndarray]:
        """The five arrays in field order (``dirichlet, mu, kappa, alpha, beta``)."""
        return iter((self.dirichlet, self.mu, self.kappa, self.alpha, self.beta))


@njit(cache=True)
def _normal_gamma(n, rsum, rsq, mu0, kappa0, alpha0, beta0):  # pragma: no cover - compiled
    """Normal-Gamma posterior ``(mu_n, kappa_n, alpha_n, beta_n)`` from ``n``, ``sum x``, ``sum x^2``."""
    kappa = kappa0 + n
    mu = (kappa0 * mu0 + rsum) / kappa
    alpha = alpha0 + 0.5 * n
    beta = beta0
    if n > 0.0:
        xbar = rsum / n
        ss = rsq - rsum * xbar
        if ss < 0.0:  # rounding of sum x^2 - n xbar^2
            ss = 0.0
        d = xbar - mu0
        beta += 0.5 * ss + kappa0 * n * d * d / (2.0 * kappa)
    return mu, kappa, alpha, beta


@njit(cache=True)
def _posterior_arrays(N, Rsum, Rsq, mu0, kappa0, alpha0, beta0):  # pragma: no cover - compiled
    """Vectorised :func:`_normal_gamma` over (Hs, S, A)."""
    mu = np.empty(N.shape)
    kappa = np.empty(N.shape)
    alpha = np.empty(N.shape)
    beta = np.empty(N.shape)
    for h in range(N.shape[0]):
        for s in range(N.shape[1]):
            for a in range(N.shape[2]):
                m, k, al, b = _normal_gamma(N[h, s, a], Rsum[h, s, a], Rsq[h, s, a], mu0, kappa0, alpha0, beta0)
                mu[h, s, a] = m
                kappa[h, s, a] = k
                alpha[h, s, a] = al
                beta[h, s, a] = b
    return mu, kappa, alpha, beta


@njit(cache=True)
def _psrl_sample(N, Nsas, Rsum, Rsq, prior, gen, Ps, Rs):  # pragma: no cover - compiled
    """Draw one MDP from the posterior into ``Ps`` (Hs, S, A, S) and ``Rs`` (Hs, S, A).

    ``prior = (transition_prior, mu0, kappa0, alpha0, beta0)``.
    """
    a_p = prior[0]
    S = N.shape[1]
    for h in range(N.shape[0]):
        for s in range(S):
            for a in range(N.shape[2]):
                mu, kappa, alpha, beta = _normal_gamma(
                    N[h, s, a], Rsum[h, s, a], Rsq[h, s, a], prior[1], prior[2], prior[3], prior[4]
                )
                tau = gen.standard_gamma(alpha) / beta
                z = gen.standard_normal()
                if tau > 0.0:
                    Rs[h, s, a] = mu + z / math.sqrt(kappa * tau)
                else:  # Gamma draw underflowed: infinite variance, keep the sign of z
                    Rs[h, s, a] = mu + z * 1e300
                total = 0.0
                for s2 in range(S):
                    g = gen.standard_gamma(a_p + Nsas[h, s, a, s2])
                    Ps[h, s, a, s2] = g
                    total += g
                if total > 0.0:
                    for s2 in range(S):
                        Ps[h, s, a, s2] /= total
                else:  # every Gamma draw underflowed (tiny prior, no data): posterior mean
                    tot = S * a_p + N[h, s, a]
                    for s2 in range(S):
                        Ps[h, s, a, s2] = (a_p + Nsas[h, s, a, s2]) / tot


@njit(cache=True)
def _backward_induction(Ps, Rs, policy, V0):  # pragma: no cover - compiled
    """Optimal policy (H, S) of the model ``(Ps, Rs)`` (ties to the lowest action); ``V0`` <- ``V*_0``."""
    H, S = policy.shape
    A = Rs.shape[2]
    V = np.zeros(S)
    W = np.empty(S)
    for t in range(H - 1, -1, -1):
        h = t if Ps.shape[0] > 1 else 0
        for s in range(S):
            best = -np.inf
            best_a = 0
            for a in range(A):
                q = Rs[h, s, a]
                for s2 in range(S):
                    q += Ps[h, s, a, s2] * V[s2]
                if q > best:
                    best = q
                    best_a = a
            W[s] = best
            policy[t, s] = best_a
        V[:] = W
    V0[:] = V


@njit(cache=True)
def _psrl_plan(N, Nsas, Rsum, Rsq, prior, gen, Ps, Rs, policy, V0):  # pragma: no cover - compiled
    """One PSRL planning step: sample an MDP, solve it."""
    _psrl_sample(N, Nsas, Rsum, Rsq, prior, gen, Ps, Rs)
    _backward_induction(Ps, Rs, policy, V0)


@njit(cache=True)
def _psrl_loop(
    N,
    Nsas,
    Rsum,
    Rsq,
    prior,
    H,
    cdf,
    init_cdf,
    R,
    terminal,
    P,
    rho,
    vstar0,
    vstar_rho,
    gen,
    regret,
    returns,
    estimates,
    margins,
    s0,
    Ps,
    Rs,
    policy,
    V0,
):  # pragma: no cover - compiled
    """``K = regret.shape[0]`` PSRL episodes: plan, simulate, update, record."""
    states = np.empty(H + 1, np.int64)
    actions = np.empty(H, np.int64)
    rewards = np.empty(H)
    for k in range(regret.shape[0]):
        _psrl_plan(N, Nsas, Rsum, Rsq, prior, gen, Ps, Rs, policy, V0)
        L = simulate_episode(policy, cdf, init_cdf, R, terminal, gen, states, actions, rewards)
        add_transitions(N, Nsas, Rsum, Rsq, states, actions, rewards, L)
        record_episode(
            k,
            policy,
            V0,
            True,
            P,
            R,
            rho,
            vstar0,
            vstar_rho,
            states,
            rewards,
            L,
            regret,
            returns,
            estimates,
            margins,
            s0,
        )


@validate_params(
    n_states=Integer(1, _MAX_DIM),
    n_actions=Integer(1, _MAX_DIM),
    horizon=Integer(1, _MAX_DIM),
    n_episodes=Integer(1, 10**12),
)
def psrl_bayes_regret_bound(n_states: int, n_actions: int, horizon: int, n_episodes: int) -> float:
    """PSRL's Bayesian regret bound ``30 H S sqrt(A T log(S A T))``, ``T = K H`` steps.

    Osband, Russo and Van Roy (2013), Theorem 1: for any prior over MDPs with rewards in
    ``[0, 1]`` and fixed episode length ``H``, ``E[Regret(T)] = O(H S sqrt(A T log(S A T)))``,
    the expectation taken over the prior as well as the algorithm and the MDP's noise.
    The constant 30 is the explicit one reported for the paper's proof (see the module
    docstring for what this rests on). For ``stage_dependent=True`` pass ``H * S``
    states: the MDP with states ``(h, s)`` is a stationary MDP covered by the theorem.

    Parameters
    ----------
    n_states, n_actions, horizon : int in [1, 10**6]
    n_episodes : int in [1, 10**12]

    Returns
    -------
    float
        The bound on the expected cumulative pseudo-regret after ``n_episodes`` episodes.

    Examples
    --------
    >>> b = psrl_bayes_regret_bound(6, 2, 20, 2000)
    >>> round(b), b > 20 * 2000  # above the trivial H K: vacuous at this size
    (3682790, True)
    """
    T = float(n_episodes) * horizon
    SAT = float(n_states) * n_actions * T
    return 30.0 * horizon * n_states * math.sqrt(n_actions * T * math.log(max(SAT, math.e)))


class PSRL:
    """Posterior sampling for reinforcement learning (Osband, Russo and Van Roy 2013).

    Each episode: draw one MDP from the conjugate posterior (Dirichlet transitions,
    Normal-Gamma rewards), solve it by backward induction, play its optimal policy.

    Parameters
    ----------
    n_states, n_actions, horizon : int in [1, 10**6]
        ``S``, ``A``, ``H``.
    transition_prior : float > 0, default 1.0
        Dirichlet parameter ``alpha0`` on every next state (1: uniform over the simplex;
        rlberry's PSRL uses ``1 / S``).
    reward_prior : tuple (mu0, kappa0, alpha0, beta0), default (0.5, 1.0, 1.0, 1.0)
        Normal-Gamma prior of each reward: ``mu0`` real, the other three ``> 0``. The
        default is centred on ``[0, 1]`` with prior precision ``kappa0 tau`` of the mean
        ``~ 1`` (marginally a Student t with 2 degrees of freedom, scale 1).
    stage_dependent : bool, default False
        False: one model for all steps (statistics of leading axis 1); True: one model
        per step (leading axis ``H``).

    Attributes
    ----------
    value_estimate : ndarray of float64, shape (S,) or None
        ``V_0`` of the MDP sampled for the last planned episode (a posterior draw of
        ``V*_0``, not an upper bound). None before the first episode.
    posterior : PSRLPosterior
        The current posterior parameters.

    Guarantee
    ---------
    Bayesian regret ``O(H S sqrt(A T log(S A T)))`` (Osband, Russo and Van Roy 2013,
    Theorem 1); :meth:`regret_bound` returns :func:`psrl_bayes_regret_bound` (with
    ``H S`` states when stage dependent). See the module docstring for the assumptions.
    Tested by ``tests/tabular/exploration/test_psrl.py::test_posterior_matches_closed_form``,
    ``tests/tabular/exploration/test_psrl.py::test_sampled_model_moments`` and
    ``tests/tabular/exploration/test_psrl.py::test_regret_below_bound_and_sublinear``.

    Examples
    --------
    >>> import numpy as np
    >>> learner = PSRL(3, 2, 4)
    >>> pi = learner.begin_episode(0, np.random.default_rng(0))
    >>> pi.shape, pi.dtype
    ((4, 3), dtype('int64'))
    >>> learner.end_episode(np.array([0, 1, 2]), np.array([1, 0]), np.array([0.5, 1.0]))
    >>> learner.posterior.kappa[0, 0, 1], learner.posterior.mu[0, 0, 1]
    (np.float64(2.0), np.float64(0.5))
    """

    name = "PSRL"
    _kernels = (_psrl_plan, _psrl_loop)

    @validate_params(
        n_states=Integer(1, _MAX_DIM),
        n_actions=Integer(1, _MAX_DIM),
        horizon=Integer(1, _MAX_DIM),
        transition_prior=_POSITIVE,
        reward_prior=Array(shape=(4,)),
        stage_dependent=Bool(),
    )
    def __init__(
        self,
        n_states: int,
        n_actions: int,
        horizon: int,
        *,
        transition_prior: float = 1.0,
        reward_prior: tuple[float, float, float, float] = (0.5, 1.0, 1.0, 1.0),
        stage_dependent: bool = False,
    ) -> None:
        self.n_states = int(n_states)
        self.n_actions = int(n_actions)
        self.horizon = int(horizon)
        self.transition_prior = float(transition_prior)
        self.reward_prior = _check_reward_prior(reward_prior)
        self.stage_dependent = bool(stage_dependent)
        Hs = self.horizon if self.stage_dependent else 1
        if Hs * self.n_states * self.n_actions * self.n_states > MAX_MODEL:
            raise InvalidParameterError(
                "n_states",
                f"the model of {Hs * self.n_states * self.n_actions * self.n_states} entries exceeds the limit {MAX_MODEL}",
            )
        self.reset()

    def reset(self) -> None:
        """Forget all data (fresh posterior = prior). Draws no random numbers."""
        Hs = self.horizon if self.stage_dependent else 1
        S, A = self.n_states, self.n_actions
        self._N = np.zeros((Hs, S, A))
        self._Nsas = np.zeros((Hs, S, A, S))
        self._Rsum = np.zeros((Hs, S, A))
        self._Rsq = np.zeros((Hs, S, A))
        self._prior = np.array([self.transition_prior, *self.reward_prior])
        self._Ps = np.empty((Hs, S, A, S))
        self._Rs = np.empty((Hs, S, A))
        self.value_estimate: np.ndarray | None = None

    @property
    def posterior(self) -> PSRLPosterior:
        """The posterior parameters (fresh arrays)."""
        mu, kappa, alpha, beta = _posterior_arrays(self._N, self._Rsum, self._Rsq, *self.reward_prior)
        return PSRLPosterior(self.transition_prior + self._Nsas, mu, kappa, alpha, beta)

    @property
    def sampled_model(self) -> tuple[np.ndarray, np.ndarray]:
        """``(P, R)`` of shapes (Hs, S, A, S) and (Hs, S, A): the MDP drawn for the last episode (copies)."""
        return self._Ps.copy(), self._Rs.copy()

    def begin_episode(self, episode: int, rng: np.random.Generator) -> np.ndarray:
        """Draw an MDP from the posterior and return its optimal policy, shape (H, S)."""
        policy = np.empty((self.horizon, self.n_states), np.int64)
        V0 = np.empty(self.n_states)
        _psrl_plan(self._N, self._Nsas, self._Rsum, self._Rsq, self._prior, rng, self._Ps, self._Rs, policy, V0)
        self.value_estimate = V0
        return policy

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Add the episode's transitions and rewards to the posterior."""
        st = np.ascontiguousarray(states, dtype=np.int64)
        ac = np.ascontiguousarray(actions, dtype=np.int64)
        rw = np.ascontiguousarray(rewards, dtype=np.float64)
        add_transitions(self._N, self._Nsas, self._Rsum, self._Rsq, st, ac, rw, ac.shape[0])

    def regret_bound(self, n_episodes: int) -> float:
        """:func:`psrl_bayes_regret_bound` (``H S`` states when stage dependent)."""
        S = self.n_states * (self.horizon if self.stage_dependent else 1)
        return psrl_bayes_regret_bound(S, self.n_actions, self.horizon, n_episodes)

    def __repr__(self) -> str:
        return (
            f"PSRL(n_states={self.n_states}, n_actions={self.n_actions}, horizon={self.horizon}, "
            f"transition_prior={self.transition_prior}, reward_prior={self.reward_prior}, "
            f"stage_dependent={self.stage_dependent})"
        )

    def regret_bounds(self, n_episodes: int) -> np.ndarray:
        """:meth:`regret_bound` after ``1, ..., n_episodes`` episodes, shape (n_episodes,)."""
        K = Integer(1, 10**9).check(n_episodes, "n_episodes")
        S = self.n_states * (self.horizon if self.stage_dependent else 1)
        T = np.arange(1, K + 1, dtype=np.float64) * self.horizon
        SAT = float(S) * self.n_actions * T
        return 30.0 * self.horizon * S * np.sqrt(self.n_actions * T * np.log(np.maximum(SAT, math.e)))

    def _run_compiled(self, tables: EpisodeTables, n_episodes: int, gen: np.random.Generator, log: EpisodeLog) -> None:
        """``n_episodes`` episodes in one loop kernel, bit-identical to the protocol path."""
        K = n_episodes
        policy = np.empty((self.horizon, self.n_states), np.int64)
        V0 = np.empty(self.n_states)
        _psrl_loop(
            self._N, self._Nsas, self._Rsum, self._Rsq, self._prior, self.horizon,
            tables.cdf, tables.init_cdf, tables.R, tables.terminal, tables.P, tables.rho, tables.vstar0,
            tables.vstar_rho, gen,
            log.regret[:K], log.returns[:K], log.estimates[:K], log.margins[:K], log.s0[:K],
            self._Ps, self._Rs, policy, V0,
        )  # fmt: skip
        self.value_estimate = V0


def _check_reward_prior(prior: object) -> tuple[float, float, float, float]:
    """``(mu0, kappa0, alpha0, beta0)`` as floats; the last three must be positive."""
    vals = np.asarray(prior, dtype=np.float64).ravel()
    for i, nm in ((1, "kappa0"), (2, "alpha0"), (3, "beta0")):
        if not vals[i] > 0.0:
            raise InvalidParameterError("reward_prior", f"{nm} (entry {i}) must be > 0, got {vals[i]!r}")
    return (float(vals[0]), float(vals[1]), float(vals[2]), float(vals[3]))
