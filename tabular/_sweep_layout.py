"""The layout of a sparse ``P`` that the sweep kernels read (private).

A CSR Bellman sweep reads, per stored entry, one float64 value, one column index and
one gathered ``V`` entry; the gathers bound it (``tabular/_dp_kernels.py``). When the
model has at most 65,536 states the column indices fit in 16 bits, and a ``uint16``
copy of them cuts the bytes streamed per entry from 12 to 10: on the development
machine (AMD EPYC Zen 4, 2 cores) that took a Garnet sweep at ``S = 50,000``,
``A = 4``, ``b = 10`` from 2.57 ms to 2.21 ms (best of 60), the time of a flat
``sum data[k] * V[indices[k]]`` over the int32 arrays (``benchmarks/bench_sweeps.py``).
The kernels do exactly the same arithmetic on either index type, so the results are
bit-for-bit the same.

The copy is made once per model, on the first sweep, and kept while the model lives
(a weak-keyed cache: :class:`rlcore.FiniteMDP` is immutable and its arrays are
read-only, so the copy cannot go stale). Callers see nothing of it: they pass and
receive ``V``, ``Q`` and policies as before.

Measured and not adopted (numbers in ``benchmarks/bench_sweeps.py``'s docstring and the
issue-23 report): a fixed-width (ELL) layout without row pointers saves 1/30 of the
bytes and was slower than the CSR kernel in one (loaded) run; a reverse Cuthill-McKee renumbering of the states
gives nothing on Garnet models (random successors: an expander) and, on a banded model
whose states were scrambled, recovered the natural numbering's speed but cost about
100 sweeps' time to compute.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from rlcore import FiniteMDP

__all__ = ["NARROW_INDEX_MAX_STATES", "cached_per_model", "csr_layout"]

NARROW_INDEX_MAX_STATES = 2**16
"""Models with at most this many states get ``uint16`` column indices."""

_DERIVED: weakref.WeakKeyDictionary[FiniteMDP, dict[str, Any]] = weakref.WeakKeyDictionary()


def cached_per_model(mdp: FiniteMDP, name: str, build: Callable[[], Any]) -> Any:
    """``build()``, computed once per model and kept while the model lives.

    The one cache of arrays derived from a model's ``P`` (this module's layout, the
    float32 copy of :mod:`tabular._mixed_precision`): :class:`rlcore.FiniteMDP` is
    immutable with read-only arrays, so a derived array cannot go stale, and the cache
    is weak-keyed, so it never keeps a model alive.
    """
    try:
        entries = _DERIVED.setdefault(mdp, {})
    except TypeError:  # pragma: no cover - a model that cannot be weakly referenced
        return build()
    if name not in entries:
        entries[name] = build()
    return entries[name]


def _unsigned_view(arr: np.ndarray) -> np.ndarray:
    view = arr.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[arr.dtype.itemsize])
    view.flags.writeable = False
    return view


def csr_layout(mdp: FiniteMDP) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(data, indices, indptr)`` of a sparse ``mdp.P`` as the kernels read them.

    ``indices`` is a cached read-only ``uint16`` copy when ``S <= 65,536``, else an
    unsigned view of ``P.indices`` (no copy); ``indptr`` an unsigned view; ``data`` is
    ``P.data`` itself.
    """
    return cast(tuple[np.ndarray, np.ndarray, np.ndarray], cached_per_model(mdp, "csr_layout", lambda: _layout(mdp)))


def _layout(mdp: FiniteMDP) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    P = cast(sp.csr_array, mdp.P)
    if mdp.n_states <= NARROW_INDEX_MAX_STATES:
        indices = P.indices.astype(np.uint16)
        indices.flags.writeable = False
    else:
        indices = _unsigned_view(P.indices)
    return P.data, indices, _unsigned_view(P.indptr)
