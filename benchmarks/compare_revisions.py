"""Time one benchmark on two revisions of the library, interleaved, and print the ratios.

A change that should cost nothing (input validation at the boundary, say) is checked by
running the *same* benchmark script, with the same sizes and settings, against the
working tree and against an earlier revision, alternating the two (``base, new, base,
new, ...``) so that the machine's drift falls on both alike, and reporting for every
row the median over rounds of each side and the ratio ``new / base`` (above 1: the
working tree is slower).

The earlier revision is checked out with ``git worktree`` into a temporary directory
and imported through ``PYTHONPATH``, so both sides use this interpreter and its
installed dependencies; the benchmark script itself is always the working tree's
(pass ``--script-from base`` to use the revision's own).

Run, from the repository root::

    python -m benchmarks.compare_revisions BASE_REV bench_planning --rounds 3 -- --quick

Everything after ``--`` is passed to the benchmark (``--quick``, ``--filter ...``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["main"]

REPO = Path(__file__).resolve().parents[1]


def _run(tree: Path, script_tree: Path, module: str, extra: list[str], out: Path) -> dict[tuple[str, str], float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = f"{tree}{os.pathsep}{script_tree}"
    cmd = [sys.executable, "-m", f"benchmarks.{module}", *extra, "--json", str(out)]
    subprocess.run(cmd, cwd=script_tree, env=env, check=False, stdout=subprocess.DEVNULL)
    data = json.loads(out.read_text())
    times: dict[tuple[str, str], float] = {}
    for res in data["results"]:
        for row in res["rows"]:
            if row.get("median_s") is not None:
                times[(res["title"], row["name"])] = float(row["median_s"])
    return times


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the earlier revision (any git revision)")
    parser.add_argument("module", help="benchmark module in benchmarks/, e.g. bench_planning")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side, interleaved (default 3)")
    parser.add_argument("--script-from", choices=("new", "base"), default="new")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds: expected a positive integer")

    with tempfile.TemporaryDirectory(prefix="rlref-base-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(base), args.base], cwd=REPO, check=True)
        try:
            runs: dict[str, list[dict[tuple[str, str], float]]] = {"base": [], "new": []}
            for k in range(args.rounds):
                for side, tree in (("base", base), ("new", REPO)):
                    script_tree = base if args.script_from == "base" else REPO
                    print(f"round {k + 1}/{args.rounds}: {side}", file=sys.stderr, flush=True)
                    runs[side].append(_run(tree, script_tree, args.module, extra, Path(tmp) / f"{side}{k}.json"))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=REPO, check=False)

    keys = [key for key in runs["new"][0] if all(key in r for side in runs.values() for r in side)]
    rev = subprocess.run(["git", "rev-parse", "--short", args.base], cwd=REPO, capture_output=True, text=True)
    print(
        f"benchmarks.{args.module} {' '.join(extra)}: base {rev.stdout.strip()} vs working tree, "
        f"{args.rounds} interleaved rounds, medians of the per-run medians"
    )
    print(f"{'benchmark':58s} {'implementation':26s} {'base':>10s} {'new':>10s} {'new/base':>9s}")
    rows: list[tuple[Any, ...]] = []
    for key in keys:
        b = statistics.median(r[key] for r in runs["base"])
        n = statistics.median(r[key] for r in runs["new"])
        rows.append((key[0][:58], key[1][:26], b, n, n / b))
    for title, name, b, n, ratio in rows:
        print(f"{title:58s} {name:26s} {b * 1e3:8.3f}ms {n * 1e3:8.3f}ms {ratio:9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
