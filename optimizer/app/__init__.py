"""The planner's workbench: a local web application over the CLI's jobs (``medalloc app``).

Datasets are loaded and validated by the CLI's own code, scenarios edited as the same TOML files
and checked by the same schema, and solves run as the CLI in worker processes, each into its own
output folder, so the app and the command line stay interchangeable. See :func:`serve`.
"""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.app.safety import MAX_UPLOAD_BYTES, AppConfig

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["AppConfig", "create_app", "serve"]


def create_app(config: AppConfig) -> Starlette:
    """The ASGI application (see :func:`optimizer.app.server.create_app`)."""
    from optimizer.app.server import create_app as build

    return build(config)


def serve(data: Path, scenarios: Path, workspace: Path, *, host: str = "127.0.0.1",
          port: int = 8765, open_browser: bool = False,
          max_upload_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Start the workbench and serve until interrupted.

    Parameters
    ----------
    data, scenarios : pathlib.Path
        The dataset folder and the scenario folder (read only).
    workspace : pathlib.Path
        The app's own folder: uploads, saved scenarios and one folder per run.
    host : str
        Interface to bind; ``127.0.0.1`` (this machine only) unless told otherwise.
    port : int
        TCP port.
    open_browser : bool
        Open the start page in the default browser once the server is up.
    """
    import uvicorn

    from optimizer.app.server import create_app as build

    config = AppConfig.create(data, scenarios, workspace, max_upload_bytes)
    if open_browser:
        webbrowser.open(f"http://{host}:{port}/data")
    uvicorn.run(build(config), host=host, port=port, log_level="warning")
