"""Report sections every report shares: the interactive map and the provenance of the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.dataset.load import Dataset
from optimizer.report.html import bullets, esc, paragraph, section, table
from optimizer.report.provenance import map_note, provenance_lines

__all__ = ["interactive_section", "provenance_section"]


def interactive_section(present: bool) -> str:
    """A link to ``map.html`` and, on screen, the map itself in a frame."""
    if not present:
        return section("map", "Interactive map", [paragraph(
            "Maps were not drawn for this report (--no-maps).")])
    return section("map", "Interactive map", [
        '<p>Open <a href="map.html">map.html</a> (one file, works offline): towns with their '
        "figures in a popup, facilities by tier, service areas and the villages outside, each "
        "switchable in the layer list.</p>",
        '<iframe class="map screen-only" src="map.html" title="interactive map"></iframe>',
    ])


def provenance_section(dataset: Dataset, summary: dict[str, Any] | None) -> str:
    """What is sourced and what is estimated, from the dataset's own provenance columns."""
    lines = provenance_lines(dataset)
    parts = [paragraph(map_note(dataset))]
    if lines:
        frame = pd.DataFrame([{
            "what": line.subject,
            "status": line.status,
            "method (most frequent first)": " | ".join(line.methods[:3])
            + (f" | … {len(line.methods) - 3} more" if len(line.methods) > 3 else ""),
        } for line in lines])
        parts.append(table(frame))
    else:
        parts.append(paragraph("The dataset carries no provenance columns: check its sources "
                               "before quoting a number."))
    inputs = (summary or {}).get("inputs")
    if isinstance(inputs, dict) and inputs:
        rows = [{"role": role, "file": info.get("file", ""), "sha256": info.get("sha256", "")}
                for role, info in sorted(inputs.items()) if isinstance(info, dict)]
        parts.append("<h3>Input files of this run</h3>")
        parts.append(table(pd.DataFrame(rows)))
    versions = (summary or {}).get("versions")
    if isinstance(versions, dict) and versions:
        parts.append(paragraph("Software: " + ", ".join(
            f"{k} {v}" for k, v in sorted(versions.items())), "note"))
    parts.append(bullets([
        "Resource counts reproduce district totals; facility-level figures are estimates "
        "unless the row says sourced.",
        "Travel times are modelled (straight line with detour and speeds, or a road graph), "
        "not measured.",
    ]))
    files = sorted(Path(v).name for v in dataset.files.values())
    return section("provenance", "Where the data come from", [
        *parts, f'<p class="note">Files: {esc(", ".join(files))}</p>'])
