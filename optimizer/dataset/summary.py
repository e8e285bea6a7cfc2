"""Summarise a dataset: units, population, facilities by tier, resources per 1000 residents."""

from __future__ import annotations

from typing import Any

from optimizer.dataset.load import Dataset

__all__ = ["RATE_BASE", "summarise"]

# Residents per which each resource is counted in the plans (GPs per 10 000, others per 1000).
RATE_BASE = {"gps": 10_000}
DEFAULT_BASE = 1_000


def summarise(dataset: Dataset) -> dict[str, Any]:
    """Headline figures of a dataset, in plain types (ready for JSON).

    The per-resident rates use the towns' base-year population (``pop_2020``); ``notes`` lists
    what the loader read in an unusual way or found worth a look (see ``Dataset.notes``).
    """
    towns = dataset.towns
    population = int(towns["pop_2020"].sum())
    resources = {}
    for name in dataset.resources:
        total = float(dataset.facilities[name].sum())
        base = RATE_BASE.get(name, DEFAULT_BASE)
        resources[name] = {
            "total": int(total) if total == int(total) else total,
            "per": base,
            "rate": round(total / population * base, 3) if population else None,
        }
    tiers = dataset.facilities["tier"].value_counts().sort_index()
    kinds = towns["kind"].value_counts().sort_index()
    return {
        "files": dict(sorted(dataset.files.items())),
        "units": len(towns),
        "units_by_kind": {str(k): int(v) for k, v in kinds.items()},
        "population": population,
        "demand_points": len(dataset.demand),
        "demand_population": round(float(dataset.demand["population"].sum()), 1),
        "facilities": len(dataset.facilities),
        "facilities_by_tier": {str(k): int(v) for k, v in tiers.items()},
        "resources": resources,
        "notes": [note.__dict__ for note in dataset.notes],
    }
