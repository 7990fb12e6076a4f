"""Fitted-Q (RL) exercise policies: agree with LSMC on GBM within Monte Carlo error
(paired, on common test paths), never beat the lattice's Markov optimum beyond MC error
even with price history in the state (no look-ahead), and beat price-only LSMC on
autocorrelated returns where the last price is not a sufficient state."""

from __future__ import annotations

import numpy as np
import pytest

from finance_apps import (
    AutoregressiveGARCH,
    GeometricBrownianMotion,
    HistoryFeatures,
    Put,
    StoppingProblem,
    binomial_price,
    evaluate_exercise_policy,
    fitted_q_stopping,
    longstaff_schwartz,
)

DATES = np.arange(1, 11) / 10


@pytest.fixture(scope="module")
def gbm():
    prob = StoppingProblem.bermudan(Put(100.0), DATES, 0.05)
    model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid())
    exact = binomial_price(Put(100.0), 100.0, 0.2, 0.05, 1.0, 4000, exercise=DATES).price
    test = model.simulate(60_000, rng=12345)
    return prob, model, exact, test


class _CRRWalk:
    """The Cox-Ross-Rubinstein tree of ``binomial_price`` as a path model (``S u`` or ``S / u``)."""

    def __init__(self, spot, vol, rate, maturity, n_steps):
        self.spot, self.n_steps = spot, n_steps
        self.times = np.linspace(0.0, maturity, n_steps + 1)
        self.n_assets = 1
        dt = maturity / n_steps
        self.u = np.exp(vol * np.sqrt(dt))
        self.p = (np.exp(rate * dt) - 1 / self.u) / (self.u - 1 / self.u)

    def simulate(self, n_paths, rng=None):
        up = np.random.default_rng(rng).random((n_paths, self.n_steps)) < self.p
        m = np.cumsum(np.where(up, 1.0, -1.0), axis=1)
        return (self.spot * self.u ** np.concatenate([np.zeros((n_paths, 1)), m], axis=1))[:, :, None]

    def node(self, history, k):
        """(date index, number of up moves) of the last price of each path."""
        m = np.rint(np.log(history[:, -1, 0] / self.spot) / np.log(self.u)).astype(int)
        return np.column_stack([np.full(len(history), k), (m + k) // 2]).astype(float)


class _TabularMean:
    """Exact regression on a finite state space: the sample mean of the targets at each node."""

    def __init__(self, n_steps):
        self.width = n_steps + 1

    def _index(self, X):
        return X[:, 0].astype(int) * self.width + X[:, 1].astype(int)

    def fit(self, X, y, sample_weight=None):
        idx = self._index(X)
        size = self.width**2
        self.count = np.bincount(idx, minlength=size)
        total, squares = np.bincount(idx, y, minlength=size), np.bincount(idx, y * y, minlength=size)
        seen = np.maximum(self.count, 1)
        self.mean = total / seen
        self.se = np.sqrt(np.maximum(squares / seen - self.mean**2, 0.0) / seen)
        return self

    def predict(self, X):
        return self.mean[self._index(X)]


def test_fitted_q_with_exact_regression_is_exact_after_m_iterations():
    # The guarantee's setting: a finite state space (the CRR tree, simulated) and exact
    # regression (the mean at each node), so each iteration applies the empirical Bellman
    # operator. Then m iterations reach the fixed point (more change nothing, fewer do),
    # the continuation values are the tree's up to Monte Carlo error, and the policy's
    # value is the tree's American value.
    S0, K, vol, r, T, m = 100.0, 100.0, 0.2, 0.05, 1.0, 8
    model = _CRRWalk(S0, vol, r, T, m)
    prob = StoppingProblem.american(Put(K), T, r, n_steps=m)
    tree = binomial_price(Put(K), S0, vol, r, T, m).price

    def run(**kw):
        return fitted_q_stopping(
            prob,
            model,
            50_000,
            features=lambda h, k, t: model.node(h, k),
            regressor=_TabularMean(m),
            target="value",
            rng=0,
            **kw,
        )

    res = run(n_test_paths=200_000)
    assert res.iterations == m + 1  # one per exercise date (dates 0, T/m, ..., T)
    Q = res.policy.shared
    assert np.array_equal(run(n_iterations=m + 4, n_test_paths=None).policy.shared.mean, Q.mean)
    assert not np.array_equal(run(n_iterations=m - 3, n_test_paths=None).policy.shared.mean, Q.mean)
    # the tree's continuation values, by backward induction written out here
    u, p, disc = model.u, model.p, np.exp(-r * T / m)
    V = [max(K - S0 * u ** (2 * j - m), 0.0) for j in range(m + 1)]
    z = []
    for i in range(m - 1, -1, -1):
        cont = [disc * (p * V[j + 1] + (1 - p) * V[j]) for j in range(i + 1)]
        for j in range(i + 1):
            at = i * (m + 1) + j
            if Q.count[at] and Q.se[at] > 0:
                z.append((Q.mean[at] - cont[j]) / Q.se[at])
            elif Q.count[at]:  # a constant target: no noise at all
                assert Q.mean[at] == pytest.approx(cont[j], abs=1e-9)
        V = [max(c, K - S0 * u ** (2 * j - i)) for j, c in enumerate(cont)]
    # per-node standard errors ignore the noise carried over from later nodes: |z| observed
    # at most 3.1 over the 26 noisy nodes, so the bound is 5
    assert len(z) > 20 and max(np.abs(z)) < 5, np.round(z, 2)
    oos = res.out_of_sample
    assert V[0] == pytest.approx(tree, rel=1e-12)
    assert abs(oos.price - tree) < 3 * oos.stderr, (oos.price, tree, oos.stderr)


def test_fitted_q_agrees_with_lsmc_on_gbm(gbm):
    prob, model, exact, test = gbm
    lsmc = longstaff_schwartz(prob, model, 20_000, n_test_paths=None, rng=0).policy
    fq = fitted_q_stopping(prob, model, 20_000, features=HistoryFeatures(1, degree=3), n_test_paths=None, rng=0)
    assert fq.iterations == 10
    a = evaluate_exercise_policy(prob, model, lsmc, paths=test)
    b = evaluate_exercise_policy(prob, model, fq.policy, paths=test)
    diff = b.payoffs - a.payoffs
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    # both near-optimal: their values differ by at most 4 paired standard errors plus 0.04
    assert abs(diff.mean()) < 4 * se + 0.04, (a.price, b.price, se)
    assert b.price < exact + 3 * b.stderr


def test_history_policy_does_not_beat_markov_optimum(gbm):
    prob, model, exact, test = gbm
    # failure budget: 3 one-sided 3-sigma checks
    for kw in [
        dict(features=HistoryFeatures(3, degree=2)),
        dict(features=HistoryFeatures(3, degree=2), shared=False),
        dict(features=HistoryFeatures(5, degree=1)),
    ]:
        pol = fitted_q_stopping(prob, model, 10_000, n_test_paths=None, rng=1, **kw).policy
        v = evaluate_exercise_policy(prob, model, pol, paths=test)
        assert v.price < exact + 3 * v.stderr, (kw, v.price, exact)


def test_history_policy_in_sample_overfit_is_caught_out_of_sample(gbm):
    # the guard can fail: a policy judged on its own training paths *can* exceed the optimum
    prob, model, exact, _ = gbm
    res = longstaff_schwartz(
        prob, model, 300, features=HistoryFeatures(6, include_time=False, degree=2), n_test_paths=60_000, rng=3
    )
    assert res.out_of_sample is not None
    assert res.out_of_sample.price < exact + 3 * res.out_of_sample.stderr
    # 28 features on 300 paths: the in-sample estimate is optimistic (seen ~ +0.5 to +1.7)
    assert res.price_in_sample > res.out_of_sample.price + 0.3


@pytest.mark.slow
def test_history_helps_on_autocorrelated_returns():
    prob = StoppingProblem.bermudan(Put(100.0), DATES, 0.02)
    model = AutoregressiveGARCH(100.0, 0.0, 0.5, 0.03**2, 0.0, 0.0, prob.grid())
    test = model.simulate(50_000, rng=99)
    markov = longstaff_schwartz(prob, model, 10_000, n_test_paths=None, rng=0).policy
    hist = fitted_q_stopping(
        prob, model, 10_000, features=HistoryFeatures(2, degree=3), n_test_paths=None, rng=0
    ).policy
    a = evaluate_exercise_policy(prob, model, markov, paths=test)
    b = evaluate_exercise_policy(prob, model, hist, paths=test)
    diff = b.payoffs - a.payoffs
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert diff.mean() > 5 * se, (a.price, b.price, se)  # observed ~ +0.3 (30 se)


@pytest.mark.slow
def test_neural_fitted_q_with_torch_mlp(gbm):
    torch = pytest.importorskip("torch")
    from rlcore.deep import MLPRegressor

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny network: intra-op threads only contend (measured 60x slower on 2 busy cores)
    try:
        _neural_fitted_q(MLPRegressor)
    finally:
        torch.set_num_threads(threads)


def _neural_fitted_q(MLPRegressor):

    prob4 = StoppingProblem.bermudan(Put(100.0), np.arange(1, 5) / 4, 0.05)
    model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob4.grid())
    exact = binomial_price(Put(100.0), 100.0, 0.2, 0.05, 1.0, 2000, exercise=prob4.exercise_dates).price
    mlp = MLPRegressor(hidden_sizes=(16,), n_epochs=3, min_steps=0, batch_size=256, learning_rate=1e-2, rng=0)
    res = fitted_q_stopping(
        prob4, model, 4000, features=HistoryFeatures(2), regressor=mlp, n_iterations=4, n_test_paths=30_000, rng=0
    )
    v = res.out_of_sample
    assert v is not None
    assert v.price < exact + 3 * v.stderr and v.price > exact - 0.4, (v.price, exact)


def test_fitted_q_input_errors(gbm):
    prob, model, _, _ = gbm
    with pytest.raises(ValueError, match="n_iterations"):
        fitted_q_stopping(prob, model, 100, n_iterations=0)
    with pytest.raises(TypeError, match="shared"):
        fitted_q_stopping(prob, model, 100, shared="yes")
    with pytest.raises(ValueError, match="window"):
        HistoryFeatures(0)


def test_value_targets_also_work_and_per_date_cashflow_matches_lsmc_quality(gbm):
    prob, model, exact, test = gbm
    for kw in [dict(target="value"), dict(target="value", shared=False), dict(shared=False)]:
        pol = fitted_q_stopping(
            prob, model, 10_000, features=HistoryFeatures(1, degree=3), n_test_paths=None, rng=4, **kw
        ).policy
        v = evaluate_exercise_policy(prob, model, pol, paths=test)
        assert exact - 0.1 - 3 * v.stderr < v.price < exact + 3 * v.stderr, (kw, v.price, exact)
    with pytest.raises(ValueError, match="target"):
        fitted_q_stopping(prob, model, 100, target="q")
