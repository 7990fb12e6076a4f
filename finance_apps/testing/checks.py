"""The checks of the pricer suite, and its entry points :func:`check_option_pricer` and :func:`pricer_checks`.

Each check holds a pricer to one consequence of the theory (see
:mod:`finance_apps.testing`), is callable on its own (``check_put_call_parity(pricer)``)
and is yielded by :func:`pricer_checks` when it applies to the pricer.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any
from collections.abc import Iterator

from hypothesis import assume, given
from hypothesis import strategies as st

from finance_apps.closed_form import black_scholes, perpetual_american_put
from finance_apps.testing._suite import (
    DEFAULT_ATOL,
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_N_SEEDS,
    DEFAULT_RTOL,
    OPTIONS,
    SUITE,
    Z,
    Pricer,
    SuiteOptions,
    context,
    failure_budget,
    options,
    quote,
    register,
)
from finance_apps.testing.contracts import OptionContract
from finance_apps.testing.reference import ReferencePrice, reference_price
from rlcore.validation import validate_params

__all__ = [
    "check_agrees_with_black_scholes",
    "check_agrees_with_lattice",
    "check_bound_against_lattice",
    "check_monotone_in_maturity",
    "check_monotone_in_strike",
    "check_monotone_in_volatility",
    "check_no_arbitrage_bounds",
    "check_option_pricer",
    "check_price_interface",
    "check_put_call_parity",
    "pricer_checks",
]

_EARLY = ("american", "bermudan")
#: The statistical check draws contracts worth at least this fraction of ``max(spot, strike)``.
WORTHLESS = 1e-3


# ======================================================================== applicability
def _always(opts: SuiteOptions) -> str | None:
    return None


def _exact(opts: SuiteOptions) -> str | None:
    if not opts.exact:
        return f"it holds exact prices to identities, and bound={opts.bound!r} (an estimator)"
    return None


def _exact_with_early_exercise(opts: SuiteOptions) -> str | None:
    if not any(e in opts.exercise for e in _EARLY):
        return "it checks American and Bermudan prices, and exercise names neither"
    return _exact(opts)


def _exact_without_bermudan(opts: SuiteOptions) -> str | None:
    if not any(e in opts.exercise for e in ("european", "american")):
        return "it checks European and American prices (a Bermudan's dates move with the maturity)"
    return _exact(opts)


def _exact_parity(opts: SuiteOptions) -> str | None:
    if set(opts.kinds) != {"call", "put"}:
        return f"it compares calls with puts, and kinds={list(opts.kinds)!r}"
    return _exact_without_bermudan(opts)


def _estimator(opts: SuiteOptions) -> str | None:
    return "it checks a lower- or upper-bound estimator, and bound='exact'" if opts.exact else None


# ======================================================================== helpers
def _no_early_exercise(c: OptionContract) -> OptionContract:
    """``c`` moved to where early exercise is worthless: a call to ``dividend <= 0 <= rate``, a put to
    ``rate <= 0 <= dividend`` (a European contract is left as it is)."""
    if c.exercise == "european":
        return c
    if c.is_call:
        return dataclasses.replace(c, rate=max(c.rate, 0.0), dividend=min(c.dividend, 0.0))
    return dataclasses.replace(c, rate=min(c.rate, 0.0), dividend=max(c.dividend, 0.0))


@functools.lru_cache(maxsize=4096)
def _reference(c: OptionContract) -> ReferencePrice:
    """:func:`reference_price`, remembered: shrinking and the pricers of one session revisit contracts."""
    return reference_price(c)


def _bs(c: OptionContract) -> float:
    return float(black_scholes(c.kind, c.spot, c.strike, c.maturity, c.rate, c.vol, c.dividend))


# ======================================================================== the checks
@register(_always)
def check_price_interface(pricer: Pricer, opts: SuiteOptions, check: str) -> None:
    """The pricer returns a finite real price (an estimator: and a finite ``stderr >= 0``).

    On ``max_examples`` contracts drawn by :func:`option_contracts` in the pricer's scope;
    the answer is a real number (a Python or NumPy scalar, or a size-1 array), or an
    object whose ``price`` is one; an estimator (``bound`` "lower" or "upper") is called
    with ``rng=0`` and must also give ``stderr``.
    """

    @opts.settings()
    @given(c=opts.contracts())
    def run(c: OptionContract) -> None:
        quote(pricer, c, context(check, opts, c), opts)

    run()


@register(_exact)
def check_no_arbitrage_bounds(pricer: Pricer, opts: SuiteOptions, check: str) -> None:
    """The price lies within the model-free (no-arbitrage) bounds.

    With ``D_r = exp(-r T)`` and ``D_q = exp(-q T)`` (Merton 1973; Hull, *Options,
    Futures and Other Derivatives*, the chapter on the properties of stock options):

    * European call: ``max(S D_q - K D_r, 0) <= C <= S D_q``; put:
      ``max(K D_r - S D_q, 0) <= P <= K D_r``;
    * American and Bermudan (exercisable today): at least the intrinsic value ``(S -
      K)^+`` resp. ``(K - S)^+`` and the Black-Scholes European price; a call at most
      ``S max(1, D_q)`` (the stopped discounted stock ``S E[exp(-q tau)]``), a put at
      most ``K max(1, D_r)`` and, when ``r > 0`` and ``q >= 0``, the perpetual American put
      (:func:`finance_apps.perpetual_american_put`, the value with ``T = inf``);
    * when the pricer also prices European contracts: its European price is at most its
      American (Bermudan) price.

    Each inequality holds up to the pricer's tolerance ``atol + rtol max(S, K)`` per
    price.
    """

    @opts.settings()
    @given(c=opts.contracts())
    def run(c: OptionContract) -> None:
        ctx = context(check, opts, c)
        v = quote(pricer, c, ctx, opts).price
        tol = opts.tol(c)
        S, K, T, r, q = c.spot, c.strike, c.maturity, c.rate, c.dividend
        dr, dq = math.exp(-r * T), math.exp(-q * T)
        if c.exercise == "european":
            fwd = S * dq - K * dr if c.is_call else K * dr - S * dq
            lows = [("the discounted forward intrinsic value", max(fwd, 0.0))]
            highs = [("S exp(-qT)" if c.is_call else "K exp(-rT)", S * dq if c.is_call else K * dr)]
        else:
            lows = [("the intrinsic value", max(S - K, 0.0) if c.is_call else max(K - S, 0.0))]
            lows.append(("the Black-Scholes European price", _bs(c)))
            if c.is_call:
                highs = [("S max(1, exp(-qT))", S * max(1.0, dq))]
            else:
                highs = [("K max(1, exp(-rT))", K * max(1.0, dr))]
                if r > 0.0 and q >= 0.0:
                    highs.append(("the perpetual American put", float(perpetual_american_put(S, K, r, c.vol, q))))
        label, lo = max(lows, key=lambda x: x[1])
        ctx.check(v >= lo - tol, lambda: f"the price {v:.10g} is below {label} {lo:.10g} (tolerance {tol:.3g})")
        label, hi = min(highs, key=lambda x: x[1])
        ctx.check(v <= hi + tol, lambda: f"the price {v:.10g} exceeds {label} {hi:.10g} (tolerance {tol:.3g})")
        if c.exercise != "european" and "european" in opts.exercise:
            eu = dataclasses.replace(c, exercise="european", n_exercise=None)
            ctx = context(check, opts, c, eu)
            v_eu = quote(pricer, eu, ctx, opts).price
            ctx.check(
                v_eu <= v + 2 * tol,
                lambda: (
                    f"the European price {v_eu:.10g} exceeds the {c.exercise} price {v:.10g} (tolerance 2 x {tol:.3g})"
                ),
            )

    run()


@register(_exact)
def check_monotone_in_strike(pricer: Pricer, opts: SuiteOptions, check: str) -> None:
    """Prices are monotone, Lipschitz and convex in the strike.

    For strikes ``K1 < K2 < K3`` equally spaced by ``dK`` (every style; Merton 1973 for
    the European, the same argument under the supremum over stopping times for the
    American and Bermudan, whose payoffs are monotone, 1-Lipschitz and convex in
    ``K``): a call is non-increasing in ``K`` and a put non-decreasing;
    ``|V(K2) - V(K1)| <= dK exp(-rT)`` (European) or ``dK max(1, exp(-rT))`` (early
    exercise); ``V(K1) - 2 V(K2) + V(K3) >= 0``. Up to the pricer's tolerance per
    price.
    """

    @opts.settings()
    @given(c=opts.contracts(), dk=st.integers(1, 30))
    def run(c: OptionContract, dk: int) -> None:
        c2 = dataclasses.replace(c, strike=c.strike + dk)
        c3 = dataclasses.replace(c, strike=c.strike + 2 * dk)
        ctx = context(check, opts, c, c2, c3)
        v1, v2, v3 = (quote(pricer, x, ctx, opts).price for x in (c, c2, c3))
        tol = opts.tol(c3)
        disc = math.exp(-c.rate * c.maturity)
        slope = disc if c.exercise == "european" else max(1.0, disc)
        rise = v1 - v2 if c.is_call else v2 - v1
        direction = "increases" if c.is_call else "decreases"
        ctx.check(
            rise >= -2 * tol,
            lambda: (
                f"the price {direction} with the strike: {v1:.10g} at K = {c.strike:g}, {v2:.10g} at K = {c2.strike:g}"
            ),
        )
        ctx.check(
            abs(v2 - v1) <= dk * slope + 2 * tol,
            lambda: (
                f"the price moves by {abs(v2 - v1):.10g} between K = {c.strike:g} and {c2.strike:g}, more than "
                f"dK x {slope:.6g} = {dk * slope:.10g}"
            ),
        )
        ctx.check(
            v1 - 2 * v2 + v3 >= -4 * tol,
            lambda: (
                f"the price is not convex in the strike: V(K1) - 2 V(K2) + V(K3) = {v1 - 2 * v2 + v3:.6g} for {v1:.10g}, {v2:.10g}, {v3:.10g}"
            ),
        )

    run()


@register(_exact)
def check_monotone_in_volatility(pricer: Pricer, opts: SuiteOptions, check: str) -> None:
    """Prices are non-decreasing in the volatility (every kind and style).

    The payoffs are convex, and under geometric Brownian motion the value of a convex
    payoff, European or with early exercise, is non-decreasing in the volatility (El
    Karoui, Jeanblanc-Picque and Shreve 1998; for the European, the vega
    ``S exp(-qT) phi(d1) sqrt(T)`` is positive). Up to the pricer's tolerance per price.
    """

    @opts.settings()
    @given(c=opts.contracts(), dv=st.integers(1, 6))
    def run(c: OptionContract, dv: int) -> None:
        c2 = dataclasses.replace(c, vol=round(c.vol + dv / 20, 10))
        ctx = context(check, opts, c, c2)
        v1, v2 = (quote(pricer, x, ctx, opts).price for x in (c, c2))
        tol = opts.tol(c)
        ctx.check(
            v2 >= v1 - 2 * tol,
            lambda: (
                f"the price decreases with the volatility: {v1:.10g} at vol = {c.vol:g}, {v2:.10g} at vol = {c2.vol:g}"
            ),
        )

    run()


@register(_exact_without_bermudan)
def check_monotone_in_maturity(pricer: Pricer, opts: SuiteOptions, check: str) -> None:
    """American prices, and European ones where early exercise is worthless, are non-decreasing in the maturity.

    A longer American option can do everything the shorter one can (Merton 1973). A European price is not monotone in general (a deep in-the-money put
    with ``r > 0`` loses value with time): the check moves each drawn European contract
    to where it equals the American one (a call to ``dividend <= 0 <= rate``, a put to
    ``rate <= 0 <= dividend``; see :meth:`OptionContract.early_exercise_is_worthless`).
    Bermudan contracts are not checked: their dates move with the maturity. Up to the
    pricer's tolerance per price.
    """

    @opts.settings()
    @given(c=opts.contracts(exercise=("european", "american")), dt=st.integers(1, 20))
    def run(c: OptionContract, dt: int) -> None:
        if c.exercise == "european":
            c = _no_early_exercise(dataclasses.replace(c, exercise="american"))
            c = dataclasses.replace(c, exercise="european")
        c2 = dataclasses.replace(c, maturity=round(c.maturity + dt / 20, 10))
        ctx = context(check, opts, c, c2)
        v1, v2 = (quote(pricer, x, ctx, opts).price for x in (c, c2))
        tol = opts.tol(c)
        ctx.check(
            v2 >= v1 - 2 * tol,
            lambda: (
                f"the price decreases with the maturity: {v1:.10g} at T = {c.maturity:g}, {v2:.10g} at T = {c2.maturity:g}"
            ),
        )

    run()


@register(_exact_parity)
def check_put_call_parity(pricer: Pricer, opts: SuiteOptions, check: str) -> None:
    """European put-call parity, and its American inequalities.

    European: ``C - P = S exp(-qT) - K exp(-rT)`` (Stoll 1969; Merton 1973). American,
    for ``r >= 0`` and ``q >= 0`` (drawn contracts are moved there):
    ``S exp(-qT) - K <= C - P <= S - K exp(-rT)`` (Hull, op. cit., the put-call
    relations for American options, with a dividend yield). Up to the
    pricer's tolerance per price.
    """

    @opts.settings()
    @given(c=opts.contracts(exercise=("european", "american")))
    def run(c: OptionContract) -> None:
        if c.exercise == "american":
            c = dataclasses.replace(c, rate=max(c.rate, 0.0), dividend=max(c.dividend, 0.0))
        call, put = dataclasses.replace(c, kind="call"), dataclasses.replace(c, kind="put")
        ctx = context(check, opts, call, put)
        vc, vp = (quote(pricer, x, ctx, opts).price for x in (call, put))
        tol = 2 * opts.tol(c)
        S, K, T, r, q = c.spot, c.strike, c.maturity, c.rate, c.dividend
        diff = vc - vp
        if c.exercise == "european":
            fwd = S * math.exp(-q * T) - K * math.exp(-r * T)
            ctx.check(
                abs(diff - fwd) <= tol,
                lambda: (
                    f"put-call parity fails: C - P = {vc:.10g} - {vp:.10g} = {diff:.10g}, but S exp(-qT) - K exp(-rT) "
                    f"= {fwd:.10g} (off by {diff - fwd:.3g}, tolerance {tol:.3g})"
                ),
            )
            return
        lo, hi = S * math.exp(-q * T) - K, S - K * math.exp(-r * T)
        ctx.check(
            lo - tol <= diff <= hi + tol,
            lambda: (
                f"American put-call inequalities fail: C - P = {vc:.10g} - {vp:.10g} = {diff:.10g} is outside "
                f"[S exp(-qT) - K, S - K exp(-rT)] = [{lo:.10g}, {hi:.10g}] (tolerance {tol:.3g})"
            ),
        )

    run()


@register(_exact)
def check_agrees_with_black_scholes(pricer: Pricer, opts: SuiteOptions, check: str) -> None:
    """European prices, and American/Bermudan ones where early exercise is worthless, equal Black-Scholes.

    ``|V - BS| <= atol + rtol max(S, K)`` with the Black-Scholes-Merton price
    (:func:`finance_apps.black_scholes`). A drawn American or Bermudan contract is moved
    to where early exercise is worthless (an American call without dividends; in
    general a call with ``dividend <= 0 <= rate``, a put with ``rate <= 0 <=
    dividend``), where its value is the European one (Merton 1973: the discounted
    payoff is then a submartingale).
    """

    @opts.settings()
    @given(c=opts.contracts())
    def run(c: OptionContract) -> None:
        c = _no_early_exercise(c)
        ctx = context(check, opts, c)
        v = quote(pricer, c, ctx, opts).price
        ref, tol = _bs(c), opts.tol(c) + 1e-12 * max(c.spot, c.strike)
        ctx.check(
            abs(v - ref) <= tol,
            lambda: f"the price {v:.10g} differs from Black-Scholes {ref:.10g} by {v - ref:.3g} (tolerance {tol:.3g})",
        )

    run()


@register(_exact_with_early_exercise)
def check_agrees_with_lattice(pricer: Pricer, opts: SuiteOptions, check: str) -> None:
    """American and Bermudan prices agree with the fine reference lattice.

    ``|V - V_ref| <= atol + rtol max(S, K) + err_ref`` where ``V_ref`` and its error
    ``err_ref`` come from :func:`reference_price` (a 4000-step CRR tree, averaged over
    two sizes, its error estimated from the tree of half the size; Black-Scholes where
    early exercise is worthless).
    """

    @opts.settings()
    @given(c=opts.contracts(exercise=_EARLY))
    def run(c: OptionContract) -> None:
        ctx = context(check, opts, c)
        v = quote(pricer, c, ctx, opts).price
        ref = _reference(c)
        tol = opts.tol(c) + ref.error
        ctx.check(
            abs(v - ref.price) <= tol,
            lambda: (
                f"the price {v:.10g} differs from the reference {ref.price:.10g} ({ref.method}, error "
                f"{ref.error:.2g}) by {v - ref.price:.3g} (tolerance {tol:.3g})"
            ),
        )

    run()


@register(_estimator)
def check_bound_against_lattice(pricer: Pricer, opts: SuiteOptions, check: str) -> None:
    """A lower-bound estimate stays below the reference price, an upper-bound one above, within standard errors.

    On ``max_examples`` drawn contracts, each priced with ``rng=0, ..., n_seeds - 1``: a
    run *exceeds* when ``price - 3 stderr > V_ref + err_ref + tol`` (lower bound) or
    ``price + 3 stderr < V_ref - err_ref - tol`` (upper bound), with ``V_ref`` and
    ``err_ref`` from :func:`reference_price` (the fine lattice; Black-Scholes where early
    exercise is worthless) and ``tol = atol + rtol max(S, K)``.

    Failure budget: the check fails when more runs exceed than
    :func:`~finance_apps.testing.failure_budget` allows for their number ``N =
    max_examples x n_seeds``. For an estimator whose expectation is on the right side
    of the value and whose estimate is normal with the reported standard error (the
    central limit theorem's approximation), a run exceeds with probability at most
    ``1 - Phi(3) = 1.35e-3``, independently across seeds; the budget is the smallest
    ``b`` with ``P(Binomial(N, 1.35e-3) > b) < 1e-6`` (``N = 20``: more than 3 runs;
    ``N = 10``: more than 2), so a correct estimator fails with probability below
    ``1e-6``.

    Contracts worth less than ``1e-3 max(S, K)`` are not drawn: a simulation of a few
    thousand paths sees none of their rare in-the-money paths, its standard error is
    then 0 and the normal approximation says nothing.
    """
    runs: list[tuple[float, OptionContract, int, Any, Any]] = []

    @opts.settings()
    @given(c=opts.contracts())
    def run(c: OptionContract) -> None:
        ref = _reference(c)
        assume(ref.price >= WORTHLESS * max(c.spot, c.strike))
        for seed in range(opts.n_seeds):
            qt = quote(pricer, c, context(check, opts, c), opts, seed)
            se = float(qt.stderr or 0.0)
            slack = ref.error + opts.tol(c)
            if opts.bound == "lower":
                excess = (qt.price - Z * se) - (ref.price + slack)
            else:
                excess = (ref.price - slack) - (qt.price + Z * se)
            runs.append((excess, c, seed, qt, ref))

    run()
    bad = [r for r in runs if r[0] > 0]
    budget = failure_budget(len(runs))
    if len(bad) > budget:
        excess, c, seed, qt, ref = max(bad, key=lambda r: r[0])
        side = "above" if opts.bound == "lower" else "below"
        ctx = context(check, opts, c)
        ctx.call = {"rng": seed}
        raise ctx.fail(
            f"{len(bad)} of {len(runs)} runs put the {opts.bound} bound {side} the reference by more than {Z:g} "
            f"standard errors (budget {budget}); the worst: {qt} against the reference {ref.price:.10g} "
            f"({ref.method}, error {ref.error:.2g}), {excess:.3g} beyond"
        )


# ======================================================================== entry points
@validate_params(**OPTIONS)
def pricer_checks(
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
) -> Iterator[tuple[str, Any]]:
    """The applicable checks as ``(check_name, check)`` pairs, for ``pytest.mark.parametrize``.

    ``check()`` runs one check; its ``__name__`` is the pricer's name (the test id).

    Parameters
    ----------
    pricer : callable
    name, bound, kinds, exercise, dividends, max_examples, n_seeds, atol, rtol
        As in :func:`check_option_pricer`.

    Returns
    -------
    iterator of (str, callable)

    Raises
    ------
    TypeError, ValueError
        On a bad option (raised by the call, before any check runs).

    Examples
    --------
    >>> from finance_apps.testing import black_scholes_pricer
    >>> [n for n, _ in pricer_checks(black_scholes_pricer, exercise=["european"])][:3]
    ['check_price_interface', 'check_no_arbitrage_bounds', 'check_monotone_in_strike']
    """
    opts = options(pricer, name, bound, kinds, exercise, dividends, max_examples, n_seeds, atol, rtol)
    return SUITE.checks(pricer, opts, name=opts.name)


@validate_params(**OPTIONS)
def check_option_pricer(
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
    """Run every applicable contract check on ``pricer``; raise at the first breach.

    Parameters
    ----------
    pricer : callable
        ``pricer(contract) -> price``: a real number, or an object with a ``price`` and
        (estimators) a ``stderr``; an estimator is called as ``pricer(contract,
        rng=seed)``. Fix other options with :func:`functools.partial`.
    name : str, optional
        Name used in failure messages; default the pricer's ``__qualname__`` (with the
        keywords of a ``functools.partial``).
    bound : {"exact", "lower", "upper"}, default "exact"
        What the price claims to be: the value (within ``atol + rtol max(spot,
        strike)``), or an estimate whose expectation is at most (``"lower"``) or at
        least (``"upper"``) the value.
    kinds : list of {"call", "put"}, default both
        The kinds the pricer takes.
    exercise : list of {"european", "american", "bermudan"}, default European and American
        The styles the pricer takes.
    dividends : bool, default True
        The pricer takes a non-zero dividend yield.
    max_examples : int in [1, 10**4], default 10
        Hypothesis examples (contracts) per check.
    n_seeds : int in [1, 1000], default 2
        Seeds per contract for an estimator (``max_examples x n_seeds >= 3``).
    atol, rtol : float, default 1e-9
        An exact pricer's error: ``|price - value| <= atol + rtol max(spot, strike)``;
        every inequality is checked up to that much per price involved (a lattice of
        ``n`` steps needs ``rtol`` of order ``1/n``).

    Raises
    ------
    AssertionError
        At the first breach of the contract; the message starts with the check's name
        and names the pricer, the contract(s), the call and the numbers.
    TypeError, ValueError
        On a bad option.

    Guarantee
    ---------
    Every pricer the library ships passes every check that applies to it, and each
    deliberately broken pricer (one per kind of defect) fails the check for its defect.
    Tested by
    ``tests/finance_apps/test_pricer_contract.py::test_shipped_pricer_honours_the_contract``
    and ``tests/finance_apps/test_pricer_contract.py::test_broken_pricer_fails_its_check``.

    Examples
    --------
    >>> import functools
    >>> from finance_apps.testing import binomial_pricer, black_scholes_pricer
    >>> check_option_pricer(black_scholes_pricer, exercise=["european"], max_examples=3)
    >>> check_option_pricer(functools.partial(binomial_pricer, n_steps=2000), rtol=2e-3, max_examples=3)
    """
    for _, check in pricer_checks(
        pricer,
        name=name,
        bound=bound,
        kinds=kinds,
        exercise=exercise,
        dividends=dividends,
        max_examples=max_examples,
        n_seeds=n_seeds,
        atol=atol,
        rtol=rtol,
    ):
        check()
