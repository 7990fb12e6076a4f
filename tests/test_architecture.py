"""The structure of the library, checked by walking its source.

* the import ladder ``rlcore <- tabular <- {bandits, offline} <- finance_apps`` holds for
  every import statement, module level or inside a function;
* no module imports another package's private module or private name;
* torch is imported in one place only, :mod:`rlcore.deep.layer` (everything else calls
  :func:`rlcore.deep.require_torch`), and importing the packages never imports it;
* every ``Guarantee`` section names the test that checks it, and that test exists;
* no package file is over :data:`MAX_LINES` lines without a ``# Length:`` reason near its top;
* every result class shares the :class:`rlcore.Result` shape (a concise ``repr``, ``summary()``).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("rlcore", "tabular", "bandits", "offline", "finance_apps")
#: What each package may import (itself included): the ladder.
ALLOWED = {
    "rlcore": {"rlcore"},
    "tabular": {"rlcore", "tabular"},
    "bandits": {"rlcore", "tabular", "bandits"},
    "offline": {"rlcore", "tabular", "offline"},
    "finance_apps": {"rlcore", "tabular", "bandits", "offline", "finance_apps"},
}
#: The one module allowed to import torch.
TORCH_HOME = "rlcore/deep/layer.py"
MAX_LINES = 600
LENGTH_REASON = re.compile(r"^#\s*Length:\s*\S")


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """``(line, imported module, imported names)`` of every import in a file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    out: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.append((node.lineno, module, [a.name for a in node.names]))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Attribute, ast.Name))
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            out.append((node.lineno, node.args[0].value, []))
    return out


SOURCES = _sources()


def test_the_walk_sees_the_packages():
    assert len(SOURCES) > 80
    assert any(p.as_posix().endswith(TORCH_HOME) for p in SOURCES)


def test_import_ladder_holds():
    bad = []
    for path in SOURCES:
        pkg = path.relative_to(ROOT).parts[0]
        for line, module, _ in _imports(path):
            top = module.split(".")[0]
            if top in PACKAGES and top not in ALLOWED[pkg]:
                bad.append(
                    f"{path.relative_to(ROOT)}:{line} imports {module} ({pkg} may import {sorted(ALLOWED[pkg])})"
                )
    assert not bad, "the ladder rlcore <- tabular <- {bandits, offline} <- finance_apps is broken:\n" + "\n".join(bad)


SHARED_PLUMBING = {"rlcore._lazy", "rlcore._threads"}


def test_no_package_imports_a_siblings_private_module_or_name():
    bad = []
    for path in SOURCES:
        pkg = path.relative_to(ROOT).parts[0]
        for line, module, names in _imports(path):
            top = module.split(".")[0]
            if top not in PACKAGES or top == pkg:
                continue
            private_parts = [p for p in module.split(".") if p.startswith("_")]
            private_names = [n for n in names if n.startswith("_") and n != "__version__"]
            # the numba cache set-up is rlcore's one hook every package's __init__ runs first
            if module == "rlcore" and names == ["_numba_cache"] and path.name == "__init__.py":
                continue
            # rlcore's shared plumbing, private because it is not for users: lazy package
            # attributes (every __init__) and BLAS thread limits around small calls
            if module in SHARED_PLUMBING:
                continue
            if private_parts or private_names:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module} {names}")
    assert not bad, "a package reaches into another package's private code:\n" + "\n".join(bad)


def test_torch_is_imported_only_through_the_one_helper():
    bad = []
    for path in SOURCES:
        if path.relative_to(ROOT).as_posix() == TORCH_HOME:
            continue
        for line, module, _ in _imports(path):
            if module == "torch" or module.startswith("torch."):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not bad, "import torch only through rlcore.deep.require_torch:\n" + "\n".join(bad)


def test_importing_every_module_does_not_import_torch():
    """Every module of every package (deep ones included) imports without importing torch."""
    code = (
        "import importlib, pkgutil, sys\n"
        f"for pkg in {PACKAGES!r}:\n"
        "    mod = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(mod.__path__, pkg + '.'):\n"
        "        if info.name.split('.')[-1] == 'testing' or '.testing.' in info.name:\n"
        "            continue\n"
        "        importlib.import_module(info.name)\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "False"


# ----------------------------------------------------------------------------- file length
def test_long_files_say_why():
    bad = []
    for path in SOURCES:
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_LINES and not any(LENGTH_REASON.match(s) for s in lines[:40]):
            bad.append(f"{path.relative_to(ROOT)}: {len(lines)} lines")
    assert not bad, (
        f"files over {MAX_LINES} lines need a '# Length: <reason>' line near the top, or a split:\n" + "\n".join(bad)
    )


# ----------------------------------------------------------------------------- Guarantee sections
_HEADER = re.compile(r"^(\s*)Guarantees?\s*\n\1-{9,}\s*$", re.MULTILINE)
_REF = re.compile(r"(tests/[\w/]+\.py)::(\w+)")
_NEXT_SECTION = re.compile(r"^\s*[A-Z][A-Za-z ]+\s*\n\s*-{3,}\s*$", re.MULTILINE)


def _guarantee_sections() -> list[tuple[str, str]]:
    """``(where, body)`` of every Guarantee section in the packages' docstrings."""
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            doc = ast.get_docstring(node, clean=True)
            if not doc:
                continue
            for m in _HEADER.finditer(doc):
                rest = doc[m.end() :]
                nxt = _NEXT_SECTION.search(rest)
                body = rest[: nxt.start()] if nxt else rest
                name = getattr(node, "name", "<module>")
                found.append((f"{path.relative_to(ROOT)}:{name}", body))
    return found


GUARANTEES = _guarantee_sections()


def test_there_are_guarantee_sections():
    assert len(GUARANTEES) > 60


@pytest.mark.parametrize("where,body", GUARANTEES, ids=[w for w, _ in GUARANTEES])
def test_every_guarantee_names_an_existing_test(where: str, body: str):
    refs = _REF.findall(body)
    assert refs, f"{where}: the Guarantee section names no test (write 'Tested by ``tests/...py::test_name``')"
    for rel, name in refs:
        path = ROOT / rel
        assert path.is_file(), f"{where}: {rel} does not exist"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        assert name in top, f"{where}: {rel} defines no top-level test {name!r}"


# ----------------------------------------------------------------------------- results
def _public_classes() -> list[type]:
    seen: dict[int, type] = {}
    for pkg in PACKAGES:
        mod = importlib.import_module(pkg)
        modules = [mod]
        for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
            if any(part.startswith("_") for part in info.name.split(".")) or "testing" in info.name.split("."):
                continue
            modules.append(importlib.import_module(info.name))
        for m in modules:
            for name in getattr(m, "__all__", ()):
                obj = getattr(m, name, None)
                if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
                    seen[id(obj)] = obj
    return sorted(seen.values(), key=lambda c: (c.__module__, c.__name__))


RESULT_CLASSES = [c for c in _public_classes() if c.__name__.endswith("Result")]


def test_there_are_result_classes():
    assert len(RESULT_CLASSES) >= 20


@pytest.mark.parametrize("cls", RESULT_CLASSES, ids=[c.__name__ for c in RESULT_CLASSES])
def test_every_result_shares_the_result_shape(cls: type):
    from rlcore.results import Result

    assert issubclass(cls, Result), f"{cls.__module__}.{cls.__name__} does not derive from rlcore.Result"
    assert cls.__repr__ is Result.__repr__, f"{cls.__name__} overrides the concise repr (declare it repr=False)"
    names = {f.name for f in dataclasses.fields(cls)}
    drift = names & {"q", "q_values", "n_iterations", "num_iterations", "n_iter"}
    assert not drift, f"{cls.__name__} uses {sorted(drift)}: the library's names are Q and iterations"


# ----------------------------------------------------------------------------- simulators
def _simulator_classes() -> list[type]:
    out: dict[int, type] = {}
    for pkg in PACKAGES:
        mod = importlib.import_module(pkg)
        modules = [mod] + [
            importlib.import_module(info.name)
            for info in pkgutil.walk_packages(mod.__path__, pkg + ".")
            if not any(part.startswith("_") for part in info.name.split(".")) and "testing" not in info.name.split(".")
        ]
        for m in modules:
            for name in getattr(m, "__all__", ()):
                obj = getattr(m, name, None)
                if (
                    inspect.isclass(obj)
                    and callable(getattr(obj, "reset", None))
                    and callable(getattr(obj, "step", None))
                ):
                    if not getattr(obj, "_is_protocol", False) and "gymnasium" not in str(inspect.getmro(obj)):
                        out[id(obj)] = obj
    return sorted(out.values(), key=lambda c: (c.__module__, c.__name__))


SIMULATORS = _simulator_classes()


def test_there_are_simulators():
    assert len(SIMULATORS) >= 8, [c.__name__ for c in SIMULATORS]


@pytest.mark.parametrize("cls", SIMULATORS, ids=[c.__name__ for c in SIMULATORS])
def test_every_simulator_has_the_one_shape(cls: type):
    """``reset(n, rng)`` and ``step(states, actions, rng, *, t)``, as :class:`rlcore.Simulator` says."""
    step = inspect.signature(cls.step).parameters
    assert list(step)[:4] == ["self", "states", "actions", "rng"], f"{cls.__name__}.step{inspect.signature(cls.step)}"
    assert "t" in step and step["t"].kind is inspect.Parameter.KEYWORD_ONLY, (
        f"{cls.__name__}.step must take the step index as a keyword-only t (rlcore.rollout passes it)"
    )
    reset = inspect.signature(cls.reset).parameters
    assert list(reset)[:3] == ["self", "n", "rng"], f"{cls.__name__}.reset{inspect.signature(cls.reset)}"
