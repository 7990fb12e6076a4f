"""Progress on long work: one library-wide switch, tqdm bars on standard error.

Every call of the library that can run for more than a few seconds (the learners, LSMC
and the dual bound, distributional dynamic programming, Whittle indices at scale, sweeps,
the bandit engines) takes a ``progress`` argument:

* ``progress=None`` (the default) follows the library-wide switch, which is **off**
  unless :func:`set_progress` turned it on or the environment variable
  ``RLREF_PROGRESS`` is set to ``1`` (``true``, ``yes``, ``on``) when :mod:`rlcore` is
  imported; so library use stays silent;
* ``progress=True`` / ``False`` overrides the switch for that call.

With progress on, a call draws a `tqdm <https://tqdm.github.io>`_ bar on standard error
over its natural unit (episodes, exercise dates, outer paths, iterations, runs) and, the
first time it needs Numba kernels that are not in Numba's on-disk cache yet, says so
before compiling them (about 2.5 s each, once per machine; :func:`compile_notice`).
Nothing is printed to standard output, and results do not depend on the switch.

Examples
--------
>>> import rlcore
>>> rlcore.progress_enabled()
False
>>> with rlcore.progress_switch(True):
...     rlcore.progress_enabled()
True
>>> from rlcore.progress import progress_bar
>>> bar = progress_bar(3, desc="demo", progress=False)  # a silent bar
>>> for _ in range(3):
...     bar.update(1)
>>> bar.close()
"""

from __future__ import annotations

import math
import os
import sys
import time
import types
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any
from collections.abc import Iterable, Iterator

from rlcore.validation import Bool, Instance, Integer, Real, Unchecked, validate_params

__all__ = [
    "NULL_BAR",
    "PROGRESS",
    "compile_notice",
    "first_then_bar",
    "notice_when",
    "progress_bar",
    "progress_enabled",
    "progress_switch",
    "resolve_progress",
    "set_progress",
]

_TRUE = ("1", "true", "yes", "on")
_STATE = {"enabled": os.environ.get("RLREF_PROGRESS", "").strip().lower() in _TRUE}

#: The constraint of every ``progress`` argument of the library.
PROGRESS = Bool() | None


@validate_params(enabled=Bool())
def set_progress(enabled: bool) -> None:
    """Turn progress reporting on or off for the whole library (the default of ``progress=None``).

    Parameters
    ----------
    enabled : bool

    Examples
    --------
    >>> import rlcore
    >>> rlcore.set_progress(True); rlcore.progress_enabled()
    True
    >>> rlcore.set_progress(False)
    """
    _STATE["enabled"] = enabled


@validate_params()
def progress_enabled() -> bool:
    """Whether the library-wide switch is on.

    Examples
    --------
    >>> import rlcore
    >>> rlcore.progress_enabled() in (True, False)
    True
    """
    return bool(_STATE["enabled"])


@contextmanager
@validate_params(enabled=Bool())
def progress_switch(enabled: bool) -> Iterator[None]:
    """Set the library-wide switch inside a ``with`` block, and restore it after.

    Parameters
    ----------
    enabled : bool

    Examples
    --------
    >>> import rlcore
    >>> with rlcore.progress_switch(True):
    ...     rlcore.progress_enabled()
    True
    """
    before = _STATE["enabled"]
    _STATE["enabled"] = enabled
    try:
        yield
    finally:
        _STATE["enabled"] = before


@validate_params(progress=PROGRESS)
def resolve_progress(progress: bool | None) -> bool:
    """The effective setting of a ``progress`` argument: itself, or the switch when None.

    Parameters
    ----------
    progress : bool or None

    Examples
    --------
    >>> from rlcore.progress import resolve_progress
    >>> resolve_progress(True), resolve_progress(False)
    (True, False)
    """
    return progress_enabled() if progress is None else progress


class _NullBar:
    """The interface of a tqdm bar, doing nothing: what :func:`progress_bar` returns when progress is off."""

    disable = True
    n = 0
    total = None

    def update(self, n: int = 1) -> None:
        """Do nothing."""

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        """Do nothing."""

    def set_postfix_str(self, *args: Any, **kwargs: Any) -> None:
        """Do nothing."""

    def set_description(self, *args: Any, **kwargs: Any) -> None:
        """Do nothing."""

    def refresh(self) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""

    def __enter__(self) -> _NullBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __repr__(self) -> str:
        return "NULL_BAR"


#: The shared silent bar. A loop whose calls take microseconds can resolve ``progress``
#: once and use ``NULL_BAR`` directly when it is off, skipping even the validation of
#: :func:`progress_bar`.
NULL_BAR = _NullBar()


class _LazyBar(_NullBar):
    """A bar drawn at its first update, so that nothing is drawn before the first unit is done."""

    disable = False

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self._kwargs = kwargs
        self._bar: Any = None

    def update(self, n: int = 1) -> None:
        if self._bar is None:
            self._kwargs["initial"] = self._kwargs["initial"] + n
            self._bar = _tqdm(**self._kwargs)
        else:
            self._bar.update(n)

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        if self._bar is not None:
            self._bar.set_postfix(*args, **kwargs)

    def set_postfix_str(self, *args: Any, **kwargs: Any) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(*args, **kwargs)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<lazy progress bar {self._kwargs['desc']!r}>"


def _tqdm(**kwargs: Any) -> Any:
    from tqdm.auto import tqdm

    return tqdm(file=sys.stderr, dynamic_ncols=True, **kwargs)


@validate_params(
    total=Integer(0, None) | None,
    desc=Instance(str),
    progress=PROGRESS,
    unit=Instance(str),
    leave=Bool(),
    initial=Integer(0, None),
    lazy=Bool(),
)
def progress_bar(
    total: int | None,
    *,
    desc: str,
    progress: bool | None = None,
    unit: str = "it",
    leave: bool = False,
    initial: int = 0,
    lazy: bool = False,
) -> Any:
    """A tqdm bar on standard error, or the silent :data:`NULL_BAR` when progress is off.

    Parameters
    ----------
    total : int >= 0 or None
        Number of units (None when unknown).
    desc : str
        What is being done, e.g. ``"longstaff_schwartz"``.
    progress : bool or None, default None
        None follows the library-wide switch (:func:`set_progress`).
    unit : str, default "it"
        Name of one unit (``"episode"``, ``"date"``, ``"path"``).
    leave : bool, default False
        Keep the finished bar on screen.
    initial : int >= 0, default 0
        Units already done (a resumed sweep).
    lazy : bool, default False
        Draw the bar at its first ``update`` only (so that a compile notice printed
        during the first unit is not interleaved with a bar already on screen).

    Returns
    -------
    tqdm.tqdm or NULL_BAR
        Use ``update(n)``, ``set_postfix(...)`` and ``close()`` (or ``with``). When
        progress is off, :data:`NULL_BAR`, whose methods do nothing.

    Examples
    --------
    >>> from rlcore.progress import progress_bar
    >>> with progress_bar(10, desc="demo", progress=False) as bar:
    ...     bar.update(10)
    """
    if not resolve_progress(progress):
        return NULL_BAR
    kwargs = dict(total=total, desc=desc, unit=unit, leave=leave, initial=initial)
    return _LazyBar(kwargs) if lazy else _tqdm(**kwargs)


def first_then_bar(
    total: int, *, desc: str, unit: str, progress: bool | None, kernels: Iterable[Any] = ()
) -> Iterator[int]:
    """Yield ``0, ..., total - 1``: unit 0 inside :func:`compile_notice`, the others counted by a bar.

    The first unit of a loop is where Numba compiles the kernels missing from its cache,
    so it runs inside the notice (which speaks before and after the compilation) and
    the bar starts after it, already at 1: the notice's lines never land on a bar's
    line. A loop left early closes the bar when the generator is closed or collected.

    Parameters
    ----------
    total : int
        Number of units (nothing is yielded when ``total <= 0``).
    desc, unit : str
        As in :func:`progress_bar`.
    progress : bool or None
        As in :func:`progress_bar`.
    kernels : iterable of numba dispatchers or modules, optional
        As in :func:`compile_notice`.

    Examples
    --------
    >>> from rlcore.progress import first_then_bar
    >>> list(first_then_bar(3, desc="demo", unit="run", progress=False))
    [0, 1, 2]
    """
    if total <= 0:
        return
    on = resolve_progress(progress)
    with compile_notice(list(kernels), desc, progress=on) if on else nullcontext():
        yield 0
    with progress_bar(total, desc=desc, progress=on, unit=unit, initial=1) if on else NULL_BAR as bar:
        for i in range(1, total):
            yield i
            bar.update(1)


def notice_when(on: bool, kernels: Any, what: str) -> AbstractContextManager[Any]:
    """:func:`compile_notice` when ``on`` (a resolved setting), else a free no-op context.

    For loops that would otherwise pay the notice's validation on every iteration:
    ``with notice_when(on and it == 1, kernels, "tabular.value_iteration"): ...``.

    Examples
    --------
    >>> from rlcore.progress import notice_when
    >>> with notice_when(False, [], "demo"):
    ...     pass
    """
    if not on:
        return nullcontext()
    return compile_notice(kernels if isinstance(kernels, (list, tuple)) else [kernels], what, progress=True)


def _dispatchers(items: Iterable[Any]) -> list[Any]:
    """Numba dispatchers from a mix of dispatchers and modules (a module gives all of its own)."""
    from numba.core.dispatcher import Dispatcher

    out: list[Any] = []
    for item in items:
        if isinstance(item, types.ModuleType):
            out += [v for v in vars(item).values() if isinstance(v, Dispatcher)]
        elif isinstance(item, Dispatcher):
            out.append(item)
    return out


def _uncached(kernels: Iterable[Any]) -> list[Any]:
    """The Numba dispatchers that are neither loaded in this process nor in the disk cache."""
    out = []
    for k in _dispatchers(kernels):
        if getattr(k, "signatures", None):  # already compiled or loaded in this process
            continue
        cache = getattr(k, "_cache", None)
        index = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
        if index is None or not os.path.exists(index):
            out.append(k)
    return out


@contextmanager
@validate_params(
    kernels=Unchecked("any iterable of Numba dispatchers and modules; other objects are ignored"),
    what=Instance(str),
    progress=PROGRESS,
    seconds_each=Real(0.0, 3600.0),
)
def compile_notice(
    kernels: Iterable[Any], what: str, *, progress: bool | None = None, seconds_each: float = 2.5
) -> Iterator[int]:
    """Say, before it happens, that Numba will compile kernels missing from its cache.

    With progress on and at least one kernel neither loaded in this process nor found in
    Numba's on-disk cache, writes one line to standard error before the block (how many
    kernels, for what, and about how long) and one after it (how long it took). Silent
    otherwise: a warm cache loads kernels in milliseconds.

    Parameters
    ----------
    kernels : iterable of numba dispatchers or modules
        The ``@njit(cache=True)`` functions the block may call; a module stands for all
        the dispatchers defined in it (the count printed is then an upper bound).
    what : str
        The call that needs them, e.g. ``"bandits.simulate"``.
    progress : bool or None, default None
        None follows the library-wide switch.
    seconds_each : float in [0, 3600], default 2.5
        The estimate printed per kernel.

    Yields
    ------
    int
        The number of kernels about to be compiled (0 when all are cached).

    Examples
    --------
    >>> from rlcore.progress import compile_notice
    >>> with compile_notice([], "demo", progress=True) as n:
    ...     n
    0
    """
    todo = _uncached(kernels) if resolve_progress(progress) else []
    if not todo:
        yield 0
        return
    n = len(todo)
    from tqdm.auto import tqdm

    # tqdm.write keeps the lines apart from any bar already on screen
    tqdm.write(
        f"rlref: compiling up to {n} Numba kernel{'s' if n > 1 else ''} for {what} "
        f"(about {math.ceil(n * seconds_each)} s, first run on this machine only; cached afterwards)",
        file=sys.stderr,
    )
    start = time.perf_counter()
    try:
        yield n
    finally:
        tqdm.write(f"rlref: {what}: kernels ready in {time.perf_counter() - start:.1f} s", file=sys.stderr)
