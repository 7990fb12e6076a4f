"""A contract suite for MDP solvers: run any planner, yours included, through one set of checks.

In the spirit of scikit-learn's ``check_estimator`` / ``parametrize_with_checks``:
:func:`check_mdp_solver` runs every check below on a *solver*, any callable

.. code-block:: python

    result = solver(mdp, **kwargs)

taking an :class:`rlcore.FiniteMDP` and returning an object with the attributes

==========================  =====================================================
``V``                       ndarray of shape (S,), or (H, S) under a finite horizon
``Q``                       ndarray of shape (S, A), or (H, S, A)
``policy``                  int ndarray of shape (S,), or (H, S): deterministic
``converged``               bool
``value_bound``             float, claimed ``max |V - V*|``
``suboptimality_bound``     float, claimed ``max (V* - V^policy)``
``V_lower``, ``V_upper``    optional: claimed bracket ``V_lower <= V* <= V_upper``
==========================  =====================================================

(:class:`tabular.PlanningResult` is one). The checks hold the solver to what it
claims, against the *exact* optimal values computed independently by
:func:`brute_force_solution`: the componentwise maximum of the exact values
(:func:`rlcore.evaluate_policy`, a linear solve) of every deterministic stationary
policy (discounted) or every deterministic Markov policy (finite horizon). An optimal
policy of that class exists and dominates every other policy in every state
(Puterman 1994, Thm. 6.2.10 and Thm. 4.4.2), so the maximum is ``V*``.

The instances are small fixed MDPs (:func:`reference_mdps`: forest management,
RiverSwim, a gridworld, the n-chain, seeded random MDPs with ``gamma`` up to 0.99, a
one-state MDP, ``gamma = 0``, all-tied rewards), each in dense and sparse layout, and
random MDPs drawn by Hypothesis (:func:`rlcore.testing.finite_mdps`). Each discounted
instance is solved with the solver's defaults and, where the solver's signature takes
them (a named parameter or ``**kwargs``), with ``epsilon=1e-3`` (a loose target, so
that the bounds are large enough to be worth checking) and with ``max_iter=2`` (a
budget that runs out: the answer may be poor, but it must say so). ``epsilon`` and
``max_iter`` are never passed for finite-horizon instances.

The checks, each also callable on its own:

* :func:`check_rejects_non_mdp`: ``solver(x)`` raises ``TypeError`` for non-MDPs;
* :func:`check_result_interface`: attributes, shapes and dtypes; finite ``V`` and
  ``Q``; bounds non-negative and not NaN;
* :func:`check_policy_is_valid`: the policy is a valid deterministic policy;
* :func:`check_bounds_on_fixed_mdps`: ``|V - V*| <= value_bound``,
  ``|Q - Q*| <= value_bound``, ``V* - V^policy <= suboptimality_bound``,
  ``V_lower <= V* <= V_upper``, and ``converged`` implies both bounds
  ``<= epsilon``, on the reference MDPs;
* :func:`check_bounds_on_random_mdps`: the same on Hypothesis-drawn MDPs;
* :func:`check_converged_means_epsilon`: for ``epsilon`` in {1e-1, 1e-4, 1e-8}, with
  and without a short ``max_iter``, ``converged`` implies that both bounds, and the
  true errors, are ``<= epsilon``;
* :func:`check_converges_on_small_mdps`: ``epsilon=1e-6`` is reached on the small
  reference MDPs;
* :func:`check_dense_sparse_agree`: the dense and sparse layouts of one MDP give
  answers within the sum of their bounds;
* :func:`check_deterministic`: the same input twice gives bit-identical output;
* :func:`check_does_not_mutate_mdp`: the MDP's arrays and attributes are unchanged.

Every failure is an ``AssertionError`` whose message starts with the check's name and
names the solver, the instance (with its arrays when it is small) and the keyword
arguments of the call. A check the solver cannot take (``epsilon`` checks for a solver
without ``epsilon``, layouts the solver does not support) is not yielded by
:func:`solver_checks` and raises ``ValueError`` when called directly.

Hypothesis runs derandomised and without an example database, so the suite checks the
same instances on every run and every machine (raise ``max_examples`` to see more).

This module needs the ``test`` extra (``hypothesis``); ``import tabular`` never imports
it.

References
----------
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, Thm. 4.4.2 (finite horizon)
and Thm. 6.2.10 (discounted: a deterministic stationary policy is optimal).

Examples
--------
A library planner passes:

>>> import tabular
>>> from tabular.testing import check_mdp_solver, check_bounds_on_fixed_mdps
>>> check_mdp_solver(tabular.value_iteration, max_examples=3)

A value iteration that stops after five sweeps and claims convergence does not (any
object with the right attributes is a result); the message goes on with ``called with
{}: max |V - V*| = 19.0728 exceeds value_bound = 0 ...`` and both value functions:

>>> from types import SimpleNamespace
>>> import numpy as np
>>> from rlcore import bellman_optimality, greedy, q_from_v
>>> def five_sweeps(mdp, epsilon=1e-6):
...     V = np.zeros(mdp.n_states)
...     for _ in range(5):
...         V = bellman_optimality(mdp, V)
...     Q = q_from_v(mdp, V)
...     return SimpleNamespace(V=V, Q=Q, policy=greedy(Q), converged=True,
...                            value_bound=0.0, suboptimality_bound=0.0)
>>> check_bounds_on_fixed_mdps(five_sweeps)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
AssertionError: check_bounds_on_fixed_mdps: solver 'five_sweeps' on forest(3, gamma=0.9) [dense], called ...

In a test-suite, one line per solver (each check becomes its own test):

>>> import pytest
>>> from tabular.testing import solver_checks
>>> @pytest.mark.parametrize("check_name, check", solver_checks(tabular.policy_iteration))
... def test_policy_iteration_contract(check_name, check):
...     check()
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
import numbers
from dataclasses import dataclass
from typing import Any, cast
from collections.abc import Callable, Iterator

import numpy as np
import scipy.sparse as sp

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised only without the test extra
    raise ImportError(
        "tabular.testing needs the 'hypothesis' package, which ships with the test extra: pip install \"rlref[test]\""
    ) from exc

from rlcore.bellman import _q_from_v
from rlcore.evaluation import evaluate_policy
from rlcore.generators import chain, forest, gridworld, random_mdp, river_swim
from rlcore.mdp import FiniteMDP
from rlcore.policies import validate_policy
from rlcore.testing import finite_mdps
from rlcore.validation import MDP, Bool, Instance, Integer, InvalidParameterError, IsCallable, Real, validate_params

__all__ = [
    "ExactSolution",
    "brute_force_solution",
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
    "reference_mdps",
    "solver_checks",
]

Solver = Callable[..., Any]

_DEFAULT_MAX_EXAMPLES = 20
_DEFAULT_TOLERANCE = 1e-9
_LOOSE_EPSILON = 1e-3
_SHORT_MAX_ITER = 2
_SMALL_ARRAYS = 200  # describe an instance with its arrays when P has at most this many entries
#: Most deterministic policies :func:`brute_force_solution` enumerates, and most Hypothesis examples.
MAX_POLICIES = 10**6
MAX_EXAMPLES = 10**4

#: The options every entry point of the suite shares.
_OPTIONS = dict(
    solver=IsCallable("a callable solver(mdp, **kwargs)"),
    name=Instance(str, what="a name (str)") | None,
    sparse=Bool(),
    discounted=Bool(),
    finite_horizon=Bool(),
    max_examples=Integer(1, MAX_EXAMPLES),
    tolerance=Real(0, 1, closed="left"),
)


# ======================================================================== exact oracle
@dataclass(frozen=True)
class ExactSolution:
    """Exact optimal values of a small MDP, by enumeration of deterministic policies.

    Attributes
    ----------
    V : ndarray of shape (S,), or (H, S) under a finite horizon
        ``V*`` (``V*[t]`` with ``H - t`` steps to go).
    Q : ndarray of shape (S, A), or (H, S, A)
        ``Q* = r + gamma P V*`` (finite horizon: ``Q*[t] = r_t + P_t V*[t + 1]``).
    error_bound : float
        Bound on ``max |V - V*|`` from the linear solves (the largest certified error
        :func:`rlcore.evaluate_policy` reports over the policies; 0 under a finite
        horizon, whose recursion is exact up to rounding).
    n_policies : int
        Number of policies enumerated.
    """

    V: np.ndarray
    Q: np.ndarray
    error_bound: float
    n_policies: int


@validate_params(mdp=MDP(), max_policies=Integer(1, MAX_POLICIES))
def brute_force_solution(mdp: FiniteMDP, *, max_policies: int = 4096) -> ExactSolution:
    """``V*`` and ``Q*`` of a tiny MDP by evaluating every deterministic policy exactly.

    Parameters
    ----------
    mdp : rlcore.FiniteMDP
        Discounted (all ``A^S`` deterministic stationary policies are enumerated) or
        finite-horizon (all ``A^(H S)`` deterministic Markov policies), dense or sparse.
    max_policies : int in [1, 10**6]
        Refuse instances with more policies than this.

    Returns
    -------
    ExactSolution

    Raises
    ------
    TypeError
        If ``mdp`` is not a :class:`rlcore.FiniteMDP`.
    ValueError
        If the instance has more than ``max_policies`` policies.

    Guarantee
    ---------
    A deterministic stationary (discounted) or deterministic Markov (finite horizon)
    policy is optimal, and its value dominates every policy's value in every state
    (Puterman 1994, Thm. 6.2.10 and Thm. 4.4.2); hence ``V*`` is the componentwise
    maximum of the enumerated exact values. Nothing here shares code with the planners
    of :mod:`tabular`: each value is one linear solve (:func:`rlcore.evaluate_policy`).

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[:, 0, 0] = 1.0; P[:, 1, 1] = 1.0
    >>> mdp = FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.9)
    >>> sol = brute_force_solution(mdp)
    >>> np.round(sol.V, 10), sol.n_policies
    (array([ 9., 10.]), 4)
    """
    S, A = mdp.n_states, mdp.n_actions
    H = mdp.horizon
    n_slots = S if H is None else H * S
    too_many = A > 1 and n_slots * np.log2(A) > 64  # (no huge powers)
    n_policies = A**n_slots if not too_many else math.inf
    if n_policies > max_policies:
        raise InvalidParameterError(
            "max_policies",
            f"this MDP has A^{'S' if H is None else '(H S)'} = {A}^{n_slots}"
            + ("" if too_many else f" = {n_policies}")
            + f" deterministic policies, more than max_policies={max_policies}",
        )
    dense = _with_layout(mdp, False)
    best: np.ndarray | None = None
    err = 0.0
    shape = (S,) if H is None else (H, S)
    for actions in itertools.product(range(A), repeat=n_slots):
        ev = evaluate_policy(dense, np.array(actions, dtype=np.int64).reshape(shape))
        err = max(err, float(ev.error_bound))
        best = ev.V.copy() if best is None else np.maximum(best, ev.V)
    assert best is not None
    if H is None:
        Q = _q_from_v(dense, best, 0, "mdp")
    else:
        Q = np.empty((H, S, A))
        for t in range(H):
            Q[t] = _q_from_v(dense, best[t + 1] if t + 1 < H else np.zeros(S), t, "mdp")
    return ExactSolution(V=best, Q=Q, error_bound=err, n_policies=int(n_policies))


# ======================================================================== instances
def _with_layout(mdp: FiniteMDP, sparse: bool) -> FiniteMDP:
    """A new, equal MDP with ``P`` dense (S, A, S) / (H, S, A, S) or CSR (rows ``s*A + a``)."""
    S, A = mdp.n_states, mdp.n_actions
    if mdp.is_sparse:
        P = cast(sp.csr_array, mdp.P).toarray()
        P = P.reshape(S, A, S) if P.shape[0] == S * A else P.reshape(-1, S, A, S)
    else:
        P = np.array(mdp.P)
    if sparse:
        P = sp.csr_array(P.reshape(-1, S))
    return FiniteMDP(
        P,
        np.array(mdp.R),
        gamma=mdp.gamma,
        horizon=mdp.horizon,
        initial=np.array(mdp.initial),
        terminal=np.array(mdp.terminal),
    )


def _copy(mdp: FiniteMDP) -> FiniteMDP:
    """An equal, independent instance in the same layout."""
    return _with_layout(mdp, mdp.is_sparse)


def _one_state(**criterion: Any) -> FiniteMDP:
    return FiniteMDP(np.ones((1, 1, 1)), [[0.5]], **criterion)


@functools.cache
def _discounted_instances() -> tuple[tuple[str, FiniteMDP], ...]:
    return (
        ("forest(3, gamma=0.9)", forest(3, gamma=0.9)),
        ("river_swim(6, gamma=0.95)", river_swim(6, gamma=0.95)),
        ("gridworld(2, 2, slip=0.1, gamma=0.9)", gridworld(2, 2, slip=0.1, gamma=0.9)),
        ("chain(5, gamma=0.9)", chain(5, gamma=0.9)),
        ("random_mdp(4, 3, gamma=0.99, rng=1)", random_mdp(4, 3, gamma=0.99, rng=1)),
        (
            "random_mdp(5, 2, branching=2, gamma=0.9, rng=2)",
            random_mdp(5, 2, branching=2, sparse=True, gamma=0.9, rng=2),
        ),
        ("random_mdp(3, 3, gamma=0.0, rng=3)", random_mdp(3, 3, gamma=0.0, rng=3)),
        (
            "all-tied rewards: random_mdp(3, 2, reward=0, gamma=0.9, rng=5)",
            random_mdp(3, 2, reward=np.zeros((3, 2)), gamma=0.9, rng=5),
        ),
        ("one state, one action, gamma=0.9", _one_state(gamma=0.9)),
    )


@functools.cache
def _finite_horizon_instances() -> tuple[tuple[str, FiniteMDP], ...]:
    return (
        ("forest(3, horizon=3)", forest(3, horizon=3)),
        ("river_swim(3, horizon=3)", river_swim(3, horizon=3)),
        ("chain(3, horizon=3)", chain(3, horizon=3)),
        ("gridworld(1, 3, horizon=2)", gridworld(1, 3, horizon=2)),
        (
            "random_mdp(2, 2, horizon=3, time_dependent=True, rng=4)",
            random_mdp(2, 2, horizon=3, time_dependent=True, rng=4),
        ),
        ("one state, one action, horizon=3", _one_state(horizon=3)),
    )


@validate_params(discounted=Bool(), finite_horizon=Bool(), sparse=Bool())
def reference_mdps(
    *, discounted: bool = True, finite_horizon: bool = False, sparse: bool = True
) -> list[tuple[str, FiniteMDP]]:
    """The small fixed MDPs the contract checks run on, as ``(label, mdp)`` pairs.

    Parameters
    ----------
    discounted : bool
        Include the discounted instances: ``forest(3)``, ``river_swim(6)``, a 2x2
        gridworld with slip, ``chain(5)``, seeded random MDPs (one with
        ``gamma = 0.99``, one Garnet with two successors per pair, one with
        ``gamma = 0``, one with all rewards zero so every policy ties) and a one-state
        one-action MDP.
    finite_horizon : bool
        Include the finite-horizon instances: ``forest``, ``river_swim`` and ``chain``
        with three states and ``H = 3``, a 1x3 gridworld with ``H = 2``, a
        time-dependent random MDP and a one-state MDP.
    sparse : bool
        Each instance in both dense and sparse layout (otherwise dense only).

    Returns
    -------
    list of (str, rlcore.FiniteMDP)
        Labels end in ``[dense]`` or ``[sparse]``. Every instance has at most 4096
        deterministic (Markov) policies, so :func:`brute_force_solution` applies.
        The MDPs are new objects on every call, so a solver under test that tampers
        with one cannot spoil the next check.

    Examples
    --------
    >>> [label for label, _ in reference_mdps(sparse=False)][:2]
    ['forest(3, gamma=0.9) [dense]', 'river_swim(6, gamma=0.95) [dense]']
    """
    base: list[tuple[str, FiniteMDP]] = []
    if discounted:
        base += list(_discounted_instances())
    if finite_horizon:
        base += list(_finite_horizon_instances())
    out = []
    for label, mdp in base:
        out.append((f"{label} [dense]", _with_layout(mdp, False)))
        if sparse:
            out.append((f"{label} [sparse]", _with_layout(mdp, True)))
    return out


@functools.cache
def _exact_by_label(label: str) -> ExactSolution:
    """The exact solution of a reference MDP (both layouts share it), from a pristine instance."""
    base = label.rsplit(" [", 1)[0]
    pristine = dict(_discounted_instances() + _finite_horizon_instances())[base]
    return brute_force_solution(pristine)


def _random_mdps(opts: _Options, *, sparse: bool | None) -> Any:
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


def _hypothesis_settings(opts: _Options) -> settings:
    return settings(
        max_examples=opts.max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ======================================================================== options
@dataclass(frozen=True)
class _Options:
    name: str
    sparse: bool
    discounted: bool
    finite_horizon: bool
    max_examples: int
    tolerance: float
    epsilon: bool  # the solver takes ``epsilon``
    max_iter: bool  # the solver takes ``max_iter``
    default_epsilon: float | None  # its default, when the signature states one


def _solver_name(solver: Any) -> str:
    if isinstance(solver, functools.partial):
        args = [repr(a) for a in solver.args] + [f"{k}={v!r}" for k, v in solver.keywords.items()]
        return f"{_solver_name(solver.func)}({', '.join(args)})"
    return str(getattr(solver, "__qualname__", None) or getattr(solver, "__name__", None) or repr(solver))


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


def _options(
    solver: Any, name: Any, sparse: Any, discounted: Any, finite_horizon: Any, max_examples: Any, tolerance: Any
) -> _Options:
    # the options are validated by the entry points' declarations (_OPTIONS); here their relation
    if not (discounted or finite_horizon):
        raise InvalidParameterError(
            "discounted", "at least one kind of MDP must be checked, but discounted and finite_horizon are both False"
        )
    takes_eps, eps_default = _parameter(solver, "epsilon")
    takes_max_iter, _ = _parameter(solver, "max_iter")
    default_eps = None
    if isinstance(eps_default, (numbers.Real, np.floating)) and not isinstance(eps_default, bool):
        default_eps = float(eps_default)
    return _Options(
        name=name if name is not None else _solver_name(solver),
        sparse=sparse,
        discounted=discounted,
        finite_horizon=finite_horizon,
        max_examples=int(max_examples),
        tolerance=float(tolerance),
        epsilon=takes_eps,
        max_iter=takes_max_iter,
        default_epsilon=default_eps,
    )


# ======================================================================== registry
_CheckBody = Callable[[Solver, _Options, str], None]


@dataclass(frozen=True)
class _Spec:
    body: _CheckBody
    applies: Callable[[_Options], str | None]  # None when applicable, else why not


_REGISTRY: dict[str, _Spec] = {}

_PARAMETERS_DOC = """
    Parameters
    ----------
    solver : callable
        ``solver(mdp, **kwargs) -> result`` (see the module documentation).
    name, sparse, discounted, finite_horizon, max_examples, tolerance
        As in :func:`check_mdp_solver`.

    Raises
    ------
    AssertionError
        If the solver breaks the contract; the message names this check, the solver,
        the instance and the call.
    ValueError
        If this check does not apply to the solver (e.g. it needs ``epsilon``).
"""


def _always(opts: _Options) -> str | None:
    return None


def _register(applies: Callable[[_Options], str | None] = _always) -> Callable[[_CheckBody], Callable[..., None]]:
    def decorate(body: _CheckBody) -> Callable[..., None]:
        check_name = body.__name__

        @validate_params(**_OPTIONS)
        def check(
            solver: Solver,
            *,
            name: str | None = None,
            sparse: bool = True,
            discounted: bool = True,
            finite_horizon: bool = False,
            max_examples: int = _DEFAULT_MAX_EXAMPLES,
            tolerance: float = _DEFAULT_TOLERANCE,
        ) -> None:
            opts = _options(solver, name, sparse, discounted, finite_horizon, max_examples, tolerance)
            why_not = applies(opts)
            if why_not is not None:
                raise InvalidParameterError("solver", f"{check_name} does not apply to {opts.name!r}: {why_not}")
            body(solver, opts, check_name)

        check.__name__ = check.__qualname__ = check_name
        check.__module__ = __name__
        check.__doc__ = (body.__doc__ or "").rstrip() + "\n" + _PARAMETERS_DOC
        _REGISTRY[check_name] = _Spec(body, applies)
        return check

    return decorate


# ======================================================================== helpers
class _Context:
    """Formats failure messages: check, solver, instance, call."""

    def __init__(self, check: str, opts: _Options, label: str, mdp: FiniteMDP, kwargs: dict[str, Any]) -> None:
        self.check_name, self.opts, self.label, self.mdp, self.kwargs = check, opts, label, mdp, kwargs

    def fail(self, what: str) -> AssertionError:
        return AssertionError(
            f"{self.check_name}: solver {self.opts.name!r} on {self.label}, called with {self.kwargs!r}: {what}"
        )

    def check(self, ok: Any, what: str | Callable[[], str]) -> None:
        if not bool(ok):
            raise self.fail(what() if callable(what) else what)


def _describe(mdp: FiniteMDP) -> str:
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


def _call(solver: Solver, mdp: FiniteMDP, kwargs: dict[str, Any], ctx: _Context) -> Any:
    try:
        return solver(mdp, **kwargs)
    except Exception as exc:
        raise ctx.fail(f"the solver raised {type(exc).__name__}: {exc}") from exc


def _calls(opts: _Options, mdp: FiniteMDP) -> list[dict[str, Any]]:
    """Keyword arguments to solve ``mdp`` with: defaults, a loose epsilon, a short budget."""
    calls: list[dict[str, Any]] = [{}]
    if mdp.is_discounted:
        if opts.epsilon:
            calls.append({"epsilon": _LOOSE_EPSILON})
        if opts.max_iter:
            calls.append({"max_iter": _SHORT_MAX_ITER})
    return calls


def _requested_epsilon(opts: _Options, mdp: FiniteMDP, kwargs: dict[str, Any]) -> float | None:
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


def _verify_interface(res: Any, ctx: _Context) -> None:
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


def _verify_policy(res: Any, ctx: _Context) -> np.ndarray:
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


def _slack(opts: _Options, exact: ExactSolution) -> float:
    return opts.tolerance * max(1.0, float(np.max(np.abs(exact.V)))) + 2.0 * exact.error_bound


def _verify_against_exact(
    res: Any, ctx: _Context, exact: ExactSolution, epsilon: float | None, *, true_errors_within_epsilon: bool = False
) -> None:
    """Every claim of the result against the exact solution."""
    _verify_interface(res, ctx)
    pi = _verify_policy(res, ctx)
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


def _instances(opts: _Options) -> list[tuple[str, FiniteMDP]]:
    return reference_mdps(discounted=opts.discounted, finite_horizon=opts.finite_horizon, sparse=opts.sparse)


# ======================================================================== the checks
def _needs_epsilon(opts: _Options) -> str | None:
    if not opts.discounted:
        return "it checks epsilon on discounted MDPs and discounted=False"
    if not opts.epsilon:
        return "the solver takes no 'epsilon' argument"
    return None


def _needs_sparse(opts: _Options) -> str | None:
    return None if opts.sparse else "sparse=False"


@_register()
def check_rejects_non_mdp(solver: Solver, opts: _Options, check: str) -> None:
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


@_register()
def check_result_interface(solver: Solver, opts: _Options, check: str) -> None:
    """The result has ``V``, ``Q``, ``policy``, ``converged`` and both bounds, of the right types and shapes.

    ``V`` and ``Q`` are finite float arrays of shape (S,) and (S, A) (finite horizon:
    (H, S) and (H, S, A)); ``converged`` is a bool; the bounds are real, non-negative
    and not NaN (``inf`` is an honest bound); ``V_lower``/``V_upper``, when present,
    have the shape of ``V`` and no NaN.
    """
    for label, mdp in _instances(opts):
        for kwargs in _calls(opts, mdp):
            ctx = _Context(check, opts, label, mdp, kwargs)
            _verify_interface(_call(solver, mdp, kwargs, ctx), ctx)


@_register()
def check_policy_is_valid(solver: Solver, opts: _Options, check: str) -> None:
    """The policy is a valid deterministic policy: integer actions in ``[0, A)``, shape (S,) or (H, S)."""
    for label, mdp in _instances(opts):
        for kwargs in _calls(opts, mdp):
            ctx = _Context(check, opts, label, mdp, kwargs)
            _verify_policy(_call(solver, mdp, kwargs, ctx), ctx)


@_register()
def check_bounds_on_fixed_mdps(solver: Solver, opts: _Options, check: str) -> None:
    """Every claimed bound holds against the exact ``V*`` on the fixed reference MDPs.

    ``max |V - V*| <= value_bound``, ``max |Q - Q*| <= value_bound``,
    ``max (V* - V^policy) <= suboptimality_bound`` (``V^policy`` by an exact linear
    solve), ``V_lower <= V* <= V_upper`` when given, and ``converged=True`` only with
    both bounds within the requested ``epsilon``; each inequality up to the slack
    ``tolerance * max(1, max|V*|)`` plus the oracle's own error bound. ``V*`` comes from
    :func:`brute_force_solution`. The instances are :func:`reference_mdps`.
    """
    for label, mdp in _instances(opts):
        exact = _exact_by_label(label)
        for kwargs in _calls(opts, mdp):
            ctx = _Context(check, opts, label, mdp, kwargs)
            res = _call(solver, mdp, kwargs, ctx)
            _verify_against_exact(res, ctx, exact, _requested_epsilon(opts, mdp, kwargs))


@_register()
def check_bounds_on_random_mdps(solver: Solver, opts: _Options, check: str) -> None:
    """Every claimed bound holds against the exact ``V*`` on Hypothesis-drawn MDPs.

    As :func:`check_bounds_on_fixed_mdps`, on ``max_examples`` MDPs drawn by
    :func:`rlcore.testing.finite_mdps` (at most 4 states and 3 actions, discount in
    [0, 0.99], rewards in [-1, 1] or [-100, 100], with and without absorbing terminal
    states; finite horizon: at most 3 states, 2 actions, ``H <= 3``, stationary or
    time-dependent), dense and (if ``sparse``) sparse.
    """

    @_hypothesis_settings(opts)
    @given(mdp=_random_mdps(opts, sparse=None if opts.sparse else False))
    def run(mdp: FiniteMDP) -> None:
        exact = brute_force_solution(mdp)
        label = f"a Hypothesis-drawn MDP {_describe(mdp)}"
        for kwargs in _calls(opts, mdp):
            ctx = _Context(check, opts, label, mdp, kwargs)
            res = _call(solver, mdp, kwargs, ctx)
            _verify_against_exact(res, ctx, exact, _requested_epsilon(opts, mdp, kwargs))

    run()


@_register(_needs_epsilon)
def check_converged_means_epsilon(solver: Solver, opts: _Options, check: str) -> None:
    """``converged=True`` means both bounds, and the true errors, are within ``epsilon``.

    On the discounted reference MDPs, for ``epsilon`` in {1e-1, 1e-4, 1e-8}, each with
    the solver's own budget and (when it takes ``max_iter``) with ``max_iter=3``; a run
    that stops early must report ``converged=False`` unless its certified bounds
    already meet ``epsilon``. All the bounds are checked as in
    :func:`check_bounds_on_fixed_mdps`.
    """
    for label, mdp in reference_mdps(discounted=True, finite_horizon=False, sparse=opts.sparse):
        exact = _exact_by_label(label)
        for eps in (1e-1, 1e-4, 1e-8):
            for extra in ({}, {"max_iter": 3}) if opts.max_iter else ({},):
                kwargs = {"epsilon": eps, **extra}
                ctx = _Context(check, opts, label, mdp, kwargs)
                res = _call(solver, mdp, kwargs, ctx)
                _verify_against_exact(res, ctx, exact, eps, true_errors_within_epsilon=True)


@_register(_needs_epsilon)
def check_converges_on_small_mdps(solver: Solver, opts: _Options, check: str) -> None:
    """The solver reaches ``epsilon=1e-6`` (``converged=True``) on every small reference MDP.

    A solver that never claims convergence can never be caught lying about it; this
    check asks that it does its job on the discounted :func:`reference_mdps` (at most
    6 states, ``gamma <= 0.99``) within its default budget.
    """
    for label, mdp in reference_mdps(discounted=True, finite_horizon=False, sparse=opts.sparse):
        kwargs = {"epsilon": 1e-6}
        ctx = _Context(check, opts, label, mdp, kwargs)
        res = _call(solver, mdp, kwargs, ctx)
        _verify_interface(res, ctx)
        ctx.check(
            bool(res.converged),
            lambda: (
                f"converged=False (value_bound = {float(res.value_bound):.3g}, suboptimality_bound = "
                f"{float(res.suboptimality_bound):.3g}) on a small MDP"
            ),
        )


def _verify_agreement(solver: Solver, opts: _Options, check: str, label: str, dense: FiniteMDP) -> None:
    sparse_mdp = _with_layout(dense, True)
    for kwargs in _calls(opts, dense):
        ctx = _Context(check, opts, label, dense, kwargs)
        ctx_s = _Context(check, opts, label + " (sparse copy)", sparse_mdp, kwargs)
        rd = _call(solver, dense, kwargs, ctx)
        rs = _call(solver, sparse_mdp, kwargs, ctx_s)
        _verify_interface(rd, ctx)
        _verify_interface(rs, ctx_s)
        pd, ps = _verify_policy(rd, ctx), _verify_policy(rs, ctx_s)
        scale = max(1.0, float(np.max(np.abs(rd.V))), float(np.max(np.abs(rs.V))))
        slack = opts.tolerance * scale
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


@_register(_needs_sparse)
def check_dense_sparse_agree(solver: Solver, opts: _Options, check: str) -> None:
    """The dense and the sparse layout of one MDP give answers within the sum of their bounds.

    ``max |V_dense - V_sparse| <= value_bound_dense + value_bound_sparse`` and the
    values of the two policies differ by at most the sum of the suboptimality bounds;
    on the reference MDPs and on ``max_examples`` Hypothesis-drawn ones.
    """
    for label, mdp in reference_mdps(discounted=opts.discounted, finite_horizon=opts.finite_horizon, sparse=False):
        _verify_agreement(solver, opts, check, label, mdp)

    @_hypothesis_settings(opts)
    @given(mdp=_random_mdps(opts, sparse=False))
    def run(mdp: FiniteMDP) -> None:
        _verify_agreement(solver, opts, check, f"a Hypothesis-drawn MDP {_describe(mdp)}", mdp)

    run()


def _fields(res: Any) -> dict[str, Any]:
    out = {}
    for attr in ("V", "Q", "policy", "converged", "value_bound", "suboptimality_bound", "V_lower", "V_upper"):
        x = getattr(res, attr, None)
        out[attr] = (np.asarray(x).dtype.str, np.asarray(x).shape, np.asarray(x).tobytes()) if x is not None else None
    return out


@_register()
def check_deterministic(solver: Solver, opts: _Options, check: str) -> None:
    """Solving the same MDP twice, or an equal copy of it, gives bit-identical results.

    Compared: ``V``, ``Q``, ``policy``, ``converged``, both bounds and, when present,
    ``V_lower``/``V_upper`` (dtype, shape and bytes).
    """
    for label, mdp in _instances(opts):
        for kwargs in _calls(opts, mdp):
            ctx = _Context(check, opts, label, mdp, kwargs)
            first = _fields(_call(solver, mdp, kwargs, ctx))
            again = _fields(_call(solver, mdp, kwargs, ctx))
            other = _fields(_call(solver, _copy(mdp), kwargs, ctx))
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


@_register()
def check_does_not_mutate_mdp(solver: Solver, opts: _Options, check: str) -> None:
    """The solver leaves the MDP as it found it: ``P``, ``R``, ``initial``, ``terminal``, ``gamma``, ``horizon``.

    Arrays are compared byte for byte, together with their read-only flags.
    """
    for label, mdp in _instances(opts):
        before = _snapshot(mdp)
        for kwargs in _calls(opts, mdp):
            ctx = _Context(check, opts, label, mdp, kwargs)
            _call(solver, mdp, kwargs, ctx)
            after = _snapshot(mdp)
            changed = [k for k in before if before[k] != after[k]]
            ctx.check(not changed, f"the MDP's {', '.join(changed)} changed")


# ======================================================================== entry points
class _BoundCheck:
    """One check bound to one solver and its options; pytest uses ``__name__`` as the id."""

    def __init__(self, check: str, solver: Solver, opts: _Options) -> None:
        self.check, self.solver, self.opts = check, solver, opts
        self.__name__ = opts.name.replace(" ", "")

    def __call__(self) -> None:
        _REGISTRY[self.check].body(self.solver, self.opts, self.check)

    def __repr__(self) -> str:
        return f"<{self.check} for {self.opts.name}>"


@validate_params(**_OPTIONS)
def solver_checks(
    solver: Solver,
    *,
    name: str | None = None,
    sparse: bool = True,
    discounted: bool = True,
    finite_horizon: bool = False,
    max_examples: int = _DEFAULT_MAX_EXAMPLES,
    tolerance: float = _DEFAULT_TOLERANCE,
) -> Iterator[tuple[str, Callable[[], None]]]:
    """The checks that apply to ``solver``, as ``(check_name, check)`` pairs for ``pytest.mark.parametrize``.

    Parameters
    ----------
    solver : callable
        ``solver(mdp, **kwargs) -> result``.
    name, sparse, discounted, finite_horizon, max_examples, tolerance
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
    opts = _options(solver, name, sparse, discounted, finite_horizon, max_examples, tolerance)
    return (
        (name_, _BoundCheck(name_, solver, opts)) for name_, spec in _REGISTRY.items() if spec.applies(opts) is None
    )


@validate_params(**_OPTIONS)
def check_mdp_solver(
    solver: Solver,
    *,
    name: str | None = None,
    sparse: bool = True,
    discounted: bool = True,
    finite_horizon: bool = False,
    max_examples: int = _DEFAULT_MAX_EXAMPLES,
    tolerance: float = _DEFAULT_TOLERANCE,
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
    tolerance : float in [0, 1)
        Relative slack for floating-point rounding: every inequality against the exact
        solution is checked up to ``tolerance * max(1, max|V*|)`` (plus the exact
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
        tolerance=tolerance,
    ):
        check()
