"""Stock-augmented distributional DP against brute force over history-dependent policies.

Independent sources: exhaustive enumeration of every deterministic history-dependent
policy of tiny MDPs (with the objective computed from the enumerated law, CVaR through
the Rockafellar-Uryasev maximum rather than the tail formula the library uses), every
Markov policy for the "beats Markov" checks, and Monte Carlo rollouts of the original
MDP (DKW bands).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rlcore import FiniteMDP, evaluate_policy, rollout
from rlcore.testing import finite_mdps
from rlcore.validation import InvalidParameterError, InvalidParameterTypeError
from tabular.distributional import distributional_evaluation
from tabular.stock_augmented import (
    CVaR,
    ExpectedUtility,
    MeanVariance,
    StockAugmentedMDP,
    ThresholdProbability,
    ValueAtRisk,
    optimize_return_distribution,
    stock_augment,
    truncate_discounted,
)


# ----------------------------------------------------------------------------- helpers
def _random_mdp(
    seed: int, S: int, A: int, H: int, *, sparse: bool = False, time_dependent_r: bool = False
) -> FiniteMDP:
    rng = np.random.default_rng(seed)
    W = rng.integers(0, 3, size=(S, A, S)).astype(float)
    W[W.sum(-1) == 0, 0] = 1.0
    P = W / W.sum(-1, keepdims=True)
    R = rng.integers(-1, 3, size=((H,) if time_dependent_r else ()) + (S, A)).astype(float)
    init = np.eye(S)[0]
    if sparse:
        return FiniteMDP(sp.csr_array(P.reshape(S * A, S)), R, horizon=H, initial=init)
    return FiniteMDP(P, R, horizon=H, initial=init)


def _dense(mdp: FiniteMDP, t: int) -> np.ndarray:
    Pt = mdp.transitions_at(t)
    return Pt.toarray().reshape(mdp.n_states, mdp.n_actions, mdp.n_states) if mdp.is_sparse else np.asarray(Pt)


def _history_policy_laws(mdp: FiniteMDP, markov: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Returns and probabilities of every state path under every deterministic policy.

    History-dependent: one action per possible state prefix (s_0, ..., s_t) (the
    initial law is a point mass, so actions are functions of the state history).
    Markov: one action per (t, s_t). Only states whose actions differ at all (in
    rewards or transitions) get a decision; elsewhere the action is irrelevant.
    Shapes: (n_policies, n_paths).
    """
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    s0 = int(np.flatnonzero(mdp.initial)[0])
    assert mdp.initial[s0] == 1.0
    Ps = [_dense(mdp, t) for t in range(H)]
    Rs = [mdp.rewards_at(t) for t in range(H)]
    # state paths possible under some actions; decisions only where actions differ
    possible = [Ps[t].max(axis=1) > 0 for t in range(H)]
    paths = [(s0,) + tail for tail in itertools.product(range(S), repeat=H - 1)]
    paths = [p for p in paths if all(possible[t][p[t], p[t + 1]] for t in range(H - 1))]
    differ = [
        s
        for s in range(S)
        if any(
            not (np.array_equal(Ps[t][s, a], Ps[t][s, 0]) and Rs[t][s, a] == Rs[t][s, 0])
            for t in range(H)
            for a in range(A)
        )
    ]
    if markov:
        keys = [(t, s) for t in range(H) for s in differ]
    else:
        keys = sorted({p[: t + 1] for p in paths for t in range(H) if p[t] in differ}, key=lambda k: (len(k), k))
    index = {k: i for i, k in enumerate(keys)}
    pols = (
        np.array(list(itertools.product(range(A), repeat=len(keys))), dtype=np.int64).reshape(-1, len(keys))
        if keys
        else np.zeros((1, 0), dtype=np.int64)
    )
    n = pols.shape[0]
    G = np.zeros((n, len(paths)))
    Pr = np.ones((n, len(paths)))
    for j, path in enumerate(paths):
        for t in range(H):
            s = path[t]
            key = (t, s) if markov else path[: t + 1]
            a = pols[:, index[key]] if key in index else np.zeros(n, dtype=np.int64)
            G[:, j] += Rs[t][s, a]
            if t + 1 < H:
                Pr[:, j] *= Ps[t][s, a, path[t + 1]]
    return G, Pr


def _objective_values(G: np.ndarray, Pr: np.ndarray, obj) -> np.ndarray:
    if isinstance(obj, ThresholdProbability):
        return np.sum(Pr * (G >= obj.threshold), axis=1)
    if isinstance(obj, ExpectedUtility):
        return np.sum(Pr * obj.utility(G), axis=1)
    if isinstance(obj, CVaR):  # Rockafellar-Uryasev: max over c of c - E(c - G)^+ / alpha
        cs = np.unique(G)
        vals = cs[None, :] - np.einsum("np,npc->nc", Pr, np.maximum(cs[None, None, :] - G[:, :, None], 0.0)) / obj.alpha
        return vals.max(axis=1)
    if isinstance(obj, ValueAtRisk):  # lower quantile, from the sorted law
        order = np.argsort(G, axis=1, kind="stable")
        Gs = np.take_along_axis(G, order, 1)
        cum = np.cumsum(np.take_along_axis(Pr, order, 1), axis=1)
        k = np.argmax(cum >= obj.alpha - 1e-12, axis=1)
        return Gs[np.arange(G.shape[0]), k]
    raise AssertionError(obj)


OBJECTIVES = [
    ThresholdProbability(1.0),
    ThresholdProbability(3.0),
    CVaR(0.1),
    CVaR(0.3),
    CVaR(0.5),
    CVaR(1.0),
    ValueAtRisk(0.25),
    ValueAtRisk(0.6),
    ExpectedUtility(lambda g: -np.exp(-np.asarray(g, dtype=float))),
]

INSTANCES = [
    dict(seed=0, S=3, A=2, H=3),
    dict(seed=1, S=3, A=2, H=3, sparse=True),
    dict(seed=2, S=2, A=2, H=4),
    dict(seed=3, S=2, A=2, H=4, time_dependent_r=True),
    dict(seed=4, S=2, A=3, H=3, sparse=True),
]


# ----------------------------------------------------------------------------- optimality
@pytest.mark.parametrize("spec", INSTANCES, ids=lambda d: "-".join(f"{k}{v}" for k, v in d.items()))
def test_dp_optimum_equals_brute_force_over_history_dependent_policies(spec):
    mdp = _random_mdp(**spec)
    G, Pr = _history_policy_laws(mdp)
    aug = stock_augment(mdp)
    assert aug.exact and aug.stock_error_bound == 0.0
    for obj in OBJECTIVES:
        best = float(_objective_values(G, Pr, obj).max())
        res = optimize_return_distribution(aug, obj)
        assert res.value == pytest.approx(best, abs=1e-9), obj
        # the returned policy attains it, judged on the law computed independently
        law = distributional_evaluation(aug.mdp, res.policy.policy, representation="exact").initial_distribution(
            aug.mdp.initial
        )
        got = _objective_values(law.atoms[None, :], law.probs[None, :], obj)[0]
        assert got == pytest.approx(best, abs=1e-9), obj


@settings(max_examples=25)
@given(
    finite_mdps(
        n_states=st.integers(1, 3),
        n_actions=st.integers(1, 2),
        discounted=False,
        horizon=st.integers(1, 3),
        reward_scale=2.0,
    ),
    st.sampled_from(OBJECTIVES),
)
def test_dp_optimum_equals_brute_force_on_drawn_mdps(drawn, obj):
    # integer rewards (so that returns tie exactly) and a point-mass start
    mdp = FiniteMDP(drawn.P, np.round(drawn.R), horizon=drawn.horizon, initial=np.eye(drawn.n_states)[0])
    G, Pr = _history_policy_laws(mdp)
    best = float(_objective_values(G, Pr, obj).max())
    assert optimize_return_distribution(mdp, obj).value == pytest.approx(best, abs=1e-9)


def _gap_mdp() -> FiniteMDP:
    """A coin at t=0 sets the stock to 2 or 0; at t=2 a safe +1 or a fair coin for +3.

    With the target G >= 3 the best plan is safe after the good coin and the gamble
    after the bad one (success 3/4), which no Markov policy can express (1/2).
    """
    S = 7
    P = np.zeros((S, 2, S))
    R = np.zeros((S, 2))
    P[0, :, 1] = P[0, :, 2] = 0.5
    P[1, :, 3] = 1.0
    R[1] = 2.0
    P[2, :, 3] = 1.0
    P[3, 0, 6] = 1.0
    R[3, 0] = 1.0
    P[3, 1, 4] = P[3, 1, 5] = 0.5
    P[4, :, 6] = 1.0
    R[4] = 3.0
    P[5, :, 6] = 1.0
    P[6, :, 6] = 1.0
    return FiniteMDP(P, R, horizon=4, initial=np.eye(S)[0])


@pytest.mark.parametrize(
    "obj, stock_value, markov_value",
    [(ThresholdProbability(3.0), 0.75, 0.5), (CVaR(0.5), 1.5, 1.0), (ValueAtRisk(0.3), 3.0, 2.0)],
)
def test_stock_dependence_beats_every_markov_policy(obj, stock_value, markov_value):
    mdp = _gap_mdp()
    G, Pr = _history_policy_laws(mdp, markov=True)
    best_markov = float(_objective_values(G, Pr, obj).max())
    assert best_markov == pytest.approx(markov_value)
    res = optimize_return_distribution(mdp, obj)
    assert res.value == pytest.approx(stock_value)
    assert res.value > best_markov + 0.1
    # and no history-dependent policy does better than the stock-augmented one
    Gh, Prh = _history_policy_laws(mdp)
    assert float(_objective_values(Gh, Prh, obj).max()) == pytest.approx(stock_value)


# ----------------------------------------------------------------------------- rlcore interop
def test_policy_evaluates_and_simulates_with_rlcore():
    mdp = _random_mdp(seed=5, S=3, A=2, H=3)
    res = optimize_return_distribution(mdp, CVaR(0.3))
    aug, pi = res.augmented, res.policy.policy
    law = res.return_distribution
    # rlcore.evaluate_policy on the augmented MDP: the mean of the law
    V = evaluate_policy(aug.mdp, pi).V
    assert aug.mdp.initial @ V[0] == pytest.approx(law.mean(), abs=1e-12)
    # Monte Carlo: rlcore.rollout on the augmented MDP and the history helper on the
    # original MDP, each against the exact law; DKW band with failure probability 1e-6
    n = 4000
    eps = np.sqrt(np.log(2 / 1e-6) / (2 * n))
    for returns in (rollout(aug.mdp, pi, n, rng=11).episode_returns(), res.policy.simulate_returns(n, rng=12)):
        xs = law.atoms
        emp = (returns[:, None] <= xs[None, :]).mean(axis=0)
        assert np.max(np.abs(emp - law.cdf(xs))) <= eps
    # act_on_history reproduces the augmented policy along enumerated histories
    R = mdp.R
    for s1, s2 in itertools.product(range(3), repeat=2):
        a0 = res.policy.act_on_history([0], [])
        a1 = res.policy.act_on_history([0, s1], [a0])
        a2 = res.policy.act_on_history([0, s1, s2], [a0, a1])
        stock = R[0, a0] + R[s1, a1]
        assert a2 == pi[2, aug.encode(s2, aug.stock_index(stock))]
        assert a2 == res.policy.action(2, s2, stock)


def test_grid_stock_error_bound():
    mdp = _random_mdp(seed=6, S=3, A=2, H=3)
    exact = optimize_return_distribution(mdp, CVaR(0.3))
    step = 0.7
    res = optimize_return_distribution(mdp, CVaR(0.3), grid_step=step)
    aug = res.augmented
    assert not aug.exact
    assert aug.stock_error_bound == pytest.approx(3 * step / 2)
    # CVaR moves by at most ess sup |G_grid - G| under an almost-sure perturbation
    assert abs(res.value - exact.value) <= aug.stock_error_bound + 1e-9
    # the grid policy's true return law (the augmented MDP carries the original rewards):
    # CVaR* - 2 b <= CVaR(G^pi_grid) <= CVaR*
    true_law = distributional_evaluation(aug.mdp, res.policy.policy, representation="exact").initial_distribution(
        aug.mdp.initial
    )
    assert exact.value - 2 * aug.stock_error_bound - 1e-9 <= true_law.cvar(0.3) <= exact.value + 1e-9
    # a tiny max_stocks forces the grid automatically
    auto = stock_augment(mdp, max_stocks=3)
    assert not auto.exact and auto.n_stocks >= 3


def test_discounted_mdp_through_truncation():
    rng = np.random.default_rng(9)
    S, A, gamma = 2, 2, 0.5
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.integers(0, 2, size=(S, A)).astype(float)
    mdp = FiniteMDP(P, R, gamma=gamma, initial=np.eye(S)[0])
    # brute force over history-dependent policies of the 4-step truncation (rewards gamma^t R)
    trunc, tail4 = truncate_discounted(mdp, 4)
    assert tail4 == pytest.approx(gamma**4 * R.max() / (1 - gamma))
    np.testing.assert_allclose(trunc.R[3], gamma**3 * R)
    G, Pr = _history_policy_laws(trunc)
    for obj in (CVaR(0.25), ThresholdProbability(1.25)):
        res = optimize_return_distribution(mdp, obj, horizon=4)
        assert res.augmented.exact and res.augmented.truncation_error == pytest.approx(tail4)
        assert res.value == pytest.approx(float(_objective_values(G, Pr, obj).max()), abs=1e-9)
    # the optimal CVaR of the truncated returns moves by at most the two tails between horizons
    v4 = optimize_return_distribution(mdp, CVaR(0.25), horizon=4)
    v9 = optimize_return_distribution(mdp, CVaR(0.25), horizon=9)
    assert abs(v4.value - v9.value) <= v4.augmented.truncation_error + v9.augmented.truncation_error + 1e-9


def test_augmented_mdp_structure():
    P = np.full((1, 2, 1), 1.0)
    mdp = FiniteMDP(P, np.array([[0.0, 1.0]]), horizon=3)
    aug = stock_augment(mdp, initial_stock=-1.0)
    assert isinstance(aug, StockAugmentedMDP)
    np.testing.assert_array_equal(aug.stocks, [-1.0, 0.0, 1.0, 2.0])
    assert aug.mdp.horizon == 3 and aug.mdp.n_states == 4
    state, stock = aug.decode(aug.encode(0, 2))
    assert int(state) == 0 and float(stock) == 1.0
    res = optimize_return_distribution(aug, ThresholdProbability(2.0))
    assert res.value == 1.0 and res.return_distribution.atoms.tolist() == [2.0]


# ----------------------------------------------------------------------------- errors
def test_not_optimizable_objective_raises_with_reason():
    mdp = _gap_mdp()
    with pytest.raises(InvalidParameterError, match=r"^objective: .*not optimizable by dynamic"):
        optimize_return_distribution(mdp, MeanVariance(1.0))
    with pytest.raises(InvalidParameterTypeError, match=r"^objective\b"):
        optimize_return_distribution(mdp, "cvar")


def test_bad_inputs():
    mdp = _gap_mdp()
    with pytest.raises(InvalidParameterError, match=r"^alpha\b"):
        CVaR(0.0)
    with pytest.raises(InvalidParameterError, match=r"^alpha\b"):
        ValueAtRisk(1.5)
    with pytest.raises(InvalidParameterError, match=r"^alpha\b"):
        CVaR(float("nan"))
    with pytest.raises(InvalidParameterTypeError, match=r"^threshold\b"):
        ThresholdProbability("3")
    with pytest.raises(InvalidParameterTypeError, match=r"^utility\b"):
        ExpectedUtility(3.0)
    with pytest.raises(InvalidParameterError, match=r"^horizon\b"):
        stock_augment(FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=0.5))
    with pytest.raises(InvalidParameterError, match=r"^horizon\b"):
        stock_augment(mdp, horizon=3)
    with pytest.raises(InvalidParameterError, match=r"^grid_step\b"):
        stock_augment(mdp, grid_step=-1.0)
    with pytest.raises(InvalidParameterError, match=r"^max_stocks\b"):
        stock_augment(mdp, max_stocks=10**7)
    with pytest.raises(InvalidParameterError, match=r"^mdp\b"):
        truncate_discounted(mdp, 3)  # a finite-horizon MDP
    with pytest.raises(InvalidParameterError, match=r"^objective: the utility returned shape"):
        optimize_return_distribution(mdp, ExpectedUtility(lambda g: np.zeros(2)))
    with pytest.raises(InvalidParameterError, match=r"^objective\b"):  # a NaN utility
        optimize_return_distribution(mdp, ExpectedUtility(lambda g: np.full(g.shape, np.nan)))
    res = optimize_return_distribution(mdp, CVaR(0.5))
    with pytest.raises(InvalidParameterError, match=r"^states: expected t \+ 1 states and t actions"):
        res.policy.act_on_history([0, 1], [])
    with pytest.raises(InvalidParameterError, match=r"^actions\b"):
        res.policy.act_on_history([0, 1], [5])
    with pytest.raises(InvalidParameterTypeError, match=r"^states\b"):
        res.policy.act_on_history([0.5], [])
    with pytest.raises(InvalidParameterError, match=r"^t\b"):
        res.policy.action(9, 0, stock=0.0)
    with pytest.raises(InvalidParameterError, match=r"^n_episodes\b"):
        res.policy.simulate_returns(0)
    with pytest.raises(InvalidParameterTypeError, match=r"^state\b"):
        res.augmented.encode(1.5, 0)
    # options of an augmentation are refused once the MDP is augmented already
    with pytest.raises(InvalidParameterError, match=r"^grid_step: only used to augment a FiniteMDP"):
        optimize_return_distribution(res.augmented, CVaR(0.5), grid_step=0.5)


def test_a_tiny_grid_step_is_refused_by_name():
    # regression: the point count ceil(width / 5e-324) overflowed an int (OverflowError)
    with pytest.raises(InvalidParameterError, match=r"^grid_step: a grid of spacing"):
        stock_augment(_gap_mdp(), grid_step=5e-324)
    with pytest.raises(InvalidParameterError, match=r"^grid_step: a grid of spacing"):
        stock_augment(_gap_mdp(), grid_step=1e-300)


def test_cvar_at_a_tiny_level_is_the_best_worst_case():
    # the terminal values c - (c - x)^+ / alpha overflowed for tiny alpha; the inner DP now runs without alpha.
    # As alpha -> 0 the CVaR tends to the largest worst-case return over policies.
    mdp = _gap_mdp()
    small = optimize_return_distribution(mdp, CVaR(1e-6))
    for alpha in (5e-324, 1e-300):
        res = optimize_return_distribution(mdp, CVaR(alpha))
        assert np.isfinite(res.value) and res.value == small.value == res.return_distribution.atoms[0]


def test_error_bound_of_a_single_stock_and_of_a_huge_grid_step():
    # regression: max_stocks=1 (every stock rounded to c_0) reported stock_error_bound = 0, and
    # grid_step=1e308 reported H * step / 2 = inf; the bound is also at most the largest distance
    # between a grid point and a possible stock
    mdp = _gap_mdp()
    H = mdp.horizon
    # every stock lies in [c_0 + sum_t min(min R_t, 0), c_0 + sum_t max(max R_t, 0)]
    width = sum(max(float(mdp.rewards_at(t).max()), 0.0) - min(float(mdp.rewards_at(t).min()), 0.0) for t in range(H))
    one = stock_augment(mdp, max_stocks=1)
    assert one.n_stocks == 1 and one.stock_error_bound == width
    huge = stock_augment(mdp, grid_step=1e308)
    assert huge.n_stocks == 1 and huge.stock_error_bound == width
    res = optimize_return_distribution(mdp, CVaR(0.5), max_stocks=1)
    assert np.isfinite(res.value) and np.isfinite(res.augmented.stock_error_bound)


# ----------------------------------------------------------------------------- the stock along trajectories
@pytest.mark.parametrize(
    "spec, options",
    [
        (dict(seed=0, S=3, A=2, H=3), {}),
        (dict(seed=3, S=2, A=2, H=4, time_dependent_r=True), {}),
        (dict(seed=1, S=3, A=2, H=3, sparse=True), dict(grid_step=0.7)),
        (dict(seed=6, S=3, A=2, H=3), dict(grid_step=0.3, initial_stock=0.25)),
        (dict(seed=2, S=2, A=2, H=4), dict(max_stocks=3)),
    ],
)
def test_stock_tracks_the_accumulated_reward_on_every_trajectory(spec, options):
    """Every path of the augmented MDP, enumerated: its stock against ``c_0 + sum_{u<t} R_u``.

    Exact mode: equal within the merge tolerance ``1e-9 max(1, scale)``; grid mode: within
    ``t * grid_step / 2`` at step ``t`` (when a grid step is given) and within
    ``stock_error_bound`` always. The augmented rewards are the original ones.
    """
    mdp = _random_mdp(**spec)
    aug = stock_augment(mdp, **options)
    H, A, K = mdp.horizon, mdp.n_actions, aug.n_stocks
    c0 = options.get("initial_stock", 0.0)
    scale = max(1.0, float(np.max(np.abs(aug.stocks))))
    step = options.get("grid_step")
    Ps = [sp.csr_array(aug.mdp.transitions_at(t)) for t in range(H)]
    checked = 0
    # (augmented state, true accumulated reward) at step t, over every path with positive probability
    frontier = [(int(x), c0) for x in np.flatnonzero(aug.mdp.initial > 0)]
    for t in range(H + 1):
        for x, true in frontier:
            s, stock = aug.decode(x)
            err = abs(float(stock) - true)
            if aug.exact:
                assert err <= 1e-9 * scale
            else:
                assert err <= aug.stock_error_bound + 1e-12 * scale
                if step is not None:
                    assert err <= t * step / 2 + 1e-12 * scale
            checked += 1
        if t == H:
            break
        nxt = []
        Rt, Raug = mdp.rewards_at(t), aug.mdp.rewards_at(t)
        for x, true in frontier:
            s = x // K
            for a in range(A):
                assert Raug[x, a] == Rt[s, a]
                row = x * A + a
                for y in Ps[t].indices[Ps[t].indptr[row] : Ps[t].indptr[row + 1]]:
                    nxt.append((int(y), true + float(Rt[s, a])))
        frontier = nxt
    assert aug.exact == (not options) and checked > 10


def test_truncation_tail_bounds_every_trajectory():
    """``|G - G_H| <= tail`` on sampled trajectories of the discounted MDP, actions drawn at random.

    The discounted return is summed over 200 steps (``gamma^200 max|R| / (1 - gamma)``
    below 1e-50 at ``gamma = 0.5``); 2,000 trajectories per horizon; the statement is
    almost sure, so no failure budget.
    """
    rng = np.random.default_rng(4)
    S, A, gamma = 3, 2, 0.5
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.uniform(-2.0, 3.0, size=(S, A))
    mdp = FiniteMDP(P, R, gamma=gamma, initial=np.full(S, 1.0 / S))
    n, T = 2000, 200
    s = rng.integers(0, S, n)
    rewards = np.empty((T, n))
    for t in range(T):
        a = rng.integers(0, A, n)
        rewards[t] = R[s, a]
        u = rng.random(n)
        s = np.minimum((np.cumsum(P[s, a], axis=1) < u[:, None]).sum(axis=1), S - 1)
    disc = gamma ** np.arange(T)
    G = disc @ rewards
    for H in (1, 3, 6):
        trunc, tail = truncate_discounted(mdp, H)
        assert tail == pytest.approx(gamma**H * np.max(np.abs(R)) / (1 - gamma), rel=1e-12)
        G_H = disc[:H] @ rewards[:H]
        assert np.max(np.abs(G - G_H)) <= tail * (1 + 1e-12)
        assert np.max(np.abs(G - G_H)) > 0.1 * tail  # the bound is not vacuous here
