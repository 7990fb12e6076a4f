"""The shape every result of the library shares: a base class and three small protocols.

Every solver, learner, simulator and pricer of the library returns a frozen dataclass
that derives from :class:`Result`. The base class gives each of them

* a concise ``repr``: scalars in full, arrays as ``<shape dtype>``, mappings by their
  keys, networks and other objects by their type; an array is never dumped;
* :meth:`Result.summary`, a few aligned lines for people (one per field, arrays with
  their range), which is what the tour and the tutorials print.

Three protocols name the notions results share, with one field name per notion across
the packages (so code written against one planner or learner reads another's result):

========================== ================================================================
:class:`ValueResult`       ``V``, ``Q``, ``policy``: values, action values, the policy
:class:`IterativeResult`   ``iterations``, ``converged``, ``method``
:class:`CertifiedResult`   ``bounds()``: the certified numbers, by name
========================== ================================================================

The protocols are ``typing.Protocol`` classes, checkable at run time with
``isinstance``; a result satisfies one by having the fields, not by inheriting from it.
Field names used across the library: ``V`` and ``Q`` (never ``q`` or ``q_values``),
``policy``, ``iterations`` (never ``n_iterations``), ``converged``, ``method``,
``n_episodes`` and ``n_steps`` for the samples a learner used, ``history`` for
per-iteration diagnostics, and ``value_bound`` / ``suboptimality_bound`` for the two
certified sup-norm bounds of a planner.

A result class is declared as ``@dataclass(frozen=True, repr=False)`` (``repr=False``
keeps the base class's ``__repr__``); fields whose names start with an underscore are
private and left out of both ``repr`` and ``summary``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any, Protocol, runtime_checkable
from collections.abc import Iterator, Mapping

import numpy as np

__all__ = [
    "CertifiedResult",
    "VacuousResultWarning",
    "IterativeResult",
    "Result",
    "ValueResult",
    "short_repr",
    "warn_if_vacuous",
]

_MAX_STR = 48


def _fmt_float(x: float) -> str:
    short = repr(float(x))
    if len(short) <= 9 or not math.isfinite(x):
        return short
    ax = abs(x)
    if 1e-4 <= ax < 1e6:
        return f"{x:.6g}"
    return f"{x:.4g}"


def short_repr(value: Any) -> str:
    """A one-line description of a field's value, never longer than a few dozen characters.

    Parameters
    ----------
    value : any

    Returns
    -------
    str
        Scalars in full (floats to 6 significant digits), arrays as ``<shape dtype>``,
        mappings as their keys, sequences by their length and element type, results by
        their own ``repr``, other objects by their type name.

    Examples
    --------
    >>> short_repr(np.zeros((3, 2)))
    '<(3, 2) float64>'
    >>> short_repr({"residual": np.ones(4)})
    '{residual}'
    >>> short_repr(0.1 + 0.2)
    '0.3'
    """
    if value is None or isinstance(value, (bool, np.bool_)):
        return repr(bool(value)) if value is not None else "None"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return _fmt_float(float(value))
    if isinstance(value, str):
        return repr(value if len(value) <= _MAX_STR else value[: _MAX_STR - 3] + "...")
    if isinstance(value, np.ndarray):
        return f"<{value.shape} {value.dtype}>"
    if isinstance(value, Result):
        return repr(value)
    if isinstance(value, Mapping):
        keys = [str(k) for k in value]
        shown = ", ".join(keys[:6]) + (", ..." if len(keys) > 6 else "")
        return "{" + shown + "}"
    if isinstance(value, (list, tuple)):
        if len(value) <= 4 and all(isinstance(v, (numbers.Number, str, type(None))) for v in value):
            inner = ", ".join(short_repr(v) for v in value)
            return f"({inner}{',' if len(value) == 1 else ''})" if isinstance(value, tuple) else f"[{inner}]"
        kinds = sorted({type(v).__name__ for v in value})
        return f"<{type(value).__name__} of {len(value)} {'/'.join(kinds[:2]) or 'items'}>"
    return f"<{type(value).__name__}>"


def _summary_value(value: Any) -> str:
    """Like :func:`short_repr`, with the range of numeric arrays."""
    if isinstance(value, np.ndarray) and value.size and np.issubdtype(value.dtype, np.number):
        finite = value[np.isfinite(value)] if np.issubdtype(value.dtype, np.floating) else value
        if finite.size:
            lo, hi = finite.min(), finite.max()
            rng = f"in [{short_repr(lo.item())}, {short_repr(hi.item())}]"
            extra = "" if finite.size == value.size else f", {value.size - finite.size} not finite"
            return f"{value.shape} {value.dtype} {rng}{extra}"
        return f"{value.shape} {value.dtype}, none finite"
    return short_repr(value)


class Result:
    """Base class of every result: a concise ``repr`` and a human :meth:`summary`.

    Subclasses are frozen dataclasses declared with ``repr=False``. They may override
    :meth:`_summary_rows` to add derived lines (the base class lists the public fields).

    Examples
    --------
    >>> import dataclasses
    >>> @dataclasses.dataclass(frozen=True, repr=False)
    ... class Fit(Result):
    ...     weights: np.ndarray
    ...     iterations: int
    ...     converged: bool
    >>> r = Fit(np.arange(5.0), 12, True)
    >>> r
    Fit(weights=<(5,) float64>, iterations=12, converged=True)
    >>> print(r.summary())
    Fit
      weights     (5,) float64 in [0.0, 4.0]
      iterations  12
      converged   True
    """

    def _public_fields(self) -> Iterator[tuple[str, Any]]:
        if dataclasses.is_dataclass(self):
            for f in dataclasses.fields(self):
                if not f.name.startswith("_"):
                    yield f.name, getattr(self, f.name)

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={short_repr(v)}" for k, v in self._public_fields())
        return f"{type(self).__name__}({body})"

    def _summary_rows(self) -> list[tuple[str, str]]:
        """``(label, text)`` rows of :meth:`summary`; override to add derived rows."""
        return [(k, _summary_value(v)) for k, v in self._public_fields()]

    def _summary_title(self) -> str:
        method = getattr(self, "method", None)
        return f"{type(self).__name__} ({method})" if isinstance(method, str) and method else type(self).__name__

    def summary(self) -> str:
        """A few aligned lines describing the result, for people (arrays by shape and range).

        Returns
        -------
        str
            A title line, then one indented ``label  value`` line per public field (and
            any derived rows the class adds).
        """
        rows = self._summary_rows()
        width = max((len(k) for k, _ in rows), default=0)
        lines = [self._summary_title()]
        lines += [f"  {k.ljust(width)}  {v}" for k, v in rows]
        return "\n".join(lines)


@runtime_checkable
class ValueResult(Protocol):
    """A result holding values, action values and a policy.

    Attributes
    ----------
    V : ndarray
        State values, shape (S,) (or (H, S) under a finite horizon).
    Q : ndarray or None
        Action values, shape (S, A) (or (H, S, A)); None where the method has none.
    policy : ndarray
        Deterministic (int, shape (S,) or (H, S)) or stochastic (shape (S, A) or (H, S, A)).
    """

    V: Any
    Q: Any
    policy: Any


@runtime_checkable
class IterativeResult(Protocol):
    """A result of an iterative method.

    Attributes
    ----------
    iterations : int
        Iterations performed (sweeps, improvement steps, fitted-Q rounds, ...).
    converged : bool
        True when the method's own stopping rule was met within its budget.
    method : str
        Which algorithm (or variant) produced the result.
    """

    iterations: int
    converged: bool
    method: str


@runtime_checkable
class CertifiedResult(Protocol):
    """A result carrying certified bounds.

    ``bounds()`` returns the certified numbers by name (for a planner
    ``{"value_bound": ..., "suboptimality_bound": ...}``); each holds for the returned
    answer with the guarantee the method's docstring states.
    """

    def bounds(self) -> dict[str, float]:
        """The certified numbers of the result, by field name."""
        ...


class VacuousResultWarning(UserWarning):
    """A result is vacuous: every value at its floor, or a bound above the trivial one.

    Formally correct and useless answers (a certificate above the value range, which any
    policy meets; values all clipped so the policy is the tie-break's) usually come from a
    default that does not fit the data or from too little data. The library warns with
    this class rather than returning them silently; every package raises the same one,
    so one filter covers all (``warnings.simplefilter("ignore", VacuousResultWarning)``).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("all values clipped", VacuousResultWarning)
    >>> caught[0].category.__name__, issubclass(VacuousResultWarning, UserWarning)
    ('VacuousResultWarning', True)
    """


def warn_if_vacuous(bound: float, trivial: float, *, who: str, hint: str, stacklevel: int = 3) -> bool:
    """Warn with :class:`VacuousResultWarning` when ``bound`` is no better than the trivial bound.

    The one rule every package applies to a certificate: a bound at or above
    ``trivial`` (the bound every answer meets, e.g. the range of the values of all
    policies) certifies nothing, and the caller should hear it, with a hint at the
    default or budget that made it so. A ``trivial`` of 0 (everything is known, e.g.
    all rewards equal) never warns.

    Parameters
    ----------
    bound, trivial : float
        The certified bound and the trivial one, in the same units.
    who : str
        The function whose result it is (starts the message).
    hint : str
        What to change, e.g. ``"pass a smaller epsilon"``.
    stacklevel : int, default 3
        As in :func:`warnings.warn` (3: the caller of the function that calls this).

    Returns
    -------
    bool
        Whether it warned.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_vacuous(2.0, 1.0, who="demo", hint="use more data")
    True
    >>> str(caught[0].message)
    'demo: the bound 2 exceeds the trivial bound 1 (met by every answer), so it certifies nothing; use more data'
    """
    import warnings

    if trivial > 0.0 and bound >= trivial:
        verb = "exceeds" if bound > trivial else "equals"
        warnings.warn(
            f"{who}: the bound {bound:.4g} {verb} the trivial bound {trivial:.4g} (met by every answer), "
            f"so it certifies nothing; {hint}",
            VacuousResultWarning,
            stacklevel=stacklevel,
        )
        return True
    return False
