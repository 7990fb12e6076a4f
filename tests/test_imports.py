"""Import hygiene: the library imports without torch, and rlcore pulls in neither torch
nor hypothesis."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)


def test_packages_import_without_torch():
    res = _run(
        """
        import sys
        sys.modules["torch"] = None  # any `import torch` now raises ImportError
        import rlcore, tabular, bandits, offline, finance_apps
        print("ok")
        """
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


def test_rlcore_does_not_import_heavy_optional_modules():
    res = _run(
        """
        import sys
        import rlcore, tabular, bandits, offline, finance_apps
        print(sorted(m for m in ("torch", "hypothesis", "ray", "matplotlib") if m in sys.modules))
        """
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_public_names_are_exported_and_typed_marker_present():
    import importlib
    from pathlib import Path

    for pkg in ("rlcore", "tabular", "bandits", "offline", "finance_apps"):
        mod = importlib.import_module(pkg)
        assert isinstance(mod.__all__, list)
        for name in mod.__all__:
            assert hasattr(mod, name), f"{pkg}.{name} listed in __all__ but missing"
        assert (Path(mod.__file__).parent / "py.typed").is_file()
