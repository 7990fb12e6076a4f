"""Pessimistic value iteration as drivers over one pure backup (private to :mod:`offline`).

* :func:`pessimistic_backup` is the one backup every algorithm applies,
  ``Q = clip(R_hat - b + gamma P_hat V, lo, hi)``: arrays in, arrays out, no
  validation and no branching on the algorithm;
* :class:`PenaltyRule` computes the penalty ``b`` of a backup (:func:`hoeffding_width`,
  :func:`bernstein_width`, none, or fixed values);
* one driver per algorithm applies them: :func:`discounted_lcb` (iterate to the fixed
  point), :func:`split_lcb` (VI-LCB, a fresh fold of the data per iteration) and
  :func:`backward_induction_lcb` (finite horizon); :func:`two_fold_subsample` selects
  the transitions of Li et al.'s two-fold subsampling before backward induction;
* :func:`run_driver` runs the driver the checked arguments name, after
  :func:`reward_range` has fixed the reward range (given, or inferred from the data)
  and :func:`check_relations` has refused the combinations that name no algorithm,
  with a progress bar over the driver's iterations; :func:`vacuity_hint` says what to
  change when the result is vacuous.

The public functions of :mod:`offline.pessimism` validate the arguments and call
:func:`run_driver`; the theory is in that module's docstring.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rlcore.progress import progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import InvalidParameterError
from offline._common import check_rewards_in, check_v_max, tie_break_argmax
from offline._constraints import MAX_SPLIT_ITERATIONS, R_MAX_LIMIT
from offline.data import EmpiricalModel, _model_from_columns
from offline.pessimistic_result import PessimisticResult

__all__ = [
    "PenaltyRule",
    "TabularSample",
    "backward_induction_lcb",
    "bernstein_width",
    "discounted_lcb",
    "hoeffding_width",
    "pessimistic_backup",
    "reward_range",
    "run_driver",
    "split_iterations",
    "vacuity_hint",
    "split_lcb",
    "two_fold_subsample",
]

_OVERFLOW = "the values overflow float64; rescale the rewards"


# ----------------------------------------------------------------------------- the pure core
def pessimistic_backup(
    model: EmpiricalModel, b: np.ndarray, V: np.ndarray, gamma: float, lo: float, hi: float
) -> tuple[np.ndarray, np.ndarray]:
    """``Q = clip(R_hat - b + gamma P_hat V, lo, hi)`` and ``max_a Q``: the one backup.

    ``model`` holds one step's ``P_hat`` (S, A, S) and ``R_hat`` (S, A); ``b`` is
    (S, A), ``V`` (S,). An overflow is returned as inf or NaN (the drivers refuse it).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        Q = np.clip(model.R_hat - b + gamma * (model.P_hat @ V), lo, hi)
    return Q, Q.max(axis=-1)


def hoeffding_width(counts: np.ndarray, v_range: np.ndarray | float, c: float, log_term: float) -> np.ndarray:
    """``b = c V_range sqrt(L / (2 N))``, capped at ``V_range``; ``V_range`` where ``N = 0``."""
    nz = np.maximum(counts, 1).astype(np.float64)
    vr = np.broadcast_to(np.asarray(v_range, dtype=np.float64), counts.shape)
    b = c * vr * np.sqrt(log_term / (2.0 * nz))
    return np.where(counts > 0, np.minimum(b, vr), vr)


def bernstein_width(
    model: EmpiricalModel,
    V_next: np.ndarray,
    v_range: np.ndarray | float,
    c: float,
    log_term: float,
    v_max: float,
    r_max: float,
    n_total: int,
) -> np.ndarray:
    """The variance-aware penalty of Li et al. (2024), capped at ``V_range``; ``V_range`` where ``N = 0``.

    Discounted: ``min(max(sqrt(c L Var / N), 2 c L V_max / N), V_range) + 5 r_max / n_total``;
    finite horizon: ``sqrt(c L Var / N) + c H r_max L / N`` (``v_max = H r_max``), with
    ``Var = Var_{P_hat(s, a)}(V_next)``.
    """
    N = model.counts
    nz = np.maximum(N, 1).astype(np.float64)
    vr = np.broadcast_to(np.asarray(v_range, dtype=np.float64), N.shape)
    PV = model.P_hat @ V_next
    var = np.maximum(model.P_hat @ (V_next * V_next) - PV * PV, 0.0)
    sq = np.sqrt(c * log_term * var / nz)
    lin = c * v_max * log_term / nz
    if model.horizon is None:
        b = np.minimum(np.maximum(sq, 2.0 * lin), vr) + 5.0 * r_max / max(n_total, 1)
    else:
        b = sq + lin
    return np.where(N > 0, np.minimum(b, vr), vr)


@dataclass(frozen=True)
class PenaltyRule:
    """How the backups of a driver are penalised.

    Attributes
    ----------
    kind : {"hoeffding", "bernstein", "none", "fixed"}
    c : float
        The penalty constant.
    r_max : float
        Rewards lie in ``[0, r_max]``.
    fixed : ndarray or None
        The penalties of ``kind="fixed"``, shape (S, A) or (H, S, A) (one step's
        (S, A) after :meth:`at_step`).
    """

    kind: str
    c: float = 1.0
    r_max: float = 1.0
    fixed: np.ndarray | None = None

    @property
    def pessimistic(self) -> bool:
        """Penalised and clipped to the value range (every kind but ``"none"``)."""
        return self.kind != "none"

    def at_step(self, h: int) -> PenaltyRule:
        """The rule of step ``h`` of a finite horizon (fixed penalties sliced)."""
        return self if self.fixed is None else dataclasses.replace(self, fixed=self.fixed[h])

    def width(
        self,
        model: EmpiricalModel,
        V_next: np.ndarray,
        *,
        v_range: float,
        log_term: float,
        n_total: int,
        v_max: float,
    ) -> np.ndarray:
        """The penalty ``b`` of one backup of ``V_next`` with ``model``'s counts."""
        if self.fixed is not None:
            return self.fixed
        if self.kind == "none":
            return np.zeros(model.counts.shape)
        if self.kind == "hoeffding":
            return hoeffding_width(model.counts, v_range, self.c, log_term)
        return bernstein_width(model, V_next, v_range, self.c, log_term, v_max, self.r_max, n_total)


@dataclass(frozen=True)
class TabularSample:
    """Validated tabular columns and the model they give (``ridge`` shrinks it).

    Attributes
    ----------
    s, a, s2, t : ndarray of int64, shape (N,)
    r : ndarray of float64, shape (N,)
    episode_ids : ndarray, shape (N,)
    n_states, n_actions : int
    horizon : int or None
    ridge : float
        ``P_hat = N(s,a,s') / (N(s,a) + ridge)`` and likewise ``R_hat`` (PEVI's ridge,
        tabular case).
    """

    s: np.ndarray
    a: np.ndarray
    r: np.ndarray
    s2: np.ndarray
    t: np.ndarray
    episode_ids: np.ndarray
    n_states: int
    n_actions: int
    horizon: int | None
    ridge: float = 0.0

    @property
    def n(self) -> int:
        """Number of transitions."""
        return int(self.r.shape[0])

    def model(self, idx: np.ndarray | None = None) -> EmpiricalModel:
        """The empirical model of the transitions ``idx`` (all of them by default)."""
        if idx is None:
            idx = np.arange(self.n)
        m = _model_from_columns(
            self.s[idx],
            self.a[idx],
            self.r[idx],
            self.s2[idx],
            self.t[idx],
            self.n_states,
            self.n_actions,
            self.horizon,
        )
        if self.ridge > 0:
            denom = (m.counts + self.ridge)[..., None]
            m = EmpiricalModel(
                m.counts,
                m.transition_counts,
                m.reward_sums,
                m.transition_counts / denom,
                m.reward_sums / denom[..., 0],
                m.horizon,
            )
        return m


def check_relations(
    rule: PenaltyRule, r: np.ndarray, H: int | None, splitting: str, ridge: float, n_iterations: int | None
) -> None:
    """Refuse argument combinations that name no algorithm (each error names one argument)."""
    if rule.pessimistic:
        check_rewards_in(r, rule.r_max)
    if rule.kind == "bernstein" and ridge > 0:
        raise InvalidParameterError("ridge", "the Bernstein penalty needs the unshrunk model (ridge = 0)")
    allowed = ("none", "iterations") if H is None else ("none", "two_fold")
    if splitting not in allowed:
        raise InvalidParameterError(
            "splitting",
            f"expected one of {allowed} for a {'discounted' if H is None else 'finite-horizon'} "
            f"problem, got {splitting!r}",
        )
    if splitting != "none" and rule.fixed is not None:
        raise InvalidParameterError("splitting", "fixed penalty arrays are used without splitting (splitting='none')")
    if n_iterations is not None and splitting != "iterations":
        raise InvalidParameterError(
            "n_iterations", "only used by the split discounted algorithm (splitting='iterations')"
        )


# ----------------------------------------------------------------------------- the drivers
def discounted_lcb(
    model: EmpiricalModel,
    rule: PenaltyRule,
    *,
    gamma: float,
    v_max: float,
    delta: float,
    tol: float,
    max_iter: int,
    bar: Any,
) -> PessimisticResult:
    """Iterate the pessimistic backup from ``Q = 0`` until ``max |Q_k - Q_{k-1}| <= tol max(1, V_max)``."""
    S, A = model.counts.shape
    N = model.n_samples
    if rule.kind == "hoeffding":
        log_term = math.log(2.0 * S * A * N / delta)
    elif rule.kind == "bernstein":
        log_term = math.log(max(N, 2) / ((1.0 - gamma) * delta))
    else:
        log_term = 0.0
    lo, hi = (0.0, v_max) if rule.pessimistic else (-np.inf, np.inf)
    Q = np.zeros((S, A))
    V = np.zeros(S)
    b = np.zeros((S, A))
    converged = False
    change = 0.0
    it = 0
    for it in range(1, max_iter + 1):
        b = rule.width(model, V, v_range=v_max, log_term=log_term, n_total=N, v_max=v_max)
        Q_new, V = pessimistic_backup(model, b, V, gamma, lo, hi)
        with np.errstate(over="ignore", invalid="ignore"):
            change = float(np.max(np.abs(Q_new - Q)))
        if not math.isfinite(change):
            raise InvalidParameterError("data", _OVERFLOW)
        Q = Q_new
        bar.update(1)
        if change <= tol * max(1.0, v_max):
            converged = True
            break
    return PessimisticResult(
        V=V,
        Q=Q,
        policy=tie_break_argmax(Q, model.counts),
        iterations=it,
        converged=converged,
        method=f"pessimistic_vi[{rule.kind}]",
        penalty_kind=rule.kind,
        n_folds=1,
        penalty=b,
        penalty_max=b,
        counts=model.counts,
        log_term=log_term,
        n_samples=N,
        gamma=gamma,
        horizon=None,
        v_max=v_max,
        residual=change,
    )


def split_lcb(
    sample: TabularSample,
    folds: list[np.ndarray],
    rule: PenaltyRule,
    *,
    gamma: float,
    v_max: float,
    delta: float,
    bar: Any,
) -> PessimisticResult:
    """VI-LCB with ``T = len(folds) - 1`` iterations, iteration ``t`` backing up with fold ``t`` only.

    Fold 0 gives the initial policy (the most played action); a state's value and
    action change only when the new value is strictly larger (Rashidinejad et al. 2021).
    """
    S, A, T = sample.n_states, sample.n_actions, len(folds) - 1
    log_term = math.log(2.0 * T * S * A / delta)
    lo, hi = (0.0, v_max) if rule.pessimistic else (-np.inf, np.inf)
    m0 = sample.model(folds[0])
    counts = m0.counts.copy()
    policy = tie_break_argmax(np.zeros((S, A)), m0.counts)
    V = np.zeros(S)
    Q = np.zeros((S, A))
    b = np.zeros((S, A))
    b_max = np.zeros((S, A))
    for fold in folds[1:]:
        m = sample.model(fold)
        counts += m.counts
        b = rule.width(m, V, v_range=v_max, log_term=log_term, n_total=int(fold.size), v_max=v_max)
        Q, v_new = pessimistic_backup(m, b, V, gamma, lo, hi)
        better = v_new > V
        policy = np.where(better, tie_break_argmax(Q, m.counts), policy)
        V = np.where(better, v_new, V)
        b_max = np.maximum(b_max, b)
        bar.update(1)
    return PessimisticResult(
        V=V,
        Q=Q,
        policy=policy,
        iterations=T,
        converged=True,
        method=f"pessimistic_vi[{rule.kind}, split={T + 1}]",
        penalty_kind=rule.kind,
        n_folds=T + 1,
        penalty=b,
        penalty_max=b_max,
        counts=counts,
        log_term=log_term,
        n_samples=sample.n,
        gamma=gamma,
        horizon=None,
        v_max=v_max,
    )


def backward_induction_lcb(
    model: EmpiricalModel,
    rule: PenaltyRule,
    *,
    delta: float,
    n_folds: int,
    bar: Any,
    tie_counts: np.ndarray | None = None,
) -> PessimisticResult:
    """Finite horizon: ``H`` pessimistic backups from ``V_H = 0``, step ``h``'s values in ``[0, (H - h) r_max]``.

    ``model`` has a leading horizon axis; ``n_folds`` is 2 when it was built from the
    transitions kept by :func:`two_fold_subsample`, else 1. Exact ties of ``Q`` go to
    the action with most samples in ``tie_counts`` (default the model's counts): with
    subsampling, the counts of all the data, so that a step whose kept samples are too
    few to lift any value off the floor still follows the logged behaviour rather than
    the lowest action index. Any maximiser of the pessimistic ``Q`` carries the
    guarantee, so the tie-break changes no bound.
    """
    H, S, A = model.counts.shape
    n_used = model.n_samples
    if rule.kind == "hoeffding":
        log_term = math.log(2.0 * H * S * A / delta)
    elif rule.kind == "bernstein":
        log_term = math.log(H * S * max(n_used, 2) / delta)
    else:
        log_term = 0.0
    v_max = H * rule.r_max
    Q = np.zeros((H, S, A))
    V = np.zeros((H, S))
    b = np.zeros((H, S, A))
    v_next = np.zeros(S)
    for h in range(H - 1, -1, -1):
        togo = (H - h) * rule.r_max
        lo, hi = (0.0, togo) if rule.pessimistic else (-np.inf, np.inf)
        mh = _step(model, h)
        b[h] = rule.at_step(h).width(mh, v_next, v_range=togo, log_term=log_term, n_total=n_used, v_max=v_max)
        Q[h], V[h] = pessimistic_backup(mh, b[h], v_next, 1.0, lo, hi)
        v_next = V[h]
        bar.update(1)
    if not np.all(np.isfinite(Q)):
        raise InvalidParameterError("data", _OVERFLOW)
    return PessimisticResult(
        V=V,
        Q=Q,
        policy=tie_break_argmax(Q, model.counts if tie_counts is None else tie_counts),
        iterations=H,
        converged=True,
        method=f"pessimistic_backward_induction[{rule.kind}, split={'two_fold' if n_folds == 2 else 'none'}]",
        penalty_kind=rule.kind,
        n_folds=n_folds,
        penalty=b,
        penalty_max=b,
        counts=model.counts,
        log_term=log_term,
        n_samples=n_used,
        gamma=None,
        horizon=H,
        v_max=v_max,
    )


def _step(model: EmpiricalModel, h: int) -> EmpiricalModel:
    """Step ``h`` of a finite-horizon model (views, no copies)."""
    m = model
    return EmpiricalModel(m.counts[h], m.transition_counts[h], m.reward_sums[h], m.P_hat[h], m.R_hat[h], m.horizon)


def two_fold_subsample(
    s: np.ndarray,
    t: np.ndarray,
    episode_ids: np.ndarray,
    S: int,
    H: int,
    delta: float,
    constant: float,
    gen: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the transitions kept by Li et al.'s two-fold subsampling, and the auxiliary-half mask.

    Half of the episodes (the auxiliary half) decide, per ``(h, s)``, how many
    transitions of the other half to keep: ``floor(n_aux - constant sqrt(n_aux log(H S / delta)))``.
    """
    eps = np.unique(episode_ids)
    aux_eps = gen.permutation(eps)[: eps.size // 2]
    is_aux = np.isin(episode_ids, aux_eps)
    key = t * S + s
    n_aux = np.bincount(key[is_aux], minlength=H * S).astype(np.float64)
    trim = np.floor(np.maximum(n_aux - constant * np.sqrt(n_aux * math.log(H * S / delta)), 0.0)).astype(np.int64)
    main = np.flatnonzero(~is_aux)
    order = main[np.argsort(key[main], kind="stable")]
    k = key[order]
    starts = np.searchsorted(k, k, side="left")
    rank = np.arange(k.size) - starts
    return np.sort(order[rank < trim[k]]), is_aux


# ----------------------------------------------------------------------------- choosing and running a driver
def reward_range(r_max: float | None, r: np.ndarray, pessimistic: bool) -> tuple[float, bool]:
    """The reward range to use and whether it was inferred (the largest observed reward, 1 if none is positive)."""
    if r_max is not None:
        return float(r_max), False
    if not pessimistic:  # the plug-in backup uses r_max only to scale its stopping rule
        return 1.0, False
    top = float(r.max()) if r.size else 0.0
    if top > R_MAX_LIMIT:
        raise InvalidParameterError(
            "data",
            f"the largest reward {top:g}, the inferred r_max, exceeds the limit {R_MAX_LIMIT:g}; rescale the rewards",
        )
    return (top if top > 0.0 else 1.0), True


def vacuity_hint(res: PessimisticResult, r: np.ndarray) -> str:
    """What to change when a pessimistic result is vacuous."""
    top = float(r.max()) if r.size else 0.0
    if not res.r_max_inferred and 0.0 < top < 0.5 * res.r_max:
        return (
            f"r_max = {res.r_max:g} is {res.r_max / top:.3g} times the largest observed reward {top:g} and the "
            "penalties scale with it: pass the true reward range, or r_max=None to infer it from the data"
        )
    return "more data, a smaller penalty constant c or a larger delta would give informative values"


def run_driver(
    sample: TabularSample,
    rule: PenaltyRule,
    *,
    gamma: float | None,
    splitting: str,
    delta: float,
    n_iterations: int | None,
    subsampling_constant: float,
    tol: float,
    max_iter: int,
    rng: RNGLike,
    progress: bool | None = None,
) -> PessimisticResult:
    """Run the driver of the algorithm the (checked) arguments name, with a progress bar over
    its backward steps (finite horizon), its iterations (split) or its open-ended iterations."""
    H = sample.horizon
    desc = "pessimistic_value_iteration"
    if H is not None:
        gen = as_generator(rng)
        with progress_bar(H, desc=desc, progress=progress, unit="step") as bar:
            if splitting == "two_fold":
                keep, _ = two_fold_subsample(
                    sample.s, sample.t, sample.episode_ids, sample.n_states, H, delta, subsampling_constant, gen
                )
                return backward_induction_lcb(
                    sample.model(keep), rule, delta=delta, n_folds=2, bar=bar, tie_counts=sample.model().counts
                )
            return backward_induction_lcb(sample.model(), rule, delta=delta, n_folds=1, bar=bar)
    g = float(gamma)  # type: ignore[arg-type]
    T = split_iterations(n_iterations, sample.n, g) if splitting == "iterations" else 0
    v_max = check_v_max(rule.r_max, g)
    gen = as_generator(rng)
    if splitting == "iterations":
        folds = np.array_split(gen.permutation(sample.n), T + 1)
        with progress_bar(T, desc=desc, progress=progress, unit="iteration") as bar:
            return split_lcb(sample, folds, rule, gamma=g, v_max=v_max, delta=delta, bar=bar)
    with progress_bar(None, desc=desc, progress=progress, unit="iteration") as bar:
        return discounted_lcb(
            sample.model(), rule, gamma=g, v_max=v_max, delta=delta, tol=tol, max_iter=max_iter, bar=bar
        )


def split_iterations(n_iterations: int | None, N: int, gamma: float) -> int:
    """``T`` of the split algorithm: the given one, or ``ceil(log(N) / (1 - gamma))`` within the limit."""
    if n_iterations is not None:
        return n_iterations
    default = math.log(max(N, 2)) / (1.0 - gamma)
    if default > MAX_SPLIT_ITERATIONS:
        raise InvalidParameterError(
            "gamma",
            f"the default number of iterations ceil(log(N) / (1 - gamma)) = {default:.3g} exceeds "
            f"the limit {MAX_SPLIT_ITERATIONS}; pass n_iterations",
        )
    return max(1, math.ceil(default))
