"""Cost data for the location kernels: validation, ids, and sparse queries over the costs.

A kernel receives travel costs either as a dense array (demand x site, ``inf`` = unreachable) or
as a long table (one row per reachable demand-site pair; absent pairs are unreachable). Both are
validated and turned into a `CostData` over the allowed sites (forbidden sites removed), which
answers the queries the models need without ever looping over pairs in Python: the coverage
matrix within a standard, the k nearest sites of each demand point, the nearest open site.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from optimizer.errors import DataError

__all__ = ["LONG_COLUMNS", "CostData", "CostInput", "CostTable", "prepare_costs"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CostTable:
    """Costs with their ids and weights, as built from layers (see `optimizer.locate.geo`).

    Passed as ``costs`` to any kernel, it supplies ``demand_ids``, ``site_ids``, the long
    table's ``columns`` and, when the kernel is given no weights, ``weights``.

    Attributes
    ----------
    table : pandas.DataFrame
        Long table ``demand_id``, ``site_id``, ``cost``: the reachable pairs.
    demand_ids, site_ids : tuple
        Every demand point and candidate site, in layer order (points with no pair included).
    weights : pandas.Series or None
        Demand weight per demand id, or None.
    unit : str
        What ``cost`` counts (``"metres"``, ``"minutes"``).
    """

    table: pd.DataFrame
    demand_ids: tuple[Hashable, ...]
    site_ids: tuple[Hashable, ...]
    weights: pd.Series | None = None
    unit: str = "metres"


CostInput = npt.ArrayLike | pd.DataFrame | CostTable
LONG_COLUMNS = ("demand_id", "site_id", "cost")
_CHUNK_CELLS = 20_000_000  # dense rows are processed in blocks of about this many cells


@dataclass(frozen=True)
class CostData:
    """Validated costs over the allowed sites.

    Attributes
    ----------
    demand_ids : pandas.Index
        Demand ids, in input order (row ``i`` is ``demand_ids[i]``).
    site_ids : pandas.Index
        Allowed site ids (forbidden ones removed), in input order.
    weights : numpy.ndarray
        Demand weights (population), aligned with ``demand_ids``.
    dense : numpy.ndarray or None
        ``(n, m)`` costs with ``inf`` for unreachable pairs, when the input was dense.
    indptr, indices, pair_costs : numpy.ndarray or None
        Reachable pairs in CSR layout, each row sorted by cost, when the input was a long table.
    """

    demand_ids: pd.Index
    site_ids: pd.Index
    weights: FloatArray
    dense: FloatArray | None = None
    indptr: IntArray | None = None
    indices: IntArray | None = None
    pair_costs: FloatArray | None = None

    @property
    def n(self) -> int:
        """Number of demand points."""
        return len(self.demand_ids)

    @property
    def m(self) -> int:
        """Number of allowed sites."""
        return len(self.site_ids)

    def _blocks(self) -> Iterable[tuple[int, int, FloatArray]]:
        assert self.dense is not None
        step = max(1, _CHUNK_CELLS // max(self.m, 1))
        for a in range(0, self.n, step):
            b = min(a + step, self.n)
            yield a, b, self.dense[a:b]

    def coverage(self, standard: float) -> sp.csr_matrix:
        """Boolean-valued (1.0) CSR matrix of the pairs with ``cost <= standard``."""
        if self.dense is None:
            assert self.indptr is not None
            assert self.indices is not None
            assert self.pair_costs is not None
            keep = self.pair_costs <= standard
            rows = np.repeat(np.arange(self.n), np.diff(self.indptr))[keep]
            cols = self.indices[keep]
        else:
            parts_r, parts_c = [], []
            for a, _, block in self._blocks():
                r, c = np.nonzero(block <= standard)
                parts_r.append(r + a)
                parts_c.append(c)
            rows = np.concatenate(parts_r) if parts_r else np.zeros(0, np.int64)
            cols = np.concatenate(parts_c) if parts_c else np.zeros(0, np.int64)
        mat = sp.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(self.n, self.m), dtype=np.float64
        )
        mat.sort_indices()
        return mat

    def reach_counts(self) -> IntArray:
        """Number of reachable (finite-cost) allowed sites per demand point."""
        if self.dense is None:
            assert self.indptr is not None
            return np.diff(self.indptr).astype(np.int64)
        out = np.empty(self.n, dtype=np.int64)
        for a, b, block in self._blocks():
            out[a:b] = np.isfinite(block).sum(axis=1)
        return out

    def k_nearest(self, rows: IntArray, k: int) -> tuple[IntArray, FloatArray]:
        """The ``k`` cheapest sites of each demand row, sorted by cost.

        Returns site positions and costs, both ``(len(rows), k)``, padded with ``-1`` / ``inf``
        where a row reaches fewer than ``k`` sites.
        """
        k = max(int(k), 1)
        pos = np.full((len(rows), k), -1, dtype=np.int64)
        cost = np.full((len(rows), k), np.inf)
        if len(rows) == 0 or self.m == 0:
            return pos, cost
        if self.dense is None:
            assert self.indptr is not None
            assert self.indices is not None
            assert self.pair_costs is not None
            start = self.indptr[rows]
            length = np.minimum(self.indptr[rows + 1] - start, k)
            offs = np.arange(k)[None, :]
            valid = offs < length[:, None]
            src = (start[:, None] + offs)[valid]
            pos[valid] = self.indices[src]
            cost[valid] = self.pair_costs[src]
            return pos, cost
        kk = min(k, self.m)
        step = max(1, _CHUNK_CELLS // self.m)
        for a in range(0, len(rows), step):
            block = self.dense[rows[a : a + step]]
            if kk < self.m:
                part = np.argpartition(block, kk - 1, axis=1)[:, :kk]
            else:
                part = np.tile(np.arange(self.m), (len(block), 1))
            pc = np.take_along_axis(block, part, axis=1)
            order = np.lexsort((part, pc), axis=1)
            part = np.take_along_axis(part, order, axis=1)
            pc = np.take_along_axis(pc, order, axis=1)
            part = np.where(np.isfinite(pc), part, -1)
            pos[a : a + len(block), :kk] = part
            cost[a : a + len(block), :kk] = pc
        return pos, cost

    def nearest_open(self, open_pos: Sequence[int] | IntArray) -> tuple[IntArray, FloatArray]:
        """Position of and cost to the cheapest open site per demand point (-1 / inf if none)."""
        opened = np.asarray(open_pos, dtype=np.int64)
        best = np.full(self.n, -1, dtype=np.int64)
        best_cost = np.full(self.n, np.inf)
        if len(opened) == 0:
            return best, best_cost
        if self.dense is None:
            assert self.indptr is not None
            assert self.indices is not None
            assert self.pair_costs is not None
            mask = np.zeros(self.m, dtype=bool)
            mask[opened] = True
            keep = mask[self.indices]
            rows = np.repeat(np.arange(self.n), np.diff(self.indptr))[keep]
            # rows are sorted by cost within a row: the first kept entry is the cheapest
            first = np.unique(rows, return_index=True)
            idx = np.flatnonzero(keep)[first[1]]
            best[first[0]] = self.indices[idx]
            best_cost[first[0]] = self.pair_costs[idx]
            return best, best_cost
        opened = np.sort(opened)
        for a, b, block in self._blocks():
            sub = block[:, opened]
            arg = np.argmin(sub, axis=1)
            c = sub[np.arange(b - a), arg]
            best[a:b] = np.where(np.isfinite(c), opened[arg], -1)
            best_cost[a:b] = c
        return best, best_cost

    def pairs_to(
        self, open_pos: Sequence[int] | IntArray, limit: float = np.inf
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Demand rows, site positions and costs of every pair to an open site with cost <= limit.

        Sorted by row, then cost, then site position.
        """
        opened = np.unique(np.asarray(open_pos, dtype=np.int64))
        if self.dense is None:
            assert self.indptr is not None
            assert self.indices is not None
            assert self.pair_costs is not None
            mask = np.zeros(self.m, dtype=bool)
            mask[opened] = True
            keep = mask[self.indices] & (self.pair_costs <= limit)
            rows = np.repeat(np.arange(self.n), np.diff(self.indptr))[keep]
            cols, cost = self.indices[keep], self.pair_costs[keep]
        else:
            sub = self.dense[:, opened]
            r, c = np.nonzero(np.isfinite(sub) & (sub <= limit))
            rows, cols, cost = r.astype(np.int64), opened[c], sub[r, c]
        order = np.lexsort((cols, cost, rows))
        return rows[order], cols[order], cost[order]

    def finite_costs(self, low: float, high: float) -> FloatArray:
        """Sorted distinct finite costs in ``[low, high]``."""
        if self.dense is None:
            assert self.pair_costs is not None
            v = self.pair_costs
            return np.unique(v[(v >= low) & (v <= high)])
        parts = [np.unique(b[(b >= low) & (b <= high)]) for _, _, b in self._blocks()]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0)


def _ids(given: Sequence[Hashable] | None, count: int, what: str) -> pd.Index:
    if given is None:
        return pd.RangeIndex(count)
    idx = pd.Index(list(given))
    if len(idx) != count:
        raise DataError(
            f"{what}: {len(idx)} ids given for {count} {what.split(maxsplit=1)[0]} rows/columns; "
            "give exactly one id per row (demand) or column (site)"
        )
    if idx.has_duplicates:
        dup = idx[idx.duplicated()].unique().tolist()[:5]
        raise DataError(f"{what}: duplicate ids {dup}; ids must be unique")
    return idx


def _weights(weights: npt.ArrayLike | pd.Series | None, demand_ids: pd.Index) -> FloatArray:
    if weights is None:
        return np.ones(len(demand_ids))
    if isinstance(weights, pd.Series):
        missing = demand_ids.difference(weights.index)
        if len(missing):
            raise DataError(
                f"weights: no weight for demand ids {missing.tolist()[:5]}; "
                "index the weight Series by demand id and give every demand point a weight"
            )
        w = weights.reindex(demand_ids).to_numpy(dtype=np.float64)
    else:
        w = np.asarray(weights, dtype=np.float64).ravel()
        if len(w) != len(demand_ids):
            raise DataError(
                f"weights: {len(w)} values for {len(demand_ids)} demand points; "
                "give one weight per demand point, in the same order"
            )
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"weights: demand id {demand_ids[i]!r} has weight {w[i]!r}; "
            "weights must be finite and >= 0"
        )
    return w


def _site_positions(ids: Iterable[Hashable], site_ids: pd.Index, what: str) -> IntArray:
    wanted = pd.Index(list(dict.fromkeys(ids)))
    unknown = wanted.difference(site_ids)
    if len(unknown):
        raise DataError(
            f"{what}: site ids {unknown.tolist()[:5]} are not among the candidate sites; "
            "use ids from the cost matrix's site ids"
        )
    return np.asarray(site_ids.get_indexer(wanted), dtype=np.int64)


def prepare_costs(
    costs: CostInput,
    weights: npt.ArrayLike | pd.Series | None,
    *,
    demand_ids: Sequence[Hashable] | None = None,
    site_ids: Sequence[Hashable] | None = None,
    required: Iterable[Hashable] = (),
    forbidden: Iterable[Hashable] = (),
    columns: tuple[str, str, str] = LONG_COLUMNS,
) -> tuple[CostData, IntArray]:
    """Validate cost input and drop forbidden sites.

    Parameters
    ----------
    costs : array_like, pandas.DataFrame or CostTable
        Dense ``(n_demand, n_site)`` costs (``inf`` = unreachable), or a long table with the
        three ``columns`` (demand id, site id, cost); pairs absent from the table are unreachable;
        or a `CostTable`, which brings its own ids and (when ``weights`` is None) weights.
    weights : array_like, pandas.Series or None
        Demand weights aligned with the demand ids (a Series is matched by its index);
        None gives every demand point weight 1.
    demand_ids, site_ids : sequence, optional
        Ids of the rows and columns. Dense input: default ``0..n-1``. Long table: default the
        sorted distinct ids found in the table (give them to include points with no pairs).
    required, forbidden : iterable of site ids
        Sites that must be open, and sites that must stay closed.
    columns : tuple of str
        Column names of the long table.

    Returns
    -------
    CostData
        The costs over the allowed sites.
    numpy.ndarray
        Positions (in ``CostData.site_ids``) of the required sites.

    Raises
    ------
    DataError
        On malformed input; the message says what was received and how to fix it.
    """
    if isinstance(costs, CostTable):
        weights = costs.weights if weights is None else weights
        demand_ids = list(costs.demand_ids) if demand_ids is None else demand_ids
        site_ids = list(costs.site_ids) if site_ids is None else site_ids
        costs, columns = costs.table, LONG_COLUMNS
    if isinstance(costs, pd.DataFrame):
        data = _from_long(costs, weights, demand_ids, site_ids, columns)
    else:
        data = _from_dense(costs, weights, demand_ids, site_ids)
    req = _site_positions(required, data.site_ids, "required")
    forb = _site_positions(forbidden, data.site_ids, "forbidden")
    both = np.intersect1d(req, forb)
    if len(both):
        raise DataError(
            f"sites {data.site_ids[both].tolist()[:5]} are both required and forbidden; "
            "remove them from one of the two lists"
        )
    if len(forb) == 0:
        return data, np.sort(req)
    keep = np.ones(data.m, dtype=bool)
    keep[forb] = False
    new_pos = np.cumsum(keep) - 1
    if data.dense is not None:
        data = CostData(
            data.demand_ids,
            data.site_ids[keep],
            data.weights,
            dense=np.ascontiguousarray(data.dense[:, keep]),
        )
    else:
        assert data.indptr is not None
        assert data.indices is not None
        assert data.pair_costs is not None
        kept = keep[data.indices]
        rows = np.repeat(np.arange(data.n), np.diff(data.indptr))[kept]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=data.n))])
        data = CostData(
            data.demand_ids,
            data.site_ids[keep],
            data.weights,
            indptr=indptr.astype(np.int64),
            indices=new_pos[data.indices[kept]],
            pair_costs=data.pair_costs[kept],
        )
    return data, np.sort(new_pos[req])


def _from_dense(
    costs: npt.ArrayLike,
    weights: npt.ArrayLike | pd.Series | None,
    demand_ids: Sequence[Hashable] | None,
    site_ids: Sequence[Hashable] | None,
) -> CostData:
    try:
        arr = np.asarray(costs, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"cost matrix: not numeric ({exc}); pass numbers, inf = unreachable"
        ) from exc
    if arr.ndim != 2:
        raise DataError(
            f"cost matrix: expected 2 dimensions (demand x site), got shape {arr.shape}; "
            "pass a 2-D array or a long table (DataFrame with demand id, site id, cost)"
        )
    if np.isnan(arr).any():
        i, j = np.argwhere(np.isnan(arr))[0]
        raise DataError(f"cost matrix: NaN at row {i}, column {j}; use inf for unreachable pairs")
    if (arr < 0).any():
        i, j = np.argwhere(arr < 0)[0]
        raise DataError(
            f"cost matrix: negative cost {arr[i, j]} at row {i}, column {j}; costs must be >= 0"
        )
    d_ids = _ids(demand_ids, arr.shape[0], "demand ids")
    s_ids = _ids(site_ids, arr.shape[1], "site ids")
    return CostData(d_ids, s_ids, _weights(weights, d_ids), dense=np.ascontiguousarray(arr))


def _from_long(
    table: pd.DataFrame,
    weights: npt.ArrayLike | pd.Series | None,
    demand_ids: Sequence[Hashable] | None,
    site_ids: Sequence[Hashable] | None,
    columns: tuple[str, str, str],
) -> CostData:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(
            f"cost table: missing columns {missing} (has {list(table.columns)}); "
            f"pass columns=(demand, site, cost) naming your columns"
        )
    d_col, s_col, c_col = columns
    cost = pd.to_numeric(table[c_col], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(cost) | (cost < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"cost table: row {k}, column '{c_col}' has cost {table[c_col].iloc[k]!r}; "
            "costs must be numbers >= 0 (leave unreachable pairs out)"
        )
    if table.duplicated([d_col, s_col]).any():
        k = int(np.flatnonzero(table.duplicated([d_col, s_col]).to_numpy())[0])
        raise DataError(
            f"cost table: pair ({table[d_col].iloc[k]!r}, {table[s_col].iloc[k]!r}) "
            f"appears more than once (row {k}); keep one cost per demand-site pair"
        )
    d_ids = (
        pd.Index(sorted(pd.unique(table[d_col])))
        if demand_ids is None
        else _ids(demand_ids, len(demand_ids), "demand ids")
    )
    s_ids = (
        pd.Index(sorted(pd.unique(table[s_col])))
        if site_ids is None
        else _ids(site_ids, len(site_ids), "site ids")
    )
    rows = d_ids.get_indexer(pd.Index(table[d_col]))
    cols = s_ids.get_indexer(pd.Index(table[s_col]))
    for what, pos, col in (("demand", rows, d_col), ("site", cols, s_col)):
        if (pos < 0).any():
            k = int(np.flatnonzero(pos < 0)[0])
            raise DataError(
                f"cost table: row {k}, column '{col}' has {what} id {table[col].iloc[k]!r} "
                f"that is not among the given {what} ids; add it or drop the row"
            )
    finite = np.isfinite(cost)
    rows, cols, cost = rows[finite], cols[finite], cost[finite]
    order = np.lexsort((cols, cost, rows))
    rows, cols, cost = rows[order], cols[order], cost[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(d_ids)))])
    return CostData(
        d_ids,
        s_ids,
        _weights(weights, d_ids),
        indptr=indptr.astype(np.int64),
        indices=cols.astype(np.int64),
        pair_costs=cost,
    )
