"""Deep hedging: training epochs per second and risk reached, against pfhedge; K-FAC vs Adam.

The problem (the same for everyone): Black-Scholes stock, spot 1, volatility 0.2, zero
rate; an at-the-money call with maturity 20 trading days; 20 daily rebalancings;
proportional cost 0.002; entropic risk with risk aversion 50 (the risk aversion must
match the price scale, see the tutorial). One *epoch* is one optimiser update on a
minibatch of 1024 paths (pfhedge's ``Hedger.fit`` epoch).

Comparisons:

* **Adam epochs** (timed): ours, :func:`finance_apps.deep.train_hedger` with a
  feed-forward semi-recurrent hedger of 4 hidden layers of 32 (pfhedge's default
  ``MultiLayerPerceptron``), Adam at learning rate 0.001 (pfhedge's default), against
  pfhedge's ``Hedger(MultiLayerPerceptron(), ["log_moneyness", "time_to_maturity",
  "volatility", "prev_hedge"], EntropicRiskMeasure(50))`` with ``fit(validation=False)``,
  and against our K-FAC step on the same network. The note gives epochs per second
  and, for pfhedge, the rate of its training loop alone (the subprocess call includes
  the interpreter start and the imports).
* **Risk reached** (one run each, ``--quick``: fewer epochs): the entropic risk of the
  trained hedger on 20000 fresh paths after the same number of epochs, ours (Adam and
  K-FAC) and pfhedge (Adam), each at learning rate 0.001 (K-FAC with damping 3e-4 and
  KL clip 1e-5, its best feed-forward setting on the grid below).
* **K-FAC vs Adam** on the LSTM hedger of the seed paper and on the feed-forward
  hedger, on the Black-Scholes paths and (LSTM) on Heston paths (variance 0.04 =
  long-run variance, mean reversion 1, vol of variance 0.5, correlation -0.7; the
  instantaneous volatility is an extra feature): same seeds (initial weights,
  minibatches), same budget. Both optimisers are tuned on a small grid (``ADAM_LRS``:
  learning rates; ``KFAC_GRID``: learning rate with damping and KL clip) and the best
  of each, by mean final test risk over the seeds, is compared: the number of updates
  K-FAC needs to reach Adam's final test risk divided by Adam's number of updates (the
  budget), per seed and as a median; "strict" uses as target the lowest final risk of
  any Adam learning rate on that seed. The grid's mean final risks are printed too.
  Near the optimum the final risks of both differ by a few 1e-5, of the order of the
  minibatch noise, so the ratios move from seed to seed.

Differences that remain: ours trains on a fixed set of simulated scenarios and draws
minibatches from it (the deep-hedging setting of Buehler et al.), pfhedge simulates new
paths every epoch (its simulation time is part of its epoch); pfhedge also outputs a
holding at maturity, whose trade is charged a cost (the network learns not to make it).

pfhedge pins old dependencies, so it runs in its own virtual environment as a
subprocess: set ``RLREF_PFHEDGE_PYTHON`` to that environment's ``python`` (a plain venv
with ``torch==2.13.0`` and the pfhedge wheel). Without it, or if pfhedge does not import
there, the peer is reported as not installed and the benchmark still succeeds.

Run ``python -m benchmarks.bench_hedging [--quick] [--filter Adam] [--json PATH]``.
"""

from __future__ import annotations

import functools
import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from benchmarks.harness import BenchResult, Case, Comparison, run_suite

__all__ = ["bench_hedging", "main", "pfhedge_case"]

S0, STRIKE, SIGMA, N_STEPS, COST, RISK_AVERSION, BATCH = 1.0, 1.0, 0.2, 20, 0.002, 50.0, 1024
MATURITY = N_STEPS / 250
HIDDEN = (32, 32, 32, 32)

_PFHEDGE_SCRIPT = r"""
import json, sys, time
import torch
torch.set_num_threads(1)
from pfhedge.instruments import BrownianStock, EuropeanOption
from pfhedge.nn import Hedger, MultiLayerPerceptron, EntropicRiskMeasure
args = json.loads(sys.argv[1])
torch.manual_seed(args["seed"])
stock = BrownianStock(sigma=args["sigma"], cost=args["cost"], dt=1 / 250)
option = EuropeanOption(stock, strike=args["strike"], maturity=args["maturity"])
model = MultiLayerPerceptron()
hedger = Hedger(model, ["log_moneyness", "time_to_maturity", "volatility", "prev_hedge"],
                criterion=EntropicRiskMeasure(a=args["a"]))
t0 = time.perf_counter()
hedger.fit(option, n_epochs=args["epochs"], n_paths=args["batch"], verbose=False, validation=False)
loop_s = time.perf_counter() - t0
risk = None
if args["eval_paths"]:
    with torch.no_grad():
        risk = float(hedger.compute_loss(option, n_paths=args["eval_paths"]))
print(json.dumps({"loop_s": loop_s, "risk": risk}))
"""


def _torch() -> Any:
    import torch

    torch.set_num_threads(1)
    return torch


@functools.lru_cache(maxsize=4)
def _market(n_paths: int, seed: int, model: str = "gbm") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prices, payoffs and features; Heston adds the instantaneous volatility as a feature."""
    from finance_apps.deep import hedging_features
    from finance_apps.paths import GeometricBrownianMotion, Heston, time_grid
    from finance_apps.pnl import call_payoff

    times = time_grid(MATURITY, N_STEPS)
    if model == "gbm":
        S = GeometricBrownianMotion(S0, SIGMA, 0.0, times).simulate(n_paths, rng=seed)
        return S, call_payoff(S, STRIKE), hedging_features(S, times, STRIKE)
    states = Heston(S0, SIGMA**2, 1.0, SIGMA**2, 0.5, -0.7, 0.0, times).simulate_states(n_paths, rng=seed)
    S = states[:, :, :1]
    vol = np.sqrt(np.maximum(states[:, :-1, 1:], 0.0)) / SIGMA
    return S, call_payoff(S, STRIKE), np.concatenate([hedging_features(S, times, STRIKE), vol], axis=2)


def _train(
    optimizer: str,
    epochs: int,
    seed: int,
    *,
    arch: str = "ff",
    lr: float | None = None,
    eval_paths: int = 0,
    eval_every: int | None = None,
    model: str = "gbm",
    kfac_options: dict[str, Any] | None = None,
) -> Any:
    _torch()
    from finance_apps.deep import feedforward_hedger, lstm_hedger, train_hedger
    from finance_apps.risk_measures import EntropicRisk

    S, Z, X = _market(20_000, 0, model)
    nf = X.shape[2]
    net = (
        feedforward_hedger(nf, hidden_sizes=HIDDEN, rng=seed)
        if arch == "ff"
        else lstm_hedger(nf, hidden_size=32, rng=seed)
    )
    if lr is None:  # Adam: pfhedge's default; K-FAC: the best of KFAC_GRID["ff"] (see below)
        lr = 1e-3
    if optimizer == "kfac" and kfac_options is None:
        kfac_options = {"damping": 3e-4, "kl_clip": 1e-5}
    eval_data = _market(eval_paths, 1, model) if eval_paths else (S[:16], Z[:16], X[:16])
    return train_hedger(
        net,
        S,
        Z,
        X,
        EntropicRisk(RISK_AVERSION),
        cost=COST,
        optimizer=optimizer,
        learning_rate=lr,
        n_iterations=epochs,
        batch_size=BATCH,
        rng=seed,
        eval_data=eval_data,
        eval_every=eval_every or epochs,
        kfac_options=kfac_options,
    )


def _pfhedge_python() -> str:
    python = os.environ.get("RLREF_PFHEDGE_PYTHON", "")
    if not python or shutil.which(python) is None:
        raise ImportError("pfhedge runs in its own venv: set RLREF_PFHEDGE_PYTHON to that venv's python")
    probe = subprocess.run([python, "-c", "import pfhedge"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise ImportError(f"pfhedge does not import in {python}: {probe.stderr.strip()[-300:]}")
    return python


def _run_pfhedge(python: str, epochs: int, eval_paths: int, seed: int = 0) -> dict[str, Any]:
    args = {
        "seed": seed,
        "sigma": SIGMA,
        "cost": COST,
        "strike": STRIKE,
        "maturity": MATURITY,
        "a": RISK_AVERSION,
        "epochs": epochs,
        "batch": BATCH,
        "eval_paths": eval_paths,
    }
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run(
        [python, "-c", _PFHEDGE_SCRIPT, json.dumps(args)], capture_output=True, text=True, check=True, env=env
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def pfhedge_case(epochs: int, log: dict[str, float]) -> Case:
    """A case that trains pfhedge's hedger for ``epochs`` epochs in the ``RLREF_PFHEDGE_PYTHON`` venv."""

    def run(python: str) -> dict[str, Any]:
        res = _run_pfhedge(python, epochs, 0)
        log["loop_s"] = min(log.get("loop_s", float("inf")), float(res["loop_s"]))
        return res

    return Case("pfhedge Hedger.fit, Adam (subprocess)", run, _pfhedge_python)


def _epochs_note(epochs: int, log: dict[str, float]) -> Any:
    def annotate(res: BenchResult) -> str:
        parts = [f"{r.name}: {epochs / r.median_s:,.1f} epochs/s" for r in res.rows if r.median_s]
        if "loop_s" in log:
            parts.append(f"pfhedge training loop alone: {epochs / log['loop_s']:,.1f} epochs/s")
        return "; ".join(parts)

    return annotate


def _risk_reached(epochs: int) -> str:
    ours_adam = _train("adam", epochs, 0, eval_paths=20_000)
    ours_kfac = _train("kfac", epochs, 0, eval_paths=20_000)
    parts = [f"ours Adam {ours_adam.final_risk:.5f}", f"ours K-FAC {ours_kfac.final_risk:.5f}"]
    try:
        peer = _run_pfhedge(_pfhedge_python(), epochs, 20_000)
        parts.append(f"pfhedge Adam {peer['risk']:.5f}")
    except (ImportError, subprocess.CalledProcessError) as exc:
        parts.append(f"pfhedge not installed ({str(exc)[:80]})")
    from finance_apps.hedging_baselines import bs_delta_hedge, whalley_wilmott_hedge
    from finance_apps.paths import time_grid
    from finance_apps.pnl import hedging_pnl
    from finance_apps.risk_measures import entropic_risk

    S, Z, _ = _market(20_000, 1)
    t = time_grid(MATURITY, N_STEPS)
    bs = entropic_risk(hedging_pnl(S, bs_delta_hedge(S, t, STRIKE, SIGMA), Z, cost=COST), RISK_AVERSION)
    ww = entropic_risk(
        hedging_pnl(S, whalley_wilmott_hedge(S, t, STRIKE, SIGMA, COST, RISK_AVERSION), Z, cost=COST), RISK_AVERSION
    )
    parts.append(f"BS delta {bs:.5f}, Whalley-Wilmott {ww:.5f}")
    return f"entropic risk after {epochs} epochs on 20000 fresh paths: " + ", ".join(parts)


# The tuning grids of the K-FAC vs Adam comparison (the best of each grid is compared,
# chosen by the mean final risk over the seeds). K-FAC's step scales like lr / damping
# along directions of little curvature, so its lr and damping are tuned together; with
# damping below 1e-3 the KL clip (Ba et al. 2017, norm constraint) is tightened to 1e-5,
# which keeps those runs stable.
ADAM_LRS = {"ff": (1e-3, 3e-3, 1e-2), "lstm": (3e-3, 1e-2, 3e-2)}
KFAC_GRID: dict[str, tuple[tuple[float, dict[str, float]], ...]] = {
    "ff": (
        (1e-3, {"damping": 1e-4, "kl_clip": 1e-5}),
        (1e-3, {"damping": 3e-4, "kl_clip": 1e-5}),
        (3e-3, {"damping": 3e-4, "kl_clip": 1e-5}),
        (3e-3, {"damping": 1e-3, "kl_clip": 1e-3}),
    ),
    "lstm": (
        (1e-3, {"damping": 1e-4, "kl_clip": 1e-5}),
        (3e-3, {"damping": 1e-4, "kl_clip": 1e-5}),
        (1e-2, {"damping": 1e-3, "kl_clip": 1e-3}),
        (3e-2, {"damping": 1e-3, "kl_clip": 1e-3}),
    ),
}


def _ratio(reach: int | None, budget: int) -> str:
    return "not reached" if reach is None else f"{reach / budget:.2f}"


def _kfac_vs_adam(arch: str, epochs: int, seeds: Sequence[int], model: str = "gbm") -> str:
    """Tune both optimisers on their grid (same seeds, budget); ratio of K-FAC's steps to Adam's final."""

    def final(res: Any) -> float:
        return res.final_risk if math.isfinite(res.final_risk) else math.inf

    def run(opt: str, lr: float, ko: dict[str, Any] | None) -> list[Any]:
        out = []
        for seed in seeds:
            try:
                out.append(
                    _train(
                        opt,
                        epochs,
                        seed,
                        arch=arch,
                        learning_rate=lr,
                        eval_paths=20_000,
                        eval_every=10,
                        model=model,
                        kfac_options=ko,
                    )
                )
            except FloatingPointError:
                out.append(None)
        return out

    def mean_final(runs: list[Any]) -> float:
        return float(np.mean([final(r) if r is not None else math.inf for r in runs]))

    adam = {lr: run("adam", lr, None) for lr in ADAM_LRS[arch]}
    kfac = {(lr, tuple(sorted(ko.items()))): run("kfac", lr, ko) for lr, ko in KFAC_GRID[arch]}
    a_lr = min(adam, key=lambda lr: mean_final(adam[lr]))
    k_cfg = min(kfac, key=lambda c: mean_final(kfac[c]))
    grid = (
        "grid (mean final risk over seeds): Adam "
        + ", ".join(f"lr {lr:g}: {mean_final(r):.5f}" for lr, r in adam.items())
        + "; K-FAC "
        + ", ".join(f"lr {lr:g} {dict(ko)}: {mean_final(r):.5f}" for (lr, ko), r in kfac.items())
    )
    rows, ratios, strict = [], [], []
    for i, seed in enumerate(seeds):
        a, k = adam[a_lr][i], kfac[k_cfg][i]
        if a is None or k is None:
            rows.append(f"seed {seed}: diverged")
            continue
        best_adam = min(final(r[i]) for r in adam.values() if r[i] is not None)
        reach, reach_strict = k.steps_to_reach(a.final_risk), k.steps_to_reach(best_adam)
        ratios.append(math.inf if reach is None else reach / epochs)
        strict.append(math.inf if reach_strict is None else reach_strict / epochs)
        rows.append(
            f"seed {seed}: Adam {a.final_risk:.5f}, K-FAC {k.final_risk:.5f}, K-FAC steps to Adam's "
            f"final / Adam's steps = {_ratio(reach, epochs)} (to the best Adam final of the whole grid, "
            f"{best_adam:.5f}: {_ratio(reach_strict, epochs)}), run time K-FAC/Adam (evaluations included) "
            f"{k.seconds / a.seconds:.2f}"
        )
    k_lr, k_ko = k_cfg
    return (
        f"{arch} on {model}, {epochs} steps; best Adam lr {a_lr:g}, best K-FAC lr {k_lr:g} with "
        f"{dict(k_ko)}; K-FAC reached Adam's final on {sum(map(math.isfinite, ratios))} of {len(seeds)} "
        f"seeds, median ratio {np.median(ratios) if ratios else math.nan:.2f} "
        f"(strict: {np.median(strict) if strict else math.nan:.2f}) | " + " | ".join(rows) + " | " + grid
    )


def _kfac_note(arch: str, steps: int, seeds: Sequence[int], model: str, res: BenchResult) -> str:
    return _kfac_vs_adam(arch, steps, seeds, model)


def bench_hedging(quick: bool) -> Iterator[Comparison]:
    """The comparisons of this module (see the module docstring)."""
    epochs = 10 if quick else 20
    log: dict[str, float] = {}
    yield Comparison(
        title=f"Adam epochs: {epochs} updates of a 4x32 MLP hedger, {BATCH} paths x {N_STEPS} dates",
        ours=Case("finance_apps.train_hedger (Adam)", lambda: _train("adam", epochs, 0).final_risk),
        peers=(
            Case("finance_apps.train_hedger (K-FAC)", lambda: _train("kfac", epochs, 0).final_risk),
            pfhedge_case(epochs, log),
        ),
        note=f"{epochs} epochs per call",
        annotate=_epochs_note(epochs, log),
    )
    budget = 60 if quick else 300
    yield Comparison(
        title=f"risk reached after {budget} epochs (one run each)",
        ours=Case("no timing (the note carries the result)", lambda: None),
        annotate=lambda res: _risk_reached(budget),
    )
    seeds = (0,) if quick else (0, 1, 2)
    for arch, steps, model in (
        ("lstm", 60 if quick else 200, "gbm"),
        ("ff", 60 if quick else 300, "gbm"),
        ("lstm", 60 if quick else 200, "heston"),
    ):
        yield Comparison(
            title=f"K-FAC vs Adam, {arch} hedger, {model} paths, same seeds and budget",
            ours=Case("no timing (the note carries the result)", lambda: None),
            annotate=functools.partial(_kfac_note, arch, steps, seeds, model),
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (see :func:`benchmarks.harness.run_suite`)."""
    return run_suite(
        [bench_hedging],
        argv,
        prog="python -m benchmarks.bench_hedging",
        description=__doc__.splitlines()[0] if __doc__ else None,
        packages=("torch",),
    )


if __name__ == "__main__":
    sys.exit(main())
