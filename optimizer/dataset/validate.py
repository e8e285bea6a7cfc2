"""Check a layer's columns and cells, collecting every problem before failing."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from optimizer.dataset.schema import COUNT_COLUMNS, MAX_FACILITY_COUNT, Column, Kind, Layer
from optimizer.errors import Problem

__all__ = ["check_columns", "check_values", "closest", "parse_number", "plausible_range"]


def closest(name: str, options: Iterable[str]) -> str | None:
    """The option most like ``name`` (for "did you mean" hints), or None."""
    found = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return found[0] if found else None


def check_columns(
    frame: pd.DataFrame, layer: Layer, label: str, header: str, tabular: bool
) -> list[Problem]:
    """Report required columns that are missing, naming a misspelt column when there is one.

    ``header`` is where the header row is (``"line 1"``, ``"row 3"``, or ``""`` for a vector
    layer); ``tabular`` says the layer came as a table, so it needs its lon/lat columns.
    """
    present = [c for c in frame.columns if c != "geometry"]
    needed = [c for c in layer.columns if c.required]
    if not tabular and layer.point_columns:
        needed = [c for c in needed if c.name not in layer.point_columns]
    problems = []
    known = [c.name for c in layer.columns]
    for column in needed:
        if column.name in present:
            continue
        unclaimed = [c for c in present if c not in known]
        guess = closest(column.name, unclaimed)
        if guess:
            message = f"required column '{column.name}' is missing; '{guess}' looks misspelt"
            fix = f"rename column '{guess}' to '{column.name}'"
        else:
            message = f"required column '{column.name}' is missing"
            fix = f"add a column '{column.name}'" + (f" ({column.help})" if column.help else "")
        problems.append(Problem(label, header, column.name, "", message, fix))
    return problems


def parse_number(text: str, decimal_comma: bool = False) -> float | None:
    """A cell's number (NaN for an empty cell), or None when it is not a number.

    A comma is a thousands mark (``1,500``), or the decimal mark when ``decimal_comma``
    (``1.234,5``; a number with a dot and no comma, ``29.35``, reads as usual).
    """
    if decimal_comma and "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        value = float(text.replace(",", "")) if text.strip() else math.nan
    except ValueError:
        return None
    return value


def check_values(
    frame: pd.DataFrame, layer: Layer, label: str, rows: Sequence[str],
    decimal_comma: bool = False,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check and convert every cell; returns the typed frame and the problems found.

    ``frame`` holds strings (as read from CSV or a sheet, or vector attributes turned into
    text); ``rows`` names each row's place in the file. A rejected number becomes NaN in the
    typed frame.
    """
    problems: list[Problem] = []
    typed = frame.copy()
    columns = [c for c in layer.columns if c.name in frame.columns]
    if layer.extra_counts:
        known = {c.name for c in layer.columns}
        for name in frame.columns:
            if name in known or name == "geometry":
                continue
            values = frame[name].astype(str).str.strip()
            filled = values[values != ""]
            if len(filled) and all(parse_number(v, decimal_comma) is not None for v in filled):
                columns.append(Column(name, Kind.AMOUNT, required=False,
                                      maximum=MAX_FACILITY_COUNT, per="per facility"))
    for column in columns:
        values, found = _check_column(frame[column.name], column, label, rows, decimal_comma)
        typed[column.name] = values
        problems += found
    if layer.id_column and layer.id_column in frame.columns:
        ids = frame[layer.id_column].astype(str).str.strip()
        for position in np.flatnonzero(ids.duplicated(keep="first").to_numpy()):
            first = int(np.flatnonzero((ids == ids.iloc[position]).to_numpy())[0])
            problems.append(
                Problem(label, rows[int(position)], layer.id_column, ids.iloc[position],
                        f"duplicate id (first used on {rows[first]})",
                        "give every row its own id")
            )
    return typed, problems


def _check_column(
    cells: pd.Series, column: Column, label: str, rows: Sequence[str], decimal_comma: bool
) -> tuple[pd.Series, list[Problem]]:
    texts = cells.astype(str).str.strip().where(cells.notna(), "")
    problems: list[Problem] = []
    out: list[object] = []

    def bad(i: int, value: str, message: str, fix: str) -> None:
        problems.append(Problem(label, rows[i], column.name, value, message, fix))

    for i, text in enumerate(texts):
        if column.kind in (Kind.ID, Kind.REF, Kind.TEXT):
            if not text and column.kind != Kind.TEXT:
                bad(i, text, "value is empty", "fill in the id")
            out.append(text)
            continue
        if column.kind == Kind.CHOICE:
            if text in column.choices or (not text and not column.required):
                out.append(text)
                continue
            guess = closest(text, column.choices)
            hint = f"did you mean '{guess}'? " if guess else ""
            bad(i, text, "not an allowed value",
                f"{hint}use one of: {', '.join(column.choices)}")
            out.append(text)
            continue
        number = parse_number(text, decimal_comma)
        if number is None:
            bad(i, text, "not a number", "write a plain number such as 120 (no units or text)")
            out.append(math.nan)
            continue
        if math.isnan(number) and not text:
            if column.required and column.kind not in (Kind.FRACTION, Kind.SPEED):
                bad(i, text, "value is empty", "fill in a number (0 if there is none)")
            out.append(math.nan)
            continue
        problem = _range_problem(column, number)
        if problem:
            bad(i, text, *problem)
            number = math.nan
        out.append(number)
    typed = pd.Series(out, index=cells.index, name=column.name)
    if column.kind not in (Kind.ID, Kind.REF, Kind.TEXT, Kind.CHOICE):
        typed = typed.astype(float)
        if column.kind == Kind.COUNT and column.name in (*COUNT_COLUMNS, "pop_2020"):
            typed = typed.fillna(0).round().astype("int64")
    return typed, problems


def plausible_range(column: Column) -> str:
    """The values a numeric column accepts, in words ("0 to 100,000 per facility")."""
    low = {Kind.LON: "-180", Kind.LAT: "-90", Kind.SPEED: "above 0"}.get(column.kind, "0")
    high = {Kind.LON: 180.0, Kind.LAT: 90.0, Kind.FRACTION: 1.0}.get(
        column.kind, column.maximum)
    if high is None:
        return f"{low} or more"
    span = f"{low} to {high:,.0f}" if low != "above 0" else f"above 0 and at most {high:,.0f}"
    return f"{span} {column.per}".rstrip()


def _range_problem(column: Column, number: float) -> tuple[str, str] | None:
    if math.isnan(number):
        return ("not a number (NaN)", f"write a number from {plausible_range(column)}"
                + ("" if column.required else ", or leave the cell empty"))
    if math.isinf(number):
        return ("not a finite number", f"write a number from {plausible_range(column)}")
    if column.kind == Kind.LON and not -180 <= number <= 180:
        return ("longitude out of range", "use WGS84 degrees (e.g. 105.9), not projected metres")
    if column.kind == Kind.LAT and not -90 <= number <= 90:
        return ("latitude out of range", "use WGS84 degrees (e.g. 29.35), not projected metres")
    if column.kind in (Kind.COUNT, Kind.AMOUNT) and number < 0:
        return ("negative value", "counts and populations must be 0 or more")
    if column.kind == Kind.COUNT and number != round(number):
        return ("not a whole number", "write a whole count such as 12")
    if column.kind == Kind.FRACTION and not 0 <= number <= 1:
        return ("not a share between 0 and 1", "write e.g. 0.2029 for 20.29 %")
    if column.kind == Kind.SPEED and number <= 0:
        return ("speed must be above 0", "give the speed in km/h, e.g. 40")
    if column.maximum is not None and number > column.maximum:
        ceiling = f"{column.maximum:,.0f} {column.per}".rstrip()
        return (f"implausibly large (more than {ceiling})",
                f"expected {plausible_range(column)}; check for extra digits, a unit mistake "
                "or a total typed into one row")
    return None
