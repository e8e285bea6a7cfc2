"""Sweep points: the grid or random draws of a sweep, their stable ids, and their scenario tables.

A point is one assignment of a value to every varied parameter. Its id is a hash of those
parameters alone (sorted keys, canonical JSON), so the same point has the same id in every run
and on every machine, whatever the order of the sweep file; results are stored under that id and
an interrupted sweep resumes by skipping ids already done.

Each point's scenario is the base scenario's raw table with the dotted keys set (missing tables
on the way are created), validated with :func:`optimizer.config.scenario.scenario_from_dict` and the
travel settings (typed in the scenario), all before any solve.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optimizer.config.scenario import scenario_from_dict
from optimizer.errors import DataError, ScenarioError
from optimizer.sweep.spec import MAX_POINTS, ParameterRange, SweepSpec

__all__ = [
    "Point",
    "apply_keys",
    "canonical_json",
    "expand_points",
    "parameter_values",
    "point_id",
    "point_tables",
]

Value = bool | int | float | str


@dataclass(frozen=True)
class Point:
    """One point of a sweep.

    Attributes
    ----------
    point_id : str
        12 hex digits of the SHA-256 of the canonical JSON of ``params``.
    params : tuple of (str, value)
        The varied dotted keys and their values, in the sweep file's order.
    """

    point_id: str
    params: tuple[tuple[str, Value], ...]

    def as_dict(self) -> dict[str, Value]:
        """The parameters as a plain dict."""
        return dict(self.params)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same text for the same data, in any order."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def point_id(params: Mapping[str, Value]) -> str:
    """The stable id of a point: 12 hex digits of the SHA-256 of its canonical parameters."""
    return hashlib.sha256(canonical_json(dict(params)).encode("utf-8")).hexdigest()[:12]


def _number(value: float, spec: ParameterRange, decimals: int) -> Value:
    return round(value) if spec.integer else round(float(value), decimals)


def parameter_values(values: list[Any] | ParameterRange, decimals: int) -> list[Value]:
    """The values a grid tries for one parameter: the list itself, or a range's even steps."""
    if not isinstance(values, ParameterRange):
        return list(values)
    steps = values.steps or 1
    spaced = np.linspace(values.min, values.max, steps) if steps > 1 else [values.min]
    out: list[Value] = []
    for v in spaced:
        number = _number(float(v), values, decimals)
        if number not in out:  # integer rounding can merge steps
            out.append(number)
    return out


def _draw(rng: np.random.Generator, values: list[Any] | ParameterRange, decimals: int) -> Value:
    if not isinstance(values, ParameterRange):
        chosen: Value = values[int(rng.integers(len(values)))]
        return chosen
    if values.integer:
        return int(rng.integers(int(np.ceil(values.min)), int(np.floor(values.max)) + 1))
    return _number(float(rng.uniform(values.min, values.max)), values, decimals)


def expand_points(spec: SweepSpec) -> list[Point]:
    """Every point of the sweep, in grid order or draw order, without duplicates.

    In random mode the draws come from ``numpy.random.default_rng(seed)``, one value per
    parameter in the sweep file's order for each sample; a draw equal to an earlier one (likely
    with short lists) is dropped, so a sweep may have fewer points than ``samples``.

    Raises
    ------
    ScenarioError
        When a grid has more than ``MAX_POINTS`` points.
    """
    keys = list(spec.parameters)
    rows: list[tuple[Value, ...]]
    if spec.mode == "grid":
        axes = [parameter_values(spec.parameters[k], spec.decimals) for k in keys]
        size = int(np.prod([len(a) for a in axes]))
        if size > MAX_POINTS:
            raise ScenarioError(
                f"sweep '{spec.name}': the grid has {size:,} points (more than {MAX_POINTS:,}); "
                "use fewer values or mode = 'random' with samples"
            )
        rows = list(itertools.product(*axes))
    else:
        if (spec.samples or 0) > MAX_POINTS:
            raise ScenarioError(f"sweep '{spec.name}': samples = {spec.samples:,} is more than "
                                f"{MAX_POINTS:,}; split the sweep")
        rng = np.random.default_rng(spec.seed)
        rows = [tuple(_draw(rng, spec.parameters[k], spec.decimals) for k in keys)
                for _ in range(spec.samples or 0)]
    points: dict[str, Point] = {}
    for row in rows:
        params = tuple(zip(keys, row, strict=True))
        pid = point_id(dict(params))
        points.setdefault(pid, Point(pid, params))
    return list(points.values())


def apply_keys(raw: Mapping[str, Any],
               values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A deep copy of ``raw`` with each dotted key set; also the tables that had to be created.

    A part that is a whole number indexes a list (``ratios.0.min``); a missing table on the way
    is created, and returned so an error can say that the key was not in the base scenario.

    Raises
    ------
    ScenarioError
        When the key passes through a value that is not a table, or a list index out of range.
    """
    out = copy.deepcopy(dict(raw))
    created: list[str] = []
    for key, value in values.items():
        parts = key.split(".")
        node: Any = out
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            where = ".".join(parts[:depth + 1])
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise ScenarioError(f"key '{key}': '{where}' indexes a list of {len(node)} "
                                        f"item(s); use an index from 0 to {len(node) - 1}")
                index = int(part)
                if last:
                    node[index] = copy.deepcopy(value)
                else:
                    node = node[index]
                continue
            if not isinstance(node, dict):
                above = ".".join(parts[:depth])
                raise ScenarioError(f"key '{key}': '{above}' is a value ({node!r}) in the base "
                                    "scenario, not a table, so it has no key "
                                    f"'{part}'")
            if last:
                node[part] = copy.deepcopy(value)
            else:
                if part not in node:
                    node[part] = {}
                    created.append(where)
                node = node[part]
    return out, created


def _check(raw: dict[str, Any], base: Path) -> None:
    scenario = scenario_from_dict(raw, base)  # validates [travel] too
    if not scenario.data.folder.is_dir():
        raise DataError(f"{base}: data folder {scenario.data.folder} not found; fix [data] folder")


def _fail(spec: SweepSpec, what: str, created: Sequence[str], err: Exception) -> ScenarioError:
    hint = ""
    if created:
        hint = (f" (not in the base scenario, so created: {', '.join(created)}; "
                "check the spelling)")
    return ScenarioError(f"sweep '{spec.name}': {what}{hint} does not give a valid scenario "
                         f"of {spec.base.name}:\n{err}")


def point_tables(spec: SweepSpec, base_raw: Mapping[str, Any],
                 points: Sequence[Point]) -> dict[str, dict[str, Any]]:
    """The raw scenario table of every point, each validated; keyed by point id.

    Each parameter is first tried alone with each of its grid values (random ranges: both
    bounds) so an error names the key and value at fault; then every point is validated whole.

    Raises
    ------
    ScenarioError
        Naming the dotted key (and value, or the whole point) that makes the scenario invalid.
    DataError
        When a point's data folder does not exist.
    """
    fixed, created = apply_keys(base_raw, spec.set)
    try:
        _check(fixed, spec.base)
    except (ScenarioError, DataError) as err:
        raise _fail(spec, f"[set] {sorted(spec.set)}", created, err) from None
    for key, values in spec.parameters.items():
        if isinstance(values, ParameterRange) and values.integer:
            trial: list[Value] = sorted({int(np.ceil(values.min)), int(np.floor(values.max))})
        elif isinstance(values, ParameterRange):
            trial = sorted({round(values.min, spec.decimals), round(values.max, spec.decimals)})
        else:
            trial = parameter_values(values, spec.decimals)
        for value in trial:
            try:
                alone, created = apply_keys(fixed, {key: value})
                _check(alone, spec.base)
            except (ScenarioError, DataError) as err:
                raise _fail(spec, f"parameter '{key}' = {value!r}", created, err) from None
    tables: dict[str, dict[str, Any]] = {}
    for point in points:
        raw, created = apply_keys(fixed, point.as_dict())
        try:
            _check(raw, spec.base)
        except (ScenarioError, DataError) as err:
            raise _fail(spec, f"point {point.point_id} {point.as_dict()}", created, err) from None
        tables[point.point_id] = raw
    return tables
