"""`make tour` runs tour.py: it must run as a user runs it, without torch, and show every package."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = (
    "== 1. A certified plan (tabular)",
    "== 2. A bandit's regret against its bound (bandits)",
    "== 3. An offline pessimism certificate (offline)",
    "== 4. An American put: lattice, LSMC and the dual bound (finance_apps)",
    "== 5. The risk of a hedge under trading costs (finance_apps)",
)
# `make tour` installs the library without torch: run the tour with torch unimportable.
NO_TORCH = """
import runpy, sys

class _NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError("No module named 'torch' (blocked by test_tour)")
        return None

sys.meta_path.insert(0, _NoTorch())
sys.argv = [{tour!r}]
runpy.run_path({tour!r}, run_name="__main__")
"""


def test_tour_runs_without_torch_and_shows_every_section(tmp_path):
    tour = str(ROOT / "tour.py")
    proc = subprocess.run(
        [sys.executable, "-c", NO_TORCH.format(tour=tour)],
        cwd=tmp_path,  # the tour must not depend on the working directory
        env=dict(os.environ, MPLBACKEND="Agg"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr  # e.g. a vacuous offline result
    out = proc.stdout
    positions = [out.find(title) for title in SECTIONS]
    assert all(p >= 0 for p in positions), f"missing sections in:\n{out}"
    assert positions == sorted(positions), "sections out of order"
    # Each section names a tutorial to read next, and the tutorial exists.
    tutorials = re.findall(r"tutorial (docs/tutorials/\S+\.py)", out)
    assert len(tutorials) == len(SECTIONS), out
    for path in tutorials:
        assert (ROOT / path).is_file(), path
    # The checks printed beside the numbers hold.
    assert "MISSES" not in out and "FAILS" not in out, out
    assert "V(s0) <= V*(s0): True" in out, out
