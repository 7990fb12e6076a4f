"""The finance environments registered with Gymnasium (:mod:`finance_apps.gym_registry`).

Independent sources: Gymnasium's own ``check_env`` for the API contract; the models
driven directly (:class:`~finance_apps.HedgingEnv`, :class:`~finance_apps.StoppingEnv`
with a generator seeded like Gymnasium's ``reset(seed=...)``); the P&L accounting of
:func:`~finance_apps.hedging_pnl`; closed forms: the short call's payoff
``(S_T - K)^+`` read off the path, the Black-Scholes put price written out here.
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env

import finance_apps
from finance_apps.gym_registry import ENV_IDS
from rlcore import SimulatorEnv, SimulatorVectorEnv
from rlcore.validation import InvalidParameterError, InvalidParameterTypeError

#: id -> (model class, steps per episode)
EXPECTED = {"rlref/Hedging-v0": (finance_apps.HedgingEnv, 20), "rlref/AmericanPut-v0": (finance_apps.StoppingEnv, 51)}
#: The one kind of warning check_env may give: the prices have no upper bound.
UNBOUNDED = "A Box observation space maximum value is infinity"


def _env_seeded_generator(seed: int) -> np.random.Generator:
    """The generator Gymnasium's ``reset(seed=seed)`` gives ``np_random``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))


def _bs_put(S: float, K: float, T: float, r: float, vol: float) -> float:
    d1 = (math.log(S / K) + (r + vol**2 / 2) * T) / (vol * math.sqrt(T))
    d2 = d1 - vol * math.sqrt(T)
    N = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    return K * math.exp(-r * T) * N(-d2) - S * N(-d1)


# ---------------------------------------------------------------------- registration
def test_every_id_is_registered_lazily_on_import() -> None:
    assert sorted(ENV_IDS) == sorted(EXPECTED)
    for env_id in ENV_IDS:
        spec = gymnasium.spec(env_id)
        assert spec.entry_point.startswith("finance_apps.gym_registry:") and isinstance(spec.vector_entry_point, str)
        assert spec.max_episode_steps is None  # both end by themselves
        assert all(isinstance(v, (int, float, bool)) for v in spec.kwargs.values())


def test_module_prefix_imports_finance_apps_in_a_fresh_interpreter() -> None:
    code = (
        "import sys, gymnasium; assert 'finance_apps' not in sys.modules; "
        "env = gymnasium.make('finance_apps:rlref/AmericanPut-v0'); "
        "assert 'torch' not in sys.modules; print(env.unwrapped.spec.id)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip() == "rlref/AmericanPut-v0"


# ---------------------------------------------------------------------- each id
@pytest.mark.parametrize("env_id", sorted(EXPECTED))
def test_make_passes_check_env_and_reads_well(env_id: str) -> None:
    model_cls, length = EXPECTED[env_id]
    env = gymnasium.make(env_id)
    base = env.unwrapped
    assert isinstance(base, SimulatorEnv) and isinstance(base.sim.model, model_cls)
    assert env.spec.id == env_id and base.spec.id == env_id
    text = repr(base)
    assert text.startswith(f"SimulatorEnv({model_cls.__name__}(") and text.endswith(f"id={env_id!r})")
    assert "object at" not in text
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(base)
    assert {UNBOUNDED in str(w.message) for w in caught} <= {True}
    env.reset(seed=0)
    env.action_space.seed(0)
    action = 0 if env_id == "rlref/AmericanPut-v0" else None  # never exercise: the episode runs to maturity
    for step in range(1, length + 1):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample() if action is None else action)
        assert obs in base.observation_space and np.isfinite(reward) and info["t"] == step
        if terminated:
            break
    assert (step, terminated, truncated) == (length, True, False)


@pytest.mark.parametrize("env_id", sorted(EXPECTED))
def test_make_vec_batches_in_one_env(env_id: str) -> None:
    venv = gymnasium.make_vec(env_id, num_envs=6)
    single = gymnasium.make(env_id).unwrapped
    assert isinstance(venv, SimulatorVectorEnv) and venv.num_envs == 6
    assert venv.spec.id == env_id and repr(venv).endswith(f"num_envs=6, id={env_id!r})")
    assert venv.single_observation_space == single.observation_space
    assert venv.single_action_space == single.action_space
    obs, _ = venv.reset(seed=0)
    venv.action_space.seed(0)
    obs, rewards, _, _, info = venv.step(venv.action_space.sample())
    assert obs.shape == (6,) + single.observation_space.shape and rewards.shape == (6,)
    assert obs in venv.observation_space and info["t"].tolist() == [1] * 6


# ---------------------------------------------------------------------- hedging
def test_hedging_scenarios_are_the_black_scholes_paths_drawn_with_rng_0() -> None:
    model = gymnasium.make("rlref/Hedging-v0").unwrapped.sim.model
    paths = finance_apps.GeometricBrownianMotion(100.0, 0.2, 0.0, np.linspace(0.0, 0.25, 21)).simulate(1000, rng=0)
    np.testing.assert_array_equal(model.prices, paths)
    np.testing.assert_allclose(model.payoff, np.maximum(paths[:, -1, 0] - 100.0, 0.0))


def test_hedging_trajectory_is_the_models_and_its_return_is_the_pnl() -> None:
    env = gymnasium.make("rlref/Hedging-v0", cost=0.01).unwrapped
    model = env.sim.model
    deltas = np.random.default_rng(5).uniform(-1, 1, size=20)
    obs, _ = env.reset(seed=11)
    gen = _env_seeded_generator(11)
    state = model.reset(1, gen)
    np.testing.assert_array_equal(obs, state[0])
    path = int(obs[0])
    total = 0.0
    for k, d in enumerate(deltas):
        obs, reward, terminated, _, _ = env.step(np.array([d]))
        state, rewards, done = model.step(state, np.array([[d]]), gen, t=k)
        np.testing.assert_array_equal(obs, state[0])
        assert reward == rewards[0] and terminated == bool(done[0]) == (k == 19)
        total += reward
    pnl = finance_apps.hedging_pnl(
        model.prices[path : path + 1], deltas.reshape(1, 20, 1), model.payoff[path : path + 1], cost=0.01
    )
    assert total == pytest.approx(float(pnl[0]), rel=1e-12, abs=1e-12)


def test_unhedged_return_is_minus_the_call_payoff() -> None:
    env = gymnasium.make("rlref/Hedging-v0", cost=0.0).unwrapped
    obs, _ = env.reset(seed=3)
    prices = env.sim.model.prices[int(obs[0]), :, 0]
    total = sum(env.step(np.zeros(1))[1] for _ in range(20))
    assert total == pytest.approx(-max(prices[-1] - 100.0, 0.0), abs=1e-12)


# ---------------------------------------------------------------------- American put
def test_put_trajectory_is_the_stopping_envs_with_the_date_in_front() -> None:
    env = gymnasium.make("rlref/AmericanPut-v0", n_steps=10).unwrapped
    model = env.sim.model
    obs, _ = env.reset(seed=4)
    gen = _env_seeded_generator(4)
    state = model.reset(1, gen)
    np.testing.assert_array_equal(obs, np.r_[0.0, state[0]])
    for t in range(11):
        a = 1 if t == 10 else 0
        obs, reward, terminated, _, _ = env.step(a)
        state, rewards, done = model.step(state, np.array([a]), gen, t=t)
        np.testing.assert_array_equal(obs, np.r_[t + 1.0, state[0]])
        assert reward == rewards[0] and terminated == bool(done[0])
    assert terminated


def test_exercising_at_once_pays_the_intrinsic_value() -> None:
    env = gymnasium.make("rlref/AmericanPut-v0", spot=90.0)
    obs, _ = env.reset(seed=0)
    assert obs.tolist() == [0.0, 90.0]
    obs, reward, terminated, truncated, _ = env.step(1)
    assert (reward, terminated, truncated) == (10.0, True, False)


def test_exercising_at_maturity_prices_the_european_put() -> None:
    """Continue to the last date, then exercise: the mean return is the Black-Scholes put (4 standard errors)."""
    n, steps = 20000, 10
    venv = gymnasium.make_vec("rlref/AmericanPut-v0", num_envs=n, n_steps=steps)
    obs, _ = venv.reset(seed=9)
    total = np.zeros(n)
    for t in range(steps + 1):
        obs, rewards, terminated, _, _ = venv.step(np.full(n, int(t == steps)))
        total += rewards
    assert terminated.all()
    price = _bs_put(100.0, 100.0, 1.0, 0.05, 0.2)
    assert abs(total.mean() - price) <= 4 * total.std() / np.sqrt(n)


# ---------------------------------------------------------------------- keywords
def test_keywords_override_the_defaults() -> None:
    env = gymnasium.make("rlref/Hedging-v0", n_paths=50, n_steps=5, max_holding=3.0, liquidate=True).unwrapped
    model = env.sim.model
    assert (model.n_paths, model.n_steps, model.liquidate) == (50, 5, True)
    assert env.action_space == spaces.Box(-3.0, 3.0, (1,), np.float64)
    assert env.observation_space.high[:2].tolist() == [49.0, 5.0]
    put = gymnasium.make("rlref/AmericanPut-v0", n_steps=4, strike=120.0, rate=0.0).unwrapped
    assert put.sim.model.problem.exercise_dates.size == 5 and put.sim.horizon == 5
    assert put.observation_space.high[0] == 5.0
    put.reset(seed=0)
    assert put.step(1)[1] == 20.0


@pytest.mark.parametrize(
    ("env_id", "kwargs", "error", "name"),
    [
        ("rlref/Hedging-v0", {"vol": -0.1}, InvalidParameterError, "vol"),
        ("rlref/Hedging-v0", {"spot": 0.0}, InvalidParameterError, "spot"),
        ("rlref/Hedging-v0", {"n_steps": 0}, InvalidParameterError, "n_steps"),
        ("rlref/Hedging-v0", {"maturity": -1.0}, InvalidParameterError, "maturity"),
        ("rlref/Hedging-v0", {"strike": -1.0}, InvalidParameterError, "strike"),
        ("rlref/Hedging-v0", {"n_paths": 0}, InvalidParameterError, "n_paths"),
        ("rlref/Hedging-v0", {"cost": 2.0}, InvalidParameterError, "cost"),
        ("rlref/Hedging-v0", {"max_holding": 0.0}, InvalidParameterError, "max_holding"),
        ("rlref/Hedging-v0", {"rng": -1}, InvalidParameterError, "rng"),
        ("rlref/Hedging-v0", {"liquidate": "yes"}, InvalidParameterTypeError, "liquidate"),
        ("rlref/AmericanPut-v0", {"strike": -5.0}, InvalidParameterError, "strike"),
        ("rlref/AmericanPut-v0", {"rate": 2.0}, InvalidParameterError, "rate"),
        ("rlref/AmericanPut-v0", {"n_steps": 0}, InvalidParameterError, "n_steps"),
    ],
)
def test_bad_keywords_raise_the_librarys_error_naming_the_parameter(
    env_id: str, kwargs: dict, error: type, name: str
) -> None:
    for make in (gymnasium.make, lambda i, **kw: gymnasium.make_vec(i, num_envs=2, **kw)):
        with pytest.raises(error, match=f"^{name}: "):
            make(env_id, **kwargs)
