"""The checks of the bandit policy suite, and its entry points :func:`check_bandit_policy` and :func:`bandit_policy_checks`.

Each check holds a policy to one clause of the contract (see :mod:`bandits.testing`), is
callable on its own (``check_valid_arms(policy)``), and is yielded by
:func:`bandit_policy_checks` when it applies to the policy.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable, Iterator

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bandits.stochastic.environments import BernoulliBandit, GaussianBandit
from bandits.testing._suite import (
    DEFAULT_HORIZON,
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_SLOPE,
    DEFAULT_N_SEEDS,
    FAILURE_BUDGET,
    MARKOV_FACTOR,
    OPTIONS,
    RELABEL_HORIZON,
    SCALES,
    SEEDS,
    SUITE,
    Context,
    Options,
    Policy,
    hypothesis_settings,
    loglog_slope,
    markov_count_threshold,
    options,
    play_streams,
    register,
    regret_instances,
    run_policy,
    sign_test_pvalue,
    small_instances,
)
from rlcore.testing import bandit_means
from rlcore.validation import validate_params

__all__ = [
    "bandit_policy_checks",
    "check_arm_relabelling",
    "check_bandit_policy",
    "check_compiled_twin",
    "check_regret_bound",
    "check_same_seed_same_pulls",
    "check_scale_free",
    "check_sublinear_regret",
    "check_valid_arms",
]


def _first_difference(a: np.ndarray, b: np.ndarray) -> str:
    """Where two (n_runs, horizon) action arrays first differ, in words."""
    run, t = (int(x[0]) for x in np.nonzero(a != b))
    return f"run {run}, round {t + 1}: arm {int(a[run, t])} then arm {int(b[run, t])}"


# ======================================================================== the checks
@register()
def check_valid_arms(policy: Policy, opts: Options, check: str) -> None:
    """Every round, ``select`` returns an integer arm in ``[0, K)``, and the run completes.

    On ``max_examples`` instances drawn by :func:`rlcore.testing.bandit_means`: 1 to 8
    Bernoulli arms (and Gaussian arms with ``sigma`` in {0.1, 0.5, 1} when the policy
    takes real-valued rewards), horizons from 1 to ``min(120, horizon)``, two runs each
    through :func:`bandits.simulate` with ``backend="python"`` (which refuses an arm out
    of range, a float or a bool, naming the round). Every run's pull counts sum to the
    horizon. The single-armed bandit and a horizon shorter than the number of arms are
    among the instances.
    """

    @hypothesis_settings(opts)
    @given(small_instances(opts))
    def run(instance: tuple[Any, int, int]) -> None:
        env, T, seed = instance
        res, ctx = run_policy(check, opts, policy, env, T, 2, seed, backend="python", return_actions=True)
        totals = res.counts.sum(axis=1)
        ctx.check(np.all(totals == T), lambda: f"the pull counts sum to {totals.tolist()}, not to horizon = {T}")

    run()


@register()
def check_same_seed_same_pulls(policy: Policy, opts: Options, check: str) -> None:
    """The same seed gives the same pulls: all randomness comes from the ``rng`` argument.

    On the instances of :func:`check_valid_arms`: :func:`bandits.simulate` with
    ``backend="python"`` and three runs, called with ``rng=seed``, then with another
    seed, then with ``rng=seed`` again, on the same policy object. The first and last
    calls must pull the same arms in every round of every run and report the same
    regrets: a policy drawing from NumPy's global generator (or any other source) fails,
    and so does one whose ``reset`` forgets less than everything.
    A failing instance is not shrunk (a policy with hidden randomness fails at random).
    """

    @hypothesis_settings(opts, shrink=False)
    @given(small_instances(opts))
    def run(instance: tuple[Any, int, int]) -> None:
        env, T, seed = instance
        first, ctx = run_policy(check, opts, policy, env, T, 3, seed, backend="python", return_actions=True)
        run_policy(check, opts, policy, env, T, 3, (seed + 1) % 2**32, backend="python")
        again, _ = run_policy(check, opts, policy, env, T, 3, seed, backend="python", return_actions=True)
        ctx.check(
            np.array_equal(first.actions, again.actions),
            lambda: (
                f"two calls with the same rng pulled different arms (first difference: "
                f"{_first_difference(first.actions, again.actions)})"
            ),
        )
        ctx.check(
            np.array_equal(first.regret, again.regret),
            "two calls with the same rng pulled the same arms but reported different regrets",
        )

    run()


@st.composite
def _relabel_instances(draw: Any) -> tuple[np.ndarray, np.ndarray, int]:
    mu = draw(bandit_means(st.integers(2, 6)))
    K = mu.size
    perm = draw(st.permutations(list(range(K))).filter(lambda p: list(p) != list(range(K))))
    return mu, np.array(perm, dtype=np.int64), draw(SEEDS)


@register()
def check_arm_relabelling(policy: Policy, opts: Options, check: str) -> None:
    """Relabelling the arms relabels the pulls: the policy uses no arm's index, only its rewards.

    Each instance (2 to 6 arms, means drawn by :func:`rlcore.testing.bandit_means`, a
    permutation ``perm`` other than the identity, a seed) gives every arm ``a`` a
    *reward stream*: its ``n``-th pull pays ``(means[a] + U[a, n]) / 2``, with ``U =
    numpy.random.default_rng(seed).random((K, T))``, whenever that pull happens. The
    relabelled problem gives arm ``perm[a]`` the stream of arm ``a``. The policy is
    driven directly (its ``reset``, ``select``, ``update``, as the engine does) for
    ``T = min(horizon, 200)`` rounds, ``n_seeds`` times on each problem, with
    independent policy generators (``default_rng([seed, 0, s])`` and
    ``default_rng([seed, 1, s])``).

    Tie-breaking. Index policies break ties by the lowest index, which no relabelling
    preserves; here rewards are continuous and each arm's are its own, so two played
    arms tie with probability 0. Ties between *unplayed* arms (the first round-robin)
    change the order of the first pulls, not the rewards each arm receives, so the
    states after the round-robin are relabellings of each other. The check therefore
    compares the pull counts at the end (round ``T``), not round by round; a policy
    still in a round-robin phase whose length is not a multiple of ``K`` at round ``T``
    (explore-then-commit with ``m K > T``) is outside this comparison: give it a longer
    ``horizon``.

    Guarantee
    ---------
    Failure budget: for each arm ``a``, ``D_s = N_a(T) - N'_{perm[a]}(T)`` over seeds
    ``s``; the two runs are independent and, for an equivariant policy, identically
    distributed, so ``D`` is symmetric about 0 and the number of positive ``D_s`` among
    the ``m`` non-zero ones is Binomial(``m``, 1/2). The check fails when the two-sided
    exact sign test rejects at ``1e-6 / K`` for some arm, so a policy whose pull counts
    are equivariant in distribution fails with probability below ``1e-6`` per instance
    (Bonferroni over the arms). A deterministic policy gives equal ``D_s``: one
    relabelled count differing in every seed fails (``2^-23 < 1.25e-7`` already at the
    fewest seeds allowed, 24).
    Tested by
    ``tests/bandits/test_policy_contract.py::test_sign_test_matches_scipy`` (the p-value),
    ``tests/bandits/test_policy_contract.py::test_shipped_policy_honours_the_contract``
    (the library's policies pass) and
    ``tests/bandits/test_policy_contract.py::test_broken_policy_fails_its_check`` (a policy
    preferring low arm indices fails).
    """
    T = min(opts.horizon, RELABEL_HORIZON)

    @hypothesis_settings(opts, shrink=False)
    @given(_relabel_instances())
    def run(instance: tuple[np.ndarray, np.ndarray, int]) -> None:
        mu, perm, seed = instance
        K = mu.size
        streams = (mu[:, None] + np.random.default_rng(seed).random((K, T))) / 2.0
        relabelled = np.empty_like(streams)
        relabelled[perm] = streams
        label = (
            f"per-arm reward streams (means[a] + U[a, n]) / 2 with means = {mu.tolist()!r}, "
            f"U = numpy.random.default_rng({seed}).random(({K}, {T})), relabelled by perm = {perm.tolist()!r} "
            f"(arm perm[a] gets the stream of arm a)"
        )
        ctx = Context(check, opts, label, {"horizon": T, "n_seeds": opts.n_seeds})
        n = opts.n_seeds
        N = np.empty((n, K), dtype=np.int64)
        N_rel = np.empty((n, K), dtype=np.int64)
        for s in range(n):
            N[s] = play_streams(policy, streams, T, np.random.default_rng([seed, 0, s]), ctx)
            N_rel[s] = play_streams(policy, relabelled, T, np.random.default_rng([seed, 1, s]), ctx)
        back = N_rel[:, perm]  # back[:, a]: pulls of arm a's stream in the relabelled problem
        level = FAILURE_BUDGET / K
        for a in range(K):
            p, pos, neg = sign_test_pvalue(N[:, a] - back[:, a])
            ctx.check(
                p >= level,
                lambda: (
                    f"arm {a} (mean {mu[a]:g}) was pulled {N[:, a].mean():.4g} times on average "
                    f"(first seeds: {N[:8, a].tolist()}) but, relabelled as arm {perm[a]}, "
                    f"{back[:, a].mean():.4g} times (first seeds: {back[:8, a].tolist()}); sign test over "
                    f"{n} seeds: {pos} more, {neg} fewer, p = {p:.3g} < {level:.3g}"
                ),
            )

    run()


def _needs_scale_free(opts: Options) -> str | None:
    return None if opts.scale_free else "the policy does not declare scale_free=True"


@register(_needs_scale_free)
def check_scale_free(policy: Policy, opts: Options, check: str) -> None:
    """A policy declared scale-free (``scale_free=True``) pulls the same arms when every reward is rescaled.

    On Gaussian instances (means drawn by :func:`rlcore.testing.bandit_means`, ``sigma``
    in {0.1, 0.5, 1}, 1 to 8 arms, horizons up to ``min(120, horizon)``), the arms
    pulled on ``GaussianBandit(means, sigma)`` and on ``GaussianBandit(c * means,
    c * sigma)`` for ``c`` in {1/8, 16}, with the same seed (two runs each), must be
    identical. The scales are powers of two, so every rescaled reward, and every sum and
    mean of rewards, is exactly ``c`` times the original in floating point: a
    scale-free rule has no rounding excuse. (Explore-then-commit and epsilon-greedy are
    scale-free; UCB-type indices, whose bonus does not scale, are not.)
    """

    @hypothesis_settings(opts)
    @given(small_instances(opts, gaussian=True).filter(lambda inst: isinstance(inst[0], GaussianBandit)))
    def run(instance: tuple[Any, int, int]) -> None:
        env, T, seed = instance
        base, ctx = run_policy(check, opts, policy, env, T, 2, seed, return_actions=True)
        for c in SCALES:
            scaled = GaussianBandit((c * env.means).tolist(), sigma=(c * env.sigma).tolist())
            res, ctx_c = run_policy(check, opts, policy, scaled, T, 2, seed, return_actions=True)
            ctx_c.instance = f"{scaled!r} (the rewards of {env!r} times {c:g})"
            ctx_c.check(
                np.array_equal(base.actions, res.actions),
                lambda: (
                    f"rescaling the rewards by {c:g} changed the pulls (first difference: "
                    f"{_first_difference(base.actions, res.actions)})"
                ),
            )

    run()


def _needs_sublinear(opts: Options) -> str | None:
    return None if opts.sublinear else "the policy declares sublinear=False"


def _suboptimal_share(actions: np.ndarray, best: int, lo: int, hi: int) -> float:
    return float(np.mean(actions[:, lo:hi] != best))


@register(_needs_sublinear)
def check_sublinear_regret(policy: Policy, opts: Options, check: str) -> None:
    """Regret grows sublinearly and the best arm's share of the pulls grows towards 1.

    On ``max_examples`` Bernoulli instances (2 to 4 arms, the best ahead of every other
    by at least 0.25, drawn by :func:`rlcore.testing.bandit_means`), ``n_seeds`` runs of
    ``horizon`` rounds through :func:`bandits.simulate`. With ``R(t)`` the mean
    pseudo-regret over the runs after ``t`` rounds, the check asks

    * that the log-log slope ``log(R(T) / R(T/8)) / log 8`` is at most ``max_slope``
      (default 0.8; linear regret has slope 1, logarithmic regret a slope that falls
      to 0, ``sqrt(T)`` regret 1/2), and
    * that the share of pulls of suboptimal arms in the last quarter of the rounds is at
      most half their share in the first quarter (the best arm's share moves towards 1:
      a logarithmic regret gives a ratio near ``ln(4/3) / ln(T/4)``, ``sqrt(T)`` regret
      ``0.27``, a constant share 1).

    Sublinearity is an asymptotic property, so these are finite-horizon proxies, not
    theorems, and no failure probability is claimed for them. The thresholds were
    calibrated on the library's policies that declare sublinear regret: on 100 of this
    suite's instances at the default horizon (40 runs each), their largest slope was
    0.67 (UCB-V; UCB1 0.62, the others below 0.47) and their largest share ratio 0.31
    (UCB1), against slopes of 0.93 to 0.98 and ratios up to 0.99 for the policies with
    linear regret. A policy that explores in full for a while (epsilon-greedy with
    Auer et al.'s schedule explores for ``c K / d^2`` rounds) needs a ``horizon`` well
    beyond that phase (its slope is 0.87 at 1000 rounds with ``c = 6, d = 0.25``, 0.47
    at 4000). The seeds are fixed, so the check gives the same answer on every run.
    Policies whose regret is linear by design with fixed
    parameters (constant-epsilon greedy, explore-then-commit with a fixed ``m``, EXP3
    with a fixed ``gamma``, the forgetting UCBs on stationary arms) declare
    ``sublinear=False``.
    """
    T = opts.horizon

    @hypothesis_settings(opts, shrink=False)
    @given(regret_instances())
    def run(instance: tuple[np.ndarray, int]) -> None:
        mu, seed = instance
        env = BernoulliBandit(mu.tolist())
        res, ctx = run_policy(check, opts, policy, env, T, opts.n_seeds, seed, return_actions=True)
        curve = res.pseudo_regret.mean(axis=0)
        slope = loglog_slope(curve, T // 8, T)
        ctx.check(
            slope <= opts.max_slope,
            lambda: (
                f"the mean regret grows with log-log slope {slope:.3f} > max_slope = {opts.max_slope:g} between "
                f"rounds {T // 8} and {T} (mean regret {curve[T // 8 - 1]:.4g} -> {curve[-1]:.4g}; "
                f"{opts.n_seeds} runs)"
            ),
        )
        best = int(np.argmax(mu))
        q = T // 4
        early = _suboptimal_share(res.actions, best, 0, q)
        late = _suboptimal_share(res.actions, best, T - q, T)
        ctx.check(
            late <= 0.5 * early,
            lambda: (
                f"the best arm {best} does not take over: suboptimal arms got {early:.3f} of the pulls in the first "
                f"quarter of the rounds and {late:.3f} in the last (more than half as many; {opts.n_seeds} runs)"
            ),
        )

    run()


def _needs_bound(opts: Options) -> str | None:
    return None if opts.regret_bound is not None else "the policy declares no regret_bound"


@register(_needs_bound)
def check_regret_bound(policy: Policy, opts: Options, check: str) -> None:
    """The declared bound ``regret_bound(means, horizon)`` on the expected pseudo-regret holds.

    On the instances of :func:`check_sublinear_regret` (Bernoulli arms, rewards in
    ``[0, 1]``), ``n_seeds`` runs of ``horizon`` rounds; ``B = regret_bound(means,
    horizon)`` must be a finite number, and the runs' pseudo-regrets at round
    ``horizon`` are compared with it.

    Guarantee
    ---------
    Failure budget: if ``B`` bounds the expected pseudo-regret, Markov's inequality
    gives ``P(R > 2 B) <= 1/2`` for each run, and the runs are independent (their
    streams are spawned from the seed), so the number of runs with ``R > 2 B`` is at
    most Binomial(``n_seeds``, 1/2) in distribution. The check fails when it reaches the
    smallest ``k`` with ``P(Binomial(n_seeds, 1/2) >= k) <= 1e-6`` (35 of 40 runs at the
    default ``n_seeds``, all 24 at 24): a policy that keeps its bound fails with
    probability below ``1e-6`` per instance, whatever the distribution of its regret.
    Tested by
    ``tests/bandits/test_policy_contract.py::test_markov_count_threshold_matches_the_binomial_tail``
    (the threshold),
    ``tests/bandits/test_policy_contract.py::test_shipped_policy_honours_the_contract``
    (the library's policies keep their bounds) and
    ``tests/bandits/test_policy_contract.py::test_broken_policy_fails_its_check`` (an
    over-exploring UCB claiming UCB1's bound fails).
    """
    T = opts.horizon
    bound_fn = opts.regret_bound
    assert bound_fn is not None
    k = markov_count_threshold(opts.n_seeds)

    @hypothesis_settings(opts, shrink=False)
    @given(regret_instances())
    def run(instance: tuple[np.ndarray, int]) -> None:
        mu, seed = instance
        env = BernoulliBandit(mu.tolist())
        res, ctx = run_policy(check, opts, policy, env, T, opts.n_seeds, seed)
        try:
            B = float(bound_fn(mu.copy(), T))
        except Exception as exc:
            raise ctx.fail(f"regret_bound({mu.tolist()!r}, {T}) raised {type(exc).__name__}: {exc}") from exc
        ctx.check(np.isfinite(B), f"regret_bound({mu.tolist()!r}, {T}) = {B!r} is not a finite number")
        final = res.pseudo_regret[:, -1]
        above = int(np.sum(final > MARKOV_FACTOR * B))
        ctx.check(
            above < k,
            lambda: (
                f"{above} of {opts.n_seeds} runs have pseudo-regret above {MARKOV_FACTOR:g} x the declared bound "
                f"regret_bound(means, {T}) = {B:.4g} (at most {k - 1} allowed); mean regret {final.mean():.4g}, "
                f"median {np.median(final):.4g}"
            ),
        )

    run()


def _needs_twin(opts: Options) -> str | None:
    return None if opts.compiled else "the policy has no compiled twin (no kernel_spec)"


@register(_needs_twin)
def check_compiled_twin(policy: Policy, opts: Options, check: str) -> None:
    """A policy with a compiled twin (``kernel_spec``) pulls the same arms on both backends.

    On the instances of :func:`check_valid_arms`, :func:`bandits.simulate` with
    ``backend="numba"`` and with ``backend="python"``, same seed, two runs: the pulled
    arms, the pseudo-regrets and the realised regrets must be identical, bit for bit
    (both paths run the same per-step code and draw from the same per-run generators).
    """

    @hypothesis_settings(opts)
    @given(small_instances(opts))
    def run(instance: tuple[Any, int, int]) -> None:
        env, T, seed = instance
        fast, ctx = run_policy(check, opts, policy, env, T, 2, seed, backend="numba", return_actions=True)
        slow, _ = run_policy(check, opts, policy, env, T, 2, seed, backend="python", return_actions=True)
        ctx.check(
            np.array_equal(fast.actions, slow.actions),
            lambda: (
                f"the compiled and Python backends pulled different arms (first difference: "
                f"{_first_difference(fast.actions, slow.actions)}, numba first)"
            ),
        )
        for attr in ("pseudo_regret", "regret"):
            a, b = getattr(fast, attr), getattr(slow, attr)
            ctx.check(
                np.array_equal(a, b),
                lambda: f"same arms, but the {attr} differs by up to {float(np.max(np.abs(a - b))):.3g}",
            )

    run()


# ======================================================================== entry points
@validate_params(**OPTIONS)
def bandit_policy_checks(
    policy: Policy,
    *,
    name: str | None = None,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    n_seeds: int = DEFAULT_N_SEEDS,
    horizon: int = DEFAULT_HORIZON,
    gaussian: bool | None = None,
    scale_free: bool = False,
    sublinear: bool = True,
    max_slope: float = DEFAULT_MAX_SLOPE,
    regret_bound: Callable[[np.ndarray, int], float] | None = None,
) -> Iterator[tuple[str, Callable[[], None]]]:
    """The checks that apply to ``policy``, as ``(check_name, check)`` pairs for ``pytest.mark.parametrize``.

    ``check()`` runs one check and raises ``AssertionError`` on a breach; its
    ``__name__`` (the pytest id) is the policy's name. A check the policy does not
    declare itself for (``check_scale_free`` without ``scale_free=True``,
    ``check_sublinear_regret`` with ``sublinear=False``, ``check_regret_bound``
    without ``regret_bound``, ``check_compiled_twin`` without ``kernel_spec``) is not
    yielded.

    Parameters
    ----------
    policy, name, max_examples, n_seeds, horizon, gaussian, scale_free, sublinear, max_slope, regret_bound
        As in :func:`check_bandit_policy`.

    Returns
    -------
    iterator of (str, callable)

    Raises
    ------
    TypeError, ValueError
        On a bad option (raised by the call, before any check runs).

    Examples
    --------
    >>> import bandits
    >>> [n for n, _ in bandit_policy_checks(bandits.EXP3(gamma=0.1), sublinear=False)]
    ['check_valid_arms', 'check_same_seed_same_pulls', 'check_arm_relabelling', 'check_compiled_twin']
    """
    opts = options(
        policy, name, max_examples, n_seeds, horizon, gaussian, scale_free, sublinear, max_slope, regret_bound
    )
    return SUITE.checks(policy, opts, name=opts.name)


@validate_params(**OPTIONS)
def check_bandit_policy(
    policy: Policy,
    *,
    name: str | None = None,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    n_seeds: int = DEFAULT_N_SEEDS,
    horizon: int = DEFAULT_HORIZON,
    gaussian: bool | None = None,
    scale_free: bool = False,
    sublinear: bool = True,
    max_slope: float = DEFAULT_MAX_SLOPE,
    regret_bound: Callable[[np.ndarray, int], float] | None = None,
) -> None:
    """Run every applicable contract check on a bandit policy; raise at the first breach.

    Parameters
    ----------
    policy : BanditPolicy
        Any object with ``reset(n_arms, horizon)``, ``select(t, rng) -> int`` and
        ``update(arm, reward, rng)`` (:class:`bandits.BanditPolicy`), run through
        :func:`bandits.simulate`. It is reset before every run.
    name : str, optional
        Name used in failure messages; default the policy's ``repr``.
    max_examples : int in [1, 10**4]
        Hypothesis examples (instances) per check; default 5.
    n_seeds : int in [24, 10**4]
        Runs per instance of the statistical checks (relabelling, sublinear regret,
        regret bound); default 40.
    horizon : int in [16, 10**6]
        Rounds of the regret checks (default 1000); the relabelling check plays
        ``min(horizon, 200)`` rounds and the others at most ``min(horizon, 120)``.
    gaussian : bool or None
        The policy takes real-valued rewards (Gaussian arms), not only rewards in
        ``[0, 1]``; None (default) reads the policy's ``reward_range`` attribute when
        it has one (``(0, 1)`` means Bernoulli instances only) and otherwise says yes.
    scale_free : bool
        The policy declares that multiplying every reward by ``c > 0`` does not change
        its pulls (:func:`check_scale_free`); needs Gaussian rewards.
    sublinear : bool
        The policy declares sublinear regret on stationary arms
        (:func:`check_sublinear_regret`); default True.
    max_slope : float in (0, 1)
        Largest log-log slope of the mean regret that counts as sublinear; default 0.8.
    regret_bound : callable or None
        ``regret_bound(means, horizon) -> float``, an upper bound on the policy's
        expected pseudo-regret after ``horizon`` rounds on arms with these means and
        rewards in ``[0, 1]`` (e.g. :func:`bandits.ucb1_regret_bound` for
        :class:`bandits.UCB1`); checked by :func:`check_regret_bound`.

    Raises
    ------
    AssertionError
        At the first breach of the contract; the message starts with the check's name
        and names the policy, the instance and the call.
    TypeError, ValueError
        On a bad option.

    Examples
    --------
    >>> import bandits
    >>> check_bandit_policy(bandits.UCB1(), regret_bound=bandits.ucb1_regret_bound,
    ...                     max_examples=1, n_seeds=24, horizon=200)
    """
    for _, check in bandit_policy_checks(
        policy,
        name=name,
        max_examples=max_examples,
        n_seeds=n_seeds,
        horizon=horizon,
        gaussian=gaussian,
        scale_free=scale_free,
        sublinear=sublinear,
        max_slope=max_slope,
        regret_bound=regret_bound,
    ):
        check()
