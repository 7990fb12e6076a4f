"""Optimal stopping: lattice and least-squares Monte Carlo against QuantLib's engines.

Workload: the American put of Longstaff and Schwartz (2001), Table 1, first row
(S = 36, K = 40, r = 6%, sigma = 20%, T = 1 year), priced

* **on a binomial tree** with the same number of steps: ours is
  ``finance_apps.binomial_price`` (compiled CRR backward induction); peers are
  QuantLib's ``BinomialVanillaEngine("crr")`` with the same steps and its
  ``FdBlackScholesVanillaEngine`` (Crank-Nicolson) on a grid chosen for the *same
  accuracy* (the error against the reference is printed for every row, so a fast
  answer that is not as accurate is not a win);
* **by least-squares Monte Carlo** with 50 exercise dates, Laguerre polynomials of
  degree 3, 20,000 calibration and 50,000 pricing paths: ours is
  ``finance_apps.longstaff_schwartz`` (its out-of-sample estimate); the peer is
  QuantLib's ``MCAmericanEngine`` with the same settings. Both are lower-bound
  estimates of the 50-date Bermudan value; both must land within 4 standard errors
  (plus 0.02) of it.

The reference is QuantLib's finite-difference engine on a 4000 x 4000 grid (American)
and our 20,000-step tree on the 50 exercise dates (Bermudan).

Run ``python -m benchmarks.bench_stopping [--quick] [--filter lsmc] [--json PATH]``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import Any


from benchmarks.harness import BenchResult, Case, Comparison, run_suite

__all__ = ["bench_stopping", "main"]

S0, K, R, SIGMA, T = 36.0, 40.0, 0.06, 0.2, 1.0
N_DATES = 50


def _ql_option(engine: str, n: int, **mc: Any) -> Any:
    import QuantLib as ql

    today = ql.Date(1, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    proc = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(S0)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, R, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), SIGMA, dc)),
    )
    opt = ql.VanillaOption(ql.PlainVanillaPayoff(ql.Option.Put, K), ql.AmericanExercise(today, today + 365))
    if engine == "fd":
        opt.setPricingEngine(ql.FdBlackScholesVanillaEngine(proc, n, n))
    elif engine == "crr":
        opt.setPricingEngine(ql.BinomialVanillaEngine(proc, "crr", n))
    else:
        opt.setPricingEngine(
            ql.MCAmericanEngine(
                proc,
                "pseudorandom",
                timeSteps=N_DATES,
                requiredSamples=mc["n_price"],
                seed=mc["seed"],
                polynomOrder=3,
                polynomType=ql.LsmBasisSystem.Laguerre,
                nCalibrationSamples=mc["n_calib"],
            )
        )
    return opt


def _reset(opt: Any) -> float:
    opt.recalculate()  # QuantLib caches NPV(); force the engine to run again
    return float(opt.NPV())


def _lattice_comparison(n_steps: int, fd_grid: int) -> Comparison:
    import finance_apps as fa

    put = fa.Put(K)
    errors: list[str] = []
    ref: list[float] = []

    def reference() -> float:
        if not ref:
            ref.append(float(_ql_option("fd", 4000).NPV()))
        return ref[0]

    def check(ours_out: Any, peer_out: Any) -> None:
        for out in ((ours_out,) if not errors else ()) + (peer_out,):
            err = abs(float(out) - reference())
            errors.append(f"{err:.1e}")
            if err > 5e-3:
                raise AssertionError(f"price {out} is {err:.1e} from the reference {reference()}")

    names = [
        f"finance_apps.binomial_price (CRR, {n_steps} steps)",
        f"QuantLib BinomialVanillaEngine crr {n_steps}",
        f"QuantLib FdBlackScholesVanillaEngine {fd_grid}x{fd_grid}",
    ]

    def annotate(result: BenchResult) -> str:
        return f"reference {reference():.6f}; |error|: " + "; ".join(f"{n}: {e}" for n, e in zip(names, errors))

    return Comparison(
        title=f"American put on a lattice, {n_steps} steps",
        ours=Case(names[0], lambda: fa.binomial_price(put, S0, SIGMA, R, T, n_steps).price),
        peers=(
            Case(names[1], _reset, lambda: _ql_option("crr", n_steps)),
            Case(names[2], _reset, lambda: _ql_option("fd", fd_grid)),
        ),
        check=check,
        annotate=annotate,
        note="QuantLib rebuilds its tree per call, as ours does; the FD grid is chosen for a comparable error",
    )


def _lsmc_comparison(n_calib: int, n_price: int) -> Comparison:
    import finance_apps as fa

    problem = fa.StoppingProblem.american(fa.Put(K), T, R, n_steps=N_DATES)
    model = fa.GeometricBrownianMotion(S0, SIGMA, R, problem.grid())
    bermudan = fa.binomial_price(fa.Put(K), S0, SIGMA, R, T, 20_000, exercise=problem.exercise_dates).price
    seeds = iter(range(10**6))
    results: list[str] = []

    def ours() -> tuple[float, float]:
        res = fa.longstaff_schwartz(problem, model, n_calib, n_test_paths=n_price, rng=next(seeds))
        assert res.out_of_sample is not None
        return res.out_of_sample.price, res.out_of_sample.stderr

    def peer(opt: Any) -> tuple[float, float]:
        opt.recalculate()
        return float(opt.NPV()), float(opt.errorEstimate())

    def check(ours_out: Any, peer_out: Any) -> None:
        for price, se in ((ours_out,) if not results else ()) + (peer_out,):
            results.append(f"{price:.4f} +- {se:.4f}")
            if abs(price - bermudan) > 4 * se + 0.02:
                raise AssertionError(f"LSMC price {price} +- {se} is off the Bermudan value {bermudan}")

    def annotate(result: BenchResult) -> str:
        return f"Bermudan value (tree) {bermudan:.4f}; estimates: " + "; ".join(results)

    return Comparison(
        title=f"LSMC American put, {N_DATES} dates, {n_calib} calibration + {n_price} pricing paths",
        ours=Case("finance_apps.longstaff_schwartz (out-of-sample)", ours),
        peers=(
            Case(
                "QuantLib MCAmericanEngine (LSM, Laguerre 3)",
                peer,
                lambda: _ql_option("mc", 0, n_calib=n_calib, n_price=n_price, seed=42),
            ),
        ),
        check=check,
        annotate=annotate,
    )


def bench_stopping(quick: bool) -> Iterator[Comparison]:
    """Lattice and LSMC comparisons on the Longstaff-Schwartz put."""
    yield _lattice_comparison(500 if quick else 2000, 400 if quick else 1000)
    yield _lsmc_comparison(5_000 if quick else 20_000, 10_000 if quick else 50_000)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see :func:`benchmarks.harness.run_suite` for options."""
    return run_suite(
        [bench_stopping],
        argv,
        prog="python -m benchmarks.bench_stopping",
        description=__doc__.split("\n\n")[0],
        packages=("rlref", "QuantLib"),
    )


if __name__ == "__main__":
    sys.exit(main())
