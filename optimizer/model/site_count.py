"""How many sub-centres when a plan allows a range: each one beyond the minimum must earn its place.

A plan that says "2-3 sub-centres" leaves the count open, and a coverage objective always
prefers more sites. ``[sub_centres] min_gain`` states the trade-off: with v(n) the best value of
the first objective over sets of n sites, a site beyond ``min_count`` opens only if it adds at
least ``min_gain``: n* is the largest n with v(m) - v(m-1) ≥ min_gain for every m ≤ n (each
step judged on its own, in order). The run then holds the count at n*. Both figures, the gain
and the bar, go into ``summary.json`` and the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulp

from optimizer.model.choice import k_best_sets
from optimizer.model.problem import AllocationModel

__all__ = ["SiteCount", "decide_count", "hold_count"]


@dataclass(frozen=True)
class SiteCount:
    """The count chosen, the best value of each count, and why.

    Attributes
    ----------
    chosen : int
        Sites in the plan.
    best : dict of int to float
        Best value of the first objective with n sites, for every admissible n.
    min_gain : float
        What a site beyond the minimum must add.
    reason : str
        The decision in a sentence, with the figures.
    """

    chosen: int
    best: dict[int, float]
    min_gain: float
    reason: str

    def to_json(self) -> dict[str, object]:
        """For ``summary.json``."""
        return {"chosen": self.chosen, "min_gain": self.min_gain,
                "best_by_count": {str(n): round(v, 6) for n, v in sorted(self.best.items())},
                "reason": self.reason}


def decide_count(model: AllocationModel, unit: str) -> SiteCount | None:
    """The count by ``min_gain``; None when the scenario does not ask for the trade-off."""
    section = model.inputs.scenario.sub_centres
    if section is None or section.min_gain is None:
        return None
    low = max(section.min_count, len(model.inputs.sub_fixed))
    high = section.max_count if section.max_count is not None else len(model.open_sub)
    if high <= low:
        return None
    best: dict[int, float] = {}
    sense = "max"
    for n in range(low, high + 1):
        found = k_best_sets(model, 1, sizes=(n, n))
        if found and found[0].value is not None:
            best[n] = float(found[0].value)
            sense = found[0].sense
    if not best:
        return None
    counts = sorted(best)
    chosen = counts[0]
    sentence = ""
    for n in counts[1:]:
        gain = (best[n] - best[n - 1]) if sense == "max" else (best[n - 1] - best[n])
        if n - 1 not in best or gain < section.min_gain:
            sentence = (f"{chosen} sub-centres: the best set of {n} adds {gain:,.0f} {unit}, "
                        f"less than the {section.min_gain:,.0f} a site must add "
                        "([sub_centres] min_gain)")
            break
        chosen = n
        sentence = (f"{n} sub-centres: the best set of {n} adds {gain:,.0f} {unit} over the "
                    f"best of {n - 1}, at least the {section.min_gain:,.0f} a site must add "
                    "([sub_centres] min_gain)")
    if section.min_gain_basis:
        sentence += f"; {section.min_gain_basis}"
    return SiteCount(chosen, best, section.min_gain, sentence)


def hold_count(model: AllocationModel, count: SiteCount) -> None:
    """(4a) with the count decided: Σ_s open_sub[s] = n*."""
    model.problem.addConstraint(pulp.lpSum(model.open_sub.values()) == count.chosen,
                                "sub_centre_count_chosen")
