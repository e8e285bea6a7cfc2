"""End to end: yongchuan_2030 solves to proven optimality and every policy number in the
scenario holds when recomputed from plan.csv and towns.csv alone (the scenario's numbers are
read here with tomllib, independently of the package's schema)."""

from __future__ import annotations

import itertools
import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from support.cli import ROOT

from optimizer.jobs.run import run_scenario

pytestmark = pytest.mark.slow  # the shipped data, a cluster or a browser

SCENARIO = ROOT / "scenarios" / "yongchuan_2030.toml"
HOSPITALS = {"tertiary_hospital", "secondary_hospital", "specialist_hospital"}
ADJUSTABLE = HOSPITALS | {"township_health_centre", "community_health_centre", "sub_centre"}


@pytest.fixture(scope="module")
def out(yongchuan_2030_run: Path) -> Path:
    return yongchuan_2030_run


@pytest.fixture(scope="module")
def raw() -> dict:
    return tomllib.loads(SCENARIO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def plan(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "plan.csv", dtype={"town_code": str}, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def towns(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "towns.csv", dtype={"town_code": str})


def decimals(x: float) -> int:
    text = f"{x:.10g}"
    return len(text.split(".")[1]) if "." in text else 0


def test_proven_optimal(out: Path) -> None:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "optimal"
    assert summary["gap"] == 0
    assert all(stage["status"] == "optimal" for stage in summary["stages"])
    assert len(summary["inputs"]["scenario"]["sha256"]) == 64


def test_district_rates(plan: pd.DataFrame, towns: pd.DataFrame, raw: dict) -> None:
    levels_year = raw["plan"]["levels_year"]
    population = towns.groupby("year")["population"].sum()
    totals = plan.groupby(["year", "resource"])["after"].sum()
    checked = 0
    for resource, rates in raw["policy"].items():
        per = rates["per"]
        for key in ("max", "min"):
            for year, target in rates.get(key, {}).items():
                rate = totals[(int(year), resource)] / population[int(year)] * per
                if int(year) == levels_year:  # data year: the plan's rounded figure
                    rate = round(rate, decimals(target))
                assert (rate <= target) if key == "max" else (rate >= target), (resource, year)
                checked += 1
        for year, target in rates.get("town_min", {}).items():
            part = towns[towns["year"].eq(int(year))]
            assert (part[resource] / part["population"] * per >= target).all()
            checked += 1
    assert checked >= 17


def test_towns_agree_with_plan(plan: pd.DataFrame, towns: pd.DataFrame) -> None:
    sums = plan.pivot_table(index=["town_code", "year"], columns="resource", values="after",
                            aggfunc="sum")
    merged = towns.set_index(["town_code", "year"])
    for resource in sums.columns:
        assert (merged[resource] == sums[resource].reindex(merged.index)).all()


def test_before_is_last_after(plan: pd.DataFrame) -> None:
    years = sorted(plan["year"].unique())
    keyed = plan.set_index(["facility_id", "resource", "year"])
    for earlier, later in itertools.pairwise(years):
        before = keyed.xs(later, level="year")["before"]
        after = keyed.xs(earlier, level="year")["after"]
        assert (before == after.reindex(before.index)).all()
    assert (plan["change"] == plan["after"] - plan["before"]).all()


def test_sub_centres(plan: pd.DataFrame, raw: dict) -> None:
    """They exist from 2025 (annex 2); the standard holds in every decision year; never cut."""
    section = raw["sub_centres"]
    std = section["standard"]
    levels_year = raw["plan"]["levels_year"]
    subs = plan[plan["tier"].eq("sub_centre")]
    assert set(subs["town_code"]) == {"500118118", "500118116", "500118111"}  # 朱沱 三教 来苏
    assert set(subs["year"]) == {y for y in raw["plan"]["years"] if y >= section["from_year"]}
    assert section["from_year"] == levels_year == 2025
    for (_, year), part in subs.groupby(["facility_id", "year"]):
        if year == levels_year:
            continue  # the data's levels; the standard is reached by growth
        level = part.set_index("resource")["after"]
        assert std["min_level"]["beds"] <= level["beds"] <= std["max_level"]["beds"]
        for rule in std["ratios"]:
            assert level[rule["resources"]].sum() >= rule["min"] * level[rule["per_resource"]]
    beds = subs[subs["resource"].eq("beds")]
    assert (beds["change"] >= 0).all()


def test_directed_hospitals_keep_their_beds(plan: pd.DataFrame, raw: dict) -> None:
    names = {name for name, d in raw["facilities"].items() if "beds" in d.get("no_cut", [])}
    assert "永川区妇幼保健院" in names
    rows = plan[plan["name_zh"].isin(names) & plan["resource"].eq("beds")]
    assert len(rows) == 3 * len(names)
    assert (rows["change"] >= 0).all()


def test_central_village_clinics(plan: pd.DataFrame, raw: dict) -> None:
    section = raw["central_village_clinics"]
    cvc = plan[plan["tier"].eq("central_village_clinic")]
    by_year = {y: set(part["facility_id"]) for y, part in cvc.groupby("year")}
    for year, count in section["count"].items():
        assert len(by_year[int(year)]) == count
    years = sorted(by_year)
    for earlier, later in itertools.pairwise(years):
        assert by_year[earlier] <= by_year[later]
    doctors = cvc[cvc["resource"].eq("doctors")]
    assert (doctors["after"] >= section["min_level"]["doctors"]).all()
    village = plan[plan["facility_id"].str.startswith("VC") & ~plan["tier"].eq(
        "central_village_clinic")]
    assert (village["change"] == 0).all()  # ordinary village clinics stay as they are


def test_change_limits_and_ratios(plan: pd.DataFrame, raw: dict) -> None:
    span = {2025: 0, 2027: 2, 2030: 3}
    adjustable = plan[plan["tier"].isin(ADJUSTABLE)]
    for resource, limit in raw["change_limits"].items():
        rows = adjustable[adjustable["resource"].eq(resource)]
        if "facility_cut_share" in limit:
            floor = rows["before"] * (1 - limit["facility_cut_share"] * rows["year"].map(span))
            assert (rows["after"] >= floor - 1e-9).all(), resource
        if "district_increase" in limit:
            change = plan[plan["resource"].eq(resource)].groupby("year")["change"].sum()
            assert (change <= limit["district_increase"] * change.index.map(span)).all()
    level = adjustable.pivot_table(index=["facility_id", "year"], columns="resource",
                                   values="after")
    assert (level["gps"] <= level["doctors"]).all()


def test_county_hired_township_used(out: Path, plan: pd.DataFrame, raw: dict) -> None:
    """Recomputed per period from the outputs: recruits at the three named hospitals are their
    gross new doctor posts in plan.csv; at least 80 % of a year's recruits serve at grassroots,
    counted once (seconded out of the hospitals = seconded in at grassroots)."""
    section = raw["county_hired"]
    seconded = pd.read_csv(out / "county_hired.csv", encoding="utf-8-sig")
    named = plan[plan["name_zh"].isin(section["hospitals"]) & plan["resource"].eq("doctors")]
    assert named["facility_id"].nunique() == 3
    years = [y for y in raw["plan"]["years"] if y > raw["plan"]["levels_year"]]
    previous = dict(zip(years, [raw["plan"]["levels_year"], *years[:-1]], strict=True))
    district = plan[plan["resource"].eq("doctors")].groupby("year")["change"].sum()
    for year in years:
        span = year - previous[year]
        recruits = int(named.loc[named["year"].eq(year), "change"].clip(lower=0).sum())
        part = seconded[seconded["year"].eq(year)]
        assert int(part.loc[part["role"].eq("recruiter"), "recruits"].sum()) == recruits
        serving = int(part.loc[part["role"].eq("serves"), "seconded"].sum())
        assert serving == -int(part.loc[part["role"].eq("recruiter"), "seconded"].sum())
        assert serving >= section["share"] * recruits / span - 1e-9
        if district[year] > 0:  # the district floors require hiring
            assert recruits > 0, year
    places = seconded.loc[seconded["role"].eq("serves"), "facility_id"]
    tiers = plan.drop_duplicates("facility_id").set_index("facility_id")["tier"]
    # the reform staffs township health centres: none serve urban community centres
    assert set(tiers[places]) <= {"township_health_centre", "sub_centre"}


def test_placement_follows_need(plan: pd.DataFrame, raw: dict) -> None:
    """No facility ends above its need by more than the tolerance unless a rule asks for it
    (and the reason says which); no facility that serves nobody gains posts."""
    tolerance = raw["need"]["tolerance"]
    decided = plan[plan["year"].gt(raw["plan"]["levels_year"]) & plan["need"].notna()]
    above = decided[decided["served"] > decided["need"] * (1 + tolerance) + 0.5]
    assert set(above["reason_kind"]) <= {"standard", "direction", "floor", "limit", "cap",
                                         "kept"}, above[["name_zh", "resource", "reason_kind"]]
    says = {"standard": "standard", "direction": "direction", "floor": "floor",
            "limit": "[change_limits]", "cap": "district totals", "kept": "kept"}
    for row in above.itertuples(index=False):
        assert says[row.reason_kind] in row.reason, (row.name_zh, row.reason)
    nobody = decided[decided["need"].le(0) & decided["change"].gt(0)]
    assert nobody.empty, nobody[["name_zh", "resource", "change"]]
    # Where posts were added for need, the facility ends within the tolerance of its need.
    added = decided[decided["change"].gt(0) & decided["reason_kind"].eq("need")]
    assert (added["served"] <= added["need"] * (1 + tolerance) + 0.5).all()


def test_indicators_all_met(out: Path) -> None:
    indicators = pd.read_csv(out / "indicators.csv")
    allocated = indicators[indicators["scope"].eq("allocated")]
    assert len(allocated) > 40
    assert allocated["met"].astype(bool).all(), allocated[~allocated["met"].astype(bool)]
    assert set(indicators["scope"]) == {"allocated", "input"}
    inputs = indicators[indicators["scope"].eq("input")].set_index(["indicator", "year"])
    # the plan's figures the model uses: the outside-patient share and the tertiary stay
    assert inputs.loc[("patients from outside the district (share)", 2025), "target"] == 0.2307
    assert inputs.loc[("average stay at tertiary_hospital (days)", 2030), "target"] == 7.7
    assert inputs["met"].isna().all()  # an input is neither met nor unmet


def test_every_norm_names_a_document(plan: pd.DataFrame) -> None:
    """No staffing norm restates the data: every need's basis cites a document or a kind."""
    from optimizer.config.norms_table import read_norms  # noqa: PLC0415

    norms = read_norms(ROOT / "data" / "norms.csv")
    assert norms
    kinds = {"NATIONAL", "PROVINCIAL", "PLAN", "DEFINITION", "ASSUMPTION"}
    assert all(n.source.split(":")[0] in kinds for n in norms)
    assert not any("data" in n.source.split(";")[0].lower() for n in norms)
    staffed = plan[plan["year"].eq(2030) & plan["resource"].isin(["doctors", "nurses"])
                   & plan["need"].notna() & plan["tier"].ne("village_clinic")]
    assert staffed["reason"].str.contains("NATIONAL|PROVINCIAL").all()


def test_byte_identical_rerun(out: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    run_scenario(SCENARIO, again, timings=False)
    for name in ("plan.csv", "towns.csv", "indicators.csv", "county_hired.csv", "summary.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
