"""Start-up of ``medalloc app`` to a usable page on the shipped data.

Starts the app as a user does (a fresh process), then times until the data page answers and
its map layers (towns, villages, facilities) have been served: that is when the planner can
work. Also times the data page once warm, and the results page of a run already on disk is not
needed. Prints seconds per repeat and the ratio to the 3 s goal.

    python benchmarks/bench_app.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 3.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_once(workspace: Path) -> tuple[float, float, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "optimizer", "app", "--data", str(ROOT / "data"),
         "--scenarios", str(ROOT / "scenarios"), "--workspace", str(workspace),
         "--port", str(port)], start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                page = httpx.get(f"{url}/data", timeout=10)
                if page.status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.02)
            if time.perf_counter() - began > 60:
                raise SystemExit("the app did not answer within 60 s")
        page_s = time.perf_counter() - began
        layers = httpx.get(f"{url}/api/datasets/data/layers", timeout=30)
        layers.raise_for_status()
        usable_s = time.perf_counter() - began
        warm = time.perf_counter()
        httpx.get(f"{url}/data", timeout=10).raise_for_status()
        warm_s = time.perf_counter() - warm
        return page_s, usable_s, warm_s
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    usable = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            page_s, usable_s, warm_s = start_once(Path(tmp) / f"ws{i}")
            usable.append(usable_s)
            print(f"start {i + 1}: data page {page_s:.2f} s, page and map layers "
                  f"{usable_s:.2f} s (warm data page {warm_s * 1000:.0f} ms)")
    median = statistics.median(usable)
    print(f"start-up to a usable page: median {median:.2f} s over {args.repeats}; goal "
          f"{GOAL_S:.0f} s; ratio to goal {median / GOAL_S:.2f}")


if __name__ == "__main__":
    main()
