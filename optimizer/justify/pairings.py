"""Consortium pairings checked against travel: is each partner town nearest to its lead.

For every partner town the scenario pairs with a chosen sub-centre (``[sub_centres.partners]``),
its demand points are assigned to their nearest *chosen* sub-centre (hospitals aside: a
consortium links a sub-centre with health centres). The table says which share of the town's
residents is nearest to the named lead, their population-weighted mean minutes to it, and the
chosen sub-centre with the least population-weighted mean minutes: assigning every partner town
to that one is the pairing that minimises travel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from optimizer.justify.measures import LocationData
from optimizer.justify.sites import SitePool

__all__ = ["pairing_table"]


def pairing_table(data: LocationData, pool: SitePool,
                  partners: Mapping[str, Sequence[str]], town_names: Mapping[str, str],
                  town_names_en: Mapping[str, str]) -> pd.DataFrame:
    """One row per (lead, partner) pairing of the scenario.

    Parameters
    ----------
    data : LocationData
        Minutes from demand points to the pool sites.
    pool : SitePool
        The pool and the chosen positions.
    partners : mapping
        Lead town code -> partner town codes.
    town_names, town_names_en : mapping
        Town code -> Chinese / pinyin name.

    Returns
    -------
    pandas.DataFrame
        ``lead``, ``lead_code``, ``partner``, ``partner_code``, ``partner_population``,
        ``lead_chosen`` (whether the lead is in the chosen set), ``share_nearest_lead`` (% of
        residents nearest to the lead among the chosen sites), ``minutes_to_lead``,
        ``best_lead``, ``best_lead_code``, ``minutes_to_best``, ``named_is_best``; sorted by
        lead then partner code.
    """
    chosen = list(pool.chosen)
    codes = [pool.town_codes[p] for p in chosen]
    towns = np.asarray(data.town_codes)
    rows = []
    for lead in sorted(partners):
        for partner in sorted(partners[lead]):
            mask = towns == partner
            pop = data.population[mask]
            minutes = data.minutes[np.ix_(mask, chosen)]
            total = float(pop.sum())
            means = (pop @ minutes) / total if total > 0 else np.full(len(chosen), np.nan)
            best = int(np.lexsort((np.asarray(codes), means))[0]) if chosen else -1
            row = {
                "lead": town_names.get(lead, lead), "lead_en": town_names_en.get(lead, lead),
                "lead_code": lead,
                "partner": town_names.get(partner, partner),
                "partner_en": town_names_en.get(partner, partner), "partner_code": partner,
                "partner_population": total, "lead_chosen": lead in codes,
                "share_nearest_lead": np.nan, "minutes_to_lead": np.nan,
                "best_lead": town_names.get(codes[best], codes[best]) if best >= 0 else "",
                "best_lead_en": town_names_en.get(codes[best], codes[best]) if best >= 0 else "",
                "best_lead_code": codes[best] if best >= 0 else "",
                "minutes_to_best": float(means[best]) if best >= 0 else np.nan,
            }
            if lead in codes and total > 0:
                at = codes.index(lead)
                nearest = minutes.argmin(axis=1)
                row["share_nearest_lead"] = 100.0 * float(pop[nearest == at].sum()) / total
                row["minutes_to_lead"] = float(means[at])
            row["named_is_best"] = row["lead_code"] == row["best_lead_code"]
            rows.append(row)
    return pd.DataFrame(rows, columns=[
        "lead", "lead_en", "lead_code", "partner", "partner_en", "partner_code",
        "partner_population", "lead_chosen", "share_nearest_lead", "minutes_to_lead",
        "best_lead", "best_lead_en", "best_lead_code", "minutes_to_best", "named_is_best"])
