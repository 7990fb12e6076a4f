"""The baselines: epsilon-greedy Q-learning against backward induction and a direct
re-implementation, certainty equivalence against backward induction on the empirical
MDP, the documented draw order, and the two engine paths."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from rlcore import FiniteMDP
from rlcore.generators import random_mdp, river_swim
from tabular import backward_induction
from tabular.exploration import explore
from tabular.exploration.baselines import EpsilonGreedyQLearning, GreedyCertaintyEquivalence

FIELDS = ("pseudo_regret", "returns", "value_estimates", "optimism_margins", "initial_states")


def _with_terminal(H: int = 4) -> FiniteMDP:
    """A time-dependent random MDP whose last state is absorbing and terminal."""
    base = random_mdp(4, 2, horizon=H, time_dependent=True, rng=3)
    P = np.array(base.P, copy=True)
    R = np.array(base.R, copy=True)
    P[:, 3] = 0.0
    P[:, 3, :, 3] = 1.0
    R[:, 3] = 0.0
    return FiniteMDP(P, R, horizon=H, terminal=[False, False, False, True])


def _deterministic_mdp(S: int = 5, A: int = 3, H: int = 4, seed: int = 0) -> FiniteMDP:
    rng = np.random.default_rng(seed)
    P = np.zeros((S, A, S))
    P[np.arange(S)[:, None], np.arange(A)[None, :], rng.integers(0, S, size=(S, A))] = 1.0
    return FiniteMDP(P, rng.random((S, A)), horizon=H)


def test_epsilon_zero_unit_rate_learns_q_star_on_deterministic_mdp():
    """epsilon = 0, step size 1, Q initialised to H: every update is r + max Q[h+1], so Q
    stays above Q* and is exact along the greedy paths once they are learned."""
    mdp = _deterministic_mdp()
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    star = backward_induction(mdp)
    learner = EpsilonGreedyQLearning(S, A, H, epsilon=0.0, learning_rate=1.0, initial_q=float(H))
    res = explore(mdp, learner, 400, rng=1)
    Q = learner.Q
    assert np.all(Q >= star.Q - 1e-12)  # optimism is preserved by exact backups
    assert np.all(res.pseudo_regret[0, -50:] == 0.0)  # the greedy policy is optimal
    np.testing.assert_allclose(learner.value_estimate, star.V[0], rtol=0, atol=1e-12)
    # along the greedy path from every initial state, Q equals Q* exactly
    P = np.asarray(mdp.P)
    for s0 in range(S):
        s = s0
        for h in range(H):
            a = int(np.argmax(Q[h, s]))
            assert Q[h, s, a] == pytest.approx(star.V[h, s], abs=1e-12)
            s = int(np.argmax(P[s, a]))


def test_epsilon_greedy_draws_in_the_documented_order():
    """The policy equals a NumPy re-computation from a copy of the generator."""
    S, A, H, eps = 4, 3, 5, 0.4
    learner = EpsilonGreedyQLearning(S, A, H, epsilon=eps)
    learner.Q[:] = np.random.default_rng(2).random((H, S, A))
    learner.Q[1, 2] = 0.5  # a tie: to the lowest action
    gen = np.random.default_rng(7)
    twin = copy.deepcopy(gen)
    policy = learner.begin_episode(0, gen)
    expected = np.empty((H, S), np.int64)
    for h in range(H):
        for s in range(S):
            greedy = int(np.argmax(learner.Q[h, s]))
            expected[h, s] = int(twin.random() * A) if twin.random() < eps else greedy
    np.testing.assert_array_equal(policy, expected)
    assert gen.random() == twin.random()  # the same number of draws
    assert 0 < np.sum(policy != np.argmax(learner.Q, axis=2)) < H * S  # some, not all, explored


@pytest.mark.parametrize("learning_rate", ["jin", 0.3])
def test_q_learning_updates_against_direct_recomputation(learning_rate):
    """Episodes of the terminal MDP fed by hand; the expected table recomputed step by step."""
    mdp = _with_terminal()
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    learner = EpsilonGreedyQLearning(S, A, H, learning_rate=learning_rate, initial_q=0.25)
    Q = np.full((H, S, A), 0.25)
    N = np.zeros((H, S, A), np.int64)
    gen = np.random.default_rng(3)
    cut = 0
    for _ in range(80):
        pol = gen.integers(0, A, size=(H, S))
        s = int(mdp.reset(1, gen)[0])
        st, ac, rw, done = [s], [], [], False
        for t in range(H):
            a = int(pol[t, s])
            nxt, r, term = mdp.step(np.array([s]), np.array([a]), gen, t=t)
            st.append(int(nxt[0])), ac.append(a), rw.append(float(r[0]))
            s = int(nxt[0])
            if term[0]:
                done = True
                break
        cut += done
        learner.end_episode(np.array(st), np.array(ac), np.array(rw))
        for t in range(len(ac)):  # the reference: forward order, 0 after the horizon or a terminal state
            s, a, s2 = st[t], ac[t], st[t + 1]
            last = t == H - 1 or (done and t == len(ac) - 1)
            target = rw[t] + (0.0 if last else Q[t + 1, s2].max())
            N[t, s, a] += 1
            alpha = (H + 1) / (H + N[t, s, a]) if learning_rate == "jin" else learning_rate
            Q[t, s, a] += alpha * (target - Q[t, s, a])
    assert cut > 0
    np.testing.assert_array_equal(learner.N, N)
    np.testing.assert_allclose(learner.Q, Q, rtol=1e-14, atol=1e-14)


def _empirical_mdp(learner: GreedyCertaintyEquivalence) -> tuple[FiniteMDP, int]:
    """The empirical MDP as a FiniteMDP, with one extra state ``S`` that stands for the
    learner's default: an untried pair moves to it with reward 1 (optimistic default:
    then ``Q_h = 1 + (H - h - 1) = H - h``) or 0, and it keeps paying the same."""
    S, A, H = learner.n_states, learner.n_actions, learner.horizon
    r_def = 1.0 if learner.unvisited == "optimistic" else 0.0
    Hs = learner.N.shape[0]
    P = np.zeros((Hs, S + 1, A, S + 1))
    R = np.full((Hs, S + 1, A), r_def)
    n = learner.N
    seen = n > 0
    P[:, :S, :, :S] = np.where(seen[..., None], learner.Nsas / np.where(seen, n, 1.0)[..., None], 0.0)
    P[:, :S, :, S] = np.where(seen, 0.0, 1.0)
    P[:, S, :, S] = 1.0
    R[:, :S] = np.where(seen, learner.Rsum / np.where(seen, n, 1.0), r_def)
    if Hs == 1:
        return FiniteMDP(P[0], R[0], horizon=H), S
    return FiniteMDP(P, R, horizon=H), S


@pytest.mark.parametrize("unvisited", ["optimistic", "zero"])
@pytest.mark.parametrize("stage_dependent", [False, True])
def test_certainty_equivalence_plan_equals_backward_induction(unvisited, stage_dependent):
    mdp = random_mdp(4, 3, horizon=5, rng=4)
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    learner = GreedyCertaintyEquivalence(S, A, H, stage_dependent=stage_dependent, unvisited=unvisited)
    gen = np.random.default_rng(0)
    checked = 0
    for k in range(40):
        policy = learner.begin_episode(k, gen)
        emp, _ = _empirical_mdp(learner)
        plan = backward_induction(emp)
        np.testing.assert_allclose(learner.value_estimate, plan.V[0, :S], rtol=1e-12, atol=1e-12)
        # same greedy action wherever the best action is clear by more than rounding
        Qs = np.sort(plan.Q[:, :S], axis=2)
        clear = Qs[..., -1] - Qs[..., -2] > 1e-9
        assert np.array_equal(policy[clear], plan.policy[:, :S][clear])
        checked += int(clear.sum())
        s = int(mdp.reset(1, gen)[0])  # play a uniformly random policy: counts of every kind
        st, ac, rw = [s], [], []
        for t in range(H):
            a = int(gen.integers(0, A))
            nxt, r, _ = mdp.step(np.array([s]), np.array([a]), gen, t=t)
            st.append(int(nxt[0])), ac.append(a), rw.append(float(r[0]))
            s = int(nxt[0])
        learner.end_episode(np.array(st), np.array(ac), np.array(rw))
    assert checked > 40 * H * S // 2
    assert 0 < np.sum(learner.N == 0) or not stage_dependent  # untried pairs were part of the check


def test_certainty_equivalence_learns_terminal_states_are_worth_zero():
    mdp = _with_terminal()
    learner = GreedyCertaintyEquivalence(4, 2, 4)
    explore(mdp, learner, 200, rng=0)
    assert learner._dead.tolist() == [False, False, False, True]
    learner.begin_episode(0, np.random.default_rng(0))
    assert learner.value_estimate[3] == 0.0


@pytest.mark.parametrize(
    "make",
    [
        lambda S, A, H: EpsilonGreedyQLearning(S, A, H, epsilon=0.2),
        lambda S, A, H: EpsilonGreedyQLearning(S, A, H, epsilon=0.05, learning_rate=0.5, initial_q=1.0),
        lambda S, A, H: GreedyCertaintyEquivalence(S, A, H),
        lambda S, A, H: GreedyCertaintyEquivalence(S, A, H, stage_dependent=True, unvisited="zero"),
    ],
)
@pytest.mark.parametrize("which", ["river_swim", "terminal"])
def test_compiled_and_python_paths_are_bit_identical(make, which):
    mdp = river_swim(5, horizon=8) if which == "river_swim" else _with_terminal()
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    a_l, b_l = make(S, A, H), make(S, A, H)
    a = explore(mdp, a_l, 200, n_runs=3, rng=6, engine="compiled")
    b = explore(mdp, b_l, 200, n_runs=3, rng=6, engine="python")
    assert (a.engine, b.engine) == ("compiled", "python") and a.bound is None
    for f in FIELDS:
        assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True), f
    assert np.array_equal(a_l.value_estimate, b_l.value_estimate)


def test_greedy_baselines_can_get_stuck():
    """The point of the baselines: on RiverSwim greedy certainty equivalence (one sample per
    pair) locks onto swimming left in some runs, and epsilon-greedy never finds the far
    bank within 1000 episodes: their per-episode regret does not vanish."""
    mdp = river_swim(6, horizon=20)
    ce = explore(mdp, GreedyCertaintyEquivalence(6, 2, 20), 1000, n_runs=8, rng=0)
    stuck = ce.pseudo_regret[:, -100:].mean(axis=1) > 0.3
    assert 0 < stuck.sum() < 8
    eg = explore(mdp, EpsilonGreedyQLearning(6, 2, 20), 1000, n_runs=4, rng=0)
    assert eg.pseudo_regret[:, -100:].mean() > 0.3


@pytest.mark.parametrize(
    ("cls", "kwargs", "name"),
    [
        (EpsilonGreedyQLearning, {"epsilon": 1.5}, "epsilon"),
        (EpsilonGreedyQLearning, {"learning_rate": 0.0}, "learning_rate"),
        (EpsilonGreedyQLearning, {"learning_rate": "fast"}, "learning_rate"),
        (EpsilonGreedyQLearning, {"initial_q": float("inf")}, "initial_q"),
        (EpsilonGreedyQLearning, {"horizon": 0}, "horizon"),
        (GreedyCertaintyEquivalence, {"unvisited": "pessimistic"}, "unvisited"),
        (GreedyCertaintyEquivalence, {"stage_dependent": 1}, "stage_dependent"),
        (GreedyCertaintyEquivalence, {"n_states": 10**4, "n_actions": 10**3}, "n_states"),
    ],
)
def test_bad_input_names_the_argument(cls, kwargs, name):
    args = {"n_states": 3, "n_actions": 2, "horizon": 4, **kwargs}
    with pytest.raises((ValueError, TypeError), match=f"^{name}"):
        cls(args.pop("n_states"), args.pop("n_actions"), args.pop("horizon"), **args)
