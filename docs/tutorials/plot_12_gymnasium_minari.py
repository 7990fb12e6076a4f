"""
Gymnasium and Minari: offline RL from a recorded dataset
========================================================

The library's MDPs are registered Gymnasium environments (``rlref/RiverSwim-v0`` and
friends, :mod:`rlcore.gym_registry`), and its datasets convert to and from
`Minari <https://minari.farama.org>`_, Farama's standard for offline-RL datasets. This
tutorial runs the whole offline pipeline through both:

1. make the registered environment with ``gymnasium.make``;
2. record a behaviour policy's episodes with Minari's own ``DataCollector`` and save
   them as a local Minari dataset (in a temporary directory: nothing is downloaded,
   nothing is left behind);
3. load the dataset back with ``minari.load_dataset`` and convert it to a
   :class:`rlcore.Dataset` (:func:`offline.minari.from_minari_dataset`);
4. learn pessimistic policies with :mod:`offline` and evaluate them *exactly* on the
   environment's MDP (:func:`rlcore.evaluate_policy`) against the optimum
   (:func:`tabular.value_iteration`);
5. the other direction: write a :class:`rlcore.Dataset` as a Minari dataset
   (:func:`offline.minari.to_minari_dataset`) that any Minari user can load.

It needs the optional ``minari`` extra (``pip install 'rlref[minari]'``); recording
with ``DataCollector`` also needs Minari's ``create`` extra (JAX).
"""

# %%
# A registered environment
# ------------------------
# Importing :mod:`rlcore` registers the ids. ``rlref/RiverSwim-v0`` is the 6-state
# RiverSwim of Strehl and Littman (2008): action 0 drifts left towards a small reward
# at the river bank, action 1 swims right against the current towards a large reward
# upstream, and :math:`\gamma = 0.95`. Episodes are cut after ``max_episode_steps``
# (``truncated``). The environment keeps its :class:`~rlcore.FiniteMDP` in
# ``env.unwrapped.sim``, so every policy learned below can be evaluated exactly.

import os
import tempfile
import warnings

import gymnasium
import matplotlib.pyplot as plt
import minari
import numpy as np

import offline
import rlcore
import tabular
from offline.minari import from_minari_dataset, to_minari_dataset

QUICK = os.environ.get("RLREF_DOCS_QUICK", "") not in ("", "0")
N_EPISODES = 60 if QUICK else 150
STEPS = 40

env = gymnasium.make("rlref/RiverSwim-v0", max_episode_steps=STEPS)
mdp = env.unwrapped.sim
S, A = mdp.n_states, mdp.n_actions
print(env.unwrapped)
print("observation space:", env.observation_space, " action space:", env.action_space)
print("initial distribution:", mdp.initial)

# %%
# Where the datasets live
# -----------------------
# Minari keeps its datasets under ``MINARI_DATASETS_PATH`` (default
# ``~/.minari/datasets``). Point it at a temporary directory for the run; it is removed,
# and the variable restored, at the end.

workdir = tempfile.TemporaryDirectory(prefix="rlref-minari-")
previous_root = os.environ.get("MINARI_DATASETS_PATH")
os.environ["MINARI_DATASETS_PATH"] = workdir.name

# %%
# Recording with Minari's DataCollector
# -------------------------------------
# ``minari.DataCollector`` wraps the environment and records every ``reset`` and
# ``step``. Two behaviour policies, each a fixed probability of swimming right in every
# state: a *near-expert* one (right with probability 0.8) and a *uniform* one (0.5).
# Each gets its own Minari dataset; episode seeds and action draws are fixed, so the
# page is reproducible.

BEHAVIOURS = {"near-expert": 0.8, "uniform": 0.5}


def record(name, p_right, seed):
    collector = minari.DataCollector(gymnasium.make("rlref/RiverSwim-v0", max_episode_steps=STEPS))
    rng = np.random.default_rng(seed)
    for episode in range(N_EPISODES):
        collector.reset(seed=seed * 10_000 + episode)
        done = False
        while not done:
            action = int(rng.random() < p_right)
            _, _, terminated, truncated, _ = collector.step(action)
            done = terminated or truncated
    dataset = collector.create_dataset(
        f"rlref/riverswim/{name}-v0",
        algorithm_name=f"swim right with probability {p_right}",
        author="rlref tutorial",
        author_email="rlref@example.invalid",
        code_permalink="docs/tutorials/plot_12_gymnasium_minari.py",
        description=f"{N_EPISODES} episodes of {STEPS} steps of RiverSwim",
        eval_env="rlref/RiverSwim-v0",
    )
    collector.close()
    return dataset


for seed, (name, p) in enumerate(BEHAVIOURS.items()):
    record(name, p, seed)
print(sorted(minari.list_local_datasets()))

# %%
# Loading with Minari, converting to a Dataset
# --------------------------------------------
# ``minari.load_dataset`` reads the files back; its episodes hold ``observations``
# (one more than steps: the last state is included), ``actions``, ``rewards``,
# ``terminations`` and ``truncations``. :func:`~offline.minari.from_minari_dataset`
# turns them into transitions ``(s, a, r, s')`` with episode ids and timesteps. It
# accepts ``Discrete`` spaces starting at 0 (tabular indices, what the tabular
# learners need) and ``Box`` spaces, and refuses the others.

loaded = {name: minari.load_dataset(f"rlref/riverswim/{name}-v0") for name in BEHAVIOURS}
first = loaded["uniform"][0]
print(loaded["uniform"].spec.env_spec.id, loaded["uniform"].total_episodes, loaded["uniform"].total_steps)
print("first episode, observations[:8]:", first.observations[:8], " actions[:8]:", first.actions[:8])

datasets = {name: from_minari_dataset(mds) for name, mds in loaded.items()}
for name, data in datasets.items():
    print(f"{name:>11}: {data}")

# %%
# Coverage: how often each state appears in each dataset. The optimal policy swims to
# the far end; the uniform behaviour rarely gets there.

fig, ax = plt.subplots(figsize=(6, 3.2))
width = 0.4
for i, (name, data) in enumerate(datasets.items()):
    counts = np.bincount(data.observations, minlength=S)
    ax.bar(np.arange(S) + (i - 0.5) * width, counts, width, label=name)
ax.set_yscale("log")
ax.set_xlabel("state (0 = river bank, 5 = upstream end)")
ax.set_ylabel("visits in the dataset")
ax.legend()
fig.tight_layout()

# %%
# Learning offline, evaluating exactly
# ------------------------------------
# Pessimistic value iteration (:func:`offline.pessimistic_value_iteration`, Hoeffding
# penalty ``c V_max sqrt(L / 2N(s, a))``) against the two baselines: plug-in planning
# in the empirical MDP and behaviour cloning. The reward range is inferred from the
# data (``r_max = 0.3``, RiverSwim's largest reward), so
# ``V_max = r_max / (1 - gamma) = 6``. With an effective horizon of 20 steps, the
# practitioner's ``c = 0.3`` of the :doc:`pessimism tutorial <plot_07_pessimism>`
# (where ``gamma = 0.8``) clips every value at 0 on datasets of this size; ``c = 0.05``
# is used instead. Each policy is evaluated exactly on the environment's MDP,
# :math:`V^\pi(\rho) = \sum_s \rho(s) V^\pi(s)`, against the optimal policy of
# :func:`tabular.value_iteration`. When every pessimistic value is clipped at 0 the
# learner certifies nothing and says so with a :class:`rlcore.VacuousResultWarning`;
# the table records it in its last column instead of printing the warning.

optimum = tabular.value_iteration(mdp, epsilon=1e-10)
v_star = float(mdp.initial @ rlcore.evaluate_policy(mdp, optimum.policy).V)

LEARNERS = {
    "LCB (Hoeffding, c=0.05)": lambda d: offline.pessimistic_value_iteration(d, S, A, gamma=mdp.gamma, c=0.05).policy,
    "plug-in": lambda d: offline.plug_in_policy(d, S, A, gamma=mdp.gamma).policy,
    "behaviour cloning": lambda d: offline.behavior_cloning(d, S, A),
}

print(f"optimal policy {optimum.policy}, V*(rho) = {v_star:.3f}\n")
print(f"{'dataset':>11}  {'learner':<25}{'policy':<16}{'V(rho)':>8}{'subopt.':>9}  vacuous")
for name, data in datasets.items():
    for learner, learn in LEARNERS.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", rlcore.VacuousResultWarning)
            policy = learn(data)
        vacuous = any(issubclass(w.category, rlcore.VacuousResultWarning) for w in caught)
        value = float(mdp.initial @ rlcore.evaluate_policy(mdp, policy).V)
        print(
            f"{name:>11}  {learner:<25}{str(policy):<16}{value:8.3f}{v_star - value:9.3f}  {'yes' if vacuous else ''}"
        )

# %%
# On the near-expert data every learner finds the optimal policy (swim right
# everywhere): the states the optimal policy visits are well covered, which is
# exactly what pessimism's guarantee asks for (a small single-policy concentrability
# :math:`C^*`). On the uniform data the upstream states are seen a few times only:
# every pessimistic value is clipped at 0 (vacuous), and the policy falls back to the
# most-logged action of each state, i.e. to behaviour cloning. Plug-in planning takes
# the few upstream samples at face value and swims up; RiverSwim's rewards are
# deterministic, so those samples do not mislead it here. Pessimism buys a guarantee
# under partial coverage of the optimal policy, not the best value on every dataset
# (see the :doc:`pessimism tutorial <plot_07_pessimism>` for noisy rewards, where
# plug-in pays for its trust). The certified :func:`offline.vi_lcb` splits the data
# across its :math:`\lceil \log N / (1 - \gamma) \rceil` iterations and needs far more
# episodes than recorded here.

# %%
# The other direction: a Dataset as a Minari dataset
# ---------------------------------------------------
# :func:`~offline.minari.to_minari_dataset` writes any :class:`rlcore.Dataset` (here a
# :func:`rlcore.rollout` of the optimal policy) with Minari's own writer,
# ``minari.create_dataset_from_buffers``. Minari loads it like any other dataset, and
# recovers the environment from the id recorded with it; reading it back gives the
# original dataset exactly (episode ids and metadata included).

expert = rlcore.rollout(mdp, optimum.policy, 5, max_steps=STEPS, rng=0)
written = to_minari_dataset(expert, "rlref/riverswim/optimal-v0", env="rlref/RiverSwim-v0", author="rlref tutorial")
again = minari.load_dataset("rlref/riverswim/optimal-v0")
print(again.total_episodes, again.total_steps, again.observation_space, again.action_space)
print(again.recover_environment().unwrapped)
print("exact round trip:", from_minari_dataset("rlref/riverswim/optimal-v0").equals(expert))

# %%
# Clean up: remove the temporary datasets root and restore the environment variable.

workdir.cleanup()
if previous_root is None:
    del os.environ["MINARI_DATASETS_PATH"]
else:
    os.environ["MINARI_DATASETS_PATH"] = previous_root
