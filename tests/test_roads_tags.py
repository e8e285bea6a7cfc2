"""OSM tag reading: maxspeed in km/h, one-way direction, highway class, GDAL's other_tags."""

from __future__ import annotations

import pytest

from optimizer.roads.tags import (
    ROAD_CLASSES,
    hstore_tags,
    oneway_direction,
    parse_maxspeed_kmh,
    road_class,
)


@pytest.mark.parametrize(
    ("raw", "kmh"),
    [
        ("60", 60.0),
        (" 60 ", 60.0),
        ("60 km/h", 60.0),
        ("80kmh", 80.0),
        ("60 mph", 96.561),  # 60 x 1.609344
        ("30mph", 48.28),
        ("CN:urban", 50.0),  # one lane each way in a town (Implementing Regulations art. 45)
        ("cn:rural", 70.0),
        ("CN:motorway", 120.0),
        ("walk", 5.0),
        ("60;80", 60.0),  # several limits: the lowest
        ("none", None),
        ("signals", None),
        ("RU:urban", None),  # another country's zone: unknown
        ("fast", None),
        ("0", None),  # Geofabrik's "no maxspeed"
        ("-30", None),
        ("999", None),  # a typing slip
        ("", None),
        (None, None),
        (50, 50.0),
        (0, None),
        (float("nan"), None),
    ],
)
def test_maxspeed_parsing(raw: str | float | None, kmh: float | None) -> None:
    assert parse_maxspeed_kmh(raw) == kmh


@pytest.mark.parametrize(
    ("tags", "direction"),
    [
        ({"highway": "primary", "oneway": "yes"}, 1),
        ({"highway": "primary", "oneway": "true"}, 1),
        ({"highway": "primary", "oneway": "1"}, 1),
        ({"highway": "primary", "oneway": "-1"}, -1),
        ({"highway": "primary", "oneway": "reverse"}, -1),
        ({"highway": "primary", "oneway": "no"}, 0),
        ({"highway": "primary"}, 0),
        ({"highway": "primary", "junction": "roundabout"}, 1),
        ({"highway": "tertiary", "junction": "circular"}, 1),
        ({"highway": "primary", "junction": "roundabout", "oneway": "no"}, 0),  # tag wins
        ({"highway": "motorway"}, 1),  # implied one-way
        ({"highway": "motorway", "oneway": "no"}, 0),
        ({"highway": "secondary", "oneway": "reversible"}, 0),
        ({"highway": "primary", "oneway": "F"}, 1),  # Geofabrik shapefile codes
        ({"highway": "primary", "oneway": "T"}, -1),
        ({"highway": "primary", "oneway": "B"}, 0),
        ({"highway": "primary", "oneway": None}, 0),
    ],
)
def test_oneway_direction(tags: dict[str, str | None], direction: int) -> None:
    assert oneway_direction(tags) == direction


def test_road_classes_map_to_the_speed_table_or_are_dropped() -> None:
    assert road_class("primary_link") == "primary"
    assert road_class("Motorway_Link") == "motorway"
    assert road_class("living_street") == "residential"
    assert road_class("steps") == "footway"
    assert road_class("cycleway") == "path"
    assert road_class("road") == "unclassified"
    for dropped in ("construction", "proposed", "platform", "raceway", "abandoned", "xyz", None):
        assert road_class(dropped) is None
    for name in ROAD_CLASSES:
        assert road_class(name) == name


def test_hstore_other_tags() -> None:
    text = '"oneway"=>"yes","maxspeed"=>"60 mph","name:en"=>"Say \\"hi\\"","ref"=>NULL'
    assert hstore_tags(text) == {"oneway": "yes", "maxspeed": "60 mph",
                                 "name:en": 'Say "hi"', "ref": ""}
    assert hstore_tags(None) == {}
    assert hstore_tags("") == {}
