"""Time the allocation model per case: build, solve per lexicographic stage, and end to end.

Cases: the two shipped scenarios (``yongchuan_2030``, ``dianjiang_2025``) and ``large``, a
synthetic county ten times Yongchuan: the shipped Yongchuan data tiled ten times (a 5 x 2 grid
of copies shifted by 0.45 degrees, with new ids), and the yongchuan_2030 scenario with its
sub-centres fixed in every copy (30) and 600 central village clinics. Same policy rates, so the
same shape of problem at ten times the size.

For each case: inputs, build and solve seconds, and per stage its status, objective, gap,
seconds and share of the scenario's ``[solver] time_limit_s``. For the shipped scenarios also the
end-to-end time of ``medalloc run <scenario> --no-maps`` in a subprocess, the figure a user
waits for. ``--load N`` then reruns each shipped scenario beside N CPU-bound processes and
compares plan.csv byte for byte with the unloaded run (exit status 1 when they differ).

Usage:
    python benchmarks/bench_model.py                                  # all three cases
    python benchmarks/bench_model.py --only shipped                   # both shipped scenarios
    python benchmarks/bench_model.py --only yongchuan_2030,large
    python benchmarks/bench_model.py --only shipped --load 2 --repeat 3
    python benchmarks/bench_model.py --time-limit 120                 # in-process stages only
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.affinity import translate

from optimizer.config.scenario import load_scenario
from optimizer.dataset.load import load_dataset
from optimizer.model.build import build_model
from optimizer.model.inputs import prepare_inputs
from optimizer.model.stages import ModelRun, optimise

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "yongchuan_2030.toml"
SHIPPED = {"yongchuan_2030": SCENARIO,
           "dianjiang_2025": ROOT / "scenarios" / "dianjiang_2025.toml"}
LARGE = "large"
CASES = (*SHIPPED, LARGE)
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
               "nurses", "gps", "public_health_staff", "specialty", "admissions", "stay_days",
               "occupancy"]].copy()
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
    shutil.copyfile(ROOT / "data" / "norms.csv", out / "norms.csv")  # the same norms
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


def parse_cases(text: str) -> list[str]:
    """Cases named in a comma list, in the order of ``CASES``; ``shipped`` means both shipped."""
    names = {name.strip() for name in text.split(",") if name.strip()}
    if "shipped" in names:
        names = (names - {"shipped"}) | set(SHIPPED)
    unknown = sorted(names - set(CASES))
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"got {text!r}; give a comma list of {', '.join(CASES)} or shipped")
    return [case for case in CASES if case in names]


@dataclass(frozen=True)
class ModelTiming:
    """One in-process pass over a scenario: seconds per step and the optimisation's stages."""

    inputs_s: float
    build_s: float
    solve_s: float
    size: str
    run: ModelRun


def time_model(path: Path, time_limit_s: float | None) -> tuple[ModelTiming, float]:
    """Prepare, build and solve ``path`` once; return the timing and the per-stage limit."""
    scenario = load_scenario(path)
    if time_limit_s is not None:
        scenario = scenario.model_copy(update={"solver": scenario.solver.model_copy(
            update={"time_limit_s": time_limit_s})})
    t0 = time.perf_counter()
    inputs = prepare_inputs(load_dataset([scenario.data.folder]), scenario)
    t1 = time.perf_counter()
    model = build_model(inputs)
    t2 = time.perf_counter()
    run = optimise(model, scenario.solver)
    t3 = time.perf_counter()
    size = (f"{len(inputs.members)} demand points -> {len(inputs.groups)} groups, "
            f"{len(inputs.facilities)} facilities, {len(model.problem.variables())} variables, "
            f"{model.problem.numConstraints()} constraints")
    return ModelTiming(t1 - t0, t2 - t1, t3 - t2, size, run), scenario.solver.time_limit_s


def report_model(label: str, timings: list[ModelTiming], limit_s: float) -> None:
    """Print medians over the repeats; status, objective and gap are the first pass's."""
    def med(values: list[float]) -> float:
        return statistics.median(values)

    first = timings[0]
    runs = f"median of {len(timings)}" if len(timings) > 1 else "1 run"
    print(f"{label}: {first.size}")
    print(f"  inputs {med([t.inputs_s for t in timings]):.2f} s | "
          f"build {med([t.build_s for t in timings]):.2f} s | "
          f"solve {med([t.solve_s for t in timings]):.2f} s "
          f"(solver {med([t.run.seconds for t in timings]):.2f} s) | "
          f"status {first.run.status} ({runs})")
    if first.run.note:
        print(f"  note: {first.run.note}")
    print(f"    {'stage':<20} {'status':<10} {'objective':>16} {'gap':>9} {'seconds':>8} "
          f"{'of ' + format(limit_s, 'g') + ' s':>8}")
    for i, stage in enumerate(first.run.stages):
        r = stage.result
        seconds = med([t.run.stages[i].result.seconds for t in timings
                       if len(t.run.stages) > i and t.run.stages[i].name == stage.name])
        print(f"    {stage.name:<20} {r.status:<10} {r.objective:>16,.2f} {r.gap:>9.2e} "
              f"{seconds:>8.2f} {seconds / limit_s:>8.0%}")
    differ = sorted({s.name for t in timings[1:] for s, f in zip(t.run.stages, first.run.stages,
                                                                 strict=False)
                     if (s.result.status, s.result.objective) != (f.result.status,
                                                                  f.result.objective)})
    if differ:
        print(f"  repeats differ in status or objective at: {', '.join(differ)}")


def run_cli(path: Path, out: Path) -> float:
    """Wall seconds of ``medalloc run <path> --no-maps --out <out>``; exits on a failed run."""
    command = [sys.executable, "-m", "optimizer", "run", str(path), "--no-maps", "--out", str(out)]
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds


def run_status(out: Path) -> str:
    """The run's status from its summary.json, naming the stages that stopped short of a proof."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    short = [f"{stage['objective']} {stage.get('seconds', float('nan')):.1f} s"
             for stage in summary["stages"] if stage["status"] != "optimal"]
    return str(summary["status"]) + (f" (not proven: {', '.join(short)})" if short else "")


def _spin() -> None:
    """Keep one core busy until terminated."""
    n = 0
    while True:
        n += 1


@contextmanager
def cpu_load(processes: int) -> Iterator[None]:
    """Run ``processes`` busy loops beside the body; they are terminated however it ends."""
    workers = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(processes)]
    try:
        for worker in workers:
            worker.start()
        yield
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        for worker in workers:
            worker.join(timeout=10)


def load_average() -> str:
    """The 1- and 5-minute load averages and the core count, as one phrase."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def check_under_load(paths: dict[str, Path], plans: dict[str, bytes], processes: int,
                     tmp: Path) -> bool:
    """Rerun each scenario beside ``processes`` busy loops; True when every plan.csv is equal."""
    print(f"under load: {processes} busy processes")
    identical = True
    with cpu_load(processes):
        for case, path in paths.items():
            out = tmp / f"{case}-loaded"
            seconds = run_cli(path, out)
            plan = (out / "plan.csv").read_bytes()
            identical = identical and plan == plans[case]
            lines = list(zip(plan.splitlines(), plans[case].splitlines(), strict=False))
            changed = sum(a != b for a, b in lines)
            verdict = "identical" if plan == plans[case] else f"DIFFERS ({changed} lines)"
            print(f"  {case}: medalloc run --no-maps {seconds:.2f} s under load, "
                  f"status {run_status(out)}, plan.csv {verdict}")
        print(f"  {load_average()}")
    print(f"plan.csv identical under load: {'yes' if identical else 'no'}")
    return identical


def main() -> None:
    """Run the chosen cases and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", type=parse_cases, default=list(CASES),
                        help=f"comma list of {', '.join(CASES)}; shipped = both shipped "
                             "scenarios (default: all)")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="per-stage solver limit in seconds for the in-process timing "
                             "(default: the scenario's; medalloc run always uses the scenario's)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each timing this many times and print the median")
    parser.add_argument("--load", type=int, default=0, metavar="N",
                        help="rerun the shipped scenarios beside N CPU-bound processes and "
                             "compare plan.csv with the unloaded run")
    args = parser.parse_args()
    cases: list[str] = args.only
    shipped = {case: SHIPPED[case] for case in cases if case in SHIPPED}
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    if args.load < 0 or (args.load and not shipped):
        parser.error("--load N needs N >= 0 and a shipped scenario among --only")
    print(f"start: {load_average()}")
    plans: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for case in cases:
            path = SHIPPED[case] if case in SHIPPED else tile(tmp)
            passes = [time_model(path, args.time_limit) for _ in range(args.repeat)]
            label = f"synthetic x{COPIES} (large)" if case == LARGE else case
            report_model(label, [timing for timing, _ in passes], passes[0][1])
            if case in shipped:
                seconds = [run_cli(path, tmp / f"{case}-{i}") for i in range(args.repeat)]
                plans[case] = (tmp / f"{case}-0" / "plan.csv").read_bytes()
                print(f"  end to end: medalloc run --no-maps {statistics.median(seconds):.2f} s"
                      + (f" (median of {args.repeat})" if args.repeat > 1 else "")
                      + f", status {run_status(tmp / f'{case}-0')}")
        if args.load and not check_under_load(shipped, plans, args.load, tmp):
            sys.exit(1)


if __name__ == "__main__":
    main()
