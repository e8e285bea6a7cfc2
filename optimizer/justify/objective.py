"""The scenario's own objective for sub-centre sets, by re-optimising the allocation model.

The scenario is turned into a *choice* scenario: its ``[sub_centres]`` fixed towns are freed,
the candidates become the justification pool, and the count range is widened by one downwards
so a leave-one-out set stays admissible. The model is built once; each set is then forced and
the scenario's first objective re-optimised (:func:`optimizer.model.choice.evaluate_sets`),
every other decision (beds, staff, clinics) still free.

A set's value is the one ``medalloc run`` reports with that set fixed: when the sub-centres
count from the data's own year, the choice model (which opens no free sub-centre in that year)
misses the data year's coverage, and :mod:`~optimizer.justify.data_year` adds it back, D(S) for
the set S. The listings below search by the choice model's value, one no-good cut at a time, so
they stop only when no unlisted set could reach the value sought even with the largest D of any
unlisted set (each set's D when the admissible sets are few enough to enumerate, ``[justify]
max_sets``; else an upper bound).

Which sets get a solve (each takes a fraction of a second to seconds):

* all admissible sets when there are at most ``[justify] max_model_sets`` (exhaustive);
* otherwise the best sets found by the model itself with no-good cuts
  (:func:`optimizer.model.choice.k_best_sets`: the free optimum first, proven when its solve
  is optimal), at least ``[justify] k`` of them and on until no unlisted set can be as good as
  the chosen set (at most ``max_listed``), plus the chosen set and its leave-one-out sets;
  each chosen site's best single swap is one more MIP (the other chosen sites held in, that
  one out, the size held; with a data-year term, on until no other swap could beat the best
  one). The chosen set's rank is then exact (every set at least as good was listed) unless
  the limit stopped the listing first: then it is "not established".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from optimizer.config.scenario import Scenario
from optimizer.config.sections import SubCentreSection
from optimizer.dataset.load import Dataset
from optimizer.justify.data_year import DataYearTerm, data_year_term
from optimizer.model.build import build_model
from optimizer.model.choice import SetValue, evaluate_sets, k_best_sets, objective_unit
from optimizer.model.inputs import prepare_inputs
from optimizer.model.problem import AllocationModel
from optimizer.model.stages import main_criterion

__all__ = ["ObjectiveValues", "choice_scenario", "objective_values"]


@dataclass(frozen=True)
class ObjectiveValues:
    """The scenario objective of the sets that were solved.

    Attributes
    ----------
    criterion, sense, unit : str
        The objective (``coverage:referral``, ...), ``max``/``min`` and its unit in words.
    by_set : dict
        Set (sorted town codes) -> `SetValue` (whose ids are the model's health centres), its
        value as ``medalloc run`` reports it with the set fixed (data year included).
    exhaustive : bool
        Every admissible set was solved.
    best_order : tuple of tuples
        The best sets, best first (all admissible sets when exhaustive, sorted).
    exact_from : float or None
        When not exhaustive: every set at least this good was solved, so ranks of values at
        least this good are exact (infinitely bad when the listing ran out of sets; None
        when exhaustive).
    years : tuple of int
        The plan years the objective sums.
    data_year : int or None
        The data year whose coverage was added to the choice model's values (None: no term).
    """

    criterion: str
    sense: str
    unit: str
    by_set: dict[tuple[str, ...], SetValue] = field(default_factory=dict)
    exhaustive: bool = False
    best_order: tuple[tuple[str, ...], ...] = ()
    exact_from: float | None = None
    years: tuple[int, ...] = ()
    data_year: int | None = None


def choice_scenario(scenario: Scenario, pool_codes: Sequence[str], sizes: tuple[int, int]
                    ) -> Scenario:
    """The scenario with the sub-centres chosen among ``pool_codes`` (nothing fixed)."""
    base = scenario.sub_centres or SubCentreSection()
    section = base.model_copy(update={
        "candidates": list(pool_codes), "fixed": [], "partners": {},
        "min_count": max(sizes[0] - 1, 0), "max_count": sizes[1],
    })
    return scenario.model_copy(update={"sub_centres": section})


def _scored(found: SetValue, term: DataYearTerm) -> SetValue:
    """The set's value with the data year's coverage the run counts (module docstring)."""
    if found.value is None or term.year is None:
        return found
    return replace(found, value=found.value + term.value(found.facility_ids))


def _worse(value: float, goal: float, sense: str) -> bool:
    """Whether ``value`` is worse than ``goal`` beyond solver round-off."""
    give = 1e-9 * max(abs(goal), 1.0)
    return value < goal - give if sense == "max" else value > goal + give


Ceiling = Callable[[set[tuple[str, ...]]], float]


@dataclass(frozen=True)
class _Listing:
    """Sets listed best first by the choice model, valued as the run values them."""

    found: tuple[SetValue, ...]
    exact_from: float | None  # every set at least this good (run value) was listed; ±inf: all


def _list_sets(model: AllocationModel, term: DataYearTerm, ceiling: Ceiling, *, criterion: str,
               time_limit_s: float, sizes: tuple[int, int], k: int, limit: int,
               goal: float | None = None, include: Sequence[str] = (),
               forbid: Sequence[str] = ()) -> _Listing:
    """List sets best first by the choice model until no unlisted set can reach ``goal``.

    An unlisted set is no better in the choice model than the last set listed, so its run
    value is at most that plus ``ceiling(listed)``, the largest data-year term of any unlisted
    set (0 without a term). At least ``k`` sets and at most ``limit`` are listed; without
    ``goal`` the listing goes on until none could beat the best one listed.
    """
    listed: list[SetValue] = []
    scored: list[SetValue] = []
    edge: float | None = None
    while len(listed) < limit:
        found = k_best_sets(model, 1, sizes=sizes, criterion=criterion,
                            time_limit_s=time_limit_s, include=include, forbid=forbid,
                            exclude=[f.facility_ids for f in listed])
        if not found or found[0].value is None:
            # nothing left unlisted: every rank is exact
            sense = listed[-1].sense if listed else "max"
            edge = -math.inf if sense == "max" else math.inf
            break
        listed.append(found[0])
        scored.append(_scored(found[0], term))
        edge = found[0].value + ceiling({f.facility_ids for f in listed})
        if len(listed) < k:
            continue
        sense = found[0].sense
        if goal is not None:
            if _worse(edge, goal, sense):  # no unlisted set is as good as the goal
                break
        else:
            values = [v.value for v in scored if v.value is not None]
            top = max(values) if sense == "max" else min(values)
            if not _worse(top, edge, sense):  # no unlisted set beats the best listed
                break
    return _Listing(tuple(scored), edge)


def _ceiling(term: DataYearTerm, candidates: Sequence[str], sizes: tuple[int, int],
             max_sets: int) -> Ceiling:
    """The largest data-year term of a set not yet listed (exact when the sets are few)."""
    if term.year is None:
        return lambda _listed: 0.0
    count = sum(math.comb(len(candidates), n) for n in range(sizes[0], sizes[1] + 1))
    if count > max_sets:
        bound = term.bound(candidates, sizes[1])
        return lambda _listed: bound
    terms = sorted(((term.value(sites), tuple(sorted(sites)))
                    for n in range(sizes[0], sizes[1] + 1)
                    for sites in itertools.combinations(sorted(candidates), n)), reverse=True)

    def largest(listed: set[tuple[str, ...]]) -> float:
        return next((value for value, sites in terms if sites not in listed), 0.0)

    return largest


def objective_values(
    dataset: Dataset,
    scenario: Scenario,
    pool_codes: Sequence[str],
    sizes: tuple[int, int],
    *,
    all_sets: Sequence[tuple[str, ...]] | None,
    extra_sets: Sequence[tuple[str, ...]],
    swaps_of: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> ObjectiveValues:
    """Solve the scenario's first objective for the sets the module docstring names.

    Parameters
    ----------
    all_sets : sequence of town-code sets, optional
        Every admissible set (sorted town codes), when they are few enough to solve each.
    extra_sets : sequence of town-code sets
        Sets that must be valued: the chosen set first, then leave-one-outs.
    swaps_of : sequence of str
        Towns of the chosen set whose best single swap is found by the model (the other
        chosen towns held in, this one out), when not exhaustive.
    """
    say = progress or (lambda _message: None)
    settings = scenario.justify
    inputs = prepare_inputs(dataset, choice_scenario(scenario, pool_codes, sizes))
    model = build_model(inputs)
    fid_of = {inputs.town_of(fid): fid for fid in inputs.sub_candidates}

    def fids(towns: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(fid_of[t] for t in towns))

    def towns_of(found: SetValue) -> tuple[str, ...]:
        return tuple(sorted(inputs.town_of(f) for f in found.facility_ids))

    criterion = main_criterion(scenario.objective.order)
    unit = objective_unit(inputs, criterion)
    term = data_year_term(inputs, criterion)
    if term.year is not None:
        say(f"each set's sub-centres also cover in {term.year}, the data year, as in a run "
            "with them fixed")
    by_set: dict[tuple[str, ...], SetValue] = {}
    best: list[tuple[str, ...]] = []
    exact_from: float | None = None
    chosen_key = tuple(sorted(extra_sets[0]))
    if all_sets is not None:
        say(f"re-optimising {criterion} for all {len(all_sets)} admissible sets")
        todo = list(dict.fromkeys([*all_sets, *extra_sets]))
    else:
        chosen = _scored(evaluate_sets(model, [fids(chosen_key)], criterion=criterion,
                                       time_limit_s=settings.time_limit_s)[0], term)
        by_set[chosen_key] = chosen
        say(f"listing the best sets by {criterion} down to the chosen set's value "
            f"(no-good cuts, at most {settings.max_listed})")
        listing = _list_sets(
            model, term, _ceiling(term, inputs.sub_candidates, sizes, settings.max_sets),
            criterion=criterion, time_limit_s=settings.time_limit_s, sizes=sizes, k=settings.k,
            limit=max(settings.max_listed, settings.k), goal=chosen.value)
        for found in listing.found:
            by_set[towns_of(found)] = found
            best.append(towns_of(found))
        exact_from = listing.exact_from
        size = len(chosen_key)
        for town in swaps_of:
            rest = [fid_of[t] for t in chosen_key if t != town]
            others = [f for f in inputs.sub_candidates if f not in rest and f != fid_of[town]]
            swaps = {tuple(sorted((*rest, f))): term.value((*rest, f)) for f in others}

            def largest(listed: set[tuple[str, ...]],
                        swaps: dict[tuple[str, ...], float] = swaps) -> float:
                return max((v for s, v in swaps.items() if s not in listed), default=0.0)

            say(f"best single swap for {inputs.town_name(town)}")
            found_swaps = _list_sets(model, term, largest, criterion=criterion,
                                     time_limit_s=settings.time_limit_s, sizes=(size, size),
                                     k=1, limit=len(others), include=rest,
                                     forbid=[fid_of[town]])
            for found in found_swaps.found:
                by_set.setdefault(towns_of(found), found)
        todo = [s for s in dict.fromkeys(extra_sets) if s not in by_set]
        say(f"re-optimising {criterion} for {len(todo)} more sets (leave-one-out)")
    solved = evaluate_sets(model, [fids(s) for s in todo], criterion=criterion,
                           time_limit_s=settings.time_limit_s)
    for towns, found in zip(todo, solved, strict=True):
        by_set[tuple(sorted(towns))] = _scored(found, term)
    sense = next((v.sense for v in by_set.values()), "max")
    sign = -1.0 if sense == "max" else 1.0
    if all_sets is not None:
        best = [s for s in dict.fromkeys(all_sets) if by_set[s].value is not None]
    best = sorted(best, key=lambda s: (sign * (by_set[s].value or 0.0), s))
    return ObjectiveValues(criterion, sense, unit, by_set, all_sets is not None, tuple(best),
                           exact_from, inputs.years, term.year)
