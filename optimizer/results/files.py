"""Tables a planner opens by double-click: CSV in UTF-8 with a BOM, and one ``results.xlsx``.

Excel on a Chinese Windows reads a CSV without a byte-order mark as GBK and garbles every
Chinese name; with the BOM (``utf-8-sig``) it reads UTF-8. Python readers must then pass
``encoding="utf-8-sig"`` (:func:`read_output_csv`) or see the BOM in the first column name.
:func:`write_workbook` gathers a job's CSVs into one workbook, a sheet per table, with ids kept
as text so codes such as ``500118001001`` are not shown as ``5.00118E+11``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["CSV_ENCODING", "WORKBOOK", "csv_bytes", "read_output_csv", "write_csv",
           "write_workbook"]

CSV_ENCODING = "utf-8-sig"
WORKBOOK = "results.xlsx"
_ID_SUFFIXES = ("id", "code", "codes")


def csv_bytes(frame: pd.DataFrame, float_format: str = "%.6f") -> bytes:
    """The CSV text of ``frame`` (no index, Unix line ends), encoded with the BOM."""
    text = frame.to_csv(index=False, float_format=float_format, lineterminator="\n")
    return text.encode(CSV_ENCODING)


def write_csv(frame: pd.DataFrame, path: Path, float_format: str = "%.6f") -> Path:
    """Write ``frame`` to ``path`` as an Excel-friendly CSV; return the path."""
    path.write_bytes(csv_bytes(frame, float_format))
    return path


def read_output_csv(path: Path, **options: Any) -> pd.DataFrame:
    """Read a CSV medalloc wrote (with or without the BOM)."""
    frame: pd.DataFrame = pd.read_csv(path, encoding=CSV_ENCODING, **options)
    return frame


def _is_id(column: str) -> bool:
    return column.lower().endswith(_ID_SUFFIXES)


def _number(value: float, whole: bool) -> float | int | str | None:
    if pd.isna(value):
        return None
    if not math.isfinite(value):
        return str(value)  # Excel has no infinity; keep it readable
    return int(value) if whole else float(value)


def _cells(frame: pd.DataFrame) -> list[list[Any]]:
    """Rows of Python values: numbers as numbers, ids and text as text, blanks as None."""
    columns: list[list[Any]] = []
    for name in frame.columns:
        text = frame[name].astype(str)
        filled = text.ne("")
        values: list[Any] = [v if v != "" else None for v in text.tolist()]
        if not _is_id(str(name)):
            numbers = pd.to_numeric(text.where(filled), errors="coerce")
            if int(numbers.notna().sum()) == int(filled.sum()):
                whole = not text.str.contains(r"[.eEnN]", regex=True).any()
                values = [_number(v, whole) for v in numbers.tolist()]
        columns.append(values)
    return [list(row) for row in zip(*columns, strict=True)]


def write_workbook(folder: Path, names: Sequence[str] | None = None) -> Path:
    """Gather the CSVs of ``folder`` into ``folder/results.xlsx``, one sheet per file.

    Parameters
    ----------
    folder : pathlib.Path
        A job's output folder (or the folder being built for it).
    names : sequence of str, optional
        The CSV files to include, in sheet order; default every ``*.csv`` there, sorted.

    Returns
    -------
    pathlib.Path
        The workbook written.
    """
    from openpyxl import Workbook  # noqa: PLC0415 - only when a workbook is asked for

    files = [folder / n for n in names] if names is not None else sorted(folder.glob("*.csv"))
    book = Workbook(write_only=True)
    for path in files:
        frame = read_output_csv(path, dtype=str, keep_default_na=False)
        sheet = book.create_sheet(title=path.stem[:31])
        sheet.append([str(c) for c in frame.columns])
        for row in _cells(frame):
            sheet.append(row)
    if not files:
        book.create_sheet(title="empty").append(["this job wrote no tables"])
    target = folder / WORKBOOK
    partial = folder / f".{WORKBOOK}.tmp"  # a sweep's folder is live: never show half a book
    try:
        book.save(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target
