"""Read spreadsheet layers (.xlsx): a workbook per layer, or one workbook with a sheet per layer."""

from __future__ import annotations

import math
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from optimizer.dataset.readers import RawTable
from optimizer.errors import Problem

__all__ = ["SHEET_SUFFIXES", "list_sheets", "read_sheet"]

SHEET_SUFFIXES = (".xlsx", ".xlsm")
_RESAVE = "open it in Excel and save it again as an Excel Workbook (.xlsx)"


def list_sheets(path: Path, label: str) -> tuple[list[str], list[Problem]]:
    """The names of a workbook's sheets, or the problem that stops it from being opened."""
    if not path.exists():
        return [], [Problem(label, "", "", "", "file not found", "check the path")]
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            return [str(name) for name in book.sheet_names], []
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as err:
        return [], [Problem(label, "", "", "", f"not readable as an Excel workbook ({err})",
                            _RESAVE)]


def read_sheet(path: Path, sheet: str, label: str) -> tuple[RawTable | None, list[Problem]]:
    """Read one sheet as text cells; the header is its first non-empty row.

    Rows are named as Excel shows them (``"row 5"``), counting the empty rows above the header
    and between the data; entirely empty rows are skipped.
    """
    try:
        cells = pd.read_excel(path, sheet_name=sheet, header=None, dtype=object,
                              engine="openpyxl")
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as err:
        return None, [Problem(label, "", "", "", f"not readable as an Excel sheet ({err})",
                              _RESAVE)]
    text = cells.map(cell_text)
    filled = (text != "").any(axis=1).to_numpy()
    if not filled.any():
        return None, [Problem(label, "", "", "", "sheet is empty",
                              "put the header in the first row and one row per record below")]
    top = int(filled.argmax())
    header = [name.strip() for name in text.iloc[top]]
    keep = [i for i, name in enumerate(header) if name or (text.iloc[top + 1:, i] != "").any()]
    body = text.iloc[top + 1:, keep]
    body.columns = [header[i] or f"column {_letters(i)}" for i in keep]
    body = body[(body != "").any(axis=1)]
    rows = tuple(f"row {int(i) + 1}" for i in body.index)
    if body.empty:
        return None, [Problem(label, f"row {top + 1}", "", "", "sheet has a header but no data "
                              "rows", "add the rows below the header")]
    return RawTable(body.reset_index(drop=True), rows, f"row {top + 1}"), []


def cell_text(value: object) -> str:
    """A cell as the text a CSV export would hold: whole numbers without '.0', dates as ISO."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _letters(index: int) -> str:
    """The spreadsheet column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name
