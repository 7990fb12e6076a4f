"""The simulation engine of ``K``-armed bandits: policy x environment x runs x horizon.

:func:`simulate` plays ``n_runs`` independent runs of ``horizon`` rounds and returns the
cumulative pseudo-regret and realised regret of every run at every round. It runs every
policy that observes the reward of the arm it pulls (stochastic, piecewise-stationary,
adversarial and linear bandits, Gittins); the cascade model, whose feedback is a click
position in a list, has its own engine, :func:`bandits.simulate_cascade`, with the same
random-stream rule and the same result shape (:class:`bandits.RegretResult`).

Random streams
--------------
The root ``rng`` spawns one child generator per run (:meth:`numpy.random.Generator.spawn`),
and each run's child spawns two: the *environment stream*, from which the run's reward
noise is drawn up front (:meth:`BanditEnvironment.draw_noise`), and the *policy stream*,
from which the policy draws its own randomness round by round. The compiled path
(``backend="numba"``, built-in policies only) and the Python path
(``backend="python"``, any :class:`~bandits.BanditPolicy`) consume these streams
identically, so the same seed gives the same trajectories, bit for bit, on both paths;
and run ``i`` depends only on the root seed and ``i``, not on ``n_runs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rlcore.progress import PROGRESS, first_then_bar
from bandits._constraints import MAX_CELLS, MAX_HORIZON, MAX_RUNS
from bandits.regret import RegretResult
from bandits.stochastic import _kernels as _k
from bandits.stochastic._kernels import _py
from bandits.stochastic.environments import BanditEnvironment
from rlcore.validation import (
    RNG,
    Bool,
    Implements,
    Instance,
    Integer,
    InvalidParameterError,
    Options,
    validate_params,
)
from rlcore.randomness import RNGLike, as_generator

__all__ = ["SimulationResult", "simulate"]


@dataclass(frozen=True, repr=False)
class SimulationResult(RegretResult):
    """Regret trajectories of many runs of :func:`simulate`.

    Attributes
    ----------
    pseudo_regret : ndarray of shape (n_runs, horizon)
        Cumulative ``sum_{s <= t} (oracle(s) - mu_{A_s}(s))`` after each round.
    regret : ndarray of shape (n_runs, horizon)
        Cumulative realised regret ``sum_{s <= t} (oracle(s) - X_s)``.
    counts : ndarray of shape (n_runs, K)
        Pulls of each arm at the end of each run.
    actions : ndarray of int64, shape (n_runs, horizon), or None
        The pulled arms, when ``return_actions=True``.
    backend : str
        ``"numba"`` or ``"python"``.
    meta : dict
        The policy, the environment (their ``repr``), ``horizon`` and ``n_runs``.

    See Also
    --------
    bandits.RegretResult : the base class (``mean_regret``, ``confidence_band``,
        ``horizon``, ``n_runs``), shared with :class:`bandits.CascadeSimulationResult`.
    """

    actions: np.ndarray | None = None
    backend: str = "numba"
    meta: dict[str, Any] = field(default_factory=dict)


def _run_python(
    policy: Any, env: BanditEnvironment, T: int, arrays: tuple, noise: np.ndarray, gen: np.random.Generator, out: tuple
) -> np.ndarray:
    kind, means, scale, oracle = arrays
    pseudo, realised, actions = out
    policy.reset(env.n_arms, T)
    counts = np.zeros(env.n_arms)
    cp = 0.0
    cr = 0.0
    reward = _py(_k.env_reward)
    single_m = means.shape[0] == 1
    single_o = oracle.shape[0] == 1
    for t in range(1, T + 1):
        arm = policy.select(t, gen)
        if isinstance(arm, (bool, np.bool_)) or not isinstance(arm, (int, np.integer)) or not 0 <= arm < env.n_arms:
            raise InvalidParameterError("policy", f"select({t}) returned {arm!r}, expected an arm in [0, {env.n_arms})")
        arm = int(arm)
        r = reward(kind, means, scale, noise, t, arm)
        policy.update(arm, r, gen)
        counts[arm] += 1.0
        cp += oracle[0 if single_o else t - 1] - means[0 if single_m else t - 1, arm]
        cr += oracle[0 if single_o else t - 1] - r
        pseudo[t - 1] = cp
        realised[t - 1] = cr
        actions[t - 1] = arm
    return counts


def _check_reward_range(env: BanditEnvironment, policy: Any) -> None:
    """Refuse a policy whose update is defined on a narrower reward range than the environment pays."""
    need = getattr(policy, "reward_range", None)
    if need is None:
        return
    lo, hi = env.reward_range()
    if lo < need[0] or hi > need[1]:
        raise InvalidParameterError(
            "policy",
            f"{type(policy).__name__} is defined for rewards in [{need[0]:g}, {need[1]:g}] (its update would misread "
            f"or clip others), but {env!r} pays rewards in [{lo:g}, {hi:g}]; use a policy for that reward range "
            f"(e.g. ThompsonGaussian or KLUCB(kl='gaussian') for Gaussian arms)",
        )


@validate_params(
    env=Instance(BanditEnvironment, what="a bandits environment (BanditEnvironment), the first argument"),
    policy=Implements(
        "reset",
        "select",
        "update",
        what="a bandit policy with reset(n_arms, horizon), select(t, rng) and update(arm, reward, rng), "
        "the second argument",
    ),
    horizon=Integer(1, MAX_HORIZON),
    n_runs=Integer(1, MAX_RUNS),
    rng=RNG(),
    backend=Options("auto", "numba", "python"),
    return_actions=Bool(),
    progress=PROGRESS,
)
def simulate(
    env: BanditEnvironment,
    policy: Any,
    horizon: int,
    n_runs: int = 1,
    *,
    rng: RNGLike = None,
    backend: str = "auto",
    return_actions: bool = False,
    progress: bool | None = None,
) -> SimulationResult:
    """Run a bandit policy on an environment, ``n_runs`` times for ``horizon`` rounds.

    Parameters
    ----------
    env : BanditEnvironment
        The model comes first, as everywhere in the library.
    policy : BanditPolicy
        A built-in policy (:mod:`bandits.stochastic.policies`, :mod:`bandits.stochastic.nonstationary`) or any object with
        ``reset(n_arms, horizon)``, ``select(t, rng) -> int`` and
        ``update(arm, reward, rng)``. A policy with a ``reward_range`` ``(lo, hi)``
        (:class:`ThompsonBeta`, :class:`KLUCB` with the Bernoulli KL: their updates are
        defined for rewards in ``[0, 1]``) is refused, with a ``ValueError`` naming
        ``policy``, on an environment whose :meth:`~BanditEnvironment.reward_range`
        exceeds it, instead of silently misreading the rewards.
    horizon : int in [1, 10**9]
    n_runs : int in [1, 10**6]
        With ``n_runs * horizon <= 10**8`` (the size of each result array).
    rng : Generator, int or None
        Root of the per-run streams (see the module docstring).
    backend : {"auto", "numba", "python"}
        ``"auto"`` uses the compiled engine for built-in policies and the Python loop
        otherwise. Both give identical trajectories for built-in policies.
    return_actions : bool
        Keep the pulled arms (``actions``).
    progress : bool or None, default None
        Show a progress bar over the runs on standard error (see :mod:`rlcore.progress`),
        and say so before the first call compiles the engine's Numba kernel; None follows
        :func:`rlcore.set_progress` (off by default). The results do not depend on it.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> from bandits import BernoulliBandit, UCB1
    >>> env = BernoulliBandit([0.1, 0.2])
    >>> a = simulate(env, UCB1(), 300, n_runs=2, rng=1, backend="numba")
    >>> b = simulate(env, UCB1(), 300, n_runs=2, rng=1, backend="python")
    >>> bool(np.array_equal(a.regret, b.regret))
    True
    """
    T, n = horizon, n_runs
    if n * T > MAX_CELLS:
        raise InvalidParameterError(
            "n_runs",
            f"n_runs * horizon = {n * T} exceeds {MAX_CELLS} (the size of each result array); "
            f"split the runs over several calls",
        )
    _check_reward_range(env, policy)
    compiled = hasattr(policy, "kernel_spec")
    if backend == "numba" and not compiled:
        raise InvalidParameterError("backend", f"'numba' runs the built-in policies only, not {type(policy).__name__}")
    use_numba = compiled and backend != "python"

    root = as_generator(rng)
    K = env.n_arms
    # fresh writable C arrays, so that the kernel sees one signature whatever the env
    means = np.array(env.means_table(T), dtype=np.float64, order="C")
    scale = np.array(env.scale(), dtype=np.float64, order="C")
    oracle = np.array(env.oracle(T), dtype=np.float64, order="C")
    kind = int(env.kind)
    pseudo = np.empty((n, T))
    realised = np.empty((n, T))
    keep = return_actions or not use_numba
    actions = np.empty((n, T) if keep else (n, 1), dtype=np.int64)
    counts = np.empty((n, K))
    if use_numba:
        code, fp = getattr(policy, "kernel_spec")()

    children = root.spawn(n)
    kernels = [_k.run_index_policy] if use_numba else []
    for i in first_then_bar(n, desc="bandits.simulate", unit="run", progress=progress, kernels=kernels):
        env_gen, pol_gen = children[i].spawn(2)
        noise = np.ascontiguousarray(env.draw_noise(env_gen, T), dtype=np.float64)
        if not noise.flags.writeable:  # one kernel signature: writable C arrays
            noise = noise.copy()
        if use_numba:
            counts[i] = _k.run_index_policy(
                code, fp, T, K, kind, means, scale, oracle, noise, pol_gen, pseudo[i], realised[i], actions[i], keep
            )
        else:
            counts[i] = _run_python(
                policy, env, T, (kind, means, scale, oracle), noise, pol_gen, (pseudo[i], realised[i], actions[i])
            )
    return SimulationResult(
        pseudo_regret=pseudo,
        regret=realised,
        counts=counts,
        actions=actions if return_actions else None,
        backend="numba" if use_numba else "python",
        meta={"policy": repr(policy), "env": repr(env), "horizon": T, "n_runs": n},
    )
