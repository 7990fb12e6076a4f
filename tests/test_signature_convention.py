"""The signature convention, checked over the whole public API (``docs/contributing.md``).

Every public callable of ``rlcore``, ``tabular``, ``bandits``, ``offline``,
``finance_apps`` and their ``deep`` subpackages (the namespaces of the API walk,
``tests/test_public_api.py``), and every public method of their public classes:

1. **rng is keyword-only.** A parameter named ``rng`` is keyword-only, except in the
   functions whose subject is the generator itself (:data:`RNG_SUBJECT`) and in the
   methods of the library's batched protocols (:data:`PROTOCOL_METHODS`), which
   engines call in their hot loops with ``rng`` at a fixed position.
2. **One name per notion.** No parameter (or result field: result classes are walked
   through their constructors) uses a name of :data:`SYNONYMS`; each maps to the one
   name the library uses for that notion. Tolerances are ``atol``/``rtol`` (or end in
   ``_atol``); a target accuracy is ``epsilon``.
3. **The model comes first.** When a callable takes the model it works on (``mdp``,
   ``sim``, ``env``, ``problem``, ``data``), that parameter is its first.

Each rule is also run against deliberately non-conforming functions, so a checker
that cannot fail would be caught.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any
from collections.abc import Callable, Iterator

import pytest

from tests.test_public_api import NAMESPACES, PACKAGES, _public

#: Functions whose subject is the random generator itself: the generator is their first
#: positional argument by nature.
RNG_SUBJECT: dict[str, str] = {
    "rlcore.as_generator": "converts its rng argument to a Generator",
    "rlcore.spawn": "splits its rng argument into independent child generators",
}

#: Methods of the batched protocols (``rlcore.Simulator``, the bandit policy and
#: environment protocols, the path models of ``finance_apps``, policy objects), with the
#: position of ``rng`` among their parameters after ``self``. Engines call them with
#: ``rng`` positional; user implementations must accept that.
PROTOCOL_METHODS: dict[str, int] = {
    "reset": 1,  # Simulator.reset(n, rng)
    "step": 2,  # Simulator.step(states, actions, rng, *, t)
    "select": 1,  # BanditPolicy.select(t, rng)
    "update": 2,  # BanditPolicy.update(arm, reward, rng)
    "draw_noise": 0,  # BanditEnvironment.draw_noise(rng, horizon)
    "step_with_feedback": 2,  # CascadingMDP, as step
    "click_positions": 1,  # CascadeBandit.click_positions(lists, rng)
    "act": 2,  # policy objects: act(states, t, rng)
    "simulate": 1,  # path models: simulate(n_paths, rng)
    "simulate_states": 1,  # path models: simulate_states(n_paths, rng, *, start, initial)
    "simulate_returns": 1,  # path models
    "advance_one": 2,  # path models: advance_one(states, k, rng)
    "begin_episode": 1,  # OnlineLearner.begin_episode(episode, rng)
}

#: Names the library does not use, and the name it uses for that notion instead.
SYNONYMS: dict[str, str] = {
    "random_state": "rng",
    "seed": "rng",
    "generator": "rng",
    "random_seed": "rng",
    "discount": "gamma",
    "discount_factor": "gamma",
    "tol": "epsilon (a target accuracy) or atol/rtol (a comparison tolerance)",
    "xtol": "epsilon",
    "tolerance": "epsilon or atol",
    "zero_tol": "atol or rtol",
    "eps": "epsilon",
    "precision": "epsilon",
    "lr": "learning_rate",
    "lr_schedule": "learning_rate_schedule",
    "step_size": "learning_rate",
    "hidden": "hidden_sizes (a sequence of widths) or hidden_size (one width)",
    "hidden_layers": "hidden_sizes",
    "noise_sd": "sigma",
    "noise_std": "sigma",
    "std": "sigma",
    "target_every": "target_update_every",
    "maxiter": "max_iter",
    "max_iterations": "max_iter",
    "num_episodes": "n_episodes",
    "num_steps": "n_steps",
    "num_actions": "n_actions",
    "num_states": "n_states",
    "num_arms": "n_arms",
    "num_paths": "n_paths",
    "nS": "n_states",
    "nA": "n_actions",
    "q_values": "Q",
    "n_iterations_max": "max_iter",
    "T": "horizon",
    "H": "horizon",
    "verbose": "progress",
    "show_progress": "progress",
}

#: Where a name is dictated by an outside protocol, with the reason.
SYNONYM_EXEMPT: dict[tuple[str, str], str] = {
    ("rlcore.experiments.Run", "seed"): "the integer seed recorded for one run of a sweep: a datum, not a source",
    (
        "tabular.deep.sweep_run",
        "seed",
    ): "rlcore.experiments.run_sweep calls run(config, seed) with the run's integer seed",
    ("rlcore.testing.contract.reseeded_globals", "seed"): (
        "the integer given to np.random.seed and random.seed: it seeds the global generators on purpose, "
        "to expose subjects that use them instead of their rng"
    ),
}

#: The model a callable works on: when present, the first parameter.
MODEL_NAMES = ("mdp", "sim", "env", "problem", "data")

#: Gymnasium's own parameter names, used by the adapters that Gymnasium itself calls
#: (``gymnasium.make_vec(id, num_envs=n)`` passes ``num_envs`` to the entry point).
GYMNASIUM_NAMES: dict[str, set[str]] = {
    "rlcore.SimulatorVectorEnv": {"num_envs"},
    "rlcore.as_gymnasium_env": {"num_envs"},
    "rlcore.SimulatorEnv.reset": {"seed"},  # gymnasium.Env.reset(*, seed, options)
    "rlcore.SimulatorVectorEnv.reset": {"seed"},
}


#: Public namespaces beyond the API walk's: the contract suites, strategies, generators,
#: experiment tools and the validation layer users build on.
EXTRA_NAMESPACES = (
    "rlcore.testing",
    "rlcore.testing.contract",
    "rlcore.progress",
    "tabular.testing",
    "bandits.testing",
    "offline.testing",
    "finance_apps.testing",
    "rlcore.generators",
    "rlcore.experiments",
    "rlcore.validation",
)


def _callables() -> Iterator[tuple[str, Callable[..., Any], bool]]:
    """``(qualified name, callable, is_method)`` over the public API."""
    seen: set[int] = set()
    for ns in NAMESPACES + EXTRA_NAMESPACES:
        importlib.import_module(ns)
        for name, obj in _public(ns):
            if id(obj) in seen or inspect.ismodule(obj) or not callable(obj):
                continue
            seen.add(id(obj))
            qual = f"{ns}.{name}"
            yield qual, obj, False
            if inspect.isclass(obj):
                for mname, meth in inspect.getmembers(obj, predicate=inspect.isfunction):
                    # methods inherited from other libraries (gymnasium.Env, ...) follow theirs
                    if not mname.startswith("_") and meth.__module__.partition(".")[0] in PACKAGES:
                        yield f"{qual}.{mname}", meth, True


def _params(obj: Callable[..., Any], is_method: bool) -> list[inspect.Parameter] | None:
    target = obj.__init__ if inspect.isclass(obj) else obj  # type: ignore[misc]
    try:
        params = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        return None
    if inspect.isclass(obj) or is_method:
        params = [p for p in params if p.name not in ("self", "cls")]
    return [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


# ------------------------------------------------------------------ the three rules
def rng_problems(qual: str, params: list[inspect.Parameter], is_method: bool) -> list[str]:
    out = []
    for i, p in enumerate(params):
        if p.name != "rng" or p.kind is p.KEYWORD_ONLY or qual in RNG_SUBJECT:
            continue
        method = qual.rsplit(".", 1)[-1]
        if is_method and method in PROTOCOL_METHODS:
            if PROTOCOL_METHODS[method] != i:
                out.append(
                    f"{qual}: protocol method takes rng at position {i}, the protocol says {PROTOCOL_METHODS[method]}"
                )
            continue
        out.append(f"{qual}: rng is {p.kind.description}, not keyword-only")
    return out


def name_problems(qual: str, params: list[inspect.Parameter]) -> list[str]:
    out = []
    allowed = GYMNASIUM_NAMES.get(qual, set())
    for p in params:
        if p.name in allowed or (qual, p.name) in SYNONYM_EXEMPT:
            continue
        if p.name in SYNONYMS:
            out.append(f"{qual}: parameter {p.name!r}; the library's name for it is {SYNONYMS[p.name]}")
        elif p.name.endswith("tol") and p.name not in ("atol", "rtol") and not p.name.endswith("_atol"):
            out.append(f"{qual}: tolerance {p.name!r}; use atol/rtol (comparisons) or epsilon (target accuracy)")
        elif p.name.startswith("num_") and p.name not in allowed:
            out.append(f"{qual}: parameter {p.name!r}; counts are n_<things>")
    return out


def order_problems(qual: str, params: list[inspect.Parameter]) -> list[str]:
    names = [p.name for p in params]
    models = [i for i, n in enumerate(names) if n in MODEL_NAMES]
    if models and models[0] != 0:
        return [f"{qual}: the model {names[models[0]]!r} is parameter {models[0]}, after {names[: models[0]]}"]
    return []


def _all_problems() -> tuple[list[str], int]:
    problems: list[str] = []
    n = 0
    for qual, obj, is_method in _callables():
        params = _params(obj, is_method)
        if params is None:
            continue
        n += 1
        problems += rng_problems(qual, params, is_method)
        problems += name_problems(qual, params)
        if not is_method:
            problems += order_problems(qual, params)
    return problems, n


def test_the_public_api_follows_the_signature_convention() -> None:
    problems, n = _all_problems()
    assert n > 400, f"only {n} callables walked: the walk lost part of the API"
    assert not problems, f"{len(problems)} signature(s) break the convention:\n" + "\n".join(problems)


def test_the_exemption_lists_name_things_that_exist() -> None:
    quals = {q for q, _, _ in _callables()}
    stale = [q for q in [*RNG_SUBJECT, *GYMNASIUM_NAMES, *(q for q, _ in SYNONYM_EXEMPT)] if q not in quals]
    methods = {q.rsplit(".", 1)[-1] for q, _, m in _callables() if m}
    stale += [f"protocol method {m}" for m in PROTOCOL_METHODS if m not in methods]
    assert not stale, f"exemptions for names that are not public: {stale}"


# ------------------------------------------------------------------ the checker can fail
def _bad_positional_rng(mdp: Any, n: int, rng: Any = None) -> None: ...


def _bad_names(
    mdp: Any, *, discount: float = 0.9, tol: float = 1e-6, lr: float = 0.1, zero_tol: float = 0.0
) -> None: ...


def _bad_order(policy: Any, mdp: Any) -> None: ...


class _BadPolicy:
    def select(self, rng: Any, t: int) -> int:  # rng at the wrong protocol position
        return 0


@pytest.mark.parametrize(
    ("rule", "obj", "is_method", "expected"),
    [
        (rng_problems, _bad_positional_rng, False, ["rng is positional or keyword"]),
        (rng_problems, _BadPolicy.select, True, ["protocol method takes rng at position 0"]),
        (name_problems, _bad_names, False, ["'discount'", "'tol'", "'lr'", "'zero_tol'"]),
        (order_problems, _bad_order, False, ["the model 'mdp' is parameter 1"]),
    ],
)
def test_each_rule_flags_a_non_conforming_signature(rule: Any, obj: Any, is_method: bool, expected: list[str]) -> None:
    params = _params(obj, is_method)
    assert params is not None
    qual = "demo." + obj.__qualname__
    args = (qual, params, is_method) if rule is rng_problems else (qual, params)
    found = rule(*args)
    assert len(found) == len(expected), found
    for message, fragment in zip(found, expected):
        assert fragment in message, (fragment, message)
