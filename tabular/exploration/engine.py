"""The episode engine: run an online learner on an MDP and measure its regret exactly.

:func:`explore` runs ``n_runs`` independent runs of ``K`` episodes. Each episode's
policy is scored by its exact value on the true MDP (backward induction over the policy,
no Monte Carlo noise), so the pseudo-regret ``sum_k V*_0(rho) - V^{pi_k}_0(rho)`` is
known to rounding; the realised regret (the returns actually collected) is recorded
beside it.

Two paths give bit-identical results:

* ``"compiled"``: a built-in learner runs all ``K`` episodes of a run in its own Numba
  loop kernel (planning, simulation, statistics and scoring compiled together);
* ``"python"``: any object following :class:`~tabular.exploration.OnlineLearner`, on
  any batched simulator: per episode ``begin_episode`` -> ``env.reset(1, rng)`` ->
  ``env.step(...)`` per step -> ``end_episode`` -> scoring.

Both draw from one generator per run, in that order, and score an episode with the same
compiled function; the simulator of a :class:`~rlcore.FiniteMDP` and the kernels'
simulation draw the same transitions from the same uniforms
(:meth:`rlcore.FiniteMDP.sampling_tables`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from rlcore.mdp import FiniteMDP
from rlcore.progress import PROGRESS, compile_notice, progress_bar
from rlcore.randomness import RNGLike, spawn
from rlcore.validation import (
    MAX_SAMPLES,
    MDP,
    RNG,
    Implements,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    Options,
    Simulator,
    validate_params,
)
from tabular.exploration import _kernels as kernels
from tabular.exploration._kernels import MAX_DENSE_ENTRIES, EpisodeLog, EpisodeTables, episode_tables, new_log
from tabular.exploration.protocol import OnlineLearner
from tabular.exploration.result import ExplorationResult
from tabular.finite_horizon import backward_induction

__all__ = ["explore"]

_NO_P = np.zeros((1, 0, 1, 0))
_NO_R = np.zeros((1, 0, 1))
_EMPTY = np.zeros(0)


@validate_params(
    env=Simulator(),
    learner=Implements(
        "reset",
        "begin_episode",
        "end_episode",
        "regret_bound",
        what="an OnlineLearner (tabular.exploration.OnlineLearner)",
    ),
    n_episodes=Integer(1, MAX_SAMPLES),
    n_runs=Integer(1, 10**6),
    rng=RNG(),
    engine=Options("auto", "compiled", "python"),
    reference=MDP(discounted=False) | None,
    progress=PROGRESS,
)
def explore(
    env: Any,
    learner: Any,
    n_episodes: int,
    *,
    n_runs: int = 1,
    rng: RNGLike = None,
    engine: str = "auto",
    reference: FiniteMDP | None = None,
    progress: bool | None = None,
) -> ExplorationResult:
    """Run an online learner for ``n_episodes`` episodes, ``n_runs`` times, and measure its regret.

    Parameters
    ----------
    env : rlcore.FiniteMDP or simulator
        A finite-horizon :class:`~rlcore.FiniteMDP` whose horizon, states and actions
        match the learner's, with rewards in [0, 1] (a sparse one is densified, at most
        ``10**8`` entries); or any batched simulator (``reset(n, rng)``, ``step(states,
        actions, rng, t=t)``) with integer states in ``[0, S)`` and rewards in [0, 1],
        run through the learner's protocol methods.
    learner : OnlineLearner
        Reset before each run; after the call it holds the last run's statistics.
    n_episodes : int in [1, 10**12]
        ``K``, episodes per run.
    n_runs : int in [1, 10**6]
        Independent runs, with generators ``rlcore.randomness.spawn(rng, n_runs)``.
    rng : Generator, int or None
    engine : {"auto", "compiled", "python"}
        ``"compiled"`` needs a built-in learner and a :class:`~rlcore.FiniteMDP`;
        ``"auto"`` uses it when possible. The two give bit-identical results.
    reference : rlcore.FiniteMDP, optional
        The true MDP, for the exact regret of a learner run on another simulator of it;
        ``env`` itself when ``env`` is a :class:`~rlcore.FiniteMDP`. Without one the
        regret is NaN and only returns are recorded.
    progress : bool or None, default None
        A progress bar over the episodes of all runs (see :mod:`rlcore.progress`); the
        result does not depend on it.

    Returns
    -------
    ExplorationResult

    Raises
    ------
    ValueError, TypeError
        Naming the argument: a discounted MDP or sizes that do not match the learner
        (``env``), rewards outside [0, 1] or states outside ``[0, S)`` met during the
        run (``env``), a malformed policy or estimate from the learner (``learner``).

    Guarantee
    ---------
    The recorded pseudo-regret of episode ``k`` is ``V*_0(rho) - V^{pi_k}_0(rho)``
    computed by exact backward induction; the compiled and the Python paths are
    bit-identical. Tested by
    ``tests/tabular/exploration/test_engine.py::test_recorded_regret_equals_evaluate_policy``
    (against :func:`rlcore.evaluate_policy`) and
    ``tests/tabular/exploration/test_engine.py::test_compiled_and_python_paths_are_bit_identical``.

    Examples
    --------
    >>> from rlcore.generators import river_swim
    >>> from tabular.exploration import UCBVI
    >>> mdp = river_swim(6, horizon=20)
    >>> res = explore(mdp, UCBVI(6, 2, 20, c=0.05), 300, n_runs=4, rng=1)
    >>> res.pseudo_regret.shape
    (4, 300)
    >>> bool(res.pseudo_regret[:, -50:].mean() < res.pseudo_regret[:, :50].mean())
    True
    """
    _check_learner(learner)
    S, A, H = int(learner.n_states), int(learner.n_actions), int(learner.horizon)
    is_mdp = isinstance(env, FiniteMDP)
    if is_mdp:
        env = _dense(_check_mdp(env, S, A, H, "env"))
        if reference is None:
            reference = env
    if reference is not None:
        reference = _dense(_check_mdp(reference, S, A, H, "reference"))
        vstar0 = np.asarray(backward_induction(reference).V[0], dtype=np.float64)
        tables = episode_tables(reference, vstar0)
    else:
        vstar0 = _EMPTY
        tables = None
    # the compiled loop simulates and scores from one set of tables: env must be the reference
    compiled = hasattr(learner, "_run_compiled") and is_mdp and reference is env
    if engine == "compiled" and not compiled:
        raise InvalidParameterError(
            "engine",
            "'compiled' needs a built-in learner (with _run_compiled) and a FiniteMDP env that is also the "
            "reference; use 'python' or 'auto'",
        )
    use_compiled = compiled and engine != "python"
    K = n_episodes
    logs: list[EpisodeLog] = []
    gens = spawn(rng, n_runs)
    what = f"tabular.exploration.explore ({getattr(learner, 'name', type(learner).__name__)})"
    with compile_notice([kernels, *getattr(learner, "_kernels", ())], what, progress=progress):
        with progress_bar(K * n_runs, desc="explore", progress=progress, unit="episode") as bar:
            for gen in gens:
                learner.reset()
                log = new_log(K)
                if use_compiled:
                    assert tables is not None
                    learner._run_compiled(tables, K, gen, log)
                    bar.update(K)
                else:
                    _run_python(env, learner, K, gen, tables, log, bar)
                logs.append(log)
    bound = _bound(learner, K)
    return ExplorationResult(
        learner=str(getattr(learner, "name", type(learner).__name__)),
        pseudo_regret=np.stack([lg.regret for lg in logs]),
        returns=np.stack([lg.returns for lg in logs]),
        value_estimates=np.stack([lg.estimates for lg in logs]),
        optimism_margins=np.stack([lg.margins for lg in logs]),
        initial_states=np.stack([lg.s0 for lg in logs]),
        optimal_values=vstar0,
        optimal_value=float(tables.vstar_rho) if tables is not None else float("nan"),
        bound=bound,
        horizon=H,
        engine="compiled" if use_compiled else "python",
    )


def _check_learner(learner: Any) -> None:
    if not isinstance(learner, OnlineLearner):
        missing = [
            m
            for m in ("n_states", "n_actions", "horizon", "name", "value_estimate", "reset", "begin_episode")
            + ("end_episode", "regret_bound")
            if not hasattr(learner, m)
        ]
        raise InvalidParameterTypeError(
            "learner", f"expected an OnlineLearner (see tabular.exploration.OnlineLearner); missing {missing}"
        )
    for attr in ("n_states", "n_actions", "horizon"):
        v = getattr(learner, attr)
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise InvalidParameterError("learner", f"{attr} must be a positive integer, got {v!r}")


def _check_mdp(mdp: FiniteMDP, S: int, A: int, H: int, name: str) -> FiniteMDP:
    if mdp.horizon is None:
        raise InvalidParameterError(
            name, "expected a finite-horizon FiniteMDP (built with horizon=H), got a discounted one"
        )
    if (mdp.n_states, mdp.n_actions, mdp.horizon) != (S, A, H):
        raise InvalidParameterError(
            name,
            f"(n_states, n_actions, horizon) = {(mdp.n_states, mdp.n_actions, mdp.horizon)} does not match the "
            f"learner's {(S, A, H)}",
        )
    r_lo, r_hi = float(np.min(mdp.R)), float(np.max(mdp.R))
    if r_lo < 0.0 or r_hi > 1.0:
        raise InvalidParameterError(
            name, f"rewards must lie in [0, 1] (the learners' bounds assume it), got range [{r_lo}, {r_hi}]"
        )
    Hp = H if mdp.P.ndim == 4 or (mdp.is_sparse and mdp.P.shape[0] == H * S * A) else 1
    if Hp * S * A * S > MAX_DENSE_ENTRIES:
        raise InvalidParameterError(
            name, f"the dense model has {Hp * S * A * S} entries, above the engine's limit {MAX_DENSE_ENTRIES}"
        )
    return mdp


def _dense(mdp: FiniteMDP) -> FiniteMDP:
    """A dense copy of a sparse MDP (the learners' models are dense anyway)."""
    if not mdp.is_sparse:
        return mdp
    assert mdp.horizon is not None
    S, A, H = mdp.n_states, mdp.n_actions, int(mdp.horizon)
    P = sp.csr_array(mdp.P).toarray()
    P = P.reshape(H, S, A, S) if P.shape[0] == H * S * A else P.reshape(S, A, S)
    return FiniteMDP(P, mdp.R, horizon=H, initial=mdp.initial, terminal=mdp.terminal)


def _run_python(
    env: Any, learner: Any, K: int, gen: np.random.Generator, tables: EpisodeTables | None, log: EpisodeLog, bar: Any
) -> None:
    S, A, H = int(learner.n_states), int(learner.n_actions), int(learner.horizon)
    if tables is None:
        P, R, rho, vstar0, vstar_rho = _NO_P, _NO_R, np.zeros(S), np.zeros(S), 0.0
    else:
        P, R, rho, vstar0, vstar_rho = tables.P, tables.R, tables.rho, tables.vstar0, tables.vstar_rho
    states = np.zeros(H + 1, dtype=np.int64)
    actions = np.zeros(H, dtype=np.int64)
    rewards = np.zeros(H)
    one = np.zeros(1, dtype=np.int64)
    for k in range(K):
        policy = _checked_policy(learner.begin_episode(k, gen), H, S, A)
        est = learner.value_estimate
        has_est = est is not None
        v_est = _checked_estimate(est, S) if has_est else _EMPTY
        s = _checked_states(env.reset(1, gen), S, "reset")[0]
        states[0] = s
        L = H
        for t in range(H):
            a = policy[t, s]
            one[0] = s
            nxt, rew, term = env.step(one, np.array([a], dtype=np.int64), gen, t=t)
            s = _checked_states(nxt, S, "step")[0]
            r = _checked_reward(rew, t)
            actions[t] = a
            rewards[t] = r
            states[t + 1] = s
            if bool(np.asarray(term).reshape(-1)[0]):
                L = t + 1
                break
        learner.end_episode(states[: L + 1].copy(), actions[:L].copy(), rewards[:L].copy())
        kernels.record_episode(k, policy, v_est, has_est, P, R, rho, vstar0, vstar_rho, states, rewards, L, *log)
        bar.update(1)


def _checked_policy(policy: Any, H: int, S: int, A: int) -> np.ndarray:
    arr = np.asarray(policy)
    if arr.shape != (H, S) or arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise InvalidParameterError(
            "learner", f"begin_episode must return an integer policy of shape {(H, S)}, got {arr.dtype} {arr.shape}"
        )
    if arr.size and (arr.min() < 0 or arr.max() >= A):
        raise InvalidParameterError("learner", f"begin_episode returned actions outside [0, {A})")
    return np.ascontiguousarray(arr, dtype=np.int64)


def _checked_estimate(est: Any, S: int) -> np.ndarray:
    arr = np.array(est, dtype=np.float64, copy=True)
    if arr.shape != (S,) or not np.all(np.isfinite(arr)):
        raise InvalidParameterError("learner", f"value_estimate must be a finite array of shape ({S},) or None")
    return arr


def _checked_states(x: Any, S: int, where: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.shape != (1,) or arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise InvalidParameterTypeError(
            "env", f"{where} must return integer states of shape (1,) here, got {arr.dtype} {arr.shape}"
        )
    if arr[0] < 0 or arr[0] >= S:
        raise InvalidParameterError(
            "env", f"{where} returned state {int(arr[0])}, outside [0, {S}) (the learner's n_states)"
        )
    return arr.astype(np.int64)


def _checked_reward(rew: Any, t: int) -> float:
    try:
        r = float(np.asarray(rew, dtype=np.float64).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        raise InvalidParameterTypeError("env", f"step returned a reward that is not a real number at t={t}") from None
    if not (0.0 <= r <= 1.0):
        raise InvalidParameterError("env", f"step returned reward {r} at t={t}, outside [0, 1]")
    return r


def _bound(learner: Any, K: int) -> np.ndarray | None:
    first = learner.regret_bound(1)
    if first is None:
        return None
    vec = getattr(learner, "regret_bounds", None)
    if callable(vec):
        return np.asarray(vec(K), dtype=np.float64)
    return np.array([float(learner.regret_bound(k)) for k in range(1, K + 1)])
