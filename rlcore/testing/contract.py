"""The machinery every contract suite of the library shares.

A *contract suite* holds an implementation (a planner, a bandit policy, an offline
learner, a simulator, a regressor, an option pricer, yours or the library's) to the
guarantees its family's theory gives. Each family's suite (:mod:`tabular.testing`,
:mod:`bandits.testing`, :mod:`offline.testing`, :mod:`rlcore.testing.simulator_checks`,
:mod:`rlcore.testing.regressor_checks`, :mod:`finance_apps.testing`) is built from the
pieces here, so that every suite behaves the same way:

* :class:`ContractSuite` is the registry of a family's checks. Each check is a function
  ``body(subject, opts, check_name)``, registered with :meth:`ContractSuite.register`
  together with a test of whether it applies to the subject (a check needing a declared
  regret bound does not apply to a policy that declares none);
  :meth:`ContractSuite.checks` yields the applicable checks as ``(check_name, check)``
  pairs for ``pytest.mark.parametrize`` and :meth:`ContractSuite.run` runs them all,
  raising at the first breach.
* :class:`CheckContext` words every failure the same way: an ``AssertionError`` whose
  message starts with the check's name, then names the subject, the instance (printed
  so that it can be pasted back, e.g. with :func:`rlcore.testing.constructor_call`), the
  call, and the numbers that broke the contract.
* :func:`derandomized` gives the Hypothesis settings every suite uses: derandomised,
  no example database, no deadline; a program checks the same instances on every run.
  (Hypothesis also draws constants from the local modules imported, so a program that
  imports other modules may draw other instances: fix ``max_examples`` high enough that
  a result does not hinge on one instance.)
* :func:`subject_name` names a callable in messages (with the keywords of a
  :func:`functools.partial`).

A statistical check (a regret curve, a confidence statement over seeds) states its
failure budget in its docstring: e.g. "fails when more than 2 of 40 seeds exceed the
bound", with the budget chosen so that a correct implementation fails with probability
below ``1e-6`` under the stated assumptions, and all seeds fixed.

Examples
--------
>>> from rlcore.testing.contract import CheckContext, ContractSuite, subject_name
>>> suite = ContractSuite("adder")
>>> @suite.register()
... def check_adds(subject, opts, check):
...     ctx = CheckContext(check, "adder", subject_name(subject), instance="x = 2")
...     ctx.check(subject(2) == 4, lambda: f"adder(2) = {subject(2)!r}, expected 4")
>>> def double(x):
...     return 2 * x
>>> suite.run(double, None)
>>> [name for name, _ in suite.checks(double, None)]
['check_adds']
>>> suite.run(lambda x: x + 3, None)
Traceback (most recent call last):
...
AssertionError: check_adds: adder '<lambda>' on x = 2: adder(2) = 5, expected 4
"""

from __future__ import annotations

import functools
import random
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np
from hypothesis import HealthCheck, Phase, settings

__all__ = ["CheckContext", "ContractSuite", "derandomized", "reseeded_globals", "subject_name"]

#: ``body(subject, opts, check_name)``: raises ``AssertionError`` on a breach.
CheckBody = Callable[[Any, Any, str], None]


def _always(subject: Any, opts: Any) -> str | None:
    return None


def subject_name(subject: Any) -> str:
    """A readable name for a callable or object, e.g. ``"modified_policy_iteration(m=3)"``.

    Examples
    --------
    >>> import functools
    >>> subject_name(functools.partial(round, ndigits=2))
    'round(ndigits=2)'
    """
    if isinstance(subject, functools.partial):
        args = [repr(a) for a in subject.args] + [f"{k}={v!r}" for k, v in subject.keywords.items()]
        return f"{subject_name(subject.func)}({', '.join(args)})"
    for attr in ("__qualname__", "__name__"):
        name = getattr(subject, attr, None)
        if isinstance(name, str):
            return name
    return repr(subject)


class CheckContext:
    """Words one check's failures: ``"<check>: <family> '<name>' on <instance>, called with <call>: <what>"``.

    Parameters
    ----------
    check : str
        The check's name (``check_...``).
    family : str
        What the subject is, e.g. ``"policy"``, ``"solver"``, ``"pricer"``.
    name : str
        The subject's name (:func:`subject_name`).
    instance : str
        The instance, printed so that it can be pasted back.
    call : dict, optional
        Keyword arguments of the call (printed even when empty, to say the defaults were
        used); None leaves the call out of the message.
    """

    def __init__(self, check: str, family: str, name: str, instance: str, call: dict[str, Any] | None = None) -> None:
        self.check_name, self.family, self.name, self.instance, self.call = check, family, name, instance, call

    def fail(self, what: str) -> AssertionError:
        """The ``AssertionError`` for a breach described by ``what``."""
        called = f", called with {self.call!r}" if self.call is not None else ""
        return AssertionError(f"{self.check_name}: {self.family} {self.name!r} on {self.instance}{called}: {what}")

    def check(self, ok: Any, what: str | Callable[[], str]) -> None:
        """Raise :meth:`fail` unless ``ok``; ``what`` may be a callable, evaluated only on failure."""
        if not bool(ok):
            raise self.fail(what() if callable(what) else what)

    def call_subject(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call the subject; an exception it raises becomes a failure of this check."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise self.fail(f"it raised {type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class _Spec:
    body: CheckBody
    applies: Callable[[Any, Any], str | None]


class _BoundCheck:
    """One check bound to one subject and its options; pytest uses ``__name__`` as the id."""

    def __init__(self, suite: ContractSuite, check: str, subject: Any, opts: Any, name: str) -> None:
        self.suite, self.check, self.subject, self.opts = suite, check, subject, opts
        self.__name__ = name.replace(" ", "")

    def __call__(self) -> None:
        self.suite.registry[self.check].body(self.subject, self.opts, self.check)

    def __repr__(self) -> str:
        return f"<{self.check} for {self.__name__}>"


class ContractSuite:
    """The registry of one family's checks.

    Parameters
    ----------
    family : str
        What the subjects are, e.g. ``"bandit policy"`` (used in messages).

    Attributes
    ----------
    registry : dict of str to spec
        The registered checks, in registration order.
    """

    def __init__(self, family: str) -> None:
        self.family = family
        self.registry: dict[str, _Spec] = {}

    def register(self, applies: Callable[[Any, Any], str | None] = _always) -> Callable[[CheckBody], CheckBody]:
        """Register ``body(subject, opts, check_name)`` under its ``__name__``.

        ``applies(subject, opts)`` returns None when the check applies, else the reason
        it does not (reported when the check is called on its own).
        """

        def decorate(body: CheckBody) -> CheckBody:
            self.registry[body.__name__] = _Spec(body, applies)
            return body

        return decorate

    def why_not(self, check: str, subject: Any, opts: Any) -> str | None:
        """None when ``check`` applies to ``subject``, else the reason."""
        return self.registry[check].applies(subject, opts)

    def run_one(self, check: str, subject: Any, opts: Any, *, param: str = "subject") -> None:
        """Run one check; a ``ValueError`` naming ``param`` (the subject's parameter) when it does not apply."""
        reason = self.why_not(check, subject, opts)
        if reason is not None:
            from rlcore.validation import InvalidParameterError

            name = getattr(opts, "name", None) or subject_name(subject)
            raise InvalidParameterError(param, f"{check} does not apply to {name!r}: {reason}")
        self.registry[check].body(subject, opts, check)

    def publish(
        self, check: Callable[..., None], body: CheckBody, applies: Callable[[Any], str | None], parameters_doc: str
    ) -> Callable[..., None]:
        """Register ``body`` and dress ``check``, its public function, as the check itself.

        ``check`` is the family's validated wrapper (the suite's options as keyword
        arguments, which it turns into the options object and hands to :meth:`run_one`);
        it takes ``body``'s name, module and docstring (followed by ``parameters_doc``).
        ``applies(opts)`` returns None when the check applies, else the reason.
        """
        check.__name__ = check.__qualname__ = body.__name__
        check.__module__ = body.__module__
        check.__doc__ = (body.__doc__ or "").rstrip() + "\n" + parameters_doc
        self.register(lambda subject, opts: applies(opts))(body)
        return check

    def checks(self, subject: Any, opts: Any, *, name: str | None = None) -> Iterator[tuple[str, Callable[[], None]]]:
        """The applicable checks as ``(check_name, check)`` pairs; ``check()`` runs one."""
        label = name if name is not None else subject_name(subject)
        for check, spec in self.registry.items():
            if spec.applies(subject, opts) is None:
                yield check, _BoundCheck(self, check, subject, opts, label)

    def run(self, subject: Any, opts: Any) -> None:
        """Run every applicable check; raise the first breach."""
        for _, check in self.checks(subject, opts):
            check()


def derandomized(max_examples: int, *, shrink: bool = True) -> settings:
    """Hypothesis settings of every suite: derandomised, no database, no deadline, no explain phase.

    ``shrink=False`` also skips shrinking, which can cost hundreds of calls of a slow
    subject after a failure (the failing example is then reported as first found).

    Examples
    --------
    >>> derandomized(5).max_examples
    5
    >>> from hypothesis import Phase
    >>> Phase.shrink in derandomized(5, shrink=False).phases
    False
    """
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.nested_given,  # a suite called inside the user's own @given test
        ],
        # the explain phase re-runs a failure many times to annotate it: slow on slow subjects
        phases=[p for p in Phase if p is not Phase.explain and (shrink or p is not Phase.shrink)],
    )


@contextmanager
def reseeded_globals(seed: int) -> Iterator[None]:
    """Seed NumPy's and Python's global generators inside the block; restore both after.

    The probe of the suites' determinism checks: a subject that draws from global
    randomness instead of the ``rng`` it is given answers differently in two blocks
    with different seeds, while the caller's global generators are left as they were.

    Examples
    --------
    >>> state = np.random.get_state()
    >>> with reseeded_globals(1):
    ...     a = np.random.random()
    >>> with reseeded_globals(1):
    ...     b = np.random.random()
    >>> bool(a == b), bool(np.array_equal(np.random.get_state()[1], state[1]))
    (True, True)
    """
    saved = np.random.get_state(), random.getstate()
    np.random.seed(seed)
    random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(saved[0])
        random.setstate(saved[1])
