"""Random finite MDPs: Dirichlet rows, or Garnet rows with a fixed branching factor."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from rlcore.mdp import FiniteMDP
from rlcore.randomness import RNGLike, _as_generator
from rlcore.validation import RNG, Array, Bool, InvalidParameterError, Options, validate_params
from rlcore.generators._common import _GAMMA, _HORIZON, _SIZE, _check_entries, _criterion

__all__ = ["random_mdp"]


#: Row chunk so that the random-key subset sampler never holds more than ~4M floats.
_KEYS_CHUNK_ELEMENTS = 1 << 22


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
