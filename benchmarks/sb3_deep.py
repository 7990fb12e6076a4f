"""Stable-Baselines3's side of the deep-RL benchmark (DQN, PPO, SAC); runs in SB3's own venv.

This script imports only Stable-Baselines3, Gymnasium, NumPy and PyTorch (never
``rlcore``). It runs ONE training run and prints one JSON object on the last line of
stdout::

    .venv-sb3/bin/python benchmarks/sb3_deep.py --algo dqn|ppo|sac --seed N \\
        [--steps T] [--eval-episodes 10]

and, to gather the last lines of several such runs (log files) into the record
``benchmarks/data/sb3_deep.json`` with the versions, the CPU model (``lscpu``) and the
date::

    .venv-sb3/bin/python benchmarks/sb3_deep.py --merge LOG [LOG ...] \\
        --out benchmarks/data/sb3_deep.json

The venv (Python 3.11; the CPU build of torch first, because a bare ``torch`` from
PyPI pulls the CUDA libraries)::

    python3.11 -m venv .venv-sb3
    .venv-sb3/bin/pip install torch==2.13.0        # the +cpu wheel
    .venv-sb3/bin/pip install stable-baselines3    # 2.9.2, pulled gymnasium 1.4.0

which gave stable-baselines3 2.9.2, gymnasium 1.4.0, torch 2.13.0+cpu, numpy 2.4.6,
cloudpickle 3.1.3 (the versions actually used are written into every result).

Settings
--------
The hyper-parameters are rl-baselines3-zoo's (``hyperparams/dqn.yml``, ``ppo.yml``,
``sac.yml``; checked against the zoo's main branch at commit 22e3ff2, 2026-04-23; the
entries used here date from 2020 (DQN, PPO) and 2024 (SAC, gymnasium-1.0 update)). The
zoo's ``lin_X`` means ``progress_remaining * X`` (``rl_zoo3.utils.SimpleLinearSchedule``:
linear from ``X`` at the start to 0 at the end of training); every setting not listed
is SB3's default.

* **DQN, CartPole-v1**, 5e4 steps, 1 env: ``MlpPolicy`` with ``net_arch=[256, 256]``
  (ReLU), ``learning_rate=2.3e-3``, ``batch_size=64``, ``buffer_size=100000``,
  ``learning_starts=1000``, ``gamma=0.99``, ``target_update_interval=10``,
  ``train_freq=256``, ``gradient_steps=128``, ``exploration_fraction=0.16``,
  ``exploration_final_eps=0.04`` (defaults: Adam, Huber loss, ``tau=1.0`` (hard
  target copy), ``max_grad_norm=10``, ``exploration_initial_eps=1.0``).
* **PPO, CartPole-v1**, 1e5 steps, ``n_envs=8``: ``MlpPolicy`` (default: separate
  policy and value nets, ``[64, 64]``, tanh), ``n_steps=32``, ``batch_size=256``,
  ``gae_lambda=0.8``, ``gamma=0.98``, ``n_epochs=20``, ``ent_coef=0.0``,
  ``learning_rate`` linear from 1e-3 to 0, ``clip_range`` linear from 0.2 to 0
  (defaults: ``vf_coef=0.5``, ``max_grad_norm=0.5``, advantage normalisation on,
  no value clipping, Adam ``eps=1e-5``, orthogonal init).
* **SAC, Pendulum-v1**, 2e4 steps, 1 env: ``learning_rate=1e-3``; everything else
  SB3's defaults: ``buffer_size=1_000_000``, ``learning_starts=100``,
  ``batch_size=256``, ``tau=0.005``, ``gamma=0.99``, ``train_freq=1``,
  ``gradient_steps=1``, ``ent_coef="auto"`` (initial 1.0, target entropy
  ``-dim(A)``), ``net_arch=[256, 256]`` (ReLU) for actor and both critics.

The training envs are made as the zoo makes them: ``make_vec_env(env_id, n_envs,
seed=seed)`` (a ``DummyVecEnv``; env ``i`` is seeded ``seed + i`` and wrapped in a
``Monitor``), and the model gets ``seed=seed``. ``model.learn(steps)`` stops at the
first whole rollout (PPO: ``8 * 32 = 256`` steps; DQN: ``train_freq=256`` steps) at or
past ``steps``, so ``env_steps`` (``model.num_timesteps``, the count actually done:
100096 for PPO, 50176 for DQN) is reported next to the requested ``steps``.

How SB3 2.9.2 reads these settings (what a like-for-like implementation must match):

* schedules use ``progress_remaining = 1 - num_timesteps / steps``. PPO evaluates it
  once per rollout, *after* collecting it: the first update uses
  ``1e-3 * (1 - 256 / 1e5)``, and the last rollout ends at 100096 > 1e5, so its
  learning rate and clip range are slightly negative (-9.6e-7, -1.9e-4). DQN's
  epsilon is linear from 1.0 to 0.04 over the first ``0.16 * steps`` = 8000 env steps
  and updated after every env step.
* DQN's ``target_update_interval`` counts env steps (``_on_step``, called after each
  env step while collecting), not gradient steps: the target is copied every 10 env
  steps during collection and stays fixed during each block of 128 gradient steps.
  Training blocks run at the end of every 256-step rollout once ``num_timesteps >
  learning_starts`` (``n_updates`` in the result counts the gradient steps).
* SAC trains one gradient step after each env step once ``num_timesteps >
  learning_starts`` (19900 updates for 2e4 steps).

What is measured
----------------
* ``train_s``: wall time of ``model.learn`` alone; ``env_steps_per_s = env_steps /
  train_s`` (this includes the gradient updates: it is the throughput of training,
  not of the simulator). ``import_s`` (the imports) and ``setup_s`` (making the envs
  and the model) are reported apart. ``torch.set_num_threads(1)`` always. On a shared
  machine wall time depends on the load, so the CPU time of the process during
  ``learn`` (``train_cpu_s``, ``time.process_time``) and ``env_steps_per_cpu_s`` are
  reported too.
* ``eval_returns``: ``--eval-episodes`` episodes of the final policy, deterministic
  (``model.predict(obs, deterministic=True)``: greedy Q for DQN, the mode of the
  policy for PPO, ``tanh(mean)`` for SAC), on a separate ``gym.make(env_id)`` reset
  with ``seed=EVAL_SEED_OFFSET + seed`` at its first episode (later episodes go on
  with the env's own RNG); ``eval_mean`` is their mean.
* ``curve_steps``, ``curve_returns``: the learning curve, one entry per training
  episode that ended, in the order they ended: the global env-step count
  ``model.num_timesteps`` at its end (all envs together) and its undiscounted return,
  read from the ``Monitor``'s ``info["episode"]``.

Runs are reproducible on CPU: a run repeated with the same seed gave the same
``n_updates``, learning curve and eval returns (checked on DQN seeds 0-4 and PPO
seeds 0-3, 2026-12-07).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
import time

_T0 = time.perf_counter()

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import stable_baselines3  # noqa: E402
import torch  # noqa: E402
from stable_baselines3 import DQN, PPO, SAC  # noqa: E402
from stable_baselines3.common.callbacks import BaseCallback  # noqa: E402
from stable_baselines3.common.env_util import make_vec_env  # noqa: E402

IMPORT_S = time.perf_counter() - _T0

#: The eval env is reset with ``seed = EVAL_SEED_OFFSET + seed`` (training envs use ``seed + i``).
EVAL_SEED_OFFSET = 10_000


def _linear(initial: float):
    """The zoo's ``lin_<initial>``: ``progress_remaining * initial`` (1 -> 0 over training)."""

    def schedule(progress_remaining: float) -> float:
        return progress_remaining * initial

    return schedule


#: Per algorithm: (class, env id, n_envs, default steps, constructor kwargs, the same as JSON).
CONFIGS = {
    "dqn": (
        DQN,
        "CartPole-v1",
        1,
        50_000,
        dict(
            learning_rate=2.3e-3,
            batch_size=64,
            buffer_size=100_000,
            learning_starts=1000,
            gamma=0.99,
            target_update_interval=10,
            train_freq=256,
            gradient_steps=128,
            exploration_fraction=0.16,
            exploration_final_eps=0.04,
            policy_kwargs=dict(net_arch=[256, 256]),
        ),
    ),
    "ppo": (
        PPO,
        "CartPole-v1",
        8,
        100_000,
        dict(
            n_steps=32,
            batch_size=256,
            gae_lambda=0.8,
            gamma=0.98,
            n_epochs=20,
            ent_coef=0.0,
            learning_rate=_linear(1e-3),
            clip_range=_linear(0.2),
        ),
    ),
    "sac": (
        SAC,
        "Pendulum-v1",
        1,
        20_000,
        dict(learning_rate=1e-3),
    ),
}

#: JSON-able description of the settings above (schedules as the zoo writes them).
SETTINGS_JSON = {
    "dqn": {
        "policy": "MlpPolicy",
        "n_envs": 1,
        **{k: v for k, v in CONFIGS["dqn"][4].items() if k != "policy_kwargs"},
        "net_arch": [256, 256],
    },
    "ppo": {
        "policy": "MlpPolicy",
        "n_envs": 8,
        **{k: v for k, v in CONFIGS["ppo"][4].items() if k not in ("learning_rate", "clip_range")},
        "learning_rate": "lin_0.001",
        "clip_range": "lin_0.2",
    },
    "sac": {"policy": "MlpPolicy", "n_envs": 1, "learning_rate": 1e-3},
}


class _EpisodeLog(BaseCallback):
    """Records (global step, return) of every training episode from the Monitor's info."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[int] = []
        self.returns: list[float] = []

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            episode = info.get("episode")
            if episode is not None:
                self.steps.append(int(self.num_timesteps))
                self.returns.append(float(episode["r"]))
        return True


def evaluate(model, env_id: str, seed: int, n_episodes: int) -> list[float]:
    """Deterministic returns of ``n_episodes`` episodes on a fresh, separately seeded env."""
    env = gym.make(env_id)
    returns = []
    obs, _ = env.reset(seed=EVAL_SEED_OFFSET + seed)
    for _ in range(n_episodes):
        total, done = 0.0, False
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
        obs, _ = env.reset()
    env.close()
    return returns


def versions() -> dict[str, str]:
    """Versions of the interpreter and of the packages this script imports."""
    return {
        "python": platform.python_version(),
        "stable_baselines3": stable_baselines3.__version__,
        "gymnasium": gym.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
    }


def run(algo: str, seed: int, steps: int | None, eval_episodes: int) -> dict:
    """One training run of ``algo`` with ``seed``; the result as a JSON-able dict."""
    torch.set_num_threads(1)
    cls, env_id, n_envs, default_steps, kwargs = CONFIGS[algo]
    steps = default_steps if steps is None else steps
    t0 = time.perf_counter()
    env = make_vec_env(env_id, n_envs=n_envs, seed=seed)
    model = cls("MlpPolicy", env, seed=seed, verbose=0, device="cpu", **kwargs)
    setup_s = time.perf_counter() - t0
    log = _EpisodeLog()
    t0, c0 = time.perf_counter(), time.process_time()
    model.learn(total_timesteps=steps, callback=log, progress_bar=False)
    train_s = time.perf_counter() - t0
    train_cpu_s = time.process_time() - c0
    env_steps = int(model.num_timesteps)
    t0 = time.perf_counter()
    returns = evaluate(model, env_id, seed, eval_episodes)
    eval_s = time.perf_counter() - t0
    return {
        "algo": algo,
        "env_id": env_id,
        "seed": seed,
        "steps": steps,
        "env_steps": env_steps,
        "n_updates": int(getattr(model, "_n_updates", -1)),
        "train_s": train_s,
        "env_steps_per_s": env_steps / train_s,
        "train_cpu_s": train_cpu_s,
        "env_steps_per_cpu_s": env_steps / train_cpu_s,
        "import_s": IMPORT_S,
        "setup_s": setup_s,
        "eval_s": eval_s,
        "eval_episodes": eval_episodes,
        "eval_seed": EVAL_SEED_OFFSET + seed,
        "eval_mean": float(np.mean(returns)),
        "eval_returns": returns,
        "curve_steps": log.steps,
        "curve_returns": log.returns,
        "torch_threads": torch.get_num_threads(),
        "settings": SETTINGS_JSON[algo],
        "versions": versions(),
    }


def cpu_model() -> str:
    """The ``Model name`` line of ``lscpu`` (empty if lscpu is missing)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return ""
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return ""


def merge(logs: list[str], out: str) -> None:
    """Gather the last JSON line of every log into ``out`` with summaries per algorithm."""
    runs = []
    for path in logs:
        with open(path) as fh:
            lines = [ln for ln in fh.read().splitlines() if ln.strip()]
        runs.append(json.loads(lines[-1]))
    runs.sort(key=lambda r: (r["algo"], r["seed"]))
    summary = {}
    for algo in sorted({r["algo"] for r in runs}):
        rs = [r for r in runs if r["algo"] == algo]
        means = np.array([r["eval_mean"] for r in rs])
        sps = np.array([r["env_steps_per_s"] for r in rs])
        summary[algo] = {
            "env_id": rs[0]["env_id"],
            "seeds": [r["seed"] for r in rs],
            "env_steps": [r["env_steps"] for r in rs],
            "eval_mean_over_seeds": float(means.mean()),
            "eval_std_over_seeds": float(means.std(ddof=1)) if len(rs) > 1 else 0.0,
            "eval_min_over_seeds": float(means.min()),
            "eval_max_over_seeds": float(means.max()),
            "env_steps_per_s_mean": float(sps.mean()),
            "env_steps_per_s_std": float(sps.std(ddof=1)) if len(rs) > 1 else 0.0,
            "train_s_mean": float(np.mean([r["train_s"] for r in rs])),
        }
        if all("env_steps_per_cpu_s" in r for r in rs):
            cps = np.array([r["env_steps_per_cpu_s"] for r in rs])
            summary[algo]["env_steps_per_cpu_s_mean"] = float(cps.mean())
            summary[algo]["env_steps_per_cpu_s_std"] = float(cps.std(ddof=1)) if len(rs) > 1 else 0.0
    record = {
        "description": (
            "Stable-Baselines3 DQN/PPO (CartPole-v1) and SAC (Pendulum-v1) with "
            "rl-baselines3-zoo hyper-parameters, one process per run, run one at a time "
            "with nice -n 10 and torch.set_num_threads(1); written by "
            "benchmarks/sb3_deep.py --merge (see its docstring). eval_* = mean return of "
            "deterministic eval episodes per seed; *_over_seeds: mean, std (ddof=1), "
            "min, max of those per-seed means."
        ),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "nproc": len(__import__("os").sched_getaffinity(0)),
        "versions": versions(),
        "summary": summary,
        "runs": runs,
    }
    with open(out, "w") as fh:
        json.dump(record, fh, indent=1)
        fh.write("\n")


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algo", choices=sorted(CONFIGS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=None, help="default: the zoo's budget")
    parser.add_argument("--eval-episodes", type=int, default=10)
    parser.add_argument("--merge", nargs="+", metavar="LOG", help="gather runs' last lines")
    parser.add_argument("--out", default="benchmarks/data/sb3_deep.json")
    args = parser.parse_args(argv)
    if args.merge:
        merge(args.merge, args.out)
        return
    if args.algo is None:
        parser.error("--algo is required (or --merge)")
    if args.steps is not None and args.steps < 1:
        parser.error("--steps must be >= 1")
    if args.eval_episodes < 1:
        parser.error("--eval-episodes must be >= 1")
    result = run(args.algo, args.seed, args.steps, args.eval_episodes)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
