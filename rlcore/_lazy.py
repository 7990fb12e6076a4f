"""Package attributes that load on first access (private).

Importing a package of the library binds its public names without importing the modules
that define them: each name is loaded, and its module imported, the first time it is
read (PEP 562 module ``__getattr__``), so ``import rlcore, tabular, bandits, offline,
finance_apps`` costs a fraction of a second and a script pays only for what it uses
(NumPy, SciPy's sparse module, Numba and the kernels of the algorithms it calls). The
scheme is the one of the Scientific Python ecosystem's lazy loading (SPEC 1), without
its stub files: the names and where they live are the package's own import statements,
written under ``if TYPE_CHECKING:`` in its ``__init__.py``, so type checkers, editors
and readers see ordinary imports, and :func:`attach` reads the same statements (one
``ast`` parse of the ``__init__`` file) to build the table it loads from. There is one
list of imports, not two that could drift apart.

A package's function and the module that defines it often share a name
(``tabular.value_iteration`` is a function, defined in the module
``tabular.value_iteration``). Importing the module binds it as an attribute of the
package; an eager ``__init__`` then rebinds the name to the function with its
``from ... import``. Here the package's module type refuses that binding for an
exported name, so the name keeps meaning what ``__init__`` exports whichever module was
imported first, exactly as before (the module itself stays in :data:`sys.modules`).

Examples
--------
>>> import sys, tabular
>>> callable(tabular.value_iteration)  # the function, loaded now
True
>>> "tabular.value_iteration" in sys.modules
True
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["attach", "when_imported"]


class _LazyPackage(types.ModuleType):
    """A package module whose exported names resolve on first access."""

    _lazy_exports: dict[str, tuple[str, str | None]]

    def __getattr__(self, name: str) -> Any:
        exports = self.__dict__.get("_lazy_exports", {})
        if name in exports:
            module_name, attr = exports[name]
        elif not name.startswith("__") and importlib.util.find_spec(f"{self.__name__}.{name}") is not None:
            # a submodule (``bandits.stochastic``): an eager ``__init__`` had imported it
            module_name, attr = f"{self.__name__}.{name}", None
        else:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        module = importlib.import_module(module_name)
        value = module if attr is None else getattr(module, attr)
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        exports = self.__dict__.get("_lazy_exports", {})
        spec = exports.get(name)
        if spec is not None and spec[1] is not None and isinstance(value, types.ModuleType):
            # the import system binding submodule ``name``: the exported object of the
            # same name keeps the attribute (it loads on access)
            return
        super().__setattr__(name, value)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # pickled by name, as pickle libraries do for plain modules (cloudpickle's table
        # is keyed by the exact type ModuleType, which a subclass misses)
        return importlib.import_module, (self.__name__,)

    def __dir__(self) -> list[str]:
        return sorted(set(self.__dict__) | set(self.__dict__.get("_lazy_exports", {})))


def _exports_of(package: str, path: str) -> dict[str, tuple[str, str | None]]:
    """``{name: (module, attribute or None)}`` from the ``if TYPE_CHECKING:`` block of ``path``."""
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), filename=path)
    exports: dict[str, tuple[str, str | None]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                for alias in stmt.names:
                    bound = alias.asname or alias.name
                    if stmt.module == package:  # ``from pkg import submodule``
                        exports[bound] = (f"{package}.{alias.name}", None)
                    else:
                        exports[bound] = (stmt.module, alias.name)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        exports[alias.asname] = (alias.name, None)
    return exports


def attach(package: str) -> None:
    """Make the names imported under ``if TYPE_CHECKING:`` in ``package``'s ``__init__`` lazy.

    Call it at the end of the package's ``__init__.py`` as ``attach(__name__)``. The
    package's ``__all__`` stays what the file declares; every name in it that the file
    does not bind eagerly must appear in the ``TYPE_CHECKING`` block (checked by
    ``tests/test_imports.py``).

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    """
    module = sys.modules[package]
    path = module.__file__
    if path is None:  # pragma: no cover - namespace packages are not used
        raise ValueError(f"package {package!r} has no __init__ file")
    exports = _exports_of(package, path)
    module.__class__ = _LazyPackage
    module.__dict__["_lazy_exports"] = exports


_PENDING: dict[str, list[Callable[[], None]]] = {}


class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Runs the callbacks of :func:`when_imported` once their module has been executed."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _PENDING:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _RunAfter(spec.loader)
                return spec
            if spec is not None:
                return spec
        return None


class _RunAfter(importlib.abc.Loader):
    """A loader that executes the module with ``loader`` and then the pending callbacks."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self.loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: types.ModuleType) -> None:
        self.loader.exec_module(module)
        for callback in _PENDING.pop(module.__name__, []):
            _run(callback, module.__name__)

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, ...
        return getattr(self.loader, name)


def _run(callback: Callable[[], None], module: str) -> None:
    """Run one callback; a failure warns instead of failing the user's ``import module``."""
    try:
        callback()
    except Exception as exc:  # reported as a warning, never swallowed silently
        import warnings

        warnings.warn(
            f"rlref: the hook run after importing {module!r} failed ({type(exc).__name__}: {exc}); "
            f"{module} itself imported normally",
            RuntimeWarning,
            stacklevel=2,
        )


_FINDER = _PostImportFinder()


def when_imported(module: str, callback: Callable[[], None]) -> None:
    """Call ``callback()`` once ``module`` is imported: now if it already is, else right after.

    How the library registers its Gymnasium environments without importing Gymnasium
    (about 0.1 s) in a script that never uses it: ``import rlcore`` asks to be told when
    ``gymnasium`` is imported, and registers the ``rlref/`` ids then, before
    ``gymnasium.make`` can be called.

    Parameters
    ----------
    module : str
        A top-level module name, e.g. ``"gymnasium"``.
    callback : callable
        Called with no arguments, at most once.
    """
    if module in sys.modules:
        _run(callback, module)
        return
    _PENDING.setdefault(module, []).append(callback)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
