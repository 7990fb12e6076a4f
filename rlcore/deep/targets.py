"""NumPy target and input encodings of the deep regressors (torch is not needed here).

* :func:`hl_gauss_probs`: the HL-Gauss target of a scalar, a normal histogrammed on
  fixed bins (Farebrother et al. 2024), the target of
  :class:`~rlcore.deep.MLPRegressor` with ``loss="hl_gauss"``;
* :func:`two_hot`: the two-hot (C51) encoding of a scalar on an evenly spaced support,
  the target of the categorical head of :class:`~rlcore.deep.DistributionalMLPRegressor`
  (for the projection of a whole distribution onto a support, see
  :func:`rlcore.categorical_projection`);
* :func:`one_hot`: the input encoding of a tabular problem.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import erf, erfc

from rlcore.validation import Array, Integer, InvalidParameterError, Real, validate_params

__all__ = [
    "MAX_BINS",
    "MAX_ONE_HOT_ENTRIES",
    "hl_gauss_probs",
    "one_hot",
    "two_hot",
]

#: Most bins (HL-Gauss) or atoms (categorical / quantile heads) of a head.
MAX_BINS: int = 10**5
#: Most entries of a one-hot matrix :func:`one_hot` builds (8 GB of float64).
MAX_ONE_HOT_ENTRIES: int = 10**9


def _check_support(lo: float, hi: float, names: tuple[str, str] = ("support_min", "support_max")) -> None:
    """The ends of a support (already checked reals) must be ordered with a finite width."""
    if not lo < hi:
        raise InvalidParameterError(names[1], f"expected {names[0]} < {names[1]}, got ({lo!r}, {hi!r})")
    if not np.isfinite(hi - lo):
        raise InvalidParameterError(names[1], f"the width {names[1]} - {names[0]} overflows, got ({lo!r}, {hi!r})")


def _hl_gauss_probs(yv: np.ndarray, lo: float, hi: float, n_bins: int, sigma: float | None) -> np.ndarray:
    """:func:`hl_gauss_probs` on checked arguments (called once per minibatch in training)."""
    width = (hi - lo) / n_bins
    sig = 0.75 * width if sigma is None else sigma
    yc = np.clip(yv, lo, hi)
    edges = np.linspace(lo, hi, n_bins + 1)
    with np.errstate(over="ignore", under="ignore"):
        z = (edges[None, :] - yc[:, None]) / (sig * np.sqrt(2.0))
        a, b = z[:, :-1], z[:, 1:]
        # 2 * (Phi(b) - Phi(a)) from the side where it does not cancel: erfc in the
        # tails, erf (accurate near 0, no cancellation across 0) in the centre.
        mass = np.where(
            a >= 1.0,
            erfc(a) - erfc(b),
            np.where(b <= -1.0, erfc(-b) - erfc(-a), erf(b) - erf(a)),
        )
        mass = np.maximum(mass, 0.0)
        total = mass.sum(axis=1, keepdims=True)
        flat = ~(total > 1e-250)
        if np.any(flat):
            # sigma so large (> ~1e250 support widths) that the bin masses underflow:
            # the density is flat on the support, each bin gets its midpoint density.
            mid = 0.5 * (a + b)
            mass = np.where(flat, np.exp(-(mid**2)), mass)
            total = mass.sum(axis=1, keepdims=True)
    return np.asarray(mass / total, dtype=np.float64)


@validate_params(
    y=Array(ndim=1, min_size=0),
    support_min=Real(),
    support_max=Real(),
    n_bins=Integer(2, MAX_BINS),
    sigma=Real(0, None, closed="neither") | None,
)
def hl_gauss_probs(
    y: Any,
    support_min: float,
    support_max: float,
    n_bins: int,
    sigma: float | None = None,
) -> np.ndarray:
    """HL-Gauss target distributions: a Normal(y, sigma) histogrammed on fixed bins.

    The support :math:`[v_{\\min}, v_{\\max}]` is cut into ``n_bins`` bins of equal width
    :math:`w = (v_{\\max} - v_{\\min}) / m` with edges :math:`e_0 < \\dots < e_m`. Bin
    :math:`i` gets the mass the normal distribution :math:`\\mathcal N(y, \\sigma^2)`
    puts on it, renormalised by the mass on the whole support:

    .. math:: p_i(y) = \\frac{\\Phi((e_{i+1} - y)/\\sigma) - \\Phi((e_i - y)/\\sigma)}
              {\\Phi((e_m - y)/\\sigma) - \\Phi((e_0 - y)/\\sigma)}.

    Parameters
    ----------
    y : array_like of shape (n,)
        Finite scalar targets. Values outside the support are **clamped** to its nearest
        end before smoothing (as in the paper: a classification head can only represent
        values inside its support); choose the support to cover the targets.
    support_min, support_max : float
        Finite ends of the support, ``support_min < support_max`` with a finite width.
    n_bins : int in [2, 10**5]
        Number of bins.
    sigma : float or None, default None
        Standard deviation of the smoothing normal, ``> 0``. Default ``0.75 * w``, the
        ratio :math:`\\sigma / w = 0.75` recommended by Farebrother et al. (2024).

    Returns
    -------
    ndarray of shape (n, n_bins)
        Row ``k`` is the target distribution of ``y[k]``; each row sums to 1 and
        :math:`\\sum_i p_i(y) c_i \\approx y` for bin centres :math:`c_i` and ``y`` a few
        ``sigma`` inside the support.

    Notes
    -----
    Each bin's mass is computed where it is accurate (differences of ``erfc`` in the
    tails, of ``erf`` in the centre), so rows are free of cancellation for any
    ``sigma`` and never NaN. For a ``sigma`` so large that every bin's mass underflows
    (over ~1e250 support widths) each bin gets its midpoint density instead, the
    ``sigma -> infinity`` limit (uniform).

    References
    ----------
    .. [1] Farebrother, J., Orbay, J., Vuong, Q., Taiga, A. A., Chebotar, Y., Xiao, T.,
       Irpan, A., Levine, S., Castro, P. S., Faust, A., Kumar, A. and Agarwal, R. (2024).
       Stop regressing: training value functions via classification for scalable deep
       RL. *ICML 2024*, Section 3.1 and Figure 3.
    .. [2] Imani, E. and White, M. (2018). Improving regression performance with
       distributional losses. *ICML 2018*.

    Examples
    --------
    >>> p = hl_gauss_probs([0.5, 2.0], 0.0, 2.0, n_bins=4)
    >>> p.shape, np.allclose(p.sum(axis=1), 1.0)
    ((2, 4), True)
    >>> centres = np.linspace(0.25, 1.75, 4)
    >>> bool(abs(p[0] @ centres - 0.5) < 0.25)
    True
    """
    _check_support(support_min, support_max)
    return _hl_gauss_probs(y, support_min, support_max, n_bins, sigma)


def _two_hot(yv: np.ndarray, lo: float, hi: float, n_atoms: int) -> np.ndarray:
    """:func:`two_hot` on checked arguments (called once per minibatch)."""
    delta = (hi - lo) / (n_atoms - 1)
    b = np.clip((np.clip(yv, lo, hi) - lo) / delta, 0.0, n_atoms - 1)
    low = np.minimum(np.floor(b).astype(np.int64), n_atoms - 1)
    up = np.minimum(low + 1, n_atoms - 1)
    frac = b - low
    rows = np.arange(yv.shape[0])
    out = np.zeros((yv.shape[0], n_atoms), dtype=np.float64)
    out[rows, low] = 1.0 - frac
    out[rows, up] += frac
    return out


@validate_params(y=Array(ndim=1, min_size=0), support_min=Real(), support_max=Real(), n_atoms=Integer(2, MAX_BINS))
def two_hot(y: Any, support_min: float, support_max: float, n_atoms: int) -> np.ndarray:
    """The two-hot encoding of scalar targets on a fixed evenly spaced support (the C51 target).

    With atoms :math:`z_j = v_{\\min} + j\\,\\Delta`, :math:`\\Delta = (v_{\\max} -
    v_{\\min})/(N-1)`, a target :math:`y` (clamped to the support) is split between its
    two neighbouring atoms :math:`z_l \\le y \\le z_{l+1}` in proportion to proximity:

    .. math:: p_l = (z_{l+1} - y)/\\Delta, \\quad p_{l+1} = (y - z_l)/\\Delta.

    This is the projection :math:`\\Phi` of Bellemare et al. (2017) applied to a Dirac
    at :math:`y`; it preserves the mean, and is the Cramér-distance (:math:`\\ell_2`
    between CDFs) projection onto distributions supported on the atoms (Rowland et al.
    2018).

    Parameters
    ----------
    y : array_like of shape (n,)
        Finite targets; values outside the support are **clamped** to it (as C51 does).
    support_min, support_max : float
        Finite ends of the support, ``support_min < support_max`` with a finite width.
    n_atoms : int in [2, 10**5]
        Number of atoms.

    Returns
    -------
    ndarray of shape (n, n_atoms)
        Row ``k`` has at most two non-zero (adjacent) entries and sums to 1.

    References
    ----------
    .. [1] Bellemare, M. G., Dabney, W. and Munos, R. (2017). A distributional
       perspective on reinforcement learning. *ICML 2017*, Algorithm 1.
    .. [2] Rowland, M., Bellemare, M. G., Dabney, W., Munos, R. and Teh, Y. W. (2018).
       An analysis of categorical distributional reinforcement learning. *AISTATS
       2018*, Proposition 1.

    Examples
    --------
    >>> two_hot([0.5, 1.0, 7.0], 0.0, 2.0, n_atoms=3)
    array([[0.5, 0.5, 0. ],
           [0. , 1. , 0. ],
           [0. , 0. , 1. ]])
    """
    _check_support(support_min, support_max)
    return _two_hot(y, support_min, support_max, n_atoms)


@validate_params(indices=Array(ndim=1, min_size=0), n=Integer(1, MAX_ONE_HOT_ENTRIES))
def one_hot(indices: Any, n: int) -> np.ndarray:
    """One-hot encode integer indices: the input encoding of a tabular problem.

    Parameters
    ----------
    indices : array_like of shape (m,), integer-valued
        Indices in ``[0, n)``.
    n : int in [1, 10**9]
        Number of categories; the result has at most 10**9 entries ``m * n``.

    Returns
    -------
    ndarray of shape (m, n), float64
        Row ``k`` is the ``indices[k]``-th unit vector.

    Examples
    --------
    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    idx = indices
    if np.any(idx != np.round(idx)):
        i = int(np.flatnonzero(idx != np.round(idx))[0])
        raise InvalidParameterError("indices", f"expected integers, found {idx[i]!r} at index {i}")
    bad = (idx < 0) | (idx >= n)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InvalidParameterError("indices", f"expected values in [0, {n}), found {idx[i]!r} at index {i}")
    if idx.shape[0] * n > MAX_ONE_HOT_ENTRIES:
        raise InvalidParameterError(
            "n", f"a one-hot matrix of shape ({idx.shape[0]}, {n}) has more than {MAX_ONE_HOT_ENTRIES} entries"
        )
    out = np.zeros((idx.shape[0], n), dtype=np.float64)
    out[np.arange(idx.shape[0]), idx.astype(np.int64)] = 1.0
    return out
