"""The cascading MDP and its planning: BestPerm, backward induction, policy evaluation.

The cascading MDP (Du, Srikant, Chen, ICLR 2024) extends the cascade model of
:mod:`bandits.cascading.bandit` with user states. It has ``S`` states, ``N`` ground items, a
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

Learning a cascading MDP (CascadingVI, CascadingBPI) is in :mod:`bandits.cascading.rl`.

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

from bandits.cascading import _kernels as _ck
from bandits.cascading.bandit import enumerate_lists
from bandits._constraints import MAX_LISTS
from rlcore.results import Result
from rlcore.validation import (
    Array,
    Instance,
    Integer,
    InvalidParameterError,
    MAX_ITERATIONS,
    PROBABILITY_ATOL,
    Real,
    check_int,
    check_stochastic_rows,
    shape_of,
    validate_params,
)
from rlcore.mdp import FiniteMDP
from rlcore.randomness import RNGLike, as_generator

__all__ = [
    "BestPermResult",
    "CascadingMDP",
    "CascadingPlanningResult",
    "best_perm",
    "evaluate_cascading_policy",
    "list_value",
    "solve_cascading_mdp",
]


#: Attraction probabilities ``q`` of the items, in [0, 1].
_ATTRACTION_1D = Array(ndim=1, low=0.0, high=1.0)

#: Largest row-sum tolerance of :class:`CascadingMDP`'s transition rows: beyond, the
#: rows are not probability distributions in any useful sense.
MAX_ATOL: float = 1e-6


# ------------------------------------------------------------------------ the oracle
@dataclass(frozen=True, repr=False)
class BestPermResult(Result):
    """The answer of :func:`best_perm`: the best list and its value.

    Attributes
    ----------
    value : float
        ``max_{|A| <= K} f(A, q, w)``.
    items : ndarray of int64, shape (k,), k <= K
        An optimal list in display order (decreasing item value ``w``, ties by index;
        the shortest among the optimal lists in that order).
    """

    value: float
    items: np.ndarray


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
def best_perm(attraction: Any, values: Any, no_click_value: float, max_length: int) -> BestPermResult:
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
    BestPermResult
        ``value``, ``max_{|A| <= K} f(A, q, w)`` (lists of length 0 to ``K``), and
        ``items``, an optimal list in display order: decreasing ``w``, ties by index;
        among optimal lists in that order the shortest (an item is shown only if it
        strictly helps).

    Guarantee
    ---------
    Exact, in ``O(N log N + N K)`` time: sorting by ``w`` then a dynamic programme over
    the first ``K`` choices (Du et al. 2024, section 4: BestPerm; the exchange argument
    in the module docstring shows that the optimal list is sorted by ``w``). Tested by
    ``tests/bandits/test_cascading_rl.py::test_best_perm_equals_brute_force`` (brute
    force over all ordered lists).

    References
    ----------
    Du, Srikant, Chen, Cascading reinforcement learning, *ICLR* 2024, section 4.

    Examples
    --------
    >>> res = best_perm([0.5, 0.9, 0.2], [1.0, 0.5, 3.0], 0.0, 2)
    >>> res.items.tolist(), round(res.value, 4)
    ([2, 0], 1.0)
    >>> res
    BestPermResult(value=1.0, items=<(2,) int64>)
    """
    q, w, wb, K = attraction, values, no_click_value, max_length
    vals = np.empty(1)
    lists = np.empty((1, K), dtype=np.int64)
    _ck.best_perm_batch(q[None], w[None], np.array([wb]), K, vals, lists)
    row = lists[0]
    return BestPermResult(value=float(vals[0]), items=row[row >= 0].copy())


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
        :func:`bandits.enumerate_lists`); at most ``10**6`` lists."""
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

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The :class:`rlcore.Simulator` step: ``(next_states, rewards, terminated)``.

        As the protocol says of a simulator with a finite ``horizon`` ``H``, every episode
        terminates at the step index ``t == H - 1`` (the index :func:`rlcore.rollout`
        passes); the dynamics themselves are time-homogeneous, and without ``t`` nothing
        terminates.
        """
        if t is not None:
            t = check_int(t, "t", low=0, high=self.horizon - 1)
        nxt, rew, _ = self.step_with_feedback(states, actions, rng)
        return nxt, rew, np.full(nxt.shape, t == self.horizon - 1, dtype=bool)


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
@dataclass(frozen=True, repr=False)
class CascadingPlanningResult(Result):
    """Optimal values and list policy of a cascading MDP (a :class:`rlcore.ValueResult`).

    Attributes
    ----------
    V : ndarray of shape (H, S)
        ``V[h, s]``, the optimal value with ``H - h`` steps to go.
    policy : ndarray of int64, shape (H, S, K)
        The optimal list at ``(h, s)`` in display order, ``-1`` padded.
    Q : None
        No action values: BestPerm maximises over the lists without forming the value of
        each list (their number grows like ``N^K``; the enumerated
        :meth:`CascadingMDP.to_finite_mdp` has them for small instances).
    method : str
        ``"backward induction with BestPerm"``.
    """

    V: np.ndarray
    policy: np.ndarray
    Q: None = None
    method: str = "backward induction with BestPerm"

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
    :func:`tabular.backward_induction` on :meth:`CascadingMDP.to_finite_mdp`. Tested by
    ``tests/bandits/test_cascading_rl.py::test_dp_equals_backward_induction_on_enumerated_mdp``
    and
    ``tests/bandits/test_cascading_rl.py::test_dp_equals_pymdptoolbox_finite_horizon``.

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
