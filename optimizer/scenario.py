"""Scenario files (TOML): read, validate against the schema, and resolve their data paths.

A scenario is explicit data: which dataset, which travel assumptions, which coverage standards.
Unknown keys are rejected with the key's name, where it is and the keys allowed there, so a typo
never silently falls back to a default.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from optimizer.errors import ScenarioError
from optimizer.schema import TIERS

__all__ = ["AccessSection", "CoverageSection", "DataSection", "Scenario", "load_scenario"]

DEFAULT_GROUPS: dict[str, list[str]] = {
    "primary": [
        "township_health_centre",
        "community_health_centre",
        "central_village_clinic",
        "village_clinic",
    ],
    "referral": ["sub_centre", "secondary_hospital", "tertiary_hospital"],
}
DEFAULT_THRESHOLDS: dict[str, list[float]] = {"primary": [15.0, 30.0], "referral": [30.0, 60.0]}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSection(_Strict):
    """Where the input layers are: a dataset folder (relative to the scenario file)."""

    folder: Path = Field(description="dataset folder with towns, facilities and demand layers")


class AccessSection(_Strict):
    """2SFCA accessibility settings."""

    resources: list[str] = Field(default_factory=lambda: ["beds", "doctors"])
    catchment_minutes: float = Field(default=30.0, gt=0)
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
            if minutes <= 0 or not 0 <= weight <= 1:
                raise ValueError(f"band '{band}' = {weight}: minutes > 0, weight in [0, 1]")
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


class Scenario(_Strict):
    """A planning scenario. Sections not given take the documented defaults."""

    name: str
    description: str = ""
    base_year: int = 2020
    data: DataSection
    travel: dict[str, Any] = Field(
        default_factory=dict, description="travel settings, see optimizer.travel.TravelSettings"
    )
    coverage: CoverageSection = Field(default_factory=CoverageSection)
    source: Path | None = Field(default=None, exclude=True)

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


def _allowed_keys(model: type[BaseModel], location: tuple[str | int, ...]) -> list[str]:
    """The keys allowed at ``location`` (the path of an unknown key) in the schema."""
    current: Any = model
    for part in location[:-1]:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = field.annotation
    return sorted(getattr(current, "model_fields", {}))


def _describe(error: dict[str, Any], path: Path) -> str:
    location = tuple(error["loc"])
    key = ".".join(str(p) for p in location)
    if error["type"] == "extra_forbidden":
        allowed = [k for k in _allowed_keys(Scenario, location) if k != "source"]
        guess = difflib.get_close_matches(str(location[-1]), allowed, n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        return f"{path}: unknown key '{key}'{hint}; allowed here: {', '.join(allowed)}"
    if error["type"] == "missing":
        return f"{path}: missing key '{key}'"
    message = str(error["msg"]).removeprefix("Value error, ")
    if not location:
        return f"{path}: {message}"
    return f"{path}: key '{key}': {message} (got {error.get('input')!r})"


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario file; data paths become absolute.

    Raises
    ------
    ScenarioError
        For a missing file, a TOML syntax error (with its line) or any key that is unknown,
        missing or out of range, all listed at once.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: scenario file not found; give the path to a .toml file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: not valid TOML ({err}); fix the syntax there") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text; re-save the file as UTF-8") from None
    try:
        scenario = Scenario.model_validate({**raw, "source": path})
    except ValidationError as err:
        lines = [_describe(dict(e), path) for e in err.errors()]
        raise ScenarioError("\n".join(lines)) from None
    folder = scenario.data.folder
    if not folder.is_absolute():
        folder = (path.parent / folder).resolve()
    return scenario.model_copy(update={"data": DataSection(folder=folder)})
