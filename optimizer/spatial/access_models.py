r"""Access measures beyond 2SFCA: FCA ratio, decayed 2SFCA, 3SFCA, cumulative opportunities.

All take a long travel table (origin = demand point, destination = facility, cost) whose column
names are configurable (`TravelColumns`), demand and supply as Series by id, an optional
``max_cost`` (None: no cutoff, every pair in the table counts) and a distance-decay function
``W`` (`step_decay`, `gravity_decay`, `gaussian_decay`; None: weight 1 within the cutoff).
Rows for origins that are not demand points (or destinations that supply nothing) are ignored
and counted in an `AccessWarning`. Results are frames by demand id with ``access`` and
``no_access``: a point with no facility in reach gets NaN and ``no_access = True`` (never 0,
which would read as "zero supply" in an inequality measure).

With pairs :math:`(k, j)` within the cutoff, demand :math:`P_k`, supply :math:`S_j`:

* 2SFCA (Luo & Wang 2003; decayed: Luo & Qi 2009, Dai 2010):
  :math:`R_j = S_j / \sum_k W_{kj} P_k`, :math:`A_k = \sum_j W_{kj} R_j`.
* 3SFCA (Wan, Zou & Sternberg 2012): selection weights
  :math:`G_{kj} = W_{kj} / \sum_{j'} W_{kj'}`; :math:`R_j = S_j / \sum_k G_{kj} W_{kj} P_k`,
  :math:`A_k = \sum_j G_{kj} W_{kj} R_j`. The paper sums :math:`j'` over the facilities in
  reach (``selection="in_reach"``, the default); ``access``'s ``three_stage_fca`` sums over
  every row of the travel table, beyond the cutoff too (``selection="table"``).
* FCA ratio (``access.fca_ratio``): supply within reach of :math:`k` over demand within reach of
  :math:`k`, :math:`A_k = \sum_j W_{kj} S_j / \sum_{k'} W_{kk'} P_{k'}`, the demand side read
  from a demand-to-demand ``neighbours`` table.
* Cumulative opportunities: :math:`A_k = \sum_j W_{kj} S_j`.
* `normalise`: divide by the demand-weighted mean, :math:`A_k / (\sum P A / \sum P)` over the
  points with access (``access``'s ``normalize``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.errors import DataError, ScenarioError

__all__ = [
    "AccessWarning",
    "TravelColumns",
    "cumulative_opportunities",
    "fca_ratio",
    "gaussian_decay",
    "gravity_decay",
    "normalise",
    "step_decay",
    "three_step_fca",
    "two_step_fca_decay",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Decay = Callable[[FloatArray], FloatArray]


class AccessWarning(UserWarning):
    """A recoverable oddity in access inputs (rows ignored, points without access)."""


@dataclass(frozen=True)
class TravelColumns:
    """Column names of the long travel table."""

    origin: str = "origin_id"
    destination: str = "destination_id"
    cost: str = "minutes"


def step_decay(steps: Mapping[float, float]) -> Decay:
    """Weight ``steps[b]`` for costs above the previous bound up to ``b``; 0 beyond the last.

    Any finite weight >= 0 is allowed (``access``'s ``step_fn`` takes any value; weights above 1
    scale supply up, which access permits).
    """
    if not isinstance(steps, Mapping) or not steps:
        raise ScenarioError(
            f"step weights must be a non-empty mapping of cost bound to weight (got {steps!r}); "
            "give e.g. {10: 1.0, 20: 0.68, 30: 0.22}")
    bounds = np.array(sorted(float(b) for b in steps), dtype=np.float64)
    values = np.array([float(steps[b]) for b in sorted(steps)], dtype=np.float64)
    if not (np.all(np.isfinite(bounds)) and bounds[0] >= 0):
        raise ScenarioError(f"step bounds must be costs >= 0 (got {sorted(steps)})")
    if not (np.all(np.isfinite(values)) and np.all(values >= 0)):
        raise ScenarioError(f"step weights must be finite and >= 0 (got {list(values)})")
    padded = np.append(values, 0.0)

    def weight(cost: FloatArray) -> FloatArray:
        band = np.searchsorted(bounds, np.asarray(cost, dtype=np.float64), side="left")
        return np.asarray(padded[band], dtype=np.float64)

    return weight


def gravity_decay(scale: float, alpha: float, min_cost: float = 0.0) -> Decay:
    """``(max(cost, min_cost) / scale) ** alpha`` (``access.weights.gravity``; alpha < 0)."""
    if not (scale > 0 and math.isfinite(alpha) and min_cost >= 0):
        raise ScenarioError(
            f"gravity decay: scale {scale!r} must be > 0, alpha {alpha!r} finite, "
            f"min_cost {min_cost!r} >= 0"
        )

    def weight(cost: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore"):
            return np.power(np.maximum(np.asarray(cost, dtype=np.float64), min_cost) / scale,
                            alpha)

    return weight


def gaussian_decay(sigma: float) -> Decay:
    """``exp(-cost**2 / (2 sigma**2))`` (``access.weights.gaussian``)."""
    if not (math.isfinite(sigma) and sigma > 0):
        raise ScenarioError(f"gaussian decay: sigma must be > 0 (got {sigma!r})")

    def weight(cost: FloatArray) -> FloatArray:
        c = np.asarray(cost, dtype=np.float64)
        return np.asarray(np.exp(-c * c / (2.0 * sigma * sigma)), dtype=np.float64)

    return weight


def _pairs(
    table: pd.DataFrame,
    origins: pd.Index,
    destinations: pd.Index,
    columns: TravelColumns,
    max_cost: float | None,
    decay: Decay | None,
    what: str,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
    """Origin and destination positions and weights ``W`` of the pairs in reach."""
    missing = [c for c in (columns.origin, columns.destination, columns.cost)
               if c not in table.columns]
    if missing:
        raise DataError(
            f"{what} travel table: missing columns {missing} (has {list(table.columns)}); "
            "pass columns=TravelColumns(origin=..., destination=..., cost=...)"
        )
    cost = pd.to_numeric(table[columns.cost], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(cost) | (cost < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{what} travel table: row {k}, column {columns.cost!r} has "
            f"{table[columns.cost].iloc[k]!r}; costs must be numbers >= 0"
        )
    o = origins.get_indexer(pd.Index(table[columns.origin]))
    d = destinations.get_indexer(pd.Index(table[columns.destination]))
    unknown = int((o < 0).sum())
    if unknown:
        warnings.warn(
            f"{what} travel table: {unknown} rows have an origin that is not a demand point; "
            "they are ignored", AccessWarning, stacklevel=3)
    keep = (o >= 0) & (d >= 0) & np.isfinite(cost)
    if max_cost is not None:
        keep &= cost <= max_cost
    o, d, cost = o[keep], d[keep], cost[keep]
    w = np.ones(len(cost)) if decay is None else np.asarray(decay(cost), dtype=np.float64)
    return o.astype(np.int64), d.astype(np.int64), w


def _frame(
    values: npt.NDArray[Any], reached: npt.NDArray[np.bool_], index: pd.Index
) -> pd.DataFrame:
    out = np.where(reached, values, np.nan)
    n_none = int((~reached).sum())
    if n_none:
        warnings.warn(f"{n_none} demand points have no facility in reach: access NaN, "
                      "no_access True", AccessWarning, stacklevel=3)
    return pd.DataFrame({"access": out, "no_access": ~reached}, index=index)


def _series(values: pd.Series, what: str) -> FloatArray:
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(f"{what}: id {values.index[k]!r} has {values.iloc[k]!r}; "
                        "give finite numbers >= 0")
    return v


def _two_steps(o: IntArray, d: IntArray, w: FloatArray, p: FloatArray,
               s: FloatArray) -> FloatArray:
    """Both FCA steps on the pairs ``(o, d)`` weighted ``w``.

    Each facility's supply over the weighted demand reaching it, summed back per origin with the
    same weights.
    """
    load = np.bincount(d, weights=w * p[o], minlength=len(s))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(load > 0, s / load, 0.0)
    return np.asarray(np.bincount(o, weights=w * ratio[d], minlength=len(p)), dtype=np.float64)


def two_step_fca_decay(
    table: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    max_cost: float | None = None,
    decay: Decay | None = None,
    columns: TravelColumns = TravelColumns(),
) -> pd.DataFrame:
    """2SFCA with any decay and an optional cutoff (see module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        Long travel table (origin demand id, destination facility id, cost).
    demand, supply : pandas.Series
        Demand per demand id, supply per facility id.
    max_cost : float, optional
        Largest cost in reach; None = no cutoff.
    decay : callable, optional
        Weight of a cost; None = 1.
    columns : TravelColumns
        Column names of ``table``.

    Returns
    -------
    pandas.DataFrame
        ``access`` (NaN when no facility is in reach) and ``no_access``, indexed by demand id.
    """
    p, s = _series(demand, "demand"), _series(supply, "supply")
    o, d, w = _pairs(table, demand.index, supply.index, columns, max_cost, decay, "2SFCA")
    access = _two_steps(o, d, w, p, s)
    reached = np.bincount(o, weights=(w > 0).astype(float), minlength=len(p)) > 0
    return _frame(access, reached, demand.index)


def three_step_fca(
    table: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    max_cost: float | None = None,
    decay: Decay | None = None,
    columns: TravelColumns = TravelColumns(),
    selection: Literal["in_reach", "table"] = "in_reach",
) -> pd.DataFrame:
    """3SFCA: 2SFCA with selection weights ``G`` (see module docstring).

    Parameters as `two_step_fca_decay`; ``selection`` says which facilities share a point's
    selection weight: those in reach (the paper) or every row of ``table`` (``access``).
    """
    if selection not in ("in_reach", "table"):
        raise ScenarioError(f"3SFCA selection: got {selection!r}; give 'in_reach' or 'table'")
    p, s = _series(demand, "demand"), _series(supply, "supply")
    o, d, w = _pairs(table, demand.index, supply.index, columns, max_cost, decay, "3SFCA")
    total = np.bincount(o, weights=w, minlength=len(p))
    reached = total > 0
    if selection == "table" and max_cost is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AccessWarning)  # already counted above
            o_all, _, w_all = _pairs(table, demand.index, supply.index, columns, None, decay,
                                     "3SFCA")
        total = np.bincount(o_all, weights=w_all, minlength=len(p))
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(total[o] > 0, w / total[o], 0.0)
    access = _two_steps(o, d, g * w, p, s)
    return _frame(access, reached, demand.index)


def cumulative_opportunities(
    table: pd.DataFrame,
    supply: pd.Series,
    demand_ids: pd.Index,
    *,
    max_cost: float | None = None,
    decay: Decay | None = None,
    columns: TravelColumns = TravelColumns(),
) -> pd.DataFrame:
    """Decayed sum of supply in reach of each demand point (``access.weighted_catchment``)."""
    s = _series(supply, "supply")
    o, d, w = _pairs(table, demand_ids, supply.index, columns, max_cost, decay, "cumulative")
    access = np.bincount(o, weights=w * s[d], minlength=len(demand_ids))
    reached = np.bincount(o, minlength=len(demand_ids)) > 0
    return _frame(access, reached, demand_ids)


def fca_ratio(
    table: pd.DataFrame,
    neighbours: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    max_cost: float | None = None,
    decay: Decay | None = None,
    columns: TravelColumns = TravelColumns(),
) -> pd.DataFrame:
    """Supply in reach over demand in reach, per demand point (see module docstring).

    ``neighbours`` is the demand-to-demand travel table (same ``columns``; include each point's
    pair with itself, cost 0, for it to count its own demand).
    """
    p, s = _series(demand, "demand"), _series(supply, "supply")
    o, d, w = _pairs(table, demand.index, supply.index, columns, max_cost, decay, "FCA supply")
    supply_near = np.bincount(o, weights=w * s[d], minlength=len(p))
    reached = np.bincount(o, minlength=len(p)) > 0
    o2, d2, w2 = _pairs(neighbours, demand.index, demand.index, columns, max_cost, decay,
                        "FCA demand")
    demand_near = np.bincount(o2, weights=w2 * p[d2], minlength=len(p))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = supply_near / demand_near
    return _frame(ratio, reached & (demand_near > 0), demand.index)


def normalise(access: pd.DataFrame, demand: pd.Series) -> pd.DataFrame:
    """Access divided by its demand-weighted mean over the points with access."""
    values = access["access"].to_numpy(dtype=np.float64)
    weight = demand.reindex(access.index).to_numpy(dtype=np.float64)
    ok = np.isfinite(values) & np.isfinite(weight)
    mean = float(values[ok] @ weight[ok]) / float(weight[ok].sum()) if ok.any() else math.nan
    out = access.copy()
    out["access"] = values / mean if mean and math.isfinite(mean) else math.nan
    return out
