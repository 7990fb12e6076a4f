"""A contract suite for online learners: run any episodic learner, yours included, through one set of checks.

In the spirit of :func:`tabular.testing.check_mdp_solver` and
:func:`bandits.testing.check_bandit_policy`: :func:`check_online_learner` runs every
check below on a learner *factory*

.. code-block:: python

    learner = make(n_states, n_actions, horizon)

returning an :class:`~tabular.exploration.OnlineLearner` (``reset``, ``begin_episode``,
``end_episode``, ``regret_bound``, ``value_estimate``), e.g. the class
:class:`~tabular.exploration.UCBVI` itself or ``functools.partial(UCBVI,
bonus="bernstein")``. Every run goes through :func:`tabular.exploration.explore`, which
scores each episode's policy exactly on the true MDP (no Monte Carlo noise). What a
learner promises beyond the protocol it declares with the suite's options (or its own
attributes), and the checks hold it to exactly that:

* :func:`check_valid_policies`: every episode an integer policy of shape (H, S) in
  ``[0, A)`` and a ``value_estimate`` that is None or finite of shape (S,); the run
  completes through the protocol path (``engine="python"``); ``regret_bound`` is None or
  a finite non-negative number;
* :func:`check_same_seed_same_run`: the same seed gives the same run, whatever the global
  random state (all randomness from ``rng``), and ``reset()`` forgets everything;
* :func:`check_compiled_twin` (learners with ``_run_compiled``): ``engine="compiled"``
  equals ``engine="python"`` bit for bit, and leaves the learner in the same state;
* :func:`check_regret_falls` (unless ``sublinear=False``): the per-episode regret of the
  last quarter of a run is below that of the first quarter, within a failure budget;
* :func:`check_regret_bound` (when ``make(...).regret_bound(1)`` is not None): the
  cumulative regret stays below the stated bound in every episode, on all but a
  binomial budget of the runs at the learner's ``delta``;
* :func:`check_optimism` (``optimistic=True``, or a learner attribute ``optimistic =
  True``): ``value_estimate >= V*_0`` in every state and episode, on all but a binomial
  budget of the runs.

The instances are finite-horizon MDPs with rewards in [0, 1], drawn by Hypothesis as
calls of :mod:`rlcore.generators` (``random_mdp``, stationary, time-dependent or sparse;
``river_swim``; ``chain`` rescaled into [0, 1]; ``combination_lock``, with terminal
states), ``S`` 1 to 5, ``A`` 1 to 3, ``H`` 1 to 6; the regret and optimism checks use
the stationary ones only (the learners' theorems assume stationary transitions).
Hypothesis runs derandomised, without an example database
(:func:`rlcore.testing.contract.derandomized`), and every seed is fixed, so a program
checks the same instances on every run.

Every failure is an ``AssertionError`` whose message starts with the check's name and
names the learner, the instance (the generator call, e.g. ``random_mdp(3, 2, horizon=4,
rng=5)``, which pastes back with ``from rlcore.generators import *``), the call of
:func:`~tabular.exploration.explore` (``n_episodes``, ``n_runs``, ``rng``, ``engine``)
and the numbers. A check that does not apply is not yielded by
:func:`online_learner_checks` and raises ``ValueError`` when called directly.

Examples
--------
A library learner passes (here with small settings):

>>> import functools
>>> from tabular.exploration import UCBVI
>>> from tabular.testing.online import check_online_learner
>>> check_online_learner(functools.partial(UCBVI, bonus="bernstein"), optimistic=True,
...                      max_examples=1, n_seeds=8, n_episodes=400)

A learner whose actions run one past the end does not:

>>> import numpy as np
>>> from tabular.testing.online import check_valid_policies
>>> class OffByOne:
...     name, value_estimate = "off by one", None
...     def __init__(self, n_states, n_actions, horizon):
...         self.n_states, self.n_actions, self.horizon = n_states, n_actions, horizon
...     def reset(self): pass
...     def begin_episode(self, episode, rng):
...         return np.full((self.horizon, self.n_states), self.n_actions, dtype=np.int64)
...     def end_episode(self, states, actions, rewards): pass
...     def regret_bound(self, n_episodes): return None
>>> check_valid_policies(OffByOne, max_examples=2)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
AssertionError: check_valid_policies: online learner 'OffByOne' on ...: begin_episode(0, rng) returned action ...

In a test-suite, one line per learner (each check becomes its own test):

>>> import pytest
>>> from tabular.testing.online import online_learner_checks
>>> @pytest.mark.parametrize("check_name, check", online_learner_checks(UCBVI, sublinear=False))
... def test_ucbvi_contract(check_name, check):
...     check()
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import given

from rlcore.testing.contract import reseeded_globals
from rlcore.validation import validate_params
from tabular.testing._online_suite import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_N_EPISODES,
    DEFAULT_N_SEEDS,
    FALL_MISS,
    OPTIMISM_ATOL,
    OPTIONS,
    SEEDS,
    SHORT_EPISODES,
    SHORT_RUNS,
    SUITE,
    Context,
    Drawn,
    Make,
    Options,
    Watched,
    budget_or_raise,
    build,
    hypothesis_settings,
    instances,
    options,
    policy_difference,
    register,
    result_difference,
    run_learner,
)

__all__ = [
    "check_compiled_twin",
    "check_online_learner",
    "check_optimism",
    "check_regret_bound",
    "check_regret_falls",
    "check_same_seed_same_run",
    "check_valid_policies",
    "online_learner_checks",
]


def _sizes(inst: Drawn) -> tuple[int, int, int]:
    return inst.mdp.n_states, inst.mdp.n_actions, int(inst.mdp.horizon)  # type: ignore[arg-type]


def _finite_non_negative(x: object) -> bool:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return bool(np.isfinite(v) and v >= 0.0)


# ======================================================================== the checks
@register()
def check_valid_policies(make: Make, opts: Options, check: str) -> None:
    """Every episode the learner proposes a valid policy and a valid estimate, and the run completes.

    On ``max_examples`` drawn instances (every kind, ``S`` 1..5, ``A`` 1..3, ``H``
    1..6: one state, one action, one step, terminal states and sparse models among
    them), ``make(S, A, H)`` must return an :class:`~tabular.exploration.OnlineLearner`
    of those sizes; two runs of ``min(n_episodes, 40)`` episodes through
    :func:`~tabular.exploration.explore` with ``engine="python"`` must complete, and at
    every episode ``begin_episode(k, rng)`` must return an integer array of shape (H, S)
    with entries in ``[0, A)``, after which ``value_estimate`` is None or a finite real
    array of shape (S,). ``regret_bound(1)`` and ``regret_bound(K)`` are None or finite
    non-negative numbers. Raising is a failure.
    """
    K = min(opts.n_episodes, SHORT_EPISODES)

    @hypothesis_settings(opts)
    @given(instances(), SEEDS)
    def run(inst: Drawn, seed: int) -> None:
        S, A, H = _sizes(inst)
        ctx = Context(check, opts, inst.label)
        learner = build(make, S, A, H, ctx)
        ctx.check(isinstance(learner.name, str), lambda: f"name is {learner.name!r}, expected a str")
        watched = Watched(learner, ctx)
        run_learner(ctx, inst.mdp, watched, K, SHORT_RUNS, seed, "python")
        counts = [len(p) for p in watched.policies]
        ctx.check(counts == [K] * SHORT_RUNS, lambda: f"the runs planned {counts} episodes, expected {K} each")
        for k in (1, K):
            b = ctx.call_subject(learner.regret_bound, k)
            ok = b is None or (not isinstance(b, (bool, str, bytes)) and _finite_non_negative(b))
            ctx.check(ok, lambda: f"regret_bound({k}) = {b!r}, expected None or a finite number >= 0")

    run()


@register()
def check_same_seed_same_run(make: Make, opts: Options, check: str) -> None:
    """The same seed gives the same run: all randomness comes from ``rng``, and ``reset()`` forgets everything.

    On the instances of :func:`check_valid_policies`, runs of ``min(n_episodes, 40)``
    episodes (two per call, ``engine="python"``) with NumPy's and Python's global
    generators reseeded around each call (:func:`rlcore.testing.contract.reseeded_globals`):

    1. a learner ``make(S, A, H)`` with ``rng=seed`` (global seed 1);
    2. the same object with ``rng=seed + 1`` (global seed 2);
    3. the same object with ``rng=seed`` (global seed 1): must equal call 1, else
       ``reset()`` (which :func:`~tabular.exploration.explore` calls before each run)
       forgets less than everything;
    4. a fresh ``make(S, A, H)`` with ``rng=seed`` (global seed 2): must equal call 1,
       else the learner draws randomness other than its ``rng``.

    "Equal" means the same policy in every episode and identical result arrays
    (pseudo-regret, returns, estimates, margins, initial states), bit for bit. A failing
    instance is not shrunk (a learner with hidden randomness fails at random).
    """
    K = min(opts.n_episodes, SHORT_EPISODES)

    @hypothesis_settings(opts, shrink=False)
    @given(instances(), SEEDS)
    def run(inst: Drawn, seed: int) -> None:
        S, A, H = _sizes(inst)
        ctx = Context(check, opts, inst.label)
        watched = Watched(build(make, S, A, H, ctx), ctx)
        with reseeded_globals(1):
            first = run_learner(ctx, inst.mdp, watched, K, SHORT_RUNS, seed, "python")
        first_policies, watched.policies = watched.policies, []
        with reseeded_globals(2):
            run_learner(ctx, inst.mdp, watched, K, SHORT_RUNS, (seed + 1) % 2**32, "python")
        watched.policies = []
        with reseeded_globals(1):
            again = run_learner(ctx, inst.mdp, watched, K, SHORT_RUNS, seed, "python")
        fresh = Watched(build(make, S, A, H, ctx), ctx)
        with reseeded_globals(2):
            other = run_learner(ctx, inst.mdp, fresh, K, SHORT_RUNS, seed, "python")
        diff = policy_difference(first_policies, fresh.policies) or result_difference(first, other)
        ctx.check(
            diff is None,
            lambda: (
                f"a fresh learner run with the same rng, but NumPy's and Python's global generators seeded 2 "
                f"instead of 1, differs ({diff}): it draws randomness other than its rng"
            ),
        )
        diff_again = policy_difference(first_policies, watched.policies) or result_difference(first, again)
        ctx.check(
            diff_again is None,
            lambda: (
                f"the same learner run again with the same rng and global random state, after a run with "
                f"rng={(seed + 1) % 2**32}, differs ({diff_again}): reset() forgets less than everything"
            ),
        )

    run()


def _needs_twin(opts: Options) -> str | None:
    return None if opts.compiled else "the learner has no compiled twin (no _run_compiled)"


@register(_needs_twin)
def check_compiled_twin(make: Make, opts: Options, check: str) -> None:
    """A learner with a compiled twin (``_run_compiled``) gives the same runs on both engines, bit for bit.

    On the instances of :func:`check_valid_policies`, two runs of ``min(n_episodes,
    40)`` episodes with ``engine="compiled"`` and with ``engine="python"``, same seed,
    on two learners from ``make(S, A, H)``: every result array (pseudo-regret, returns,
    value estimates, optimism margins, initial states) must be identical, NaN for NaN.
    Then both learners, holding the last run's statistics, plan one more episode
    (``begin_episode(K, numpy.random.default_rng(seed))``): the policies and the
    ``value_estimate`` must be identical too, so the compiled loop leaves the state the
    protocol path leaves.
    """
    K = min(opts.n_episodes, SHORT_EPISODES)

    @hypothesis_settings(opts)
    @given(instances(), SEEDS)
    def run(inst: Drawn, seed: int) -> None:
        S, A, H = _sizes(inst)
        ctx = Context(check, opts, inst.label)
        fast_learner = build(make, S, A, H, ctx)
        slow_learner = build(make, S, A, H, ctx)
        fast = run_learner(ctx, inst.mdp, fast_learner, K, SHORT_RUNS, seed, "compiled")
        slow = run_learner(ctx, inst.mdp, Watched(slow_learner, ctx), K, SHORT_RUNS, seed, "python")
        ctx.call = {"n_episodes": K, "n_runs": SHORT_RUNS, "rng": seed, "engine": "compiled, then python"}
        diff = result_difference(fast, slow)
        ctx.check(diff is None, lambda: f"the compiled and Python engines differ: {diff} (compiled first)")
        nxt = []
        for learner in (fast_learner, slow_learner):
            policy = ctx.call_subject(learner.begin_episode, K, np.random.default_rng(seed))
            est = learner.value_estimate
            nxt.append((np.asarray(policy), None if est is None else np.array(est, dtype=np.float64)))
        (pf, ef), (ps, es) = nxt
        same_est = (ef is None and es is None) or (
            ef is not None and es is not None and np.array_equal(ef, es, equal_nan=True)
        )
        ctx.check(
            np.array_equal(pf, ps) and same_est,
            lambda: (
                f"the runs agree, but the learners are left in different states: the next plan "
                f"(begin_episode({K}, default_rng({seed}))) gives policy {pf.tolist()} and estimate "
                f"{None if ef is None else ef.tolist()} after the compiled run, policy {ps.tolist()} and estimate "
                f"{None if es is None else es.tolist()} after the Python run"
            ),
        )

    run()


def _needs_sublinear(opts: Options) -> str | None:
    return None if opts.sublinear else "the learner declares sublinear=False"


@register(_needs_sublinear)
def check_regret_falls(make: Make, opts: Options, check: str) -> None:
    """The learner learns: its per-episode regret late in a run is below its regret early in the run.

    On ``max_examples`` stationary instances with something to learn (``S`` 1..3, ``A``
    2..3, ``H`` 1..3; the uniformly random policy loses at least 0.1 per episode),
    ``n_seeds`` runs of ``K = n_episodes`` episodes (``engine="auto"``). A run *falls*
    when its mean pseudo-regret over the last ``K // 4`` episodes is strictly below its
    mean over the first ``K // 4``, or is 0 (a run that loses nothing has nothing to
    unlearn); a learner stuck on a suboptimal policy never falls (equal means), one that
    explores uniformly falls in about half the runs.

    Guarantee
    ---------
    Failure budget: the check fails when ``k`` or more runs do not fall, ``k`` the
    smallest count with ``P(Binomial(n_seeds, 0.05) >= k) <= 1e-6`` (9 of 20 runs at
    the default ``n_seeds``): a learner whose runs each fall with probability at least
    0.95 on the instance (they are independent: their generators are spawned from the
    seed) fails with probability below ``1e-6`` per instance. That a run falls is not a
    theorem; the default ``K = 2000`` was calibrated on the library's learners: on 72
    such instances (20 runs each) no run of UCBVI-BF, PSRL or RLSVI failed to fall at
    ``K = 2000`` (UCBVI-BF needs more than 1000 episodes at ``S A H = 18``). UCBVI-CH
    with the theory's bonus ``7 H L / sqrt(N)`` keeps every value at its clip for about
    ``(7 H L)**2`` visits of each pair (over ``10**4`` episodes even at ``S = 1, A = 2,
    H = 1``) and declares ``sublinear=False`` here.
    Tested by
    ``tests/tabular/exploration/test_online_contract.py::test_library_learner_honours_the_contract``
    and ``tests/tabular/exploration/test_online_contract.py::test_broken_learner_fails_its_check``
    (a learner fixed on one policy fails).
    """
    K = opts.n_episodes
    q = K // 4

    @hypothesis_settings(opts, shrink=False)
    @given(instances(small=True), SEEDS)
    def run(inst: Drawn, seed: int) -> None:
        S, A, H = _sizes(inst)
        ctx = Context(check, opts, inst.label)
        k = budget_or_raise(opts, FALL_MISS, "the miss probability")
        res = run_learner(ctx, inst.mdp, build(make, S, A, H, ctx), K, opts.n_seeds, seed, "auto")
        early = res.pseudo_regret[:, :q].mean(axis=1)
        late = res.pseudo_regret[:, -q:].mean(axis=1)
        stuck = int(np.sum(~((late < early) | (late == 0.0))))
        ctx.check(
            stuck < k,
            lambda: (
                f"{stuck} of {opts.n_seeds} runs do not fall (at most {k - 1} allowed): mean pseudo-regret per "
                f"episode {early.mean():.4g} over the first {q} episodes and {late.mean():.4g} over the last {q} "
                f"(first runs: {np.round(early[:4], 4).tolist()} -> {np.round(late[:4], 4).tolist()})"
            ),
        )

    run()


def _needs_bound(opts: Options) -> str | None:
    return None if opts.has_bound else "the learner states no regret bound (regret_bound(1) is None)"


@register(_needs_bound)
def check_regret_bound(make: Make, opts: Options, check: str) -> None:
    """The cumulative pseudo-regret stays below the learner's stated bound, on all but a budget of runs.

    On ``max_examples`` stationary instances (``S`` 1..5, ``A`` 1..3, ``H`` 1..6, rewards
    in [0, 1]), ``n_seeds`` runs of ``K = n_episodes`` episodes (``engine="auto"``). A
    run *breaks* the bound when its cumulative pseudo-regret after ``k`` episodes
    exceeds ``regret_bound(k)`` for some ``k <= K`` (entries that are NaN, where a
    learner states no bound, are skipped; an instance on which ``regret_bound(1)`` is
    None is passed).

    Guarantee
    ---------
    Failure budget: a high-probability bound holds, on one event of probability at least
    ``1 - delta`` in each run, for every ``k`` at once (the optimism-based proofs of
    UCBVI and its kin bound the regret of every episode on one good event), and the runs
    are independent, so the number of runs that break it is at most Binomial(``n_seeds``,
    ``delta``) in distribution. The check fails when it reaches the smallest ``k`` with
    ``P(Binomial(n_seeds, delta) >= k) <= 1e-6`` (11 of 20 runs at ``delta = 0.1``), so a
    learner keeping its bound fails with probability below ``1e-6`` per instance.
    ``delta`` is the ``delta`` option, else the learner's ``delta`` attribute, else 0.1;
    a Bayesian bound (PSRL's, on the regret averaged over a prior) is thereby held to a
    frequentist reading it does not promise on a fixed MDP: pass ``delta`` to relax it.
    Tested by
    ``tests/tabular/exploration/test_online_contract.py::test_binomial_budget_matches_the_tail``,
    ``tests/tabular/exploration/test_online_contract.py::test_library_learner_honours_the_contract``
    and ``tests/tabular/exploration/test_online_contract.py::test_broken_learner_fails_its_check``
    (a learner claiming a bound of 0.01 fails).
    """
    K = opts.n_episodes

    @hypothesis_settings(opts, shrink=False)
    @given(instances(stationary=True), SEEDS)
    def run(inst: Drawn, seed: int) -> None:
        S, A, H = _sizes(inst)
        ctx = Context(check, opts, inst.label)
        k = budget_or_raise(opts, opts.delta, "delta")
        res = run_learner(ctx, inst.mdp, build(make, S, A, H, ctx), K, opts.n_seeds, seed, "auto")
        if res.bound is None:
            return
        bound = np.asarray(res.bound, dtype=np.float64)
        cum = res.cumulative_regret()
        over = np.isfinite(bound) & (cum > bound + 1e-9 * np.maximum(1.0, np.abs(bound)))
        broken = np.any(over, axis=1)
        n_broken = int(np.sum(broken))
        if n_broken >= k:
            r = int(np.argmax(broken))
            e = int(np.argmax(over[r]))
            raise ctx.fail(
                f"{n_broken} of {opts.n_seeds} runs break the stated bound (at most {k - 1} allowed at "
                f"delta = {opts.delta:g}); first: run {r} after {e + 1} episode{'s' if e else ''}, cumulative pseudo-regret "
                f"{cum[r, e]:.6g} > regret_bound({e + 1}) = {bound[e]:.6g} (regret_bound({K}) = {bound[-1]:.6g}, "
                f"mean final regret {cum[:, -1].mean():.6g})"
            )

    run()


def _needs_optimism(opts: Options) -> str | None:
    return None if opts.optimistic else "the learner does not declare optimism (optimistic=True)"


@register(_needs_optimism)
def check_optimism(make: Make, opts: Options, check: str) -> None:
    """An optimistic learner's ``value_estimate`` is at least ``V*_0`` in every state and episode, on all but a budget of runs.

    On the instances of :func:`check_regret_bound`, ``n_seeds`` runs of ``K =
    n_episodes`` episodes (``engine="auto"``). A run *breaks* optimism when some
    episode's margin ``min_s (value_estimate(s) - V*_0(s))`` is below ``-1e-9``; an
    episode without an estimate (``value_estimate`` None) breaks it too.

    Guarantee
    ---------
    Failure budget: an optimistic learner's estimate is an upper bound on ``V*_0`` in
    every episode on one event of probability at least ``1 - delta`` per run (e.g.
    Azar et al. 2017, Lemma 2 for UCBVI-CH), and the runs are independent, so the check
    fails when the number of broken runs reaches the smallest ``k`` with
    ``P(Binomial(n_seeds, delta) >= k) <= 1e-6``: a learner keeping its promise fails
    with probability below ``1e-6`` per instance. ``delta`` as in
    :func:`check_regret_bound`.
    Tested by
    ``tests/tabular/exploration/test_online_contract.py::test_library_learner_honours_the_contract``
    and ``tests/tabular/exploration/test_online_contract.py::test_broken_learner_fails_its_check``
    (a learner claiming optimism with estimate 0 fails).
    """
    K = opts.n_episodes

    @hypothesis_settings(opts, shrink=False)
    @given(instances(stationary=True), SEEDS)
    def run(inst: Drawn, seed: int) -> None:
        S, A, H = _sizes(inst)
        ctx = Context(check, opts, inst.label)
        k = budget_or_raise(opts, opts.delta, "delta")
        res = run_learner(ctx, inst.mdp, build(make, S, A, H, ctx), K, opts.n_seeds, seed, "auto")
        margins = res.optimism_margins
        missing = np.isnan(margins)
        if missing.any():
            r, e = (int(i) for i in np.argwhere(missing)[0])
            raise ctx.fail(f"the learner declares optimism but has no value_estimate in run {r}, episode {e}")
        broken = np.any(margins < -OPTIMISM_ATOL, axis=1)
        n_broken = int(np.sum(broken))
        if n_broken >= k:
            r = int(np.argmax(broken))
            e = int(np.argmax(margins[r] < -OPTIMISM_ATOL))
            raise ctx.fail(
                f"{n_broken} of {opts.n_seeds} runs break optimism (at most {k - 1} allowed at delta = "
                f"{opts.delta:g}); first: run {r}, episode {e}: min_s (value_estimate(s) - V*_0(s)) = "
                f"{margins[r, e]:.6g} (V*_0 = {np.round(res.optimal_values, 6).tolist()}; smallest margin "
                f"{margins.min():.6g})"
            )

    run()


# ======================================================================== entry points
@validate_params(**OPTIONS)
def online_learner_checks(
    make: Make,
    *,
    name: str | None = None,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    n_seeds: int = DEFAULT_N_SEEDS,
    n_episodes: int = DEFAULT_N_EPISODES,
    sublinear: bool = True,
    optimistic: bool | None = None,
    delta: float | None = None,
) -> list[tuple[str, Callable[[], None]]]:
    """The checks that apply to ``make``'s learners, as ``(check_name, check)`` pairs for ``pytest.mark.parametrize``.

    ``check()`` runs one check and raises ``AssertionError`` on a breach; its
    ``__name__`` (the pytest id) is the learner's name. A check the learner does not
    declare itself for (``check_compiled_twin`` without ``_run_compiled``,
    ``check_regret_falls`` with ``sublinear=False``, ``check_regret_bound`` when
    ``regret_bound(1)`` is None, ``check_optimism`` without ``optimistic``) is not
    yielded.

    Parameters
    ----------
    make, name, max_examples, n_seeds, n_episodes, sublinear, optimistic, delta
        As in :func:`check_online_learner`.

    Returns
    -------
    list of (str, callable)
        A list, not an iterator: ``pytest.mark.parametrize`` deprecates other iterables.

    Raises
    ------
    TypeError, ValueError
        On a bad option, or a factory that fails on ``make(2, 2, 2)`` (raised by the
        call, before any check runs).

    Examples
    --------
    >>> import functools
    >>> from tabular.exploration import UCBVI
    >>> [n for n, _ in online_learner_checks(functools.partial(UCBVI, c=0.1))]
    ['check_valid_policies', 'check_same_seed_same_run', 'check_compiled_twin', 'check_regret_falls']
    """
    opts = options(make, name, max_examples, n_seeds, n_episodes, sublinear, optimistic, delta)
    return list(SUITE.checks(make, opts, name=opts.name))


@validate_params(**OPTIONS)
def check_online_learner(
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
    """Run every applicable contract check on an online learner; raise at the first breach.

    Parameters
    ----------
    make : callable
        ``make(n_states, n_actions, horizon) -> OnlineLearner``: the learner class
        itself, a :func:`functools.partial` of it, or any function. The options are read
        from ``make(2, 2, 2)`` (its ``regret_bound``, ``_run_compiled``, ``delta`` and
        ``optimistic`` attributes).
    name : str, optional
        Name used in failure messages; default the factory's name (with the keywords of
        a partial).
    max_examples : int in [1, 10**4]
        Hypothesis examples (instances) per check; default 5.
    n_seeds : int in [8, 10**4]
        Runs per instance of the statistical checks (regret falls, regret bound,
        optimism); default 20.
    n_episodes : int in [16, 10**7]
        Episodes per run of the statistical checks (default 2000); the other checks play
        ``min(n_episodes, 40)``. A learner without a compiled twin runs through its
        protocol methods, about 50 microseconds a step: lower it for slow learners.
    sublinear : bool
        The learner's regret falls within ``n_episodes`` episodes
        (:func:`check_regret_falls`); default True.
    optimistic : bool or None
        The learner's ``value_estimate`` is an upper bound on ``V*_0`` with probability
        ``1 - delta`` (:func:`check_optimism`); None (default) reads the learner's
        ``optimistic`` attribute (True or not).
    delta : float in (0, 1) or None
        Failure probability of the learner's bound and optimism; None (default) reads
        its ``delta`` attribute, else 0.1.

    Raises
    ------
    AssertionError
        At the first breach of the contract; the message starts with the check's name
        and names the learner, the instance and the call.
    TypeError, ValueError
        On a bad option (naming it).

    Examples
    --------
    >>> import functools
    >>> from tabular.exploration import UCBVI
    >>> check_online_learner(functools.partial(UCBVI, c=0.1), max_examples=1, n_seeds=8, n_episodes=100,
    ...                      sublinear=False)
    """
    for _, check in online_learner_checks(
        make,
        name=name,
        max_examples=max_examples,
        n_seeds=n_seeds,
        n_episodes=n_episodes,
        sublinear=sublinear,
        optimistic=optimistic,
        delta=delta,
    ):
        check()
