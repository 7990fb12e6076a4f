# Length: one algorithm with its EVI, its regret bound, the diameter and two result types; mostly docstrings.
"""UCRL2: optimistic exploration for the average-reward criterion (Jaksch, Ortner and Auer 2010).

The learner acts for ``T`` steps in one unknown communicating MDP, with no resets, and
is judged against the optimal gain ``rho*`` (long-run average reward). UCRL2 (their
Fig. 1) runs in epochs ``k = 1, 2, ...`` that start at step ``t_k``. At the start of an
epoch, with ``N_k(s, a)`` the visits of ``(s, a)`` before ``t_k``, ``n = max(1, N_k)``,
empirical means ``r_hat`` and empirical transitions ``p_hat`` (both 0 where ``N_k = 0``),
it considers every MDP whose rewards and transitions satisfy (their eqs. 3 and 4)

.. math::

    |\\tilde r(s, a) - \\hat r(s, a)| \\le \\sqrt{\\frac{7 \\log(2 S A t_k / \\delta)}{2 n}},
    \\qquad
    \\|\\tilde p(\\cdot | s, a) - \\hat p(\\cdot | s, a)\\|_1 \\le
    \\sqrt{\\frac{14 S \\log(2 A t_k / \\delta)}{n}},

finds with **extended value iteration** (EVI, their section 3.1.2) a policy and a
plausible MDP whose gain is within ``1/sqrt(t_k)`` of the largest gain of any policy in
any plausible MDP, and plays that policy until some pair's visits in the epoch reach
``max(1, N_k(s, a))`` (the doubling rule).

EVI is value iteration on the *extended* MDP whose actions in state ``s`` are the pairs
``(a, p)`` with ``p`` in the L1 ball around ``p_hat(.|s, a)`` (intersected with the
simplex) and reward ``min(1, r_hat + radius)``:

.. math:: u_{i+1}(s) = \\max_a \\Big[\\tilde r(s, a) + \\max_{p} \\sum_{s'} p(s') u_i(s')\\Big].

The inner maximum is a linear programme over a polytope solved greedily (their Fig. 2):
order the states by decreasing ``u_i``, move ``min(d/2, 1 - p_hat(best))`` of mass to
the best state and take the same mass away from the worst states first. EVI stops when
``span(u_{i+1} - u_i) < epsilon``; then (Odoni 1969 bounds, applied to the extended
MDP) ``min_s (u_{i+1} - u_i)(s) <= rho(greedy policy, optimistic transitions)`` and
``max_{plausible M, pi} rho <= max_s (u_{i+1} - u_i)(s)``, a bracket of width below
``epsilon``.

**Regret, measured exactly.** ``rho*`` is the gain of the optimal policy of
:func:`tabular.relative_value_iteration` (certified to ``1e-10``), evaluated exactly.
The *pseudo-regret* of step ``t`` is ``rho* - g^{pi_k}(s_t)``, with ``g^{pi_k}`` the
exact gain of the policy in force (per start state: stationary distribution on every
closed class of its chain, absorption into the classes from the transient states, two
linear solves); the *realised regret* after ``T`` steps is ``T rho* - sum_t r_t``, the
quantity of Theorem 2.

References
----------
T. Jaksch, R. Ortner and P. Auer, "Near-optimal regret bounds for reinforcement
learning", *Journal of Machine Learning Research* 11:1563-1600, 2010 (Fig. 1: UCRL2;
section 3.1.2 and Fig. 2: extended value iteration; Theorem 2: the regret bound;
Theorem 7: the convergence of EVI; Lemma 17: the confidence sets; Proposition 18: the
number of epochs). We could not open the paper's text in this session: the constants
(``7/2`` and ``14 S`` in the radii, ``34`` in Theorem 2) are the paper's as we recall
them, and are restated the same way in later work.

R. Fruit, M. Pirotta and A. Lazaric, "Near optimal exploration-exploitation in
non-communicating Markov decision processes", NeurIPS 2018 (why ``env`` must be
communicating).

A. R. Odoni, "On finding the maximal gain for Markov decision processes", *Operations
Research* 17(5), 1969 (the gain bracket).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from rlcore.mdp import FiniteMDP
from rlcore.progress import PROGRESS, first_then_bar
from rlcore.randomness import RNGLike, spawn
from rlcore.results import Result
from rlcore.validation import (
    MAX_ITERATIONS,
    MAX_SAMPLES,
    MDP,
    RNG,
    Array,
    Integer,
    InvalidParameterError,
    ProbabilityRows,
    Real,
    refuse_nonfinite,
    shape_of,
    validate_params,
)
from tabular.average_reward import relative_value_iteration
from tabular.exploration import _ucrl2_kernels as _k
from tabular.exploration._constraints import DELTA

__all__ = [
    "ExtendedValueIterationResult",
    "UCRL2Result",
    "extended_value_iteration",
    "mdp_diameter",
    "ucrl2",
    "ucrl2_regret_bound",
]

#: Largest ``n_runs * n_steps`` (entries of each per-step array of the result).
MAX_STEP_ENTRIES = 10**8
#: Iteration budget of each extended value iteration inside :func:`ucrl2`.
EVI_MAX_ITER = 1_000_000


@dataclass(frozen=True, repr=False)
class ExtendedValueIterationResult(Result):
    """Outcome of :func:`extended_value_iteration`.

    Attributes
    ----------
    gain : float
        Midpoint of the bracket: the optimistic gain estimate.
    gain_lower, gain_upper : float
        ``min_s delta(s)`` and ``max_s delta(s)`` for ``delta = L u - u`` (``L`` the EVI
        operator): ``gain_lower <= gain of (policy, p_tilde, r_tilde) from every state``
        and ``gain_upper >= the largest gain of any policy in any MDP of the set``.
    u : ndarray of shape (S,)
        The last iterate, shifted so that its minimum is 0 (a bias-like vector).
    policy : ndarray of int64, shape (S,)
        Greedy for ``u`` (ties to the lowest action).
    p_tilde : ndarray of shape (S, A, S)
        The optimistic transition of every pair for ``u`` (the maximiser of ``p . u``
        over the pair's L1 ball).
    r_tilde : ndarray of shape (S, A)
        The optimistic rewards ``min(1, r_hat + r_radius)``.
    iterations : int
    converged : bool
        ``gain_upper - gain_lower < epsilon`` within ``max_iter``.
    epsilon : float
    method : str
    """

    gain: float
    gain_lower: float
    gain_upper: float
    u: np.ndarray
    policy: np.ndarray
    p_tilde: np.ndarray
    r_tilde: np.ndarray
    iterations: int
    converged: bool
    epsilon: float
    method: str = "extended_value_iteration"

    def bounds(self) -> dict[str, float]:
        """The certified numbers: the optimistic gain bracket."""
        return {"gain_lower": self.gain_lower, "gain_upper": self.gain_upper}


@validate_params(
    p_hat=ProbabilityRows(ndim=3),
    r_hat=Array(ndim=2, shape=(shape_of("p_hat", 0), shape_of("p_hat", 1)), low=0.0, high=1.0),
    p_radius=Array(ndim=2, shape=(shape_of("p_hat", 0), shape_of("p_hat", 1)), low=0.0),
    r_radius=Array(ndim=2, shape=(shape_of("p_hat", 0), shape_of("p_hat", 1)), low=0.0),
    epsilon=Real(0, None, closed="neither"),
    max_iter=Integer(1, MAX_ITERATIONS),
)
def extended_value_iteration(
    p_hat: np.ndarray,
    r_hat: np.ndarray,
    p_radius: np.ndarray,
    r_radius: np.ndarray,
    *,
    epsilon: float,
    max_iter: int = 100_000,
) -> ExtendedValueIterationResult:
    """Extended value iteration over L1 confidence sets (Jaksch et al. 2010, section 3.1.2).

    Value iteration on the extended MDP whose state-``s`` actions are ``(a, p)`` with
    ``p`` a distribution, ``||p - p_hat(.|s, a)||_1 <= p_radius[s, a]``, and reward
    ``min(1, r_hat[s, a] + r_radius[s, a])``, from ``u_0 = 0`` until
    ``span(u_{i+1} - u_i) < epsilon``.

    Parameters
    ----------
    p_hat : ndarray of shape (S, A, S)
        Centres of the transition sets (rows are probability vectors).
    r_hat : ndarray of shape (S, A)
        Centres of the reward intervals, in [0, 1].
    p_radius, r_radius : ndarray of shape (S, A)
        Non-negative radii (L1 for transitions; a radius of 2 or more allows every
        distribution).
    epsilon : float > 0
        Stopping tolerance on the span of ``u_{i+1} - u_i``.
    max_iter : int in [1, 10**9]
        Iteration budget; ``converged`` is False when it runs out.

    Returns
    -------
    ExtendedValueIterationResult

    Raises
    ------
    ValueError, TypeError
        A malformed argument (named), or ``p_hat`` not of shape (S, A, S).

    Guarantee
    ---------
    Whatever the stop, ``gain_lower <= gain of policy under (p_tilde, r_tilde)`` from every
    state and ``gain_upper >=`` the optimal gain of the extended MDP (Odoni 1969 bounds:
    ``p_tilde`` attains the inner maximum, so ``r_tilde + p_tilde u - u = L u - u`` along
    the policy). If some MDP of the set is communicating, EVI converges and the greedy
    policy is ``epsilon``-optimal (Jaksch et al. 2010, Theorem 7). The inner maximum is
    tested against an enumeration of the vertices of the polytope and against
    ``scipy.optimize.linprog`` by
    ``tests/tabular/exploration/test_ucrl2.py::test_optimistic_transition_matches_vertices_and_linprog``,
    the bracket against brute force over the stationary deterministic policies of the
    (finite, vertex-action) extended MDP by
    ``tests/tabular/exploration/test_ucrl2.py::test_evi_gain_matches_brute_force_extended_mdp``,
    and optimism (``gain_upper >= rho*`` of any MDP in the set, with the true MDP on the
    set's boundary) by
    ``tests/tabular/exploration/test_ucrl2.py::test_evi_is_optimistic_when_the_true_mdp_is_in_the_set``.

    Examples
    --------
    Two states, one action each way; state 1 pays 1. With no uncertainty the gain is
    that of the MDP; with radius 2 every transition is allowed, so the gain is 1.

    >>> import numpy as np
    >>> p = np.array([[[0.5, 0.5]], [[0.5, 0.5]]]); r = np.array([[0.0], [1.0]])
    >>> zero = np.zeros((2, 1))
    >>> round(extended_value_iteration(p, r, zero, zero, epsilon=1e-9).gain, 6)
    0.5
    >>> round(extended_value_iteration(p, r, zero + 2.0, zero, epsilon=1e-9).gain, 6)
    1.0
    """
    S, A, S2 = p_hat.shape
    if S2 != S:
        raise InvalidParameterError("p_hat", f"expected shape (S, A, S), got {p_hat.shape}")
    r_tilde = np.minimum(1.0, r_hat + r_radius)
    u = np.zeros(S)
    policy = np.zeros(S, np.int64)
    p_tilde = np.zeros((S, A, S))
    it, lo, hi = _k.evi(
        np.ascontiguousarray(p_hat),
        r_tilde,
        np.ascontiguousarray(p_radius),
        float(epsilon),
        int(max_iter),
        u,
        policy,
        p_tilde,
    )
    return ExtendedValueIterationResult(
        gain=0.5 * (lo + hi),
        gain_lower=float(lo),
        gain_upper=float(hi),
        u=u,
        policy=policy,
        p_tilde=p_tilde,
        r_tilde=r_tilde,
        iterations=int(it),
        converged=bool(hi - lo < epsilon),
        epsilon=float(epsilon),
    )


@dataclass(frozen=True, repr=False)
class UCRL2Result(Result):
    """Regret of UCRL2 over ``n_runs`` independent runs of ``n_steps`` steps.

    Attributes
    ----------
    pseudo_regret : ndarray of float64, shape (n_runs, n_steps)
        ``rho* - g^{pi_k}(s_t)``: the optimal gain minus the exact gain, from the current
        state, of the policy in force at step ``t`` (0 up to rounding when it is optimal).
    rewards : ndarray of float64, shape (n_runs, n_steps)
        The rewards received.
    optimal_gain : float
        ``rho*``.
    optimistic_gains : ndarray of float64, shape (n_runs, max_epochs)
        EVI's lower gain bound ``min_s (L u - u)(s)`` of each epoch (a lower bound on the
        optimistic gain ``rho_tilde_k`` of the chosen policy in the chosen MDP);
        ``-inf`` after the last epoch of a run.
    optimistic_gains_upper : ndarray of float64, shape (n_runs, max_epochs)
        EVI's upper bound ``max_s (L u - u)(s)``, ``-inf`` padded.
    epoch_starts : ndarray of int64, shape (n_runs, max_epochs)
        First step (0-based) of each epoch, so ``t_k = epoch_starts + 1``; -1 padded.
    epoch_policies : ndarray of int64, shape (n_runs, max_epochs, S)
        The policy of each epoch; -1 padded.
    evi_iterations : ndarray of int64, shape (n_runs, max_epochs)
        EVI iterations of each epoch (``EVI_MAX_ITER`` = 10**6 if it ran out, which
        Theorem 7 rules out); 0 padded.
    n_epochs : ndarray of int64, shape (n_runs,)
    diameter : float
        ``D`` of the MDP (:func:`mdp_diameter`); inf if it is not communicating, NaN for
        one state.
    bound : ndarray of float64, shape (n_steps,), or None
        Theorem 2's bound on the realised regret after ``t = 1..n_steps`` steps
        (:func:`ucrl2_regret_bound`); None when ``D`` is not finite.
    delta : float
    """

    pseudo_regret: np.ndarray
    rewards: np.ndarray
    optimal_gain: float
    optimistic_gains: np.ndarray
    optimistic_gains_upper: np.ndarray
    epoch_starts: np.ndarray
    epoch_policies: np.ndarray
    evi_iterations: np.ndarray
    n_epochs: np.ndarray
    diameter: float
    bound: np.ndarray | None
    delta: float

    @property
    def n_runs(self) -> int:
        """Number of independent runs."""
        return int(self.pseudo_regret.shape[0])

    @property
    def n_steps(self) -> int:
        """Steps per run, ``T``."""
        return int(self.pseudo_regret.shape[1])

    def cumulative_regret(self) -> np.ndarray:
        """Cumulative pseudo-regret ``sum_{t' <= t} (rho* - g^{pi}(s_t'))``, shape (n_runs, n_steps)."""
        return np.cumsum(self.pseudo_regret, axis=1)

    def realised_regret(self) -> np.ndarray:
        """Realised regret ``t rho* - sum_{t' <= t} r_t'`` (Theorem 2's quantity), shape (n_runs, n_steps)."""
        return np.cumsum(self.optimal_gain - self.rewards, axis=1)

    @validate_params(start=Integer(1, None) | None)
    def regret_slope(self, start: int | None = None) -> float:
        """Least-squares slope of ``log(mean cumulative pseudo-regret)`` on ``log t``, ``t >= start``.

        About 1/2 for a ``sqrt(T)`` regret, 0 for a bounded one, 1 for a linear one.

        Parameters
        ----------
        start : int >= 1, optional
            First step (1-based) of the fit; default ``n_steps // 10``.

        Returns
        -------
        float
            NaN when the mean regret is not positive on the whole window.
        """
        T = self.n_steps
        first = max(1, T // 10) if start is None else min(int(start), T)
        mean = self.cumulative_regret().mean(axis=0)[first - 1 :]
        t = np.arange(first, T + 1, dtype=np.float64)
        if mean.size < 2 or not np.all(mean > 0):
            return math.nan
        return float(np.polyfit(np.log(t), np.log(mean), 1)[0])


def _dense_P(mdp: FiniteMDP) -> np.ndarray:
    S, A = mdp.n_states, mdp.n_actions
    if mdp.is_sparse:
        return np.asarray(sp.csr_array(mdp.P).toarray()).reshape(S, A, S)
    return np.asarray(mdp.P, dtype=np.float64)


def _graph_distances(P: np.ndarray) -> np.ndarray:
    """Fewest steps from ``s`` to ``s'`` with positive probability under some policy, (S, S)."""
    graph = (P > 0).any(axis=1)
    return csgraph.shortest_path(sp.csr_array(graph.astype(np.float64)), unweighted=True)


def _unreachable_pair(P: np.ndarray) -> tuple[int, int] | None:
    """A pair ``(s, s')`` such that no policy ever reaches ``s'`` from ``s``; None if communicating."""
    dist = _graph_distances(P)
    bad = np.argwhere(~np.isfinite(dist))
    return None if bad.size == 0 else (int(bad[0][0]), int(bad[0][1]))


def _policy_gain(P: np.ndarray, R: np.ndarray, policy: np.ndarray) -> np.ndarray:
    """Exact gain ``g^pi(s)`` of a deterministic stationary policy from every state, shape (S,).

    Closed classes of the chain (strongly connected components with no edge leaving):
    stationary distribution, gain constant on the class; transient states: the
    absorption-weighted average, ``(I - P_TT) g_T = P_TC g_C``.
    """
    S = P.shape[0]
    idx = np.arange(S)
    Pp = P[idx, policy]
    r = R[idx, policy]
    edges = Pp > 0
    n_comp, labels = csgraph.connected_components(sp.csr_array(edges), directed=True, connection="strong")
    src, dst = np.nonzero(edges)
    leaving = np.zeros(n_comp, dtype=bool)
    cross = labels[src] != labels[dst]
    leaving[labels[src][cross]] = True
    g = np.zeros(S)
    rec = np.zeros(S, dtype=bool)
    for c in np.flatnonzero(~leaving):
        C = np.flatnonzero(labels == c)
        Q = Pp[np.ix_(C, C)]
        Q = Q / Q.sum(axis=1, keepdims=True)
        M = Q.T - np.eye(C.size)
        M[-1, :] = 1.0
        b = np.zeros(C.size)
        b[-1] = 1.0
        pi = np.linalg.solve(M, b)
        g[C] = pi @ r[C]
        rec[C] = True
    T = ~rec
    if T.any():
        rhs = Pp[np.ix_(T, rec)] @ g[rec]
        g[T] = np.linalg.solve(np.eye(int(T.sum())) - Pp[np.ix_(T, T)], rhs)
    return g


@validate_params(
    env=MDP(
        discounted=True,
        hint=(
            "ucrl2 learns in an infinite-horizon MDP under the average-reward criterion (build the "
            "FiniteMDP with any gamma, which is ignored); for finite-horizon exploration use "
            "tabular.exploration.explore"
        ),
    ),
    n_steps=Integer(1, MAX_SAMPLES),
    delta=DELTA,
    n_runs=Integer(1, 10**6),
    rng=RNG(),
    progress=PROGRESS,
)
def ucrl2(
    env: FiniteMDP,
    n_steps: int,
    *,
    delta: float = 0.1,
    n_runs: int = 1,
    rng: RNGLike = None,
    progress: bool | None = None,
) -> UCRL2Result:
    """UCRL2 (Jaksch, Ortner and Auer 2010, Fig. 1) for ``n_steps`` steps, regret measured exactly.

    Parameters
    ----------
    env : rlcore.FiniteMDP
        Infinite-horizon (its ``gamma`` is ignored), dense or sparse, rewards in
        ``[0, 1]``, communicating (every state reachable from every other under some
        policy: the setting of Jaksch et al. 2010; in weakly communicating MDPs optimistic
        algorithms of this kind can suffer linear regret, Fruit et al. 2018). The learner
        sees only the states and rewards; ``env`` also gives the exact regret. Runs start
        from ``env.initial``.
    n_steps : int in [1, 10**12]
        ``T``, steps per run (``n_runs * n_steps <= 10**8``).
    delta : float in [1e-100, 1)
        Confidence parameter of the sets and of Theorem 2.
    n_runs : int in [1, 10**6]
        Independent runs, with generators ``rlcore.randomness.spawn(rng, n_runs)``.
    rng : Generator, int or None
    progress : bool or None, default None
        Progress bar over the runs (see :mod:`rlcore.progress`). The result does not
        depend on it.

    Returns
    -------
    UCRL2Result

    Raises
    ------
    ValueError, TypeError
        Naming the argument: ``n_steps < 1``, ``delta`` outside (0, 1), a finite-horizon
        ``env``, rewards outside [0, 1], an ``env`` that is not communicating.

    Guarantee
    ---------
    With probability at least ``1 - delta``, for any initial state and any ``T > 1``, the
    realised regret ``T rho* - sum_t r_t <= 34 D S sqrt(A T log(T / delta))``
    (Jaksch et al. 2010, Theorem 2; ``D`` the diameter). On the event that the true MDP
    lies in the plausible set of epoch ``k`` (probability at least
    ``1 - delta / (15 t_k^6)``, their Lemma 17), the optimistic gain satisfies
    ``rho_tilde_k >= rho* - 1/sqrt(t_k)`` (EVI's bracket plus optimism). Tested by
    ``tests/tabular/exploration/test_ucrl2.py::test_optimism_on_river_swim_and_random_mdp``
    (over many seeds, failure budget binomial),
    ``tests/tabular/exploration/test_ucrl2.py::test_regret_below_theorem_2_and_sublinear``
    (the bound where it is not vacuous, and the measured slope) and
    ``tests/tabular/exploration/test_ucrl2.py::test_simulation_matches_finite_mdp_step``
    (the simulator) and
    ``tests/tabular/exploration/test_ucrl2.py::test_matches_python_reference_of_fig_1``
    (the epochs, radii and doubling rule, against Fig. 1 written out in Python, and the
    epoch count against their Proposition 18).

    Examples
    --------
    >>> from rlcore.generators import river_swim
    >>> res = ucrl2(river_swim(4, gamma=0.9), 2000, n_runs=2, rng=0)
    >>> res.pseudo_regret.shape, bool(np.all(res.realised_regret()[:, -1] <= res.bound[-1]))
    ((2, 2000), True)
    """
    S, A = env.n_states, env.n_actions
    R = np.asarray(env.R, dtype=np.float64)
    bad = np.argwhere((R < 0.0) | (R > 1.0))
    if bad.size:
        s, a = (int(x) for x in bad[0])
        raise InvalidParameterError("env", f"UCRL2 needs rewards in [0, 1]; found R[{s}, {a}] = {R[s, a]!r}")
    if n_runs * n_steps > MAX_STEP_ENTRIES:
        raise InvalidParameterError(
            "n_steps",
            f"n_runs * n_steps = {n_runs * n_steps:.3g} per-step entries, more than {MAX_STEP_ENTRIES:.0e}; use fewer",
        )
    P = _dense_P(env)
    pair = _unreachable_pair(P)
    if pair is not None:
        raise InvalidParameterError(
            "env",
            f"UCRL2 needs a communicating MDP (Jaksch et al. 2010); state {pair[1]} cannot be reached "
            f"from state {pair[0]} under any policy, so the diameter is infinite",
        )
    opt = relative_value_iteration(env, epsilon=1e-10)
    if not opt.converged:  # pragma: no cover - communicating MDPs have a constant optimal gain
        raise InvalidParameterError(
            "env", f"relative value iteration did not certify rho* (bracket [{opt.gain_lower}, {opt.gain_upper}])"
        )
    g_opt = _policy_gain(P, R, opt.policy)
    rho = float(np.max(g_opt)) if np.ptp(g_opt) < 1e-9 and g_opt.min() >= opt.gain_lower else float(opt.gain)
    D = mdp_diameter(env) if S >= 2 else math.nan
    bound = (
        np.asarray(ucrl2_regret_bound(D, S, A, np.arange(1, n_steps + 1), delta), dtype=np.float64)
        if math.isfinite(D)
        else None
    )

    k_max = S * A * (int(math.floor(math.log2(n_steps))) + 1) + 1
    cdf, indptr, indices, _ = env.sampling_tables()
    init_cdf = env.initial_cdf
    pseudo = np.empty((n_runs, n_steps))
    rewards = np.empty((n_runs, n_steps))
    lo = np.full((n_runs, k_max), -np.inf)
    hi = np.full((n_runs, k_max), -np.inf)
    starts = np.full((n_runs, k_max), -1, dtype=np.int64)
    iters = np.zeros((n_runs, k_max), dtype=np.int64)
    policies = np.full((n_runs, k_max, S), -1, dtype=np.int64)
    n_epochs = np.zeros(n_runs, dtype=np.int64)
    states = np.empty(n_steps, dtype=np.int64)
    gains: dict[bytes, np.ndarray] = {}
    gens = spawn(rng, n_runs)
    for i in first_then_bar(n_runs, desc="ucrl2", unit="run", progress=progress, kernels=[_k]):
        K = _k.ucrl2_run(
            cdf, indptr, indices, init_cdf, R, float(delta), int(n_steps), EVI_MAX_ITER, gens[i],
            states, rewards[i], starts[i], lo[i], hi[i], iters[i], policies[i],
        )  # fmt: skip
        n_epochs[i] = K
        G = np.empty((K, S))
        for k in range(K):
            key = policies[i, k].tobytes()
            if key not in gains:
                gains[key] = _policy_gain(P, R, policies[i, k])
            G[k] = gains[key]
        lengths = np.diff(np.append(starts[i, :K], n_steps))
        epoch_of = np.repeat(np.arange(K), lengths)
        pseudo[i] = rho - G[epoch_of, states]
    return UCRL2Result(
        pseudo_regret=pseudo,
        rewards=rewards,
        optimal_gain=rho,
        optimistic_gains=lo,
        optimistic_gains_upper=hi,
        epoch_starts=starts,
        epoch_policies=policies,
        evi_iterations=iters,
        n_epochs=n_epochs,
        diameter=float(D),
        bound=bound,
        delta=float(delta),
    )


@validate_params(
    diameter=Real(1, None),
    n_states=Integer(1, None),
    n_actions=Integer(1, None),
    n_steps=Integer(1, MAX_SAMPLES) | Array("int", ndim=1, low=1),
    delta=DELTA,
)
def ucrl2_regret_bound(
    diameter: float, n_states: int, n_actions: int, n_steps: int | np.ndarray, delta: float
) -> float | np.ndarray:
    """Theorem 2 of Jaksch et al. (2010): ``34 D S sqrt(A T log(T / delta))``.

    Parameters
    ----------
    diameter : float >= 1
        ``D`` (:func:`mdp_diameter`; at least 1 in any MDP with two states or more).
    n_states, n_actions : int >= 1
    n_steps : int >= 1 or ndarray of int
        ``T`` (one or many).
    delta : float in [1e-100, 1)

    Returns
    -------
    float or ndarray of float64
        The bound on the realised regret ``T rho* - sum_{t<=T} r_t`` that holds, with
        probability at least ``1 - delta``, simultaneously for every ``T > 1`` and every
        initial state. It exceeds the trivial bound ``T`` (rewards in [0, 1]) until
        ``T`` is of order ``(34 D S)^2 A log(T / delta)``.

    Guarantee
    ---------
    Jaksch, Ortner and Auer 2010, Theorem 2 (communicating MDP, rewards in [0, 1]).
    Compared with measured regret in
    ``tests/tabular/exploration/test_ucrl2.py::test_regret_below_theorem_2_and_sublinear``.

    Examples
    --------
    ``34 * 2 * 3 * sqrt(2 * 10**4 * log(10**5)) = 204 * 479.85``:

    >>> round(ucrl2_regret_bound(2.0, 3, 2, 10_000, 0.1), 1)
    97889.9
    """
    T = np.asarray(n_steps, dtype=np.float64)
    out = 34.0 * diameter * n_states * np.sqrt(n_actions * T * (np.log(T) - math.log(delta)))
    refuse_nonfinite(out, "diameter", "the bound overflows float64 (diameter, n_states or n_actions too large)")
    return float(out) if np.ndim(out) == 0 else out


@validate_params(
    mdp=MDP(discounted=True, hint="the diameter is a property of an infinite-horizon MDP (gamma is ignored)")
)
def mdp_diameter(mdp: FiniteMDP) -> float:
    """Diameter ``D = max_{s != s'} min_pi E[steps to reach s' from s under pi]`` (Jaksch et al. 2010).

    For each target ``s'`` the minimal expected hitting times solve a stochastic
    shortest-path problem (cost 1 per step until ``s'``), solved exactly by policy
    iteration started from a proper policy (one step closer to ``s'`` in the transition
    graph with positive probability), each evaluation a linear solve.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Infinite-horizon (``gamma`` ignored), at least two states.

    Returns
    -------
    float
        ``D``, or ``inf`` when the MDP is not communicating (then a ``UserWarning`` names
        a pair of states with no path).

    Raises
    ------
    ValueError, TypeError
        Not a FiniteMDP, finite horizon, or a single state.

    Guarantee
    ---------
    The diameter of Jaksch, Ortner and Auer (2010), Definition 1, computed by exact
    stochastic-shortest-path policy iteration per target state. Tested against
    enumeration of deterministic policies by
    ``tests/tabular/exploration/test_ucrl2.py::test_mdp_diameter_matches_brute_force``.

    Examples
    --------
    A deterministic cycle of 4 states with a "stay" and a "next" action: ``D = 3``.

    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> P = np.zeros((4, 2, 4))
    >>> for s in range(4):
    ...     P[s, 0, s] = 1.0; P[s, 1, (s + 1) % 4] = 1.0
    >>> mdp_diameter(FiniteMDP(P, np.zeros((4, 2)), gamma=0.9))
    3.0
    """
    S = mdp.n_states
    if S < 2:
        raise InvalidParameterError("mdp", "the diameter needs at least two states")
    P = _dense_P(mdp)
    pair = _unreachable_pair(P)
    if pair is not None:
        warnings.warn(
            f"mdp: not communicating (state {pair[1]} cannot be reached from state {pair[0]} under any "
            "policy); the diameter is infinite",
            UserWarning,
            stacklevel=2,
        )
        return math.inf
    support = P > 0
    dist = _graph_distances(P)
    D = 0.0
    idx = np.arange(S)
    for target in range(S):
        others = idx != target
        d = dist[:, target]
        # proper start: an action with positive probability of moving one step closer
        closer = support & (d[None, None, :] == d[:, None, None] - 1)
        pol = np.argmax(closer.any(axis=2), axis=1)
        h = np.zeros(S)
        for _ in range(10_000):
            Pp = P[idx, pol][np.ix_(others, others)]
            h[others] = np.linalg.solve(np.eye(S - 1) - Pp, np.ones(S - 1))
            h[target] = 0.0
            Q = 1.0 + P @ h  # (S, A)
            cur = Q[idx, pol]
            best = np.argmin(Q, axis=1)
            improve = Q[idx, best] < cur - 1e-12 * (1.0 + np.max(h))
            improve[target] = False
            if not improve.any():
                break
            pol = np.where(improve, best, pol)
        D = max(D, float(np.max(h)))
    return D
