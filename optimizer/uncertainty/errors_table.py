"""The stated error of each estimation method, and which method a provenance text names.

A row's provenance column says how its number was obtained (``data/PROVENANCE.md``). Sourced
numbers, and rows without a provenance column, are not perturbed. Estimated and synthetic ones
are drawn with the error below. Every entry can be overridden in ``[uncertainty] errors``.

=================================  ========  =================================================
key                                error     reasoning
=================================  ========  =================================================
town_population.census_2010        0.15 sd   2010 township census scaled to the 2020 total:
                                   (log)     a decade of migration moves township shares; the
                                             15 % is an ASSUMPTION of that shift
town_population.unit_formula       0.25 sd   villages/communities formula fitted by NNLS: its
                                   (log)     in-sample log residual on the 20 Yongchuan units
                                             with a 2010 census is 0.18, plus the decade's
                                             shift (0.15) in quadrature, rounded up
town_population.estimated          0.25 sd   any other estimate: as the formula
point_population.unit_split        0.35 sd   a town split over its villages by fixed weights:
                                   (log)     administrative villages of one town differ
                                             widely in size (ASSUMPTION: a coefficient of
                                             variation of about a third)
point_population.estimated         0.35 sd   any other estimate of a point's residents
position.synthetic_cell            1.0       a synthetic point (k-means centre of a grid in its
                                             town) may lie anywhere in its own cell: the town
                                             grid points nearer to it than to any other point
                                             of the town (1.0 = the whole cell; 0.5 = half-way
                                             from the point to each cell grid point)
position.seat_placed               1000 m    a health centre placed at its (sourced) town seat:
                                             the seat's stated GeoNames accuracy, 0.5-1 km;
                                             uniform in a disc of this radius
position.seat_estimated            3000 m    placed at a seat that is itself a gap-fill
                                             estimate: about half a town's width
position.hospital_urban_seat       5000 m    a hospital not geocoded, placed at the urban
                                             seat: the row states "error up to ~5 km"
position.estimated                 2000 m    any other estimated position
=================================  ========  =================================================

Population errors are log-normal factors ``exp(N(0, sd))``; the district total stays the census
total (sourced) and each town's total stays its (drawn) town figure, so a point's error moves
residents between the villages of its town and a town's error between the towns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["ERRORS", "ErrorEntry", "classify_point_population", "classify_position",
           "classify_town_population", "resolve_errors"]


@dataclass(frozen=True)
class ErrorEntry:
    """One row of the table: the error, its unit and the reasoning."""

    value: float
    unit: str
    reason: str


ERRORS: Mapping[str, ErrorEntry] = {
    "town_population.census_2010": ErrorEntry(
        0.15, "log sd", "2010 township census scaled to the 2020 total; a decade of migration"),
    "town_population.unit_formula": ErrorEntry(
        0.25, "log sd", "NNLS formula: in-sample log residual 0.18, plus the decade's shift"),
    "town_population.estimated": ErrorEntry(0.25, "log sd", "other estimate, as the formula"),
    "point_population.unit_split": ErrorEntry(
        0.35, "log sd", "villages of a town differ in size (coefficient of variation ~1/3)"),
    "point_population.estimated": ErrorEntry(0.35, "log sd", "other estimate of a point"),
    "position.synthetic_cell": ErrorEntry(
        1.0, "share of cell", "synthetic point: anywhere in its own cell of the town grid"),
    "position.seat_placed": ErrorEntry(
        1000.0, "m radius", "placed at a sourced seat: GeoNames accuracy 0.5-1 km"),
    "position.seat_estimated": ErrorEntry(
        3000.0, "m radius", "placed at an estimated seat: about half a town's width"),
    "position.hospital_urban_seat": ErrorEntry(
        5000.0, "m radius", "hospital not geocoded: the row states an error up to ~5 km"),
    "position.estimated": ErrorEntry(2000.0, "m radius", "other estimated position"),
}


def resolve_errors(overrides: Mapping[str, float], where: str = "[uncertainty] errors"
                   ) -> dict[str, float]:
    """The table's values with ``overrides`` applied.

    Raises
    ------
    ValueError
        An unknown key (the keys are listed) or a negative value.
    """
    unknown = sorted(set(overrides) - set(ERRORS))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(ERRORS)}")
    bad = {k: v for k, v in overrides.items() if not v >= 0}
    if bad:
        raise ValueError(f"{where}: errors are >= 0 (got {bad})")
    return {key: float(overrides.get(key, entry.value)) for key, entry in ERRORS.items()}


def _estimated(text: str) -> bool:
    head = text.strip().upper()
    return head.startswith(("ESTIMATED", "SYNTHETIC"))


def classify_town_population(method: str | None) -> str | None:
    """The table key of a town's ``pop_method``, or None when the figure is not perturbed."""
    if method is None or not _estimated(method):
        return None
    if "census" in method.lower() and "2010" in method:
        return "town_population.census_2010"
    if "/village" in method or "nnls" in method.lower():
        return "town_population.unit_formula"
    return "town_population.estimated"


def classify_point_population(method: str | None) -> str | None:
    """The table key of a demand point's ``population_method`` (None: not perturbed)."""
    if method is None or not _estimated(method):
        return None
    if "split" in method.lower():
        return "point_population.unit_split"
    return "point_population.estimated"


def classify_position(method: str | None) -> str | None:
    """The table key of a ``position_method`` or ``coord_quality`` (None: not perturbed)."""
    if method is None or not _estimated(method):
        return None
    text = method.lower()
    if text.startswith("synthetic"):
        return "position.synthetic_cell"
    if "not geocoded" in text:
        return "position.hospital_urban_seat"
    if "seat point (estimated)" in text:
        return "position.seat_estimated"
    if "seat point" in text:
        return "position.seat_placed"
    return "position.estimated"
