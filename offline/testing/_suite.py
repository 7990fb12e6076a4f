"""The machinery of the offline learners' contract suite (private): options, registry, helpers.

:mod:`offline.testing.checks` declares each check with :func:`register`; the helpers
here call a learner the way the contract says (``gamma=`` or ``horizon=``, ``rng=``
when its signature takes it), read its policy, evaluate it exactly and word the
failures (check, learner, instance, call) through :class:`rlcore.testing.contract.CheckContext`.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

import numpy as np
from hypothesis import settings

from rlcore.dataset import Dataset
from rlcore.evaluation import evaluate_policy
from rlcore.mdp import FiniteMDP
from rlcore.policies import validate_policy
from rlcore.results import VacuousResultWarning
from rlcore.testing.contract import CheckContext, ContractSuite, derandomized, subject_name
from rlcore.validation import Bool, Instance, Integer, InvalidParameterError, IsCallable, Real, validate_params

Learner = Callable[..., Any]

DEFAULT_MAX_EXAMPLES = 10
DEFAULT_N_SEEDS = 20
DEFAULT_EPSILON = 0.1
#: Probability, per instance, that a correct learner fails a statistical check (the budgets are set below it).
FALSE_ALARM = 1e-6
MAX_EXAMPLES = 10**4

#: The options every entry point of the suite shares.
OPTIONS = dict(
    learner=IsCallable("a callable learner(data, n_states, n_actions, **kwargs)"),
    name=Instance(str, what="a name (str)") | None,
    discounted=Bool(),
    finite_horizon=Bool(),
    imitation=Bool(),
    certificate=IsCallable("a callable certificate(mdp, result) -> float") | None,
    delta=Real(0, 1, closed="neither") | None,
    epsilon=Real(0, 1, closed="right"),
    n_seeds=Integer(1, 1000),
    max_examples=Integer(1, MAX_EXAMPLES),
)


# ======================================================================== options
@dataclass(frozen=True)
class Options:
    name: str
    discounted: bool
    finite_horizon: bool
    imitation: bool
    certificate: Callable[[FiniteMDP, Any], float] | None
    delta: float | None  # the confidence level of the certificate (given, or the learner's default)
    epsilon: float
    n_seeds: int
    max_examples: int
    takes_rng: bool
    takes_gamma: bool


def parameter(learner: Any, keyword: str) -> tuple[bool, Any]:
    """(does ``learner`` take ``keyword``, its default or ``inspect.Parameter.empty``)."""
    try:
        sig = inspect.signature(learner)
    except (TypeError, ValueError):
        return False, inspect.Parameter.empty
    p = sig.parameters.get(keyword)
    if p is not None and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
        return True, p.default
    if any(q.kind is inspect.Parameter.VAR_KEYWORD for q in sig.parameters.values()):
        return True, inspect.Parameter.empty
    return False, inspect.Parameter.empty


def options(
    learner: Any,
    name: Any,
    discounted: Any,
    finite_horizon: Any,
    imitation: Any,
    certificate: Any,
    delta: Any,
    epsilon: Any,
    n_seeds: Any,
    max_examples: Any,
) -> Options:
    # each option is validated by the entry points' declarations (OPTIONS); here their relations
    if not (discounted or finite_horizon):
        raise InvalidParameterError(
            "discounted",
            "at least one kind of problem must be checked, but discounted and finite_horizon are both False",
        )
    takes_rng, _ = parameter(learner, "rng")
    takes_gamma, _ = parameter(learner, "gamma")
    if delta is None and certificate is not None:
        _, default = parameter(learner, "delta")
        if isinstance(default, (float, int)) and not isinstance(default, bool) and 0.0 < default < 1.0:
            delta = float(default)
        else:
            raise InvalidParameterError(
                "delta",
                "a certificate needs the confidence level it holds at: pass delta, or give the learner a "
                "'delta' parameter with a default in (0, 1)",
            )
    return Options(
        name=name if name is not None else subject_name(learner),
        discounted=discounted,
        finite_horizon=finite_horizon,
        imitation=imitation,
        certificate=certificate,
        delta=None if delta is None else float(delta),
        epsilon=float(epsilon),
        n_seeds=int(n_seeds),
        max_examples=int(max_examples),
        takes_rng=takes_rng,
        takes_gamma=takes_gamma,
    )


# ======================================================================== registry
CheckBody = Callable[[Learner, Options, str], None]

#: The registry of the offline learners' checks (the machinery shared by every suite of the library).
SUITE = ContractSuite("offline learner")

_PARAMETERS_DOC = """
    Parameters
    ----------
    learner : callable
        ``learner(data, n_states, n_actions, **kwargs) -> result`` (see :mod:`offline.testing`).
    name, discounted, finite_horizon, imitation, certificate, delta, epsilon, n_seeds, max_examples
        As in :func:`offline.testing.check_offline_learner`.

    Raises
    ------
    AssertionError
        If the learner breaks the contract; the message names this check, the learner,
        the instance (as code to paste) and the call.
    ValueError
        If this check does not apply to the learner (e.g. it needs a ``certificate``).
"""


def _always(opts: Options) -> str | None:
    return None


def register(applies: Callable[[Options], str | None] = _always) -> Callable[[CheckBody], Callable[..., None]]:
    """Register a check body and return its public, validated form ``check_<what>(learner, *, options...)``."""

    def decorate(body: CheckBody) -> Callable[..., None]:
        check_name = body.__name__

        @validate_params(**OPTIONS)
        def check(
            learner: Learner,
            *,
            name: str | None = None,
            discounted: bool = True,
            finite_horizon: bool = False,
            imitation: bool = False,
            certificate: Callable[[FiniteMDP, Any], float] | None = None,
            delta: float | None = None,
            epsilon: float = DEFAULT_EPSILON,
            n_seeds: int = DEFAULT_N_SEEDS,
            max_examples: int = DEFAULT_MAX_EXAMPLES,
        ) -> None:
            opts = options(
                learner,
                name,
                discounted,
                finite_horizon,
                imitation,
                certificate,
                delta,
                epsilon,
                n_seeds,
                max_examples,
            )
            SUITE.run_one(check_name, learner, opts, param="learner")

        return SUITE.publish(check, body, applies, _PARAMETERS_DOC)

    return decorate


def hypothesis_settings(opts: Options) -> settings:
    return derandomized(opts.max_examples)


# ======================================================================== calling the learner
def kinds(opts: Options) -> list[bool]:
    """The kinds of problem to check: True for discounted, False for finite horizon."""
    return [k for k, on in ((True, opts.discounted), (False, opts.finite_horizon)) if on]


def learner_kwargs(opts: Options, mdp: FiniteMDP, seed: int) -> dict[str, Any]:
    """``gamma=`` (when the learner takes it) or ``horizon=``, and ``rng=seed`` when it takes ``rng``."""
    kw: dict[str, Any] = {}
    if mdp.horizon is None:
        if opts.takes_gamma:
            kw["gamma"] = float(mdp.gamma)  # type: ignore[arg-type]
    else:
        kw["horizon"] = int(mdp.horizon)
    if opts.takes_rng:
        kw["rng"] = seed
    return kw


def call(learner: Learner, data: Dataset, mdp: FiniteMDP, kwargs: dict[str, Any], ctx: CheckContext) -> Any:
    """The learner's result; an exception is a failure. Honest vacuity warnings are not."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VacuousResultWarning)
        return ctx.call_subject(learner, data, mdp.n_states, mdp.n_actions, **kwargs)


def policy_of(result: Any) -> Any:
    """``result.policy``, or the result itself when the learner returns a bare policy array."""
    return result if isinstance(result, np.ndarray) else getattr(result, "policy", None)


def verify_policy(result: Any, mdp: FiniteMDP, ctx: CheckContext) -> np.ndarray:
    """The learner's policy, checked to be a valid tabular policy of ``mdp``."""
    pi = policy_of(result)
    ctx.check(
        isinstance(pi, np.ndarray),
        lambda: f"the result ({type(result).__name__}) is neither a policy array nor has an ndarray .policy",
    )
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    shapes = [(S,), (S, A)] + ([] if H is None else [(H, S), (H, S, A)])
    ctx.check(pi.shape in shapes, lambda: f"the policy has shape {pi.shape}, expected one of {shapes}")
    integer = np.issubdtype(pi.dtype, np.integer) and pi.dtype != bool
    stochastic = np.issubdtype(pi.dtype, np.floating) and pi.shape[-2:] == (S, A) and pi.ndim in (2, 3)
    ctx.check(
        (integer and pi.shape in ((S,), (H, S))) or stochastic,
        lambda: (
            f"the policy has dtype {pi.dtype} and shape {pi.shape}: expected integer actions of shape (S,) "
            "or (H, S), or float action probabilities of shape (S, A) or (H, S, A)"
        ),
    )
    try:
        return validate_policy(pi, S, A, H)
    except (TypeError, ValueError) as exc:
        raise ctx.fail(f"the policy {pi.tolist()!r} is not a valid policy: {exc}") from exc


# ======================================================================== exact values
def v_range(mdp: FiniteMDP) -> float:
    """The value range for rewards in [0, 1]: ``1 / (1 - gamma)`` or ``H``."""
    return float(mdp.horizon) if mdp.horizon is not None else 1.0 / (1.0 - float(mdp.gamma))  # type: ignore[arg-type]


def values(mdp: FiniteMDP, policy: Any) -> np.ndarray:
    """Exact ``V^policy`` at the first step, shape (S,) (:func:`rlcore.evaluate_policy`)."""
    V = evaluate_policy(mdp, policy).V
    return V if V.ndim == 1 else V[0]


def optimal(mdp: FiniteMDP) -> tuple[np.ndarray, np.ndarray]:
    """An optimal policy and ``V*`` at the first step, by :mod:`tabular` (imported here: tabular <- offline)."""
    import tabular

    if mdp.horizon is None:
        res = tabular.value_iteration(mdp, epsilon=1e-12)
        pi = res.policy
    else:
        pi = tabular.backward_induction(mdp).policy
    return pi, values(mdp, pi)


def binomial_budget(n: int, p: float, alarm: float = FALSE_ALARM) -> int:
    """Smallest ``k`` with ``P(Binomial(n, p) > k) <= alarm``: the failures a correct learner may show."""
    from scipy.stats import binom

    k = 0
    while k < n and float(binom.sf(k, n, p)) > alarm:
        k += 1
    return k


def array_call(x: np.ndarray) -> str:
    """``np.array([...], dtype=...)`` source for a small array."""
    dtype = "bool" if x.dtype == bool else f"np.{x.dtype.name}"
    return f"np.array({x.tolist()!r}, dtype={dtype})"


def dataset_call(data: Dataset) -> str:
    """Source of the :class:`rlcore.Dataset` call that rebuilds ``data`` (small datasets)."""
    cols = (
        "observations",
        "actions",
        "rewards",
        "next_observations",
        "terminated",
        "truncated",
        "episode_ids",
        "timesteps",
    )
    return "Dataset(" + ", ".join(f"{c}={array_call(getattr(data, c))}" for c in cols) + ")"


def fmt(x: float) -> str:
    return f"{x:.6g}" if math.isfinite(x) else repr(x)
