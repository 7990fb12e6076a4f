"""Bandits: simulated steps per second against SMPyBandits and MABWiser.

Workload (issue 7): 10 Bernoulli arms (means 0.1, 0.2, ..., 0.9, 0.85), horizon
``10**5``, 100 independent runs, for UCB1, KL-UCB and Beta-Bernoulli Thompson sampling
(``--quick``: horizon ``10**4``, 10 runs).

Up to three comparisons per policy:

* **full workload**: ours, ``bandits.simulate`` on the compiled path (the first call
  includes Numba compilation or cache loading). The note gives steps per second.
* **peer workload**: the same experiment with fewer runs (``RLREF_SMPY_RUNS``, default
  2; the peer needs minutes per run), ours on the compiled and the Python path and
  SMPyBandits' policy objects (``startGame`` / ``choice`` / ``getReward``, rewards from
  its ``Bernoulli`` arms) in a loop. The ratio column is the speed-up (ours / peer
  median time of the same work), so ``1 / ratio`` is how many times faster we are.
* **MABWiser workload** (UCB1 and Thompson sampling; MABWiser has no KL-UCB): the
  same arms at horizon ``RLREF_MABWISER_HORIZON`` (default ``10**4``) for
  ``RLREF_MABWISER_RUNS`` runs (default 2, ``--quick`` 1): ours on the compiled path
  against MABWiser's ``MAB`` used online, as its documentation describes: ``fit`` on
  the first pulls, then ``predict()`` and ``partial_fit([arm], [reward])`` once per
  round. ``LearningPolicy.UCB1(alpha=1)``: MABWiser's index is ``mean + alpha *
  sqrt(2 ln N / n_arm)`` with ``N`` the number of decisions so far, so ``alpha = 1`` is
  the classical UCB1 index of ours (fitted on one pull of each arm, as UCB1 starts).
  ``LearningPolicy.ThompsonSampling()`` samples ``Beta(1 + successes, 1 + failures)``,
  our ``ThompsonBeta`` prior; it is fitted on one pull of a uniformly drawn arm, which
  is the law of Thompson sampling's first choice under those priors. A MABWiser round
  costs the same at every ``t``, so its steps per second (the comparable unit) carry
  over to the full workload; the note extrapolates the full-workload time from the
  loop-alone rate and labels it so.

SMPyBandits needs ``numpy < 2`` and ``scipy < 1.14``, so it runs in its own virtual
environment, as a subprocess: set ``RLREF_SMPY_PYTHON`` to that environment's
``python``. MABWiser likewise runs in the environment named by
``RLREF_MABWISER_PYTHON`` (it pulls pandas and scikit-learn, which our environment does
not need). Without the variable, or if the package does not import there, the peer is
reported as not installed and the benchmark still succeeds. The subprocess time
includes its interpreter start and imports; the note also reports the peer's own loop
time.

Checks before timing: the Python path's trajectories equal the compiled path's (same
seed, bit for bit), and the peer's mean final regret agrees with ours (100 runs) within
5 combined standard errors: the regret statistics are the same, the random streams are
not. For MABWiser the check uses ``RLREF_MABWISER_CHECK_RUNS`` runs (default 10,
``--quick`` 4) made once, untimed, in the case's setup, against ours over 100 runs
(``--quick``: 10) at the same horizon; the note gives both means and the tolerance.

Run ``python -m benchmarks.bench_bandits [--quick] [--filter UCB1] [--json PATH]``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from benchmarks.harness import BenchResult, Case, Comparison, run_suite

__all__ = ["bench_bandits", "main", "smpy_case"]

MEANS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.85]
SEED = 2024

_SMPY_SCRIPT = r"""
import json, sys, time
import numpy as np
from SMPyBandits.Arms import Bernoulli
from SMPyBandits import Policies
args = json.loads(sys.argv[1])
np.random.seed(args["seed"])
means = args["means"]
K, T = len(means), args["horizon"]
best = max(means)
finals = []
t0 = time.perf_counter()
for run in range(args["runs"]):
    arms = [Bernoulli(p) for p in means]
    policy = getattr(Policies, args["policy"])(K)
    policy.startGame()
    regret = 0.0
    for t in range(T):
        a = policy.choice()
        policy.getReward(a, arms[a].draw(t))
        regret += best - means[a]
    finals.append(regret)
print(json.dumps({"finals": finals, "loop_s": time.perf_counter() - t0}))
"""

_SMPY_NAMES = {"UCB1": "UCB", "KL-UCB": "klUCB", "Thompson": "Thompson"}


def _policy(name: str) -> Any:
    import bandits

    return {"UCB1": bandits.UCB1, "KL-UCB": bandits.KLUCB, "Thompson": bandits.ThompsonBeta}[name]()


def _ours(name: str, horizon: int, runs: int, backend: str = "numba") -> dict[str, Any]:
    import bandits

    res = bandits.simulate(_policy(name), bandits.BernoulliBandit(MEANS), horizon, runs, rng=SEED, backend=backend)
    return {"finals": res.pseudo_regret[:, -1].copy()}


def smpy_case(name: str, horizon: int, runs: int, log: dict[str, float]) -> Case:
    """A case that runs SMPyBandits' ``name`` policy in the ``RLREF_SMPY_PYTHON`` venv."""

    def setup() -> str:
        python = os.environ.get("RLREF_SMPY_PYTHON", "")
        if not python or shutil.which(python) is None:
            raise ImportError(
                "SMPyBandits needs numpy<2 and its own venv: set RLREF_SMPY_PYTHON to that venv's python"
            )
        probe = subprocess.run([python, "-c", "import SMPyBandits"], capture_output=True, text=True)
        if probe.returncode != 0:
            raise ImportError(f"SMPyBandits does not import in {python}: {probe.stderr.strip()[-300:]}")
        return python

    def run(python: str) -> dict[str, Any]:
        args = {"seed": SEED, "means": MEANS, "horizon": horizon, "runs": runs, "policy": _SMPY_NAMES[name]}
        out = subprocess.run([python, "-c", _SMPY_SCRIPT, json.dumps(args)], capture_output=True, text=True,
                             check=True)
        payload = json.loads(out.stdout.strip().splitlines()[-1])
        log["loop_s"] = min(log.get("loop_s", float("inf")), float(payload["loop_s"]))
        return {"finals": np.asarray(payload["finals"], dtype=float)}

    return Case(f"SMPyBandits {_SMPY_NAMES[name]} (subprocess)", run, setup)


def _agree(reference: dict[str, Any]) -> Any:
    def check(ours: dict[str, Any], peer: dict[str, Any]) -> None:
        a, b = ours["finals"], peer["finals"]
        if a.shape == b.shape and np.array_equal(a, b):
            return  # the Python path: identical trajectories
        ref = reference.get("finals", a)
        se = np.sqrt(ref.var(ddof=1) / ref.size + (b.var(ddof=1) / b.size if b.size > 1 else ref.var(ddof=1)))
        if abs(b.mean() - ref.mean()) > 5 * se + 1e-9:
            from benchmarks.harness import CheckFailed

            raise CheckFailed(f"mean final regret {b.mean():.2f} differs from ours {ref.mean():.2f} (se {se:.2f})")

    return check


def _steps_note(steps: int, extra: dict[str, float] | None = None) -> Any:
    def annotate(res: BenchResult) -> str:
        parts = [f"{r.name}: {steps / r.median_s:,.0f} steps/s" for r in res.rows if r.median_s]
        if extra and "loop_s" in extra:
            parts.append(f"SMPyBandits loop alone: {steps / extra['loop_s']:,.0f} steps/s")
        return "; ".join(parts)

    return annotate


def bench_bandits(quick: bool) -> Iterator[Comparison]:
    """The comparisons of this module (see the module docstring)."""
    horizon, runs = (10_000, 10) if quick else (100_000, 100)
    peer_runs = int(os.environ.get("RLREF_SMPY_RUNS", "1" if quick else "2"))
    for name in ("UCB1", "KL-UCB", "Thompson"):
        reference: dict[str, Any] = {}

        def full(name: str = name, reference: dict[str, Any] = reference) -> dict[str, Any]:
            out = _ours(name, horizon, runs)
            reference.setdefault("finals", out["finals"])
            return out

        yield Comparison(
            title=f"{name}: 10 Bernoulli arms, T={horizon}, {runs} runs",
            ours=Case("bandits.simulate (numba)", full),
            note=f"{horizon * runs:,} steps per call",
            annotate=_steps_note(horizon * runs),
        )
        log: dict[str, float] = {}
        yield Comparison(
            title=f"{name}: 10 Bernoulli arms, T={horizon}, {peer_runs} runs (peer workload)",
            ours=Case("bandits.simulate (numba)", lambda name=name: _ours(name, horizon, peer_runs)),
            peers=(
                Case("bandits.simulate (python path)", lambda name=name: _ours(name, horizon, peer_runs, "python")),
                smpy_case(name, horizon, peer_runs, log),
            ),
            check=_agree(reference),
            note=f"{horizon * peer_runs:,} steps per call; peer regret checked against ours over {runs} runs",
            annotate=_steps_note(horizon * peer_runs, log),
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (see :func:`benchmarks.harness.run_suite`)."""
    return run_suite(
        [bench_bandits],
        argv,
        prog="python -m benchmarks.bench_bandits",
        description=__doc__.splitlines()[0] if __doc__ else None,
        packages=("numba",),
    )


if __name__ == "__main__":
    sys.exit(main())
