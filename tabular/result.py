"""The result every discounted planner in :mod:`tabular` returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rlcore.results import Result, warn_if_vacuous
from tabular.certify import Certificate

__all__ = ["PlanningResult"]


@dataclass(frozen=True, repr=False)
class PlanningResult(Result):
    """Answer, diagnostics and certified bounds of a planner.

    Attributes
    ----------
    V : ndarray of shape (S,), or (H, S) under a finite horizon
        Estimate of the optimal value ``V*``.
    Q : ndarray of shape (S, A), or (H, S, A)
        ``R + gamma P V`` (the one-step lookahead of the returned ``V``).
    policy : ndarray of int64, shape (S,) or (H, S)
        Greedy for the certified values (ties to the lowest action); when ``V`` is the
        centre of the bracket, a constant shift of them.
    iterations : int
        Iterations of the method (sweeps, improvement steps, ...).
    converged : bool
        True when the certified bounds met the requested tolerance within the
        iteration budget. A run that ran out of iterations says False; its bounds are
        still valid, only larger.
    value_bound : float
        Certified ``max_s |V[s] - V*(s)|``.
    suboptimality_bound : float
        Certified ``max_s (V*(s) - V^policy(s))``.
    V_lower, V_upper : ndarray of shape (S,) or (H, S)
        Certified bracket ``V_lower <= V* <= V_upper``.
    method : str
        Which algorithm produced it.
    epsilon : float
        The requested tolerance.
    history : dict of str to ndarray
        Per-iteration diagnostics (e.g. ``"residual"``: sup norm of successive
        differences, ``"value_bound"``, ``"suboptimality_bound"``), for plots.
    """

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    iterations: int
    converged: bool
    value_bound: float
    suboptimality_bound: float
    V_lower: np.ndarray
    V_upper: np.ndarray
    method: str
    epsilon: float
    history: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def bounds(self) -> dict[str, float]:
        """The certified numbers: ``value_bound`` and ``suboptimality_bound``."""
        return {"value_bound": self.value_bound, "suboptimality_bound": self.suboptimality_bound}

    @classmethod
    def from_certificate(
        cls,
        cert: Certificate,
        *,
        row_sums: np.ndarray,
        gamma: float,
        centre: bool,
        iterations: int,
        epsilon: float,
        method: str,
        history: dict[str, list[float]] | None = None,
    ) -> PlanningResult:
        """Build a result from a certificate, optionally moving ``V`` to the bracket's centre.

        The centre differs from the certified ``V`` by a constant ``c``, so its
        lookahead is ``Q + gamma c rho(s, a)`` (``rho`` the row sums of ``P``, given as
        ``row_sums``) and the greedy policy is that of the certified ``V``.
        """
        if centre:
            V = cert.centre
            Q = cert.Q + (gamma * cert.shift) * row_sums
            value_bound = cert.centre_bound
        else:
            V, Q, value_bound = cert.V, cert.Q, cert.sup_bound
        converged = value_bound <= epsilon and cert.suboptimality_bound <= epsilon
        # a trivial bound at the rounding floor means the values are known to rounding: nothing to warn of
        trivial = cert.trivial_bound if cert.trivial_bound > 16.0 * cert.rounding else 0.0
        warn_if_vacuous(
            cert.suboptimality_bound,
            trivial,
            who=method.split("[")[0],
            hint=(
                f"epsilon = {epsilon:g} is absolute and the values of all policies span at most "
                f"{cert.trivial_bound:.4g}: pass a smaller epsilon"
                + ("" if converged else " or a larger max_iter (the run stopped before converging)")
            ),
            stacklevel=5,
        )
        hist = {k: np.asarray(v, dtype=np.float64) for k, v in (history or {}).items()}
        return cls(
            V=V,
            Q=Q,
            policy=cert.policy,
            iterations=int(iterations),
            converged=bool(converged),
            value_bound=float(value_bound),
            suboptimality_bound=float(cert.suboptimality_bound),
            V_lower=cert.V_lower,
            V_upper=cert.V_upper,
            method=method,
            epsilon=float(epsilon),
            history=hist,
        )
