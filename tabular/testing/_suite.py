"""The machinery of the contract suite (private): options, the check registry, the verifications.

:mod:`tabular.testing.checks` declares each check with :func:`register`; the
verifications here hold one solver's result to its claims against the exact solution
of :mod:`tabular.testing.oracle` and word the failure messages (check, solver,
instance, call).
"""

from __future__ import annotations

import inspect
import numbers
from dataclasses import dataclass
from typing import Any, cast
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from hypothesis import settings
from hypothesis import strategies as st

from rlcore.evaluation import evaluate_policy
from rlcore.mdp import FiniteMDP
from rlcore.policies import validate_policy
from rlcore.testing import finite_mdps
from rlcore.testing.contract import CheckContext, ContractSuite, derandomized, subject_name
from rlcore.validation import Bool, Instance, Integer, InvalidParameterError, IsCallable, Real, validate_params
from tabular.testing.instances import reference_mdps
from tabular.testing.oracle import ExactSolution

Solver = Callable[..., Any]

DEFAULT_MAX_EXAMPLES = 20
DEFAULT_TOLERANCE = 1e-9
_LOOSE_EPSILON = 1e-3
_SHORT_MAX_ITER = 2
_SMALL_ARRAYS = 200  # describe an instance with its arrays when P has at most this many entries
#: Most Hypothesis examples.
MAX_EXAMPLES = 10**4

#: The options every entry point of the suite shares.
OPTIONS = dict(
    solver=IsCallable("a callable solver(mdp, **kwargs)"),
    name=Instance(str, what="a name (str)") | None,
    sparse=Bool(),
    discounted=Bool(),
    finite_horizon=Bool(),
    max_examples=Integer(1, MAX_EXAMPLES),
    rtol=Real(0, 1, closed="left"),
)


# ======================================================================== options
@dataclass(frozen=True)
class Options:
    name: str
    sparse: bool
    discounted: bool
    finite_horizon: bool
    max_examples: int
    rtol: float
    epsilon: bool  # the solver takes ``epsilon``
    max_iter: bool  # the solver takes ``max_iter``
    default_epsilon: float | None  # its default, when the signature states one


def _parameter(solver: Any, keyword: str) -> tuple[bool, Any]:
    """(does ``solver`` take ``keyword``, its default or ``inspect.Parameter.empty``)."""
    try:
        sig = inspect.signature(solver)
    except (TypeError, ValueError):
        return False, inspect.Parameter.empty
    p = sig.parameters.get(keyword)
    if p is not None and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
        return True, p.default
    if any(q.kind is inspect.Parameter.VAR_KEYWORD for q in sig.parameters.values()):
        return True, inspect.Parameter.empty
    return False, inspect.Parameter.empty


def options(
    solver: Any, name: Any, sparse: Any, discounted: Any, finite_horizon: Any, max_examples: Any, rtol: Any
) -> Options:
    # the options are validated by the entry points' declarations (OPTIONS); here their relation
    if not (discounted or finite_horizon):
        raise InvalidParameterError(
            "discounted", "at least one kind of MDP must be checked, but discounted and finite_horizon are both False"
        )
    takes_eps, eps_default = _parameter(solver, "epsilon")
    takes_max_iter, _ = _parameter(solver, "max_iter")
    default_eps = None
    if isinstance(eps_default, (numbers.Real, np.floating)) and not isinstance(eps_default, bool):
        default_eps = float(eps_default)
    return Options(
        name=name if name is not None else subject_name(solver),
        sparse=sparse,
        discounted=discounted,
        finite_horizon=finite_horizon,
        max_examples=int(max_examples),
        rtol=float(rtol),
        epsilon=takes_eps,
        max_iter=takes_max_iter,
        default_epsilon=default_eps,
    )


# ======================================================================== registry
CheckBody = Callable[[Solver, Options, str], None]


#: The registry of the planners' checks (the machinery shared by every suite of the library).
SUITE = ContractSuite("solver")

_PARAMETERS_DOC = """
    Parameters
    ----------
    solver : callable
        ``solver(mdp, **kwargs) -> result`` (see the module documentation).
    name, sparse, discounted, finite_horizon, max_examples, rtol
        As in :func:`check_mdp_solver`.

    Raises
    ------
    AssertionError
        If the solver breaks the contract; the message names this check, the solver,
        the instance and the call.
    ValueError
        If this check does not apply to the solver (e.g. it needs ``epsilon``).
"""


def _always(opts: Options) -> str | None:
    return None


def register(applies: Callable[[Options], str | None] = _always) -> Callable[[CheckBody], Callable[..., None]]:
    def decorate(body: CheckBody) -> Callable[..., None]:
        check_name = body.__name__

        @validate_params(**OPTIONS)
        def check(
            solver: Solver,
            *,
            name: str | None = None,
            sparse: bool = True,
            discounted: bool = True,
            finite_horizon: bool = False,
            max_examples: int = DEFAULT_MAX_EXAMPLES,
            rtol: float = DEFAULT_TOLERANCE,
        ) -> None:
            opts = options(solver, name, sparse, discounted, finite_horizon, max_examples, rtol)
            SUITE.run_one(check_name, solver, opts, param="solver")

        return SUITE.publish(check, body, applies, _PARAMETERS_DOC)

    return decorate


# ======================================================================== helpers
class Context(CheckContext):
    """The shared failure wording (check, solver, instance, call), keeping the MDP and options at hand."""

    def __init__(self, check: str, opts: Options, label: str, mdp: FiniteMDP, kwargs: dict[str, Any]) -> None:
        super().__init__(check, "solver", opts.name, label, kwargs)
        self.opts, self.label, self.mdp, self.kwargs = opts, label, mdp, kwargs


def describe(mdp: FiniteMDP) -> str:
    """A hypothesis-drawn instance in full when small (enough to rebuild it)."""
    text = repr(mdp)
    n = cast(sp.csr_array, mdp.P).nnz if mdp.is_sparse else mdp.P.size
    if n <= _SMALL_ARRAYS:
        P = cast(sp.csr_array, mdp.P).toarray() if mdp.is_sparse else np.asarray(mdp.P)
        crit = f"gamma={mdp.gamma!r}" if mdp.gamma is not None else f"horizon={mdp.horizon!r}"
        text += (
            f" = FiniteMDP(P={P.tolist()!r}{' (as CSR)' if mdp.is_sparse else ''}, R={mdp.R.tolist()!r}, "
            f"{crit}, initial={mdp.initial.tolist()!r}, terminal={mdp.terminal.tolist()!r})"
        )
    return text


def call(solver: Solver, mdp: FiniteMDP, kwargs: dict[str, Any], ctx: Context) -> Any:
    try:
        return solver(mdp, **kwargs)
    except Exception as exc:
        raise ctx.fail(f"the solver raised {type(exc).__name__}: {exc}") from exc


def calls(opts: Options, mdp: FiniteMDP) -> list[dict[str, Any]]:
    """Keyword arguments to solve ``mdp`` with: defaults, a loose epsilon, a short budget."""
    calls: list[dict[str, Any]] = [{}]
    if mdp.is_discounted:
        if opts.epsilon:
            calls.append({"epsilon": _LOOSE_EPSILON})
        if opts.max_iter:
            calls.append({"max_iter": _SHORT_MAX_ITER})
    return calls


def requested_epsilon(opts: Options, mdp: FiniteMDP, kwargs: dict[str, Any]) -> float | None:
    if not mdp.is_discounted:
        return None
    if "epsilon" in kwargs:
        return float(kwargs["epsilon"])
    return opts.default_epsilon


def _is_real(x: Any) -> bool:
    return isinstance(x, (numbers.Real, np.floating, np.integer)) and not isinstance(x, (bool, np.bool_))


def _expected_shapes(mdp: FiniteMDP) -> tuple[tuple[int, ...], tuple[int, ...]]:
    S, A = mdp.n_states, mdp.n_actions
    lead = () if mdp.horizon is None else (mdp.horizon,)
    return lead + (S,), lead + (S, A)


def verify_interface(res: Any, ctx: Context) -> None:
    mdp = ctx.mdp
    v_shape, q_shape = _expected_shapes(mdp)
    for attr in ("V", "Q", "policy", "converged", "value_bound", "suboptimality_bound"):
        ctx.check(hasattr(res, attr), f"the result {type(res).__name__} has no attribute {attr!r}")
    for attr, shape in (("V", v_shape), ("Q", q_shape)):
        x = getattr(res, attr)
        ctx.check(isinstance(x, np.ndarray), f"result.{attr} is a {type(x).__name__}, expected an ndarray")
        ctx.check(np.issubdtype(x.dtype, np.floating), f"result.{attr} has dtype {x.dtype}, expected a float dtype")
        ctx.check(x.shape == shape, f"result.{attr} has shape {x.shape}, expected {shape}")
        ctx.check(np.all(np.isfinite(x)), f"result.{attr} has non-finite entries: {x!r}")
    conv = res.converged
    ctx.check(isinstance(conv, (bool, np.bool_)), f"result.converged is {conv!r}, expected a bool")
    for attr in ("value_bound", "suboptimality_bound"):
        b = getattr(res, attr)
        ctx.check(_is_real(b), f"result.{attr} is {b!r} of type {type(b).__name__}, expected a real number")
        ctx.check(not np.isnan(b) and b >= 0.0, f"result.{attr} = {b!r}, expected a non-negative number")
    for attr in ("V_lower", "V_upper"):
        x = getattr(res, attr, None)
        if x is None:
            continue
        ctx.check(
            isinstance(x, np.ndarray) and x.shape == v_shape,
            lambda: f"result.{attr} has shape {getattr(x, 'shape', None)}, expected an ndarray of shape {v_shape}",
        )
        ctx.check(not np.any(np.isnan(x)), f"result.{attr} has NaN entries: {x!r}")


def verify_policy(res: Any, ctx: Context) -> np.ndarray:
    mdp = ctx.mdp
    v_shape, _ = _expected_shapes(mdp)
    pi: Any = getattr(res, "policy", None)  # ctx.check raises unless it is an ndarray
    ctx.check(isinstance(pi, np.ndarray), f"result.policy is a {type(pi).__name__}, expected an ndarray")
    ctx.check(
        np.issubdtype(pi.dtype, np.integer) and pi.dtype != bool,
        f"result.policy has dtype {pi.dtype}, expected an integer dtype (a deterministic policy)",
    )
    ctx.check(pi.shape == v_shape, f"result.policy has shape {pi.shape}, expected {v_shape}")
    try:
        return validate_policy(pi, mdp.n_states, mdp.n_actions, mdp.horizon)
    except (TypeError, ValueError) as exc:
        raise ctx.fail(f"result.policy is not a valid deterministic policy: {exc}") from exc


def _slack(opts: Options, exact: ExactSolution) -> float:
    return opts.rtol * max(1.0, float(np.max(np.abs(exact.V)))) + 2.0 * exact.error_bound


def verify_against_exact(
    res: Any, ctx: Context, exact: ExactSolution, epsilon: float | None, *, true_errors_within_epsilon: bool = False
) -> None:
    """Every claim of the result against the exact solution."""
    verify_interface(res, ctx)
    pi = verify_policy(res, ctx)
    mdp = ctx.mdp
    slack = _slack(ctx.opts, exact)
    vb, sb = float(res.value_bound), float(res.suboptimality_bound)
    v_err = float(np.max(np.abs(res.V - exact.V)))
    ctx.check(
        v_err <= vb + slack,
        lambda: (
            f"max |V - V*| = {v_err:.6g} exceeds value_bound = {vb:.6g} (slack {slack:.2g}); "
            f"V = {res.V.tolist()!r}, exact V* = {exact.V.tolist()!r}"
        ),
    )
    q_err = float(np.max(np.abs(res.Q - exact.Q)))
    ctx.check(
        q_err <= vb + slack,
        lambda: (
            f"max |Q - Q*| = {q_err:.6g} exceeds value_bound = {vb:.6g} (slack {slack:.2g}); "
            f"Q = {res.Q.tolist()!r}, exact Q* = {exact.Q.tolist()!r}"
        ),
    )
    v_pi = evaluate_policy(mdp, pi).V
    gap = float(np.max(exact.V - v_pi))
    ctx.check(
        gap <= sb + slack,
        lambda: (
            f"the policy {pi.tolist()!r} is {gap:.6g}-suboptimal (max of V* - V^policy), more than "
            f"suboptimality_bound = {sb:.6g} (slack {slack:.2g}); V^policy = {v_pi.tolist()!r}, V* = {exact.V.tolist()!r}"
        ),
    )
    lower, upper = getattr(res, "V_lower", None), getattr(res, "V_upper", None)
    if lower is not None:
        over = float(np.max(lower - exact.V))
        ctx.check(
            over <= slack,
            lambda: f"V_lower exceeds V* by {over:.6g}: V_lower = {lower.tolist()!r}, V* = {exact.V.tolist()!r}",
        )
    if upper is not None:
        under = float(np.max(exact.V - upper))
        ctx.check(
            under <= slack,
            lambda: (
                f"V_upper falls short of V* by {under:.6g}: V_upper = {upper.tolist()!r}, V* = {exact.V.tolist()!r}"
            ),
        )
    if epsilon is not None and bool(res.converged):
        ctx.check(
            vb <= epsilon and sb <= epsilon,
            lambda: (
                f"converged=True but value_bound = {vb:.6g} and suboptimality_bound = {sb:.6g} do not both "
                f"meet epsilon = {epsilon:g}"
            ),
        )
        if true_errors_within_epsilon:
            ctx.check(
                max(v_err, gap) <= epsilon + slack,
                lambda: (
                    f"converged=True at epsilon = {epsilon:g} but the true errors are max |V - V*| = {v_err:.6g} "
                    f"and max (V* - V^policy) = {gap:.6g}"
                ),
            )


def suite_instances(opts: Options) -> list[tuple[str, FiniteMDP]]:
    return reference_mdps(discounted=opts.discounted, finite_horizon=opts.finite_horizon, sparse=opts.sparse)


def random_mdps(opts: Options, *, sparse: bool | None) -> Any:
    """Hypothesis strategy for tiny MDPs of the kinds the solver takes."""
    kinds = []
    if opts.discounted:
        kinds.append(
            finite_mdps(
                n_states=st.integers(1, 4),
                n_actions=st.integers(1, 3),
                discounted=True,
                sparse=sparse,
                with_terminal=None,
                reward_scale=st.sampled_from([1.0, 100.0]),
            )
        )
    if opts.finite_horizon:
        kinds.append(
            finite_mdps(
                n_states=st.integers(1, 3),
                n_actions=st.integers(1, 2),
                discounted=False,
                sparse=sparse,
                horizon=st.integers(1, 3),
                with_terminal=None,
                reward_scale=st.sampled_from([1.0, 100.0]),
            )
        )
    return st.one_of(*kinds)


def hypothesis_settings(opts: Options) -> settings:
    return derandomized(opts.max_examples)
