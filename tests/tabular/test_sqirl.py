"""SQIRL (Laidlaw, Zhu, Russell and Dragan, ICLR 2024) and its tabular sample bound.

Oracles, none of which is :mod:`tabular.sqirl`:

* optimal values from :func:`tabular.backward_induction` (exact dynamic programming);
* ``Q^k`` recomputed here by an explicit loop over states and actions;
* true visiting probabilities of every deterministic greedy policy, by enumeration;
* ridge regression on one-hot pair features (a second regressor that must reproduce
  the tabular means), and scikit-learn's decision tree through the protocol.

Probabilistic checks run over fixed seeds and state their failure budgets.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from rlcore import FiniteMDP, RidgeRegression, evaluate_policy
from rlcore.results import CertifiedResult
from rlcore.generators import combination_lock, random_mdp, sticky_actions
from tabular import backward_induction, min_k
from tabular.sqirl import SQIRLResult, sqirl
from tabular.stochastic_horizon import sqirl_sample_bound, stochastic_effective_horizon


def _value(mdp: FiniteMDP, policy: np.ndarray) -> float:
    return float(evaluate_policy(mdp, policy).V[0] @ mdp.initial)


def _optimal(mdp: FiniteMDP) -> float:
    return float(backward_induction(mdp).V[0] @ mdp.initial)


def _lock(H: int, sticky: float = 0.25, digit_reward: float = 0.0) -> FiniteMDP:
    combo = [(t + 1) % 2 for t in range(H)]  # alternating: stickiness hurts
    return sticky_actions(combination_lock(H, 2, combination=combo, digit_reward=digit_reward), sticky)


# ------------------------------------------------------------------------ the algorithm
@pytest.mark.parametrize("seed", range(4))
def test_deterministic_mdp_with_k_equal_h_recovers_backward_induction(seed: int) -> None:
    # k = H: Monte Carlo regression at the last step (exact: deterministic rewards), then
    # exact backups; with every (s, a) visited the greedy policy is optimal.
    mdp = random_mdp(4, 2, branching=1, horizon=3, rng=seed)
    res = sqirl(mdp, horizon=3, n_actions=2, k=3, m=400, rng=seed)
    assert _value(mdp, res.policy) == pytest.approx(_optimal(mdp), abs=1e-12)


def test_policy_table_q_and_act_agree() -> None:
    lock = _lock(4)
    res = sqirl(lock, horizon=4, n_actions=2, k=2, m=300, rng=1)
    assert isinstance(res, SQIRLResult)
    assert res.policy.shape == (4, lock.n_states) and res.Q.shape == (4, lock.n_states, 2)
    assert np.array_equal(res.policy, res.Q.argmax(axis=2))
    states = np.arange(lock.n_states)
    for t in range(4):
        assert np.array_equal(res.act(states, t), res.policy[t])
    assert res.n_episodes == 4 * 300 and res.k == 2 and res.m == 300
    assert 4 * 300 <= res.n_steps <= 4 * 4 * 300


def test_same_seed_same_result_and_counts_steps() -> None:
    lock = _lock(5)
    a = sqirl(lock, horizon=5, n_actions=2, k=1, m=64, rng=7)
    b = sqirl(lock, horizon=5, n_actions=2, k=1, m=64, rng=7)
    assert np.array_equal(a.policy, b.policy) and np.array_equal(a.Q, b.Q) and a.n_steps == b.n_steps


def test_ridge_on_one_hot_pairs_reproduces_tabular_means() -> None:
    # Least squares with one free parameter per (s, a) is the per-cell mean: a second
    # regressor, a second code path, the same Q estimates on visited cells.
    lock = _lock(4)
    tab = sqirl(lock, horizon=4, n_actions=2, k=2, m=500, rng=3)
    ridge = sqirl(
        lock,
        horizon=4,
        n_actions=2,
        k=2,
        m=500,
        rng=3,
        regressor=RidgeRegression(alpha=1e-10, fit_intercept=False),
        features="one_hot_pair",
    )
    visited = tab.Q != 0.0
    assert np.allclose(ridge.Q[visited], tab.Q[visited], atol=1e-6)


def test_any_scikit_learn_regressor() -> None:
    tree = pytest.importorskip("sklearn.tree")
    lock = _lock(4, digit_reward=0.1)
    res = sqirl(
        lock, horizon=4, n_actions=2, k=1, m=400, rng=0, regressor=tree.DecisionTreeRegressor(), features="one_hot"
    )
    assert _value(lock, res.policy) == pytest.approx(_optimal(lock), abs=1e-12)


def test_callable_features_and_unknown_state_count() -> None:
    lock = _lock(3)

    class NoCount:  # a simulator without n_states: the policy is not tabulated
        def reset(self, n, rng=None):
            return lock.reset(n, rng)

        def step(self, s, a, rng=None, *, t=None):
            return lock.step(s, a, rng, t=t)

    res = sqirl(NoCount(), horizon=3, n_actions=2, k=1, m=300, rng=0, features=lambda s, a, t: np.stack([s, a], axis=1))
    assert res.policy is None and res.Q is None
    ref = sqirl(lock, horizon=3, n_actions=2, k=1, m=300, rng=0)
    states = np.arange(lock.n_states)
    assert np.array_equal(res.act(states, 0), ref.policy[0])


# ----------------------------------------------------------- the bound and its guarantee
def _q_k_by_loops(mdp: FiniteMDP, k: int) -> np.ndarray:
    """Q^k by explicit loops (dense, stationary MDP): Q^1 = Q^rand, then k-1 backups."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    Q = np.zeros((H, S, A))
    for t in range(H - 1, -1, -1):
        for s in range(S):
            for a in range(A):
                nxt = 0.0 if t == H - 1 else sum(P[s, a, s2] * Q[t + 1, s2].mean() for s2 in range(S))
                Q[t, s, a] = R[s, a] + nxt
    for _ in range(k - 1):
        new = np.zeros_like(Q)
        for t in range(H):
            for s in range(S):
                for a in range(A):
                    nxt = 0.0 if t == H - 1 else sum(P[s, a, s2] * Q[t + 1, s2].max() for s2 in range(S))
                    new[t, s, a] = R[s, a] + nxt
        Q = new
    return Q


def _visit_probabilities(mdp: FiniteMDP, policy: np.ndarray) -> np.ndarray:
    H, S = mdp.horizon, mdp.n_states
    P = np.asarray(mdp.P)
    d = np.zeros((H, S))
    d[0] = mdp.initial
    for t in range(H - 1):
        d[t + 1] = d[t] @ P[np.arange(S), policy[t]]
    return d


@pytest.mark.parametrize("seed", range(5))
def test_bound_ingredients_against_brute_force(seed: int) -> None:
    mdp = random_mdp(3, 2, horizon=3, rng=seed)
    k = min_k(mdp)
    b = sqirl_sample_bound(mdp, k, delta=0.1)
    assert b.solvable
    Q = _q_k_by_loops(mdp, k)
    greedy = Q >= Q.max(axis=2, keepdims=True)
    # every deterministic policy greedy for Q^k at every (t, s)
    choices = [np.flatnonzero(greedy[t, s]) for t in range(3) for s in range(3)]
    policies = [np.array(c).reshape(3, 3) for c in itertools.product(*choices)]
    visits = np.stack([_visit_probabilities(mdp, p) for p in policies])  # (n_pol, H, S)
    reach = visits.max(axis=0) > 0
    for i in range(3):
        rel = [s for s in range(3) if reach[i, s] and not greedy[i, s].all()]
        if not rel:
            assert b.gap[i] == math.inf and b.m_per_step[i] == 0.0
            continue
        gaps = [Q[i, s].max() - Q[i, s][~greedy[i, s]].max() for s in rel]
        assert b.gap[i] == pytest.approx(min(gaps), abs=1e-12)
        # L_i is a lower bound on the visiting probability under every greedy policy
        assert b.reach_lower[i] <= visits[:, i, rel].min() + 1e-12
    assert b.m == b.m_per_step.max() and b.effective_horizon == pytest.approx(math.log2(b.m))


def test_bound_is_infinite_when_not_solvable_and_monotone_in_delta() -> None:
    P = np.zeros((3, 2, 3))
    P[0, 0, 1] = P[0, 1, 2] = 1.0
    P[1:, :, 0] = 1.0
    R = np.array([[0.0, 1.0], [0.0, -4.0], [-3.0, -1.5]])  # min_k = 2
    trap = FiniteMDP(P, R, horizon=2, initial=[1, 0, 0])
    assert min_k(trap) == 2
    assert sqirl_sample_bound(trap, 1).m == math.inf and not sqirl_sample_bound(trap, 1).solvable
    assert sqirl_sample_bound(trap, 2).m < math.inf
    lock = _lock(3)
    assert sqirl_sample_bound(lock, 1, delta=0.01).m > sqirl_sample_bound(lock, 1, delta=0.5).m
    eh = stochastic_effective_horizon(lock)
    assert eh.m == min(b.m for b in eh.k_results) and eh.effective_horizon == pytest.approx(math.log2(eh.m))
    assert eh.best_k == min(eh.k_results, key=lambda b: (b.effective_horizon, b.k)).k
    assert not isinstance(eh, CertifiedResult)  # a bound itself, with no bounds() method


@pytest.mark.slow
def test_sqirl_with_the_bound_is_optimal_with_promised_probability() -> None:
    # Guarantee: P(optimal) >= 1 - delta = 0.9 at m = m_k. Budget: with 24 seeds a
    # correct bound fails more than 8 times with probability < 0.003 (binomial(24, 0.1)).
    cases = [_lock(3), random_mdp(3, 2, horizon=3, rng=11)]
    for mdp in cases:
        k = min_k(mdp)
        b = sqirl_sample_bound(mdp, k, delta=0.1)
        assert b.m < 2e5
        vstar = _optimal(mdp)
        fails = sum(
            _value(mdp, sqirl(mdp, horizon=3, n_actions=2, k=k, m=int(b.m), rng=seed).policy) < vstar - 1e-9
            for seed in range(24)
        )
        assert fails <= 8


@pytest.mark.slow
def test_sample_use_not_exponential_in_horizon_at_fixed_k() -> None:
    # Locks with a reward per correct digit and sticky actions (prob 0.1): min_k = 1 at
    # every H. Empirical sample complexity: the smallest m on a doubling grid at which
    # SQIRL is optimal on 8/8 seeds. Exponential growth in H would multiply it by
    # 2**17 from H = 3 to H = 20; we allow a factor 8 (measured: 8 -> 32). The residual
    # growth is the MDP's own: the good chain is still reached with probability 0.9**t.
    needed = {}
    for H in (3, 20):
        lock = _lock(H, sticky=0.1, digit_reward=1.0 / H)
        assert min_k(lock) == 1
        vstar = _optimal(lock)
        for m in (2**e for e in range(1, 13)):
            ok = all(
                _value(lock, sqirl(lock, horizon=H, n_actions=2, k=1, m=m, rng=s).policy) >= vstar - 1e-9
                for s in range(8)
            )
            if ok:
                needed[H] = m
                break
    assert set(needed) == {3, 20}
    assert needed[20] <= 8 * needed[3]
    # the bound grows polynomially too (measured ratio ~ 4e3), far below 2**17
    b3 = sqirl_sample_bound(_lock(3, sticky=0.1, digit_reward=1 / 3), 1).m
    b20 = sqirl_sample_bound(_lock(20, sticky=0.1, digit_reward=1 / 20), 1).m
    assert b20 / b3 < (20 / 3) ** 5 < 2**17


def test_sparse_lock_bound_grows_exponentially_in_horizon() -> None:
    # the contrast: without digit rewards the gap of Q^rand at step 0 is ~2**-H, and the
    # bound (inverse-quadratic in the gap) grows at least like 4**H
    b = [sqirl_sample_bound(_lock(H, sticky=0.1), 1).m for H in (3, 6)]
    assert b[1] / b[0] > 4.0**3


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"k": 5}, ValueError, "k"),
        ({"k": 0}, ValueError, "k"),
        ({"m": 0}, ValueError, "m"),
        ({"horizon": 9}, ValueError, "horizon"),
        ({"n_actions": 3}, ValueError, "n_actions"),
        ({"features": "nope"}, ValueError, "features"),
        ({"features": lambda s, a, t: np.zeros((1, 2))}, ValueError, "features"),
        ({"regressor": object()}, TypeError, "regressor"),
        ({"sim": object()}, TypeError, "sim"),
        ({"features": None}, TypeError, "features"),
        ({"m": 10**8}, ValueError, "m"),
        ({"n_states": 0}, ValueError, "n_states"),
        ({"rng": 1.5}, TypeError, "rng"),
    ],
)
def test_bad_arguments(kwargs: dict, exc: type, match: str) -> None:
    args = {"sim": _lock(3), "horizon": 3, "n_actions": 2, "k": 1, "m": 8}
    args.update(kwargs)
    sim = args.pop("sim")
    with pytest.raises(exc, match=rf"^{match}\b"):
        sqirl(sim, **args)


def test_bound_bad_arguments() -> None:
    lock = _lock(3)
    with pytest.raises(ValueError, match=r"^delta\b"):
        sqirl_sample_bound(lock, 1, delta=1.0)
    with pytest.raises(ValueError, match=r"^delta\b"):
        sqirl_sample_bound(lock, 1, delta=float("nan"))
    with pytest.raises(TypeError, match=r"^delta\b"):
        sqirl_sample_bound(lock, 1, delta="x")
    with pytest.raises(ValueError, match=r"^k\b"):
        sqirl_sample_bound(lock, 4)
    with pytest.raises(ValueError, match=r"^mdp\b"):
        stochastic_effective_horizon(random_mdp(3, 2, gamma=0.9, rng=0))
    with pytest.raises(ValueError, match=r"^max_k\b"):
        stochastic_effective_horizon(lock, max_k=4)
    with pytest.raises(ValueError, match=r"^optimal_atol\b"):
        stochastic_effective_horizon(lock, optimal_atol=float("nan"))


def test_bound_at_a_tiny_delta_is_finite() -> None:
    # regression: delta / #steps underflowed to 0 (ZeroDivisionError at delta=5e-324) and
    # 2 N / delta_i overflowed to inf (OverflowError at delta=1e-310); now in logs
    lock = _lock(3)
    ms = [sqirl_sample_bound(lock, 1, delta=d).m for d in (0.1, 1e-300, 1e-310, 5e-324)]
    assert all(math.isfinite(m) for m in ms)
    assert ms == sorted(ms)  # a smaller failure probability never needs fewer episodes
    assert ms[0] == sqirl_sample_bound(lock, 1).m


# ------------------------------------------------------------ empirical sample complexity
def test_sqirl_sample_complexity_matches_its_definition() -> None:
    from tabular.sample_complexity import median_episodes_to_target, sqirl_sample_complexity

    lock = _lock(4, digit_reward=0.25)
    ms = (2, 4, 8, 16, 32, 64, 128)
    sc = sqirl_sample_complexity(lock, ks=(1, 2), ms=ms, seeds=4)
    vstar = _optimal(lock)

    def rate(k: int, m: int) -> float:
        return float(
            np.mean(
                [
                    _value(lock, sqirl(lock, horizon=4, n_actions=2, k=k, m=m, rng=s).policy) >= vstar - 1e-9
                    for s in range(4)
                ]
            )
        )

    assert sc.k in (1, 2) and sc.episodes == 4 * sc.m
    assert rate(sc.k, sc.m) == 1.0
    # no smaller budget on the grid succeeds at any k
    for k in (1, 2):
        for m in ms:
            if 4 * m < sc.episodes:
                assert rate(k, m) < 1.0
    assert median_episodes_to_target([5, None, 7, 9]) == 8.0
    with pytest.raises(ValueError, match=r"^ms\b"):
        sqirl_sample_complexity(lock, ms=(4, 2))
    with pytest.raises(ValueError, match=r"^success\b"):
        sqirl_sample_complexity(lock, success=0.0)
    # the grid may be given as any iterable; skipped points are masked, never NaN
    sc2 = sqirl_sample_complexity(lock, ks=range(1, 3), ms=(m for m in ms), seeds=[0, 1, 2, 3])
    assert (sc2.episodes, sc2.k, sc2.m, sc2.ks, sc2.ms) == (sc.episodes, sc.k, sc.m, (1, 2), ms)
    assert not np.isnan(np.asarray(sc2.success_rate.data)).any() and sc2.success_rate.mask.any()
    assert median_episodes_to_target(x for x in (5, None, 7)) == 7.0
    with pytest.raises(ValueError, match=r"^episodes\b"):
        median_episodes_to_target([])
    with pytest.raises(ValueError, match=r"^episodes\[1\]"):
        median_episodes_to_target([5, float("nan")])
    with pytest.raises(TypeError, match=r"^episodes\b"):
        median_episodes_to_target(5)


def test_sample_complexity_refuses_a_nan_tolerance() -> None:
    # regression (issue 17): atol=nan made every comparison false and reported episodes=inf
    from tabular.sample_complexity import sqirl_sample_complexity

    lock = _lock(3)
    with pytest.raises(ValueError, match=r"^atol\b"):
        sqirl_sample_complexity(lock, ks=(1,), ms=(2, 4), seeds=1, atol=float("nan"))
    with pytest.raises(ValueError, match=r"^atol\b"):
        sqirl_sample_complexity(lock, ks=(1,), ms=(2, 4), seeds=1, atol=-1.0)
    with pytest.raises(TypeError, match=r"^atol\b"):
        sqirl_sample_complexity(lock, ks=(1,), ms=(2, 4), seeds=1, atol="0")
    with pytest.raises(ValueError, match=r"^ks\b"):
        sqirl_sample_complexity(lock, ks=(9,), ms=(2, 4), seeds=1)
    with pytest.raises(TypeError, match=r"^ks\b"):
        sqirl_sample_complexity(lock, ks="12", ms=(2, 4), seeds=1)
    with pytest.raises(TypeError, match=r"^seeds\b"):
        sqirl_sample_complexity(lock, ks=(1,), ms=(2, 4), seeds=2.0)


@pytest.mark.parametrize("loss", ["mse", "hl_gauss"])
def test_deep_variant_mlp_regressor(loss: str) -> None:
    # The deep variant is the same algorithm with a torch MLP as the regressor.
    torch = pytest.importorskip("torch")
    from rlcore.deep import MLPRegressor

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        lock = _lock(3, digit_reward=1 / 3)
        kw = {"support": (-0.5, 1.5), "n_bins": 41} if loss == "hl_gauss" else {}
        reg = MLPRegressor(hidden_sizes=(32,), loss=loss, min_steps=300, n_epochs=20, rng=0, **kw)
        res = sqirl(lock, horizon=3, n_actions=2, k=1, m=300, rng=0, regressor=reg, features="one_hot")
        assert _value(lock, res.policy) == pytest.approx(_optimal(lock), abs=1e-12)
        tab = sqirl(lock, horizon=3, n_actions=2, k=1, m=300, rng=0)
        # at the start (the best-covered state) the MLP ranks the actions as the exact
        # tabular means do, and its value of the right digit is close to theirs
        start = lock.n_states - 5
        best = int(tab.Q[0, start].argmax())
        assert int(res.Q[0, start].argmax()) == best
        assert res.Q[0, start, best] == pytest.approx(tab.Q[0, start, best], abs=0.1)
    finally:
        torch.set_num_threads(threads)


def _trap(depth: int, horizon: int = 6) -> FiniteMDP:
    """min_k = depth: at the start, 'safe' pays 0.4 and ends the episode; 'lock' pays
    nothing now and enters a combination lock of ``depth`` digits that pays 1 when
    opened. Random play opens it with probability 2**-depth; ``Q^k`` plays the first
    ``k - 1`` digits optimally, so the lock's ``Q^k`` is 2**-(depth - k + 1), which beats
    0.4 first at k = depth (for depth >= 2; depth 1 gives 0.5 > 0.4 at once)."""
    S = depth + 4  # 0 start, 1..depth lock, depth+1 safe-done, depth+2 dead, depth+3 opened
    safe, dead, opened = depth + 1, depth + 2, depth + 3
    P = np.zeros((S, 2, S))
    R = np.zeros((S, 2))
    P[0, 0, safe] = 1.0
    R[0, 0] = 0.4
    P[0, 1, 1] = 1.0
    for j in range(1, depth + 1):  # the right digit is always 1: ties (argmax -> 0) never help
        P[j, 1, j + 1 if j < depth else opened] = 1.0
        P[j, 0, dead] = 1.0
    R[depth, 1] = 1.0
    for s in (safe, dead, opened):
        P[s, :, s] = 1.0
    terminal = np.zeros(S, dtype=bool)
    terminal[[safe, dead, opened]] = True
    init = np.zeros(S)
    init[0] = 1.0
    return FiniteMDP(P, R, horizon=horizon, initial=init, terminal=terminal)


@pytest.mark.slow
def test_sample_use_grows_exponentially_in_k_at_fixed_horizon() -> None:
    # Same horizon, min_k = 1..4: SQIRL at k = min_k must try the lock's digits at
    # random, so its empirical sample complexity grows geometrically in k (measured:
    # 384, 1536, 1536, 3072 episodes; we require at least x1.5 per unit of k on
    # average), and so does the explicit bound (A**k: measured x8, x4, x3 per step).
    from tabular.sample_complexity import sqirl_sample_complexity

    eps, bounds = [], []
    for d in (1, 2, 3, 4):
        mdp = _trap(d)
        assert min_k(mdp) == d
        sc = sqirl_sample_complexity(mdp, ks=(d,), ms=tuple(2**e for e in range(0, 12)), seeds=6)
        eps.append(sc.episodes)
        bounds.append(sqirl_sample_bound(mdp, d).m)
    assert all(np.isfinite(eps))
    assert eps[-1] / eps[0] >= 1.5**3
    assert all(b2 > 1.9 * b1 for b1, b2 in zip(bounds, bounds[1:]))
