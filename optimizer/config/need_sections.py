"""Scenario sections for need-driven placement: ``[need]`` norms and ``[facilities."<id>"]``.

``[need]`` says how much of each resource every adjustable facility needs, from the residents
it serves: utilisation (admissions, stays, occupancy, visits; the share of care given at
grassroots level; the inflow of patients from outside the district at some tiers) and staffing
norms per bed, per 1000 residents served or per 10 000 visits, each with its source.
``[facilities."<id or name>"]`` carries the plan's directions for one facility (a role, no cuts,
a minimum change or level). See :mod:`optimizer.model.need` for the arithmetic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from optimizer.dataset.schema import SPECIALTIES, TIERS

__all__ = ["EquitySection", "FacilityDirection", "NeedNorm", "NeedSection", "StayTarget"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_tiers(tiers: list[str]) -> list[str]:
    for tier in tiers:
        if tier not in (*TIERS, "sub_centre"):
            raise ValueError(f"unknown tier '{tier}'; allowed: {', '.join(TIERS)}")
    return tiers


class NeedNorm(_Strict):
    """What one facility of ``tiers`` needs of ``resource`` per unit of its workload.

    Exactly one basis: ``per_bed`` (per bed the facility has in that year),
    ``per_1000_served`` (per 1000 residents it serves) or ``per_10000_visits`` (per 10 000
    outpatient visits a year). Norms of one tier and resource add up (inpatient plus outpatient
    staffing). ``source`` names the standard, or says ASSUMPTION and why.
    """

    tiers: list[str] = Field(min_length=1)
    specialties: list[str] = Field(default_factory=list,
                                   description="hospital specialties it applies to (empty: any)")
    resource: str
    per_bed: float | None = Field(default=None, ge=0)
    per_1000_served: float | None = Field(default=None, ge=0)
    per_10000_visits: float | None = Field(default=None, ge=0)
    source: str = Field(min_length=1, description="the standard, or ASSUMPTION and its basis")

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, value: list[str]) -> list[str]:
        return _known_tiers(value)

    @field_validator("specialties")
    @classmethod
    def _specialties(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in SPECIALTIES:
                raise ValueError(f"unknown specialty '{name}'; allowed: {', '.join(SPECIALTIES)}")
        return value

    def applies(self, tier: str, specialty: str) -> bool:
        """Whether the norm holds for a facility of ``tier`` and ``specialty``."""
        return tier in self.tiers and (not self.specialties or specialty in self.specialties)

    @model_validator(mode="after")
    def _one_basis(self) -> NeedNorm:
        given = [v for v in (self.per_bed, self.per_1000_served, self.per_10000_visits)
                 if v is not None]
        if len(given) != 1:
            raise ValueError("a norm needs exactly one of per_bed, per_1000_served, "
                             f"per_10000_visits (got {len(given)})")
        return self

    @property
    def basis(self) -> str:
        """``bed``, ``served`` or ``visits``."""
        if self.per_bed is not None:
            return "bed"
        return "served" if self.per_1000_served is not None else "visits"

    @property
    def rate(self) -> float:
        """The norm's number, in its basis' unit."""
        return float(self.per_bed if self.per_bed is not None else
                     self.per_1000_served if self.per_1000_served is not None else
                     self.per_10000_visits or 0.0)




class StayTarget(_Strict):
    """The plan's average length of stay for hospitals of ``tiers`` by year (days).

    Between the data's year (the hospital's own ``stay_days``) and a target year the stay moves
    linearly; after the last target it stays there. Bed need follows the stay.
    """

    tiers: list[str] = Field(min_length=1)
    days: dict[int, float] = Field(min_length=1)
    source: str = Field(min_length=1)

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, value: list[str]) -> list[str]:
        return _known_tiers(value)

    @field_validator("days")
    @classmethod
    def _days(cls, value: dict[int, float]) -> dict[int, float]:
        for year, days in value.items():
            if not 0 < days <= 365:
                raise ValueError(f"a stay of {days} days in {year} is outside 0..365")
        return value


class NeedSection(_Strict):
    """Need per facility: utilisation of the residents served, and staffing norms.

    Beds follow admissions: a facility needs ``admissions x stay_days / (365 x occupancy)``
    beds for the admissions of the residents it serves. Residents are served at grassroots level
    by their own town's health centre for the ``grassroots_admission_share`` of admissions (by
    urban or rural setting) and visits; the rest is county-level care, of which a sub-centre
    takes ``sub_centre_share`` for its own town and consortium partners, and the hospitals the
    remainder, split by their beds in the data (their current share). ``inflow`` raises the
    workload of ``inflow_tiers`` by patients from outside the district (a share of their
    patients by year), relative to the share in the data's year.
    """

    admissions_per_1000: float = Field(default=190.0, gt=0, le=1000)
    stay_days: float = Field(default=9.0, gt=0, le=365)
    occupancy: float = Field(default=0.85, gt=0, le=1)
    grassroots_admission_share: dict[str, float] = Field(
        default_factory=lambda: {"urban": 0.15, "rural": 0.45})
    visits_per_resident: float = Field(default=6.0, ge=0, le=100)
    grassroots_visit_share: dict[str, float] = Field(
        default_factory=lambda: {"urban": 0.5, "rural": 0.6})
    sub_centre_share: float = Field(default=0.3, ge=0, le=1)
    inflow: dict[int, float] = Field(default_factory=dict,
                                     description="share of patients from outside, by year")
    inflow_tiers: list[str] = Field(default_factory=lambda: ["tertiary_hospital"])
    beds: bool = Field(default=True, description="beds follow the admissions need")
    norms_file: Path | None = Field(
        default=None, description="a norms table (CSV, optimizer.config.norms_table), part of "
        "the dataset: relative to the [data] folder; its rows come before ``norms``")
    norms: list[NeedNorm] = Field(default_factory=list)
    stay_targets: list[StayTarget] = Field(default_factory=list)

    @field_validator("norms_file")
    @classmethod
    def _inside(cls, value: Path | None) -> Path | None:
        if value is not None and (value.is_absolute() or ".." in value.parts):
            raise ValueError(f"'{value}' is not inside the data folder; the norms table is part "
                             "of the dataset: name a file in the [data] folder, e.g. "
                             "\"norms.csv\"")
        return value
    tolerance: float = Field(default=0.1, ge=0, le=1,
                             description="how far above need a facility may end unremarked")
    source: str = ""

    @field_validator("grassroots_admission_share", "grassroots_visit_share")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - {"urban", "rural"})
        if unknown:
            raise ValueError(f"settings are 'urban' and 'rural' (got {', '.join(unknown)})")
        for key in ("urban", "rural"):
            if key not in value:
                raise ValueError(f"give both urban and rural shares (missing '{key}')")
            if not 0 <= value[key] <= 1:
                raise ValueError(f"{key} share {value[key]} is outside 0..1")
        return value

    @field_validator("inflow")
    @classmethod
    def _inflow(cls, value: dict[int, float]) -> dict[int, float]:
        for year, share in value.items():
            if not 0 <= share < 1:
                raise ValueError(f"inflow {share} in {year} is outside 0..1 (a share of "
                                 "patients, below 1)")
        return value

    @field_validator("inflow_tiers")
    @classmethod
    def _inflow_tiers(cls, value: list[str]) -> list[str]:
        return _known_tiers(value)


class FacilityDirection(_Strict):
    """The plan's direction for one facility (``[facilities."<id or Chinese name>"]``).

    ``role`` is the plan's words (shown as the reason); ``no_cut`` resources never fall below
    the data's level; ``min_change`` and ``min_level``/``max_level`` bind the last plan year;
    ``partners`` (facility ids or names) form a horizontal consortium led by this facility.
    """

    role: str = ""
    partners: list[str] = Field(default_factory=list)
    no_cut: list[str] = Field(default_factory=list)
    min_change: dict[str, int] = Field(default_factory=dict)
    min_level: dict[str, int] = Field(default_factory=dict)
    max_level: dict[str, int] = Field(default_factory=dict)
    source: str = ""


class EquitySection(_Strict):
    """Equity by town of residence: resources within reach per 1000 residents (2SFCA).

    In every decision year the largest less the smallest town figure stays at most what it was
    in the data: in doctors per 1000 (``measure = "absolute"``), or over the district's
    population-weighted mean (``"relative"``: a uniform rise widens an absolute gap by
    construction, so where the plan adds much, the relative gap is the fair test).
    ``kind = "expected"`` lets it give way (its shortfall is minimised in the ``targets``
    stage); ``binding`` makes it hard.
    """

    resources: list[str] = Field(min_length=1)
    measure: Literal["absolute", "relative"] = "absolute"
    kind: Literal["binding", "expected"] = "expected"
    source: str = ""
