"""Spatial accessibility: (enhanced) two-step floating catchment per resource, and its inequality.

Two-step floating catchment area (2SFCA, Luo & Wang 2003), with distance-decay step weights
(enhanced 2SFCA, Luo & Qi 2009), on a long travel table of (demand point k, facility j, minutes):

1. Supply-to-demand ratio of each facility: ``R_j = S_j / sum_k W(t_kj) * P_k``.
2. Accessibility of each demand point: ``A_k = sum_j W(t_kj) * R_j``.

``W`` is a step function: ``{10: 1.0, 20: 0.68, 30: 0.22}`` means weight 1 up to 10 minutes,
0.68 above 10 up to 20, 0.22 above 20 up to 30 and 0 beyond. Plain 2SFCA is one step,
``{30: 1.0}``. A facility no one reaches has no ratio (its supply is not attributed). Results
are reported per 1000 residents (``beds_per_1000``).

No access is not zero supply: a demand point with no facility within the last step gets NaN
and ``no_access = True`` (as pysal's ``access`` gives NaN), while a point that reaches only
facilities without the resource gets a true 0. Every consumer skips NaN explicitly: a town's
figure is the population-weighted mean over its points *with* access, and the town table says
how many points and residents have none (``no_access_points``, ``no_access_population``); the
Gini and decile ratio leave towns without any access out and say how many
(``no_access_towns``).

Inequality across towns uses each town's population-weighted mean access:

* Gini, population-weighted: towns sorted by access, ``G = 1 - sum_i p_i (L_i + L_{i-1})`` with
  ``p_i`` the town's share of population and ``L_i`` the cumulative share of access-weighted
  population (the Lorenz curve of residents ranked by their town's access). 0 is equality.
* Decile ratio: mean access of the best-served 10 % of residents over that of the worst-served
  10 % (towns split at the decile boundary); ``inf`` when the worst decile has no access.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.errors import DataError, Problem, ScenarioError
from optimizer.spatial.access_models import AccessWarning

__all__ = [
    "DEFAULT_STEP_WEIGHTS",
    "access_column",
    "access_indices",
    "decile_ratio",
    "gini_skipping_nan",
    "inequality",
    "step_weight",
    "town_access",
    "two_step_fca",
    "weighted_gini",
]

DEFAULT_STEP_WEIGHTS: Mapping[float, float] = MappingProxyType({10.0: 1.0, 20.0: 0.68, 30.0: 0.22})


def access_column(resource: str) -> str:
    """Return the access column name of a resource, e.g. ``beds_per_1000``."""
    return f"{resource}_per_1000"


def _check_steps(step_weights: Mapping[float, float]) -> tuple[np.ndarray, np.ndarray]:
    if not step_weights:
        raise ScenarioError("step weights are empty; give e.g. {10: 1.0, 20: 0.68, 30: 0.22}")
    bounds = np.array(sorted(float(b) for b in step_weights), dtype=np.float64)
    weights = np.array([float(step_weights[b]) for b in sorted(step_weights)], dtype=np.float64)
    if not (np.all(np.isfinite(bounds)) and bounds[0] > 0):
        raise ScenarioError(f"step bounds must be positive minutes (got {sorted(step_weights)})")
    # access (pysal) takes any non-negative step weight; a weight above 1 scales supply up
    if not (np.all(np.isfinite(weights)) and np.all(weights >= 0)):
        raise ScenarioError(f"step weights must be finite and >= 0 (got {list(weights)})")
    return bounds, weights


def step_weight(minutes: np.ndarray, step_weights: Mapping[float, float]) -> np.ndarray:
    """Return the weight of each travel time under a step function (0 beyond the last step)."""
    bounds, weights = _check_steps(step_weights)
    band = np.searchsorted(bounds, np.asarray(minutes, dtype=np.float64), side="left")
    padded = np.append(weights, 0.0)
    return padded[band]


def two_step_fca(
    table: pd.DataFrame,
    population: pd.Series,
    supply: pd.Series,
    *,
    step_weights: Mapping[float, float] = DEFAULT_STEP_WEIGHTS,
) -> pd.Series:
    """Return the 2SFCA accessibility (supply per resident) of every demand point.

    Parameters
    ----------
    table : pandas.DataFrame
        Long travel table with ``origin_id`` (demand), ``destination_id`` (facility),
        ``minutes``; pairs beyond the last step are ignored.
    population : pandas.Series
        Residents per demand id.
    supply : pandas.Series
        Resource amount per facility id (facilities absent from it supply nothing).
    step_weights : Mapping[float, float]
        Upper bound in minutes -> weight.

    Returns
    -------
    pandas.Series
        Accessibility per demand id (same index order as ``population``), NaN where no
        facility of ``table`` is within reach; 0 where the facilities in reach have none of the
        resource (or are absent from ``supply``).
    """
    w = step_weight(table["minutes"].to_numpy(), step_weights)
    keep = w > 0
    origin = pd.Index(population.index.astype(str)).get_indexer(
        table["origin_id"].astype(str).to_numpy()[keep]
    )
    fac_ids = pd.Index(supply.index.astype(str))
    dest = fac_ids.get_indexer(table["destination_id"].astype(str).to_numpy()[keep])
    w = w[keep]
    unknown = int((origin < 0).sum())
    if unknown:
        # a table built for a wider area: rows for other origins are not an error
        warnings.warn(f"travel table: {unknown} rows have an origin that is not a demand "
                      "point; they are ignored", AccessWarning, stacklevel=2)
    pop = population.to_numpy(dtype=np.float64)
    # in reach of some facility of the table, whether or not it supplies this resource
    reached = np.bincount(origin[origin >= 0], minlength=len(pop)) > 0
    known = (dest >= 0) & (origin >= 0)
    origin, dest, w = origin[known], dest[known], w[known]
    s = supply.to_numpy(dtype=np.float64)
    weighted_demand = np.bincount(dest, weights=w * pop[origin], minlength=len(s))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(weighted_demand > 0, s / weighted_demand, 0.0)
    access = np.bincount(origin, weights=w * ratio[dest], minlength=len(pop))
    return pd.Series(np.where(reached, access, np.nan), index=population.index, name="access")


def access_indices(
    table: pd.DataFrame,
    demand: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    resources: Sequence[str] = ("beds", "doctors"),
    step_weights: Mapping[float, float] = DEFAULT_STEP_WEIGHTS,
) -> pd.DataFrame:
    """Return ``<resource>_per_1000`` accessibility per demand point, sorted by ``demand_id``.

    Columns ``demand_id``, ``town_code``, ``population``, one ``<resource>_per_1000`` per
    resource (NaN without access) and ``no_access`` (no facility within the last step).
    """
    missing = [r for r in resources if r not in facilities.columns]
    if missing:
        raise DataError(
            [Problem("facilities", "", r, "", "resource column missing",
                     f"add a '{r}' column or drop it from the access resources")
             for r in missing]
        )
    ordered = demand.sort_values("demand_id", kind="stable")
    population = pd.Series(
        pd.to_numeric(ordered["population"]).to_numpy(dtype=np.float64),
        index=pd.Index(ordered["demand_id"].astype(str), name="demand_id"),
    )
    out = pd.DataFrame({"demand_id": population.index.to_numpy(),
                        "town_code": ordered["town_code"].astype(str).to_numpy(),
                        "population": population.to_numpy()})
    fac_index = pd.Index(facilities["facility_id"].astype(str))
    no_access = np.zeros(len(out), dtype=bool)
    for resource in resources:
        supply = pd.Series(
            pd.to_numeric(facilities[resource]).fillna(0).to_numpy(dtype=np.float64),
            index=fac_index,
        )
        value = two_step_fca(table, population, supply, step_weights=step_weights)
        out[access_column(resource)] = value.to_numpy() * 1000.0
        no_access = np.isnan(value.to_numpy())  # reach is the same for every resource
    out["no_access"] = no_access
    return out


def town_access(access: pd.DataFrame, resources: Sequence[str]) -> pd.DataFrame:
    """Return the population-weighted mean access per town, sorted by ``town_code``.

    The mean runs over the town's points with access (NaN when none has any);
    ``no_access_points`` and ``no_access_population`` count the points left out.
    """
    columns = [access_column(r) for r in resources]
    rows = []
    for town, part in access.groupby(access["town_code"].astype(str), sort=True):
        pop = part["population"].to_numpy(dtype=np.float64)
        row: dict[str, object] = {"town_code": town}
        for column in columns:
            values = part[column].to_numpy(dtype=np.float64)
            ok = ~np.isnan(values)
            mass = float(pop[ok].sum())
            row[column] = float(values[ok] @ pop[ok]) / mass if mass > 0 else np.nan
        none = _no_access(part, columns)
        row["no_access_points"] = int(none.sum())
        row["no_access_population"] = float(pop[none].sum())
        rows.append(row)
    return pd.DataFrame(rows, columns=["town_code", *columns, "no_access_points",
                                       "no_access_population"])


def _no_access(access: pd.DataFrame, columns: Sequence[str]) -> npt.NDArray[np.bool_]:
    if "no_access" in access.columns:
        return access["no_access"].to_numpy(dtype=bool)
    if not columns:
        return np.zeros(len(access), dtype=bool)
    return np.asarray(access[list(columns)].isna().all(axis=1).to_numpy(), dtype=bool)


def gini_skipping_nan(values: np.ndarray, weights: np.ndarray) -> tuple[float, int]:
    """The weighted Gini over the finite values, and how many NaN ("no access") it skipped."""
    x = np.asarray(values, dtype=np.float64)
    skipped = int(np.isnan(x).sum())
    return weighted_gini(x[~np.isnan(x)], np.asarray(weights, dtype=np.float64)[~np.isnan(x)]), \
        skipped


def weighted_gini(values: np.ndarray, weights: np.ndarray) -> float:
    """Return the population-weighted Gini coefficient of ``values`` (see module docstring).

    Non-finite values (NaN: no access) are left out; `gini_skipping_nan` also counts them.
    """
    x = np.asarray(values, dtype=np.float64)
    p = np.asarray(weights, dtype=np.float64)
    ok = np.isfinite(x) & (p > 0)
    x, p = x[ok], p[ok]
    if len(x) == 0 or float(np.dot(x, p)) <= 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    x, p = x[order], p[order] / p.sum()
    lorenz = np.cumsum(p * x) / float(np.dot(p, x))
    previous = np.concatenate([[0.0], lorenz[:-1]])
    return float(1.0 - np.sum(p * (lorenz + previous)))


def decile_ratio(values: np.ndarray, weights: np.ndarray, share: float = 0.1) -> float:
    """Return mean of the best-served ``share`` of residents over that of the worst-served."""
    x = np.asarray(values, dtype=np.float64)
    p = np.asarray(weights, dtype=np.float64)
    ok = np.isfinite(x) & (p > 0)
    x, p = x[ok], p[ok]
    if len(x) == 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    x, p = x[order], p[order]
    total = p.sum()
    cum = np.cumsum(p)
    prev = cum - p
    cut = share * total
    bottom = np.clip(np.minimum(cum, cut) - prev, 0.0, None)
    top = np.clip(cum - np.maximum(prev, total - cut), 0.0, None)
    worst = float(np.dot(bottom, x)) / cut
    best = float(np.dot(top, x)) / cut
    if worst == 0:
        return float("inf") if best > 0 else float("nan")
    return float(best / worst)


def inequality(
    towns_access: pd.DataFrame, population: pd.Series, resources: Sequence[str]
) -> pd.DataFrame:
    """Return ``resource``, ``gini``, ``decile_ratio`` and ``no_access_towns`` across towns.

    ``population`` is indexed by ``town_code``. Towns without any access (NaN) are left out of
    both measures and counted in ``no_access_towns``.
    """
    pop = towns_access["town_code"].map(population).fillna(0.0).to_numpy(dtype=np.float64)
    rows = []
    for resource in resources:
        values = towns_access[access_column(resource)].to_numpy(dtype=np.float64)
        gini, skipped = gini_skipping_nan(values, pop)
        rows.append({"resource": resource, "gini": gini,
                     "decile_ratio": decile_ratio(values, pop), "no_access_towns": skipped})
    return pd.DataFrame(rows, columns=["resource", "gini", "decile_ratio", "no_access_towns"])
