"""The ``[travel]`` section: how travel times are computed (mode, CRS, detour, speeds, roads).

The defaults and their sources are documented in :mod:`optimizer.travel.table`. The scenario
schema holds a `TravelSettings` (built by :meth:`TravelSettings.from_dict` when the scenario is
read), so a bad travel key fails when the scenario loads, naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

import numpy as np
import pyproj

from optimizer.config.key_errors import did_you_mean
from optimizer.errors import ScenarioError

__all__ = ["NETWORK", "SETTINGS", "STRAIGHT_LINE", "TRAVEL_MODES", "URBAN_KINDS", "TravelSettings"]

STRAIGHT_LINE = "straight_line"
NETWORK = "network"
TRAVEL_MODES = ("walk", "ebike", "motorised")
SETTINGS = ("urban", "rural")
URBAN_KINDS = frozenset({"subdistrict"})

_DEFAULT_SPEEDS_KMH: dict[str, dict[str, float]] = {
    "walk": {"urban": 4.5, "rural": 4.5},
    "ebike": {"urban": 15.0, "rural": 15.0},
    "motorised": {"urban": 25.0, "rural": 40.0},
}
# Off-road legs (from a point to its road): walking pace on foot; village lanes, yards and
# field tracks for two-wheelers and cars (ASSUMPTION, to replace with local figures).
_DEFAULT_OFFROAD_KMH = {"walk": 4.5, "ebike": 10.0, "motorised": 15.0}
_DEFAULT_TRAVEL_MODES = {"primary": "ebike", "referral": "motorised", "access": "motorised"}
# Motorised speeds per road class: OSM-style names and the Chinese administrative classes
# (高速 expressway, 国道 national, 省道 provincial, 县道 county, 乡道 township, 村道 village).
_DEFAULT_ROAD_SPEEDS_KMH = {
    "motorway": 80.0,
    "trunk": 60.0,
    "primary": 50.0,
    "secondary": 40.0,
    "tertiary": 30.0,
    "unclassified": 25.0,
    "residential": 20.0,
    "service": 15.0,
    "track": 15.0,
    "path": 4.5,
    "footway": 4.5,
    "expressway": 80.0,
    "national": 60.0,
    "provincial": 50.0,
    "county": 40.0,
    "township": 30.0,
    "village": 20.0,
}


def _settings_from(values: dict[str, Any]) -> TravelSettings:
    """Rebuild pickled settings (:meth:`TravelSettings.__reduce__`)."""
    return TravelSettings(**values)


def _frozen_speeds(speeds: Mapping[str, Mapping[str, float]]) -> Mapping[str, Mapping[str, float]]:
    return MappingProxyType({mode: MappingProxyType(dict(by)) for mode, by in speeds.items()})


@dataclass(frozen=True)
class TravelSettings:
    """How travel times are computed; constructible from a scenario dict with :meth:`from_dict`.

    Attributes
    ----------
    mode : str
        ``"straight_line"`` or ``"network"`` (needs road lines).
    crs : str
        Projected CRS distances are measured in; default CGCS2000 / 3-degree Gauss-Kruger CM 105E.
    detour_factor : float
        Road distance over straight-line distance (>= 1), straight-line mode only.
    speeds_kmh : Mapping[str, Mapping[str, float]]
        ``speeds_kmh[travel_mode][setting]`` for travel modes walk/ebike/motorised and settings
        urban/rural. In network mode the edge speed is ``min(road speed, fastest speed of the
        travel mode)``, so urban congestion belongs in the road speeds there.
    travel_modes : Mapping[str, str]
        Travel mode per purpose: tier-group names (``primary``, ``referral``) and ``access``.
    default_travel_mode : str
        Travel mode for a purpose not named in ``travel_modes``.
    road_speeds_kmh : Mapping[str, float]
        Motorised speed per road class, used when the roads have no ``speed_column``.
    speed_column, class_column : str
        Road columns read for the speed (preferred) or the class.
    snap_walk_kmh : float
        Walking pace from a facility to the road, for the drawn isochrones.
    offroad_kmh : Mapping[str, float]
        Speed of the off-road leg between a point and the foot of its nearest road, per travel
        mode (network mode): walking pace on foot, a slow speed for e-bikes and cars.
    roads : str or None
        Road layer (GeoPackage/GeoJSON) for network mode; a relative path is relative to the
        scenario file. When None, the dataset's ``roads.*`` layer is used.
    node_tolerance_m : float
        Road vertices closer than this are merged into one graph node.
    segment_max_m : float
        Roads are split into pieces no longer than this before building the graph, which
        bounds the snapping error at half of it.
    snap_warn_m : float
        A warning is raised when a point lies farther than this from every road.
    """

    mode: str = STRAIGHT_LINE
    crs: str = "EPSG:4544"
    detour_factor: float = 1.3
    speeds_kmh: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: _frozen_speeds(_DEFAULT_SPEEDS_KMH)
    )
    travel_modes: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType(dict(_DEFAULT_TRAVEL_MODES))
    )
    default_travel_mode: str = "motorised"
    road_speeds_kmh: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(dict(_DEFAULT_ROAD_SPEEDS_KMH))
    )
    speed_column: str = "speed_kmh"
    class_column: str = "road_class"
    snap_walk_kmh: float = 4.5
    node_tolerance_m: float = 1.0
    segment_max_m: float = 200.0
    snap_warn_m: float = 2000.0
    offroad_kmh: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(dict(_DEFAULT_OFFROAD_KMH))
    )
    roads: str | None = None

    def __post_init__(self) -> None:
        # Freeze the mappings so a shared settings object cannot change under a running job.
        object.__setattr__(self, "speeds_kmh", _frozen_speeds(self.speeds_kmh))
        object.__setattr__(self, "travel_modes", MappingProxyType(dict(self.travel_modes)))
        object.__setattr__(self, "road_speeds_kmh", MappingProxyType(dict(self.road_speeds_kmh)))
        object.__setattr__(self, "offroad_kmh", MappingProxyType(dict(self.offroad_kmh)))
        if self.roads is not None:
            object.__setattr__(self, "roads", str(self.roads))
        self._validate()

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # A mappingproxy cannot be pickled; Dask ships settings to workers, so they travel as
        # plain dicts and are frozen again (and validated) on arrival.
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["speeds_kmh"] = {m: dict(by) for m, by in self.speeds_kmh.items()}
        values["travel_modes"] = dict(self.travel_modes)
        values["road_speeds_kmh"] = dict(self.road_speeds_kmh)
        values["offroad_kmh"] = dict(self.offroad_kmh)
        return _settings_from, (values,)

    def _validate(self) -> None:
        if self.mode not in (STRAIGHT_LINE, NETWORK):
            raise ScenarioError(
                f"travel mode {self.mode!r} is not known; use 'straight_line' or 'network'"
            )
        try:
            crs = pyproj.CRS.from_user_input(self.crs)
        except pyproj.exceptions.CRSError as exc:
            raise ScenarioError(f"travel crs {self.crs!r} is not a CRS pyproj knows") from exc
        if not crs.is_projected:
            raise ScenarioError(
                f"travel crs {self.crs!r} is geographic (degrees): Euclidean distances on it are "
                "wrong. Use a projected CRS in metres, e.g. 'EPSG:4544' (CGCS2000 3-degree GK CM "
                "105E) or 'EPSG:32648' (UTM 48N)"
            )
        if not (np.isfinite(self.detour_factor) and self.detour_factor >= 1.0):
            raise ScenarioError(f"detour_factor must be >= 1 (got {self.detour_factor!r})")
        if set(self.speeds_kmh) != set(TRAVEL_MODES):
            raise ScenarioError(
                f"speeds_kmh must give exactly the travel modes {list(TRAVEL_MODES)} "
                f"(got {sorted(self.speeds_kmh)})"
            )
        for travel_mode, by_setting in self.speeds_kmh.items():
            if set(by_setting) != set(SETTINGS):
                raise ScenarioError(
                    f"speeds_kmh.{travel_mode} must give exactly {list(SETTINGS)} "
                    f"(got {sorted(by_setting)})"
                )
            for setting, speed in by_setting.items():
                _check_speed(f"speeds_kmh.{travel_mode}.{setting}", speed)
        purposes = (*self.travel_modes.items(), ("default", self.default_travel_mode))
        for purpose, travel_mode in purposes:
            if travel_mode not in TRAVEL_MODES:
                raise ScenarioError(
                    f"travel mode {travel_mode!r} for {purpose!r} is not known; "
                    f"use one of {list(TRAVEL_MODES)}"
                )
        for road_class, speed in self.road_speeds_kmh.items():
            _check_speed(f"road_speeds_kmh.{road_class}", speed)
        _check_offroad(self.offroad_kmh)
        for name in ("snap_walk_kmh", "node_tolerance_m", "segment_max_m", "snap_warn_m"):
            _check_speed(name, getattr(self, name))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> TravelSettings:
        """Build settings from a plain (TOML) dict; missing keys keep their defaults.

        ``speeds_kmh`` may be partial (``{"walk": {"urban": 5.0}}``) and is merged over the
        defaults; ``travel_modes`` and ``road_speeds_kmh`` are merged the same way.

        Raises
        ------
        ScenarioError
            On an unknown key (naming it and the allowed keys) or an invalid value.
        """
        allowed = [f.name for f in fields(cls)]
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            hints = [f"'{key}'{did_you_mean(key, allowed)}" for key in unknown]
            raise ScenarioError(
                f"unknown travel setting(s) {', '.join(hints)}; allowed keys are "
                f"{', '.join(allowed)}"
            )
        values: dict[str, Any] = dict(raw)
        if "speeds_kmh" in values:
            given = values["speeds_kmh"]
            bad = sorted(set(given) - set(TRAVEL_MODES))
            if bad:
                raise ScenarioError(
                    f"unknown travel mode(s) {bad} in speeds_kmh; allowed keys are "
                    f"{list(TRAVEL_MODES)}"
                )
            merged = {mode: dict(by) for mode, by in _DEFAULT_SPEEDS_KMH.items()}
            for travel_mode, by_setting in given.items():
                bad = sorted(set(by_setting) - set(SETTINGS))
                if bad:
                    raise ScenarioError(
                        f"unknown setting(s) {bad} in speeds_kmh.{travel_mode}; allowed keys "
                        f"are {list(SETTINGS)}"
                    )
                merged[travel_mode].update(by_setting)
            values["speeds_kmh"] = merged
        for key, default in (
            ("travel_modes", _DEFAULT_TRAVEL_MODES),
            ("road_speeds_kmh", _DEFAULT_ROAD_SPEEDS_KMH),
            ("offroad_kmh", _DEFAULT_OFFROAD_KMH),
        ):
            if key in values:
                values[key] = {**default, **values[key]}
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a plain dict that :meth:`from_dict` accepts.

        Keys that only network mode reads and that hold their defaults (``roads`` unset, the
        off-road speeds in straight-line mode) are left out, so a straight-line record reads as
        it always has.
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if (f.name == "roads" and value is None) or (
                    f.name == "offroad_kmh" and self.mode == STRAIGHT_LINE
                    and dict(value) == _DEFAULT_OFFROAD_KMH):
                continue
            if f.name == "speeds_kmh":
                value = {mode: dict(by) for mode, by in value.items()}
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out

    def travel_mode_for(self, purpose: str) -> str:
        """Return the travel mode (walk/ebike/motorised) used for a tier group or ``access``."""
        return self.travel_modes.get(purpose, self.default_travel_mode)

    def offroad_speed_kmh(self, travel_mode: str) -> float:
        """Return the speed of the off-road leg to and from the road for a travel mode."""
        return float(self.offroad_kmh[travel_mode])

    def speed_kmh(self, travel_mode: str, setting: str) -> float:
        """Return the straight-line speed of a travel mode in an urban or rural setting."""
        return float(self.speeds_kmh[travel_mode][setting])

    def max_speed_kmh(self, travel_mode: str) -> float:
        """Return the fastest speed of a travel mode over both settings."""
        return max(float(v) for v in self.speeds_kmh[travel_mode].values())


def _check_offroad(offroad_kmh: Mapping[str, float]) -> None:
    if set(offroad_kmh) != set(TRAVEL_MODES):
        raise ScenarioError(
            f"offroad_kmh must give exactly the travel modes {list(TRAVEL_MODES)} "
            f"(got {sorted(offroad_kmh)})"
        )
    for travel_mode, speed in offroad_kmh.items():
        _check_speed(f"offroad_kmh.{travel_mode}", speed)


def _check_speed(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ScenarioError(f"{name} must be a positive number (got {value!r})")
    if not np.isfinite(value):
        raise ScenarioError(f"{name} must be finite (got {value!r})")
