"""The problem type, payoffs and the stop/continue simulator: values by hand, the
environment against direct policy evaluation on the same paths, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from finance_apps import (
    BasketCall,
    BasketPut,
    BoundaryPolicy,
    Call,
    GeometricBrownianMotion,
    MaxCall,
    Put,
    StoppingEnv,
    StoppingProblem,
    evaluate_exercise_policy,
)
from rlcore import Simulator, rollout


def test_payoffs_by_hand():
    S = np.array([[90.0, 120.0], [100.0, 80.0]])
    assert MaxCall(100.0, 2)(S).tolist() == [20.0, 0.0]
    assert BasketCall(100.0, (0.5, 0.5))(S).tolist() == [5.0, 0.0]
    assert BasketPut(100.0, (0.5, 0.5))(S).tolist() == [0.0, 10.0]
    assert Put(95.0)(S[:, :1]).tolist() == [5.0, 0.0]
    assert Call(95.0)(S[:, :1]).tolist() == [0.0, 5.0]


def test_payoff_errors():
    with pytest.raises(ValueError, match="strike"):
        Call(-5.0)
    with pytest.raises(ValueError, match="strike"):
        Put(float("nan"))
    with pytest.raises(ValueError, match="prices"):
        Put(100.0)(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="prices"):
        Put(100.0)(np.array([[1.0, 2.0]]))
    with pytest.raises(ValueError, match="weights"):
        BasketPut(100.0, (0.5, -0.5))


def test_problem_constructors_and_errors():
    p = StoppingProblem.american(Put(1.0), 2.0, 0.05, n_steps=4)
    assert np.allclose(p.exercise_dates, [0, 0.5, 1, 1.5, 2]) and p.maturity == 2.0
    assert StoppingProblem.european(Put(1.0), 1.0, 0.0).exercise_dates.tolist() == [1.0]
    assert StoppingProblem.bermudan(Put(1.0), [0.5, 1.0], 0.0).grid().tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(ValueError, match="exercise_dates"):
        StoppingProblem.bermudan(Put(1.0), [0.5, 0.25, 1.0], 0.05)
    with pytest.raises(ValueError, match="exercise_dates"):
        StoppingProblem.bermudan(Put(1.0), [0.5, 0.5, 1.0], 0.05)
    with pytest.raises(ValueError, match="exercise_dates"):
        StoppingProblem.bermudan(Put(1.0), [-0.5, 1.0], 0.05)
    with pytest.raises(ValueError, match="exercise_dates"):
        StoppingProblem.bermudan(Put(1.0), [0.5, np.nan], 0.05)
    with pytest.raises(ValueError, match="maturity"):
        StoppingProblem.american(Put(1.0), -1.0, 0.05)
    with pytest.raises(ValueError, match="maturity"):
        StoppingProblem.european(Put(1.0), 0.0, 0.05)
    with pytest.raises(ValueError, match="rate"):
        StoppingProblem.european(Put(1.0), 1.0, float("nan"))
    with pytest.raises(TypeError, match="payoff"):
        StoppingProblem.european(3.0, 1.0, 0.05)
    p = StoppingProblem.bermudan(Put(1.0), [0.3, 1.0], 0.05)
    with pytest.raises(ValueError, match="times"):
        p.check_model(GeometricBrownianMotion(1.0, 0.2, 0.05, [0.0, 0.5, 1.0]))
    with pytest.raises(ValueError, match="assets"):
        StoppingProblem.european(MaxCall(1.0, 2), 1.0, 0.0).check_model(
            GeometricBrownianMotion(1.0, 0.2, 0.05, [0.0, 1.0])
        )


def test_env_rollout_equals_policy_evaluation():
    prob = StoppingProblem.bermudan(Put(100.0), [0.25, 0.5, 0.75, 1.0], 0.05)
    model = GeometricBrownianMotion(100.0, 0.3, 0.05, prob.grid())
    env = StoppingEnv(prob, model)
    assert isinstance(env, Simulator)
    thresh = 90.0
    pol = BoundaryPolicy(prob, model.times, [-np.inf, thresh, thresh, thresh, 100.0])

    def act(states, t, rng):
        return pol.stop(states[:, None, :1], t).astype(np.int64)

    data = rollout(env, act, 4000, rng=7)
    returns = data.episode_returns()
    # independent estimates of the same policy value: the env's returns and direct evaluation
    direct = evaluate_exercise_policy(prob, model, pol, 200_000, rng=8)
    se = np.sqrt(returns.var() / returns.size + direct.stderr**2)
    assert abs(returns.mean() - direct.price) < 4 * se
    assert np.all(returns >= 0)


def test_env_errors():
    prob = StoppingProblem.european(Put(100.0), 1.0, 0.05)
    env = StoppingEnv(prob, GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid()))
    s = env.reset(2, 0)
    with pytest.raises(ValueError, match="actions"):
        env.step(s, np.array([0, 2]), 0, t=0)
    with pytest.raises(ValueError, match="t"):
        env.step(s, np.array([0, 1]), 0)


# ----------------------------------------------------------------------------- edge values (issue 17)
@pytest.mark.parametrize(
    "call,exc,name",
    [
        (lambda: MaxCall(100.0, True), TypeError, "n_assets"),  # was a ValueError
        (lambda: MaxCall(100.0, 2**40), ValueError, "n_assets"),
        (lambda: BasketCall(100.0, ()), ValueError, "weights"),
        (lambda: Put(True), TypeError, "strike"),
        (lambda: StoppingProblem(Put(1.0), [0.5, 1.0], True), TypeError, "rate"),
        (lambda: StoppingProblem(Put(1.0), [0.5, 1.0], 2.0), ValueError, "rate"),
        (lambda: StoppingProblem(Put(1.0), [0.0], 0.05), ValueError, "exercise_dates"),
        (lambda: StoppingProblem(Put(1.0), [0.5, 2000.0], 0.05), ValueError, "exercise_dates"),
        (lambda: StoppingProblem.american(Put(1.0), 1.0, 0.05, n_steps=2**40), ValueError, "n_steps"),
        (lambda: StoppingEnv("problem", GeometricBrownianMotion(1.0, 0.2, 0.05, [0.0, 1.0])), TypeError, "problem"),
        (lambda: StoppingEnv(StoppingProblem.european(Put(1.0), 1.0, 0.0), object()), TypeError, "model"),
        (
            lambda: BoundaryPolicy(StoppingProblem.european(Put(1.0), 1.0, 0.0), [0.0, 1.0], [np.nan, 1.0]),
            ValueError,
            "boundary",
        ),  # NaN was the "never stop" sentinel: now -inf
        (
            lambda: BoundaryPolicy(StoppingProblem.european(Put(1.0), 1.0, 0.0), [0.0, 1.0], [1.0]),
            ValueError,
            "boundary",
        ),
        (
            lambda: BoundaryPolicy(StoppingProblem.european(Put(1.0), 1.0, 0.0), [0.0, 1.0], [1.0, 1.0], "up"),
            ValueError,
            "side",
        ),
    ],
)
def test_bad_input_is_refused_by_name(call, exc, name):
    with pytest.raises(exc, match=rf"^{name}\b"):
        call()


def test_single_path_evaluation_is_refused_instead_of_a_nan_standard_error():
    prob = StoppingProblem.european(Put(100.0), 1.0, 0.05)
    model = GeometricBrownianMotion(100.0, 0.2, 0.05, prob.grid())
    pol = BoundaryPolicy(prob, model.times, [-np.inf, 100.0])
    with pytest.raises(ValueError, match=r"^n_paths\b"):  # stderr was nan
        evaluate_exercise_policy(prob, model, pol, 1, rng=0)
    with pytest.raises(ValueError, match=r"^paths\b"):
        evaluate_exercise_policy(prob, model, pol, paths=np.full((1, 2, 1), 100.0))
    v = evaluate_exercise_policy(prob, model, pol, 2, rng=0)
    assert np.isfinite(v.stderr)
