"""The instances of the pricer contract suite: :class:`OptionContract` and the strategy :func:`option_contracts`.

A contract is a single-asset vanilla option under Black-Scholes dynamics (geometric
Brownian motion with constant rate, dividend yield and volatility). Its ``repr`` is the
constructor call that rebuilds it, so that a failing instance can be pasted back (with
``from finance_apps.testing import OptionContract``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from finance_apps._constraints import DIVIDEND, MATURITY, MAX_DATES, MAX_MATURITY, MAX_VOL, RATE, SPOT, VOL
from rlcore.validation import Bool, Integer, InvalidParameterError, Options, Real, Sequence_, validate_params

__all__ = ["EXERCISE_STYLES", "OPTION_KINDS", "OptionContract", "option_contracts"]

#: The option kinds: ``"call"`` pays ``(S - K)^+``, ``"put"`` pays ``(K - S)^+``.
OPTION_KINDS = ("call", "put")
#: The exercise styles: at maturity only, at any time in ``[0, T]``, or on the
#: ``n_exercise + 1`` equally spaced dates ``0, T/n_exercise, ..., T``.
EXERCISE_STYLES = ("european", "american", "bermudan")

_KIND = Options(*OPTION_KINDS)
_STYLE = Options(*EXERCISE_STYLES)
_POSITIVE_STRIKE = Real(0.0, None, closed="neither")
_N_EXERCISE = Integer(1, MAX_DATES)
#: A list of kinds / styles, each at most once (the suite's options and the strategy's).
KINDS = Sequence_(_KIND, min_len=1, max_len=len(OPTION_KINDS))
STYLES = Sequence_(_STYLE, min_len=1, max_len=len(EXERCISE_STYLES))


@validate_params(
    kind=_KIND,
    exercise=_STYLE,
    spot=SPOT,
    strike=_POSITIVE_STRIKE,
    maturity=MATURITY,
    rate=RATE,
    vol=VOL,
    dividend=DIVIDEND,
    n_exercise=_N_EXERCISE | None,
)
@dataclass(frozen=True)
class OptionContract:
    """A single-asset vanilla option under Black-Scholes dynamics.

    Parameters
    ----------
    kind : {"call", "put"}
    exercise : {"european", "american", "bermudan"}
        At maturity only; at any time in ``[0, maturity]``; or on the ``n_exercise + 1``
        dates ``k maturity / n_exercise``, ``k = 0, ..., n_exercise`` (today included).
    spot : float > 0
        Today's price of the underlying.
    strike : float > 0
    maturity : float in (0, 1000]
        Years.
    rate, dividend : float in [-1, 1]
        Continuously compounded rate and dividend yield.
    vol : float in (0, 10]
        Volatility of the log-price.
    n_exercise : int in [1, 10**6] or None
        Number of exercise periods of a Bermudan contract; None (the default) for the
        others.

    Examples
    --------
    >>> c = OptionContract("put", "american", spot=36.0, strike=40.0, maturity=1.0, rate=0.06, vol=0.2)
    >>> c
    OptionContract(kind='put', exercise='american', spot=36.0, strike=40.0, maturity=1.0, rate=0.06, vol=0.2, dividend=0.0)
    >>> eval(repr(c)) == c
    True
    """

    kind: str
    exercise: str
    spot: float
    strike: float
    maturity: float
    rate: float
    vol: float
    dividend: float = 0.0
    n_exercise: int | None = None

    def __post_init__(self) -> None:
        if (self.exercise == "bermudan") != (self.n_exercise is not None):
            want = "an int (the number of exercise periods)" if self.exercise == "bermudan" else "None"
            raise InvalidParameterError(
                "n_exercise", f"a {self.exercise} contract takes n_exercise={want}, got {self.n_exercise!r}"
            )
        for name in ("spot", "strike", "maturity", "rate", "vol", "dividend"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def __repr__(self) -> str:
        tail = "" if self.n_exercise is None else f", n_exercise={self.n_exercise!r}"
        return (
            f"OptionContract(kind={self.kind!r}, exercise={self.exercise!r}, spot={self.spot!r}, "
            f"strike={self.strike!r}, maturity={self.maturity!r}, rate={self.rate!r}, vol={self.vol!r}, "
            f"dividend={self.dividend!r}{tail})"
        )

    @property
    def is_call(self) -> bool:
        """True for a call."""
        return self.kind == "call"

    def exercise_dates(self) -> list[float] | None:
        """The Bermudan exercise dates ``0, T/n, ..., T``; None for the other styles."""
        if self.n_exercise is None:
            return None
        n = self.n_exercise
        return [self.maturity * k / n for k in range(n)] + [self.maturity]

    def early_exercise_is_worthless(self) -> bool:
        """True when the American (and Bermudan) value equals the European one.

        A call when ``dividend <= 0 <= rate``, a put when ``rate <= 0 <= dividend``: the
        discounted payoff is then a submartingale, so stopping early never gains (Merton
        1973 for the call without dividends).
        """
        if self.is_call:
            return self.dividend <= 0.0 <= self.rate
        return self.rate <= 0.0 <= self.dividend


@validate_params(
    kinds=KINDS,
    exercise=STYLES,
    dividends=Bool(),
    negative_rates=Bool(),
    max_maturity=Real(0.05, MAX_MATURITY),
    max_vol=Real(0.05, MAX_VOL),
    max_exercise=Integer(1, 100),
)
def option_contracts(
    *,
    kinds: Any = OPTION_KINDS,
    exercise: Any = ("european", "american"),
    dividends: bool = True,
    negative_rates: bool = False,
    max_maturity: float = 2.0,
    max_vol: float = 0.6,
    max_exercise: int = 8,
) -> SearchStrategy[OptionContract]:
    """Strategy for :class:`OptionContract` instances on round numbers.

    Spot and strike are whole numbers in ``[50, 150]``; the maturity a multiple of 0.05
    years in ``[0.05, max_maturity]``; the volatility a multiple of 0.05 in ``[0.05,
    max_vol]``; the rate a whole percentage in ``[0, 10] %`` (``[-5, 10] %`` with
    ``negative_rates``); the dividend yield a whole percentage in ``[0, 8] %`` (``[-5, 8]
    %`` with ``negative_rates``; 0 unless ``dividends``); Bermudan contracts have 1 to
    ``max_exercise`` exercise periods. Round numbers print short, so that a failing
    contract reads (and pastes) as written.

    Parameters
    ----------
    kinds : list of {"call", "put"}, default both
    exercise : list of {"european", "american", "bermudan"}, default European and American
    dividends : bool, default True
        Draw non-zero dividend yields.
    negative_rates : bool, default False
        Draw negative rates and dividend yields too.
    max_maturity : float in [0.05, 1000], default 2
    max_vol : float in [0.05, 10], default 0.6
    max_exercise : int in [1, 100], default 8

    Returns
    -------
    hypothesis.strategies.SearchStrategy of OptionContract

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(option_contracts(kinds=["put"], exercise=["bermudan"]))
    ... def test_bermudan_puts(c):
    ...     assert c.kind == "put" and 1 <= c.n_exercise <= 8
    >>> test_bermudan_puts()
    """
    low = -5 if negative_rates else 0
    n_mat = max(1, math.floor(max_maturity * 20 + 1e-9))
    n_vol = max(1, math.floor(max_vol * 20 + 1e-9))

    def build(style: str) -> SearchStrategy[OptionContract]:
        return st.builds(
            OptionContract,
            kind=st.sampled_from(tuple(kinds)),
            exercise=st.just(style),
            spot=st.integers(50, 150).map(float),
            strike=st.integers(50, 150).map(float),
            maturity=st.integers(1, n_mat).map(lambda k: k / 20),
            rate=st.integers(low, 10).map(lambda k: k / 100),
            vol=st.integers(1, n_vol).map(lambda k: k / 20),
            dividend=st.integers(low, 8).map(lambda k: k / 100) if dividends else st.just(0.0),
            n_exercise=st.integers(1, max_exercise) if style == "bermudan" else st.none(),
        )

    return st.one_of(*(build(style) for style in dict.fromkeys(exercise)))
