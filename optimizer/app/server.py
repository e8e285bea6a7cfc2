"""The workbench's web server: pages and JSON routes over datasets, scenarios, runs, comparisons.

Server-rendered pages (Starlette + Jinja2) with a little vanilla JavaScript for the maps and the
live progress of a run. Every asset is served from the package (Leaflet is the one the HTML
report already vendors), so the app works with no network. Handlers that read files are plain
functions, which Starlette runs in a thread pool: the page stays responsive while a solve runs
in its own process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from optimizer.app import pages
from optimizer.app.datasets import (
    LAYER_ROLES,
    check_dataset,
    map_layers,
    resolve_dataset,
    save_upload,
)
from optimizer.app.i18n import LANGUAGES
from optimizer.app.jobs import JobManager
from optimizer.app.safety import AppConfig, UnsafePathError

__all__ = ["create_app"]


def _folder(package: str, *parts: str) -> Path:
    return Path(str(resources.files(package).joinpath(*parts)))


def create_app(config: AppConfig) -> Starlette:
    """The workbench as an ASGI application over ``config``'s folders."""
    templates = Jinja2Templates(directory=str(_folder("optimizer.app", "templates")))
    jobs = JobManager(config.workspace / "runs")
    view = pages.Pages(config, jobs, templates)

    async def upload(request: Request) -> Response:
        length = int(request.headers.get("content-length") or 0)
        if length > config.max_upload_bytes + 64 * 1024:
            return view.data_page(request, error=UnsafePathError(
                f"the upload is {length / 1e6:.1f} MB; the limit is "
                f"{config.max_upload_bytes / 1e6:.0f} MB"), status=413)
        async with request.form(max_files=len(LAYER_ROLES) + 1, max_fields=20) as form:
            files: dict[str, tuple[str, bytes]] = {}
            for role in (*LAYER_ROLES, "workbook"):
                item = form.get(role)
                if isinstance(item, UploadFile) and item.filename:
                    data = await item.read(config.max_upload_bytes + 1)
                    files[role] = (item.filename, data)
            base_id = str(form.get("base") or "")
        total = sum(len(data) for _, data in files.values())
        if total > config.max_upload_bytes:
            return view.data_page(request, error=UnsafePathError(
                f"the upload is {total / 1e6:.1f} MB; the limit is "
                f"{config.max_upload_bytes / 1e6:.0f} MB"), status=413)
        try:
            if not files:
                raise UnsafePathError("no file was chosen; pick at least one registry file")
            base = resolve_dataset(config, base_id) if base_id else None
            ref = save_upload(config, files, base)
        except UnsafePathError as error:
            return view.data_page(request, error=error, status=400)
        return RedirectResponse(f"/data?ds={ref.dataset_id}", status_code=303)

    def layers(request: Request) -> Response:
        try:
            ref = resolve_dataset(config, request.path_params["dataset_id"])
        except UnsafePathError as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        checked = check_dataset(ref)
        if checked.dataset is None:
            return JSONResponse({"error": "the dataset has problems"}, status_code=409)
        return JSONResponse(map_layers(checked.dataset))

    def set_lang(request: Request) -> Response:
        lang = request.path_params["lang"]
        target = request.query_params.get("next", "/")
        if not target.startswith("/") or target.startswith("//"):
            target = "/"  # only a page of this app
        response = RedirectResponse(target, status_code=303)
        if lang in LANGUAGES:
            response.set_cookie("lang", lang, samesite="strict", httponly=True)
        return response

    def home(request: Request) -> Response:
        del request
        return RedirectResponse("/data", status_code=303)

    def favicon(request: Request) -> Response:
        del request
        return Response(status_code=204)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        del app
        yield
        jobs.shutdown()

    routes = [
        Route("/", home),
        Route("/favicon.ico", favicon),
        Route("/lang/{lang}", set_lang),
        Route("/data", view.data),
        Route("/data/upload", upload, methods=["POST"]),
        Route("/api/datasets/{dataset_id:str}/layers", layers),
        Route("/scenario", view.scenario, methods=["GET", "POST"]),
        Route("/runs", view.runs),
        Route("/runs/{run_id}", view.run),
        Route("/runs/{run_id}/files/{name:path}", view.run_file),
        Route("/runs/{run_id}/export/results.gpkg", view.run_geopackage),
        Route("/api/runs/{run_id}", view.run_status),
        Route("/api/runs/{run_id}/cancel", view.run_cancel, methods=["POST"]),
        Route("/api/runs/{run_id}/towns", view.run_towns),
        Route("/compare", view.compare),
        Route("/api/compare/towns", view.compare_towns),
        Mount("/static", StaticFiles(directory=str(_folder("optimizer.app", "static"))),
              name="static"),
        Mount("/leaflet", StaticFiles(directory=str(
            _folder("optimizer.report", "static", "leaflet"))), name="leaflet"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={UnsafePathError: view.unsafe})
    app.state.config = config
    app.state.jobs = jobs
    return app

