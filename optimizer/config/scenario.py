"""Scenario files (TOML): read, validate against the schema, and resolve their data paths.

A scenario is explicit data: which dataset, which travel assumptions, which coverage standards,
and for the allocation model the plan years, population growth, policy ratios, standards,
counts, change limits, costs, objectives and solver options (the sections are defined in
:mod:`optimizer.config.sections`). Unknown keys are rejected with the key's name, where it is and
the keys allowed there, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from optimizer.config.key_errors import describe_key_error
from optimizer.config.need_sections import EquitySection, FacilityDirection, NeedSection
from optimizer.config.sections import (
    CapacitySection,
    ChangeLimit,
    CostsSection,
    CountyHiredSection,
    CvcSection,
    ExplainSection,
    ObjectiveSection,
    PlanSection,
    PolicyRates,
    PopulationSection,
    RatioRule,
    ServiceSection,
    SolverSection,
    SubCentreSection,
)
from optimizer.config.travel import TravelSettings
from optimizer.config.uncertainty import UncertaintySection
from optimizer.dataset.schema import TIERS
from optimizer.errors import ScenarioError

__all__ = [
    "AccessSection",
    "CoverageSection",
    "DataSection",
    "JustifySection",
    "Scenario",
    "load_scenario",
    "read_scenario_toml",
    "scenario_from_dict",
]

# The 15-minute circle is measured to a point with a medical team (health centre, sub-centre,
# central village clinic). Plain village clinics are their own group: every village has one, at
# the village's own point in the shipped data, so counting them would make the circle trivially
# complete and hide the gaps the plan is about.
DEFAULT_GROUPS: dict[str, list[str]] = {
    "primary": [
        "township_health_centre",
        "community_health_centre",
        "sub_centre",
        "central_village_clinic",
    ],
    "referral": ["sub_centre", "secondary_hospital", "tertiary_hospital"],
    "village": ["village_clinic"],
}
DEFAULT_THRESHOLDS: dict[str, list[float]] = {
    "primary": [15.0, 30.0],
    "referral": [30.0, 60.0],
    "village": [15.0],
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSection(_Strict):
    """Where the input layers are: a dataset folder (relative to the scenario file)."""

    folder: Path = Field(description="dataset folder with towns, facilities and demand layers")


class AccessSection(_Strict):
    """2SFCA accessibility settings."""

    resources: list[str] = Field(default_factory=lambda: ["beds", "doctors"])
    step_weights: dict[str, float] = Field(
        default_factory=lambda: {"10": 1.0, "20": 0.68, "30": 0.22},
        description="enhanced 2SFCA: upper bound of each travel-time band (minutes) -> weight",
    )

    @field_validator("step_weights")
    @classmethod
    def _bands_are_minutes(cls, value: dict[str, float]) -> dict[str, float]:
        for band, weight in value.items():
            try:
                minutes = float(band)
            except ValueError:
                raise ValueError(f"band '{band}' is not a number of minutes") from None
            if minutes <= 0 or not 0 <= weight < float("inf"):
                raise ValueError(f"band '{band}' = {weight}: minutes > 0, weight >= 0")
        return value


class CoverageSection(_Strict):
    """Which tiers count as which service, and the travel-time thresholds to report."""

    groups: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_GROUPS))
    thresholds: dict[str, list[float]] = Field(
        default_factory=lambda: dict(DEFAULT_THRESHOLDS)
    )
    access: AccessSection = Field(default_factory=AccessSection)

    @field_validator("groups")
    @classmethod
    def _known_tiers(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for group, tiers in value.items():
            for tier in tiers:
                if tier not in TIERS:
                    raise ValueError(
                        f"group '{group}': unknown tier '{tier}'; allowed: {', '.join(TIERS)}"
                    )
        return value

    @field_validator("thresholds")
    @classmethod
    def _positive(cls, value: dict[str, list[float]]) -> dict[str, list[float]]:
        for group, minutes in value.items():
            if not minutes or any(m <= 0 for m in minutes):
                raise ValueError(f"'{group}' needs one or more thresholds above 0 minutes")
        return value


class JustifySection(_Strict):
    """How a sub-centre choice is justified (``medalloc justify``): pool, measures, robustness.

    The location measures (population within a threshold, mean and worst-town travel time) are
    measured to the sites of the scenario's service ``service`` (its tiers, travel mode and
    population); the grid of speed factors x detour factors x thresholds repeats them under
    other travel assumptions.
    """

    sites: list[str] = Field(
        default_factory=list,
        description="the set to justify (towns); default: [sub_centres] fixed",
    )
    candidates: list[str] = Field(
        default_factory=list,
        description="pool of alternative towns; default: [sub_centres] candidates, else every "
        "rural town with a health centre",
    )
    aliases: dict[str, str] = Field(
        default_factory=dict, description="other spellings of a town -> its name or code"
    )
    service: str = Field(default="referral", description="the [services.<name>] measured")
    thresholds: list[float] = Field(
        default_factory=list, description="minutes; default: the service's minutes"
    )
    speed_factors: list[float] = Field(default_factory=lambda: [1.0])
    detour_factors: list[float] = Field(
        default_factory=list, description="default: the [travel] detour factor"
    )
    within_percent: float = Field(default=5.0, ge=0)
    k: int = Field(default=10, ge=1, description="alternatives re-optimised by the model")
    max_model_sets: int = Field(
        default=40, ge=1, description="re-optimise every admissible set up to this many"
    )
    max_listed: int = Field(
        default=100, ge=1,
        description="else list at most this many best sets by no-good cuts (the chosen set's "
        "rank is exact when it is among them)",
    )
    max_sets: int = Field(
        default=200_000, ge=1, description="enumerate the location measures up to this many"
    )
    time_limit_s: float = Field(default=10.0, gt=0, description="per model solve")

    @field_validator("thresholds", "speed_factors")
    @classmethod
    def _positive(cls, value: list[float]) -> list[float]:
        if any(not v > 0 for v in value):
            raise ValueError(f"every value must be above 0 (got {value})")
        return value

    @field_validator("detour_factors")
    @classmethod
    def _detour(cls, value: list[float]) -> list[float]:
        if any(not v >= 1 for v in value):
            raise ValueError(f"a detour factor is road over straight-line distance, >= 1 "
                             f"(got {value})")
        return value


class Scenario(_Strict):
    """A planning scenario. Sections not given take the documented defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    name: str
    description: str = ""
    base_year: int = 2020
    data: DataSection
    travel: TravelSettings = Field(
        default_factory=TravelSettings, description="travel settings, see TravelSettings"
    )
    coverage: CoverageSection = Field(default_factory=CoverageSection)
    population: PopulationSection = Field(default_factory=PopulationSection)
    plan: PlanSection | None = None
    policy: dict[str, PolicyRates] = Field(default_factory=dict)
    ratios: list[RatioRule] = Field(default_factory=list)
    sub_centres: SubCentreSection | None = None
    central_village_clinics: CvcSection | None = None
    change_limits: dict[str, ChangeLimit] = Field(default_factory=dict)
    costs: CostsSection = Field(default_factory=CostsSection)
    county_hired: CountyHiredSection | None = None
    need: NeedSection | None = None
    equity: EquitySection | None = None
    facilities: dict[str, FacilityDirection] = Field(default_factory=dict)
    services: dict[str, ServiceSection] = Field(default_factory=dict)
    capacity: CapacitySection | None = None
    objective: ObjectiveSection = Field(default_factory=ObjectiveSection)
    solver: SolverSection = Field(default_factory=SolverSection)
    explain: ExplainSection = Field(default_factory=ExplainSection)
    justify: JustifySection = Field(default_factory=JustifySection)
    uncertainty: UncertaintySection = Field(default_factory=UncertaintySection)
    source: Path | None = Field(default=None, exclude=True)

    @property
    def input_paths(self) -> list[Path]:
        """The data folder, the scenario file and its road layer: no output folder holds them."""
        roads = self.travel.roads
        return [self.data.folder, *([Path(self.source)] if self.source else []),
                *([Path(roads)] if isinstance(roads, str) else [])]

    @field_serializer("travel")
    def _travel_table(self, value: TravelSettings) -> dict[str, Any]:
        """The travel settings as the TOML table they came from (all keys)."""
        return value.to_dict()

    @field_validator("travel", mode="before")
    @classmethod
    def _travel_settings(cls, value: object) -> TravelSettings:
        """Build the typed settings from the TOML table, so a bad key fails at load time."""
        if isinstance(value, TravelSettings):
            return value
        if not isinstance(value, dict):
            raise ValueError(f"[travel] must be a table of settings (got {value!r})")
        try:
            return TravelSettings.from_dict(value)
        except ScenarioError as err:
            raise ValueError(str(err)) from None

    @model_validator(mode="after")
    def _thresholds_name_groups(self) -> Scenario:
        """Every threshold belongs to a group that [coverage.groups] defines."""
        unknown = set(self.coverage.thresholds) - set(self.coverage.groups)
        if unknown:
            raise ValueError(
                f"[coverage.thresholds] names group(s) {sorted(unknown)} that "
                f"[coverage.groups] does not define; defined: {sorted(self.coverage.groups)}"
            )
        return self

    @model_validator(mode="after")
    def _years_are_plan_years(self) -> Scenario:
        """Every year a policy number names is a plan year; objectives name known services."""
        problems = _year_problems(self)
        for name in self.objective.order:
            service = name.removeprefix("coverage:")
            if name.startswith("coverage:") and service not in self.services:
                problems.append(
                    f"[objective] order names 'coverage:{service}' but [services] defines "
                    f"{sorted(self.services) or 'none'}"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _year_problems(scenario: Scenario) -> list[str]:
    """Years used in policy tables that are not plan years (or any year, without a plan)."""
    plan_years = set(scenario.plan.years) if scenario.plan else set()
    used: list[tuple[str, int]] = []
    for resource, rates in scenario.policy.items():
        for key in ("max", "min", "town_max", "town_min"):
            used += [(f"policy.{resource}.{key}", y) for y in getattr(rates, key)]
    for i, rule in enumerate(scenario.ratios):
        used += [(f"ratios[{i}].years", y) for y in rule.years or []]
    if scenario.central_village_clinics:
        cvc = scenario.central_village_clinics
        for key in ("count", "min_count", "max_count"):
            used += [(f"central_village_clinics.{key}", y) for y in getattr(cvc, key)]
    if scenario.need is not None:
        used += [("need.inflow", y) for y in scenario.need.inflow]
    if scenario.sub_centres and scenario.sub_centres.from_year is not None:
        used.append(("sub_centres.from_year", scenario.sub_centres.from_year))
    bad = [f"{where} = {year}" for where, year in used if year not in plan_years]
    if not bad:
        return []
    allowed = sorted(plan_years) if plan_years else "none: add [plan] years"
    return [f"year(s) not among the plan years ({', '.join(bad)}); plan years: {allowed}"]


def _model_of(annotation: Any) -> Any:
    """The pydantic model inside ``X | None`` or ``list[X]``/``dict[str, X]`` element types."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                return _model_of(arg)
    return annotation


def _allowed_keys(model: type[BaseModel], location: tuple[str | int, ...]) -> list[str]:
    """The keys allowed at ``location`` (the path of an unknown key) in the schema.

    Walks nested models, ``list[Model]`` (an index in the path) and ``dict[str, Model]`` (a
    free key in the path, such as the resource in ``policy.beds``).
    """
    current: Any = model
    parts = list(location[:-1])
    while parts:
        current = _model_of(current)
        origin = typing.get_origin(current)
        if origin in (list, dict):
            current = typing.get_args(current)[-1]
            parts.pop(0)
            continue
        field = getattr(current, "model_fields", {}).get(parts.pop(0))
        if field is None:
            return []
        current = field.annotation
    return sorted(getattr(_model_of(current), "model_fields", {}))


def _describe(error: dict[str, Any], path: Path) -> str:
    location = tuple(error["loc"])
    allowed: list[str] = []
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(Scenario, location)
        if len(location) == 1:  # the top-level 'source' is set by load_scenario, not the file
            allowed = [k for k in allowed if k != "source"]
    key = ".".join(str(p) for p in location)
    return describe_key_error(error, path, key, allowed, at_root=not location)


def read_scenario_toml(path: Path | str) -> dict[str, Any]:
    """Read a scenario file's raw TOML table (not yet validated).

    Raises
    ------
    ScenarioError
        For a missing file, a non-UTF-8 file or a TOML syntax error (with its line).
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: scenario file not found; give the path to a .toml file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: not valid TOML ({err}); fix the syntax there") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text; re-save the file as UTF-8") from None


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario file; data paths become absolute.

    Raises
    ------
    ScenarioError
        For a missing file, a TOML syntax error (with its line) or any key that is unknown,
        missing or out of range, all listed at once.
    """
    path = Path(path)
    return scenario_from_dict(read_scenario_toml(path), path)


def scenario_from_dict(raw: dict[str, Any], path: Path | str) -> Scenario:
    """Validate a raw scenario table as if read from ``path`` (for relative data paths).

    Lets callers (sweeps, robustness grids) change keys of a scenario before validating it.

    Raises
    ------
    ScenarioError
        For any key that is unknown, missing or out of range, all listed at once.
    """
    path = Path(path)
    try:
        scenario = Scenario.model_validate({**raw, "source": path})
    except ValidationError as err:
        lines = [_describe(dict(e), path) for e in err.errors()]
        raise ScenarioError("\n".join(lines)) from None
    folder = scenario.data.folder
    if not folder.is_absolute():
        folder = (path.parent / folder).resolve()
    update: dict[str, Any] = {"data": DataSection(folder=folder)}
    roads = scenario.travel.roads
    if isinstance(roads, str) and not Path(roads).is_absolute():
        # [travel] roads is relative to the scenario file, like [data] folder.
        update["travel"] = dataclasses.replace(scenario.travel,
                                               roads=str((path.parent / roads).resolve()))
    need = scenario.need
    if need is not None and need.norms_file is not None:
        # [need] norms_file is part of the dataset, inside the data folder (a checked path: the
        # table is read with the data, never before the folder is accepted)
        update["need"] = need.model_copy(update={"norms_file": folder / need.norms_file})
    return scenario.model_copy(update=update)
