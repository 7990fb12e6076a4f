"""Float32 Bellman backups of a dense MDP, for the warm-up phase of a mixed-precision solve (private).

A dense Bellman sweep streams ``S*A*S`` entries of ``P`` and is bound by memory
bandwidth; a float32 copy of ``P`` halves the bytes. The float32 operator is only an
approximation of the stored MDP (each entry rounded to 24 bits, the product summed in
float32), so it is used only to *find* a near-optimal policy and values:
:func:`tabular.modified_policy_iteration` with ``arithmetic="mixed"`` iterates with it
until its progress stalls, then continues with float64 backups of the stored ``P``, and
certifies the answer with the float64 operator exactly as the double-precision path
does (:func:`tabular.certify`). The certificate never depends on the float32 phase.

The copy is made once per MDP and kept while the MDP lives (a weak cache; it holds half
the bytes of ``P``): the first mixed-precision solve pays for it, about one and a half
float64 sweeps.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from rlcore.mdp import FiniteMDP
from tabular._sweep_layout import cached_per_model

__all__ = ["float32_backup", "float32_rows"]


def float32_rows(mdp: FiniteMDP) -> np.ndarray:
    """Read-only float32 copy of a dense ``P`` as an ``(S*A, S)`` array (cached per MDP)."""

    def build() -> np.ndarray:
        S, A = mdp.n_states, mdp.n_actions
        rows = np.ascontiguousarray(cast(np.ndarray, mdp.P).reshape(S * A, S), dtype=np.float32)
        rows.flags.writeable = False
        return rows

    return cast(np.ndarray, cached_per_model(mdp, "float32_rows", build))


def float32_backup(mdp: FiniteMDP, V: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Approximate Bellman backup ``(Q, TV, pi)`` of ``V`` with the float32 copy of ``P``.

    ``V`` is shifted by its midrange ``c`` before rounding to float32, so the rounding
    is relative to the spread of ``V``, not to its level (values are typically
    ``r / (1 - gamma)`` above their spread); ``c`` is added back assuming rows that
    sum to 1 (an approximation like the rest of this operator).
    """
    S, A = mdp.n_states, mdp.n_actions
    g = float(cast(float, mdp.gamma))
    c = 0.5 * (float(V.min()) + float(V.max()))
    U = (V - c).astype(np.float32)
    Q = (float32_rows(mdp) @ U).reshape(S, A).astype(np.float64)
    Q *= g
    Q += mdp.R
    Q += g * c
    pi = np.argmax(Q, axis=1)
    return Q, Q[np.arange(S), pi], pi
