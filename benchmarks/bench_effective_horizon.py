"""Effective horizon: time to analyse an MDP with 10**4 states and horizon 20.

Workloads (issue 5): a sparse random (Garnet) MDP with S = 10**4, A = 4, 3 successors
per state-action pair and H = 20 (stochastic), its deterministic counterpart (one
successor), and the same MDPs under sticky actions (``rlcore.generators.sticky_actions``,
``S*A + S`` = 5 * 10**4 states). ``--quick`` uses S = 2000.

Complexity. With ``nnz`` stored transition entries per step (``S A b`` here), one
Bellman backup over the horizon costs ``O(H nnz)``:

* ``random_policy_q``, ``backward_induction``: one pass, ``O(H nnz)``;
* ``min_k`` / ``effective_planning_window``: one backup and one greedy-reachability
  sweep per candidate ``k``, ``O(min_k * H nnz)`` (at most ``O(H^2 nnz)``);
* ``stochastic_effective_horizon``: every ``k = 1..H``, each adding one backup, the
  reachability sweep and the visiting lower bound, ``O(H^2 nnz)``;
* ``effective_horizon_bound`` (deterministic MDPs): ``O(H nnz)`` per ``k`` plus the
  ``O(H S A)`` bound itself.

Peers. No installed library computes k-QVI-solvability or either effective horizon
(the authors' implementation is Julia, not available here), so the end-to-end rows
compare with the from-the-definition loop a user would write on ``scipy.sparse``:
recompute ``Q^k`` from ``Q^rand`` for each ``k`` (``O(k)`` backups each, quadratic in
``min_k``). The ``Q*`` ingredient is compared with pymdptoolbox's and
mdptoolbox-hiive's ``FiniteHorizon``.

Run ``python -m benchmarks.bench_effective_horizon [--quick] [--json PATH]``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from benchmarks.harness import Case, Comparison, run_suite
from rlcore import FiniteMDP
from rlcore.generators import random_mdp, sticky_actions
from tabular import (
    backward_induction,
    effective_horizon_bound,
    effective_planning_window,
    min_k,
    stochastic_effective_horizon,
)

__all__ = ["bench_effective_horizon", "definition_min_k", "main"]

H = 20
A = 4


def definition_min_k(mdp: FiniteMDP) -> int:
    """min k straight from the definition (the peer): for each k, rebuild Q^k from
    Q^rand with k - 1 backups, then test every greedy-reachable state."""
    S, Hh = mdp.n_states, mdp.horizon
    Ps = [sp.csr_array(mdp.transitions_at(t)) for t in range(Hh)]
    Rs = [np.asarray(mdp.rewards_at(t)) for t in range(Hh)]
    Qr = np.zeros((Hh, S, A))
    V = np.zeros(S)
    for t in range(Hh - 1, -1, -1):
        Qr[t] = Rs[t] + (Ps[t] @ V).reshape(S, A)
        V = Qr[t].mean(axis=1)
    Qs = np.zeros((Hh, S, A))
    V = np.zeros(S)
    for t in range(Hh - 1, -1, -1):
        Qs[t] = Rs[t] + (Ps[t] @ V).reshape(S, A)
        V = Qs[t].max(axis=1)
    opt = Qs >= Qs.max(axis=2, keepdims=True) - 1e-9
    for k in range(1, Hh + 1):
        Q = Qr.copy()
        for _ in range(k - 1):
            new = np.empty_like(Q)
            new[Hh - 1] = Rs[Hh - 1]
            for t in range(Hh - 1):
                new[t] = Rs[t] + (Ps[t] @ Q[t + 1].max(axis=1)).reshape(S, A)
            Q = new
        greedy = Q >= Q.max(axis=2, keepdims=True)
        reach = mdp.initial > 0
        ok = True
        for t in range(Hh):
            if np.any(reach[:, None] & greedy[t] & ~opt[t]):
                ok = False
                break
            rows = (reach[:, None] & greedy[t]).ravel()
            reach = np.asarray((Ps[t][np.flatnonzero(rows)] > 0).sum(axis=0)).ravel() > 0
        if ok:
            return k
    raise AssertionError("unreachable: Q^H = Q*")


def _structured(S: int, branching: int, seed: int) -> FiniteMDP:
    """A Garnet MDP whose min_k is small: rewards mostly from one action, shaped so
    that Q^rand already ranks it (a random Garnet has min_k = H, the worst case)."""
    base = random_mdp(S, A, branching=branching, sparse=True, horizon=H, rng=seed)
    rng = np.random.default_rng(seed)
    R = rng.uniform(0.0, 0.1, size=(S, A))
    R[np.arange(S), rng.integers(0, A, size=S)] += 1.0
    return FiniteMDP(base.P, R, horizon=H, initial=base.initial)


def bench_effective_horizon(quick: bool) -> Iterator[Comparison]:
    S = 2000 if quick else 10_000
    stochastic = _structured(S, 3, 0)
    deterministic = _structured(S, 1, 1)
    sticky = sticky_actions(deterministic, 0.25)

    def check_int(a: Any, b: Any) -> None:
        if int(a) != int(b):
            raise AssertionError(f"min_k {a} != {b}")

    for label, mdp in (("stochastic", stochastic), ("sticky", sticky)):
        yield Comparison(
            f"min_k, {label} S={mdp.n_states} A={A} H={H}",
            Case("tabular.min_k", lambda m=mdp: min_k(m)),
            (Case("from-definition scipy loop", lambda m=mdp: definition_min_k(m)),),
            check=check_int,
            note=f"min_k = {min_k(mdp)} here; O(min_k H nnz) vs O(min_k^2 H nnz)",
        )
    yield Comparison(
        f"effective planning window, stochastic S={S} H={H}",
        Case("tabular.effective_planning_window", lambda: effective_planning_window(stochastic)),
    )
    yield Comparison(
        f"stochastic effective horizon (all k), stochastic S={S} H={H}",
        Case(
            "tabular.stochastic_effective_horizon", lambda: stochastic_effective_horizon(stochastic).effective_horizon
        ),
        note="every k = 1..H: O(H^2 nnz)",
    )
    yield Comparison(
        f"stochastic effective horizon (all k), sticky S={sticky.n_states} H={H}",
        Case("tabular.stochastic_effective_horizon", lambda: stochastic_effective_horizon(sticky).effective_horizon),
    )
    yield Comparison(
        f"effective-horizon bound (Thm 5.4), deterministic S={S} H={H}",
        Case("tabular.effective_horizon_bound", lambda: effective_horizon_bound(deterministic).horizon),
    )

    # Q*: the one ingredient established libraries compute
    P_list = [sp.csr_matrix(stochastic.P[a::A]) for a in range(A)]
    R = np.asarray(stochastic.R)

    def peer(module: str, name: str) -> Case:
        def setup() -> Any:
            mdptoolbox = __import__(module, fromlist=["mdp"])
            return mdptoolbox.mdp

        def run(mdp_mod: Any) -> np.ndarray:
            fh = mdp_mod.FiniteHorizon(P_list, R, 1.0, H)
            fh.run()
            return np.asarray(fh.V)[:, 0]

        return Case(name, run, setup)

    def check_v(ours: Any, theirs: Any) -> None:
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)

    yield Comparison(
        f"Q* by backward induction, stochastic S={S} H={H}",
        Case("tabular.backward_induction", lambda: backward_induction(stochastic).V[0]),
        (peer("mdptoolbox", "pymdptoolbox FiniteHorizon"), peer("hiive.mdptoolbox", "mdptoolbox-hiive FiniteHorizon")),
        check=check_v,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite (see the module docstring for the options)."""
    return run_suite(
        [bench_effective_horizon],
        argv,
        prog="python -m benchmarks.bench_effective_horizon",
        description=__doc__,
        packages=("rlref", "pymdptoolbox", "mdptoolbox-hiive"),
    )


if __name__ == "__main__":
    sys.exit(main())
