"""MEX, Maximize to Explore (Liu, Lu, Xiong, Zhong, Hu, Zhang, Zheng, Yang and Wang 2023).

MEX replaces confidence sets, bonuses and posterior sampling by one unconstrained
maximisation per episode. With a hypothesis class ``F`` (models or value functions), a
loss ``L_h^{k-1}(f)`` of ``f`` on the data of the first ``k - 1`` episodes and a weight
``eta > 0``, episode ``k`` plays the optimal policy ``pi_{f^k}`` of (Algorithm 1 of the
paper)::

    f^k = argmax_{f in F}  V_{1,f}(x_1) - eta * sum_h L_h^{k-1}(f).

The first term pulls towards hypotheses that promise much (optimism, i.e. exploration),
the second towards hypotheses that explain the data (estimation); the argmax itself is
planning. ``eta -> infinity`` is certainty equivalence (greedy in the best fit),
``eta -> 0`` pure optimism.

Model-based instance (this module's :class:`MEX`)
-------------------------------------------------
``f = (P, R)`` is a tabular model, ``V_{1,f}`` its optimal value, and the loss is the
negative log-likelihood of the observed transitions,
``L_h^{k-1}(f) = -sum_{j<k} log P_f(x^j_{h+1} | x^j_h, a^j_h)``. With counts
``N(s, a, s')`` (pooled over the steps when the model is shared by all steps) the
objective is, up to a constant that depends on the data only,

.. math::

    J(P, R) = \\hat\\rho \\cdot V^*_{0}(P, R)
        + \\eta \\Big[ \\sum_{s,a,s'} N(s,a,s') \\log \\frac{P(s'|s,a)}{\\hat P(s'|s,a)}
        + \\ell_R(R) \\Big]

(the bracket is the log-likelihood ratio to the maximum-likelihood model, ``<= 0``).
Rewards are unknown here, so they are part of ``f`` and treated likewise
(``rewards="likelihood"``): rewards in [0, 1] get the Bernoulli quasi-likelihood
``l_R(R) = sum Rsum log(R / Rhat) + (N - Rsum) log((1 - R) / (1 - Rhat))`` (the
Bernoulli log-likelihood with fractional outcomes: exact for 0/1 rewards, maximised by
the empirical mean ``Rhat`` for any rewards in [0, 1]). ``rewards="empirical"`` plugs in
the empirical mean rewards (1, the largest reward, where unvisited) and leaves them out
of the maximisation. The initial state ``x_1`` of the paper is replaced by the empirical
distribution ``rho_hat`` of the initial states seen so far (uniform before the first
episode). Terminal states are not known to the learner in advance, and what follows
one is never observed (so its rows would stay optimistic); like UCBVI, a state where an
episode ended before ``H`` is marked (:attr:`MEX.ended`) and is worth 0 in every model
(the episode stops there: no occupancy, no value).

What the solver computes
------------------------
``J`` is not concave in ``P`` (``V*`` is a maximum over policies of polynomials in
``P``), so the global argmax is out of reach in general. :meth:`MEX.solve` runs a
monotone ascent from two starting models and keeps the one of larger ``J``:

1. *Linearise*: for the current model, take its optimal policy ``pi``, its occupancy
   ``d_t(s, a)`` from ``rho_hat`` and its values ``V_{t+1}``; the derivative of
   ``rho_hat . V^pi_0`` in the row ``P(.|s, a)`` is ``g = sum_t d_t(s, a) V_{t+1}``
   (summed over the steps that share the row) and in ``R(s, a)`` it is
   ``w = sum_t d_t(s, a)``.
2. *Solve the rows exactly*: each row maximises the concave
   ``g . p + eta N(s, a, .) . log p`` over the simplex. Its one-dimensional dual gives
   ``p_i = eta N_i / (lambda - g_i)`` with ``lambda`` the root of
   ``sum_i eta N_i / (lambda - g_i) = 1`` above ``max g``, found by Newton's method
   (monotone from the left, to machine precision; :func:`mex_row_argmax`); next states
   never observed get mass only when their ``g`` exceeds ``lambda``. The mean reward is
   the same problem with two outcomes. Rows with ``w = 0`` (not reached by ``pi``) take
   their maximum-likelihood value (unvisited ones are kept).
3. *Backtrack*: move from the current model towards the row solutions by the first of
   the steps ``1, 1/2, 1/4, ...`` that strictly increases ``J`` (exact ``J``: backward
   induction plus the log-likelihood). Since the log-likelihood is concave and ``V*``
   is a maximum of smooth functions, this direction increases ``J`` unless the model
   already maximises its own linearisation (a first-order stationary point of ``J`` for
   its optimal policy); then the ascent stops.

The starting models are the maximum-likelihood model (uniform rows where unvisited) and
a *state-wise optimistic* model: backward over the steps, every row solves step 2 with
weight 1 in place of the occupancy (``g = V_{t+1}``), so every state, reached or not,
gets the optimism the data allow (like the optimistic model of UCBVI-type planners, with
a KL penalty instead of a confidence set; unvisited pairs get reward 1 and a point mass on
the best next state). So the result is a stationary point of ``J`` (or the iterate after
``max_iter`` steps) whose ``J`` is at least that of both starting models; it is not
certified to be the global maximiser.

Guarantee
---------
For hypothesis classes of low generalised eluder coefficient ``d_GEC`` containing the
true model, the paper proves (its main online-regret theorem; number not verified) that MEX with

.. math::

    \\eta = \\sqrt{ \\frac{d_{GEC}(1/\\sqrt{HK})}{\\log(H \\mathcal N / \\delta) \\, H K} }

has, with probability ``1 - delta``,
``Reg(K) <~ sqrt(d_GEC(1/sqrt(HK)) log(H N / delta) H K)``, where ``N`` is the size (or
a covering / bracketing number) of the class and ``<~`` hides absolute constants and
logarithmic factors. The theorem assumes the *exact* argmax; the solver here returns a
stationary point, so the theorem does not cover this implementation (no tractable exact
solver is known). The constants are not explicit and ``d_GEC`` of a tabular class is
given in the paper only up to constants and logarithms, so :meth:`MEX.regret_bound`
returns None; :func:`mex_theoretical_eta` evaluates the ``eta`` above for a
``d_GEC`` and a log-complexity you supply. We could not read the paper's full text in
this session: the algorithm and losses above rest on the authors' abstract and released
code (github.com/agentification/MEX) and on public slides restating Algorithm 1; the
``eta`` and the rate rest on a follow-up note by the authors' group quoting the
theorem of the original MEX paper. The theorem's number in the paper is not verified.

Tested by ``tests/tabular/exploration/test_mex.py::test_row_argmax_matches_scipy`` and
the tests below, in ``tests/tabular/exploration/test_mex.py``:
``test_row_argmax_matches_scipy`` (step 2 against a general-purpose constrained
optimiser), ``test_objective_matches_independent_evaluation`` (``J`` against
:func:`tabular.backward_induction` plus a NumPy log-likelihood),
``test_ascent_is_monotone_and_beats_starts_and_random_models`` (``J`` never decreases;
``J(result) >= J(MLE)`` and ``>= J`` of random feasible models),
``test_brute_force_global_maximum_on_tiny_instances`` (no model on a fine grid beats the
solver, ``S = A = 2``), ``test_large_eta_is_certainty_equivalence`` (``eta -> infinity``:
the greedy policy of the empirical model, computed by :func:`tabular.backward_induction`),
``test_regret_sublinear_on_riverswim_and_compared_with_ucbvi``,
``test_compiled_and_python_paths_are_bit_identical`` and
``test_a_state_that_ends_an_episode_is_worth_zero`` (a combination lock with terminal
states is opened).

Model-free instance
-------------------
:class:`tabular.exploration.LinearMEX` (:mod:`tabular.exploration.linear_mex`): linear
``Q_h = phi . theta_h`` on tabulated features with the paper's model-free loss.

References
----------
Z. Liu, M. Lu, W. Xiong, H. Zhong, H. Hu, S. Zhang, S. Zheng, Z. Yang and Z. Wang,
"Maximize to Explore: One Objective Function Fusing Estimation, Planning, and
Exploration", NeurIPS 2023 (arXiv:2305.18258, first titled "One Objective to Rule Them
All: A Maximization Objective Fusing Estimation and Planning for Exploration").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rlcore.results import Result
from rlcore.validation import Array, Bool, Integer, InvalidParameterError, Options, Real, validate_params
from tabular.exploration import _mex_kernels as kernels
from tabular.exploration._constraints import MAX_DIM, MAX_MODEL, POSITIVE

__all__ = ["MEX", "MEXSolution", "mex_row_argmax", "mex_theoretical_eta"]

_STARTS = ("mle", "optimistic")


@dataclass(frozen=True, repr=False)
class MEXSolution(Result):
    """One solve of the MEX objective (``Hs = H`` when stage dependent, else 1).

    Attributes
    ----------
    P : ndarray of float64, shape (Hs, S, A, S)
        The chosen transition model.
    R : ndarray of float64, shape (Hs, S, A)
        Its mean rewards.
    policy : ndarray of int64, shape (H, S)
        Its optimal policy (ties to the lowest action), the policy MEX plays.
    values : ndarray of float64, shape (S,)
        Its optimal values ``V*_0``.
    objective : float
        ``J(P, R)`` (see the module docstring).
    start : {"mle", "optimistic"}
        The starting model the ascent that won began from.
    iterations : int
        Accepted ascent steps of that run.
    trace : ndarray of float64, shape (iterations + 1,)
        ``J`` after each accepted step of that run (non-decreasing).
    """

    P: np.ndarray
    R: np.ndarray
    policy: np.ndarray
    values: np.ndarray
    objective: float
    start: str
    iterations: int
    trace: np.ndarray


@validate_params(g=Array(ndim=1), counts=Array(ndim=1, shape=("g.0",), low=0.0), eta=Real(0, None))
def mex_row_argmax(g: np.ndarray, counts: np.ndarray, eta: float) -> np.ndarray:
    """The row subproblem of MEX: ``argmax_{p in simplex} g^T p + eta counts^T log(p)``.

    Parameters
    ----------
    g : ndarray of float, shape (n,)
        Linear coefficients (occupancy-weighted next-state values).
    counts : ndarray of float, shape (n,)
        Non-negative counts ``N(s, a, .)``.
    eta : float >= 0
        Weight of the log-likelihood.

    Returns
    -------
    ndarray of float64, shape (n,)
        The maximiser (unique when ``eta * sum(counts) > 0``; otherwise the vertex at the
        lowest argmax of ``g``). From the dual: ``p_i = eta counts_i / (lambda - g_i)``
        on ``counts > 0`` with ``lambda`` the root above ``max g`` of
        ``sum_i eta counts_i / (lambda - g_i) = 1`` (Newton's method, monotone);
        entries with zero count get mass only when their ``g`` exceeds that ``lambda``.

    Guarantee
    ---------
    The exact maximiser of a strictly concave problem on the simplex, through its
    one-dimensional dual (KKT conditions). Tested against SciPy's SLSQP and the KKT
    conditions by ``tests/tabular/exploration/test_mex.py::test_row_argmax_matches_scipy``.

    Examples
    --------
    >>> mex_row_argmax(np.zeros(3), np.array([1.0, 1.0, 2.0]), 1.0).tolist()
    [0.25, 0.25, 0.5]
    >>> p = mex_row_argmax(np.array([0.0, 1.0]), np.array([1.0, 1.0]), 1.0)
    >>> bool(p[1] > 0.5)
    True
    """
    out = np.empty(g.shape[0])
    kernels.row_argmax(np.ascontiguousarray(g), np.ascontiguousarray(counts), float(eta), out)
    return out


@validate_params(
    d_gec=Real(1e-100, 1e100),
    log_complexity=Real(1e-100, 1e100),
    horizon=Integer(1, MAX_DIM),
    n_episodes=Integer(1, 10**12),
)
def mex_theoretical_eta(d_gec: float, log_complexity: float, horizon: int, n_episodes: int) -> float:
    """The paper's choice ``eta = sqrt(d_GEC / (log_complexity * H * K))``.

    Parameters
    ----------
    d_gec : float in [1e-100, 1e100]
        The generalised eluder coefficient ``d_GEC(1 / sqrt(H K))`` of the class.
    log_complexity : float in [1e-100, 1e100]
        ``log(H N / delta)`` with ``N`` the size (or covering / bracketing number at
        scale ``1/K``) of the hypothesis class.
    horizon, n_episodes : int
        ``H`` and ``K``.

    Returns
    -------
    float
        The ``eta`` of the regret theorem (see the module docstring for what this rests
        on); with it the bound is ``O(sqrt(d_GEC log_complexity H K))``.

    Guarantee
    ---------
    The ``eta`` of Liu et al. (2023)'s regret theorem (see the module docstring for
    what the statement rests on). Tested by
    ``tests/tabular/exploration/test_mex.py::test_no_bound_and_theoretical_eta``.

    Examples
    --------
    >>> mex_theoretical_eta(4.0, 1.0, 1, 100)
    0.2
    """
    return math.sqrt(d_gec / (log_complexity * horizon * n_episodes))


@validate_params(
    n_states=Integer(1, MAX_DIM),
    n_actions=Integer(1, MAX_DIM),
    horizon=Integer(1, MAX_DIM),
    eta=POSITIVE,
    rewards=Options("likelihood", "empirical"),
    stage_dependent=Bool(),
    max_iter=Integer(0, 10**6),
)
class MEX:
    """Model-based MEX: each episode, maximise ``V*_P(rho) + eta * loglik(P)`` and play ``pi*_P``.

    Parameters
    ----------
    n_states, n_actions, horizon : int in [1, 10**6]
        ``S``, ``A``, ``H``.
    eta : float > 0, default 1.0
        Weight of the log-likelihood (the paper's ``eta``). Large: certainty
        equivalence; small: optimism. The paper's theoretical choice decreases like
        ``1/sqrt(K)`` (:func:`mex_theoretical_eta`); a constant ``eta`` shrinks the
        optimism on a pair seen ``n`` times like ``1/(eta n)``.
    rewards : {"likelihood", "empirical"}, default "likelihood"
        ``"likelihood"``: mean rewards are maximised too, with a Bernoulli
        quasi-likelihood; ``"empirical"``: empirical means (1 where unvisited), not
        optimised.
    stage_dependent : bool, default False
        False: one model for all steps (statistics of leading axis 1); True: one model
        per step (leading axis ``H``).
    max_iter : int in [0, 10**6], default 50
        Most ascent steps per starting model and episode.

    Attributes
    ----------
    value_estimate : ndarray of float64, shape (S,) or None
        ``V*_0`` of the model chosen for the last planned episode. It is optimistic by
        construction but not a certified upper bound on ``V*_0``. None before the first
        episode.
    ended : ndarray of bool, shape (S,)
        States seen ending an episode before ``H``: worth 0 in every model.
    solution : MEXSolution or None
        The solve of the last :meth:`begin_episode` (with an empty ``trace``); None
        before it and after a compiled run.

    Guarantee
    ---------
    Regret ``O~(sqrt(d_GEC log(H N / delta) H K))`` for the exact argmax with the
    paper's ``eta`` (Liu et al. 2023, main regret theorem); constants are not explicit and the
    solver returns a stationary point, so :meth:`regret_bound` returns None. What holds
    and is tested: the ascent never decreases ``J`` and ends above both starts, by
    ``tests/tabular/exploration/test_mex.py::test_ascent_is_monotone_and_beats_starts_and_random_models``;
    no model on a fine grid beats it on tiny instances, by
    ``tests/tabular/exploration/test_mex.py::test_brute_force_global_maximum_on_tiny_instances``.

    Examples
    --------
    >>> import numpy as np
    >>> learner = MEX(3, 2, 4, eta=1.0)
    >>> pi = learner.begin_episode(0, np.random.default_rng(0))
    >>> pi.shape, pi.dtype, learner.value_estimate.tolist()
    ((4, 3), dtype('int64'), [4.0, 4.0, 4.0])
    >>> learner.end_episode(np.array([0, 1, 2]), np.array([1, 0]), np.array([0.5, 1.0]))
    >>> sol = learner.solve()
    >>> bool(np.all(np.diff(sol.trace) > 0)), sol.start
    (True, 'optimistic')
    """

    name = "MEX"
    _kernels = (kernels,)

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        horizon: int,
        *,
        eta: float = 1.0,
        rewards: str = "likelihood",
        stage_dependent: bool = False,
        max_iter: int = 50,
    ) -> None:
        self.n_states = int(n_states)
        self.n_actions = int(n_actions)
        self.horizon = int(horizon)
        self.eta = float(eta)
        self.rewards = str(rewards)
        self.stage_dependent = bool(stage_dependent)
        self.max_iter = int(max_iter)
        Hs = self.horizon if self.stage_dependent else 1
        if Hs * self.n_states * self.n_actions * self.n_states > MAX_MODEL:
            raise InvalidParameterError(
                "n_states",
                f"the model of {Hs * self.n_states * self.n_actions * self.n_states} entries exceeds the limit {MAX_MODEL}",
            )
        self.reset()

    @property
    def _rew_lik(self) -> bool:
        return self.rewards == "likelihood"

    def reset(self) -> None:
        """Forget all data. Draws no random numbers."""
        Hs = self.horizon if self.stage_dependent else 1
        S, A = self.n_states, self.n_actions
        self.N = np.zeros((Hs, S, A))
        self.Nsas = np.zeros((Hs, S, A, S))
        self.Rsum = np.zeros((Hs, S, A))
        self.Rsq = np.zeros((Hs, S, A))
        self.N0 = np.zeros(S)
        self.ended = np.zeros(S, dtype=np.bool_)
        self._P = np.zeros((Hs, S, A, S))
        self._Rm = np.zeros((Hs, S, A))
        self.value_estimate: np.ndarray | None = None
        self.solution: MEXSolution | None = None

    @property
    def rho_hat(self) -> np.ndarray:
        """The empirical initial-state distribution used in the objective, shape (S,)."""
        return kernels.empirical_rho(self.N0)

    def begin_episode(self, episode: int, rng: np.random.Generator) -> np.ndarray:
        """Solve the MEX objective on the data so far; return the chosen model's optimal policy (H, S).

        Draws no random numbers.
        """
        policy = np.empty((self.horizon, self.n_states), np.int64)
        V0 = np.empty(self.n_states)
        J, start, its = kernels.mex_plan(
            self.N,
            self.Nsas,
            self.Rsum,
            self.N0,
            self.eta,
            self._rew_lik,
            self.ended,
            self.max_iter,
            self._P,
            self._Rm,
            policy,
            V0,
        )
        self.value_estimate = V0
        self.solution = MEXSolution(
            self._P.copy(), self._Rm.copy(), policy.copy(), V0.copy(), float(J), _STARTS[start], int(its), np.empty(0)
        )
        return policy

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Add the episode's transitions, rewards and initial state to the counts; mark an early last state."""
        st = np.ascontiguousarray(states, dtype=np.int64)
        ac = np.ascontiguousarray(actions, dtype=np.int64)
        rw = np.ascontiguousarray(rewards, dtype=np.float64)
        kernels.mex_update(
            self.N, self.Nsas, self.Rsum, self.Rsq, self.N0, self.ended, self.horizon, st, ac, rw, ac.shape[0]
        )

    def regret_bound(self, n_episodes: int) -> None:
        """None: the paper's bound has no explicit constants (see the module docstring)."""
        return None

    def objective(self, P: np.ndarray, R: np.ndarray) -> float:
        """``J(P, R) = rho_hat . V*_0(P, R) + eta * (loglik(P, R) - loglik(MLE))`` on the current data.

        Parameters
        ----------
        P : ndarray of float, shape (Hs, S, A, S) or (S, A, S) when ``Hs = 1``
            Row-stochastic transition model.
        R : ndarray of float, shape (Hs, S, A) or (S, A) when ``Hs = 1``
            Mean rewards (in [0, 1] with ``rewards="likelihood"``; ignored otherwise, the
            empirical means are used).

        Returns
        -------
        float
            ``-inf`` when the model gives probability 0 to an observed event.
        """
        P, R = self._check_model(P, R)
        policy = np.empty((self.horizon, self.n_states), np.int64)
        V = np.empty((self.horizon + 1, self.n_states))
        return float(
            kernels.objective(
                P, R, self.N, self.Nsas, self.Rsum, self.rho_hat, self.eta, self._rew_lik, self.ended, policy, V
            )
        )

    def solve(self, start: str = "best") -> MEXSolution:
        """Maximise the MEX objective on the current data (see the module docstring).

        Parameters
        ----------
        start : {"best", "mle", "optimistic"}, default "best"
            The starting model of the ascent; ``"best"`` runs both and keeps the larger
            objective (ties: optimistic), as :meth:`begin_episode` does.

        Returns
        -------
        MEXSolution
            With the objective trace of the winning run. Does not change the learner.
        """
        if start not in ("best", "mle", "optimistic"):
            raise InvalidParameterError("start", f"must be one of 'best', 'mle', 'optimistic', got {start!r}")
        runs = [s for s in _STARTS if start in ("best", s)]
        best: MEXSolution | None = None
        for name in runs:
            P = np.empty_like(self._P)
            Rm = np.empty_like(self._Rm)
            if name == "mle":
                kernels.mle_start(self.N, self.Nsas, self.Rsum, self._rew_lik, P, Rm)
            else:
                kernels.optimistic_start(
                    self.N, self.Nsas, self.Rsum, self.eta, self._rew_lik, self.ended, self.horizon, P, Rm
                )
            policy = np.empty((self.horizon, self.n_states), np.int64)
            V = np.empty((self.horizon + 1, self.n_states))
            trace = np.empty(self.max_iter + 1)
            J, its = kernels.ascent(
                P,
                Rm,
                self.N,
                self.Nsas,
                self.Rsum,
                self.rho_hat,
                self.eta,
                self._rew_lik,
                self.ended,
                self.max_iter,
                policy,
                V,
                trace,
            )
            sol = MEXSolution(P, Rm, policy, V[0].copy(), float(J), name, int(its), trace[: its + 1].copy())
            if best is None or not (best.objective > sol.objective):
                best = sol
        assert best is not None
        return best

    def _check_model(self, P: object, R: object) -> tuple[np.ndarray, np.ndarray]:
        Hs, S, A = self.N.shape
        P = np.asarray(P, dtype=np.float64)
        R = np.asarray(R, dtype=np.float64)
        if P.shape == (S, A, S) and Hs == 1:
            P = P[None]
        if R.shape == (S, A) and Hs == 1:
            R = R[None]
        if P.shape != (Hs, S, A, S):
            raise InvalidParameterError("P", f"expected shape {(Hs, S, A, S)}, got {P.shape}")
        if R.shape != (Hs, S, A):
            raise InvalidParameterError("R", f"expected shape {(Hs, S, A)}, got {R.shape}")
        if not np.all(np.isfinite(P)) or P.min() < 0.0 or np.max(np.abs(P.sum(axis=-1) - 1.0)) > 1e-9:
            raise InvalidParameterError("P", "rows must be finite, non-negative and sum to 1 (within 1e-9)")
        if not np.all(np.isfinite(R)) or (self._rew_lik and (R.min() < 0.0 or R.max() > 1.0)):
            raise InvalidParameterError("R", "mean rewards must be finite and lie in [0, 1]")
        if not self._rew_lik:
            R = np.where(self.N > 0, self.Rsum / np.maximum(self.N, 1.0), 1.0)
        return np.ascontiguousarray(P), np.ascontiguousarray(R)

    def _run_compiled(self, tables, n_episodes, gen, log) -> None:
        """``n_episodes`` episodes in one loop kernel, bit-identical to the protocol path."""
        policy = np.empty((self.horizon, self.n_states), np.int64)
        V0 = np.empty(self.n_states)
        kernels.mex_loop(
            self.N,
            self.Nsas,
            self.Rsum,
            self.Rsq,
            self.N0,
            self.eta,
            self._rew_lik,
            self.ended,
            self.max_iter,
            tables.cdf,
            tables.init_cdf,
            tables.R,
            tables.terminal,
            tables.P,
            tables.rho,
            tables.vstar0,
            tables.vstar_rho,
            gen,
            log.regret[:n_episodes],
            log.returns[:n_episodes],
            log.estimates[:n_episodes],
            log.margins[:n_episodes],
            log.s0[:n_episodes],
            self._P,
            self._Rm,
            policy,
            V0,
        )
        self.value_estimate = V0
        self.solution = None
