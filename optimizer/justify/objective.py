"""The scenario's own objective for sub-centre sets, by re-optimising the allocation model.

The scenario is turned into a *choice* scenario: its ``[sub_centres]`` fixed towns are freed,
the candidates become the justification pool, and the count range is widened by one downwards
so a leave-one-out set stays admissible. The model is built once; each set is then forced and
the scenario's first objective re-optimised (:func:`optimizer.model.choice.evaluate_sets`),
every other decision (beds, staff, clinics) still free.

Which sets get a solve (each takes a fraction of a second to seconds):

* all admissible sets when there are at most ``[justify] max_model_sets`` (exhaustive);
* otherwise the best sets found by the model itself with no-good cuts
  (:func:`optimizer.model.choice.k_best_sets`: the free optimum first, proven when its solve
  is optimal), at least ``[justify] k`` of them and on until one is worse than the chosen set
  (at most ``max_listed``), plus the chosen set and its leave-one-out sets; each chosen
  site's best single swap is one more MIP (the other chosen sites held in, that one out, the
  size held). The chosen set's rank is then exact (every set at least as good was listed) unless
  the limit stopped the listing first: then it is "worse than the sets listed".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from optimizer.config.scenario import Scenario
from optimizer.config.sections import SubCentreSection
from optimizer.dataset.load import Dataset
from optimizer.model.build import build_model
from optimizer.model.choice import SetValue, evaluate_sets, k_best_sets, objective_unit
from optimizer.model.inputs import prepare_inputs
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
        Set (sorted town codes) -> `SetValue` (whose ids are the model's health centres).
    exhaustive : bool
        Every admissible set was solved.
    best_order : tuple of tuples
        The k best sets, best first (all admissible sets when exhaustive, sorted).
    """

    criterion: str
    sense: str
    unit: str
    by_set: dict[tuple[str, ...], SetValue] = field(default_factory=dict)
    exhaustive: bool = False
    best_order: tuple[tuple[str, ...], ...] = ()


def choice_scenario(scenario: Scenario, pool_codes: Sequence[str], sizes: tuple[int, int]
                    ) -> Scenario:
    """The scenario with the sub-centres chosen among ``pool_codes`` (nothing fixed)."""
    base = scenario.sub_centres or SubCentreSection()
    section = base.model_copy(update={
        "candidates": list(pool_codes), "fixed": [], "partners": {},
        "min_count": max(sizes[0] - 1, 0), "max_count": sizes[1],
    })
    return scenario.model_copy(update={"sub_centres": section})


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
        Towns of the chosen set whose best single swap is found by one MIP each (the other
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
    by_set: dict[tuple[str, ...], SetValue] = {}
    best: list[tuple[str, ...]] = []
    chosen_key = tuple(sorted(extra_sets[0]))
    if all_sets is not None:
        say(f"re-optimising {criterion} for all {len(all_sets)} admissible sets")
        todo = list(dict.fromkeys([*all_sets, *extra_sets]))
    else:
        chosen = evaluate_sets(model, [fids(chosen_key)], criterion=criterion,
                               time_limit_s=settings.time_limit_s)[0]
        by_set[chosen_key] = chosen
        say(f"listing the best sets by {criterion} down to the chosen set's value "
            f"(no-good cuts, at most {settings.max_listed})")
        for found in k_best_sets(model, settings.k, sizes=sizes, criterion=criterion,
                                 time_limit_s=settings.time_limit_s, until=chosen.value,
                                 limit=max(settings.max_listed, settings.k)):
            by_set[towns_of(found)] = found
            best.append(towns_of(found))
        size = len(chosen_key)
        for town in swaps_of:
            rest = [fid_of[t] for t in chosen_key if t != town]
            say(f"best single swap for {inputs.town_name(town)}")
            for found in k_best_sets(model, 1, sizes=(size, size), criterion=criterion,
                                     time_limit_s=settings.time_limit_s, include=rest,
                                     forbid=[fid_of[town]]):
                by_set.setdefault(towns_of(found), found)
        todo = [s for s in dict.fromkeys(extra_sets) if s not in by_set]
        say(f"re-optimising {criterion} for {len(todo)} more sets (leave-one-out)")
    solved = evaluate_sets(model, [fids(s) for s in todo], criterion=criterion,
                           time_limit_s=settings.time_limit_s)
    for towns, found in zip(todo, solved, strict=True):
        by_set[tuple(sorted(towns))] = found
    sense = next((v.sense for v in by_set.values()), "max")
    if all_sets is not None:
        sign = -1.0 if sense == "max" else 1.0
        admissible = [s for s in dict.fromkeys(all_sets) if by_set[s].value is not None]
        best = sorted(admissible, key=lambda s: (sign * (by_set[s].value or 0.0), s))
    return ObjectiveValues(criterion, sense, unit, by_set, all_sets is not None, tuple(best))
