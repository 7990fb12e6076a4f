"""LSVI-UCB: the plan against count-based optimistic induction, the incremental statistics
against a batch solve, optimism and regret against Jin et al. (2020, Thm. 3.1).

Oracles: count-based optimistic backward induction written here (one-hot features make
LSVI-UCB tabular: ``Lambda_h = diag(N_h + lambda)``); ``np.linalg.solve`` on the batch
of all past transitions; exact ``V*`` of a linear MDP built here (the engine's exact
pseudo-regret and optimism margins).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from rlcore import FiniteMDP
from tabular.exploration import explore
from tabular.exploration.lsvi_ucb import LSVIUCB, lsvi_ucb_beta, lsvi_ucb_regret_bound
from tabular.testing.online import check_online_learner

DELTA = 0.1


def _budget(n_runs: int, delta: float, p: float = 1e-3) -> int:
    """The largest failure count a Binomial(n_runs, delta) exceeds with probability below ``p``."""
    return int(stats.binom.ppf(1 - p, n_runs, delta))


def _linear_mdp(seed: int, S: int = 6, A: int = 2, d: int = 3, H: int = 3, terminal: bool = False):
    """A linear MDP: ``P(.|s, a) = sum_i phi_i(s, a) mu_i``, ``r = phi . theta``, ``phi`` on the simplex.

    With ``terminal``, feature ``d - 1`` leads to the absorbing state ``S - 1`` (reward 0),
    which has ``phi = e_{d-1}``.
    """
    rng = np.random.default_rng(seed)
    phi = rng.dirichlet(np.full(d, 0.6), size=(S, A))
    mu = rng.dirichlet(np.full(S, 0.6), size=d)
    theta = rng.random(d)
    if terminal:
        mu[d - 1] = np.eye(S)[S - 1]
        theta[d - 1] = 0.0
        phi[S - 1] = np.eye(d)[d - 1]
        mu[: d - 1, S - 1] = 0.0
        mu[: d - 1] /= mu[: d - 1].sum(axis=1, keepdims=True)
    P = phi @ mu
    R = phi @ theta
    term = np.eye(S, dtype=bool)[S - 1] if terminal else None
    init = np.r_[np.ones(S - 1), 0.0] / (S - 1) if terminal else None
    return FiniteMDP(P, R, horizon=H, terminal=term, initial=init), phi


def _episodes(seed, n, S, A, H, terminal_state=None):
    """Random trajectories (states, actions, rewards); short ones end in ``terminal_state``."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        L = H if terminal_state is None or rng.random() < 0.6 else int(rng.integers(1, H))
        hi = S if terminal_state is None else S - 1
        st = rng.integers(0, hi, L + 1)
        if L < H:
            st[L] = terminal_state
        out.append((st, rng.integers(0, A, L), rng.random(L)))
    return out


def _count_based_plan(episodes, S, A, H, beta, lam, terminal, pooled=False, range_term=0.0):
    """Optimistic backward induction on counts: ridge-shrunk model, bonus
    ``beta / sqrt(N + lam) + range_term / (N + lam)``; ``pooled``: one count for all steps."""
    N = np.zeros((H, S, A))
    Nsas = np.zeros((H, S, A, S))
    Rsum = np.zeros((H, S, A))
    for st, ac, rw in episodes:
        for t in range(ac.shape[0]):
            N[t, st[t], ac[t]] += 1
            Nsas[t, st[t], ac[t], st[t + 1]] += 1
            Rsum[t, st[t], ac[t]] += rw[t]
    if pooled:
        N, Nsas, Rsum = (np.broadcast_to(x.sum(axis=0), x.shape) for x in (N, Nsas, Rsum))
    Q = np.zeros((H, S, A))
    V = np.zeros(S)
    for t in range(H - 1, -1, -1):
        q = (Rsum[t] + Nsas[t] @ V) / (N[t] + lam) + beta / np.sqrt(N[t] + lam) + range_term / (N[t] + lam)
        Q[t] = np.clip(q, 0.0, H - t)
        Q[t][terminal] = 0.0
        V = Q[t].max(axis=1)
    return Q, N


@pytest.mark.parametrize(
    ("beta", "lam", "pooled", "bonus"),
    [
        (0.3, 1.0, False, "elliptical"),
        (2.0, 0.5, False, "elliptical"),
        (None, 1.0, False, "elliptical"),
        (0.3, 1.0, True, "elliptical"),
        (1.0, 0.1, False, "simplified_bernstein"),
        (1.0, 0.1, True, "simplified_bernstein"),
    ],
)
def test_one_hot_plan_is_count_based_optimistic_induction(beta, lam, pooled, bonus):
    """One-hot features: the plan equals count-based optimistic induction (per step or pooled
    counts, bonus ``beta / sqrt(N + lam)``, plus ``H / (N + lam)`` for the simplified Bernstein width)."""
    S, A, H = 5, 3, 4
    phi = np.eye(S * A).reshape(S, A, S * A)
    learner = LSVIUCB(phi, H, beta=beta, lam=lam, stage_dependent=not pooled, bonus=bonus)
    episodes = _episodes(0, 120, S, A, H, terminal_state=S - 1)
    terminal = np.eye(S, dtype=bool)[S - 1]
    for k, ep in enumerate(episodes):
        learner.end_episode(*ep)
        if k % 40 == 39:
            pol = learner.begin_episode(k + 1, np.random.default_rng())
            b = learner.current_beta()
            rt = float(H) if bonus == "simplified_bernstein" else 0.0
            Q_ref, N = _count_based_plan(episodes[: k + 1], S, A, H, b, lam, terminal, pooled, rt)
            np.testing.assert_allclose(learner.Q, Q_ref, rtol=0, atol=1e-12)
            np.testing.assert_allclose(learner.value_estimate, Q_ref[0].max(axis=1), rtol=0, atol=1e-12)
            # greedy, ties to the least-visited action (the widest bonus), then the lowest index
            key = Q_ref - 1e-9 * N[..., :] / (N.max() + 1)
            key = np.where(np.isclose(Q_ref, Q_ref.max(axis=2, keepdims=True), rtol=0, atol=1e-12), key, -np.inf)
            expect = np.argmax(key, axis=2)
            live = ~terminal
            np.testing.assert_array_equal(pol[:, live], expect[:, live])
    if beta is None:  # the theorem's width: everything still sits at the clip after 120 episodes
        assert learner.current_beta() == pytest.approx(lsvi_ucb_beta(S * A, H, 121, DELTA))


@pytest.mark.parametrize("pooled", [False, True])
def test_incremental_statistics_equal_batch_regression(pooled):
    """Sherman-Morrison ``Lambda_h^{-1}`` and ``w_h = Lambda_h^{-1}(b_h + M_h V_{h+1})`` against a batch
    solve over the step-``h`` transitions (``pooled``: over the transitions of all steps)."""
    S, A, H, d, lam = 5, 3, 4, 4, 0.8
    rng = np.random.default_rng(1)
    table = rng.normal(size=(S, A, d)) / 2
    learner = LSVIUCB(table, H, beta=0.2, lam=lam, stage_dependent=not pooled)
    episodes = _episodes(2, 300, S, A, H)
    for ep in episodes:
        learner.end_episode(*ep)
    learner.begin_episode(300, rng)
    V = learner._V  # the plan's V_{h+1}, which the batch targets use
    for h in range(H):
        steps = range(H) if pooled else (h,)
        rows = [(st[t], ac[t], rw[t], st[t + 1]) for st, ac, rw in episodes for t in steps if ac.shape[0] > t]
        s, a, r, s2 = (np.array(x) for x in zip(*rows))
        Phi = table[s, a]
        Lam = Phi.T @ Phi + lam * np.eye(d)
        C = np.linalg.solve(Lam, np.eye(d))
        w = np.linalg.solve(Lam, Phi.T @ (r + V[h + 1, s2]))
        hs = 0 if pooled else h
        assert learner.cov_inv.shape[0] == (1 if pooled else H)
        assert np.max(np.abs(learner.cov_inv[hs] - C)) <= 1e-9 * np.max(np.abs(C))
        assert np.max(np.abs(learner.weights[h] - w)) <= 1e-9 * np.max(np.abs(w))
        np.testing.assert_array_equal(learner.cov_inv[hs], learner.cov_inv[hs].T)  # exactly symmetric


def test_optimism_on_a_linear_mdp():
    """With the theorem's width, ``V_0 >= V*_0`` in every episode on all but a delta fraction of runs.

    20 seeded runs of 2000 episodes; a run fails when any episode's margin is negative;
    failures must stay within the Binomial(20, delta) budget at level 1e-3. The width is
    not all clip: by the end the bonus is below the clip ``H`` at some pair.
    """
    mdp, phi = _linear_mdp(11)
    res = explore(mdp, LSVIUCB(phi, 3, delta=DELTA), 2000, n_runs=20, rng=5)
    failures = int(np.sum(np.any(res.optimism_margins < 0, axis=1)))
    assert failures <= _budget(20, DELTA)
    learner = LSVIUCB(phi, 3, delta=DELTA)
    explore(mdp, learner, 2000, rng=5)
    widths = learner.current_beta() * np.sqrt(np.einsum("sad,de,sae->sa", phi, learner.cov_inv[0], phi))
    assert widths.min() < 3.0  # the check is not decided by the clip alone


def test_the_optimism_check_can_fail():
    """Without a bonus (beta = 0) the same measurement finds pessimistic estimates."""
    mdp, phi = _linear_mdp(11)
    res = explore(mdp, LSVIUCB(phi, 3, beta=0.0), 300, n_runs=10, rng=5)
    assert np.sum(np.any(res.optimism_margins < 0, axis=1)) >= 5


def test_regret_below_bound_and_sublinear():
    """Cumulative pseudo-regret below :func:`lsvi_ucb_regret_bound`, and sublinear, with the theorem's width.

    4 seeded runs of 20,000 episodes (the theorem holds with probability 1 - delta per
    run: at most the Binomial(4, delta) budget may fail). At this size the bound (about
    3.7 K H) is vacuous, so the test also asks what it implies asymptotically: the
    log-log slope of the cumulative regret over the second half below 0.75, and the last
    tenth's per-episode regret below half the first tenth's, which a learner that stops
    exploring or never exploits fails.
    """
    mdp, phi = _linear_mdp(11)
    K = 20_000
    res = explore(mdp, LSVIUCB(phi, 3, delta=DELTA), K, n_runs=4, rng=0)
    assert res.bound is not None
    cum = res.cumulative_regret()
    assert np.sum(np.any(cum > res.bound, axis=1)) <= _budget(4, DELTA)
    assert 0.0 < res.regret_slope(K // 2) < 0.75
    tenth = K // 10
    assert res.pseudo_regret[:, -tenth:].mean() < 0.5 * res.pseudo_regret[:, :tenth].mean()


def test_bound_formula_and_rate():
    d, H, K, p = 3, 3, 2000, DELTA
    T = K * H
    iota = math.log(2 * d * T / p)
    beta = d * H * math.sqrt(iota)
    expect = 2 * H * math.sqrt(2 * T * math.log(2 / p)) + 2 * beta * H * math.sqrt(2 * d * K * math.log(1 + K / d))
    assert lsvi_ucb_regret_bound(d, H, K, p) == pytest.approx(expect, rel=1e-14)
    # O(sqrt(d^3 H^3 T) iota): the ratio to that rate stays within constants, and the bound
    # becomes informative (below K H) once K is large
    for K in (10**3, 10**6, 10**9):
        T = K * H
        iota = math.log(2 * d * T / p)
        ratio = lsvi_ucb_regret_bound(d, H, K, p) / (math.sqrt(d**3 * H**3 * T) * iota)
        assert 1.0 < ratio < 2 * math.sqrt(2) + 1.0
    assert lsvi_ucb_regret_bound(d, H, 10**9, p) < 10**9 * H < lsvi_ucb_regret_bound(d, H, 10**3, p) * 10**6


def test_learner_reports_no_bound_outside_the_theory():
    phi = np.eye(4).reshape(2, 2, 4)
    assert LSVIUCB(phi, 3, beta=1.0).regret_bound(10) is None
    assert LSVIUCB(phi, 3, lam=2.0).regret_bound(10) is None
    assert LSVIUCB(2 * phi, 3).regret_bound(10) is None  # ||phi|| > 1
    assert LSVIUCB(phi, 3, c=0.5).regret_bound(10) == lsvi_ucb_regret_bound(4, 3, 10, 0.1, c=0.5)
    assert LSVIUCB(phi, 3, beta=1.0).regret_bounds(5) is None
    for kw in ({"stage_dependent": False}, {"bonus": "simplified_bernstein"}):  # variants outside the theorem
        assert LSVIUCB(phi, 3, **kw).regret_bound(10) is None and not LSVIUCB(phi, 3, **kw).optimistic
    assert LSVIUCB(phi, 3).optimistic
    # the engine's vector of bounds is the scalar bound at every k; with a budget the width is the budget's
    learner = LSVIUCB(phi, 3, c=0.5, n_episodes=8)
    bounds = learner.regret_bounds(12)
    assert bounds.shape == (12,)
    assert all(bounds[k - 1] == learner.regret_bound(k) for k in range(1, 13))
    beta8 = lsvi_ucb_beta(4, 3, 8, 0.1, c=0.5)
    assert bounds[2] == lsvi_ucb_regret_bound(4, 3, 3, 0.1, beta=beta8)
    assert bounds[11] == lsvi_ucb_regret_bound(4, 3, 12, 0.1, c=0.5)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"beta": 0.7},
        {"n_episodes": 500, "c": 0.1},
        {"beta": 0.7, "lam": 0.1, "stage_dependent": False, "bonus": "simplified_bernstein"},
    ],
)
def test_compiled_and_python_paths_are_bit_identical(kwargs):
    mdp, phi = _linear_mdp(4, S=5, d=4, H=4, terminal=True)
    a = explore(mdp, LSVIUCB(phi, 4, **kwargs), 60, n_runs=2, rng=1, engine="compiled")
    b = explore(mdp, LSVIUCB(phi, 4, **kwargs), 60, n_runs=2, rng=1, engine="python")
    for f in ("pseudo_regret", "returns", "value_estimates", "optimism_margins", "initial_states"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
    assert np.any(a.returns < a.returns.max())  # episodes end early at the terminal state sometimes


def test_reset_forgets_and_value_estimate_follows_the_plan():
    mdp, phi = _linear_mdp(4)
    learner = LSVIUCB(phi, 3, beta=0.5)
    explore(mdp, learner, 30, rng=0)
    assert learner.value_estimate is not None and learner.value_estimate.shape == (6,)
    learner.reset()
    assert learner.value_estimate is None
    np.testing.assert_array_equal(learner.cov_inv, np.broadcast_to(np.eye(3), (3, 3, 3)))
    learner.begin_episode(0, np.random.default_rng())
    # no data: w = 0 and Lambda = I, so Q_0 = beta ||phi||
    np.testing.assert_allclose(learner.value_estimate, 0.5 * np.linalg.norm(phi, axis=2).max(axis=1), rtol=1e-15)


def _one_hot_lsvi_ucb(n_states, n_actions, horizon):
    return LSVIUCB(np.eye(n_states * n_actions).reshape(n_states, n_actions, -1), horizon)


def test_passes_the_online_learner_contract():
    """The library's contract suite (valid policies, seeds, compiled twin, bound, optimism) on
    Hypothesis-drawn tabular instances, terminal states included; one-hot features make any
    finite MDP linear. The theorem's width keeps every value at the clip for longer than
    the suite's runs, so the regret-falls check is left to ``test_regret_below_bound_and_sublinear``."""
    check_online_learner(_one_hot_lsvi_ucb, max_examples=2, n_seeds=8, n_episodes=500, sublinear=False)


@pytest.mark.parametrize(
    ("call", "exc", "name"),
    [
        (lambda phi: LSVIUCB(phi, 0), ValueError, "horizon"),
        (lambda phi: LSVIUCB(phi, 2.5), TypeError, "horizon"),
        (lambda phi: LSVIUCB(phi, 3, delta=0.0), ValueError, "delta"),
        (lambda phi: LSVIUCB(phi, 3, delta=1.0), ValueError, "delta"),
        (lambda phi: LSVIUCB(phi[0], 3), ValueError, "features"),
        (lambda phi: LSVIUCB(np.where(phi > 0.5, np.nan, phi), 3), ValueError, "features"),
        (lambda phi: LSVIUCB(phi.astype(str), 3), TypeError, "features"),
        (lambda phi: LSVIUCB(phi, 3, lam=0.0), ValueError, "lam"),
        (lambda phi: LSVIUCB(phi, 3, c=0.0), ValueError, "c"),
        (lambda phi: LSVIUCB(phi, 3, beta=-1.0), ValueError, "beta"),
        (lambda phi: LSVIUCB(phi, 3, bonus="bernstein"), ValueError, "bonus"),
        (lambda phi: LSVIUCB(phi, 3, stage_dependent="no"), TypeError, "stage_dependent"),
        (lambda phi: LSVIUCB(phi, 10**6), ValueError, "horizon"),  # H d S statistics over the limit
        (
            lambda phi: LSVIUCB(phi, 3).end_episode(np.array([0, 6]), np.array([0]), np.array([0.5])),
            ValueError,
            "states",
        ),
        (
            lambda phi: LSVIUCB(phi, 3).end_episode(np.array([0, 1]), np.array([2]), np.array([0.5])),
            ValueError,
            "actions",
        ),
        (
            lambda phi: LSVIUCB(phi, 3).end_episode(np.array([0, 1]), np.array([1]), np.array([np.nan])),
            ValueError,
            "rewards",
        ),
        (
            lambda phi: LSVIUCB(phi, 3).end_episode(np.zeros(5, int), np.zeros(4, int), np.zeros(4)),
            ValueError,
            "states",
        ),
        (
            lambda phi: LSVIUCB(phi, 3).end_episode(np.array([0.0, 1.0]), np.array([1]), np.array([0.5])),
            TypeError,
            "states",
        ),
        (lambda phi: lsvi_ucb_beta(0, 3, 10, 0.1), ValueError, "dim"),
        (lambda phi: lsvi_ucb_beta(3, 3, 10, 1.5), ValueError, "delta"),
        (lambda phi: lsvi_ucb_regret_bound(3, 0, 10, 0.1), ValueError, "horizon"),
        (lambda phi: lsvi_ucb_regret_bound(3, 3, 0, 0.1), ValueError, "n_episodes"),
    ],
)
def test_bad_arguments_are_refused_by_name(call, exc, name):
    phi = np.eye(12).reshape(6, 2, 12)
    with pytest.raises(exc, match=rf"^{name}\b"):
        call(phi)


def test_default_plan_is_bit_identical_to_lsvi_plan():
    """With the defaults the learner's own kernel computes what :func:`tabular.lsvi.lsvi_plan` does,
    bit for bit (general features, terminal states), and the pooled variant equals ``lsvi_plan`` on
    the pooled statistics repeated at every step."""
    from tabular.lsvi import lsvi_plan

    S, A, H, d = 5, 3, 4, 4
    table = np.random.default_rng(3).normal(size=(S, A, d)) / 2
    for pooled in (False, True):
        learner = LSVIUCB(table, H, beta=0.4, lam=0.7, stage_dependent=not pooled)
        for ep in _episodes(5, 80, S, A, H, terminal_state=S - 1):
            learner.end_episode(*ep)
        pol = learner.begin_episode(80, np.random.default_rng())
        rep = (lambda x: np.repeat(x, H, axis=0)) if pooled else (lambda x: x)
        ref = lsvi_plan(
            table, rep(learner.cov_inv), rep(learner._b), rep(learner._M), beta=0.4, sign=1, terminal=learner._terminal
        )
        np.testing.assert_array_equal(learner.Q, ref.Q)
        np.testing.assert_array_equal(pol, ref.policy)
        np.testing.assert_array_equal(learner.value_estimate, ref.V[0])
