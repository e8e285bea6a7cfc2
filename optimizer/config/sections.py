"""Scenario sections of the allocation model: years, policy ratios, standards, counts, costs.

These are the pydantic models behind the TOML tables ``[population]``, ``[plan]``,
``[policy.<resource>]``, ``[[ratios]]``, ``[sub_centres]``, ``[central_village_clinics]``,
``[change_limits.<resource>]``, ``[costs]``, ``[county_hired]``, ``[services.<name>]``,
``[capacity]``, ``[objective]``, ``[solver]`` and ``[explain]``. :mod:`optimizer.config.scenario`
assembles them into a :class:`~optimizer.config.scenario.Scenario`. Every model forbids unknown
keys,
so a typo is named with the keys allowed in its place.

Rates are "per ``per`` residents" (1000 for beds and staff, 10 000 for GPs); years are calendar
years; money is in the unit the ``[costs]`` table names (10 000 CNY by default).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from optimizer.dataset.schema import TIERS

__all__ = [
    "HOSPITAL_TIERS",
    "OBJECTIVES",
    "CapacityRule",
    "CapacitySection",
    "ChangeLimit",
    "CostsSection",
    "CountyHiredSection",
    "CvcSection",
    "ExplainSection",
    "ObjectiveSection",
    "PlanSection",
    "PolicyRates",
    "PopulationSection",
    "RatioRule",
    "ServiceSection",
    "SolverSection",
    "StandardRatio",
    "StandardSection",
    "SubCentreSection",
]

HOSPITAL_TIERS = ("tertiary_hospital", "secondary_hospital", "specialist_hospital")
HEALTH_CENTRE_TIERS = ("township_health_centre", "community_health_centre")
# Objectives a scenario may order; "coverage:<service>" names a [services.<service>] table.
OBJECTIVES = ("targets", "coverage:<service>", "travel", "unmet", "need", "shortfall", "spread",
              "worst_town", "cost", "changes")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# 约束性 (binding) targets are hard constraints; 预期性 (expected) ones are soft: their shortfall
# is minimised in the "targets" stage and shown in the indicators table.
Kind = Literal["binding", "expected"]


def _check_tiers(tiers: list[str], where: str) -> list[str]:
    for tier in tiers:
        if tier not in TIERS:
            raise ValueError(f"{where}: unknown tier '{tier}'; allowed: {', '.join(TIERS)}")
    return tiers


class PopulationSection(_Strict):
    """Population projection from the towns' ``pop_2020``.

    ``growth_per_year`` is one annual rate, or rates by the year up to which each applies
    (``{2025 = 0.0, 2030 = 0.005}``: flat to 2025, then 0.5 % a year), compounded.
    """

    growth_per_year: float | dict[int, float] = 0.0

    @field_validator("growth_per_year")
    @classmethod
    def _plausible(cls, value: float | dict[int, float]) -> float | dict[int, float]:
        rates = value.values() if isinstance(value, dict) else [value]
        for rate in rates:
            if not -0.1 <= rate <= 0.1:
                raise ValueError(f"annual growth {rate} is outside -0.1..0.1 (a share, not %)")
        return value


class PlanSection(_Strict):
    """The planning periods and the year the data's facility levels describe."""

    years: list[int] = Field(min_length=1, description="model periods, increasing")
    levels_year: int = Field(description="year the data's beds and staff describe")
    adjustable_tiers: list[str] = Field(
        default_factory=lambda: [*HOSPITAL_TIERS, *HEALTH_CENTRE_TIERS],
        description="tiers whose resource levels the model may change",
    )
    new_resources: list[str] = Field(
        default_factory=list, description="resources absent from the data; they start at 0"
    )

    @model_validator(mode="after")
    def _ordered(self) -> PlanSection:
        if sorted(set(self.years)) != self.years:
            raise ValueError(f"years must be increasing and distinct (got {self.years})")
        if self.levels_year > self.years[0]:
            raise ValueError(
                f"levels_year {self.levels_year} is after the first plan year {self.years[0]}"
            )
        _check_tiers(self.adjustable_tiers, "adjustable_tiers")
        return self


class PolicyRates(_Strict):
    """Caps and floors for one resource, per ``per`` residents, by year."""

    per: int = Field(default=1000, gt=0)
    max: dict[int, float] = Field(default_factory=dict, description="district cap by year")
    min: dict[int, float] = Field(default_factory=dict, description="district floor by year")
    town_max: dict[int, float] = Field(default_factory=dict, description="cap in every town")
    town_min: dict[int, float] = Field(default_factory=dict, description="floor in every town")
    kind: Kind = Field(default="binding", description="binding (hard) or expected (soft)")
    source: str = ""


class RatioRule(_Strict):
    """``sum(resources) >= min * resource_of / per`` (and/or ``<= max``) at a scope."""

    resources: list[str] = Field(min_length=1)
    per_resource: str
    per: float = Field(default=1.0, gt=0)
    min: float | None = Field(default=None, ge=0)
    max: float | None = Field(default=None, ge=0)
    scope: Literal["district", "town", "facility"] = "district"
    years: list[int] | None = None
    kind: Kind = Field(default="binding", description="binding (hard) or expected (soft)")
    source: str = ""

    @model_validator(mode="after")
    def _bounded(self) -> RatioRule:
        if self.min is None and self.max is None:
            raise ValueError("a ratio needs 'min' or 'max'")
        return self


class StandardRatio(_Strict):
    """A staffing ratio of a tier standard: ``sum(resources) >= min * per_resource``."""

    resources: list[str] = Field(min_length=1)
    per_resource: str = "beds"
    min: float = Field(ge=0)


class StandardSection(_Strict):
    """What a facility must have once upgraded (e.g. to secondary-hospital level)."""

    min_level: dict[str, int] = Field(default_factory=dict)
    max_level: dict[str, int] = Field(default_factory=dict)
    ratios: list[StandardRatio] = Field(default_factory=list)
    source: str = ""


class SubCentreSection(_Strict):
    """County-level medical sub-centres: candidates, fixed choices, count, standard."""

    candidates: list[str] = Field(default_factory=list, description="towns (code/name/pinyin)")
    fixed: list[str] = Field(default_factory=list)
    min_count: int = Field(default=0, ge=0)
    max_count: int | None = Field(default=None, ge=0)
    from_year: int | None = Field(default=None, description="first year the standard holds")
    partners: dict[str, list[str]] = Field(default_factory=dict)
    keep_levels: list[str] = Field(
        default_factory=list,
        description="resources a sub-centre never has fewer of than in the data (built up, "
                    "never cut)",
    )
    standard: StandardSection = Field(default_factory=StandardSection)
    # The trade-off behind "2-3 sub-centres": a site beyond min_count opens only if it adds at
    # least this much to the first objective (its unit: rural residents within reach, summed
    # over the plan years, for coverage). Without it the count is whatever that objective
    # prefers (for coverage, always the most).
    min_gain: float | None = Field(default=None, ge=0,
                                   description="what a site beyond min_count must add")
    min_gain_basis: str = ""
    source: str = ""

    @model_validator(mode="after")
    def _counts(self) -> SubCentreSection:
        if self.max_count is not None and self.max_count < self.min_count:
            raise ValueError(f"max_count {self.max_count} < min_count {self.min_count}")
        return self


class CvcSection(_Strict):
    """Central village clinics: how many by year and what one needs."""

    count: dict[int, int] = Field(default_factory=dict, description="exact number by year")
    min_count: dict[int, int] = Field(default_factory=dict)
    max_count: dict[int, int] = Field(default_factory=dict)
    min_level: dict[str, int] = Field(default_factory=dict, description="staff a CVC needs")
    source: str = ""


class ChangeLimit(_Strict):
    """How fast one resource may change between periods (per year, scaled by the years)."""

    facility_cut_share: float | None = Field(default=None, ge=0, le=1)
    facility_increase: float | None = Field(default=None, ge=0)
    district_increase: float | None = Field(default=None, ge=0)
    district_decrease: float | None = Field(default=None, ge=0)
    source: str = ""


class CostsSection(_Strict):
    """Unit costs (assumptions unless sourced) and an optional budget over the horizon."""

    unit: str = "10k CNY"
    sub_centre_upgrade: float = Field(default=0.0, ge=0)
    central_village_clinic: float = Field(default=0.0, ge=0)
    per_unit_added: dict[str, float] = Field(default_factory=dict)
    per_unit_year: dict[str, float] = Field(default_factory=dict)
    budget: float | None = Field(default=None, ge=0)
    source: str = ""


class CountyHiredSection(_Strict):
    """"County-hired, township-used" (县聘乡用): recruits at named hospitals seconded to grassroots.

    Each year, doctors numbering ``share`` of the year's new recruits at the ``hospitals`` serve
    at grassroots institutions (``grassroots_tiers``) for at least a year: the same people,
    counted once in the district's totals (at their hospital's establishment), serving where the
    model places them. Without ``hospitals`` every facility of ``hospital_tiers`` counts.
    """

    share: float = Field(default=0.8, ge=0, le=1)
    resource: str = "doctors"
    hospitals: list[str] = Field(default_factory=list,
                                 description="facility ids or Chinese names of the recruiters")
    hospital_tiers: list[str] = Field(default_factory=lambda: list(HOSPITAL_TIERS))
    # The reform exists to staff township health centres (Yongchuan 县聘乡用, Dianjiang 县管乡用):
    # urban community health centres take seconded doctors only when a scenario names them.
    grassroots_tiers: list[str] = Field(
        default_factory=lambda: ["township_health_centre", "sub_centre"],
        description="where seconded doctors may serve (adjustable facilities of these tiers)",
    )
    source: str = ""

    @model_validator(mode="after")
    def _tiers(self) -> CountyHiredSection:
        _check_tiers(self.hospital_tiers, "county_hired.hospital_tiers")
        _check_tiers(self.grassroots_tiers, "county_hired.grassroots_tiers")
        return self


class ServiceSection(_Strict):
    """A coverage standard: residents within ``minutes`` of a facility of ``tiers``."""

    tiers: list[str] = Field(min_length=1)
    minutes: float = Field(gt=0)
    travel_mode: str | None = Field(default=None, description="default: travel.travel_modes")
    population: Literal["all", "rural"] = "all"
    min_share: float | None = Field(default=None, ge=0, le=1, description="coverage target")
    kind: Kind = Field(default="binding", description="binding (hard) or expected (soft)")
    source: str = ""

    @field_validator("tiers")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return _check_tiers(value, "tiers")


class CapacityRule(_Strict):
    """Residents one unit of a resource can serve.

    Either ``residents_per_unit`` directly, or for beds the three planning parameters:
    ``365 * occupancy * 1000 / (admissions_per_1000 * stay_days)``.
    """

    resource: str
    residents_per_unit: float | None = Field(default=None, gt=0)
    admissions_per_1000: float | None = Field(default=None, gt=0)
    stay_days: float | None = Field(default=None, gt=0)
    occupancy: float | None = Field(default=None, gt=0, le=1)
    source: str = ""

    @model_validator(mode="after")
    def _one_form(self) -> CapacityRule:
        triple = (self.admissions_per_1000, self.stay_days, self.occupancy)
        if self.residents_per_unit is None and any(v is None for v in triple):
            raise ValueError(
                "give residents_per_unit, or all of admissions_per_1000, stay_days, occupancy"
            )
        return self

    @property
    def residents(self) -> float:
        """Residents served per unit of the resource."""
        if self.residents_per_unit is not None:
            return self.residents_per_unit
        # _one_form guarantees the three are given when residents_per_unit is not.
        admissions = float(self.admissions_per_1000 or 1.0)
        return 365.0 * float(self.occupancy or 0.0) * 1000.0 / (
            admissions * float(self.stay_days or 1.0)
        )


class CapacitySection(_Strict):
    """Capacitated service flows from residents to facilities within ``minutes``."""

    tiers: list[str] = Field(default_factory=lambda: [*HOSPITAL_TIERS, *HEALTH_CENTRE_TIERS])
    minutes: float = Field(default=60.0, gt=0)
    travel_mode: str = "motorised"
    rules: list[CapacityRule] = Field(default_factory=list)
    allow_unmet: bool = True

    @field_validator("tiers")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return _check_tiers(value, "tiers")


class ObjectiveSection(_Strict):
    """Objectives in lexicographic order; each later one is optimised with earlier ones held."""

    order: list[str] = Field(default_factory=lambda: ["changes"], min_length=1)
    tolerance: float = Field(default=0.0, ge=0, le=0.5, description="relative give per stage")

    @field_validator("order")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for name in value:
            if not (name.startswith("coverage:") or name in OBJECTIVES):
                raise ValueError(f"unknown objective '{name}'; allowed: {', '.join(OBJECTIVES)}")
        return value


class SolverSection(_Strict):
    """Solver and its limits (per lexicographic stage)."""

    name: Literal["highs", "cbc"] = "highs"
    time_limit_s: float = Field(default=60.0, gt=0)
    mip_gap: float = Field(default=0.0, ge=0, le=1)
    threads: int | None = Field(default=1, ge=1)
    # A limit of work, not of time: a stage that reaches it ends "feasible" in the same place on
    # any machine under any load (HiGHS, one thread, fixed seed). The time limit stays a
    # backstop; a stage that ends on it is reported, and may differ on a faster machine.
    node_limit: int | None = Field(default=None, ge=1,
                                   description="branch-and-bound nodes per stage (HiGHS)")


class ExplainSection(_Strict):
    """Extra solves that explain a sub-centre choice (alternatives and marginal values)."""

    alternatives: bool = False
    max_alternatives: int = Field(default=60, ge=1)
    time_limit_s: float = Field(default=10.0, gt=0)
