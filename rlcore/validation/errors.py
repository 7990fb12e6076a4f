"""The two exceptions of the validation layer; every refusal raises one of them.

Both carry the parameter's name in :attr:`param` and start their message with it.
They are documented, pickled and printed as :mod:`rlcore.validation`'s.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["InvalidParameterError", "InvalidParameterTypeError"]


class _ParameterError(Exception):
    """What the two errors share: the parameter's name in front, and two ways to build one.

    ``Error(param, message)`` is the library's form. ``Error("param: message")`` (one
    argument) is the form other code uses to rebuild an exception from its text, e.g.
    ``gymnasium.make`` re-raising ``type(e)(f"{e} ...")`` with the env id appended; the name
    is read back from before the first ``": "``. Pickling keeps ``(param, message)``, so
    errors raised in sweep workers (loky, Ray) come back intact.
    """

    def __init__(self, param: str, message: str | None = None) -> None:
        if message is None:
            param, _, message = param.partition(": ")
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.param, self.message)


class InvalidParameterError(_ParameterError, ValueError):
    """A parameter of the right kind with an unacceptable value.

    The message starts with the parameter's name; :attr:`param` holds it.
    """


class InvalidParameterTypeError(_ParameterError, TypeError):
    """A parameter of the wrong kind (a string where a number is expected, ...).

    The message starts with the parameter's name; :attr:`param` holds it.
    """


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    return type(x).__name__


def _short(x: Any) -> str:
    """``repr`` of a value, cut to a readable length (arrays print as their shape)."""
    if isinstance(x, np.ndarray):
        return _describe(x)
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


InvalidParameterError.__module__ = InvalidParameterTypeError.__module__ = "rlcore.validation"
