"""Cascading RL: per-episode cost as the number of items ``L`` grows (issue 8).

Workload: random cascading MDPs with ``S = 3`` states, horizon ``H = 3``, lists of at
most ``K = 3`` items and ``L`` ground items, ``L`` in 4, 6, 8, 10, 16, 32, 64, 128
(``--quick``: 4, 8, 16, 32). Two comparisons per ``L``:

* **learning**: ours, :func:`bandits.cascading_vi` (BestPerm planning on
  optimistic estimates, ``O(H S (L S + L log L + L K))`` per episode); peer, the same
  optimistic value iteration over the enumerated list-action space
  (:func:`bandits.enumerated_ucbvi`, ``O(H S^2 |A|)`` per episode with
  ``|A| = sum_{k <= K} L! / (L - k)!``), run while ``|A| <= 25,000``. Each call plays
  20 episodes without regret bookkeeping; the note gives milliseconds per episode.
* **planning**: ours, :func:`bandits.solve_cascading_mdp` (DP with
  BestPerm); peer, :func:`tabular.backward_induction` on the enumerated
  :class:`rlcore.FiniteMDP` (built untimed in the peer's setup), while
  ``|A| <= 25,000``. Checked before timing: equal optimal values (``atol 1e-9``).

The ratio column is ours / peer median time: its inverse is the speed-up of not
enumerating lists, which grows like ``L^(K-1)``. Ours alone shows the polynomial growth
in ``L`` the issue asks to measure.

Run ``python -m benchmarks.bench_cascading [--quick] [--filter L=16] [--json PATH]``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from benchmarks.harness import BenchResult, Case, CheckFailed, Comparison, run_suite

__all__ = ["bench_cascading", "instance", "main"]

S, H, K = 3, 3, 3
EPISODES = 20
MAX_LISTS = 25_000


def instance(n_items: int, seed: int = 0) -> Any:
    """A random cascading MDP with ``n_items`` items (``S = 3``, ``H = 3``, ``K = 3``)."""
    from bandits.cascading import CascadingMDP

    rng = np.random.default_rng(seed)
    q = rng.uniform(0.05, 0.5, (S, n_items))
    P = rng.dirichlet(np.ones(S), (S, n_items + 1))
    r = rng.uniform(0, 1, (S, n_items))
    return CascadingMDP(q, P, r, list_length=min(K, n_items), horizon=H)


def _per_episode(res: BenchResult) -> str:
    return "; ".join(f"{r.name}: {1e3 * r.median_s / EPISODES:.3f} ms/episode" for r in res.rows if r.median_s)


def _same_values(ours: Any, peer: Any) -> None:
    a, b = np.asarray(ours), np.asarray(peer)
    if a.shape != b.shape or not np.allclose(a, b, rtol=0, atol=1e-9):
        raise CheckFailed(f"optimal values differ: max |diff| = {np.max(np.abs(a - b)):.3g}")


def bench_cascading(quick: bool) -> Iterator[Comparison]:
    """The comparisons of this module (see the module docstring)."""
    from bandits.cascading import cascading_vi, enumerated_ucbvi, solve_cascading_mdp

    sizes = [4, 8, 16, 32] if quick else [4, 6, 8, 10, 16, 32, 64, 128]
    for L in sizes:
        m = instance(L)
        small = m.n_lists <= MAX_LISTS
        peers = (
            (Case("enumerated UCBVI", lambda m=m: enumerated_ucbvi(m, EPISODES, rng=0, compute_regret=False)),)
            if small
            else ()
        )
        yield Comparison(
            title=f"learning, L={L} (|A|={m.n_lists:,})",
            ours=Case("CascadingVI", lambda m=m: cascading_vi(m, EPISODES, rng=0, compute_regret=False)),
            peers=peers,
            note=f"{EPISODES} episodes per call",
            annotate=_per_episode,
        )

        def enumerated(m: Any = m) -> Any:
            return m.to_finite_mdp()[0]

        def peer_solve(fm: Any) -> Any:
            import tabular

            return tabular.backward_induction(fm).V

        yield Comparison(
            title=f"planning, L={L} (|A|={m.n_lists:,})",
            ours=Case("solve_cascading_mdp (BestPerm DP)", lambda m=m: solve_cascading_mdp(m).V),
            peers=(Case("backward_induction on the enumerated MDP", peer_solve, enumerated),) if small else (),
            check=_same_values,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (see :func:`benchmarks.harness.run_suite`)."""
    return run_suite(
        [bench_cascading],
        argv,
        prog="python -m benchmarks.bench_cascading",
        description="Cascading RL: per-episode cost as the number of items grows.",
    )


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
