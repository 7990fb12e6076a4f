"""Optimistic Q-learning (Jin et al. 2018): optimism checked directly, regret against the
explicit bound, the updates against a plain-Python online re-implementation, the
learning-rate lemma the bound rests on, and the two engine paths."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from rlcore import FiniteMDP
from rlcore.generators import random_mdp, river_swim
from tabular.exploration import explore
from tabular.exploration.optimistic_q import OptimisticQLearning, optimistic_q_regret_bound

DELTA = 0.1
FIELDS = ("pseudo_regret", "returns", "value_estimates", "optimism_margins", "initial_states")


def _budget(n_runs: int, delta: float, p: float = 1e-3) -> int:
    """The largest failure count a Binomial(n_runs, delta) exceeds with probability below ``p``."""
    return int(stats.binom.ppf(1 - p, n_runs, delta))


def _with_terminal(H: int = 4) -> FiniteMDP:
    """A time-dependent random MDP whose last state is absorbing and terminal."""
    base = random_mdp(4, 2, horizon=H, time_dependent=True, rng=3)
    P = np.array(base.P, copy=True)
    R = np.array(base.R, copy=True)
    P[:, 3] = 0.0
    P[:, 3, :, 3] = 1.0
    R[:, 3] = 0.0
    return FiniteMDP(P, R, horizon=H, terminal=[False, False, False, True])


def _alphas(H: int, t: int) -> np.ndarray:
    """``alpha_t^i = alpha_i prod_{j=i+1}^t (1 - alpha_j)``, ``i = 1..t`` (Jin et al., eq. (4.1)), by direct products."""
    a = (H + 1.0) / (H + np.arange(1, t + 1))
    tail = np.ones(t)  # tail[i-1] = prod_{j=i+1}^t (1 - alpha_j), products taken from the end
    for i in range(t - 1, 0, -1):
        tail[i - 1] = tail[i] * (1.0 - a[i])
    return a * tail


@pytest.mark.parametrize("H", [1, 2, 5, 20])
def test_learning_rate_lemma(H):
    """Jin et al.'s Lemma 4.1, the facts the explicit bound's constants rest on."""
    for t in (1, 2, 3, 10, 57, 400):
        w = _alphas(H, t)
        i = np.arange(1, t + 1)
        assert w.sum() == pytest.approx(1.0, abs=1e-12)  # (a): weights sum to 1, alpha_t^0 = 0
        s = float(np.sum(w / np.sqrt(i)))
        assert 1 / math.sqrt(t) - 1e-12 <= s <= 2 / math.sqrt(t) + 1e-12  # (b)
        assert w.max() <= 2 * H / t + 1e-12 and np.sum(w**2) <= 2 * H / t + 1e-12  # (c)
    # (c): sum_{t >= i} alpha_t^i = 1 + 1/H, with alpha_t^i = alpha_{t-1}^i (1 - alpha_t) for t > i
    for i in (1, 3, 8):
        term = (H + 1.0) / (H + i)
        total = term
        for t in range(i + 1, 2 * 10**5):
            term *= 1.0 - (H + 1.0) / (H + t)
            total += term
            if term < 1e-18:
                break
        assert total == pytest.approx(1 + 1 / H, rel=1e-4)  # the tail beyond t = 2e5 is below 1e-5
        assert total <= 1 + 1 / H + 1e-12


class OnlineReference:
    """Jin et al.'s Algorithms 1 and 2 (and rlberry's bonus), step by step, in plain Python.

    Acts and updates *online* (after every step, as the paper writes it); the tested
    learner updates in forward order after the episode. Also records every bonus so
    that ``sum_i alpha_t^i b_i = beta_t / 2`` can be checked for the Bernstein bonus.
    """

    def __init__(self, S, A, H, bonus, c, c1, iota):
        self.S, self.A, self.H, self.bonus, self.c, self.c1, self.iota = S, A, H, bonus, c, c1, iota
        cap = [float(H - h) if bonus == "simplified_bernstein" else float(H) for h in range(H)]
        self.cap = cap
        self.Q = [[[cap[h]] * A for _ in range(S)] for h in range(H)]
        self.V = [[cap[h]] * S for h in range(H)] + [[0.0] * S]
        self.N = [[[0] * A for _ in range(S)] for _ in range(H)]
        self.mu = [[[0.0] * A for _ in range(S)] for _ in range(H)]
        self.sig = [[[0.0] * A for _ in range(S)] for _ in range(H)]
        self.beta = [[[0.0] * A for _ in range(S)] for _ in range(H)]
        self.bonuses: dict = {}

    def act(self, h, s):
        q = self.Q[h][s]
        return int(np.argmax(q))  # ties to the lowest action

    def update(self, h, s, a, r, s2, terminal):
        H = self.H
        nv = 0.0 if (h + 1 == H or terminal) else self.V[h + 1][s2]
        self.N[h][s][a] += 1
        t = self.N[h][s][a]
        alpha = (H + 1) / (H + t)
        if self.bonus == "hoeffding":
            b = self.c * math.sqrt(H**3 * self.iota / t)
        elif self.bonus == "bernstein":
            self.mu[h][s][a] += nv
            self.sig[h][s][a] += nv * nv
            W = max(self.sig[h][s][a] / t - (self.mu[h][s][a] / t) ** 2, 0.0)
            first = self.c1 * (
                math.sqrt(H / t * (W + H) * self.iota) + math.sqrt(H**7 * self.S * self.A) * self.iota / t
            )
            beta = min(first, 2 * self.c * math.sqrt(H**3 * self.iota / t))
            b = (beta - (1 - alpha) * self.beta[h][s][a]) / (2 * alpha)
            self.beta[h][s][a] = beta
        else:
            b = min(self.c / math.sqrt(t) + self.cap[h] / t, self.cap[h])
        self.bonuses.setdefault((h, s, a), []).append(b)
        self.Q[h][s][a] = (1 - alpha) * self.Q[h][s][a] + alpha * (r + nv + b)
        self.V[h][s] = min(self.cap[h], max(self.Q[h][s]))


@pytest.mark.parametrize("bonus", ["hoeffding", "bernstein", "simplified_bernstein"])
@pytest.mark.parametrize("which", ["random", "terminal"])
def test_forward_order_update_equals_online_update(bonus, which):
    """Online, step-by-step Q-learning (the paper's order) and the learner's end-of-episode
    forward pass see the same trajectories and end with the same tables."""
    mdp = random_mdp(3, 2, horizon=4, rng=5) if which == "random" else _with_terminal()
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    K, c, c1 = 60, (1.0 if bonus != "simplified_bernstein" else 0.7), 1e-3  # small c1: the Bernstein branch acts
    learner = OptimisticQLearning(S, A, H, bonus=bonus, c=c, c1=c1, n_episodes=K, delta=DELTA)
    iota = math.log(3 * S * A * H * K / DELTA)
    ref = OnlineReference(S, A, H, bonus, c, c1, iota)
    g1, g2 = np.random.default_rng(11), np.random.default_rng(11)
    cut = 0
    for k in range(K):
        # the learner: plan, play the whole episode, then update
        policy = learner.begin_episode(k, g1)
        s = int(mdp.reset(1, g1)[0])
        st, ac, rw = [s], [], []
        for t in range(H):
            a = int(policy[t, s])
            nxt, r, term = mdp.step(np.array([s]), np.array([a]), g1, t=t)
            s = int(nxt[0])
            st.append(s), ac.append(a), rw.append(float(r[0]))
            if term[0]:
                break
        learner.end_episode(np.array(st), np.array(ac), np.array(rw))
        cut += len(ac) < H
        # the reference: act and update after every step
        s = int(mdp.reset(1, g2)[0])
        for t in range(H):
            a = ref.act(t, s)
            nxt, r, term = mdp.step(np.array([s]), np.array([a]), g2, t=t)
            ref.update(t, s, a, float(r[0]), int(nxt[0]), bool(term[0]))
            s = int(nxt[0])
            if term[0]:
                break
    np.testing.assert_array_equal(learner.N, np.array(ref.N))
    np.testing.assert_allclose(learner.Q, np.array(ref.Q), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(learner.V, np.array(ref.V), rtol=1e-13, atol=1e-12)
    if which == "terminal":
        assert cut > 0  # episodes were cut short by the terminal state
    if bonus == "bernstein":  # sum_i alpha_t^i b_i = beta_t / 2 (the design of Algorithm 2's bonus)
        used_first = 0
        for (h, s, a), bs in ref.bonuses.items():
            t = len(bs)
            lhs = float(np.dot(_alphas(H, t), bs))
            assert lhs == pytest.approx(ref.beta[h][s][a] / 2, rel=1e-10, abs=1e-10)
            used_first += ref.beta[h][s][a] < 2 * c * math.sqrt(H**3 * iota / t) - 1e-12
        assert used_first > 0  # the variance branch was active somewhere


def test_hoeffding_step_sizes_and_bonus_on_a_hand_made_trajectory():
    """Two episodes fed by hand; the expected tables written from Algorithm 1's formulas."""
    S, A, H, K = 2, 2, 2, 10
    learner = OptimisticQLearning(S, A, H, n_episodes=K, delta=DELTA)
    iota = math.log(3 * S * A * H * K / DELTA)
    b = lambda t: math.sqrt(H**3 * iota / t)  # noqa: E731
    st, ac, rw = np.array([0, 1, 0]), np.array([1, 0]), np.array([0.5, 1.0])
    learner.end_episode(st, ac, rw)
    # h = 0: t = 1, alpha = 1, target 0.5 + V[1, 1] (still H = 2) + b(1)
    q01 = 0.5 + 2.0 + b(1)
    # h = 1: t = 1, alpha = 1, target 1.0 + 0 (last step) + b(1)
    q10 = 1.0 + b(1)
    assert learner.Q[0, 0, 1] == pytest.approx(q01, rel=1e-15)
    assert learner.Q[1, 1, 0] == pytest.approx(q10, rel=1e-15)
    assert learner.V[1, 1] == 2.0 and learner.V[0, 0] == 2.0  # V = min(H, max_a Q)
    learner.end_episode(st, ac, rw)
    alpha2 = (H + 1) / (H + 2)  # 3/4
    assert learner.Q[0, 0, 1] == pytest.approx((1 - alpha2) * q01 + alpha2 * (0.5 + 2.0 + b(2)), rel=1e-15)
    assert learner.Q[1, 1, 0] == pytest.approx((1 - alpha2) * q10 + alpha2 * (1.0 + b(2)), rel=1e-15)
    assert learner.N[0, 0, 1] == 2 and learner.N[1, 1, 0] == 2 and learner.N.sum() == 4
    policy = learner.begin_episode(2, np.random.default_rng(0))
    assert policy[0, 0] == 1 and policy[1, 1] == 0 and policy[0, 1] == 0  # greedy, ties to action 0
    np.testing.assert_array_equal(learner.value_estimate, [2.0, 2.0])


@pytest.mark.parametrize("bonus", ["hoeffding", "bernstein"])
@pytest.mark.parametrize("which", ["river_swim", "random"])
def test_optimism_in_every_episode(bonus, which):
    """With c = 1, Q^k >= Q* on an event of probability >= 1 - delta/3, so V^k_0 >= V*_0 in every state and episode.

    Over 30 seeded runs a run fails when any episode's margin is negative; failures must
    stay within the budget of Binomial(30, delta) at level 1e-3 (delta, not delta/3:
    for the Bernstein bonus the paper does not give the constant).
    """
    mdp = river_swim(5, horizon=6) if which == "river_swim" else random_mdp(3, 2, horizon=4, rng=7)
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    K = 1000
    res = explore(mdp, OptimisticQLearning(S, A, H, bonus=bonus, delta=DELTA, n_episodes=K), K, n_runs=30, rng=3)
    assert not np.any(np.isnan(res.optimism_margins))
    failures = int(np.sum(np.any(res.optimism_margins < 0, axis=1)))
    assert failures <= _budget(30, DELTA)


def test_the_optimism_check_can_fail():
    """Without a bonus (c = 0) the same measurement finds V^k_0 < V*_0 in most runs."""
    mdp = random_mdp(3, 2, horizon=4, rng=7)
    res = explore(mdp, OptimisticQLearning(3, 2, 4, c=0.0, n_episodes=500), 500, n_runs=10, rng=3)
    assert np.sum(np.any(res.optimism_margins < 0, axis=1)) >= 5


@pytest.mark.parametrize(
    ("bonus", "shape", "max_slope"), [("hoeffding", (2, 2, 2), 0.5), ("bernstein", (3, 2, 2), 0.5)]
)
def test_regret_below_bound_and_sublinear(bonus, shape, max_slope):
    """Pseudo-regret below the explicit bound (non-trivial here: below K H), and bending."""
    S, A, H = shape
    K = 100_000
    mdp = random_mdp(S, A, horizon=H, rng=1)
    res = explore(mdp, OptimisticQLearning(S, A, H, bonus=bonus, delta=DELTA, n_episodes=K), K, n_runs=4, rng=0)
    assert res.bound is not None and res.bound[-1] < 0.8 * K * H  # the bound has teeth
    cum = res.cumulative_regret()
    # the theorem holds with probability 1 - delta per run; 4 runs: at most 2 may fail (P < 0.004)
    assert np.sum(np.any(cum > res.bound, axis=1)) <= 2
    slope = res.regret_slope(K // 2)
    assert 0.0 < slope < max_slope
    tenth = K // 10
    assert res.pseudo_regret[:, -tenth:].mean() < 0.2 * res.pseudo_regret[:, :tenth].mean()


def test_bound_closed_form_and_learner_vectorised():
    # H = 1: weights w = [1], W = W2 = 1
    S, A, k, d, c = 3, 4, 10**5, 0.05, 1.5
    iota = math.log(3 * S * A * 1 * k / d)
    expected = S * A + 2 * (1 + 2 * c) * math.sqrt(S * A * k * iota) + math.sqrt(k * 2 * math.log(3 / d) / 2)
    assert optimistic_q_regret_bound(S, A, 1, k, d, c=c) == pytest.approx(expected, rel=1e-14)
    assert optimistic_q_regret_bound(S, A, 1, k, d, c=c, bonus="bernstein") == pytest.approx(
        expected - 2 * c * math.sqrt(S * A * k * iota), rel=1e-14
    )
    # H = 2: w = [1, 3/2], W = 5/2, W2 = 13/4; planned budget fixes iota
    H, K, k = 2, 2 * 10**6, 10**6
    iota = math.log(3 * S * A * H * K / d)
    expected = (
        2.5 * S * A * H
        + 5 * 3 * math.sqrt(8 * S * A * k * iota)
        + 2 * math.sqrt(k * (1 + 13 / 4) * math.log(3 / d) / 2)
    )
    assert optimistic_q_regret_bound(S, A, H, k, d, planned_episodes=K) == pytest.approx(expected, rel=1e-14)
    # the trivial bound k H caps it; the learner's vectorised bounds equal the scalar ones
    assert optimistic_q_regret_bound(6, 2, 20, 2000, DELTA) == 2000 * 20
    learner = OptimisticQLearning(S, A, H, delta=d, n_episodes=300)
    scalar = [optimistic_q_regret_bound(S, A, H, j, d, planned_episodes=300) for j in range(1, 301)]
    np.testing.assert_allclose(learner.regret_bounds(300), scalar, rtol=1e-13)
    assert [learner.regret_bound(j) for j in (1, 150, 300)] == [scalar[0], scalar[149], scalar[299]]
    assert np.all(np.isnan(learner.regret_bounds(310)[300:]))  # past the planned budget


def test_learner_reports_no_bound_without_a_guarantee():
    assert OptimisticQLearning(3, 2, 4).regret_bound(10) is None  # anytime
    assert OptimisticQLearning(3, 2, 4, c=0.5, n_episodes=100).regret_bound(10) is None
    assert OptimisticQLearning(3, 2, 4, bonus="simplified_bernstein", n_episodes=100).regret_bound(10) is None
    assert OptimisticQLearning(3, 2, 4, n_episodes=100).regret_bound(101) is None
    assert OptimisticQLearning(3, 2, 4, n_episodes=100).regret_bound(100) == optimistic_q_regret_bound(
        3, 2, 4, 100, 0.1, planned_episodes=100
    )


@pytest.mark.parametrize("bonus", ["hoeffding", "bernstein", "simplified_bernstein"])
@pytest.mark.parametrize("which", ["river_swim", "terminal"])
def test_compiled_and_python_paths_are_bit_identical(bonus, which):
    mdp = river_swim(5, horizon=8) if which == "river_swim" else _with_terminal()
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    kw = {"bonus": bonus, "c": 0.3, "c1": 1e-3}
    a_l, b_l = OptimisticQLearning(S, A, H, **kw), OptimisticQLearning(S, A, H, **kw)  # anytime iota
    a = explore(mdp, a_l, 300, n_runs=3, rng=4, engine="compiled")
    b = explore(mdp, b_l, 300, n_runs=3, rng=4, engine="python")
    assert (a.engine, b.engine) == ("compiled", "python")
    for f in FIELDS:
        assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True), f
    for attr in ("Q", "V", "N", "value_estimate"):
        assert np.array_equal(getattr(a_l, attr), getattr(b_l, attr)), attr


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"horizon": 0}, "horizon"),
        ({"n_states": 2.5}, "n_states"),
        ({"delta": 0.0}, "delta"),
        ({"delta": 1.0}, "delta"),
        ({"bonus": "ucb"}, "bonus"),
        ({"c": -1.0}, "c"),
        ({"c1": float("nan")}, "c1"),
        ({"n_episodes": 0}, "n_episodes"),
        ({"n_states": 10**6, "n_actions": 10**3}, "n_states"),
    ],
)
def test_bad_input_names_the_argument(kwargs, name):
    args = {"n_states": 3, "n_actions": 2, "horizon": 4, **kwargs}
    with pytest.raises((ValueError, TypeError), match=f"^{name}"):
        OptimisticQLearning(args.pop("n_states"), args.pop("n_actions"), args.pop("horizon"), **args)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"c": 0.5}, "c"), ({"planned_episodes": 9}, "planned_episodes"), ({"bonus": "simplified_bernstein"}, "bonus")],
)
def test_bound_refuses_arguments_without_a_guarantee(kwargs, name):
    with pytest.raises(ValueError, match=f"^{name}"):
        optimistic_q_regret_bound(3, 2, 4, 10, 0.1, **kwargs)
