"""rlberry 0.6.0's side of ``benchmarks/bench_exploration.py``; runs in rlberry's own venv.

This script imports only rlberry and numpy (never ``rlcore``): it is run by
``benchmarks/bench_exploration.py`` with the interpreter of ``.venv-rlberry`` (see that
module for how to create the venv), as::

    .venv-rlberry/bin/python benchmarks/rlberry_exploration.py SPEC.json

``SPEC.json`` names an ``.npz`` file holding one finite-horizon MDP (``P`` (S, A, S),
``R`` (S, A), ``initial`` (S,), ``horizon``) and lists the agents, the number of episodes
``K``, the seeds and the checkpoints. The script prints one JSON object on its last
line of stdout.

What is measured, per agent and seed:

* **the policy in force each episode.** Every agent below plans before it acts and,
  within an episode, acts greedily on a table ``Q[h, s, :]`` fixed for that episode
  (UCBVI plans at the end of the previous episode; PSRL and RLSVI sample, then plan, at
  the start of the episode; OptQL updates ``Q_bar[h]`` at step ``h`` only, after it
  has acted at step ``h``). The environment's ``reset`` is wrapped: when the agent
  calls it, planning is done, and the snapshot ``argmax_a Q[h, s, a]`` (NumPy's
  ``argmax``, the agents' own tie-break) is the episode's policy (H, S). The wrapped
  ``step`` records the actions actually played, and the script checks that every one
  of them equals the snapshot (``mismatches`` counts those that do not).
* **exact pseudo-regret** ``rho . V*_0 - rho . V^{pi_k}_0`` of that policy, by backward
  induction on the true MDP (NumPy), and the realised regret
  ``rho . V*_0 - return_k`` (an unbiased estimate of the same expectation, so their
  means agree: an independent check of the snapshot).
* **speed**: one more, unwrapped ``agent.fit(K_time)`` after a warm-up fit of one
  episode on a fresh agent (rlberry's Numba backward induction compiles then, in every
  process: rlberry's ``numba_jit`` has no cache); ``episodes_per_s = K_time / time``,
  with the warm-up (``first_fit_s``) and the imports (``import_s``) reported apart.

LSVI-UCB (``rlberry/agents/linear/lsvi_ucb.py``) is run with one-hot features of
``(s, a)`` (tabular LSVI-UCB). As shipped it updates ``lambda_mat_inv`` after every
step and recomputes the bonus of the next action with it, so its policy changes within
an episode (it depends on the pairs already visited in the episode) and has no (H, S)
snapshot. Jin et al. (2020, Algorithm 1) fix ``Lambda`` for the whole episode; the
script therefore runs the agent with its acting bonus read from the inverse as it was
at the start of the episode (``_EpisodeFrozenLSVI``, a subclass that changes nothing
else: the same regression, the same bonuses, the same data), and reports the
as-shipped agent's speed separately.

RLSVI (``rlberry/agents/rlsvi/rlsvi.py``) as shipped draws its reward noise as
``noise_sa = rng.normal(R_hat, std_sa)`` (mean ``R_hat``, line 190) and plans with
``R_hat + noise_sa`` (lines 196, 205): the empirical reward is counted twice, a defect.
The agent ``RLSVI-fixed`` (``_ZeroMeanNoiseRLSVI``) is the same agent with that one
thing changed: its ``rng`` hands ``_run_episode`` a generator whose ``normal(loc,
scale)`` draws ``normal(0, scale)`` (same shape, same number of draws from the same
stream), so it plans with ``R_hat + N(0, std^2)``: Russo's (2019) reward perturbation,
everything else (pseudo-count, noise std, clip at ``H``, model) as shipped.

Every agent gets the environment with ``reward_range = (0, 1)``: rlberry's
``FiniteMDP`` sets ``reward_range = (R.min(), R.max())``, and its agents scale
their bonuses and clip their values with ``v_max[h] = (H - h) * (max - min)``; rewards
in [0, 1] is the assumption our learners make, so the range is set to it.
"""

from __future__ import annotations

import json
import logging
import sys
import time

_T0 = time.perf_counter()

import numpy as np  # noqa: E402
from rlberry.agents.features import FeatureMap  # noqa: E402
from rlberry.agents.linear import LSVIUCBAgent  # noqa: E402
from rlberry.agents.optql import OptQLAgent  # noqa: E402
from rlberry.agents.psrl import PSRLAgent  # noqa: E402
from rlberry.agents.rlsvi import RLSVIAgent  # noqa: E402
from rlberry.agents.ucbvi import UCBVIAgent  # noqa: E402
from rlberry.envs.finite import FiniteMDP  # noqa: E402

IMPORT_S = time.perf_counter() - _T0
logging.getLogger("rlberry_logger").setLevel(logging.WARNING)  # rlberry logs every episode at INFO

#: rlberry constructor arguments per agent (besides ``env``, ``horizon``, ``seeder``).
#: All are rlberry 0.6.0's defaults except ``gamma=1.0`` for LSVI-UCB (its default is
#: 0.99; 1.0 is the finite-horizon, undiscounted criterion that the other agents default
#: to) and LSVI-UCB's one-hot feature map.
SETTINGS = {
    "UCBVI": {
        "gamma": 1.0,
        "bonus_scale_factor": 1.0,
        "bonus_type": "simplified_bernstein",
        "reward_free": False,
        "stage_dependent": False,
        "real_time_dp": False,
    },
    "PSRL": {
        "gamma": 1.0,
        "scale_prior_reward": 1.0,
        "scale_prior_transition": None,  # rlberry: 1 / S
        "bernoullized_reward": True,
        "reward_free": False,
        "stage_dependent": False,
    },
    "RLSVI": {"gamma": 1.0, "scale_std_noise": 1.0, "reward_free": False, "stage_dependent": False},
    "RLSVI-fixed": {"gamma": 1.0, "scale_std_noise": 1.0, "reward_free": False, "stage_dependent": False},
    "OptQL": {
        "gamma": 1.0,
        "bonus_scale_factor": 1.0,
        "bonus_type": "simplified_bernstein",
        "add_bonus_after_update": False,
    },
    "LSVIUCB": {"gamma": 1.0, "bonus_scale_factor": 1.0, "reg_factor": 0.1},
}


class OneHotFeatures(FeatureMap):
    """``phi(s, a) = e_{s*A + a}`` in ``R^{S*A}``: LSVI-UCB on a tabular MDP."""

    def __init__(self, env):
        FeatureMap.__init__(self)
        self.n_actions = env.action_space.n
        self.shape = (env.observation_space.n * self.n_actions,)
        self._eye = np.eye(self.shape[0])

    def map(self, observation, action):
        return self._eye[observation * self.n_actions + action]


def one_hot_features(env):
    return OneHotFeatures(env)


class _EpisodeFrozenLSVI(LSVIUCBAgent):
    """rlberry's LSVI-UCB with the acting bonus read from ``Lambda^{-1}`` at the start of the
    episode (Jin et al. 2020, Algorithm 1), instead of the inverse updated after each step."""

    def run_episode(self):
        self._frozen_inv = self.lambda_mat_inv.copy()
        return LSVIUCBAgent.run_episode(self)

    def _optimistic_policy(self, observation, hh):
        current = self.lambda_mat_inv
        self.lambda_mat_inv = self._frozen_inv
        try:
            return LSVIUCBAgent._optimistic_policy(self, observation, hh)
        finally:
            self.lambda_mat_inv = current


class _ZeroMeanNormal:
    """A generator that draws ``normal(0, scale)`` where asked for ``normal(loc, scale)``."""

    def __init__(self, gen):
        self._gen = gen

    def normal(self, loc=0.0, scale=1.0, size=None):
        if size is None:
            size = np.broadcast(np.asarray(loc), np.asarray(scale)).shape
        return self._gen.normal(0.0, scale, size)

    def __getattr__(self, name):
        return getattr(self._gen, name)


class _ZeroMeanNoiseRLSVI(RLSVIAgent):
    """rlberry's RLSVI with its reward noise drawn with mean 0 (rlsvi.py:190 draws it with mean
    ``R_hat``, then plans with ``R_hat + noise``): nothing else changed."""

    @property
    def rng(self):
        return _ZeroMeanNormal(self.seeder.rng)


def make_env(P, R, initial):
    # rlberry's FiniteMDP asserts |row sum - 1| < 1e-15: renormalise (a change of ~1e-16)
    P = P / P.sum(axis=-1, keepdims=True)
    env = FiniteMDP(R.copy(), P, initial_state_distribution=initial / initial.sum())
    env.reward_range = (0.0, 1.0)
    return env


def make_agent(name, env, horizon, seed, frozen_lsvi=True):
    kw = dict(SETTINGS[name])
    if name == "UCBVI":
        return UCBVIAgent(env, horizon=horizon, seeder=seed, **kw)
    if name == "PSRL":
        return PSRLAgent(env, horizon=horizon, seeder=seed, **kw)
    if name == "RLSVI":
        return RLSVIAgent(env, horizon=horizon, seeder=seed, **kw)
    if name == "RLSVI-fixed":
        return _ZeroMeanNoiseRLSVI(env, horizon=horizon, seeder=seed, **kw)
    if name == "OptQL":
        return OptQLAgent(env, horizon=horizon, seeder=seed, **kw)
    if name == "LSVIUCB":
        cls = _EpisodeFrozenLSVI if frozen_lsvi else LSVIUCBAgent
        return cls(env, horizon=horizon, feature_map_fn=one_hot_features, seeder=seed, **kw)
    raise ValueError(f"unknown agent {name!r}")


def greedy_policy(name, agent, horizon, S):
    """The (H, S) policy the agent will play this episode (called when it resets the env)."""
    if name == "OptQL":
        return agent.Q_bar.argmax(axis=-1)
    if name == "LSVIUCB":
        pol = np.empty((horizon, S), dtype=np.int64)
        for h in range(horizon):
            for s in range(S):
                pol[h, s] = agent._optimistic_policy(s, h)
        return pol
    return agent.Q.argmax(axis=-1)


def policy_values(P, R, policies):
    """``V^{pi_k}_0`` (K, S) of K deterministic Markov policies (K, H, S), by backward induction."""
    K, H, S = policies.shape
    V = np.zeros((K, S))
    for h in range(H - 1, -1, -1):
        Q = R[None] + np.einsum("sat,kt->ksa", P, V)
        V = np.take_along_axis(Q, policies[:, h, :, None], axis=2)[..., 0]
    return V


def optimal_values(P, R, horizon):
    V = np.zeros(P.shape[0])
    for _ in range(horizon):
        V = (R + P @ V).max(axis=1)
    return V


def run_hooked(name, P, R, initial, horizon, K, seed):
    """One run of ``K`` episodes; returns the per-episode policies, returns and mismatches."""
    S = P.shape[0]
    agent = make_agent(name, make_env(P, R, initial), horizon, seed)
    env = agent.env
    policies = np.empty((K, horizon, S), dtype=np.int64)
    returns = np.zeros(K)
    state = {"k": -1, "h": 0, "mismatches": 0}
    orig_reset, orig_step = env.reset, env.step

    def reset(*args, **kwargs):
        state["k"] += 1
        state["h"] = 0
        policies[state["k"]] = greedy_policy(name, agent, horizon, S)
        return orig_reset(*args, **kwargs)

    def step(action):
        k, h = state["k"], state["h"]
        if int(action) != policies[k, h, env.state]:
            state["mismatches"] += 1
        out = orig_step(action)
        returns[k] += out[1]
        state["h"] = h + 1
        return out

    env.reset = reset
    env.step = step
    if name == "LSVIUCB":
        agent.fit(K)
    else:
        for _ in range(K):
            agent._run_episode()
    if state["k"] != K - 1:
        raise RuntimeError(f"{name}: expected {K} episodes, saw {state['k'] + 1}")
    return policies, returns, state["mismatches"]


def time_fit(name, P, R, initial, horizon, K, seed, frozen_lsvi=True):
    """Seconds of a warm-up ``fit(1)`` on a fresh agent, then of an unwrapped ``fit(K)``."""
    warm = make_agent(name, make_env(P, R, initial), horizon, seed, frozen_lsvi)
    t0 = time.perf_counter()
    warm.fit(1)
    first = time.perf_counter() - t0
    agent = make_agent(name, make_env(P, R, initial), horizon, seed + 1, frozen_lsvi)
    t0 = time.perf_counter()
    agent.fit(K)
    return first, time.perf_counter() - t0


def main(argv):
    with open(argv[1], encoding="utf-8") as fh:
        spec = json.load(fh)
    data = np.load(spec["npz"])
    P, R, initial = data["P"], data["R"], data["initial"]
    horizon = int(data["horizon"])
    K = int(spec["episodes"])
    checkpoints = [int(c) for c in spec.get("checkpoints", [K])]
    vstar = optimal_values(P, R, horizon)
    vstar_rho = float(initial @ vstar)
    out = {
        "rlberry_version": __import__("rlberry").__version__.strip(),
        "numpy_version": np.__version__,
        "import_s": IMPORT_S,
        "vstar_rho": vstar_rho,
        "agents": {},
    }
    for name in spec["agents"]:
        timing = {}
        k_time = int(spec.get("time_episodes", 0))
        if k_time > 0:  # first, so that first_fit_s includes the Numba compilation
            first, fit_s = time_fit(name, P, R, initial, horizon, k_time, int(spec["seeds"][0]))
            timing.update(time_episodes=k_time, first_fit_s=first, fit_s=fit_s, episodes_per_s=k_time / fit_s)
            if name == "LSVIUCB":
                first, fit_s = time_fit(name, P, R, initial, horizon, k_time, int(spec["seeds"][0]), False)
                timing.update(shipped_first_fit_s=first, shipped_fit_s=fit_s, shipped_episodes_per_s=k_time / fit_s)
        per_seed = {"cum_pseudo_regret": {str(c): [] for c in checkpoints}, "cum_realised_regret": [], "mismatches": []}
        curve = np.zeros(K)
        loop_s = 0.0
        for seed in spec["seeds"]:
            t0 = time.perf_counter()
            policies, returns, mism = run_hooked(name, P, R, initial, horizon, K, int(seed))
            loop_s += time.perf_counter() - t0
            regret = vstar_rho - policy_values(P, R, policies) @ initial
            cum = np.cumsum(regret)
            curve += cum
            for c in checkpoints:
                per_seed["cum_pseudo_regret"][str(c)].append(float(cum[c - 1]))
            per_seed["cum_realised_regret"].append(float(K * vstar_rho - returns.sum()))
            per_seed["mismatches"].append(int(mism))
        entry = {
            "settings": SETTINGS[name],
            "seeds": [int(s) for s in spec["seeds"]],
            "episodes": K,
            "hooked_loop_s": loop_s,
            "mean_cum_curve_every": max(1, K // 20),
            "mean_cum_curve": (curve / len(spec["seeds"]))[max(1, K // 20) - 1 :: max(1, K // 20)].tolist(),
            **per_seed,
        }
        entry.update(timing)
        out["agents"][name] = entry
        print(f"rlberry {name}: done", file=sys.stderr, flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
