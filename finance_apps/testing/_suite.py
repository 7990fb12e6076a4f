"""The machinery of the pricer suite (private): options, the check registry, calling and reading a pricer.

:mod:`finance_apps.testing.checks` declares each check with :func:`register`; the
helpers here call the pricer, read its answer (a number, or an object with ``price``
and optionally ``stderr``), word the failures (check, pricer, contract, call, numbers)
and hold the tolerances and the failure budget of the statistical check.
"""

from __future__ import annotations

import inspect
import math
import numbers
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

import numpy as np
from hypothesis import settings
from hypothesis.strategies import SearchStrategy
from scipy.stats import binom, norm

from finance_apps.testing.contracts import KINDS, STYLES, OptionContract, option_contracts
from rlcore.testing.contract import CheckContext, ContractSuite, derandomized, subject_name
from rlcore.validation import Bool, Instance, Integer, InvalidParameterError, IsCallable, Options, Real, validate_params

Pricer = Callable[..., Any]

DEFAULT_MAX_EXAMPLES = 10
DEFAULT_N_SEEDS = 2
DEFAULT_ATOL = 1e-9
DEFAULT_RTOL = 1e-9
#: Most Hypothesis examples and seeds.
MAX_EXAMPLES = 10**4
MAX_SEEDS = 1000
#: One-sided z of the statistical check: a run "exceeds" when it misses the reference
#: by more than ``Z`` of its standard errors.
Z = 3.0
#: Largest false-alarm probability of the statistical check for a correct estimator.
FALSE_ALARM = 1e-6

#: The options every entry point of the suite shares.
OPTIONS = dict(
    pricer=IsCallable("a callable pricer(contract) -> price"),
    name=Instance(str, what="a name (str)") | None,
    bound=Options("exact", "lower", "upper"),
    kinds=KINDS,
    exercise=STYLES,
    dividends=Bool(),
    max_examples=Integer(1, MAX_EXAMPLES),
    n_seeds=Integer(1, MAX_SEEDS),
    atol=Real(0, None),
    rtol=Real(0, 1, closed="left"),
)


@dataclass(frozen=True)
class SuiteOptions:
    name: str
    bound: str
    kinds: tuple[str, ...]
    exercise: tuple[str, ...]
    dividends: bool
    max_examples: int
    n_seeds: int
    atol: float
    rtol: float

    @property
    def exact(self) -> bool:
        return self.bound == "exact"

    def tol(self, contract: OptionContract) -> float:
        """The pricer's allowed error on one price: ``atol + rtol max(spot, strike)``."""
        return self.atol + self.rtol * max(contract.spot, contract.strike)

    def contracts(
        self, exercise: tuple[str, ...] | None = None, kinds: tuple[str, ...] | None = None
    ) -> SearchStrategy[OptionContract]:
        ex = self.exercise if exercise is None else tuple(e for e in self.exercise if e in exercise)
        ks = self.kinds if kinds is None else tuple(k for k in self.kinds if k in kinds)
        return option_contracts(kinds=ks, exercise=ex, dividends=self.dividends)

    def settings(self) -> settings:
        return derandomized(self.max_examples)


def _an(bound: str) -> str:
    return "an upper" if bound == "upper" else f"a {bound}"


def _takes(pricer: Any, keyword: str) -> bool:
    try:
        sig = inspect.signature(pricer)
    except (TypeError, ValueError):
        return False
    p = sig.parameters.get(keyword)
    if p is not None and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
        return True
    return any(q.kind is inspect.Parameter.VAR_KEYWORD for q in sig.parameters.values())


def options(
    pricer: Any,
    name: Any,
    bound: Any,
    kinds: Any,
    exercise: Any,
    dividends: Any,
    max_examples: Any,
    n_seeds: Any,
    atol: Any,
    rtol: Any,
) -> SuiteOptions:
    # each option is validated by the entry points' declarations (OPTIONS); here their relations
    for arg, values in (("kinds", kinds), ("exercise", exercise)):
        if len(set(values)) != len(values):
            raise InvalidParameterError(arg, f"lists a value twice: {list(values)!r}")
    if bound != "exact" and not _takes(pricer, "rng"):
        raise InvalidParameterError(
            "pricer",
            f"{_an(bound)}-bound estimator is called with rng=<seed> (fixed seeds); "
            f"{subject_name(pricer)!r} takes no 'rng' argument",
        )
    if bound != "exact":
        n_runs = int(max_examples) * int(n_seeds)
        if failure_budget(n_runs) >= n_runs:
            raise InvalidParameterError(
                "n_seeds",
                f"max_examples * n_seeds = {n_runs} runs are too few for the statistical check of {_an(bound)}-bound "
                f"estimator to fail at a false-alarm rate below {FALSE_ALARM:g}; use at least 3 runs",
            )
    return SuiteOptions(
        name=name if name is not None else subject_name(pricer),
        bound=bound,
        kinds=tuple(kinds),
        exercise=tuple(exercise),
        dividends=bool(dividends),
        max_examples=int(max_examples),
        n_seeds=int(n_seeds),
        atol=float(atol),
        rtol=float(rtol),
    )


# ======================================================================== registry
CheckBody = Callable[[Pricer, SuiteOptions, str], None]

#: The registry of the pricers' checks (the machinery shared by every suite of the library).
SUITE = ContractSuite("pricer")

_PARAMETERS_DOC = """
    Parameters
    ----------
    pricer : callable
        ``pricer(contract) -> price`` (see :mod:`finance_apps.testing`).
    name, bound, kinds, exercise, dividends, max_examples, n_seeds, atol, rtol
        As in :func:`check_option_pricer`.

    Raises
    ------
    AssertionError
        If the pricer breaks the contract; the message names this check, the pricer,
        the contract(s) and the numbers.
    ValueError
        If this check does not apply to the pricer (e.g. put-call parity for a pricer
        of puts only).
"""


def register(applies: Callable[[SuiteOptions], str | None]) -> Callable[[CheckBody], Callable[..., None]]:
    """Register ``body`` with the suite and return the public check ``check_<what>(pricer, **options)``."""

    def decorate(body: CheckBody) -> Callable[..., None]:
        check_name = body.__name__

        @validate_params(**OPTIONS)
        def check(
            pricer: Pricer,
            *,
            name: str | None = None,
            bound: str = "exact",
            kinds: Any = ("call", "put"),
            exercise: Any = ("european", "american"),
            dividends: bool = True,
            max_examples: int = DEFAULT_MAX_EXAMPLES,
            n_seeds: int = DEFAULT_N_SEEDS,
            atol: float = DEFAULT_ATOL,
            rtol: float = DEFAULT_RTOL,
        ) -> None:
            opts = options(pricer, name, bound, kinds, exercise, dividends, max_examples, n_seeds, atol, rtol)
            SUITE.run_one(check_name, pricer, opts, param="pricer")

        return SUITE.publish(check, body, applies, _PARAMETERS_DOC)

    return decorate


# ======================================================================== calling the pricer
@dataclass(frozen=True)
class Quote:
    """What one call returned: the price and, for an estimator, its standard error."""

    price: float
    stderr: float | None

    def __str__(self) -> str:
        return f"{self.price:.6g}" if self.stderr is None else f"{self.price:.6g} (stderr {self.stderr:.3g})"


def _is_real(x: Any) -> bool:
    return isinstance(x, (numbers.Real, np.floating, np.integer)) and not isinstance(x, (bool, np.bool_))


def _as_real(x: Any) -> Any:
    """A Python or numpy real, or a 0-d / size-1 array of one; else ``x`` unchanged (refused later)."""
    if isinstance(x, np.ndarray) and x.size == 1 and np.issubdtype(x.dtype, np.number):
        return x.reshape(()).item()
    return x


def quote(pricer: Pricer, contract: OptionContract, ctx: CheckContext, opts: SuiteOptions, seed: int = 0) -> Quote:
    """Call the pricer (estimators with ``rng=seed``) and read its answer; failures name the check."""
    kwargs: dict[str, Any] = {} if opts.exact else {"rng": seed}
    ctx.call = kwargs
    out = ctx.call_subject(pricer, contract, **kwargs)
    raw = _as_real(getattr(out, "price", out))
    ctx.check(
        _is_real(raw),
        lambda: f"returned {out!r}: expected a real number, or an object whose 'price' is one",
    )
    price = float(raw)
    ctx.check(math.isfinite(price), f"returned the price {price!r}; expected a finite number")
    se = getattr(out, "stderr", None)
    if se is None:
        ctx.check(opts.exact, f"returned {out!r} without a 'stderr'; {_an(opts.bound)}-bound estimator must give one")
        return Quote(price, None)
    se = _as_real(se)
    ctx.check(_is_real(se), f"returned stderr {se!r}; expected a real number")
    stderr = float(se)
    ctx.check(math.isfinite(stderr) and stderr >= 0.0, f"returned stderr {stderr!r}; expected a finite number >= 0")
    return Quote(price, stderr)


def context(check: str, opts: SuiteOptions, *contracts: OptionContract) -> CheckContext:
    return CheckContext(check, "pricer", opts.name, " and ".join(repr(c) for c in contracts), {})


def failure_budget(n_runs: int) -> int:
    """The most runs of the statistical check a correct estimator may lose.

    Each run of a correct estimator misses the reference by more than ``Z`` standard
    errors with probability at most ``p = 1 - Phi(Z)`` (one-sided; about 1.35e-3 for
    ``Z = 3``, under the normal approximation of the central limit theorem), independently
    across runs (independent seeds); the budget is the smallest ``b`` with
    ``P(Binomial(n_runs, p) > b) < 1e-6``.

    Guarantee
    ---------
    Under those assumptions a correct estimator loses more than ``b`` runs with
    probability below ``1e-6``. Tested by
    ``tests/finance_apps/test_pricer_contract.py::test_failure_budget_against_the_binomial_tail``
    (the tail summed term by term).

    Examples
    --------
    >>> [failure_budget(n) for n in (1, 10, 20, 100)]
    [1, 2, 3, 4]
    """
    p = float(norm.sf(Z))
    b = 0
    while binom.sf(b, n_runs, p) >= FALSE_ALARM:
        b += 1
    return b
