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
