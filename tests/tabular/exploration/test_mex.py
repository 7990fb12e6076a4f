"""MEX: the row solver against SciPy, the objective against an independent evaluation,
the ascent against brute force and random models, the eta limits, regret on RiverSwim."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy.optimize import minimize

from rlcore import FiniteMDP
from rlcore.generators import combination_lock, random_mdp, river_swim
from tabular import backward_induction
from tabular.exploration import UCBVI, OnlineLearner, explore
from tabular.exploration.linear_mex import LinearMEX
from tabular.exploration.mex import MEX, mex_row_argmax, mex_theoretical_eta
from tabular.lsvi import lsvi_plan
from tabular.testing.online import check_online_learner


def _feed(learner: MEX, rng: np.random.Generator, n_episodes: int) -> None:
    """Random episodes (uniform states, actions and rewards in [0, 1])."""
    S, A, H = learner.n_states, learner.n_actions, learner.horizon
    for _ in range(n_episodes):
        learner.end_episode(rng.integers(0, S, H + 1), rng.integers(0, A, H), rng.random(H))


def _row_value(g, cnt, eta, p):
    pos = cnt > 0
    with np.errstate(divide="ignore"):
        return float(g @ p + eta * np.sum(cnt[pos] * np.log(p[pos])))


def _scipy_row(g, cnt, eta, rng):
    """Best of several SLSQP runs on the simplex (a general-purpose second solver)."""
    n = g.shape[0]
    pos = cnt > 0

    def f(p):
        return -(g @ p + eta * np.sum(cnt[pos] * np.log(np.maximum(p[pos], 1e-300))))

    best = None
    for _ in range(6):
        r = minimize(
            f,
            rng.dirichlet(np.ones(n)),
            method="SLSQP",
            bounds=[(1e-12, 1.0)] * n,
            constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1.0}],
            options={"ftol": 1e-15, "maxiter": 1000},
        )
        if best is None or r.fun < best.fun:
            best = r
    q = np.clip(best.x, 0.0, None)
    return q / q.sum()  # SLSQP meets the equality only to ~1e-12: project back onto the simplex


def test_row_argmax_matches_scipy():
    """The dual/Newton row solution is feasible and at least as good as SLSQP's, and equal to it.

    Instances include next states never observed whose value exceeds the dual multiplier
    (they must receive the leftover mass) and rows without counts (a vertex).
    """
    rng = np.random.default_rng(0)
    for i in range(40):
        n = int(rng.integers(2, 7))
        g = rng.normal(size=n) * rng.choice([0.1, 1.0, 10.0])
        cnt = rng.integers(0, 5, size=n).astype(float)
        if i % 4 == 0:  # an unobserved next state with a large value
            j = int(rng.integers(n))
            cnt[j] = 0.0
            g[j] = g.max() + 5.0
        if cnt.sum() == 0:
            cnt[0] = 1.0
        eta = float(rng.choice([0.05, 0.5, 3.0]))
        p = mex_row_argmax(g, cnt, eta)
        assert p.min() >= 0.0 and abs(p.sum() - 1.0) < 1e-12
        q = _scipy_row(g, cnt, eta, rng)
        assert _row_value(g, cnt, eta, p) >= _row_value(g, cnt, eta, q) - 1e-9
        np.testing.assert_allclose(p, q, atol=2e-5)
        # KKT: one multiplier eta N_i / p_i + g_i on the support, above g off the support
        pos = cnt > 0
        lam = g[pos] + eta * cnt[pos] / p[pos]
        np.testing.assert_allclose(lam, lam[0], rtol=1e-12)
        assert np.all(g[p == 0] <= lam[0] + 1e-12)
    # closed forms: zero g gives the empirical distribution; no counts gives the argmax vertex
    np.testing.assert_allclose(mex_row_argmax(np.zeros(3), np.array([1.0, 3.0, 0.0]), 2.0), [0.25, 0.75, 0.0])
    assert mex_row_argmax(np.array([0.0, 2.0, 1.0]), np.zeros(3), 1.0).tolist() == [0.0, 1.0, 0.0]


def _numpy_objective(learner: MEX, P, R):
    """J written independently: tabular.backward_induction plus a NumPy log-likelihood ratio."""
    H = learner.horizon
    Hs = learner.N.shape[0]
    rho = learner.N0 / learner.N0.sum()
    mdp = FiniteMDP(P if Hs > 1 else P[0], R if Hs > 1 else R[0], horizon=H, initial=rho)
    v = float(rho @ backward_induction(mdp).V[0])
    n = learner.N[..., None]
    obs = learner.Nsas > 0
    phat = np.divide(learner.Nsas, n, out=np.ones_like(P), where=n > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        llr = np.sum(np.where(obs, learner.Nsas * (np.log(np.where(obs, P, 1.0)) - np.log(phat)), 0.0))
    x, y, m = learner.Rsum, learner.N - learner.Rsum, learner.N > 0
    rhat = np.divide(x, learner.N, out=np.full_like(x, 0.5), where=m)
    llr += np.sum(np.where(m & (x > 0), x * (np.log(np.where(m, R, 0.5)) - np.log(np.where(x > 0, rhat, 1.0))), 0.0))
    llr += np.sum(
        np.where(m & (y > 0), y * (np.log(np.where(m, 1 - R, 0.5)) - np.log(np.where(y > 0, 1 - rhat, 1.0))), 0.0)
    )
    return v + learner.eta * llr


@pytest.mark.parametrize("stage_dependent", [False, True])
def test_objective_matches_independent_evaluation(stage_dependent):
    rng = np.random.default_rng(1)
    S, A, H = 4, 3, 5
    learner = MEX(S, A, H, eta=0.7, stage_dependent=stage_dependent)
    _feed(learner, rng, 6)
    Hs = H if stage_dependent else 1
    for _ in range(10):
        P = rng.dirichlet(np.ones(S), size=(Hs, S, A))
        R = rng.uniform(0.01, 0.99, size=(Hs, S, A))
        assert learner.objective(P, R) == pytest.approx(_numpy_objective(learner, P, R), rel=1e-12, abs=1e-10)
    # a model that forbids an observed transition has J = -inf
    P = rng.dirichlet(np.ones(S), size=(Hs, S, A))
    h, s, a, s2 = map(int, np.argwhere(learner.Nsas > 0)[0])
    P[h, s, a] = 0.0
    P[h, s, a, (s2 + 1) % S] = 1.0
    assert learner.objective(P, R) == -np.inf


@pytest.mark.parametrize("stage_dependent", [False, True])
@pytest.mark.parametrize("rewards", ["likelihood", "empirical"])
def test_ascent_is_monotone_and_beats_starts_and_random_models(stage_dependent, rewards):
    """J never decreases along the ascent; the result beats both starts and 300 random feasible models."""
    rng = np.random.default_rng(2)
    S, A, H = 4, 2, 4
    Hs = H if stage_dependent else 1
    for trial in range(4):
        learner = MEX(
            S, A, H, eta=float([0.1, 0.5, 2.0, 10.0][trial]), rewards=rewards, stage_dependent=stage_dependent
        )
        _feed(learner, rng, int(rng.integers(1, 12)))
        best = learner.solve()
        assert best.objective == pytest.approx(learner.objective(best.P, best.R), rel=1e-12, abs=1e-12)
        for start in ("mle", "optimistic"):
            sol = learner.solve(start)
            assert np.all(np.diff(sol.trace) > 0.0)
            assert sol.trace[0] <= sol.objective and best.objective >= sol.objective
        # the maximum-likelihood model itself
        n = learner.N[..., None]
        P_mle = np.divide(learner.Nsas, n, out=np.full_like(learner.Nsas, 1.0 / S), where=n > 0)
        R_mle = np.divide(learner.Rsum, learner.N, out=np.zeros_like(learner.Rsum), where=learner.N > 0)
        assert best.objective >= learner.objective(P_mle, R_mle)
        # random feasible models: Dirichlet draws mixed with the MLE
        for _ in range(300):
            lam = rng.random()
            P = lam * P_mle + (1 - lam) * rng.dirichlet(np.full(S, 0.5), size=(Hs, S, A))
            R = lam * R_mle + (1 - lam) * rng.random((Hs, S, A))
            assert best.objective >= learner.objective(P, R)
        # the returned policy is optimal in the returned model
        mdp = FiniteMDP(best.P if Hs > 1 else best.P[0], best.R if Hs > 1 else best.R[0], horizon=H)
        np.testing.assert_allclose(best.values, backward_induction(mdp).V[0], rtol=1e-12, atol=1e-12)


def test_brute_force_global_maximum_on_tiny_instances():
    """S = A = 2, H = 3, fixed rewards: the objective on a 25**4 grid of all models never beats the solver.

    (J is not concave, so this is evidence, not a proof, that the two starts reach the
    global maximum on small problems.)
    """
    rng = np.random.default_rng(3)
    S, A, H = 2, 2, 3
    grid = np.linspace(1e-3, 1 - 1e-3, 25)
    X = np.stack(np.meshgrid(grid, grid, grid, grid, indexing="ij"), -1).reshape(-1, S, A)
    P = np.stack([1 - X, X], axis=-1)  # (M, S, A, S)
    for _ in range(8):
        learner = MEX(S, A, H, eta=float(rng.choice([0.05, 0.3, 1.0])), rewards="empirical")
        _feed(learner, rng, int(rng.integers(1, 6)))
        sol = learner.solve()
        R = np.where(learner.N[0] > 0, learner.Rsum[0] / np.maximum(learner.N[0], 1), 1.0)
        V = np.zeros((P.shape[0], S))
        for _t in range(H):
            V = (R[None] + np.einsum("msaj,mj->msa", P, V)).max(axis=-1)
        n = learner.N[0][..., None]
        obs = learner.Nsas[0] > 0
        phat = np.where(obs, learner.Nsas[0] / np.maximum(n, 1), 1.0)
        llr = np.sum(np.where(obs[None], learner.Nsas[0][None] * np.log(P / phat[None]), 0.0), axis=(1, 2, 3))
        J = V @ learner.rho_hat + learner.eta * llr
        assert sol.objective >= J.max() - 1e-12


@pytest.mark.parametrize("stage_dependent", [False, True])
def test_large_eta_is_certainty_equivalence(stage_dependent):
    """eta -> infinity: MEX plays the greedy policy of the empirical model (every pair visited)."""
    rng = np.random.default_rng(4)
    S, A, H = 4, 3, 5
    learner = MEX(S, A, H, eta=1e9, stage_dependent=stage_dependent)
    _feed(learner, rng, 400)
    assert learner.N.min() > 0
    sol = learner.solve()
    P_hat = learner.Nsas / learner.N[..., None]
    R_hat = learner.Rsum / learner.N
    Hs = learner.N.shape[0]
    ce = backward_induction(FiniteMDP(P_hat if Hs > 1 else P_hat[0], R_hat if Hs > 1 else R_hat[0], horizon=H))
    assert np.array_equal(sol.policy, ce.policy)
    np.testing.assert_allclose(sol.values, ce.V[0], atol=1e-5)
    # and a small eta is more optimistic than a large one on the same data
    small = MEX(S, A, H, eta=1e-3, stage_dependent=stage_dependent)
    _feed(small, np.random.default_rng(4), 400)
    assert learner.rho_hat @ sol.values < small.rho_hat @ small.solve().values


def test_regret_sublinear_on_riverswim_and_compared_with_ucbvi():
    """RiverSwim (6 states, H = 20), 8 seeded runs of 600 episodes.

    MEX(eta = 1) must (i) have a cumulative-regret log-log slope below 0.5 over the second
    half (sqrt(K) gives 0.5; it settles on the optimal policy, slope ~ 0), (ii) pay less
    per episode in the last tenth than in the first, (iii) play an optimal policy in all
    of the last 100 episodes in at least 7 of the 8 runs, and (iv) accumulate less regret than
    UCBVI-BF with the theory's constants on the same seeds (UCBVI is still exploring at
    K = 600; a comparison on this budget, not a general ranking).
    """
    H, K = 20, 600
    mdp = river_swim(6, horizon=H)
    res = explore(mdp, MEX(6, 2, H, eta=1.0), K, n_runs=8, rng=0)
    assert res.regret_slope(K // 2) < 0.5
    tenth = K // 10
    assert res.pseudo_regret[:, -tenth:].mean() < res.pseudo_regret[:, :tenth].mean()
    assert np.sum(res.pseudo_regret[:, -100:].max(axis=1) < 1e-9) >= 7
    ucb = explore(mdp, UCBVI(6, 2, H, bonus="bernstein"), K, n_runs=8, rng=0)
    assert res.cumulative_regret()[:, -1].mean() < ucb.cumulative_regret()[:, -1].mean()


@pytest.mark.parametrize(
    "kwargs", [{}, {"stage_dependent": True}, {"rewards": "empirical"}, {"eta": 0.05, "max_iter": 3}]
)
def test_compiled_and_python_paths_are_bit_identical(kwargs):
    mdp = random_mdp(4, 2, horizon=5, rng=5)
    a = explore(mdp, MEX(4, 2, 5, **kwargs), 60, n_runs=2, rng=1, engine="compiled")
    b = explore(mdp, MEX(4, 2, 5, **kwargs), 60, n_runs=2, rng=1, engine="python")
    for field in ("pseudo_regret", "returns", "value_estimates", "optimism_margins", "initial_states"):
        assert np.array_equal(getattr(a, field), getattr(b, field), equal_nan=True), field


def test_reproducible_by_seed_and_runs_independent():
    mdp = river_swim(4, horizon=6)
    a = explore(mdp, MEX(4, 2, 6), 50, n_runs=3, rng=9)
    b = explore(mdp, MEX(4, 2, 6), 50, n_runs=3, rng=9)
    assert np.array_equal(a.pseudo_regret, b.pseudo_regret) and np.array_equal(a.returns, b.returns)
    assert not np.array_equal(a.returns[0], a.returns[1])
    # reset forgets everything: the same learner object gives the same first plan again
    learner = MEX(4, 2, 6)
    first = learner.begin_episode(0, np.random.default_rng(0))
    _feed(learner, np.random.default_rng(0), 5)
    learner.reset()
    assert np.array_equal(learner.begin_episode(0, np.random.default_rng(0)), first)


@pytest.mark.parametrize("stage_dependent", [False, True])
def test_online_learner_contract(stage_dependent):
    """The library's contract suite: valid policies, seeds, the compiled twin, regret that falls."""
    check_online_learner(
        functools.partial(MEX, stage_dependent=stage_dependent), max_examples=3, n_seeds=8, n_episodes=300
    )


def test_no_bound_and_theoretical_eta():
    assert MEX(3, 2, 4).regret_bound(100) is None
    d, beta, H, K = 12.0, 3.5, 10, 10**4
    assert mex_theoretical_eta(d, beta, H, K) == pytest.approx((d / (beta * H * K)) ** 0.5)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"horizon": 0}, "horizon"),
        ({"eta": 0.0}, "eta"),
        ({"eta": -1.0}, "eta"),
        ({"rewards": "gaussian"}, "rewards"),
        ({"max_iter": -1}, "max_iter"),
        ({"stage_dependent": "yes"}, "stage_dependent"),
        ({"n_states": 10**4, "n_actions": 10**3}, "n_states"),
    ],
)
def test_bad_input_names_the_argument(kwargs, name):
    args = {"n_states": 3, "n_actions": 2, "horizon": 4, **kwargs}
    with pytest.raises((ValueError, TypeError), match=f"^{name}"):
        MEX(args.pop("n_states"), args.pop("n_actions"), args.pop("horizon"), **args)


def test_bad_model_and_row_input_names_the_argument():
    learner = MEX(3, 2, 4)
    with pytest.raises(ValueError, match="^P"):
        learner.objective(np.ones((3, 2, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="^P"):
        learner.objective(np.full((3, 2, 3), 0.5), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="^R"):
        learner.objective(np.full((3, 2, 3), 1 / 3), np.full((3, 2), 2.0))
    with pytest.raises(ValueError, match="^start"):
        learner.solve("warm")
    with pytest.raises(ValueError, match="^counts"):
        mex_row_argmax(np.zeros(2), np.array([1.0, -1.0]), 1.0)
    with pytest.raises(ValueError, match="^eta"):
        mex_row_argmax(np.zeros(2), np.ones(2), -1.0)
    with pytest.raises(ValueError, match="^d_gec"):
        mex_theoretical_eta(0.0, 1.0, 2, 3)


# ---------------------------------------------------------------------------------------
# Linear (model-free) MEX
# ---------------------------------------------------------------------------------------


def _linear_instance(seed: int, eta: float, n_episodes: int = 30, S: int = 5, A: int = 3, H: int = 4, d: int = 6):
    """A LinearMEX with random features and random episodes; also returns the raw transitions per step."""
    rng = np.random.default_rng(seed)
    phi = rng.normal(size=(S, A, d)) / np.sqrt(d)
    learner = LinearMEX(phi, H, eta=eta, ridge=0.5)
    data = [[] for _ in range(H)]
    for _ in range(n_episodes):
        st, ac, rw = rng.integers(0, S, H + 1), rng.integers(0, A, H), rng.random(H)
        learner.end_episode(st, ac, rw)
        for h in range(H):
            data[h].append((st[h], ac[h], rw[h], st[h + 1]))
    return learner, data


def _numpy_lsvi(learner: LinearMEX, data):
    """Ridge least-squares value iteration from the raw transitions (np.linalg.lstsq on the augmented system)."""
    H, d = learner.horizon, learner.dim
    phi = learner.features
    theta = np.zeros((H, d))
    V = np.zeros(learner.n_states)
    for h in range(H - 1, -1, -1):
        X = np.array([phi[s, a] for s, a, _, _ in data[h]])
        y = np.array([r + V[s2] for _, _, r, s2 in data[h]])
        Xa = np.vstack([X, np.sqrt(learner.ridge) * np.eye(d)])
        theta[h] = np.linalg.lstsq(Xa, np.concatenate([y, np.zeros(d)]), rcond=None)[0]
        V = np.clip((phi @ theta[h]).max(axis=1), 0.0, H - h)
    return theta


def test_linear_objective_identity():
    """The loss as the paper writes it (squared Bellman error minus its infimum over the class), from raw data."""
    learner, data = _linear_instance(10, eta=0.8)
    rng = np.random.default_rng(11)
    H, d, phi = learner.horizon, learner.dim, learner.features
    for _ in range(5):
        theta = rng.normal(size=(H, d))
        V = np.zeros((H + 1, learner.n_states))
        for h in range(H):
            V[h] = np.clip((phi @ theta[h]).max(axis=1), 0.0, H - h)
        loss = 0.0
        for h in range(H):
            X = np.array([phi[s, a] for s, a, _, _ in data[h]])
            y = np.array([r + V[h + 1, s2] for _, _, r, s2 in data[h]])
            Xa = np.vstack([X, np.sqrt(learner.ridge) * np.eye(d)])
            ya = np.concatenate([y, np.zeros(d)])
            best = np.linalg.lstsq(Xa, ya, rcond=None)[0]
            loss += np.sum((Xa @ theta[h] - ya) ** 2) - np.sum((Xa @ best - ya) ** 2)
        expected = learner.rho_hat @ V[0] - learner.eta * loss
        assert learner.objective(theta) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_linear_large_eta_is_least_squares_value_iteration():
    """eta -> infinity: the fit is ridge LSVI, by tabular.lsvi.lsvi_plan and by a NumPy lstsq recursion."""
    for seed in range(3):
        learner, data = _linear_instance(seed, eta=1e10)
        sol = learner.solve()
        lam, lam_inv, b, C = learner._stats()
        plan = lsvi_plan(learner.features, lam_inv, b, C, beta=0.0, sign=1)
        np.testing.assert_allclose(sol.theta, plan.weights, atol=1e-7)
        np.testing.assert_allclose(sol.theta, _numpy_lsvi(learner, data), atol=1e-7)
        # greedy in the least-squares Q (the planner clips before its argmax, so ties may differ)
        chosen = np.take_along_axis(plan.Q, sol.policy[..., None], axis=2)[..., 0]
        np.testing.assert_allclose(chosen, plan.Q.max(axis=2), atol=1e-7)


def test_linear_ascent_is_monotone_and_small_eta_is_optimistic():
    """F never decreases and ends at least at the least-squares fit's F; V_0 grows as eta falls, up to the clip H."""
    for seed in range(3):
        previous = -np.inf
        for eta in (1e3, 1.0, 0.1, 1e-6):
            learner, data = _linear_instance(seed, eta=eta)
            sol = learner.solve()
            assert np.all(np.diff(sol.trace) > 0.0)
            assert sol.objective == pytest.approx(learner.objective(sol.theta), rel=1e-12, abs=1e-12)
            assert sol.objective >= learner.objective(_numpy_lsvi(learner, data)) - 1e-9
            value = learner.rho_hat @ sol.values
            assert value >= previous - 1e-9
            previous = value
        assert previous == pytest.approx(learner.horizon, abs=1e-6)  # eta = 1e-6: maximal optimism


def test_linear_learner_follows_the_protocol_and_is_reproducible():
    phi = np.eye(8).reshape(4, 2, 8)
    learner = LinearMEX(phi, 5, eta=0.5)
    assert isinstance(learner, OnlineLearner)
    mdp = river_swim(4, horizon=5)
    a = explore(mdp, learner, 30, n_runs=2, rng=3)
    b = explore(mdp, LinearMEX(phi, 5, eta=0.5), 30, n_runs=2, rng=3)
    assert np.array_equal(a.pseudo_regret, b.pseudo_regret) and a.engine == "python"
    assert learner.regret_bound(10) is None
    check_online_learner(
        lambda S, A, H: LinearMEX(np.eye(S * A).reshape(S, A, S * A), H, eta=0.3),
        name="LinearMEX(one-hot)",
        max_examples=1,
        n_seeds=8,
        n_episodes=16,
        sublinear=False,
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        ((np.ones((3, 2)), 4), {}, "features"),
        ((np.ones((3, 2, 2)), 0), {}, "horizon"),
        ((np.ones((3, 2, 2)), 4), {"eta": 0.0}, "eta"),
        ((np.ones((3, 2, 2)), 4), {"ridge": 0.0}, "ridge"),
        ((np.full((3, 2, 2), np.nan), 4), {}, "features"),
    ],
)
def test_linear_bad_input_names_the_argument(args, kwargs, name):
    with pytest.raises((ValueError, TypeError), match=f"^{name}"):
        LinearMEX(*args, **kwargs)
    with pytest.raises(ValueError, match="^theta"):
        LinearMEX(np.ones((3, 2, 2)), 4).objective(np.zeros((4, 3)))


def test_a_state_that_ends_an_episode_is_worth_zero():
    """Combination lock (dead and open states terminal): MEX must value the dead end 0 and open the lock.

    Without marking the terminal states their rows are never observed, so every model
    keeps them at their optimistic value and the lock is never opened: measured before
    the fix, 300 regret over 300 episodes for both MEX and LinearMEX (1 per episode).
    With the fix: MEX 5 over 300 episodes, LinearMEX 13 over 300 (one-hot features).
    MEX on both engines bit-identical on this MDP (episodes of every length).
    """
    lock = combination_lock(4, 2, combination=[1, 0, 1, 1])
    S = lock.n_states
    learner = MEX(S, 2, 4)
    res = explore(lock, learner, 300, n_runs=2, rng=0)
    assert np.all(res.cumulative_regret()[:, -1] < 40)
    assert res.pseudo_regret[:, -100:].mean() < 0.05
    assert not learner.ended[:4].any() and learner.ended[4:].any()  # only the terminal states get marked
    np.testing.assert_array_equal(learner.value_estimate[learner.ended], 0.0)
    py = explore(lock, learner, 40, n_runs=2, rng=3, engine="python")
    co = explore(lock, learner, 40, n_runs=2, rng=3, engine="compiled")
    for f in ("pseudo_regret", "value_estimates", "initial_states"):
        assert np.array_equal(getattr(py, f), getattr(co, f)), f
    linear = LinearMEX(np.eye(2 * S).reshape(S, 2, 2 * S), 4)
    res = explore(lock, linear, 80, n_runs=1, rng=0)
    assert res.cumulative_regret()[0, -1] < 30
    assert res.pseudo_regret[0, -30:].mean() < 0.05
    assert linear.ended[4:].any() and np.all(linear.value_estimate[linear.ended] == 0.0)
