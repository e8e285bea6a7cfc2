"""Fit the straight-line detour factor, by trip length, from shortest paths on a road layer.

Sampled points (demand points, say) are paired; for each pair the road trip from
:func:`optimizer.routing.engine.route_pairs` is compared with the straight line between them:

* ``by="distance"`` (the default): shortest road distance over straight-line distance, every
  road taken at one speed so the shortest path is the shortest in metres. The walk between a
  point and its road counts as part of the trip, as it does in network mode.
* ``by="time"``: network minutes over straight-line minutes at the travel mode's rural speed,
  i.e. the detour factor that makes straight-line mode give the network's times (it folds the
  road speeds into the factor).

Pairs are grouped in bands of straight-line length; each band reports its number of pairs,
median, 10th and 90th percentiles and mean, and a fitted value: the band medians made
non-increasing with length by pool-adjacent-violators (weights: pairs), since longer trips
straighten out on the trunk roads. The single factor for ``[travel] detour_factor`` is the
median over all pairs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from optimizer.errors import DataError, ScenarioError
from optimizer.routing.engine import route_pairs
from optimizer.routing.snap import edge_tree
from optimizer.travel.network import build_network
from optimizer.travel.table import point_xy

if TYPE_CHECKING:
    import geopandas as gpd

    from optimizer.travel.network import RoadNetwork
    from optimizer.travel.table import TravelSettings

__all__ = ["DEFAULT_BANDS_KM", "Calibration", "calibrate_detour", "fit_bands", "monotone_fit"]

DEFAULT_BANDS_KM = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
_MIN_STRAIGHT_M = 100.0  # shorter pairs are mostly snapping error


@dataclass(frozen=True)
class Calibration:
    """A fitted detour factor.

    Attributes
    ----------
    bands : pandas.DataFrame
        ``band_from_km``, ``band_to_km`` (inf for the last), ``pairs``, ``median``, ``p10``,
        ``p90``, ``mean``, ``fitted``; bands without pairs are left out.
    detour_factor : float
        Median ratio over all pairs.
    pairs : int
        Pairs measured.
    unreachable : int
        Pairs with no road connection (left out of the fit).
    by : str
        ``distance`` or ``time``.
    travel_mode : str
        The travel mode of the road trips.
    """

    bands: pd.DataFrame
    detour_factor: float
    pairs: int
    unreachable: int
    by: str
    travel_mode: str

    def to_json(self) -> dict[str, Any]:
        """The calibration as plain JSON values (inf written as null)."""
        rows = [{k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                 for k, v in row.items()} for row in self.bands.to_dict("records")]
        return {"detour_factor": self.detour_factor, "pairs": self.pairs,
                "unreachable": self.unreachable, "by": self.by,
                "travel_mode": self.travel_mode, "bands": rows}

    def toml(self) -> str:
        """Lines to paste into a scenario's ``[travel]`` (the bands as comments)."""
        lines = [f"# medalloc roads calibrate: {self.pairs} pairs, road {self.by} over "
                 f"straight line ({self.travel_mode})",
                 f"detour_factor = {self.detour_factor:.3f}",
                 "# by straight-line trip length (not read by medalloc yet: one factor only):"]
        for row in self.bands.to_dict("records"):
            to_km = float(row["band_to_km"])
            upper = "" if not np.isfinite(to_km) else f"{to_km:g}"
            lines.append(f"#   {row['band_from_km']:g}-{upper} km: fitted {row['fitted']:.3f}, "
                         f"median {row['median']:.3f} (p10 {row['p10']:.3f}, p90 "
                         f"{row['p90']:.3f}, {row['pairs']} pairs)")
        if self.detour_factor < 1:
            lines.append("# a factor below 1 is refused by [travel]: the roads are faster than "
                         "the rural speed; raise speeds_kmh instead")
        return "\n".join(lines) + "\n"


def monotone_fit(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The non-increasing sequence nearest ``values`` in weighted least squares (PAVA)."""
    blocks: list[list[float]] = []  # [weighted mean, weight, count]
    for value, weight in zip(values, weights, strict=True):
        blocks.append([float(value), float(weight), 1.0])
        while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
            mean_b, w_b, n_b = blocks.pop()
            mean_a, w_a, n_a = blocks.pop()
            total = w_a + w_b
            blocks.append([(mean_a * w_a + mean_b * w_b) / total, total, n_a + n_b])
    return np.concatenate([np.full(int(n), mean) for mean, _, n in blocks]) if blocks \
        else np.empty(0)


def fit_bands(straight_m: np.ndarray, ratio: np.ndarray,
              bands_km: tuple[float, ...] = DEFAULT_BANDS_KM) -> pd.DataFrame:
    """Per band of straight-line length: pairs, median, p10, p90, mean and the monotone fit."""
    edges = np.append(np.asarray(bands_km, dtype=np.float64), np.inf)
    if not (edges[0] >= 0 and np.all(np.diff(edges) > 0)):
        raise ScenarioError(f"distance bands must rise from 0 or more (got {list(bands_km)})")
    band = np.searchsorted(edges, straight_m / 1000.0, side="right") - 1
    rows = []
    for b in range(len(edges) - 1):
        r = ratio[band == b]
        if len(r) == 0:
            continue
        rows.append({"band_from_km": float(edges[b]), "band_to_km": float(edges[b + 1]),
                     "pairs": len(r), "median": float(np.median(r)),
                     "p10": float(np.percentile(r, 10)), "p90": float(np.percentile(r, 90)),
                     "mean": float(r.mean())})
    frame = pd.DataFrame(rows, columns=["band_from_km", "band_to_km", "pairs", "median", "p10",
                                        "p90", "mean"])
    frame["fitted"] = monotone_fit(frame["median"].to_numpy(), frame["pairs"].to_numpy())
    return frame


def _sample(xy: np.ndarray, max_points: int, seed: int) -> np.ndarray:
    if len(xy) <= max_points:
        return xy
    pick = np.sort(np.random.default_rng(seed).choice(len(xy), max_points, replace=False))
    return xy[pick]


def calibrate_detour(
    roads: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    settings: TravelSettings,
    *,
    by: str = "distance",
    travel_mode: str = "motorised",
    max_points: int = 300,
    bands_km: tuple[float, ...] = DEFAULT_BANDS_KM,
    seed: int = 0,
) -> Calibration:
    """Measure road over straight-line trips between sampled points and fit the detour factor.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Road lines as the travel engine reads them (``road_class`` or ``speed_kmh``).
    points : geopandas.GeoDataFrame
        Points to pair (demand points); at most ``max_points`` are drawn with ``seed`` and
        every pair of them measured.
    settings : TravelSettings
        CRS, speeds and network options.
    by : str
        ``distance`` or ``time`` (see the module docstring).
    travel_mode : str
        Mode of the road trips for ``by="time"``.

    Returns
    -------
    Calibration
        The band table and the single factor.
    """
    if by not in {"distance", "time"}:
        raise ScenarioError(f"--by must be 'distance' or 'time' (got {by!r})")
    network = build_network(roads, settings)
    xy = _sample(point_xy(points, settings.crs, layer="points"), max_points, seed)
    if len(xy) < 2:
        raise DataError("calibration needs at least two points; give a point layer with more")
    if by == "distance":
        # One speed on every road (and off it): the fastest path is the shortest one.
        speed_kmh = float(np.min(network.edge_speed_kmh)) if len(network.edge_speed_kmh) else 1.0
        walk_kmh = speed_kmh
    else:
        speed_kmh = settings.max_speed_kmh(travel_mode)
        walk_kmh = settings.snap_walk_kmh
    i, j, minutes = _pairs_by_piece(network, xy, speed_kmh=speed_kmh, offroad_kmh=walk_kmh,
                                    one_way=by != "distance")
    upper = i < j
    i, j, minutes = i[upper], j[upper], minutes[upper]
    straight_m = np.hypot(*(xy[i] - xy[j]).T)
    reached = np.isfinite(minutes)
    long_enough = straight_m >= _MIN_STRAIGHT_M
    n_pairs = int(long_enough.sum())
    keep = reached & long_enough
    if by == "distance":
        road_m = minutes[keep] * speed_kmh * 1000.0 / 60.0
    else:
        road_m = minutes[keep] * settings.speed_kmh(travel_mode, "rural") * 1000.0 / 60.0
    ratio = road_m / straight_m[keep]
    if len(ratio) == 0:
        raise DataError("no pair of points is connected by the roads; check that the points "
                        "lie in the area the roads cover")
    bands = fit_bands(straight_m[keep], ratio, bands_km)
    return Calibration(bands=bands, detour_factor=round(float(np.median(ratio)), 6),
                       pairs=int(keep.sum()), unreachable=n_pairs - int(keep.sum()), by=by,
                       travel_mode=travel_mode)


def _pairs_by_piece(network: RoadNetwork, xy: np.ndarray, *, speed_kmh: float,
                    offroad_kmh: float, one_way: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Road minutes between every pair of points, each point on the piece of road nearest it.

    Unlike a travel table, calibration must not join a point on an island to the main network
    (that would invent a detour): the road graph is split into its connected pieces, points go to
    the piece of their nearest road, and pairs on different pieces are unconnected (infinite).
    """
    n_nodes = network.n_nodes
    graph = csr_matrix((np.ones(len(network.edge_u)), (network.edge_u, network.edge_v)),
                       shape=(n_nodes, n_nodes))
    _, label = connected_components(graph, directed=False)
    edge_piece = label[network.edge_u]
    nearest = edge_tree(network, np.arange(len(network.edge_u))).query_nearest(
        shapely.points(xy), return_distance=False, all_matches=False)[1]
    point_piece = edge_piece[nearest]
    out_i, out_j, out_m = [], [], []
    for piece in np.unique(point_piece):
        members = np.flatnonzero(point_piece == piece)
        keep = edge_piece == piece
        used = np.unique(np.concatenate([network.edge_u[keep], network.edge_v[keep]]))
        renumber = np.full(n_nodes, -1, dtype=np.int64)
        renumber[used] = np.arange(len(used))
        sub = dataclasses.replace(
            network, node_xy=network.node_xy[used], edge_u=renumber[network.edge_u[keep]],
            edge_v=renumber[network.edge_v[keep]], edge_length_m=network.edge_length_m[keep],
            edge_speed_kmh=network.edge_speed_kmh[keep],
            edge_oneway=(network.edge_oneway[keep] if len(network.edge_oneway) else
                         network.edge_oneway))
        a, b, _, minutes = route_pairs(sub, xy[members], xy[members], speed_cap_kmh=speed_kmh,
                                       offroad_kmh=offroad_kmh, max_minutes=np.inf,
                                       one_way=one_way)
        out_i.append(members[a])
        out_j.append(members[b])
        out_m.append(minutes)
    i = np.concatenate(out_i) if out_i else np.empty(0, np.int64)
    j = np.concatenate(out_j) if out_j else np.empty(0, np.int64)
    m = np.concatenate(out_m) if out_m else np.empty(0)
    full = np.full((len(xy), len(xy)), np.inf)
    full[i, j] = m
    ii, jj = np.nonzero(np.ones_like(full, dtype=bool))
    return ii, jj, full[ii, jj]
