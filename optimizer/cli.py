"""The ``medalloc`` command line: one entry point, a subcommand per job, an exit code per error."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from optimizer.cli_errors import EXIT_INTERRUPTED, Failure, classify, debug_mode
from optimizer.errors import DataError, UsageError

if TYPE_CHECKING:
    from optimizer.scenario import Scenario

__all__ = ["app", "main"]

app = typer.Typer(
    name="medalloc",
    help="Planning optimizer for county health systems: validate data, map coverage gaps, "
    "locate sites. Exit codes: 0 ok, 2 usage, 3 data, 4 scenario, 5 infeasible, 6 solver.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")



@app.callback()
def _root() -> None:
    """Planning optimizer for county health systems."""


JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON; an "
                                          "error is a JSON object {\"error\": ...} too.")]
XlsxOption = Annotated[bool, typer.Option("--xlsx", help="Also write the tables as one "
                                          "results.xlsx workbook.")]
ThreadsOption = Annotated[int | None, typer.Option(
    min=1, help="Solver threads (default: the scenario's [solver] threads); at most the "
    "machine's cores.")]
OUT_RULES = ("Only a new or empty folder, or one medalloc wrote (it carries .medalloc-output), "
             "is used; it is replaced whole after success.")


def guarded(work: Callable[[], T], *, as_json: bool = False) -> T:
    """Run ``work``; turn any failure into one message (and JSON object) and its exit code.

    medalloc's errors keep their class and exit code; an unexpected file-system error, an
    interrupt or a bug are reported in one sentence too (:mod:`optimizer.cli_errors`). No
    traceback is printed unless ``MEDALLOC_DEBUG`` is set.
    """
    try:
        return work()
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except BaseException as error:
        failure = classify(error)
        if failure.error_class == "InternalError" and debug_mode():
            raise
        err.print(f"[bold red]error[/]: {escape(failure.message)}", highlight=False)
        if as_json:
            print_json(failure.to_json())
        raise typer.Exit(failure.exit_code) from None


def print_json(payload: Any) -> None:
    """Print JSON with Chinese names kept readable."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


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


def finisher(spec: Scenario, report: Callable[..., Any] | None, *, maps: bool,
             xlsx: bool) -> Callable[[Path], None]:
    """What the CLI adds to a job's folder while it is still being built: workbook and report."""

    def finish(folder: Path) -> None:
        if xlsx:
            from optimizer.csv_out import write_workbook

            write_workbook(folder)
        if report is not None:
            from optimizer.dataset import load_dataset

            report(folder, load_dataset([spec.data.folder]), maps=maps)

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
    from optimizer.dataset import load_dataset
    from optimizer.summary import summarise

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
    as_json: JsonOption = False,
) -> None:
    """Solve an allocation scenario; write plan.csv, towns.csv, indicators.csv, summary.json."""
    from optimizer.report import write_run_report
    from optimizer.run_job import run_scenario
    from optimizer.scenario import load_scenario

    def work() -> Any:
        spec = with_threads(load_scenario(scenario), threads)
        target = out or Path("out") / spec.name
        finish = finisher(spec, write_run_report, maps=not no_maps, xlsx=xlsx)
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


def print_job(text: str, out_dir: Path) -> None:
    """Print a job's own summary text verbatim, then the report it wrote, if any."""
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
        from optimizer.csv_out import read_output_csv

        table = Table("indicator", "year", "target", "achieved", "met", box=None, pad_edge=False)
        for row in read_output_csv(indicators).itertuples(index=False):
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
    as_json: JsonOption = False,
) -> None:
    """Justify sub-centre sites: regret against the optimum, ranking, robustness, pairings."""
    from optimizer.justify.job import justify as run_justify
    from optimizer.report import write_justify_report
    from optimizer.scenario import load_scenario

    def work() -> Any:
        spec = with_threads(load_scenario(scenario), threads)
        target = out or Path("out") / spec.name / "justify"
        finish = finisher(spec, write_justify_report, maps=not no_maps, xlsx=xlsx)
        with err.status("justifying...") as status:

            def progress(line: str) -> None:
                err.print(f"  {line}", highlight=False, markup=False)
                status.update(escape(line))

            return run_justify(spec, sites, target, progress=None if as_json else progress,
                               make_map=not no_maps, finish=finish)

    summary = guarded(work, as_json=as_json)
    if as_json:
        sys.stdout.write((summary.out_dir / "justification.json").read_text(encoding="utf-8"))
        return
    print_job(summary.to_text(), summary.out_dir)


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
            from optimizer.csv_out import write_workbook

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
    if as_json:
        sys.stdout.write((target / "summary.json").read_text(encoding="utf-8"))
        return
    print_job(summary.to_text(), summary.out_dir)


@app.command()
def coverage(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML), e.g. "
                                             "scenarios/yongchuan_2025.toml.")],
    out: Annotated[Path | None, typer.Option(help="Output folder; default out/<scenario "
                                             "name>/coverage. " + OUT_RULES)] = None,
    no_maps: Annotated[bool, typer.Option("--no-maps", help="Skip the PNG map.")] = False,
    xlsx: XlsxOption = False,
    as_json: JsonOption = False,
) -> None:
    """Map coverage gaps: who is outside each travel-time threshold, per village and town."""
    from optimizer.coverage_job import run_coverage
    from optimizer.dataset import load_dataset
    from optimizer.model.inputs import existing_sub_centres
    from optimizer.report import write_coverage_report
    from optimizer.routing.context import road_layer
    from optimizer.scenario import load_scenario
    from optimizer.travel import TravelSettings

    def work() -> Any:
        spec = load_scenario(scenario)
        data = load_dataset([spec.data.folder])
        settings = TravelSettings.from_dict(spec.travel)
        target = out or Path("out") / spec.name / "coverage"
        access = spec.coverage.access
        facilities = data.facilities.copy()
        built = facilities["facility_id"].astype(str).isin(existing_sub_centres(data, spec))
        facilities.loc[built, "tier"] = "sub_centre"  # the plan's sub-centres, already built
        return run_coverage(
            data.towns, data.demand, facilities, settings, spec.coverage.groups,
            spec.coverage.thresholds, target, roads=road_layer(settings, data.roads),
            make_map=not no_maps,
            resources=tuple(r for r in access.resources if r in data.facilities.columns),
            step_weights={float(k): v for k, v in access.step_weights.items()},
            inputs=spec.input_paths,
            finish=finisher(spec, write_coverage_report, maps=not no_maps, xlsx=xlsx),
        )

    summary = guarded(work, as_json=as_json)
    if as_json:
        sys.stdout.write((summary.out_dir / "summary.json").read_text(encoding="utf-8"))
        return
    print_job(summary.to_text(), summary.out_dir)


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
    from optimizer.locate.cli_support import MODELS, run_locate

    def work() -> dict[str, Any]:
        if model not in MODELS:
            raise UsageError(f"MODEL: got {model!r}; use one of {', '.join(MODELS)}")
        needs = {"lscp": ("standard",), "mclp": ("standard", "p"), "pmedian": ("p",),
                 "pcenter": ("p",)}[model]
        for name in needs:
            if {"standard": standard, "p": p}[name] is None:
                raise UsageError(f"{model} needs --{name}")
        finish = None
        if xlsx:
            from optimizer.csv_out import write_workbook

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


def show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: Any = None, line: str | None = None) -> None:
    """Print a warning as one line for the user, not as a source listing."""
    del category, filename, lineno, file, line
    err.print(f"[yellow]warning[/]: {escape(str(message))}", highlight=False)


def main() -> None:
    """Console-script entry point."""
    import warnings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
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
