"""Time the allocation model: build and solve for yongchuan_2030 and a county ten times larger.

The large county is synthetic: the shipped Yongchuan data tiled ten times (a 5 x 2 grid of
copies shifted by 0.45 degrees, with new ids), and the yongchuan_2030 scenario with its
sub-centres fixed in every copy (30) and 600 central village clinics. Same policy rates, so
the same shape of problem at ten times the size.

Usage:
    python benchmarks/bench_model.py                  # both
    python benchmarks/bench_model.py --only shipped
    python benchmarks/bench_model.py --time-limit 120
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.affinity import translate

from optimizer.config.scenario import load_scenario
from optimizer.dataset.load import load_dataset
from optimizer.model.build import build_model
from optimizer.model.inputs import prepare_inputs
from optimizer.model.stages import optimise

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "yongchuan_2030.toml"
COPIES = 10


def _recode(text: str, k: int) -> str:
    return text.replace("500118", f"5{k}0118")


def tile(folder: Path) -> Path:
    """Write the ten-fold county into ``folder`` and return a scenario file for it."""
    data = load_dataset([ROOT / "data"])
    towns, facilities, demand = [], [], []
    for k in range(COPIES):
        dx, dy = 0.45 * (k % 5), 0.45 * (k // 5)
        t = data.towns[["code", "name_zh", "name_en", "kind", "pop_2020", "geometry"]].copy()
        t["code"] = t["code"].astype(str).map(lambda c, k=k: _recode(c, k))
        t["name_zh"] = t["name_zh"] + f"{k}"
        t["geometry"] = t.geometry.map(lambda g, dx=dx, dy=dy: translate(g, dx, dy))
        towns.append(t)
        f = pd.DataFrame(data.facilities.drop(columns="geometry"))
        f = f[["facility_id", "name_zh", "tier", "town_code", "lon", "lat", "beds", "doctors",
               "nurses", "gps", "public_health_staff"]].copy()
        f["facility_id"] = f["facility_id"].map(lambda c, k=k: _recode(c, k) if "500118" in c
                                                else f"{c}_{k}")
        f["town_code"] = f["town_code"].astype(str).map(lambda c, k=k: _recode(c, k))
        f["lon"], f["lat"] = f["lon"] + dx, f["lat"] + dy
        facilities.append(f)
        d = pd.DataFrame(data.demand.drop(columns="geometry"))
        d = d[["demand_id", "name_zh", "kind", "town_code", "population", "lon", "lat"]].copy()
        d["demand_id"] = d["demand_id"].astype(str).map(lambda c, k=k: _recode(c, k))
        d["town_code"] = d["town_code"].astype(str).map(lambda c, k=k: _recode(c, k))
        d["lon"], d["lat"] = d["lon"] + dx, d["lat"] + dy
        demand.append(d)
    out = folder / "county10"
    out.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame(pd.concat(towns), crs="EPSG:4326").to_file(out / "towns.geojson",
                                                                 driver="GeoJSON")
    pd.concat(facilities).to_csv(out / "facilities.csv", index=False)
    pd.concat(demand).to_csv(out / "demand.csv", index=False)
    text = SCENARIO.read_text(encoding="utf-8")
    text = text.replace('folder = "../data"', f'folder = "{out.as_posix()}"')
    fixed = [f'"{_recode(code, k)}"' for k in range(COPIES)
             for code in ("500118118", "500118116", "500118111")]
    text = re.sub(r'fixed = \[.*?\]', f"fixed = [{', '.join(fixed)}]", text)
    text = text.replace("min_count = 3 ", f"min_count = {3 * COPIES} ")
    text = text.replace("max_count = 3\n", f"max_count = {3 * COPIES}\n")
    text = re.sub(r"\[sub_centres\.partners\]\n(.*\n){4}", "", text)
    text = text.replace("count = { 2030 = 60 }", f"count = {{ 2030 = {60 * COPIES} }}")
    text = text.replace("district_increase = 150", f"district_increase = {150 * COPIES}")
    text = text.replace("district_increase = 200", f"district_increase = {200 * COPIES}")
    # Facility names repeat in every copy: directions and named recruiters are by name, so the
    # large county keeps the need model and falls back to every hospital as a recruiter.
    text = re.sub(r'\[facilities\."[^"]+"\]\n(?:(?!\n\[).*\n)*', "", text)
    text = re.sub(r"hospitals = \[.*?\]\n", "", text)
    path = folder / "county10.toml"
    path.write_text(text, encoding="utf-8")
    return path


def bench(label: str, path: Path, time_limit: float | None) -> None:
    scenario = load_scenario(path)
    if time_limit is not None:
        scenario = scenario.model_copy(update={"solver": scenario.solver.model_copy(
            update={"time_limit_s": time_limit})})
    t0 = time.perf_counter()
    inputs = prepare_inputs(load_dataset([scenario.data.folder]), scenario)
    t1 = time.perf_counter()
    model = build_model(inputs)
    t2 = time.perf_counter()
    run = optimise(model, scenario.solver)
    t3 = time.perf_counter()
    print(f"{label}: {len(inputs.members)} demand points -> {len(inputs.groups)} groups, "
          f"{len(inputs.facilities)} facilities, {len(model.problem.variables())} variables, "
          f"{model.problem.numConstraints()} constraints")
    print(f"  inputs {t1 - t0:.2f} s | build {t2 - t1:.2f} s | solve {t3 - t2:.2f} s "
          f"(solver {run.seconds:.2f} s) | status {run.status}")
    if run.note:
        print(f"  note: {run.note}")
    for stage in run.stages:
        r = stage.result
        print(f"    {stage.name:<20} {r.status:<9} {r.objective:>16,.2f} gap {r.gap:.2e} "
              f"{r.seconds:7.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["shipped", "large"])
    parser.add_argument("--time-limit", type=float, default=None,
                        help="per-stage solver limit in seconds (default: the scenario's)")
    args = parser.parse_args()
    if args.only != "large":
        bench("yongchuan_2030", SCENARIO, args.time_limit)
    if args.only != "shipped":
        with tempfile.TemporaryDirectory() as tmp:
            bench(f"synthetic x{COPIES}", tile(Path(tmp)), args.time_limit)


if __name__ == "__main__":
    main()
