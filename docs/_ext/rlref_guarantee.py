"""Render the library's custom numpydoc ``Guarantee`` section.

Every algorithm's docstring states the theorem it satisfies in a section ::

    Guarantee
    ---------
    The statement, its assumptions, and the paper/theorem it comes from.

numpydoc (1.11) knows a fixed set of sections; an unknown one triggers the warning
"Unknown section Guarantee" and its content is dropped. numpydoc has no mechanism for
registering extra sections, so this extension wraps it with two
``autodoc-process-docstring`` listeners:

* :func:`extract_guarantee` runs *before* numpydoc (priority 400 < numpydoc's 500):
  it cuts the ``Guarantee`` block out of the docstring and keeps it aside;
* :func:`insert_guarantee` runs *after* numpydoc (priority 600): it puts the block
  back, as ``.. rubric:: Guarantee`` followed by its text, just before numpydoc's
  Notes / References / Examples rubrics (so after Parameters, Returns and Raises),
  or at the end when there are none.

Module docstrings are not parsed into sections by numpydoc; there the heading is
rewritten in place as the same rubric.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

__all__ = ["SECTION", "extract_guarantee", "insert_guarantee", "split_guarantee"]

SECTION = "Guarantee"
_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_AFTER_GUARANTEE = (".. rubric:: Notes", ".. rubric:: References", ".. rubric:: Examples")

# (what, name) -> the Guarantee block(s) of a docstring, between the two listeners.
_pending: dict[tuple[str, str], list[str]] = {}


def _is_header(lines: list[str], i: int) -> bool:
    return (
        i + 1 < len(lines)
        and lines[i].strip() != ""
        and bool(_UNDERLINE.match(lines[i + 1]))
        and len(lines[i + 1].strip()) >= len(lines[i].strip())
    )


def split_guarantee(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split numpydoc docstring lines into (lines without Guarantee, Guarantee body).

    The body is dedented to the header's indentation and stripped of blank lines at
    both ends; several Guarantee sections are joined with a blank line.
    """
    kept: list[str] = []
    body: list[str] = []
    i = 0
    while i < len(lines):
        if _is_header(lines, i) and lines[i].strip().lower() in (SECTION.lower(), SECTION.lower() + "s"):
            indent = len(lines[i]) - len(lines[i].lstrip())
            j = i + 2
            while j < len(lines) and not _is_header(lines, j):
                j += 1
            block = [ln[indent:] if ln[:indent].strip() == "" else ln.lstrip() for ln in lines[i + 2 : j]]
            while block and not block[0].strip():
                block.pop(0)
            while block and not block[-1].strip():
                block.pop()
            if body and block:
                body.append("")
            body.extend(block)
            i = j
            continue
        kept.append(lines[i])
        i += 1
    return kept, body


def _rubric(body: list[str]) -> list[str]:
    return [".. rubric:: " + SECTION, ""] + body + [""]


def extract_guarantee(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Pre-numpydoc listener: take the Guarantee section out of ``lines``."""
    if what == "module":
        out: list[str] = []
        i = 0
        while i < len(lines):
            if _is_header(lines, i) and lines[i].strip() == SECTION:
                indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
                out += [indent + ".. rubric:: " + SECTION, ""]
                i += 2
                continue
            out.append(lines[i])
            i += 1
        lines[:] = out
        return
    kept, body = split_guarantee(lines)
    if body:
        lines[:] = kept
        _pending[(what, name)] = body


def insert_guarantee(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Post-numpydoc listener: put the Guarantee back as a rubric before Notes/References/Examples."""
    body = _pending.pop((what, name), None)
    if not body:
        return
    at = next((i for i, line in enumerate(lines) if line.strip() in _AFTER_GUARANTEE), None)
    if at is None:  # no Notes/References/Examples: append after the last text line
        at = len(lines)
        while at > 0 and not lines[at - 1].strip():
            at -= 1
    block = ([""] if at > 0 and lines[at - 1].strip() else []) + _rubric(body)
    lines[at:at] = block


def setup(app: Any) -> dict[str, Any]:
    app.setup_extension("numpydoc")
    # numpydoc also parses the raw docstring to look for a signature
    # (``mangle_signature``, outside autodoc-process-docstring) and warns there about
    # the section this extension renders; that Python warning is noise, not a defect.
    warnings.filterwarnings("ignore", message=r"Unknown section Guarantees? ", category=UserWarning)
    app.connect("autodoc-process-docstring", extract_guarantee, priority=400)
    app.connect("autodoc-process-docstring", insert_guarantee, priority=600)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
