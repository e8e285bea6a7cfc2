"""Per-point result files of a sweep: written atomically, read back to resume a sweep.

Each finished point is ``points/<point_id>.json`` in the sweep's output folder. A file is written
to a temporary name in the same folder and renamed into place (``os.replace``), so a killed sweep
leaves whole files or none; a leftover temporary file is ignored. On a rerun, a point whose file
exists and carries the same fingerprint (base scenario and fixed overrides) is not solved again.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from optimizer.results.records import read_record, write_record

__all__ = ["point_path", "read_points", "write_point"]


def point_path(points_dir: Path, point_id: str) -> Path:
    """Where the result of a point is stored."""
    return points_dir / f"{point_id}.json"


def write_point(points_dir: Path, record: dict[str, Any]) -> Path:
    """Store one point's record as sorted, indented JSON; return the file written."""
    return write_record(point_path(points_dir, str(record["point_id"])), record)


def read_points(points_dir: Path, point_ids: Iterable[str],
                fingerprint: str) -> dict[str, dict[str, Any]]:
    """The stored records of ``point_ids`` computed with ``fingerprint``, keyed by point id.

    A file that is unreadable (it cannot be half-written, but it can be edited by hand) or was
    computed from another base scenario is left out, so the point is solved again.
    """
    found: dict[str, dict[str, Any]] = {}
    for pid in point_ids:
        record = read_record(point_path(points_dir, pid), "point_id", pid, fingerprint)
        if record is not None:
            found[pid] = record
    return found
