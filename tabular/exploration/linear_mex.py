"""MEX with linear Q-functions: the model-free instance of Maximize to Explore (Liu et al. 2023).

See :mod:`tabular.exploration.mex` for the algorithm and the model-based instance; the
class docstring below gives this instance's exact objective and its (local, monotone)
solver.

Guarantee
---------
The solver never decreases the objective and ends at least at the least-squares fit's
value; it finds a local maximum, not a global one, so the paper's regret theorem (which
assumes the exact maximiser) does not apply and :meth:`LinearMEX.regret_bound` claims
nothing. Tested by
``tests/tabular/exploration/test_mex.py::test_linear_ascent_is_monotone_and_small_eta_is_optimistic`` and
``tests/tabular/exploration/test_mex.py::test_linear_large_eta_is_least_squares_value_iteration``.

References
----------
Z. Liu, M. Lu, W. Xiong, H. Zhong, H. Hu, S. Zhang, S. Zheng, Z. Yang and Z. Wang,
"Maximize to Explore: One Objective Function Fusing Estimation, Planning, and
Exploration", NeurIPS 2023 (arXiv:2305.18258).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlcore.results import Result
from rlcore.validation import Array, Integer, InvalidParameterError, Real, validate_params
from tabular.exploration import _mex_kernels as kernels
from tabular.exploration._constraints import MAX_DIM, MAX_MODEL, POSITIVE

__all__ = ["LinearMEX", "LinearMEXSolution"]


@dataclass(frozen=True, repr=False)
class LinearMEXSolution(Result):
    """One solve of the linear (model-free) MEX objective.

    Attributes
    ----------
    theta : ndarray of float64, shape (H, d)
        ``Q_h(s, a) = phi(s, a) . theta[h]``.
    policy : ndarray of int64, shape (H, S)
        Greedy in ``Q`` (ties to the lowest action), the policy MEX plays.
    values : ndarray of float64, shape (S,)
        ``V_0(s) = clip(max_a Q_0(s, a), 0, H)``.
    objective : float
        ``F(theta)`` (see :class:`LinearMEX`).
    iterations : int
        Accepted ascent steps.
    trace : ndarray of float64, shape (iterations + 1,)
        ``F`` after each accepted step (increasing).
    """

    theta: np.ndarray
    policy: np.ndarray
    values: np.ndarray
    objective: float
    iterations: int
    trace: np.ndarray


@validate_params(
    features=Array("float", ndim=3),
    horizon=Integer(1, MAX_DIM),
    eta=POSITIVE,
    ridge=Real(1e-12, 1e100),
    max_iter=Integer(0, 10**6),
)
class LinearMEX:
    """Model-free MEX with linear Q-functions ``Q_h(s, a) = phi(s, a)^T theta_h`` on tabulated features.

    The paper's model-free instance (Liu et al. 2023): the hypothesis is
    ``theta = (theta_0, ..., theta_{H-1})``, ``V_h(s) = clip(max_a Q_h(s, a), 0, H - h)`` (0 at the states in :attr:`ended`),
    ``V_H = 0``, and the loss of step ``h`` is the squared Bellman error minus its
    infimum over the class (which removes the variance of the regression target),

    .. math::

        L_h(\\theta) = \\sum_j (\\phi_j^\\top \\theta_h - r_j - V_{h+1}(x'_j))^2
            + \\lambda \\|\\theta_h\\|^2
            - \\min_{\\theta'} \\Big[\\sum_j (\\phi_j^\\top \\theta' - r_j - V_{h+1}(x'_j))^2
            + \\lambda \\|\\theta'\\|^2\\Big]
            = \\|\\theta_h - \\hat\\theta_h(\\theta_{h+1})\\|^2_{\\Lambda_h},

    over the step-``h`` transitions ``j``, with ``Lambda_h = sum_j phi_j phi_j^T + lambda I``
    and ``theta_hat_h`` the ridge fit of the targets ``r + V_{h+1}(x')`` (the identity
    is exact). ``lambda = ridge`` is ours (the paper's loss is ``lambda -> 0``); it makes
    the maximiser exist when the data do not span the features. Episode ``k`` maximises

    .. math::

        F(\\theta) = \\hat\\rho \\cdot V_0 - \\eta \\sum_h \\|\\theta_h - \\hat\\theta_h(\\theta_{h+1})\\|^2_{\\Lambda_h}.

    Solver (approximate: ``F`` is piecewise quadratic and not concave). Start at the
    least-squares value-iteration fit (every loss 0; the ``eta -> infinity`` solution).
    Then repeat: freeze, at the current ``theta``, which action attains each
    ``V_h(s)`` and which states are clipped; ``V`` is then affine in ``theta`` and ``F``
    a concave quadratic whose maximiser is closed-form (the residuals
    ``r_h = theta_h - theta_hat_h`` decouple: ``r_h = Lambda_h^{-1} u_h / (2 eta)`` with
    ``u_0 = E_0^T rho_hat`` and ``u_{h+1} = M_h^T u_h``, ``E_h`` the frozen features
    and ``M_h`` the frozen derivative of ``theta_hat_h`` in ``theta_{h+1}``); move
    towards it by the first of the steps ``1, 1/2, ...`` (at most 40) that strictly
    increases the true ``F``. Two such ascents run: one freezes the greedy actions;
    the other first tries, at each state, the action of largest
    ``Q_h(s, a) + ||phi(s, a)||^2_{Lambda_h^{-1}} / (2 eta)`` (the value that action
    reaches when raised alone at its cost), falling back to the greedy actions when
    that does not increase ``F``; the larger ``F`` is kept. Each stops after
    ``max_iter`` steps or when no step increases ``F``. So ``F`` never decreases and
    the result is at least the least-squares fit's ``F``, but it is a local, not a
    certified global, maximiser. ``eta -> infinity`` returns the least-squares fit;
    ``eta -> 0`` drives ``V_0`` to its clip ``H`` wherever the features leave room.

    Parameters
    ----------
    features : ndarray of float, shape (S, A, d)
        ``phi(s, a)``, finite.
    horizon : int in [1, 10**6]
    eta : float > 0, default 1.0
        Weight of the losses.
    ridge : float in [1e-12, 1e100], default 1e-6
        ``lambda``. The paper's loss is ``lambda -> 0``, under which directions the data
        do not span are free (maximal optimism there, up to the clip); a large ridge
        acts like pseudo-observations of value 0 and can stop exploration (with one-hot
        features, ``ridge = 1`` and ``eta = 0.3`` the learner stays on a bad policy of a
        2-state MDP, while ``ridge <= 1e-3`` learns it).
    max_iter : int in [0, 10**6], default 50

    Attributes
    ----------
    value_estimate : ndarray of float64, shape (S,) or None
        ``V_0`` of the last solve (not a certified bound).
    ended : ndarray of bool, shape (S,)
        States seen ending an episode before ``H`` (terminal): ``V_h = 0`` there at every
        step, as UCBVI does (what follows them is never observed).
    solution : LinearMEXSolution or None

    Guarantee
    ---------
    The paper's regret theorem (see :class:`MEX`) covers the exact argmax with a finite
    or covered class and ``eta`` of order ``1/sqrt(K)``; this solver is a monotone local
    method, so no bound is stated (:meth:`regret_bound` returns None). Tested by
    ``tests/tabular/exploration/test_mex.py::test_linear_large_eta_is_least_squares_value_iteration``
    (against :func:`tabular.lsvi.lsvi_plan` and a NumPy ridge recursion),
    ``tests/tabular/exploration/test_mex.py::test_linear_ascent_is_monotone_and_small_eta_is_optimistic``
    and ``tests/tabular/exploration/test_mex.py::test_linear_objective_identity``.

    Examples
    --------
    >>> import numpy as np
    >>> phi = np.eye(4).reshape(2, 2, 4)          # one-hot: the tabular case
    >>> learner = LinearMEX(phi, 3, eta=1.0)
    >>> learner.end_episode(np.array([0, 1, 1, 0]), np.array([1, 0, 1]), np.array([0.0, 1.0, 0.5]))
    >>> sol = learner.solve()
    >>> bool(np.all(np.diff(sol.trace) > 0)), sol.policy.shape
    (True, (3, 2))
    """

    name = "MEX-linear"

    def __init__(
        self, features: np.ndarray, horizon: int, *, eta: float = 1.0, ridge: float = 1e-6, max_iter: int = 50
    ) -> None:
        S, A, d = features.shape
        if S * A * d > MAX_MODEL or horizon * d * max(d, S) > MAX_MODEL:
            raise InvalidParameterError("features", f"the statistics exceed the limit of {MAX_MODEL} entries")
        self.features = np.ascontiguousarray(features, dtype=np.float64)
        self.features.setflags(write=False)
        self.n_states, self.n_actions, self.dim = S, A, d
        self.horizon = int(horizon)
        self.eta = float(eta)
        self.ridge = float(ridge)
        self.max_iter = int(max_iter)
        self.reset()

    def reset(self) -> None:
        """Forget all data. Draws no random numbers."""
        H, S, A = self.horizon, self.n_states, self.n_actions
        self.N = np.zeros((H, S, A))
        self.Nsas = np.zeros((H, S, A, S))
        self.Rsum = np.zeros((H, S, A))
        self.Rsq = np.zeros((H, S, A))
        self.N0 = np.zeros(S)
        self.ended = np.zeros(S, dtype=np.bool_)
        self.value_estimate: np.ndarray | None = None
        self.solution: LinearMEXSolution | None = None

    @property
    def rho_hat(self) -> np.ndarray:
        """The empirical initial-state distribution, shape (S,)."""
        return kernels.empirical_rho(self.N0)

    def begin_episode(self, episode: int, rng: np.random.Generator) -> np.ndarray:
        """Solve the linear MEX objective on the data so far; return its greedy policy (H, S)."""
        sol = self.solve()
        self.solution = sol
        self.value_estimate = sol.values
        return sol.policy.copy()

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Add the episode's transitions (per step), rewards and initial state; mark an early last state."""
        st = np.ascontiguousarray(states, dtype=np.int64)
        ac = np.ascontiguousarray(actions, dtype=np.int64)
        rw = np.ascontiguousarray(rewards, dtype=np.float64)
        kernels.mex_update(
            self.N, self.Nsas, self.Rsum, self.Rsq, self.N0, self.ended, self.horizon, st, ac, rw, ac.shape[0]
        )

    def regret_bound(self, n_episodes: int) -> None:
        """None (see the Guarantee section)."""
        return None

    # -- the objective ------------------------------------------------------------------

    def _stats(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``Lambda`` (H, d, d), its inverse, ``b = sum phi r`` (H, d), ``C = sum phi e_{x'}^T`` (H, d, S)."""
        H, S, A, d = self.horizon, self.n_states, self.n_actions, self.dim
        phi = self.features.reshape(S * A, d)
        lam = np.einsum("hk,ki,kj->hij", self.N.reshape(H, S * A), phi, phi) + self.ridge * np.eye(d)
        b = self.Rsum.reshape(H, S * A) @ phi
        C = np.einsum("hkt,ki->hit", self.Nsas.reshape(H, S * A, S), phi)
        return lam, np.linalg.inv(lam), b, C

    def _values(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``V`` (H+1, S) clipped to ``[0, H - h]`` and the greedy policy (H, S)."""
        H = self.horizon
        Q = np.einsum("sad,hd->hsa", self.features, theta)
        policy = np.argmax(Q, axis=2)
        V = np.zeros((H + 1, self.n_states))
        V[:H] = np.clip(Q.max(axis=2), 0.0, (H - np.arange(H))[:, None])
        V[:, self.ended] = 0.0
        policy[:, self.ended] = 0
        return V, policy

    def objective(self, theta: np.ndarray) -> float:
        """``F(theta) = rho_hat . V_0 - eta * sum_h ||theta_h - theta_hat_h(theta_{h+1})||^2_{Lambda_h}``.

        Parameters
        ----------
        theta : ndarray of float, shape (H, d)

        Returns
        -------
        float
        """
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.horizon, self.dim) or not np.all(np.isfinite(theta)):
            raise InvalidParameterError("theta", f"expected a finite array of shape {(self.horizon, self.dim)}")
        lam, lam_inv, b, C = self._stats()
        return self._objective(theta, lam, lam_inv, b, C)

    def _objective(self, theta, lam, lam_inv, b, C) -> float:
        V, _ = self._values(theta)
        fit = np.einsum("hij,hj->hi", lam_inv, b + np.einsum("hit,ht->hi", C, V[1:]))
        r = theta - fit
        return float(self.rho_hat @ V[0] - self.eta * np.einsum("hi,hij,hj->", r, lam, r))

    def _lsvi(self, lam_inv, b, C) -> np.ndarray:
        """The least-squares value-iteration fit (every loss 0)."""
        H = self.horizon
        theta = np.zeros((H, self.dim))
        V_next = np.zeros(self.n_states)
        for h in range(H - 1, -1, -1):
            theta[h] = lam_inv[h] @ (b[h] + C[h] @ V_next)
            V_next = np.clip((self.features @ theta[h]).max(axis=1), 0.0, H - h)
            V_next[self.ended] = 0.0
        return theta

    def _pattern_maximiser(self, theta, lam_inv, b, C, optimistic) -> np.ndarray:
        """The exact maximiser of ``F`` with the maximising actions and the clips frozen at ``theta``.

        ``optimistic=False``: the greedy action of ``Q_h(s, .)``; ``True``: the action of
        largest ``Q_h(s, a) + ||phi(s, a)||^2_{Lambda_h^{-1}} / (2 eta)`` (the value it
        reaches when raised alone at the cost ``eta ||.||^2_{Lambda_h}``), so that the
        frozen pattern can follow less-explored actions.
        """
        H, S, d = self.horizon, self.n_states, self.dim
        E = np.zeros((H + 1, S, d))
        c = np.zeros((H + 1, S))
        Q = np.einsum("sad,hd->hsa", self.features, theta)
        score = Q
        if optimistic:
            width = np.einsum("sai,hij,saj->hsa", self.features, lam_inv, self.features)
            score = Q + width / (2.0 * self.eta)
        best = np.argmax(score, axis=2)
        q = np.take_along_axis(Q, best[..., None], axis=2)[..., 0]
        qs = np.take_along_axis(score, best[..., None], axis=2)[..., 0]
        for h in range(H):
            top = H - h
            c[h] = np.where(q[h] >= top, top, 0.0)
            c[h] = np.where(self.ended, 0.0, c[h])  # a state seen ending an episode is worth 0
            free = (qs[h] >= 0.0) & (q[h] < top) & ~self.ended  # at 0 the one-sided slope upwards is phi
            E[h] = np.where(free[:, None], self.features[np.arange(S), best[h]], 0.0)
        m = np.einsum("hij,hj->hi", lam_inv, b + np.einsum("hit,ht->hi", C, c[1:]))
        M = np.einsum("hij,hjt,htk->hik", lam_inv, C, E[1:])  # d theta_hat_h / d theta_{h+1}
        u = E[0].T @ self.rho_hat
        new = np.empty((H, d))
        resid = np.empty((H, d))
        for h in range(H):
            resid[h] = lam_inv[h] @ u / (2.0 * self.eta)
            u = M[h].T @ u
        nxt = np.zeros(d)
        for h in range(H - 1, -1, -1):
            new[h] = m[h] + M[h] @ nxt + resid[h]
            nxt = new[h]
        return new

    def solve(self) -> LinearMEXSolution:
        """Maximise ``F`` on the current data (see the class docstring). Does not change the learner.

        Two ascents from the least-squares fit, one freezing the greedy pattern, one trying
        the optimistic pattern first (greedy when it fails); the larger ``F`` is kept
        (ties: the greedy one).
        """
        lam, lam_inv, b, C = self._stats()
        start = self._lsvi(lam_inv, b, C)
        theta, trace = self._ascent(start, (False,), lam, lam_inv, b, C)
        theta2, trace2 = self._ascent(start, (True, False), lam, lam_inv, b, C)
        if trace2[-1] > trace[-1]:
            theta, trace = theta2, trace2
        V, policy = self._values(theta)
        return LinearMEXSolution(
            theta, policy.astype(np.int64), V[0].copy(), trace[-1], len(trace) - 1, np.array(trace)
        )

    def _ascent(self, theta, patterns, lam, lam_inv, b, C) -> tuple[np.ndarray, list[float]]:
        J = self._objective(theta, lam, lam_inv, b, C)
        trace = [J]
        for _ in range(self.max_iter):
            accepted = False
            for optimistic in patterns:
                target = self._pattern_maximiser(theta, lam_inv, b, C, optimistic)
                step = 1.0
                for _ls in range(40):
                    cand = theta + step * (target - theta)
                    Jc = self._objective(cand, lam, lam_inv, b, C)
                    if Jc > J:
                        accepted = True
                        break
                    step *= 0.5
                if accepted:
                    break
            if not accepted:
                break
            gain = Jc - J
            theta, J = cand, Jc
            trace.append(J)
            if gain <= kernels.ASCENT_TOL * (1.0 + abs(J)):
                break
        return theta, trace
