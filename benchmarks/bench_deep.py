"""Deep RL on Gymnasium tasks: env steps per second and final return, against Stable-Baselines3.

Comparisons (:data:`SUITES`), each run in ONE invocation of this script, ours and
Stable-Baselines3's interleaved seed by seed so that a busy machine slows both alike:

``sb3``
    At equal work: the same task, env steps, hyper-parameters (rl-baselines3-zoo's) and
    seeds. DQN on CartPole-v1 (50k steps; ours twice: with SB3's loss, Huber without
    double Q-learning, and with the HL-Gauss head), PPO on CartPole-v1 (100k steps, 8
    envs), SAC and DSAC-T on Pendulum-v1 (20k steps). SB3 runs in its own venv,
    ``.venv-sb3`` (see ``benchmarks/sb3_deep.py`` for how it is made), as a subprocess;
    its imports and set-up are reported apart and not timed. Without the venv the SB3
    rows read "not installed".
``losses``
    The "Stop regressing" comparison of the tutorial: DQN on CartPole-v1 with the
    squared loss, HL-Gauss and C51 heads, same settings otherwise.
``stream``
    The "Learning from a stream" comparison of the tutorial: stream-Q(lambda) and
    stream-AC(lambda) against DQN and PPO at equal env steps on CartPole-v1.

What is measured, per run: training env steps per second (env steps over training wall
time, evaluation excluded; single-threaded torch, CPU), the final return (mean of 10
deterministic evaluation episodes on a separate environment), the learning curve (one
point per finished training episode). Printed: per algorithm, the median and range of
steps per second over seeds, the mean and standard deviation of the final return, the
seeds reaching the target return, and the ratio of our median speed to SB3's.

Run ``python -m benchmarks.bench_deep --suite sb3 [--seeds 5] [--record]``;
``--quick`` runs every suite with tiny budgets (a smoke test: the numbers mean
nothing). ``--record`` writes the runs to ``benchmarks/data/deep_<suite>.json``, which
the tutorials read for their full-budget curves.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.environment import environment_info, format_environment

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SB3_PYTHON = Path(os.environ.get("RLREF_SB3_PYTHON", ROOT / ".venv-sb3" / "bin" / "python"))
SB3_SCRIPT = Path(__file__).resolve().parent / "sb3_deep.py"

#: rl-baselines3-zoo's settings, in our trainers' argument names (see benchmarks/sb3_deep.py).
ZOO_DQN = dict(
    learning_rate=2.3e-3,
    batch_size=64,
    buffer_size=100_000,
    learning_starts=1000,
    gamma=0.99,
    target_update_interval=10,
    train_freq=256,
    gradient_steps=128,
    exploration_fraction=0.16,
    exploration_final_eps=0.04,
    hidden_sizes=(256, 256),
)
ZOO_PPO = dict(
    n_envs=8,
    n_steps=32,
    batch_size=256,
    gae_lambda=0.8,
    gamma=0.98,
    n_epochs=20,
    ent_coef=0.0,
    learning_rate=1e-3,
    learning_rate_schedule="linear",
    clip_range=0.2,
    clip_schedule="linear",
)
ZOO_SAC = dict(learning_rate=1e-3)


def _trainer(name: str) -> Callable[..., Any]:
    import tabular.deep as deep

    return getattr(deep, name)


#: (label, trainer, task, steps, kwargs, sb3 algo or None, target return)
Run = tuple[str, str, str, int, dict[str, Any], str | None, float]

SUITES: dict[str, list[Run]] = {
    "sb3": [
        (
            "DQN (Huber, no double: SB3's)",
            "train_dqn",
            "CartPole-v1",
            50_000,
            dict(ZOO_DQN, loss="huber", double=False),
            "dqn",
            475.0,
        ),
        (
            "DQN (HL-Gauss, double)",
            "train_dqn",
            "CartPole-v1",
            50_000,
            dict(ZOO_DQN, loss="hl_gauss", double=True, v_min=0.0, v_max=110.0),
            None,
            475.0,
        ),
        ("PPO", "train_ppo", "CartPole-v1", 100_000, ZOO_PPO, "ppo", 475.0),
        ("SAC", "train_sac", "Pendulum-v1", 20_000, ZOO_SAC, "sac", -200.0),
        ("DSAC-T", "train_dsac_t", "Pendulum-v1", 20_000, ZOO_SAC, None, -200.0),
    ],
    "losses": [
        ("DQN, squared loss", "train_dqn", "CartPole-v1", 50_000, dict(ZOO_DQN, loss="mse"), None, 475.0),
        (
            "DQN, HL-Gauss",
            "train_dqn",
            "CartPole-v1",
            50_000,
            dict(ZOO_DQN, loss="hl_gauss", v_min=0.0, v_max=110.0),
            None,
            475.0,
        ),
        (
            "DQN, C51",
            "train_dqn",
            "CartPole-v1",
            50_000,
            dict(ZOO_DQN, loss="c51", v_min=0.0, v_max=110.0),
            None,
            475.0,
        ),
    ],
    "stream": [
        ("stream-Q(lambda)", "train_stream_q", "CartPole-v1", 50_000, {}, None, 475.0),
        ("stream-AC(lambda)", "train_stream_ac", "CartPole-v1", 50_000, {}, None, 475.0),
        (
            "DQN (HL-Gauss)",
            "train_dqn",
            "CartPole-v1",
            50_000,
            dict(ZOO_DQN, loss="hl_gauss", v_min=0.0, v_max=110.0),
            None,
            475.0,
        ),
        ("PPO", "train_ppo", "CartPole-v1", 50_000, ZOO_PPO, None, 475.0),
    ],
}


def run_ours(trainer: str, task: str, steps: int, kwargs: dict[str, Any], seed: int) -> dict[str, Any]:
    """One training run of ours, in this process (torch single-threaded)."""
    import torch

    torch.set_num_threads(1)
    res = _trainer(trainer)(task, total_steps=steps, rng=seed, n_eval_episodes=10, **kwargs)
    rec = res.to_record()
    return {
        "seed": seed,
        "env_steps": int(res.n_steps),
        "n_updates": int(res.n_updates),
        "train_s": float(res.wall_time - res.eval_time),
        "env_steps_per_s": float(res.steps_per_second),
        "eval_mean": float(res.final_return),
        "eval_returns": res.eval_returns[-1].tolist(),
        "curve_steps": rec["episode_end_steps"],
        "curve_returns": rec["episode_returns"],
    }


def run_sb3(algo: str, steps: int, seed: int) -> dict[str, Any]:
    """One training run of SB3's, in its venv (a subprocess); ``{"error": ...}`` when it cannot run."""
    if not SB3_PYTHON.exists():
        return {"error": f"not installed ({SB3_PYTHON} missing; see benchmarks/sb3_deep.py)"}
    cmd = [str(SB3_PYTHON), str(SB3_SCRIPT), "--algo", algo, "--seed", str(seed), "--steps", str(steps)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if out.returncode != 0:
        return {"error": f"exit {out.returncode}: {out.stderr.strip().splitlines()[-1:]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _summary(label: str, runs: list[dict[str, Any]], target: float) -> dict[str, Any]:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"label": label, "error": runs[0].get("error", "no runs") if runs else "no runs"}
    sps = np.array([r["env_steps_per_s"] for r in ok])
    fin = np.array([r["eval_mean"] for r in ok])
    return {
        "label": label,
        "n": len(ok),
        "sps_median": float(np.median(sps)),
        "sps_min": float(sps.min()),
        "sps_max": float(sps.max()),
        "return_mean": float(fin.mean()),
        "return_sd": float(fin.std(ddof=1)) if len(ok) > 1 else 0.0,
        "returns": fin.tolist(),
        "reached": int((fin >= target).sum()),
        "target": target,
    }


def run_suite(suite: str, seeds: Sequence[int], quick: bool, only: set[str] | None) -> dict[str, Any]:
    rows: dict[str, list[dict[str, Any]]] = {}
    meta: dict[str, Any] = {}
    for seed in seeds:
        for label, trainer, task, steps, kwargs, sb3, target in SUITES[suite]:
            if only and not any(o.lower() in label.lower() for o in only):
                continue
            n = min(steps, 2_000) if quick else steps
            kw = dict(kwargs)  # the same settings as SB3's run, in quick mode too (equal work)
            t0 = time.perf_counter()
            rec = run_ours(trainer, task, n, kw, seed)
            rows.setdefault(label, []).append(rec)
            meta[label] = {
                "task": task,
                "steps": n,
                "target": target,
                "trainer": trainer,
                "kwargs": {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()},
            }
            print(
                f"  seed {seed} {label:34s} {rec['env_steps_per_s']:8.0f} steps/s  final {rec['eval_mean']:8.1f}  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
            if sb3 is not None:
                peer = f"SB3 {sb3.upper()}"
                prec = run_sb3(sb3, n, seed)
                rows.setdefault(peer, []).append(prec)
                meta[peer] = {"task": task, "steps": n, "target": target, "sb3": sb3}
                if "error" in prec:
                    print(f"  seed {seed} {peer:34s} {prec['error']}", flush=True)
                else:
                    print(
                        f"  seed {seed} {peer:34s} {prec['env_steps_per_s']:8.0f} steps/s  final {prec['eval_mean']:8.1f}",
                        flush=True,
                    )
    summaries = [_summary(label, runs, meta[label]["target"]) for label, runs in rows.items()]
    return {"suite": suite, "seeds": list(seeds), "quick": quick, "meta": meta, "runs": rows, "summary": summaries}


def report(result: dict[str, Any]) -> str:
    lines = [
        f"suite {result['suite']!r}, seeds {result['seeds']}"
        + (" (quick: numbers mean nothing)" if result["quick"] else "")
    ]
    head = f"{'algorithm':36s} {'task':14s} {'steps':>7s} {'steps/s (median [min, max])':>30s} {'final return':>18s} {'reached':>9s}"
    lines.append(head)
    sb3_speed = {}
    for s in result["summary"]:
        if s["label"].startswith("SB3 ") and "error" not in s:
            sb3_speed[result["meta"][s["label"]]["sb3"]] = s["sps_median"]
    for s in result["summary"]:
        m = result["meta"][s["label"]]
        if "error" in s:
            lines.append(f"{s['label']:36s} {m['task']:14s} {m['steps']:7d} {s['error']}")
            continue
        speed = f"{s['sps_median']:8.0f} [{s['sps_min']:.0f}, {s['sps_max']:.0f}]"
        ret = f"{s['return_mean']:8.1f} +- {s['return_sd']:6.1f}"
        lines.append(
            f"{s['label']:36s} {m['task']:14s} {m['steps']:7d} {speed:>30s} {ret:>18s} {s['reached']:>4d} of {s['n']}"
        )
    for s in result["summary"]:
        label = s["label"]
        algo = {"train_dqn": "dqn", "train_ppo": "ppo", "train_sac": "sac"}.get(
            result["meta"][label].get("trainer", "")
        )
        if algo in sb3_speed and "error" not in s:
            lines.append(f"speed ratio {label} / SB3 {algo.upper()}: {s['sps_median'] / sb3_speed[algo]:.2f}x")
    return "\n".join(lines)


def results_from_records(paths: Sequence[Path]) -> dict[str, Any]:
    """The recorded ``--suite sb3`` runs in the harness's results format (``results/deep.json``).

    One comparison per algorithm with an SB3 peer, pooling the seeds of every record:
    the timed quantity is the wall time of one training run at equal work (same task,
    env steps, network, batch and update schedule: :data:`SUITES`), the median over
    seeds of ``steps / (env steps per second)``; the note gives both sides' final
    returns, since a faster run that learns less is not a win.
    """
    pooled: dict[str, list[dict[str, Any]]] = {}
    meta: dict[str, Any] = {}
    env: dict[str, Any] = {}
    for path in paths:
        rec = json.loads(Path(path).read_text())
        if rec["quick"] or rec["suite"] != "sb3":
            continue
        env = env or dict(rec.get("environment", {}))
        for label, runs in rec["runs"].items():
            pooled.setdefault(label, []).extend(runs)
            meta[label] = rec["meta"][label]
    results = []
    for label, runs in pooled.items():
        algo = {"train_dqn": "DQN", "train_ppo": "PPO", "train_sac": "SAC"}.get(meta[label].get("trainer", ""))
        peer = f"SB3 {algo}"
        if algo is None or peer not in pooled:
            continue
        m = meta[label]
        rows = []
        for name, rs in ((label, runs), (peer, pooled[peer])):
            ok = [r for r in rs if "error" not in r]
            t = float(np.median([m["steps"] / r["env_steps_per_s"] for r in ok]))
            rows.append({"name": name, "median_s": t, "runs": len(ok), "finals": [r["eval_mean"] for r in ok]})
        ratio = rows[0]["median_s"] / rows[1]["median_s"]
        note = "; ".join(
            f"{r['name']}: final return {np.mean(r['finals']):.1f} over {r['runs']} seeds "
            f"({sum(f >= m['target'] for f in r['finals'])} reached {m['target']:g})"
            for r in rows
        )
        results.append(
            {
                "title": f"one training run, {m['task']}, {m['steps']:,} env steps: {label}",
                "note": note,
                "rows": [
                    {"name": rows[0]["name"], "median_s": rows[0]["median_s"], "ratio_vs_ours": 1.0, "status": "ok"},
                    {"name": rows[1]["name"], "median_s": rows[1]["median_s"], "ratio_vs_ours": ratio, "status": "ok"},
                ],
            }
        )
    return {
        "environment": env,
        "settings": {"source": [Path(p).name for p in paths]},
        "results": results,
        "failures": [],
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--suite", choices=sorted(SUITES), action="append")
    p.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default 5; --quick 1)")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--only", default=None, help="comma-separated substrings of algorithm labels")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--record", action="store_true")
    p.add_argument(
        "--results",
        action="store_true",
        help="only rewrite benchmarks/results/deep.json from the recorded data/deep_sb3_*.json",
    )
    args = p.parse_args(argv)
    if args.results:
        out = ROOT / "benchmarks" / "results" / "deep.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        payload = results_from_records(sorted(DATA.glob("deep_sb3_*.json")))
        out.write_text(json.dumps(payload, indent=1) + "\n")
        print(f"wrote {out.relative_to(ROOT)}: {len(payload['results'])} comparisons")
        return 0
    suites = args.suite or (sorted(SUITES) if args.quick else ["sb3"])
    n = args.seeds if args.seeds is not None else (1 if args.quick else 5)
    seeds = list(range(args.first_seed, args.first_seed + n))
    only = set(args.only.split(",")) if args.only else None
    print(format_environment(environment_info(["torch", "gymnasium"])))
    for suite in suites:
        result = run_suite(suite, seeds, args.quick, only)
        print(report(result))
        if args.record and not args.quick:
            tag = f"_{args.only.replace(',', '_').replace(' ', '')}" if args.only else ""
            path = DATA / f"deep_{suite}{tag}_seeds{seeds[0]}-{seeds[-1]}.json"
            result["environment"] = environment_info(["torch", "gymnasium"])
            path.write_text(json.dumps(result, indent=1, default=float))
            print(f"recorded {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
