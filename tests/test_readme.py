"""The README's Python snippets run as written (they are the first code users copy)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_python_snippets():
    assert SNIPPETS, "README.md lost its Python quickstart"


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_readme_snippet_runs(index, tmp_path, capsys):
    cwd = os.getcwd()
    os.chdir(tmp_path)  # snippets may write files (e.g. Dataset.save)
    try:
        exec(compile(SNIPPETS[index], f"README.md snippet {index}", "exec"), {"__name__": "__readme__"})
    finally:
        os.chdir(cwd)


README_TEXT = README.read_text(encoding="utf-8")
ROOT = README.parent
PACKAGES = ("rlcore", "tabular", "bandits", "offline", "finance_apps")


def test_readme_links_point_inside_the_repository():
    for target in re.findall(r"\]\(([^)#]+)", README_TEXT):
        if re.match(r"[a-z]+://", target):
            continue
        path = (ROOT / target).resolve()
        assert path.is_relative_to(ROOT), f"README links outside the repository: {target}"
        assert path.exists(), f"README links to a missing file: {target}"
    assert "../" not in README_TEXT, "README refers to a path outside the repository"


def test_readme_capability_table_names_real_modules():
    import importlib

    rows = [line for line in README_TEXT.splitlines() if line.startswith("| ") and line.count(" | ") >= 2]
    assert len(rows) > 10, "README lost its capability table"
    names = set()
    for row in rows:
        where = row.split(" | ")[1]
        pattern = r"`((?:" + "|".join(PACKAGES) + r")(?:\.\w+)*)`"
        names.update(re.findall(pattern, where))
    assert names
    for name in sorted(names):
        importlib.import_module(name)  # raises if the README names a module that does not exist


def test_readme_capability_table_lists_these_modules():
    for module in ("tabular.lp", "tabular.average_reward", "offline.minari"):
        assert f"`{module}`" in README_TEXT, module


def test_readme_benchmark_table_is_generated_from_the_recorded_results():
    """README's benchmark table equals what ``python -m benchmarks.results_table`` renders
    from ``benchmarks/results/*.json``: the figures come from recorded runs only."""
    import sys

    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    from benchmarks.results_table import update_readme

    assert update_readme(check=True) is False, "run: python -m benchmarks.results_table"
