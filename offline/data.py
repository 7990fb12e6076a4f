"""Offline datasets of controlled coverage, empirical models and the concentrability C*.

Two data models are used in the theory of pessimistic offline RL:

* **i.i.d. transitions** (Rashidinejad et al. 2021, section 2; Li et al. 2024, discounted
  case): ``N`` independent tuples ``(s_i, a_i, r_i, s'_i)`` with ``(s_i, a_i) ~ mu`` and
  ``s'_i ~ P(. | s_i, a_i)``, produced by :func:`sample_transitions`;
* **trajectories** of a behavior policy (the episodic case), produced by
  :func:`rlcore.rollout` or, for a dataset mixing several policies at the trajectory
  level in controlled proportions (expert + random, as in Hong et al. 2023), by
  :func:`collect_mixed_episodes`. :func:`mixture_policy` mixes policies state by state
  instead.

The *single-policy concentrability* of a data distribution ``mu`` with respect to a
comparator policy ``pi`` (usually an optimal one) is

.. math:: C^\\pi = \\max_{s, a} \\frac{d^\\pi(s, a)}{\\mu(s, a)}

(Rashidinejad et al. 2021), with ``d^pi`` the normalised discounted
occupancy from the initial distribution, or per step ``max_{h,s,a} d^pi_h(s,a) /
mu_h(s,a)`` in the episodic case; it is ``inf`` when ``mu`` misses a pair that ``pi``
visits and ``1`` for data drawn from ``d^pi`` itself (expert data). Li et al. (2024)
use the clipped version ``max min(d^pi(s,a), 1/S) / mu(s,a)``. Both are computed by
:func:`concentrability`. They are analysis quantities for a *known* MDP: no algorithm
of :mod:`offline` needs them.

References
----------
P. Rashidinejad, B. Zhu, C. Ma, J. Jiao, S. Russell, "Bridging offline reinforcement
learning and imitation learning: a tale of pessimism", NeurIPS 2021.
G. Li, L. Shi, Y. Chen, Y. Chi, Y. Wei, "Settling the sample complexity of model-based
offline reinforcement learning", Ann. Statist. 52(1), 2024.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from rlcore.dataset import Dataset
from rlcore.evaluation import evaluate_policy, occupancy
from rlcore.mdp import FiniteMDP
from rlcore.policies import as_stochastic
from rlcore.randomness import RNGLike, as_generator
from rlcore.simulator import rollout
from rlcore.validation import (
    MDP,
    RNG,
    Array,
    Bool,
    Integer,
    InvalidParameterError,
    Policy,
    ProbabilityVector,
    Sequence_,
    validate_params,
)
from offline._common import as_policy, check_model_size, tabular_columns
from offline._constraints import (
    MAX_ACTIONS,
    MAX_HORIZON,
    MAX_STATES,
    MAX_TRANSITIONS,
    OfflineData,
    StateActionDistribution,
    n_items,
)

__all__ = [
    "EmpiricalModel",
    "behavior_distribution",
    "collect_mixed_episodes",
    "concentrability",
    "empirical_model",
    "mixture_policy",
    "optimal_policy",
    "policy_suboptimality",
    "sample_transitions",
]

#: A tabular policy given without its MDP: deterministic (S,) / (H, S) ints or
#: stochastic (S, A) / (H, S, A) rows of probabilities (checked against ``n_actions``).
POLICY_ARRAY = Array("int", ndim=(1, 2), low=0) | Array("float", ndim=(2, 3), low=0.0, high=1.0)


@validate_params(
    policies=Sequence_(POLICY_ARRAY),
    proportions=ProbabilityVector(n_items("policies")),
    n_actions=Integer(1, MAX_ACTIONS),
)
def mixture_policy(policies: Any, proportions: Any, n_actions: int) -> np.ndarray:
    """State-wise mixture ``sum_k w_k pi_k(a | s)`` of tabular policies.

    Parameters
    ----------
    policies : sequence of array_like
        At least one tabular policy, all of one layout family: all stationary ((S,) or
        (S, A)) or all time-dependent ((H, S) or (H, S, A)).
    proportions : array_like of shape (K,)
        Mixture weights, one per policy, non-negative, summing to 1 (within
        :data:`rlcore.PROBABILITY_ATOL`).
    n_actions : int in [1, 10**6]

    Returns
    -------
    ndarray of shape (S, A) or (H, S, A)
        A stochastic policy.

    Examples
    --------
    >>> mixture_policy([np.array([1, 0]), np.array([0, 0])], [0.25, 0.75], 2)
    array([[0.75, 0.25],
           [1.  , 0.  ]])
    """
    A = n_actions
    mats = []
    for i, arr in enumerate(policies):
        deterministic = np.issubdtype(arr.dtype, np.integer)
        S = arr.shape[-1] if deterministic else arr.shape[-2]
        horizon = arr.shape[0] if arr.ndim == (2 if deterministic else 3) else None
        mats.append(as_stochastic(as_policy(arr, S, A, horizon, f"policies[{i}]"), A))
    if any(m.shape != mats[0].shape for m in mats):
        raise InvalidParameterError(
            "policies", f"expected one layout, got shapes {[m.shape for m in mats]} as stochastic policies"
        )
    return cast(np.ndarray, sum(wk * m for wk, m in zip(proportions, mats)))


@validate_params(
    mdp=MDP(discounted=True, hint="for a finite horizon collect trajectories with rlcore.rollout"),
    mu=StateActionDistribution("mdp"),
    n=Integer(1, MAX_TRANSITIONS),
    rng=RNG(),
    bernoulli_rewards=Bool(),
)
def sample_transitions(
    mdp: FiniteMDP, mu: Any, n: int, *, rng: RNGLike = None, bernoulli_rewards: bool = False
) -> Dataset:
    """Draw ``n`` i.i.d. transitions ``(s, a) ~ mu``, ``s' ~ P(. | s, a)``, ``r = R(s, a)``.

    Parameters
    ----------
    mdp : FiniteMDP
        A discounted MDP (the i.i.d. model of the discounted theory).
    mu : array_like of shape (S, A)
        The data distribution over state-action pairs (non-negative, summing to 1
        within :data:`rlcore.PROBABILITY_ATOL`; pairs are drawn proportionally to
        ``mu``), e.g. :func:`behavior_distribution` of a behavior policy.
    n : int in [1, 10**8]
        Number of transitions.
    rng : Generator, int or None
    bernoulli_rewards : bool
        Draw ``r ~ Bernoulli(R(s, a))`` instead of the expected reward (needs ``R`` in
        ``[0, 1]``): noisy rewards, with which a rarely seen pair can look lucky.

    Returns
    -------
    Dataset
        ``n`` one-step episodes (``episode_ids = 0 .. n-1``, ``timesteps = 0``), flagged
        ``terminated`` when ``s'`` is a terminal state, never ``truncated``.

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> mdp = chain(3, gamma=0.9)
    >>> ds = sample_transitions(mdp, np.full((3, 2), 1 / 6), 5, rng=0)
    >>> len(ds), ds.n_episodes
    (5, 5)
    """
    S, A = mdp.n_states, mdp.n_actions
    if bernoulli_rewards and (mdp.R.min() < 0.0 or mdp.R.max() > 1.0):
        raise InvalidParameterError("bernoulli_rewards", "needs expected rewards R in [0, 1] (the mdp's are not)")
    gen = as_generator(rng)
    flat = gen.choice(S * A, size=n, p=mu.ravel() / mu.sum())
    s, a = flat // A, flat % A
    nxt, rew, term = mdp.step(s, a, gen)
    if bernoulli_rewards:
        rew = (gen.random(n) < rew).astype(np.float64)
    return Dataset(
        observations=s,
        actions=a,
        rewards=rew,
        next_observations=nxt,
        terminated=term,
        truncated=np.zeros(n, dtype=bool),
        episode_ids=np.arange(n),
        timesteps=np.zeros(n, np.int64),
    )


@validate_params(
    mdp=MDP(),
    policies=Sequence_(Policy("mdp")),
    proportions=ProbabilityVector(n_items("policies")),
    n_episodes=Integer(1, MAX_TRANSITIONS),
    max_steps=Integer(1, MAX_TRANSITIONS) | None,
    rng=RNG(),
)
def collect_mixed_episodes(
    mdp: FiniteMDP,
    policies: Any,
    proportions: Any,
    n_episodes: int,
    *,
    max_steps: int | None = None,
    rng: RNGLike = None,
) -> Dataset:
    """Episodes from a trajectory-level mixture of policies.

    Each episode's policy is drawn independently, ``k ~ proportions``, and the whole
    episode follows ``policies[k]``: the mixed datasets of Hong et al. (2023) (e.g. a
    few expert trajectories among many random ones).

    Parameters
    ----------
    mdp : FiniteMDP
    policies : sequence of array_like
        Tabular policies of ``mdp`` (at least one).
    proportions : array_like of shape (K,)
        One weight per policy, summing to 1 (within :data:`rlcore.PROBABILITY_ATOL`).
    n_episodes : int in [1, 10**8]
    max_steps : int in [1, 10**8], optional
        Required for a discounted MDP (see :func:`rlcore.rollout`). At most ``10**8``
        transitions in all: ``n_episodes`` times the episode length (the horizon, or
        ``max_steps``) must not exceed it.
    rng : Generator, int or None

    Returns
    -------
    Dataset
        Episodes in random order, ``episode_ids = 0 .. n_episodes-1``; its
        ``metadata["policy_index"]`` lists the source policy of each episode.

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> mdp = chain(3, horizon=4)
    >>> ds = collect_mixed_episodes(mdp, [np.array([1, 1, 1]), np.array([0, 0, 0])], [0.5, 0.5], 6, rng=0)
    >>> ds.n_episodes, len(ds.metadata["policy_index"])
    (6, 6)
    """
    if mdp.horizon is None and max_steps is None:
        raise InvalidParameterError(
            "max_steps",
            "required for a discounted MDP (an episode never ends); pass e.g. max_steps=int(10 / (1 - gamma))",
        )
    length = int(
        mdp.horizon
        if max_steps is None
        # type: ignore[arg-type]
        else (max_steps if mdp.horizon is None else min(mdp.horizon, max_steps))
    )
    if n_episodes * length > MAX_TRANSITIONS:
        raise InvalidParameterError(
            "n_episodes",
            f"{n_episodes} episodes of up to {length} steps exceed the limit of {MAX_TRANSITIONS} transitions",
        )
    pols = list(policies)
    n = n_episodes
    gen = as_generator(rng)
    labels = gen.choice(len(pols), size=n, p=proportions / proportions.sum())
    parts, order = [], []
    for k, pol in enumerate(pols):
        idx = np.flatnonzero(labels == k)
        if idx.size:
            parts.append(rollout(mdp, pol, int(idx.size), max_steps=max_steps, rng=gen))
            order.append(idx)
    data = Dataset.concatenate(parts, metadata={})
    # episode j of the concatenation belongs to position pos[j]; put them back in draw order
    pos = np.concatenate(order)
    inverse = np.empty(n, dtype=np.int64)
    inverse[pos] = np.arange(n)
    data = data.select_episodes(inverse, renumber=True)
    return Dataset(
        **{
            c: getattr(data, c)
            for c in (
                "observations",
                "actions",
                "rewards",
                "next_observations",
                "terminated",
                "truncated",
                "episode_ids",
                "timesteps",
            )
        },
        metadata={"policy_index": [int(x) for x in labels]},
    )


@validate_params(mdp=MDP(), behavior=Policy("mdp"))
def behavior_distribution(mdp: FiniteMDP, behavior: Any) -> np.ndarray:
    """The state-action distribution ``mu`` that a behavior policy induces.

    Discounted: the normalised discounted occupancy ``(1 - gamma) sum_t gamma^t
    Pr(s_t = s, a_t = a)`` from ``mdp.initial`` (the ``d^b`` of the theory), shape
    (S, A). Finite horizon: the per-step marginals ``Pr(s_h = s, a_h = a)``, shape
    (H, S, A).

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> mu = behavior_distribution(chain(3, gamma=0.5), np.full((3, 2), 0.5))
    >>> round(float(mu.sum()), 12)
    1.0
    """
    return _behavior_distribution(mdp, behavior)


def _behavior_distribution(mdp: FiniteMDP, behavior: Any) -> np.ndarray:
    if mdp.horizon is None:
        return occupancy(mdp, behavior, normalize=True)
    return occupancy(mdp, behavior)


@validate_params(mdp=MDP())
def optimal_policy(mdp: FiniteMDP) -> np.ndarray:
    """An optimal deterministic policy: (S,) discounted, (H, S) finite horizon (ties to the lowest action).

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> optimal_policy(chain(3, gamma=0.9)).shape
    (3,)
    """
    return _optimal_policy(mdp)


def _optimal_policy(mdp: FiniteMDP) -> np.ndarray:
    import tabular  # the planners; offline may import tabular (never the reverse)

    if mdp.horizon is not None:
        return tabular.backward_induction(mdp).policy
    return tabular.solve(mdp, epsilon=1e-10).policy


@validate_params(mdp=MDP(), policy=Policy("mdp"), initial=ProbabilityVector("mdp.n_states") | None)
def policy_suboptimality(mdp: FiniteMDP, policy: Any, initial: Any = None) -> float:
    """``V*(rho) - V^pi(rho)``: the suboptimality of a policy from ``rho`` (default ``mdp.initial``).

    Exact policy evaluation (:func:`rlcore.evaluate_policy`) of ``policy`` and of
    :func:`optimal_policy`. A difference below 0, which only the planner's tolerance
    (``1e-10``) can produce, is returned as 0.

    Parameters
    ----------
    mdp : FiniteMDP
    policy : array_like
        A tabular policy of ``mdp``.
    initial : array_like of shape (S,), optional
        The start distribution ``rho`` (non-negative, summing to 1).

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> mdp = chain(3, horizon=3)
    >>> policy_suboptimality(mdp, optimal_policy(mdp))
    0.0
    """
    rho = mdp.initial if initial is None else initial
    v_pi = evaluate_policy(mdp, policy).expected_return(rho)
    v_star = evaluate_policy(mdp, _optimal_policy(mdp)).expected_return(rho)
    return max(0.0, v_star - v_pi)


@validate_params(mdp=MDP(), mu=StateActionDistribution("mdp"), comparator=Policy("mdp") | None, clipped=Bool())
def concentrability(mdp: FiniteMDP, mu: Any, comparator: Any = None, *, clipped: bool = False) -> float:
    """Single-policy concentrability ``C*`` of a data distribution w.r.t. a comparator policy.

    Parameters
    ----------
    mdp : FiniteMDP
    mu : array_like of shape (S, A), or (H, S, A) under a finite horizon
        Data distribution (each slice non-negative, summing to 1 within
        :data:`rlcore.PROBABILITY_ATOL`), e.g. from :func:`behavior_distribution`.
    comparator : array_like, optional
        Any tabular policy of ``mdp``; default :func:`optimal_policy`.
    clipped : bool
        Li et al. (2024)'s clipped coefficient, ``min(d, 1/S)`` in the numerator.

    Returns
    -------
    float
        ``max d(s, a) / mu(s, a)`` over the pairs with ``d > 0``; ``inf`` when ``mu``
        is 0 at any of them (the data never show a pair the comparator visits: no
        finite coefficient exists); ``>= 1`` unless clipped.

    Guarantee
    ---------
    ``C* = 1`` exactly when ``mu`` equals the comparator's occupancy (expert data),
    and ``C* <= 1 / min mu`` for any ``mu`` of full support (Rashidinejad et al. 2021,
    section 2.2). Tested by ``tests/offline/test_data.py::test_concentrability_closed_forms``
    (and per step by ``tests/offline/test_data.py::test_concentrability_episodic_per_step``).

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> mdp = chain(3, gamma=0.5)
    >>> pi = optimal_policy(mdp)
    >>> concentrability(mdp, behavior_distribution(mdp, pi), pi)
    1.0
    >>> concentrability(mdp, np.full((3, 2), 1 / 6), pi) <= 6.0
    True
    """
    pi = _optimal_policy(mdp) if comparator is None else comparator
    d = _behavior_distribution(mdp, pi)
    m = mu
    if clipped:
        d = np.minimum(d, 1.0 / mdp.n_states)
    support = d > 1e-15
    if np.any(m[support] <= 0.0):
        return float("inf")
    return float(np.max(d[support] / m[support], initial=0.0))


@dataclass(frozen=True)
class EmpiricalModel:
    """Counts and maximum-likelihood model estimated from tabular data.

    Attributes
    ----------
    counts : ndarray of int64, shape (S, A) or (H, S, A)
        ``N(s, a)`` (``N_h(s, a)`` per step).
    transition_counts : ndarray of int64, shape (S, A, S) or (H, S, A, S)
        ``N(s, a, s')``.
    reward_sums : ndarray of float64, shape (S, A) or (H, S, A)
    P_hat : ndarray of float64, shape (S, A, S) or (H, S, A, S)
        ``N(s, a, s') / N(s, a)``; the zero vector where ``N(s, a) = 0`` (never NaN).
    R_hat : ndarray of float64, shape (S, A) or (H, S, A)
        Mean observed reward; 0 where ``N(s, a) = 0``.
    horizon : int or None
    """

    counts: np.ndarray
    transition_counts: np.ndarray
    reward_sums: np.ndarray
    P_hat: np.ndarray
    R_hat: np.ndarray
    horizon: int | None = None

    @property
    def n_samples(self) -> int:
        """Total number of transitions."""
        return int(self.counts.sum())

    @property
    def visited(self) -> np.ndarray:
        """Boolean mask ``N(s, a) > 0``."""
        return self.counts > 0


def _model_from_columns(
    s: np.ndarray,
    a: np.ndarray,
    r: np.ndarray,
    s2: np.ndarray,
    t: np.ndarray | None,
    S: int,
    A: int,
    horizon: int | None,
) -> EmpiricalModel:
    lead = 1 if horizon is None else horizon
    h = np.zeros_like(s) if t is None or horizon is None else t
    row = (h * S + s) * A + a
    counts = np.bincount(row, minlength=lead * S * A).astype(np.int64)
    trans = np.bincount(row * S + s2, minlength=lead * S * A * S).astype(np.int64)
    rsum = np.bincount(row, weights=r, minlength=lead * S * A).astype(np.float64)
    denom = np.maximum(counts, 1)
    P_hat = trans.reshape(-1, S) / denom[:, None]
    R_hat = rsum / denom
    shape = (S, A) if horizon is None else (horizon, S, A)
    return EmpiricalModel(
        counts=counts.reshape(shape),
        transition_counts=trans.reshape(*shape, S),
        reward_sums=rsum.reshape(shape),
        P_hat=P_hat.reshape(*shape, S),
        R_hat=R_hat.reshape(shape),
        horizon=horizon,
    )


@validate_params(
    data=OfflineData(states="n_states", actions="n_actions", horizon="horizon"),
    n_states=Integer(1, MAX_STATES),
    n_actions=Integer(1, MAX_ACTIONS),
    horizon=Integer(1, MAX_HORIZON) | None,
)
def empirical_model(data: Dataset, n_states: int, n_actions: int, *, horizon: int | None = None) -> EmpiricalModel:
    """Counts ``N(s, a)``, ``P_hat`` and ``R_hat`` of a tabular dataset.

    Parameters
    ----------
    data : Dataset
        Non-empty; integer observations in ``[0, S)`` and actions in ``[0, A)``.
    n_states, n_actions : int in [1, 10**6]
        The model holds ``H * S * A * S`` transition counts (``H = 1`` without a
        horizon), at most ``10**8``.
    horizon : int in [1, 10**6], optional
        If given, estimate per step ``h = timesteps`` (which must be below it): shapes
        gain a leading axis of length H. Otherwise all transitions are pooled
        (stationary model).

    Returns
    -------
    EmpiricalModel

    Examples
    --------
    >>> from rlcore.generators import chain
    >>> mdp = chain(3, gamma=0.9)
    >>> model = empirical_model(sample_transitions(mdp, np.full((3, 2), 1 / 6), 600, rng=0), 3, 2)
    >>> int(model.counts.sum()), bool(np.allclose(model.P_hat.sum(-1), 1.0))
    (600, True)
    """
    check_model_size(n_states, n_actions, horizon)
    s, a, r, s2, t = tabular_columns(data)
    return _model_from_columns(s, a, r, s2, t, n_states, n_actions, horizon)
