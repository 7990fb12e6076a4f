"""Cascading reinforcement learning: the cascading MDP, BestPerm, CascadingVI and CascadingBPI.

The cascading MDP (Du, Srikant, Chen, ICLR 2024) extends the cascade model of
:mod:`bandits.cascading` with user states. It has ``S`` states, ``N`` ground items, a
finite horizon ``H`` and lists of at most ``K`` distinct items as actions. In state
``s`` at step ``h`` the agent shows a list ``A = (a_1, ..., a_k)``; the user examines it
from the top and clicks item ``a_i`` with its *state-dependent* attraction probability
``q(s, a_i)`` (independently), stopping at the first click. A click on ``a`` pays
``r(s, a)`` and moves the user to ``s' ~ p(. | s, a)``; no click pays 0 and moves to
``s' ~ p(. | s, a_bot)`` (the virtual "no-click" item). With
``w_h(s, a) = r(s, a) + p(. | s, a)^T V_{h+1}`` and ``w_h(s, a_bot) = p(. | s, a_bot)^T V_{h+1}``
the Bellman equation reads

.. math:: Q_h(s, A) = \\sum_{i=1}^{|A|} \\prod_{j<i} (1 - q(s, a_j))\\, q(s, a_i)\\, w_h(s, a_i)
          + \\prod_{j=1}^{|A|} (1 - q(s, a_j))\\, w_h(s, a_\\bot),

a function ``f(A, q, w)`` of the list. The action space has
``sum_{k <= K} N! / (N - k)!`` lists (here ``k = 0``, "show nothing", included), but
:func:`best_perm` maximises ``f`` in ``O(N log N + N K)``: an optimal list is sorted by
decreasing ``w`` (an adjacent swap changes ``f`` by ``prefix * q_i q_j (w_i - w_j)``),
and a dynamic programme over the sorted items picks which to show. Dynamic programming
with BestPerm at every ``(h, s)`` (:func:`solve_cascading_mdp`) solves a known
cascading MDP without enumerating lists; :meth:`CascadingMDP.to_finite_mdp` gives the
enumerated :class:`rlcore.FiniteMDP` for small ``N, K`` (the baseline and the check).

Learning (rewards ``r`` known, as in the paper; ``q`` and ``p`` unknown): the agent
observes the click position, hence ``q(s, a)`` samples for every *examined* item and a
transition sample of the clicked item (or of ``a_bot``). :func:`cascading_vi` plans
optimistically with BestPerm on upper confidence bounds of ``q`` and ``w``;
:func:`cascading_bpi` stops once an optimistic and a pessimistic value of its policy are
within ``epsilon``. :func:`enumerated_ucbvi` is the naive baseline: the same optimistic
value iteration over the enumerated list-action space, learning ``R(s, A)`` and
``P(. | s, A)`` list by list.

Notes
-----
Notation: the paper writes ``m`` for the longest list and ``K`` for the number of
episodes; this module writes ``K`` (``list_length``) for the former and ``n_episodes``
for the latter, except in the regret rate, where ``K`` is the number of episodes as in
the paper.

Verification status (audit of November 2026). The paper's full text could not be read
(the reference search returned only its opening and reviews of it). Confirmed by
secondary sources only (the ICLR 2024 reviews of the paper, which quote Theorem 1's rate,
and several independent summaries quoting both theorems; consistent with each other and
with the abstract's "near-optimal" claims): Theorem 1, regret
``O~(H sqrt(H S N K))`` with probability ``1 - delta``, within ``sqrt(H)`` of the
``Omega(H sqrt(S N K))`` lower bound for episodic RL; Theorem 2, CascadingBPI's sample
complexity ``O~(H^3 S N / epsilon^2 log(1 / delta) + H^2 sqrt(H) S N / epsilon^1.5
(log(1 / delta) + S))``, within a factor ``H`` of the lower bound when
``epsilon < H / S^2``; the variance-aware attraction bonus scales with
``sqrt(hat q (1 - hat q))``; attraction and value bonuses are separate (the source of
the ``sqrt(H)`` gap). *Not verified*: the bonuses' exact constants (2 and 5), the
definition of the log term ``iota`` (the paper's ``L``), CascadingBPI's exact
exploration and stopping rule, and any explicit constants in the appendix. The
implementation's own guarantees (optimism, pessimism, the BPI certificate) are argued in
the docstrings and checked by the tests, independently of those constants.

References
----------
Y. Du, R. Srikant, W. Chen, Cascading reinforcement learning, *ICLR* 2024
(arXiv:2401.08961): the cascading MDP (section 3), BestPerm (section 4), CascadingVI
(section 5, regret ``O~(H sqrt(H S N K))`` over ``K`` episodes) and CascadingBPI
(section 6, sample complexity ``O~(H^3 S N / epsilon^2)``).
B. Kveton, C. Szepesvari, Z. Wen, A. Ashkan, Cascading bandits, *ICML* 2015.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from bandits import _cascading_kernels as _ck
from bandits._constraints import DELTA, MAX_EPISODES, MAX_LISTS
from bandits.cascading import enumerate_lists
from rlcore.validation import (
    Array,
    Bool,
    Instance,
    Integer,
    InvalidParameterError,
    MAX_ITERATIONS,
    MAX_SAMPLES,
    PROBABILITY_ATOL,
    RNG,
    Real,
    check_int,
    check_stochastic_rows,
    shape_of,
    validate_params,
)
from rlcore.mdp import FiniteMDP
from rlcore.randomness import RNGLike, as_generator

__all__ = [
    "CascadingBPIResult",
    "CascadingLearnerResult",
    "CascadingMDP",
    "CascadingPlanningResult",
    "best_perm",
    "cascading_bpi",
    "cascading_bpi_sample_complexity",
    "cascading_vi",
    "cascading_vi_regret_bound",
    "enumerated_ucbvi",
    "evaluate_cascading_policy",
    "list_value",
    "solve_cascading_mdp",
]


#: Attraction probabilities ``q`` of the items, in [0, 1].
_ATTRACTION_1D = Array(ndim=1, low=0.0, high=1.0)

#: Largest row-sum tolerance of :class:`CascadingMDP`'s transition rows: beyond, the
#: rows are not probability distributions in any useful sense.
MAX_ATOL: float = 1e-6

#: Smallest accuracy of :func:`cascading_bpi`: the values lie in ``[0, H]`` and their
#: float64 rounding is above ``1e-12`` for any useful horizon.
EPSILON_FLOOR: float = 1e-12

_EPSILON = Real(EPSILON_FLOOR, None)
_COUNT = Integer(1, MAX_SAMPLES)
_EPISODES = Integer(1, MAX_EPISODES)


# ------------------------------------------------------------------------ the oracle
@validate_params(
    attraction=_ATTRACTION_1D,
    values=Array(ndim=1, shape=(shape_of("attraction"),)),
    no_click_value=Real(),
    items=Array("int", ndim=1, low=-1, high=shape_of("attraction", 0, -1), min_size=0),
)
def list_value(attraction: Any, values: Any, no_click_value: float, items: Any) -> float:
    """``f(A, q, w) = sum_i prod_{j<i}(1 - q_{a_j}) q_{a_i} w_{a_i} + prod_j (1 - q_{a_j}) w_bot``.

    Parameters
    ----------
    attraction, values : array_like of shape (N,)
        Attraction probabilities in ``[0, 1]`` and finite item values.
    no_click_value : float
    items : array_like of int, shape (k,)
        The list in display order (``-1`` entries are skipped).

    Examples
    --------
    >>> list_value([0.5, 0.5], [2.0, 1.0], 0.0, [0, 1])
    1.25
    """
    q, w, A = attraction, values, items
    out, reach = 0.0, 1.0
    for a in A:
        if a < 0:
            continue
        out += reach * q[a] * w[a]
        reach *= 1.0 - q[a]
    return float(out + reach * no_click_value)


@validate_params(
    attraction=_ATTRACTION_1D,
    values=Array(ndim=1, shape=(shape_of("attraction"),)),
    no_click_value=Real(),
    max_length=Integer(1, shape_of("attraction")),
)
def best_perm(attraction: Any, values: Any, no_click_value: float, max_length: int) -> tuple[float, np.ndarray]:
    """BestPerm: the ordered list of at most ``K`` distinct items maximising ``f(A, q, w)``.

    Parameters
    ----------
    attraction : array_like of shape (N,)
        Attraction probabilities ``q`` in ``[0, 1]``.
    values : array_like of shape (N,)
        Item values ``w`` (reward of a click plus the continuation value).
    no_click_value : float
        ``w_bot``, the value when no item is clicked.
    max_length : int, 1 <= K <= N

    Returns
    -------
    value : float
        ``max_{|A| <= K} f(A, q, w)`` (lists of length 0 to ``K``).
    items : ndarray of int64, shape (k,), k <= K
        An optimal list in display order: decreasing ``w``, ties by index; among optimal
        lists in that order the shortest (an item is shown only if it strictly helps).

    Guarantee
    ---------
    Exact, in ``O(N log N + N K)`` time: sorting by ``w`` then a dynamic programme over
    the first ``K`` choices (Du et al. 2024, section 4: BestPerm; the exchange argument
    in the module docstring shows that the optimal list is sorted by ``w``). Checked
    against brute force over all ordered lists in ``tests/bandits/test_cascading_rl.py``.

    References
    ----------
    Du, Srikant, Chen, Cascading reinforcement learning, *ICLR* 2024, section 4.

    Examples
    --------
    >>> v, items = best_perm([0.5, 0.9, 0.2], [1.0, 0.5, 3.0], 0.0, 2)
    >>> items.tolist(), round(v, 4)
    ([2, 0], 1.0)
    """
    q, w, wb, K = attraction, values, no_click_value, max_length
    vals = np.empty(1)
    lists = np.empty((1, K), dtype=np.int64)
    _ck.best_perm_batch(q[None], w[None], np.array([wb]), K, vals, lists)
    row = lists[0]
    return float(vals[0]), row[row >= 0].copy()


def _pessimistic_list_values(
    lists: np.ndarray, qlo: np.ndarray, qhi: np.ndarray, w: np.ndarray, wb: np.ndarray
) -> np.ndarray:
    """``min over q in [qlo, qhi]`` of ``f(A_s, q, w)`` for each row ``s`` (exact: ``f`` is
    linear in each ``q_i`` and the minimisation runs backwards from the last position)."""
    S, K = lists.shape
    rows = np.arange(S)
    cont = wb.copy()
    for i in range(K - 1, -1, -1):
        a = lists[:, i]
        ok = a >= 0
        ai = np.maximum(a, 0)
        wi = w[rows, ai]
        lo = qlo[rows, ai] * wi + (1 - qlo[rows, ai]) * cont
        hi = qhi[rows, ai] * wi + (1 - qhi[rows, ai]) * cont
        cont = np.where(ok, np.minimum(lo, hi), cont)
    return cont


def _list_values(lists: np.ndarray, q: np.ndarray, w: np.ndarray, wb: np.ndarray) -> np.ndarray:
    return _pessimistic_list_values(lists, q, q, w, wb)


# ------------------------------------------------------------------------- the model
@validate_params(
    attraction=Array(ndim=2, low=0.0, high=1.0),
    transitions=Array(
        ndim=3, shape=(shape_of("attraction", 0), shape_of("attraction", 1, 1), shape_of("attraction", 0)), low=0.0
    ),
    rewards=Array(ndim=2, shape=(shape_of("attraction", 0), shape_of("attraction", 1)), low=0.0, high=1.0),
    list_length=Integer(1, shape_of("attraction", 1)),
    horizon=Integer(1, MAX_ITERATIONS),
    initial=Array(ndim=1, shape=(shape_of("attraction", 0),), low=0.0) | None,
    atol=Real(0, MAX_ATOL),
)
class CascadingMDP:
    """A finite-horizon cascading MDP (Du, Srikant, Chen 2024).

    Parameters
    ----------
    attraction : array_like of shape (S, N)
        ``q(s, a)``, attraction probabilities in ``[0, 1]``.
    transitions : array_like of shape (S, N + 1, S)
        ``p(. | s, a)`` after a click on item ``a``; row ``N`` is ``p(. | s, a_bot)``,
        the transition when nothing is clicked.
    rewards : array_like of shape (S, N)
        ``r(s, a)`` in ``[0, 1]``, paid on a click on ``a`` (no click pays 0).
    list_length : int, 1 <= K <= N
        Longest list; lists of length 0 to ``K`` are allowed.
    horizon : int in [1, 10**9]
    initial : array_like of shape (S,), optional
        Initial-state distribution (uniform when omitted).
    atol : float in [0, 1e-6]
        Tolerance on the sums of the transition rows and of ``initial``
        (``|sum - 1| <= atol``; entries must be non-negative exactly).

    Attributes
    ----------
    attraction, transitions, rewards, initial : read-only ndarrays
    n_states, n_items, list_length, horizon : int
    n_lists : int
        ``sum_{k=0}^{K} N! / (N - k)!``.

    Notes
    -----
    Simulator: :meth:`reset` draws initial states; :meth:`step` takes lists of shape
    (n, K) (``-1`` padding) and returns ``(next_states, rewards, terminated)``;
    :meth:`step_with_feedback` also returns the click positions (``-1``: none). The
    dynamics are stationary; the horizon is the learner's episode length.

    Examples
    --------
    >>> q = [[0.5, 0.2]]; P = np.ones((1, 3, 1)); r = [[1.0, 0.5]]
    >>> m = CascadingMDP(q, P, r, list_length=2, horizon=3)
    >>> m.n_lists, round(float(solve_cascading_mdp(m).V[0, 0]), 4)
    (5, 1.65)
    """

    def __init__(
        self,
        attraction: Any,
        transitions: Any,
        rewards: Any,
        *,
        list_length: int,
        horizon: int,
        initial: Any = None,
        atol: float = PROBABILITY_ATOL,
    ) -> None:
        q, P, r, K, H = attraction, transitions, rewards, list_length, horizon
        S, N = q.shape
        check_stochastic_rows(P, "transitions", atol=atol)
        if initial is None:
            init = np.full(S, 1.0 / S)
        else:
            init = initial
            check_stochastic_rows(init, "initial", atol=atol)
        for arr in (q, P, r, init):
            arr.flags.writeable = False
        self.attraction: np.ndarray = q
        self.transitions: np.ndarray = P
        self.rewards: np.ndarray = r
        self.initial: np.ndarray = init
        self.n_states: int = S
        self.n_items: int = N
        self.list_length: int = K
        self.horizon: int = H
        self._cdf = np.cumsum(P, axis=2)
        self._init_cdf = np.cumsum(init)
        self._n_lists: int | None = None
        self._q = np.array(q)  # writable copies for the compiled kernels
        self._r = np.array(r)

    @property
    def n_lists(self) -> int:
        """``sum_{k=0}^{K} N! / (N - k)!``, the number of lists (computed on first use)."""
        if self._n_lists is None:
            self._n_lists = sum(math.perm(self.n_items, k) for k in range(self.list_length + 1))
        return self._n_lists

    def _enumerable(self) -> bool:
        """Whether the lists number at most :data:`MAX_LISTS` (without computing huge counts)."""
        total = 0
        for k in range(self.list_length + 1):
            total += math.perm(self.n_items, k)
            if total > MAX_LISTS:
                return False
        return True

    def __repr__(self) -> str:
        return (
            f"CascadingMDP(n_states={self.n_states}, n_items={self.n_items}, "
            f"list_length={self.list_length}, horizon={self.horizon})"
        )

    def item_values(self, V_next: Any) -> tuple[np.ndarray, np.ndarray]:
        """``w(s, a) = r(s, a) + p(.|s, a)^T V_next`` (S, N) and ``w(s, a_bot)`` (S,)."""
        V = Array(ndim=1, shape=(self.n_states,)).check(V_next, "V_next")
        return self._item_values(V)

    def _item_values(self, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = self.transitions @ V
        return self.rewards + m[:, : self.n_items], m[:, self.n_items]

    def lists(self) -> np.ndarray:
        """The enumerated action space, shape (n_lists, K), ``-1`` padded (see
        :func:`bandits.cascading.enumerate_lists`); at most ``10**6`` lists."""
        if not self._enumerable():
            raise InvalidParameterError(
                "mdp",
                f"the cascading MDP has more than {MAX_LISTS} lists (N = {self.n_items}, K = "
                f"{self.list_length}); the enumerated action space is for small N and K only",
            )
        return enumerate_lists(self.n_items, self.list_length, min_length=0)

    def to_finite_mdp(self) -> tuple[FiniteMDP, np.ndarray]:
        """The equivalent :class:`rlcore.FiniteMDP` over the enumerated lists.

        Returns ``(mdp, lists)``: ``mdp`` has ``n_lists`` actions, action ``j`` being
        ``lists[j]``; ``R(s, A) = sum_i prod_{j<i}(1 - q_j) q_i r(s, a_i)`` and
        ``P(. | s, A) = sum_i prod_{j<i}(1 - q_j) q_i p(. | s, a_i) + prod_j (1 - q_j) p(. | s, a_bot)``.
        Feasible only for small ``N, K`` (``n_lists`` grows like ``N^K``).

        Examples
        --------
        >>> q = [[0.5, 0.2]]; P = np.ones((1, 3, 1)); r = [[1.0, 0.5]]
        >>> mdp, lists = CascadingMDP(q, P, r, list_length=2, horizon=3).to_finite_mdp()
        >>> mdp.n_actions, mdp.horizon
        (5, 3)
        """
        lists = self.lists()
        S, N = self.n_states, self.n_items
        nA = lists.shape[0]
        R = np.zeros((S, nA))
        P = np.zeros((S, nA, S))
        reach = np.ones((S, nA))
        for i in range(self.list_length):
            a = lists[:, i]
            ok = a >= 0
            ai = np.maximum(a, 0)
            qi = np.where(ok[None, :], self.attraction[:, ai], 0.0)  # (S, nA)
            R += reach * qi * self.rewards[:, ai]
            P += (reach * qi)[:, :, None] * self.transitions[:, ai, :]
            reach = reach * (1.0 - qi)
        P += reach[:, :, None] * self.transitions[:, N, :][:, None, :]
        return FiniteMDP(P, R, horizon=self.horizon, initial=self.initial), lists

    # ---------------------------------------------------------------- simulator
    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """Draw ``n`` initial states from ``initial``, shape (n,) (``1 <= n <= 10**6``)."""
        n = check_int(n, "n", low=1, high=10**6)
        u = as_generator(rng).random(n)
        return np.minimum(np.searchsorted(np.cumsum(self.initial), u, side="right"), self.n_states - 1)

    def _check_step(self, states: Any, lists: Any, name: str = "actions") -> tuple[np.ndarray, np.ndarray]:
        st = Array("int", ndim=1, low=0, high=self.n_states - 1, min_size=0).check(states, "states")
        A = Array("int", ndim=2, shape=(st.size, self.list_length), low=-1, high=self.n_items - 1, min_size=0).check(
            lists, name
        )
        _check_distinct(A, name)
        return st, A

    def step_with_feedback(
        self, states: Any, actions: Any, rng: RNGLike = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One step of ``n`` users: ``(next_states, rewards, click_positions)`` (``-1``: none)."""
        st, A = self._check_step(states, actions)
        return self._step(st, A, as_generator(rng))

    def _step(
        self, st: np.ndarray, A: np.ndarray, gen: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n, K = A.shape
        u = gen.random((n, K))
        qa = np.where(A >= 0, self.attraction[st[:, None], np.maximum(A, 0)], 0.0)
        att = u < qa
        clicked = att.any(axis=1)
        pos = np.where(clicked, np.argmax(att, axis=1), -1)
        item = np.where(clicked, A[np.arange(n), np.maximum(pos, 0)], self.n_items)
        rew = np.where(clicked, self.rewards[st, np.minimum(item, self.n_items - 1)], 0.0)
        u2 = np.asarray(gen.random(n))
        cdf = self._cdf[st, item]  # (n, S)
        nxt = np.minimum((cdf <= u2[:, None]).sum(axis=1), self.n_states - 1)
        return nxt.astype(np.int64), rew, pos.astype(np.int64)

    def step(self, states: Any, actions: Any, rng: RNGLike = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The :class:`rlcore.Simulator` step: ``(next_states, rewards, terminated)`` (never terminates)."""
        nxt, rew, _ = self.step_with_feedback(states, actions, rng)
        return nxt, rew, np.zeros(nxt.shape, dtype=bool)


def _check_distinct(A: np.ndarray, name: str) -> None:
    """The items of each list (last axis, ``-1`` padding ignored) must be distinct."""
    K = A.shape[-1]
    if K > 1 and A.size:
        flat = A.reshape(-1, K)
        srt = np.sort(np.where(flat >= 0, flat, -1 - np.arange(K)[None, :]), axis=1)
        dup = (srt[:, 1:] == srt[:, :-1]).any(axis=1)
        if dup.any():
            i = int(np.argmax(dup))
            where = np.unravel_index(i, A.shape[:-1])
            raise InvalidParameterError(
                name, f"the items of a list must be distinct, list {tuple(int(j) for j in where)} is {flat[i].tolist()}"
            )


_CMDP = Instance(CascadingMDP)


# -------------------------------------------------------------------------- planning
@dataclass(frozen=True)
class CascadingPlanningResult:
    """Optimal values and list policy of a cascading MDP.

    Attributes
    ----------
    V : ndarray of shape (H, S)
        ``V[h, s]``, the optimal value with ``H - h`` steps to go.
    policy : ndarray of int64, shape (H, S, K)
        The optimal list at ``(h, s)`` in display order, ``-1`` padded.
    """

    V: np.ndarray
    policy: np.ndarray

    def value(self, initial: Any) -> float:
        """``initial^T V[0]`` for a finite ``initial`` of shape (S,)."""
        init = Array(ndim=1, shape=(self.V.shape[1],)).check(initial, "initial")
        return float(init @ self.V[0])


def _backward(mdp: CascadingMDP) -> tuple[np.ndarray, np.ndarray]:
    H, S, K = mdp.horizon, mdp.n_states, mdp.list_length
    V = np.zeros((H + 1, S))
    pol = np.empty((H, S, K), dtype=np.int64)
    q = np.array(mdp.attraction)
    for h in range(H - 1, -1, -1):
        w, wb = mdp._item_values(V[h + 1])
        _ck.best_perm_batch(q, w, wb, K, V[h], pol[h])
    return V, pol


@validate_params(mdp=_CMDP)
def solve_cascading_mdp(mdp: CascadingMDP) -> CascadingPlanningResult:
    """Optimal policy of a known cascading MDP by backward induction with BestPerm.

    ``V_H = 0``; for ``h = H-1, ..., 0`` and every state, ``V_h(s) = max_A f(A, q(s, .),
    w_h(s, .))`` by :func:`best_perm`: ``O(H S (N S + N log N + N K))`` time, never
    enumerating the lists.

    Guarantee
    ---------
    Exact optimal values and policy (Du et al. 2024, section 4); equal to
    :func:`tabular.backward_induction` on :meth:`CascadingMDP.to_finite_mdp` (checked in
    the tests).

    Examples
    --------
    >>> q = [[0.5, 0.2]]; P = np.ones((1, 3, 1)); r = [[1.0, 0.5]]
    >>> res = solve_cascading_mdp(CascadingMDP(q, P, r, list_length=2, horizon=1))
    >>> res.policy[0, 0].tolist(), float(res.V[0, 0])
    ([0, 1], 0.55)
    """
    V, pol = _backward(mdp)
    return CascadingPlanningResult(V=V[:-1], policy=pol)


@validate_params(
    mdp=_CMDP,
    policy=Array(
        "int",
        ndim=3,
        shape=("mdp.horizon", "mdp.n_states", "mdp.list_length"),
        low=-1,
        high=lambda args: args["mdp"].n_items - 1 if isinstance(args.get("mdp"), CascadingMDP) else None,
    ),
)
def evaluate_cascading_policy(mdp: CascadingMDP, policy: Any) -> np.ndarray:
    """Values ``V^pi`` of a list policy, ndarray of shape (H, S).

    Parameters
    ----------
    mdp : CascadingMDP
    policy : array_like of int, shape (H, S, K)
        Lists in display order, ``-1`` padded: items in ``[0, N)``, distinct within a
        list.

    Examples
    --------
    >>> q = [[0.5, 0.2]]; P = np.ones((1, 3, 1)); r = [[1.0, 0.5]]
    >>> m = CascadingMDP(q, P, r, list_length=2, horizon=2)
    >>> evaluate_cascading_policy(m, [[[1, -1]], [[1, 0]]]).round(6).tolist()
    [[0.6], [0.5]]
    """
    _check_distinct(policy, "policy")
    return _evaluate(mdp, policy)[:-1]


def _evaluate(m: CascadingMDP, pol: np.ndarray) -> np.ndarray:
    V = np.zeros((m.horizon + 1, m.n_states))
    q = np.asarray(m.attraction)
    for h in range(m.horizon - 1, -1, -1):
        w, wb = m._item_values(V[h + 1])
        V[h] = _list_values(pol[h], q, w, wb)
    return V


# -------------------------------------------------------------------------- learning
@dataclass(frozen=True)
class CascadingLearnerResult:
    """Trajectory of an online cascading-RL learner.

    Attributes
    ----------
    regret : ndarray of shape (n_episodes,), or None
        Cumulative expected regret ``sum_{k' <= k} (V*_0 - V^{pi_k'}_0)^T initial``
        (None when the learner ran with ``compute_regret=False``, e.g. for timing).
    policy : ndarray of int64, shape (H, S, K)
        The policy of the last episode.
    optimal_value : float
        ``initial^T V*_0``.
    """

    regret: np.ndarray | None
    policy: np.ndarray
    optimal_value: float


@dataclass(frozen=True)
class CascadingBPIResult:
    """Output of :func:`cascading_bpi`.

    Attributes
    ----------
    policy : ndarray of int64, shape (H, S, K)
        The returned list policy.
    n_episodes : int
        Episodes played before stopping.
    converged : bool
        Whether the stopping rule fired (``False``: ``max_episodes`` reached).
    gap : float
        ``initial^T (V_upper_0 - V_lower^pi_0)`` at the stop: a bound on the
        suboptimality of ``policy`` on the event that all confidence intervals hold.
    """

    policy: np.ndarray
    n_episodes: int
    converged: bool
    gap: float


class _CascadeStats:
    """Counts of one cascading learner: examinations and clicks per (s, a), transitions
    per (s, a or a_bot, s')."""

    def __init__(self, S: int, N: int) -> None:
        self.exam = np.zeros((S, N))
        self.click = np.zeros((S, N))
        self.trans = np.zeros((S, N + 1, S))


def _bernstein(
    mean: np.ndarray, var: np.ndarray, gap2: np.ndarray, n: np.ndarray, iota: float, scale: float
) -> np.ndarray:
    """``min(2 sqrt(var iota / n) + 2 sqrt(gap2 iota / n) + 5 scale iota / n, scale)``; ``scale`` at ``n = 0``."""
    nn = np.maximum(n, 1.0)
    b = (
        2 * np.sqrt(np.maximum(var, 0.0) * iota / nn)
        + 2 * np.sqrt(np.maximum(gap2, 0.0) * iota / nn)
        + 5 * scale * iota / nn
    )
    return np.where(n > 0, np.minimum(b, scale), scale)


def _optimistic_plan(m: CascadingMDP, st: _CascadeStats, iota: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CascadingVI's planning step (compiled): returns (V_upper, V_lower, policy)."""
    H, S, K = m.horizon, m.n_states, m.list_length
    Vhi = np.zeros((H + 1, S))
    Vlo = np.zeros((H + 1, S))
    pol = np.empty((H, S, K), dtype=np.int64)
    _ck.cascading_plan(m._r, st.exam, st.click, st.trans, float(iota), H, K, Vhi, Vlo, pol)
    return Vhi, Vlo, pol


def _optimistic_plan_numpy(
    m: CascadingMDP, st: _CascadeStats, iota: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same planning step in NumPy (the reference the tests compare the kernel with)."""
    H, S, N, K = m.horizon, m.n_states, m.n_items, m.list_length
    nq = st.exam
    qhat = st.click / np.maximum(nq, 1.0)
    bq = _bernstein(qhat, qhat * (1 - qhat), np.zeros_like(qhat), nq, iota, 1.0)
    qhi = np.minimum(qhat + bq, 1.0)
    qlo = np.maximum(qhat - bq, 0.0)
    npp = st.trans.sum(axis=2)
    phat = st.trans / np.maximum(npp, 1.0)[:, :, None]
    r_ext = np.concatenate([np.asarray(m.rewards), np.zeros((S, 1))], axis=1)
    Vhi = np.zeros((H + 1, S))
    Vlo = np.zeros((H + 1, S))
    pol = np.empty((H, S, K), dtype=np.int64)
    for h in range(H - 1, -1, -1):
        cap = float(H - h)
        vh, vl = Vhi[h + 1], Vlo[h + 1]
        mean = phat @ vh
        var = phat @ (vh * vh) - mean * mean
        gap2 = phat @ ((vh - vl) ** 2)
        b = _bernstein(mean, var, gap2, npp, iota, cap)
        whi = np.minimum(r_ext + mean + b, cap)
        wlo = np.maximum(r_ext + phat @ vl - b, 0.0)
        _ck.best_perm_batch(qhi, np.ascontiguousarray(whi[:, :N]), np.ascontiguousarray(whi[:, N]), K, Vhi[h], pol[h])
        Vlo[h] = _pessimistic_list_values(pol[h], qlo, qhi, wlo[:, :N], wlo[:, N])
    return Vhi, Vlo, pol


def _iota(S: int, n_actions: int, H: int, k: int, delta: float) -> float:
    # ln(4 S |A| H k (k + 1) / delta), finite however small delta is
    return math.log(4.0 * S * n_actions * H * k * (k + 1)) - math.log(delta)


def _play_episode(m: CascadingMDP, pol: np.ndarray, st: _CascadeStats, gen: np.random.Generator) -> None:
    s = min(int(np.searchsorted(m._init_cdf, gen.random(), side="right")), m.n_states - 1)
    q, N = m._q, m.n_items
    for h in range(m.horizon):
        items = pol[h, s]
        u = gen.random(items.size)
        pos = -1
        for i in range(items.size):
            a = items[i]
            if a < 0:
                continue
            st.exam[s, a] += 1.0
            if u[i] < q[s, a]:
                st.click[s, a] += 1.0
                pos = a
                break
        row = pos if pos >= 0 else N
        s_next = min(int(np.searchsorted(m._cdf[s, row], gen.random(), side="right")), m.n_states - 1)
        st.trans[s, row, s_next] += 1.0
        s = s_next


@validate_params(mdp=_CMDP, n_episodes=_EPISODES, delta=DELTA, rng=RNG(), compute_regret=Bool())
def cascading_vi(
    mdp: CascadingMDP, n_episodes: int, *, delta: float = 0.05, rng: RNGLike = None, compute_regret: bool = True
) -> CascadingLearnerResult:
    """CascadingVI: optimistic value iteration with BestPerm (Du et al. 2024, Algorithm 2).

    Episode ``k``: with ``iota = ln(4 S (N + 1) H k (k + 1) / delta)`` and Bernstein-type
    bonuses on the estimated attraction ``hat q`` (``n^q``: examinations) and on
    ``hat p^T V`` (``n^p``: clicks on ``a``, or no-click events for ``a_bot``),

    * ``b^q = min(2 sqrt(hat q (1 - hat q) iota / n^q) + 5 iota / n^q, 1)``,
    * ``b^pV = min(2 sqrt(Var_{hat p}(bar V_{h+1}) iota / n^p) + 2 sqrt(E_{hat p}[(bar V_{h+1} - V_{h+1})^2] iota / n^p) + 5 (H - h) iota / n^p, H - h)``,

    it sets ``bar q = min(hat q + b^q, 1)``, ``bar w = min(r + hat p^T bar V_{h+1} + b^pV, H - h)``
    (also for ``a_bot``), ``bar V_h(s), pi_h(s) = BestPerm(bar q(s, .), bar w(s, .))``, and
    a pessimistic ``V_h`` (the value of ``pi_h(s)`` under the lower bounds, minimised over
    the attraction box), then plays ``pi`` for one episode. ``r`` is known.

    Parameters
    ----------
    mdp : CascadingMDP
        The environment (its ``q`` and ``p`` are not revealed to the learner).
    n_episodes : int in [1, 10**8]
    delta : float in (0, 1)
    rng : Generator, int or None
    compute_regret : bool
        Evaluate each episode's policy exactly (``O(H S (N S + K))`` per episode) to
        report the regret; switch off to time the learner alone.

    Returns
    -------
    CascadingLearnerResult
        Cumulative expected regret, computed exactly from the model.

    Guarantee
    ---------
    Du et al. 2024, Theorem 1 (rate confirmed by secondary sources, see the module notes): with
    probability at least ``1 - delta`` the regret over ``K`` episodes is
    ``O~(H sqrt(H S N K))``, independent of the number of lists; per-episode computation
    ``O(H S (N S + N log N + N K))``. :func:`cascading_vi_regret_bound` gives the rate
    only: the paper's statement hides an absolute constant and logarithmic factors, so
    no certified finite-``K`` bound is available here. The bonuses above are our
    reading of the paper's (their form, variance-aware on ``q`` and Bernstein-type with
    a correction term on ``p^T V``, matches the paper; the constants 2 and 5 and
    ``iota`` were not checked against its text); optimism (``bar V >= V*``) holds on the
    event that the confidence intervals hold, and is checked in the tests.

    References
    ----------
    Du, Srikant, Chen, Cascading reinforcement learning, *ICLR* 2024, section 5.

    Examples
    --------
    >>> q = [[0.6, 0.1, 0.3]]; P = np.ones((1, 4, 1)); r = [[0.2, 1.0, 0.5]]
    >>> m = CascadingMDP(q, P, r, list_length=2, horizon=2)
    >>> res = cascading_vi(m, 50, rng=0)
    >>> res.regret.shape, bool(np.all(np.diff(res.regret) >= -1e-12))
    ((50,), True)
    """
    m, K_ep, d = mdp, n_episodes, delta
    gen = as_generator(rng)
    V_star, _ = _backward(m)
    opt = float(m.initial @ V_star[0])
    st = _CascadeStats(m.n_states, m.n_items)
    regret = np.empty(K_ep)
    cum = 0.0
    pol = np.empty(0, dtype=np.int64)
    for k in range(1, K_ep + 1):
        _, _, pol = _optimistic_plan(m, st, _iota(m.n_states, m.n_items + 1, m.horizon, k, d))
        if compute_regret:
            cum += opt - float(m.initial @ _evaluate(m, pol)[0])
            regret[k - 1] = cum
        _play_episode(m, pol, st, gen)
    return CascadingLearnerResult(regret=regret if compute_regret else None, policy=pol, optimal_value=opt)


@validate_params(mdp=_CMDP, epsilon=_EPSILON, delta=DELTA, max_episodes=_EPISODES, rng=RNG())
def cascading_bpi(
    mdp: CascadingMDP, epsilon: float, *, delta: float = 0.05, max_episodes: int = 100_000, rng: RNGLike = None
) -> CascadingBPIResult:
    """CascadingBPI: best policy identification with BestPerm (Du et al. 2024, section 6).

    Each episode plans as :func:`cascading_vi` (optimistic ``bar V`` and the pessimistic
    value ``V^pi`` of the optimistic policy ``pi``, bonuses at level ``delta``); it stops
    and returns ``pi`` as soon as ``initial^T (bar V_0 - V_0) <= epsilon``, and otherwise
    plays ``pi`` to gather data.

    Parameters
    ----------
    mdp : CascadingMDP
    epsilon : float >= 1e-12
        Accuracy; below ``1e-12`` the values' float64 rounding could not certify it.
    delta : float in (0, 1)
    max_episodes : int in [1, 10**8]
        Budget; ``converged`` is False if it is exhausted.
    rng : Generator, int or None

    Returns
    -------
    CascadingBPIResult

    Guarantee
    ---------
    On the event that all confidence intervals hold (probability at least
    ``1 - delta``: ``iota`` carries a union bound over states, items, steps and
    episodes), ``bar V >= V*`` and ``V <= V^pi``, so the returned policy is
    ``epsilon``-optimal: ``initial^T (V*_0 - V^pi_0) <= epsilon``. This certificate is
    ours and does not depend on the paper's constants. Du et al. 2024 (Theorem 2; rate
    confirmed by secondary sources) bound the number of episodes by
    ``O~(H^3 S N / epsilon^2 log(1 / delta) + H^2 sqrt(H) S N / epsilon^1.5
    (log(1 / delta) + S))`` (:func:`cascading_bpi_sample_complexity` gives the rate).
    The paper's exact exploration and stopping rule could not be read in the November
    2026 audit; this implementation explores with the optimistic policy and stops on
    the optimistic-pessimistic gap, a standard rule whose correctness is argued above
    and checked over seeds in the tests.

    References
    ----------
    Du, Srikant, Chen, Cascading reinforcement learning, *ICLR* 2024, section 6.

    Examples
    --------
    >>> q = [[0.9, 0.1]]; P = np.ones((1, 3, 1)); r = [[1.0, 0.1]]
    >>> res = cascading_bpi(CascadingMDP(q, P, r, list_length=1, horizon=1), 0.5, rng=0)
    >>> res.converged, res.policy[0, 0].tolist()
    (True, [0])
    """
    m, eps, d, cap = mdp, epsilon, delta, max_episodes
    gen = as_generator(rng)
    st = _CascadeStats(m.n_states, m.n_items)
    gap = math.inf
    pol = np.empty(0, dtype=np.int64)
    for k in range(1, cap + 1):
        Vhi, Vlo, pol = _optimistic_plan(m, st, _iota(m.n_states, m.n_items + 1, m.horizon, k, d))
        gap = float(m.initial @ (Vhi[0] - Vlo[0]))
        if gap <= eps:
            return CascadingBPIResult(policy=pol, n_episodes=k - 1, converged=True, gap=gap)
        _play_episode(m, pol, st, gen)
    return CascadingBPIResult(policy=pol, n_episodes=cap, converged=False, gap=gap)


@validate_params(mdp=_CMDP, n_episodes=_EPISODES, delta=DELTA, rng=RNG(), compute_regret=Bool())
def enumerated_ucbvi(
    mdp: CascadingMDP, n_episodes: int, *, delta: float = 0.05, rng: RNGLike = None, compute_regret: bool = True
) -> CascadingLearnerResult:
    """The naive baseline: the same optimistic value iteration over the enumerated lists.

    Each list ``A`` is an atomic action of the enumerated MDP
    (:meth:`CascadingMDP.to_finite_mdp`); the learner observes ``(s, A, reward, s')``
    only and estimates ``R(s, A)`` and ``P(. | s, A)`` list by list, with the
    Bernstein-type bonuses of :func:`cascading_vi` (plus one on the reward,
    ``iota = ln(4 S |A| H k (k + 1) / delta)``) and a maximisation over all lists: its
    regret grows like ``H sqrt(H S |A| K)`` (UCBVI-type) and its per-episode time like
    ``H S^2 |A|``, with ``|A| = sum_{k <= K} N! / (N - k)!``.

    Parameters
    ----------
    mdp : CascadingMDP
        With at most ``10**6`` lists (``mdp.n_lists``).
    n_episodes : int in [1, 10**8]
    delta : float in (0, 1)
    rng : Generator, int or None
    compute_regret : bool
        As in :func:`cascading_vi`.

    Returns
    -------
    CascadingLearnerResult
        ``policy`` holds the lists (H, S, K).

    References
    ----------
    Du et al. 2024, section 7 (the adaptations of UCBVI to the list-action space they
    compare against); M. G. Azar, I. Osband, R. Munos, Minimax regret bounds for
    reinforcement learning, *ICML* 2017.

    Examples
    --------
    >>> q = [[0.6, 0.1, 0.3]]; P = np.ones((1, 4, 1)); r = [[0.2, 1.0, 0.5]]
    >>> res = enumerated_ucbvi(CascadingMDP(q, P, r, list_length=2, horizon=2), 20, rng=0)
    >>> res.regret.shape
    (20,)
    """
    m, K_ep, d = mdp, n_episodes, delta
    gen = as_generator(rng)
    lists = m.lists()
    H, S = m.horizon, m.n_states
    nA = lists.shape[0]
    V_star, _ = _backward(m)
    opt = float(m.initial @ V_star[0])
    cnt = np.zeros((S, nA))
    rsum = np.zeros((S, nA))
    rsq = np.zeros((S, nA))
    trans = np.zeros((S, nA, S))
    regret = np.empty(K_ep)
    cum = 0.0
    pol = np.empty((H, S, m.list_length), dtype=np.int64)
    rows = np.arange(S)
    for k in range(1, K_ep + 1):
        iota = _iota(S, nA, H, k, d)
        nn = np.maximum(cnt, 1.0)
        rhat = rsum / nn
        rvar = rsq / nn - rhat**2
        phat = trans / nn[:, :, None]
        Vhi = np.zeros((H + 1, S))
        Vlo = np.zeros((H + 1, S))
        act = np.empty((H, S), dtype=np.int64)
        for h in range(H - 1, -1, -1):
            cap = float(H - h)
            vh, vl = Vhi[h + 1], Vlo[h + 1]
            mean = phat @ vh
            b = _bernstein(mean, phat @ (vh * vh) - mean**2, phat @ ((vh - vl) ** 2), cnt, iota, cap) + _bernstein(
                rhat, rvar, np.zeros_like(rhat), cnt, iota, 1.0
            )
            Qhi = np.minimum(rhat + mean + b, cap)
            act[h] = np.argmax(Qhi, axis=1)
            Vhi[h] = Qhi[rows, act[h]]
            Vlo[h] = np.maximum(rhat + phat @ vl - b, 0.0)[rows, act[h]]
        pol = lists[act]
        if compute_regret:
            cum += opt - float(m.initial @ _evaluate(m, pol)[0])
            regret[k - 1] = cum
        s = int(m.reset(1, gen)[0])
        for h in range(H):
            a = int(act[h, s])
            nxt, rew, _ = m._step(np.array([s]), lists[a][None, :], gen)
            cnt[s, a] += 1.0
            rsum[s, a] += rew[0]
            rsq[s, a] += rew[0] ** 2
            trans[s, a, int(nxt[0])] += 1.0
            s = int(nxt[0])
    return CascadingLearnerResult(regret=regret if compute_regret else None, policy=pol, optimal_value=opt)


# ---------------------------------------------------------------------------- bounds
@validate_params(
    n_states=_COUNT,
    n_items=_COUNT,
    horizon=_COUNT,
    n_episodes=Integer(1, MAX_SAMPLES) | Array("int", low=1, high=MAX_SAMPLES),
    delta=DELTA,
)
def cascading_vi_regret_bound(
    n_states: int, n_items: int, horizon: int, n_episodes: Any, *, delta: float = 0.05
) -> Any:
    """The *rate* of CascadingVI's regret bound, ``H sqrt(H S N K) * iota`` (not a bound).

    Du et al. (2024), Theorem 1. In our words: with probability at least ``1 - delta``,
    CascadingVI's regret over ``K`` episodes is ``O~(H sqrt(H S N K))``, where ``N`` is
    the number of items (not the number of lists), ``S`` the number of states and ``H``
    the horizon; this is within ``sqrt(H)`` of the ``Omega(H sqrt(S N K))`` lower bound
    of episodic RL. Rate confirmed by secondary sources (see the module notes); the
    paper's text was not read.

    What this function is, plainly: a rate with constant 1 and one power of
    ``iota = ln(4 S (N + 1) H K (K + 1) / delta)``. The ``O~`` of the theorem hides an
    absolute constant, further logarithmic factors and lower-order terms that are not
    reproduced here; none is invented. Use it to compare shapes (growth in ``K``,
    ``S``, ``N``, ``H``) with empirical regret, not as a certified bound.

    Parameters
    ----------
    n_states, n_items, horizon : int in [1, 10**12]
    n_episodes : int or array_like of int
        ``K`` in ``[1, 10**12]``.
    delta : float in (0, 1)

    Examples
    --------
    >>> round(cascading_vi_regret_bound(2, 3, 2, 100), 1)
    1134.5
    """
    S, N, H, d = float(n_states), float(n_items), float(horizon), delta
    kf = np.asarray(n_episodes, dtype=np.float64)
    with np.errstate(over="ignore"):
        iota = np.log(4.0 * S * (N + 1) * H) + np.log(kf) + np.log(kf + 1) - math.log(d)
        out = H * np.sqrt(H * S * N * kf) * iota
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError("horizon", "the rate overflows float64 (n_states, n_items and horizon too large)")
    return float(out) if kf.ndim == 0 else out


@validate_params(n_states=_COUNT, n_items=_COUNT, horizon=_COUNT, epsilon=_EPSILON, delta=DELTA)
def cascading_bpi_sample_complexity(
    n_states: int, n_items: int, horizon: int, epsilon: float, *, delta: float = 0.05
) -> float:
    """The *rate* of CascadingBPI's sample complexity (not a bound).

    ``H^3 S N / epsilon^2 * iota + H^2 sqrt(H) S N / epsilon^1.5 * (iota + S)`` with
    ``iota = ln(S N H / delta)``.

    Du et al. (2024), Theorem 2. In our words: with probability at least ``1 - delta``
    CascadingBPI returns an ``epsilon``-optimal policy after
    ``O~(H^3 S N / epsilon^2 log(1 / delta) + H^2 sqrt(H) S N / epsilon^1.5
    (log(1 / delta) + S))`` episodes; for ``epsilon < H / S^2`` the first term
    dominates and the bound is within a factor ``H`` of the lower bound for best policy
    identification. Rate confirmed by secondary sources quoting the theorem (see the
    module notes); the paper's text was not read.

    What this function is, plainly: both terms with constant 1, ``log(1 / delta)``
    replaced by ``iota`` (which adds the dropped ``ln(S N H)``); the absolute constants
    and further logarithmic factors hidden by ``O~`` are not reproduced and none is
    invented.

    Parameters
    ----------
    n_states, n_items, horizon : int in [1, 10**12]
    epsilon : float >= 1e-12
        As in :func:`cascading_bpi`.
    delta : float in (0, 1)

    Raises
    ------
    InvalidParameterError
        If the rate overflows float64 (huge sizes).

    Examples
    --------
    >>> round(cascading_bpi_sample_complexity(2, 3, 2, 0.5), 1)
    1770.4
    """
    S, N, H, d = np.float64(n_states), np.float64(n_items), np.float64(horizon), delta
    eps = np.float64(epsilon)
    iota = math.log(S * N * H) - math.log(d)
    with np.errstate(over="ignore", under="ignore"):
        out = float(H**3 * S * N / eps**2 * iota + H**2.5 * S * N / eps**1.5 * (iota + S))
    if not math.isfinite(out):
        raise InvalidParameterError("horizon", "the rate overflows float64 (sizes too large for this epsilon)")
    return out
