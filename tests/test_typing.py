"""Static typing: the packages type-check, and so does research code that uses them.

Runs mypy in-process (``mypy.api.run``) on

* a small user-style script exercising the public API (it must type-check cleanly,
  with mypy's strict per-module flags on the script), and a second one with deliberate
  type errors (mypy must report each of them: a check that cannot fail would prove
  nothing);
* the ``rlcore`` and ``tabular`` packages themselves (``--ignore-missing-imports``:
  numba, cvxpy, joblib, ... ship no stubs).

All runs share one mypy cache directory, so numpy's and scipy's stubs are analysed once.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy")

from mypy import api as mypy_api

REPO = Path(__file__).resolve().parents[1]

USER_SCRIPT = """
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

import tabular
from rlcore import Dataset, FiniteMDP, as_gymnasium_env, evaluate_policy, rollout
from rlcore.evaluation import PolicyEvaluation
from rlcore.experiments import Sweep, grid, run_sweep
from rlcore.generators import chain, forest, random_mdp
from tabular import PlanningResult


def build() -> FiniteMDP:
    P = np.zeros((2, 2, 2))
    P[:, 0, 0] = 1.0
    P[:, 1, 1] = 1.0
    R = np.array([[0.0, 0.0], [1.0, 1.0]])
    return FiniteMDP(P, R, gamma=0.9)


def evaluate(mdp: FiniteMDP) -> float:
    ev: PolicyEvaluation = evaluate_policy(mdp, np.array([1, 1]))
    V: np.ndarray = ev.V
    gamma: float | None = mdp.gamma
    horizon: int | None = mdp.horizon
    n: int = mdp.n_states + mdp.n_actions
    return float(V.max()) + (gamma or 0.0) + (horizon or 0) + n


def data(mdp: FiniteMDP) -> Dataset:
    ds = rollout(mdp, np.array([1, 1]), n_episodes=3, max_steps=5, rng=0)
    returns: np.ndarray = ds.episode_returns(gamma=0.5)
    episodes: int = ds.n_episodes + len(ds) + returns.size
    with tempfile.TemporaryDirectory() as d:
        path: Path = ds.save(Path(d) / "data")
        loaded = Dataset.load(path)
    assert loaded.equals(ds) and episodes > 0
    return loaded


def plan() -> list[float]:
    mdps: list[FiniteMDP] = [
        forest(gamma=0.9),
        chain(5, horizon=10),
        random_mdp(20, 3, branching=2, sparse=True, rng=np.random.default_rng(1)),
    ]
    bounds: list[float] = []
    for mdp in mdps:
        res: PlanningResult = tabular.solve(mdp, epsilon=1e-6)
        policy: np.ndarray = res.policy
        converged: bool = res.converged
        bounds.append(res.value_bound + res.suboptimality_bound + policy.size + converged)
    vi = tabular.value_iteration(forest(gamma=0.9), epsilon=1e-8, max_iter=10_000)
    bounds.append(float(vi.V_upper.max() - vi.V_lower.min()))
    return bounds


def run_fn(config: dict[str, Any], seed: int) -> dict[str, Any]:
    return {"value": config["gamma"] * seed}


def sweep(out_dir: str) -> list[dict[str, Any]]:
    configs = grid({"gamma": [0.5, 0.9]})
    return run_sweep(Sweep(configs, n_seeds=2, root_seed=0), run_fn, out_dir, backend="serial")


def env(mdp: FiniteMDP) -> None:
    e = as_gymnasium_env(mdp, max_episode_steps=10)
    e.reset(seed=0)


if __name__ == "__main__":
    m = build()
    print(evaluate(m), len(data(m)), plan())
    env(m)
"""

# The strict flags that can be set per module, applied to the user script only (the
# packages are checked with the project's settings by test_packages_type_check).
USER_CONFIG = """
[mypy]
ignore_missing_imports = True
warn_unused_configs = True

[mypy-user_script]
disallow_any_generics = True
disallow_untyped_calls = True
disallow_untyped_defs = True
disallow_incomplete_defs = True
check_untyped_defs = True
disallow_untyped_decorators = True
warn_return_any = True
strict_equality = True
"""

# Each line holds one deliberate error; mypy must flag every one of them.
BAD_SCRIPT = """
from __future__ import annotations

import numpy as np

from rlcore import FiniteMDP, rollout
from rlcore.generators import forest

mdp = forest(n_states="3")  # E1: str for an int
g: float = mdp.gamma  # E2: gamma is Optional (None under a finite horizon)
ds = rollout(mdp, np.array([0, 0, 0]), n_episodes=2.5)  # E3: float for an int
n: str = FiniteMDP(np.ones((1, 1, 1)), [[0.0]], gamma=0.5).n_states  # E4: int is not str
"""


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy_cache")


def _mypy(args: list[str], cache: Path) -> tuple[int, list[str], str]:
    out, err, status = mypy_api.run(
        ["--cache-dir", str(cache), "--no-color-output", "--show-error-codes", "--no-pretty", *args]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    return status, errors, out + err


def test_user_code_type_checks(tmp_path: Path, mypy_cache: Path) -> None:
    good = tmp_path / "user_script.py"
    good.write_text(textwrap.dedent(USER_SCRIPT))
    config = tmp_path / "mypy.ini"
    config.write_text(USER_CONFIG)
    status, errors, report = _mypy(["--config-file", str(config), str(good)], mypy_cache)
    assert status == 0 and not errors, report

    bad = tmp_path / "bad_script.py"
    bad.write_text(textwrap.dedent(BAD_SCRIPT))
    status, errors, report = _mypy(["--ignore-missing-imports", str(bad)], mypy_cache)
    assert status == 1, report
    lines = bad.read_text().splitlines()
    expected = {i + 1: m.group(1) for i, line in enumerate(lines) if (m := re.search(r"# (E\d):", line))}
    flagged = {int(m.group(1)) for e in errors if (m := re.match(r".*bad_script\.py:(\d+): error:", e))}
    missing = {tag: lineno for lineno, tag in expected.items() if lineno not in flagged}
    assert not missing, f"mypy missed the deliberate errors {missing}:\n{report}"
    assert flagged <= set(expected), f"unexpected errors outside the marked lines:\n{report}"


# Modules still being written when this test was added, not yet type-clean: they are
# left out (and their errors silenced where another module imports them). Remove an
# entry once ``mypy <file> --ignore-missing-imports`` reports no errors for it.
NOT_YET_CHECKED: tuple[str, ...] = ()


def test_packages_type_check(mypy_cache: Path) -> None:
    args = ["--ignore-missing-imports", str(REPO / "rlcore"), str(REPO / "tabular")]
    if NOT_YET_CHECKED:
        exclude = "|".join(re.escape(path) + "$" for path in NOT_YET_CHECKED)
        args = ["--follow-imports", "silent", "--exclude", exclude, *args]
    status, errors, report = _mypy(args, mypy_cache)
    assert status == 0 and not errors, report
    checked = re.search(r"(?:checked|found in) (\d+) source files?", report)
    assert checked is not None and int(checked.group(1)) >= 30, report  # the packages were found
