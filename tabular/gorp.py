"""GORP, "greedy over random policy", for deterministic environments behind a simulator.

GORP (Algorithm 1 of Laidlaw, Russell and Dragan, NeurIPS 2023) is the planning
algorithm whose sample complexity defines the effective horizon. For steps
``i = 0, ..., H-1`` (0-indexed here; the paper counts ``1..T``), with the actions
``a_0, ..., a_{i-1}`` already chosen::

    for every action sequence (b_0, ..., b_{k-1}) in A^k:
        run m episodes: actions a_0..a_{i-1}, then b_0..b_{k-1}, then uniformly random
        actions until the horizon;
        Qhat_i(b) = mean over the m episodes of the reward-to-go sum_{t >= i} r_t
    a_i = first action of argmax_b Qhat_i(b)

i.e. ``pi_i(s_i) = argmax_{a_i} max_{a_{i+1:i+k-1}} Qhat_i(s_i, a_{i:i+k-1})``: only
the FIRST action of the best sequence is committed, and the next step plans again
from the state it leads to. The rule is the same for every ``k``; for ``k = 1``
``Qhat_i`` estimates ``Q^{pi_rand}_i(s_i, .)`` and for ``k > 1`` the max over the
``k - 1`` trailing actions estimates ``Q^k_i(s_i, .)`` of :func:`tabular.k_qvi` (in a
deterministic MDP a max over action sequences is the ``k - 1`` optimality backups).
Ties are broken towards the lexicographically first sequence (first action most
significant), as in the authors' implementation, which keeps the first sequence whose
mean is strictly larger. Sequences that run past the horizon are still enumerated (all
``A**k`` of them, as in the paper); their actions after the last step are unused.

In a deterministic environment with a single start state the output is an open-loop
action sequence. Here every step re-simulates the committed prefix (one batched
``reset`` and ``H`` batched ``step`` calls per step ``i``, all ``A**k m`` episodes in
lock-step), so the environment is touched only through the
:class:`~rlcore.Simulator` protocol. The sample count is the paper's: ``H A**k m``
*episodes* (:attr:`GORPResult.n_episodes`); the number of simulated transitions is
also reported (:attr:`GORPResult.n_steps`, at most ``H`` per episode, fewer where
episodes terminate early; rewards after termination count as 0).

Guarantee (NeurIPS 2023, Section 5, Theorem 5.4 as numbered in the authors' README):
for a deterministic k-QVI-solvable MDP, GORP with ``k`` and ``m >= m_k`` of
:func:`tabular.effective_horizon_bound` returns an optimal policy with at least constant
probability, at least 1/2: the effective horizon counts the samples GORP needs to
fail with probability at most 1/2 (the authors' ``compute_gorp_bounds.jl`` searches for
the ``m`` whose failure bound is ``<= 0.5``). The proof is concentration (Bernstein) and
a union bound over the ``H A**k`` estimates: each ``Qhat_i`` keeps an optimal first
action ahead of every suboptimal one. The theorem number is the one the authors'
README gives; the PDF itself was not checked here. Tested by
``tests/tabular/test_gorp.py::test_bound_m_succeeds_with_promised_probability``.

References
----------
C. Laidlaw, S. Russell and A. Dragan, "Bridging RL theory and practice with the
effective horizon", NeurIPS 2023 (arXiv:2304.09853), Algorithm 1 (GORP) and Section 5
(k-QVI-solvability, Theorem 5.4); reference implementation
``effective_horizon/sb3/algorithms/gorp.py`` in cassidylaidlaw/effective-horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.results import Result
from rlcore.validation import Integer, InvalidParameterError, validate_params
from tabular._learner_common import (
    HORIZON,
    MAX_HORIZON,
    MAX_LOCKSTEP,
    N_ACTIONS,
    RNG_ARG,
    SIM,
    check_learner_sim,
    checked_reset,
    checked_step,
)

__all__ = ["GORPResult", "gorp"]


@dataclass(frozen=True, repr=False)
class GORPResult(Result):
    """Outcome of :func:`gorp`.

    Attributes
    ----------
    actions : ndarray of int64, shape (H,)
        The open-loop action sequence found (``actions[i]`` at step ``i``).
    sequence_values : ndarray of shape (H, A**k)
        ``sequence_values[i, j]``: mean reward-to-go from step ``i`` of the ``m`` episodes
        of sequence ``j`` (``j`` in base ``A``, first action most significant).
    q_estimates : ndarray of shape (H, A)
        ``max`` of ``sequence_values[i]`` over the sequences starting with each action
        (the paper's ``max_{a_{i+1:i+k-1}} Qhat_i(s_i, a_i, ...)``).
    k, m : int
        Planning depth and episodes per sequence.
    n_episodes : int
        Episodes simulated, ``H * A**k * m`` (the paper's sample count).
    n_steps : int
        Transitions simulated (``<= H * n_episodes``).
    """

    actions: np.ndarray
    sequence_values: np.ndarray
    q_estimates: np.ndarray
    k: int
    m: int
    n_episodes: int
    n_steps: int


def _sequences(A: int, k: int) -> np.ndarray:
    """All A**k sequences, shape (A**k, k), lexicographic (first column most significant)."""
    idx = np.arange(A**k, dtype=np.int64)
    cols = [(idx // A ** (k - 1 - c)) % A for c in range(k)]
    return np.stack(cols, axis=1)


@validate_params(
    sim=SIM,
    horizon=HORIZON,
    n_actions=N_ACTIONS,
    k=Integer(1, MAX_HORIZON),
    m=Integer(1, MAX_LOCKSTEP),
    rng=RNG_ARG,
    progress=PROGRESS,
)
def gorp(
    sim: Any,
    *,
    horizon: int,
    n_actions: int,
    k: int,
    m: int,
    rng: RNGLike = None,
    progress: bool | None = None,
) -> GORPResult:
    """Greedy over random policy (Laidlaw et al. 2023, Algorithm 1).

    Parameters
    ----------
    sim : Simulator
        Deterministic environment with batched ``reset(n, rng)`` and
        ``step(states, actions, rng, *, t) -> (next_states, rewards, terminated)``
        (e.g. a deterministic :class:`~rlcore.FiniteMDP` with one start state). On a
        stochastic one GORP still runs, but the open-loop output has no guarantee.
    horizon : int in [1, 10**6]
        ``H`` steps per episode.
    n_actions : int in [1, 10**6]
        ``A`` actions ``0..A-1``; must match ``sim.n_actions`` when it has one.
    k : int
        Planning depth, ``1 <= k <= H``.
    m : int in [1, 10**7]
        Episodes per action sequence. All ``A**k * m`` episodes of a step run in
        lock-step, so ``A**k * m <= 10**7``.
    rng : Generator, int or None
        Randomness of the random-policy tails (and of the simulator).
    progress : bool or None, default None
        Show a progress bar over the ``H * A**k * m`` episodes on standard error (see
        :mod:`rlcore.progress`); None follows :func:`rlcore.set_progress` (off by
        default). The result does not depend on it.

    Returns
    -------
    GORPResult

    Raises
    ------
    TypeError
        ``sim`` without ``reset``/``step``; non-integer arguments.
    ValueError
        Out-of-range arguments, or a simulator returning arrays of the wrong length.

    References
    ----------
    C. Laidlaw, S. Russell and A. Dragan, "Bridging RL theory and practice with the
    effective horizon", NeurIPS 2023, Algorithm 1 and Section 5.

    Examples
    --------
    >>> from rlcore.generators import combination_lock
    >>> lock = combination_lock(4, 2, combination=[1, 0, 0, 1])
    >>> res = gorp(lock, horizon=4, n_actions=2, k=1, m=64, rng=0)
    >>> res.actions.tolist(), res.n_episodes
    ([1, 0, 0, 1], 512)
    """
    H, A = horizon, n_actions
    check_learner_sim(sim, H, A)
    if k > H:
        raise InvalidParameterError("k", f"expected an integer in [1, horizon] = [1, {H}], got {k}")
    if A > 1 and k * math.log2(A) > 64 or A**k > MAX_LOCKSTEP:  # (log test first: no huge powers)
        raise InvalidParameterError(
            "k", f"A**k = {A}**{k} action sequences are more than the {MAX_LOCKSTEP} episodes run in lock-step"
        )
    if A**k * m > MAX_LOCKSTEP:
        raise InvalidParameterError(
            "m", f"A**k * m = {A**k} * {m} episodes are more than the {MAX_LOCKSTEP} run in lock-step"
        )
    gen = as_generator(rng)

    seqs = _sequences(A, k)  # (A**k, k)
    n_seq = seqs.shape[0]
    N = n_seq * m
    seq_of_row = np.repeat(np.arange(n_seq), m)
    chosen = np.empty(H, dtype=np.int64)
    values = np.empty((H, n_seq))
    n_steps = 0
    with progress_bar(H * N, desc="gorp", progress=progress, unit="episode") as bar:
        for i in range(H):
            states = checked_reset(sim, N, gen)
            alive = np.arange(N)  # rows still running
            rtg = np.zeros(N)
            for t in range(H):
                n_alive = alive.size
                if t < i:
                    actions = np.full(n_alive, chosen[t], dtype=np.int64)
                elif t < i + k:
                    actions = seqs[seq_of_row[alive], t - i]
                else:
                    actions = gen.integers(0, A, size=n_alive, dtype=np.int64)
                nxt, rew, term = checked_step(sim, states, actions, gen, t)
                n_steps += n_alive
                if t >= i:
                    rtg[alive] += rew
                keep = ~term
                alive, states = alive[keep], nxt[keep]
                if alive.size == 0:
                    break
            values[i] = rtg.reshape(n_seq, m).mean(axis=1)
            chosen[i] = seqs[int(np.argmax(values[i])), 0]  # first maximiser: lexicographic tie-break
            bar.update(N)
    q_est = values.reshape(H, A, n_seq // A).max(axis=2)
    return GORPResult(
        actions=chosen,
        sequence_values=values,
        q_estimates=q_est,
        k=k,
        m=m,
        n_episodes=H * N,
        n_steps=n_steps,
    )
