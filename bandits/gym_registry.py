"""The bandit environments registered with Gymnasium, under the library's ``rlref/`` namespace.

Importing :mod:`bandits` registers them (with :func:`rlcore.gym_registry.register_envs`,
the routine that registers :mod:`rlcore`'s own ids), so after ``import bandits`` the
usual ``gymnasium.make`` finds them; without importing bandits first, Gymnasium's module
prefix does the import: ``gymnasium.make("bandits:rlref/BernoulliBandit-v0")``.
Registration records the ids and the names of their factories: nothing is built until
``gymnasium.make`` is called.

=======================================  =============================================  ================
id                                       what ``gymnasium.make`` builds (defaults)      episodes end
=======================================  =============================================  ================
``rlref/BernoulliBandit-v0``             :class:`~bandits.BernoulliBandit`, means       after
                                         ``[0.3, 0.5, 0.7]``                            ``horizon=1000``
                                                                                        rounds
``rlref/GaussianBandit-v0``              :class:`~bandits.GaussianBandit`, means        after 1000
                                         ``[0.0, 0.5, 1.0]``, ``sigma=1``               rounds
``rlref/BetaBandit-v0``                  :class:`~bandits.BetaBandit`, ``alpha=[1, 2,   after 1000
                                         3]``, ``beta=[3, 2, 1]``                       rounds
``rlref/PiecewiseStationaryBandit-v0``   :class:`~bandits.PiecewiseStationaryBandit`,   after 1000
                                         Bernoulli means ``[0.8, 0.5, 0.2]`` reversed   rounds
                                         at round 500
``rlref/AdversarialBandit-v0``           :class:`~bandits.AdversarialBandit` over a     after 1000
                                         table of ``horizon x n_arms`` (3) rewards      rounds
                                         drawn uniform on [0, 1] with ``rng=0``
``rlref/LinearBandit-v0``                :class:`~bandits.LinearBandit`, 4 arms in      after 1000
                                         ``R^2``, ``theta=[0.6, 0.8]``,                 rounds
                                         ``sigma=0.5``
``rlref/CascadeBandit-v0``               :class:`~bandits.CascadeBandit`, attractions   after 1000
                                         ``[0.5, 0.4, 0.3, 0.2, 0.1]``, lists of 2      rounds
``rlref/CascadingMDP-v0``                :class:`~bandits.CascadingMDP`, 3 states, 4    at the horizon
                                         items, lists of at most 2, horizon 10, drawn   (10)
                                         with ``rng=0``
``rlref/RestlessBandit-v0``              :class:`~bandits.RestlessProblem`, 4 random    after 200 steps
                                         3-state arms (``rng=0``), budget 1,            (time limit)
                                         ``gamma=0.95``
``rlref/CoupledRestlessBandit-v0``       :class:`~bandits.CoupledRestlessProblem`, 3    after 200 steps
                                         two-state arms (``rng=0``), one intervention   (time limit)
                                         of cost 1, budget 1, ``gamma=0.95``
=======================================  =============================================  ================

Each id gives a :class:`~rlcore.SimulatorEnv` (``gymnasium.make_vec(id, num_envs=n)`` the
batched :class:`~rlcore.SimulatorVectorEnv`) over the model, presented as follows.

* **The K-armed bandits** (the first seven): the simulator's state is the round index, so
  the observation is the round ``t`` in ``Discrete(horizon + 1)`` (it is what the
  piecewise-stationary and adversarial means depend on), the action an arm in
  ``Discrete(K)`` and the reward the pulled arm's reward. A bandit never ends by itself;
  its ``horizon`` keyword (default 1000, the ``T`` of the regret) ends each episode
  (``terminated``: the problem is over, there is nothing to bootstrap). The model is
  ``env.unwrapped.sim.model``.
* **Lists and budgets as actions**: the actions of the cascade models (ordered lists of
  distinct items) and of the restless problems (joint actions within a budget) are
  constrained combinations, which no Gymnasium space samples faithfully (a
  ``MultiDiscrete`` sample repeats items and overspends budgets). The action is
  therefore the index of a feasible combination in ``env.unwrapped.sim.actions`` (one
  per row): for the cascade bandit :func:`~bandits.enumerate_lists` of length exactly
  ``K``, for the cascading MDP the lists of length 0 to ``K`` (``-1`` padding, so
  ``Discrete(n_lists)``), for the restless problems every joint action whose cost is
  within the budget (lowest index first). The cascading MDP's observation is its state
  (``Discrete(S)``), the restless problems' the joint state of the arms
  (``MultiDiscrete([S] * N)``).
* The restless problems are discounted and never end, so their ids carry Gymnasium's
  time limit of 200 steps (``truncated``; pass ``max_episode_steps`` to change it).

Keyword arguments of ``gymnasium.make`` other than Gymnasium's own go to the factory and
override the defaults above: the model's own parameters (``means``, ``sigma``,
``attraction``, ``list_length``, ``budget``, ``gamma``, ...), ``horizon``, and for the
random instances their sizes and ``rng``. A bad value raises the library's
:class:`~rlcore.validation.InvalidParameterError` (a ``ValueError``) or
:class:`~rlcore.validation.InvalidParameterTypeError` naming the parameter. The random
instances are drawn with ``rng=0`` by default, so one id names one environment; the
environment's ``reset(seed=...)`` seeds the rewards and transitions, not the instance.

Not registered: :class:`~bandits.RestlessArm` (one arm; the problem is
:class:`~bandits.RestlessProblem`) and the policies. :class:`~bandits.BanditEnvironment`
is the base class of the registered bandits.

Examples
--------
>>> import gymnasium
>>> import bandits
>>> env = gymnasium.make("rlref/BernoulliBandit-v0", horizon=5)
>>> env.unwrapped
SimulatorEnv(BernoulliBandit(means=[0.3, 0.5, 0.7]), horizon=5, id='rlref/BernoulliBandit-v0')
>>> env.observation_space, env.action_space
(Discrete(6), Discrete(3))
>>> env.reset(seed=0)
(0, {'t': 0})
>>> obs, reward, terminated, truncated, info = env.step(2)
>>> obs, reward in (0.0, 1.0), terminated
(1, True, False)
>>> gymnasium.make("rlref/CascadeBandit-v0").unwrapped.sim.actions[:3].tolist()
[[0, 1], [0, 2], [0, 3]]
>>> gymnasium.make_vec("rlref/RestlessBandit-v0", num_envs=4).single_observation_space
MultiDiscrete([3 3 3 3])
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from gymnasium import spaces

from bandits._constraints import MAX_HORIZON
from bandits.cascading import CascadeBandit, CascadingMDP, enumerate_lists
from bandits.linear import LinearBandit
from bandits.restless import CoupledRestlessProblem, RestlessArm, RestlessProblem, multiple_interventions
from bandits.stochastic import (
    AdversarialBandit,
    BernoulliBandit,
    BetaBandit,
    GaussianBandit,
    PiecewiseStationaryBandit,
)
from rlcore.gym_registry import NAMESPACE, build_env, build_vector_env, register_envs
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import RNG, Integer, InvalidParameterError, Unchecked, validate_params

__all__ = ["ENV_IDS"]

#: Gymnasium's time limit on the discounted (never-ending) restless problems, in steps.
_TIME_LIMIT = 200
#: Default horizon of the K-armed bandits (rounds per episode).
_HORIZON = 1000
#: Most enumerated actions (lists, joint actions) an id presents as ``Discrete``.
_MAX_ACTIONS = 10**5

_HORIZON_C = Integer(1, MAX_HORIZON)
_MODEL = Unchecked("passed to the model, whose declaration checks it")
_MODEL_KW = Unchecked("the model's parameters, checked by its declaration")


class _Presented:
    """A library simulator as the Gymnasium adapter sees it: actions by index, a horizon.

    ``step`` maps the action indices through the rows of ``actions`` (when given) and
    calls the model's own ``step``; ``horizon`` (the model's own when it has one) ends
    episodes. Everything else is the model's.
    """

    def __init__(self, model: Any, *, horizon: int | None = None, actions: np.ndarray | None = None) -> None:
        self.model = model
        self.horizon = horizon if horizon is not None else getattr(model, "horizon", None)
        self.actions = actions
        if actions is not None:
            actions.flags.writeable = False

    def reset(self, n: int, rng: RNGLike = None) -> np.ndarray:
        return self.model.reset(n, rng)

    def step(
        self, states: Any, actions: Any, rng: RNGLike = None, *, t: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        acts = np.asarray(actions)
        if self.actions is not None:
            acts = self.actions[acts]
        return self.model.step(states, acts, rng, t=t)

    def __repr__(self) -> str:
        parts = [repr(self.model)]
        if self.actions is not None:
            parts.append(f"actions={self.actions.shape[0]} combinations")
        if self.horizon is not None and getattr(self.model, "horizon", None) is None:
            parts.append(f"horizon={self.horizon}")
        return ", ".join(parts)


# ------------------------------------------------------------------- the presentations
def _bandit(model: Any, horizon: int) -> tuple[_Presented, spaces.Space, spaces.Space]:
    """A K-armed bandit: the round index in ``Discrete(horizon + 1)``, an arm in ``Discrete(K)``."""
    return _Presented(model, horizon=horizon), spaces.Discrete(horizon + 1), spaces.Discrete(model.n_arms)


def _indexed(model: Any, actions: np.ndarray, observation_space: spaces.Space, **kw: Any) -> tuple[Any, ...]:
    """A model whose feasible actions are the rows of ``actions``, chosen by index."""
    return _Presented(model, actions=actions, **kw), observation_space, spaces.Discrete(actions.shape[0])


def _check_count(count: int, name: str, what: str) -> None:
    if count > _MAX_ACTIONS:
        raise InvalidParameterError(name, f"{count} {what} exceed {_MAX_ACTIONS}, too many to present as Discrete")


@validate_params(horizon=_HORIZON_C, kwargs=_MODEL_KW)
def _bernoulli_bandit(*, horizon: int, **kwargs: Any) -> tuple[Any, ...]:
    return _bandit(BernoulliBandit(**kwargs), horizon)


@validate_params(horizon=_HORIZON_C, kwargs=_MODEL_KW)
def _gaussian_bandit(*, horizon: int, **kwargs: Any) -> tuple[Any, ...]:
    return _bandit(GaussianBandit(**kwargs), horizon)


@validate_params(horizon=_HORIZON_C, kwargs=_MODEL_KW)
def _beta_bandit(*, horizon: int, **kwargs: Any) -> tuple[Any, ...]:
    return _bandit(BetaBandit(**kwargs), horizon)


@validate_params(horizon=_HORIZON_C, kwargs=_MODEL_KW)
def _piecewise_stationary_bandit(*, horizon: int, **kwargs: Any) -> tuple[Any, ...]:
    return _bandit(PiecewiseStationaryBandit(**kwargs), horizon)


@validate_params(horizon=_HORIZON_C, kwargs=_MODEL_KW)
def _linear_bandit(*, horizon: int, **kwargs: Any) -> tuple[Any, ...]:
    return _bandit(LinearBandit(**kwargs), horizon)


@validate_params(
    horizon=Integer(1, 10**6),
    n_arms=Integer(1, 10**3),
    rng=RNG(),
    rewards=Unchecked("a reward table, checked by AdversarialBandit"),
)
def _adversarial_bandit(*, horizon: int, n_arms: int, rng: RNGLike, rewards: Any = None) -> tuple[Any, ...]:
    if rewards is None:
        if horizon * n_arms > 10**7:
            raise InvalidParameterError("horizon", f"a table of {horizon} x {n_arms} rewards exceeds 10**7 entries")
        rewards = as_generator(rng).random((horizon, n_arms))
    model = AdversarialBandit(rewards)
    if horizon > model.rewards.shape[0]:
        raise InvalidParameterError(
            "horizon", f"the reward table has {model.rewards.shape[0]} rounds, got horizon={horizon}"
        )
    return _bandit(model, horizon)


@validate_params(horizon=_HORIZON_C, kwargs=_MODEL_KW)
def _cascade_bandit(*, horizon: int, **kwargs: Any) -> tuple[Any, ...]:
    model = CascadeBandit(**kwargs)
    _check_count(math.perm(model.n_items, model.list_length), "list_length", "lists")
    lists = enumerate_lists(model.n_items, model.list_length, min_length=model.list_length)
    return _indexed(model, lists, spaces.Discrete(horizon + 1), horizon=horizon)


@validate_params(
    n_states=Integer(1, 100), n_items=Integer(1, 100), list_length=Integer(1, 100), horizon=_HORIZON_C, rng=RNG()
)
def _cascading_mdp(*, n_states: int, n_items: int, list_length: int, horizon: int, rng: RNGLike) -> tuple[Any, ...]:
    if list_length > n_items:
        raise InvalidParameterError("list_length", f"expected at most n_items={n_items}, got {list_length}")
    gen = as_generator(rng)
    S, N = n_states, n_items
    P = gen.exponential(size=(S, N + 1, S))
    P /= P.sum(axis=-1, keepdims=True)
    model = CascadingMDP(gen.random((S, N)), P, gen.random((S, N)), list_length=list_length, horizon=horizon)
    _check_count(model.n_lists, "list_length", "lists")
    return _indexed(model, enumerate_lists(N, list_length), spaces.Discrete(S))


@validate_params(
    n_arms=Integer(1, 16), n_states=Integer(1, 100), n_actions=Integer(2, 10), budget=_MODEL, gamma=_MODEL, rng=RNG()
)
def _restless(*, n_arms: int, n_states: int, n_actions: int, budget: Any, gamma: Any, rng: RNGLike) -> tuple[Any, ...]:
    gen = as_generator(rng)
    arms = [RestlessArm.random(n_states, n_actions, rng=gen) for _ in range(n_arms)]
    model = RestlessProblem(arms, budget, gamma=gamma)
    _check_count(n_actions**n_arms, "n_arms", "joint actions")
    joint = np.array(list(itertools.product(range(n_actions), repeat=n_arms)), dtype=np.int64)
    feasible = joint[model.costs[joint].sum(axis=1) <= model.budget * (1 + 1e-12) + 1e-12]
    return _indexed(model, feasible, spaces.MultiDiscrete([n_states] * n_arms))


@validate_params(n_arms=Integer(1, 16), costs=_MODEL, budget=_MODEL, gamma=_MODEL, rng=RNG())
def _coupled_restless(*, n_arms: int, costs: Any, budget: Any, gamma: Any, rng: RNGLike) -> tuple[Any, ...]:
    constraints = multiple_interventions(n_arms, costs, budget)
    J = constraints.n_levels
    gen = as_generator(rng)
    model = CoupledRestlessProblem(gen.random((n_arms, 2)), gen.random((n_arms, J, 2)), constraints, gamma=gamma)
    if constraints.n_vars > 16:
        raise InvalidParameterError("n_arms", f"{constraints.n_vars} decision variables: 2^D too many to enumerate")
    return _indexed(model, constraints.enumerate(), spaces.MultiDiscrete([2] * n_arms))


# ------------------------------------------------------------------- the entry points
_build, _build_vector = build_env, build_vector_env


def _bernoulli(**kwargs: Any) -> Any:
    return _build(_bernoulli_bandit, kwargs)


def _bernoulli_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector(_bernoulli_bandit, num_envs, max_episode_steps, kwargs)


def _gaussian(**kwargs: Any) -> Any:
    return _build(_gaussian_bandit, kwargs)


def _gaussian_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector(_gaussian_bandit, num_envs, max_episode_steps, kwargs)


def _beta(**kwargs: Any) -> Any:
    return _build(_beta_bandit, kwargs)


def _beta_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector(_beta_bandit, num_envs, max_episode_steps, kwargs)


def _piecewise(**kwargs: Any) -> Any:
    return _build(_piecewise_stationary_bandit, kwargs)


def _piecewise_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector(_piecewise_stationary_bandit, num_envs, max_episode_steps, kwargs)


def _adversarial(**kwargs: Any) -> Any:
    return _build(_adversarial_bandit, kwargs)


def _adversarial_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector(_adversarial_bandit, num_envs, max_episode_steps, kwargs)


def _linear(**kwargs: Any) -> Any:
    return _build(_linear_bandit, kwargs)


def _linear_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector(_linear_bandit, num_envs, max_episode_steps, kwargs)


def _cascade(**kwargs: Any) -> Any:
    return _build(_cascade_bandit, kwargs)


def _cascade_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector(_cascade_bandit, num_envs, max_episode_steps, kwargs)


def _cascading(**kwargs: Any) -> Any:
    return _build(_cascading_mdp, kwargs)


def _cascading_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector(_cascading_mdp, num_envs, max_episode_steps, kwargs)


def _restless_problem(**kwargs: Any) -> Any:
    return _build(_restless, kwargs)


def _restless_problem_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector(_restless, num_envs, max_episode_steps, kwargs)


def _coupled(**kwargs: Any) -> Any:
    return _build(_coupled_restless, kwargs)


def _coupled_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector(_coupled_restless, num_envs, max_episode_steps, kwargs)


# id -> (factory, default keywords, Gymnasium time limit)
_SPECS: dict[str, tuple[str, dict[str, Any], int | None]] = {
    "BernoulliBandit-v0": ("_bernoulli", {"means": [0.3, 0.5, 0.7], "horizon": _HORIZON}, None),
    "GaussianBandit-v0": ("_gaussian", {"means": [0.0, 0.5, 1.0], "sigma": 1.0, "horizon": _HORIZON}, None),
    "BetaBandit-v0": ("_beta", {"alpha": [1.0, 2.0, 3.0], "beta": [3.0, 2.0, 1.0], "horizon": _HORIZON}, None),
    "PiecewiseStationaryBandit-v0": (
        "_piecewise",
        {"means": [[0.8, 0.5, 0.2], [0.2, 0.5, 0.8]], "change_points": [500], "horizon": _HORIZON},
        None,
    ),
    "AdversarialBandit-v0": ("_adversarial", {"n_arms": 3, "horizon": _HORIZON, "rng": 0}, None),
    "LinearBandit-v0": (
        "_linear",
        {
            "features": [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [-1.0, 0.0]],
            "theta": [0.6, 0.8],
            "sigma": 0.5,
            "horizon": _HORIZON,
        },
        None,
    ),
    "CascadeBandit-v0": (
        "_cascade",
        {"attraction": [0.5, 0.4, 0.3, 0.2, 0.1], "list_length": 2, "horizon": _HORIZON},
        None,
    ),
    "CascadingMDP-v0": (
        "_cascading",
        {"n_states": 3, "n_items": 4, "list_length": 2, "horizon": 10, "rng": 0},
        None,
    ),
    "RestlessBandit-v0": (
        "_restless_problem",
        {"n_arms": 4, "n_states": 3, "n_actions": 2, "budget": 1.0, "gamma": 0.95, "rng": 0},
        _TIME_LIMIT,
    ),
    "CoupledRestlessBandit-v0": (
        "_coupled",
        {"n_arms": 3, "costs": [1.0], "budget": 1.0, "gamma": 0.95, "rng": 0},
        _TIME_LIMIT,
    ),
}

#: The registered ids, ``"rlref/<Name>-v<version>"``.
ENV_IDS: tuple[str, ...] = tuple(f"{NAMESPACE}/{name}" for name in _SPECS)

register_envs(__name__, _SPECS)
