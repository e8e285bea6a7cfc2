"""What a sweep says: site frequencies, the objective's spread, which assumptions move the choice.

The *decision* of a point is its set of sub-centres. Only points with a solution (``optimal`` or
``feasible``) have one. For each varied parameter two measures are given:

* ``held_fixed``: the points are grouped by the values of every *other* parameter; in each group
  with two or more solved points, does the decision differ? ``changed`` of ``groups`` is how often
  moving this parameter alone changes the decision (grids; random draws rarely share the other
  values, so there it is usually not measurable, ``groups = 0``). ``changed_at_full_coverage``
  counts the changed groups in which every point covers everyone in the first objective's
  service (a ``coverage:<service>`` objective at a share of 1 in the last plan year): there many
  sets tie on that objective and the choice among them is made by the later stages, or by the
  solver when those tie too, so such a change says little about the assumption.
* ``by_value``: for each value of the parameter (random ranges: four equal-width bins), the
  number of points, of solved points, of distinct decisions, and the most common decision with
  its share of the solved points.

Everything is computed from the point records alone and is deterministic: sorted keys, floats
rounded to six decimals.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from optimizer.sweep.points import canonical_json, parameter_values
from optimizer.sweep.solve_point import FAILED, SOLVED
from optimizer.sweep.spec import ParameterRange, SweepSpec
from optimizer.sweep.table import decision

__all__ = ["influence", "objective_spread", "site_frequency", "summarise"]

_BINS = 4


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def site_frequency(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each chosen site: in how many solved points, what share of them; most often first."""
    solved = [r for r in records if r["status"] in SOLVED]
    counts: Counter[str] = Counter()
    towns: dict[str, str] = {}
    for record in solved:
        for fid, town in zip(record["sub_centres"], record["sub_centre_towns"], strict=True):
            counts[fid] += 1
            towns[fid] = town
    return [{"facility_id": fid, "town": towns[fid], "points": n,
             "share": _round(n / len(solved))}
            for fid, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def decisions(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each distinct decision (set of sub-centres) and how many solved points take it."""
    solved = [r for r in records if r["status"] in SOLVED]
    counts = Counter(decision(r) for r in solved)
    towns = {decision(r): ";".join(r["sub_centre_towns"]) for r in solved}
    return [{"sub_centres": d, "towns": towns[d], "points": n, "share": _round(n / len(solved))}
            for d, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def objective_spread(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Points per status, and min/median/max of the first objective where there is one."""
    out: dict[str, dict[str, Any]] = {}
    for status in (*SOLVED, *FAILED):
        group = [r for r in records if r["status"] == status]
        if not group:
            continue
        values = [float(r["objective"]) for r in group if r.get("objective") is not None]
        entry: dict[str, Any] = {"points": len(group)}
        if values:
            entry.update(min=_round(min(values)), median=_round(statistics.median(values)),
                         max=_round(max(values)))
        out[status] = entry
    return out


def _labels(spec: SweepSpec, key: str, records: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Point id -> the label of its value (random ranges: the bin it falls in)."""
    values = spec.parameters[key]
    if spec.mode == "grid" or not isinstance(values, ParameterRange) or values.max == values.min:
        return {r["point_id"]: canonical_json(r["params"][key]) for r in records}
    edges = np.linspace(values.min, values.max, _BINS + 1)
    out = {}
    for record in records:
        index = min(int(np.searchsorted(edges, record["params"][key], side="right")) - 1,
                    _BINS - 1)
        out[record["point_id"]] = f"[{edges[index]:.6g}, {edges[index + 1]:.6g}]"
    return out


def influence(spec: SweepSpec, records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """For each parameter, the ``held_fixed`` and ``by_value`` measures of the module docstring."""
    solved = [r for r in records if r["status"] in SOLVED]
    towns = {decision(r): ";".join(r["sub_centre_towns"]) for r in solved}
    out: dict[str, dict[str, Any]] = {}
    for key in spec.parameters:
        others = [k for k in spec.parameters if k != key]
        groups: dict[str, set[str]] = defaultdict(set)
        sizes: Counter[str] = Counter()
        partial: set[str] = set()  # groups with a point short of full first-objective coverage
        for record in solved:
            rest = canonical_json({k: record["params"][k] for k in others})
            groups[rest].add(decision(record))
            sizes[rest] += 1
            if not _full_coverage(record):
                partial.add(rest)
        measurable = [g for g in groups if sizes[g] >= 2]
        changed = [g for g in measurable if len(groups[g]) > 1]
        labels = _labels(spec, key, records)
        by_value: dict[str, list[str | None]] = defaultdict(list)
        for record in records:
            solved_here = record["status"] in SOLVED
            by_value[labels[record["point_id"]]].append(decision(record) if solved_here else None)
        rows = []
        for label, taken in by_value.items():
            made = [d for d in taken if d is not None]
            row: dict[str, Any] = {"value": label, "points": len(taken), "solved": len(made),
                                   "decisions": len(set(made)), "most_common": None,
                                   "most_common_towns": None, "most_common_share": None}
            if made:
                common, n = sorted(Counter(made).items(), key=lambda item: (-item[1], item[0]))[0]
                row.update(most_common=common, most_common_towns=towns[common],
                           most_common_share=_round(n / len(made)))
            rows.append(row)
        rows.sort(key=_value_order)
        out[key] = {"held_fixed": {"groups": len(measurable), "changed": len(changed),
                                   "changed_at_full_coverage": len(set(changed) - partial)},
                    "by_value": rows}
    return out


def _full_coverage(record: Mapping[str, Any]) -> bool:
    """Whether the point's first objective is a coverage share of 1 in the last plan year."""
    name = str(record.get("objective_name") or "")
    shares = record.get("coverage_shares", {}).get(name.removeprefix("coverage:"), {})
    if not name.startswith("coverage:") or not shares:
        return False
    last = shares[max(shares, key=int)]
    return last is not None and float(last) >= 1.0 - 1e-9


def _value_order(row: Mapping[str, Any]) -> tuple[int, float, str]:
    label = str(row["value"])
    try:
        return (0, float(label.strip("[]").split(",")[0]), label)
    except ValueError:
        return (1, 0.0, label)


def summarise(spec: SweepSpec, records: Sequence[dict[str, Any]],
              missing: Sequence[str]) -> dict[str, Any]:
    """The content of the sweep's ``summary.json``."""
    statuses = Counter(r["status"] for r in records)
    return {
        "sweep": spec.name,
        "description": spec.description,
        "base": spec.base.name,
        "mode": spec.mode,
        "parameters": {k: parameter_values(spec.parameters[k], spec.decimals)
                       if spec.mode == "grid" else _range_text(spec, k)
                       for k in spec.parameters},
        "points": len(records) + len(missing),
        "statuses": dict(sorted(statuses.items())),
        "missing": sorted(missing),
        "objective": objective_spread(records),
        "site_frequency": site_frequency(records),
        "decisions": decisions(records),
        "influence": influence(spec, records),
    }


def _range_text(spec: SweepSpec, key: str) -> str:
    values = spec.parameters[key]
    if isinstance(values, ParameterRange):
        kind = "whole numbers" if values.integer else "uniform"
        return f"{kind} in [{values.min:g}, {values.max:g}]"
    return "one of " + ", ".join(canonical_json(v) for v in values)
