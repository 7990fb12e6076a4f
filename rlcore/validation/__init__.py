"""Declarative parameter validation: one constraint per parameter, one kind of error.

Every public function and class of the library states, next to its signature, what
each parameter accepts, and :func:`validate_params` enforces it before the body runs::

    @validate_params(
        mdp=MDP(discounted=True),
        epsilon=Real(0, None, closed="neither"),
        max_iter=Integer(1, MAX_ITERATIONS),
        stopping=Options("span", "sup"),
        V0=Array(ndim=1, shape=("mdp.n_states",)) | None,
        callback=IsCallable() | None,
    )
    def value_iteration(mdp, *, epsilon=1e-6, max_iter=100_000, ...): ...

Bad input gets an :class:`InvalidParameterError` (a :class:`ValueError`: the value has
the right kind but is out of range, the wrong shape, NaN, ...) or an
:class:`InvalidParameterTypeError` (a :class:`TypeError`: the wrong kind of object),
and the message always starts with the parameter's name:
``"epsilon: expected a real number in (0, inf), got -1.0"``. The rules the whole
library keeps:

* bools are not numbers and numeric strings are not numbers;
* NaN is never accepted, infinity only where a constraint says so (``finite=False``);
* integer budgets have a documented upper limit (:data:`MAX_ITERATIONS` and friends),
  so no argument can make a call run for ever;
* nothing is clipped, rounded or renormalised: a value is accepted as it is (converted
  to ``float``/``int``/a float64 array) or refused.

The constraints are data: the library's generated API test walks every public callable,
reads its constraints (:func:`constraints_of`), derives invalid values from them
(:meth:`Constraint.invalid_values`) and checks the uniform error; they also give
hypothesis strategies of valid values (:meth:`Constraint.strategy`). Use the same layer
for your own algorithms.

The primitive checks (:func:`check_real`, :func:`as_float_array`, ...) are what the
constraints are built from; methods on hot paths call them directly.

The layer is a package of small modules, every name re-exported here:

===============  =========================================================================
``errors``       the two exceptions every refusal raises
``checks``       the documented limits and the primitive checks
``constraint``   the :class:`Constraint` base, ``a | b`` (:class:`AnyOf`), references to
                 other arguments (:func:`shape_of`, :func:`value_of`)
``scalars``      numbers, discounts, integers, bools and options
``arrays``       arrays, probability vectors and arrays of probability rows
``objects``      MDPs and their policies, generators, protocols, callables, sequences,
                 paths, torch devices and dtypes
``decorator``    :func:`validate_params` and its introspection (:func:`constraints_of`)
===============  =========================================================================
"""

from __future__ import annotations

from rlcore.validation.errors import InvalidParameterError, InvalidParameterTypeError
from rlcore.validation.checks import (
    MAX_ENTRIES,
    MAX_ITERATIONS,
    MAX_SAMPLES,
    PROBABILITY_ATOL,
    as_float_array,
    check_discount,
    check_entries,
    check_int,
    check_positive_int,
    check_probability_vector,
    check_real,
    check_stochastic_rows,
    refuse_nonfinite,
)
from rlcore.validation.constraint import AnyOf, Constraint, Unchecked, shape_of, value_of
from rlcore.validation.constraint import Args as Args  # the type of a constraint's ``args``
from rlcore.validation.scalars import Bool, Discount, Integer, Options, Real
from rlcore.validation.arrays import Array, ProbabilityRows, ProbabilityVector
from rlcore.validation.objects import (
    MDP,
    RNG,
    Device,
    FloatDtype,
    Implements,
    Instance,
    IsCallable,
    Path,
    Policy,
    Regressor,
    Sequence_,
    Simulator,
    TorchModule,
)
from rlcore.validation.decorator import constraints_of, declare_params, iter_invalid, validate_params

__all__ = [
    "MAX_ENTRIES",
    "MAX_ITERATIONS",
    "MAX_SAMPLES",
    "PROBABILITY_ATOL",
    "AnyOf",
    "Array",
    "Bool",
    "Constraint",
    "Device",
    "FloatDtype",
    "Discount",
    "Implements",
    "Instance",
    "Integer",
    "InvalidParameterError",
    "InvalidParameterTypeError",
    "IsCallable",
    "MDP",
    "Options",
    "Path",
    "Policy",
    "ProbabilityRows",
    "ProbabilityVector",
    "RNG",
    "Real",
    "Regressor",
    "Sequence_",
    "Simulator",
    "TorchModule",
    "Unchecked",
    "as_float_array",
    "check_discount",
    "check_entries",
    "check_int",
    "check_positive_int",
    "check_probability_vector",
    "check_real",
    "check_stochastic_rows",
    "constraints_of",
    "declare_params",
    "iter_invalid",
    "refuse_nonfinite",
    "shape_of",
    "validate_params",
    "value_of",
]
