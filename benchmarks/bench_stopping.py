"""Optimal stopping: lattice and least-squares Monte Carlo against QuantLib's engines.

Workload: the American put of Longstaff and Schwartz (2001), Table 1, first row
(S = 36, K = 40, r = 6%, sigma = 20%, T = 1 year), priced

* **on a binomial tree** with 5,000 steps (500 in ``--quick``): ours is
  ``finance_apps.binomial_price`` (compiled CRR backward induction); peers are
  QuantLib's ``BinomialVanillaEngine("crr")`` with the *same* steps (equal work: the same
  tree) and its ``FdBlackScholesVanillaEngine`` (Crank-Nicolson) on a grid chosen for a
  comparable accuracy (the error against the reference is printed for every row, so a
  fast answer that is not as accurate is not a win);
* **by least-squares Monte Carlo** with 50 exercise dates, Laguerre polynomials of
  degree 3, **100,000 calibration and 100,000 pricing paths** on every row (5,000 and
  10,000 in ``--quick``), an antithetic engine's 100,000 paths being 50,000 pairs: ours
  is ``finance_apps.longstaff_schwartz`` (its out-of-sample estimate) with antithetic
  variates and the European control variate, and, as further rows, with antithetic
  variates only (the like of QuantLib's antithetic engine) and plain; the peers
  are QuantLib's ``MCAmericanEngine`` **with antithetic variates** (calibration and
  pricing), plain, and with antithetic and its own (European) control variate. Every
  row is a lower-bound estimate of the 50-date Bermudan value and must land within 4
  standard errors (plus 0.02) of it.

**LSMC times are compared at equal standard error.** Monte Carlo work to a standard
error ``se`` grows as ``1 / se**2``, so each row's median time is normalised to the
target ``se_target = 0.005`` as ``time * (se / se_target)**2`` (``se`` the row's own
standard error of its pricing estimate, from its first call); the note under the table
lists the normalised times and the ratios ``ours / peer`` of normalised times (the raw
ratios in the table compare equal path counts, not equal accuracy). This is the usual
efficiency measure, work x variance (Glasserman 2004, section 1.1.3); it scales the whole
call, calibration included, as if its cost were proportional to the paths. Our control
variate is the closed-form European value at each path's stopping time with an estimated
coefficient (Rasmussen 2005); QuantLib's is the European payoff at maturity.

The reference is QuantLib's finite-difference engine on a 4000 x 4000 grid (American)
and our 20,000-step tree on the 50 exercise dates (Bermudan).

Run ``python -m benchmarks.bench_stopping [--quick] [--filter lsmc] [--json PATH]``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import Any


from benchmarks.harness import BenchResult, Case, Comparison, format_duration, run_suite

__all__ = ["bench_stopping", "main"]

S0, K, R, SIGMA, T = 36.0, 40.0, 0.06, 0.2, 1.0
N_DATES = 50
#: The standard error every LSMC time is normalised to.
SE_TARGET = 0.005


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
                antitheticVariate=mc["antithetic"],
                controlVariate=mc["control"],
                # an antithetic sample is a pair of paths: half as many samples, equal paths
                requiredSamples=mc["n_price"] // (2 if mc["antithetic"] else 1),
                seed=mc["seed"],
                polynomOrder=3,
                polynomType=ql.LsmBasisSystem.Laguerre,
                nCalibrationSamples=mc["n_calib"] // (2 if mc["antithetic"] else 1),
                antitheticVariateCalibration=mc["antithetic"],
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
    results: list[tuple[float, float]] = []

    def ours(**kw: bool) -> Any:
        def run() -> tuple[float, float]:
            res = fa.longstaff_schwartz(problem, model, n_calib, n_test_paths=n_price, rng=next(seeds), **kw)
            assert res.out_of_sample is not None
            return res.out_of_sample.price, res.out_of_sample.stderr

        return run

    def peer(opt: Any) -> tuple[float, float]:
        opt.recalculate()
        return float(opt.NPV()), float(opt.errorEstimate())

    def ql(antithetic: bool, control: bool) -> Any:
        return lambda: _ql_option(
            "mc", 0, n_calib=n_calib, n_price=n_price, seed=42, antithetic=antithetic, control=control
        )

    cases = (
        Case("finance_apps.longstaff_schwartz antithetic", ours(antithetic=True)),
        Case("finance_apps.longstaff_schwartz plain", ours()),
        Case("QuantLib MCAmericanEngine antithetic", peer, ql(True, False)),
        Case("QuantLib MCAmericanEngine plain", peer, ql(False, False)),
        Case("QuantLib MCAmericanEngine antithetic + control", peer, ql(True, True)),
    )
    names = ["finance_apps.longstaff_schwartz antithetic + control"] + [c.name for c in cases]

    def check(ours_out: Any, peer_out: Any) -> None:
        for price, se in ((ours_out,) if not results else ()) + (peer_out,):
            results.append((price, se))
            if abs(price - bermudan) > 4 * se + 0.02:
                raise AssertionError(f"LSMC price {price} +- {se} is off the Bermudan value {bermudan}")

    def annotate(result: BenchResult) -> str:
        ses = dict(zip(names, (se for _, se in results)))
        estimates = "; ".join(f"{n}: {p:.4f} +- {se:.4f}" for n, (p, se) in zip(names, results))
        norm = {}
        for row in result.rows:
            if row.median_s is not None and row.name in ses:
                norm[row.name] = row.median_s * (ses[row.name] / SE_TARGET) ** 2
        ours_norm = norm.get(names[0])
        eq = "; ".join(
            f"{n}: {format_duration(t)}" + ("" if ours_norm is None else f" (ours/this {ours_norm / t:.3g}x)")
            for n, t in norm.items()
        )
        return (
            f"Bermudan value (tree) {bermudan:.4f}; estimates: {estimates}; "
            f"times at equal standard error {SE_TARGET} (time x (se/{SE_TARGET})^2): {eq}"
        )

    return Comparison(
        title=f"LSMC American put, {N_DATES} dates, {n_calib} calibration + {n_price} pricing paths",
        ours=Case(names[0], ours(antithetic=True, control_variate=True)),
        peers=cases,
        check=check,
        annotate=annotate,
        note="raw times compare equal path counts; compare LSMC rows at equal standard error (below)",
    )


def bench_stopping(quick: bool) -> Iterator[Comparison]:
    """Lattice and LSMC comparisons on the Longstaff-Schwartz put."""
    yield _lattice_comparison(500 if quick else 5000, 400 if quick else 2000)
    yield _lsmc_comparison(5_000 if quick else 100_000, 10_000 if quick else 100_000)


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
