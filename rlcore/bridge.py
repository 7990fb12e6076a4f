"""Load tabular MDPs from the BRIDGE dataset (Laidlaw, Russell and Dragan, NeurIPS 2023).

A BRIDGE ``.npz`` holds ``transitions``, an integer array of shape (S, A) with the
next state of taking ``a`` in ``s`` (``-1``: the episode ends), and ``rewards``, a
float array of shape (S, A); state 0 is the start state. :func:`load_bridge_mdp`
turns one into an undiscounted finite-horizon :class:`~rlcore.FiniteMDP`.

Four BRIDGE MDPs ship with rlref (``rlcore/data/bridge``, 12 KB, CC-BY-4.0; source and
licence in the ``README.md`` there): pass one of :data:`SHIPPED_BRIDGE_MDPS` as the
``path`` of :func:`load_bridge_mdp`, or find the files with :func:`bridge_data_dir`.

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

from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.sparse as sp

from rlcore._npz import SafeNpz, path_error
from rlcore.mdp import FiniteMDP
from rlcore.validation import Integer, Path as _PathConstraint, Real, validate_params

__all__ = ["SHIPPED_BRIDGE_MDPS", "bridge_data_dir", "load_bridge_mdp"]

#: The BRIDGE MDPs shipped in ``rlcore/data/bridge``: name (the file's stem, accepted as
#: the ``path`` of :func:`load_bridge_mdp`) -> the horizon the papers use (None: not
#: recorded with the files).
SHIPPED_BRIDGE_MDPS: MappingProxyType[str, int | None] = MappingProxyType(
    {
        "freeway_10_fs30": 10,
        "maze_easy_l0_30_fs1": 30,
        "MiniGrid-KeyCorridorS3R1-v0": 100,
        "MiniGrid-Empty-16x16-DistanceShaped-v0": None,
    }
)

_DATA_DIR = Path(__file__).resolve().parent / "data" / "bridge"

#: Longest horizon (the limit of :class:`~rlcore.FiniteMDP`).
MAX_HORIZON: int = 10**6

#: Most transition probabilities a loaded model may store (the sticky model stores
#: ``2 S A^2``): 10**9, 8 GB of float64.
MAX_TRANSITION_ENTRIES: int = 10**9


@validate_params()
def bridge_data_dir() -> Path:
    """The directory of the BRIDGE MDPs shipped with rlref.

    Returns
    -------
    pathlib.Path
        ``rlcore/data/bridge`` inside the installed package: one ``<name>.npz`` per
        entry of :data:`SHIPPED_BRIDGE_MDPS` and a ``README.md`` with their source
        (Laidlaw, Russell and Dragan, NeurIPS 2023), licence (CC-BY-4.0) and sizes.

    Examples
    --------
    >>> sorted(p.stem for p in bridge_data_dir().glob("*.npz")) == sorted(SHIPPED_BRIDGE_MDPS)
    True
    >>> (bridge_data_dir() / "README.md").is_file()
    True
    """
    return _DATA_DIR


def _resolve(path: Path) -> Path:
    """A shipped MDP's file for a bare shipped name; ``path`` itself otherwise."""
    bare = len(path.parts) == 1 and not path.suffix
    if bare and path.name in SHIPPED_BRIDGE_MDPS:
        return _DATA_DIR / f"{path.name}.npz"
    if bare and not path.exists():
        raise path_error(
            path,
            f"no such file, and not the name of a shipped BRIDGE MDP (one of {sorted(SHIPPED_BRIDGE_MDPS)})",
        )
    return path


def _read_tables(p: Path) -> tuple[np.ndarray, np.ndarray]:
    """``transitions`` (int64) and ``rewards`` (float64) of a BRIDGE file, read safely.

    The zip directory and the ``.npy`` headers are checked (names, dtypes, shapes and
    sizes) before any array data is decompressed; see :class:`rlcore.Dataset.load`.
    """
    with SafeNpz(p, "BRIDGE MDP") as npz:
        members = npz.scan({"transitions": "iu", "rewards": "f"})
        missing = {"transitions", "rewards"} - set(members)
        if missing:
            raise path_error(p, f"not a BRIDGE MDP file: missing array(s) {sorted(missing)} (found {sorted(npz.keys)})")
        t_shape, r_shape = members["transitions"].shape, members["rewards"].shape
        if len(t_shape) != 2 or t_shape[0] == 0 or t_shape[1] == 0:
            raise path_error(p, f"'transitions' must have shape (S, A) with S, A >= 1, got {t_shape}")
        if r_shape != t_shape:
            raise path_error(p, f"'rewards' must have the shape of 'transitions' {t_shape}, got {r_shape}")
        S, A = t_shape
        if 2 * S * A * A + 2 * A > MAX_TRANSITION_ENTRIES:
            raise path_error(
                p,
                f"S={S} states and A={A} actions: the sticky-action model would store "
                f"{2 * S * A * A} transition probabilities, more than the limit {MAX_TRANSITION_ENTRIES}",
            )
        T = npz.read(members["transitions"])
        R = npz.read(members["rewards"])
    bad = (T < -1) | (T >= S)
    if bad.any():
        s, a = (int(i) for i in np.argwhere(bad)[0])
        raise path_error(
            p,
            f"'transitions' entries must be -1 (episode ends) or a state in [0, {S}), "
            f"got {int(T[s, a])} at (s={s}, a={a})",
        )
    R64 = R.astype(np.float64)
    if not np.all(np.isfinite(R64)):
        s, a = (int(i) for i in np.argwhere(~np.isfinite(R64))[0])
        raise path_error(p, f"'rewards' must be finite, got {R64[s, a]} at (s={s}, a={a})")
    return T.astype(np.int64), R64


@validate_params(path=_PathConstraint(), horizon=Integer(1, MAX_HORIZON), sticky_prob=Real(0, 1))
def load_bridge_mdp(path: Any, horizon: int, *, sticky_prob: float = 0.0) -> FiniteMDP:
    """Read a BRIDGE ``.npz`` as an undiscounted finite-horizon MDP.

    Parameters
    ----------
    path : str or os.PathLike
        The name of a shipped MDP (a key of :data:`SHIPPED_BRIDGE_MDPS`, such as
        ``"freeway_10_fs30"``; a bare shipped name always means the shipped file, write
        ``./name`` for a file of that name in the working directory), or a ``.npz``
        with ``transitions`` (integer, shape (S, A), ``-1`` = episode ends) and
        ``rewards`` (float, shape (S, A)); read without unpickling, and with the
        names, dtypes, shapes and sizes checked before any data is decompressed (other
        members are not read). The sticky model stores ``2 S A^2`` probabilities, at
        most 10**9.
    horizon : int in [1, 10**6]
        Episode length ``H``.
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
    InvalidParameterError
        Starting with ``path:`` and naming the file: missing (or a bare name that is no
        shipped MDP), empty, truncated or corrupted, not an ``.npz``, a missing array,
        wrong shapes or dtypes, an object (pickled) array, out-of-range next states or
        non-finite rewards. Or a bad ``horizon``/``sticky_prob``.
    InvalidParameterTypeError
        ``path`` not a path, ``horizon``/``sticky_prob`` of the wrong type.

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

    A shipped MDP by name, at the papers' horizon:

    >>> H = SHIPPED_BRIDGE_MDPS["freeway_10_fs30"]
    >>> freeway = load_bridge_mdp("freeway_10_fs30", H)
    >>> freeway.n_states, freeway.n_actions, freeway.horizon
    (198, 3, 10)
    """
    H = horizon
    q = sticky_prob
    T, R = _read_tables(_resolve(path))
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
