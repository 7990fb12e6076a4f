"""The contract suite of :mod:`finance_apps.testing`, run over every pricer the library ships.

Two halves, as ``tests/tabular/test_contract.py`` for the planners:

* every shipped pricer, through its adapter (Black-Scholes, ``bs_call_price``, the CRR
  lattice; least-squares Monte Carlo, the Andersen-Broadie dual and both sides of the
  price bracket, as lower- and upper-bound estimators), passes every check that
  applies to it, one pytest test per (pricer, check);
* deliberately broken pricers, one per kind of defect, fail the check written for their
  defect, with a message naming the check, the pricer, the contract (which pastes back)
  and the numbers.

The independent sources: the Black-Scholes formula and the model-free bounds (closed
forms), the suite's own lattice (:func:`finance_apps.testing.reference_price`, sharing
no code with :func:`finance_apps.binomial_price`), checked here against QuantLib's
finite-difference engine.
"""

from __future__ import annotations

import functools
import math
import re
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest
from hypothesis import given

from finance_apps import GeometricBrownianMotion, binomial_price, black_scholes
from finance_apps.payoffs import Call, Put
from finance_apps.testing import (
    OptionContract,
    PriceEstimate,
    andersen_broadie_pricer,
    binomial_pricer,
    black_scholes_pricer,
    bs_call_pricer,
    check_agrees_with_black_scholes,
    check_agrees_with_lattice,
    check_bound_against_lattice,
    check_monotone_in_maturity,
    check_monotone_in_strike,
    check_monotone_in_volatility,
    check_no_arbitrage_bounds,
    check_option_pricer,
    check_price_interface,
    check_put_call_parity,
    failure_budget,
    lsmc_pricer,
    option_contracts,
    price_bracket_pricer,
    pricer_checks,
    reference_price,
)
from rlcore.testing.contract import derandomized

MAX_EXAMPLES = 10  # contracts per check and pricer
ALL_STYLES = ["european", "american", "bermudan"]

P = functools.partial
#: (id, pricer, options of the suite).
PRICERS: list[tuple[str, Any, dict[str, Any]]] = [
    ("black_scholes", black_scholes_pricer, {"exercise": ["european"]}),
    ("bs_call_price", bs_call_pricer, {"kinds": ["call"], "exercise": ["european"], "dividends": False}),
    # the CRR tree's error is O(1/n): 3e-4 max(S, K) at 500 steps passed 200 contracts per check
    ("binomial_price[n=500]", P(binomial_pricer, n_steps=500), {"exercise": ALL_STYLES, "rtol": 1e-3}),
    ("longstaff_schwartz", lsmc_pricer, {"bound": "lower", "exercise": ALL_STYLES}),
    ("andersen_broadie", andersen_broadie_pricer, {"bound": "upper", "exercise": ["european", "bermudan"]}),
    ("price_bracket[lower]", P(price_bracket_pricer, side="lower"), {"bound": "lower", "exercise": ALL_STYLES}),
    (
        "price_bracket[upper]",
        P(price_bracket_pricer, side="upper"),
        {"bound": "upper", "kinds": ["put"], "exercise": ["bermudan"]},
    ),
]


def _contract_cases() -> list[Any]:
    cases = []
    for pid, pricer, options in PRICERS:
        for check_name, check in pricer_checks(pricer, name=pid, max_examples=MAX_EXAMPLES, **options):
            cases.append(pytest.param(check, id=f"{pid}-{check_name}"))
    return cases


@pytest.mark.parametrize("check", _contract_cases())
def test_shipped_pricer_honours_the_contract(check):
    check()


def test_every_pricer_gets_every_applicable_check():
    names = {pid: [n for n, _ in pricer_checks(p, **o)] for pid, p, o in PRICERS}
    exact = [
        "check_price_interface",
        "check_no_arbitrage_bounds",
        "check_monotone_in_strike",
        "check_monotone_in_volatility",
        "check_monotone_in_maturity",
        "check_put_call_parity",
        "check_agrees_with_black_scholes",
        "check_agrees_with_lattice",
    ]
    assert names["binomial_price[n=500]"] == exact
    assert names["black_scholes"] == [n for n in exact if n != "check_agrees_with_lattice"]
    # calls only: no parity
    assert names["bs_call_price"] == [
        n for n in exact if n not in ("check_agrees_with_lattice", "check_put_call_parity")
    ]
    for pid in ("longstaff_schwartz", "andersen_broadie", "price_bracket[lower]", "price_bracket[upper]"):
        assert names[pid] == ["check_price_interface", "check_bound_against_lattice"]
    with pytest.raises(ValueError, match=r"^pricer: check_put_call_parity does not apply to 'bs_call_pricer'"):
        check_put_call_parity(bs_call_pricer, kinds=["call"], exercise=["european"], dividends=False)
    with pytest.raises(ValueError, match=r"^pricer: check_bound_against_lattice does not apply"):
        check_bound_against_lattice(black_scholes_pricer, exercise=["european"])
    with pytest.raises(ValueError, match=r"^pricer: check_monotone_in_strike does not apply"):
        check_monotone_in_strike(lsmc_pricer, bound="lower")
    with pytest.raises(ValueError, match=r"^pricer: check_agrees_with_lattice does not apply"):
        check_agrees_with_lattice(black_scholes_pricer, exercise=["european"])


# ----------------------------------------------------------------------------- broken pricers
def _bs(c: OptionContract, **change: Any) -> float:
    args = dict(spot=c.spot, strike=c.strike, maturity=c.maturity, rate=c.rate, vol=c.vol, dividend=c.dividend)
    args.update(change)
    return float(black_scholes(c.kind, **args))


def parity_without_dividend(c: OptionContract) -> float:
    """Calls by Black-Scholes, puts from the call by put-call parity with the dividend forgotten."""
    call = (
        _bs(c) if c.is_call else float(black_scholes("call", c.spot, c.strike, c.maturity, c.rate, c.vol, c.dividend))
    )
    if c.is_call:
        return call
    return call - c.spot + c.strike * math.exp(-c.rate * c.maturity)


def vega_sign_flipped(c: OptionContract) -> float:
    """A quote at 20 % volatility adjusted to the contract's by a first-order vega term of the wrong sign."""
    h = 1e-4
    base = _bs(c, vol=0.2)
    vega = (_bs(c, vol=0.2 + h) - _bs(c, vol=0.2 - h)) / (2 * h)
    return base - vega * (c.vol - 0.2)


def european_for_american(c: OptionContract) -> float:
    """Forgets early exercise: every contract at its European (Black-Scholes) price."""
    return _bs(c)


def strike_for_american_puts(c: OptionContract) -> float:
    """Quotes an American put at its largest payoff, the strike (the payoff at a spot of 0)."""
    return c.strike if not c.is_call and c.exercise == "american" else _bs(c)


def spot_and_strike_swapped(c: OptionContract) -> float:
    """Passes the strike as the spot and the spot as the strike."""
    return _bs(c, spot=c.strike, strike=c.spot)


def maturity_as_time_since_issue(c: OptionContract) -> float:
    """Reads the maturity as the time elapsed since the issue of a 3-year option, on the CRR tree."""
    payoff = (Call if c.is_call else Put)(c.strike)
    left = max(0.05, 3.0 - c.maturity)
    return binomial_price(payoff, c.spot, c.vol, c.rate, left, 300, dividend=c.dividend, exercise=c.exercise).price


def dividend_left_out_of_d1(c: OptionContract) -> float:
    """Black-Scholes-Merton with the dividend discounted from the spot but left out of ``d1`` and ``d2``."""
    sd = c.vol * math.sqrt(c.maturity)
    d1 = (math.log(c.spot / c.strike) + (c.rate + 0.5 * c.vol**2) * c.maturity) / sd
    d2 = d1 - sd
    N = lambda x: 0.5 * math.erfc(-x / math.sqrt(2.0))  # noqa: E731
    fwd, strike = c.spot * math.exp(-c.dividend * c.maturity), c.strike * math.exp(-c.rate * c.maturity)
    if c.is_call:
        return fwd * N(d1) - strike * N(d2)
    return strike * N(-d2) - fwd * N(-d1)


def price_in_a_dict(c: OptionContract) -> Any:
    """Right numbers in the wrong wrapper: a dict instead of a number or an object with ``price``."""
    return {"price": _bs(c)}


def perfect_foresight(c: OptionContract, *, rng: Any = None) -> PriceEstimate:
    """A 'lower bound' that exercises each path at its best date in hindsight (it sees the future)."""
    n = c.n_exercise or 20
    times = np.linspace(0.0, c.maturity, n + 1) if c.exercise != "european" else np.array([0.0, c.maturity])
    model = GeometricBrownianMotion(c.spot, c.vol, c.rate, times, dividend=c.dividend)
    prices = model.simulate(2000, rng)[..., 0]
    pay = np.maximum(prices - c.strike, 0.0) if c.is_call else np.maximum(c.strike - prices, 0.0)
    best = (pay * np.exp(-c.rate * times)).max(axis=1)
    return PriceEstimate(float(best.mean()), float(best.std(ddof=1) / math.sqrt(best.size)))


def european_as_upper_bound(c: OptionContract, *, rng: Any = None) -> PriceEstimate:
    """An 'upper bound' that is the European price (forgets early exercise), with a zero standard error."""
    return PriceEstimate(_bs(c), 0.0)


def upper_bound_without_stderr(c: OptionContract, *, rng: Any = None) -> float:
    """An estimator that returns a bare number: nothing says how far off it may be."""
    return _bs(c) + 1.0


#: (pricer, options, the check it must fail, start of the message)
BROKEN = [
    (parity_without_dividend, {}, check_put_call_parity, "put-call parity fails: C - P = "),
    (vega_sign_flipped, {}, check_monotone_in_volatility, "the price decreases with the volatility"),
    (european_for_american, {}, check_no_arbitrage_bounds, "is below the intrinsic value"),
    (european_for_american, {"exercise": ["bermudan"]}, check_agrees_with_lattice, "differs from the reference"),
    (
        dividend_left_out_of_d1,
        {"exercise": ["european"]},
        check_agrees_with_black_scholes,
        "differs from Black-Scholes",
    ),
    (spot_and_strike_swapped, {}, check_monotone_in_strike, "with the strike"),
    (maturity_as_time_since_issue, {}, check_monotone_in_maturity, "the price decreases with the maturity"),
    (price_in_a_dict, {"exercise": ["european"]}, check_price_interface, "expected a real number"),
    (
        strike_for_american_puts,
        {"kinds": ["put"], "exercise": ["american"]},
        check_no_arbitrage_bounds,
        "exceeds the perpetual American put",
    ),
    (
        perfect_foresight,
        {"bound": "lower", "kinds": ["put"], "exercise": ["american", "bermudan"]},
        check_bound_against_lattice,
        "put the lower bound above the reference by more than 3 standard errors",
    ),
    (
        european_as_upper_bound,
        {"bound": "upper", "kinds": ["put"], "exercise": ["bermudan"]},
        check_bound_against_lattice,
        "put the upper bound below the reference by more than 3 standard errors",
    ),
    (
        upper_bound_without_stderr,
        {"bound": "upper", "kinds": ["put"], "exercise": ["bermudan"]},
        check_price_interface,
        "without a 'stderr'",
    ),
]

_CONTRACT_IN_MESSAGE = re.compile(r"OptionContract\([^)]*\)")


@pytest.mark.parametrize(
    ("pricer", "options", "check", "message"),
    BROKEN,
    ids=[f"{p.__name__}-{c.__name__}" for p, _, c, _ in BROKEN],
)
def test_broken_pricer_fails_its_check(pricer, options, check, message):
    with pytest.raises(AssertionError) as info:
        check(pricer, max_examples=MAX_EXAMPLES, **options)
    text = str(info.value)
    # the message names the check and the pricer, then the contract(s), the call and the numbers
    assert text.startswith(f"{check.__name__}: pricer {pricer.__name__!r} on OptionContract(")
    assert message in text
    assert ", called with {" in text
    assert re.search(r"\d\.\d", text.split(": ", 2)[-1])  # numbers
    # every contract in the message pastes back as the contract it prints
    shown = _CONTRACT_IN_MESSAGE.findall(text)
    assert shown
    for code in shown:
        contract = eval(code, {"OptionContract": OptionContract})
        assert repr(contract) == code


def test_broken_pricers_cover_every_kind_of_defect():
    """At least one broken pricer per check of exact prices and of estimators; three or more in all."""
    caught = {c.__name__ for _, _, c, _ in BROKEN}
    assert caught == {n for n, _ in pricer_checks(binomial_pricer, exercise=ALL_STYLES)} | {
        "check_bound_against_lattice"
    }
    assert len({p for p, _, _, _ in BROKEN}) >= 3


def test_the_whole_suite_stops_at_the_first_breach():
    with pytest.raises(AssertionError, match=r"^check_no_arbitrage_bounds: pricer 'european_for_american' on "):
        check_option_pricer(european_for_american, max_examples=MAX_EXAMPLES)


def test_a_pasted_failing_contract_reproduces_the_breach():
    """The contract a failure prints is one the broken pricer gets wrong."""
    with pytest.raises(AssertionError) as info:
        check_put_call_parity(parity_without_dividend, max_examples=MAX_EXAMPLES)
    call_code, put_code = _CONTRACT_IN_MESSAGE.findall(str(info.value))
    call, put = (eval(code, {"OptionContract": OptionContract}) for code in (call_code, put_code))
    S, K, T, r, q = call.spot, call.strike, call.maturity, call.rate, call.dividend
    gap = parity_without_dividend(call) - parity_without_dividend(put) - (S * math.exp(-q * T) - K * math.exp(-r * T))
    assert abs(gap) > 1e-6


# ----------------------------------------------------------------------------- the reference
def _ql_american(ql: Any, c: OptionContract, n: int) -> float:
    from tests.finance_apps._quantlib import ql_vanilla

    return ql_vanilla(ql, c.kind, c.spot, c.strike, c.maturity, c.rate, c.vol, c.dividend, engine="fd", n=n)


@pytest.mark.slow
def test_reference_error_is_honest():
    """The reference's stated error covers its distance to QuantLib's finite differences (American) and
    to the library's CRR tree at 12000 steps (Bermudan), each with its own error estimate."""
    ql = pytest.importorskip("QuantLib")
    seen = {"american": 0, "bermudan": 0}

    @derandomized(14)
    @given(
        c=option_contracts(kinds=["put"], exercise=["american", "bermudan"])
        | option_contracts(exercise=["american", "bermudan"])
    )
    def run(c: OptionContract) -> None:
        if c.exercise == "american":  # QuantLib counts whole days: maturities 73 days apart
            c = OptionContract(
                c.kind, "american", c.spot, c.strike, 0.2 * max(1, round(c.maturity / 0.2)), c.rate, c.vol, c.dividend
            )
        ref = reference_price(c)
        if ref.method == "black_scholes":
            return
        seen[c.exercise] += 1
        if c.exercise == "american":
            coarse, fine = _ql_american(ql, c, 500), _ql_american(ql, c, 1000)
            other, other_err = 2 * fine - coarse, abs(fine - coarse)  # Richardson, first order
        else:
            payoff = (Call if c.is_call else Put)(c.strike)
            m = int(c.n_exercise)
            crr = [
                binomial_price(
                    payoff, c.spot, c.vol, c.rate, c.maturity, k * m, dividend=c.dividend, exercise=c.exercise_dates()
                ).price
                for k in (6000 // m, 6000 // m + 1, 12000 // m, 12000 // m + 1)
            ]
            other, other_err = (crr[2] + crr[3]) / 2, 2 * abs((crr[2] + crr[3]) / 2 - (crr[0] + crr[1]) / 2)
        assert abs(ref.price - other) <= ref.error + other_err + 1e-9, (c, ref, other, other_err)

    run()
    assert seen["american"] >= 3 and seen["bermudan"] >= 3, seen


def test_reference_against_closed_forms_and_a_published_value():
    # European: the Black-Scholes price, exactly
    eu = OptionContract("put", "european", 100.0, 110.0, 0.5, 0.03, 0.25, 0.01)
    assert reference_price(eu).price == black_scholes("put", 100.0, 110.0, 0.5, 0.03, 0.25, 0.01)
    # an American call without dividends is the European call (Merton 1973)
    am_call = OptionContract("call", "american", 100.0, 110.0, 0.5, 0.03, 0.25)
    assert reference_price(am_call).method == "black_scholes"
    # Longstaff and Schwartz (2001), Table 1, S = 36, sigma = 0.2, T = 1: finite-difference value 4.478;
    # the accurate value is 4.4867 (high-resolution trees and finite differences)
    ref = reference_price(OptionContract("put", "american", 36.0, 40.0, 1.0, 0.06, 0.2))
    assert abs(ref.price - 4.4867) <= ref.error + 1e-4
    with pytest.raises(TypeError, match=r"^contract: "):
        reference_price((36.0, 40.0))
    with pytest.raises(ValueError, match=r"^n_steps: "):
        reference_price(eu, n_steps=4)


# ----------------------------------------------------------------------------- contracts and strategy
@derandomized(50)
@given(c=option_contracts(exercise=ALL_STYLES, negative_rates=True))
def test_drawn_contracts_paste_back_and_stay_in_range(c):
    assert eval(repr(c), {"OptionContract": OptionContract}) == c
    assert 50 <= c.spot <= 150 and 50 <= c.strike <= 150 and 0.05 <= c.maturity <= 2.0
    assert 0.05 <= c.vol <= 0.6 and -0.05 <= c.rate <= 0.1 and -0.05 <= c.dividend <= 0.08
    assert (c.n_exercise is not None) == (c.exercise == "bermudan")


def test_contract_and_strategy_refuse_bad_input():
    with pytest.raises(ValueError, match=r"^n_exercise: a bermudan contract takes n_exercise=an int"):
        OptionContract("put", "bermudan", 100.0, 100.0, 1.0, 0.05, 0.2)
    with pytest.raises(ValueError, match=r"^n_exercise: a american contract takes n_exercise=None"):
        OptionContract("put", "american", 100.0, 100.0, 1.0, 0.05, 0.2, n_exercise=3)
    with pytest.raises(ValueError, match=r"^spot: "):
        OptionContract("put", "american", -1.0, 100.0, 1.0, 0.05, 0.2)
    with pytest.raises(ValueError, match=r"^kind: "):
        OptionContract("straddle", "american", 100.0, 100.0, 1.0, 0.05, 0.2)
    with pytest.raises(ValueError, match=r"^exercise\[0\]: "):
        option_contracts(exercise=["asian"])
    with pytest.raises(ValueError, match=r"^max_vol: "):
        option_contracts(max_vol=0.0)
    with pytest.raises(ValueError, match=r"^contract: black_scholes prices European contracts only"):
        black_scholes_pricer(OptionContract("put", "american", 100.0, 100.0, 1.0, 0.05, 0.2))
    with pytest.raises(ValueError, match=r"^contract: andersen_broadie bounds the value of a Bermudan"):
        andersen_broadie_pricer(OptionContract("put", "american", 100.0, 100.0, 1.0, 0.05, 0.2))


# ----------------------------------------------------------------------------- the suite's own API
def test_suite_options_are_validated():
    with pytest.raises(TypeError, match=r"^pricer: "):
        check_option_pricer("black_scholes")
    with pytest.raises(ValueError, match=r"^bound: "):
        check_option_pricer(black_scholes_pricer, bound="middle")
    with pytest.raises(ValueError, match=r"^kinds: lists a value twice"):
        check_option_pricer(black_scholes_pricer, kinds=["call", "call"])
    with pytest.raises(ValueError, match=r"^exercise\[0\]: "):
        pricer_checks(black_scholes_pricer, exercise=["asian"])  # refused by the call, before any check runs
    with pytest.raises(ValueError, match=r"^rtol: "):
        check_option_pricer(black_scholes_pricer, rtol=1.0)
    with pytest.raises(TypeError, match=r"^max_examples: "):
        check_option_pricer(black_scholes_pricer, max_examples=2.5)
    with pytest.raises(ValueError, match=r"^pricer: a lower-bound estimator is called with rng"):
        check_option_pricer(black_scholes_pricer, bound="lower")
    with pytest.raises(ValueError, match=r"^n_seeds: max_examples \* n_seeds = 2 runs are too few"):
        check_bound_against_lattice(lsmc_pricer, bound="lower", max_examples=2, n_seeds=1)
    (_, check), *_ = pricer_checks(P(binomial_pricer, n_steps=50))
    assert check.__name__ == "binomial_pricer(n_steps=50)"


def test_failure_budget_against_the_binomial_tail():
    """The budget is the smallest b with P(Binomial(N, 1 - Phi(3)) > b) < 1e-6, summed here term by term."""
    p = 0.5 * math.erfc(3.0 / math.sqrt(2.0))

    def tail(b: int, n: int) -> float:
        return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(b + 1, n + 1))

    for n in (3, 10, 20, 57, 200):
        b = failure_budget(n)
        assert tail(b, n) < 1e-6 <= tail(b - 1, n) if b > 0 else tail(0, n) < 1e-6


def test_import_finance_apps_does_not_import_the_suite():
    code = textwrap.dedent(
        """
        import sys
        import finance_apps
        print(sorted(m for m in ("finance_apps.testing", "hypothesis", "rlcore.testing") if m in sys.modules))
        """
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


#: Top-level modules of the heavy extras (reference libraries, type checker, torch): the
#: light ``hypothesis`` extra does not install them.
_HEAVY = ("mypy", "mdptoolbox", "quantecon", "sklearn", "QuantLib", "markovianbandit", "torch")


def test_the_suite_needs_only_the_light_extra():
    code = textwrap.dedent(
        f"""
        import importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {_HEAVY!r}:
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        import functools
        from finance_apps.testing import binomial_pricer, check_option_pricer, lsmc_pricer
        check_option_pricer(functools.partial(binomial_pricer, n_steps=200), rtol=3e-3, max_examples=2)
        check_option_pricer(lsmc_pricer, bound="lower", kinds=["put"], exercise=["american"], max_examples=2)
        print("ok", sorted(m for m in sys.modules if m.split(".")[0] in {_HEAVY!r}))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1] == "ok []", out.stdout


def test_without_hypothesis_the_import_names_the_extra():
    code = textwrap.dedent(
        """
        import importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "hypothesis":
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        import finance_apps  # works without hypothesis
        try:
            import finance_apps.testing
        except ImportError as exc:
            print(exc)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert 'pip install "rlref[hypothesis]"' in out.stdout
