"""Bandits: simulated steps per second against SMPyBandits and MABWiser.

Workload (issue 7): 10 Bernoulli arms (means 0.1, 0.2, ..., 0.9, 0.85), horizon
``10**5``, 100 independent runs, for UCB1, KL-UCB and Beta-Bernoulli Thompson sampling
(``--quick``: horizon ``10**4``, 10 runs).

Up to three comparisons per policy:

* **full workload**: ours, ``bandits.simulate`` on the compiled path (the first call
  includes Numba compilation or cache loading). The note gives steps per second.
  For Thompson sampling the full workload also times a *floor*: a Numba loop that
  only draws the 10 posterior Betas, takes the argmax and updates the posterior. Exact
  Beta-Thompson sampling cannot run faster than its draws, so this bounds the speed-up
  any implementation drawing the same posteriors can reach.
* **peer workload**: the same experiment with fewer runs (``RLREF_SMPY_RUNS``, default
  2, ``--quick`` 1; the peer needs minutes per run; ``--quick`` also shortens the
  horizon to 3,000 here), ours on the compiled and the Python path and
  SMPyBandits' policy objects (``startGame`` / ``choice`` / ``getReward``, rewards from
  its ``Bernoulli`` arms) in a loop. The ratio column is the speed-up (ours / peer
  median time of the same work), so ``1 / ratio`` is how many times faster we are.
* **MABWiser workload** (UCB1 and Thompson sampling; MABWiser has no KL-UCB): the
  same arms at horizon ``RLREF_MABWISER_HORIZON`` (default ``10**4``, ``--quick``
  3,000) for ``RLREF_MABWISER_RUNS`` runs (default 2, ``--quick`` 1): ours on the compiled path
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
environment, in a subprocess: ``RLREF_SMPY_PYTHON`` names that environment's
``python`` (default: ``.venv-smpy/bin/python`` in the repository, if it exists).
MABWiser likewise runs in the environment named by ``RLREF_MABWISER_PYTHON`` (default
``.venv-mabwiser/bin/python``; it pulls pandas and scikit-learn, which our environment
does not need). Without either, or if the package does not import there, the peer is
reported as not installed and the benchmark still succeeds.

**Loop against loop** (issue 23): each peer runs in a *warm worker*, an interpreter
started once in the case's untimed setup, which imports the peer and then answers one
request (policy, horizon, runs, seed) per line on its standard input. The timed call is
the request: the peer's loop plus a pipe round trip (well under a millisecond against
seconds of loop), never its interpreter start or imports. Those are reported apart in
the note ("start-up ..., not in the ratio"), as is the loop time the worker measured
itself.

**SMPyBandits' Numba path cannot load on Python 3.11.** Its ``usenumba`` modules
(``SMPyBandits/{Arms,Environment,Policies}/usenumba.py``, version 0.9.7) import ``jit``
from ``numba.decorators``, a module Numba removed in 0.49; Python 3.11 needs Numba >=
0.57, so the import always fails and SMPyBandits falls back, with a printed warning, to a
do-nothing ``jit`` decorator (checked with Numba 0.60 installed in that venv:
``No module named 'numba.decorators'``). Its policies (``UCB``, ``klUCB``,
``Thompson``) and its ``kullback`` module (``klucbBern``) therefore run as plain Python.
That is the only way it runs on this Python, not a choice of this benchmark.

Checks before timing: the Python path's trajectories equal the compiled path's (same
seed, bit for bit), and the peer's mean final regret agrees with ours (100 runs;
``--quick``: 10 runs at the peer's horizon) within 5 combined standard errors: the regret statistics are the same, the random streams are
not. For MABWiser the check uses ``RLREF_MABWISER_CHECK_RUNS`` runs (default 10,
``--quick`` 4) made once, untimed, in the case's setup, against ours over 100 runs
(``--quick``: 10) at the same horizon; the note gives both means and the tolerance.

Run ``python -m benchmarks.bench_bandits [--quick] [--filter UCB1] [--json PATH]``.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.harness import BenchResult, Case, Comparison, format_duration, run_suite

__all__ = ["bench_bandits", "mabwiser_case", "main", "smpy_case"]

MEANS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.85]
SEED = 2024

_SMPY_SCRIPT = r"""
import json, sys, time
t_start = time.perf_counter()
import numpy as np
from SMPyBandits.Arms import Bernoulli
from SMPyBandits import Policies
print(json.dumps({"ready": True, "import_s": time.perf_counter() - t_start}), flush=True)
for line in sys.stdin:
    args = json.loads(line)
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
    print(json.dumps({"finals": finals, "loop_s": time.perf_counter() - t0}), flush=True)
"""

_MABWISER_SCRIPT = r"""
import json, sys, time
t_start = time.perf_counter()
from importlib.metadata import version
import numpy as np
from mabwiser.mab import MAB, LearningPolicy
print(json.dumps({"ready": True, "import_s": time.perf_counter() - t_start}), flush=True)
for line in sys.stdin:
    args = json.loads(line)
    means = np.asarray(args["means"], dtype=float)
    K, T = means.size, args["horizon"]
    best = float(means.max())
    rng = np.random.default_rng(args["seed"])
    finals = []
    t0 = time.perf_counter()
    for run in range(args["runs"]):
        if args["policy"] == "UCB1":
            # index mean + alpha * sqrt(2 ln N / n_arm), N = decisions so far: alpha = 1 is UCB1
            policy = LearningPolicy.UCB1(alpha=1.0)
            first = np.arange(K)  # UCB1 pulls each arm once
        else:
            policy = LearningPolicy.ThompsonSampling()  # Beta(1 + successes, 1 + failures)
            first = rng.integers(K, size=1)  # round 1 under Beta(1, 1) priors: a uniform arm
        mab = MAB(list(range(K)), policy, seed=int(rng.integers(2**31 - 1)))
        mab.fit(first, (rng.random(first.size) < means[first]).astype(float))
        regret = float(np.sum(best - means[first]))
        for t in range(first.size, T):
            a = mab.predict()
            mab.partial_fit(np.array([a]), np.array([float(rng.random() < means[a])]))
            regret += best - means[a]
        finals.append(regret)
    out = {"finals": finals, "loop_s": time.perf_counter() - t0, "version": version("mabwiser")}
    print(json.dumps(out), flush=True)
"""

_SMPY_NAMES = {"UCB1": "UCB", "KL-UCB": "klUCB", "Thompson": "Thompson"}


def _policy(name: str) -> Any:
    import bandits

    return {"UCB1": bandits.UCB1, "KL-UCB": bandits.KLUCB, "Thompson": bandits.ThompsonBeta}[name]()


def _ours(name: str, horizon: int, runs: int, backend: str = "numba") -> dict[str, Any]:
    import bandits

    res = bandits.simulate(bandits.BernoulliBandit(MEANS), _policy(name), horizon, runs, rng=SEED, backend=backend)
    return {"finals": res.pseudo_regret[:, -1].copy()}


def _peer_python(variable: str, venv: str) -> str:
    """The peer's interpreter: ``$variable``, else ``<repository>/<venv>/bin/python`` if it exists."""
    python = os.environ.get(variable, "")
    if not python:
        default = Path(__file__).resolve().parent.parent / venv / "bin" / "python"
        if default.exists():
            python = str(default)
    return python


class _Worker:
    """A peer's interpreter kept running: it imports once, then answers one JSON request per line.

    Timing a call therefore times the peer's loop (plus a pipe round trip of well under a
    millisecond), not its interpreter start and imports, which :attr:`startup_s` reports
    apart. The worker ends when its standard input closes (:meth:`close`, registered
    with :mod:`atexit`, or this process's exit).
    """

    def __init__(self, python: str, script: str, what: str) -> None:
        self.what = what
        self.stderr = tempfile.TemporaryFile(mode="w+")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [python, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True
        )
        atexit.register(self.close)
        try:
            ready = self._read()
        except RuntimeError as exc:
            raise ImportError(str(exc)) from None
        self.startup_s = time.perf_counter() - t0
        self.import_s = float(ready.get("import_s", float("nan")))

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # the peer may print banners and warnings: skip them
            line = line.strip()
            if line.startswith("{"):
                try:
                    payload: dict[str, Any] = json.loads(line)
                except ValueError:
                    continue
                return payload
        rc = self.proc.wait()
        self.stderr.seek(0)
        raise RuntimeError(f"{self.what} exited with status {rc}: {self.stderr.read().strip()[-400:]}")

    def call(self, args: dict[str, Any]) -> dict[str, Any]:
        """Send one request and wait for its answer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(args) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        """Close the worker's input (it exits) and wait for it."""
        if self.proc.poll() is None:
            try:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


def smpy_case(name: str, horizon: int, runs: int, log: dict[str, float]) -> Case:
    """A case that runs SMPyBandits' ``name`` policy in a warm worker of its own venv.

    ``log`` receives ``startup_s`` (interpreter start and imports, in the untimed setup)
    and ``loop_s`` (the fastest loop time the worker measured itself).
    """

    def setup() -> _Worker:
        python = _peer_python("RLREF_SMPY_PYTHON", ".venv-smpy")
        if not python or shutil.which(python) is None:
            raise ImportError(
                "SMPyBandits needs numpy<2 and its own venv: set RLREF_SMPY_PYTHON to that venv's python "
                "(default: .venv-smpy/bin/python in the repository)"
            )
        worker = _Worker(python, _SMPY_SCRIPT, f"SMPyBandits in {python}")
        log["startup_s"] = worker.startup_s
        return worker

    def run(worker: _Worker) -> dict[str, Any]:
        args = {"seed": SEED, "means": MEANS, "horizon": horizon, "runs": runs, "policy": _SMPY_NAMES[name]}
        payload = worker.call(args)
        log["loop_s"] = min(log.get("loop_s", float("inf")), float(payload["loop_s"]))
        return {"finals": np.asarray(payload["finals"], dtype=float)}

    return Case(f"SMPyBandits {_SMPY_NAMES[name]} (warm worker, loop timed)", run, setup)


def mabwiser_case(name: str, horizon: int, runs: int, check_runs: int, log: dict[str, Any]) -> Case:
    """A case that runs MABWiser's ``name`` policy online in a warm worker of its own venv.

    The setup starts the worker (its start-up goes to ``log["startup_s"]``) and makes
    ``check_runs`` untimed runs for the regret check; the first call returns their
    final regrets as ``check_finals`` next to the timed ``finals``.
    """

    def args(n_runs: int) -> dict[str, Any]:
        return {"seed": SEED, "means": MEANS, "horizon": horizon, "runs": n_runs, "policy": name}

    def setup() -> tuple[_Worker, np.ndarray]:
        python = _peer_python("RLREF_MABWISER_PYTHON", ".venv-mabwiser")
        if not python or shutil.which(python) is None:
            raise ImportError(
                "MABWiser runs in its own venv: set RLREF_MABWISER_PYTHON to that venv's python "
                "(default: .venv-mabwiser/bin/python in the repository)"
            )
        worker = _Worker(python, _MABWISER_SCRIPT, f"MABWiser in {python}")
        log["startup_s"] = worker.startup_s
        payload = worker.call(args(check_runs))
        log["version"] = payload["version"]
        return worker, np.asarray(payload["finals"], dtype=float)

    def run(state: tuple[_Worker, np.ndarray]) -> dict[str, Any]:
        worker, check_finals = state
        payload = worker.call(args(runs))
        log["loop_s"] = min(log.get("loop_s", float("inf")), float(payload["loop_s"]))
        return {"finals": np.asarray(payload["finals"], dtype=float), "check_finals": check_finals}

    return Case(f"MABWiser {name} (warm worker, loop timed)", run, setup)


def _agree(reference: dict[str, Any], make: Any = None) -> Any:
    """Check a peer's final regrets against ``reference["finals"]`` (made by ``make()`` if absent)."""

    def check(ours: dict[str, Any], peer: dict[str, Any]) -> None:
        a, b = ours["finals"], peer["finals"]
        if a.shape == b.shape and np.array_equal(a, b):
            return  # the Python path: identical trajectories
        if "finals" not in reference and make is not None:
            reference["finals"] = make()
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
            parts.append(f"SMPyBandits loop as timed inside its worker: {steps / extra['loop_s']:,.0f} steps/s")
        if extra and "startup_s" in extra:
            parts.append(
                f"SMPyBandits start-up (interpreter + imports, once, untimed, not in the ratio): "
                f"{format_duration(extra['startup_s'])}"
            )
        return "; ".join(parts)

    return annotate


def _agree_mabwiser(name: str, horizon: int, ref_runs: int, log: dict[str, Any]) -> Any:
    """Check MABWiser's ``check_finals`` against ours over ``ref_runs`` runs (5 combined se)."""

    def check(ours: dict[str, Any], peer: dict[str, Any]) -> None:
        ref = _ours(name, horizon, ref_runs)["finals"]
        b = peer["check_finals"]
        peer_var = b.var(ddof=1) if b.size > 1 else ref.var(ddof=1)
        se = float(np.sqrt(ref.var(ddof=1) / ref.size + peer_var / b.size))
        log.update(peer_mean=float(b.mean()), peer_n=b.size, ref_mean=float(ref.mean()), ref_n=ref.size, se=se)
        if abs(b.mean() - ref.mean()) > 5 * se + 1e-9:
            from benchmarks.harness import CheckFailed

            raise CheckFailed(f"mean final regret {b.mean():.2f} differs from ours {ref.mean():.2f} (se {se:.2f})")

    return check


def _mabwiser_note(steps: int, full_steps: int, log: dict[str, Any], speeds: dict[str, float]) -> Any:
    def annotate(res: BenchResult) -> str:
        parts = [_steps_note(steps)(res)]
        if "se" in log:
            parts.append(
                f"MABWiser {log.get('version', '?')}: mean final regret {log['peer_mean']:.1f} over "
                f"{log['peer_n']} runs vs ours {log['ref_mean']:.1f} over {log['ref_n']} runs, "
                f"|difference| {abs(log['peer_mean'] - log['ref_mean']):.1f} <= 5 se = {5 * log['se']:.1f}"
            )
        if "startup_s" in log:
            parts.append(
                f"MABWiser start-up (interpreter + imports, once, untimed, not in the ratio): "
                f"{format_duration(log['startup_s'])}"
            )
        if "loop_s" in log:
            rate = steps / log["loop_s"]
            parts.append(f"MABWiser loop alone: {rate:,.0f} steps/s")
            if "ours" in speeds:
                ours, which = speeds["ours"], "full workload, measured above"
            elif res.ours.median_s:
                ours, which = steps / res.ours.median_s, "this workload"
            else:
                return "; ".join(parts)
            parts.append(
                f"ours ({which}) {ours:,.0f} steps/s = {ours / rate:,.0f}x MABWiser's loop alone; "
                f"EXTRAPOLATED at these rates, not measured: the full workload of {full_steps:,} steps "
                f"would take MABWiser {format_duration(full_steps / rate)}, ours {format_duration(full_steps / ours)}"
            )
        return "; ".join(parts)

    return annotate


def _beta_draw_floor(horizon: int, runs: int) -> dict[str, Any]:
    """The cost floor of exact Beta-Bernoulli Thompson sampling: per round, one
    ``Beta(1 + S_k, 1 + F_k)`` draw for each of the 10 arms, the argmax, a Bernoulli
    reward and the posterior update, and nothing else (no regret bookkeeping)."""
    from numba import njit

    global _FLOOR_KERNEL
    if _FLOOR_KERNEL is None:

        @njit(cache=True)
        def loop(means, T, rng):  # pragma: no cover - compiled
            K = means.shape[0]
            s = np.zeros(K)
            f = np.zeros(K)
            for _ in range(T):
                arm = 0
                top = -1.0
                for k in range(K):
                    x = rng.beta(1.0 + s[k], 1.0 + f[k])
                    if x > top:
                        top = x
                        arm = k
                if rng.random() < means[arm]:
                    s[arm] += 1.0
                else:
                    f[arm] += 1.0
            return s + f

        _FLOOR_KERNEL = loop
    rng = np.random.default_rng(SEED)
    m = np.asarray(MEANS)
    pulls = [_FLOOR_KERNEL(m, horizon, rng) for _ in range(runs)]
    return {"finals": np.array([float(np.sum((m.max() - m) * c)) for c in pulls])}


_FLOOR_KERNEL: Any = None


def bench_bandits(quick: bool) -> Iterator[Comparison]:
    """The comparisons of this module (see the module docstring)."""
    horizon, runs = (10_000, 10) if quick else (100_000, 100)
    peer_runs = int(os.environ.get("RLREF_SMPY_RUNS", "1" if quick else "2"))
    peer_horizon = 3_000 if quick else horizon  # quick: the Python peers' loops kept short
    mab_horizon = int(os.environ.get("RLREF_MABWISER_HORIZON", "3000" if quick else "10000"))
    mab_runs = int(os.environ.get("RLREF_MABWISER_RUNS", "1" if quick else "2"))
    mab_check_runs = int(os.environ.get("RLREF_MABWISER_CHECK_RUNS", "4" if quick else "10"))
    for name in ("UCB1", "KL-UCB", "Thompson"):
        reference: dict[str, Any] = {}
        speeds: dict[str, float] = {}

        def full(name: str = name, reference: dict[str, Any] = reference) -> dict[str, Any]:
            out = _ours(name, horizon, runs)
            reference.setdefault("finals", out["finals"])
            return out

        def full_note(res: BenchResult, speeds: dict[str, float] = speeds) -> str:
            if res.ours.median_s:
                speeds["ours"] = horizon * runs / res.ours.median_s
            return str(_steps_note(horizon * runs)(res))

        floor = (
            (
                Case(
                    "floor: 10 Beta draws + argmax per round, nothing else (numba)",
                    lambda: _beta_draw_floor(horizon, runs),
                ),
            )
            if name == "Thompson"
            else ()
        )
        yield Comparison(
            title=f"{name}: 10 Bernoulli arms, T={horizon}, {runs} runs",
            ours=Case("bandits.simulate (numba)", full),
            peers=floor,
            note=f"{horizon * runs:,} steps per call",
            annotate=full_note,
        )
        log: dict[str, float] = {}
        yield Comparison(
            title=f"{name}: 10 Bernoulli arms, T={peer_horizon}, {peer_runs} runs (peer workload)",
            ours=Case("bandits.simulate (numba)", lambda name=name: _ours(name, peer_horizon, peer_runs)),
            peers=(
                Case(
                    "bandits.simulate (python path)",
                    lambda name=name: _ours(name, peer_horizon, peer_runs, "python"),
                ),
                smpy_case(name, peer_horizon, peer_runs, log),
            ),
            check=(
                _agree(reference)
                if peer_horizon == horizon
                else _agree({}, lambda name=name: _ours(name, peer_horizon, runs)["finals"])
            ),
            note=f"{peer_horizon * peer_runs:,} steps per call; peer regret checked against ours over {runs} runs",
            annotate=_steps_note(peer_horizon * peer_runs, log),
        )
        if name == "KL-UCB":
            continue  # MABWiser has no KL-UCB
        mab_log: dict[str, Any] = {}
        yield Comparison(
            title=f"{name}: 10 Bernoulli arms, T={mab_horizon}, {mab_runs} runs (MABWiser workload)",
            ours=Case("bandits.simulate (numba)", lambda name=name: _ours(name, mab_horizon, mab_runs)),
            peers=(mabwiser_case(name, mab_horizon, mab_runs, mab_check_runs, mab_log),),
            check=_agree_mabwiser(name, mab_horizon, runs, mab_log),
            note=f"{mab_horizon * mab_runs:,} steps per call",
            annotate=_mabwiser_note(mab_horizon * mab_runs, horizon * runs, mab_log, speeds),
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
