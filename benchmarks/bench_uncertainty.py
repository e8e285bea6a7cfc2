"""Benchmark: uncertainty draws of Yongchuan's 560-set ranking on 1 and 2 Dask workers.

Prints the wall time of N draws (default 200; ``--draws``) on a local cluster of one worker and
of two, into fresh folders, the speed-up, and the extrapolation to 1 000 draws. The machine's
cores may be shared with other work: the figures say what this run saw, no more.

    .venv/bin/python benchmarks/bench_uncertainty.py --draws 200
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from optimizer.uncertainty.job import run_uncertainty

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "yongchuan_2030.toml"


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=200)
    args = parser.parse_args()
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            t0 = time.perf_counter()
            summary = run_uncertainty(SCENARIO, Path(tmp) / f"w{workers}", draws=args.draws,
                                      workers=workers, make_map=False)
            times[workers] = time.perf_counter() - t0
            print(f"{args.draws} draws on {workers} worker(s): {times[workers]:.1f} s "
                  f"({summary.computed} computed, {summary.facts['sensitivity_draws']} with "
                  "the per-group attribution)")
    print(f"speed-up 1 -> 2 workers: {times[1] / times[2]:.2f}")
    per_draw = times[2] / args.draws
    print(f"extrapolated 1000 draws on 2 workers: {1000 * per_draw:.0f} s "
          "(upper bound: the fixed start-up and the 50 attribution draws are counted per draw)")


if __name__ == "__main__":
    main()
