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

from optimizer.results.records import read_record, record_bytes, write_atomically

__all__ = ["draw_bytes", "draw_path", "read_draws", "store_draw"]


def draw_path(folder: Path, draw: int) -> Path:
    """Where draw ``draw`` is stored."""
    return folder / f"draw_{draw:06d}.json"


def draw_bytes(record: dict[str, Any]) -> bytes:
    """A draw's record as its file holds it: one line of sorted JSON.

    Encoded where the draw is computed (on a worker), so the one process storing the draws
    only writes bytes: the encoding was most of its serial work.
    """
    return record_bytes(record, compact=True)


def store_draw(folder: Path, draw: int, data: bytes) -> Path:
    """Store draw ``draw``'s encoded record (`draw_bytes`) atomically, without ``fsync``."""
    path = draw_path(folder, draw)
    write_atomically(path, data, fsync=False)
    return path


def read_draws(folder: Path, draws: Iterable[int], fingerprint: str) -> dict[int, dict[str, Any]]:
    """The stored records of ``draws`` made with ``fingerprint`` (others are left out)."""
    found: dict[int, dict[str, Any]] = {}
    for draw in draws:
        record = read_record(draw_path(folder, draw), "draw", draw, fingerprint)
        if record is not None:
            found[draw] = record
    return found
