"""The library's environments registered with Gymnasium, under the ``rlref/`` namespace.

Importing :mod:`rlcore` registers them (:mod:`rlcore.gym` calls this module's ``_register()`` when
it is imported), so after ``import rlcore`` the usual ``gymnasium.make`` finds them;
without importing rlcore first, Gymnasium's module prefix does the import:
``gymnasium.make("rlcore:rlref/RiverSwim-v0")``. Registration only records the ids and
the names of their factories: no MDP is built until ``gymnasium.make`` is called.

==============================  ==============================================  ==================
id                              what ``gymnasium.make`` builds (defaults)       episodes end
==============================  ==============================================  ==================
``rlref/RiverSwim-v0``          :func:`~rlcore.generators.river_swim`           after 200 steps
``rlref/Chain-v0``              :func:`~rlcore.generators.chain`                after 200 steps
``rlref/GridWorld-v0``          :func:`~rlcore.generators.gridworld`, 4 x 4     after 200 steps
``rlref/CombinationLock-v0``    :func:`~rlcore.generators.combination_lock`,    at the horizon
                                horizon 10, 2 actions, ``rng=0``
``rlref/Forest-v0``             :func:`~rlcore.generators.forest`               after 200 steps
``rlref/Garnet-v0``             :func:`~rlcore.generators.random_mdp`, 10       after 200 steps
                                states, 3 actions, branching 3, ``rng=0``
==============================  ==============================================  ==================

Each id gives a :class:`~rlcore.SimulatorEnv` over the generator's
:class:`~rlcore.FiniteMDP` (``Discrete`` observation and action spaces). Keyword
arguments of ``gymnasium.make`` other than Gymnasium's own (``max_episode_steps``,
``disable_env_checker``, ...) go to the generator and override the defaults above:
``gymnasium.make("rlref/RiverSwim-v0", n_states=10, horizon=20)`` is a 10-state
finite-horizon RiverSwim whose episodes end (``terminated``) after 20 steps. The
discounted MDPs never end by themselves, so their ids carry Gymnasium's time limit of
200 steps (``truncated``; pass ``max_episode_steps`` to change it). The random
instances (Garnet, the lock's combination) are drawn with ``rng=0`` by default, so one
id names one MDP; the environment's own ``reset(seed=...)`` seeds the trajectories,
not the MDP.

``gymnasium.make_vec(id, num_envs=n)`` gives the batched
:class:`~rlcore.SimulatorVectorEnv` (the ids' ``vector_entry_point``): the ``n``
environments advance in one simulator call per step, several hundred times faster than
Gymnasium's ``SyncVectorEnv`` of ``n`` copies (``vectorization_mode="sync"``).

The downstream packages register their own simulators under the same namespace, with
:func:`register_envs`, when they are imported (:mod:`rlcore` may not refer to them):
``import bandits`` adds the bandit environments (``rlref/BernoulliBandit-v0``,
``rlref/CascadeBandit-v0``, ``rlref/RestlessBandit-v0``, ...; :mod:`bandits.gym_registry`
lists them) and ``import finance_apps`` the finance ones (``rlref/Hedging-v0``,
``rlref/AmericanPut-v0``; :mod:`finance_apps.gym_registry`); the module prefix works
there too: ``gymnasium.make("bandits:rlref/BernoulliBandit-v0")``. Not registered: the
BRIDGE MDPs, which need a file and a horizon: :func:`~rlcore.load_bridge_mdp`, then
:func:`~rlcore.as_gymnasium_env`, which also presents any other simulator of the batched
protocol (give the spaces where it has no ``n_states``/``n_actions``).

Examples
--------
>>> import gymnasium
>>> import rlcore
>>> env = gymnasium.make("rlref/RiverSwim-v0")
>>> env.unwrapped
SimulatorEnv(FiniteMDP(S=6, A=2, gamma=0.95, dense), id='rlref/RiverSwim-v0')
>>> env.spec.id, env.spec.max_episode_steps
('rlref/RiverSwim-v0', 200)
>>> obs, info = env.reset(seed=0)
>>> obs in env.observation_space, info
(True, {'t': 0})
>>> gymnasium.make("rlref/GridWorld-v0", height=2, width=3, horizon=5).unwrapped
SimulatorEnv(FiniteMDP(S=6, A=4, horizon=5, dense), id='rlref/GridWorld-v0')
>>> gymnasium.make_vec("rlref/RiverSwim-v0", num_envs=8)
SimulatorVectorEnv(FiniteMDP(S=6, A=2, gamma=0.95, dense), num_envs=8, max_episode_steps=200, id='rlref/RiverSwim-v0')
"""

from __future__ import annotations

from typing import Any

import gymnasium

from rlcore.validation import Instance, Integer, IsCallable, Unchecked, validate_params

__all__ = ["ENV_IDS", "NAMESPACE", "build_env", "build_vector_env", "register_envs"]

#: The namespace of every id this module registers.
NAMESPACE: str = "rlref"

#: Gymnasium's time limit on the discounted (never-ending) MDPs, in steps.
_TIME_LIMIT = 200


def _mdp(generator: str, kwargs: dict[str, Any]) -> Any:
    from rlcore import generators

    # a refusal keeps its parameter's name through gymnasium.make, which re-raises a
    # TypeError as type(e)(text): the library's errors accept that one-argument form
    return getattr(generators, generator)(**kwargs)


def _build(generator: str, kwargs: dict[str, Any]) -> Any:
    """``SimulatorEnv(rlcore.generators.<generator>(**kwargs))``, built on ``gymnasium.make``."""
    from rlcore.gym import SimulatorEnv

    return SimulatorEnv(_mdp(generator, kwargs))


def _build_vector(generator: str, num_envs: int, max_episode_steps: int | None, kwargs: dict[str, Any]) -> Any:
    """The batched :class:`~rlcore.SimulatorVectorEnv`, built on ``gymnasium.make_vec``."""
    from rlcore.gym import SimulatorVectorEnv

    return SimulatorVectorEnv(_mdp(generator, kwargs), num_envs, max_episode_steps=max_episode_steps)


def _river_swim(**kwargs: Any) -> Any:
    return _build("river_swim", kwargs)


def _river_swim_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector("river_swim", num_envs, max_episode_steps, kwargs)


def _chain(**kwargs: Any) -> Any:
    return _build("chain", kwargs)


def _chain_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector("chain", num_envs, max_episode_steps, kwargs)


def _gridworld(**kwargs: Any) -> Any:
    return _build("gridworld", kwargs)


def _gridworld_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector("gridworld", num_envs, max_episode_steps, kwargs)


def _combination_lock(**kwargs: Any) -> Any:
    return _build("combination_lock", kwargs)


def _combination_lock_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector("combination_lock", num_envs, max_episode_steps, kwargs)


def _forest(**kwargs: Any) -> Any:
    return _build("forest", kwargs)


def _forest_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector("forest", num_envs, max_episode_steps, kwargs)


def _garnet(**kwargs: Any) -> Any:
    return _build("random_mdp", kwargs)


def _garnet_vector(num_envs: int = 1, max_episode_steps: int | None = None, **kwargs: Any) -> Any:
    return _build_vector("random_mdp", num_envs, max_episode_steps, kwargs)


# id -> (factory, default generator keywords, Gymnasium time limit)
_SPECS: dict[str, tuple[str, dict[str, Any], int | None]] = {
    "RiverSwim-v0": ("_river_swim", {}, _TIME_LIMIT),
    "Chain-v0": ("_chain", {}, _TIME_LIMIT),
    "GridWorld-v0": ("_gridworld", {"height": 4, "width": 4}, _TIME_LIMIT),
    "CombinationLock-v0": ("_combination_lock", {"horizon": 10, "n_actions": 2, "rng": 0}, None),
    "Forest-v0": ("_forest", {}, _TIME_LIMIT),
    "Garnet-v0": ("_garnet", {"n_states": 10, "n_actions": 3, "branching": 3, "rng": 0}, _TIME_LIMIT),
}

#: The registered ids, ``"rlref/<Name>-v<version>"``.
ENV_IDS: tuple[str, ...] = tuple(f"{NAMESPACE}/{name}" for name in _SPECS)


@validate_params(
    module=Instance(str, what="a module name"),
    specs=Instance(dict, what="a dict {name: (factory, kwargs, max_episode_steps)}"),
)
def register_envs(module: str, specs: dict[str, tuple[str, dict[str, Any], int | None]]) -> tuple[str, ...]:
    """Register ``rlref/<name>`` for each entry of ``specs`` not yet in Gymnasium's registry.

    The one registration routine of the library: :mod:`rlcore` registers its MDP
    generators with it, and the downstream packages their simulators
    (:mod:`bandits.gym_registry`, :mod:`finance_apps.gym_registry`), each when it is
    imported. Idempotent and cheap: it records names, builds nothing.

    Parameters
    ----------
    module : str
        The module that holds the factories, e.g. ``"bandits.gym_registry"``.
    specs : dict
        ``{name: (factory, kwargs, max_episode_steps)}``: ``name`` is ``"<Name>-v<version>"``;
        ``module:factory`` is the ``entry_point`` (it builds one environment from the
        keyword arguments) and ``module:factory_vector`` the ``vector_entry_point``
        (called with ``num_envs``, ``max_episode_steps`` and the same keywords);
        ``kwargs`` are the defaults that ``gymnasium.make``'s keywords override;
        ``max_episode_steps`` is Gymnasium's time limit (``None``: none).

    Returns
    -------
    tuple of str
        The ids, ``"rlref/<name>"``, in the order of ``specs``.

    Examples
    --------
    >>> register_envs("rlcore.gym_registry", {"RiverSwim-v0": ("_river_swim", {}, 200)})
    ('rlref/RiverSwim-v0',)
    """
    ids = []
    for name, (factory, kwargs, limit) in specs.items():
        env_id = f"{NAMESPACE}/{name}"
        ids.append(env_id)
        if env_id in gymnasium.registry:
            continue
        gymnasium.register(
            id=env_id,
            entry_point=f"{module}:{factory}",
            vector_entry_point=f"{module}:{factory}_vector",
            kwargs=dict(kwargs),
            max_episode_steps=limit,
            disable_env_checker=False,
        )
    return tuple(ids)


_BUILDER = IsCallable("a callable builder(**kwargs) -> (simulator, observation_space, action_space)")


@validate_params(builder=_BUILDER, kwargs=Unchecked("the builder validates its own keywords"))
def build_env(builder: Any, kwargs: dict[str, Any]) -> Any:
    """The single environment of a registered id: ``builder(**kwargs)`` gives ``(sim, obs, act)``.

    The entry points of the downstream registries (:mod:`bandits.gym_registry`,
    :mod:`finance_apps.gym_registry`) are one-line calls of this and of
    :func:`build_vector_env`.

    Examples
    --------
    >>> from gymnasium import spaces
    >>> from rlcore.generators import chain
    >>> build_env(lambda: (chain(gamma=0.9), spaces.Discrete(5), spaces.Discrete(2)), {})
    SimulatorEnv(FiniteMDP(S=5, A=2, gamma=0.9, dense))
    """
    from rlcore.gym import SimulatorEnv

    sim, obs, act = builder(**kwargs)
    return SimulatorEnv(sim, observation_space=obs, action_space=act)


@validate_params(
    builder=_BUILDER,
    num_envs=Integer(1, 10**6),
    max_episode_steps=Integer(1, None) | None,
    kwargs=Unchecked("the builder validates its own keywords"),
)
def build_vector_env(builder: Any, num_envs: int, max_episode_steps: int | None, kwargs: dict[str, Any]) -> Any:
    """The batched environment of a registered id (``gymnasium.make_vec``'s vector entry point).

    Examples
    --------
    >>> from gymnasium import spaces
    >>> from rlcore.generators import chain
    >>> env = build_vector_env(lambda: (chain(gamma=0.9), spaces.Discrete(5), spaces.Discrete(2)), 3, 10, {})
    >>> env.num_envs
    3
    """
    from rlcore.gym import SimulatorVectorEnv

    sim, obs, act = builder(**kwargs)
    return SimulatorVectorEnv(
        sim, num_envs, observation_space=obs, action_space=act, max_episode_steps=max_episode_steps
    )


def _register() -> None:
    """Register every id of :data:`ENV_IDS` not yet in Gymnasium's registry (idempotent, cheap)."""
    register_envs(__name__, _SPECS)
