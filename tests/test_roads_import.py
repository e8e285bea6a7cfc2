"""`roads import`: an .osm.pbf built here, QGIS-style layers, clipping, attribution, bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyogrio
import pytest
from osmium.osm.mutable import Node, Way
from shapely.geometry import LineString, box
from support.cli import assert_clean, invoke

from optimizer.errors import DataError, UsageError
from optimizer.roads import OSM_ATTRIBUTION
from optimizer.roads.osm_import import ATTRIBUTION_FILE, import_roads
from optimizer.travel.network import build_network
from optimizer.travel.table import TravelSettings

BOUNDARY = box(105.90, 29.30, 106.00, 29.40)
# way id -> (tags, node coordinates)
WAYS: dict[int, tuple[dict[str, str], list[tuple[float, float]]]] = {
    100: ({"highway": "primary", "maxspeed": "60", "name": "昌州大道"},
          [(105.92, 29.35), (105.95, 29.35)]),
    101: ({"highway": "primary_link", "oneway": "yes", "maxspeed": "30 mph"},
          [(105.95, 29.35), (105.96, 29.36)]),
    102: ({"highway": "motorway", "maxspeed": "CN:motorway"}, [(105.91, 29.31), (105.99, 29.31)]),
    103: ({"highway": "tertiary", "junction": "roundabout"},
          [(105.93, 29.37), (105.931, 29.371), (105.932, 29.37), (105.93, 29.37)]),
    104: ({"highway": "residential", "oneway": "-1", "maxspeed": "fast"},
          [(105.94, 29.38), (105.95, 29.38)]),
    105: ({"highway": "construction"}, [(105.94, 29.39), (105.95, 29.39)]),
    106: ({"highway": "secondary"}, [(107.0, 29.35), (107.1, 29.35)]),  # far outside
    107: ({"highway": "track"}, [(105.98, 29.33), (106.10, 29.33)]),  # leaves the county
    108: ({"highway": "footway", "area": "yes"},
          [(105.97, 29.39), (105.975, 29.39), (105.975, 29.395), (105.97, 29.39)]),
    109: ({"building": "yes"}, [(105.96, 29.32), (105.97, 29.32)]),  # not a road at all
}


def write_pbf(path: Path, ways: dict[int, tuple[dict[str, str], list[tuple[float, float]]]]
              ) -> Path:
    """An OSM extract with the given ways; nodes are numbered per way and vertex."""
    writer = osmium.SimpleWriter(str(path))
    refs: dict[int, list[int]] = {}
    node_id = 1
    for way_id, (_, coords) in sorted(ways.items()):
        refs[way_id] = []
        for lon, lat in coords:
            if refs[way_id] and (lon, lat) == coords[0]:
                refs[way_id].append(refs[way_id][0])  # closed way: back to the first node
                continue
            writer.add_node(Node(id=node_id, location=(lon, lat)))
            refs[way_id].append(node_id)
            node_id += 1
    for way_id, (tags, _) in sorted(ways.items()):
        writer.add_way(Way(id=way_id, nodes=refs[way_id], tags=tags))
    writer.close()
    return path


def write_boundary(path: Path, geometry: object = BOUNDARY, crs: str | None = "EPSG:4326") -> Path:
    gpd.GeoDataFrame({"name": ["county"]}, geometry=[geometry], crs=crs).to_file(path)
    return path


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    return write_pbf(tmp_path / "extract.osm.pbf", WAYS)


@pytest.fixture
def boundary(tmp_path: Path) -> Path:
    return write_boundary(tmp_path / "boundary.geojson")


def test_import_keeps_classes_directions_and_limits(extract: Path, boundary: Path,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "data" / "roads.gpkg"
    result = import_roads(extract, boundary, out, margin_km=1.0)
    roads = gpd.read_file(out)
    assert list(roads.columns) == ["osm_id", "highway", "road_class", "oneway", "maxspeed",
                                   "name", "geometry"]
    assert roads.crs.to_epsg() == 4326
    assert (roads.geom_type == "LineString").all()
    by_id = roads.set_index("osm_id")
    assert sorted(by_id.index) == [100, 101, 102, 103, 104, 107]
    expected = {  # id: highway, class, oneway, maxspeed (nan: unknown)
        100: ("primary", "primary", 0, 60.0),
        101: ("primary_link", "primary", 1, 96.56064 / 2),  # 30 mph
        102: ("motorway", "motorway", 1, 120.0),  # implied one-way; CN:motorway
        103: ("tertiary", "tertiary", 1, np.nan),  # roundabout
        104: ("residential", "residential", -1, np.nan),  # "fast" is unreadable
        107: ("track", "track", 0, np.nan),
    }
    for way_id, (highway, klass, oneway, maxspeed) in expected.items():
        row = by_id.loc[way_id]
        assert (row["highway"], row["road_class"], row["oneway"]) == (highway, klass, oneway)
        assert np.isclose(row["maxspeed"], maxspeed, atol=1e-3, equal_nan=True), way_id
    assert by_id.loc[100, "name"] == "昌州大道"
    # The track is cut 1 km east of the boundary: 1 km is 1/97.1 of a degree at 29.33 N.
    east = by_id.loc[107].geometry.bounds[2]
    assert east == pytest.approx(106.0 + 1.0 / (111.32 * np.cos(np.radians(29.33))), abs=5e-4)
    assert result.dropped == {"construction": 1, "footway (area)": 1}
    assert result.lines == 6
    assert result.oneway_lines == 4
    assert result.maxspeed_lines == 3
    assert set(result.length_km) == {"motorway", "primary", "residential", "tertiary", "track"}
    # primary: 0.03 degrees of longitude + the 0.01 x 0.01 link, at about 97 km per degree
    assert result.length_km["primary"] == pytest.approx(0.03 * 97.1 + 1.49, rel=0.02)
    # The OSM attribution travels with the file and beside it.
    meta = pyogrio.read_info(out)["layer_metadata"]
    assert meta["ATTRIBUTION"] == OSM_ATTRIBUTION
    assert OSM_ATTRIBUTION in (out.parent / ATTRIBUTION_FILE).read_text(encoding="utf-8")
    # The travel engine reads the layer as it is.
    network = build_network(roads, TravelSettings(mode="network"))
    assert network.n_nodes > 10
    assert not list(out.parent.glob(".*tmp*"))  # nothing left over from the atomic write


def test_import_again_replaces_its_own_file_but_never_a_foreign_one(
        extract: Path, boundary: Path, tmp_path: Path) -> None:
    out = tmp_path / "roads.gpkg"
    import_roads(extract, boundary, out, margin_km=0.0)
    first = gpd.read_file(out)
    assert first["geometry"].total_bounds[2] <= 106.0 + 1e-9  # no margin: cut at the border
    import_roads(extract, boundary, out, margin_km=1.0)
    assert gpd.read_file(out)["geometry"].total_bounds[2] > 106.005
    foreign = tmp_path / "mine.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[LineString([(0, 0), (1, 1)])],
                     crs="EPSG:4326").to_file(foreign)
    before = foreign.read_bytes()
    with pytest.raises(UsageError, match=r"not written by `medalloc roads import`.*another --out"):
        import_roads(extract, boundary, foreign)
    assert foreign.read_bytes() == before
    with pytest.raises(UsageError, match=r"must end in \.gpkg"):
        import_roads(extract, boundary, tmp_path / "roads.shp")


def test_qgis_geopackage_with_gdal_other_tags(boundary: Path, tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame(
        {"osm_id": ["7", "8", "9"], "highway": ["secondary", "trunk_link", "proposed"],
         "name": ["", None, "x"],
         "other_tags": ['"oneway"=>"-1","maxspeed"=>"40"', '"maxspeed:forward"=>"50",'
                        '"maxspeed:backward"=>"30"', None]},
        geometry=[LineString([(105.91, 29.35), (105.92, 29.35)]),
                  LineString([(105.93, 29.35), (105.94, 29.35)]),
                  LineString([(105.95, 29.35), (105.96, 29.35)])],
        crs="EPSG:4326",
    ).to_crs("EPSG:4544")  # exported in a projected CRS: read back to WGS84
    source = tmp_path / "qgis_export.gpkg"
    layer.to_file(source, layer="lines")
    result = import_roads(source, boundary, tmp_path / "roads.gpkg")
    roads = gpd.read_file(tmp_path / "roads.gpkg").set_index("osm_id")
    assert roads.loc[7, ["road_class", "oneway", "maxspeed"]].tolist() == ["secondary", -1, 40.0]
    assert roads.loc[8, ["road_class", "oneway", "maxspeed"]].tolist() == ["trunk", 0, 30.0]
    assert result.dropped == {"proposed": 1}
    assert roads.loc[7].geometry.coords[0] == pytest.approx((105.91, 29.35), abs=1e-7)


def test_geofabrik_shapefile_codes(boundary: Path, tmp_path: Path) -> None:
    source = tmp_path / "gis_osm_roads_free_1.shp"
    gpd.GeoDataFrame(
        {"osm_id": ["1", "2", "3"], "fclass": ["primary", "residential", "unclassified"],
         "oneway": ["F", "T", "B"], "maxspeed": [50, 0, 30], "name": ["a", "b", "c"]},
        geometry=[LineString([(105.91 + k / 100, 29.35), (105.915 + k / 100, 29.35)])
                  for k in range(3)],
        crs="EPSG:4326",
    ).to_file(source)
    import_roads(source, boundary, tmp_path / "roads.gpkg")
    roads = gpd.read_file(tmp_path / "roads.gpkg").sort_values("osm_id")
    assert roads["oneway"].tolist() == [1, -1, 0]
    assert roads["maxspeed"].fillna(-1).tolist() == [50.0, -1.0, 30.0]  # 0 is "no tag"


def test_cli_summary_names_the_licence(extract: Path, boundary: Path, tmp_path: Path) -> None:
    out = tmp_path / "roads.gpkg"
    result = invoke("roads", "import", extract, "--boundary", boundary, "--out", out,
                    "--margin-km", "1")
    assert_clean(result, 0, "6 lines", "primary", "© OpenStreetMap contributors, ODbL 1.0",
                 "construction 1")
    as_json = invoke("roads", "import", extract, "--boundary", boundary, "--out", out, "--json")
    assert_clean(as_json, 0)
    assert json.loads(as_json.stdout)["attribution"] == OSM_ATTRIBUTION


def test_bad_inputs_name_the_file_and_the_fix(extract: Path, boundary: Path,
                                              tmp_path: Path) -> None:
    out = tmp_path / "roads.gpkg"
    missing = invoke("roads", "import", tmp_path / "nowhere.osm.pbf", "--boundary", boundary,
                     "--out", out)
    assert_clean(missing, 3, "nowhere.osm.pbf", "file not found", "Geofabrik")
    far = write_boundary(tmp_path / "far.geojson", box(110.0, 30.0, 110.1, 30.1))
    with pytest.raises(DataError, match=r"extract\.osm\.pbf.*no road lies within.*far\.geojson"
                                        r".*Fix: use an extract that covers the county"):
        import_roads(extract, far, out)
    # Projected coordinates saved as if they were degrees.
    wrong = write_boundary(tmp_path / "wrong.geojson",
                           box(500000.0, 3240000.0, 510000.0, 3250000.0))
    with pytest.raises(DataError, match=r"wrong\.geojson.*do not fit the layer's CRS.*Set CRS"):
        import_roads(extract, wrong, out)
    bare = write_boundary(tmp_path / "bare.shp")
    bare.with_suffix(".prj").unlink()
    with pytest.raises(DataError, match=r"bare\.shp.*no CRS.*save it with its CRS"):
        import_roads(extract, bare, out)
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"not a pbf at all")
    with pytest.raises(DataError, match=r"broken\.osm\.pbf.*not readable as an OSM extract"):
        import_roads(broken, boundary, out)
    plain = tmp_path / "plain.gpkg"
    gpd.GeoDataFrame({"kind": ["x"]}, geometry=[LineString([(105.91, 29.35), (105.92, 29.35)])],
                     crs="EPSG:4326").to_file(plain)
    with pytest.raises(DataError, match=r"plain\.gpkg.*no 'highway' column.*fclass"):
        import_roads(plain, boundary, out)
    assert not out.exists()


def test_pbf_fixture_round_trips_through_pyosmium(extract: Path) -> None:
    # Guards the fixture itself: the ways written are the ways read.
    ids = [w.id for w in osmium.FileProcessor(str(extract)).with_filter(
        osmium.filter.EntityFilter(osmium.osm.WAY))]
    assert ids == sorted(WAYS)
    assert pd.Series(ids).is_unique
