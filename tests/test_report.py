"""Reports: files written, figures read from the output files, determinism, offline map, fonts."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.image as mpimg
import pytest
from support.report_runs import (
    make_coverage,
    make_run,
)
from support.tiny import write_tiny

from optimizer.dataset.load import Dataset, load_dataset
from optimizer.errors import DataError, MedallocWarning
from optimizer.report import write_coverage_report, write_justify_report, write_run_report
from optimizer.report.cartography import nice_length_m
from optimizer.report.justify_sections import markdown_html
from optimizer.report.outputs import facility_changes, read_run_outputs, resource_targets
from optimizer.report.provenance import map_note


@pytest.fixture
def dataset(tmp_path: Path) -> Dataset:
    return load_dataset([write_tiny(tmp_path / "data")])






def assert_picture(path: Path) -> None:
    """A print-resolution PNG with real content: big enough and far from one flat colour."""
    pixels = mpimg.imread(path)
    assert min(pixels.shape[:2]) >= 800, pixels.shape
    grey = pixels[..., :3].mean(axis=2)
    assert float(grey.std()) > 0.05
    assert float((grey < 0.9).mean()) > 0.02  # some ink, not just a white page


def test_run_report_files_and_numbers_come_from_the_outputs(tmp_path: Path,
                                                            dataset: Dataset) -> None:
    out = make_run(tmp_path / "run", coverage=True)
    written = write_run_report(out, dataset)
    names = sorted(p.name for p in written)
    assert names == sorted([
        "catchments.png", "changes_beds.png", "gaps_primary.png", "map.html",
        "per_1000_beds.png", "per_1000_doctors.png", "report.html"])
    for path in written:
        if path.suffix == ".png":
            assert_picture(path)
    html = (out / "report.html").read_text(encoding="utf-8")
    for text in ("tiny_2030", "Tiny county: one sub-centre at 丙镇", "甲街道", "乙镇", "丙镇",
                 "NOT met", "4.909", "62.0 %", "92.6 %", "chosen by the model",
                 "区人民医院", "-7", "+7", "catchments.png", 'href="map.html"'):
        assert text in html, text
    # Who is still outside in 2030: 乙镇 3,050 x 10 % and 丙镇 2,020 x 25 %.
    assert "丙镇 (505)" in html
    assert "乙镇 (305)" in html
    assert not re.search(r"/tmp/|[A-Z]:\\", html)
    assert not list(out.glob(".*tmp*"))
    assert not list(out.glob(".report-*"))


def test_reports_are_deterministic(tmp_path: Path, dataset: Dataset) -> None:
    first = make_run(tmp_path / "a")
    second = make_run(tmp_path / "b")
    write_run_report(first, dataset)
    write_run_report(second, dataset)
    for name in ("report.html", "map.html", "gaps_primary.png", "catchments.png"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_no_maps_writes_only_the_page(tmp_path: Path, dataset: Dataset) -> None:
    out = make_run(tmp_path / "run")
    written = write_run_report(out, dataset, maps=False)
    assert [p.name for p in written] == ["report.html"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "not drawn" in html
    assert "<img" not in html


def test_missing_output_file_is_named(tmp_path: Path, dataset: Dataset) -> None:
    out = make_run(tmp_path / "run")
    (out / "plan.csv").unlink()
    with pytest.raises(DataError, match=r"plan\.csv.*finished `medalloc run`"):
        write_run_report(out, dataset)


def test_interactive_map_fetches_nothing(tmp_path: Path, dataset: Dataset) -> None:
    out = make_run(tmp_path / "run", coverage=True)
    write_run_report(out, dataset)
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "<script src" not in page
    assert "<link" not in page
    assert not re.search(r"url\((?!data:|#)", page)
    assert "L.map(" in page
    assert '"kind":"towns"' in page
    assert page.count('"kind":"towns"') == 1


def test_coverage_report(tmp_path: Path, dataset: Dataset) -> None:
    out = make_coverage(tmp_path / "cov")
    written = write_coverage_report(out, dataset)
    assert sorted(p.name for p in written) == ["gaps_primary_15.png", "map.html", "report.html"]
    assert_picture(out / "gaps_primary_15.png")
    html = (out / "report.html").read_text(encoding="utf-8")
    for text in ("乙村", "丙村", "50.0 %", "5,000", "straight_line"):
        assert text in html, text


def test_justification_section_when_present(tmp_path: Path, dataset: Dataset) -> None:
    out = make_run(tmp_path / "run")
    write_run_report(out, dataset, maps=False)
    assert "No justification files" in (out / "report.html").read_text(encoding="utf-8")
    (out / "justification.md").write_text("# Why 丙镇\n\n- **farthest** from the hospital\n",
                                          encoding="utf-8")
    (out / "ranking.csv").write_text("rank,facility_ids,objective\n1,T2,9.5\n2,T3,9.0\n",
                                     encoding="utf-8")
    write_run_report(out, dataset)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Why 丙镇" in html
    assert "<b>farthest</b>" in html
    assert "ranking.csv" in html
    assert "best-ranked set" in html  # the catchments map compares T3 with ranking's T2
    written = write_justify_report(out, dataset, maps=False)
    assert [p.name for p in written] == ["report.html"]


def test_no_cjk_font_warns_and_falls_back(tmp_path: Path, dataset: Dataset,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("optimizer.report.cartography.cjk_font", lambda: None)
    out = make_run(tmp_path / "run")
    with pytest.warns(MedallocWarning, match="fonts-noto-cjk"):
        write_run_report(out, dataset)
    assert_picture(out / "gaps_primary.png")


def test_helpers_read_the_tables(tmp_path: Path) -> None:
    run = read_run_outputs(make_run(tmp_path / "run"))
    beds = facility_changes(run.plan, "beds").set_index("facility_id")
    assert beds.loc["T3", ["tier_before", "tier", "before", "after", "change"]].tolist() == [
        "township_health_centre", "sub_centre", 2, 9, 7]
    targets = resource_targets(run.indicators)
    assert [(t.column, t.year, t.met) for t in targets] == [
        ("beds_per_1000", 2025, True), ("beds_per_1000", 2030, False),
        ("doctors_per_1000", 2030, True)]
    assert nice_length_m(31_000) == 5000
    assert nice_length_m(9_000) == 1000
    assert "<h3>T</h3>" in markdown_html("# T")
    assert "<table>" in markdown_html("|a|b|\n|---|---|\n|1|2|")


def test_map_note_names_estimates_when_the_data_say_so(dataset: Dataset) -> None:
    assert map_note(dataset).startswith("Data: ")
    towns = dataset.towns.assign(geometry_method="ESTIMATED: Voronoi cell of the seat point")
    demand = dataset.demand.assign(position_method="SYNTHETIC: k-means centres")
    note = map_note(Dataset(towns=towns, facilities=dataset.facilities, demand=demand))
    assert "town polygons estimated (Voronoi)" in note
    assert "village positions synthetic (k-means)" in note
