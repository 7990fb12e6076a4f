"""The machinery of the online-learner suite (private): options, the registry, instances, runs, statistics.

:mod:`tabular.testing.online` declares each check with :func:`register`; the helpers
here draw the instances (finite-horizon MDPs from :mod:`rlcore.generators`, printed as
the generator call that rebuilds them), build the learner from the factory, run it
through :func:`tabular.exploration.explore` (the protocol path behind
:class:`Watched`, which checks every policy and estimate as the learner hands it over),
compute the binomial failure budgets and word the failures (check, learner, instance,
call).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple
from collections.abc import Callable

import numpy as np
from hypothesis import assume, settings
from hypothesis import strategies as st
from scipy import stats

from rlcore.evaluation import evaluate_policy
from rlcore.generators import chain, combination_lock, random_mdp, river_swim
from rlcore.mdp import FiniteMDP
from rlcore.testing.contract import CheckContext, ContractSuite, derandomized, subject_name
from rlcore.validation import Bool, Instance, Integer, InvalidParameterError, IsCallable, Real, validate_params
from tabular.exploration import ExplorationResult, OnlineLearner, explore
from tabular.finite_horizon import backward_induction

Make = Callable[[int, int, int], Any]

DEFAULT_MAX_EXAMPLES = 5
DEFAULT_N_SEEDS = 20
DEFAULT_N_EPISODES = 2000
#: Most Hypothesis examples, seeds and episodes of a check.
MAX_EXAMPLES = 10**4
MAX_SEEDS = 10**4
MAX_EPISODES = 10**7
#: Fewest seeds: with ``delta = 0.1`` a budget at ``1e-6`` needs 6 runs to be able to fail.
MIN_SEEDS = 8
#: Fewest episodes: the regret-falls check compares quarters of the run.
MIN_EPISODES = 16
#: Episodes (and runs) of the cheap checks (valid policies, reproducibility, compiled twin).
SHORT_EPISODES = 40
SHORT_RUNS = 2
#: Probability, per drawn instance, that a statistical check fails a learner keeping its promise.
FAILURE_BUDGET = 1e-6
#: The regret-falls check: a run "falls" when its mean pseudo-regret over the last quarter
#: of the episodes is below that over the first quarter; a learner is assumed to fall in
#: each run with probability at least ``1 - FALL_MISS``.
FALL_MISS = 0.05
#: Instances of the regret-falls check have something to learn: the uniformly random
#: policy loses at least this much per episode.
MIN_RANDOM_REGRET = 0.1
#: Optimism is read with this slack (rounding of the learner's backward induction).
OPTIMISM_ATOL = 1e-9
#: The probe the options are read from: ``make(*PROBE_SIZES)``.
PROBE_SIZES = (2, 2, 2)

#: The options every entry point of the suite shares.
OPTIONS = dict(
    make=IsCallable("a learner factory make(n_states, n_actions, horizon) -> OnlineLearner"),
    name=Instance(str, what="a name (str)") | None,
    max_examples=Integer(1, MAX_EXAMPLES),
    n_seeds=Integer(MIN_SEEDS, MAX_SEEDS),
    n_episodes=Integer(MIN_EPISODES, MAX_EPISODES),
    sublinear=Bool(),
    optimistic=Bool() | None,
    delta=Real(0, 1, closed="neither") | None,
)


# ======================================================================== options
@dataclass(frozen=True)
class Options:
    name: str
    max_examples: int
    n_seeds: int
    n_episodes: int
    sublinear: bool  # the learner declares that its regret falls
    optimistic: bool  # the learner declares value_estimate >= V*_0 (with probability 1 - delta)
    delta: float  # the failure probability of its bound and of its optimism
    has_bound: bool  # make(...).regret_bound(1) is not None
    compiled: bool  # the learner has a compiled twin (``_run_compiled``)


def probe(make: Make) -> Any:
    """``make(2, 2, 2)``, the learner the options are read from; a ``ValueError`` naming ``make`` if that fails."""
    try:
        return make(*PROBE_SIZES)
    except Exception as exc:
        raise InvalidParameterError(
            "make",
            f"make{PROBE_SIZES} raised {type(exc).__name__}: {exc}; the suite reads the learner's options from it",
        ) from exc


def _has_bound(learner: Any) -> bool:
    fn = getattr(learner, "regret_bound", None)
    if not callable(fn):
        return False
    try:
        return fn(1) is not None
    except Exception:  # check_valid_policies reports it
        return True


def options(
    make: Make,
    name: Any,
    max_examples: Any,
    n_seeds: Any,
    n_episodes: Any,
    sublinear: Any,
    optimistic: Any,
    delta: Any,
) -> Options:
    # each option is validated by the entry points' declarations (OPTIONS); here what the probe says
    learner = probe(make)
    if delta is None:
        delta = getattr(learner, "delta", 0.1)
        if isinstance(delta, bool) or not isinstance(delta, (int, float, np.floating)) or not 0.0 < delta < 1.0:
            raise InvalidParameterError(
                "delta", f"the learner's delta attribute must be a number in (0, 1), got {delta!r}; pass delta="
            )
    if optimistic is None:
        optimistic = getattr(learner, "optimistic", False) is True
    return Options(
        name=name if name is not None else subject_name(make),
        max_examples=int(max_examples),
        n_seeds=int(n_seeds),
        n_episodes=int(n_episodes),
        sublinear=bool(sublinear),
        optimistic=bool(optimistic),
        delta=float(delta),
        has_bound=_has_bound(learner),
        compiled=callable(getattr(learner, "_run_compiled", None)),
    )


# ======================================================================== registry
CheckBody = Callable[[Make, Options, str], None]

#: The registry of the online learners' checks (the machinery shared by every suite).
SUITE = ContractSuite("online learner")

_PARAMETERS_DOC = """
    Parameters
    ----------
    make : callable
        ``make(n_states, n_actions, horizon) -> OnlineLearner`` (see :mod:`tabular.testing.online`).
    name, max_examples, n_seeds, n_episodes, sublinear, optimistic, delta
        As in :func:`check_online_learner`.

    Raises
    ------
    AssertionError
        If the learner breaks the contract; the message names this check, the learner,
        the instance and the call.
    ValueError
        If this check does not apply to the learner (e.g. it states no regret bound).
"""


def _always(opts: Options) -> str | None:
    return None


def register(applies: Callable[[Options], str | None] = _always) -> Callable[[CheckBody], Callable[..., None]]:
    """Declare a check: registered in :data:`SUITE`, and returned as a public function."""

    def decorate(body: CheckBody) -> Callable[..., None]:
        check_name = body.__name__

        @validate_params(**OPTIONS)
        def check(
            make: Make,
            *,
            name: str | None = None,
            max_examples: int = DEFAULT_MAX_EXAMPLES,
            n_seeds: int = DEFAULT_N_SEEDS,
            n_episodes: int = DEFAULT_N_EPISODES,
            sublinear: bool = True,
            optimistic: bool | None = None,
            delta: float | None = None,
        ) -> None:
            opts = options(make, name, max_examples, n_seeds, n_episodes, sublinear, optimistic, delta)
            SUITE.run_one(check_name, make, opts, param="make")

        return SUITE.publish(check, body, applies, _PARAMETERS_DOC)

    return decorate


def hypothesis_settings(opts: Options, *, shrink: bool = True) -> settings:
    """The suite's settings (:func:`rlcore.testing.contract.derandomized`); no shrinking for costly checks."""
    return derandomized(opts.max_examples, shrink=shrink)


# ======================================================================== instances
class Drawn(NamedTuple):
    """A drawn MDP and the generator call that rebuilds it (``from rlcore.generators import ...``)."""

    label: str
    mdp: FiniteMDP


SEEDS = st.integers(0, 2**32 - 1)


def _call(fn: Callable[..., FiniteMDP], *args: Any, **kwargs: Any) -> Drawn:
    words = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return Drawn(f"{fn.__name__}({', '.join(words)})", fn(*args, **kwargs))


@st.composite
def instances(draw: Any, *, stationary: bool = False, small: bool = False) -> Drawn:
    """Strategy for finite-horizon MDPs with rewards in [0, 1], ``S`` 1..5, ``A`` 1..3, ``H`` 1..6.

    ``random_mdp`` (dense, stationary; also time-dependent and sparse unless
    ``stationary``), ``river_swim``, ``chain`` (rewards rescaled into [0, 1]) and
    ``combination_lock`` (terminal states). ``small``: ``S`` 1..3, ``A`` 2..3, ``H``
    1..3, stationary, and the uniformly random policy loses at least
    :data:`MIN_RANDOM_REGRET` per episode (something to learn).
    """
    kinds = ["random", "river_swim", "chain"] + ([] if small else ["lock"])
    if not stationary and not small:
        kinds += ["time_dependent", "sparse"]
    kind = draw(st.sampled_from(kinds), label="kind")
    S = draw(st.integers(2 if kind in ("river_swim", "chain") else 1, 3 if small else 5), label="n_states")
    A = draw(st.integers(2, 3) if small else st.integers(1, 3), label="n_actions")
    H = draw(st.integers(1, 3 if small else 6), label="horizon")
    seed = draw(st.integers(0, 10**4), label="rng")
    if kind == "random":
        inst = _call(random_mdp, S, A, horizon=H, rng=seed)
    elif kind == "time_dependent":
        inst = _call(random_mdp, S, A, horizon=H, time_dependent=True, rng=seed)
    elif kind == "sparse":
        b = draw(st.integers(1, S), label="branching")
        inst = _call(random_mdp, S, A, branching=b, sparse=True, horizon=H, rng=seed)
    elif kind == "river_swim":
        inst = _call(river_swim, S, horizon=H)
    elif kind == "chain":
        inst = _call(chain, S, small_reward=0.2, large_reward=1.0, horizon=H)
    else:  # a lock of H steps has H + 2 states
        inst = _call(combination_lock, min(H, 3), A, rng=seed)
    if small:
        assume(random_policy_regret(inst.mdp) >= MIN_RANDOM_REGRET)
    return inst


def random_policy_regret(mdp: FiniteMDP) -> float:
    """``rho . (V*_0 - V^unif_0)``: what the uniformly random policy loses per episode (exact)."""
    S, A = mdp.n_states, mdp.n_actions
    v_star = backward_induction(mdp).V[0]
    v_unif = evaluate_policy(mdp, np.full((S, A), 1.0 / A)).V[0]
    return float(mdp.initial @ (v_star - v_unif))


# ======================================================================== the learner, watched
class Context(CheckContext):
    """The shared failure wording; the instance is the generator call that rebuilds the MDP."""

    def __init__(self, check: str, opts: Options, instance: str, call: dict[str, Any] | None = None) -> None:
        super().__init__(check, "online learner", opts.name, instance, call)
        self.opts = opts


def build(make: Make, S: int, A: int, H: int, ctx: Context) -> Any:
    """``make(S, A, H)``, checked against the protocol (members, sizes); raising is a failure."""
    learner = ctx.call_subject(make, S, A, H)
    if not isinstance(learner, OnlineLearner):
        members = ("n_states", "n_actions", "horizon", "name", "value_estimate", "reset", "begin_episode")
        missing = [m for m in members + ("end_episode", "regret_bound") if not hasattr(learner, m)]
        raise ctx.fail(f"make({S}, {A}, {H}) returned a {type(learner).__name__} lacking {missing} (OnlineLearner)")
    sizes = tuple(getattr(learner, a) for a in ("n_states", "n_actions", "horizon"))
    ctx.check(
        sizes == (S, A, H), lambda: f"make({S}, {A}, {H}) built a learner of (n_states, n_actions, horizon) = {sizes}"
    )
    return learner


def describe_policy_error(policy: Any, H: int, S: int, A: int) -> str | None:
    """What is wrong with a policy (None when it is an integer array of shape (H, S) in ``[0, A)``)."""
    arr = np.asarray(policy)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        return f"a policy of dtype {arr.dtype}, expected integers"
    if arr.shape != (H, S):
        return f"a policy of shape {arr.shape}, expected {(H, S)}"
    bad = np.argwhere((arr < 0) | (arr >= A))
    if bad.size:
        t, s = (int(x) for x in bad[0])
        return f"action {int(arr[t, s])} at policy[{t}, {s}], outside [0, {A})"
    return None


def describe_estimate_error(est: Any, S: int) -> str | None:
    """What is wrong with a ``value_estimate`` (None when it is None or a finite real array of shape (S,))."""
    if est is None:
        return None
    arr = np.asarray(est)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        return f"value_estimate of dtype {arr.dtype}, expected float64"
    if arr.shape != (S,):
        return f"value_estimate of shape {arr.shape}, expected ({S},)"
    if not np.all(np.isfinite(arr)):
        return f"value_estimate {arr.tolist()!r} is not finite"
    return None


class Watched:
    """The learner seen through the protocol: every policy and estimate is checked when handed over, and kept.

    ``policies[r][k]`` is the policy of episode ``k`` of run ``r`` (a run starts at each
    ``reset``). A breach is raised as the check's failure, naming the episode.
    """

    def __init__(self, learner: Any, ctx: Context) -> None:
        self._learner, self._ctx = learner, ctx
        self.n_states, self.n_actions, self.horizon = learner.n_states, learner.n_actions, learner.horizon
        self.name = str(getattr(learner, "name", type(learner).__name__))
        self.policies: list[list[np.ndarray]] = []

    @property
    def value_estimate(self) -> Any:
        return self._learner.value_estimate

    def reset(self) -> None:
        self._ctx.call_subject(self._learner.reset)
        self.policies.append([])

    def begin_episode(self, episode: int, rng: np.random.Generator) -> np.ndarray:
        S, A, H = self.n_states, self.n_actions, self.horizon
        policy = self._ctx.call_subject(self._learner.begin_episode, episode, rng)
        what = describe_policy_error(policy, H, S, A)
        run = len(self.policies) - 1
        if what is not None:
            raise self._ctx.fail(f"begin_episode({episode}, rng) returned {what} (run {run})")
        est = self._learner.value_estimate
        what = describe_estimate_error(est, S)
        if what is not None:
            raise self._ctx.fail(f"after begin_episode({episode}, rng) the {what} (run {run})")
        policy = np.array(policy, dtype=np.int64)
        self.policies[-1].append(policy)
        return policy

    def end_episode(self, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        self._ctx.call_subject(self._learner.end_episode, states, actions, rewards)

    def regret_bound(self, n_episodes: int) -> Any:
        return self._learner.regret_bound(n_episodes)


def run_learner(
    ctx: Context, mdp: FiniteMDP, learner: Any, n_episodes: int, n_runs: int, seed: int, engine: str
) -> ExplorationResult:
    """``explore(mdp, learner, n_episodes, n_runs=n_runs, rng=seed, engine=engine)``; its errors are failures.

    ``ctx.call`` is set to the call's keywords, so that a failure names it.
    """
    ctx.call = {"n_episodes": n_episodes, "n_runs": n_runs, "rng": seed, "engine": engine}
    try:
        return explore(mdp, learner, n_episodes, n_runs=n_runs, rng=seed, engine=engine)
    except AssertionError:
        raise
    except Exception as exc:
        raise ctx.fail(f"explore raised {type(exc).__name__}: {exc}") from exc


#: The result arrays two runs must agree on, bit for bit (NaN equal to NaN).
RESULT_ARRAYS = ("pseudo_regret", "returns", "value_estimates", "optimism_margins", "initial_states")


def result_difference(a: ExplorationResult, b: ExplorationResult) -> str | None:
    """Where two results first differ, in words (None when every array is identical)."""
    for field in RESULT_ARRAYS:
        x, y = getattr(a, field), getattr(b, field)
        if not np.array_equal(x, y, equal_nan=True):
            same = (x == y) | (np.isnan(x) & np.isnan(y)) if x.dtype.kind == "f" else x == y
            r, k = (int(i) for i in np.argwhere(~same)[0])
            return f"{field}[{r}, {k}] = {x[r, k].item()!r} then {y[r, k].item()!r}"
    for field in ("bound",):
        x, y = getattr(a, field), getattr(b, field)
        if (x is None) != (y is None) or (x is not None and not np.array_equal(x, y, equal_nan=True)):
            return f"the stated bounds differ ({field})"
    return None


def policy_difference(a: list[list[np.ndarray]], b: list[list[np.ndarray]]) -> str | None:
    """Where two recorded policy sequences first differ, in words (None when identical)."""
    for r, (ra, rb) in enumerate(zip(a, b)):
        for k, (pa, pb) in enumerate(zip(ra, rb)):
            if not np.array_equal(pa, pb):
                t, s = (int(i) for i in np.argwhere(pa != pb)[0])
                return f"run {r}, episode {k}: policy[{t}, {s}] = {int(pa[t, s])} then {int(pb[t, s])}"
    return None


# ======================================================================== statistics
def binomial_budget(n: int, p: float, budget: float = FAILURE_BUDGET) -> int:
    """Smallest ``k`` with ``P(Binomial(n, p) >= k) <= budget`` (``n + 1`` when there is none).

    A check that fails when ``k`` or more of ``n`` independent runs break a promise
    holding with probability ``1 - p`` per run fails a learner that keeps it with
    probability at most ``budget``.
    """
    ks = np.arange(n + 2)
    tail = stats.binom.sf(ks - 1, n, p)
    ok = np.nonzero(tail <= budget)[0]
    return int(ks[ok[0]]) if ok.size else n + 1


def seeds_needed(p: float, budget: float = FAILURE_BUDGET) -> int:
    """Fewest runs for which a budget at ``budget`` can be broken at all: ``p**n <= budget``."""
    return max(1, math.ceil(math.log(budget) / math.log(p) - 1e-12))


def budget_or_raise(opts: Options, p: float, what: str) -> int:
    """:func:`binomial_budget` of ``n_seeds`` runs; a ``ValueError`` naming ``n_seeds`` when no count can fail."""
    k = binomial_budget(opts.n_seeds, p)
    if k > opts.n_seeds:
        raise InvalidParameterError(
            "n_seeds",
            f"with {what} = {p:g}, {opts.n_seeds} runs cannot break a budget at {FAILURE_BUDGET:g}; "
            f"pass n_seeds >= {seeds_needed(p)}",
        )
    return k
