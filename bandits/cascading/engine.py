"""The cascade engine: CascadeUCB1 and CascadeKL-UCB x cascade bandit x runs x horizon.

:func:`simulate_cascade` is the cascade model's own engine, beside the engine of
``K``-armed bandits (:func:`bandits.simulate`): a round shows an ordered list and
observes a click position, which reveals the attraction of a prefix of the list, so the
built-in policies' state and the run loop differ (a compiled loop in
:mod:`bandits.cascading._kernels`). Both engines follow the same random-stream rule
(the root ``rng`` spawns one child per run, so run ``i`` depends only on the seed and
``i``) and return a :class:`bandits.RegretResult`, with the same field names for the
same notions. (Any ``K``-armed policy can still play the cascade model through the
enumerated baseline, :func:`bandits.enumerated_cascade_bandit`, on :func:`bandits.simulate`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bandits.cascading import _kernels as _ck
from bandits.cascading.bandit import CascadeBandit, CascadeKLUCB, CascadeUCB1
from rlcore.progress import PROGRESS, first_then_bar
from bandits._constraints import MAX_CELLS, MAX_HORIZON, MAX_RUNS
from bandits.regret import RegretResult
from rlcore.validation import RNG, Instance, Integer, InvalidParameterError, validate_params
from rlcore.randomness import RNGLike, as_generator

__all__ = ["CascadeSimulationResult", "simulate_cascade"]


@dataclass(frozen=True, repr=False)
class CascadeSimulationResult(RegretResult):
    """Regret trajectories of cascading-bandit runs (:func:`simulate_cascade`).

    Attributes
    ----------
    pseudo_regret : ndarray of shape (n_runs, horizon)
        Cumulative ``sum_{s <= t} f(A*, w) - f(A_s, w)``.
    regret : ndarray of shape (n_runs, horizon)
        Cumulative realised regret ``sum_{s <= t} f(A*, w) - C_s``, ``C_s`` the click
        indicator of round ``s`` (the observed reward).
    counts : ndarray of shape (n_runs, L)
        Examinations of each item (the free initial observation included).
    clicks : ndarray of shape (n_runs, horizon)
        Click indicator of each round.

    See Also
    --------
    bandits.RegretResult : the base class (``mean_regret``, ``confidence_band``,
        ``horizon``, ``n_runs``), shared with :class:`bandits.SimulationResult`.
    """

    clicks: np.ndarray


@validate_params(
    env=Instance(CascadeBandit, what="a CascadeBandit, the first argument"),
    policy=Instance(CascadeUCB1, CascadeKLUCB, what="CascadeUCB1 or CascadeKLUCB, the second argument"),
    horizon=Integer(1, MAX_HORIZON),
    n_runs=Integer(1, MAX_RUNS),
    rng=RNG(),
    progress=PROGRESS,
)
def simulate_cascade(
    env: CascadeBandit,
    policy: Any,
    horizon: int,
    n_runs: int = 1,
    *,
    rng: RNGLike = None,
    progress: bool | None = None,
) -> CascadeSimulationResult:
    """Run :class:`CascadeUCB1` or :class:`CascadeKLUCB` on a cascade bandit.

    The root ``rng`` spawns one child per run; run ``i`` draws its attraction noise
    (:meth:`CascadeBandit.draw_noise`) from child ``i``, so it depends only on the seed
    and ``i`` (the rule of :func:`bandits.simulate`). The run loop is compiled
    (:mod:`bandits.cascading._kernels`).

    Parameters
    ----------
    env : CascadeBandit
    policy : CascadeUCB1 or CascadeKLUCB
    horizon : int in [1, 10**9]
    n_runs : int in [1, 10**6]
        With ``n_runs * horizon <= 10**8`` and ``horizon * L <= 10**8`` (the result
        arrays and one run's noise).
    rng : Generator, int or None
    progress : bool or None, default None
        Show a progress bar over the runs on standard error (see :mod:`rlcore.progress`),
        and say so before the first call compiles the engine's Numba kernel; None follows
        :func:`rlcore.set_progress` (off by default). The results do not depend on it.

    Returns
    -------
    CascadeSimulationResult

    Examples
    --------
    >>> env = CascadeBandit([0.4, 0.3, 0.1, 0.1], 2)
    >>> a = simulate_cascade(env, CascadeKLUCB(), 500, n_runs=3, rng=7)
    >>> b = simulate_cascade(env, CascadeKLUCB(), 500, n_runs=3, rng=7)
    >>> bool(np.array_equal(a.pseudo_regret, b.pseudo_regret))
    True
    """
    T, n = horizon, n_runs
    if (T + 1) * env.n_items > MAX_CELLS:
        raise InvalidParameterError(
            "horizon", f"horizon * L = {T * env.n_items} exceeds {MAX_CELLS} (one run's attraction noise)"
        )
    if n * T > MAX_CELLS:
        raise InvalidParameterError(
            "n_runs",
            f"n_runs * horizon = {n * T} exceeds {MAX_CELLS} (the size of each "
            f"result array); split the runs over several calls",
        )
    root = as_generator(rng)
    w = np.array(env.attraction, dtype=np.float64)
    pseudo = np.empty((n, T))
    clicks = np.empty((n, T))
    counts = np.empty((n, env.n_items))

    children = root.spawn(n)
    runs = first_then_bar(
        n, desc="bandits.simulate_cascade", unit="run", progress=progress, kernels=[_ck.run_cascade_index]
    )
    for i in runs:
        noise = env.draw_noise(children[i], T)
        counts[i] = _ck.run_cascade_index(int(policy.code), w, env.list_length, T, noise, pseudo[i], clicks[i])
    realised = np.subtract(env.optimal_value, clicks)
    np.cumsum(realised, axis=1, out=realised)
    return CascadeSimulationResult(pseudo_regret=pseudo, regret=realised, counts=counts, clicks=clicks)
