"""Write ``report.html``, ``map.html`` and the PNG maps into a finished output folder.

The three entry points are called by the CLI after ``run``, ``coverage`` and ``justify`` have
written their files; they read those files (never solver objects) and the dataset's layers.
Each file is written to a temporary name and renamed, so a reader never sees half a report.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from optimizer.dataset.load import Dataset
from optimizer.report.cartography import projected_crs
from optimizer.report.common_sections import interactive_section, provenance_section
from optimizer.report.coverage_sections import gaps_section, outside_section
from optimizer.report.figures import (
    Figure,
    coverage_figures,
    justify_figures,
    run_figures,
    service_label,
)
from optimizer.report.html import page, section
from optimizer.report.interactive import write_interactive_map
from optimizer.report.justify_sections import justification_html
from optimizer.report.outputs import (
    CoverageOutputs,
    JustifyOutputs,
    RunOutputs,
    facility_changes,
    read_coverage_outputs,
    read_justify_outputs,
    read_run_outputs,
)
from optimizer.report.overlays import (
    facility_overlays,
    gap_overlays,
    legend_html,
    service_area_overlays,
    town_overlay,
)
from optimizer.report.provenance import map_note
from optimizer.report.run_sections import (
    coverage_section,
    indicators_section,
    number,
    overview_section,
    pct,
    plan_section,
    sub_centres_section,
    whole,
    why_here_section,
    years_of,
)
from optimizer.report.static_maps import MapLayers, map_layers
from optimizer.report.uncertainty_outputs import read_uncertainty_outputs, uncertainty_folder
from optimizer.report.uncertainty_sections import uncertainty_html

__all__ = ["write_coverage_report", "write_justify_report", "write_run_report"]

REPORT = "report.html"
MAP = "map.html"


def write_run_report(out_dir: Path | str, dataset: Dataset, *, maps: bool = True) -> list[Path]:
    """Add the report of a ``medalloc run`` folder (``plan.csv``, ``towns.csv``, ...).

    Also uses, when present, the coverage job of the same data in ``out_dir/coverage/`` (the
    villages outside before the plan) and justification files in ``out_dir`` or
    ``out_dir/justify/``.

    Parameters
    ----------
    out_dir : path
        The run's output folder; ``report.html`` (and with ``maps`` ``map.html`` and PNGs) are
        added to it.
    dataset : Dataset
        The run's input layers (``optimizer.dataset.load.load_dataset``).
    maps : bool
        Draw the static and interactive maps (``--no-maps`` turns them off).

    Returns
    -------
    list of pathlib.Path
        The files written, sorted.

    Raises
    ------
    DataError
        The folder lacks one of the run's files.
    """
    folder = Path(out_dir)
    run = read_run_outputs(folder)
    before = _optional_coverage(folder / "coverage")
    justify = _find_justify(folder)
    names = _town_names(dataset)
    written: list[Path] = []
    figures: list[Figure] = []
    if maps:
        layers = _layers(dataset, before.summary if before else None)
        figures = _staged(folder, written, lambda tmp: run_figures(tmp, run, layers, before,
                                                                    justify))
        _write_run_map(folder, written, run, layers, before, names)
    scenario = str(run.summary.get("scenario", folder.name))
    first, last = years_of(run)
    sections = [
        ("overview", "The plan in brief", overview_section(run, figures)),
        ("indicators", "Plan targets and what the plan achieves",
         indicators_section(run, figures)),
        ("plan", "What moves where", plan_section(run, figures, names)),
        ("why", "Why here", why_here_section(run)),
        ("coverage", "Who is still outside", coverage_section(run, figures, names, before)),
        ("sites", "Sub-centres and why",
         sub_centres_section(run, figures, names, justification_html(justify))),
        ("map", "Interactive map", interactive_section(maps)),
        ("provenance", "Where the data come from", provenance_section(dataset, run.summary)),
    ]
    html = page(f"{scenario}: health resource plan {first}–{last}",
                str(run.summary.get("description", "")), sections)
    _write_text(folder / REPORT, html, written)
    return sorted(written)


def write_coverage_report(out_dir: Path | str, dataset: Dataset, *,
                          maps: bool = True) -> list[Path]:
    """Add the report of a ``medalloc coverage`` folder (``coverage.csv``, ``gaps.gpkg``, ...).

    Parameters and return value as :func:`write_run_report`.
    """
    folder = Path(out_dir)
    cov = read_coverage_outputs(folder)
    names = _town_names(dataset)
    written: list[Path] = []
    figures: list[Figure] = []
    if maps:
        layers = _layers(dataset, cov.summary)
        figures = _staged(folder, written, lambda tmp: coverage_figures(tmp, cov, layers))
        _write_coverage_map(folder, written, cov, layers, names)
    sections = [
        ("outside", "Who is outside", outside_section(cov)),
        ("gaps", "Coverage gaps by town and village", gaps_section(cov, figures, names)),
        ("map", "Interactive map", interactive_section(maps)),
        ("provenance", "Where the data come from", provenance_section(dataset, cov.summary)),
    ]
    html = page("Coverage of the current network",
                "Travel times from every village to the nearest care of each tier, and who "
                "is outside each threshold.", sections)
    _write_text(folder / REPORT, html, written)
    return sorted(written)


def write_justify_report(out_dir: Path | str, dataset: Dataset, *,
                         maps: bool = True) -> list[Path]:
    """Add the report of a justification folder (``justification.md``, ``ranking.csv``, ...).

    When the folder (or its parent) also holds the run's files, the chosen sub-centres are
    mapped against the best-ranked set. Parameters and return value as
    :func:`write_run_report`.
    """
    folder = Path(out_dir)
    justify = read_justify_outputs(folder)
    run_folder = next((f for f in (folder, folder.parent) if (f / "plan.csv").is_file()), None)
    run = read_run_outputs(run_folder) if run_folder is not None else None
    names = _town_names(dataset)
    written: list[Path] = []
    figures: list[Figure] = []
    if maps and run is not None:
        layers = _layers(dataset, None)
        figures = _staged(folder, written,
                          lambda tmp: justify_figures(tmp, run, layers, justify))
        _write_run_map(folder, written, run, layers, None, names)
    parts = []
    if run is not None:
        parts.append(sub_centres_section(run, figures, names, justification_html(justify)))
    else:
        parts.append(section("sites", "Sub-centres and why", [justification_html(justify)]))
    sections = [("sites", "Sub-centres and why", parts[0])]
    draws = uncertainty_folder(folder, justify.justification)
    if draws is not None:
        sites = (justify.justification or {}).get("sites", [])
        codes = [str(s["town_code"]) for s in sites if isinstance(s, dict)]
        sections.append(("uncertainty", "How sure: the draws",
                         section("uncertainty", "How sure: the draws", [uncertainty_html(
                             read_uncertainty_outputs(draws), codes)])))
    sections += [("map", "Interactive map", interactive_section(maps and run is not None)),
                 ("provenance", "Where the data come from",
                  provenance_section(dataset, run.summary if run else None))]
    title = str(run.summary.get("scenario", folder.name)) if run else folder.name
    html = page(f"{title}: why these sub-centres",
                "The chosen sub-centres against every alternative the scenario allows.",
                sections)
    _write_text(folder / REPORT, html, written)
    return sorted(written)


def _layers(dataset: Dataset, summary: dict[str, object] | None) -> MapLayers:
    return map_layers(dataset, projected_crs(dataset.towns, summary), map_note(dataset))


def _town_names(dataset: Dataset) -> dict[str, str]:
    return dict(zip(dataset.towns["code"].astype(str), dataset.towns["name_zh"].astype(str),
                    strict=True))


def _optional_coverage(folder: Path) -> CoverageOutputs | None:
    required = ("coverage.csv", "towns_coverage.csv", "summary.json")
    if all((folder / name).is_file() for name in required):
        return read_coverage_outputs(folder)
    return None


def _find_justify(folder: Path) -> JustifyOutputs | None:
    for candidate in (folder, folder / "justify", folder / "justification"):
        if candidate.is_dir():
            found = read_justify_outputs(candidate)
            if not found.empty:
                return found
    return None


def _staged(folder: Path, written: list[Path],
            draw: Callable[[Path], list[Figure]]) -> list[Figure]:
    """Draw figures into a temporary folder beside ``folder``, then move each into place."""
    with tempfile.TemporaryDirectory(dir=folder, prefix=".report-") as tmp:
        figures = draw(Path(tmp))
        for fig in figures:
            target = folder / fig.file
            os.replace(Path(tmp) / fig.file, target)
            written.append(target)
    return list(figures)


def _write_text(path: Path, text: str, written: list[Path]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    written.append(path)


def _write_run_map(folder: Path, written: list[Path], run: RunOutputs, layers: MapLayers,
                   before: CoverageOutputs | None, names: dict[str, str]) -> None:
    first, last = years_of(run)
    towns = run.towns
    share_col = "covered_share_primary" if "covered_share_primary" in towns.columns else next(
        (c for c in towns.columns if c.startswith("covered_share_")), None)
    at_last = towns[towns["year"] == last].set_index("town_code")
    at_first = towns[towns["year"] == first].set_index("town_code")
    share_outside = ({str(k): 1.0 - float(v) for k, v in at_last[share_col].dropna().items()}
                     if share_col else {})
    figures: dict[str, list[tuple[str, str]]] = {}
    per = [c for c in towns.columns if "_per_" in c]
    shares = [c for c in towns.columns if c.startswith("covered_share_")]
    for code in sorted(at_last.index.astype(str)):
        rows = [("residents", f"{whole(at_first.at[code, 'population'])} → "
                              f"{whole(at_last.at[code, 'population'])}")]
        rows += [(c.replace("_", " "), f"{number(at_first.at[code, c])} → "
                                       f"{number(at_last.at[code, c])}") for c in per]
        rows += [(f"within {service_label(run.summary, c.removeprefix('covered_share_'))}",
                  f"{pct(at_first.at[code, c])} → {pct(at_last.at[code, c])}")
                 for c in shares if not (towns.loc[towns['town_code'] == code, c].isna().all())]
        figures[code] = [(k, v) for k, v in rows]
    header = [("", f"{first} → {last}")]
    figures = {k: header + v for k, v in figures.items()}
    tiers_last = dict(run.plan[run.plan["year"] == last].drop_duplicates("facility_id")
                      .pipe(lambda f: zip(f["facility_id"], f["tier"].astype(str),
                                          strict=True)))
    facility_rows: dict[str, list[tuple[str, str]]] = {}
    for resource in sorted(set(run.plan["resource"])):
        for row in facility_changes(run.plan, resource).itertuples(index=False):
            facility_rows.setdefault(str(row.facility_id), []).append(
                (resource.replace("_", " "), f"{row.before:,} → {row.after:,}"))
    overlays = [town_overlay(layers.towns, share_outside, figures, f"towns ({last})")]
    overlays += facility_overlays(layers.facilities, tiers_last, facility_rows)
    if before is not None:
        overlays += service_area_overlays(before.gaps, " (before the plan)")
        # Before-the-plan villages would read as after-the-plan gaps on this map: off at start.
        overlays += gap_overlays(layers.demand, before.coverage, names, " (before the plan)",
                                 groups=("primary",), show_first=False)
    label = service_label(run.summary, share_col.removeprefix("covered_share_")) \
        if share_col else "coverage"
    tmp = folder / f".{MAP}.tmp"
    write_interactive_map(tmp, f"{run.summary.get('scenario', '')}: the plan in {last}",
                          overlays, legend_html(f"{last}: residents outside {label}",
                                                gaps=before is not None), layers.note)
    os.replace(tmp, folder / MAP)
    written.append(folder / MAP)


def _write_coverage_map(folder: Path, written: list[Path], cov: CoverageOutputs,
                        layers: MapLayers, names: dict[str, str]) -> None:
    shares = sorted(c for c in cov.towns.columns if c.startswith("covered_share_primary_"))
    share_col = shares[0] if shares else next(
        (c for c in cov.towns.columns if c.startswith("covered_share_")), None)
    towns = cov.towns.set_index("town_code")
    share_outside = ({str(k): 1.0 - float(v) for k, v in towns[share_col].dropna().items()}
                     if share_col else {})
    figures = {
        str(code): [("residents", whole(row["population"]))]
        + [(f"within {c.removeprefix('covered_share_').replace('_', ' ')} min", pct(row[c]))
           for c in towns.columns if c.startswith("covered_share_")]
        + [(c.replace("_", " "), number(row[c])) for c in towns.columns if "_per_" in c]
        for code, row in towns.iterrows()
    }
    tiers = dict(zip(layers.facilities["facility_id"], layers.facilities["tier"].astype(str),
                     strict=True))
    resources = [c for c in ("beds", "doctors", "nurses", "gps", "public_health_staff")
                 if c in layers.facilities.columns]
    facility_rows = {
        str(row["facility_id"]): [(r, whole(row[r])) for r in resources]
        for _, row in layers.facilities.iterrows()
    }
    overlays = [town_overlay(layers.towns, share_outside, figures, "towns")]
    overlays += facility_overlays(layers.facilities, tiers, facility_rows)
    overlays += service_area_overlays(cov.gaps, "")
    overlays += gap_overlays(layers.demand, cov.coverage, names, "")
    label = share_col.removeprefix("covered_share_").replace("_", " ") + " min" \
        if share_col else "coverage"
    tmp = folder / f".{MAP}.tmp"
    write_interactive_map(tmp, "Coverage of the current network", overlays,
                          legend_html(f"residents outside {label}", gaps=True), layers.note)
    os.replace(tmp, folder / MAP)
    written.append(folder / MAP)
