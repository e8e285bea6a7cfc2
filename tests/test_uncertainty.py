"""Uncertainty draws: certain inputs reproduce the deterministic ranking, dominance gives
P(best) = 1, symmetry about one half, seeds reproduce tables, a rerun computes only what is
missing, jittered points stay in their town, and the section refuses bad keys."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import shapely
from support.county import write_row_county

from optimizer.config.scenario import load_scenario
from optimizer.dataset.load import load_dataset
from optimizer.errors import ScenarioError
from optimizer.justify.measures import location_data, measure_values
from optimizer.justify.ranking import rank_values
from optimizer.uncertainty.base import prepare_base
from optimizer.uncertainty.cluster import batches
from optimizer.uncertainty.draw import draw_record, sample_inputs
from optimizer.uncertainty.job import run_uncertainty
from optimizer.uncertainty.store import draw_path

CENSUS = "ESTIMATED: 2010 township census scaled to the 2020 census total"
SPLIT = "ESTIMATED: town 2020 estimate split by unit weights"
GRID = "SYNTHETIC: villages at k-means centres of a grid inside the estimated town polygon"
SEAT = "ESTIMATED: placed at the town seat point (sourced)"
CERTAIN = """
positions = "certain"
populations = "certain"
detour_factor = { distribution = "certain" }
speed_factor = { distribution = "certain" }
town_growth_sd = 0.0
"""


def write_county(folder: Path, towns: list[tuple[str, str, str, list[tuple[float, float, int]]]],
                 *, uncertainty: str, count: int = 1, chosen: str = "乙镇") -> Path:
    """Towns side by side (0.1 degree wide), a health centre at each town's centre, villages
    given as (lon offset, lat, population); an urban town 甲 with the hospital far west."""
    rows: list[tuple[object, ...]] = [("500000001", "甲街道", "Jia", "subdistrict", 1000, CENSUS)]
    rows += [(code, name, name, "town", sum(p for *_, p in villages), CENSUS)
             for code, name, _kind, villages in towns]
    fac = ["facility_id,name_zh,tier,town_code,lon,lat,beds,coord_quality",
           "H1,医院,secondary_hospital,500000001,105.01,29.35,100,sourced"]
    demand = ["demand_id,name_zh,kind,town_code,population,lon,lat,population_method,"
              "position_method",
              f"D000,社区,community,500000001,1000,105.05,29.35,{SPLIT},{GRID}"]
    for i, (code, name, _kind, villages) in enumerate(towns, start=1):
        centre = 105.05 + 0.1 * i
        fac.append(f"T{i},{name}卫生院,township_health_centre,{code},{centre},29.35,20,{SEAT}")
        for j, (dx, lat, pop) in enumerate(villages):
            demand.append(f"D{i}{j:02d},{name}{j}村,village,{code},{pop},{centre + dx},{lat},"
                          f"{SPLIT},{GRID}")
    write_row_county(folder / "county", rows, "\n".join(fac) + "\n", "\n".join(demand) + "\n",
                     town_columns=["pop_method"])
    names = ", ".join(f'"{t[1]}"' for t in towns)
    path = folder / "fixture.toml"
    path.write_text(f"""
name = "uncertainty_fixture"
[data]
folder = "county"
[travel]
crs = "EPSG:4544"
[sub_centres]
candidates = [{names}]
fixed = ["{chosen}"]
min_count = {count}
max_count = {count}
[services.referral]
tiers = ["sub_centre", "secondary_hospital"]
minutes = 15
travel_mode = "motorised"
population = "rural"
[objective]
order = ["coverage:referral"]
[uncertainty]
draws = 8
seed = 7
sensitivity_draws = 4
{uncertainty}
""", encoding="utf-8")
    return path


FOUR = [("500000002", "乙镇", "town", [(-0.03, 29.37, 900), (0.02, 29.32, 300)]),
        ("500000003", "丙镇", "town", [(0.03, 29.36, 700), (-0.02, 29.31, 500)]),
        ("500000004", "丁镇", "town", [(0.0, 29.38, 400), (0.04, 29.33, 800)]),
        ("500000005", "戊镇", "town", [(-0.04, 29.34, 600), (0.01, 29.39, 650)])]


def test_certain_inputs_reproduce_the_deterministic_ranking(tmp_path: Path) -> None:
    path = write_county(tmp_path, FOUR, uncertainty=CERTAIN, count=2, chosen="乙镇, 丙镇")
    path.write_text(path.read_text(encoding="utf-8").replace('"乙镇, 丙镇"', '"乙镇", "丙镇"'),
                    encoding="utf-8")
    scenario = load_scenario(path)
    dataset = load_dataset([scenario.data.folder])
    base = prepare_base(scenario, dataset)
    # the justification's own path: travel_table pairs, then the measures of every set
    data = location_data(dataset, base.settings, travel_mode="motorised",
                         fixed_tiers=base.spec.tiers, site_ids=base.pool.facility_ids,
                         rural_only=True)
    values = measure_values(data, base.sets, 15.0)
    for draw in range(5):
        record = draw_record(base, 7, draw, sensitivity=False)
        for name, found in record["measures"].items():
            ranks = rank_values(values[name], "max" if name == "covered" else "min")
            assert found["rank"] == ranks[base.chosen_row]
            # records keep 6 decimals
            assert found["chosen"] == pytest.approx(values[name][base.chosen_row], abs=1e-6)


def test_a_dominating_site_is_best_in_every_draw(tmp_path: Path) -> None:
    # 乙镇's 5,000 residents live within 1.5 km of its health centre (under 4 minutes at the
    # largest detour); 丙镇's centre is 0.1 degree (9.7 km) away, over 15 minutes at the
    # smallest detour (9.7 x 1.2 / 40 km/h = 17 min), and its own town has 10 residents.
    # Detour factors and populations vary; 乙镇 covers >= 5,000 x factors, 丙镇 at most 10 x.
    towns = [("500000002", "乙镇", "town", [(-0.01, 29.36, 3000), (0.01, 29.34, 2000)]),
             ("500000003", "丙镇", "town", [(0.0, 29.35, 10)])]
    path = write_county(tmp_path, towns, uncertainty='detour_factor = { distribution = '
                        '"uniform", low = 1.2, high = 1.6 }\npositions = "certain"\n'
                        'speed_factor = { distribution = "certain" }')
    out = run_uncertainty(path, tmp_path / "out", draws=30, workers=0, make_map=False)
    head = out.facts["probabilities"]["covered"]
    assert head["p_best"] == 1.0
    assert head["p_within"] == 1.0


def test_two_symmetric_sites_are_best_about_half_the_time(tmp_path: Path) -> None:
    # Mirror images: one village each, the same distance from its own health centre; only
    # the town populations (2010 census, 15 % error) decide.
    towns = [("500000002", "乙镇", "town", [(0.02, 29.35, 1000)]),
             ("500000003", "丙镇", "town", [(0.02, 29.35, 1000)])]
    path = write_county(tmp_path, towns, uncertainty='positions = "certain"\n'
                        'detour_factor = { distribution = "certain" }\n'
                        'speed_factor = { distribution = "certain" }\ntown_growth_sd = 0.0')
    n = 200
    out = run_uncertainty(path, tmp_path / "out", draws=n, workers=0, make_map=False)
    p = out.facts["probabilities"]["covered"]["p_best"]
    # binomial standard error at p = 1/2 and n = 200 is 0.035; four of them
    assert abs(p - 0.5) <= 4 * (0.25 / n) ** 0.5


def _tables(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


def test_same_seed_same_tables_and_a_rerun_computes_only_missing_draws(tmp_path: Path) -> None:
    path = write_county(tmp_path, FOUR, uncertainty="", count=2, chosen="乙镇")
    path.write_text(path.read_text(encoding="utf-8").replace('fixed = ["乙镇"]',
                                                             'fixed = ["乙镇", "丁镇"]'),
                    encoding="utf-8")
    first = run_uncertainty(path, tmp_path / "a", draws=8, workers=0, make_map=False)
    second = run_uncertainty(path, tmp_path / "b", draws=8, workers=0, make_map=False)
    assert first.computed == second.computed == 8
    assert _tables(tmp_path / "a") == _tables(tmp_path / "b")
    other = run_uncertainty(path, tmp_path / "c", draws=8, seed=8, workers=0, make_map=False)
    assert _tables(tmp_path / "c")["draws.csv"] != _tables(tmp_path / "a")["draws.csv"]
    # "interrupted": two draw files gone
    for draw in (2, 5):
        draw_path(tmp_path / "a" / "draws", draw).unlink()
    kept = draw_path(tmp_path / "a" / "draws", 3).stat().st_mtime_ns
    again = run_uncertainty(path, tmp_path / "a", draws=8, workers=0, make_map=False)
    assert (again.computed, again.reused) == (2, 6)
    assert draw_path(tmp_path / "a" / "draws", 3).stat().st_mtime_ns == kept
    assert _tables(tmp_path / "a") == _tables(tmp_path / "b")
    assert other.computed == 8


def test_jittered_points_stay_in_their_town(tmp_path: Path) -> None:
    path = write_county(tmp_path, FOUR, uncertainty="")
    scenario = load_scenario(path)
    dataset = load_dataset([scenario.data.folder])
    base = prepare_base(scenario, dataset)
    polygons = dataset.towns.assign(code=dataset.towns["code"].astype(str)).sort_values(
        "code").to_crs("EPSG:4544").geometry.to_numpy()
    moved = 0
    for draw in range(20):
        xy = sample_inputs(base, 3, draw).demand_xy
        inside = shapely.contains_xy(polygons[base.town_index], xy[:, 0], xy[:, 1])
        assert inside.all()
        moved += int((np.abs(xy - base.demand_xy).sum(axis=1) > 1.0).sum())
    assert moved > 0


@pytest.mark.parametrize(("text", "match"), [
    ("unknown_key = 1", "unknown_key"),
    ('detour_factor = { distribution = "uniform", low = 1.2 }', "needs"),
    ('detour_factor = { distribution = "lognormal", sd = 0.1, low = 1.0 }', "takes"),
    ('speed_factor = { bus = { distribution = "certain" } }', "unknown travel mode"),
    ('errors = { "town_population.census" = 0.1 }', "unknown key"),
    ("network_share = 0.5", "no roads layer"),
])
def test_bad_sections_are_refused_by_name(tmp_path: Path, text: str, match: str) -> None:
    path = write_county(tmp_path, FOUR, uncertainty=text)
    def bind() -> None:
        scenario = load_scenario(path)
        prepare_base(scenario, load_dataset([scenario.data.folder]))

    with pytest.raises(ScenarioError, match=match):
        bind()


@pytest.mark.slow
def test_dask_gives_the_same_tables_as_one_process(tmp_path: Path) -> None:
    path = write_county(tmp_path, FOUR, uncertainty="", count=2, chosen="乙镇")
    path.write_text(path.read_text(encoding="utf-8").replace('fixed = ["乙镇"]',
                                                             'fixed = ["乙镇", "丁镇"]'),
                    encoding="utf-8")
    run_uncertainty(path, tmp_path / "a", draws=12, workers=0, make_map=False)
    dask = run_uncertainty(path, tmp_path / "b", draws=12, workers=2, make_map=False)
    assert dask.workers == 2
    assert _tables(tmp_path / "a") == _tables(tmp_path / "b")


def test_the_draw_base_survives_pickling_as_dask_scatters_it(tmp_path: Path) -> None:
    path = write_county(tmp_path, FOUR, uncertainty="")
    scenario = load_scenario(path)
    base = prepare_base(scenario, load_dataset([scenario.data.folder]))
    copy = pickle.loads(pickle.dumps(base))
    assert copy.settings == base.settings
    assert draw_record(copy, 5, 3, True) == draw_record(base, 5, 3, True)


def test_batches_even_out_the_cost_and_keep_every_draw_once() -> None:
    draws = list(range(3, 200))
    heavy = {d: 31.0 if d < 50 else 1.0 for d in draws}
    cut = batches(draws, 2, cost=heavy.__getitem__, largest=25)
    assert [d for batch in cut for d in batch] == draws
    target = sum(heavy.values()) / 16
    for batch in cut:
        assert len(batch) <= 25
        assert len(batch) == 1 or sum(heavy[d] for d in batch) <= target * (1 + 1e-9)
    assert 16 <= len(cut) <= 32
    assert batches([], 2) == []


def _environ() -> tuple[str | None, str | None]:
    import os  # noqa: PLC0415 - runs on the worker

    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OPENBLAS_NUM_THREADS")


@pytest.mark.slow
def test_local_workers_keep_one_blas_thread_and_glibc_trimming(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from optimizer.cluster import dask_client  # noqa: PLC0415
    from optimizer.uncertainty.cluster import WORKER_ENVIRON  # noqa: PLC0415

    # as an earlier Dask cluster in this process leaves it
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    with dask_client(None, 1, local_workers=1, worker_environ=WORKER_ENVIRON) as client:
        found = list(client.run(_environ).values())
    assert found == [(None, "1")]
