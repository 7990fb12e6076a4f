"""Sphinx configuration for the rlref documentation.

Build (CI runs exactly this; it must finish with no warning)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The build needs no network, and neither do the pages it writes: intersphinx is off on
purpose (it downloads inventories) and MathJax is served from the build's own
``_static/mathjax/`` (copied there by ``sphinx-mathjax-offline``), never from a CDN. The tutorials in
``docs/tutorials/plot_*.py`` are executed by sphinx-gallery during the build; the API
pages are generated from each package's ``__all__`` by ``_ext/rlref_apigen.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: the tutorials' figures are rendered to files
os.environ.setdefault("MPLBACKEND", "Agg")

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The repository root first, so that the packages under documentation are the ones in
# this checkout (whatever an installed copy says), then the local extensions.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))

import rlcore  # noqa: E402

# -- Project -----------------------------------------------------------------------
project = "rlref"
author = "rlref developers"
copyright = "rlref developers"
release = rlcore.__version__
version = ".".join(release.split(".")[:2])

# -- Extensions --------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # ships MathJax 3 into _static/mathjax (the module name has hyphens)
    "sphinx.ext.viewcode",  # [source] links to highlighted module source
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "rlref_apigen",  # writes api/generated/<module>.rst from __all__
    "rlref_guarantee",  # renders the custom numpydoc "Guarantee" section
]
# Deliberately absent: sphinx.ext.intersphinx (needs the network at build time).

# MathJax from the build itself, relative to _static (sphinx-mathjax-offline sets the
# same path and copies the files after a successful build; tests/test_docs.py checks
# that this file exists in the installed extension, so the pages never load a CDN).
mathjax_path = "mathjax/tex-chtml.js"

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "_ext", "_templates", "Thumbs.db", ".DS_Store"]
default_role = "obj"
nitpicky = False  # numpy/scipy types cannot resolve without intersphinx

# -- autodoc / autosummary / numpydoc ----------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
# An overriding method without a docstring of its own is not given its base class's
# (e.g. gymnasium's, in another docstring style that would warn under -W).
autodoc_inherit_docstrings = False

numpydoc_show_class_members = False  # methods are documented by autoclass :members:
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True
numpydoc_validation_checks: set[str] = set()

# -- MyST (prose and theory pages) ---------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_dmath_double_inline = True
myst_heading_anchors = 3

# -- sphinx-gallery (executed tutorials) -------------------------------------------
# Tutorials run on the full budget here; with RLREF_DOCS_QUICK=1 in the environment
# (as tests/test_docs.py sets it) they run on a small one.
sphinx_gallery_conf = {
    "examples_dirs": ["tutorials"],
    "gallery_dirs": ["auto_tutorials"],
    "filename_pattern": r"/plot_",  # execute every plot_*.py
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "remove_config_comments": True,
    "download_all_examples": False,
    "backreferences_dir": None,
    "doc_module": (),
    "reference_url": {},
    "show_memory": False,
    "abort_on_example_error": False,  # report every failing tutorial, then fail the build
    "only_warn_on_example_error": False,
    "min_reported_time": 0,
    "matplotlib_animations": False,
    # The computation-times pages load their table script from a CDN; the times are in
    # the build log and at the foot of each tutorial page anyway.
    "write_computation_times": False,
}


def _prune_stale_tutorial_pages() -> None:
    """Delete generated pages of tutorials that were renamed or removed.

    sphinx-gallery leaves them behind, and an orphan page is a warning (so an error
    under -W) on the next incremental build. Computation-times pages of older builds
    go too (``write_computation_times`` is off).
    """
    gallery = DOCS / sphinx_gallery_conf["gallery_dirs"][0]
    sources = {p.stem for p in (DOCS / sphinx_gallery_conf["examples_dirs"][0]).glob("*.py")}
    for path in gallery.glob("plot_*") if gallery.is_dir() else ():
        if path.is_file() and path.name.split(".", 1)[0] not in sources:
            path.unlink()
    # left by builds that wrote computation-times pages (they load a CDN script)
    for path in (DOCS / "sg_execution_times.rst", gallery / "sg_execution_times.rst"):
        path.unlink(missing_ok=True)


_prune_stale_tutorial_pages()

# -- HTML --------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"rlref {release}"
html_theme_options = {
    "navbar_align": "left",
    # the top-level toctree entries (Install, Tutorials, Theory, API reference) all
    # stay in the top bar, none under "More"
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
