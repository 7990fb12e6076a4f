r"""Deep hedging: train a torch hedger to minimise a convex risk measure of its hedged P&L.

Buehler, Gonon, Teichmann and Wood (2019) replace the Black-Scholes hedge by a network
:math:`\delta_\theta` of the market state and minimise, over :math:`\theta`,

.. math:: \rho\big(\mathrm{PL}(\delta_\theta)\big), \qquad
          \mathrm{PL}(\delta) = -Z + \sum_k \delta_k \cdot (S_{k+1} - S_k) - C_T(\delta),

on simulated (or historical) scenarios, for a convex risk measure :math:`\rho`
(:mod:`finance_apps.risk_measures`). The optimum :math:`\pi(-Z)` gives the indifference
price :math:`\pi(-Z) - \pi(0)` (:func:`finance_apps.indifference_price`).

* :func:`hedging_features`: the default hedger inputs (log-moneyness, time to maturity);
* :func:`train_hedger`: the training loop, Adam or :class:`finance_apps.deep.KFAC`, over
  minibatches of scenarios, with the differentiable P&L
  :func:`finance_apps.deep.hedging_pnl_torch` and the risk measure's ``torch`` method;
  it returns a :class:`TrainingResult`;
* :func:`hedge_ratios`: a trained hedger's holdings on numpy features, for
  :func:`finance_apps.hedging_pnl` and the baselines of
  :mod:`finance_apps.hedging_baselines`.

The hedgers are :func:`finance_apps.deep.feedforward_hedger` and
:func:`finance_apps.deep.lstm_hedger`. Training runs on the device and in the dtype of
the hedger's parameters; torch is imported (through :func:`rlcore.deep.require_torch`)
when a function is called, never at import time.

References
----------
H. Buehler, L. Gonon, J. Teichmann and B. Wood, "Deep hedging", Quantitative Finance
19(8), 1271-1291, 2019.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from finance_apps._constraints import MAX_PATHS
from finance_apps._hedging_inputs import (
    CLAIM,
    COST,
    DATES,
    PRICES,
    STRIKE,
    check_claim,
    check_costs,
    check_dates,
    check_paths,
)
from finance_apps.deep.kfac import KFAC
from finance_apps.deep.pnl import hedging_pnl_torch
from rlcore.deep import require_torch
from rlcore.progress import PROGRESS, progress_bar
from rlcore.randomness import RNGLike, as_generator
from rlcore.results import Result
from rlcore.validation import (
    MAX_ITERATIONS,
    RNG,
    Array,
    Bool,
    Implements,
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    Options,
    Real,
    Sequence_,
    TorchModule,
    check_entries,
    refuse_nonfinite,
    validate_params,
)

__all__ = ["TrainingResult", "hedge_ratios", "hedging_features", "train_hedger"]


@validate_params(prices=PRICES, times=DATES, strike=STRIKE, normalize=Bool())
def hedging_features(prices: Any, times: Any, strike: float, *, normalize: bool = True) -> np.ndarray:
    r"""Default hedger inputs: log-moneyness and time to maturity at each decision date.

    With ``normalize=True`` the features are :math:`\log(S_k / K) / \sqrt{T}` and
    :math:`(T - t_k) / T`, both of order one whatever the maturity (raw features of a
    one-month option are of order 0.05, which slows first-order training several-fold);
    with ``normalize=False`` they are :math:`\log(S_k / K)` and :math:`T - t_k`.

    Parameters
    ----------
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
    times : array_like of shape (n_steps + 1,)
        Dates from ``times[0]`` to maturity ``times[-1]`` (strictly increasing, in
        [0, 1000] years).
    strike : float > 0
    normalize : bool, default True

    Returns
    -------
    ndarray of shape (n_paths, n_steps, n_assets + 1)

    Examples
    --------
    >>> hedging_features(np.ones((1, 3, 1)), [0.0, 0.5, 1.0], 1.0).tolist()
    [[[0.0, 1.0], [0.0, 0.5]]]
    """
    S = check_paths(prices)
    t = check_dates(times, S.shape[1])
    n, m, _ = S.shape
    T = t[-1] - t[0]
    tau = t[-1] - t[:-1]
    logm = np.log(S[:, :-1]) - math.log(strike)
    if normalize:
        tau = tau / T
        logm = logm / math.sqrt(T)
    return np.concatenate([logm, np.broadcast_to(tau[None, :, None], (n, m - 1, 1))], axis=2)


@dataclass(frozen=True, repr=False)
class TrainingResult(Result):
    """Outcome of :func:`train_hedger`.

    Attributes
    ----------
    hedger : torch.nn.Module
        The trained hedger (the same object that was passed in, trained in place).
    risk_history : ndarray of shape (n_iterations,)
        Risk of the training minibatch before each update.
    eval_steps : ndarray of shape (n_evals,)
        Update counts at which the evaluation risk was computed (0 = before training).
    eval_risk : ndarray of shape (n_evals,)
        Risk of the whole evaluation set (no premium) at those counts.
    final_risk : float
        ``eval_risk[-1]``: :math:`\\pi(-Z)` estimated on the evaluation set.
    seconds : float
        Wall time of the training loop.
    optimizer : str
        ``"adam"`` or ``"kfac"``.
    extra : dict
        Free-form diagnostics (empty unless a caller adds to it).
    """

    hedger: Any
    risk_history: np.ndarray
    eval_steps: np.ndarray
    eval_risk: np.ndarray
    final_risk: float
    seconds: float
    optimizer: str
    extra: dict[str, Any] = field(default_factory=dict)

    def steps_to_reach(self, level: float) -> int | None:
        """First evaluation step at which ``eval_risk <= level``, or None if never."""
        hit = np.nonzero(self.eval_risk <= level)[0]
        return int(self.eval_steps[hit[0]]) if hit.size else None


def _apply_hedger(torch: Any, hedger: Any, X: Any, name: str = "features") -> Any:
    """``hedger(X)``, refusing features the module cannot take (shape) and non-finite holdings."""
    try:
        out = hedger(X)
    except (RuntimeError, ValueError, IndexError) as exc:  # torch's shape errors
        raise InvalidParameterError(
            name, f"the hedger cannot be applied to features of shape {tuple(X.shape)} ({exc})"
        ) from None
    return out


def _positive(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.ndim not in (2, 3):
        raise InvalidParameterError(name, f"expected a 2- or 3-dimensional array, got shape {arr.shape}")
    if np.any(arr <= 0):
        raise InvalidParameterError(name, "expected positive prices")
    return arr


def _param_placement(hedger: Any) -> tuple[Any, Any]:
    """``(dtype, device)`` of the hedger's parameters: where its inputs must live."""
    params = list(hedger.parameters())
    if not params:
        raise InvalidParameterError("hedger", "the module has no parameters")
    return params[0].dtype, params[0].device


@validate_params(hedger=TorchModule(), features=Array(ndim=3))
def hedge_ratios(hedger: Any, features: Any) -> np.ndarray:
    """Run a torch hedger on numpy features; return the holdings as numpy.

    Parameters
    ----------
    hedger : torch.nn.Module
        Maps features of shape (n_paths, n_steps, n_features) to holdings of shape
        (n_paths, n_steps, n_assets), e.g. :func:`finance_apps.deep.feedforward_hedger`.
        It runs on its parameters' device and dtype.
    features : array_like of shape (n_paths, n_steps, n_features)

    Returns
    -------
    ndarray of shape (n_paths, n_steps, n_assets)

    Examples
    --------
    >>> from finance_apps.deep import feedforward_hedger
    >>> h = feedforward_hedger(2, rng=0)
    >>> hedge_ratios(h, np.zeros((3, 4, 2))).shape
    (3, 4, 1)
    """
    torch = require_torch("finance_apps.deep")
    dtype, device = _param_placement(hedger)
    with torch.no_grad():
        out = _apply_hedger(torch, hedger, torch.as_tensor(features, dtype=dtype, device=device))
    D = np.asarray(out.detach().cpu().numpy(), dtype=np.float64)
    refuse_nonfinite(D, "hedger", "the holdings (the hedger's output) overflows float64; rescale the inputs")
    return D


def _kfac_option_names() -> set[str]:
    return {p for p in inspect.signature(KFAC.__init__).parameters if p not in ("self", "model", "learning_rate")}


@validate_params(
    hedger=TorchModule(),
    prices=PRICES,
    payoff=CLAIM,
    features=Array(ndim=3),
    risk=Implements("torch", "__call__", what="a risk measure with a torch(pnl) method, e.g. EntropicRisk(a)"),
    cost=COST,
    liquidate=Bool(),
    optimizer=Options("adam", "kfac"),
    n_iterations=Integer(1, MAX_ITERATIONS),
    batch_size=Integer(1, MAX_PATHS),
    learning_rate=Real(0.0, 100.0, closed="right"),
    kfac_options=Instance(dict, what="a dict of KFAC keyword arguments") | None,
    eval_every=Integer(1, MAX_ITERATIONS),
    eval_data=Sequence_(Array(), length=3) | None,
    rng=RNG(),
    callback=IsCallable("a callable callback(iteration, batch_risk)") | None,
    progress=PROGRESS,
)
def train_hedger(
    hedger: Any,
    prices: Any,
    payoff: Any,
    features: Any,
    risk: Any,
    *,
    cost: Any = 0.0,
    liquidate: bool = False,
    optimizer: str = "adam",
    n_iterations: int = 200,
    batch_size: int = 1024,
    learning_rate: float = 1e-3,
    kfac_options: dict[str, Any] | None = None,
    eval_every: int = 10,
    eval_data: tuple[Any, Any, Any] | None = None,
    rng: RNGLike = None,
    callback: Callable[[int, float], None] | None = None,
    progress: bool | None = None,
) -> TrainingResult:
    r"""Deep hedging: minimise a convex risk measure of the hedged P&L by stochastic gradient.

    Each iteration draws a minibatch of ``batch_size`` scenario paths (with replacement,
    from ``rng``), computes the holdings ``hedger(features)``, the P&L of
    :func:`hedging_pnl_torch` with premium 0 and the loss ``risk.torch(pnl)``, and takes
    one step of Adam or of :class:`finance_apps.deep.KFAC`. The scenarios are moved once
    to the device (and dtype) of the hedger's parameters, where the loop runs.

    Parameters
    ----------
    hedger : torch.nn.Module
        Maps (n, n_steps, n_features) features to (n, n_steps, n_assets) holdings.
    prices : array_like of shape (n_paths, n_steps + 1, n_assets)
    payoff : array_like of shape (n_paths,)
    features : array_like of shape (n_paths, n_steps, n_features)
        For example :func:`hedging_features`.
    risk : object with a ``torch(pnl)`` method and a numpy ``__call__``
        :class:`~finance_apps.EntropicRisk` or :class:`~finance_apps.ExpectedShortfall`.
    cost : float or array_like of shape (n_assets,), in [0, 1], default 0
    liquidate : bool, default False
    optimizer : {"adam", "kfac"}, default "adam"
    n_iterations : int in [1, 10**9], default 200
    batch_size : int in [1, 10**8], default 1024
        At most ``10**9`` floats of minibatch features.
    learning_rate : float in (0, 100], default 1e-3
        Learning rate of either optimiser (a larger step overflows float32
        parameters).
    kfac_options : dict or None
        Extra keyword arguments of :class:`~finance_apps.deep.KFAC` (``damping``,
        ``factor_decay``, ``inverse_update_freq``, ``momentum``, ``kl_clip``,
        ``curvature``, ``adapt_damping``, ...); an unknown or invalid option is refused
        naming ``kfac_options``. ``curvature="gauss_newton"`` needs an entropic
        ``risk`` (its P&L outputs are passed to ``KFAC.observe_outputs``); with
        ``adapt_damping`` the step's closure re-evaluates the minibatch risk.
    eval_every : int in [1, 10**9], default 10
        Evaluate the risk of the whole evaluation set every ``eval_every`` updates.
    eval_data : tuple (prices, payoff, features) or None
        Evaluation scenarios, shaped as the training ones; default the training
        scenarios.
    rng : Generator, int or None
        Seeds the minibatch draws (the hedger's initial weights are seeded where it is
        built).
    callback : callable or None
        Called as ``callback(iteration, batch_risk)`` after each update.
    progress : bool or None, default None
        Show a progress bar over the iterations on standard error, with the last
        evaluation risk (see :mod:`rlcore.progress`); None follows
        :func:`rlcore.set_progress` (off by default). The result does not depend on it.

    Returns
    -------
    TrainingResult

    References
    ----------
    H. Buehler, L. Gonon, J. Teichmann and B. Wood, "Deep hedging", Quantitative
    Finance 19(8), 2019, §4.

    Examples
    --------
    >>> from finance_apps import EntropicRisk, call_payoff
    >>> from finance_apps.deep import feedforward_hedger
    >>> rng = np.random.default_rng(0)
    >>> S = np.exp(np.cumsum(np.c_[np.zeros(64), 0.02 * rng.standard_normal((64, 4))], axis=1))[:, :, None]
    >>> Z = call_payoff(S, 1.0)
    >>> X = hedging_features(S, np.linspace(0, 0.04, 5), 1.0)
    >>> res = train_hedger(feedforward_hedger(2, rng=0), S, Z, X, EntropicRisk(10.0),
    ...                    n_iterations=5, batch_size=32, rng=0)
    >>> res.risk_history.shape
    (5,)
    """
    torch = require_torch("finance_apps.deep")
    S = check_paths(prices)
    Z = check_claim(payoff, S.shape[0])
    X = features
    if X.shape[:2] != (S.shape[0], S.shape[1] - 1):
        raise InvalidParameterError(
            "features", f"expected shape ({S.shape[0]}, {S.shape[1] - 1}, n_features), got {X.shape}"
        )
    c = check_costs(cost, S.shape[2])
    check_entries(batch_size * X.shape[1] * max(X.shape[2], S.shape[2]), "batch_size", "a minibatch")
    opts = dict(kfac_options or {})
    unknown = sorted(set(opts) - _kfac_option_names())
    if unknown:
        raise InvalidParameterError(
            "kfac_options", f"unknown KFAC option {unknown[0]!r}; expected some of {sorted(_kfac_option_names())}"
        )
    if eval_data is not None:
        S2 = check_paths(_positive(eval_data[0], "eval_data[0]"), "eval_data[0]")
        if S2.shape[1:] != S.shape[1:]:
            raise InvalidParameterError(
                "eval_data", f"eval_data[0]: expected shape (n, {S.shape[1]}, {S.shape[2]}), got {S2.shape}"
            )
        Z2 = check_claim(eval_data[1], S2.shape[0], "eval_data[1]")
        X2 = eval_data[2]
        if X2.ndim != 3 or X2.shape != (S2.shape[0], S.shape[1] - 1, X.shape[2]):
            raise InvalidParameterError(
                "eval_data",
                f"eval_data[2]: expected shape ({S2.shape[0]}, {S.shape[1] - 1}, {X.shape[2]}), got {X2.shape}",
            )
    gauss_newton = optimizer == "kfac" and opts.get("curvature") == "gauss_newton"
    risk_aversion = getattr(risk, "risk_aversion", None)
    if gauss_newton and not isinstance(risk_aversion, (int, float)):
        raise InvalidParameterError(
            "kfac_options", "curvature='gauss_newton' needs an entropic risk (EntropicRisk), whose Hessian it uses"
        )
    gen = as_generator(rng)

    dtype, device = _param_placement(hedger)
    params = list(hedger.parameters())

    def tensor(arr: np.ndarray) -> Any:
        return torch.as_tensor(arr, dtype=dtype, device=device)

    tS, tZ, tX, tc = tensor(S), tensor(Z), tensor(X), tensor(c)
    if eval_data is None:
        eS, eZ, eX, ec = tS, tZ, tX, tc
    else:
        eS, eZ, eX, ec = tensor(S2), tensor(Z2), tensor(X2), tc
    with torch.no_grad():
        out = _apply_hedger(torch, hedger, tX[:1])
    if tuple(out.shape) != (1, S.shape[1] - 1, S.shape[2]):
        raise InvalidParameterError(
            "hedger",
            f"maps features to holdings of shape {tuple(out.shape[1:])}, expected "
            f"{(S.shape[1] - 1, S.shape[2])} (n_steps, n_assets)",
        )

    def evaluate() -> float:
        with torch.no_grad():
            pnl = hedging_pnl_torch(eS, hedger(eX), eZ, ec, liquidate=liquidate)
            return float(risk(pnl.double().cpu().numpy()))

    opt: Any
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=learning_rate)
    else:
        try:
            opt = KFAC(hedger, learning_rate=learning_rate, **opts)
        except (InvalidParameterError, InvalidParameterTypeError) as exc:
            raise type(exc)("kfac_options", str(exc)) from None

    history = np.empty(n_iterations)
    eval_steps, eval_risk = [0], [evaluate()]
    t0 = time.perf_counter()
    bar = progress_bar(n_iterations, desc="finance_apps.train_hedger", progress=progress, unit="iteration")
    try:
        for it in range(n_iterations):
            idx = torch.as_tensor(gen.integers(S.shape[0], size=batch_size), device=device)
            opt.zero_grad()
            pnl = hedging_pnl_torch(tS[idx], hedger(tX[idx]), tZ[idx], tc, liquidate=liquidate)
            loss = risk.torch(pnl)
            if gauss_newton:
                opt.observe_outputs(pnl, risk_aversion)
            loss.backward()
            if optimizer == "kfac":
                opt.step(
                    lambda idx=idx: risk.torch(
                        hedging_pnl_torch(tS[idx], hedger(tX[idx]), tZ[idx], tc, liquidate=liquidate)
                    )
                )
            else:
                opt.step()
            history[it] = float(loss.detach())
            if not math.isfinite(history[it]):
                raise FloatingPointError(
                    f"training diverged at iteration {it} (risk {history[it]}); lower learning_rate (it is {learning_rate:g})"
                )
            if (it + 1) % eval_every == 0 or it + 1 == n_iterations:
                eval_steps.append(it + 1)
                eval_risk.append(evaluate())
                if not bar.disable:
                    bar.set_postfix(risk=f"{eval_risk[-1]:.4g}", refresh=False)
            if callback is not None:
                callback(it, history[it])
            bar.update(1)
    finally:
        bar.close()
        if optimizer == "kfac":
            opt.remove_hooks()
    seconds = time.perf_counter() - t0
    return TrainingResult(
        hedger=hedger,
        risk_history=history,
        eval_steps=np.asarray(eval_steps),
        eval_risk=np.asarray(eval_risk),
        final_risk=float(eval_risk[-1]),
        seconds=seconds,
        optimizer=optimizer,
    )
