"""Cascading bandits: learning to rank in the cascade model.

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

Verification status (audit of November 2026). The full texts of the papers could not be
read in that audit: the reference search returned only the opening part of each paper
(title, abstract, start of the introduction). What was checked, and against what:

* Vial et al. (2022): the minimax picture above (lower bound ``Omega(sqrt(n L))``,
  CascadeKL-UCB optimal up to logarithms, CascadeUCB1 ``Omega(sqrt(n L K))``, previous
  bounds ``Omega(sqrt(n L / K))`` and ``O~(sqrt(n L K))``) is *verified* against the
  paper's abstract. No explicit constants of theirs are used here.
* Kveton et al. (2015), Theorem 2 (CascadeUCB1): the form
  ``sum_{e > K} 12 / Delta_{e,K} ln n + pi^2 L / 3`` is confirmed by an independent
  secondary restatement; the primary theorem text was not read.
* Kveton et al. (2015), Theorems 3 and 4 and the index definitions: written from the
  paper as recalled; *not verified* against its text in that audit. They are
  consistent with the paper's abstract (*verified*): on the lower-bound instances the
  two differ by the factor ``(1 + ln(1 / Delta)) / (1 - p)^(K - 1)``, logarithmic in
  ``1 / Delta`` when ``p K`` is small, and the abstract says that "the lower bound
  matches the upper bound of CascadeKL-UCB up to a logarithmic factor".

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
from dataclasses import dataclass
from typing import Any

import numpy as np

from bandits import _cascading_kernels as _ck
from bandits._constraints import HORIZONS, MAX_CELLS, MAX_HORIZON, MAX_LISTS, MAX_RUNS
from bandits.environments import BernoulliBandit
from bandits.kl import _kl_bernoulli
from rlcore.validation import (
    Array,
    Instance,
    Integer,
    InvalidParameterError,
    RNG,
    Real,
    check_int,
    shape_of,
    validate_params,
    value_of,
)
from rlcore.randomness import RNGLike, as_generator

__all__ = [
    "CascadeBandit",
    "CascadeKLUCB",
    "CascadeSimulationResult",
    "CascadeUCB1",
    "cascade_klucb_regret_bound",
    "cascade_list_value",
    "cascade_lower_bound",
    "cascade_lower_bound_constant",
    "cascade_ucb1_regret_bound",
    "enumerate_lists",
    "enumerated_cascade_bandit",
    "simulate_cascade",
]


# --------------------------------------------------------------------------- helpers
#: Attraction probabilities ``w(e)`` in [0, 1], one per item (``L >= 1``).
ATTRACTION = Array(ndim=1, low=0.0, high=1.0)

#: The list length ``K``, ``1 <= K <= L`` (the number of items given by ``attraction``).
LIST_LENGTH = Integer(1, shape_of("attraction"))

#: Smallest gap of :func:`cascade_lower_bound_constant`: the constant grows like
#: ``1 / gap`` and ``kl(p - gap, p)`` like ``gap^2``, which loses its precision below.
GAP_FLOOR = 1e-9


def _horizons(horizon: Any) -> tuple[np.ndarray, bool]:
    h = np.asarray(horizon, dtype=np.float64)
    return h, h.ndim == 0


def _out(x: np.ndarray, scalar: bool) -> Any:
    return float(x) if scalar else x


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

    def step(self, states: Any, actions: Any, rng: RNGLike = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Show ``actions[i]`` (a list) in run ``i``; rewards are click indicators."""
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

    References
    ----------
    Kveton, Szepesvari, Wen, Ashkan, Cascading bandits, *ICML* 2015, Algorithm 1 and
    Theorem 2. Vial, Sanghavi, Shakkottai, Srikant, Minimax regret for cascading
    bandits, *NeurIPS* 2022.

    Examples
    --------
    >>> res = simulate_cascade(CascadeUCB1(), CascadeBandit([0.3, 0.2, 0.1, 0.05], 2), 200, rng=0)
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
    :data:`bandits.KL_TOLERANCE` by the KL-UCB kernel of :mod:`bandits.kl`.

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

    References
    ----------
    Kveton et al. 2015, Algorithm 1 and Theorem 3; Garivier and Cappe, *COLT* 2011;
    Vial et al., *NeurIPS* 2022.

    Examples
    --------
    >>> res = simulate_cascade(CascadeKLUCB(), CascadeBandit([0.3, 0.2, 0.1, 0.05], 2), 200, rng=0)
    >>> bool(res.pseudo_regret[0, -1] >= 0)
    True
    """

    code: int = _ck.CASCADE_KLUCB

    def __init__(self) -> None:
        """CascadeKL-UCB has no parameters."""

    def __repr__(self) -> str:
        return "CascadeKLUCB()"


@dataclass(frozen=True)
class CascadeSimulationResult:
    """Regret trajectories of cascading-bandit runs.

    Attributes
    ----------
    pseudo_regret : ndarray of shape (n_runs, horizon)
        Cumulative ``sum_{s <= t} f(A*, w) - f(A_s, w)``.
    clicks : ndarray of shape (n_runs, horizon)
        Click indicator of each round.
    counts : ndarray of shape (n_runs, L)
        Examinations of each item (the free initial observation included).
    """

    pseudo_regret: np.ndarray
    clicks: np.ndarray
    counts: np.ndarray

    def mean_regret(self) -> np.ndarray:
        """Mean cumulative pseudo-regret over the runs, shape (horizon,)."""
        return self.pseudo_regret.mean(axis=0)


@validate_params(
    policy=Instance(CascadeUCB1, CascadeKLUCB, what="CascadeUCB1 or CascadeKLUCB"),
    env=Instance(CascadeBandit),
    horizon=Integer(1, MAX_HORIZON),
    n_runs=Integer(1, MAX_RUNS),
    rng=RNG(),
)
def simulate_cascade(
    policy: Any, env: CascadeBandit, horizon: int, n_runs: int = 1, *, rng: RNGLike = None
) -> CascadeSimulationResult:
    """Run :class:`CascadeUCB1` or :class:`CascadeKLUCB` on a cascade bandit.

    The root ``rng`` spawns one child per run; run ``i`` draws its attraction noise
    (:meth:`CascadeBandit.draw_noise`) from child ``i``, so it depends only on the seed
    and ``i``. The run loop is compiled (:mod:`bandits._cascading_kernels`).

    Parameters
    ----------
    policy : CascadeUCB1 or CascadeKLUCB
    env : CascadeBandit
    horizon : int in [1, 10**9]
    n_runs : int in [1, 10**6]
        With ``n_runs * horizon <= 10**8`` and ``horizon * L <= 10**8`` (the result
        arrays and one run's noise).
    rng : Generator, int or None

    Returns
    -------
    CascadeSimulationResult

    Examples
    --------
    >>> env = CascadeBandit([0.4, 0.3, 0.1, 0.1], 2)
    >>> a = simulate_cascade(CascadeKLUCB(), env, 500, n_runs=3, rng=7)
    >>> b = simulate_cascade(CascadeKLUCB(), env, 500, n_runs=3, rng=7)
    >>> bool(np.array_equal(a.pseudo_regret, b.pseudo_regret))
    True
    """
    T, n = horizon, n_runs
    if (T + 1) * env.n_items > MAX_CELLS:
        raise InvalidParameterError(
            "horizon", f"horizon * L = {T * env.n_items} exceeds {MAX_CELLS} (one run's attraction noise)"
        )
    if n * T > MAX_CELLS:
        raise InvalidParameterError(
            "n_runs",
            f"n_runs * horizon = {n * T} exceeds {MAX_CELLS} (the size of each "
            f"result array); split the runs over several calls",
        )
    root = as_generator(rng)
    w = np.array(env.attraction, dtype=np.float64)
    pseudo = np.empty((n, T))
    clicks = np.empty((n, T))
    counts = np.empty((n, env.n_items))
    for i, child in enumerate(root.spawn(n)):
        noise = env.draw_noise(child, T)
        counts[i] = _ck.run_cascade_index(int(policy.code), w, env.list_length, T, noise, pseudo[i], clicks[i])
    return CascadeSimulationResult(pseudo_regret=pseudo, clicks=clicks, counts=counts)


@validate_params(env=Instance(CascadeBandit))
def enumerated_cascade_bandit(env: CascadeBandit) -> tuple[BernoulliBandit, np.ndarray]:
    """The naive baseline: every ordered list of ``K`` items as one Bernoulli arm.

    Returns a :class:`bandits.BernoulliBandit` with ``L! / (L - K)!`` arms of means
    ``f(A, w)`` (run any policy of :mod:`bandits.policies` on it with
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


# ---------------------------------------------------------------------------- bounds
def _sorted_gaps(w: np.ndarray, K: int) -> tuple[np.ndarray, float, int]:
    srt = np.sort(w)[::-1]
    if K < w.size and not srt[K - 1] > srt[K]:
        raise InvalidParameterError(
            "attraction",
            f"the bound needs a unique optimal set, w(K) > w(K+1) after sorting, got "
            f"w(K) = {srt[K - 1]!r} and w(K+1) = {srt[K]!r}",
        )
    return srt[K:], float(srt[K - 1]), K


@validate_params(attraction=ATTRACTION, list_length=LIST_LENGTH, horizon=HORIZONS)
def cascade_ucb1_regret_bound(attraction: Any, list_length: int, horizon: Any) -> Any:
    """CascadeUCB1's bound ``sum_{e > K} 12 ln n / Delta_{e,K} + pi^2 L / 3``.

    Kveton et al. (2015), Theorem 2. In our words: sort the items so that
    ``w(1) >= ... >= w(K) > w(K+1) >= ... >= w(L)`` and let
    ``Delta_{e,K} = w(K) - w(e)``; then for every ``n >= 1`` the expected ``n``-step
    regret of CascadeUCB1 is at most ``sum_{e=K+1}^{L} (12 / Delta_{e,K}) ln n +
    (pi^2 / 3) L``. The bound is explicit (no hidden constant), so it is a certified
    upper bound on the *expected* regret at every ``n`` (not a high-probability bound).

    Verification: the form above (constant 12, additive ``pi^2 L / 3``, sum over the
    ``L - K`` suboptimal items) is confirmed by an independent secondary restatement of
    the theorem; the primary text of the paper could not be read in the November 2026
    audit. Our CascadeUCB1 uses ``ln t`` with ``t`` the rounds observed (the paper's
    ``ln(t - 1)`` plus the free initial observation), a radius never smaller than the
    paper's and at most ``sqrt(1.5 ln n / T(e))`` up to round ``n``, the two properties
    a UCB1-type proof needs (our reading; the paper's proof was not read).

    Parameters
    ----------
    attraction : array_like of shape (L,)
        Needs ``w(K) > w(K+1)`` after sorting (a unique optimal set).
    list_length : int, 1 <= K <= L
    horizon : int or array_like of int
        ``n`` in ``[1, 10**300]`` (or an int64 array of them).

    Raises
    ------
    InvalidParameterError
        If the optimal set is not unique, or a gap is so small (below about
        ``1e-307``) that the bound overflows float64.

    References
    ----------
    Kveton, Szepesvari, Wen, Ashkan, *ICML* 2015, Theorem 2.

    Examples
    --------
    >>> round(cascade_ucb1_regret_bound([0.5, 0.4, 0.2, 0.1], 2, 1000), 2)
    703.94
    """
    sub, wK, _ = _sorted_gaps(attraction, list_length)
    L = int(attraction.size)
    n, scalar = _horizons(horizon)
    gaps = wK - sub
    with np.errstate(over="ignore", divide="ignore"):
        out = np.asarray(12.0 * np.log(n) * np.sum(1.0 / gaps) + math.pi**2 / 3.0 * L)
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError("attraction", "a gap w(K) - w(e) is so small that the bound overflows float64")
    return _out(out, scalar)


@validate_params(attraction=ATTRACTION, list_length=LIST_LENGTH, horizon=HORIZONS, epsilon=Real(0, None))
def cascade_klucb_regret_bound(attraction: Any, list_length: int, horizon: Any, *, epsilon: float = 0.0) -> Any:
    """The explicit part of CascadeKL-UCB's bound (Kveton et al. 2015, Theorem 3).

    ``sum_{e > K} (1 + epsilon) Delta_{e,K} (1 + ln(1 / Delta_{e,K})) / kl(w(e), w(K))
    (ln n + 3 ln ln n) + 7 K ln ln n``.

    Kveton et al. (2015), Theorem 3. In our words: with the items sorted as in
    :func:`cascade_ucb1_regret_bound` and any ``epsilon > 0``, the expected ``n``-step
    regret of CascadeKL-UCB is at most the expression above plus
    ``K L C_2(epsilon) / n^beta(epsilon)``, where ``C_2(epsilon)`` and
    ``beta(epsilon) > 0`` are the constants of Garivier and Cappe (2011)'s KL-UCB analysis.

    What this function is, plainly: it omits the ``C_2`` term, which has no closed form
    (``C_2`` grows as ``epsilon -> 0``) and vanishes as ``n -> infinity``. So it is the
    *asymptotically dominant, explicit part* of the bound, not a certified bound at
    finite ``n``; ``epsilon = 0`` (the default) is the limit of that part, outside the
    theorem's ``epsilon > 0``. ``ln ln n`` is taken as 0 for ``n <= e``, where the
    theorem's expression is negative or undefined.

    Verification: the statement above is written from the paper as recalled and was
    *not* checked against its text in the November 2026 audit (only its abstract could
    be read); treat the constants ``1 + ln(1 / Delta)``, 3 and 7 as unverified.

    Parameters
    ----------
    attraction : array_like of shape (L,)
        Needs ``w(K) > w(K+1)`` after sorting (a unique optimal set).
    list_length : int, 1 <= K <= L
    horizon : int or array_like of int
        ``n`` in ``[1, 10**300]`` (or an int64 array of them).
    epsilon : float >= 0

    Raises
    ------
    InvalidParameterError
        If the optimal set is not unique, or the expression overflows float64.

    Examples
    --------
    >>> round(cascade_klucb_regret_bound([0.5, 0.4, 0.2, 0.1], 2, 1000), 2)
    136.64
    """
    sub, wK, K = _sorted_gaps(attraction, list_length)
    eps = epsilon
    n, scalar = _horizons(horizon)
    gaps = wK - sub
    kls = np.asarray(_kl_bernoulli(sub, np.full(sub.size, wK)), dtype=np.float64)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        coef = float(np.sum((1.0 + eps) * gaps * (1.0 - np.log(gaps)) / kls))
        lnln = np.log(np.maximum(np.log(n), 1.0))
        out = np.asarray(coef * (np.log(n) + 3.0 * lnln) + 7.0 * K * lnln)
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError(
            "attraction", "the bound overflows float64 (a gap w(K) - w(e) too small, or epsilon too large)"
        )
    return _out(out, scalar)


def _phi(x: float) -> float:
    """``(1 + x) ln(1 + x) - x >= 0`` for ``x > -1``, accurate for small ``|x|`` (its series)."""
    if abs(x) < 1e-3:
        return x * x * (0.5 - x / 6.0 + x * x / 12.0 - x**3 / 20.0)
    return (1.0 + x) * math.log1p(x) - x


def _kl_below(p: float, d: float) -> float:
    """``kl(p - d, p)`` for ``0 < d <= p <= 1``, without the cancellation of the direct formula.

    With ``u = -d / p`` and ``v = d / (1 - p)``, ``kl = p phi(u) + (1 - p) phi(v)`` (the
    linear terms cancel exactly); infinite for ``p = 1``.
    """
    if p >= 1.0:
        return math.inf  # kl(q, 1) is infinite for q < 1
    return (p * _phi(-d / p) if d < p else p) + (1.0 - p) * _phi(d / (1.0 - p))  # phi(-1) = 1


_N_ITEMS = Integer(2, MAX_LISTS)
_K_BELOW_L = Integer(1, value_of("n_items", -1))


@validate_params(n_items=_N_ITEMS, list_length=_K_BELOW_L, p=Real(0, 1, closed="right"), gap=Real(GAP_FLOOR, 1))
def cascade_lower_bound_constant(n_items: int, list_length: int, p: float, gap: float) -> float:
    """Kveton et al.'s lower-bound constant ``(L - K) Delta (1 - p)^(K - 1) / kl(p - Delta, p)``.

    Kveton et al. (2015), Theorem 4. In our words: on the instances with ``w(e) = p``
    for the ``K`` optimal items and ``w(e) = p - Delta`` for the other ``L - K``, every
    uniformly efficient algorithm (regret ``o(n^alpha)`` for every ``alpha > 0`` on every
    instance) has ``liminf_n R(n) / ln n >= constant``. Asymptotic: not a floor at
    finite ``n``, so no test compares finite-``n`` regret against it.

    Verification: written from the paper as recalled; *not* checked against its text in
    the November 2026 audit. Consistent with the abstract (verified): it matches
    :func:`cascade_klucb_regret_bound` on these instances up to the factor
    ``(1 + ln(1 / Delta)) / (1 - p)^(K - 1)``.

    Parameters
    ----------
    n_items, list_length : int, ``1 <= K < L <= 10**6``
    p : float in (0, 1]
    gap : float in [1e-9, p]
        Below ``1e-9`` the constant (which grows like ``1 / gap``) is not resolved by
        float64 and the asymptotic statement is vacuous.

    Examples
    --------
    >>> round(cascade_lower_bound_constant(10, 2, 0.2, 0.1), 4)
    17.4434
    """
    return _lower_bound_constant(n_items, list_length, p, gap)


def _lower_bound_constant(L: int, K: int, pp: float, d: float) -> float:
    if d > pp:
        raise InvalidParameterError("gap", f"expected a gap in [{GAP_FLOOR:g}, p] = [{GAP_FLOOR:g}, {pp!r}], got {d!r}")
    return float((L - K) * d * (1 - pp) ** (K - 1) / _kl_below(pp, d))


@validate_params(
    n_items=_N_ITEMS, list_length=_K_BELOW_L, p=Real(0, 1, closed="right"), gap=Real(GAP_FLOOR, 1), horizon=HORIZONS
)
def cascade_lower_bound(n_items: int, list_length: int, p: float, gap: float, horizon: Any) -> Any:
    """The asymptotic lower-bound curve ``cascade_lower_bound_constant(...) * ln n`` (for plots).

    Examples
    --------
    >>> cascade_lower_bound(10, 2, 0.2, 0.1, [1, 100]).round(2).tolist()
    [0.0, 80.33]
    """
    c = _lower_bound_constant(n_items, list_length, p, gap)
    n, scalar = _horizons(horizon)
    return _out(c * np.log(n), scalar)
