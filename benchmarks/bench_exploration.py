"""Online exploration: episodes per second and regret, against rlberry 0.6.0.

Workload: three finite-horizon MDPs (:data:`INSTANCES`), each learned from scratch for
``K`` episodes: RiverSwim (``river_swim(6, horizon=20)``, ``K = 2000``), the n-chain
(``chain(5, slip=0.2, small_reward=0.2, large_reward=1.0, horizon=10)``, rewards
rescaled into [0, 1], ``K = 500``) and a random MDP (``random_mdp(5, 3, horizon=10,
rng=2021)``, ``K = 500``). LSVI-UCB runs ``K = 300`` everywhere: rlberry's LSVI-UCB
re-solves the regression on all past data every episode, so its cost per episode grows
with the data (``K = 2000`` would take it several minutes per seed).

Per (instance, learner) one comparison:

* **ours**: ``tabular.exploration.explore`` on the compiled path, one run of ``K``
  episodes (the first call includes Numba compilation or cache loading);
* **floor**: one compiled backward induction on the true model plus one simulated
  episode (:func:`tabular.exploration._kernels.simulate_episode`) per episode, and
  nothing else. A model-based learner plans once and plays once per episode, so
  ``ours / floor`` is what our bookkeeping costs on top of the unavoidable work;
* **rlberry** (from a subprocess, not timed by the harness): the note gives its
  episodes per second, measured inside rlberry's own process as ``K / time`` of an
  unwrapped ``agent.fit(K)``, after a warm-up ``fit(1)`` on a fresh agent; its
  interpreter start-up and imports (``import_s``) and the warm-up (``first fit``,
  which includes rlberry's Numba compilation: rlberry's ``numba_jit`` has no cache)
  are reported apart. The speed-up is ours / rlberry in episodes per second.

The note also compares the regret: the cumulative pseudo-regret at ``K`` (mean +-
standard error) of ours over ``RLREF_EXPLORATION_RUNS`` runs (default 20) and of
rlberry over this run's seeds (``RLREF_RLBERRY_SEEDS``, default 4, ``--quick`` 2), with
``z = difference / combined standard error``, and the recorded statistics of
``benchmarks/data/rlberry_exploration.json`` (20 seeds). rlberry's pseudo-regret is
that of the policy in force each episode, hooked before the episode and evaluated by
exact backward induction (see ``benchmarks/rlberry_exploration.py``). Our learners
and rlberry's agents share names but not all their constants (bonus formulas, priors,
noise): :data:`OURS` says, per learner, which settings we run and whether they
reproduce rlberry's; where they do not, the regret columns compare two different
algorithms and are for information (no check fails on them).

RLSVI is compared with ``RLSVI-fixed``, rlberry's ``RLSVIAgent`` with one change
(``benchmarks/rlberry_exploration.py``): the shipped agent draws its reward noise with
mean ``R_hat`` and plans with ``R_hat + noise`` (``rlberry/agents/rlsvi/rlsvi.py:190,
196, 205``), counting the empirical reward twice; the fixed agent draws it with mean 0.
The shipped agent's recorded regret is printed for information.

rlberry runs in its own virtual environment, inside the repository (git-ignored)::

    python3.11 -m venv .venv-rlberry
    .venv-rlberry/bin/pip install rlberry==0.6.0 "numpy<2" "gymnasium==0.29.1" \\
        "pandas<2.2" "scipy<1.12" "matplotlib<3.9" "numba<0.60"

``RLREF_RLBERRY_PYTHON`` may name another interpreter. Without the venv (or if rlberry
does not import there) the rlberry columns read ``not installed`` with that reason and
the benchmark still runs ours and the floor.

Run ``python -m benchmarks.bench_exploration [--quick] [--filter riverswim] [--json PATH]``;
``python -m benchmarks.bench_exploration --record`` re-runs rlberry with 20 seeds and
rewrites ``benchmarks/data/rlberry_exploration.json``; ``--record-agent NAME`` runs one
agent of :data:`AGENTS` and adds its entries to that file (refused if already recorded).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

from tabular.exploration._kernels import episode_tables, new_log, policy_values, simulate_episode
from benchmarks.harness import BenchResult, Case, Comparison, run_suite

__all__ = [
    "AGENTS",
    "DATA_PATH",
    "INSTANCES",
    "OURS",
    "Instance",
    "bench_exploration",
    "main",
    "our_learner",
    "record",
    "rlberry_python",
    "run_rlberry",
]

ROOT = Path(__file__).resolve().parents[1]
DATA_PATH = ROOT / "benchmarks" / "data" / "rlberry_exploration.json"
RLBERRY_SCRIPT = ROOT / "benchmarks" / "rlberry_exploration.py"
RLBERRY_VENV = ".venv-rlberry"  # relative to the repository root
RLBERRY_HOWTO = (
    "rlberry runs in its own venv: python3.11 -m venv .venv-rlberry && .venv-rlberry/bin/pip install "
    'rlberry==0.6.0 "numpy<2" "gymnasium==0.29.1" "pandas<2.2" "scipy<1.12" "matplotlib<3.9" "numba<0.60"'
)

AGENTS = ("UCBVI", "PSRL", "RLSVI", "RLSVI-fixed", "OptQL", "LSVIUCB")
"""rlberry's agents, by the names ``benchmarks/rlberry_exploration.py`` knows them."""

LSVI_EPISODES = 300
RECORD_SEEDS = 20
SEED = 2026


@dataclass(frozen=True)
class Instance:
    """A benchmark MDP: its name, how to build it, the episodes of the full and of the test budget."""

    name: str
    build: Callable[[], Any]
    episodes: int
    test_episodes: int = 200

    def episodes_for(self, agent: str) -> int:
        """``K`` for ``agent`` (LSVI-UCB: :data:`LSVI_EPISODES`)."""
        return min(self.episodes, LSVI_EPISODES) if agent == "LSVIUCB" else self.episodes


def _river_swim() -> Any:
    from rlcore.generators import river_swim

    return river_swim(6, horizon=20)


def _chain() -> Any:
    from rlcore.generators import chain

    return chain(5, slip=0.2, small_reward=0.2, large_reward=1.0, horizon=10)


def _random() -> Any:
    from rlcore.generators import random_mdp

    return random_mdp(5, 3, horizon=10, rng=2021)


INSTANCES = (
    Instance("riverswim S=6 A=2 H=20", _river_swim, 2000),
    Instance("chain S=5 A=2 H=10", _chain, 500),
    Instance("random S=5 A=3 H=10", _random, 500),
)


@dataclass(frozen=True)
class OurSettings:
    """How our counterpart of an rlberry agent is built for the comparison.

    ``cls``: the class name in :mod:`tabular.exploration`; ``make(cls, S, A, H)``: the
    learner; ``text``: the same call, for the report; ``matched``: True only when these
    settings reproduce rlberry's algorithm (then the regret statistics must agree, and
    ``tests/tabular/exploration/test_rlberry_agreement.py`` checks that they do);
    ``why``: what differs (for a matched learner: which options reproduce rlberry, and
    what is left unreproduced), if anything; ``peer``: the rlberry agent of
    :data:`AGENTS` compared with (default: the key of :data:`OURS`, rlberry's agent as
    shipped).
    """

    cls: str
    make: Callable[[Any, int, int, int], Any]
    text: str
    matched: bool
    why: str
    peer: str = ""

    def rlberry_agent(self, agent: str) -> str:
        """The rlberry agent (a key of the recorded data) that ``OURS[agent]`` is compared with."""
        return self.peer or agent


def _one_hot(S: int, A: int) -> np.ndarray:
    return np.eye(S * A).reshape(S, A, S * A)


OURS: dict[str, OurSettings] = {
    "UCBVI": OurSettings(
        "UCBVI",
        lambda cls, S, A, H: cls(
            S, A, H, bonus="simplified_bernstein", c=1.0, stage_dependent=False, bonus_count="last_visit"
        ),
        "UCBVI(S, A, H, bonus='simplified_bernstein', c=1.0, stage_dependent=False, bonus_count='last_visit')",
        True,
        "rlberry's bonus min(1/sqrt(n) + (H-h)/n, H-h) (ucbvi.py:197-199) is stored per step and written at the "
        "visit of (s, a) at step h with the pooled count (ucbvi.py:134, 224-235): bonus_count='last_visit'. Not "
        "reproduced: rlberry clips V at H after the max over unclipped Q, without the min with the previous "
        "episode's Q (dynprog/utils.py:54-101), and gives an unvisited pair R=0, P uniform (ucbvi.py:137-138); "
        "ours clips Q at H-h, keeps Azar et al.'s min with the previous Q, unvisited pairs at H-h",
    ),
    "PSRL": OurSettings(
        "PSRL",
        lambda cls, S, A, H: cls(S, A, H, transition_prior=1.0 / S, reward_model="bernoulli", stage_dependent=False),
        "PSRL(S, A, H, transition_prior=1/S, reward_model='bernoulli', stage_dependent=False)",
        True,
        "transitions Dirichlet(1/S) (rlberry's scale_prior_transition=None), rewards Bernoulli(r)-ised with a "
        "Beta(1 + successes, 1 + failures) posterior (bernoullized_reward=True, scale_prior_reward=1, "
        "rlberry/agents/psrl/psrl.py:127, 157, 171). Not reproduced: rlberry draws the Bernoulli variables at "
        "each step, ours at the next planning (same distribution); rlberry clips V at H (never binding here)",
    ),
    "RLSVI": OurSettings(
        "RLSVI",
        lambda cls, S, A, H: cls(S, A, H, sigma=1.0, stage_dependent=False, form="perturbed_model"),
        "RLSVI(S, A, H, sigma=1.0, stage_dependent=False, form='perturbed_model')",
        True,
        "compared with RLSVI-fixed, rlberry's RLSVIAgent with its reward noise drawn with mean 0: as shipped "
        "rlberry draws noise_sa = rng.normal(R_hat, std) (mean R_hat, rlberry/agents/rlsvi/rlsvi.py:190) and "
        "plans with R_hat + noise_sa (rlsvi.py:196, 205), counting the empirical reward twice, a defect we do not "
        "reproduce (the shipped agent's regret is lower: the doubled reward makes it greedier). Reproduced: one "
        "uniform pseudo-transition of reward 0 in the counts (rlsvi.py:123-127), noise std 1/sqrt(n) + (H-h)/n "
        "(rlsvi.py:189), fresh noise per (h, s, a), V capped at H (dynprog/utils.py:54-101). Not reproduced: "
        "rlberry's running-average model (rounding only); terminal states worth 0 (none here)",
        peer="RLSVI-fixed",
    ),
    "OptQL": OurSettings(
        "OptimisticQLearning",
        lambda cls, S, A, H: cls(S, A, H, bonus="simplified_bernstein", c=1.0),
        "OptimisticQLearning(S, A, H, bonus='simplified_bernstein', c=1.0)",
        True,
        "",
    ),
    "LSVIUCB": OurSettings(
        "LSVIUCB",
        lambda cls, S, A, H: cls(
            _one_hot(S, A), H, beta=1.0, lam=0.1, stage_dependent=False, bonus="simplified_bernstein"
        ),
        "LSVIUCB(one-hot features (S, A, S*A), H, beta=1.0, lam=0.1, stage_dependent=False, "
        "bonus='simplified_bernstein')",
        True,
        "rlberry pools the data of all steps in one Lambda (lsvi_ucb.py:198, 278-280): stage_dependent=False; its "
        "width is beta sqrt(u) + H u (lsvi_ucb.py:68-70, 321-323): bonus='simplified_bernstein'. Not reproduced: "
        "rlberry caps at H (not H-h) and its next-state value at the last step is max_a min(width, H) instead of 0 "
        "(lsvi_ucb.py:57-73)",
    ),
}
"""Our learner for each rlberry agent, with the settings run here (see the report)."""


def our_learner(agent: str, S: int, A: int, H: int) -> Any:
    """Our counterpart of rlberry's ``agent`` with the settings of :data:`OURS`.

    Raises
    ------
    ImportError
        When :mod:`tabular.exploration` has no such class yet.
    """
    import tabular.exploration as tx

    spec = OURS[agent]
    cls = getattr(tx, spec.cls, None)
    if cls is None:
        import importlib

        for mod in ("ucbvi", "psrl", "rlsvi", "optimistic_q", "lsvi_ucb"):
            try:
                cls = getattr(importlib.import_module(f"tabular.exploration.{mod}"), spec.cls, None)
            except ImportError:
                continue
            if cls is not None:
                break
    if cls is None:
        raise ImportError(f"tabular.exploration has no {spec.cls} (yet)")
    return spec.make(cls, S, A, H)


# ------------------------------------------------------------------------------ rlberry


def rlberry_python() -> str:
    """The interpreter of rlberry's venv; raises ImportError (with how to create it) when absent."""
    python = os.environ.get("RLREF_RLBERRY_PYTHON") or str(ROOT / RLBERRY_VENV / "bin" / "python")
    if not Path(python).exists():
        raise ImportError(f"no {python}. {RLBERRY_HOWTO}")
    probe = subprocess.run([python, "-c", "import rlberry.agents.ucbvi"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise ImportError(f"rlberry does not import in {python}: {probe.stderr.strip()[-300:]}. {RLBERRY_HOWTO}")
    return python


def _write_npz(mdp: Any, path: Path) -> None:
    np.savez(
        path,
        P=np.asarray(mdp.P, dtype=np.float64),
        R=np.asarray(mdp.R, dtype=np.float64),
        initial=np.asarray(mdp.initial, dtype=np.float64),
        horizon=int(mdp.horizon),
    )


def run_rlberry(
    python: str, inst: Instance, agent: str, seeds: Sequence[int], checkpoints: Sequence[int], time_fit: bool = True
) -> dict[str, Any]:
    """Run rlberry's ``agent`` on ``inst`` in a fresh process; returns the script's JSON plus ``wall_s``."""
    K = inst.episodes_for(agent)
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "mdp.npz"
        _write_npz(inst.build(), npz)
        spec = {
            "npz": str(npz),
            "agents": [agent],
            "episodes": K,
            "checkpoints": sorted({int(c) for c in checkpoints if c <= K} | {K}),
            "seeds": [int(s) for s in seeds],
            "time_episodes": K if time_fit else 0,
        }
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        t0 = time.perf_counter()
        out = subprocess.run([python, str(RLBERRY_SCRIPT), str(spec_path)], capture_output=True, text=True)
        wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"rlberry {agent} on {inst.name} failed: {out.stderr.strip()[-800:]}")
    payload: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    payload["wall_s"] = wall
    return payload


def _stats(x: Sequence[float]) -> tuple[float, float, int]:
    a = np.asarray(x, dtype=float)
    se = float(a.std(ddof=1) / math.sqrt(a.size)) if a.size > 1 else float("nan")
    return float(a.mean()), se, int(a.size)


#: What an rlberry agent of :data:`AGENTS` changes in rlberry's code, recorded with its statistics.
RLBERRY_NOTES = {
    "RLSVI-fixed": (
        "rlberry 0.6.0's RLSVIAgent with ONE change: its reward noise is drawn with mean 0. As shipped it draws "
        "noise_sa = rng.normal(R_hat, std) (rlberry/agents/rlsvi/rlsvi.py:190) and plans with R_hat + noise_sa "
        "(rlsvi.py:196, 205), counting the empirical reward twice; the subclass _ZeroMeanNoiseRLSVI of "
        "benchmarks/rlberry_exploration.py makes that draw normal(0, std) from the same stream (same shape, same "
        "number of draws). Everything else as shipped: one uniform pseudo-transition of reward 0 in the counts, "
        "std 1/sqrt(N) + (H-h)/N, V capped at H. The shipped agent's entry 'RLSVI' is kept as recorded."
    ),
}


def _entry(p: dict[str, Any], agent: str) -> dict[str, Any]:
    a = p["agents"][agent]
    cum = {}
    for k, vals in a["cum_pseudo_regret"].items():
        m, se, n = _stats(vals)
        cum[k] = {"mean": m, "se": se, "n": n}
    rm, rse, rn = _stats(a["cum_realised_regret"])
    return {
        "episodes": a["episodes"],
        "settings": a["settings"],
        **({"note": RLBERRY_NOTES[agent]} if agent in RLBERRY_NOTES else {}),
        "cum_pseudo_regret": cum,
        "cum_realised_regret": {"mean": rm, "se": rse, "n": rn},
        "policy_mismatches": int(sum(a["mismatches"])),
        "episodes_per_s": a.get("episodes_per_s"),
        "first_fit_s": a.get("first_fit_s"),
        "import_s": p["import_s"],
        **({"shipped_episodes_per_s": a["shipped_episodes_per_s"]} if "shipped_episodes_per_s" in a else {}),
    }


def record(path: Path = DATA_PATH, n_seeds: int = RECORD_SEEDS, agents: Sequence[str] | None = None) -> dict[str, Any]:
    """Run rlberry on every (instance, agent) with ``n_seeds`` seeds and write the statistics to ``path``.

    ``agents=None``: all of :data:`AGENTS`, the file rewritten. Otherwise only those agents
    are run and their entries *added* to the existing file (same seeds required; an agent
    already recorded is refused, so recorded entries never change).
    """
    python = rlberry_python()
    seeds = list(range(SEED, SEED + n_seeds))
    if agents is None:
        run_agents: Sequence[str] = AGENTS
        data: dict[str, Any] = {
            "description": (
                "rlberry 0.6.0's cumulative pseudo-regret (policy in force each episode, exact backward induction "
                "on the true MDP) per instance and agent: mean, standard error (std ddof=1 / sqrt(n)), n seeds, at "
                "each checkpoint K; written by `python -m benchmarks.bench_exploration --record` with "
                "benchmarks/rlberry_exploration.py"
            ),
            "seeds": seeds,
            "instances": {},
        }
    else:
        run_agents = list(agents)
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["seeds"] != seeds:
            raise ValueError(f"{path} was recorded with seeds {data['seeds']}, not {seeds}")
        for agent in run_agents:
            if agent not in AGENTS:
                raise ValueError(f"agents: unknown rlberry agent {agent!r}")
            for inst in INSTANCES:
                if agent in data["instances"][inst.name]["agents"]:
                    raise ValueError(f"agents: {agent} is already recorded on {inst.name}")
    for inst in INSTANCES:
        entry = data["instances"].setdefault(
            inst.name, {"episodes": inst.episodes, "test_episodes": inst.test_episodes, "agents": {}}
        )
        for agent in run_agents:
            print(f"recording rlberry {agent} on {inst.name} ...", file=sys.stderr, flush=True)
            p = run_rlberry(python, inst, agent, seeds, (inst.test_episodes,))
            if "vstar_rho" in entry and entry["vstar_rho"] != p["vstar_rho"]:
                raise RuntimeError(f"{inst.name}: rlberry's V* changed since the recording")
            entry["vstar_rho"] = p["vstar_rho"]
            data["rlberry_version"] = p["rlberry_version"]
            data["numpy_version"] = p["numpy_version"]
            entry["agents"][agent] = _entry(p, agent)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1)
        fh.write("\n")
    return data


# -------------------------------------------------------------------------------- floor


@njit(cache=True)
def _floor_loop(P, R, cdf, init_cdf, R3, terminal, H, K, gen, score, draws):  # pragma: no cover - compiled
    """The floor: per episode one backward induction (``H S A S``) and one simulated episode;
    with ``score`` also the exact value of the episode's policy (``H S S``), the scoring every
    run of the engine does; with ``draws > 0`` also that many ``standard_gamma(2)`` variates
    (a posterior sample's worth: PSRL draws ``S A (S + 2)`` per episode)."""
    S, A = R.shape
    policy = np.zeros((H, S), np.int64)
    V = np.zeros(S)
    W = np.zeros(S)
    st = np.zeros(H + 1, np.int64)
    ac = np.zeros(H, np.int64)
    rw = np.zeros(H)
    total = 0.0
    for _ in range(K):
        V[:] = 0.0
        for t in range(H - 1, -1, -1):
            for s in range(S):
                best = -np.inf
                arg = 0
                for a in range(A):
                    q = R[s, a]
                    for s2 in range(S):
                        q += P[s, a, s2] * V[s2]
                    if q > best:
                        best = q
                        arg = a
                W[s] = best
                policy[t, s] = arg
            V[:] = W
        L = simulate_episode(policy, cdf, init_cdf, R3, terminal, gen, st, ac, rw)
        for t in range(L):
            total += rw[t]
        if score:
            total += policy_values(P[None], R3, policy)[0]
        for _ in range(draws):
            total += gen.standard_gamma(2.0)
    return total


def _floor(mdp: Any, K: int, score: bool = False, draws: int = 0) -> Callable[[], float]:
    """A callable running ``K`` floor episodes on ``mdp`` (stationary, dense)."""
    from tabular.finite_horizon import backward_induction

    tables = episode_tables(mdp, backward_induction(mdp).V[0])
    P = np.ascontiguousarray(tables.P[0])
    R = np.ascontiguousarray(tables.R[0])
    H = int(mdp.horizon)

    def run() -> float:
        gen = np.random.default_rng(SEED)
        return float(_floor_loop(P, R, tables.cdf, tables.init_cdf, tables.R, tables.terminal, H, K, gen, score, draws))

    return run


# -------------------------------------------------------------------------------- bench


def _ours_case(agent: str, mdp: Any, K: int) -> Case:
    """The engine's loop for ``K`` episodes of one run (what ``explore`` repeats per run),
    with its once-per-call start-up (validation, ``V*`` by backward induction, the
    sampling tables) done in ``setup`` and reported apart (:func:`_startup_s`)."""

    def setup() -> Any:
        from tabular.finite_horizon import backward_induction

        learner = our_learner(agent, mdp.n_states, mdp.n_actions, int(mdp.horizon))
        return learner, episode_tables(mdp, backward_induction(mdp).V[0])

    def run(state: Any) -> Any:
        learner, tables = state
        learner.reset()
        learner._run_compiled(tables, K, np.random.default_rng(SEED), new_log(K))
        return learner

    spec = OURS[agent]
    return Case(f"ours tabular.exploration.{spec.cls} (engine loop)", run, setup)


def _startup_s(agent: str, mdp: Any) -> float:
    """Median wall time of ``explore(mdp, learner, 1)``: the fixed cost of one call."""
    from tabular.exploration import explore

    learner = our_learner(agent, mdp.n_states, mdp.n_actions, int(mdp.horizon))
    explore(mdp, learner, 1, rng=SEED)
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        explore(mdp, learner, 1, rng=SEED)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _our_regret(agent: str, mdp: Any, K: int, runs: int) -> dict[str, Any]:
    """Mean, standard error and count of our cumulative pseudo-regret at ``K`` over ``runs`` runs."""
    try:
        from tabular.exploration import explore

        learner = our_learner(agent, mdp.n_states, mdp.n_actions, int(mdp.horizon))
    except ImportError as exc:
        return {"error": f"not installed ({exc})"}
    res = explore(mdp, learner, K, n_runs=runs, rng=SEED, engine="auto")
    m, se, n = _stats(res.pseudo_regret.sum(axis=1))
    return {"mean": m, "se": se, "n": n}


def _recorded(inst: Instance, agent: str) -> dict[str, Any] | None:
    try:
        data = json.loads(DATA_PATH.read_text(encoding="utf-8"))
        return data["instances"][inst.name]["agents"][agent]  # type: ignore[no-any-return]
    except (OSError, KeyError, ValueError):
        return None


def _z(m1: float, s1: float, m2: float, s2: float) -> float:
    se = math.sqrt(s1 * s1 + s2 * s2)
    return (m1 - m2) / se if se > 0 else float("nan")


def _note(
    agent: str, inst: Instance, mdp: Any, K: int, get_peer: Callable[[], dict[str, Any] | str], our_runs: int
) -> Any:
    rl = OURS[agent].rlberry_agent(agent)

    def annotate(res: BenchResult) -> str:
        peer = get_peer()
        ours_stats = _our_regret(agent, mdp, K, our_runs)  # after the timing: the first call stays cold
        parts = [f"ours = {OURS[agent].text}"]
        ours_eps = K / res.ours.median_s if res.ours.median_s else None
        floors = [r for r in res.rows[1:] if r.median_s]
        if ours_eps:
            parts.append(
                f"ours {ours_eps:,.0f} episodes/s (engine loop; explore()'s fixed start-up per call "
                f"{_startup_s(agent, mdp) * 1e3:.2f} ms, apart)"
            )
        if len(floors) >= 2 and res.ours.median_s:
            parts.append(
                f"ours cost per episode / floor = {res.ours.median_s / floors[0].median_s:.2f}, "
                f"/ (floor + exact scoring) = {res.ours.median_s / floors[1].median_s:.2f}"
                + (
                    f", / (floor + scoring + posterior draw) = {res.ours.median_s / floors[2].median_s:.2f}"
                    if len(floors) == 3
                    else ""
                )
            )
        if isinstance(peer, str):
            parts.append(f"rlberry: not run ({peer})")
        else:
            a = peer["agents"][rl]
            rate = a["episodes_per_s"]
            parts.append(
                f"rlberry {peer['rlberry_version']} {rl}: {rate:,.0f} episodes/s (fit({a['time_episodes']}) "
                f"in its process; start-up apart: imports {peer['import_s']:.2f} s, first fit(1) incl. Numba "
                f"compilation {a['first_fit_s']:.2f} s, subprocess wall {peer['wall_s']:.1f} s)"
            )
            if "shipped_episodes_per_s" in a:
                parts.append(
                    f"rlberry LSVI-UCB as shipped (bonus updated within the episode): "
                    f"{a['shipped_episodes_per_s']:,.0f} episodes/s"
                )
            if ours_eps:
                parts.append(f"speed-up ours/rlberry = {ours_eps / rate:,.1f}x")
            m, se, n = _stats(a["cum_pseudo_regret"][str(K)])
            parts.append(f"rlberry pseudo-regret at K={K}: {m:.2f} +- {se:.2f} ({n} seeds, this run)")
            if "mean" in ours_stats:
                parts.append(f"z(ours - rlberry, this run) = {_z(ours_stats['mean'], ours_stats['se'], m, se):+.2f}")
        rec = _recorded(inst, rl)
        if rec is not None and str(K) in rec["cum_pseudo_regret"]:
            r = rec["cum_pseudo_regret"][str(K)]
            parts.append(f"recorded rlberry {rl}: {r['mean']:.2f} +- {r['se']:.2f} ({r['n']} seeds)")
            if "mean" in ours_stats:
                parts.append(
                    f"z(ours - recorded) = {_z(ours_stats['mean'], ours_stats['se'], r['mean'], r['se']):+.2f}"
                )
        if "mean" in ours_stats:
            parts.append(
                f"ours pseudo-regret at K={K}: {ours_stats['mean']:.2f} +- {ours_stats['se']:.2f} "
                f"({ours_stats['n']} runs)"
            )
        elif "error" in ours_stats:
            parts.append(f"ours: {ours_stats['error']}")
        shipped = _recorded(inst, agent) if rl != agent else None
        if shipped is not None and str(K) in shipped["cum_pseudo_regret"]:
            r = shipped["cum_pseudo_regret"][str(K)]
            parts.append(f"recorded rlberry {agent} as shipped (for information): {r['mean']:.2f} +- {r['se']:.2f}")
        spec = OURS[agent]
        parts.append(
            (f"settings matched ({spec.why})" if spec.why else "settings matched")
            if spec.matched
            else "settings NOT matched, regret for information: " + spec.why
        )
        return "; ".join(parts)

    return annotate


def bench_exploration(quick: bool) -> Iterator[Comparison]:
    """The comparisons of this module (see the module docstring)."""
    n_seeds = int(os.environ.get("RLREF_RLBERRY_SEEDS", "2" if quick else "4"))
    our_runs = int(os.environ.get("RLREF_EXPLORATION_RUNS", "20"))
    seeds = list(range(SEED, SEED + n_seeds))
    try:
        python: str | None = rlberry_python()
        why = ""
    except ImportError as exc:
        python, why = None, str(exc)
        print(f"rlberry rows skipped: {why}", file=sys.stderr, flush=True)
    instances = INSTANCES[:1] if quick else INSTANCES
    for inst in instances:
        mdp = inst.build()
        S, A = mdp.n_states, mdp.n_actions
        for agent in OURS:
            rl = OURS[agent].rlberry_agent(agent)
            K = inst.episodes_for(agent)
            if quick:
                K = min(K, inst.test_episodes)

            def peer(inst: Instance = inst, rl: str = rl, K: int = K) -> dict[str, Any] | str:
                # run lazily, from the annotation: comparisons left out by --filter start no rlberry process
                if python is None:
                    return why
                q = Instance(inst.name, inst.build, K, inst.test_episodes)
                print(f"rlberry {rl} on {inst.name} ({n_seeds} seeds, K={K}) ...", file=sys.stderr, flush=True)
                return run_rlberry(python, q, rl, seeds, (K,))

            yield Comparison(
                title=f"{agent} on {inst.name}, K={K} episodes",
                ours=_ours_case(agent, mdp, K),
                peers=(
                    Case("floor: backward induction + 1 simulated episode (numba)", _floor(mdp, K)),
                    Case("floor + exact scoring of the episode's policy", _floor(mdp, K, score=True)),
                )
                + (
                    (
                        Case(
                            "floor + scoring + one posterior draw (S A (S+2) gamma variates)",
                            _floor(mdp, K, score=True, draws=S * A * (S + 2)),
                        ),
                    )
                    if agent == "PSRL"
                    else ()
                ),
                note=f"{K} episodes per call",
                annotate=_note(agent, inst, mdp, K, peer, our_runs),
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (see :func:`benchmarks.harness.run_suite`); ``--record`` rewrites the JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--record-agent" in args:  # add one agent's entries to the recorded file
        record(agents=[args[args.index("--record-agent") + 1]])
        print(f"added to {DATA_PATH.relative_to(ROOT)}")
        return 0
    if "--record" in args:
        record()
        print(f"wrote {DATA_PATH.relative_to(ROOT)}")
        return 0
    return run_suite(
        [bench_exploration],
        args,
        prog="python -m benchmarks.bench_exploration",
        description=__doc__.splitlines()[0] if __doc__ else None,
        packages=("numba",),
    )


if __name__ == "__main__":
    sys.exit(main())
