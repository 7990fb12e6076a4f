"""Make the library importable where Numba cannot cache next to the source (private).

Every kernel is compiled with ``@njit(cache=True)``. Numba stores the compiled code in
``NUMBA_CACHE_DIR`` if set, else beside the source file, else in a per-user cache
directory; when none of these is writable (a read-only install run by a user with a
read-only home directory, a locked-down container), the *decorator itself* raises
"cannot cache function ...: no locator available" and the import fails. This module,
imported first by every package, probes once (without importing Numba when the
environment names a cache directory or the in-tree one is writable): if Numba has no writable location it
points ``numba.config.CACHE_DIR`` at a per-user directory under the system's temporary
directory, and if even that is not writable it turns caching off (the kernels then
compile on each import, about 2.5 s each). Either way it warns once, saying how to
choose the location (set ``NUMBA_CACHE_DIR``). When caching works, it does nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings

__all__: list[str] = []


def _probe(x: float) -> float:  # pragma: no cover - only decorated, never compiled
    return x


def _can_cache() -> bool:
    from numba import njit

    try:
        njit(cache=True)(_probe)  # the locator search runs here, at decoration
    except RuntimeError as exc:
        if "no locator available" in str(exc):
            return False
        raise
    return True


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError:
        return False
    return True


def ensure_numba_cache() -> str:
    """Check that Numba can cache the library's kernels; fall back, with a warning, if not.

    Returns ``"ok"`` (nothing changed), ``"tempdir"`` (cache moved to a per-user
    directory under the system's temporary directory) or ``"off"`` (caching disabled).
    """
    if "numba" not in sys.modules and (
        os.environ.get("NUMBA_CACHE_DIR") or _writable(os.path.join(os.path.dirname(__file__), "__pycache__"))
    ):
        # the common case, decided without importing Numba (0.3 s, paid later by the first
        # module that defines a kernel): Numba will cache where the user said, or beside
        # the source (its first choice), which is writable
        return "ok"
    if _can_cache():
        return "ok"
    import numba
    from numba.core import config

    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    fallback = os.path.join(tempfile.gettempdir(), f"rlref-numba-cache-{uid}")
    if _writable(fallback):
        config.CACHE_DIR = fallback  # type: ignore[attr-defined]
        if _can_cache():
            warnings.warn(
                f"rlref: Numba cannot cache compiled kernels beside the installed source or in the user's "
                f"cache directory; caching them in {fallback} instead. Set NUMBA_CACHE_DIR to a writable "
                "directory to choose the place.",
                RuntimeWarning,
                stacklevel=3,
            )
            return "tempdir"
    numba.core.dispatcher.Dispatcher.enable_caching = lambda self: None  # type: ignore[method-assign]
    warnings.warn(
        "rlref: no writable directory for Numba's cache (not beside the source, not in the user's cache "
        "directory, not under the temporary directory); kernels compile without caching, which adds "
        "seconds to each first call in every new process. Set NUMBA_CACHE_DIR to a writable directory "
        "to enable caching.",
        RuntimeWarning,
        stacklevel=3,
    )
    return "off"


STATUS = ensure_numba_cache()
