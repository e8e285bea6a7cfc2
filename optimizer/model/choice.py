"""Why these sub-centres: every alternative set, its objective value, and the last site's worth.

For a scenario that lets the model choose sub-centres (Dianjiang: 2 or 3 of six towns), every
admissible set (between ``min_count`` and ``max_count`` sites, containing the fixed ones; at
most ``[explain] max_alternatives``) is forced in turn and the first objective of the scenario
is re-optimised with it. The answer ranks the sets, gives the best set of each size and each
chosen site's marginal value (the objective lost when it is left out), which is what a
committee asks: "why these, and why not one fewer?".
"""

from __future__ import annotations

import itertools
from typing import Any

from optimizer.model.build import build_model
from optimizer.model.inputs import ModelInputs
from optimizer.model.stages import ModelRun, optimise

__all__ = ["explain_choice"]


def _sets(inputs: ModelInputs) -> list[tuple[str, ...]]:
    section = inputs.scenario.sub_centres
    if section is None:
        return []
    free = [s for s in inputs.sub_candidates if s not in inputs.sub_fixed]
    fixed = tuple(inputs.sub_fixed)
    top = section.max_count if section.max_count is not None else len(inputs.sub_candidates)
    sets = []
    for size in range(max(section.min_count, len(fixed)), top + 1):
        for extra in itertools.combinations(free, size - len(fixed)):
            sets.append(tuple(sorted(fixed + extra)))
    return sets


def explain_choice(inputs: ModelInputs, run: ModelRun, chosen: tuple[str, ...]
                   ) -> dict[str, Any]:
    """Rank the admissible sub-centre sets by the scenario's first objective.

    Returns
    -------
    dict
        ``criterion``, ``sense``, ``chosen`` (town names), ``alternatives`` (each set with its
        value and status, best first), ``best_by_count``, ``marginal`` (per chosen site: the
        value lost without it, when the smaller set is admissible) and ``reason`` (a sentence).
    """
    scenario = inputs.scenario
    criterion = scenario.objective.order[0]
    sense = run.stages[0].sense
    sets = _sets(inputs)
    options = scenario.solver.model_copy(update={"time_limit_s": scenario.explain.time_limit_s})
    model = build_model(inputs)
    rows: list[dict[str, Any]] = []
    truncated = len(sets) > scenario.explain.max_alternatives
    for sites in sets[: scenario.explain.max_alternatives]:
        for fid, var in model.open_sub.items():
            var.lowBound = var.upBound = 1 if fid in sites else 0
        result = optimise(model, options, order=[criterion]).stages[0].result
        rows.append({"sites": [_town(inputs, f) for f in sites], "facility_ids": list(sites),
                     "value": round(result.objective, 3) if result.has_solution else None,
                     "status": str(result.status)})
    sign = -1.0 if sense == "max" else 1.0
    rows.sort(key=lambda r: (r["value"] is None, sign * (r["value"] or 0.0), r["facility_ids"]))
    value = {tuple(r["facility_ids"]): r["value"] for r in rows}
    best_by_count: dict[str, Any] = {}
    for r in rows:
        best_by_count.setdefault(str(len(r["sites"])), r)
    marginal = {}
    for fid in chosen:
        smaller = tuple(f for f in chosen if f != fid)
        if smaller in value and value[smaller] is not None and value[chosen] is not None:
            marginal[_town(inputs, fid)] = round(sign * (value[smaller] - value[chosen]), 3)
    return {
        "criterion": criterion,
        "sense": sense,
        "chosen": [_town(inputs, f) for f in chosen],
        "chosen_value": value.get(tuple(chosen)),
        "alternatives": rows,
        "alternatives_truncated": truncated,
        "best_by_count": best_by_count,
        "marginal": marginal,
        "reason": _reason(inputs, criterion, chosen, value, best_by_count, marginal),
    }


def _town(inputs: ModelInputs, fid: str) -> str:
    return inputs.town_name(inputs.town_of(fid))


def _reason(inputs: ModelInputs, criterion: str, chosen: tuple[str, ...],
            value: dict[tuple[str, ...], Any], best: dict[str, Any],
            marginal: dict[str, float]) -> str:
    names = "、".join(_town(inputs, f) for f in chosen)
    unit = _unit(inputs, criterion)
    parts = [f"{names} give the best {criterion} of all {len(value)} admissible sets "
             f"({value.get(tuple(chosen), 0):,.0f} {unit})"]
    for count, row in sorted(best.items()):
        if int(count) != len(chosen) and row["value"] is not None:
            parts.append(f"the best set of {count} ({'、'.join(row['sites'])}) reaches "
                         f"{row['value']:,.0f}")
    if marginal:
        weakest = min(marginal, key=lambda k: (marginal[k], k))
        parts.append(f"the weakest chosen site, {weakest}, adds {marginal[weakest]:,.0f} {unit}"
                     " over the best set without it")
    return "; ".join(parts) + "."


def _unit(inputs: ModelInputs, criterion: str) -> str:
    if criterion.startswith("coverage:"):
        service = inputs.scenario.services[criterion.removeprefix("coverage:")]
        who = "rural residents" if service.population == "rural" else "residents"
        return f"{who} within {service.minutes:g} minutes, summed over the plan years"
    return {"travel": "resident-minutes", "unmet": "residents unserved", "cost":
            inputs.scenario.costs.unit, "changes": "units changed"}.get(criterion, "")
