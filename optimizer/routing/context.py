"""One road graph per scenario: where the roads come from, built once and shared by every stage.

Every command that computes travel (``run``'s model inputs and 2SFCA coefficients, ``coverage``,
``justify``'s location measures and model stages, ``sweep``'s points) asks :func:`road_network`
with the travel settings and the dataset. The roads are ``[travel] roads`` (a path made absolute
against the scenario file when it is loaded) or else the dataset's ``roads.*`` layer. The graph
is built once per process for a given layer and graph settings and then reused, so justify's
robustness grid or a sweep's hundred points do not rebuild it.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from optimizer.errors import DataError, Problem, ScenarioError
from optimizer.travel.network import RoadNetwork, build_network

if TYPE_CHECKING:
    import geopandas as gpd

    from optimizer.travel.table import TravelSettings

__all__ = ["OSM_ATTRIBUTION", "from_openstreetmap", "read_roads", "road_layer", "road_network"]

OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
_MEMO: OrderedDict[tuple[object, ...], tuple[object, RoadNetwork]] = OrderedDict()
_FILES: OrderedDict[tuple[str, int, int], gpd.GeoDataFrame] = OrderedDict()
_MEMO_SIZE = 8


def read_roads(path: Path | str) -> gpd.GeoDataFrame:
    """Read a road layer named by ``[travel] roads`` (kept in memory while the file is unchanged).

    Raises
    ------
    DataError
        If the file is missing or unreadable, naming it and the fix.
    """
    import geopandas as gpd  # noqa: PLC0415 - heavy, only in network mode

    file = Path(path)
    if not file.is_file():
        raise DataError([Problem(str(file), "", "", "", "the road layer named by [travel] roads "
                                 "does not exist",
                                 "give the path of a GeoPackage or GeoJSON of road lines, "
                                 "relative to the scenario file")])
    stat = file.stat()
    key = (str(file.resolve()), stat.st_mtime_ns, stat.st_size)
    if key in _FILES:
        return _FILES[key]
    try:
        frame = gpd.read_file(file)
    except Exception as error:  # any reader failure is a data problem here
        raise DataError([Problem(str(file), "", "", "", f"cannot be read as a road layer "
                                 f"({type(error).__name__}: {error})",
                                 "save the roads as a GeoPackage or GeoJSON of lines")]) from None
    _FILES[key] = frame
    while len(_FILES) > 2:
        _FILES.popitem(last=False)
    return frame


def road_layer(settings: TravelSettings,
               dataset_roads: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """The road lines for ``settings``: ``[travel] roads`` first, else the dataset's layer."""
    if settings.roads is not None:
        return read_roads(settings.roads)
    return dataset_roads


def road_network(settings: TravelSettings,
                 dataset_roads: gpd.GeoDataFrame | None) -> RoadNetwork | None:
    """The road graph for ``settings`` (None in straight-line mode), built once per layer.

    Raises
    ------
    ScenarioError
        In network mode when there are no roads, naming both ways to give them.
    """
    from optimizer.travel.table import NETWORK  # noqa: PLC0415 - travel imports this package

    if settings.mode != NETWORK:
        return None
    roads = road_layer(settings, dataset_roads)
    if roads is None:
        raise ScenarioError(
            "travel mode is 'network' but no roads were given; set [travel] roads to a road "
            "layer (GeoPackage/GeoJSON, e.g. from 'medalloc roads import'), put roads.gpkg in "
            "the data folder, or set mode = 'straight_line'")
    key = (id(roads), settings.crs, settings.speed_column, settings.class_column,
           tuple(sorted(settings.road_speeds_kmh.items())), settings.node_tolerance_m,
           settings.segment_max_m)
    found = _MEMO.get(key)
    if found is not None and found[0] is roads:
        _MEMO.move_to_end(key)
        return found[1]
    network = build_network(roads, settings)
    _MEMO[key] = (roads, network)
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return network


def from_openstreetmap(roads: gpd.GeoDataFrame | None) -> bool:
    """Whether a road layer comes from OpenStreetMap (and its outputs owe the ODbL attribution).

    Recognised by an ``osm_id`` column, or a ``source`` or ``attribution`` column naming
    OpenStreetMap, as ``medalloc roads import`` writes them.
    """
    if roads is None:
        return False
    if "osm_id" in roads.columns:
        return True
    for column in ("source", "attribution"):
        if column in roads.columns:
            text = roads[column].dropna().astype(str).str.lower()
            if bool(np.any(text.str.contains("openstreetmap|\\bosm\\b", regex=True))):
                return True
    return False
