"""Report sections every report shares: the interactive map and the provenance of the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.dataset.load import Dataset
from optimizer.report.html import bullets, esc, paragraph, section, table
from optimizer.report.i18n import status_name, subject_name, text
from optimizer.report.provenance import map_note, provenance_lines

__all__ = ["interactive_section", "provenance_section"]


def interactive_section(present: bool, lang: str = "en") -> str:
    """A link to ``map.html`` and, on screen, the map itself in a frame."""
    if not present:
        return section("map", text("toc.map", lang), [paragraph(text("map.not_drawn", lang))])
    return section("map", text("toc.map", lang), [
        text("map.open", lang),
        '<iframe class="map screen-only" src="map.html" '
        f'title="{esc(text("map.frame", lang))}"></iframe>',
    ])


def provenance_section(dataset: Dataset, summary: dict[str, Any] | None,
                       lang: str = "en") -> str:
    """What is sourced and what is estimated, from the dataset's own provenance columns."""
    lines = provenance_lines(dataset)
    parts = [paragraph(map_note(dataset, lang))]
    if lines:
        frame = pd.DataFrame([{
            text("prov.what", lang): subject_name(line.subject, lang),
            text("prov.status", lang): status_name(line.status, lang),
            text("prov.method", lang): " | ".join(line.methods[:3])
            + (text("prov.more", lang, n=len(line.methods) - 3) if len(line.methods) > 3
               else ""),
        } for line in lines])
        parts.append(table(frame))
    else:
        parts.append(paragraph(text("prov.none", lang)))
    inputs = (summary or {}).get("inputs")
    if isinstance(inputs, dict) and inputs:
        rows = [{text("prov.role", lang): role, text("prov.file", lang): info.get("file", ""),
                 "sha256": info.get("sha256", "")}
                for role, info in sorted(inputs.items()) if isinstance(info, dict)]
        parts.append(f"<h3>{esc(text('prov.inputs', lang))}</h3>")
        parts.append(table(pd.DataFrame(rows)))
    versions = (summary or {}).get("versions")
    if isinstance(versions, dict) and versions:
        parts.append(paragraph(text("prov.software", lang) + ", ".join(
            f"{k} {v}" for k, v in sorted(versions.items())), "note"))
    parts.append(bullets([text("prov.counts", lang), text("prov.travel", lang)]))
    files = sorted(Path(v).name for v in dataset.files.values())
    return section("provenance", text("toc.provenance", lang), [
        *parts, f'<p class="note">{esc(text("prov.files", lang))}{esc(", ".join(files))}</p>'])
