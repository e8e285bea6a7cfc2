"""Sweep files and points: validation, grid and random expansion, stable ids, dotted keys."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from optimizer.config.scenario import read_scenario_toml
from optimizer.errors import ScenarioError
from optimizer.sweep import expand_points, load_sweep, point_id, run_sweep
from optimizer.sweep.points import apply_keys, point_tables
from optimizer.sweep.spec import MAX_POINTS

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "data" / "sweep_county.toml"


def write_sweep(folder: Path, body: str, *, head: str = 'mode = "grid"') -> Path:
    path = folder / "sweep.toml"
    path.write_text(f'name = "t"\nbase = "{BASE.as_posix()}"\n{head}\n{body}\n',
                    encoding="utf-8")
    return path


def test_shipped_sweep_has_100_valid_points() -> None:
    spec = load_sweep(ROOT / "scenarios" / "yongchuan_sweep.toml")
    points = expand_points(spec)
    assert len(points) == 100
    assert len({p.point_id for p in points}) == 100
    tables = point_tables(spec, read_scenario_toml(spec.base), points)
    assert set(tables) == {p.point_id for p in points}
    first = tables[points[0].point_id]
    assert first["travel"]["speeds_kmh"] == {"motorised": {"rural": 30}}
    assert first["population"]["growth_per_year"] == {"2025": 0.0, "2030": 0.0}


def test_point_id_is_a_hash_of_sorted_parameters() -> None:
    expected = hashlib.sha256(b'{"a.b":1,"c":0.5}').hexdigest()[:12]
    assert point_id({"c": 0.5, "a.b": 1}) == expected
    assert point_id({"a.b": 1, "c": 0.5}) == expected
    assert point_id({"a.b": 1, "c": 0.25}) != expected


def test_grid_is_every_combination_in_file_order(tmp_path: Path) -> None:
    spec = load_sweep(write_sweep(tmp_path, '[parameters]\n"services.referral.minutes" = '
                                  '{ min = 10, max = 20, steps = 3 }\n'
                                  '"policy.beds.max.2025" = [8.5, 9.5]'))
    params = [p.as_dict() for p in expand_points(spec)]
    assert params == [
        {"services.referral.minutes": m, "policy.beds.max.2025": c}
        for m in (10.0, 15.0, 20.0) for c in (8.5, 9.5)
    ]


def test_random_points_are_seeded_and_inside_their_ranges(tmp_path: Path) -> None:
    body = ('[parameters]\n"services.referral.minutes" = { min = 10, max = 20 }\n'
            '"sub_centres.max_count" = { min = 2, max = 3, integer = true }\n'
            '"solver.name" = ["highs", "cbc"]')
    a = expand_points(load_sweep(write_sweep(tmp_path, body,
                                             head='mode = "random"\nsamples = 30\nseed = 7')))
    b = expand_points(load_sweep(write_sweep(tmp_path, body,
                                             head='mode = "random"\nsamples = 30\nseed = 7')))
    c = expand_points(load_sweep(write_sweep(tmp_path, body,
                                             head='mode = "random"\nsamples = 30\nseed = 8')))
    assert a == b
    assert a != c
    assert len(a) == 30  # continuous draws do not repeat
    for point in a:
        values = point.as_dict()
        assert 10 <= values["services.referral.minutes"] <= 20
        assert values["sub_centres.max_count"] in (2, 3)
        assert isinstance(values["sub_centres.max_count"], int)
        assert values["solver.name"] in ("highs", "cbc")


def test_random_duplicates_are_dropped(tmp_path: Path) -> None:
    spec = load_sweep(write_sweep(tmp_path, '[parameters]\n"solver.name" = ["highs", "cbc"]',
                                  head='mode = "random"\nsamples = 20\nseed = 1'))
    assert sorted(p.as_dict()["solver.name"] for p in expand_points(spec)) == ["cbc", "highs"]


@pytest.mark.parametrize(("head", "body", "message"), [
    ('mode = "grid"\nsampls = 3', '[parameters]\n"a.b" = [1]',
     r"unknown key 'sampls' \(did you mean 'samples'\?\); allowed here: base, decimals"),
    ('mode = "grid"', '[parameters]\n"a.b" = { min = 1, max = 2, stepz = 3 }',
     r"unknown key 'parameters\.\"a\.b\"\.stepz' \(did you mean 'steps'\?\); "
     r"allowed here: integer, max, min, steps"),
    ('mode = "grid"\nsamples = 3', '[parameters]\n"a.b" = [1]', r"samples is for mode = 'random'"),
    ('mode = "random"', '[parameters]\n"a.b" = [1]', r"mode = 'random' needs samples"),
    ('mode = "grid"', '[parameters]\n"a.b" = { min = 1, max = 2 }', r"'a\.b': a grid range needs"),
    ('mode = "grid"', '[parameters]\n"a.b" = 3', r"give a list of values or a range"),
    ('mode = "grid"', '[parameters]\n"a..b" = [1]', r"'a\.\.b' is not a dotted key"),
    ('mode = "grid"', '[parameters]\n"a.b" = [[1, 2]]', r"a number, a string or a boolean"),
    ('mode = "grid"', '[parameters]\n"a.b" = { min = 2, max = 1, steps = 2 }', r"max 1 is below"),
    ('mode = "grid"', '[parameters]\n"a.b" = [1]\n[set]\n"a.b" = 2', r"both varied .* and fixed"),
    ('mode = "grid"', "[parameters]", r"key 'parameters': Dictionary should have at least 1"),
])
def test_invalid_sweep_files_are_named(tmp_path: Path, head: str, body: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_sweep(write_sweep(tmp_path, body, head=head))


def test_missing_base_is_named(tmp_path: Path) -> None:
    path = tmp_path / "sweep.toml"
    path.write_text('name = "t"\nbase = "nowhere.toml"\n[parameters]\n"a" = [1]\n',
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"base scenario nowhere\.toml not found"):
        load_sweep(path)


def test_too_many_grid_points(tmp_path: Path) -> None:
    side = int(MAX_POINTS ** 0.5) + 1
    spec = load_sweep(write_sweep(tmp_path, "[parameters]\n" + "\n".join(
        f'"k{i}" = {{ min = 0, max = 1, steps = {side} }}' for i in range(2))))
    with pytest.raises(ScenarioError, match=r"more than 10,000\); use fewer values"):
        expand_points(spec)


@pytest.mark.parametrize(("key", "values", "message"), [
    ("services.referal.minutes", "[9, 20]",
     r"(?s)parameter 'services\.referal\.minutes' = 9 \(not in the base scenario, so created: "
     r"services\.referal; check the spelling\).*missing key 'services\.referal\.tiers'"),
    ("travel.speeds_kmh.motorised.rurall", "[30]",
     r"(?s)parameter 'travel\.speeds_kmh\.motorised\.rurall' = 30 .*"
     r"unknown setting\(s\) \['rurall'\] in speeds_kmh\.motorised"),
    ("travel.speds_kmh.motorised.rural", "[30]",
     r"(?s)parameter 'travel\.speds_kmh\.motorised\.rural'.*created: travel\.speds_kmh.*"
     r"unknown travel setting\(s\) 'speds_kmh' \(did you mean 'speeds_kmh'\?\)"),
    ("population.growth_per_yer.2025", "[0.01]",
     r"(?s)parameter 'population\.growth_per_yer\.2025'.*unknown key "
     r"'population\.growth_per_yer' \(did you mean 'growth_per_year'\?\)"),
    ("services.referral.minutes", "[12, -5]",
     r"(?s)parameter 'services\.referral\.minutes' = -5 does not give a valid scenario.*"
     r"greater than 0"),
    ("policy.beds.max.2031", "[8.0]", r"(?s)'policy\.beds\.max\.2031'.*not among the plan years"),
    ("solver.time_limit_s.x", "[1]",
     r"key 'solver\.time_limit_s\.x': 'solver\.time_limit_s' is a value \(20\)"),
    ("ratios.0.min", "[1]", r"(?s)'ratios\.0\.min' = 1 \(not in the base scenario, so created: "
     r"ratios, ratios\.0;.*key 'ratios': Input should be a valid list"),
])
def test_invalid_dotted_keys_fail_before_any_solve(tmp_path: Path, key: str, values: str,
                                                   message: str) -> None:
    sweep = write_sweep(tmp_path, f'[parameters]\n"{key}" = {values}\n"policy.beds.max.2025" '
                                  "= [8.5, 9.5]")
    with pytest.raises(ScenarioError, match=message):
        run_sweep(sweep, tmp_path / "out", workers=1)
    assert not (tmp_path / "out").exists()  # nothing solved, nothing written


def test_apply_keys_sets_copies_and_indexes_lists() -> None:
    raw = {"a": {"b": 1}, "ratios": [{"min": 1.0}, {"min": 2.0}]}
    out, created = apply_keys(raw, {"a.b": 2, "ratios.1.min": 3.0, "x.y.z": True})
    assert out == {"a": {"b": 2}, "ratios": [{"min": 1.0}, {"min": 3.0}],
                   "x": {"y": {"z": True}}}
    assert created == ["x", "x.y"]
    assert raw == {"a": {"b": 1}, "ratios": [{"min": 1.0}, {"min": 2.0}]}  # base untouched
    with pytest.raises(ScenarioError, match=r"'ratios\.5' indexes a list of 2 item\(s\); "
                                            r"use an index from 0 to 1"):
        apply_keys(raw, {"ratios.5.min": 1.0})
