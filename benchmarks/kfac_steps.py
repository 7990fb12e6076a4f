"""K-FAC against tuned Adam on deep hedging: updates to reach Adam's final risk (issue 23).

The problem is :mod:`benchmarks.bench_hedging`'s (Black-Scholes stock, spot 1,
volatility 0.2, an at-the-money call of 20 trading days, 20 daily rebalancings,
proportional cost 0.002, entropic risk with risk aversion 50). Equal work on both
sides: the same hedger (feed-forward 4x32 ReLU semi-recurrent MLP, or the explicit
LSTM of 32 units), the same initial weights and minibatch draws per seed (minibatches
of 1,024 paths drawn from one set of 20,000 training paths), the same budget of
updates (``BUDGET``: 300 feed-forward, 200 LSTM) and the same evaluation set (5,000
fresh paths, evaluated every 10 updates).

Protocol. Both optimisers are tuned on a grid (``ADAM_GRID``, ``KFAC_GRID``), every
configuration run on the same seeds; the best configuration of each, by mean final
evaluation risk over the seeds, is compared. Per seed the *ratio* is the first
evaluated update count at which K-FAC's evaluation risk is at or below tuned Adam's
final risk, divided by Adam's budget ("inf" where K-FAC never reaches it); the headline
is the median over the seeds (target: at most 0.5). K-FAC's grid holds the
empirical-Fisher setting of ``bench_hedging`` and the Gauss-Newton curvature of the
entropic risk with Levenberg-Marquardt damping (:class:`finance_apps.deep.KFAC`,
``curvature="gauss_newton"``, ``adapt_damping=True``). Also reported, because every
optimiser ends on a plateau of minibatch noise (final risks within a few 1e-5 of each
other, the spread of the evaluations along the plateau): the update count at which
*Adam itself* first reaches its own final risk (the ratio's floor set by the noise:
a ratio below it needs K-FAC to end lower than Adam, not only to get there sooner),
and a noise-aware ratio, the updates K-FAC needs to reach Adam's final risk plus the
standard deviation of Adam's last third of evaluations, over the updates Adam needs to
reach that same level.

Each run is a separate process (``--jobs`` of them at a time, torch on one thread each);
the runs are counted in updates, so the load on the machine changes wall times only.
``python -m benchmarks.kfac_steps [--quick] [--seeds 5] [--jobs 2] [--json PATH]``;
the full run writes ``benchmarks/data/kfac_steps.json`` (every run's evaluation curve,
the grid, the ratios, the machine and the date). ``--quick`` runs one seed, one
configuration each (Adam at its first grid rate, K-FAC Gauss-Newton at momentum 0.9), with a 40-update budget, to check that the script works.
``--from-runs FILE [FILE ...]`` recomputes the summaries from recorded runs (merged,
e.g. a first grid and an added configuration) without training.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import math
import multiprocessing
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ADAM_GRID", "BUDGET", "KFAC_GRID", "main", "one_run", "summarise"]

BUDGET = {"ff": 300, "lstm": 200}
EVAL_PATHS, EVAL_EVERY, TRAIN_PATHS = 5_000, 10, 20_000
ADAM_GRID: dict[str, tuple[float, ...]] = {"ff": (3e-3, 1e-3, 5e-3, 1e-2), "lstm": (1e-2, 3e-2)}
_GN = {"curvature": "gauss_newton", "adapt_damping": True}
KFAC_GRID: dict[str, tuple[tuple[float, dict[str, Any]], ...]] = {
    "ff": (
        (3e-3, {"damping": 3e-4, "kl_clip": 1e-5}),  # bench_hedging's empirical-Fisher best
        (1.0, {**_GN, "damping": 1e-2, "kl_clip": 1e-3, "momentum": 0.5}),
        (0.5, {**_GN, "damping": 1e-2, "kl_clip": 1e-3, "momentum": 0.9}),
        (0.5, {**_GN, "damping": 1e-1, "kl_clip": 1e-3, "momentum": 0.9}),
        (0.5, {**_GN, "damping": 1e-2, "kl_clip": 1e-4, "momentum": 0.9}),
        (0.3, {**_GN, "damping": 1e-2, "kl_clip": 1e-4, "momentum": 0.9}),
        (0.5, {**_GN, "damping": 1e-2, "kl_clip": 3e-4, "momentum": 0.9}),
    ),
    "lstm": (
        (1e-3, {"damping": 1e-4, "kl_clip": 1e-5}),
        (1.0, {**_GN, "damping": 1e-2, "kl_clip": 1e-3, "momentum": 0.5}),
        (0.5, {**_GN, "damping": 1e-2, "kl_clip": 1e-3, "momentum": 0.9}),
    ),
}
DEFAULT_JSON = Path(__file__).resolve().parent / "data" / "kfac_steps.json"


def one_run(cfg: dict[str, Any]) -> dict[str, Any]:
    """Train one hedger (``cfg``: optimizer, arch, seed, steps, lr, kfac_options); its evaluation curve."""
    import torch

    torch.set_num_threads(1)
    from benchmarks.bench_hedging import BATCH, COST, HIDDEN, RISK_AVERSION, _market
    from finance_apps.deep import feedforward_hedger, lstm_hedger, train_hedger
    from finance_apps.risk_measures import EntropicRisk

    S, Z, X = _market(TRAIN_PATHS, 0, "gbm")
    ev = _market(EVAL_PATHS, 1, "gbm")
    nf = X.shape[2]
    seed = cfg["seed"]
    net = (
        feedforward_hedger(nf, hidden_sizes=HIDDEN, rng=seed)
        if cfg["arch"] == "ff"
        else lstm_hedger(nf, hidden_size=32, rng=seed)
    )
    t0 = time.perf_counter()
    try:
        res = train_hedger(
            net,
            S,
            Z,
            X,
            EntropicRisk(RISK_AVERSION),
            cost=COST,
            optimizer=cfg["optimizer"],
            learning_rate=cfg["lr"],
            n_iterations=cfg["steps"],
            batch_size=BATCH,
            rng=seed,
            eval_data=ev,
            eval_every=EVAL_EVERY,
            kfac_options=cfg.get("kfac_options"),
        )
    except (FloatingPointError, ValueError) as exc:  # divergence (non-finite risk)
        return {**cfg, "diverged": str(exc)[:200], "seconds": time.perf_counter() - t0}
    return {
        **cfg,
        "eval_steps": res.eval_steps.tolist(),
        "eval_risk": res.eval_risk.tolist(),
        "final": res.final_risk,
        "seconds": res.seconds,
    }


def _reach(run: dict[str, Any], level: float) -> int | None:
    for s, r in zip(run.get("eval_steps", []), run.get("eval_risk", []), strict=True):
        if r <= level:
            return int(s)
    return None


def _final(run: dict[str, Any]) -> float:
    f = run.get("final", math.inf)
    return f if math.isfinite(f) else math.inf


def summarise(runs: list[dict[str, Any]], arch: str, seeds: Sequence[int]) -> dict[str, Any]:
    """Best configuration of each optimiser (mean final risk over seeds) and the per-seed ratios."""

    def key(r: dict[str, Any]) -> str:
        return json.dumps([r["optimizer"], r["lr"], r.get("kfac_options")], sort_keys=True)

    by_cfg: dict[str, dict[int, dict[str, Any]]] = {}
    for r in runs:
        if r["arch"] == arch:
            by_cfg.setdefault(key(r), {})[r["seed"]] = r
    means = {k: float(np.mean([_final(v[s]) for s in seeds])) for k, v in by_cfg.items()}
    adam = min((k for k in by_cfg if json.loads(k)[0] == "adam"), key=means.__getitem__)
    kfac = min((k for k in by_cfg if json.loads(k)[0] == "kfac"), key=means.__getitem__)
    budget = by_cfg[adam][seeds[0]]["steps"]
    per_seed, ratios, band_ratios, self_ratios = [], [], [], []
    for s in seeds:
        a, k = by_cfg[adam][s], by_cfg[kfac][s]
        reach = _reach(k, _final(a))
        ratio = math.inf if reach is None else reach / budget
        ratios.append(ratio)
        # the noise band: Adam's final plus the spread of its last third of evaluations
        tail = np.asarray(a["eval_risk"][2 * len(a["eval_risk"]) // 3 :])
        band = _final(a) + float(tail.std())
        a_band, k_band = _reach(a, band), _reach(k, band)
        band_ratios.append(math.inf if k_band is None or not a_band else k_band / a_band)
        own = _reach(a, _final(a))
        self_ratios.append(math.inf if own is None else own / budget)
        per_seed.append(
            {
                "seed": s,
                "adam_final": _final(a),
                "kfac_final": _final(k),
                "kfac_steps_to_adam_final": reach,
                "ratio": ratio,
                "adam_steps_to_own_final": own,
                "plateau_sd": float(tail.std()),
                "adam_steps_to_band": a_band,
                "kfac_steps_to_band": k_band,
                "kfac_over_adam_seconds": k["seconds"] / a["seconds"] if "final" in k else None,
            }
        )
    return {
        "arch": arch,
        "budget": budget,
        "best_adam": json.loads(adam),
        "best_kfac": json.loads(kfac),
        "median_ratio": float(np.median(ratios)),
        "reached": int(sum(map(math.isfinite, ratios))),
        "median_band_ratio": float(np.median(band_ratios)),
        "median_adam_own_ratio": float(np.median(self_ratios)),
        "seeds": list(seeds),
        "per_seed": per_seed,
        "grid_mean_final": {k: v for k, v in sorted(means.items(), key=lambda kv: kv[1])},
    }


def _configs(arch: str, seeds: Sequence[int], quick: bool) -> list[dict[str, Any]]:
    steps = 40 if quick else BUDGET[arch]
    adam = ADAM_GRID[arch][:1] if quick else ADAM_GRID[arch]
    kfac = KFAC_GRID[arch][2:3] if quick else KFAC_GRID[arch]
    out = [{"optimizer": "adam", "arch": arch, "seed": s, "steps": steps, "lr": lr} for lr in adam for s in seeds]
    out += [
        {"optimizer": "kfac", "arch": arch, "seed": s, "steps": steps, "lr": lr, "kfac_options": ko}
        for lr, ko in kfac
        for s in seeds
    ]
    return out


def experiment(
    archs: Sequence[str] = ("ff", "lstm"), seeds: Sequence[int] = (0,), quick: bool = True, jobs: int = 1
) -> dict[str, Any]:
    """Run the grid for each hedger (``jobs`` processes) and summarise it."""
    cfgs = [c for arch in archs for c in _configs(arch, seeds, quick)]
    # the longest runs first (K-FAC, LSTM), so that the pool ends together
    cfgs.sort(key=lambda c: (c["optimizer"] != "kfac", c["arch"] != "lstm"))
    if jobs > 1:
        with cf.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            runs = list(pool.map(one_run, cfgs))
    else:
        runs = [one_run(c) for c in cfgs]
    return {"summaries": [summarise(runs, arch, list(seeds)) for arch in archs], "runs": runs}


def format_summary(s: dict[str, Any]) -> str:
    """One line per hedger: the headline median ratio and the per-seed details."""
    rows = "; ".join(
        f"seed {p['seed']}: {p['ratio']:.2f} (Adam {p['adam_final']:.5f} reached its own at "
        f"{p['adam_steps_to_own_final']}, K-FAC final {p['kfac_final']:.5f})"
        for p in s["per_seed"]
    )
    return (
        f"{s['arch']}: median K-FAC/Adam steps {s['median_ratio']:.2f} ({s['reached']} of {len(s['seeds'])} "
        f"seeds reach it; Adam reaches its own final at a median {s.get('median_adam_own_ratio', math.nan):.2f} "
        f"of its budget; to Adam's final + its plateau s.d., K-FAC/Adam steps "
        f"{s.get('median_band_ratio', math.nan):.2f}), "
        f"budget {s['budget']}, best Adam lr {s['best_adam'][1]:g}, best K-FAC lr "
        f"{s['best_kfac'][1]:g} {s['best_kfac'][2]} | {rows}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kfac_steps", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--arch", choices=("ff", "lstm", "both"), default="both")
    parser.add_argument(
        "--from-runs", type=Path, nargs="+", default=None, help="summarise recorded runs (merged) instead of running"
    )
    parser.add_argument("--json", type=Path, default=None, help=f"default {DEFAULT_JSON} (full runs only)")
    args = parser.parse_args(argv)
    seeds = (0,) if args.quick else tuple(range(args.seeds))
    archs = ("ff", "lstm") if args.arch == "both" else (args.arch,)
    t0 = time.time()
    if args.from_runs:
        runs: dict[str, dict[str, Any]] = {}
        for f in args.from_runs:
            data = json.loads(f.read_text())
            for r in data["runs"] if isinstance(data, dict) else data:
                cfg = {k: r.get(k) for k in ("optimizer", "arch", "seed", "steps", "lr", "kfac_options")}
                runs[json.dumps(cfg, sort_keys=True)] = r
        merged = list(runs.values())
        first = json.loads(args.from_runs[0].read_text())
        out = {"meta_of_runs": first.get("meta") if isinstance(first, dict) else None} | {
            "summaries": [summarise(merged, arch, list(seeds)) for arch in archs],
            "runs": merged,
        }
    else:
        out = experiment(archs, seeds, args.quick, args.jobs)
    for s in out["summaries"]:
        print(format_summary(s))
    path = args.json or (None if args.quick else DEFAULT_JSON)
    if path is not None:
        import torch

        out["meta"] = {
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "machine": platform.platform(),
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "jobs": args.jobs,
            "wall_s": None if args.from_runs else time.time() - t0,
            "runs_from": [str(f) for f in args.from_runs or []],
            "loadavg_end": list(__import__("os").getloadavg()),
            "protocol": __doc__.split("\n\n")[1:3],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out, indent=1))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
