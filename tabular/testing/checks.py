"""The checks of the contract suite, and its entry points :func:`check_mdp_solver` and :func:`solver_checks`.

Each check holds a solver to what its result claims (see :mod:`tabular.testing`), is
callable on its own (``check_bounds_on_fixed_mdps(solver)``), and is yielded by
:func:`solver_checks` when it applies to the solver.
"""

from __future__ import annotations

from typing import Any, cast
from collections.abc import Callable, Iterator

import numpy as np
import scipy.sparse as sp
from hypothesis import given

from rlcore.evaluation import evaluate_policy
from rlcore.mdp import FiniteMDP
from rlcore.validation import validate_params
from tabular.testing._suite import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_TOLERANCE,
    OPTIONS,
    SUITE,
    Context,
    Options,
    Solver,
    call,
    calls,
    describe,
    hypothesis_settings,
    options,
    random_mdps,
    register,
    requested_epsilon,
    suite_instances,
    verify_against_exact,
    verify_interface,
    verify_policy,
)
from tabular.testing.instances import exact_by_label, reference_mdps
from tabular.testing.oracle import brute_force_solution, copy_mdp, with_layout

__all__ = [
    "check_bounds_on_fixed_mdps",
    "check_bounds_on_random_mdps",
    "check_converged_means_epsilon",
    "check_converges_on_small_mdps",
    "check_deterministic",
    "check_dense_sparse_agree",
    "check_does_not_mutate_mdp",
    "check_mdp_solver",
    "check_policy_is_valid",
    "check_rejects_non_mdp",
    "check_result_interface",
    "solver_checks",
]


# ======================================================================== the checks
def _needs_epsilon(opts: Options) -> str | None:
    if not opts.discounted:
        return "it checks epsilon on discounted MDPs and discounted=False"
    if not opts.epsilon:
        return "the solver takes no 'epsilon' argument"
    return None


def _needs_sparse(opts: Options) -> str | None:
    return None if opts.sparse else "sparse=False"


@register()
def check_rejects_non_mdp(solver: Solver, opts: Options, check: str) -> None:
    """A non-MDP (None, a string, an array, a ``(P, R)`` tuple, a dict) raises ``TypeError``."""
    P = np.ones((2, 1, 2)) / 2.0
    R = np.zeros((2, 1))
    for bad in (None, "mdp", 0.9, P, (P, R), {"P": P, "R": R, "gamma": 0.9}):
        what = f"{type(bad).__name__} {bad!r}" if not isinstance(bad, (np.ndarray, tuple, dict)) else type(bad).__name__
        try:
            solver(bad)
        except TypeError:
            continue
        except Exception as exc:
            raise AssertionError(
                f"{check}: solver {opts.name!r} given a non-MDP ({what}) raised {type(exc).__name__}: {exc}; "
                "expected a TypeError naming the argument"
            ) from exc
        raise AssertionError(f"{check}: solver {opts.name!r} accepted a non-MDP ({what}); expected a TypeError")


@register()
def check_result_interface(solver: Solver, opts: Options, check: str) -> None:
    """The result has ``V``, ``Q``, ``policy``, ``converged`` and both bounds, of the right types and shapes.

    ``V`` and ``Q`` are finite float arrays of shape (S,) and (S, A) (finite horizon:
    (H, S) and (H, S, A)); ``converged`` is a bool; the bounds are real, non-negative
    and not NaN (``inf`` is an honest bound); ``V_lower``/``V_upper``, when present,
    have the shape of ``V`` and no NaN.
    """
    for label, mdp in suite_instances(opts):
        for kwargs in calls(opts, mdp):
            ctx = Context(check, opts, label, mdp, kwargs)
            verify_interface(call(solver, mdp, kwargs, ctx), ctx)


@register()
def check_policy_is_valid(solver: Solver, opts: Options, check: str) -> None:
    """The policy is a valid deterministic policy: integer actions in ``[0, A)``, shape (S,) or (H, S)."""
    for label, mdp in suite_instances(opts):
        for kwargs in calls(opts, mdp):
            ctx = Context(check, opts, label, mdp, kwargs)
            verify_policy(call(solver, mdp, kwargs, ctx), ctx)


@register()
def check_bounds_on_fixed_mdps(solver: Solver, opts: Options, check: str) -> None:
    """Every claimed bound holds against the exact ``V*`` on the fixed reference MDPs.

    ``max |V - V*| <= value_bound``, ``max |Q - Q*| <= value_bound``,
    ``max (V* - V^policy) <= suboptimality_bound`` (``V^policy`` by an exact linear
    solve), ``V_lower <= V* <= V_upper`` when given, and ``converged=True`` only with
    both bounds within the requested ``epsilon``; each inequality up to the slack
    ``rtol * max(1, max|V*|)`` plus the oracle's own error bound. ``V*`` comes from
    :func:`brute_force_solution`. The instances are :func:`reference_mdps`.
    """
    for label, mdp in suite_instances(opts):
        exact = exact_by_label(label)
        for kwargs in calls(opts, mdp):
            ctx = Context(check, opts, label, mdp, kwargs)
            res = call(solver, mdp, kwargs, ctx)
            verify_against_exact(res, ctx, exact, requested_epsilon(opts, mdp, kwargs))


@register()
def check_bounds_on_random_mdps(solver: Solver, opts: Options, check: str) -> None:
    """Every claimed bound holds against the exact ``V*`` on Hypothesis-drawn MDPs.

    As :func:`check_bounds_on_fixed_mdps`, on ``max_examples`` MDPs drawn by
    :func:`rlcore.testing.finite_mdps` (at most 4 states and 3 actions, discount in
    [0, 0.99], rewards in [-1, 1] or [-100, 100], with and without absorbing terminal
    states; finite horizon: at most 3 states, 2 actions, ``H <= 3``, stationary or
    time-dependent), dense and (if ``sparse``) sparse.
    """

    @hypothesis_settings(opts)
    @given(mdp=random_mdps(opts, sparse=None if opts.sparse else False))
    def run(mdp: FiniteMDP) -> None:
        exact = brute_force_solution(mdp)
        label = f"a Hypothesis-drawn MDP {describe(mdp)}"
        for kwargs in calls(opts, mdp):
            ctx = Context(check, opts, label, mdp, kwargs)
            res = call(solver, mdp, kwargs, ctx)
            verify_against_exact(res, ctx, exact, requested_epsilon(opts, mdp, kwargs))

    run()


@register(_needs_epsilon)
def check_converged_means_epsilon(solver: Solver, opts: Options, check: str) -> None:
    """``converged=True`` means both bounds, and the true errors, are within ``epsilon``.

    On the discounted reference MDPs, for ``epsilon`` in {1e-1, 1e-4, 1e-8}, each with
    the solver's own budget and (when it takes ``max_iter``) with ``max_iter=3``; a run
    that stops early must report ``converged=False`` unless its certified bounds
    already meet ``epsilon``. All the bounds are checked as in
    :func:`check_bounds_on_fixed_mdps`.
    """
    for label, mdp in reference_mdps(discounted=True, finite_horizon=False, sparse=opts.sparse):
        exact = exact_by_label(label)
        for eps in (1e-1, 1e-4, 1e-8):
            for extra in ({}, {"max_iter": 3}) if opts.max_iter else ({},):
                kwargs = {"epsilon": eps, **extra}
                ctx = Context(check, opts, label, mdp, kwargs)
                res = call(solver, mdp, kwargs, ctx)
                verify_against_exact(res, ctx, exact, eps, true_errors_within_epsilon=True)


@register(_needs_epsilon)
def check_converges_on_small_mdps(solver: Solver, opts: Options, check: str) -> None:
    """The solver reaches ``epsilon=1e-6`` (``converged=True``) on every small reference MDP.

    A solver that never claims convergence can never be caught lying about it; this
    check asks that it does its job on the discounted :func:`reference_mdps` (at most
    6 states, ``gamma <= 0.99``) within its default budget.
    """
    for label, mdp in reference_mdps(discounted=True, finite_horizon=False, sparse=opts.sparse):
        kwargs = {"epsilon": 1e-6}
        ctx = Context(check, opts, label, mdp, kwargs)
        res = call(solver, mdp, kwargs, ctx)
        verify_interface(res, ctx)
        ctx.check(
            bool(res.converged),
            lambda: (
                f"converged=False (value_bound = {float(res.value_bound):.3g}, suboptimality_bound = "
                f"{float(res.suboptimality_bound):.3g}) on a small MDP"
            ),
        )


def _verify_agreement(solver: Solver, opts: Options, check: str, label: str, dense: FiniteMDP) -> None:
    sparse_mdp = with_layout(dense, True)
    for kwargs in calls(opts, dense):
        ctx = Context(check, opts, label, dense, kwargs)
        ctx_s = Context(check, opts, label + " (sparse copy)", sparse_mdp, kwargs)
        rd = call(solver, dense, kwargs, ctx)
        rs = call(solver, sparse_mdp, kwargs, ctx_s)
        verify_interface(rd, ctx)
        verify_interface(rs, ctx_s)
        pd, ps = verify_policy(rd, ctx), verify_policy(rs, ctx_s)
        scale = max(1.0, float(np.max(np.abs(rd.V))), float(np.max(np.abs(rs.V))))
        slack = opts.rtol * scale
        bound = float(rd.value_bound) + float(rs.value_bound)
        diff = float(np.max(np.abs(rd.V - rs.V)))
        ctx.check(
            diff <= bound + slack,
            lambda: (
                f"dense and sparse layouts disagree: max |V_dense - V_sparse| = {diff:.6g} exceeds the sum of "
                f"their value_bounds {bound:.6g}; V_dense = {rd.V.tolist()!r}, V_sparse = {rs.V.tolist()!r}"
            ),
        )
        vd, vs = evaluate_policy(dense, pd).V, evaluate_policy(dense, ps).V
        bound = float(rd.suboptimality_bound) + float(rs.suboptimality_bound)
        diff = float(np.max(np.abs(vd - vs)))
        ctx.check(
            diff <= bound + slack,
            lambda: (
                f"dense and sparse layouts disagree: the values of their policies {pd.tolist()!r} and "
                f"{ps.tolist()!r} differ by {diff:.6g}, more than the sum of their suboptimality_bounds {bound:.6g}"
            ),
        )


@register(_needs_sparse)
def check_dense_sparse_agree(solver: Solver, opts: Options, check: str) -> None:
    """The dense and the sparse layout of one MDP give answers within the sum of their bounds.

    ``max |V_dense - V_sparse| <= value_bound_dense + value_bound_sparse`` and the
    values of the two policies differ by at most the sum of the suboptimality bounds;
    on the reference MDPs and on ``max_examples`` Hypothesis-drawn ones.
    """
    for label, mdp in reference_mdps(discounted=opts.discounted, finite_horizon=opts.finite_horizon, sparse=False):
        _verify_agreement(solver, opts, check, label, mdp)

    @hypothesis_settings(opts)
    @given(mdp=random_mdps(opts, sparse=False))
    def run(mdp: FiniteMDP) -> None:
        _verify_agreement(solver, opts, check, f"a Hypothesis-drawn MDP {describe(mdp)}", mdp)

    run()


def _fields(res: Any) -> dict[str, Any]:
    out = {}
    for attr in ("V", "Q", "policy", "converged", "value_bound", "suboptimality_bound", "V_lower", "V_upper"):
        x = getattr(res, attr, None)
        out[attr] = (np.asarray(x).dtype.str, np.asarray(x).shape, np.asarray(x).tobytes()) if x is not None else None
    return out


@register()
def check_deterministic(solver: Solver, opts: Options, check: str) -> None:
    """Solving the same MDP twice, or an equal copy of it, gives bit-identical results.

    Compared: ``V``, ``Q``, ``policy``, ``converged``, both bounds and, when present,
    ``V_lower``/``V_upper`` (dtype, shape and bytes).
    """
    for label, mdp in suite_instances(opts):
        for kwargs in calls(opts, mdp):
            ctx = Context(check, opts, label, mdp, kwargs)
            first = _fields(call(solver, mdp, kwargs, ctx))
            again = _fields(call(solver, mdp, kwargs, ctx))
            other = _fields(call(solver, copy_mdp(mdp), kwargs, ctx))
            for what, res in (("a second call", again), ("a call on an equal copy of the MDP", other)):
                diff = [k for k in first if first[k] != res[k]]
                ctx.check(not diff, f"{what} gave a different {', '.join(diff)}")


def _snapshot(mdp: FiniteMDP) -> dict[str, Any]:
    if mdp.is_sparse:
        csr = cast(sp.csr_array, mdp.P)
        parts = (csr.data, csr.indices, csr.indptr)
        P = tuple((a.dtype.str, a.shape, a.tobytes(), a.flags.writeable) for a in parts) + (csr.shape,)
    else:
        P = (mdp.P.dtype.str, mdp.P.shape, mdp.P.tobytes(), mdp.P.flags.writeable)
    arrays = {k: getattr(mdp, k) for k in ("R", "initial", "terminal")}
    snap: dict[str, Any] = {k: (a.dtype.str, a.shape, a.tobytes(), a.flags.writeable) for k, a in arrays.items()}
    snap.update(P=P, gamma=mdp.gamma, horizon=mdp.horizon, is_sparse=mdp.is_sparse, type=type(mdp))
    return snap


@register()
def check_does_not_mutate_mdp(solver: Solver, opts: Options, check: str) -> None:
    """The solver leaves the MDP as it found it: ``P``, ``R``, ``initial``, ``terminal``, ``gamma``, ``horizon``.

    Arrays are compared byte for byte, together with their read-only flags.
    """
    for label, mdp in suite_instances(opts):
        before = _snapshot(mdp)
        for kwargs in calls(opts, mdp):
            ctx = Context(check, opts, label, mdp, kwargs)
            call(solver, mdp, kwargs, ctx)
            after = _snapshot(mdp)
            changed = [k for k in before if before[k] != after[k]]
            ctx.check(not changed, f"the MDP's {', '.join(changed)} changed")


# ======================================================================== entry points
@validate_params(**OPTIONS)
def solver_checks(
    solver: Solver,
    *,
    name: str | None = None,
    sparse: bool = True,
    discounted: bool = True,
    finite_horizon: bool = False,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    rtol: float = DEFAULT_TOLERANCE,
) -> Iterator[tuple[str, Callable[[], None]]]:
    """The checks that apply to ``solver``, as ``(check_name, check)`` pairs for ``pytest.mark.parametrize``.

    Parameters
    ----------
    solver : callable
        ``solver(mdp, **kwargs) -> result``.
    name, sparse, discounted, finite_horizon, max_examples, rtol
        As in :func:`check_mdp_solver`.

    Yields
    ------
    check_name : str
        E.g. ``"check_bounds_on_fixed_mdps"``.
    check : callable
        ``check()`` runs that check on ``solver`` and raises ``AssertionError`` on a
        breach. Its ``__name__`` is the solver's name, so pytest's test ids read
        ``check_name-solver``.

    Raises
    ------
    TypeError, ValueError
        On a bad option (raised by the call, before any check runs).

    Examples
    --------
    >>> import tabular
    >>> [n for n, _ in solver_checks(tabular.backward_induction, discounted=False, finite_horizon=True)][:3]
    ['check_rejects_non_mdp', 'check_result_interface', 'check_policy_is_valid']
    """
    opts = options(solver, name, sparse, discounted, finite_horizon, max_examples, rtol)
    return SUITE.checks(solver, opts, name=opts.name)


@validate_params(**OPTIONS)
def check_mdp_solver(
    solver: Solver,
    *,
    name: str | None = None,
    sparse: bool = True,
    discounted: bool = True,
    finite_horizon: bool = False,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    rtol: float = DEFAULT_TOLERANCE,
) -> None:
    """Run every applicable contract check on ``solver``; raise at the first breach.

    Parameters
    ----------
    solver : callable
        ``solver(mdp, **kwargs) -> result``; ``result`` exposes ``V``, ``Q``,
        ``policy``, ``converged``, ``value_bound``, ``suboptimality_bound`` and
        optionally ``V_lower``, ``V_upper`` (see the module documentation). Fix other
        options with :func:`functools.partial`. ``epsilon`` and ``max_iter`` are
        passed when its signature names them or takes ``**kwargs``.
    name : str, optional
        Name used in failure messages; default the solver's ``__qualname__`` (with the
        keywords of a ``functools.partial``).
    sparse : bool
        The solver takes sparse ``P`` (a ``scipy.sparse`` matrix of shape (S*A, S)):
        check the sparse layout of every instance too, and dense-sparse agreement.
    discounted : bool
        The solver takes discounted MDPs (default True).
    finite_horizon : bool
        The solver takes finite-horizon MDPs (stationary or time-dependent): check
        those too (default False).
    max_examples : int in [1, 10**4]
        Hypothesis examples per randomised check.
    rtol : float in [0, 1)
        Relative slack for floating-point rounding: every inequality against the exact
        solution is checked up to ``rtol * max(1, max|V*|)`` (plus the exact
        solution's own certified error). Default 1e-9.

    Raises
    ------
    AssertionError
        At the first breach of the contract; the message starts with the check's name
        and names the solver, the instance and the call.
    TypeError, ValueError
        On a bad option.

    Examples
    --------
    >>> import functools
    >>> import tabular
    >>> check_mdp_solver(functools.partial(tabular.modified_policy_iteration, m=3), max_examples=2)
    >>> check_mdp_solver(tabular.backward_induction, discounted=False, finite_horizon=True, max_examples=2)
    """
    for _, check in solver_checks(
        solver,
        name=name,
        sparse=sparse,
        discounted=discounted,
        finite_horizon=finite_horizon,
        max_examples=max_examples,
        rtol=rtol,
    ):
        check()
