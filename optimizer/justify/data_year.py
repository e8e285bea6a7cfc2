r"""The data year's coverage a run counts for its fixed sub-centres and a free choice cannot.

With ``[sub_centres] from_year`` at or before ``[plan] levels_year``, ``medalloc run`` treats its
fixed sub-centres as built in the data's own year: every resident they reach counts as covered
in that year too (a constant of :func:`optimizer.model.services.coverage`). Justify frees the
sub-centres to compare sets (:func:`optimizer.justify.objective.choice_scenario`), and the model
never opens a free sub-centre in the data year (that year's facilities are data, not
decisions), so a set forced in the choice model misses the data year's term. For a set S of
health centres it is

    D(S) = Σ_{k in scope, k not covered by a fixed facility, some s ∈ S reaches k} p_k(levels_year)

over the model's own demand groups k and reach pairs, so that the choice model's value of S
plus D(S) is the value ``medalloc run`` reports with S fixed. Only coverage objectives have such
a term: the data year's levels and flows are data whatever the sub-centres are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from optimizer.model.inputs import ModelInputs

__all__ = ["DataYearTerm", "data_year_term"]


@dataclass(frozen=True)
class DataYearTerm:
    """D(S) of the module docstring for one objective.

    Attributes
    ----------
    year : int or None
        The data year whose coverage is added (None: the objective has no such term).
    reach : Mapping[str, frozenset of str]
        Sub-centre candidate (facility id) -> demand groups it alone covers in that year.
    people : Mapping[str, float]
        Residents of each of those groups in that year.
    """

    year: int | None = None
    reach: Mapping[str, frozenset[str]] = field(default_factory=dict)
    people: Mapping[str, float] = field(default_factory=dict)

    def value(self, facility_ids: Iterable[str]) -> float:
        """D(S): residents of the data year covered by the set and by no fixed facility."""
        groups: set[str] = set()
        for fid in facility_ids:
            groups |= self.reach.get(fid, frozenset())
        return float(sum(self.people[g] for g in sorted(groups)))

    def bound(self, facility_ids: Iterable[str], size: int) -> float:
        """An upper bound of D over every set of at most ``size`` of ``facility_ids``.

        D is a coverage, so no set reaches more than all the sites together, nor more than its
        ``size`` largest single sites added up.
        """
        sites = sorted(set(facility_ids))
        singles = sorted((self.value([fid]) for fid in sites), reverse=True)
        return min(self.value(sites), float(sum(singles[:size])))


def data_year_term(inputs: ModelInputs, criterion: str) -> DataYearTerm:
    """D(S) for ``criterion`` on the choice model's ``inputs`` (empty when there is none).

    There is a term when the criterion is a coverage (``coverage:<service>``), the data year
    ``levels_year`` is a plan year the objective sums, and sub-centres count from it
    (``[sub_centres] from_year <= levels_year``).
    """
    year = inputs.plan.levels_year
    service = criterion.removeprefix("coverage:")
    if (not criterion.startswith("coverage:") or service not in inputs.scenario.services
            or year not in inputs.years or inputs.sub_from_year > year):
        return DataYearTerm()
    section = inputs.scenario.services[service]
    groups = inputs.groups
    scope = groups.index[groups["rural"]] if section.population == "rural" else groups.index
    pairs = inputs.cover_pairs[service]
    pairs = pairs[pairs["kind"].eq("sub") & pairs["group_id"].isin(scope)
                  & ~pairs["group_id"].isin(inputs.cover_fixed[service])]
    reach = {str(fid): frozenset(str(g) for g in frame["group_id"])
             for fid, frame in pairs.groupby("facility_id")}
    population = inputs.group_population(year)
    people = {str(g): float(population[g]) for g in sorted(set(pairs["group_id"]))}
    return DataYearTerm(year, reach, people)
