"""The declarative validation layer itself: constraints, the decorator, the cache fallback.

The whole-API walk (``tests/test_public_api.py``) checks that every public callable
uses the layer; these tests check the layer: each constraint accepts what it promises
(hypothesis draws from its own strategy), refuses what it derives as invalid with the
declared exception type and a message starting with the parameter's name, and the
decorator passes normalised values, trusts defaults, and refuses incomplete
declarations at import time.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlcore.generators import forest
from rlcore.validation import (
    MAX_ITERATIONS,
    MDP,
    RNG,
    Array,
    Bool,
    Discount,
    Integer,
    Options,
    Path as PathC,
    Policy,
    ProbabilityRows,
    ProbabilityVector,
    Real,
    Sequence_,
    Unchecked,
    constraints_of,
    iter_invalid,
    validate_params,
)

REPO = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------ scalars
@pytest.mark.parametrize("value", [0.5, 1, np.float32(0.25), np.int64(1), 0.0])
def test_real_accepts_real_numbers_and_returns_float(value):
    out = Real(0, 1).check(value, "x")
    assert type(out) is float and out == float(value)


@pytest.mark.parametrize(
    ("value", "exc", "text"),
    [
        (True, TypeError, "expected a real number"),
        ("0.5", TypeError, "expected a real number"),
        (complex(0.5, 0), TypeError, "expected a real number"),
        (np.array([0.5]), TypeError, "expected a real number"),
        (None, TypeError, "expected a real number"),
        (math.nan, ValueError, "finite"),
        (math.inf, ValueError, "finite"),
        (1.5, ValueError, r"in \[0, 1\), got 1.5"),
        (1.0, ValueError, r"in \[0, 1\), got 1.0"),
        (-1e-300, ValueError, r"\[0, 1\)"),
        (10**400, ValueError, "float64 range"),
    ],
)
def test_real_refuses_by_name(value, exc, text):
    with pytest.raises(exc, match=rf"^gamma: .*{text}"):
        Real(0, 1, closed="left").check(value, "gamma")


def test_real_infinity_only_when_asked_and_nan_never():
    assert Real(0, None, finite=False).check(math.inf, "x") == math.inf
    with pytest.raises(ValueError, match="^x: "):
        Real(0, None, finite=False).check(math.nan, "x")
    with pytest.raises(ValueError, match="^x: "):
        Real(0, None, finite=False).check(-math.inf, "x")


def test_real_hint_is_appended():
    with pytest.raises(ValueError, match=r"^beta: expected a real number in \(0, inf\), got 0; use solve"):
        Real(0, None, closed="neither", hint="use solve").check(0, "beta")


def test_discount_message():
    assert Discount().check(0, "gamma") == 0.0
    with pytest.raises(ValueError, match=r"^gamma: expected a discount factor in \[0, 1\), got 1"):
        Discount().check(1, "gamma")
    assert Discount(allow_one=True).check(1, "gamma") == 1.0


@pytest.mark.parametrize(
    ("value", "exc"),
    [
        (2.0, TypeError),
        (True, TypeError),
        ("3", TypeError),
        (None, TypeError),
        (0, ValueError),
        (MAX_ITERATIONS + 1, ValueError),
        (2**63, ValueError),
    ],
)
def test_integer_refuses_floats_bools_and_out_of_range(value, exc):
    with pytest.raises(exc, match=r"^max_iter: "):
        Integer(1, MAX_ITERATIONS).check(value, "max_iter")


def test_integer_returns_python_int():
    out = Integer(0, 10).check(np.int32(3), "n")
    assert type(out) is int and out == 3


def test_bool_options_and_anyof():
    assert Bool().check(np.bool_(True), "flag") is True
    for bad in (1, 0, "True", None):
        with pytest.raises(TypeError, match="^flag: "):
            Bool().check(bad, "flag")
    c = Integer(0, 10) | Options("auto")
    assert c.check("auto", "m") == "auto" and c.check(3, "m") == 3
    with pytest.raises(ValueError, match=r"^m: expected an integer in \[0, 10\] or one of 'auto', got '5'"):
        c.check("5", "m")
    with pytest.raises(ValueError, match=r"^m: expected an integer in \[0, 10\], got 11"):
        c.check(11, "m")
    with pytest.raises(TypeError, match="^m: "):
        c.check(1.5, "m")
    assert (Real(0, 1) | None).check(None, "x") is None


# ------------------------------------------------------------------------ arrays
def test_array_shapes_refer_to_earlier_arguments():
    mdp = forest(3, gamma=0.9)
    c = Array(ndim=1, shape=("mdp.n_states",))
    out = c.check([1, 2, 3], "V", {"mdp": mdp})
    assert out.dtype == np.float64 and out.shape == (3,)
    with pytest.raises(ValueError, match=r"^V: expected shape \(3,\), got \(4,\)"):
        c.check(np.zeros(4), "V", {"mdp": mdp})
    with pytest.raises(ValueError, match=r"^V: expected a 1-dimensional array"):
        c.check(np.zeros((3, 1)), "V", {"mdp": mdp})


@pytest.mark.parametrize(
    ("value", "exc"),
    [
        ("x", TypeError),
        (None, TypeError),
        ([True, False], TypeError),
        (np.array([1 + 1j]), TypeError),
        ([[1.0], [1.0, 2.0]], TypeError),
        ([np.nan, 1.0], ValueError),
        ([np.inf], ValueError),
        ([], ValueError),
    ],
)
def test_array_refuses_by_name(value, exc):
    with pytest.raises(exc, match=r"^R: "):
        Array(ndim=1).check(value, "R")


def test_array_bounds_name_the_entry_and_int_arrays_stay_integer():
    with pytest.raises(ValueError, match=r"^w: entries must lie in \(0, inf\), found .*0\.0.* at index \(1,\)"):
        Array(low=0.0, closed="neither").check([1.0, 0.0], "w")
    out = Array("int", ndim=1, low=0, high=5, closed="left").check([0, 4], "actions")
    assert out.dtype == np.int64
    with pytest.raises(TypeError, match="^actions: expected an integer array"):
        Array("int").check([0.0, 1.0], "actions")
    with pytest.raises(ValueError, match=r"^actions: entries must lie in \[0, 5\)"):
        Array("int", low=0, high=5, closed="left").check([5], "actions")


def test_probability_constraints():
    assert ProbabilityVector(2).check([0.25, 0.75], "p").sum() == 1.0
    with pytest.raises(ValueError, match="^p: entries must sum to 1"):
        ProbabilityVector(2).check([0.5, 0.6], "p")
    with pytest.raises(ValueError, match="^p: probabilities must be non-negative"):
        ProbabilityVector(2).check([-0.5, 1.5], "p")
    with pytest.raises(ValueError, match=r"^M: each row must sum to 1 within 1e-08, row \(1,\)"):
        ProbabilityRows().check([[0.5, 0.5], [0.5, 0.4]], "M")


def test_sequence_path_rng_mdp_policy():
    assert Sequence_(Real(0, 1), length=2).check([0.1, 1], "bounds") == (0.1, 1.0)
    with pytest.raises(ValueError, match=r"^bounds\[1\]: "):
        Sequence_(Real(0, 1), length=2).check([0.1, 2.0], "bounds")
    with pytest.raises(ValueError, match=r"^bounds: expected 2 items, got 3"):
        Sequence_(Real(0, 1), length=2).check([0.1, 0.2, 0.3], "bounds")
    assert PathC().check("a/b.npz", "path").name == "b.npz"
    with pytest.raises(TypeError, match="^path: "):
        PathC().check(3, "path")
    assert RNG().check(7, "rng") == 7  # checked, not converted
    for bad, exc in ((-1, ValueError), (True, TypeError), (1.5, TypeError), ("7", TypeError)):
        with pytest.raises(exc, match="^rng: "):
            RNG().check(bad, "rng")
    fh = forest(3, horizon=2)
    with pytest.raises(ValueError, match="^mdp: needs a discounted MDP"):
        MDP(discounted=True).check(fh, "mdp")
    mdp = forest(3, gamma=0.9)
    assert Policy("mdp").check([0, 1, 1], "policy", {"mdp": mdp}).tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match="^policy: actions must lie in"):
        Policy("mdp").check([0, 1, 2], "policy", {"mdp": mdp})


# ------------------------------------------------------------------------ the decorator
def test_decorator_normalises_trusts_defaults_and_checks_in_order():
    seen = {}

    @validate_params(x=Real(0, None), n=Integer(1, 10), V=Array(shape=("n",)) | None)
    def f(x, n=2, V=None):
        seen.update(x=x, n=n, V=V)
        return x

    assert f(3, 2, [1, 2]) == 3.0 and type(seen["x"]) is float and seen["V"].dtype == np.float64
    f(1.0)
    assert seen["n"] == 2 and seen["V"] is None
    with pytest.raises(ValueError, match=r"^V: expected shape \(3,\)"):
        f(1.0, 3, [1.0, 2.0])
    assert set(constraints_of(f)) == {"x", "n", "V"}


def test_references_see_earlier_arguments_normalised_and_later_ones_as_given():
    seen = {}

    class Spy(Real):
        def check(self, value, name, args=None):
            seen.update(args)
            return super().check(value, name, args)

    @validate_params(a=Real(), b=Spy(), c=Integer(0, 10))
    def f(a, b, c=3):
        return a, b, c

    f(1, 2, c=np.int64(4))
    assert type(seen["a"]) is float and type(seen["c"]) is np.int64  # a normalised, c as given
    seen.clear()
    f(1, 2)
    assert "c" not in seen  # left to its default: not seen yet


def test_decorator_refuses_incomplete_or_misspelt_declarations():
    with pytest.raises(TypeError, match=r"no constraint for \['n'\]"):
        validate_params(x=Real())(lambda x, n: x)
    with pytest.raises(TypeError, match=r"unknown parameters \['y'\]"):
        validate_params(x=Real(), y=Real())(lambda x: x)
    with pytest.raises(TypeError, match="is not a Constraint"):
        validate_params(x=3)


def test_decorator_on_classes_dataclasses_and_varargs():
    @validate_params(k=Real(0, None, closed="neither"))
    @dataclasses.dataclass(frozen=True)
    class Call:
        k: float

    assert Call(1).k == 1.0 and constraints_of(Call) == {"k": constraints_of(Call)["k"]}
    with pytest.raises(ValueError, match="^k: "):
        Call(-1.0)

    @validate_params(args=Real(0, 1), kwargs=Unchecked("forwarded"))
    def g(*args, **kwargs):
        return args

    assert g(0.5, 1) == (0.5, 1.0)
    with pytest.raises(ValueError, match=r"^args\[1\]: "):
        g(0.5, 2.0)


# ------------------------------------------------------------------------ every declared constraint
def _declared():
    out = []
    for pkg in ("rlcore", "tabular", "bandits", "offline", "finance_apps"):
        mod = importlib.import_module(pkg)
        for name in mod.__all__:
            cons = constraints_of(getattr(mod, name)) if callable(getattr(mod, name)) else None
            for param, c in (cons or {}).items():
                out.append(pytest.param(c, id=f"{pkg}.{name}.{param}"))
    return out


def _scalar(c):
    from rlcore.validation import AnyOf

    if isinstance(c, AnyOf):
        return all(_scalar(a) for a in c.alternatives)
    return isinstance(c, (Real, Integer, Bool, Options))


@pytest.mark.parametrize("constraint", [p for p in _declared() if _scalar(p.values[0])])
@settings(max_examples=min(settings.default.max_examples, 20))
@given(data=st.data())
def test_every_declared_scalar_constraint_accepts_its_strategy(constraint, data):
    value = data.draw(constraint.strategy())
    constraint.check(value, "p")  # never raises


@pytest.mark.parametrize("constraint", [p for p in _declared() if _scalar(p.values[0])])
def test_every_declared_scalar_constraint_refuses_its_invalid_values(constraint):
    for value, exc in constraint.invalid_values():
        with pytest.raises(exc, match=r"^p: "):
            constraint.check(value, "p")
    assert len(list(iter_invalid(constraint))) == len(constraint.invalid_values())  # none is accepted


# ------------------------------------------------------------------------ read-only installs
@pytest.mark.parametrize(
    ("allowed", "status", "message"),
    [
        ("none", "off", "rlref: no writable directory for Numba's cache"),
        ("user-provided", "tempdir", "rlref: Numba cannot cache compiled kernels beside"),
    ],
)
def test_import_without_a_writable_numba_cache_warns_instead_of_failing(tmp_path, allowed, status, message):
    """Numba finds no cache location (read-only install, read-only home): import still works,
    with the cache moved under the temporary directory, or off when nothing is writable."""
    script = textwrap.dedent(
        f"""
        import os, warnings
        os.environ.pop("NUMBA_CACHE_DIR", None)
        import numba.core.caching as caching
        def refuse(self):
            raise OSError("read-only file system")
        def subclasses(c):
            for k in c.__subclasses__():
                yield k
                yield from subclasses(k)
        user = getattr(caching, "UserProvidedCacheLocator", None) or getattr(caching, "_UserProvidedCacheLocator")
        keep = user if {allowed!r} == "user-provided" else None
        original = caching._CacheLocator.ensure_cache_path
        for cls in [caching._CacheLocator, *subclasses(caching._CacheLocator)]:
            if cls is keep:
                cls.ensure_cache_path = original
            elif "ensure_cache_path" in vars(cls) or cls is caching._CacheLocator:
                cls.ensure_cache_path = refuse
        if keep is not None:
            keep.ensure_cache_path = original
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import rlcore
            from rlcore.generators import forest
            mdp = forest(3, gamma=0.9)
            s = mdp.reset(4, rng=0)
            mdp.step(s, s * 0, rng=0)
        print(rlcore._numba_cache.STATUS)
        print([str(w.message)[:60] for w in caught if "Numba" in str(w.message)])
        """
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert lines[-2] == status, out.stdout
    assert message in lines[-1], out.stdout


def _parameter_errors() -> list[type]:
    from rlcore.validation import InvalidParameterError, InvalidParameterTypeError

    return [InvalidParameterError, InvalidParameterTypeError]


@pytest.mark.parametrize("cls", _parameter_errors())
def test_parameter_errors_survive_pickling(cls):
    """Sweep workers (loky, Ray) send errors back pickled: name, message and type survive."""
    import pickle

    err = pickle.loads(pickle.dumps(cls("gamma", "expected a value in [0, 1), got 2.0")))
    assert type(err) is cls
    assert err.param == "gamma"
    assert str(err) == "gamma: expected a value in [0, 1), got 2.0"


@pytest.mark.parametrize("cls", _parameter_errors())
def test_parameter_errors_rebuilt_from_their_text_keep_the_name(cls):
    """Code that re-raises ``type(e)(str(e) + ...)`` (gymnasium.make does) keeps param and message."""
    err = cls("gamma", "expected a value in [0, 1), got 2.0")
    again = cls(f"{err} (raised while making rlref/RiverSwim-v0)")
    assert type(again) is cls and again.param == "gamma"
    assert str(again) == "gamma: expected a value in [0, 1), got 2.0 (raised while making rlref/RiverSwim-v0)"
