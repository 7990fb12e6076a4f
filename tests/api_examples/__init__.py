"""Valid example calls of every public callable, for the generated API walk.

Each package has a module here (``rlcore_examples``, ``tabular_examples``, ...) with

* ``EXAMPLES``: ``{name in __all__: Example(...)}``, one small, fast, valid call per
  public function or class; the walk (``tests/test_public_api.py``) replaces one
  argument at a time by the invalid values its declared constraint derives and checks
  the uniform error, and runs the valid call (and each parameter's valid edge values)
  checking that no NaN or infinity comes back;
* ``EXEMPT``: ``{name: reason}`` for names in ``__all__`` that are not called with user
  input (result types, protocols, exceptions, type aliases, modules, constants).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable


@dataclass(frozen=True)
class Example:
    """One valid call.

    Attributes
    ----------
    make : callable
        ``make() -> dict`` of keyword arguments for a valid, fast call (a fresh dict each
        time: arrays may be mutated by the walk). Positional-only parameters are not
        used by the library; a ``*args`` parameter is given as a tuple under its name.
    sweep : bool
        Also call with each scalar parameter set to each of its constraint's valid edge
        values (interval ends, tiny and large values). False for calls too slow to
        repeat (training loops), with the reason in ``why``.
    nonfinite : dict of str to str
        Output fields allowed to be infinite (never NaN), with what infinity means
        there (e.g. ``{"episodes": "no finite sample size meets the target"}``); the
        keys are dotted paths into the returned value (``"bound"``, ``"0"`` for a tuple's
        first entry, ``"*"`` for the whole output).
    skip_params : dict of str to str
        Parameters whose valid edge values are not tried in the sweep, with the reason
        (e.g. a time budget whose largest value would train for hours).
    why : str
        Why ``sweep`` is off.
    """

    make: Callable[[], dict[str, Any]]
    sweep: bool = True
    nonfinite: dict[str, str] = field(default_factory=dict)
    skip_params: dict[str, str] = field(default_factory=dict)
    why: str = ""
