"""Import hygiene: the library imports without torch, and rlcore pulls in neither torch
nor hypothesis."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)


def test_packages_import_without_torch():
    res = _run(
        """
        import sys
        sys.modules["torch"] = None  # any `import torch` now raises ImportError
        import rlcore, tabular, bandits, offline, finance_apps
        print("ok")
        """
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


def test_rlcore_does_not_import_heavy_optional_modules():
    res = _run(
        """
        import sys
        import rlcore, tabular, bandits, offline, finance_apps
        print(sorted(m for m in ("torch", "hypothesis", "ray", "matplotlib") if m in sys.modules))
        """
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_public_names_are_exported_and_typed_marker_present():
    import importlib
    from pathlib import Path

    for pkg in ("rlcore", "tabular", "bandits", "offline", "finance_apps"):
        mod = importlib.import_module(pkg)
        assert isinstance(mod.__all__, list)
        for name in mod.__all__:
            assert hasattr(mod, name), f"{pkg}.{name} listed in __all__ but missing"
        assert (Path(mod.__file__).parent / "py.typed").is_file()


def test_importing_the_packages_loads_no_heavy_module():
    """The packages' names load on first access (``rlcore._lazy``): importing the five
    packages imports neither Numba, SciPy, Gymnasium nor any optional extra."""
    res = _run(
        """
        import sys
        import rlcore, tabular, bandits, offline, finance_apps
        heavy = ("numba", "scipy", "gymnasium", "torch", "cvxpy", "matplotlib", "hypothesis", "ray", "llvmlite")
        print(sorted(m for m in heavy if m in sys.modules))
        """
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_every_public_name_loads_without_torch():
    """Resolving every name of every package's ``__all__`` (which imports its module)
    works with torch absent: the deep modules import torch only when called."""
    res = _run(
        """
        import sys
        sys.modules["torch"] = None
        import rlcore, tabular, bandits, offline, finance_apps
        n = 0
        for pkg in (rlcore, tabular, bandits, offline, finance_apps):
            for name in pkg.__all__:
                getattr(pkg, name)
                n += 1
        print(n)
        """
    )
    assert res.returncode == 0, res.stderr
    assert int(res.stdout.strip()) > 300


def test_lazy_names_are_the_objects_their_modules_define():
    """The table ``attach`` reads from each ``TYPE_CHECKING`` block gives, for each name,
    the very object the defining module holds; ``__all__`` and the table agree; and a
    function keeps its name on the package after the module of the same name is imported
    (``tabular.value_iteration`` stays the function, as with eager imports)."""
    import importlib

    from rlcore._lazy import _exports_of

    for pkg in ("rlcore", "tabular", "bandits", "offline", "finance_apps"):
        mod = importlib.import_module(pkg)
        table = _exports_of(pkg, mod.__file__)
        missing = [n for n in mod.__all__ if n not in table and n not in vars(mod)]
        assert not missing, f"{pkg}.__all__ names not in its TYPE_CHECKING imports: {missing}"
        for name, (module_name, attr) in table.items():
            owner = importlib.import_module(module_name)
            expected = owner if attr is None else getattr(owner, attr)
            assert getattr(mod, name) is expected, f"{pkg}.{name}"
    res = _run(
        """
        import tabular.value_iteration, tabular.solve, tabular
        print(callable(tabular.value_iteration), callable(tabular.solve), tabular.value_iteration.__module__)
        """
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["True", "True", "tabular.value_iteration"]


def test_unknown_attribute_raises_attribute_error():
    import pytest

    import tabular

    with pytest.raises(AttributeError, match="module 'tabular' has no attribute 'no_such_name'"):
        tabular.no_such_name


def test_gymnasium_ids_register_whichever_is_imported_first():
    """The ``rlref/`` ids join Gymnasium's registry when Gymnasium is imported after the
    packages (``rlcore._lazy.when_imported``) and at package import when it came first."""
    for order in (
        "import rlcore, bandits, finance_apps; import gymnasium",
        "import gymnasium; import rlcore, bandits, finance_apps",
    ):
        res = _run(
            f"""
            {order}
            ids = [i for i in gymnasium.registry if i.startswith("rlref/")]
            env = gymnasium.make("rlref/RiverSwim-v0")
            print(len(ids), "rlref/BernoulliBandit-v0" in ids, "rlref/AmericanPut-v0" in ids, env.spec.id)
            """
        )
        assert res.returncode == 0, res.stderr
        count, bandit, finance, made = res.stdout.split()
        assert int(count) >= 10 and bandit == finance == "True" and made == "rlref/RiverSwim-v0", order


def test_packages_pickle_by_name():
    """A lazy package pickles as a reference to its name, with pickle and with cloudpickle
    (what loky uses to ship a closure over ``tabular`` to its workers)."""
    import pickle

    import cloudpickle

    import tabular

    assert pickle.loads(pickle.dumps(tabular)) is tabular
    fn = pickle.loads(cloudpickle.dumps(lambda: tabular.solve))
    assert fn() is tabular.solve


def test_a_failing_post_import_hook_warns_and_the_import_succeeds():
    """A broken registration must not break the user's ``import gymnasium``."""
    res = _run(
        """
        import warnings
        from rlcore._lazy import when_imported
        def broken():
            raise KeyError("boom")
        when_imported("colorsys", broken)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import colorsys
        print(colorsys.rgb_to_hsv(1, 0, 0), [str(w.message)[:60] for w in caught])
        """
    )
    assert res.returncode == 0, res.stderr
    assert "(0.0, 1.0, 1)" in res.stdout and "rlref: the hook run after importing 'colorsys'" in res.stdout
