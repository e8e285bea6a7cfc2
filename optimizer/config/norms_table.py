"""Read a norms table (CSV): staffing and bed norms per facility tier, each with its document.

One row per norm, the columns of ``COLUMNS``:

``tiers``
    facility tiers it applies to, separated by ``;`` (``sub_centre`` for an upgraded health
    centre);
``specialties``
    hospital specialties (``;``-separated; empty: any), see ``optimizer.dataset.schema``;
``resource``, ``basis``, ``rate``
    e.g. ``doctors``, ``per_bed``, ``0.293``; bases are ``per_bed``, ``per_1000_served`` and
    ``per_10000_visits``;
``kind``
    ``NATIONAL``, ``PROVINCIAL``, ``PLAN``, ``DEFINITION`` or ``ASSUMPTION``;
``document``, ``clause``, ``derivation``
    the document's name and number, the figure as it stands there, and how the rate follows
    from it. An ASSUMPTION names its basis in ``derivation``.

Every problem of the file is reported at once, with its row, column, value and the fix.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pydantic import ValidationError

from optimizer.config.need_sections import NeedNorm
from optimizer.errors import ScenarioError

__all__ = ["BASES", "COLUMNS", "KINDS", "read_norms"]

COLUMNS = ("tiers", "specialties", "resource", "basis", "rate", "kind", "document", "clause",
           "derivation")
BASES = ("per_bed", "per_1000_served", "per_10000_visits")
KINDS = ("NATIONAL", "PROVINCIAL", "PLAN", "DEFINITION", "ASSUMPTION")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def read_norms(path: Path) -> list[NeedNorm]:
    """The norms of the table at ``path``, in file order.

    Raises
    ------
    ScenarioError
        If the file is missing or unreadable, lacks a column, or any row has a value out of
        place; every problem is listed.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: norms table not found; put a norms table there (the "
                            "shipped data/norms.csv is one) or fix [need] norms_file, a path "
                            "relative to the [data] folder") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text; re-save the norms table as UTF-8 "
                            "(CSV UTF-8 in Excel)") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ScenarioError(f"{path}: column(s) {', '.join(missing)} missing; a norms table has "
                            f"the columns {', '.join(COLUMNS)}")
    norms: list[NeedNorm] = []
    problems: list[str] = []
    for number, row in enumerate(reader, start=2):
        where = f"{path}, row {number}"
        cells = {key: (row.get(key) or "").strip() for key in COLUMNS}
        if cells["basis"] not in BASES:
            problems.append(f"{where}, column basis: '{cells['basis']}' is not a basis; use one "
                            f"of {', '.join(BASES)}")
            continue
        if cells["kind"] not in KINDS:
            problems.append(f"{where}, column kind: '{cells['kind']}' is not a kind; use one of "
                            f"{', '.join(KINDS)}")
            continue
        if not cells["document"] or (cells["kind"] == "ASSUMPTION" and not cells["derivation"]):
            problems.append(f"{where}, column document/derivation: empty; name the document, "
                            "or for an ASSUMPTION its basis in derivation")
            continue
        try:
            rate = float(cells["rate"])
        except ValueError:
            problems.append(f"{where}, column rate: '{cells['rate']}' is not a number; write a "
                            "plain number such as 0.44")
            continue
        parts = [f"{cells['kind']}: {cells['document']}"]
        parts += [cells[key] for key in ("clause", "derivation") if cells[key]]
        try:
            norms.append(NeedNorm.model_validate({
                "tiers": _split(cells["tiers"]), "specialties": _split(cells["specialties"]),
                "resource": cells["resource"], cells["basis"]: rate,
                "source": "; ".join(parts)}))
        except ValidationError as err:
            for error in err.errors():
                column = str(error["loc"][0]) if error["loc"] else "row"
                column = "rate" if column in BASES else column
                problems.append(f"{where}, column {column}: {error['msg']} (got "
                                f"'{cells.get(column, '')}')")
    if problems:
        raise ScenarioError("\n".join(problems))
    return norms
