"""SQIRL: shallow Q-iteration via reinforcement learning (Laidlaw et al., ICLR 2024).

SQIRL separates exploration from learning. It learns the policy one step at a time,
front to back. To learn the action at step ``i`` it collects ``m`` fresh episodes that
follow the already-learned policy for steps ``0..i-1`` and act uniformly at random from
step ``i`` on. On those episodes it runs ``k`` steps of fitted-Q iteration (FQI):

* regress the Monte Carlo reward-to-go from step ``j = min(i + k - 1, H - 1)`` on
  ``(s_j, a_j)``: an estimate of ``Q^{pi_rand}_j``;
* for ``t = j - 1, ..., i``: regress ``r_t + max_a Qhat_{t+1}(s_{t+1}, a)`` (zero after
  termination) on ``(s_t, a_t)``: one empirical Bellman optimality backup;
* act greedily at step ``i``: ``pi_i(s) = argmax_a Qhat_i(s, a)`` (first maximiser).

``Qhat_i`` estimates ``Q^k_i``, ``k - 1`` backups of the random policy's Q, so SQIRL
returns an optimal policy as soon as the regressions are accurate to half the action
gap of ``Q^k`` whenever the MDP is k-QVI-solvable (:func:`tabular.min_k`). Any regressor
with the scikit-learn ``fit``/``predict`` protocol works (:mod:`rlcore.regressors`): the
tabular mean (exact tabular FQI), ridge least squares on features, the torch MLP of
:mod:`rlcore.deep` (the deep variant) or a scikit-learn estimator. The number
of episodes per step that provably suffices with the tabular regressor, and the
stochastic effective horizon built on it, are computed by
:func:`tabular.sqirl_sample_bound` and :func:`tabular.stochastic_effective_horizon`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

import numpy as np

from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.regressors import TabularMean
from rlcore.results import Result
from rlcore.validation import (
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    Options,
    Regressor,
    validate_params,
)
from tabular._learner_common import (
    HORIZON,
    MAX_HORIZON,
    MAX_LOCKSTEP,
    N_ACTIONS,
    N_STATES,
    RNG_ARG,
    SIM,
    check_learner_sim,
    checked_reset,
    checked_step,
)

__all__ = ["SQIRLResult", "sqirl"]

FeatureFn = Callable[[np.ndarray, np.ndarray, int], np.ndarray]
_FEATURES = ("index", "one_hot", "one_hot_pair")

#: The constraints :func:`sqirl` and :func:`tabular.sqirl_sample_complexity` share.
REGRESSOR = Regressor() | None
FEATURES = Options(*_FEATURES) | IsCallable("a callable features(states, actions, t) -> X")


@dataclass(frozen=True, repr=False)
class SQIRLResult(Result):
    """Outcome of :func:`sqirl`.

    Attributes
    ----------
    policy : ndarray of int64, shape (H, S), or None
        The learned greedy policy for every ``(t, s)`` when the number of states is known
        (``argmax_a Qhat_t(s, a)``, first maximiser; at states never seen in the data the
        regressor's default prediction decides). None for simulators without
        ``n_states``: use :meth:`act`.
    Q : ndarray of shape (H, S, A) or None
        ``Qhat_t(s, a)`` of the regressor that acts at each step ``t`` (None when the
        number of states is unknown).
    regressors : tuple of fitted regressors, length H
        ``regressors[t]`` predicts ``Qhat_t`` from the features of ``(s, a, t)``.
    k, m : int
        Planning depth and episodes per step.
    n_episodes : int
        Episodes simulated, ``H * m``.
    n_steps : int
        Transitions simulated.
    """

    policy: np.ndarray | None
    Q: np.ndarray | None
    regressors: tuple[Any, ...]
    k: int
    m: int
    n_episodes: int
    n_steps: int
    _features: Any = None
    _n_actions: int = 0

    def act(self, states: Any, t: int) -> np.ndarray:
        """Greedy actions of the learned policy at step ``t`` for a batch of states.

        Parameters
        ----------
        states : array_like, leading axis n
        t : int
            Step, ``0 <= t < H``.

        Returns
        -------
        ndarray of int64, shape (n,)
        """
        H = len(self.regressors)
        t = Integer(0, H - 1).check(t, "t")
        return _greedy(self.regressors[t], self._features, np.asarray(states), t, self._n_actions)[0]


def _make_features(features: str | FeatureFn, n_states: int | None, A: int) -> FeatureFn:
    """The feature map of a validated ``features`` argument (an option or a callable)."""
    if callable(features):

        def call(states: np.ndarray, actions: np.ndarray, t: int) -> np.ndarray:
            X = np.asarray(features(states, actions, t))
            if X.ndim not in (1, 2) or X.shape[0] != actions.shape[0]:
                raise InvalidParameterError(
                    "features",
                    f"expected an array with leading axis {actions.shape[0]} from features(states, actions, t), "
                    f"got shape {X.shape}",
                )
            return X

        return call
    if features == "index":

        def index(states: np.ndarray, actions: np.ndarray, t: int) -> np.ndarray:
            s = np.asarray(states)
            if s.ndim != 1 or s.dtype == bool or not np.issubdtype(s.dtype, np.integer):
                raise InvalidParameterTypeError(
                    "features",
                    f"'index' needs integer states of shape (n,); pass features=callable for states of dtype "
                    f"{s.dtype} and shape {s.shape}",
                )
            return np.stack([s.astype(np.int64), actions.astype(np.int64)], axis=1)

        return index
    if n_states is None:
        raise InvalidParameterError(
            "features", f"{features!r} needs n_states (pass n_states= or a simulator with n_states)"
        )
    S = n_states
    if features == "one_hot":

        def one_hot(states: np.ndarray, actions: np.ndarray, t: int) -> np.ndarray:
            X = np.zeros((actions.shape[0], S + A))
            rows = np.arange(actions.shape[0])
            X[rows, _state_indices(states, S)] = 1.0
            X[rows, S + actions] = 1.0
            return X

        return one_hot

    def one_hot_pair(states: np.ndarray, actions: np.ndarray, t: int) -> np.ndarray:
        X = np.zeros((actions.shape[0], S * A))
        X[np.arange(actions.shape[0]), _state_indices(states, S) * A + actions] = 1.0
        return X

    return one_hot_pair


def _state_indices(states: np.ndarray, S: int) -> np.ndarray:
    """Integer states in ``[0, S)`` for the one-hot features (the simulator's output)."""
    s = np.asarray(states)
    if s.ndim != 1 or s.dtype == bool or not np.issubdtype(s.dtype, np.integer):
        raise InvalidParameterTypeError(
            "sim", f"one-hot features need integer states of shape (n,), got {s.dtype} of shape {s.shape}"
        )
    if s.size and (s.min() < 0 or s.max() >= S):
        raise InvalidParameterError("sim", f"states must lie in [0, n_states) = [0, {S}), got {int(s.max())}")
    return s.astype(np.int64)


def _all_action_values(reg: Any, feats: FeatureFn, states: np.ndarray, t: int, A: int) -> np.ndarray:
    """Predictions of shape (n, A): ``reg`` at every action of every state."""
    n = states.shape[0]
    rep_states = np.repeat(states, A, axis=0)
    actions = np.tile(np.arange(A, dtype=np.int64), n)
    try:
        q = np.asarray(reg.predict(feats(rep_states, actions, t)), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, (InvalidParameterError, InvalidParameterTypeError)):
            raise
        raise InvalidParameterTypeError("regressor", f"predict did not return real numbers ({exc})") from None
    if q.shape != (n * A,):
        raise InvalidParameterError("regressor", f"predict returned shape {q.shape}, expected ({n * A},)")
    if not np.all(np.isfinite(q)):
        raise InvalidParameterError("regressor", "predict returned non-finite values")
    return q.reshape(n, A)


def _greedy(reg: Any, feats: FeatureFn, states: np.ndarray, t: int, A: int) -> tuple[np.ndarray, np.ndarray]:
    """(first argmax actions (n,), max values (n,)) of ``reg`` at ``states``."""
    if states.shape[0] == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    q = _all_action_values(reg, feats, states, t, A)
    return q.argmax(axis=1).astype(np.int64), q.max(axis=1)


class _ZeroQ:
    """Stands in for a step that no episode reached: predicts 0 (so the policy acts 0)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _ZeroQ:
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.zeros(np.asarray(X).shape[0])


def _fit(template: Any, X: np.ndarray, y: np.ndarray) -> Any:
    reg = copy.deepcopy(template)
    out = reg.fit(X, y)
    return reg if out is None else out


@validate_params(
    sim=SIM,
    horizon=HORIZON,
    n_actions=N_ACTIONS,
    k=Integer(1, MAX_HORIZON),
    m=Integer(1, MAX_LOCKSTEP),
    regressor=REGRESSOR,
    features=FEATURES,
    n_states=N_STATES,
    rng=RNG_ARG,
    progress=PROGRESS,
)
def sqirl(
    sim: Any,
    *,
    horizon: int,
    n_actions: int,
    k: int,
    m: int,
    regressor: Any = None,
    features: str | FeatureFn = "index",
    n_states: int | None = None,
    rng: RNGLike = None,
    progress: bool | None = None,
) -> SQIRLResult:
    """Shallow Q-iteration via reinforcement learning (Laidlaw et al. 2024, Algorithm 1).

    Parameters
    ----------
    sim : Simulator
        Batched ``reset(n, rng)`` / ``step(states, actions, rng, *, t)``; stochastic
        transitions are the point (e.g. :func:`rlcore.generators.sticky_actions`).
    horizon : int in [1, 10**6]
        ``H`` steps per episode.
    n_actions : int in [1, 10**6]
        ``A`` actions; must match ``sim.n_actions`` when it has one.
    k : int
        Planning depth (FQI steps, counting the Monte Carlo regression), ``1 <= k <= H``.
    m : int in [1, 10**7]
        Episodes collected per step (the paper's ``m``, run in lock-step); ``H * m`` in all.
    regressor : object with ``fit(X, y)`` and ``predict(X)``, optional
        Template deep-copied for every regression. Default
        :class:`rlcore.TabularMean` (exact tabular FQI; pairs with ``features="index"``).
    features : {"index", "one_hot", "one_hot_pair"} or callable, default "index"
        Regression inputs for ``(states, actions, t)``: ``"index"`` the integer pairs
        ``[s, a]``; ``"one_hot"`` ``[e_s, e_a]`` (``S + A`` columns, for MLPs);
        ``"one_hot_pair"`` ``e_{s A + a}`` (``S * A`` columns: ridge regression is then
        tabular); or ``features(states, actions, t) -> X`` of shape (n, d).
    n_states : int in [1, 10**8], optional
        Number of states, for the one-hot features and for tabulating the policy.
        Default ``sim.n_states`` when present. ``H * S * A`` may be at most ``10**8``.
    rng : Generator, int or None
        Randomness of exploration and of the simulator.
    progress : bool or None, default None
        Show a progress bar over the ``H * m`` episodes on standard error (see
        :mod:`rlcore.progress`); None follows :func:`rlcore.set_progress` (off by
        default). The result does not depend on it.

    Returns
    -------
    SQIRLResult

    Raises
    ------
    TypeError
        ``sim`` without ``reset``/``step``, a regressor without ``fit``/``predict``,
        non-integer arguments.
    ValueError
        Out-of-range arguments; simulator, feature map or regressor returning arrays of
        the wrong shape or non-finite predictions.

    Guarantee
    ---------
    If the MDP is k-QVI-solvable and, at every step ``i``, ``|Qhat_i(s, a) - Q^k_i(s, a)|``
    is below half the gap between the greedy and the non-greedy actions of ``Q^k_i`` at
    every state the learned prefix can reach, the returned policy is optimal (Laidlaw et
    al. 2024, Section 3; their Theorem 3.6 turns an in-distribution regression-error bound
    into an ``O~(k H^3 A^{H_k} / eps)``-type sample bound). For the tabular regressor,
    :func:`tabular.sqirl_sample_bound` gives an explicit ``m`` that achieves this with
    probability at least ``1 - delta``. Tested by
    ``tests/tabular/test_sqirl.py::test_deterministic_mdp_with_k_equal_h_recovers_backward_induction``
    (exact regressions) and
    ``tests/tabular/test_sqirl.py::test_sqirl_with_the_bound_is_optimal_with_promised_probability``
    (the sample bound, over seeded runs with the failure budget written down).

    References
    ----------
    C. Laidlaw, B. Zhu, S. Russell and A. Dragan, "The effective horizon explains deep RL
    performance in stochastic environments", ICLR 2024 (arXiv:2312.08369), Section 3
    (Algorithm 1, SQIRL).

    Examples
    --------
    >>> from rlcore.generators import combination_lock, sticky_actions
    >>> lock = sticky_actions(combination_lock(3, 2, combination=[1, 0, 1]), 0.25)
    >>> res = sqirl(lock, horizon=3, n_actions=2, k=1, m=200, rng=0)
    >>> int(res.policy[0, 10]), res.n_episodes  # state 10: the start (see sticky_actions)
    (1, 600)
    """
    H, A = horizon, n_actions
    S = check_learner_sim(sim, H, A, n_states)
    if k > H:
        raise InvalidParameterError("k", f"expected an integer in [1, horizon] = [1, {H}], got {k}")
    template = TabularMean() if regressor is None else regressor
    feats = _make_features(features, S, A)
    with progress_bar(H * m, desc="sqirl", progress=progress, unit="episode") as bar:
        return _sqirl(sim, H, A, S, k, m, template, feats, as_generator(rng), bar)


def _sqirl(
    sim: Any,
    H: int,
    A: int,
    S: int | None,
    k: int,
    m: int,
    template: Any,
    feats: FeatureFn,
    gen: np.random.Generator,
    bar: Any = None,
) -> SQIRLResult:
    """:func:`sqirl` on validated arguments (also run by :func:`tabular.sqirl_sample_complexity`);
    ``bar``, when given, is advanced by ``m`` episodes per step."""
    regs: list[Any] = []
    tables: list[np.ndarray] = []  # greedy action per state, when S is known
    all_states = None if S is None else np.arange(S, dtype=np.int64)
    n_steps = 0
    for i in range(H):
        j = min(i + k - 1, H - 1)
        states = checked_reset(sim, m, gen)
        alive = np.arange(m)
        # per step t in [i, j]: rows alive at t, their states, actions, rewards, terminated, next states
        log: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        rtg = np.zeros(m)
        for t in range(H):
            n_alive = alive.size
            if t < i:
                if S is not None:
                    actions = tables[t][_state_indices(states, S)]
                else:
                    actions = _greedy(regs[t], feats, states, t, A)[0]
            else:
                actions = gen.integers(0, A, size=n_alive, dtype=np.int64)
            nxt, rew, term = checked_step(sim, states, actions, gen, t)
            n_steps += n_alive
            if i <= t <= j:
                log[t] = (alive, states, actions, rew, term, nxt)
            if t >= j:
                rtg[alive] += rew
            keep = ~term
            alive, states = alive[keep], nxt[keep]
            if alive.size == 0:
                break
        # fitted-Q iteration from j back to i on this step's episodes
        reg_next = None
        for t in range(j, i - 1, -1):
            if t not in log:  # every episode ended before step t: no data, nothing continues
                reg_next = None
                continue
            rows, s_t, a_t, r_t, term_t, nxt_t = log[t]
            if t == j:
                y = rtg[rows]
            else:
                y = r_t.copy()
                cont = ~term_t
                if reg_next is not None and cont.any():
                    y[cont] += _greedy(reg_next, feats, nxt_t[cont], t + 1, A)[1]
            reg_next = _fit(template, feats(s_t, a_t, t), y)
        if reg_next is None:  # no episode reached step i: nothing to learn, Qhat_i = 0
            reg_next = _ZeroQ()
        regs.append(reg_next)
        if all_states is not None:
            tables.append(_greedy(reg_next, feats, all_states, i, A)[0])
        if bar is not None:
            bar.update(m)

    policy = Q = None
    if all_states is not None:
        policy = np.stack(tables)
        Q = np.stack([_all_action_values(regs[t], feats, all_states, t, A) for t in range(H)])
    return SQIRLResult(
        policy=policy,
        Q=Q,
        regressors=tuple(regs),
        k=k,
        m=m,
        n_episodes=H * m,
        n_steps=n_steps,
        _features=feats,
        _n_actions=A,
    )
