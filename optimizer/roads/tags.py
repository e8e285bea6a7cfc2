"""Reading OpenStreetMap road tags: highway class, one-way direction and maxspeed in km/h.

Every function takes the raw tag text (``None`` when the tag is absent) and never raises on an
odd value: an unreadable maxspeed is unknown (``None``), an unknown highway value is not a road
for travel (``None``), and the caller counts what it dropped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

__all__ = [
    "ROAD_CLASSES",
    "hstore_tags",
    "oneway_direction",
    "parse_maxspeed_kmh",
    "road_class",
]

# The classes medalloc's speed table knows (optimizer/roads/speeds.csv); OSM values are mapped
# onto them so every imported line has a speed in the default table.
ROAD_CLASSES = (
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "service", "track", "path", "footway",
)
_CLASS_OF = {
    **{name: name for name in ROAD_CLASSES},
    # A link (ramp) is driven like the road it joins; routers treat it the same way.
    **{f"{name}_link": name for name in ("motorway", "trunk", "primary", "secondary", "tertiary")},
    "living_street": "residential",
    "road": "unclassified",  # "road of unknown type": the lowest general-traffic class
    "busway": "service",
    "pedestrian": "footway",
    "steps": "footway",
    "corridor": "footway",
    "cycleway": "path",
    "bridleway": "path",
}

_MPH_KMH = 1.609344
_KNOT_KMH = 1.852
_MAX_PLAUSIBLE_KMH = 200.0
# Implicit limits written as "CN:zone". China's Road Traffic Safety Law art. 67 (expressways at
# most 120 km/h) and its Implementing Regulations art. 45 (one lane each way: 50 km/h in towns,
# 70 km/h on highways; no centre line: 30 and 40).
_ZONE_KMH = {
    "cn:motorway": 120.0,
    "cn:expressway": 120.0,
    "cn:urban": 50.0,
    "cn:rural": 70.0,
    "cn:living_street": 30.0,
}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")
_HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=>\s*(?:"((?:[^"\\]|\\.)*)"|NULL)')


def road_class(highway: str | None) -> str | None:
    """The speed-table class of an OSM ``highway`` value, or None when it is no travel road.

    Links map to the road they join, ``living_street`` to ``residential``, ``pedestrian`` and
    ``steps`` to ``footway``, ``cycleway`` and ``bridleway`` to ``path``. Roads under
    construction, proposed or abandoned, platforms, race tracks and unknown values give None.
    """
    if highway is None:
        return None
    return _CLASS_OF.get(highway.strip().lower())


def _one_speed(text: str) -> float | None:
    value = text.strip().lower()
    if value in _ZONE_KMH:
        return _ZONE_KMH[value]
    if value == "walk":
        return 5.0
    match = _NUMBER.match(value)
    if match is None:
        return None  # "none", "signals", "variable", other countries' zones: unknown
    speed = float(match.group(1))
    unit = match.group(2)
    if unit == "mph":
        speed *= _MPH_KMH
    elif unit == "knots":
        speed *= _KNOT_KMH
    if not (math.isfinite(speed) and 0 < speed <= _MAX_PLAUSIBLE_KMH):
        return None
    return round(speed, 3)


def parse_maxspeed_kmh(value: str | float | int | None) -> float | None:
    """A maxspeed tag in km/h, or None when absent or unreadable.

    Reads ``"60"``, ``"60 km/h"``, ``"60 mph"`` (converted), ``"CN:urban"`` style zones (China's
    statutory limits; other countries' zones are unknown), ``"walk"`` (5 km/h) and lists such as
    ``"60;80"`` (the lowest, the safe reading). ``0`` is unknown (Geofabrik's shapefiles write
    0 for "no maxspeed tag"); values above 200 km/h are typing slips and unknown too.
    """
    if value is None:
        return None
    if isinstance(value, int | float):
        if isinstance(value, bool) or not math.isfinite(value):
            return None
        return _one_speed(str(value))
    speeds = [s for s in (_one_speed(part) for part in str(value).split(";")) if s is not None]
    return min(speeds) if speeds else None


def oneway_direction(tags: Mapping[str, str | None]) -> int:
    """The one-way direction of a way: 1 along the line, -1 against it, 0 both ways.

    ``oneway=yes|true|1`` is 1, ``-1|reverse`` is -1, ``no|false|0`` is 0. Without a usable
    ``oneway`` tag, roundabouts (``junction=roundabout|circular``) and motorways are one-way
    along the line (OSM's implied one-way); everything else is two-way. ``reversible`` and
    ``alternating`` roads change direction by the hour and are taken as two-way. Geofabrik
    shapefile codes ``F`` (forward), ``T`` (against) and ``B`` (both) are read too.
    """
    raw = tags.get("oneway")
    value = raw.strip().lower() if raw is not None else ""
    if value in {"yes", "true", "1", "f"}:
        return 1
    if value in {"-1", "reverse", "t"}:
        return -1
    if value in {"no", "false", "0", "b", "reversible", "alternating"}:
        return 0
    junction = (tags.get("junction") or "").strip().lower()
    if junction in {"roundabout", "circular"}:
        return 1
    highway = (tags.get("highway") or "").strip().lower()
    return 1 if highway == "motorway" else 0


def hstore_tags(text: str | None) -> dict[str, str]:
    """The key/value pairs of GDAL's ``other_tags`` column (``"k"=>"v","k2"=>"v2"``)."""
    if not text:
        return {}
    pairs: dict[str, str] = {}
    for key, value in _HSTORE.findall(text):
        pairs[key.replace('\\"', '"')] = value.replace('\\"', '"')
    return pairs
