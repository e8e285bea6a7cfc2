"""Reader for Beasley's OR-Library p-median instances (pmed1..pmed40) as cost matrices.

Format (OR-Library ``pmedinfo``): first line ``n m p``; then ``m`` lines ``i j cost`` with
vertices numbered ``1..n`` and undirected edges. Following OR-Library's note (Beasley 1995,
thanks to Prof. Avella) the edges are read in turn, so a pair listed more than once keeps its
LAST cost; then all-pairs shortest paths give the vertex-to-vertex cost matrix. Every vertex is
both a demand point (weight 1) and a candidate site.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from optimizer.errors import DataError

__all__ = ["OrlibInstance", "load"]


@dataclass(frozen=True)
class OrlibInstance:
    """One OR-Library p-median instance.

    Attributes
    ----------
    name : str
        File stem, e.g. ``"pmed1"``.
    p : int
        Number of medians the instance asks for.
    costs : numpy.ndarray
        ``(n, n)`` shortest-path costs between vertices (positions ``0..n-1`` = vertices
        ``1..n``).
    """

    name: str
    p: int
    costs: npt.NDArray[np.float64]

    @property
    def n(self) -> int:
        """Number of vertices."""
        return int(self.costs.shape[0])


def load(path: str | Path) -> OrlibInstance:
    """Read an OR-Library ``pmedN.txt`` file.

    Parameters
    ----------
    path : str or pathlib.Path
        The instance file.

    Returns
    -------
    OrlibInstance
        The instance with its shortest-path cost matrix.

    Raises
    ------
    DataError
        If the file is missing or malformed.
    """
    path = Path(path)
    try:
        tokens = path.read_text().split()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc}); check the path") from exc
    try:
        nums = np.asarray([int(t) for t in tokens], dtype=np.int64)
    except ValueError as exc:
        raise DataError(
            f"{path}: non-integer token ({exc}); expected 'n m p' then 'i j cost' lines"
        ) from exc
    if len(nums) < 3:
        raise DataError(f"{path}: expected a first line 'n m p'")
    n, m, p = (int(v) for v in nums[:3])
    edges = nums[3:]
    if len(edges) != 3 * m:
        raise DataError(
            f"{path}: header says {m} edges, found {len(edges) / 3:g}; "
            "the file is truncated or not an OR-Library pmed file"
        )
    e = edges.reshape(m, 3)
    i, j, c = e[:, 0] - 1, e[:, 1] - 1, e[:, 2].astype(np.float64)
    if (i < 0).any() or (i >= n).any() or (j < 0).any() or (j >= n).any():
        raise DataError(f"{path}: vertex numbers must be in 1..{n}")
    # Last copy of a pair wins: keep the last occurrence of each unordered pair.
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    key = lo * n + hi
    _, last_rev = np.unique(key[::-1], return_index=True)
    keep = m - 1 - last_rev
    lo, hi, c = lo[keep], hi[keep], c[keep]
    off = lo != hi
    graph = sp.coo_matrix((c[off], (lo[off], hi[off])), shape=(n, n)).tocsr()
    costs = shortest_path(graph, method="FW", directed=False)
    return OrlibInstance(name=path.stem, p=p, costs=np.asarray(costs, dtype=np.float64))
