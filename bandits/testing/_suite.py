"""The machinery of the bandit policy suite (private): options, the registry, instances, statistics.

:mod:`bandits.testing.checks` declares each check with :func:`register`; the helpers
here draw the instances, run the policy (through :func:`bandits.simulate`, or, for the
relabelling check, through :func:`play_streams`), compute the failure budgets and word
the failure messages (check, policy, instance, call).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

import numpy as np
from hypothesis import Phase, settings
from hypothesis import strategies as st
from scipy import stats

from bandits.stochastic.engine import simulate
from bandits.stochastic.environments import BanditEnvironment, BernoulliBandit, GaussianBandit
from rlcore.testing import bandit_means
from rlcore.testing.contract import CheckContext, ContractSuite, derandomized, subject_name
from rlcore.validation import (
    Bool,
    Implements,
    Instance,
    Integer,
    InvalidParameterError,
    IsCallable,
    Real,
    validate_params,
)

Policy = Any

DEFAULT_MAX_EXAMPLES = 5
DEFAULT_N_SEEDS = 40
DEFAULT_HORIZON = 1000
DEFAULT_MAX_SLOPE = 0.8
#: Most Hypothesis examples, seeds and rounds of a check.
MAX_EXAMPLES = 10**4
MAX_SEEDS = 10**4
MAX_HORIZON = 10**6
#: Fewest seeds: the relabelling sign test must be able to reject at ``FAILURE_BUDGET / K``
#: for ``K = 8`` arms (all 24 differences of one sign: ``2^-23 < 1.25e-7``).
MIN_SEEDS = 24
#: Probability, per drawn instance, that a statistical check fails a correct policy.
FAILURE_BUDGET = 1e-6
#: Rounds of the cheap checks (valid arms, reproducibility, scale, twin): at most this.
SHORT_HORIZON = 120
#: Rounds of the relabelling check: at most this.
RELABEL_HORIZON = 200
#: The regret checks draw instances with this many arms and at least this gap.
REGRET_ARMS = (2, 4)
REGRET_MIN_GAP = 0.25
#: Rescalings of the scale-free check: powers of two, so that rescaled rewards, sums and
#: means are exact in floating point.
SCALES = (0.125, 16.0)
#: Markov factor of the regret-bound check: a run's regret exceeds ``MARKOV_FACTOR`` times
#: a valid bound on the mean with probability at most ``1 / MARKOV_FACTOR``.
MARKOV_FACTOR = 2.0

_POLICY = Implements(
    "reset",
    "select",
    "update",
    what="a bandit policy with reset(n_arms, horizon), select(t, rng) and update(arm, reward, rng)",
)

#: The options every entry point of the suite shares.
OPTIONS = dict(
    policy=_POLICY,
    name=Instance(str, what="a name (str)") | None,
    max_examples=Integer(1, MAX_EXAMPLES),
    n_seeds=Integer(MIN_SEEDS, MAX_SEEDS),
    horizon=Integer(16, MAX_HORIZON),
    gaussian=Bool() | None,
    scale_free=Bool(),
    sublinear=Bool(),
    max_slope=Real(0, 1, closed="neither"),
    regret_bound=IsCallable("a callable regret_bound(means, horizon) -> float") | None,
)


# ======================================================================== options
@dataclass(frozen=True)
class Options:
    name: str
    max_examples: int
    n_seeds: int
    horizon: int
    gaussian: bool  # Gaussian (real-valued) instances too
    scale_free: bool
    sublinear: bool
    max_slope: float
    regret_bound: Callable[[np.ndarray, int], float] | None
    compiled: bool  # the policy has a compiled twin (``kernel_spec``)


def _takes_gaussian(policy: Policy) -> bool:
    """False when the policy declares a bounded ``reward_range`` (as ThompsonBeta and Bernoulli KL-UCB do)."""
    rr = getattr(policy, "reward_range", None)
    if rr is None:
        return True
    try:
        lo, hi = (float(x) for x in rr)
    except (TypeError, ValueError):
        return True
    return lo == -math.inf and hi == math.inf


def _policy_name(policy: Policy) -> str:
    """The policy's ``repr`` (the built-in ones print as their constructor call), else ``ClassName()``."""
    if type(policy).__repr__ is object.__repr__:
        return f"{type(policy).__name__}()"
    return subject_name(policy)


def options(
    policy: Policy,
    name: Any,
    max_examples: Any,
    n_seeds: Any,
    horizon: Any,
    gaussian: Any,
    scale_free: Any,
    sublinear: Any,
    max_slope: Any,
    regret_bound: Any,
) -> Options:
    # each option is validated by the entry points' declarations (OPTIONS); here their relation
    takes_gaussian = _takes_gaussian(policy) if gaussian is None else bool(gaussian)
    if scale_free and not takes_gaussian:
        raise InvalidParameterError(
            "scale_free",
            "the scale-free check rescales Gaussian rewards, but the policy takes no Gaussian rewards "
            "(gaussian=False, or a bounded reward_range)",
        )
    return Options(
        name=name if name is not None else _policy_name(policy),
        max_examples=int(max_examples),
        n_seeds=int(n_seeds),
        horizon=int(horizon),
        gaussian=takes_gaussian,
        scale_free=bool(scale_free),
        sublinear=bool(sublinear),
        max_slope=float(max_slope),
        regret_bound=regret_bound,
        compiled=hasattr(policy, "kernel_spec"),
    )


# ======================================================================== registry
CheckBody = Callable[[Policy, Options, str], None]

#: The registry of the bandit policies' checks (the machinery shared by every suite).
SUITE = ContractSuite("bandit policy")

_PARAMETERS_DOC = """
    Parameters
    ----------
    policy : BanditPolicy
        The policy under test (see the module documentation).
    name, max_examples, n_seeds, horizon, gaussian, scale_free, sublinear, max_slope, regret_bound
        As in :func:`check_bandit_policy`.

    Raises
    ------
    AssertionError
        If the policy breaks the contract; the message names this check, the policy,
        the instance and the call.
    ValueError
        If this check does not apply to the policy (e.g. it needs ``regret_bound``).
"""


def _always(opts: Options) -> str | None:
    return None


def register(applies: Callable[[Options], str | None] = _always) -> Callable[[CheckBody], Callable[..., None]]:
    """Declare a check: registered in :data:`SUITE`, and returned as a public function."""

    def decorate(body: CheckBody) -> Callable[..., None]:
        check_name = body.__name__

        @validate_params(**OPTIONS)
        def check(
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
            opts = options(
                policy, name, max_examples, n_seeds, horizon, gaussian, scale_free, sublinear, max_slope, regret_bound
            )
            SUITE.run_one(check_name, policy, opts, param="policy")

        return SUITE.publish(check, body, applies, _PARAMETERS_DOC)

    return decorate


# ======================================================================== contexts and runs
class Context(CheckContext):
    """The shared failure wording; the instance is the environment's ``repr`` (pasteable)."""

    def __init__(self, check: str, opts: Options, instance: str, call: dict[str, Any] | None) -> None:
        super().__init__(check, "bandit policy", opts.name, instance, call)
        self.opts = opts


def run_policy(
    check: str, opts: Options, policy: Policy, env: BanditEnvironment, horizon: int, n_runs: int, seed: int, **kw: Any
) -> tuple[Any, Context]:
    """``simulate(env, policy, horizon, n_runs, rng=seed, **kw)``; an exception the policy raises is a failure."""
    call = {"horizon": horizon, "n_runs": n_runs, "rng": seed, **kw}
    ctx = Context(check, opts, repr(env), call)
    res = ctx.call_subject(simulate, env, policy, horizon, n_runs, rng=seed, **kw)
    return res, ctx


def play_streams(
    policy: Policy, streams: np.ndarray, horizon: int, rng: np.random.Generator, ctx: Context
) -> np.ndarray:
    """Drive ``policy`` for ``horizon`` rounds on per-arm reward streams; the pull counts.

    The ``n``-th pull of arm ``a`` pays ``streams[a, n]``, whenever it happens: a
    relabelling of the arms relabels the rewards each arm pays, whatever the order of
    the pulls (unlike :func:`bandits.simulate`'s per-round noise). The protocol is the
    engine's: ``reset(K, horizon)``, then ``select(t, rng)`` and ``update(arm, reward,
    rng)`` for ``t = 1 .. horizon``, every arm checked.
    """
    K = streams.shape[0]
    counts = np.zeros(K, dtype=np.int64)
    ctx.call_subject(policy.reset, K, horizon)
    for t in range(1, horizon + 1):
        arm = ctx.call_subject(policy.select, t, rng)
        if isinstance(arm, (bool, np.bool_)) or not isinstance(arm, (int, np.integer)) or not 0 <= arm < K:
            raise ctx.fail(f"select({t}) returned {arm!r}, expected an arm in [0, {K})")
        a = int(arm)
        ctx.call_subject(policy.update, a, float(streams[a, counts[a]]), rng)
        counts[a] += 1
    return counts


# ======================================================================== instances
SEEDS = st.integers(0, 2**32 - 1)


def small_instances(opts: Options, *, n_arms: Any = None, gaussian: bool | None = None) -> Any:
    """Strategy for ``(env, horizon, seed)``: Bernoulli (and, if the policy takes them, Gaussian) arms."""
    arms = n_arms if n_arms is not None else st.integers(1, 8)
    use_gaussian = opts.gaussian if gaussian is None else gaussian
    envs = bandit_means(arms).map(lambda mu: BernoulliBandit(mu.tolist()))
    if use_gaussian:
        gauss = st.tuples(bandit_means(arms), st.sampled_from([0.1, 0.5, 1.0])).map(
            lambda ms: GaussianBandit(ms[0].tolist(), sigma=ms[1])
        )
        envs = st.one_of(envs, gauss)
    horizons = st.integers(1, min(SHORT_HORIZON, opts.horizon))
    return st.tuples(envs, horizons, SEEDS)


def regret_instances() -> Any:
    """Strategy for ``(means, seed)``: 2 to 4 Bernoulli arms, the best ahead by at least 0.25."""
    return st.tuples(bandit_means(st.integers(*REGRET_ARMS), min_gap=REGRET_MIN_GAP), SEEDS)


def hypothesis_settings(opts: Options, *, shrink: bool = True) -> settings:
    """The suite's settings (:func:`rlcore.testing.contract.derandomized`); no shrinking for costly checks."""
    base = derandomized(opts.max_examples)
    if shrink:
        return base
    return settings(base, phases=[Phase.explicit, Phase.reuse, Phase.generate])


# ======================================================================== statistics
def sign_test_pvalue(differences: np.ndarray) -> tuple[float, int, int]:
    """Two-sided exact sign test of "symmetric about 0": ``(p-value, positives, negatives)``.

    Zeros are dropped; with ``m`` non-zero differences, the number of positive ones is
    Binomial(``m``, 1/2) under the hypothesis.
    """
    pos = int(np.sum(differences > 0))
    neg = int(np.sum(differences < 0))
    m = pos + neg
    if m == 0:
        return 1.0, 0, 0
    p = min(1.0, 2.0 * float(stats.binom.sf(max(pos, neg) - 1, m, 0.5)))
    return p, pos, neg


def markov_count_threshold(n_seeds: int, factor: float = MARKOV_FACTOR, budget: float = FAILURE_BUDGET) -> int:
    """Smallest ``k`` with ``P(Binomial(n_seeds, 1 / factor) >= k) <= budget``.

    By Markov's inequality a run's regret exceeds ``factor`` times a valid bound on the
    expected regret with probability at most ``1 / factor``; the runs are independent,
    so the number of runs above it is stochastically below Binomial(``n_seeds``, ``1 / factor``).
    """
    ks = np.arange(n_seeds + 2)
    tail = stats.binom.sf(ks - 1, n_seeds, 1.0 / factor)
    ok = np.nonzero(tail <= budget)[0]
    return int(ks[ok[0]]) if ok.size else n_seeds + 1


def loglog_slope(curve: np.ndarray, t0: int, t1: int) -> float:
    """Slope of ``log curve`` against ``log t`` between rounds ``t0`` and ``t1`` (1-based)."""
    a, b = float(curve[t0 - 1]), float(curve[t1 - 1])
    if b <= 0.0:
        return -math.inf
    if a <= 0.0:
        return math.inf
    return math.log(b / a) / math.log(t1 / t0)
