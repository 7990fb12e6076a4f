"""Cascading bandits: the cascade model, CascadeUCB1 and CascadeKL-UCB.

The model (Craswell et al. 2008; Kveton, Szepesvari, Wen, Ashkan 2015). There are ``L``
items; item ``e`` is *attractive* with probability ``w(e)`` (its attraction
probability), independently of the others and across rounds. In each round the agent
shows an ordered list ``A = (a_1, ..., a_K)`` of ``K`` distinct items; the user examines
the list from the top and clicks the first attractive item, then leaves. The reward is
the click indicator, with mean

.. math:: f(A, w) = 1 - \\prod_{k=1}^{K} (1 - w(a_k)),

so the optimal list holds the ``K`` most attractive items (in any order). The feedback
is *partial*: the agent observes ``w_t(a_k) = 1{C_t = k}`` for the examined positions
``k <= C_t`` (the click position ``C_t``, or all ``K`` when no click) and nothing about
the items after the click.

This module holds the model (:class:`CascadeBandit`, :func:`cascade_list_value`,
:func:`enumerate_lists`), the two algorithms and the naive enumerated baseline; the
algorithms run on the cascade engine :func:`bandits.simulate_cascade`
(:mod:`bandits.cascading.engine`) and their bounds are in :mod:`bandits.cascading.bounds`.

Algorithms (Kveton et al. 2015, Algorithm 1): each item keeps the number ``T(e)`` of
times it was examined and its empirical attraction ``hat w(e)``; every item is observed
once for free at the start; in round ``t`` the list is the ``K`` items of largest index,
in decreasing order of index:

* :class:`CascadeUCB1`: ``U(e) = hat w(e) + sqrt(1.5 ln t / T(e))``;
* :class:`CascadeKLUCB`: ``U(e) = max{q in [hat w(e), 1] : T(e) kl(hat w(e), q) <= ln t + 3 ln ln t}``
  (solved by :func:`bandits.klucb_index`'s kernel).

Here ``t`` counts the rounds observed so far, the free initial observation included
(Kveton et al. write CascadeUCB1's radius as ``sqrt(1.5 ln(t - 1) / T(e))`` with ``t - 1``
the rounds played, undefined in round 1; counting the initial observation as a round
makes it ``ln t``, slightly more exploratory, which the analysis of Theorem 2 allows).

Minimax picture (Vial, Sanghavi, Shakkottai, Srikant, NeurIPS 2022). The gap-free regret
of cascading bandits is ``Theta~(sqrt(n L))``: their lower bound is ``Omega(sqrt(n L))``
and CascadeKL-UCB attains it up to logarithmic factors, whereas CascadeUCB1 (a Hoeffding
bonus) can suffer ``Omega(sqrt(n L K))``: hard instances have small attraction
probabilities, where Bernoulli variances are small and Pinsker's inequality is loose by
a factor ``K``. Variance-aware (KL or Bernstein) confidence bounds therefore matter in
the cascade model, unlike in the ``L``-armed bandit where they improve constants only.

References
----------
B. Kveton, C. Szepesvari, Z. Wen, A. Ashkan, Cascading bandits: learning to rank in the
cascade model, *ICML* 2015 (arXiv:1502.02763), Algorithm 1, Theorems 2, 3 and 4.
D. Vial, S. Sanghavi, S. Shakkottai, R. Srikant, Minimax regret for cascading bandits,
*NeurIPS* 2022 (arXiv:2203.12577).
N. Craswell, O. Zoeter, M. Taylor, B. Ramsey, An experimental comparison of click
position-bias models, *WSDM* 2008.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from bandits.cascading import _kernels as _ck
from bandits._constraints import MAX_HORIZON, MAX_LISTS, MAX_RUNS
from bandits.stochastic.environments import BernoulliBandit
from rlcore.validation import (
    Array,
    Instance,
    Integer,
    InvalidParameterError,
    check_int,
    shape_of,
    validate_params,
    value_of,
)
from rlcore.randomness import RNGLike, as_generator

__all__ = [
    "CascadeBandit",
    "CascadeKLUCB",
    "CascadeUCB1",
    "cascade_list_value",
    "enumerate_lists",
    "enumerated_cascade_bandit",
]


# --------------------------------------------------------------------------- helpers
#: Attraction probabilities ``w(e)`` in [0, 1], one per item (``L >= 1``).
ATTRACTION = Array(ndim=1, low=0.0, high=1.0)

#: The list length ``K``, ``1 <= K <= L`` (the number of items given by ``attraction``).
LIST_LENGTH = Integer(1, shape_of("attraction"))


def _n_lists(n_items: int, max_length: int, min_length: int = 0) -> int:
    return sum(math.perm(n_items, k) for k in range(min_length, max_length + 1))


@validate_params(
    n_items=Integer(1, MAX_LISTS),
    max_length=Integer(1, value_of("n_items")),
    min_length=Integer(0, value_of("max_length")),
)
def enumerate_lists(n_items: int, max_length: int, *, min_length: int = 0) -> np.ndarray:
    """All ordered lists of distinct items with ``min_length <= length <= max_length``.

    Parameters
    ----------
    n_items : int in [1, 10**6]
    max_length : int, 1 <= max_length <= n_items
    min_length : int, 0 <= min_length <= max_length

    The number of lists, ``sum_{k=min_length}^{max_length} n! / (n - k)!``, must not
    exceed ``10**6``.

    Returns
    -------
    ndarray of int64, shape (n_lists, max_length)
        One list per row, in display order, padded with ``-1``; ordered by length, then
        lexicographically. ``n_lists = sum_{k=min_length}^{max_length} n! / (n - k)!``.

    Examples
    --------
    >>> enumerate_lists(3, 2, min_length=2).tolist()
    [[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]]
    >>> enumerate_lists(3, 1).tolist()
    [[-1], [0], [1], [2]]
    """
    N, K, k0 = n_items, max_length, min_length
    count = _n_lists(N, K, k0)
    if count > MAX_LISTS:
        raise InvalidParameterError("max_length", f"{count} lists of {k0} to {K} of {N} items exceed {MAX_LISTS}")
    rows = [list(p) + [-1] * (K - k) for k in range(k0, K + 1) for p in itertools.permutations(range(N), k)]
    return np.array(rows, dtype=np.int64).reshape(len(rows), K)


@validate_params(
    attraction=ATTRACTION,
    lists=Array("int", ndim=(1, 2), low=-1, high=shape_of("attraction", 0, -1), min_size=0),
)
def cascade_list_value(attraction: Any, lists: Any) -> np.ndarray | float:
    """Click probability ``f(A, w) = 1 - prod_k (1 - w(a_k))`` of one list or many.

    Parameters
    ----------
    attraction : array_like of shape (L,)
    lists : array_like of int, shape (K,) or (n, K)
        Items in display order; ``-1`` entries (padding) are skipped.

    Examples
    --------
    >>> cascade_list_value([0.5, 0.2, 0.1], [0, 1])
    0.6
    """
    w, A = attraction, lists
    wa = np.where(A >= 0, w[np.maximum(A, 0)], 0.0)
    out = 1.0 - np.prod(1.0 - wa, axis=-1)
    return float(out) if A.ndim == 1 else out


# ----------------------------------------------------------------------- environment
@validate_params(attraction=ATTRACTION, list_length=LIST_LENGTH)
class CascadeBandit:
    """The cascade model with ``L`` items and lists of length ``K`` (a batched simulator).

    Parameters
    ----------
    attraction : array_like of shape (L,)
        Attraction probabilities ``w(e)`` in ``[0, 1]``.
    list_length : int, 1 <= K <= L

    Attributes
    ----------
    attraction : read-only ndarray of shape (L,)
    n_items, list_length : int
    optimal_list : ndarray of int64, shape (K,)
        The ``K`` most attractive items, in decreasing attraction (ties: lower index).
    optimal_value : float
        ``f(optimal_list, w)``.

    Notes
    -----
    Simulator protocol (:class:`rlcore.Simulator`): the state of a run is its round
    index; ``step(states, lists, rng)`` takes lists of shape (n, K) and returns
    ``(states + 1, clicks, terminated)`` with the click indicators as rewards.
    :meth:`click_positions` gives the partial feedback (the click position, ``-1`` for
    none).

    Examples
    --------
    >>> env = CascadeBandit([0.1, 0.5, 0.3], 2)
    >>> env.optimal_list.tolist(), round(env.optimal_value, 2)
    ([1, 2], 0.65)
    >>> s, r, done = env.step(env.reset(4), np.tile([1, 2], (4, 1)), rng=0)
    >>> s.tolist(), r.shape
    ([1, 1, 1, 1], (4,))
    """

    def __init__(self, attraction: Any, list_length: int) -> None:
        w = attraction
        w.flags.writeable = False
        self.attraction: np.ndarray = w
        self.n_items: int = int(w.size)
        self.list_length: int = list_length
        order = np.argsort(-w, kind="stable")
        self.optimal_list: np.ndarray = order[: self.list_length].astype(np.int64)
        self.optimal_value: float = float(cascade_list_value(w, self.optimal_list))

    def __repr__(self) -> str:
        return f"CascadeBandit(n_items={self.n_items}, list_length={self.list_length})"

    def gaps(self) -> np.ndarray:
        """``Delta_{e,K} = w(a*_K) - w(e)``: gap of each item to the K-th best, shape (L,)."""
        return float(self.attraction[self.optimal_list[-1]]) - self.attraction

    def draw_noise(self, rng: RNGLike, horizon: int) -> np.ndarray:
        """Uniforms of shape (horizon + 1, L); item ``e`` is attractive in round ``t`` iff
        ``noise[t, e] < w(e)`` (row 0: the free initial observation)."""
        T = check_int(horizon, "horizon", low=1, high=MAX_HORIZON)
        return as_generator(rng).random((T + 1, self.n_items))

    def _check_lists(self, lists: Any, n: int | None = None, name: str = "lists") -> np.ndarray:
        K = self.list_length
        A = Array("int", ndim=2, shape=(n, K), low=0, high=self.n_items - 1, min_size=0).check(lists, name)
        srt = np.sort(A, axis=1)
        if K > 1 and (srt[:, 1:] == srt[:, :-1]).any():
            i = int(np.argmax((srt[:, 1:] == srt[:, :-1]).any(axis=1)))
            raise InvalidParameterError(name, f"items of a list must be distinct, row {i} is {A[i].tolist()}")
        return A

    def click_positions(self, lists: Any, rng: RNGLike = None) -> np.ndarray:
        """Sample the user's click position in each list, ``-1`` for no click, shape (n,)."""
        A = self._check_lists(lists)
        u = as_generator(rng).random(A.shape)
        attractive = u < self.attraction[A]
        first = np.argmax(attractive, axis=1)
        return np.where(attractive.any(axis=1), first, -1).astype(np.int64)

    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        """Start ``n`` runs (``1 <= n <= 10**6``): states are round indices, all 0."""
        return np.zeros(check_int(n, "n", low=1, high=MAX_RUNS), dtype=np.int64)

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Show ``actions[i]`` (a list) in run ``i``; rewards are click indicators.

        ``t`` (the step index :func:`rlcore.rollout` passes) is accepted and unused: the
        state already counts the rounds.
        """
        st = Array("int", ndim=1, low=0, min_size=0).check(states, "states")
        pos = self.click_positions(self._check_lists(actions, st.size, "actions"), rng)
        return st + 1, (pos >= 0).astype(np.float64), np.zeros(st.shape, dtype=bool)


# -------------------------------------------------------------------------- policies
@validate_params()
class CascadeUCB1:
    """CascadeUCB1 (Kveton et al. 2015): the ``K`` items of largest UCB1 index.

    Index ``U(e) = hat w(e) + sqrt(1.5 ln t / T(e))`` with ``T(e)`` the examinations of
    item ``e`` and ``t`` the rounds observed (the free initial observation included).
    Run it with :func:`simulate_cascade`.

    Guarantee
    ---------
    Kveton et al. 2015, Theorem 2: if ``w(1) >= ... >= w(K) > w(K+1) >= ... >= w(L)``,
    the expected ``n``-step regret is at most
    ``sum_{e > K} 12 / Delta_{e,K} ln n + pi^2 L / 3`` (:func:`cascade_ucb1_regret_bound`;
    form confirmed by a secondary restatement, see there). Its gap-free regret can be
    ``Omega(sqrt(n L K))``, a factor ``sqrt(K)`` above the minimax rate attained by
    :class:`CascadeKLUCB` (Vial et al., NeurIPS 2022; verified against their abstract).
    Tested by
    ``tests/bandits/test_cascading.py::test_regret_below_kveton_bounds_and_sublinear``
    (mean regret below the bound at four horizons, 40 runs, 3-standard-error band) and
    ``tests/bandits/test_cascading.py::test_klucb_beats_ucb1_on_small_attractions`` (the
    gap-free picture).

    References
    ----------
    Kveton, Szepesvari, Wen, Ashkan, Cascading bandits, *ICML* 2015, Algorithm 1 and
    Theorem 2. Vial, Sanghavi, Shakkottai, Srikant, Minimax regret for cascading
    bandits, *NeurIPS* 2022.

    Examples
    --------
    >>> from bandits import simulate_cascade
    >>> res = simulate_cascade(CascadeBandit([0.3, 0.2, 0.1, 0.05], 2), CascadeUCB1(), 200, rng=0)
    >>> res.pseudo_regret.shape
    (1, 200)
    """

    code: int = _ck.CASCADE_UCB1

    def __init__(self) -> None:
        """CascadeUCB1 has no parameters."""

    def __repr__(self) -> str:
        return "CascadeUCB1()"


@validate_params()
class CascadeKLUCB:
    """CascadeKL-UCB (Kveton et al. 2015): the ``K`` items of largest KL-UCB index.

    Index ``U(e) = max{q in [hat w(e), 1] : T(e) kl(hat w(e), q) <= ln t + 3 ln ln t}``
    (the ``ln ln`` term once ``ln t > 1``), solved to relative accuracy
    :data:`bandits.KL_TOLERANCE` by the KL-UCB kernel of :mod:`bandits.stochastic.kl`.

    Guarantee
    ---------
    Kveton et al. 2015, Theorem 3: for any ``epsilon > 0`` the expected ``n``-step regret
    is at most ``sum_{e > K} (1 + epsilon) Delta_{e,K} (1 + ln(1 / Delta_{e,K})) /
    kl(w(e), w(K)) (ln n + 3 ln ln n) + C`` with ``C = K L C_2(epsilon) / n^beta(epsilon)
    + 7 K ln ln n`` (:func:`cascade_klucb_regret_bound`, which omits the vanishing
    ``C_2`` term; constants not verified against the paper's text, see there). Minimax:
    ``O~(sqrt(n L))``, matching the ``Omega(sqrt(n L))`` lower bound up to logarithms
    (Vial et al., NeurIPS 2022; verified against their abstract), whereas CascadeUCB1
    can be worse by ``sqrt(K)``.
    Tested by
    ``tests/bandits/test_cascading.py::test_regret_below_kveton_bounds_and_sublinear``
    (mean regret below the explicit part, sublinear growth) and
    ``tests/bandits/test_cascading.py::test_klucb_beats_ucb1_on_small_attractions``.

    References
    ----------
    Kveton et al. 2015, Algorithm 1 and Theorem 3; Garivier and Cappe, *COLT* 2011;
    Vial et al., *NeurIPS* 2022.

    Examples
    --------
    >>> from bandits import simulate_cascade
    >>> res = simulate_cascade(CascadeBandit([0.3, 0.2, 0.1, 0.05], 2), CascadeKLUCB(), 200, rng=0)
    >>> bool(res.pseudo_regret[0, -1] >= 0)
    True
    """

    code: int = _ck.CASCADE_KLUCB

    def __init__(self) -> None:
        """CascadeKL-UCB has no parameters."""

    def __repr__(self) -> str:
        return "CascadeKLUCB()"


@validate_params(env=Instance(CascadeBandit))
def enumerated_cascade_bandit(env: CascadeBandit) -> tuple[BernoulliBandit, np.ndarray]:
    """The naive baseline: every ordered list of ``K`` items as one Bernoulli arm.

    Returns a :class:`bandits.BernoulliBandit` with ``L! / (L - K)!`` arms of means
    ``f(A, w)`` (run any policy of :mod:`bandits.stochastic.policies` on it with
    :func:`bandits.simulate`; it sees the click indicator only) and the lists, shape
    (n_arms, K). Its regret grows with the number of lists, the cascade algorithms'
    with ``L``. At most ``10**6`` lists.

    Examples
    --------
    >>> bandit, lists = enumerated_cascade_bandit(CascadeBandit([0.5, 0.2, 0.1], 2))
    >>> bandit.n_arms, lists.shape
    (6, (6, 2))
    """
    count = math.perm(env.n_items, env.list_length)
    if count > MAX_LISTS:
        raise InvalidParameterError(
            "env",
            f"{count} ordered lists exceed {MAX_LISTS}; the enumerated baseline needs fewer items or shorter lists",
        )
    lists = enumerate_lists(env.n_items, env.list_length, min_length=env.list_length)
    means = np.asarray(cascade_list_value(env.attraction, lists))
    return BernoulliBandit(means), lists
