"""Load tabular MDPs from the BRIDGE dataset (Laidlaw, Russell and Dragan, NeurIPS 2023).

A BRIDGE ``.npz`` holds ``transitions``, an integer array of shape (S, A) with the
next state of taking ``a`` in ``s`` (``-1``: the episode ends), and ``rewards``, a
float array of shape (S, A); state 0 is the start state. :func:`load_bridge_mdp`
turns one into an undiscounted finite-horizon :class:`~rlcore.FiniteMDP`.

State layouts
-------------
``sticky_prob == 0`` (deterministic)
    ``S + 1`` states: the file's states ``0..S-1`` and an absorbing, zero-reward
    terminal state ``S`` that every ``-1`` leads to (the same convention as the
    authors' ``load_mdp``).
``sticky_prob > 0`` (sticky actions)
    ``S*A + 2`` states: ``0`` is the start (file state 0, no previous action);
    ``1 + s*A + p`` is file state ``s`` with previous action ``p``; ``S*A + 1`` is
    the absorbing terminal state. From ``(s, p)`` the chosen action ``a`` is executed
    with probability ``1 - sticky_prob`` and the previous action ``p`` is repeated
    with probability ``sticky_prob``; the next state records the action actually
    executed, and the reward is the expected one,
    ``(1 - q) r(s, a) + q r(s, p)``. The first step (from the start state) is never
    sticky.

References
----------
C. Laidlaw, S. Russell and A. Dragan, "Bridging RL theory and practice with the
effective horizon", NeurIPS 2023 (the BRIDGE dataset, CC-BY-4.0).

C. Laidlaw, B. Zhu, S. Russell and A. Dragan, "The effective horizon explains deep RL
performance in stochastic environments", ICLR 2024 (sticky actions, probability 0.25).

M. C. Machado et al., "Revisiting the Arcade Learning Environment", JAIR 2018 (sticky
actions).
"""

from __future__ import annotations

import numbers
import os
from typing import Any

import numpy as np
import scipy.sparse as sp

from rlcore.validation import check_positive_int
from rlcore.mdp import FiniteMDP

__all__ = ["load_bridge_mdp"]


def _check_sticky_prob(q: Any) -> float:
    if isinstance(q, (bool, np.bool_)) or not isinstance(q, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"sticky_prob: expected a probability in [0, 1], got {q!r} of type {type(q).__name__}")
    value = float(q)
    if not (np.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"sticky_prob: expected a probability in [0, 1], got {q!r}")
    return value


def _read_tables(path: Any) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a file path (str or os.PathLike), got {type(path).__name__}")
    name = os.fspath(path)
    try:
        with np.load(name, allow_pickle=False) as npz:
            keys = set(npz.files)
            missing = {"transitions", "rewards"} - keys
            if missing:
                raise ValueError(
                    f"path: {name!r} is not a BRIDGE MDP file: missing array(s) {sorted(missing)} "
                    f"(found {sorted(keys)})"
                )
            T = npz["transitions"]
            R = npz["rewards"]
    except ValueError as err:
        if str(err).startswith("path:"):
            raise
        raise ValueError(f"path: could not read {name!r} as a .npz without pickles: {err}") from err
    if T.ndim != 2 or T.shape[0] == 0 or T.shape[1] == 0:
        raise ValueError(f"path: {name!r}: 'transitions' must have shape (S, A) with S, A >= 1, got {T.shape}")
    if T.dtype.kind not in "iu":
        raise ValueError(f"path: {name!r}: 'transitions' must be an integer array, got dtype {T.dtype}")
    if R.shape != T.shape:
        raise ValueError(f"path: {name!r}: 'rewards' must have the shape of 'transitions' {T.shape}, got {R.shape}")
    if R.dtype.kind != "f":
        raise ValueError(f"path: {name!r}: 'rewards' must be a float array, got dtype {R.dtype}")
    S = T.shape[0]
    bad = (T < -1) | (T >= S)
    if bad.any():
        s, a = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"path: {name!r}: 'transitions' entries must be -1 (episode ends) or a state in [0, {S}), "
            f"got {int(T[s, a])} at (s={s}, a={a})"
        )
    R64 = R.astype(np.float64)
    if not np.all(np.isfinite(R64)):
        s, a = (int(i) for i in np.argwhere(~np.isfinite(R64))[0])
        raise ValueError(f"path: {name!r}: 'rewards' must be finite, got {R64[s, a]} at (s={s}, a={a})")
    return T.astype(np.int64), R64


def load_bridge_mdp(path: Any, horizon: int, *, sticky_prob: float = 0.0) -> FiniteMDP:
    """Read a BRIDGE ``.npz`` as an undiscounted finite-horizon MDP.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npz`` with ``transitions`` (integer, shape (S, A), ``-1`` = episode ends)
        and ``rewards`` (float, shape (S, A)); read with ``allow_pickle=False``.
    horizon : int
        Episode length ``H >= 1``.
    sticky_prob : float
        Probability in ``[0, 1]`` of repeating the previous action on every step after
        the first (0.25 in the ICLR 2024 paper). 0 gives the deterministic MDP.

    Returns
    -------
    FiniteMDP
        ``horizon=H`` (no discount), sparse CSR ``P``, initial state 0, one absorbing
        zero-reward terminal state (``terminal=``); state layout in the module docstring.
        Deterministic: ``S + 1`` states; sticky: ``S*A + 2`` states.

    Raises
    ------
    ValueError, TypeError
        On a missing/unreadable file entry, wrong shapes, dtypes or out-of-range next
        states (the message names the file), or a bad ``horizon``/``sticky_prob``.

    References
    ----------
    C. Laidlaw, S. Russell and A. Dragan, NeurIPS 2023; C. Laidlaw, B. Zhu, S. Russell
    and A. Dragan, ICLR 2024 (sticky actions).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "tiny.npz")
    >>> np.savez(f, transitions=np.array([[1, -1], [-1, 0]]),
    ...          rewards=np.array([[0.0, 1.0], [2.0, 0.0]], dtype=np.float32))
    >>> mdp = load_bridge_mdp(f, horizon=3)
    >>> mdp.n_states, mdp.n_actions, mdp.terminal.tolist()
    (3, 2, [False, False, True])
    >>> load_bridge_mdp(f, horizon=3, sticky_prob=0.25).n_states
    6
    """
    H = check_positive_int(horizon, "horizon")
    q = _check_sticky_prob(sticky_prob)
    T, R = _read_tables(path)
    S, A = T.shape
    if q == 0.0:
        done = S
        nxt = np.where(T < 0, done, T)
        n = S + 1
        rows = np.arange(n * A)
        cols = np.concatenate([nxt.ravel(), np.full(A, done)])
        P = sp.csr_array((np.ones(n * A), (rows, cols)), shape=(n * A, n))
        R_full = np.vstack([R, np.zeros((1, A))])
        initial = np.zeros(n)
        initial[0] = 1.0
        terminal = np.zeros(n, dtype=bool)
        terminal[done] = True
        return FiniteMDP(P, R_full, horizon=H, initial=initial, terminal=terminal)

    n = S * A + 2
    done = n - 1
    # (file state, executed action) -> sticky-MDP state
    succ = np.where(T < 0, done, 1 + T * A + np.arange(A)[None, :])  # (S, A)
    rows_l: list[np.ndarray] = []
    cols_l: list[np.ndarray] = []
    vals_l: list[np.ndarray] = []
    R_full = np.zeros((n, A))
    # start state: file state 0, first step never sticky
    rows_l.append(np.arange(A))
    cols_l.append(succ[0])
    vals_l.append(np.ones(A))
    R_full[0] = R[0]
    # (s, p) states: index 1 + s*A + p; row (1 + s*A + p)*A + a
    s_idx, p_idx, a_idx = (x.ravel() for x in np.meshgrid(np.arange(S), np.arange(A), np.arange(A), indexing="ij"))
    state = 1 + s_idx * A + p_idx
    row = state * A + a_idx
    rows_l += [row, row]
    cols_l += [succ[s_idx, a_idx], succ[s_idx, p_idx]]
    vals_l += [np.full(row.size, 1.0 - q), np.full(row.size, q)]
    r_mix = np.where(a_idx == p_idx, R[s_idx, a_idx], (1.0 - q) * R[s_idx, a_idx] + q * R[s_idx, p_idx])
    R_full[1 : 1 + S * A] = r_mix.reshape(S * A, A)
    # terminal state: absorbing
    rows_l.append(done * A + np.arange(A))
    cols_l.append(np.full(A, done))
    vals_l.append(np.ones(A))
    rows_a, cols_a, vals_a = np.concatenate(rows_l), np.concatenate(cols_l), np.concatenate(vals_l)
    keep = vals_a > 0.0
    P = sp.csr_array((vals_a[keep], (rows_a[keep], cols_a[keep])), shape=(n * A, n))
    P.sum_duplicates()
    initial = np.zeros(n)
    initial[0] = 1.0
    terminal = np.zeros(n, dtype=bool)
    terminal[done] = True
    return FiniteMDP(P, R_full, horizon=H, initial=initial, terminal=terminal)
