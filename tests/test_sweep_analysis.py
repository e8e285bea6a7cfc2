"""Sweep table and summary from hand-made point records: frequencies, spread, influence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from optimizer.sweep import load_sweep
from optimizer.sweep.analysis import influence, objective_spread, site_frequency, summarise
from optimizer.sweep.report import summary_text
from optimizer.sweep.spec import SweepSpec
from optimizer.sweep.table import results_table, write_table

ROOT = Path(__file__).resolve().parents[1]


def record(pid: str, minutes: int, cap: float, status: str, subs: list[str],
           objective: float | None) -> dict[str, Any]:
    towns = {"T2": "乙镇", "T3": "丙镇", "T4": "丁镇", "T5": "戊镇"}
    solved = status in ("optimal", "feasible")
    return {
        "point_id": pid, "params": {"m": minutes, "c": cap}, "status": status,
        "reason": "" if solved else "the policy numbers cannot all hold",
        "objective_name": "coverage:referral" if solved else None, "objective": objective,
        "gap": 0.0 if solved else None, "cost": 10.0 if solved else None,
        "sub_centres": subs, "sub_centre_towns": [towns[s] for s in subs],
        "central_village_clinics": {"2025": 0} if solved else {},
        "per_capita": {"2020": {"beds_per_1000": 7.0}, "2025": {"beds_per_1000": cap}}
        if solved else {},
        "coverage_shares": {"referral": {"2020": 0.1, "2025": objective / 1e5}}
        if solved and objective is not None else {},
    }


# A 3 x 2 grid: the decision moves with the threshold m at cap 9.5 only; cap 7.6 is infeasible
# at m = 9; m = 20 at cap 8.5 hit a time limit with the same decision.
RECORDS = [
    record("a1", 9, 8.5, "optimal", ["T2", "T3"], 16000.0),
    record("a2", 9, 9.5, "optimal", ["T2", "T3"], 18000.0),
    record("b1", 12, 8.5, "optimal", ["T2", "T3"], 20000.0),
    record("b2", 12, 9.5, "optimal", ["T3", "T5"], 30000.0),
    record("c1", 20, 8.5, "feasible", ["T2", "T3"], 35000.0),
    record("c2", 20, 7.6, "infeasible", [], None),
]


@pytest.fixture
def spec(tmp_path: Path) -> SweepSpec:
    path = tmp_path / "s.toml"
    base = (ROOT / "tests" / "data" / "sweep_county.toml").as_posix()
    path.write_text(f'name = "s"\nbase = "{base}"\n[parameters]\nm = [9, 12, 20]\n'
                    "c = [8.5, 9.5, 7.6]\n", encoding="utf-8")
    return load_sweep(path)


def test_site_frequency_counts_solved_points_only() -> None:
    assert site_frequency(RECORDS) == [
        {"facility_id": "T3", "town": "丙镇", "points": 5, "share": 1.0},
        {"facility_id": "T2", "town": "乙镇", "points": 4, "share": 0.8},
        {"facility_id": "T5", "town": "戊镇", "points": 1, "share": 0.2},
    ]


def test_objective_spread_by_status() -> None:
    assert objective_spread(RECORDS) == {
        "optimal": {"points": 4, "min": 16000.0, "median": 19000.0, "max": 30000.0},
        "feasible": {"points": 1, "min": 35000.0, "median": 35000.0, "max": 35000.0},
        "infeasible": {"points": 1},
    }


def test_influence_holds_the_other_parameters_fixed(spec: SweepSpec) -> None:
    found = influence(spec, RECORDS)
    # m moves with c fixed: c = 8.5 (a1, b1, c1: one decision), c = 9.5 (a2, b2: two decisions)
    assert found["m"]["held_fixed"] == {"groups": 2, "changed": 1, "changed_at_full_coverage": 0}
    # c moves with m fixed: m = 9 (a1, a2: same), m = 12 (b1, b2: differ); m = 20 has one solved
    assert found["c"]["held_fixed"] == {"groups": 2, "changed": 1, "changed_at_full_coverage": 0}
    by_value = {row["value"]: row for row in found["m"]["by_value"]}
    assert list(by_value) == ["9", "12", "20"]
    assert by_value["12"] == {"value": "12", "points": 2, "solved": 2, "decisions": 2,
                              "most_common": "T2;T3", "most_common_towns": "乙镇;丙镇",
                              "most_common_share": 0.5}
    assert by_value["20"]["points"] == 2
    assert by_value["20"]["solved"] == 1
    cap = {row["value"]: row for row in found["c"]["by_value"]}
    assert cap["7.6"]["solved"] == 0
    assert cap["7.6"]["most_common"] is None


def test_a_parameter_that_never_moves_the_decision(spec: SweepSpec) -> None:
    same = [record(f"p{i}", m, c, "optimal", ["T2", "T3"], 1.0)
            for i, (m, c) in enumerate([(9, 8.5), (12, 8.5), (9, 9.5), (12, 9.5)])]
    found = influence(spec, same)
    assert found["m"]["held_fixed"] == {"groups": 2, "changed": 0, "changed_at_full_coverage": 0}
    assert found["c"]["held_fixed"] == {"groups": 2, "changed": 0, "changed_at_full_coverage": 0}


def test_changes_where_everyone_is_covered_are_flagged_as_ties(spec: SweepSpec) -> None:
    # At c = 9.5 everyone is covered whatever m is, and the decision still moves: a tie.
    # At c = 8.5 the point m = 9 covers 90 %: that change is not a tie.
    points = [record("p1", 9, 9.5, "optimal", ["T2", "T3"], 100000.0),
              record("p2", 12, 9.5, "optimal", ["T3", "T5"], 100000.0),
              record("p3", 9, 8.5, "optimal", ["T2", "T3"], 90000.0),
              record("p4", 12, 8.5, "optimal", ["T3", "T5"], 100000.0)]
    held = influence(spec, points)["m"]["held_fixed"]
    assert held == {"groups": 2, "changed": 2, "changed_at_full_coverage": 1}
    text = summary_text(summarise(spec, points, missing=[]))
    assert "in 2 of 2 settings of the others (1 of them where every point covers everyone" in text


def test_table_is_sorted_by_point_id_with_last_year_figures(tmp_path: Path) -> None:
    table = results_table(list(reversed(RECORDS)), ["m", "c"])
    assert list(table["point_id"]) == ["a1", "a2", "b1", "b2", "c1", "c2"]
    assert list(table.columns[:4]) == ["point_id", "m", "c", "status"]
    assert table.columns[-1] == "reason"
    assert "beds_per_1000_2025" in table
    assert "coverage_referral_2025" in table
    assert "beds_per_1000_2020" not in table
    row = table.set_index("point_id").loc["b2"]
    assert row["sub_centres"] == "T3;T5"
    assert row["sub_centre_towns"] == "丙镇;戊镇"
    assert row["coverage_referral_2025"] == pytest.approx(0.3)
    assert pd.isna(table.set_index("point_id").loc["c2", "objective"])
    files = write_table(table, tmp_path)
    back = pd.read_csv(files[0])
    assert list(back["point_id"]) == list(table["point_id"])
    assert back["objective"].dtype == float


def test_summary_text_names_sites_and_influence(spec: SweepSpec) -> None:
    data = summarise(spec, RECORDS, missing=["zz"])
    assert data["points"] == 7
    assert data["statuses"] == {"feasible": 1, "infeasible": 1, "optimal": 4}
    text = summary_text(data)
    assert "statuses: feasible 1, infeasible 1, optimal 4" in text
    assert "missing (worker failed; rerun to solve): zz" in text
    assert "T3             丙镇           5  100%" in text
    assert "m: changing it alone changes the decision in 1 of 2 settings of the others" in text
    assert "= 7.6: 0 of 1 points solved" in text
