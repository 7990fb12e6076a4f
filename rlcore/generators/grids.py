"""Gridworlds: a rectangular grid with walls, slip and one goal, or the same from an ASCII map."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rlcore.mdp import FiniteMDP
from rlcore.validation import Instance, InvalidParameterError, Sequence_, validate_params
from rlcore.generators._common import _CELL, _GAMMA, _HORIZON, _PROB, _REWARD, _SIZE, _check_entries, _criterion

__all__ = ["gridworld", "gridworld_from_map"]

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
