"""The sweep's results table: one row per point, sorted by point id; written as CSV and Parquet.

Columns: ``point_id``; one column per varied parameter, named by its dotted key; ``status``,
``objective_name``, ``objective``, ``gap``, ``cost``; ``sub_centres`` (facility ids joined by
``;``, sorted) and ``sub_centre_towns``; then, for the last plan year Y,
``central_village_clinics``, ``<resource>_per_<base>_Y`` and ``coverage_<service>_Y``; ``reason``
last. Parquet is written only when pyarrow is installed (the ``distributed`` extra); CSV always.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.results.files import csv_bytes
from optimizer.results.records import write_atomically

__all__ = ["decision", "parquet_available", "results_table", "write_table"]

_HEAD = ["status", "objective_name", "objective", "gap", "cost", "sub_centres",
         "sub_centre_towns"]


def decision(record: dict[str, Any]) -> str:
    """The point's decision as text: its sub-centre facility ids, sorted, joined by ``;``."""
    return ";".join(sorted(record.get("sub_centres") or []))


def _last_year(records: Sequence[dict[str, Any]]) -> str | None:
    years = {y for r in records for y in r.get("per_capita", {})}
    return max(years, key=int) if years else None


def results_table(records: Sequence[dict[str, Any]], parameters: Sequence[str]) -> pd.DataFrame:
    """One row per point record, sorted by point id, with the columns of the module docstring."""
    year = _last_year(records)
    rows = []
    for record in sorted(records, key=lambda r: str(r["point_id"])):
        row: dict[str, Any] = {"point_id": record["point_id"]}
        row.update({key: record["params"].get(key) for key in parameters})
        row.update({key: record.get(key) for key in _HEAD})
        row["sub_centres"] = decision(record)
        row["sub_centre_towns"] = ";".join(record.get("sub_centre_towns") or [])
        if year is not None:
            row["central_village_clinics"] = record.get("central_village_clinics", {}).get(year)
            for name, value in sorted(record.get("per_capita", {}).get(year, {}).items()):
                row[f"{name}_{year}"] = value
            for service, shares in sorted(record.get("coverage_shares", {}).items()):
                row[f"coverage_{service}_{year}"] = shares.get(year)
        row["reason"] = record.get("reason", "")
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=["point_id", *parameters, *_HEAD, "reason"])
    ordered = [c for c in frame.columns if c != "reason"] + ["reason"]
    # numbers stay numbers with None as missing, so the table reads back with the right dtypes
    for key in parameters:  # a column mixing text and numbers is text (Parquet needs one type)
        if not frame[key].map(lambda v: isinstance(v, int | float)).all():
            frame[key] = frame[key].astype(str)
    for column in ("objective", "gap", "cost"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    if "central_village_clinics" in frame:
        frame["central_village_clinics"] = frame["central_village_clinics"].astype("Int64")
    return frame[ordered]


def parquet_available() -> bool:
    """Whether pyarrow is installed, so the table can also be written as Parquet."""
    return find_spec("pyarrow") is not None


def write_table(frame: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Write ``results.csv`` (and ``results.parquet`` with pyarrow) atomically; return the files."""
    written = [out_dir / "results.csv"]
    write_atomically(written[0], csv_bytes(frame))  # with the BOM Excel needs for Chinese
    if parquet_available():
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        written.append(out_dir / "results.parquet")
        write_atomically(written[1], buffer.getvalue())
    return written
