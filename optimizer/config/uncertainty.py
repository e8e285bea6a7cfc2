"""The ``[uncertainty]`` scenario section: what is uncertain, and by how much.

Two kinds of uncertain input:

* **estimated data** (positions, populations): drawn by the error of the estimation method
  each row names in its provenance columns (:mod:`optimizer.uncertainty.errors_table`); a
  sourced number is never perturbed. ``positions``/``populations`` = ``"provenance"`` (the
  default) or ``"certain"``; ``errors`` overrides single entries of the table.
* **assumptions** (detour factor, speeds, the service threshold, growth, the travel model):
  a `Distribution` each. ``"certain"`` keeps the scenario's value.

Example::

    [uncertainty]
    draws = 200
    seed = 2025
    detour_factor = { distribution = "triangular", low = 1.2, high = 1.6 }
    speed_factor = { distribution = "lognormal", sd = 0.15 }
    threshold_minutes = { distribution = "choice", values = [20, 30, 45] }
    town_growth_sd = 0.005
    errors = { "town_population.census_2010" = 0.2 }
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["KINDS", "Distribution", "UncertaintySection"]

KINDS = ("certain", "uniform", "triangular", "normal", "lognormal", "choice")
# The keys each kind takes (besides ``distribution``); any other key is refused by name.
_KEYS: dict[str, tuple[str, ...]] = {
    "certain": (),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("sd", "mean"),
    "lognormal": ("sd",),
    "choice": ("values", "weights"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Distribution(_Strict):
    """One uncertain scalar around its nominal value (the scenario's own number).

    ``uniform`` and ``triangular`` take absolute bounds (``mode`` defaults to the nominal
    value); ``normal`` has the nominal value as mean unless ``mean`` is given; ``lognormal``
    multiplies the nominal value by ``exp(N(0, sd))`` (``sd`` is about the relative error);
    ``choice`` picks one of ``values`` (with ``weights``, else equally likely).
    """

    distribution: Literal["certain", "uniform", "triangular", "normal", "lognormal", "choice"]
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    sd: float | None = Field(default=None, ge=0)
    mean: float | None = None
    values: list[float] | None = None
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _keys_fit_the_kind(self) -> Distribution:
        allowed = _KEYS[self.distribution]
        given = [k for k in ("low", "mode", "high", "sd", "mean", "values", "weights")
                 if getattr(self, k) is not None]
        extra = [k for k in given if k not in allowed]
        if extra:
            raise ValueError(f"distribution '{self.distribution}' takes "
                             f"{list(allowed) or 'no other keys'}, not {extra}")
        need = {"uniform": ("low", "high"), "triangular": ("low", "high"),
                "normal": ("sd",), "lognormal": ("sd",), "choice": ("values",)}
        missing = [k for k in need.get(self.distribution, ()) if getattr(self, k) is None]
        if missing:
            raise ValueError(f"distribution '{self.distribution}' needs {missing}")
        if self.low is not None and self.high is not None and not self.low <= self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        if self.mode is not None and self.low is not None and self.high is not None \
                and not self.low <= self.mode <= self.high:
            raise ValueError(f"mode {self.mode} is outside [low {self.low}, high {self.high}]")
        if self.values is not None and not self.values:
            raise ValueError("'values' needs at least one value")
        if self.weights is not None:
            if self.values is None or len(self.weights) != len(self.values):
                raise ValueError("'weights' needs one weight per value")
            if any(w < 0 for w in self.weights) or not sum(self.weights) > 0:
                raise ValueError(f"weights must be >= 0 and not all 0 (got {self.weights})")
        return self

    @property
    def certain(self) -> bool:
        """Whether every draw takes the nominal value."""
        return self.distribution == "certain" or (
            self.distribution in ("normal", "lognormal") and not self.sd)


def _certain() -> Distribution:
    return Distribution(distribution="certain")


class UncertaintySection(_Strict):
    """What is uncertain in a scenario, and the draws that measure it (``[uncertainty]``)."""

    draws: int = Field(default=200, ge=1, description="draws when --draws is not given")
    seed: int = Field(default=2025, ge=0, description="root seed of the draws")
    sites: list[str] = Field(default_factory=list,
                             description="the set judged; default: [justify] sites, else "
                             "[sub_centres] fixed")
    within_percent: float | None = Field(
        default=None, ge=0, description="'close to the best'; default: [justify] within_percent")
    top_k: int = Field(default=10, ge=1, description="'among the best k sets'")
    sensitivity_draws: int = Field(
        default=50, ge=0,
        description="draws per input group with only that group uncertain (which input moves "
        "the conclusion); 0 skips the attribution")
    positions: Literal["provenance", "certain"] = "provenance"
    populations: Literal["provenance", "certain"] = "provenance"
    errors: dict[str, float] = Field(
        default_factory=dict,
        description="override entries of the per-method error table (key -> value)")
    detour_factor: Distribution = Field(
        default_factory=lambda: Distribution(distribution="triangular", low=1.2, high=1.6),
        description="road over straight-line distance; ASSUMPTION 1.2-1.6 around [travel]")
    speed_factor: Distribution | dict[str, Distribution] = Field(
        default_factory=lambda: Distribution(distribution="lognormal", sd=0.15),
        description="factor on the speeds of each travel mode (one for all, or per mode: walk, "
        "ebike, motorised), drawn independently per mode")
    threshold_minutes: Distribution = Field(default_factory=_certain,
                                            description="the service's threshold")
    town_growth_sd: float = Field(
        default=0.005, ge=0, le=0.1,
        description="yearly growth of a town's share of residents, sd (migration between "
        "towns); the district total stays the census total")
    network_share: float = Field(
        default=0.0, ge=0, le=1,
        description="share of draws on the road network (needs roads in the data); the rest "
        "straight line")

    @field_validator("speed_factor")
    @classmethod
    def _modes(cls, value: Distribution | dict[str, Distribution]
               ) -> Distribution | dict[str, Distribution]:
        if isinstance(value, dict):
            bad = sorted(set(value) - {"walk", "ebike", "motorised"})
            if bad:
                raise ValueError(f"unknown travel mode(s) {bad}; allowed: walk, ebike, motorised")
        return value

    @field_validator("detour_factor")
    @classmethod
    def _detour(cls, value: Distribution) -> Distribution:
        for key in ("low", "mode", "mean"):
            number = getattr(value, key)
            if number is not None and number < 1:
                raise ValueError(f"a detour factor is >= 1 ({key} = {number})")
        if value.values is not None and any(v < 1 for v in value.values):
            raise ValueError(f"a detour factor is >= 1 (values {value.values})")
        return value

    @field_validator("threshold_minutes")
    @classmethod
    def _minutes(cls, value: Distribution) -> Distribution:
        numbers = [getattr(value, k) for k in ("low", "mode", "mean")] + (value.values or [])
        if any(n is not None and n <= 0 for n in numbers):
            raise ValueError("thresholds are minutes above 0")
        return value

    def speed_for(self, travel_mode: str) -> Distribution:
        """The speed-factor distribution of one travel mode."""
        if isinstance(self.speed_factor, dict):
            return self.speed_factor.get(travel_mode, _certain())
        return self.speed_factor
