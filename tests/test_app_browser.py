"""The workbench in real headless Chromium: data, scenario edit, solve, results, compare, export.

Drives Debian's ``chromium`` through ``chromedriver`` (Selenium pointed at the system driver, so
nothing is downloaded) against ``medalloc app`` started on a free port. Every request that is
not to this machine goes to a dead proxy, so the pages must need no network. Screenshots of the
main pages are saved to ``tests/artifacts/app/`` (ignored by git) for review.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pandas as pd
import pytest
from support.browser import chrome_options, start_chrome

from optimizer.report.i18n import indicator_label
from optimizer.results.files import read_output_csv

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts" / "app"
CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver")
selenium_errors = pytest.importorskip("selenium.common.exceptions")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                       reason="needs Debian's chromium and chromium-driver (CI installs them)"),
]
SOLVE_TIMEOUT_S = 1500  # two full solves of the shipped 2030 plan on a busy two-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    workspace = tmp_path_factory.mktemp("workspace")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "optimizer", "app", "--data", str(ROOT / "data"),
         "--scenarios", str(ROOT / "scenarios"), "--workspace", str(workspace),
         "--port", str(port)], start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/data", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the app did not start: " + (process.stderr.read() if process.stderr
                                                   else b"").decode(errors="replace"))
    yield url, workspace
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    downloads = tmp_path_factory.mktemp("downloads")
    options = chrome_options(webdriver, str(CHROMIUM), width=1400, height=1800)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = start_chrome(webdriver, options, str(DRIVER))
    driver.execute_cdp_cmd("Page.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    yield driver
    driver.quit()


def wait(condition: Callable[[], Any], timeout: float = 60, every: float = 0.25) -> Any:
    """Poll ``condition`` until it is truthy; an element missing or replaced while a page
    loads (a click that navigates, a page that reloads itself) counts as not yet."""
    deadline = time.time() + timeout
    last: Exception | None = None
    while time.time() < deadline:
        try:
            value = condition()
        except (selenium_errors.NoSuchElementException,
                selenium_errors.StaleElementReferenceException) as err:
            value, last = None, err
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s" + (f" ({last})" if last else ""))


def by_id(driver: Any, element_id: str) -> Any:
    return driver.find_element("id", element_id)


def shot(driver: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def set_field(driver: Any, element_id: str, value: str) -> None:
    field = by_id(driver, element_id)
    field.clear()
    field.send_keys(value)


def start_solve(driver: Any, url: str, edits: dict[str, str]) -> str:
    driver.get(f"{url}/scenario?src=shipped:yongchuan_2030.toml")
    for element_id, value in edits.items():
        set_field(driver, element_id, value)
    if edits:
        shot(driver, "scenario_edited")
    by_id(driver, "solve").click()
    wait(lambda: "/runs/" in driver.current_url)
    return str(driver.current_url.rsplit("/", 1)[-1])


def finished(driver: Any, url: str, run_id: str) -> bool:
    state = httpx.get(f"{url}/api/runs/{run_id}", timeout=30).json()["state"]
    assert state in ("running", "done"), httpx.get(f"{url}/api/runs/{run_id}").json()["lines"]
    return state == "done"


def indicator(table: pd.DataFrame, name: str, year: int, column: str) -> float:
    row = table[(table["indicator"] == name) & (table["year"] == year)]
    return float(row[column].iloc[0])


def test_planner_workflow_in_chromium(server: tuple[str, Path], browser: Any,
                                      tmp_path: Path) -> None:
    url, workspace = server
    driver = browser

    # 1. The shipped data: its summary and its map of towns, villages and facilities.
    driver.get(f"{url}/data")
    data_map = by_id(driver, "data-map")
    wait(lambda: data_map.get_attribute("data-ready") == "1")
    assert by_id(driver, "data-status").get_attribute("data-ok") == "1"
    towns = pd.read_csv(ROOT / "data" / "demand.csv", dtype=str)["town_code"].nunique()
    assert int(data_map.get_attribute("data-towns")) == towns
    assert len(driver.find_elements("css selector", "#data-map path.town-feature")) == towns
    shot(driver, "data")

    # 2. Two solves in worker processes: the shipped scenario, and one with a lower 2030 bed
    # cap and another sub-centre town.
    shipped = start_solve(driver, url, {})
    edited = start_solve(driver, url, {
        "f-name": "yongchuan_2030_edit", "f-policy-beds-max-2030": "7.3",
        "f-sub_centres-fixed": "朱沱镇, 吉安镇, 来苏镇"})
    assert by_id(driver, "status").get_attribute("data-state") == "running"
    shot(driver, "run_progress")

    # The page stays usable during the solve: another page loads, the progress page polls.
    driver.get(f"{url}/data")
    wait(lambda: by_id(driver, "data-map").get_attribute("data-ready") == "1")
    driver.get(f"{url}/runs/{edited}")
    wait(lambda: "loading data" in by_id(driver, "log").get_attribute("textContent"), 120)

    wait(lambda: finished(driver, url, shipped) and finished(driver, url, edited),
         SOLVE_TIMEOUT_S, every=5)
    # the running page reloads itself when the run ends
    wait(lambda: by_id(driver, "status").get_attribute("data-state") == "done", 30)

    # 3. The indicators updated: the page shows the CLI's own indicators.csv, with 7.3.
    out = workspace / "runs" / edited / "out"
    cli = read_output_csv(out / "indicators.csv")
    assert indicator(cli, "beds per 1000 (cap)", 2030, "target") == pytest.approx(7.3)
    assert indicator(cli, "beds per 1000 (cap)", 2030, "achieved") <= 7.3 + 1e-6
    rows = [[td.text for td in tr.find_elements("tag name", "td")]
            for tr in driver.find_elements("css selector", "#indicators tbody tr")]
    assert len(rows) == len(cli)
    # Chinese data, Chinese page: headers and indicator names by the report's Chinese names
    headers = driver.find_elements("css selector", "#indicators thead th")
    assert [th.get_attribute("data-column") for th in headers][:2] == ["indicator", "year"]
    assert [th.text for th in headers][:2] == ["指标", "年份"]
    beds_zh = indicator_label("beds per 1000 (cap)", "zh")
    beds = next(r for r in rows if r[0] == beds_zh and r[1] == "2030")
    assert float(beds[7]) == pytest.approx(7.3)  # indicator, year, kind, scope, resource, per,
    assert float(beds[8]) == pytest.approx(       # sense, target, achieved
        indicator(cli, "beds per 1000 (cap)", 2030, "achieved"), abs=5e-4)
    assert "吉安镇" in by_id(driver, "sub-centres").text
    status = by_id(driver, "solve-status")  # the status in words, the value kept in data-status
    assert status.get_attribute("data-status") in ("optimal", "feasible")
    assert status.text in ("最优（已证明）", "可行解（未证明最优）")
    results_map = by_id(driver, "results-map")
    wait(lambda: results_map.get_attribute("data-ready") == "1")
    assert int(results_map.get_attribute("data-with-value")) > 0
    shot(driver, "results")

    # 4. results.xlsx downloads and holds the same indicators.
    by_id(driver, "dl-results-xlsx").click()
    workbook = wait(lambda: next(iter(driver.downloads.glob("results*.xlsx")), None), 60)
    wait(lambda: not list(driver.downloads.glob("*.crdownload")), 60)
    sheet = openpyxl.load_workbook(workbook, read_only=True)["indicators"]
    values = list(sheet.values)
    header = list(values[0])
    downloaded = [dict(zip(header, row, strict=True)) for row in values[1:]]
    cap = next(r for r in downloaded if r["indicator"] == "beds per 1000 (cap)"
               and int(r["year"]) == 2030)
    assert cap["target"] == pytest.approx(7.3)

    # 5. The report opens (printable HTML, the CLI's report.html).
    report_link = by_id(driver, "dl-report-html").get_attribute("href")
    assert httpx.get(report_link).content == (out / "report.html").read_bytes()
    driver.get(report_link)
    assert "7.3" in driver.find_element("tag name", "body").text
    shot(driver, "report")

    # 6. Compare with the shipped scenario: side by side, with a difference map.
    driver.get(f"{url}/runs")
    for run_id in (shipped, edited):
        driver.find_element("css selector", f'input[name="run"][value="{run_id}"]').click()
    by_id(driver, "compare-selected").click()
    diff_map = wait(lambda: by_id(driver, "diff-map"), 30)
    wait(lambda: diff_map.get_attribute("data-ready") == "1")
    header = [th.get_attribute("data-column")
              for th in driver.find_elements("css selector", "#compare-indicators thead th")]
    assert "difference" in header
    base = read_output_csv(workspace / "runs" / shipped / "out" / "indicators.csv")
    compared = [[td.text for td in tr.find_elements("tag name", "td")]
                for tr in driver.find_elements("css selector", "#compare-indicators tbody tr")]
    cap_row = next(r for r in compared if r[0] == beds_zh and r[1] == "2030")
    expected = (indicator(cli, "beds per 1000 (cap)", 2030, "achieved")
                - indicator(base, "beds per 1000 (cap)", 2030, "achieved"))
    assert float(cap_row[-1]) == pytest.approx(expected, abs=5e-4)
    assert driver.find_elements("css selector", "#compare-plan tbody tr")
    shot(driver, "compare")

    # 7. A bad upload shows its problems, each with file, row, column, value and fix.
    facilities = pd.read_csv(ROOT / "data" / "facilities.csv", dtype=str)
    facilities.loc[0, "beds"] = "many"
    bad = tmp_path / "facilities.csv"
    facilities.to_csv(bad, index=False)
    driver.get(f"{url}/data")
    by_id(driver, "upload-box").click()
    by_id(driver, "up-facilities").send_keys(str(bad))
    by_id(driver, "upload-submit").click()
    wait(lambda: driver.find_elements("id", "problems"))
    assert by_id(driver, "data-status").get_attribute("data-ok") == "0"
    cells = [[td.text for td in tr.find_elements("tag name", "td")]
             for tr in driver.find_elements("css selector", "#problems tr.problem")]
    assert ["facilities.csv", "line 2", "beds", "many"] in [c[:4] for c in cells]
    assert all(c[5] for c in cells)  # every problem says how to fix it
    assert driver.find_elements("css selector", "td.bad-cell")
    shot(driver, "bad_upload")

    # 8. English, and no script error on any page: the tables show the files' own names.
    driver.get(f"{url}/lang/en?next=/data")
    assert "Datasets" in driver.find_element("tag name", "h1").text
    shot(driver, "data_en")
    driver.get(f"{url}/runs/{edited}")
    first = [[td.text for td in tr.find_elements("tag name", "td")][:2]
             for tr in driver.find_elements("css selector", "#indicators tbody tr")]
    assert ["beds per 1000 (cap)", "2030"] in first
    assert by_id(driver, "indicators").find_element("css selector", "thead th").text == \
        "indicator"
    shot(driver, "results_en")
    assert console_errors(driver) == []
    assert driver.execute_script("return window.MEDALLOC_ERRORS") == 0
