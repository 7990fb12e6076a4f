"""QuantLib oracles for the stopping tests (an independent implementation)."""

from __future__ import annotations

from typing import Any


def ql_vanilla(
    ql: Any,
    kind: str,
    S: float,
    K: float,
    T: float,
    r: float,
    sig: float,
    q: float = 0.0,
    exercise: str = "american",
    engine: str = "fd",
    n: int = 2000,
) -> float:
    """Price with QuantLib; T is rounded to whole days of 365 (tests use T*365 integral)."""
    today = ql.Date(1, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    days = T * 365
    assert abs(days - round(days)) < 1e-9, "use maturities that are whole days"
    mat = today + int(round(days))
    payoff = ql.PlainVanillaPayoff(ql.Option.Put if kind == "put" else ql.Option.Call, K)
    ex = ql.AmericanExercise(today, mat) if exercise == "american" else ql.EuropeanExercise(mat)
    opt = ql.VanillaOption(payoff, ex)
    proc = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(S)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), sig, dc)),
    )
    if engine == "fd":
        opt.setPricingEngine(ql.FdBlackScholesVanillaEngine(proc, n, n))
    elif engine == "analytic":
        opt.setPricingEngine(ql.AnalyticEuropeanEngine(proc))
    else:
        opt.setPricingEngine(ql.BinomialVanillaEngine(proc, engine, n))
    return float(opt.NPV())
