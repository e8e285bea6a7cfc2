"""The compact maximal-covering MIP on a reduced coverage matrix, shared by the kernels.

:func:`mclp_model` is the model :func:`optimizer.locate.covering.mclp` solves in one MIP and
the one Benders falls back to over the columns its dual bound leaves open
(:mod:`optimizer.locate.benders`); its own module, so neither imports the other for it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from optimizer.solvers.mip import MipModel

__all__ = ["covered_rows", "mclp_model"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def covered_rows(cov: sp.csr_matrix, cols: IntArray) -> npt.NDArray[np.bool_]:
    """Rows of ``cov`` covered by at least one of the columns ``cols``."""
    if len(cols) == 0:
        return np.zeros(cov.shape[0], dtype=bool)
    return np.asarray(cov[:, cols].sum(axis=1)).ravel() > 0


def mclp_model(a: sp.csr_matrix, w: FloatArray, q: int, greedy: IntArray) -> MipModel:
    """Reduced MCLP: columns ``y`` (sites), then ``z`` (merged rows).

    Rows: (6) of the covering module's docstring (``z_i <= a_i y``), then ``sum y <= q``.
    """
    n_row, n_col = a.shape
    coupling = sp.hstack([-a, sp.identity(n_row, format="csr")], format="csr")  # (6)
    budget = sp.csr_matrix(np.concatenate([np.ones(n_col), np.zeros(n_row)])[None, :])
    start = np.zeros(n_col + n_row)
    start[greedy] = 1.0
    start[n_col:] = covered_rows(a, greedy).astype(np.float64)
    return MipModel(
        sense="max",
        c=np.concatenate([np.zeros(n_col), w]),
        a_matrix=sp.vstack([coupling, budget], format="csr"),
        row_lower=np.full(n_row + 1, -np.inf),
        row_upper=np.concatenate([np.zeros(n_row), [float(q)]]),
        col_lower=np.zeros(n_col + n_row),
        col_upper=np.ones(n_col + n_row),
        integer=np.ones(n_col + n_row, dtype=bool),
        start=start,
        integral_objective=bool(np.all(w == np.round(w))),
    )
