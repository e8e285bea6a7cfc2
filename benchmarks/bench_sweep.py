"""Time the shipped Yongchuan sweep on a local Dask cluster with 1 and with 2 workers.

Each run starts from an empty output folder (nothing resumed) and includes the cluster start,
the up-front validation of every point, the solves and the table and summary. The speed-up is
the 1-worker time over the n-worker time; on a machine whose cores are busy with other work it
is lower than the number of workers.

Usage:
    python benchmarks/bench_sweep.py                   # all 100 points, 1 and 2 workers
    python benchmarks/bench_sweep.py --values 2        # first 2 values of each parameter: 8 points
    python benchmarks/bench_sweep.py --workers 1 2 4 --sweep scenarios/yongchuan_sweep.toml
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from optimizer.sweep import expand_points, load_sweep, run_sweep
from optimizer.sweep.points import parameter_values

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ROOT / "scenarios" / "yongchuan_sweep.toml"


def _toml(value: Any) -> str:
    if isinstance(value, bool | int | float | str):
        return json.dumps(value, ensure_ascii=False)  # valid TOML for these
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} into the subset sweep file")


def subset(sweep: Path, values: int, folder: Path) -> Path:
    """A copy of a grid sweep keeping the first ``values`` values of each parameter."""
    spec = load_sweep(sweep)
    if spec.mode != "grid":
        raise SystemExit("--values works on grid sweeps only")
    lines = [f"name = {_toml(spec.name + '_subset')}", f"base = {_toml(spec.base.as_posix())}",
             'mode = "grid"', f"keep_runs = {_toml(spec.keep_runs)}", "[parameters]"]
    lines += [f"{_toml(key)} = {_toml(parameter_values(given, spec.decimals)[:values])}"
              for key, given in spec.parameters.items()]
    lines.append("[set]")
    lines += [f"{_toml(key)} = {_toml(value)}" for key, value in spec.set.items()]
    path = folder / "sweep.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", type=Path, default=SWEEP)
    parser.add_argument("--values", type=int, default=None,
                        help="keep the first N values of each parameter (a smaller grid)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        sweep = args.sweep if args.values is None else subset(args.sweep, args.values, Path(tmp))
        points = len(expand_points(load_sweep(sweep)))
        print(f"{sweep.name}: {points} points")
        times: dict[int, float] = {}
        for workers in args.workers:
            t0 = time.perf_counter()
            summary = run_sweep(sweep, Path(tmp) / f"out-{workers}", workers=workers)
            times[workers] = time.perf_counter() - t0
            statuses = ", ".join(f"{k} {v}" for k, v in summary.statuses.items())
            print(f"  {workers} worker(s): {times[workers]:7.1f} s wall, "
                  f"{times[workers] / points:5.2f} s per point ({statuses})")
        first = min(times)
        for workers, seconds in sorted(times.items()):
            if workers != first:
                print(f"  speed-up {first} -> {workers} workers: {times[first] / seconds:.2f}x")


if __name__ == "__main__":
    main()
