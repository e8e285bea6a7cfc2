"""Sweep files (TOML): read and validate what to vary in a base scenario, and how.

A sweep file names a base scenario (relative to the sweep file) and the parameters to vary, each
a dotted key into the scenario's table::

    name = "yongchuan_sweep"
    base = "yongchuan_choice_2030.toml"
    mode = "grid"                     # or "random", with samples and seed

    [parameters]
    "population.growth_per_year.2030" = [0.0, 0.005, 0.01]      # listed values
    "services.referral.minutes" = { min = 20, max = 45, steps = 6 }   # evenly spaced (grid)

    [set]                             # the same override at every point
    "solver.time_limit_s" = 20

In ``random`` mode a list is sampled uniformly among its values and a ``{min, max}`` range
uniformly between its bounds (``integer = true`` for whole numbers). Unknown keys are rejected
with the keys allowed at that place.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from optimizer.config.key_errors import describe_key_error
from optimizer.config.scenario import read_scenario_toml
from optimizer.errors import ScenarioError

__all__ = ["MAX_POINTS", "ParameterRange", "SweepSpec", "load_sweep"]

MAX_POINTS = 10_000


def _scalar(value: Any) -> Any:
    if not isinstance(value, bool | int | float | str):
        raise ValueError("a value to try is a number, a string or a boolean, not a table or list")
    return value


Scalar = Annotated[Any, AfterValidator(_scalar)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParameterRange(_Strict):
    """Values between two bounds: ``steps`` evenly spaced ones (grid) or uniform draws (random)."""

    min: float
    max: float
    steps: int | None = Field(default=None, ge=1, description="grid only: number of values")
    integer: bool = Field(default=False, description="whole numbers only")

    @model_validator(mode="after")
    def _ordered(self) -> ParameterRange:
        if self.max < self.min:
            raise ValueError(f"max {self.max:g} is below min {self.min:g}")
        if self.integer and math.floor(self.max) < math.ceil(self.min):
            raise ValueError(f"no whole number between {self.min:g} and {self.max:g}")
        return self


def _kind(value: Any) -> str:
    return "range" if isinstance(value, dict | ParameterRange) else "list"


Values = Annotated[
    Annotated[list[Scalar], Tag("list")] | Annotated[ParameterRange, Tag("range")],
    Discriminator(_kind),
]


class SweepSpec(_Strict):
    """A validated sweep file. ``base`` is made absolute by :func:`load_sweep`."""

    name: str
    description: str = ""
    base: Path = Field(description="base scenario file, relative to the sweep file")
    mode: Literal["grid", "random"] = "grid"
    samples: int | None = Field(default=None, ge=1, description="random mode: number of points")
    seed: int = Field(default=0, description="random mode: seed of the draws")
    decimals: int = Field(default=6, ge=0, le=12, description="rounding of drawn/spaced values")
    keep_runs: bool = Field(default=False, description="keep each point's plan in runs/<id>/")
    parameters: dict[str, Values] = Field(min_length=1)
    set: dict[str, Any] = Field(default_factory=dict, description="overrides at every point")

    @field_validator("parameters", "set")
    @classmethod
    def _dotted(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, values in value.items():
            if not key or any(not part.strip() for part in key.split(".")):
                raise ValueError(f"'{key}' is not a dotted key such as 'services.referral.minutes'")
            if isinstance(values, list) and not values:
                raise ValueError(f"'{key}' has no values; give one or more")
        return value

    @model_validator(mode="after")
    def _mode_keys(self) -> SweepSpec:
        problems = []
        ranges = {k: v for k, v in self.parameters.items() if isinstance(v, ParameterRange)}
        if self.mode == "random" and self.samples is None:
            problems.append("mode = 'random' needs samples (the number of points)")
        if self.mode == "grid":
            if self.samples is not None:
                problems.append("samples is for mode = 'random'; a grid runs every combination")
            problems += [f"parameter '{k}': a grid range needs steps (the number of values)"
                         for k, r in ranges.items() if r.steps is None]
        else:
            problems += [f"parameter '{k}': steps is for mode = 'grid'"
                         for k, r in ranges.items() if r.steps is not None]
        both = sorted(set(self.parameters) & set(self.set))
        if both:
            problems.append(f"key(s) {both} are both varied ([parameters]) and fixed ([set])")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _allowed(location: tuple[str | int, ...]) -> list[str]:
    if len(location) >= 3 and location[0] == "parameters":
        return sorted(ParameterRange.model_fields)
    return sorted(SweepSpec.model_fields)


def _describe(error: dict[str, Any], path: Path) -> str:
    location = tuple(error["loc"])
    if location[:1] == ("parameters",) and len(location) > 2:  # drop the union tag
        location = location[:2] + location[3:]
    parts = [str(p) for p in location]
    if location[:1] == ("parameters",) and len(location) > 1:
        parts[1] = f'"{parts[1]}"'  # the parameter's own key has dots
    key = ".".join(parts)
    if error["type"] == "list_type" and location[:1] == ("parameters",):
        return (f"{path}: key '{key}': give a list of values or a range {{min, max}} "
                f"(got {error.get('input')!r})")
    allowed = _allowed(location) if error["type"] == "extra_forbidden" else []
    return describe_key_error(error, path, key, allowed, at_root=not location)


def load_sweep(path: Path | str) -> SweepSpec:
    """Read and validate a sweep file; ``base`` becomes an absolute path.

    Raises
    ------
    ScenarioError
        For a missing file, a TOML syntax error, a missing base scenario, or any key that is
        unknown, missing or out of range, all listed at once.
    """
    path = Path(path).resolve()
    raw = read_scenario_toml(path)
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as err:
        lines = sorted({_describe(dict(e), path) for e in err.errors()})
        raise ScenarioError("\n".join(lines)) from None
    base = spec.base if spec.base.is_absolute() else (path.parent / spec.base).resolve()
    if not base.is_file():
        raise ScenarioError(f"{path}: base scenario {spec.base} not found (looked for {base}); "
                            "give its path relative to the sweep file")
    return spec.model_copy(update={"base": base})
