"""The progress layer (:mod:`rlcore.progress`): the switch, the bars, the compile notice."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import rlcore
from rlcore.progress import compile_notice, progress_bar, resolve_progress

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_switch_is_off_by_default_and_none_follows_it() -> None:
    assert rlcore.progress_enabled() is False
    assert resolve_progress(None) is False and resolve_progress(True) is True
    with rlcore.progress_switch(True):
        assert resolve_progress(None) is True and resolve_progress(False) is False
        with rlcore.progress_switch(False):
            assert resolve_progress(None) is False
        assert rlcore.progress_enabled() is True
    assert rlcore.progress_enabled() is False


def test_set_progress_turns_the_switch_and_refuses_non_bools() -> None:
    try:
        rlcore.set_progress(True)
        assert rlcore.progress_enabled()
    finally:
        rlcore.set_progress(False)
    with pytest.raises(TypeError, match="^enabled: "):
        rlcore.set_progress(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^progress: "):
        progress_bar(3, desc="x", progress="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["1", "true", "ON"])
def test_the_environment_variable_sets_the_switch_at_import(value: str) -> None:
    out = _run("import rlcore; print(rlcore.progress_enabled())", {"RLREF_PROGRESS": value})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
    off = _run("import rlcore; print(rlcore.progress_enabled())", {"RLREF_PROGRESS": "0"})
    assert off.stdout.strip() == "False"


def test_a_bar_writes_to_stderr_only_when_on(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar(5, desc="quiet-bar", progress=False) as bar:
        bar.update(5)
    with progress_bar(5, desc="loud-bar", progress=True, unit="episode") as bar:
        bar.update(5)
    with rlcore.progress_switch(True), progress_bar(2, desc="switch-bar") as bar:
        bar.update(2)
    out, err = capsys.readouterr()
    assert out == ""
    assert "quiet-bar" not in err
    assert "loud-bar" in err and "episode" in err
    assert "switch-bar" in err


_KERNEL_MODULE = """
from numba import njit

@njit(cache=True)
def twice(x):
    return 2.0 * x
"""

_USE_KERNEL = """
import sys
sys.path.insert(0, {dir!r})
import rlcore
from rlcore.progress import compile_notice
import kern
with compile_notice([kern], "demo.twice", progress={progress}) as n:
    kern.twice(1.0)
print("n =", n)
"""


def test_the_compile_notice_speaks_before_a_cold_compile_only(tmp_path: Path) -> None:
    """A fresh cache: the first process announces the compile; the second finds it cached and is silent."""
    (tmp_path / "kern.py").write_text(_KERNEL_MODULE)
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    quiet = _run(_USE_KERNEL.format(dir=str(tmp_path), progress=False), env)
    assert quiet.returncode == 0, quiet.stderr
    assert "n = 0" in quiet.stdout and "compiling" not in quiet.stderr
    # progress off compiled and cached it; clear the cache to see a cold start with progress on
    import shutil

    shutil.rmtree(tmp_path / "cache")
    cold = _run(_USE_KERNEL.format(dir=str(tmp_path), progress=True), env)
    assert cold.returncode == 0, cold.stderr
    assert "n = 1" in cold.stdout
    assert "rlref: compiling up to 1 Numba kernel for demo.twice" in cold.stderr
    assert "demo.twice: kernels ready in" in cold.stderr
    warm = _run(_USE_KERNEL.format(dir=str(tmp_path), progress=True), env)
    assert warm.returncode == 0, warm.stderr
    assert "n = 0" in warm.stdout and "compiling" not in warm.stderr


def test_the_compile_notice_ignores_kernels_already_loaded(capsys: pytest.CaptureFixture[str]) -> None:
    from numba import njit

    def _f(x: float) -> float:
        return x + 1.0

    loaded, fresh = njit(_f), njit(_f)  # no disk cache for either
    loaded(1.0)
    with compile_notice([loaded, "not a kernel"], "loaded", progress=True) as n_loaded:
        pass
    assert n_loaded == 0
    assert "compiling" not in capsys.readouterr().err
    with compile_notice([fresh], "fresh", progress=True) as n_fresh:
        fresh(1.0)
    assert n_fresh == 1
    assert "compiling up to 1 Numba kernel for fresh" in capsys.readouterr().err


def test_off_gives_the_shared_silent_bar_and_lazy_bars_wait_for_their_first_update(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from rlcore.progress import NULL_BAR

    assert progress_bar(3, desc="x", progress=False) is NULL_BAR
    with NULL_BAR as bar:
        bar.update(5)
        bar.set_postfix(a=1)
    lazy = progress_bar(None, desc="lazy-bar", progress=True, lazy=True)
    assert "lazy-bar" not in capsys.readouterr().err  # nothing drawn yet
    lazy.update(1)
    lazy.update(1)
    lazy.close()
    err = capsys.readouterr().err
    assert "lazy-bar" in err  # drawn from the first update on (tqdm throttles later redraws)


def test_first_then_bar_yields_every_unit_and_counts_all_but_the_first(capsys: pytest.CaptureFixture[str]) -> None:
    from rlcore.progress import first_then_bar

    assert list(first_then_bar(4, desc="quiet-loop", unit="run", progress=False)) == [0, 1, 2, 3]
    assert list(first_then_bar(0, desc="empty", unit="run", progress=True)) == []
    assert "quiet-loop" not in capsys.readouterr().err
    assert list(first_then_bar(4, desc="loud-loop", unit="run", progress=True)) == [0, 1, 2, 3]
    err = capsys.readouterr().err
    assert "loud-loop" in err and "/4" in err  # a bar over the 4 units, started after the first
