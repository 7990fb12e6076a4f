"""The finance environments registered with Gymnasium, under the library's ``rlref/`` namespace.

Importing :mod:`finance_apps` registers them (with :func:`rlcore.gym_registry.register_envs`,
the routine that registers :mod:`rlcore`'s own ids), so after ``import finance_apps`` the
usual ``gymnasium.make`` finds them; without importing finance_apps first, Gymnasium's
module prefix does the import: ``gymnasium.make("finance_apps:rlref/Hedging-v0")``.
Registration records the ids and the names of their factories: no path is simulated
until ``gymnasium.make`` is called.

=========================  ===================================================  =================
id                         what ``gymnasium.make`` builds (defaults)            episodes end
=========================  ===================================================  =================
``rlref/Hedging-v0``       :class:`~finance_apps.HedgingEnv`: hedge a short     after ``n_steps``
                           call of strike 100 on 1000 Black-Scholes paths       (20) rebalancing
                           (spot 100, vol 0.2, rate 0, 3 months, 20             dates
                           rebalancing dates, drawn with ``rng=0``), cost
                           0.001
``rlref/AmericanPut-v0``   :class:`~finance_apps.StoppingEnv`: exercise an      when exercised,
                           American put of strike 100 (spot 100, vol 0.2,       or at maturity
                           rate 0.05, 1 year, 50 exercise steps)
=========================  ===================================================  =================

Each id gives a :class:`~rlcore.SimulatorEnv` (``gymnasium.make_vec(id, num_envs=n)`` the
batched :class:`~rlcore.SimulatorVectorEnv`), presented as follows.

* ``rlref/Hedging-v0``: the observation is the simulator's state, the row
  ``(path, k, S_k, delta_{k-1})`` of length ``2 + 2 d`` (``d = 1`` asset) in a ``Box``
  of float64 (path in ``[0, n_paths - 1]``, date ``k`` in ``[0, n_steps]``, prices in
  ``[0, inf)``, holdings within the action bounds); the action is the new holding
  ``delta_k`` in ``Box(-max_holding, max_holding, (d,), float64)``; the reward is the
  period's P&L, and the undiscounted return of an episode is
  :func:`~finance_apps.hedging_pnl` with premium 0. The model does not bound the
  holdings; the id does, for agents that need a bounded action space: ``max_holding``
  (default 1, enough for a call, whose delta is in ``[0, 1]``). Column 0 is the index of
  the scenario path in the fixed set (what the simulator needs to step); it identifies
  the future of the path, so an agent that should not peek reads columns 1 onward.
* ``rlref/AmericanPut-v0``: the model state alone (the price) is not Markov for a
  finite-horizon stopping problem, so the observation is ``(t, S_t)``, the date index
  followed by the model's state, in a ``Box`` of float64 of shape ``(1 + state_dim,)``
  (dates ``0`` to ``n_steps + 1``, the last one after the final decision); the
  action is 0 (continue) or 1 (exercise) in ``Discrete(2)``, the reward the payoff
  discounted to time 0 on exercise. The return of an episode is the discounted payoff of
  the stopping rule on that path, so its mean estimates the rule's value (below the
  option price :func:`~finance_apps.binomial_price`).

Keyword arguments of ``gymnasium.make`` other than Gymnasium's own go to the factory and
override the defaults: ``spot``, ``vol``, ``rate``, ``maturity``, ``n_steps``,
``strike``, and for hedging ``n_paths``, ``cost``, ``liquidate``, ``max_holding`` and ``rng`` (the seed
of the scenario set, so one id names one set). A bad value raises the library's
:class:`~rlcore.validation.InvalidParameterError` (a ``ValueError``) or
:class:`~rlcore.validation.InvalidParameterTypeError` naming the parameter. To hedge
your own scenario set, build :class:`~finance_apps.HedgingEnv` and present it with
:func:`rlcore.as_gymnasium_env`.

Not registered: the path models (:class:`~finance_apps.GeometricBrownianMotion`,
:class:`~finance_apps.Heston`, :class:`~finance_apps.AutoregressiveGARCH`) follow the
batched protocol but take no actions (they are the exogenous part of the two
environments above).

Examples
--------
>>> import gymnasium
>>> import finance_apps
>>> env = gymnasium.make("rlref/Hedging-v0")
>>> env.unwrapped
SimulatorEnv(HedgingEnv(n_paths=1000, n_steps=20, n_assets=1, cost=[0.001], liquidate=False), id='rlref/Hedging-v0')
>>> obs, info = env.reset(seed=0)
>>> obs.shape, env.action_space
((4,), Box(-1.0, 1.0, (1,), float64))
>>> env = gymnasium.make("rlref/AmericanPut-v0", n_steps=10)
>>> obs, info = env.reset(seed=0)
>>> obs.tolist()
[0.0, 100.0]
>>> env.step(1)[1:3]  # exercise at once: the put is at the money, worth 0 now
(0.0, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from finance_apps.hedging_env import HedgingEnv
from finance_apps.paths import GeometricBrownianMotion, time_grid
from finance_apps.payoffs import Put
from finance_apps.pnl import call_payoff
from finance_apps.stopping import StoppingEnv, StoppingProblem
from rlcore.gym_registry import NAMESPACE, build_env, build_vector_env, register_envs
from rlcore.randomness import RNGLike
from rlcore.validation import RNG, Integer, InvalidParameterError, Real, Unchecked, validate_params

__all__ = ["ENV_IDS"]

#: Largest bound on the holdings of ``rlref/Hedging-v0`` (units of each asset).
_MAX_HOLDING: float = 1e6

_MODEL = Unchecked("passed to the library's constructor, whose declaration checks it")


class _Presented:
    """A finance simulator as the Gymnasium adapter sees it (the model is :attr:`model`).

    With ``dated=True`` (the stopping environment) the states carry their date index in
    column 0: ``step`` strips it, steps the model at that date and puts the next date in
    front of the next states. Otherwise ``reset`` and ``step`` are the model's.
    """

    def __init__(self, model: Any, *, dated: bool = False) -> None:
        self.model = model
        self.dated = dated
        self.horizon = model.horizon

    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        states = self.model.reset(n, rng)
        if not self.dated:
            return states
        states = np.asarray(states, dtype=np.float64)
        return np.hstack([np.zeros((states.shape[0], 1)), states])

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.dated:
            return self.model.step(states, actions, rng, t=t)
        x = np.asarray(states, dtype=np.float64)
        if t is None:
            dates = np.unique(x[:, 0])
            if dates.size != 1:
                raise InvalidParameterError("t", "required when the states are at different dates")
            t = int(dates[0])
        nxt, rew, done = self.model.step(x[:, 1:], actions, rng, t=t)
        return np.hstack([np.full((nxt.shape[0], 1), float(t + 1)), nxt]), rew, done

    def __repr__(self) -> str:
        m = self.model
        if type(m).__repr__ is not object.__repr__:
            return repr(m)
        p = m.problem
        return (
            f"StoppingEnv({type(p.payoff).__name__}(strike={p.payoff.strike:g}), maturity={p.maturity:g}, "
            f"rate={p.rate:g}, exercise_dates={p.exercise_dates.size}, {m.model!r})"
        )


@validate_params(
    spot=_MODEL,
    vol=_MODEL,
    rate=_MODEL,
    maturity=_MODEL,
    n_steps=_MODEL,
    strike=_MODEL,
    n_paths=Integer(1, 10**6),
    cost=_MODEL,
    liquidate=_MODEL,
    max_holding=Real(0.0, _MAX_HOLDING, closed="right"),
    rng=RNG(),
)
def _hedging_env(
    *,
    spot: Any,
    vol: Any,
    rate: Any,
    maturity: Any,
    n_steps: Any,
    strike: Any,
    n_paths: int,
    cost: Any,
    liquidate: Any,
    max_holding: float,
    rng: RNGLike,
) -> tuple[Any, spaces.Space, spaces.Space]:
    model = GeometricBrownianMotion(spot, vol, rate, time_grid(maturity, n_steps))
    prices = model.simulate(n_paths, rng=rng)
    env = HedgingEnv(prices, call_payoff(prices, strike), cost, liquidate=liquidate)
    d, M = env.n_assets, max_holding
    obs = spaces.Box(
        np.array([0.0, 0.0] + [0.0] * d + [-M] * d),
        np.array([env.n_paths - 1.0, float(env.n_steps)] + [np.inf] * d + [M] * d),
        dtype=np.float64,
    )
    return _Presented(env), obs, spaces.Box(-M, M, shape=(d,), dtype=np.float64)


@validate_params(spot=_MODEL, vol=_MODEL, rate=_MODEL, maturity=_MODEL, n_steps=_MODEL, strike=_MODEL)
def _american_put(
    *, spot: Any, vol: Any, rate: Any, maturity: Any, n_steps: Any, strike: Any
) -> tuple[Any, spaces.Space, spaces.Space]:
    problem = StoppingProblem.american(Put(strike), maturity, rate, n_steps)
    model = GeometricBrownianMotion(spot, vol, rate, problem.grid())
    sim = _Presented(StoppingEnv(problem, model), dated=True)
    k = int(model.state_dim)
    # dates 0 .. horizon: the observation after the last decision is dated one past it
    obs = spaces.Box(np.zeros(1 + k), np.array([float(sim.horizon)] + [np.inf] * k), dtype=np.float64)
    return sim, obs, spaces.Discrete(2)


# ------------------------------------------------------------------- the entry points
_build, _build_vector = build_env, build_vector_env


def _hedging(**kwargs: Any) -> Any:
    return _build(_hedging_env, kwargs)


def _hedging_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector(_hedging_env, num_envs, max_episode_steps, kwargs)


def _put(**kwargs: Any) -> Any:
    return _build(_american_put, kwargs)


def _put_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector(_american_put, num_envs, max_episode_steps, kwargs)


# id -> (factory, default keywords, Gymnasium time limit)
_SPECS: dict[str, tuple[str, dict[str, Any], int | None]] = {
    "Hedging-v0": (
        "_hedging",
        {
            "spot": 100.0,
            "vol": 0.2,
            "rate": 0.0,
            "maturity": 0.25,
            "n_steps": 20,
            "strike": 100.0,
            "n_paths": 1000,
            "cost": 0.001,
            "liquidate": False,
            "max_holding": 1.0,
            "rng": 0,
        },
        None,
    ),
    "AmericanPut-v0": (
        "_put",
        {"spot": 100.0, "vol": 0.2, "rate": 0.05, "maturity": 1.0, "n_steps": 50, "strike": 100.0},
        None,
    ),
}

#: The registered ids, ``"rlref/<Name>-v<version>"``.
ENV_IDS: tuple[str, ...] = tuple(f"{NAMESPACE}/{name}" for name in _SPECS)

register_envs(__name__, _SPECS)
