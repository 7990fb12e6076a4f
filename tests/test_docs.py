"""Documentation checks: the tutorials run, and no public name goes undocumented.

* every ``docs/tutorials/plot_*.py`` runs as a script on the small budget
  (``RLREF_DOCS_QUICK=1``, headless matplotlib);
* every name in the ``__all__`` of every package and public submodule has a docstring
  and a place in the generated API reference, and its docstring parses under numpydoc
  without warnings (the custom ``Guarantee`` section included);
* the ``Guarantee`` section is rendered as a rubric, in place;
* optionally (``RLREF_DOCS_BUILD=1``) the full ``sphinx-build -W`` build passes.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import pkgutil
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from types import ModuleType

import pytest

for _extra in ("sphinx", "numpydoc", "matplotlib"):
    pytest.importorskip(_extra, reason='the docs checks need the docs extra: pip install -e ".[docs]"')

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TUTORIALS = sorted((DOCS / "tutorials").glob("plot_*.py"))
PACKAGES = ("rlcore", "tabular", "bandits", "offline", "finance_apps")


def _load_extension(name: str) -> ModuleType:
    """Import one of the local Sphinx extensions in ``docs/_ext`` by path."""
    modname = f"_rlref_docs_{name}"
    if modname in sys.modules:
        return sys.modules[modname]
    spec = importlib.util.spec_from_file_location(modname, DOCS / "_ext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


apigen = _load_extension("rlref_apigen")
guarantee = _load_extension("rlref_guarantee")


# ----------------------------------------------------------------------------- tutorials
def test_tutorials_are_found():
    assert TUTORIALS, "no docs/tutorials/plot_*.py found"
    assert (DOCS / "tutorials" / "README.txt").is_file()  # sphinx-gallery needs it


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.name for p in TUTORIALS])
def test_tutorial_runs(script: Path, tmp_path: Path):
    env = dict(os.environ)
    env.update(RLREF_DOCS_QUICK="1", MPLBACKEND="Agg")
    # the packages of this checkout, whatever an installed copy says
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    res = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert res.returncode == 0, f"{script.name} failed:\n{res.stdout[-3000:]}\n{res.stderr[-5000:]}"


# ----------------------------------------------------------------------------- API coverage
def _public_modules() -> list[ModuleType]:
    """Every importable public module of the library, found independently of apigen."""
    found = []
    for pkgname in PACKAGES:
        pkg = importlib.import_module(pkgname)
        found.append(pkg)
        for info in pkgutil.walk_packages(pkg.__path__, pkgname + ".", onerror=lambda name: None):
            if any(part.startswith("_") for part in info.name.split(".")):
                continue
            try:
                found.append(importlib.import_module(info.name))
            except ModuleNotFoundError as exc:  # an optional third-party dependency
                if (exc.name or "").split(".")[0] in PACKAGES:
                    raise
    return found


@pytest.fixture(scope="module")
def pages():
    return apigen.api_pages()


@pytest.fixture(scope="module")
def listed(pages) -> set[str]:
    """Fully qualified names in the autosummary tables of the generated pages."""
    names: set[str] = set()
    for page in pages.values():
        text = apigen.render_page(page)
        for block in re.findall(r"^\.\. autosummary::\n((?:   .*\n|\n)*)", text + "\n", flags=re.M):
            for line in block.splitlines():
                entry = line.strip()
                if entry and not entry.startswith(":"):
                    names.add(f"{page.modname}.{entry}")
    return names


def test_every_package_has_a_page_in_the_api_index(pages):
    index = (DOCS / "api" / "index.rst").read_text(encoding="utf-8")
    for pkg in PACKAGES:
        assert pkg in pages
        assert re.search(rf"^\s+generated/{pkg}\s*$", index, flags=re.M), f"{pkg} missing from docs/api/index.rst"


def test_every_submodule_page_is_linked_from_its_parent(pages):
    for mod, page in pages.items():
        if page.parent is None:
            assert mod in PACKAGES
            continue
        parent_text = apigen.render_page(pages[page.parent])
        assert re.search(rf"^\s+{re.escape(mod)}\s*$", parent_text, flags=re.M), f"{mod} not linked from {page.parent}"


def test_every_public_name_is_in_the_api_reference(listed):
    missing = []
    for mod in _public_modules():
        if not hasattr(mod, "__all__"):
            missing.append(f"{mod.__name__}: no __all__")
            continue
        for name in mod.__all__:
            obj = getattr(mod, name, None)
            if obj is None and not hasattr(mod, name):
                missing.append(f"{mod.__name__}.{name}: in __all__ but not defined")
                continue
            if inspect.ismodule(obj):
                continue  # documented as its own module page
            parts = mod.__name__.split(".")
            owners = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
            if not any(
                f"{owner}.{name}" in listed and getattr(sys.modules[owner], name, None) is obj for owner in owners
            ):
                missing.append(f"{mod.__name__}.{name}")
    assert not missing, "public names missing from the API reference: " + ", ".join(missing)


def test_every_listed_name_has_a_docstring(listed):
    undocumented = [q for q in sorted(listed) if not apigen.object_docstring(*q.rsplit(".", 1))]
    assert not undocumented, "public names without a docstring: " + ", ".join(undocumented)


def _numpydoc_targets(listed: set[str]):
    """(what, name, obj) for every docstring autodoc will hand to numpydoc."""
    for qualname in sorted(listed):
        modname, name = qualname.rsplit(".", 1)
        obj = getattr(importlib.import_module(modname), name)
        if inspect.isclass(obj):
            yield "class", qualname, obj
            for attr, member in vars(obj).items():
                if attr.startswith("_") or not getattr(member, "__doc__", None):
                    continue
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if isinstance(member, property):
                    yield "property", f"{qualname}.{attr}", member
                elif inspect.isfunction(member):
                    yield "method", f"{qualname}.{attr}", member
        elif inspect.isroutine(obj):
            yield "function", qualname, obj


def test_docstrings_parse_under_numpydoc(listed):
    from numpydoc.docscrape_sphinx import get_doc_object

    problems = []
    for what, qualname, obj in _numpydoc_targets(listed):
        lines = inspect.cleandoc(obj.__doc__ or "").splitlines()
        guarantee.extract_guarantee(None, what, qualname, obj, None, lines)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                get_doc_object(
                    obj,
                    what if what != "property" else "attribute",
                    "\n".join(lines),
                    config={"show_class_members": False},
                )
            except Exception as exc:
                problems.append(f"{qualname}: {type(exc).__name__}: {exc}")
        guarantee._pending.pop((what, qualname), None)
        problems += [
            f"{qualname}: {w.message}" for w in caught if "numpydoc" in w.filename or "docscrape" in w.filename
        ]
    assert not problems, "numpydoc problems:\n" + "\n".join(problems)


# ----------------------------------------------------------------------------- Guarantee
def at_char(text: str, needle: str) -> int:
    assert needle in text, needle
    return text.index(needle)


def _render(doc: str, what: str = "function", name: str = "example") -> list[str]:
    from numpydoc.docscrape_sphinx import get_doc_object

    def example():  # pragma: no cover - only its docstring is used
        pass

    lines = textwrap.dedent(doc).strip("\n").splitlines()
    guarantee.extract_guarantee(None, what, name, example, None, lines)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Unknown section" would raise here
        lines[:] = str(get_doc_object(example, what, "\n".join(lines), config={})).split("\n")
    guarantee.insert_guarantee(None, what, name, example, None, lines)
    return lines


def test_guarantee_without_the_hook_is_dropped_by_numpydoc():
    # the reason the extension exists; if numpydoc learns custom sections, revisit it
    from numpydoc.docscrape import NumpyDocString

    with pytest.warns(UserWarning, match="Unknown section Guarantee"):
        doc = NumpyDocString("Summary.\n\nGuarantee\n---------\nIt converges.\n")
    assert "It converges." not in str(doc)


def test_guarantee_renders_as_a_rubric_before_examples():
    lines = _render(
        """
        Solve it.

        Parameters
        ----------
        x : int
            The input.

        Returns
        -------
        int

        Guarantee
        ---------
        The error is at most ``eps`` (Puterman 1994, Thm. 6.3.1).

        Holds for every ``x``.

        Examples
        --------
        >>> 1 + 1
        2
        """
    )
    text = "\n".join(lines)
    assert lines.count(".. rubric:: Guarantee") == 1
    at = lines.index(".. rubric:: Guarantee")
    assert lines[at + 1] == "" and lines[at + 2].startswith("The error is at most ``eps``")
    assert "Holds for every ``x``." in text
    assert text.index(":Returns:") < at_char(text, ".. rubric:: Guarantee") < at_char(text, ".. rubric:: Examples")
    assert "Guarantee\n---------" not in text


def test_guarantee_at_the_end_and_before_notes():
    end = _render("Summary.\n\nGuarantee\n---------\nAlways.\n")
    at = end.index(".. rubric:: Guarantee")
    assert end[at - 1] == "" and end[at + 1 : at + 3] == ["", "Always."]
    assert not any(line.strip() for line in end[at + 3 :])
    notes = _render("Summary.\n\nGuarantee\n---------\nAlways.\n\nNotes\n-----\nA note.\n")
    joined = "\n".join(notes)
    assert at_char(joined, ".. rubric:: Guarantee") < at_char(joined, ".. rubric:: Notes") < at_char(joined, "A note.")


def test_guarantee_in_a_library_docstring():
    import rlcore

    doc = inspect.cleandoc(rlcore.evaluate_policy.__doc__)
    assert "\nGuarantee\n---------\n" in doc  # the fixture this test relies on
    lines = _render(doc, name="rlcore.evaluate_policy")
    text = "\n".join(lines)
    assert at_char(text, ".. rubric:: Guarantee") < at_char(text, ".. rubric:: Examples")
    assert "Puterman 1994, Thm. 6.1.1" in text


def test_guarantee_in_a_module_docstring_is_rewritten_in_place():
    lines = ["Module summary.", "", "Guarantee", "---------", "Holds.", "", "More text."]
    guarantee.extract_guarantee(None, "module", "m", None, None, lines)
    assert lines == ["Module summary.", "", ".. rubric:: Guarantee", "", "Holds.", "", "More text."]


# ----------------------------------------------------------------------------- full build
@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("RLREF_DOCS_BUILD") != "1", reason="set RLREF_DOCS_BUILD=1 to build the docs")
def test_sphinx_build_has_no_warnings(tmp_path: Path):
    out = tmp_path / "html"
    env = dict(os.environ, RLREF_DOCS_QUICK="1", MPLBACKEND="Agg")
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-10000:]
    page = (out / "api" / "generated" / "rlcore.evaluate_policy.html").read_text(encoding="utf-8")
    assert re.search(r'<p class="rubric">Guarantee</p>\s*<p>Discounted:', page)
    for pkg in PACKAGES:
        assert (out / "api" / "generated" / f"{pkg}.html").is_file()
    for script in TUTORIALS:
        assert (out / "auto_tutorials" / f"{script.stem}.html").is_file()
    assert "math notranslate" in (out / "theory" / "mdps.html").read_text(encoding="utf-8")
