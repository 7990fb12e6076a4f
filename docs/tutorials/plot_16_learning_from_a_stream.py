"""
Learning from a stream
======================

Deep RL usually learns from a replay buffer: each transition is stored and reused in
many minibatch updates, against a target network copied now and then. *Streaming* RL
learns the way classic TD learning does: from each transition once, in order, with
batch size one, no buffer and no target network, which is what a robot or any device
with little memory must do. Naively, deep networks trained that way are unstable.
Elsayed, Vasan and Mahmood (2024) make it work with a handful of ingredients, which
:mod:`tabular.deep.streaming` implements:

* **ObGD**: an eligibility-trace update whose step size shrinks so that one update
  cannot overshoot the target (the TD error on the updated sample keeps its sign);
* sparse initialisation, layer normalisation, and online normalisation of
  observations and rewards.

This tutorial checks the value learned from a stream against the exact value, compares
stream-Q(lambda) with DQN at equal steps where the optimum is known, and ends with the
full-budget CartPole runs recorded by the benchmark (stream-Q and stream-AC against DQN
and PPO at equal env steps).
"""

# %%
# Budget
# ------
# With ``RLREF_DOCS_QUICK=1`` (as in the test-suite) fewer seeds and steps run.

import json
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import tabular
from rlcore import evaluate_policy
from rlcore.generators import random_mdp
from rlcore.gym import as_gymnasium_env
from tabular import value_iteration
from tabular.deep import train_dqn, train_stream_q, train_stream_td, value_of

torch.set_num_threads(1)
QUICK = os.environ.get("RLREF_DOCS_QUICK") == "1"
SEEDS = range(2 if QUICK else 3)
STEPS = 1000 if QUICK else 3000

# %%
# A value learned from a stream, checked exactly
# ----------------------------------------------
# A random MDP (8 states, 3 actions, discount 0.9) presented through Gymnasium with
# one-hot observations. A fixed policy is followed; stream-TD(lambda) sees each
# transition once. Its value estimate is compared with :math:`V^\\pi`, computed exactly
# by :func:`rlcore.evaluate_policy`.

mdp = random_mdp(8, 3, branching=3, gamma=0.9, rng=3)
policy = np.array([0, 1, 2, 0, 1, 2, 0, 1])
v_pi = evaluate_policy(mdp, policy).V
res = train_stream_td(
    as_gymnasium_env(mdp, max_episode_steps=30),
    lambda obs: policy[obs],
    total_steps=STEPS,
    gamma=0.9,
    hidden_sizes=(32,),
    n_eval_episodes=1,
    rng=0,
)
v_hat = value_of(res.agent, np.arange(8))
print(
    f"max |V_stream - V^pi| = {np.abs(v_hat - v_pi).max():.3f} (V^pi ranges over [{v_pi.min():.2f}, {v_pi.max():.2f}])"
)
fig, ax = plt.subplots(figsize=(5, 2.8))
ax.plot(v_pi, "o-", label="exact V^pi")
ax.plot(v_hat, "s--", label=f"stream-TD after {STEPS} steps")
ax.set(xlabel="state", ylabel="value")
ax.legend()
fig.tight_layout()

# %%
# Control at equal steps
# ----------------------
# stream-Q(lambda) and DQN (with replay, a target network and one minibatch update per
# step) get the same number of environment steps on the same MDP; each final greedy
# policy is evaluated exactly. DQN reuses every transition many times; the stream learner
# sees each once.

v_star = mdp.initial @ value_iteration(mdp, epsilon=1e-10).V
gaps = {"stream-Q": [], "DQN": []}
for seed in SEEDS:
    env = as_gymnasium_env(mdp, max_episode_steps=30)
    sq = train_stream_q(env, total_steps=STEPS, gamma=0.9, exploration_fraction=0.3, n_eval_episodes=1, rng=seed)
    dq = train_dqn(
        env,
        total_steps=STEPS,
        gamma=0.9,
        learning_starts=200,
        train_freq=1,
        gradient_steps=1,
        target_update_interval=100,
        exploration_fraction=0.3,
        hidden_sizes=(64,),
        n_eval_episodes=1,
        rng=seed,
    )
    for name, r in (("stream-Q", sq), ("DQN", dq)):
        gaps[name].append(v_star - mdp.initial @ evaluate_policy(mdp, r.agent.policy_table()).V)
for name, g in gaps.items():
    print(f"{name:9s} gap to V*(rho) per seed: {np.round(g, 3).tolist()}")

# %%
# At equal env steps on this small MDP, DQN, which replays each transition in about one
# minibatch update per step (64 samples each), ends closer to the optimum than
# stream-Q, which uses each transition once; both are far better than random policies
# (0.5 to 3.5 below :math:`V^*(\rho)`). Per env step the stream learner does one
# forward and backward pass on one sample: far less computation for the data it sees.

# %%
# CartPole at equal env steps (recorded)
# --------------------------------------
# ``python -m benchmarks.bench_deep --suite stream --record`` trains stream-Q(lambda),
# stream-AC(lambda), DQN (HL-Gauss head) and PPO on CartPole-v1 for the same number of
# env steps. The curves are read from that record; the band is the spread over seeds.

DATA = Path(tabular.__file__).resolve().parent.parent / "benchmarks" / "data"
record = None
for path in sorted(DATA.glob("deep_stream_seeds*.json")):
    record = json.loads(path.read_text())
if record is None:
    print("no recorded run found: run python -m benchmarks.bench_deep --suite stream --record")
else:
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for label, runs in record["runs"].items():
        total = record["meta"][label]["steps"]
        grid = np.linspace(0, total, 51)
        curves = []
        for run in runs:
            steps, rets = np.asarray(run["curve_steps"]), np.asarray(run["curve_returns"])
            idx = np.searchsorted(steps, grid, side="right") - 1
            curves.append(np.where(idx >= 0, rets[np.maximum(idx, 0)], 0.0))
        curves = np.asarray(curves)
        ax.plot(grid, curves.mean(axis=0), label=label)
        ax.fill_between(grid, curves.min(axis=0), curves.max(axis=0), alpha=0.2)
    ax.set(xlabel="env steps", ylabel="training episode return", title="CartPole-v1 at equal env steps")
    ax.legend(fontsize=8)
    fig.tight_layout()
    for s in record["summary"]:
        print(
            f"{s['label']:18s} final return {s['return_mean']:6.1f} +- {s['return_sd']:5.1f}; "
            f"{s['sps_median']:6.0f} env steps/s"
        )

# %%
# In the recorded runs (50,000 env steps, 3 seeds), the two stream learners end near the
# task's maximum of 500 on average, without a replay buffer, a target network or a
# minibatch, and on 2 of 3 seeds at 475 or more; DQN and PPO, which reuse every
# transition many times, reach 500 on every seed. The throughput column is training
# env steps per second on one CPU thread: PPO's large batched updates are the cheapest
# per step, the stream learners do one small update per step.

# %%
# References
# ----------
# M. Elsayed, G. Vasan and A. R. Mahmood, "Streaming Deep Reinforcement Learning Finally
# Works", arXiv:2410.14606, 2024. R. S. Sutton and A. G. Barto, *Reinforcement
# Learning: An Introduction*, 2nd ed., 2018, Chapter 12 (eligibility traces).
