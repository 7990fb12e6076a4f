"""The suite's independent reference prices: Black-Scholes where it is exact, a fine lattice elsewhere.

* A European contract, and an American or Bermudan one whose early exercise is
  worthless (:meth:`OptionContract.early_exercise_is_worthless`), is priced by the
  Black-Scholes-Merton formula (:func:`finance_apps.black_scholes`); its error is
  floating-point rounding, taken as ``1e-12 max(spot, strike)``.
* Any other American or Bermudan contract is priced on the binomial Black-Scholes tree
  with Richardson extrapolation (BBSR, Broadie and Detemple 1996): a
  Cox-Ross-Rubinstein tree whose last step before maturity takes the Black-Scholes
  European value instead of the payoff (which removes the tree's odd-even
  oscillation), extrapolated as ``R(n) = 2 B(n) - B(n/2)``. Its error is estimated from
  the last two refinements, ``2 max(|R(n) - R(n/2)|, |R(n/2) - R(n/4)| / 2)`` plus
  ``1e-9 max(spot, strike)`` (first-order convergence would make the first term about
  the error of ``R(n/2)``, so the estimate has a factor 2 to spare at the observed
  faster rate). ``tests/finance_apps/test_pricer_contract.py::test_reference_error_is_honest``
  checks that it covers the distance to QuantLib's finite-difference price on drawn
  contracts.

The lattice is written here, in NumPy, and shares no code with
:func:`finance_apps.binomial_price`, which the suite checks against it.

References
----------
M. Broadie and J. Detemple, "American option valuation: new bounds, approximations, and
a comparison of existing methods", *Review of Financial Studies* 9(4), 1211-1250, 1996.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from finance_apps.closed_form import black_scholes
from finance_apps.testing.contracts import OptionContract
from rlcore.validation import Instance, Integer, InvalidParameterError, validate_params

__all__ = ["ReferencePrice", "reference_price"]

_CONTRACT = Instance(OptionContract, what="an OptionContract")


@dataclass(frozen=True)
class ReferencePrice:
    """A reference price and its error.

    Attributes
    ----------
    price : float
    error : float
        Bound (Black-Scholes) or estimate (lattice) of ``|price - true value|``.
    method : str
        ``"black_scholes"`` or ``"bbsr(n)"``.
    """

    price: float
    error: float
    method: str


def _bbs(c: OptionContract, n: int, every: int | None) -> float:
    """The binomial Black-Scholes tree of ``n`` steps; exercise at steps divisible by ``every`` (None: all)."""
    dt = c.maturity / n
    x = c.vol * math.sqrt(dt)
    drift = (c.rate - c.dividend) * dt
    if not x > abs(drift) or n * x > 700.0:
        raise InvalidParameterError(
            "contract", f"the reference lattice of {n} steps cannot hold {c!r} (vol sqrt(dt) = {x:.3g})"
        )
    up, down = math.exp(x), math.exp(-x)
    p = (math.exp(drift) - down) / (up - down)
    disc = math.exp(-c.rate * dt)
    sign = 1.0 if c.is_call else -1.0

    def spots(i: int) -> np.ndarray:
        return np.asarray(c.spot * np.exp(x * (2.0 * np.arange(i + 1) - i)))

    def may_exercise(i: int) -> bool:
        return every is None or i % every == 0

    s = spots(n - 1)
    V = np.asarray(black_scholes(c.kind, s, c.strike, dt, c.rate, c.vol, c.dividend), dtype=np.float64)
    if may_exercise(n - 1):
        V = np.maximum(V, sign * (s - c.strike))
    for i in range(n - 2, -1, -1):
        V = disc * (p * V[1:] + (1.0 - p) * V[:-1])
        if may_exercise(i):
            V = np.maximum(V, sign * (spots(i) - c.strike))
    return float(V[0])


@validate_params(contract=_CONTRACT, n_steps=Integer(16, 20_000))
def reference_price(contract: OptionContract, *, n_steps: int = 1000) -> ReferencePrice:
    """The suite's reference price of ``contract``, with its error.

    Parameters
    ----------
    contract : OptionContract
    n_steps : int in [16, 20000], default 1000
        Steps of the finest tree (Bermudan: rounded up so that every tree's steps hold
        the exercise dates). Time ``O(n_steps^2)``: about 0.1 s at the default.

    Returns
    -------
    ReferencePrice

    Guarantee
    ---------
    The Black-Scholes price is exact up to rounding; the lattice's ``error`` is an
    estimate, not a proven bound (the binomial tree's error has no explicit constant):
    it covers the distance to an independent high-accuracy price on the contracts the
    suite draws. Tested by
    ``tests/finance_apps/test_pricer_contract.py::test_reference_error_is_honest``.

    Examples
    --------
    >>> from finance_apps.testing import OptionContract
    >>> ref = reference_price(OptionContract("put", "american", 36.0, 40.0, 1.0, 0.06, 0.2))
    >>> round(ref.price, 3), ref.error < 1e-3
    (4.487, True)
    """
    c = contract
    scale = max(c.spot, c.strike)
    if c.exercise == "european" or c.early_exercise_is_worthless():
        price = black_scholes(c.kind, c.spot, c.strike, c.maturity, c.rate, c.vol, c.dividend)
        return ReferencePrice(float(price), 1e-12 * scale, "black_scholes")
    m = c.n_exercise
    base = max(2, -(-n_steps // 8))
    if m is not None:
        base = m * max(1, -(-base // m))
    sizes = [base * 2**k for k in range(4)]
    B = [_bbs(c, n, None if m is None else n // m) for n in sizes]
    R = [2.0 * B[k + 1] - B[k] for k in range(3)]  # R(n/4), R(n/2), R(n)
    err = 2.0 * max(abs(R[2] - R[1]), abs(R[1] - R[0]) / 2.0) + 1e-9 * scale
    return ReferencePrice(R[2], err, f"bbsr({sizes[-1]})")
