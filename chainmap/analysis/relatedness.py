"""Economic complexity and relatedness on a location x activity matrix.

Every function takes a matrix ``X`` (or a binary presence matrix ``M``)
whose rows are locations (regions, countries, parks ...) and whose columns
are activities (products, industries, chain segments ...).  Dense inputs
are anything :func:`numpy.asarray` understands; :mod:`scipy.sparse` arrays
and matrices are accepted too and kept sparse where that is cheap
(:func:`rca`, :func:`presence`, the matrix products inside the others).

The conventions are those of the Harvard Growth Lab's Stata ``ecomplexity``
package (Hidalgo & Hausmann 2009; Hausmann, Hidalgo et al., *The Atlas of
Economic Complexity*), which the test-suite reproduces on its published
reference outputs:

* RCA is Balassa's index, ``M = RCA >= threshold``;
* proximity is ``phi_pp' = min(P(p|p'), P(p'|p))`` with a **zero diagonal**;
* ECI and PCI come from the eigenvector of the second largest eigenvalue,
  signed so that ECI correlates positively with diversity, and standardised
  with ECI's mean and its standard deviation (``ddof=1``) taken over the
  long location x activity table;
* COI and COG are computed from the un-normalised (unit-norm) PCI
  eigenvector.

>>> X = [[10, 0, 5], [0, 8, 2], [3, 3, 3]]
>>> res = complexity(X)
>>> res["M"]
array([[1., 0., 1.],
       [0., 1., 0.],
       [0., 1., 1.]])
>>> res["diversity"], res["ubiquity"]
(array([2, 1, 2]), array([1, 2, 2]))
>>> res["proximity"]
array([[0. , 0. , 0.5],
       [0. , 0. , 0.5],
       [0.5, 0.5, 0. ]])
>>> res["eci"].round(3)
array([ 1.234, -1.054, -0.18 ])
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Literal, TypeAlias, TypedDict, overload

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from chainmap.exceptions import InvalidInput

__all__ = [
    "ComplexityResult",
    "rca",
    "presence",
    "diversity",
    "ubiquity",
    "proximity",
    "density",
    "eci_pci",
    "coi",
    "cog",
    "complexity",
]

FloatArray: TypeAlias = NDArray[np.float64]
IntArray: TypeAlias = NDArray[np.int64]
#: A dense array-like or a :mod:`scipy.sparse` array / matrix.
MatrixLike: TypeAlias = ArrayLike | sp.sparray | sp.spmatrix
#: What :func:`rca` and :func:`presence` return: same kind as their input.
Matrix: TypeAlias = FloatArray | sp.csr_array


class ComplexityResult(TypedDict):
    """Everything :func:`complexity` computes, keyed by quantity."""

    rca: Matrix
    M: Matrix
    diversity: IntArray
    ubiquity: IntArray
    proximity: FloatArray
    density: FloatArray
    eci: FloatArray
    pci: FloatArray
    pci_raw: FloatArray
    coi: FloatArray
    cog: FloatArray


# --------------------------------------------------------------------------
# validation helpers


def _matrix(X: Any, name: str, *, binary: bool = False) -> Matrix:
    """Return ``X`` as a float64 ndarray or csr_array, or raise InvalidInput."""
    A: Matrix
    values: FloatArray
    if sp.issparse(X):
        S = sp.csr_array(X, dtype=np.float64, copy=True)
        S.sum_duplicates()
        A, values = S, S.data
    else:
        try:
            D = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            msg = f"{name} must be a numeric 2-D array (locations x activities): {exc}"
            raise InvalidInput(msg, field=name) from exc
        A, values = D, D
    if A.ndim != 2:
        msg = f"{name} must be a 2-D array (locations x activities), got {A.ndim}-D with shape {A.shape}"
        raise InvalidInput(msg, field=name)
    if A.shape[0] == 0 or A.shape[1] == 0:
        msg = f"{name} must not be empty, got shape {A.shape}"
        raise InvalidInput(msg, field=name)
    if not np.isfinite(values).all():
        msg = f"{name} must contain finite numbers only (no NaN or inf)"
        raise InvalidInput(msg, field=name)
    if (values < 0).any():
        n_neg = int((values < 0).sum())
        msg = f"{name} must be non-negative, found {n_neg} negative entries (min {values.min()})"
        raise InvalidInput(msg, field=name)
    if binary and not ((values == 0) | (values == 1)).all():
        msg = f"{name} must be a binary presence matrix (only 0 and 1), e.g. the output of presence()"
        raise InvalidInput(msg, field=name)
    if binary and not isinstance(A, np.ndarray):  # csr_array
        A.eliminate_zeros()
    return A


def _proximity_matrix(phi: Any, n: int) -> FloatArray:
    """Validate a proximity matrix for ``n`` activities."""
    P = _matrix(phi.toarray() if sp.issparse(phi) else phi, "phi")
    if P.shape != (n, n):
        msg = f"phi must be a square {n} x {n} matrix (one row/column per activity of M), got {P.shape}"
        raise InvalidInput(msg, field="phi")
    return np.asarray(P)


def _pci_vector(pci_raw: Any, n: int) -> FloatArray:
    """Validate the raw PCI eigenvector; NaN (activities without a PCI) become 0."""
    try:
        kp = np.asarray(pci_raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"pci_raw must be a numeric 1-D array: {exc}"
        raise InvalidInput(msg, field="pci_raw") from exc
    if kp.shape != (n,):
        msg = f"pci_raw must be a 1-D array of length {n} (one value per activity of M), got shape {kp.shape}"
        raise InvalidInput(msg, field="pci_raw")
    if np.isinf(kp).any():
        msg = "pci_raw must not contain inf"
        raise InvalidInput(msg, field="pci_raw")
    return np.nan_to_num(kp, nan=0.0)


def _threshold(threshold: Any) -> float:
    # ``threshold <= 0 or not threshold < inf`` is ``not 0 < threshold < inf`` (NaN included), written
    # with the comparisons numbers.Real declares
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, Real)
        or threshold <= 0
        or not threshold < math.inf
    ):
        msg = f"threshold must be a positive finite number, got {threshold!r}"
        raise InvalidInput(msg, field="threshold")
    return float(threshold)


def _dense(A: Matrix) -> FloatArray:
    return np.asarray(A) if isinstance(A, np.ndarray) else A.toarray()


def _sums(A: Matrix, axis: int) -> FloatArray:
    return np.asarray(A.sum(axis=axis), dtype=np.float64).ravel()


def _safe_inv(v: FloatArray) -> FloatArray:
    """``1 / v`` with 0 where ``v`` is 0."""
    out = np.zeros_like(v, dtype=np.float64)
    np.divide(1.0, v, out=out, where=v > 0)
    return out


def _counts(v: FloatArray) -> IntArray:
    return np.rint(v).astype(np.int64)


def _long_sd(x: FloatArray, n_cols: int) -> float:
    """Standard deviation (ddof=1) of ``x`` repeated ``n_cols`` times (Stata's long table)."""
    n = x.size * n_cols
    if n < 2:
        return math.nan
    return math.sqrt(n_cols * float(np.sum((x - x.mean()) ** 2)) / (n - 1))


# --------------------------------------------------------------------------
# unchecked kernels (inputs already validated)


def _rca(A: Matrix) -> Matrix:
    rows, cols = _sums(A, 1), _sums(A, 0)
    total = rows.sum()
    # a zero total means an all-zero row / column: dividing it by 1 keeps it 0 (never NaN)
    rows = np.where(rows > 0, rows, 1.0)
    shares = np.where(cols > 0, cols / (total if total > 0 else 1.0), 1.0)
    if not isinstance(A, np.ndarray):  # csr_array
        R = A.copy()
        row_of = np.repeat(np.arange(R.shape[0]), np.diff(R.indptr))
        R.data = R.data / rows[row_of] / shares[R.indices]
        return R
    return A / rows[:, None] / shares[None, :]


def _presence(R: Matrix, threshold: float) -> Matrix:
    if not isinstance(R, np.ndarray):  # csr_array
        M = R.copy()
        M.data = (M.data >= threshold).astype(np.float64)
        M.eliminate_zeros()
        return M
    return (R >= threshold).astype(np.float64)


def _cooccurrence(A: Matrix) -> FloatArray:
    """``A.T @ A`` for a binary ``A``; exact integer counts."""
    if not isinstance(A, np.ndarray):  # csr_array
        return (A.T @ A).toarray()
    if A.shape[0] < 2**24:
        # partial sums of 0/1 products are integers < 2**24: float32 is exact and twice as fast
        A32 = A.astype(np.float32)
        return (A32.T @ A32).astype(np.float64)
    return A.T @ A


def _proximity(A: Matrix) -> FloatArray:
    C = _cooccurrence(A)
    k = np.diag(C).copy()  # ubiquity
    # min(C/k_i, C/k_j) == C / max(k_i, k_j); C_ij <= min(k_i, k_j) so C is 0 where the max is 0
    np.divide(C, np.maximum.outer(k, k), out=C, where=C > 0)
    np.fill_diagonal(C, 0.0)
    return C


def _density(A: Matrix, phi: FloatArray) -> FloatArray:
    num = np.asarray(A @ phi.T)
    return num * _safe_inv(phi.sum(axis=1))[None, :]


def _eigenvectors(A: Matrix) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Signed raw ``(kc, kp)`` (NaN where undefined), diversity and ubiquity."""
    kc0, kp0 = _sums(A, 1), _sums(A, 0)
    vc, vp = np.flatnonzero(kc0 > 0), np.flatnonzero(kp0 > 0)
    if vc.size < 2 or vp.size < 2:
        msg = (
            "M needs at least 2 locations with diversity > 0 and 2 activities with ubiquity > 0 "
            f"for ECI/PCI, got {vc.size} and {vp.size}"
        )
        raise InvalidInput(msg, field="M")
    B = A[vc][:, vp]
    dc, dp = 1.0 / np.sqrt(kc0[vc]), 1.0 / np.sqrt(kp0[vp])
    # S = D_c^-1/2 B D_p^-1/2; S^T S is similar to M~_pp' = D_p^-1 B^T D_c^-1 B, so kp = D_p^-1/2 u
    if not isinstance(B, np.ndarray):  # csr_array
        S = sp.csr_array(B.multiply(dc[:, None]).multiply(dp[None, :]))
    else:
        S = B * dc[:, None] * dp[None, :]
    small = min(S.shape)
    if S.shape[0] <= S.shape[1]:
        G = _dense(S @ S.T)
        _, w = sla.eigh(G, subset_by_index=[small - 2, small - 1])
        u = np.asarray(S.T @ w[:, 0]).ravel()
    else:
        G = _dense(S.T @ S)
        _, w = sla.eigh(G, subset_by_index=[small - 2, small - 1])
        u = w[:, 0]
    kp_v = dp * u
    with np.errstate(divide="ignore", invalid="ignore"):  # rank 1 (identical rows): no 2nd vector, NaN
        kp_v /= np.linalg.norm(kp_v)
    kc_v = np.asarray(B @ kp_v).ravel() / kc0[vc]
    d = kc0[vc]
    if float(np.dot(d - d.mean(), kc_v - kc_v.mean())) < 0:
        kc_v, kp_v = -kc_v, -kp_v
    kc = np.full(A.shape[0], np.nan)
    kp = np.full(A.shape[1], np.nan)
    kc[vc], kp[vp] = kc_v, kp_v
    return kc, kp, kc0, kp0


def _eci_stats(kc: FloatArray, kp0: FloatArray) -> tuple[float, float]:
    """Mean and long-table sd (ddof=1) of the raw ECI over locations that have one."""
    valid = kc[np.isfinite(kc)]
    if valid.size == 0:
        return math.nan, math.nan
    return float(valid.mean()), _long_sd(valid, int(np.count_nonzero(kp0)))


def _raw_kc(A: Matrix, kp: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Raw ECI ``kc = (M / k_c) kp`` (NaN for zero diversity) and the ubiquity."""
    kc0, kp0 = _sums(A, 1), _sums(A, 0)
    kc = np.full(A.shape[0], np.nan)
    valid = kc0 > 0
    kc[valid] = np.asarray(A @ kp).ravel()[valid] / kc0[valid]
    return kc, kp0


def _coi(A: Matrix, dens: FloatArray, kp: FloatArray, normalize: bool) -> FloatArray:
    Md = _dense(A)
    raw = ((1.0 - Md) * dens) @ kp
    if not normalize:
        return raw
    located = _sums(A, 1) > 0
    out = np.full(raw.shape, np.nan)
    vals = raw[located]
    if vals.size:
        with np.errstate(divide="ignore", invalid="ignore"):
            out[located] = (vals - vals.mean()) / _long_sd(vals, int(np.count_nonzero(_sums(A, 0))))
    return out


def _cog(A: Matrix, phi: FloatArray, kp: FloatArray, normalize: bool) -> FloatArray:
    Md = _dense(A)
    W = phi * (kp * _safe_inv(phi.sum(axis=1)))[:, None]
    absent = 1.0 - Md
    raw = absent * (absent @ W)
    if not normalize:
        return raw
    kc, kp0 = _raw_kc(A, kp)
    _, sd = _eci_stats(kc, kp0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return raw / sd


# --------------------------------------------------------------------------
# public API


def rca(X: MatrixLike) -> Matrix:
    """Balassa's revealed comparative advantage of every location in every activity.

    ``RCA_cp = (X_cp / X_c) / (X_p / X)`` where ``X_c`` is the location's total,
    ``X_p`` the activity's total and ``X`` the grand total.

    Parameters
    ----------
    X : array_like or scipy.sparse array, shape (n_locations, n_activities)
        Non-negative values (exports, output, employment, enterprise counts ...).

    Returns
    -------
    numpy.ndarray or scipy.sparse.csr_array
        The RCA matrix, float64, sparse if ``X`` was sparse.  Rows or columns
        whose total is zero get RCA 0 (never NaN).

    Raises
    ------
    InvalidInput
        If ``X`` is not a non-empty 2-D array of finite non-negative numbers.

    Examples
    --------
    >>> rca([[2, 2], [0, 4]]).round(3)
    array([[2.   , 0.667],
           [0.   , 1.333]])
    >>> rca([[1, 0], [0, 0]])
    array([[1., 0.],
           [0., 0.]])
    """
    return _rca(_matrix(X, "X"))


def presence(R: MatrixLike, threshold: float = 1.0) -> Matrix:
    """Binary presence matrix ``M_cp = 1 if R_cp >= threshold else 0``.

    Parameters
    ----------
    R : array_like or scipy.sparse array, shape (n_locations, n_activities)
        Non-negative revealed-advantage values, usually the output of :func:`rca`.
    threshold : float, default 1.0
        Positive cut-off; the reference (Stata) convention is ``RCA >= 1``.

    Returns
    -------
    numpy.ndarray or scipy.sparse.csr_array
        Float64 matrix of 0.0 / 1.0 (sparse if ``R`` was sparse).

    Raises
    ------
    InvalidInput
        If ``R`` is not a valid non-negative matrix or ``threshold`` is not a
        positive finite number.

    Examples
    --------
    >>> presence([[0.5, 1.0], [2.0, 0.99]])
    array([[0., 1.],
           [1., 0.]])
    >>> presence([[0.5, 1.0], [2.0, 0.99]], threshold=0.5)
    array([[1., 1.],
           [1., 1.]])
    """
    return _presence(_matrix(R, "R"), _threshold(threshold))


def diversity(M: MatrixLike) -> IntArray:
    """Number of activities present in each location, ``k_c,0 = sum_p M_cp``.

    Parameters
    ----------
    M : array_like or scipy.sparse array, shape (n_locations, n_activities)
        Binary presence matrix (see :func:`presence`).

    Returns
    -------
    numpy.ndarray of int64, shape (n_locations,)

    Examples
    --------
    >>> diversity([[1, 1, 0], [0, 0, 1]])
    array([2, 1])
    """
    return _counts(_sums(_matrix(M, "M", binary=True), 1))


def ubiquity(M: MatrixLike) -> IntArray:
    """Number of locations where each activity is present, ``k_p,0 = sum_c M_cp``.

    Parameters
    ----------
    M : array_like or scipy.sparse array, shape (n_locations, n_activities)
        Binary presence matrix (see :func:`presence`).

    Returns
    -------
    numpy.ndarray of int64, shape (n_activities,)

    Examples
    --------
    >>> ubiquity([[1, 1, 0], [0, 1, 1]])
    array([1, 2, 1])
    """
    return _counts(_sums(_matrix(M, "M", binary=True), 0))


def proximity(M: MatrixLike) -> FloatArray:
    """Activity-activity proximity ``phi_pp' = min(P(p | p'), P(p' | p))``.

    ``P(p | p') = C_pp' / k_p'`` with ``C = M^T M`` the co-occurrence counts and
    ``k_p'`` the ubiquity, i.e. ``phi_pp' = C_pp' / max(k_p, k_p')``.

    Parameters
    ----------
    M : array_like or scipy.sparse array, shape (n_locations, n_activities)
        Binary presence matrix (see :func:`presence`).

    Returns
    -------
    numpy.ndarray, shape (n_activities, n_activities)
        Symmetric, values in [0, 1], **zero diagonal** (the Stata convention);
        rows and columns of never-present activities are 0.

    Notes
    -----
    The PyPI ``ecomplexity`` package (0.5.x) keeps a diagonal of 1, which
    changes density and COG; set ``np.fill_diagonal(phi, 1)`` to mimic it.

    Examples
    --------
    >>> proximity([[1, 1, 0], [1, 0, 1], [1, 1, 1]])
    array([[0.        , 0.66666667, 0.66666667],
           [0.66666667, 0.        , 0.5       ],
           [0.66666667, 0.5       , 0.        ]])
    """
    return _proximity(_matrix(M, "M", binary=True))


def density(M: MatrixLike, phi: ArrayLike) -> FloatArray:
    """Density of each location around each activity.

    ``omega_cp = sum_p' M_cp' phi_pp' / sum_p' phi_pp'``: the share of the
    activities related to ``p`` (weighted by proximity) the location already has.

    Parameters
    ----------
    M : array_like or scipy.sparse array, shape (n_locations, n_activities)
        Binary presence matrix.
    phi : array_like, shape (n_activities, n_activities)
        Non-negative proximity matrix (see :func:`proximity`).

    Returns
    -------
    numpy.ndarray, shape (n_locations, n_activities)
        Values in [0, 1]; 0 for an activity with no proximity to any other.

    Examples
    --------
    >>> M = [[1, 1, 0], [1, 0, 1], [1, 1, 1]]
    >>> density(M, proximity(M)).round(4)
    array([[0.5   , 0.5714, 1.    ],
           [0.5   , 1.    , 0.5714],
           [1.    , 1.    , 1.    ]])
    """
    A = _matrix(M, "M", binary=True)
    return _density(A, _proximity_matrix(phi, A.shape[1]))


@overload
def eci_pci(M: MatrixLike, *, return_raw: Literal[False] = ...) -> tuple[FloatArray, FloatArray]: ...
@overload
def eci_pci(M: MatrixLike, *, return_raw: Literal[True]) -> tuple[FloatArray, FloatArray, FloatArray]: ...
def eci_pci(
    M: MatrixLike, *, return_raw: bool = False
) -> tuple[FloatArray, FloatArray] | tuple[FloatArray, FloatArray, FloatArray]:
    """Economic Complexity Index of locations and Product Complexity Index of activities.

    The eigenvector method: ``kp`` is the eigenvector of the second largest
    eigenvalue of ``M~_pp' = sum_c M_cp M_cp' / (k_c k_p)`` and
    ``kc = (M / k_c) kp``; both are signed so that ECI correlates positively
    with diversity, then standardised with ECI's statistics::

        eci = (kc - mean(kc)) / sd,   pci = (kp - mean(kc)) / sd

    where ``sd`` is the standard deviation (``ddof=1``) of the long
    location x activity table (each location's ``kc`` repeated once per
    activity), as the Stata ``ecomplexity`` package does.

    Parameters
    ----------
    M : array_like or scipy.sparse array, shape (n_locations, n_activities)
        Binary presence matrix.
    return_raw : bool, default False
        Also return the un-normalised PCI eigenvector (unit Euclidean norm,
        sign-corrected) that :func:`coi` and :func:`cog` need.

    Returns
    -------
    eci : numpy.ndarray, shape (n_locations,)
    pci : numpy.ndarray, shape (n_activities,)
    pci_raw : numpy.ndarray, shape (n_activities,)
        Only if ``return_raw``.

    Locations with diversity 0 and activities with ubiquity 0 are left out of
    the computation and get NaN.  When every location has the same raw ECI
    (e.g. all rows of ``M`` identical) the standard deviation is 0 and the
    standardised values are NaN / inf.

    Raises
    ------
    InvalidInput
        If ``M`` is not binary, or has fewer than two locations with
        diversity > 0 or two activities with ubiquity > 0.

    Notes
    -----
    The eigenproblem is solved on the symmetric ``min(n_locations,
    n_activities)``-sized Gram matrix of ``D_c^-1/2 M D_p^-1/2`` with
    :func:`scipy.linalg.eigh`, which gives the same eigenvector as the
    non-symmetric ``M~_pp'`` at a fraction of the cost.  If the
    activity space is disconnected the second eigenvalue is 1 and the
    eigenvector is not unique (as in every implementation of the method).

    Examples
    --------
    >>> M = [[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]]
    >>> eci, pci = eci_pci(M)
    >>> eci.round(3)
    array([ 1.299,  0.433, -0.433, -1.299])
    >>> pci.round(3)
    array([-1.299,  0.433,  2.165,  3.897])
    """
    kc, kp, _, kp0 = _eigenvectors(_matrix(M, "M", binary=True))
    mean, sd = _eci_stats(kc, kp0)
    with np.errstate(divide="ignore", invalid="ignore"):
        eci = (kc - mean) / sd
        pci = (kp - mean) / sd
    if return_raw:
        return eci, pci, kp
    return eci, pci


def coi(
    M: MatrixLike,
    phi: ArrayLike,
    pci_raw: ArrayLike,
    *,
    density: ArrayLike | None = None,
    normalize: bool = True,
) -> FloatArray:
    """Complexity Outlook Index: how much complexity lies close to each location.

    ``COI_c = sum_p (1 - M_cp) omega_cp kp_p`` with ``omega`` the
    :func:`density` and ``kp`` the raw PCI eigenvector, then standardised like
    ECI: ``(coi - mean) / sd`` over the long table (``ddof=1``).

    Parameters
    ----------
    M : array_like or scipy.sparse array, shape (n_locations, n_activities)
        Binary presence matrix.
    phi : array_like, shape (n_activities, n_activities)
        Proximity matrix (see :func:`proximity`).
    pci_raw : array_like, shape (n_activities,)
        Un-normalised PCI eigenvector from ``eci_pci(M, return_raw=True)``;
        NaN entries (activities without a PCI) count as 0.
    density : array_like, optional
        Precomputed ``density(M, phi)``, to avoid computing it twice.
    normalize : bool, default True
        Standardise (the reference convention); False returns the raw sums.

    Returns
    -------
    numpy.ndarray, shape (n_locations,)
        Standardised COI; NaN for locations with diversity 0.

    Examples
    --------
    >>> M = [[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]]
    >>> _, _, kp = eci_pci(M, return_raw=True)
    >>> coi(M, proximity(M), kp).round(3)
    array([-1.366,  1.042,  0.773, -0.449])
    """
    A = _matrix(M, "M", binary=True)
    P = _proximity_matrix(phi, A.shape[1])
    kp = _pci_vector(pci_raw, A.shape[1])
    if density is None:
        dens = _density(A, P)
    else:
        dens = np.asarray(_matrix(density, "density"))
        if dens.shape != A.shape:
            msg = f"density must have the shape of M {A.shape}, got {dens.shape}"
            raise InvalidInput(msg, field="density")
    return _coi(A, dens, kp, normalize)


def cog(M: MatrixLike, phi: ArrayLike, pci_raw: ArrayLike, *, normalize: bool = True) -> FloatArray:
    """Complexity Outlook Gain of each location from each activity it lacks.

    ``COG_cp = (1 - M_cp) sum_p' (1 - M_cp') phi_p'p kp_p' / sum_p'' phi_p'p''``:
    how much closer to complex activities the location would be after adding
    ``p``.  With ``normalize`` it is divided by ECI's standard deviation (the
    long-table ``sd`` of :func:`eci_pci`, recomputed from ``M`` and ``pci_raw``).

    Parameters
    ----------
    M : array_like or scipy.sparse array, shape (n_locations, n_activities)
        Binary presence matrix.
    phi : array_like, shape (n_activities, n_activities)
        Proximity matrix (see :func:`proximity`).
    pci_raw : array_like, shape (n_activities,)
        Un-normalised PCI eigenvector from ``eci_pci(M, return_raw=True)``;
        NaN entries count as 0.
    normalize : bool, default True
        Divide by ECI's standard deviation (the reference convention).

    Returns
    -------
    numpy.ndarray, shape (n_locations, n_activities)
        0 where the activity is already present.

    Examples
    --------
    >>> M = [[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]]
    >>> _, _, kp = eci_pci(M, return_raw=True)
    >>> cog(M, proximity(M), kp).round(3)
    array([[0.   , 0.   , 0.   , 0.   ],
           [0.   , 0.   , 0.   , 0.   ],
           [0.   , 0.   , 1.599, 0.52 ],
           [0.   , 1.759, 1.599, 0.52 ]])
    """
    A = _matrix(M, "M", binary=True)
    P = _proximity_matrix(phi, A.shape[1])
    return _cog(A, P, _pci_vector(pci_raw, A.shape[1]), normalize)


def complexity(X: MatrixLike, threshold: float = 1.0) -> ComplexityResult:
    """Run the whole pipeline on one location x activity matrix (one period).

    ``rca -> presence -> diversity / ubiquity -> proximity -> density ->
    eci_pci -> coi / cog``, validating ``X`` once.

    Parameters
    ----------
    X : array_like or scipy.sparse array, shape (n_locations, n_activities)
        Non-negative values.
    threshold : float, default 1.0
        RCA cut-off for presence.

    Returns
    -------
    ComplexityResult
        A dict with keys ``rca``, ``M``, ``diversity``, ``ubiquity``,
        ``proximity``, ``density``, ``eci``, ``pci``, ``pci_raw``, ``coi`` and
        ``cog`` (see the individual functions).

    Examples
    --------
    >>> res = complexity([[5, 1, 0, 1], [4, 1, 1, 0], [0, 3, 2, 2], [1, 0, 3, 3]])
    >>> res["diversity"].tolist(), res["ubiquity"].tolist()
    ([1, 1, 3, 2], [2, 1, 2, 2])
    >>> sorted(res)
    ['M', 'cog', 'coi', 'density', 'diversity', 'eci', 'pci', 'pci_raw', 'proximity', 'rca', 'ubiquity']
    """
    R = _rca(_matrix(X, "X"))
    M = _presence(R, _threshold(threshold))
    phi = _proximity(M)
    dens = _density(M, phi)
    kc, kp, kc0, kp0 = _eigenvectors(M)
    mean, sd = _eci_stats(kc, kp0)
    kp_filled = np.nan_to_num(kp, nan=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cog_raw = _cog(M, phi, kp_filled, normalize=False)
        return ComplexityResult(
            rca=R,
            M=M,
            diversity=_counts(kc0),
            ubiquity=_counts(kp0),
            proximity=phi,
            density=dens,
            eci=(kc - mean) / sd,
            pci=(kp - mean) / sd,
            pci_raw=kp,
            coi=_coi(M, dens, kp_filled, normalize=True),
            cog=cog_raw / sd,
        )
