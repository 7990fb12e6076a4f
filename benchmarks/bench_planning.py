"""Planning: Bellman sweeps and time to a certified epsilon-optimal policy.

Workloads (issue 3): dense random MDPs with S = 500 and S = 2000, A = 8, gamma = 0.99;
sparse random (Garnet) MDPs with S = 50,000 (and 10**6 unless ``--quick``), A = 4 and
10 successors per state-action pair. Instances come from
``rlcore.generators.random_mdp`` with a fixed seed; each peer gets the same arrays in
its own layout, built in the untimed setup (QuantEcon's ``DiscreteDP``, the toolboxes'
model objects: peer start-up is reported apart, never timed).

Equal work (issue 23), per comparison:

* **one Bellman optimality sweep** ``V -> max_a R + gamma P V`` over all ``(s, a)``,
  the same ``V`` for every implementation (outputs checked equal to 1e-10): ours is
  ``tabular.bellman_backup`` (BLAS for dense ``P``, a fused Numba CSR kernel for sparse
  ``P``); peers are QuantEcon's ``DiscreteDP.bellman_operator`` (dense, and the sparse
  state-action-pair form), pymdptoolbox's and mdptoolbox-hiive's
  ``ValueIteration._bellmanOperator``. Sparse sweeps are also timed with
  ``parallel=True`` (Numba threads). The rows **memory bound** are compiled read-only
  reductions over exactly as many bytes as ``P`` occupies (values, and for CSR the
  column indices and row pointers), *streamed from memory*: each call reads the next
  window of that size in a buffer of at least 4x the last-level cache
  (``benchmarks.membw.last_level_cache_bytes``), so no window is still cached when it
  is read again (at S = 50,000 a sparse ``P`` of 30 MiB fits in a 32 MiB cache and a
  probe re-reading it measured the cache). One row reads with one thread (the bound of
  serial kernels), another with all of Numba's threads (the bound of BLAS and
  ``parallel=True``), reported separately; a threaded probe on a busy machine shows
  what threads get under that load. The ratio in those rows is *sweep time / time to
  stream the bytes of P*. A sweep repeated on the same ``P`` may run partly from the
  cache where ``P`` fits in it, so it can beat this bound.
* **time to a certified 1e-6-optimal policy**: every row must return values within
  1e-6 of ``V*`` and a 1e-6-optimal policy (each answer's true error is printed in
  the note, against a reference ``V*`` certified to 1e-7 by our policy iteration).
  Ours are ``tabular.solve`` (modified policy iteration, m="auto", span rule; for dense
  ``P`` also ``arithmetic="mixed"``, float32 sweeps then a float64 certificate; its
  float32 copy of ``P`` is cached per MDP, so the first-call column includes making
  it), our value iteration and policy iteration. Peers: QuantEcon's MPI (``k = 20``,
  its span stopping rule at ``epsilon = 1e-6``, the same accuracy as ours) and PI
  (exact; dense only: its sparse PI factorises ``I - gamma P_pi`` with SuperLU, ruinous
  fill-in), and QuantEcon's VI, whose sup-norm rule needs about 1,900 sweeps here:
  "quantecon VI (to epsilon)" gives it the ``max_iter`` it needs and runs only where
  one solve takes about a second (dense S <= 500, not ``--quick``); elsewhere the row
  is labelled "fixed 250 iterations" (QuantEcon's default ``max_iter``), it is not a
  certified answer, and its true error shows it. The note also counts full Bellman
  sweeps (over all ``(s, a)``; QuantEcon MPI's iterations) and policy-evaluation
  sweeps (one action per state) of ours and QuantEcon's MPI. Numba compile time shows
  in "first call".

Run ``python -m benchmarks.bench_planning [--quick] [--filter dense] [--json PATH]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numba import njit, prange

from benchmarks.harness import BenchResult, Case, Comparison, run_suite

__all__ = ["bench_planning", "main", "read_bandwidth_case"]

GAMMA = 0.99
EPSILON = 1e-6


@njit(cache=True, fastmath={"reassoc"})
def _stream_sum(x):  # pragma: no cover - compiled
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i]
    return acc


@njit(cache=True, parallel=True, fastmath={"reassoc"})
def _stream_sum_threads(x):  # pragma: no cover - compiled
    acc = 0.0
    for i in prange(x.shape[0]):
        acc += x[i]
    return acc


def read_bandwidth_case(nbytes: int, *, threads: bool = False, llc_bytes: int | None = None) -> Case:
    """A case that streams ``nbytes`` bytes from memory once per call (a compiled float64 reduction).

    Its time is the memory-bandwidth bound of any kernel that must stream that many
    bytes; ``ratio ours/peer`` against it is *our time / bound*. Each call reads the
    next window of ``nbytes`` in a buffer of at least ``4 * llc_bytes`` (the last-level
    cache, :func:`benchmarks.membw.last_level_cache_bytes` by default; 32 MiB if
    unknown), so the window is not in the cache when read. ``threads=True`` reads with
    all of Numba's threads (the bound for threaded kernels, BLAS included).
    """
    if llc_bytes is None:
        from benchmarks.membw import last_level_cache_bytes

        llc_bytes = last_level_cache_bytes() or 32 * 2**20
    window = max(1, nbytes // 8)
    n_windows = max(1, -(-4 * llc_bytes // max(8 * window, 1)))  # ceil(4 LLC / window)
    n_windows = n_windows + 1 if n_windows > 1 else 1

    def setup() -> list[Any]:
        return [np.ones(window * n_windows), 0]

    kernel = _stream_sum_threads if threads else _stream_sum

    def read(state: list[Any]) -> float:
        buf, k = state
        state[1] = (k + 1) % n_windows
        return kernel(buf[k * window : (k + 1) * window])

    where = f"streamed from a {window * n_windows * 8 / 2**20:.0f} MiB buffer"
    if threads:
        return Case(f"memory bound, all threads (read of the same bytes, {where})", read, setup)
    return Case(f"memory bound, 1 thread (read of the same bytes, {where})", read, setup)


def _p_bytes(mdp: Any) -> int:
    P = mdp.P
    if sp.issparse(P):
        return int(P.data.nbytes + P.indices.nbytes + P.indptr.nbytes)
    return int(P.nbytes)


def _instances(quick: bool) -> Iterator[tuple[str, Any]]:
    from rlcore.generators import random_mdp

    if quick:
        yield "dense S=300 A=8", random_mdp(300, 8, gamma=GAMMA, rng=0)
        yield "sparse S=20000 A=4 b=10", random_mdp(20_000, 4, branching=10, sparse=True, gamma=GAMMA, rng=0)
        return
    yield "dense S=500 A=8", random_mdp(500, 8, gamma=GAMMA, rng=0)
    yield "dense S=2000 A=8", random_mdp(2000, 8, gamma=GAMMA, rng=0)
    yield "sparse S=50000 A=4 b=10", random_mdp(50_000, 4, branching=10, sparse=True, gamma=GAMMA, rng=0)
    yield "sparse S=1000000 A=4 b=10", random_mdp(1_000_000, 4, branching=10, sparse=True, gamma=GAMMA, rng=0)


# ---------------------------------------------------------------------------- peers
def _quantecon_ddp(mdp: Any) -> Any:
    from quantecon.markov import DiscreteDP

    S, A = mdp.n_states, mdp.n_actions
    if mdp.is_sparse:
        s_idx = np.repeat(np.arange(S), A)
        a_idx = np.tile(np.arange(A), S)
        return DiscreteDP(np.asarray(mdp.R).ravel(), sp.csr_matrix(mdp.P), GAMMA, s_idx, a_idx)
    return DiscreteDP(np.asarray(mdp.R), np.asarray(mdp.P), GAMMA)


def _toolbox_mdp(module: str, mdp: Any) -> Any:
    import importlib

    mdp_mod = importlib.import_module(module)
    S, A = mdp.n_states, mdp.n_actions
    if mdp.is_sparse:
        P = [sp.csr_matrix(mdp.P[np.arange(S) * A + a]) for a in range(A)]
    else:
        P = np.ascontiguousarray(np.asarray(mdp.P).transpose(1, 0, 2))
    # The sweep is the toolboxes' MDP._bellmanOperator. Their constructors validate P
    # by densifying sparse matrices (20 GB at S = 50,000) and ValueIteration adds an
    # O(S^2 A) iteration bound, so the object is given exactly the attributes the
    # sweep reads (A, S, discount or gamma, P as A matrices (S, S), R as A vectors (S,)).
    obj = object.__new__(mdp_mod.MDP)
    obj.S, obj.A, obj.discount, obj.gamma = S, A, GAMMA, GAMMA  # hiive calls it gamma
    obj.P = tuple(P) if mdp.is_sparse else tuple(P[a] for a in range(A))
    obj.R = tuple(np.ascontiguousarray(np.asarray(mdp.R)[:, a]) for a in range(A))
    return obj


def _sweep_comparison(label: str, mdp: Any, V: np.ndarray) -> Comparison:
    import tabular

    ours = Case(
        "tabular.bellman_backup" + (" (BLAS)" if not mdp.is_sparse else " (serial)"),
        lambda: tabular.bellman_backup(mdp, V)[1],
    )
    peers = [
        Case("quantecon DiscreteDP.bellman_operator", lambda d: d.bellman_operator(V), lambda: _quantecon_ddp(mdp)),
        Case(
            "pymdptoolbox _bellmanOperator",
            lambda vi: vi._bellmanOperator(V)[1],
            lambda: _toolbox_mdp("mdptoolbox.mdp", mdp),
        ),
        Case(
            "mdptoolbox-hiive _bellmanOperator",
            lambda vi: vi._bellmanOperator(V)[1],
            lambda: _toolbox_mdp("hiive.mdptoolbox.mdp", mdp),
        ),
        read_bandwidth_case(_p_bytes(mdp)),
        read_bandwidth_case(_p_bytes(mdp), threads=True),
    ]
    if mdp.is_sparse:
        peers.insert(
            0, Case("tabular.bellman_backup (parallel=True)", lambda: tabular.bellman_backup(mdp, V, parallel=True)[1])
        )
    if mdp.n_states >= 1_000_000:
        peers = [p for p in peers if "toolbox" not in p.name]  # their sparse sweeps take seconds here

    def check(ours_out: Any, peer_out: Any) -> None:
        if np.ndim(peer_out) == 0:  # the bandwidth probe returns a float
            return
        np.testing.assert_allclose(np.asarray(peer_out).ravel(), ours_out, rtol=1e-10, atol=1e-10)

    return Comparison(
        title=f"one Bellman sweep, {label}",
        ours=ours,
        peers=tuple(peers),
        check=check,
        note=f"P occupies {_p_bytes(mdp) / 2**20:.1f} MiB; the ratios in the two bound rows are sweep time / "
        "time to stream P's bytes from memory (1 thread: for serial kernels; all threads: for BLAS and "
        "parallel=True); a P smaller than the last-level cache may be swept partly from the cache",
    )


def _solution_comparison(label: str, mdp: Any, quick: bool) -> Comparison:
    import tabular
    from rlcore import evaluate_policy

    errors: list[str] = []
    reference: list[np.ndarray] = []
    sweeps: dict[str, str] = {}

    def v_star() -> np.ndarray:  # computed on first use, so a filtered-out comparison costs nothing
        if not reference:
            ref = tabular.policy_iteration(mdp, epsilon=1e-7)
            assert ref.converged, "reference V* not certified to 1e-7"
            reference.append(ref.V)
        return reference[0]

    def ours(name: str, **kwargs: Any) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
        def run() -> tuple[np.ndarray, np.ndarray]:
            res = tabular.solve(mdp, epsilon=EPSILON, **kwargs)
            if name not in sweeps:
                evals = int(res.history["evaluation_backups"].sum())
                evals += int(res.history.get("start_evaluation_backups", np.zeros(1)).sum())
                extra = ""
                if "float32_residual" in res.history:
                    evals += int(res.history["polish_evaluation_backups"].sum())
                    f32 = len(res.history["float32_residual"])
                    f32_evals = int(res.history["float32_evaluation_backups"].sum())
                    extra = f" after {f32} float32 full + {f32_evals} float32 evaluation"
                sweeps[name] = f"{res.iterations} full + {evals} evaluation{extra}"
            return res.V, res.policy

        return run

    def qe_mpi(d: Any) -> tuple[np.ndarray, np.ndarray]:
        res = d.solve("modified_policy_iteration", epsilon=EPSILON)
        sweeps.setdefault("quantecon MPI", f"{res.num_iter} full + {20 * (res.num_iter - 1)} evaluation")
        return _qe(res)

    def qe_setup() -> Any:
        return _quantecon_ddp(mdp)

    peers = []
    if not mdp.is_sparse:
        peers.append(Case("tabular.solve (arithmetic='mixed')", ours("tabular.solve (mixed)", arithmetic="mixed")))
    peers += [
        Case("tabular.value_iteration (span rule)", lambda: _pair(tabular.value_iteration(mdp, epsilon=EPSILON))),
        Case("tabular.policy_iteration", lambda: _pair(tabular.policy_iteration(mdp, epsilon=EPSILON))),
        Case(
            "quantecon VI (fixed 250 iterations, not converged)",
            lambda d: _qe(d.solve("value_iteration", epsilon=EPSILON, max_iter=250)),
            qe_setup,
        ),
        Case("quantecon MPI", qe_mpi, qe_setup),
    ]
    if not quick and not mdp.is_sparse and mdp.n_states <= 500:  # about a second per solve here
        peers.append(
            Case(
                "quantecon VI (to epsilon)",
                lambda d: _qe(d.solve("value_iteration", epsilon=EPSILON, max_iter=100_000)),
                qe_setup,
            )
        )
    if not mdp.is_sparse:  # QuantEcon's sparse PI factorises I - gamma P_pi with SuperLU: ruinous fill-in
        peers.append(Case("quantecon PI", lambda d: _qe(d.solve("policy_iteration")), qe_setup))

    names = ["tabular.solve"] + [p.name for p in peers]

    def check(ours_out: Any, peer_out: Any) -> None:
        for out in ((ours_out,) if not errors else ()) + (peer_out,):
            V, pi = out
            sub = float(np.max(v_star() - evaluate_policy(mdp, pi).V))
            errors.append(f"|V-V*|={float(np.max(np.abs(V - v_star()))):.1e} subopt={max(sub, 0.0):.1e}")

    def annotate(result: BenchResult) -> str:
        counts = "sweeps: " + "; ".join(f"{n}: {c}" for n, c in sweeps.items())
        return (
            counts + "; true errors (vs V* certified to 1e-7): " + "; ".join(f"{n}: {e}" for n, e in zip(names, errors))
        )

    return Comparison(
        title=f"certified {EPSILON:g}-optimal policy, {label}",
        ours=Case("tabular.solve (MPI m=auto, span rule)", ours("tabular.solve")),
        peers=tuple(peers),
        check=check,
        annotate=annotate,
    )


def _pair(res: Any) -> tuple[np.ndarray, np.ndarray]:
    return res.V, res.policy


def _qe(res: Any) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(res.v), np.asarray(res.sigma)


def bench_planning(quick: bool) -> Iterator[Comparison]:
    """Sweep and time-to-solution comparisons on the issue's workloads."""
    for label, mdp in _instances(quick):
        V = np.linspace(0.0, 1.0, mdp.n_states)
        yield _sweep_comparison(label, mdp, V)
        if mdp.n_states <= 50_000:
            yield _solution_comparison(label, mdp, quick)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see :func:`benchmarks.harness.run_suite` for options."""
    return run_suite(
        [bench_planning],
        argv,
        prog="python -m benchmarks.bench_planning",
        description=__doc__.split("\n\n")[0],
        packages=("rlref", "quantecon", "pymdptoolbox", "mdptoolbox-hiive"),
    )


if __name__ == "__main__":
    sys.exit(main())
