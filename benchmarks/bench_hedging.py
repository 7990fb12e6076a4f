"""Deep hedging: training epochs per second and risk reached, against pfhedge; K-FAC vs Adam.

The problem (the same for everyone): Black-Scholes stock, spot 1, volatility 0.2, zero
rate; an at-the-money call with maturity 20 trading days; 20 daily rebalancings;
proportional cost 0.002; entropic risk with risk aversion 50 (the risk aversion must
match the price scale, see the tutorial).

Equal work. One *epoch* is one optimiser update on 1,024 paths (pfhedge's
``Hedger.fit`` epoch), on both sides: the same network (a multilayer perceptron of 4
hidden layers of 32 ReLU units, pfhedge's default ``MultiLayerPerceptron``; ours sees 3
inputs, pfhedge's 4, the constant volatility being one of them), Adam at learning rate
0.001, and *both reusing* one stored set of 1,024 simulated paths, so that no
simulation runs in either timed loop (ours draws each minibatch of 1,024 from its set,
pfhedge's ``option.simulate`` is replaced by a no-op after one simulation, so each
epoch re-reads the stored paths). pfhedge runs in a persistent subprocess started in
the case's setup: the timed call sends "run N epochs" down a pipe and reads back the
time of pfhedge's own loop (the round trip adds well under a millisecond), so the loop
is timed against our loop, and its start-up (interpreter, imports, hedger, first
simulation, lazy-layer materialisation) is reported apart in the note. One extra row,
labelled as such, is pfhedge in its default mode (fresh paths simulated inside every
epoch), for information; it is not equal work.

Comparisons:

* **Adam epochs** (timed): ours, :func:`finance_apps.deep.train_hedger` with the
  feed-forward semi-recurrent hedger, and our K-FAC step on the same network, against
  pfhedge's ``Hedger(MultiLayerPerceptron(), ["log_moneyness", "time_to_maturity",
  "volatility", "prev_hedge"], EntropicRiskMeasure(50))`` with ``fit(validation=False)``.
  The note gives epochs per second of each and pfhedge's start-up.
* **Risk reached** (one run each; ``--quick``: fewer epochs): the entropic risk on
  20,000 fresh paths after the same number of epochs, ours (Adam and K-FAC, training on
  a stored set of 20,000 paths, the deep-hedging setting of Buehler et al.) and pfhedge
  (Adam, fresh paths every epoch, its default), each at learning rate 0.001 (K-FAC
  with damping 3e-4 and KL clip 1e-5), with the Black-Scholes delta and
  Whalley-Wilmott hedges for reference. The training data differ (stated), the budget
  and network do not.
* **K-FAC vs Adam** (updates to reach tuned Adam's final risk, median over seeds):
  :mod:`benchmarks.kfac_steps`, whose module docstring gives the protocol. ``--quick``
  runs its smoke version (one seed, 40 updates, feed-forward); a full run prints the
  results recorded in ``benchmarks/data/kfac_steps.json`` by ``python -m
  benchmarks.kfac_steps`` (80 runs: 10 to 30 minutes on two cores, with the load).

Remaining difference: pfhedge also outputs a holding at maturity, whose trade is
charged a cost (the network learns not to make it), so its forward pass has 21
decisions to our 20.

pfhedge pins old dependencies, so it runs in its own virtual environment: set
``RLREF_PFHEDGE_PYTHON`` to that environment's ``python`` (default: ``.venv-pfhedge`` in the
repository, if it exists; a plain venv with
``torch==2.13.0`` and ``pfhedge``, e.g. ``.venv-pfhedge/bin/python``). Without it, or
if pfhedge does not import there, the peer is reported as not installed and the
benchmark still succeeds.

Run ``python -m benchmarks.bench_hedging [--quick] [--filter Adam] [--json PATH]``.
"""

from __future__ import annotations

import atexit
import functools
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
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

# A persistent pfhedge process: set up once (start-up, reported apart), then on each line
# {"epochs": n} of standard input run n epochs of Hedger.fit and answer the loop's time.
_PFHEDGE_WORKER = r"""
import json, sys, time
t_start = time.perf_counter()
import torch
torch.set_num_threads(1)
from pfhedge.instruments import BrownianStock, EuropeanOption
from pfhedge.nn import Hedger, MultiLayerPerceptron, EntropicRiskMeasure
args = json.loads(sys.argv[1])
torch.manual_seed(args["seed"])
stock = BrownianStock(sigma=args["sigma"], cost=args["cost"], dt=1 / 250)
option = EuropeanOption(stock, strike=args["strike"], maturity=args["maturity"])
hedger = Hedger(MultiLayerPerceptron(), ["log_moneyness", "time_to_maturity", "volatility", "prev_hedge"],
                criterion=EntropicRiskMeasure(a=args["a"]))
if args["reuse"]:
    option.simulate(n_paths=args["batch"])
    option.simulate = lambda *a, **k: None  # every epoch re-reads the stored paths
hedger.fit(option, n_epochs=1, n_paths=args["batch"], verbose=False, validation=False)  # lazy layers
print(json.dumps({"startup_s": time.perf_counter() - t_start}), flush=True)
for line in sys.stdin:
    n = json.loads(line)["epochs"]
    t0 = time.perf_counter()
    hedger.fit(option, n_epochs=n, n_paths=args["batch"], verbose=False, validation=False)
    print(json.dumps({"loop_s": time.perf_counter() - t0}), flush=True)
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
    n_train: int = 20_000,
) -> Any:
    _torch()
    from finance_apps.deep import feedforward_hedger, lstm_hedger, train_hedger
    from finance_apps.risk_measures import EntropicRisk

    S, Z, X = _market(n_train, 0, model)
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
    if not python:  # default: the repository's .venv-pfhedge, if it exists
        default = Path(__file__).resolve().parent.parent / ".venv-pfhedge" / "bin" / "python"
        python = str(default) if default.exists() else ""
    if not python or shutil.which(python) is None:
        raise ImportError(
            "pfhedge runs in its own venv: create .venv-pfhedge or set RLREF_PFHEDGE_PYTHON to that venv's python"
        )
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


def _worker_args(reuse: bool) -> dict[str, Any]:
    return {
        "seed": 0,
        "sigma": SIGMA,
        "cost": COST,
        "strike": STRIKE,
        "maturity": MATURITY,
        "a": RISK_AVERSION,
        "batch": BATCH,
        "reuse": reuse,
    }


def pfhedge_case(epochs: int, log: dict[str, float], *, reuse: bool = True) -> Case:
    """pfhedge's ``Hedger.fit`` for ``epochs`` epochs, timed in a persistent subprocess.

    The setup starts the process (``RLREF_PFHEDGE_PYTHON``) and waits until it has built
    the hedger; its start-up time goes to ``log``. Each call runs the epochs there and
    returns pfhedge's own loop time. ``reuse``: every epoch re-reads one stored set of
    paths (equal work with ours), else pfhedge simulates fresh paths each epoch.
    """
    key = "reuse" if reuse else "fresh"

    def setup() -> Any:
        python = _pfhedge_python()
        proc = subprocess.Popen(
            [python, "-c", _PFHEDGE_WORKER, json.dumps(_worker_args(reuse))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ, OMP_NUM_THREADS="1"),
        )
        atexit.register(proc.kill)
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise ImportError(f"the pfhedge worker in {python} exited before it was ready")
        log[f"startup_s_{key}"] = float(json.loads(line)["startup_s"])
        return proc

    def run(proc: Any) -> float:
        proc.stdin.write(json.dumps({"epochs": epochs}) + "\n")
        proc.stdin.flush()
        loop_s = float(json.loads(proc.stdout.readline())["loop_s"])
        log[f"loop_s_{key}"] = min(log.get(f"loop_s_{key}", math.inf), loop_s)
        return loop_s

    name = "pfhedge Hedger.fit, Adam" if reuse else "pfhedge, fresh paths each epoch (not equal work)"
    return Case(name, run, setup)


def _ours_case(name: str, optimizer: str, epochs: int) -> Case:
    """Our training loop on a stored set of BATCH paths (equal work with pfhedge's reuse)."""

    def setup() -> Any:
        _torch()
        from finance_apps.deep import feedforward_hedger

        S, Z, X = _market(BATCH, 0)
        return feedforward_hedger(X.shape[2], hidden_sizes=HIDDEN, rng=0), S, Z, X

    def run(state: Any) -> float:
        from finance_apps.deep import train_hedger
        from finance_apps.risk_measures import EntropicRisk

        net, S, Z, X = state
        res = train_hedger(
            net,
            S,
            Z,
            X,
            EntropicRisk(RISK_AVERSION),
            cost=COST,
            optimizer=optimizer,
            learning_rate=1e-3,
            n_iterations=epochs,
            batch_size=BATCH,
            rng=0,
            eval_data=(S[:16], Z[:16], X[:16]),
            eval_every=epochs,
            kfac_options={"damping": 3e-4, "kl_clip": 1e-5} if optimizer == "kfac" else None,
        )
        return res.final_risk

    return Case(name, run, setup)


def _epochs_note(epochs: int, log: dict[str, float]) -> Any:
    def annotate(res: BenchResult) -> str:
        parts = [f"{r.name}: {epochs / r.median_s:,.1f} epochs/s" for r in res.rows if r.median_s]
        for key, what in (("reuse", "pfhedge"), ("fresh", "pfhedge fresh-path mode")):
            if f"startup_s_{key}" in log:
                parts.append(
                    f"{what} start-up (interpreter, imports, hedger; not in the timed loop) "
                    f"{log[f'startup_s_{key}']:.2f} s"
                )
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


def _kfac_steps_note(quick: bool) -> str:
    from benchmarks import kfac_steps

    if quick:
        out = kfac_steps.experiment(("ff",), (0,), quick=True, jobs=1)
        return "smoke run (1 seed, 40 updates): " + kfac_steps.format_summary(out["summaries"][0])
    if not kfac_steps.DEFAULT_JSON.exists():
        return f"no recorded results: run python -m benchmarks.kfac_steps (writes {kfac_steps.DEFAULT_JSON.name})"
    data = json.loads(kfac_steps.DEFAULT_JSON.read_text())
    meta = data.get("meta", {})
    return f"recorded {meta.get('date', '?')} by benchmarks.kfac_steps: " + " || ".join(
        kfac_steps.format_summary(s) for s in data["summaries"]
    )


def bench_hedging(quick: bool) -> Iterator[Comparison]:
    """The comparisons of this module (see the module docstring)."""
    epochs = 3 if quick else 20
    log: dict[str, float] = {}
    yield Comparison(
        title=f"Adam epochs: {epochs} updates of a 4x32 MLP hedger, {BATCH} stored paths x {N_STEPS} dates",
        ours=_ours_case("finance_apps.train_hedger (Adam)", "adam", epochs),
        peers=(
            _ours_case("finance_apps.train_hedger (K-FAC)", "kfac", epochs),
            pfhedge_case(epochs, log),
            pfhedge_case(epochs, log, reuse=False),
        ),
        note=f"{epochs} epochs per call; pfhedge timed loop against loop in its own process",
        annotate=_epochs_note(epochs, log),
    )
    budget = 20 if quick else 300
    yield Comparison(
        title=f"risk reached after {budget} epochs (one run each)",
        ours=Case("no timing (the note carries the result)", lambda: None),
        annotate=lambda res: _risk_reached(budget),
    )
    yield Comparison(
        title="K-FAC vs tuned Adam: updates to reach Adam's final risk (benchmarks.kfac_steps)",
        ours=Case("no timing (the note carries the result)", lambda: None),
        annotate=lambda res: _kfac_steps_note(quick),
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
