"""Per-draw result files: one JSON file per draw, written atomically, read back to resume.

Draw ``i`` is ``draws/draw_<i>.json`` (six digits) in the output folder, written to a temporary
name beside it and renamed into place, so a killed run leaves whole files or none. Each file
carries the fingerprint of what produced it (scenario, data files, sites, seed, sensitivity
draws); on a rerun a draw whose file exists with the same fingerprint is not computed again.

Draw files are not flushed to disk one by one (``fsync``): at about 6 ms each on this machine
that made the single process storing the records slower than two workers computing them.
A killed process loses nothing written (the rename is atomic, the data is in the page cache);
after a power cut a file may be cut short, then it does not parse and the draw is simply
computed again. The tables, read by people, are still written with ``fsync``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from optimizer.results.records import read_record, write_record

__all__ = ["draw_path", "read_draws", "write_draw"]


def draw_path(folder: Path, draw: int) -> Path:
    """Where draw ``draw`` is stored."""
    return folder / f"draw_{draw:06d}.json"


def write_draw(folder: Path, record: dict[str, Any]) -> Path:
    """Store one draw's record as sorted JSON (atomically, without ``fsync``); return the file."""
    return write_record(draw_path(folder, int(record["draw"])), record, compact=True, fsync=False)


def read_draws(folder: Path, draws: Iterable[int], fingerprint: str) -> dict[int, dict[str, Any]]:
    """The stored records of ``draws`` made with ``fingerprint`` (others are left out)."""
    found: dict[int, dict[str, Any]] = {}
    for draw in draws:
        record = read_record(draw_path(folder, draw), "draw", draw, fingerprint)
        if record is not None:
            found[draw] = record
    return found
