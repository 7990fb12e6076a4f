# Length: one learner with two conjugate reward models, their draw order and its Bayesian bound; mostly docstrings.
"""PSRL: posterior sampling for reinforcement learning (Osband, Russo and Van Roy 2013).

At the start of every episode PSRL draws one MDP from the posterior over MDPs given all
the data so far, computes that MDP's optimal (H, S) policy by backward induction and
plays it for the whole episode. Exploration comes from the posterior's spread alone: no
bonus, no confidence set.

The posterior is conjugate and factorises over ``(h, s, a)`` (``h`` is pooled to one
index when ``stage_dependent=False``):

* transitions: the row ``P(. | s, a)`` has a ``Dirichlet(alpha0 + N(s, a, .))``
  posterior, ``alpha0 = transition_prior`` on every next state;
* rewards, ``reward_model="normal_gamma"`` (default): the rewards observed at ``(s, a)``
  are modelled as i.i.d. ``N(mu, 1 / tau)`` with a Normal-Gamma prior
  ``(mu0, kappa0, alpha0, beta0)``
  (``tau ~ Gamma(alpha0, rate beta0)``, ``mu | tau ~ N(mu0, 1 / (kappa0 tau))``).
  After ``n`` rewards with mean ``xbar``:

  .. math::

      \\kappa_n = \\kappa_0 + n, \\quad \\mu_n = \\frac{\\kappa_0 \\mu_0 + n \\bar x}{\\kappa_n},
      \\quad \\alpha_n = \\alpha_0 + \\frac n2,

      \\beta_n = \\beta_0 + \\frac12 \\sum_i (x_i - \\bar x)^2
          + \\frac{\\kappa_0 n (\\bar x - \\mu_0)^2}{2 \\kappa_n},

  and a draw is ``tau ~ Gamma(alpha_n, rate beta_n)``, ``mu ~ N(mu_n, 1/(kappa_n tau))``;
  the sampled MDP's expected reward at ``(s, a)`` is ``mu``;
* rewards, ``reward_model="bernoulli"``: each observed reward ``r`` in ``[0, 1]`` is
  replaced by a Bernoulli(``r``) draw ("Bernoulli-ised", as Agrawal and Goyal do for
  Thompson sampling with ``[0, 1]`` rewards) and the mean reward at ``(s, a)`` gets the
  conjugate ``Beta(a0 + successes, b0 + failures)`` posterior; a draw is
  ``X / (X + Y)`` with ``X ~ Gamma(a_n)``, ``Y ~ Gamma(b_n)``. This is rlberry 0.6.0's
  PSRL with ``bernoullized_reward=True`` (prior ``Beta(1, 1)`` there).
  :meth:`PSRL.end_episode` receives no generator, so an episode's rewards are kept
  pending and Bernoulli-ised at the next :meth:`PSRL.begin_episode`.

Terminal states: a state where an episode ended before ``H`` is never left, so its
posterior would stay at the prior and keep promising a positive value. Like UCBVI, the
learner marks such a state (:attr:`PSRL.ended`) and every sampled MDP values it 0 at
every step (its policy entry is 0).

Draw order (per episode, fixed, the same in :meth:`PSRL.begin_episode` and in the loop
kernel because both call the same compiled function):

1. ``reward_model="bernoulli"`` only: for the previous episode's steps ``t = 0..L-1``,
   one ``random()`` ``u_t``; the reward ``r_t`` is a success when ``u_t < r_t``.
2. for ``h`` in ``0..Hs-1``, ``s`` in ``0..S-1``, ``a`` in ``0..A-1``: the reward draw
   (Normal-Gamma: ``standard_gamma(alpha_n)``, ``standard_normal()``; Beta:
   ``standard_gamma(a_n)``, ``standard_gamma(b_n)``), then ``S`` draws
   ``standard_gamma(alpha0 + N(s, a, s'))`` normalised to the transition row. States
   marked terminal are drawn for too (their draws are unused), so the number of draws
   per episode does not depend on what has been seen.

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
theorem); ``reward_model="bernoulli"`` keeps every sampled mean reward in ``[0, 1]``, and
its Beta posterior is the exact posterior given the Bernoulli-ised rewards (each a
Bernoulli variable with the true mean reward as its mean). A test on a fixed MDP is therefore a consistency check, not a proof: tested by
``tests/tabular/exploration/test_psrl.py::test_regret_below_bound_and_sublinear`` (mean
pseudo-regret over seeds below the bound, and sublinear), and the posterior by
``tests/tabular/exploration/test_psrl.py::test_posterior_matches_closed_form`` and
``tests/tabular/exploration/test_psrl.py::test_sampled_model_moments``.

References
----------
I. Osband, D. Russo, B. Van Roy, "(More) efficient reinforcement learning via posterior
sampling", NeurIPS 2013. S. Agrawal, N. Goyal, "Analysis of Thompson sampling for the
multi-armed bandit problem", COLT 2012 (the Bernoulli trick for ``[0, 1]`` rewards).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numba import njit

from rlcore.results import Result
from rlcore.validation import Array, Bool, Integer, InvalidParameterError, Options, validate_params
from tabular.exploration._kernels import (
    EpisodeLog,
    EpisodeTables,
    add_transitions,
    record_episode,
    simulate_episode,
    solve_model,
)
from tabular.exploration._constraints import MAX_DIM, MAX_MODEL, POSITIVE

__all__ = ["PSRL", "PSRLPosterior", "psrl_bayes_regret_bound"]


@dataclass(frozen=True, repr=False)
class PSRLPosterior(Result):
    """PSRL's posterior parameters (``Hs = H`` when stage dependent, else 1).

    Attributes
    ----------
    dirichlet : ndarray of float64, shape (Hs, S, A, S)
        ``alpha0 + N(s, a, s')``: the Dirichlet parameters of each transition row.
    mu, kappa, alpha, beta : ndarray of float64, shape (Hs, S, A)
        ``model="normal_gamma"``: the Normal-Gamma parameters ``(mu_n, kappa_n, alpha_n,
        beta_n)`` of each reward. ``model="bernoulli"``: ``alpha`` and ``beta`` are the
        Beta parameters ``(a0 + successes, b0 + failures)``, ``mu = alpha / (alpha + beta)``
        the posterior mean and ``kappa = alpha + beta``.
    model : {"normal_gamma", "bernoulli"}
        The reward model.
    """

    dirichlet: np.ndarray
    mu: np.ndarray
    kappa: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    model: str = "normal_gamma"

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
def _beta_counts(B, pend_st, pend_ac, pend_rw, pend_len, gen):  # pragma: no cover - compiled
    """Bernoulli-ise the pending rewards into ``B`` (2, Hs, S, A): successes ``B[0]``, failures ``B[1]``.

    For ``t = 0..L-1`` (``L = pend_len[0]``) one ``gen.random()`` ``u``: a success when
    ``u < r_t`` (so ``Pr = r_t`` for ``r_t`` in [0, 1]). Then ``pend_len[0] = 0``.
    """
    pooled = B.shape[1] == 1
    for t in range(pend_len[0]):
        h = 0 if pooled else t
        s = pend_st[t]
        a = pend_ac[t]
        if gen.random() < pend_rw[t]:
            B[0, h, s, a] += 1.0
        else:
            B[1, h, s, a] += 1.0
    pend_len[0] = 0


@njit(cache=True)
def _psrl_sample(N, Nsas, Rsum, Rsq, B, prior, bern, gen, Ps, Rs):  # pragma: no cover - compiled
    """Draw one MDP from the posterior into ``Ps`` (Hs, S, A, S) and ``Rs`` (Hs, S, A).

    ``prior = (transition_prior, mu0, kappa0, alpha0, beta0)`` for the Normal-Gamma reward
    model; ``(transition_prior, a0, b0, 0, 0)`` for the Beta model (``bern``).
    """
    a_p = prior[0]
    S = N.shape[1]
    for h in range(N.shape[0]):
        for s in range(S):
            for a in range(N.shape[2]):
                if bern:
                    ba = prior[1] + B[0, h, s, a]
                    bb = prior[2] + B[1, h, s, a]
                    x = gen.standard_gamma(ba)
                    y = gen.standard_gamma(bb)
                    if x + y > 0.0:
                        Rs[h, s, a] = x / (x + y)
                    else:  # both Gamma draws underflowed (tiny prior, no data): the Beta mean
                        Rs[h, s, a] = ba / (ba + bb)
                else:
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
def _psrl_plan(
    N, Nsas, Rsum, Rsq, B, prior, bern, ended, pend_st, pend_ac, pend_rw, pend_len, gen, Ps, Rs, policy, V0
):  # pragma: no cover - compiled
    """One PSRL planning step: Bernoulli-ise the pending rewards (``bern``), sample an MDP, solve it."""
    if bern:
        _beta_counts(B, pend_st, pend_ac, pend_rw, pend_len, gen)
    _psrl_sample(N, Nsas, Rsum, Rsq, B, prior, bern, gen, Ps, Rs)
    V = np.empty((policy.shape[0] + 1, policy.shape[1]))
    solve_model(Ps, Rs, ended, policy, V)
    V0[:] = V[0]


@njit(cache=True)
def _psrl_update(
    N, Nsas, Rsum, Rsq, bern, ended, pend_st, pend_ac, pend_rw, pend_len, states, actions, rewards, L
):  # pragma: no cover - compiled
    """Add an episode to the counts; mark its last state when it ended before ``H``; keep it pending (``bern``)."""
    add_transitions(N, Nsas, Rsum, Rsq, states, actions, rewards, L)
    if L < pend_ac.shape[0]:  # the episode ended before H: its last state is terminal
        ended[states[L]] = True
    if bern:
        for t in range(L):
            pend_st[t] = states[t]
            pend_ac[t] = actions[t]
            pend_rw[t] = rewards[t]
        pend_len[0] = L


@njit(cache=True)
def _psrl_loop(
    N,
    Nsas,
    Rsum,
    Rsq,
    B,
    prior,
    bern,
    ended,
    pend_st,
    pend_ac,
    pend_rw,
    pend_len,
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
    H = policy.shape[0]
    states = np.empty(H + 1, np.int64)
    actions = np.empty(H, np.int64)
    rewards = np.empty(H)
    for k in range(regret.shape[0]):
        _psrl_plan(
            N, Nsas, Rsum, Rsq, B, prior, bern, ended, pend_st, pend_ac, pend_rw, pend_len, gen, Ps, Rs, policy, V0
        )
        L = simulate_episode(policy, cdf, init_cdf, R, terminal, gen, states, actions, rewards)
        _psrl_update(N, Nsas, Rsum, Rsq, bern, ended, pend_st, pend_ac, pend_rw, pend_len, states, actions, rewards, L)
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
    n_states=Integer(1, MAX_DIM),
    n_actions=Integer(1, MAX_DIM),
    horizon=Integer(1, MAX_DIM),
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

    Guarantee
    ---------
    Osband, Russo and Van Roy (2013), Theorem 1: a bound on the Bayesian expected
    regret (an expectation over the prior), not a high-probability bound for a fixed MDP.
    Compared with measured regret over seeds by
    ``tests/tabular/exploration/test_psrl.py::test_regret_below_bound_and_sublinear``.

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

    Each episode: draw one MDP from the conjugate posterior (Dirichlet transitions;
    Normal-Gamma or Beta rewards), solve it by backward induction, play its optimal policy.

    Parameters
    ----------
    n_states, n_actions, horizon : int in [1, 10**6]
        ``S``, ``A``, ``H``.
    transition_prior : float > 0, default 1.0
        Dirichlet parameter ``alpha0`` on every next state (1: uniform over the simplex;
        rlberry's PSRL uses ``1 / S``).
    reward_model : {"normal_gamma", "bernoulli"}, default "normal_gamma"
        ``"normal_gamma"``: rewards modelled as Gaussian with a Normal-Gamma prior.
        ``"bernoulli"``: each reward ``r`` in ``[0, 1]`` is replaced by a Bernoulli(``r``)
        draw and the mean reward gets a ``Beta(a0 + successes, b0 + failures)`` posterior
        (Agrawal and Goyal's device for Thompson sampling with ``[0, 1]`` rewards; rlberry
        0.6.0's PSRL with ``bernoullized_reward=True``). The draws of an episode's rewards
        are made at the next :meth:`begin_episode`, from its generator (see the module
        docstring), so the reward posterior takes an episode in at the next planning.
    reward_prior : array of float, optional
        ``"normal_gamma"``: ``(mu0, kappa0, alpha0, beta0)``, ``mu0`` real, the other three
        ``> 0``; default ``(0.5, 1.0, 1.0, 1.0)``, centred on ``[0, 1]`` with prior
        precision ``kappa0 tau`` of the mean ``~ 1`` (marginally a Student t with 2
        degrees of freedom, scale 1). ``"bernoulli"``: ``(a0, b0)``, both ``> 0``;
        default ``(1.0, 1.0)`` (uniform; rlberry's ``scale_prior_reward=1``).
    stage_dependent : bool, default False
        False: one model for all steps (statistics of leading axis 1); True: one model
        per step (leading axis ``H``).

    Attributes
    ----------
    value_estimate : ndarray of float64, shape (S,) or None
        ``V_0`` of the MDP sampled for the last planned episode (a posterior draw of
        ``V*_0``, not an upper bound; 0 at states seen ending an episode early). None
        before the first episode.
    posterior : PSRLPosterior
        The current posterior parameters.

    Guarantee
    ---------
    Bayesian regret ``O(H S sqrt(A T log(S A T)))`` (Osband, Russo and Van Roy 2013,
    Theorem 1); :meth:`regret_bound` returns :func:`psrl_bayes_regret_bound` (with
    ``H S`` states when stage dependent). See the module docstring for the assumptions.
    Tested by ``tests/tabular/exploration/test_psrl.py::test_posterior_matches_closed_form``,
    ``tests/tabular/exploration/test_psrl.py::test_sampled_model_moments``,
    ``tests/tabular/exploration/test_psrl.py::test_bernoulli_posterior_matches_direct_computation``,
    ``tests/tabular/exploration/test_psrl.py::test_regret_below_bound_and_sublinear`` and
    ``tests/tabular/exploration/test_psrl.py::test_bernoulli_regret_agrees_with_rlberry``.

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

    With Bernoulli-ised rewards the reward of 1.0 is a success for sure; it enters the
    Beta posterior at the next planning:

    >>> learner = PSRL(3, 2, 4, reward_model="bernoulli")
    >>> learner.end_episode(np.array([0, 1, 2]), np.array([1, 0]), np.array([0.5, 1.0]))
    >>> pi = learner.begin_episode(1, np.random.default_rng(0))
    >>> post = learner.posterior
    >>> float(post.alpha[0, 1, 0]), float(post.beta[0, 1, 0])
    (2.0, 1.0)
    """

    name = "PSRL"
    _kernels = (_psrl_plan, _psrl_update, _psrl_loop)

    @validate_params(
        n_states=Integer(1, MAX_DIM),
        n_actions=Integer(1, MAX_DIM),
        horizon=Integer(1, MAX_DIM),
        transition_prior=POSITIVE,
        reward_model=Options("normal_gamma", "bernoulli"),
        reward_prior=Array(ndim=1, shape=(None,)) | None,
        stage_dependent=Bool(),
    )
    def __init__(
        self,
        n_states: int,
        n_actions: int,
        horizon: int,
        *,
        transition_prior: float = 1.0,
        reward_model: str = "normal_gamma",
        reward_prior: tuple[float, ...] | None = None,
        stage_dependent: bool = False,
    ) -> None:
        self.n_states = int(n_states)
        self.n_actions = int(n_actions)
        self.horizon = int(horizon)
        self.transition_prior = float(transition_prior)
        self.reward_model = str(reward_model)
        self.reward_prior = _check_reward_prior(reward_prior, self.reward_model)
        self.stage_dependent = bool(stage_dependent)
        Hs = self.horizon if self.stage_dependent else 1
        if Hs * self.n_states * self.n_actions * self.n_states > MAX_MODEL:
            raise InvalidParameterError(
                "n_states",
                f"the model of {Hs * self.n_states * self.n_actions * self.n_states} entries exceeds the limit {MAX_MODEL}",
            )
        self.reset()

    @property
    def _bern(self) -> bool:
        return self.reward_model == "bernoulli"

    def reset(self) -> None:
        """Forget all data (fresh posterior = prior). Draws no random numbers."""
        Hs = self.horizon if self.stage_dependent else 1
        S, A, H = self.n_states, self.n_actions, self.horizon
        self._N = np.zeros((Hs, S, A))
        self._Nsas = np.zeros((Hs, S, A, S))
        self._Rsum = np.zeros((Hs, S, A))
        self._Rsq = np.zeros((Hs, S, A))
        self._B = np.zeros((2, Hs, S, A))  # Bernoulli-ised rewards: successes, failures
        self._ended = np.zeros(S, dtype=np.bool_)
        self._pending = (np.zeros(H + 1, np.int64), np.zeros(H, np.int64), np.zeros(H), np.zeros(1, np.int64))
        prior = self.reward_prior if len(self.reward_prior) == 4 else (*self.reward_prior, 0.0, 0.0)
        self._prior = np.array([self.transition_prior, *prior])
        self._Ps = np.zeros((Hs, S, A, S))
        self._Rs = np.zeros((Hs, S, A))
        self.value_estimate: np.ndarray | None = None

    @property
    def ended(self) -> np.ndarray:
        """States seen ending an episode before ``H`` (worth 0 in every sampled MDP), bool (S,) (copy)."""
        return self._ended.copy()

    @property
    def posterior(self) -> PSRLPosterior:
        """The posterior parameters (fresh arrays)."""
        if self._bern:
            a = self.reward_prior[0] + self._B[0]
            b = self.reward_prior[1] + self._B[1]
            return PSRLPosterior(self.transition_prior + self._Nsas, a / (a + b), a + b, a, b, "bernoulli")
        mu, kappa, alpha, beta = _posterior_arrays(self._N, self._Rsum, self._Rsq, *self.reward_prior)
        return PSRLPosterior(self.transition_prior + self._Nsas, mu, kappa, alpha, beta)

    @property
    def sampled_model(self) -> tuple[np.ndarray, np.ndarray]:
        """``(P, R)`` of shapes (Hs, S, A, S) and (Hs, S, A): the MDP drawn for the last episode (copies)."""
        return self._Ps.copy(), self._Rs.copy()

    def begin_episode(self, episode: int, rng: np.random.Generator) -> np.ndarray:
        """Draw an MDP from the posterior and return its optimal policy, shape (H, S).

        With ``reward_model="bernoulli"`` first Bernoulli-ises the last episode's rewards
        (one ``rng.random()`` per step, in step order).
        """
        policy = np.empty((self.horizon, self.n_states), np.int64)
        V0 = np.empty(self.n_states)
        _psrl_plan(
            self._N, self._Nsas, self._Rsum, self._Rsq, self._B, self._prior, self._bern, self._ended, *self._pending,
            rng, self._Ps, self._Rs, policy, V0,
        )  # fmt: skip
        self.value_estimate = V0
        return policy

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Add the episode's transitions and rewards to the posterior (Bernoulli model: kept pending)."""
        st = np.ascontiguousarray(states, dtype=np.int64)
        ac = np.ascontiguousarray(actions, dtype=np.int64)
        rw = np.ascontiguousarray(rewards, dtype=np.float64)
        _psrl_update(
            self._N, self._Nsas, self._Rsum, self._Rsq, self._bern, self._ended, *self._pending, st, ac, rw,
            ac.shape[0],
        )  # fmt: skip

    def regret_bound(self, n_episodes: int) -> float:
        """:func:`psrl_bayes_regret_bound` (``H S`` states when stage dependent)."""
        S = self.n_states * (self.horizon if self.stage_dependent else 1)
        return psrl_bayes_regret_bound(S, self.n_actions, self.horizon, n_episodes)

    def __repr__(self) -> str:
        return (
            f"PSRL(n_states={self.n_states}, n_actions={self.n_actions}, horizon={self.horizon}, "
            f"transition_prior={self.transition_prior}, reward_model={self.reward_model!r}, "
            f"reward_prior={self.reward_prior}, stage_dependent={self.stage_dependent})"
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
            self._N, self._Nsas, self._Rsum, self._Rsq, self._B, self._prior, self._bern, self._ended,
            *self._pending,
            tables.cdf, tables.init_cdf, tables.R, tables.terminal, tables.P, tables.rho, tables.vstar0,
            tables.vstar_rho, gen,
            log.regret[:K], log.returns[:K], log.estimates[:K], log.margins[:K], log.s0[:K],
            self._Ps, self._Rs, policy, V0,
        )  # fmt: skip
        self.value_estimate = V0


def _check_reward_prior(prior: object, model: str) -> tuple[float, ...]:
    """The reward prior as floats: ``(mu0, kappa0, alpha0, beta0)`` (last three > 0) or ``(a0, b0)`` (> 0)."""
    if prior is None:
        return (0.5, 1.0, 1.0, 1.0) if model == "normal_gamma" else (1.0, 1.0)
    vals = np.asarray(prior, dtype=np.float64).ravel()
    names = ((1, "kappa0"), (2, "alpha0"), (3, "beta0")) if model == "normal_gamma" else ((0, "a0"), (1, "b0"))
    size = 4 if model == "normal_gamma" else 2
    if vals.shape != (size,):
        raise InvalidParameterError(
            "reward_prior", f"reward_model={model!r} takes {size} prior parameters, got shape {vals.shape}"
        )
    for i, nm in names:
        if not vals[i] > 0.0:
            raise InvalidParameterError("reward_prior", f"{nm} (entry {i}) must be > 0, got {vals[i]!r}")
    return tuple(float(v) for v in vals)
