"""Why these sub-centres: forced sets re-optimised, the k best sets, and the last site's worth.

Two ways to value sub-centre sets by the scenario's first objective, both on one built model:

* :func:`evaluate_sets` forces each given set in turn (``open_sub`` bounds fixed at 1 inside
  the set and 0 outside) and re-optimises the objective: the value of that choice with every
  other decision still free.
* :func:`k_best_sets` finds the best sets without listing them: it solves with the sites free
  (and the set size held in a range), then adds a no-good cut
  Σ_{s∈S}(1 - open_sub[s]) + Σ_{s∉S} open_sub[s] ≥ 1 excluding the set found, and solves again,
  k times. Every set it returns is proven the next best when each solve is optimal.

:func:`explain_choice` ranks every admissible set of a scenario (between ``min_count`` and
``max_count`` sites, containing the fixed ones; at most ``[explain] max_alternatives``) and
gives the best set of each size and each chosen site's marginal value (the objective lost when
it is left out), which is what a committee asks: "why these, and why not one fewer?". The model
is left as it was found: bounds restored, added rows removed.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulp

from optimizer.config.sections import SolverSection
from optimizer.model.build import build_model
from optimizer.model.inputs import ModelInputs
from optimizer.model.problem import AllocationModel
from optimizer.model.stages import ModelRun, main_criterion, optimise

__all__ = ["RankedSet", "SetValue", "SubCentreChoice", "evaluate_sets", "explain_choice",
           "k_best_sets"]


@dataclass(frozen=True)
class SetValue:
    """The first objective reached with one sub-centre set.

    Attributes
    ----------
    facility_ids : tuple of str
        The set's health-centre facility ids, sorted.
    value : float or None
        Objective value (None when the solve found no solution, e.g. an infeasible set).
    status : str
        The solve status (``optimal``, ``feasible`` when a limit stopped the proof, ...).
    sense : str
        ``max`` or ``min``.
    """

    facility_ids: tuple[str, ...]
    value: float | None
    status: str
    sense: str


def _options(model: AllocationModel, time_limit_s: float | None) -> SolverSection:
    solver = model.inputs.scenario.solver
    if time_limit_s is None:
        return solver
    return solver.model_copy(update={"time_limit_s": time_limit_s})


def _criterion(model: AllocationModel, criterion: str | None) -> str:
    return criterion if criterion is not None else main_criterion(
        model.inputs.scenario.objective.order)


def _solve(model: AllocationModel, options: SolverSection, criterion: str
           ) -> tuple[SetValue, dict[str, float]]:
    stage = optimise(model, options, order=[criterion]).stages[0]
    result = stage.result
    opened = tuple(sorted(f for f, v in model.open_sub.items()
                          if result.values.get(v.name, 0.0) > 0.5))
    value = float(result.objective) if result.has_solution else None
    return SetValue(opened, value, str(result.status), stage.sense), dict(result.values)


def evaluate_sets(
    model: AllocationModel,
    sets: Sequence[Sequence[str]],
    *,
    criterion: str | None = None,
    time_limit_s: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[SetValue]:
    """Re-optimise ``criterion`` (default: the first objective) with each set forced.

    Parameters
    ----------
    model : AllocationModel
        A built model; its ``open_sub`` bounds are restored afterwards.
    sets : sequence of sequences of str
        Facility ids of candidate sub-centres (each must be a model candidate).
    criterion : str, optional
        An objective name (``coverage:<service>``, ``travel``, ...).
    time_limit_s : float, optional
        Per solve; default the scenario's solver limit.
    progress : callable, optional
        Called with (sets done, sets in all) after each solve.

    Returns
    -------
    list of SetValue
        In the order of ``sets``.

    Raises
    ------
    KeyError
        If a set names a facility that is not a sub-centre candidate of the model.
    """
    name = _criterion(model, criterion)
    options = _options(model, time_limit_s)
    saved = {fid: (var.lowBound, var.upBound) for fid, var in model.open_sub.items()}
    rows: list[SetValue] = []
    try:
        for done, sites in enumerate(sets, start=1):
            unknown = sorted(set(sites) - set(model.open_sub))
            if unknown:
                raise KeyError(f"not sub-centre candidates of the model: {unknown}")
            for fid, var in model.open_sub.items():
                var.lowBound = var.upBound = 1 if fid in sites else 0
            found, _ = _solve(model, options, name)
            rows.append(SetValue(tuple(sorted(sites)), found.value, found.status, found.sense))
            if progress is not None:
                progress(done, len(sets))
    finally:
        for fid, (low, up) in saved.items():
            model.open_sub[fid].lowBound, model.open_sub[fid].upBound = low, up
    return rows


def k_best_sets(
    model: AllocationModel,
    k: int,
    *,
    sizes: tuple[int, int],
    criterion: str | None = None,
    time_limit_s: float | None = None,
    exclude: Sequence[Sequence[str]] = (),
    until: float | None = None,
    limit: int | None = None,
    include: Sequence[str] = (),
    forbid: Sequence[str] = (),
) -> list[SetValue]:
    """The ``k`` best sub-centre sets by ``criterion``, best first, by no-good cuts.

    Parameters
    ----------
    model : AllocationModel
        A built model; the rows added here are removed afterwards.
    k : int
        How many sets.
    sizes : (int, int)
        Smallest and largest set size allowed.
    criterion, time_limit_s
        As in :func:`evaluate_sets`.
    exclude : sequence of sets
        Sets not to return (cut from the start).
    until : float, optional
        Go on past ``k`` sets while they are at least as good as this value (the first set
        worse than it is returned too), so every set at least as good is listed.
    limit : int, optional
        Never return more sets than this (default ``k``, or unbounded with ``until``).
    include, forbid : sequences of str
        Sites every returned set contains / never contains (``k = 1`` with all sites of a set
        but one included and that one forbidden gives its best single swap).

    Returns
    -------
    list of SetValue
        Fewer than ``k`` when no further set is feasible. A set whose solve was stopped by a
        limit carries status ``feasible``: it is a good set, not proven the next best.
    """
    name = _criterion(model, criterion)
    options = _options(model, time_limit_s)
    prob = model.problem
    chosen = pulp.lpSum(model.open_sub.values())
    added = ["justify_size_min", "justify_size_max"]
    prob.addConstraint(chosen >= sizes[0], added[0])
    prob.addConstraint(chosen <= sizes[1], added[1])
    rows: list[SetValue] = []
    saved = {fid: (var.lowBound, var.upBound) for fid, var in model.open_sub.items()}
    for fid in include:
        model.open_sub[fid].lowBound = 1
    for fid in forbid:
        model.open_sub[fid].upBound = 0

    def cut(sites: Sequence[str]) -> None:
        label = f"justify_nogood_{len(added)}"
        inside = pulp.lpSum(1 - v for f, v in model.open_sub.items() if f in sites)
        outside = pulp.lpSum(v for f, v in model.open_sub.items() if f not in sites)
        prob.addConstraint(inside + outside >= 1, label)
        added.append(label)

    try:
        for sites in exclude:
            cut(sites)
        most = limit if limit is not None else (k if until is None else None)
        while most is None or len(rows) < most:
            found, _ = _solve(model, options, name)
            if found.value is None:
                break
            rows.append(found)
            cut(found.facility_ids)
            if len(rows) >= k and (until is None or _worse(found, until)):
                break
    finally:
        # PuLP 3.3 has no public way to drop a row; its constraints mapping still removes one
        # but warns that the mapping goes in PuLP 4 (the justify tests then fail loudly).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for label in added:
                prob.constraints.pop(label, None)
        for fid, (low, up) in saved.items():
            model.open_sub[fid].lowBound, model.open_sub[fid].upBound = low, up
    return rows


def _worse(found: SetValue, value: float) -> bool:
    """Whether ``found`` is worse than ``value`` beyond solver round-off."""
    if found.value is None:
        return True
    give = 1e-9 * max(abs(value), 1.0)
    return found.value < value - give if found.sense == "max" else found.value > value + give


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


@dataclass(frozen=True)
class RankedSet:
    """One admissible sub-centre set in the ranking of :func:`explain_choice`.

    Attributes
    ----------
    sites : tuple of str
        Town names of the set's health centres.
    facility_ids : tuple of str
        Their facility ids, sorted.
    value : float or None
        The first objective with this set (None: no solution), rounded to 3 decimals.
    status : str
        Its solve status.
    """

    sites: tuple[str, ...]
    facility_ids: tuple[str, ...]
    value: float | None
    status: str

    def to_json(self) -> dict[str, Any]:
        """The record as written under ``sub_centre_choice`` in ``summary.json``."""
        return {"sites": list(self.sites), "facility_ids": list(self.facility_ids),
                "value": self.value, "status": self.status}


@dataclass(frozen=True)
class SubCentreChoice:
    """Why the model chose its sub-centres: every admissible set ranked by the first objective.

    Attributes
    ----------
    criterion, sense : str
        The scenario's first objective and its sense (``max`` or ``min``).
    chosen : tuple of str
        Town names of the chosen set.
    chosen_value : float or None
        The chosen set's value.
    alternatives : tuple of RankedSet
        Every evaluated set, best first.
    alternatives_truncated : bool
        Whether more sets were admissible than ``[explain] max_alternatives`` allowed.
    best_by_count : Mapping[str, RankedSet]
        The best set of each size (size as text, as in JSON).
    marginal : Mapping[str, float]
        Per chosen town: the value lost without it, when the smaller set is admissible.
    reason : str
        The sentence the CLI and the report print.
    """

    criterion: str
    sense: str
    chosen: tuple[str, ...]
    chosen_value: float | None
    alternatives: tuple[RankedSet, ...]
    alternatives_truncated: bool
    best_by_count: Mapping[str, RankedSet]
    marginal: Mapping[str, float]
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The ``sub_centre_choice`` record of ``summary.json``."""
        return {
            "criterion": self.criterion,
            "sense": self.sense,
            "chosen": list(self.chosen),
            "chosen_value": self.chosen_value,
            "alternatives": [r.to_json() for r in self.alternatives],
            "alternatives_truncated": self.alternatives_truncated,
            "best_by_count": {k: r.to_json() for k, r in self.best_by_count.items()},
            "marginal": dict(self.marginal),
            "reason": self.reason,
        }


def explain_choice(inputs: ModelInputs, run: ModelRun, chosen: tuple[str, ...]
                   ) -> SubCentreChoice:
    """Rank the admissible sub-centre sets by the scenario's first objective."""
    scenario = inputs.scenario
    criterion = main_criterion(scenario.objective.order)
    sense = next((s.sense for s in run.stages if s.name == criterion), run.stages[0].sense)
    sets = _sets(inputs)
    model = build_model(inputs)
    truncated = len(sets) > scenario.explain.max_alternatives
    values = evaluate_sets(model, sets[: scenario.explain.max_alternatives],
                           criterion=criterion, time_limit_s=scenario.explain.time_limit_s)
    rows = [
        RankedSet(tuple(_town(inputs, f) for f in found.facility_ids), tuple(found.facility_ids),
                  round(found.value, 3) if found.value is not None else None, found.status)
        for found in values
    ]
    sign = -1.0 if sense == "max" else 1.0
    rows.sort(key=lambda r: (r.value is None, sign * (r.value or 0.0), list(r.facility_ids)))
    value = {r.facility_ids: r.value for r in rows}
    best_by_count: dict[str, RankedSet] = {}
    for r in rows:
        best_by_count.setdefault(str(len(r.sites)), r)
    marginal: dict[str, float] = {}
    for fid in chosen:
        smaller = tuple(f for f in chosen if f != fid)
        before, now = value.get(smaller), value.get(tuple(chosen))
        if smaller in value and before is not None and now is not None:
            marginal[_town(inputs, fid)] = round(sign * (before - now), 3)
    return SubCentreChoice(
        criterion=criterion, sense=sense, chosen=tuple(_town(inputs, f) for f in chosen),
        chosen_value=value.get(tuple(chosen)), alternatives=tuple(rows),
        alternatives_truncated=truncated, best_by_count=best_by_count, marginal=marginal,
        reason=_reason(inputs, criterion, chosen, value, best_by_count, marginal))


def _town(inputs: ModelInputs, fid: str) -> str:
    return inputs.town_name(inputs.town_of(fid))


def _reason(inputs: ModelInputs, criterion: str, chosen: tuple[str, ...],
            value: dict[tuple[str, ...], float | None], best: dict[str, RankedSet],
            marginal: dict[str, float]) -> str:
    names = "、".join(_town(inputs, f) for f in chosen)
    unit = objective_unit(inputs, criterion)
    section = inputs.scenario.sub_centres
    if section is not None and section.min_gain is not None:
        # the count was decided first (optimizer.model.site_count): best of its size
        same = sum(1 for sites in value if len(sites) == len(chosen))
        parts = [f"{names} give the best {criterion} of the {same} admissible sets of "
                 f"{len(chosen)} ({value.get(tuple(chosen), 0):,.0f} {unit}); the count "
                 f"follows [sub_centres] min_gain: a site beyond {section.min_count} must add "
                 f"at least {section.min_gain:,.0f}"]
    else:
        parts = [f"{names} give the best {criterion} of all {len(value)} admissible sets "
                 f"({value.get(tuple(chosen), 0):,.0f} {unit})"]
    for count, row in sorted(best.items()):
        if int(count) != len(chosen) and row.value is not None:
            parts.append(f"the best set of {count} ({'、'.join(row.sites)}) reaches "
                         f"{row.value:,.0f}")
    if marginal:
        weakest = min(marginal, key=lambda k: (marginal[k], k))
        parts.append(f"the weakest chosen site, {weakest}, adds {marginal[weakest]:,.0f} {unit}"
                     " over the best set without it")
    return "; ".join(parts) + "."


def objective_unit(inputs: ModelInputs, criterion: str) -> str:
    """The unit of an objective's value, in words (for reports)."""
    if criterion.startswith("coverage:"):
        service = inputs.scenario.services[criterion.removeprefix("coverage:")]
        who = "rural residents" if service.population == "rural" else "residents"
        return f"{who} within {service.minutes:g} minutes, summed over the plan years"
    return {"travel": "resident-minutes", "unmet": "residents unserved", "cost":
            inputs.scenario.costs.unit, "changes": "units changed"}.get(criterion, "")


__all__ += ["objective_unit"]
