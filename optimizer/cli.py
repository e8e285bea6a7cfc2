"""The ``medalloc`` command line: one entry point, a subcommand per job, an exit code per error."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from optimizer.cli_common import JsonOption, console, err, guarded, print_json
from optimizer.cli_errors import EXIT_INTERRUPTED, Failure, debug_mode
from optimizer.errors import DataError, UsageError

if TYPE_CHECKING:
    from optimizer.config.scenario import Scenario
    from optimizer.dataset.load import Dataset

__all__ = ["app", "main"]

app = typer.Typer(
    name="medalloc",
    help="Planning optimizer for county health systems: validate data, map coverage gaps, "
    "locate sites. Exit codes: 0 ok, 2 usage, 3 data, 4 scenario, 5 infeasible, 6 solver.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root() -> None:
    """Planning optimizer for county health systems."""


XlsxOption = Annotated[bool, typer.Option("--xlsx", help="Also write the tables as one "
                                          "results.xlsx workbook.")]
ThreadsOption = Annotated[int | None, typer.Option(
    min=1, help="Solver threads (default: the scenario's [solver] threads); at most the "
    "machine's cores.")]


def _check_lang(value: str) -> str:
    if value not in ("en", "zh"):
        raise typer.BadParameter(f"{value!r} is not a report language: use en or zh")
    return value


LangOption = Annotated[str, typer.Option(
    "--lang", callback=_check_lang, help="Language of report.html and the maps: en "
    "(default) or zh (Chinese headings, legends and tier names).")]
OUT_RULES = ("Only a new or empty folder, or one medalloc wrote (it carries .medalloc-output), "
             "is used; it is replaced whole after success.")


def available_cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def cap_threads(requested: int | None, where: str) -> int | None:
    """``requested`` threads, at most the machine's cores (more only slows HiGHS down)."""
    cores = available_cores()
    if requested is not None and requested > cores:
        err.print(f"[yellow]warning[/]: {escape(where)} {requested} is more than the {cores} "
                  f"cores of this machine; using {cores}", highlight=False)
        return cores
    return requested


def with_threads(spec: Scenario, threads: int | None) -> Scenario:
    """The scenario with ``--threads`` applied and its solver threads capped at the cores."""
    wanted = threads if threads is not None else spec.solver.threads
    where = "--threads" if threads is not None else "[solver] threads ="
    capped = cap_threads(wanted, where)
    if capped == spec.solver.threads:
        return spec
    return spec.model_copy(update={"solver": spec.solver.model_copy(update={"threads": capped})})


def finisher(report: Callable[..., Any] | None, *, maps: bool,
             xlsx: bool, lang: str = "en") -> Callable[[Path, Dataset], None]:
    """What the CLI adds to a job's folder while it is still being built: workbook and report.

    The job passes the dataset it loaded, so the report does not read the data again.
    """

    def finish(folder: Path, dataset: Dataset) -> None:
        if xlsx:
            from optimizer.results.files import write_workbook

            write_workbook(folder)
        if report is not None:
            report(folder, dataset, maps=maps, lang=lang)

    return finish


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Dataset folders, or files named towns.*, facilities.*, demand.*, "
                       "boundary.*, roads.* (default: data)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check input data and print a summary; exit 3 listing every problem when there are any."""
    from optimizer.dataset.load import load_dataset
    from optimizer.dataset.summary import summarise

    targets = paths or [Path("data")]
    folders = [p for p in targets if p.is_dir()]
    loose = [p for p in targets if not p.is_dir()]
    groups = [[f] for f in folders] + ([loose] if loose else [])
    summaries: list[dict[str, Any]] = []
    failures: list[DataError] = []

    def check(group: list[Path]) -> None:
        try:
            summaries.append(summarise(load_dataset(group)))
        except DataError as failure:
            failures.append(failure)

    for group in groups:
        guarded(partial(check, group), as_json=as_json)
    if as_json:
        print_json({
            "ok": not failures,
            "datasets": summaries,
            "problems": [p.__dict__ for e in failures for p in e.problems],
        })
    else:
        for summary in summaries:
            print_summary(summary)
        for reported in failures:
            err.print(f"[bold red]error[/]: {escape(str(reported))}", highlight=False)
    if failures:
        raise typer.Exit(DataError.exit_code)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML), e.g. "
                                             "scenarios/yongchuan_2030.toml.")],
    out: Annotated[Path | None, typer.Option(help="Output folder; default out/<scenario "
                                             "name>. " + OUT_RULES)] = None,
    no_maps: Annotated[bool, typer.Option("--no-maps", help="Skip the maps (report.html "
                                          "is still written).")] = False,
    xlsx: XlsxOption = False,
    threads: ThreadsOption = None,
    lang: LangOption = "en",
    as_json: JsonOption = False,
) -> None:
    """Solve an allocation scenario; write plan.csv, towns.csv, indicators.csv, summary.json."""
    from optimizer.config.scenario import load_scenario
    from optimizer.jobs.run import run_scenario
    from optimizer.report import write_run_report

    def work() -> Any:
        spec = with_threads(load_scenario(scenario), threads)
        target = out or Path("out") / spec.name
        finish = finisher(write_run_report, maps=not no_maps, xlsx=xlsx, lang=lang)
        if as_json:
            return run_scenario(spec, target, finish=finish)
        with err.status("solving...") as status:

            def progress(line: str) -> None:
                err.print(f"  {line}", highlight=False, markup=False)
                status.update(escape(line))

            return run_scenario(spec, target, progress=progress, finish=finish)

    summary = guarded(work, as_json=as_json)
    if as_json:
        print_json(summary.data)
        return
    print_run(summary.data, summary.out_dir)


def print_job(text: str, out_dir: Path, *, as_json: bool = False,
              record: str = "summary.json") -> None:
    """Print a job's own summary text verbatim, then the report it wrote, if any.

    With ``as_json``, print the job's JSON record (``record`` in ``out_dir``) as written instead.
    """
    if as_json:
        sys.stdout.write((out_dir / record).read_text(encoding="utf-8"))
        return
    console.print(text, highlight=False, markup=False)
    report = out_dir / "report.html"
    if report.is_file():
        console.print(f"report: {report}", highlight=False, markup=False)


def print_run(data: dict[str, Any], out_dir: Path) -> None:
    """Print a run's summary: status, sites, per-capita figures, indicators, coverage."""
    def say(text: str) -> None:
        console.print(text, highlight=False, markup=False)

    console.print(f"[bold]{escape(str(data['scenario']))}[/]: {data['status']}, gap "
                  f"{data['gap']}, {data.get('runtime_s', '?')} s", highlight=False)
    if data.get("note"):  # a stage stopped before its proof, and what that means
        say(f"  note: {data['note']}")
    names = [f"{s['town']} ({s['facility_id']})" for s in data.get("sub_centres", [])]
    if names:
        say(f"  sub-centres: {', '.join(names)}")
    clinics = data.get("central_village_clinics", {})
    if clinics:
        say("  central village clinics: "
            + ", ".join(f"{year}: {row['count']}" for year, row in clinics.items()))
    choice = data.get("sub_centre_choice")
    if choice:
        say(f"  why: {choice['reason']}")
    indicators = out_dir / "indicators.csv"
    if indicators.is_file():
        from optimizer.results.files import read_output_csv

        table = Table("indicator", "year", "target", "achieved", "met", box=None, pad_edge=False)
        for row in read_output_csv(indicators).itertuples(index=False):
            if getattr(row, "scope", "allocated") == "input":  # a plan figure the model uses
                table.add_row(escape(str(row.indicator)), str(row.year), f"{row.target:g}",
                              "", "input")
                continue
            table.add_row(escape(str(row.indicator)), str(row.year), f"{row.target:g}",
                          f"{row.achieved:.3f}", "yes" if row.met else "[red]NO[/]")
        console.print(table)
    for name, by_year in data.get("coverage_shares", {}).items():
        shares = ", ".join(f"{year} {'n/a' if share is None else format(share, '.1%')}"
                           for year, share in by_year.items())
        say(f"  coverage {name}: {shares}")
    say(f"  written to {out_dir_label(out_dir)}")


@app.command()
def justify(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML), e.g. "
                                             "scenarios/yongchuan_2030.toml.")],
    sites: Annotated[str | None, typer.Option(help="Chosen towns, comma-separated: codes, "
                                              "Chinese or pinyin names, e.g. "
                                              "朱沱镇,三教镇,来苏镇; default: the "
                                              "scenario's fixed sub-centres.")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder; default out/<scenario "
                                             "name>/justify. " + OUT_RULES)] = None,
    no_maps: Annotated[bool, typer.Option("--no-maps", help="Skip the maps.")] = False,
    xlsx: XlsxOption = False,
    threads: ThreadsOption = None,
    draws: Annotated[int | None, typer.Option(min=1, help="Also run N uncertainty draws (into "
                                              "the sibling uncertainty/ folder, resumable) and "
                                              "state the conclusion as probabilities.")] = None,
    lang: LangOption = "en",
    as_json: JsonOption = False,
) -> None:
    """Justify sub-centre sites: regret against the optimum, ranking, robustness, pairings."""
    from optimizer.config.scenario import load_scenario
    from optimizer.jobs.justify import justify as run_justify
    from optimizer.report import write_justify_report

    def work() -> Any:
        spec = with_threads(load_scenario(scenario), threads)
        target = out or Path("out") / spec.name / "justify"
        finish = finisher(write_justify_report, maps=not no_maps, xlsx=xlsx, lang=lang)
        folder = None
        if draws is not None:
            from optimizer.cli_progress import counted_progress
            from optimizer.uncertainty.job import run_uncertainty

            folder = target.parent / "uncertainty"
            if not as_json:
                err.print(f"  running {draws} uncertainty draws into {folder}",
                          highlight=False, markup=False)
            with counted_progress(err, "draws", quiet=as_json) as counted:
                run_uncertainty(scenario, folder, sites=sites, draws=draws,
                                make_map=not no_maps, progress=counted)
        with err.status("justifying...") as status:

            def progress(line: str) -> None:
                err.print(f"  {line}", highlight=False, markup=False)
                status.update(escape(line))

            return run_justify(spec, sites, target, progress=None if as_json else progress,
                               make_map=not no_maps, finish=finish, uncertainty=folder)

    summary = guarded(work, as_json=as_json)
    print_job(summary.to_text(), summary.out_dir, as_json=as_json, record="justification.json")


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep file (TOML), e.g. "
                                               "scenarios/yongchuan_sweep.toml.")],
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask scheduler "
                                                  "(default: a local cluster).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Workers of the local cluster.")]
    = None,
    out: Annotated[Path | None, typer.Option(help="Output folder; an interrupted sweep rerun "
                                             "into it solves only the missing points; "
                                             "default out/<sweep file name>. Only a new or "
                                             "empty folder, or a sweep's, is used.")] = None,
    xlsx: XlsxOption = False,
    as_json: JsonOption = False,
) -> None:
    """Solve a scenario under many assumptions at once, on Dask; resumable."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from optimizer.sweep.run import SweepProgress, run_sweep

    target = out or Path("out") / sweep_file.stem

    def work() -> Any:
        finish = None
        if xlsx:
            from optimizer.results.files import write_workbook

            def finish(folder: Path) -> None:
                write_workbook(folder, ["results.csv"])

        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                      disable=as_json) as bar:
            task = bar.add_task("sweep", total=None)

            def progress(step: SweepProgress) -> None:
                label = f"{step.point_id} {step.status}" if step.point_id else "starting"
                bar.update(task, completed=step.done, total=step.total,
                           description=escape(label))

            return run_sweep(sweep_file, target, scheduler=scheduler, workers=workers,
                             progress=progress, finish=finish)

    summary = guarded(work, as_json=as_json)
    print_job(summary.to_text(), summary.out_dir, as_json=as_json)


@app.command()
def uncertainty(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML), e.g. "
                                             "scenarios/yongchuan_2030.toml.")],
    draws: Annotated[int | None, typer.Option(min=1, help="Draws (default [uncertainty] "
                                              "draws).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default [uncertainty] "
                                             "seed); the same seed gives the same tables.")]
    = None,
    sites: Annotated[str | None, typer.Option(help="The set judged, comma-separated (default: "
                                              "as justify).")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask scheduler "
                                                  "(default: a local cluster).")] = None,
    workers: Annotated[int | None, typer.Option(min=0, help="Workers of the local cluster; 0 "
                                                "runs in this process.")] = None,
    model: Annotated[bool, typer.Option("--model", help="Also re-optimise the allocation model "
                                        "per draw (slow: seconds to minutes a draw).")] = False,
    out: Annotated[Path | None, typer.Option(help="Output folder; default out/<scenario "
                                             "name>/uncertainty. A rerun into it computes only "
                                             "the missing draws.")] = None,
    no_maps: Annotated[bool, typer.Option("--no-maps", help="Skip the village map.")] = False,
    as_json: JsonOption = False,
) -> None:
    """How sure is the sub-centre choice: seeded draws of what is estimated, on Dask."""
    from optimizer.cli_progress import counted_progress
    from optimizer.config.scenario import load_scenario
    from optimizer.uncertainty.job import run_uncertainty

    def work() -> Any:
        target = out or Path("out") / load_scenario(scenario).name / "uncertainty"
        try:
            with counted_progress(err, "draws", quiet=as_json) as progress:
                return run_uncertainty(scenario, target, sites=sites, draws=draws, seed=seed,
                                       scheduler=scheduler, workers=workers, model=model,
                                       make_map=not no_maps, progress=progress)
        except KeyboardInterrupt:
            stored = len(list((target / "draws").glob("draw_*.json")))
            err.print(f"  {stored} draw files are kept in {target / 'draws'}; the same "
                      "command computes only the draws still missing", highlight=False,
                      markup=False)
            raise

    summary = guarded(work, as_json=as_json)
    print_job(summary.to_text(), summary.out_dir, as_json=as_json, record="uncertainty.json")


@app.command()
def coverage(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML), e.g. "
                                             "scenarios/yongchuan_2025.toml.")],
    out: Annotated[Path | None, typer.Option(help="Output folder; default out/<scenario "
                                             "name>/coverage. " + OUT_RULES)] = None,
    no_maps: Annotated[bool, typer.Option("--no-maps", help="Skip the PNG map.")] = False,
    xlsx: XlsxOption = False,
    lang: LangOption = "en",
    as_json: JsonOption = False,
) -> None:
    """Map coverage gaps: who is outside each travel-time threshold, per village and town."""
    from optimizer.config.scenario import load_scenario
    from optimizer.jobs.coverage import coverage_scenario
    from optimizer.report import write_coverage_report

    def work() -> Any:
        spec = load_scenario(scenario)
        target = out or Path("out") / spec.name / "coverage"
        return coverage_scenario(
            spec, target, make_map=not no_maps,
            finish=finisher(write_coverage_report, maps=not no_maps, xlsx=xlsx, lang=lang))

    summary = guarded(work, as_json=as_json)
    print_job(summary.to_text(), summary.out_dir, as_json=as_json)


@app.command()
def locate(
    model: Annotated[str, typer.Argument(help="lscp, mclp, pmedian or pcenter.")],
    demand: Annotated[Path, typer.Option(help="Demand points: CSV (id or demand_id; lon/lat or "
                                         "x/y with --crs; weight or population) or GeoJSON.")]
    = Path("data/demand.csv"),
    sites: Annotated[Path, typer.Option(help="Candidate sites, same formats.")]
    = Path("data/facilities.csv"),
    tier: Annotated[list[str] | None, typer.Option(
        help="Keep only candidate sites of this tier (repeatable), e.g. village_clinic.")] = None,
    standard: Annotated[float | None, typer.Option(
        help="Service standard (lscp, mclp): minutes with --speed-kmh, else metres.")] = None,
    p: Annotated[int | None, typer.Option("--p", help="Number of sites (mclp, pmedian, "
                                           "pcenter), 1 to the number of candidates.")] = None,
    speed_kmh: Annotated[float | None, typer.Option(help="Travel speed; costs become minutes.")]
    = None,
    detour: Annotated[float, typer.Option(help="Detour factor on straight lines (>= 1).")] = 1.3,
    roads: Annotated[Path | None, typer.Option(help="Road lines (GeoPackage/GeoJSON with "
                                               "speed_kmh, road_class or highway; optional "
                                               "oneway, maxspeed): costs become minutes on "
                                               "the roads; needs --speed-kmh.")] = None,
    required: Annotated[list[str] | None, typer.Option(help="Site id that must be open "
                                                       "(repeatable).")] = None,
    forbidden: Annotated[list[str] | None, typer.Option(help="Site id that must not be used "
                                                        "(repeatable).")] = None,
    crs: Annotated[str | None, typer.Option(help="CRS of x/y columns, e.g. EPSG:4544.")] = None,
    solver: Annotated[str, typer.Option(help="highs or cbc.")] = "highs",
    time_limit: Annotated[float | None, typer.Option(help="Seconds.")] = None,
    mip_gap: Annotated[float, typer.Option(help="Relative MIP gap accepted.")] = 0.0,
    threads: ThreadsOption = None,
    out: Annotated[Path, typer.Option(help="Output folder. " + OUT_RULES)]
    = Path("out/locate"),
    xlsx: XlsxOption = False,
    as_json: JsonOption = False,
) -> None:
    """Choose sites: LSCP (fewest to cover all), MCLP (most covered by p), p-median, p-center.

    Example: where would 60 central village clinics cover the most people within 15 minutes by
    e-bike?  medalloc locate mclp --tier village_clinic --p 60 --standard 15 --speed-kmh 15
    """
    from optimizer.jobs.locate import MODEL_NEEDS, MODELS, run_locate

    def work() -> dict[str, Any]:
        if model not in MODELS:
            raise UsageError(f"MODEL: got {model!r}; use one of {', '.join(MODELS)}")
        for name in MODEL_NEEDS[model]:
            if {"standard": standard, "p": p}[name] is None:
                raise UsageError(f"{model} needs --{name}")
        finish = None
        if xlsx:
            from optimizer.results.files import write_workbook

            def finish(folder: Path) -> None:
                write_workbook(folder)

        return run_locate(
            model, demand, sites, out_dir=out, standard=standard, p=p, required=required or (),
            forbidden=forbidden or (), crs=crs, speed_kmh=speed_kmh, detour=detour,
            solver=solver, time_limit=time_limit, mip_gap=mip_gap,
            threads=cap_threads(threads, "--threads"), site_tiers=tier or (), finish=finish,
            roads=roads,
        )

    summary = guarded(work, as_json=as_json)
    if as_json:
        print_json(summary)
        return
    console.print(locate_text(model, summary, out), highlight=False, markup=False)


@app.command(name="app")
def workbench(
    data: Annotated[Path, typer.Option(help="Dataset folder (read only); its sub-folders with "
                                       "a towns layer are datasets too.")] = Path("data"),
    scenarios: Annotated[Path, typer.Option(help="Scenario folder to start from (read only).")]
    = Path("scenarios"),
    workspace: Annotated[Path, typer.Option(help="The app's own folder: uploads, saved "
                                            "scenarios, one folder per run.")]
    = Path("out/app"),
    host: Annotated[str, typer.Option(help="Interface to bind; 127.0.0.1 keeps the app on "
                                      "this machine.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8765,
    max_upload_mb: Annotated[float, typer.Option(min=0.1, help="Largest upload accepted.")]
    = 50.0,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in the default "
                                               "browser.")] = False,
) -> None:
    """Start the planner's workbench, a local web application: data, scenarios, solves, results."""
    from optimizer.app import serve

    def work() -> None:
        if not data.is_dir():
            raise UsageError(f"--data {data}: no such folder; give the dataset folder")
        if host not in ("127.0.0.1", "localhost", "::1"):
            err.print(f"[yellow]warning[/]: --host {escape(host)} lets other machines reach the "
                      "app; it has no login", highlight=False)
        err.print(f"medalloc app: http://{host}:{port}/data (Ctrl-C stops it)", highlight=False,
                  markup=False)
        serve(data, scenarios, workspace, host=host, port=port, open_browser=open_browser,
              max_upload_bytes=int(max_upload_mb * 1024 * 1024))

    guarded(work)


def locate_text(model: str, summary: dict[str, Any], out: Path) -> str:
    """A location result in three lines (figures the solver did not give read "n/a")."""
    def figure(key: str, spec: str = ",") -> str:
        value = summary.get(key)
        return "n/a" if value is None else format(value, spec)

    covered, total = summary.get("covered_weight"), summary.get("total_weight")
    share = f", covering {covered:,.0f} of {total:,.0f} ({covered / total:.1%})" if (
        covered is not None and total) else ""
    return "\n".join([
        f"{model}: {summary['status']}, objective {figure('objective')} (bound "
        f"{figure('best_bound', '')}, gap {figure('gap', '')}){share}",
        f"  {summary['n_selected']} sites: {' '.join(summary['selected'])}",
        f"  build {summary['build_seconds']} s, solve {summary['solve_seconds']} s; "
        f"written to {out_dir_label(out)}",
    ])


def out_dir_label(path: Path) -> str:
    """The output folder as the user named it, with its files."""
    names = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
    return f"{path}/ ({', '.join(names)})"


def print_summary(summary: dict[str, Any]) -> None:
    """Print a dataset summary as a short text and a resource table."""
    kinds = ", ".join(f"{n} {k}" for k, n in summary["units_by_kind"].items())
    tiers = ", ".join(f"{n} {k}" for k, n in summary["facilities_by_tier"].items())
    console.print(f"[bold]{summary['files']['towns']}[/]: OK", highlight=False)
    console.print(f"  units: {summary['units']} ({kinds})", highlight=False)
    console.print(f"  population (base year): {summary['population']:,}", highlight=False)
    console.print(f"  demand points: {summary['demand_points']} "
                  f"(population {summary['demand_population']:,.0f})", highlight=False)
    console.print(f"  facilities: {summary['facilities']} ({tiers})", highlight=False)
    table = Table("resource", "total", "per residents", "rate", box=None, pad_edge=False)
    for name, row in summary["resources"].items():
        table.add_row(name, f"{row['total']:,}", f"per {row['per']:,}", f"{row['rate']:.2f}")
    console.print(table)


# The data-import sub-commands live in their own module, which reuses the helpers above.
from optimizer.cli_data import demand_app, roads_app  # noqa: E402

app.add_typer(roads_app, name="roads")
app.add_typer(demand_app, name="demand")


def show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: Any = None, line: str | None = None) -> None:
    """Print a warning as one line for the user, not as a source listing."""
    del category, filename, lineno, file, line
    err.print(f"[yellow]warning[/]: {escape(str(message))}", highlight=False)


def main() -> None:
    """Console-script entry point."""
    import warnings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Dask's own configuration sets its loggers to INFO when it is imported (later, lazily):
    # a local cluster's start and stop would fill the terminal. Its warnings and errors still
    # show, and a user's own DASK_LOGGING__DISTRIBUTED wins.
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    if not debug_mode():
        warnings.showwarning = show_warning
    try:
        code = app(standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):
        err.print("interrupted", highlight=False, markup=False)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as error:
        # Click's own errors (unknown option, missing argument: exit 2). Typer may vendor click,
        # so they are recognised by what they offer rather than by class.
        exit_code, show = getattr(error, "exit_code", None), getattr(error, "show", None)
        if not isinstance(exit_code, int) or not callable(show):
            raise
        show()
        if "--json" in sys.argv[1:]:
            describe = getattr(error, "format_message", None)
            message = str(describe()) if callable(describe) else str(error)
            print_json(Failure(UsageError.__name__, exit_code, message).to_json())
        sys.exit(exit_code)
    sys.exit(code if isinstance(code, int) else 0)
