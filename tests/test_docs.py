"""Documentation checks: the tutorials run, and no public name goes undocumented.

* every ``docs/tutorials/plot_*.py`` runs as a script on the small budget
  (``RLREF_DOCS_QUICK=1``, headless matplotlib);
* every name in the ``__all__`` of every package and public submodule has a docstring
  and a place in the generated API reference, and its docstring parses under numpydoc
  without warnings (the custom ``Guarantee`` section included);
* the ``Guarantee`` section is rendered as a rubric, in place;
* no tutorial draws on a figure made by an earlier sphinx-gallery cell (which the
  gallery has closed, so the drawing never reaches the page);
* the front door: the install page comes first, its example runs, the API reference
  is in the top bar, ``[source]`` links are on; MathJax is served from the build's
  own files (checked on a one-page build), never from a CDN;
* optionally (``RLREF_DOCS_BUILD=1``) the full ``sphinx-build -W`` build passes.
"""

from __future__ import annotations

import ast
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


# A sphinx-gallery cell starts at a ``# %%`` line or at a line of 20 or more ``#``.
_CELL_SEPARATOR = re.compile(r"^(# %%|#{20,})")
# pyplot functions that create (or make current) a figure or axes.
_FIGURE_MAKERS = {"figure", "subplots", "subplot", "subplot_mosaic", "axes", "gcf", "gca"}
# pyplot functions that neither draw nor depend on a current figure.
_PYPLOT_HARMLESS = {"show", "close", "rcParams", "rc", "rc_context", "style", "get_cmap", "colormaps", "cm"}


def tutorial_cells(source: str) -> list[tuple[int, str]]:
    """Split a tutorial into its sphinx-gallery cells: ``(first line number, code)``."""
    cells: list[tuple[int, list[str]]] = [(1, [])]
    for lineno, line in enumerate(source.splitlines(), start=1):
        if _CELL_SEPARATOR.match(line):
            cells.append((lineno, []))
        cells[-1][1].append(line)
    return [(start, "\n".join(lines) + "\n") for start, lines in cells]


def _root_name(node: ast.AST) -> str | None:
    """The name at the root of ``a.b[0].c`` (``a``), or None."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _bound_names(target: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _makes_figure(node: ast.AST | None) -> bool:
    """Whether ``node`` calls a pyplot figure maker (``plt.subplots(...)``, ...)."""
    return node is not None and any(
        isinstance(c, ast.Call)
        and isinstance(c.func, ast.Attribute)
        and c.func.attr in _FIGURE_MAKERS
        and _root_name(c.func) == "plt"
        for c in ast.walk(node)
    )


def _bindings(node: ast.AST):
    """``(target, value)`` pairs that ``node`` binds; loops over ``zip``/``enumerate`` paired up."""
    if isinstance(node, ast.Assign):
        yield from ((t, node.value) for t in node.targets)
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
        yield node.target, node.value
    elif isinstance(node, ast.With):
        yield from ((i.optional_vars, i.context_expr) for i in node.items if i.optional_vars is not None)
    elif isinstance(node, (ast.For, ast.comprehension)):
        target, it = node.target, node.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and isinstance(target, ast.Tuple):
            if it.func.id == "zip" and len(it.args) == len(target.elts):
                yield from zip(target.elts, it.args)
                return
            if it.func.id == "enumerate" and len(target.elts) == 2 and it.args:
                yield target.elts[0], None
                yield target.elts[1], it.args[0]
                return
        yield target, it


def draws_on_closed_figures(source: str) -> list[str]:
    """Where a tutorial draws on a figure that an earlier cell created.

    sphinx-gallery saves and closes every open figure at the end of each cell, so
    anything drawn later on that figure (through a variable such as ``fig``/``ax``, or
    through ``plt.`` with no figure made in the cell) never reaches the page. A name
    counts as a figure handle when it is bound from a pyplot figure maker, or from an
    expression over another handle (``ax = axes[0]``, ``for ax in axes``, ``twin =
    ax.twinx()``, ``(line,) = ax.plot(...)``); a cell may use a handle freely once it
    rebinds it. Calls to ``get_*`` methods (reading, not drawing) are allowed.
    """
    problems = []
    handles: dict[str, int] = {}  # figure handle -> first line of the cell that made it
    for start, code in tutorial_cells(source):
        tree = ast.parse(code)
        made_here: set[str] = set()
        rebound: set[str] = set()
        makes_figure = _makes_figure(tree)
        for node in ast.walk(tree):  # breadth first: a cell's statements in order, then their bodies
            for target, value in _bindings(node):
                names = _bound_names(target)
                rebound |= names
                if _makes_figure(value) or _root_name(value) in handles.keys() | made_here:
                    made_here |= names
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            root, attr = _root_name(node.func), node.func.attr
            line = start + node.lineno - 1
            if root == "plt":
                if attr not in _FIGURE_MAKERS and attr not in _PYPLOT_HARMLESS and handles and not makes_figure:
                    problems.append(f"line {line}: plt.{attr}() draws with no figure made in its cell")
            elif root in handles and root not in rebound and not attr.startswith("get_"):
                problems.append(
                    f"line {line}: {root}.{attr}() draws on a figure made by the cell at line {handles[root]}, "
                    "which sphinx-gallery has already closed"
                )
        for name in rebound - made_here:  # rebound to something else: no longer a handle
            handles.pop(name, None)
        handles.update(dict.fromkeys(made_here, start))
    return problems


_CLOSED_FIGURE_EXAMPLE = """\
\"\"\"Title\"\"\"

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots()
ax.plot([0, 1], [0, 1], label="tree")

# %%
# A later cell adds to the same axes: the page shows none of it.
boundary = [1, 0]
ax.plot([0, 1], boundary, label="LSMC")
ax.legend()
fig.tight_layout()

#####################################################################
plt.title("orphan")
"""


def test_closed_figure_check_catches_drawing_in_a_later_cell():
    problems = draws_on_closed_figures(_CLOSED_FIGURE_EXAMPLE)
    assert len(problems) == 4, problems
    assert "line 12: ax.plot()" in problems[0] and "cell at line 3" in problems[0]
    assert any("fig.tight_layout()" in p for p in problems)
    assert any("plt.title()" in p for p in problems)
    fixed = _CLOSED_FIGURE_EXAMPLE.replace("boundary = [1, 0]", "boundary = [1, 0]\nfig, ax = plt.subplots()")
    fixed = fixed.replace('plt.title("orphan")', 'plt.figure()\nplt.title("fine")')
    assert draws_on_closed_figures(fixed) == []


def test_closed_figure_check_allows_derived_handles_and_reads():
    source = (
        "import matplotlib.pyplot as plt\n"
        "fig, axes = plt.subplots(1, 2)\n"
        "for ax in axes:\n    (line,) = ax.plot([0, 1])\n"
        "twin = axes[1].twinx()\ntwin.plot([1, 0])\n"
        "# %%\ncolour = line.get_color()\nprint(colour)\n"
        "# %%\nfig, ax = plt.subplots()\nax.plot([0], color=colour)\n"
    )
    assert draws_on_closed_figures(source) == []


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.name for p in TUTORIALS])
def test_tutorial_draws_only_on_figures_of_its_own_cell(script: Path):
    problems = draws_on_closed_figures(script.read_text(encoding="utf-8"))
    assert not problems, f"{script.name}: " + "; ".join(problems)


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


# ----------------------------------------------------------------------------- front door
def _top_level_toctree() -> list[str]:
    text = (DOCS / "index.md").read_text(encoding="utf-8")
    block = re.search(r"```\{toctree\}\n(.*?)```", text, flags=re.S)
    assert block, "docs/index.md has no toctree"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith(":")]


def test_install_page_comes_first_and_api_reference_is_in_the_top_bar():
    entries = _top_level_toctree()
    assert entries[0] in ("install", "quickstart")
    assert "api/index" in entries
    # pydata-sphinx-theme puts the top-level entries in the navbar, the ones after
    # header_links_before_dropdown under "More"
    assert len(entries) <= _docs_conf()["html_theme_options"]["header_links_before_dropdown"]
    assert "sphinx.ext.viewcode" in _docs_conf()["extensions"]  # [source] links


def test_install_page_example_runs(tmp_path: Path):
    text = (DOCS / "install.md").read_text(encoding="utf-8")
    for extra in ("torch", "hypothesis", "test"):
        assert f'pip install -e ".[{extra}]"' in text
    assert "make tour" in text and "make test" in text
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(code.strip().splitlines()) <= 12  # a first example, not a tutorial
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "suboptimality_bound" in res.stdout


# ----------------------------------------------------------------------------- MathJax offline
_CDN = re.compile(r"""(?:src|href)=["'](?:https?:)?//[^"']*(?:mathjax|cdn)""", re.I)


def _docs_conf() -> dict:
    """The names that ``docs/conf.py`` defines, read without running it."""
    tree = ast.parse((DOCS / "conf.py").read_text(encoding="utf-8"))
    conf = {}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(getattr(node, "value", None), ast.AST):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    try:
                        conf[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        pass
    return conf


def _mathjax_extension() -> ModuleType:
    pytest.importorskip(
        "sphinx-mathjax-offline", reason='MathJax offline needs the docs extra: pip install -e ".[docs]"'
    )
    return importlib.import_module("sphinx-mathjax-offline")


def test_mathjax_is_configured_to_load_locally():
    conf = _docs_conf()
    assert "sphinx-mathjax-offline" in conf["extensions"]
    path = conf["mathjax_path"]
    assert not re.match(r"(?:[a-z]+:)?//", path), f"mathjax_path is a URL: {path}"
    ext = _mathjax_extension()
    assert (Path(ext.__file__).parent / "static" / "mathjax" / path.removeprefix("mathjax/")).is_file()
    assert path.startswith("mathjax/")  # where the extension copies its files, under _static

    class App:  # what the extension's setup touches
        config = type("Config", (), {"mathjax_path": None})()
        connect = staticmethod(lambda event, handler: None)

    ext.setup(App)
    assert App.config.mathjax_path == path  # the extension does not point elsewhere


def test_a_page_with_maths_loads_the_local_mathjax(tmp_path: Path):
    """A one-page build with the project's MathJax settings: the script is local and copied."""
    _mathjax_extension()
    conf = _docs_conf()
    src, out = tmp_path / "src", tmp_path / "html"
    src.mkdir()
    (src / "conf.py").write_text(
        f"extensions = {['sphinx.ext.mathjax', 'sphinx-mathjax-offline']!r}\nmathjax_path = {conf['mathjax_path']!r}\n",
        encoding="utf-8",
    )
    (src / "index.rst").write_text("Maths\n=====\n\n.. math:: V^* = \\max_\\pi V^\\pi\n", encoding="utf-8")
    res = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-d", str(tmp_path / "dt"), str(src), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    _assert_local_mathjax(out, out / "index.html")


def _assert_local_mathjax(out: Path, page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert "math notranslate" in html  # the page has maths
    scripts = re.findall(r"<script[^>]*src=\"([^\"]*mathjax[^\"]*)\"", html, flags=re.I)
    assert scripts, "no MathJax script on a page with maths"
    for src in scripts:
        assert not re.match(r"(?:[a-z]+:)?//", src), f"MathJax from the network: {src}"
        assert (page.parent / src).resolve().is_file(), f"MathJax script {src} missing from the build"
    assert not _CDN.search(html), "a page loads a script or stylesheet from a CDN"


def test_built_docs_load_no_cdn():
    """When a full build is at hand (``make docs``), its pages load nothing from a CDN."""
    out = DOCS / "_build" / "html"
    page = out / "theory" / "mdps.html"
    if not page.is_file():
        pytest.skip("no built documentation in docs/_build/html")
    if page.stat().st_mtime < (DOCS / "conf.py").stat().st_mtime:
        pytest.skip("docs/_build/html is older than docs/conf.py")
    _assert_local_mathjax(out, page)
    offenders = [p.relative_to(out) for p in out.rglob("*.html") if _CDN.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"pages loading from a CDN: {offenders}"


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
    _assert_local_mathjax(out, out / "theory" / "mdps.html")
    offenders = [p.relative_to(out) for p in out.rglob("*.html") if _CDN.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"pages loading from a CDN: {offenders}"
    page = (out / "api" / "generated" / "rlcore.evaluate_policy.html").read_text(encoding="utf-8")
    assert "viewcode-link" in page  # [source] links
    navbar = (out / "index.html").read_text(encoding="utf-8").split("bd-navbar-elements", 1)[-1]
    assert "dropdown" not in navbar[: navbar.index('href="api/index.html"')]  # in the top bar, not under "More"
    assert (out / "install.html").is_file()
