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
from optimizer.report.fonts import cjk_font
from optimizer.report.html import page, section
from optimizer.report.i18n import (
    check_lang,
    measure_label,
    resource_name,
    service_name,
    share_column_label,
    text,
)
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


def write_run_report(out_dir: Path | str, dataset: Dataset, *, maps: bool = True,
                     lang: str = "en") -> list[Path]:
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
    lang : str
        ``en`` (the default) or ``zh``: the language of the page, the PNG maps and the
        interactive map's legend and layers (``optimizer.report.i18n``).

    Returns
    -------
    list of pathlib.Path
        The files written, sorted.

    Raises
    ------
    DataError
        The folder lacks one of the run's files.
    UsageError
        ``lang`` is neither ``en`` nor ``zh``.
    """
    lang = check_lang(lang)
    folder = Path(out_dir)
    run = read_run_outputs(folder)
    before = _optional_coverage(folder / "coverage")
    justify = _find_justify(folder)
    names = _town_names(dataset)
    written: list[Path] = []
    figures: list[Figure] = []
    if maps:
        layers = _layers(dataset, before.summary if before else None, lang)
        figures = _staged(folder, written, lambda tmp: run_figures(
            tmp, run, layers, before, justify, lang=_png_lang(lang)))
        _write_run_map(folder, written, run, layers, before, names, lang)
    scenario = str(run.summary.get("scenario", folder.name))
    first, last = years_of(run)
    sections = [
        ("overview", text("toc.overview", lang), overview_section(run, figures, lang)),
        ("indicators", text("toc.indicators", lang), indicators_section(run, figures, lang)),
        ("plan", text("toc.plan", lang), plan_section(run, figures, names, lang)),
        ("why", text("toc.why", lang), why_here_section(run, lang)),
        ("coverage", text("toc.coverage", lang),
         coverage_section(run, figures, names, before, lang)),
        ("sites", text("toc.sites", lang),
         sub_centres_section(run, figures, names, justification_html(justify, lang), lang)),
        ("map", text("toc.map", lang), interactive_section(maps, lang)),
        ("provenance", text("toc.provenance", lang),
         provenance_section(dataset, run.summary, lang)),
    ]
    html = page(text("title.run", lang, scenario=scenario, first=first, last=last),
                str(run.summary.get("description", "")), sections, lang=lang)
    _write_text(folder / REPORT, html, written)
    return sorted(written)


def write_coverage_report(out_dir: Path | str, dataset: Dataset, *,
                          maps: bool = True, lang: str = "en") -> list[Path]:
    """Add the report of a ``medalloc coverage`` folder (``coverage.csv``, ``gaps.gpkg``, ...).

    Parameters and return value as :func:`write_run_report`.
    """
    lang = check_lang(lang)
    folder = Path(out_dir)
    cov = read_coverage_outputs(folder)
    names = _town_names(dataset)
    written: list[Path] = []
    figures: list[Figure] = []
    if maps:
        layers = _layers(dataset, cov.summary, lang)
        figures = _staged(folder, written, lambda tmp: coverage_figures(
            tmp, cov, layers, lang=_png_lang(lang)))
        _write_coverage_map(folder, written, cov, layers, names, lang)
    sections = [
        ("outside", text("toc.outside", lang), outside_section(cov, lang)),
        ("gaps", text("toc.gaps", lang), gaps_section(cov, figures, names, lang)),
        ("map", text("toc.map", lang), interactive_section(maps, lang)),
        ("provenance", text("toc.provenance", lang),
         provenance_section(dataset, cov.summary, lang)),
    ]
    html = page(text("title.coverage", lang), text("lead.coverage", lang), sections, lang=lang)
    _write_text(folder / REPORT, html, written)
    return sorted(written)


def write_justify_report(out_dir: Path | str, dataset: Dataset, *,
                         maps: bool = True, lang: str = "en") -> list[Path]:
    """Add the report of a justification folder (``justification.md``, ``ranking.csv``, ...).

    When the folder (or its parent) also holds the run's files, the chosen sub-centres are
    mapped against the best-ranked set. Parameters and return value as
    :func:`write_run_report`.
    """
    lang = check_lang(lang)
    folder = Path(out_dir)
    justify = read_justify_outputs(folder)
    run_folder = next((f for f in (folder, folder.parent) if (f / "plan.csv").is_file()), None)
    run = read_run_outputs(run_folder) if run_folder is not None else None
    names = _town_names(dataset)
    written: list[Path] = []
    figures: list[Figure] = []
    if maps and run is not None:
        layers = _layers(dataset, None, lang)
        figures = _staged(folder, written, lambda tmp: justify_figures(
            tmp, run, layers, justify, lang=_png_lang(lang)))
        _write_run_map(folder, written, run, layers, None, names, lang)
    parts = []
    if run is not None:
        parts.append(sub_centres_section(run, figures, names,
                                         justification_html(justify, lang), lang))
    else:
        parts.append(section("sites", text("toc.sites", lang),
                             [justification_html(justify, lang)]))
    sections = [("sites", text("toc.sites", lang), parts[0])]
    draws = uncertainty_folder(folder, justify.justification)
    if draws is not None:
        sites = (justify.justification or {}).get("sites", [])
        codes = [str(s["town_code"]) for s in sites if isinstance(s, dict)]
        sections.append(("uncertainty", "How sure: the draws",
                         section("uncertainty", "How sure: the draws", [uncertainty_html(
                             read_uncertainty_outputs(draws), codes)])))
    sections += [("map", text("toc.map", lang),
                  interactive_section(maps and run is not None, lang)),
                 ("provenance", text("toc.provenance", lang),
                  provenance_section(dataset, run.summary if run else None, lang))]
    title = str(run.summary.get("scenario", folder.name)) if run else folder.name
    html = page(text("title.justify", lang, title=title), text("lead.justify", lang),
                sections, lang=lang)
    _write_text(folder / REPORT, html, written)
    return sorted(written)


def _layers(dataset: Dataset, summary: dict[str, object] | None, lang: str) -> MapLayers:
    return map_layers(dataset, projected_crs(dataset.towns, summary), map_note(dataset, lang))


def _png_lang(lang: str) -> str:
    """The PNG maps' language: Chinese only with a CJK font (else English, not empty boxes)."""
    return lang if lang == "en" or cjk_font() is not None else "en"


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
                   before: CoverageOutputs | None, names: dict[str, str], lang: str) -> None:
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
        rows = [(text("imap.residents", lang), f"{whole(at_first.at[code, 'population'])} → "
                                               f"{whole(at_last.at[code, 'population'])}")]
        rows += [(measure_label(c, lang), f"{number(at_first.at[code, c])} → "
                                          f"{number(at_last.at[code, c])}") for c in per]
        rows += [(text("imap.within", lang, label=service_name(service_label(
                      run.summary, c.removeprefix("covered_share_")), lang)),
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
                (_resource_label(resource, lang), f"{row.before:,} → {row.after:,}"))
    overlays = [town_overlay(layers.towns, share_outside, figures,
                             text("imap.towns_year", lang, last=last), lang)]
    overlays += facility_overlays(layers.facilities, tiers_last, facility_rows, lang)
    if before is not None:
        overlays += service_area_overlays(before.gaps, text("imap.before", lang), lang)
        # Before-the-plan villages would read as after-the-plan gaps on this map: off at start.
        overlays += gap_overlays(layers.demand, before.coverage, names, text("imap.before", lang),
                                 groups=("primary",), show_first=False, lang=lang)
    label = service_name(service_label(run.summary, share_col.removeprefix("covered_share_")),
                         lang) if share_col else text("imap.coverage", lang)
    tmp = folder / f".{MAP}.tmp"
    write_interactive_map(tmp, text("imap.title_run", lang,
                                    scenario=run.summary.get("scenario", ""), last=last),
                          overlays, legend_html(text("imap.legend_run", lang, last=last,
                                                     label=label),
                                                gaps=before is not None, lang=lang),
                          layers.note)
    os.replace(tmp, folder / MAP)
    written.append(folder / MAP)


def _write_coverage_map(folder: Path, written: list[Path], cov: CoverageOutputs,
                        layers: MapLayers, names: dict[str, str], lang: str) -> None:
    shares = sorted(c for c in cov.towns.columns if c.startswith("covered_share_primary_"))
    share_col = shares[0] if shares else next(
        (c for c in cov.towns.columns if c.startswith("covered_share_")), None)
    towns = cov.towns.set_index("town_code")
    share_outside = ({str(k): 1.0 - float(v) for k, v in towns[share_col].dropna().items()}
                     if share_col else {})
    figures = {
        str(code): [(text("imap.residents", lang), whole(row["population"]))]
        + [(text("imap.within", lang, label=share_column_label(c, lang)), pct(row[c]))
           for c in towns.columns if c.startswith("covered_share_")]
        + [(measure_label(c, lang), number(row[c])) for c in towns.columns if "_per_" in c]
        for code, row in towns.iterrows()
    }
    tiers = dict(zip(layers.facilities["facility_id"], layers.facilities["tier"].astype(str),
                     strict=True))
    resources = [c for c in ("beds", "doctors", "nurses", "gps", "public_health_staff")
                 if c in layers.facilities.columns]
    facility_rows = {
        str(row["facility_id"]): [(resource_name(r, lang), whole(row[r])) for r in resources]
        for _, row in layers.facilities.iterrows()
    }
    overlays = [town_overlay(layers.towns, share_outside, figures, text("imap.towns", lang),
                             lang)]
    overlays += facility_overlays(layers.facilities, tiers, facility_rows, lang)
    overlays += service_area_overlays(cov.gaps, "", lang)
    overlays += gap_overlays(layers.demand, cov.coverage, names, "", lang=lang)
    label = share_column_label(share_col, lang) if share_col else text("imap.coverage", lang)
    tmp = folder / f".{MAP}.tmp"
    write_interactive_map(tmp, text("title.coverage", lang), overlays,
                          legend_html(text("imap.legend_cov", lang, label=label), gaps=True,
                                      lang=lang),
                          layers.note)
    os.replace(tmp, folder / MAP)
    written.append(folder / MAP)


def _resource_label(resource: str, lang: str) -> str:
    return resource_name(resource, lang) if lang == "zh" else resource.replace("_", " ")

