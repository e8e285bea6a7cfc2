"""report.html and map.html open in headless Chromium, offline, without script errors."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import pytest
from support.browser import chrome_options, start_chrome
from support.report_runs import make_run
from support.tiny import write_tiny

from optimizer.dataset.load import load_dataset
from optimizer.report import write_run_report

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (Debian: apt-get install chromium); CI installs it")]


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with no network, no sync and a throw-away profile."""
    assert CHROMIUM is not None
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", "--hide-scrollbars",
        # Any request that is not a local file fails at once: the pages must need none.
        "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
        f"--user-data-dir={profile}", "--virtual-time-budget=8000", *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def body_attributes(dom: str) -> dict[str, str]:
    match = re.search(r"<body([^>]*)>", dom)
    assert match, dom[:500]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match[1]))


def test_report_and_map_render_in_chromium(tmp_path: Path) -> None:
    dataset = load_dataset([write_tiny(tmp_path / "data")])
    out = make_run(tmp_path / "run", coverage=True)
    write_run_report(out, dataset)

    result = chromium(tmp_path / "p1", "--dump-dom", (out / "map.html").as_uri())
    attrs = body_attributes(result.stdout)
    assert attrs["data-map-ready"] == "1", result.stderr[-2000:]
    assert attrs["data-errors"] == "0"
    assert attrs["data-town-features"] == str(len(dataset.towns))
    assert result.stdout.count("town-feature") >= len(dataset.towns)

    result = chromium(tmp_path / "p2", "--dump-dom", (out / "report.html").as_uri())
    attrs = body_attributes(result.stdout)
    assert attrs["data-images"] != "0"
    assert attrs["data-images-loaded"] == attrs["data-images"], result.stderr[-2000:]

    shot = tmp_path / "report.png"
    result = chromium(tmp_path / "p3", "--window-size=1200,2400", f"--screenshot={shot}",
                      (out / "report.html").as_uri())
    assert shot.is_file(), result.stderr[-2000:]
    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (2400, 1200)
    assert float(pixels[..., :3].mean(axis=2).std()) > 0.05


def test_chinese_report_and_map_render_in_chromium(tmp_path: Path) -> None:
    dataset = load_dataset([write_tiny(tmp_path / "data")])
    out = make_run(tmp_path / "run", coverage=True)
    write_run_report(out, dataset, lang="zh")

    result = chromium(tmp_path / "p1", "--dump-dom", (out / "map.html").as_uri())
    attrs = body_attributes(result.stdout)
    assert attrs["data-map-ready"] == "1", result.stderr[-2000:]
    assert attrs["data-errors"] == "0"
    assert "乡镇（2030年）" in result.stdout  # the layer control, drawn by the page's script

    result = chromium(tmp_path / "p2", "--dump-dom", (out / "report.html").as_uri())
    attrs = body_attributes(result.stdout)
    assert attrs["data-images-loaded"] == attrs["data-images"] != "0", result.stderr[-2000:]
    assert "方案概要" in result.stdout


# Every cell holding only a short Chinese word (2-6 characters), as lines its text takes.
_SPLIT_WORDS = """
const split = [];
for (const cell of document.querySelectorAll('td, th')) {
  const text = cell.textContent.trim();
  if (!/^[\\u3400-\\u9fff]\\S{1,5}$/.test(text)) continue;
  const range = document.createRange();
  range.selectNodeContents(cell);
  const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
  if (lines > 1) split.push(text + ': ' + lines + ' lines');
}
return split;
"""


def test_chinese_report_keeps_short_words_on_one_line(tmp_path: Path) -> None:
    """A narrow window (a phone, half a screen) must not split 约束性 one character per line.

    Chinese has no spaces, so a browser may break between any two characters of a cell; the
    report marks short words so their column grows instead.
    """
    webdriver = pytest.importorskip("selenium.webdriver")
    driver_path = shutil.which("chromedriver")
    if CHROMIUM is None or driver_path is None:
        pytest.skip("chromium-driver not installed (Debian: apt-get install chromium-driver)")
    dataset = load_dataset([write_tiny(tmp_path / "data")])
    out = make_run(tmp_path / "run", coverage=True)
    write_run_report(out, dataset, lang="zh")
    assert "约束性" in (out / "report.html").read_text(encoding="utf-8")

    options = chrome_options(webdriver, CHROMIUM, width=600, height=1000)
    driver = start_chrome(webdriver, options, driver_path)
    try:
        driver.get((out / "report.html").as_uri())
        assert driver.execute_script(_SPLIT_WORDS) == []
        assert driver.execute_script("return document.querySelectorAll('td.word').length") > 0
    finally:
        driver.quit()
