# Length: one concept, the simulator contract suite: its contract (the module docstring), its options,
# the six checks and the two entry points read best together, as a user reads them.
"""A contract suite for batched simulators: run any simulator, yours included, through one set of checks.

:func:`check_simulator` runs every check below on a simulator ``sim`` of the
:class:`rlcore.Simulator` protocol (:mod:`rlcore.simulator`)::

    states = sim.reset(n, rng)
    next_states, rewards, terminated = sim.step(states, actions, rng, t=t)

and :func:`simulator_checks` yields them one by one for ``pytest.mark.parametrize``.
The checks, each also callable on its own:

* :func:`check_simulator_interface`: ``reset(n, rng)`` returns an array with leading
  axis ``n`` of an integer or float dtype; ``step`` returns ``next_states`` of the shape
  and dtype of ``states``, ``rewards`` float64 of shape ``(n,)`` and finite,
  ``terminated`` bool of shape ``(n,)``; batches of every size the checks draw, the
  terminated episodes dropped as :func:`rlcore.rollout` drops them; ``rng`` as a
  ``Generator``, an int seed or None;
* :func:`check_simulator_does_not_mutate_inputs`: ``step`` leaves ``states`` and
  ``actions`` as they were (the batch lives with the caller);
* :func:`check_simulator_deterministic`: the same generator state and inputs give the
  same outputs, whatever the global NumPy and ``random`` states are (no global
  randomness);
* :func:`check_simulator_batch_consistency`: a batch of ``n`` behaves like ``n``
  batches of one (independent episodes, the same law), by two-sample
  Kolmogorov-Smirnov tests on every output coordinate;
* :func:`check_simulator_termination` (a finite ``horizon`` attribute ``H <= 1000``):
  every episode still running at ``t = H - 1`` reports ``terminated`` there;
* :func:`check_simulator_matches_mdp` (option ``mdp``): the simulator samples the
  :class:`~rlcore.FiniteMDP` it claims to implement: initial states from ``initial``,
  next states from ``P`` (exact binomial tests per cell), rewards equal to ``R`` (or,
  with ``reward_range``, with mean ``R`` by Hoeffding's inequality), and ``terminated``
  exactly on entering one of the MDP's (absorbing, zero-reward) terminal states.

**Termination.** The protocol says a terminated episode is dropped by the caller and
never stepped again, so the suite never steps one, and asks nothing of a simulator past
termination. What it does check is the protocol's rule for a finite horizon, and, for a
simulator claiming an MDP, that ``terminated`` agrees with the MDP's absorbing terminal
states (whose future value is zero).

**Actions.** The option ``actions(states, rng) -> actions`` draws valid actions for a
batch of states. Without it: uniform rows of ``mdp_actions`` (or uniform indices
``0 .. A-1``) when ``mdp`` is given, else uniform integers below ``sim.n_actions`` (or
``sim.n_arms``) when the states are one-dimensional, else ``None`` (for simulators that
take no action, such as the path models of :mod:`finance_apps`).

**A simulator claiming an MDP.** ``mdp`` is a :class:`~rlcore.FiniteMDP`; state ``i``
of the MDP is the simulator's state ``mdp_states[i]`` (default: the integer ``i``) and
action ``j`` the simulator's action ``mdp_actions[j]`` (default: ``j``), e.g.
``CascadingMDP.to_finite_mdp()`` returns the MDP and the lists that encode its actions.
Rewards must equal ``R[s, a]`` (within ``atol``) unless ``reward_range=(low, high)``
says that they are random in that interval with mean ``R[s, a]``.

**Failure budgets.** Statistical checks use fixed seeds and split a total false-alarm
probability of ``1e-6`` (``FALSE_ALARM``) evenly over their tests (Bonferroni):
a correct simulator fails a check with probability below ``1e-6`` over the choice of
seeds. The binomial p-values are exact (two-sided, by doubling the smaller tail); the
Hoeffding bound is exact for rewards in ``reward_range``; the Kolmogorov-Smirnov
p-values are exact or asymptotic (scipy's ``ks_2samp``) for continuous outputs and
conservative for discrete ones.

Every failure is an ``AssertionError`` whose message starts with the check's name and
names the simulator, the instance (the simulator's ``repr``: for a
:class:`~rlcore.FiniteMDP`, the constructor call that rebuilds it), the call and the
numbers. Hypothesis draws the batch sizes and seeds, derandomised.

Examples
--------
>>> import numpy as np
>>> from rlcore import FiniteMDP
>>> from rlcore.testing.simulator_checks import check_simulator
>>> P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
>>> mdp = FiniteMDP(P, [[1.0], [0.0]], gamma=0.9, terminal=[False, True])
>>> check_simulator(mdp, mdp=mdp, max_examples=2, n_samples=200)

A simulator that draws one uniform for the whole batch is caught (the message goes on
with the Kolmogorov-Smirnov statistic and p-value):

>>> class SharedNoise:
...     def reset(self, n, rng=None):
...         return np.zeros(n, dtype=np.int64)
...     def step(self, states, actions, rng=None, *, t=None):
...         u = np.random.default_rng(rng).random()  # one draw for every episode
...         n = len(states)
...         return np.full(n, int(u < 0.5)), np.zeros(n), np.zeros(n, dtype=bool)
>>> from rlcore.testing.simulator_checks import check_simulator_batch_consistency
>>> check_simulator_batch_consistency(SharedNoise(), n_samples=200)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
AssertionError: check_simulator_batch_consistency: simulator 'SharedNoise' on <...>, called with ...
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, cast
from collections.abc import Callable, Iterator

import numpy as np
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from rlcore.mdp import FiniteMDP
from rlcore.testing.contract import CheckContext, ContractSuite, derandomized, reseeded_globals, subject_name
from rlcore.testing.mdp_strategies import constructor_call
from rlcore.validation import (
    MDP,
    Array,
    Instance,
    Integer,
    InvalidParameterError,
    IsCallable,
    Real,
    validate_params,
)
from rlcore.validation import Simulator as _SimulatorConstraint

__all__ = [
    "check_simulator",
    "check_simulator_batch_consistency",
    "check_simulator_deterministic",
    "check_simulator_does_not_mutate_inputs",
    "check_simulator_interface",
    "check_simulator_matches_mdp",
    "check_simulator_termination",
    "simulator_checks",
]

#: Total false-alarm probability of each statistical check (split over its tests).
FALSE_ALARM = 1e-6
DEFAULT_MAX_EXAMPLES = 10
DEFAULT_N_SAMPLES = 1000
DEFAULT_MAX_STEPS = 4
#: Longest horizon :func:`check_simulator_termination` runs through.
MAX_TERMINATION_HORIZON = 1000
_SEED = 20_240_611  # the fixed seeds of the statistical checks derive from it
_DEPTHS = 2  # steps into an episode at which batch consistency is tested
_PATHS = 3  # episodes whose states batch consistency is tested at

OPTIONS = dict(
    sim=_SimulatorConstraint(),
    actions=IsCallable("a callable actions(states, rng) -> actions") | None,
    mdp=MDP() | None,
    mdp_states=Array("int", ndim=(1, 2)) | None,
    mdp_actions=Array("int", ndim=(1, 2)) | None,
    reward_range=Array(ndim=1, shape=(2,)) | None,
    max_steps=Integer(1, 1000),
    n_samples=Integer(20, 10**6),
    max_examples=Integer(1, 10**4),
    atol=Real(0, None),
    name=Instance(str, what="a name (str)") | None,
)


@dataclass(frozen=True)
class Options:
    name: str
    instance: str
    actions: Callable[[np.ndarray, np.random.Generator], Any]
    mdp: FiniteMDP | None
    mdp_states: np.ndarray | None
    mdp_actions: np.ndarray | None
    reward_range: tuple[float, float] | None
    max_steps: int
    n_samples: int
    max_examples: int
    atol: float
    horizon: int | None


def _describe(sim: Any) -> str:
    if isinstance(sim, FiniteMDP):
        P: Any = sim.P
        if (P.nnz if sp.issparse(P) else P.size) <= 200:
            return constructor_call(sim)
    return repr(sim)


def _finite_horizon(sim: Any) -> int | None:
    h = getattr(sim, "horizon", None)
    if isinstance(h, (int, np.integer)) and not isinstance(h, bool) and h >= 1:
        return int(h)
    return None


def _default_actions(sim: Any, mdp: FiniteMDP | None, table: np.ndarray | None) -> Callable[..., Any]:
    if mdp is not None:
        A = mdp.n_actions

        def from_mdp(states: Any, rng: np.random.Generator) -> Any:
            j = rng.integers(A, size=len(states))
            return j if table is None else table[j]

        return from_mdp
    k = getattr(sim, "n_actions", None)
    if not isinstance(k, (int, np.integer)):
        k = getattr(sim, "n_arms", None)

    def uniform(states: Any, rng: np.random.Generator) -> Any:
        s = np.asarray(states)
        if isinstance(k, (int, np.integer)) and k >= 1 and s.ndim == 1:
            return rng.integers(int(k), size=s.shape[0])
        return None

    return uniform


def options(
    sim: Any,
    actions: Any,
    mdp: Any,
    mdp_states: Any,
    mdp_actions: Any,
    reward_range: Any,
    max_steps: int,
    n_samples: int,
    max_examples: int,
    atol: float,
    name: str | None,
) -> Options:
    """The options of a call (validated one by one by the declarations), with their relations."""
    for label, value in (("mdp_states", mdp_states), ("mdp_actions", mdp_actions), ("reward_range", reward_range)):
        if value is not None and mdp is None:
            raise InvalidParameterError(label, "only with mdp (it describes how the simulator encodes the MDP)")
    if mdp is not None:
        if mdp_states is not None and mdp_states.shape[0] != mdp.n_states:
            raise InvalidParameterError(
                "mdp_states", f"expected {mdp.n_states} rows (one per state of mdp), got shape {mdp_states.shape}"
            )
        if mdp_actions is not None and mdp_actions.shape[0] != mdp.n_actions:
            raise InvalidParameterError(
                "mdp_actions", f"expected {mdp.n_actions} rows (one per action of mdp), got shape {mdp_actions.shape}"
            )
    rr = None
    if reward_range is not None:
        rr = (float(reward_range[0]), float(reward_range[1]))
        if rr[0] > rr[1]:
            raise InvalidParameterError("reward_range", f"expected low <= high, got {list(rr)}")
    return Options(
        name=name if name is not None else subject_name(type(sim)),
        instance=_describe(sim),
        actions=actions if actions is not None else _default_actions(sim, mdp, mdp_actions),
        mdp=mdp,
        mdp_states=mdp_states,
        mdp_actions=mdp_actions,
        reward_range=rr,
        max_steps=int(max_steps),
        n_samples=int(n_samples),
        max_examples=int(max_examples),
        atol=float(atol),
        horizon=_finite_horizon(sim),
    )


SUITE = ContractSuite("simulator")

_PARAMETERS_DOC = """
    Parameters
    ----------
    sim : Simulator
        Any object with ``reset(n, rng)`` and ``step(states, actions, rng, *, t)``.
    actions, mdp, mdp_states, mdp_actions, reward_range, max_steps, n_samples, max_examples, atol, name
        As in :func:`check_simulator`.

    Raises
    ------
    AssertionError
        If the simulator breaks the contract; the message names this check, the
        simulator, the instance and the call.
    ValueError
        If this check does not apply (e.g. it needs ``mdp``), or on a bad option.
"""


def _register(
    applies: Callable[[Options], str | None] = lambda opts: None,
) -> Callable[[Callable[[Any, Options, str], None]], Callable[..., None]]:
    def decorate(body: Callable[[Any, Options, str], None]) -> Callable[..., None]:
        check_name = body.__name__

        @validate_params(**OPTIONS)
        def check(
            sim: Any,
            *,
            actions: Any = None,
            mdp: FiniteMDP | None = None,
            mdp_states: Any = None,
            mdp_actions: Any = None,
            reward_range: Any = None,
            max_steps: int = DEFAULT_MAX_STEPS,
            n_samples: int = DEFAULT_N_SAMPLES,
            max_examples: int = DEFAULT_MAX_EXAMPLES,
            atol: float = 1e-9,
            name: str | None = None,
        ) -> None:
            opts = options(
                sim, actions, mdp, mdp_states, mdp_actions, reward_range, max_steps, n_samples, max_examples, atol, name
            )
            SUITE.run_one(check_name, sim, opts, param="sim")

        return SUITE.publish(check, body, applies, _PARAMETERS_DOC)

    return decorate


# ======================================================================== helpers
def _ctx(check: str, opts: Options, call: dict[str, Any]) -> CheckContext:
    return CheckContext(check, "simulator", opts.name, opts.instance, call)


def _verify_reset(ctx: CheckContext, states: Any, n: int) -> np.ndarray:
    ctx.check(isinstance(states, np.ndarray), lambda: f"reset returned a {type(states).__name__}, expected an ndarray")
    ctx.check(
        states.ndim >= 1 and states.shape[0] == n,
        lambda: f"reset({n}) returned shape {states.shape}, expected leading axis {n}",
    )
    ok = (np.issubdtype(states.dtype, np.integer) or np.issubdtype(states.dtype, np.floating)) and states.dtype != bool
    ctx.check(ok, lambda: f"reset returned dtype {states.dtype}, expected an integer or float dtype")
    return states


def _verify_step(ctx: CheckContext, states: np.ndarray, out: Any, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = states.shape[0]
    ctx.check(
        isinstance(out, tuple) and len(out) == 3,
        lambda: f"step(t={t}) returned {type(out).__name__}, expected (next_states, rewards, terminated)",
    )
    nxt, rew, term = out
    for label, x in (("next_states", nxt), ("rewards", rew), ("terminated", term)):
        ctx.check(isinstance(x, np.ndarray), lambda: f"step(t={t}) returned {label} as {type(x).__name__}, not ndarray")
    ctx.check(
        nxt.shape == states.shape and nxt.dtype == states.dtype,
        lambda: (
            f"step(t={t}) returned next_states of shape {nxt.shape} and dtype {nxt.dtype}, expected the "
            f"states' {states.shape} and {states.dtype}"
        ),
    )
    ctx.check(
        rew.shape == (n,) and rew.dtype == np.float64,
        lambda: f"step(t={t}) returned rewards of shape {rew.shape} and dtype {rew.dtype}, expected ({n},) float64",
    )
    ctx.check(np.all(np.isfinite(rew)), lambda: f"step(t={t}) returned non-finite rewards {rew!r}")
    ctx.check(
        term.shape == (n,) and term.dtype == bool,
        lambda: f"step(t={t}) returned terminated of shape {term.shape} and dtype {term.dtype}, expected ({n},) bool",
    )
    return nxt, rew, term


def _n_steps(opts: Options) -> int:
    return opts.max_steps if opts.horizon is None else min(opts.max_steps, opts.horizon)


def _rollout(
    sim: Any, opts: Options, ctx: CheckContext, n: int, rng: Any, steps: int, *, verify: bool = False
) -> list[tuple[Any, ...]]:
    """Episodes in lock-step, terminated ones dropped: ``[(t, states, actions, next, rewards, terminated)]``."""
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    states = ctx.call_subject(sim.reset, n, rng)
    if verify:
        _verify_reset(ctx, states, n)
    states = np.asarray(states)
    out = []
    for t in range(steps):
        acts = opts.actions(states, gen)
        res = ctx.call_subject(sim.step, states, acts, rng, t=t)
        nxt, rew, term = _verify_step(ctx, states, res, t) if verify else tuple(np.asarray(x) for x in res)
        out.append((t, states, acts, nxt, rew, term))
        keep = ~np.asarray(term, dtype=bool)
        if not keep.any():
            break
        states = np.asarray(nxt)[keep]
    return out


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def _draws() -> Any:
    return st.tuples(st.integers(1, 6), st.integers(0, 2**32 - 1))


# ======================================================================== the checks
@_register()
def check_simulator_interface(sim: Any, opts: Options, check: str) -> None:
    """Shapes and dtypes of ``reset`` and ``step``, over episodes of up to ``max_steps`` steps.

    ``reset(n, rng)``: an ndarray with leading axis ``n``, integer or float dtype;
    ``step``: ``next_states`` of the states' shape and dtype, ``rewards`` finite float64
    of shape ``(n,)``, ``terminated`` bool of shape ``(n,)``. Batch sizes ``n`` in
    ``[1, 6]`` and seeds are drawn by Hypothesis; ``rng`` is passed as a ``Generator``,
    then as an int seed, then as None.
    """

    @derandomized(opts.max_examples)
    @given(_draws())
    def run(draw: tuple[int, int]) -> None:
        n, seed = draw
        for rng, shown in ((np.random.default_rng(seed), f"np.random.default_rng({seed})"), (seed, seed), (None, None)):
            ctx = _ctx(check, opts, {"n": n, "rng": shown})
            _rollout(sim, opts, ctx, n, rng, _n_steps(opts), verify=True)

    run()


@_register()
def check_simulator_does_not_mutate_inputs(sim: Any, opts: Options, check: str) -> None:
    """``step(states, actions, ...)`` leaves ``states`` and ``actions`` unchanged."""

    @derandomized(opts.max_examples)
    @given(_draws())
    def run(draw: tuple[int, int]) -> None:
        n, seed = draw
        ctx = _ctx(check, opts, {"n": n, "rng": seed})
        for t, states, acts, *_ in _rollout(sim, opts, ctx, n, seed, _n_steps(opts)):
            s0 = np.array(states, copy=True)
            a0 = None if acts is None else np.array(acts, copy=True)
            ctx.call_subject(sim.step, states, acts, np.random.default_rng(seed), t=t)
            ctx.check(_same(states, s0), lambda: f"step(t={t}) changed its states argument from {s0!r} to {states!r}")
            ctx.check(_same(acts, a0), lambda: f"step(t={t}) changed its actions argument from {a0!r} to {acts!r}")

    run()


@_register()
def check_simulator_deterministic(sim: Any, opts: Options, check: str) -> None:
    """The same generator state and inputs give the same outputs; no global randomness.

    Two runs of ``max_steps`` steps from ``reset`` with generators in the same state
    (and again with the same int seed) must agree bit for bit, although the global
    NumPy and ``random`` generators are reseeded differently before each run.
    """

    @derandomized(opts.max_examples)
    @given(_draws())
    def run(draw: tuple[int, int]) -> None:
        n, seed = draw
        for as_int in (False, True):
            ctx = _ctx(check, opts, {"n": n, "rng": seed if as_int else f"np.random.default_rng({seed})"})
            runs = []
            for k in range(2):
                with reseeded_globals(1000 + k):
                    rng = seed if as_int else np.random.default_rng(seed)
                    runs.append(_rollout(sim, opts, ctx, n, rng, _n_steps(opts)))
            first, second = runs
            ctx.check(len(first) == len(second), "two runs with the same seed ended after different numbers of steps")
            for a, b in zip(first, second):
                t = a[0]
                for i, label in ((1, "states"), (3, "next_states"), (4, "rewards"), (5, "terminated")):
                    ctx.check(
                        _same(a[i], b[i]),
                        lambda: f"two runs with the same seed differ in {label} at t={t}: {a[i]!r} and {b[i]!r}",
                    )

    run()


def _ks_pvalues(batch: np.ndarray, singles: np.ndarray) -> list[tuple[int, float, float]]:
    """(coordinate, KS statistic, p-value) of each output coordinate."""
    from scipy import stats  # here: importing rlcore.testing stays light

    x = np.asarray(batch, dtype=np.float64).reshape(batch.shape[0], -1)
    y = np.asarray(singles, dtype=np.float64).reshape(singles.shape[0], -1)
    out = []
    for j in range(x.shape[1]):
        if np.all(x[:, j] == x[0, j]) and np.all(y[:, j] == x[0, j]):
            out.append((j, 0.0, 1.0))
            continue
        with warnings.catch_warnings():  # the exact p-value falls back to the asymptotic one for large samples
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.ks_2samp(x[:, j], y[:, j])
        out.append((j, float(res.statistic), float(res.pvalue)))
    return out


@_register()
def check_simulator_batch_consistency(sim: Any, opts: Options, check: str) -> None:
    """A batch of ``n`` behaves like ``n`` batches of one (independent episodes, same law).

    With ``n = n_samples``: ``reset(n)`` against ``n`` calls ``reset(1)``, then, at the
    first two steps of three episodes (state ``x`` and action ``a`` at step ``t``),
    ``step`` on ``n`` copies of ``(x, a)`` against ``n`` calls on one copy. Each
    coordinate of ``next_states``, ``rewards`` and ``terminated`` is compared by a
    two-sample Kolmogorov-Smirnov test. Failure budget: fails when a p-value is below
    ``FALSE_ALARM / m`` (``m`` the number of tests; Bonferroni), so that a correct
    simulator fails with probability below ``1e-6`` (the KS test is conservative for
    discrete outputs). Seeds are fixed.
    """
    N = opts.n_samples
    seeds = np.random.SeedSequence(_SEED).spawn(3)
    ctx = _ctx(check, opts, {"n": N})
    # the scenarios: (what, batch outputs, singles outputs)
    scenarios: list[tuple[str, list[np.ndarray], list[np.ndarray]]] = []
    g_batch, g_single = np.random.default_rng(seeds[0]), np.random.default_rng(seeds[1])
    batch = np.asarray(ctx.call_subject(sim.reset, N, g_batch))
    singles = np.concatenate([np.asarray(ctx.call_subject(sim.reset, 1, g_single)) for _ in range(N)])
    scenarios.append((f"reset({N}) against {N} calls reset(1)", [batch], [singles]))
    paths = _rollout(sim, opts, ctx, _PATHS, np.random.default_rng(seeds[2]), min(_DEPTHS, _n_steps(opts)))
    for t, states, acts, *_ in paths:
        for i in range(len(states)):
            scenarios.append(_step_scenario(sim, ctx, N, t, states[i : i + 1], acts, i, g_batch, g_single))
    _ks_verdict(ctx, scenarios)


def _step_scenario(
    sim: Any, ctx: CheckContext, N: int, t: int, state: np.ndarray, acts: Any, i: int, g_batch: Any, g_single: Any
) -> tuple[str, list[np.ndarray], list[np.ndarray]]:
    x = np.repeat(state, N, axis=0)
    a = None if acts is None else np.repeat(np.asarray(acts)[i : i + 1], N, axis=0)
    out_b = ctx.call_subject(sim.step, x, a, g_batch, t=t)
    outs = [  # fresh copies: a step that writes into its inputs is another check's business
        ctx.call_subject(sim.step, state.copy(), None if a is None else a[:1].copy(), g_single, t=t) for _ in range(N)
    ]
    out_s = [np.concatenate([np.asarray(o[k]) for o in outs]) for k in range(3)]
    shown = None if a is None else np.asarray(acts)[i].tolist()
    what = f"step on {N} copies of state {state[0].tolist()!r} with action {shown!r} at t={t}, against {N} calls on one copy"
    return what, [np.asarray(v) for v in out_b], out_s


def _ks_verdict(ctx: CheckContext, scenarios: list[tuple[str, list[np.ndarray], list[np.ndarray]]]) -> None:
    tests = []
    for what, b_out, s_out in scenarios:
        for label, b, s in zip(("states", "rewards", "terminated"), b_out, s_out):
            if what.startswith("reset"):
                label = "states"
            elif label == "states":
                label = "next_states"
            for j, d, p in _ks_pvalues(b, s):
                tests.append((what, label, j, d, p))
    level = FALSE_ALARM / len(tests)
    for what, label, j, d, p in tests:
        ctx.check(
            p >= level,
            lambda: (
                f"{what}: {label}[:, {j}] differ in law (Kolmogorov-Smirnov D = {d:.4g}, p = {p:.3g} < {level:.3g} "
                f"= {FALSE_ALARM:g} / {len(tests)} tests); the episodes of a batch are not independent copies"
            ),
        )


def _needs_horizon(opts: Options) -> str | None:
    if opts.horizon is None:
        return "the simulator has no finite horizon attribute (nothing says when an episode must end)"
    if opts.horizon > MAX_TERMINATION_HORIZON:
        return f"its horizon {opts.horizon} exceeds {MAX_TERMINATION_HORIZON} steps"
    return None


@_register(_needs_horizon)
def check_simulator_termination(sim: Any, opts: Options, check: str) -> None:
    """A simulator with a finite ``horizon`` ``H`` reports ``terminated`` at ``t = H - 1``.

    Episodes run from ``reset`` (terminated ones dropped, as :func:`rlcore.rollout`
    drops them) for ``H`` steps; every episode still running at ``t = H - 1`` must end
    there (the protocol's rule, :mod:`rlcore.simulator`).
    """

    @derandomized(opts.max_examples)
    @given(_draws())
    def run(draw: tuple[int, int]) -> None:
        n, seed = draw
        H = cast(int, opts.horizon)
        ctx = _ctx(check, opts, {"n": n, "rng": seed})
        path = _rollout(sim, opts, ctx, n, seed, H)
        t, *_, term = path[-1]
        if t == H - 1:
            ctx.check(
                np.all(term),
                lambda: (
                    f"{int(np.sum(~term))} of {term.size} episodes still running at t = H - 1 = {H - 1} "
                    f"(horizon={H}) were not reported terminated: terminated = {term!r}"
                ),
            )

    run()


def _needs_mdp(opts: Options) -> str | None:
    return None if opts.mdp is not None else "it needs the MDP the simulator claims to implement (option mdp)"


def _decode(ctx: CheckContext, opts: Options, states: np.ndarray, what: str) -> np.ndarray:
    """MDP state indices of simulator states."""
    mdp = cast(FiniteMDP, opts.mdp)
    if opts.mdp_states is None:
        s = np.asarray(states)
        ok = s.ndim == 1 and np.issubdtype(s.dtype, np.integer) and np.all((s >= 0) & (s < mdp.n_states))
        ctx.check(ok, lambda: f"{what} {s!r} are not state indices in [0, {mdp.n_states})")
        return s.astype(np.int64)
    table = opts.mdp_states.reshape(mdp.n_states, -1)
    rows = np.asarray(states).reshape(len(states), -1)
    index = {tuple(r): i for i, r in enumerate(table.tolist())}
    out = np.empty(len(rows), dtype=np.int64)
    for k, r in enumerate(rows.tolist()):
        i = index.get(tuple(r))
        ctx.check(i is not None, lambda: f"{what}: the state {r!r} is not one of mdp_states")
        out[k] = cast(int, i)
    return out


def _binomial_pvalues(counts: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Exact two-sided binomial p-values (doubling the smaller tail)."""
    from scipy import stats

    p = np.clip(p, 0.0, 1.0)
    lower = stats.binom.cdf(counts, n, p)
    upper = stats.binom.sf(counts - 1, n, p)
    return np.minimum(1.0, 2.0 * np.minimum(lower, upper))


@_register(_needs_mdp)
def check_simulator_matches_mdp(sim: Any, opts: Options, check: str) -> None:
    """The simulator samples the MDP it claims (option ``mdp``): ``initial``, ``P``, ``R``, terminal states.

    ``reset(n_samples)`` is compared with ``initial``, and ``step`` on ``n_samples``
    copies of every state-action pair (at ``t = 0``; at every ``t < H`` when the MDP is
    time-dependent) with ``P``: for each cell, the count is tested against
    ``Binomial(n_samples, p)`` (exact two-sided p-value; a transition of probability
    0 is an immediate failure). Rewards must equal ``R[s, a]`` within ``atol``, or, with
    ``reward_range = (low, high)``, lie in it with a mean within Hoeffding's bound
    ``(high - low) sqrt(log(2 m / 1e-6) / (2 n_samples))`` of ``R[s, a]``.
    ``terminated`` must be True exactly on entering a terminal state of the MDP (the
    step ``t = H - 1`` of a finite horizon is :func:`check_simulator_termination`'s).
    Failure budget: the ``m`` binomial and Hoeffding tests each at level
    ``FALSE_ALARM / m`` (Bonferroni): a correct simulator fails with probability below
    ``1e-6``. Seeds are fixed.
    """
    mdp = cast(FiniteMDP, opts.mdp)
    S, A, N = mdp.n_states, mdp.n_actions, opts.n_samples
    H = mdp.horizon
    times = list(range(H)) if (H is not None and mdp.is_time_dependent) else [0]
    n_tests = S + len(times) * S * A * (S + (1 if opts.reward_range is not None else 0))
    level = FALSE_ALARM / n_tests
    gen = np.random.default_rng(np.random.SeedSequence(_SEED + 1))
    ctx = _ctx(check, opts, {"n": N, "rng": "fixed seed"})
    s0 = _decode(ctx, opts, np.asarray(ctx.call_subject(sim.reset, N, gen)), f"reset({N}) returned states that")
    counts = np.bincount(s0, minlength=S)
    pv = _binomial_pvalues(counts, np.full(S, N), mdp.initial)
    i = int(np.argmin(pv))
    ctx.check(
        pv[i] >= level,
        lambda: (
            f"reset({N}) drew state {i} {counts[i]} times, expected {N} * initial[{i}] = {N * mdp.initial[i]:.6g} "
            f"(binomial p = {pv[i]:.3g} < {level:.3g}); counts = {counts.tolist()}, initial = {mdp.initial.tolist()}"
        ),
    )
    s_idx, a_idx = np.repeat(np.arange(S), A * N), np.tile(np.repeat(np.arange(A), N), S)
    states = s_idx if opts.mdp_states is None else opts.mdp_states[s_idx]
    acts = a_idx if opts.mdp_actions is None else opts.mdp_actions[a_idx]
    for t in times:
        ctx = _ctx(check, opts, {"n": S * A * N, "rng": "fixed seed", "t": t})
        Pt: Any = mdp.transitions_at(t)
        P = (Pt.toarray() if sp.issparse(Pt) else np.asarray(Pt)).reshape(S, A, S)
        R = mdp.rewards_at(t)
        nxt, rew, term = (np.asarray(x) for x in ctx.call_subject(sim.step, states, acts, gen, t=t))
        nx = _decode(ctx, opts, nxt, f"step(t={t}) returned next states that")
        counts = np.zeros((S, A, S), dtype=np.int64)
        np.add.at(counts, (s_idx, a_idx, nx), 1)
        pv = _binomial_pvalues(counts, np.full(counts.shape, N), P)
        s, a, s2 = (int(v) for v in np.unravel_index(int(np.argmin(pv)), pv.shape))
        ctx.check(
            pv[s, a, s2] >= level,
            lambda: (
                f"from state {s} under action {a} the next state was {s2} in {counts[s, a, s2]} of {N} steps, "
                f"expected {N} * P = {N * P[s, a, s2]:.6g} (binomial p = {pv[s, a, s2]:.3g} < {level:.3g}); "
                f"counts = {counts[s, a].tolist()}, P[{s}, {a}] = {P[s, a].tolist()}"
            ),
        )
        rew = rew.reshape(S, A, N)
        if opts.reward_range is None:
            err = np.abs(rew - R[:, :, None])
            s, a, k = (int(v) for v in np.unravel_index(int(np.argmax(err)), err.shape))
            ctx.check(
                err[s, a, k] <= opts.atol,
                lambda: (
                    f"from state {s} under action {a} the reward was {float(rew[s, a, k])!r}, expected R[{s}, {a}] = "
                    f"{float(R[s, a])!r} (atol {opts.atol:g}; pass reward_range for random rewards with mean R)"
                ),
            )
        else:
            low, high = opts.reward_range
            out = (rew < low - opts.atol) | (rew > high + opts.atol)
            ctx.check(not out.any(), lambda: f"rewards {rew[out][:5].tolist()} lie outside reward_range {[low, high]}")
            bound = (high - low) * np.sqrt(np.log(2.0 / level) / (2.0 * N)) + opts.atol
            err = np.abs(rew.mean(axis=2) - R)
            s, a = (int(v) for v in np.unravel_index(int(np.argmax(err)), err.shape))
            ctx.check(
                err[s, a] <= bound,
                lambda: (
                    f"from state {s} under action {a} the mean reward over {N} steps was {rew[s, a].mean():.6g}, "
                    f"expected R[{s}, {a}] = {R[s, a]:.6g} within Hoeffding's {bound:.3g} (level {level:.3g})"
                ),
            )
        if H is None or t < H - 1:
            want = mdp.terminal[nx]
            bad = np.flatnonzero(term.astype(bool) != want)
            ctx.check(
                bad.size == 0,
                lambda: (
                    f"terminated = {bool(term[bad[0]])} on entering state {nx[bad[0]]} from state {s_idx[bad[0]]} "
                    f"under action {a_idx[bad[0]]}, but the MDP's terminal[{nx[bad[0]]}] = {bool(want[bad[0]])}"
                ),
            )


# ======================================================================== entry points
@validate_params(**OPTIONS)
def simulator_checks(
    sim: Any,
    *,
    actions: Any = None,
    mdp: FiniteMDP | None = None,
    mdp_states: Any = None,
    mdp_actions: Any = None,
    reward_range: Any = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    n_samples: int = DEFAULT_N_SAMPLES,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    atol: float = 1e-9,
    name: str | None = None,
) -> Iterator[tuple[str, Callable[[], None]]]:
    """The applicable checks as ``(check_name, check)`` pairs, for ``pytest.mark.parametrize``.

    Parameters are those of :func:`check_simulator`; ``check()`` runs one check.

    Returns
    -------
    iterator of (str, callable)

    Examples
    --------
    >>> from rlcore.generators import river_swim
    >>> [n for n, _ in simulator_checks(river_swim(3, gamma=0.9))][:2]
    ['check_simulator_interface', 'check_simulator_does_not_mutate_inputs']
    """
    opts = options(
        sim, actions, mdp, mdp_states, mdp_actions, reward_range, max_steps, n_samples, max_examples, atol, name
    )
    return SUITE.checks(sim, opts, name=opts.name)


@validate_params(**OPTIONS)
def check_simulator(
    sim: Any,
    *,
    actions: Any = None,
    mdp: FiniteMDP | None = None,
    mdp_states: Any = None,
    mdp_actions: Any = None,
    reward_range: Any = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    n_samples: int = DEFAULT_N_SAMPLES,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    atol: float = 1e-9,
    name: str | None = None,
) -> None:
    """Run every applicable contract check on ``sim``; raise at the first breach.

    Parameters
    ----------
    sim : Simulator
        Any object with ``reset(n, rng)`` and ``step(states, actions, rng, *, t)``.
    actions : callable, optional
        ``actions(states, rng) -> actions``: valid actions for a batch of states (see
        the module documentation for the default).
    mdp : FiniteMDP, optional
        The MDP the simulator claims to implement: adds
        :func:`check_simulator_matches_mdp`.
    mdp_states : array_like of int, shape (S,) or (S, k), optional
        The simulator's encoding of each state of ``mdp`` (default: the index).
    mdp_actions : array_like of int, shape (A,) or (A, k), optional
        The simulator's encoding of each action of ``mdp`` (default: the index).
    reward_range : array_like of shape (2,), optional
        ``(low, high)``: rewards are random in this interval with mean ``R[s, a]``
        (default: rewards equal ``R[s, a]``).
    max_steps : int in [1, 1000]
        Steps per episode of the structural checks (at most the horizon). Default 4.
    n_samples : int in [20, 10**6]
        Sample size of each statistical comparison. Default 1000.
    max_examples : int in [1, 10**4]
        Hypothesis examples (batch sizes and seeds) per structural check. Default 10.
    atol : float >= 0
        Absolute tolerance on rewards against ``R``. Default 1e-9.
    name : str, optional
        Name in failure messages; default the simulator's class name.

    Raises
    ------
    AssertionError
        At the first breach; the message starts with the check's name and names the
        simulator, the instance, the call and the numbers.
    TypeError, ValueError
        On a bad option.

    Examples
    --------
    >>> from rlcore.generators import river_swim
    >>> check_simulator(river_swim(3, gamma=0.9), max_examples=2, n_samples=100)
    """
    for _, check in simulator_checks(
        sim,
        actions=actions,
        mdp=mdp,
        mdp_states=mdp_states,
        mdp_actions=mdp_actions,
        reward_range=reward_range,
        max_steps=max_steps,
        n_samples=n_samples,
        max_examples=max_examples,
        atol=atol,
        name=name,
    ):
        check()
