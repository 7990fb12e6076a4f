"""Exact policy evaluation: ``rlcore.evaluate_policy`` against its peers.

Given a discounted finite MDP and a deterministic policy ``pi``, every implementation
solves the linear system ``(I - gamma P_pi) V = r_pi`` (Puterman 1994, Thm. 6.1.1):

* **ours**: ``rlcore.evaluate_policy(mdp, policy)``, which returns ``V`` *and*
  ``Q = r + gamma P V`` (an extra S*A*S multiply-add the peers do not do);
* **pymdptoolbox**: ``PolicyIteration._evalPolicyMatrix()``, the evaluation step of its
  policy iteration (``P`` in its ``(A, S, S)`` layout);
* **quantecon**: ``DiscreteDP(R, Q, beta).evaluate_policy(sigma)``;
* **numpy**: the three lines a user would write by hand,
  ``np.linalg.solve(I - gamma * P[s, pi[s]], R[s, pi[s]])``.

Each library's model object is built in the untimed setup (its validation is not
timed); only the evaluation call is. Instances are dense random MDPs with Dirichlet(1)
transition rows, uniform rewards and a uniform random policy, ``gamma = 0.95``, seeded
``np.random.default_rng(0)``. Before timing, the ``check`` hook asserts that every peer's
``V`` agrees with ours to 1e-8 relative, and that our ``Q`` equals ``R + gamma P V_peer``.

Run ``python -m benchmarks.bench_policy_evaluation [--quick] [--json PATH]``.

References
----------
M. L. Puterman, *Markov Decision Processes*, Wiley 1994, section 6.1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from benchmarks.harness import Case, Comparison, run_suite

__all__ = [
    "GAMMA",
    "N_ACTIONS",
    "SIZES",
    "SIZES_QUICK",
    "bench_policy_evaluation",
    "main",
    "random_mdp",
]

SIZES = (50, 200, 800)
SIZES_QUICK = (50, 200)
N_ACTIONS = 4
GAMMA = 0.95
RTOL = 1e-8


def random_mdp(n_states: int, n_actions: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A dense random MDP and policy.

    Parameters
    ----------
    n_states, n_actions : int
    rng : numpy.random.Generator

    Returns
    -------
    P : ndarray of shape (n_states, n_actions, n_states)
        Rows drawn from a flat Dirichlet distribution, renormalised once so that each
        row sums to 1 within a few ulps (pymdptoolbox rejects rows off by more than
        ``10 * eps``, which raw Dirichlet draws of length 800 can exceed).
    R : ndarray of shape (n_states, n_actions)
        Uniform on [0, 1).
    policy : ndarray of int, shape (n_states,)
        Uniform random actions.

    Examples
    --------
    >>> P, R, pi = random_mdp(3, 2, np.random.default_rng(0))
    >>> P.shape, R.shape, pi.shape, bool(np.allclose(P.sum(axis=2), 1.0))
    ((3, 2, 3), (3, 2), (3,), True)
    """
    P = rng.dirichlet(np.ones(n_states), size=(n_states, n_actions))
    P /= P.sum(axis=2, keepdims=True)
    R = rng.uniform(size=(n_states, n_actions))
    policy = rng.integers(n_actions, size=n_states)
    return P, R, policy


def _load_rlcore() -> tuple[Any, Any]:
    """``(rlcore.FiniteMDP, rlcore.evaluate_policy)``, or an ImportError saying why not."""
    try:
        from rlcore import FiniteMDP, evaluate_policy
    except ImportError as exc:
        raise ImportError(f"rlcore.FiniteMDP / rlcore.evaluate_policy are not importable ({exc})") from exc
    return FiniteMDP, evaluate_policy


def _ours(P: np.ndarray, R: np.ndarray, policy: np.ndarray) -> Case:
    def setup() -> Callable[[], object]:
        FiniteMDP, evaluate_policy = _load_rlcore()
        mdp = FiniteMDP(P, R, gamma=GAMMA)
        return lambda: evaluate_policy(mdp, policy)

    return Case("rlcore.evaluate_policy", lambda run: run(), setup)


def _pymdptoolbox(P: np.ndarray, R: np.ndarray, policy: np.ndarray) -> Case:
    def setup() -> Any:
        import mdptoolbox.mdp

        # pymdptoolbox wants P as (A, S, S); a user of it holds P in that layout.
        P_ass = np.ascontiguousarray(P.transpose(1, 0, 2))
        return mdptoolbox.mdp.PolicyIteration(P_ass, R, GAMMA, policy0=policy, eval_type="matrix")

    def run(pi: Any) -> np.ndarray:
        pi._evalPolicyMatrix()  # solves (I - gamma P_pi) V = R_pi, sets pi.V
        return pi.V

    return Case("pymdptoolbox PolicyIteration", run, setup)


def _quantecon(P: np.ndarray, R: np.ndarray, policy: np.ndarray) -> Case:
    def setup() -> Any:
        from quantecon.markov import DiscreteDP

        return DiscreteDP(R, P, GAMMA)

    return Case("quantecon DiscreteDP", lambda ddp: ddp.evaluate_policy(policy), setup)


def _numpy(P: np.ndarray, R: np.ndarray, policy: np.ndarray) -> Case:
    S = P.shape[0]
    states = np.arange(S)
    eye = np.eye(S)

    def run() -> np.ndarray:
        return np.linalg.solve(eye - GAMMA * P[states, policy], R[states, policy])

    return Case("numpy hand-written solve", run)


def _check_against(P: np.ndarray, R: np.ndarray) -> Callable[[Any, Any], None]:
    """The check hook: peer ``V`` equals ours, and our ``Q`` equals ``R + gamma P V``."""

    def check(ours: Any, peer: Any) -> None:
        v_peer = np.asarray(peer, dtype=np.float64).reshape(-1)
        np.testing.assert_allclose(ours.V, v_peer, rtol=RTOL, atol=0.0, err_msg="V")
        q_peer = R + GAMMA * (P @ v_peer)
        np.testing.assert_allclose(ours.Q, q_peer, rtol=RTOL, atol=0.0, err_msg="Q")

    return check


def bench_policy_evaluation(quick: bool) -> Iterator[Comparison]:
    """Dense exact policy evaluation for S in {50, 200, 800} (quick: {50, 200}), A = 4.

    Parameters
    ----------
    quick : bool
        Smaller instances.

    Yields
    ------
    Comparison
        One per instance size.
    """
    for S in SIZES_QUICK if quick else SIZES:
        P, R, policy = random_mdp(S, N_ACTIONS, np.random.default_rng(0))
        yield Comparison(
            title=f"policy evaluation S={S} A={N_ACTIONS} dense",
            ours=_ours(P, R, policy),
            peers=(
                _pymdptoolbox(P, R, policy),
                _quantecon(P, R, policy),
                _numpy(P, R, policy),
            ),
            check=_check_against(P, R),
            note="ours also returns Q (S*A*S extra work); the peers return V only",
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see :func:`benchmarks.harness.run_suite` for options."""
    try:
        _load_rlcore()
    except ImportError as exc:
        print(
            f"NOTE: {exc}.\n"
            "      The library's rows will read 'not installed' and no ratio can be "
            "computed;\n      the peers are still timed. Re-run once rlcore provides them.",
            file=sys.stderr,
        )
    return run_suite(
        [bench_policy_evaluation],
        argv,
        prog="python -m benchmarks.bench_policy_evaluation",
        description=__doc__.split("\n\n")[0],
        packages=("rlref", "pymdptoolbox", "quantecon"),
    )


if __name__ == "__main__":
    sys.exit(main())
