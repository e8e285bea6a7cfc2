"""The workbench's routes and safety rules, through Starlette's test client (no browser)."""

from __future__ import annotations

import html
import io
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from starlette.testclient import TestClient

from optimizer.app import AppConfig, create_app
from optimizer.app.results import compare_indicators, compare_plan, read_results
from optimizer.app.safety import UnsafePathError, inside, safe_name
from optimizer.config.scenario import load_scenario
from optimizer.dataset.load import load_dataset
from optimizer.dataset.summary import summarise

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config(tmp_path: Path) -> AppConfig:
    return AppConfig.create(ROOT / "data", ROOT / "scenarios", tmp_path / "ws",
                            max_upload_bytes=200_000)


@pytest.fixture
def client(config: AppConfig) -> TestClient:
    return TestClient(create_app(config), follow_redirects=False)


def editor_text(client: TestClient, src: str = "shipped:yongchuan_2030.toml") -> str:
    page = client.get(f"/scenario?src={src}").text
    match = re.search(r'<textarea name="toml" id="toml"[^>]*>(.*?)</textarea>', page, re.S)
    assert match
    return html.unescape(match[1])


# -- safety rules ------------------------------------------------------------------------------

@pytest.mark.parametrize(("given", "expected"), [
    ("facilities.CSV", "facilities.csv"),
    ("../../etc/facilities.csv", "facilities.csv"),
    ("C:\\Users\\me\\设施 登记.xlsx", "设施_登记.xlsx"),
    ("towns.geojson", "towns.geojson"),
])
def test_safe_name_keeps_only_a_plain_name(given: str, expected: str) -> None:
    assert safe_name(given) == expected


@pytest.mark.parametrize("given", ["evil.sh", "../", "...csv", "report.html", "x.py"])
def test_safe_name_refuses_unknown_kinds_and_empty_names(given: str) -> None:
    with pytest.raises(UnsafePathError, match="file"):
        safe_name(given)


@pytest.mark.parametrize("relative", ["../x", "/etc/passwd", "a/../../x", "C:x", ""])
def test_inside_refuses_paths_leaving_the_folder(tmp_path: Path, relative: str) -> None:
    with pytest.raises(UnsafePathError, match="path"):
        inside(tmp_path, relative)


def test_inside_refuses_a_link_out(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafePathError, match="outside"):
        inside(tmp_path / "root", "link/secret")


@pytest.mark.parametrize("url", [
    "/data?ds=data:../../etc",
    "/data?ds=upload:..",
    "/data?ds=elsewhere:x",
    "/scenario?src=shipped:../pyproject.toml",
    "/scenario?src=saved:../../x.toml",
    "/api/datasets/data:..%2F..%2Fetc/layers",
])
def test_requests_cannot_leave_the_app_folders(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert "root:" not in response.text


def test_upload_over_the_limit_is_refused_and_nothing_is_saved(client: TestClient,
                                                              config: AppConfig) -> None:
    big = b"facility_id,name_zh\n" + b"x" * 300_000
    response = client.post("/data/upload", files={"facilities": ("facilities.csv", big)})
    assert response.status_code == 413
    assert "limit" in response.text
    assert list((config.workspace / "uploads").iterdir()) == []


def test_upload_of_a_bad_name_is_refused(client: TestClient, config: AppConfig) -> None:
    response = client.post("/data/upload", files={"facilities": ("../../run.sh", b"echo hi")})
    assert response.status_code == 400
    assert 'id="upload-error"' in response.text
    assert list((config.workspace / "uploads").iterdir()) == []


# -- data ----------------------------------------------------------------------------------------

def test_data_page_shows_the_clis_summary(client: TestClient) -> None:
    page = client.get("/data").text
    expected = summarise(load_dataset([ROOT / "data"]))
    assert 'data-ok="1"' in page
    for name, row in expected["resources"].items():
        assert re.search(rf'data-resource="{name}">.*?class="rate">{row["rate"]}<', page), name
    layers = client.get("/api/datasets/data/layers").json()
    assert len(layers["towns"]["features"]) == expected["units"]
    assert len(layers["facilities"]["features"]) == expected["facilities"]


def test_bad_upload_lists_every_problem_and_highlights_the_cells(client: TestClient,
                                                                 config: AppConfig) -> None:
    facilities = pd.read_csv(ROOT / "data" / "facilities.csv", dtype=str)
    facilities.loc[2, "beds"] = "-5"
    facilities.loc[4, "tier"] = "castle"
    body = facilities.to_csv(index=False).encode("utf-8")
    response = client.post("/data/upload", files={"facilities": ("我的设施.csv", body)},
                           data={"base": "data"})
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert 'data-ok="0"' in page
    rows = re.findall(r'<tr class="problem">(.*?)</tr>', page, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]
    assert ["facilities.csv", "line 4", "beds", "-5"] in [c[:4] for c in cells]
    assert ["facilities.csv", "line 6", "tier", "castle"] in [c[:4] for c in cells]
    assert '<td class="bad-cell">-5</td>' in page
    assert '<td class="bad-cell">castle</td>' in page
    upload = next((config.workspace / "uploads").iterdir())
    # the other layers came from the shipped data; the upload is never executed, only read
    assert sorted(p.name for p in upload.iterdir() if not p.name.startswith(".")) == [
        "boundary.geojson", "demand.csv", "facilities.csv", "towns.geojson"]


# -- scenarios -----------------------------------------------------------------------------------

def test_scenario_messages_are_the_schemas_and_sit_by_their_field(client: TestClient) -> None:
    text = editor_text(client)
    response = client.post("/scenario", data={
        "src": "shipped:yongchuan_2030.toml", "toml": text, "action": "check",
        "f:policy/beds/kind": "hard", "f:policy/doctors/min/2030": "lots"})
    page = response.text
    assert re.search(r'class="field has-error">\s*<label for="f-policy-beds-kind"', page)
    assert "Input should be &#39;binding&#39; or &#39;expected&#39;" in page
    assert "&#39;lots&#39; is not a number" in page


def test_saved_scenario_is_a_file_the_cli_reads(client: TestClient, config: AppConfig) -> None:
    text = editor_text(client)
    response = client.post("/scenario", data={
        "src": "shipped:yongchuan_2030.toml", "toml": text, "action": "save",
        "save_as": "my plan", "f:policy/beds/max/2030": "7.3",
        "f:sub_centres/fixed": "朱沱镇，吉安镇，来苏镇"})
    assert response.status_code == 303
    saved = config.workspace / "scenarios" / "my_plan.toml"
    spec = load_scenario(saved)
    assert spec.policy["beds"].max[2030] == 7.3
    assert spec.policy["beds"].max[2027] == 7.7
    assert spec.sub_centres is not None
    assert spec.sub_centres.fixed == ["朱沱镇", "吉安镇", "来苏镇"]
    assert spec.data.folder == (ROOT / "data").resolve()
    assert "# PLAN annex 1: 约束性" in saved.read_text(encoding="utf-8")  # comments kept
    page = client.get(response.headers["location"]).text
    assert 'id="saved"' in page
    assert 'value="7.3"' in page


def test_a_data_folder_outside_the_app_is_refused(client: TestClient) -> None:
    text = editor_text(client).replace('folder = "../data"', 'folder = "/etc"')
    response = client.post("/scenario", data={
        "src": "shipped:yongchuan_2030.toml", "toml": text, "action": "solve"})
    assert response.status_code == 422
    assert "outside the app" in response.text


def test_download_gives_the_edited_toml(client: TestClient) -> None:
    response = client.post("/scenario", data={
        "src": "shipped:yongchuan_2025.toml", "toml": editor_text(
            client, "shipped:yongchuan_2025.toml"),
        "action": "download", "f:policy/beds/max/2025": "8.1"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert "max = { 2025 = 8.1 }" in response.text


# -- language ------------------------------------------------------------------------------------

def test_chinese_by_default_for_chinese_data_and_switchable(client: TestClient) -> None:
    assert "数据集" in client.get("/data").text
    response = client.get("/lang/en?next=/data")
    assert response.status_code == 303
    assert response.headers["location"] == "/data"
    client.cookies.set("lang", "en")
    assert "Datasets" in client.get("/data").text
    assert client.get("/lang/en?next=//evil.example").headers["location"] == "/"


# -- runs and results ----------------------------------------------------------------------------

def test_cancel_stops_the_worker_and_leaves_no_output(client: TestClient) -> None:
    text = editor_text(client)
    response = client.post("/scenario", data={
        "src": "shipped:yongchuan_2030.toml", "toml": text, "action": "solve", "kind": "run"})
    assert response.status_code == 303
    run_id = response.headers["location"].rsplit("/", 1)[-1]
    assert client.get(f"/api/runs/{run_id}").json()["state"] == "running"
    time.sleep(1.0)
    state = client.post(f"/api/runs/{run_id}/cancel").json()
    assert state["state"] == "cancelled"
    app_state = client.app.state  # type: ignore[attr-defined]
    job = app_state.jobs.get(run_id)
    deadline = time.time() + 30
    while job.exit_code is None and time.time() < deadline:
        time.sleep(0.2)
    assert job.exit_code is not None
    assert not (job.out / "plan.csv").exists()
    assert client.get(f"/runs/{run_id}/files/../../job.json").status_code in (400, 404)


def write_run(folder: Path, beds_2030: float, after: int) -> Path:
    folder.mkdir(parents=True)
    pd.DataFrame({
        "indicator": ["beds per 1000 (cap)"] * 2, "year": [2025, 2030], "kind": "binding",
        "resource": "beds", "per": 1000, "sense": "<=", "target": [7.9, 7.5],
        "achieved": [7.8, beds_2030], "met": True, "shortfall": 0.0, "shortfall_pct": 0.0,
        "note": "",
    }).to_csv(folder / "indicators.csv", index=False)
    pd.DataFrame({
        "facility_id": ["A", "A", "B", "B"], "name_zh": ["甲", "甲", "乙", "乙"],
        "town_code": ["1", "1", "2", "2"], "tier": "township_health_centre",
        "year": [2025, 2030, 2025, 2030], "resource": "beds", "before": [10, 10, 20, 20],
        "after": [10, after, 20, 20], "change": [0, after - 10, 0, 0], "need": 1.0,
        "served": 1.0, "need_ratio": 1.0, "reason_kind": "need", "reason": "x",
    }).to_csv(folder / "plan.csv", index=False)
    return folder


def test_compare_subtracts_the_clis_numbers(tmp_path: Path) -> None:
    runs = {"shipped": read_results(write_run(tmp_path / "a", 7.5, 12)),
            "edited": read_results(write_run(tmp_path / "b", 7.25, 15))}
    table = compare_indicators(runs)
    row = table[table["year"] == 2030].iloc[0]
    assert row["difference"] == pytest.approx(-0.25)
    plan = compare_plan(runs)
    assert plan[["facility_id", "shipped", "edited", "difference"]].to_numpy().tolist() == [
        ["A", 12, 15, 3]]  # B is the same in both and left out


def test_results_gpkg_refused_for_a_run_without_a_plan(client: TestClient,
                                                      config: AppConfig) -> None:
    assert client.get("/runs/nothing-here").status_code == 404
    assert client.get("/runs/nothing-here/export/results.gpkg").status_code == 404


def test_runs_of_an_earlier_session_are_listed(config: AppConfig) -> None:
    folder = config.workspace / "runs" / "old-run"
    (folder / "out").mkdir(parents=True)
    (folder / "job.json").write_text('{"run_id": "old-run", "kind": "run", "name": "old", '
                                     '"state": "running", "started": 1.0}', encoding="utf-8")
    client = TestClient(create_app(config))
    assert client.get("/api/runs/old-run").json()["state"] == "failed"
    shutil.rmtree(folder)


def test_upload_limit_counts_all_files(client: TestClient) -> None:
    part = b"a" * 120_000
    response = client.post("/data/upload", files={
        "facilities": ("facilities.csv", io.BytesIO(part)),
        "demand": ("demand.csv", io.BytesIO(part))})
    assert response.status_code == 413


def test_workspace_must_not_overlap_the_users_folders(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with pytest.raises(UnsafePathError, match="overlaps --data"):
        AppConfig.create(tmp_path / "data", ROOT / "scenarios", tmp_path / "data" / "ws")
    with pytest.raises(UnsafePathError, match="overlaps --data"):
        AppConfig.create(tmp_path / "data", ROOT / "scenarios", tmp_path)
