"""Benchmark: uncertainty draws of Yongchuan's 560-set ranking on 1 and 2 Dask workers.

Runs the same N draws (default 1000; ``--draws``) on a local cluster of one worker and of two,
each into a fresh folder, and prints for each: the wall time, the cluster start (processes,
imports, scattering the draw base once), the draw phase (first submission to last record
stored) with the CPU time the workers got in it, and the rest (loading, tables); then the one-
to two-worker ratio of the draw phase and of the wall time, and the load average before and
after. The cores are shared with other work: a load average above the core count, or workers
on a core much less than 100 % of the draw phase, means the ratio understates what two idle
cores give; the figures say what this run saw, no more.

    .venv/bin/python benchmarks/bench_uncertainty.py --draws 1000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from optimizer.uncertainty.job import UncertaintySummary, run_uncertainty

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "yongchuan_2030.toml"


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    runs: dict[int, tuple[float, UncertaintySummary]] = {}
    print(f"before: {_load()}")
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            t0 = time.perf_counter()
            summary = run_uncertainty(SCENARIO, Path(tmp) / f"w{workers}", draws=args.draws,
                                      workers=workers, make_map=False)
            wall = time.perf_counter() - t0
            runs[workers] = (wall, summary)
            rest = wall - summary.startup_s - summary.compute_s
            busy = summary.worker_cpu_s / (summary.workers * summary.compute_s)
            print(f"{args.draws} draws on {summary.workers} worker(s): wall {wall:.1f} s = "
                  f"cluster start {summary.startup_s:.1f} s + draws {summary.compute_s:.1f} s "
                  f"+ load and tables {rest:.1f} s ({summary.computed} computed, "
                  f"{summary.facts['sensitivity_draws']} with the per-group attribution); "
                  f"in the draw phase: worker CPU {summary.worker_cpu_s:.1f} s (each worker "
                  f"on a core {100 * busy:.0f} % of the time), this process (scheduler, "
                  f"storing records) {summary.client_cpu_s:.1f} s; {_load()}")
        same = all((Path(tmp) / "w1" / name).read_bytes() == (Path(tmp) / "w2" / name)
                   .read_bytes() for name in ("draws.csv", "probabilities.csv"))
    (wall1, one), (wall2, two) = runs[1], runs[2]
    print(f"speed-up 1 -> 2 workers, draw phase: {one.compute_s / two.compute_s:.2f} "
          f"({one.compute_s:.1f} s -> {two.compute_s:.1f} s); wall: {wall1 / wall2:.2f}")
    print(f"per draw on 2 workers: {1000 * two.compute_s / args.draws:.1f} ms; "
          f"the same tables on 1 and 2 workers: {same}")
    print(f"after: {_load()}")


if __name__ == "__main__":
    main()
