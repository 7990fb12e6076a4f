"""Valid example calls of ``finance_apps``'s public callables (see ``tests/api_examples``).

Every call is tiny (a handful of paths, dates and tree steps); torch is imported only
inside the ``make`` functions that need it.
"""

from __future__ import annotations

import numpy as np

import finance_apps as fa
from tests.api_examples import Example

_DATES = [0.0, 0.5, 1.0]


def _problem():
    return fa.StoppingProblem.bermudan(fa.Put(100.0), [0.5, 1.0], 0.05)


def _model():
    return fa.GeometricBrownianMotion(100.0, 0.2, 0.05, _DATES)


def _policy():
    return fa.BoundaryPolicy(_problem(), _DATES, [-np.inf, 95.0, 100.0])


def _paths():
    rng = np.random.default_rng(0)
    steps = 0.05 * rng.standard_normal((3, 3))
    return np.exp(np.concatenate([np.zeros((3, 1)), np.cumsum(steps, axis=1)], axis=1))[:, :, None]


_HEDGE_TIMES = [0.0, 0.25, 0.5, 0.75]


def _torch_hedger():
    return fa.feedforward_hedger(2, hidden_sizes=(4,), rng=0)


def _linear():
    from rlcore.deep import require_torch

    return require_torch("example").nn.Linear(2, 1)


def _train():
    S = _paths()
    return {
        "hedger": _torch_hedger(),
        "prices": S,
        "payoff": fa.call_payoff(S, 1.0),
        "features": fa.hedging_features(S, _HEDGE_TIMES, 1.0),
        "risk": fa.EntropicRisk(1.0),
        "n_iterations": 2,
        "batch_size": 4,
        "eval_every": 1,
        "rng": 0,
    }


_GAMMA_INF = "+inf where the gamma exceeds float64 (at the money as vol sqrt(tau) -> 0: the Dirac limit)"
_WIDTH_INF = "+inf where the band's width exceeds float64 (gamma at the money as vol sqrt(tau) -> 0)"

EXAMPLES: dict[str, Example] = {
    # ------------------------------------------------------------------ models and problems
    "AutoregressiveGARCH": Example(
        lambda: {"spot": 100.0, "mu": 0.0, "phi": 0.5, "omega": 1e-4, "alpha": 0.1, "beta": 0.8, "times": _DATES}
    ),
    "GeometricBrownianMotion": Example(lambda: {"spot": 100.0, "vol": 0.2, "rate": 0.05, "times": _DATES}),
    "Heston": Example(
        lambda: {
            "spot": 100.0,
            "v0": 0.04,
            "kappa": 1.5,
            "theta": 0.04,
            "xi": 0.3,
            "rho": -0.7,
            "rate": 0.03,
            "times": _DATES,
        }
    ),
    "time_grid": Example(lambda: {"maturity": 1.0, "n_steps": 4}),
    "Put": Example(lambda: {"strike": 100.0}),
    "Call": Example(lambda: {"strike": 100.0}),
    "MaxCall": Example(lambda: {"strike": 100.0, "n_assets": 2}),
    "BasketPut": Example(lambda: {"strike": 100.0, "weights": (0.5, 0.5)}),
    "BasketCall": Example(lambda: {"strike": 100.0, "weights": (0.5, 0.5)}),
    "StoppingProblem": Example(lambda: {"payoff": fa.Put(100.0), "exercise_dates": [0.5, 1.0], "rate": 0.05}),
    "StoppingEnv": Example(lambda: {"problem": _problem(), "model": _model()}),
    "PolynomialBasis": Example(lambda: {"degree": 2}),
    "HistoryFeatures": Example(lambda: {"window": 2}),
    # ------------------------------------------------------------------ references
    "black_scholes": Example(
        lambda: {"kind": "call", "spot": 100.0, "strike": 100.0, "maturity": 1.0, "rate": 0.05, "vol": 0.2}
    ),
    "perpetual_american_put": Example(lambda: {"spot": 100.0, "strike": 100.0, "rate": 0.05, "vol": 0.2}),
    "perpetual_put_boundary": Example(lambda: {"strike": 100.0, "rate": 0.05, "vol": 0.2}),
    "binomial_price": Example(
        lambda: {"payoff": fa.Put(100.0), "spot": 100.0, "vol": 0.2, "rate": 0.05, "maturity": 1.0, "n_steps": 50},
        nonfinite={
            "boundary_low": "+inf where exercise is nowhere optimal (the lowest price of an empty set)",
            "boundary_high": "-inf where exercise is nowhere optimal (the highest price of an empty set)",
        },
    ),
    "product_lattice_price": Example(
        lambda: {
            "payoff": fa.MaxCall(100.0),
            "spot": [100.0, 100.0],
            "vol": [0.2, 0.2],
            "rate": 0.05,
            "maturity": 1.0,
            "n_steps": 20,
        },
        skip_params={"n_steps": "O(n^3): the largest value, 2000 steps, takes about 10 s"},
    ),
    # ------------------------------------------------------------------ Monte Carlo
    "RegressionExercisePolicy": Example(
        lambda: {"problem": _problem(), "times": _DATES, "features": fa.PolynomialBasis(1), "regressors": {0: 7.0}}
    ),
    "BoundaryPolicy": Example(
        lambda: {"problem": _problem(), "times": _DATES, "boundary": [-np.inf, 95.0, 100.0]},
        nonfinite={"boundary": "-inf (side='below') or +inf ('above'): never stop that date"},
    ),
    "evaluate_exercise_policy": Example(
        lambda: {"policy": _policy(), "problem": _problem(), "model": _model(), "n_paths": 10, "rng": 0}
    ),
    "longstaff_schwartz": Example(
        lambda: {"problem": _problem(), "model": _model(), "n_paths": 20, "n_test_paths": 20, "rng": 0}
    ),
    "fitted_q_stopping": Example(
        lambda: {"problem": _problem(), "model": _model(), "n_paths": 20, "n_test_paths": 20, "rng": 0}
    ),
    "andersen_broadie": Example(
        lambda: {"policy": _policy(), "problem": _problem(), "model": _model(), "n_outer": 4, "n_inner": 4, "rng": 0}
    ),
    "price_bracket": Example(
        lambda: {
            "policy": _policy(),
            "problem": _problem(),
            "model": _model(),
            "n_lower": 10,
            "n_outer": 4,
            "n_inner": 4,
            "rng": 0,
        }
    ),
    # ------------------------------------------------------------------ risk measures
    "entropic_risk": Example(lambda: {"pnl": [0.1, -0.2, 0.3], "risk_aversion": 1.0}),
    "expected_shortfall": Example(lambda: {"pnl": [0.1, -0.2, 0.3], "alpha": 0.5}),
    "oce_risk": Example(lambda: {"pnl": [0.1, -0.2, 0.3], "loss": fa.shortfall_loss(0.5)}),
    "entropic_loss": Example(lambda: {"risk_aversion": 1.0}),
    "shortfall_loss": Example(lambda: {"alpha": 0.5}),
    "indifference_price": Example(lambda: {"risk_with_claim": 0.5, "risk_without_claim": 0.25}),
    "EntropicRisk": Example(lambda: {"risk_aversion": 1.0}),
    "ExpectedShortfall": Example(lambda: {"alpha": 0.05}),
    "OCERisk": Example(lambda: {"loss": fa.shortfall_loss(0.5), "label": "CVaR"}),
    # ------------------------------------------------------------------ hedging
    "HedgingEnv": Example(lambda: {"prices": _paths(), "payoff": np.zeros(3), "cost": 0.01}),
    "hedging_pnl": Example(
        lambda: {
            "prices": _paths(),
            "deltas": np.full((3, 3, 1), 0.5),
            "payoff": np.zeros(3),
            "cost": 0.01,
            "premium": 0.1,
        }
    ),
    "transaction_costs": Example(lambda: {"prices": _paths(), "deltas": np.full((3, 3, 1), 0.5), "cost": 0.01}),
    "turnover": Example(lambda: {"deltas": np.full((3, 3, 1), 0.5)}),
    "call_payoff": Example(lambda: {"prices": _paths(), "strike": 1.0}),
    "no_hedge": Example(lambda: {"prices": _paths()}),
    "hedging_features": Example(lambda: {"prices": _paths(), "times": _HEDGE_TIMES, "strike": 1.0}),
    "bs_call_price": Example(lambda: {"spot": 100.0, "strike": 100.0, "tau": 1.0, "vol": 0.2}),
    "bs_call_delta": Example(lambda: {"spot": 100.0, "strike": 100.0, "tau": 1.0, "vol": 0.2}),
    "bs_call_gamma": Example(
        lambda: {"spot": 100.0, "strike": 100.0, "tau": 1.0, "vol": 0.2}, nonfinite={"*": _GAMMA_INF}
    ),
    "bs_call_vega": Example(lambda: {"spot": 100.0, "strike": 100.0, "tau": 1.0, "vol": 0.2}),
    "bs_delta_hedge": Example(lambda: {"prices": _paths(), "times": _HEDGE_TIMES, "strike": 1.0, "vol": 0.2}),
    "whalley_wilmott_width": Example(
        lambda: {"spot": 1.0, "strike": 1.0, "tau": 0.1, "vol": 0.2, "cost": 0.01, "risk_aversion": 1.0},
        nonfinite={"*": _WIDTH_INF},
    ),
    "whalley_wilmott_hedge": Example(
        lambda: {
            "prices": _paths(),
            "times": _HEDGE_TIMES,
            "strike": 1.0,
            "vol": 0.2,
            "cost": 0.01,
            "risk_aversion": 1.0,
        }
    ),
    "discrete_hedging_variance": Example(
        lambda: {"spot": 1.0, "strike": 1.0, "maturity": 1.0, "vol": 0.2, "n_steps": 10}
    ),
    "derman_kamal_variance": Example(lambda: {"spot": 1.0, "strike": 1.0, "maturity": 1.0, "vol": 0.2, "n_steps": 10}),
    # ------------------------------------------------------------------ deep hedging (torch)
    "feedforward_hedger": Example(lambda: {"n_features": 2, "hidden_sizes": (4,), "rng": 0}),
    "lstm_hedger": Example(lambda: {"n_features": 2, "hidden_size": 4, "rng": 0}),
    "hedge_ratios": Example(lambda: {"hedger": _torch_hedger(), "features": np.zeros((3, 3, 2))}),
    "KFAC": Example(lambda: {"model": _linear()}),
    "train_hedger": Example(_train, sweep=False, why="a training loop: each call trains a network"),
}

_RESULT = "result type: built by the library and returned, not called with user input"

EXEMPT: dict[str, str] = {
    "DualBound": _RESULT,
    "FittedQResult": _RESULT,
    "LSMCResult": _RESULT,
    "LatticeResult": _RESULT,
    "PolicyValue": _RESULT,
    "PriceBracket": _RESULT,
    "TrainingResult": _RESULT,
    "ExercisePolicy": "Protocol class: the structural type of exercise policies, never instantiated",
    "FeatureMap": "type alias of feature-map callables (typing.Callable), not a callable of the library",
}


# --------------------------------------------------------------------------- finance_apps.deep
def _tensor(x):
    from rlcore.deep import require_torch

    return require_torch("the API walk").as_tensor(np.asarray(x, dtype=np.float32))


#: The names of :mod:`finance_apps.deep` not exported from ``finance_apps`` (the torch
#: twins of the risk measures and the P&L), walked as ``finance_apps.deep``.
DEEP_EXAMPLES: dict[str, Example] = {
    "entropic_risk_torch": Example(lambda: {"pnl": _tensor([1.0, -1.0, 0.5]), "risk_aversion": 2.0}),
    "expected_shortfall_torch": Example(lambda: {"pnl": _tensor([3.0, -1.0, 0.0, -5.0]), "alpha": 0.5}),
    "oce_objective_torch": Example(lambda: {"pnl": _tensor([1.0, -1.0]), "w": 0.5, "loss": lambda u: u.clamp(min=0.0)}),
    "hedging_pnl_torch": Example(
        lambda: {
            "prices": _tensor([[[1.0], [1.1], [1.2]]]),
            "deltas": _tensor([[[1.0], [1.0]]]),
            "payoff": _tensor([0.2]),
            "cost": 0.01,
            "liquidate": True,
        }
    ),
}
