"""The BRIDGE loader against oracles independent of :mod:`rlcore.bridge`.

* the table of sizes in ``rlcore/data/bridge/README.md`` (the files shipped with rlref);
* optimal returns by brute-force search over action sequences on the raw arrays
  (deterministic) and by a memoised expectimax over ``(t, s, previous action)`` on the
  raw arrays (sticky actions);
* the random policy's expected return of the three sticky-action MDPs, and ``min_k``
  of them and of their deterministic versions, from the analysis files the authors'
  repository ships (cassidylaidlaw/effective-horizon,
  ``data/mdps/<name>/consolidated_analyzed{,_sticky_0.25}.json``, fields
  ``random_return`` and ``min_k``; computed there with exact argmax ties and a 1e-4
  optimality tolerance);
* transition rows written out by hand for a tiny file.
"""

from __future__ import annotations

import ast
import functools
import itertools
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rlcore import evaluate_policy, uniform
from rlcore.bridge import SHIPPED_BRIDGE_MDPS, bridge_data_dir, load_bridge_mdp
from rlcore.validation import InvalidParameterError
from tabular import backward_induction
from tabular.effective_horizon import min_k

DATA = bridge_data_dir()

# file, S, A (README table), short horizon for brute force (the value is non-trivial
# there except for KeyCorridor, whose reward needs many steps)
FILES = [
    ("freeway_10_fs30.npz", 197, 3, 6),
    ("maze_easy_l0_30_fs1.npz", 243, 9, 3),
    ("MiniGrid-KeyCorridorS3R1-v0.npz", 168, 6, 5),
    ("MiniGrid-Empty-16x16-DistanceShaped-v0.npz", 784, 3, 6),
]
# random_return of the sticky (q = 0.25) MDPs at the papers' horizons, from the
# authors' analysis files (see the module docstring)
PUBLISHED_STICKY_RANDOM_RETURN = [
    ("freeway_10_fs30.npz", 10, 0.031809488932291664),
    ("maze_easy_l0_30_fs1.npz", 30, 5.5408607728269175),
    ("MiniGrid-KeyCorridorS3R1-v0.npz", 100, 0.0010068890119441542),
]


def _path(name: str) -> Path:
    p = DATA / name
    assert p.is_file(), f"BRIDGE data file {p} is missing from the package (rlcore/data/bridge)"
    return p


def _raw(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return z["transitions"], z["rewards"].astype(np.float64)


def brute_force_deterministic(T: np.ndarray, R: np.ndarray, H: int) -> float:
    """Best return over all A**H action sequences from state 0."""
    best = -np.inf
    for seq in itertools.product(range(T.shape[1]), repeat=H):
        s, ret = 0, 0.0
        for a in seq:
            ret += R[s, a]
            s = int(T[s, a])
            if s < 0:
                break
        best = max(best, ret)
    return best


def expectimax_sticky(T: np.ndarray, R: np.ndarray, H: int, q: float) -> float:
    """Optimal expected return with sticky actions, on the raw arrays."""
    A = T.shape[1]

    @functools.cache
    def v(t: int, s: int, prev: int) -> float:
        if t == H or s < 0:
            return 0.0
        best = -np.inf
        for a in range(A):
            if t == 0 or prev == a:
                val = R[s, a] + v(t + 1, int(T[s, a]), a)
            else:
                val = (1 - q) * (R[s, a] + v(t + 1, int(T[s, a]), a)) + q * (
                    R[s, prev] + v(t + 1, int(T[s, prev]), prev)
                )
            best = max(best, val)
        return best

    return v(0, 0, -1)


# --------------------------------------------------------------------- the four files
@pytest.mark.parametrize(("name", "S", "A", "H"), FILES)
def test_sizes_and_layout(name, S, A, H):
    path = _path(name)
    mdp = load_bridge_mdp(path, H)
    assert (mdp.n_states, mdp.n_actions) == (S + 1, A)
    assert mdp.horizon == H and mdp.gamma is None and mdp.is_sparse
    assert mdp.initial[0] == 1.0 and mdp.initial.sum() == 1.0
    assert np.flatnonzero(mdp.terminal).tolist() == [S]
    sticky = load_bridge_mdp(str(path), H, sticky_prob=0.25)
    assert (sticky.n_states, sticky.n_actions) == (S * A + 2, A)
    assert np.flatnonzero(sticky.terminal).tolist() == [S * A + 1]


@pytest.mark.parametrize(("name", "S", "A", "H"), FILES)
def test_optimal_value_matches_brute_force_over_action_sequences(name, S, A, H):
    T, R = _raw(_path(name))
    expected = brute_force_deterministic(T, R, H)
    got = backward_induction(load_bridge_mdp(_path(name), H)).V[0, 0]
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("name", "S", "A", "H"), FILES)
def test_sticky_optimal_value_matches_expectimax(name, S, A, H):
    T, R = _raw(_path(name))
    H = H + 2  # memoised, so longer horizons stay cheap
    sticky = backward_induction(load_bridge_mdp(_path(name), H, sticky_prob=0.25)).V[0, 0]
    assert sticky == pytest.approx(expectimax_sticky(T, R, H, 0.25), rel=1e-12, abs=1e-12)
    # sticky actions can only hurt: every realised action sequence is available without them
    det = backward_induction(load_bridge_mdp(_path(name), H)).V[0, 0]
    assert sticky <= det + 1e-12


@pytest.mark.parametrize(("name", "H", "expected"), PUBLISHED_STICKY_RANDOM_RETURN)
def test_sticky_random_return_matches_the_authors_analysis(name, H, expected):
    mdp = load_bridge_mdp(_path(name), H, sticky_prob=0.25)
    v = evaluate_policy(mdp, uniform(mdp.n_states, mdp.n_actions, H)).V[0, 0]
    assert v == pytest.approx(expected, rel=1e-9)


# min_k of the deterministic and sticky MDPs in the same analysis files (field "min_k"
# of consolidated_analyzed.json and consolidated_analyzed_sticky_0.25.json): 1 for all six
@pytest.mark.parametrize("sticky_prob", [0.0, 0.25])
@pytest.mark.parametrize(("name", "H"), [(n, h) for n, h, _ in PUBLISHED_STICKY_RANDOM_RETURN])
def test_min_k_matches_the_authors_analysis(name, H, sticky_prob):
    assert min_k(load_bridge_mdp(_path(name), H, sticky_prob=sticky_prob)) == 1


# ------------------------------------------------------------- shipped with the package
ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_files_are_the_four_mdps_and_their_readme():
    assert DATA == ROOT / "rlcore" / "data" / "bridge"
    names = sorted(p.name for p in DATA.iterdir() if not p.name.startswith("."))
    assert names == sorted([f"{n}.npz" for n in SHIPPED_BRIDGE_MDPS] + ["README.md"])
    assert sorted(f for f, *_ in FILES) == sorted(f"{n}.npz" for n in SHIPPED_BRIDGE_MDPS)
    assert sum(p.stat().st_size for p in DATA.glob("*.npz")) < 64_000  # small files
    for name in SHIPPED_BRIDGE_MDPS:  # two plain arrays, no pickled objects
        with zipfile.ZipFile(DATA / f"{name}.npz") as zf:
            assert sorted(zf.namelist()) == ["rewards.npy", "transitions.npy"]


def test_the_shipped_files_are_package_data():
    # the line '"rlcore" = [...]' of [tool.setuptools.package-data] (no tomllib on 3.10)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    (line,) = [ln for ln in section.splitlines() if ln.startswith('"rlcore" =')]
    globs = ast.literal_eval(line.split("=", 1)[1].strip())
    pkg = ROOT / "rlcore"
    for p in DATA.iterdir():
        assert any(p.relative_to(pkg).match(g) for g in globs), f"{p} is not declared as package data"


def test_the_readme_states_source_licence_and_the_table():
    text = (DATA / "README.md").read_text(encoding="utf-8")
    for needed in (
        "Laidlaw",
        "Bridging RL Theory and Practice with the",
        "NeurIPS 2023",
        "https://github.com/cassidylaidlaw/effective-horizon",
        "CC-BY-4.0",
    ):
        assert needed in text
    rows = {line.split("|")[1].strip(): line.split("|")[3:5] for line in text.splitlines() if ".npz |" in line}
    assert sorted(rows) == sorted(f"{n}.npz" for n in SHIPPED_BRIDGE_MDPS)
    for fname, S, A, _ in FILES:
        size, horizon = (c.strip() for c in rows[fname])
        assert size == f"{S} x {A}"
        H = SHIPPED_BRIDGE_MDPS[fname.removesuffix(".npz")]
        assert horizon == (str(H) if H is not None else "not recorded here")


@pytest.mark.parametrize("name", sorted(SHIPPED_BRIDGE_MDPS))
def test_a_shipped_name_loads_the_shipped_file(name):
    H = SHIPPED_BRIDGE_MDPS[name] or 5
    by_name = load_bridge_mdp(name, H, sticky_prob=0.25)
    by_path = load_bridge_mdp(DATA / f"{name}.npz", H, sticky_prob=0.25)
    assert (by_name.P != by_path.P).nnz == 0 and np.array_equal(by_name.R, by_path.R)
    assert by_name.horizon == H


def test_a_bare_name_that_is_no_shipped_mdp(tmp_path, monkeypatch):
    with pytest.raises(InvalidParameterError, match=r"^path: freeway: no such file, and not the name of a shipped"):
        load_bridge_mdp("freeway", 3)
    # a bare name of a file in the working directory is still that file
    np.savez(tmp_path / "mine", transitions=np.array([[0]]), rewards=np.ones((1, 1), np.float32))
    (tmp_path / "mine.npz").rename(tmp_path / "mine")
    monkeypatch.chdir(tmp_path)
    assert load_bridge_mdp("mine", 2).n_states == 2


# ----------------------------------------------------------------- a hand-made file
@pytest.fixture
def tiny(tmp_path):
    # 3 states, 2 actions; state 2 action 0 ends the episode
    T = np.array([[1, 2], [2, 0], [-1, 1]], dtype=np.int64)
    R = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=np.float32)
    path = tmp_path / "tiny.npz"
    np.savez(path, transitions=T, rewards=R)
    return path, T, R


def test_tiny_deterministic_rows(tiny):
    path, T, R = tiny
    mdp = load_bridge_mdp(path, 4)
    P = mdp.P.toarray().reshape(4, 2, 4)
    expected = np.zeros((4, 2, 4))
    for s, a in itertools.product(range(3), range(2)):
        expected[s, a, T[s, a] if T[s, a] >= 0 else 3] = 1.0
    expected[3, :, 3] = 1.0
    np.testing.assert_array_equal(P, expected)
    np.testing.assert_array_equal(mdp.R, np.vstack([R, [[0.0, 0.0]]]))


def test_tiny_sticky_rows(tiny):
    path, T, R = tiny
    q = 0.25
    mdp = load_bridge_mdp(path, 4, sticky_prob=q)
    S, A = 3, 2
    n = S * A + 2  # 0 = start, 1 + s*A + p = (s, prev p), 7 = terminal
    assert mdp.n_states == n
    P = mdp.P.toarray().reshape(n, A, n)

    def idx(s: int, p: int) -> int:
        return 7 if s < 0 else 1 + s * A + p

    # start state: not sticky; file state 0 --a--> (T[0, a], a)
    np.testing.assert_array_equal(P[0, 0], np.eye(n)[idx(1, 0)])
    np.testing.assert_array_equal(P[0, 1], np.eye(n)[idx(2, 1)])
    np.testing.assert_allclose(mdp.R[0], [1.0, 2.0])
    # (s=1, prev=0), action 1: w.p. 0.75 execute 1 -> (0, 1), w.p. 0.25 repeat 0 -> (2, 0)
    row = np.zeros(n)
    row[idx(0, 1)] = 0.75
    row[idx(2, 0)] = 0.25
    np.testing.assert_allclose(P[idx(1, 0), 1], row)
    assert mdp.R[idx(1, 0), 1] == pytest.approx(0.75 * 4.0 + 0.25 * 3.0)
    # (s=1, prev=0), action 0: the same action either way
    np.testing.assert_array_equal(P[idx(1, 0), 0], np.eye(n)[idx(2, 0)])
    assert mdp.R[idx(1, 0), 0] == 3.0
    # (s=2, prev=1), action 0: executing 0 ends the episode, repeating 1 -> (1, 1)
    row = np.zeros(n)
    row[7] = 0.75
    row[idx(1, 1)] = 0.25
    np.testing.assert_allclose(P[idx(2, 1), 0], row)
    assert mdp.R[idx(2, 1), 0] == pytest.approx(0.75 * 5.0 + 0.25 * 6.0)
    # terminal: absorbing, zero reward
    np.testing.assert_array_equal(P[7], np.tile(np.eye(n)[7], (A, 1)))
    np.testing.assert_array_equal(mdp.R[7], [0.0, 0.0])
    assert mdp.terminal.tolist() == [False] * 7 + [True]


def test_tiny_sticky_extremes(tiny):
    path, T, R = tiny
    H = 5
    Rd = R.astype(np.float64)
    # q = 1: only the first action is ever executed, so the best return is that of the
    # best constant action sequence
    const = []
    for a in range(2):
        s, ret = 0, 0.0
        for _ in range(H):
            if s < 0:
                break
            ret += Rd[s, a]
            s = int(T[s, a])
        const.append(ret)
    got = backward_induction(load_bridge_mdp(path, H, sticky_prob=1.0)).V[0, 0]
    assert got == pytest.approx(max(const))
    assert backward_induction(load_bridge_mdp(path, H, sticky_prob=0.4)).V[0, 0] == pytest.approx(
        expectimax_sticky(T, Rd, H, 0.4)
    )
    # the deterministic value by brute force
    assert backward_induction(load_bridge_mdp(path, H)).V[0, 0] == pytest.approx(brute_force_deterministic(T, Rd, H))


# ----------------------------------------------------------------------------- errors
def test_bad_files(tmp_path):
    T = np.array([[0, -1]], dtype=np.int64)
    R = np.zeros((1, 2), dtype=np.float32)
    cases = {
        "missing.npz": dict(transitions=T),
        "float_t.npz": dict(transitions=T.astype(np.float64), rewards=R),
        "int_r.npz": dict(transitions=T, rewards=np.zeros((1, 2), dtype=np.int64)),
        "shape.npz": dict(transitions=T, rewards=np.zeros((2, 2), dtype=np.float32)),
        "range.npz": dict(transitions=np.array([[0, 1]]), rewards=R),
        "neg.npz": dict(transitions=np.array([[0, -2]]), rewards=R),
        "nan.npz": dict(transitions=T, rewards=np.array([[0.0, np.nan]], dtype=np.float32)),
        "ndim.npz": dict(transitions=np.zeros(3, dtype=np.int64), rewards=np.zeros(3, dtype=np.float32)),
        "pickle.npz": dict(transitions=np.array([None, 1], dtype=object), rewards=R),
    }
    for fname, arrays in cases.items():
        p = tmp_path / fname
        np.savez(p, **arrays)
        with pytest.raises(ValueError, match=rf"^path: .*{fname}"):
            load_bridge_mdp(p, 3)
    good = tmp_path / "good.npz"
    np.savez(good, transitions=T, rewards=R)
    with pytest.raises(ValueError, match="horizon"):
        load_bridge_mdp(good, 0)
    with pytest.raises(ValueError, match="sticky_prob"):
        load_bridge_mdp(good, 3, sticky_prob=1.5)
    with pytest.raises(TypeError, match="sticky_prob"):
        load_bridge_mdp(good, 3, sticky_prob=True)
    with pytest.raises(TypeError, match="path"):
        load_bridge_mdp(3, 3)
    with pytest.raises(ValueError, match=r"^path: .*absent\.npz: no such file"):
        load_bridge_mdp(tmp_path / "absent.npz", 3)


@pytest.mark.parametrize("keep", [0, 10, 60, -30, -1])
def test_truncated_or_empty_file_is_a_value_error_naming_path(tmp_path, keep):
    """Issue 17: BadZipFile / EOFError used to escape on truncated or empty files."""
    good = tmp_path / "good.npz"
    np.savez(good, transitions=np.array([[1, -1], [-1, 0]]), rewards=np.zeros((2, 2), np.float32))
    raw = good.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(raw[:keep] if keep >= 0 else raw[: len(raw) + keep])
    with pytest.raises(InvalidParameterError, match=r"^path: .*cut\.npz: "):
        load_bridge_mdp(cut, 3)


def test_compressed_bridge_file_is_read_and_bombs_are_refused(tmp_path):
    T, R = np.array([[1, -1], [-1, 0]]), np.array([[0.0, 1.0], [2.0, 0.0]], np.float32)
    packed = tmp_path / "packed.npz"
    np.savez_compressed(packed, transitions=T, rewards=R, frames=np.zeros((4, 8, 8)))
    assert load_bridge_mdp(packed, 3).n_states == 3
    bomb = tmp_path / "bomb.npz"  # header says 2 x 2, the zip entry inflates to 64 MB
    header = repr({"descr": "<f4", "fortran_order": False, "shape": (2, 2)}).encode() + b"\n"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("transitions.npy", _npy(T))
        with zf.open("rewards.npy", "w", force_zip64=True) as fh:
            fh.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header)
            for _ in range(16):
                fh.write(bytes(1 << 22))
    with pytest.raises(InvalidParameterError, match=r"^path: .*bomb\.npz: member 'rewards' declares shape \(2, 2\)"):
        load_bridge_mdp(bomb, 3)


def _npy(arr: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()
