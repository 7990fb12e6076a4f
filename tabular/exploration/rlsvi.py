# Length: one learner in two forms (Bayesian regression, tabular or features; perturbed model), their draw order and kernels; mostly docstrings.
"""RLSVI: randomized least-squares value iteration (Osband, Van Roy and Wen 2016).

RLSVI explores by planning with a *random* value function whose spread is that of a
Bayesian linear regression's posterior. With features ``phi(s, a)`` in ``R^d`` and
``Qtilde_H = 0``, each episode runs backward over ``h = H-1, ..., 0``: every transition
``(x, a, r, x')`` observed at step ``h`` (at any step when ``stage_dependent=False``)
gives the regression target ``y = r + max_b Qtilde_{h+1}(x', b)``; with noise variance
``sigma^2`` and prior ``theta ~ N(0, I / lam)`` the posterior of ``theta_h`` is

.. math::

    \\Lambda_h = \\frac{1}{\\sigma^2} \\sum \\phi \\phi^\\top + \\lambda I, \\qquad
    \\bar\\theta_h = \\Lambda_h^{-1} \\frac{1}{\\sigma^2} \\Big(\\sum \\phi r
        + M_h \\tilde V_{h+1}\\Big), \\qquad
    \\theta_h \\sim N(\\bar\\theta_h, \\Lambda_h^{-1}),

where ``M_h = sum phi e_{x'}^T`` (d x S) and ``Vtilde_{h+1}(x') = max_b Qtilde_{h+1}(x', b)``;
then ``Qtilde_h(s, a) = phi(s, a) . theta_h`` and the episode's policy is greedy in
``Qtilde`` (ties to the lowest action). The statistics ``sum phi phi^T``, ``sum phi r``
and ``M_h`` are kept incrementally, so an episode costs the same whatever the amount of
data. The draw is ``theta_h = thetabar_h + L_h^{-T} z`` with ``Lambda_h = L_h L_h^T``
(Cholesky) and ``z`` ``d`` standard normals from the run's generator.

Tabular RLSVI (``features=None``) is the one-hot case ``phi(s, a) = e_{sA + a}``:
``Lambda_h`` is diagonal and the closed form is

.. math::

    \\tilde Q_h(s, a) = \\frac{R_{sum}(s, a) + \\sum_{x'} N(s, a, x') \\tilde V_{h+1}(x')}
        {N(s, a) + \\lambda \\sigma^2}
        + \\frac{\\sigma}{\\sqrt{N(s, a) + \\lambda \\sigma^2}} z_{s, a},

with the normals drawn in the same order (``s`` major, ``a`` minor, for each ``h``
from ``H - 1`` down), so ``features=one-hot`` reproduces ``features=None`` to rounding.

Terminal states: a state where an episode ended before ``H`` is never left, so no
regression target ever pulls its ``Qtilde`` down from the prior's noise. Like UCBVI, the
learner marks such a state (:attr:`RLSVI.ended`) and values it 0 at every step (policy
entry 0). The normals of a marked state are still drawn (tabular form), so the number of
draws per episode is fixed: ``H S A`` (tabular) or ``H d`` (features).

Perturbed-model form (``form="perturbed_model"``, tabular only). The model-based,
tabular RLSVI analysed by Russo (2019): perturb the *rewards* of the empirical model
with Gaussian noise, then plan on it. The empirical model holds one uniform
pseudo-transition of reward 0 per ``(h, s, a)``: with ``n = N(s, a) + 1``,

.. math::

    \\hat R(s, a) = \\frac{R_{sum}(s, a)}{n}, \\qquad
    \\hat P(x' | s, a) = \\frac{N(s, a, x') + 1/S}{n}

(so an unvisited pair has ``Rhat = 0`` and ``Phat`` uniform). Each episode, backward
over ``h = H-1, ..., 0``,

.. math::

    \\tilde Q_h(s, a) = \\hat R(s, a) + w_h(s, a) + \\hat P(\\cdot | s, a)^\\top \\tilde V_{h+1},
    \\quad w_h(s, a) \\sim N\\Big(0, \\sigma^2 \\big(\\tfrac{1}{\\sqrt n} + \\tfrac{H - h}{n}\\big)^2\\Big),
    \\qquad \\tilde V_h(s) = \\min\\big(\\max_a \\tilde Q_h(s, a), H\\big),

``Vtilde_H = 0``, fresh noise for every ``(h, s, a)`` (also when the statistics are
pooled over steps), the policy greedy in ``Qtilde`` (ties to the lowest action), a
state marked as terminal worth 0. The normals are drawn as in the regression form:
``w_h(s, a) = std * z`` with ``z`` standard normals, ``h`` from ``H - 1`` down, ``s``
major, ``a`` minor, ``H S A`` per episode. ``sigma`` scales both terms of the std
(rlberry's ``scale_std_noise`` only the first; the same at ``sigma = 1``).

This is the algorithm of rlberry 0.6.0's ``RLSVIAgent`` (pseudo-count, std ``1/sqrt(n)
+ (H-h)/n``, cap at ``H``, ``rlberry/agents/rlsvi/rlsvi.py:123-127, 189``) without its
defect: rlberry draws the noise with mean ``Rhat`` (``rng.normal(R_hat, std)``, line
190) and plans with ``Rhat + noise``, counting the empirical reward twice. Russo's own
choice of noise, ``sigma_k^2 = beta_k / (n + 1)`` with ``beta_k = (1/2) S H^3
log(2 H S A k)``, is the first term alone with a growing scale; the ``(H - h)/n`` term
and the cap at ``H`` are rlberry's (what we could verify of Russo's paper: the
abstract, its summary -- Gaussian noise on the empirical rewards, planning in the
perturbed MDP, the ``beta_k`` above, regret ``O~(H^3 S^{3/2} sqrt(A K))``; the
``n + 1`` normalisation of ``Rhat``, ``Phat`` and the variance rests on our memory of
its Algorithm 1, not on a reading of it in this session).

The regression form with ``sigma = lam = 1`` gives a noise standard deviation
``1 / sqrt(N + 1)`` around a mean that shrinks the rewards *and* the next values by
``N / (N + 1)``; the perturbed-model form keeps the pseudo-transition's uniform next
values instead and adds the ``(H - h)/n`` term and the cap.

Guarantee
---------
For tabular RLSVI, Osband, Van Roy, Russo and Wen (2019, JMLR, "Deep exploration via
randomized value functions", Theorem 1) bound the Bayesian expected regret by
``O~(H^{3/2} sqrt(S A T))`` over ``T = K H`` steps, for noise and prior parameters set
as the theorem requires; Russo (2019, NeurIPS) gives a worst-case (frequentist) bound
``O~(H^3 S^{3/2} sqrt(A K))`` for a variant whose noise grows like
``S H^3 log(H S A k)``. Neither states an explicit constant in the forms we could read
(abstracts and summaries; we could not read the theorem statements' conditions in this
session), so :func:`rlsvi_regret_bound` returns ``c H^{3/2} sqrt(S A T log(S A T))``
with the constant ``c`` a parameter (default 1): a curve of the theorem's order, not a
certified bound. Tested by
``tests/tabular/exploration/test_rlsvi.py::test_regret_below_order_curve_and_sublinear``
(measured regret, on a fixed MDP), the regression by
``tests/tabular/exploration/test_rlsvi.py::test_posterior_matches_direct_regression`` and
the tabular closed form by
``tests/tabular/exploration/test_rlsvi.py::test_tabular_equals_one_hot_features``.

References
----------
I. Osband, B. Van Roy, Z. Wen, "Generalization and exploration via randomized value
functions", ICML 2016. I. Osband, B. Van Roy, D. Russo, Z. Wen, "Deep exploration via
randomized value functions", JMLR 20(124), 2019. D. Russo, "Worst-case regret bounds
for exploration via randomized value functions", NeurIPS 2019.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from rlcore.validation import Array, Bool, Integer, InvalidParameterError, Options, validate_params
from tabular.exploration._kernels import (
    EpisodeLog,
    EpisodeTables,
    add_transitions,
    record_episode,
    simulate_episode,
)
from tabular.exploration._constraints import MAX_DIM, MAX_MODEL, POSITIVE

__all__ = ["RLSVI", "rlsvi_regret_bound"]

#: Largest ``Hs * d * d`` (Gram matrices kept per step) accepted with features.
_MAX_GRAM = 10**8


@njit(cache=True)
def _cholesky(A, L):  # pragma: no cover - compiled
    """Lower Cholesky factor of the symmetric positive definite ``A`` into ``L`` (row order)."""
    d = A.shape[0]
    for i in range(d):
        for j in range(i + 1):
            acc = A[i, j]
            for k in range(j):
                acc -= L[i, k] * L[j, k]
            if i == j:
                L[i, i] = math.sqrt(acc)
            else:
                L[i, j] = acc / L[j, j]
        for j in range(i + 1, d):
            L[i, j] = 0.0


@njit(cache=True)
def _forward(L, b, x):  # pragma: no cover - compiled
    """Solve ``L x = b`` (``L`` lower triangular)."""
    for i in range(L.shape[0]):
        acc = b[i]
        for k in range(i):
            acc -= L[i, k] * x[k]
        x[i] = acc / L[i, i]


@njit(cache=True)
def _backward(L, b, x):  # pragma: no cover - compiled
    """Solve ``L^T x = b`` (``L`` lower triangular)."""
    d = L.shape[0]
    for i in range(d - 1, -1, -1):
        acc = b[i]
        for k in range(i + 1, d):
            acc -= L[k, i] * x[k]
        x[i] = acc / L[i, i]


@njit(cache=True)
def _linear_posterior(G, b, M, V, sigma, lam, Lam, Lc, rhs, y, mean):  # pragma: no cover - compiled
    """Posterior mean into ``mean`` and Cholesky factor of the precision into ``Lc``.

    ``G`` (d, d), ``b`` (d,), ``M`` (d, S) of one step; ``V`` (S,) the next values.
    """
    d = G.shape[0]
    S = M.shape[1]
    inv_s2 = 1.0 / (sigma * sigma)
    for i in range(d):
        for j in range(d):
            Lam[i, j] = G[i, j] * inv_s2
        Lam[i, i] += lam
        acc = b[i]
        for x in range(S):
            acc += M[i, x] * V[x]
        rhs[i] = acc * inv_s2
    _cholesky(Lam, Lc)
    _forward(Lc, rhs, y)
    _backward(Lc, y, mean)


#: ``form`` codes of the kernels: tabular regression, regression on features, perturbed model.
_TABULAR, _FEATURES, _PERTURBED = 0, 1, 2


@njit(cache=True)
def _rlsvi_plan(
    form, N, Nsas, Rsum, G, b, M, F, sigma, lam, ended, gen, policy, V0, Lam, Lc, rhs, y, mean, z, noise, theta
):  # pragma: no cover - compiled
    """Sample ``Qtilde`` backward and fill the greedy ``policy`` (H, S) and ``V0`` (S,).

    ``form``: ``_TABULAR``, ``_FEATURES`` or ``_PERTURBED`` (then ``V`` is capped at ``H``).
    A state in ``ended`` is worth 0 at every step (policy 0); its normals are still drawn.
    """
    H, S = policy.shape
    A = F.shape[1]
    V = np.zeros(S)
    W = np.empty(S)
    s2 = sigma * sigma
    for t in range(H - 1, -1, -1):
        if form != _FEATURES:
            h = t if N.shape[0] > 1 else 0
            vbar = 0.0  # the pseudo-transition's uniform next value
            if form == _PERTURBED:
                for x in range(S):
                    vbar += V[x]
                vbar /= S
            for s in range(S):
                best = -np.inf
                best_a = 0
                for a in range(A):
                    n = N[h, s, a]
                    acc = Rsum[h, s, a]
                    for x in range(S):
                        acc += Nsas[h, s, a, x] * V[x]
                    if form == _PERTURBED:
                        n1 = n + 1.0
                        std = sigma * (1.0 / math.sqrt(n1) + (H - t) / n1)
                        q = (acc + vbar) / n1 + std * gen.standard_normal()
                    else:
                        denom = n + lam * s2
                        q = acc / denom + sigma / math.sqrt(denom) * gen.standard_normal()
                    if q > best:
                        best = q
                        best_a = a
                if form == _PERTURBED and best > H:
                    best = float(H)
                W[s] = 0.0 if ended[s] else best
                policy[t, s] = 0 if ended[s] else best_a
        else:
            h = t if G.shape[0] > 1 else 0
            d = G.shape[1]
            _linear_posterior(G[h], b[h], M[h], V, sigma, lam, Lam, Lc, rhs, y, mean)
            for i in range(d):
                z[i] = gen.standard_normal()
            _backward(Lc, z, noise)
            for i in range(d):
                theta[i] = mean[i] + noise[i]
            for s in range(S):
                best = -np.inf
                best_a = 0
                for a in range(A):
                    q = 0.0
                    for i in range(d):
                        q += F[s, a, i] * theta[i]
                    if q > best:
                        best = q
                        best_a = a
                W[s] = 0.0 if ended[s] else best
                policy[t, s] = 0 if ended[s] else best_a
        V[:] = W
    V0[:] = V


@njit(cache=True)
def _add_linear(G, b, M, F, states, actions, rewards, L):  # pragma: no cover - compiled
    """Add an episode to ``sum phi phi^T`` (Hs, d, d), ``sum phi r`` (Hs, d), ``M`` (Hs, d, S)."""
    pooled = G.shape[0] == 1
    d = G.shape[1]
    for t in range(L):
        h = 0 if pooled else t
        s = states[t]
        a = actions[t]
        r = rewards[t]
        x = states[t + 1]
        for i in range(d):
            fi = F[s, a, i]
            if fi != 0.0:
                for j in range(d):
                    G[h, i, j] += fi * F[s, a, j]
                b[h, i] += fi * r
                M[h, i, x] += fi


@njit(cache=True)
def _rlsvi_update(form, N, Nsas, Rsum, Rsq, G, b, M, F, ended, H, states, actions, rewards, L):  # pragma: no cover
    """Add an episode to the statistics of the chosen form; mark its last state if it ended before ``H``."""
    if form != _FEATURES:
        add_transitions(N, Nsas, Rsum, Rsq, states, actions, rewards, L)
    else:
        _add_linear(G, b, M, F, states, actions, rewards, L)
    if L < H:  # the episode ended before H: its last state is terminal
        ended[states[L]] = True


@njit(cache=True)
def _rlsvi_loop(
    form,
    N,
    Nsas,
    Rsum,
    Rsq,
    G,
    b,
    M,
    F,
    sigma,
    lam,
    ended,
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
    policy,
    V0,
    Lam,
    Lc,
    rhs,
    y,
    mean,
    z,
    noise,
    theta,
):  # pragma: no cover - compiled
    """``K = regret.shape[0]`` RLSVI episodes: plan, simulate, update, record."""
    H = policy.shape[0]
    states = np.empty(H + 1, np.int64)
    actions = np.empty(H, np.int64)
    rewards = np.empty(H)
    for k in range(regret.shape[0]):
        _rlsvi_plan(
            form,
            N,
            Nsas,
            Rsum,
            G,
            b,
            M,
            F,
            sigma,
            lam,
            ended,
            gen,
            policy,
            V0,
            Lam,
            Lc,
            rhs,
            y,
            mean,
            z,
            noise,
            theta,
        )
        L = simulate_episode(policy, cdf, init_cdf, R, terminal, gen, states, actions, rewards)
        _rlsvi_update(form, N, Nsas, Rsum, Rsq, G, b, M, F, ended, H, states, actions, rewards, L)
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
    constant=POSITIVE,
)
def rlsvi_regret_bound(n_states: int, n_actions: int, horizon: int, n_episodes: int, *, constant: float = 1.0) -> float:
    """``c H^{3/2} sqrt(S A T log(S A T))``, ``T = K H``: the order of tabular RLSVI's regret bound.

    Osband, Van Roy, Russo and Wen (2019, JMLR, Theorem 1) bound tabular RLSVI's
    Bayesian expected regret by ``O~(H^{3/2} sqrt(S A T))``. The theorem's constant and
    logarithmic factors are not explicit in what we could read, so ``constant`` is a
    free parameter (default 1) and one ``log(S A T)`` under the root stands for the
    hidden logarithms: this is a curve of the theorem's order, **not** a certified bound.

    Parameters
    ----------
    n_states, n_actions, horizon : int in [1, 10**6]
    n_episodes : int in [1, 10**12]
    constant : float > 0, default 1.0

    Returns
    -------
    float

    Guarantee
    ---------
    None certified: a curve of the order of Osband, Van Roy, Russo and Wen (2019),
    Theorem 1, with a constant of your choosing. Compared with measured regret by
    ``tests/tabular/exploration/test_rlsvi.py::test_regret_below_order_curve_and_sublinear``.

    Examples
    --------
    >>> round(rlsvi_regret_bound(6, 2, 20, 2000))
    224127
    """
    T = float(n_episodes) * horizon
    SAT = float(n_states) * n_actions * T
    return constant * horizon**1.5 * math.sqrt(SAT * math.log(max(SAT, math.e)))


class RLSVI:
    """Randomized least-squares value iteration (Osband, Van Roy and Wen 2016).

    Parameters
    ----------
    n_states, n_actions, horizon : int in [1, 10**6]
        ``S``, ``A``, ``H``.
    features : ndarray of shape (S, A, d), optional
        ``phi(s, a)``, finite; None: tabular (one-hot, by the diagonal closed form).
        ``Hs * d * d`` must be at most ``10**8``.
    sigma : float > 0, default 1.0
        Noise standard deviation of the regression; for ``form="perturbed_model"`` the
        scale of the reward noise, std ``sigma (1/sqrt(n) + (H-h)/n)``.
    lam : float > 0, default 1.0
        Prior precision: ``theta ~ N(0, I / lam)``. Not used by ``form="perturbed_model"``
        (its prior is the one uniform pseudo-transition of reward 0).
    stage_dependent : bool, default False
        False: one regression per step ``h`` on the transitions of *all* steps (the MDP
        is stationary; statistics of leading axis 1); True: on the transitions observed
        at step ``h`` only (Osband et al.'s original; leading axis ``H``). The same for
        the empirical model of ``form="perturbed_model"``.
    form : {"regression", "perturbed_model"}, default "regression"
        "regression": the Bayesian regression above (tabular or on ``features``);
        "perturbed_model": tabular model-based RLSVI (Russo 2019; the module docstring
        gives the model, the noise, the cap at ``H`` and the draw order); needs
        ``features=None``.

    Attributes
    ----------
    value_estimate : ndarray of float64, shape (S,) or None
        ``max_a Qtilde_0(s, a)`` of the last planned episode (a random value function,
        not an upper bound; 0 at states seen ending an episode early; capped at ``H`` by
        ``form="perturbed_model"``). None before the first episode.

    Guarantee
    ---------
    Tabular: Bayesian regret ``O~(H^{3/2} sqrt(S A T))`` (Osband, Van Roy, Russo and Wen
    2019, Theorem 1). The theorem's constants are not explicit, so :meth:`regret_bound`
    claims nothing (None); :func:`rlsvi_regret_bound` draws a curve of that order with a
    constant of your choosing. What is checked: the posterior against a direct
    regression and the draws' moments, and the regret falling, by
    ``tests/tabular/exploration/test_rlsvi.py::test_posterior_matches_direct_regression``,
    ``tests/tabular/exploration/test_rlsvi.py::test_draws_have_the_posterior_moments`` and
    ``tests/tabular/exploration/test_rlsvi.py::test_regret_below_order_curve_and_sublinear``.
    ``form="perturbed_model"``: Russo (2019) bounds the worst-case regret of tabular
    RLSVI by ``O~(H^3 S^{3/2} sqrt(A K))`` for a noise scale growing like ``sqrt(S H^3
    log(H S A k))``; the form here keeps rlberry's constant scale, so no bound is claimed
    either. Its plan is checked against a NumPy re-implementation by
    ``tests/tabular/exploration/test_rlsvi.py::test_perturbed_model_plan_matches_numpy``
    and its regret against rlberry's agent (noise with mean 0) by
    ``tests/tabular/exploration/test_rlberry_agreement.py::test_regret_agrees_with_rlberry``.

    Examples
    --------
    >>> import numpy as np
    >>> learner = RLSVI(3, 2, 4)
    >>> pi = learner.begin_episode(0, np.random.default_rng(0))
    >>> pi.shape, learner.value_estimate.shape
    ((4, 3), (3,))
    >>> learner.end_episode(np.array([0, 1, 2]), np.array([1, 0]), np.array([0.5, 1.0]))
    >>> mean, cov = learner.posterior(3, np.zeros(3))  # last step: targets are the rewards
    >>> float(mean[0 * 2 + 1]), float(cov[1, 1])  # (s, a) = (0, 1): 0.5 / (1 + 1), 1 / (1 + 1)
    (0.25, 0.5)
    >>> pm = RLSVI(3, 2, 4, form="perturbed_model")  # Russo's (2019) model-based form
    >>> pm.end_episode(np.array([0, 1, 2]), np.array([1, 0]), np.array([0.5, 1.0]))
    >>> mean, cov = pm.posterior(3, np.zeros(3))  # law of Qtilde_3: n = 1 + 1, std 1/sqrt(2) + 1/2
    >>> float(mean[1]), round(float(cov[1, 1]), 4)
    (0.25, 1.4571)
    """

    name = "RLSVI"
    _kernels = (_rlsvi_plan, _rlsvi_update, _rlsvi_loop)

    @validate_params(
        n_states=Integer(1, MAX_DIM),
        n_actions=Integer(1, MAX_DIM),
        horizon=Integer(1, MAX_DIM),
        features=Array(ndim=3, shape=("n_states", "n_actions", None)) | None,
        sigma=POSITIVE,
        lam=POSITIVE,
        stage_dependent=Bool(),
        form=Options("regression", "perturbed_model"),
    )
    def __init__(
        self,
        n_states: int,
        n_actions: int,
        horizon: int,
        *,
        features: np.ndarray | None = None,
        sigma: float = 1.0,
        lam: float = 1.0,
        stage_dependent: bool = False,
        form: str = "regression",
    ) -> None:
        if form == "perturbed_model" and features is not None:
            raise InvalidParameterError("form", "'perturbed_model' is tabular: it needs features=None")
        self.form = form
        self.n_states = int(n_states)
        self.n_actions = int(n_actions)
        self.horizon = int(horizon)
        self.sigma = float(sigma)
        self.lam = float(lam)
        self.stage_dependent = bool(stage_dependent)
        Hs = self.horizon if self.stage_dependent else 1
        if features is None:
            if Hs * self.n_states * self.n_actions * self.n_states > MAX_MODEL:
                raise InvalidParameterError(
                    "n_states",
                    f"the model of {Hs * self.n_states * self.n_actions * self.n_states} entries exceeds the limit "
                    f"{MAX_MODEL}",
                )
            self.features = None
        else:
            F = np.ascontiguousarray(features, dtype=np.float64)
            d = F.shape[2]
            if Hs * d * d > _MAX_GRAM:
                raise InvalidParameterError(
                    "features", f"dimension d = {d} gives {Hs * d * d} Gram entries, above the limit {_MAX_GRAM}"
                )
            if not np.all(np.isfinite(F)):
                raise InvalidParameterError("features", "entries must be finite")
            self._F_data = F  # writable: one compiled signature for both forms
            self.features = F.view()
            self.features.setflags(write=False)
        self.reset()

    @property
    def tabular(self) -> bool:
        """True when ``features`` is None (one-hot, closed form)."""
        return self.features is None

    @property
    def _code(self) -> int:
        if self.features is not None:
            return _FEATURES
        return _PERTURBED if self.form == "perturbed_model" else _TABULAR

    def reset(self) -> None:
        """Forget all data. Draws no random numbers."""
        Hs = self.horizon if self.stage_dependent else 1
        S, A = self.n_states, self.n_actions
        if self.features is None:
            self.N = np.zeros((Hs, S, A))
            self.Nsas = np.zeros((Hs, S, A, S))
            self.Rsum = np.zeros((Hs, S, A))
            self.Rsq = np.zeros((Hs, S, A))
            d = 0
            self.G = np.zeros((1, 0, 0))
            self.b = np.zeros((1, 0))
            self.M = np.zeros((1, 0, S))
            self._F = np.zeros((S, A, 0))
        else:
            d = self.features.shape[2]
            self.N = np.zeros((1, 0, 0))
            self.Nsas = np.zeros((1, 0, 0, 0))
            self.Rsum = np.zeros((1, 0, 0))
            self.Rsq = np.zeros((1, 0, 0))
            self.G = np.zeros((Hs, d, d))
            self.b = np.zeros((Hs, d))
            self.M = np.zeros((Hs, d, S))
            self._F = self._F_data
        self._work = (np.empty((d, d)), np.empty((d, d)), *(np.empty(d) for _ in range(6)))
        self._ended = np.zeros(S, dtype=np.bool_)
        self.value_estimate: np.ndarray | None = None

    @property
    def ended(self) -> np.ndarray:
        """States seen ending an episode before ``H`` (worth 0 in every sampled ``Qtilde``), bool (S,) (copy)."""
        return self._ended.copy()

    def posterior(self, h: int, next_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean (d,) and covariance (d, d) of ``theta_h`` given ``Vtilde_{h+1} = next_values``.

        Tabular: ``d = S A``, coordinate ``s A + a``, a diagonal covariance.
        ``form="perturbed_model"``: the law of ``Qtilde_h`` (coordinate ``s A + a``) given
        ``Vtilde_{h+1}``: mean ``Rhat + Phat Vtilde_{h+1}``, variance
        ``sigma^2 (1/sqrt(n) + (H-h)/n)^2``, ``n = N + 1``.
        """
        h = Integer(0, self.horizon - 1).check(h, "h")
        V = np.ascontiguousarray(next_values, dtype=np.float64)
        if V.shape != (self.n_states,) or not np.all(np.isfinite(V)):
            raise InvalidParameterError("next_values", f"expected a finite array of shape ({self.n_states},)")
        if self.form == "perturbed_model":
            hs = h if self.stage_dependent else 0
            n1 = self.N[hs] + 1.0
            mean = (self.Rsum[hs] + self.Nsas[hs] @ V + V.mean()) / n1
            std = self.sigma * (1.0 / np.sqrt(n1) + (self.horizon - h) / n1)
            return mean.reshape(-1), np.diag((std**2).reshape(-1))
        if self.features is None:
            hs = h if self.stage_dependent else 0
            denom = self.N[hs] + self.lam * self.sigma**2
            mean = (self.Rsum[hs] + self.Nsas[hs] @ V) / denom
            return mean.reshape(-1), np.diag((self.sigma**2 / denom).reshape(-1))
        hs = h if self.stage_dependent else 0
        d = self.features.shape[2]
        Lam, Lc, rhs, y, mean = np.empty((d, d)), np.empty((d, d)), np.empty(d), np.empty(d), np.empty(d)
        _linear_posterior(self.G[hs], self.b[hs], self.M[hs], V, self.sigma, self.lam, Lam, Lc, rhs, y, mean)
        Linv = np.linalg.inv(Lc)
        return mean, Linv.T @ Linv

    def begin_episode(self, episode: int, rng: np.random.Generator) -> np.ndarray:
        """Sample ``Qtilde`` backward and return its greedy policy, shape (H, S)."""
        policy = np.empty((self.horizon, self.n_states), np.int64)
        V0 = np.empty(self.n_states)
        _rlsvi_plan(
            self._code, self.N, self.Nsas, self.Rsum, self.G, self.b, self.M, self._F, self.sigma, self.lam,
            self._ended, rng, policy, V0, *self._work,
        )  # fmt: skip
        self.value_estimate = V0
        return policy

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Add the episode's transitions to the regression statistics."""
        st = np.ascontiguousarray(states, dtype=np.int64)
        ac = np.ascontiguousarray(actions, dtype=np.int64)
        rw = np.ascontiguousarray(rewards, dtype=np.float64)
        _rlsvi_update(
            self._code, self.N, self.Nsas, self.Rsum, self.Rsq, self.G, self.b, self.M, self._F, self._ended,
            self.horizon, st, ac, rw, ac.shape[0],
        )  # fmt: skip

    def regret_bound(self, n_episodes: int) -> float | None:
        """None: no finite-time bound with explicit constants is stated for RLSVI.

        :func:`rlsvi_regret_bound` gives the order of the Bayesian bound of Osband et al.
        (2019, Theorem 1) with a constant of your choosing; it is not a certified bound, so
        the learner does not claim it (and the contract suite does not hold it to it).
        """
        return None

    def __repr__(self) -> str:
        d = "None" if self.features is None else f"<array of shape {self.features.shape}>"
        return (
            f"RLSVI(n_states={self.n_states}, n_actions={self.n_actions}, horizon={self.horizon}, features={d}, "
            f"sigma={self.sigma}, lam={self.lam}, stage_dependent={self.stage_dependent}, form={self.form!r})"
        )

    def _run_compiled(self, tables: EpisodeTables, n_episodes: int, gen: np.random.Generator, log: EpisodeLog) -> None:
        """``n_episodes`` episodes in one loop kernel, bit-identical to the protocol path."""
        K = n_episodes
        policy = np.empty((self.horizon, self.n_states), np.int64)
        V0 = np.empty(self.n_states)
        _rlsvi_loop(
            self._code, self.N, self.Nsas, self.Rsum, self.Rsq, self.G, self.b, self.M, self._F, self.sigma,
            self.lam, self._ended, tables.cdf, tables.init_cdf, tables.R, tables.terminal, tables.P, tables.rho, tables.vstar0,
            tables.vstar_rho, gen, log.regret[:K], log.returns[:K], log.estimates[:K], log.margins[:K], log.s0[:K],
            policy, V0, *self._work,
        )  # fmt: skip
        self.value_estimate = V0
