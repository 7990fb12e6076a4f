"""The bound functions against the formulas of their papers, written out independently."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bandits as b
from rlcore.testing import bandit_means
from bandits.stochastic import bounds as bnd
from bandits.stochastic import thompson_bound as tsb


def test_ucb1_bound_matches_theorem_1():
    mu = [0.9, 0.8, 0.5, 0.9]
    n = 12345
    expected = 8 * math.log(n) * (1 / 0.1 + 1 / 0.4) + (1 + math.pi**2 / 3) * (0.1 + 0.4)
    assert b.ucb1_regret_bound(mu, n) == pytest.approx(expected, rel=1e-14)
    curve = b.ucb1_regret_bound(mu, [10, 100])
    assert curve.shape == (2,) and curve[1] > curve[0]


def test_etc_bound_matches_theorem_6_1():
    mu, n, m = [0.5, 0.3, 0.0], 1000, 20
    gaps = np.array([0.0, 0.2, 0.5])
    expected = m * gaps.sum() + (n - 3 * m) * np.sum(gaps * np.exp(-m * gaps**2 / 4))
    assert b.etc_regret_bound(mu, n, m) == pytest.approx(expected)
    assert b.etc_regret_bound(mu, 30, m) == pytest.approx(30 * 0.5)  # never commits


def test_lai_robbins_and_klucb_constants():
    mu = [0.3, 0.5, 0.1]
    kl = lambda p, q: p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))  # noqa: E731
    expected = 0.2 / kl(0.3, 0.5) + 0.4 / kl(0.1, 0.5)
    assert b.lai_robbins_constant(mu) == pytest.approx(expected)
    assert b.klucb_asymptotic_constant(mu) == b.lai_robbins_constant(mu)
    assert b.lai_robbins_constant([0.0, 1.0], family="gaussian", sigma=2.0) == pytest.approx(8.0)
    assert b.lai_robbins_lower_bound(mu, 100) == pytest.approx(expected * math.log(100))
    assert b.lai_robbins_constant([0.4, 0.4]) == 0.0


@given(n=st.integers(10, 10**7), K=st.integers(2, 50))
def test_exp3_tuned_bound_is_theorem_3_1_at_the_tuned_gamma(n, K):
    gamma = b.exp3_gamma(n, K)
    thm31 = b.exp3_regret_bound(n, K, gamma=gamma)
    cor32 = b.exp3_regret_bound(n, K)
    if gamma < 1:
        # at the minimiser the two terms of Theorem 3.1 are equal, giving Corollary 3.2
        assert cor32 == pytest.approx(thm31, rel=1e-10)
        assert cor32 == pytest.approx(2 * math.sqrt(math.e - 1) * math.sqrt(n * K * math.log(K)), rel=1e-12)
        for g in (gamma / 2, min(1.0, gamma * 2)):
            assert b.exp3_regret_bound(n, K, gamma=g) >= thm31 * (1 - 1e-12)
    else:
        assert cor32 == n


def test_moss_and_oful_bounds():
    assert b.moss_regret_bound(10_000, 10) == pytest.approx(49 * math.sqrt(1e5))
    n, d, lam, S, R, L, delta = 5000, 3, 2.0, 1.5, 0.5, 1.0, 0.01
    expected = (
        4
        * math.sqrt(n * d * math.log(lam + n * L / d))
        * (math.sqrt(lam) * S + R * math.sqrt(2 * math.log(1 / delta) + d * math.log(1 + n * L / (lam * d))))
    )
    assert b.oful_regret_bound(n, d, delta=delta, lam=lam, S=S, R=R, L=L) == pytest.approx(expected)


def test_bounds_reject_bad_input():
    with pytest.raises(ValueError, match="means"):
        b.ucb1_regret_bound([0.5, 1.5], 10)
    with pytest.raises(ValueError, match="horizon"):
        b.ucb1_regret_bound([0.5, 0.4], 0)
    with pytest.raises(ValueError, match="family"):
        b.lai_robbins_constant([0.5, 0.4], family="poisson")
    with pytest.raises(ValueError, match="delta"):
        b.oful_regret_bound(10, 2, delta=1.5)
    with pytest.raises(ValueError, match="gamma"):
        b.exp3_regret_bound(10, 2, gamma=0.0)
    with pytest.raises(ValueError, match="n_arms"):
        b.moss_regret_bound(10, 0)


# ---------------------------------------------------------------- KL-UCB (finite time)
def _kl(p, q):
    """Bernoulli KL written out independently of bandits.stochastic.kl."""
    t1 = 0.0 if p == 0 else p * math.log(p / q)
    t2 = 0.0 if p == 1 else (1 - p) * math.log((1 - p) / (1 - q))
    return t1 + t2


def _thm_10_6_inf(mu_i, mu_star, a):
    """inf over eps1 + eps2 < gap of a / d(mu_i + eps1, mu* - eps2) + 1/(2 eps1^2) + 2/eps2^2,
    by a dense brute-force grid refined with Nelder-Mead (independent of the library's grid)."""
    from scipy.optimize import minimize

    gap = mu_star - mu_i

    def obj(x):
        e1, e2 = x
        if e1 <= 0 or e2 <= 0 or e1 + e2 >= gap:
            return np.inf
        return a / _kl(mu_i + e1, mu_star - e2) + 1 / (2 * e1**2) + 2 / e2**2

    grid = [(u * gap, v * gap) for u in np.linspace(0.01, 0.98, 98) for v in np.linspace(0.01, 0.98, 98) if u + v < 1]
    x0 = min(grid, key=obj)
    res = minimize(obj, x0, method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-12, "maxiter": 4000})
    return min(res.fun, obj(x0))


@pytest.mark.parametrize("c", [None, 3.0, 5.0])
def test_klucb_bound_is_theorem_10_6_with_its_exploration_level(c):
    mu, n = [0.7, 0.4, 0.65], 10**5
    K = 3
    if c is None:
        a, extra = math.log(1 + n * math.log(n) ** 2), 1.0
    else:
        lt = math.log(n - 1)
        a, extra = lt + c * math.log(lt), 1.0 + max(0, 5 - K)
    expected = sum(g * min(n, extra + _thm_10_6_inf(m, 0.7, a)) for m, g in ((0.4, 0.3), (0.65, 0.05)))
    got = bnd.klucb_regret_bound(mu, n, c=c)
    # the library minimises over a fixed grid: never below the infimum, and close to it
    assert expected * (1 - 1e-9) <= got <= expected * 1.01


def test_klucb_exploration_dominates_the_books_after_round_five():
    # the corollary for KLUCB(c >= 3) needs ln(t-1) + 3 ln ln(t-1) >= ln(1 + t ln^2 t)
    # for all rounds t >= 6 (and fails for t <= 5, hence the (5 - K)+ term)
    t = np.arange(2, 2_000_001, dtype=np.float64)
    lt = np.log(t - 1)
    ours = np.where(lt > 1, lt + 3 * np.log(np.maximum(lt, 1)), lt)
    book = np.log1p(t * np.log(t) ** 2)
    assert np.all(ours[t >= 6] >= book[t >= 6])
    assert np.all(ours[t <= 5] < book[t <= 5])


def test_klucb_bound_leading_coefficient_is_lai_robbins():
    # as n -> infinity (eps -> 0) the bound / ln n tends to sum Delta / kl(mu_i, mu*)
    mu = [0.6, 0.5, 0.2]
    const = 0.1 / _kl(0.5, 0.6) + 0.4 / _kl(0.2, 0.6)
    ratios = [bnd.klucb_regret_bound(mu, 10**e, c=None) / (const * e * math.log(10)) for e in (20, 50, 150, 300)]
    assert all(r >= 1.0 for r in ratios)  # kl(mu_i + eps1, mu* - eps2) < kl(mu_i, mu*)
    assert np.all(np.diff(ratios) < 0) and ratios[-1] < 2.5  # slowly, eps* ~ (ln n)^(-1/3)
    # the slope of the lower envelope as the exploration level a -> infinity is
    # 1 / kl(mu_i + eps1, mu* - eps2) at the smallest eps on the grid: 1 / kl(mu_i, mu*)
    for mu_i in (0.5, 0.2):
        g, _ = bnd._klucb_lines(mu_i, 0.6)
        assert 1 / _kl(mu_i, 0.6) <= g.min() <= 1.001 / _kl(mu_i, 0.6)


def test_klucb_bound_special_cases():
    assert bnd.klucb_regret_bound([0.3, 0.3], [10, 1000]).tolist() == [0.0, 0.0]  # no gap
    # tiny horizons: capped by n max Delta (and by n pulls per arm)
    assert bnd.klucb_regret_bound([0.9, 0.1], 3) == pytest.approx(3 * 0.8)
    curve = bnd.klucb_regret_bound([0.9, 0.1], [10, 100, 10**4, 10**8])
    assert np.all(np.diff(curve) > 0)


# ------------------------------------------------------- Thompson sampling (finite time)
def test_beta_posterior_tail_is_a_binomial_cdf():
    from scipy import stats

    rng = np.random.default_rng(0)
    for _ in range(50):
        s = int(rng.integers(0, 200))
        S = int(rng.integers(0, s + 1))
        y = float(rng.uniform(0.01, 0.99))
        assert stats.beta.sf(y, 1 + S, 1 + s - S) == pytest.approx(stats.binom.cdf(S, s + 1, y), rel=1e-9, abs=1e-300)


def _brute_optimal_arm_terms(mu1, y, smax):
    from scipy import stats

    out = []
    for s in range(smax):
        S = np.arange(s + 1)
        G = stats.beta.sf(y, 1 + S, 1 + s - S)  # posterior probability of exceeding y
        out.append(float(np.sum(stats.binom.pmf(S, s, mu1) * stats.beta.cdf(y, 1 + S, 1 + s - S) / G)))
    return np.array(out)


@pytest.mark.parametrize("mu1,y", [(0.6, 0.5), (0.05, 0.03), (0.9, 0.7)])
def test_thompson_optimal_arm_term_against_brute_force(mu1, y, monkeypatch):

    brute = _brute_optimal_arm_terms(mu1, y, 400)
    ours = tsb._ts_optimal_arm_terms(mu1, y, 400)
    assert np.all(ours >= brute * (1 - 1e-9))  # an upper bound ...
    assert np.allclose(ours, brute, rtol=1e-6, atol=1e-12)  # ... and exact within the window
    # the binned bound used past the run-time budget: still above, and not far
    monkeypatch.setattr(tsb, "_TS_EXACT_BUDGET", 500)
    binned = tsb._ts_optimal_arm_terms(mu1, y, 400)
    assert np.all(binned >= brute * (1 - 1e-9))
    assert binned.sum() <= 1.15 * brute.sum() + 1e-3


@pytest.mark.parametrize("n", [7, 50, 1000])
def test_thompson_bound_closed_form_on_a_deterministic_instance(n):
    # mu* = 1 and mu_2 = 0: S_1 = s and S_2 = 0 surely, so with y = 1/2 both sums of
    # Theorem 36.2 have closed forms: G_1s = 1 - y^(s+1), G_2s = (1 - y)^(s+1)
    y = 0.5
    s = np.arange(n)
    first = np.sum(y ** (s + 1) / (1 - y ** (s + 1)))
    second = np.sum((1 - y) ** (s + 1) > 1 / n)
    expected = min(n, 1 + first + second)
    assert tsb.thompson_regret_bound([1.0, 0.0], n, fractions=[0.5]) == pytest.approx(expected, rel=1e-9)
    # the second sum grows like ln n / kl(0, y) = ln n / ln 2: the leading coefficient
    assert second == math.ceil(math.log(n) / math.log(2)) - 1 or second == math.floor(math.log(n) / math.log(2))


def test_thompson_bound_more_thresholds_only_help():
    mu, n = [0.8, 0.6, 0.5], [200, 2000]
    one = tsb.thompson_regret_bound(mu, n, fractions=[0.5])
    many = tsb.thompson_regret_bound(mu, n, fractions=[0.3, 0.5, 0.7])
    assert np.all(many <= one + 1e-12) and np.all(many > 0)
    assert tsb.thompson_regret_bound([0.4, 0.4], 100) == 0.0


def test_new_bounds_reject_bad_input():
    with pytest.raises(ValueError, match="c"):
        bnd.klucb_regret_bound([0.5, 0.4], 10, c=2.0)
    with pytest.raises(ValueError, match="means"):
        bnd.klucb_regret_bound([0.5, -0.1], 10)
    with pytest.raises(ValueError, match="horizon"):
        tsb.thompson_regret_bound([0.5, 0.4], 0)
    with pytest.raises(ValueError, match="horizon"):
        tsb.thompson_regret_bound([0.5, 0.4], 10**7)
    with pytest.raises(ValueError, match="fractions"):
        tsb.thompson_regret_bound([0.5, 0.4], 10, fractions=[1.5])
    with pytest.raises(ValueError, match="means"):
        tsb.thompson_regret_bound([0.5, 1.4], 10)


# ---------------------------------------- empirical regret below the finite-time bounds
# 200 seeded runs per instance; asserted for the upper end of a 3-standard-error band
# around the mean pseudo-regret (if the expected regret met the bound, each check would
# fail with probability about 0.14%, one-sided normal tail; 7 instances x 3 checkpoints
# x 2 policies = 42 checks, so at most ~6% overall even in that worst case; the bounds
# hold with a wide margin here, so the actual failure probability is far smaller).
EMPIRICAL = [
    [0.9, 0.1],
    [0.9, 0.6],
    [0.5, 0.45, 0.4, 0.2],
    [0.05, 0.02, 0.01],  # small means
    [0.5, 0.48],  # a close pair
    [0.03, 0.01],  # small means, close
    [0.9, 0.7, 0.5, 0.3, 0.1],
]
CHECK = np.array([100, 1000, 5000])


def _upper(x):
    return x.mean(axis=0) + 3 * x.std(axis=0, ddof=1) / np.sqrt(x.shape[0])


@functools.cache
def _bounds_at_checkpoints(means):
    return bnd.klucb_regret_bound(list(means), CHECK, c=3.0), tsb.thompson_regret_bound(list(means), CHECK)


@pytest.mark.slow
@pytest.mark.parametrize("means", EMPIRICAL, ids=lambda m: f"K={len(m)}-mu*={max(m):.2f}")
def test_klucb_and_thompson_mean_regret_below_their_bounds(means):
    env = b.BernoulliBandit(means)
    kl = b.simulate(env, b.KLUCB(c=3.0), int(CHECK[-1]), 200, rng=11, backend="numba")
    ts = b.simulate(env, b.ThompsonBeta(), int(CHECK[-1]), 200, rng=12, backend="numba")
    kl_bound, ts_bound = _bounds_at_checkpoints(tuple(means))
    assert np.all(_upper(kl.pseudo_regret[:, CHECK - 1]) <= kl_bound)
    assert np.all(_upper(ts.pseudo_regret[:, CHECK - 1]) <= ts_bound)


def test_empirical_checks_are_not_vacuous():
    # where a bound equals the trivial n * max gap its check cannot fail: make sure
    # enough checkpoints above are informative for each bound
    kl_inf = ts_inf = 0
    for means in EMPIRICAL:
        trivial = CHECK * (max(means) - min(means))
        kl_bound, ts_bound = _bounds_at_checkpoints(tuple(means))
        kl_inf += int(np.sum(kl_bound < 0.9 * trivial))
        ts_inf += int(np.sum(ts_bound < 0.9 * trivial))
    assert kl_inf >= 5 and ts_inf >= 8


@pytest.mark.slow
def test_klucb_mean_regret_below_its_bound_on_small_means_at_a_longer_horizon():
    # small Bernoulli means: the KL-UCB bound becomes informative only past n ~ 10^4
    # (bound 440 against the trivial 1600 at n = 20000); same 3-standard-error rule
    means, T = [0.1, 0.02], 20_000
    t = np.array([5000, T])
    res = b.simulate(b.BernoulliBandit(means), b.KLUCB(c=3.0), T, 100, rng=13, backend="numba")
    bound = bnd.klucb_regret_bound(means, t, c=3.0)
    assert bound[-1] < 0.5 * T * 0.08
    assert np.all(_upper(res.pseudo_regret[:, t - 1]) <= bound)


@pytest.mark.slow
@settings(max_examples=5, deadline=None)
@given(means=bandit_means(n_arms=st.integers(2, 4), min_gap=0.1))
def test_klucb_and_thompson_below_their_bounds_on_drawn_instances(means):
    # the same guarantees on hypothesis-drawn instances (unique best arm, gap >= 0.1);
    # 3-standard-error band over 100 runs at each checkpoint
    t = np.array([100, 2000])
    env = b.BernoulliBandit(means)
    kl = b.simulate(env, b.KLUCB(c=3.0), 2000, 100, rng=21, backend="numba")
    ts = b.simulate(env, b.ThompsonBeta(), 2000, 100, rng=22, backend="numba")
    assert np.all(_upper(kl.pseudo_regret[:, t - 1]) <= bnd.klucb_regret_bound(means, t, c=3.0))
    assert np.all(_upper(ts.pseudo_regret[:, t - 1]) <= tsb.thompson_regret_bound(means, t))


# --------------------------------------------------- regression: non-finite results, named refusals
def test_horizons_must_be_integers():
    with pytest.raises(TypeError, match=r"^horizon\b"):
        b.ucb1_regret_bound([0.5, 0.4], 1000.0)
    with pytest.raises(TypeError, match=r"^horizon\b"):
        b.moss_regret_bound([10.0, 20.0], 2)
    with pytest.raises(ValueError, match=r"^horizon\b"):
        b.ucb1_regret_bound([0.5, 0.4], np.array([10, 0]))
    with pytest.raises(TypeError, match=r"^n_arms\b"):
        b.moss_regret_bound(10, True)


def test_klucb_bound_with_gaps_below_kl_resolution_is_finite():
    # kl rounds to 0 on the whole (eps1, eps2) grid: used to fail with numpy's
    # "zero-size array to reduction operation"; the bound falls back to N_i(n) <= n
    out = bnd.klucb_regret_bound(np.array([0.9, 0.8]) * 1e-300, [10, 1000])
    assert np.all(np.isfinite(out)) and np.all(out >= 0)


def test_extreme_confidence_and_regulariser_keep_oful_bound_finite():
    # ln(1 / delta) overflowed for delta = 5e-324 (inf); lam + n L / d < 1 gave nan
    assert math.isfinite(b.oful_regret_bound(1000, 2, delta=5e-324))
    assert math.isfinite(b.oful_regret_bound(1000, 2, delta=0.05, lam=5e-324))
    with pytest.raises(ValueError, match=r"^lam\b"):
        b.oful_regret_bound(1, 2, delta=0.05, lam=0.1, L=1e-3)


def test_exp3_bound_is_infinite_only_when_it_overflows():
    assert b.exp3_regret_bound(100, 2, gamma=5e-324) == math.inf  # documented: vacuous
    assert b.exp3_gamma(100, 2, g=5e-324) == 1.0
    with pytest.raises(ValueError, match=r"^gamma\b"):
        b.exp3_regret_bound(100, 2, gamma=float("nan"))
    with pytest.raises(TypeError, match=r"^g\b"):
        b.exp3_gamma(100, 2, g="1")


def test_gaussian_constant_overflow_is_refused():
    with pytest.raises(ValueError, match=r"^means\b"):
        b.lai_robbins_constant([1.0, 0.0], family="gaussian", sigma=1e200)  # was inf
    with pytest.raises(ValueError, match=r"^means\b"):
        b.lai_robbins_constant([1.0, 1.5])  # Bernoulli means in [0, 1]
    assert b.lai_robbins_constant([1.0, 1.5], family="gaussian") == pytest.approx(4.0)
