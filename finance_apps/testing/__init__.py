"""A contract suite for option pricers: run any pricer, yours included, through one set of checks.

In the spirit of :mod:`tabular.testing` (and scikit-learn's ``check_estimator``):
:func:`check_option_pricer` runs every check below on a *pricer*, any callable

.. code-block:: python

    price = pricer(contract)               # an exact pricer
    estimate = pricer(contract, rng=seed)  # a lower- or upper-bound estimator

taking an :class:`OptionContract` (a single-asset vanilla option under Black-Scholes
dynamics: ``kind`` call/put, ``exercise`` european/american/bermudan, ``spot``,
``strike``, ``maturity``, ``rate``, ``vol``, ``dividend``) and returning a real number,
or an object with a ``price`` and, for an estimator, a ``stderr`` (e.g.
:class:`PriceEstimate`). The pricer declares what its price is with the option
``bound``:

=========  ===============================================================================
``bound``  the claim
=========  ===============================================================================
"exact"    ``|price - value| <= atol + rtol max(spot, strike)`` (a closed form, a lattice)
"lower"    ``E[price] <= value``; the estimate comes with its standard error (LSMC)
"upper"    ``E[price] >= value``; the estimate comes with its standard error (a dual bound)
=========  ===============================================================================

and the contracts it takes with ``kinds``, ``exercise`` and ``dividends``. The
contracts are drawn by the public Hypothesis strategy :func:`option_contracts` (round
numbers: whole-number spot and strike in [50, 150], maturity up to 2 years, volatility
up to 0.6, rate and dividend up to 10 % and 8 %).

The checks, each also callable on its own:

* :func:`check_price_interface`: a finite real price (an estimator: and a finite
  ``stderr >= 0``);
* :func:`check_no_arbitrage_bounds`: intrinsic value <= American (Bermudan) price <=
  the bound of the underlying (call <= ``S``, put <= ``K``, with their discount
  factors; a put <= the perpetual put), European <= American, and the European bounds
  ``(S e^{-qT} - K e^{-rT})^+ <= C <= S e^{-qT}`` (puts alike);
* :func:`check_monotone_in_strike`: calls non-increasing and puts non-decreasing in the
  strike, with slope at most the discount factor, and convex;
* :func:`check_monotone_in_volatility`: every price non-decreasing in the volatility;
* :func:`check_monotone_in_maturity`: American prices non-decreasing in the maturity,
  and European ones where early exercise is worthless (a European put is *not* monotone
  in general);
* :func:`check_put_call_parity`: ``C - P = S e^{-qT} - K e^{-rT}`` (European) and
  ``S e^{-qT} - K <= C - P <= S - K e^{-rT}`` (American, ``r, q >= 0``);
* :func:`check_agrees_with_black_scholes`: European prices, and American ones where early
  exercise is worthless (an American call without dividends), equal Black-Scholes;
* :func:`check_agrees_with_lattice`: American and Bermudan prices agree with a fine
  lattice (:func:`reference_price`, whose own error is estimated and stated);
* :func:`check_bound_against_lattice` (estimators): a lower-bound estimate stays below
  the reference, an upper-bound one above it, within 3 standard errors, with a failure
  budget over seeds set so that a correct estimator fails with probability below
  ``1e-6`` (:func:`failure_budget`).

The identities hold exactly for the value; each is checked up to the pricer's stated
error per price (``atol``, ``rtol``: an ``n``-step lattice needs ``rtol`` of order
``1/n``). The checks for exact prices do not apply to estimators, whose expectations,
not their values, obey one side of the reference.

Every failure is an ``AssertionError`` whose message starts with the check's name and
names the pricer, the contract(s), printed as the :class:`OptionContract` call that
rebuilds them (paste with ``from finance_apps.testing import OptionContract``), the
call (``rng`` for estimators) and the numbers. A check that does not apply to the pricer
(put-call parity for a pricer of puts only) is not yielded by :func:`pricer_checks`
and raises ``ValueError`` when called directly.

Hypothesis runs derandomised and without an example database, so a program checks the
same contracts on every run (see :mod:`rlcore.testing.contract` for what can still change
them; raise ``max_examples`` to see more).

Adapters (:mod:`finance_apps.testing.pricers`) present the library's own pricers as
subjects: :func:`black_scholes_pricer`, :func:`bs_call_pricer`, :func:`binomial_pricer`
(exact), :func:`lsmc_pricer` (lower bound), :func:`andersen_broadie_pricer` (upper
bound) and :func:`price_bracket_pricer` (either side).

This package needs the light ``hypothesis`` extra (``pip install "rlref[hypothesis]"``:
hypothesis and pytest); ``import finance_apps`` never imports it.

References
----------
R. C. Merton, "Theory of rational option pricing", *Bell Journal of Economics and
Management Science* 4(1), 141-183, 1973 (the bounds, monotonicity, parity, no early
exercise of a call without dividends). J. C. Hull, *Options, Futures and Other
Derivatives*, chapter 11 (bounds and put-call relations). N. El Karoui, M.
Jeanblanc-Picque and S. E. Shreve, "Robustness of the Black and Scholes formula",
*Mathematical Finance* 8(2), 93-126, 1998 (monotonicity in the volatility).

Examples
--------
A library pricer passes:

>>> import functools
>>> from finance_apps.testing import binomial_pricer, check_option_pricer
>>> check_option_pricer(functools.partial(binomial_pricer, n_steps=2000), rtol=2e-3, max_examples=2)

A pricer that forgets the dividend in put-call parity does not:

>>> import numpy as np
>>> from finance_apps import black_scholes
>>> def my_pricer(c):
...     call = black_scholes("call", c.spot, c.strike, c.maturity, c.rate, c.vol, c.dividend)
...     if c.kind == "call":
...         return call
...     return call - c.spot + c.strike * np.exp(-c.rate * c.maturity)   # parity without dividend
>>> from finance_apps.testing import check_put_call_parity
>>> check_put_call_parity(my_pricer, exercise=["european"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
AssertionError: check_put_call_parity: pricer 'my_pricer' on OptionContract(kind='call', ...: put-call parity fails: ...

In a test-suite, one line per pricer (each check becomes its own test):

>>> import pytest
>>> from finance_apps.testing import black_scholes_pricer, pricer_checks
>>> @pytest.mark.parametrize("check_name, check", pricer_checks(black_scholes_pricer, exercise=["european"]))
... def test_black_scholes_contract(check_name, check):
...     check()
"""

from __future__ import annotations

try:  # first, so that a missing extra gives the install hint
    import hypothesis  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the hypothesis extra
    raise ImportError(
        "finance_apps.testing needs the 'hypothesis' package: pip install \"rlref[hypothesis]\" (or the full test extra)"
    ) from exc

from finance_apps.testing._suite import failure_budget
from finance_apps.testing.checks import (
    check_agrees_with_black_scholes,
    check_agrees_with_lattice,
    check_bound_against_lattice,
    check_monotone_in_maturity,
    check_monotone_in_strike,
    check_monotone_in_volatility,
    check_no_arbitrage_bounds,
    check_option_pricer,
    check_price_interface,
    check_put_call_parity,
    pricer_checks,
)
from finance_apps.testing.contracts import EXERCISE_STYLES, OPTION_KINDS, OptionContract, option_contracts
from finance_apps.testing.pricers import (
    PriceEstimate,
    andersen_broadie_pricer,
    binomial_pricer,
    black_scholes_pricer,
    bs_call_pricer,
    lsmc_pricer,
    price_bracket_pricer,
)
from finance_apps.testing.reference import ReferencePrice, reference_price

__all__ = [
    "EXERCISE_STYLES",
    "OPTION_KINDS",
    "OptionContract",
    "PriceEstimate",
    "ReferencePrice",
    "andersen_broadie_pricer",
    "binomial_pricer",
    "black_scholes_pricer",
    "bs_call_pricer",
    "check_agrees_with_black_scholes",
    "check_agrees_with_lattice",
    "check_bound_against_lattice",
    "check_monotone_in_maturity",
    "check_monotone_in_strike",
    "check_monotone_in_volatility",
    "check_no_arbitrage_bounds",
    "check_option_pricer",
    "check_price_interface",
    "check_put_call_parity",
    "failure_budget",
    "lsmc_pricer",
    "option_contracts",
    "price_bracket_pricer",
    "pricer_checks",
    "reference_price",
]
