"""Run a sweep serially, on the local cores (joblib/loky) or on a Ray cluster.

The user code is the same for every backend: a module-level function
``run_fn(config: dict, seed: int) -> dict`` and a :class:`~rlcore.experiments.Sweep`.
Each finished run is appended to the sweep's record store as soon as it finishes
(:mod:`rlcore.experiments.store`), so a sweep that is interrupted (Ctrl-C, a crash,
a killed job) is resumed by calling :func:`run_sweep` again with the same arguments:
runs already recorded as successful are never run again, and failed ones are retried
(unless ``retry_failed=False``).

Backends
--------
``"serial"``
    In this process, one run after the other.
``"loky"``
    ``n_jobs`` worker processes on this machine (joblib's loky backend; default: as
    many as joblib counts usable cores). Workers are started with the thread-limit
    environment variables set and are reused between sweeps.
``"ray"``
    Ray tasks of one CPU each, at most ``n_jobs`` in flight (default: twice the
    cluster's CPUs). Call ``ray.init(address=...)`` first to use a cluster; if Ray is
    not initialised, a local one is started (``ray.init(num_cpus=n_jobs)``) and shut
    down when the sweep ends. Ray re-executes a run whose worker died (a lost node,
    an out-of-memory kill) up to 3 times; if it still cannot finish it is recorded
    as failed and the sweep goes on. Needs the ``ray`` extra. On a cluster, every
    node needs rlcore and the module that defines ``run_fn`` (install them, or ship
    the code with ``ray.init(runtime_env={"working_dir": ...})``).

Only the calling process writes records, as results arrive from the workers: the
output directory needs to exist on that machine only, and the workers need no shared
file system.

With loky and Ray, ``run_fn`` is pickled (by reference when it lives in an importable
module; a function of the ``__main__`` script is shipped by value) and so must be a
module-level function or another picklable callable; :func:`run_sweep` checks this
for every backend, so that a sweep that runs serially also runs in parallel.

Failures
--------
An exception raised by ``run_fn`` (or a result that is not a dict of JSON-like data)
is caught and recorded as a failed run, with its traceback; the other runs go on. An
exception that is not an :class:`Exception` (``KeyboardInterrupt``, ``SystemExit``)
stops the sweep, as does the death of a loky worker (the runs it was executing are not
recorded and run again on resume).
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import pickle
import socket
import time
import traceback
import warnings
from collections.abc import Callable, Generator
from contextlib import nullcontext
from typing import Any

from rlcore.experiments._json import to_jsonable
from rlcore.experiments.store import _check_out_dir, _RecordStore
from rlcore.experiments.sweep import Run, Sweep
from rlcore.experiments.threads import MAX_THREADS, _ensure_worker_limit, limit_threads
from rlcore.progress import PROGRESS, progress_bar
from rlcore.validation import (
    Bool,
    Instance,
    Integer,
    InvalidParameterError,
    InvalidParameterTypeError,
    IsCallable,
    Options,
    Path,
    Real,
    validate_params,
)

__all__ = ["BACKENDS", "RunFn", "run_sweep"]

#: The backends :func:`run_sweep` accepts.
BACKENDS: tuple[str, ...] = ("serial", "loky", "ray")

#: The signature of a run function: ``run_fn(config, seed) -> dict``.
RunFn = Callable[[dict, int], dict]

# (key, config_key, canonical config, seed_index, seed): what a worker needs of a run
_Spec = tuple[str, str, dict, int, int]


# ----------------------------------------------------------------------------- worker side
def _base_record(spec: _Spec) -> dict[str, Any]:
    key, config_key, config, seed_index, seed = spec
    return {"key": key, "config_key": config_key, "config": config, "seed_index": seed_index, "seed": seed}


def _meta(wall_s: float, backend: str) -> dict[str, Any]:
    return {
        "wall_s": wall_s,
        "finished_at": time.time(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "backend": backend,
    }


def _failed(spec: _Spec, error: str, tb: str, wall_s: float, backend: str) -> dict[str, Any]:
    record = _base_record(spec)
    record.update(status="failed", result=None, error=error, traceback=tb, meta=_meta(wall_s, backend))
    return record


class _Interrupted:
    """What a worker returns when ``run_fn`` raised a BaseException that is not an
    Exception (KeyboardInterrupt, SystemExit, ...): the parent records every run that
    arrived before it, then raises it (private)."""

    def __init__(self, exc: BaseException) -> None:
        self.text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # an exception that cannot travel between processes
            exc = RuntimeError(f"run_fn raised {type(exc).__name__}: {exc}")
        self.exc = exc.with_traceback(None)

    def reraise(self) -> None:
        raise self.exc from RuntimeError(f"in the worker:\n{self.text}")


def _execute(run_fn: RunFn, spec: _Spec, backend: str, n_threads: int | None) -> Any:
    """Run one run and return its record (a failed one if ``run_fn`` raised an
    Exception); in a worker, a BaseException becomes an :class:`_Interrupted`."""
    if n_threads is not None and backend != "serial":
        _ensure_worker_limit(n_threads)
    config = _copy_config(spec[2])
    t0 = time.perf_counter()
    try:
        out = run_fn(config, spec[4])
        wall_s = time.perf_counter() - t0
        if not isinstance(out, dict):
            raise InvalidParameterTypeError("run_fn", f"must return a dict of results, got {type(out).__name__}")
        result = to_jsonable(out, "result")
    except Exception as exc:
        wall_s = time.perf_counter() - t0
        return _failed(spec, f"{type(exc).__name__}: {exc}", traceback.format_exc(), wall_s, backend)
    except BaseException as exc:
        if backend == "serial":
            raise
        return _Interrupted(exc)
    record = _base_record(spec)
    record.update(status="ok", result=result, error=None, traceback=None, meta=_meta(wall_s, backend))
    return record


def _copy_config(config: Any) -> Any:
    """A fresh deep copy of JSON-native data (a run may mutate its config freely)."""
    if isinstance(config, dict):
        return {k: _copy_config(v) for k, v in config.items()}
    if isinstance(config, list):
        return [_copy_config(v) for v in config]
    return config


# ----------------------------------------------------------------------------- checks
def _callable_name(fn: Any) -> str:
    if isinstance(fn, functools.partial):
        return f"functools.partial({_callable_name(fn.func)})"
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if module is None or qualname is None:
        cls = type(fn)
        module, qualname = cls.__module__, cls.__qualname__
    return f"{module}.{qualname}"


def _check_run_fn(run_fn: Any) -> str:
    try:
        sig = inspect.signature(run_fn)
    except (TypeError, ValueError):  # some builtins and C callables have none
        sig = None
    if sig is not None:
        try:
            sig.bind({}, 0)
        except TypeError:
            raise InvalidParameterTypeError(
                "run_fn",
                f"{_callable_name(run_fn)}{sig} cannot be called as run_fn(config, seed); "
                "expected a function of two positional arguments",
            ) from None
    try:
        pickle.dumps(run_fn)
    except Exception as exc:
        raise InvalidParameterTypeError(
            "run_fn",
            f"{_callable_name(run_fn)} cannot be pickled ({type(exc).__name__}: {exc}), so "
            "worker processes could not receive it; define it with `def` at module level (in an "
            "importable module or the script itself), not as a lambda, a nested function or a "
            "method of a local class",
        ) from None
    return _callable_name(run_fn)


#: Most worker processes (loky) or runs in flight (Ray) of one sweep.
MAX_JOBS: int = 10**4


# ----------------------------------------------------------------------------- backends
def _run_serial(
    run_fn: RunFn, specs: list[_Spec], n_jobs: int | None, n_threads: int | None
) -> Generator[dict, None, None]:
    with limit_threads(n_threads) if n_threads is not None else nullcontext():
        for spec in specs:
            yield _execute(run_fn, spec, "serial", n_threads)


def _run_loky(
    run_fn: RunFn, specs: list[_Spec], n_jobs: int | None, n_threads: int | None
) -> Generator[dict, None, None]:
    try:
        from joblib import Parallel, cpu_count, delayed, parallel_config
        from joblib.externals.loky.process_executor import TerminatedWorkerError
    except ImportError as exc:  # pragma: no cover - joblib is a dependency
        raise ImportError(f"backend='loky' needs joblib (pip install joblib): {exc}") from exc
    n = n_jobs if n_jobs is not None else cpu_count()
    with parallel_config(backend="loky", inner_max_num_threads=n_threads):
        results = Parallel(n_jobs=n, return_as="generator_unordered")(
            delayed(_execute)(run_fn, spec, "loky", n_threads) for spec in specs
        )
        try:
            yield from results
        except TerminatedWorkerError as exc:
            raise RuntimeError(
                "a loky worker process died while executing a run (killed, out of memory, a crash "
                "in compiled code or os._exit in run_fn); the runs that finished are saved, and "
                "calling run_sweep again resumes the sweep"
            ) from exc
        finally:
            results.close()


_RAY_EXECUTE: Any = None


def _run_ray(
    run_fn: RunFn, specs: list[_Spec], n_jobs: int | None, n_threads: int | None
) -> Generator[dict, None, None]:
    try:
        import ray
    except ImportError as exc:
        raise ImportError(f"backend='ray' needs Ray: pip install 'rlref[ray]' ({exc})") from exc
    global _RAY_EXECUTE
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING}
        if n_jobs is not None and "RAY_ADDRESS" not in os.environ:
            kwargs["num_cpus"] = n_jobs
        ray.init(**kwargs)
        started = True
    pending: dict[Any, _Spec] = {}
    try:
        if _RAY_EXECUTE is None:
            _RAY_EXECUTE = ray.remote(num_cpus=1, max_retries=3)(_execute)
        limit = n_jobs if n_jobs is not None else max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
        fn_ref = ray.put(run_fn)
        todo = iter(specs)

        def submit() -> None:
            for spec in todo:
                pending[_RAY_EXECUTE.remote(fn_ref, spec, "ray", n_threads)] = spec
                if len(pending) >= limit:
                    return

        submit()
        while pending:
            done, rest = ray.wait(list(pending), num_returns=1)
            if rest:  # and whatever else has finished meanwhile
                done += ray.wait(rest, num_returns=len(rest), timeout=0)[0]
            for ref in done:
                spec = pending.pop(ref)
                try:
                    record = ray.get(ref)
                except ray.exceptions.RayTaskError:
                    # an error outside run_fn (e.g. a worker cannot import run_fn's module):
                    # it would strike every run, so stop as the other backends do
                    raise
                except ray.exceptions.RayError as exc:  # worker or node lost, retries exhausted
                    record = _failed(spec, f"{type(exc).__name__}: {exc}", "", 0.0, "ray")
                yield record
            submit()
    finally:
        for ref in pending:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # pragma: no cover - already finished or lost: nothing to stop
                pass
        if started:
            ray.shutdown()


_BACKEND_FNS = {"serial": _run_serial, "loky": _run_loky, "ray": _run_ray}


# ----------------------------------------------------------------------------- entry point
@validate_params(
    sweep=Instance(Sweep, what="a rlcore.experiments.Sweep"),
    run_fn=IsCallable("a function run_fn(config, seed) -> dict"),
    out_dir=Path(),
    backend=Options(*BACKENDS),
    n_jobs=Integer(1, MAX_JOBS) | None,
    threads_per_run=Integer(1, MAX_THREADS) | None,
    retry_failed=Bool(),
    progress=PROGRESS,
    sync_interval=Real(0, None),
)
def run_sweep(
    sweep: Sweep,
    run_fn: RunFn,
    out_dir: str | os.PathLike[str],
    *,
    backend: str = "serial",
    n_jobs: int | None = None,
    threads_per_run: int | None = 1,
    retry_failed: bool = True,
    progress: bool | None = None,
    sync_interval: float = 0.0,
) -> list[dict[str, Any]]:
    """Execute every run of ``sweep`` not yet recorded in ``out_dir``; return all records.

    Parameters
    ----------
    sweep : Sweep
        Configurations times seeds.
    run_fn : callable
        ``run_fn(config: dict, seed: int) -> dict``, defined at module level (see the
        module docstring). ``config`` is a fresh JSON-native copy of the
        configuration; ``seed`` an int in ``[0, 2**63)`` (see
        :class:`~rlcore.experiments.Sweep`), e.g. for ``numpy.random.default_rng``.
        The returned dict may hold NumPy arrays and scalars: they are stored as
        lists and numbers, float64 exactly.
    out_dir : str or path
        The sweep's directory (created if missing): its manifest and records. Running
        the same sweep into it again resumes it.
    backend : {"serial", "loky", "ray"}, default "serial"
    n_jobs : int in [1, 10**4], optional
        Worker processes (loky) or runs in flight (Ray). Must be None or 1 for the
        serial backend.
    threads_per_run : int in [1, 10**4] or None, default 1
        Threads each run may use in BLAS, OpenMP, Numba and torch
        (:func:`~rlcore.experiments.limit_threads`), in every backend (the serial
        backend restores the previous settings afterwards). None leaves the thread
        settings alone (loky then gives each worker ``cores // n_jobs`` threads).
    retry_failed : bool, default True
        Run again the runs recorded as failed. Successful runs never run again.
    progress : bool or None, default None
        Show a progress bar over the runs on standard error (see
        :mod:`rlcore.progress`); None follows :func:`rlcore.set_progress` (off by
        default).
    sync_interval : float, default 0.0
        Seconds between two ``fsync`` of the record file. Every record is written to
        the file (handed to the operating system) as soon as its run finishes, so
        that an interrupted or crashed sweep never loses a finished run; with 0 each
        record is also forced to the disk at once, so that not even a power cut or a
        crash of the machine loses one. A positive value syncs only when that many
        seconds have passed since the last sync, and when the sweep ends: a crash of
        the machine may then lose the records written since the last sync (their
        runs run again on resume). Use e.g. 1.0 for sweeps of many very short runs
        on a slow or network file system, where one ``fsync`` can cost milliseconds.

    Returns
    -------
    list of dict
        One record per run, in the order of :meth:`Sweep.runs`: those found in
        ``out_dir`` and those run now, exactly as stored (see
        :mod:`rlcore.experiments.store` for the fields).

    Raises
    ------
    InvalidParameterTypeError
        If ``sweep`` is not a Sweep, or ``run_fn`` is not a function of
        ``(config, seed)`` that can be pickled (a lambda or a nested function).
    InvalidParameterError
        If ``out_dir`` holds the records of another sweep, or ``backend`` or
        ``n_jobs`` is invalid.
    RuntimeError
        If another process is running a sweep into ``out_dir``, or a loky worker
        died (rerun to resume).
    ImportError
        If ``backend="ray"`` and Ray is not installed.

    Warns
    -----
    RuntimeWarning
        If some runs failed (their records say why), or if the last line of the
        record file was torn by an earlier crash.

    Examples
    --------
    >>> import tempfile
    >>> from rlcore.experiments import Sweep, run_sweep
    >>> from rlcore.experiments._demo import noisy_mean  # any module-level function
    >>> sweep = Sweep([{"n": 10}, {"n": 1000}], n_seeds=3, root_seed=0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     records = run_sweep(sweep, noisy_mean, d)
    ...     again = run_sweep(sweep, noisy_mean, d)  # resumes: nothing left to run
    >>> len(records), records[0]["status"], records == again
    (6, 'ok', True)
    """
    run_fn_name = _check_run_fn(run_fn)
    if backend == "serial" and n_jobs not in (None, 1):
        raise InvalidParameterError(
            "n_jobs", f"the serial backend runs one run at a time, got n_jobs={n_jobs}; use backend='loky'"
        )
    path = _check_out_dir(out_dir)

    runs = sweep.runs()
    with _RecordStore(path, sweep, run_fn_name, float(sync_interval)) as store:
        records = {k: v for k, v in store.existing.items()}
        todo = [r for r in runs if _needs_run(records.get(r.key), retry_failed)]
        if todo:
            _execute_all(store, records, todo, run_fn, sweep, backend, n_jobs, threads_per_run, progress)
    out = [records[r.key] for r in runs]
    n_failed = sum(rec["status"] != "ok" for rec in out)
    if n_failed:
        first = next(rec for rec in out if rec["status"] != "ok")
        warnings.warn(
            f"{n_failed} of {len(out)} runs failed (status 'failed'; see their 'error' and "
            f"'traceback' fields), e.g. run {first['key']}: {first['error']}",
            RuntimeWarning,
            stacklevel=2,
        )
    return out


def _needs_run(record: dict[str, Any] | None, retry_failed: bool) -> bool:
    if record is None:
        return True
    return record["status"] != "ok" and retry_failed


def _execute_all(
    store: _RecordStore,
    records: dict[str, dict[str, Any]],
    todo: list[Run],
    run_fn: RunFn,
    sweep: Sweep,
    backend: str,
    n_jobs: int | None,
    n_threads: int | None,
    progress: bool | None,
) -> None:
    specs: list[_Spec] = [(r.key, r.config_key, r.config, r.seed_index, r.seed) for r in todo]
    n_failed = 0
    with progress_bar(
        len(sweep),
        initial=len(sweep) - len(todo),
        desc=sweep.name or "sweep",
        unit="run",
        progress=progress,
        leave=True,
    ) as bar:
        stream: Generator[Any, None, None] = _BACKEND_FNS[backend](run_fn, specs, n_jobs, n_threads)
        try:
            for record in stream:
                if isinstance(record, _Interrupted):
                    record.reraise()
                records[record["key"]] = store.append(record)
                if record["status"] != "ok":
                    n_failed += 1
                    bar.set_postfix(failed=n_failed, refresh=False)
                bar.update(1)
        finally:
            stream.close()  # stops the workers' remaining runs when the loop is left early
