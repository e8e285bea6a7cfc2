"""Why here: the reason for every level in ``plan.csv``, read from the plan and the scenario.

Each row gets ``need`` (at the plan's beds and sub-centres), ``served`` (who serves there: the
level plus seconded doctors in, less those seconded out), ``need_ratio`` (served / need) and a
``reason_kind`` with a sentence:

* ``need``: the level follows the facility's need (within the tolerance, or short of it);
* ``standard``: a sub-centre or central-village-clinic standard asks for the level;
* ``direction``: the plan's direction for the facility (``[facilities."<id>"]``, kept
  sub-centre levels);
* ``floor``: district floors or ratios ask for more than the total need, so the surplus is
  spread in proportion to need;
* ``limit``: a change limit keeps the facility above its need (posts are not cut, beds shrink
  at most so fast);
* ``cap``: cut toward need as far as the district totals ask (the cut shared by how far each
  facility is above its need);
* ``kept``: above its need, but no total asks for a cut (the fewest changes);
* ``fixed`` / ``data``: not a decision (a tier the model does not adjust, or the data's year).

Everything is recomputed from the tables, so a reader can check a reason against the numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from optimizer.model.inputs import ModelInputs

__all__ = ["REASON_KINDS", "add_reasons", "far_from_need"]

REASON_KINDS = ("need", "standard", "direction", "floor", "limit", "cap", "kept", "fixed",
                "data")


def _tolerance(inputs: ModelInputs) -> float:
    section = inputs.scenario.need
    return section.tolerance if section is not None else 0.1


def _floor_surplus(inputs: ModelInputs, plan: pd.DataFrame) -> set[tuple[str, int]]:
    """(resource, year) whose district total sits at a floor or ratio above the total need."""
    found: set[tuple[str, int]] = set()
    totals = plan.groupby(["resource", "year"])["after"].sum()
    needs = plan.groupby(["resource", "year"])["need"].sum(min_count=1)
    for group, value in totals.items():
        key: Any = group
        resource, year, total = str(key[0]), int(key[1]), float(value)
        need = needs.get((resource, year), math.nan)
        if not (isinstance(need, float) and math.isfinite(need)) or total <= need:
            continue
        rates = inputs.scenario.policy.get(str(resource))
        if rates is not None and int(year) in rates.min:
            floor = rates.min[int(year)] * inputs.residents(int(year)) / rates.per
            if total <= math.ceil(floor - 1e-9) + 1:
                found.add((str(resource), int(year)))
        for rule in inputs.scenario.ratios:
            if rule.min is None or rule.scope != "district" or resource not in rule.resources:
                continue
            base = float(totals.get((rule.per_resource, year), 0))
            lhs = sum(float(totals.get((r, year), 0)) for r in rule.resources)
            if lhs <= rule.min / rule.per * base + len(rule.resources) + 1:
                found.add((str(resource), int(year)))
    return found


def add_reasons(inputs: ModelInputs, plan: pd.DataFrame, need: pd.DataFrame) -> pd.DataFrame:
    """``plan`` with ``need``, ``served``, ``need_ratio``, ``reason_kind`` and ``reason``."""
    keyed = need.set_index(["facility_id", "year", "resource"]) if len(need) else None
    frame = plan.copy()
    if keyed is not None:
        index = pd.MultiIndex.from_frame(frame[["facility_id", "year", "resource"]])
        frame["need"] = keyed["need"].reindex(index).to_numpy(dtype=float)
        frame["served"] = keyed["served_level"].reindex(index).to_numpy(dtype=float)
        basis = keyed["basis"].reindex(index).to_numpy(dtype=object)
    else:
        frame["need"] = np.nan
        frame["served"] = np.nan
        basis = np.full(len(frame), None, dtype=object)
    frame["served"] = frame["served"].fillna(frame["after"].astype(float))
    frame["need_ratio"] = np.where(frame["need"] > 0, frame["served"] / frame["need"], np.nan)
    surplus = _floor_surplus(inputs, frame)
    kinds, texts = [], []
    for i, row in enumerate(frame.itertuples(index=False)):
        kind, text = _reason(inputs, row, basis[i], surplus)
        kinds.append(kind)
        texts.append(text)
    frame["reason_kind"] = kinds
    frame["reason"] = texts
    return frame


def _standard(inputs: ModelInputs, row: Any) -> str | None:
    fid, resource, after = str(row.facility_id), str(row.resource), int(row.after)
    tier = str(row.tier)
    if tier == "central_village_clinic":
        cvc = inputs.scenario.central_village_clinics
        minimum = cvc.min_level.get(resource) if cvc is not None else None
        if minimum is not None and after <= minimum:
            return f"the central village clinic standard of at least {minimum} {resource}"
    section = inputs.scenario.sub_centres
    if tier != "sub_centre" or section is None:
        return None
    std = section.standard
    if resource in std.min_level and after <= std.min_level[resource]:
        return f"the sub-centre standard of at least {std.min_level[resource]} {resource}"
    for rule in std.ratios:
        if resource in rule.resources:
            return (f"the sub-centre standard of {rule.min:g} {' + '.join(rule.resources)} per "
                    f"{rule.per_resource} at {inputs.name_of(fid)}")
    return None


def _direction(inputs: ModelInputs, row: Any) -> str | None:
    fid, resource, after = str(row.facility_id), str(row.resource), int(row.after)
    year = int(row.year)
    base = inputs.base(fid, resource)
    direction = inputs.directions.get(fid)
    if direction is not None:
        role = f" ({direction.role})" if direction.role else ""
        if resource in direction.no_cut and after <= base:
            return f"the plan's direction{role}: no cut in {resource}"
        last = inputs.years[-1]
        if year == last and resource in direction.min_change and \
                after <= base + direction.min_change[resource]:
            return f"the plan's direction{role}: at least {direction.min_change[resource]} more"
        if year == last and resource in direction.min_level and \
                after <= direction.min_level[resource]:
            return f"the plan's direction{role}: at least {direction.min_level[resource]}"
        if direction.role:
            return f"the plan's direction{role}"
    section = inputs.scenario.sub_centres
    if section is not None and str(row.tier) == "sub_centre" and \
            resource in section.keep_levels and after <= base:
        return (f"the plan's direction that a sub-centre is built up, never cut ({resource} "
                "kept)")
    return None


def _reason(inputs: ModelInputs, row: Any, basis: object,  # noqa: PLR0912  (one rule a branch)
            surplus: set[tuple[str, int]]) -> tuple[str, str]:
    fid = str(row.facility_id)
    year, resource = int(row.year), str(row.resource)
    change = int(row.change)
    need, ratio = float(row.need), float(row.need_ratio)
    served, after = float(row.served), int(row.after)
    if year == inputs.plan.levels_year:
        return "data", f"the data's level in {year} (not a decision)"
    role = str(inputs.facilities.loc[fid, "role"])
    standard = _standard(inputs, row)
    if role == "fixed":
        return "fixed", f"tier {inputs.facilities['tier'].loc[fid]!s} is not adjusted by the model"
    if role == "cvc":
        if standard is not None and change > 0:
            return "standard", f"becomes a central village clinic: {standard}"
        return "fixed", "village clinic: kept as it is unless it becomes a central village clinic"
    tolerance = _tolerance(inputs)
    has_need = math.isfinite(need)
    seconded = served - after
    figure = ""
    if has_need:
        figure = f"need {need:,.1f} ({basis})"
        if seconded:
            figure += f"; {after} posts {'+' if seconded > 0 else '-'} {abs(seconded):.0f} " \
                      f"seconded = {served:.0f} serving"
        figure += f"; {served:.0f} = {ratio:.0%} of need" if need > 0 else "; nobody served"
    above = has_need and served > need * (1 + tolerance) + 0.5
    direction = _direction(inputs, row)
    if above or not has_need:
        if standard is not None and (change > 0 or str(row.tier) == "sub_centre"):
            return "standard", _join(standard, figure)
        if direction is not None:
            return "direction", _join(direction, figure)
        if change > 0 and (resource, year) in surplus:
            equity = inputs.scenario.equity
            shift = (f", more where fewer {resource} are within reach ([equity])"
                     if equity is not None and resource in equity.resources else "")
            return "floor", _join("district floors ask for more than the total need; the "
                                  f"surplus is spread in proportion to need{shift}", figure)
        if change <= 0 and has_need:
            return _above_need_kept(inputs, row, figure)
        if not has_need:
            return "need", f"no need norm for {resource} at this tier ([need] norms)"
        return "need", _join("ABOVE need with no rule asking for it", figure)
    if change < 0 and resource == "beds" and "beds" in inputs.scenario.policy:
        return "cap", _join("beds cut toward need under the district cap", figure)
    if direction is not None and "no cut" in direction and change == 0:
        return "direction", _join(direction, figure)
    return "need", figure


def _above_need_kept(inputs: ModelInputs, row: Any, figure: str) -> tuple[str, str]:
    """Why a facility above its need was not cut further: the cut limit, or the cap's total."""
    resource, year = str(row.resource), int(row.year)
    limit = inputs.scenario.change_limits.get(resource)
    share = limit.facility_cut_share if limit is not None else None
    if share == 0:
        return "limit", _join(f"above its need, but {resource} are not cut ([change_limits])",
                              figure)
    if share is not None:
        span = year - inputs.previous(year)
        lowest = math.ceil(int(row.before) * (1 - min(1.0, share * span)) - 1e-9)
        if int(row.after) <= lowest:
            return "limit", _join(f"above its need and cut by the most allowed ({share:.0%} a "
                                  "year, [change_limits])", figure)
    if int(row.change) < 0:
        return "cap", _join("above its need; cut toward need only as far as the district totals "
                            "ask (fewest changes): the cut goes first where the level is "
                            "furthest above need", figure)
    return "kept", _join("above its need; kept, since no total asks for a cut (fewest changes)",
                         figure)


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


FAR_FROM_NEED = 0.2  # a facility more than 20 % above or below its need is reported


def far_from_need(plan: pd.DataFrame, tolerance: float = FAR_FROM_NEED) -> list[str]:
    """Sentences for facilities ending the last year far from need, with their reasons.

    Far is more than ``tolerance`` (20 %) above or below the need. Half a unit either way is
    rounding to whole posts and beds, not a placement.
    """
    last = plan[plan["year"].eq(plan["year"].max()) & plan["need"].notna()]
    first_year = int(plan["year"].min())
    first = plan[plan["year"].eq(first_year)].set_index(["facility_id", "resource"])
    lines = []
    for item in last.sort_values(["facility_id", "resource"]).itertuples(index=False):
        row: Any = item
        need, served = float(row.need), float(row.served)
        if need <= 0:
            if row.change > 0:
                lines.append(f"{row.name_zh} gains {row.change} {row.resource} but serves "
                             "nobody")
            continue
        far = served > need * (1 + tolerance) + 0.5 or served < need * (1 - tolerance) - 0.5
        if far:
            why = str(row.reason).split("; need ")[0]
            was = ""
            key = (row.facility_id, row.resource)
            if key in first.index and float(first.loc[key, "need"]) > 0:
                then = first.loc[key]
                was = (f"; it had {int(then['after'])} in {first_year}, "
                       f"{float(then['served']) / float(then['need']):.0%} of need then")
            lines.append(f"{row.name_zh} ends {row.year} at {served / need:.0%} of its "
                         f"{row.resource} need ({served:.0f} for {need:.1f}): "
                         f"{row.reason_kind}, {why}{was}")
    return lines
