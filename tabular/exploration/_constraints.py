"""Parameter constraints and size limits shared by the online learners."""

from __future__ import annotations

from rlcore.validation import Real

#: Largest ``S``, ``A`` or ``H`` a learner accepts.
MAX_DIM = 10**6
#: A strictly positive real (a prior scale, a noise level, a temperature).
POSITIVE = Real(0, None, closed="neither")

#: The smallest failure probability accepted: below it ``log(1 / delta)`` stops being
#: representable next to the other terms of a bound.
DELTA_FLOOR = 1e-100
#: A failure probability ``delta`` in ``[1e-100, 1)``.
DELTA = Real(DELTA_FLOOR, 1, closed="left")
#: Dense models (``Hs * S * A * S`` entries) above this are refused.
MAX_MODEL = 10**8
