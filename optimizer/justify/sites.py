"""Which towns are being justified and against which: site names resolved, the pool, the sets.

Sites are named as a planner writes them: a 9-digit town code, the Chinese name (with or
without 镇/乡/街道), the pinyin of the data (``Zhutuo``, ``Zhutuo Town``) or a spelling the
scenario's ``[justify] aliases`` adds (松溉 is read Sōngjì locally but romanised *Songgai* in the
data: ``aliases = { Songji = "松溉镇" }``). An unknown name raises a `ScenarioError` listing the
closest valid names.

The pool of alternatives is ``[justify] candidates``, else ``[sub_centres] candidates``, else
every rural town (镇/乡) with a health centre; the chosen towns always join it. Each pool town is
represented by its health centre, the facility the model would upgrade.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.config.scenario import Scenario
from optimizer.dataset.towns import resolve_town
from optimizer.errors import ScenarioError

__all__ = ["HEALTH_CENTRES", "SitePool", "enumerate_sets", "resolve_sites", "site_pool"]

HEALTH_CENTRES = ("township_health_centre", "community_health_centre")
IntArray = npt.NDArray[np.int64]


def _towns_frame(towns: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({"code": towns["code"].astype(str),
                          "name_zh": towns["name_zh"].astype(str)})
    if "name_en" in towns:
        frame["name_en"] = towns["name_en"].astype(str)
    return frame


def resolve_sites(names: Sequence[str], towns: pd.DataFrame, *,
                  aliases: dict[str, str] | None = None, where: str = "sites") -> list[str]:
    """Town codes of ``names`` (codes, Chinese names, pinyin or aliases), in the given order.

    Raises
    ------
    ScenarioError
        If a name matches no town (the closest valid names are listed) or a town is named
        twice.
    """
    frame = _towns_frame(towns)
    folded_aliases = {key.strip().lower(): value for key, value in (aliases or {}).items()}
    codes: list[str] = []
    for raw in names:
        name = raw.strip()
        target = folded_aliases.get(name.lower(), name)
        try:
            code = resolve_town(target, frame, where=where)
        except ScenarioError:
            raise ScenarioError(_unknown(name, frame, folded_aliases, where)) from None
        if code in codes:
            raise ScenarioError(f"{where}: town {name!r} ({code}) is named twice; name each "
                                "site once")
        codes.append(code)
    if not codes:
        raise ScenarioError(f"{where}: no site named; give towns such as "
                            f"{', '.join(frame['name_zh'].head(3))}")
    return codes


def _unknown(name: str, frame: pd.DataFrame, aliases: dict[str, str], where: str) -> str:
    spellings = [*frame["code"], *frame["name_zh"], *aliases]
    if "name_en" in frame:
        spellings += list(frame["name_en"])
        spellings += [n.rsplit(" ", 1)[0] for n in frame["name_en"]]
    lower = {s.lower(): s for s in spellings}
    close = difflib.get_close_matches(name.lower(), list(lower), n=4, cutoff=0.5)
    hint = ", ".join(lower[c] for c in close) if close else "none close"
    return (f"{where}: no town called {name!r} in the data (closest: {hint}). Use a 9-digit "
            "code, the Chinese name or the pinyin name of a town in towns.geojson")


@dataclass(frozen=True)
class SitePool:
    """The towns a choice is compared against, each with the health centre it would upgrade.

    Attributes
    ----------
    town_codes : tuple of str
        Pool towns, sorted by code.
    facility_ids : tuple of str
        The health centre of each pool town (same order).
    names_zh, names_en : tuple of str
        Town names (same order).
    chosen : tuple of int
        Positions of the chosen towns in the pool, in the order the user named them.
    sizes : tuple of int
        Smallest and largest admissible set size.
    source : str
        Where the pool came from, in words.
    """

    town_codes: tuple[str, ...]
    facility_ids: tuple[str, ...]
    names_zh: tuple[str, ...]
    names_en: tuple[str, ...]
    chosen: tuple[int, ...]
    sizes: tuple[int, int]
    source: str

    def label(self, positions: Sequence[int]) -> str:
        """Chinese town names of a set, joined by 、 in pool order."""
        return "、".join(self.names_zh[p] for p in sorted(positions))

    def label_en(self, positions: Sequence[int]) -> str:
        """Pinyin town names of a set, joined by commas in pool order."""
        return ", ".join(self.names_en[p] for p in sorted(positions))

    def ids(self, positions: Sequence[int]) -> tuple[str, ...]:
        """Facility ids of a set, sorted."""
        return tuple(sorted(self.facility_ids[p] for p in positions))


def _health_centre(facilities: pd.DataFrame, code: str, name: str) -> str:
    rows = facilities[facilities["town_code"].astype(str).eq(code)
                      & facilities["tier"].isin(HEALTH_CENTRES)]
    if rows.empty:
        raise ScenarioError(f"town {name} ({code}) has no township or community health centre "
                            "to upgrade; add one to facilities.csv or leave the town out")
    if "beds" in rows:
        rows = rows.sort_values(["beds", "facility_id"], ascending=[False, True])
    return str(rows["facility_id"].iloc[0])


def site_pool(scenario: Scenario, towns: pd.DataFrame, facilities: pd.DataFrame,
              chosen: Sequence[str]) -> SitePool:
    """Build the pool of alternative sites around the chosen town codes.

    The admissible sizes are the scenario's ``[sub_centres]`` count range; without that section,
    exactly the chosen set's size.

    Raises
    ------
    ScenarioError
        The chosen set is larger or smaller than ``[sub_centres]`` allows (ranking sets the
        scenario forbids would defend a plan it cannot adopt).
    """
    frame = _towns_frame(towns).set_index("code")
    kind = towns.assign(code=towns["code"].astype(str)).set_index("code")["kind"]
    section, sub = scenario.justify, scenario.sub_centres
    aliases = dict(section.aliases)
    if section.candidates:
        codes = resolve_sites(section.candidates, towns, aliases=aliases,
                              where="[justify] candidates")
        source = "the justify candidates"
    elif sub is not None and sub.candidates:
        codes = resolve_sites(sub.candidates, towns, aliases=aliases,
                              where="[sub_centres] candidates")
        source = "the scenario's sub-centre candidates"
    else:
        has_centre = set(facilities.loc[facilities["tier"].isin(HEALTH_CENTRES),
                                        "town_code"].astype(str))
        codes = [c for c in frame.index if kind[c] != "subdistrict" and c in has_centre]
        source = "every rural town with a health centre"
    pool = sorted(set(codes) | set(chosen))
    fids = tuple(_health_centre(facilities, c, str(frame.loc[c, "name_zh"])) for c in pool)
    names_en = tuple(str(frame.loc[c, "name_en"]).removesuffix(" Town").removesuffix(
        " Township") if "name_en" in frame else str(frame.loc[c, "name_zh"]) for c in pool)
    size = len(chosen)
    low, high = size, size
    if sub is not None:
        top = sub.max_count if sub.max_count is not None else len(pool)
        if not sub.min_count <= size <= top:
            names = "、".join(str(frame.loc[c, "name_zh"]) for c in chosen)
            allowed = f"{sub.min_count} to {top}" if sub.min_count < top else f"{top}"
            raise ScenarioError(
                f"{size} sites were named ({names}) but the scenario's [sub_centres] allows "
                f"{allowed} sub-centres (min_count {sub.min_count}, max_count "
                f"{sub.max_count if sub.max_count is not None else 'unset'}); name "
                f"{allowed} towns with --sites (or [justify] sites), or change [sub_centres] "
                "min_count/max_count")
        low, high = max(sub.min_count, 1), min(top, len(pool))
    return SitePool(
        town_codes=tuple(pool), facility_ids=fids,
        names_zh=tuple(str(frame.loc[c, "name_zh"]) for c in pool), names_en=names_en,
        chosen=tuple(pool.index(c) for c in chosen), sizes=(low, high), source=source,
    )


def count_sets(n: int, sizes: tuple[int, int]) -> int:
    """How many sets of ``sizes[0]``..``sizes[1]`` out of ``n`` sites there are."""
    return sum(math.comb(n, k) for k in range(sizes[0], sizes[1] + 1))


def enumerate_sets(n: int, sizes: tuple[int, int]) -> IntArray:
    """Every set of ``sizes[0]``..``sizes[1]`` of ``n`` pool positions, as rows padded with -1.

    Rows come by size, then in lexicographic order; the array has ``sizes[1]`` columns.
    """
    width = sizes[1]
    rows = [combo + (-1,) * (width - size)
            for size in range(sizes[0], sizes[1] + 1)
            for combo in itertools.combinations(range(n), size)]
    return np.asarray(rows, dtype=np.int64).reshape(len(rows), width)


__all__ += ["count_sets"]
