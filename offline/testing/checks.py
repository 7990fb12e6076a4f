"""The checks of the offline learners' contract suite, and its entry points.

Each check holds a learner to the contract of :mod:`offline.testing`, is callable on its
own (``check_policy_is_valid(learner)``), and is yielded by :func:`learner_checks` when it
applies to the learner.
"""

from __future__ import annotations

import math
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from rlcore.mdp import FiniteMDP
from rlcore.simulator import rollout
from rlcore.testing import constructor_call, datasets
from rlcore.testing.contract import CheckContext, reseeded_globals
from rlcore.validation import validate_params
from offline.baselines import behavior_cloning
from offline.data import behavior_distribution, sample_transitions
from offline.testing._suite import (
    DEFAULT_EPSILON,
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_N_SEEDS,
    FALSE_ALARM,
    OPTIONS,
    SUITE,
    Learner,
    Options,
    array_call,
    binomial_budget,
    call,
    dataset_call,
    fmt,
    hypothesis_settings,
    kinds,
    learner_kwargs,
    optimal,
    options,
    policy_of,
    register,
    v_range,
    values,
    verify_policy,
)
from offline.testing._data import data_from, differences, map_back, relabel_data, relabellings
from offline.testing.strategies import offline_mdps

__all__ = [
    "check_certificate_holds",
    "check_deterministic",
    "check_episode_order_invariant",
    "check_expert_data_no_worse_than_cloning",
    "check_near_optimal_with_coverage",
    "check_offline_learner",
    "check_policy_is_valid",
    "check_relabelling_equivariant",
    "learner_checks",
]

FAMILY = "offline learner"
#: Expected samples of the least-sampled state-action pair in the coverage check.
COVERAGE_PER_PAIR = 4000
#: Expected samples of the least-sampled pair in the relabelling check.
RELABEL_PER_PAIR = 1000
#: Samples per state-action pair of the certificate check's data.
CERTIFICATE_PER_PAIR = 2000
#: Share of the optimal policy in the certificate check's behaviour (the rest uniform).
EXPERT_SHARE = 0.95
#: Expert samples (discounted) or episodes (finite horizon) per state in the expert check.
EXPERT_PER_STATE = 200
#: Slack for floating-point rounding in value comparisons, relative to the value range.
ROUNDING = 1e-9


def _mdps(opts: Options, *, uniform_initial: bool = False) -> Any:
    return st.one_of(*[offline_mdps(discounted=k, uniform_initial=uniform_initial) for k in kinds(opts)])


def _ctx(check: str, opts: Options, instance: str, kwargs: dict[str, Any]) -> CheckContext:
    return CheckContext(check, FAMILY, opts.name, instance, kwargs)


def _instance(mdp: FiniteMDP, source: str) -> str:
    return f"mdp = {constructor_call(mdp)}; data = {source}"


# ======================================================================== the checks
@register()
def check_policy_is_valid(learner: Learner, opts: Options, check: str) -> None:
    """From any dataset, the learner returns a valid policy of the right shape.

    On ``max_examples`` datasets drawn by :func:`rlcore.testing.datasets` consistent with
    an MDP drawn by :func:`offline.testing.offline_mdps` (1 to 4 episodes of 1 to 6
    steps: most states and pairs are never seen, some states never visited at all): the
    result is a policy array, or has one as ``.policy``: integer actions in ``[0, A)`` of
    shape (S,) or (H, S), or action probabilities of shape (S, A) or (H, S, A) (rows
    summing to 1), valid by :func:`rlcore.policies.validate_policy`. Raising is a failure.
    """

    mdps = _mdps(opts)

    @hypothesis_settings(opts)
    @given(st.data())
    def run(draw: Any) -> None:
        mdp = draw.draw(mdps, label="mdp")
        data = draw.draw(datasets(mdp=mdp, n_episodes=st.integers(1, 4), episode_length=st.integers(1, 6)))
        kw = learner_kwargs(opts, mdp, 0)
        ctx = _ctx(check, opts, _instance(mdp, dataset_call(data)), kw)
        verify_policy(call(learner, data, mdp, kw, ctx), mdp, ctx)

    run()


@register()
def check_deterministic(learner: Learner, opts: Options, check: str) -> None:
    """The same data (and the same ``rng`` seed) give the same result, whatever the global random state.

    On datasets drawn as in :func:`check_policy_is_valid`, the learner is called twice,
    with NumPy's and Python's global random generators reseeded differently before each
    call (and restored afterwards): the policy, and ``V`` and ``Q`` when the result has
    them, must be bit-identical. A learner that draws from the global state instead of
    its ``rng`` argument, or keeps state from one call to the next, fails.
    """

    mdps = _mdps(opts)

    @hypothesis_settings(opts)
    @given(st.data())
    def run(draw: Any) -> None:
        mdp = draw.draw(mdps, label="mdp")
        data = draw.draw(datasets(mdp=mdp, n_episodes=st.integers(1, 4), episode_length=st.integers(1, 6)))
        seed = draw.draw(st.integers(0, 2**32 - 1), label="seed")
        kw = learner_kwargs(opts, mdp, seed)
        ctx = _ctx(check, opts, _instance(mdp, dataset_call(data)), kw)
        results = []
        for global_seed in (1, 2):
            with reseeded_globals(global_seed):
                results.append(call(learner, data, mdp, kw, ctx))
        diff = differences(*results)
        ctx.check(
            not diff,
            lambda: (
                f"a second call with the same data{' and rng' if opts.takes_rng else ''} (global random state "
                f"reseeded from 1 to 2) gave a different {', '.join(diff)}: policy "
                f"{np.asarray(policy_of(results[0])).tolist()!r} then {np.asarray(policy_of(results[1])).tolist()!r}"
            ),
        )

    run()


def _why_rng(opts: Options) -> str | None:
    return (
        "the learner takes an rng, whose random split may depend on the order of the data" if opts.takes_rng else None
    )


def _value_gap(mdp: FiniteMDP, pi: np.ndarray, other: np.ndarray) -> float:
    return float(np.max(np.abs(values(mdp, pi) - values(mdp, other))))


@register(_why_rng)
def check_episode_order_invariant(learner: Learner, opts: Options, check: str) -> None:
    """A learner without ``rng`` is a function of the set of episodes: their order does not matter.

    On datasets drawn as in :func:`check_policy_is_valid`, with the episodes put in an
    order drawn by Hypothesis (``data.select_episodes(order, renumber=True)``): the two
    policies have the same exact value in every state at the first step (equal policies
    always do; a different choice between actions of equal value, a tie, is allowed), up
    to ``1e-9`` times the value range. Applies only to learners without an ``rng``
    argument (a random split of the data may legitimately depend on the order).
    """

    mdps = _mdps(opts)

    @hypothesis_settings(opts)
    @given(st.data())
    def run(draw: Any) -> None:
        mdp = draw.draw(mdps, label="mdp")
        data = draw.draw(datasets(mdp=mdp, n_episodes=st.integers(2, 5), episode_length=st.integers(1, 6)))
        order = draw.draw(st.permutations(range(data.n_episodes)), label="order")
        shuffled = data.select_episodes(np.array(order, dtype=np.int64), renumber=True)
        kw = learner_kwargs(opts, mdp, 0)
        instance = (
            f"{_instance(mdp, dataset_call(data))}; "
            f"reordered = data.select_episodes(np.array({list(order)!r}), renumber=True)"
        )
        ctx = _ctx(check, opts, instance, kw)
        pi = verify_policy(call(learner, data, mdp, kw, ctx), mdp, ctx)
        pi2 = verify_policy(call(learner, shuffled, mdp, kw, ctx), mdp, ctx)
        gap = _value_gap(mdp, pi, pi2)
        tol = ROUNDING * v_range(mdp)
        ctx.check(
            gap <= tol,
            lambda: (
                f"reordering the episodes changed the policy from {pi.tolist()!r} to {pi2.tolist()!r}, whose "
                f"values differ by {fmt(gap)} (more than {tol:.2g})"
            ),
        )

    run()


@register()
def check_relabelling_equivariant(learner: Learner, opts: Options, check: str) -> None:
    """Renaming the states and actions renames the policy.

    On MDPs drawn by :func:`offline.testing.offline_mdps` (uniform initial distribution),
    with a state permutation ``sigma`` and, per state, an action permutation ``tau[s]``
    drawn by Hypothesis: the data (behaviour with action weights ``1 : 2 : 4 ...``,
    ``RELABEL_PER_PAIR`` expected samples on the rarest pair) are relabelled
    (``s -> sigma[s]``, ``a -> tau[s][a]``), which is data from the relabelled MDP, and
    the policy learnt from them, mapped back, must have the same exact value
    (:func:`rlcore.evaluate_policy`) as the policy learnt from the original data, in every
    state at the first step, up to ``1e-9`` times the value range.

    Ties: a learner may break exact ties by label (the lowest action), which relabelling
    changes; comparing values rather than actions forgives every tie between actions of
    equal value, and the instances make the other ties improbable: the behaviour weights
    differ, so visit counts differ (with 1000 expected samples on the rarest pair, even a
    sample-split learner's fold of a few hundred samples per state sees unequal counts);
    rewards are deterministic, so equal estimates come from equal transition rows; and the
    data are plenty, so a pessimistic learner's values are not all clipped at 0 (where
    only its tie-break would decide).
    """

    mdps = _mdps(opts, uniform_initial=True)

    @hypothesis_settings(opts)
    @given(st.data())
    def run(draw: Any) -> None:
        mdp = draw.draw(mdps, label="mdp")
        sigma_l, tau_l = draw.draw(relabellings(mdp.n_states, mdp.n_actions), label="relabelling")
        sigma, tau = np.array(sigma_l, dtype=np.int64), np.array(tau_l, dtype=np.int64).reshape(mdp.n_states, -1)
        data, source = data_from(mdp, 2.0 ** np.arange(mdp.n_actions), RELABEL_PER_PAIR, 0)
        kw = learner_kwargs(opts, mdp, 0)
        instance = f"{_instance(mdp, source)}; relabelled by sigma = {sigma_l!r}, tau = {tau_l!r}"
        ctx = _ctx(check, opts, instance, kw)
        pi = verify_policy(call(learner, data, mdp, kw, ctx), mdp, ctx)
        pi_r = verify_policy(call(learner, relabel_data(data, sigma, tau), mdp, kw, ctx), mdp, ctx)
        back = map_back(pi_r, sigma, tau)
        gap = _value_gap(mdp, pi, back)
        tol = ROUNDING * v_range(mdp)
        ctx.check(
            gap <= tol,
            lambda: (
                f"the policy learnt from the original data is {pi.tolist()!r}; the one learnt from the relabelled "
                f"data is {pi_r.tolist()!r}, i.e. {back.tolist()!r} in the original labels; their values differ by "
                f"{fmt(gap)} (more than {tol:.2g})"
            ),
        )

    run()


def _why_imitation(opts: Options) -> str | None:
    return "an imitation learner (imitation=True) does not maximise reward" if opts.imitation else None


@register(_why_imitation)
def check_near_optimal_with_coverage(learner: Learner, opts: Options, check: str) -> None:
    """With every state-action pair covered by many samples, the policy is near-optimal.

    On MDPs drawn by :func:`offline.testing.offline_mdps` (rewards in ``[0, 1]``,
    ``gamma <= 0.5`` or ``H <= 3``) with uniform behaviour and ``COVERAGE_PER_PAIR``
    expected samples per pair (discounted: i.i.d. transitions, every state; finite
    horizon: episodes from the MDP's initial distribution): ``V*(s) - V^pi(s) <= epsilon
    * V_range`` in every state (discounted) or from the initial distribution (finite
    horizon), with ``V_range = 1 / (1 - gamma)`` or ``H`` and the exact values of
    :func:`rlcore.evaluate_policy` and :mod:`tabular` (``V*``).

    The margin is empirical, not a theorem: the worst-case bounds of the pessimistic
    learners (e.g. ``2 b / (1 - gamma)`` for a Hoeffding width ``b`` per backup) need far
    more data to drop below ``0.1 V_range``, especially for a sample-split learner, whose
    every iteration sees one fold (``1 / (T + 1)``, ``T = log(N) / (1 - gamma)``) of the
    data. At 4000 samples per pair every shipped learner meets the default
    ``epsilon = 0.1`` on 200 drawn instances (at 1000, VI-LCB loses ``0.43`` against a
    margin of ``0.19`` on one of them, its pessimistic values all clipped at 0), while a
    policy that ignores the data loses a large fraction of ``V_range`` on most instances.
    """

    mdps = _mdps(opts)

    @hypothesis_settings(opts)
    @given(st.data())
    def run(draw: Any) -> None:
        mdp = draw.draw(mdps, label="mdp")
        data, source = data_from(mdp, np.ones(mdp.n_actions), COVERAGE_PER_PAIR, 0)
        kw = learner_kwargs(opts, mdp, 0)
        ctx = _ctx(check, opts, _instance(mdp, source), kw)
        pi = verify_policy(call(learner, data, mdp, kw, ctx), mdp, ctx)
        _, v_star = optimal(mdp)
        v_pi = values(mdp, pi)
        if mdp.horizon is None:
            gap, where = float(np.max(v_star - v_pi)), "max over states of V* - V^pi"
        else:
            rho = np.asarray(mdp.initial)
            gap, where = float(rho @ (v_star - v_pi)), "V*(rho) - V^pi(rho)"
        margin = opts.epsilon * v_range(mdp)
        ctx.check(
            gap <= margin + ROUNDING * v_range(mdp),
            lambda: (
                f"{where} = {fmt(gap)} exceeds epsilon * V_range = {fmt(margin)}; policy {pi.tolist()!r}, "
                f"V^pi = {v_pi.tolist()!r}, V* = {v_star.tolist()!r}"
            ),
        )

    run()


def _why_no_certificate(opts: Options) -> str | None:
    if opts.certificate is None:
        return "no certificate was declared (certificate=None)"
    return None


@register(_why_no_certificate)
def check_certificate_holds(learner: Learner, opts: Options, check: str) -> None:
    """The declared certificate bounds the suboptimality on all but a ``delta`` fraction of datasets.

    On each MDP drawn by :func:`offline.testing.offline_mdps`, ``n_seeds`` datasets
    (seeds ``0 .. n_seeds-1``) of ``CERTIFICATE_PER_PAIR`` samples per pair from
    expert-heavy behaviour, ``mu = 0.95 d^{pi*} + 0.05 uniform`` (discounted: i.i.d.
    transitions, with ``d^{pi*}`` the optimal policy's occupancy; finite horizon:
    episodes of the behaviour that plays the optimal action with probability 0.95,
    uniform otherwise): the optimal policy is well covered, the other pairs thinly, the
    regime where pessimism matters (an optimistic learner tries the thin pairs). A seed
    fails when ``V*(rho) - V^pi(rho) > certificate(mdp, result)``.

    Failure budget: if the certificate holds with probability at least ``1 - delta`` per
    dataset (the learner's guarantee), the failures are dominated by a
    ``Binomial(n_seeds, delta)``; the check fails when they exceed the smallest ``k``
    with ``P(Binomial(n_seeds, delta) > k) <= 1e-6`` (``scipy.stats.binom.sf``), e.g.
    8 of 20 seeds at ``delta = 0.05``. So a correct learner fails it with probability
    below ``1e-6`` per instance.

    Guarantee
    ---------
    If ``certificate(mdp, learner(data))`` bounds ``V*(rho) - V^pi(rho)`` with probability
    at least ``1 - delta`` on each seeded dataset, the check fails with probability at most
    ``1e-6`` per instance (the budget is the binomial quantile). Tested by
    ``tests/offline/test_learner_contract.py::test_the_failure_budget_is_a_binomial_tail``
    (the budget against ``scipy.stats.binom``),
    ``tests/offline/test_learner_contract.py::test_learner_honours_the_contract`` (VI-LCB
    and split pessimistic VI with :func:`offline.pessimism_certificate` pass) and
    ``tests/offline/test_learner_contract.py::test_broken_learner_fails_its_check`` (an
    optimistic learner is caught).
    """
    cert_fn = opts.certificate
    delta = opts.delta
    assert cert_fn is not None and delta is not None  # by _why_no_certificate and options()
    budget = binomial_budget(opts.n_seeds, delta)

    mdps = _mdps(opts)

    @hypothesis_settings(opts)
    @given(st.data())
    def run(draw: Any) -> None:
        mdp = draw.draw(mdps, label="mdp")
        S, A = mdp.n_states, mdp.n_actions
        pi_star, v_star = optimal(mdp)
        rho = np.asarray(mdp.initial)
        n = CERTIFICATE_PER_PAIR * S * A
        if mdp.horizon is None:
            mu = EXPERT_SHARE * behavior_distribution(mdp, pi_star) + (1.0 - EXPERT_SHARE) / (S * A)
            make = lambda seed: sample_transitions(mdp, mu, n, rng=seed)  # noqa: E731
            source = f"sample_transitions(mdp, {array_call(mu)}, {n}, rng=seed)"
        else:
            b = np.full((mdp.horizon, S, A), (1.0 - EXPERT_SHARE) / A)
            b[np.arange(mdp.horizon)[:, None], np.arange(S)[None, :], pi_star] += EXPERT_SHARE
            n = int(math.ceil(n / mdp.horizon))
            make = lambda seed: rollout(mdp, b, n, rng=seed)  # noqa: E731
            source = f"rollout(mdp, {array_call(b)}, {n}, rng=seed)"
        failures = []
        for seed in range(opts.n_seeds):
            kw = learner_kwargs(opts, mdp, seed)
            ctx = _ctx(check, opts, _instance(mdp, source).replace("rng=seed", f"rng={seed}"), kw)
            res = call(learner, make(seed), mdp, kw, ctx)
            pi = verify_policy(res, mdp, ctx)
            cert = float(ctx.call_subject(cert_fn, mdp, res))
            gap = float(rho @ (v_star - values(mdp, pi)))
            if not gap <= cert:
                failures.append((seed, gap, cert))
        call_kw = learner_kwargs(opts, mdp, 0) | ({"rng": "seed"} if opts.takes_rng else {})
        ctx = _ctx(check, opts, _instance(mdp, source), call_kw)
        ctx.check(
            len(failures) <= budget,
            lambda: (
                f"V*(rho) - V^pi(rho) exceeds the certificate on {len(failures)} of {opts.n_seeds} seeds, more than "
                f"the {budget} allowed at delta = {delta:g} (false-alarm probability {FALSE_ALARM:g}); "
                "(seed, gap, certificate): " + ", ".join(f"({s}, {fmt(g)}, {fmt(c)})" for s, g, c in failures[:5])
            ),
        )

    run()


@register()
def check_expert_data_no_worse_than_cloning(learner: Learner, opts: Options, check: str) -> None:
    """On expert-only data the learner does no worse than behaviour cloning, up to ``epsilon * V_range``.

    On MDPs drawn by :func:`offline.testing.offline_mdps`, data from an optimal policy only
    (discounted: ``EXPERT_PER_STATE`` times ``S`` i.i.d. transitions from its
    occupancy; finite horizon: that many episodes): ``V^pi(rho) >= V^bc(rho) - epsilon *
    V_range``, with ``bc`` the policy of :func:`offline.behavior_cloning` on the same
    data (on expert data it plays the expert's action wherever the expert goes, so it is
    optimal from ``rho``) and exact values. Pessimism is what makes a learner pass: it
    keeps to the actions the data show; an optimistic one tries the unseen actions.
    """

    mdps = _mdps(opts)

    @hypothesis_settings(opts)
    @given(st.data())
    def run(draw: Any) -> None:
        mdp = draw.draw(mdps, label="mdp")
        S = mdp.n_states
        pi_star, _ = optimal(mdp)
        n = EXPERT_PER_STATE * S
        if mdp.horizon is None:
            mu = behavior_distribution(mdp, pi_star)
            data = sample_transitions(mdp, mu, n, rng=0)
            source = f"sample_transitions(mdp, {array_call(mu)}, {n}, rng=0)"
        else:
            data = rollout(mdp, pi_star, n, rng=0)
            source = f"rollout(mdp, {array_call(pi_star)}, {n}, rng=0)"
        kw = learner_kwargs(opts, mdp, 0)
        ctx = _ctx(check, opts, _instance(mdp, source), kw)
        pi = verify_policy(call(learner, data, mdp, kw, ctx), mdp, ctx)
        bc = behavior_cloning(data, S, mdp.n_actions, horizon=mdp.horizon)
        rho = np.asarray(mdp.initial)
        v_pi, v_bc = float(rho @ values(mdp, pi)), float(rho @ values(mdp, bc))
        margin = opts.epsilon * v_range(mdp)
        ctx.check(
            v_pi >= v_bc - margin - ROUNDING * v_range(mdp),
            lambda: (
                f"V^pi(rho) = {fmt(v_pi)} is below behaviour cloning's V^bc(rho) = {fmt(v_bc)} by more than "
                f"epsilon * V_range = {fmt(margin)}; policy {pi.tolist()!r}, cloning {bc.tolist()!r}"
            ),
        )

    run()


# ======================================================================== entry points
@validate_params(**OPTIONS)
def learner_checks(
    learner: Learner,
    *,
    name: str | None = None,
    discounted: bool = True,
    finite_horizon: bool = False,
    imitation: bool = False,
    certificate: Any = None,
    delta: float | None = None,
    epsilon: float = DEFAULT_EPSILON,
    n_seeds: int = DEFAULT_N_SEEDS,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
) -> Iterator[tuple[str, Callable[[], None]]]:
    """The applicable checks as ``(check_name, check)`` pairs, for ``pytest.mark.parametrize``.

    Parameters
    ----------
    learner : callable
        As in :func:`check_offline_learner`.
    name, discounted, finite_horizon, imitation, certificate, delta, epsilon, n_seeds, max_examples
        As in :func:`check_offline_learner`.

    Returns
    -------
    iterator of (str, callable)
        ``check()`` runs one check; its ``__name__`` (the pytest id) is the learner's name.

    Raises
    ------
    TypeError, ValueError
        On a bad option (raised by the call, before any check runs).

    Examples
    --------
    >>> import offline
    >>> [n for n, _ in learner_checks(offline.plug_in_policy)][:3]
    ['check_policy_is_valid', 'check_deterministic', 'check_episode_order_invariant']
    """
    opts = options(
        learner, name, discounted, finite_horizon, imitation, certificate, delta, epsilon, n_seeds, max_examples
    )
    return SUITE.checks(learner, opts, name=opts.name)


@validate_params(**OPTIONS)
def check_offline_learner(
    learner: Learner,
    *,
    name: str | None = None,
    discounted: bool = True,
    finite_horizon: bool = False,
    imitation: bool = False,
    certificate: Any = None,
    delta: float | None = None,
    epsilon: float = DEFAULT_EPSILON,
    n_seeds: int = DEFAULT_N_SEEDS,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
) -> None:
    """Run every applicable contract check on ``learner``; raise at the first breach.

    Parameters
    ----------
    learner : callable
        ``learner(data, n_states, n_actions, **kwargs) -> result``, ``result`` a policy
        array or an object with one as ``.policy`` (see :mod:`offline.testing`).
        ``gamma=`` is passed when its signature takes it (discounted problems),
        ``horizon=`` always (finite horizon), ``rng=`` when it takes it. Fix other
        options with :func:`functools.partial`.
    name : str, optional
        Name used in failure messages; default the learner's ``__qualname__`` (with the
        keywords of a ``functools.partial``).
    discounted : bool
        The learner takes discounted problems (default True).
    finite_horizon : bool
        The learner takes finite-horizon problems (default False).
    imitation : bool
        The learner imitates the behaviour and ignores rewards (behaviour cloning):
        :func:`check_near_optimal_with_coverage` does not apply.
    certificate : callable, optional
        ``certificate(mdp, result) -> float``, a bound on ``V*(rho) - V^pi(rho)`` that
        the learner guarantees with probability ``1 - delta`` (e.g.
        :func:`offline.pessimism_certificate`); enables :func:`check_certificate_holds`.
    delta : float in (0, 1), optional
        The certificate's failure probability; default the default of the learner's
        ``delta`` parameter.
    epsilon : float in (0, 1]
        Margin, as a fraction of the value range, of
        :func:`check_near_optimal_with_coverage` and
        :func:`check_expert_data_no_worse_than_cloning` (default 0.1).
    n_seeds : int in [1, 1000]
        Datasets per instance in :func:`check_certificate_holds` (default 20).
    max_examples : int in [1, 10**4]
        Hypothesis examples per check (default 10).

    Raises
    ------
    AssertionError
        At the first breach; the message starts with the check's name and names the
        learner, the instance (as code to paste) and the call.
    TypeError, ValueError
        On a bad option.

    Guarantee
    ---------
    Every learner :mod:`offline` ships passes the checks that apply to it, and a
    deliberately broken learner for each
    check fails it. Tested by
    ``tests/offline/test_learner_contract.py::test_learner_honours_the_contract`` and
    ``tests/offline/test_learner_contract.py::test_broken_learner_fails_its_check``.

    Examples
    --------
    >>> import offline
    >>> check_offline_learner(offline.plug_in_policy, max_examples=2)
    """
    for _, check in learner_checks(
        learner,
        name=name,
        discounted=discounted,
        finite_horizon=finite_horizon,
        imitation=imitation,
        certificate=certificate,
        delta=delta,
        epsilon=epsilon,
        n_seeds=n_seeds,
        max_examples=max_examples,
    ):
        check()
