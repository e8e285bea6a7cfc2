"""Exact reductions of coverage models: merged demand rows, dominated and essential sites.

All operate on a 0/1 coverage matrix ``A`` (rows = demand points, columns = candidate sites,
``A[i, j] = 1`` when site ``j`` covers point ``i``).

* Merging: points with the same covering set are one row of the model; their weights add up.
  Exact for LSCP, MCLP and the p-center feasibility test, since the model sees only the set.
* Dominance: site ``j`` is dominated by site ``k`` when ``cover(j) ⊆ cover(k)`` (for equal sets the
  lower position survives). In LSCP (unit costs) and in MCLP written with ``sum y <= p`` a
  solution using ``j`` stays feasible and no worse with ``j`` swapped for ``k`` (or dropped when
  ``k`` is already open), so dropping ``j`` keeps the optimum.
* Essential sites (LSCP): a row covered by a single site forces that site open.
* Row dominance (LSCP and every "cover all rows" test): a row whose covering set contains
  another row's set is covered whenever that row is, so it can be dropped.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["dominated_columns", "dominated_rows", "merge_rows"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Above these sizes the pairwise site comparison costs more than it saves.
_MAX_SPARSE_PRODUCT = 4e8  # sum over rows of (row length)^2
_MAX_DENSE_PRODUCT = 2e10  # rows * columns^2
_MAX_ROW_PRODUCT = 4e11  # rows^2 * columns for the row comparison (a BLAS product)
_ROW_BLOCK_CELLS = 4_000_000  # rows x rows cells per block of the row comparison


def merge_rows(
    cov: sp.csr_matrix, weights: FloatArray
) -> tuple[sp.csr_matrix, FloatArray, IntArray]:
    """Merge rows with identical covering sets.

    Parameters
    ----------
    cov : scipy.sparse.csr_matrix
        Coverage matrix with sorted indices.
    weights : numpy.ndarray
        Row weights.

    Returns
    -------
    scipy.sparse.csr_matrix
        One row per distinct covering set, in order of first appearance.
    numpy.ndarray
        Summed weights of the merged rows.
    numpy.ndarray
        For every input row, the index of its merged row.
    """
    cov = cov.tocsr()
    cov.sort_indices()
    n = cov.shape[0]
    if n == 0:
        return cov, weights.copy(), np.zeros(0, dtype=np.int64)
    # Exact grouping: a row's key is the bytes of its sorted column indices.
    indptr, indices = cov.indptr, cov.indices.astype(np.int32)
    seen: dict[bytes, int] = {}
    mapping = np.empty(n, dtype=np.int64)
    first: list[int] = []
    raw = indices.tobytes()
    for i in range(n):
        key = raw[4 * int(indptr[i]) : 4 * int(indptr[i + 1])]
        g = seen.get(key)
        if g is None:
            g = len(first)
            seen[key] = g
            first.append(i)
        mapping[i] = g
    merged = cov[np.asarray(first, dtype=np.int64)]
    merged_w = np.bincount(mapping, weights=weights, minlength=len(first)).astype(np.float64)
    return merged, merged_w, mapping


def dominated_columns(cov: sp.csr_matrix, protected: BoolArray | None = None) -> BoolArray:
    """Columns whose covering set is contained in another column's.

    Parameters
    ----------
    cov : scipy.sparse.csr_matrix
        0/1 coverage matrix (rows x columns).
    protected : numpy.ndarray of bool, optional
        Columns that must not be reported dominated (they may still dominate others).

    Returns
    -------
    numpy.ndarray of bool
        True for each dominated column. Empty columns count as dominated when any other
        column exists. When the comparison would be too expensive, nothing is reported.
    """
    m = cov.shape[1]
    out = np.zeros(m, dtype=bool)
    if m <= 1:
        return out
    csc = cov.tocsc()
    size = np.diff(csc.indptr)
    row_len = np.diff(cov.tocsr().indptr).astype(np.float64)
    sparse_work = float((row_len**2).sum())
    dense_work = float(cov.shape[0]) * m * m
    if sparse_work <= _MAX_SPARSE_PRODUCT:
        inter = (csc.T @ csc).tocoo()
        r, c, v = inter.row, inter.col, inter.data
    elif dense_work <= _MAX_DENSE_PRODUCT:
        a = csc.astype(np.float32).toarray()
        full = a.T @ a
        r, c = np.nonzero(full)
        v = full[r, c]
    else:
        return out
    # j (= r) is dominated by k (= c) when |j ∩ k| == |j| and k is strictly larger, or equal
    # in size with a lower position (so exactly one of identical columns survives).
    contained = (np.rint(v).astype(np.int64) == size[r]) & (r != c)
    bigger = (size[c] > size[r]) | ((size[c] == size[r]) & (c < r))
    dominated_by_other = np.zeros(m, dtype=bool)
    dominated_by_other[r[contained & bigger]] = True
    out = dominated_by_other
    out[size == 0] = True
    if protected is not None:
        out &= ~protected
    if out.all():  # never drop every column: keep the largest
        out[int(np.argmax(size))] = False
    return out


def dominated_rows(cov: sp.csr_matrix) -> BoolArray:
    """Rows whose covering set strictly contains another row's (redundant in a set cover).

    Parameters
    ----------
    cov : scipy.sparse.csr_matrix
        0/1 coverage matrix with non-empty rows (merge identical rows first: identical rows
        are never reported here).

    Returns
    -------
    numpy.ndarray of bool
        True for each row that is covered whenever some other row is. When the comparison
        would be too expensive, nothing is reported (the reduction is optional).
    """
    cov = cov.tocsr()
    n, m = cov.shape
    out = np.zeros(n, dtype=bool)
    if n <= 1 or float(n) * n * max(m, 1) > _MAX_ROW_PRODUCT:
        return out
    size = np.diff(cov.indptr)
    dense = cov.astype(np.float32).toarray()
    dense_t = np.ascontiguousarray(dense.T)
    step = max(1, _ROW_BLOCK_CELLS // n)
    for a in range(0, n, step):
        b = min(a + step, n)
        # inter[k, i] = |row a+k ∩ row i|; row i contains row a+k when that equals |row a+k|
        inter = dense[a:b] @ dense_t
        sub = inter == size[a:b, None].astype(np.float32)  # exact: small integer counts
        # strictly larger only: of two identical rows neither is dropped here (merge_rows
        # handles those), and every dropped row keeps a smaller witness, down to a kept one
        sub &= size[None, :] > size[a:b, None]
        out |= sub.any(axis=0)
    return out
