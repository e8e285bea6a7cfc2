"""Solves in worker processes: one folder per run, live stages from the output, cancellation.

A run is the CLI itself (``python -m optimizer run|coverage|justify SCENARIO --out FOLDER``)
started in its own process group, so the page never waits on a solver and the output folder
is exactly what the command line writes. A run's folder holds ``scenario.toml`` (what was
solved), ``log.txt`` (the command's output, one stage a line), ``job.json`` (kind, command,
state, exit code) and ``out/`` (the CLI's output folder).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optimizer.app.i18n import LANGUAGES
from optimizer.app.safety import UnsafePathError, inside

__all__ = ["KINDS", "Job", "JobManager", "cli_arguments"]

KINDS = ("run", "coverage", "justify")
_EXIT_MEANING = {0: "done", 2: "usage error", 3: "data error", 4: "scenario error",
                 5: "infeasible", 6: "solver error", 130: "interrupted"}


@dataclass
class Job:
    """One run of a CLI command in a worker process.

    Attributes
    ----------
    run_id : str
        Folder name under the workspace's ``runs/``.
    kind : str
        ``run``, ``coverage`` or ``justify``.
    name : str
        The scenario's name.
    folder : pathlib.Path
        The run's folder.
    state : str
        ``running``, ``done``, ``failed`` or ``cancelled``.
    """

    run_id: str
    kind: str
    name: str
    folder: Path
    state: str = "running"
    exit_code: int | None = None
    started: float = field(default_factory=time.time)
    ended: float | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def out(self) -> Path:
        """The CLI's output folder."""
        return self.folder / "out"

    @property
    def lines(self) -> list[str]:
        """The command's output so far, one line each."""
        log = self.folder / "log.txt"
        if not log.is_file():
            return []
        text = log.read_text(encoding="utf-8", errors="replace")
        return [line.rstrip() for line in text.splitlines() if line.strip()]

    def to_dict(self) -> dict[str, Any]:
        """Plain fields for JSON (the page's progress poll and ``job.json``)."""
        end = self.ended or time.time()
        return {"run_id": self.run_id, "kind": self.kind, "name": self.name,
                "state": self.state, "exit_code": self.exit_code,
                "meaning": _EXIT_MEANING.get(self.exit_code, "error")
                if self.exit_code is not None else "",
                "started": self.started, "elapsed_s": round(end - self.started, 1)}


def cli_arguments(kind: str, scenario: Path, out: Path, *, maps: bool, sites: str | None,
                  lang: str) -> list[str]:
    """The ``medalloc`` arguments of a run: the job, its scenario and folder, and options."""
    if lang not in LANGUAGES:
        raise UnsafePathError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    arguments = [kind, str(scenario), "--out", str(out), "--xlsx", "--lang", lang]
    if not maps:
        arguments.append("--no-maps")
    if kind == "justify" and sites:
        arguments += ["--sites", sites]
    return arguments


class JobManager:
    """Start, watch and cancel runs; every run gets a new folder under ``runs``."""

    def __init__(self, runs: Path) -> None:
        self.runs = runs
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._load_finished()

    def _load_finished(self) -> None:
        """Runs of earlier sessions, read from their ``job.json``."""
        for meta in sorted(self.runs.glob("*/job.json")):
            try:
                data = json.loads(meta.read_text(encoding="utf-8"))
                job = Job(data["run_id"], data["kind"], data["name"], meta.parent,
                          data["state"], data.get("exit_code"), data["started"],
                          data.get("ended"))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a folder the app did not finish writing: shown nowhere, kept
            if job.state == "running":  # its process died with the earlier session
                job.state = "failed"
            self._jobs[job.run_id] = job

    def start(self, kind: str, scenario_text: str, name: str, *, maps: bool = True,
              sites: str | None = None, lang: str = "en") -> Job:
        """Write the scenario into a new run folder and start the CLI on it.

        Parameters
        ----------
        kind : str
            ``run``, ``coverage`` or ``justify``.
        scenario_text : str
            The scenario TOML, already validated, with an absolute data folder.
        name : str
            The scenario's name (for the run's label and folder).
        maps : bool
            Draw the PNG maps (slower); ``report.html`` and ``map.html`` come either way.
        sites : str, optional
            ``justify``'s chosen towns, comma-separated.
        lang : str
            The page's language (``en`` or ``zh``), passed as ``--lang``: the report and maps
            downloaded from a Chinese page are Chinese.
        """
        if kind not in KINDS:
            raise UnsafePathError(f"unknown job kind {kind!r}; use one of {', '.join(KINDS)}")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        label = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:40]
        run_id = f"{stamp}-{label}-{kind}-{secrets.token_hex(3)}"
        folder = inside(self.runs, run_id)
        folder.mkdir()
        scenario = folder / "scenario.toml"
        scenario.write_text(scenario_text, encoding="utf-8")
        command = [sys.executable, "-m", "optimizer",
                   *cli_arguments(kind, scenario, folder / "out", maps=maps, sites=sites,
                                  lang=lang)]
        job = Job(run_id, kind, name, folder)
        log = (folder / "log.txt").open("wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200", "NO_COLOR": "1"}
        job.process = subprocess.Popen(
            command, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        log.close()
        with self._lock:
            self._jobs[run_id] = job
        self._save(job, command)
        threading.Thread(target=self._wait, args=(job, command), daemon=True).start()
        return job

    def _wait(self, job: Job, command: list[str]) -> None:
        if job.process is None:
            return
        code = job.process.wait()
        with self._lock:
            job.exit_code = code
            job.ended = time.time()
            if job.state != "cancelled":
                job.state = "done" if code == 0 else "failed"
        self._save(job, command)

    def _save(self, job: Job, command: list[str]) -> None:
        payload = {**job.to_dict(), "ended": job.ended, "command": command[1:]}
        path = job.folder / "job.json"
        temp = path.with_suffix(".json.tmp")
        temp.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        temp.replace(path)

    def get(self, run_id: str) -> Job:
        """The run named ``run_id``.

        Raises
        ------
        KeyError
            When there is no such run.
        """
        with self._lock:
            return self._jobs[run_id]

    def all(self) -> list[Job]:
        """Every run, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.started, reverse=True)

    def cancel(self, run_id: str) -> Job:
        """Stop a running job's whole process group (the CLI leaves no partial folder)."""
        job = self.get(run_id)
        process = job.process
        if job.state == "running" and process is not None and process.poll() is None:
            job.state = "cancelled"
            try:
                os.killpg(process.pid, signal.SIGINT)
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return job

    def shutdown(self) -> None:
        """Stop every run still going (the app is closing)."""
        for job in self.all():
            if job.state == "running":
                self.cancel(job.run_id)
