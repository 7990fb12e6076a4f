"""Adapters: the library's pricers as subjects of the contract suite, ``pricer(contract) -> price``.

Each adapter prices an :class:`~finance_apps.testing.OptionContract` with one of the
library's pricers, so that :func:`~finance_apps.testing.check_option_pricer` can hold
it to the contract (the suite's own test runs every one of them). Fix the options with
:func:`functools.partial`, e.g. ``partial(binomial_pricer, n_steps=200)``.

==================================  ===========  ==========================================
adapter                             claim        contracts
==================================  ===========  ==========================================
:func:`black_scholes_pricer`        exact        European calls and puts
:func:`bs_call_pricer`              exact        European calls without dividend
:func:`binomial_pricer`             exact        every contract (CRR tree, ``O(1/n)``)
:func:`lsmc_pricer`                 lower bound  every contract (simulation, with stderr)
:func:`andersen_broadie_pricer`     upper bound  Bermudan and European contracts
:func:`price_bracket_pricer`        either side  as the two above, by ``side``
==================================  ===========  ==========================================

The simulation adapters price an American contract on ``n_exercise + 1`` equally spaced
dates (a Bermudan contract on its own dates): the value of that Bermudan option is at
most the American one, so a lower bound of the first is one of the second; an upper
bound of it is not, and the upper-bound adapters refuse American contracts.
"""

from __future__ import annotations

from dataclasses import dataclass

from finance_apps._constraints import MAX_DATES, MAX_PATHS
from finance_apps.closed_form import black_scholes, bs_call_price
from finance_apps.duality import andersen_broadie, price_bracket
from finance_apps.lattice import binomial_price
from finance_apps.lsmc import longstaff_schwartz
from finance_apps.paths import GeometricBrownianMotion
from finance_apps.payoffs import Call, Put
from finance_apps.stopping import StoppingProblem
from finance_apps.testing.contracts import OptionContract
from rlcore.randomness import RNGLike, as_generator
from rlcore.validation import RNG, Instance, Integer, InvalidParameterError, Options, validate_params

__all__ = [
    "PriceEstimate",
    "andersen_broadie_pricer",
    "binomial_pricer",
    "black_scholes_pricer",
    "bs_call_pricer",
    "lsmc_pricer",
    "price_bracket_pricer",
]

_CONTRACT = Instance(OptionContract, what="an OptionContract")
_PATHS = Integer(2, MAX_PATHS)


@dataclass(frozen=True)
class PriceEstimate:
    """A Monte Carlo price: the estimate and its standard error.

    Attributes
    ----------
    price : float
    stderr : float
    """

    price: float
    stderr: float


def _refuse(contract: OptionContract, why: str) -> InvalidParameterError:
    return InvalidParameterError("contract", f"{why}, got {contract!r}")


@validate_params(contract=_CONTRACT)
def black_scholes_pricer(contract: OptionContract) -> float:
    """A European contract priced by :func:`finance_apps.black_scholes` (exact).

    Examples
    --------
    >>> from finance_apps.testing import OptionContract
    >>> round(black_scholes_pricer(OptionContract("call", "european", 100.0, 100.0, 1.0, 0.05, 0.2)), 4)
    10.4506
    """
    c = contract
    if c.exercise != "european":
        raise _refuse(c, "black_scholes prices European contracts only")
    return float(black_scholes(c.kind, c.spot, c.strike, c.maturity, c.rate, c.vol, c.dividend))


@validate_params(contract=_CONTRACT)
def bs_call_pricer(contract: OptionContract) -> float:
    """A European call without dividend priced by :func:`finance_apps.bs_call_price` (exact).

    Examples
    --------
    >>> from finance_apps.testing import OptionContract
    >>> round(bs_call_pricer(OptionContract("call", "european", 100.0, 100.0, 1.0, 0.05, 0.2)), 4)
    10.4506
    """
    c = contract
    if c.exercise != "european" or not c.is_call or c.dividend != 0.0:
        raise _refuse(c, "bs_call_price prices European calls without dividend only")
    return float(bs_call_price(c.spot, c.strike, c.maturity, c.vol, c.rate))


@validate_params(contract=_CONTRACT, n_steps=Integer(1, 10**5))
def binomial_pricer(contract: OptionContract, *, n_steps: int = 1000) -> float:
    """Any contract priced on the CRR tree by :func:`finance_apps.binomial_price`.

    A Bermudan contract's tree has ``n_steps`` rounded up to a multiple of its
    ``n_exercise``, so that every exercise date is a step.

    Examples
    --------
    >>> from finance_apps.testing import OptionContract
    >>> round(binomial_pricer(OptionContract("put", "american", 36.0, 40.0, 1.0, 0.06, 0.2)), 2)
    4.49
    """
    c = contract
    payoff = (Call if c.is_call else Put)(c.strike)
    dates = c.exercise_dates()
    n = n_steps
    if dates is not None:
        m = int(c.n_exercise)  # type: ignore[arg-type]
        n = m * max(1, -(-n_steps // m))
    ex = c.exercise if dates is None else dates
    return binomial_price(payoff, c.spot, c.vol, c.rate, c.maturity, n, dividend=c.dividend, exercise=ex).price


def _problem(contract: OptionContract, n_exercise: int) -> tuple[StoppingProblem, GeometricBrownianMotion]:
    c = contract
    payoff = (Call if c.is_call else Put)(c.strike)
    if c.exercise == "european":
        prob = StoppingProblem.european(payoff, c.maturity, c.rate)
    else:
        n = c.n_exercise if c.n_exercise is not None else n_exercise
        prob = StoppingProblem.american(payoff, c.maturity, c.rate, n_steps=n)
    return prob, GeometricBrownianMotion(c.spot, c.vol, c.rate, prob.grid(), dividend=c.dividend)


@validate_params(contract=_CONTRACT, n_paths=_PATHS, n_test_paths=_PATHS, n_exercise=Integer(1, MAX_DATES), rng=RNG())
def lsmc_pricer(
    contract: OptionContract,
    *,
    n_paths: int = 2000,
    n_test_paths: int = 4000,
    n_exercise: int = 20,
    rng: RNGLike = None,
) -> PriceEstimate:
    """A lower-bound estimate: :func:`finance_apps.longstaff_schwartz`'s out-of-sample price.

    The policy is fitted on ``n_paths`` paths and valued on ``n_test_paths``
    independent ones: an unbiased estimate of a feasible policy's value, hence of a
    lower bound. An American contract is exercised on ``n_exercise + 1`` dates.

    Examples
    --------
    >>> from finance_apps.testing import OptionContract
    >>> est = lsmc_pricer(OptionContract("put", "american", 36.0, 40.0, 1.0, 0.06, 0.2), rng=0)
    >>> est.price < 4.4867 + 3 * est.stderr
    True
    """
    prob, model = _problem(contract, n_exercise)
    res = longstaff_schwartz(prob, model, n_paths, n_test_paths=n_test_paths, rng=rng)
    oos = res.out_of_sample
    assert oos is not None  # n_test_paths is an int
    return PriceEstimate(float(oos.price), float(oos.stderr))


def _needs_dates(contract: OptionContract, what: str) -> None:
    if contract.exercise == "american":
        raise _refuse(
            contract,
            f"{what} bounds the value of a Bermudan contract, not of an American one (which can be worth more)",
        )


@validate_params(contract=_CONTRACT, n_paths=_PATHS, n_outer=_PATHS, n_inner=Integer(2, 10**6), rng=RNG())
def andersen_broadie_pricer(
    contract: OptionContract,
    *,
    n_paths: int = 2000,
    n_outer: int = 200,
    n_inner: int = 50,
    rng: RNGLike = None,
) -> PriceEstimate:
    """An upper-bound estimate: :func:`finance_apps.andersen_broadie` with a least-squares policy.

    The policy is :func:`finance_apps.longstaff_schwartz`'s, fitted on ``n_paths``
    paths; the dual uses ``n_outer`` outer paths and ``n_inner`` (even: antithetic
    pairs) inner paths. Bermudan and European contracts only.

    Examples
    --------
    >>> from finance_apps.testing import OptionContract
    >>> c = OptionContract("put", "bermudan", 36.0, 40.0, 1.0, 0.06, 0.2, n_exercise=2)
    >>> est = andersen_broadie_pricer(c, rng=0)
    >>> est.price > 4.2 - 3 * est.stderr       # the Bermudan value is about 4.2
    True
    """
    _needs_dates(contract, "andersen_broadie")
    gen = as_generator(rng)
    prob, model = _problem(contract, 1)
    policy = longstaff_schwartz(prob, model, n_paths, n_test_paths=None, rng=gen).policy
    ub = andersen_broadie(prob, model, policy, n_outer, n_inner, rng=gen)
    return PriceEstimate(float(ub.upper), float(ub.stderr))


@validate_params(
    contract=_CONTRACT,
    side=Options("lower", "upper"),
    n_paths=_PATHS,
    n_lower=_PATHS,
    n_outer=_PATHS,
    n_inner=Integer(2, 10**6),
    n_exercise=Integer(1, MAX_DATES),
    rng=RNG(),
)
def price_bracket_pricer(
    contract: OptionContract,
    *,
    side: str = "upper",
    n_paths: int = 2000,
    n_lower: int = 4000,
    n_outer: int = 200,
    n_inner: int = 50,
    n_exercise: int = 20,
    rng: RNGLike = None,
) -> PriceEstimate:
    """One side of :func:`finance_apps.price_bracket` for a least-squares policy.

    ``side="lower"``: the policy's value on ``n_lower`` independent paths (every
    contract; an American one exercised on ``n_exercise + 1`` dates); ``side="upper"``:
    the Andersen-Broadie dual (Bermudan and European contracts only).

    Examples
    --------
    >>> from functools import partial
    >>> from finance_apps.testing import OptionContract
    >>> c = OptionContract("put", "bermudan", 36.0, 40.0, 1.0, 0.06, 0.2, n_exercise=2)
    >>> lo = price_bracket_pricer(c, side="lower", rng=0)
    >>> hi = price_bracket_pricer(c, side="upper", rng=0)
    >>> lo.price < hi.price + 3 * hi.stderr
    True
    """
    if side == "upper":
        _needs_dates(contract, "price_bracket's upper side")
    gen = as_generator(rng)
    prob, model = _problem(contract, n_exercise)
    policy = longstaff_schwartz(prob, model, n_paths, n_test_paths=None, rng=gen).policy
    b = price_bracket(prob, model, policy, n_lower=n_lower, n_outer=n_outer, n_inner=n_inner, rng=gen)
    if side == "lower":
        return PriceEstimate(float(b.lower.price), float(b.lower.stderr))
    return PriceEstimate(float(b.upper.upper), float(b.upper.stderr))
