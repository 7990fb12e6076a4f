"""Standard finite MDPs: random (Garnet) instances and the classic benchmark problems.

Every function returns a validated :class:`~rlcore.FiniteMDP`. Each takes the
criterion as keywords ``gamma`` and ``horizon`` (give at most one): a ``horizon``
gives a finite-horizon, undiscounted MDP; otherwise the MDP is discounted with
``gamma``, which defaults to :data:`DEFAULT_GAMMA` (0.95). The combination lock is
finite-horizon by construction and takes its horizon positionally.

==========================  ================================================  =======
generator                   what                                              actions
==========================  ================================================  =======
:func:`random_mdp`          Dirichlet / Garnet random MDPs, dense or sparse   any
:func:`gridworld`           rectangular grid with walls, slip, one goal       4
:func:`gridworld_from_map`  the same from an ASCII map (``#``, ``S``, ``G``)  4
:func:`river_swim`          RiverSwim (Strehl and Littman 2008)               2
:func:`chain`               the n-chain (Dearden et al. 1998; Strens 2000)    2
:func:`combination_lock`    deterministic lock, reward only at the end        any
:func:`forest`              forest management (pymdptoolbox's example)        2
==========================  ================================================  =======

Rewards are *expected* rewards ``R[s, a] = sum_s' P(s'|s, a) r(s, a, s')``: where a
problem pays a reward on a particular transition (arriving at a gridworld goal, holding
position at the right bank of the river) the generator folds it into that expectation.

References
----------
T. W. Archibald, K. I. M. McKinnon and L. C. Thomas, "On the generation of Markov
decision processes", *Journal of the Operational Research Society* 46(3), 1995.

S. Bhatnagar, R. S. Sutton, M. Ghavamzadeh and M. Lee, "Natural actor-critic
algorithms", *Automatica* 45(11), 2009 (the "Garnet" family).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from rlcore.mdp import FiniteMDP
from rlcore.randomness import RNGLike, _as_generator
from rlcore.validation import (
    MDP,
    RNG,
    Array,
    Bool,
    Discount,
    Instance,
    Integer,
    InvalidParameterError,
    Options,
    Real,
    Sequence_,
    validate_params,
)

__all__ = [
    "DEFAULT_GAMMA",
    "chain",
    "combination_lock",
    "forest",
    "gridworld",
    "gridworld_from_map",
    "random_mdp",
    "river_swim",
    "sticky_actions",
]

#: Discount used by every generator when neither ``gamma`` nor ``horizon`` is given.
DEFAULT_GAMMA: float = 0.95

#: Row chunk so that the random-key subset sampler never holds more than ~4M floats.
_KEYS_CHUNK_ELEMENTS = 1 << 22

#: Upper limit of every size argument (states, actions, grid sides).
MAX_SIZE: int = 10**9

#: Most transition probabilities a generator stores (dense: ``S * A * S`` per step;
#: sparse: ``S * A * b``): 10**9 float64 entries are 8 GB.
MAX_TRANSITION_ENTRIES: int = 10**9

#: Longest horizon (the limit of :class:`~rlcore.FiniteMDP`).
MAX_HORIZON: int = 10**6


# ---------------------------------------------------------------------- validation
_GAMMA = Discount() | None
_HORIZON = Integer(1, MAX_HORIZON) | None
_PROB = Real(0, 1)
_REWARD = Real()
_SIZE = Integer(1, MAX_SIZE)
_CELL = Sequence_(Integer(), length=2)


def _criterion(gamma: float | None, horizon: int | None) -> dict[str, Any]:
    """Keyword arguments ``gamma=...`` or ``horizon=...`` for :class:`FiniteMDP`."""
    if gamma is not None and horizon is not None:
        raise InvalidParameterError(
            "horizon",
            "give at most one of gamma, horizon (a discount for the discounted criterion, or a "
            f"horizon for finite horizon), got gamma={gamma!r}, horizon={horizon!r}",
        )
    if horizon is not None:
        return {"horizon": horizon}
    return {"gamma": DEFAULT_GAMMA if gamma is None else gamma}


def _check_entries(entries: int, param: str, what: str) -> None:
    """Refuse a model that would store more than :data:`MAX_TRANSITION_ENTRIES` probabilities."""
    if entries > MAX_TRANSITION_ENTRIES:
        raise InvalidParameterError(
            param,
            f"{what} would store {entries} transition probabilities, more than the limit {MAX_TRANSITION_ENTRIES}",
        )


# ---------------------------------------------------------------------- random MDPs
def _subsets_floyd(gen: np.random.Generator, n: int, S: int, b: int) -> np.ndarray:
    """``n`` uniform ``b``-subsets of ``range(S)``: Floyd's algorithm, vectorised over rows.

    Step ``k`` (``j = S - b + k``) draws ``t`` uniform on ``{0..j}`` and takes ``t``,
    or ``j`` if ``t`` was taken already; every ``b``-subset is equally likely
    (Bentley and Floyd, CACM 30(9), 1987). Cost ``O(n b^2)``, memory ``O(n b)``.
    """
    out = np.empty((n, b), dtype=np.int64)
    for k in range(b):
        j = S - b + k
        t = gen.integers(0, j + 1, size=n, dtype=np.int64)
        taken = (out[:, :k] == t[:, None]).any(axis=1) if k else np.zeros(n, dtype=bool)
        out[:, k] = np.where(taken, j, t)
    return out


def _subsets_keys(gen: np.random.Generator, n: int, S: int, b: int) -> np.ndarray:
    """``n`` uniform ``b``-subsets of ``range(S)``: the ``b`` smallest of ``S`` uniform keys.

    Cost ``O(n S)``; rows are processed in chunks so memory stays bounded.
    """
    out = np.empty((n, b), dtype=np.int64)
    chunk = max(1, _KEYS_CHUNK_ELEMENTS // S)
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        keys = gen.random((hi - lo, S))
        out[lo:hi] = np.argpartition(keys, b - 1, axis=1)[:, :b]
    return out


def _draw_rows(gen: np.random.Generator, n: int, S: int, b: int) -> tuple[np.ndarray | None, np.ndarray]:
    """Supports (sorted column indices) and Dirichlet(1_b) probabilities of ``n`` rows.

    Returns ``(cols, probs)``, both of shape ``(n, b)``; ``cols is None`` when ``b == S``
    (every state is a successor, in order).
    """
    if b == S:
        cols = None
    elif b * b <= 2 * S:  # Floyd O(b^2) per row beats the O(S) keys
        cols = np.sort(_subsets_floyd(gen, n, S, b), axis=1)
    else:
        cols = np.sort(_subsets_keys(gen, n, S, b), axis=1)
    # Dirichlet(1, ..., 1) = normalised i.i.d. Exp(1) variables. A zero draw (probability
    # ~2^-53 per entry) would leave fewer than b non-zeros: redraw it.
    e = gen.standard_exponential((n, b))
    zero = e == 0.0
    while zero.any():
        e[zero] = gen.standard_exponential(int(zero.sum()))
        zero = e == 0.0
    probs = e / e.sum(axis=1, keepdims=True)
    return cols, probs


def _check_reward_spec(reward: np.ndarray | str, S: int, A: int, horizon: int | None) -> np.ndarray | str:
    if isinstance(reward, str):
        return reward
    allowed = [(S, A)] + ([(horizon, S, A)] if horizon is not None else [])
    if reward.shape not in allowed:
        want = " or ".join(str(s) for s in allowed)
        raise InvalidParameterError(
            "reward", f"expected 'uniform', 'normal' or an array of shape {want}, got shape {reward.shape}"
        )
    return reward


@validate_params(
    n_states=_SIZE,
    n_actions=_SIZE,
    branching=_SIZE | None,
    sparse=Bool(),
    reward=Options("uniform", "normal") | Array(ndim=(2, 3)),
    gamma=_GAMMA,
    horizon=_HORIZON,
    time_dependent=Bool(),
    rng=RNG(),
)
def random_mdp(
    n_states: int,
    n_actions: int,
    *,
    branching: int | None = None,
    sparse: bool = False,
    reward: str | Any = "uniform",
    gamma: float | None = None,
    horizon: int | None = None,
    time_dependent: bool = False,
    rng: RNGLike = None,
) -> FiniteMDP:
    """A random MDP: Dirichlet transition rows, optionally with ``b`` successors (Garnet).

    Each row ``P(. | s, a)`` is drawn independently:

    * ``branching=None``: ``P(. | s, a) ~ Dirichlet(1, ..., 1)`` over all ``S`` states,
      i.e. uniform on the probability simplex (Archibald, McKinnon and Thomas 1995);
    * ``branching=b``: a Garnet row (Bhatnagar et al. 2009): ``b`` distinct successor
      states drawn uniformly without replacement, carrying probabilities
      ``Dirichlet(1_b)``. (That is the same law as the spacings of ``b - 1`` uniform cut
      points of ``[0, 1]``; it is sampled as ``b`` i.i.d. ``Exp(1)`` variables divided by
      their sum, so each row sums to one up to rounding, a few ulps.)

    The construction is vectorised over rows (no Python loop over states); the successor
    sets come from Floyd's sampling algorithm, ``O(b^2)`` per row, or from the ``b``
    smallest of ``S`` uniform keys when ``b^2 > 2S``.

    Parameters
    ----------
    n_states, n_actions : int in [1, 10**9]
        ``S`` and ``A``. The model stores at most ``MAX_TRANSITION_ENTRIES`` (10**9)
        probabilities: ``T * S * A * S`` when dense, ``T * S * A * b`` when sparse
        (``T = H`` when time-dependent, else 1).
    branching : int, optional
        Number ``b`` of successors of each ``(s, a)``, ``1 <= b <= S``. Default: all
        ``S`` states (dense Dirichlet rows).
    sparse : bool
        Return ``P`` as a CSR matrix of shape ``(S*A, S)`` (row ``s*A + a``) holding
        exactly ``b`` entries per row. The dense and sparse MDPs drawn from the same seed
        are the same MDP.
    reward : {'uniform', 'normal'} or array_like
        ``'uniform'``: ``R[s, a] ~ U[0, 1)`` i.i.d.; ``'normal'``: ``N(0, 1)`` i.i.d.;
        or a given array of shape (S, A) (or (H, S, A) with a horizon).
    gamma : float, optional
        Discount in ``[0, 1)``; :data:`DEFAULT_GAMMA` when neither ``gamma`` nor
        ``horizon`` is given.
    horizon : int in [1, 10**6], optional
        Finite horizon ``H`` (then ``gamma`` must be None).
    time_dependent : bool
        Finite horizon only: draw independent ``P_t`` and (random) ``R_t`` for each step
        ``t = 0..H-1``; ``P`` then has shape (H, S, A, S) (sparse: (H*S*A, S)).
    rng : Generator, int or None
        Randomness; the same seed gives the same MDP.

    Returns
    -------
    FiniteMDP
        Uniform initial distribution, no terminal states. Draw order: all transition
        rows (step by step when time-dependent), then the rewards.

    Raises
    ------
    InvalidParameterError, InvalidParameterTypeError
        On a bad argument; the message starts with its name.

    References
    ----------
    T. W. Archibald, K. I. M. McKinnon and L. C. Thomas, "On the generation of Markov
    decision processes", *J. Operational Research Society* 46(3):354-361, 1995.

    S. Bhatnagar, R. S. Sutton, M. Ghavamzadeh and M. Lee, "Natural actor-critic
    algorithms", *Automatica* 45(11):2471-2482, 2009.

    J. Bentley and R. Floyd, "Programming pearls: a sample of brilliance",
    *Communications of the ACM* 30(9):754-757, 1987.

    Examples
    --------
    >>> mdp = random_mdp(100, 4, branching=3, sparse=True, rng=0)
    >>> mdp
    FiniteMDP(S=100, A=4, gamma=0.95, sparse)
    >>> int(mdp.P.nnz)
    1200
    >>> dense = random_mdp(100, 4, branching=3, rng=0)
    >>> bool((dense.P.reshape(400, 100) == mdp.P.toarray()).all())
    True
    """
    S, A = n_states, n_actions
    if branching is None:
        b = S
    else:
        b = branching
        if b > S:
            raise InvalidParameterError("branching", f"expected at most n_states={S} successors, got {b}")
    crit = _criterion(gamma, horizon)
    H = crit.get("horizon")
    if time_dependent and H is None:
        raise InvalidParameterError(
            "time_dependent", "a time-dependent MDP needs a finite horizon; pass horizon=H (and no gamma)"
        )
    spec = _check_reward_spec(reward, S, A, H)
    T: int = cast(int, H) if time_dependent else 1  # H is an int here (checked above)
    _check_entries(T * S * A * (b if sparse else S), "n_states", f"a random MDP with S={S}, A={A}, T={T}, b={b}")
    gen = _as_generator(rng)

    n = S * A
    cols_t, probs_t = [], []
    for _ in range(T):
        cols, probs = _draw_rows(gen, n, S, b)
        cols_t.append(cols)
        probs_t.append(probs)
    probs = np.concatenate(probs_t) if T > 1 else probs_t[0]

    r_shape = (T, S, A) if time_dependent else (S, A)
    if isinstance(spec, str):
        R = gen.random(r_shape) if spec == "uniform" else gen.standard_normal(r_shape)
    else:
        R = spec

    col_idx: np.ndarray
    if b == S:
        col_idx = np.broadcast_to(np.arange(S, dtype=np.int64), (T * n, S))
    else:
        supports = cast("list[np.ndarray]", cols_t)  # b < S: _draw_rows returned explicit columns
        col_idx = np.concatenate(supports) if T > 1 else supports[0]
    if sparse:
        indptr = np.arange(0, T * n * b + 1, b, dtype=np.int64)
        P: Any = sp.csr_array((probs.ravel(), np.ascontiguousarray(col_idx).ravel(), indptr), shape=(T * n, S))
    else:
        if b == S:
            dense = probs
        else:
            dense = np.zeros((T * n, S))
            np.put_along_axis(dense, col_idx, probs, axis=1)
        P = dense.reshape((T, S, A, S) if time_dependent else (S, A, S))
    return FiniteMDP(P, R, **crit)


# ---------------------------------------------------------------------- gridworld
_MOVES = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]], dtype=np.int64)  # up, right, down, left
_MAP_CHARS = frozenset(".#SG")


@validate_params(
    lines=Sequence_(Instance(str, what="a str (one row of the map)")),
    slip=_PROB,
    step_reward=_REWARD,
    goal_reward=_REWARD,
    gamma=_GAMMA,
    horizon=_HORIZON,
)
def gridworld_from_map(
    lines: Sequence[str],
    *,
    slip: float = 0.0,
    step_reward: float = 0.0,
    goal_reward: float = 1.0,
    gamma: float | None = None,
    horizon: int | None = None,
) -> FiniteMDP:
    """A gridworld read from an ASCII map.

    Map characters: ``.`` free cell, ``#`` wall, ``S`` start (free; one or more, the
    initial distribution is uniform over them), ``G`` goal (free; one or more). The
    states are the non-wall cells numbered in row-major order: state ``k`` is the
    ``k``-th non-``#`` character reading the lines top to bottom, left to right.

    Actions ``0, 1, 2, 3`` = up, right, down, left. The intended move happens with
    probability ``1 - slip``; with probability ``slip`` the agent moves in one of the
    three other directions, chosen uniformly (``slip / 3`` each). A move into a wall or
    off the grid leaves the agent where it is.

    Every step taken from a non-goal cell pays ``step_reward``; the step that enters a
    goal cell also pays ``goal_reward``. Goal cells are terminal: absorbing, zero reward
    after arrival (the ``terminal`` mask of the MDP). So the expected reward is

    .. math:: R(s, a) = \\text{step\\_reward} + \\text{goal\\_reward} \\sum_{g \\in G} P(g \\mid s, a)

    for a non-goal ``s``, and ``R(g, a) = 0``. With ``slip = 0`` and
    ``step_reward = 0`` the optimal discounted value of a cell at shortest-path distance
    ``d >= 1`` from the goal is ``gamma**(d - 1) * goal_reward``.

    Parameters
    ----------
    lines : list or tuple of str
        The map, one string per row, all of the same length; at most 15,811 free cells
        (the dense ``P`` of shape (S, 4, S) stores at most 10**9 probabilities).
    slip : float
        Probability in ``[0, 1]`` of moving in a random other direction.
    step_reward, goal_reward : float
        Rewards, see above.
    gamma, horizon
        The criterion (see the module docstring); default ``gamma = DEFAULT_GAMMA``.

    Returns
    -------
    FiniteMDP
        Dense, with ``P`` of shape (S, 4, S), ``terminal`` marking the goals and
        ``initial`` uniform over the ``S`` cells.

    Examples
    --------
    >>> mdp = gridworld_from_map(["S.#", "..G"], gamma=0.9)
    >>> mdp.n_states, mdp.n_actions, mdp.terminal.tolist()
    (5, 4, [False, False, False, False, True])
    >>> float(mdp.R[3, 1])  # state 3 is the cell left of G; 'right' enters G
    1.0
    """
    width = len(lines[0])
    if width == 0:
        raise InvalidParameterError("lines", "rows must not be empty")
    for i, row in enumerate(lines):
        if len(row) != width:
            raise InvalidParameterError(
                "lines", f"every row must have the length of row 0 ({width}), row {i} has {len(row)}"
            )
        bad = set(row) - _MAP_CHARS
        if bad:
            j = min(row.index(ch) for ch in bad)
            raise InvalidParameterError(
                "lines", f"unknown character {row[j]!r} at row {i}, column {j}; expected one of '.', '#', 'S', 'G'"
            )
    crit = _criterion(gamma, horizon)
    n_free = sum(len(row) - row.count("#") for row in lines)
    _check_entries(n_free * 4 * n_free, "lines", f"a gridworld with {n_free} free cells")

    grid = np.array([list(row) for row in lines])
    height = grid.shape[0]
    free = grid != "#"
    if not (grid == "S").any():
        raise InvalidParameterError("lines", "the map needs at least one start cell 'S'")
    if not (grid == "G").any():
        raise InvalidParameterError("lines", "the map needs at least one goal cell 'G'")

    index = np.full(grid.shape, -1, dtype=np.int64)
    cells = np.argwhere(free)  # row-major
    S = cells.shape[0]
    index[free] = np.arange(S)
    # Successor of each state under each of the 4 moves (stay when blocked).
    target = cells[:, None, :] + _MOVES[None, :, :]  # (S, 4, 2)
    inside = (target[..., 0] >= 0) & (target[..., 0] < height) & (target[..., 1] >= 0) & (target[..., 1] < width)
    tr = np.clip(target[..., 0], 0, height - 1)
    tc = np.clip(target[..., 1], 0, width - 1)
    dest = np.where(inside & free[tr, tc], index[tr, tc], np.arange(S)[:, None])  # (S, 4)

    # P[s, a, dest[s, d]] += w(a, d) with w = 1 - slip on the diagonal, slip/3 off it.
    W = np.full((4, 4), slip / 3.0)
    np.fill_diagonal(W, 1.0 - slip)
    P = np.zeros((S, 4, S))
    s_idx = np.repeat(np.arange(S), 16)
    a_idx = np.tile(np.repeat(np.arange(4), 4), S)
    d_idx = np.tile(np.arange(4), 4 * S)
    np.add.at(P, (s_idx, a_idx, dest[s_idx, d_idx]), W[a_idx, d_idx])

    goal = grid[free] == "G"
    P[goal] = 0.0
    goal_states = np.flatnonzero(goal)
    P[goal_states, :, goal_states] = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        R = step_reward + goal_reward * P[:, :, goal].sum(axis=2)
    R[goal] = 0.0
    if not np.all(np.isfinite(R)):
        raise InvalidParameterError(
            "goal_reward",
            f"step_reward + goal_reward overflows float64 ({step_reward!r} + {goal_reward!r}); rescale the rewards",
        )
    start = (grid[free] == "S").astype(np.float64)
    return FiniteMDP(P, R, initial=start / start.sum(), terminal=goal, **crit)


def _check_cell(cell: tuple[int, ...], name: str, height: int, width: int) -> tuple[int, int]:
    r, c = cell
    if not (0 <= r < height and 0 <= c < width):
        raise InvalidParameterError(name, f"cell {(r, c)} lies outside the {height} x {width} grid")
    return r, c


@validate_params(
    height=_SIZE,
    width=_SIZE,
    walls=Sequence_(_CELL, min_len=0),
    start=_CELL,
    goal=_CELL | None,
    slip=_PROB,
    step_reward=_REWARD,
    goal_reward=_REWARD,
    gamma=_GAMMA,
    horizon=_HORIZON,
)
def gridworld(
    height: int,
    width: int,
    *,
    walls: Sequence[tuple[int, int]] = (),
    start: tuple[int, int] = (0, 0),
    goal: tuple[int, int] | None = None,
    slip: float = 0.0,
    step_reward: float = 0.0,
    goal_reward: float = 1.0,
    gamma: float | None = None,
    horizon: int | None = None,
) -> FiniteMDP:
    """A rectangular gridworld with walls, slip and one absorbing goal.

    The same model as :func:`gridworld_from_map` (see there for the dynamics, rewards
    and state numbering) on a ``height x width`` grid: cells are ``(row, column)``
    with row 0 at the top.

    Parameters
    ----------
    height, width : int in [1, 10**9]
        Grid size; at most 15,811 free cells (the dense ``P`` stores at most 10**9
        probabilities).
    walls : list or tuple of (int, int)
        Wall cells.
    start : (int, int)
        Start cell (the initial state), default the top-left corner.
    goal : (int, int), optional
        Goal cell, default the bottom-right corner ``(height - 1, width - 1)``.
    slip, step_reward, goal_reward, gamma, horizon
        As in :func:`gridworld_from_map`.

    Returns
    -------
    FiniteMDP

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import evaluate_policy
    >>> mdp = gridworld(1, 3, gamma=0.9)          # S . G
    >>> np.round(evaluate_policy(mdp, np.array([1, 1, 1])).V, 12)  # always right
    array([0.9, 1. , 0. ])
    """
    wall_cells = {_check_cell(w, "walls", height, width) for w in walls}
    start_cell = _check_cell(tuple(start), "start", height, width)
    goal_cell = (height - 1, width - 1) if goal is None else _check_cell(tuple(goal), "goal", height, width)
    if start_cell == goal_cell:
        raise InvalidParameterError("goal", f"must be a different cell from start (start, goal: both {start_cell})")
    for name, cell in (("start", start_cell), ("goal", goal_cell)):
        if cell in wall_cells:
            raise InvalidParameterError(name, f"cell {cell} is also listed in walls")
    n_free = height * width - len(wall_cells)
    _check_entries(n_free * 4 * n_free, "height", f"a {height} x {width} gridworld")
    grid = [["."] * width for _ in range(height)]
    for r, c in wall_cells:
        grid[r][c] = "#"
    grid[start_cell[0]][start_cell[1]] = "S"
    grid[goal_cell[0]][goal_cell[1]] = "G"
    return gridworld_from_map(
        ["".join(row) for row in grid],
        slip=slip,
        step_reward=step_reward,
        goal_reward=goal_reward,
        gamma=gamma,
        horizon=horizon,
    )


# ---------------------------------------------------------------------- classic chains
@validate_params(
    n_states=Integer(2, MAX_SIZE),
    p_forward=_PROB,
    p_backward=_PROB,
    small_reward=_REWARD,
    large_reward=_REWARD,
    gamma=_GAMMA,
    horizon=_HORIZON,
)
def river_swim(
    n_states: int = 6,
    *,
    p_forward: float = 0.3,
    p_backward: float = 0.1,
    small_reward: float = 5.0 / 1000.0,
    large_reward: float = 1.0,
    gamma: float | None = None,
    horizon: int | None = None,
) -> FiniteMDP:
    """RiverSwim (Strehl and Littman 2008, Fig. 2): a chain where exploring pays.

    States ``0..n-1`` lie along a river flowing left. Action 0 (*left*, with the
    current) moves one state left, deterministically (state 0 stays). Action 1
    (*right*, against the current) has the transition probabilities of the paper:

    ============  =================  ================================  ===================
    state         advance (``s+1``)  stay (``s``)                      swept back (``s-1``)
    ============  =================  ================================  ===================
    ``0``         ``p_forward``      ``1 - p_forward``                 --
    ``1..n-2``    ``p_forward``      ``1 - p_forward - p_backward``    ``p_backward``
    ``n-1``       --                 ``p_forward``                     ``1 - p_forward``
    ============  =================  ================================  ===================

    i.e. 0.3 / 0.7 at the left bank, 0.3 / 0.6 / 0.1 in the middle and 0.3 / 0.7 at
    the right bank with the defaults. Rewards are paid on two transitions, as labelled
    in the paper's figure: ``small_reward`` for swimming left in state 0 (so
    ``R[0, 0] = small_reward``) and ``large_reward`` for holding position at the right
    bank while swimming right (so ``R[n-1, 1] = p_forward * large_reward``); all other
    rewards are 0. The initial state is 0 or 1 with probability 1/2 each, as in the
    paper.

    The paper's rewards are 5 and 10000; the defaults 5/1000 and 1 are the rescaling
    into ``[0, 1]`` popularised by Osband, Russo and Van Roy (2013). Their variant also
    changes the dynamics (swimming right: advance 0.35 / stay 0.6 / back 0.05 in the
    middle, advance 0.6 / stay 0.4 at the left bank, stay 0.6 / back 0.4 at the right
    bank) and pays the large reward on the action rather than on the transition; that
    variant is *not* reproduced here (the middle-state probabilities can be set with
    ``p_forward=0.35, p_backward=0.05``, the banks cannot).

    Parameters
    ----------
    n_states : int in [2, 10**9]
        Number of states ``n`` (6 in the paper); ``2 n^2 <= 10**9`` (dense ``P``).
    p_forward : float
        Probability that swimming right succeeds (advances, or holds at the right bank).
    p_backward : float
        Probability that swimming right in a middle state is swept one state back;
        ``p_forward + p_backward <= 1``.
    small_reward, large_reward : float
        Transition rewards at the left and right banks, see above.
    gamma, horizon
        The criterion (see the module docstring); default ``gamma = DEFAULT_GAMMA``.

    Returns
    -------
    FiniteMDP
        Dense, ``P`` of shape (n, 2, n).

    References
    ----------
    A. L. Strehl and M. L. Littman, "An analysis of model-based interval estimation for
    Markov decision processes", *Journal of Computer and System Sciences*
    74(8):1309-1331, 2008, Section 6 and Figure 2.

    I. Osband, D. Russo and B. Van Roy, "(More) efficient reinforcement learning via
    posterior sampling", NeurIPS 2013.

    Examples
    --------
    >>> mdp = river_swim()
    >>> mdp.P[2, 1, 1:4].tolist(), float(mdp.R[0, 0]), mdp.initial.tolist()
    ([0.1, 0.6, 0.3], 0.005, [0.5, 0.5, 0.0, 0.0, 0.0, 0.0])
    """
    n, p_fwd, p_back, small, large = n_states, p_forward, p_backward, small_reward, large_reward
    if p_fwd + p_back > 1.0:
        raise InvalidParameterError(
            "p_backward", f"p_forward, p_backward must sum to at most 1, got {p_fwd} + {p_back} = {p_fwd + p_back}"
        )
    crit = _criterion(gamma, horizon)
    _check_entries(2 * n * n, "n_states", f"RiverSwim with {n} states")

    P = np.zeros((n, 2, n))
    s = np.arange(n)
    P[s, 0, np.maximum(s - 1, 0)] = 1.0
    mid = np.arange(1, n - 1)
    P[mid, 1, mid + 1] = p_fwd
    P[mid, 1, mid] = 1.0 - p_fwd - p_back
    P[mid, 1, mid - 1] = p_back
    P[0, 1, 0] = 1.0 - p_fwd
    P[0, 1, 1] = p_fwd
    P[n - 1, 1, n - 1] = p_fwd
    P[n - 1, 1, n - 2] = 1.0 - p_fwd
    R = np.zeros((n, 2))
    R[0, 0] = small
    R[n - 1, 1] = p_fwd * large
    initial = np.zeros(n)
    initial[:2] = 0.5
    return FiniteMDP(P, R, initial=initial, **crit)


@validate_params(
    n_states=Integer(2, MAX_SIZE),
    slip=_PROB,
    small_reward=_REWARD,
    large_reward=_REWARD,
    gamma=_GAMMA,
    horizon=_HORIZON,
)
def chain(
    n_states: int = 5,
    *,
    slip: float = 0.2,
    small_reward: float = 2.0,
    large_reward: float = 10.0,
    gamma: float | None = None,
    horizon: int | None = None,
) -> FiniteMDP:
    """The n-chain of Dearden, Friedman and Russell (1998) and Strens (2000).

    States ``0..n-1``, start in state 0. Action 0 (*forward*) moves one state right,
    reward 0, except in the last state where it stays and pays ``large_reward``.
    Action 1 (*back*) returns to state 0 and pays ``small_reward``. With probability
    ``slip`` the agent "slips" and the *other* action is executed (with its transition
    and its reward), so the expected rewards are

    * ``R[s, 0] = slip * small_reward`` for ``s < n-1`` and
      ``(1 - slip) * large_reward + slip * small_reward`` for ``s = n-1``;
    * ``R[s, 1] = (1 - slip) * small_reward`` for ``s < n-1`` and
      ``(1 - slip) * small_reward + slip * large_reward`` for ``s = n-1``.

    The defaults (5 states, slip 0.2, rewards 2 and 10) are the papers'; the myopic
    policy (always *back*) is a trap, the optimal one goes forward. The papers discount
    with ``gamma = 0.99``; pass it to reproduce them.

    Parameters
    ----------
    n_states : int in [2, 10**9]
        Chain length ``n``; ``2 n^2 <= 10**9`` (dense ``P``).
    slip : float
        Probability in ``[0, 1]`` that the opposite action is executed.
    small_reward, large_reward : float
        Reward of going back, and of moving forward at the end of the chain.
    gamma, horizon
        The criterion (see the module docstring); default ``gamma = DEFAULT_GAMMA``.

    Returns
    -------
    FiniteMDP
        Dense, ``P`` of shape (n, 2, n), initial state 0.

    References
    ----------
    R. Dearden, N. Friedman and S. Russell, "Bayesian Q-learning", AAAI 1998, Figure 1.

    M. Strens, "A Bayesian framework for reinforcement learning", ICML 2000, Section 5.

    Examples
    --------
    >>> mdp = chain()
    >>> mdp.P[1, 0].tolist(), mdp.R[4].tolist()
    ([0.2, 0.0, 0.8, 0.0, 0.0], [8.4, 3.6])
    """
    n, small, large = n_states, small_reward, large_reward
    crit = _criterion(gamma, horizon)
    _check_entries(2 * n * n, "n_states", f"a chain of {n} states")

    s = np.arange(n)
    fwd = np.minimum(s + 1, n - 1)
    # Transition and reward of each *executed* action.
    exec_P = np.zeros((n, 2, n))
    exec_P[s, 0, fwd] = 1.0
    exec_P[s, 1, 0] = 1.0
    exec_R = np.zeros((n, 2))
    exec_R[n - 1, 0] = large
    exec_R[:, 1] = small
    P = (1.0 - slip) * exec_P + slip * exec_P[:, ::-1, :]
    R = (1.0 - slip) * exec_R + slip * exec_R[:, ::-1]
    initial = np.zeros(n)
    initial[0] = 1.0
    return FiniteMDP(P, R, initial=initial, **crit)


@validate_params(
    horizon=Integer(1, MAX_HORIZON),
    n_actions=_SIZE,
    combination=Array("int", ndim=1, shape=("horizon",)) | None,
    reward=_REWARD,
    digit_reward=_REWARD,
    rng=RNG(),
)
def combination_lock(
    horizon: int,
    n_actions: int = 2,
    *,
    combination: Any = None,
    reward: float = 1.0,
    digit_reward: float = 0.0,
    rng: RNGLike = None,
) -> FiniteMDP:
    """A finite-horizon combination lock: one secret action sequence earns the reward.

    States ``0..H-1`` form the good chain (the agent is in state ``t`` at step ``t`` as
    long as it has entered the combination correctly), state ``H`` is the opened lock
    and state ``H+1`` is the dead state. In good state ``t`` the secret action
    ``combination[t]`` advances to ``t + 1`` (from ``H-1``: opens the lock and pays
    ``reward``); any other action drops to the dead state. The opened lock and the dead
    state are absorbing with zero reward (terminal). Everything is deterministic and the
    episode starts in state 0, so the secret sequence earns ``reward`` and every other
    action sequence earns 0: a uniformly random policy finds the reward with probability
    ``A**-H``, the classic hard-exploration instance.

    The combination is recoverable from the model: ``combination[t]`` is the action
    ``a`` with ``P[t, a, t + 1] == 1`` (``P[H-1, a, H] == 1`` at the last step).

    Parameters
    ----------
    horizon : int in [1, 10**6]
        ``H``, the number of steps (and of digits of the combination).
    n_actions : int in [1, 10**9]
        ``A`` actions per step; ``(H + 2)^2 A <= 10**9`` (dense ``P``).
    combination : array_like of int, shape (H,), optional
        The secret actions; drawn uniformly from ``rng`` when omitted.
    reward : float
        Reward for opening the lock.
    digit_reward : float
        Reward for each correct digit before the last (default 0: the sparse lock). A
        positive value makes the lock easy for greedy-over-random methods (``Q^rand``
        then ranks the right digit first with a gap that does not shrink with ``H``).
    rng : Generator, int or None
        Randomness for the combination.

    Returns
    -------
    FiniteMDP
        Finite horizon ``H``, dense ``P`` of shape (H+2, A, H+2), initial state 0,
        terminal states ``H`` and ``H+1``.

    References
    ----------
    D. Misra, M. Henaff, A. Krishnamurthy and J. Langford, "Kinematic state abstraction
    and provably efficient rich-observation reinforcement learning", ICML 2020 (the
    lock as an exploration benchmark).

    C. Laidlaw, S. Russell and A. Dragan, "Bridging RL theory and practice with the
    effective horizon", NeurIPS 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from rlcore import evaluate_policy
    >>> mdp = combination_lock(3, 2, combination=[1, 0, 1])
    >>> secret = np.array([1, 0, 1, 0, 0])
    >>> float(evaluate_policy(mdp, secret).V[0, 0])
    1.0
    >>> float(evaluate_policy(mdp, np.zeros(5, dtype=int)).V[0, 0])
    0.0
    """
    H, A, value, step_value = horizon, n_actions, reward, digit_reward
    _check_entries((H + 2) * A * (H + 2), "horizon", f"a combination lock with H={H}, A={A}")
    if combination is None:
        combo = _as_generator(rng).integers(0, A, size=H, dtype=np.int64)
    else:
        bad = (combination < 0) | (combination >= A)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidParameterError(
                "combination", f"actions must lie in [0, {A}), found {int(combination[i])} at index {i}"
            )
        combo = combination
    S = H + 2
    opened, dead = H, H + 1
    P = np.zeros((S, A, S))
    t = np.arange(H)
    P[t, :, dead] = 1.0
    P[t, combo, dead] = 0.0
    P[t, combo, t + 1] = 1.0  # t + 1 == opened for t == H - 1
    P[opened, :, opened] = 1.0
    P[dead, :, dead] = 1.0
    R = np.zeros((S, A))
    R[t[:-1], combo[:-1]] = step_value
    R[H - 1, combo[H - 1]] = value
    initial = np.zeros(S)
    initial[0] = 1.0
    terminal = np.zeros(S, dtype=bool)
    terminal[[opened, dead]] = True
    return FiniteMDP(P, R, horizon=H, initial=initial, terminal=terminal)


@validate_params(
    n_states=Integer(2, MAX_SIZE),
    r1=_REWARD,
    r2=_REWARD,
    p=_PROB,
    gamma=_GAMMA,
    horizon=_HORIZON,
)
def forest(
    n_states: int = 3,
    r1: float = 4.0,
    r2: float = 2.0,
    p: float = 0.1,
    *,
    gamma: float | None = None,
    horizon: int | None = None,
) -> FiniteMDP:
    """The forest-management MDP of pymdptoolbox (``mdptoolbox.example.forest``).

    States ``0..S-1`` are the age classes of a forest (``S-1`` the oldest). Each year
    action 0 (*wait*) lets the forest age by one class (the oldest stays oldest) unless
    a fire, with probability ``p``, burns it back to state 0; action 1 (*cut*) returns
    it to state 0 with certainty. Rewards: waiting pays ``r1`` in the oldest state and
    0 elsewhere; cutting pays 0 in state 0, 1 in the middle states and ``r2`` in the
    oldest. The same numbers as pymdptoolbox, whose ``P`` is ``P_ours.transpose(1, 0,
    2)`` (shape (A, S, S)) and whose ``R`` has our shape (S, A).

    Parameters
    ----------
    n_states : int in [2, 10**9]
        Number of age classes ``S``; ``2 S^2 <= 10**9`` (dense ``P``).
    r1, r2 : float
        Rewards for waiting and for cutting in the oldest state (pymdptoolbox requires
        them positive; any finite value is accepted here).
    p : float
        Yearly fire probability in ``[0, 1]``.
    gamma, horizon
        The criterion (see the module docstring); default ``gamma = DEFAULT_GAMMA``.

    Returns
    -------
    FiniteMDP
        Dense, ``P`` of shape (S, 2, S), uniform initial distribution.

    References
    ----------
    S. Cordwell et al., pymdptoolbox, ``mdptoolbox.example.forest`` (after the MDPtoolbox
    for MATLAB by I. Chadès, M.-J. Cros, F. Garcia and R. Sabbadin, INRA).

    Examples
    --------
    >>> mdp = forest()
    >>> mdp.P[:, 0, :].tolist()
    [[0.1, 0.9, 0.0], [0.1, 0.0, 0.9], [0.1, 0.0, 0.9]]
    >>> mdp.R.tolist()
    [[0.0, 0.0], [0.0, 1.0], [4.0, 2.0]]
    """
    S = n_states
    crit = _criterion(gamma, horizon)
    _check_entries(2 * S * S, "n_states", f"a forest of {S} age classes")
    s = np.arange(S)
    P = np.zeros((S, 2, S))
    P[s, 0, 0] = p
    P[s, 0, np.minimum(s + 1, S - 1)] = 1.0 - p
    P[s, 1, 0] = 1.0
    R = np.zeros((S, 2))
    R[S - 1, 0] = r1
    R[1:, 1] = 1.0
    R[S - 1, 1] = r2
    return FiniteMDP(P, R, **crit)


# ------------------------------------------------------------------- sticky actions
@validate_params(mdp=MDP(), prob=_PROB)
def sticky_actions(mdp: FiniteMDP, prob: float = 0.25) -> FiniteMDP:
    """Make an MDP stochastic with sticky actions: the previous action may repeat.

    At every step after the first, the environment executes the agent's chosen action
    with probability ``1 - prob`` and repeats the previously *executed* action with
    probability ``prob`` (Machado et al. 2018's sticky actions, used with ``prob = 0.25``
    by Laidlaw et al. 2024 to make the BRIDGE MDPs stochastic). The state must remember
    the last executed action, so the new MDP has ``S*A + S`` states:

    * ``s*A + p`` -- original state ``s``, last executed action ``p``;
    * ``S*A + s`` -- original state ``s`` at the start of an episode (no previous
      action, nothing sticks).

    Rewards are the expectations ``(1 - prob) R(s, a) + prob R(s, p)``; terminal states
    are those whose original state is terminal; the initial distribution sits on the
    fresh copies. Works for discounted and finite-horizon, time-dependent, dense or
    sparse MDPs; the result is sparse (CSR).

    Parameters
    ----------
    mdp : FiniteMDP
    prob : float
        Probability of repeating the previous action, in ``[0, 1]``.

    Returns
    -------
    FiniteMDP
        Same criterion (``gamma`` or ``horizon``) and actions; ``S*A + S`` states.

    Raises
    ------
    InvalidParameterTypeError
        ``mdp`` not a FiniteMDP, ``prob`` not a real number.
    InvalidParameterError
        ``prob`` outside ``[0, 1]``, or a result that would store more than
        ``MAX_TRANSITION_ENTRIES`` (10**9) transition probabilities.

    References
    ----------
    M. C. Machado et al., "Revisiting the Arcade Learning Environment: evaluation
    protocols and open problems for general agents", JAIR 2018 (sticky actions).

    C. Laidlaw, B. Zhu, S. Russell and A. Dragan, "The effective horizon explains deep
    RL performance in stochastic environments", ICLR 2024 (``prob = 0.25``).

    Examples
    --------
    >>> mdp = combination_lock(3, 2, combination=[1, 0, 1])
    >>> sticky = sticky_actions(mdp, 0.25)
    >>> sticky.n_states, sticky.n_actions  # 5 * 2 + 5
    (15, 2)
    >>> from tabular import backward_induction
    >>> round(float(backward_induction(sticky).V[0] @ sticky.initial), 6)  # 0.75 ** 2
    0.5625
    """
    q = prob
    S, A = mdp.n_states, mdp.n_actions
    n_new = S * A + S
    n_steps = mdp.horizon if (mdp.horizon is not None and mdp.is_time_dependent) else 1
    stored = int(cast(Any, mdp.P).nnz) if mdp.is_sparse else int(np.count_nonzero(mdp.P))
    _check_entries(2 * A * stored + n_new * A, "mdp", f"the sticky-action version of {mdp!r}")

    # new (state, action) rows: sticky states (s, p) -> row (s*A + p)*A + a; fresh -> (S*A + s)*A + a
    s_i, p_i, a_i = (x.ravel() for x in np.meshgrid(np.arange(S), np.arange(A), np.arange(A), indexing="ij"))
    row_sticky = (s_i * A + p_i) * A + a_i
    f_s, f_a = (x.ravel() for x in np.meshgrid(np.arange(S), np.arange(A), indexing="ij"))
    row_fresh = (S * A + f_s) * A + f_a

    terminal = np.concatenate([np.repeat(mdp.terminal, A), mdp.terminal])
    blocks: list[sp.csr_array] = []
    rewards: list[np.ndarray] = []
    for t in range(n_steps):
        Pt = mdp.transitions_at(t)
        Pc = sp.csr_array(Pt) if mdp.is_sparse else sp.csr_array(np.asarray(Pt).reshape(S * A, S))
        Rt = np.asarray(mdp.rewards_at(t), dtype=np.float64)
        coo = Pc.tocoo()
        col = coo.col * A + coo.row % A  # next state remembers the executed action
        # for each original row (s, e): its entries, indexed by position in coo
        # sticky rows: (s, p, a) takes (1-q) of row (s, a) and q of row (s, p)
        order = np.argsort(coo.row, kind="stable")
        starts = np.searchsorted(coo.row[order], np.arange(S * A + 1))
        counts = np.diff(starts)

        def gather(orig_rows: np.ndarray, new_rows: np.ndarray, weight: float) -> tuple[np.ndarray, ...]:
            reps = counts[orig_rows]
            new_r = np.repeat(new_rows, reps)
            first = np.repeat(starts[orig_rows], reps)
            offset = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
            idx = order[first + offset]
            return new_r, col[idx], weight * coo.data[idx]

        parts = [
            gather(s_i * A + a_i, row_sticky, 1.0 - q),
            gather(s_i * A + p_i, row_sticky, q),
            gather(f_s * A + f_a, row_fresh, 1.0),
        ]
        # terminal copies are absorbing (FiniteMDP requires it): a self-loop each
        r_ = np.concatenate([x[0] for x in parts])
        c_ = np.concatenate([x[1] for x in parts])
        v_ = np.concatenate([x[2] for x in parts])
        keep = (v_ > 0.0) & ~terminal[r_ // A]
        term_rows = np.flatnonzero(np.repeat(terminal, A))
        r_ = np.concatenate([r_[keep], term_rows])
        c_ = np.concatenate([c_[keep], term_rows // A])
        v_ = np.concatenate([v_[keep], np.ones(term_rows.size)])
        keep = np.ones(r_.size, dtype=bool)
        block = sp.csr_array((v_[keep], (r_[keep], c_[keep])), shape=(n_new * A, n_new))
        block.sum_duplicates()
        blocks.append(block)
        R_new = np.empty((n_new, A))
        R_new[: S * A] = ((1.0 - q) * Rt[s_i, a_i] + q * Rt[s_i, p_i]).reshape(S * A, A)
        R_new[S * A :] = Rt
        rewards.append(R_new)

    P_new = blocks[0] if n_steps == 1 else sp.csr_array(sp.vstack(blocks, format="csr"))
    R_out = rewards[0] if n_steps == 1 else np.stack(rewards)
    initial = np.zeros(n_new)
    initial[S * A :] = mdp.initial
    crit = {"horizon": mdp.horizon} if mdp.horizon is not None else {"gamma": mdp.gamma}
    return FiniteMDP(P_new, R_out, initial=initial, terminal=terminal, **crit)
