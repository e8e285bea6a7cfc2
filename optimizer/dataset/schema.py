"""The columns each input layer must or may have, and what their values must look like."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "COUNT_COLUMNS",
    "LAYERS",
    "MAX_FACILITY_COUNT",
    "MAX_POPULATION",
    "SPECIALTIES",
    "TIERS",
    "TOWN_KINDS",
    "WORKLOAD_COLUMNS",
    "Column",
    "Kind",
    "Layer",
]

TIERS = (
    "tertiary_hospital",
    "secondary_hospital",
    "specialist_hospital",
    "sub_centre",
    "township_health_centre",
    "community_health_centre",
    "central_village_clinic",
    "village_clinic",
)
TOWN_KINDS = ("subdistrict", "town", "township")
DEMAND_KINDS = ("village", "community", "grid")

# Resource columns medalloc knows by name; any other all-numeric column of facilities.csv is a
# resource too (resources are data, not code), but these must be whole, non-negative numbers.
COUNT_COLUMNS = ("beds", "doctors", "nurses", "gps", "public_health_staff", "pharmacists")

# A hospital's clinical field, which picks its staffing norms (``[need] norms_file``).
SPECIALTIES = ("general", "tcm", "maternal_child", "psychiatric", "oncology", "elderly_care")
# A facility's workload in the data's year (optional, estimated where a registry lacks them):
# inpatient admissions a year, average length of stay in days, bed occupancy (a share). Not
# resources, although numeric: the model reads them for bed need.
WORKLOAD_COLUMNS = ("admissions", "stay_days", "occupancy")

# Plausible ceilings, far above any real value so that only typing slips and unit mistakes trip
# them (a population of 1e300 or inf makes the model fail much later, with no hint why). China's
# most populous township-level units have about a million residents; its largest hospitals about
# 10 000 beds and 20 000 staff.
MAX_POPULATION = 5_000_000
MAX_FACILITY_COUNT = 100_000
MAX_SPEED_KMH = 200


class Kind(StrEnum):
    """What a column's values must be."""

    ID = "id"  # non-empty text, unique within the file
    REF = "ref"  # non-empty text naming a row of another layer
    TEXT = "text"  # any text, may be empty
    COUNT = "count"  # whole number >= 0
    AMOUNT = "amount"  # number >= 0
    FRACTION = "fraction"  # number in [0, 1], may be empty
    SPEED = "speed"  # number > 0, may be empty (then road_class must give the speed)
    LON = "lon"  # WGS84 longitude
    LAT = "lat"  # WGS84 latitude
    CHOICE = "choice"  # one of `choices`


@dataclass(frozen=True)
class Column:
    """One column of a layer."""

    name: str
    kind: Kind
    required: bool = True
    choices: tuple[str, ...] = ()
    help: str = ""
    maximum: float | None = None  # plausible ceiling (inclusive) for numbers
    per: str = ""  # what the ceiling is counted per, for messages ("per facility")


@dataclass(frozen=True)
class Layer:
    """One input layer: its role, the file names it goes by and its columns."""

    role: str
    file_names: tuple[str, ...]
    columns: tuple[Column, ...]
    geometry: str | None = None  # "polygon", "point", "line" or None for a plain table
    id_column: str | None = None
    point_columns: tuple[str, str] | None = None  # lon/lat columns when read from CSV
    extra_counts: bool = field(default=False)  # other numeric columns are resources

    @property
    def tabular(self) -> bool:
        """The layer may come as a table (CSV or spreadsheet) with lon/lat columns."""
        return self.point_columns is not None

    def column(self, name: str) -> Column | None:
        """The column called ``name``, if the layer has one."""
        return next((c for c in self.columns if c.name == name), None)


TOWNS = Layer(
    role="towns",
    file_names=("towns.geojson", "towns.gpkg"),
    geometry="polygon",
    id_column="code",
    columns=(
        Column("code", Kind.ID, help="the 9-digit statistical code of the township unit"),
        Column("name_zh", Kind.TEXT, help="the official Chinese name"),
        Column("name_en", Kind.TEXT, required=False),
        Column("kind", Kind.CHOICE, choices=TOWN_KINDS),
        Column("pop_2020", Kind.COUNT, help="resident population of the base year",
               maximum=MAX_POPULATION, per="residents per town"),
        Column("share_65plus", Kind.FRACTION, required=False),
    ),
)

FACILITIES = Layer(
    role="facilities",
    file_names=("facilities.csv", "facilities.xlsx", "facilities.geojson", "facilities.gpkg"),
    geometry="point",
    id_column="facility_id",
    point_columns=("lon", "lat"),
    extra_counts=True,
    columns=(
        Column("facility_id", Kind.ID),
        Column("name_zh", Kind.TEXT),
        Column("name_en", Kind.TEXT, required=False),
        Column("tier", Kind.CHOICE, choices=TIERS),
        Column("town_code", Kind.REF, help="a code from the towns layer"),
        Column("lon", Kind.LON),
        Column("lat", Kind.LAT),
        *(Column(name, Kind.COUNT, required=name == "beds", maximum=MAX_FACILITY_COUNT,
                 per="per facility") for name in COUNT_COLUMNS),
        Column("specialty", Kind.CHOICE, required=False, choices=SPECIALTIES,
               help="a hospital's clinical field, for its staffing norms"),
        Column("admissions", Kind.AMOUNT, required=False, maximum=10_000_000,
               per="admissions a year per facility"),
        Column("stay_days", Kind.AMOUNT, required=False, maximum=365,
               per="days of average stay"),
        Column("occupancy", Kind.AMOUNT, required=False, maximum=2.0,
               per="bed occupancy (a share; above 1 means extra beds in corridors)"),
    ),
)

DEMAND = Layer(
    role="demand",
    file_names=("demand.csv", "demand.xlsx", "demand.geojson", "demand.gpkg"),
    geometry="point",
    id_column="demand_id",
    point_columns=("lon", "lat"),
    columns=(
        Column("demand_id", Kind.ID),
        Column("name_zh", Kind.TEXT, required=False),
        Column("kind", Kind.CHOICE, required=False, choices=DEMAND_KINDS),
        Column("town_code", Kind.REF, help="a code from the towns layer"),
        Column("population", Kind.AMOUNT, maximum=MAX_POPULATION,
               per="residents per demand point"),
        Column("lon", Kind.LON),
        Column("lat", Kind.LAT),
    ),
)

BOUNDARY = Layer(
    role="boundary",
    file_names=("boundary.geojson", "boundary.gpkg"),
    geometry="polygon",
    columns=(),
)

ROADS = Layer(
    role="roads",
    file_names=("roads.gpkg", "roads.geojson"),
    geometry="line",
    columns=(
        Column("speed_kmh", Kind.SPEED, required=False, maximum=MAX_SPEED_KMH, per="km/h"),
        Column("road_class", Kind.TEXT, required=False),
    ),
)

LAYERS = {layer.role: layer for layer in (TOWNS, FACILITIES, DEMAND, BOUNDARY, ROADS)}
