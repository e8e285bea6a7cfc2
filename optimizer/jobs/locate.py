"""File-to-file location runs for the CLI: read points, build costs, solve, write atomically.

Inputs are a demand file and a candidate-site file, each a CSV or a GeoJSON:

* CSV: columns ``id`` and either ``x``/``y`` (projected coordinates in metres, in the CRS named
  by ``crs``) or ``lon``/``lat`` (WGS84 degrees); demand files may carry ``weight`` (default 1).
* GeoJSON (or any vector file geopandas reads): an ``id`` property, point geometries (other
  geometries are replaced by a representative point), a CRS.

Distances are Euclidean in a projected CRS, never on degrees: geographic input is reprojected to
the WGS84 / UTM zone of the demand points' mean longitude (EPSG:326zz north, 327zz south; zone
48N = EPSG:32648 for Chongqing), projected input keeps its CRS (sites are reprojected to the
demand's). Costs are metres, or minutes when ``speed_kmh`` is given
(``distance x detour / speed``). Outputs, written into ``out_dir`` atomically (a temporary folder
beside it, renamed at the end; :mod:`optimizer.results.atomic`): ``sites.csv``, ``sites.geojson``
(selected sites) and ``summary.json``. Nothing is written when the model has no solution.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from optimizer.errors import DataError, InfeasibleError, Problem, UsageError
from optimizer.locate.center import p_center
from optimizer.locate.covering import lscp, mclp
from optimizer.locate.median import p_median
from optimizer.locate.result import LocateResult
from optimizer.locate.road_costs import road_cost_matrix, road_cost_pairs
from optimizer.results.atomic import replace_folder
from optimizer.results.files import write_csv
from optimizer.results.provenance import sha256_file
from optimizer.routing.context import OSM_ATTRIBUTION, from_openstreetmap, read_roads
from optimizer.solvers.status import SolveStatus

__all__ = ["MODELS", "MODEL_NEEDS", "LocateRequest", "LocateRun", "run_locate", "solve_locate",
           "write_locate"]

MODELS = ("lscp", "mclp", "pmedian", "pcenter")
# The parameters each model cannot run without.
MODEL_NEEDS = {"lscp": ("standard",), "mclp": ("standard", "p"), "pmedian": ("p",),
               "pcenter": ("p",)}
ID_ALIASES = ("demand_id", "facility_id", "site_id")


def run_locate(
    model: str,
    demand_path: str | Path,
    sites_path: str | Path,
    *,
    out_dir: str | Path,
    standard: float | None = None,
    p: int | None = None,
    required: Sequence[str] = (),
    forbidden: Sequence[str] = (),
    crs: str | None = None,
    speed_kmh: float | None = None,
    detour: float = 1.0,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    threads: int | None = None,
    site_tiers: Sequence[str] = (),
    finish: Callable[[Path], None] | None = None,
    roads: Path | str | None = None,
) -> dict[str, Any]:
    """Run one location model from files and write ``sites.csv``, ``sites.geojson``, summary.

    Parameters
    ----------
    model : {"lscp", "mclp", "pmedian", "pcenter"}
        Which kernel.
    demand_path, sites_path : str or pathlib.Path
        Demand points and candidate sites (CSV or GeoJSON, see the module docstring).
    out_dir : str or pathlib.Path
        Output folder; replaced as a whole, atomically.
    standard : float, optional
        Service standard in cost units (metres, or minutes with ``speed_kmh``); LSCP and MCLP.
    p : int, optional
        Number of sites; MCLP, p-median, p-center.
    required, forbidden : sequence of str
        Site ids forced open / kept closed (ids compared as text).
    crs : str, optional
        CRS of ``x``/``y`` CSV columns (e.g. ``"EPSG:4544"``); required for such files.
    speed_kmh : float, optional
        Travel speed: costs become minutes ``= metres / 1000 x detour / speed_kmh x 60``.
    roads : path, optional
        Road lines: costs become minutes on the roads at ``speed_kmh`` at most
        (:mod:`optimizer.locate.road_costs`); needs ``speed_kmh``.
    detour : float
        Detour factor applied to straight-line distances (1 = none).
    solver, time_limit, mip_gap, threads
        Passed to the kernel.
    site_tiers : sequence of str
        Keep only candidate sites whose ``tier`` column is one of these (medalloc's
        facilities layer); empty keeps all.
    finish : callable, optional
        Called with the folder being built, after the files are in it and before the swap.

    Returns
    -------
    dict
        The summary written to ``summary.json``.

    Raises
    ------
    DataError
        When a file is missing or invalid, or a model parameter is missing.
    UsageError
        ``p`` is not between 1 and the number of candidate sites (nor below the required
        sites), or ``out_dir`` is not medalloc's, holds the inputs, is in use or cannot be
        written.
    InfeasibleError
        No choice of sites satisfies the model (LSCP: some demand point is beyond the standard
        of every candidate); nothing is written.
    """
    request = LocateRequest(
        model, Path(demand_path), Path(sites_path), standard=standard, p=p,
        required=tuple(required), forbidden=tuple(forbidden), crs=crs, speed_kmh=speed_kmh,
        detour=detour, solver=solver, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
        site_tiers=tuple(site_tiers), roads=None if roads is None else Path(roads))
    request.check()
    with replace_folder(Path(out_dir), "locate", inputs=request.inputs) as tmp:
        run = solve_locate(request)
        write_locate(run, tmp)
        if finish is not None:
            finish(tmp)
    return run.summary


@dataclass(frozen=True)
class LocateRequest:
    """One location run from files: the model, its inputs and its parameters.

    Attributes
    ----------
    model : {"lscp", "mclp", "pmedian", "pcenter"}
        Which kernel.
    demand_path, sites_path : pathlib.Path
        Demand points and candidate sites (CSV or GeoJSON, see the module docstring).
    standard, p : optional
        Service standard in cost units (LSCP, MCLP); number of sites (MCLP, p-median,
        p-center).
    required, forbidden : tuple of str
        Site ids forced open / kept closed (ids compared as text).
    crs, speed_kmh, detour, roads
        How costs are made: see :func:`run_locate`.
    solver, time_limit, mip_gap, threads
        Passed to the kernel.
    site_tiers : tuple of str
        Keep only candidate sites of these tiers; empty keeps all.
    """

    model: str
    demand_path: Path
    sites_path: Path
    standard: float | None = None
    p: int | None = None
    required: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    crs: str | None = None
    speed_kmh: float | None = None
    detour: float = 1.0
    solver: str = "highs"
    time_limit: float | None = None
    mip_gap: float = 0.0
    threads: int | None = None
    site_tiers: tuple[str, ...] = ()
    roads: Path | None = None

    @property
    def inputs(self) -> tuple[Path, ...]:
        """The files read (an output folder holding one of them is refused)."""
        return (self.demand_path, self.sites_path, *(() if self.roads is None else (self.roads,)))

    def check(self) -> None:
        """Refuse a request that cannot run, before anything is read.

        Raises
        ------
        DataError
            An unknown model, a missing model parameter, a speed <= 0, a detour < 1, or roads
            without a speed.
        """
        if self.model not in MODELS:
            raise DataError(f"model: got {self.model!r}; use one of {', '.join(MODELS)}")
        needs = MODEL_NEEDS[self.model]
        given = {"standard": self.standard, "p": self.p}
        missing = [n for n in needs if given[n] is None]
        if missing:
            raise DataError(f"{self.model}: missing {', '.join(missing)}; pass --{missing[0]}")
        if self.speed_kmh is not None and not self.speed_kmh > 0:
            raise DataError(f"speed_kmh: got {self.speed_kmh!r}; give a speed > 0")
        if not self.detour >= 1.0:
            raise DataError(f"detour: got {self.detour!r}; give a factor >= 1")
        if self.roads is not None and self.speed_kmh is None:
            raise DataError("--roads needs --speed-kmh: costs on roads are minutes")


@dataclass(frozen=True)
class LocateRun:
    """What a location run found, before anything is written.

    Attributes
    ----------
    result : LocateResult
        The kernel's result.
    sites : geopandas.GeoDataFrame
        The candidate sites as used (projected, filtered by tier).
    summary : dict
        The record written to ``summary.json``.
    """

    result: LocateResult
    sites: gpd.GeoDataFrame
    summary: dict[str, Any]


def _check_p(p: int | None, sites: gpd.GeoDataFrame, required: Sequence[str],
             forbidden: Sequence[str], path: Path) -> None:
    """Refuse a number of sites the candidates cannot give, before any solve."""
    if p is None:
        return
    ids = set(sites["id"].astype(str))
    allowed = len(ids - {str(f) for f in forbidden})
    left = " left after --forbidden" if forbidden else ""
    if not 1 <= p <= allowed:
        raise UsageError(f"--p {p}: give a number of sites between 1 and {allowed} (the "
                         f"candidate sites{left} in {path})")
    needed = len({str(r) for r in required} & ids)
    if p < needed:
        raise UsageError(f"--p {p} is fewer than the {needed} sites given with --required; "
                         f"give --p {needed} or more")


def _infeasible(model: str, table: pd.DataFrame | None, demand: gpd.GeoDataFrame,
                sites: gpd.GeoDataFrame, forbidden: Sequence[str], standard: float | None,
                unit: str) -> InfeasibleError:
    """Why a location model has no solution, in a sentence with the fix."""
    if table is not None and standard is not None:
        usable = table[~table["site_id"].astype(str).isin({str(f) for f in forbidden})]
        outside = sorted(set(demand["id"].astype(str)) - set(usable["demand_id"].astype(str)))
        if outside:
            shown = ", ".join(outside[:5]) + (", ..." if len(outside) > 5 else "")
            return InfeasibleError(
                f"{model}: {len(outside)} of {len(demand)} demand points are farther than the "
                f"standard ({standard:g} {unit}) from every one of the {len(sites)} candidate "
                f"sites ({shown}); raise --standard, add candidate sites or drop --forbidden")
    return InfeasibleError(f"{model}: no choice of sites satisfies the model with these "
                           "parameters; check --p, --required and --forbidden")


def solve_locate(request: LocateRequest) -> LocateRun:
    """Read the points, build the costs and solve; nothing is written.

    Raises
    ------
    DataError
        A file is missing or invalid.
    UsageError
        ``p`` is not between 1 and the number of candidate sites (nor below the required ones).
    InfeasibleError
        No choice of sites satisfies the model.
    """
    r = request
    demand = read_points(r.demand_path, crs=r.crs, with_weight=True)
    sites = read_points(r.sites_path, crs=r.crs, with_weight=False)
    if r.site_tiers:
        sites = _keep_tiers(sites, r.site_tiers, r.sites_path)
    _check_p(r.p, sites, r.required, r.forbidden, r.sites_path)
    target = demand.crs if demand.crs.is_projected else utm_crs(demand)
    demand, sites = demand.to_crs(target), sites.to_crs(target)
    dxy = np.column_stack([demand.geometry.x, demand.geometry.y])
    sxy = np.column_stack([sites.geometry.x, sites.geometry.y])
    # cost per straight-line metre: detoured metres, or minutes at the given speed
    per_m = r.detour if r.speed_kmh is None else r.detour / 1000.0 / r.speed_kmh * 60.0
    kw: dict[str, Any] = {
        "required": list(r.required),
        "forbidden": list(r.forbidden),
        "demand_ids": demand["id"].tolist(),
        "site_ids": sites["id"].tolist(),
        "solver": r.solver,
        "time_limit": r.time_limit,
        "threads": r.threads,
    }
    weights = demand["weight"].to_numpy(dtype=float)
    res: LocateResult
    table: pd.DataFrame | None = None
    if r.model in ("lscp", "mclp"):
        assert r.standard is not None
        table = _pairs_within(dxy, sxy, r.standard / per_m, per_m, demand, sites) \
            if r.roads is None or r.speed_kmh is None else road_cost_pairs(
                r.roads, target, dxy, sxy, r.speed_kmh, r.standard, demand["id"].to_numpy(),
                sites["id"].to_numpy())
        if r.model == "lscp":
            res = lscp(table, standard=r.standard, weights=weights, mip_gap=r.mip_gap, **kw)
        else:
            assert r.p is not None
            res = mclp(table, weights, standard=r.standard, p=r.p, mip_gap=r.mip_gap, **kw)
    else:
        assert r.p is not None
        costs = cdist(dxy, sxy) * per_m if r.roads is None or r.speed_kmh is None \
            else road_cost_matrix(r.roads, target, dxy, sxy, r.speed_kmh)
        if r.model == "pmedian":
            res = p_median(costs, weights, p=r.p, mip_gap=r.mip_gap, **kw)
        else:
            res = p_center(costs, p=r.p, weights=weights, **kw)
    if res.status is SolveStatus.INFEASIBLE:
        raise _infeasible(r.model, table, demand, sites, r.forbidden, r.standard,
                          "minutes" if r.speed_kmh else "metres")
    summary = _summary(r, res, str(target))
    if r.roads is not None:
        summary["roads"] = {"file": r.roads.name, "sha256": sha256_file(r.roads)}
        if from_openstreetmap(read_roads(r.roads)):
            summary["attribution"] = OSM_ATTRIBUTION
    return LocateRun(res, sites, summary)


def _keep_tiers(
    sites: gpd.GeoDataFrame, tiers: Sequence[str], path: str | Path
) -> gpd.GeoDataFrame:
    """Keep the candidate sites whose ``tier`` is one of ``tiers``."""
    if "tier" not in sites.columns:
        raise DataError([Problem(str(path), "", "tier", "", "no 'tier' column to filter on",
                                 "drop --tier, or add the column")])
    kept = sites[sites["tier"].isin(list(tiers))]
    if kept.empty:
        found = ", ".join(sorted(map(str, sites["tier"].unique())))
        raise DataError([Problem(str(path), "", "tier", ", ".join(tiers),
                                 "no candidate site has these tiers", f"use one of: {found}")])
    return kept


def utm_crs(points: gpd.GeoDataFrame) -> Any:
    """The WGS84 / UTM zone CRS of the points' mean longitude (and hemisphere)."""
    wgs = points.to_crs("EPSG:4326")
    lon = float(wgs.geometry.x.mean())
    lat = float(wgs.geometry.y.mean())
    zone = min(max(math.floor((lon + 180.0) / 6.0) + 1, 1), 60)
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def _apply_aliases(frame: gpd.GeoDataFrame, *, with_weight: bool) -> gpd.GeoDataFrame:
    """Accept medalloc's own layers, which name ids and weights by role (demand_id, population)."""
    alias = next((a for a in ID_ALIASES if "id" not in frame.columns and a in frame.columns), None)
    if alias:
        frame = frame.rename(columns={alias: "id"})
    if with_weight and "weight" not in frame.columns and "population" in frame.columns:
        frame = frame.rename(columns={"population": "weight"})
    return frame


def read_points(path: Path, *, crs: str | None, with_weight: bool) -> gpd.GeoDataFrame:
    """Read a CSV or vector file of points with ``id`` (and ``weight``); every problem at once."""
    if not path.exists():
        raise DataError([Problem(str(path), "", "", "", "file not found", "check the path")])
    problems: list[Problem] = []
    if path.suffix.lower() == ".csv":
        frame = _read_csv_points(path, crs, problems)
    else:
        frame = _read_vector(path)
    row_name = "line" if path.suffix.lower() == ".csv" else "feature"
    first = 2 if row_name == "line" else 1
    frame = _apply_aliases(frame, with_weight=with_weight)
    if "id" not in frame.columns:
        problems.append(
            Problem(
                str(path),
                "",
                "id",
                "",
                "missing id column",
                "add a column 'id' with a unique id per point",
            )
        )
    else:
        frame["id"] = frame["id"].astype(str)
        for k in np.flatnonzero(frame["id"].duplicated().to_numpy()):
            problems.append(
                Problem(
                    str(path),
                    f"{row_name} {k + first}",
                    "id",
                    str(frame["id"].iloc[k]),
                    "duplicate id",
                    "give every point its own id",
                )
            )
    if with_weight:
        if "weight" not in frame.columns:
            frame["weight"] = 1.0
        w = pd.to_numeric(frame["weight"], errors="coerce")
        for k in np.flatnonzero((w.isna() | (w < 0)).to_numpy()):
            problems.append(
                Problem(
                    str(path),
                    f"{row_name} {k + first}",
                    "weight",
                    str(frame["weight"].iloc[k]),
                    "not a number >= 0",
                    "give a non-negative weight (population)",
                )
            )
        frame["weight"] = w
    if len(frame) == 0:
        problems.append(Problem(str(path), "", "", "", "no points", "add at least one row"))
    if problems:
        raise DataError(problems)
    return frame


def _read_vector(path: Path) -> gpd.GeoDataFrame:
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise DataError(
            [
                Problem(
                    str(path),
                    "",
                    "",
                    "",
                    f"cannot read ({exc})",
                    "give a CSV or a GeoJSON/GeoPackage file",
                )
            ]
        ) from exc
    if frame.crs is None:
        raise DataError(
            [
                Problem(
                    str(path), "", "", "", "no CRS", "save the file with its CRS (GeoJSON is WGS84)"
                )
            ]
        )
    if not (frame.geom_type == "Point").all():
        frame = frame.set_geometry(frame.geometry.representative_point())
    return frame


def _read_csv_points(path: Path, crs: str | None, problems: list[Problem]) -> gpd.GeoDataFrame:
    """Points from a CSV; coordinate problems are appended to ``problems``."""
    frame = pd.read_csv(path, encoding="utf-8-sig")  # a BOM is Excel's 'CSV UTF-8'
    if {"lon", "lat"} <= set(frame.columns):
        xcol, ycol, src = "lon", "lat", "EPSG:4326"
    elif {"x", "y"} <= set(frame.columns):
        if crs is None:
            raise DataError(
                [
                    Problem(
                        str(path),
                        "",
                        "x",
                        "",
                        "x/y given without a CRS",
                        "pass crs (e.g. EPSG:4544) or give lon/lat columns",
                    )
                ]
            )
        xcol, ycol, src = "x", "y", crs
    else:
        raise DataError(
            [
                Problem(
                    str(path),
                    "",
                    "",
                    ",".join(map(str, frame.columns)),
                    "no coordinate columns",
                    "add lon/lat or x/y columns",
                )
            ]
        )
    coords = {}
    for col in (xcol, ycol):
        v = pd.to_numeric(frame[col], errors="coerce")
        for k in np.flatnonzero(v.isna().to_numpy()):
            problems.append(
                Problem(
                    str(path),
                    f"line {k + 2}",
                    col,
                    str(frame[col].iloc[k]),
                    "not a number",
                    "give a numeric coordinate",
                )
            )
        coords[col] = v
    geometry = gpd.points_from_xy(coords[xcol], coords[ycol])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=src)


def _pairs_within(
    dxy: np.ndarray,
    sxy: np.ndarray,
    radius_m: float,
    per_m: float,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """Long table of (demand, site, cost) for pairs within the radius (sparse, via a k-d tree)."""
    hits = cKDTree(sxy).query_ball_point(dxy, r=radius_m * (1 + 1e-12))
    counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    i = np.repeat(np.arange(len(dxy)), counts)
    j = np.fromiter((k for h in hits for k in h), dtype=np.int64, count=int(counts.sum()))
    d = np.sqrt(((dxy[i] - sxy[j]) ** 2).sum(axis=1))
    return pd.DataFrame(
        {
            "demand_id": demand["id"].to_numpy()[i],
            "site_id": sites["id"].to_numpy()[j],
            "cost": d * per_m,
        }
    )


def _clean(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 6)


def _summary(r: LocateRequest, res: LocateResult, crs: str) -> dict[str, Any]:
    return {
        "model": r.model,
        "status": res.status.value,
        "objective": _clean(res.objective),
        "best_bound": _clean(res.best_bound),
        "gap": _clean(res.gap),
        "selected": [str(s) for s in res.selected],
        "n_selected": len(res.selected),
        "covered_weight": _clean(res.covered_weight),
        "total_weight": _clean(res.total_weight),
        "parameters": {
            "standard": r.standard,
            "p": r.p,
            "speed_kmh": r.speed_kmh,
            "detour": r.detour,
            "cost_unit": "minutes" if r.speed_kmh else "metres",
            "crs": crs,
        },
        "solver": res.solver,
        "build_seconds": round(res.build_seconds, 3),
        "solve_seconds": round(res.solve_seconds, 3),
        "stats": {k: int(v) for k, v in sorted(res.stats.items())},
        "inputs": {
            "demand": {"path": str(r.demand_path), "sha256": sha256_file(r.demand_path)},
            "sites": {"path": str(r.sites_path), "sha256": sha256_file(r.sites_path)},
        },
    }


def write_locate(run: LocateRun, folder: Path) -> None:
    """Write ``sites.csv``, ``sites.geojson`` and ``summary.json`` into ``folder``."""
    res, sites, summary = run.result, run.sites, run.summary
    chosen = set(map(str, res.selected))
    asg = res.assignment
    served = asg.dropna(subset=["site_id"]).assign(site_id=lambda f: f["site_id"].astype(str))
    table = sites[["id"]].copy()
    table["selected"] = table["id"].isin(chosen)
    table["x"] = sites.geometry.x.round(3)
    table["y"] = sites.geometry.y.round(3)
    table["n_assigned"] = table["id"].map(served.groupby("site_id").size()).fillna(0)
    table["n_assigned"] = table["n_assigned"].astype(int)
    table = table.rename(columns={"id": "site_id"}).sort_values("site_id")
    write_csv(table, folder / "sites.csv", "%.3f")
    picked = sites[sites["id"].isin(chosen)].sort_values("id")
    picked[["id", "geometry"]].to_crs("EPSG:4326").to_file(
        folder / "sites.geojson", driver="GeoJSON"
    )
    (folder / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
