"""Cascading bandits: the model, CascadeUCB1 / CascadeKL-UCB, their bounds, the naive baseline.

Independent sources: brute-force enumeration of lists, a plain-Python re-implementation
of Kveton et al.'s Algorithm 1 (trajectories must agree exactly), hand-computed closed
forms of the bounds, Monte Carlo frequencies of the simulator.

Statistical checks run over fixed seeds; "below the bound" is asserted for the upper end
of a 3-standard-error band of the mean regret (one-sided normal tail 0.14% if the
expected regret sat exactly on the bound; the bounds hold with wide margins here).

What the bounds are (see the docstrings in bandits/cascading.py for the verification
status): Kveton et al. 2015, Theorem 2 (CascadeUCB1) is explicit, so the UCB1 check is a
check of a certified bound on the expected regret; for CascadeKL-UCB (Theorem 3) the
check is against the explicit part of the bound (the C_2(eps) / n^beta term, without a
closed form, is omitted), i.e. the stated curve, not a certified finite-n bound.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest

import bandits as b
from bandits.cascading import (
    CascadeBandit,
    CascadeKLUCB,
    CascadeUCB1,
    cascade_klucb_regret_bound,
    cascade_list_value,
    cascade_lower_bound,
    cascade_lower_bound_constant,
    cascade_ucb1_regret_bound,
    enumerate_lists,
    enumerated_cascade_bandit,
    simulate_cascade,
)


def _upper(x: np.ndarray) -> np.ndarray:
    return x.mean(axis=0) + 3 * x.std(axis=0, ddof=1) / np.sqrt(x.shape[0])


# ------------------------------------------------------------------------------ model
def test_enumerate_lists_counts_and_distinct():
    for N, K in [(1, 1), (3, 2), (4, 3), (5, 2)]:
        L = enumerate_lists(N, K)
        assert L.shape == (sum(math.perm(N, k) for k in range(K + 1)), K)
        assert len({tuple(r) for r in L.tolist()}) == L.shape[0]
        for row in L:
            items = row[row >= 0]
            assert len(set(items.tolist())) == items.size
            assert np.all(row[items.size :] == -1)
    assert enumerate_lists(4, 2, min_length=2).shape == (12, 2)


def test_list_value_and_optimal_list_by_brute_force():
    w = np.array([0.1, 0.35, 0.2, 0.05, 0.3])
    env = CascadeBandit(w, 2)
    best = max(1 - (1 - w[i]) * (1 - w[j]) for i, j in itertools.permutations(range(5), 2))
    assert env.optimal_value == pytest.approx(best, abs=1e-15)
    assert sorted(env.optimal_list.tolist()) == [1, 4]
    assert env.gaps().tolist() == pytest.approx((0.3 - w).tolist())


def test_simulator_click_frequencies_match_cascade_model():
    w = np.array([0.5, 0.2, 0.7])
    env = CascadeBandit(w, 3)
    n = 200_000
    lists = np.tile([1, 0, 2], (n, 1))
    pos = env.click_positions(lists, rng=3)
    exact = [0.2, 0.8 * 0.5, 0.8 * 0.5 * 0.7, 0.8 * 0.5 * 0.3]  # positions 0, 1, 2, none
    freq = [np.mean(pos == 0), np.mean(pos == 1), np.mean(pos == 2), np.mean(pos == -1)]
    # 5 standard errors: sd <= 0.5 / sqrt(n) ~ 0.0011
    assert np.allclose(freq, exact, atol=0.006)
    s, r, done = env.step(env.reset(n), lists, rng=3)
    assert r.mean() == pytest.approx(cascade_list_value(w, [1, 0, 2]), abs=0.006)
    assert not done.any() and np.all(s == 1)


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="attraction"):
        CascadeBandit([0.2, 1.2], 1)
    with pytest.raises(ValueError, match="list_length"):
        CascadeBandit([0.2, 0.3], 3)
    env = CascadeBandit([0.2, 0.3, 0.1], 2)
    with pytest.raises(ValueError, match="distinct"):
        env.step(env.reset(1), np.array([[1, 1]]))
    with pytest.raises(ValueError, match=r"^actions\b"):  # step's argument is named actions
        env.step(env.reset(1), np.array([[1, 5]]))
    with pytest.raises(ValueError, match=r"^lists\b"):
        env.click_positions(np.array([[1, 5]]))
    with pytest.raises(TypeError, match="policy"):
        simulate_cascade(env, b.UCB1(), 10)
    with pytest.raises(ValueError, match="unique optimal set"):
        cascade_ucb1_regret_bound([0.3, 0.2, 0.2], 2, 100)
    with pytest.raises(ValueError, match="gap"):
        cascade_lower_bound_constant(5, 2, 0.2, 0.3)


# --------------------------------------------------------- algorithm: exact trajectories
def _python_cascade(kind: str, w: np.ndarray, K: int, T: int, noise: np.ndarray) -> np.ndarray:
    """Kveton et al. 2015, Algorithm 1, written out plainly."""
    L = w.size
    T_e = np.ones(L)
    S_e = (noise[0] < w).astype(float)
    best = 1 - np.prod(1 - np.sort(w)[::-1][:K])
    out, cum = [], 0.0
    for t in range(1, T + 1):
        mean = S_e / T_e
        if kind == "ucb1":
            U = mean + np.sqrt(1.5 * np.log(t) / T_e)
        else:
            U = np.array([b.klucb_index(mean[e], T_e[e], t, c=3.0) for e in range(L)])
        A = sorted(range(L), key=lambda e: (-U[e], e))[:K]
        for e in A:
            T_e[e] += 1
            if noise[t, e] < w[e]:
                S_e[e] += 1
                break
        cum += best - (1 - np.prod(1 - w[A]))
        out.append(cum)
    return np.array(out)


@pytest.mark.parametrize("policy,kind", [(CascadeUCB1(), "ucb1"), (CascadeKLUCB(), "klucb")])
def test_compiled_run_matches_plain_python_algorithm(policy, kind):
    env = CascadeBandit([0.3, 0.1, 0.25, 0.05, 0.2], 2)
    T = 300
    res = simulate_cascade(env, policy, T, n_runs=2, rng=11)
    for i, child in enumerate(np.random.default_rng(11).spawn(2)):
        noise = env.draw_noise(child, T)
        np.testing.assert_allclose(
            res.pseudo_regret[i], _python_cascade(kind, np.asarray(env.attraction), 2, T, noise), rtol=0, atol=1e-12
        )


def test_same_seed_same_result_and_runs_independent_of_n_runs():
    env = CascadeBandit([0.3, 0.1, 0.25, 0.05], 2)
    a = simulate_cascade(env, CascadeKLUCB(), 200, n_runs=3, rng=5)
    c = simulate_cascade(env, CascadeKLUCB(), 200, n_runs=1, rng=5)
    np.testing.assert_array_equal(a.pseudo_regret[:1], c.pseudo_regret)


def test_cascade_engine_returns_the_common_regret_result():
    """Both engines return a bandits.RegretResult: same names for the same notions."""
    env = CascadeBandit([0.3, 0.1, 0.25, 0.05], 2)
    res = simulate_cascade(env, CascadeUCB1(), 150, n_runs=4, rng=2)
    other = b.simulate(b.BernoulliBandit([0.3, 0.1]), b.UCB1(), 150, 4, rng=2)
    assert isinstance(res, b.RegretResult) and isinstance(other, b.RegretResult)
    shared = {"pseudo_regret", "regret", "counts"}
    for r in (res, other):
        assert shared <= {f.name for f in dataclasses.fields(r)}
        assert r.pseudo_regret.shape == r.regret.shape == (4, 150) and (r.n_runs, r.horizon) == (4, 150)
    # realised regret: the optimal list's click probability minus the observed click
    np.testing.assert_allclose(res.regret, np.cumsum(env.optimal_value - res.clicks, axis=1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.mean_regret(pseudo=False), res.regret.mean(axis=0))
    lo, hi = res.confidence_band()
    assert np.all(lo <= res.mean_regret()) and np.all(res.mean_regret() <= hi)
    assert res.counts.shape == (4, env.n_items)
    assert "clicks=<(4, 150) float64>" in repr(res) and len(repr(res)) < 300


# ------------------------------------------------------------------------------ bounds
def test_bound_closed_forms():
    w = [0.5, 0.4, 0.2, 0.1]
    n = 1000
    ln = math.log(n)
    assert cascade_ucb1_regret_bound(w, 2, n) == pytest.approx(12 * ln * (1 / 0.2 + 1 / 0.3) + math.pi**2 / 3 * 4)

    def kl(p, q):
        return p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))

    coef = sum(d * (1 + math.log(1 / d)) / kl(we, 0.4) for we, d in [(0.2, 0.2), (0.1, 0.3)])
    lnln = math.log(ln)
    assert cascade_klucb_regret_bound(w, 2, n) == pytest.approx(coef * (ln + 3 * lnln) + 7 * 2 * lnln)
    assert cascade_klucb_regret_bound(w, 2, n, epsilon=0.5) > cascade_klucb_regret_bound(w, 2, n)
    c = cascade_lower_bound_constant(10, 3, 0.2, 0.05)
    assert c == pytest.approx(7 * 0.05 * 0.8**2 / kl(0.15, 0.2))
    assert cascade_lower_bound(10, 3, 0.2, 0.05, 50) == pytest.approx(c * math.log(50))
    # the curve form
    np.testing.assert_allclose(
        cascade_ucb1_regret_bound(w, 2, [10, n]),
        [cascade_ucb1_regret_bound(w, 2, 10), cascade_ucb1_regret_bound(w, 2, n)],
    )


@pytest.mark.parametrize("L,K,p,gap", [(8, 2, 0.2, 0.15), (16, 4, 0.1, 0.05), (5, 1, 0.9, 0.5)])
def test_lower_bound_consistent_with_klucb_upper_bound(L, K, p, gap):
    """Kveton et al.'s abstract: the lower bound (Theorem 4) matches CascadeKL-UCB's upper bound
    (Theorem 3) up to a logarithmic factor. On their instances (K items at p, L - K at
    p - gap) the two ln n coefficients differ by exactly (1 + ln(1/gap)) / (1 - p)^(K-1)."""
    w = [p] * K + [p - gap] * (L - K)
    n1, n2 = 10**6, 10**7
    # the ln n coefficient of the explicit part of Theorem 3 (epsilon = 0), in closed form
    sub = np.array([p - gap] * (L - K))
    kl = np.asarray(b.kl_bernoulli(sub, np.full(L - K, p)))
    coef = float(np.sum(gap * (1 + math.log(1 / gap)) / kl))
    for n in (n1, n2):
        lnln = math.log(math.log(n))
        assert cascade_klucb_regret_bound(w, K, n) == pytest.approx(coef * (math.log(n) + 3 * lnln) + 7 * K * lnln)
    low = cascade_lower_bound_constant(L, K, p, gap)
    assert low * (1 + math.log(1 / gap)) / (1 - p) ** (K - 1) == pytest.approx(coef, rel=1e-12)
    assert low <= coef


INSTANCES = [
    ([0.3, 0.25, 0.1, 0.1, 0.05, 0.05], 2),
    ([0.6, 0.5, 0.4, 0.2, 0.2, 0.1, 0.1, 0.05], 3),
]
CHECK = np.array([100, 1000, 5000, 20_000])


@pytest.mark.parametrize("w,K", INSTANCES)
def test_regret_below_kveton_bounds_and_sublinear(w, K):
    env = CascadeBandit(w, K)
    for policy, bound in [(CascadeUCB1(), cascade_ucb1_regret_bound), (CascadeKLUCB(), cascade_klucb_regret_bound)]:
        res = simulate_cascade(env, policy, 20_000, n_runs=40, rng=2015)
        up = _upper(res.pseudo_regret[:, CHECK - 1])
        assert np.all(up <= bound(w, K, CHECK)), (policy, up, bound(w, K, CHECK))
        m = res.mean_regret()
        # sublinear: from n = 5000 to 4n a linear regret would grow 4-fold, a logarithmic one by ~1.2
        assert m[19_999] < 2.0 * m[4999]
        assert np.all(np.diff(m) >= -1e-12)


@pytest.mark.slow
def test_klucb_beats_ucb1_on_small_attractions():
    """Vial et al. 2022: Hoeffding bonuses pay a factor up to sqrt(K) on small attractions."""
    w = [0.06] * 4 + [0.03] * 12
    env = CascadeBandit(w, 4)
    kl = simulate_cascade(env, CascadeKLUCB(), 20_000, n_runs=10, rng=1).pseudo_regret[:, -1]
    u1 = simulate_cascade(env, CascadeUCB1(), 20_000, n_runs=10, rng=1).pseudo_regret[:, -1]
    assert kl.mean() + 3 * kl.std(ddof=1) / np.sqrt(10) < u1.mean() - 3 * u1.std(ddof=1) / np.sqrt(10)


# --------------------------------------------------------------------------- baseline
def test_enumerated_bandit_means_are_list_click_probabilities():
    w = np.array([0.4, 0.1, 0.3])
    bandit, lists = enumerated_cascade_bandit(CascadeBandit(w, 2))
    assert lists.shape == (6, 2)
    mu = bandit.means_table(1)[0]
    for j, (a1, a2) in enumerate(lists):
        assert mu[j] == pytest.approx(1 - (1 - w[a1]) * (1 - w[a2]))


def test_cascade_algorithms_beat_naive_list_ucb1():
    """The statistical gain: learning items, not lists (30 lists here)."""
    w = [0.4, 0.3, 0.2, 0.15, 0.1, 0.05]
    env = CascadeBandit(w, 2)
    T, n = 3000, 20
    casc = simulate_cascade(env, CascadeKLUCB(), T, n_runs=n, rng=3).pseudo_regret[:, -1]
    bandit, _ = enumerated_cascade_bandit(env)
    naive = b.simulate(bandit, b.UCB1(), T, n, rng=3).pseudo_regret[:, -1]
    assert casc.mean() + 3 * casc.std(ddof=1) / np.sqrt(n) < naive.mean() - 3 * naive.std(ddof=1) / np.sqrt(n)


# --------------------------------------------------- regression: cancellation, overflow, budgets
def test_lower_bound_constant_is_accurate_for_small_gaps():
    # kl(p - gap, p) by the direct formula cancels: at gap = 1e-9 the constant came out
    # negative (-7.5e7); it is (L - K) gap (1 - p)^(K-1) / kl ~ (L - K)(1 - p)^(K-1) 2 p (1 - p) / gap
    L, K, p, gap = 10, 2, 0.2, 1e-9
    expected = (L - K) * (1 - p) ** (K - 1) * 2 * p * (1 - p) / gap
    assert cascade_lower_bound_constant(L, K, p, gap) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match=r"^gap\b"):  # a ZeroDivisionError before
        cascade_lower_bound_constant(L, K, p, 5e-324)
    with pytest.raises(ValueError, match=r"^list_length\b"):
        cascade_lower_bound_constant(3, 3, p, 0.1)
    assert cascade_lower_bound_constant(L, K, 1.0, 0.5) == 0.0  # kl(q, 1) is infinite


def test_enumeration_and_simulation_budgets_are_bounded():
    with pytest.raises(ValueError, match=r"^max_length\b"):  # 1.3e9 lists: ran for ever
        enumerate_lists(12, 12)
    with pytest.raises(ValueError, match=r"^env\b"):
        enumerated_cascade_bandit(CascadeBandit(np.full(30, 0.1), 6))
    env = CascadeBandit([0.4, 0.3, 0.1], 2)
    with pytest.raises(ValueError, match=r"^n_runs\b"):
        simulate_cascade(env, CascadeUCB1(), 10**6, n_runs=10**3)
    with pytest.raises(TypeError, match=r"^horizon\b"):
        simulate_cascade(env, CascadeUCB1(), 100.0)
    with pytest.raises(TypeError, match=r"^lists\b"):
        cascade_list_value([0.5, 0.2], [0.0, 1.0])
