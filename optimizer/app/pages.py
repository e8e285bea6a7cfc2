"""The workbench's page handlers: data, scenario editor, runs, results, comparison."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from optimizer.app import scenario_edit
from optimizer.app.datasets import (
    LAYER_ROLES,
    DatasetRef,
    check_dataset,
    dataset_id_for,
    list_datasets,
    offending_rows,
    resolve_dataset,
)
from optimizer.app.export import write_geopackage
from optimizer.app.i18n import LANGUAGES, TIER_NAMES, translate, words
from optimizer.app.jobs import KINDS, Job, JobManager
from optimizer.app.labels import cell_label, header_label
from optimizer.app.results import (
    DOWNLOADS,
    RunResults,
    compare_indicators,
    compare_plan,
    compare_towns,
    read_results,
    town_measures,
)
from optimizer.app.safety import AppConfig, UnsafePathError, inside, safe_name
from optimizer.errors import ScenarioError
from optimizer.report.i18n import service_name

__all__ = ["Pages"]

_MAX_ROWS = 400  # rows of a table on a page; the full table is in the downloads


def dumps(payload: Any) -> str:
    """JSON for a page's script, Chinese kept readable, safe inside ``<script>``."""
    return json.dumps(payload, ensure_ascii=False).replace("</", "<\\/")


def records(frame: pd.DataFrame | None, limit: int = _MAX_ROWS,
            lang: str = "en") -> dict[str, Any]:
    """A table for the templates: columns, their headers and rows in ``lang``.

    Rows are plain values (NaN as None), category cells in ``lang``
    (:mod:`optimizer.app.labels`).
    """
    if frame is None or frame.empty:
        return {"columns": [], "labels": [], "rows": [], "more": 0}
    shown = frame.head(limit).astype(object).where(frame.head(limit).notna(), None)
    columns = [str(c) for c in frame.columns]
    rows = [[cell_label(c, v, lang) for c, v in zip(columns, row, strict=True)]
            for row in shown.to_numpy().tolist()]
    return {"columns": columns, "labels": [header_label(c, lang) for c in columns],
            "rows": rows, "more": max(0, len(frame) - limit)}


def number(value: Any) -> str:
    """A cell as the tables show it: whole numbers plain, others to three decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, int):  # years (2030) stay plain; counts past 9999 get separators
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1000 else f"{value:,.3f}"
    return str(value)


class Pages:
    """Request handlers bound to the app's folders, runs and templates."""

    def __init__(self, config: AppConfig, jobs: JobManager, templates: Jinja2Templates):
        self.config = config
        self.jobs = jobs
        self.templates = templates
        templates.env.filters["num"] = number
        self._default_lang: str | None = None

    # -- common -----------------------------------------------------------------------------

    def lang(self, request: Request) -> str:
        """``?lang=``, else the cookie, else Chinese when the data has Chinese names."""
        chosen = request.query_params.get("lang") or request.cookies.get("lang")
        if chosen in LANGUAGES:
            return str(chosen)
        if self._default_lang is None:
            self._default_lang = "en"
            refs = list_datasets(self.config)
            if refs:
                checked = check_dataset(refs[0])
                towns = checked.dataset.towns if checked.dataset is not None else None
                if towns is not None and "name_zh" in towns and towns["name_zh"].notna().any():
                    self._default_lang = "zh"
        return self._default_lang

    def render(self, request: Request, name: str, context: dict[str, Any],
               status: int = 200) -> Response:
        """A page in the request's language."""
        lang = self.lang(request)

        def t(key: str) -> str:
            return translate(key, lang)

        def col(column: str) -> str:
            return header_label(column, lang)

        def service(label: str) -> str:
            return service_name(label, lang)

        base = {"t": t, "col": col, "service": service, "lang": lang,
                "path": request.url.path + (
            f"?{request.url.query}" if request.url.query else ""),
            "map_words": dumps({**words(lang, "legend."), **words(lang, "layer."),
                                **words(lang, "tier.")})}
        return self.templates.TemplateResponse(request, name, {**base, **context},
                                               status_code=status)

    def unsafe(self, request: Request, error: Exception) -> Response:
        """A refused path or name: the page says why, nothing is read."""
        return self.render(request, "error.html", {"error": str(error)}, status=400)

    def _job(self, request: Request) -> Job:
        try:
            return self.jobs.get(request.path_params["run_id"])
        except KeyError:
            raise HTTPException(404, "no such run") from None

    # -- data -------------------------------------------------------------------------------

    def data(self, request: Request) -> Response:
        """The data page: pick or upload a dataset, its problems or its summary and map."""
        return self.data_page(request)

    def data_page(self, request: Request, error: Exception | None = None,
                  status: int = 200) -> Response:
        """The data page, with an upload's refusal when there is one."""
        refs = list_datasets(self.config)
        wanted = request.query_params.get("ds")
        ref: DatasetRef | None = None
        if wanted:
            ref = resolve_dataset(self.config, wanted)
        elif refs:
            ref = refs[0]
        checked = check_dataset(ref) if ref is not None else None
        cells = offending_rows(ref.folder, checked.problems) if (
            ref is not None and checked is not None and checked.problems) else {}
        return self.render(request, "data.html", {
            "refs": refs, "ref": ref, "checked": checked, "cells": cells,
            "error": str(error) if error else None, "roles": LAYER_ROLES,
            "limit_mb": self.config.max_upload_bytes / 1e6, "tiers": TIER_NAMES,
        }, status=status)

    # -- scenarios --------------------------------------------------------------------------

    def _sources(self) -> list[tuple[str, str]]:
        """(id, label) of every scenario the editor can start from."""
        found = []
        for kind, folder in (("shipped", self.config.scenarios),
                             ("saved", self.config.workspace / "scenarios")):
            for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
                try:
                    raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
                except (OSError, ValueError):
                    continue
                if "data" in raw:  # a sweep file is not a scenario
                    found.append((f"{kind}:{path.name}", f"{path.stem} ({kind})"))
        return found

    def _source_path(self, source: str) -> Path:
        kind, _, name = source.partition(":")
        folders = {"shipped": self.config.scenarios,
                   "saved": self.config.workspace / "scenarios"}
        if kind not in folders:
            raise UnsafePathError(f"scenario {source!r} is not known; pick one from the list")
        path = inside(folders[kind], name)
        if not path.is_file():
            raise UnsafePathError(f"scenario {source!r} is not known; pick one from the list")
        return path

    async def scenario(self, request: Request) -> Response:
        """The scenario editor: GET starts from a file, POST checks, saves, downloads or solves."""
        sources = self._sources()
        if request.method == "GET":
            source = request.query_params.get("src") or next(
                (s for s, _ in sources if s == "shipped:yongchuan_2030.toml"),
                sources[0][0] if sources else "")
            if not source:
                raise UnsafePathError("no scenario files found; start the app with --scenarios")
            where = self._source_path(source)
            text = where.read_text(encoding="utf-8-sig")
            return self._editor(request, sources, source, text, {}, None, None)
        async with request.form(max_files=0, max_fields=2000) as form:
            values = {k: str(v) for k, v in form.multi_items() if isinstance(v, str)}
        return self._post_scenario(request, sources, values)

    def _post_scenario(self, request: Request, sources: list[tuple[str, str]],
                       values: dict[str, str]) -> Response:
        source = values.get("src", "")
        where = self._source_path(source)
        action = values.get("action", "check")
        fields = {k: v for k, v in values.items() if k.startswith("f:")}
        try:
            doc, errors = scenario_edit.apply_edits(values.get("toml", ""), fields)
        except ScenarioError as error:
            return self._editor(request, sources, source, values.get("toml", ""), fields,
                                None, [str(error)], status=400)
        dataset_id = values.get("dataset", "")
        if dataset_id:
            ref = resolve_dataset(self.config, dataset_id)
            scenario_edit.set_data_folder(doc, os.path.relpath(ref.folder, where.parent))
        edit = scenario_edit.validate(doc, where, errors)
        messages = list(edit.messages)
        if edit.scenario is not None and not self.config.readable(edit.scenario.data.folder):
            messages.append("[data] folder lies outside the app's data and workspace folders; "
                            "pick a dataset from the list")
        if messages or edit.scenario is None:
            return self._editor(request, sources, source, edit.text, fields, edit, messages,
                                status=422 if action != "check" else 200)
        scenario = edit.scenario
        if action == "download":
            name = safe_name(f"{scenario.name}.toml", suffixes=(".toml",))
            return Response(edit.text, media_type="application/toml", headers={
                "Content-Disposition": f'attachment; filename="{name}"'})
        if action == "save":
            name = safe_name(values.get("save_as") or scenario.name, suffixes=("", ".toml"))
            target = inside(self.config.workspace / "scenarios", f"{Path(name).stem}.toml")
            doc = scenario_edit.parse(edit.text)
            scenario_edit.set_data_folder(
                doc, os.path.relpath(scenario.data.folder, target.parent))
            temp = target.with_name(f".{target.name}.tmp")
            temp.write_text(scenario_edit.dumps(doc), encoding="utf-8")
            temp.replace(target)
            return RedirectResponse(f"/scenario?src=saved:{target.name}&saved=1",
                                    status_code=303)
        if action == "solve":
            kind = values.get("kind", "run")
            if kind not in KINDS:
                raise UnsafePathError(f"unknown job {kind!r}; use one of {', '.join(KINDS)}")
            doc = scenario_edit.parse(edit.text)
            scenario_edit.set_data_folder(doc, str(scenario.data.folder))
            job = self.jobs.start(kind, scenario_edit.dumps(doc), scenario.name,
                                  maps=values.get("maps") == "1",
                                  sites=values.get("sites") or None,
                                  lang=self.lang(request))
            return RedirectResponse(f"/runs/{job.run_id}", status_code=303)
        return self._editor(request, sources, source, edit.text, fields, edit, [])

    def _editor(self, request: Request, sources: list[tuple[str, str]], source: str, text: str,
                submitted: dict[str, str], edit: scenario_edit.Edit | None,
                messages: list[str] | None, status: int = 200) -> Response:
        try:
            doc = scenario_edit.parse(text)
            fields = scenario_edit.form_fields(doc)
        except ScenarioError:
            fields = []
        by_field = edit.by_field if edit is not None else {}
        groups: dict[str, list[dict[str, Any]]] = {}
        for field in fields:
            shown = submitted.get(field.name, field.value) if field.dotted in by_field \
                else field.value
            groups.setdefault(field.group, []).append({
                "name": field.name, "label": field.label, "kind": field.kind,
                "value": shown, "choices": field.choices, "dotted": field.dotted,
                "messages": by_field.get(field.dotted, []),
                "id": "f-" + field.dotted.replace(".", "-")})
        where = self._source_path(source)
        folder = None
        try:
            raw = tomllib.loads(text)
            folder = (where.parent / str(raw.get("data", {}).get("folder", ""))).resolve()
        except (ValueError, TypeError):
            pass
        current = dataset_id_for(self.config, folder) if folder else None
        return self.render(request, "scenario.html", {
            "sources": sources, "source": source, "text": text, "groups": groups,
            "messages": messages, "checked": edit is not None and messages == [],
            "refs": list_datasets(self.config), "dataset": current or "",
            "saved": request.query_params.get("saved") == "1", "kinds": KINDS,
        }, status=status)

    # -- runs -------------------------------------------------------------------------------

    def runs(self, request: Request) -> Response:
        """Every run, newest first, with boxes to pick runs to compare."""
        return self.render(request, "runs.html", {"jobs": [j.to_dict() for j in self.jobs.all()]})

    def run_status(self, request: Request) -> Response:
        """A run's state and output so far (the page polls it)."""
        job = self._job(request)
        return JSONResponse({**job.to_dict(), "lines": job.lines[-200:]})

    def run_cancel(self, request: Request) -> Response:
        """Stop a run; the CLI leaves no partial output folder."""
        job = self.jobs.cancel(self._job(request).run_id)
        return JSONResponse(job.to_dict())

    def run(self, request: Request) -> Response:
        """A run's page: live progress while it runs, then its results."""
        job = self._job(request)
        results = read_results(job.out) if job.state == "done" and job.out.is_dir() else None
        context: dict[str, Any] = {"job": job.to_dict(), "lines": job.lines[-200:],
                                   "results": None}
        if results is not None:
            context.update(self._results_context(job, results, self.lang(request)))
        return self.render(request, "run.html", context)

    def _results_context(self, job: Job, results: RunResults, lang: str) -> dict[str, Any]:
        towns = results.towns
        year = results.last_year
        last_towns = towns[towns["year"] == year] if towns is not None else None
        changes = results.changes
        plan_columns = ["facility_id", "name_zh", "tier", "year", "resource", "before", "after",
                        "change", "need", "reason_kind", "reason"]
        downloads = [n for n in DOWNLOADS if (job.out / n).is_file()]
        measures = town_measures(towns) if towns is not None else []
        justification = job.out / "justification.md"
        return {
            "results": {
                "summary": results.summary,
                "indicators": records(results.indicators, lang=lang),
                "plan": records(changes[[c for c in plan_columns if c in changes.columns]]
                                if changes is not None else None, lang=lang),
                "towns": records(last_towns, lang=lang),
                "tables": {name: records(frame, 30, lang) for name, frame
                           in results.tables.items()},
                "justification": justification.read_text(encoding="utf-8")
                if justification.is_file() else None,
                "year": year,
                "years": sorted(int(y) for y in towns["year"].unique())
                if towns is not None else [],
                "measures": measures,
                "downloads": downloads,
                "gpkg": results.plan is not None and results.towns is not None,
                "map": (job.out / "map.html").is_file(),
            },
        }

    def run_file(self, request: Request) -> Response:
        """A file of a run's output folder, or the scenario it solved (nothing else)."""
        job = self._job(request)
        name = request.path_params["name"]
        path = job.folder / "scenario.toml" if name == "scenario.toml" else inside(job.out, name)
        if not path.is_file() or path.name.startswith("."):
            raise HTTPException(404, "no such file in this run")
        inline = path.suffix in (".html", ".json", ".md", ".csv", ".png")
        return FileResponse(path, filename=None if inline else path.name)

    def _run_dataset(self, job: Job) -> Any:
        raw = tomllib.loads((job.folder / "scenario.toml").read_text(encoding="utf-8"))
        folder = Path(str(raw.get("data", {}).get("folder", "")))
        if not folder.is_absolute() or not self.config.readable(folder):
            raise UnsafePathError("the run's data folder lies outside the app's folders")
        checked = check_dataset(DatasetRef("run", folder, folder.name))
        if checked.dataset is None:
            raise HTTPException(409, "the run's dataset no longer loads; check it on the "
                                "data page")
        return checked.dataset

    def run_geopackage(self, request: Request) -> Response:
        """``results.gpkg`` for QGIS, written into the run's folder on first request."""
        job = self._job(request)
        path = job.folder / "results.gpkg"
        if not path.is_file():
            results = read_results(job.out)
            try:
                write_geopackage(results, self._run_dataset(job), path)
            except ValueError as error:
                raise HTTPException(409, str(error)) from None
        return FileResponse(path, filename=f"{job.name}_results.gpkg",
                            media_type="application/geopackage+sqlite3")

    def _towns_geojson(self, job: Job, values: dict[str, float | None]) -> dict[str, Any]:
        dataset = self._run_dataset(job)
        towns = dataset.towns.to_crs(4326)[["code", "name_zh", "name_en", "geometry"]].copy()
        towns["code"] = towns["code"].astype(str)
        towns["geometry"] = towns.geometry.simplify(0.0003)
        towns["value"] = [values.get(code) for code in towns["code"]]
        result: dict[str, Any] = json.loads(towns.to_json(drop_id=True))
        return result

    def run_towns(self, request: Request) -> Response:
        """Towns as GeoJSON with one measure of ``towns.csv`` for a year (the results map)."""
        job = self._job(request)
        results = read_results(job.out)
        if results.towns is None:
            raise HTTPException(404, "this run has no towns.csv")
        measure = request.query_params.get("measure", "")
        if measure not in town_measures(results.towns):
            raise HTTPException(400, f"unknown measure {measure!r}")
        year = int(request.query_params.get("year") or results.last_year or 0)
        rows = results.towns[results.towns["year"] == year]
        values = {str(c): (None if pd.isna(v) else float(v))
                  for c, v in zip(rows["town_code"], rows[measure], strict=True)}
        return JSONResponse(self._towns_geojson(job, values))

    # -- comparison -------------------------------------------------------------------------

    def _compared(self, request: Request) -> dict[str, tuple[Job, RunResults]]:
        chosen: dict[str, tuple[Job, RunResults]] = {}
        picked = []
        for run_id in dict.fromkeys(request.query_params.getlist("run")):
            try:
                picked.append(self.jobs.get(run_id))
            except KeyError:
                raise HTTPException(404, f"no run {run_id!r}") from None
        # oldest first, whatever order the boxes were ticked in: a difference is newer - older
        for job in sorted(picked, key=lambda j: j.started):
            if job.state == "done":
                chosen[f"{job.name} [{job.run_id[-6:]}]"] = (job, read_results(job.out))
        return chosen

    def compare(self, request: Request) -> Response:
        """Two or more finished runs side by side, with a difference map of two."""
        chosen = self._compared(request)
        runs = {label: results for label, (_, results) in chosen.items()}
        measures = sorted({m for r in runs.values() if r.towns is not None
                           for m in town_measures(r.towns)})
        measure = request.query_params.get("measure") or next(
            (m for m in ("beds_per_1000", *measures) if m in measures), "")
        coverage = {label: r.summary.get("coverage_shares", {}) for label, r in runs.items()}
        lang = self.lang(request)
        return self.render(request, "compare.html", {
            "labels": list(runs), "run_ids": [j.run_id for j, _ in chosen.values()],
            "jobs": [j.to_dict() for j in self.jobs.all() if j.state == "done"],
            "indicators": records(compare_indicators(runs), lang=lang) if len(runs) > 1
            else None,
            "plan": records(compare_plan(runs), lang=lang) if len(runs) > 1 else None,
            "towns": records(compare_towns(runs, measure), lang=lang) if len(runs) > 1 and measure
            else None,
            "coverage": coverage, "measures": measures, "measure": measure,
        })

    def compare_towns(self, request: Request) -> Response:
        """Towns as GeoJSON with the difference of a measure between the first two runs."""
        chosen = list(self._compared(request).values())
        if len(chosen) < 2:
            raise HTTPException(400, "pick two finished runs")
        measure = request.query_params.get("measure", "")
        table = compare_towns({"a": chosen[0][1], "b": chosen[1][1]}, measure)
        if table.empty:
            raise HTTPException(400, f"unknown measure {measure!r}")
        values = {str(c): (None if pd.isna(v) else float(v))
                  for c, v in zip(table["town_code"], table["difference"], strict=True)}
        return JSONResponse(self._towns_geojson(chosen[1][0], values))
